"""Ansible: tasks that set kernel parameters (``ansible.posix.sysctl``, also written
``ansible.builtin.sysctl`` or ``sysctl``, which Ansible routes to it), as kernel views judged by
PGF201-PGF203; and server parameters set through Ansible (``community.postgresql.postgresql_set``
tasks, and the ``postgresql_global_config_options`` list of the geerlingguy.postgresql role), as
server views judged by PGF101-PGF104.

What the module does with a task (ansible.posix's ``plugins/modules/sysctl.py``, checked with
Ansible 2.19.14 and the kernel inside ``unshare -n``: tests/test_ansible.py): it writes
``name=value`` into its ``sysctl_file`` (``/etc/sysctl.conf`` by default) and, unless
``reload: no``, runs ``sysctl -p`` on that file, so the kernel reads the value as it reads a
sysctl.conf line. The value is a string: a YAML integer is written as its decimal digits, a
boolean (or a string Ansible takes for one: ``yes``, ``on``, ``true``...) as ``1`` or ``0``,
and blanks around it are dropped. ``state: absent`` removes the line (nothing is set), and a
value with ``{{ }}`` is Jinja's to fill in (unknown here). A task's arguments are read through
YAML merge keys (``<<: *anchor``), as Ansible's loader merges them, and from a free-form string
of plain ``key=value`` words (``sysctl: name=... value=...``); a free-form string with quotes,
escapes or Jinja is not guessed.

Only values written in the tasks are judged: a playbook or role often sets one key a task
and keeps the others in other files, so a key no task of this file sets is not reported as
missing.

The server's side: ``postgresql_set`` runs ``ALTER SYSTEM SET name = 'value'`` (the value a
string the server parses as it parses postgresql.auto.conf); the geerlingguy.postgresql role
writes each ``{option, value}`` item as the line ``option = 'value'`` into postgresql.conf
(its ``tasks/configure.yml``, lineinfile). Both are read as the server reads such a quoted
value; ``state: absent`` sets nothing, nor does postgresql_set's ``value: default`` (its
``ALTER SYSTEM SET name = DEFAULT`` takes the name out of postgresql.auto.conf; the module
compares with ``'default'`` as written), and a ``{{ }}`` value is unknown. No key is missing:
the server has its own postgresql.conf beside them.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.placed import PlacedSettings

SYSCTL_MODULES = ("ansible.posix.sysctl", "ansible.builtin.sysctl", "sysctl")
# What Ansible's boolean conversion takes for true and false (ansible.module_utils.parsing.
# convert_bool.BOOLEANS_TRUE / BOOLEANS_FALSE, the strings), which the module writes as 1 / 0.
_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
_FALSE = frozenset({"n", "no", "off", "0", "false", "f"})


def module_value(node: ScalarNode) -> str | None:
    """The string ansible.posix.sysctl writes for a ``value:`` scalar; None for a null (the
    module refuses the task)."""
    if Y.is_null(node):
        return None
    if node.tag == Y.STR_TAG:
        text = node.value
    else:  # an int, float or bool as YAML 1.1 reads it (0x3c is 60), then Ansible's str()
        constructed = yaml.safe_load(node.value)
        text = ("1" if constructed else "0") if isinstance(constructed, bool) else str(constructed)
    return _string_value(text)


def _string_value(text: str) -> str:
    """A string value as the module writes it: Ansible's booleans as 1 / 0, blanks dropped."""
    lowered = text.lower()
    if lowered in _TRUE:
        return "1"
    if lowered in _FALSE:
        return "0"
    return text.strip()


# A free-form argument string ("name=net.ipv4.tcp_keepalive_time value=600") that this reader
# follows: key=value words without quotes, escapes or Jinja, which Ansible's parse_kv splits at
# blanks and at the first "=" of each word (ansible.parsing.splitter), values as strings.
_FREE_FORM = re.compile(r"[ \t]*(?:[A-Za-z_]\w*=[^\s'\"\\{}]*[ \t]*)+")
_FREE_FORM_WORD = re.compile(r"([A-Za-z_]\w*)=([^\s'\"\\{}]*)")


def _free_form(task: MappingNode) -> tuple[str, dict[str, tuple[str, int, int]]] | None:
    """(module name, {argument: (value, file start, file end)}) of a sysctl task written in
    free form on one line of a plain scalar; None otherwise."""
    for module in SYSCTL_MODULES:
        pair = Y.merged_entry(task, module)
        if pair is None:
            continue
        node = pair[1]
        if not isinstance(node, ScalarNode) or node.style is not None or node.tag != Y.STR_TAG:
            return None
        if node.start_mark.line != node.end_mark.line or not _FREE_FORM.fullmatch(node.value):
            return None
        at = node.start_mark.index
        words = {m.group(1): (m.group(2), at + m.start(2), at + m.end(2)) for m in _FREE_FORM_WORD.finditer(node.value)}
        return module, words
    return None


def _task_arguments(task: MappingNode) -> tuple[str, MappingNode] | None:
    """(module name, its arguments) of a sysctl task: the module key's mapping, or the task's
    ``args:`` mapping under a module key without one."""
    for module in SYSCTL_MODULES:
        pair = Y.merged_entry(task, module)
        if pair is None:
            continue
        if isinstance(pair[1], MappingNode):
            return module, pair[1]
        arguments = Y.merged_get(task, "args")
        if isinstance(arguments, MappingNode):
            return module, arguments
    return None


def _first(arguments: MappingNode, *names: str) -> tuple[ScalarNode, Node] | None:
    for name in names:
        pair = Y.merged_entry(arguments, name)
        if pair is not None:
            return pair
    return None


def ansible_sysctl_views(source: SourceFile, root: Node) -> list[SettingsView]:
    """One kernel view of the sysctl tasks of a document (a play list, a task list, or a
    role's handlers), or none when it has none. Each task's ``value`` is replaced in place."""
    view: PlacedSettings | None = None
    for node in Y.walk(root):
        if not isinstance(node, MappingNode):
            continue
        found = _task_arguments(node)
        if found is None:
            view = _add_free_form(source, node, view)
            continue
        module, arguments = found
        name = _first(arguments, "name", "key")
        value = _first(arguments, "value", "val")
        state = Y.scalar_value(Y.merged_get(arguments, "state")) or "present"
        if name is None or value is None or not isinstance(value[1], ScalarNode) or state != "present":
            continue
        key = Y.scalar_value(name[1])
        written = module_value(value[1])
        if key is None or written is None:
            continue
        if view is None:
            view = _kernel_view(source, module, node)

        def replace(new: str, node: ScalarNode = value[1]) -> tuple[Edit, ...]:
            return (Y.replace_scalar(source, node, new),)

        location = Location(source, value[0].start_mark.index, value[1].end_mark.index)
        # A value Ansible rewrites (yes, 0x3c, " 600") has no span of its own: shown by its value.
        span = Y.span(value[1]) if value[1].value == written else None
        view.add(key.strip().replace("/", "."), written, location, span, replace)
    return [view.finish()] if view is not None else []


def _kernel_view(source: SourceFile, module: str, task: MappingNode) -> PlacedSettings:
    """The kernel view of a file's sysctl tasks, made at its first one (``task``); no key is
    judged missing (module docstring)."""
    return PlacedSettings("kernel", source, f"the {module} tasks of this file", Location(source, *Y.span(task)), None, judges_missing=False)


def _add_free_form(source: SourceFile, task: MappingNode, view: PlacedSettings | None) -> PlacedSettings | None:
    """``view`` (made when None) with the setting of a free-form sysctl task, if it has one."""
    found = _free_form(task)
    if found is None:
        return view
    module, words = found
    name = words.get("name") or words.get("key")
    value = words.get("value") or words.get("val")
    state = words.get("state", ("present",))[0]
    if name is None or value is None or state != "present":
        return view
    if view is None:
        view = _kernel_view(source, module, task)
    written, start, end = _string_value(value[0]), value[1], value[2]

    def replace(new: str) -> tuple[Edit, ...]:
        return (Edit(source, start, end, new),)

    view.add(name[0].replace("/", "."), written, Location(source, start, end), (start, end) if written == value[0] else None, replace)
    return view


POSTGRESQL_SET_MODULES = ("community.postgresql.postgresql_set", "postgresql_set")
ROLE_OPTIONS = "postgresql_global_config_options"  # geerlingguy.postgresql's list of {option, value}


def _rendered(node: ScalarNode) -> str | None:
    """A scalar as Jinja renders it into a string (``{{ item.value }}``, or a module's ``str``
    argument): a YAML integer in decimal, a boolean as Python writes it; None for a null."""
    if Y.is_null(node):
        return None
    if node.tag == Y.STR_TAG:
        return node.value
    return str(yaml.safe_load(node.value))


def ansible_server_views(source: SourceFile, root: Node) -> list[SettingsView]:
    """One server view of a document's ``postgresql_set`` tasks and role option lists, or none.
    Each value is replaced in place."""
    view: PlacedSettings | None = None
    for node in Y.walk(root):
        if not isinstance(node, MappingNode):
            continue
        found: list[tuple[str, ScalarNode, ScalarNode, ScalarNode]] = []  # (what, name, value key, value)
        for module in POSTGRESQL_SET_MODULES:
            arguments = Y.merged_get(node, module)
            if isinstance(arguments, MappingNode):
                found += [
                    entry
                    for entry in _named_values(f"the {module} tasks of this file", arguments, "name", "value")
                    if entry[3].value != "default" or entry[3].tag != Y.STR_TAG
                ]  # value: default runs ALTER SYSTEM SET name = DEFAULT: nothing is set
        options = Y.merged_get(node, ROLE_OPTIONS)
        if isinstance(options, SequenceNode):
            for item in options.value:
                if isinstance(item, MappingNode):
                    found += _named_values(f"{ROLE_OPTIONS} (geerlingguy.postgresql)", item, "option", "value")
        for what, name, value_key, value in found:
            written = _rendered(value)
            if written is None:
                continue
            if view is None:
                view = PlacedSettings("server", source, what, Location(source, *Y.span(node)), None, judges_missing=False)

            def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
                return (Y.replace_scalar(source, value, new),)

            span = Y.span(value) if value.value == written else None
            location = Location(source, value_key.start_mark.index, value.end_mark.index)
            view.add(name.value.strip().lower(), written, location, span, replace)
    return [view.finish()] if view is not None else []


def _named_values(what: str, mapping: MappingNode, name_key: str, value_key: str) -> list[tuple[str, ScalarNode, ScalarNode, ScalarNode]]:
    """The one (name, value) a task's arguments or a role's list item sets, unless it is absent."""
    name = Y.merged_get(mapping, name_key)
    value = Y.merged_entry(mapping, value_key)
    state = Y.scalar_value(Y.merged_get(mapping, "state")) or "present"
    if not isinstance(name, ScalarNode) or value is None or not isinstance(value[1], ScalarNode) or state != "present":
        return []
    return [(what, name, value[0], value[1])]
