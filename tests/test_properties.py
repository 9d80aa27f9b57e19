"""Property tests: lossless parsing, idempotent fixes, and the edit applier."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgconf_fix.documents.pgconf import PgConfDocument
from pgconf_fix.documents.sysctl import SysctlDocument
from pgconf_fix.edits import apply_edits
from pgconf_fix.findings import Edit
from pgconf_fix.source import SourceFile
from tests.cli_runner import run_cli, tree

# PGCONF_FIX_PROPERTY_SCALE=20 runs twenty times as many examples (a deeper, slower search).
SCALE = max(1, int(os.environ.get("PGCONF_FIX_PROPERTY_SCALE", "1")))
FAST = settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generators ---------------------------------------------------------------------

ENDINGS = st.sampled_from(["\n", "\r\n", "\r", "\n", "\r\n"])
BLANK = st.text(alphabet=" \t", max_size=3)

PG_NAMES = st.sampled_from(
    [
        "tcp_keepalives_idle",
        "TCP_KEEPALIVES_IDLE",
        "tcp_keepalives_interval",
        "Tcp_Keepalives_Interval",
        "tcp_keepalives_count",
        "ssl_renegotiation_limit",
        "listen_addresses",
        "max_connections",
        "shared_buffers",
        "work_mem",
        "log_line_prefix",
        "tcp_user_timeout",
        "custom.setting",
        "tcp_keepalive_idle",  # a typo the server refuses
        "no_such_parameter",
    ]
)
PG_VALUES = st.one_of(
    st.sampled_from(["0", "1", "10", "60", "300", "7200", "-1", "10s", "1min", "500ms", "2h", "1kB", "0x10", "1.5",
                     "abc", "on", "off", "*", "''", "'0'", "'60'", "'10s'", "'it''s'", "'a\\'b'", "'\\\\'",
                     "'%m [%p] '", "'x\\ny'", "'unterminated"]),
    st.integers(-5, 10000).map(str),
    st.text(alphabet="0123456789abcdefghms'\\.-", min_size=1, max_size=6),
)
COMMENTS = st.one_of(
    st.just(""),
    st.sampled_from(["# note", "#", "# (change requires restart)", "# caf\u00e9 \u2603", "#\tx = 'y'"]),
)


@st.composite
def pgconf_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["setting", "setting", "setting", "commented", "comment", "blank", "include", "junk"]))
    if kind == "blank":
        return draw(BLANK)
    if kind == "comment":
        return draw(BLANK) + draw(COMMENTS.filter(bool))
    if kind == "junk":
        return draw(st.sampled_from(["= 5", "name =", "a b c", "'quoted' = 1", "x = 1 2", "\ufeffport = 5432", "@"]))
    if kind == "include":
        directive = draw(st.sampled_from(["include", "include_if_exists", "include_dir"]))
        targets = ["extra.conf", "extra.conf", "conf.d", "missing.conf", "postgresql.conf", ""]
        return f"{directive} '{draw(st.sampled_from(targets))}'"
    name = draw(PG_NAMES)
    equals = draw(st.sampled_from([" = ", "=", " ", "\t=\t", " =", "\t"]))
    value = draw(PG_VALUES)
    trailing = draw(COMMENTS)
    line = f"{draw(BLANK)}{name}{equals}{value}{draw(BLANK)}{trailing}"
    if kind == "commented":
        line = draw(st.sampled_from(["#", "# ", "#\t"])) + line
    return line


@st.composite
def joined(draw: st.DrawFn, line: st.SearchStrategy[str], max_lines: int = 12) -> str:
    lines = draw(st.lists(line, max_size=max_lines))
    ending = draw(ENDINGS)
    mixed = draw(st.booleans())
    out = []
    for index, text in enumerate(lines):
        out.append(text)
        last = index == len(lines) - 1
        if not last or draw(st.booleans()):
            out.append(draw(ENDINGS) if mixed else ending)
    return "".join(out)


SYSCTL_KEYS = st.sampled_from(
    [
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net/ipv4/tcp_keepalive_time",
        "-net.ipv4.tcp_keepalive_probes",
        "net.core.somaxconn",
        "vm.swappiness",
        "kernel.shmmax",
    ]
)
SYSCTL_VALUES = st.one_of(
    st.sampled_from(["0", "1", "6", "9", "10", "30", "60", "75", "300", "7200", "abc", "60 # note", "", "-1", "1 2"]),
    st.integers(-5, 100000).map(str),
)


@st.composite
def sysctl_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["assign", "assign", "assign", "commented", "comment", "blank", "junk"]))
    if kind == "blank":
        return draw(BLANK)
    if kind == "comment":
        return draw(BLANK) + draw(st.sampled_from(["# note", ";", "; x", "#", "# caf\u00e9"]))
    if kind == "junk":
        return draw(st.sampled_from(["garbage", "=", "= 5", "net.ipv4.tcp_keepalive_time"]))
    key = draw(SYSCTL_KEYS)
    separator = draw(st.sampled_from([" = ", "=", " =", "= ", "\t=\t"]))
    line = f"{draw(BLANK)}{key}{separator}{draw(SYSCTL_VALUES)}"
    line += draw(BLANK)
    if kind == "commented":
        line = draw(st.sampled_from(["#", "# ", ";", "; "])) + line.lstrip("-")
    return line


PGCONF_TEXT = st.one_of(st.text(), joined(pgconf_line()))
SYSCTL_TEXT = st.one_of(st.text(), joined(sysctl_line()))


# -- 1. lossless parse ---------------------------------------------------------------------


def _source(data: bytes) -> SourceFile:
    return SourceFile.from_bytes(Path("x"), "x", data)


def _encodable(text: str) -> bytes:
    # st.text() can draw lone surrogates, which no file holds; keep them as escaped bytes.
    return text.encode("utf-8", "surrogatepass")


def _assert_covers(source: SourceFile, lines: list) -> None:
    """Line spans plus the endings between them rebuild the text, in order, without overlap."""
    text = source.text
    pieces: list[str] = []
    cursor = 0
    for index, line in enumerate(lines):
        assert line.number == index + 1
        assert line.start == cursor, (index, line.start, cursor)
        assert line.start <= line.end <= len(text)
        content = text[line.start : line.end]
        assert "\n" not in content
        nxt = lines[index + 1].start if index + 1 < len(lines) else len(text)
        separator = text[line.end : nxt]
        if index + 1 < len(lines):
            assert separator in ("\n", "\r\n"), (index, separator)
        else:
            assert separator in ("", "\n", "\r\n"), (index, separator)
        pieces.append(content)
        pieces.append(separator)
        cursor = nxt
    assert cursor == len(text)
    assert source.encode("".join(pieces)) == source.data


def _assert_inside(line, *spans: tuple[int, int]) -> None:  # noqa: ANN001
    for start, end in spans:
        assert line.start <= start <= end <= line.end


@FAST
@given(PGCONF_TEXT)
def test_pgconf_parse_is_lossless(text: str) -> None:
    source = _source(_encodable(text))
    document = PgConfDocument(source)
    _assert_covers(source, document.lines)
    for line in document.lines:
        if line.is_setting:
            _assert_inside(line, (line.name_start, line.name_end), (line.value_start, line.value_end))
            assert source.text[line.name_start : line.name_end] == line.name
        if line.comment_start is not None:
            _assert_inside(line, (line.comment_start, line.comment_start + 1))
            assert source.text[line.comment_start] == "#"
    for commented in document.commented_settings():
        _assert_inside(commented.line, (commented.inner.value_start, commented.inner.value_end))
    # The lookup by name lexes only lines that mention the name, and finds the same lines.
    for key in {commented.inner.key for commented in document.commented_settings()} | {"port", "tcp_keepalives_idle"}:
        every = [commented for commented in document.commented_settings() if commented.inner.key == key]
        assert document.commented_settings_named(key) == every


@FAST
@given(SYSCTL_TEXT)
def test_sysctl_parse_is_lossless(text: str) -> None:
    source = _source(_encodable(text))
    document = SysctlDocument(source)
    _assert_covers(source, document.lines)
    for line in document.lines:
        if line.key is not None:
            _assert_inside(line, (line.name_start, line.name_end), (line.value_start, line.value_end))
            assert source.text[line.value_start : line.value_end] == line.value
    document.commented_assignments()


@FAST
@given(st.binary(max_size=300) | st.text().map(lambda t: t.encode("latin-1", "replace")))
def test_any_bytes_round_trip_and_parse(data: bytes) -> None:
    source = _source(data)
    assert source.encode(source.text) == data
    _assert_covers(source, PgConfDocument(source).lines)
    _assert_covers(source, SysctlDocument(source).lines)


# -- 2. idempotent --write on generated trees ---------------------------------------------------


@contextmanager
def _directory():
    path = Path(tempfile.mkdtemp(prefix="pgconf-fix-prop-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _json(directory: Path) -> list[dict]:
    outcome = run_cli(["--format", "json", "."], directory)
    assert outcome.code in (0, 1, 2), outcome.stderr
    assert "Traceback" not in outcome.stderr
    return json.loads(outcome.stdout)


def _check_fix_round_trip(files: dict[str, bytes], codes: set[str]) -> None:
    with _directory() as directory:
        for name, data in files.items():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_bytes(data)
        before = _json(directory)
        first = run_cli(["--write", "."], directory)
        assert "Traceback" not in first.stderr + first.stdout
        assert first.code in (0, 1, 2), first.stderr
        after_first = tree(directory)
        second = run_cli(["--write", "."], directory)
        assert second.code in (0, 1, 2), second.stderr
        assert tree(directory) == after_first, "a second --write changed the file"
        assert "Fixed 0 findings" in second.stderr + second.stdout
        after = _json(directory)
        fixable = {item["code"] for item in before if item["code"] in codes and _safe(item)}
        left = [item for item in after if item["code"] in fixable]
        assert not left, (after_first, left)
        parse_errors = [item for item in after if item["code"] == "PGF001"]
        assert len(parse_errors) <= len([item for item in before if item["code"] == "PGF001"]), (
            after_first,
            parse_errors,
        )


def _safe(item: dict) -> bool:
    return item["fix"] is not None and item["fix"]["applicability"] == "safe"


@st.composite
def encoded(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """UTF-8 mostly; sometimes Latin-1 (not valid UTF-8) or UTF-8 behind a byte-order mark."""
    value = draw(text)
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "bom"]))
    if how == "latin-1":
        return value.encode("latin-1", "replace")
    return (b"\xef\xbb\xbf" if how == "bom" else b"") + value.encode("utf-8")


@st.composite
def pgconf_tree(draw: st.DrawFn) -> dict[str, bytes]:
    """postgresql.conf, and sometimes the files it may include and a postgresql.auto.conf."""
    files = {"postgresql.conf": draw(encoded(joined(pgconf_line(), max_lines=10)))}
    for name in ("extra.conf", "conf.d/10-keepalives.conf", "postgresql.auto.conf"):
        if draw(st.integers(0, 3)) == 0:
            files[name] = draw(encoded(joined(pgconf_line(), max_lines=4)))
    return files


@st.composite
def sysctl_tree(draw: st.DrawFn) -> dict[str, bytes]:
    """sysctl.conf, and sometimes a sysctl.d fragment beside it."""
    files = {"sysctl.conf": draw(encoded(joined(sysctl_line(), max_lines=10)))}
    if draw(st.integers(0, 3)) == 0:
        files["sysctl.d/90-keepalive.conf"] = draw(encoded(joined(sysctl_line(), max_lines=4)))
    return files


@CLI
@given(pgconf_tree())
def test_pgconf_write_is_idempotent_and_fixes_what_it_claims(files: dict[str, bytes]) -> None:
    _check_fix_round_trip(files, {"PGF101", "PGF102", "PGF103", "PGF104"})


@CLI
@given(sysctl_tree())
def test_sysctl_write_is_idempotent_and_fixes_what_it_claims(files: dict[str, bytes]) -> None:
    _check_fix_round_trip(files, {"PGF201", "PGF202", "PGF203"})


# -- 3. apply_edits ---------------------------------------------------------------------------

_EDIT_SOURCE = SourceFile.from_bytes(Path("e"), "e", b"")


@st.composite
def text_and_disjoint_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    text = draw(st.text(alphabet="abc\n\r#= ", max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=10)))
    edits: list[Edit] = []
    index = 0
    while index + 1 < len(cuts):
        start, end = cuts[index], cuts[index + 1]
        # Replacements must not touch, and at most one edit may sit at any offset,
        # otherwise their order is significant by design.
        if start < end and (not edits or start > edits[-1].end):
            edits.append(Edit(_EDIT_SOURCE, start, end, draw(st.text(alphabet="xyz\n", max_size=4))))
        index += 2
    return text, edits


@FAST
@given(st.text(max_size=50))
def test_no_edits_return_the_text(text: str) -> None:
    assert apply_edits(text, []) == (text, [])


@FAST
@given(text_and_disjoint_edits(), st.randoms(use_true_random=False))
def test_disjoint_edits_commute(case: tuple[str, list[Edit]], random) -> None:  # noqa: ANN001
    text, edits = case
    expected, dropped = apply_edits(text, edits)
    assert dropped == []
    shuffled = list(edits)
    random.shuffle(shuffled)
    assert apply_edits(text, shuffled) == (expected, [])
    # Applying them one at a time, from the end backwards, gives the same text.
    manual = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        manual = manual[: edit.start] + edit.content + manual[edit.end :]
    assert manual == expected


@FAST
@given(text_and_disjoint_edits(), st.integers(1, 3))
def test_identical_edits_collapse(case: tuple[str, list[Edit]], copies: int) -> None:
    text, edits = case
    once = apply_edits(text, edits)
    repeated = [edit for edit in edits for _ in range(copies + 1)]
    assert apply_edits(text, repeated) == once
    insertion = Edit(_EDIT_SOURCE, 0, 0, "# header\n")
    assert apply_edits(text, [insertion, insertion]) == apply_edits(text, [insertion])
