"""Hostile input for the newer readers: Kustomize, GitOps release values, Rails' database.yml,
the images' own drivers, compose hosts filled from ``.env``.

Each test keeps the smallest input of a failure found by attacking them: a hang, a traceback, a
fix written in the wrong place. A run that hung is stopped by ``deadline`` (a guard against a
hang, not a measure of speed: the inputs take well under a second).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.cli_runner import Outcome, run_cli
from tests.test_kustomize import needs_kubectl
from tests.test_rails_database_yml import _active_record, _keepalives

HUNG_AFTER = 120  # seconds; each run here takes under one


class Hung(Exception):
    pass


@contextmanager
def deadline(seconds: int = HUNG_AFTER) -> Iterator[None]:
    """Raise Hung in the block after ``seconds`` (SIGALRM): a hang fails the test."""

    def stop(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    before = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def run(args: list[str], cwd: Path) -> Outcome:
    with deadline():
        outcome = run_cli(["--no-cache", *args], cwd)
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome.stderr
    return outcome


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - yields a tests.pg_server.Cluster
    from tests.pg_server import require_server, temporary_cluster

    with temporary_cluster(require_server()) as running:
        yield running


# -- a mapping whose last value is an alias ----------------------------------------------------

SELF_MERGING = """\
production: &production
  adapter: postgresql
  host: db.example.com
  sslmode: require
  keepalives_idle: 7200
  <<: *production
"""


def test_a_database_yml_environment_that_merges_itself_is_fixed(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    """An environment whose last entry merges itself (``<<: *production``; Ruby's YAML reads
    it, the merge adding nothing): a fix adding keywords at the end of the mapping followed the
    last value into the anchor, which is the mapping again, for ever (the run hung). The keywords
    now go after the alias's line, and ActiveRecord hands them to libpq."""
    _active_record()
    config = tmp_path / "config"
    config.mkdir()
    path = config / "database.yml"
    path.write_text(SELF_MERGING)
    assert _keepalives(path, "production", cluster.port)["keepalives_idle"] == "7200"
    outcome = run(["--write", "."], tmp_path)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert path.read_text() == SELF_MERGING.replace("7200", "60") + "  keepalives: 1\n  keepalives_interval: 10\n  keepalives_count: 6\n"
    got = _keepalives(path, "production", cluster.port)
    assert got == {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
    assert run(["--write", "."], tmp_path).code == 0 and path.read_text().count("keepalives_count") == 1


CLUSTER_WITH_ALIAS_LAST = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: app-db
  annotations:
    keepalive-interval: &ten "10"
spec:
  instances: 1
  postgresql:
    parameters:
      tcp_keepalives_idle: "60"
      tcp_keepalives_interval: *ten
"""


@needs_kubectl
def test_a_parameter_map_ending_in_an_alias_gets_the_missing_one_after_it(tmp_path: Path) -> None:
    """A CloudNativePG Cluster whose last parameter is an alias (``*ten``) of an annotation
    written above: the missing ``tcp_keepalives_count`` was inserted after the anchor's line,
    inside ``metadata.annotations`` (the edited YAML did not parse, and the fix was dropped: "no
    fix"). It now goes after the alias, and kustomize renders the three parameters."""
    (tmp_path / "cluster.yaml").write_text(CLUSTER_WITH_ALIAS_LAST)
    (tmp_path / "kustomization.yaml").write_text("resources:\n- cluster.yaml\n")
    outcome = run(["--write", "cluster.yaml"], tmp_path)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert (tmp_path / "cluster.yaml").read_text() == CLUSTER_WITH_ALIAS_LAST + '      tcp_keepalives_count: "6"\n'
    done = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    parameters = yaml.safe_load(done.stdout)["spec"]["postgresql"]["parameters"]
    assert parameters == {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6"}


def test_content_end_of_a_collection_that_holds_itself() -> None:
    """``content_end`` of block collections whose last child is an alias of the collection
    itself (or of one around it): the end of the alias's own text, found without walking."""
    from pgconf_fix.documents import yaml_nodes as Y

    for text, alias in (
        ("a: &a\n  k: 1\n  self: *a  # loop\n\nb: 2\n", "*a"),
        ("s: &s\n  - 1\n  - *s\n# after\n", "*s"),
        ("s: &s\n- *s\n", "*s"),
        ("b: &b\n  c:\n    <<: *b\n", "*b"),
    ):
        root = Y.compose_documents(text)[0]
        with deadline(30):
            end = Y.content_end(text, root.value[0][1])
        assert text[:end].endswith(alias), (text, end)


# -- the project's .env, read for a compose file's hosts ---------------------------------------

COMPOSE_WITH_HOST_VARIABLE = """\
services:
  app:
    image: python:3.12
    environment:
      DATABASE_URL: postgresql://app@${DB_HOST}/app
"""


def _nested_default(depth: int, inner: str) -> str:
    return "${UNSET:-" * depth + inner + "}" * depth


@pytest.mark.parametrize("depth", [50, 5_000])
def test_a_dotenv_default_nested_thousands_deep_is_unknown_not_a_traceback(tmp_path: Path, depth: int) -> None:
    """``DB_HOST=${UNSET:-${UNSET:-...db.example.com...}}``: each level of defaults was a Python
    call, and 5,000 of them raised RecursionError out of the run (a traceback, exit 1). Fifty
    levels still give the host; past ``MAX_NESTING`` the host is unknown, as one the shell sets."""
    (tmp_path / ".env").write_text(f"DB_HOST={_nested_default(depth, 'db.example.com')}\n")
    (tmp_path / "compose.yaml").write_text(COMPOSE_WITH_HOST_VARIABLE)
    outcome = run(["compose.yaml"], tmp_path)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    shown = "db.example.com" if depth == 50 else "${DB_HOST}"
    assert f"compose.yaml:5:21: PGF401 connection to {shown}" in outcome.stdout, outcome.stdout


def test_a_large_dotenv_value_is_read_in_memory_of_its_size() -> None:
    """A project's ``.env`` holding one value of 10 MB (just under the file size limit):
    compose's interpolation kept two offsets a character in Python lists, and the run took
    1.1 GB (``/usr/bin/time``) and 10 s. Held here, on 1 MB (tracemalloc is slow), to three
    times the text's size as tracemalloc counts it (the text itself is one; it was 107); a
    string that is all ``$$`` to 20 bytes a character (each is a mark: 24 bytes in arrays,
    against 80 in tuples before)."""
    import tracemalloc

    from pgconf_fix.documents.compose_dotenv import project_environment
    from pgconf_fix.documents.compose_interpolation import interpolate

    size = 1024 * 1024
    text = "DB_HOST=" + "a" * size + "\n"
    tracemalloc.start()
    try:
        project_environment(text)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        marked = interpolate("$$" * (size // 2))
        assert marked.text == "$" * (size // 2) and marked.ends[-1] == size
        dollars = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * size, peak
    assert dollars < 20 * size, dollars


def test_a_placeholder_character_written_in_a_dotenv_value_is_a_character() -> None:
    """U+E000, the character that stands for a variable in an interpolated text, written in a
    ``.env`` value: filling the variables in took it for one more and raised StopIteration
    (a traceback). It is a character like any other, and the variables are filled in order."""
    from pgconf_fix.documents.compose_dotenv import project_environment

    found = project_environment("HOST=db.example.com\nA=\ue000${HOST}\ue000${HOST:-x}\n")
    assert found["A"].value == "\ue000db.example.com\ue000db.example.com"


def test_a_placeholder_character_written_in_a_compose_command_is_no_variable(tmp_path: Path) -> None:
    """A compose command whose ``-c`` values hold U+E000 as written beside a variable: the
    value was filled in by counting that character as a variable's, one more than there were
    (StopIteration, a traceback). Such a value is now unknown, and the rest of the command is
    judged and fixed."""
    (tmp_path / ".env").write_text("IDLE=7200\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n"
        '    command: ["postgres", "-c", "tcp_keepalives_idle=\\ue000${IDLE:-60}", "-c", "tcp_keepalives_interval=${X:-5}\\ue000"]\n'
    )
    outcome = run(["--diff", "compose.yaml"], tmp_path)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert '"tcp_keepalives_interval=${X:-5}\\ue000", "-c", "tcp_keepalives_count=6"]' in outcome.stdout, outcome.stdout


# -- Terraform's JSON syntax nested past Python's recursion ------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def test_terraform_json_nested_100000_deep_is_not_checked_and_the_run_goes_on(tmp_path: Path) -> None:
    """A ``.tf.json`` (and an ``.auto.tfvars.json``) holding an array 100,000 deep: the JSON
    reader recurses a level a value, and its RecursionError came out of the run (a traceback,
    nothing reported). Terraform reads such a file (``terraform validate``: "The configuration
    is valid"), so it is PGF004, not checked, not PGF001; the other files are still judged."""
    (tmp_path / "lb.tf.json").write_text('{"resource": {"aws_lb": {"x": {"idle_timeout": 60, "y": ' + DEEP + "}}}}")
    (tmp_path / "x.auto.tfvars.json").write_text('{"x": ' + DEEP + "}")
    (tmp_path / "db.tf").write_text(
        'resource "aws_db_parameter_group" "x" {\n  family = "postgres15"\n'
        '  parameter {\n    name  = "tcp_keepalives_idle"\n    value = "7200"\n  }\n}\n'
    )
    outcome = run(["."], tmp_path)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    for name in ("lb.tf.json", "x.auto.tfvars.json"):
        assert f"{name}:1:1: PGF004 not checked: nested too deeply for pgconf-fix's JSON reader" in outcome.stdout, outcome.stdout
    assert 'db.tf:5:5: PGF101 tcp_keepalives_idle = "7200"' in outcome.stdout, outcome.stdout


def test_a_tf_file_nested_100000_deep_is_not_checked_in_bounded_memory(tmp_path: Path) -> None:
    """The same depth in Terraform's native syntax: the plain reader stops at Python's recursion
    limit and python-hcl2 took 27 s and 1.17 GB for it (ru_maxrss of the run, before this
    guard); brackets nested past documents.hcl.MAX_NESTING (1,000) are PGF004, not read, and the
    run goes on with the other files. The run's peak memory stays under 200 MB."""
    import subprocess
    import sys

    (tmp_path / "deep.tf").write_text("locals {\n  x = " + DEEP[:100_000] + "1" + DEEP[100_000:] + "\n}\n")
    (tmp_path / "db.tf").write_text(
        'resource "aws_db_parameter_group" "x" {\n  family = "postgres15"\n'
        '  parameter {\n    name  = "tcp_keepalives_idle"\n    value = "7200"\n  }\n}\n'
    )
    import shutil

    # The peak of the run itself, as GNU time reports it: a forked test worker's own resident
    # memory counts in the child's ru_maxrss (a wait4 in the worker saw 286 MB for a 55 MB run).
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    command = [sys.executable, "-m", "pgconf_fix", "--no-cache", "."]
    if timer is not None:
        command = [timer, "-f", "peak-kb=%M", *command]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert "deep.tf:1:1: PGF004 not checked: brackets nested 100,001 deep" in done.stdout, done.stdout
    assert 'db.tf:5:5: PGF101 tcp_keepalives_idle = "7200"' in done.stdout
    if timer is not None:
        peak_kb = int(done.stderr.rsplit("peak-kb=", 1)[1].split()[0])
        assert peak_kb < 200_000, peak_kb


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed (.ci/run installs it)")
def test_terraform_reads_json_nested_100000_deep(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('{"locals": {"x": ' + DEEP + "}}")
    done = subprocess.run(["terraform", "validate", "-no-color"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0 and "The configuration is valid" in done.stdout, done.stdout + done.stderr


# -- kustomize inline patches ------------------------------------------------------------------

BASE_CLUSTER = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: app-db
spec:
  postgresql:
    parameters:
      tcp_keepalives_idle: "60"
      tcp_keepalives_interval: "10"
      tcp_keepalives_count: "6"
"""
BROKEN_PATCH = """\
- patch: |
    apiVersion: postgresql.cnpg.io/v1
    kind: Cluster
    metadata: {name: app-db}
    spec: {postgresql: {parameters: {tcp_keepalives_idle: "9000"}
"""
JSON_PATCH_WITH_A_TAB = """\
- target: {kind: Cluster}
  patch: |
    [{"op": "add",\t"path": "/spec/postgresql/parameters/tcp_keepalives_count", "value": "5"}]
"""


def _kustomize(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "kustomize", str(root)], capture_output=True, text=True, timeout=120, check=False)


@needs_kubectl
def test_an_inline_patch_kustomize_cannot_parse_is_pgf001_at_its_last_line(tmp_path: Path) -> None:
    """A kustomization whose inline strategic-merge patch is not YAML (a flow mapping never
    closed): kustomize refuses the kustomization ("unable to parse SM or JSON patch"), and the
    patch was skipped without a word (exit 0, "All checks passed!"). It is PGF001 now, on the
    patch's last line (PyYAML stops at the end of the block). A patch PyYAML refuses that is JSON
    (a tab between tokens) is not: kustomize reads it."""
    (tmp_path / "cluster.yaml").write_text(BASE_CLUSTER)
    head = "resources: [cluster.yaml]\npatches:\n"
    (tmp_path / "kustomization.yaml").write_text(head + BROKEN_PATCH + JSON_PATCH_WITH_A_TAB)
    refused = _kustomize(tmp_path)
    assert refused.returncode != 0 and "unable to parse SM or JSON patch" in refused.stderr, refused.stderr
    outcome = run(["."], tmp_path)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert outcome.stdout.startswith(
        "kustomization.yaml:7:1: PGF001 kustomize refuses this inline patch, which is not valid YAML: "
        "while parsing a flow mapping: did not find expected ',' or '}'\n"), outcome.stdout  # fmt: skip
    assert "Found 1 finding." in outcome.stdout
    (tmp_path / "kustomization.yaml").write_text(head + JSON_PATCH_WITH_A_TAB)
    read = _kustomize(tmp_path)
    assert read.returncode == 0 and 'tcp_keepalives_count: "5"' in read.stdout, read.stderr
    assert "PGF001" not in run(["."], tmp_path).stdout
