"""A privileged init container's ``sysctl -w`` writes, read after the pod's
securityContext.sysctls (pgconf_fix.views.kubernetes): what the kernel holds after both, in a
private network namespace (``unshare -n``), is what the view reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.source import SourceFile
from pgconf_fix.views.kubernetes import pod_views

FIXTURE = Path(__file__).parent / "fixtures" / "kubernetes" / "init-container-sysctl"
KEYS = ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes")


def _kernel_view(text: str):  # noqa: ANN202 - the pod's kernel PlacedSettings
    source = SourceFile.from_bytes(Path("/nowhere/deploy.yaml"), "deploy.yaml", text.encode())
    (root,) = Y.compose_documents(text)
    (view,) = [view for view in pod_views(source, root) if view.layer == "kernel"]
    return view


@pytest.mark.parametrize("tree", ["before", "after"])
def test_the_kernel_holds_what_the_pod_view_reads(tree: str) -> None:
    if shutil.which("unshare") is None or shutil.which("sysctl") is None:
        pytest.skip("unshare (util-linux) or sysctl (procps) is not installed")
    text = (FIXTURE / tree / "deploy.yaml").read_text()
    (root,) = Y.compose_documents(text)
    spec = Y.get(root, "spec", "template", "spec")
    # As the kubelet does: the pod's sysctls first, then each privileged init container in turn.
    script = [f"sysctl -q -w {Y.scalar_value(Y.get(item, 'name'))}={Y.scalar_value(Y.get(item, 'value'))}"
              for item in Y.get(spec, "securityContext", "sysctls").value]
    for container in Y.get(spec, "initContainers").value:
        if Y.scalar_value(Y.get(container, "securityContext", "privileged")) == "true":
            script.append(" ".join(item.value for item in Y.get(container, "command").value))
    script.append("for k in " + " ".join(KEYS) + "; do sysctl -n $k; done")
    done = subprocess.run(["unshare", "-n", "sh", "-c", " && ".join(script)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"unshare -n is not permitted here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    held = dict(zip(KEYS, done.stdout.splitlines()[-3:]))  # after what sysctl -w prints
    view = _kernel_view(text)
    assert {key: view.effective(key).value for key in KEYS} == held
    assert held["net.ipv4.tcp_keepalive_time"] == ("60" if tree == "after" else "7200")


def test_an_init_container_that_cannot_write_or_runs_a_shell_is_not_read() -> None:
    text = (FIXTURE / "before" / "deploy.yaml").read_text()
    # The unprivileged init container's 30 is not read: the privileged one's 7200 stands.
    assert _kernel_view(text).effective("net.ipv4.tcp_keepalive_time").value == "7200"
    shell = text.replace('command: ["sysctl", "-w", "net.ipv4.tcp_keepalive_time=7200",',
                         'command: ["sh", "-c", "sysctl -w net.ipv4.tcp_keepalive_time=7200",')
    assert _kernel_view(shell).effective("net.ipv4.tcp_keepalive_time") is None
