"""``pgconf-fix serve``: the paste-and-fix page, driven in a real headless Chromium.

The server runs as the real command in a child process (under strace where it is
installed, to see every socket it connects); the browser is Debian's chromium with
chromium-driver, driven by selenium, which `.ci/run` installs.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgconf_fix.serve import KINDS, guess_kind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONF = ROOT / "examples" / "db" / "postgresql.conf"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("#tcp_keepalives_idle = 0\nssl = on\n", "postgresql.conf"),
        ("net.ipv4.tcp_keepalive_time = 7200\n", "sysctl"),
        ('resource "aws_lb" "web" {\n  idle_timeout = 60\n}\n', "terraform"),
        ("postgresql://app@db.example.com:5432/app\n", "connection string"),
        ("host=db.example.com dbname=app user=app", "connection string"),
        ("from sqlalchemy import create_engine\nengine = create_engine(URL)\n", "python"),
    ],
)
def test_guess_kind(text: str, kind: str) -> None:
    assert guess_kind(text) == kind


class Served:
    """A running ``pgconf-fix serve`` child: its URL, port and (with strace) its trace file."""

    def __init__(self, process: subprocess.Popen, url: str, trace: Path | None) -> None:
        self.process = process
        self.url = url
        self.port = int(url.rsplit(":", 1)[1].strip("/"))
        self.trace = trace


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pgconf_fix", "serve", "--port", "0"]
    trace = None
    if shutil.which("strace"):
        trace = tmp_path / "connect.trace"
        command = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), *command]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, f"no URL in {line!r}"
        yield Served(process, match.group(0), trace)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server, then strace around it; nothing of the group may outlive the test.

    A signal to a traced process goes through strace first, and strace ending at the same
    moment can swallow it: the server is signalled alone (strace then exits with it and
    flushes its log), and whatever is left of the group is killed.
    """
    if process.poll() is None:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        tracees = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        for pid in tracees or [process.pid]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


def _request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read()


def test_binds_loopback_only_and_refuses_other_hosts(served: Served) -> None:
    assert _listening_addresses(served.port) == {"127.0.0.1"}
    status, _ = _request(served.port, "GET", "/")
    assert status == 200
    # A page elsewhere that rebinds its own name to 127.0.0.1 still sends its own Host.
    status, body = _request(served.port, "GET", "/", headers={"Host": f"attacker.example:{served.port}"})
    assert status == 421 and b"loopback" in body
    status, _ = _request(
        served.port, "POST", "/check", body=b"text=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 415


def test_check_endpoint_matches_the_command(served: Served, tmp_path: Path) -> None:
    text = EXAMPLE_CONF.read_text()
    status, body = _request(
        served.port,
        "POST",
        "/check",
        body=json.dumps({"text": text, "kind": "postgresql.conf"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200
    result = json.loads(body)
    assert "PGF101" in {finding["code"] for finding in result["findings"]}
    assert result["patched"] == _patched_by_command(text, tmp_path)


def _patched_by_command(text: str, tmp_path: Path) -> str:
    """The same file fixed by ``pgconf-fix --write`` on disk, for comparison."""
    work = tmp_path / "by-command"
    work.mkdir()
    (work / "postgresql.conf").write_text(text)
    subprocess.run([sys.executable, "-m", "pgconf_fix", "--write", "postgresql.conf"], cwd=work, capture_output=True)
    return (work / "postgresql.conf").read_text()


def _outbound_connects(trace: Path) -> list[str]:
    """connect() calls in an strace log that go anywhere but loopback or a Unix socket."""
    outbound = []
    for line in trace.read_text().splitlines():
        if "connect(" not in line or "AF_UNIX" in line or "AF_LOCAL" in line:
            continue
        if 'inet_addr("127.' in line or "::1" in line:
            continue
        outbound.append(line)
    return outbound


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="Debian's chromium and chromium-driver are not installed")
def test_paste_a_postgresql_conf_in_a_real_browser(served: Served, tmp_path: Path) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="pgconf-fix-chromium-")
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        browser.get(served.url)
        WebDriverWait(browser, 20).until(lambda b: len(Select(b.find_element(By.ID, "kind")).options) > len(KINDS))
        text = EXAMPLE_CONF.read_text()
        paste = browser.find_element(By.ID, "paste")
        paste.click()
        # A paste, as the clipboard would deliver it: the whole text at once, then an input event.
        browser.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", paste, text
        )
        browser.find_element(By.ID, "check").click()
        WebDriverWait(browser, 60).until(
            lambda b: b.find_element(By.ID, "status").get_attribute("data-done") == "yes"
        )
        findings = browser.find_element(By.ID, "findings").text
        assert "PGF101" in findings and "PGF104" in findings
        assert "Checked as postgresql.conf" in browser.find_element(By.ID, "status").text
        diff = browser.find_element(By.ID, "diff").text
        assert "+tcp_keepalives_idle = 60" in diff and "-#tcp_keepalives_idle = 0" in diff
        patched = browser.find_element(By.ID, "patched").get_attribute("value")
        assert patched == _patched_by_command(text, tmp_path)
        link = browser.find_element(By.ID, "download")
        assert link.get_attribute("download") == "postgresql.conf"
        link.click()
        saved = downloads / "postgresql.conf"
        WebDriverWait(browser, 20).until(lambda b: saved.exists() and saved.read_text() == patched)
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
    if served.trace is None:
        pytest.skip("strace is not installed: outbound connections were not watched")
    _stop(served.process)
    assert served.trace.exists()
    assert _outbound_connects(served.trace) == []


def test_outbound_connects_reads_strace_lines(tmp_path: Path) -> None:
    trace = tmp_path / "t"
    trace.write_text(
        '12 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n'
        '12 connect(4, {sa_family=AF_INET, sin_port=htons(8765), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
        '13 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.9")}, 16) = 0\n'
    )
    assert _outbound_connects(trace) == [trace.read_text().splitlines()[2]]
