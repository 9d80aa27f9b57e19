"""The rule catalog: one TOML file a rule, in rules/ (shipped inside the wheel)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pgconf_fix.budget import DEFAULT_SECONDS

DOCS_URL = "https://github.com/pgconf-fix/pgconf-fix/blob/main/docs/rules.md"
SEVERITIES = ("error", "warning", "info")
LAYERS = ("any", "server", "kernel", "network", "client", "pool", "pgbouncer")
DATA_KINDS = ("threshold", "forbidden", "required", "absent")
KINDS = (*DATA_KINDS, "parse-error", "suppression", "python", "input-error")


class CatalogError(Exception):
    pass


# The result cache's directory (``pgconf_fix.cache.cache_top``) when the command uses it: the
# built-in rules' parsed TOML is kept in its ``pgconf-fix-rules/`` between runs (tomllib's import
# and the parse of the 32 files were ~20 ms of a one-file run, issue 18). None: parsed every run.
CACHE_TOP: Path | None = None
MEMO_NAME = "pgconf-fix-rules"  # not a project's directory there (those end in -<16 hex digits>)


@dataclass(frozen=True)
class Rule:
    """One rule as its TOML file (``path``) describes it: code, kebab-case name, layer,
    severity, the documentation's words, ``parameters`` (user-tunable values) and ``check``
    (the ``kind`` and its bounds). ``builtin``: shipped in rules/, not from ``--rules-dir``."""

    code: str
    name: str
    layer: str
    severity: str
    enabled: bool
    summary: str
    why: str
    fix_safety: str
    references: tuple[str, ...]
    parameters: dict[str, Any]
    check: dict[str, Any]
    example_before: str
    example_after: str
    path: Path
    options: str = ""
    builtin: bool = True
    # For the test that runs the example (tests/test_rule_examples.py), not shown in the docs:
    # the file name to write it to, and lines the snippet needs to be complete (an import).
    example_file: str = ""
    example_context: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.check["kind"]

    @property
    def anchor(self) -> str:
        return f"{self.code.lower()}-{self.name}"

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.anchor}"


_REQUIRED = ("code", "name", "layer", "severity", "summary", "why", "fix_safety", "check")


def read_toml(path: Path, error: type[Exception], what: str = "") -> dict[str, Any]:
    """A TOML file's table; ``error("<path>: cannot read<what>: ...")`` or ``error("<path>:
    invalid TOML: ...")`` when it cannot be read or parsed."""
    import tomllib  # here: a run whose rules come from the memo never loads it

    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read{what}: {exc}") from None
    except ValueError as exc:
        # TOMLDecodeError, or ValueError from an integer past Python's 4,300-digit conversion
        # limit, which tomllib lets through (TOML allows 64-bit integers only)
        raise error(f"{path}: invalid TOML: {toml_message(exc, text)}") from None
    except RecursionError:  # arrays or inline tables nested some thousands deep
        raise error(f"{path}: invalid TOML: nested too deeply for Python's TOML parser") from None


def toml_message(exc: ValueError, text: str) -> str:
    """``exc``'s message, put in TOML's terms when it is Python's integer conversion limit
    ("Exceeds the limit (4300 digits) for integer string conversion ...": it names a Python
    setting the reader cannot use, and no line), with the line of the first run of that many
    digits."""
    import re

    message = str(exc)
    if "integer string conversion" not in message:
        return message
    found = re.search(r"[0-9_]{4301,}", text)
    where = f" (at line {text.count(chr(10), 0, found.start()) + 1})" if found else ""
    return f"an integer has more digits than TOML's 64-bit integers allow{where}"


def load_rule(path: Path, builtin: bool = True) -> Rule:
    """The rule of the TOML file ``path``; CatalogError when it cannot be read or is invalid."""
    return _rule(path, read_toml(path, CatalogError, " rule"), builtin)


def _rule(path: Path, data: dict[str, Any], builtin: bool) -> Rule:
    """The rule ``data`` (the TOML table of ``path``) describes; CatalogError when it is invalid."""
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise CatalogError(f"{path}: rule lacks {', '.join(missing)}")
    check = data["check"]
    if not isinstance(check, dict) or check.get("kind") not in KINDS:
        raise CatalogError(f"{path}: [check] kind must be one of {', '.join(KINDS)}")
    if "function" in check:
        raise CatalogError(
            f"{path}: [check] function is no longer read: a Python check registers itself with "
            f'@check("{data["code"]}", judges=ViewType) in a pgconf_fix/checks/ module named after the rule'
        )
    if not builtin and check["kind"] not in DATA_KINDS:
        raise CatalogError(f"{path}: user rules may use the kinds {', '.join(DATA_KINDS)}")
    if check["kind"] in DATA_KINDS and "setting" not in check:
        raise CatalogError(f"{path}: [check] needs a setting")
    if data["severity"] not in SEVERITIES:
        raise CatalogError(f"{path}: severity must be one of {', '.join(SEVERITIES)}")
    if data["layer"] not in LAYERS:
        raise CatalogError(f"{path}: layer must be one of {', '.join(LAYERS)}")
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise CatalogError(f"{path}: [parameters] must be a table")
    if check["kind"] in DATA_KINDS:
        _check_bounds(path, check, parameters)
    example = data.get("example", {})
    return Rule(
        code=str(data["code"]),
        name=str(data["name"]),
        layer=data["layer"],
        severity=data["severity"],
        enabled=bool(data.get("enabled", True)),
        summary=data["summary"].strip(),
        why=data["why"].strip(),
        fix_safety=data["fix_safety"].strip(),
        references=tuple(data.get("references", ())),
        parameters=dict(data.get("parameters", {})),
        check=dict(check),
        example_before=example.get("before", ""),
        example_after=example.get("after", ""),
        example_file=example.get("file", ""),
        example_context=example.get("context", ""),
        options=data.get("options", "").strip(),
        path=path,
        builtin=builtin,
    )


# Names a [check] bound may use for a run-wide value instead of a rule parameter, with the
# value a bound check assumes (the idle budget's default, pgconf_fix.budget).
RUN_PARAMETERS = {"idle_budget": DEFAULT_SECONDS}


def _check_bounds(path: Path, check: dict[str, Any], parameters: dict[str, Any]) -> None:
    """[check] minimum/maximum: an integer, or the name of an integer parameter; fix: a value
    or the name of a parameter. A CatalogError names the field, else a run fails mid-way."""
    for key in ("minimum", "maximum", "fix"):
        if key not in check:
            continue
        value = check[key]
        if isinstance(value, str):
            if value not in parameters and value not in RUN_PARAMETERS:
                raise CatalogError(f"{path}: [check] {key} = {value!r} names no parameter (see [parameters])")
            value = parameters.get(value, RUN_PARAMETERS.get(value))
            where = f"[parameters] {check[key]}, used as [check] {key},"
        else:
            where = f"[check] {key}"
        if key != "fix" and (isinstance(value, bool) or not isinstance(value, int)):
            raise CatalogError(f"{path}: {where} must be an integer, not {value!r}")


def builtin_rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


@lru_cache(maxsize=1)
def _builtin_rules(directory: Path) -> tuple[Rule, ...]:
    if CACHE_TOP is not None and directory.is_dir():
        remembered = _remembered_rules(directory, CACHE_TOP)
        if remembered is not None:
            return remembered
    return _load_dir(directory, True)


def _remembered_rules(directory: Path, top: Path) -> tuple[Rule, ...] | None:
    """The rules of ``directory``, from the TOML tables a run parsed before and kept in
    ``top``/``MEMO_NAME`` (JSON, named by a digest of the Python version and the files' names
    and texts), parsing and keeping them when absent. None when a file cannot be read or parsed
    (``_load_dir`` then raises the error it always raised). Each table is validated by ``_rule``
    as a parsed file is: the same Rule objects either way (JSON holds every TOML value but dates
    and times; tables holding those are not kept)."""
    import hashlib

    paths = sorted(directory.glob("*.toml"))
    try:
        texts = [path.read_text(encoding="utf-8") for path in paths]
    except (OSError, UnicodeDecodeError):
        return None
    digest = hashlib.sha256(repr((sys.version, [path.name for path in paths])).encode())
    for text in texts:
        digest.update(b"%d:" % len(text) + text.encode("utf-8", "surrogatepass"))
    stored = top / MEMO_NAME / f"{digest.hexdigest()}.json"
    try:
        tables = json.loads(stored.read_bytes())
        if not isinstance(tables, list) or len(tables) != len(paths) or not all(isinstance(t, dict) for t in tables):
            tables = None
    except (OSError, ValueError):
        tables = None
    if tables is None:
        import tomllib

        try:
            tables = [tomllib.loads(text) for text in texts]
        except (ValueError, RecursionError):  # TOMLDecodeError, or an integer past 4,300 digits
            return None
        _keep(stored, top, tables)
    return tuple(_rule(path, table, True) for path, table in zip(paths, tables, strict=True))


def _keep(stored: Path, top: Path, tables: list[dict[str, Any]]) -> None:
    """Write ``tables`` to ``stored`` (in the cache directory ``top``) unless JSON would not give
    them back as they are."""
    from pgconf_fix.cache import prepare, write_json

    try:
        if json.loads(json.dumps(tables)) != tables:
            return
        prepare(stored.parent, top)
        write_json(stored, tables)
    except (OSError, TypeError, ValueError):
        pass  # a memo that cannot be written: the next run parses again


def _load_dir(directory: Path, builtin: bool) -> tuple[Rule, ...]:
    if not directory.is_dir():
        raise CatalogError(f"{directory}: rules directory not found")
    return tuple(load_rule(path, builtin) for path in sorted(directory.glob("*.toml")))


def load_catalog(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Rule]:
    """The built-in rules and those of ``extra_dirs`` (user rules: data kinds only), by code.

    Parsed once per run: the command asks several times (options, selectors, the run), and
    a directory is parsed again only when its TOML files changed (names, sizes, mtimes).
    Raises CatalogError for an unreadable or invalid rule, or a code already taken.
    """
    return dict(_catalog(tuple((directory, _listing(directory)) for directory in extra_dirs)))


def _listing(directory: Path) -> tuple[tuple[str, int, int], ...] | None:
    try:
        entries = sorted(directory.resolve().glob("*.toml"))
        return tuple((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size) for entry in entries)
    except OSError:
        return None


@lru_cache(maxsize=8)
def _catalog(extra: tuple[tuple[Path, object], ...]) -> tuple[tuple[str, Rule], ...]:
    rules: dict[str, Rule] = {}
    for rule in _builtin_rules(builtin_rules_dir()):
        rules[rule.code] = rule
    for directory, _ in extra:
        for rule in _load_dir(directory.resolve(), False):
            if rule.code in rules:
                raise CatalogError(f"{rule.path}: code {rule.code} is already taken")
            rules[rule.code] = rule
    return tuple(sorted(rules.items()))
