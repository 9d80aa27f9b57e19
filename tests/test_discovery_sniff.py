"""Discovery reads a file's first bytes only where its kind can hold a setting and its name is
not enough (issue 18, item 7; README "Configuration" lists the kinds)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgconf_fix import discovery
from pgconf_fix.layers import layer_modules

URL = "DATABASE_URL=postgresql://app@db.internal/app\n"
# Taken by their names alone: no byte of them is read while discovering.
BY_NAME = {
    "postgresql.conf": "tcp_keepalives_idle = 0\n",
    "pgbouncer.ini": "[pgbouncer]\ntcp_keepalive = 0\n",
    "main.tf": 'resource "aws_lb" "db" {}\n',
    "stack.tf.json": "{}\n",
    "compose.yaml": "services: {}\n",
}
# No reader takes these kinds, whatever they say.
NEVER = ("README.md", "notes.txt", "dump.csv", "logo.svg", "Makefile", "schema.graphql")
# Kinds that can hold a setting or a connection string, not told by the name: sniffed.
SNIFFED = ("app.py", "settings.yaml", "db.env", "config.json", "app.toml", "start.sh", "server.js", "migrate.sql",
           "10-keepalives.conf", "alembic.ini")


def test_only_kinds_that_can_hold_a_setting_are_sniffed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in BY_NAME.items():
        (tmp_path / name).write_text(text)
    for name in (*NEVER, *SNIFFED):
        (tmp_path / name).write_text(URL)
    read: list[str] = []
    original = discovery._read_head

    def head(path: str) -> bytes | None:
        read.append(os.path.basename(path))
        return original(path)

    monkeypatch.setattr(discovery, "_read_head", head)
    found = discovery.discover([str(tmp_path)], layer_modules(), tmp_path)
    assert sorted(read) == sorted(SNIFFED)
    taken = {path.name for files in found.files.values() for path, _ in files}
    assert set(BY_NAME) <= taken
    assert not taken & set(NEVER)


def test_an_exclude_file_of_comments_holds_no_pattern(tmp_path: Path) -> None:
    """``git init`` writes a .git/info/exclude of comments only; pathspec keeps each comment
    as a pattern that matches nothing, and a walk matched every path of the repository
    against them. Such a file, or a .gitignore of comments and blanks, adds no pattern; a
    negation alone still does."""
    from pgconf_fix.ignore import IgnoreRules, rules_above, spec

    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("# git ls-files --others --exclude-from=.git/info/exclude\n# *.[oa]\n")
    (tmp_path / ".gitignore").write_text("\n   \n# nothing here\n")
    (tmp_path / "sub").mkdir()
    assert not rules_above(tmp_path / "sub", IgnoreRules()).patterns
    assert spec(["# comment", "", "!keep.conf"]) is not None
    rules = rules_above(tmp_path / "sub", IgnoreRules()).extended(tmp_path, ["*.conf", "# x", "!keep.conf"])
    assert rules.ignored(tmp_path / "sub" / "a.conf", False) and not rules.ignored(tmp_path / "sub" / "keep.conf", False)


def test_a_marker_past_the_head_is_found_in_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rendered chart whose postgres StatefulSet comes after 64 KiB of other documents, a long
    module whose engine comes last: the claims see the whole file when its head said nothing.
    A file past the size limit stays unclaimed, as a head alone left it (not claimed by its
    name: that is for files whose head is hidden). Only files a claim sniffed are read again."""
    filler = "---\nkind: ConfigMap\ndata:\n  note: " + "x" * 200 + "\n"
    pod = "---\nkind: Pod\nspec:\n  containers:\n    - image: postgres:16\n      args: [\"-c\", \"tcp_keepalives_idle=7200\"]\n"
    (tmp_path / "rendered.yaml").write_text(filler * 400 + pod)
    (tmp_path / "models.py").write_text('"""' + "doc\n" * 20000 + '"""\nengine = create_engine("postgresql://app@db.internal/app")\n')
    (tmp_path / "notes.txt").write_text("x\n" * 40000 + URL)  # no reader takes a .txt: never read
    assert all(os.path.getsize(tmp_path / name) > discovery.HEAD_BYTES for name in ("rendered.yaml", "models.py", "notes.txt"))
    monkeypatch.setattr(discovery, "DEFAULT_MAX_FILE_SIZE", 200_000)
    (tmp_path / "huge.py").write_text("#\n" * 150_000 + "psycopg2.connect('host=db')\n")  # 300 KB, above the limit set
    found = discovery.discover([str(tmp_path)], layer_modules(), tmp_path)
    layer_of = {path.name: layer for layer, files in found.files.items() for path, _ in files}
    assert layer_of.get("rendered.yaml") == "yaml" and layer_of.get("models.py") == "python"
    assert "notes.txt" not in layer_of and "huge.py" not in layer_of
