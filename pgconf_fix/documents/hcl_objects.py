"""The objects and tuples of a Terraform text, with offsets: enough to read the values an ECS
container definition holds (``container_definitions = jsonencode([{ image = ..., environment =
[...] }])``, or the same in a heredoc's JSON) without evaluating anything.

A lexer of its own, not the HCL reader's (``hcl_reader`` reads bodies and stops at expressions it
does not model): quoted strings with their ``${...}`` and ``%{...}``, comments, heredocs, brackets
and separators. A heredoc whose body starts with ``[`` or ``{`` is read as the JSON it holds
(JSON's tokens are HCL's); any other heredoc body is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""(?P<skip>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
      |(?P<heredoc><<-?(?P<marker>[A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n)
      |(?P<quote>")
      |(?P<punct>[{}\[\](),=:])
      |(?P<word>[^\s{}\[\]()=:,"\#/]+|/)""",
    re.VERBOSE | re.DOTALL,
)


@dataclass
class HclString:
    """A quoted string: ``raw`` the characters between its quotes as written (escapes and
    ``${...}`` included), ``start``/``end`` the offsets of its quotes (``end`` after the closing one)."""

    raw: str
    start: int
    end: int


@dataclass
class Frame:
    """An object (``kind`` "{") or a tuple ("["): ``start`` the offset of its opening bracket,
    ``end`` of its closing one (-1 when not closed); ``entries`` an object's keys whose value is
    a quoted string; ``children`` its nested objects and tuples, each with the key it is the
    value of ("" for a tuple's items); ``strings`` a tuple's quoted-string items; ``trailing``
    whether a ``,`` stands last before the closing bracket; ``in_heredoc`` whether it is read
    from a heredoc's JSON."""

    kind: str
    start: int
    end: int = -1
    entries: dict[str, HclString] = field(default_factory=dict)
    children: list[tuple[str, Frame]] = field(default_factory=list)
    strings: list[HclString] = field(default_factory=list)
    trailing: int = -1
    keys: list[str] = field(default_factory=list)
    in_heredoc: bool = False

    def child(self, key: str) -> Frame | None:
        """The object or tuple that is the value of ``key`` (the first)."""
        return next((frame for name, frame in self.children if name == key), None)


def string_end(text: str, start: int) -> int:
    """The offset just after the quoted string opening at ``start``: escapes skipped, a
    ``${...}`` or ``%{...}`` read to its matching brace (strings inside it as strings); a string
    not closed on its line ends there (terraform refuses it)."""
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
        elif char == '"':
            return at + 1
        elif char in "$%" and text.startswith("{", at + 1):
            depth, at = 1, at + 2
            while at < len(text) and depth:
                if text[at] == '"':
                    at = string_end(text, at)
                    continue
                depth += {"{": 1, "}": -1}.get(text[at], 0)
                at += 1
        elif char == "\n":
            return at
        else:
            at += 1
    return at


def tokens(text: str, in_heredoc: bool = False) -> list[tuple[str, int, int, bool]]:
    """(kind, start, end, in_heredoc) of each token: kind a bracket or separator, "str" or "word"."""
    found: list[tuple[str, int, int, bool]] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            at += 1
            continue
        if match.group("heredoc"):
            closing = re.compile(rf"^[ \t]*{re.escape(match.group('marker'))}[ \t]*\r?$", re.MULTILINE)
            end = closing.search(text, match.end())
            body, body_end = match.end(), end.start() if end is not None else len(text)
            if text[body:body_end].lstrip()[:1] in ("[", "{"):
                found += [(k, s + body, e + body, True) for k, s, e, _ in tokens(text[body:body_end], True)]
            at = end.end() if end is not None else len(text)
            continue
        kind = match.lastgroup
        if kind == "quote":
            end_at = string_end(text, match.start())
            found.append(("str", match.start(), end_at, in_heredoc))
            at = end_at
            continue
        if kind == "punct":
            found.append((match.group(), match.start(), match.end(), in_heredoc))
        elif kind == "word":
            found.append(("word", match.start(), match.end(), in_heredoc))
        at = match.end()
    return found


def objects(text: str) -> list[Frame]:
    """Every object of ``text``, innermost first as they close (each with its nested frames)."""
    found = tokens(text)
    stack: list[Frame] = []
    closed: list[Frame] = []
    pending = ""  # the key whose value the next bracket opens
    previous, previous_at = "", -1
    for index, (kind, start, end, in_heredoc) in enumerate(found):
        if kind in ("{", "["):
            frame = Frame(kind, start, in_heredoc=in_heredoc)
            if stack:
                stack[-1].children.append((pending, frame))
            stack.append(frame)
            pending = ""
        elif kind in ("}", "]"):
            if stack:
                frame = stack.pop()
                frame.end, frame.trailing = start, previous_at if previous == "," else -1
                if frame.kind == "{":
                    closed.append(frame)
            pending = ""
        elif kind in ("=", ":") and index and stack and stack[-1].kind == "{":
            key_kind, key_start, key_end, _ = found[index - 1]
            key = text[key_start + 1 : key_end - 1] if key_kind == "str" else text[key_start:key_end]
            stack[-1].keys.append(key)
            following = found[index + 1] if index + 1 < len(found) else None
            if following is not None and following[0] == "str":
                stack[-1].entries[key] = HclString(text[following[1] + 1 : following[2] - 1], following[1], following[2])
            pending = key
        elif kind == "str" and stack and stack[-1].kind == "[" and previous in ("[", ","):
            stack[-1].strings.append(HclString(text[start + 1 : end - 1], start, end))
        previous, previous_at = kind, start
    return closed


__all__ = ["Frame", "HclString", "objects", "string_end", "tokens"]
