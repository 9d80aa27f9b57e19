"""PGF505: Flask-SQLAlchemy 2 pool keys that version 3 silently ignores."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import UNSAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pool import ENGINE_OPTIONS, LEGACY_KEYS, FlaskConfigView


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, FlaskConfigView):
        return
    edits = view.move_legacy_edits()
    # Every finding of the view carries the same edits: they collapse into one move.
    fix = Fix(UNSAFE, f"Move the legacy pool keys into {ENGINE_OPTIONS}", edits) if edits else None
    for item in view.config.legacy:
        option = LEGACY_KEYS[item.key]
        message = (
            f"{item.key} is ignored since Flask-SQLAlchemy 3.0, so the pool runs with SQLAlchemy's "
            f"defaults; move it into {ENGINE_OPTIONS} as {option!r}"
        )
        yield make_finding(rule, view.item_location(item), message, fix)
