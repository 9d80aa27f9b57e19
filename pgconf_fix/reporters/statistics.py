"""``--statistics``: how many findings each rule has, and how many of them ``--write`` fixes."""

from __future__ import annotations

import json
from collections import Counter

from pgconf_fix.findings import Finding, Fixable

BOLD, RESET = "\033[1m", "\033[0m"


def counts(findings: list[Finding], fixable: Fixable | None) -> list[dict[str, object]]:
    """Per rule, most findings first, the shape of ruff's ``--statistics --output-format json``
    rows (ruff 0.17.6): ``code``, ``name``, ``count``, ``fixable_count`` (how many the patcher
    fixes with this run's flags, from ``fixable``; 0 without it) and ``fixable`` (true when it
    fixes every one of them, as ruff's)."""
    total = Counter(finding.code for finding in findings)
    fixed: Counter[str] = Counter()
    names = {finding.code: finding.name for finding in findings}
    for finding in findings:
        if fixable is not None and fixable.shows(finding) is False:
            fixed[finding.code] += 1
    ordered = sorted(total, key=lambda code: (-total[code], code))
    return [_row(code, names[code], total[code], fixed[code]) for code in ordered]


def _row(code: str, name: str, count: int, fixed: int) -> dict[str, object]:
    return {"code": code, "name": name, "count": count, "fixable": 0 < fixed == count, "fixable_count": fixed}


# Input errors have a row of their own, as ruff counts its io-error (E902): in JSON they are
# the items of code PGF000 the findings' array holds (reporters.json).
INPUT_ERROR = ("PGF000", "input-error")


def render(
    findings: list[Finding], fixable: Fixable | None, as_json: bool = False, colour: bool = False, errors: int = 0
) -> str:
    """The table (or JSON rows, ``counts``), most findings first; ``errors`` input errors are a
    PGF000 row among them. The table marks a rule ``[*]`` when ``--write`` fixes all its
    findings, ``[-]`` when it fixes some, ``[ ]`` when none, as ruff's does."""
    rows = counts(findings, fixable)
    if errors:
        rows.append(_row(*INPUT_ERROR, errors, 0))
        rows.sort(key=lambda row: (-int(row["count"]), str(row["code"])))
    if as_json:
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "All checks passed!\n"
    width = max(len(str(row["count"])) for row in rows)
    lines = []
    for row in rows:
        code = f"{BOLD}{row['code']}{RESET}" if colour else str(row["code"])
        mark = "[*]" if row["fixable"] else "[-]" if row["fixable_count"] else "[ ]"
        lines.append(f"{row['count']:>{width}}\t{code}\t{mark} {row['name']}")
    return "\n".join(lines) + "\n"
