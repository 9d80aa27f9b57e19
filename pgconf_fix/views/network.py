"""Load balancers declared in Terraform: one view per aws_lb / aws_alb / aws_elb resource or
well-known ALB module call, with values resolved the way Terraform would without a plan
(:mod:`pgconf_fix.views.terraform_module`); and the builder of every Terraform view of a
directory (load balancers, boxes on the path, managed servers' parameters).
"""

from __future__ import annotations

from pathlib import Path

from pgconf_fix.documents.hcl import STRING, HclBlock
from pgconf_fix.findings import Problem
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Built, ParsedFile
from pgconf_fix.views.cloud_server import cloud_server_views
from pgconf_fix.views.middleboxes import middleboxes
from pgconf_fix.views.terraform_module import (  # noqa: F401 - the resolution states, named from here too
    SET,
    UNKNOWN,
    UNSET,
    Resolution,
    TerraformModule,
    TerraformResource,
    Written,
    instances,
    is_auto_tfvars,
    meta_refusals,
    module_instances,
    read_modules,
)
from pgconf_fix.workspace import Workspace, parent_of

APPLICATION = "application"
CLASSIC = "classic"
LB_RESOURCES = {"aws_lb": None, "aws_alb": None, "aws_elb": CLASSIC}  # None: read load_balancer_type
# Registry sources of modules whose inputs are named like the aws_lb arguments.
ALB_MODULE_SOURCES = ("terraform-aws-modules/alb/aws", "github.com/terraform-aws-modules/terraform-aws-alb")

class LoadBalancer(TerraformResource):
    """One load balancer: an aws_lb / aws_alb / aws_elb resource, or a call of a known ALB module."""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock) -> None:
        super().__init__(module, source, block)
        self.is_module = block.type == "module"
        if self.is_module:
            self.address = f"module.{block.labels[0]}"
        self.kind, self.kind_reason = self._kind()

    def _kind(self) -> tuple[str | None, str]:
        """application / network / gateway / classic, or None with the reason it is unknown."""
        if not self.is_module and LB_RESOURCES[self.block.labels[0]] == CLASSIC:
            return CLASSIC, ""
        resolution = self.resolve("load_balancer_type")
        if resolution.status == UNSET:
            return APPLICATION, ""  # the provider's (and the module's) default
        if resolution.status == SET and isinstance(resolution.value, str):
            return resolution.value, ""
        return None, resolution.reason or "load_balancer_type is not a string"


def _module_source(block: HclBlock) -> str | None:
    found = block.attribute("source")
    if found is None or found.value.kind != STRING:
        return None
    return str(found.value.value)


def is_known_alb_module(block: HclBlock) -> bool:
    source = _module_source(block)
    if source is None:
        return False
    source = source.removeprefix("registry.terraform.io/").removeprefix("git::https://").removeprefix("https://")
    return any(source == known or source.startswith((known + "?", known + ".git")) for known in ALB_MODULE_SOURCES)


def _is_load_balancer(block: HclBlock) -> bool:
    if block.type == "resource":
        return len(block.labels) == 2 and block.labels[0] in LB_RESOURCES
    return block.type == "module" and len(block.labels) == 1 and is_known_alb_module(block)


def build_network_views(workspace: Workspace, sources: list[SourceFile], options: object) -> Built:
    """Every Terraform view of the sources' directories, each directory read as one module; the
    given files are judged as a whole (their syntax errors, PGF001, and suppression comments),
    their siblings read only for the module's variables and locals.

    A directory that a module block of another one calls (a local ``source``) is judged once per
    call, its variables read from the call's arguments (terraform_module.ModuleCall), not on its
    own; the called directories are read even when not given (which joins their groups)."""
    groups: dict[Path, list[SourceFile]] = {}
    for source in sources:
        groups.setdefault(parent_of(source.path), []).append(source)
    built = Built()
    asked = {source.path for source in sources}
    like = sources[0].display if sources else None
    documents, calls = read_modules(workspace, groups, like)
    views = built.views
    # A count or for_each terraform refuses (PGF001), once a place whatever calls its module.
    refused: dict[tuple[Path, int], Problem] = {}
    for _, module in module_instances(groups, documents, calls):
        mine = [d for d in module.documents if d.source.path in asked]
        for problem in meta_refusals(module, mine):
            refused.setdefault((problem.location.source.path, problem.location.start), problem)
        found: list[TerraformResource] = []
        for document in mine:
            found += [LoadBalancer(module, document.source, block) for block in document.blocks if _is_load_balancer(block)]
        found += middleboxes(module, mine)
        # A block of which terraform makes no instance whatever it is given is no box (nor a
        # server: cloud_server_views leaves those out itself, one configuration at a time).
        views.extend(view for view in found if not instances(module, view.source, view.block).absent)
        views.extend(cloud_server_views(module, mine))
    for directory in groups:
        # The given files are judged as a whole; so is an auto-loaded variable file Terraform
        # refuses (PGF001): the module's values come from it, and terraform stops at it.
        for d in documents[directory]:
            if d.source.path in asked or (d.problems or d.unread) and is_auto_tfvars(d.source.path.name):
                mine = sorted((problem for (path, _), problem in refused.items() if path == d.source.path),
                              key=lambda problem: problem.location.start)  # fmt: skip
                built.files.append(ParsedFile(d.source, (*d.problems, *mine), d.unread))
    return built


