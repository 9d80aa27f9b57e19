"""Every PostgreSQL major 10-18, real servers: the catalogs and the verdicts pgconf-fix gives.

The servers are the npm registry's builds that .ci/run fetches (tests/pg_majors.py); a major
whose build is absent is skipped with the reason. Per major:

1. the committed catalog lists exactly the names ``postgres --describe-config`` prints (flag
   ``described``), with the same type, context and range; every name the catalog holds beyond
   those is accepted by ``postgres -C``, and a name no major has is refused;
2. every server fixture tree, before and after its fixes, judged by pgconf-fix for that major
   (as ``--pg-version N`` would): pgconf-fix says the server refuses to start (a PGF001 error,
   or PGF104's "refuses to start") exactly when that major's ``postgres -D DIR -C ...`` refuses
   the tree; where it starts, the keepalive values agree.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from pgconf_fix import guc_catalog
from pgconf_fix.checks import server_checks  # noqa: F401 - registers PGF104's check, as the server reader does
from pgconf_fix.catalog import load_catalog
from pgconf_fix.engine import run_rules
from pgconf_fix.options import Options
from pgconf_fix.versions import Major, PgVersion
from pgconf_fix.views.server import MAIN_NAME, ServerConfig
from pgconf_fix.workspace import Workspace
from tests.pg_majors import MAJORS, require_major

SERVER_FIXTURES = Path(__file__).parent / "fixtures" / "server"
KEEPALIVES = {"tcp_keepalives_idle": "s", "tcp_keepalives_interval": "s", "tcp_keepalives_count": None}
REFUSES_TO_START = re.compile(r"refuses to start|stops the server from starting")
UNRECOGNIZED = "unrecognized configuration parameter"
DESCRIBED_TYPES = {"BOOLEAN": "bool", "INTEGER": "integer", "REAL": "real", "STRING": "string", "ENUM": "enum"}


# -- 1. the catalogs ------------------------------------------------------------------------


def describe_config(major: int) -> dict[str, list[str]]:
    server = require_major(major)
    done = server.run("postgres", "--describe-config")
    assert done.returncode == 0, done.stderr
    return {fields[0]: fields[1:] for fields in (line.split("\t") for line in done.stdout.splitlines())}


@pytest.mark.parametrize("major", MAJORS)
def test_catalog_equals_describe_config(major: int) -> None:
    described = describe_config(major)
    catalog = guc_catalog.catalog_for(PgVersion(major))
    assert catalog is not None
    ours = {guc.name for guc in catalog.parameters.values() if guc.described}
    assert ours == set(described), (
        f"PostgreSQL {major}: only in the catalog {sorted(ours - set(described))}, "
        f"only in --describe-config {sorted(set(described) - ours)}"
    )
    for name, (context, _group, vartype, _default, minimum, maximum, *_) in described.items():
        guc = catalog.get(name)
        assert (guc.context, guc.vartype) == (context, DESCRIBED_TYPES[vartype]), name
        if vartype in ("INTEGER", "REAL"):
            assert math.isclose(float(minimum), guc.minimum, rel_tol=1e-6), (name, minimum, guc.minimum)
            assert math.isclose(float(maximum), guc.maximum, rel_tol=1e-6), (name, maximum, guc.maximum)


@pytest.mark.parametrize("major", MAJORS)
def test_names_beyond_describe_config_are_accepted_and_unknown_ones_refused(major: int) -> None:
    server = require_major(major)
    catalog = guc_catalog.catalog_for(PgVersion(major))
    extra = sorted(guc.name for guc in catalog.parameters.values() if not guc.described)
    absent = sorted(name for name in guc_catalog.all_names() if name not in catalog)
    with server.staged() as root:
        (root / MAIN_NAME).write_text("", "utf-8")
        names = [*extra, *absent]
        verdicts = dict(zip(names, server.config_values((root, name) for name in names)))
    # -C of a value computed at start-up (data_checksums, shared_memory_size) needs a real data
    # directory and fails for that reason: only "unrecognized configuration parameter" is a refusal.
    unknown = {name for name, (code, text) in verdicts.items() if code != 0 and UNRECOGNIZED in text}
    assert not unknown & set(extra), f"PostgreSQL {major} does not know names its catalog holds: {unknown & set(extra)}"
    accepted = sorted(set(absent) - unknown)
    assert not accepted, f"PostgreSQL {major} knows names its catalog lacks (other majors have them): {accepted}"
    assert absent, "every major lacks some name another has"


# -- 2. the fixture trees, major by major ------------------------------------------------------


def _main_files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob(MAIN_NAME))


TREES = [
    (case / side, rel)
    for case in sorted(path.parent for path in SERVER_FIXTURES.glob("*/before"))
    for side in ("before", "after")
    if (case / side).is_dir()
    for rel in _main_files(case / side)
]
RULES = load_catalog()


def our_verdict(root: Path, rel: str, major: int) -> tuple[list[str], dict[str, int] | None]:
    """(why pgconf-fix says PostgreSQL ``major`` refuses the tree, the keepalive values it reads)."""
    workspace = Workspace(root)
    version = PgVersion(major)
    view = ServerConfig(workspace, workspace.load(root / rel), major=Major(version, "the test"))
    view.scope = {document.source.path for document in view.documents}  # as build_server_views does
    findings = run_rules([view], [RULES["PGF001"], RULES["PGF104"]], Options(pg_version=version))
    refusals = [
        f"{finding.code} {finding.message}"
        for finding in findings
        if (finding.code == "PGF001" and finding.severity == "error")
        or (finding.code == "PGF104" and REFUSES_TO_START.search(finding.message))
    ]
    if refusals:
        return refusals, None
    values = {}
    for key, unit in KEEPALIVES.items():
        assignment = view.effective(key)
        values[key] = 0 if assignment is None else view.numeric(assignment, unit)
    return [], values


@pytest.mark.parametrize("major", MAJORS)
def test_fixture_verdicts_match_the_server_of_each_major(major: int) -> None:
    server = require_major(major)
    disagreements = []
    for root, rel in TREES:
        refusals, ours = our_verdict(root, rel, major)
        with server.staged(root) as staged:
            conf_dir = (staged / rel).parent
            results = server.config_values((conf_dir, key) for key in KEEPALIVES)
        refused = any(code != 0 for code, _ in results)
        where = f"{root.parent.name}/{root.name}/{rel}"
        if refused != bool(refusals):
            detail = next((text for code, text in results if code != 0), "")
            disagreements.append(
                f"{where}: PostgreSQL {major} {'refuses' if refused else 'accepts'} it "
                f"({detail.splitlines()[-1] if detail else 'exit 0'}); pgconf-fix says "
                f"{refusals if refusals else 'it starts'}"
            )
        elif ours is not None:
            theirs = {key: int(value) for key, (_, value) in zip(KEEPALIVES, results)}
            if theirs != ours:
                disagreements.append(f"{where}: PostgreSQL {major} reads {theirs}, pgconf-fix {ours}")
    assert not disagreements, "\n".join(disagreements)


def test_the_matrix_covers_versioned_and_unversioned_trees() -> None:
    names = {root.parent.name for root, _ in TREES}
    assert {"pgf001-removed-on-18", "pg18-new-parameter", "unknown-version-parameter-some-majors-lack"} <= names
    assert len(TREES) >= 40


# -- 3. values, parameter by parameter --------------------------------------------------------

VALUES = [
    ("wal_level", value) for value in ("archive", "hot_standby", "replica", "REPLICA", "minimal", "logical", "full")
] + [
    ("synchronous_commit", value) for value in ("yes", "true", "1", "remote_apply", "local", "maybe", "off")
] + [
    ("huge_pages", value) for value in ("try", "TRY", "maybe", "1", "yes", "no")
] + [
    ("log_checkpoints", value) for value in ("of", "o", "t", "TRUE", "yess", "2", "on", "Y", "n", "0")
] + [
    ("password_encryption", value) for value in ("md5", "scram-sha-256", "on", "off", "true", "plain")
] + [
    ("archive_mode", value) for value in ("always", "1", "sometimes")
] + [
    ("work_mem", value) for value in ("4MB", "1.5MB", "1024B", "64", "63", "4mb", "0x100")
] + [
    ("statement_timeout", value) for value in ("1.5s", "1000us", "5 s", "-1", "1d")
]  # fmt: skip


@pytest.mark.parametrize("major", MAJORS)
def test_value_verdicts_match_the_server_of_each_major(major: int) -> None:
    server = require_major(major)
    version = PgVersion(major)
    with server.staged() as root:
        directories = []
        for index, (name, value) in enumerate(VALUES):
            directory = root / f"{index:03d}"
            directory.mkdir()
            (directory / MAIN_NAME).write_text(f"{name} = '{value}'\n", "utf-8")
            directories.append(directory)
        verdicts = server.config_values((directory, name) for directory, (name, _) in zip(directories, VALUES))
    disagreements = []
    for (name, value), (code, text) in zip(VALUES, verdicts):
        if name not in guc_catalog.catalog_for(version):
            continue
        ours = guc_catalog.value_error(name, value, version)
        if (code != 0) != (ours is not None):
            said = text.strip().splitlines()[-1] if code else "accepts it"
            disagreements.append(f"{name} = '{value}': PostgreSQL {major}: {said}; pgconf-fix: {ours or 'accepts it'}")
    assert not disagreements, "\n".join(disagreements)
