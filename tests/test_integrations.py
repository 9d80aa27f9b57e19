"""Where users run it: GitHub annotations, step summary, SARIF, suppressions, colour."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pgconf_fix.findings import make_finding
from pgconf_fix.catalog import load_catalog
from pgconf_fix.findings import Location
from pgconf_fix.reporters import github
from pgconf_fix.source import InputError, SourceFile
from tests.cli_runner import run_cli

BAD_CONF = "tcp_keepalives_idle = 0\ntcp_keepalives_interval = 75\ntcp_keepalives_count = 6\n"


def finding_at(path: str, message: str, text: str = "x = 1\n"):  # noqa: ANN201
    source = SourceFile.from_bytes(Path("/nowhere") / "f", path, text.encode())
    return make_finding(load_catalog()["PGF101"], Location(source, 0, 1), message)


# -- GitHub workflow commands ----------------------------------------------------


def test_escaping_matches_the_actions_toolkit() -> None:
    assert github.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("dir,with:colons/postgresql.conf", "plain"),
        ("100%/postgresql.conf", "value is 100%"),
        ("db/postgresql.conf", "line one\n::error::injected\r\nand more"),
        ("::warning file=x::evil/postgresql.conf", "::set-output name=x::y"),
    ],
)
def test_annotations_cannot_be_broken_by_content(path: str, message: str) -> None:
    rendered = github.annotation(finding_at(path, message))
    assert rendered.count("\n") == 0 and "\r" not in rendered
    head, _, data = rendered.partition("::")[2].partition("::")
    assert head.startswith("warning file=")
    properties = dict(item.split("=", 1) for item in head.split(" ", 1)[1].split(","))
    assert set(properties) == {"file", "line", "col", "endLine", "endColumn", "title"}
    assert _unescape(properties["file"]) == path
    assert properties["title"] == "pgconf-fix (PGF101)"
    assert _unescape(data) == message


@pytest.mark.parametrize("control", ["\x1b", "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x7f", "\x9b"])
def test_annotations_show_control_characters_as_the_text_format_does(control: str) -> None:
    # The runner decodes only %25, %0D, %0A, %3A and %2C: anything else reached the log raw,
    # where ESC [2J clears the screen and ESC ] 0; ... BEL retitles it.
    path = f"db/{control}[2Jpostgresql.conf"
    rendered = github.annotation(finding_at(path, f"value {control}]0;owned\x07 here\nnext"))
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", rendered), repr(rendered)
    shown = f"\\x{ord(control):02x}"
    assert f"file=db/{shown}[2Jpostgresql.conf," in rendered
    assert rendered.endswith(f"::value {shown}]0;owned\\x07 here%0Anext")
    error = github.error_annotation(InputError(path, f"cannot read {control}"))
    assert f"file=db/{shown}[2Jpostgresql.conf," in error and error.endswith(f"::cannot read {shown}")


def test_annotations_mask_passwords_before_escaping() -> None:
    # The mask is placed on the message as written; the escaping comes after and cannot split it.
    message = "postgresql://app:s3cr%t,pw\x1b@db.example.com/app: keepalives_idle is not set"
    rendered = github.annotation(finding_at("db/.env", message))
    assert "s3cr" not in rendered and ",pw" not in rendered
    assert rendered.endswith("::postgresql://app:***@db.example.com/app: keepalives_idle is not set")


def _unescape(value: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def test_github_format_prints_text_report_fenced_and_writes_summary(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "postgresql.conf").write_text(BAD_CONF)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    outcome = run_cli(["--format", "github", "."], tmp_path)
    assert outcome.code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("::warning file=postgresql.conf,line=1,col=1,")
    assert lines[1].startswith("::warning file=postgresql.conf,line=2,col=1,")
    token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[2]).group(1)
    assert lines[-1] == f"::{token}::"
    assert "postgresql.conf:1:1: PGF101" in outcome.stdout and "Found 2 findings." in outcome.stdout
    written = summary.read_text()
    assert "| postgresql.conf:1:1 | [PGF101](" in written
    # The summary file is appended to, as GitHub expects from several steps.
    run_cli(["--format", "github", "."], tmp_path)
    assert summary.read_text().count("### pgconf-fix") == 2


def test_text_output_keeps_user_content_on_one_line() -> None:
    from pgconf_fix.reporters import text

    rendered = text.render([finding_at("a\nb.conf", "bad\n::error::x")])
    assert rendered.splitlines()[0] == "a\\nb.conf:1:1: PGF101 bad\\n::error::x"


def test_step_summary_escapes_markup() -> None:
    rendered = github.step_summary([finding_at("a|b.conf", "<script>alert(1)</script> `x`")])
    assert "<script>" not in rendered and "\\<script\\>" in rendered
    assert "a\\|b.conf" in rendered


# -- SARIF -------------------------------------------------------------------------


def test_sarif_has_what_github_code_scanning_requires(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD_CONF)
    outcome = run_cli(["--format", "sarif", "."], tmp_path)
    assert outcome.code == 1
    document = json.loads(outcome.stdout)
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-2.1.0.json")
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pgconf-fix"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"] and rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run["results"]) == 2
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "postgresql.conf"
        region = location["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
        change = result["fixes"][0]["artifactChanges"][0]
        assert change["artifactLocation"]["uri"] == "postgresql.conf"
        replacement = change["replacements"][0]
        assert replacement["deletedRegion"]["startLine"] == region["startLine"]
        assert replacement["insertedContent"]["text"] in ("60", "10")


# -- suppressions --------------------------------------------------------------------


def test_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "postgresql.conf").write_text(BAD_CONF)
    (tmp_path / "postgresql.conf").write_text(BAD_CONF)
    (tmp_path / ".pgconf-fix.toml").write_text('[per-file-ignores]\n"legacy/*" = ["PGF10"]\n')
    paths = {line.split(":")[0] for line in run_cli(["."], tmp_path).stdout.splitlines() if ": PGF" in line}
    assert paths == {"postgresql.conf"}
    (tmp_path / ".pgconf-fix.toml").write_text('[per-file-ignores]\n"legacy/*" = ["NOPE"]\n')
    assert run_cli(["."], tmp_path).code == 2


def test_suppressed_findings_are_not_fixed(tmp_path: Path) -> None:
    conf = "tcp_keepalives_idle = 0  # pgconf-fix: ignore[PGF101] the sidecar probes\n"
    (tmp_path / "postgresql.conf").write_text(conf + "tcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n")
    outcome = run_cli(["--write", "."], tmp_path)
    assert outcome.code == 0
    assert (tmp_path / "postgresql.conf").read_text().startswith(conf)


def test_unused_suppression_only_for_enabled_rules(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(
        "# pgconf-fix: ignore[PGF101]\ntcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"
    )
    assert "PGF002" in run_cli(["."], tmp_path).stdout
    assert "PGF002" not in run_cli(["--ignore", "PGF101", "."], tmp_path).stdout
    assert "PGF002" not in run_cli(["--ignore", "PGF002", "."], tmp_path).stdout


def test_no_colour_when_piped_or_no_color(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from pgconf_fix.reporters import text

    (tmp_path / "postgresql.conf").write_text(BAD_CONF)
    assert "\033[" not in run_cli(["."], tmp_path).stdout
    coloured = text.render([finding_at("a.conf", "m")], colour=True)
    assert "\033[1ma.conf\033[0m" in coloured


def _run_in_pty(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the CLI with a terminal as stdout and stderr; return everything it wrote."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pgconf_fix", *args], cwd=cwd, stdout=follower,
                               stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    import os

    (tmp_path / "postgresql.conf").write_text(BAD_CONF)
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    assert "\033[1mpostgresql.conf\033[0m" in _run_in_pty(["."], tmp_path, env)
    plain = _run_in_pty(["."], tmp_path, {**env, "NO_COLOR": "1"})
    assert "\033[" not in plain and "postgresql.conf:1:1: PGF101" in plain


def test_progress_bar_only_on_a_terminal_and_only_when_slow(monkeypatch) -> None:  # noqa: ANN001
    import io

    from pgconf_fix import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REFRESH", 0.0)
    shown = Terminal()
    bar = progress.Progress(4, stream=shown)
    for _ in range(4):
        bar.advance()
    bar.close()
    assert "4/4" in shown.getvalue() and shown.getvalue().endswith("\r\033[K\033[?25h")
    piped = io.StringIO()
    quiet = progress.Progress(4, stream=piped)
    quiet.advance(4)
    quiet.close()
    assert piped.getvalue() == ""
    monkeypatch.setattr(progress, "DELAY", 60.0)
    fast = Terminal()
    quick = progress.Progress(4, stream=fast)
    quick.advance(4)
    quick.close()
    assert fast.getvalue() == ""


def test_stdin_diff(tmp_path: Path) -> None:
    outcome = run_cli(["--diff", "-", "--stdin-filename", "db/postgresql.conf"], tmp_path, stdin=BAD_CONF.encode())
    assert outcome.code == 1
    assert outcome.stdout.startswith("--- a/db/postgresql.conf\n+++ b/db/postgresql.conf\n")
    assert "+tcp_keepalives_idle = 60\n" in outcome.stdout


def test_follow_maps_offsets_through_edits() -> None:
    from pgconf_fix.findings import Edit
    from pgconf_fix.patcher import follow

    source = SourceFile.from_bytes(Path("/nowhere/x"), "x", b"abcdefghij")
    edits = [Edit(source, 2, 2, "XY"), Edit(source, 4, 6, "Q"), Edit(source, 8, 8, "")]
    text = "ab" + "XY" + "cd" + "Q" + "gh" + "ij"
    assert follow(0, edits) == 0
    assert follow(2, edits) == 4 and text[4] == "c"  # an insertion at the offset pushes it right
    assert follow(4, edits) == 6 and text[6] == "Q"  # inside a replaced range: its start
    assert follow(5, edits) == 6
    assert follow(6, edits) == 7 and text[7] == "g"
    assert follow(9, edits) == 10 and text[10] == "j"


def test_a_suppressed_finding_stays_suppressed_when_a_fix_moves_its_comment(tmp_path: Path) -> None:
    engines = tmp_path / "engines.py"
    engines.write_text(
        "from sqlalchemy import create_engine\n\n"
        'api = create_engine("postgresql+psycopg://api@db.internal/api")  # pgconf-fix: ignore[PGF501]\n'
    )
    first = run_cli(["--write", "--select", "PGF5", "."], tmp_path)
    assert first.code == 0, first.stdout
    text = engines.read_text()
    assert "pool_recycle=300" in text and "pool_pre_ping" not in text
    assert text.rstrip().endswith(")  # pgconf-fix: ignore[PGF501]")
    second = run_cli(["--write", "--select", "PGF5", "."], tmp_path)
    assert engines.read_text() == text and "Fixed 0 findings" in second.stdout


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("app.py", '\ufeffimport psycopg2; conn = psycopg2.connect("host=db.example.com dbname=app")\n'),
        # The .env line was not read at all: its URL was never judged (compose-go skips the mark).
        (".env", "\ufeffDATABASE_URL=postgresql://app@db.example.com/app\n"),
        ("postgresql.conf", "\ufefftcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"),
    ],
)
def test_added_suppression_keeps_the_byte_order_mark_first(name: str, text: str, tmp_path: Path) -> None:
    # The comment went before the mark: in Python the file stopped compiling (so nothing was
    # added: "would not suppress every finding"); in postgresql.conf the mark began line 2,
    # which the server refuses as much as line 1.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert run_cli(["--no-cache", name], tmp_path).code == 1
    outcome = run_cli(["--no-cache", "--add-suppressions", "accepted", name], tmp_path)
    assert outcome.code == 0, outcome.stderr
    written = path.read_text(encoding="utf-8")
    assert written.startswith("\ufeff# pgconf-fix: ignore[")
    assert written.count("\ufeff") == 1 and written.splitlines()[1] == text.splitlines()[0].lstrip("\ufeff")
    if name.endswith(".py"):
        compile(path.read_bytes(), name, "exec")
    assert run_cli(["--no-cache", name], tmp_path).code == 0


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\u061c", "\u2028", "\u2029"])
def test_reports_show_bidirectional_controls_and_line_separators(char: str, tmp_path: Path) -> None:
    # A name with U+202E (RIGHT-TO-LEFT OVERRIDE) was printed raw: "db/\u202efnoc.lqsergtsop" shows
    # as ".../postgresql.conf" reversed, the "Trojan Source" trick; U+2028 breaks the line in
    # some viewers. The text report, the notes and the annotations show them as \uHHHH.
    shown = f"\\u{ord(char):04x}"
    folder = tmp_path / f"db{char}x"
    folder.mkdir()
    (folder / "postgresql.conf").write_text("tcp_keepalives_idle = 0\n")
    (folder / "notes.txt").write_text("nothing\n")
    outcome = run_cli(["--no-cache", f"db{char}x", f"db{char}x/notes.txt"], tmp_path)
    assert char not in outcome.stdout and char not in outcome.stderr
    assert f"db{shown}x/postgresql.conf:1:1: PGF101 " in outcome.stdout
    assert f"warning: db{shown}x/notes.txt: not checked" in outcome.stderr
    rendered = github.annotation(finding_at(f"db{char}x/postgresql.conf", f"value {char}here"))
    assert char not in rendered and f"file=db{shown}x/postgresql.conf," in rendered and rendered.endswith(f"::value {shown}here")
