"""The pgconf-fix command."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pgconf_fix import CACHE_ENVIRONMENT_VARIABLE as CACHE_VARIABLE
from pgconf_fix import __version__
from pgconf_fix.budget import Budget
from pgconf_fix.catalog import CatalogError, load_catalog
from pgconf_fix.findings import SAFE, Finding, Fixable, finding_key
from pgconf_fix.config import (
    ConfigError,
    accepted_majors,
    check_selectors,
    find_config,
    known_major,
    load_config,
    normalise_selectors,
    options_from_config,
)
from pgconf_fix.options import Options, RuleSelection
from pgconf_fix.run import CheckMemo, CheckResult, Target, check, find_targets, fix_loop_follows
from pgconf_fix.source import InputError, SourceFile, UserError
from pgconf_fix.versions import given_version
from pgconf_fix.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from pgconf_fix.cache import Cache

# Reporters, the patcher, the docs and the result cache are imported where they are used: a
# pre-commit run on one file pays only for what it prints (and, with --no-cache, for no cache).

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "github", "sarif")
COUNTED = ("text", "github")  # formats whose summary counts fixable findings
STATISTICS_REFUSED = ("sarif", "github")  # formats --statistics has no shape in
LIVE_TIMEOUT = 10.0  # seconds --live waits for the server when --live-timeout is not given
# Whether this invocation may use the result cache (pgconf_fix.cache): the command does;
# main() called in-process only when asked or when PGCONF_FIX_CACHE_DIR is set.
USE_CACHE = False


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Run:
    """Everything one invocation needs, so the fix loop can re-check in memory."""

    def __init__(self, options: Options, cwd: Path, target: Target, stdin: SourceFile | None) -> None:
        self.options = options
        self.cwd = cwd
        self.target = target
        self.stdin = stdin
        self.rules = list(load_catalog(options.rules_dirs).values())
        self._first: Workspace | None = None
        self._memo: CheckMemo | None = None  # what the last check leaves for the next
        self._last: Workspace | None = None
        self._texts: dict[Path, str] = {}  # the texts the last check saw in place of files
        self._written: dict[Path, str] = {}  # fixed texts written to disk (wrote)
        self.cache: Cache | None = None  # set by _run unless --no-cache; used by a first check
        self.jobs = 1  # processes a check may use (--jobs; set by _run)
        # Set when the patcher will try the first check's fixes (--diff, --write, a report that
        # counts fixable findings): whether it takes unsafe fixes too (see _begin).
        self.patch_unsafe: bool | None = None
        self.active_rules = [rule for rule in self.rules if options.enabled(rule)]

    def workspace(self, overrides: dict[Path, str] | None = None) -> Workspace:
        """A fresh workspace; overridden files keep the display path of their first reading.
        Files this run wrote (``wrote``) are seen with their written text."""
        workspace = Workspace(self.cwd, self.options.max_file_size)
        if self.stdin is not None:
            workspace.adopt(self.stdin)
        for path, text in {**self._written, **(overrides or {})}.items():
            workspace.adopt(self._adopted(path, text))
        return workspace

    def _adopted(self, path: Path, text: str) -> SourceFile:
        original = self._first.load(path)
        return SourceFile(
            path=original.path,
            display=original.display,
            data=original.encode(text),
            text=text,
            utf8=original.utf8,
            mode=original.mode,
            encoding=original.encoding,
            identity=original.identity,  # the file's other paths read this text too (Workspace.load)
        )

    def check(self, overrides: dict[Path, str] | None = None) -> CheckResult:
        """Check the target with ``overrides`` (path -> text) in place of those files.

        After the first check, only what a changed text can affect is checked again: the files
        whose text differs from the last check's, and the reader groups that read them
        (pgconf_fix.run.check); everything else is taken from the last check. When the result
        cache gave the first check whole, there are no groups to reuse: a first check by
        groups (served by the cache too) is made before the re-check."""
        if self._memo is not None and self._memo.whole:
            self._memo, self._first, self._last, self._texts = None, None, None, {}
            self._check(None, whole=False)
        return self._check(overrides)

    def _check(self, overrides: dict[Path, str] | None, whole: bool = True) -> CheckResult:
        texts = {**self._written, **(overrides or {})}
        fresh = self._memo is None
        if self._memo is None:
            workspace = self.workspace(overrides)
            if self._first is None:
                self._first = workspace  # the originals, as read by the first check
            self._memo = CheckMemo()
            changed: set[Path] = set()
        else:
            paths = {path for path in texts.keys() | self._texts.keys() if self._text(texts, path) != self._text(self._texts, path)}
            changed = {self._last.key_of(path) for path in paths}  # type: ignore[union-attr]
            workspace = self._reused(texts, changed)
        # The result cache serves a first check; re-checks reuse the last check in memory.
        cache = self.cache if fresh else None
        begin = self._begin if fresh and self.patch_unsafe is not None else None
        result = check(self.target, self.rules, self.options, workspace, self._memo, changed, cache, self.jobs, whole, begin)
        self._texts, self._last = texts, workspace
        if self.stdin is not None:
            result.findings = stdin_fixes_only(result.findings, self.stdin.path)
        return result

    def _begin(self, findings: list[Finding]) -> None:
        """The first check's findings are known and the patcher will try their fixes: let the
        costly verifiers start on the texts its first round will likely try (``begin_round``),
        while this process vets the fixes and goes on."""
        from pgconf_fix.patcher import begin_round

        findings = stdin_fixes_only(findings, self.stdin.path) if self.stdin is not None else findings
        begin_round(findings, bool(self.patch_unsafe))

    def _text(self, texts: dict[Path, str], path: Path) -> str:
        return texts[path] if path in texts else self._first.load(path).text

    def _reused(self, texts: dict[Path, str], changed: set[Path]) -> Workspace:
        """A workspace for ``texts`` holding the last check's files, except those that changed."""
        assert self._last is not None
        last = dict(self._last.loaded())
        workspace = Workspace(self.cwd, self.options.max_file_size)
        workspace.share_lookups(self._last)
        if self.stdin is not None:
            workspace.adopt(self.stdin)
        for path, text in texts.items():
            key = workspace.key_of(path)
            entry = last.get(key)
            if key in changed or not isinstance(entry, SourceFile):
                workspace.adopt(self._adopted(path, text))
            else:
                workspace.seed([(key, entry)])
        workspace.seed([(key, entry) for key, entry in last.items() if key not in changed])
        return workspace

    def wrote(self, texts: dict[Path, str]) -> None:
        """``texts`` are now on disk: later checks see them as written, re-checking no more
        than what differs from the last check. A written file that a fresh reading would refuse
        (above the size limit, binary) makes the next check read everything again."""
        from pgconf_fix.source import looks_binary

        for path, text in texts.items():
            data = self._first.load(path).encode(text)
            if len(data) > self.options.max_file_size or looks_binary(data):
                self._memo = None
                self._written = {}
                return
        self._written = {**self._written, **texts}


def stdin_fixes_only(findings: list[Finding], path: Path) -> list[Finding]:
    """With standard input, only its document can be fixed (the fixed text goes to standard
    output; nothing is written): a fix that edits any other file is taken off its finding,
    which is still reported."""
    return [
        finding
        if finding.fix is None or all(edit.source.path == path for edit in finding.fix.edits)
        else replace(finding, fix=None)
        for finding in findings
    ]


def _emit(text: str, err: bool = False, redacted: bool = False) -> None:
    """Write to stdout, or to stderr through the redactor (errors may quote a file or a DSN)
    unless the text is ``redacted`` already."""
    if err and not redacted:
        from pgconf_fix.redact import redact

        text = redact(text)
    stream = sys.stderr if err else sys.stdout
    stream.flush()
    stream.buffer.write(text.encode("utf-8", "replace"))
    stream.buffer.flush()


# ruff's flags for what pgconf-fix calls --write, named in the error a user of ruff gets.
RUFF_FIX = ("--fix", "--fix-only")


def _note(text: str, paths: tuple[str, ...] = ()) -> None:
    """One line on standard error (``error: ...``, ``warning: ...``), passwords masked first,
    then its control characters escaped (reporters.text.one_line): a file's name or content
    quoted in it cannot start a line of its own or drive the terminal. ``paths``: the file
    names the line quotes, each redacted on its own (redact.redact_around): a file named
    ``passwd`` is not the key of the words after it."""
    from pgconf_fix.redact import redact_around
    from pgconf_fix.reporters.text import one_line

    _emit(one_line(redact_around(text, paths)) + "\n", err=True, redacted=True)


def fixable(
    findings: list[Finding], suppressed: list[Finding], recheck: Callable[[dict[Path, str]], CheckResult], unsafe_fixes: bool
) -> Fixable:
    """What ``--write`` (and ``--write --unsafe-fixes``) would really fix of ``findings``, from
    the patcher itself: a fix it drops (overlap, a result that does not parse or that a
    consumer refuses) is not counted or shown, so "[*] N fixable", "Would fix N" and
    "Fixed N" agree. Costs the patcher's in-memory re-checks, only when some finding has a fix."""
    from pgconf_fix.patcher import fix_until_stable

    if not any(finding.fix is not None for finding in findings):
        return Fixable()
    mine = fix_until_stable(findings, unsafe_fixes, recheck, suppressed)
    matched, follow_on = _matched(findings, mine.applied)
    applied = dict.fromkeys(matched, False)
    more = 0
    if not unsafe_fixes and any(f.fix is not None and f.fix.applicability != SAFE for f in findings):
        everything = fix_until_stable(findings, True, recheck, suppressed)
        more = max(everything.fixed - mine.fixed, 0)
        for key in _matched(findings, everything.applied)[0]:
            applied.setdefault(key, True)
    return Fixable(count=mine.fixed, more=more, applied=applied, follow_on=tuple(follow_on))


def _fixable(result: CheckResult, run: Run | Runs, cache: Cache | None, unsafe_fixes: bool, style: ReportStyle) -> Fixable:
    """``fixable`` for a check's result, recalled from the cache when the same findings (fixes
    and the bytes of their files included) were counted before from the same inputs."""
    if cache is None or not any(finding.fix is not None for finding in result.findings):
        return fixable(result.findings, result.suppressed, run.check, unsafe_fixes)
    from pgconf_fix.cache import CacheMiss, findings_digest, follow_on_from_json, follow_on_json

    runs = run.runs if isinstance(run, Runs) else [run]
    key = cache.key(
        "fixable", unsafe_fixes, style.show_fixes, [(each.options, each.rules) for each in runs],
        findings_digest(result.findings), findings_digest(result.suppressed),
    )
    try:
        value = cache.recall(key)
        applied = {id(result.findings[index]): bool(unsafe) for index, unsafe in value["applied"]}
        follow_on = tuple(follow_on_from_json(value["follow_on"]))
        return Fixable(count=int(value["count"]), more=int(value["more"]), applied=applied, follow_on=follow_on)
    except (CacheMiss, KeyError, TypeError, ValueError, IndexError, AttributeError):
        pass
    fixes = fixable(result.findings, result.suppressed, run.check, unsafe_fixes)
    index = {id(finding): position for position, finding in enumerate(result.findings)}
    cache.remember(key, {
        "count": fixes.count, "more": fixes.more,
        "applied": [[index[key], unsafe] for key, unsafe in fixes.applied.items() if key in index],
        "follow_on": follow_on_json(fixes.follow_on),
    })
    return fixes


def _matched(reported: list[Finding], applied: list[Finding]) -> tuple[list[int], list[Finding]]:
    """Ids of the reported findings that applied ones are, and the applied ones that were not
    reported. A later pass re-finds a finding at a new offset when an earlier fix in its file
    moved it: rule, file and message remain."""
    waiting: dict[tuple, list[int]] = {}
    for finding in reported:
        waiting.setdefault(finding_key(finding), []).append(id(finding))
    matched, others = [], []
    for finding in applied:
        ids = waiting.get(finding_key(finding))
        if ids:
            matched.append(ids.pop(0))
        else:
            others.append(finding)
    return matched, others


@dataclass(frozen=True, eq=False)
class ReportStyle:
    """How findings are printed: format, flags, destination and colour."""

    fmt: str = "text"
    unsafe_fixes: bool = False
    show_fixes: bool = False
    statistics: bool = False
    output_file: str | None = None
    color: str = "auto"  # auto | always | never


def use_colour(choice: str, stream: object) -> bool:
    """``--color``: always/never as given; auto colours a terminal unless NO_COLOR is set, and
    anything when FORCE_COLOR is (https://no-color.org, https://force-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _report(
    findings: list[Finding],
    style: ReportStyle,
    rules: list,  # noqa: ANN001
    fixes: Fixable | None = None,
    errors: list[InputError] | None = None,
    err: bool = False,
    cwd: Path | None = None,
) -> None:
    """Print the report (to standard error with ``err``: standard output then carries the
    fixed standard input; to ``style.output_file`` when given)."""
    errors = errors or []
    stream = sys.stderr if err else sys.stdout
    colour = use_colour(style.color, stream) if style.output_file is None else style.color == "always"
    fmt = style.fmt
    if style.statistics:
        from pgconf_fix.reporters import statistics

        text = statistics.render(findings, fixes, fmt == "json", colour, len(errors))
    elif fmt == "json":
        from pgconf_fix.reporters import json as json_reporter

        text = json_reporter.render(findings, errors)
    elif fmt == "sarif":
        from pgconf_fix.ignore import repository_root
        from pgconf_fix.reporters import sarif

        here = cwd or Path.cwd()
        # %SRCROOT% is the repository's root, where code scanning resolves paths.
        root = repository_root(Path(os.path.abspath(here))) or Path(os.path.abspath(here))
        text = sarif.render(findings, rules, errors, root, here)
    elif fmt == "github":
        from pgconf_fix.reporters import github

        text = github.render(findings, style.unsafe_fixes, fixable=fixes, errors=list(errors))
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(github.step_summary(findings, fixes, len(errors)))
    else:
        from pgconf_fix.reporters import text as text_reporter

        text = text_reporter.render(
            findings, style.unsafe_fixes, style.show_fixes, colour=colour, fixable=fixes, errors=len(errors)
        )
    if style.output_file is not None:
        _write_output_file(style.output_file, text.encode("utf-8"))
        return
    _emit(text, err)


def _write_output_file(path: str, data: bytes, mode: str = "wb") -> None:
    """``--output-file``: ``data`` written to ``path`` (``mode`` "ab" and no data: made, or
    found writable, before the run, as ruff opens it first); as ruff, the folders on the way
    are made (a CI job's reports/ need not exist yet)."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # makedirs' strerror, "File exists", names neither the file nor the cause
        raise click.FileError(path, f"{folder} is not a directory") from None
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None
    try:
        with open(path, mode) as handle:
            handle.write(data)
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None


def _counted(style: ReportStyle) -> bool:
    """Whether the report shows fixable counts (worth the patcher's re-checks)."""
    return style.fmt in COUNTED or style.statistics


def _errors(result: CheckResult) -> int:
    for error in result.errors:
        _note(f"error: {error}", (error.display,))
    return len(result.errors)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=str)
@click.option("--diff", "diff_mode", is_flag=True, help="Print a unified diff of the fixes; write nothing.")
@click.option("--write", "write_mode", is_flag=True, help="Apply safe fixes in place, report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes marked unsafe.")
@click.option("--show-fixes", is_flag=True, help="Show each finding's fix in the text report.")
@click.option("--select", metavar="CODES", help="Comma-separated codes or prefixes to check (replaces the default).")
@click.option("--extend-select", metavar="CODES", help="Codes or prefixes to check in addition.")
@click.option("--ignore", metavar="CODES", help="Comma-separated codes or prefixes to skip.")
@click.option("--pg-version", metavar="N", help="PostgreSQL major version, like 15 or 9.4.")
@click.option("--idle-budget", type=int, metavar="SECONDS", help="Shortest idle timeout on the path (default 300).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file to use.")
@click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False), help="Extra directory of TOML rules.")
@click.option("--statistics", is_flag=True, help="Print the number of findings of each rule instead of the findings.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option(
    "--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces it).",
)
@click.option("--add-suppressions", metavar="REASON", help="Add a suppression comment, with REASON, before each finding.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to paths named on the command line too.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are left.")
@click.option(
    "--exit-non-zero-on-fix", is_flag=True,
    help="With --write: exit 1 when anything was fixed, even if no finding is left (as ruff's).",
)
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.option("--stdin-filename", metavar="NAME", help="With '-' as path: check standard input as this file.")
@click.option("--live", metavar="DSN", help="Check a running server's settings; PATHS are where fixes may go.")
@click.option(
    "--jobs", type=click.IntRange(min=1), metavar="N",
    help="Processes to check with (default: the CPUs this process may use, but one process below a measured amount of work).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache (in the user cache directory).")
@click.option("--live-timeout", type=float, metavar="SECONDS", help=f"connect_timeout for --live.  [default: {LIVE_TIMEOUT:g}]")
@click.version_option(__version__, prog_name="pgconf-fix")
def cli(**kwargs: object) -> int:
    """Find where an idle PostgreSQL connection can silently die, in the settings of the
    server, the kernel, the network, the client and the pool, and write the fixes.

    PATHS are files and directories (default: .); - reads standard input, named by
    --stdin-filename. Runs locally and opens no connection (except --live DSN).

    \b
    Exit status: 0 nothing found (or all fixed with --write),
                 1 findings left (or a non-empty --diff),
                 2 a usage, configuration or input error.

    --explain CODE describes a rule. 'pgconf-fix serve' opens a local page to paste a
    configuration into.
    """
    return _run(**kwargs)  # type: ignore[arg-type]


def _options(cwd: Path, config_path: str | None, found: tuple[Path, dict] | None = None, **flags: object) -> Options:
    """Options from the config (``--config``, else ``found``, else the nearest to ``cwd``) and the flags."""
    if config_path or found is None:
        path, table = load_config(Path(config_path) if config_path else None, cwd)
    else:
        path, table = found
    options = options_from_config(path, table)
    values: dict[str, object] = {}
    given = {key: _codes(flags.get(key)) for key in ("select", "ignore", "extend_select")}  # type: ignore[arg-type]
    if given["select"] == ():
        # An empty CI variable would select nothing and pass: never what was meant.
        raise click.BadParameter("selects no rule; give codes or prefixes such as PGF1 or ALL", param_hint="--select")
    # As ruff resolves them: the flags are a selection of their own, applied over the config's
    # (Options.flag_selection); a --select there starts afresh.
    selectors = {key: codes for key, codes in given.items() if codes}
    if flags.get("pg_version"):
        version = given_version(str(flags["pg_version"]))
        if version is None:
            raise click.BadParameter(f"{flags['pg_version']!r} is not a PostgreSQL version (like 13, or 9.4 before 10)",
                                     param_hint="--pg-version")
        if not known_major(version):
            raise click.BadParameter(f"{flags['pg_version']!r} is not a major pgconf-fix knows; {accepted_majors()}",
                                     param_hint="--pg-version")
        values["pg_version"] = version
    if flags.get("idle_budget") is not None:
        budget = int(flags["idle_budget"])  # type: ignore[arg-type]
        if budget <= 0:
            raise click.BadParameter("must be positive", param_hint="--idle-budget")
        values["budget"] = Budget(budget, "--idle-budget")
    if flags.get("force_exclude"):
        values["force_exclude"] = True
    if flags.get("rules_dir"):
        values["rules_dirs"] = options.rules_dirs + tuple(Path(p).resolve() for p in flags["rules_dir"])  # type: ignore[union-attr]
    options = replace(options, **values)
    if not selectors:
        return options
    catalog = load_catalog(options.rules_dirs)
    for key, codes in selectors.items():
        selectors[key] = normalise_selectors(codes, catalog)  # type: ignore[arg-type]
        check_selectors(selectors[key], catalog, f"--{key.replace('_', '-')}")
    return replace(options, flag_selection=RuleSelection(**selectors))  # type: ignore[arg-type]


def _run(
    paths: tuple[str, ...],
    diff_mode: bool,
    write_mode: bool,
    unsafe_fixes: bool,
    show_fixes: bool,
    fmt: str,
    config_path: str | None,
    exit_zero: bool,
    explain: str | None,
    list_rules: bool,
    stdin_filename: str | None,
    **flags: object,
) -> int:
    cwd = Path.cwd()
    style = ReportStyle(
        fmt=fmt,
        unsafe_fixes=unsafe_fixes,
        show_fixes=show_fixes,
        statistics=bool(flags.pop("statistics", False)),
        output_file=flags.pop("output_file", None),  # type: ignore[arg-type]
        color=str(flags.pop("color", "auto")),
    )
    add_suppressions = flags.pop("add_suppressions", None)
    if style.statistics and fmt in STATISTICS_REFUSED:
        # As ruff ("Unsupported serialization format for statistics"): a count table in a SARIF
        # file or among workflow commands is neither; it was printed as text without a word.
        raise click.UsageError(f"--statistics prints text or JSON (--format text or json), not --format {fmt}")
    if diff_mode and write_mode:
        raise click.UsageError("--diff and --write cannot be used together")
    if exit_zero and flags.get("exit_non_zero_on_fix"):
        raise click.UsageError("--exit-zero and --exit-non-zero-on-fix cannot be used together")
    if flags.get("live_timeout") is not None and not flags.get("live"):
        # It was taken and did nothing: a check of files opens no connection to time out.
        raise click.UsageError("--live-timeout applies to --live DSN only")
    if add_suppressions is not None and (diff_mode or write_mode):
        # It writes comments, not fixes: --diff would write after all, --write would fix nothing.
        mode = "--diff" if diff_mode else "--write"
        raise click.UsageError(f"--add-suppressions and {mode} cannot be used together (fix with --write first, "
                               "then add suppressions for what is left)")
    if style.output_file is not None and not list_rules and explain is None:
        # Before anything is checked or written: an unwritable report was found after --write had written.
        _write_output_file(style.output_file, b"", "ab")
    cached = (USE_CACHE or bool(os.environ.get(CACHE_VARIABLE))) and not flags.get("no_cache") and not flags.get("live")
    options = _options(cwd, config_path, **flags)
    catalog = load_catalog(options.rules_dirs)
    if list_rules:
        for rule in catalog.values():
            state = "on " if rule.enabled else "off"
            _emit(f"{rule.code}  {state}  {rule.name:<28} {rule.summary}\n")
        return EXIT_CLEAN
    if explain is not None:  # --explain "" (an empty variable) is no rule, not a check
        wanted = explain.strip().upper()
        rule = catalog.get(wanted) or next((r for r in catalog.values() if r.name == explain.strip()), None) if wanted else None
        if rule is None:
            under = [code for code in catalog if wanted and code.startswith(wanted)]
            if under:  # a selector's prefix: name the rules it stands for, as ruff's tip names a near code
                shown = ", ".join(under[:8]) + (f" and {len(under) - 8} more" if len(under) > 8 else "")
                raise click.BadParameter(f"{explain.strip()!r} is a prefix of {shown}: --explain takes one rule's code "
                                         "or name", param_hint="--explain")
            raise click.BadParameter(f"no rule {explain!r} (see --list-rules)", param_hint="--explain")
        from pgconf_fix import docs

        _emit(docs.explain(rule))
        if docs.uses_idle_budget(rule):
            _emit(_explain_budget(options, cwd, paths))
        return EXIT_CLEAN

    if paths[:1] in (("check",), ("format",)) and not os.path.lexists(paths[0]):
        # ruff's subcommands: `pgconf-fix check .` reported "check: no such file" beside the check.
        raise click.UsageError(f"pgconf-fix takes paths, not a '{paths[0]}' subcommand (ruff's form): "
                               f"run pgconf-fix {' '.join(paths[1:]) or '.'}")
    given_paths = paths
    paths = paths or (".",)
    stdin = None
    if stdin_filename and "-" not in paths:
        raise click.UsageError("--stdin-filename names what standard input holds: pass '-' as a path to read it")
    if "-" in paths:
        if not stdin_filename:
            raise click.UsageError("reading standard input ('-') needs --stdin-filename NAME")
        data = sys.stdin.buffer.read(options.max_file_size + 1)  # no further: the limit is the limit
        problem = _stdin_problem(data, options.max_file_size)
        if problem:
            _note(f"error: -: {problem}")
            return EXIT_ERROR
        stdin = SourceFile.from_bytes((cwd / stdin_filename).absolute(), stdin_filename, data)
    from pgconf_fix.jobs import configure

    # Standard input is one document: never worth a process pool.
    jobs = configure(flags.get("jobs"))  # type: ignore[arg-type]
    jobs = 1 if stdin is not None else jobs
    flags["jobs"] = jobs
    if cached:
        from pgconf_fix.cache import Cache, project_directory
    cache_at = project_directory(options.config_dir or cwd) if cached else None
    if flags.get("live") or config_path:
        run: Run | Runs = Run(options, cwd, find_targets(list(paths), options, cwd, stdin, jobs, cache_at), stdin)
    else:
        run = _runs_by_config(list(paths), cwd, stdin, options, flags, cache_at)
    for each in run.runs if isinstance(run, Runs) else [run]:
        each.jobs = jobs
    _warn_unread([each.target for each in (run.runs if isinstance(run, Runs) else [run])])
    cache = None
    if cached:
        cache = Cache.open(options.config_dir or cwd, cwd)
        for each in run.runs if isinstance(run, Runs) else [run]:
            each.cache = cache
    try:
        return _checked(run, cache, flags, given_paths, add_suppressions, stdin, diff_mode, write_mode,
                        unsafe_fixes, style, fmt, exit_zero, cwd)
    finally:
        verify = sys.modules.get("pgconf_fix.verify")  # not imported: no work was begun
        if verify is not None:
            verify.end_trials()  # terraform begun for the patcher (Run._begin) and not waited for
        if cache is not None:
            cache.close()
            if cache.warning:
                _note(f"warning: {cache.warning}")


def _checked(
    run: Run | Runs, cache: Cache | None, flags: dict[str, object], given_paths: tuple[str, ...],
    add_suppressions: object, stdin: SourceFile | None, diff_mode: bool, write_mode: bool, unsafe_fixes: bool,
    style: ReportStyle, fmt: str, exit_zero: bool, cwd: Path,
) -> int:
    """The check, and the report, diff or writes that follow it."""
    follows = add_suppressions is None and (diff_mode or write_mode or _counted(style))
    if follows:
        for each in run.runs if isinstance(run, Runs) else [run]:
            each.patch_unsafe = unsafe_fixes
    if flags.get("live"):
        from pgconf_fix.live import LiveRun

        timeout = LIVE_TIMEOUT if flags.get("live_timeout") is None else float(flags["live_timeout"])  # type: ignore[arg-type]
        run = LiveRun.connect(run, str(flags["live"]), timeout, given_paths)
    fix_loop_follows(follows)
    result = run.check()
    error_count = _errors(result)
    if add_suppressions is not None:
        return _add_suppressions(run, result, str(add_suppressions), stdin, error_count)

    if diff_mode or write_mode:
        from pgconf_fix.patcher import diff_base, fix_until_stable, unified_diff

        outcome = fix_until_stable(result.findings, unsafe_fixes, run.check, result.suppressed)
        for display, reason in dict.fromkeys(outcome.refusals):
            _note(f"warning: {display}: a fix was dropped, because {reason}", (display,))
        if diff_mode:
            base = diff_base(outcome.texts, cwd)
            if base != Path(os.path.abspath(cwd)):
                _note(f"note: the diff's paths are relative to {base}: apply it there")
            patch = b"".join(unified_diff(outcome.originals[path], text, cwd, base) for path, text in sorted(outcome.texts.items()))
            if style.output_file is not None:  # the diff is --diff's report: it wrote nothing there
                _write_output_file(style.output_file, patch)
            else:
                sys.stdout.buffer.write(patch)
                sys.stdout.buffer.flush()
            noun = "finding" if outcome.fixed == 1 else "findings"
            _emit(f"Would fix {outcome.fixed} {noun}.\n" if outcome.texts else "No fixes available.\n", err=True)
            if error_count:
                return EXIT_ERROR
            return EXIT_FINDINGS if outcome.texts and not exit_zero else EXIT_CLEAN
        left = _write(run, outcome, stdin)
        remaining = left.findings
        noun = "finding" if outcome.fixed == 1 else "findings"
        files = len(outcome.texts) - len(outcome.not_written)
        where = "standard input" if stdin is not None else f"{files} file{'s' if files != 1 else ''}"
        summary = f"Fixed {outcome.fixed} {noun} in {where}.\n"
        if outcome.not_written:
            from pgconf_fix.reporters.text import one_line

            summary = (
                f"Wrote {files} of {len(outcome.texts)} fixed files; {len(outcome.not_written)} not written "
                f"({', '.join(map(one_line, outcome.not_written))}): their findings are still reported.\n"
            )
        _emit(summary, err=fmt != "text" or stdin is not None)
        fixes = _fixable(left, run, cache, unsafe_fixes, style) if _counted(style) else None
        # With standard input, standard output is the fixed document: the report goes to stderr.
        _report(remaining, style, run.active_rules, fixes, result.errors, err=stdin is not None, cwd=cwd)
        if error_count or outcome.not_written:
            return EXIT_ERROR
        if flags.get("exit_non_zero_on_fix") and outcome.fixed:
            return EXIT_FINDINGS
        return EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN

    fixes = _fixable(result, run, cache, unsafe_fixes, style) if _counted(style) else None
    _report(result.findings, style, run.active_rules, fixes, result.errors, cwd=cwd)
    if error_count:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN


def _add_suppressions(run: Run | Runs, result: CheckResult, reason: str, stdin: SourceFile | None, errors: int) -> int:
    """``--add-suppressions REASON``: a suppression comment before each finding's line (as
    ruff's --add-noqa), kept for a file only when a re-check shows those findings suppressed
    and no new parse error; then written as --write writes."""
    from pgconf_fix import suppression
    from pgconf_fix.patcher import WriteError, write_fixed

    if stdin is not None:
        raise click.UsageError("--add-suppressions writes files; it cannot be used with '-'")
    if not reason.strip():
        raise click.BadParameter("give the reason the findings are accepted", param_hint="--add-suppressions")
    wanted: dict[Path, dict[int, set[str]]] = {}
    sources: dict[Path, SourceFile] = {}
    for finding in result.findings:
        if finding.code in suppression.NOT_SUPPRESSIBLE:
            continue
        line = finding.source.position(finding.location.start)[0]
        wanted.setdefault(finding.source.path, {}).setdefault(line, set()).add(finding.code)
        sources[finding.source.path] = finding.source
    texts = {}
    skipped: dict[Path, list[int]] = {}
    for path, lines in wanted.items():
        text, skipped[path] = suppression.with_suppressions(sources[path], lines, reason)
        for line in skipped[path]:
            _note(f"warning: {sources[path].display}:{line}: no suppression comment can be added here safely",
                  (sources[path].display,))
        problem = sources[path].encoding_problem(text) if text is not None else None
        if problem is not None:
            _note(f"warning: {sources[path].display}: {problem}; left as it was", (sources[path].display,))
        elif text is not None:
            texts[path] = text
    if texts:
        after = run.check(texts).findings
        for path in list(texts):
            before_errors = sum(1 for f in result.findings if f.source.path == path and f.code == "PGF001")
            left = [f for f in after if f.source.path == path and f.code not in suppression.NOT_SUPPRESSIBLE]
            expected = sum(len(wanted[path][line]) for line in skipped[path])
            if sum(1 for f in left if f.code == "PGF001") > before_errors or len(left) > expected:
                _note(f"warning: {sources[path].display}: the comments would not suppress every finding; left as it was",
                      (sources[path].display,))
                del texts[path]
    for path, text in list(texts.items()):  # every file attempted; one not written is named
        try:
            write_fixed(sources[path], text)
        except WriteError as exc:
            _note(f"error: {exc}", (exc.display,))
            del texts[path]
            errors += 1
    added = sum(len(wanted[path]) - len(skipped[path]) for path in texts)
    # On standard error, as ruff's "Added N noqa directives.": standard output is the report's
    # (--format json), and there is none here.
    _emit(f"Added {added} suppression{'s' if added != 1 else ''} to {len(texts)} file{'s' if len(texts) != 1 else ''}.\n",
          err=True)
    if errors:
        return EXIT_ERROR
    complete = len(texts) == len(wanted) and not any(skipped.values())
    return EXIT_CLEAN if complete else EXIT_FINDINGS


def _config_start(path: str, cwd: Path, stdin_filename: str | None) -> Path:
    """Where the config search for a command-line path starts: the directory itself, or the
    file's directory (for '-', the directory --stdin-filename names)."""
    given = cwd / (stdin_filename if path == "-" and stdin_filename else path)
    absolute = Path(os.path.abspath(given))
    return absolute if absolute.is_dir() else absolute.parent


def _runs_by_config(
    paths: list[str], cwd: Path, stdin: SourceFile | None, default: Options, flags: dict[str, object],
    cache_at: tuple[Path, Path] | None = None,
) -> Run | Runs:
    """One run per config file: as ruff does, each path is judged by the config found from
    it upwards (not only from the working directory). Paths without one share ``default``
    (the working directory's, as before)."""
    groups: dict[Path | None, list[str]] = {}
    found: dict[Path | None, tuple[Path, dict] | None] = {}
    by_start: dict[Path, tuple[Path, dict] | None] = {}  # pre-commit names many files of few directories
    for path in paths:
        start = _config_start(path, cwd, stdin.display if stdin else None)
        if start not in by_start:
            by_start[start] = find_config(start)
        hit = by_start[start]
        key = hit[0].resolve() if hit else None
        groups.setdefault(key, []).append(path)
        found[key] = hit
    runs = []
    for key, members in groups.items():
        hit = found[key]
        options = _options(cwd, None, hit, **flags) if hit is not None else default
        mine = stdin if stdin is not None and "-" in members else None
        runs.append(Run(options, cwd, find_targets(members, options, cwd, mine, flags.get("jobs"), cache_at), mine))  # type: ignore[arg-type]
    return runs[0] if len(runs) == 1 else Runs(runs)


class Runs:
    """Several runs (one per config) seen as one: findings, errors and re-checks merged."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs
        self.options = runs[0].options
        self.stdin = next((run.stdin for run in runs if run.stdin is not None), None)
        by_code: dict[str, object] = {}
        for run in runs:
            for rule in run.active_rules:
                by_code.setdefault(rule.code, rule)
        self.active_rules = list(by_code.values())

    def wrote(self, texts: dict[Path, str]) -> None:
        for run in self.runs:
            run.wrote(texts)

    def check(self, overrides: dict[Path, str] | None = None) -> CheckResult:
        results = [run.check(overrides) for run in self.runs]
        return CheckResult(
            findings=sorted((f for r in results for f in r.findings), key=Finding.sort_key),
            errors=[e for r in results for e in r.errors],
            suppressed=[f for r in results for f in r.suppressed],
        )


# Named files not checked for one reason that are each given a warning line; more are summed up
# in one (pre-commit names every .py, .json, .yaml... file of a commit, most of them no config).
UNREAD_NAMED = 5


def _warn_unread(targets: list[Target]) -> None:
    """Say which named files were not checked and why, as ruff does; the exit status is unchanged
    (ruff exits 0 when it finds no file to check, and so do we: nothing checked, nothing found).
    Up to UNREAD_NAMED files of one reason get a line each; more, one line with their count and
    the first three."""
    by_reason: dict[str, list[str]] = {}
    read_anyway = False
    for target in targets:
        for display, reason in target.unread:
            if _read_for_the_check(display):
                read_anyway = True
            else:
                by_reason.setdefault(reason, []).append(display)
    for reason, displays in by_reason.items():
        if len(displays) <= UNREAD_NAMED:
            for display in displays:
                _note(f"warning: {display}: not checked: {reason}", (display,))
        else:
            shown = ", ".join(displays[:3])
            _note(f"warning: {len(displays)} named files not checked: {reason}: {shown} and {len(displays) - 3} more",
                  tuple(displays[:3]))
    if not read_anyway and not any(any(target.files.values()) or target.errors for target in targets):
        _emit("warning: no file under the given paths is one pgconf-fix reads\n", err=True)


def _read_for_the_check(display: str) -> bool:
    """Whether a named file that no reader checks is read all the same, for what it sets for
    the check: pgconf-fix's own config (``pyproject.toml``, ``.pgconf-fix.toml``) and the
    project's pins (``dependencies.is_pins_file``). Not "not checked": pre-commit names them
    whenever they change (a pyproject.toml with a connection string is checked as any file)."""
    from pgconf_fix.config import CONFIG_NAMES
    from pgconf_fix.dependencies import is_pins_file

    path = Path(display)
    return path.name in CONFIG_NAMES or is_pins_file(path)


def _stdin_problem(data: bytes, max_size: int) -> str | None:
    """Standard input gets the checks a file gets: the size limit and the binary check."""
    from pgconf_fix.source import binary_problem, looks_binary, size_limit

    if len(data) > max_size:
        return f"standard input is above the {size_limit(max_size)} limit; not checked"
    if looks_binary(data):
        return binary_problem(data)
    return None


def _explain_budget(options: Options, cwd: Path, paths: tuple[str, ...]) -> str:
    """How the idle budget is found, and what it comes to for the given paths (if any)."""
    import textwrap

    from pgconf_fix.budget import EXPLAIN
    from pgconf_fix.run import with_learned_budget

    lines = ["", "Idle budget", textwrap.indent(EXPLAIN, "  ")]
    if paths:
        target = find_targets(list(paths), options, cwd)
        learned = with_learned_budget(options, target, Workspace(cwd, options.max_file_size))
        keepalive = learned.budget_for(keepalives=True)
        recycle = learned.budget_for(keepalives=False)
        lines += [
            "",
            f"  For {' '.join(paths)}:",
            f"    keepalive budget: {keepalive.describe() if keepalive.origin else f'{keepalive.seconds} s (the default)'}",
            f"    recycle budget:   {recycle.describe() if recycle.origin else f'{recycle.seconds} s (the default)'}",
        ]
    return "\n".join(lines) + "\n"


def _write(run: Run | Runs, outcome, stdin: SourceFile | None) -> CheckResult:  # noqa: ANN001
    """Write fixed files (standard input goes to standard output) and re-check from disk."""
    if stdin is not None:
        text = outcome.texts.get(stdin.path, stdin.text)
        sys.stdout.buffer.write(stdin.encode(text))
        sys.stdout.buffer.flush()
        return run.check(outcome.texts)
    from pgconf_fix.patcher import WriteError, write_fixed

    failed = []
    written: dict[Path, str] = {}
    for path, text in outcome.texts.items():  # every file is attempted, whatever failed before
        try:
            write_fixed(outcome.originals[path], text)
            written[path] = text
        except WriteError as exc:
            failed.append(exc)
            _note(f"error: {exc}", (exc.display,))
    outcome.not_written = [exc.display for exc in failed]
    run.wrote(written)  # the check of what is now on disk re-checks only what differs from the last
    return run.check()


def entry() -> int:
    """The ``pgconf-fix`` command: ``main`` with a garbage-collector policy for one short run.

    A large check allocates millions of small objects and very few cycles; the collector's
    passes over them cost about a tenth of the run. Objects from imports are frozen out of
    its sight and it runs less often (cycles are still freed). Not in ``main``, which tests
    and other programs call in their own process. The command's entry point
    (``pgconf_fix.__main__.entry``) raises the threshold before this module is imported.
    """
    import gc

    from pgconf_fix import GC_THRESHOLD

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    return main(cache=True)


def main(argv: list[str] | None = None, cache: bool = False) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``) and return its exit status.
    ``cache``: use the result cache unless ``--no-cache`` is given (the ``pgconf-fix`` command
    does; without it, only when ``PGCONF_FIX_CACHE_DIR`` is set)."""
    global USE_CACHE
    USE_CACHE = cache
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["serve"]:  # the paste-and-fix page; check a directory named serve as ./serve
        from pgconf_fix.serve import serve_main

        return serve_main(args[1:])
    try:
        result = cli.main(args=argv, prog_name="pgconf-fix", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        _emit("Aborted.\n", err=True)
        return EXIT_ERROR
    except click.NoSuchOption as exc:
        if exc.option_name in RUFF_FIX:  # click's nearest spelling of --fix is --config
            _note(f"error: {exc.message} Fixes are applied with --write (ruff's --fix) and shown with --diff.")
        else:
            _note(f"error: {exc.format_message()}")
        return EXIT_ERROR
    except click.ClickException as exc:
        _note(f"error: {exc.format_message()}")
        return EXIT_ERROR
    except (ConfigError, CatalogError, UserError) as exc:
        _note(f"error: {exc}")
        return EXIT_ERROR
    return int(result) if isinstance(result, int) else EXIT_CLEAN
