"""Kustomize overlays, held to the real kustomize (``kubectl kustomize``, kustomize v5 in kubectl).

tests/fixtures/kubernetes/kustomize-overlay-patches: a base CloudNativePG Cluster and four
overlays: strategic-merge patches setting one parameter each (``patches:`` and the older
``patchesStrategicMerge:``), a JSON 6902 patch file (``patchesJson6902:``), an inline JSON 6902
patch and an inline strategic-merge patch (``patches: - patch: |-``). The tool judges a patch for
what it sets; what it leaves out comes from the base when kustomize renders the overlay.

- Every "X is not set" finding the tool gives in ``before`` is true of the rendering of the
  kustomization the file belongs to: the base renders without X, and so does the overlay
  whose patch it is; every value a finding quotes is the value that rendering has.
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
KUSTOMIZATIONS = ("base", "overlays/prod", "overlays/staging", "overlays/dr", "overlays/qa")
# The files of each kustomization's own (its resources and patches; the base's are the base's):
# what the tool says of one is checked against that kustomization's rendering.
OWN_FILES = {
    "base": ("base/cluster.yaml",),
    "overlays/prod": ("overlays/prod/cluster-keepalives.yaml",),
    "overlays/staging": ("overlays/staging/patches/cluster.yaml", "overlays/staging/patches/instances.yaml"),
    "overlays/dr": ("overlays/dr/kustomization.yaml",),
    "overlays/qa": ("overlays/qa/kustomization.yaml",),
}
FINDING = re.compile(r"^(?P<file>[^:]+):\d+:\d+: PGF10\d (?P<name>\w+) = \"(?P<value>[^\"]*)\"")
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
def test_every_not_set_finding_is_true_of_its_kustomizations_rendering(tmp_path: Path) -> None:
    work = tmp_path / "before"
    shutil.copytree(CASE / "before", work)
    findings = run_cli(["."], work).stdout.splitlines()
    claims = [match.groupdict() for match in map(NOT_SET.match, findings) if match]
    assert claims, "the base leaves tcp_keepalives_count out: at least that finding"
    for claim in claims:
        (kustomization,) = [name for name, files in OWN_FILES.items() if claim["file"] in files]
        assert claim["name"] not in rendered_parameters(work, kustomization), (claim, kustomization)


@needs_kubectl
def test_every_value_a_finding_quotes_is_the_one_kustomize_renders(tmp_path: Path) -> None:
    """A value judged in a patch (strategic-merge or JSON 6902, in a file or inline) is the
    value of the overlay kustomize renders: the patch's wins over the base's."""
    work = tmp_path / "before"
    shutil.copytree(CASE / "before", work)
    findings = run_cli(["."], work).stdout.splitlines()
    claims = [match.groupdict() for match in map(FINDING.match, findings) if match]
    patched = {claim["file"] for claim in claims} - {"base/cluster.yaml"}
    assert patched == {
        "overlays/staging/patches/cluster.yaml", "overlays/staging/patches/instances.yaml", "overlays/dr/kustomization.yaml",
        "overlays/qa/kustomization.yaml",
    }  # fmt: skip
    for claim in claims:
        (kustomization,) = [name for name, files in OWN_FILES.items() if claim["file"] in files]
        assert rendered_parameters(work, kustomization)[claim["name"]] == claim["value"], (claim, kustomization)


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


FLUX = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: databases
spec:
  path: ./clusters/prod
  patches:
    - target:
        kind: PostgresCluster
      patch: |
        - op: add
          path: /spec/patroni/dynamicConfiguration/postgresql/parameters
          value:
            tcp_keepalives_idle: 7200
            tcp_keepalives_interval: 10
"""


def test_a_flux_kustomizations_inline_json_patch_is_judged_and_fixed_in_place(tmp_path: Path) -> None:
    """Flux's Kustomization applies ``spec.patches`` as kustomize does; a PGO map value set
    whole by an ``add`` is read key by key, and the fix keeps the plain (number) style PGO takes."""
    (tmp_path / "flux.yaml").write_text(FLUX)
    outcome = run_cli(["--show-fixes", "."], tmp_path)
    assert "flux.yaml:14:13: PGF101 tcp_keepalives_idle = 7200 is above the idle budget" in outcome.stdout, outcome.stdout
    run_cli(["--write", "."], tmp_path)
    fixed = (tmp_path / "flux.yaml").read_text()
    assert fixed == FLUX.replace("tcp_keepalives_idle: 7200", "tcp_keepalives_idle: 60")
    ops = yaml.safe_load(yaml.safe_load(fixed)["spec"]["patches"][0]["patch"])
    assert ops[0]["value"] == {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10}


def test_a_json_patch_of_another_kind_or_path_is_not_read(tmp_path: Path) -> None:
    """Only add/replace operations on the target kind's parameter map are settings."""
    text = FLUX.replace("kind: PostgresCluster", "kind: Deployment")
    (tmp_path / "flux.yaml").write_text(text)
    assert "PGF10" not in run_cli(["."], tmp_path).stdout
    text = FLUX.replace("- op: add", "- op: test")
    (tmp_path / "flux.yaml").write_text(text)
    assert "PGF10" not in run_cli(["."], tmp_path).stdout


CHARTS = Path(__file__).parent / "fixtures" / "kubernetes" / "kustomize-helm-charts-inline-values"
# Stands in for helm, which is not installed here: kustomize hands it the values it merged
# (``-f``), and this prints each values file as a ConfigMap named after the release, so that
# ``kubectl kustomize --enable-helm`` shows what helm would have been given.
FAKE_HELM = '''#!/usr/bin/env python3
import sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print("v3.14.0")
    sys.exit(0)
release = args[1]
files = [args[i + 1] for i, arg in enumerate(args) if arg in ("-f", "--values")]
for number, name in enumerate(files):
    text = open(name).read()
    print("---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: values-%s-%d\\ndata:\\n  values.yaml: |" % (release, number))
    print("".join("    " + line + "\\n" for line in text.splitlines()))
'''


def _inflated_values(root: Path) -> dict[str, dict]:
    """The values ``kubectl kustomize --enable-helm`` hands helm for each release of ``root``,
    with a local copy of the chart (the Bitnami chart's default ``extendedConfiguration: ""``)."""
    chart = root / "charts" / "postgresql-16.4.0" / "postgresql"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: postgresql\nversion: 16.4.0\n")
    (chart / "values.yaml").write_text('primary:\n  extendedConfiguration: ""\n  persistence:\n    size: 8Gi\n')
    helm = root.parent / "helm"
    helm.write_text(FAKE_HELM)
    helm.chmod(0o755)
    done = subprocess.run(["kubectl", "kustomize", "--enable-helm", "--helm-command", str(helm), str(root)],
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = {}
    for document in yaml.safe_load_all(done.stdout):
        release = document["metadata"]["name"].removeprefix("values-").rsplit("-", 1)[0]
        found[release] = yaml.safe_load(document["data"]["values.yaml"])
    return found


@needs_kubectl
def test_inline_chart_values_are_what_kustomize_hands_helm(pg_server: PgServer, tmp_path: Path) -> None:  # noqa: F811
    """A kustomization's ``helmCharts`` entry and a HelmChartInflationGenerator: their
    ``valuesInline`` win over the chart's values (valuesMerge override, the default), so the
    tool's findings are true of what helm gets, and after --write the server accepts the
    rendered extendedConfiguration with the budget's keepalives; under ``valuesMerge: merge``
    the chart's values win, and the tool leaves that entry unread."""
    work = tmp_path / "before" / "tree"
    shutil.copytree(CHARTS / "before", work)
    before = _inflated_values(work)
    assert "tcp_keepalives_idle = 7200" in before["orders-db"]["primary"]["extendedConfiguration"]
    assert before["audit-db"]["primary"]["extendedConfiguration"] == ""  # the chart's, not the entry's
    assert "tcp_keepalives" not in before["reports-db"]["primary"]["extendedConfiguration"]
    found = run_cli(["--no-cache", "."], work).stdout
    assert "helmCharts[0].valuesInline" in found and "helmCharts[1]" not in found
    written = tmp_path / "after" / "tree"
    shutil.copytree(CHARTS / "before", written)
    run_cli(["--write", "--no-cache", "."], written)
    after = _inflated_values(written)
    assert after["audit-db"] == before["audit-db"]
    for release in ("orders-db", "reports-db"):
        conf = tmp_path / "conf" / release
        conf.mkdir(parents=True)
        (conf / "postgresql.conf").write_text(after[release]["primary"]["extendedConfiguration"])
        for name, value in KEEPALIVES.items():
            assert pg_server.config_value(conf, name) == (0, value), release
