"""Config files held in a YAML block scalar: a postgresql.conf in a Helm value or a ConfigMap.

The text is read by the format's own document and view (:class:`ServerConfig` for a
postgresql.conf) on the block's value, and everything that view says is mapped back to
the YAML file: assignments, problems and locations by
:meth:`pgconf_fix.documents.yaml_nodes.BlockText.to_file`, edits by
:meth:`~pgconf_fix.documents.yaml_nodes.BlockText.edit` (new lines get the block's
indentation). The same rules apply unchanged.
"""

from __future__ import annotations

from pgconf_fix.documents.yaml_nodes import BlockText
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix.views.server import ServerConfig
from pgconf_fix.workspace import Workspace


class EmbeddedServerConfig(SettingsView):
    """A postgresql.conf in a block scalar, judged as the server's configuration."""

    layer = "server"

    def __init__(
        self,
        workspace: Workspace,
        block: BlockText,
        what: str,
        *,
        major: Major | None = None,
    ) -> None:
        super().__init__()
        self.block = block
        self.what = what
        self.source = block.source
        self.scope = {block.source.path}
        inner_source = SourceFile(
            path=block.source.path, display=block.source.display, data=block.text.encode("utf-8", "surrogateescape"),
            text=block.text, utf8=block.source.utf8,
        )  # fmt: skip
        self.inner = ServerConfig(workspace, inner_source, major=major)
        self.inner.scope = {block.source.path}
        self.version = self.inner.version
        self.version_origin = self.inner.version_origin
        self._inner_of: dict[int, Assignment] = {}
        for assignment in self.inner.assignments:
            outer = Assignment(
                key=assignment.key,
                source=self.source,
                start=block.to_file(assignment.start),
                end=block.to_file(assignment.end),
                value=assignment.value,
                value_start=block.to_file(assignment.value_start),
                value_end=block.to_file(assignment.value_end),
                quoted=assignment.quoted,
            )
            self._inner_of[id(outer)] = assignment
            self.assignments.append(outer)
        self.problems = [Problem(self._location(problem.location), problem.message) for problem in self.inner.problems]

    def _location(self, location: Location) -> Location:
        return Location(self.source, self.block.to_file(location.start), self.block.to_file(location.end))

    def _edit(self, edit: Edit) -> Edit:
        return self.block.edit(edit.start, edit.end, edit.content)

    def judges(self, key: str) -> bool:
        return self.judges_missing and self.inner.judges(key)

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        return self.inner.numeric(self._inner_of.get(id(assignment), assignment), unit)

    def missing_location(self, key: str) -> Location:
        return self._location(self.inner.missing_location(key))

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        return tuple(self._edit(edit) for edit in self.inner.set_edits(key, value))

    def describe_missing(self) -> str:
        return f" (not set in {self.what})"
