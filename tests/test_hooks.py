"""pre-commit hooks and the GitHub composite action, driven for real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BAD_CONF = "listen_addresses = '*'\n#tcp_keepalives_idle = 0\t# seconds\ntcp_keepalives_interval = 75\n"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)


def _hook_files_regex() -> re.Pattern[str]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {hook["id"] for hook in hooks} == {"pgconf-fix", "pgconf-fix-write"}
    patterns = {hook["files"] for hook in hooks}
    assert len(patterns) == 1
    return re.compile(patterns.pop())


@pytest.mark.parametrize(
    "path",
    [
        "postgresql.conf", "etc/postgresql/15/main/conf.d/10-keepalive.conf", "postgresql.auto.conf",
        "etc/sysctl.conf", "etc/sysctl.d/60-net.conf", "infra/alb.tf", "migrations/0001_settings.sql",
        "app/settings.py", ".env", ".env.production", "env.sample", "docker-compose.yml", "k8s/db.yaml",
        "config.json", "pyproject.toml", "setup.cfg", "app.ini", "application.properties", "deploy.sh",
        "Dockerfile", "docker/Dockerfile.prod", "cmd/api/main.go", "web/db.js", "src/main/java/Db.java", ".envrc",
        "Procfile", "src/main.rs",
    ],
)
def test_hook_files_pattern_covers_every_kind(path: str) -> None:
    assert _hook_files_regex().search(path)


@pytest.mark.parametrize("path", ["README.md", "logo.png", "Cargo.lock", "notes.txt", "docs/conf.py.md"])
def test_hook_files_pattern_skips_other_files(path: str) -> None:
    assert not _hook_files_regex().search(path)


def test_hook_files_pattern_is_generated_from_discovery_table() -> None:
    from pgconf_fix import docs
    from pgconf_fix.discovery import CANDIDATES, candidate, pre_commit_files

    from pgconf_fix.layers import layer_modules

    assert {layer.NAME for layer in layer_modules()} == set(CANDIDATES), "every layer names its files in CANDIDATES"
    assert (ROOT / ".pre-commit-hooks.yaml").read_text() == docs.pre_commit_hooks(), "run: python -m pgconf_fix.docs"
    assert _hook_files_regex().pattern == pre_commit_files()
    # They agree name by name: on the table's own patterns made concrete, and on other names.
    names = {glob.replace("*", "x") for globs in CANDIDATES.values() for glob in globs}
    names |= {"README.md", "x.conf.md", "notes.txt", "Dockerfile", "sub.dir.yaml", ".env.local", "a.tfvars", "x.SQL"}
    for name in sorted(names):
        wanted = any(candidate(layer, name) for layer in CANDIDATES)
        assert bool(_hook_files_regex().search(f"deep/dir/{name}")) == wanted, name


def test_every_file_the_cli_reads_in_the_corpus_reaches_the_hook(tmp_path: Path) -> None:
    from pgconf_fix.discovery import discover
    from pgconf_fix.layers import layer_modules

    pattern = _hook_files_regex()
    for root in (ROOT / "tests" / "fixtures", ROOT / "examples"):
        found = discover([str(root)], layer_modules(), root)
        read = [path.relative_to(root).as_posix() for files in found.files.values() for path, _ in files]
        assert read and [path for path in read if not pattern.search(path)] == []


def _pre_commit() -> list[str]:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is a test dependency; it must be installed in CI")
        pytest.skip("pre-commit is not installed")
    return [sys.executable, "-m", "pre_commit"]


def test_pre_commit_try_repo_check_then_fix(tmp_path: Path) -> None:
    pre_commit = _pre_commit()
    checkout = tmp_path / "hook-repo"
    # try-repo builds the hook from a git repository: take this checkout as it is on disk.
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", ".venv*",
                                                                   ".pytest_cache", ".hypothesis"))
    _git(checkout, "init", "-q")
    _git(checkout, "add", "-A")
    _git(checkout, "commit", "-q", "-m", "snapshot")
    project = tmp_path / "project"
    (project / "db").mkdir(parents=True)
    (project / "db" / "postgresql.conf").write_text(BAD_CONF)
    (project / "README.md").write_text("hello\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def hook(hook_id: str) -> subprocess.CompletedProcess:
        return subprocess.run([*pre_commit, "try-repo", str(checkout), hook_id, "--all-files"], cwd=project,
                              env=env, capture_output=True, text=True, timeout=600)

    check = hook("pgconf-fix")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "db/postgresql.conf:2:1: PGF101" in check.stdout
    fix = hook("pgconf-fix-write")
    assert fix.returncode == 1  # files were modified: pre-commit fails so the change is reviewed
    assert "files were modified by this hook" in fix.stdout
    fixed = (project / "db" / "postgresql.conf").read_text()
    assert "tcp_keepalives_idle = 60\t# seconds\n" in fixed and "tcp_keepalives_interval = 10\n" in fixed
    _git(project, "add", "-A")
    again = hook("pgconf-fix")
    assert again.returncode == 0, again.stdout + again.stderr


def test_pre_commit_run_all_files_with_both_hooks_and_excludes(tmp_path: Path) -> None:
    """`pre-commit run --all-files` from a real .pre-commit-config.yaml: a file the project's
    pgconf-fix config excludes is neither reported nor rewritten (the hooks pass
    --force-exclude), a file pre-commit's own `exclude` leaves out is never passed, and
    kinds outside the old pattern (.go, Procfile) reach the hook."""
    pre_commit = _pre_commit()
    checkout = tmp_path / "hook-repo"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", ".venv*",
                                                                   ".pytest_cache", ".hypothesis"))
    _git(checkout, "init", "-q")
    _git(checkout, "add", "-A")
    _git(checkout, "commit", "-q", "-m", "snapshot")
    sha = _git(checkout, "rev-parse", "HEAD").stdout.strip()
    project = tmp_path / "project"
    for where in ("db", "legacy", "vendored"):
        (project / where).mkdir(parents=True)
        (project / where / "postgresql.conf").write_text(BAD_CONF)
    (project / "main.go").write_text('package main\n\nconst dsn = "host=db.example.com dbname=app sslmode=require"\n')
    (project / "Procfile").write_text("web: DATABASE_URL=postgresql://u@db.example.com/app?sslmode=require gunicorn app\n")
    (project / ".pgconf-fix.toml").write_text('exclude = ["legacy/"]\n')
    (project / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["flask"]\n')
    (project / ".pre-commit-config.yaml").write_text(
        f"exclude: ^vendored/\nrepos:\n  - repo: {checkout}\n    rev: {sha}\n    hooks:\n"
        "      - id: pgconf-fix-write\n      - id: pgconf-fix\n"
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    run = subprocess.run([*pre_commit, "run", "--all-files"], cwd=project, env=env, capture_output=True, text=True,
                         timeout=900)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "files were modified by this hook" in output
    assert "tcp_keepalives_idle = 60" in (project / "db" / "postgresql.conf").read_text()
    assert (project / "legacy" / "postgresql.conf").read_text() == BAD_CONF
    assert (project / "vendored" / "postgresql.conf").read_text() == BAD_CONF
    assert "legacy/" not in output and "vendored/" not in output
    assert "main.go:3:" in output and "Procfile:1:" in output  # PGF401: reported by the check hook
    # Read as the config and the pins, not "not checked" (pre-commit names them on every change).
    assert "pyproject.toml" not in output and ".pgconf-fix.toml" not in output, output
    _git(project, "add", "-A")
    again = subprocess.run([*pre_commit, "run", "--all-files", "pgconf-fix-write"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=600)
    assert "files were modified" not in again.stdout + again.stderr


PYTHON_312 = sorted(Path("/root/.pyenv/versions").glob("3.12*/bin/python3.12")) if Path("/root/.pyenv").exists() else []


def _python_312() -> Path:
    """A real Python 3.12 to stand in for what actions/setup-python installs on the runner."""
    found = shutil.which("python3.12")
    candidates = [*PYTHON_312, *([Path(found)] if found else [])]
    for candidate in candidates:
        probe = subprocess.run([str(candidate), "-c", "import sys, venv; print(sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 12)":
            return candidate.resolve()
    pytest.skip("no Python 3.12 on this machine (looked in /root/.pyenv/versions and PATH)")


def _expand(value: str, inputs: dict[str, str], context: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return _value(match.group(1).strip(), inputs, context)

    return re.sub(r"\$\{\{(.*?)\}\}", replace, value)


def _value(expression: str, inputs: dict[str, str], context: dict[str, str]) -> str:
    if expression.startswith("inputs."):
        return inputs[expression.removeprefix("inputs.")]
    return context.get(expression, "")


def _condition(expression: str | None, inputs: dict[str, str], context: dict[str, str], failed: bool) -> bool:
    """The `if:` forms action.yml uses: always(), `a == 'x'`, `a != ''`, joined by &&.
    Without always(), a step runs only while no step has failed (the runner's success())."""
    if expression is None:
        return not failed
    terms = [term.strip() for term in expression.split("&&")]
    result = "always()" in terms or not failed
    for term in terms:
        if term == "always()":
            continue
        match = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", term)
        assert match, f"action.yml uses an expression this runner does not know: {term}"
        left = _value(match.group(1), inputs, context)
        result = result and ((left == match.group(3)) == (match.group(2) == "=="))
    return result


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP, shared by the action runs of this module as by the steps of one job: the
    first run's Install step makes the venv and installs pgconf-fix into it; a later run's
    Install step runs again, for real, over that venv (as a second use of the action in one
    job does), instead of downloading and installing every dependency a second time."""
    return tmp_path_factory.mktemp("runner-temp")


def run_action(
    tmp_path: Path, workspace: Path, inputs: dict[str, str], runner_temp: Path
) -> dict[str, subprocess.CompletedProcess]:
    """Run the composite action's steps the way the runner does: `run:` steps with bash under
    GITHUB_ACTIONS=true; actions/setup-python by putting a real Python of the asked version
    first on PATH; code scanning's upload by checking what it would upload. Returns each
    step's result by name (uploads: the SARIF document's path as stdout)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update(inputs)
    github_path = tmp_path / "github-path"
    github_path.write_text("")
    summary = tmp_path / "summary.md"
    context = {"github.action_path": str(ROOT)}
    results: dict[str, subprocess.CompletedProcess] = {}
    failed = False
    for step in action["runs"]["steps"]:
        if not _condition(step.get("if"), values, context, failed):
            continue
        name = step["name"]
        if "uses" in step:
            action_name, _, version = step["uses"].partition("@")
            assert version, f"{name}: pin a version"
            arguments = {key: _expand(str(value), values, context) for key, value in step.get("with", {}).items()}
            if action_name == "actions/setup-python":
                assert arguments["python-version"] == "3.12"
                with github_path.open("a") as handle:
                    handle.write(f"{_python_312().parent}\n")
                results[name] = subprocess.CompletedProcess(step["uses"], 0, "", "")
            elif action_name == "github/codeql-action/upload-sarif":
                sarif = workspace / arguments["sarif_file"]
                assert sarif.is_file(), f"{name}: {sarif} was not written"
                results[name] = subprocess.CompletedProcess(step["uses"], 0, str(sarif), "")
            else:
                raise AssertionError(f"{name}: this test does not know {step['uses']}")
            continue
        extra_path = [line for line in github_path.read_text().splitlines() if line]
        output = tmp_path / f"output-{len(results)}"
        output.write_text("")
        env = {
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_PATH": str(github_path),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "PATH": os.pathsep.join([*reversed(extra_path), "/usr/bin", "/bin"]),
        }
        for key in ("VIRTUAL_ENV", "PYTHONPATH"):
            env.pop(key, None)
        for key, value in step.get("env", {}).items():
            env[key] = _expand(str(value), values, context)
        assert step["shell"] == "bash"
        result = subprocess.run(["bash", "-e", "-c", _expand(step["run"], values, context)], cwd=workspace, env=env,
                                capture_output=True, text=True, timeout=900)
        results[name] = result
        for line in output.read_text().splitlines():
            key, _, value = line.partition("=")
            if step.get("id"):
                context[f"steps.{step['id']}.outputs.{key}"] = value
        failed = failed or result.returncode != 0
    return results


def test_composite_action_steps(tmp_path: Path, runner_temp: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "db").mkdir(parents=True)
    (workspace / "db" / "postgresql.conf").write_text(BAD_CONF)
    (workspace / "elsewhere").mkdir()
    (workspace / "elsewhere" / "postgresql.conf").write_text(BAD_CONF)
    steps = run_action(tmp_path, workspace, {"paths": "db", "args": "--select PGF101"}, runner_temp)
    assert list(steps) == ["Set up Python", "Install pgconf-fix", "Run pgconf-fix"]  # no SARIF unless asked
    install, run = steps["Install pgconf-fix"], steps["Run pgconf-fix"]
    assert install.returncode == 0, install.stderr
    venv_python = runner_temp / "pgconf-fix-venv" / "bin" / "python"
    version = subprocess.run([str(venv_python), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True)
    assert version.stdout.strip() == "(3, 12)"  # the venv is made by setup-python's interpreter
    assert run.returncode == 1, run.stderr
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert annotations == [
        annotations[0]
    ] and annotations[0].startswith("::warning file=db/postgresql.conf,line=2,col=1,")
    assert "title=pgconf-fix (PGF101)" in annotations[0]
    assert "elsewhere" not in run.stdout
    assert "### pgconf-fix" in (tmp_path / "summary.md").read_text()


def test_composite_action_writes_and_uploads_sarif(tmp_path: Path, runner_temp: Path) -> None:
    import json

    import jsonschema

    workspace = tmp_path / "workspace"
    (workspace / "db").mkdir(parents=True)
    (workspace / "db" / "postgresql.conf").write_text(BAD_CONF)
    steps = run_action(tmp_path, workspace, {"paths": "db", "sarif": "true"}, runner_temp)
    assert list(steps) == ["Set up Python", "Install pgconf-fix", "Write SARIF", "Upload SARIF to code scanning",
                           "Run pgconf-fix"]
    assert steps["Install pgconf-fix"].returncode == 0, steps["Install pgconf-fix"].stderr
    assert steps["Write SARIF"].returncode == 0, steps["Write SARIF"].stderr
    assert steps["Run pgconf-fix"].returncode == 1
    document = json.loads(Path(steps["Upload SARIF to code scanning"].stdout).read_text())
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    assert {r["ruleId"] for r in document["runs"][0]["results"]} == {"PGF101", "PGF102", "PGF103"}


def test_composite_action_keeps_its_formats_whatever_the_args(tmp_path: Path, runner_temp: Path) -> None:
    """args came after the action's own flags: "--format json" won over the annotations and the
    SARIF file (code scanning got JSON), and "--exit-non-zero-on-fix" met the SARIF step's
    --exit-zero, a usage error."""
    import json

    workspace = tmp_path / "workspace"
    (workspace / "db").mkdir(parents=True)
    (workspace / "db" / "postgresql.conf").write_text(BAD_CONF)
    args = "--format json --exit-non-zero-on-fix --select PGF101"
    steps = run_action(tmp_path, workspace, {"paths": "db", "sarif": "true", "args": args}, runner_temp)
    assert steps["Write SARIF"].returncode == 0, steps["Write SARIF"].stderr
    document = json.loads(Path(steps["Upload SARIF to code scanning"].stdout).read_text())
    assert document["version"] == "2.1.0" and [r["ruleId"] for r in document["runs"][0]["results"]] == ["PGF101"]
    run = steps["Run pgconf-fix"]
    assert run.returncode == 1, run.stderr
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(annotations) == 1 and annotations[0].startswith("::warning file=db/postgresql.conf,line=2,"), run.stdout


def test_readme_names_action_and_hook_versions_that_resolve() -> None:
    """The README pins the action and the hooks to a commit (no release tag exists yet), and
    the third-party actions action.yml uses are named by their published major tags."""
    readme = (ROOT / "README.md").read_text()
    assert "pgconf-fix/pgconf-fix@v0.1.0" not in readme and "rev: v0.1.0" not in readme
    assert re.search(r"uses: pgconf-fix/pgconf-fix@<full commit SHA>", readme)
    assert re.search(r"rev: <full commit SHA>", readme)
    uses = [step["uses"] for step in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"] if "uses" in step]
    assert uses == ["actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
