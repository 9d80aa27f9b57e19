"""Docker Swarm's IPVS as a box on the path: the idle budget of a Swarm stack (900 s).

Services of a stack deployed with ``docker stack deploy`` reach each other through
IPVS, which forgets a connection idle for 900 s without telling either end (FACTS.md;
moby/moby#31208). A compose file is a Swarm stack when a service has ``deploy:`` or
its name says ``stack`` (``docker-stack.yml``). TCP keepalives reset IPVS's timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pgconf_fix.budget import SOURCE_MODULES, IdleTimer, budget_source, sources_containing

if TYPE_CHECKING:
    from pgconf_fix.budget import Files
    from pgconf_fix.workspace import Workspace

LAYERS = SOURCE_MODULES[__name__]


@budget_source("swarm")
def swarm_ipvs(workspace: Workspace, files: Files) -> Iterator[IdleTimer]:
    """One timer for each compose file deployed as a Swarm stack."""
    from pgconf_fix.documents.yaml_nodes import YamlError, compose_documents
    from pgconf_fix.views.compose import is_compose, swarm_timer

    for source in sources_containing(workspace, files, LAYERS, "services"):
        try:
            documents = compose_documents(source.text)
        except YamlError:
            continue  # PGF001, from its layer
        for root in documents:
            timer = swarm_timer(source, root) if is_compose(root) else None
            if timer is not None:
                line, _ = source.position(timer.location.start)
                yield IdleTimer(timer.seconds, timer.box, f"{source.display}:{line}")
                break
