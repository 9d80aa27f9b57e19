"""A Python module that is a Jinja template (cookiecutter's and copier's project templates) is
not a parse error: Python never reads it as written, only what Jinja renders from it. It is
PGF004 (not checked), naming the tag's line; what Jinja renders is checked as any module.

Jinja 2 (the engine cookiecutter and copier render with) renders the fixture here, and the
running Python compiles the result; the same Python refuses the template as it is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

ENGINE = 'engine = create_engine("postgresql://app@db.example.com/app")\n'
CASE = Path(__file__).parent / "fixtures" / "python" / "jinja-template-not-checked" / "before"


def _findings(tree: Path) -> list[tuple[str, int]]:
    outcome = run_cli(["--format", "json", "--no-cache", "--select", "PGF0,PGF5", "."], tree)
    return [(finding["code"], finding["line"]) for finding in json.loads(outcome.stdout)]


def test_a_jinja_template_is_not_checked_and_its_rendering_is(tmp_path: Path) -> None:
    jinja2 = pytest.importorskip("jinja2")
    template = (CASE / "settings.py").read_text()
    with pytest.raises(SyntaxError):
        compile(template, "settings.py", "exec")
    assert _findings(CASE) == [("PGF004", 5)]
    for context in ({"db_host": "db.example.com", "conn_max_age": 60}, {"db_host": "db.example.com", "conn_max_age": 0}):
        rendered = jinja2.Template(template, keep_trailing_newline=True).render(**context)
        compile(rendered, "settings.py", "exec")
        tree = tmp_path / str(context["conn_max_age"])
        tree.mkdir()
        (tree / "settings.py").write_text(rendered)
        expected = [("PGF503", 5)] if context["conn_max_age"] else []
        assert _findings(tree) == expected, rendered


@pytest.mark.parametrize("tag", ["{% if cookiecutter.use_celery == 'y' %}", "{%- endif %}", "  {# a note #}"])
def test_a_tag_at_the_start_of_a_line_makes_a_template(tag: str, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(f"from sqlalchemy import create_engine\n{tag}\n{ENGINE}")
    assert _findings(tmp_path) == [("PGF004", 2)]


def test_a_syntax_error_beside_no_tag_is_still_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(f'from sqlalchemy import create_engine\nlabel = "{{% not at the start %}}"\nx = {{1,,}}\n{ENGINE}')
    assert _findings(tmp_path) == [("PGF001", 3)]
