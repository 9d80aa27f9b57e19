"""pgconf_fix.documents.shellwords against go-shellwords v1.0.12 as compose-go calls it.

The table's expectations come from go-shellwords v1.0.12 itself: its own tests
(``shellwords_test.go``: ``testcases`` of TestSimple, TestError, TestBacktick with
ParseBacktick off, TestBacktickError, TestHaveMore, TestHaveRedirect), and for the rest from
``Parser.Parse`` in ``shellwords.go`` (the case named in each comment), every one of them also
checked on the real parser: ``test_the_real_go_shellwords_agrees`` builds tests/goshellwords
(a small Go program of ours that calls ``shellwords.Parse`` as compose-go does) and runs the
table and some thousands of generated strings through it. It needs Go and the module
github.com/mattn/go-shellwords v1.0.12 (go.sum pins its hash, the one compose-go's go.sum has),
and is skipped, saying why, when either cannot be had.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.documents.shellwords import (
    GO_SHELLWORDS_ERROR,
    UnsplittableCommand,
    quote_word,
    split_command,
)
from pgconf_fix.verify.compose import command_change_problem

ERROR = GO_SHELLWORDS_ERROR
ORACLE_SOURCE = Path(__file__).parent / "goshellwords"

# (string, words compose runs or ERROR, where Parse stopped: None, or (offset, char, dropped word)).
TABLE: list[tuple[str, list[str] | str, tuple[int, str, str] | None]] = [
    # TestSimple's testcases (v1.0.12)
    ("", [], None),
    ('""', [""], None),
    ("''", [""], None),
    ("var --bar=baz", ["var", "--bar=baz"], None),
    ('var --bar="baz"', ["var", "--bar=baz"], None),
    ("var \"--bar='baz'\"", ["var", "--bar='baz'"], None),
    ("var --bar=`baz`", ["var", "--bar=`baz`"], None),
    ('var "--bar=\\"baz\'"', ["var", "--bar=\"baz'"], None),
    ("var \"--bar=\\'baz\\'\"", ["var", "--bar='baz'"], None),  # a backslash in "..." escapes any character
    ("var --bar='\\'", ["var", "--bar=\\"], None),
    ('var --"bar baz"', ["var", "--bar baz"], None),
    ('a " b "', ["a", " b "], None),
    ("foo bar\\  ", ["foo", "bar "], None),
    ("foo \"\" bar ''", ["foo", "", "bar", ""], None),
    ("foo \\\\", ["foo", "\\"], None),
    ("foo \\& bar", ["foo", "&", "bar"], None),
    # TestError
    ("foo '", ERROR, None),
    ('foo "', ERROR, None),
    ("foo `", ERROR, None),
    # TestBacktick, ParseBacktick off (compose's default)
    ('echo $(echo "foo")', ["echo", '$(echo "foo")'], None),
    ("echo $(`echo1)", ["echo", "$(`echo1)"], None),
    # TestBacktickError's strings: Parse's "(" and ")" cases refuse them with ParseBacktick off too
    ("echo $(echo1", ERROR, None),
    ("echo $ (echo1", ERROR, None),
    ("echo (echo1", ERROR, None),
    ("echo )echo1", ERROR, None),
    # TestHaveMore and TestHaveRedirect (Position: the ";" at rune 6; "2" dropped before ">")
    ("echo 🍺; seq 1 10", ["echo", "🍺"], (6, ";", "")),
    ("ls -la 2>foo", ["ls", "-la"], (8, ">", "2")),
    # case ';', '&', '|', '<', '>': the parse stops there, without an error, whatever follows
    ("postgres -c tcp_keepalives_idle=60; echo done", ["postgres", "-c", "tcp_keepalives_idle=60"], (34, ";", "")),
    ("postgres -c a=1 && echo", ["postgres", "-c", "a=1"], (16, "&", "")),
    ("postgres -c a=1 | tee log", ["postgres", "-c", "a=1"], (16, "|", "")),
    ("postgres -c a=1 < /dev/null", ["postgres", "-c", "a=1"], (16, "<", "")),
    ("postgres -c a=1>log", ["postgres", "-c", "a=1"], (15, ">", "")),
    ("postgres -c a=1 12x>log", ["postgres", "-c", "a=1"], (19, ">", "12x")),  # buf[0] is a digit
    ('postgres "1">log', ["postgres"], (12, ">", '"1"')),  # the word's value, not its text
    ('postgres "">log', ["postgres", ""], (11, ">", "")),  # nothing read: nothing dropped
    ("postgres -c a=1 ; ' never closed", ["postgres", "-c", "a=1"], (16, ";", "")),
    ("postgres -c 'a=1;b|c' \"d&e>f\" g\\;h", ["postgres", "-c", "a=1;b|c", "d&e>f", "g;h"], None),
    # the backslash: escaped -> the next character as it is, in "..." too; itself in '...'
    ('-c "a=\\"\\\\\\$\\`"', ["-c", 'a="\\$`'], None),
    ('-c "a=\\n\\t\\x"', ["-c", "a=ntx"], None),  # v1.0.13 reads \n and \t as LF and TAB
    ("-c 'a=\\n\\'", ["-c", "a=\\n\\"], None),
    ("a\\\nb", ["a\nb"], None),  # an escaped line break is a character, not a continuation
    ("postgres -c fsync=off \\", ERROR, None),
    # isSpace: CR is a blank
    ("postgres\r-c\rtcp_keepalives_idle=60", ["postgres", "-c", "tcp_keepalives_idle=60"], None),
    # $VAR and ${VAR} stay (ParseEnv off)
    ("-c a=$HOME -c b=${X:-1}", ["-c", "a=$HOME", "-c", "b=${X:-1}"], None),
    # adjacent pieces make one word
    ("-c\"a\"'b'c", ["-cabc"], None),
    # case '(': only right after "$"; none inside $( ... ); a ")" outside quotes toggles the region
    ("postgres -c a=(1)", ERROR, None),
    ("postgres -c a=$(cat /run/x) -c b=1", ["postgres", "-c", "a=$(cat /run/x)", "-c", "b=1"], None),
    ('-c a=$(echo "x y";z)', ["-c", 'a=$(echo "x y";z)'], None),
    ("-c a=$((1+2))", ERROR, None),
    ("-c a=\\$(x y)", ["-c", "a=$(x y)"], None),
    ("postgres -c a=1)", ERROR, None),
    ("postgres -c a=1) -c b=2)", ["postgres", "-c", "a=1) -c b=2)"], None),  # v1.0.13 refuses it
    ("-c \"a=(1)\" 'b=(2)' c=\\(3\\)", ["-c", "a=(1)", "b=(2)", "c=(3)"], None),
    # case '`': kept, with blanks and stops inside, but quotes still quote in it
    ("-c a=`x y;z`", ["-c", "a=`x y;z`"], None),
    ('a `b "c d" e`', ["a", "`b c d e`"], None),
    ("a '`' \"`\"", ["a", "`", "`"], None),
    # '#' is no comment
    ("postgres # -c a=1", ["postgres", "#", "-c", "a=1"], None),
]


def _ours(line: str) -> dict[str, object]:
    try:
        split = split_command(line)
    except UnsplittableCommand:
        return {"error": ERROR}
    return {"args": split.values, "position": split.stop.position if split.stop else -1}


@pytest.mark.parametrize(("line", "words", "stop"), TABLE)
def test_the_table_of_go_shellwords_readings(line: str, words: list[str] | str, stop: tuple[int, str, str] | None) -> None:
    if words == ERROR:
        with pytest.raises(UnsplittableCommand) as refused:
            split_command(line)
        assert 0 <= refused.value.offset < len(line)
        return
    split = split_command(line)
    assert split.values == words
    if stop is None:
        assert split.stop is None
    else:
        assert split.stop is not None
        assert (split.stop.offset, split.stop.char, split.stop.dropped) == stop
    for word in split.words:  # each word's text alone reads as the word
        assert split_command(line[word.start : word.end]).values == [word.value]
        assert word.plain == (line[word.start : word.end] == word.value)


@pytest.mark.parametrize(
    ("line", "offset", "says"),
    [
        ("postgres -c 'log_line_prefix=%m [%p] ", 12, "'"),
        ('postgres -c "a=\\" -c b=1', 12, '"'),
        ("postgres -c fsync=off \\", 22, "backslash"),
        ("postgres -c a=`cat x", 14, "`"),
        ("postgres -c a=$(cat x", 15, "$("),
        ("postgres -c a=(1)", 14, "("),
        ("postgres -c a=$((1+2))", 16, "inside $("),
        ("postgres -c a=1)", 15, ") here"),
    ],
)
def test_a_refusal_says_where_and_what(line: str, offset: int, says: str) -> None:
    with pytest.raises(UnsplittableCommand) as refused:
        split_command(line)
    assert refused.value.offset == offset
    assert says in str(refused.value)


@pytest.mark.parametrize("word", ["", "a b", "it's", "a;b", "$(x)", "`x`", "\\", '"', "(", ")", "\t\r\n", "60", "é ü"])
def test_a_quoted_word_reads_back_as_itself_after_any_command(word: str) -> None:
    for command in ["postgres", "postgres -c 'x y'", "a\\ ", '""', "x $(a b) `c d`"]:
        assert split_command(f"{command} {quote_word(word)}").values == [*split_command(command).values, word]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("postgres -c a=1", "postgres -c a=1 -c b=2", None),
        ("postgres -c a=0 2>&1 x", "postgres -c a=60 2>&1 x", None),
        ("postgres -c a=1 2>&1", "postgres -c a=1 2>&1 -c b=2", "drop what follows"),
        ("postgres -c a=1", "postgres -c a=1 -c 'b=2", "refuses"),
        ("postgres -c a=1", "postgres -c a=1 -c b=2; x", "stops at the ';'"),
        ("postgres -c a=1; x", "postgres -c a=1 x", "is gone"),
        ("postgres -c a=1", "postgres -c a=1 -c b", "other than a setting flag"),
        ("postgres -c 'a=1", "postgres -c 'a=1 -c b=2", None),  # refused before: not the edit's doing
    ],
)
def test_the_verifier_reads_an_edited_command_as_compose_does(old: str, new: str, problem: str | None) -> None:
    found = command_change_problem(old, new)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def _generated(count: int) -> list[str]:
    pieces = [" ", "\t", "\r", "\n", "\\", "'", '"', "`", "$", "(", ")", ";", "&", "|", "<", ">", "#", "=", "-c",
              "2", "a", "postgres", "tcp_keepalives_idle=60", "é", "🍺"]  # fmt: skip
    rng = random.Random(20260412)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


@pytest.fixture(scope="module")
def go_shellwords(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built oracle (tests/goshellwords), or a skip saying what is missing."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed: the real go-shellwords cannot be run (the table still holds)")
    work = tmp_path_factory.mktemp("goshellwords")
    for name in ("go.mod", "go.sum", "main.go"):
        shutil.copy(ORACLE_SOURCE / name, work / name)
    built = subprocess.run(
        [go, "build", "-o", str(work / "oracle"), "."], cwd=work, capture_output=True, text=True, timeout=300, check=False
    )
    if built.returncode != 0:
        if "github.com/mattn/go-shellwords" in built.stderr and "main.go" not in built.stderr:
            last = built.stderr.strip().splitlines()[-1]
            pytest.skip(f"the module github.com/mattn/go-shellwords v1.0.12 cannot be had here: {last}")
        pytest.fail(f"go build failed:\n{built.stderr}")
    return work / "oracle"


def test_the_real_go_shellwords_agrees(go_shellwords: Path) -> None:
    lines = [line for line, _, _ in TABLE] + _generated(20000)
    done = subprocess.run(
        [str(go_shellwords)], input=json.dumps(lines), capture_output=True, text=True, timeout=120, check=True,
        env=dict(os.environ, LC_ALL="C.UTF-8"),
    )
    readings = json.loads(done.stdout)
    assert len(readings) == len(lines)
    differ = []
    for line, go in zip(lines, readings, strict=True):
        theirs = {"error": go["error"]} if go.get("error") else {"args": go["args"] or [], "position": go["position"]}
        if _ours(line) != theirs:
            differ.append((line, _ours(line), theirs))
    assert not differ, differ[:10]


def test_each_value_character_knows_where_it_is_written() -> None:
    # ShellWord.places: the string's character for each value character (an escaped one's, not
    # its backslash's), in order and inside the word's span; what lets a fix edit inside quotes.
    checked = 0
    for line in [line for line, _, _ in TABLE] + _generated(5000):
        try:
            words = split_command(line).words
        except UnsplittableCommand:
            continue
        for word in words:
            assert "".join(line[place] for place in word.places) == word.value, (line, word)
            assert list(word.places) == sorted(set(word.places))
            assert all(word.start <= place < word.end for place in word.places), (line, word)
            checked += 1
    assert checked > 1000
