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

# What a SQLAlchemy 2.1 QueuePool runs with when an option is not given (checked with
# Flask-SQLAlchemy 3.1.1 and SQLAlchemy 2.1.9: db.engine.pool of a config with the legacy keys
# only has size 5, max_overflow 10, timeout 30, recycle -1; FACTS.md "Pools and frameworks").
SQLALCHEMY_DEFAULTS = {"pool_size": "5", "max_overflow": "10", "pool_timeout": "30 s", "pool_recycle": "-1: never"}


def _options_say(view: FlaskConfigView, option: str) -> tuple[str | None, bool]:
    """Where the config's own or inherited SQLALCHEMY_ENGINE_OPTIONS sets ``option``
    ("SQLALCHEMY_ENGINE_OPTIONS sets 'pool_recycle' at line 4", naming the base class that
    gives it), or None; and whether the options could be read whole (a None then means unset)."""
    found = view.config.lookup(ENGINE_OPTIONS)
    if found is None:
        return None, True
    owner, item = found
    settings = view.document.settings(item.value, item.value)
    if settings is None:
        return None, False
    entry = settings.find(option)
    if entry is None:
        return None, settings.fully_known
    line = view.document.line_column(entry.start)[0]
    where = ENGINE_OPTIONS if owner is view.config else f"{owner.owner}.{ENGINE_OPTIONS}"
    shared = settings.through_shared(option)
    through = f" (through **{shared.shared})" if shared is not None else ""
    return f"{where} sets {option!r}{through} at line {line}", True


def _effect_on_3(view: FlaskConfigView, option: str, key: str) -> tuple[str, str]:
    """What Flask-SQLAlchemy 3, which ignores ``key``, runs with instead (a clause to follow
    the statement that it is ignored, with its own leading punctuation), and the advice."""
    said, known = _options_say(view, option)
    move = f"move it into {ENGINE_OPTIONS} as {option!r}"
    if said is not None and said.startswith(ENGINE_OPTIONS):
        return f"; {said}, and that value applies", f"remove {key}"
    if said is not None:
        return f"; {said}, and that value applies", f"{move} to override it"
    default = SQLALCHEMY_DEFAULTS.get(option, "unset")
    if known:
        return f", so {option} stays at SQLAlchemy's default ({default})", move
    return f", so {option} is what {ENGINE_OPTIONS} gives (not readable here), else SQLAlchemy's default ({default})", move


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
    for item in items:
        option = LEGACY_KEYS[item.key]
        effect, advice = _effect_on_3(view, option, item.key)
        if item.key in NEVER_READ:
            said, _ = _options_say(view, option)
            if said is not None and options_read is not False:
                message = (
                    f"{item.key} is read by no Flask-SQLAlchemy version ({version.describe()}); {said}, "
                    f"and that value applies; {advice}"
                )
            elif options_read is False:
                message = (
                    f"{item.key} is read by no Flask-SQLAlchemy version ({version.describe()}), and pre-ping needs "
                    f"{ENGINE_OPTIONS} (Flask-SQLAlchemy {ENGINE_OPTIONS_SINCE} or later); upgrade, then move it there"
                )
            else:
                message = (
                    f"{item.key} is read by no Flask-SQLAlchemy version ({version.describe()}), so the pool never "
                    f"pre-pings; move it into {ENGINE_OPTIONS} as {option!r}"
                )
        elif legacy_read is False:
            message = (
                f"{item.key} is ignored since Flask-SQLAlchemy {LEGACY_KEYS_IGNORED_SINCE} ({version.describe()})"
                f"{effect}; {advice}"
            )
        elif legacy_read:
            message = (
                f"{item.key} is deprecated since Flask-SQLAlchemy {ENGINE_OPTIONS_SINCE} and ignored from "
                f"{LEGACY_KEYS_IGNORED_SINCE} on ({version.describe()}), an upgrade silently drops it; "
                f"move it into {ENGINE_OPTIONS} as {option!r}"
            )
        else:
            message = (
                f"{item.key} is read by Flask-SQLAlchemy before {LEGACY_KEYS_IGNORED_SINCE} and ignored from "
                f"{LEGACY_KEYS_IGNORED_SINCE} on ({version.describe()}){effect} on 3.x "
                f"({ENGINE_OPTIONS} needs {ENGINE_OPTIONS_SINCE} or later); {advice}"
            )
        yield make_finding(rule, view.item_location(item), message, fix)
