"""Airflow's sql_alchemy_connect_args dict counts as the connection's settings, and the patched
pair reaches libpq as Airflow builds its engine: create_engine(sql_alchemy_conn, connect_args=dict)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy import create_engine, event

FIXTURE = Path(__file__).parent / "fixtures" / "client" / "airflow-connect-args-dict"


class Captured(Exception):
    pass


def _libpq_parameters(url: str, connect_args: dict) -> dict:
    engine = create_engine(url, connect_args=connect_args)
    seen: dict = {}

    @event.listens_for(engine, "do_connect")
    def grab(dialect, record, cargs, cparams):  # noqa: ANN001, ANN202
        seen.update(cparams)
        raise Captured

    try:
        engine.connect()
    except Captured:
        pass
    return seen


def _module_dict(path: Path, name: str) -> dict:
    """The module's global ``name``, run as Airflow imports it. No bytecode is written: a
    ``__pycache__`` left in the fixture would be copied into the trees other tests compare
    (tests/test_fixtures.py), and fail them wherever PYTHONDONTWRITEBYTECODE is not set."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return getattr(module, name)


def test_patched_staging_pair_reaches_libpq() -> None:
    env = dict(line.split("=", 1) for line in (FIXTURE / "after/staging/.env").read_text().splitlines())
    connect_args = _module_dict(FIXTURE / "after/staging/staging_settings.py", "connect_args")
    seen = _libpq_parameters(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], connect_args)
    assert {key: str(seen[key]) for key in ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")} == {
        "keepalives": "1",
        "keepalives_idle": "60",
        "keepalives_interval": "10",
        "keepalives_count": "6",
    }


def test_production_dict_already_sets_keepalives() -> None:
    connect_args = _module_dict(FIXTURE / "before/prod/config/airflow_local_settings.py", "keepalive_kwargs")
    url = "postgresql+psycopg2://airflow@metadata.example.com/airflow?sslmode=require"
    assert _libpq_parameters(url, connect_args)["keepalives_idle"] == 30
