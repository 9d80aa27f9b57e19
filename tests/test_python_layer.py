"""The Python layer against the real libraries: each patched fixture module is executed and the
objects it builds are inspected (SQLAlchemy engines, Flask-SQLAlchemy apps, Django settings,
psycopg pools). Each check runs in a fresh interpreter: Django settings and environment
variables are per process.

Also here: the claim prefilter, Python 3.12+ syntax, unreadable files, and a real PostgreSQL
session killed under a patched engine (skipped when no server is installed).
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgconf_fix.layers import python as python_layer
from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "python"
REMOTE = "postgresql+psycopg://app@db.example.com/app"
# Modules the fixtures import that are not installed: small stand-ins, only so the files execute.
STUBS = {
    "app/__init__.py": "",
    "app/health.py": "def check_alive(conn):\n    conn.execute('select 1')\n",
    "app/settings.py": "CONNECT_ARGS = {}\n",
    "app/db.py": "def connection_options():\n    return {}\n",
    "environ.py": textwrap.dedent(
        """
        class Env:
            def db(self, name):
                return {"ENGINE": "django.db.backends.postgresql", "NAME": name.lower()}

            def int(self, name, default=None):
                return default
        """
    ),
}


def program(*parts: str) -> str:
    return "\n".join(textwrap.dedent(part) for part in parts)


def run_patched(case: str, script: str, tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    """Execute ``script`` in a fresh interpreter, in a copy of the case's after/ tree."""
    work = tmp_path / case
    shutil.copytree(FIXTURES / case / "after", work)
    stubs = tmp_path / "stubs"
    for name, text in STUBS.items():
        (stubs / name).parent.mkdir(parents=True, exist_ok=True)
        (stubs / name).write_text(text)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(work), str(stubs)]), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", program(script)],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sqlalchemy_engines_pre_ping(tmp_path: Path) -> None:
    result = run_patched(
        "sqlalchemy-aliases-and-layouts",
        """
        import json, db
        print(json.dumps({name: getattr(db, name).pool._pre_ping for name in ("short", "reporting", "exploded")}))
        """,
        tmp_path,
    )
    assert result == {"short": True, "reporting": True, "exploded": True}


def test_splat_dicts_carry_the_new_keys(tmp_path: Path) -> None:
    result = run_patched(
        "kwargs-splat-resolved-in-scope",
        f"""
        import json, db
        inner = db.make_engine("{REMOTE}")
        print(json.dumps([db.engine.pool._pre_ping, db.engine.pool._recycle, inner.pool._pre_ping]))
        """,
        tmp_path,
    )
    assert result == [True, 300, True]


def test_pre_ping_turned_on_and_the_chosen_recycle_kept(tmp_path: Path) -> None:
    result = run_patched(
        "pool-pre-ping-false-and-recycle-above-budget",
        "import json, engine; print(json.dumps([engine.engine.pool._pre_ping, engine.engine.pool._recycle]))",
        tmp_path,
    )
    assert result == [True, 3600]


def test_recycle_lowered_only_where_pre_ping_is_not_added(tmp_path: Path) -> None:
    result = run_patched(
        "pool-recycle-above-budget-with-pre-ping",
        """
        import json, engines
        print(json.dumps([[e.pool._pre_ping, e.pool._recycle] for e in (engines.primary, engines.reports)]))
        """,
        tmp_path,
    )
    assert result == [[True, 3600], [False, 300]]


def test_engine_from_config_keyword(tmp_path: Path) -> None:
    script = """
        import json, sys, types
        alembic = types.ModuleType("alembic")
        context = types.SimpleNamespace(config=types.SimpleNamespace(
            config_ini_section="alembic",
            get_section=lambda name, default=None: {"sqlalchemy.url": "postgresql+psycopg://app@db/app"},
        ))
        alembic.context = context
        sys.modules["alembic"] = alembic
        import env
        print(json.dumps([env.missing.pool._pre_ping, env.literal.pool._pre_ping]))
    """
    # engine_from_config keeps "true" a string: SQLAlchemy tests its truth, as pgconf-fix does.
    assert run_patched("engine-from-config", script, tmp_path) == [True, "true"]


FLASK_ENGINE = """
    import json
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    def engine_of(app):
        db = SQLAlchemy(app)
        with app.app_context():
            pool = db.engine.pool
            return {"pre_ping": pool._pre_ping, "recycle": pool._recycle, "size": pool.size()}
"""


def test_flask_settings_module(tmp_path: Path) -> None:
    script = program(FLASK_ENGINE, """
    app = Flask("incident")
    app.config.from_pyfile("config.py")
    print(json.dumps(engine_of(app)))
    """)
    result = run_patched("flask-incident-engine-options-without-pre-ping", script, tmp_path, {"DATABASE_URL": REMOTE})
    assert result == {"pre_ping": True, "recycle": -1, "size": 5}


def test_flask_binds_get_their_own_pre_ping(tmp_path: Path) -> None:
    """python/flask-sqlalchemy-binds with Flask-SQLAlchemy 3.1: a bind takes none of
    SQLALCHEMY_ENGINE_OPTIONS (before the fix "users" and "meta" do not pre-ping beside a main
    engine that does); after it every PostgreSQL bind pre-pings, "lite" keeps its NullPool."""
    script = program("""
    import json
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("binds")
    app.config.from_pyfile("config.py")
    db = SQLAlchemy(app)
    with app.app_context():
        print(json.dumps({str(key): getattr(engine.pool, "_pre_ping", None) for key, engine in db.engines.items()}))
    """)
    before_config = FIXTURES / "flask-sqlalchemy-binds" / "before" / "config.py"
    before = run_patched("flask-sqlalchemy-binds", script.replace('"config.py"', repr(str(before_config))), tmp_path)
    after = run_patched("flask-sqlalchemy-binds", script, tmp_path / "again")
    assert before == {"users": False, "meta": False, "audit": True, "lite": False, "None": True}
    assert after == {"users": True, "meta": True, "audit": True, "lite": False, "None": True}


def test_flask_binds_before_3_take_the_engine_options(tmp_path: Path) -> None:
    """Flask-SQLAlchemy 2 applies SQLALCHEMY_ENGINE_OPTIONS to a bind given as a URL (and knows
    no dict form): with such a pin the bind is not judged."""
    (tmp_path / "requirements.txt").write_text("Flask-SQLAlchemy==2.5.1\n")
    (tmp_path / "config.py").write_text(
        'SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}\n'
        'SQLALCHEMY_BINDS = {"users": "postgresql+psycopg2://app@10.1.2.4/users?keepalives_idle=60"}\n'
    )
    outcome = run_cli(["--no-cache", "--select", "PGF501,PGF502", "."], tmp_path)
    assert outcome.code == 0, outcome.stdout


def test_flask_binds_take_the_extensions_engine_options(tmp_path: Path) -> None:
    """SQLAlchemy(engine_options=...) in another module of the project gives every engine its
    defaults (Flask-SQLAlchemy 3.1.1: the "users" bind and the main engine pre-ping), and so does
    one in the same module under a SQLALCHEMY_ENGINE_OPTIONS without pool_pre_ping: neither is
    reported for a pool_pre_ping it does not write itself."""
    (tmp_path / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n")
    (tmp_path / "config.py").write_text(
        'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://app@10.1.2.3/app?keepalives_idle=60"\n'
        'SQLALCHEMY_BINDS = {"users": "postgresql+psycopg2://app@10.1.2.4/users?keepalives_idle=60"}\n'
    )
    (tmp_path / "extensions.py").write_text(
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(engine_options={\"pool_pre_ping\": True})\n"
    )
    outcome = run_cli(["--no-cache", "--select", "PGF501,PGF502", "config.py"], tmp_path)
    assert outcome.code == 0, outcome.stdout
    # The same in one module, beside a SQLALCHEMY_ENGINE_OPTIONS that leaves pool_pre_ping out:
    # Flask-SQLAlchemy merges the config's options over the extension's (init_app).
    (tmp_path / "app.py").write_text(
        "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
        'db = SQLAlchemy(engine_options={"pool_pre_ping": True})\napp = Flask(__name__)\n'
        'app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg2://app@10.1.2.3/app?keepalives_idle=60"\n'
        'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 5}\ndb.init_app(app)\n'
    )
    outcome = run_cli(["--no-cache", "--select", "PGF501,PGF502", "app.py"], tmp_path)
    assert outcome.code == 0, outcome.stdout
    script = """
    import json
    from flask import Flask
    from extensions import db

    app = Flask("binds")
    app.config.from_pyfile("config.py")
    db.init_app(app)
    with app.app_context():
        engines = [db.engines["users"], db.engine]
    import app as one_module
    with one_module.app.app_context():
        engines.append(one_module.db.engine)
    print(json.dumps([engine.pool._pre_ping for engine in engines]))
    """
    environment = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", program(script)], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, True, True]


def test_flask_config_classes(tmp_path: Path) -> None:
    script = program(FLASK_ENGINE, """
    import config
    found = {}
    for name in ("Config", "ProductionConfig", "TunedProduction"):
        app = Flask(name)
        app.config.from_object(getattr(config, name))
        found[name] = engine_of(app)["pre_ping"]
    print(json.dumps(found))
    """)
    env = {"DATABASE_URL": REMOTE, "PRODUCTION_DATABASE_URL": REMOTE}
    result = run_patched("flask-config-classes", script, tmp_path, env)
    assert result == {"Config": True, "ProductionConfig": True, "TunedProduction": True}


def test_flask_app_config_subscript_and_update(tmp_path: Path) -> None:
    script = program(FLASK_ENGINE, """
    import app as module
    with module.app.app_context():
        first = module.db.engine.pool._pre_ping
    print(json.dumps([first, engine_of(module.reports)["pre_ping"]]))
    """)
    result = run_patched(
        "flask-app-config-subscript-and-update", script, tmp_path, {"DATABASE_URL": REMOTE, "REPORTS_URL": REMOTE}
    )
    assert result == [True, True]


def test_flask_engine_options_argument(tmp_path: Path) -> None:
    script = """
    import json
    import app as module
    with module.app.app_context():
        pool = module.db.engine.pool
        print(json.dumps([pool._pre_ping, pool._recycle]))
    """
    env = {"FLASK_SQLALCHEMY_DATABASE_URI": REMOTE}
    assert run_patched("flask-engine-options-argument", script, tmp_path, env) == [True, 280]


def test_flask_legacy_keys_moved_take_effect(tmp_path: Path) -> None:
    script = program(FLASK_ENGINE, """
    app = Flask("legacy")
    app.config.from_pyfile("settings.py")
    print(json.dumps(engine_of(app)))
    """)
    result = run_patched("flask-legacy-pool-keys-unsafe-move", script, tmp_path, {"DATABASE_URL": REMOTE})
    assert result == {"pre_ping": True, "recycle": 280, "size": 10}


DJANGO_SETTINGS = """
    import json, runpy, sys
    import django
    from django.conf import settings

    def configured(path):
        values = runpy.run_path(path)
        settings.configure(DATABASES=values["DATABASES"])
        django.setup()
        from django.db import connections
        return {alias: {key: connections[alias].settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
                for alias in connections}
"""


def test_django_settings_dict(tmp_path: Path) -> None:
    script = program(DJANGO_SETTINGS, "print(json.dumps(configured('settings.py')))")
    result = run_patched("django-settings-dict", script, tmp_path, {"DB_NAME": "app", "DB_HOST": "db.example.com"})
    assert result["default"] == {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    assert result["analytics"] == {"CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": True}
    assert result["checked"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    assert result["per_request"] == {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}  # Django's defaults


def test_django_dj_database_url(tmp_path: Path) -> None:
    script = program(DJANGO_SETTINGS, "print(json.dumps(configured('settings.py')))")
    env = {"DATABASE_URL": "postgres://app@db.example.com/app", "CHECKED_URL": "postgres://app@db.example.com/b"}
    result = run_patched("django-dj-database-url", script, tmp_path, env)
    assert result["default"] == {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    assert result["reports"] == {"CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": True}


def test_django_subscript_assignments(tmp_path: Path) -> None:
    script = program(DJANGO_SETTINGS, "print(json.dumps(configured('settings/base.py')))")
    result = run_patched("django-subscript-assignments", script, tmp_path)
    assert result["jobs"] == {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    assert result["default"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


def test_dj_database_url_ssl_require_is_the_sslmode_libpq_gets() -> None:
    """The fact behind python/dj-database-url-ssl-require (PGF404 says nothing where it holds):
    ssl_require=True gives OPTIONS sslmode=require over the URL's own sslmode=disable, and
    ssl_require=False adds none. Read from the real dj_database_url."""
    before = FIXTURES / "dj-database-url-ssl-require" / "before" / "settings.py"
    script = f"""
    import json, runpy
    databases = runpy.run_path({str(before)!r})["DATABASES"]
    print(json.dumps({{alias: entry.get("OPTIONS", {{}}).get("sslmode") for alias, entry in databases.items()}}))
    """
    environment = {**os.environ, "DEBUG": ""}
    done = subprocess.run([sys.executable, "-c", program(script)], capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"default": "require", "computed": "require", "off": None, "fallback": "require"}


def test_django_settings_module_overriding_an_imported_entry() -> None:
    """python/django-settings-from-base-module with Django itself (DJANGO_SETTINGS_MODULE): the
    production module's DATABASES["default"]["CONN_MAX_AGE"] = 600 on base.py's entry keeps
    connections unchecked before the fix and checked after it; "reports" takes base.py's
    CONN_HEALTH_CHECKS, and the test module's sqlite entry is not PostgreSQL's."""
    case = FIXTURES / "django-settings-from-base-module"
    script = """
    import json
    import django
    django.setup()
    from django.db import connections
    print(json.dumps({alias: [connections[alias].settings_dict[key] for key in ("ENGINE", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")]
                      for alias in connections}))
    """
    seen = {}
    for side in ("before", "after"):
        for module in ("production", "test"):
            environment = {
                **os.environ, "PYTHONPATH": str(case / side), "PYTHONDONTWRITEBYTECODE": "1",
                "DJANGO_SETTINGS_MODULE": f"mysite.settings.{module}",
            }
            done = subprocess.run([sys.executable, "-c", program(script)], env=environment, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            seen[side, module] = json.loads(done.stdout)
    postgres = "django.db.backends.postgresql"
    assert seen["before", "production"]["default"] == [postgres, 600, False]
    assert seen["after", "production"]["default"] == [postgres, 600, True]
    assert seen["before", "production"]["reports"] == seen["after", "production"]["reports"] == [postgres, None, True]
    assert seen["before", "test"]["default"][0] == "django.db.backends.sqlite3"


def test_options_replaced_in_a_settings_module_that_imports_the_entry() -> None:
    """python/django-options-replaced-in-settings-module with Django and dj-database-url: under
    the production module the entries' OPTIONS are that module's dicts alone (base.py's URL query
    keepalives and the reports entry's OPTIONS are gone, so libpq gets no keepalives before the
    fix), and the fix's keywords after it."""
    case = FIXTURES / "django-options-replaced-in-settings-module"
    script = """
    import json
    import django
    django.setup()
    from django.db import connections
    print(json.dumps({alias: connections[alias].settings_dict["OPTIONS"] for alias in connections}))
    """
    seen = {}
    for side in ("before", "after"):
        environment = {
            **os.environ, "PYTHONPATH": str(case / side), "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "mysite.settings.production",
        }
        environment.pop("DATABASE_URL", None)  # dj_database_url.config() reads it before default=
        done = subprocess.run([sys.executable, "-c", program(script)], env=environment, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        seen[side] = json.loads(done.stdout)
    assert seen["before"] == {"default": {"sslmode": "require", "application_name": "web"}, "reports": {"sslmode": "verify-full"}}
    keepalives = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}
    assert seen["after"] == {
        "default": {"sslmode": "require", "application_name": "web", **keepalives},
        "reports": {"sslmode": "verify-full", **keepalives},
    }


def test_dj_database_url_options_replaced_afterwards() -> None:
    """The fact behind python/dj-database-url-options-replaced: the later OPTIONS dict is all
    psycopg gets (the URL's sslmode=require is gone), read with the real dj_database_url."""
    before = FIXTURES / "dj-database-url-options-replaced" / "before" / "settings.py"
    script = f"""
    import json, runpy
    print(json.dumps(runpy.run_path({str(before)!r})["DATABASES"]["default"]["OPTIONS"]))
    """
    done = subprocess.run([sys.executable, "-c", program(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}


def test_psycopg_pools_have_their_check(tmp_path: Path) -> None:
    script = """
    import json
    from psycopg_pool import AsyncConnectionPool, ConnectionPool
    import pools
    print(json.dumps({
        "pool": pools.pool._check is ConnectionPool.check_connection,
        "async_pool": pools.async_pool._check is AsyncConnectionPool.check_connection,
        "unchecked": pools.unchecked._check is ConnectionPool.check_connection,
        "custom": pools.custom._check.__name__,
    }))
    """
    result = run_patched("psycopg-pools", script, tmp_path)
    assert result == {"pool": True, "async_pool": True, "unchecked": True, "custom": "check_alive"}


# -- ruff format: a clean file stays clean ----------------------------------------


def _ruff_clean(path: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", "--quiet", str(path)],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


@pytest.mark.parametrize("case", sorted(p.name for p in FIXTURES.iterdir() if (p / "after").is_dir()))
def test_ruff_clean_files_stay_clean(case: str) -> None:
    pytest.importorskip("ruff")
    for after in sorted((FIXTURES / case / "after").rglob("*.py")):
        before = FIXTURES / case / "before" / after.relative_to(FIXTURES / case / "after")
        if before.exists() and _ruff_clean(before):
            assert _ruff_clean(after), f"{after} is no longer ruff-format clean"


# -- claim, syntax, unreadable files ------------------------------------------------


def test_claim_reads_only_python_files_with_a_marker() -> None:
    def never() -> bytes:
        raise AssertionError("a file that cannot be ours must not be read")

    assert not python_layer.claim(Path("notes.txt"), never)
    assert not python_layer.claim(Path("engine.pyc"), never)
    assert python_layer.claim(Path("db.py"), lambda: b"from sqlalchemy import create_engine\n")
    assert python_layer.claim(Path("settings.py"), lambda: b"DATABASES = {}\n")
    assert not python_layer.claim(Path("views.py"), lambda: b"def index(request):\n    return 1\n")
    assert python_layer.claim(Path("latin1.py"), lambda: b"# caf\xe9\nimport psycopg\n")
    # Each marker alone claims (those holding "engine" are searched only where it is), and
    # "engine" alone does not.
    words = ("create_engine", "create_async_engine", "engine_from_config", "SQLALCHEMY_", "DATABASES",
             "ConnectionPool", "psycopg", "dj_database_url", "engine_options")
    for word in words:
        assert python_layer.claim(Path("m.py"), lambda word=word: f"x = {word}\n".encode()), word
    assert not python_layer.claim(Path("m.py"), lambda: b"engine = make_engine(); engine_from = 1; create_ = 2\n")


def test_python_312_syntax_is_read(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(
        textwrap.dedent(
            """
            from sqlalchemy import create_engine

            type Url = str


            def build[T](url: Url) -> T:
                return create_engine(f"{url!r:>{10}}", pool_size=5)
            """
        )
    )
    outcome = run_cli(["--select", "PGF001,PGF501", "."], tmp_path)
    assert "PGF001" not in outcome.stdout  # valid Python, for the version it is written for
    # Read with the running interpreter's parser: 3.12's syntax is read from 3.12 on, and left
    # unread (not reported as invalid) by 3.11, as libcst's grammar says it is valid.
    assert ("PGF501" in outcome.stdout) == (sys.version_info >= (3, 12)), outcome.stdout


@pytest.mark.parametrize(
    "literal",
    ['"\\N{NOT A NAME}"', '"\\x4"', 'b"\\x4"', '"\\U0011ffff"', 'b"caf\u00e9"'],
    ids=["unknown-name", "short-x", "bytes-short-x", "past-unicode", "bytes-non-ascii"],
)
def test_a_literal_no_python_takes_is_pgf001(tmp_path: Path, literal: str) -> None:
    """Escapes that decode to nothing and non-ASCII bytes: every Python refuses the module when
    it compiles its literals (libcst's grammar takes them), so it is PGF001, not newer syntax
    left unread, and not read past."""
    (tmp_path / "db.py").write_text(
        f'from sqlalchemy import create_engine\nx = {literal}\nengine = create_engine("postgresql://db.example.com/app")\n',
        encoding="utf-8",
    )
    with pytest.raises(SyntaxError):
        compile((tmp_path / "db.py").read_bytes(), "db.py", "exec")
    outcome = run_cli(["--select", "PGF001,PGF501", "."], tmp_path)
    assert "db.py:2:" in outcome.stdout and "PGF001" in outcome.stdout, outcome.stdout + outcome.stderr
    assert "PGF501" not in outcome.stdout


def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    text = 'import sqlalchemy\r\n\r\nengine = sqlalchemy.create_engine(\r\n    "postgresql://db.example.com/app",\r\n)\r\n'
    (tmp_path / "db.py").write_bytes(text.encode())
    run_cli(["--write", "--select", "PGF501", "."], tmp_path)
    written = (tmp_path / "db.py").read_bytes()
    assert b"    pool_pre_ping=True,\r\n)" in written
    assert b"\n" not in written.replace(b"\r\n", b"")


def test_undecodable_python_is_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_bytes(b"# \xff\xfe\nimport psycopg\nconn = psycopg.connect('')\n")
    outcome = run_cli(["."], tmp_path)
    assert outcome.code in (0, 1), outcome.stderr
    assert "Traceback" not in outcome.stderr


# -- a real server: the failure itself, and the patched engine surviving it ---------


def test_patched_engine_survives_a_killed_session(tmp_path: Path) -> None:
    """pg_terminate_backend is the quickest faithful reproduction of a connection that died idle."""
    from tests.pg_server import require_server, temporary_cluster

    pytest.importorskip("psycopg")
    import sqlalchemy

    server = require_server()
    options = runpy.run_path(str(FIXTURES / "kwargs-splat-resolved-in-scope" / "after" / "db.py"))["ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True
    with temporary_cluster(server) as cluster:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"

        def survives(engine_options: dict) -> bool:
            engine = sqlalchemy.create_engine(url, **engine_options)
            killer = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
            try:
                with engine.connect() as conn:
                    pid = conn.execute(sqlalchemy.text("select pg_backend_pid()")).scalar()
                with killer.connect() as conn:
                    conn.execute(sqlalchemy.text("select pg_terminate_backend(:pid)"), {"pid": pid})
                try:
                    with engine.connect() as conn:
                        conn.execute(sqlalchemy.text("select 1")).scalar()
                    return True
                except sqlalchemy.exc.OperationalError:
                    return False
            finally:
                engine.dispose()
                killer.dispose()

        assert not survives({"pool_size": 5})
        assert survives(options)


DJANGO_POOL_REQUESTS = """
    import json, runpy, sys
    import django, psycopg
    from django.conf import settings

    settings.configure(DATABASES={"default": runpy.run_path("settings.py")["DATABASES"]["default"]})
    django.setup()
    from django.db import close_old_connections, connection

    def request(sql):
        close_old_connections()  # Django's request_started and request_finished handlers
        with connection.cursor() as cursor:
            cursor.execute(sql)
            value = cursor.fetchone()[0]
        close_old_connections()
        return value

    pid = request("select pg_backend_pid()")
    with psycopg.connect(f"host=127.0.0.1 port={sys.argv[1]} user=postgres dbname=postgres", autocommit=True) as killer:
        killer.execute("select pg_terminate_backend(%s)", (pid,))
    try:
        request("select 1")
        print(json.dumps("served"))
    except django.db.OperationalError:
        print(json.dumps("failed"))
"""


def test_django_pool_checks_only_with_health_checks(tmp_path: Path) -> None:
    """python/django-pool-without-health-checks on a real server: Django 5.2's own pool
    (OPTIONS "pool", CONN_MAX_AGE 0) hands a connection killed while idle to the next request
    until the fix sets CONN_HEALTH_CHECKS; after it, the pool replaces the dead one."""
    from tests.pg_server import require_server, temporary_cluster

    pytest.importorskip("psycopg_pool")
    server = require_server()
    case = FIXTURES / "django-pool-without-health-checks"
    with temporary_cluster(server) as cluster:
        outcomes = {}
        for side in ("before", "after"):
            environment = {**os.environ, "DB_HOST": "127.0.0.1", "DB_PORT": str(cluster.port)}
            done = subprocess.run(
                [sys.executable, "-c", program(DJANGO_POOL_REQUESTS), str(cluster.port)],
                cwd=case / side, env=environment, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            outcomes[side] = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcomes == {"before": "failed", "after": "served"}


def test_connection_strings_in_python_files_are_still_the_client_layers(tmp_path: Path) -> None:
    """Discovery gives a file to one layer; a .py file taken here keeps its client findings."""
    (tmp_path / "db.py").write_text(
        "from sqlalchemy import create_engine\n\n"
        'engine = create_engine("postgresql+psycopg://app@db.example.com/app", pool_pre_ping=True)\n'
    )
    outcome = run_cli(["--format", "json", "."], tmp_path)
    codes = {item["code"] for item in json.loads(outcome.stdout)}
    assert "PGF401" in codes
    assert "PGF501" not in codes


# -- PGF401 in Python: what the patched code hands to libpq ---------------------------

CAPTURE_CONNECT = """
    import json, sys, types
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    def capture(conninfo="", **kwargs):
        # make_conninfo runs libpq's own parser: an unknown keyword raises here.
        return conninfo_to_dict(make_conninfo(conninfo, **kwargs))

    psycopg.connect = capture
    sys.modules["psycopg2"] = types.SimpleNamespace(connect=capture)
"""


def test_psycopg_connect_keywords_reach_libpq(tmp_path: Path) -> None:
    script = program(
        CAPTURE_CONNECT,
        """
        import db
        names = ("by_keywords", "dsn_and_keywords")
        print(json.dumps({name: getattr(db, name)().get("keepalives_idle") for name in names}))
        """,
    )
    assert run_patched("client-psycopg-connect-keywords-and-dsn", script, tmp_path) == {
        "by_keywords": "60",
        "dsn_and_keywords": "60",
    }


def test_sqlalchemy_connect_args_reach_the_driver(tmp_path: Path) -> None:
    script = """
    import json
    import sqlalchemy
    from sqlalchemy import event
    import engines

    class Captured(Exception):
        pass

    def parameters(engine):
        seen = {}

        @event.listens_for(engine, "do_connect")
        def grab(dialect, record, cargs, cparams):
            seen.update(cparams)
            raise Captured

        try:
            engine.connect()
        except Captured:
            pass
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        libpq = {key: value for key, value in seen.items() if key not in ("password", "context")}
        return conninfo_to_dict(make_conninfo(**libpq))

    print(json.dumps({name: parameters(getattr(engines, name)).get("keepalives_idle") for name in ("plain", "tuned")}))
    """
    assert run_patched("client-sqlalchemy-connect-args", script, tmp_path) == {"plain": "60", "tuned": "60"}


def test_two_fixes_on_one_connect_args_both_reach_the_driver(tmp_path: Path) -> None:
    # PGF401 and PGF404 both insert into one connect_args dict: they compose, the timeout stays.
    script = """
    import json
    from sqlalchemy import event
    import db

    class Captured(Exception):
        pass

    seen = {}

    @event.listens_for(db.engine, "do_connect")
    def grab(dialect, record, cargs, cparams):
        seen.update(cparams)
        raise Captured

    try:
        db.engine.connect()
    except Captured:
        pass
    keys = ("connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "sslmode")
    print(json.dumps({key: seen.get(key) for key in keys}))
    """
    assert run_patched("two-fixes-one-connect-args-unsafe", script, tmp_path) == {
        "connect_timeout": 10,
        "keepalives": 1,
        "keepalives_idle": 60,
        "keepalives_interval": 10,
        "keepalives_count": 6,
        "sslmode": "require",
    }


def test_django_options_reach_libpq(tmp_path: Path) -> None:
    script = program(
        DJANGO_SETTINGS,
        """
        configured("settings.py")
        from django.db import connections
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        found = {}
        for alias in ("default", "replica"):
            params = connections[alias].get_connection_params()
            params.pop("context", None)
            params.pop("cursor_factory", None)
            params.pop("prepare_threshold", None)
            found[alias] = conninfo_to_dict(make_conninfo(**params)).get("keepalives_idle")
        print(json.dumps(found))
        """,
    )
    result = run_patched("client-django-options", script, tmp_path, {"DB_HOST": "db.example.com"})
    assert result == {"default": "60", "replica": "60"}


def test_patched_keywords_set_the_socket_keepalive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keywords the fix adds, on a real connection: the client socket's TCP_KEEPIDLE is 60."""
    import socket

    from tests.pg_server import require_server, temporary_cluster

    psycopg = pytest.importorskip("psycopg")
    server = require_server()
    work = tmp_path / "case"
    shutil.copytree(FIXTURES / "client-psycopg-connect-keywords-and-dsn" / "after", work)
    captured: dict = {}
    monkeypatch.setitem(sys.modules, "psycopg2", types.SimpleNamespace(connect=None))
    namespace = runpy.run_path(str(work / "db.py"))
    connect = namespace["psycopg"].connect
    try:
        namespace["psycopg"].connect = lambda conninfo="", **kwargs: captured.update(kwargs) or None
        namespace["dsn_and_keywords"]()
    finally:
        namespace["psycopg"].connect = connect
    assert captured["keepalives_idle"] == 60
    with temporary_cluster(server) as cluster:
        where = {"host": "127.0.0.1", "port": cluster.port, "user": "postgres", "dbname": "postgres"}
        with psycopg.connect(**where, **captured) as conn:
            sock = socket.socket(fileno=conn.pgconn.socket)
            try:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10
            finally:
                sock.detach()


def test_flask_connect_args_and_pool_kwargs_reach_libpq(tmp_path: Path) -> None:
    script = """
    import json
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from sqlalchemy import event
    import config

    class Captured(Exception):
        pass

    app = Flask("reports")
    app.config.from_object(config.ReportsConfig)
    db = SQLAlchemy(app)
    seen = {}
    with app.app_context():
        @event.listens_for(db.engine, "do_connect")
        def grab(dialect, record, cargs, cparams):
            seen.update(cparams)
            raise Captured

        try:
            db.engine.connect()
        except Captured:
            pass
    libpq = {key: value for key, value in seen.items() if key not in ("password", "context")}
    pool = config.without_keepalives
    print(json.dumps([
        conninfo_to_dict(make_conninfo(**libpq)).get("keepalives_idle"),
        conninfo_to_dict(make_conninfo(pool.conninfo, **pool.kwargs)).get("keepalives_idle"),
    ]))
    """
    assert run_patched("client-flask-connect-args-and-pool-kwargs", script, tmp_path) == ["60", "60"]


# -- property: any layout of an engine call is fixed into valid, stable, ruff-clean code --

EXTRA_ARGUMENTS = st.lists(
    st.sampled_from(
        [
            "pool_size=5",
            "echo=False",
            "max_overflow=10",
            'connect_args={"sslmode": "require"}',
            "pool_pre_ping=False",
            "pool_recycle=3600",
            "**OPTIONS",
        ]
    ),
    unique=True,
    max_size=4,
)


@st.composite
def engine_modules(draw: st.DrawFn) -> str:
    urls = ['"postgresql+psycopg://app@db.internal/app"', "DATABASE_URL", "os.environ.get('URL', DATABASE_URL)"]
    url = draw(st.sampled_from(urls))
    arguments = [url, *draw(EXTRA_ARGUMENTS)]
    layout = draw(st.sampled_from(["line", "exploded", "exploded-no-comma", "hugging", "commented"]))
    callee = draw(st.sampled_from(["sa.create_engine", "create_engine", "make_engine"]))
    if layout == "line":
        call = f"{callee}({', '.join(arguments)})"
    elif layout == "hugging":
        call = f"{callee}(\n    {', '.join(arguments)}\n)"
    else:
        lines = [f"    {argument}," for argument in arguments]
        if layout == "exploded-no-comma":
            lines[-1] = lines[-1].rstrip(",")
        if layout == "commented":
            lines[0] += "  # the primary"
        call = f"{callee}(\n" + "\n".join(lines) + "\n)"
    header = (
        "import os\n\nimport sqlalchemy as sa\nfrom sqlalchemy import create_engine\n"
        "from sqlalchemy import create_engine as make_engine\n\n"
        'DATABASE_URL = "postgresql+psycopg://app@db.internal/app"\nOPTIONS = {"pool_timeout": 30}\n\n'
    )
    return f"{header}engine = {call}\n"


PROPERTY_SCALE = max(1, int(os.environ.get("PGCONF_FIX_PROPERTY_SCALE", "1")))


@settings(max_examples=60 * PROPERTY_SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=engine_modules())
def test_engine_fixes_keep_the_code_valid_stable_and_formatted(text: str) -> None:
    import ast
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = root / "db.py"
        path.write_text(text)
        clean_before = _ruff_clean(path)
        run_cli(["--write", "--select", "PGF5", "."], root)
        fixed = path.read_text()
        ast.parse(fixed)
        namespace = runpy.run_path(str(path), init_globals={})
        pool = namespace["engine"].pool
        assert pool._pre_ping
        # Pre-ping replaces a dead connection at checkout: a recycle the code chose is left as it was.
        assert pool._recycle <= 300 or str(pool._recycle) in text
        again = run_cli(["--write", "--select", "PGF5", "."], root)
        assert path.read_text() == fixed
        assert "PGF50" not in again.stdout
        if clean_before:
            assert _ruff_clean(path), fixed


# -- issue 13: what the consumer really reads ------------------------------------------------

FLASK_POOL = """
    import json
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    import config

    def pool_of(config_class):
        app = Flask(config_class.__name__)
        app.config.from_object(config_class)
        db = SQLAlchemy(app)
        with app.app_context():
            pool = db.engine.pool
            return {"size": pool.size(), "recycle": pool._recycle, "pre_ping": pool._pre_ping}
"""


def test_flask_config_inheritance_keeps_the_base_options(tmp_path: Path) -> None:
    # PGF505 moves the base's keys into the base's dict, PGF501 adds pre-ping to that same dict,
    # and a subclass's legacy key becomes a dict that starts from the base's (no shadowing).
    script = program(
        FLASK_POOL,
        "print(json.dumps({name: pool_of(getattr(config, name)) for name in ('ProductionConfig', 'ReportsConfig')}))",
    )
    result = run_patched(
        "flask-config-inheritance-unsafe",
        script,
        tmp_path,
        {"DATABASE_URL": REMOTE, "REPORTS_DATABASE_URL": REMOTE},
    )
    assert result == {
        "ProductionConfig": {"size": 10, "recycle": 280, "pre_ping": True},
        "ReportsConfig": {"size": 20, "recycle": 280, "pre_ping": True},
    }


def test_flask_sqlalchemy_24_move_reaches_the_engine(tmp_path: Path) -> None:
    script = program(FLASK_POOL, "print(json.dumps(pool_of(config.Config)))")
    result = run_patched("flask-sqlalchemy-2.4-poetry-unsafe", script, tmp_path, {"DATABASE_URL": REMOTE})
    assert result == {"size": 5, "recycle": 280, "pre_ping": True}


def test_psycopg2_pool_keywords_reach_libpq(tmp_path: Path) -> None:
    script = """
    import json
    import psycopg2
    import psycopg2.pool
    from psycopg2.extensions import make_dsn, parse_dsn

    seen = []
    psycopg2.pool.psycopg2.connect = lambda *args, **kwargs: seen.append(make_dsn(*args, **kwargs)) or object()
    import db
    print(json.dumps([parse_dsn(dsn).get("keepalives_idle") for dsn in seen]))
    """
    # Each pool opens minconn connections at once: the threaded pool's, the simple one's, the local one's.
    assert run_patched("psycopg2-pools-keyword-dsn", script, tmp_path) == ["60", "60", None]


def test_django_environ_health_checks_reach_django(tmp_path: Path) -> None:
    script = program(DJANGO_SETTINGS, "print(json.dumps(configured('settings.py')))")
    result = run_patched("django-environ-env-db", script, tmp_path)
    assert result["legacy"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    # CONN_MAX_AGE from env.int(..., default=60) is judged by its default (tests/test_environment_defaults.py
    # holds the real django-environ to it), so the fix turns the checks on there too.
    assert result["default"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


def test_a_shorter_value_that_makes_a_hugged_call_fit_is_laid_out_on_one_line(tmp_path: Path) -> None:
    """Found by the property test above: False -> True made the call fit in 88 columns, where
    ruff format joins it onto one line; the fix closes the two gaps as ruff would."""
    pytest.importorskip("ruff")
    path = tmp_path / "db.py"
    path.write_text(
        'from sqlalchemy import create_engine\n\nDATABASE_URL = "postgresql+psycopg://app@db.internal/app"\n\n'
        "engine = create_engine(\n    DATABASE_URL, pool_size=5, pool_pre_ping=False, pool_recycle=3600\n)\n"
    )
    assert _ruff_clean(path)
    run_cli(["--write", "--select", "PGF5", "."], tmp_path)
    assert "engine = create_engine(DATABASE_URL, pool_size=5, pool_pre_ping=True, pool_recycle=3600)\n" in path.read_text()
    assert _ruff_clean(path)


def test_dj_database_url_keyword_needs_a_release_that_takes_it(tmp_path: Path) -> None:
    # conn_health_checks= in dj_database_url.config() raises TypeError before 1.2: without a
    # pin the fix is unsafe, with an older pin there is none (fixture django-dj-database-url-old-pin).
    def fixes(pin: str | None) -> list[dict | None]:
        project = tmp_path / (pin or "unpinned")  # pins are read once per directory
        project.mkdir()
        (project / "settings.py").write_text(
            'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config(conn_max_age=600)}\n'
        )
        if pin is not None:
            (project / "requirements.txt").write_text(f"dj-database-url=={pin}\n")
        report = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF503", "."], project).stdout)
        if pin is None:
            assert "needs dj-database-url 1.2 or later (no pin of dj-database-url found)" in report[0]["message"]
        return [finding["fix"] for finding in report]

    assert [fix["applicability"] for fix in fixes(None)] == ["unsafe"]
    assert fixes("1.1.0") == [None]
    assert [fix["applicability"] for fix in fixes("1.2.0")] == ["safe"]


def test_url_create_engines_get_keepalives_on_a_real_connection(tmp_path: Path) -> None:
    """The fixed URL.create() engines, connected by SQLAlchemy through psycopg2 and psycopg to a
    real server: the client socket carries the keepalive timers the fix wrote (in the query dict
    or in connect_args). Only where the engine connects is changed (host, port, user, database)."""
    from tests.pg_server import require_server, temporary_cluster

    server = require_server()
    script = """
    import json, os, socket
    from sqlalchemy import event, text
    import engines

    def timers(engine):
        @event.listens_for(engine, "do_connect")
        def to_the_test_server(dialect, record, cargs, cparams):
            cparams.pop("database", None)
            cparams.update(host="127.0.0.1", port=int(os.environ["TEST_PORT"]), user="postgres", dbname="postgres")

        with engine.connect() as connection:
            assert connection.execute(text("select 1")).scalar() == 1
            raw = connection.connection.dbapi_connection
            fd = raw.fileno() if hasattr(raw, "fileno") else raw.pgconn.socket
            sock = socket.socket(fileno=fd)
            try:
                return [sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)] + [
                    sock.getsockopt(socket.IPPROTO_TCP, option)
                    for option in (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT)
                ]
            finally:
                sock.detach()

    print(json.dumps({name: timers(getattr(engines, name)) for name in ("direct", "bound", "replaced")}))
    """
    with temporary_cluster(server) as cluster:
        result = run_patched("client-sqlalchemy-url-create", script, tmp_path, {"TEST_PORT": str(cluster.port)})
    assert result == {name: [1, 60, 10, 6] for name in ("direct", "bound", "replaced")}


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="'\"rbfuRBFUa_{ 1\n(\u00e9", max_size=16))
def test_quote_openings_counted_as_the_pattern_finds_them(text: str) -> None:
    """The file's quote is decided by counting _OPENING_SINGLE/_DOUBLE matches; the count that
    searches quotes first must be findall's, on any text (prefixes, quotes side by side)."""
    from pgconf_fix.documents import python_layout

    for quote, opening in (("'", python_layout._OPENING_SINGLE), ('"', python_layout._OPENING_DOUBLE)):
        assert python_layout._openings(text, quote, opening) == len(opening.findall(text))


def test_quote_openings_on_the_project_s_own_modules() -> None:
    from pgconf_fix.documents import python_layout

    root = Path(__file__).resolve().parent.parent
    for path in sorted([*root.glob("pgconf_fix/**/*.py"), *root.glob("tests/**/*.py")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        for quote, opening in (("'", python_layout._OPENING_SINGLE), ('"', python_layout._OPENING_DOUBLE)):
            assert python_layout._openings(text, quote, opening) == len(opening.findall(text)), path


_TAB_LINES = re.compile(r"(?:^|(?<=\r))\t", re.MULTILINE)
_SPACE_LINES = re.compile(r"(?:^|(?<=\r)) ", re.MULTILINE)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="\t \r\na#", max_size=16))
def test_lines_starting_with_a_tab_or_a_space_counted_as_the_patterns_find_them(text: str) -> None:
    """Whether a module indents with tabs (``indent_step`` at the left edge) is decided by
    counting the lines that start with a tab and with a space; the counts are those of the
    multi-line patterns ``_indents_with_tabs`` used before (issue 18, fourteenth pass), on
    any text of tabs, blanks and LF, CR and CRLF line ends."""
    from pgconf_fix.documents import python_layout

    assert python_layout._line_starts_with(text, "\t") == len(_TAB_LINES.findall(text))
    assert python_layout._line_starts_with(text, " ") == len(_SPACE_LINES.findall(text))


def test_lines_starting_with_a_tab_or_a_space_on_the_project_s_own_modules() -> None:
    from pgconf_fix.documents import python_layout

    root = Path(__file__).resolve().parent.parent
    for path in sorted([*root.glob("pgconf_fix/**/*.py"), *root.glob("tests/**/*.py")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        for variant in (text, text.replace("\n", "\r"), text.replace("\n", "\r\n"), text.replace("    ", "\t")):
            assert python_layout._line_starts_with(variant, "\t") == len(_TAB_LINES.findall(variant)), path
            assert python_layout._line_starts_with(variant, " ") == len(_SPACE_LINES.findall(variant)), path


def test_an_other_applications_engine_options_do_not_reach_this_config(tmp_path: Path) -> None:
    """The extension's engine_options= counts where the config's code can import it from: the
    config module's directory, or above its outermost package. A service beside it (or the
    repository's own tools, as pgconf-fix's repository holds examples/) gives it nothing."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mono'\n")
    config = 'from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\n' \
             'app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg2://app@10.1.2.3/app?keepalives_idle=60"\n' \
             'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 5}\ndb = SQLAlchemy(app)\n'
    extension = 'from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(engine_options={"pool_pre_ping": True})\n'
    for directory in ("services/orders", "services/billing"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "services/orders/app.py").write_text(config)
    (tmp_path / "services/billing/extensions.py").write_text(extension)
    found = run_cli(["--no-cache", "--select", "PGF501", "services/orders/app.py"], tmp_path)
    assert "PGF501" in found.stdout, found.stdout
    # In one package (app/ with __init__.py beside config/), the extension's options count.
    (tmp_path / "shop/app").mkdir(parents=True)
    (tmp_path / "shop/app/__init__.py").write_text("")
    (tmp_path / "shop/app/extensions.py").write_text(extension)
    (tmp_path / "shop/config.py").write_text(config)
    found = run_cli(["--no-cache", "--select", "PGF501", "shop/config.py"], tmp_path)
    assert found.code == 0, found.stdout
