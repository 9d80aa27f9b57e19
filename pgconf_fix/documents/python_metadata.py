"""Node spans and parents of a libcst module in one code generation pass: a code generation
state (libcst's ``CodegenState``) that counts characters instead of collecting tokens, with
the public providers as the fallback should libcst's codegen ever change shape
(tests/test_python_layer.py compares the two, node for node and in the same order).

A span is ``(start, end)``: character offsets into the module's text, end exclusive, the
range libcst's ``PositionProvider`` gives (leading and trailing whitespace a node owns left
out where the provider leaves it out). libcst writes the module back exactly, so the
characters its code generation emits up to a node are the node's offset in the text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

Span = tuple[int, int]

# libcst's code generation, which records every node's position, recurses in Python: two
# frames a nested node. Deeper than this, it would near Python's recursion limit (1,000)
# from wherever the run calls it, and a file is reported as nested too deeply instead.
# 199 nested lists, the most Python's parser takes, are ~400 nodes deep; real code, tens.
MAX_NESTING = 420


class NestingTooDeep(Exception):
    """A module nested deeper than MAX_NESTING nodes: ``line`` (1-based, as Python counts
    lines) and ``column`` (0-based) of the node that went past it."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.message = (
            f"nesting too deep for pgconf-fix's Python parser (libcst): more than {MAX_NESTING} "
            "levels here; this file is not checked"
        )
        super().__init__(self.message)


class _SpansAndParents(CodegenState):
    """Code generation that emits nothing: it counts the characters each token would add and
    notes, for every node, its span and its parent. Where libcst's PositionProvidingCodegenState
    splits each token on line breaks and makes two position objects a node, this adds a length:
    three times cheaper on the modules the Python layer reads (benchmarks/README.md)."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.spans: dict[cst.CSTNode, Span] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.open_nodes: list[cst.CSTNode] = []
        self.starts: list[int] = []

    # ``tokens`` holds at most the first token: Module's code generation asks whether any was
    # written (an empty module still gets its newline).
    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)
        if self.indent_tokens and not self.tokens:
            self.tokens.append(self.indent_tokens[0])

    def add_token(self, value: str) -> None:
        self.offset += len(value)
        if not self.tokens:
            self.tokens.append(value)

    def pop_trailing_newline(self) -> None:
        """The module's last newline is dropped after every node is closed: no span moves."""

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.open_nodes:
            if len(self.open_nodes) >= MAX_NESTING:
                raise _TooDeepAt(self.offset)
            self.parents[node] = self.open_nodes[-1]
        self.open_nodes.append(node)
        self.starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        self.open_nodes.pop()
        start = self.starts.pop()
        # A span recorded by record_syntactic_position (inside the node) is the one kept.
        if node not in self.spans:
            self.spans[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


class _TooDeepAt(Exception):
    def __init__(self, offset: int) -> None:
        self.offset = offset
        super().__init__(offset)


def line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    """1-based line and 0-based column (characters) of ``offset``, given the offsets where
    lines start (as libcst and Python count them: CRLF, CR and LF each end a line)."""
    index = bisect_right(line_starts, offset) - 1
    return index + 1, offset - line_starts[index]


def spans_and_parents(
    module: cst.Module, line_starts: list[int], length: int
) -> tuple[dict[cst.CSTNode, Span], dict[cst.CSTNode, cst.CSTNode]]:
    """Every node's span (character offsets, as PositionProvider's range) and parent, in the
    order PositionProvider records them, from one code generation pass.

    ``line_starts``: the offsets where the module's lines start, as libcst counts lines (CRLF,
    CR and LF each end one), and ``length`` the text's length in characters; used to convert
    ranges in the fallback, to place the NestingTooDeep error, and to end at the text's end
    the spans of a last line without its newline. ``MetadataWrapper.resolve_many`` costs ~5 ms
    even for a ten-line file; on the benchmark's 2,500-character engine modules, libcst's own
    position-recording state took 13.9 ms a module (line and column per token) and this 3.6 ms
    (80 modules, one run each, benchmarks/README.md "Issue 18, second pass").

    Raises NestingTooDeep for a module nested deeper than MAX_NESTING nodes, or one that
    reaches Python's recursion limit before that (called from deep in a stack).
    """
    state = None
    try:
        state = _SpansAndParents(module)
        module._codegen(state)
        if state.offset > length:
            # libcst writes a last statement's newline, then drops it when the text has none:
            # spans that reach past the text end at its end.
            state.spans = {node: (min(start, length), min(end, length)) for node, (start, end) in state.spans.items()}
        return state.spans, state.parents
    except Exception as exc:  # noqa: BLE001 - a libcst internal that moved: use the public, slower way
        # Unwinding through libcst's own context managers (record_syntactic_position, or
        # theirs should ours not be called) can replace the first exception: the cause is
        # looked for along the chain.
        cause = _first_of(exc, (_TooDeepAt, RecursionError))
        if isinstance(cause, _TooDeepAt):
            raise NestingTooDeep(*line_column(line_starts, cause.offset)) from None
        if cause is not None:
            offset = state.offset if state is not None else 0
            raise NestingTooDeep(*line_column(line_starts, offset)) from None
    try:
        return spans_and_parents_by_providers(module, line_starts, length)
    except RecursionError:
        raise NestingTooDeep(1, 0) from None


def _first_of(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kinds`` in ``exc``'s context chain (``exc`` included)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 100_000:
        if isinstance(current, kinds):
            return current
        current = current.__context__
        seen += 1
    return None


def spans_and_parents_by_providers(
    module: cst.Module, line_starts: list[int], length: int
) -> tuple[dict[cst.CSTNode, Span], dict[cst.CSTNode, cst.CSTNode]]:
    """What ``spans_and_parents`` gives, from libcst's public PositionProvider and
    ParentNodeProvider (line and column converted with ``line_starts``)."""
    resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve_many([PositionProvider, ParentNodeProvider])

    def offset(line: int, column: int) -> int:
        # A line past the last is the one after a final newline the text does not have.
        return min(line_starts[line - 1] + column, length) if line <= len(line_starts) else length

    spans = {
        node: (offset(where.start.line, where.start.column), offset(where.end.line, where.end.column))
        for node, where in resolved[PositionProvider].items()
    }
    return spans, dict(resolved[ParentNodeProvider])
