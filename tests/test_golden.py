"""tests/golden.py records every output mode of a case and finds a one-byte difference."""

from __future__ import annotations

from pathlib import Path

from tests import golden

CASE = "server/auto-conf-overrides"


def test_record_covers_every_mode_and_compare_sees_a_change(tmp_path: Path, capsys) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    golden.record(first, golden.REPO, only=CASE)
    golden.record(second, golden.REPO, only=CASE)
    recorded = sorted(path.name for path in (first / CASE).iterdir())
    assert recorded == sorted(f"{mode}.txt" for mode in golden.MODES)
    write = (first / CASE / "write.txt").read_bytes()
    assert write.startswith(b"exit: ") and b"--- tree\n== postgresql.auto.conf 0o644\n" in write
    assert (first / "_rules" / "PGF101.txt").read_text().count("PGF101") >= 1
    assert golden.compare(first, second) == 0

    changed = second / CASE / "diff.txt"
    changed.write_bytes(changed.read_bytes().replace(b"+tcp_keepalives_idle = '60'", b"+tcp_keepalives_idle = '61'", 1))
    assert golden.compare(first, second) == 1
    assert "+tcp_keepalives_idle = '61'" in capsys.readouterr().out
