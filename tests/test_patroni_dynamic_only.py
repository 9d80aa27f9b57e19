"""Patroni parameters it takes from the dynamic configuration only (max_connections, wal_level, ...).

Patroni drops a local ``postgresql.parameters`` value of these (verified on Patroni 4.1.5: a
local ``max_connections: 200`` over a dynamic 100 left the server at 100 after a reload and a
restart; ``pgconf_fix.views.kubernetes.DYNAMIC_ONLY``). So a rule about one of them judges the
``bootstrap.dcs`` value, and its fix stays in ``bootstrap.dcs`` (a local value would be ignored)
with advice that a running cluster needs ``patronictl edit-config``. No built-in rule judges
these parameters; a data rule of the user's (``--rules-dir``) can.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_runner import run_cli

RULE = """
code = "ACME301"
name = "max-connections-bound"
layer = "server"
severity = "warning"
summary = "Too many connections for the pooler in front."
why = "Each backend costs memory."
fix_safety = "Safe."
options = "`limit` (default 500), `target` (default 300)."

[parameters]
limit = 500
target = 300

[check]
kind = "threshold"
setting = "max_connections"
unset_means = "the server's default of 100 applies"
maximum = "limit"
fix = "target"

[example]
before = "max_connections = 1000\\n"
after = "max_connections = 300\\n"
"""

BOTH = """\
scope: main
bootstrap:
  dcs:
    postgresql:
      parameters:
        max_connections: 1000
        tcp_keepalives_idle: 60
postgresql:
  parameters:
    max_connections: 100
"""

LOCAL_ONLY = """\
scope: main
bootstrap:
  dcs:
    postgresql:
      parameters:
        tcp_keepalives_idle: 60
postgresql:
  parameters:
    max_connections: 100
"""


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "ACME301.toml").write_text(RULE)
    (tmp_path / "both").mkdir()
    (tmp_path / "both" / "patroni.yml").write_text(BOTH)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "patroni.yml").write_text(LOCAL_ONLY)
    return tmp_path


def test_the_local_value_is_ignored_and_the_fix_stays_in_bootstrap_dcs(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    args = ["--rules-dir", "policies", "--select", "ACME301"]
    found = run_cli([*args, "--show-fixes", "both", "local"], repo).stdout.splitlines()
    assert found[0].startswith("both/patroni.yml:6:9: ACME301 max_connections = 1000 is above the maximum (500); "
                               "set it to 300 in bootstrap.dcs for a new cluster, and with patronictl edit-config")
    assert "ignores a local value" in found[0]
    assert found[1] == "    fix (safe): Set max_connections = 300 in bootstrap.dcs (a running cluster needs patronictl edit-config)"
    # A local max_connections alone is as good as unset.
    assert found[2].startswith("local/patroni.yml:")
    assert "ACME301 max_connections is not set: the server's default of 100 applies" in found[2]

    run_cli([*args, "--write", "both", "local"], repo)
    assert (repo / "both" / "patroni.yml").read_text() == BOTH.replace("max_connections: 1000", "max_connections: 300")
    assert (repo / "local" / "patroni.yml").read_text() == LOCAL_ONLY.replace(
        "        tcp_keepalives_idle: 60\n", "        tcp_keepalives_idle: 60\n        max_connections: 300\n"
    )
    assert run_cli([*args, "both", "local"], repo).code == 0
