"""PGF303-PGF308: a box on the database path (NLB TCP listener, AWS NAT gateway, RDS Proxy,
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
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import UNSAFE, Finding, Fix, Location
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.middleboxes import TIMER, Middlebox, whole_number
from pgconf_fix.views.network import SET

# Argument names of azurerm 4.x (``*_enabled``) and 3.x (``enable_*``) on azurerm_lb_rule.
AZURERM_4_NAMES = ("floating_ip_enabled", "tcp_reset_enabled")
AZURERM_3_NAMES = ("enable_floating_ip", "enable_tcp_reset")


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, Middlebox) or view.kind.code != rule.code:
        return
    kind = view.kind
    written = view.attribute(kind.attribute) if kind.attribute else None
    if written is not None and not view.settable():
        location = Location(view.source, written.attribute.start, written.attribute.end)
        message = (
            f"{view.address}: {kind.attribute} is set on a {view.protocol()} listener, whose idle timeout "
            f"is fixed at {kind.default} {kind.unit}; {kind.cloud} accepts it on "
            f"{' and '.join(kind.protocols)} listeners only"
        )
        yield make_finding(rule, location, message)
        return
    state, seconds, resolution = view.state()
    if state != TIMER:
        return
    if resolution is not None and resolution.status == SET and resolution.written is not None:
        value = whole_number(resolution.value)
        out_of_range = value is not None and (
            (kind.minimum is not None and value < kind.minimum) or (kind.maximum is not None and value > kind.maximum)
        )
        if out_of_range and value is not None:
            target = min(max(value, kind.minimum or value), kind.maximum or value)
            # Reported where the box names the value; edited where the value is written
            # (a variable's default or a terraform.tfvars line).
            where = resolution.written
            named = written.attribute if written is not None else where.attribute
            location = Location(view.source if written is not None else where.source, named.start, named.end)
            trail = f" ({' -> '.join(resolution.via)} = {value} at {where.where()})" if resolution.via else ""
            message = (
                f"{view.address}: {kind.attribute} = {value}{trail} is outside the range {kind.cloud} accepts "
                f"({_range(kind.minimum, kind.maximum, kind.unit)}): the apply fails; set it to {target}"
            )
            edits = view.set_edits(kind.attribute, str(target)) if rule.check.get("clamp_fix", True) else ()
            if not edits:
                message = message.rsplit("; set it to", 1)[0]
            fix = Fix(UNSAFE, f"Set {kind.attribute} = {target}", edits) if edits else None
            yield make_finding(rule, location, message, fix)
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
        resolution = view.resolve(name)
        if resolution.status != SET:
            continue
        if resolution.value is True:
            return
        break
    present = [name for name in view.kind.reset_attributes if view.attribute(name) is not None]
    name = present[0] if present else _reset_name(view)
    minutes = seconds // 60
    message = (
        f"{view.address}: TCP reset is off, so a flow idle for {minutes} min is dropped silently and the "
        f"client's next query hangs until its own timeout; set {name or ' or '.join(view.kind.reset_attributes)} = true"
    )
    fix = None
    if name is not None:
        edits = view.set_edits(name, "true")
        fix = Fix(UNSAFE, f"Set {name} = true", edits) if edits else None
    where = view.attribute(present[0]) if present else None
    location = (
        Location(view.source, where.attribute.start, where.attribute.end) if where is not None else view.header_location()
    )
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
