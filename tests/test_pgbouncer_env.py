"""PgBouncer configured by a compose service's or a Kubernetes container's environment
(edoburu/pgbouncer), as
pgconf_fix.views.pgbouncer_env reads it, held to the real PgBouncer.

For each service of the fixture the view reads (before and after the fixes), the ``[pgbouncer]``
section it stands for (what the image's entrypoint writes from those variables: ``key = value``
for each variable set and not empty; checked against the entrypoint itself when this view was
written, not here, since its script is not ours to ship) is loaded by Debian's pgbouncer:
``SHOW CONFIG`` holds the values pgconf-fix judges.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Fix
from pgconf_fix.source import SourceFile
from pgconf_fix.views.pgbouncer_env import (
    EnvironmentPgBouncer,
    environment_pgbouncer_view,
    kubernetes_pgbouncer_view,
)
from tests.pgbouncer_server import config_holding_what_was_read, running_pgbouncer

FIXTURE = Path(__file__).parent / "fixtures/compose/pgbouncer-environment"
KUBERNETES_FIXTURE = Path(__file__).parent / "fixtures/kubernetes/pgbouncer-environment"
KEYS = ("tcp_keepalive", "tcp_keepidle", "tcp_keepintvl", "tcp_keepcnt", "server_idle_timeout")


def _pod_views(text: str) -> list[EnvironmentPgBouncer | None]:
    """kubernetes_pgbouncer_view of each container of the one Pod ``text`` holds, in order."""
    source = SourceFile.from_bytes(Path("/nowhere/pod.yaml"), "pod.yaml", text.encode())
    (root,) = Y.compose_documents(text)
    containers = Y.get(root, "spec", "containers").value
    return [kubernetes_pgbouncer_view(source, Y.scalar_value(Y.get(node, "name")) or "?", node) for node in containers]


def _views(text: str) -> dict[str, EnvironmentPgBouncer | None]:
    source = SourceFile.from_bytes(Path("/nowhere/docker-compose.yml"), "docker-compose.yml", text.encode())
    (root,) = Y.compose_documents(text)
    return {name.value: environment_pgbouncer_view(source, name.value, service) for name, service in Y.items(Y.get(root, "services"))}


@pytest.mark.parametrize("tree", ["before", "after"])
def test_pgbouncer_holds_what_we_read(tree: str) -> None:
    views = _views((FIXTURE / tree / "docker-compose.yml").read_text())
    assert views["mounted-bouncer"] is None and views["env-file-bouncer"] is None
    for name in ("pgbouncer", "reports-bouncer"):
        view = views[name]
        assert view is not None
        shown = config_holding_what_was_read(view, KEYS)
        if tree == "after":
            assert (shown["tcp_keepalive"], shown["tcp_keepidle"], shown["tcp_keepintvl"], shown["tcp_keepcnt"]) == ("1", "60", "10", "6")


@pytest.mark.parametrize("tree", ["before", "after"])
def test_pgbouncer_holds_what_we_read_from_a_container(tree: str) -> None:
    text = (KUBERNETES_FIXTURE / tree / "deployment.yaml").read_text()
    source = SourceFile.from_bytes(Path("/nowhere/deployment.yaml"), "deployment.yaml", text.encode())
    (root,) = Y.compose_documents(text)
    containers = Y.get(root, "spec", "template", "spec", "containers")
    views = {Y.scalar_value(Y.get(c, "name")): kubernetes_pgbouncer_view(source, "x", c) for c in containers.value}
    assert views["pgbouncer-from-configmap"] is None  # envFrom: not known here
    view = views["pgbouncer"]
    assert view is not None and not view.problems
    with running_pgbouncer(view.host.text) as bouncer:
        shown = bouncer.show_config()
    expected = {"before": {"tcp_keepidle": "7200"}, "after": {"tcp_keepidle": "60", "tcp_keepintvl": "10", "tcp_keepcnt": "6"}}
    assert {key: view.effective(key).value for key in expected[tree]} == expected[tree]
    assert {key: shown[key] for key in expected[tree]} == expected[tree]


def test_the_section_is_what_the_entrypoint_writes() -> None:
    """Only variables set and not empty become lines, in the environment's order, named by the
    key in lower case; the others are PgBouncer's defaults."""
    text = (
        "services:\n  b:\n    image: edoburu/pgbouncer:latest\n    environment:\n"
        "      TCP_KEEPCNT: ''\n      TCP_KEEPIDLE: '45'\n      DB_HOST: db\n      SERVER_LIFETIME: 3600\n"
    )
    view = _views(text)["b"]
    assert view is not None
    assert view.host.text == "[pgbouncer]\ntcp_keepidle = 45\nserver_lifetime = 3600\n"


@pytest.mark.parametrize(
    "environment",
    [
        "      TCP_KEEPIDLE: ${IDLE:-60}\n",  # compose interpolation: not known here
        "      TCP_KEEPIDLE: '6%d'\n",  # printf reads % in a value
        "      TCP_KEEPIDLE: '6\\\\n'\n",  # and backslashes
        "      TCP_KEEPIDLE:\n",  # no value: compose takes it from the shell running it
        "      - TCP_KEEPIDLE\n      - SERVER_CHECK_QUERY=select 1\n",  # likewise in a list
    ],
)
def test_values_the_entrypoint_would_not_write_as_is_leave_the_service_unread(environment: str) -> None:
    text = "services:\n  b:\n    image: edoburu/pgbouncer\n    environment:\n" + environment
    assert _views(text)["b"] is None


def test_other_images_are_not_read_from_their_environment() -> None:
    text = "services:\n  b:\n    image: example/pgbouncer\n    environment:\n      TCP_KEEPIDLE: 7200\n"
    from pgconf_fix.views.compose import compose_views

    source = SourceFile.from_bytes(Path("/nowhere/docker-compose.yml"), "docker-compose.yml", text.encode())
    (root,) = Y.compose_documents(text)
    assert not any(isinstance(view, EnvironmentPgBouncer) for view in compose_views(source, root))


ENTRYPOINT_URLS = """\
services:
  bouncer:
    image: edoburu/pgbouncer:v1.24.1-p1
    environment:
      DATABASE_URL: postgres://app:pw@db.example.com/app
  listed:
    image: edoburu/pgbouncer
    environment:
      - DATABASE_URLS=postgres://app:pw@db1.example.com/app,postgres://app:pw@db2.example.com/app
  app:
    image: python:3.12
    environment:
      DATABASE_URL: postgres://app:pw@db.example.com/app
---
apiVersion: v1
kind: Pod
metadata: {name: bouncer}
spec:
  containers:
    - name: bouncer
      image: docker.io/edoburu/pgbouncer:latest
      env:
        - name: DATABASE_URL
          value: postgres://app:pw@db.example.com/app
"""


def test_the_entrypoints_database_url_is_no_libpq_connection(tmp_path: Path) -> None:
    """The entrypoint takes DATABASE_URL(S) apart with sed and cut into a [databases] line; a
    query added to the URL became part of the database name ("app?keepalives=1&... = host=...",
    run once with the entrypoint at 91a581b), a line PgBouncer 1.x refuses ("syntax error in
    configuration", FATAL cannot load config file: checked with Debian's pgbouncer). So no
    client rule judges those URLs, and no fix touches them; another image's DATABASE_URL is
    still a client's."""
    import json

    from tests.cli_runner import run_cli

    (tmp_path / "compose.yaml").write_text(ENTRYPOINT_URLS)
    findings = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF4", "."], tmp_path).stdout)
    assert {f["line"] for f in findings} == {13}  # the python service's
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "--select", "PGF4", "."], tmp_path)
    written = (tmp_path / "compose.yaml").read_text()
    assert written.count("/app\n") == 3 and written.count("/app,") == 1


MERGED_IMAGE = """x-pgbouncer: &pgbouncer
  image: edoburu/pgbouncer:v1.23.1-p2
x-urls: &urls
  DATABASE_URL: postgres://app:pw@db.example.com:5432/app
services:
  pgbouncer:
    <<: *pgbouncer
    environment:
      DATABASE_URL: postgres://app:pw@db.example.com:5432/app
  second:
    image: edoburu/pgbouncer:v1.23.1-p2
    environment:
      <<: *urls
"""


def test_an_entrypoint_url_under_a_merge_key_is_still_the_entrypoints(tmp_path: Path) -> None:
    """Compose applies merge keys (compose-go, as documents.compose_services reads them): a
    service whose image comes from an anchor runs edoburu/pgbouncer, so its DATABASE_URL is the
    entrypoint's, as the PgBouncer view of the same service already said. Before, the image was
    looked up without the merge key: PGF401 and PGF404 judged the URL as a libpq client's and
    --unsafe-fixes wrote a query into it. The second service's URL sits in an anchor shared by
    nothing else here: read from its own mapping, as the first walk always did."""
    import json

    from tests.cli_runner import run_cli

    (tmp_path / "compose.yaml").write_text(MERGED_IMAGE)
    findings = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF4", "."], tmp_path).stdout)
    assert findings == []
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "--select", "PGF4", "."], tmp_path)
    assert (tmp_path / "compose.yaml").read_text() == MERGED_IMAGE


def test_an_ecs_task_definitions_entrypoint_url_is_not_rewritten(tmp_path: Path) -> None:
    """The same entrypoint in an ECS container definition (task-definition.json, tab-indented,
    and CloudFormation's ContainerDefinitions): --write --unsafe-fixes leaves its DATABASE_URL
    as written (a query there stops PgBouncer, as above) and still fixes the web container's."""
    import shutil

    from tests.cli_runner import run_cli

    case = Path(__file__).parent / "fixtures" / "client" / "ecs-pgbouncer-entrypoint-url" / "before"
    shutil.copytree(case, tmp_path / "work")
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "--select", "PGF4", "."], tmp_path / "work")
    for name in ("task-definition.json", "stack.yaml"):
        written = (tmp_path / "work" / name).read_text()
        assert "postgres://app@db.prod.example.com/app\n" in written.replace('"}', "\n"), name
        assert "6432/app?sslmode=require&keepalives=1" in written, name


@pytest.mark.parametrize(
    "extra",
    [
        '    entrypoint: ["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"]\n',  # the entrypoint never runs
        '    command: ["/usr/bin/pgbouncer", "/config/pgbouncer.ini"]\n',  # PgBouncer reads another file
        "    command: pgbouncer -v /config/pgbouncer.ini\n",
        "    build: ./pgbouncer\n",  # a Dockerfile here may COPY its own pgbouncer.ini
    ],
)
def test_a_service_not_running_the_generated_file_is_not_read(extra: str) -> None:
    text = "services:\n  b:\n    image: edoburu/pgbouncer\n" + extra + "    environment:\n      TCP_KEEPIDLE: 7200\n"
    assert _views(text)["b"] is None
    plain = "services:\n  b:\n    image: edoburu/pgbouncer\n    command: [/usr/bin/pgbouncer, /etc/pgbouncer/pgbouncer.ini]\n"
    assert _views(plain + "    environment:\n      TCP_KEEPIDLE: 7200\n")["b"] is not None


def test_a_container_with_its_own_command_is_not_read() -> None:
    container = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: b\n"
        "    image: edoburu/pgbouncer\n    command: [/usr/bin/pgbouncer, /etc/pgbouncer/pgbouncer.ini]\n"
        "    env:\n    - {name: TCP_KEEPIDLE, value: '7200'}\n"
    )
    assert _pod_views(container) == [None]
    args = container.replace("command:", "args:").replace("/usr/bin/pgbouncer, ", "")
    assert _pod_views(args)[0] is not None


def test_a_container_variable_built_with_a_merge_key_is_not_guessed() -> None:
    # kubectl's YAML (go-yaml) merges <<: *anchor as PyYAML does: TCP_KEEPIDLE is set here, so it
    # must not be called missing (a second TCP_KEEPIDLE item was added); its value sits in an
    # anchor other items may share, so the container is not read.
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: b\n"
        "    image: edoburu/pgbouncer\n    env:\n    - &idle {name: TCP_KEEPIDLE, value: '7200'}\n"
        "  - name: c\n    image: edoburu/pgbouncer\n    env:\n    - <<: *idle\n      value: '7200'\n"
    )
    first, second = _pod_views(text)
    assert first is not None
    assert second is None


def test_a_service_s_fields_from_a_merge_key_count() -> None:
    # compose's decoder applies the merge key (documents.compose_services): the anchor's volume
    # mounts a pgbouncer.ini, which wins over the environment; its environment is the service's.
    anchor = "x-bouncer: &bouncer\n  image: edoburu/pgbouncer\n"
    mounted = anchor + "  volumes: ['./pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro']\n"
    service = "services:\n  b:\n    <<: *bouncer\n    environment:\n      TCP_KEEPIDLE: 7200\n"
    assert _views(mounted + service)["b"] is None
    merged_environment = anchor + "  environment:\n    TCP_KEEPIDLE: 7200\nservices:\n  b:\n    <<: *bouncer\n"
    view = _views(merged_environment)["b"]
    assert view is not None and view.get("tcp_keepidle").value == "7200"


# -- ECS: a task definition's containerDefinitions, and CloudFormation's ContainerDefinitions ----

ECS_FIXTURE = Path(__file__).parent / "fixtures/yaml/ecs-task-definition-pgbouncer"


def _ecs_views(name: str, text: str) -> list[EnvironmentPgBouncer]:
    from pgconf_fix.views.pgbouncer_env import ecs_task_pgbouncer_views

    source = SourceFile.from_bytes(Path(f"/nowhere/{name}"), name, text.encode())
    (root,) = Y.compose_documents(text.replace("\t", " "))
    if name.endswith(".json"):
        return ecs_task_pgbouncer_views(source, Y.get(root, "containerDefinitions"), False)
    (resource,) = [value for _, value in Y.items(Y.get(root, "Resources"))]
    return ecs_task_pgbouncer_views(source, Y.get(resource, "Properties", "ContainerDefinitions"), True)


@pytest.mark.parametrize("tree", ["before", "after"])
@pytest.mark.parametrize("name", ["task-definition.json", "template.yaml"])
def test_pgbouncer_holds_what_we_read_from_an_ecs_container(name: str, tree: str) -> None:
    (view,) = _ecs_views(name, (ECS_FIXTURE / tree / name).read_text())
    shown = config_holding_what_was_read(view, KEYS)
    if tree == "after":
        assert (shown["tcp_keepidle"], shown["tcp_keepintvl"], shown["tcp_keepcnt"]) == ("60", "10", "6")


@pytest.mark.parametrize("tree", ["before", "after"])
def test_the_ecs_api_takes_the_task_definition(tree: str) -> None:
    """botocore's validation of RegisterTaskDefinition's input (what `aws ecs
    register-task-definition --cli-input-json` checks before sending it), with the service model
    it ships; and cfn-lint over the template."""
    import json
    import subprocess
    import sys

    pytest.importorskip("botocore")
    import botocore.session
    from botocore.validate import ParamValidator

    operation = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition")
    checked = ParamValidator().validate(json.loads((ECS_FIXTURE / tree / "task-definition.json").read_text()),
                                        operation.input_shape)
    assert not checked.has_errors(), checked.generate_report()
    pytest.importorskip("cfnlint")
    lint = "import sys; from cfnlint.runner import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", lint, str(ECS_FIXTURE / tree / "template.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


CONTAINER = '{"name": "pgb", "image": "edoburu/pgbouncer:1.23", %s"environment": [{"name": "TCP_KEEPIDLE", "value": %s}]}'


@pytest.mark.parametrize(
    ("extra", "value"),
    [
        ('"entryPoint": ["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"], ', '"7200"'),  # no entrypoint script
        ('"command": ["pgbouncer", "/config/pgbouncer.ini"], ', '"7200"'),  # another ini
        ('"environmentFiles": [{"value": "arn:aws:s3:::b/pgb.env", "type": "s3"}], ', '"7200"'),
        ('"secrets": [{"name": "TCP_KEEPIDLE", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/k"}], ', '"7200"'),
        ('"mountPoints": [{"sourceVolume": "cfg", "containerPath": "/etc/pgbouncer"}], ', '"7200"'),
        ("", "7200"),  # a number: the ECS API refuses it
    ],
)
def test_an_ecs_container_whose_settings_are_not_known_here_is_not_read(extra: str, value: str) -> None:
    text = '{"family": "f", "containerDefinitions": [' + CONTAINER % (extra, value) + "]}"
    assert _ecs_views("task-definition.json", text) == []
    plain = '{"family": "f", "containerDefinitions": [' + CONTAINER % ("", '"7200"') + "]}"
    assert len(_ecs_views("task-definition.json", plain)) == 1


BITNAMI = "services:\n  b:\n    image: bitnami/pgbouncer:1.24.1\n"


def test_bitnami_writes_its_own_variables_only() -> None:
    """bitnami/pgbouncer's setup writes ``key = value`` for its PGBOUNCER_<KEY> variables set and
    not empty; edoburu's names (TCP_KEEPIDLE) are nothing to it, and it has no tcp_keep* variable
    at all: those keys are PgBouncer's defaults, which the real PgBouncer shows."""
    text = BITNAMI + (
        "    environment:\n      TCP_KEEPIDLE: '45'\n      PGBOUNCER_SERVER_IDLE_TIMEOUT: '900'\n"
        "      PGBOUNCER_SERVER_CONNECT_TIMEOUT: ''\n      PGBOUNCER_SERVER_LIFETIME: 3600\n"
    )
    view = _views(text)["b"]
    assert view is not None
    assert view.host.text == "[pgbouncer]\nserver_idle_timeout = 900\nserver_lifetime = 3600\n"
    shown = config_holding_what_was_read(view, ("server_idle_timeout", "server_lifetime"))
    assert shown["tcp_keepidle"] == "0" and view.effective("tcp_keepidle") is None
    assert not isinstance(view.fix("tcp_keepidle", "60"), Fix)  # no variable of the image writes it
    assert "no variable of bitnami/pgbouncer sets it" in view.missing_note("tcp_keepidle")
    fixed = view.fix("server_idle_timeout", "300")
    assert fixed is not None and [edit.content for edit in fixed.edits] == ["'300'"]


@pytest.mark.parametrize(
    "extra",
    [
        "    volumes:\n      - ./conf:/bitnami/pgbouncer/conf\n",  # its pgbouncer.ini is copied over, nothing written
        "    volumes:\n      - pgbouncer-data:/bitnami\n",  # a folder above it
        "    volumes:\n      - {type: bind, source: ./p.ini, target: /opt/bitnami/pgbouncer/conf/pgbouncer.ini}\n",
        "    command: [pgbouncer, /etc/custom.ini]\n",  # the setup runs only for its own run.sh
        "    command: [bash, -c, 'exec /opt/bitnami/scripts/pgbouncer/run.sh']\n",  # $1 is bash: no setup
        "    command: /opt/bitnami/scripts/pgbouncer/run.sh /etc/custom.ini\n",
    ],
)
def test_a_bitnami_service_not_running_the_written_file_is_not_read(extra: str) -> None:
    text = BITNAMI + extra + "    environment:\n      PGBOUNCER_SERVER_IDLE_TIMEOUT: '900'\n"
    assert _views(text)["b"] is None


@pytest.mark.parametrize(
    "environment",
    [
        "      PGBOUNCER_SERVER_IDLE_TIMEOUT_FILE: /run/secrets/idle\n",  # read from a file there
        "      - PGBOUNCER_SERVER_IDLE_TIMEOUT_FILE=/run/secrets/idle\n",
        "      PGBOUNCER_SERVER_IDLE_TIMEOUT: '9:00'\n",  # awk -F: cuts it at the colon
        "      PGBOUNCER_SERVER_IDLE_TIMEOUT: '900 # s'\n",  # ini-file's handling of '#' not known here
        "      PGBOUNCER_SERVER_IDLE_TIMEOUT: ${IDLE}\n",  # compose interpolation
    ],
)
def test_bitnami_values_not_known_here_leave_the_service_unread(environment: str) -> None:
    assert _views(BITNAMI + "    environment:\n" + environment)["b"] is None


def test_bitnami_with_its_own_run_script_and_flags_is_read() -> None:
    text = BITNAMI.replace("bitnami/", "bitnamilegacy/") + (
        "    command: /opt/bitnami/scripts/pgbouncer/run.sh -v\n"
        "    volumes:\n      - ./init:/docker-entrypoint-initdb.d\n"
        "    environment:\n      - PGBOUNCER_SERVER_IDLE_TIMEOUT=900\n"
    )
    view = _views(text)["b"]
    assert view is not None and view.host.text == "[pgbouncer]\nserver_idle_timeout = 900\n"
    fixed = view.fix("server_idle_timeout", "300")
    assert fixed is not None and [edit.content for edit in fixed.edits] == ["PGBOUNCER_SERVER_IDLE_TIMEOUT=300"]


def test_a_bitnami_container_is_read_as_its_setup_writes() -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: b\n"
        "    image: docker.io/bitnami/pgbouncer:1.24.1\n"
        "    env:\n    - {name: PGBOUNCER_SERVER_IDLE_TIMEOUT, value: '900'}\n"
    )
    (view,) = _pod_views(pod)
    assert view is not None and view.host.text == "[pgbouncer]\nserver_idle_timeout = 900\n"
    config_holding_what_was_read(view, ("server_idle_timeout",))
    own = pod.replace("    env:", "    args: [/opt/bitnami/scripts/pgbouncer/run.sh]\n    env:")
    assert _pod_views(own)[0] is not None
    other = pod.replace("    env:", "    args: [pgbouncer, /config/pgbouncer.ini]\n    env:")
    mounted = pod + "    volumeMounts:\n    - {name: conf, mountPath: /bitnami/pgbouncer/conf}\n"
    from_file = pod.replace("PGBOUNCER_SERVER_IDLE_TIMEOUT,", "PGBOUNCER_SERVER_IDLE_TIMEOUT_FILE,")
    assert _pod_views(other) == _pod_views(mounted) == _pod_views(from_file) == [None]


TERRAFORM_TASKS = '''\
resource "aws_ecs_task_definition" "encoded" {
  family = "encoded"
  container_definitions = jsonencode([
    {
      name  = "pgbouncer" # its entrypoint takes DATABASE_URL apart with sed and cut
      image = "edoburu/pgbouncer:${var.bouncer_tag}"
      environment = [
        { name = "DATABASE_URL", value = "postgres://app@db1.example.com:5432/app" },
        { name = "TCP_KEEPIDLE", value = "60" },
      ]
    },
    {
      name        = "app"
      image       = "python:3.12"
      environment = [{ name = "DATABASE_URL", value = "postgres://app@db2.example.com:5432/app" }]
    },
  ])
}

resource "aws_ecs_task_definition" "heredoc" {
  family                = "heredoc"
  container_definitions = <<-EOT
    [
      {"name": "pgbouncer", "image": "docker.io/edoburu/pgbouncer:latest",
       "environment": [{"name": "DATABASE_URLS", "value": "postgres://app@db3.example.com/app"}]},
      {"name": "app", "image": "${var.app_image}",
       "environment": [{"name": "DATABASE_URL", "value": "postgres://app@db4.example.com/app"}]}
    ]
  EOT
}
'''


def test_a_terraform_ecs_definitions_entrypoint_url_is_no_libpq_connection(tmp_path: Path) -> None:
    """An ECS container definition of edoburu/pgbouncer in Terraform (jsonencode's HCL, or a
    heredoc's JSON) hands DATABASE_URL(S) to the entrypoint, which takes it apart itself: a
    query added there ends up in the database's name and PgBouncer refuses the line. Only the
    app containers' URLs are libpq's, and only they are judged and rewritten."""
    from tests.cli_runner import run_cli

    (tmp_path / "ecs.tf").write_text(TERRAFORM_TASKS)
    outcome = run_cli(["--no-cache", "--select", "PGF401", "."], tmp_path)
    hosts = re.findall(r"connection to (\S+?):", outcome.stdout)
    assert hosts == ["db2.example.com", "db4.example.com"], outcome.stdout
    fixed = run_cli(["--no-cache", "--select", "PGF401", "--diff", "--unsafe-fixes", "."], tmp_path)
    changed = [line for line in fixed.stdout.splitlines() if line.startswith("+") and "postgres://" in line]
    assert len(changed) == 1 and "db2.example.com:5432/app?keepalives=1" in changed[0], fixed.stdout


TERRAFORM_FIXTURE = Path(__file__).parent / "fixtures/terraform/ecs-pgbouncer-environment"


def _terraform_views(text: str) -> list[EnvironmentPgBouncer]:
    from pgconf_fix.views.pgbouncer_env import terraform_ecs_pgbouncer_views

    return terraform_ecs_pgbouncer_views(SourceFile.from_bytes(Path("/nowhere/ecs.tf"), "ecs.tf", text.encode()))


@pytest.mark.parametrize("tree", ["before", "after"])
def test_pgbouncer_holds_what_we_read_from_a_terraform_ecs_container(tree: str) -> None:
    """A container definition in jsonencode's HCL is read as the entrypoint writes its
    environment; the real PgBouncer holds those values (after --write too, whose new items were
    proven by terraform fmt when the fixture was written)."""
    views = {view.service: view for view in _terraform_views((TERRAFORM_FIXTURE / tree / "ecs.tf").read_text())}
    assert set(views) == {"ECS container pgbouncer", "ECS container reports-bouncer"}  # the mounted one is not read
    shown = config_holding_what_was_read(views["ECS container pgbouncer"], KEYS)
    expected = ("7200", "0", "0") if tree == "before" else ("60", "10", "6")
    assert (shown["tcp_keepidle"], shown["tcp_keepintvl"], shown["tcp_keepcnt"]) == expected
    assert views["ECS container reports-bouncer"].host.text == "[pgbouncer]\n"


ECS_CONTAINER = '''\
locals {
  containers = [{
    name  = "bouncer"
    image = "edoburu/pgbouncer"
    environment = [
      { name = "TCP_KEEPIDLE", value = "7200" },
    ]
  }]
}
'''


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    entryPoint = ["/usr/bin/pgbouncer"]\n'),
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    command = ["/usr/bin/pgbouncer", "/config/pgbouncer.ini"]\n'),
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    command = var.command\n'),
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    mountPoints = [{ sourceVolume = "c", containerPath = "/etc/pgbouncer" }]\n'),
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    secrets = [{ name = "SERVER_IDLE_TIMEOUT", valueFrom = "arn" }]\n'),
        ('    name  = "bouncer"\n', '    name  = "bouncer"\n    environmentFiles = [{ value = "arn", type = "s3" }]\n'),
        ('value = "7200"', "value = 7200"),  # a number: the ECS API refuses it
        ('value = "7200"', 'value = "${var.idle}"'),  # not known without a plan
        ('name = "TCP_KEEPIDLE"', 'name = "${var.name}"'),  # may be any variable
        ("    environment = [\n      { name = \"TCP_KEEPIDLE\", value = \"7200\" },\n    ]\n", "    environment = local.env\n"),
    ],
)
def test_a_terraform_ecs_container_not_known_here_is_not_read(old: str, new: str) -> None:
    assert len(_terraform_views(ECS_CONTAINER)) == 1
    assert ECS_CONTAINER.count(old) == 1
    assert _terraform_views(ECS_CONTAINER.replace(old, new)) == []


def test_a_json_heredoc_container_is_not_a_view() -> None:
    """terraform fmt, the proof of a Terraform fix, does not read inside a heredoc: its JSON's
    container definitions are not built as views (their DATABASE_URL is still the entrypoint's)."""
    text = (
        'resource "aws_ecs_task_definition" "t" {\n  family = "t"\n  container_definitions = <<EOF\n'
        '[{"name": "b", "image": "edoburu/pgbouncer", "environment": [{"name": "TCP_KEEPIDLE", "value": "7200"}]}]\n'
        "EOF\n}\n"
    )
    assert _terraform_views(text) == []
