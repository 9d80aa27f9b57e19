"""A compose file that repeats a key in one mapping: compose's YAML decoder (go.yaml.in/yaml/v4,
UniqueKeys on) refuses the file, where PyYAML keeps the last value. The answers in CASES are that
decoder's (v4.0.0-rc.4, the version compose-go e70e961 requires, built as a throwaway and run
on each text, as compose-go's loader decodes every document)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

CASES = {
    # compose.yaml -> the line of each repeated key the decoder names ([] when it decodes the file)
    "services:\n  db:\n    image: postgres:16\n  db:\n    image: postgres:15\n": [4],
    "services:\n  db:\n    image: postgres:16\n    environment:\n      A: 1\n      A: 2\n": [6],
    "x: &a {p: 1}\ny: &b {q: 2}\nservices:\n  db:\n    <<: *a\n    <<: *b\n    image: postgres:16\n": [6],
    "services:\n  db:\n    image: postgres:16\n    labels:\n      1: a\n      \"1\": b\n": [6],  # same text
    "services:\n  db:\n    image: postgres:16\n    labels:\n      a: 1\n      ? a\n      : 2\n": [6],
    "services:\n  db:\n    image: postgres:16\n    labels:\n      0x1: a\n      1: b\n": [],  # not the same text
    "services:\n  db:\n    <<: {image: postgres:15}\n    image: postgres:16\n": [],  # a merge is overridden
    "services:\n  db:\n    image: postgres:16\n---\nservices:\n  db:\n    image: postgres:16\n": [],  # two documents
}


@pytest.mark.parametrize("text", list(CASES))
def test_a_repeated_key_is_pgf001_as_compose_refuses_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    found = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF001", "."], tmp_path).stdout)
    assert [item["line"] for item in found] == CASES[text], found
    assert all("already defined at line" in item["message"] and "compose refuses" in item["message"] for item in found)


def test_the_settings_of_a_refused_file_are_not_judged(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c tcp_keepalives_idle=7200\n"
        "    image: postgres:16\n"
    )
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    assert [item["code"] for item in found] == ["PGF001"], found


def test_a_repeated_key_in_a_merged_mapping_that_may_never_be_decoded_is_not_called_refused(tmp_path: Path) -> None:
    # The decoder skips the merged "a" (the mapping sets a itself), so its repeated c is never
    # decoded: the file is accepted (checked on the decoder).
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n  a: 1\n  <<:\n    a: {c: 1, c: 2}\n"
    )
    found = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF001", "."], tmp_path).stdout)
    assert found == []
