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
