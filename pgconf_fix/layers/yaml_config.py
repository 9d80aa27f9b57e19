"""YAML layer: compose and Swarm stack files, Kubernetes manifests, Helm values, Patroni
configuration and Ansible sysctl tasks (views of the server, kernel, PgBouncer and client layers).

Claimed by name (``compose.yaml``, ``docker-compose*.yml``) or, for other ``.yml``/``.yaml``
files, by a cheap look at the first bytes for the keys this layer reads (or a kustomize JSON
patch's ``path: /spec/postgresql/...``). A YAML file it does
not claim stays the client layer's (connection strings only). A ``.json`` file is claimed when
it holds an RDS parameter group (a CloudFormation template in JSON, read as the YAML it also is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "yaml"
LAYERS = ("server", "kernel", "client", "pgbouncer")  # the rule layers of the views it builds


# The claim's expressions are compiled when first needed (a run without YAML files never asks).
@cache
def _compose_name() -> re.Pattern[str]:
    return re.compile(r"(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml|compose\.ya?ml")


@cache
def _environment_images() -> re.Pattern[bytes]:
    """The PgBouncer images configured by their environment (views.pgbouncer_env.IMAGES)."""
    return re.compile(rb"(?:edoburu|bitnami|bitnamilegacy)/pgbouncer")


@cache
def _keys() -> re.Pattern[bytes]:
    """Keys this layer reads, at the start of a line (a YAML key or a list item)."""
    return re.compile(
        rb"^[ \t-]*(?:services|sysctls|[Pp]arameters|extendedConfiguration|postgresql\.conf|pgbouncer\.ini"
        rb"|dynamicConfiguration|args|command|(?:ansible\.(?:posix|builtin)\.)?sysctl"
        rb"|(?:community\.postgresql\.)?postgresql_set|postgresql_global_config_options)[ \t]*:",
        re.MULTILINE,
    )


@cache
def _operator_api() -> re.Pattern[bytes]:
    """The API groups of the operators whose resources views.kubernetes reads whole: a
    resource of theirs is read (its missing settings judged) without any key of ``_keys``."""
    return re.compile(
        rb"^[ \t]*apiVersion[ \t]*:[ \t]*[\"']?"
        rb"(?:postgresql\.cnpg\.io|postgres-operator\.crunchydata\.com|acid\.zalan\.do|pgv2\.percona\.com)/",
        re.MULTILINE,
    )


@cache
def _json_patch_path() -> re.Pattern[bytes]:
    """A JSON 6902 operation on an operator's parameters (views.kustomize: a patch file, or
    inline in a kustomization)."""
    return re.compile(rb"path[ \t]*:[ \t]*[\"']?/spec/(?:postgresql|patroni)/")


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    name = path.name.lower()
    if name.endswith(".json"):
        # A CloudFormation template in JSON with an RDS parameter group (views.cloudformation),
        # or an ECS task definition running edoburu/ or bitnami/pgbouncer (views.pgbouncer_env).
        data = head()
        return (b"AWS::RDS::DB" in data and b"ParameterGroup" in data) or (
            _environment_images().search(data) is not None and b"ontainerDefinitions" in data
        )
    if not name.endswith((".yml", ".yaml")):
        return False
    if name.startswith(("docker-compose", "compose")) and _compose_name().fullmatch(name):
        return True
    data = head()
    if name == "database.yml":
        # Rails' connections (views.rails): adapter postgresql or postgis (which names no "postgres")
        return b"postgres" in data or b"postgis" in data
    if b"postgres" not in data and b"pgbouncer" not in data and b"patroni" not in data and b"sysctl" not in data:
        return False
    # A key read, a container of a PgBouncer image configured by its environment
    # (views.pgbouncer_env) or of bitnami/postgresql's keepalive variables
    # (views.bitnami_postgresql), an operator's resource, or a kustomize JSON patch of one.
    return (
        _keys().search(data) is not None
        or _environment_images().search(data) is not None
        or b"POSTGRESQL_TCP_KEEPALIVES_" in data
        or _operator_api().search(data) is not None
        or _json_patch_path().search(data) is not None
    )


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import client_checks, pgbouncer_checks, server_checks  # noqa: F401
    from pgconf_fix.views.yaml_config import build_yaml_views

    return build_yaml_views(workspace, sources, options)
