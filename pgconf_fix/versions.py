"""PostgreSQL major versions, and where a repository says which one it runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_VERSION = re.compile(r"^\s*(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$")
_PATH_VERSION = re.compile(r"(?:^|/)postgresql/(\d+(?:\.\d+)?)/")


@dataclass(frozen=True, order=True)
class PgVersion:
    """A major version: (9, 4) before PostgreSQL 10, (13, 0) from 10 on."""

    major: int
    minor: int = 0

    @classmethod
    def parse(cls, text: str) -> PgVersion | None:
        match = _VERSION.match(str(text))
        if not match:
            return None
        major = int(match.group(1))
        minor = int(match.group(2) or 0)
        if major >= 10:
            minor = 0
        elif major < 7:
            return None
        return cls(major, minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" if self.major < 10 else str(self.major)


def version_near(conf_path: Path) -> tuple[PgVersion, str] | None:
    """The version a data directory or a Debian-style path gives, with where it came from."""
    marker = conf_path.parent / "PG_VERSION"
    try:
        version = PgVersion.parse(marker.read_text(encoding="ascii", errors="replace"))
    except OSError:
        version = None
    if version:
        return version, "PG_VERSION"
    match = _PATH_VERSION.search(conf_path.resolve().as_posix())
    if match:
        parsed = PgVersion.parse(match.group(1))
        if parsed:
            return parsed, "the path"
    return None
