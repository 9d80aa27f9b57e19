"""What compose passes for a plain scalar in a map of strings (environment:, sysctls:):
go.yaml.in/yaml/v4's resolver, then Go's fmt.Sprint (pgconf_fix.documents.go_yaml_scalar).

GO is the answer of the real thing: go.yaml.in/yaml/v4 at v4.0.0-rc.4 (the version compose-go
e70e961 requires) decoding ``key: <text>`` into an interface{}, and fmt.Sprint of the value,
built with Go 1.19 as a throwaway. The same throwaway agreed with compose_value on 24,000
random plain scalars (0 differ)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgconf_fix.documents.go_yaml_scalar import NotAString, compose_value
from tests.cli_runner import run_cli

GO = {
    "7200.0": "7200", "1_000": "1000", "0x3c": "60", "1e3": "1000", "60": "60", "true": "true", "TRUE": "true",
    "0o74": "60", "+60": "60", "60.": "60", "074": "60", "1.5e6": "1.5e+06", "7200.5": "7200.5", "1.0e+3": "1000",
    "12345678901234567890": "12345678901234567890", "9223372036854775808": "9223372036854775808",
    "-9223372036854775809": "-9.223372036854776e+18", ".inf": "+Inf", "-.inf": "-Inf", ".NaN": "NaN",
    "yes": "yes", "on": "on", "0b101": "5", "0B11": "3", "0X1F": "31", "100000.0": "100000",
    "1234567.0": "1.234567e+06", "0.0001": "0.0001", "0.00001": "1e-05", "1e21": "1e+21", "1e20": "1e+20",
    "1.25e-5": "1.25e-05", "-0": "-0", "-0.0": "-0", ".5": "0.5", "+.5": "0.5", "1.": "1", "1e400": "1e400",
    "08": "8", "0x_1": "1", "1__0": "10", ".693_0": "0.693", "123456789.0": "1.23456789e+08", "0.1": "0.1",
    "~": None, "null": None, "NULL": None, "60s": "60s", "1h": "1h",
}  # fmt: skip


@pytest.mark.parametrize("text", sorted(GO))
def test_compose_value_is_what_go_yaml_and_fmt_make_of_it(text: str) -> None:
    assert compose_value(text) == GO[text]


def test_a_timestamp_is_not_worked_out() -> None:
    with pytest.raises(NotAString):
        compose_value("2001-12-14")


def _found(tmp_path: Path, text: str) -> list[dict]:
    (tmp_path / "compose.yaml").write_text(text)
    return json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)


def test_an_edoburu_value_is_read_as_compose_passes_it(tmp_path: Path) -> None:
    found = _found(tmp_path, (
        "services:\n  pgbouncer:\n    image: edoburu/pgbouncer:latest\n    environment:\n"
        "      TCP_KEEPIDLE: 7200.0\n      TCP_KEEPINTVL: 0x0a\n      TCP_KEEPCNT: 6\n      SERVER_IDLE_TIMEOUT: 300\n"
    ))
    # compose passes "7200": above the budget, not a value PgBouncer refuses.
    assert [item["code"] for item in found] == ["PGF602"], found


def test_a_sysctl_value_is_read_as_compose_passes_it(tmp_path: Path) -> None:
    found = _found(tmp_path, (
        "services:\n  db:\n    image: redis:7\n    sysctls:\n      net.ipv4.tcp_keepalive_time: 60.0\n"
        "      net.ipv4.tcp_keepalive_intvl: 1_0\n      net.ipv4.tcp_keepalive_probes: '6'\n"
    ))
    assert found == []  # 60, 10 and 6 reach the kernel; "60.0" would be refused by it
