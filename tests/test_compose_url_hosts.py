"""A compose file's connection URL whose host is a variable, judged as compose fills it in.

tests/fixtures/client/compose-url-host-from-dotenv: ``${POSTGRES_HOST}`` from the project's
``.env`` (a public RDS name: PGF404 now, and the message names the variable and its line),
``${CACHE_HOST:-127.0.0.1}`` unset everywhere (its default, loopback: nothing to judge),
``${REPORTS_HOST}`` set nowhere here (left as written). The fixed URL, with the host compose
puts in, is read by libpq's own parser (psycopg's ``conninfo_to_dict``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli_runner import run_cli

CASE = Path(__file__).parent / "fixtures" / "client" / "compose-url-host-from-dotenv"
RDS = "app-db.c9akciq32.eu-west-1.rds.amazonaws.com"


def _findings(directory: Path) -> list[dict]:
    return json.loads(run_cli(["--no-cache", "--format", "json", "--unsafe-fixes", "."], directory).stdout)


def test_the_host_is_what_compose_fills_in_from_dotenv(tmp_path: Path) -> None:
    shutil.copytree(CASE / "before", tmp_path / "work")
    found = _findings(tmp_path / "work")
    by_line = {}
    for item in found:
        by_line.setdefault(item["line"], []).append(item)
    assert sorted(by_line) == [6, 10]  # line 8's default is loopback: not judged
    assert [item["code"] for item in by_line[6]] == ["PGF401", "PGF404"]
    for item in by_line[6]:
        assert f"connection to {RDS} (" in item["message"]
        assert "${POSTGRES_HOST} from .env:2 as compose fills it in, unless the shell's environment sets it" in item["message"]
    assert by_line[10][0]["message"].startswith("connection to ${REPORTS_HOST}: ")


def test_the_fixed_url_is_read_by_libpq_with_the_host_compose_puts_in(tmp_path: Path) -> None:
    from psycopg.conninfo import conninfo_to_dict

    shutil.copytree(CASE / "before", tmp_path / "work")
    run_cli(["--write", "--unsafe-fixes", "."], tmp_path / "work")
    line = (tmp_path / "work" / "docker-compose.yml").read_text().splitlines()[5]
    url = line.split('"')[1].replace("${POSTGRES_HOST}", RDS)
    read = conninfo_to_dict(url)
    assert read["host"] == RDS
    assert (read["keepalives"], read["keepalives_idle"], read["sslmode"]) == ("1", "60", "require")


def test_without_dotenv_the_host_stays_as_written(tmp_path: Path) -> None:
    shutil.copytree(CASE / "before", tmp_path / "work")
    (tmp_path / "work" / ".env").unlink()
    found = _findings(tmp_path / "work")
    assert [(item["line"], item["code"]) for item in found] == [(6, "PGF401"), (10, "PGF401")]
    assert found[0]["message"].startswith("connection to ${POSTGRES_HOST}: ")
