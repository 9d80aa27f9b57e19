"""PgBouncer configured by environment variables: a compose service, a Kubernetes container or
an ECS container definition running the ``edoburu/pgbouncer`` or the ``bitnami/pgbouncer``
image, whose entrypoint writes its ``pgbouncer.ini`` from the container's environment, judged by
PGF601-PGF604 as that file would be (``EnvironmentImage``: what each image writes).

What the entrypoint does (edoburu/docker-pgbouncer ``entrypoint.sh`` at ``91a581b``, June 2026,
read and run once over a private ``/etc/pgbouncer``): when no ``pgbouncer.ini`` exists yet, it writes a ``[pgbouncer]`` section in which a
setting such as ``tcp_keepidle`` appears as ``tcp_keepidle = <value>`` only when the variable
of its name in upper case (``TCP_KEEPIDLE``) is set and not empty, through ``printf``, so that
``%`` and ``\\`` in a value are printf's. So this view reads the service's ``environment:`` (a
map or a list of ``NAME=value``), or the container's ``env`` list, as that section; a key whose
variable is not set is PgBouncer's default, and a fix sets the variable (its value in place, or
a new entry; a Kubernetes value is written as a string, which the API requires).

Not read (the view is not built): a service or container that mounts anything at
``/etc/pgbouncer`` (a file there wins over the environment), that does not run the image's
entrypoint (compose's ``entrypoint:``, a container's ``command``) or starts PgBouncer on another
file (a ``.ini`` named in ``command:``/``args``; the entrypoint ends in ``exec "$@"``), that
compose builds from a Dockerfile (``build:``), that takes variables from elsewhere
(``env_file:``, ``envFrom``, a ``valueFrom`` for one of these names), or whose variables of these
names hold a compose interpolation (``$``), ``%`` or ``\\``, or is named with no value (compose
then takes it from the shell it runs in: adding it again would also repeat a key compose refuses).

``bitnami/pgbouncer`` (bitnami/containers ``bitnami/pgbouncer/1/debian-12``, read, not run: no
image is pulled here): its entrypoint runs its setup only when the command is its own
``/opt/bitnami/scripts/pgbouncer/run.sh``; the setup deletes
``/opt/bitnami/pgbouncer/conf/pgbouncer.ini`` and writes a new one with bitnami's ``ini-file
set``, one ``key = value`` for each of a fixed list of ``PGBOUNCER_<KEY>`` variables that is set
and not empty (``PGBOUNCER_SERVER_IDLE_TIMEOUT`` -> ``server_idle_timeout``), cut at the first
``:`` by ``awk -F:``, unless a ``pgbouncer.ini`` is mounted in ``/bitnami/pgbouncer/conf``
(copied over it, and then nothing is written). The list has no ``tcp_keep*`` and no
``server_check_*`` variable: those keys stay PgBouncer's defaults, and a finding about them has no
fix in the environment. ``<NAME>_FILE`` variables read a value from a file (not known here).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.compose_services import (
    service_entry,
    service_value,
    volume_target,
)
from pgconf_fix.documents.go_yaml_scalar import NotAString, compose_map_value
from pgconf_fix.documents.hcl_objects import Frame, HclString
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.pgbouncer import PgBouncerConfig

if TYPE_CHECKING:
    from pgconf_fix.views.container_environments import Container

# The settings edoburu's entrypoint writes from a variable of the key's name in upper case.
ENVIRONMENT_KEYS = (
    "tcp_keepalive", "tcp_keepcnt", "tcp_keepidle", "tcp_keepintvl", "tcp_user_timeout",
    "server_idle_timeout", "server_lifetime", "server_check_delay", "server_check_query", "server_connect_timeout",
)  # fmt: skip
_HEADER = "[pgbouncer]\n"


@dataclass(frozen=True)
class EnvironmentImage:
    """An image whose entrypoint writes pgbouncer.ini from the container's environment.

    ``variables``: variable -> the key it writes (of the keys the rules read); ``config_dirs``:
    a mount at, in or above one of these puts a file there that wins over the environment (the
    view is not built); ``not_as_is``: characters of a value the view does not read past;
    ``setup_command``: the command (CMD) the entrypoint sets up for, "" when it sets up for any
    command that names no other ``.ini``; ``file_variables``: whether ``<NAME>_FILE`` reads a
    variable's value from a file."""

    name: str  # "edoburu/pgbouncer"
    pattern: re.Pattern[str]
    variables: dict[str, str]
    config_dirs: tuple[str, ...]
    written_file: str  # the file the entrypoint writes
    not_as_is: str
    setup_command: str = ""
    file_variables: bool = False

    def variable(self, key: str) -> str | None:
        """The variable that writes ``key`` (None: none does)."""
        return next((name for name, written in self.variables.items() if written == key), None)

    def unknown(self, name: str) -> bool:
        """Whether a variable named ``name`` sets one of ours in a way not known here."""
        return self.file_variables and name.endswith("_FILE") and name[: -len("_FILE")] in self.variables

    def mounted_over(self, path: str) -> bool:
        """Whether a volume mounted at ``path`` can hold the file this image reads instead."""
        path = path.rstrip("/") or "/"
        return any(path == folder or folder.startswith(path + "/") or path.startswith(folder + "/") or path == "/"
                   for folder in self.config_dirs)  # fmt: skip

    def runs_setup(self, words: list[str] | None) -> bool:
        """Whether the entrypoint writes the file and PgBouncer reads it, for a command (CMD)
        of ``words`` (None: the image's own)."""
        if words is None:
            return True
        if self.setup_command:
            return bool(words) and words[0] == self.setup_command and not any(w.endswith(".ini") for w in words[1:])
        return not any(word.endswith(".ini") and word != self.written_file for word in words)


# edoburu/docker-pgbouncer's entrypoint.sh (the module's docstring): printf writes each value,
# so compose's interpolation, printf's conversions and escapes, and a line break are not read past.
EDOBURU = EnvironmentImage(
    "edoburu/pgbouncer", re.compile(r"(?:^|/)edoburu/pgbouncer(?:[:@]|$)"),
    {key.upper(): key for key in ENVIRONMENT_KEYS}, ("/etc/pgbouncer",), "/etc/pgbouncer/pgbouncer.ini", "$%\\\n",
)  # fmt: skip
# bitnami/containers bitnami/pgbouncer/1/debian-12 (libpgbouncer.sh, pgbouncer-env.sh,
# entrypoint.sh, run.sh, Dockerfile; the module's docstring); bitnamilegacy/ holds its older tags.
# Its values pass through awk (cut at ":") and ini-file (a '#', ';', quote or blank might be
# written otherwise): only plain words are read.
BITNAMI = EnvironmentImage(
    "bitnami/pgbouncer", re.compile(r"(?:^|/)bitnami(?:legacy)?/pgbouncer(?:[:@]|$)"),
    {"PGBOUNCER_SERVER_IDLE_TIMEOUT": "server_idle_timeout", "PGBOUNCER_SERVER_LIFETIME": "server_lifetime",
     "PGBOUNCER_SERVER_CONNECT_TIMEOUT": "server_connect_timeout"},
    ("/bitnami/pgbouncer/conf", "/opt/bitnami/pgbouncer/conf"), "/opt/bitnami/pgbouncer/conf/pgbouncer.ini",
    "$%\\\n:#;'\" \t", setup_command="/opt/bitnami/scripts/pgbouncer/run.sh", file_variables=True,
)  # fmt: skip
IMAGES = (EDOBURU, BITNAMI)


# The variables whose URLs the entrypoint takes apart itself (its parse_url, with sed and cut)
# into [databases] lines: no libpq reads them. A query there ends up in the database's name,
# a line PgBouncer refuses ("syntax error in configuration", and it does not start).
URL_VARIABLES = ("DATABASE_URL", "DATABASE_URLS")


def environment_image(image: str) -> EnvironmentImage | None:
    """The image ``image`` names when its entrypoint writes pgbouncer.ini from the environment."""
    return next((known for known in IMAGES if known.pattern.search(image.strip())), None)


def is_environment_configured(image: str) -> bool:
    """Whether ``image`` is one whose entrypoint writes pgbouncer.ini from the environment."""
    return environment_image(image) is not None


@dataclass
class _Line:
    """One written ``key = value`` line: where its value is in the ini text and in the file."""

    ini_value: int  # offset of the value in the ini text
    value: str
    node: ScalarNode  # the scalar holding the value (a map's value, or a list's NAME=value item)
    file_value: int | None  # file offset of the value's first character when written as is
    entry: int  # file offset of the variable's entry
    name: str  # the variable


def _line_at(text: str, lines: list, offset: int) -> tuple[Any, bool] | None:
    """The written ``key = value`` line of an ini ``text`` that holds ``offset`` (``lines``:
    objects with ``ini_value``, the offset of the value, and ``value``), and whether ``offset``
    is inside its value; None for an offset before every line (the header)."""
    for line in reversed(lines):
        if offset < text.rfind("\n", 0, line.ini_value) + 1:
            continue
        return line, line.ini_value <= offset <= line.ini_value + len(line.value)
    return None


@dataclass
class EnvironmentHost:
    """The ``[pgbouncer]`` section the entrypoint would write, as a host of a pgbouncer.ini
    (pgconf_fix.views.pgbouncer.Host): offsets map back to the compose file, and edits to the
    ini become edits of the service's ``environment:``."""

    source: SourceFile
    environment: Node
    home: int  # file offset of the ``environment:`` (or ``env:``) key
    kubernetes: bool = False  # a container's env list of {name, value}
    item_keys: tuple[str, str] = ("name", "value")  # CloudFormation's ECS: ("Name", "Value")
    text: str = _HEADER
    lines: list[_Line] = field(default_factory=list)
    image: EnvironmentImage = EDOBURU

    def take(self, name: str, value: str, node: ScalarNode, file_value: int | None, entry: int) -> bool:
        """Write the line variable ``name`` gives (none when its value is empty); False when the
        value is not one the entrypoint writes as it is (``EnvironmentImage.not_as_is``): the
        view is not built."""
        if any(char in value for char in self.image.not_as_is):
            return False
        if value:
            key = self.image.variables[name]
            start = len(self.text) + len(key) + 3
            self.lines.append(_Line(start, value, node, file_value, entry, name))
            self.text += f"{key} = {value}\n"
        return True

    def refuses_insert(self) -> bool:
        """Whether a new variable cannot be added: an empty flow collection (``environment:
        {}``), where several fixes' separate insertions would run together."""
        return not self.environment.value and bool(getattr(self.environment, "flow_style", False))

    def to_file(self, offset: int) -> int:
        found = _line_at(self.text, self.lines, offset)
        if found is None:
            return self.home
        line, inside = found
        if not inside:
            return line.entry
        if line.file_value is not None:
            return line.file_value + (offset - line.ini_value)
        start, end = Y.span(line.node)  # written otherwise: the whole scalar stands for it
        return start if offset == line.ini_value else end

    def edit(self, start: int, end: int, content: str) -> Edit:
        """An edit of the ini as an edit of the environment: a new ``key = value`` line becomes a
        new variable; a change inside a value, the variable's value. ValueError otherwise."""
        added = re.fullmatch(r"\n([a-z_]+) = (.*)", content)
        if start == end and added is not None:
            name = self.image.variable(added.group(1))
            if name is None:
                raise ValueError(f"{self.image.name} writes no {added.group(1)} from its environment")
            return self._insert(name, added.group(2))
        for line in self.lines:
            if line.ini_value <= start <= end <= line.ini_value + len(line.value):
                local = start - line.ini_value
                value = line.value[:local] + content + line.value[end - line.ini_value :]
                if self.kubernetes:
                    return Y.replace_scalar(self.source, line.node, value, string=True)
                if isinstance(self.environment, MappingNode):
                    return Y.replace_scalar(self.source, line.node, value)
                return Y.replace_scalar(self.source, line.node, f"{line.name}={value}", string=True)
        raise ValueError("no environment entry holds this part of the section")

    def _insert(self, name: str, value: str) -> Edit:
        if self.kubernetes:
            assert isinstance(self.environment, SequenceNode)
            name_key, value_key = self.item_keys
            if self.source.path.suffix == ".json":  # a JSON task definition: a JSON object
                quoted = Y.double_quoted
                return Y.append_json(
                    self.source, self.environment, f"{{{quoted(name_key)}: {quoted(name)}, {quoted(value_key)}: {quoted(value)}}}"
                )
            rendered = Y.render_scalar(value, string=True)
            if self.environment.flow_style:
                item = f"{{{name_key}: {name}, {value_key}: {rendered}}}"
            else:
                indent = " " * (self.environment.start_mark.column + 2)
                item = f"{name_key}: {name}{self.source.newline}{indent}{value_key}: {rendered}"
            (edit,) = Y.append_items(self.source, self.environment, [item])
            return edit
        if isinstance(self.environment, MappingNode):
            (edit,) = Y.insert_entries(self.source, self.environment, [(name, Y.render_scalar(value))])
            return edit
        assert isinstance(self.environment, SequenceNode)
        style = Y.quote_style(self.environment.value)
        (edit,) = Y.append_items(self.source, self.environment, [Y.render_scalar(f"{name}={value}", style=style, string=True)])
        return edit


class EnvironmentPgBouncer(PgBouncerConfig):
    """A PgBouncer whose ``[pgbouncer]`` section is written from a compose service's environment."""

    def __init__(self, host: EnvironmentHost, service: str) -> None:
        self.service = service  # "compose service db", "container pgbouncer"
        super().__init__(host)

    def reader_note(self, location: Location) -> str:
        image: EnvironmentImage = self.host.image  # type: ignore[attr-defined]
        if image is EDOBURU:
            return f" (edoburu/pgbouncer writes it into pgbouncer.ini from the environment of {self.service})"
        return f" ({image.name} writes pgbouncer.ini from the environment of {self.service})"

    def missing_note(self, key: str) -> str:
        image: EnvironmentImage = self.host.image  # type: ignore[attr-defined]
        name = image.variable(key)
        if name is not None:
            return f" ({name} is not set)"
        return (f" (no variable of {image.name} sets it: a pgbouncer.ini mounted in {image.config_dirs[0]} "
                "replaces the one the image writes, and must hold every setting)")  # fmt: skip

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        """As a pgbouncer.ini's, except that no variable is added to an empty flow collection
        (``environment: {}``): several fixes' separate insertions there would run together; and
        a key no variable of the image writes has no edit."""
        if self.host.image.variable(key) is None:  # type: ignore[attr-defined]
            return ()
        if self.effective(key) is None and self.host.refuses_insert():  # type: ignore[attr-defined]
            return ()
        return super().set_edits(key, value)


def _entries(
    source: SourceFile, environment: Node, image: EnvironmentImage
) -> list[tuple[str, str, ScalarNode, int | None, int]] | None:
    """(name, value, value node, file offset of the value when written as is, entry offset) of
    each variable set; None when the environment is not one this view reads."""
    found = []
    variables = image.variables
    if isinstance(environment, MappingNode):
        for key, value in Y.items(environment):
            if not isinstance(value, ScalarNode):
                return None
            if image.unknown(key.value):
                return None  # a value read from a file
            if Y.is_null(value):
                if key.value in variables:
                    return None  # NAME with no value: compose takes it from its shell, not known here
                continue
            try:  # the text compose passes: 7200.0 is "7200" (documents.go_yaml_scalar)
                passed = compose_map_value(value.value, source.text[slice(*Y.span(value))])
            except NotAString:
                if key.value in variables:
                    return None  # a timestamp: what compose passes is not worked out here
                continue
            if passed is None:
                continue
            written_at = _written_at(source, value, 0) if passed == value.value else None
            found.append((key.value, passed, value, written_at, key.start_mark.index))
    elif isinstance(environment, SequenceNode):
        for item in environment.value:
            if not isinstance(item, ScalarNode):
                continue
            if "=" not in item.value:
                if item.value in variables:
                    return None  # likewise: a name alone is taken from compose's shell
                continue
            name, value = item.value.split("=", 1)
            if image.unknown(name):
                return None
            found.append((name, value, item, _written_at(source, item, len(name) + 1), Y.span(item)[0]))
    else:
        return None
    return found


def _written_at(source: SourceFile, node: ScalarNode, skip: int) -> int | None:
    """The file offset of ``node.value[skip:]`` when the scalar writes its value as is, bare or
    inside its quotes; None otherwise (an escape, a folded line)."""
    start, end = Y.span(node)
    written = source.text[start:end]
    if written == node.value:
        return start + skip
    if len(written) >= 2 and written[0] in "'\"" and written[-1] == written[0] and written[1:-1] == node.value:
        return start + 1 + skip
    return None


def _command_words(command: Node | None) -> list[str] | None:
    """The words of a command (CMD) as written, a list's items split at blanks; None when none
    is written (the image's own)."""
    if command is None:
        return None
    if isinstance(command, SequenceNode):
        return [word for item in command.value for word in (Y.scalar_value(item) or "").split()]
    return (Y.scalar_value(command) or "").split()


def _other_ini(command: Node | None, image: EnvironmentImage = EDOBURU) -> bool:
    """Whether a command (CMD) keeps the entrypoint from writing the file PgBouncer reads: one
    naming another configuration file (``pgbouncer /etc/pgbouncer/custom.ini``: PgBouncer then
    reads that), or, for an image that sets up only for its own command, any other command."""
    return not image.runs_setup(_command_words(command))


def environment_pgbouncer_view(source: SourceFile, name: str, service: MappingNode) -> EnvironmentPgBouncer | None:
    """The PgBouncer view of one compose service running an environment-configured image;
    None when the service's settings are not read (see the module's docstring). Its fields are
    read through merge keys, as compose reads them (documents.compose_services)."""
    if service_value(service, "env_file") is not None:
        return None
    if service_value(service, "entrypoint") is not None or service_value(service, "build") is not None:
        return None  # the image's entrypoint does not run, or the image is built from a Dockerfile here
    image = environment_image(Y.scalar_value(service_value(service, "image")) or "")
    if image is None or _other_ini(service_value(service, "command"), image):
        return None
    volumes = service_value(service, "volumes")
    for volume in volumes.value if isinstance(volumes, SequenceNode) else []:
        target = volume_target(volume)
        if target and _mounted_over(image, target):
            return None
    pair = service_entry(service, "environment")
    if pair is None:
        return None
    entries = _entries(source, pair[1], image)
    if entries is None:
        return None
    host = EnvironmentHost(source, pair[1], pair[0].start_mark.index, image=image)
    for variable, value, node, file_value, entry in entries:
        if variable in image.variables and not host.take(variable, value, node, file_value, entry):
            return None
    return EnvironmentPgBouncer(host, f"compose service {name}")


def kubernetes_pgbouncer_view(source: SourceFile, name: str, container: MappingNode) -> EnvironmentPgBouncer | None:
    """The PgBouncer view of one Kubernetes container running an environment-configured image;
    None when its settings are not read (see the module's docstring)."""
    if Y.get(container, "envFrom") is not None:
        return None
    image = environment_image(Y.scalar_value(Y.get(container, "image")) or "")
    if image is None or Y.get(container, "command") is not None or _other_ini(Y.get(container, "args"), image):
        return None  # command replaces the image's entrypoint; args may name another file
    mounts = Y.get(container, "volumeMounts")
    for mount in mounts.value if isinstance(mounts, SequenceNode) else []:
        path = Y.scalar_value(Y.get(mount, "mountPath")) or ""
        if _mounted_over(image, path):
            return None
    pair = Y.entry(container, "env")
    if pair is None or not isinstance(pair[1], SequenceNode):
        return None
    host = EnvironmentHost(source, pair[1], pair[0].start_mark.index, kubernetes=True, image=image)
    for item in pair[1].value:
        variable = Y.scalar_value(Y.merged_get(item, "name"))
        if variable is not None and image.unknown(variable):
            return None  # a value read from a file
        if variable not in image.variables:
            continue
        if any(key.tag == Y.MERGE_TAG for key, _ in Y.items(item)):
            return None  # an item built with a merge key (<<: *anchor): its value is written in a shared mapping
        value = Y.get(item, "value")
        if Y.get(item, "valueFrom") is not None or not isinstance(value, ScalarNode) or value.tag != Y.STR_TAG:
            return None
        if not host.take(variable, value.value, value, _written_at(source, value, 0), item.start_mark.index):
            return None
    return EnvironmentPgBouncer(host, f"container {name}")


def ecs_pgbouncer_view(source: SourceFile, container: MappingNode, capitalized: bool) -> EnvironmentPgBouncer | None:
    """The PgBouncer view of one ECS container definition running an environment-configured
    image: a task definition's ``containerDefinitions`` item (``task-definition.json``), or, with
    ``capitalized``, a CloudFormation ``AWS::ECS::TaskDefinition``'s ``ContainerDefinitions``
    item. ECS hands ``environment`` (``{"name": ..., "value": ...}`` items, string values) to
    the container as its variables; ``entryPoint`` replaces the image's entrypoint and
    ``command`` its CMD; ``environmentFiles`` and ``secrets`` set variables not read here, and a
    ``mountPoints`` path at /etc/pgbouncer puts another ini there: the view is then not built
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html)."""

    def key(name: str) -> str:
        return name[0].upper() + name[1:] if capitalized else name

    if Y.get(container, key("environmentFiles")) is not None or Y.get(container, key("entryPoint")) is not None:
        return None
    image = environment_image(Y.scalar_value(Y.get(container, key("image"))) or "")
    if image is None or _other_ini(Y.get(container, key("command")), image):
        return None
    mounts = Y.get(container, key("mountPoints"))
    for mount in mounts.value if isinstance(mounts, SequenceNode) else []:
        path = Y.scalar_value(Y.get(mount, key("containerPath"))) or ""
        if _mounted_over(image, path):
            return None
    secrets = Y.get(container, key("secrets"))
    named = [Y.scalar_value(Y.get(item, key("name"))) or "" for item in (secrets.value if isinstance(secrets, SequenceNode) else [])]
    if any(name in image.variables or image.unknown(name) for name in named):
        return None
    pair = Y.entry(container, key("environment"))
    if pair is None or not isinstance(pair[1], SequenceNode):
        return None
    host = EnvironmentHost(source, pair[1], pair[0].start_mark.index, kubernetes=True,
                           item_keys=(key("name"), key("value")), image=image)  # fmt: skip
    for item in pair[1].value:
        variable = Y.scalar_value(Y.get(item, key("name")))
        if variable is not None and image.unknown(variable):
            return None  # a value read from a file
        if variable not in image.variables:
            continue
        value = Y.get(item, key("value"))
        if not isinstance(value, ScalarNode) or value.tag != Y.STR_TAG:
            return None  # not a string: the ECS API refuses it (botocore: "Invalid type for parameter")
        if not host.take(variable, value.value, value, _written_at(source, value, 0), item.start_mark.index):
            return None
    name = Y.scalar_value(Y.get(container, key("name"))) or "?"
    return EnvironmentPgBouncer(host, f"ECS container {name}")


@dataclass
class _HclLine:
    """One written ``key = value`` line of a Terraform ECS definition: the value's place in the
    ini text and the quoted string holding it (written as is: ``EnvironmentImage.not_as_is``)."""

    ini_value: int
    value: str
    string: HclString
    name: str


@dataclass
class HclEnvironmentHost:
    """The ``[pgbouncer]`` section edoburu/pgbouncer writes from the environment of an ECS
    container definition written in Terraform's HCL (``container_definitions =
    jsonencode([...])``), as a host of a pgbouncer.ini (views.pgbouncer.Host): offsets map back
    to the .tf file, a changed value is an edit of the item's quoted value, and a new key a new
    item shaped as the last one (its text, with its name and value strings replaced)."""

    source: SourceFile
    environment: Frame  # the environment tuple
    image: EnvironmentImage = EDOBURU
    text: str = _HEADER
    lines: list[_HclLine] = field(default_factory=list)

    def take(self, name: str, value: HclString) -> bool:
        """As EnvironmentHost.take, for an item whose value is ``value``."""
        if any(char in value.raw for char in self.image.not_as_is + '"'):
            return False
        if value.raw:
            key = self.image.variables[name]
            self.lines.append(_HclLine(len(self.text) + len(key) + 3, value.raw, value, name))
            self.text += f"{key} = {value.raw}\n"
        return True

    def refuses_insert(self) -> bool:
        """Whether a new item cannot be added: no last item of the plain ``{name, value}``
        shape to copy, or a tuple the closing bracket of which is not known."""
        items = [frame for _, frame in self.environment.children]
        if not items or self.environment.end < 0 or len(items) != len(self.environment.children):
            return True
        last = items[-1]
        named, valued = last.entries.get("name"), last.entries.get("value")
        return (sorted(last.keys) != ["name", "value"] or last.children or named is None or valued is None
                or named.start > valued.start)  # fmt: skip

    def to_file(self, offset: int) -> int:
        found = _line_at(self.text, self.lines, offset)
        if found is None:
            return self.environment.start
        line, inside = found
        return line.string.start + 1 + (offset - line.ini_value) if inside else line.string.start

    def edit(self, start: int, end: int, content: str) -> Edit:
        """An edit of the ini as an edit of the .tf: a new ``key = value`` line becomes a new
        item; a change inside a value, the item's value. ValueError otherwise."""
        if any(char in content for char in '"\\$%{}\r'):
            raise ValueError("a value HCL would not hold as written")
        added = re.fullmatch(r"\n([a-z_]+) = (.*)", content)
        if start == end and added is not None:
            name = self.image.variable(added.group(1))
            if name is None or self.refuses_insert():
                raise ValueError(f"no item of {self.image.name}'s environment can be added for {added.group(1)}")
            return self._insert(name, added.group(2))
        for line in self.lines:
            if line.ini_value <= start <= end <= line.ini_value + len(line.value):
                at = line.string.start + 1 - line.ini_value
                return Edit(self.source, at + start, at + end, content)
        raise ValueError("no environment item holds this part of the section")

    def _insert(self, name: str, value: str) -> Edit:
        text, newline = self.source.text, self.source.newline
        last = self.environment.children[-1][1]
        named, valued = last.entries["name"], last.entries["value"]
        item = (text[last.start : named.start] + f'"{name}"' + text[named.end : valued.start]
                + f'"{value}"' + text[valued.end : last.end + 1])  # fmt: skip
        line_start = text.rfind("\n", 0, last.start) + 1
        indent = text[line_start : last.start]
        own_line = not indent.strip()
        if self.environment.trailing >= 0:  # "item," last: the new item after the comma, with its own
            at = self.environment.trailing + 1
            return Edit(self.source, at, at, f"{newline}{indent}{item}," if own_line else f" {item},")
        at = last.end + 1
        return Edit(self.source, at, at, f",{newline}{indent}{item}" if own_line else f", {item}")


def terraform_ecs_pgbouncer_views(source: SourceFile) -> list[EnvironmentPgBouncer]:
    """The PgBouncer views of the ECS container definitions a Terraform file writes in HCL (an
    object with a quoted ``image`` of edoburu/ or bitnami/pgbouncer, as ``jsonencode`` turns it
    into the task definition's JSON), read as ``ecs_pgbouncer_view`` reads the JSON: not built
    when ``entryPoint`` or ``environmentFiles`` is set, ``command`` keeps the entrypoint from
    writing the file, a ``mountPoints`` path is over its folder, ``secrets`` name one of its
    variables, or the environment is not a written list of ``{name = "...", value = "..."}``
    objects (a reference, a function, a number where ECS takes only strings). A heredoc's JSON
    is not read as a view (terraform fmt, the proof of a fix, does not read inside it)."""
    if "/pgbouncer" not in source.text:
        return []
    from pgconf_fix.documents.hcl_objects import objects

    views = []
    for container in objects(source.text):
        written = container.entries.get("image")
        image = environment_image(written.raw) if written is not None else None
        if image is None or container.in_heredoc:
            continue
        view = _terraform_ecs_view(source, container, image)
        if view is not None:
            views.append(view)
    return views


def _terraform_ecs_view(source: SourceFile, container: Frame, image: EnvironmentImage) -> EnvironmentPgBouncer | None:
    if {"entryPoint", "environmentFiles"} & set(container.keys):
        return None
    if "command" in container.keys:
        command = container.child("command")
        if command is None or command.kind != "[" or command.children:
            return None  # not a written list of strings
        if not image.runs_setup([word for item in command.strings for word in item.raw.split()]):
            return None
    for key, check in (("mountPoints", "containerPath"), ("secrets", "name")):
        if key not in container.keys:
            continue
        listed = container.child(key)
        if listed is None:
            return None  # a reference or function: what it holds is not known here
        for _, item in listed.children:
            value = item.entries.get(check)
            if value is None:
                return None
            if key == "mountPoints" and _mounted_over(image, value.raw):
                return None
            if key == "secrets" and (value.raw in image.variables or image.unknown(value.raw)):
                return None
    if "environment" not in container.keys:
        return None  # no written list to add a variable to
    environment = container.child("environment")
    if environment is None or environment.kind != "[" or environment.strings:
        return None
    host = HclEnvironmentHost(source, environment, image)
    for _, item in environment.children:
        named = item.entries.get("name")
        if item.kind != "{" or named is None or "${" in named.raw or "%{" in named.raw:
            return None  # a name not known here may be one of these variables
        if image.unknown(named.raw):
            return None
        if named.raw not in image.variables:
            continue
        value = item.entries.get("value")
        if value is None or item.children:
            return None  # not a string: the ECS API refuses it, or it is not known here
        if not host.take(named.raw, value):
            return None
    called = container.entries.get("name")
    return EnvironmentPgBouncer(host, f"ECS container {called.raw if called is not None else '?'}")  # type: ignore[arg-type]


def ecs_task_pgbouncer_views(source: SourceFile, definitions: Node | None, capitalized: bool) -> list[EnvironmentPgBouncer]:
    """The PgBouncer views of a task definition's container definitions (a list)."""
    views = []
    for container in definitions.value if isinstance(definitions, SequenceNode) else []:
        if not isinstance(container, MappingNode):
            continue
        image = Y.scalar_value(Y.get(container, "Image" if capitalized else "image")) or ""
        if is_environment_configured(image) and (view := ecs_pgbouncer_view(source, container, capitalized)) is not None:
            views.append(view)
    return views


def _mounted_over(image: EnvironmentImage, path: str) -> bool:
    """Whether a mount at ``path`` may put another file where the image's PgBouncer reads its
    own (a mount of the folder, of a folder above it, or of anything in it), or over /etc."""
    return image.mounted_over(path) or path.rstrip("/") == "/etc"


def entrypoint_url_spans(found: Sequence[Container]) -> list[tuple[int, int]]:
    """The file spans of the ``DATABASE_URL``/``DATABASE_URLS`` values of every container among
    a file's (views.container_environments: compose services, Kubernetes containers, ECS
    container definitions in JSON, CloudFormation or Terraform) running edoburu/pgbouncer, an
    environment-configured image: connection strings there are its entrypoint's to parse, not a
    client's (bitnami/pgbouncer reads no URL variable)."""
    return [
        (value.start, value.end)
        for container in found
        if environment_image(container.image) is EDOBURU
        for value in container.environment
        if value.name in URL_VARIABLES
    ]
