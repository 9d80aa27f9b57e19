"""A CloudNativePG Pooler's spec.pgbouncer.parameters, read as the [pgbouncer] section the
operator writes from them (pgconf_fix.views.cnpg_pooler), held to what a real PgBouncer loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.source import SourceFile
from pgconf_fix.views.cnpg_pooler import PoolerPgBouncer, pooler_view
from tests.pgbouncer_server import running_pgbouncer

FIXTURE = Path(__file__).parent / "fixtures/kubernetes/cnpg-pooler"
KEYS = ("tcp_keepalive", "tcp_keepidle", "tcp_keepintvl", "tcp_keepcnt", "server_idle_timeout")


def _views(text: str) -> list[PoolerPgBouncer | None]:
    source = SourceFile.from_bytes(Path("/nowhere/poolers.yaml"), "poolers.yaml", text.encode())
    return [pooler_view(source, root) for root in Y.compose_documents(text)]


def test_the_section_is_what_the_operator_writes() -> None:
    (view,) = _views("apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nmetadata: {name: p}\nspec:\n  pgbouncer:\n"
                     "    parameters:\n      tcp_keepidle: '60'\n      default_pool_size: \"10\"\n      max_client_conn: 1000\n")
    assert view is not None
    # The keys sorted, each "key = value" (cloudnative-pg stringifyPgBouncerParameters).
    assert view.host.text == "[pgbouncer]\ndefault_pool_size = 10\nmax_client_conn = 1000\ntcp_keepidle = 60\n"


@pytest.mark.parametrize("tree", ["before", "after"])
def test_pgbouncer_holds_what_we_read(tree: str) -> None:
    for view in _views((FIXTURE / tree / "poolers.yaml").read_text()):
        assert view is not None and not view.problems
        with running_pgbouncer(view.host.text) as bouncer:
            shown = bouncer.show_config()
        for key in KEYS:
            current = view.effective(key)
            if current is not None:
                assert float(shown[key]) == float(current.value), (tree, key)
        if tree == "after":
            assert (shown["tcp_keepalive"], shown["tcp_keepidle"], shown["tcp_keepintvl"], shown["tcp_keepcnt"]) == (
                "1", "60", "10", "6")


@pytest.mark.parametrize("parameters", ["[]", "{a: [1]}", '{tcp_keepidle: "60\\n"}'])
def test_parameters_not_written_as_one_line_leave_the_pooler_unread(parameters: str) -> None:
    text = f"apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nspec:\n  pgbouncer:\n    parameters: {parameters}\n"
    assert _views(text) == [None]
