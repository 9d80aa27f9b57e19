"""A JSON Schema's ``examples`` illustrate a property for its readers: no program connects with
them, and a validator does not use them (the jsonschema package accepts a value unlike every
example). A connection string there is not judged; one in the schema's ``default``, which
programs apply (ory/x configx fills in a schema's defaults), and one in any other JSON are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

CASE = Path(__file__).parent / "fixtures" / "client" / "json-schema-examples" / "before"


def test_examples_constrain_nothing_and_are_not_judged() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((CASE / "config.schema.json").read_text())
    assert schema["properties"]["dsn"]["examples"][0].startswith("postgres://")
    jsonschema.validate({"dsn": "mysql://app@other.example.com/app"}, schema)  # no example is required
    found = json.loads(run_cli(["--format", "json", "--no-cache", "--select", "PGF401", "."], CASE).stdout)
    assert [(item["path"], item["line"]) for item in found] == [
        ("config.schema.json", 16),  # the default
        ("settings.json", 2),  # no $schema: an "examples" key of some program's own
        ("settings.json", 3),
    ]
