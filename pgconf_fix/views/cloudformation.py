"""AWS CloudFormation templates (YAML): an RDS parameter group's ``Parameters`` as server
settings, judged by PGF101-PGF104 as the Terraform parameter groups are (pgconf_fix.views.cloud_server).

A resource of type ``AWS::RDS::DBParameterGroup`` or ``AWS::RDS::DBClusterParameterGroup`` under
the template's ``Resources``: ``Properties.Parameters`` maps a parameter's name to its value
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbparametergroup.html),
and ``Properties.Family`` names the major (``postgres16``, ``aurora-postgresql15``:
versions.version_from_family). As for Terraform, a parameter the group does not write takes RDS
for PostgreSQL's default (tcp_keepalives_idle 300, interval 30, count 2; not Aurora's, which is
not documented, so an Aurora group's missing parameters are not judged).

What is not known here is not judged: a value or a family given by an intrinsic function
(``!Ref``, ``!Sub``, ``Fn::If``...), ``Parameters`` that is not a map. A fix sets the value in
place (its YAML type kept) or adds an entry to ``Parameters`` (created when missing), written as
a string in the quoting of the entries beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from yaml.nodes import MappingNode, Node, ScalarNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major, version_from_family
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.placed import PlacedSettings

PARAMETER_GROUPS = {
    "AWS::RDS::DBParameterGroup": "DB parameter group",
    "AWS::RDS::DBClusterParameterGroup": "DB cluster parameter group",
}
_PLAIN_TAGS = (Y.STR_TAG, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def is_cloudformation(root: Node) -> bool:
    """Whether a YAML document is a CloudFormation template: ``Resources`` a map whose entries
    have an ``AWS::`` ``Type``."""
    resources = Y.get(root, "Resources")
    return isinstance(resources, MappingNode) and any(
        (Y.scalar_value(Y.get(resource, "Type")) or "").startswith("AWS::") for _, resource in Y.items(resources)
    )


class CloudFormationParameters(PlacedSettings):
    """One parameter group resource's ``Parameters``; RDS's defaults stand for the ones it does
    not write (views.cloud_server.RDS_DEFAULTS) when its family is RDS for PostgreSQL's."""

    platform_defaults: Mapping[str, str] = MappingProxyType({})

    def platform_default(self, key: str):  # -> a views.cloud_server.PlatformDefault or None
        from pgconf_fix.views.cloud_server import RDS_DEFAULTS_WHO, PlatformDefault

        value = self.platform_defaults.get(key)
        return PlatformDefault(value, RDS_DEFAULTS_WHO) if value is not None else None


def cloudformation_views(source: SourceFile, root: MappingNode) -> list[SettingsView]:
    """The server view of every RDS parameter group resource of a template, and the PgBouncer
    view of every ECS container running an environment-configured PgBouncer image
    (views.pgbouncer_env.ecs_pgbouncer_view)."""
    views: list[SettingsView] = []
    for name, resource in Y.items(Y.get(root, "Resources")):
        if Y.scalar_value(Y.get(resource, "Type")) == "AWS::ECS::TaskDefinition" and "pgbouncer" in source.text:
            from pgconf_fix.views.pgbouncer_env import ecs_task_pgbouncer_views

            views.extend(ecs_task_pgbouncer_views(source, Y.get(resource, "Properties", "ContainerDefinitions"), True))
            continue
        kind = PARAMETER_GROUPS.get(Y.scalar_value(Y.get(resource, "Type")) or "")
        if kind is None or not isinstance(resource, MappingNode):
            continue
        view = _parameter_group(source, name.value, kind, resource)
        if view is not None:
            views.append(view)
    return views


def _parameter_group(source: SourceFile, name: str, kind: str, resource: MappingNode) -> CloudFormationParameters | None:
    from pgconf_fix.views.cloud_server import RDS_DEFAULTS

    properties = Y.get(resource, "Properties")
    if not isinstance(properties, MappingNode):
        return None
    parameters = Y.get(properties, "Parameters")
    if parameters is not None and not isinstance(parameters, MappingNode):
        return None  # an intrinsic function or a list: not known here
    family_node = Y.get(properties, "Family")
    family = family_node.value if isinstance(family_node, ScalarNode) and family_node.tag == Y.STR_TAG else None
    version = version_from_family(family) if family else None
    if family is not None and version is None and not family.lower().startswith(("postgres", "aurora-postgres")):
        return None  # a group of another engine (mysql8.0)
    path = ("Properties", "Parameters")
    home_node, parent = Y.entry(resource, "Properties"), properties
    pair = Y.entry(parent, "Parameters")
    key_node = (pair or home_node)[0]  # type: ignore[index]
    home = Location(source, key_node.start_mark.index, key_node.end_mark.index)
    entries = list(Y.items(parameters)) if isinstance(parameters, MappingNode) else []
    style = Y.quote_style([value for _, value in entries]) or '"'

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        if source.path.suffix == ".json":
            return _insert_json(source, parameters, key, Y.double_quoted(value))
        return Y.insert_path(source, resource, list(path), [(key, Y.render_scalar(value, style=style, string=True))])

    rds = version is not None and not family.lower().startswith("aurora")  # type: ignore[union-attr]
    view = CloudFormationParameters("server", source, f"the {kind} {name}'s Parameters", home, insert,
                                    judges_missing=rds, major=Major.of(version, f"Family {family!r} of {name}"))
    if rds:
        view.platform_defaults = RDS_DEFAULTS
    for key, value in entries:
        if not isinstance(value, ScalarNode) or value.tag not in _PLAIN_TAGS:
            view.broken_keys.add(key.value.lower())  # an intrinsic function: the value is not known here
            continue

        def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
            return (Y.replace_scalar(source, value, new, string=value.tag == Y.STR_TAG),)

        view.add(key.value.lower(), value.value, Location(source, key.start_mark.index, value.end_mark.index),
                 Y.span(value), replace)
    return view.finish()


def _insert_json(source: SourceFile, parameters: Node | None, key: str, value: str) -> tuple[Edit, ...]:
    """``"key": "value"`` added to a JSON template's ``Parameters`` object (Y.append_json). No
    fix when the template has no ``Parameters`` object (JSON has no place to write one without
    rewriting its neighbours' commas)."""
    if not isinstance(parameters, MappingNode):
        return ()
    return (Y.append_json(source, parameters, f"{Y.double_quoted(key)}: {value}"),)
