"""The Python edit check: a fix keeps each call one call, with no keyword or dict key twice."""

from __future__ import annotations

import functools
import io
import shutil
import tokenize
from pathlib import Path

import pytest

from pgconf_fix.python_calls import edited_calls_problem
from tests.cli_runner import run_cli

ENGINE = 'engine = create_engine("postgresql://db.example.com/app", pool_size=5)\n'


@pytest.mark.parametrize(
    "new",
    [
        'engine = create_engine("postgresql://db.example.com/app", pool_size=5, pool_pre_ping=True)\n',
        'engine = create_engine(\n    "postgresql://db.example.com/app",\n    pool_size=5,\n    connect_args={"keepalives": 1},\n)\n',
    ],
)
def test_keyword_and_dict_insertions_pass(new: str) -> None:
    assert edited_calls_problem(ENGINE, new) is None


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ('engine = create_engine("postgresql://db.example.com/app")(pool_size=5)\n', "add a call"),
        ('engine = create_engine("postgresql://db.example.com/app", 5)\n', "positional"),
        ('engine = create_engine("postgresql://db.example.com/app", **{"pool_size": 5}, pool_size=6)\n', "repeat the keyword 'pool_size'"),
        ('engine = create_engine("postgresql://db.example.com/app")\n', "lose the keyword 'pool_size'"),
        (
            'engine = create_engine("postgresql://db.example.com/app", pool_size=5, connect_args={"sslmode": "disable", "sslmode": "require"})\n',
            "repeat the key 'sslmode'",
        ),
    ],
)
def test_edits_that_change_what_the_call_means_are_refused(new: str, reason: str) -> None:
    problem = edited_calls_problem(ENGINE, new)
    assert problem is not None and reason in problem


def test_what_the_module_already_had_is_not_held_against_the_edit() -> None:
    old = 'OPTIONS = {"a": 1, "a": 2}\nf(x=1)\n'
    assert edited_calls_problem(old, 'OPTIONS = {"a": 1, "a": 2, "b": 3}\nf(x=1)\n') is None
    assert edited_calls_problem("f(\n", "f()\n") is None  # not Python before: the compile check's case
    assert edited_calls_problem("f()\n", "f(\n") is None


FIXTURES = Path(__file__).parent / "fixtures"
PYTHON_CASES = sorted(path.parent for path in FIXTURES.glob("python/*/before"))


@pytest.mark.parametrize("case", PYTHON_CASES, ids=lambda case: case.name)
def test_unsafe_fixes_over_the_corpus_keep_calls_and_compile(case: Path, tmp_path: Path) -> None:
    """Every Python file --write --unsafe-fixes changes still compiles and keeps its calls."""
    work = tmp_path / "work"
    shutil.copytree(case / "before", work, symlinks=True)
    before = {path: path.read_bytes() for path in work.rglob("*.py")}
    run_cli(["--write", "--unsafe-fixes", "."], work)
    for path, old in before.items():
        new = path.read_bytes()
        if new == old:
            continue
        compile(new, str(path), "exec")  # as Python reads a file (a byte order mark, a declared encoding)
        assert edited_calls_problem(_as_python_reads(old), _as_python_reads(new)) is None, (path, new)


def _as_python_reads(data: bytes) -> str:
    """A module's text, decoded as its PEP 263 declaration says (UTF-8 without one)."""
    encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def test_judging_an_edit_prints_no_warning_about_the_module() -> None:
    # An invalid escape is a DeprecationWarning in 3.11 and a SyntaxWarning (shown by default)
    # from 3.12: the verifier parses the user's module and must not print either on stderr.
    import warnings

    from pgconf_fix.python_calls import _remembered_facts, python_edit_problem

    _remembered_facts.cache_clear()
    old = 'PATTERN = "\\K"\nf(a=1)\n'
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert python_edit_problem("m.py", old, old.replace("a=1", "a=1, b=2")) is None
    assert seen == []


def test_reading_a_module_prints_no_warning_about_its_escapes(tmp_path: Path) -> None:
    """The other places that hand the user's Python to CPython's compiler: the module's parse
    and a literal's value (documents.python), Airflow's config module (views.airflow), and
    formats.python_error. An invalid escape ("\\d") is reported by none of them, and none of
    their answers changes under ``-W error``."""
    import warnings

    from pgconf_fix.documents import python_nodes as syntax
    from pgconf_fix.documents.python import PythonDocument, literal
    from pgconf_fix.source import SourceFile
    from pgconf_fix.verify.formats import python_error
    from pgconf_fix.views.airflow import _dict_settings

    module = 'DATABASE = {"host": "db", "options": "-c x=\\d"}\nPATTERN = "\\d"\n'
    source = SourceFile.from_bytes(tmp_path / "airflow_local_settings.py", "airflow_local_settings.py", module.encode())
    broken = SourceFile.from_bytes(tmp_path / "m.py", "m.py", b'X = "\\d"\nY = (\n')
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("error")  # a warning that escaped would now change the answer
        document = PythonDocument(source)
        assert document.error is None
        pattern = document.nodes(syntax.Assign)[-1].value  # type: ignore[attr-defined]
        assert literal(pattern) == "\\d"
        assert [setting.key for setting in _dict_settings(source, "DATABASE")] == ["host", "options"]
        assert PythonDocument(broken).error == (2, 5, "not valid Python: '(' was never closed")
        assert python_error(Path("m.py"), 'X = "\\d"\n') is None
    assert seen == []


def test_each_text_the_verifiers_judge_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text the verifiers ask about (the originals, each fix alone, each file's fixes
    together, every patcher run) is parsed once a run: on 60 modules with fixes, more texts
    than the 128 the memo held before, which parsed the Python-heavy benchmark's 487 texts
    1,030 times."""
    import pgconf_fix.python_calls as python_calls

    for number in range(60):
        (tmp_path / f"db{number}.py").write_text(
            "from sqlalchemy import create_engine\n\n"
            f'engine = create_engine("postgresql://app@db{number}.example.com/app", pool_recycle=3600)\n'
        )
    parsed: list[str] = []
    real = python_calls._module_facts
    monkeypatch.setattr(python_calls, "_module_facts", lambda text: parsed.append(text) or real(text))
    python_calls._remembered_facts.cache_clear()
    outcome = run_cli(["--no-cache", "--exit-zero", "."], cwd=tmp_path)
    assert "fixable" in outcome.stdout
    assert len(set(parsed)) > 128 and len(parsed) == len(set(parsed))


def test_a_module_with_fixes_is_parsed_once_by_a_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifiers read an original's facts while the build's parse tree is at hand
    (verify.note_originals): a check that vets the fixes of many modules parses each original
    once, not once for the build and again for the vetting after every module is built."""
    import ast
    from collections import Counter

    from pgconf_fix.documents import python_nodes
    from pgconf_fix.python_calls import _remembered_facts
    from tests.cli_runner import run_cli

    for number in range(20):  # more than python_nodes.parse remembers
        (tmp_path / f"db_{number}.py").write_text(
            f'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://app@db{number}.example.com/app")\n'
        )
    python_nodes.parse.cache_clear()
    _remembered_facts.cache_clear()
    parsed: Counter[str] = Counter()
    real = ast.parse

    def counted(source, *args, **kwargs):
        parsed[source] += 1
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counted)
    outcome = run_cli(["--no-cache", "--format", "json", "."], tmp_path)
    assert outcome.code == 1 and '"fix"' in outcome.stdout
    originals = [(tmp_path / f"db_{number}.py").read_text() for number in range(20)]
    assert [parsed[text] for text in originals] == [1] * 20



# Run in a process of its own: what the memos of an earlier test in the same process hold
# (verdicts, facts, compiler verdicts of the same texts) changes which texts are parsed when.
_COUNTING = """
import ast, collections, json, sys
from pgconf_fix.documents import python_nodes
parsed, held = collections.Counter(), []
real_parse, real_hold = ast.parse, python_nodes.hold
ast.parse = lambda source, *a, **k: parsed.update([source]) or real_parse(source, *a, **k)
python_nodes.hold = lambda text: held.append(text) or real_hold(text)
from pgconf_fix.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps([sorted(parsed.items()), held]), file=sys.stderr)
"""


def _counted_run(args: list[str], cwd: Path) -> tuple[str, dict[str, int], list[str]]:
    """(stdout, parses by text, texts handed to python_nodes.hold) of one run in a fresh process."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-P", "-c", _COUNTING, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    parsed, held = json.loads(done.stderr.strip().splitlines()[-1])
    return done.stdout, dict(parsed), held


@pytest.mark.parametrize("host", ["10.0.0.{number}", "db{number}.example.com"])
def test_the_fix_loop_builds_each_fixed_text_from_the_verifiers_parse(host: str, tmp_path: Path) -> None:
    """Each text a round of fixes makes of a module was parsed by the verifiers that judged it,
    and the re-check that builds it takes that tree (python_nodes.hold) rather than parsing it
    again after the other modules' trials: on twenty modules (more than the last parses
    remembered) whose create_engine takes its fixes in two rounds (connect_args, then
    pool_pre_ping and pool_recycle on the call laid out again), no text is parsed twice. A
    public host adds an unsafe fix (sslmode=require) that the vetting's combined trial holds and
    the safe rounds leave out: their texts are kept by the patcher's own trial (patcher._apply_fixes)."""
    for number in range(20):
        (tmp_path / f"db_{number}.py").write_text(
            "from sqlalchemy import create_engine\n\n"
            f'engine = create_engine("postgresql://app@{host.format(number=number)}/app")\n'
        )
    stdout, parsed, _ = _counted_run(["--no-cache", "--exit-zero", "."], tmp_path)
    assert "[*] 60 fixable" in stdout
    finals = [text for text in parsed if "pool_recycle=" in text and "pool_pre_ping=True" in text and "keepalives" in text]
    # The texts of the second round (with sslmode=require too, for the unsafe fixes' count).
    assert len(finals) == (20 if host.startswith("10.") else 40)
    assert len(parsed) > 60 and max(parsed.values()) == 1, [count for count in parsed.values() if count > 1]


def test_a_report_without_fixable_counts_keeps_no_tree(tmp_path: Path) -> None:
    """Without a fix loop to come (``--format json`` counts nothing fixable) the vetting keeps
    no tree for a re-check that will not happen (run.fix_loop_follows): held, the trees would
    only cost the collector passes; the text report of the same modules keeps them."""
    for number in range(3):
        (tmp_path / f"db_{number}.py").write_text(
            f'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://app@10.0.0.{number}/app")\n'
        )
    stdout, _, held = _counted_run(["--no-cache", "--exit-zero", "--format", "json", "."], tmp_path)
    assert '"fix"' in stdout and held == []
    stdout, _, held = _counted_run(["--no-cache", "--exit-zero", "--select", "PGF401", "."], tmp_path)
    assert "3 fixable" in stdout and len(set(held)) == 3


CALLEE_SHAPES = [
    "f()",
    "a.b.c(1)",
    "session.execute(select(Model).limit(limit)).scalars().all()",
    "select(Model).where(x=1, y=None).order_by(True, False)()",
    "f(x)(y)(z=w)",
    "f(*args).g()",
    "f(**options).g()",
    "f(a, *b, c=d, **e).g()",
    "f(-1).g()",
    "f(1.5).g()",
    "f('s').g()",
    "f(b'x').g()",
    "f(x for x in y).g()",
    "f(lambda: 1).g()",
    "(3).real.conjugate()",
    "3 .real.conjugate()",
    "f(3).real()",
    "a[0].b()",
    "(a or b).c()",
    "f(10**3).g()",
    "f(0x10, 1_000).g()",
    "f(...).g()",
    "f(await x).g()",
    "super().__init__()",
    "type(self).__name__.upper()",
]


def _calls_of(text: str) -> list:
    import ast

    return [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)]


def test_callee_names_are_what_ast_unparse_writes() -> None:
    """``_callee_name`` is ``ast.unparse`` of every callee it names, and names no other:
    the shapes above (each callee of each call in them), this project's modules and tests,
    every Python fixture, and a slice of the standard library."""
    import ast

    from pgconf_fix.python_calls import _callee_name

    texts = ["async def f():\n    " + shape + "\n" for shape in CALLEE_SHAPES] + list(_corpus_texts())
    named = 0
    for text in texts:
        for call in _calls_of(text):
            name = _callee_name(call.func)
            if name is not None:
                named += 1
                assert name == ast.unparse(call.func), text[:80]
    assert named > 1000


def test_a_model_modules_callees_are_named_without_unparse(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifiers name the callees of a SQLAlchemy model module (``session.execute(...)
    .scalars().all()``) without ``ast.unparse`` (issue 18: 2,532 calls on the 1k many-findings
    tree); a callee with a string argument still goes to it."""
    import ast

    from pgconf_fix import python_calls

    unparsed: list[str] = []
    real = ast.unparse
    monkeypatch.setattr(ast, "unparse", lambda node: unparsed.append(real(node)) or real(node))
    text = (
        "def load(session, limit=5):\n"
        "    return session.execute(select(Model).limit(limit)).scalars().all()\n"
    )
    facts = python_calls._module_facts(text)
    assert [call.callee for call in facts.calls] == [
        "session.execute(select(Model).limit(limit)).scalars().all",
        "session.execute(select(Model).limit(limit)).scalars",
        "session.execute",
        "select(Model).limit",
        "select",
    ]
    assert unparsed == []
    facts = python_calls._module_facts("text('select 1').bindparams()\n")
    assert [call.callee for call in facts.calls] == ["text('select 1').bindparams", "text"]
    assert unparsed == ["text('select 1').bindparams"]


@functools.lru_cache(maxsize=1)
def _corpus_texts() -> tuple[str, ...]:
    """Texts of modules Python parses: this project's, its tests', the Python fixtures', a slice of the standard library."""
    import ast
    import sysconfig

    root = Path(__file__).resolve().parent.parent
    files = [*sorted((root / "pgconf_fix").rglob("*.py")), *sorted((root / "tests").glob("test_*.py"))[:40]]
    files += sorted(FIXTURES.rglob("*.py"))
    files += sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:60]
    texts = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            ast.parse(text)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        texts.append(text)
    return tuple(texts)


WALK_SHAPES = [
    "match x:\n    case None | True: pass\n    case {'k': 1, **rest}: pass\n    case P(a, b=c) as d: pass\n    case [1, *others]: pass\n",
    "async def f[T: int](a, /, b=1, *c, d: 'x' = f'{y!r:>{w}}', **e) -> None:\n    async with g() as h: await h\n",
    "class C[**P, *Ts](B, metaclass=M):\n    type X = list[int]\n    global q\n",
    "try:\n    import a.b as c\nexcept* E as err:\n    from . import d\nfinally:\n    del x[1:2:3]\n",
    "x = [i for i in range(3) if not i and -i or ~i]\nlambda *a, k=1: {**a, 'k': (yield k)}\n",
]


def test_the_verifiers_walk_meets_what_ast_walk_meets() -> None:
    """``_walk`` yields the nodes ``ast.walk`` yields, in its order, but contexts and
    operators, on the shapes above (whichever the running Python parses) and the corpus of
    ``test_callee_names_are_what_ast_unparse_writes``: the fields it leaves unread hold none."""
    import ast

    from pgconf_fix.python_calls import _walk

    skipped = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
    texts = list(_corpus_texts())
    for shape in WALK_SHAPES:
        try:
            ast.parse(shape)
        except SyntaxError:
            continue
        texts.append(shape)
    assert len(texts) > 200
    for text in texts:
        tree = ast.parse(text)
        expected = [node for node in ast.walk(tree) if not isinstance(node, skipped)]
        assert _walk(tree) == expected, text[:80]
