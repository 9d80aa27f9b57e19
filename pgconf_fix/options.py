"""Settings of one run, after the command line and the config file are merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgconf_fix.budget import DEFAULT_SECONDS, Budget, PathBudgets
from pgconf_fix.source import DEFAULT_MAX_FILE_SIZE
from pgconf_fix.versions import PgVersion

if TYPE_CHECKING:
    from pgconf_fix.catalog import Rule


# Names a rule TOML's [check] fields may use for a run-wide option instead of a rule parameter.
BUDGET_NAME = "idle_budget"


@dataclass(frozen=True, eq=False)
class RuleSelection:
    """One place's rule selectors (the config file's, or the command line's), as ruff keeps a
    ``RuleSelection`` for each: ``select`` (None when not given), ``ignore`` and
    ``extend_select``. A selector is ``ALL``, a code or a prefix of codes (``PGF1``), or a
    rule's name; selectors are normalised (``config.normalise_selectors``) before they get here."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def verdict(self, rule: Rule) -> bool | None:
        """What this selection says of ``rule``: its most specific selector that matches the
        rule wins (True selects, False ignores), an ignore winning a tie, as ruff resolves
        them (``ruff_workspace`` ``as_rule_table``: ``--ignore ALL --select E501`` keeps E501);
        None when no selector matches it."""
        best: tuple[int, bool] | None = None
        for selectors, chosen in (((self.select or ()) + self.extend_select, True), (self.ignore, False)):
            for selector in selectors:
                rank = specificity(selector, rule)
                # Ignores come second: at the same specificity they take the place of a select.
                if rank is not None and (best is None or rank >= best[0]):
                    best = (rank, chosen)
        return None if best is None else best[1]


def specificity(selector: str, rule: Rule) -> int | None:
    """How specific ``selector`` is when it matches ``rule`` (None when it does not): ``ALL`` 0,
    a prefix of the code its length, the full code or the rule's name the code's length. Every
    selector that matches one rule is a prefix of its code, so the longer is the more specific,
    ruff's order (All < linter ``PGF`` < ``PGF1`` < ``PGF10`` < the rule ``PGF101``)."""
    if selector == "ALL":
        return 0
    if selector == rule.name:
        return len(rule.code)
    if rule.code.startswith(selector):
        return len(selector)
    return None


@dataclass(frozen=True, eq=False)
class Options:
    """The settings of one run: the config file's, with the command's flags over them."""

    # The config file's selectors; ``flag_selection`` is the command line's, applied over them.
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    flag_selection: RuleSelection | None = None
    pg_version: PgVersion | None = None
    rule_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    rules_dirs: tuple[Path, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The directory of the config file: ``exclude`` and ``per-file-ignores`` are relative to it.
    config_dir: Path | None = None
    # Apply ``exclude`` to paths named on the command line too (ruff's --force-exclude).
    force_exclude: bool = False
    # The idle budget given by --idle-budget or the config (wins over everything), and the
    # ones learned from the checked tree (pgconf_fix.budget), set by run.check.
    budget: Budget | None = None
    learned_budgets: PathBudgets | None = None

    def budget_for(self, keepalives: bool = True) -> Budget:
        """The idle budget (seconds, with its origin) a rule judges against: keepalive rules
        pass ``keepalives=True``, pool recycle and pre-ping rules ``False`` (boxes that count
        queries, not packets, count too). Given, else learned, else the 300 s default."""
        if self.budget is not None:
            return self.budget
        if self.learned_budgets is not None:
            return self.learned_budgets.keepalive if keepalives else self.learned_budgets.recycle
        return Budget(DEFAULT_SECONDS)

    def parameter(self, rule: Rule, name: str) -> Any:
        """A rule's parameter: the config's value, else the rule's default, else the idle budget
        (``idle_budget``, seconds). KeyError for any other name."""
        own = self.rule_parameters.get(rule.code, {})
        if name in own:
            return own[name]
        if name in rule.parameters:
            return rule.parameters[name]
        if name == BUDGET_NAME:
            return self.budget_for(keepalives=True).seconds
        raise KeyError(name)

    def resolve(self, rule: Rule, value: Any) -> Any:
        """A [check] field: a number stands for itself, a string names a parameter."""
        if isinstance(value, str):
            return self.parameter(rule, value)
        return value

    def fix_target(self, rule: Rule, value: Any, maximum: Any = None, minimum: Any = None) -> Any:
        """The value a fix writes: the rule's target (a number or a parameter name, as in
        ``resolve``) brought within the bounds the same rule judges with, so that the fixed
        setting passes the rule that asked for it (an idle budget of 240 s makes a target of
        300 s into 240 s). ``maximum``/``minimum`` are numbers, parameter names or None; a
        non-numeric target is returned as it is. When the bounds cross, the maximum wins."""
        target = self.resolve(rule, value)
        if isinstance(target, bool) or not isinstance(target, (int, float)):
            return target
        low = self.resolve(rule, minimum) if minimum is not None else None
        high = self.resolve(rule, maximum) if maximum is not None else None
        if low is not None and target < low:
            target = low
        if high is not None and target > high:
            target = high
        return target

    def limit(self, rule: Rule, value: Any, label: str) -> tuple[Any, str]:
        """A [check] bound and its name in messages: ``label``, or the budget's own name when
        the field names the idle budget."""
        return self.resolve(rule, value), "the idle budget" if value == BUDGET_NAME else label

    def enabled(self, rule: Rule) -> bool:
        """Whether ``rule`` runs, by the config's selectors and then the command line's, the
        more specific selector winning (``_chosen``)."""
        # The verdicts by what they read of a rule, kept on this object (not a field: a
        # dataclass field costs every run its generated code; ``replace`` starts anew): each
        # reader group asked again of every rule (50 groups x the catalog on the 1,000-file
        # Terraform tree; issue 18, thirteenth pass).
        known = self.__dict__.get("_enabled")
        if known is None:
            known = {}
            object.__setattr__(self, "_enabled", known)
        key = (rule.code, rule.name, rule.enabled)
        chosen = known.get(key)
        if chosen is None:
            chosen = known[key] = self._chosen(rule)
        return chosen

    def _chosen(self, rule: Rule) -> bool:
        """Ruff's resolution: from the rule's default, each selection in turn (the config's,
        then the command line's); one with ``select`` decides alone (the rule runs when its
        verdict selects it), one without changes only the rules its selectors match."""
        chosen = rule.enabled
        config = RuleSelection(self.select, self.ignore, self.extend_select)
        for selection in (config, self.flag_selection):
            if selection is None:
                continue
            verdict = selection.verdict(rule)
            if selection.select is not None:
                chosen = verdict is True
            elif verdict is not None:
                chosen = verdict
        return chosen
