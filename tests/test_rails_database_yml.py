"""Rails' config/database.yml, held to ActiveRecord itself.

tests/fixtures/client/rails-database-yml: a ``default`` anchor with ``keepalives_idle: 7200``
merged into ``development`` (the local socket: not judged) and ``production`` (an RDS host).
Debian's ruby-activerecord 6.1.7 and ruby-pg 1.4.5 load each version as Rails does (ERB, then
YAML with aliases) and connect to a throw-away server: libpq's ``conninfo_hash`` holds the
keepalive keywords the file gives, 7200 before the fix and 60/10/6 after it, where the fix wrote
them into ``production`` alone (the anchor, which ``development`` shares, is left as it was).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

HERE = Path(__file__).parent
CASE = HERE / "fixtures" / "client" / "rails-database-yml"


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - yields a tests.pg_server.Cluster
    from tests.pg_server import require_server, temporary_cluster

    with temporary_cluster(require_server()) as running:
        yield running


def _active_record() -> None:
    if shutil.which("ruby") is None:
        pytest.skip("ruby is not installed (.ci/run installs Debian's ruby, ruby-pg and ruby-activerecord)")
    found = subprocess.run(["ruby", "-e", 'require "active_record"; require "pg"'], capture_output=True, text=True, timeout=60)
    if found.returncode != 0:
        pytest.skip(f"ActiveRecord or ruby-pg is not installed: {found.stderr.strip()[:200]}")


def _keepalives(database_yml: Path, environment: str, port: int) -> dict[str, str | None]:
    done = subprocess.run(
        ["ruby", str(HERE / "rails" / "conninfo.rb"), str(database_yml), environment, str(port)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_active_record_hands_libpq_the_keepalives_the_file_gives(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    _active_record()
    before = CASE / "before" / "config" / "database.yml"
    assert _keepalives(before, "production", cluster.port)["keepalives_idle"] == "7200"
    work = tmp_path / "work"
    shutil.copytree(CASE / "before", work)
    run_cli(["--write", "."], work)
    after = work / "config" / "database.yml"
    assert after.read_text() == (CASE / "after" / "config" / "database.yml").read_text()
    got = _keepalives(after, "production", cluster.port)
    assert got == {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
    assert _keepalives(after, "development", cluster.port)["keepalives_idle"] == "7200"  # the anchor is not edited


def test_findings_name_the_environment_and_skip_the_local_one(tmp_path: Path) -> None:
    shutil.copytree(CASE / "before", tmp_path / "work")
    found = json.loads(run_cli(["--format", "json", "."], tmp_path / "work").stdout)
    assert [item["code"] for item in found] == ["PGF401"]
    assert "(libpq, read by ActiveRecord's production configuration)" in found[0]["message"]
    assert found[0]["fix"]["applicability"] == "safe"


def test_an_erb_host_is_unknown_and_a_url_is_read_as_a_libpq_string(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "database.yml").write_text(
        "production:\n"
        "  adapter: postgresql\n"
        '  host: <%= ENV["DB_HOST"] %>\n'
        "  keepalives_idle: 60\n"
        "  keepalives_interval: 10\n"
        "  keepalives_count: 6\n"
        "staging:\n"
        "  adapter: postgresql\n"
        "  url: postgresql://app@db.example.com/app?sslmode=require\n"
        "  host: db.example.com\n"
    )
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    lines = sorted((item["line"], item["code"]) for item in found)
    assert lines == [(9, "PGF401")], found  # the URL's own reading; production's values pass
    assert "(libpq, read by ActiveRecord's staging configuration)" in found[0]["message"]


def test_an_erb_statement_is_template_markup_not_a_yaml_error(tmp_path: Path) -> None:
    """Rails renders ERB before it reads YAML: a ``<% if %>`` line is no YAML error (PGF001)."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "database.yml").write_text(
        "production:\n  adapter: postgresql\n<% if ENV['REPLICA'] %>\n  host: db.example.com\n<% end %>\n"
    )
    outcome = run_cli(["--format", "json", "."], tmp_path)
    assert "PGF001" not in outcome.stdout, outcome.stdout


MULTIPLE = """production:
  primary:
    adapter: postgresql
    host: primary.db.example.com
    database: app
    sslmode: require
    keepalives_idle: 60
    keepalives_interval: 10
    keepalives_count: 6
  replica:
    adapter: postgresql
    host: replica.db.example.com
    database: app
    sslmode: require
    replica: true
"""


def test_each_database_of_an_environment_with_several_is_read(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    """Rails 6's multiple databases: the replica without keepalives is judged and fixed in its
    own mapping; ActiveRecord then hands libpq its keepalives."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "database.yml").write_text(MULTIPLE)
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    assert [(item["line"], item["code"]) for item in found] == [(10, "PGF401")], found  # at "replica:"
    assert "read by ActiveRecord's production.replica configuration" in found[0]["message"]
    run_cli(["--write", "."], tmp_path)
    _active_record()
    got = _keepalives(config / "database.yml", "production.replica", cluster.port)
    assert got == {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}


URL_AND_KEYS = """default: &default
  adapter: postgresql
  keepalives_idle: 7200
production:
  <<: *default
  url: postgresql://db.example.com/app?sslmode=require
  keepalives_interval: 10
  keepalives_count: 6
staging:
  url: postgresql://db2.example.com/app?sslmode=require&keepalives_idle=30
  keepalives_idle: 7200
test:
  url: postgres://db3.example.com/app?sslmode=require&pool=5&keepalives_idle=7200
"""


def test_a_url_gets_the_keywords_beside_it_as_active_record_merges_them(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    """ActiveRecord merges a ``url``'s keys over the mapping's: production's keepalives_idle is
    the anchor's 7200 (not "unset"), staging's is the URL's 30 (the mapping's 7200 loses), and
    the fixes land where ActiveRecord then reads 60/10/6."""
    _active_record()
    config = tmp_path / "config"
    config.mkdir()
    yml = config / "database.yml"
    yml.write_text(URL_AND_KEYS)
    assert _keepalives(yml, "production", cluster.port)["keepalives_idle"] == "7200"
    assert _keepalives(yml, "staging", cluster.port)["keepalives_idle"] == "30"
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    got = sorted((item["line"], item["code"], item["message"].split(": ", 1)[1].split(";")[0]) for item in found)
    assert got == [
        (3, "PGF401", "keepalives_idle = 7200 is above the idle budget (300 s)"),
        (13, "PGF401", "keepalives_idle = 7200 is above the idle budget (300 s)"),
    ], found
    assert all(item["fix"]["applicability"] == "safe" for item in found)
    run_cli(["--write", "."], tmp_path)
    want = {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
    assert _keepalives(yml, "production", cluster.port) == want
    assert _keepalives(yml, "test", cluster.port) == want
    assert _keepalives(yml, "staging", cluster.port)["keepalives_idle"] == "30"
    assert "keepalives_idle: 7200\nproduction:" in yml.read_text()  # the shared anchor is left
    again = run_cli(["--write", "."], tmp_path)
    assert "Fixed 0 findings" in again.stdout and again.code == 0, again.stdout


SHARED = HERE / "fixtures" / "client" / "rails-shared-default-with-host"


def test_the_shared_default_is_judged_in_the_environments_that_merge_it(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    """``default: &default`` with the host, merged by each environment (as ``rails new`` writes the
    file, a host added): one finding an environment, none for ``default`` itself, whose keys
    ActiveRecord hands each environment; the fix goes into the environments, and ActiveRecord
    then gives libpq 60/10/6 for each while ``default`` is left as written."""
    work = tmp_path / "work"
    shutil.copytree(SHARED / "before", work)
    found = json.loads(run_cli(["--format", "json", "--no-cache", "."], work).stdout)
    labels = [item["message"].split("read by ActiveRecord's ")[1].split(" configuration")[0] for item in found]
    assert labels == ["development", "staging"], [item["message"] for item in found]
    _active_record()
    before = SHARED / "before" / "config" / "database.yml"
    assert _keepalives(before, "staging", cluster.port)["keepalives_idle"] == "900"
    assert _keepalives(before, "development", cluster.port)["keepalives_idle"] is None
    run_cli(["--write", "--no-cache", "."], work)
    after = work / "config" / "database.yml"
    assert after.read_text() == (SHARED / "after" / "config" / "database.yml").read_text()
    assert after.read_text().split("\n\n")[0] == before.read_text().split("\n\n")[0]  # default: as written
    for environment in ("development", "staging"):
        got = _keepalives(after, environment, cluster.port)
        assert got == {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}


POSTGIS = HERE / "fixtures" / "client" / "rails-postgis-adapter"


def test_a_postgis_database_yml_is_read(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    """A database.yml whose adapter is postgis names no "postgres" anywhere: it is still read
    (layers.yaml_config's claim). activerecord-postgis-adapter's postgis_connection hands
    PG.connect the configuration's keys that are PG::Connection.conndefaults_hash keys, as
    postgresql_connection does (its lib/active_record/connection_adapters/postgis_adapter.rb);
    that gem is not installed here, so ActiveRecord's postgresql adapter stands in for it on the
    fixed file: libpq gets 60/10/6 for each environment."""
    from pgconf_fix.layers import yaml_config

    before = POSTGIS / "before" / "config" / "database.yml"
    assert b"postgres" not in before.read_bytes()
    assert yaml_config.claim(before, before.read_bytes)
    found = json.loads(run_cli(["--format", "json", "--no-cache", "."], POSTGIS / "before").stdout)
    assert [item["code"] for item in found] == ["PGF401", "PGF401"], found
    _active_record()
    standing_in = tmp_path / "database.yml"
    standing_in.write_text((POSTGIS / "after" / "config" / "database.yml").read_text().replace("adapter: postgis", "adapter: postgresql"))
    for environment in ("development", "production"):
        got = _keepalives(standing_in, environment, cluster.port)
        assert got == {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
