"""Node positions and parents of a libcst module in one code generation pass: a shortcut
through libcst's codegen state (``PositionProvidingCodegenState``), with the public
providers as the fallback should that internal ever change shape (tests/test_python_layer.py
compares the two).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


class _Recorder:
    """Stands in for PositionProvider: the codegen state writes each node's range here."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class _PositionsAndParents(PositionProvidingCodegenState):
    """libcst's own position-recording code generation, noting each node's parent as it goes."""

    __slots__ = ("parents", "open_nodes")

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.open_nodes:
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
    """
    try:
        recorder = _Recorder()
        state = _PositionsAndParents(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=recorder  # type: ignore[arg-type]
        )
        state.parents = {}
        state.open_nodes = []
        module._codegen(state)
        return recorder._computed, state.parents
    except Exception:  # noqa: BLE001 - a libcst internal that moved: use the public, slower way
        return positions_and_parents_by_providers(module)


def positions_and_parents_by_providers(
    module: cst.Module,
) -> tuple[dict[cst.CSTNode, CodeRange], dict[cst.CSTNode, cst.CSTNode]]:
    resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve_many([PositionProvider, ParentNodeProvider])
    return dict(resolved[PositionProvider]), dict(resolved[ParentNodeProvider])
