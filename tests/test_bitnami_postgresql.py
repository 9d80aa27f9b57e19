"""bitnami/postgresql's keepalive settings from a compose service's environment
(pgconf_fix.views.bitnami_postgresql), held to the real server.

No container runtime runs here, so the image's setup is done as its libpostgresql.sh does it
(read in bitnami/containers): for each POSTGRESQL_TCP_KEEPALIVES_* variable set and not empty,
the server's own sample line of the parameter becomes ``name = 'value'``; then ``postgres -C``
says what the server reads. The compose file is read with PyYAML, apart from pgconf-fix's reader.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli_runner import run_cli

COMPOSE = """services:
  db:
    image: bitnami/postgresql:16.4.0-debian-12-r0
    environment:
      POSTGRESQL_PASSWORD: hunter2
      POSTGRESQL_TCP_KEEPALIVES_IDLE: "7200"
  listed:
    image: docker.io/bitnami/postgresql:15
    environment:
      - POSTGRESQL_TCP_KEEPALIVES_IDLE=60
      - POSTGRESQL_TCP_KEEPALIVES_INTERVAL=75
  mounted:  # a postgresql.conf mounted in /bitnami/postgresql/conf decides
    image: bitnami/postgresql:16
    volumes:
      - ./conf:/bitnami/postgresql/conf
    environment:
      POSTGRESQL_TCP_KEEPALIVES_IDLE: "7200"
  plain:  # nothing set: not judged, as the official image without -c flags
    image: bitnami/postgresql:16
"""
KEYS = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")


def _setup_conf(sample: str, environment: dict[str, str] | list[str]) -> str:
    """The postgresql.conf bitnami's postgresql_configure_connections leaves (see the module)."""
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    text = sample
    for key in KEYS:
        value = str(environment.get(f"POSTGRESQL_{key.upper()}", ""))
        if value:
            text, count = re.subn(rf"(?m)^#*\s*{key}\s*=.*$", f"{key} = '{value}'", text)
            assert count == 1
    return text


def _server_reads(pg_server, tmp_path: Path, compose: str, service: str) -> dict[str, str]:
    sharedir = subprocess.run([str(pg_server.bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False).stdout.strip()
    sample = Path(sharedir, "postgresql.conf.sample")
    if not sample.exists():
        sample = next(Path(pg_server.bindir).parent.rglob("postgresql.conf.sample"))
    conf = tmp_path / f"conf-{service}"
    conf.mkdir()
    environment = yaml.safe_load(compose)["services"][service]["environment"]
    (conf / "postgresql.conf").write_text(_setup_conf(sample.read_text(), environment))
    read = {}
    for key in KEYS:
        code, value = pg_server.config_value(conf, key)
        assert code == 0, value
        read[key] = value
    return read


def test_the_environment_bitnami_writes_is_judged_and_fixed(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    got = sorted((item["line"], item["code"]) for item in found)
    assert got == [(4, "PGF102"), (4, "PGF103"), (6, "PGF101"), (9, "PGF103"), (11, "PGF102")], found
    assert all(item["fix"]["applicability"] == "safe" for item in found)
    assert "compose service db, which bitnami/postgresql writes into postgresql.conf" in found[0]["message"]
    assert "hunter2" not in json.dumps(found)
    run_cli(["--write", "."], tmp_path)
    written = (tmp_path / "compose.yaml").read_text()
    again = run_cli(["--write", "."], tmp_path)
    assert "Fixed 0 findings" in again.stdout and (tmp_path / "compose.yaml").read_text() == written
    services = yaml.safe_load(written)["services"]
    assert services["db"]["environment"] == {
        "POSTGRESQL_PASSWORD": "hunter2", "POSTGRESQL_TCP_KEEPALIVES_IDLE": "60",
        "POSTGRESQL_TCP_KEEPALIVES_INTERVAL": "10", "POSTGRESQL_TCP_KEEPALIVES_COUNT": "6",
    }  # fmt: skip
    assert services["listed"]["environment"] == [
        "POSTGRESQL_TCP_KEEPALIVES_IDLE=60", "POSTGRESQL_TCP_KEEPALIVES_INTERVAL=10", "POSTGRESQL_TCP_KEEPALIVES_COUNT=6",
    ]  # fmt: skip
    assert services["mounted"] == yaml.safe_load(COMPOSE)["services"]["mounted"]
    assert "environment" not in services["plain"]


def test_the_server_reads_what_the_setup_writes_before_and_after(tmp_path: Path) -> None:
    from tests.pg_server import require_server

    server = require_server()
    (tmp_path / "before").mkdir()
    before = _server_reads(server, tmp_path / "before", COMPOSE, "db")
    assert before == {"tcp_keepalives_idle": "7200", "tcp_keepalives_interval": "0", "tcp_keepalives_count": "0"}
    work = tmp_path / "work"
    work.mkdir()
    (work / "compose.yaml").write_text(COMPOSE)
    run_cli(["--write", "."], work)
    written = (work / "compose.yaml").read_text()
    (tmp_path / "after").mkdir()
    for service in ("db", "listed"):
        after = _server_reads(server, tmp_path / "after", written, service)
        assert after == {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6"}, service


@pytest.mark.parametrize(
    "extra",
    [
        "    env_file: [db.env]\n",
        "    entrypoint: [/bin/sh]\n",
        "    command: [postgres, -c, tcp_keepalives_idle=60]\n",
        "    build: .\n",
        "    volumes: [\"pg-conf:/opt/bitnami/postgresql/conf\"]\n",
        "    volumes: [{type: bind, source: ./extra, target: /bitnami/postgresql/conf/conf.d}]\n",
    ],
)
def test_a_service_whose_setup_may_not_write_the_environment_is_not_read(extra: str, tmp_path: Path) -> None:
    text = "services:\n  db:\n    image: bitnami/postgresql:16\n" + extra + "    environment:\n      POSTGRESQL_TCP_KEEPALIVES_IDLE: 7200\n"
    (tmp_path / "compose.yaml").write_text(text)
    found = json.loads(run_cli(["--format", "json", "--select", "PGF101", "."], tmp_path).stdout)
    assert found == [], found  # 7200 in the environment is not read (a command's own -c flags are: 60)


def test_a_value_the_setup_would_change_leaves_the_service_unread(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: bitnami/postgresql:16\n    environment:\n      POSTGRESQL_TCP_KEEPALIVES_IDLE: \"72'00\"\n"
    )
    outcome = run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path)
    assert (outcome.code, json.loads(outcome.stdout), outcome.stderr) == (0, [], "")


STATEFUL_SET = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: postgresql
          image: docker.io/bitnami/postgresql:16.4.0-debian-12-r0
          env:
            - name: POSTGRESQL_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
            - name: POSTGRESQL_TCP_KEEPALIVES_IDLE
              value: "7200"
"""


def _env_written_twice(tmp_path: Path) -> list[dict[str, str]]:
    """``--write`` on db.yaml, whose container then holds the three variables at 60/10/6 after
    its first item; a second ``--write`` fixes 0 and leaves the file as it is. The env list."""
    run_cli(["--write", "."], tmp_path)
    written = (tmp_path / "db.yaml").read_text()
    env = yaml.safe_load(written)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[1:] == [
        {"name": "POSTGRESQL_TCP_KEEPALIVES_IDLE", "value": "60"},
        {"name": "POSTGRESQL_TCP_KEEPALIVES_INTERVAL", "value": "10"},
        {"name": "POSTGRESQL_TCP_KEEPALIVES_COUNT", "value": "6"},
    ]
    assert "Fixed 0 findings" in run_cli(["--write", "."], tmp_path).stdout
    assert (tmp_path / "db.yaml").read_text() == written
    return env


def test_a_kubernetes_container_of_bitnami_postgresql_is_read_from_its_env(tmp_path: Path) -> None:
    """The same setup in a StatefulSet's container: judged, fixed in its env list (new items in
    the list's form), and the server then reads 60/10/6; another variable's valueFrom is fine."""
    from tests.pg_server import require_server

    (tmp_path / "db.yaml").write_text(STATEFUL_SET)
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    assert sorted((item["line"], item["code"]) for item in found) == [(16, "PGF102"), (16, "PGF103"), (20, "PGF101")], found
    env = _env_written_twice(tmp_path)
    server = require_server()
    compose_like = yaml.safe_dump({"services": {"db": {"environment": {item["name"]: item["value"] for item in env[1:]}}}})
    assert _server_reads(server, tmp_path, compose_like, "db") == {
        "tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('              value: "7200"\n', "              value: 7200\n"),  # a number: the API server refuses the pod
        ('              value: "7200"\n', "              valueFrom: {configMapKeyRef: {name: db, key: idle}}\n"),
        ("          env:\n", "          command: [/bin/sh]\n          env:\n"),
        ("          env:\n", "          volumeMounts: [{name: conf, mountPath: /bitnami/postgresql/conf}]\n          env:\n"),
        ("          env:\n", "          envFrom: [{configMapRef: {name: db}}]\n          env:\n"),
    ],
)
def test_a_kubernetes_container_whose_setup_may_not_write_its_env_is_not_read(old: str, new: str, tmp_path: Path) -> None:
    (tmp_path / "db.yaml").write_text(STATEFUL_SET.replace(old, new))
    found = json.loads(run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path).stdout)
    assert found == [], found


@pytest.mark.parametrize(
    "environment",
    [
        "    environment:\n      POSTGRESQL_TCP_KEEPALIVES_IDLE:\n      POSTGRESQL_TCP_KEEPALIVES_INTERVAL: \"10\"\n",
        "    environment:\n      - POSTGRESQL_TCP_KEEPALIVES_IDLE\n      - POSTGRESQL_TCP_KEEPALIVES_INTERVAL=10\n",
    ],
)
def test_a_variable_compose_takes_from_the_shell_leaves_the_service_unread(environment: str, tmp_path: Path) -> None:
    """A variable named without a value (a map's null, a list item without '=') is the shell's
    value when compose runs, unset when the shell has none (compose specification, services
    environment): its value is not here, so the settings are not called missing (before: PGF101
    'not set', and a fix dropped with a warning because it wrote the variable a second time)."""
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: bitnami/postgresql:16\n" + environment)
    outcome = run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path)
    assert (outcome.code, json.loads(outcome.stdout), outcome.stderr) == (0, [], "")


EMPTY_VALUES = """services:
  db:
    image: bitnami/postgresql:16
    environment:
      POSTGRESQL_TCP_KEEPALIVES_IDLE: ""
      POSTGRESQL_TCP_KEEPALIVES_INTERVAL: "10"
      POSTGRESQL_TCP_KEEPALIVES_COUNT: "6"
  listed:
    image: bitnami/postgresql:16
    environment:
      - POSTGRESQL_TCP_KEEPALIVES_IDLE=
      - POSTGRESQL_TCP_KEEPALIVES_INTERVAL=10
      - POSTGRESQL_TCP_KEEPALIVES_COUNT=6
"""


def test_an_empty_variable_is_fixed_where_it_is_written(tmp_path: Path) -> None:
    """An empty value writes nothing (the kernel's 7200 s applies): PGF101, fixed by giving that
    variable its value. Before: the fix added the variable again, a duplicate key or item the
    re-parse refused ('a fix was dropped'), so nothing was fixable."""
    from tests.pg_server import require_server

    (tmp_path / "compose.yaml").write_text(EMPTY_VALUES)
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    assert sorted((item["line"], item["code"], item["fix"]["applicability"]) for item in found) == [
        (4, "PGF101", "safe"), (10, "PGF101", "safe"),
    ], found  # fmt: skip
    outcome = run_cli(["--write", "."], tmp_path)
    assert "Fixed 2 findings" in outcome.stdout and "dropped" not in outcome.stderr, outcome
    written = (tmp_path / "compose.yaml").read_text()
    assert written == EMPTY_VALUES.replace('IDLE: ""', 'IDLE: "60"').replace("IDLE=\n", "IDLE=60\n")
    assert "Fixed 0 findings" in run_cli(["--write", "."], tmp_path).stdout
    assert (tmp_path / "compose.yaml").read_text() == written
    server = require_server()
    for service in ("db", "listed"):
        assert _server_reads(server, tmp_path, written, service) == {
            "tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6",
        }, service  # fmt: skip


def test_a_kubernetes_variable_without_a_value_is_fixed_in_its_item(tmp_path: Path) -> None:
    """An env item with value "", "value:" or no value is the empty string in the container (Kubernetes
    EnvVar.value defaults to ""): given its value in that item, not a second item of the same
    name (which the API server warns hides the first)."""
    text = STATEFUL_SET.replace('              value: "7200"\n', '              value: ""\n'
                                "            - name: POSTGRESQL_TCP_KEEPALIVES_INTERVAL\n"
                                "            - name: POSTGRESQL_TCP_KEEPALIVES_COUNT\n"
                                "              value:\n")  # fmt: skip
    (tmp_path / "db.yaml").write_text(text)
    found = json.loads(run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path).stdout)
    assert sorted(item["code"] for item in found) == ["PGF101", "PGF102", "PGF103"], found
    assert all(item["fix"]["applicability"] == "safe" for item in found), found
    _env_written_twice(tmp_path)


def test_a_plain_number_is_judged_as_the_text_compose_passes(tmp_path: Path) -> None:
    """compose-go decodes a map's plain scalar as YAML 1.2 and passes fmt.Sprint of the number
    (documents.go_yaml_scalar, held to that decoder in tests/test_go_yaml_scalar.py): 0o74 is
    60 and 1_0 is 10 in the container, which the setup writes as they are. Before: PGF001
    'invalid value' for both, as if the server got the YAML text; 7200.0 is judged as 7200 and
    replaced by a quoted "60"."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: bitnami/postgresql:16\n    environment:\n"
        "      POSTGRESQL_TCP_KEEPALIVES_IDLE: 0o74\n      POSTGRESQL_TCP_KEEPALIVES_INTERVAL: 1_0\n"
        "      POSTGRESQL_TCP_KEEPALIVES_COUNT: 6\n"
        "  other:\n    image: bitnami/postgresql:16\n    environment:\n      POSTGRESQL_TCP_KEEPALIVES_IDLE: 7200.0\n"
    )
    found = json.loads(run_cli(["--format", "json", "--select", "PGF0,PGF101", "."], tmp_path).stdout)
    assert [(item["line"], item["code"]) for item in found] == [(11, "PGF101")], found
    assert "7200 is above" in found[0]["message"] and "7200.0" not in found[0]["message"], found
    run_cli(["--write", "--select", "PGF101", "."], tmp_path)
    written = (tmp_path / "compose.yaml").read_text()
    assert written.endswith('      POSTGRESQL_TCP_KEEPALIVES_IDLE: "60"\n'), written
    assert "Fixed 0 findings" in run_cli(["--write", "--select", "PGF101", "."], tmp_path).stdout


SHARED_ANCHORS = """x-env: &env
  POSTGRESQL_TCP_KEEPALIVES_IDLE: "7200"
x-idle: &idle "7200"
services:
  db:
    image: bitnami/postgresql:16
    environment:
      <<: *env
      POSTGRESQL_TCP_KEEPALIVES_INTERVAL: "10"
      POSTGRESQL_TCP_KEEPALIVES_COUNT: "6"
  app:
    image: example/app
    environment:
      <<: *env
      CACHE_TTL: *idle
  aliased:
    image: bitnami/postgresql:16
    environment: *env
  scalar:
    image: bitnami/postgresql:16
    environment:
      POSTGRESQL_TCP_KEEPALIVES_IDLE: *idle
      POSTGRESQL_TCP_KEEPALIVES_INTERVAL: "10"
      POSTGRESQL_TCP_KEEPALIVES_COUNT: "6"
  own:
    image: bitnami/postgresql:16
    environment:
      <<: *env
      POSTGRESQL_TCP_KEEPALIVES_COUNT: "6"
"""


def test_a_fix_landing_in_a_yaml_anchor_is_unsafe(tmp_path: Path) -> None:
    """A value merged from an anchor (<<: *env), an environment that is an alias, or a value that
    is one is written where other services read it too (app's environment and CACHE_TTL here):
    the fix would change them, so it is unsafe and --write leaves it. A variable added to the
    service's own mapping (own's INTERVAL) is safe. Before: all safe, and --write changed app's
    CACHE_TTL and environment."""
    (tmp_path / "compose.yaml").write_text(SHARED_ANCHORS)
    found = json.loads(run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path).stdout)
    got = sorted((item["line"], item["code"], item["fix"]["applicability"]) for item in found)
    assert got == [
        (2, "PGF101", "unsafe"),  # db, aliased and own: one finding where the value is written
        (3, "PGF101", "unsafe"),  # scalar
        (18, "PGF102", "unsafe"), (18, "PGF103", "unsafe"),  # aliased: added to the anchor
        (27, "PGF102", "safe"),  # own
    ], found  # fmt: skip
    run_cli(["--write", "."], tmp_path)
    written = yaml.safe_load((tmp_path / "compose.yaml").read_text())
    assert written["services"]["app"] == yaml.safe_load(SHARED_ANCHORS)["services"]["app"]
    assert written["services"]["own"]["environment"]["POSTGRESQL_TCP_KEEPALIVES_INTERVAL"] == "10"


def test_a_kubernetes_env_list_with_an_anchor_gets_its_items_at_their_column(tmp_path: Path) -> None:
    """New items go at the column of the list's items, not two past its start: an anchored list
    (env: &env) starts at its anchor. Before: the items were indented under the anchor, a YAML
    the re-parse refused, so PGF102 and PGF103 had no fix."""
    text = STATEFUL_SET.replace("          env:\n", "          env: &env\n")
    (tmp_path / "db.yaml").write_text(text)
    found = json.loads(run_cli(["--format", "json", "--select", "PGF1", "."], tmp_path).stdout)
    assert sorted((item["code"], bool(item["fix"])) for item in found) == [
        ("PGF101", True), ("PGF102", True), ("PGF103", True),
    ], found  # fmt: skip
    run_cli(["--write", "."], tmp_path)
    env = yaml.safe_load((tmp_path / "db.yaml").read_text())["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[1:] == [
        {"name": "POSTGRESQL_TCP_KEEPALIVES_IDLE", "value": "60"},
        {"name": "POSTGRESQL_TCP_KEEPALIVES_INTERVAL", "value": "10"},
        {"name": "POSTGRESQL_TCP_KEEPALIVES_COUNT", "value": "6"},
    ]
    assert "Fixed 0 findings" in run_cli(["--write", "."], tmp_path).stdout
