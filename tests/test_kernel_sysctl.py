"""Our reading of sysctl files against the real kernel's, inside a private network namespace.

Every write here happens under ``unshare -n``: the net.ipv4 keys there belong to a namespace
that dies with the command, so the host's settings are never touched. Only the three
``net.ipv4.tcp_keepalive_*`` keys (and globs over them) are ever written; any other line of a
fixture is blanked out first (``vm.*`` and ``kernel.*`` keys are not per-namespace).

1. Differential: values written raw to /proc/sys, and the value pgconf-fix says the kernel keeps.
2. Every kernel fixture tree (before and after a fix) applied with ``sysctl -p``, file by file in
   the order pgconf-fix reads them: the kernel's three values equal pgconf-fix's reading.
3. Every OS image tree of the fixtures (etc/, run/, usr/local/lib/, usr/lib/, lib/ sysctl.d and
   etc/sysctl.conf under one root) made the root of a chroot inside ``unshare -n -m``, and applied
   there by procps ``sysctl --system`` and by ``systemd-sysctl`` as they apply a host's files: the
   order across directories, a name hiding the same name, /dev/null links are theirs, not ours.
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
from pgconf_fix.views.kernel import INTEGER_KEYS, KEY_RANGES, KernelConfig, build_kernel_views, host_root
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
    return files + sorted(path for path in (root / "sysctl.d").glob("*.conf") if path.is_file())  # not /dev/null


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


# -- 3. OS image trees, applied by the real tools to a chroot made of them ----------------

# Inside ``unshare -n -m`` (a mount namespace of our own: every mount dies with it): makes $2 a
# root whose sysctl places are the staged image $1's (the host's /usr with its usr/lib/sysctl.d and
# usr/local/lib replaced), runs the tool there and prints the namespace's three values.
_CHROOT = r"""
set -e
img=$1; root=$2; empty=$3; shift 3
mount -t tmpfs pgconf-fix-image "$root"
mkdir -p "$root/usr" "$root/proc" "$root/dev" "$root/run" "$root/etc"
mount --bind /usr "$root/usr"
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib64 "$root/lib64"
if [ -d "$img/etc" ]; then mount --bind "$img/etc" "$root/etc"; fi
if [ -d "$img/run" ]; then mount --bind "$img/run" "$root/run"; fi
if [ -d "$img/usr/lib/sysctl.d" ]; then mount --bind "$img/usr/lib/sysctl.d" "$root/usr/lib/sysctl.d";
else mount --bind "$empty" "$root/usr/lib/sysctl.d"; fi
if [ -d "$img/usr/local/lib" ]; then mount --bind "$img/usr/local/lib" "$root/usr/local/lib";
else mount --bind "$empty" "$root/usr/local/lib"; fi
if [ -L "$img/lib" ]; then cp -P "$img/lib" "$root/lib"; else
    mkdir -p "$root/lib/x86_64-linux-gnu"
    mount --bind /usr/lib/x86_64-linux-gnu "$root/lib/x86_64-linux-gnu"
    if [ -d "$img/lib/sysctl.d" ]; then mkdir "$root/lib/sysctl.d"; mount --bind "$img/lib/sysctl.d" "$root/lib/sysctl.d"; fi
fi
chroot "$root" "$@" >&2 || echo "exit status $?" >&2
cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/tcp_keepalive_intvl /proc/sys/net/ipv4/tcp_keepalive_probes
"""
SYSTEMD_SYSCTL = Path("/usr/lib/systemd/systemd-sysctl")
IMAGE_TOOLS = {"sysctl --system": ["/usr/sbin/sysctl", "--system"], "systemd-sysctl": [str(SYSTEMD_SYSCTL)]}


def _image_roots(tree: Path) -> list[Path]:
    found = {host_root(path) for path in tree.rglob("*") if path.parent.name == "sysctl.d" or path.name == "sysctl.conf"}
    return sorted(host.path for host in found if host.image)


IMAGES = [
    (case, side, root.relative_to(case / side))
    for case in sorted(path.parent for path in KERNEL_FIXTURES.glob("*/before"))
    for side in ("before", "after")
    if (case / side).is_dir()
    for root in _image_roots(case / side)
]


def _stage_image(root: Path, staged: Path) -> None:
    """A copy of the image ``root``: links as they are, files with only their keepalive lines."""
    for path in sorted(root.rglob("*")):
        target = staged / path.relative_to(root)
        if path.is_symlink():
            target.symlink_to(path.readlink())
        elif path.is_dir():
            target.mkdir(parents=True)
        else:
            target.write_text(_only_keepalive_lines(path.read_text(encoding="utf-8")), encoding="utf-8")


def _apply_in_chroot(root: Path, argv: list[str], tmp_path: Path) -> tuple[dict[str, int], str]:
    """The three values a fresh network namespace has after ``argv`` ran chrooted into the image
    ``root`` (staged: links kept, only keepalive lines), and what the tool printed."""
    staged, mount_point, empty = tmp_path / "image", tmp_path / "root", tmp_path / "empty"
    mount_point.mkdir(parents=True)
    empty.mkdir(parents=True)
    _stage_image(root, staged)
    done = subprocess.run(
        ["unshare", "-n", "-m", "--propagation", "private", "sh", "-c", _CHROOT, "sh", str(staged), str(mount_point),
         str(empty), *argv],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(zip(INTEGER_KEYS, (int(value) for value in done.stdout.split()))), done.stderr


@pytest.fixture(scope="module")
def chroot_namespace(namespace: None, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip, with the reason, where a mount namespace with a chroot cannot be made."""
    probe_root = tmp_path_factory.mktemp("probe")
    script = 'mount -t tmpfs probe "$1" && chroot / true'
    done = subprocess.run(
        ["unshare", "-n", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(probe_root)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"unshare -n -m with mount and chroot is not permitted here: {done.stderr.strip()}")


@pytest.mark.parametrize("tool", sorted(IMAGE_TOOLS))
@pytest.mark.parametrize(("case", "side", "rel"), IMAGES, ids=[f"{c.name}/{s}/{r}" for c, s, r in IMAGES])
def test_image_tree_as_the_tools_apply_it(
    case: Path, side: str, rel: Path, tool: str, chroot_namespace: None, tmp_path: Path
) -> None:
    argv = IMAGE_TOOLS[tool]
    if not Path(argv[0]).is_file():
        pytest.skip(f"{argv[0]} is not installed")
    root = case / side / rel
    if tool == "systemd-sysctl" and (root / "etc" / "sysctl.conf").is_file():
        pytest.skip("systemd-sysctl reads etc/sysctl.conf only through a link, at its name's place; we read it last, as procps")
    kernel, stderr = _apply_in_chroot(root, argv, tmp_path)
    workspace = Workspace(root)
    files = [path for path in root.rglob("*.conf") if path.is_file() and host_root(path) == host_root(root / "etc" / "sysctl.conf")]
    views = [v for v in build_kernel_views(workspace, [workspace.load(path) for path in files], None) if v.root == root]
    assert len(views) == 1 and views[0].image
    view = views[0]
    for key in INTEGER_KEYS:
        current = view.effective(key)
        ours = DEFAULTS[key] if current is None else view.numeric(current, None)
        assert kernel[key] == ours, f"{case.name}/{side}: {key}: {tool} applied {kernel[key]}, pgconf-fix reads {ours}: {stderr}"


def test_the_image_trees_cover_the_layouts() -> None:
    names = {case.name for case, _, _ in IMAGES}
    assert {"image-dev-null-mask", "image-etc-masks-same-name", "image-run-and-lib-dirs", "image-unset-key-goes-to-etc"} <= names


def test_absolute_links_are_read_inside_the_image(chroot_namespace: None, tmp_path: Path) -> None:
    """An image's absolute link names a file of the image (Debian's 99-sysctl.conf may be one),
    never the host's; a link to /dev/null hides its name."""
    root = tmp_path / "rootfs"
    (root / "etc" / "sysctl.d").mkdir(parents=True)
    (root / "usr" / "lib" / "sysctl.d").mkdir(parents=True)
    (root / "etc" / "sysctl.conf").write_text("net.ipv4.tcp_keepalive_intvl = 10\n")
    (root / "etc" / "sysctl.d" / "99-sysctl.conf").symlink_to("/etc/sysctl.conf")
    (root / "usr" / "lib" / "sysctl.d" / "99-sysctl.conf").write_text("net.ipv4.tcp_keepalive_intvl = 75\n")
    (root / "usr" / "lib" / "sysctl.d" / "50-x.conf").write_text("net.ipv4.tcp_keepalive_time = 100\n")
    (root / "etc" / "sysctl.d" / "50-x.conf").symlink_to("/dev/null")
    (root / "usr" / "lib" / "sysctl.d" / "98-y.conf").write_text("net.ipv4.tcp_keepalive_probes = 4\n")
    workspace = Workspace(tmp_path)
    view = KernelConfig(workspace, root, [workspace.load(root / "usr" / "lib" / "sysctl.d" / "98-y.conf")], image=True)
    assert [document.source.path for document in view.documents] == [
        root / "usr" / "lib" / "sysctl.d" / "98-y.conf", root / "etc" / "sysctl.conf", root / "etc" / "sysctl.conf"
    ]
    ours = {key: (view.numeric(a, None) if (a := view.effective(key)) else DEFAULTS[key]) for key in INTEGER_KEYS}
    assert ours == {"net.ipv4.tcp_keepalive_time": 7200, "net.ipv4.tcp_keepalive_intvl": 10, "net.ipv4.tcp_keepalive_probes": 4}
    for argv in IMAGE_TOOLS.values():
        if Path(argv[0]).is_file():
            kernel, stderr = _apply_in_chroot(root, argv, tmp_path / Path(argv[0]).name)
            assert kernel == ours, stderr


def test_standard_input_named_inside_an_image_is_read_at_its_place(chroot_namespace: None, tmp_path: Path) -> None:
    """--stdin-filename rootfs/etc/sysctl.d/50-x.conf, not on disk: the image was judged
    without it ("All checks passed!" for tcp_keepalive_time = 7200, which the file on disk is
    flagged for), since its listing came from the directories alone. Now it hides
    usr/lib/sysctl.d/50-x.conf as the same name on disk would, and the fixed document, once
    written there, is what sysctl --system and systemd-sysctl apply."""
    from tests.cli_runner import run_cli

    root = tmp_path / "rootfs"
    (root / "usr" / "lib" / "sysctl.d").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "usr" / "lib" / "sysctl.d" / "50-x.conf").write_text("net.ipv4.tcp_keepalive_time = 100\n")
    (root / "usr" / "lib" / "sysctl.d" / "60-y.conf").write_text("net.ipv4.tcp_keepalive_intvl = 10\nnet.ipv4.tcp_keepalive_probes = 6\n")
    document = b"net.ipv4.tcp_keepalive_time = 7200\n"
    name = "rootfs/etc/sysctl.d/50-x.conf"
    checked = run_cli(["--stdin-filename", name, "-"], tmp_path, stdin=document)
    assert checked.code == 1 and checked.stdout.startswith(f"{name}:1:1: PGF201 net.ipv4.tcp_keepalive_time = 7200"), checked.stdout
    written = run_cli(["--write", "--stdin-filename", name, "-"], tmp_path, stdin=document)
    assert written.code == 0 and written.stdout_bytes == b"net.ipv4.tcp_keepalive_time = 60\n", written.stderr
    (root / "etc" / "sysctl.d").mkdir()
    (root / "etc" / "sysctl.d" / "50-x.conf").write_bytes(written.stdout_bytes)
    for argv in IMAGE_TOOLS.values():
        if Path(argv[0]).is_file():
            kernel, stderr = _apply_in_chroot(root, argv, tmp_path / Path(argv[0]).name)
            assert kernel == {"net.ipv4.tcp_keepalive_time": 60, "net.ipv4.tcp_keepalive_intvl": 10,
                              "net.ipv4.tcp_keepalive_probes": 6}, stderr
