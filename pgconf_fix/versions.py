"""PostgreSQL major versions, and where a repository says which one it runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_VERSION = re.compile(r"^\s*(\d{1,6})(?:\.(\d{1,6}))?(?:\.\d{1,6})?\s*$")  # no release has more digits
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


def given_version(text: str) -> PgVersion | None:
    """A version a user gives (``--pg-version``, the ``pg-version`` key): as ``PgVersion.parse``,
    but None for a series before 10 written without its minor ("9"), which parse would take as
    9.0: 9.0-9.4 and 9.5-9.6 differ in what they accept (ssl_renegotiation_limit, FACTS.md)."""
    version = PgVersion.parse(text)
    if version is not None and version.major < 10 and "." not in text:
        return None
    return version


@dataclass(frozen=True, eq=False)
class Major:
    """The PostgreSQL version a configuration is for, and where that was read (shown in
    messages: "the image postgres:16", "spec.postgresql.version", "the configuration")."""

    version: PgVersion
    origin: str

    @staticmethod
    def of(version: PgVersion | None, origin: str) -> Major | None:
        """``Major(version, origin)``, or None when no version was found."""
        return Major(version, origin) if version is not None else None


def version_near(conf_path: Path, boundary: Path | None = None) -> tuple[PgVersion, str] | None:
    """The version a data directory or a Debian-style path gives, with where it came from.

    In order: ``PG_VERSION`` beside the file, a path like ``/etc/postgresql/13/main/``, a Docker
    image tag in the same tree (:func:`version_from_tree`, which looks no higher than ``boundary``).
    """
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
    return version_from_tree(conf_path, boundary)


# RDS/Aurora parameter group families name the major: postgres16, postgres9.6, aurora-postgresql15.
_FAMILY = r"(?i)^\s*(?:aurora-)?postgres(?:ql)?(\d+(?:\.\d+)?)\s*$"
# Images whose tag starts with the server's version: postgres:16-alpine, postgis/postgis:15-3.4.
_VERSION_TAGGED_IMAGES = frozenset(
    {"postgres", "postgresql", "postgis", "postgresql-repmgr", "postgres-ha", "crunchy-postgres", "postgres-alpine"}
)
_TAG_VERSION = r"^(\d+)(?:\.(\d+))?(?:[.\-_][\w.\-]*)?$"
# Images that name the major inside the tag: timescale/timescaledb:2.14.2-pg16, pgvector/pgvector:pg17.
_TAG_PG = r"(?:^|[.\-_])pg(\d+(?:\.\d)?)(?:$|[.\-_])"
_FROM = r"(?im)^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)"
_COMPOSE_IMAGE = r"(?m)^\s*-?\s*image\s*:\s*[\"']?(?P<image>[^\s\"'#]+)"
# The five expressions above are compiled when first used (re's own cache keeps them): a check
# of a postgresql.conf without Dockerfiles or Terraform uses none (issue 18).
TREE_FILE_PATTERNS = ("Dockerfile", "*.Dockerfile", "Dockerfile.*", "*compose*.yml", "*compose*.yaml")
MAX_TREE_LEVELS = 6  # directories looked at above a postgresql.conf, the first one included


def version_from_family(family: str) -> PgVersion | None:
    """The major an RDS/Aurora parameter group ``family`` names (``postgres16`` -> 16,
    ``aurora-postgresql15`` -> 15, ``postgres9.6`` -> 9.6), or None for another engine.
    Source: FACTS.md (Middleboxes and providers: the family names the major version)."""
    match = re.match(_FAMILY, family)
    return PgVersion.parse(match.group(1)) if match else None


def version_from_image(reference: str) -> PgVersion | None:
    """The PostgreSQL major a container image reference runs, from its tag, or None.

    ``postgres:16``, ``postgres:16.4-alpine``, ``docker.io/library/postgres:9.6``,
    ``postgis/postgis:15-3.4``, ``bitnami/postgresql:14``, ``timescale/timescaledb:2.14.2-pg16``,
    ``pgvector/pgvector:pg17``. No tag, ``latest`` or a variable (``postgres:${PG}``) gives None.
    """
    reference = reference.strip().strip("\"'")
    reference = reference.split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag or "$" in reference:
        return None
    last = name.rsplit("/", 1)[-1].lower()
    if last in _VERSION_TAGGED_IMAGES:
        match = re.match(_TAG_VERSION, tag)
        if match:
            # PgVersion.parse takes six digits at most: a longer tag is no version (and int() of
            # past 4,300 digits raises ValueError).
            small = len(match.group(1)) <= 6 and int(match.group(1)) < 10
            return PgVersion.parse(f"{match.group(1)}.{match.group(2) or 0}" if small else match.group(1))
    pg = re.search(_TAG_PG, tag.lower())
    if pg and ("postgres" in last or last in {"timescaledb", "timescaledb-ha", "pgvector", "pgvecto-rs", "postgis"}):
        return PgVersion.parse(pg.group(1))
    return None


def images_in(text: str, file_name: str) -> list[str]:
    """Image references a Dockerfile (``FROM``) or a compose file (``image:``) names. A compose
    file's are its services' as compose reads them, merge keys included
    (documents.compose_services.service_images); lines that look like ``image:`` where YAML
    cannot read the file or it has no ``services:``."""
    if file_name.endswith((".yml", ".yaml")):
        from pgconf_fix.documents.compose_services import service_images

        found = service_images(text)
        if found is not None:
            return found
    pattern = _COMPOSE_IMAGE if file_name.endswith((".yml", ".yaml")) else _FROM
    return [match.group("image") for match in re.finditer(pattern, text)]


def version_from_tree(conf_path: Path, boundary: Path | None = None) -> tuple[PgVersion, str] | None:
    """The major a Docker image tag gives, in the directory of ``conf_path`` or a parent.

    The closest directory (up to :data:`MAX_TREE_LEVELS`, stopping at a repository root holding
    ``.git`` and at ``boundary``, the directory the run started in, when the file is inside it)
    whose Dockerfiles or compose files name a PostgreSQL image decides; when its files name
    different majors the answer is None (which container reads this file is not known).
    """
    directory = conf_path.resolve().parent
    limit = boundary.resolve() if boundary is not None else None
    if limit is not None and limit != directory and limit not in directory.parents:
        limit = directory  # a file outside the run's directory: only its own directory counts
    for _ in range(MAX_TREE_LEVELS):
        found = _versions_in_directory(directory)
        if found:
            if len({version for version, _ in found}) == 1:
                version, where = found[0]
                return version, where
            return None
        if (directory / ".git").exists() or directory.parent == directory or directory == limit:
            return None
        directory = directory.parent
    return None


def _versions_in_directory(directory: Path) -> list[tuple[PgVersion, str]]:
    found: list[tuple[PgVersion, str]] = []
    seen: set[Path] = set()
    for pattern in TREE_FILE_PATTERNS:
        for path in sorted(directory.glob(pattern)):
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            try:
                if path.stat().st_size > 1_000_000:
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            compose = path.name.endswith((".yml", ".yaml"))
            for image in images_in(text, path.name):
                read, note = (image, "") if "$" not in image else (
                    _compose_image(image, directory) if compose else _dockerfile_image(image, text))
                version = version_from_image(read)
                if version is not None:
                    found.append((version, f"the image {read} in {path.name}{note}"))
    return found


def _dockerfile_image(image: str, text: str) -> tuple[str, str]:
    """A Dockerfile's ``FROM`` image holding variables as ``docker build`` reads it with the
    defaults of the ``ARG``s before the first ``FROM`` (views.dockerfile.expand_from), and a note
    saying so; ``image`` and "" when that is not known here."""
    from pgconf_fix.documents.dockerfile import expand_from, instructions, meta_arguments

    found = instructions(text)
    meta = meta_arguments(text, found) if found is not None else None
    read = expand_from(image, meta) if meta is not None else None
    if not read:
        return image, ""
    return read, f" (FROM {image} with the defaults of the ARGs before it)"


def _compose_image(image: str, directory: Path) -> tuple[str, str]:
    """A compose ``image:`` holding variables as compose pulls it, with the values of the
    project's ``.env`` in ``directory`` or the defaults written in it (``postgres:${PG:-16}``),
    and a note saying so; ``image`` and "" when a value is not known here (a variable only the
    shell may set) or compose or this ``.env`` is refused (compose_dotenv.resolve)."""
    from pgconf_fix.documents.compose_dotenv import DotenvError, project_environment, resolve
    from pgconf_fix.documents.compose_interpolation import InvalidInterpolation

    try:
        text = (directory / ".env").read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError):
        return image, ""
    try:
        read = resolve(image, project_environment(text).get)
    except (DotenvError, InvalidInterpolation):
        return image, ""
    if read is None or "$" in read:
        return image, ""
    return read, f" (compose's reading of {image} with the project's .env and the defaults written in it)"
