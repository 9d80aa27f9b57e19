"""A CloudNativePG Pooler's spec.pgbouncer.parameters and a Crunchy PGO PostgresCluster's
spec.proxy.pgBouncer.config.global, read as the [pgbouncer] section each operator writes from
them (pgconf_fix.views.operator_pgbouncer), held to what a real PgBouncer loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.source import SourceFile
from pgconf_fix.views.kubernetes import cnpg_chart_views
from pgconf_fix.views.operator_pgbouncer import OperatorPgBouncer, pgo_proxy_view, pooler_view
from tests.pgbouncer_server import config_holding_what_was_read, running_pgbouncer

FIXTURES = Path(__file__).parent / "fixtures/kubernetes"
# fixture -> (its file, the function that reads one document of it)
CASES = {
    "cnpg-pooler": ("poolers.yaml", pooler_view),
    "pgo-pgbouncer-global": ("postgrescluster.yaml", pgo_proxy_view),
    "percona-pgcluster": ("cr.yaml", pgo_proxy_view),
}
KEYS = ("tcp_keepalive", "tcp_keepidle", "tcp_keepintvl", "tcp_keepcnt", "server_idle_timeout")


def _views(text: str, read=pooler_view) -> list[OperatorPgBouncer | None]:
    source = SourceFile.from_bytes(Path("/nowhere/poolers.yaml"), "poolers.yaml", text.encode())
    return [read(source, root) for root in Y.compose_documents(text)]


def test_the_section_is_what_the_operator_writes() -> None:
    (view,) = _views("apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nmetadata: {name: p}\nspec:\n  pgbouncer:\n"
                     "    parameters:\n      tcp_keepidle: '60'\n      default_pool_size: \"10\"\n      max_client_conn: 1000\n")
    assert view is not None
    # The keys sorted, each "key = value" (cloudnative-pg stringifyPgBouncerParameters).
    assert view.host.text == "[pgbouncer]\ndefault_pool_size = 10\nmax_client_conn = 1000\ntcp_keepidle = 60\n"


def test_an_empty_value_is_written_as_pgo_writes_it() -> None:
    (view,) = _views("kind: PostgresCluster\nmetadata: {name: c}\nspec:\n  proxy:\n    pgBouncer:\n      config:\n"
                     "        global: {server_check_query: '', pool_mode: transaction}\n", pgo_proxy_view)
    assert view is not None
    # internal/pgbouncer/config.go iniValueSet.String: "key =" for an empty value.
    assert view.host.text == "[pgbouncer]\npool_mode = transaction\nserver_check_query =\n"
    assert view.effective("server_check_query").value == ""


def test_a_pgo_cluster_without_a_proxy_or_with_files_of_its_own_has_no_pgbouncer_view() -> None:
    cluster = "kind: PostgresCluster\nmetadata: {name: c}\nspec:\n  postgresVersion: 16\n"
    assert _views(cluster, pgo_proxy_view) == [None]
    files = cluster + "  proxy:\n    pgBouncer:\n      config:\n        files: [{secret: {name: s}}]\n"
    assert _views(files, pgo_proxy_view) == [None]


@pytest.mark.parametrize("tree", ["before", "after"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_pgbouncer_holds_what_we_read(case: str, tree: str) -> None:
    name, read = CASES[case]
    for view in _views((FIXTURES / case / tree / name).read_text(), read):
        assert view is not None
        shown = config_holding_what_was_read(view, KEYS)
        if tree == "after":
            assert (shown["tcp_keepalive"], shown["tcp_keepidle"], shown["tcp_keepintvl"], shown["tcp_keepcnt"]) == (
                "1", "60", "10", "6")


@pytest.mark.parametrize("parameters", ["[]", "{a: [1]}", '{tcp_keepidle: "60\\n"}'])
def test_parameters_not_written_as_one_line_leave_the_pooler_unread(parameters: str) -> None:
    text = f"apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nspec:\n  pgbouncer:\n    parameters: {parameters}\n"
    assert _views(text) == [None]


@pytest.mark.parametrize("tree", ["before", "after"])
def test_pgbouncer_holds_what_we_read_from_the_cnpg_cluster_charts_poolers(tree: str) -> None:
    text = (FIXTURES / "cnpg-cluster-chart-values" / tree / "values.yaml").read_text()
    source = SourceFile.from_bytes(Path("/nowhere/values.yaml"), "values.yaml", text.encode())
    (root,) = Y.compose_documents(text)
    views = [view for view in cnpg_chart_views(source, root) if isinstance(view, OperatorPgBouncer)]
    assert len(views) == 2  # the rw and ro poolers
    for view in views:
        with running_pgbouncer(view.host.text) as bouncer:
            shown = bouncer.show_config()
        assert shown["tcp_keepidle"] == ("60" if tree == "after" else "0"), view.host.text
        assert shown["default_pool_size"] == ("25" if "default_pool_size" in view.host.text else "20")
