"""PGF303-PGF308 (one check, registered for each code): a box on the database path (NLB TCP listener, AWS NAT gateway, RDS Proxy,
Azure load balancer rule, Azure NAT gateway, Cloud NAT), read from Terraform.

Each box's idle timer is a source of the idle budget (``pgconf_fix.budget``): the
keepalive and recycle rules judge against the shortest one. What this check itself
reports is what the cloud would refuse or what makes the box drop connections silently:

- an idle timeout outside the range the cloud accepts (the apply fails);
- an idle timeout set where the cloud fixes it (an NLB TLS listener: 350 s);
- an Azure load balancer rule without TCP reset: idle flows are dropped without a word,
  and the client hangs until its own timeout instead of reconnecting at once.

The facts (default, range, unit) are the rule's ``[check]`` table, cited in its TOML.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.middleboxes import TIMER, Middlebox
from pgconf_fix.views.terraform_module import whole_number

# Argument names of azurerm 4.x (``*_enabled``) and 3.x (``enable_*``) on azurerm_lb_rule.
AZURERM_4_NAMES = ("floating_ip_enabled", "tcp_reset_enabled")
AZURERM_3_NAMES = ("enable_floating_ip", "enable_tcp_reset")


@check("PGF303", judges=Middlebox)
@check("PGF304", judges=Middlebox)
@check("PGF305", judges=Middlebox)
@check("PGF306", judges=Middlebox)
@check("PGF307", judges=Middlebox)
@check("PGF308", judges=Middlebox)
def middlebox_idle_timeout(rule: Rule, view: Middlebox, options: Options) -> Iterator[Finding]:
    if view.kind.code != rule.code:
        return
    kind = view.kind
    written = view.get(kind.attribute) if kind.attribute else None
    if written is not None and written.written and not view.settable():
        message = (
            f"{view.shown}: {kind.attribute} is set on a {view.protocol()} listener, whose idle timeout "
            f"is fixed at {kind.default} {kind.unit}; {kind.cloud} accepts it on "
            f"{' and '.join(kind.protocols)} listeners only"
        )
        yield make_finding(rule, written.location, message)
        return
    state, seconds, _ = view.state()
    if state != TIMER:
        return
    if written is not None and written.is_set and written.trail.where is not None:
        value = whole_number(written.value)
        out_of_range = value is not None and (
            (kind.minimum is not None and value < kind.minimum) or (kind.maximum is not None and value > kind.maximum)
        )
        if out_of_range and value is not None:
            target = min(max(value, kind.minimum or value), kind.maximum or value)
            # Reported where the box names the value; edited where the value is written
            # (a variable's default or a terraform.tfvars line).
            trail = f" ({' -> '.join(written.trail.via)} = {value} at {written.trail.where})" if written.trail.via else ""
            message = (
                f"{view.shown}: {kind.attribute} = {value}{trail} is outside the range {kind.cloud} accepts "
                f"({_range(kind.minimum, kind.maximum, kind.unit)}): the apply fails; set it to {target}"
            )
            fix = None
            if rule.check.get("clamp_fix", True):
                fix = fix_or_none(view.fix(kind.attribute, str(target)), applicability=UNSAFE)
            if fix is None:
                message = message.rsplit("; set it to", 1)[0]
            yield make_finding(rule, written.location, message, fix)
            return
    if kind.reset_attributes and seconds is not None:
        yield from _silent_drop(rule, view, seconds)


def _range(low: int | None, high: int | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low}-{high} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    return f"at most {high} {unit}"


def _silent_drop(rule: Rule, view: Middlebox, seconds: int) -> Iterator[Finding]:
    """An Azure rule that drops idle flows silently: no reset argument set to true."""
    for name in view.kind.reset_attributes:
        reset = view.get(name)
        if not reset.is_set:
            continue
        if reset.value is True:
            return
        break
    present = [name for name in view.kind.reset_attributes if view.get(name).written]
    name = present[0] if present else _reset_name(view)
    minutes = seconds // 60
    message = (
        f"{view.shown}: TCP reset is off, so a flow idle for {minutes} min is dropped silently and the "
        f"client's next query hangs until its own timeout; set {name or ' or '.join(view.kind.reset_attributes)} = true"
    )
    fix = fix_or_none(view.fix(name, "true"), applicability=UNSAFE) if name is not None else None
    # On the argument when it is written, else on the block's header.
    location = view.get(present[0] if present else view.kind.reset_attributes[0]).location
    yield make_finding(rule, location, message, fix)


def _reset_name(view: Middlebox) -> str | None:
    """The reset argument's name in the provider major the block is written for, when its
    other arguments tell (azurerm 4.0 renamed ``enable_*`` to ``*_enabled``)."""
    names = {attribute.name for attribute in view.block.attributes}
    if names & set(AZURERM_4_NAMES):
        return "tcp_reset_enabled"
    if names & set(AZURERM_3_NAMES):
        return "enable_tcp_reset"
    return None
