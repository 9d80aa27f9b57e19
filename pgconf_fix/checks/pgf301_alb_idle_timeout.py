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
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, Fix, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import Trail, fix_or_none
from pgconf_fix.views.network import APPLICATION, LoadBalancer
from pgconf_fix.views.terraform_module import is_auto_tfvars, shared_note, whole_number

SETTING = "idle_timeout"
AWS_DEFAULT = 60


@check("PGF301", judges=LoadBalancer)
def load_balancer_idle_timeout(rule: Rule, view: LoadBalancer, options: Options) -> Iterator[Finding]:
    if view.kind not in rule.check["load_balancers"]:
        return  # another kind of load balancer, or one whose type needs a plan: not guessed
    minimum = int(options.resolve(rule, rule.check["minimum"]))
    ceiling = rule.check.get("maximum")
    # Within [minimum, ceiling], the bounds this rule judges with: the fixed value passes it.
    target = int(options.fix_target(rule, rule.check["fix"], maximum=ceiling, minimum=minimum))
    default = int(options.resolve(rule, rule.check["module_default"])) if view.is_module else AWS_DEFAULT
    who = "the module's" if view.is_module else "the AWS"

    current = view.get(SETTING)
    shown = f"{view.shown}: {SETTING}"
    if current.written:
        shown += f" = {current.raw}"

    if current.is_unknown:
        message = f"{shown} cannot be resolved without a plan ({_trail(current.trail)}{current.reason}); "
        message += f"make sure it is at least {minimum} s"
        yield make_finding(rule, current.location, message)
        return
    if current.is_set:
        seconds = whole_number(current.value)
        if seconds is None:
            return  # not a number: Terraform rejects it at plan time
        origin = _origin(current.trail)
        amount = f" is {seconds} s," if origin else " is"
        if ceiling is not None and seconds > int(ceiling):
            problem = f"{shown}{origin}{amount} above the maximum AWS accepts ({ceiling} s)"
        elif seconds < minimum:
            problem = f"{shown}{origin}{amount} below the minimum ({minimum} s)"
        else:
            return
    else:
        why = "is not set" if not current.written else f"is null{_origin(current.trail)}"
        problem = f"{shown} {why}: {who} default of {default} s applies, below the minimum ({minimum} s)"
        if default >= minimum:
            return
    consequence = ""
    advice = _advice(current.trail, target)
    if view.kind == APPLICATION:
        consequence = ": an HTTP request waiting longer than that on a query is cut (504) while the query runs on"
        advice += " (above the longest request plus statement_timeout)"
    fix = _fix(view, target, current.trail)
    yield make_finding(rule, current.location, f"{problem}{consequence}; {advice}", fix)


def _trail(trail: Trail) -> str:
    return f"{' -> '.join(trail.via)}: " if trail.via else ""


def _origin(trail: Trail) -> str:
    """Where a value that is not written on the load balancer itself comes from."""
    if not trail.via or trail.text is None:
        return ""
    return f" ({' -> '.join(trail.via)} = {trail.text} at {trail.where})"


def _advice(trail: Trail, target: int) -> str:
    if trail.via and trail.text is not None:
        last = trail.via[-1]
        if not last.startswith("var."):
            return f"set {last} to {target}"
        # A value from terraform.tfvars or *.auto.tfvars wins over the variable's default: a
        # new default would change nothing there (the fix edits the tfvars line).
        written_in = (trail.where or "").rsplit(":", 1)[0]
        if is_auto_tfvars(written_in):
            return f"set {last} to {target} in {written_in}"
        return f"set the default of {last} to {target}"
    return f"set it to {target}"


def _fix(view: LoadBalancer, target: int, trail: Trail) -> Fix | None:
    where = f" (in {trail.where})" if trail.via and trail.text is not None else ""
    # The view's own message says why the fix is unsafe when it lands on a variable or local that
    # other places read; this message replaces it, so it says so too.
    resolution = view.resolve(SETTING)
    why = shared_note(view.module, resolution.via, resolution.owners)
    return fix_or_none(view.fix(SETTING, str(target)), f"Set {SETTING} = {target}{where}{why}")
