"""[tool.pgconf-fix] in pyproject.toml, or .pgconf-fix.toml: found, read and validated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pgconf_fix.budget import Budget
from pgconf_fix.catalog import CatalogError, Rule, load_catalog, read_toml, toml_key, toml_key_line, toml_type, toml_value
from pgconf_fix.options import Options, specificity
from pgconf_fix.versions import PgVersion, given_version

CONFIG_NAMES = (".pgconf-fix.toml", "pyproject.toml")
_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_KNOWN_KEYS = {
    *_LIST_KEYS, "pg-version", "idle-budget", "rules-dir", "max-file-size", "per-file-ignores", "rule", "force-exclude"
}


class ConfigError(Exception):
    pass


def _table(path: Path) -> dict[str, Any] | None:
    """The pgconf-fix table of a config file, or None when a pyproject.toml has none."""
    data = read_toml(path, ConfigError)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, not {toml_type(tool)}")
    table = tool.get("pgconf-fix") if path.name == "pyproject.toml" else tool.get("pgconf-fix", data)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pgconf-fix] must be a table, not {toml_value(table)}")
    return table


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config: in each directory from ``start`` up, .pgconf-fix.toml before pyproject.toml."""
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                table = _table(candidate)
                if table is not None:
                    return candidate, table
    return None


def load_config(explicit: Path | None, start: Path) -> tuple[Path | None, dict[str, Any]]:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return explicit, _table(explicit) or {}
    found = find_config(start)
    return found if found else (None, {})


def _strings(path: Path | str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: '{key}' must be an array of strings, not {toml_value(value)}")
    return tuple(value)


def _positive_int(path: Path | str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{path}: '{key}' must be a positive integer, not {toml_value(value)}")
    return value


def normalise_selectors(selectors: tuple[str, ...], catalog: dict[str, Rule]) -> tuple[str, ...]:
    """Selectors as the catalog spells them: codes and prefixes are case-insensitive
    (``pgf401`` is PGF401), rule names lower case, ``ALL`` in any case."""
    names = {rule.name for rule in catalog.values()}
    return tuple(item.lower() if item.lower() in names else item.upper() for item in selectors)


def known_major(version: PgVersion) -> bool:
    """Whether pgconf-fix has the parameter catalog of ``version``'s major (``pgconf_fix/data/guc``,
    generated from the real servers of 10-18 and the guc.c of 9.0-9.6): the majors a user may name."""
    from pgconf_fix.guc_catalog import supported_versions

    return version in supported_versions()


def accepted_majors() -> str:
    """The majors a user may name, as the messages refusing another one say it."""
    from pgconf_fix.guc_catalog import span, supported_versions

    return f"give one of {span(supported_versions())} (before 10 with its minor, like 9.6)"


def check_selectors(selectors: tuple[str, ...], catalog: dict[str, Rule], origin: str) -> None:
    """ConfigError (``origin`` names where the selectors come from) for a selector that names no
    rule: an empty one too, which as a prefix would match every code (ruff refuses it as well)."""
    names = {rule.name for rule in catalog.values()}
    for selector in selectors:
        if not selector.strip():
            raise ConfigError(f"{origin}: empty rule selector {selector!r}; give codes or prefixes such as PGF1 or ALL")
        if selector == "ALL" or selector in names:
            continue
        if not any(code.startswith(selector) for code in catalog):
            raise ConfigError(f"{origin}: unknown rule selector '{selector}'")


def key_line(path: Path | None, key: str | None, table: tuple[str, ...] = ()) -> int | None:
    """The line (1-based) of the config file ``path`` where ``key`` is written in the pgconf-fix
    table's sub-table ``table`` (``()``: the pgconf-fix table itself, ``("rule", "PGF101")``:
    ``[tool.pgconf-fix.rule.PGF101]``), or, with ``key`` None, that sub-table's header. The
    pgconf-fix table is ``[tool.pgconf-fix]``, and in a .pgconf-fix.toml also the top of the
    file. None when it cannot be told (no file, a dotted key, an inline table)."""
    if path is None:
        return None
    tables = [("tool", "pgconf-fix", *table)]
    if path.name != "pyproject.toml":
        tables.append(table)  # a .pgconf-fix.toml's keys start at the top
    return toml_key_line(path, key, tables)


def _at(where: Path, path: Path | None, *places: tuple[str | None, tuple[str, ...]]) -> str:
    """``where``, followed by the line of the first of ``places`` (``key_line``'s key and table)
    that is written in the file: the place of a mistake, else of what holds it."""
    for key, table in places:
        line = key_line(path, key, table)
        if line is not None:
            return f"{where}:{line}"
    return str(where)


def options_from_config(path: Path | None, table: dict[str, Any]) -> Options:
    """Turn a config table into Options; every mistake is a ConfigError naming the file, the
    line when it can be told (``key_line``), and the key."""
    where = path or Path("<config>")

    def at(key: str) -> str:
        return _at(where, path, (key, ()))
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        place = _at(where, path, *((key, ()) for key in unknown), *((None, (key,)) for key in unknown))
        raise ConfigError(f"{place}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    base = where.parent if path else Path.cwd()
    options = Options()
    values: dict[str, Any] = {}
    if "select" in table:
        values["select"] = _strings(at("select"), "select", table["select"])
        if not values["select"]:
            # ruff takes [] as no rule at all, and checks nothing; --select "" is refused, and so is this.
            raise ConfigError(f"{at('select')}: 'select = []' selects no rule; give codes or prefixes such as "
                              "PGF1 or ALL, or remove the key for the default rules")
    for key in ("ignore", "extend-select"):
        if key in table:
            values[key.replace("-", "_")] = _strings(at(key), key, table[key])
    exclude = _strings(at("exclude"), "exclude", table.get("exclude", [])) + _strings(
        at("extend-exclude"), "extend-exclude", table.get("extend-exclude", [])
    )
    values["exclude"] = exclude
    if "pg-version" in table:
        given = table["pg-version"]
        version = given_version(str(given)) if isinstance(given, (str, int, float)) and not isinstance(given, bool) else None
        if version is None:
            raise ConfigError(f"{at('pg-version')}: 'pg-version' must look like 13 or 9.4, not {toml_value(given)}")
        if not known_major(version):
            raise ConfigError(f"{at('pg-version')}: 'pg-version' = {toml_value(given)} is not a major pgconf-fix knows; {accepted_majors()}")
        values["pg_version"] = version
    if "idle-budget" in table:
        seconds = _positive_int(at("idle-budget"), "idle-budget", table["idle-budget"])
        values["budget"] = Budget(seconds, f"idle-budget in {where.name}")
    if path is not None:
        values["config_dir"] = path.parent.absolute()
    if "force-exclude" in table:
        if not isinstance(table["force-exclude"], bool):
            raise ConfigError(f"{at('force-exclude')}: 'force-exclude' must be true or false, not {toml_value(table['force-exclude'])}")
        values["force_exclude"] = table["force-exclude"]
    if "max-file-size" in table:
        values["max_file_size"] = _positive_int(at("max-file-size"), "max-file-size", table["max-file-size"])
    if "rules-dir" in table:
        values["rules_dirs"] = tuple((base / item).resolve() for item in _strings(at("rules-dir"), "rules-dir", table["rules-dir"]))
    options = replace(options, **values)
    try:
        catalog = load_catalog(options.rules_dirs)
    except CatalogError as exc:
        # The rules directory, or a rule in it, is wrong: say which config and key named it.
        raise ConfigError(f"{at('rules-dir')}: 'rules-dir': {exc}" if "rules-dir" in table else str(exc)) from None
    values = {}
    for key in ("select", "ignore", "extend_select"):
        selectors = getattr(options, key)
        if selectors is not None:
            values[key] = normalise_selectors(selectors, catalog)
            check_selectors(values[key], catalog, f"{at(key.replace('_', '-'))}: '{key.replace('_', '-')}'")
    options = replace(options, **values)
    rule_parameters = _rule_parameters(where, path, table.get("rule", {}), catalog)
    per_file = table.get("per-file-ignores", {})
    whole = ("per-file-ignores", ()), (None, ("per-file-ignores",))  # an inline table, or its own
    if not isinstance(per_file, dict):
        raise ConfigError(f"{_at(where, path, *whole)}: 'per-file-ignores' must be a table of glob = [codes], "
                          f"not {toml_value(per_file)}")
    per_file_ignores = {}
    for pattern, codes in per_file.items():
        place = _at(where, path, (pattern, ("per-file-ignores",)), *whole)
        selectors = normalise_selectors(_strings(place, f"per-file-ignores.{toml_key(pattern)}", codes), catalog)
        check_selectors(selectors, catalog, f"{place}: 'per-file-ignores'")
        # As ruff's per-file-ignores: every rule a selector matches is ignored there, whatever
        # selects it (a rule's name too: it was accepted above and matched nothing).
        per_file_ignores[pattern] = tuple(
            rule.code for rule in catalog.values() if any(specificity(s, rule) is not None for s in selectors)
        )
    return replace(options, rule_parameters=rule_parameters, per_file_ignores=per_file_ignores)


def _rule_parameters(where: Path, path: Path | None, tables: Any, catalog: dict[str, Rule]) -> dict[str, dict[str, Any]]:
    """The [rule.<code or name>] tables: each rule's parameters, checked against its defaults'
    types; a ConfigError names the file and the line of the mistake where it can be told."""
    if not isinstance(tables, dict):
        raise ConfigError(f"{_at(where, path, ('rule', ()))}: [rule] must be a table of rule tables, "
                          "like [tool.pgconf-fix.rule.PGF101]")
    by_name = {rule.name: rule for rule in catalog.values()}
    result: dict[str, dict[str, Any]] = {}
    for key, parameters in tables.items():
        own = (None, ("rule", key)), (key, ("rule",)), ("rule", ())
        rule = catalog.get(key.upper()) or by_name.get(key.lower())
        if rule is None:
            raise ConfigError(f"{_at(where, path, *own)}: [rule.{toml_key(key)}]: no such rule")
        if not isinstance(parameters, dict):
            raise ConfigError(f"{_at(where, path, *own)}: [rule.{toml_key(key)}] must be a table, not {toml_value(parameters)}")
        for name, value in parameters.items():
            place = _at(where, path, (name, ("rule", key)), *own)
            if name not in rule.parameters:
                known = ", ".join(rule.parameters) or "none"
                raise ConfigError(f"{place}: [rule.{toml_key(key)}]: unknown parameter '{name}' (known: {known})")
            expected = type(rule.parameters[name])
            if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
                raise ConfigError(
                    f"{place}: [rule.{toml_key(key)}]: '{name}' must be {toml_type(expected())}, not {toml_value(value)}"
                )
            if expected is int and value <= 0:
                raise ConfigError(f"{place}: [rule.{toml_key(key)}]: '{name}' must be positive, not {value}")
        result[rule.code] = dict(parameters)
    return result
