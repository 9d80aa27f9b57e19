"""A compose file PyYAML refuses but compose's YAML decoder reads (a DEL or C1 control
character, a key over 1024 characters) is PGF004, not-checked: compose runs it, pgconf-fix could
not read it. What both refuse stays PGF001, and so does a file compose refuses for another reason.

The verdicts in CASES are go.yaml.in/yaml/v4's (v4.0.0-rc.4, the version compose-go e70e961
requires; a throwaway Go program decoding each document into an interface{}, as compose-go's
loader does): "ok" for every case called PGF004 here, an error for every case called PGF001."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

SERVICE = "services:\n  db:\n    image: postgres:16\n    command: postgres -c tcp_keepalives_idle=7200\n"
LONG = "k" * 1100
EDGE = "k" * 1024
CASES = {
    # compose.yaml -> (code, line)
    SERVICE + "    labels:\n      note: a\x7fb\n": ("PGF004", 6),
    "# caf\x80\n" + SERVICE: ("PGF004", 1),
    SERVICE + "    labels:\n      note: 'a\x9fb'\n": ("PGF004", 6),
    SERVICE + '    labels:\n      note: "a\x84b"\n': ("PGF004", 6),
    SERVICE + "    labels:\n      n\x86te: x\n": ("PGF004", 6),
    SERVICE + f"    labels:\n      {LONG}: v\n": ("PGF004", 6),
    SERVICE + f'    labels:\n      "{LONG}": v\n': ("PGF004", 6),
    SERVICE + f"    labels:\n      {LONG}: \x90\n": ("PGF004", 6),
    SERVICE + f'    labels:\n      "{EDGE}": v\n      {EDGE}x: w\n': ("PGF004", 6),  # quoted, 1026 characters
    # the decoder refuses these too: a C0 control; a key repeated (once quoted); an unclosed quote
    SERVICE + "    labels:\n      note: a\x01\x80b\n": ("PGF001", 1),
    SERVICE + f'    labels:\n      {LONG}: v\n      "{LONG}": w\n': ("PGF001", 6),
    SERVICE + '    labels:\n      note: "a\x80b\n': ("PGF001", 1),
    SERVICE + f'    labels:\n      "{EDGE}": v\n      {EDGE}: w\n': ("PGF001", 6),  # the same key, PyYAML reads the second
}


@pytest.mark.parametrize("text", list(CASES))
def test_what_only_compose_reads_is_not_checked(tmp_path: Path, text: str) -> None:
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    code, line = CASES[text]
    assert [(item["code"], item["line"]) for item in found] == [(code, line)], found
    if code == "PGF004":
        assert "compose's YAML decoder (go.yaml.in/yaml/v4) reads this file" in found[0]["message"]
        assert LONG not in found[0]["message"]  # the file's text is not quoted


def test_a_file_without_services_is_not_called_compose_s(tmp_path: Path) -> None:
    # Read as YAML for its name, but no document of it is a compose file: whose decoder reads it
    # is not known, so PyYAML's refusal stands.
    (tmp_path / "docker-compose.yml").write_text("x-note: a\x7fb\n", encoding="utf-8")
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    assert [item["code"] for item in found] == ["PGF001"], found
