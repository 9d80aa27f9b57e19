"""A Dockerfile that builds a PostgreSQL image: the ``-c`` flags of its final stage's ``CMD`` and
``ENTRYPOINT`` as server settings (PGF101-PGF104), as compose's ``command:`` is read.

What Docker does with them (the Dockerfile reference, https://docs.docker.com/reference/dockerfile/):
the last ``CMD`` and ``ENTRYPOINT`` of the stage an image is built from win, a stage ``FROM``
another stage inherits both, and an ``ENTRYPOINT`` drops the ``CMD`` of the image its stage
builds on (the base image's, or an earlier stage's), not one written before it in its own stage
(moby/buildkit ``dockerfile2llb`` ``dispatchEntrypoint``: ``if !d.cmdSet { Cmd = nil }``, and a
stage made from another copies its image, not ``cmdSet``; the classic builder does the same). The exec form is a JSON array of
strings, passed as they are; the shell form runs ``/bin/sh -c`` on the text, and a shell-form
``ENTRYPOINT`` gets no ``CMD`` (BuildKit's ``withShell``; a ``CMD`` only fills sh's ``$0``, ``$1``...),
so its words alone are read, after sh's own ``exec``. The official
image's entrypoint runs ``postgres`` with flags given alone (pgconf_fix.views.compose.runs_server).

The file is split into instructions as BuildKit splits it (pgconf_fix.documents.dockerfile). Only
what can be read for certain is read: an exec form, and a shell form whose words are plain (letters, digits and
``_ . / = : -``: what ``sh`` splits at blanks alone), each string or word written on one line. A
file with a parser directive that changes the escape character, or a heredoc, is not read; the
flags of a command not read are unknown.
"""

from __future__ import annotations

import json
import re

from pgconf_fix.documents.dockerfile import (
    FROM,
    Instruction,
    expand_from,
    instructions,
    meta_arguments,
)
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.compose import (
    COMMAND_TEMPLATE,
    Word,
    flag_replace,
    ROOT_REFUSAL,
    is_image_entrypoint,
    is_postgres_image,
    is_postgres_program,
    names_root,
    refuse_valueless_flags,
    refused_command,
    runs_server,
    server_flags,
    starts_as_root,
    version_from_image,
)
from pgconf_fix.views.placed import PlacedSettings

_PLAIN_SHELL = re.compile(r"[A-Za-z0-9_./=:-]+(?:[ \t]+[A-Za-z0-9_./=:-]+)*[ \t]*")


def _contiguous(offsets: list[int], start: int, end: int) -> bool:
    """Whether joined characters ``start:end`` are written side by side in the file (on one line)."""
    return all(offsets[i + 1] == offsets[i] + 1 for i in range(start, end - 1))


def _exec_words(source: SourceFile, text: str, offsets: list[int]) -> list[Word] | None:
    """The strings of an exec form ``[...]`` (``text``, the joined arguments), each a Word; None
    when it is not a JSON array of strings (Docker then runs the text as a shell form), or a
    string is broken over lines."""
    try:
        values = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested past Python's limit
        return None
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return None
    words: list[Word] = []
    position = 0
    for value in values:
        opening = text.index('"', position)
        close = opening + 1
        while text[close] != '"':
            close += 2 if text[close] == "\\" else 1
        if not _contiguous(offsets, opening, close + 1):
            return None
        first, last = offsets[opening], offsets[close]
        plain = "\\" not in text[opening : close + 1]

        def at(i: int, first: int = first, size: int = len(value), plain: bool = plain) -> int | None:
            return first + 1 + i if plain and 0 <= i < size else None

        def rewrite(new: str, first: int = first, last: int = last) -> tuple[Edit, ...]:
            return (Edit(source, first, last + 1, json.dumps(new)),)

        words.append(Word(value, Location(source, first, last + 1), at, rewrite, inner_at=at))
        position = close + 1
    return words


def _shell_words(source: SourceFile, text: str, offsets: list[int]) -> list[Word] | None:
    """A shell form's words when ``sh`` splits it at blanks alone (plain words, each on one
    line); None otherwise."""
    if not _PLAIN_SHELL.fullmatch(text.rstrip(" \t")):
        return None
    words = []
    for match in re.finditer(r"\S+", text):
        if not _contiguous(offsets, match.start(), match.end()):
            return None
        first, size = offsets[match.start()], len(match.group(0))

        def at(i: int, first: int = first, size: int = size) -> int | None:
            return first + i if 0 <= i < size else None

        def rewrite(new: str, first: int = first, size: int = size) -> tuple[Edit, ...]:
            return (Edit(source, first, first + size, new),) if _PLAIN_SHELL.fullmatch(new) else ()

        words.append(Word(match.group(0), Location(source, first, first + size), at, rewrite, inner_at=at))
    return words


def _command(source: SourceFile, instruction: Instruction) -> tuple[list[Word], bool] | None:
    """(words, exec form) of a CMD or ENTRYPOINT; None when it cannot be read for certain."""
    text, offsets = instruction.joined(source.text)
    if text.lstrip().startswith("["):
        words = _exec_words(source, text.strip(" \t"), offsets[len(text) - len(text.lstrip(" \t")) :])
        if words is not None:
            return words, True
    words = _shell_words(source, text, offsets)
    return (words, False) if words is not None else None


def dockerfile_server_views(source: SourceFile) -> list[SettingsView]:
    """The server view of the final stage's command when it runs postgres from a PostgreSQL
    image; none otherwise (or when the command cannot be read for certain)."""
    found = instructions(source.text)
    if not found:
        return []
    stages: list[tuple[str, str | None, list[Instruction]]] = []  # (image, alias, instructions)
    meta: dict[str, str | None] | None = None
    notes: dict[str, str] = {}  # image as read -> how it was read from variables
    for instruction in found:
        if instruction.keyword == "FROM":
            match = FROM.fullmatch(instruction.joined(source.text)[0])
            if match is None:
                return []
            image = match.group(1)
            if "$" in image:
                meta = meta_arguments(source.text, found) if meta is None else meta
                expanded = expand_from(image, meta) if meta is not None else None
                if expanded:
                    notes[expanded] = (f" (FROM {image} with the defaults of the ARGs before it; where docker build "
                                       "is given a --build-arg for them, that applies instead)")
                    image = expanded
            stages.append((image, (match.group(2) or "").lower() or None, []))
        elif stages:
            stages[-1][2].append(instruction)
    if not stages:
        return []
    chain = [stages[-1]]
    aliases = {alias: stage for stage in stages if (alias := stage[1]) is not None}
    while chain[0][0].lower() in aliases and aliases[chain[0][0].lower()] not in chain:
        chain.insert(0, aliases[chain[0][0].lower()])
    image = chain[0][0]
    if not is_postgres_image(image):
        return []
    last: dict[str, Instruction] = {}
    for _, _, body in chain:
        cmd_set = False  # per stage: a stage FROM another starts without it (BuildKit's cmdSet)
        for instruction in body:
            if instruction.keyword == "CMD":
                last["CMD"], cmd_set = instruction, True
            elif instruction.keyword == "ENTRYPOINT":
                last["ENTRYPOINT"] = instruction
                if not cmd_set:
                    last.pop("CMD", None)  # an ENTRYPOINT drops the CMD of the image it builds on
    written = [last[keyword] for keyword in ("ENTRYPOINT", "CMD") if keyword in last]
    if not written:
        return []
    parts = [_command(source, instruction) for instruction in written]
    if any(part is None for part in parts):
        return []
    if "ENTRYPOINT" in last and not parts[0][1]:  # type: ignore[index]
        # A shell-form ENTRYPOINT runs as /bin/sh -c "..." and gets no CMD: its words alone
        # (sh's own "exec" first replaces the shell with the program; an exec that is all the
        # text is sh's, not a program). Only plain words are read (_shell_words).
        written, parts, last = written[:1], parts[:1], {"ENTRYPOINT": last["ENTRYPOINT"]}
        entry = parts[0][0]  # type: ignore[index]
        if entry and entry[0].value == "exec":
            parts = [(entry[1:], False)]
    words = [word for part in parts for word in part[0]]  # type: ignore[index]
    if "ENTRYPOINT" in last and words and words[0].value.startswith("-"):
        return []  # flags alone are no program
    if not runs_server(words):
        return []
    what = f"the {' and '.join(instruction.keyword for instruction in written)} of {source.display}"
    home = Location(source, written[0].args_start, written[-1].args_end)
    version = version_from_image(image)
    root = _runs_postgres_as_root(source, chain, image, last, parts)  # type: ignore[arg-type]
    refused = (root[1], f"{what}: {root[0]}; postgres refuses to start (it says: {ROOT_REFUSAL})") if root else None
    if refused is None and "ENTRYPOINT" in last and "CMD" in last and not parts[-1][1]:  # type: ignore[index]
        entry = parts[0][0]  # type: ignore[index]
        if not is_image_entrypoint(entry) and runs_server(entry):
            # Docker passes a shell-form CMD as /bin/sh -c "...": after an ENTRYPOINT that starts
            # postgres those are postgres' arguments (the Dockerfile reference's table).
            refused = (parts[-1][0][0], (  # type: ignore[index]
                f'{what}: the CMD is in the shell form, so Docker passes it to the ENTRYPOINT as /bin/sh -c "...": '
                "postgres gets those three as its arguments and refuses to start (postgres 15: the -c takes the "
                'whole text as one setting, "unrecognized configuration parameter", and /bin/sh is an invalid '
                'argument). Write the CMD in the exec form, CMD ["-c", "..."]'))
    if refused is not None:
        return [refused_command(source, what, home, refused[0].location, refused[1])]
    flags = server_flags(words)
    tail, exec_form = written[-1], parts[-1][1]  # type: ignore[index]

    joined, offsets = tail.joined(source.text)

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        if exec_form:
            close = offsets[joined.rindex("]")]
            return (Edit(source, close, close, f', "-c", "{key}={value}"'),)
        end = offsets[len(joined.rstrip(" \t"))]
        return (Edit(source, end, end, f" -c {key}={value}"),)

    view = PlacedSettings(
        "server",
        source,
        what,
        home,
        insert,
        judges_missing=not any(flag[0] == "config_file" for flag in flags),
        major=Major.of(version, f"the image {image}{notes.get(image, '')}"),
        template=COMMAND_TEMPLATE,
    )
    if version is not None and image in notes:
        view.version_note = notes[image]
    refuse_valueless_flags(view, words, what)
    for key, value, word, offset in flags:
        first = word.at(offset)
        span = (first, first + len(value)) if first is not None else None
        view.add(key, value, word.location, span, flag_replace(word, word.value[:offset], offset))
    return [view.finish()]


def _runs_postgres_as_root(
    source: SourceFile,
    chain: list[tuple[str, str | None, list[Instruction]]],
    image: str,
    last: dict[str, Instruction],
    parts: list[tuple[list[Word], bool]],
) -> tuple[str, Word] | None:
    """Why the final stage's command starts postgres as root and the word that does it, or None
    when it does not (or whether it does is not known): under an image that starts as root (compose.starts_as_root) with no
    ``USER`` other than root in the stages it is built from, either an ``ENTRYPOINT`` that runs
    postgres itself (the image's docker-entrypoint.sh, which hands the server to the postgres
    user, replaced), or a shell-form ``CMD`` after the image's entrypoint: Docker passes it as
    ``/bin/sh -c "..."``, and the entrypoint runs any command not starting with postgres or a
    flag as it is, as root (checked with docker-library/postgres' own docker-entrypoint.sh and
    postgres 15). The Dockerfile reference's table of ENTRYPOINT and CMD forms:
    https://docs.docker.com/reference/dockerfile/#understand-how-cmd-and-entrypoint-interact"""
    if not starts_as_root(image):
        return None
    for _, _, body in chain:
        for instruction in body:
            if instruction.keyword == "USER" and not names_root(instruction.joined(source.text)[0]):
                return None
    if "ENTRYPOINT" in last:
        entry = parts[0][0]
        if is_postgres_program(entry[0]):
            return ("its ENTRYPOINT starts postgres itself, so it runs as root (no USER other than root is set, and "
                    "the image's docker-entrypoint.sh, which hands the server to the postgres user, is replaced)"), entry[0]
        if not is_image_entrypoint(entry):
            return None
    if "CMD" in last and not parts[-1][1] and is_postgres_program(parts[-1][0][0]):
        return ("its CMD is in the shell form, which Docker passes to the image's docker-entrypoint.sh as "
                '/bin/sh -c "...": the entrypoint hands only a command starting with postgres (or a flag) to the '
                'postgres user and runs any other, this /bin/sh, as root (no USER other than root is set). Write it '
                'in the exec form, CMD ["postgres", "-c", "..."]'), parts[-1][0][0]
    return None
