"""The rule catalog: one TOML file a rule, in rules/ (shipped inside the wheel)."""

from __future__ import annotations

import tomllib
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


@dataclass(frozen=True)
class Rule:
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
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read{what}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # arrays or inline tables nested some thousands deep
        raise error(f"{path}: invalid TOML: nested too deeply for Python's TOML parser") from None


def load_rule(path: Path, builtin: bool = True) -> Rule:
    data = read_toml(path, CatalogError, " rule")
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
    return _load_dir(directory, True)


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
