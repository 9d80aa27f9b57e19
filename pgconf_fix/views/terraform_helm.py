"""Chart values written in a Terraform ``helm_release``: a heredoc of YAML in ``values``.

The Helm provider hands each string of ``values = [...]`` to Helm as a values file
(registry.terraform.io/providers/hashicorp/helm, resource ``helm_release``: "values - (Optional)
List of values in raw YAML to pass to helm"), later ones merged over earlier ones, and ``set``
blocks over all of them. So a release whose ``values`` is one heredoc (``<<EOT`` or ``<<-EOT``)
is a values file kept inside the ``.tf`` file: read as ``views.kubernetes.values_views`` reads
one (the Bitnami postgresql chart's ``primary.extendedConfiguration``, the CloudNativePG cluster
chart's parameters, an umbrella chart's dependency). The heredoc's lines are parsed at their
own offsets, everything else blanked (``yaml_nodes.block_document``'s way), so findings and
fixes land in the ``.tf`` file; Terraform hands the heredoc's text on as it is, without its
common indentation for ``<<-`` (which YAML reads the same: every line indented alike).

Not read: a release with several ``values`` strings, a ``set``/``set_list``/``set_sensitive``
(a block or an argument) that may override a path read, a heredoc holding an interpolation
(``${``, ``%{``: its text is computed), or values from ``file()``/``templatefile()`` (the file
is read where it is, if it is a values file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.hcl import HclDocument
from pgconf_fix.documents.hcl_strings import heredoc_markers

if TYPE_CHECKING:
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import SettingsView
    from pgconf_fix.workspace import Workspace

SET_KEYS = ("set", "set_list", "set_sensitive")


def helm_release_views(workspace: Workspace, source: SourceFile) -> list[SettingsView]:
    """The chart-values views of each ``helm_release`` of a ``.tf`` file whose ``values`` is one
    heredoc of YAML (see the module); [] when there is none."""
    from yaml.nodes import MappingNode

    from pgconf_fix.views.kubernetes import values_views

    text = source.text
    markers = heredoc_markers(text)
    if not markers:
        return []
    views: list[SettingsView] = []
    for block in HclDocument(source).blocks:
        if block.type != "resource" or block.labels[:1] != ("helm_release",):
            continue
        if any(child.type in SET_KEYS for child in block.blocks) or any(block.attribute(key) for key in SET_KEYS):
            continue
        values = block.attribute("values")
        if values is None:
            continue
        inside = [m for m in markers if values.value.start <= m[0] < values.value.end]
        if len(inside) != 1:
            continue
        marker_start, marker_end, close_start, close_end = inside[0]
        opening = text.rfind("<<", values.value.start, marker_start)
        body_start = text.find("\n", marker_end) + 1
        if opening < 0 or not 0 < body_start <= close_start:
            continue
        body = text[body_start:close_start]
        if "${" in body or "%{" in body:
            continue
        # The list holds this heredoc alone: what is left of it is "[", "]", blanks and commas.
        around = text[values.value.start : opening] + text[close_end : values.value.end]
        if around.replace(",", " ").split() != ["[", "]"]:
            continue
        document = "".join("\n" if char == "\n" else " " for char in text[:body_start]) + body
        try:
            roots = Y.compose_documents(document)
        except Y.YamlError:
            continue  # Helm would refuse it too; the .tf file itself is fine
        for root in roots:
            if isinstance(root, MappingNode):
                views.extend(values_views(workspace, source, root, ""))
    return views
