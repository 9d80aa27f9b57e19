"""Kubernetes' $(VAR) expansion of container args, as pgconf_fix.documents.k8s_expansion reads it.

The expected strings in ``EXPANDED`` are what Kubernetes' own ``Expand`` returned
(``third_party/forked/golang/expansion/expand.go``, built with Go 1.19.8 as a small program
with the mapping A=1, B=x$(A), "C D"=sp and every other name unresolved). The same program
and ``expand`` agreed on 200,000 random strings of ``$ ( ) A B C D x =`` and blanks; that
oracle is not in the repository (it is Kubernetes' code), only its answers are.
"""

from __future__ import annotations

import pytest

from pgconf_fix.documents.k8s_expansion import (
    UNKNOWN_VALUE,
    ContainerEnvironment,
    expand,
)

MAPPING = {"A": "1", "B": "x$(A)", "C D": "sp"}

EXPANDED = [
    ("$(A)", "1"),
    ("$$(A)", "$(A)"),  # $$ escapes
    ("$$$(A)", "$1"),
    ("$(A", "$(A"),  # unclosed: kept
    ("$", "$"),
    ("a$", "a$"),
    ("$x$(A)", "$x1"),  # a lone $ keeps the character after it
    ("$(Z)", "$(Z)"),  # unresolved: kept as written
    ("$()", "$()"),
    ("$(A)$(B)", "1x$(A)"),  # a value is not expanded again
    ("$((A))", "$((A))"),  # the name is "(A"
    ("$(C D)", "sp"),  # any characters make a name
    ("$$", "$"),
    ("$$$", "$$"),
    ("tcp_keepalives_idle=$(A)0", "tcp_keepalives_idle=10"),
]


@pytest.mark.parametrize(("text", "expected"), EXPANDED)
def test_the_table_of_kubernetes_expansions(text: str, expected: str) -> None:
    assert expand(text, MAPPING.get).text == expected


def test_names_replaced_and_kept_are_told_apart() -> None:
    found = expand("$(A)-$(Z)-$$(A)", MAPPING.get)
    assert found.text == "1-$(Z)-$(A)"
    assert found.names == ("A",) and found.kept == ("Z",)


def test_the_environment_is_built_in_order_as_the_kubelet_builds_it() -> None:
    env = ContainerEnvironment()
    env.define("BASE", "7200", 10)
    env.define("IDLE", "$(BASE)", 20)  # an item reads the items before it
    env.define("LATER", "$(AFTER)", 30)  # not yet defined: kept as written
    env.define("AFTER", "1", 40)
    env.define("SECRET", None, 50)  # valueFrom
    assert env.lookup("IDLE") == "7200"
    assert env.lookup("LATER") == "$(AFTER)"
    assert env.lookup("SECRET") == UNKNOWN_VALUE
    assert env.lookup("NOPE") is None
    assert env.lookup("DB_SERVICE_HOST") == UNKNOWN_VALUE  # a service link's variable
    assert env.lookup("DB_PORT_5432_TCP_ADDR") == UNKNOWN_VALUE
    env.define("IDLE", "60", 60)  # a later item of the same name wins
    assert env.lookup("IDLE") == "60"
    env.define("USES_SECRET", "$(SECRET)s", 70)
    assert env.lookup("USES_SECRET") == UNKNOWN_VALUE


def test_env_from_and_service_links_open_the_environment() -> None:
    closed = ContainerEnvironment(service_links=False)
    assert closed.lookup("DB_SERVICE_HOST") is None
    opened = ContainerEnvironment(open=True, service_links=False)  # envFrom may bring any name
    assert opened.lookup("ANYTHING") == UNKNOWN_VALUE
    opened.define("ANYTHING", "5", 1)  # env wins over envFrom
    assert opened.lookup("ANYTHING") == "5"


def test_a_secret_variable_is_never_expanded() -> None:
    """Its value would reach messages (an invalid value is quoted): it is taken as not known."""
    env = ContainerEnvironment(service_links=False)
    env.define("POSTGRES_PASSWORD", "Sup3rS3cret", 1)
    env.define("pgpass_file_secret", "x", 2)
    env.define("COPY", "$(POSTGRES_PASSWORD)", 3)
    for name in ("POSTGRES_PASSWORD", "pgpass_file_secret", "COPY"):
        assert env.lookup(name) == UNKNOWN_VALUE


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: pg
spec:
  containers:
    - name: postgres
      image: postgres:16
      env:
        - name: POSTGRES_PASSWORD
          value: "Sup3rS3cret"
        - name: IDLE
          value: "$(POSTGRES_PASSWORD)"
      args: ["-c", "tcp_keepalives_idle=$(POSTGRES_PASSWORD)", "-c", "tcp_keepalives_interval=$(IDLE)"]
"""


@pytest.mark.parametrize("form", ["text", "json", "sarif", "github"])
def test_a_password_in_the_env_is_not_quoted_through_a_reference(tmp_path, form: str) -> None:
    """Messages never quote it. (A --diff is not checked: it is a patch, made of the file's own
    lines, as a DSN's password in a changed line is shown there too.)"""
    from tests.cli_runner import run_cli

    (tmp_path / "pod.yaml").write_text(POD)
    outcome = run_cli(["--format", form, "--no-cache", "--exit-zero", "pod.yaml"], tmp_path)
    assert "tcp_keepalives_count" in outcome.stdout  # the container was read
    assert "Sup3r" not in outcome.stdout + outcome.stderr


@pytest.mark.parametrize("name", ["API_KEY", "SIGNING_KEY", "DB_PWD", "BASIC_AUTH"])
def test_other_secret_names_are_not_expanded_either(name: str) -> None:
    """Names the redaction does not know as carriers still hold secrets (an API key)."""
    env = ContainerEnvironment(service_links=False)
    env.define(name, "sk-live-abcdef123456", 1)
    assert env.lookup(name) == UNKNOWN_VALUE


@pytest.mark.parametrize("name", ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBERNETES_PORT_443_TCP_ADDR"])
def test_the_kubernetes_service_variables_exist_without_service_links(name: str) -> None:
    """The kubelet always adds the variables of the default namespace's ``kubernetes`` Service,
    even with ``enableServiceLinks: false`` (pkg/kubelet/kubelet_pods.go, getServiceEnvVarMap)."""
    assert ContainerEnvironment(service_links=False).lookup(name) == UNKNOWN_VALUE
    assert ContainerEnvironment(service_links=False).lookup("DB_SERVICE_HOST") is None


def _pod(env: str, args: str) -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pg\nspec:\n  enableServiceLinks: false\n  containers:\n"
        "    - name: postgres\n      image: postgres:15\n      env:\n" + env + f"      args: {args}\n"
    )


def _findings(tmp_path, text: str) -> list[dict]:
    import json

    from tests.cli_runner import run_cli

    (tmp_path / "pod.yaml").write_text(text)
    outcome = run_cli(["--format", "json", "--no-cache", "--exit-zero", "pod.yaml"], tmp_path)
    assert outcome.code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def test_a_parameter_name_from_a_variable_is_expanded_too(tmp_path) -> None:
    """Kubernetes expands the whole argument: ``$(K)=7200`` with K=tcp_keepalives_idle is that
    GUC (postgres 15 starts with it), not an unknown parameter "$(k)"."""
    env = ('        - name: K\n          value: tcp_keepalives_idle\n'
           '        - name: KV\n          value: tcp_keepalives_interval=10\n')
    found = _findings(tmp_path, _pod(env, '["-c", "$(K)=7200", "-c", "$(KV)", "-c", "tcp_keepalives_count=6"]'))
    assert [f["code"] for f in found] == ["PGF101"], found
    assert "$(K)" in found[0]["message"] and found[0]["fix"] is None


def test_a_flag_from_a_variable_not_known_here_is_not_called_missing(tmp_path) -> None:
    env = '        - name: KV\n          valueFrom: {configMapKeyRef: {name: c, key: k}}\n'
    found = _findings(tmp_path, _pod(env, '["-c", "$(KV)", "-c", "tcp_keepalives_count=6"]'))
    assert [f["code"] for f in found] == [], found


def test_a_null_value_is_the_empty_string(tmp_path) -> None:
    """``value: null`` decodes to Go's zero string: ``$(N)`` is "", which postgres 15 refuses
    (``postgres -C tcp_keepalives_count -c tcp_keepalives_count=``: invalid value "")."""
    env = '        - name: N\n          value: null\n'
    found = _findings(tmp_path, _pod(env, '["-c", "tcp_keepalives_count=$(N)"]'))
    assert any(f["code"] == "PGF001" and "tcp_keepalives_count" in f["message"] for f in found), found


def test_a_value_that_is_not_a_string_is_not_judged_as_one(tmp_path) -> None:
    """EnvVar.value is a string: ``value: 7200`` is no value Kubernetes would expand."""
    env = '        - name: N\n          value: 7200\n'
    found = _findings(tmp_path, _pod(env, '["-c", "tcp_keepalives_idle=$(N)"]'))
    assert not any('"7200"' in f["message"] or "= 7200" in f["message"] for f in found), found


def test_a_value_longer_than_an_argument_may_be_is_not_built() -> None:
    """Each item doubling the one before (a 2 KB manifest) would make a gigabyte string: past
    Linux's MAX_ARG_STRLEN (131072 bytes, include/uapi/linux/binfmts.h) execve refuses the
    variable or argument anyway (E2BIG), so the value is not known here and not built."""
    env = ContainerEnvironment(service_links=False)
    env.define("E0", "ab", 0)
    for index in range(1, 22):
        env.define(f"E{index}", f"$(E{index - 1})$(E{index - 1})", index)
    assert env.lookup("E10") == "ab" * 1024
    assert env.lookup("E21") == UNKNOWN_VALUE
    found = expand("$(E15)" * 3, env.lookup).text  # 3 x 65,536 characters
    assert UNKNOWN_VALUE in found and len(found) < 131072


def test_an_env_item_written_with_a_merge_key_defines_its_variable(tmp_path) -> None:
    """``- <<: *idle`` is the item the anchor holds (YAML's merge key, which Kubernetes' YAML
    reader, go-yaml, applies); keys written beside it win over the merged ones."""
    text = _pod(
        '        - <<: *idle\n        - <<: [*idle]\n          name: INTERVAL\n          value: "75"\n',
        '["-c", "tcp_keepalives_idle=$(IDLE)", "-c", "tcp_keepalives_interval=$(INTERVAL)", "-c", "tcp_keepalives_count=6"]',
    ).replace("metadata:\n  name: pg\n", 'metadata:\n  name: pg\n  annotations:\n    base: &idle {name: IDLE, value: "7200"}\n')
    found = _findings(tmp_path, text)
    assert sorted(f["code"] for f in found) == ["PGF101", "PGF102"], found
    assert any('IDLE = "7200"' in f["message"] for f in found) and any('INTERVAL = "75"' in f["message"] for f in found)


def test_a_merge_key_that_merges_its_own_mapping_is_no_traceback(tmp_path) -> None:
    """``&e {<<: *e}``: PyYAML composes a mapping that holds itself."""
    found = _findings(tmp_path, _pod('        - &e {<<: *e, value: "1"}\n', '["-c", "tcp_keepalives_idle=$(IDLE)"]'))
    assert any(f["code"] == "PGF001" for f in found), found
