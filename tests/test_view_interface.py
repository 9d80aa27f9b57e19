"""Every view answers get(key) -> Setting and fix(key, value) -> Fix | Refusal, whatever wrote it."""

from __future__ import annotations

from pathlib import Path

from pgconf_fix.findings import Fix
from pgconf_fix.layers import client, kernel, python, server, sql
from pgconf_fix.layers import terraform as network
from pgconf_fix.options import Options
from pgconf_fix.setting import Refusal, State
from pgconf_fix.workspace import Workspace


def views(layer, root: Path, files: dict[str, str]) -> list:  # noqa: ANN001 - a reader module
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    workspace = Workspace(root)
    sources = [workspace.load(root / name) for name in files]
    return layer.build_views(workspace, sources, Options()).views


def line(setting) -> int:  # noqa: ANN001
    return setting.location.source.position(setting.location.start)[0]


def test_server_config_set_missing_unknown_and_fix(tmp_path: Path) -> None:
    (view,) = views(server, tmp_path, {"postgresql.conf": "# top\ntcp_keepalives_idle = '2min'\nport = x\n"})
    idle = view.get("tcp_keepalives_idle", "s", number=True)
    assert (idle.state, idle.value, idle.text, idle.raw, line(idle)) == (State.SET, 120, "2min", "'2min'", 2)
    assert view.get("tcp_keepalives_count").state is State.MISSING
    assert view.get("port", number=True).state is State.UNKNOWN and view.get("port", number=True).reason
    fixed = view.fix("tcp_keepalives_idle", "60")
    assert isinstance(fixed, Fix) and fixed.message == "Set tcp_keepalives_idle = 60"
    assert isinstance(view.remove("tcp_keepalives_idle"), Refusal)


def test_kernel_missing_is_judged_and_located(tmp_path: Path) -> None:
    (view,) = views(kernel, tmp_path, {"sysctl.conf": "net.ipv4.tcp_keepalive_time = 7200\n"})
    assert view.get("net.ipv4.tcp_keepalive_time", number=True).value == 7200
    missing = view.get("net.ipv4.tcp_keepalive_probes")
    assert missing.state is State.MISSING and missing.judged and missing.location.source.path.name == "sysctl.conf"


def test_client_connection_reads_the_url_query(tmp_path: Path) -> None:
    (view,) = views(client, tmp_path, {".env": "DATABASE_URL=postgresql://db.example.com/app?keepalives_idle=900\n"})
    idle = view.get("keepalives_idle", "s", number=True)
    assert (idle.state, idle.value) == (State.SET, 900)
    assert view.get("sslmode").state is State.MISSING
    fixed = view.fix_all([("keepalives_idle", "60"), ("keepalives", "1")])
    assert isinstance(fixed, Fix) and fixed.message == "Set keepalives_idle=60, keepalives=1"


def test_pool_engine_literal_missing_and_computed(tmp_path: Path) -> None:
    code = (
        "from sqlalchemy import create_engine\n"
        "engine = create_engine('postgresql://db/app', pool_recycle=RECYCLE, pool_size=5)\n"
    )
    engines = [v for v in views(python, tmp_path, {"db.py": code}) if type(v).__name__ == "EngineView"]
    (engine,) = engines
    assert engine.get("pool_size").value == 5 and engine.get("pool_size").raw == "5"
    assert engine.get("pool_recycle").state is State.UNKNOWN
    assert engine.get("pool_pre_ping").state is State.MISSING
    assert isinstance(engine.fix("pool_pre_ping", "True"), Fix)


def test_pool_splat_makes_a_missing_key_unknown_and_refuses_to_add_it(tmp_path: Path) -> None:
    code = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/app', **OPTIONS)\n"
    (engine,) = [v for v in views(python, tmp_path, {"db.py": code}) if type(v).__name__ == "EngineView"]
    assert engine.get("pool_pre_ping").state is State.UNKNOWN
    refused = engine.fix("pool_pre_ping", "True")
    assert isinstance(refused, Refusal) and "pool_pre_ping" in refused.reason


def test_load_balancer_follows_a_variable_and_says_how(tmp_path: Path) -> None:
    tf = (
        'resource "aws_lb" "web" {\n  idle_timeout = var.idle\n}\n'
        'variable "idle" {\n  default = 60\n}\nvariable "other" {}\n'
        'resource "aws_lb" "api" {\n  idle_timeout = var.other\n}\n'
    )
    balancers = {v.address: v for v in views(network, tmp_path, {"alb.tf": tf}) if hasattr(v, "address")}
    web, api = balancers["aws_lb.web"], balancers["aws_lb.api"]
    timeout = web.get("idle_timeout")
    assert (timeout.state, timeout.value, timeout.raw, line(timeout)) == (State.SET, 60, "var.idle", 2)
    assert timeout.trail.via == ("var.idle",) and timeout.trail.where == "alb.tf:5"
    unknown = api.get("idle_timeout")
    assert unknown.state is State.UNKNOWN and unknown.reason
    assert isinstance(api.fix("idle_timeout", "4000"), Refusal)


def test_sql_statement_says_how_it_was_written_and_can_be_removed(tmp_path: Path) -> None:
    (view,) = views(sql, tmp_path, {"m.sql": "ALTER SYSTEM SET ssl_renegotiation_limit = 0;\n"})
    limit = view.get("ssl_renegotiation_limit")
    assert (limit.state, limit.how, limit.text) == (State.SET, "system", "0")
    removed = view.remove("ssl_renegotiation_limit")
    assert isinstance(removed, Fix) and removed.message == "Remove the ALTER SYSTEM statement"
