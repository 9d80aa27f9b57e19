"""Fixes that are each fine but clash together: the patcher keeps them one by one, in finding
order, while the file stays one its consumer accepts, and defers the rest to the next round.

Two edits that each add ``pool_pre_ping=`` to one call compile alone; together CPython refuses
the module ("keyword argument repeated"), which the Python verifier finds by compiling it. The
findings are made by hand so that the clash is certain; the verifier, the compiler and the
patcher are the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix.findings import SAFE, Edit, Finding, Fix, Location
from pgconf_fix.patcher import apply_round
from pgconf_fix.source import SourceFile

MODULE = (
    "from sqlalchemy import create_engine\n"
    "\n"
    'engine = create_engine("postgresql://app@db.example.com/app", echo=False)\n'
    'other = create_engine("postgresql://app@db2.example.com/app")\n'
)
FIXED = (
    "from sqlalchemy import create_engine\n"
    "\n"
    'engine = create_engine("postgresql://app@db.example.com/app", pool_pre_ping=True, echo=False)\n'
    'other = create_engine("postgresql://app@db2.example.com/app", pool_pre_ping=True)\n'
)


def _finding(source: SourceFile, offset: int, content: str) -> Finding:
    edit = Edit(source, offset, offset, content)
    return Finding(
        code="PGF501",
        name="pool-pre-ping",
        severity="warning",
        message="made by hand",
        location=Location(source, offset, offset),
        url="https://example.invalid/PGF501",
        fix=Fix(SAFE, "add pool_pre_ping", (edit,)),
    )


def _module(directory: Path, name: str) -> SourceFile:
    path = directory / name
    path.write_text(MODULE)
    return SourceFile.from_bytes(path, name, MODULE.encode())


def test_clashing_fixes_are_kept_in_order_and_the_rest_deferred(tmp_path: Path) -> None:
    after_url = MODULE.index('app", echo') + len('app"')
    first_close = MODULE.index(")\n", after_url)
    second_close = MODULE.index(")\n", MODULE.index("other ="))
    sources = [_module(tmp_path, name) for name in ("a.py", "b.py")]
    findings = []
    for source in sources:
        findings += [
            _finding(source, after_url, ", pool_pre_ping=True"),
            _finding(source, first_close, ", pool_pre_ping=True"),  # the same keyword twice with the first
            _finding(source, second_close, ", pool_pre_ping=True"),  # another call: no clash
        ]
    # Each fix alone compiles; all three together do not.
    for finding in findings[:3]:
        edit = finding.fix.edits[0]
        compile(MODULE[: edit.start] + edit.content + MODULE[edit.start :], "<one fix>", "exec")
    together = MODULE[:after_url] + ", pool_pre_ping=True" + MODULE[after_url:first_close] + ", pool_pre_ping=True" + MODULE[first_close:]
    with pytest.raises(SyntaxError, match="repeated"):
        compile(together, "<both>", "exec")

    results, applied, kept = apply_round(findings, unsafe=False)

    assert {path: text for path, (_, text) in results.items()} == {source.path: FIXED for source in sources}
    assert applied == [findings[0], findings[2], findings[3], findings[5]]
    for source in sources:
        assert [edit.start for edit in kept[source.path]] == [after_url, second_close]
