"""Our reading of sysctl files against the real kernel's, inside a private network namespace.

Every write here happens under ``unshare -n``: the net.ipv4 keys there belong to a namespace
that dies with the command, so the host's settings are never touched. Only the three
``net.ipv4.tcp_keepalive_*`` keys (and globs over them) are ever written; any other line of a
fixture is blanked out first (``vm.*`` and ``kernel.*`` keys are not per-namespace).

1. Differential: values written raw to /proc/sys, and the value pgconf-fix says the kernel keeps.
2. Every kernel fixture tree (before and after a fix) applied with ``sysctl -p``, file by file in
   the order pgconf-fix reads them: the kernel's three values equal pgconf-fix's reading.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgconf_fix.documents.sysctl import canonical_key, has_bsd_keys, kernel_integer, parse_line
from pgconf_fix.views.kernel import INTEGER_KEYS, KEY_RANGES, KernelConfig
from pgconf_fix.workspace import Workspace

KERNEL_FIXTURES = Path(__file__).parent / "fixtures" / "kernel"
PROC = "/proc/sys/net/ipv4/"
DEFAULTS = {"net.ipv4.tcp_keepalive_time": 7200, "net.ipv4.tcp_keepalive_intvl": 75, "net.ipv4.tcp_keepalive_probes": 9}
OURS = re.compile(r"^[ \t]*-?net[./]ipv4[./]tcp_keepalive_")


def _in_namespace(argv: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        ["unshare", "-n", *argv], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def namespace() -> None:
    """Skip, with the reason, where a private network namespace cannot be made."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = _in_namespace(["cat", PROC + "tcp_keepalive_time"])
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.strip()}")


# -- 1. value by value ------------------------------------------------------------------

TIME_VALUES = [
    "600", "600 # comment", "600\tx", "600 abc", "600abc", "0x3c", "0X3C", "060", "08", "0", "-1",
    "-0x10", "+60", "1.5", "'60'", "60;x", "0x", "99999999999", "- 5", "2147483",
]  # fmt: skip
# Not "": an empty raw write is a no-op for the kernel, while sysctl -p and systemd-sysctl report
# "key =" as an invalid argument (measured); the file trees below cover how files are read.
PROBE_VALUES = ["0", "6", "255", "256", "-1", "0377", "0x100", "6 # six"]
DIFFERENTIAL = [("net.ipv4.tcp_keepalive_time", value) for value in TIME_VALUES] + [
    ("net.ipv4.tcp_keepalive_probes", value) for value in PROBE_VALUES
]
_WRITER = """
import json, sys
results = []
for key, value in json.load(sys.stdin):
    path = "/proc/sys/" + key.replace(".", "/")
    before = open(path).read().strip()
    try:
        with open(path, "w") as handle:
            handle.write(value)
        error = None
    except OSError as exc:
        error = exc.strerror
    results.append((error, open(path).read().strip()))
    with open(path, "w") as handle:
        handle.write(before)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def kernel_verdicts(namespace: None) -> dict[tuple[str, str], tuple[str | None, str]]:
    done = _in_namespace([sys.executable, "-c", _WRITER], json.dumps(DIFFERENTIAL))
    assert done.returncode == 0, done.stderr
    return dict(zip(DIFFERENTIAL, (tuple(item) for item in json.loads(done.stdout))))


@pytest.mark.parametrize(("key", "value"), DIFFERENTIAL, ids=[f"{k[18:]}={v!r}" for k, v in DIFFERENTIAL])
def test_value_reading_agrees_with_the_kernel(key: str, value: str, kernel_verdicts) -> None:  # noqa: ANN001
    error, stored = kernel_verdicts[key, value]
    try:
        ours = kernel_integer(value, *KEY_RANGES[key])
    except ValueError as exc:
        assert error is not None, f"{key} = {value!r}: we say the kernel rejects it ({exc}); it stored {stored}"
        return
    assert error is None, f"{key} = {value!r}: we read {ours.value}; the kernel refused the write ({error})"
    assert int(stored) == ours.value


# -- 2. whole fixture trees with sysctl -p ------------------------------------------------


def _host_roots(tree: Path) -> list[Path]:
    roots = {path.parent for path in tree.rglob("sysctl.conf")}
    roots |= {path.parent.parent for path in tree.rglob("sysctl.d/*.conf")}
    return sorted(root for root in roots if not any(has_bsd_keys(p.read_text()) for p in _files(root)))


def _files(root: Path) -> list[Path]:
    files = [root / "sysctl.conf"] if (root / "sysctl.conf").is_file() else []
    return files + sorted((root / "sysctl.d").glob("*.conf"))


TREES = [
    (case, side, root.relative_to(case / side))
    for case in sorted(path.parent for path in KERNEL_FIXTURES.glob("*/before"))
    for side in ("before", "after")
    if (case / side).is_dir()
    for root in _host_roots(case / side)
]


def _only_keepalive_lines(text: str) -> str:
    """The file with every line that is not about the keepalive keys blanked (line numbers kept)."""
    kept = []
    for line in text.split("\n"):
        parsed = parse_line(line, 1, 0, len(line))
        ours = parsed.key is not None and OURS.match(line) is not None
        kept.append(line if ours else "")
    return "\n".join(kept)


@pytest.mark.parametrize(("case", "side", "rel"), TREES, ids=[f"{c.name}/{s}/{r}" for c, s, r in TREES])
def test_kernel_applies_what_we_read(case: Path, side: str, rel: Path, namespace: None, tmp_path: Path) -> None:
    root = case / side / rel
    workspace = Workspace(root)
    view = KernelConfig(workspace, root, [workspace.load(path) for path in _files(root)])
    script = []
    for index, document in enumerate(view.documents):
        staged = tmp_path / f"{index:02d}-{document.source.path.name}"
        staged.write_text(_only_keepalive_lines(document.source.text), encoding="utf-8")
        script.append(f"sysctl -q -p {staged} >/dev/null 2>>{tmp_path}/errors")
    script.append(f"cat {' '.join(PROC + key.rsplit('.', 1)[1] for key in INTEGER_KEYS)}")
    done = _in_namespace(["sh", "-c", "; ".join(script)])
    assert done.returncode == 0, done.stderr
    kernel = dict(zip(INTEGER_KEYS, (int(value) for value in done.stdout.split())))
    errors = (tmp_path / "errors").read_text() if (tmp_path / "errors").exists() else ""
    for key in INTEGER_KEYS:
        current = view.effective(key)
        if current is None:
            assert kernel[key] == DEFAULTS[key], f"{case.name}/{side}: {key} unset for us, the kernel has {kernel[key]}"
            continue
        try:
            ours = view.numeric(current, None)
        except ValueError:
            written = canonical_key(key)
            assert written in errors or written.replace(".", "/") in errors or "Invalid argument" in errors, errors
            continue
        assert kernel[key] == ours, f"{case.name}/{side}: {key}: the kernel has {kernel[key]}, pgconf-fix reads {ours}"


def test_the_trees_cover_globs_comments_and_rejections() -> None:
    names = {case.name for case, _, _ in TREES}
    assert {"glob-sets-all-three", "trailing-comment-kernel-ignores", "pgf001-values-the-kernel-rejects"} <= names
