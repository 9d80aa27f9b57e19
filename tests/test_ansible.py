"""Ansible's sysctl tasks and server settings as pgconf_fix.views.ansible reads them, held to
real Ansible, the real kernel and the real server.

Ansible (the ``ansible`` package from PyPI, which ships ansible.posix) is found through
``PGCONF_FIX_ANSIBLE`` (its ``ansible-playbook``), else the venv ``.ci/run`` makes, else
``ansible-playbook`` on PATH; without it the live tests skip with the reason. Every run happens
inside ``unshare -n``: the keepalive keys written there belong to a namespace that dies with
the command, and ``module_defaults`` points every sysctl task at a file of the test's own, so
the host's /etc/sysctl.conf is never read or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from yaml.nodes import ScalarNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.source import SourceFile
from pgconf_fix.views.ansible import (
    ROLE_OPTIONS,
    ansible_server_views,
    ansible_sysctl_views,
    module_value,
)
from tests.pg_server import PgServer, pg_server  # noqa: F401 - pg_server is a fixture

FIXTURE = Path(__file__).parent / "fixtures/yaml/ansible-sysctl-tasks"
SERVER_FIXTURE = Path(__file__).parent / "fixtures/yaml/ansible-server-settings"
GUCS = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
KEYS = ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes")
MODULES = ("ansible.posix.sysctl", "ansible.builtin.sysctl", "sysctl")


def _ansible_playbook() -> Path | None:
    override = os.environ.get("PGCONF_FIX_ANSIBLE")
    if override:
        return Path(override)
    cache = Path("/var/cache") if os.getuid() == 0 else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    made = cache / "pgconf-fix-ci" / "ansible" / "bin" / "ansible-playbook"
    if made.exists():
        return made
    found = shutil.which("ansible-playbook")
    return Path(found) if found else None


@pytest.fixture(scope="module")
def ansible() -> Path:
    playbook = _ansible_playbook()
    if playbook is None:
        pytest.skip("no ansible-playbook (set PGCONF_FIX_ANSIBLE, or run .ci/run, which installs ansible)")
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.strip()}")
    return playbook


def _playbook(ansible: Path, play: Path, *, namespace: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": str(ansible.parent / "python"), "ANSIBLE_NOCOLOR": "1"}
    argv = [str(ansible), "-i", "localhost,", "-c", "local", str(play)]
    return subprocess.run(
        ["unshare", "-n", *argv] if namespace else argv, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def _run(ansible: Path, tasks: list[Path], directory: Path) -> tuple[dict[str, int], str]:
    """Import ``tasks`` into one play on localhost, run it inside ``unshare -n`` with every sysctl
    task writing to a file of ``directory``; returns the namespace's keepalive values after it
    and the file the tasks wrote."""
    written = directory / "sysctl.conf"
    defaults = "".join(f"    {module}: {{sysctl_file: {written}}}\n" for module in MODULES)
    imports = "".join(f"    - import_tasks: {path}\n" for path in tasks)
    play = directory / "play.yml"
    play.write_text(f"- hosts: localhost\n  gather_facts: false\n  module_defaults:\n{defaults}  tasks:\n{imports}")
    read = " ".join(f"/proc/sys/{key.replace('.', '/')}" for key in KEYS)
    script = f'"$1" -i localhost, -c local "$2" >&2 && cat {read}'
    env = {**os.environ, "ANSIBLE_PYTHON_INTERPRETER": str(ansible.parent / "python"), "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "sh", str(ansible), str(play)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    values = dict(zip(KEYS, (int(line) for line in done.stdout.split())))
    return values, written.read_text() if written.exists() else ""


def _view_values(path: Path, views=ansible_sysctl_views, keys: tuple[str, ...] = KEYS) -> dict[str, str | None]:
    """The value pgconf-fix says each of ``keys`` has in ``path``'s ``views`` (None: unknown)."""
    source = SourceFile.from_bytes(path, path.name, path.read_bytes())
    found: dict[str, str | None] = {}
    for root in Y.compose_documents(source.text):
        for view in views(source, root):
            for key in keys:
                current = view.effective(key)
                if current is not None:
                    found[key] = None if "{{" in current.value else current.value
    return found


@pytest.mark.parametrize("tree", ["before", "after"])
def test_the_kernel_keeps_what_we_read(ansible: Path, tmp_path: Path, tree: str) -> None:
    """Each task file of the fixture run alone by Ansible: every keepalive value pgconf-fix
    knows is the namespace's value afterwards."""
    files = sorted((FIXTURE / tree).rglob("tasks/*.yml"))
    assert files
    for index, path in enumerate(files):
        work = tmp_path / f"{tree}-{index}"
        work.mkdir()
        kernel, _ = _run(ansible, [path], work)
        known = {key: value for key, value in _view_values(path).items() if value is not None}
        for key, value in known.items():
            assert kernel[key] == int(value.strip("'\"")), f"{path}: {key}"
        if path.name == "main.yml":
            assert set(known) == set(KEYS)  # key/val aliases, sysctl and ansible.builtin.sysctl read
            expected = {"before": (7200, 75, 6), "after": (60, 10, 6)}[tree]
            assert tuple(kernel[key] for key in KEYS) == expected


# Values as a task writes them, and the line Ansible's module wrote for each (ansible 2.19.14,
# ansible.posix sysctl; test_values_as_ansible_writes_them asks it again).
WRITTEN = [
    ("7200", "7200"),
    ("'7200'", "7200"),
    ('" 600 "', "600"),
    ("0x3c", "60"),
    ("yes", "1"),
    ("'on'", "1"),
    ("false", "0"),
    ("'No'", "0"),
    ("1.5", "1.5"),
    ("'600 # x'", "600 # x"),
]


def _value_node(written: str) -> ScalarNode:
    (root,) = Y.compose_documents(f"value: {written}\n")
    node = Y.get(root, "value")
    assert isinstance(node, ScalarNode)
    return node


@pytest.mark.parametrize(("written", "line"), WRITTEN)
def test_module_value(written: str, line: str) -> None:
    assert module_value(_value_node(written)) == line


def test_values_as_ansible_writes_them(ansible: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "values.yml"
    # reload: no and no sysctl_set: the module only writes its file (the key is irrelevant).
    tasks.write_text(
        "".join(
            f"- ansible.posix.sysctl:\n    name: net.ipv4.tcp_keepalive_time{index}\n"
            f"    value: {written}\n    reload: false\n    ignoreerrors: true\n"
            for index, (written, _) in enumerate(WRITTEN)
        )
    )
    _, file_text = _run(ansible, [tasks], tmp_path)
    lines = dict(line.split("=", 1) for line in file_text.splitlines() if line)
    assert [lines[f"net.ipv4.tcp_keepalive_time{index}"] for index in range(len(WRITTEN))] == [line for _, line in WRITTEN]


def test_templated_and_removed_entries_are_not_claimed() -> None:
    values = _view_values(FIXTURE / "before/roles/db/tasks/tuned.yml")
    assert values == {"net.ipv4.tcp_keepalive_time": None}  # state: absent sets nothing


def test_a_kubernetes_manifest_is_no_task_list() -> None:
    text = "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    sysctls:\n      - name: net.ipv4.tcp_keepalive_time\n        value: '600'\n"
    source = SourceFile.from_bytes(Path("/nowhere/pod.yaml"), "pod.yaml", text.encode())
    (root,) = Y.compose_documents(text)
    assert ansible_sysctl_views(source, root) == []


# -- the server's side ---------------------------------------------------------------------


def _server_values(path: Path) -> dict[str, str | None]:
    return _view_values(path, ansible_server_views, GUCS)


@pytest.mark.parametrize("tree", ["before", "after"])
def test_the_server_reads_the_role_options_as_we_do(ansible: Path, pg_server: PgServer, tmp_path: Path, tree: str) -> None:  # noqa: F811
    """The role's list rendered by real Ansible into postgresql.conf lines of the role's form
    (``option = 'value'``, geerlingguy.postgresql tasks/configure.yml), then read by the real
    server with ``postgres -C``: each value in seconds is what pgconf-fix's view reads."""
    variables = SERVER_FIXTURE / tree / "group_vars/db.yml"
    with pg_server.staged() as conf_dir:
        conf = conf_dir / "postgresql.conf"
        play = tmp_path / "render.yml"
        play.write_text(
            "- hosts: localhost\n  gather_facts: false\n"
            f"  vars_files: [{variables}]\n  tasks:\n"
            "    - ansible.builtin.lineinfile:\n"
            f"        path: {conf}\n        create: true\n"
            "        line: \"{{ item.option }} = '{{ item.value }}'\"\n"
            "        state: \"{{ item.state | default('present') }}\"\n"
            f"      loop: \"{{{{ {ROLE_OPTIONS} }}}}\"\n"
        )
        done = _playbook(ansible, play, namespace=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "tcp_keepalives_idle = '" in conf.read_text()
        ours = _server_values(variables)
        assert set(ours) == set(GUCS)
        for key in GUCS:
            code, value = pg_server.config_value(conf_dir, key)
            assert code == 0, value
            expected = {"before": {"tcp_keepalives_idle": "7200", "tcp_keepalives_interval": "75", "tcp_keepalives_count": "6"},
                        "after": {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "6"}}
            assert value == expected[tree][key]
            assert ours[key] is not None and ours[key].rstrip("s") == value


@pytest.mark.parametrize("tree", ["before", "after"])
def test_postgresql_set_values_are_accepted_as_alter_system_writes_them(pg_server: PgServer, tree: str) -> None:  # noqa: F811
    """postgresql_set runs ALTER SYSTEM SET name = 'value', which the server keeps as that line
    in postgresql.auto.conf: each known value of the fixture's tasks, so written, is read by the
    real server as the number pgconf-fix judges."""
    values = _server_values(SERVER_FIXTURE / tree / "playbooks/tune.yml")
    assert values == {"tcp_keepalives_idle": {"before": "600", "after": "60"}[tree], "tcp_keepalives_count": None}
    with pg_server.staged() as conf_dir:
        (conf_dir / "postgresql.conf").write_text("")
        (conf_dir / "postgresql.auto.conf").write_text("".join(f"{k} = '{v}'\n" for k, v in values.items() if v is not None))
        assert pg_server.config_value(conf_dir, "tcp_keepalives_idle") == (0, values["tcp_keepalives_idle"])


def _postgresql_set_source(ansible: Path) -> str | None:
    found = sorted(ansible.parent.parent.glob("lib/python3*/site-packages/ansible_collections/community/postgresql/plugins/modules/postgresql_set.py"))
    return found[0].read_text() if found else None


DEFAULT_TASKS = (
    "- community.postgresql.postgresql_set: {name: tcp_keepalives_idle, value: default}\n"
    "- community.postgresql.postgresql_set: {name: ssl_renegotiation_limit, value: default}\n"
    "- community.postgresql.postgresql_set: {name: tcp_keepalives_count, value: DEFAULT}\n"
)


def test_postgresql_set_value_default_sets_nothing(tmp_path: Path) -> None:
    """``value: default`` makes postgresql_set run ``ALTER SYSTEM SET name = DEFAULT``, which
    takes the name out of postgresql.auto.conf: no value is set, so none is judged (it was
    PGF001 "not an integer" and a PGF104 whose fix wrote 0). The module compares with
    'default' as written; ``DEFAULT`` is sent as the string 'DEFAULT', which the server refuses."""
    from tests.cli_runner import run_cli

    playbook = _ansible_playbook()
    module = _postgresql_set_source(playbook) if playbook is not None else None
    if module is not None:  # the collection's own source says so
        assert "if value == 'default':" in module and "ALTER SYSTEM SET %s = DEFAULT" in module
    (tmp_path / "tasks.yml").write_text(DEFAULT_TASKS)
    outcome = run_cli(["--no-cache", "--format", "json", "."], tmp_path)
    assert [(f["code"], f["line"]) for f in json.loads(outcome.stdout)] == [("PGF001", 3)]


@pytest.mark.parametrize(
    ("task", "value"),
    [
        ("sysctl: name=net.ipv4.tcp_keepalive_time value=7200", "7200"),
        ("sysctl: name=net.ipv4.tcp_keepalive_time value=yes reload=no", "1"),
        ("sysctl: name=net.ipv4.tcp_keepalive_time value=7200 state=absent", None),
        ("sysctl: name=net.ipv4.tcp_keepalive_time value='7200'", None),  # quoted: not followed here
        ("sysctl: name=net.ipv4.tcp_keepalive_time value={{ time }}", None),
        ("sysctl: 'name=net.ipv4.tcp_keepalive_time value=7200'", None),
    ],
)
def test_free_form_arguments(tmp_path: Path, task: str, value: str | None) -> None:
    """Free-form arguments of plain key=value words are read as Ansible's parse_kv splits them;
    anything else (quotes, Jinja, a quoted scalar) is not guessed."""
    path = tmp_path / "tasks.yml"
    path.write_text(f"- {task}\n")
    assert _view_values(path).get("net.ipv4.tcp_keepalive_time") == value


def test_a_task_that_merges_itself_is_read_once() -> None:
    """The composer lets a mapping merge itself (``&t {<<: *t}``): read once, not followed round
    the loop (it was a RecursionError)."""
    text = (
        "- &t\n  <<: *t\n  ansible.posix.sysctl:\n    name: net.ipv4.tcp_keepalive_time\n    value: 7200\n"
        "- &u\n  <<: *u\n  shell: echo\n"  # no sysctl key of its own: its merge is followed
    )
    source = SourceFile.from_bytes(Path("/nowhere/tasks.yml"), "tasks.yml", text.encode())
    (root,) = Y.compose_documents(text)
    (view,) = ansible_sysctl_views(source, root)
    assert view.effective("net.ipv4.tcp_keepalive_time").value == "7200"
