"""Terraform values known without a plan, for the meta-arguments that decide whether a block
exists at all: ``count`` and ``for_each`` of a resource or a module call.

:func:`evaluate` reads an expression in a module instance (``terraform_module.TerraformModule``)
the way Terraform 1.11.4 does before any resource exists: literals, ``[...]`` and ``{...}``,
``var.x`` (a module call's argument, a root's tfvars, else the default, converted to a
primitive ``type``), ``local.x``, ``a.b`` on an object, ``c ? a : b``, ``!``, ``-``,
``&&``, ``||``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``+``, ``-``, ``*``, a template
that is one ``"${...}"``, and the functions ``length``, ``toset``, ``tolist``, ``tomap``.
Anything else (a resource or data source attribute, ``count.index``, another function, a
``for`` expression, an escape in a string) is :data:`UNKNOWN`, and so is every result built
from it: the caller then keeps its conservative answer (the block may exist).

Each rule below was checked on terraform 1.11.4 (``terraform plan`` of ``terraform_data``
resources, no provider needed): a condition of "false" (a string) is false; ``1 == "1"`` is
false (``==`` does not convert), ``"2" < 10`` is true (comparisons convert to numbers); a
variable typed ``bool`` whose default is "false" is false, one typed ``string`` whose default is
1 equals "1"; an untyped default or tfvars value keeps its literal type; ``count = "0"`` makes
no instance; ``count = false`` and ``for_each = []`` (a tuple, even empty) are refused.

:func:`evaluate_inputs` also names the root module's variables a value was read from: a
``-var``, ``-var-file`` or ``TF_VAR_`` given to ``terraform plan`` may set those otherwise, so
what they decide (a box that exists or not) holds only for the values written in the tree.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from pgconf_fix.documents.hcl_model import (
    BOOL,
    NULL,
    NUMBER,
    REFERENCE,
    STRING,
    HclAttribute,
    HclBlock,
)

if TYPE_CHECKING:
    from pgconf_fix.source import SourceFile


class Written(Protocol):
    """An attribute and the file it is written in (``terraform_module.Written``)."""

    source: SourceFile
    attribute: HclAttribute


class Call(Protocol):
    """A module call (``terraform_module.ModuleCall``): the calling module, and the block."""

    module: Module
    source: SourceFile
    block: HclBlock


class Module(Protocol):
    """A module instance as this evaluator reads it (``terraform_module.TerraformModule``):
    its variables, locals, root tfvars values, the call that instantiates it, and a place to
    keep each variable's value once read."""

    variables: dict[str, tuple[SourceFile, HclBlock]]
    locals: dict[str, Written]
    values: dict[str, Written]
    caller: Call | None
    evaluated: dict[str, object]


def not_nullable(block: HclBlock) -> bool:
    """Whether a ``variable`` block says ``nullable = false`` (a literal): a null argument then
    leaves it its default (Terraform 1.11.4 console)."""
    found = block.attribute("nullable")
    return found is not None and found.value.kind == BOOL and found.value.value is False


class _Unknown:
    """A value not known without a plan (or not modelled here)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class TerraformSet(frozenset):
    """A Terraform set (of primitives): ``toset([...])``."""


class Unified(tuple):
    """The tuple a conditional chose where its other branch is of another type or not known:
    Terraform converts both branches to one type first (``c ? toset(["a"]) : []`` is a set),
    so it is a collection of that length whose type is not known here."""


class UnifiedSet(TerraformSet):
    """A set a conditional chose where its other branch is of another type or not known (as
    :class:`Unified`): its elements may be converted (``toset([1])`` beside a set of strings)."""


class TerraformObject(tuple):
    """A Terraform object or map, kept hashable: ``((key, value), ...)`` sorted by key."""

    @classmethod
    def of(cls, items: dict[str, Any]) -> TerraformObject:
        return cls(sorted(items.items()))

    def get(self, key: str) -> Any:
        return next((value for name, value in self if name == key), UNKNOWN)


Value = Any  # None (null), bool, int | float, str, tuple, TerraformSet, TerraformObject, UNKNOWN


def evaluate(module: Module, written: Written) -> Value:
    """The value of ``written`` (an attribute of ``module``'s files, or of its caller's, or of a
    tfvars file) as Terraform computes it before any resource exists; :data:`UNKNOWN` when that
    needs a plan or something not modelled here (module docstring)."""
    return _Evaluator(module, ()).written(written)


def evaluate_inputs(module: Module, written: Written) -> tuple[Value, frozenset[str]]:
    """:func:`evaluate`'s value, and the root module's variables it was read from (``var.x``
    labels; empty when the value follows from the configuration alone): a variable of the root
    module takes ``-var``, ``-var-file`` and ``TF_VAR_x`` over its tfvars value and its default
    (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence),
    so the value holds only when terraform is given none of them."""
    evaluator = _Evaluator(module, ())
    return evaluator.written(written), frozenset(evaluator.inputs)


def variable_value(module: Module, name: str) -> Value:
    """The value of ``var.<name>`` in ``module``, as :func:`evaluate` reads it."""
    return _Evaluator(module, ()).reference("var", name)


def frozen(value: Value) -> tuple:
    """``value`` with its type, for a key: ``1``, ``1.0``, ``True`` and ``"1"`` stay apart."""
    if isinstance(value, (tuple, frozenset)):
        items = sorted((frozen(item) for item in value), key=repr) if isinstance(value, frozenset) else [frozen(i) for i in value]
        return (type(value).__name__, tuple(items))
    return (type(value).__name__, value)


def instance_count(value: Value, meta: str) -> int | None:
    """How many instances a ``count`` or ``for_each`` (``meta``) value makes; None when not known.

    ``count``: a whole number at least 0, or a string of one ("0": none). ``for_each``: the size
    of a map, object or set. An empty tuple (``for_each = []``) makes none: terraform refuses the
    configuration ("must be a map, or set of strings, and you have provided a value of type
    tuple"), so nothing of it is ever created. A value Terraform refuses otherwise (null, a
    negative or boolean count, a non-empty tuple) is not known: the caller stays conservative."""
    if value is UNKNOWN or value is None:
        return None
    if meta == "count":
        number = _number(value) if isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return None
        if not math.isfinite(number) or not 0 <= number <= _MAX_COUNT or number != int(number):
            return None
        return int(number)
    if isinstance(value, TerraformSet) and refusal(value, meta) is not None:
        return None  # a set of numbers or booleans
    if isinstance(value, (TerraformSet, TerraformObject)):
        return len(value)
    if isinstance(value, tuple) and not value:
        return 0
    return None


_MAX_COUNT = 2**63 - 1  # terraform: "a whole number, between -9223372036854775808 and 9223372036854775807"


def refusal(value: Value, meta: str) -> str | None:
    """Why terraform refuses ``value`` as a ``count`` or ``for_each`` (``meta``), for a message:
    what the value is, and terraform's heading for the error (terraform 1.11.4 plan,
    tests/test_terraform_count.py); None when it takes the value or when that is not known here.

    ``count``: a number (or a string of one, read as cty reads decimal numbers) that is whole,
    0 or more and at most 2**63-1; not null. ``for_each``: a map, an object or a set of strings;
    not null. A tuple or list (``[]``, ``["a", "b"]``), a primitive, or a set of numbers or
    booleans is refused. A collection a conditional chose (:class:`Unified`,
    :class:`UnifiedSet`) may be converted to its other branch's type: not judged."""
    if value is UNKNOWN or isinstance(value, (Unified, UnifiedSet)):
        return None
    if meta == "count":
        takes = "count takes a whole number, 0 or more"
        if value is None:
            return f"count is null: terraform refuses it (Invalid count argument); {takes}"
        if isinstance(value, str):
            number = _number(value)
            if number is UNKNOWN:
                if set(value) <= set("0123456789.eE+-"):
                    return None  # a form of number not modelled here
                return f"count is a string that is no number: terraform refuses it (Incorrect value type); {takes}"
            value = number
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"count is {_described(value)}: terraform refuses it (Incorrect value type); {takes}"
        if not math.isfinite(value) or value != int(value) or not 0 <= value <= _MAX_COUNT:
            return f"count is {value:g}: terraform refuses it (Invalid count argument); {takes}"
        return None
    takes = "for_each takes a map, or a set of strings (toset([...]) of a list)"
    if value is None:
        return f"for_each is null: terraform refuses it (Invalid for_each argument); {takes}"
    if isinstance(value, TerraformObject):
        return None
    if isinstance(value, TerraformSet):
        kinds = {_kind(item) for item in value if item is not UNKNOWN} - {"string"}
        if kinds:
            return f"for_each is a set of {min(kinds)} values: terraform refuses it (Invalid for_each set argument); {takes}"
        return None
    return f"for_each is {_described(value)}: terraform refuses it (Invalid for_each argument); {takes}"


def _described(value: Value) -> str:
    """What a value is, for a message (never the value of a string)."""
    if isinstance(value, tuple):
        return "an empty tuple" if not value else "a list or tuple"
    if isinstance(value, TerraformSet):
        return "a set"
    return {"bool": "a bool", "number": "a number", "string": "a string"}.get(_kind(value), "a value of another type")


@lru_cache(maxsize=1024)
def _parse(text: str) -> Any:
    """python-hcl2's tree of one expression's text, or None when it does not parse alone."""
    import hcl2

    try:
        tree = hcl2.parses_to_tree(f"x = {text}\n")
    except Exception:  # noqa: BLE001 - any parser failure: the value is not known here
        return None
    body = tree.children[0]
    attributes = [child for child in body.children if getattr(child, "data", None) == "attribute"]
    return attributes[0].children[2] if len(attributes) == 1 else None


def _rule(node: Any) -> str | None:
    data = getattr(node, "data", None)
    return None if data is None else str(data)


def _trees(node: Any) -> list[Any]:
    """The children of ``node`` that are trees, newlines and comments left out."""
    return [child for child in node.children if _rule(child) not in (None, "new_line_or_comment")]


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(text: str) -> int | float | Any:
    """A string converted to a number as Terraform converts it (cty: decimal digits with a sign,
    a point and an exponent; no blank around it, no "_" or "0x": terraform 1.11.4 refuses
    ``count = " 1"``, ``"1_0"``, ``"0x1"``, ``"١"``); UNKNOWN when it is not one. ``inf`` and
    ``Inf``, with or without a sign, are infinite (``count = "+Inf"`` is refused as an invalid
    count, ``"INF"`` and ``"infinity"`` as no number)."""
    if text.lstrip("+-") in ("inf", "Inf") and len(text) - len(text.lstrip("+-")) <= 1:
        return -math.inf if text.startswith("-") else math.inf
    if not _DECIMAL.fullmatch(text):
        return UNKNOWN
    digits = text.lstrip("+-")
    if digits.isdigit() and len(digits) < 30:
        return int(text)
    return float(text)


def _boolean(value: Value) -> bool | Any:
    """A value used as a condition or an operand of ``!``, ``&&``, ``||``: a bool, or the
    strings "true" and "false" (Terraform converts them); anything else is not known here."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    return UNKNOWN


def _numeric(value: Value) -> int | float | Any:
    if isinstance(value, bool) or value is None:
        return UNKNOWN
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return _number(value)
    return UNKNOWN


def _primitive(value: Value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "other"


def convert(value: Value, constraint: str | None) -> Value:
    """``value`` as a variable of type ``constraint`` (its text) holds it: converted to a
    primitive type; unchanged without a type or with ``any``; for a collection type, an empty
    set stays empty, a list or tuple keeps its length and a map its keys, their elements not
    known here (converted to the element type); anything else (an object type's optional
    attributes, a set's duplicates after conversion) is not known."""
    if value is UNKNOWN or value is None or constraint is None or constraint == "any":
        return value
    if constraint == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        return value if isinstance(value, str) else UNKNOWN
    if constraint == "number":
        number = _numeric(value)
        return number
    if constraint == "bool":
        return _boolean(value)
    if not isinstance(value, (tuple, TerraformSet)):
        return UNKNOWN
    if constraint.startswith("set(") and not value and not isinstance(value, TerraformObject):
        return TerraformSet()
    if constraint.startswith("map(") and isinstance(value, TerraformObject):
        return TerraformObject((key, UNKNOWN) for key, _ in value)  # its keys; values converted
    if constraint.startswith(("list(", "tuple(")) and not isinstance(value, TerraformObject):
        return (UNKNOWN,) * len(value)  # its length; elements converted
    return UNKNOWN


class _Evaluator:
    """One evaluation: ``seen`` holds the references being followed (a cycle is UNKNOWN)."""

    def __init__(self, module: Module, seen: tuple[tuple[int, str], ...], inputs: set[str] | None = None) -> None:
        """``inputs``: where the root module's variables read are gathered (shared by the
        evaluations one evaluation starts)."""
        self.module = module
        self.seen = seen
        self.inputs: set[str] = set() if inputs is None else inputs

    def written(self, written: Written) -> Value:
        return self.attribute(written.source, written.attribute)

    def attribute(self, source: SourceFile, attribute: HclAttribute) -> Value:
        value = attribute.value
        if value.kind == NULL:
            return None
        if value.kind in (NUMBER, STRING, BOOL):
            return value.value
        if value.kind == REFERENCE:
            return self.reference(*value.value)
        text = source.text[value.start : value.end]
        if source.path.name.endswith(".json"):
            try:
                return self.json_value(json.loads(text))
            except (ValueError, RecursionError):
                return UNKNOWN
        tree = _parse(text)
        return UNKNOWN if tree is None else self.node(tree)

    def json_value(self, value: object) -> Value:
        """A value of Terraform's JSON syntax (``*.tf.json``): an array is a tuple, an object an
        object (its keys literal strings), a string a template (``"${var.on ? 1 : 0}"`` is that
        expression's value), other values themselves
        (https://developer.hashicorp.com/terraform/language/syntax/json#expression-mapping)."""
        if isinstance(value, list):
            return tuple(self.json_value(item) for item in value)
        if isinstance(value, dict):
            if any("${" in key or "%{" in key for key in value):
                return UNKNOWN
            return TerraformObject.of({key: self.json_value(item) for key, item in value.items()})
        if not isinstance(value, str) or ("${" not in value and "%{" not in value):
            return value
        if not any(char in value for char in '"\\\n\r'):
            tree = _parse(f'"{value}"')  # a quoted template of the same text
        elif value.startswith("${") and value.endswith("}") and not value.startswith("${~"):
            # One interpolation holding strings: its expression, when that parses alone.
            tree = _parse(value[2:-1]) if not value.endswith("~}") else None
        else:
            tree = None
        return UNKNOWN if tree is None else self.node(tree)

    def reference(self, root: str, name: str) -> Value:
        key = (id(self.module), f"{root}.{name}")
        if key in self.seen:
            return UNKNOWN
        module = self.module
        inner = _Evaluator(module, (*self.seen, key), self.inputs)
        if root == "local":
            target = module.locals.get(name)
            return UNKNOWN if target is None else inner.written(target)
        if name not in module.evaluated:
            reading = _Evaluator(module, self.seen, set())
            module.evaluated[name] = (reading.variable(name), frozenset(reading.inputs))
        value, inputs = module.evaluated[name]  # type: ignore[misc]
        self.inputs.update(inputs)
        return value

    def variable(self, name: str) -> Value:
        """``var.<name>``: the call's argument (read in the calling module, where no reference
        of this one can lead back), a root's tfvars value, else the default."""
        module = self.module
        inner = _Evaluator(module, (*self.seen, (id(module), f"var.{name}")), self.inputs)
        declared = module.variables.get(name)
        if declared is None:
            return UNKNOWN
        source, block = declared
        constraint = _type_text(source.text, block)
        caller = module.caller
        argument = caller.block.attribute(name) if caller is not None else None
        if caller is None:
            self.inputs.add(f"var.{name}")  # -var, -var-file and TF_VAR_ set a root's variables
        if caller is not None and argument is not None:
            given = _Evaluator(caller.module, (), self.inputs).attribute(caller.source, argument)
            if given is not None or not not_nullable(block):
                return convert(given, constraint)
        elif caller is None and name in module.values:
            return convert(inner.written(module.values[name]), constraint)
        default = block.attribute("default")
        if default is None:
            return UNKNOWN
        return convert(inner.attribute(source, default), constraint)

    def node(self, node: Any) -> Value:
        handler = _HANDLERS.get(_rule(node) or "")
        return UNKNOWN if handler is None else handler(self, node)

    # --- the node kinds -----------------------------------------------------------------

    def expr_term(self, node: Any) -> Value:
        inner = _trees(node)
        return self.node(inner[0]) if len(inner) == 1 else UNKNOWN

    def int_lit(self, node: Any) -> Value:
        return _number(str(node.children[0]))

    def literal_value(self, node: Any) -> Value:
        return {"true": True, "false": False, "null": None}.get(str(node.children[0]), UNKNOWN)

    def string(self, node: Any) -> Value:
        parts = [child for child in node.children if _rule(child) == "string_part"]
        if len(parts) == 1 and _rule(parts[0].children[0]) == "interpolation":
            inner = _trees(parts[0].children[0])
            return self.node(inner[0]) if len(inner) == 1 else UNKNOWN  # "${x}" is x itself
        text = []
        for part in parts:
            piece = part.children[0]
            if _rule(piece) is not None or "\\" in piece or "$${" in piece or "%%{" in piece:
                return UNKNOWN  # a template or an escape sequence
            text.append(str(piece))
        return "".join(text)

    def tuple_(self, node: Any) -> Value:
        return tuple(self.node(child) for child in _trees(node))

    def object_(self, node: Any) -> Value:
        items: dict[str, Value] = {}
        for element in _trees(node):
            if _rule(element) != "object_elem":
                return UNKNOWN
            key_node, value_node = _trees(element)
            key = self.object_key(key_node)
            if key is UNKNOWN:
                return UNKNOWN
            items[key] = self.node(value_node)
        return TerraformObject.of(items)

    def object_key(self, node: Any) -> Any:
        inner = _trees(node)
        if len(inner) != 1:
            return UNKNOWN
        term = inner[0]
        words = _trees(term)
        if _rule(term) == "expr_term" and len(words) == 1 and _rule(words[0]) == "identifier":
            return str(words[0].children[0])  # a bare name is the key itself
        key = self.node(term)
        return key if isinstance(key, str) else UNKNOWN

    def get_attr_expr_term(self, node: Any) -> Value:
        base, attr = _trees(node)
        name = str(_trees(attr)[0].children[0])
        words = _trees(base)
        if _rule(base) == "expr_term" and len(words) == 1 and _rule(words[0]) == "identifier":
            root = str(words[0].children[0])
            return self.reference(root, name) if root in ("var", "local") else UNKNOWN
        value = self.node(base)
        return value.get(name) if isinstance(value, TerraformObject) else UNKNOWN

    def conditional(self, node: Any) -> Value:
        condition, yes, no = _trees(node)
        chosen = _boolean(self.node(condition))
        if chosen is UNKNOWN:
            return UNKNOWN
        value = self.node(yes if chosen else no)
        if isinstance(value, (tuple, frozenset)) and not isinstance(value, TerraformObject):
            # Both branches are converted to one type: the chosen collection keeps its type only
            # when the other branch is the same kind of collection.
            other = _Evaluator(self.module, self.seen, set()).node(no if chosen else yes)
            if type(other) is not type(value) or isinstance(value, (Unified, UnifiedSet)):
                return Unified(value) if isinstance(value, tuple) else UnifiedSet(value)
        return value

    def unary_op(self, node: Any) -> Value:
        operator = str(node.children[0])
        value = self.node(_trees(node)[0])
        if operator == "!":
            chosen = _boolean(value)
            return UNKNOWN if chosen is UNKNOWN else not chosen
        number = _numeric(value)
        return UNKNOWN if number is UNKNOWN else -number

    def binary_op(self, node: Any) -> Value:
        left_node, term = _trees(node)[:2]
        operator_node, right_node = _trees(term)
        operator = str(operator_node.children[0]).strip()
        left, right = self.node(left_node), self.node(right_node)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if operator in ("==", "!="):
            return _equal(left, right, operator == "==")
        if operator in ("&&", "||"):
            a, b = _boolean(left), _boolean(right)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            return (a and b) if operator == "&&" else (a or b)
        a, b = _numeric(left), _numeric(right)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        arithmetic: dict[str, Callable[[Any, Any], Any]] = {
            "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
            ">=": lambda x, y: x >= y, "+": lambda x, y: x + y, "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
        }  # fmt: skip
        operation = arithmetic.get(operator)
        return UNKNOWN if operation is None else operation(a, b)

    def function_call(self, node: Any) -> Value:
        name_node, *rest = _trees(node)
        name = str(name_node.children[0])
        arguments = [self.node(child) for group in rest if _rule(group) == "arguments" for child in _trees(group)]
        if len(arguments) != 1 or arguments[0] is UNKNOWN or name not in _FUNCTIONS:
            return UNKNOWN
        return _FUNCTIONS[name](arguments[0])


def _equal(left: Value, right: Value, equal: bool) -> Value:
    """``==`` / ``!=`` on two known values: null against anything, or two primitives of one type
    (Terraform compares type and value: ``1 == "1"`` is false; a mixed pair is left not known,
    since a type constraint this evaluator did not see may have converted one side)."""
    if left is None or right is None:
        return (left is right) == equal
    if not (_primitive(left) and _primitive(right)) or _kind(left) != _kind(right):
        return UNKNOWN
    return (left == right) == equal


def _length(value: Value) -> Value:
    """A tuple's or an object's length is known with its elements not; a set's only when they are
    and no conversion may merge them (:class:`UnifiedSet`)."""
    if isinstance(value, TerraformSet) and all(item is not UNKNOWN for item in value):
        return len(value)
    return len(value) if isinstance(value, tuple) else UNKNOWN


def _toset(value: Value) -> Value:
    items = tuple(value) if isinstance(value, (tuple, TerraformSet)) and not isinstance(value, TerraformObject) else None
    if items is None or any(not _primitive(item) or item is None for item in items):
        return UNKNOWN
    if len({_kind(item) for item in items}) > 1:
        return UNKNOWN  # Terraform unifies mixed elements to strings first
    return UnifiedSet(items) if isinstance(value, (Unified, UnifiedSet)) else TerraformSet(items)


def _tolist(value: Value) -> Value:
    if not isinstance(value, (tuple, TerraformSet)) or isinstance(value, TerraformObject):
        return UNKNOWN
    return Unified(value) if isinstance(value, (Unified, UnifiedSet)) else tuple(value)


def _tomap(value: Value) -> Value:
    return value if isinstance(value, TerraformObject) else UNKNOWN


_FUNCTIONS: dict[str, Callable[[Value], Value]] = {"length": _length, "toset": _toset, "tolist": _tolist, "tomap": _tomap}
_HANDLERS: dict[str, Callable[[_Evaluator, Any], Value]] = {
    "expr_term": _Evaluator.expr_term, "int_lit": _Evaluator.int_lit, "float_lit": _Evaluator.int_lit,
    "literal_value": _Evaluator.literal_value, "string": _Evaluator.string, "tuple": _Evaluator.tuple_,
    "object": _Evaluator.object_, "get_attr_expr_term": _Evaluator.get_attr_expr_term,
    "conditional": _Evaluator.conditional, "unary_op": _Evaluator.unary_op, "binary_op": _Evaluator.binary_op,
    "function_call": _Evaluator.function_call,
}  # fmt: skip


def _type_text(text: str, block: Any) -> str | None:
    """A ``variable`` block's ``type`` as written, blanks removed; None when it has none."""
    found = block.attribute("type")
    if found is None:
        return None
    if found.value.kind == STRING and isinstance(found.value.value, str):
        return "".join(found.value.value.split())  # JSON syntax: the type expression is a string
    return "".join(text[found.value.start : found.value.end].split())
