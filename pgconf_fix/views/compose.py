"""docker-compose and Swarm stack files: a postgres service's command flags and every service's sysctls.

- ``entrypoint:`` and ``command:`` (each a string or a list) of a service whose image is PostgreSQL's (``postgres``,
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

Compose interpolates every string of the file first (``$$`` is ``$``; ``$VAR``, ``${VAR:-default}``
... are filled in from the shell's environment and the project's .env:
pgconf_fix.documents.compose_interpolation and compose_dotenv), and only then splits a string; a
``${`` it cannot read is PGF001, and so is a .env compose cannot read. A flag value from .env is
judged and names its line; no fix is offered for it (the value is changed in .env: a fix there
would touch the environment's own file, often untracked and holding secrets that a diff's
context lines would print), as for a value from the shell. An explicit ``entrypoint:`` runs with
the ``command:`` after it (see ``service_server_view`` for what variables do to the judgement).
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

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.compose_dotenv import (
    DotenvError,
    DotenvValue,
    project_environment,
    resolve,
)
from pgconf_fix.documents.compose_interpolation import (
    INVALID_INTERPOLATION,
    PLACEHOLDER,
    Interpolated,
    InvalidInterpolation,
    Variable,
    escape_dollars,
    interpolate,
)
from pgconf_fix.documents.compose_services import service_entry, service_value
from pgconf_fix.documents.go_yaml_scalar import NotAString, compose_map_value
from pgconf_fix.documents.shellwords import (
    GO_SHELLWORDS_ERROR,
    Stop,
    UnsplittableCommand,
    quote_word,
    split_command,
)
from pgconf_fix.findings import UNSAFE, Edit, Fix, Location, Problem
from pgconf_fix.setting import Refusal, Setting
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.versions import Major, PgVersion
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pgbouncer_env import (
    environment_pgbouncer_view,
    is_environment_configured,
)
from pgconf_fix.views.placed import KERNEL_KEYS, PlacedSettings
from pgconf_fix.workspace import Workspace, is_file

SWARM_IPVS_SECONDS = 900
# Markup that is filled in before postgres reads a compose command's flag: a variable compose
# interpolates (PLACEHOLDER, pgconf_fix.documents.compose_interpolation) and the templates a file
# may be generated from ({{ }}). A "$" left after interpolation ("$$IDLE" gives "$IDLE", "$${X}"
# gives "${X}") is text postgres reads, and so are $(...) and backticks: compose runs no shell, and go-shellwords keeps
# them as written (ParseBacktick is off). (compose-go template/template.go leaves "$(" alone.)
COMMAND_TEMPLATE = re.compile(r"\{\{|" + PLACEHOLDER)
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


# Images whose ENTRYPOINT (docker-entrypoint.sh) starts as root and hands the server to the
# postgres user with gosu only when its first argument is "postgres" or a flag; any other command
# it runs as it is, as root. They set no USER. Read in docker-library/postgres (6edb0a8c4d:
# Dockerfile-debian.template, docker-entrypoint.sh _main); postgis/postgis and pgvector/pgvector
# are built FROM it and keep both (docker-postgis 51b3555, pgvector's Dockerfile).
_ROOT_ENTRYPOINT_IMAGES = frozenset({"postgres", "postgis/postgis", "pgvector/pgvector"})
_DOCKER_HUB = ("docker.io/", "index.docker.io/", "registry-1.docker.io/", "public.ecr.aws/docker/")
ROOT_REFUSAL = '"root" execution of the PostgreSQL server is not permitted'  # postgres 15, run as root


def starts_as_root(image: str) -> bool:
    """Whether ``image`` is one of the official image's family, whose container starts as root
    (:data:`_ROOT_ENTRYPOINT_IMAGES`): a command that starts ``postgres`` other than through its
    ``docker-entrypoint.sh`` runs it as root, and postgres refuses to start (:data:`ROOT_REFUSAL`)."""
    repository = _repository(image)[0].lower()
    for registry in _DOCKER_HUB:
        repository = repository.removeprefix(registry)
    return repository.removeprefix("library/") in _ROOT_ENTRYPOINT_IMAGES


def names_root(user: str) -> bool:
    """Whether a ``USER`` instruction's or compose ``user:`` value is root (``root``, ``0``,
    ``root:root``, ``0:0``...); any other user, or a variable, is not known to be root."""
    return user.strip().split(":", 1)[0] in ("root", "0")


def program_of(word: Word) -> str:
    """The program a command's word names, without its directory (``/usr/local/bin/x`` -> ``x``)."""
    return word.value.rsplit("/", 1)[-1]


def is_postgres_program(word: Word) -> bool:
    """Whether a command's first word runs the server itself (``postgres``, ``/usr/lib/postgresql/16/bin/postgres``)."""
    return program_of(word) in ("postgres", "postgresql")


def is_image_entrypoint(words: list[Word]) -> bool:
    """Whether an entrypoint is the official image's own, ``docker-entrypoint.sh`` alone."""
    return [program_of(word) for word in words] == ["docker-entrypoint.sh"]


def refused_command(source: SourceFile, what: str, home: Location, at: Location, message: str) -> PlacedSettings:
    """The view of a command postgres (or compose) refuses: its PGF001 at ``at``, and nothing
    judged or added, as the server never reads its settings."""
    view = PlacedSettings("server", source, what, home, None, judges_missing=False)
    view.problems.append(Problem(at, message))
    return view


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
    In a compose file (interpolated), ``variables`` are the variables whose values stand in
    ``value`` as ``PLACEHOLDER`` characters, in order, and ``raw_at(i)`` is the file offset of
    character ``i`` of the scalar's value as written (None where it cannot be pointed at).
    ``inner_at(i)``: the file offset of value character ``i`` of a string command's word also
    where the word is quoted or escaped elsewhere (None where that character is not written as
    itself: an escape, a variable), so that a value inside quotes can be edited in them.
    """

    value: str
    location: Location
    at: Callable[[int], int | None]
    rewrite: Callable[[str], tuple[Edit, ...]]
    variables: tuple[Variable, ...] = ()
    raw_at: Callable[[int], int | None] = lambda i: None
    inner_at: Callable[[int], int | None] = lambda i: None


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


# YAML's double-quoted escapes of one character (YAML 1.1/1.2 as PyYAML reads them).
_YAML_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
                 "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
                 "L": "\u2028", "P": "\u2029"}
_YAML_HEX = {"x": 2, "u": 4, "U": 8}


def _written_offsets(
    source: SourceFile, node: ScalarNode
) -> tuple[Callable[[int], int | None], Callable[[int], tuple[int, int] | None]]:
    """For a string command's scalar: value offset -> file offset where the character is written
    as itself (``_scalar_offsets``), and value offset -> the file span that writes it, also for
    a one-line quoted scalar with YAML escapes (``''`` in single quotes, ``\\"`` and the other
    backslash escapes in double quotes), whose escaped characters have a span and no offset."""
    offsets = _scalar_offsets(source, node)
    start, end = Y.span(node)
    raw = source.text[start + 1 : end - 1]
    if node.style not in ("'", '"') or raw == node.value or "\n" in raw or "\r" in raw:
        def bounds(i: int) -> tuple[int, int] | None:
            at = offsets(i)
            return None if at is None else (at, at + 1)
        return offsets, bounds
    spans: list[tuple[int, int]] = []
    chars: list[str] = []
    index = 0
    while index < len(raw):
        width, char = 1, raw[index]
        if node.style == "'" and raw.startswith("''", index):
            width = 2
        elif node.style == '"' and char == "\\" and index + 1 < len(raw):
            kind = raw[index + 1]
            digits = _YAML_HEX.get(kind, 0)
            if digits and re.fullmatch(r"[0-9A-Fa-f]+", raw[index + 2 : index + 2 + digits] or "-"):
                width, char = 2 + digits, chr(int(raw[index + 2 : index + 2 + digits], 16))
            elif kind in _YAML_ESCAPES:
                width, char = 2, _YAML_ESCAPES[kind]
            else:
                return offsets, lambda i: None
        chars.append(char)
        spans.append((start + 1 + index, start + 1 + index + width))
        index += width
    if "".join(chars) != node.value:
        return offsets, lambda i: None

    def written_at(i: int) -> int | None:
        return spans[i][0] if 0 <= i < len(spans) and spans[i][1] - spans[i][0] == 1 else None

    def written_span(i: int) -> tuple[int, int] | None:
        return spans[i] if 0 <= i < len(spans) else None

    return written_at, written_span


def _no_offset(i: int) -> int | None:
    return None


def _reading(raw: str, interpolated: bool) -> Interpolated:
    """What the splitter reads of a scalar's value: compose's interpolation of it (raises
    InvalidInterpolation), or the value itself."""
    if interpolated:
        return interpolate(raw)
    return Interpolated(raw)


def command_words(
    source: SourceFile, node: Node, interpolated: bool = False
) -> tuple[list[Word], Callable[[list[str]], tuple[Edit, ...]]] | None:
    """The words of a command (a list or a string) and a function appending words to it; None if
    unreadable. ``interpolated``: the file is a compose file, whose strings compose interpolates
    first (pgconf_fix.documents.compose_interpolation; raises InvalidInterpolation); words are
    then written with every ``$`` doubled."""
    escape = escape_dollars if interpolated else (lambda text: text)
    if isinstance(node, SequenceNode):
        style = Y.quote_style(node.value)
        words = []
        for item in node.value:
            if not isinstance(item, ScalarNode):
                return None
            reading = _reading(item.value, interpolated)
            location = Location(source, *Y.span(item))
            offsets = _scalar_offsets(source, item)

            def rewrite(text: str, item: ScalarNode = item, reading: Interpolated = reading) -> tuple[Edit, ...]:
                if reading.variables:
                    return ()  # the whole item would lose its variables
                return (Y.replace_scalar(source, item, escape(text), string=True),)

            at = offsets if reading.one_to_one(0, len(reading.text)) else _no_offset
            words.append(Word(reading.text, location, at, rewrite, reading.variables, offsets))

        def append(new: list[str]) -> tuple[Edit, ...]:
            rendered = [Y.render_scalar(escape(word), style=style, string=True) for word in new]
            return Y.append_items(source, node, rendered)

        return words, append
    if isinstance(node, ScalarNode) and Y.scalar_value(node) is not None:
        return _string_command_words(source, node, interpolated)
    return None


def _string_command_words(
    source: SourceFile, node: ScalarNode, interpolated: bool
) -> tuple[list[Word], Callable[[list[str]], tuple[Edit, ...]]]:
    """``command_words`` of a string command (raises UnsplittableCommand, as ``split_command``,
    and InvalidInterpolation).

    Each rewrite and the append are split again (``_reads_as``) and give no edit unless
    go-shellwords reads exactly the intended words; nothing is appended after a stop."""
    offsets, bounds = _written_offsets(source, node)
    escape = escape_dollars if interpolated else (lambda text: text)
    reading = _reading(node.value, interpolated)
    split = split_command(reading.text)
    values = split.values
    words = []
    for index, shell_word in enumerate(split.words):
        variables = reading.variables_in(shell_word.start, shell_word.end)
        start, end = reading.raw_span(shell_word.start, shell_word.end)  # a word is never empty text
        head, tail = bounds(start), bounds(end - 1)
        if head is None or tail is None:
            location = Location(source, *Y.span(node))
            at: Callable[[int], int | None] = _no_offset

            def rewrite(text: str) -> tuple[Edit, ...]:
                return ()
            inner_at = _no_offset
        else:
            first, stop = head[0], tail[1]
            location = Location(source, first, stop)
            plain = (shell_word.plain and reading.one_to_one(shell_word.start, shell_word.end)
                     and all(offsets(k) == first + k - start for k in range(start, end)))
            at = (lambda i, first=first: first + i) if plain else _no_offset

            def inner_at(i: int, places: tuple[int, ...] = shell_word.places) -> int | None:
                if i >= len(places) or not reading.one_to_one(places[i], places[i] + 1):
                    return None
                return offsets(reading.starts[places[i]])

            def rewrite(text: str, first: int = first, stop: int = stop, index: int = index,
                        start: int = start, end: int = end, variables: tuple[Variable, ...] = variables) -> tuple[Edit, ...]:
                if variables:
                    return ()  # the word would lose its variables
                intended = [*values[:index], text, *values[index + 1 :]]
                for quoted in (_quoted_alike(node.value[start:end], text), shell_quote(text)):
                    if quoted is None:
                        continue
                    written = escape(quoted)
                    edited = node.value[:start] + written + node.value[end:]
                    if _reads_as(edited, intended, reading.text, split.stop, interpolated):
                        return (Edit(source, first, stop, _in_scalar(node, written)),)
                return ()

        words.append(Word(shell_word.value, location, at, rewrite, variables, offsets, inner_at))

    def append(new: list[str]) -> tuple[Edit, ...]:
        if split.stop is not None:
            return ()  # compose would drop what comes after the stop
        addition = "".join(" " + escape(shell_quote(word)) for word in new)
        if not _reads_as(node.value + addition, values + new, reading.text, None, interpolated):
            return ()
        return Y.append_to_scalar(source, node, addition)

    return words, append


def _quoted_alike(written: str, text: str) -> str | None:
    """``text`` in the quotes of ``written`` (a word as written) when that word is one quoted
    string, ``'...'`` or ``"..."`` (go-shellwords: in double quotes a backslash escapes any
    character); None when the word is written otherwise or ``text`` cannot be put in single
    quotes."""
    if len(written) < 2 or written[0] != written[-1] or written[0] not in "'\"" or written[0] in written[1:-1]:
        return None
    if written[0] == "'":
        return None if "'" in text else f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reads_as(edited: str, intended: list[str], original: str, stop: Stop | None, interpolated: bool) -> bool:
    """Whether go-shellwords reads ``edited`` (after compose's interpolation when ``interpolated``)
    as exactly ``intended``, stopping (or not) where ``original`` (the text it read before)
    stopped (``stop``) with the same rest of the string after it."""
    try:
        text = _reading(edited, interpolated).text
        split = split_command(text)
    except (UnsplittableCommand, InvalidInterpolation):
        return False
    if split.values != intended or (split.stop is None) != (stop is None):
        return False
    return split.stop is None or stop is None or text[split.stop.offset :] == original[stop.offset :]


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
    if program_of(words[0]) == "docker-entrypoint.sh":
        return len(words) > 1 and (is_postgres_program(words[1]) or words[1].value.startswith("-"))
    return is_postgres_program(words[0])


# Long options postgres' main() reads only as its first argument, before getopt sees any
# (src/backend/main/main.c); anywhere else getopt gives them to "--" ("--version requires a
# value", postgres 15).
_FIRST_ONLY = frozenset({"--help", "--version", "--describe-config", "--single", "--boot", "--check"})


def _first_argument(words: list[Word]) -> int:
    """The index in ``words`` of postgres' first argument (``argv[1]``): the official image's
    entrypoint puts ``postgres`` before a command that starts with a flag."""
    if words and words[0].value.startswith("-"):
        return 0
    if words and program_of(words[0]) == "docker-entrypoint.sh":
        return 1 if len(words) > 1 and words[1].value.startswith("-") else 2
    return 1


def _setting_words(words: list[Word]) -> Iterator[tuple[Word, Word | None, int]]:
    """Each ``-c`` (or ``--name=value``) flag as postgres' getopt takes it: (the flag's word, the
    word holding its ``name=value`` or None for a ``-c`` that is the last word, where the name
    begins in that word). A ``-c`` takes the next word whatever it is; ``-cname`` holds it, and
    ``--name`` too (getopt's option ``-`` with the rest of the word as its argument; with no
    ``=`` postgres refuses it). A lone ``--`` ends getopt's options and is no setting."""
    index, first = 0, _first_argument(words)
    while index < len(words):
        word = words[index]
        text = word.value
        if text == "-c":
            yield word, words[index + 1] if index + 1 < len(words) else None, 0
            index += 2
            continue
        if text.startswith("-c") or text.startswith("--") and text != "--" and not (index == first and text in _FIRST_ONLY):
            yield word, word, 2
        index += 1


def server_flags(words: list[Word]) -> list[tuple[str, str, Word, int]]:
    """(name, value, word, value offset in the word) of each setting flag."""
    found = []
    for _, holder, skip in _setting_words(words):
        body = holder.value[skip:] if holder is not None else ""
        if "=" not in body:
            continue
        name, value = body.split("=", 1)
        name = name.replace("-", "_")  # postgres' ParseLongOption does this for -c and -- alike
        found.append((name.strip().lower(), value, holder, skip + len(name) + 1))
    return found


def refuse_valueless_flags(view: PlacedSettings, words: list[Word], what: str) -> None:
    """PGF001 on ``view`` for each setting flag postgres refuses to start with for want of a
    value: ``-c name``, ``-cname`` or ``--name`` without ``=`` ("FATAL:  -c name requires a
    value", "--name requires a value") and a
    ``-c`` that is the last word (getopt: "option requires an argument -- 'c'"); both checked on
    postgres 15. Such a name is not judged missing (it is there, only broken), as a misspelt
    one is not. A word holding a variable is left alone (its value may bring the ``=``).
    ``what`` names the command."""
    for flag, holder, skip in _setting_words(words):
        if holder is None:
            view.problems.append(Problem(flag.location, f'{what}: "-c" is its last word, with no setting after '
                                         "it; postgres refuses to start (\"option requires an argument -- 'c'\")"))
            continue
        text = holder.value[skip:]
        if "=" in text or holder.variables or PLACEHOLDER in text or "$" in text:
            continue
        view.broken_keys.add(text.replace("-", "_").strip().lower())
        written, form = (f"--{text}", "--name=value") if flag is holder and skip == 2 and flag.value.startswith("--") else (
            f"-c {text}", "-c name=value")
        view.problems.append(Problem(holder.location, f'{what}: "{written}" has no value (a setting is written {form}); '
                                     f'postgres refuses to start ("{written} requires a value")'))


def flag_replace(word: Word, prefix: str, value_offset: int) -> Callable[[str], tuple[Edit, ...]]:
    """The edit that gives a flag's value a new one: in place when it is written plainly, else
    the whole word (``prefix`` + value) rewritten in its own quoting."""
    first = word.at(value_offset)
    last = word.at(len(word.value) - 1) if len(word.value) > value_offset else None
    plain_value = first is not None and (last is not None or len(word.value) == value_offset)
    inside = None if plain_value else _inner_span(word, value_offset)

    def replace(value: str) -> tuple[Edit, ...]:
        if plain_value and re.fullmatch(r"[A-Za-z0-9_.]+", value):
            end = (last + 1) if last is not None else first
            return (Edit(word.location.source, first, end, value),)
        if inside is not None and re.fullmatch(r"[A-Za-z0-9_.]+", value):
            # Characters no quoting, escape or interpolation touches: written inside the word's own quotes.
            return (Edit(word.location.source, inside[0], inside[1], value),)
        return word.rewrite(f"{prefix}{value}")

    return replace


def _inner_span(word: Word, value_offset: int) -> tuple[int, int] | None:
    """The file span of a flag's value (``word.value[value_offset:]``) when its characters are
    written as themselves and side by side (``'name=7200'`` gives the span of ``7200`` inside the
    quotes); None otherwise, and for an empty value."""
    count = len(word.value) - value_offset
    first = word.inner_at(value_offset) if count > 0 else None
    if first is None or any(word.inner_at(value_offset + k) != first + k for k in range(1, count)):
        return None
    return first, first + count


@dataclass(frozen=True)
class _Part:
    """The ``entrypoint:`` or ``command:`` of a service, read as compose reads it."""

    field: str
    node: Node
    words: list[Word]
    append: Callable[[list[str]], tuple[Edit, ...]]
    stop: Stop | None  # where go-shellwords stopped reading a string (offset in ``text``)
    text: str  # what go-shellwords read (the interpolated string), "" for a list
    raw_offset: Callable[[int], int]  # an offset in ``text`` -> one in the scalar's value


@dataclass(frozen=True)
class _Defaulted:
    """A flag value compose fills in from variables' defaults (``-c tcp_keepalives_idle=${IDLE:-7200}``):
    what messages add, and the edit of the default (None: no plain default to edit)."""

    note: str
    variable: Variable
    edit: Callable[[str], tuple[Edit, ...]] | None
    refusal: str = ""  # why no fix is offered, when the value comes from .env


class ComposeCommandSettings(PlacedSettings):
    """The ``-c`` flags of a compose service's entrypoint and command. A value that comes from a
    variable's default is judged by that default and says so (``Setting.set_where``); its fix
    edits the default and is unsafe (where the variable is set, its value still applies, and the
    default may be meant for other uses of the file), and the message names the variable."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.defaulted: dict[int, _Defaulted] = {}

    def finish(self) -> ComposeCommandSettings:
        """The consumer's checks; a value it refuses that compose takes from ``.env`` or a
        default says so, as the rules' findings do."""
        super().finish()
        notes = {(a.start, a.end): found.note for a in self.assignments if (found := self.defaulted.get(id(a)))}
        self.problems[:] = [
            replace(problem, message=problem.message + notes[where])
            if (where := (problem.location.start, problem.location.end)) in notes
            and problem.message.startswith("invalid value") else problem
            for problem in self.problems
        ]
        return self

    def _defaulted(self, key: str) -> _Defaulted | None:
        current = self.effective(key)
        return self.defaulted.get(id(current)) if current is not None else None

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        setting = super().get(key, unit, number)
        found = self._defaulted(key)
        return setting if found is None else replace(setting, set_where=found.note)

    def fix(self, key: str, value: str) -> Fix | Refusal:
        found = self._defaulted(key)
        if found is None:
            return super().fix(key, value)
        variable = found.variable
        if found.refusal:
            return Refusal(found.refusal)
        if found.edit is None or not re.fullmatch(r"[A-Za-z0-9_.]+", value):
            return Refusal(f"{key} comes from {variable.written}: set {variable.name} where compose reads it")
        return Fix(UNSAFE, f"Set the default of {variable.written} to {value} ({variable.name}, where it is set, "
                   "still wins)", found.edit(value), expect=((key, value),))


def _read_part(source: SourceFile, field: str, node: Node) -> _Part | None:
    """One of a service's ``entrypoint``/``command`` as compose reads it (interpolated, then
    split when a string); None when it is neither a string nor a list of strings. Raises
    InvalidInterpolation (offset in the scalar's value) and UnsplittableCommand (offset mapped to
    the scalar's value too)."""
    if isinstance(node, ScalarNode) and Y.scalar_value(node) is not None:
        reading = interpolate(node.value)

        def raw_offset(offset: int) -> int:
            return reading.starts[offset] if offset < len(reading.starts) else len(node.value)

        try:
            stop = split_command(reading.text).stop
        except UnsplittableCommand as exc:
            raise UnsplittableCommand(raw_offset(exc.offset), str(exc)) from None
        read = command_words(source, node, interpolated=True)
        assert read is not None
        return _Part(field, node, read[0], read[1], stop, reading.text, raw_offset)
    if isinstance(node, SequenceNode):
        for item in node.value:
            if isinstance(item, ScalarNode):
                try:
                    interpolate(item.value)
                except InvalidInterpolation as exc:
                    raise _ItemRefused(item, exc) from None
        read = command_words(source, node, interpolated=True)
        if read is None:
            return None
        return _Part(field, node, read[0], read[1], None, "", lambda offset: offset)
    return None


class _ItemRefused(ValueError):
    """An item of a list entrypoint or command that compose cannot interpolate."""

    def __init__(self, item: ScalarNode, error: InvalidInterpolation) -> None:
        super().__init__(str(error))
        self.item = item
        self.error = error


def image_as_read(raw: str, environment: ProjectEnvironment | None) -> tuple[str, str]:
    """The image reference compose pulls for a service's ``image:`` written ``raw``, and a note
    saying where its variables' values came from ("" when it has none): each variable's value
    from the project's ``.env``, else its default (``postgres:${PG_MAJOR:-16}``), as compose
    reads them where the shell sets none (compose_dotenv.resolve). ``raw`` and "" when a value
    is not known here (a variable only the shell may set, a secret's name) or compose refuses
    the text (the command's reading reports that)."""
    if "$" not in raw:
        return raw, ""
    usable = environment is not None and not environment.refused
    values = environment.values if usable else {}  # type: ignore[union-attr]
    try:
        image = resolve(raw, values.get)
        variables = interpolate(raw).variables
    except InvalidInterpolation:
        return raw, ""
    if image is None or not variables:
        return raw, ""
    names = list(dict.fromkeys(variable.name for variable in variables))
    given = []
    for name in names:
        entry = values.get(name)
        where = f"{environment.display}:{entry.line}" if entry is not None and environment is not None else ""
        given.append(f"{name} = {_shown(entry.value or '')} at {where}" if entry is not None else f"{name} unset, its default")
    note = (f" (the image {image}: compose's reading of {raw} with {', '.join(given)}; where the shell's environment "
            f"sets {' and '.join(names)}, that applies instead)")
    return image, note


def service_server_view(source: SourceFile, name: str, service: MappingNode, image: str,
                        environment: ProjectEnvironment | None = None, image_note: str = "") -> PlacedSettings | None:
    """The server settings a compose service's ``entrypoint`` and ``command`` give postgres.

    Compose interpolates both first (pgconf_fix.documents.compose_interpolation), then splits a
    string one with go-shellwords; an ``entrypoint`` (which also drops the image's own command)
    runs with the ``command`` after it, so the words of both are read in that order, and a
    missing setting is added to the last of them. What the shell's environment holds is not
    known here: a flag value from variables that the project's ``.env`` (``environment``) sets,
    or that have defaults, is judged by those values, and says so (the shell, where it sets
    them, wins); any other variable in a flag value leaves the setting unknown; and a variable
    anywhere else (``${FLAGS}``, ``-c ${NAME}=60``) may bring any flags: where every variable of
    the command has a value from ``.env`` or a default, the command is read as compose runs it
    with those values (``_words_from_project``: interpolated whole, then split); otherwise a
    setting is not judged missing and nothing is added (what is added could override what the
    variable brings)."""
    fields = [(field, pair) for field in ("entrypoint", "command")
              if (pair := service_entry(service, field)) is not None and not Y.is_null(pair[1])]
    if not fields:
        return None
    what = f"the {' and '.join(field for field, _ in fields)} of compose service {name}"
    last_node = fields[-1][1][1]
    home = Location(source, fields[0][1][0].start_mark.index, Y.content_end(source.text, last_node))
    parts: list[_Part] = []
    for field, (_, node) in fields:
        try:
            part = _read_part(source, field, node)
        except InvalidInterpolation as exc:
            return _refused(source, what, node, home, exc.offset, _interpolation_message(what, name, field, exc))
        except _ItemRefused as exc:
            return _refused(source, what, exc.item, home, exc.error.offset,
                            _interpolation_message(what, name, field, exc.error))
        except UnsplittableCommand as exc:
            message = f'{what}: {exc}; compose cannot split it into arguments ("{GO_SHELLWORDS_ERROR}") and refuses the file'
            return _refused(source, what, node, home, exc.offset, message)
        if part is None:
            return None
        parts.append(part)
    words = [word for part in parts for word in part.words]
    stops = [part for part in parts if part.stop is not None]
    explicit_entrypoint = parts[0].field == "entrypoint"
    if not runs_server(words) or explicit_entrypoint and words and words[0].value.startswith("-"):
        if stops:
            part = stops[0]
            assert part.stop is not None
            return _refused(source, what, part.node, home, part.raw_offset(part.stop.offset),
                            _stop_message(what, part.stop, part.text))
        return None
    version = version_from_image(image)
    user = Y.scalar_value(service_value(service, "user"))
    if explicit_entrypoint and is_postgres_program(words[0]) and starts_as_root(image) and (not user or names_root(user)):
        return refused_command(source, what, home, words[0].location, (
            f"{what}: it starts postgres itself, as root (the image {image} starts as root, no user: other than "
            f"root is set, and the image's docker-entrypoint.sh, which hands the server to the postgres user, "
            f"is replaced); postgres refuses to start (it says: {ROOT_REFUSAL}). Keep the image's entrypoint "
            f"and give the flags in command:, or set user:"))
    flags = server_flags(words)
    open_words = _open_words(words, flags)
    append = parts[-1].append

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return append(["-c", f"{key}={value}"])

    if open_words and not stops:
        given = _words_from_project(source, parts, open_words, environment)
        if given is not None:
            view = ComposeCommandSettings(
                "server", source, f"{what}{given[1]}", home, insert,
                judges_missing=not any(flag[0] == "config_file" for flag in server_flags(given[0])),
                major=Major.of(version, f"the image {image}"), template=COMMAND_TEMPLATE)
            if version is not None:
                view.version_note = image_note
            refuse_valueless_flags(view, given[0], what)
            written = {id(word) for word in words}
            for key, value, word, offset in server_flags(given[0]):
                if word.variables or id(word) not in written:  # a word the variables' values brought
                    view.add(key, value, word.location, None, lambda new: ())
                    view.defaulted[id(view.assignments[-1])] = given[2]
                    continue
                first = word.at(offset)
                span = (first, first + len(value)) if first is not None else None
                view.add(key, value, word.location, span, flag_replace(word, word.value[:offset], offset))
            return view.finish()

    view = ComposeCommandSettings(
        "server",
        source,
        what,
        home,
        insert if parts[-1].stop is None and not open_words else None,
        judges_missing=not any(flag[0] == "config_file" for flag in flags) and not open_words,
        major=Major.of(version, f"the image {image}"),
        template=COMMAND_TEMPLATE,
    )
    if version is not None:
        view.version_note = image_note
    refuse_valueless_flags(view, words, what)
    for part in stops:
        assert part.stop is not None
        view.problems.append(Problem(_point(source, part.node, part.raw_offset(part.stop.offset)),
                                     _stop_message(what, part.stop, part.text)))
    for key, value, word, offset in flags:
        if PLACEHOLDER in key:
            continue  # a name from a variable: any setting (an open word, above)
        prefix = word.value[:offset]
        defaulted = _from_project(word, offset, environment) if PLACEHOLDER in value else None
        if defaulted is not None:
            value, found = defaulted
            span = _raw_value_span(word, found.variable)
            view.add(key, value, word.location, span, lambda new: ())
            view.defaulted[id(view.assignments[-1])] = found
            continue
        first = word.at(offset)
        span = (first, first + len(value)) if first is not None else None
        view.add(key, value, word.location, span, flag_replace(word, prefix, offset))
    return view.finish()


def _words_from_project(
    source: SourceFile, parts: list[_Part], open_words: list[Word], environment: ProjectEnvironment | None
) -> tuple[list[Word], str, _Defaulted] | None:
    """The words compose passes for a command whose variables may bring any words (``${FLAGS}``,
    ``-c ${NAME}=60``: ``open_words``), where every variable of it has a value from the project's
    ``.env`` or a default (compose_dotenv.resolve: the shell setting none): each string
    interpolated whole and then split, as compose does (compose-go loads the interpolated YAML,
    then types/command.go splits with go-shellwords), each list item one word. Returns the words
    (those written before the first variable of a string, and list items without one, as
    written and editable; the others located at their string or item, not editable), what to add to the view's description, and the note and refusal of every flag;
    None when a value is not known here (a variable only the shell may set, a secret's name), or
    the split string is refused or stops at an operator (compose's reading then is not this)."""
    usable = environment is not None and not environment.refused
    lookup = environment.values.get if usable else (lambda name: None)  # type: ignore[union-attr]
    words: list[Word] = []
    try:
        for part in parts:
            items = [part.node] if isinstance(part.node, ScalarNode) else list(part.node.value)
            for item in items:
                text = resolve(item.value, lookup) if isinstance(item, ScalarNode) else None
                if text is None:
                    return None
                location = Location(source, *Y.span(item))
                if isinstance(part.node, ScalarNode):
                    split = split_command(text)
                    if split.stop is not None:
                        return None
                    values = split.values
                    # The words before the first variable are split alike, whatever its value: kept as written.
                    kept = list(itertools.takewhile(lambda word: not word.variables, part.words))
                else:
                    values = [text]
                    kept = [word for word in part.words if word.location.start == item.start_mark.index
                            and not word.variables]
                if [word.value for word in kept] != values[: len(kept)]:
                    return None
                words += kept + [Word(value, location, _no_offset, lambda new: ()) for value in values[len(kept) :]]
    except (UnsplittableCommand, InvalidInterpolation):
        return None
    variables = list(dict.fromkeys(variable.name for word in open_words for variable in word.variables))
    where = [f"{name} at {environment.display}:{environment.values[name].line}" for name in variables
             if usable and name in environment.values]  # type: ignore[union-attr]
    written = " and ".join(f"${{{name}}}" for name in variables)
    source_note = f"{' and '.join(where)}" if where else "their defaults"
    described = f" (as compose runs it with {written} from {source_note})"
    note = (f" ({written} as compose reads {'it' if len(variables) == 1 else 'them'} from {source_note}; where the "
            f"shell's environment sets {' or '.join(variables)}, that applies instead, and it is not known here)")
    refusal = (f"the value comes from {written} ({source_note}): change it there, or give the setting its own -c "
               "in the command")
    first = next(variable for word in open_words for variable in word.variables)
    return words, described, _Defaulted(note, first, None, refusal)


def _open_words(words: list[Word], flags: list[tuple[str, str, Word, int]]) -> list[Word]:
    """The words holding a variable outside a setting flag's value: compose fills them in before
    splitting, so they may stand for any number of words, flags included."""
    values = {id(word): offset for _, _, word, offset in flags}
    return [
        word for word in words
        if word.variables and (id(word) not in values or PLACEHOLDER in word.value[: values[id(word)]])
    ]


def _from_project(word: Word, offset: int, environment: ProjectEnvironment | None) -> tuple[str, _Defaulted] | None:
    """A flag value made of variables that the project's ``.env`` sets or that have a default:
    the value compose passes while the shell sets none of them, and what to say (and edit, for
    defaults); None otherwise (the value is then unknown), and for a word that holds the
    PLACEHOLDER character as written (U+E000 in the file), where its variables cannot be told
    from it."""
    if word.value.count(PLACEHOLDER) != len(word.variables):
        return None
    before = word.value[:offset].count(PLACEHOLDER)
    variables = word.variables[before:]
    from_file = [v for v in variables if environment is not None and v.name in environment.values]
    if not from_file:
        return _from_defaults(word, offset, variables)
    assert environment is not None
    values = []
    for variable in variables:
        if variable.name in environment.values:
            got = resolve(variable.written, environment.values.get)
        else:
            got = variable.default()
        if got is None:
            return None
        values.append(got)
    pieces = iter(values)
    value = "".join(next(pieces) if char == PLACEHOLDER else char for char in word.value[offset:])
    given = []
    for variable, got in zip(variables, values):
        entry = environment.values.get(variable.name)
        if entry is None:
            given.append(f"{variable.written} as its default {_shown(got)} ({variable.name} is not set in "
                         f"{environment.display})")
        else:
            assignment = f"{variable.name} = {_shown(entry.value or '')} at {environment.display}:{entry.line}"
            given.append(f"{variable.written} from {assignment}" if got == entry.value else
                         f"{variable.written} as {_shown(got)} from {assignment}")
    names = " and ".join(dict.fromkeys(v.name for v in variables))
    places = " and ".join(dict.fromkeys(f"{environment.display}:{environment.values[v.name].line}" for v in from_file))
    one = len(dict.fromkeys(v.name for v in variables)) == 1
    note = (f" (compose takes {' and '.join(given)}, the place to change it; where the shell's environment sets {names}, "
            f"{'that value applies' if one else 'those values apply'} instead, and {'it is' if one else 'they are'} "
            "not known here)")
    refusal = (f"the value comes from {places}, which compose reads for every variable the shell does not set: "
               "change it there (pgconf-fix does not edit .env, which holds the environment's values and "
               "often its secrets)")
    return value, _Defaulted(note, variables[0], None, refusal)


def _shown(text: str) -> str:
    """``text`` in a message: as it is when it reads unambiguously, else in double quotes."""
    return text if re.fullmatch(r"[A-Za-z0-9_.+-]+", text) else f'"{text}"'


def _from_defaults(word: Word, offset: int, variables: tuple[Variable, ...]) -> tuple[str, _Defaulted] | None:
    """A flag value made of ``variables`` that all have a default: the value compose passes
    while they are unset, and what to say and edit; None otherwise (the value is then unknown),
    as for a word holding a written PLACEHOLDER (see ``_from_project``)."""
    defaults = [variable.default() for variable in variables]
    if not variables or any(default is None for default in defaults) or word.value.count(PLACEHOLDER) != len(word.variables):
        return None
    pieces = iter(defaults)
    value = "".join(next(pieces) if char == PLACEHOLDER else char for char in word.value[offset:])  # type: ignore[misc]
    variable = variables[0]
    names = " and ".join(dict.fromkeys(v.name for v in variables))
    given = " and ".join(f"{v.written} its default {d}" for v, d in zip(variables, defaults))
    when = variable.when_default() if len(variables) == 1 else f"while {names} are unset in the environment and .env"
    note = (f" (compose gives {given} {when}; where {names} {'is' if len(variables) == 1 else 'are'} set there, "
            "that value applies instead, and it is not known here)")
    edit = None
    whole = word.value[offset:] == PLACEHOLDER and variable.default() == variable.argument
    first, last = word.raw_at(variable.argument_start), word.raw_at(variable.end - 2)
    if whole and variable.argument and first is not None and last is not None:
        def edit(new: str, first: int = first, last: int = last) -> tuple[Edit, ...]:
            return (Edit(word.location.source, first, last + 1, new),)
    return value, _Defaulted(note, variable, edit)


def _raw_value_span(word: Word, variable: Variable) -> tuple[int, int] | None:
    """The file span of the variable as written (where a finding about its value points)."""
    first, last = word.raw_at(variable.start), word.raw_at(variable.end - 1)
    return (first, last + 1) if first is not None and last is not None else None


def _interpolation_message(what: str, service: str, field: str, error: InvalidInterpolation) -> str:
    """PGF001's text for a ``${`` compose cannot interpolate."""
    return (f'{what}: {error}; compose refuses the file ("{INVALID_INTERPOLATION} for services.{service}.{field}"; '
            "a literal $ is written $$)")


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
    return refused_command(source, what, home, _point(source, command, offset), message)


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

                name = key.value.replace("/", ".")
                try:  # the text compose passes: 600.0 is "600" (documents.go_yaml_scalar)
                    passed = compose_map_value(value.value, source.text[slice(*Y.span(value))])
                except NotAString:
                    view.broken_keys.add(name)  # a timestamp: what the kernel is given is not worked out here
                    continue
                span = Y.span(value) if passed == value.value else None
                view.add(name, passed if passed is not None else "", location, span, replace)
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
        pair = service_entry(service, "deploy")
        if pair is not None:
            start = pair[0].start_mark.index
            return SwarmTimer(SWARM_IPVS_SECONDS, "Docker Swarm's IPVS (deploy:)", Location(source, start, start + 6))
    if "stack" in source.path.name.lower() and isinstance(services, MappingNode):
        key = Y.entry(root, "services")
        assert key is not None
        start = key[0].start_mark.index
        return SwarmTimer(SWARM_IPVS_SECONDS, "Docker Swarm's IPVS (a stack file)", Location(source, start, start + 8))
    return None


@dataclass(frozen=True)
class ProjectEnvironment:
    """The project's ``.env`` (the compose file's directory) as compose reads it for
    interpolation (pgconf_fix.documents.compose_dotenv): ``display`` how it is shown, ``values``
    its variables; ``refused`` why compose cannot read it (then ``values`` is empty), or ""."""

    display: str
    values: dict[str, DotenvValue]
    refused: str = ""
    line: int = 0


def project_environment_of(workspace: Workspace, source: SourceFile) -> ProjectEnvironment | None:
    """The ``.env`` beside a compose file, read as compose reads it; None when there is none."""
    path = source.path.parent / ".env"
    if not is_file(path):
        return None
    display = workspace.display_for(path, source.display)
    try:
        loaded = workspace.load(path, display)
    except InputError as exc:
        return ProjectEnvironment(display, {}, exc.message)
    try:
        return ProjectEnvironment(loaded.display, project_environment(loaded.text))
    except DotenvError as exc:
        return ProjectEnvironment(loaded.display, {}, str(exc), exc.line)


def compose_views(source: SourceFile, root: Node, environment: ProjectEnvironment | None = None) -> list[SettingsView]:
    """The server, kernel and PgBouncer views of one compose document (pgconf_fix.views.pgbouncer_env
    for a PgBouncer image configured by its environment); ``environment``: the project's
    ``.env`` (``project_environment_of``)."""
    views: list[SettingsView] = []
    refusal_told = environment is None or not environment.refused
    for name_node, service in Y.items(Y.get(root, "services")):
        if not isinstance(service, MappingNode):
            continue
        name = name_node.value
        image, image_note = image_as_read(Y.scalar_value(service_value(service, "image")) or "", environment)
        if image and is_postgres_image(image):
            view = service_server_view(source, name, service, image, environment, image_note)
            if view is not None:
                if not refusal_told:
                    assert environment is not None
                    refusal_told = True
                    where = f"{environment.display}:{environment.line}" if environment.line else environment.display
                    view.problems.append(Problem(view.home, (
                        f"compose cannot read the project's {environment.display} ({where}: {environment.refused}) "
                        "and refuses to run any service of this file; its variables are not known here")))
                views.append(view)
        if image and "bitnami" in image:
            from pgconf_fix.views.bitnami_postgresql import bitnami_postgresql_view

            settings = bitnami_postgresql_view(source, name, service, Major.of(version_from_image(image), f"the image {image}"))
            if settings is not None:
                views.append(settings)
        if image and is_environment_configured(image):
            bouncer = environment_pgbouncer_view(source, name, service)
            if bouncer is not None:
                views.append(bouncer)
        sysctls = service_entry(service, "sysctls")
        if sysctls is not None:
            view = sysctl_view(source, f"the sysctls of compose service {name}", sysctls[1], sysctls[0])
            if view is not None:
                views.append(view)
    return views
