"""A settings value read from the environment with a default written beside it: what the
code gets where the variable is not set. Django settings modules write ``CONN_MAX_AGE`` and
``CONN_HEALTH_CHECKS`` this way (cookiecutter-django's ``production.py``:
``DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)``).

Forms read, each checked with the library itself (django-environ 0.14.0, python-decouple 3.8):

- django-environ: ``env.int(NAME, default=D)`` / ``env.int(NAME, D)``, likewise ``.float``
  and ``.bool``, on a name the module imports ``environ`` for or calls ``env``. The default
  is returned as written, not cast (``env.int("X", default="60")`` is the string ``"60"``),
  so only a number, a boolean or None is read;
- ``int(os.environ.get(NAME, D))``, ``int(os.getenv(NAME, D))`` (and ``float``, and
  ``environ.get`` after ``from os import environ``): the default is cast with the call;
- python-decouple: ``config(NAME, default=D, cast=int)`` (``float``, ``bool``) after
  ``from decouple import config``: decouple casts the default too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import UNKNOWN, PythonDocument, literal
from pgconf_fix.findings import Edit

ENVIRON_METHODS = {"int": int, "float": float, "bool": bool}
CASTS = {"int": int, "float": float}
_IMPORTS_ENVIRON = re.compile(r"^[ \t]*(?:import[ \t]+environ\b|from[ \t]+environ\b)", re.MULTILINE)
_IMPORTS_DECOUPLE = re.compile(r"^[ \t]*from[ \t]+decouple[ \t]+import\b[^\n]*\bconfig\b", re.MULTILINE)
_OS_GETTERS = ("os.environ.get", "os.getenv", "environ.get", "getenv")


@dataclass(frozen=True, eq=False)
class EnvironmentDefault:
    """``variable``: the environment variable; ``value``: what the expression gives where it is
    not set (an int, float, bool or None); ``default``: the default's expression (where a fix
    writes); ``call``: the call as written up to its arguments (``env.int``), for messages."""

    variable: str
    value: object
    default: syntax.BaseExpression
    call: str

    def note(self) -> str:
        """For a message: the condition the value holds under."""
        return f"{self.call}'s default, unless {self.variable} is set in the environment"

    def written_in(self, document: PythonDocument, node: syntax.Node) -> bool:
        """Whether the call is written inside ``node`` (the setting's own value), not reached
        through a name another setting may read too: only then does a fix change the default."""
        start, end = document.span(node)
        default_start, default_end = document.span(self.default)
        return start <= default_start and default_end <= end

    def edit(self, document: PythonDocument, value: str) -> Edit:
        """The edit that makes the default ``value`` (Python code: ``280``, ``True``), written
        in the default's own quotes where it is a string (``"3600"`` -> ``"280"``, which the
        call casts as it cast the old one); the environment still overrides it."""
        start, end = document.span(self.default)
        if isinstance(literal(self.default), str):
            code = document.text[start:end]
            quote = code[-1]
            value = f"{quote}{value}{quote}"
        return Edit(document.source, start, end, value)


def environment_default(document: PythonDocument, node: syntax.BaseExpression | None) -> EnvironmentDefault | None:
    """The default ``node`` reads the environment with (module docstring), or None when it is
    no such call or the default is not a value this module can state."""
    if not isinstance(node, syntax.Call):
        return None
    called = document.code(node.func)
    if called in CASTS and len(node.args) == 1 and not node.args[0].star and node.args[0].keyword is None:
        inner = node.args[0].value
        if isinstance(inner, syntax.Call) and document.code(inner.func) in _OS_GETTERS:
            return _cast_default(document, inner, CASTS[called], document.code(inner.func))
        return None
    if called == "config" and _IMPORTS_DECOUPLE.search(document.text):
        cast = document.positional(node, 99, "cast")
        cast_name = document.code(cast) if cast is not None else ""
        if cast_name in ("int", "float", "bool"):
            return _decouple_default(document, node, cast_name)
        return None
    if not isinstance(node.func, syntax.Attribute) or node.func.attr.value not in ENVIRON_METHODS:
        return None
    receiver = document.code(node.func.value)
    if receiver != "env" and not _IMPORTS_ENVIRON.search(document.text):
        return None
    variable = literal(document.positional(node, 0, "var"))
    default = document.positional(node, 1, "default")
    value = literal(default)
    if not isinstance(variable, str) or default is None or value is UNKNOWN:
        return None
    if value is not None and not isinstance(value, (int, float)):
        return None  # returned uncast: a string default stays a string
    return EnvironmentDefault(variable, value, default, called)


def _cast_default(document: PythonDocument, getter: syntax.Call, cast: type, call: str) -> EnvironmentDefault | None:
    variable = literal(document.positional(getter, 0, "key"))
    default = document.positional(getter, 1, "default")
    value = literal(default)
    if not isinstance(variable, str) or default is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        return EnvironmentDefault(variable, cast(value), default, call)
    except (ValueError, OverflowError):
        return None


def _decouple_default(document: PythonDocument, node: syntax.Call, cast_name: str) -> EnvironmentDefault | None:
    variable = literal(document.positional(node, 0, "option"))
    default = document.positional(node, 99, "default")
    value = literal(default)
    if not isinstance(variable, str) or default is None or value is UNKNOWN:
        return None
    if cast_name == "bool":
        if not isinstance(value, bool):
            return None  # decouple reads strings as booleans by its own table: not restated here
        return EnvironmentDefault(variable, value, default, "decouple config")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        return EnvironmentDefault(variable, CASTS[cast_name](value), default, "decouple config")
    except (ValueError, OverflowError):
        return None
