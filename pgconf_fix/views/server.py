"""A PostgreSQL server's configuration tree: postgresql.conf, its includes, postgresql.auto.conf."""

from __future__ import annotations

from pathlib import Path

from pgconf_fix import guc_catalog
from pgconf_fix.documents.pgconf import ConfLine, PgConfDocument, tokenize_line
from pgconf_fix.findings import Location, Problem
from pgconf_fix.guc_catalog import INTEGER_PARAMETERS, RENEGOTIATION_BEFORE_9_5
from pgconf_fix.guc_values import GucInt, GucValueError, parse_int
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.versions import Major, PgVersion, version_near
from pgconf_fix.views.base import Assignment, CommentedDefaultsView, CommentedSample
from pgconf_fix.views.server_includes import IncludeFollowing, real_path
from pgconf_fix.workspace import Workspace, is_file

MAIN_NAME = "postgresql.conf"
AUTO_NAME = "postgresql.auto.conf"

BOM = "\ufeff"


def render_like(value: str, quoted: bool) -> str:
    return f"'{value}'" if quoted else value


class ServerConfig(IncludeFollowing, CommentedDefaultsView):
    layer = "server"
    fix_header = "Added by pgconf-fix: notice dead client connections (see pgconf-fix --explain)"

    def __init__(
        self,
        workspace: Workspace,
        main: SourceFile,
        *,
        standalone: bool = False,
        major: Major | None = None,
    ) -> None:
        if major is None and not standalone:
            near = version_near(main.path, workspace.cwd)
            if near:
                major = Major(*near)
        super().__init__(judges_missing=not standalone, major=major)
        self.workspace = workspace
        self.main = main
        self.documents: list[PgConfDocument] = []
        self.unresolved: list[str] = []
        self.listed_directories: set[Path] = set()
        # Names written on lines the server rejects: not "missing", and no fix appends them again.
        self.broken_keys: set[str] = set()
        # Names some majors lack, read while the version is not known: reported together.
        self._narrowing: list[tuple[Problem, frozenset[PgVersion]]] = []
        self._read(main, depth=0, stack=())
        self._read_auto(main, standalone)
        self._report_narrowing()
        self._validate_effective_values()

    def _read_auto(self, main: SourceFile, standalone: bool) -> None:
        workspace = self.workspace
        if not standalone and main.path.name == MAIN_NAME:
            auto = main.path.parent / AUTO_NAME
            if is_file(auto):
                try:
                    source = workspace.load(auto, workspace.display_for(auto, main.display))
                except InputError as exc:
                    self.problems.append(Problem(Location(main, 0, 0), f"{AUTO_NAME}: {exc.message}"))
                else:
                    self._read(source, depth=0, stack=())

    # -- reading -------------------------------------------------------------

    def _read(self, source: SourceFile, depth: int, stack: tuple[Path, ...]) -> None:
        document = PgConfDocument(source)
        self.documents.append(document)
        own_stack: tuple[Path, ...] | None = None  # resolved when an include needs it: most files have none
        for line in document.lines:
            if line.number == 1 and source.text.startswith(BOM):
                self._problem(
                    source, line, "the file starts with a UTF-8 byte-order mark, which the server reads as "
                    "part of the first line and rejects; save it without the mark"
                )
                self._note_broken(source, line)
            elif line.error:
                self._problem(source, line, line.error)
                self._note_broken(source, line)
            elif line.is_include:
                if own_stack is None:
                    own_stack = (*stack, real_path(source.path))
                self._include(source, line, depth, own_stack)
            elif line.is_setting:
                self._assign(source, line)

    def _note_broken(self, source: SourceFile, line: ConfLine) -> None:
        tokens, _ = tokenize_line(source.text, line.start, line.end)
        if tokens and tokens[0].kind == "ID":
            self.broken_keys.add(tokens[0].text.lower().lstrip(BOM))

    def judges(self, key: str) -> bool:
        return self.judges_missing and key not in self.broken_keys

    def _problem(self, source: SourceFile, line: ConfLine, message: str) -> None:
        self.problems.append(Problem(Location(source, line.start, line.end), message))

    def _assign(self, source: SourceFile, line: ConfLine) -> None:
        key = line.key or ""
        assert line.value is not None
        self.assignments.append(Assignment.spanning(key, source, line, quoted=line.value_kind == "STRING"))
        if "." not in key and not self._accepts(key):
            self._unknown_name(source, line, key)

    def _accepts(self, key: str) -> bool:
        """Whether the name is one the server of this view's version knows (any major when unknown)."""
        catalog = guc_catalog.catalog_for(self.version)
        if catalog is not None:
            return key in catalog
        return len(guc_catalog.missing_from(key)) == 0

    def _validate_effective_values(self) -> None:
        """Check values as the server does: only the last value of each name counts."""
        last: dict[str, Assignment] = {}
        for assignment in self.assignments:
            last[assignment.key] = assignment
        catalog = guc_catalog.catalog_for(self.version)
        for key, current in last.items():
            if "." in key:
                continue
            guc = catalog.get(key) if catalog is not None else None
            if guc is not None and guc.context in guc_catalog.FILE_REFUSED_CONTEXTS:
                self.problems.append(
                    Problem(
                        current.location,
                        f'parameter "{key}" cannot be changed: PostgreSQL {self.version} sets it itself, '
                        "and refuses to start with it in a configuration file",
                    )
                )
                continue
            reason = guc_catalog.value_error(key, current.value, self.version)
            if reason is None and catalog is None and key in INTEGER_PARAMETERS:
                try:  # the rules' own settings, read as every major agrees
                    parse_int(current.value, INTEGER_PARAMETERS[key])
                except GucValueError as exc:
                    reason = str(exc)
            if reason is not None:
                on = f" on PostgreSQL {self.version}" if catalog is not None else ""
                self.problems.append(Problem(current.location, f'invalid value for parameter "{key}"{on}: {reason}'))

    def _report_narrowing(self) -> None:
        """The warnings of names some majors lack (version unknown), less the ones another name
        of the tree implies: where the tree also writes a name of fewer majors (say 13-18), a
        name of 9.1-18 tells nothing more, since a server that starts with the tree is 13-18
        anyway. Only the names whose majors no other name narrows further are reported (all of
        them when no major has every name: the tree is refused everywhere, each name counts)."""
        found = self._narrowing
        if not found:
            return
        fits = frozenset.intersection(*(having for _, having in found))
        for problem, having in found:
            if fits and any(other < having for _, other in found):
                continue  # another name needs fewer majors, which this one's include
            self.problems.append(problem)

    def _unknown_name(self, source: SourceFile, line: ConfLine, key: str) -> None:
        if key.startswith(BOM):
            self.broken_keys.add(key.lstrip(BOM))
            if line.number == 1 and source.text.startswith(BOM):
                return  # reported once as the file's byte-order mark
            # Anywhere else the mark is as much part of the name (checked with postgres 15:
            # unrecognized configuration parameter "\ufefftcp_keepalives_idle" ... line 2).
            self._problem(
                source, line, f'"{key.lstrip(BOM)}" is preceded by a byte-order mark (U+FEFF), which the server reads as '
                "part of the name and rejects; remove it"
            )
            return
        catalog = guc_catalog.catalog_for(self.version)
        having = guc_catalog.versions_with(key)
        if catalog is None and having:
            # Version unknown (or one without a catalog), and some majors have it: true for
            # those, fatal on the others.
            lacking = guc_catalog.missing_from(key)
            if self.version is None:
                which = "this server's version is unknown: give --pg-version"
            else:
                which = (f"pgconf-fix has no catalog of PostgreSQL {self.version} (from {self.version_origin}); "
                         f"it knows {guc_catalog.span(guc_catalog.supported_versions())}")
            problem = Problem(
                Location(source, line.start, line.end),
                f'"{line.name}" is not on {guc_catalog.span(lacking)}: a server of those versions refuses '
                f"to start with it (it exists on {guc_catalog.span(having)}; {which})",
                severity="warning",
            )
            self._narrowing.append((problem, frozenset(having)))
            return
        if catalog is not None and catalog.partial and any(version > catalog.version for version in having):
            # 9.x catalogs come from one minor's source; a later minor may have gained the name.
            self.problems.append(
                Problem(
                    Location(source, line.start, line.end),
                    f"\"{line.name}\" is not in pgconf-fix's catalog of PostgreSQL {catalog.release}, read "
                    f"from that release's source (it exists on {guc_catalog.span(having)}); unless a later "
                    f"{self.version} minor release added it, the server refuses to start with it",
                    severity="warning",
                )
            )
            return
        self.broken_keys.add(key)
        refuses = f"PostgreSQL {self.version} refuses" if catalog is not None else "the server refuses"
        if having:
            self._problem(
                source,
                line,
                f'"{line.name}" is not a parameter of PostgreSQL {self.version} (it exists on '
                f"{guc_catalog.span(having)}); {refuses} to start with it",
            )
            return
        close = guc_catalog.did_you_mean(key, self.version)
        hint = f' (did you mean "{close}"?)' if close else ""
        if close:
            self.broken_keys.add(close.lower())
        nowhere = "" if catalog is not None else f"; no release of {guc_catalog.span(guc_catalog.supported_versions())} has it"
        self._problem(
            source, line, f'unrecognized configuration parameter "{line.name}"{hint}{nowhere}; {refuses} to start with it'
        )

    # -- what the rules ask --------------------------------------------------

    @property
    def sources(self) -> list[SourceFile]:
        return [document.source for document in self.documents]

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        if assignment.key == "ssl_renegotiation_limit" and unit == "kB":
            return parse_int(assignment.value, RENEGOTIATION_BEFORE_9_5)
        meta = guc_catalog.value_meta(assignment.key, self.version) or GucInt(unit)
        return parse_int(assignment.value, meta)

    def samples(self, key: str) -> list[CommentedSample]:
        found = []
        for document in self.documents:
            if not self.in_scope(document.source):
                continue
            for commented in document.commented_settings_named(key):
                found.append(
                    CommentedSample(
                        key=key,
                        source=document.source,
                        hash_offset=commented.hash_offset,
                        name_start=commented.inner.name_start,
                        value_start=commented.inner.value_start,
                        value_end=commented.inner.value_end,
                        line_start=commented.line.start,
                        line_end=commented.line.end,
                    )
                )
        # Prefer the main file's sample, as a reader looks there first.
        found.sort(key=lambda sample: sample.source is not self.main)
        return found

    def missing_location(self, key: str) -> Location:
        samples = self.samples(key)
        if samples:
            return Location(samples[0].source, samples[0].line_start, samples[0].line_end)
        start, end = self.main.line_span(1)
        return Location(self.main, start, end)

    def home(self, key: str) -> SourceFile | None:
        return self.main

    def render(self, value: str, quoted: bool) -> str:
        return render_like(value, quoted)

    def describe_missing(self) -> str:
        if self.unresolved:
            return f" (includes outside the repository not read: {', '.join(self.unresolved)})"
        return ""


def looks_like_pgconf(data: bytes) -> bool:
    """Whether a ``*.conf`` of unknown purpose is a postgresql.conf fragment."""
    from pgconf_fix.documents.pgconf import parse_line

    text = data.decode("utf-8", "surrogateescape")
    known = errors = 0
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        parsed = parse_line(text, number, offset, offset + len(line))
        offset += len(line) + 1
        if parsed.error:
            errors += 1
        elif parsed.is_setting and (parsed.is_include or guc_catalog.known_anywhere(parsed.key or "")):
            known += 1
    return known > 0 and errors <= known // 4


def another_programs_file(text: str) -> bool:
    """Whether a file named postgresql.conf is another program's configuration named after
    PostgreSQL: its first line that is not blank or a comment (``#``, or ``;`` as INI files
    write them) opens an INI section (``[Definition]`` of a fail2ban filter.d or jail.d file,
    ``[program:postgresql]`` of supervisord's) or a block (``/var/log/postgresql/*.log {`` of a
    logrotate.d file). The server refuses both as its first setting line (a syntax error), so
    no postgresql.conf starts so."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        return (stripped.startswith("[") and stripped.endswith("]")) or stripped.endswith("{")
    return False


def build_server_views(workspace: Workspace, sources: list[SourceFile], options: object) -> list[ServerConfig]:
    """One view per postgresql.conf tree; fragments join the tree that includes them. A
    postgresql.conf that is another program's file (:func:`another_programs_file`) is not read,
    nor taken as the tree of the fragments below it."""
    major = Major.of(getattr(options, "pg_version", None), "the configuration")

    def tree(main: SourceFile, standalone: bool = False) -> ServerConfig:
        return ServerConfig(workspace, main, standalone=standalone, major=major)

    views: list[ServerConfig] = []
    covered: set[Path] = set()
    for source in sources:
        if source.path.name == MAIN_NAME and source.path not in covered:
            if another_programs_file(source.text):
                covered.add(source.path)
                continue
            view = tree(source)
            view.scope = {document.source.path for document in view.documents}
            covered |= view.scope
            views.append(view)
    owners: dict[Path, ServerConfig] = {}
    for source in sources:
        if source.path in covered:
            continue
        owner = _owner_of(workspace, source, owners, tree)
        if owner is SKIPPED:
            continue  # a file the server never reads: not a configuration of its own
        if owner is None:
            view = tree(source, standalone=True)
            view.scope = {source.path}
            views.append(view)
        elif owner not in views:
            owner.scope = {source.path}
            views.append(owner)
        else:
            owner.scope.add(source.path)
    return views


def _owner_of(workspace, source, owners, tree):  # noqa: ANN001, ANN202 - local helper
    """The postgresql.conf up to three levels above a fragment that reads it, if any;
    ``SKIPPED`` when one of them lists the fragment's directory with ``include_dir`` and the
    server passes the fragment by (a name starting with a dot: ParseConfigDirectory)."""
    directory = source.path.parent
    skipped = False
    for _ in range(3):
        candidate = directory / MAIN_NAME
        if candidate != source.path and is_file(candidate):
            if candidate not in owners:
                try:
                    main = workspace.load(candidate, workspace.display_for(candidate, source.display))
                except InputError:
                    return None
                if another_programs_file(main.text):
                    directory = directory.parent
                    continue
                owners[candidate] = tree(main)
            owner = owners[candidate]
            if any(document.source.path == source.path for document in owner.documents):
                return owner
            skipped = skipped or skipped_by_include_dir(owner, source.path)
        directory = directory.parent
    return SKIPPED if skipped else None


SKIPPED = object()  # _owner_of's answer for a fragment the server never reads


def skipped_by_include_dir(view: ServerConfig, path: Path) -> bool:
    """Whether ``view``'s tree lists ``path``'s directory with ``include_dir`` and the server
    passes ``path`` by there: PostgreSQL reads only ``*.conf`` names not starting with a dot
    from such a directory (guc-file.l ParseConfigDirectory; checked with postgres 15: a
    ``conf.d/.hidden.conf`` holding ``tcp_keepalives_idle = bogus`` leaves ``postgres -C``
    at 0, exit 0)."""
    name = path.name
    skips_name = name.startswith(".") or not name.endswith(".conf")
    return skips_name and real_path(path.parent) in view.listed_directories
