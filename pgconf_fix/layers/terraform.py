"""Network layer: Terraform configuration (``*.tf`` and ``*.tf.json``): load balancers and
the other boxes on a connection's path, server settings kept in cloud resources, and the
connection strings its strings hold (judged by the client rules), and PgBouncer sidecars
configured by the environment of an ECS container definition (views.pgbouncer_env).
``terraform.tfvars`` / ``*.auto.tfvars`` are read as the values of a directory's variables.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pgconf_fix.layers import client
from pgconf_fix.workspace import parent_of

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "network"
LAYERS = ("network", "server", "client", "pgbouncer")  # the rule layers of the views it builds


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    return path.suffix == ".tf" or path.name.endswith(".tf.json")


def group_key(path: Path) -> Path:
    """The directory: Terraform reads a directory's files as one module."""
    return parent_of(path)


def linked(source: SourceFile) -> set[Path]:
    """The directories a build of ``source`` reads: its own, and those its ``module`` blocks
    call with a local ``source`` (``terraform_module.local_module_directory``, as
    ``read_modules`` follows them). pgconf_fix.run builds their groups as one from the start."""
    directory = parent_of(source.path)
    if "module" not in source.text:
        return {directory}
    from pgconf_fix.documents.hcl import HclDocument
    from pgconf_fix.views.terraform_module import local_module_directory

    called = (local_module_directory(directory, block) for block in HclDocument(source).blocks)
    return {directory, *(target for target in called if target is not None)}


@lru_cache(maxsize=4)
def _register_checks(options: Options) -> None:
    """Import the groups of checks (pgconf_fix.checks) judging the views built here whose
    layer a rule ``options`` select is of: the network views, the server views (parameter
    groups, Cloud SQL flags, Azure configurations), the client views (connection strings in
    strings) and the PgBouncer views (ECS container definitions, views.pgbouncer_env). A run
    of PGF301 alone does not import the client and server checks (10-15 ms of CPU with what they import, connstr and the GUC catalog among it; issue 18, twelfth pass).
    Once per options: the engine asks for a rule's check only when the rule is enabled."""
    from pgconf_fix.catalog import load_catalog

    judged = {rule.layer for rule in load_catalog(options.rules_dirs).values() if options.enabled(rule)}
    if "network" in judged:
        from pgconf_fix.checks import network_checks  # noqa: F401
    if "server" in judged:
        from pgconf_fix.checks import server_checks  # noqa: F401
    if "client" in judged:
        from pgconf_fix.checks import client_checks  # noqa: F401
    if "pgbouncer" in judged:  # ECS container definitions of an environment-configured PgBouncer image
        from pgconf_fix.checks import pgbouncer_checks  # noqa: F401


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    _register_checks(options)  # the checks judging the views built here register themselves
    from pgconf_fix.views.network import build_network_views

    built = build_network_views(workspace, sources, options)
    # Connection strings in the given files' strings (a Lambda's or an ECS task's DATABASE_URL)
    # are judged as the client layer judges them, once a file whatever calls its module; a file
    # Terraform refuses is PGF001 alone.
    holding = [file.source for file in built.files if not file.problems and client.may_hold_connection(file.source.data)]
    if holding:
        from pgconf_fix.views.client import build_client_views

        built.views.extend(build_client_views(workspace, holding, options))
    # Chart values in a helm_release's heredoc (views.terraform_helm): a values file kept in the .tf.
    releases = [file.source for file in built.files if not file.problems and b"helm_release" in file.source.data]
    if releases:
        from pgconf_fix.views.terraform_helm import helm_release_views

        for source in releases:
            built.views.extend(helm_release_views(workspace, source))
    # A PgBouncer configured by the environment of an ECS container definition written in HCL.
    bouncers = [file.source for file in built.files if not file.problems and b"/pgbouncer" in file.source.data]
    if bouncers:
        from pgconf_fix.views.pgbouncer_env import terraform_ecs_pgbouncer_views

        for source in bouncers:
            built.views.extend(terraform_ecs_pgbouncer_views(source))
    return built
