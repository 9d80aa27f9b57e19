"""The rule catalog: one TOML file a rule, in rules/ (shipped inside the wheel)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pgconf_fix.budget import DEFAULT_SECONDS

DOCS_URL = "https://github.com/pgconf-fix/pgconf-fix/blob/main/docs/rules.md"
SEVERITIES = ("error", "warning", "info")
LAYERS = ("any", "server", "kernel", "network", "client", "pool", "pgbouncer")
DATA_KINDS = ("threshold", "forbidden", "required", "absent")
KINDS = (*DATA_KINDS, "parse-error", "suppression", "python", "input-error", "not-checked")


class CatalogError(Exception):
    pass


# The built-in rules' TOML, parsed ahead of time: written by ``python -m pgconf_fix.docs`` into
# rules/ (so the wheel ships it) and used while the digest it holds is the digest of the TOML
# files beside it. tomllib's import and the parse of the 32 files were ~30 ms of a one-file run
# (issue 18); reading the files and this JSON, ~2 ms.
PARSED_NAME = "parsed.json"


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
# The types of a rule file's other fields, by TOML's names: a wrong one was a traceback
# (summary = 5: 'int' object has no attribute 'strip') or a rule that could never be selected.
_STRINGS = ("code", "name", "layer", "severity", "summary", "why", "fix_safety", "options")
_CHECK_STRINGS = ("setting", "unit", "message", "unset_means", "zero_means", "negative_means", "maximum_name",
                  "requires_parameter", "fix_applicability")
# A user rule's code as ruff writes one (letters, then digits), so that the case-insensitive
# selectors, which are upper-cased, can name it and ALL is not a code; its name as a selector
# can name it too: lower case, no comma or space.
_USER_CODE = re.compile(r"[A-Z]+[0-9]+")
_USER_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def _check_types(path: Path, data: dict[str, Any], builtin: bool) -> None:
    """CatalogError naming the field, and its line, when a rule's field has the wrong TOML
    type or form."""

    def wrong(key: str, table: str, problem: str) -> CatalogError:
        line = toml_key_line(path, key, [(table,)] if table else [()])
        return CatalogError(f"{path}{f':{line}' if line else ''}: {f'[{table}] ' if table else ''}{key} {problem}")

    for key in _STRINGS:
        if key in data and not isinstance(data[key], str):
            raise wrong(key, "", f"must be a string, not {toml_value(data[key])}")
    for key, kind in (("enabled", bool), ("references", list), ("example", dict), ("parameters", dict)):
        if key in data and not isinstance(data[key], kind):
            raise wrong(key, "", f"must be {toml_type(kind())}, not {toml_value(data[key])}")
    if not all(isinstance(item, str) for item in data.get("references", ())):
        raise wrong("references", "", f"must be an array of strings, not {toml_value(data['references'])}")
    for key, value in data.get("example", {}).items():
        if not isinstance(value, str):
            raise wrong(key, "example", f"must be a string, not {toml_value(value)}")
    check = data["check"]
    for key in _CHECK_STRINGS:
        if key in check and not isinstance(check[key], str):
            raise wrong(key, "check", f"must be a string, not {toml_value(check[key])}")
    if check.get("fix_applicability", "safe") not in ("safe", "unsafe"):
        raise wrong("fix_applicability", "check", f'must be "safe" or "unsafe", not {toml_value(check["fix_applicability"])}')
    if "values" in check and not isinstance(check["values"], list):
        raise wrong("values", "check", f"must be an array, not {toml_value(check['values'])}")
    if not builtin and not _USER_CODE.fullmatch(data["code"]):
        raise wrong("code", "", f"{toml_value(data['code'])} must be capital letters then digits, like ACME001")
    if not builtin and not _USER_NAME.fullmatch(data["name"]):
        raise wrong("name", "", f"{toml_value(data['name'])} must be lower case words joined by '-', like statement-timeout-set")


def read_toml(path: Path, error: type[Exception], what: str = "") -> dict[str, Any]:
    """A TOML file's table; ``error("<path>: cannot read<what>: ...")`` or ``error("<path>:
    invalid TOML: ...")`` when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read{what}: {exc}") from None
    return toml_table(path, text, error)


def toml_table(path: Path, text: str, error: type[Exception]) -> dict[str, Any]:
    """The table of ``text``, the TOML file ``path`` already read; ``error("<path>: invalid
    TOML: ...")`` when it does not parse."""
    import tomllib  # here: a run whose built-in rules come from PARSED_NAME never loads it

    try:
        return tomllib.loads(text)
    except ValueError as exc:
        # TOMLDecodeError, or ValueError from an integer past Python's 4,300-digit conversion
        # limit, which tomllib lets through (TOML allows 64-bit integers only)
        message, where = toml_located(exc, text)
        raise error(f"{path}{where}: invalid TOML: {message}") from None
    except RecursionError:  # arrays or inline tables nested some thousands deep
        raise error(f"{path}: invalid TOML: nested too deeply for Python's TOML parser") from None


def toml_value(value: Any) -> str:
    """``value`` (as tomllib gives it) written as it is written in TOML, for messages about a
    TOML file: ``true``, ``"a"``, ``["a", 1]``, ``{ a = 1 }``, ``2024-01-01``; Python's
    ``True``, ``'a'`` and ``datetime.date(2024, 1, 1)`` are not what the user wrote."""
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    if hasattr(value, "isoformat"):  # date, time, datetime
        return value.isoformat()
    return str(value)


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_type(value: Any) -> str:
    """The TOML name of ``value``'s type, with its article: "a string", "an array", "a table"..."""
    import datetime

    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "a string"), (int, "an integer"), (float, "a float"), (list, "an array"), (dict, "a table"),
                       (datetime.datetime, "a date-time"), (datetime.date, "a date"), (datetime.time, "a time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


_HEADER = re.compile(r"^[ \t]*\[(?!\[)(.*?)\][ \t]*(?:#.*)?$")
_KEY_PART = re.compile(r"\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|[^.\"' \t]+")


def toml_key_line(path: Path, key: str | None, tables: list[tuple[str, ...]]) -> int | None:
    """The line (1-based) of the TOML file ``path`` where ``key`` is written in one of the
    ``tables`` (each the keys of a header, ``("tool", "pgconf-fix")`` for
    ``[tool.pgconf-fix]``; ``()`` is the top of the file, before any header), or, with ``key``
    None, the line of such a header. None when it cannot be told (an unreadable file, a dotted
    key, an inline table): messages then name the file alone."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    inside = () in tables
    written = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=") if key is not None else None
    for number, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header:
            parts = tuple(part[1:-1] if part[:1] in "\"'" else part for part in _KEY_PART.findall(header.group(1)))
            inside = parts in tables
            if inside and written is None:
                return number
        elif inside and written is not None and written.match(line):
            return number
    return None


def toml_located(exc: ValueError, text: str) -> tuple[str, str]:
    """``toml_message`` of ``exc`` and where it is, as ``":line:column"`` (1-based) to follow
    a path, or "" when it names no place. tomllib's messages end "(at line L, column C)", or
    "(at end of document)" for an error at the end, which is put as Python 3.14's
    TOMLDecodeError puts its ``pos``: the line and column of the end of the text."""
    message = toml_message(exc, text)
    located = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.DOTALL)
    if located:
        return located.group(1), f":{located.group(2)}:{located.group(3)}"
    if message.endswith(" (at end of document)"):
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        return message.removesuffix(" (at end of document)") + " at the end of the file", f":{line}:{column}"
    return message, ""


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
    _check_types(path, data, builtin)
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
                raise CatalogError(f"{path}: [check] {key} = {toml_value(value)} names no parameter (see [parameters])")
            value = parameters.get(value, RUN_PARAMETERS.get(value))
            where = f"[parameters] {check[key]}, used as [check] {key},"
        else:
            where = f"[check] {key}"
        if key != "fix" and (isinstance(value, bool) or not isinstance(value, int)):
            raise CatalogError(f"{path}: {where} must be an integer, not {toml_value(value)}")


def builtin_rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


@lru_cache(maxsize=1)
def _builtin_rules(directory: Path) -> tuple[Rule, ...]:
    shipped = _shipped_rules(directory)
    return shipped if shipped is not None else _load_dir(directory, True)


def _toml_texts(directory: Path) -> list[tuple[str, str]] | None:
    """(file name, text) of each ``*.toml`` of ``directory``, by name; None when one cannot be read."""
    try:
        return [(path.name, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.toml"))]
    except (OSError, UnicodeDecodeError):
        return None


def rules_digest(texts: list[tuple[str, str]]) -> str:
    """A digest of the rule files' names and texts, in order: what ``PARSED_NAME`` holds the
    parse of. CRC-32 with the total length (zlib, 0.4 ms to import; hashlib loads OpenSSL, 4-5
    ms): it tells a parse from a stale one after an edit; it guards nothing, since whoever can
    edit the rule files can edit the parse too."""
    import zlib

    crc, size = 0, 0
    for name, text in texts:
        for part in (name, text):
            data = part.encode("utf-8", "surrogatepass")
            crc = zlib.crc32(b"%d:" % len(data) + data, crc)
            size += len(data)
    return f"crc32:{crc:08x}:{size}"


def parsed_rules(directory: Path) -> str:
    """The text of ``directory``/``PARSED_NAME``: the TOML table of each rule file there, by file
    name, and the digest of their names and texts (``rules_digest``). Raises CatalogError for a
    file that cannot be read or parsed, or whose table JSON would not give back as it is (a
    TOML date or time)."""
    texts = _toml_texts(directory)
    if texts is None:
        raise CatalogError(f"{directory}: a rule file cannot be read")
    tables = {}
    for name, text in texts:
        # The text the digest covers, not the file read again: both come from the same bytes.
        tables[name] = toml_table(directory / name, text, CatalogError)
        if json.loads(json.dumps(tables[name], default=str)) != tables[name]:
            raise CatalogError(f"{directory / name}: holds a value JSON cannot keep (a TOML date or time)")
    document = {
        "generated_by": "python -m pgconf_fix.docs (from the *.toml files here; do not edit)",
        "digest": rules_digest(texts),
        "rules": tables,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _shipped_rules(directory: Path) -> tuple[Rule, ...] | None:
    """The rules of ``directory`` from its ``PARSED_NAME``, validated by ``_rule`` as a parsed
    file is (the same Rule objects either way); None when it is absent, damaged, or not the
    parse of the TOML files there now (``_load_dir`` then parses them, and raises what a parse
    raises)."""
    texts = _toml_texts(directory)
    if texts is None:
        return None
    try:
        document = json.loads((directory / PARSED_NAME).read_bytes())
        tables = document["rules"]
        if document["digest"] != rules_digest(texts) or sorted(tables) != [name for name, _ in texts]:
            return None
        return tuple(_rule(directory / name, tables[name], True) for name, _ in texts)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, CatalogError):
        return None


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
