"""pgconf_fix.documents.yaml_nodes: positions from PyYAML's composer, edits as text.

Every edit is applied with the patcher's own ``apply_edits`` and the result is read
back with PyYAML (``safe_load_all``): the intended value is there, and everything
else in the document reads exactly as before; the bytes around the edit are kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.edits import apply_edits
from pgconf_fix.source import SourceFile


def source(text: str) -> SourceFile:
    return SourceFile.from_bytes(Path("/virtual/values.yaml"), "values.yaml", text.encode("utf-8"))


def applied(src: SourceFile, edits) -> str:
    text, dropped = apply_edits(src.text, edits)
    assert not dropped
    return text


def loads(text: str) -> list:
    return list(yaml.safe_load_all(text))


def test_marks_index_the_text_also_after_astral_characters() -> None:
    text = "title: \"caf\u00e9 \U0001f418\"\nport: 5432 # \u00e9\n---\nkind: Cluster\nspec: {instances: 3}\n"
    first, second = Y.compose_documents(text)
    port = Y.get(first, "port")
    assert text[slice(*Y.span(port))] == "5432"
    instances = Y.get(second, "spec", "instances")
    assert text[slice(*Y.span(instances))] == "3"
    assert Y.scalar_value(Y.get(second, "kind")) == "Cluster"


def test_a_yaml_error_has_line_and_column() -> None:
    with pytest.raises(Y.YamlError) as caught:
        Y.compose_documents("a: 1\nb: [1, 2\nc: 3\n")
    assert caught.value.line >= 2
    assert "flow sequence" in caught.value.message


def test_replace_scalar_keeps_its_quoting_and_the_comment() -> None:
    text = "params:\n  a: '7200'   # keep me\n  b: \"0\"\n  c: 0\n"
    src = source(text)
    params = Y.get(Y.compose_documents(text)[0], "params")
    edits = [
        Y.replace_scalar(src, Y.get(params, "a"), "60"),
        Y.replace_scalar(src, Y.get(params, "b"), "10"),
        Y.replace_scalar(src, Y.get(params, "c"), "6"),
    ]
    out = applied(src, edits)
    assert out == "params:\n  a: '60'   # keep me\n  b: \"10\"\n  c: 6\n"
    assert loads(out) == [{"params": {"a": "60", "b": "10", "c": 6}}]


def test_plain_value_that_would_change_type_is_quoted_when_a_string_is_needed() -> None:
    assert Y.render_scalar("60", string=True) == '"60"'
    assert Y.render_scalar("60") == "60"
    assert Y.render_scalar("on", string=True) == '"on"'  # YAML 1.1 reads plain on as true
    assert Y.render_scalar("host=db port=5432", string=True) == "host=db port=5432"
    assert Y.render_scalar("it's", style="'") == "'it''s'"


def test_insert_entries_after_the_last_line_keeps_comments_anchors_and_block_scalars() -> None:
    text = (
        "defaults: &defaults\n"
        "  max_connections: \"200\"\n"
        "cluster:\n"
        "  <<: *defaults\n"
        "  parameters:\n"
        "    shared_buffers: 1GB  # a quarter of RAM\n"
        "    # tcp_keepalives_idle: \"0\"\n"
        "  script: |\n"
        "    echo one\n"
        "      indented two\n"
        "other: x\n"
    )
    src = source(text)
    root = Y.compose_documents(text)[0]
    params = Y.get(root, "cluster", "parameters")
    out = applied(src, Y.insert_entries(src, params, [("tcp_keepalives_idle", '"60"')]))
    assert "    shared_buffers: 1GB  # a quarter of RAM\n    tcp_keepalives_idle: \"60\"\n" in out
    before, after = loads(text)[0], loads(out)[0]
    assert after["cluster"]["parameters"] == {"shared_buffers": "1GB", "tcp_keepalives_idle": "60"}
    after["cluster"]["parameters"].pop("tcp_keepalives_idle")
    assert after == before
    assert out.replace('    tcp_keepalives_idle: "60"\n', "") == text


def test_insert_entries_into_flow_mappings() -> None:
    text = "a: {x: 1}\nb: {}\nc: { }\n"
    src = source(text)
    root = Y.compose_documents(text)[0]
    edits = [
        *Y.insert_entries(src, Y.get(root, "a"), [("y", "2")]),
        *Y.insert_entries(src, Y.get(root, "b"), [("y", "2")]),
        *Y.insert_entries(src, Y.get(root, "c"), [("y", "2"), ("z", "3")]),
    ]
    out = applied(src, edits)
    assert loads(out) == [{"a": {"x": 1, "y": 2}, "b": {"y": 2}, "c": {"y": 2, "z": 3}}]
    assert out.startswith("a: {x: 1, y: 2}\n")


@pytest.mark.parametrize(
    "text",
    [
        "spec:\n    instances: 3\n",  # a four-space file: new levels use four spaces too
        "spec:\n    instances: 3\n    postgresql:\n",  # a null value becomes the mapping
        "spec:\n    instances: 3\n    postgresql: ~  # to do\n",
        "spec:\n    instances: 3\n    postgresql:\n        pg_hba: []\n",
    ],
)
def test_insert_path_creates_missing_mappings_in_the_files_step(text: str) -> None:
    src = source(text)
    root = Y.compose_documents(text)[0]
    edits = Y.insert_path(src, root, ["spec", "postgresql", "parameters"], [("tcp_keepalives_idle", '"60"')])
    out = applied(src, edits)
    data = loads(out)[0]
    assert data["spec"]["postgresql"]["parameters"] == {"tcp_keepalives_idle": "60"}
    assert data["spec"]["instances"] == 3
    assert "        parameters:\n            tcp_keepalives_idle: \"60\"" in out
    if "# to do" in text:
        assert "postgresql:  # to do\n" in out


@pytest.mark.parametrize("global_exists", [False, True])
@pytest.mark.parametrize("shallow_first", [True, False])
def test_insertions_that_meet_at_one_offset_land_in_their_own_mappings(global_exists: bool, shallow_first: bool) -> None:
    """A new ``patroni:`` chain under ``spec`` and new entries of ``proxy.pgBouncer``, which is
    spec's last value, both go where the file's last line ends: whichever fix comes first, the
    deeper mapping's entries are written first, then the chain that joins spec (was: the chain
    first, so the PgBouncer entries were read as keys of patroni.dynamicConfiguration)."""
    config = "      config:\n        global:\n          pool_mode: session\n" if global_exists else ""
    text = (
        "spec:\n  postgresVersion: 17\n  proxy:\n    pgBouncer:\n      replicas: 2\n"
        "      resources:\n        limits:\n          cpu: 200m\n" + config
    )
    src = source(text)
    root = Y.compose_documents(text)[0]
    shallow = [
        Y.insert_path(src, root, ["spec", "patroni", "dynamicConfiguration", "postgresql", "parameters"], [(key, "60")])
        for key in ("tcp_keepalives_idle", "tcp_keepalives_interval")
    ]
    deep = [
        Y.insert_path(src, root, ["spec", "proxy", "pgBouncer", "config", "global"], [(key, '"60"')])
        for key in ("tcp_keepidle", "tcp_keepintvl")
    ]
    fixes = [*shallow, *deep] if shallow_first else [*deep, *shallow]
    data = loads(applied(src, [edit for fix in fixes for edit in fix]))[0]
    pgbouncer_global = {"tcp_keepidle": "60", "tcp_keepintvl": "60"}
    if global_exists:
        pgbouncer_global = {"pool_mode": "session", **pgbouncer_global}
    assert data["spec"]["proxy"]["pgBouncer"]["config"] == {"global": pgbouncer_global}
    assert data["spec"]["patroni"] == {
        "dynamicConfiguration": {"postgresql": {"parameters": {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 60}}}
    }
    assert data["spec"]["proxy"]["pgBouncer"]["resources"] == {"limits": {"cpu": "200m"}}


def test_append_items_in_block_and_flow_style() -> None:
    text = (
        "block:\n  - postgres\n  - -c\n  - max_connections=200  # more\n"
        "flow: [\"postgres\", \"-c\", \"max_connections=200\"]\n"
    )
    src = source(text)
    root = Y.compose_documents(text)[0]
    edits = [
        *Y.append_items(src, Y.get(root, "block"), ["-c", "tcp_keepalives_idle=60"]),
        *Y.append_items(src, Y.get(root, "flow"), ['"-c"', '"tcp_keepalives_idle=60"']),
    ]
    out = applied(src, edits)
    expected = ["postgres", "-c", "max_connections=200", "-c", "tcp_keepalives_idle=60"]
    assert loads(out) == [{"block": expected, "flow": expected}]
    assert "  - max_connections=200  # more\n  - -c\n  - tcp_keepalives_idle=60\n" in out


@pytest.mark.parametrize(
    "line", ["cmd: postgres -c a=1\n", "cmd: \"postgres -c a=1\"\n", "cmd: 'postgres -c a=1'  # c\n"]
)
def test_append_to_scalar(line: str) -> None:
    src = source(line)
    node = Y.get(Y.compose_documents(line)[0], "cmd")
    out = applied(src, Y.append_to_scalar(src, node, " -c b='x y'"))
    assert loads(out) == [{"cmd": "postgres -c a=1 -c b='x y'"}]


def test_multi_document_streams_are_edited_per_document() -> None:
    text = "kind: A\nparameters:\n  x: \"1\"\n---\n# second\nkind: B\nparameters:\n  x: \"2\"\n...\n"
    src = source(text)
    docs = Y.compose_documents(text)
    out = applied(src, Y.insert_entries(src, Y.get(docs[1], "parameters"), [("y", '"3"')]))
    assert loads(out) == [{"kind": "A", "parameters": {"x": "1"}}, {"kind": "B", "parameters": {"x": "2", "y": "3"}}]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_block_text_maps_value_offsets_to_the_file(newline: str) -> None:
    text = newline.join(
        [
            "primary:",
            "  extendedConfiguration: |-",
            "    max_connections = 200",
            "",
            "    tcp_keepalives_idle = 7200   # two hours",
            "  persistence: {size: 8Gi}",
            "",
        ]
    )
    src = source(text)
    node = Y.get(Y.compose_documents(text)[0], "primary", "extendedConfiguration")
    block = Y.BlockText.of(src, node)
    assert block is not None
    at = block.text.index("7200")
    assert text[block.to_file(at) : block.to_file(at + 4)] == "7200"
    out = applied(src, [block.edit(at, at + 4, "60")])
    value = loads(out)[0]["primary"]["extendedConfiguration"]
    assert value == "max_connections = 200\n\ntcp_keepalives_idle = 60   # two hours"


def test_block_text_appends_lines_with_the_block_indentation() -> None:
    text = "data:\n  postgresql.conf: |\n    max_connections = 200\n  other: 1\n"
    src = source(text)
    node = Y.get(Y.compose_documents(text)[0], "data", "postgresql.conf")
    block = Y.BlockText.of(src, node)
    assert block is not None
    end = len(block.text)
    out = applied(src, [block.edit(end, end, "\n# added\ntcp_keepalives_idle = 60\n")])
    data = loads(out)[0]["data"]
    assert data == {"postgresql.conf": "max_connections = 200\n\n# added\ntcp_keepalives_idle = 60\n", "other": 1}


def test_block_text_refuses_folded_scalars() -> None:
    text = "a: >\n  folded\n  text\n"
    node = Y.get(Y.compose_documents(text)[0], "a")
    assert Y.BlockText.of(source(text), node) is None


def _chain(levels: int, fan: int) -> str:
    """A mapping ``a0`` holding ``key``, and ``a1..a<levels>`` each merging the one before
    ``fan`` times (``<<: [*a0, *a0]``); ``top`` merges the last and sets ``own``."""
    lines = ["a0: &a0", "  key: found", "  other: 1"]
    for level in range(1, levels + 1):
        lines += [f"a{level}: &a{level}", f"  <<: [{', '.join([f'*a{level - 1}'] * fan)}]", f"  k{level}: {level}"]
    return "\n".join([*lines, "top:", f"  <<: *a{levels}", "  own: yes", ""])


@pytest.mark.parametrize(("levels", "fan"), [(5000, 1), (60, 2)])
def test_merge_keys_are_followed_without_recursion_or_revisits(levels: int, fan: int) -> None:
    """A chain of merges thousands deep (Python's recursion limit is 1,000) and merges that fan
    out at every level (2**60 paths) are each read in one pass: merged_entry finds the deepest
    key, merged_items lists every key once."""
    (root,) = Y.compose_documents(_chain(levels, fan))
    top = Y.get(root, "top")
    found = Y.merged_entry(top, "key")
    assert found is not None and found[1].value == "found"
    assert Y.merged_entry(top, "missing") is None
    names = [key.value for key, _ in Y.merged_items(top)]
    assert sorted(names) == sorted(["own", "key", "other", *(f"k{level}" for level in range(1, levels + 1))])
