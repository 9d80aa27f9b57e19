"""Mutation fuzzing of every format, from the project's own fixtures.

``python -m tests.fuzz [--inputs N] [--formats a,b] [--seed S]`` runs the long fuzz (10,000
inputs a format by default) and prints a table: format, inputs, tracebacks, bad exits,
corrupted writes, leaks. ``tests/test_fuzz.py`` runs the same oracle on a few dozen inputs a
format, drawn by hypothesis, in the suite.

Each input is a fixture file with a planted password line (in that format's syntax) and a
few mutations (a span deleted, duplicated or cut, a hostile token inserted: quotes,
backslashes, thousands of brackets or digits, a lone CR, a NUL, a BOM...). It is checked once
with ``--write --unsafe-fixes --show-fixes --format json`` on a scratch copy, and judged:

- traceback: an exception out of ``main``, a crashed worker process, or "Traceback" printed;
- bad exit: a status other than 0, 1, 2;
- corrupted write: the consumer's parser accepted the input and rejects what --write wrote
  (Python: ``compile``; SQL: pglast, the server's own parser; Terraform: python-hcl2;
  .env: the values python-dotenv reads, each connection string in them by libpq's
  ``conninfo_to_dict``; postgresql.conf: ``postgres -C`` when a
  server is installed, else the project's lexer of guc-file.l; sysctl: the project's
  parser, since the kernel's own check needs a network namespace; pgbouncer.ini: the
  project's reader of libusual's INI syntax (PGF001), and the real ``pgbouncer`` on every
  Nth changed file, ``--pgbouncer-every``, since a start takes ~2 s; compose and Kubernetes
  YAML: PyYAML; ``.properties``: the PostgreSQL and JDBC URLs the project's decoder of
  ``java.util.Properties.load`` reads, still well-formed, since a JVM start per input is too
  slow);
- leak: six characters or more of a planted password (in any of its spellings) in anything
  printed, while its carrier is intact in the input: the planted line as planted, or a
  hostile ``postgresql://u:...@`` / ``password=...`` token as inserted. A mutation that cuts
  a password from its keyword leaves a string no program could know to be one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PASSWORD = "ZQKp'a\"s s\\w@%40QKZ"
MARKERS = ("ZQK", "QKZ")

# The password in each format's own quoting: libpq's inside postgresql.conf's or SQL's.
_LIBPQ = "'" + PASSWORD.replace("\\", "\\\\").replace("'", "\\'") + "'"
_CONNINFO = f"host=db.example.com password={_LIBPQ}"
_CONF = "'" + _CONNINFO.replace("\\", "\\\\").replace("'", "''") + "'"
_SQL = "'" + _CONNINFO.replace("'", "''") + "'"

# The password in PgBouncer's [databases] quoting ('' embeds a quote; a backslash is itself),
# in a JDBC URL's query (percent-encoded), and the URL in YAML's double quotes (JSON's escapes).
_PGBOUNCER = "'" + PASSWORD.replace("'", "''") + "'"
_URL = f"postgresql://u:{quote(PASSWORD, safe='')}@db.example.com/app"
_JDBC = f"jdbc:postgresql://db.example.com:5432/app?user=u&password={quote(PASSWORD, safe='')}"

# The file name each format is fuzzed under, the fixture folders its seeds come from, and a
# line that carries the planted password in that format's own syntax.
FORMATS: dict[str, tuple[str, str, str]] = {
    "server": ("postgresql.conf", "server", f"primary_conninfo = {_CONF}\n"),
    "kernel": ("sysctl.conf", "kernel", f"# replica: {_CONNINFO}\n"),
    "python": ("app.py", "python", f"import psycopg2\nconn = psycopg2.connect(host='db.example.com', password={PASSWORD!r})\n"),
    "sql": ("settings.sql", "sql", f"ALTER SYSTEM SET primary_conninfo = {_SQL};\n"),
    "terraform": ("main.tf", "terraform", f'resource "aws_db_instance" "db" {{\n  password = {json.dumps(PASSWORD)}\n}}\n'),
    "client": (".env", "client", f"DATABASE_URL={_URL}\n"),
    "pgbouncer": ("pgbouncer.ini", "pgbouncer,compose", f"[databases]\nplanted = host=db.example.com password={_PGBOUNCER}\n"),
    "compose": ("docker-compose.yml", "compose", f"x-planted-url: {json.dumps(_URL)}\n"),
    "kubernetes": ("k8s.yaml", "kubernetes", f"x-planted-url: {json.dumps(_URL)}\n"),
    "properties": ("application.properties", "client", f"planted.datasource.url={_JDBC}\n"),
}
# Seed files by suffix where the fuzzed name's own suffix is too narrow (YAML is .yml or .yaml).
SEED_SUFFIXES = {"compose": (".yml", ".yaml"), "kubernetes": (".yml", ".yaml")}

HOSTILE = [
    "'", '"', "''", "\\", "\\'", "@", "%40", " ", "\t", "\r", "\r\n", "\n", "#", "=", "(", ")", "[", "]", "{", "}",
    "\x00", "\ufeff", "\u2028", "é", "\U0001f600", "${var.x}", "{{ x }}", "include 'x.conf'", "include_dir 'd'",
    "postgresql://u:ZQKxsecretQKZ@h/db", "password=ZQKysecretQKZ", "9" * 5000, "-" * 3000, "(" * 3000, "[" * 3000, "not " * 1500,
    "0x", "1e400", "1e-400", ";", "--", "/*", "*/", "$$", "<<EOF\n", "\\\n", "'''", '"""', "\x1b[31m",
]


def seeds(fmt: str) -> list[bytes]:
    """The ``before`` files of the format's fixtures, the planted password line first."""
    name, layers, planted = FORMATS[fmt]
    found: list[bytes] = []
    suffixes = SEED_SUFFIXES.get(fmt, (Path(name).suffix or name,))
    for layer in layers.split(","):
        for path in sorted((FIXTURES / layer).glob("*/before/**/*")):
            if not path.is_file() or path.is_symlink():
                continue
            if path.name == name or path.suffix in suffixes or path.name.startswith(name):
                data = path.read_bytes()
                if len(data) < 20000:
                    found.append(data)
    if not found:
        found.append(b"")
    return [planted.encode() + data for data in found]


@dataclass(frozen=True)
class Mutation:
    """One change: ``kind`` at a fraction ``where`` of the data (0..1), with a span of ``size``
    characters or the hostile token number ``token``."""

    kind: str  # delete, duplicate, insert, cut, swap-case
    where: float
    size: int
    token: int


def mutate(data: bytes, mutations: list[Mutation]) -> bytes:
    text = data.decode("utf-8", "surrogateescape")
    for change in mutations:
        at = int(change.where * len(text))
        end = min(len(text), at + change.size)
        if change.kind == "delete":
            text = text[:at] + text[end:]
        elif change.kind == "duplicate":
            text = text[:end] + text[at:end] + text[end:]
        elif change.kind == "insert":
            text = text[:at] + HOSTILE[change.token % len(HOSTILE)] + text[at:]
        elif change.kind == "cut":
            text = text[:at]
        elif change.kind == "swap-case":
            text = text[:at] + text[at:end].swapcase() + text[end:]
    return text.encode("utf-8", "surrogateescape")


def random_mutations(rng: random.Random) -> list[Mutation]:
    kinds = ["delete", "duplicate", "insert", "insert", "insert", "cut", "swap-case"]
    return [
        Mutation(rng.choice(kinds), rng.random(), rng.randint(1, 40), rng.randrange(len(HOSTILE)))
        for _ in range(rng.randint(1, 4))
    ]


# -- the consumers --------------------------------------------------------------------------


class Consumers:
    """Each format's own parser: True when it accepts the file.

    ``pgbouncer_every``: the real ``pgbouncer`` also judges every Nth PgBouncer file that
    --write changed (a start takes ~2 s, too slow for every input; 0: never).
    """

    def __init__(self, pgbouncer_every: int = 0) -> None:
        self._server = None
        self.pgbouncer_every = pgbouncer_every
        self._pgbouncer_asked = 0
        self._pgbouncer_real = False
        self.server_note = ""
        try:
            from tests.pg_server import PgServer, find_bindir

            bindir = find_bindir()
            if bindir is not None:
                self._server = PgServer(bindir)
        except Exception as exc:  # noqa: BLE001 - the fallback is said in the table
            self.server_note = f"postgres -C unavailable ({exc})"
        if self._server is None and not self.server_note:
            self.server_note = "no postgres binary: postgresql.conf judged by the project's lexer"

    def accepts(self, fmt: str, directory: Path, name: str) -> int:
        """1 (or, for client strings, how many libpq reads) when the consumer accepts the file, else 0."""
        data = (directory / name).read_bytes()
        if b"\x00" in data:
            return 0
        text = data.decode("utf-8", "surrogateescape")
        if fmt == "python":
            try:
                # A mutation's invalid escape ("\{") warns; the warning is no verdict of CPython's.
                with warnings.catch_warnings(action="ignore"):
                    compile(data, name, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return 0
            return 1
        if fmt == "sql":
            import pglast

            try:
                pglast.parse_sql(text)
            except Exception:  # noqa: BLE001 - any refusal of the server's parser
                return 0
            return 1
        if fmt == "terraform":
            import hcl2

            try:
                hcl2.loads(text)
            except Exception:  # noqa: BLE001 - any refusal of the HCL parser
                return 0
            return 1
        if fmt == "client":
            return _env_connections(text)
        if fmt == "server" and self._server is not None:
            code, _ = self._server.config_value(directory, "tcp_keepalives_idle")
            return int(code == 0)
        if fmt in ("compose", "kubernetes"):
            import yaml

            try:
                list(yaml.safe_load_all(text))
            except Exception:  # noqa: BLE001 - any refusal of PyYAML (compose and kubectl read YAML alike)
                return 0
            return 1
        if fmt == "properties":
            return _properties_urls(text)
        if fmt == "pgbouncer":
            accepted = int(self._own_parse_errors(fmt, directory, name) == 0)
            if directory.name.endswith("-original"):  # judge() asks about the original first
                self._pgbouncer_asked += 1
                self._pgbouncer_real = bool(self.pgbouncer_every) and self._pgbouncer_asked % self.pgbouncer_every == 0
            if accepted and self._pgbouncer_real:
                accepted = int(_pgbouncer_starts(text))
                if not accepted and directory.name.endswith("-original"):
                    print(f"NOTE: pgbouncer refuses what the project's reader accepts: {data[:300]!r}", file=sys.stderr)
            return accepted
        return int(self._own_parse_errors(fmt, directory, name) == 0)

    @staticmethod
    def _own_parse_errors(fmt: str, directory: Path, name: str) -> int:
        import json

        from tests.cli_runner import run_cli

        outcome = run_cli(["--select", "PGF001", "--format", "json", name], directory)
        try:
            return sum(1 for item in json.loads(outcome.stdout) if item["code"] == "PGF001")
        except ValueError:
            return 1


def _env_connections(text: str) -> int:
    """How many connection strings libpq reads from the values of a .env file, the values
    read as python-dotenv reads them (a value is what the program gets, not the raw line):
    none of them may be lost to a fix."""
    import io
    import logging

    from dotenv import dotenv_values
    from psycopg.conninfo import conninfo_to_dict

    from pgconf_fix.documents.connstr import find_connection_strings

    logging.getLogger("dotenv.main").setLevel(logging.ERROR)  # its notes on lines it skips
    accepted = 0
    for value in dotenv_values(stream=io.StringIO(text)).values():
        for found in find_connection_strings(value or "", decoded=True):
            try:
                conninfo_to_dict(value[found.start : found.end])
                accepted += 1
            except Exception:  # noqa: BLE001 - libpq refuses the string
                pass
    return accepted


def _properties_urls(text: str) -> int:
    """How many PostgreSQL URLs of a .properties file a Java program reads whole.

    The file is decoded as ``java.util.Properties.load`` decodes it, by the project's own
    carriers decoder (a JVM start per input is too slow; tests/test_carrier_properties.py
    checks that decoder against the real ``Properties.load``). A ``postgresql://`` value must
    parse with libpq; a ``jdbc:postgresql:`` one must keep a well-formed query (every
    parameter ``name=value``, percent escapes valid), which is what pgjdbc splits it by.
    """
    from urllib.parse import parse_qsl, urlsplit

    from psycopg.conninfo import conninfo_to_dict

    from pgconf_fix.documents.carriers import properties_carriers
    from pgconf_fix.source import SourceFile

    source = SourceFile.from_bytes(Path("application.properties"), "application.properties", text.encode("utf-8", "surrogateescape"))
    readable = 0
    for carrier in properties_carriers(source):
        value = carrier.value.strip()
        try:
            if value.startswith(("postgresql://", "postgres://")):
                conninfo_to_dict(value)
            elif value.startswith("jdbc:postgresql:"):
                query = urlsplit(value[len("jdbc:"):]).query
                if query:
                    parse_qsl(query, strict_parsing=True, errors="strict")
            else:
                continue
        except Exception:  # noqa: BLE001 - the consumer cannot read it
            continue
        readable += 1
    return readable


def _pgbouncer_starts(text: str) -> bool:
    """Whether the real pgbouncer starts on this pgbouncer.ini (tests/pgbouncer_server.py)."""
    from tests.pgbouncer_server import BouncerRefused, find_pgbouncer, running_pgbouncer

    if find_pgbouncer() is None:
        return True  # not installed: the project's reader alone judges
    try:
        with running_pgbouncer(text):
            return True
    except BouncerRefused:
        return False
    except UnicodeEncodeError:  # bytes that are not UTF-8 cannot be staged as text: no verdict
        return True


# -- one input --------------------------------------------------------------------------------


@dataclass
class Verdict:
    traceback: str = ""
    bad_exit: int | None = None
    corrupted: bool = False
    leak: str = ""

    @property
    def ok(self) -> bool:
        return not (self.traceback or self.bad_exit is not None or self.corrupted or self.leak)


def judge(fmt: str, data: bytes, consumers: Consumers, scratch: Path) -> Verdict:
    """Run ``--write`` on ``data`` as the format's file in ``scratch`` and judge the outcome."""
    from tests.cli_runner import run_cli

    name = FORMATS[fmt][0]
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / name).write_bytes(data)
    original = scratch.parent / f"{scratch.name}-original"
    if original.exists():
        shutil.rmtree(original)
    shutil.copytree(scratch, original)
    verdict = Verdict()
    try:
        outcome = run_cli(["--write", "--unsafe-fixes", "--show-fixes", "--format", "json", name], scratch)
    except BaseException as exc:  # noqa: BLE001 - the very thing we look for
        import traceback

        verdict.traceback = "".join(traceback.format_exception(exc))[-2000:]
        return verdict
    printed = outcome.stdout + outcome.stderr
    if "Traceback" in printed:
        verdict.traceback = printed[-2000:]
    if outcome.code not in (0, 1, 2):
        verdict.bad_exit = outcome.code
    verdict.leak = _leak(printed, data.decode("utf-8", "surrogateescape"), fmt)
    written = (scratch / name).read_bytes()
    if written != data:  # the consumer is asked only about inputs --write changed
        accepted_before = consumers.accepts(fmt, original, name)
        if accepted_before and consumers.accepts(fmt, scratch, name) < accepted_before:
            verdict.corrupted = True
    return verdict


_WINDOW = 6  # redact.FRAGMENT: the shortest piece of a known password the program masks


def _windows(form: str) -> set[str]:
    """Each run of ``form`` holding _WINDOW characters other than a backslash. A backslash is
    the escape a printer adds (JSON's ``\\"``, Python's repr), not a piece of the password: a
    five-character piece that a JSON string shows beside an escaped quote is below what the
    program masks (found by the fuzz: ``near \\"40QKZ\\"`` against the form ``40QKZ\\'``)."""
    found = set()
    for start in range(len(form)):
        count = 0
        for end in range(start, len(form)):
            count += form[end] != "\\"
            if count == _WINDOW:
                found.add(form[start : end + 1])
                break
    return found


def _spellings(password: str) -> set[str]:
    from pgconf_fix.redact import secrets

    forms = {password, quote(password, safe="")}
    forms |= set(secrets(f"password={_LIBPQ if password == PASSWORD else password}"))
    return forms | {json.dumps(form)[1:-1] for form in forms}


def _leak(printed: str, text: str, fmt: str) -> str:
    """A piece of a planted password that is printed while its carrier is intact in ``text``."""
    planted = []
    if FORMATS[fmt][2].rstrip("\n") in text:
        planted.append(PASSWORD)
    for token, password in (("postgresql://u:ZQKxsecretQKZ@h/db", "ZQKxsecretQKZ"), ("password=ZQKysecretQKZ", "ZQKysecretQKZ")):
        if token in text:
            planted.append(password)
    for password in planted:
        for form in _spellings(password):
            for window in _windows(form):
                at = printed.find(window)
                if at != -1 and any(ch.isalnum() for ch in window):
                    return printed[max(0, at - 80) : at + 40]
    return ""


# -- the long run -------------------------------------------------------------------------------


@dataclass
class Tally:
    inputs: int = 0
    tracebacks: int = 0
    bad_exits: int = 0
    corrupted: int = 0
    leaks: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict, data: bytes) -> None:
        self.inputs += 1
        self.tracebacks += bool(verdict.traceback)
        self.bad_exits += verdict.bad_exit is not None
        self.corrupted += verdict.corrupted
        self.leaks += bool(verdict.leak)
        if not verdict.ok:
            example = f"{verdict}\n  input: {data[:300]!r}"
            print(f"FOUND: {example}", file=sys.stderr, flush=True)  # as it happens: a long run may be stopped
            if len(self.examples) < 3:
                self.examples.append(example)


def _worker(job: tuple[str, int, int, str, int]) -> list[tuple[Verdict, bytes]]:
    fmt, seed, count, scratch_root, pgbouncer_every = job
    rng = random.Random(seed)
    pool = seeds(fmt)
    consumers = Consumers(pgbouncer_every)
    scratch = Path(scratch_root) / f"{fmt}-{seed}"
    results = []
    for _ in range(count):
        data = mutate(rng.choice(pool), random_mutations(rng))
        results.append((judge(fmt, data, consumers, scratch), data))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs a format (default 10000)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, of: " + ", ".join(FORMATS))
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--batch", type=int, default=200, help="inputs a worker process checks before it is replaced")
    parser.add_argument(
        "--pgbouncer-every", type=int, default=10, metavar="N",
        help="the real pgbouncer also judges every Nth PgBouncer file --write changed (0: never; default 10)",
    )
    parser.add_argument(
        "--minutes", type=float, default=None, help="start no new batch after this many minutes; the table says what ran"
    )
    args = parser.parse_args(argv)
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    print(f"fuzzing {args.inputs} inputs a format; {Consumers().server_note or 'postgresql.conf judged by postgres -C'}")
    scratch_root = tempfile.mkdtemp(prefix="pgconf-fix-fuzz-")
    tallies: dict[str, Tally] = {}
    started = time.monotonic()
    try:
        queues = []
        for fmt in args.formats.split(","):
            tallies[fmt] = Tally()
            jobs = []
            left, batch_seed = args.inputs, args.seed * 1_000_003 + sum(fmt.encode()) * 1000
            while left > 0:
                jobs.append((fmt, batch_seed, min(args.batch, left), scratch_root, args.pgbouncer_every))
                left -= args.batch
                batch_seed += 1
            queues.append(jobs)
        # Round robin over the formats: a run stopped early has looked at all of them.
        for job in (job for batch in itertools.zip_longest(*queues) for job in batch if job is not None):
            if args.minutes is not None and time.monotonic() - started > args.minutes * 60:
                print(f"stopped after {args.minutes:g} minutes (--minutes): the table counts the inputs run", flush=True)
                break
            fmt = job[0]
            tally = tallies[fmt]
            try:
                with ProcessPoolExecutor(1) as pool:  # a crash (SIGSEGV) kills one batch, not the run
                    for verdict, data in pool.submit(_worker, job).result():
                        tally.add(verdict, data)
            except BrokenProcessPool:
                tally.inputs += job[2]
                tally.tracebacks += 1
                tally.examples.append(f"worker process died (batch seed {job[1]})")
            print(
                f"  {fmt}: {tally.inputs} inputs, {tally.tracebacks} tracebacks, {tally.bad_exits} bad exits, "
                f"{tally.corrupted} corrupted writes, {tally.leaks} leaks ({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    print(f"{'format':<10} {'inputs':>7} {'tracebacks':>10} {'bad exits':>9} {'corrupted writes':>16} {'leaks':>5}")
    for fmt, tally in tallies.items():
        print(f"{fmt:<10} {tally.inputs:>7} {tally.tracebacks:>10} {tally.bad_exits:>9} {tally.corrupted:>16} {tally.leaks:>5}")
    failed = False
    for fmt, tally in tallies.items():
        for example in tally.examples:
            failed = True
            print(f"\n{fmt}: {example}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
