"""compose's interpolation of a string, as pgconf_fix.documents.compose_interpolation reads it.

The expected values in ``SUBSTITUTED`` are what compose-go's own ``template.Substitute`` returned
for each string (compose-spec/compose-go at e70e961, ``template/template.go`` built with Go 1.19
as a small program, its logging call removed, with SET=v and EMPTY="" in the environment and
UNSET unset), so the table stands for compose itself. The same program and
``substitute`` agreed on 150,000 random strings of ``$ { } : - + ?``, names, blanks and newlines
(errors compared as "refused or not"); that oracle is not in the repository (it is compose-go's
code), only its answers are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix.documents.compose_interpolation import (
    PLACEHOLDER,
    InvalidInterpolation,
    MissingRequired,
    escape_dollars,
    interpolate,
    substitute,
)
from pgconf_fix.verify.compose import command_change_problem

ENVIRONMENT = {"SET": "v", "EMPTY": ""}

SUBSTITUTED = [
    ("postgres -c tcp_keepalives_idle=$$IDLE", "postgres -c tcp_keepalives_idle=$IDLE"),
    ("$${SET}", "${SET}"),
    ("$$$SET", "$v"),
    ("a $SET b", "a v b"),
    ("a ${SET} b", "a v b"),
    ("${UNSET}", ""),
    ("$UNSET", ""),
    ("${UNSET:-7200}", "7200"),
    ("${EMPTY:-7200}", "7200"),
    ("${UNSET-7200}", "7200"),
    ("${EMPTY-7200}", ""),
    ("${SET:-7200}", "v"),
    ("${SET:+on}", "on"),
    ("${EMPTY:+on}", ""),
    ("${EMPTY+on}", "on"),
    ("${UNSET+on}", ""),
    ("${UNSET:-${SET}x}", "vx"),
    ("${UNSET:-a}}", "a}"),
    ("${UNSET:-{b}}", "{b}"),
    ("$(cat /run/idle)", "$(cat /run/idle)"),
    ("$1 $ $", "$1 $ $"),
    ("cost=$", "cost=$"),
    ("${SET}_suffix", "v_suffix"),
    ("$SET_suffix", ""),
    ("${EMPTY?need it}", ""),
    ("${UNSET:-$$}", "$"),
]


@pytest.mark.parametrize(("raw", "expected"), SUBSTITUTED)
def test_substitute_as_compose_go(raw: str, expected: str) -> None:
    assert substitute(raw, ENVIRONMENT) == expected


@pytest.mark.parametrize("raw", ["${}", "${1}", "${A B}", "${UNSET:-x\n}", "${UNSET", "a ${UNSET:-60 -c x=1"])
def test_refused_as_compose_go(raw: str) -> None:
    with pytest.raises(InvalidInterpolation) as error:
        substitute(raw, ENVIRONMENT)
    assert error.value.offset == raw.index("${")


@pytest.mark.parametrize("raw", ["${UNSET:?need it}", "${EMPTY:?need it}", "${UNSET?need it}"])
def test_required_without_value(raw: str) -> None:
    with pytest.raises(MissingRequired):
        substitute(raw, ENVIRONMENT)


def test_static_reading_keeps_variables_unknown() -> None:
    raw = "postgres -c a=$$X -c b=${IDLE:-7200} ${FLAGS}"
    reading = interpolate(raw)
    assert reading.text == f"postgres -c a=$X -c b={PLACEHOLDER} {PLACEHOLDER}"
    idle, flags = reading.variables
    assert (idle.name, idle.operator, idle.default(), idle.written) == ("IDLE", ":-", "7200", "${IDLE:-7200}")
    assert (flags.name, flags.default()) == ("FLAGS", None)
    # Every character of the reading knows where it is written.
    dollar = reading.text.index("$X")
    assert reading.raw_span(dollar, dollar + 2) == (raw.index("$$X"), raw.index("$$X") + 3)
    assert not reading.one_to_one(dollar, dollar + 2)
    assert reading.variables_in(0, len(reading.text)) == (idle, flags)
    assert raw[idle.argument_start : idle.end - 1] == "7200"


@pytest.mark.parametrize(("raw", "default"), [("${A:-$$x}", "$x"), ("${A-}", ""), ("${A:-${B}}", None),
                                              ("${A:+x}", None), ("${A:?x}", None), ("$A", None)])
def test_default_is_only_what_is_known(raw: str, default: str | None) -> None:
    assert interpolate(raw).variables[0].default() == default


def test_escape_dollars_reads_back() -> None:
    text = "log_line_prefix=$ %m ${X} $$"
    assert substitute(escape_dollars(text), {}) == text


def test_verifier_reads_the_interpolated_command() -> None:
    # Adding a flag after a "$$": the other arguments are the same once interpolated.
    assert command_change_problem("postgres -c a=$$x", "postgres -c a=$$x -c b=1") is None
    # An edit that leaves a "${" compose cannot read is refused.
    assert "interpolate" in (command_change_problem("postgres -c a=1", "postgres -c a=${") or "")
    # An edit that turns "$$X" into a variable changes an argument other than a flag.
    assert command_change_problem("postgres $$HOME", "postgres $HOME") is not None


def test_the_registry_asks_compose_about_yaml_files_only(tmp_path) -> None:
    """compose's verifier is registered in ``pgconf_fix.verify`` and its module imported on the
    first YAML trial (issue 18: a run on other files does not load it); it still refuses an
    edit that breaks a compose command, and only in a YAML file."""
    from pgconf_fix.source import SourceFile
    from pgconf_fix.verify import Trial, refusal

    old = "services:\n  db:\n    image: postgres\n    command: postgres -c a=1\n"
    new = old.replace("a=1", "a=1 -c b=${")
    for name, refused in (("compose.yaml", True), ("compose.yml", True), ("notes.txt", False)):
        source = SourceFile.from_bytes(tmp_path / name, name, old.encode())
        reason = refusal(Trial(source, new), costly=False)
        if refused:
            assert reason is not None and reason.startswith("the edited compose command does not read as intended: ")
            assert "interpolate" in reason
        else:
            assert reason is None


def test_a_file_with_compose_tags_still_has_its_commands_verified() -> None:
    """!reset and !override (compose-go loader/reset.go) are tags PyYAML's safe loader refuses:
    the command verifier read such a file as no YAML and let any edit of its commands pass."""
    from pgconf_fix.source import SourceFile
    from pgconf_fix.verify import Trial
    from pgconf_fix.verify.compose import compose_commands_split

    old = (
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=50\n"
        "    ports: !reset []\n  web:\n    environment: !override {A: '1'}\n    command: !reset null\n"
    )
    source = SourceFile.from_bytes(Path("/nowhere/compose.yaml"), "compose.yaml", old.encode())
    broken = old.replace("max_connections=50\n", "max_connections=50; -c tcp_keepalives_idle=60\n")
    assert "stops at the ';'" in (compose_commands_split(Trial(source, broken)) or "")
    kept = old.replace("max_connections=50\n", "max_connections=50 -c tcp_keepalives_idle=60\n")
    assert compose_commands_split(Trial(source, kept)) is None
