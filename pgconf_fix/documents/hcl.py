"""A Terraform .tf file: blocks and attributes with the exact offsets of the original.

Most files are read by ``hcl_reader``; what it does not know, python-hcl2's Lark tree is
read for, for positions only.

The tree is never turned back into text. Blocks and attributes keep the exact
character offsets of the original, and every change is a text edit on it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The model is named from here too.
from pgconf_fix.documents.hcl_model import (  # noqa: F401  # noqa: F401
    BOOL,
    NULL,
    NUMBER,
    OTHER,
    REFERENCE,
    STRING,
    Expression,
    HclAttribute,
    HclBlock,
    SyntaxProblem,
    hcl_number,
)
from pgconf_fix.documents.hcl_reader import bracket_depth, read_body
from pgconf_fix.documents.hcl_strings import heredoc_markers, refused_escape
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.redact import excerpt
from pgconf_fix.source import SourceFile


class HclDocument:
    """The top-level blocks of one .tf file, or the syntax error that stops Terraform."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.blocks: list[HclBlock] = []
        # Top-level arguments: a .tfvars file's variable values (a .tf file has none).
        self.attributes: list[HclAttribute] = []
        self.error: SyntaxProblem | None = None
        # Why a file Terraform reads could not be read here (PGF004): nothing in it is judged.
        self.unread: Problem | None = None
        text = source.text
        if source.path.name.endswith(".json"):
            self._read_json(text)
            return
        try:
            attributes, blocks, self.error = _read(text)
        except NestedTooDeep as deep:
            start, end = source.line_span(1)
            self.unread = Problem(Location(source, start, end), (
                f"not checked: brackets nested {deep.depth:,} deep, past the {MAX_NESTING:,} levels pgconf-fix reads "
                "in bounded time and memory; nothing in the file was checked"))
            return
        if self.error is None and (refused := refused_escape(source)) is not None:
            attributes, blocks, self.error = (), (), SyntaxProblem(*refused)  # python-hcl2 takes it
        self.attributes, self.blocks = list(attributes), list(blocks)

    @property
    def problems(self) -> list[Problem]:
        """What Terraform rejects in this file (PGF001): from the error's offset (kept within the
        file's text) to the end of its line."""
        if self.error is None:
            return []
        source = self.source
        offset = max(0, min(self.error.offset, len(source.text.rstrip()) - 1))
        _, _, end = line_bounds(source, offset)
        return [Problem(Location(source, offset, max(end, offset)), self.error.message)]

    @property
    def is_json(self) -> bool:
        return self.source.path.name.endswith(".json")

    def _read_json(self, text: str) -> None:
        """Terraform's JSON syntax: ``*.tf.json`` blocks, ``*.tfvars.json`` values."""
        from pgconf_fix.documents import hcl_json

        try:
            if self.source.path.name.endswith(".tfvars.json"):
                self.attributes = hcl_json.values(text)
            else:
                self.blocks = hcl_json.blocks(text)
        except hcl_json.JsonSyntaxError as exc:
            self.error = SyntaxProblem(exc.offset, str(exc))
        except RecursionError:  # each level is a Python call; terraform 1.x reads 100,000 levels
            self.attributes, self.blocks = [], []
            start, end = self.source.line_span(1)
            self.unread = Problem(Location(self.source, start, end), (
                "not checked: nested too deeply for pgconf-fix's JSON reader (past Python's recursion limit), "
                "though Terraform reads it; nothing in the file was checked"))

    def blocks_of(self, kind: str) -> list[HclBlock]:
        return [block for block in self.blocks if block.type == kind]


# Brackets nested deeper than this are not read: the plain reader stops at Python's recursion
# limit (~500 levels), and python-hcl2 takes ~11 KB and growing time a level (100,000 levels:
# 1.17 GB, 27 s). No configuration nests anywhere near it.
MAX_NESTING = 1000


class NestedTooDeep(Exception):
    """A .tf text whose brackets nest deeper than MAX_NESTING (``depth``)."""

    def __init__(self, depth: int) -> None:
        super().__init__(depth)
        self.depth = depth


@lru_cache(maxsize=4096)
def _read(text: str) -> tuple[tuple[HclAttribute, ...], tuple[HclBlock, ...], SyntaxProblem | None]:
    """The top-level attributes and blocks of a .tf or .tfvars text (no blocks and the syntax
    error when it does not parse), remembered by text: a re-check after a fix, and the
    verifier's look at a fixed text's siblings, read the same texts again (issue 18). The
    blocks are shared between documents of one text and never changed after reading."""
    body = read_body(text)
    if body is None:
        depth = bracket_depth(text)
        if depth is not None and depth > MAX_NESTING:
            raise NestedTooDeep(depth)
        try:
            body = hcl2_body(text)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the file's, reported as PGF001
            masked = _plain_heredocs(text)
            if masked is None:
                return (), (), _describe(exc, text)
            try:
                body = hcl2_body(masked, text)
            except Exception:  # noqa: BLE001 - the first verdict, on the text as written, stands
                return (), (), _describe(exc, text)
    return tuple(body[0]), tuple(body[1]), None


def _plain_heredocs(text: str) -> str | None:
    """``text`` with each heredoc's marker and closing line rewritten, offset for offset, in the
    form python-hcl2's lexer knows: an ASCII marker starting with a letter (its pattern is
    ``[a-zA-Z][a-zA-Z0-9._-]*``, where Terraform takes any identifier: ``<<ÉOF``, ``<<_EOF``) and
    a closing line with no blank after the marker (Terraform trims blanks on both sides).
    The new marker is on no line of the text, so the heredoc closes where Terraform closes it.
    None when nothing needs it, or when the heredocs cannot be found as Terraform finds them."""
    found = heredoc_markers(text) if "<<" in text else None
    if not found:
        return None
    taken = {line.strip() for line in text.splitlines()}
    edits = []
    for marker_start, marker_end, line_start, line_end in found:
        plain = _plain_marker(marker_end - marker_start, taken)
        if plain is None:
            return None
        taken.add(plain)
        closing = text[line_start:line_end]
        # The closing line keeps its "\r" (python-hcl2 takes "\r\n"); blanks all go before the marker.
        carriage = "\r" if closing.endswith("\r") else ""
        edits += [(marker_start, marker_end, plain), (line_start, line_end, plain.rjust(len(closing) - len(carriage)) + carriage)]
    pieces, cursor = [], 0
    for start, end, replacement in sorted(edits):  # a heredoc inside another's sequence lies between its two
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    masked = "".join(pieces)
    return masked if masked != text else None


def _plain_marker(width: int, taken: set[str]) -> str | None:
    """An ASCII marker ``width`` characters long (a letter, then hexadecimal digits) that is not
    in ``taken``; None when the first few hundred all are."""
    for first in string.ascii_letters:
        if width == 1:
            if first not in taken:
                return first
            continue
        for index in range(min(16 ** (width - 1), 256)):
            candidate = first + format(index, "x").rjust(width - 1, "0")
            if candidate not in taken:
                return candidate
    return None


def hcl2_blocks(text: str) -> list[HclBlock]:
    """The top-level blocks as python-hcl2 reads them (for what the fast reader leaves to it)."""
    return hcl2_body(text)[1]


def hcl2_body(text: str, written: str | None = None) -> tuple[list[HclAttribute], list[HclBlock]]:
    """The top-level attributes and blocks as python-hcl2 reads them. ``written``: the text as
    written, when ``text`` is a rewrite of it with the same offsets (``_plain_heredocs``):
    names and values are read from it."""
    import hcl2

    body = hcl2.parses_to_tree(text).children[0]
    text = text if written is None else written
    attributes = [_attribute(node, text) for node in body.children if _rule(node) == "attribute"]
    return attributes, [_block(node, text) for node in body.children if _rule(node) == "block"]


def _describe(exc: Exception, text: str) -> SyntaxProblem:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    end_of_file = "invalid HCL: unexpected end of file (an unclosed block, bracket or string?)"
    offset = None
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream
    elif isinstance(exc, UnexpectedToken) and exc.token.type != "$END" and exc.token.start_pos is not None:
        offset = exc.token.start_pos
    elif not isinstance(exc, (UnexpectedToken, UnexpectedEOF)):
        return SyntaxProblem(0, f"invalid HCL: {exc}")
    if offset is None or offset >= len(text.rstrip()):
        return SyntaxProblem(len(text.rstrip()), end_of_file)
    # The lexer's token may run on over lines; the first word is what a reader sees.
    token = text[offset:].split(None, 1)[0]
    first = text.rfind("\n", 0, offset) + 1
    last = text.find("\n", offset)
    line = text[first : len(text) if last == -1 else last]
    # Masked on the whole line before the cut: the token may hold only part of a password's carrier.
    shown = excerpt(line, offset - first, offset - first + len(token), 20)
    return SyntaxProblem(offset, f"invalid HCL: unexpected {shown!r}")


def _rule(node: Any) -> str | None:
    data = getattr(node, "data", None)
    return None if data is None else str(data)


def _token_type(node: Any) -> str | None:
    return getattr(node, "type", None) if _rule(node) is None else None


def _span(node: Any) -> tuple[int, int]:
    if _rule(node) is None:
        return node.start_pos, node.end_pos
    return node.meta.start_pos, node.meta.end_pos


def _name(node: Any, text: str) -> str:
    """An identifier, keyword or literal used as a name, or a quoted label without its quotes."""
    start, end = _span(node)
    if _rule(node) == "string":
        return text[start + 1 : end - 1]
    return text[start:end]


def _block(node: Any, text: str) -> HclBlock:
    children = node.children
    brace = next(i for i, child in enumerate(children) if _token_type(child) == "LBRACE")
    names = [_name(child, text) for child in children[:brace] if _rule(child) != "new_line_or_comment"]
    body = children[brace + 1]
    close = children[brace + 2]
    block = HclBlock(
        type=names[0],
        labels=tuple(names[1:]),
        start=_span(children[0])[0],
        open_brace=children[brace].start_pos,
        close_brace=close.start_pos,
    )
    for child in body.children:
        kind = _rule(child)
        if kind == "attribute":
            block.attributes.append(_attribute(child, text))
        elif kind == "block":
            block.blocks.append(_block(child, text))
    return block


def _attribute(node: Any, text: str) -> HclAttribute:
    name_node, equals, value = node.children
    start, name_end = _span(name_node)
    value_end = _span(value)[1]
    return HclAttribute(
        name=text[start:name_end],
        start=start,
        name_end=name_end,
        equals=equals.end_pos - 1,
        end=value_end,
        value=expression(value, text),
    )


def expression(node: Any, text: str) -> Expression:
    """What an expression is, as far as it can be known from the text alone."""
    start, end = _span(node)
    while _rule(node) == "expr_term":
        inner = [child for child in node.children if _rule(child) not in (None, "new_line_or_comment")]
        if len(inner) != 1 or len(node.children) not in (1, 3):
            break  # a parenthesised expression spread over lines, or more than one term
        node = inner[0]
    kind = _rule(node)
    start, end = _span(node)
    if kind == "int_lit":
        return Expression(NUMBER, start, end, hcl_number(text[start:end]))
    if kind == "float_lit":
        return Expression(NUMBER, start, end, float(text[start:end]))
    if kind == "literal_value":
        word = text[start:end]
        if word == "null":
            return Expression(NULL, start, end)
        return Expression(BOOL, start, end, word == "true")
    if kind == "string":
        return _string(node, text, start, end)
    if kind == "get_attr_expr_term":
        reference = _reference(node, text)
        if reference is not None:
            return Expression(REFERENCE, start, end, reference)
    return Expression(OTHER, start, end)


def _string(node: Any, text: str, start: int, end: int) -> Expression:
    parts = [child for child in node.children if _rule(child) == "string_part"]
    if len(parts) == 1 and _rule(parts[0].children[0]) == "interpolation":
        # Terraform 0.11 "${var.x}": the same value as var.x.
        interpolation = parts[0].children[0]
        inner = expression(interpolation.children[1], text)
        if inner.kind != OTHER:
            return Expression(inner.kind, inner.start, inner.end, inner.value, inner.quoted, legacy=True)
        return Expression(OTHER, start, end)
    if all(_token_type(part.children[0]) == "STRING_CHARS" for part in parts):
        return Expression(STRING, start, end, text[start + 1 : end - 1], quoted=True)
    return Expression(OTHER, start, end)


def _reference(node: Any, text: str) -> tuple[str, str] | None:
    """``var.x`` or ``local.x`` (nothing longer: ``var.x.y`` needs the value's type)."""
    base, attr = node.children
    if _rule(base) != "expr_term" or len(base.children) != 1 or _rule(base.children[0]) != "identifier":
        return None
    root = _name(base.children[0], text)
    if root not in ("var", "local") or _rule(attr) != "get_attr":
        return None
    return root, _name(attr.children[1], text)


# --- edits ---------------------------------------------------------------------------------


def line_bounds(source: SourceFile, offset: int) -> tuple[int, int, int]:
    """The 1-based line of ``offset``, and the offsets of its content (no line ending)."""
    line, _ = source.position(offset)
    start, end = source.line_span(line)
    return line, start, end


def indentation(source: SourceFile, offset: int) -> str:
    _, start, _ = line_bounds(source, offset)
    text = source.text[start:offset]
    return text if not text.strip() else text[: len(text) - len(text.lstrip())]


def equals_gaps(leads: list[int]) -> list[int]:
    """Spaces before "=" on each line of a run, as ``terraform fmt`` aligns them.

    ``leads`` are the widths of what comes before the "=" (indentation and name);
    every "=" lands one column after the widest.
    """
    widest = max(leads)
    return [widest - lead + 1 for lead in leads]


def comment_gaps(widths: list[int | None]) -> list[int | None]:
    """Spaces before a trailing comment, for consecutive lines of code (``None``: no comment).

    ``terraform fmt`` aligns the comments of each unbroken chain of commented lines one
    column after the chain's widest code.
    """
    gaps: list[int | None] = [None] * len(widths)
    index = 0
    while index < len(widths):
        if widths[index] is None:
            index += 1
            continue
        chain_end = index
        while chain_end < len(widths) and widths[chain_end] is not None:
            chain_end += 1
        widest = max(w for w in widths[index:chain_end] if w is not None)
        for position in range(index, chain_end):
            gaps[position] = widest - widths[position] + 1  # type: ignore[operator]
        index = chain_end
    return gaps


@dataclass(frozen=True)
class RunLine:
    """One line of an aligned run of attributes, measured on the original text."""

    attribute: HclAttribute
    line_start: int
    line_end: int
    comment_start: int | None  # a trailing comment on the same line


def _run_line(source: SourceFile, attribute: HclAttribute) -> RunLine:
    _, start, end = line_bounds(source, attribute.start)
    rest = source.text[attribute.end : end]
    stripped = rest.lstrip(" \t")
    comment = None
    # fmt aligns line comments only: a trailing /* */ is not a comment cell for it.
    if stripped.startswith(("#", "//")):
        comment = attribute.end + len(rest) - len(stripped)
    return RunLine(attribute, start, end, comment)


def aligned_runs(source: SourceFile, block: HclBlock) -> list[list[RunLine]]:
    """The block's attributes that ``terraform fmt`` aligns together, run by run.

    A run is consecutive lines that each hold one attribute with a one-line value;
    a blank line, a comment line, a nested block or a multi-line value ends it.
    """
    runs: list[list[RunLine]] = []
    previous_line = -2
    for attribute in block.attributes:
        line, start, _ = line_bounds(source, attribute.start)
        end_line, _ = source.position(attribute.end)
        alone = not source.text[start : attribute.start].strip()
        if (end_line != line and not _is_heredoc(source, attribute)) or not alone:
            previous_line = -2
            continue
        if line == previous_line + 1 and runs:
            runs[-1].append(_run_line(source, attribute))
        else:
            runs.append([_run_line(source, attribute)])
        previous_line = line
    return runs


def _is_heredoc(source: SourceFile, attribute: HclAttribute) -> bool:
    # fmt aligns a heredoc's opening line with its neighbours; its body ends the run.
    return source.text[attribute.equals + 1 : attribute.end].lstrip().startswith("<<")


def _one_line(source: SourceFile, line: RunLine) -> bool:
    return line.attribute.end <= line.line_end


META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "source", "version"})


def _insertion_run(source: SourceFile, runs: list[list[RunLine]]) -> tuple[list[RunLine], int] | None:
    """The run a new argument joins (the last one not made of meta-arguments alone), and
    the index of the line it goes after (the run's last one-line attribute)."""
    for run in reversed(runs):
        if all(line.attribute.name in META_ARGUMENTS for line in run):
            continue
        for index in range(len(run) - 1, -1, -1):
            if _one_line(source, run[index]):
                return run, index
    return None


def insert_attribute(source: SourceFile, block: HclBlock, name: str, value: str) -> tuple[Edit, ...]:
    """Add ``name = value`` to a block, indented and aligned as ``terraform fmt`` would.
    Nothing for a JSON file (``*.tf.json``): a new property needs commas managed too."""
    if source.path.name.endswith(".json"):
        return ()
    text = source.text
    newline = source.newline
    runs = aligned_runs(source, block)
    chosen = _insertion_run(source, runs)
    if chosen is None:
        if runs:
            # Only meta-arguments (count, for_each...): a blank line keeps them apart, as is usual.
            indent = indentation(source, runs[-1][0].attribute.start)
            after = max(line.line_end for line in runs[-1])
            return (Edit(source, after, after, f"{newline}{newline}{indent}{name} = {value}"),)
        return _insert_alone(source, block, name, value)
    run, position = chosen
    indent = indentation(source, run[0].attribute.start)
    leads = [line.attribute.name_end - line.line_start for line in run]
    leads.insert(position + 1, len(indent) + len(name))
    gaps = equals_gaps(leads)
    new_gap = gaps.pop(position + 1)
    edits: list[Edit] = []
    new_widths: list[int | None] = []
    for line, gap in zip(run, gaps):
        attribute = line.attribute
        if text[attribute.name_end : attribute.equals] != " " * gap:
            edits.append(Edit(source, attribute.name_end, attribute.equals, " " * gap))
        width = attribute.name_end - line.line_start + gap + (attribute.end - attribute.equals)
        new_widths.append(width if line.comment_start is not None else None)
    for line, gap in zip(run, comment_gaps(new_widths)):
        if gap is None or line.comment_start is None:
            continue
        if text[line.attribute.end : line.comment_start] != " " * gap:
            edits.append(Edit(source, line.attribute.end, line.comment_start, " " * gap))
    after = run[position].line_end
    edits.append(Edit(source, after, after, f"{newline}{indent}{name}{' ' * new_gap}= {value}"))
    return tuple(edits)


def _insert_alone(source: SourceFile, block: HclBlock, name: str, value: str) -> tuple[Edit, ...]:
    """No run to join: the argument goes first in the body, on its own line."""
    newline = source.newline
    outer = indentation(source, block.start)
    inner_indent = outer + "  "
    text = source.text
    open_line, _, open_end = line_bounds(source, block.open_brace)
    close_line, _, _ = line_bounds(source, block.close_brace)
    if open_line == close_line:
        if text[block.open_brace + 1 : block.close_brace].strip():
            return ()  # a one-line block with content: rewriting it is not a small edit
        return (
            Edit(
                source,
                block.open_brace + 1,
                block.close_brace,
                f"{newline}{inner_indent}{name} = {value}{newline}{outer}",
            ),
        )
    if text[block.open_brace + 1 : open_end].strip():
        return ()  # something follows "{" on its line
    return (Edit(source, open_end, open_end, f"{newline}{inner_indent}{name} = {value}"),)


def replace_expression(source: SourceFile, value: Expression, rendered: str) -> tuple[Edit, ...]:
    """Put a number where a value is written, keeping its quotes if it had them."""
    content = f'"{rendered}"' if value.quoted else rendered
    return (Edit(source, value.start, value.end, content),)

