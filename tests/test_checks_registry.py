"""Python checks register by code; the idle budget is a typed option that knows its origin."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import pgconf_fix.checks as checks_package
from pgconf_fix.budget import Budget
from pgconf_fix.catalog import CatalogError, load_catalog, load_rule
from pgconf_fix.checks import REGISTRY
from pgconf_fix.cli import _options
from pgconf_fix.config import options_from_config


def _import_every_check() -> list[str]:
    names = [info.name for info in pkgutil.iter_modules(checks_package.__path__)]
    for name in names:
        importlib.import_module(f"pgconf_fix.checks.{name}")
    return names


def test_every_python_rule_has_one_registered_check_in_a_module_named_after_it() -> None:
    _import_every_check()
    python_rules = {rule.code for rule in load_catalog().values() if rule.kind == "python"}
    assert set(REGISTRY) == python_rules
    for code, check in REGISTRY.items():
        # One module a rule, named after it; a check shared by a family of rules (PGF303-PGF308,
        # one box kind each) lives in the module named after the family's first code.
        module = check.function.__module__.rsplit(".", 1)[-1]
        first = re.match(r"pgf(\d{3})_", module)
        assert first is not None, f"{code}: {module} is not named after a rule"
        assert f"pgf{first.group(1)}_" == f"{code.lower()}_" or (
            int(first.group(1)) < int(code[3:]) and all(c.function is check.function for c in REGISTRY.values()
                                                         if c.function.__module__ == check.function.__module__)
        ), f"{code}: {module} is named after another rule"
        assert isinstance(check.judges, type)


def test_every_check_module_is_in_the_group_of_its_layer() -> None:
    _import_every_check()
    catalog = load_catalog()
    for code, check in REGISTRY.items():
        group = importlib.import_module(f"pgconf_fix.checks.{catalog[code].layer}_checks")
        module = check.function.__module__.rsplit(".", 1)[-1]
        assert module in vars(group), f"{code}: {module} is not in {group.__name__}"


def test_a_function_key_in_a_rule_is_refused_with_the_way_to_register(tmp_path: Path) -> None:
    rule = tmp_path / "PGF999.toml"
    rule.write_text(
        'code = "PGF999"\nname = "x"\nlayer = "server"\nseverity = "warning"\nsummary = "s"\nwhy = "w"\n'
        'fix_safety = "f"\n[check]\nkind = "python"\nfunction = "pool_pre_ping"\n'
    )
    with pytest.raises(CatalogError, match=r'@check\("PGF999", judges=ViewType\)'):
        load_rule(rule)


def test_budget_origin_default_config_and_flag(tmp_path: Path) -> None:
    assert options_from_config(None, {}).budget_for() == Budget(300)
    config = tmp_path / ".pgconf-fix.toml"
    configured = options_from_config(config, {"idle-budget": 120}).budget_for()
    assert (configured.seconds, configured.origin) == (120, "idle-budget in .pgconf-fix.toml")
    config.write_text("idle-budget = 120\n")
    flagged = _options(tmp_path, None, idle_budget=45).budget_for(keepalives=False)
    assert (flagged.seconds, flagged.origin, flagged.describe()) == (45, "--idle-budget", "45 s: --idle-budget")
    assert _options(tmp_path, None).budget_for().origin == "idle-budget in .pgconf-fix.toml"
