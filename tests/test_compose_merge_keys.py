"""A compose service whose fields come through a YAML merge key (``<<: *anchor``) is read as
compose reads it. compose-go (e70e961, loader/reset.go) leaves a ``!reset`` entry out of its
mapping, then decodes the document with go.yaml.in/yaml/v4, which applies merge keys.

The answers in DECODED are that decoder's (v4.0.0-rc.4, the version compose-go requires), built as
a throwaway Go program that decodes the file into an interface{} and prints each service's
image, user, entrypoint and command as JSON; the ``!reset`` case's answer is the decoder's on the
same text without the ``!reset`` line, which is what compose-go hands it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from yaml.nodes import ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.compose_services import service_value, services
from tests.cli_runner import run_cli

ANCHORED = "x-pg: &pg {image: postgres:16}\nservices:\n  db:\n    <<: *pg\n    command: postgres -c tcp_keepalives_idle=7200\n"
ORDERED = """x-base: &base
  image: postgres:15
  user: postgres
x-pg: &pg
  image: postgres:16
  command: ["postgres", "-c", "tcp_keepalives_idle=7200"]
x-nested: &nested
  <<: *pg
  user: "70"
services:
  own-wins:
    <<: *pg
    image: postgres:14
  first-of-list:
    <<: [*pg, *base]
  second-of-list:
    <<: [*base, *pg]
  nested:
    <<: *nested
  inline:
    <<: {image: "postgres:13", command: postgres -c tcp_keepalives_count=0}
"""
RESET = """x-pg: &pg
  image: postgres:16
  command: postgres -c tcp_keepalives_idle=60
x-self: &self
  <<: *pg
  user: postgres
services:
  reset-falls-back:
    <<: *pg
    command: !reset null
  other:
    <<: [*self]
    entrypoint: ["postgres"]
  plain:
    image: redis:7
"""
_CMD = ["postgres", "-c", "tcp_keepalives_idle=7200"]
DECODED = {
    ANCHORED: {"db": {"command": "postgres -c tcp_keepalives_idle=7200", "image": "postgres:16"}},
    ORDERED: {
        "own-wins": {"command": _CMD, "image": "postgres:14"},
        "first-of-list": {"command": _CMD, "image": "postgres:16", "user": "postgres"},
        "second-of-list": {"command": _CMD, "image": "postgres:15", "user": "postgres"},
        "nested": {"command": _CMD, "image": "postgres:16", "user": "70"},
        "inline": {"command": "postgres -c tcp_keepalives_count=0", "image": "postgres:13"},
    },
    RESET: {
        "reset-falls-back": {"command": "postgres -c tcp_keepalives_idle=60", "image": "postgres:16"},
        "other": {"command": "postgres -c tcp_keepalives_idle=60", "entrypoint": ["postgres"], "image": "postgres:16",
                  "user": "postgres"},
        "plain": {"image": "redis:7"},
    },
}


def _plain(node: object) -> object:
    if isinstance(node, SequenceNode):
        return [_plain(item) for item in node.value]
    assert isinstance(node, ScalarNode)
    return node.value


@pytest.mark.parametrize("text", list(DECODED))
def test_a_service_is_read_through_its_merge_keys_as_the_decoder_reads_it(text: str) -> None:
    (root,) = Y.compose_documents(text)
    read = {
        name.value: {key: _plain(value) for key in ("image", "user", "entrypoint", "command")
                     if (value := service_value(service, key)) is not None}
        for name, service in services(root)
    }
    assert read == DECODED[text]


def test_a_merged_image_makes_the_service_postgres(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(ANCHORED)
    (tmp_path / "postgresql.conf").write_text("ssl_renegotiation_limit = 512MB\n")
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    flags = sorted((item["code"], item["line"]) for item in found if item["path"] == "compose.yaml")
    assert flags == [("PGF101", 5), ("PGF102", 5), ("PGF103", 5)], found
    # the major of the postgresql.conf beside it is the merged image's
    (renegotiation,) = [item for item in found if item["code"] == "PGF104"]
    assert "PostgreSQL 16 accepts only a plain 0" in renegotiation["message"], renegotiation


def test_a_merged_entrypoint_that_starts_postgres_as_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        'x-pg: &pg {image: postgres:16, entrypoint: ["postgres", "-c", "tcp_keepalives_idle=60"]}\n'
        "services:\n  db:\n    <<: *pg\n  ok:\n    <<: *pg\n    user: postgres\n"
    )
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    refused = [item for item in found if item["code"] == "PGF001"]
    assert len(refused) == 1 and "compose service db" in refused[0]["message"], found
    assert "as root" in refused[0]["message"]
    assert {item["code"] for item in found} == {"PGF001", "PGF102", "PGF103"}, found


def test_a_merged_image_in_the_tree_gives_a_conf_its_major(tmp_path: Path) -> None:
    from pgconf_fix.versions import PgVersion, version_near

    (tmp_path / "docker-compose.yml").write_text(
        "x-old: &old\n  image: postgres:12\nx-pg: &pg {image: postgres:16}\nservices:\n  db: {<<: *pg}\n"
    )
    conf = tmp_path / "postgresql.conf"
    conf.write_text("")
    # the block-style image of x-old is no service's, and no service is postgres:12
    assert version_near(conf) == (PgVersion(16), "the image postgres:16 in docker-compose.yml")


def test_a_merge_chain_deeper_than_pythons_recursion_limit_is_no_traceback(tmp_path: Path) -> None:
    """A service whose image comes through 3,000 merged anchors: compose-go's decoder refuses
    the file (excessive aliasing: PGF001), and reading its image for the major of the
    postgresql.conf beside it, or for Swarm's timers, ended in a RecursionError traceback
    (compose_services' own recursive merge search); now it is read in one pass."""
    lines = ["x-a0: &a0", "  image: postgres:16"]
    for level in range(1, 3000):
        lines += [f"x-a{level}: &a{level}", f"  <<: *a{level - 1}"]
    lines += ["services:", "  db:", "    <<: *a2999", "    command: postgres -c tcp_keepalives_idle=7200", ""]
    (tmp_path / "compose.yaml").write_text("\n".join(lines))
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 7200\n")
    outcome = run_cli(["--format", "json", "."], tmp_path)
    assert "Traceback" not in outcome.stderr and outcome.code == 1, outcome.stderr
    found = {(item["path"], item["code"]) for item in json.loads(outcome.stdout)}
    assert ("compose.yaml", "PGF001") in found and ("postgresql.conf", "PGF101") in found
