"""Server settings kept in cloud resources, as server views: the same rules (PGF101-PGF104)
judge them as a postgresql.conf.

- ``aws_db_parameter_group`` / ``aws_rds_cluster_parameter_group``: ``parameter { name
  value }`` blocks; the major version from ``family`` (``postgres15``,
  ``aurora-postgresql16``); a missing setting is fixed by a new ``parameter`` block.
- ``azurerm_postgresql_flexible_server_configuration``: one resource per setting, grouped by
  the server it names (``server_id``); the version from that server's ``version``.
- ``google_sql_database_instance``: ``settings { database_flags { name value } }``; the
  version from ``database_version`` (``POSTGRES_15``).

A setting the resource does not write takes the platform's default, not PostgreSQL's:
RDS for PostgreSQL sets tcp_keepalives_idle 300, interval 30, count 2 (AWS, "Dead
connection handling in PostgreSQL"); Azure's flexible server 120, 30, 9 (FACTS.md). Where
the platform default is not documented (Aurora, Cloud SQL) a missing setting is not
judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pgconf_fix.documents.hcl import NUMBER, OTHER, REFERENCE, STRING
from pgconf_fix.documents.hcl import Expression, HclAttribute, HclBlock, HclDocument
from pgconf_fix.documents.hcl import indentation, line_bounds, replace_expression
from pgconf_fix.documents.hcl_model import hcl_number
from pgconf_fix.findings import Edit, Fix, Location
from pgconf_fix.guc_values import GucInt, parse_int
from pgconf_fix.setting import Refusal
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import PgVersion, version_from_family
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix.views.terraform_module import SET, TerraformModule, Written, instances, unsafe_when_shared

PARAMETER_GROUPS = ("aws_db_parameter_group", "aws_rds_cluster_parameter_group")
AZURE_CONFIGURATION = "azurerm_postgresql_flexible_server_configuration"
AZURE_SERVER = "azurerm_postgresql_flexible_server"
CLOUD_SQL = "google_sql_database_instance"
# The resources cloud_server_views makes server views of.
SERVER_RESOURCES = frozenset({*PARAMETER_GROUPS, AZURE_CONFIGURATION, CLOUD_SQL})

RDS_DEFAULTS = {"tcp_keepalives_idle": "300", "tcp_keepalives_interval": "30", "tcp_keepalives_count": "2"}
RDS_DEFAULTS_WHO = "RDS for PostgreSQL's default"
AZURE_DEFAULTS = {"tcp_keepalives_idle": "120", "tcp_keepalives_interval": "30", "tcp_keepalives_count": "9"}
AZURE_DEFAULTS_WHO = "Azure flexible server's default"

_CLOUD_SQL_VERSION = re.compile(r"^POSTGRES_(\d+)(?:_(\d+))?$", re.IGNORECASE)
_RESOURCE_REF = re.compile(r"^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.id$")


@dataclass(frozen=True)
class PlatformDefault:
    """The value a managed server uses when the setting is not written, and whose it is."""

    value: str
    who: str


@dataclass(frozen=True)
class CloudAssignment(Assignment):
    """A setting written in a cloud resource: where its value is written (``written``), and
    the variables and locals followed to it (``via``)."""

    written: Written | None = None
    via: tuple[str, ...] = ()
    owners: tuple = ()  # the module each label of ``via`` is read in (Resolution.owners)


class CloudServerSettings(SettingsView):
    """The server settings one cloud resource (or one Azure server's configurations) holds."""

    layer = "server"
    platform_defaults: dict[str, str] = {}
    platform_who = ""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock, address: str) -> None:
        super().__init__()
        self.module = module
        self.source = source
        self.block = block
        self.address = address
        self.scope = {source.path}
        self.judges_missing = bool(self.platform_defaults)

    def take_family(self, family: object, origin: str) -> None:
        """The major an RDS parameter group ``family`` names (``postgres16``: 16), shown with
        ``origin``; and RDS's defaults for unset parameters, unless the family is Aurora's
        (RDS_DEFAULTS, cited above). Nothing for a family that is not a literal."""
        if not isinstance(family, str):
            return
        self.version = version_from_family(family)
        self.version_origin = origin
        if not family.lower().startswith("aurora") and self.version is not None:
            self.platform_defaults = RDS_DEFAULTS
            self.platform_who = RDS_DEFAULTS_WHO
            self.judges_missing = True

    def add_named(self, source: SourceFile, blocks: list[HclBlock]) -> None:
        """Each ``{ name = "..." value = ... }`` block (an RDS ``parameter``, a Cloud SQL
        ``database_flags``) as the setting it names; a name that is not a literal string is skipped."""
        for block in blocks:
            name = block.attribute("name")
            value = block.attribute("value")
            if name is None or value is None or name.value.kind != "string":
                continue
            self.add(str(name.value.value), Written(source, value))

    def add(
        self, key: str, written: Written, via: tuple[str, ...] = (), owners: tuple[TerraformModule, ...] = (),
        home: TerraformModule | None = None,
    ) -> None:  # fmt: skip
        """Record ``key`` as set by the expression ``written`` (a literal, or followed through
        variables and locals); a value that needs a plan is recorded as unknown (not judged).
        ``via``/``owners``: the references already followed to reach ``written`` (a list a
        variable holds), each read in its module (this one when not given), put before the
        value's own chain; ``home``: the module ``written`` is read in (this one when None: a
        list a calling module writes holds that module's references)."""
        home = home or self.module
        resolution = home.resolve(written)
        key = key.lower()
        if resolution.status != SET or resolution.written is None:
            self.unknown_keys.add(key)
            return
        # Shown and located where the resource writes it (``value = var.x``); edited where
        # the value is (the variable's default).
        self.assignments.append(
            CloudAssignment(
                key=key,
                source=written.source,
                start=written.attribute.start,
                end=written.attribute.end,
                value=str(resolution.value).lower() if isinstance(resolution.value, bool) else str(resolution.value),
                value_start=written.value.start,
                value_end=written.value.end,
                quoted=resolution.written.value.quoted,
                written=resolution.written,
                via=(*via, *resolution.via),
                owners=(*(owners or (self.module,) * len(via)), *(resolution.owners or (home,) * len(resolution.via)))
                if via or home is not self.module else resolution.owners,
            )
        )

    def add_dynamic(self, source: SourceFile, dynamic: HclBlock, label: str) -> bool:
        """A ``dynamic "<label>"`` block (an RDS ``parameter``, a Cloud SQL ``database_flags``)
        over a list of ``{ name, value }`` objects, written in ``for_each`` or where a variable or
        local it names is (``_list_origin``), whose ``content`` is ``name = <iterator>.value.name``
        and ``value = <iterator>.value.value`` (the iterator is the label unless ``iterator``
        names another: https://developer.hashicorp.com/terraform/language/expressions/dynamic-blocks):
        each object is the setting it names. False when the block is any other shape, or an
        entry is not readable here: what it sets is then not known."""
        text = source.text
        if dynamic.labels != (label,):
            return False
        iterator = dynamic.attribute("iterator")
        name = text[iterator.value.start : iterator.value.end].strip() if iterator is not None else label
        content = next((child for child in dynamic.blocks if child.type == "content"), None)
        for_each = dynamic.attribute("for_each")
        if content is None or for_each is None or len(content.attributes) < 2:
            return False
        for key in ("name", "value"):
            written = content.attribute(key)
            if written is None or text[written.value.start : written.value.end].strip() != f"{name}.value.{key}":
                return False
        if any(attribute.name not in ("name", "value", "apply_method") for attribute in content.attributes):
            return False
        listed = _list_origin(self.module, source, for_each)
        if listed is None or not listed[0].text[listed[1][0] : listed[1][1]].lstrip().startswith("["):
            return False
        return self.add_listed(*listed)

    def add_listed(
        self, written_in: SourceFile, span: tuple[int, int], via: tuple[str, ...] = (), owners: tuple[TerraformModule, ...] = (),
        home: TerraformModule | None = None,
    ) -> bool:  # fmt: skip
        """Record each ``{ name = "...", value = ... }`` object of the tuple expression at
        ``span`` of ``written_in`` (a module's ``parameters`` list, a variable's default, a
        calling module's argument: read in ``home``) as the setting it names (``add``, with the
        chain that led to the list); False when an entry cannot be read without a plan (its
        name or value is an expression)."""
        self.scope.add(written_in.path)  # findings on its values are this view's
        return self.add_objects(written_in, _objects(written_in.text, *span), via, owners, home)

    def add_objects(
        self, written_in: SourceFile, objects: list[tuple[int, int]], via: tuple[str, ...] = (),
        owners: tuple[TerraformModule, ...] = (), home: TerraformModule | None = None,
    ) -> bool:  # fmt: skip
        """``add_listed`` for objects already found (their spans in ``written_in``)."""
        text = written_in.text
        readable = True
        for start, end in objects:
            name = _OBJECT_NAME.search(text, start, end)
            value = _OBJECT_VALUE.search(text, start, end)
            if name is None or value is None:
                readable = False
                continue
            expression = _literal_expression(text, value.start(1), value.end(1))
            attribute = HclAttribute("value", value.start(), value.start() + 5, text.index("=", value.start()), value.end(1), expression)
            self.add(name.group(1), Written(written_in, attribute), via, owners, home)
        return readable

    @property
    def unknown_keys(self) -> set[str]:
        if not hasattr(self, "_unknown"):
            self._unknown: set[str] = set()
        return self._unknown

    def judges(self, key: str) -> bool:
        return self.judges_missing and key not in self.unknown_keys

    def platform_default(self, key: str) -> PlatformDefault | None:
        value = self.platform_defaults.get(key)
        return PlatformDefault(value, self.platform_who) if value is not None else None

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        # The catalog of integer parameters is loaded when a value is read: a Terraform tree
        # without a parameter group (or a run of PGF301 alone) does not load it, nor the
        # postgresql.conf reader views.server needs (~30 M instructions; issue 18).
        from pgconf_fix.guc_catalog import INTEGER_PARAMETERS, RENEGOTIATION_BEFORE_9_5

        if assignment.key == "ssl_renegotiation_limit" and unit == "kB":
            return parse_int(assignment.value, RENEGOTIATION_BEFORE_9_5)
        return parse_int(assignment.value, INTEGER_PARAMETERS.get(assignment.key, GucInt(unit)))

    def header_location(self) -> Location:
        return Location(self.source, self.block.start, self.block.open_brace + 1)

    def missing_location(self, key: str) -> Location:
        return self.header_location()

    def describe_missing(self) -> str:
        return f" in {self.address}"

    def fix(self, key: str, value: str) -> Fix | Refusal:
        """As SettingsView.fix; unsafe when the value is written at a variable or local that
        other places of the module read too (terraform_module.unsafe_when_shared)."""
        current = self.effective(key)
        via = current.via if isinstance(current, CloudAssignment) else ()
        owners = current.owners if isinstance(current, CloudAssignment) else ()
        return unsafe_when_shared(super().fix(key, value), self.module, via, owners)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if isinstance(current, CloudAssignment) and current.written is not None:
            return replace_expression(current.written.source, current.written.value, value)
        if current is not None or key in self.unknown_keys:
            return ()
        return self.insert_edits(key, value)

    def insert_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        return ()


def _insert_block(
    source: SourceFile, parent: HclBlock, siblings: list[HclBlock], block_type: str, key: str, value: str
) -> tuple[Edit, ...]:
    """A new ``block_type { name = key  value = "value" }`` in ``parent``, after its last
    sibling of that type (or at the end of the body), laid out as ``terraform fmt`` does.
    Blank lines between blocks follow the file: kept when the siblings have them."""
    if source.path.name.endswith(".json"):
        return ()  # a JSON property needs its commas managed: no insertion offered
    text = source.text
    newline = source.newline
    if siblings:
        anchor = siblings[-1]
        indent = indentation(source, anchor.start)
        _, _, after = line_bounds(source, anchor.close_brace)
        gap = newline
        if len(siblings) >= 2:
            between = text[siblings[-2].close_brace + 1 : siblings[-1].start]
            gap = newline if between.count("\n") >= 2 else ""
    else:
        close_line, close_start, _ = line_bounds(source, parent.close_brace)
        open_line, _, _ = line_bounds(source, parent.open_brace)
        if close_line == open_line or text[close_start : parent.close_brace].strip():
            return ()  # a one-line block, or "}" after content: not a small edit
        indent = indentation(source, parent.start) + "  "
        last_line, _, after = line_bounds(source, close_start - 1)
        gap = newline if text[parent.open_brace + 1 : close_start].strip() else ""
    inner = indent + "  "
    body = (
        f"{newline}{gap}{indent}{block_type} {{{newline}"
        f'{inner}name  = "{key}"{newline}'
        f'{inner}value = "{value}"{newline}'
        f"{indent}}}"
    )
    return (Edit(source, after, after, body),)


class ParameterGroup(CloudServerSettings):
    """An RDS or Aurora parameter group resource: ``parameter {}`` blocks."""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock) -> None:
        family = _literal(module, source, block, "family")
        super().__init__(module, source, block, f"{block.labels[0]}.{block.labels[1]}")
        self.take_family(family, f"family {family!r} of {self.address}")
        self.parameters = [child for child in block.blocks if child.type == "parameter"]
        self.add_named(source, self.parameters)
        for child in block.blocks:
            if child.type == "dynamic" and not self.add_dynamic(source, child, "parameter"):
                self.judges_missing = False  # a dynamic "parameter" block may set anything

    def insert_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        if any(child.type == "dynamic" for child in self.block.blocks):
            return ()  # a static block beside a list could repeat a name the list sets for another call
        return _insert_block(self.source, self.block, self.parameters, "parameter", key, value)


# Registry modules with a list-of-objects input of parameters, and the family input beside it:
# terraform-aws-modules/rds/aws ("parameters", "family") and .../rds-aurora/aws. A dotted name is
# a member of an object input: rds-aurora 10.0 nested each group's inputs under one object
# (cluster_parameter_group = { family = ..., parameters = [...] }; its docs/UPGRADE-10.0.md and
# main.tf, whose dynamic "parameter" blocks iterate var.cluster_parameter_group.parameters).
RDS_MODULES = {
    "terraform-aws-modules/rds/aws": (("parameters", "family"),),
    "terraform-aws-modules/rds-aurora/aws": (
        ("db_cluster_parameter_group_parameters", "db_cluster_parameter_group_family"),
        ("db_parameter_group_parameters", "db_parameter_group_family"),
        ("cluster_parameter_group.parameters", "cluster_parameter_group.family"),
        ("db_parameter_group.parameters", "db_parameter_group.family"),
    ),
}
_OBJECT_NAME = re.compile(r'\bname\s*=\s*"([^"\\$]*)"')
_OBJECT_VALUE = re.compile(r'\bvalue\s*=\s*("(?:[^"\\$]|\\.)*"|[0-9]+(?:\.[0-9]+)?|(?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*)')


def module_source(block: HclBlock) -> str | None:
    """A module call's registry source, without a registry host or version suffix."""
    found = block.attribute("source")
    if found is None or found.value.kind != "string":
        return None
    return str(found.value.value).removeprefix("registry.terraform.io/")


def _objects(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the objects directly inside a tuple expression ``[{...}, {...}]``, its
    strings and comments skipped (``_code``)."""
    spans = []
    opened = -1
    for position, depth in _code(text, start, end):
        char = text[position]
        if char == "{" and depth == 1:
            opened = position
        elif char == "}" and depth == 2 and opened >= 0:
            spans.append((opened, position + 1))
    return spans


def _code(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Each offset of ``text[start:end]`` outside strings and comments (``#``, ``//``,
    ``/* */``), with the bracket depth before it (``{`` ``[`` ``(`` open, their pairs close)."""
    depth = 0
    position = start
    while position < end:
        char = text[position]
        if char == '"':
            close = position + 1
            while close < end and text[close] != '"':
                close += 2 if text[close] == "\\" else 1
            position = close + 1
            continue
        if char == "#" or text.startswith("//", position):
            newline = text.find("\n", position, end)
            position = end if newline < 0 else newline
            continue
        if text.startswith("/*", position):
            close = text.find("*/", position + 2, end)
            position = end if close < 0 else close + 2
            continue
        yield position, depth
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        position += 1


def _member(text: str, start: int, end: int, name: str) -> tuple[int, int] | None:
    """The span of the value of ``name = ...`` written directly inside the object expression
    ``text[start:end]`` (``{ family = "x", parameters = [...] }``), or None; the value ends at
    a comma or line break outside brackets, strings and comments, or at the closing brace."""
    for position, depth in _code(text, start, end):
        if depth != 1 or not text.startswith(name, position) or text[position - 1].isalnum() or text[position - 1] in "_-":
            continue
        equals = position + len(name)
        while equals < end and text[equals] in " \t":
            equals += 1
        if equals < end and text[equals] == "=" and text[equals + 1 : equals + 2] != "=":
            value = equals + 1
            while value < end and text[value] in " \t":
                value += 1
            stop = end
            for at, level in _code(text, value, end):
                if level == 0 and (text[at] in ",\n" or text[at] in "]})"):
                    stop = at
                    break
            return value, value + len(text[value:stop].rstrip())
    return None


_ENTRY_KEY = re.compile(r'(?:"([^"\\$]*)"|([A-Za-z_][A-Za-z0-9_-]*))[ \t]*[=:](?!=)[ \t]*')
_ENTRY_VALUE = re.compile(r'"(?:[^"\\$]|\\.)*"|[0-9]+(?:\.[0-9]+)?|(?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*')


def _object_entries(text: str, start: int, end: int) -> list[tuple[str, int, int, int]] | None:
    """The entries written directly inside the object expression ``text[start:end]``
    (``{ tcp_keepalives_idle = "60", "b" = { ... } }``): each key with the offset it starts at
    and its value's span. A value is a literal (a string without interpolation, a number, a
    ``var.x``/``local.x``) or an object; None when the text holds anything else (a ``for``
    expression, a key computed by an expression, a value a plan computes)."""
    if not text[start:end].startswith("{") or not text[start:end].endswith("}"):
        return None
    close = end - 1
    entries = []
    position = start + 1
    while True:
        while position < close:  # blanks, commas and comments between entries
            if text[position] in " \t\r\n,":
                position += 1
            elif text[position] == "#" or text.startswith("//", position):
                newline = text.find("\n", position, close)
                position = close if newline < 0 else newline
            elif text.startswith("/*", position):
                ending = text.find("*/", position + 2, close)
                position = close if ending < 0 else ending + 2
            else:
                break
        if position >= close:
            return entries
        key = _ENTRY_KEY.match(text, position, close)
        if key is None:
            return None
        value = key.end()
        if text.startswith("{", value):
            stop = next((at + 1 for at, depth in _code(text, value, close) if text[at] == "}" and depth == 1), None)
        else:
            literal = _ENTRY_VALUE.match(text, value, close)
            stop = literal.end() if literal is not None else None
        if stop is None:
            return None
        entries.append((key.group(1) if key.group(1) is not None else key.group(2), position, value, stop))
        position = stop


def _literal_expression(text: str, start: int, end: int) -> Expression:
    word = text[start:end]
    if word.startswith('"'):
        return Expression(STRING, start, end, word[1:-1], quoted=True)
    if word.startswith(("var.", "local.")):
        root, name = word.split(".", 1)
        return Expression(REFERENCE, start, end, (root, name))
    return Expression(NUMBER, start, end, hcl_number(word))


def _list_origin(
    module: TerraformModule, source: SourceFile, found: HclAttribute
) -> tuple[SourceFile, tuple[int, int], tuple[str, ...], tuple[TerraformModule, ...], TerraformModule] | None:
    """Where the list an attribute gives is written: the attribute's own expression, or the
    one a ``var.x``/``local.x`` it holds leads to (a variable's default, an auto-loaded tfvars
    file, a local, a calling module's argument: TerraformModule.resolve with
    ``expressions``), as its file, its span, the chain followed (with the module each step is
    read in, for the fixes' safety) and the module the list is written in. None when the
    expression is not known here (a reference to nothing)."""
    if found.value.kind != REFERENCE:
        return source, (found.value.start, found.value.end), (), (), module
    origin = module.resolve(Written(source, found), expressions=True)
    written = origin.written
    if written is None or written.value.kind != OTHER:
        return None
    home = origin.owners[-1] if origin.owners else module
    return written.source, (written.value.start, written.value.end), origin.via, origin.owners, home


class ModuleParameters(CloudServerSettings):
    """A parameter-list input of the terraform-aws-modules rds / rds-aurora modules:
    ``parameters = [{ name = "...", value = "..." }]``, written in the call or where a
    ``var.x``/``local.x`` the call gives leads (a variable's default, an auto-loaded tfvars
    file, a local: TerraformModule.resolve with ``expressions``). Values are replaced where
    they are written, unsafely when that list is read elsewhere too (a variable several places
    read: terraform_module.unsafe_when_shared); a missing parameter is reported but not
    inserted (the list is the module's)."""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock, inputs: tuple[str, str]) -> None:
        listing, family_input = inputs
        text = source.text
        span: tuple[int, int] | None = None
        family: object = None
        # Where the list is written when the call gives a reference: its file, and the chain
        # followed to it (with the module each step is read in), for the fixes' safety.
        written_in, via, owners, home = source, (), (), module
        if "." in listing:  # a member of an object input (rds-aurora 10: cluster_parameter_group)
            holder, member = listing.split(".")
            outer = block.attribute(holder)
            # An object written here or where a variable or local the call gives is written;
            # else none, or one only a plan computes: nothing read, nothing missing.
            listed = _list_origin(module, source, outer) if outer is not None else None
            if listed is not None and listed[0].text[listed[1][0] : listed[1][1]].lstrip().startswith("{"):
                written_in, (start, end), via, owners, home = listed
                text = written_in.text
                family_span = _member(text, start, end, family_input.split(".")[1])
                family_text = text[family_span[0] : family_span[1]] if family_span else ""
                family = family_text[1:-1] if re.fullmatch(r'"[^"\\$]*"', family_text) else None
                span = _member(text, start, end, member)
        else:
            family = _literal(module, source, block, family_input)
            found = block.attribute(listing)
            if found is not None:
                listed = _list_origin(module, source, found)
                if listed is None:
                    span = (found.value.start, found.value.start)  # not known here: read as no list
                else:
                    written_in, span, via, owners, home = listed
                    text = written_in.text
        super().__init__(module, source, block, f"module.{block.labels[0]} ({listing})")
        self.take_family(family, f"{family_input} {family!r} of module.{block.labels[0]}")
        if span is None:
            return
        if not text[span[0] : span[1]].lstrip().startswith("["):
            self.judges_missing = False  # the list comes from elsewhere (a variable, a merge())
            return
        if not self.add_listed(written_in, span, via, owners, home):
            self.judges_missing = False  # an entry only a plan can read


# terraform-google-modules/sql-db's PostgreSQL module: a database_flags list of {name, value}
# objects, which its main.tf writes as the instance's settings.database_flags blocks, and the
# version in database_version ("POSTGRES_15", "15", "postgres_9_6", "9_6": its variables.tf).
CLOUD_SQL_MODULES = {
    "terraform-google-modules/sql-db/google//modules/postgresql": (("database_flags", "database_version"),),
}
_MODULE_SQL_VERSION = re.compile(r"^(?:POSTGRES_)?(\d+)(?:_(\d+))?$", re.IGNORECASE)


class ModuleDatabaseFlags(ModuleParameters):
    """The ``database_flags`` input of terraform-google-modules/sql-db's postgresql module, as a
    Cloud SQL instance's flags: values judged and replaced where written; a flag not written is
    not judged (Cloud SQL's own default is not documented, as for CloudSqlFlags)."""

    def take_family(self, family: object, origin: str) -> None:
        """The major ``database_version`` names; no platform default (see the class)."""
        match = _MODULE_SQL_VERSION.match(family) if isinstance(family, str) else None
        if match is not None:
            self.version = PgVersion.parse(match.group(1) if not match.group(2) else f"{match.group(1)}.{match.group(2)}")
            self.version_origin = origin


class CloudSqlFlags(CloudServerSettings):
    """A Cloud SQL instance's ``settings { database_flags { name value } }``."""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock) -> None:
        super().__init__(module, source, block, f"{block.labels[0]}.{block.labels[1]}")
        version = _literal(module, source, block, "database_version")
        if isinstance(version, str):
            match = _CLOUD_SQL_VERSION.match(version)
            if match:
                self.version = PgVersion.parse(match.group(1) if not match.group(2) else f"{match.group(1)}.{match.group(2)}")
                self.version_origin = f"database_version of {self.address}"
        self.settings = next((child for child in block.blocks if child.type == "settings"), None)
        self.flags: list[HclBlock] = []
        if self.settings is None:
            return
        self.flags = [child for child in self.settings.blocks if child.type == "database_flags"]
        self.add_named(source, self.flags)
        for child in self.settings.blocks:
            if child.type == "dynamic":
                self.add_dynamic(source, child, "database_flags")  # flags not written are not judged here

    @property
    def is_postgres(self) -> bool:
        return self.version is not None


class AzureFlexibleServer(CloudServerSettings):
    """The ``azurerm_postgresql_flexible_server_configuration`` resources naming one server."""

    platform_defaults = AZURE_DEFAULTS
    platform_who = AZURE_DEFAULTS_WHO

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock, server: str) -> None:
        super().__init__(module, source, block, server)
        # Missing settings are new resources, not an edit of this one: reported, not fixed.

    def add_configuration(self, source: SourceFile, block: HclBlock) -> None:
        """One configuration resource: ``name = "..."`` with its ``value``; or one made for each
        entry of a map (``for_each``, written there or where a variable or local it names is:
        ``_list_origin``), with ``name = each.key``/``value = each.value`` (a map of values) or
        ``name = each.value.name``/``value = each.value.value`` (a map of ``{ name, value }``
        objects, as Azure's verified module takes them). Any other shape sets what is not known
        here: nothing is then called missing."""
        name = block.attribute("name")
        value = block.attribute("value")
        if name is None or value is None:
            return
        if name.value.kind == STRING:
            self.scope.add(source.path)
            self.add(str(name.value.value), Written(source, value))
            return
        if not self._add_for_each(source, block, name, value):
            self.judges_missing = False

    def _add_for_each(self, source: SourceFile, block: HclBlock, name: HclAttribute, value: HclAttribute) -> bool:
        text = source.text
        shape = (text[name.value.start : name.value.end].strip(), text[value.value.start : value.value.end].strip())
        for_each = block.attribute("for_each")
        if for_each is None or shape not in (("each.key", "each.value"), ("each.value.name", "each.value.value")):
            return False
        listed = _list_origin(self.module, source, for_each)
        if listed is None:
            return False
        written_in, span, via, owners, home = listed
        entries = _object_entries(written_in.text, *span)
        if entries is None:
            return False
        self.scope.add(written_in.path)
        if shape == ("each.value.name", "each.value.value"):
            objects = [(start, end) for _, _, start, end in entries if written_in.text.startswith("{", start)]
            return len(objects) == len(entries) and self.add_objects(written_in, objects, via, owners, home)
        if any(written_in.text.startswith("{", start) for _, _, start, _ in entries):
            return False  # each.value is an object here: what the resource sets is not known
        for key, key_start, start, end in entries:
            expression = _literal_expression(written_in.text, start, end)
            self.add(key, Written(written_in, HclAttribute("value", key_start, start, start, end, expression)), via, owners, home)
        return True


def _literal(module: TerraformModule, source: SourceFile, block: HclBlock, key: str) -> object:
    found = block.attribute(key)
    if found is None:
        return None
    resolution = module.resolve(Written(source, found))
    return resolution.value if resolution.status == SET else None


def cloud_server_views(module: TerraformModule, documents: list[HclDocument]) -> list[CloudServerSettings]:
    """The server views of the given documents of a module."""
    views: list[CloudServerSettings] = []
    azure: dict[str, AzureFlexibleServer] = {}
    servers: dict[str, tuple[SourceFile, HclBlock]] = {}
    for document in module.documents:
        for block in document.blocks:
            if block.type == "resource" and len(block.labels) == 2 and block.labels[0] == AZURE_SERVER:
                servers[f"{block.labels[0]}.{block.labels[1]}"] = (document.source, block)
    for document in documents:
        source = document.source
        for block in document.blocks:
            # A block terraform makes no instance of, whatever it is given, has no server
            # setting. Asked of the blocks that would give a view, not of every block (issue
            # 18: ~9,000 counts evaluated a check of the 1,000-file tree, for none).
            if block.type == "module" and len(block.labels) == 1:
                called = module_source(block) or ""
                kind = ModuleDatabaseFlags if called in CLOUD_SQL_MODULES else ModuleParameters
                modules = RDS_MODULES.get(called, ()) or CLOUD_SQL_MODULES.get(called, ())
                if modules and not instances(module, source, block).absent:
                    for inputs in modules:
                        views.append(kind(module, source, block, inputs))
                continue
            if block.type != "resource" or len(block.labels) != 2:
                continue
            resource = block.labels[0]
            if resource not in SERVER_RESOURCES or instances(module, source, block).absent:
                continue
            if resource in PARAMETER_GROUPS:
                views.append(ParameterGroup(module, source, block))
            elif resource == CLOUD_SQL:
                flags = CloudSqlFlags(module, source, block)
                if flags.is_postgres:
                    views.append(flags)
            elif resource == AZURE_CONFIGURATION:
                server_id = block.attribute("server_id")
                key = source.text[server_id.value.start : server_id.value.end] if server_id is not None else "?"
                if key not in azure:
                    match = _RESOURCE_REF.match(key)
                    address = f"{match.group(1)}.{match.group(2)}" if match else key
                    view = AzureFlexibleServer(module, source, block, address)
                    server = servers.get(address)
                    if server is not None:
                        version = _literal(module, server[0], server[1], "version")
                        if version is not None:
                            view.version = PgVersion.parse(str(version))
                            view.version_origin = f"version of {address}"
                    azure[key] = view
                    views.append(view)
                azure[key].add_configuration(source, block)
    return views
