"""Where a repository says which PostgreSQL major it runs: image tags and RDS families."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix.versions import PgVersion, version_from_family, version_from_image, version_from_tree, version_near


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("postgres:16", PgVersion(16)),
        ("postgres:16.4-alpine3.20", PgVersion(16)),
        ("docker.io/library/postgres:9.6", PgVersion(9, 6)),
        ("postgres:9.6.24-alpine", PgVersion(9, 6)),
        ("postgis/postgis:15-3.4", PgVersion(15)),
        ("bitnami/postgresql:14", PgVersion(14)),
        ("timescale/timescaledb:2.14.2-pg16", PgVersion(16)),
        ("pgvector/pgvector:pg17", PgVersion(17)),
        ("postgres:13@sha256:0123abcd", PgVersion(13)),
        ("postgres", None),
        ("postgres:latest", None),
        ("postgres:${PG_MAJOR}", None),
        ("redis:7", None),
        ("localhost:5000/app", None),
    ],
)
def test_version_from_image(reference: str, expected: PgVersion | None) -> None:
    assert version_from_image(reference) == expected


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("postgres16", PgVersion(16)),
        ("postgres9.6", PgVersion(9, 6)),
        ("aurora-postgresql15", PgVersion(15)),
        ("mysql8.0", None),
        ("aurora-mysql5.7", None),
    ],
)
def test_version_from_family(family: str, expected: PgVersion | None) -> None:
    assert version_from_family(family) == expected


def test_the_closest_directory_with_an_image_decides(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:12\n")
    conf = tmp_path / "deploy" / "db" / "postgresql.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("")
    assert version_near(conf) == (PgVersion(12), "the image postgres:12 in docker-compose.yml")
    (conf.parent / "Dockerfile").write_text("FROM --platform=linux/amd64 postgres:17-bookworm AS db\n")
    assert version_from_tree(conf)[0] == PgVersion(17)


def test_different_majors_in_one_directory_say_nothing(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: postgres:12\n  b:\n    image: postgres:16\n")
    conf = tmp_path / "postgresql.conf"
    conf.write_text("")
    assert version_from_tree(conf) is None


@pytest.mark.parametrize(
    ("image", "dotenv", "expected"),
    [
        ("postgres:${PG_MAJOR:-11}", None, PgVersion(11)),  # the default written in it
        ("postgres:${PG_MAJOR:-11}-alpine", "PG_MAJOR=10\n", PgVersion(10)),  # .env beats the default
        ('"postgres:${PG_MAJOR}"', "PG_MAJOR=13 # the major\n", PgVersion(13)),
        ("postgres:${PG_MAJOR}", None, None),  # only the shell may set it
        ("postgres:${PG_MAJOR:-11}", 'PG_MAJOR="12\n', None),  # compose refuses this .env
        ("postgres:${PG_MAJOR:?set it}", None, None),  # compose refuses to start without the shell's
        ("postgres:${PG_MAJOR:-${BASE:-14}}", None, PgVersion(14)),
    ],
)
def test_a_compose_image_is_read_with_the_project_environment(
    tmp_path: Path, image: str, dotenv: str | None, expected: PgVersion | None
) -> None:
    """compose interpolates ``image:`` with the ``.env`` beside the file, else the defaults
    (pgconf_fix.documents.compose_dotenv); the major found says where it came from."""
    (tmp_path / "compose.yaml").write_text(f"services:\n  db:\n    image: {image}\n")
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    conf = tmp_path / "postgresql.conf"
    conf.write_text("")
    found = version_from_tree(conf)
    assert (found[0] if found else None) == expected
    if found:
        assert found[1].startswith(f"the image postgres:{expected.major}") and "with the project's .env" in found[1]


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM postgres:11\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    conf = repo / "postgresql.conf"
    conf.write_text("")
    assert version_from_tree(conf) is None


def test_the_search_stops_at_the_directory_the_run_started_in(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:12\n")
    project = tmp_path / "project"
    conf = project / "db" / "postgresql.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("")
    assert version_from_tree(conf, boundary=project) is None
    assert version_from_tree(conf, boundary=tmp_path)[0] == PgVersion(12)
    assert version_from_tree(conf, boundary=tmp_path / "elsewhere") is None  # outside: its own directory only


@pytest.mark.parametrize(("given", "shown"), [("99", "99"), ("8.4", "8.4")])
def test_a_version_without_a_catalog_is_refused_when_given_and_said_when_found(given: str, shown: str, tmp_path: Path) -> None:
    # Given by the user (--pg-version, pg-version) it is a usage error naming the range; found
    # in the tree (PG_VERSION here) it is not the user's to correct, and the finding says so.
    from pgconf_fix.guc_catalog import span, supported_versions
    from tests.cli_runner import run_cli

    known = span(supported_versions())
    (tmp_path / "postgresql.conf").write_text("idle_session_timeout = 0\n")
    flag = run_cli(["--no-cache", "--pg-version", given, "--select", "PGF001", "."], tmp_path)
    assert flag.code == 2 and flag.stdout == ""
    assert f"--pg-version: '{given}' is not a major pgconf-fix knows; give one of {known}" in flag.stderr
    (tmp_path / "PG_VERSION").write_text(f"{given}\n")
    out = run_cli(["--no-cache", "--select", "PGF001", "."], tmp_path).stdout
    assert f"pgconf-fix has no catalog of PostgreSQL {shown} (from PG_VERSION); it knows {known}" in out
    (tmp_path / "PG_VERSION").unlink()
    unknown = run_cli(["--no-cache", "--select", "PGF001", "."], tmp_path).stdout
    assert "this server's version is unknown: give --pg-version" in unknown


@pytest.mark.parametrize(("given", "accepted"), [("9", False), ("8", False), ("9.6", True), ("9.6.24", True), ("15", True)])
def test_a_series_before_10_needs_its_minor(given: str, accepted: bool, tmp_path: Path) -> None:
    # "9" was read as 9.0, which renegotiates SSL where 9.6 refuses to start: a guess either way.
    from tests.cli_runner import run_cli

    (tmp_path / "postgresql.conf").write_text("ssl_renegotiation_limit = 512MB\n")
    flag = run_cli(["--no-cache", "--pg-version", given, "--select", "PGF104", "."], tmp_path)
    assert (flag.code == 2) != accepted, flag.stderr
    if not accepted:
        assert f"Invalid value for --pg-version: '{given}' is not a PostgreSQL version (like 13, or 9.4 before 10)" in flag.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pgconf-fix.toml").write_text(f'pg-version = "{given}"\n')
    (project / "postgresql.conf").write_text("ssl_renegotiation_limit = 512MB\n")
    config = run_cli(["--no-cache", "--select", "PGF104", "."], project)
    assert (config.code == 2) != accepted, config.stderr
    if not accepted:
        assert f"'pg-version' must look like 13 or 9.4, not \"{given}\"" in config.stderr  # as TOML writes it


def test_a_dockerfile_image_is_read_with_the_args_before_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("ARG PG_MAJOR=13\nFROM postgres:${PG_MAJOR}-alpine\n")
    conf = tmp_path / "postgresql.conf"
    conf.write_text("")
    assert version_from_tree(conf) == (PgVersion(13), "the image postgres:13-alpine in Dockerfile "
                                       "(FROM postgres:${PG_MAJOR}-alpine with the defaults of the ARGs before it)")
