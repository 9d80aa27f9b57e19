"""Compose files, Kubernetes manifests, Helm values and Patroni: the patched YAML, checked by its consumers.

- Every ``after`` file of tests/fixtures/compose and tests/fixtures/kubernetes reads back
  (PyYAML, every document) with the fix values where the fixes put them, and everything
  else as it was in ``before``.
- A compose or pod ``-c`` command line becomes a postgresql.conf that the real server
  validates (``postgres -C``): the patched one starts with the fix values; a ``before``
  the tool reports PGF001 or PGF104 for is refused.
- An embedded postgresql.conf (Helm values, ConfigMap) is handed to the real server the
  same way, and an embedded pgbouncer.ini to the real PgBouncer.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server  # noqa: F401
from tests.pgbouncer_server import running_pgbouncer

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(
    case for layer in ("compose", "kubernetes") for case in (FIXTURES / layer).glob("*") if (case / "after").is_dir()
)
KEEPALIVES = {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6"}


# Values the fixtures' .env gives tcp_keepalives_idle that the tool reports and does not fix
# (it does not edit .env): the commands they reach are not expected to read 60 after --write.
LEFT_IN_DOTENV = {"interpolation-dotenv": ("7200",), "interpolation-dotenv-open-words": ("7200",)}
# Files of a case that nothing applies to a cluster (a chainsaw or kuttl test's assert and errors
# files): the tool does not read them, so their parameters stay as written.
NOT_APPLIED = {
    "chainsaw-kuttl-expectations": (
        "chainsaw/cluster-assert.yaml", "chainsaw/pooler-error.yaml", "kuttl/00-assert.yaml", "kuttl/01-errors.yaml",
    ),
    # A kuttl TestStep's assert file and error folder, and a helm-unittest suite's expected output.
    "kuttl-teststep-and-helm-unittest": (
        "e2e/pause/files/orders-running.yaml", "e2e/pause/leftovers/pooler.yaml", "chart/tests/connection_test.yaml",
    ),
}
# Kustomize patch files: each holds part of a resource, and what it leaves out comes from the
# base; tests/test_kustomize.py holds the overlays kustomize renders from them to these checks.
PARTIAL = {"kustomize-overlay-patches": ("overlays/prod/cluster-keepalives.yaml", "overlays/staging/patches/cluster.yaml")}
# An Argo CD Application whose Helm parameter overrides the values it holds: not read, not fixed.
NOT_APPLIED["gitops-release-values"] = ("argocd/overridden.yaml",)
# Settings a case's fixes leave out on purpose: with --idle-budget 1000 (its args), Spilo's own
# tcp_keepalives_idle of 900 passes and is not written.
NOT_WRITTEN = {"zalando-spilo-defaults": ("tcp_keepalives_idle",)}


def project_dotenv(directory: Path) -> dict[str, str]:
    """The ``.env`` beside a compose file as compose reads it with nothing set in the shell."""
    from pgconf_fix.documents.compose_dotenv import read_dotenv

    path = directory / ".env"
    return read_dotenv(path.read_text(), {}) if path.is_file() else {}


def documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml"))


def flags_of(command: Any) -> dict[str, str]:
    """The -c / --name=value settings of a command (string or list), as postgres reads them: a
    string split as compose splits it (go-shellwords; tests/test_shellwords.py holds our
    splitter to the real one)."""
    from pgconf_fix.documents.shellwords import split_command

    words = split_command(command).values if isinstance(command, str) else [str(word) for word in command]
    found: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            pair = words[index + 1]
            index += 1
        elif word.startswith("-c") and "=" in word:
            pair = word[2:]
        elif word.startswith("--") and "=" in word:
            name, value = word[2:].split("=", 1)
            pair = f"{name.replace('-', '_')}={value}"
        else:
            index += 1
            continue
        index += 1
        name, value = pair.split("=", 1)
        found[name.lower()] = value
    return found


def refused_by_compose(command: str) -> bool:
    """Whether go-shellwords, and so compose, refuses a string command."""
    from pgconf_fix.documents.shellwords import UnsplittableCommand, split_command

    try:
        split_command(command)
    except UnsplittableCommand:
        return True
    return False


def compose_words(service: dict, dotenv: dict[str, str] | None = None) -> list[str] | Any | None:
    """What compose runs for a service, as far as it is known with no variable set in the shell:
    its ``entrypoint`` then its ``command``, each interpolated with the project's ``.env``
    (``dotenv``, read as compose-go reads it: tests/test_compose_dotenv.py) and a string split
    with go-shellwords (compose-go's rules, held to compose-go in
    tests/test_compose_interpolation.py). A string command alone is given back as it is
    (``refused_by_compose`` judges it). None when a variable has neither a value in ``.env`` nor a
    default (its value is not known), when compose cannot interpolate, or when the entrypoint is
    not the image's own or postgres."""
    dotenv = dotenv or {}
    from pgconf_fix.documents.compose_interpolation import (
        InvalidInterpolation,
        interpolate,
        substitute,
    )
    from pgconf_fix.documents.shellwords import split_command

    words: list[str] = []
    for field in ("entrypoint", "command"):
        value = service.get(field)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else [str(item) for item in value]
        try:
            if any(variable.default() is None and variable.name not in dotenv
                   for item in items for variable in interpolate(item).variables):
                return None
            items = [substitute(item, dotenv) for item in items]
        except InvalidInterpolation:
            return None
        if isinstance(value, str):
            if field == "command" and "entrypoint" not in service:
                return items[0]
            items = split_command(items[0]).values
        words += items
    if "entrypoint" in service and (not words or words[0].rsplit("/", 1)[-1] not in ("docker-entrypoint.sh", "postgres")):
        return None
    return words


def server_commands(doc: Any, dotenv: dict[str, str] | None = None) -> list[Any]:
    """Commands of postgres-image containers: compose services (``compose_words``, with the
    project's ``.env`` values ``dotenv``), pod template containers."""
    commands = []
    for service in (doc.get("services") or {}).values() if isinstance(doc, dict) else []:
        if "postgres" in str(service.get("image", "")) and ("command" in service or "entrypoint" in service):
            words = compose_words(service, dotenv)
            if words is not None:
                commands.append(words)
    spec = (doc.get("spec") or {}) if isinstance(doc, dict) else {}
    for container in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
        if "postgres:" in str(container.get("image", "")) and isinstance(container.get("args"), list):
            commands.append(container["args"])  # a string is refused by Kubernetes (PGF001)
    return commands


def parameter_maps(doc: Any) -> list[dict]:
    """Operator parameter maps of a document; for Patroni the bootstrap DCS parameters with the
    local ones over them (the local configuration wins)."""
    if not isinstance(doc, dict):
        return []
    if "scope" in doc:
        dcs = (((doc.get("bootstrap") or {}).get("dcs") or {}).get("postgresql") or {}).get("parameters") or {}
        return [{**dcs, **((doc.get("postgresql") or {}).get("parameters") or {})}]
    spec = doc.get("spec") or {}
    maps = [
        (spec.get("postgresql") or {}).get("parameters"),
        ((((spec.get("patroni") or {}).get("dynamicConfiguration") or {}).get("postgresql")) or {}).get("parameters"),
    ]
    return [found for found in maps if isinstance(found, dict)]


def release_values(doc: dict) -> Any:
    """The chart values a GitOps release gives: Flux's HelmRelease ``spec.values``, an Argo CD
    Application's ``helm.valuesObject`` or ``helm.values`` (a YAML text); the document itself
    for a values file."""
    spec = doc.get("spec") or {}
    if doc.get("kind") == "HelmRelease":
        return spec.get("values") or {}
    if doc.get("kind") == "Application":
        helm = ((spec.get("sources") or [spec.get("source") or {}])[0]).get("helm") or {}
        return helm.get("valuesObject") or yaml.safe_load(helm.get("values") or "{}")
    return doc


def embedded(doc: Any) -> dict[str, str]:
    """Embedded files: Helm values' primary.extendedConfiguration (in a values file or a GitOps
    release), a ConfigMap's data."""
    if not isinstance(doc, dict):
        return {}
    if doc.get("kind") == "ConfigMap":
        return {name: text for name, text in (doc.get("data") or {}).items() if name.endswith((".conf", ".ini"))}
    primary = release_values(doc).get("primary") or {}
    return {"postgresql.conf": primary["extendedConfiguration"]} if "extendedConfiguration" in primary else {}


def as_conf(settings: dict[str, str]) -> str:
    return "".join(f"{name} = '{str(value).replace(chr(39), chr(39) * 2)}'\n" for name, value in settings.items())


def server_accepts(pg_server: PgServer, conf: str, tmp_path: Path) -> tuple[int, str]:  # noqa: F811
    directory = tmp_path / "conf"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    (directory / "postgresql.conf").write_text(conf)
    return pg_server.config_value(directory, "tcp_keepalives_idle")


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.parent.name}/{case.name}")
def test_patched_yaml_reads_back_and_its_consumers_accept_it(
    case: Path, pg_server: PgServer, tmp_path: Path  # noqa: F811
) -> None:
    for after in yaml_files(case / "after"):
        if after.relative_to(case / "after").as_posix() in (*NOT_APPLIED.get(case.name, ()), *PARTIAL.get(case.name, ())):
            continue
        before = case / "before" / after.relative_to(case / "after")
        new, old = documents(after), documents(before)
        assert len(new) == len(old), "a fix must not add or remove documents"
        dotenv = project_dotenv(after.parent)
        for doc in new:
            for command in server_commands(doc, dotenv):
                if isinstance(command, str) and refused_by_compose(command):
                    continue  # PGF001, left as it is: compose refuses the file
                flags = flags_of(command)
                if any("$(" in str(value) for value in flags.values()):
                    continue  # the kubelet expands $(VAR) first (kubernetes/args-env-expansion, test_k8s_expansion)
                if "config_file" in flags:
                    continue  # the settings live in that file; the flags given are still checked
                code, value = server_accepts(pg_server, as_conf(flags), tmp_path)
                assert code == 0, value
                # A value .env gives is reported and left there (the tool does not edit .env).
                assert value == "60" or value in LEFT_IN_DOTENV.get(case.name, ()), value
            for parameters in parameter_maps(doc):
                for name, value in KEEPALIVES.items():
                    if name not in NOT_WRITTEN.get(case.name, ()):
                        assert str(parameters.get(name)) == value, (after, name)
                if doc.get("kind") in ("Cluster", "postgresql"):
                    assert all(isinstance(value, str) for value in parameters.values()), "map[string]string"
                code, shown = server_accepts(pg_server, as_conf({k: str(v) for k, v in parameters.items()}), tmp_path)
                assert code == 0, shown
            for name, text in embedded(doc).items():
                if name.endswith(".ini"):
                    with running_pgbouncer(text) as bouncer:
                        config = bouncer.show_config()
                    assert config["tcp_keepidle"] == "60"
                    assert config["server_check_query"].strip()
                else:
                    code, value = server_accepts(pg_server, text, tmp_path)
                    assert (code, value) == (0, "60")


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("compose/command-string-renegotiation", "ssl_renegotiation_limit"),
        ("compose/typo-in-flag", 'unrecognized configuration parameter "tcp_keepalive_idle"'),
        ("compose/command-string-substitution", 'invalid value for parameter "tcp_keepalives_idle": "$(cat /run/secrets/idle)"'),
        ("compose/interpolation-dollar-escape", 'invalid value for parameter "tcp_keepalives_idle": "${IDLE}"'),
        ("compose/interpolation-dotenv-empty-value", 'invalid value for parameter "tcp_keepalives_count": ""'),
    ],
)
def test_what_the_tool_calls_fatal_the_real_server_refuses(
    case: str, refusal: str, pg_server: PgServer, tmp_path: Path  # noqa: F811
) -> None:
    before = yaml_files(FIXTURES / case / "before")[0]
    flags = {}
    for doc in documents(before):
        for command in server_commands(doc, project_dotenv(before.parent)):
            flags.update(flags_of(command))
    code, errors = server_accepts(pg_server, as_conf(flags), tmp_path)
    assert code != 0
    assert refusal in errors
    findings = run_cli(["."], FIXTURES / case / "before").stdout
    assert " PGF001 " in findings or " PGF104 " in findings


@pytest.mark.parametrize(
    "command",
    [
        "postgres -c tcp_keepalives_idle=$(cat /run/idle)",
        '["postgres", "-c", "tcp_keepalives_idle=$(cat /run/idle)"]',
        "postgres -c tcp_keepalives_idle=`cat /run/idle`",
    ],
)
def test_a_command_substitution_reaches_postgres_as_written(command: str, tmp_path: Path) -> None:
    # compose runs no shell and go-shellwords keeps $( ... ) and backticks: postgres refuses the text.
    (tmp_path / "docker-compose.yml").write_text(f"services:\n  db:\n    image: postgres:16\n    command: {command}\n")
    out = run_cli(["."], tmp_path).stdout
    assert 'PGF001 invalid value for parameter "tcp_keepalives_idle"' in out, out


@pytest.mark.parametrize("command", ["postgres -c tcp_keepalives_idle=${IDLE}", "postgres -c tcp_keepalives_idle=$IDLE"])
def test_compose_interpolation_is_a_value_not_known_here(command: str, tmp_path: Path) -> None:
    # compose fills ${IDLE} and $IDLE in from the environment before it splits the command.
    (tmp_path / "docker-compose.yml").write_text(f"services:\n  db:\n    image: postgres:16\n    command: {command}\n")
    out = run_cli(["."], tmp_path).stdout
    assert "tcp_keepalives_idle" not in out, out


def test_a_helm_template_is_not_a_yaml_error_and_its_strings_are_still_read(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "statefulset.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: db\n          image: postgres:16\n"
        '          args: ["-c", "tcp_keepalives_idle={{ .Values.idle }}"]\n'
        "          env:\n            - name: URL\n              value: postgresql://app@db.example.com/app\n"
    )
    out = run_cli(["."], tmp_path).stdout
    assert " PGF001 " not in out
    assert " PGF401 " in out


def test_a_jinja_template_is_not_a_yaml_error(tmp_path: Path) -> None:
    """cookiecutter-django's .travis.yml: a Jinja statement where a list item goes, which only
    the template engine turns into YAML."""
    (tmp_path / ".travis.yml").write_text(
        "language: python\nservices:\n  - {% if cookiecutter.use_docker == 'y' %}docker{% else %}postgresql{% endif %}\n"
        "env:\n  - DATABASE_URL=postgres://app@db.example.com/app\n"
    )
    out = run_cli(["."], tmp_path).stdout
    assert " PGF001 " not in out, out


def test_broken_yaml_is_pgf001_with_line(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n    command: [postgres, -c\n")
    out = run_cli(["."], tmp_path).stdout
    assert "docker-compose.yml:5:1: PGF001 not valid YAML" in out or "docker-compose.yml:4:" in out, out


@pytest.mark.parametrize(
    "command",
    [
        "postgres -c tcp_keepalives_idle=60 -c 'shared_preload_libraries=pg_stat_statements,auto_explain'",
        'postgres -c "log_line_prefix=%m [%p] " -c max_connections=200',
        "postgres -c search_path=app\\ schema --tcp-keepalives-count=6",
        "-c 'a=it'\\''s' -cfsync=off",
    ],
)
def test_command_words_split_like_shlex_and_flags_like_postgres(command: str, tmp_path: Path) -> None:
    from pgconf_fix.views.compose import server_flags, shell_words

    assert [word for word, *_ in shell_words(command)] == shlex.split(command)
    path = tmp_path / "docker-compose.yml"
    path.write_text(f"services:\n  db:\n    image: postgres:16\n    command: {json_string(command)}\n")
    from pgconf_fix.documents.yaml_nodes import compose_documents, get
    from pgconf_fix.source import read_source
    from pgconf_fix.views.compose import command_words

    source = read_source(path, "docker-compose.yml")
    words, _ = command_words(source, get(compose_documents(source.text)[0], "services", "db", "command"))
    assert {name: value for name, value, *_ in server_flags(words)} == flags_of(command)


@pytest.mark.parametrize(
    ("command", "offset"),
    [
        ("postgres -c 'log_line_prefix=%m [%p] ", 12),
        ('postgres -c "tcp_keepalives_idle=60 -c max_connections=200', 12),
        ('postgres -c "a=\\" -c b=1', 12),  # the escaped quote does not close it
        ("postgres -c fsync=off \\", 22),
    ],
)
def test_a_command_compose_cannot_split_is_refused_where_it_breaks(command: str, offset: int) -> None:
    # compose-go splits a string command with go-shellwords, which fails on these
    # ("invalid command line string"); shlex fails on them too.
    from pgconf_fix.views.compose import UnsplittableCommand, shell_words

    with pytest.raises(ValueError):
        shlex.split(command)
    with pytest.raises(UnsplittableCommand) as caught:
        shell_words(command)
    assert caught.value.offset == offset


def json_string(text: str) -> str:
    import json

    return json.dumps(text)


def test_a_swarm_stack_budget_is_ipvs_900_s_unless_a_shorter_box_is_on_the_path() -> None:
    swarm = run_cli(["."], FIXTURES / "compose" / "swarm-stack-pgbouncer" / "before").stdout
    assert "idle budget (900 s: Docker Swarm's IPVS (deploy:) at docker-stack.yml:11)" in swarm
    assert "pgbouncer.ini" not in swarm and " PGF401 " not in swarm  # their 600 s are within 900 s
    behind_nat = run_cli(["."], FIXTURES / "compose" / "swarm-stack-behind-nat" / "before").stdout
    assert "IPVS" not in behind_nat
    assert behind_nat.count("idle budget (350 s: NAT gateway aws_nat_gateway.egress at infra/nat.tf:2)") == 4


@pytest.mark.parametrize("yaml_style", ["plain", "single", "double"])
@pytest.mark.parametrize(
    "word",
    [
        "-c 'tcp_keepalives_idle=7200'",
        '-c "tcp_keepalives_idle=7200"',
        "-c'tcp_keepalives_idle=7200'",
        "--tcp-keepalives-idle='7200'",
        "'--tcp-keepalives-idle=7200'",
        "-c 'tcp_keepalives_idle'=7200",
        "-c \"tcp_keepalives_idle\"'=7200'",
        '-c "tcp_keepalives\\_idle=7200"',
        "-c tcp_keepalives_idle='7200'",
    ],
)
def test_a_fix_inside_quotes_changes_only_the_value_bytes(yaml_style: str, word: str, tmp_path: Path) -> None:
    # The word keeps its shell quoting and the scalar its YAML quoting: 7200 becomes 60, nothing else moves.
    command = f"postgres {word} -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6"
    scalar = {"plain": command, "single": "'" + command.replace("'", "''") + "'", "double": json_string(command)}
    text = f"services:\n  db:\n    image: postgres:16\n    command: {scalar[yaml_style]}\n"
    (tmp_path / "docker-compose.yml").write_text(text)
    assert yaml.safe_load(text)["services"]["db"]["command"] == command
    outcome = run_cli(["--write", "."], tmp_path)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert (tmp_path / "docker-compose.yml").read_text() == text.replace("7200", "60", 1)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n    command: postgres -c ssl_renegotiation_limit=${RENEG}\n"),
        ("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n    command: [postgres, -c, ssl_renegotiation_limit=$RENEG]\n"),
        ("statefulset.yaml", (
            "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n"
            "        - name: db\n          image: postgres:16\n          args: [-c, ssl_renegotiation_limit=$(RENEG)]\n"
            "          envFrom:\n            - configMapRef:\n                name: tuning\n"
        )),
    ],
)
def test_a_renegotiation_limit_from_a_variable_is_not_known_to_be_refused(name: str, text: str, tmp_path: Path) -> None:
    # The variable may well hold 0: PGF104 says nothing, and no placeholder reaches a message.
    (tmp_path / name).write_text(text)
    out = run_cli(["."], tmp_path).stdout
    assert " PGF104 " not in out and "\ue000" not in out, out
    (tmp_path / ".env").write_text("RENEG=512MB\n")
    if name == "docker-compose.yml":  # now compose's value is known: 512MB, which PostgreSQL 16 refuses
        out = run_cli(["."], tmp_path).stdout
        assert " PGF104 " in out and "RENEG = 512MB at .env:1" in out, out
