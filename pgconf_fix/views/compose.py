"""docker-compose and Swarm stack files: a postgres service's command flags and every service's sysctls.

- ``command:`` (a string or a list) of a service whose image is PostgreSQL's (``postgres``,
  ``postgis/postgis``, ``bitnami/postgresql``, ``timescale/timescaledb``, ``pgvector/pgvector``
  ...), when it runs the server (``postgres`` first, ``docker-entrypoint.sh postgres``, or
  flags only, which the official image's entrypoint hands to ``postgres``): its
  ``-c name=value``, ``-cname=value`` and ``--name=value`` flags are server settings
  (PGF101-PGF104, PGF001), the version from the image tag. A missing setting is added as
  ``-c name=value`` at the end of the command, in the command's own style; with
  ``-c config_file=...`` the settings live in that file, so nothing is missing here.
- ``sysctls:`` (a map or a ``key=value`` list) of any service: the container's own network
  namespace, judged by the kernel rules (PGF201-PGF203) when it already deals with TCP
  keepalives.
- Swarm: a file with ``deploy:`` in a service, or a stack file (its name says ``stack``),
  runs behind Swarm's IPVS load balancing, which drops connections idle for 900 s
  (FACTS.md; moby/moby#31208): a box on the path for the idle budget.

A string command is split the way compose splits it: compose-go hands it to go-shellwords'
``Parse`` (pgconf_fix.documents.shellwords has the rules, read from go-shellwords v1.0.12 and
checked against it). A string ``Parse`` refuses ("invalid command line string": a quote or a
``$(``/backtick region never closed, a backslash that ends it, a ``(`` outside quotes) makes
compose refuse the file; that is PGF001, and nothing is appended to it, since words added after
an open quote would only join the quoted one. A ``; & | < >`` outside quotes makes ``Parse``
stop there without an error, and compose runs only the words before it: that is PGF001 too;
those words are judged (a setting after the stop is not set), and nothing is appended, since
what is appended would land after the stop and be dropped. Every append and rewrite of a string
command is split again before it is offered and must give exactly the intended words (and
pgconf_fix.verify.compose splits the edited file's commands again). Facts about the flags:
``postgres --help``; a ``--name=value`` flag's dashes become underscores.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.connstr import TEMPLATE
from pgconf_fix.documents.shellwords import (
    GO_SHELLWORDS_ERROR,
    Stop,
    UnsplittableCommand,
    quote_word,
    split_command,
)
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major, PgVersion
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.placed import KERNEL_KEYS, PlacedSettings

SWARM_IPVS_SECONDS = 900
# Markup that is filled in before postgres reads a compose command's flag: compose's own
# interpolation (${VAR}, $VAR) and the templates a file may be generated from ({{ }}). Not $(...)
# nor backticks: compose runs no shell, and go-shellwords keeps them as written (ParseBacktick is
# off), so postgres gets "$(cat /run/x)" itself. (compose-go template/template.go leaves "$(" alone.)
COMMAND_TEMPLATE = re.compile(TEMPLATE.pattern.replace(r"\$\(|", ""))
# Repositories (the last part of an image name) that run the PostgreSQL server.
_POSTGRES_REPOSITORY = re.compile(
    r"postgres|postgresql|postgis|timescaledb(?:-ha|-postgis)?|pgvector|postgresql-repmgr|spilo-\d+"
    r"|crunchy-postgres(?:-gis)?",
    re.IGNORECASE,
)


def _repository(image: str) -> tuple[str, str]:
    """(repository path, tag) of an image reference; the tag is "" when none is given."""
    name = image.split("@", 1)[0].strip()
    head, _, last = name.rpartition("/")
    repository, _, tag = last.partition(":")
    return (f"{head}/{repository}" if head else repository), tag


def is_postgres_image(image: str) -> bool:
    """Whether an image reference names a PostgreSQL server image (``postgres:16-alpine``,
    ``bitnami/postgresql``, ``postgis/postgis``, ``timescale/timescaledb``, ``pgvector/pgvector``)."""
    repository, _ = _repository(image)
    return bool(_POSTGRES_REPOSITORY.fullmatch(repository.rsplit("/", 1)[-1]))


def version_from_image(image: str) -> PgVersion | None:
    """The PostgreSQL major an image tag names: ``postgres:16.2-alpine`` -> 16,
    ``timescale/timescaledb:2.14.2-pg15`` -> 15, ``postgis/postgis:15-3.4`` -> 15; None without
    a tag or when the tag does not say (``latest``, a digest, a template)."""
    name, tag = _repository(image)
    if not tag:
        return None
    pg = re.search(r"pg(\d{1,2})(?!\d)", tag)
    if pg:
        return PgVersion.parse(pg.group(1))
    if "postgis" in name.lower() or "timescaledb" not in name.lower():
        match = re.match(r"(\d{1,2})(?:\.(\d+))?", tag)
        if match:
            major = int(match.group(1))
            if major >= 10:
                return PgVersion(major)
            if 7 <= major <= 9 and match.group(2) and len(match.group(2)) <= 6:
                return PgVersion(major, int(match.group(2)))
    return None


# -- command words ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One argument: its value, where it is in the file, and how to rewrite it.

    ``at(i)`` is the file offset of value character ``i`` when the word is written plainly
    enough for that (no escapes before it), else None; ``rewrite(text)`` replaces the whole word.
    """

    value: str
    location: Location
    at: Callable[[int], int | None]
    rewrite: Callable[[str], tuple[Edit, ...]]


def shell_words(text: str) -> list[tuple[str, int, int, bool]]:
    """(value, start, end, plain) for each argument compose passes (pgconf_fix.documents.shellwords:
    the words before a stop); ``plain``: written as its value. Raises UnsplittableCommand
    where go-shellwords refuses the string."""
    return [(word.value, word.start, word.end, word.plain) for word in split_command(text).words]


def shell_quote(word: str) -> str:
    """``word`` as go-shellwords reads it back, itself (pgconf_fix.documents.shellwords.quote_word)."""
    return quote_word(word)


def _scalar_offsets(source: SourceFile, node: ScalarNode) -> Callable[[int], int | None]:
    """Value offset -> file offset for a one-line scalar whose value is written as is."""
    start, end = Y.span(node)
    raw = source.text[start:end]
    if node.style in ("'", '"'):
        inner = raw[1:-1]
        if inner == node.value:
            return lambda i: start + 1 + i
        return lambda i: None
    if node.style is None and raw == node.value:
        return lambda i: start + i
    return lambda i: None


def command_words(source: SourceFile, node: Node) -> tuple[list[Word], Callable[[list[str]], tuple[Edit, ...]]] | None:
    """The words of a compose ``command`` and a function appending words to it; None if unreadable."""
    if isinstance(node, SequenceNode):
        style = Y.quote_style(node.value)
        words = []
        for item in node.value:
            if not isinstance(item, ScalarNode):
                return None
            location = Location(source, *Y.span(item))

            def rewrite(text: str, item: ScalarNode = item) -> tuple[Edit, ...]:
                return (Y.replace_scalar(source, item, text, string=True),)

            words.append(Word(item.value, location, _scalar_offsets(source, item), rewrite))

        def append(new: list[str]) -> tuple[Edit, ...]:
            return Y.append_items(source, node, [Y.render_scalar(word, style=style, string=True) for word in new])

        return words, append
    if isinstance(node, ScalarNode) and Y.scalar_value(node) is not None:
        return _string_command_words(source, node)
    return None


def _string_command_words(
    source: SourceFile, node: ScalarNode
) -> tuple[list[Word], Callable[[list[str]], tuple[Edit, ...]]]:
    """``command_words`` of a string command (raises UnsplittableCommand, as ``split_command``).

    Each rewrite and the append are split again (``_reads_as``) and give no edit unless
    go-shellwords reads exactly the intended words; nothing is appended after a stop."""
    offsets = _scalar_offsets(source, node)
    split = split_command(node.value)
    values = split.values
    words = []
    for index, shell_word in enumerate(split.words):
        start, end = shell_word.start, shell_word.end
        first, last = offsets(start), offsets(end - 1) if end > start else None
        if first is None or last is None:
            location = Location(source, *Y.span(node))
            at: Callable[[int], int | None] = lambda i: None

            def rewrite(text: str) -> tuple[Edit, ...]:
                return ()
        else:
            location = Location(source, first, last + 1)
            at = (lambda i, first=first: first + i) if shell_word.plain else (lambda i: None)

            def rewrite(text: str, first: int = first, last: int = last, index: int = index,
                        start: int = start, end: int = end) -> tuple[Edit, ...]:
                written = shell_quote(text)
                edited = node.value[:start] + written + node.value[end:]
                if not _reads_as(edited, [*values[:index], text, *values[index + 1 :]], node.value, split.stop):
                    return ()
                return (Edit(source, first, last + 1, _in_scalar(node, written)),)

        words.append(Word(shell_word.value, location, at, rewrite))

    def append(new: list[str]) -> tuple[Edit, ...]:
        if split.stop is not None:
            return ()  # compose would drop what comes after the stop
        addition = "".join(" " + shell_quote(word) for word in new)
        if not _reads_as(node.value + addition, values + new, node.value, None):
            return ()
        return Y.append_to_scalar(source, node, addition)

    return words, append


def _reads_as(edited: str, intended: list[str], original: str, stop: Stop | None) -> bool:
    """Whether go-shellwords reads ``edited`` as exactly ``intended``, stopping (or not) where
    ``original`` stopped (``stop``) with the same rest of the string after it."""
    try:
        split = split_command(edited)
    except UnsplittableCommand:
        return False
    if split.values != intended or (split.stop is None) != (stop is None):
        return False
    return split.stop is None or stop is None or edited[split.stop.offset :] == original[stop.offset :]


def _in_scalar(node: ScalarNode, text: str) -> str:
    """``text`` as it is written inside ``node``'s quoting, to stand for itself in its value."""
    if node.style == "'":
        return text.replace("'", "''")
    if node.style == '"':
        return Y.double_quoted(text)[1:-1]
    return text


def server_command(
    source: SourceFile, node: Node, image: str
) -> tuple[list[Word], Callable[[list[str]], tuple[Edit, ...]], list[tuple[str, str, Word, int]], PgVersion | None] | None:
    """A command (compose ``command:``, a container's ``args``) that starts postgres: its words,
    the function that appends words to it, its ``-c`` flags and the image's major version;
    None when it is not readable or does not run the server."""
    read = command_words(source, node)
    if read is None:
        return None
    words, append = read
    if not runs_server(words):
        return None
    return words, append, server_flags(words), version_from_image(image)


def runs_server(words: list[Word]) -> bool:
    """Whether the command starts the server (what the official image's entrypoint runs)."""
    if not words:
        return False
    first = words[0].value
    if first.startswith("-"):
        return True  # the entrypoint prepends "postgres" to flags
    program = first.rsplit("/", 1)[-1]
    if program == "docker-entrypoint.sh":
        return len(words) > 1 and words[1].value.rsplit("/", 1)[-1] in ("postgres", "postgresql") or (
            len(words) > 1 and words[1].value.startswith("-")
        )
    return program in ("postgres", "postgresql")


def server_flags(words: list[Word]) -> list[tuple[str, str, Word, int]]:
    """(name, value, word, value offset in the word) of each setting flag."""
    found = []
    index = 0
    while index < len(words):
        word = words[index]
        text = word.value
        pair: tuple[Word, int] | None = None
        if text == "-c" and index + 1 < len(words):
            pair = (words[index + 1], 0)
            index += 1
        elif text.startswith("-c") and "=" in text or text.startswith("--") and "=" in text:
            pair = (word, 2)
        index += 1
        if pair is None:
            continue
        holder, skip = pair
        body = holder.value[skip:]
        if "=" not in body:
            continue
        name, value = body.split("=", 1)
        if skip == 2 and holder.value.startswith("--"):
            name = name.replace("-", "_")
        found.append((name.strip().lower(), value, holder, skip + len(name) + 1))
    return found


def flag_replace(word: Word, prefix: str, value_offset: int) -> Callable[[str], tuple[Edit, ...]]:
    """The edit that gives a flag's value a new one: in place when it is written plainly, else
    the whole word (``prefix`` + value) rewritten in its own quoting."""
    first = word.at(value_offset)
    last = word.at(len(word.value) - 1) if len(word.value) > value_offset else None
    plain_value = first is not None and (last is not None or len(word.value) == value_offset)

    def replace(value: str) -> tuple[Edit, ...]:
        if plain_value and re.fullmatch(r"[A-Za-z0-9_.]+", value):
            end = (last + 1) if last is not None else first
            return (Edit(word.location.source, first, end, value),)
        return word.rewrite(f"{prefix}{value}")

    return replace


def service_server_view(source: SourceFile, name: str, service: MappingNode, image: str) -> PlacedSettings | None:
    command = Y.get(service, "command")
    if command is None:
        return None
    key_node = Y.entry(service, "command")
    assert key_node is not None
    home = Location(source, key_node[0].start_mark.index, Y.content_end(source.text, command))
    what = f"the command of compose service {name}"
    stop: Stop | None = None
    try:
        if isinstance(command, ScalarNode) and Y.scalar_value(command) is not None:
            stop = split_command(command.value).stop
        found = server_command(source, command, image)
    except UnsplittableCommand as exc:
        message = f'{what}: {exc}; compose cannot split it into arguments ("{GO_SHELLWORDS_ERROR}") and refuses the file'
        return _refused(source, what, command, home, exc.offset, message)
    if found is None:
        if stop is not None:
            return _refused(source, what, command, home, stop.offset, _stop_message(what, stop, command.value))
        return None
    words, append, flags, version = found

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return append(["-c", f"{key}={value}"])

    view = PlacedSettings(
        "server",
        source,
        what,
        home,
        insert if stop is None else None,
        judges_missing=not any(flag[0] == "config_file" for flag in flags),
        major=Major.of(version, f"the image {image}"),
        template=COMMAND_TEMPLATE,
    )
    if stop is not None:
        view.problems.append(Problem(_point(source, command, stop.offset), _stop_message(what, stop, command.value)))
    for key, value, word, offset in flags:
        prefix = word.value[:offset]
        first = word.at(offset)
        span = (first, first + len(value)) if first is not None else None
        view.add(key, value, word.location, span, flag_replace(word, prefix, offset))
    return view.finish()


def _stop_message(what: str, stop: Stop, command: str) -> str:
    """PGF001's text for a command go-shellwords stops reading at ``stop``."""
    count = len(split_command(command).words)
    before = "no argument" if count == 0 else "only the argument" if count == 1 else f"only the {count} arguments"
    dropped = f", dropping the word {stop.dropped!r} before it too" if stop.dropped else ""
    return (
        f"{what}: compose splits it with go-shellwords, which stops at this {stop.char!r} outside quotes{dropped}: "
        f"compose runs {before} before it and ignores the rest, without an error (compose starts no shell: "
        f"quote the {stop.char!r} if it belongs to an argument)"
    )


def _point(source: SourceFile, command: Node, offset: int) -> Location:
    """The file location of character ``offset`` of a string command's value (the whole
    scalar when its value is not written as is)."""
    at = _scalar_offsets(source, command)(offset) if isinstance(command, ScalarNode) else None
    return Location(source, at, at + 1) if at is not None else Location(source, *Y.span(command))


def _refused(source: SourceFile, what: str, command: Node, home: Location, offset: int, message: str) -> PlacedSettings:
    """The view of a command compose refuses or cuts short: its PGF001, and nothing judged or added."""
    view = PlacedSettings("server", source, what, home, None, judges_missing=False)
    view.problems.append(Problem(_point(source, command, offset), message))
    return view


def sysctl_view(source: SourceFile, what: str, node: Node, key_node: ScalarNode) -> PlacedSettings | None:
    """``sysctls:`` as a map or a list of ``key=value``; None when it is neither."""
    home = Location(source, key_node.start_mark.index, Y.content_end(source.text, node))
    if isinstance(node, MappingNode):
        def insert(key: str, value: str) -> tuple[Edit, ...]:
            return Y.insert_entries(source, node, [(key, Y.render_scalar(value))])
    elif isinstance(node, SequenceNode):
        style = Y.quote_style(node.value)

        def insert(key: str, value: str) -> tuple[Edit, ...]:
            return Y.append_items(source, node, [Y.render_scalar(f"{key}={value}", style=style, string=True)])
    else:
        return None
    view = PlacedSettings("kernel", source, what, home, insert)
    if isinstance(node, MappingNode):
        for key, value in Y.items(node):
            if isinstance(value, ScalarNode):
                location = Location(source, key.start_mark.index, value.end_mark.index)

                def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
                    return (Y.replace_scalar(source, value, new),)

                view.add(key.value.replace("/", "."), value.value, location, Y.span(value), replace)
    else:
        for item in node.value:
            if isinstance(item, ScalarNode) and "=" in item.value:
                key, value = item.value.split("=", 1)
                at = _scalar_offsets(source, item)
                first = at(len(key) + 1)
                span = (first, first + len(value)) if first is not None else None

                def replace(new: str, item: ScalarNode = item, key: str = key) -> tuple[Edit, ...]:
                    return (Y.replace_scalar(source, item, f"{key}={new}", string=True),)

                view.add(key.strip().replace("/", "."), value.strip(), Location(source, *Y.span(item)), span, replace)
    families = {key.rsplit("_", 1)[0] for key in KERNEL_KEYS}
    view.judges_missing = any(a.key.rsplit("_", 1)[0] in families for a in view.assignments)
    return view.finish()


@dataclass(frozen=True)
class SwarmTimer:
    """Swarm's IPVS on a stack's service network: it forgets a connection idle for 900 s."""

    seconds: int
    box: str
    location: Location


def is_compose(root: Node) -> bool:
    return isinstance(Y.get(root, "services"), MappingNode)


def swarm_timer(source: SourceFile, root: Node) -> SwarmTimer | None:
    """The IPVS idle timer when the file is deployed as a Swarm stack (``deploy:``, or a stack file)."""
    services = Y.get(root, "services")
    for _, service in Y.items(services):
        pair = Y.entry(service, "deploy")
        if pair is not None:
            start = pair[0].start_mark.index
            return SwarmTimer(SWARM_IPVS_SECONDS, "Docker Swarm's IPVS (deploy:)", Location(source, start, start + 6))
    if "stack" in source.path.name.lower() and isinstance(services, MappingNode):
        key = Y.entry(root, "services")
        assert key is not None
        start = key[0].start_mark.index
        return SwarmTimer(SWARM_IPVS_SECONDS, "Docker Swarm's IPVS (a stack file)", Location(source, start, start + 8))
    return None


def compose_views(source: SourceFile, root: Node) -> list[SettingsView]:
    """The server and kernel views of one compose document."""
    views: list[SettingsView] = []
    for name_node, service in Y.items(Y.get(root, "services")):
        if not isinstance(service, MappingNode):
            continue
        name = name_node.value
        image = Y.scalar_value(Y.get(service, "image")) or ""
        if image and is_postgres_image(image):
            view = service_server_view(source, name, service, image)
            if view is not None:
                views.append(view)
        sysctls = Y.entry(service, "sysctls")
        if sysctls is not None:
            view = sysctl_view(source, f"the sysctls of compose service {name}", sysctls[1], sysctls[0])
            if view is not None:
                views.append(view)
    return views
