"""A compose file's services as compose's decoder reads them: merge keys applied, ``!reset`` dropped.

compose-go (e70e961, ``loader/reset.go``) walks each document's node tree first: a value tagged
``!reset`` is taken out of its mapping (and its path remembered, so that the decoded value is
deleted too); then the tree is decoded with go.yaml.in/yaml/v4, whose decoder applies YAML merge
keys (``<<: *anchor`` or a list of them): a mapping's own keys win, then each merged mapping's
in the order written (the first one that sets a key gives it; ``internal/libyaml/constructor.go``
``merge``). So ``x-pg: &pg {image: postgres:16}`` and ``db: {<<: *pg, command: ...}`` make a
service ``db`` running ``postgres:16``. tests/test_compose_merge_keys.py holds this reading to
that decoder.
"""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode

from pgconf_fix.documents import yaml_nodes as Y

RESET_TAG = "!reset"


def service_entry(service: Node, key: str) -> tuple[ScalarNode, Node] | None:
    """The entry (key node, value node) of ``key`` in a service mapping as compose reads it:
    the service's own, else the one a merge key brings (the first merged mapping, in the order
    written, that sets it; merged mappings may merge others); the nodes are where the entry is
    written, in the service or in the anchored mapping. An entry tagged ``!reset`` is not there
    (compose-go's ResetProcessor.resolveContainer leaves it out of its mapping before decoding,
    so a merged mapping's entry, if any, is what the decoder takes). None when nothing sets it."""
    return Y.merged_entry(service, key, reset_tag=RESET_TAG)


def volume_target(volume: Node) -> str | None:
    """A service volume's path in the container: the long syntax's ``target``, or the short
    syntax's ``[SOURCE:]TARGET[:MODE]``
    (https://docs.docker.com/reference/compose-file/services/#volumes); None when not written."""
    if isinstance(volume, MappingNode):
        return Y.scalar_value(Y.get(volume, "target"))
    text = Y.scalar_value(volume)
    if text is None:
        return None
    parts = text.split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def service_value(service: Node, key: str) -> Node | None:
    """The value node of ``key`` in a service (``service_entry``), or None."""
    found = service_entry(service, key)
    return None if found is None else found[1]


def services(root: Node) -> Iterator[tuple[ScalarNode, MappingNode]]:
    """(name node, service mapping) of each service under ``services:``, in file order;
    entries whose value is not a mapping are skipped."""
    for name, service in Y.items(Y.get(root, "services")):
        if isinstance(service, MappingNode):
            yield name, service


def service_images(text: str) -> list[str] | None:
    """The ``image:`` of every service of a compose file's text, as written (variables not
    filled in), through merge keys; None when PyYAML cannot read the text or no document of it
    has ``services:`` (the caller then falls back on the lines that look like ``image:``)."""
    try:
        documents = Y.compose_documents(text)
    except Y.YamlError:
        return None
    roots = [root for root in documents if isinstance(Y.get(root, "services"), MappingNode)]
    if not roots:
        return None
    found = []
    for root in roots:
        for _, service in services(root):
            image = Y.scalar_value(service_value(service, "image"))
            if image:
                found.append(image)
    return found
