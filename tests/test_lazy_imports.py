"""A run pays only for the readers its files need (issue 18: one postgresql.conf as pre-commit
calls it). Counted in modules imported, never in seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from pgconf_fix.cli import main
try:
    main([sys.argv[1], "--exit-zero"])
except SystemExit:
    pass
import json
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_for(path: Path, cache: Path | None = None, cwd: Path | None = None) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PGCONF_FIX_CACHE_DIR", None)  # main() then runs without the cache unless given one
    if cache is not None:
        env["PGCONF_FIX_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, env=env, check=True, cwd=cwd)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_postgresql_conf_alone_loads_no_other_reader(tmp_path: Path) -> None:
    conf = tmp_path / "postgresql.conf"
    conf.write_text("tcp_keepalives_idle = 600\n")
    loaded = _modules_for(conf)
    assert "pgconf_fix.views.server" in loaded  # the probe did check the file
    heavy = {"libcst", "hcl2", "yaml", "pgconf_fix.documents.hcl", "pgconf_fix.documents.yaml_nodes",
             "pgconf_fix.views.middleboxes", "pgconf_fix.views.compose",
             # compose's command verifier and what it splits commands with: for YAML files only
             "pgconf_fix.verify.compose", "pgconf_fix.documents.shellwords",
             "pgconf_fix.documents.compose_interpolation",
             "pathspec"}  # fmt: skip  (no .gitignore, exclude or per-file-ignores pattern is in force)
    assert not heavy & loaded, sorted(heavy & loaded)
    # Standard modules only other files or other modes need (issue 18, fourth pass): the INI and
    # TOML verifiers, terraform fmt, --diff and --write, importlib.resources for the parameter
    # catalogs of a zipped package, decimal and fractions for rare real values, and hashlib
    # (OpenSSL) for the cache's digests and --write's comparison.
    unused = {"configparser", "subprocess", "difflib", "tempfile", "importlib.resources", "decimal", "fractions",
              "hashlib"}
    assert not unused & loaded, sorted(unused & loaded)
    # A run without the result cache (--no-cache, or main() called without it) does not load it
    # (issue 18, eighth pass: a 71 KB module and two dataclasses).
    assert "pgconf_fix.cache" not in loaded


def test_a_postgresql_conf_without_a_connection_string_is_vetted_without_the_connection_string_reader(tmp_path: Path) -> None:
    """The connection-string verifier judges every edited file, but a text with no ``://`` and
    no ``host``/``hostaddr``/``dbname`` before an ``=`` holds no connection string: the reader of
    them (pgconf_fix.documents.connstr, three dataclasses and four patterns, ~17 M instructions)
    is not imported for it, nor its URI pattern run over the text (issue 18, tenth pass). A
    primary_conninfo with host= brings it back."""
    conf = tmp_path / "postgresql.conf"
    conf.write_text("listen_addresses = 'localhost'\nport = 5432\n")  # as the sample file has them
    loaded = _modules_for(conf)
    assert "pgconf_fix.verify.conninfo" in loaded  # a fix (tcp_keepalives_idle) was vetted
    assert "pgconf_fix.documents.connstr" not in loaded
    conf.write_text("listen_addresses = 'localhost'\nprimary_conninfo = 'host=primary port=5432 user=r'\n")
    assert "pgconf_fix.documents.connstr" in _modules_for(conf)


PATTERN_PROBE = """
import json
import sys
from pgconf_fix.cli import main
try:
    main([sys.argv[1], "--exit-zero"])
except SystemExit:
    pass
from pgconf_fix import guc_values, redact, suppression
from pgconf_fix.verify import conninfo
accessors = [redact._own_word, redact._uri_password, redact._keywords, redact._letter, redact._string_prefix,
             redact._reference, redact._hex, redact._quote, redact._escaped, guc_values._strtod_patterns,
             suppression._form, conninfo._scheme]
print(json.dumps({f"{f.__module__}.{f.__name__}": f.cache_info().currsize for f in accessors}), file=sys.stderr)
"""


def test_a_postgresql_conf_without_passwords_reals_or_suppressions_compiles_none_of_their_patterns(tmp_path: Path) -> None:
    """Regular expressions a run of one postgresql.conf does not use are compiled when first
    used, not when their module is imported (issue 18, ninth pass: these twelve were ~3 % of the
    run's instructions): the password patterns (its findings' messages hold no "://" and no
    "pass"), strtod's (its values are integers), the suppression comment's form (it has no
    marker) and the libpq URI scheme (the fix's edit changes no connection string)."""
    conf = tmp_path / "postgresql.conf"
    conf.write_text("tcp_keepalives_idle = 600\nport = 5432\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PGCONF_FIX_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", PATTERN_PROBE, str(conf)], capture_output=True, text=True, env=env, check=True)
    assert "PGF101" in done.stdout  # the file was checked, and a fix vetted
    compiled = json.loads(done.stderr.strip().splitlines()[-1])
    assert compiled and not any(compiled.values()), compiled


def test_a_python_module_alone_is_read_without_libcst_or_packaging(tmp_path: Path) -> None:
    """A module is found and fixed with ``ast`` (issue 18, item 3): libcst is for telling a
    newer Python's syntax from an error, and packaging reads manifests, of which there is none."""
    (tmp_path / ".git").mkdir()  # a repository: the project's manifests are looked for up to here
    module = tmp_path / "db.py"
    module.write_text('import sqlalchemy\nengine = sqlalchemy.create_engine("postgresql://db.example.com/app")\n')
    loaded = _modules_for(module, cwd=tmp_path)  # run there: no pyproject.toml holds a configuration
    assert "pgconf_fix.views.pool" in loaded and "pgconf_fix.verify" in loaded  # judged, and its fixes vetted
    heavy = {"libcst", "packaging", "packaging.requirements", "tomllib", "hcl2", "yaml", "pgconf_fix.cache"}
    assert not heavy & loaded, sorted(heavy & loaded)
    # The public suffix list's rules under .com are all ASCII: IDNA would leave them as they are,
    # so its codec (with stringprep and unicodedata) is not loaded to encode them (issue 18).
    assert "publicsuffixlist" in loaded  # the host's suffix was looked up (PGF404: a public host)
    assert not {"encodings.idna", "stringprep"} & loaded, sorted({"encodings.idna", "stringprep"} & loaded)


def test_a_module_with_one_engine_reads_no_pins_and_loads_no_manifest_reader(tmp_path: Path) -> None:
    """Which Flask-SQLAlchemy or Django a project pins is asked only of their settings: a module
    with one create_engine does not load pgconf_fix.dependencies (two dataclasses and the
    manifests' patterns, 4.8 M instructions; issue 18, tenth pass)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("SQLAlchemy==2.0.30\n")
    module = tmp_path / "db.py"
    module.write_text('from sqlalchemy import create_engine\nengine = create_engine("postgresql://db.example.com/app")\n')
    loaded = _modules_for(module, cwd=tmp_path)
    assert "pgconf_fix.views.pool_sqlalchemy" in loaded  # the engine was judged
    assert "pgconf_fix.dependencies" not in loaded
    (tmp_path / "settings.py").write_text('SQLALCHEMY_DATABASE_URI = "postgresql://db.example.com/app"\n')
    assert "pgconf_fix.dependencies" in _modules_for(tmp_path / "settings.py", cwd=tmp_path)  # Flask's pin is read


def test_a_cached_answer_loads_no_verifier(tmp_path: Path) -> None:
    """The second run on an unchanged file takes the findings and the verifiers' verdict from
    the cache: the consumers' parsers (pgconf_fix.verify), the patcher, the rule engine and
    the parameter catalogs are not loaded."""
    (tmp_path / "etc").mkdir()
    conf = tmp_path / "etc" / "postgresql.conf"
    conf.write_text("tcp_keepalives_idle = 600\n")
    first = _modules_for(conf, tmp_path / "cache")
    assert "pgconf_fix.verify" in first  # the fix was vetted the first time
    again = _modules_for(conf, tmp_path / "cache")
    unused = {"pgconf_fix.verify", "pgconf_fix.patcher", "pgconf_fix.engine", "pgconf_fix.guc_catalog"}
    assert not unused & again, sorted(unused & again)


def test_a_tree_with_terraform_still_learns_its_budget_from_it(tmp_path: Path) -> None:
    (tmp_path / "nat.tf").write_text('resource "aws_nat_gateway" "egress" {\n  subnet_id = "s"\n}\n')
    loaded = _modules_for(tmp_path / "nat.tf")
    assert "pgconf_fix.views.middleboxes" in loaded and "yaml" not in loaded


EQ_PROBE = """
import dataclasses
import json
import sys
from pgconf_fix.cli import main
try:
    main([sys.argv[1], "--exit-zero"])
except SystemExit:
    pass
compared = sorted(
    f"{name}.{value.__qualname__}"
    for name, module in list(sys.modules.items()) if name.startswith("pgconf_fix") and module is not None
    for value in vars(module).values()
    if isinstance(value, type) and value.__module__ == name and dataclasses.is_dataclass(value) and "__eq__" in vars(value)
)
print(json.dumps(compared), file=sys.stderr)
"""

# The dataclasses of a one-file run whose instances are compared or hashed by value (a major
# as a key and in order, the idle budget learned against the last, a rule against a fresh parse
# of its file, a libpq reading against the one before the edit, a postgresql.conf's commented
# settings found by name against a scan of every line, the Python module's entries):
# the others are declared eq=False, since each __eq__ (and a frozen class's __hash__) is one
# more method that dataclasses compiles with exec when the class is created (issue 18, ninth
# pass: ~6 % of a postgresql.conf run's instructions).
COMPARED = {
    "pgconf_fix.versions.PgVersion", "pgconf_fix.budget.Budget", "pgconf_fix.budget.IdleTimer",
    "pgconf_fix.budget.PathBudgets", "pgconf_fix.catalog.Rule", "pgconf_fix.documents.connstr.Param",
    "pgconf_fix.documents.connstr.Host", "pgconf_fix.documents.connstr.ConnectionString",
    "pgconf_fix.documents.pgconf.ConfLine", "pgconf_fix.documents.pgconf.CommentedSetting",
    "pgconf_fix.documents.python.Entry", "pgconf_fix.documents.python.Settings",
}  # fmt: skip


def test_the_dataclasses_of_a_one_file_run_generate_no_unused_equality(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    conf = tmp_path / "postgresql.conf"
    conf.write_text("tcp_keepalives_idle = 600\n")
    module = tmp_path / "db.py"
    module.write_text('import sqlalchemy\nengine = sqlalchemy.create_engine("postgresql://db.example.com/app")\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PGCONF_FIX_CACHE_DIR", None)
    for path in (conf, module):
        done = subprocess.run([sys.executable, "-c", EQ_PROBE, str(path)], capture_output=True, text=True, env=env,
                              check=True, cwd=tmp_path)
        assert "PGF" in done.stdout  # the file was checked
        compared = set(json.loads(done.stderr.strip().splitlines()[-1]))
        assert "pgconf_fix.versions.PgVersion" in compared  # the probe sees generated methods
        assert compared <= COMPARED, sorted(compared - COMPARED)


GC_PROBE = """
import atexit
import gc
import sys

atexit.register(lambda: None)  # an exit handler: entry() returns (pgconf_fix.__main__.exit_now)

thresholds = []


class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "pgconf_fix.cli":
            thresholds.append(gc.get_threshold())
        return None


sys.meta_path.insert(0, Spy())
sys.argv = ["pgconf-fix", "--version"]
from pgconf_fix.__main__ import entry

status = entry()
print(status, thresholds, gc.get_threshold())
"""


def test_the_command_raises_the_collector_threshold_before_importing_its_modules() -> None:
    """The command's entry point (pyproject's console script, and ``python -m pgconf_fix``) sets
    the run's garbage-collector threshold before ``pgconf_fix.cli`` and what it imports are
    loaded: the collector's passes over the imports' objects were ~5 % of a one-file run's CPU
    (issue 18, eighth pass). ``main`` itself leaves the collector alone (tests call it)."""
    from pgconf_fix import GC_THRESHOLD

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", GC_PROBE], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == f"0 [{GC_THRESHOLD}] {GC_THRESHOLD}"
    assert 'pgconf-fix = "pgconf_fix.__main__:entry"' in (ROOT / "pyproject.toml").read_text()
