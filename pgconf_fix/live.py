"""``pgconf-fix --live DSN``: judge the settings a running server uses, not the files it might read.

The only place pgconf-fix opens a network connection, and only to the DSN given. It
reads the server version and ``pg_settings`` once, builds a server view of the
effective values, and runs the server rules (PGF101-PGF104) on it.

Each finding points at the file and line the value came from (``sourcefile`` and
``sourceline``, visible to superusers and members of pg_read_all_settings). When that
file is among the paths given on the command line -- the same absolute path, or the
same trailing path components such as ``main/postgresql.conf`` -- the finding sits on
that line of the local file and carries a fix. Otherwise it is reported at the DSN
(password redacted), line 1, and says where the server read the value.

Values are ``reset_val``: the value a session of this role gets, in the base unit.
``setting`` goes through the server's show hooks, which over TCP report the kernel's
keepalive values (7200) for a 0.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pgconf_fix.checks import server_checks  # noqa: F401 - registers the checks of server views
from pgconf_fix.discovery import walk_files
from pgconf_fix.documents.pgconf import parse_line
from pgconf_fix.engine import run_rules
from pgconf_fix.findings import Edit, Finding, Location
from pgconf_fix.guc_catalog import INTEGER_PARAMETERS, RENEGOTIATION_BEFORE_9_5
from pgconf_fix.guc_values import GucInt, parse_int
from pgconf_fix.redact import MASK, redact, secret_spans, secrets
from pgconf_fix.source import InputError, SourceFile, UserError
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import Assignment, SettingsView, replace_value
from pgconf_fix.views.server import ServerConfig, render_like

if TYPE_CHECKING:
    from pgconf_fix.run import CheckResult
    from pgconf_fix.workspace import Workspace

DEFAULT_TIMEOUT = 10
INSTALL_HINT = "--live needs psycopg 3: pip install 'pgconf-fix[live]' (or pip install 'psycopg[binary]')"
RENEGOTIATION = "ssl_renegotiation_limit"
SETTINGS_QUERY = "SELECT name, reset_val, unit, source, sourcefile, sourceline FROM pg_settings"
MAX_CANDIDATES = 20000  # files looked at when matching the server's paths to the given ones

class LiveError(UserError):
    """A connection the user can fix (exit 2, message without a traceback)."""


@dataclass(frozen=True)
class LiveSetting:
    name: str
    value: str
    unit: str | None
    source: str
    sourcefile: str | None
    sourceline: int | None


@dataclass
class Snapshot:
    """What the server said, once."""

    dsn: str  # redacted
    version: PgVersion
    settings: dict[str, LiveSetting]
    config_file: str | None
    hidden_sources: bool


def fetch(dsn: str, timeout: float) -> Snapshot:
    try:
        import psycopg
    except ImportError:
        raise LiveError(INSTALL_HINT) from None
    shown = redact(dsn)
    try:
        connection = psycopg.connect(dsn, connect_timeout=max(1, int(round(timeout))), autocommit=True)
    except psycopg.Error as exc:
        raise LiveError(_connect_message(shown, dsn, exc, timeout)) from None
    except Exception as exc:  # noqa: BLE001 - a malformed DSN raises ProgrammingError and friends
        raise LiveError(f"cannot connect to {shown}: {_scrub(str(exc), dsn)}") from None
    try:
        with connection:
            cursor = connection.cursor()
            number = int(cursor.execute("SHOW server_version_num").fetchone()[0])
            rows = cursor.execute(SETTINGS_QUERY).fetchall()
            settings = {
                row[0]: LiveSetting(row[0], row[1] or "", row[2], row[3], row[4], row[5]) for row in rows
            }
            if RENEGOTIATION not in settings:  # GUC_NO_SHOW_ALL: pg_settings leaves it out
                value = cursor.execute(f"SHOW {RENEGOTIATION}").fetchone()[0]
                settings[RENEGOTIATION] = LiveSetting(RENEGOTIATION, value, None, "unknown", None, None)
            config_file = cursor.execute(
                "SELECT setting FROM pg_settings WHERE name = 'config_file'"
            ).fetchone()
    except psycopg.Error as exc:
        raise LiveError(f"{shown}: {_scrub(str(exc).strip(), dsn)}") from None
    major, minor = number // 10000, (number // 100) % 100
    version = PgVersion(major) if major >= 10 else PgVersion(major, minor)
    from_files = [s for s in settings.values() if s.source == "configuration file"]
    hidden = bool(from_files) and all(s.sourcefile is None for s in from_files)
    return Snapshot(shown, version, settings, config_file[0] if config_file else None, hidden)


def _connect_message(shown: str, dsn: str, exc: Exception, timeout: float) -> str:
    text = _scrub(str(exc).strip(), dsn)
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        why = "the server refused the password (or none was given)"
    elif "connection refused" in lowered:
        why = "connection refused: nothing listens at that host and port"
    elif "timeout" in lowered or "timed out" in lowered:
        why = f"no answer within {timeout:g} s (--live-timeout)"
    else:
        why = "the connection failed"
    return f"cannot connect to {shown}: {why}\n  {text}"


def _scrub(text: str, dsn: str) -> str:
    """Messages from libpq should not carry the password; make sure of it.

    libpq's complaints about a malformed DSN quote a piece of it (``missing "=" after
    "..."``), cut where its parser stopped: a quoted piece that overlaps a password is masked.
    """
    spans = secret_spans(dsn)

    def piece(match: re.Match[str]) -> str:
        fragment = match.group(1)
        at = dsn.find(fragment)
        while fragment and at != -1:
            if any(start < at + len(fragment) and at < end for start, end in spans):
                return f'"{MASK}"'
            at = dsn.find(fragment, at + 1)
        return match.group(0)

    return re.sub(r'"([^"\n]*)"', piece, redact(text, secrets(dsn)))


# -- the view ---------------------------------------------------------------------


@dataclass(frozen=True)
class LiveAssignment(Assignment):
    setting: LiveSetting | None = None


class LiveSettings(SettingsView):
    """The server's effective values, located in the given files where they can be."""

    layer = "server"

    def __init__(self, snapshot: Snapshot, files: FileMap, workspace: Workspace) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.version = snapshot.version
        self.version_origin = "the server"
        self.files = files
        self.workspace = workspace
        self._assignments: dict[str, LiveAssignment] = {}

    def in_scope(self, source: SourceFile) -> bool:
        return True

    def judges(self, key: str) -> bool:
        return True  # a running server has a value for everything

    def effective(self, key: str) -> LiveAssignment | None:
        if key not in self._assignments:
            setting = self.snapshot.settings.get(key)
            if setting is None:
                return None
            self._assignments[key] = self._locate(setting)
        return self._assignments[key]

    def _locate(self, setting: LiveSetting) -> LiveAssignment:
        local = self.files.match(setting.sourcefile) if setting.sourcefile else None
        if local is not None and setting.sourceline:
            try:
                source = self.workspace.load(local)
            except InputError:
                source = None
            if source is not None and setting.sourceline <= len(source.line_starts):
                start, end = source.line_span(setting.sourceline)
                line = parse_line(source.text, setting.sourceline, start, end)
                if line.is_setting and (line.key or "") == setting.name:
                    return LiveAssignment(
                        key=setting.name,
                        source=source,
                        start=start,
                        end=end,
                        value=setting.value,
                        value_start=line.value_start,
                        value_end=line.value_end,
                        quoted=line.value_kind == "STRING",
                        setting=setting,
                    )
        text = f"{setting.name} = {setting.value}"
        pseudo = SourceFile.from_bytes(Path("<live>") / setting.name, self.snapshot.dsn, text.encode("utf-8"))
        start = len(setting.name) + 3
        return LiveAssignment(
            key=setting.name,
            source=pseudo,
            start=0,
            end=len(text),
            value=setting.value,
            value_start=start,
            value_end=len(text),
            setting=setting,
        )

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        if assignment.key == RENEGOTIATION and unit == "kB":
            return parse_int(assignment.value, RENEGOTIATION_BEFORE_9_5)
        return parse_int(assignment.value, INTEGER_PARAMETERS.get(assignment.key, GucInt(unit)))

    def missing_location(self, key: str) -> Location:
        pseudo = SourceFile.from_bytes(Path("<live>") / key, self.snapshot.dsn, b"")
        return Location(pseudo, 0, 0)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is None or current.setting is None:
            return ()
        if not str(current.source.path).startswith("<live>"):
            return replace_value(current, render_like(value, current.quoted))
        if current.setting.source == "default" and self.snapshot.config_file:
            main = self.files.match(self.snapshot.config_file)
            if main is not None:  # the server's own postgresql.conf is among the paths: write it there
                try:
                    config = ServerConfig(self.workspace, self.workspace.load(main))
                except InputError:
                    return ()
                return config.set_edits(key, value)
        return ()

    def where(self, assignment: LiveAssignment) -> str:
        setting = assignment.setting
        if setting is None:
            return ""
        if setting.sourcefile:
            place = f"{setting.sourcefile}:{setting.sourceline}"
            if str(assignment.source.path).startswith("<live>"):
                return f" (the server read it from {place}, which is not among the given paths)"
            return self._stale(assignment)
        if setting.source == "configuration file" and self.snapshot.hidden_sources:
            return " (from a configuration file this role may not see: needs superuser or pg_read_all_settings)"
        if setting.source == "default":
            return " (the server's default)"
        if setting.source == "unknown":
            return ""
        return f" (source: {setting.source})"


    def _stale(self, assignment: LiveAssignment) -> str:
        """A note when the local file no longer says what the server runs with."""
        meta = INTEGER_PARAMETERS.get(assignment.key)
        written = assignment.raw_value.strip("'")
        if meta is None:
            return ""
        try:
            differs = parse_int(written, meta) != parse_int(assignment.value, meta)
        except ValueError:
            differs = True
        if not differs:
            return ""
        return f" (the server runs with {assignment.value}; the file now says {written}: not reloaded yet?)"


class FileMap:
    """The files under the given paths, matched to the server's absolute paths."""

    def __init__(self, paths: tuple[str, ...], cwd: Path) -> None:
        self.files: list[Path] = []
        for given in paths:
            if given == "-":
                continue
            path = (cwd / given).absolute()
            if path.is_file():
                self.files.append(path)
            elif path.is_dir():
                for found in walk_files(path, cwd):
                    self.files.append(found)
                    if len(self.files) > MAX_CANDIDATES:
                        break

    def match(self, server_path: str) -> Path | None:
        """The given file with the same absolute path, else the one sharing the most trailing
        path components with it (two at least, and no tie)."""
        wanted = Path(server_path)
        for path in self.files:
            if path == wanted or os.path.realpath(path) == os.path.realpath(wanted):
                return path
        scored: dict[int, list[Path]] = {}
        for path in self.files:
            score = 0
            for mine, theirs in zip(reversed(path.parts), reversed(wanted.parts)):
                if mine != theirs:
                    break
                score += 1
            scored.setdefault(score, []).append(path)
        best = max(scored, default=0)
        if best >= 2 and len(scored[best]) == 1:
            return scored[best][0]
        return None


class LiveRun:
    """Stands in for the CLI's Run: same ``check`` and ``workspace``, findings from the server."""

    def __init__(self, run, snapshot: Snapshot, paths: tuple[str, ...]) -> None:  # noqa: ANN001 - cli.Run
        self.run = run
        self.snapshot = snapshot
        self.files = FileMap(paths, run.cwd)

    @classmethod
    def connect(cls, run, dsn: str, timeout: float, paths: tuple[str, ...]) -> LiveRun:  # noqa: ANN001
        if not timeout > 0:
            raise LiveError("--live-timeout must be a positive number of seconds")
        snapshot = fetch(dsn, timeout)
        if snapshot.hidden_sources:
            sys.stderr.write(
                "note: this role cannot see which file each setting comes from (sourcefile needs superuser "
                "or pg_read_all_settings); findings point at the server, without fixes\n"
            )
        return cls(run, snapshot, paths)

    def __getattr__(self, name: str) -> object:
        return getattr(self.run, name)  # everything but check() is the CLI run's

    def workspace(self, overrides: dict[Path, str] | None = None) -> Workspace:
        return self.run.workspace(overrides)

    def check(self, overrides: dict[Path, str] | None = None) -> CheckResult:
        from pgconf_fix.run import CheckResult

        workspace = self.run.workspace(overrides)
        if self.run._first is None:
            self.run._first = workspace  # the originals, as the fix loop expects
        view = LiveSettings(self.snapshot, self.files, workspace)
        findings = run_rules([view], self.run.rules, self.run.options)
        findings = [self._explained(view, finding) for finding in findings]
        return CheckResult(findings=findings, errors=list(self.run.target.errors))

    @staticmethod
    def _explained(view: LiveSettings, finding: Finding) -> Finding:
        for assignment in view._assignments.values():
            if assignment.source is finding.source and assignment.start == finding.location.start:
                note = view.where(assignment)
                if note:
                    return replace(finding, message=f"{finding.message}{note}")
        return finding
