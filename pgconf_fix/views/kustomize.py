"""Kustomize patches: a YAML file a kustomization names as a patch holds part of a resource.

``kustomize build`` (and ``kubectl kustomize``, ``kubectl apply -k``, Argo CD, Flux) reads a
patch file's document as a *strategic-merge patch* over the resource of the same kind and name
from its ``resources``: maps are merged key by key, so a key the patch leaves out keeps the
base's value. A CloudNativePG ``Cluster`` patch that sets only ``tcp_keepalives_idle`` renders
with the base's ``tcp_keepalives_interval`` and ``tcp_keepalives_count`` (checked with
``kubectl kustomize``, kustomize v5.5.0). Judged as a whole resource, such a patch gave "not
set" findings for settings the rendered resource has, and their fixes wrote them into the patch.

So the views of a patch document judge what it sets, never what it leaves out
(``judges_missing``): a value it sets wins over the base's, and its fix edits the patch. A
ConfigMap's ``data`` value is a string, which a patch replaces whole: an embedded
postgresql.conf or pgbouncer.ini in a patch is judged as the complete file it is. A map a patch
replaces whole (``$patch: replace``) is still judged as partial: that leaves a missing setting
unreported there, never reports a setting the rendered resource has.

A patch is found from the kustomization files in its folder and the folders above it (kustomize
refuses a patch file outside its kustomization's folder: "security; file ... is not in or below
..."): ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` (more than one in a
folder is refused: "Found multiple kustomization files"), of kind Kustomization or Component,
whose ``patches`` (``path:``), ``patchesStrategicMerge`` (a path per item) or
``patchesJson6902`` (``path:``) name it. A JSON 6902 patch file (a list of operations) has no
resource to judge; its operations are not read.
"""

from __future__ import annotations

import os

import yaml

from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.workspace import Workspace, is_file

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Folders looked at above a YAML file for a kustomization naming it (its own and seven more).
MAX_LEVELS = 8


def is_kustomize_patch(workspace: Workspace, source: SourceFile) -> bool:
    """Whether a kustomization in ``source``'s folder or one of the ``MAX_LEVELS - 1`` above it
    (up to the repository's root, the folder holding ``.git``) names ``source`` as a patch file.

    Each kustomization file is read through ``workspace`` (an input of the check for the result
    cache); one that cannot be read or parsed names nothing."""
    target = os.path.normpath(source.path)
    folder = source.path.parent
    for _ in range(MAX_LEVELS):
        for name in KUSTOMIZATION_FILES:
            path = folder / name
            if not is_file(path):
                continue
            try:
                kustomization = workspace.load(path, workspace.display_for(path, source.display))
            except InputError:
                break
            if any(os.path.normpath(folder / entry) == target for entry in patch_paths(kustomization.text)):
                return True
            break  # kustomize reads one kustomization file a folder
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return False


def patch_paths(text: str) -> list[str]:
    """The patch files a kustomization's text names, as written (relative to its folder):
    ``patches[].path``, ``patchesStrategicMerge[]`` items that are paths (not inline YAML) and
    ``patchesJson6902[].path``. Empty for a text that is not a YAML mapping."""
    try:
        root = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, dict):
        return []
    found: list[str] = []
    for key in ("patches", "patchesJson6902"):
        items = root.get(key)
        for item in items if isinstance(items, list) else ():
            path = item.get("path") if isinstance(item, dict) else None
            if isinstance(path, str) and path:
                found.append(path)
    items = root.get("patchesStrategicMerge")
    for item in items if isinstance(items, list) else ():
        if isinstance(item, str) and item and "\n" not in item and ":" not in item:
            found.append(item)  # an item with a line break or a colon is an inline patch
    return found
