"""The environment of every container a file runs, by image: one walk that both readers of a
container's connection URLs share.

Two readers ask the same question of a file: which variables does each container's environment
set, and where are their values? ``views.pgbouncer_env.entrypoint_url_spans`` (edoburu/pgbouncer's
entrypoint takes its ``DATABASE_URL`` apart: no libpq reads it) and
``views.image_readers.reader_spans`` (a known image's program reads its URL with its own driver).
Both used to parse the file and walk it on their own, in two ways: one followed YAML merge keys
(``<<: *defaults``), the other did not. Compose (compose-go) and kubectl (sigs.k8s.io/yaml over
go-yaml) both expand merge keys, so a service whose ``image`` or ``environment`` comes from an
anchor runs that image with that environment: here every lookup follows them.

A container is any YAML/JSON mapping with an ``image`` (or CloudFormation's ``Image``): a compose
service, a Kubernetes container, an ECS container definition (``task-definition.json``,
CloudFormation's ``ContainerDefinitions``); or, in a Terraform file, an object with a quoted
``image`` and an ``environment`` list (``container_definitions = jsonencode([...])`` or a
heredoc's JSON, documents.hcl_objects). Its environment is read from ``environment``,
``Environment`` and ``env``: compose's map (merge keys in it followed too, so a value from an
anchor is found where the anchor writes it) or ``NAME=value`` list, and lists of
``name``/``value`` items (Kubernetes, ECS; CloudFormation capitalises both keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yaml.nodes import Node

    from pgconf_fix.source import SourceFile

ENVIRONMENT_KEYS = ("environment", "Environment", "env")


@dataclass(frozen=True)
class EnvironmentValue:
    """One variable a container's environment sets: its name as written and the file span
    (offsets into the source's text) of its value (for a ``NAME=value`` item, of the item)."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Container:
    """A container a file runs: the image reference as written, and its environment's values."""

    image: str
    environment: tuple[EnvironmentValue, ...]


def containers(source: SourceFile) -> list[Container]:
    """Every container of a YAML, JSON or Terraform file (see the module), in file order; []
    for a file YAML refuses (its own reading reports that)."""
    if source.path.suffix == ".tf":
        return _hcl_containers(source.text)
    # JSON read as YAML: its tabs, blanks outside strings, read as spaces so offsets stay the file's.
    return _yaml_containers(source.text.replace("\t", " ") if source.path.suffix == ".json" else source.text)


def _yaml_containers(text: str) -> list[Container]:
    # YAML's modules are imported only where YAML is read.
    from yaml.nodes import MappingNode

    from pgconf_fix.documents import yaml_nodes as Y

    try:
        roots = Y.compose_documents(text)
    except Y.YamlError:
        return []
    found = []
    for root in roots:
        for node in Y.walk(root):
            if not isinstance(node, MappingNode):
                continue
            image = Y.scalar_value(Y.merged_get(node, "image") or Y.merged_get(node, "Image"))
            if image is None:
                continue
            values: list[EnvironmentValue] = []
            for key in ENVIRONMENT_KEYS:
                values += _environment_values(Y.merged_get(node, key))
            found.append(Container(image, tuple(values)))
    return found


def _environment_values(environment: Node | None) -> list[EnvironmentValue]:
    """Compose's map or ``NAME=value`` list, or a list of name/value items (Kubernetes, ECS)."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    from pgconf_fix.documents import yaml_nodes as Y

    found: list[EnvironmentValue] = []
    if isinstance(environment, MappingNode):
        found = [EnvironmentValue(key.value, *Y.span(value)) for key, value in Y.merged_items(environment)]
    elif isinstance(environment, SequenceNode):
        for item in environment.value:
            if isinstance(item, ScalarNode):
                if "=" in item.value:
                    found.append(EnvironmentValue(item.value.split("=", 1)[0], *Y.span(item)))
                continue
            name = Y.scalar_value(Y.get(item, "name") or Y.get(item, "Name"))
            value = Y.get(item, "value") or Y.get(item, "Value")
            if name is not None and value is not None:
                found.append(EnvironmentValue(name, *Y.span(value)))
    return found


def _hcl_containers(text: str) -> list[Container]:
    from pgconf_fix.documents.hcl_objects import objects

    found = []
    for container in objects(text):
        image, environment = container.entries.get("image"), container.child("environment")
        if image is None or environment is None:
            continue
        values = []
        for _, item in environment.children:
            named, value = item.entries.get("name"), item.entries.get("value")
            if named is not None and value is not None:
                values.append(EnvironmentValue(named.raw, value.start, value.end))
        found.append(Container(image.raw, tuple(values)))
    return found
