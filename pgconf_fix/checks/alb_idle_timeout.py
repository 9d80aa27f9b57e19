"""PGF301 / PGF302: a load balancer's idle_timeout, read through variables, locals and modules.

An ALB (PGF301) carries HTTP only: its timer cuts a silent request, never a database
connection (FACTS.md, "Verified on real software in the second round").

Not a threshold rule because the value may live elsewhere (a variable default, a local)
while the finding belongs to the load balancer, and because a value that needs a plan
must be reported as such, without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix, Location
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.network import APPLICATION, SET, UNKNOWN, LoadBalancer, Resolution

SETTING = "idle_timeout"
AWS_DEFAULT = 60


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, LoadBalancer) or view.kind not in rule.check["load_balancers"]:
        return  # another kind of load balancer, or one whose type needs a plan: not guessed
    minimum = int(options.resolve(rule, rule.check["minimum"]))
    ceiling = rule.check.get("maximum")
    # Within [minimum, ceiling], the bounds this rule judges with: the fixed value passes it.
    target = int(options.fix_target(rule, rule.check["fix"], maximum=ceiling, minimum=minimum))
    default = int(options.resolve(rule, rule.check["module_default"])) if view.is_module else AWS_DEFAULT
    who = "the module's" if view.is_module else "the AWS"

    resolution = view.resolve(SETTING)
    written = view.attribute(SETTING)
    shown = f"{view.address}: {SETTING}"
    if written is not None:
        shown += f" = {written.text()}"
        location = Location(view.source, written.attribute.start, written.attribute.end)
    else:
        location = view.header_location()

    if resolution.status == UNKNOWN:
        message = f"{shown} cannot be resolved without a plan ({_trail(resolution)}{resolution.reason}); "
        message += f"make sure it is at least {minimum} s"
        yield make_finding(rule, location, message)
        return
    if resolution.status == SET:
        seconds = _seconds(resolution.value)
        if seconds is None:
            return  # not a number: Terraform rejects it at plan time
        origin = _origin(resolution)
        amount = f" is {seconds} s," if origin else " is"
        if ceiling is not None and seconds > int(ceiling):
            problem = f"{shown}{origin}{amount} above the maximum AWS accepts ({ceiling} s)"
        elif seconds < minimum:
            problem = f"{shown}{origin}{amount} below the minimum ({minimum} s)"
        else:
            return
    else:
        why = "is not set" if written is None else f"is null{_origin(resolution)}"
        problem = f"{shown} {why}: {who} default of {default} s applies, below the minimum ({minimum} s)"
        if default >= minimum:
            return
    consequence = ""
    if view.kind == APPLICATION:
        consequence = ": an HTTP request waiting longer than that on a query is cut (504) while the query runs on"
    advice = _advice(resolution, target)
    if view.kind == APPLICATION:
        advice += " (above the longest request plus statement_timeout)"
    yield make_finding(rule, location, f"{problem}{consequence}; {advice}", _fix(view, target, resolution))


def _seconds(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _trail(resolution: Resolution) -> str:
    return f"{' -> '.join(resolution.via)}: " if resolution.via else ""


def _origin(resolution: Resolution) -> str:
    """Where a value that is not written on the load balancer itself comes from."""
    if not resolution.via or resolution.written is None:
        return ""
    written = resolution.written
    return f" ({' -> '.join(resolution.via)} = {written.text()} at {written.where()})"


def _advice(resolution: Resolution, target: int) -> str:
    if resolution.via and resolution.written is not None:
        last = resolution.via[-1]
        return f"set the default of {last} to {target}" if last.startswith("var.") else f"set {last} to {target}"
    return f"set it to {target}"


def _fix(view: LoadBalancer, target: int, resolution: Resolution) -> Fix | None:
    edits = view.set_edits(SETTING, str(target))
    if not edits:
        return None
    where = f" (in {resolution.written.where()})" if resolution.via and resolution.written is not None else ""
    return Fix(applicability=SAFE, message=f"Set {SETTING} = {target}{where}", edits=edits)
