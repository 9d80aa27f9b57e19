"""A connection string in a well-known image's environment is judged as its program reads it
(pgconf_fix.views.image_readers): with lib/pq, pgx or node-postgres no libpq keyword is added,
with libpq (PostgREST, Hasura) the libpq fix stays.

What the drivers do with the keywords the libpq fix writes is shown on the drivers themselves,
against a throw-away PostgreSQL server:

- lib/pq (Debian's golang-github-lib-pq-dev 1.10.7, built with the go tool): it sends an unknown
  URL parameter to the server as a run-time setting, and the server refuses the connection
  (``unrecognized configuration parameter "keepalives_idle"``, or whichever of the four lib/pq
  sent first); the same URL without them connects.
- node-postgres (pg 8 from npm, in the cache .ci/run fills): it connects, and its socket has no
  keepalive timer (/proc/net/tcp) unless the Client's own keepAlive option is set.
- libpq (psycopg 3): it connects with the PostgREST URL as the fix writes it.

Each driver's part skips, with the reason, where the driver is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.views import client, image_readers
from tests.cli_runner import run_cli
from tests.lib_pq import lib_pq_session

HERE = Path(__file__).parent
CASE = HERE / "fixtures" / "client" / "image-drivers-compose"
NODE_MODULES = Path(os.environ.get("PGCONF_FIX_NODE_MODULES", "/var/cache/pgconf-fix-ci/node/node_modules"))
# What PGF401's libpq fix appends (rules/PGF401.toml's values), as it writes them in a URL query.
LIBPQ_KEYWORDS = "keepalives=1&keepalives_idle=60&keepalives_interval=10&keepalives_count=6"


def _line(tree: Path, variable: str) -> str:
    return next(line for line in (tree / "docker-compose.yml").read_text().splitlines() if variable in line)


def _judged(tmp_path: Path, name: str, text: str, *args: str) -> list[dict]:
    """pgconf-fix's findings (JSON) on one file written in an empty tree."""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    outcome = run_cli(["--no-cache", "--unsafe-fixes", "--format", "json", *args, "."], tmp_path)
    assert outcome.code in (0, 1), outcome.stderr
    return json.loads(outcome.stdout)


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - yields a tests.pg_server.Cluster
    from tests.pg_server import require_server, temporary_cluster

    with temporary_cluster(require_server()) as running:
        yield running


def test_table_drivers_are_client_consumers() -> None:
    assert {reader.driver for reader in image_readers.READERS} <= {client.LIBPQ, client.GO_PQ, client.PGX, client.NODE_PG}


def test_fixture_writes_libpq_keywords_only_where_libpq_reads() -> None:
    after = CASE / "after"
    assert "keepalives" not in _line(after, "MM_SQLSETTINGS_DATASOURCE")  # lib/pq
    assert "keepalives" not in _line(after, "GOTRUE_DB_DATABASE_URL")  # pgx
    assert "keepalives" not in _line(after, "DATABASE_URL: postgres://supabase_storage")  # node-postgres
    assert LIBPQ_KEYWORDS in _line(after, "PGRST_DB_URI")  # PostgREST: libpq through hasql
    assert LIBPQ_KEYWORDS in _line(after, "DATABASE_URL: postgres://worker")  # an image not in the table


def test_lib_pq_refuses_the_libpq_keywords(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    run = lib_pq_session(tmp_path)
    # Mattermost's documented data source, pointed at the throw-away server.
    url = f"postgres://postgres@127.0.0.1:{cluster.port}/postgres?sslmode=disable&connect_timeout=10"

    def session(query: str) -> str:
        return run(url + query)

    assert session("") == "false"  # connected (in plain TCP: sslmode=disable)
    # lib/pq sends the parameters in map order: the server names whichever of them came first.
    refused = session("&" + LIBPQ_KEYWORDS)
    assert re.fullmatch(r'error: pq: unrecognized configuration parameter "keepalives(_idle|_interval|_count)?"', refused), refused
    # So pgconf-fix adds none of them to the URL Mattermost reads, even with --unsafe-fixes.
    diff = run_cli(["--no-cache", "--unsafe-fixes", "--diff", "."], CASE / "before").stdout
    added = [line for line in diff.splitlines() if line.startswith("+ ") and "MM_SQLSETTINGS_DATASOURCE" in line]
    assert added == ["+" + _line(CASE / "before", "MM_SQLSETTINGS_DATASOURCE").replace("sslmode=disable", "sslmode=require")]


def test_node_postgres_ignores_the_libpq_keywords(cluster) -> None:  # noqa: ANN001
    if shutil.which("node") is None or not (NODE_MODULES / "pg").is_dir():
        pytest.skip(f"node or node-postgres (npm's pg in {NODE_MODULES}) is not installed")
    url = f"postgres://postgres@127.0.0.1:{cluster.port}/postgres?{LIBPQ_KEYWORDS}"
    done = subprocess.run(
        ["node", str(HERE / "image_readers" / "node_keepalive.js"), url],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    url_only, with_option = (json.loads(line) for line in done.stdout.splitlines())
    assert url_only == {"one": 1, "keepalive": False}  # connects; the keywords turn nothing on
    assert with_option == {"one": 1, "keepalive": True}  # the timer is seen where the option is set
    said = {item["line"]: item for item in json.loads(run_cli(["--no-cache", "--format", "json", "--idle-budget", "120", "."], CASE / "before").stdout)}
    storage = said[20]
    assert storage["code"] == "PGF401" and "(node-postgres, read by supabase/storage-api's DATABASE_URL)" in storage["message"]
    assert storage["fix"] is None


def test_libpq_connects_with_the_postgrest_fix(cluster) -> None:  # noqa: ANN001
    psycopg = pytest.importorskip("psycopg")
    written = _line(CASE / "after", "PGRST_DB_URI").split("PGRST_DB_URI: ", 1)[1]
    query = written.split("?", 1)[1].replace("sslmode=require", "sslmode=disable")
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{cluster.port}/postgres?{query}") as connection:
        assert connection.execute("select 1").fetchone() == (1,)
        assert connection.info.get_parameters()["keepalives_idle"] == "60"


MATTERMOST_URL = "postgres://mmuser:mm-pw@db.example.com:5432/mattermost?sslmode=disable"


@pytest.mark.parametrize(
    "name, text",
    [
        pytest.param("k8s/deployment.yaml", f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: chat}}
spec:
  template:
    spec:
      containers:
        - name: mattermost
          image: registry.example.com/mirror/mattermost/mattermost-enterprise-edition:10.5@sha256:0123
          env:
            - name: MM_SQLSETTINGS_DATASOURCE
              value: "{MATTERMOST_URL}"
""", id="kubernetes"),
        pytest.param("rendered.yaml", f"""\
---
# Source: chat/templates/deployment.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: chat}}
spec:
  template:
    spec:
      containers:
        - image: mattermost/mattermost-team-edition
          env:
            - {{name: MM_SQLSETTINGS_DATASOURCE, value: '{MATTERMOST_URL}'}}
""", id="helm-rendered"),
        pytest.param("task-definition.json", json.dumps({"containerDefinitions": [{
            "name": "chat", "image": "mattermost/mattermost-team-edition:10.5",
            "environment": [{"name": "MM_SQLSETTINGS_DATASOURCE", "value": MATTERMOST_URL}],
        }]}, indent="\t"), id="ecs-json"),
        pytest.param("stack.yaml", f"""\
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Image: mattermost/mattermost-team-edition:10.5
          Environment:
            - Name: MM_SQLSETTINGS_DATASOURCE
              Value: {MATTERMOST_URL}
""", id="cloudformation"),
        pytest.param("ecs.tf", f"""\
resource "aws_ecs_task_definition" "chat" {{
  family = "chat"
  container_definitions = jsonencode([
    {{
      name  = "chat"
      image = "mattermost/mattermost-team-edition:10.5"
      environment = [
        {{ name = "MM_SQLSETTINGS_DATASOURCE", value = "{MATTERMOST_URL}" }},
      ]
    }}
  ])
}}
""", id="terraform-jsonencode"),
        pytest.param("docker-compose.yml", f"""\
x-chat: &chat
  image: mattermost/mattermost-team-edition:10.5
services:
  chat:
    <<: *chat
    environment:
      - MM_SQLSETTINGS_DATASOURCE={MATTERMOST_URL}
""", id="compose-merge-key-list"),
    ],
)
def test_mattermost_is_read_by_lib_pq_wherever_its_container_is_written(tmp_path: Path, name: str, text: str) -> None:
    found = _judged(tmp_path, name, text, "--select", "PGF401,PGF404")
    assert [item["code"] for item in found] == ["PGF404"]  # lib/pq keeps alive every 15 s: no PGF401
    assert "(lib/pq, read by mattermost/mattermost-" in found[0]["message"]
    assert "MM_SQLSETTINGS_DATASOURCE, public host)" in found[0]["message"]
    assert "keepalives" not in json.dumps(found[0]["fix"])


@pytest.mark.parametrize(
    "image, variable",
    [
        ("mattermost/mattermost-team-edition:10.5", "DATABASE_URL"),  # not a variable it reads
        ("example/mattermost/mattermost-team-edition-fork:1", "MM_SQLSETTINGS_DATASOURCE"),  # another repository
        ("example/not-mattermost/mattermost-team-edition:1", "MM_SQLSETTINGS_DATASOURCE"),
    ],
)
def test_other_images_and_variables_stay_unknown(tmp_path: Path, image: str, variable: str) -> None:
    text = f"services:\n  app:\n    image: {image}\n    environment:\n      {variable}: {MATTERMOST_URL}\n"
    found = _judged(tmp_path, "docker-compose.yml", text, "--select", "PGF401")
    assert len(found) == 1 and "keepalives=1" in json.dumps(found[0]["fix"])
    assert "read by" not in found[0]["message"]


def test_hasura_stays_libpq(tmp_path: Path) -> None:
    text = ("services:\n  graphql:\n    image: hasura/graphql-engine:v2.44.0.cli-migrations-v3\n    environment:\n"
            "      HASURA_GRAPHQL_METADATA_DATABASE_URL: postgres://meta:meta-pw@db.example.com/meta?sslmode=require\n")
    found = _judged(tmp_path, "docker-compose.yml", text, "--select", "PGF401")
    assert len(found) == 1 and found[0]["fix"]["applicability"] == "safe"
    assert "(libpq, read by hasura/graphql-engine's HASURA_GRAPHQL_METADATA_DATABASE_URL)" in found[0]["message"]


def test_ory_images_read_their_dsn_with_pgx(tmp_path: Path) -> None:
    """oryd/kratos and oryd/hydra hand DSN, less their own pool keys, to pgx (image_readers):
    pgx keeps alive by itself, so no PGF401, and no libpq keyword is added for PGF404's sake
    either; their UI image, another program, is not theirs."""
    dsn = "postgres://kratos:secret@db.example.com:5432/kratos?max_conns=20&max_idle_conns=4"
    text = (f"services:\n  kratos:\n    image: oryd/kratos:v1.3.1\n    environment:\n      - DSN={dsn}\n"
            f"  hydra:\n    image: docker.io/oryd/hydra:v2.3.0\n    environment:\n      DSN: {dsn}\n"
            f"  ui:\n    image: oryd/kratos-selfservice-ui-node:v1.3.1\n    environment:\n      - DSN={dsn}\n")
    found = _judged(tmp_path, "docker-compose.yml", text, "--select", "PGF401,PGF404")
    assert [(item["code"], item["line"]) for item in found] == [("PGF404", 5), ("PGF404", 9), ("PGF401", 13), ("PGF404", 13)], found
    for item, image in zip(found[:2], ("oryd/kratos", "oryd/hydra")):
        assert f"(pgx, read by {image}'s DSN, public host)" in item["message"], item["message"]
        assert "keepalives" not in json.dumps(item["fix"])
    assert all("read by" not in item["message"] for item in found[2:])
    assert "keepalives=1" in json.dumps(found[2]["fix"])


def test_a_terraform_file_with_a_known_image_loads_no_yaml(tmp_path: Path) -> None:
    """The table is asked of a .tf file through the HCL lexer alone: PyYAML and the YAML reader
    stay unloaded in a Terraform-only run (tests/test_lazy_imports.py's rule)."""
    from tests.test_lazy_imports import _modules_for

    (tmp_path / "ecs.tf").write_text(f"""\
resource "aws_ecs_task_definition" "chat" {{
  container_definitions = jsonencode([
    {{
      image       = "mattermost/mattermost-team-edition:10.5"
      environment = [{{ name = "MM_SQLSETTINGS_DATASOURCE", value = "{MATTERMOST_URL}" }}]
    }}
  ])
}}
""")
    loaded = _modules_for(tmp_path / "ecs.tf")
    assert "pgconf_fix.views.image_readers" in loaded  # the table was asked
    assert not {"yaml", "pgconf_fix.documents.yaml_nodes"} & loaded
