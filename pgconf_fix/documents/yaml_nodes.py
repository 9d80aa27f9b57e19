"""YAML files read with positions, and edited as text.

Reading is PyYAML's composer (``yaml.compose_all``, libyaml's C composer when it is
built in): it gives the node graph of every document of a stream, each node with a
start and end mark whose ``index`` is a character offset into the text we hand it,
which is ``SourceFile.text``. Nothing is constructed into Python objects, so tags
stay as they are written and nothing is re-serialised. Only the safe schema's
resolvers are used (``60`` is ``tag:yaml.org,2002:int``, ``"60"`` a ``str``).

Edits are text edits on the original (``pgconf_fix.findings.Edit``), computed from
the marks: a scalar is rewritten in its own quoting style, a key is inserted on a
new line at its mapping's indentation, an item appended to a sequence in its own
flow or block style. Comments, anchors, aliases, quoting and the indentation of
block scalars around an edit are bytes the edit never touches. The patcher
applies the edits, and a view re-reads the result through this module (a YAML
error there is a parse error, so a fix that broke the file is dropped).

A literal block scalar (``|``) can hold another format (a postgresql.conf in a
Helm value or a ConfigMap): :class:`BlockText` is its value with a map from value
offsets back to the file, so that document's own reader and edits can be reused.

Errors: :func:`compose_documents` raises :class:`YamlError` (message, 1-based
line and column) for text a YAML 1.1 parser rejects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import SourceFile

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
DEFAULT_STEP = 2  # indentation of a new nested mapping when the file shows none
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./+=@%-][A-Za-z0-9_./+=@%:, -]*")


class YamlError(Exception):
    """Text a YAML parser rejects: ``message`` with the 1-based ``line`` and ``column``."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column

    def problem(self, source: SourceFile) -> Problem:
        """The error as PGF001 reports it in ``source`` (the text it was raised for): its line."""
        start, end = source.line_span(min(self.line, len(source.line_starts)))
        return Problem(Location(source, start, end), f"not valid YAML: {self.message}")


def compose_documents(text: str) -> list[Node]:
    """The root node of every document in ``text`` (empty documents are skipped).

    Raises YamlError. Marks of the nodes index ``text``; a plain scalar's ``style`` is None.
    """
    try:
        documents = [node for node in yaml.compose_all(text, Loader=Loader) if node is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise YamlError(problem, line, column) from None
    except yaml.YAMLError as exc:  # a reader error (a control character) has no problem mark
        raise YamlError(str(exc).splitlines()[0], 1, 1) from None
    except RecursionError:  # PyYAML's parser and composer recurse a level a nested collection
        line = _deepest_line(text)
        raise YamlError("nesting too deep for PyYAML (RecursionError); this file is not checked", line, 1) from None
    return _plain_styles(documents)


def _deepest_line(text: str) -> int:
    """1-based line where flow brackets (``[``, ``{``) or, failing those, indentation nest
    deepest: where PyYAML most likely gave up. Quotes are not tracked: it is a pointer."""
    depth = deepest = 0
    line = best = 1
    indent_best = (0, 1)
    at_line_start, indent = True, 0
    for char in text:
        if char == "\n":
            line += 1
            at_line_start, indent = True, 0
            continue
        if at_line_start:
            if char == " ":
                indent += 1
                continue
            at_line_start = False
            if indent > indent_best[0]:
                indent_best = (indent, line)
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest, best = depth, line
        elif char in "]}" and depth:
            depth -= 1
    return best if deepest > 1 else indent_best[1]


def _plain_styles(documents: list[Node]) -> list[Node]:
    for root in documents:
        for node in walk(root):
            if isinstance(node, ScalarNode) and not node.style:
                node.style = None  # plain: libyaml says "", PyYAML's own composer None
    return documents


# -- reading ---------------------------------------------------------------------------


def scalar_value(node: Node | None) -> str | None:
    """A scalar's string as written (after unquoting); None for collections and null."""
    if isinstance(node, ScalarNode) and node.tag != NULL_TAG:
        return node.value
    return None


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG)


def items(node: Node | None) -> list[tuple[ScalarNode, Node]]:
    """A mapping's entries with scalar keys, in file order (others are skipped)."""
    if not isinstance(node, MappingNode):
        return []
    return [(key, value) for key, value in node.value if isinstance(key, ScalarNode)]


def entry(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    """The entry of ``key`` in a mapping; the last one when the key is repeated, as PyYAML reads it."""
    found = None
    for key_node, value in items(node):
        if key_node.value == key:
            found = (key_node, value)
    return found


def _merge_sources(node: Node, reset_tag: str | None = None) -> list[Node]:
    """The mappings a mapping's merge keys name (``<<: *anchor``, or a list of them), in order;
    a merge key whose value carries ``reset_tag`` is not followed."""
    sources: list[Node] = []
    for key_node, value in items(node):
        if key_node.tag == MERGE_TAG and (reset_tag is None or value.tag != reset_tag):
            sources.extend(value.value if isinstance(value, SequenceNode) else [value])
    return sources


def _own_entry(node: Node, key: str, reset_tag: str | None) -> tuple[ScalarNode, Node] | None:
    if reset_tag is None:
        return entry(node, key)
    found = None
    for key_node, value in items(node):
        if key_node.value == key and key_node.tag != MERGE_TAG and value.tag != reset_tag:
            found = (key_node, value)
    return found


def merged_entry(
    node: Node | None, key: str, seen: frozenset[int] = frozenset(), *, reset_tag: str | None = None
) -> tuple[ScalarNode, Node] | None:
    """The entry of ``key`` in a mapping as a YAML merge key (``<<: *anchor``, or a list of
    them) makes it: the mapping's own entry, else the first merged mapping's that has one, as
    PyYAML's SafeConstructor.flatten_mapping (and so Ansible's loader) builds it, and
    Kubernetes' go-yaml (https://yaml.org/type/merge.html). The entry returned is where the
    value is written. The merged mappings are searched depth first, in order, each once (one
    searched without finding the key has it nowhere below either): a mapping that merges
    itself (``&e {<<: *e}``, which the composer allows), a chain thousands deep or merges that
    fan out again and again are each read in one pass over the mappings, with no recursion.
    ``seen``: mappings not to search. ``reset_tag``: an entry (or a merge key) whose value
    carries this tag is not there (compose's ``!reset``: documents.compose_services)."""
    if node is None:
        return None
    own = _own_entry(node, key, reset_tag)
    if own is not None:
        return own
    visited = set(seen) | {id(node)}
    stack = [iter(_merge_sources(node, reset_tag))]
    while stack:
        merged = next(stack[-1], None)
        if merged is None:
            stack.pop()
            continue
        if id(merged) in visited or not isinstance(merged, MappingNode):
            continue
        visited.add(id(merged))
        own = _own_entry(merged, key, reset_tag)
        if own is not None:
            return own
        stack.append(iter(_merge_sources(merged, reset_tag)))
    return None


def merged_items(node: Node | None) -> list[tuple[ScalarNode, Node]]:
    """Every entry of a mapping as its merge keys make it: one per key name, each the one
    ``merged_entry`` finds (the mapping's own, else the first merged mapping's, depth first),
    in the order the mappings are searched; [] for a node that is no mapping. One pass over
    the mappings, as merged_entry's."""
    found: dict[str, tuple[ScalarNode, Node]] = {}

    def take(mapping: Node) -> None:
        own: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value in items(mapping):
            if key_node.tag != MERGE_TAG:
                own[key_node.value] = (key_node, value)  # the last of a repeated key, as entry()
        for name, pair in own.items():
            found.setdefault(name, pair)

    if not isinstance(node, MappingNode):
        return []
    take(node)
    visited = {id(node)}
    stack = [iter(_merge_sources(node))]
    while stack:
        merged = next(stack[-1], None)
        if merged is None:
            stack.pop()
            continue
        if id(merged) in visited:
            continue
        visited.add(id(merged))
        take(merged)
        stack.append(iter(_merge_sources(merged)))
    return list(found.values())


def merged_get(node: Node | None, key: str) -> Node | None:
    """The value of ``key`` in a mapping through its merge keys (``merged_entry``), or None."""
    found = merged_entry(node, key)
    return None if found is None else found[1]


def get(node: Node | None, *path: str) -> Node | None:
    """The node at a path of mapping keys, or None when some step is missing."""
    for key in path:
        pair = entry(node, key)
        if pair is None:
            return None
        node = pair[1]
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself first), each once even when aliased."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, MappingNode):
            for key, value in reversed(current.value):
                stack.extend((value, key))
        elif isinstance(current, SequenceNode):
            stack.extend(reversed(current.value))


def span(node: Node) -> tuple[int, int]:
    return node.start_mark.index, node.end_mark.index


def content_end(text: str, node: Node) -> int:
    """Offset just after the last non-blank character a node owns.

    The end mark of a block collection lies at the next token, after comments and
    blank lines that do not belong to it; its last leaf's end is what a reader sees.
    A last child that is an alias (``*name``) has the marks of its anchored node, written
    earlier, maybe a collection around it (``&p {self: *p}``, a merge cycle): the end is
    then the alias's own, found in the text (``_alias_end``), never a walk into the anchor.
    """
    while isinstance(node, (MappingNode, SequenceNode)) and node.value and not node.flow_style:
        last = node.value[-1]
        if isinstance(last, tuple):
            after = last[0].end_mark.index  # a value is written after its key
            last = last[1]
        else:  # an item is written after the items before it, and after its sequence's "-"
            after = max([node.start_mark.index, *(item.end_mark.index for item in node.value[:-1])])
        if last.start_mark.index <= after:
            return _alias_end(text, node)
        node = last
    start, end = span(node)
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


_ALIAS_AT_LINE_END = re.compile(r"\*[0-9A-Za-z_-]+(?=[ \t]*(?:#[^\n]*)?$)")


def _alias_end(text: str, collection: Node) -> int:
    """The end of the alias that is a block collection's last token: on the last line before
    its end mark that is neither blank nor a comment (the end mark lies at the next token,
    after those); that line's content end if no alias token ends it (a guess that can only
    point at the right line)."""
    end = collection.end_mark.index
    while True:
        line_start = text.rfind("\n", 0, end) + 1
        line = text[line_start:end].strip()
        if line and not line.startswith("#") or line_start <= collection.start_mark.index:
            break
        end = line_start - 1 if line_start else 0
    line = text[line_start:end].rstrip()
    found = list(_ALIAS_AT_LINE_END.finditer(line))
    return line_start + (found[-1].end() if found else len(line))


def _line_end(text: str, offset: int) -> int:
    """Offset of the line break (or end of text) at or after ``offset``, before a CR of CRLF."""
    end = text.find("\n", offset)
    if end == -1:
        return len(text)
    return end - 1 if end > offset and text[end - 1] == "\r" else end


def _newline(source: SourceFile) -> str:
    return source.newline


def indentation_step(root: Node) -> int:
    """How far this file indents a nested block mapping under its key (2 unless shown otherwise)."""
    for node in walk(root):
        if isinstance(node, MappingNode) and not node.flow_style:
            for key, value in node.value:
                if isinstance(value, MappingNode) and not value.flow_style and value.value:
                    step = value.value[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        return step
    return DEFAULT_STEP


# -- rendering -------------------------------------------------------------------------


def _reads_back(rendered: str, value: str, want_string: bool) -> bool:
    try:
        loaded = yaml.load(f"k: {rendered}\n", Loader=Loader)
    except (yaml.YAMLError, ValueError, OverflowError):  # a scalar the safe constructor cannot make a value of
        return False
    got = loaded.get("k") if isinstance(loaded, dict) else None
    if want_string:
        return isinstance(got, str) and got == value
    return got is not None and str(got).lower() == value.lower() or got == value


def double_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_scalar(value: str, *, style: str | None = None, string: bool = False) -> str:
    """``value`` as a flow scalar: in ``style`` (None plain, ``'`` or ``"``) when that reads back
    as ``value`` (a string when ``string`` is set), else double-quoted."""
    if style == "'" and "\n" not in value:
        return single_quoted(value)
    if style == '"':
        return double_quoted(value)
    plain = style is None and _PLAIN_SAFE.fullmatch(value) and not value.endswith((" ", ":")) and ": " not in value
    if plain and _reads_back(value, value, string):
        return value
    return double_quoted(value)


def quote_style(nodes: Sequence[Node]) -> str | None:
    """The quoting the given scalars use, the most common one (ties: the quoted one)."""
    counts: dict[str | None, int] = {}
    for node in nodes:
        if isinstance(node, ScalarNode) and node.style in (None, "'", '"'):
            counts[node.style] = counts.get(node.style, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda style: (counts[style], style is not None))


# -- edits -----------------------------------------------------------------------------


def replace_scalar(source: SourceFile, node: ScalarNode, value: str, *, string: bool = False) -> Edit:
    """Rewrite a flow scalar in its own quoting style (plain stays plain when it reads back)."""
    start, end = node.start_mark.index, node.end_mark.index
    style = node.style if node.style in ("'", '"') else None
    return Edit(source, start, end, render_scalar(value, style=style, string=string))


def _mapping_indent(mapping: MappingNode) -> int:
    return mapping.value[0][0].start_mark.column


def insert_entries(source: SourceFile, mapping: MappingNode, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
    """Add ``key: value`` entries (values already rendered) at the end of a mapping.

    A block mapping gets one line an entry at its keys' column, after its last entry's
    last line (so a trailing comment there stays on its line); a flow mapping gets
    ``, key: value`` before its closing brace.
    """
    text = source.text
    if mapping.flow_style or not mapping.value:
        return (_insert_flow(source, mapping, [f"{key}: {value}" for key, value in pairs]),)
    indent = " " * _mapping_indent(mapping)
    newline = _newline(source)
    at = _line_end(text, content_end(text, mapping))
    added = "".join(f"{newline}{indent}{key}: {value}" for key, value in pairs)
    return (Edit(source, at, at, added, rank=-len(indent)),)


def _insert_flow(source: SourceFile, node: Node, entries: Sequence[str]) -> Edit:
    start, end = span(node)
    close = end - 1
    if not node.value:  # {} or []: whatever blanks are inside go
        return Edit(source, start + 1, close, ", ".join(entries))
    last = node.value[-1]
    last_end = (last[1] if isinstance(last, tuple) else last).end_mark.index
    return Edit(source, last_end, last_end, "".join(f", {item}" for item in entries))


def insert_path(
    source: SourceFile,
    root: MappingNode,
    path: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    step: int | None = None,
) -> tuple[Edit, ...]:
    """Add entries to the mapping at ``path`` under ``root``, creating the missing mappings.

    ``path`` may end anywhere: the existing part is followed, the rest written as nested
    block mappings (``postgresql:`` / ``  parameters:`` / ``    key: value``) indented by the
    file's own step. An existing null value (``parameters:`` or ``~``) becomes the mapping.
    Returns () when a step of the path holds something that is not a mapping.

    The new mapping keys are one edit and each entry another, at the same offset: calls
    for several entries of the same missing path give the identical key edit, which the
    patcher applies once, so three fixes create one ``parameters:``, not three.
    """
    text = source.text
    step = step if step is not None else indentation_step(root)
    node: Node = root
    depth = 0
    for depth, key in enumerate(path):
        pair = entry(node, key)
        if pair is None:
            break
        key_node, value = pair
        if isinstance(value, MappingNode) and (value.value or value.flow_style):
            node = value
            continue
        if is_null(value):
            # key: (nothing) -> key: + the rest, nested one step under the key
            rest = path[depth + 1 :]
            at = _line_end(text, key_node.end_mark.index)
            null_start, null_end = span(value)
            lines = _nested_edits(source, at, rest, pairs, key_node.start_mark.column + step, step)
            if null_end > null_start:  # an explicit ~ or null goes (with the blank before it); a comment stays
                while null_start > key_node.end_mark.index + 1 and text[null_start - 1] in " \t":
                    null_start -= 1
                return (Edit(source, null_start, null_end, ""), *lines)
            return lines
        return ()
    else:
        return insert_entries(source, node, pairs)  # type: ignore[arg-type]
    assert isinstance(node, MappingNode)
    rest = path[depth:]
    if node.flow_style or not node.value:
        return ()
    column = _mapping_indent(node)
    at = _line_end(text, content_end(text, node))
    # Where a deeper mapping ends at ``at`` too (this one's last value), its own new entries go
    # first: ranked by the column of the mapping each joins (a PostgresCluster's new patroni:
    # under spec comes after a new config: in proxy.pgBouncer, last in spec).
    return _nested_edits(source, at, rest, pairs, column, step, rank=-column)


def _nested_edits(
    source: SourceFile,
    at: int,
    keys: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    column: int,
    step: int,
    rank: int = 0,
) -> tuple[Edit, ...]:
    """``\\n<indent>key:`` for each key, one step deeper each time (one edit), then each entry;
    every edit of ``rank`` (Edit.rank)."""
    newline = _newline(source)
    opened = []
    for key in keys:
        opened.append(f"{newline}{' ' * column}{key}:")
        column += step
    entries = [Edit(source, at, at, f"{newline}{' ' * column}{key}: {value}", rank=rank) for key, value in pairs]
    return (Edit(source, at, at, "".join(opened), rank=rank), *entries) if opened else tuple(entries)


def append_items(source: SourceFile, sequence: SequenceNode, rendered: Sequence[str]) -> tuple[Edit, ...]:
    """Append items (already rendered) to a sequence: ``, item`` in flow style, ``- item`` lines in block style."""
    if sequence.flow_style or not sequence.value:
        if not sequence.flow_style:
            return ()
        return (_insert_flow(source, sequence, rendered),)
    text = source.text
    # The first "-": the sequence's start is its anchor's when it has one (env: &env).
    dash = text.rfind("-", 0, sequence.value[0].start_mark.index)
    column = dash - (text.rfind("\n", 0, dash) + 1)
    at = _line_end(text, content_end(text, sequence))
    newline = _newline(source)
    return (Edit(source, at, at, "".join(f"{newline}{' ' * column}- {item}" for item in rendered)),)


def append_json(source: SourceFile, collection: Node, rendered: str) -> Edit:
    """Add an item (``"key": value`` to an object, a value to an array; already rendered as
    JSON) after the last one of a JSON collection: on a line of its own at that item's
    indentation when the items are one a line, else on the same line; inside an empty ``{}`` or
    ``[]``."""
    start, end = span(collection)
    if not collection.value:
        return Edit(source, start + 1, end - 1, rendered)
    last = collection.value[-1]
    first_of_last, last_node = (last[0], last[1]) if isinstance(last, tuple) else (last, last)
    at = last_node.end_mark.index
    if first_of_last.start_mark.line == collection.start_mark.line:
        return Edit(source, at, at, f", {rendered}")
    text = source.text
    line_start = text.rfind("\n", 0, first_of_last.start_mark.index) + 1
    indent = text[line_start : first_of_last.start_mark.index]
    if indent.strip(" \t"):
        indent = " " * first_of_last.start_mark.column
    return Edit(source, at, at, f",{_newline(source)}{indent}{rendered}")


def append_to_scalar(source: SourceFile, node: ScalarNode, addition: str) -> tuple[Edit, ...]:
    """Append text to a plain or quoted one-line scalar's value (a command line, say).

    ``addition`` is raw value text; inside double quotes it is escaped. Returns () for
    block scalars and values spanning lines.
    """
    start, end = span(node)
    raw = source.text[start:end]
    if "\n" in raw or node.style in ("|", ">"):
        return ()
    if node.style == '"':
        return (Edit(source, end - 1, end - 1, double_quoted(addition)[1:-1]),)
    if node.style == "'":
        return (Edit(source, end - 1, end - 1, addition.replace("'", "''")),)
    return (Edit(source, end, end, addition),)


# -- block scalars ---------------------------------------------------------------------


@dataclass(frozen=True)
class BlockText:
    """The value of a literal block scalar as a file, with the file offset of each of its lines.

    ``text`` is the node's value, ending with a line break like a file does (one is added
    when the block strips it, ``|-``: ``stripped``); ``line_starts[i]`` is the YAML file's
    offset where value line ``i`` begins (after the block's indentation), ``indent`` that
    indentation, ``tail`` where text added after the last line goes.
    """

    source: SourceFile
    node: ScalarNode
    text: str
    line_starts: tuple[int, ...]
    value_line_starts: tuple[int, ...]
    indent: str
    tail: int  # after the last content line's line break; for ``|-``, before it
    stripped: bool = False

    @classmethod
    def of(cls, source: SourceFile, node: Node) -> BlockText | None:
        """None unless ``node`` is a literal block scalar whose lines can be matched in the file."""
        if not isinstance(node, ScalarNode) or node.style != "|" or not node.value:
            return None
        text = source.text
        header_end = text.find("\n", node.start_mark.index)
        if header_end == -1:
            return None
        value = node.value
        stripped = not value.endswith("\n")
        pieces = value.split("\n")
        if pieces and pieces[-1] == "":
            pieces.pop()
        offset = header_end + 1
        starts: list[int] = []
        value_starts: list[int] = []
        cursor = 0
        indent = None
        last_end = offset
        for piece in pieces:
            line_end = _line_end(text, offset)
            line = text[offset:line_end]
            if piece:
                if not line.endswith(piece):
                    return None
                lead = line[: len(line) - len(piece)]
                if lead.strip(" ") or (indent is not None and lead != indent):
                    return None
                indent = lead if indent is None else indent
                starts.append(line_end - len(piece))
            else:
                if line.strip(" "):
                    return None
                starts.append(line_end)
            value_starts.append(cursor)
            cursor += len(piece) + 1
            last_end = line_end
            next_break = text.find("\n", offset)
            offset = len(text) if next_break == -1 else next_break + 1
        if indent is None:
            return None
        as_file = value if not stripped else value + "\n"
        tail = last_end if stripped else offset
        return cls(source, node, as_file, tuple(starts), tuple(value_starts), indent, tail, stripped)

    def _line_of(self, offset: int) -> int:
        import bisect

        return bisect.bisect_right(self.value_line_starts, offset) - 1

    def to_file(self, offset: int) -> int:
        """The file offset of a value offset (inside a line, or at a line's start or end)."""
        if offset >= len(self.text):
            return self.tail
        line = self._line_of(offset)
        return self.line_starts[line] + offset - self.value_line_starts[line]

    def edit(self, start: int, end: int, content: str) -> Edit:
        """An edit of the value, as an edit of the file: new lines get the block's indentation
        (blank ones none)."""
        newline = self.source.newline
        if start >= len(self.text):
            lines = content.removesuffix("\n").split("\n")
            if self.stripped:  # after the last line's text: each new line starts with its break
                rendered = "".join(f"{newline}{self.indent if line else ''}{line}" for line in lines)
            else:
                rendered = "".join(f"{self.indent if line else ''}{line}{newline}" for line in lines)
                text = self.source.text
                if self.tail == len(text) and text and not text.endswith("\n"):
                    rendered = newline + rendered  # the block is the file's last line, without a line break
            return Edit(self.source, self.tail, self.tail, rendered)
        pieces = content.split("\n")
        rendered = pieces[0]
        for index, piece in enumerate(pieces[1:], start=1):
            last = index == len(pieces) - 1
            rendered += newline + (self.indent if piece or last else "") + piece
        return Edit(self.source, self.to_file(start), self.to_file(end), rendered)


def block_document(text: str, block: BlockText) -> str:
    """``text`` with everything before a literal block's first line blanked (line breaks kept)
    and everything after the block cut: the block's lines, at their own offsets, as a YAML
    document whose nodes' offsets are the file's (a literal block holds its lines verbatim), so
    views built on it find and edit the file itself (a kustomization's inline patch, an Argo CD
    Application's ``helm.values``)."""
    first = block.line_starts[0]
    return "".join("\n" if char == "\n" else " " for char in text[:first]) + text[first : block.tail]
