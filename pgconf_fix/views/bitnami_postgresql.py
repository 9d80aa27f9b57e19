"""The bitnami/postgresql image's keepalive settings, written from its compose service's environment.

The image's setup (bitnami/containers, ``bitnami/postgresql/*/debian-12/rootfs/opt/bitnami/scripts/
libpostgresql.sh``, read): ``postgresql_initialize`` generates postgresql.conf from the sample
unless one is mounted in ``/bitnami/postgresql/conf`` (``postgresql_is_file_external``), and
then ``postgresql_configure_connections`` runs ``postgresql_set_property`` for each of
``POSTGRESQL_TCP_KEEPALIVES_IDLE``, ``_INTERVAL`` and ``_COUNT`` that is set and not empty: the
sample's commented line of that parameter becomes ``name = 'value'`` (the value single-quoted,
as written). Unset, the sample's line stays a comment and the kernel's defaults apply. A file
mounted in ``/bitnami/postgresql/conf/conf.d`` (the chart's ``extendedConfiguration``) is
included after those lines and wins. The setup runs when the container's command is the image's
own ``/opt/bitnami/scripts/postgresql/run.sh`` (its entrypoint.sh checks the first argument).

So a compose service of ``bitnami/postgresql`` (or ``bitnamilegacy/postgresql``) whose
``environment`` sets one of those variables is a server view (PGF101-PGF103) of the three
settings; a value is replaced where it is written and a missing one added as a variable of the
same form. It is not read when a volume is mounted in, at or above ``/bitnami/postgresql/conf``
(a mounted postgresql.conf or conf.d decides), or ``/opt/bitnami/postgresql/conf``; when the
service has an ``env_file`` (which may set the variables), an ``entrypoint`` or a ``command``
other than run.sh (the setup may not run) or a ``build`` (the image is built here); or when a
value holds what the script or compose would change (``$``, a quote, a backslash, a line break).
The script was read, not run: no container runtime runs here (tests/test_bitnami_postgresql.py
gives real postgres the lines it writes).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.compose_services import (
    service_entry,
    service_value,
    volume_target,
)
from pgconf_fix.documents.go_yaml_scalar import NotAString, compose_map_value
from pgconf_fix.findings import UNSAFE, Edit, Fix, Location
from pgconf_fix.setting import Refusal
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major
from pgconf_fix.views.placed import PlacedSettings

IMAGE = re.compile(r"(?:^|/)bitnami(?:legacy)?/postgresql(?:[:@]|$)")
VARIABLES = {
    "POSTGRESQL_TCP_KEEPALIVES_IDLE": "tcp_keepalives_idle",
    "POSTGRESQL_TCP_KEEPALIVES_INTERVAL": "tcp_keepalives_interval",
    "POSTGRESQL_TCP_KEEPALIVES_COUNT": "tcp_keepalives_count",
}
CONFIG_DIRS = ("/bitnami/postgresql/conf", "/opt/bitnami/postgresql/conf")
RUN_SCRIPT = "/opt/bitnami/scripts/postgresql/run.sh"
_NOT_AS_IS = "$'\"\\\n"


class _Settings(PlacedSettings):
    """PlacedSettings whose fixes are unsafe where the edit lands in a YAML anchor (``&name``):
    an alias or merge key elsewhere in the file may read the same node, and would change too."""

    def __init__(self, *args: Any, shared: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared = shared  # the place a missing variable is added to is an anchor's
        # Keys whose value (or empty value) is written in an anchor's node.
        self.shared_keys: set[str] = set()

    def fix(self, key: str, value: str) -> Fix | Refusal:
        result = super().fix(key, value)
        current = self.effective(key)  # None: added, or given where it is written empty
        if isinstance(result, Fix) and (key in self.shared_keys or current is None and self.shared):
            note = " (in a YAML anchor other places may read)"
            return replace(result, applicability=UNSAFE, message=result.message + note)
        return result


def _anchored(source: SourceFile, node: Node) -> bool:
    """Whether ``node`` is written with an anchor (an alias resolves to the anchored node)."""
    return source.text.startswith("&", node.start_mark.index)


def _replace_scalar(source: SourceFile, node: ScalarNode, value: str) -> Edit:
    """Y.replace_scalar keeping the scalar's anchor (``&idle "7200"`` becomes ``&idle "60"``)."""
    edit = Y.replace_scalar(source, node, value, string=True)
    anchor = re.match(r"&\S+\s+", source.text[edit.start : edit.end])
    if anchor is None:
        return edit
    return replace(edit, start=edit.start + anchor.end())


def is_bitnami_postgresql(image: str) -> bool:
    """Whether an image reference names bitnami/postgresql (or its bitnamilegacy/ copy)."""
    return IMAGE.search(image.strip()) is not None


def _mounted_over(target: str) -> bool:
    path = target.rstrip("/") or "/"
    return any(path == folder or folder.startswith(path + "/") or path.startswith(folder + "/") for folder in CONFIG_DIRS)


def _runs_setup(command: Node | None) -> bool:
    if command is None or Y.is_null(command):
        return True
    words = [Y.scalar_value(item) for item in command.value] if isinstance(command, SequenceNode) else (Y.scalar_value(command) or "").split()
    return words == [RUN_SCRIPT]


def bitnami_postgresql_view(source: SourceFile, name: str, service: MappingNode, major: Major) -> PlacedSettings | None:
    """The keepalive settings of one compose service running bitnami/postgresql, as its setup
    writes them from the environment (see the module), judged for ``major`` (the image tag's,
    views.compose.version_from_image); None when they are not read."""
    if not is_bitnami_postgresql(Y.scalar_value(service_value(service, "image")) or ""):
        return None
    if any(service_value(service, field) is not None for field in ("env_file", "entrypoint", "build")):
        return None
    if not _runs_setup(service_value(service, "command")):
        return None
    volumes = service_value(service, "volumes")
    if any(_mounted_over(target) for volume in (volumes.value if isinstance(volumes, SequenceNode) else [])
           if (target := volume_target(volume))):  # fmt: skip
        return None
    pair = service_entry(service, "environment")
    if pair is None:
        return None
    key_node, environment = pair
    entries = _entries(source, environment)
    if entries is None or not any(variable in VARIABLES for variable, _, _ in entries):
        return None
    if any(value is None for variable, value, _ in entries if variable in VARIABLES):
        return None  # named without a value: the shell's when compose runs, not here
    empty: dict[str, ScalarNode] = {}  # a variable written empty is given its value where it is

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        if key in empty:
            variable = next(name for name, written in VARIABLES.items() if written == key)
            return _replace(source, environment, empty[key], variable, value)
        return _insert(source, environment, key, value)

    what = f"the environment of compose service {name}, which bitnami/postgresql writes into postgresql.conf"
    home = Location(source, key_node.start_mark.index, key_node.end_mark.index)
    own = {id(node) for _, node in Y.items(environment)} if isinstance(environment, MappingNode) else set()
    shared = _anchored(source, environment)
    view = _Settings("server", source, what, home, insert, major=major, shared=shared)
    for variable, value, node in entries:
        key = VARIABLES.get(variable)
        if key is None:
            continue
        if not value:
            empty[key] = node  # an empty value writes nothing
            if shared or _anchored(source, node) or (isinstance(environment, MappingNode) and id(node) not in own):
                view.shared_keys.add(key)
            continue
        empty.pop(key, None)
        if shared or _anchored(source, node) or (isinstance(environment, MappingNode) and id(node) not in own):
            view.shared_keys.add(key)  # merged from an anchor, or one itself
        else:
            view.shared_keys.discard(key)
        if any(char in value for char in _NOT_AS_IS):
            return None
        start, end = Y.span(node)
        span = _value_span(source, node, value, variable, isinstance(environment, MappingNode))
        view.add(key, value, Location(source, start, end), span,
                 lambda new, node=node, variable=variable: _replace(source, environment, node, variable, new))  # fmt: skip
    return view.finish()


def kubernetes_bitnami_postgresql_view(source: SourceFile, name: str, container: MappingNode, major: Major) -> PlacedSettings | None:
    """The same for a Kubernetes container of bitnami/postgresql (a StatefulSet's, a Pod's...),
    whose ``env`` is a list of ``name``/``value`` items. Not read with ``envFrom`` or a
    variable's ``valueFrom`` (values not here), a ``command`` (the image's entrypoint does not
    run) or ``args`` other than run.sh, or a ``volumeMounts`` path in, at or above the
    configuration folders."""
    if not is_bitnami_postgresql(Y.scalar_value(Y.get(container, "image")) or ""):
        return None
    if Y.get(container, "envFrom") is not None or Y.get(container, "command") is not None or not _runs_setup(Y.get(container, "args")):
        return None
    mounts = Y.get(container, "volumeMounts")
    if any(_mounted_over(Y.scalar_value(Y.get(mount, "mountPath")) or "") for mount in (mounts.value if isinstance(mounts, SequenceNode) else [])):
        return None
    pair = Y.entry(container, "env")
    if pair is None or not isinstance(pair[1], SequenceNode):
        return None
    key_node, environment = pair
    what = f"the env of container {name}, which bitnami/postgresql writes into postgresql.conf"
    home = Location(source, key_node.start_mark.index, key_node.end_mark.index)
    empty: dict[str, MappingNode] = {}  # an item whose value is empty or absent is given one there

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        item = empty.get(key)
        if item is None:
            return _append_item(source, environment, key, value)
        written = Y.get(item, "value")
        if isinstance(written, ScalarNode):
            start, end = Y.span(written)
            if start == end:  # "value:" with nothing after it
                return (Edit(source, start, end, " " + Y.render_scalar(value, string=True)),)
            return (Y.replace_scalar(source, written, value, string=True),)
        return Y.insert_entries(source, item, [("value", Y.render_scalar(value, string=True))])

    view = PlacedSettings("server", source, what, home, insert, major=major)
    read = False
    for item in environment.value:
        variable = Y.scalar_value(Y.get(item, "name"))
        key = VARIABLES.get(variable or "")
        if key is None:
            continue
        value = Y.get(item, "value")
        if Y.get(item, "valueFrom") is not None or any(entry.tag == Y.MERGE_TAG for entry, _ in Y.items(item)):
            return None
        if value is None or Y.is_null(value) or not value.value:
            if isinstance(item, MappingNode) and (value is None or isinstance(value, ScalarNode)):
                empty[key] = item  # an empty value writes nothing
            read = True
            continue
        empty.pop(key, None)
        if not isinstance(value, ScalarNode) or value.tag != Y.STR_TAG or any(char in value.value for char in _NOT_AS_IS):
            return None  # the API server refuses a number; the script would change the rest
        start, end = Y.span(item)
        view.add(key, value.value, Location(source, start, end), _value_span(source, value, value.value, variable or "", True),
                 lambda new, value=value: (Y.replace_scalar(source, value, new, string=True),))  # fmt: skip
        read = True
    return view.finish() if read else None


def _append_item(source: SourceFile, environment: SequenceNode, key: str, value: str) -> tuple[Edit, ...]:
    variable = next(name for name, written in VARIABLES.items() if written == key)
    rendered = Y.render_scalar(value, string=True)
    if environment.flow_style:
        if not environment.value:
            return ()  # an empty flow list: several insertions would run together
        return Y.append_items(source, environment, [f"{{name: {variable}, value: {rendered}}}"])
    indent = " " * environment.value[0].start_mark.column  # the items' keys' (env: &env starts at its anchor)
    return Y.append_items(source, environment, [f"name: {variable}{source.newline}{indent}value: {rendered}"])


def _entries(source: SourceFile, environment: Node) -> list[tuple[str, str | None, ScalarNode]] | None:
    """(variable, value, the scalar holding it) of a compose ``environment``: a map (a value as
    the text compose passes, go_yaml_scalar.compose_map_value), or a list of ``NAME=value``
    items; None for anything else. The value is None for a variable named
    without one (a map's null, an item without ``=``), which compose takes from the shell it
    runs in, or leaves unset (https://docs.docker.com/reference/compose-file/services/#environment)."""
    found: list[tuple[str, str | None, ScalarNode]] = []
    if isinstance(environment, MappingNode):
        for key, value in Y.merged_items(environment):
            if not isinstance(value, ScalarNode):
                return None
            try:  # the text compose passes: 0o74 is "60", 7200.0 is "7200" (documents.go_yaml_scalar)
                passed = None if Y.is_null(value) else compose_map_value(value.value, source.text[slice(*Y.span(value))])
            except NotAString:
                if key.value in VARIABLES:
                    return None  # a timestamp: what compose passes is not worked out here
                continue
            found.append((key.value, passed, value))
        return found
    if isinstance(environment, SequenceNode):
        for item in environment.value:
            if not isinstance(item, ScalarNode):
                return None
            name, equals, value = item.value.partition("=")
            found.append((name, value if equals else None, item))
        return found
    return None


def _value_span(source: SourceFile, node: ScalarNode, value: str, variable: str, mapping: bool) -> tuple[int, int] | None:
    """The file span of the value when the scalar writes it as it is (plain or quoted without
    escapes), else None (the value is then shown and located by its scalar)."""
    start, end = Y.span(node)
    written = source.text[start:end]
    inner = written[1:-1] if written[:1] in "'\"" else written
    offset = start + (1 if written[:1] in "'\"" else 0)
    text = value if mapping else f"{variable}={value}"
    if inner != text:
        return None
    if not mapping:
        offset += len(variable) + 1
    return offset, offset + len(value)


def _replace(source: SourceFile, environment: Node, node: ScalarNode, variable: str, value: str) -> tuple[Edit, ...]:
    if isinstance(environment, MappingNode):
        return (_replace_scalar(source, node, value),)
    return (_replace_scalar(source, node, f"{variable}={value}"),)


def _insert(source: SourceFile, environment: Node, key: str, value: str) -> tuple[Edit, ...]:
    variable = next(name for name, written in VARIABLES.items() if written == key)
    if not environment.value and getattr(environment, "flow_style", False):
        return ()  # an empty flow collection: several insertions would run together
    if isinstance(environment, MappingNode):
        return Y.insert_entries(source, environment, [(variable, Y.render_scalar(value, string=True))])
    style = Y.quote_style(environment.value)
    return Y.append_items(source, environment, [Y.render_scalar(f"{variable}={value}", style=style, string=True)])
