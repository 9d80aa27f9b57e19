"""Write pgconf_fix/data/guc/pg9.<minor>.tsv from the guc.c of PostgreSQL 9.x releases.

No 9.x server runs here (the npm builds start at 10), so the 9.x catalogs come from each
release's ``src/backend/utils/misc/guc.c``: the ConfigureNames* tables give every parameter's
name, type, context, unit flag and, where written as plain numbers, its range. Entries under
the debugging macros a default build leaves undefined (LOCK_DEBUG, WAL_DEBUG, ...) are left out.

Usage::

    python scripts/generate_catalogs_9x.py 9.0.0=SRC 9.3.5=SRC 9.4.4=SRC 9.6.10=SRC

where SRC is a release's source tree (or its ``src/backend/utils/misc/guc.c`` alone, which gives
no enum values): the ``config_enum_entry`` arrays of every ``.c`` file give each enum's values,
the hidden ones (old spellings still accepted) apart.

Releases given a guc.c get a catalog from it. A release between two given ones (9.1 and 9.2
between 9.0 and 9.3, 9.5 between 9.4 and 9.6) gets a *derived* one: the names both neighbours
have, plus the names only one of them has, flagged ``uncertain`` (accepted, never reported),
unless FACTS.md measured the answer (:data:`MEASURED`). Such catalogs say ``derived`` in their
header.
"""

from __future__ import annotations

import bisect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "pgconf_fix" / "data" / "guc"
COLUMNS = ("name", "vartype", "unit", "min", "max", "context", "enumvals", "flags", "hidden_enumvals")
TABLES = {
    "ConfigureNamesBool": "bool",
    "ConfigureNamesInt": "integer",
    "ConfigureNamesReal": "real",
    "ConfigureNamesString": "string",
    "ConfigureNamesEnum": "enum",
}
# Macros a default build does not define: their parameters do not exist there.
UNDEFINED_MACROS = {"LOCK_DEBUG", "BTREE_BUILD_STATS", "WAL_DEBUG", "DEBUG_BOUNDED_SORT", "TRACE_SYNCSCAN", "OPTIMIZER_DEBUG"}
UNITS = {"MS": "ms", "S": "s", "MIN": "min", "KB": "kB", "BLOCKS": "8kB", "XBLOCKS": "8kB"}
CONTEXTS = {
    "INTERNAL": "internal", "POSTMASTER": "postmaster", "SIGHUP": "sighup", "BACKEND": "backend",
    "SU_BACKEND": "superuser-backend", "SUSET": "superuser", "USERSET": "user",
}  # fmt: skip
# The 9.6.10 source at hand is a TDE fork's import of the release: its guc.c adds this one.
FORK_ADDITIONS = {"encryption_library"}
# FACTS.md ("Verified on real software"): the last 9.x release that accepts a name.
MEASURED = {"unix_socket_directory": (9, 2), "checkpoint_segments": (9, 4)}
_ENTRY = re.compile(r'\{\s*"(?P<name>[A-Za-z0-9_]+)"\s*,\s*PGC_(?P<context>[A-Z_]+)')
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_OPTIONS_ARRAY = re.compile(r"config_enum_entry\s+(?P<array>\w+)\[\]\s*=\s*\{(?P<body>.*?)\n\};", re.S)
_OPTION = re.compile(r'\{\s*"(?P<value>[^"]+)"\s*,\s*[^,]+,\s*(?P<hidden>true|false)\s*\}')
_ENUM_OPTIONS = re.compile(r"&\w+\s*,\s*[^,]+,\s*(?P<array>\w+_options)\s*,")


def enum_arrays(sources: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """array name -> (listed values, hidden values) from the config_enum_entry arrays of C files."""
    arrays = {}
    for text in sources:
        for match in _OPTIONS_ARRAY.finditer(text):
            listed, hidden = [], []
            for option in _OPTION.finditer(match["body"]):
                (hidden if option["hidden"] == "true" else listed).append(option["value"])
            arrays[match["array"]] = (listed, hidden)
    return arrays


def parse_guc_c(text: str, arrays: dict[str, tuple[list[str], list[str]]]) -> dict[str, tuple[str, ...]]:
    """name -> (name, vartype, unit, min, max, context, enumvals, flags, hidden_enumvals) for a guc.c."""
    lines = text.splitlines(keepends=True)
    line_starts, offset = [], 0
    for line in lines:
        line_starts.append(offset)
        offset += len(line)
    # Which lines lie under an #ifdef of a macro a default build leaves undefined, and in which table.
    skipped, table_of = [], []
    stack: list[bool] = []
    vartype = None
    for line in lines:
        stripped = line.strip()
        table = re.match(r"static struct config_\w+ (ConfigureNames\w+)\[\]", stripped)
        if table:
            vartype = TABLES.get(table.group(1))
        words = stripped.split()
        if stripped.startswith("#if"):
            stack.append(stripped.startswith("#ifdef") and len(words) > 1 and words[1] in UNDEFINED_MACROS)
        elif stripped.startswith("#else") and stack:
            stack[-1] = False
        elif stripped.startswith("#endif") and stack:
            stack.pop()
        skipped.append(any(stack))
        table_of.append(vartype)
    starts = []
    for match in _ENTRY.finditer(text):
        index = bisect.bisect_right(line_starts, match.start()) - 1
        if table_of[index] and not skipped[index]:
            starts.append((match, table_of[index]))
    rows: dict[str, tuple[str, ...]] = {}
    for number, (match, kind) in enumerate(starts):
        end = starts[number + 1][0].start() if number + 1 < len(starts) else match.start() + 3000
        entry = text[match.start() : end]
        name = match["name"]
        unit = next((UNITS[u] for u in re.findall(r"GUC_UNIT_([A-Z]+)", entry) if u in UNITS), "")
        hidden = "GUC_NO_SHOW_ALL" in entry
        described = not re.search(r"GUC_NO_SHOW_ALL|GUC_NOT_IN_SAMPLE|GUC_DISALLOW_IN_FILE", entry)
        minimum = maximum = ""
        if kind in ("integer", "real"):
            after = entry.split("},", 1)[1] if "}," in entry else ""
            values = [part.strip() for part in re.sub(r"/\*.*?\*/", "", after, flags=re.S).split(",")]
            if len(values) >= 4:
                low, high = values[2], values[3]
                minimum = low if _NUMBER.match(low) else ("2147483647" if low == "INT_MAX" else "")
                maximum = high if _NUMBER.match(high) else ("2147483647" if high == "INT_MAX" else "")
        flags = ",".join(flag for flag, on in (("described", described), ("hidden", hidden)) if on)
        if hidden:
            kind = ""  # as pg_settings, which does not show it; unit and range stay (PGF104 reads the range)
        if name in FORK_ADDITIONS:
            continue
        listed, hidden_values = [], []
        if kind == "enum":
            options = _ENUM_OPTIONS.search(entry)
            listed, hidden_values = arrays.get(options["array"], ([], [])) if options else ([], [])
        context = CONTEXTS.get(match["context"], "")
        rows[name.lower()] = (
            name, kind, unit, minimum, maximum, context, ",".join(listed), flags, ",".join(hidden_values)
        )  # fmt: skip
    # Old names the server maps to new ones (guc.c map_old_guc_names): accepted in a file too.
    table = re.search(r"map_old_guc_names\[\]\s*=\s*\{(.*?)\};", text, re.S)
    if table:
        for alias in re.findall(r'"([a-z_]+)"\s*,\s*"[a-z_]+"', table.group(1)):
            rows.setdefault(alias, (alias, "", "", "", "", "", "", "hidden", ""))
    return rows


def write(major: str, release: str, rows: dict[str, tuple[str, ...]], origin: str) -> None:
    lines = [
        f"# PostgreSQL {release}: {origin}",
        "# Generated by scripts/generate_catalogs_9x.py; do not edit. Ranges only where guc.c writes plain "
        "numbers. hidden_enumvals: old spellings the server still accepts.",
        "\t".join(COLUMNS),
    ]
    lines += ["\t".join(row) for _, row in sorted(rows.items())]
    target = DATA / f"pg{major}.tsv"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{target.relative_to(ROOT)}: {len(rows)} parameters")


def derive(minor: int, older: tuple[int, dict], newer: tuple[int, dict]) -> dict[str, tuple[str, ...]]:
    """A release between two parsed ones: what both have, and what one has flagged uncertain."""
    rows = {}
    for key in older[1].keys() | newer[1].keys():
        in_both = key in older[1] and key in newer[1]
        row = newer[1].get(key) or older[1][key]
        last = MEASURED.get(key)
        if last is not None and not in_both:
            if (9, minor) > last:
                continue
            rows[key] = row
            continue
        if not in_both:
            flags = ",".join(filter(None, (row[7], "uncertain")))
            row = (*row[:7], flags, row[8])
        rows[key] = row
    return rows


def main(argv: list[str]) -> int:
    parsed: dict[int, dict] = {}
    releases: dict[int, str] = {}
    for arg in argv:
        version, _, path = arg.partition("=")
        source = Path(path)
        if source.is_dir():
            files = sorted(source.rglob("*.c"))
            guc_c = next(file for file in files if file.as_posix().endswith("utils/misc/guc.c"))
        else:
            files, guc_c = [source], source
        texts = [file.read_text(encoding="utf-8", errors="replace") for file in files]
        minor = int(version.split(".")[1])
        parsed[minor] = parse_guc_c(guc_c.read_text(encoding="utf-8", errors="replace"), enum_arrays(texts))
        releases[minor] = version
        write(f"9.{minor}", version, parsed[minor], "guc.c of the release source.")
    known = sorted(parsed)
    for minor in range(0, 7):
        if minor in parsed:
            continue
        older = max((m for m in known if m < minor), default=None)
        newer = min((m for m in known if m > minor), default=None)
        if older is None or newer is None:
            continue
        rows = derive(minor, (older, parsed[older]), (newer, parsed[newer]))
        write(
            f"9.{minor}",
            f"9.{minor}",
            rows,
            f"derived from guc.c of {releases[older]} and {releases[newer]} (no source of 9.{minor} at hand): "
            "names only one of them has are flagged uncertain.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
