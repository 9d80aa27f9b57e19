"""Client layer: PostgreSQL connection strings in any text file (URIs, JDBC URLs, key=value DSNs).

Files are claimed by content, not by name: a byte prefilter on the first bytes,
then the real finder on that head. It comes after the server, kernel and
Terraform layers, and leaves their files (and PgBouncer's, whose [databases]
strings are not libpq's) alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built, ParsedFile
    from pgconf_fix.workspace import Workspace

NAME = "client"
LAYERS = ("client",)  # the rule layers of the views it builds
_NOT_OURS_NAMES = ("postgresql.conf", "postgresql.auto.conf", "sysctl.conf", "pgbouncer.ini", "pg_hba.conf")
# Terraform and SQL have their own layers (Terraform's judges its strings' connection strings
# itself, pgconf_fix.layers.terraform); prose documents hold examples, not configuration.
# Connection strings in variable values (.tfvars), terragrunt.hcl inputs and Atlas's
# atlas.hcl (``url = "postgres://..."``) are this layer's: their readers are clients.
_NOT_OURS_SUFFIXES = (".tf", ".tfstate", ".sql", ".md", ".rst", ".adoc")


# The claim's expressions are compiled when first needed: a run given one postgresql.conf
# never asks (its name is not ours), and compiling every reader's took ~3 ms of it (issue 18).
@cache
def _prefilter() -> re.Pattern[bytes]:
    return re.compile(rb"postgres|jdbc:postgresql|(?<![\w.])(?:host|hostaddr|dbname)[ \t]*=")


@cache
def _pgbouncer_section() -> re.Pattern[bytes]:
    return re.compile(rb"^[ \t]*\[(?:pgbouncer|databases)\][ \t]*$", re.MULTILINE | re.IGNORECASE)


def may_hold_connection(data: bytes) -> bool:
    """Whether ``data`` has a word every connection string the finder knows holds (a byte
    prefilter: True does not mean there is one)."""
    if not (b"postgres" in data or b"host" in data or b"dbname" in data):  # words _prefilter() needs
        return False
    return _prefilter().search(data) is not None


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.name in _NOT_OURS_NAMES or path.suffix in _NOT_OURS_SUFFIXES:
        return False
    if path.parent.name == "sysctl.d":
        return False
    data = head()  # empty for binary files
    if not may_hold_connection(data):
        return False
    if _pgbouncer_section().search(data) and path.suffix not in (".yaml", ".yml"):
        return False  # a pgbouncer.ini; in YAML, only the value holding it is left out (views.client)
    from pgconf_fix.documents.connstr import find_connection_strings

    return bool(find_connection_strings(data.decode("utf-8", "surrogateescape")))


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import client_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.client import build_client_views

    refused = [parsed for source in sources if (parsed := _refused_variable_file(source)) is not None]
    if refused:
        left = {parsed.source.path for parsed in refused}
        sources = [source for source in sources if source.path not in left]
    return Built(list(build_client_views(workspace, sources, options)), refused)


def _refused_variable_file(source: SourceFile) -> ParsedFile | None:
    """A ``.tfvars`` file Terraform refuses (a syntax error, an escape such as ``\\q`` that
    python-hcl2 takes): its PGF001, as a ``.tf`` file gets it; None for any other file.

    ``terraform plan -var-file`` (or the auto-loaded ``terraform.tfvars``) stops at such a
    file, so none of its values reaches anything and its connection strings are not judged
    (tests/test_hcl_strings.py asks terraform 1.11.4). Other ``.hcl`` files are left as they
    were: Vault's and Consul's configurations are HCL 1, whose rules were not checked here."""
    if source.path.suffix != ".tfvars":
        return None
    from pgconf_fix.documents.hcl import HclDocument
    from pgconf_fix.views.base import ParsedFile

    problems = HclDocument(source).problems
    return ParsedFile(source, tuple(problems)) if problems else None
