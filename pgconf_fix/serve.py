"""``pgconf-fix serve``: a paste-and-fix page served on this machine's loopback only.

One page: paste a postgresql.conf, a sysctl file, a Terraform file, a connection
string or a Python module, choose its kind (or let the page guess), and see the
findings, the unified diff of the fixes and the patched text, with a download of
it. Nothing leaves the machine: the server binds ``127.0.0.1`` and refuses any
other address, answers only requests whose ``Host`` names that loopback address
(so a web page elsewhere cannot reach it through DNS rebinding), serves no
third-party assets, and checks each paste with the same ``pgconf-fix`` command in
a child process reading standard input, which opens no connection.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

LOOPBACK = "127.0.0.1"
MAX_PASTE_BYTES = 1024 * 1024  # a pasted file; larger requests are refused with 413
CHECK_TIMEOUT = 60.0  # seconds one child check may take

# The kinds the page offers, each with the file name the paste is checked as: the name
# decides which of pgconf-fix's readers takes it, as it would in a repository.
KINDS: dict[str, str] = {
    "postgresql.conf": "postgresql.conf",
    "sysctl": "sysctl.conf",
    "terraform": "main.tf",
    "connection string": "connection.env",
    "python": "app.py",
}


def guess_kind(text: str) -> str:
    """The likeliest kind of a paste (a key of :data:`KINDS`), from a few telling tokens.

    The guess only picks the file name the paste is checked as; the page shows it and the
    user can choose another.
    """
    lowered = text.lower()
    if "resource \"" in lowered or "variable \"" in lowered or "module \"" in lowered:
        return "terraform"
    if "net.ipv4." in lowered or "net/ipv4/" in lowered:
        return "sysctl"
    python_marks = ("import ", "create_engine(", "def ", "databases = {", "sqlalchemy_")
    if any(mark in lowered for mark in python_marks):
        return "python"
    stripped = lowered.strip()
    if stripped.startswith(("postgres://", "postgresql://", "jdbc:postgresql:")) or "host=" in lowered:
        if "\n" not in stripped:
            return "connection string"
    if "://" in lowered and "=" not in stripped.split("://", 1)[0]:
        return "connection string"
    return "postgresql.conf"


@dataclass(frozen=True)
class PasteResult:
    """What one paste gives: findings (the JSON reporter's objects), diff text, patched text."""

    kind: str
    filename: str
    findings: list[dict]
    diff: str
    patched: str
    errors: str

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "findings": self.findings,
            "diff": self.diff,
            "patched": self.patched,
            "errors": self.errors,
        }


def _pgconf_fix(args: list[str], text: str) -> subprocess.CompletedProcess[bytes]:
    # An empty working directory: a pasted postgresql.conf's includes and the config file
    # lookup must not reach into whatever directory the server was started from.
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="pgconf-fix-serve-") as empty:
        return subprocess.run(
            [sys.executable, "-m", "pgconf_fix", *args],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=CHECK_TIMEOUT,
            check=False,
            cwd=empty,
            env=env,
        )


def check_paste(text: str, kind: str | None = None, unsafe_fixes: bool = False) -> PasteResult:
    """Check ``text`` as a file of ``kind`` (guessed when None) and compute its fixes.

    Runs ``pgconf-fix --format json`` and ``pgconf-fix --write`` on standard input in child
    processes; the diff is between the paste and the patched text. Raises ``KeyError`` for
    an unknown kind.
    """
    kind = kind or guess_kind(text)
    filename = KINDS[kind]
    stdin_args = ["--stdin-filename", filename, "-"]
    report = _pgconf_fix(["--format", "json", "--exit-zero", *stdin_args], text)
    try:
        findings = json.loads(report.stdout.decode("utf-8", "replace") or "[]")
    except json.JSONDecodeError:
        findings = []
    fixed = _pgconf_fix(["--write", "--exit-zero", *(["--unsafe-fixes"] if unsafe_fixes else []), *stdin_args], text)
    patched = fixed.stdout.decode("utf-8", "replace") if fixed.returncode in (0, 1) else text
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            patched.splitlines(keepends=True),
            fromfile=f"a/{filename}",
            tofile=f"b/{filename}",
        )
    )
    errors = report.stderr.decode("utf-8", "replace") if report.returncode == 2 else ""
    return PasteResult(kind, filename, findings if isinstance(findings, list) else [], diff, patched, errors)


def _asset(name: str) -> bytes:
    return resources.files("pgconf_fix").joinpath("serve_assets", name).read_bytes()


class PasteHandler(BaseHTTPRequestHandler):
    """GET / (the page), GET /app.js, GET /kinds, POST /check (JSON in, JSON out)."""

    server_version = "pgconf-fix"
    sys_version = ""

    def _host_is_loopback(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in (f"{LOOPBACK}:{port}", f"localhost:{port}")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # Only this origin's own script and styles; no frames, no outside requests.
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, status: HTTPStatus, reason: str) -> None:
        self._send(status, json.dumps({"error": reason}).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        if not self._host_is_loopback():
            self._refuse(HTTPStatus.MISDIRECTED_REQUEST, "this page answers only on its loopback address")
            return
        routes = {
            "/": ("index.html", "text/html; charset=utf-8"),
            "/app.js": ("app.js", "text/javascript; charset=utf-8"),
            "/style.css": ("style.css", "text/css; charset=utf-8"),
        }
        if self.path == "/kinds":
            self._send(HTTPStatus.OK, json.dumps(list(KINDS)).encode(), "application/json")
            return
        if self.path not in routes:
            self._refuse(HTTPStatus.NOT_FOUND, "no such page")
            return
        name, content_type = routes[self.path]
        self._send(HTTPStatus.OK, _asset(name), content_type)

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        if not self._host_is_loopback():
            self._refuse(HTTPStatus.MISDIRECTED_REQUEST, "this page answers only on its loopback address")
            return
        if self.path != "/check":
            self._refuse(HTTPStatus.NOT_FOUND, "no such endpoint")
            return
        # A JSON body cannot be sent cross-origin without a preflight this server never grants.
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
            return
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_PASTE_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a paste is at most {MAX_PASTE_BYTES} bytes")
            return
        try:
            request = json.loads(self.rfile.read(length).decode("utf-8"))
            text = request["text"]
            kind = request.get("kind") or None
            unsafe = bool(request.get("unsafe_fixes", False))
            if not isinstance(text, str) or (kind is not None and kind not in KINDS):
                raise ValueError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self._refuse(HTTPStatus.BAD_REQUEST, f"send {{'text': ..., 'kind': one of {list(KINDS)}}}")
            return
        try:
            result = check_paste(text, kind, unsafe)
        except subprocess.TimeoutExpired:
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "the check took too long")
            return
        self._send(HTTPStatus.OK, json.dumps(result.as_json()).encode(), "application/json")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the http.server name
        """Quiet: a paste may hold a password, and the request line is all a log would add."""


def make_server(port: int = 0) -> ThreadingHTTPServer:
    """A server bound to ``127.0.0.1:port`` (0 picks a free port); ``serve_forever`` runs it.

    Raises ``OSError`` when the port is taken.
    """
    server = ThreadingHTTPServer((LOOPBACK, port), PasteHandler)
    server.daemon_threads = True
    return server


def serve_main(argv: list[str]) -> int:
    """``pgconf-fix serve [--port N] [--open]``: serve the page until interrupted."""
    import click

    @click.command(name="serve", context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Loopback port.")
    @click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
    def command(port: int, open_browser: bool) -> int:
        """Serve a local paste-and-fix page on 127.0.0.1 (nothing is sent anywhere)."""
        try:
            server = make_server(port)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror or exc}") from exc
        url = f"http://{LOOPBACK}:{server.server_address[1]}/"
        click.echo(f"pgconf-fix: paste-and-fix page at {url} (loopback only; Ctrl-C stops it)", err=True)
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0

    try:
        result = command.main(args=argv, prog_name="pgconf-fix serve", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    return int(result) if isinstance(result, int) else 0
