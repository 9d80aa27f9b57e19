"""Settings written one by one somewhere other than their own config file.

A container's ``postgres -c name=value`` flags, an operator manifest's
``parameters:`` map, Patroni's ``postgresql.parameters``, a compose service's
``sysctls:``: each is a set of name/value pairs inside another format. A
:class:`PlacedSettings` view gathers one such set and feeds the existing server or
kernel rules (``layer`` is ``server`` or ``kernel``), so those rules apply unchanged.

Each setting is added with the edit that rewrites its value in its own syntax
(``add(key, value, location, value_span, replace)``); a missing setting is added by
the view's ``insert(key, value)`` (a new ``-c`` flag, a new map entry). Values are
read the way their consumer reads them: the server's GUC parser for ``server``
(``pgconf_fix.guc_values``; a value it refuses is PGF001, and so is a parameter
name it does not know when the version is known, or a near miss of a known one),
a plain integer for ``kernel``. A value with template markup (``{{ .Values.x }}``,
``${VAR}``) is unknown: neither wrong nor a number. What counts as markup is
``pgconf_fix.documents.connstr.TEMPLATE`` unless the view gives its own (``template``): a
compose command's ``$(...)`` is no markup, since compose runs no shell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pgconf_fix.documents.connstr import TEMPLATE
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.guc_values import GucInt, GucValueError, parse_int
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix import guc_catalog
from pgconf_fix.documents.sysctl import kernel_integer
from pgconf_fix.guc_catalog import INTEGER_PARAMETERS, RENEGOTIATION_BEFORE_9_5

Replace = Callable[[str], tuple[Edit, ...]]
Insert = Callable[[str, str], tuple[Edit, ...]]
KERNEL_KEYS = ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes")


@dataclass(frozen=True)
class PlacedAssignment(Assignment):
    """An assignment whose value cannot be pointed at alone (inside a quoted, escaped command):
    ``written`` is how messages show it."""

    written: str | None = None

    @property
    def raw_value(self) -> str:
        return self.written if self.written is not None else super().raw_value


class PlacedSettings(SettingsView):
    """Name/value pairs of one place (a command line, a map), judged as ``layer`` settings."""

    def __init__(
        self,
        layer: str,
        source: SourceFile,
        what: str,
        home: Location,
        insert: Insert | None,
        *,
        judges_missing: bool = True,
        major: Major | None = None,
        template: re.Pattern[str] = TEMPLATE,
    ) -> None:
        super().__init__(judges_missing=judges_missing, major=major)
        # What marks a value that something fills in before the consumer reads it (unknown here).
        self.template = template
        self.layer = layer
        self.source = source
        self.what = what  # "the command of compose service db", for messages
        self.home = home  # where a missing setting is reported
        self.insert = insert
        self.scope = {source.path}
        # What PGF104 says a non-zero ssl_renegotiation_limit does here.
        self.refusal = f"the server refuses to start with this setting in {what}"
        self._replace: dict[int, Replace] = {}
        self.broken_keys: set[str] = set()
        # Where the major came from when a message should say it (a compose image whose tag is a
        # variable: " (compose's reading of postgres:${PG_MAJOR}: ...)"), else "".
        self.version_note = ""

    def judges(self, key: str) -> bool:
        return self.judges_missing and key not in self.broken_keys

    def add(
        self,
        key: str,
        value: str,
        location: Location,
        value_span: tuple[int, int] | None,
        replace: Replace,
    ) -> None:
        """One setting as written: the last one of a key wins, as it does for -c flags and YAML maps.

        ``value_span`` is None when the value has no span of its own in the file (an escaped
        string): the setting is then located at ``location`` and shown by its value."""
        written = None
        if value_span is None:
            value_span, written = (location.start, location.end), value
        assignment = PlacedAssignment(
            key=key,
            source=self.source,
            start=location.start,
            end=location.end,
            value=value,
            value_start=value_span[0],
            value_end=value_span[1],
            written=written,
        )
        self._replace[id(assignment)] = replace
        self.assignments.append(assignment)

    def finish(self) -> PlacedSettings:
        """Check the values (and, for the server, the names) the way the consumer does."""
        if self.layer == "server":
            self._check_server()
        elif self.layer == "kernel":
            for key in KERNEL_KEYS:
                current = self.effective(key)
                if current is not None and not self.template.search(current.value):
                    try:
                        self.numeric(current, None)
                    except ValueError as exc:
                        self.problems.append(Problem(current.location, f"{key}: {exc}; the kernel rejects the write"))
        return self

    def _check_server(self) -> None:
        """Names and values against the catalog of the view's major (pgconf_fix.guc_catalog)."""
        catalog = guc_catalog.catalog_for(self.version)
        seen: set[str] = set()
        for assignment in self.assignments:
            key = assignment.key
            if key in seen or "." in key:
                continue
            seen.add(key)
            if (key in catalog) if catalog is not None else guc_catalog.known_anywhere(key):
                continue
            having = guc_catalog.versions_with(key)
            if having:  # the version is known and lacks it
                self.problems.append(
                    Problem(assignment.location, f'"{key}" is not a parameter of PostgreSQL {self.version}{self.version_note} '
                            f"(it exists on {guc_catalog.span(having)}); PostgreSQL {self.version} refuses to start with it")
                )
                continue
            close = guc_catalog.did_you_mean(key, self.version)
            if close:
                self.broken_keys.add(close.lower())  # the near miss is there, only misspelt: not "missing"
                self.problems.append(
                    Problem(assignment.location, f'unrecognized configuration parameter "{key}" (did you mean '
                            f'"{close}"?); the server refuses to start with it')
                )
            elif catalog is not None:
                self.problems.append(
                    Problem(assignment.location, f'unrecognized configuration parameter "{key}"; PostgreSQL '
                            f"{self.version}{self.version_note} refuses to start with it")
                )
        for key in INTEGER_PARAMETERS:
            current = self.effective(key)
            if current is not None and not self.template.search(current.value):
                meta = guc_catalog.value_meta(key, self.version)
                if meta is None:
                    continue
                try:
                    parse_int(current.value, meta)
                except GucValueError as exc:
                    self.problems.append(Problem(current.location, f'invalid value for parameter "{key}": {exc}'))

    def templated(self, key: str) -> bool:
        current = self.effective(key)
        return current is not None and bool(self.template.search(current.value))

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        if self.template.search(assignment.value):
            raise ValueError(f"{assignment.key} comes from a template")
        if self.layer == "kernel":  # as the kernel reads a write (pgconf_fix.documents.sysctl)
            low, high = (0, 255) if assignment.key.endswith("_probes") else (-(2**31), 2**31 - 1)
            return kernel_integer(assignment.value.strip(), low, high).value
        if assignment.key == "ssl_renegotiation_limit" and unit == "kB":
            return parse_int(assignment.value, RENEGOTIATION_BEFORE_9_5)
        return parse_int(assignment.value, guc_catalog.value_meta(assignment.key, self.version) or GucInt(unit))

    def missing_location(self, key: str) -> Location:
        return self.home

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is not None:
            return self._replace[id(current)](value)
        if self.insert is None:
            return ()
        return self.insert(key, value)

    def describe_missing(self) -> str:
        return f" (not set in {self.what})"
