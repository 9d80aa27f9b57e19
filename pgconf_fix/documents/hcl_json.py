"""Terraform's JSON syntax (``*.tf.json``) read into the same blocks as a ``.tf`` file.

Python's ``json`` module gives values but no positions; views need both (findings and
fixes point at bytes). So the text is walked here with the ``json`` module's own string
scanner and number pattern for the tokens, recording where every key and value is.
What the JSON means follows Terraform's JSON configuration syntax
(https://developer.hashicorp.com/terraform/language/syntax/json):

- ``{"resource": {"TYPE": {"NAME": {...}}}}`` is ``resource "TYPE" "NAME" {...}``
  (``data`` likewise); ``{"variable": {"NAME": {...}}}``, ``module`` and ``provider``
  take one label; ``locals`` is a body of attributes;
- a body's property whose value is an object (or an array of objects) is a nested
  block when the resource type has blocks of that name (``parameter``, ``settings``,
  ``database_flags``, ``default_action``...); otherwise it is an argument;
- a string is a template: ``"${var.x}"`` is the expression ``var.x``.

Only values are edited in place; arguments are not inserted (a JSON edit that adds a
property must also manage commas: no fix is offered there).
"""

from __future__ import annotations

import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pgconf_fix.documents.hcl_model import BOOL, NULL, NUMBER, OTHER, REFERENCE, STRING
from pgconf_fix.documents.hcl_model import Expression, HclAttribute, HclBlock, hcl_number

# Property names that are nested blocks in the resources pgconf-fix reads.
NESTED_BLOCKS = frozenset({"parameter", "settings", "database_flags", "default_action", "auth", "listener", "dynamic"})
_LABELS = {"resource": 2, "data": 2, "variable": 1, "module": 1, "provider": 1, "output": 1}
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_REFERENCE = re.compile(r"^\$\{\s*(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}$")


class JsonSyntaxError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass
class JsonNode:
    """A JSON value with its span; ``members`` (key, key start, key end, colon, node) for objects."""

    kind: str  # object, array, string, number, true, false, null
    start: int
    end: int
    value: Any = None
    members: list[tuple[str, int, int, int, JsonNode]] = field(default_factory=list)
    items: list[JsonNode] = field(default_factory=list)


def parse(text: str) -> JsonNode:
    """The whole document; JsonSyntaxError with the offset of the first problem."""
    position = _skip(text, 0)
    node, position = _value(text, position)
    position = _skip(text, position)
    if position != len(text):
        raise JsonSyntaxError(position, "invalid JSON: extra data after the top-level value")
    return node


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]


def _value(text: str, position: int) -> tuple[JsonNode, int]:
    if position >= len(text):
        raise JsonSyntaxError(position, "invalid JSON: unexpected end of file")
    char = text[position]
    if char == "{":
        return _object(text, position)
    if char == "[":
        return _array(text, position)
    if char == '"':
        value, end = _string(text, position)
        return JsonNode("string", position, end, value), end
    for word, kind, value in (("true", "true", True), ("false", "false", False), ("null", "null", None)):
        if text.startswith(word, position):
            return JsonNode(kind, position, position + len(word), value), position + len(word)
    match = json.scanner.NUMBER_RE.match(text, position)
    if match is None:
        raise JsonSyntaxError(position, f"invalid JSON: unexpected {text[position]!r}")
    integer, fraction, exponent = match.groups()
    number = float(integer + (fraction or "") + (exponent or "")) if fraction or exponent else hcl_number(integer)
    return JsonNode("number", position, match.end(), number), match.end()


def _string(text: str, position: int) -> tuple[str, int]:
    try:
        return json.decoder.scanstring(text, position + 1)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(exc.pos, f"invalid JSON: {exc.msg}") from None


def _object(text: str, start: int) -> tuple[JsonNode, int]:
    node = JsonNode("object", start, start)

    def member(position: int) -> int:
        if not text.startswith('"', position):
            raise JsonSyntaxError(position, "invalid JSON: a property name must be a string")
        key, key_end = _string(text, position)
        colon = _skip(text, key_end)
        if not text.startswith(":", colon):
            raise JsonSyntaxError(colon, "invalid JSON: ':' expected after a property name")
        value, after = _value(text, _skip(text, colon + 1))
        node.members.append((key, position, key_end, colon, value))
        return after

    node.end = _delimited(text, start, "}", member)
    return node, node.end


def _array(text: str, start: int) -> tuple[JsonNode, int]:
    node = JsonNode("array", start, start)

    def item(position: int) -> int:
        value, after = _value(text, position)
        node.items.append(value)
        return after

    node.end = _delimited(text, start, "]", item)
    return node, node.end


def _delimited(text: str, start: int, close: str, read: Callable[[int], int]) -> int:
    """Read ``read`` items separated by commas from after the opening character at ``start``
    up to ``close``; the offset after ``close``. JsonSyntaxError at anything else."""
    position = _skip(text, start + 1)
    if text.startswith(close, position):
        return position + 1
    while True:
        position = _skip(text, read(position))
        if text.startswith(",", position):
            position = _skip(text, position + 1)
            continue
        if text.startswith(close, position):
            return position + 1
        raise JsonSyntaxError(position, f"invalid JSON: ',' or '{close}' expected")


# --- meaning ------------------------------------------------------------------------------


def blocks(text: str) -> list[HclBlock]:
    """The top-level blocks of a ``.tf.json`` document, as ``HclDocument`` gives them."""
    root = parse(text)
    if root.kind != "object":
        raise JsonSyntaxError(root.start, "invalid Terraform JSON: the document must be an object")
    found: list[HclBlock] = []
    for block_type, key_start, _, _, value in root.members:
        if block_type == "locals":
            for body in _bodies(value):
                found.append(_block(block_type, (), key_start, body, nested=False))
            continue
        depth = _LABELS.get(block_type)
        if depth is None:
            continue  # terraform {}, moved {}, import {}: nothing pgconf-fix reads
        found.extend(_labelled(block_type, value, depth, (), key_start))
    return found


def values(text: str) -> list[HclAttribute]:
    """The variable values of a ``*.tfvars.json`` document (one object of name: value)."""
    root = parse(text)
    if root.kind != "object":
        raise JsonSyntaxError(root.start, "invalid Terraform JSON: the document must be an object")
    return [
        HclAttribute(key, key_start, key_end, colon, value.end, expression(value))
        for key, key_start, key_end, colon, value in root.members
        if key != "//"
    ]


def _bodies(node: JsonNode) -> list[JsonNode]:
    """A block body may be an object or an array of objects (one block each)."""
    if node.kind == "object":
        return [node]
    if node.kind == "array":
        return [item for item in node.items if item.kind == "object"]
    return []


def _labelled(block_type: str, node: JsonNode, depth: int, labels: tuple[str, ...], start: int) -> list[HclBlock]:
    if depth == 0:
        return [_block(block_type, labels, start, body, nested=True) for body in _bodies(node)]
    if node.kind != "object":
        return []
    found = []
    for label, key_start, _, _, value in node.members:
        found.extend(_labelled(block_type, value, depth - 1, (*labels, label), start if labels else key_start))
    return found


def _block(block_type: str, labels: tuple[str, ...], start: int, body: JsonNode, nested: bool) -> HclBlock:
    block = HclBlock(type=block_type, labels=labels, start=start, open_brace=body.start, close_brace=body.end - 1)
    for key, key_start, key_end, colon, value in body.members:
        if key == "//":
            continue  # a comment property
        if nested and key in NESTED_BLOCKS and value.kind in ("object", "array"):
            block.blocks.extend(_block(key, (), key_start, inner, nested=True) for inner in _bodies(value))
            continue
        block.attributes.append(HclAttribute(key, key_start, key_end, colon, value.end, expression(value)))
    return block


def expression(node: JsonNode) -> Expression:
    """A JSON value as the expression it stands for."""
    if node.kind == "number":
        return Expression(NUMBER, node.start, node.end, node.value)
    if node.kind in ("true", "false"):
        return Expression(BOOL, node.start, node.end, node.value)
    if node.kind == "null":
        return Expression(NULL, node.start, node.end)
    if node.kind == "string":
        text = node.value
        reference = _REFERENCE.match(text)
        if reference:
            return Expression(REFERENCE, node.start, node.end, (reference.group(1), reference.group(2)), legacy=True)
        if "${" in text or "%{" in text:
            return Expression(OTHER, node.start, node.end)
        return Expression(STRING, node.start, node.end, text, quoted=True)
    return Expression(OTHER, node.start, node.end)
