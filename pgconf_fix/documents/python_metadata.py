"""Node positions and parents of a libcst module in one code generation pass: a shortcut
through libcst's codegen state (``PositionProvidingCodegenState``), with the public
providers as the fallback should that internal ever change shape (tests/test_python_layer.py
compares the two).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

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


class _Recorder:
    """Stands in for PositionProvider: the codegen state writes each node's range here."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class _PositionsAndParents(PositionProvidingCodegenState):
    """libcst's own position-recording code generation, noting each node's parent as it goes."""

    __slots__ = ("parents", "open_nodes")

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.open_nodes:
            if len(self.open_nodes) >= MAX_NESTING:
                raise NestingTooDeep(self.line, self.column)
            self.parents[node] = self.open_nodes[-1]
        self.open_nodes.append(node)
        super().before_codegen(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        self.open_nodes.pop()
        super().after_codegen(node)


def positions_and_parents(module: cst.Module) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, cst.CSTNode]]:
    """What PositionProvider and ParentNodeProvider give, from one code generation pass.

    ``MetadataWrapper.resolve_many`` costs ~5 ms even for a ten-line file (most of it in
    batching the parent visitor); this is ~0.5 ms. Should libcst's codegen state ever change
    shape, the providers themselves answer (tests/test_python_layer.py compares the two).

    Raises NestingTooDeep for a module nested deeper than MAX_NESTING nodes, or one that
    reaches Python's recursion limit before that (called from deep in a stack).
    """
    state = None
    try:
        recorder = _Recorder()
        state = _PositionsAndParents(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=recorder  # type: ignore[arg-type]
        )
        state.parents = {}
        state.open_nodes = []
        module._codegen(state)
        return recorder._computed, state.parents
    except Exception as exc:  # noqa: BLE001 - a libcst internal that moved: use the public, slower way
        # Unwinding through libcst's position-recording context managers replaces the first
        # exception with KeyErrors: the cause is looked for along the chain.
        cause = _first_of(exc, (NestingTooDeep, RecursionError))
        if isinstance(cause, NestingTooDeep):
            raise cause from None
        if cause is not None:
            where = (state.line, state.column) if state is not None else (1, 0)
            raise NestingTooDeep(*where) from None
    try:
        return positions_and_parents_by_providers(module)
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


def positions_and_parents_by_providers(
    module: cst.Module,
) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, cst.CSTNode]]:
    resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve_many([PositionProvider, ParentNodeProvider])
    return dict(resolved[PositionProvider]), dict(resolved[ParentNodeProvider])
