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
``patchesJson6902`` (``path:``) name it.

A JSON 6902 patch (a list of operations, in a file those entries name or inline in the entry's
``patch:``, also in a Flux ``Kustomization``'s ``spec.patches``) has no resource of its own: its
``add`` and ``replace`` operations on an operator's parameter map (``PARAMETER_POINTERS``, for
the entry's ``target`` kind) are server settings, judged for what they set, and a fix rewrites
the operation's ``value``. Other operations are not read. A strategic-merge patch written inline
(``patches: - patch: |``, a ``patchesStrategicMerge`` item that is a literal block) is read as a
patch file is. An inline patch is parsed from the file's own text with everything outside its
block blanked, so its nodes' offsets, and so its findings and fixes, are the file's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.placed import PlacedSettings
from pgconf_fix.workspace import Workspace, is_file

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Folders looked at above a YAML file for a kustomization naming it (its own and seven more).
MAX_LEVELS = 8
# Where an operator's custom resource keeps its server parameters, as the JSON pointer a JSON 6902
# operation names: kind -> (API group, pointer, what messages call it, values must be strings).
# The same maps the whole resources are read from (pgconf_fix.views.kubernetes.operator_views).
PARAMETER_POINTERS = {
    "Cluster": ("postgresql.cnpg.io", "/spec/postgresql/parameters", "the CloudNativePG Cluster's parameters", True),
    "postgresql": ("acid.zalan.do", "/spec/postgresql/parameters", "the Zalando postgresql's parameters", True),
    "PostgresCluster": ("postgres-operator.crunchydata.com", "/spec/patroni/dynamicConfiguration/postgresql/parameters",
                        "the PostgresCluster's Patroni parameters", False),
    "PerconaPGCluster": ("pgv2.percona.com", "/spec/patroni/dynamicConfiguration/postgresql/parameters",
                         "the PerconaPGCluster's Patroni parameters", False),
}  # fmt: skip


@dataclass(frozen=True)
class PatchTarget:
    """A kustomization patch entry's ``target`` selector: the resources it patches (None: any)."""

    kind: str | None
    group: str | None
    name: str | None

    @classmethod
    def of(cls, entry: Node) -> PatchTarget | None:
        """The ``target`` of a patch entry, or None without one."""
        target = Y.get(entry, "target")
        if not isinstance(target, MappingNode):
            return None
        return cls(*(Y.scalar_value(Y.get(target, key)) for key in ("kind", "group", "name")))


def kustomize_patch(workspace: Workspace, source: SourceFile) -> tuple[PatchTarget | None, ...] | None:
    """The targets of the patch entries of the kustomization that names ``source`` as a patch
    file (None for an entry without one), or None when no kustomization in ``source``'s folder
    or one of the ``MAX_LEVELS - 1`` above it (up to the repository's root, the folder holding
    ``.git``) names it.

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
            found = tuple(entry for where, entry in patch_entries(kustomization.text) if os.path.normpath(folder / where) == target)
            if found:
                return found
            break  # kustomize reads one kustomization file a folder
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return None


def patch_entries(text: str) -> list[tuple[str, PatchTarget | None]]:
    """The patch files a kustomization's text names, as written (relative to its folder), each
    with its entry's target: ``patches[].path``, ``patchesJson6902[].path`` and the
    ``patchesStrategicMerge[]`` items that are paths (not inline YAML; no target). Empty for a
    text that is not a YAML mapping."""
    try:
        documents = Y.compose_documents(text)
    except Y.YamlError:
        return []
    root = documents[0] if len(documents) == 1 else None
    found: list[tuple[str, PatchTarget | None]] = []
    for key in ("patches", "patchesJson6902"):
        items = Y.get(root, key)
        for item in items.value if isinstance(items, SequenceNode) else ():
            path = Y.scalar_value(Y.get(item, "path"))
            if path:
                found.append((path, PatchTarget.of(item)))
    items = Y.get(root, "patchesStrategicMerge")
    for item in items.value if isinstance(items, SequenceNode) else ():
        path = Y.scalar_value(item)
        if path and "\n" not in path and ":" not in path:
            found.append((path, None))  # an item with a line break or a colon is an inline patch
    return found


def json_patch_views(source: SourceFile, ops: Node, targets: tuple[PatchTarget | None, ...]) -> list[SettingsView]:
    """The server settings a JSON 6902 patch file's operations set, for the first of ``targets``
    that names an operator kind of ``PARAMETER_POINTERS``; empty otherwise."""
    pointer = _pointer_for(targets)
    if pointer is None or not isinstance(ops, SequenceNode):
        return []
    return _operations_view(source, ops, pointer)


def kustomization_views(workspace: Workspace, source: SourceFile, root: Node) -> tuple[list[SettingsView], list[Problem]]:
    """The views of the patches written inline (a literal block, ``patch: |``) in a
    kustomization (or a Flux ``Kustomization``'s ``spec``): a JSON 6902 patch's operations on an
    operator's parameters (``patches``/``patchesJson6902`` entries whose ``target`` names a kind of
    ``PARAMETER_POINTERS``), and a strategic-merge patch (``patches`` entries, and
    ``patchesStrategicMerge`` items) read as the resource it patches, for what it sets; the
    chart values of its ``helmCharts`` (views.kubernetes.inflated_values_views); and PGF001 for
    each inline patch kustomize refuses (``_refused``)."""
    holder = root
    if (Y.scalar_value(Y.get(root, "apiVersion")) or "").startswith("kustomize.toolkit.fluxcd.io/"):
        holder = Y.get(root, "spec")
    views: list[SettingsView] = []
    problems: list[Problem] = []
    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        entries = Y.get(holder, key)
        for entry in entries.value if isinstance(entries, SequenceNode) else ():
            block = Y.BlockText.of(source, entry if key == "patchesStrategicMerge" else Y.get(entry, "patch"))
            if block is None:
                continue
            masked = Y.block_document(source.text, block)
            try:
                documents = Y.compose_documents(masked)
            except Y.YamlError as exc:
                problems += _refused(source, block, exc)
                continue  # nothing in it is guessed
            if len(documents) != 1:
                continue
            if isinstance(documents[0], SequenceNode):
                pointer = _pointer_for((PatchTarget.of(entry),))
                if pointer is not None:
                    views.extend(_operations_view(source, documents[0], pointer))
            elif isinstance(documents[0], MappingNode):
                views.extend(_merge_patch_views(workspace, source, documents[0]))
    charts = Y.get(holder, "helmCharts")
    if isinstance(charts, SequenceNode):
        from pgconf_fix.views.kubernetes import inflated_values_views

        for index, entry in enumerate(charts.value):
            views.extend(inflated_values_views(workspace, source, entry, f"helmCharts[{index}]."))
    return views, problems


def _refused(source: SourceFile, block: Y.BlockText, error: Y.YamlError) -> list[Problem]:
    """PGF001 for an inline patch that is not YAML, at the line PyYAML stops (kustomize refuses
    it: "unable to parse SM or JSON patch", checked with kubectl kustomize, kustomize v5.5.0);
    none for one that is JSON (kustomize reads a patch as JSON too) or too deep for PyYAML (the
    limit is PyYAML's, not kustomize's)."""
    import json

    if "nesting" in error.message or "depth" in error.message:
        return []
    try:
        json.loads(block.text)
    except (ValueError, RecursionError):
        last = source.position(block.line_starts[-1])[0]  # an error at the end is the block's last line's
        start, end = source.line_span(min(error.line, last))
        return [Problem(Location(source, start, end), f"kustomize refuses this inline patch, which is not valid YAML: {error.message}")]
    return []


def _merge_patch_views(workspace: Workspace, source: SourceFile, root: MappingNode) -> list[SettingsView]:
    """An inline strategic-merge patch's views (``as_patch``)."""
    from pgconf_fix.views.kubernetes import kubernetes_views

    return as_patch(root, kubernetes_views(workspace, source, root)[0])


def as_patch(root: Node, views: list[SettingsView]) -> list[SettingsView]:
    """``views`` of the document ``root`` taken as a strategic-merge patch: judged for what it
    sets, not for what it leaves out, which is the base's; a ConfigMap's ``data`` values are
    replaced whole, so its embedded files stay judged whole. Returns ``views``."""
    if Y.scalar_value(Y.get(root, "kind")) != "ConfigMap":
        for view in views:
            view.judges_missing = False
    return views


def _pointer_for(targets: tuple[PatchTarget | None, ...]) -> tuple[str, str, bool] | None:
    """(pointer, what, strings) of the first target naming a kind of ``PARAMETER_POINTERS`` whose
    group, when the target gives one, is that kind's."""
    for target in targets:
        if target is None or target.kind not in PARAMETER_POINTERS:
            continue
        group, pointer, what, strings = PARAMETER_POINTERS[target.kind]
        if target.group in (None, group):
            return pointer, f"{what}, as a kustomize JSON patch sets them", strings
    return None


def _unescape(token: str) -> str:
    """A JSON pointer reference token as RFC 6901 reads it: ``~1`` is ``/``, ``~0`` is ``~``."""
    return token.replace("~1", "/").replace("~0", "~")


def _operations_view(source: SourceFile, ops: SequenceNode, pointer: tuple[str, str, bool]) -> list[SettingsView]:
    """One view of the ``add``/``replace`` operations under ``pointer``: a value at
    ``<pointer>/<name>``, or a map of them at ``<pointer>``. ``ops``'s offsets are ``source``'s
    (an inline patch is parsed from the file's text with the rest blanked: ``Y.block_document``)."""
    prefix, what, strings = pointer
    home = Location(source, ops.start_mark.index, ops.start_mark.index)
    view = PlacedSettings("server", source, what, home, None, judges_missing=False)
    for operation in ops.value:
        kind = Y.scalar_value(Y.get(operation, "op"))
        path = Y.scalar_value(Y.get(operation, "path"))
        pair = Y.entry(operation, "value")
        if kind not in ("add", "replace") or path is None or pair is None:
            continue
        if path == prefix:
            values = Y.items(pair[1])
        elif path.startswith(prefix + "/") and "/" not in path[len(prefix) + 1 :]:
            values = [(pair[0], pair[1])]
            name = _unescape(path[len(prefix) + 1 :])
        else:
            continue
        for key, value in values:
            if not isinstance(value, ScalarNode):
                continue

            def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
                return (Y.replace_scalar(source, value, new, string=strings or value.style is not None),)

            setting = name if path != prefix else key.value
            location = Location(source, key.start_mark.index, value.end_mark.index)
            view.add(setting.lower(), value.value, location, Y.span(value), replace)
    return [view.finish()] if view.assignments else []
