"""Kubernetes end-to-end test files that hold expected state, not a resource anything applies.

A chainsaw or kuttl test compares what runs in a cluster with an *assert* file (every field it
writes must match; a field it leaves out is not compared) and fails on a match with an *errors*
file. Such a file is not configuration: a setting it does not write is not missing, and a fix
written into it changes what the test demands, not what the cluster runs. Two ways name them:

- chainsaw's explicit test (``chainsaw-test.yaml`` or ``.yml`` in the test's folder, its
  default ``--test-file``): the files its steps' ``try`` operations name under ``assert`` or
  ``error`` (``file:``, a path relative to the folder or a glob; kyverno/chainsaw
  pkg/apis/v1alpha1/operation.go and pkg/discovery/load.go at 6250778);
- the step files of a folder without one, kuttl's naming which chainsaw reads too:
  ``<number>-assert.yaml`` and ``<number>-errors.yaml`` (chainsaw pkg/discovery/step.go,
  ``^(\\d+)-(.*)\\.(?:yaml|yml)$`` with the name ``assert`` or ``errors``).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re

import yaml

from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.workspace import Workspace, is_file

TEST_FILES = ("chainsaw-test.yaml", "chainsaw-test.yml")
STEP_EXPECTATION = re.compile(r"\d+-(?:assert|errors)\.ya?ml")
_ACTIONS = ("assert", "error")


def expected_state(workspace: Workspace, source: SourceFile) -> bool:
    """Whether ``source`` is a chainsaw or kuttl test's assert or errors file (see the module).

    A chainsaw test file beside it is read through ``workspace`` (an input of the check for the
    result cache); one that cannot be read or parsed names nothing."""
    name = source.path.name
    folder = source.path.parent
    for test_name in TEST_FILES:
        path = folder / test_name
        if not is_file(path):
            continue
        try:
            test = workspace.load(path, workspace.display_for(path, source.display))
        except InputError:
            continue
        return any(_names(pattern, name) for pattern in _expectation_files(test.text))
    return STEP_EXPECTATION.fullmatch(name) is not None


def _names(pattern: str, name: str) -> bool:
    """Whether a ``file:`` of the test (relative to its folder) names the file ``name`` there."""
    relative = posixpath.normpath(pattern)
    return "/" not in relative and (relative == name or fnmatch.fnmatchcase(name, relative))


def _expectation_files(text: str) -> list[str]:
    """The ``file:`` of each ``assert`` and ``error`` operation of the test documents' steps."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    files = []
    for document in documents:
        spec = document.get("spec") if isinstance(document, dict) else None
        steps = spec.get("steps") if isinstance(spec, dict) else None
        for step in steps if isinstance(steps, list) else ():
            operations = step.get("try") if isinstance(step, dict) else None
            for operation in operations if isinstance(operations, list) else ():
                for action in _ACTIONS:
                    found = operation.get(action) if isinstance(operation, dict) else None
                    if isinstance(found, dict) and isinstance(found.get("file"), str):
                        files.append(found["file"])
    return files
