"""The server view's reading of trees, where a fixture cannot say it (paths outside the repository)."""

from __future__ import annotations

from pathlib import Path

from pgconf_fix.views.server import ServerConfig
from pgconf_fix.workspace import Workspace


def view_of(root: Path, main: str) -> ServerConfig:
    workspace = Workspace(root)
    return ServerConfig(workspace, workspace.load(root / main))


def test_absolute_include_is_found_where_the_repository_mirrors_the_server(tmp_path: Path) -> None:
    main = tmp_path / "etc" / "postgresql" / "13" / "main"
    (main / "conf.d").mkdir(parents=True)
    (main / "postgresql.conf").write_text("include_dir '/etc/postgresql/13/main/conf.d'\n")
    (main / "conf.d" / "keepalive.conf").write_text("tcp_keepalives_idle = 45\n")
    view = view_of(tmp_path, "etc/postgresql/13/main/postgresql.conf")
    assert view.effective("tcp_keepalives_idle").value == "45"
    assert str(view.version) == "13" and view.version_origin == "the path"
    assert not view.problems


def test_absolute_include_outside_the_repository_is_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text("include '/opt/elsewhere/extra.conf'\n")
    view = view_of(tmp_path, "postgresql.conf")
    assert not view.problems  # the file may exist on the server; nothing here says otherwise
    assert view.unresolved == ["/opt/elsewhere/extra.conf"]
    assert "/opt/elsewhere/extra.conf" in view.describe_missing()


def test_include_dir_reads_in_byte_order_and_skips_hidden_and_other_suffixes(tmp_path: Path) -> None:
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    for name, value in [("b.conf", 2), ("a.conf", 1), ("A.conf", 3), (".hidden.conf", 99), ("c.conf.bak", 98),
                        ("Z.CONF", 97)]:
        (conf_d / name).write_text(f"tcp_keepalives_idle = {value}\n")
    (conf_d / "sub.conf").mkdir()
    (tmp_path / "postgresql.conf").write_text("include_dir 'conf.d'\n")
    view = view_of(tmp_path, "postgresql.conf")
    assert [d.source.path.name for d in view.documents] == ["postgresql.conf", "A.conf", "a.conf", "b.conf"]
    assert view.effective("tcp_keepalives_idle").value == "2"


def test_auto_conf_is_read_last(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text("include 'extra.conf'\ntcp_keepalives_idle = 10\n")
    (tmp_path / "extra.conf").write_text("tcp_keepalives_idle = 20\n")
    (tmp_path / "postgresql.auto.conf").write_text("tcp_keepalives_idle = '30'\n")
    view = view_of(tmp_path, "postgresql.conf")
    assert view.effective("tcp_keepalives_idle").source.path.name == "postgresql.auto.conf"


def test_letter_classes_match_the_grammar_definition() -> None:
    """The negated ASCII classes accept exactly guc-file.l's letters: [A-Za-z_] and all of \\200-\\377
    (here: every character outside ASCII, including undecodable bytes kept as surrogates)."""
    import re

    from pgconf_fix.documents import pgconf

    letter = re.compile(pgconf._LETTER)
    letter_or_digit = re.compile(pgconf._LETTER_OR_DIGIT)
    unquoted_tail = re.compile(pgconf._UNQUOTED_TAIL)
    samples = [chr(code) for code in range(0x110000) if code < 0x800 or code % 97 == 0]
    samples += ["\udc80", "\udcff", "\U0010ffff"]
    for char in samples:
        is_letter = char.isascii() and (char.isalpha() or char == "_") or not char.isascii()
        assert bool(letter.fullmatch(char)) == is_letter, repr(char)
        assert bool(letter_or_digit.fullmatch(char)) == (is_letter or char in "0123456789"), repr(char)
        assert bool(unquoted_tail.fullmatch(char)) == (is_letter or char in "0123456789-._:/"), repr(char)


LEXINGS_PROBE = """
import json
import sys

from pgconf_fix.documents import pgconf

lexings = []
parse_line = pgconf.parse_line


def counted(text, number, start, end):
    if start == 0:  # a whole text's first line (a comment's setting starts after its '#')
        lexings.append(len(text))
    return parse_line(text, number, start, end)


pgconf.parse_line = counted
from pgconf_fix.cli import main

try:
    main([sys.argv[1], "--no-cache"])
except SystemExit:
    pass
print(json.dumps(lexings), file=sys.stderr)
"""


def test_a_text_is_lexed_once_for_its_view_its_fixes_verifier_and_the_fixable_count(tmp_path: Path) -> None:
    """A one-file run lexes the original for its view, and the edited text for the fixes'
    verifier; the verifier's reading of the original and the fixable count's re-check of the
    edited text take those lines (issue 18, tenth pass: they were lexed four times)."""
    import json
    import os
    import subprocess
    import sys

    conf = tmp_path / "postgresql.conf"
    conf.write_text("# a comment\nlisten_addresses = 'localhost'\nport = 5432\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    env.pop("PGCONF_FIX_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", LEXINGS_PROBE, str(conf)], capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip
    assert "3 fixable" in done.stdout  # three fixes were vetted and counted
    lexed = json.loads(done.stderr.strip().splitlines()[-1])
    assert len(lexed) == 2 and lexed[0] == len(conf.read_text()) < lexed[1], lexed


def test_lines_taken_from_an_earlier_lexing_are_those_a_fresh_one_gives(tmp_path: Path) -> None:
    from pgconf_fix.documents import pgconf
    from pgconf_fix.source import SourceFile

    def source(name: str, text: str) -> SourceFile:
        return SourceFile(tmp_path / name, name, text.encode(), text, True)

    texts = ["port = 5432\r# x\rlisten_addresses = '*'\n", "a = 1\nb = 'x\n", "", "x = 1\r\n"]
    for text in texts:
        for name in ("postgresql.conf", "conf.yml"):  # a lone CR ends a line in the second
            first = pgconf.PgConfDocument(source(name, text))
            again = pgconf.PgConfDocument(source(name, text))
            pgconf._LEXED.clear()
            fresh = pgconf.PgConfDocument(source(name, text))
            assert again.lines == first.lines == fresh.lines and again.lines is not first.lines, (name, text)
        conf = pgconf.PgConfDocument(source("postgresql.conf", texts[0]))
        assert len(conf.lines) != len(pgconf.PgConfDocument(source("conf.yml", texts[0])).lines)
    for index in range(20):
        pgconf.PgConfDocument(source("postgresql.conf", f"port = {index}\n"))
    assert len(pgconf._LEXED) <= 8


def test_a_byte_order_mark_before_a_later_line_is_a_parse_error(tmp_path: Path) -> None:
    # Only the file's first line was reported; a mark before another line (a file pasted after
    # another, or a comment added above the mark) made the line's setting unread, silently.
    from tests.cli_runner import run_cli
    from tests.pg_server import require_server

    conf = tmp_path / "postgresql.conf"
    conf.write_text("ssl = off\n\ufefftcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n",
                    encoding="utf-8")
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert outcome.code == 1
    assert ('postgresql.conf:2:1: PGF001 "tcp_keepalives_idle" is preceded by a byte-order mark (U+FEFF), which the '
            "server reads as part of the name and rejects; remove it") in outcome.stdout
    code, output = require_server().config_value(tmp_path, "tcp_keepalives_idle")
    assert code == 1 and 'unrecognized configuration parameter "\ufefftcp_keepalives_idle"' in output and "line 2" in output
