"""Test files that hold expected state, not a resource or a configuration anything applies.

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
  ``^(\\d+)-(.*)\\.(?:yaml|yml)$`` with the name ``assert`` or ``errors``);
- the files a kuttl ``TestStep`` (``apiVersion: kuttl.dev/v1beta1``) names under ``assert:`` or
  ``error:``, each a file or a folder of ``*.yaml`` files, relative to the folder of the step
  file that holds it (kudobuilder/kuttl pkg/apis/testharness/v1beta1/test_types.go, and
  pkg/test/step.go's ObjectsFromPath); the step files looked in are the ``<number>-<name>.yaml``
  of the file's own folder and of the folder above it (kuttl's step file names,
  pkg/test/case.go), which covers the usual ``files/`` folder beside the steps.

A helm-unittest suite (``suite:``, ``templates:``, and a ``tests:`` list of jobs with
``asserts:``; helm-unittest's DOCUMENT.md) is no configuration either: each job renders the chart
with its ``set:`` values and compares the output with the values its asserts write, so a
connection string there is an expected rendering, not a connection.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from pathlib import Path

import yaml

from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.workspace import Workspace, absolute, is_file

TEST_FILES = ("chainsaw-test.yaml", "chainsaw-test.yml")
STEP_EXPECTATION = re.compile(r"\d+-(?:assert|errors)\.ya?ml")
_ACTIONS = ("assert", "error")
# kuttl reads a test folder's files named so as its steps (pkg/test/case.go's testStepRegex).
KUTTL_STEP = re.compile(r"\d+-[^.]+\.yaml")
_KUBERNETES_OBJECT = re.compile(r"^apiVersion\s*:", re.MULTILINE)
_HELM_UNITTEST = re.compile(r"^tests\s*:", re.MULTILINE)


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
    if STEP_EXPECTATION.fullmatch(name) is not None:
        return True
    text = source.text
    if _KUBERNETES_OBJECT.search(text) and _named_by_kuttl_step(workspace, source):
        return True
    return _HELM_UNITTEST.search(text) is not None and _helm_unittest_suite(text)


def _named_by_kuttl_step(workspace: Workspace, source: SourceFile) -> bool:
    """Whether a kuttl TestStep in a step file of ``source``'s folder or the folder above names
    ``source`` (or its folder) under ``assert:`` or ``error:`` (see the module)."""
    target = absolute(source.path)
    for folder in (target.parent, target.parent.parent):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for step_name in names:
            if not KUTTL_STEP.fullmatch(step_name) or folder / step_name == target:
                continue
            path = folder / step_name
            try:
                step = workspace.load(path, workspace.display_for(path, source.display))
            except InputError:
                continue
            if "kuttl.dev/" not in step.text or "TestStep" not in step.text:
                continue
            for named in _kuttl_expectations(step.text):
                if "$" in named or "://" in named:
                    continue  # expanded from the environment, or fetched: not a file here
                resolved = Path(os.path.normpath(folder / named))
                if resolved == target or (resolved == target.parent and target.suffix == ".yaml"):
                    return True
    return False


def _kuttl_expectations(text: str) -> list[str]:
    """The ``assert`` and ``error`` paths of the kuttl TestStep documents of a step file."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    paths = []
    for document in documents:
        if not isinstance(document, dict) or document.get("kind") != "TestStep":
            continue
        if not str(document.get("apiVersion", "")).startswith("kuttl.dev/"):
            continue
        for action in _ACTIONS:
            listed = document.get(action)
            if isinstance(listed, list):
                paths.extend(item for item in listed if isinstance(item, str))
    return paths


def _helm_unittest_suite(text: str) -> bool:
    """Whether ``text`` is a helm-unittest suite: a mapping whose ``tests`` is a list of jobs,
    every one a mapping with ``asserts``, beside ``templates`` or ``suite`` (see the module)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if not isinstance(document, dict) or not ("templates" in document or "suite" in document):
        return False
    jobs = document.get("tests")
    return isinstance(jobs, list) and bool(jobs) and all(isinstance(job, dict) and "asserts" in job for job in jobs)


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
