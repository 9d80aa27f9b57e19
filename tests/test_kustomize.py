"""Kustomize overlays, held to the real kustomize (``kubectl kustomize``, kustomize v5 in kubectl).

tests/fixtures/kubernetes/kustomize-overlay-patches: a base CloudNativePG Cluster and two
overlays whose strategic-merge patches set one parameter each (``patches:`` and the older
``patchesStrategicMerge:``), plus a JSON 6902 patch. The tool judges a patch for what it sets;
what it leaves out comes from the base when kustomize renders the overlay.

- Every "X is not set" finding the tool gives in ``before`` is true of each rendering that the
  file takes part in: the base renders without X, and so does every overlay whose patch it is.
- After ``--write``, every overlay renders with the idle budget's keepalives, which the real
  server accepts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server  # noqa: F401

CASE = Path(__file__).parent / "fixtures" / "kubernetes" / "kustomize-overlay-patches"
KUSTOMIZATIONS = ("base", "overlays/prod", "overlays/staging")
# The files each kustomization renders from (its own resources and patches, and its bases').
MADE_FROM = {
    "base": ("base/cluster.yaml",),
    "overlays/prod": ("base/cluster.yaml", "overlays/prod/cluster-keepalives.yaml"),
    "overlays/staging": ("base/cluster.yaml", "overlays/staging/patches/cluster.yaml"),
}
KEEPALIVES = {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6"}
NOT_SET = re.compile(r"^(?P<file>[^:]+):\d+:\d+: PGF10\d (?P<name>\w+) is not set")

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")


def rendered_parameters(root: Path, kustomization: str) -> dict[str, str]:
    """The Cluster's parameters as ``kubectl kustomize`` renders ``root/kustomization``."""
    done = subprocess.run(
        ["kubectl", "kustomize", str(root / kustomization)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    clusters = [doc for doc in yaml.safe_load_all(done.stdout) if isinstance(doc, dict) and doc.get("kind") == "Cluster"]
    assert len(clusters) == 1, done.stdout
    return clusters[0]["spec"]["postgresql"]["parameters"]


@needs_kubectl
def test_every_not_set_finding_is_true_of_each_rendering_the_file_is_part_of(tmp_path: Path) -> None:
    work = tmp_path / "before"
    shutil.copytree(CASE / "before", work)
    findings = run_cli(["."], work).stdout.splitlines()
    claims = [match.groupdict() for match in map(NOT_SET.match, findings) if match]
    assert claims, "the base leaves tcp_keepalives_count out: at least that finding"
    for claim in claims:
        renderings = [name for name, files in MADE_FROM.items() if claim["file"] in files]
        assert renderings, claim
        for kustomization in renderings:
            assert claim["name"] not in rendered_parameters(work, kustomization), (claim, kustomization)


@needs_kubectl
def test_a_patch_left_partial_renders_with_the_base_values(tmp_path: Path) -> None:
    """The prod patch sets tcp_keepalives_idle only, and renders with the base's interval:
    the tool gives it no finding (it used to say the interval and count were not set there)."""
    work = tmp_path / "before"
    shutil.copytree(CASE / "before", work)
    findings = run_cli(["."], work).stdout
    assert "overlays/prod/" not in findings
    assert rendered_parameters(work, "overlays/prod")["tcp_keepalives_interval"] == "10"


@needs_kubectl
def test_after_write_every_overlay_renders_with_the_budget_keepalives(
    pg_server: PgServer, tmp_path: Path  # noqa: F811
) -> None:
    work = tmp_path / "work"
    shutil.copytree(CASE / "before", work)
    run_cli(["--write", "."], work)
    for kustomization in KUSTOMIZATIONS:
        parameters = rendered_parameters(work, kustomization)
        assert {name: parameters.get(name) for name in KEEPALIVES} == KEEPALIVES, kustomization
        conf = work / "conf" / kustomization.replace("/", "-")
        conf.mkdir(parents=True)
        (conf / "postgresql.conf").write_text("".join(f"{name} = '{value}'\n" for name, value in parameters.items()))
        assert pg_server.config_value(conf, "tcp_keepalives_idle") == (0, "60")


def test_a_kustomization_elsewhere_does_not_make_a_file_a_patch(tmp_path: Path) -> None:
    """Only a kustomization in the file's folder or above names it (kustomize refuses a patch
    outside its folder), and only as a patch: a resource it lists is a whole resource."""
    (tmp_path / ".git").mkdir()
    cluster = (CASE / "before" / "overlays" / "prod" / "cluster-keepalives.yaml").read_text()
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / "cluster.yaml").write_text(cluster)
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text("patches:\n  - path: ../patches/cluster.yaml\n")
    (tmp_path / "listed").mkdir()
    (tmp_path / "listed" / "cluster.yaml").write_text(cluster)
    (tmp_path / "listed" / "kustomization.yaml").write_text("resources:\n  - cluster.yaml\n")
    findings = run_cli(["."], tmp_path).stdout
    for folder in ("patches", "listed"):
        assert f"{folder}/cluster.yaml:8:5: PGF102 tcp_keepalives_interval is not set" in findings, findings
