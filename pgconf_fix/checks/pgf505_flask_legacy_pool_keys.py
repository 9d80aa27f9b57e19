"""PGF505: Flask-SQLAlchemy 2 pool keys that version 3 silently ignores.

Which Flask-SQLAlchemy runs decides (FACTS.md): before 2.4 these keys are the only way to size
and recycle the pool, so nothing is reported; 2.4 reads both; 3.0 ignores them. The move into
``SQLALCHEMY_ENGINE_OPTIONS`` is offered only where that option is read.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, Fix, make_finding
from pgconf_fix.library_versions import (
    ENGINE_OPTIONS_SINCE,
    LEGACY_KEYS_IGNORED_SINCE,
    flask_sqlalchemy_version,
)
from pgconf_fix.options import Options
from pgconf_fix.views.pool_flask import ENGINE_OPTIONS, LEGACY_KEYS, NEVER_READ, FlaskConfigView


@check("PGF505", judges=FlaskConfigView)
def flask_legacy_pool_keys(rule: Rule, view: FlaskConfigView, options: Options) -> Iterator[Finding]:
    version = flask_sqlalchemy_version(view.source.path)
    legacy_read, options_read = version.reads_legacy_keys, version.reads_engine_options
    items = view.config.legacy
    if legacy_read and options_read is False:
        # Before 2.4 these keys are how the pool is configured; only a key no version reads is wrong.
        items = [item for item in items if item.key in NEVER_READ]
    edits = view.move_legacy_edits() if options_read is not False else ()
    # Every finding of the view carries the same edits: they collapse into one move.
    fix = Fix(UNSAFE, f"Move the legacy pool keys into {ENGINE_OPTIONS}", edits) if edits else None
    if legacy_read is False:
        status = f"is ignored since Flask-SQLAlchemy {LEGACY_KEYS_IGNORED_SINCE} ({version.describe()})"
        effect = "so the pool runs with SQLAlchemy's defaults"
    elif legacy_read:
        status = (
            f"is deprecated since Flask-SQLAlchemy {ENGINE_OPTIONS_SINCE} and ignored from "
            f"{LEGACY_KEYS_IGNORED_SINCE} on ({version.describe()})"
        )
        effect = "an upgrade silently drops it"
    else:
        status = (
            f"is read by Flask-SQLAlchemy before {LEGACY_KEYS_IGNORED_SINCE} and ignored from "
            f"{LEGACY_KEYS_IGNORED_SINCE} on ({version.describe()})"
        )
        effect = f"so on 3.x the pool runs with SQLAlchemy's defaults ({ENGINE_OPTIONS} needs {ENGINE_OPTIONS_SINCE} or later)"
    for item in items:
        option = LEGACY_KEYS[item.key]
        if item.key in NEVER_READ:
            message = (
                f"{item.key} is read by no Flask-SQLAlchemy version ({version.describe()}), so the pool never "
                f"pre-pings; move it into {ENGINE_OPTIONS} as {option!r}"
            )
            if options_read is False:
                message = (
                    f"{item.key} is read by no Flask-SQLAlchemy version ({version.describe()}), and pre-ping needs "
                    f"{ENGINE_OPTIONS} (Flask-SQLAlchemy {ENGINE_OPTIONS_SINCE} or later); upgrade, then move it there"
                )
        else:
            message = f"{item.key} {status}, {effect}; move it into {ENGINE_OPTIONS} as {option!r}"
        yield make_finding(rule, view.item_location(item), message, fix)
