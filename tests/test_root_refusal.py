"""A command that starts postgres as root under the official image (and the images built FROM
it): postgres refuses to start, so the file says so (PGF001) and nothing is judged missing.

The official image sets no USER; its docker-entrypoint.sh starts as root and hands the server to
the postgres user only when its first argument is ``postgres`` or a flag. A shell-form ``CMD``
reaches it as ``/bin/sh -c "..."`` (run as root), and an entrypoint of one's own that runs
postgres bypasses it (docker-library/postgres ``docker-entrypoint.sh`` ``_main``, read; the
Dockerfile reference's table of CMD and ENTRYPOINT forms)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.views.compose import ROOT_REFUSAL
from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server  # noqa: F401 - pg_server is a fixture

REFUSED = "postgres refuses to start (it says: " + ROOT_REFUSAL

DOCKERFILES = {
    # Dockerfile -> (line of the PGF001, or None; the codes found besides PGF001)
    "FROM postgres:16\nCMD postgres -c tcp_keepalives_idle=60\n": (2, set()),
    "FROM postgres:16\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD postgres -c tcp_keepalives_idle=60\n": (3, set()),
    "FROM postgres:16\nENTRYPOINT [\"postgres\", \"-c\", \"tcp_keepalives_idle=60\"]\n": (2, set()),
    "FROM docker.io/library/postgres:16 AS base\nFROM base\nENTRYPOINT [\"/usr/lib/postgresql/16/bin/postgres\"]\n": (3, set()),
    "FROM pgvector/pgvector:pg17\nUSER root\nCMD postgres -c tcp_keepalives_idle=60\n": (3, set()),
    "FROM postgres:16\nENTRYPOINT postgres -c tcp_keepalives_idle=60\n": (2, set()),  # shell form: /bin/sh -c, as root
    "FROM postgres:16\nENTRYPOINT exec postgres -c tcp_keepalives_idle=60\nCMD [\"postgres\"]\n": (2, set()),
    # Not refused: the exec form goes through the entrypoint's gosu; a USER other than root; an
    # image whose entrypoint this is not (bitnami runs as a user of its own).
    "FROM postgres:16\nCMD [\"postgres\", \"-c\", \"tcp_keepalives_idle=60\"]\n": (None, {"PGF102", "PGF103"}),
    "FROM postgres:16\nUSER postgres\nCMD postgres -c tcp_keepalives_idle=60\n": (None, {"PGF102", "PGF103"}),
    "FROM postgres:16\nUSER 999\nENTRYPOINT [\"postgres\", \"-c\", \"tcp_keepalives_idle=60\"]\n": (None, {"PGF102", "PGF103"}),
    "FROM bitnami/postgresql:16\nCMD postgres -c tcp_keepalives_idle=60\n": (None, {"PGF102", "PGF103"}),
    "FROM postgres:16\nUSER postgres\nENTRYPOINT exec postgres -c tcp_keepalives_idle=60\n": (None, {"PGF102", "PGF103"}),
}

SERVICES = {
    # the lines after "image: postgres:16" -> refused
    'entrypoint: postgres -c tcp_keepalives_idle=60': True,
    'entrypoint: ["postgres", "-c", "tcp_keepalives_idle=60"]\n    user: "0:0"': True,
    'entrypoint: ["postgres", "-c", "tcp_keepalives_idle=60"]\n    user: ""': True,  # empty: the image's user
    'entrypoint: ["postgres", "-c", "tcp_keepalives_idle=60"]\n    user: postgres': False,
    'entrypoint: ["docker-entrypoint.sh", "postgres", "-c", "tcp_keepalives_idle=60"]': False,
    "command: postgres -c tcp_keepalives_idle=60": False,
}


def _found(tmp_path: Path) -> list[dict]:
    return json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)


SHELL_CMD = {
    # an ENTRYPOINT that starts postgres, then a shell-form CMD -> refused
    'FROM postgres:16\nENTRYPOINT ["docker-entrypoint.sh", "postgres"]\nCMD -c tcp_keepalives_idle=60\n': True,
    'FROM postgres:16\nUSER postgres\nENTRYPOINT ["postgres"]\nCMD -c tcp_keepalives_idle=60\n': True,
    'FROM postgres:16\nENTRYPOINT ["docker-entrypoint.sh", "postgres"]\nCMD ["-c", "tcp_keepalives_idle=60"]\n': False,
}


@pytest.mark.parametrize("dockerfile", list(SHELL_CMD))
def test_a_shell_form_cmd_after_an_entrypoint_that_starts_postgres(tmp_path: Path, dockerfile: str) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    found = _found(tmp_path)
    refused = [item for item in found if item["code"] == "PGF001"]
    if SHELL_CMD[dockerfile]:
        assert len(found) == 1 and len(refused) == 1 and "as /bin/sh -c" in refused[0]["message"], found
        assert refused[0]["line"] == dockerfile.count("\n"), found  # at the CMD, the last line
    else:
        assert refused == [] and {item["code"] for item in found} == {"PGF102", "PGF103"}, found


def test_postgres_refuses_sh_c_as_its_arguments(pg_server: PgServer) -> None:  # noqa: F811
    """What a shell-form CMD gives an ENTRYPOINT running postgres (SHELL_CMD's refused cases)."""
    with pg_server.staged() as conf_dir:
        (conf_dir / "postgresql.conf").write_text("")
        done = pg_server.run("postgres", "-D", str(conf_dir), "-C", "port", "/bin/sh", "-c", "-c tcp_keepalives_idle=60",
                             cwd=conf_dir)
    assert done.returncode != 0 and "unrecognized configuration parameter" in done.stderr, done.stderr


@pytest.mark.parametrize("dockerfile", list(DOCKERFILES))
def test_a_dockerfile_that_starts_postgres_as_root(tmp_path: Path, dockerfile: str) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    line, others = DOCKERFILES[dockerfile]
    found = _found(tmp_path)
    refused = [item for item in found if item["code"] == "PGF001"]
    assert [item["line"] for item in refused] == ([line] if line else []), found
    assert all(REFUSED in item["message"] for item in refused), refused
    assert {item["code"] for item in found} - {"PGF001"} == others, found


@pytest.mark.parametrize("lines", list(SERVICES))
def test_a_compose_entrypoint_that_starts_postgres_as_root(tmp_path: Path, lines: str) -> None:
    (tmp_path / "compose.yaml").write_text(f"services:\n  db:\n    image: postgres:16\n    {lines}\n")
    found = _found(tmp_path)
    refused = [item for item in found if item["code"] == "PGF001"]
    if SERVICES[lines]:
        assert len(refused) == 1 and REFUSED in refused[0]["message"], found
        assert len(found) == 1, found  # the flags of a server that never starts are not judged
    else:
        assert refused == [] and {item["code"] for item in found} == {"PGF102", "PGF103"}, found


@pytest.mark.skipif(os.geteuid() != 0, reason="runs postgres as root: needs root")
def test_postgres_refuses_to_run_as_root(pg_server: PgServer) -> None:  # noqa: F811
    done = subprocess.run([str(pg_server.bindir / "postgres"), "-c", "tcp_keepalives_idle=60", "-C", "port"],
                          capture_output=True, text=True, cwd="/tmp", env={"LC_ALL": "C", "PATH": os.environ["PATH"]}, check=False)
    assert done.returncode != 0 and ROOT_REFUSAL in done.stderr, done.stderr


KUBELET_REFUSES = "the kubelet refuses to create the container"
CONTAINERS = {
    # a container of the pod (under containers:), and the pod's securityContext lines ->
    # "postgres" (postgres refuses to run as root), "kubelet" (runAsNonRoot: the kubelet refuses
    # to create it) or None (it runs; its flags are judged)
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]', ""): "postgres",
    ('command: ["/usr/lib/postgresql/16/bin/postgres"]\n      args: ["-c", "tcp_keepalives_idle=60"]', ""): "postgres",
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]\n      securityContext: {runAsUser: 0}', ""): "postgres",
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]', "runAsNonRoot: true"): "kubelet",
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]\n      securityContext: {runAsNonRoot: true, runAsUser: 0}',
     ""): "kubelet",
    # the pod's runAsUser 999 is the container's too, unless the container says 0
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]\n      securityContext: {runAsUser: 0}', "runAsUser: 999"):
        "postgres",
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]', "runAsUser: 999"): None,
    ('command: ["postgres", "-c", "tcp_keepalives_idle=60"]\n      securityContext: {runAsUser: 70}', "runAsUser: 0"):
        None,
    # the image's entrypoint is kept (args only), or named: it drops to the postgres user
    ('args: ["postgres", "-c", "tcp_keepalives_idle=60"]', ""): None,
    ('args: ["-c", "tcp_keepalives_idle=60"]', ""): None,
    ('command: ["docker-entrypoint.sh"]\n      args: ["postgres", "-c", "tcp_keepalives_idle=60"]', ""): None,
}


@pytest.mark.parametrize(("container", "pod"), list(CONTAINERS))
def test_a_kubernetes_command_that_starts_postgres_as_root(tmp_path: Path, container: str, pod: str) -> None:
    """A container's ``command`` replaces the image's ENTRYPOINT (``args`` alone keep it); the
    effective runAsUser and runAsNonRoot are the container's, else the pod's (kubernetes
    pkg/securitycontext DetermineEffectiveSecurityContext; the kubelet's verifyRunAsNonRoot)."""
    context = f"  securityContext:\n    {pod}\n" if pod else ""
    text = (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n{context}  containers:\n    - name: db\n"
            f"      image: postgres:16\n      {container}\n")
    (tmp_path / "pod.yaml").write_text(text)
    found = _found(tmp_path)
    refused = [item for item in found if item["code"] == "PGF001"]
    expected = CONTAINERS[(container, pod)]
    if expected is None:
        assert refused == [] and {item["code"] for item in found} == {"PGF102", "PGF103"}, found
        return
    assert len(found) == 1 and len(refused) == 1, found  # the flags of a server that never starts are not judged
    assert (REFUSED if expected == "postgres" else KUBELET_REFUSES) in refused[0]["message"], refused
    command_line = next(number for number, line in enumerate(text.splitlines(), 1) if "command:" in line)
    assert refused[0]["line"] == command_line, refused  # the command's first item
