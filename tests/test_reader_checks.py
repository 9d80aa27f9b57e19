"""Every reader imports the checks of every rule layer its views carry (its ``LAYERS``): a
view judged by a Python rule whose check was never imported is a LookupError at run time
(found by the fuzz: Terraform alone builds server views from parameter groups)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgconf_fix.layers import layer_modules

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys, importlib
from pathlib import Path
from pgconf_fix.catalog import load_catalog
from pgconf_fix.checks import registered
from pgconf_fix.options import Options
from pgconf_fix.workspace import Workspace
reader = importlib.import_module(sys.argv[1])
reader.build_views(Workspace(Path(".")), [], Options())
missing = [rule.code for rule in load_catalog().values()
           if rule.kind == "python" and rule.layer in reader.LAYERS and registered(rule.code) is None]
print(json.dumps(missing))
"""


@pytest.mark.parametrize("reader", [module.__name__ for module in layer_modules()])
def test_a_reader_alone_registers_the_checks_of_its_layers(reader: str, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PROBE, reader], capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert json.loads(done.stdout) == [], f"{reader} builds views of rules whose checks it does not import"
