"""What compose's YAML decoder reads that PyYAML refuses.

compose-go decodes a compose file with go.yaml.in/yaml/v4 (v4.0.0-rc.4 at compose-go e70e961);
pgconf-fix reads YAML with PyYAML (libyaml's composer when built in). Two differences make
PyYAML refuse a file compose loads, both checked on that decoder (a throwaway Go program decoding
each document into an interface{}, as compose-go's loader does):

- DEL (U+007F) and the C1 control characters (U+0080-U+009F but U+0085): PyYAML's reader
  refuses them anywhere in the text ("unacceptable character #x007f: control characters are not
  allowed"); the decoder takes them, in comments, plain and quoted scalars alike. The C0 controls
  other than tab, LF and CR are refused by both.
- A simple (implicit) key longer than 1024 characters: YAML 1.1 and 1.2 limit an implicit key to
  1024 characters and libyaml enforces it ("mapping values are not allowed in this context");
  the decoder does not.

:func:`compose_only_refusal` says whether a text PyYAML refuses reads with these two lifted,
without changing any offset; the YAML views then report the file as not checked (PGF004) rather
than as one compose refuses (PGF001).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y

# DEL and the C1 controls but NEL (which YAML 1.1 reads as a line break): PyYAML's Reader.NON_PRINTABLE
# refuses them, go.yaml.in/yaml/v4's reader does not.
_LENIENT_CONTROLS = re.compile("[\x7f-\x84\x86-\x9f]")
MAX_SIMPLE_KEY = 1024  # YAML 1.1 section 9.1.2 and 1.2 section 7.4.2: an implicit key is at most 1024 characters
# Characters both refuse (C0 controls but tab, LF and CR; surrogates; U+FFFE and U+FFFF).
_REFUSED_BY_BOTH = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A block mapping's key on its own line (after an indentation and "- " items): quoted, or plain up to ": ";
# a line break ends it (YAML 1.1 reads NEL, LS and PS as breaks too, as both parsers do).
_BREAK = "\n\r\x85\u2028\u2029"
_LONG_KEY = re.compile(
    rf"(?m)^([ \t]*(?:-[ \t]+)*)"
    rf"(\"(?:[^\"\\{_BREAK}]|\\.)*\"|'(?:[^'{_BREAK}]|'')*'|[^\s#\"'?:,\[\]{{}}&*!|>%@`-][^{_BREAK}]*?)"
    rf"(?=:(?:[ \t]|$))"
)


@dataclass(frozen=True)
class Lenient:
    """Where (1-based ``line``) and ``why`` PyYAML refuses a text compose's decoder reads, and
    ``documents``: PyYAML's reading of the text with those parts replaced (a control character
    by ``x``, a long key by a short one: offsets past a long key are not the file's), for what
    is not about positions, such as a key a mapping repeats."""

    line: int
    why: str
    documents: list[Node]


def compose_only_refusal(text: str) -> Lenient | None:
    """Where and why PyYAML refuses ``text`` while compose's decoder reads it, as a ``Lenient``;
    None when PyYAML refuses it for another reason too (or does not refuse it). Raises nothing."""
    if _REFUSED_BY_BOTH.search(text):
        return None
    stand_in, first = _LENIENT_CONTROLS.subn("x", text)
    found: tuple[int, str] | None = None
    if first:
        match = _LENIENT_CONTROLS.search(text)
        assert match is not None
        found = (_line(text, match.start()), f"the control character U+{ord(match.group()):04X}")
    documents = _read(stand_in)
    if documents is not None:
        return Lenient(*found, documents) if found is not None else None
    shortened, long_at = _shorten_long_keys(stand_in)
    documents = _read(shortened) if long_at is not None else None
    if long_at is None or documents is None:
        return None
    line, why = found or (_line(text, long_at), f"a key longer than {MAX_SIMPLE_KEY} characters")
    return Lenient(line, why, documents)


def _read(text: str) -> list[Node] | None:
    try:
        return Y.compose_documents(text)
    except Y.YamlError:
        return None


def _shorten_long_keys(text: str) -> tuple[str, int | None]:
    """``text`` with every simple key longer than MAX_SIMPLE_KEY replaced by a short one of the
    same quoting (offsets change: only the reading is used), and where the first one was. Keys
    are matched by what they hold, quotes aside, and any key holding over MAX_SIMPLE_KEY - 2
    characters is replaced, so that a long key written once quoted and once plain stays one key
    (the decoder refuses such a repetition)."""
    first: int | None = None
    names: dict[str, str] = {}  # the same key gets the same stand-in: a repeated key stays repeated

    def short(match: re.Match[str]) -> str:
        nonlocal first
        key = match.group(2)
        quote = key[0] if key[0] in "\"'" else ""
        held = key[1:-1].replace("''", "'") if quote == "'" else key[1:-1] if quote else key
        if len(held) <= MAX_SIMPLE_KEY - 2:
            return match.group(0)
        if first is None and len(key) > MAX_SIMPLE_KEY:
            first = match.start(2)
        name = names.setdefault(held, f"pgconf_fix_long_key_{len(names) + 1}")
        return f"{match.group(1)}{quote}{name}{quote}"

    return _LONG_KEY.sub(short, text), first


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# go.yaml.in/yaml/v4 (internal/libyaml/constructor.go, v4.0.0-rc.4): a document whose values come
# mostly from expanding aliases is refused, "document contains excessive aliasing".
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000


def excessive_aliasing(root: Node) -> bool:
    """Whether compose's YAML decoder refuses the document ``root`` for excessive aliasing, as
    go.yaml.in/yaml/v4 v4.0.0-rc.4 decoding it into an interface{} does (Constructor.Construct):
    it counts every node it constructs, aliases expanded (the document node, each key and value,
    an alias node and then its anchor's whole value again), and those constructed inside an
    alias, and fails once there are over 100 of these and over 1000 in all and their share
    passes 99 % (10 % from 4,000,000 constructs on, sliding between). The counts are reckoned
    here without expanding anything (each node's once, by identity: PyYAML makes an alias the
    anchor's node), and judged when the last node is constructed: a document refused then is
    refused; one the decoder stops at an earlier node is not caught. A billion laughs (nine
    aliases of nine, nine deep) is refused; checked with that decoder in a Go program."""
    totals: dict[int, tuple[int, int]] = {}  # a node's constructs and those inside aliases, built directly
    frames: list[tuple[Node, list[Node], list[int]]] = [(root, _children(root), [1, 0, 0])]  # [constructs, in aliases, next child]
    started = {id(root)}
    while frames:
        node, children, counts = frames[-1]
        if counts[2] == len(children):
            frames.pop()
            totals[id(node)] = (counts[0], counts[1])
            if frames:
                parent = frames[-1][2]
                parent[0] += counts[0]
                parent[1] += counts[1]
            continue
        child = children[counts[2]]
        counts[2] += 1
        if id(child) not in started:  # written here: its anchor's definition, or no anchor
            started.add(id(child))
            frames.append((child, _children(child), [1, 0, 0]))
        elif id(child) in totals:  # an alias: the alias node, then the value again, all inside it
            constructs = totals[id(child)][0]
            counts[0] += 1 + constructs
            counts[1] += constructs
        else:
            counts[0] += 1  # an alias of a node it lies in: the decoder refuses it for that
    constructs, aliased = totals[id(root)]
    constructs += 1  # the document node
    if aliased <= 100 or constructs <= 1000:
        return False
    if constructs <= _ALIAS_LOW:
        return aliased * 100 > constructs * 99
    if constructs >= _ALIAS_HIGH:
        return aliased * 10 > constructs
    return aliased / constructs > 0.99 - 0.89 * (constructs - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW)


def _children(node: Node) -> list[Node]:
    """What the decoder constructs under ``node``, in order: a mapping's keys and values, a sequence's items."""
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []
