"""Settings read from the environment with a default (views.environment_default): PGF503
judges the default, and its fix changes only the default. Held to Django itself with the real
django-environ and python-decouple, and to the libraries' own answers for each form read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pgconf_fix.documents.python import PythonDocument
from pgconf_fix.source import read_source
from pgconf_fix.views.environment_default import environment_default

CASE = Path(__file__).parent / "fixtures" / "python" / "django-settings-from-environment"
SCRIPT = textwrap.dedent("""
    import json
    import django
    django.setup()
    from django.db import connections
    entry = connections["default"].settings_dict
    print(json.dumps([entry["CONN_MAX_AGE"], entry["CONN_HEALTH_CHECKS"]]))
""")


def django_sees(side: str, module: str, **environment: str) -> list:
    base = {key: value for key, value in os.environ.items() if key not in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    env = {
        **base, "PYTHONPATH": str(CASE / side), "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": f"mysite.settings.{module}", "DATABASE_URL": "postgres://app@10.0.0.5/app",
        **environment,
    }
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_django_gets_the_defaults_read_and_the_fix_keeps_the_environment_in_charge() -> None:
    # production: CONN_MAX_AGE from env.int's default, no CONN_HEALTH_CHECKS until the fix adds it.
    assert django_sees("before", "production") == [60, False]
    assert django_sees("after", "production") == [60, True]
    # staging: os.environ.get's default, and decouple's default False turned True by the fix ...
    assert django_sees("before", "staging") == [600, False]
    assert django_sees("after", "staging") == [600, True]
    # ... which the environment still overrides, as before the fix.
    assert django_sees("after", "staging", CONN_HEALTH_CHECKS="False", CONN_MAX_AGE="0") == [0, False]
    # local: django-environ hands a string default over uncast; the fixture leaves it unjudged.
    assert django_sees("before", "local") == ["60", False]


FORMS = [
    ('import environ\nenv = environ.Env()\nX = env.int("PGF_T", default=60)\n', 60),
    ('import environ\nenv = environ.Env()\nX = env.int("PGF_T", 60)\n', 60),
    ('import environ\nenv = environ.Env()\nX = env.int("PGF_T", default=None)\n', None),
    ('import environ\nenv = environ.Env()\nX = env.bool("PGF_T", default=True)\n', True),
    ('import environ\nenv = environ.Env()\nX = env.float("PGF_T", default=1.5)\n', 1.5),
    ('import environ\nenv = environ.Env()\nX = env.int("PGF_T", default="60")\n', "60"),
    ('import os\nX = int(os.environ.get("PGF_T", "600"))\n', 600),
    ('import os\nX = int(os.getenv("PGF_T", 30))\n', 30),
    ('import os\nX = float(os.getenv("PGF_T", "2"))\n', 2.0),
    ('from decouple import config\nX = config("PGF_T", default=60, cast=int)\n', 60),
    ('from decouple import config\nX = config("PGF_T", default="45", cast=int)\n', 45),
    ('from decouple import config\nX = config("PGF_T", default=False, cast=bool)\n', False),
]


@pytest.mark.parametrize(("code", "gets"), FORMS)
def test_each_form_reads_what_the_library_returns(code: str, gets: object, tmp_path: Path) -> None:
    """The value read is the library's own answer where the variable is unset; a form whose
    answer is not a number, boolean or None (django-environ's uncast string) is not read."""
    env = {key: value for key, value in os.environ.items() if key != "PGF_T"}
    done = subprocess.run([sys.executable, "-c", code + "import json; print(json.dumps(X))"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == gets
    path = tmp_path / "settings.py"
    path.write_text(code)
    document = PythonDocument(read_source(path, "settings.py"))
    statement = document.module.body[-1]
    found = environment_default(document, statement.body[0].value)
    if isinstance(gets, str):
        assert found is None
    else:
        assert found is not None and found.value == gets and type(found.value) is type(gets)
        assert found.variable == "PGF_T"


@pytest.mark.parametrize("code", [
    'X = something.int("PGF_T", default=60)\n',  # no django-environ here
    'from decouple import config\nX = config("PGF_T", default=None, cast=int)\n',  # decouple raises TypeError
    'import os\nX = int(os.getenv("PGF_T", "6.5"))\n',  # int() raises ValueError
    'import os\nX = os.getenv("PGF_T", 60)\n',  # a set variable is a string
])
def test_forms_not_read(code: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.py"
    path.write_text(code)
    document = PythonDocument(read_source(path, "settings.py"))
    statement = document.module.body[-1]
    assert environment_default(document, statement.body[0].value) is None


ENGINES = Path(__file__).parent / "fixtures" / "python" / "sqlalchemy-settings-from-environment"
POOLS = textwrap.dedent("""
    import json
    import db
    print(json.dumps({name: [getattr(db, name).pool._pre_ping, getattr(db, name).pool._recycle]
                      for name in ("engine", "reports")}))
""")


def sqlalchemy_sees(side: str, **environment: str) -> dict:
    variables = ("DB_PRE_PING", "DB_POOL_RECYCLE", "PRE_PING", "RECYCLE")
    env = {key: value for key, value in os.environ.items() if key not in variables}
    env.update(PYTHONPATH=str(ENGINES / side), PYTHONDONTWRITEBYTECODE="1", **environment)
    done = subprocess.run([sys.executable, "-c", POOLS], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sqlalchemy_gets_the_defaults_read_and_the_fix_keeps_the_environment_in_charge() -> None:
    """SQLAlchemy 2 with the real django-environ: what each engine's pool holds, unset and set."""
    assert sqlalchemy_sees("before") == {"engine": [False, 3600], "reports": [False, 240]}
    assert sqlalchemy_sees("after") == {"engine": [True, 3600], "reports": [True, 240]}
    # The first engine's pre-ping is still the environment's to turn off; the second's, written
    # through a name another engine could read, became the call's own keyword.
    assert sqlalchemy_sees("after", DB_PRE_PING="false", PRE_PING="false") == {
        "engine": [False, 3600], "reports": [True, 240],
    }
