"""PGF403: a non-local jdbc:postgresql: URL without tcpKeepAlive=true."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.documents.connstr import TEMPLATE
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.client import PGJDBC, ClientConnection

SETTING = "tcpKeepAlive"


@check("PGF403", judges=ClientConnection)
def jdbc_tcp_keepalive(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if view.consumer != PGJDBC:
        return
    current = view.get(SETTING)
    if current.is_missing:
        problem = f"{SETTING} is not set and pgjdbc defaults to false (no keepalive probes at all)"
    elif current.text.strip().lower() == "true" or TEMPLATE.search(current.text):
        return  # on, or from a placeholder we cannot read
    else:
        problem = f"{SETTING}={current.text} turns keepalive probes off"
    fix = fix_or_none(view.fix(SETTING, "true"), f"Set {SETTING}=true")
    advice = f"set {SETTING}=true" + (view.no_fix_note() if fix is None else "")
    yield make_finding(rule, current.location, f"{view.describe()}: {problem}; {advice}", fix)
