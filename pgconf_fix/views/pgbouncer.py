"""PgBouncer: the [pgbouncer] settings of a pgbouncer.ini, and its [databases] entries as connections.

:class:`PgBouncerConfig` (layer ``pgbouncer``) holds the [pgbouncer] section's settings
under PgBouncer's own names (``tcp_keepalive``, ``tcp_keepidle``, ``server_check_query``,
``server_idle_timeout`` ...). Its fixes are section-aware: a value is replaced where it
is set, else a ``;tcp_keepidle = 0`` sample inside [pgbouncer] is uncommented, else a
line is added after the last line of the [pgbouncer] section, never at the end of
[databases] or [users].

:class:`PgBouncerDatabase` (layer ``client``) is one [databases] entry seen as the
connection PgBouncer opens to the server; its ``sslmode`` is [pgbouncer]'s
``server_tls_sslmode``. Its keepalives are the [pgbouncer] ``tcp_keep*`` settings,
which PGF601/PGF602 judge, so PGF401 leaves it alone.

The text may be a whole file or a block scalar's value in a ConfigMap (anything with
``source``, ``text``, ``to_file(offset)`` and ``edit(start, end, content)``, such as
:class:`pgconf_fix.documents.yaml_nodes.BlockText`).

Facts (PgBouncer 1.18 run for each, doc/config.md for the rest): a second [pgbouncer]
header resets every setting before it to its default, integer settings are
read with ``strtol(..., 0)`` (``0x3c`` is 60), times as non-negative decimal seconds
without units (``10min`` is refused), ``tcp_keepalive`` takes 0 or 1 only, names and
section names are case-sensitive, and a libpq keyword PgBouncer does not know in a
[databases] entry (``keepalives_idle``, ``sslmode``, ``connect_timeout``) stops it at
start-up ("unrecognized connection parameter").
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pgconf_fix.documents.pgbouncer_ini import (
    IniLine,
    commented_setting,
    parse_connstr,
    parse_ini,
)
from pgconf_fix.findings import UNSAFE, Edit, Location, Problem
from pgconf_fix.guc_values import c_integer
from pgconf_fix.setting import Setting, State
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix.views.client import PGBOUNCER, ClientConnection

if TYPE_CHECKING:
    from pgconf_fix.workspace import Workspace

LAYER = "pgbouncer"
SECTION = "pgbouncer"
INTEGER_KEYS = ("tcp_keepalive", "tcp_keepidle", "tcp_keepintvl", "tcp_keepcnt", "tcp_user_timeout")
SECONDS_KEYS = ("server_idle_timeout", "server_lifetime", "server_check_delay", "server_connect_timeout")
# Defaults of PgBouncer (doc/config.md; FACTS.md): 0 for the tcp_keep* trio means "not set".
DEFAULTS = {
    "tcp_keepalive": 1,
    "tcp_keepidle": 0,
    "tcp_keepintvl": 0,
    "tcp_keepcnt": 0,
    "server_check_delay": 30.0,
    "server_idle_timeout": 600.0,
    "server_lifetime": 3600.0,
}
KNOWN_KEYS = frozenset((*INTEGER_KEYS, *SECONDS_KEYS, "server_check_query", "server_tls_sslmode"))
# libpq keywords PgBouncer's [databases] parser refuses in every release (it has its own
# set: dbname, host, port, user, password, client_encoding, application_name, pool_size ...).
# Where the same effect is configured instead, for the message.
REFUSED_LIBPQ = {
    "keepalives": "tcp_keepalive in [pgbouncer]",
    "keepalives_idle": "tcp_keepidle in [pgbouncer]",
    "keepalives_interval": "tcp_keepintvl in [pgbouncer]",
    "keepalives_count": "tcp_keepcnt in [pgbouncer]",
    "tcp_user_timeout": "tcp_user_timeout in [pgbouncer]",
    "connect_timeout": "server_connect_timeout in [pgbouncer]",
    "sslmode": "server_tls_sslmode in [pgbouncer]",
    "sslrootcert": "server_tls_ca_file in [pgbouncer]",
    "sslcert": "server_tls_cert_file in [pgbouncer]",
    "sslkey": "server_tls_key_file in [pgbouncer]",
    "target_session_attrs": None,
    "gssencmode": None,
    "channel_binding": None,
    "passfile": "auth_file in [pgbouncer]",
    "service": None,
}
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# libusual's cfparser: an %include in a file included ten levels deep is "include nesting
# level too deep" (PgBouncer 1.18: a chain of includes loads up to the tenth file, no further).
MAX_INCLUDE_DEPTH = 10


class Host(Protocol):
    """Text some file holds, with the way back to that file's offsets."""

    source: SourceFile
    text: str

    def to_file(self, offset: int) -> int: ...

    def edit(self, start: int, end: int, content: str) -> Edit: ...


@dataclass(frozen=True)
class WholeFile:
    """A whole file as the host of a pgbouncer.ini."""

    source: SourceFile

    @property
    def text(self) -> str:
        return self.source.text

    def to_file(self, offset: int) -> int:
        return offset

    def edit(self, start: int, end: int, content: str) -> Edit:
        return Edit(self.source, start, end, content.replace("\n", self.source.newline))


LONG_MAX = 2**63 - 1  # C's long on the 64-bit platforms PgBouncer runs on


def strtol(text: str) -> int:
    """C's ``strtol(text, &end, 0)`` with the whole text consumed; ValueError otherwise."""
    match = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if not match:
        raise ValueError(f'"{text}" is not an integer')
    sign, digits = match.groups()
    # More digits than any 64-bit value has is ERANGE before int() is asked: past 4,300 digits
    # int() raises ValueError naming sys.set_int_max_str_digits (found by a sweep of the fixtures).
    value = LONG_MAX + 1 if len(digits.lstrip("0xX")) > 24 else c_integer(digits)
    if value > LONG_MAX:  # strtol's ERANGE; the fuzz found float() of it overflowing
        raise ValueError(f'"{text.strip()[:20]}..." is out of range for an integer')
    return -value if sign == "-" else value


def seconds(text: str) -> float:
    """PgBouncer's time values: a non-negative decimal number of seconds; ValueError otherwise."""
    if not re.fullmatch(r"[ \t]*[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", text):
        raise ValueError(f'"{text}" is not a number of seconds (PgBouncer takes no units)')
    value = float(text)
    if value == float("inf"):  # strtod's ERANGE; int() of it raised OverflowError
        raise ValueError(f'"{text.strip()[:20]}..." is out of range for a number of seconds')
    return value


class PgBouncerConfig(SettingsView):
    layer = LAYER

    def __init__(self, host: Host, workspace: Workspace | None = None) -> None:
        """``workspace``: where ``%include`` targets are read from (None: they are not followed,
        as for an ini inside a ConfigMap, whose includes name files of the pod)."""
        super().__init__()
        self.host = host
        self.source = host.source
        self.scope = {host.source.path}
        self.workspace = workspace
        self.lines = parse_ini(host.text)
        self._line_of: dict[int, IniLine] = {}
        self._host_of: dict[int, Host] = {}
        # %include targets not read (outside the repository, or not followed here), for messages.
        self.unresolved: list[str] = []
        # Files read through a relative %include (here or further up the chain): PgBouncer
        # opens those from its working directory, read here as the including file's.
        self._relative: set[Path] = set()
        # The section each %include line of this file leaves its file in (a header inside the
        # included file goes on after it); by the include line's id.
        self._section_after: dict[int, str | None] = {}
        # Settings of an earlier [pgbouncer] section that a later header reset to their defaults.
        self.reset: dict[str, Assignment] = {}
        read = self._expand(host, self.lines, 0)
        # Every line PgBouncer reads, each with the file it is in, in its order.
        self._read = read
        headers = [(line_host, line) for line_host, line in read if line.kind == "section" and line.key == SECTION]
        # The [pgbouncer] header whose settings count (each header resets the ones before it),
        # in this file or in an %include file: a missing key is written after it.
        self.last_header: tuple[Host, IniLine] | None = headers[-1] if headers else None
        self.judges_missing = bool(headers)
        for line_host, line in read:
            if line.error:
                self._problem(line, line.error, line_host)
            elif line.kind == "section" and line.key == SECTION:
                # Each [pgbouncer] header resets the section's settings to their defaults
                # (libusual's fill_defaults; checked on PgBouncer 1.18): only the last one counts.
                for assignment in self.assignments:
                    self.reset[assignment.key] = assignment
                self.assignments.clear()
            elif line.kind == "setting" and line.section == SECTION:
                self._assign(line, line_host)
            elif line.kind == "setting" and line.section == "databases" and line_host is host:
                self._check_database(line)
        for key in (*INTEGER_KEYS, *SECONDS_KEYS):
            current = self.effective(key)
            if current is not None:
                try:
                    self.numeric(current, None)
                except ValueError as exc:
                    self.problems.append(
                        Problem(current.location, f"{key}: {exc}; PgBouncer refuses to load the file")
                    )

    def location(self, start: int, end: int, host: Host | None = None) -> Location:
        host = host or self.host
        return Location(host.source, host.to_file(start), host.to_file(end))

    def _problem(self, line: IniLine, message: str, host: Host | None = None) -> None:
        self.problems.append(Problem(self.location(line.start, line.end, host), message))

    def _expand(self, host: Host, lines: list[IniLine], depth: int) -> list[tuple[Host, IniLine]]:
        """``lines`` of ``host`` with the lines of each ``%include`` it can read spliced in, as
        PgBouncer reads them; a section an included file ends in goes on in ``lines``."""
        read: list[tuple[Host, IniLine]] = []
        carried: str | None = None  # the section an include left this file in, until a header
        carrying = False
        for line in lines:
            if carrying:
                if host.text[line.start : line.end].lstrip(" \t\f\v").startswith("["):
                    carrying = False
                else:
                    line.section = carried
                    if line.kind == "error" and line.error == f"{line.key} is outside any section":
                        line.kind, line.error = "setting", None  # the included file opened one
            read.append((host, line))
            if line.kind != "include":
                continue
            included = self._include(host, line, depth)
            if included is None:
                continue
            child, child_lines = included
            read.extend(self._expand(child, child_lines, depth + 1))
            after = child_lines[-1].section if child_lines else line.section
            self._section_after[id(line)] = after
            if after != line.section:
                carried, carrying = after, True
        return read

    def _include(self, host: Host, line: IniLine, depth: int) -> tuple[Host, list[IniLine]] | None:
        """The file an ``%include`` line names, parsed in the line's section; None (noted in
        ``unresolved``, or a PGF001 problem) when it cannot be read.

        PgBouncer opens a relative name from its working directory, which a repository does
        not record: it is looked for beside the including file (PgBouncer started from its
        configuration's directory). An absolute name is looked for as it is, then in the
        repository where its layout mirrors the server's (server_includes.find_absolute)."""
        from pgconf_fix.views.server_includes import find_absolute
        from pgconf_fix.workspace import is_file

        target = line.value
        if self.workspace is None or not isinstance(host, WholeFile) or not target:
            if target:
                self.unresolved.append(target)
            return None
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self._problem(line, f"include nesting level too deep at %include {target}: PgBouncer stops loading", host)
            return None
        path = find_absolute(host.source, target) if os.path.isabs(target) else host.source.path.parent / target
        if path is None or not is_file(path):
            self.unresolved.append(target)
            return None
        try:
            child = self.workspace.load(path, self.workspace.display_for(path, host.source.display))
        except InputError as exc:
            self._problem(line, f'could not load the %include file "{target}": {exc.message}', host)
            return None
        self.scope.add(child.path)
        if not os.path.isabs(target) or host.source.path in self._relative:
            self._relative.add(child.path)
        return WholeFile(child), parse_ini(child.text, line.section)

    def describe_missing(self) -> str:
        if self.unresolved:
            return f" (%include files not read: {', '.join(self.unresolved)})"
        return ""

    def reader_note(self, location: Location) -> str:
        """For a message about a place in an ``%include`` file: the ini that reads it there. Two
        inis including one file are two judgements, each with its own fix (the keys one of them
        lacks are added to it), not one finding said twice. A file reached through a relative
        name says so: PgBouncer opens it from its working directory (checked with PgBouncer
        1.18: started from ``/``, as a systemd unit without ``WorkingDirectory=`` starts it,
        ``%include extra.ini`` is "could not load file" and "cannot load config file")."""
        path = location.source.path
        if path == self.source.path:
            return ""
        if path in self._relative:
            return (f" (as {self.source.display} reads it through %include when PgBouncer starts in its directory:"
                    " a relative %include is opened from the working directory)")
        return f" (as {self.source.display} reads it through %include)"

    def missing_note(self, key: str) -> str:
        """For a message about an unset key: an earlier value a second [pgbouncer] header
        discarded, and the ``%include`` files that could set it but were not read."""
        return self.reset_note(key) + self.describe_missing()

    def _assign(self, line: IniLine, host: Host | None = None) -> None:
        host = host or self.host
        if line.key not in KNOWN_KEYS and line.key.lower() in KNOWN_KEYS:
            self._problem(
                line, f"unknown parameter {line.key}: PgBouncer's names are lower-case ({line.key.lower()})", host
            )
            return
        to_file = host.to_file
        assignment = Assignment(
            key=line.key,
            source=host.source,
            start=to_file(line.start),
            end=to_file(line.end),
            value=line.value,
            value_start=to_file(line.value_start),
            value_end=to_file(line.value_end),
        )
        self._line_of[id(assignment)] = line
        self._host_of[id(assignment)] = host
        self.assignments.append(assignment)

    def _check_database(self, line: IniLine) -> None:
        params = parse_connstr(self.host.text, line.value_start, line.value_end)
        if isinstance(params, str):
            return  # PgBouncer's own error; a shape we do not read is not ours to report
        for param in params:
            if param.key in REFUSED_LIBPQ:
                instead = REFUSED_LIBPQ[param.key]
                where = f"; set {instead} instead" if instead else ""
                self.problems.append(
                    Problem(
                        self.location(param.start, param.end),
                        f"[databases] {line.key}: PgBouncer does not know the libpq keyword {param.key} "
                        f"(unrecognized connection parameter) and refuses to start{where}",
                    )
                )

    # -- what the rules ask ---------------------------------------------------------------

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        if assignment.key in SECONDS_KEYS:
            value = seconds(assignment.value)
            return int(value) if value == int(value) else int(value) + 1
        return strtol(assignment.value)

    def value(self, key: str) -> tuple[float, Assignment | None]:
        """The effective number of a setting and where it is set (None: PgBouncer's default).

        Raises ValueError for a value PgBouncer refuses (a PGF001 of its own).
        """
        current = self.effective(key)
        if current is None:
            return float(DEFAULTS[key]), None
        if key in SECONDS_KEYS:
            return seconds(current.value), current
        return float(strtol(current.value)), current

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """As for every view; with ``number``, ``value`` is PgBouncer's number (seconds for the
        time settings) and, for a missing key, PgBouncer's default; a value PgBouncer refuses
        is UNKNOWN (its PGF001 says why)."""
        setting = super().get(key, unit)
        if not number:
            return setting
        try:
            value, _ = self.value(key)
        except ValueError as error:
            return replace(setting, state=State.UNKNOWN, value=None, reason=str(error))
        return replace(setting, value=value, unit=unit)

    def reset_note(self, key: str) -> str:
        """For a message about an unset key: the earlier value a second [pgbouncer] header discarded."""
        earlier = self.reset.get(key)
        if earlier is None:
            return ""
        line, _ = earlier.source.position(earlier.start)
        return (
            f" (the {key} = {earlier.raw_value} at line {line} does not count: a later [pgbouncer] "
            "header resets the section's settings to PgBouncer's defaults)"
        )

    def keepalive_tuned(self, budget: int) -> bool:
        """TCP keepalives on, with an idle time at or below the budget."""
        try:
            switch, _ = self.value("tcp_keepalive")
            idle, _ = self.value("tcp_keepidle")
        except ValueError:
            return False
        return switch != 0 and 0 < idle <= budget

    def _last_section(self) -> list[IniLine]:
        """The lines of the last [pgbouncer] section in the file its header is in, up to the
        first that is no longer in it (another header, a line an %include's header moved)."""
        if self.last_header is None:
            return []
        host, header = self.last_header
        found: list[IniLine] = []
        after = False
        for line_host, line in self._read:
            if line is header:
                after = True
            elif after and line_host is host:
                if line.section != SECTION:
                    break
                found.append(line)
        return found

    def _samples(self, key: str) -> list:
        """``;key = value`` samples in the section that counts, in the file of its header."""
        if self.last_header is None:
            return []
        host = self.last_header[0]
        found = []
        for line in self._last_section():
            if line.kind == "comment":
                sample = commented_setting(host.text, line)
                if sample is not None and sample.key == key:
                    found.append(sample)
        return found

    def missing_location(self, key: str) -> Location:
        samples = self._samples(key)
        if self.last_header is not None:
            host, header = self.last_header
            if samples:
                return self.location(samples[0].line.start, samples[0].line.end, host)
            return self.location(header.start, header.end, host)
        first = self.lines[0] if self.lines else None
        return self.location(first.start, first.end) if first else Location(self.source, 0, 0)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is not None:
            line = self._line_of[id(current)]
            host = self._host_of[id(current)]  # this file, or the %include file that sets it
            if line.value_start == line.value_end:
                # "key =" with nothing after it: rewrite from the "=", so that the edit sorts
                # before a line another fix adds at the end of this one.
                equals = host.text.rindex("=", line.start, line.value_start)
                return (host.edit(equals, line.value_end, f"= {value}"),)
            return (host.edit(line.value_start, line.value_end, value),)
        if self.last_header is None:
            return ()
        host = self.last_header[0]  # this file, or the %include file with the header that counts
        samples = self._samples(key)
        if samples:
            sample = samples[0]
            return (
                host.edit(sample.marker, sample.key_start, ""),
                host.edit(sample.value_start, sample.value_end, value),
            )
        at = self._section_end()
        return (host.edit(at, at, f"\n{key} = {value}"),)

    def _section_end(self) -> int:
        """End of the last setting (or the header) of the last [pgbouncer] section, in the
        file of its header (``last_header``, which must be set)."""
        assert self.last_header is not None
        end = self.last_header[1].end
        for line in self._last_section():
            if line.kind == "include" and self._section_after.get(id(line)) != SECTION:
                # A line after it would be in the section the included file ends in, which for
                # a file not read may be [databases]: PgBouncer would refuse the line there.
                break
            if line.kind in ("setting", "include"):
                end = line.end
        return end


class PgBouncerDatabase(ClientConnection):
    """A [databases] entry: the connection PgBouncer opens to that server."""

    unset_sslmode = (
        "server_tls_sslmode is not set in [pgbouncer], so PgBouncer connects to the server "
        "without TLS (disable is PgBouncer 1.18's default; the newest documentation gives prefer, which "
        "falls back to plain TCP as well)"
    )

    def __init__(self, config: PgBouncerConfig, line: IniLine, hosts: Sequence[str]) -> None:
        super().__init__(PGBOUNCER, hosts, "pgbouncer")
        self.config = config
        self.entry = line
        self.add_placement(_PooledServer(config.source, config, line))
        current = config.effective("server_tls_sslmode")
        if current is not None:
            self.add_setting(
                Assignment("sslmode", current.source, current.start, current.end, current.value,
                           current.value_start, current.value_end),
                self.placements[0],
            )  # fmt: skip

    @property
    def applicability(self) -> str:
        return UNSAFE

    def writable(self, key: str) -> bool:
        return key == "sslmode"

    def sslmode_advice(self, target: str) -> str:
        return f"set server_tls_sslmode = {target} in [pgbouncer]"

    def describe(self, *notes: str) -> str:
        shown = ",".join(self.hosts)
        extra = f" ({', '.join(notes)})" if notes else ""
        return f"PgBouncer's connection for [databases] {self.entry.key} to {shown}{extra}"


@dataclass(frozen=True)
class _PooledServer:
    """Where a [databases] entry's settings are written: PgBouncer's own names in [pgbouncer]."""

    source: SourceFile
    config: PgBouncerConfig
    line: IniLine

    def location(self) -> Location:
        return self.config.location(self.line.start, self.line.end)

    def render(self, value: str) -> str:
        return value

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        names = {"sslmode": "server_tls_sslmode"}
        edits: list[Edit] = []
        for key, value in pairs:
            if key not in names:
                return ()
            edits.extend(self.config.set_edits(names[key], value))
        return tuple(edits)


def database_connections(config: PgBouncerConfig) -> list[PgBouncerDatabase]:
    """A connection view for each [databases] entry that goes to a TCP host other than loopback."""
    views = []
    for line in config.lines:
        if line.kind != "setting" or line.section != "databases":
            continue
        params = parse_connstr(config.host.text, line.value_start, line.value_end)
        if isinstance(params, str):
            continue
        host = next((param.value for param in reversed(params) if param.key == "host"), "")
        hosts = [name.strip() for name in host.split(",")] if host else [""]
        view = PgBouncerDatabase(config, line, hosts)
        if not view.local:
            views.append(view)
    return views


def build_pgbouncer_views(host: Host, workspace: Workspace | None = None) -> list[SettingsView]:
    """The [pgbouncer] view of one pgbouncer.ini (its ``%include`` files read from ``workspace``),
    then its [databases] connections."""
    config = PgBouncerConfig(host, workspace)
    return [config, *database_connections(config)]
