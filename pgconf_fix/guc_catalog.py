"""Which configuration parameters (GUCs) each PostgreSQL major accepts, and what values.

One catalog a major, generated from the real server and shipped as data:

- 10-18: ``pgconf_fix/data/guc/pg<major>.tsv``, written by ``scripts/generate_catalogs.py`` from the
  server's ``pg_settings`` (name, vartype, unit, min_val, max_val, context, enumvals), the names
  ``postgres --describe-config`` lists (flag ``described``) and the names hidden even from
  pg_settings (GUC_NO_SHOW_ALL: ``ssl_renegotiation_limit``, the aliases ``sort_mem`` and
  ``vacuum_mem``; flag ``hidden``, type unknown). FACTS.md, "Verified on real software".
- 9.x: ``pgconf_fix/data/guc/pg9.<minor>.tsv`` when present, from that release's sources (flag
  ``partial`` on the catalog: fewer columns are known).

Every other module asks here: the server view (unknown names, values), the SQL view, ``--live``,
and the rules whose bounds depend on the version.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import repeat

from pgconf_fix.guc_values import INT_MAX, INT_MIN, GucInt, GucValueError, parse_int
from pgconf_fix.versions import PgVersion

DATA_PACKAGE = "pgconf_fix.data"
DATA_DIR = "guc"
# Contexts in which a postgresql.conf line cannot set the parameter ("parameter cannot be changed").
FILE_REFUSED_CONTEXTS = frozenset({"internal"})


@dataclass(frozen=True, eq=False)
class Guc:
    """One parameter of one major, as ``pg_settings`` describes it.

    ``vartype`` is bool, integer, real, string or enum ("" for a hidden parameter, whose type the
    server does not show). ``unit`` is pg_settings' unit text (``ms``, ``s``, ``min``, ``B``,
    ``kB``, ``8kB``, ``MB``) or None; ``minimum``/``maximum`` are in that unit (None for
    non-numeric types). ``context`` is pg_settings' context (``internal`` cannot be set in a file).
    """

    name: str
    vartype: str
    unit: str | None
    minimum: float | None
    maximum: float | None
    context: str
    enum_values: tuple[str, ...]
    described: bool
    hidden: bool
    hidden_enum_values: tuple[str, ...] = ()  # spellings accepted but not listed; ("*",) = not probed

    def value_error(self, value: str, version: PgVersion) -> str | None:
        """Why the server of ``version`` refuses ``value`` for this parameter in a configuration file,
        or None when it accepts it or we cannot tell (strings, reals, hidden parameters, enums whose
        spellings were not probed). Integers as :func:`pgconf_fix.guc_values.parse_int`, booleans as
        guc.c's parse_bool, enums case-insensitively against the listed and the hidden spellings."""
        if self.vartype == "integer":
            meta = self.integer_meta(version)
            assert meta is not None
            try:
                parse_int(value, meta)
            except GucValueError as exc:
                return str(exc)
            return None
        if self.vartype == "bool":
            return None if parse_bool(value) is not None else f'"{value}" is not a Boolean (on, off, true, false, yes, no, 1, 0)'
        if self.vartype == "enum" and self.enum_values and "*" not in self.hidden_enum_values:
            accepted = {spelling.lower() for spelling in (*self.enum_values, *self.hidden_enum_values)}
            if value.lower() not in accepted:
                return f'"{value}" is not one of {", ".join(self.enum_values)}'
        return None

    def integer_meta(self, version: PgVersion) -> GucInt | None:
        """The unit and range :func:`pgconf_fix.guc_values.parse_int` checks, for an integer parameter."""
        if self.vartype != "integer":
            return None
        low = int(self.minimum) if self.minimum is not None else INT_MIN
        high = int(self.maximum) if self.maximum is not None else INT_MAX
        return GucInt(self.unit, low, high, syntax=version.major)


@dataclass(frozen=True, eq=False)
class MajorCatalog:
    """The parameters of one major (``version``), built from ``release`` (e.g. ``18.4``).

    ``text`` holds the catalog's rows, each a line whose tab-separated fields are named by the
    file's ``header``; ``rows`` maps each lower-case name to its line (the server compares names
    case-insensitively), built the first time it is asked for. Until then ``in`` and ``get``
    find a name's line in the lower-cased text (``lowered``: the rows' text lower-cased, with a
    line break before each row, when that keeps every offset, else None): a check of one
    ``postgresql.conf`` of no known version asks whether each of its names is in each of the 16
    majors, and building their ~5,000 rows was ~5 % of its instructions (issue 18). A row is
    split into its fields, and a :class:`Guc` built from them, the first time it is asked for.
    """

    version: PgVersion
    release: str
    header: tuple[str, ...]
    text: str
    partial: bool = False
    lowered: str | None = field(default=None, repr=False)
    _built: dict[str, Guc] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def rows(self) -> dict[str, str]:
        """Each row's line by its parameter's lower-case name (the last of a name's rows)."""
        if not self.text:
            return {}
        column = self.header.index("name")
        return {
            (line.partition("\t")[0] if column == 0 else line.split("\t", column + 1)[column]).lower(): line
            for line in self.text.splitlines()
        }

    def _line(self, key: str) -> str | None:
        """The row of the lower-case ``key``, or None."""
        if self.lowered is None or "rows" in self.__dict__ or "\t" in key or "\n" in key:
            return self.rows.get(key)
        at = self.lowered.rfind(f"\n{key}\t")
        return None if at == -1 else self.text[at : self.lowered.find("\n", at + 1) - 1]

    def get(self, name: str) -> Guc | None:
        key = name.lower()
        guc = self._built.get(key)
        if guc is None:
            line = self._line(key)
            if line is None:
                return None
            guc = self._built[key] = _guc(dict(zip(self.header, line.split("\t"), strict=True)))
        return guc

    @property
    def parameters(self) -> dict[str, Guc]:
        """Every parameter, by lower-case name."""
        return {key: guc for key in self.rows if (guc := self.get(key)) is not None}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._line(name.lower()) is not None

    def names(self) -> frozenset[str]:
        """Lower-case names."""
        return frozenset(self.rows)

    def spellings(self) -> dict[str, str]:
        """Each lower-case name mapped to the name as the server spells it."""
        column = self.header.index("name")
        return {key: line.split("\t", column + 1)[column] for key, line in self.rows.items()}


def parse_bool(value: str) -> bool | None:
    """guc.c parse_bool: a case-insensitive prefix of true/false/yes/no, "on", "of[f]", "1" or "0";
    None when the value is none of them."""
    lowered = value.lower()
    if not lowered:
        return None
    for word, meaning in (("true", True), ("false", False), ("yes", True), ("no", False)):
        if word.startswith(lowered):
            return meaning
    if lowered == "on":
        return True
    if lowered in ("of", "off"):
        return False
    if lowered in ("1", "0"):
        return lowered == "1"
    return None


def value_error(name: str, value: str, version: PgVersion | None) -> str | None:
    """Why a server refuses ``name = value`` (:meth:`Guc.value_error`): on ``version`` when it has a
    catalog; otherwise only when every major that has the parameter refuses it (the reason of the
    newest); None when some accept it or nobody can tell."""
    catalog = catalog_for(version)
    if catalog is not None and version is not None:
        guc = catalog.get(name)
        return guc.value_error(value, version) if guc is not None else None
    reason = None
    for each_version, each in _catalogs().items():
        guc = each.get(name)
        if guc is None:
            continue
        found = guc.value_error(value, each_version)
        if found is None:
            return None
        reason = found
    return reason


def _number(text: str) -> float | None:
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def _guc(row: dict[str, str]) -> Guc:
    flags = set(row["flags"].split(",")) - {""}
    return Guc(
        name=row["name"],
        vartype=row["vartype"],
        unit=row["unit"] or None,
        minimum=_number(row["min"]),
        maximum=_number(row["max"]),
        context=row["context"],
        enum_values=tuple(value for value in row["enumvals"].split(",") if value),
        described="described" in flags,
        hidden="hidden" in flags,
        hidden_enum_values=tuple(value for value in row.get("hidden_enumvals", "").split(",") if value),
    )


def _parse(text: str, file_name: str) -> MajorCatalog:
    """One catalog file: ``# PostgreSQL <release>:`` and other comment lines, a header line, then
    one tab-separated row a parameter (lines as ``str.splitlines`` reads them). Raises ValueError
    for a file name that names no version and for a row whose field count differs from the
    header's (its tabs counted by ``map`` over the rows). The rows are not cut into names until
    ``MajorCatalog.rows`` is asked for (issue 18)."""
    if not text.isascii() or any(char in text for char in _OTHER_BREAKS):
        text = "\n".join(text.splitlines())
    release = ""
    header: tuple[str, ...] = ()
    start = 0
    while start < len(text):  # the comments and the header, up to the first row
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        line = text[start:end]
        start = end + 1
        if line.startswith("#"):
            if not release and line.startswith("# PostgreSQL "):
                release = line.split()[2].rstrip(":")
            continue
        header = tuple(line.split("\t"))
        break
    body = text[start:] if header else ""  # the rows, each ended by a line break
    if body and not body.endswith("\n"):
        body += "\n"
    if body.startswith("#") or "\n#" in body:
        body = "".join(line + "\n" for line in body.split("\n")[:-1] if not line.startswith("#"))
    if header:
        header.index("name")  # ValueError without one
        tabs = len(header) - 1
        lines = body.split("\n")[:-1]
        counts = set(map(str.count, lines, repeat("\t")))
        if counts - {tabs}:
            line = next(line for line in lines if line.count("\t") != tabs)
            raise ValueError(f"{file_name}: {line.count(chr(9)) + 1} fields where the header has {len(header)}: {line!r}")
    stem = file_name.removeprefix("pg").removesuffix(".tsv")
    version = PgVersion.parse(stem)
    if version is None:
        raise ValueError(f"{file_name}: not a catalog file name")
    lowered = "\n" + body.lower() if body.isascii() and header[:1] == ("name",) else None
    return MajorCatalog(version, release or stem, header, body, partial=version.major < 10, lowered=lowered)


# The ASCII line breaks str.splitlines knows besides LF.
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e"


@lru_cache(maxsize=1)
def _catalogs() -> dict[PgVersion, MajorCatalog]:
    found: dict[PgVersion, MajorCatalog] = {}
    for name, text in _catalog_texts():
        catalog = _parse(text, name)
        found[catalog.version] = catalog
    return dict(sorted(found.items()))


def _catalog_texts() -> list[tuple[str, str]]:
    """(file name, text) of each ``pg*.tsv`` of the catalogs' folder: read from the package's
    directory when it is one, else through importlib.resources (which, with the zipfile and
    tempfile modules it imports, cost a one-file run ~6 ms: issue 18)."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", DATA_DIR)
    if os.path.isdir(folder):
        texts = []
        for name in os.listdir(folder):
            if name.startswith("pg") and name.endswith(".tsv"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    texts.append((name, handle.read()))
        return texts
    from importlib import resources

    entries = resources.files(DATA_PACKAGE).joinpath(DATA_DIR).iterdir()
    return [(entry.name, entry.read_text(encoding="utf-8")) for entry in entries
            if entry.name.startswith("pg") and entry.name.endswith(".tsv")]


def supported_versions() -> tuple[PgVersion, ...]:
    """The majors with a catalog, oldest first."""
    return tuple(_catalogs())


def catalog_for(version: PgVersion | None) -> MajorCatalog | None:
    """The catalog of ``version``'s major, or None when the version is unknown or has no catalog."""
    if version is None:
        return None
    return _catalogs().get(version)


def versions_with(name: str) -> tuple[PgVersion, ...]:
    """The majors whose server accepts the parameter ``name`` (any case), oldest first."""
    return tuple(version for version, catalog in _catalogs().items() if name in catalog)


@lru_cache(maxsize=1)
def all_names() -> frozenset[str]:
    """Every lower-case parameter name some supported major accepts."""
    return frozenset().union(*(catalog.names() for catalog in _catalogs().values()))


def known_anywhere(name: str) -> bool:
    return name.lower() in all_names()


def did_you_mean(name: str, version: PgVersion | None = None) -> str | None:
    """The parameter ``name`` was probably meant to be: a close name of ``version``'s catalog
    (or of any major when the version is unknown or has no catalog), as the server spells it."""
    catalog = catalog_for(version)
    if catalog is not None:
        spelled = catalog.spellings()
    else:
        spelled = {}
        for each in _catalogs().values():
            spelled.update(each.spellings())
    import difflib

    close = difflib.get_close_matches(name.lower(), spelled, n=1, cutoff=0.9)
    return spelled[close[0]] if close else None


def span(versions: Iterable[PgVersion]) -> str:
    """``PostgreSQL 9.0-9.2``, ``PostgreSQL 12-18``, ``PostgreSQL 10, 12-18``: consecutive supported
    majors joined into ranges."""
    order = supported_versions()
    chosen = sorted(set(versions))
    if not chosen:
        return "no supported PostgreSQL release"
    runs: list[list[PgVersion]] = []
    for version in chosen:
        if runs and version in order and runs[-1][-1] in order and order.index(version) == order.index(runs[-1][-1]) + 1:
            runs[-1].append(version)
        else:
            runs.append([version])
    parts = [str(run[0]) if len(run) == 1 else f"{run[0]}\u2013{run[-1]}" for run in runs]
    return "PostgreSQL " + ", ".join(parts)


def missing_from(name: str) -> tuple[PgVersion, ...]:
    """The supported majors that refuse ``name``, oldest first."""
    return tuple(version for version, catalog in _catalogs().items() if name not in catalog)


def integer_meta(name: str, version: PgVersion | None) -> GucInt | None:
    """How to read an integer parameter's value on ``version`` (unit, range, the major's syntax).

    With no version (or no catalog for it), the meta every major that has the parameter agrees on,
    read with the newest syntax; None when the majors disagree, when no major has the name or it
    is not an integer.
    """
    catalog = catalog_for(version)
    if catalog is not None and version is not None:
        guc = catalog.get(name)
        return guc.integer_meta(version) if guc is not None else None
    metas = set()
    for each_version, each in _catalogs().items():
        guc = each.get(name)
        if guc is not None:
            meta = guc.integer_meta(each_version)  # None for a hidden one: its type is not known
            if meta is None:
                return None
            metas.add((meta.unit, meta.minimum, meta.maximum))
    if len(metas) != 1:
        return None
    unit, low, high = metas.pop()
    return GucInt(unit, low, high)


# The integer parameters the rules read, with the unit and range every major that has them agrees
# on: what a value means when the version is unknown. tcp_user_timeout exists from 12 on,
# idle_session_timeout and client_connection_check_interval from 14 on (the catalogs say so).
INTEGER_PARAMETERS = {
    "tcp_keepalives_idle": GucInt("s"),
    "tcp_keepalives_interval": GucInt("s"),
    "tcp_keepalives_count": GucInt(None),
    "tcp_user_timeout": GucInt("ms"),
    "statement_timeout": GucInt("ms"),
    "idle_in_transaction_session_timeout": GucInt("ms"),
    "idle_session_timeout": GucInt("ms"),
    "client_connection_check_interval": GucInt("ms"),
}
# ssl_renegotiation_limit took kB before 9.5; from 9.5 on it takes a plain 0 and nothing else.
# PGF104 owns every judgement of it, with a version-aware message.
RENEGOTIATION_BEFORE_9_5 = GucInt("kB")


def value_meta(name: str, version: PgVersion | None) -> GucInt | None:
    """How a rule reads the integer ``name`` on ``version``: the catalog's unit and range when the
    version has a catalog, else :data:`INTEGER_PARAMETERS`' entry, else what all majors agree on."""
    if catalog_for(version) is not None:
        return integer_meta(name, version)
    return INTEGER_PARAMETERS.get(name) or integer_meta(name, None)


def first_version_where(name: str, holds: Callable[[Guc], bool]) -> PgVersion | None:
    """The oldest major whose catalog has ``name`` with ``holds(guc)`` true, or None.

    PGF104 asks it when ssl_renegotiation_limit started to accept only 0 (its range became 0..0:
    9.5, from the 9.x catalogs).
    """
    for version, catalog in _catalogs().items():
        guc = catalog.get(name)
        if guc is not None and holds(guc):
            return version
    return None


def has_parameter(name: str, version: PgVersion | None) -> bool | None:
    """Whether ``version``'s server has the parameter; None when the version (or its catalog) is unknown."""
    catalog = catalog_for(version)
    return None if catalog is None else name in catalog
