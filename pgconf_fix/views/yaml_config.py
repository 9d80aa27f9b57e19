"""Settings kept in YAML: compose and Swarm stack files, Kubernetes manifests, Helm values, Patroni,
Ansible sysctl tasks.

One reading per file (:mod:`pgconf_fix.documents.yaml_nodes`), each document judged
alone; each place a setting can be written becomes a document feeding an existing
view: server parameters (PGF1xx), kernel sysctls (PGF2xx), PgBouncer (PGF6xx), and the
file's connection strings (PGF4xx), found in the text as the client layer finds them,
except inside an embedded pgbouncer.ini, whose [databases] entries are PgBouncer's.

A file that is not YAML is PGF001, unless it holds template markup (``{{ }}``, a Helm
template), which only the template engine can turn into YAML: then its connection
strings are still judged, and nothing else. A template that parses as YAML is read,
but nothing is "missing" from it (the engine may add it), and templated values are
unknown. A Kubernetes document in a file a kustomization names as a strategic-merge patch
is judged for what it sets, not for what it leaves out (:mod:`pgconf_fix.views.kustomize`).
A compose file PyYAML refuses where compose's decoder reads it (a DEL or C1 control
character, a key over 1024 characters) is PGF004, not checked (``_read_by_compose_only``).
"""

from __future__ import annotations

import functools
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Location, Problem
from pgconf_fix.source import SourceFile
from pgconf_fix.views.ansible import (
    ROLE_OPTIONS,
    ansible_server_views,
    ansible_sysctl_views,
)
from pgconf_fix.views.base import Built, ParsedFile, SettingsView
from pgconf_fix.views.client import connection_views
from pgconf_fix.views.cloudformation import cloudformation_views, is_cloudformation
from pgconf_fix.views.compose import ProjectEnvironment, compose_views, is_compose, project_environment_of
from pgconf_fix.views.kubernetes import kubernetes_views
from pgconf_fix.views.kustomize import (
    KUSTOMIZATION_FILES,
    as_patch,
    json_patch_views,
    kustomization_views,
    kustomize_patch,
)
from pgconf_fix.views.test_expectations import expected_state
from pgconf_fix.workspace import Workspace

RAILS_FILE = "database.yml"  # Rails' connections: pgconf_fix.views.rails, imported only for such a file


def _client_views(
    source: SourceFile, skip: list[tuple[int, int]], compose: bool = False, environment: ProjectEnvironment | None = None
) -> list[SettingsView]:
    """The file's connection strings, but those in ``skip`` spans (embedded pgbouncer.ini files)
    and local ones. ``compose``: the file is a compose file, whose strings compose interpolates
    (with the project's ``.env``, ``environment``, when there is one) before a container sees
    them: a host written as a variable is read as compose fills it in (``_compose_hosts``)."""
    views: list[SettingsView] = []
    for view in connection_views(source):
        if compose:
            _compose_hosts(view, environment)
        if view.local:
            continue
        where = view.placements[0].location().start
        if any(start <= where < end for start, end in skip):
            continue
        views.append(view)
    return views


def yaml_views(workspace: Workspace, source: SourceFile) -> tuple[list[SettingsView], ParsedFile]:
    """Every view of one YAML file, and the file judged as a whole: what YAML rejects in it
    (PGF001; nothing for a template, which only its engine turns into YAML) and its suppression
    comments."""
    is_json = source.path.suffix == ".json"
    try:
        documents = Y.compose_documents(source.text)
    except Y.YamlError as exc:
        documents = _json_documents(source) if is_json else None
        if documents is None:
            if _template(source):
                return _client_views(source, []), ParsedFile(source, ())
            unread = _json_too_deep(source) if is_json else _read_by_compose_only(source)
            problems = () if unread is not None else (_json_problem(source) if is_json else exc.problem(source),)
            return _client_views(source, []), ParsedFile(source, problems, unread)
    if is_json:  # claimed for its parameter groups or its PgBouncer: a template, a task definition
        documents = [root for root in documents if is_cloudformation(root) or _is_task_definition(root)]
    elif expected_state(workspace, source):
        return [], ParsedFile(source, ())  # a test's assert or errors file: compared, never applied
    views: list[SettingsView] = []
    embedded: list[tuple[int, int]] = []
    problems: list[Problem] = []
    environment = None
    # The targets of the kustomization entries naming this file as a patch (None: none does),
    # asked at most once, and only of a document that would give views.
    patch_of = functools.cache(lambda: kustomize_patch(workspace, source))
    kustomization = source.path.name in KUSTOMIZATION_FILES
    rails_roots: list[MappingNode] = []  # database.yml's: their URLs get the keywords beside them
    for root in documents:
        if is_compose(root):
            repeated = repeated_keys(source, root)
            if repeated:
                problems.extend(repeated)  # compose refuses the file: its settings are never read
                continue
            from pgconf_fix.documents.go_yaml_reader import excessive_aliasing

            if excessive_aliasing(root):
                start, end = source.line_span(root.start_mark.line + 1)
                problems.append(Problem(Location(source, start, end), (
                    'compose refuses this file: its YAML decoder stops at "document contains excessive aliasing"'
                    " (nearly all of its values come from expanding aliases); nothing in it was checked")))
                continue
            if environment is None:
                environment = project_environment_of(workspace, source) or False
            views.extend(compose_views(source, root, environment or None))
            continue
        if source.path.name == RAILS_FILE and isinstance(root, MappingNode):
            from pgconf_fix.views.rails import rails_database_views

            views.extend(rails_database_views(source, root))
            rails_roots.append(root)
            continue
        if kustomization or Y.scalar_value(Y.get(root, "kind")) == "Kustomization":
            found, refused = kustomization_views(workspace, source, root)
            views.extend(found)
            problems.extend(refused)
            continue
        if isinstance(root, SequenceNode):  # a playbook, a role's tasks or handlers
            if patch_of() is not None:
                views.extend(json_patch_views(source, root, patch_of()))  # a kustomization's JSON 6902 patch
                continue
            views.extend([*ansible_sysctl_views(source, root), *ansible_server_views(source, root)])
            continue
        if Y.get(root, ROLE_OPTIONS) is not None:  # Ansible variables (group_vars, a role's defaults)
            views.extend(ansible_server_views(source, root))
            continue
        if is_cloudformation(root):
            views.extend(cloudformation_views(source, root))
            continue
        if _is_task_definition(root):
            from pgconf_fix.views.pgbouncer_env import ecs_task_pgbouncer_views

            views.extend(ecs_task_pgbouncer_views(source, Y.get(root, "containerDefinitions"), False))
            continue
        found, spans = kubernetes_views(workspace, source, root)
        if found and patch_of() is not None:
            as_patch(root, found)  # a strategic-merge patch: what it leaves out is the base's
        views.extend(found)
        embedded.extend(spans)
    if _template(source):
        # A template that happens to parse: what it leaves out may come from the template engine.
        for view in views:
            view.judges_missing = False
    # environment: None when no document is a compose file, False for one without a .env
    client = _client_views(source, embedded, compose=environment is not None, environment=environment or None)
    if rails_roots:
        from pgconf_fix.views.rails import keywords_under_urls

        for root in rails_roots:
            keywords_under_urls(source, root, client)
    return [*views, *client], ParsedFile(source, tuple(problems))


def _compose_hosts(view: SettingsView, environment: ProjectEnvironment | None) -> None:
    """A compose file's connection whose hosts are written with variables
    (``postgresql://app@${POSTGRES_HOST}/app``): compose fills them in from the project's
    ``.env`` (or a variable's default) before the container sees the string
    (pgconf_fix.documents.compose_interpolation), so the hosts are judged (local, public, named in
    messages) as filled in, with a note naming the variables' source. Left as written when any
    value is not known here (a variable only the shell may set, a secret's name) or compose
    refuses the text. The shell's environment, when it sets one of them, wins over ``.env``:
    the note says so."""
    from pgconf_fix.documents.compose_dotenv import resolve
    from pgconf_fix.documents.compose_interpolation import InvalidInterpolation, interpolate

    hosts = getattr(view, "hosts", ())
    if not any("$" in host for host in hosts):
        return
    usable = environment is not None and not environment.refused
    lookup = environment.values.get if usable else (lambda name: None)  # type: ignore[union-attr]
    filled: list[str] = []
    names: list[str] = []
    try:
        for host in hosts:
            text = resolve(host, lookup) if "$" in host else host
            if not text:
                return  # not known here, or empty (compose would leave no host)
            filled.append(text)
            names += [variable.name for variable in interpolate(host).variables]
    except InvalidInterpolation:
        return
    names = list(dict.fromkeys(names))
    where = [f"{environment.display}:{environment.values[name].line}" for name in names if usable and name in environment.values]  # type: ignore[union-attr]
    written = " and ".join(f"${{{name}}}" for name in names)
    view.hosts = tuple(filled)
    view.host_note = (f"{written} from {' and '.join(dict.fromkeys(where)) if where else 'its default'} as compose fills it in, "
                      "unless the shell's environment sets it")


def _is_task_definition(root: Node) -> bool:
    """An ECS task definition as ``aws ecs register-task-definition --cli-input-json`` and
    GitHub's amazon-ecs-deploy-task-definition read it: ``containerDefinitions``, a list."""
    return isinstance(Y.get(root, "containerDefinitions"), SequenceNode)


def _template(source: SourceFile) -> bool:
    """Whether a YAML file is a template its engine renders first: a Helm or Jinja expression
    (``{{ ... }}``), a Jinja statement (``{% if ... %}``: cookiecutter, Ansible templates), or, in
    Rails' database.yml, which Rails reads as ERB before YAML, an ERB tag (``<%= ... %>``,
    ``<% if ... %>``; elsewhere ``<%`` is text: a log_line_prefix's ``<%u>``)."""
    text = source.text
    return "{{" in text or "{%" in text or (source.path.name == RAILS_FILE and "<%" in text)


def _json_documents(source: SourceFile) -> list[Node] | None:
    """A JSON file PyYAML refuses as it is written (a tab between tokens, which JSON allows and
    YAML does not where it indents) read with its tabs as spaces, offsets unchanged; None when
    it is not JSON either. cfn-lint (1.58, ``cfnlint.decode``) reads a template the same way:
    as YAML first, then as JSON."""
    import json

    try:
        json.loads(source.text)
    except (ValueError, RecursionError):
        return None
    try:
        return Y.compose_documents(source.text.replace("\t", " "))
    except Y.YamlError:
        return None


def _json_too_deep(source: SourceFile) -> Problem | None:
    """PGF004 for a JSON file nested past Python's recursion limit (some hundreds of levels:
    json.loads raises RecursionError where PyYAML stopped at libyaml's depth of 1000), which
    its consumer may read (Go 1.19's encoding/json takes 10,000 levels and refuses 10,001):
    nothing in it was checked. None when Python's json reads it or refuses it for its grammar."""
    import json

    try:
        json.loads(source.text)
    except RecursionError:
        start, end = source.line_span(1)
        return Problem(Location(source, start, end), (
            "not checked: nested too deeply for Python's JSON parser (past its recursion limit);"
            " nothing in the file was checked"))
    except ValueError:
        return None
    return None


def _json_problem(source: SourceFile) -> Problem:
    """PGF001 for a JSON template that is neither YAML nor JSON, in the JSON parser's words
    (CloudFormation refuses it: "Template format error")."""
    import json

    try:
        json.loads(source.text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        message = getattr(exc, "msg", str(exc))
        start, end = source.line_span(min(line, len(source.line_starts)))
        return Problem(Location(source, start, end), f"not valid JSON: {message}")
    raise AssertionError("called for a text JSON refuses")


def _read_by_compose_only(source: SourceFile) -> Problem | None:
    """PGF004 for a compose file PyYAML refuses where compose's decoder reads it (a DEL or C1
    control character, a key over 1024 characters: documents.go_yaml_reader): compose runs it,
    and nothing in it was checked; None otherwise (PyYAML's refusal is then PGF001). A file whose
    documents hold no ``services:`` is not called compose's, nor one repeating a key, which
    compose refuses all the same."""
    from pgconf_fix.documents.go_yaml_reader import compose_only_refusal

    lenient = compose_only_refusal(source.text)
    if lenient is None:
        return None
    roots = [root for root in lenient.documents if is_compose(root)]
    if not roots or any(repeated_keys(source, root) for root in roots):
        return None
    start, end = source.line_span(min(lenient.line, len(source.line_starts)))
    return Problem(Location(source, start, end), (
        f"not checked: compose's YAML decoder (go.yaml.in/yaml/v4) reads this file, but PyYAML, which pgconf-fix "
        f"reads YAML with, refuses {lenient.why} here; nothing in the file was checked"))


def repeated_keys(source: SourceFile, root: Node) -> list[Problem]:
    """PGF001 for each mapping key a compose file repeats in one mapping: compose's YAML
    decoder (go.yaml.in/yaml/v4, UniqueKeys on by default; compose-go decodes every document
    of the file) refuses the file ("mapping key "db" already defined at line 2"). Keys are the
    same when they are the same kind of node with the same text: ``1`` and ``"1"`` are, ``0x1``
    and ``1`` are not (its constructor compares node kind and value; both checked on
    v4.0.0-rc.4, the version compose-go e70e961 requires). PyYAML keeps the last one.

    Not looked into: a merge key's value (``<<: {...}``), whose entries the decoder builds only
    where the mapping around it does not set the key itself (a repeated key there may never be
    decoded), and a ``!reset`` value, which compose-go drops before decoding. An anchored node
    is still judged where it is written."""
    found: list[Problem] = []
    seen_nodes: set[int] = set()
    pending: list[Node] = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen_nodes:
            continue  # an anchored node read again through an alias
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[type, str], int] = {}
            for key, value in node.value:
                identity = (type(key), key.value if isinstance(key, ScalarNode) else "")
                if identity in first:
                    line = first[identity]
                    found.append(Problem(Location(source, key.start_mark.index, key.end_mark.index), (
                        f'mapping key "{identity[1]}" already defined at line {line}: compose refuses the file '
                        "(its YAML decoder takes each key of a mapping once)")))
                else:
                    first[identity] = key.start_mark.line + 1
                if key.tag == Y.MERGE_TAG or value.tag == "!reset":
                    continue  # see below
                pending.extend((key, value))
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return sorted(found, key=lambda problem: problem.location.start)


def build_yaml_views(workspace: Workspace, sources: list[SourceFile], options: object) -> Built:
    built = Built()
    for source in sources:
        views, parsed = yaml_views(workspace, source)
        built.views.extend(views)
        built.files.append(parsed)
    return built


def is_compose_name(path: Path) -> bool:
    name = path.name.lower()
    return name in ("compose.yaml", "compose.yml") or (
        name.startswith("docker-compose") and name.endswith((".yml", ".yaml"))
    )
