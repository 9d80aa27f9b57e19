"""The rule catalog: one TOML file a rule, in rules/ (shipped inside the wheel)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DOCS_URL = "https://github.com/pgconf-fix/pgconf-fix/blob/main/docs/rules.md"
SEVERITIES = ("error", "warning", "info")
LAYERS = ("any", "server", "kernel", "network", "client", "pool", "pgbouncer")
DATA_KINDS = ("threshold", "forbidden", "required", "absent")
KINDS = (*DATA_KINDS, "parse-error", "suppression", "python", "input-error")
# Options every rule may refer to by name, with their defaults.
GLOBAL_PARAMETERS = {"idle_budget": 300}


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


def load_rule(path: Path, builtin: bool = True) -> Rule:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read rule: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: invalid TOML: {exc}") from None
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise CatalogError(f"{path}: rule lacks {', '.join(missing)}")
    check = data["check"]
    if not isinstance(check, dict) or check.get("kind") not in KINDS:
        raise CatalogError(f"{path}: [check] kind must be one of {', '.join(KINDS)}")
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
        options=data.get("options", "").strip(),
        path=path,
        builtin=builtin,
    )


def _check_bounds(path: Path, check: dict[str, Any], parameters: dict[str, Any]) -> None:
    """[check] minimum/maximum: an integer, or the name of an integer parameter; fix: a value
    or the name of a parameter. A CatalogError names the field, else a run fails mid-way."""
    for key in ("minimum", "maximum", "fix"):
        if key not in check:
            continue
        value = check[key]
        if isinstance(value, str):
            if value not in parameters and value not in GLOBAL_PARAMETERS:
                raise CatalogError(f"{path}: [check] {key} = {value!r} names no parameter (see [parameters])")
            value = parameters.get(value, GLOBAL_PARAMETERS.get(value))
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
    rules: dict[str, Rule] = {}
    for rule in _builtin_rules(builtin_rules_dir()):
        rules[rule.code] = rule
    for directory in extra_dirs:
        for rule in _load_dir(directory.resolve(), False):
            if rule.code in rules:
                raise CatalogError(f"{rule.path}: code {rule.code} is already taken")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))
