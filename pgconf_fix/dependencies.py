"""What a Python project pins: the library versions that decide which settings exist.

A fact about Flask-SQLAlchemy or Django holds for some versions only (FACTS.md: Flask-SQLAlchemy
before 2.4 has no ``SQLALCHEMY_ENGINE_OPTIONS`` and reads ``SQLALCHEMY_POOL_*``, 3.0 ignores
those keys; Django before 4.1 has no ``CONN_HEALTH_CHECKS``). The versions come from the
project's own files, found from a Python file's directory up to the repository root (the first
directory holding ``.git``):

- lock files, exact versions: ``uv.lock`` and ``poetry.lock`` (``[[package]]`` name/version),
  ``Pipfile.lock`` (JSON, ``default`` and ``develop``);
- manifests, ranges: ``requirements*.txt`` (and ``requirements/*.txt``), ``pyproject.toml``
  (PEP 621 ``[project] dependencies`` and optional dependencies, Poetry
  ``[tool.poetry.*dependencies]``).

A lock file nearer the file wins over one further up; any lock wins over a manifest range.
Versions and specifiers are read with ``packaging`` (PEP 440), TOML with ``tomllib``.
Unreadable files are skipped: a pin we cannot read is an unknown version, never an error.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # packaging (~60 ms) and tomllib are imported where a manifest is read
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

from pgconf_fix.workspace import is_file

LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
# Python files looked at when searching a project for an import; beyond this, the answer is "unknown".
SEARCH_LIMIT = 5000
SKIPPED_DIRECTORIES = {
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", "site-packages",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".direnv", "build", "dist",
}
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, eq=False)
class Pin:
    """The versions of one library a project allows, and where that was read (a path)."""

    name: str
    specifier: SpecifierSet
    origin: str
    exact: Version | None = None

    def describe(self) -> str:
        shown = f"=={self.exact}" if self.exact is not None else (str(self.specifier) or " (any version)")
        try:
            where = os.path.relpath(self.origin)
        except ValueError:
            where = self.origin
        return f"{self.name}{shown} in {where}"

    def below(self, version: str) -> bool | None:
        """True when every allowed version is below ``version``, False when none is, else None."""
        from packaging.version import Version

        limit = Version(version)
        if self.exact is not None:
            return self.exact < limit
        low, high, high_inclusive = _bounds(self.specifier)
        if high is not None and (high < limit or high == limit and not high_inclusive):
            return True
        if low is not None and low >= limit:
            return False
        return None


def _bounds(specifier: SpecifierSet) -> tuple[Version | None, Version | None, bool]:
    """The lowest and highest versions a specifier set allows (None: unbounded)."""
    from packaging.version import InvalidVersion, Version

    low: Version | None = None
    high: Version | None = None
    inclusive = True
    for spec in specifier:
        text = spec.version.rstrip(".*")
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        operator = spec.operator
        if operator in ("==", "===") and not spec.version.endswith(".*"):
            low = max(low, version) if low is not None else version
            if high is None or version < high:
                high, inclusive = version, True
        elif operator == "==":  # a prefix such as 2.3.*: from 2.3 to below 2.4
            low = max(low, version) if low is not None else version
            upper = _next_release(version, len(version.release))
            if high is None or upper <= high:
                high, inclusive = upper, False
        elif operator in (">=", ">"):
            low = max(low, version) if low is not None else version
        elif operator in ("<", "<="):
            if high is None or version < high or version == high and operator == "<":
                high, inclusive = version, operator == "<="
        elif operator == "~=":
            low = max(low, version) if low is not None else version
            upper = _next_release(version, max(1, len(version.release) - 1))
            if high is None or upper <= high:
                high, inclusive = upper, False
    return low, high, inclusive


def _next_release(version: Version, depth: int) -> Version:
    """2.3 at depth 2 -> 2.4; 2.3.1 at depth 2 -> 2.4; 1.2 at depth 1 -> 2."""
    from packaging.version import Version

    parts = list(version.release[:depth]) + [0] * max(0, depth - len(version.release))
    parts[-1] += 1
    return Version(".".join(str(part) for part in parts))


@dataclass(eq=False)
class Project:
    """The pins and the root of the project a file belongs to (root None: no project around it)."""

    root: Path | None
    pins: dict[str, Pin] = field(default_factory=dict)
    manifests: list[Path] = field(default_factory=list)

    def pin(self, name: str) -> Pin | None:
        if not self.pins:
            return None
        from packaging.utils import canonicalize_name

        return self.pins.get(canonicalize_name(name))

    @property
    def is_project(self) -> bool:
        """Whether the file sits in a repository or beside manifests (else it was handed over alone)."""
        return self.root is not None or bool(self.manifests)

    @property
    def search_root(self) -> Path | None:
        """The repository root, else the outermost directory holding a manifest."""
        if self.root is not None:
            return self.root
        return min((path.parent for path in self.manifests), key=lambda path: len(path.parts), default=None)

    def code_mentions(self, words: tuple[bytes, ...]) -> bool | None:
        """Whether some Python file of the project contains one of ``words`` (None: too many to look)."""
        root = self.search_root
        if root is None:
            return False
        return _code_mentions(str(root), words)


def code_mentions_under(directory: Path, words: tuple[bytes, ...]) -> bool | None:
    """Whether a Python file under ``directory`` holds one of ``words`` in its first
    HEAD_BYTES bytes; None when there are more than SEARCH_LIMIT files to look at."""
    return _code_mentions(str(directory), words)


@lru_cache(maxsize=256)
def _code_mentions(root: str, words: tuple[bytes, ...]) -> bool | None:
    seen = 0
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in SKIPPED_DIRECTORIES]
        for name in files:
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > SEARCH_LIMIT:
                return None
            try:
                with open(os.path.join(directory, name), "rb") as stream:
                    data = stream.read(HEAD_BYTES)  # imports and app setup sit at the top
            except OSError:
                continue
            if any(word in data for word in words):
                return True
    return False


def project_of(path: Path) -> Project:
    """The project around ``path`` (a file): its pins, read once per directory."""
    return _project_of_directory(str(Path(os.path.abspath(path)).parent))


@lru_cache(maxsize=256)
def _project_of_directory(directory: str) -> Project:
    here = Path(directory)
    chain = [here, *here.parents]
    root = next((candidate for candidate in chain if (candidate / ".git").exists()), None)
    if root is not None:
        chain = chain[: chain.index(root) + 1]
    project = Project(root)
    locked: dict[str, Pin] = {}
    ranges: dict[str, Pin] = {}
    # Nearest first: a pin nearer the file is kept over one further up.
    for candidate in chain:
        # Listed first: a lock file or manifest looked for in a listed directory is no input
        # of its own for the result cache (pgconf_fix.cache).
        requirements = _requirement_files(candidate)
        for name in LOCK_FILES:
            path = candidate / name
            if is_file(path):  # an input even while absent (pgconf_fix.cache)
                project.manifests.append(path)
                for pin in _read_lock(path):
                    locked.setdefault(pin.name, pin)
        for path in requirements:
            project.manifests.append(path)
            for pin in _read_requirements(path):
                ranges.setdefault(pin.name, pin)
        for name in MANIFESTS:
            path = candidate / name
            if is_file(path):  # an input even while absent (pgconf_fix.cache)
                project.manifests.append(path)
                if name == "pyproject.toml":
                    for pin in _read_pyproject(path):
                        ranges.setdefault(pin.name, pin)
    project.pins = {**ranges, **locked}
    return project


def is_pins_file(path: Path) -> bool:
    """Whether ``path`` is one of the files the project's pins are read from (a lock file, a
    manifest, ``requirements*.txt`` or ``requirements/*.txt``): read for the versions other
    files are judged by, whether or not a reader checks it too."""
    name = path.name
    if name in LOCK_FILES or name in MANIFESTS:
        return True
    return name.endswith(".txt") and (name.startswith("requirements") or path.parent.name == "requirements")


def _requirement_files(directory: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found = [directory / name for name in names if name.startswith("requirements") and name.endswith(".txt")]
    nested = directory / "requirements"
    if nested.is_dir():
        try:
            found += [nested / name for name in sorted(os.listdir(nested)) if name.endswith(".txt")]
        except OSError:
            pass
    return [path for path in found if path.is_file()]


def _text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _pin_from_requirement(line: str, origin: str) -> Pin | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    name = canonicalize_name(requirement.name)
    exact = _exact(requirement.specifier)
    return Pin(name, requirement.specifier, origin, exact)


def _exact(specifier: SpecifierSet) -> Version | None:
    from packaging.version import InvalidVersion, Version

    specs = list(specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        try:
            return Version(specs[0].version)
        except InvalidVersion:
            return None
    return None


def _read_requirements(path: Path) -> list[Pin]:
    text = _text(path)
    if text is None:
        return []
    pins = []
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-"):
            continue  # options, -r includes, -e editable checkouts
        pin = _pin_from_requirement(line.split(" --", 1)[0], str(path))
        if pin is not None:
            pins.append(pin)
    return pins


def _read_pyproject(path: Path) -> list[Pin]:
    import tomllib

    from packaging.utils import canonicalize_name

    text = _text(path)
    if text is None:
        return []
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError):  # TOMLDecodeError, or an integer past 4,300 digits
        return []
    pins: list[Pin] = []
    project = data.get("project", {})
    if isinstance(project, dict):
        lines = list(project.get("dependencies", []) or [])
        for extra in (project.get("optional-dependencies", {}) or {}).values():
            lines.extend(extra if isinstance(extra, list) else [])
        for line in lines:
            if isinstance(line, str):
                pin = _pin_from_requirement(line, str(path))
                if pin is not None:
                    pins.append(pin)
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
        for group in (poetry.get("group", {}) or {}).values():
            if isinstance(group, dict):
                tables.append(group.get("dependencies", {}))
        for table in tables:
            if not isinstance(table, dict):
                continue
            for name, constraint in table.items():
                if isinstance(constraint, dict):
                    constraint = constraint.get("version", "*")
                if not isinstance(constraint, str) or canonicalize_name(name) == "python":
                    continue
                specifier = _poetry_specifier(constraint)
                if specifier is not None:
                    pins.append(Pin(canonicalize_name(name), specifier, str(path), _exact(specifier)))
    return pins


def _poetry_specifier(constraint: str) -> SpecifierSet | None:
    """Poetry's ``^2.3``, ``~2.3``, ``2.3.2``, ``*`` and PEP 440 ranges as a SpecifierSet (None: ``||``)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    constraint = constraint.strip()
    if "||" in constraint or "|" in constraint:
        return None
    parts = []
    for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint):
        piece = piece.strip()
        if not piece or piece == "*":
            continue
        try:
            if piece.startswith("^"):
                version = Version(piece[1:])
                release = list(version.release)
                depth = next((i for i, part in enumerate(release) if part != 0), len(release) - 1) + 1
                parts += [f">={version}", f"<{_next_release(version, depth)}"]
            elif piece.startswith("~") and not piece.startswith("~="):
                version = Version(piece[1:])
                depth = 2 if len(version.release) >= 2 else 1
                parts += [f">={version}", f"<{_next_release(version, depth)}"]
            elif piece[0].isdigit():
                parts.append(f"=={piece}")
            else:
                parts.append(piece)
        except InvalidVersion:
            return None
    try:
        return SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return None


def _read_lock(path: Path) -> list[Pin]:
    import tomllib

    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    text = _text(path)
    if text is None:
        return []
    entries: list[tuple[str, str]] = []
    if path.name == "Pipfile.lock":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested past the recursion limit
            return []
        for section in ("default", "develop"):
            packages = data.get(section, {}) if isinstance(data, dict) else {}
            for name, info in (packages if isinstance(packages, dict) else {}).items():
                version = info.get("version", "") if isinstance(info, dict) else ""
                if isinstance(version, str) and version.startswith("=="):
                    entries.append((name, version[2:]))
    else:
        try:
            data = tomllib.loads(text)
        except (ValueError, RecursionError):  # TOMLDecodeError, an integer past 4,300 digits, deep nesting
            return []
        for package in data.get("package", []) or []:
            if isinstance(package, dict) and isinstance(package.get("name"), str):
                version = package.get("version")
                if isinstance(version, str):
                    entries.append((package["name"], version))
    pins = []
    for name, version in entries:
        try:
            exact = Version(version)
        except InvalidVersion:
            continue
        pins.append(Pin(canonicalize_name(name), SpecifierSet(f"=={exact}"), str(path), exact))
    return pins
