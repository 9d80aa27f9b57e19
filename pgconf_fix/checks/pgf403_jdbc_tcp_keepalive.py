"""PGF403: a non-local jdbc:postgresql: URL without tcpKeepAlive=true."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.documents.connstr import TEMPLATE
from pgconf_fix.findings import Finding, Fix, make_finding
from pgconf_fix.options import Options
from pgconf_fix.views.client import PGJDBC, ClientConnection

SETTING = "tcpKeepAlive"


@check("PGF403", judges=ClientConnection)
def jdbc_tcp_keepalive(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if view.consumer != PGJDBC:
        return
    current = view.effective(SETTING)
    if current is None:
        problem = f"{SETTING} is not set and pgjdbc defaults to false (no keepalive probes at all)"
        where = view.missing_location(SETTING)
    elif current.value.strip().lower() == "true" or TEMPLATE.search(current.value):
        return  # on, or from a placeholder we cannot read
    else:
        problem = f"{SETTING}={current.value} turns keepalive probes off"
        where = current.location
    edits = view.set_edits(SETTING, "true")
    fix = Fix(view.applicability, f"Set {SETTING}=true", edits) if edits else None
    yield make_finding(rule, where, f"{view.describe()}: {problem}; set {SETTING}=true", fix)
