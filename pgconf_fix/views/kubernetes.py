"""Server, kernel and PgBouncer settings in Kubernetes manifests, Helm values and Patroni files.

Each YAML document is judged alone. The places read, and where a missing setting goes:

- CloudNativePG ``Cluster`` (``postgresql.cnpg.io``): ``spec.postgresql.parameters``
  (strings); version from ``spec.imageName``.
- CloudNativePG ``Pooler``: ``spec.pgbouncer.parameters``, and a Crunchy PGO
  ``PostgresCluster``'s ``spec.proxy.pgBouncer.config.global``, as the pgbouncer.ini the
  operator writes from them (:mod:`pgconf_fix.views.operator_pgbouncer`).
- Zalando ``postgresql`` (``acid.zalan.do``): ``spec.postgresql.parameters`` (strings);
  version from ``spec.postgresql.version``.
- Crunchy PGO ``PostgresCluster`` (``postgres-operator.crunchydata.com``), and Percona's
  ``PerconaPGCluster`` (``pgv2.percona.com``, built on PGO v5):
  ``spec.patroni.dynamicConfiguration.postgresql.parameters``; version from
  ``spec.postgresVersion``.
- Patroni's own YAML (``scope`` with ``postgresql`` or ``bootstrap.dcs``):
  ``bootstrap.dcs.postgresql.parameters`` then ``postgresql.parameters`` (the local
  configuration wins over the dynamic one). Every fix writes ``postgresql.parameters``,
  also for a value read from ``bootstrap.dcs``: Patroni copies that section into the DCS only
  when it creates a new cluster (see :class:`PatroniParameters`).
- Bitnami's chart values: ``primary.extendedConfiguration`` (a postgresql.conf appended to
  the chart's) and ``primary.configuration``; version from ``image.tag``. In an umbrella
  chart's values the same keys sit under the dependency's name (``postgresql.primary...``).
- A ``ConfigMap`` whose ``data`` holds a ``*.conf`` that reads as a postgresql.conf, or a
  ``pgbouncer.ini`` (any ``*.ini`` with a [pgbouncer] or [databases] section).
- Pod templates (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob): a postgres-image
  container's ``args`` (or ``command``) ``-c`` flags (a string there instead of a list is
  PGF001: the API refuses it), after the kubelet's ``$(VAR)`` expansion from the container's
  ``env`` (:mod:`pgconf_fix.documents.k8s_expansion`; a value that came from a variable gets
  no fix, the variable is the place to change it), and ``securityContext.sysctls``
  (``name``/``value`` items). A missing sysctl is reported without a fix: before
  Kubernetes 1.29 the keepalive sysctls are "unsafe" ones a kubelet must allow, and a pod
  that asks for a forbidden one is rejected. A ``command`` that starts postgres itself under
  the official image runs it as root unless a ``runAsUser`` is set: PGF001, nothing judged
  (``_root_refusal``).

Maps of operator parameters take strings (Kubernetes refuses ``60`` for a
``map[string]string``): values are written quoted unless the map already writes them
otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.k8s_expansion import (
    UNKNOWN_VALUE,
    ContainerEnvironment,
    Expanded,
    expand,
)
from pgconf_fix.findings import Edit, Fix, Location, Problem
from pgconf_fix.setting import Refusal, Setting
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major, PgVersion
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix.views.compose import (
    ROOT_REFUSAL,
    UnsplittableCommand,
    Word,
    command_words,
    flag_replace,
    is_postgres_image,
    is_postgres_program,
    refuse_valueless_flags,
    refused_command,
    server_command,
    server_flags,
    starts_as_root,
    version_from_image,
)
from pgconf_fix.views.embedded import EmbeddedServerConfig
from pgconf_fix.views.pgbouncer_env import (
    is_environment_configured,
    kubernetes_pgbouncer_view,
)
from pgconf_fix.views.placed import Insert, PlacedSettings
from pgconf_fix.workspace import Workspace

POD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


def _where(source: SourceFile, node: Node) -> Location:
    return Location(source, node.start_mark.index, Y.content_end(source.text, node))


def map_insert(source: SourceFile, root: MappingNode, path: Sequence[str], *, strings: bool) -> Insert:
    """What adds ``key: value`` to the map at ``path`` (created when missing), quoted as its
    entries are, else as ``strings`` asks (double quotes) or plain."""
    siblings = [value for _, value in Y.items(Y.get(root, *path))]
    style = Y.quote_style(siblings) if siblings else ('"' if strings else None)

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return Y.insert_path(source, root, list(path), [(key, Y.render_scalar(value, style=style, string=strings))])

    return insert


def parameter_map_view(
    source: SourceFile,
    root: MappingNode,
    paths: Sequence[Sequence[str]],
    insert_at: Sequence[str],
    what: str,
    *,
    strings: bool,
    major: Major | None,
    kind: type[PlacedSettings] = PlacedSettings,
) -> PlacedSettings:
    """Server parameters from the maps at ``paths`` (read in that order: the last one wins),
    new ones inserted into the map at ``insert_at`` (created when missing); the view is a
    ``kind``."""
    home = Location(source, root.start_mark.index, root.start_mark.index)
    parent: Node | None = root
    for key in insert_at:  # the deepest key of the path that is there
        pair = Y.entry(parent, key)
        if pair is None:
            break
        home, parent = _where(source, pair[0]), pair[1]
    view = kind("server", source, what, home, map_insert(source, root, insert_at, strings=strings), major=major)
    for path in paths:
        for key, value in Y.items(Y.get(root, *path)):
            if not isinstance(value, ScalarNode):
                continue

            def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
                return (Y.replace_scalar(source, value, new, string=strings or value.style is not None),)

            location = Location(source, key.start_mark.index, value.end_mark.index)
            view.add(key.value.lower(), value.value, location, Y.span(value), replace)
    return view.finish()


# What a Zalando postgresql's server uses for a keepalive setting its parameters do not name:
# Spilo, the image the operator runs, writes these into bootstrap.dcs.postgresql.parameters
# (zalando/spilo postgres-appliance/scripts/configure_spilo.py, 7cb50bd; its deep_update lets
# SPILO_CONFIGURATION's keys win and the template fill the rest), and the operator puts the
# manifest's tcp_keepalives_* into the local postgresql.parameters, which win over the DCS
# (zalando/postgres-operator pkg/cluster/k8sres.go getLocalAndBoostrapPostgreSQLParameters,
# a7aaad0; its pkg/util/patroni/patroni_test.go shows a cluster's DCS holding 900 and 100).
# tcp_keepalives_count is not written: the kernel's 9 applies.
SPILO_DEFAULTS = {"tcp_keepalives_idle": "900", "tcp_keepalives_interval": "100"}


class ZalandoParameters(PlacedSettings):
    """A Zalando ``postgresql``'s ``spec.postgresql.parameters``; Spilo's defaults
    (SPILO_DEFAULTS) stand for the keepalive settings it does not name."""

    def platform_default(self, key: str):  # -> a views.cloud_server.PlatformDefault or None
        """Spilo's value of an unset ``key`` (SPILO_DEFAULTS), or None for the kernel's."""
        from pgconf_fix.views.cloud_server import PlatformDefault

        value = SPILO_DEFAULTS.get(key)
        return PlatformDefault(value, "the Spilo image's default") if value is not None else None


def _major(text: str | None, origin: str) -> Major | None:
    return Major.of(PgVersion.parse(text) if text else None, origin)


def operator_views(source: SourceFile, root: MappingNode) -> list[SettingsView]:
    api = Y.scalar_value(Y.get(root, "apiVersion")) or ""
    kind = Y.scalar_value(Y.get(root, "kind")) or ""
    if api.startswith("postgresql.cnpg.io/") and kind == "Cluster":
        image = Y.scalar_value(Y.get(root, "spec", "imageName")) or ""
        major = Major.of(version_from_image(image) if image else None, f"the image {image}")
        path = ("spec", "postgresql", "parameters")
        return [parameter_map_view(source, root, [path], path, "the CloudNativePG Cluster's parameters", strings=True,
                                   major=major)]
    if api.startswith("postgresql.cnpg.io/") and kind == "Pooler":
        from pgconf_fix.views.operator_pgbouncer import pooler_view

        pooler = pooler_view(source, root)
        return [pooler] if pooler is not None else []
    if api.startswith("acid.zalan.do/") and kind == "postgresql":
        major = _major(Y.scalar_value(Y.get(root, "spec", "postgresql", "version")), "spec.postgresql.version")
        path = ("spec", "postgresql", "parameters")
        return [parameter_map_view(source, root, [path], path, "the Zalando postgresql's parameters", strings=True,
                                   major=major, kind=ZalandoParameters)]
    pgo = api.startswith("postgres-operator.crunchydata.com/") and kind == "PostgresCluster"
    if pgo or api.startswith("pgv2.percona.com/") and kind == "PerconaPGCluster":
        # Percona's operator for PostgreSQL is built on PGO v5 and reads these fields the same way.
        major = _major(Y.scalar_value(Y.get(root, "spec", "postgresVersion")), "spec.postgresVersion")
        path = ("spec", "patroni", "dynamicConfiguration", "postgresql", "parameters")
        views: list[SettingsView] = [parameter_map_view(source, root, [path], path, f"the {kind}'s Patroni parameters",
                                                        strings=False, major=major)]
        from pgconf_fix.views.operator_pgbouncer import pgo_proxy_view

        proxy = pgo_proxy_view(source, root, "PGO" if pgo else "Percona's operator")
        return views + ([proxy] if proxy is not None else [])
    return []


def is_patroni(root: Node) -> bool:
    return isinstance(root, MappingNode) and (
        Y.get(root, "bootstrap", "dcs") is not None
        or (Y.get(root, "scope") is not None and isinstance(Y.get(root, "postgresql"), MappingNode))
    )


# What advice to change a value read from bootstrap.dcs adds (Setting.set_where).
BOOTSTRAP_ONLY = (
    " in the local postgresql.parameters (Patroni copies bootstrap.dcs into the DCS only when it creates a "
    "new cluster; the local parameters win over the dynamic configuration and apply on a reload, and "
    "patronictl edit-config changes a running cluster's dynamic configuration)"
)
DYNAMIC_ONLY_WHERE = (
    " in bootstrap.dcs for a new cluster, and with patronictl edit-config on a running one (Patroni takes this "
    "parameter only from the dynamic configuration and ignores a local value; it copies bootstrap.dcs into the "
    "DCS only when it creates a new cluster)"
)
# Parameters Patroni puts on the postmaster's command line from the dynamic configuration alone: a
# value in the local postgresql.parameters is dropped (Patroni 4.1.5, patroni/config.py
# _process_postgresql_parameters over ConfigHandler.CMDLINE_OPTIONS). listen_addresses, port,
# cluster_name and hot_standby are in that list too, but Patroni sets them from other keys.
DYNAMIC_ONLY = frozenset({
    "max_connections", "max_locks_per_transaction", "max_prepared_transactions", "max_replication_slots",
    "max_wal_senders", "max_worker_processes", "track_commit_timestamp", "wal_keep_segments", "wal_keep_size",
    "wal_level", "wal_log_hints",
})  # fmt: skip


class PatroniParameters(PlacedSettings):
    """Patroni's ``bootstrap.dcs.postgresql.parameters`` then its local ``postgresql.parameters``.

    A value read from ``bootstrap.dcs`` (the local map lacks the key) is not changed there:
    Patroni writes that section into the DCS only when it initializes a new cluster, so an edit
    does nothing to a running one, even after a reload or a restart of Patroni. The fix adds the
    key to the local ``postgresql.parameters`` instead (created when missing), which wins over the
    dynamic configuration on a new cluster and, after ``patronictl reload`` (or SIGHUP, or
    ``POST /reload``), on a running one; the finding's advice says so (``Setting.set_where``).

    The parameters in :data:`DYNAMIC_ONLY` (``max_connections``, ``wal_level``, ...) are the
    exception: Patroni ignores a local value of them, so a local one is not read here, and
    they are set (and added) in ``bootstrap.dcs``, with advice that a running cluster needs
    ``patronictl edit-config``.

    Sources: Patroni's docs/patroni_configuration.rst ("Local configuration file (patroni.yml)
    ... take precedence over dynamic configuration") and docs/yaml_configuration.rst
    (``bootstrap.dcs`` "will be written into /<namespace>/<scope>/config ... after initializing
    the new cluster"). Checked on Patroni 4.1.5 with etcd 3.4.23 and PostgreSQL 15.18 (``SHOW
    tcp_keepalives_idle`` over TCP): a new cluster took 900 from ``bootstrap.dcs``; 120 written
    there and ``patronictl reload``, SIGHUP to Patroni, or Patroni stopped and started again left
    900; a local ``tcp_keepalives_idle: '60'`` and ``patronictl reload`` gave 60 with no
    restart; with ``patronictl edit-config -p tcp_keepalives_idle=300`` the local 60 still won,
    and without it the 300 applied; a new cluster whose file held both started with 60. A local
    ``max_connections: 200`` over a dynamic 100 left 100 after a reload and after
    ``patronictl restart``.
    """

    bootstrap: tuple[int, int] | None = None  # the span of bootstrap.dcs.postgresql.parameters
    insert_dynamic: Insert | None = None  # adds a key to bootstrap.dcs.postgresql.parameters

    def _in_bootstrap(self, assignment: Assignment) -> bool:
        return self.bootstrap is not None and self.bootstrap[0] <= assignment.start < self.bootstrap[1]

    def effective(self, key: str) -> Assignment | None:
        if key not in DYNAMIC_ONLY:
            return super().effective(key)
        for assignment in reversed(self.assignments):  # a local value of these is dropped by Patroni
            if assignment.key == key and self._in_bootstrap(assignment):
                return assignment
        return None

    def from_bootstrap(self, key: str) -> bool:
        """Whether ``key``'s value is read from ``bootstrap.dcs`` (the local map does not set it)."""
        current = self.effective(key)
        return current is not None and self._in_bootstrap(current)

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        setting = super().get(key, unit, number)
        if not self.from_bootstrap(key):
            return setting
        return replace(setting, set_where=DYNAMIC_ONLY_WHERE if key in DYNAMIC_ONLY else BOOTSTRAP_ONLY)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        if key in DYNAMIC_ONLY:
            if self.effective(key) is None:
                return self.insert_dynamic(key, value) if self.insert_dynamic is not None else ()
            return super().set_edits(key, value)
        if self.from_bootstrap(key):
            return self.insert(key, value) if self.insert is not None else ()
        return super().set_edits(key, value)

    def fix(self, key: str, value: str) -> Fix | Refusal:
        result = super().fix(key, value)
        if not isinstance(result, Fix):
            return result
        if key in DYNAMIC_ONLY:
            message = f"Set {key} = {value} in bootstrap.dcs (a running cluster needs patronictl edit-config)"
        elif self.from_bootstrap(key):
            message = f"Set {key} = {value} in the local postgresql.parameters (bootstrap.dcs is read only by a new cluster)"
        else:
            return result
        return replace(result, message=message)


def patroni_views(source: SourceFile, root: MappingNode) -> list[SettingsView]:
    dcs = ("bootstrap", "dcs", "postgresql", "parameters")
    local = ("postgresql", "parameters")
    view = parameter_map_view(source, root, [dcs, local], local, "Patroni's postgresql parameters",
                              strings=False, major=None, kind=PatroniParameters)
    assert isinstance(view, PatroniParameters)
    bootstrap = Y.get(root, *dcs)
    if bootstrap is not None:
        view.bootstrap = (bootstrap.start_mark.index, bootstrap.end_mark.index)
    view.insert_dynamic = map_insert(source, root, dcs, strings=False)
    return [view]


def helm_values_views(workspace: Workspace, source: SourceFile, root: MappingNode, prefix: str = "") -> list[SettingsView]:
    """The chart's server configuration blocks; ``prefix`` names where ``root`` is in the file
    (``postgresql.`` for the values an umbrella chart hands its postgresql dependency)."""
    views: list[SettingsView] = []
    tag = Y.scalar_value(Y.get(root, "image", "tag"))
    version = version_from_image(f"postgresql:{tag}") if tag else None
    for key in ("extendedConfiguration", "configuration"):
        node = Y.get(root, "primary", key)
        block = Y.BlockText.of(source, node) if node is not None else None
        if block is not None:
            views.append(
                EmbeddedServerConfig(
                    workspace, block, f"{prefix}primary.{key}", major=Major.of(version, f"{prefix}image.tag")
                )
            )
    return views


def configmap_views(workspace: Workspace, source: SourceFile, root: MappingNode) -> tuple[list[SettingsView], list[tuple[int, int]]]:
    """Views of a ConfigMap's embedded files, and the spans of embedded pgbouncer.ini files."""
    from pgconf_fix.views.pgbouncer import build_pgbouncer_views

    views: list[SettingsView] = []
    spans: list[tuple[int, int]] = []
    for key, value in Y.items(Y.get(root, "data")):
        block = Y.BlockText.of(source, value)
        if block is None:
            continue
        name = key.value
        if name.endswith(".ini") and _looks_like_pgbouncer(block.text):
            views.extend(build_pgbouncer_views(block))
            spans.append(Y.span(value))
        elif name.endswith(".conf") and (name == "postgresql.conf" or _looks_like_pgconf(block.text)):
            views.append(EmbeddedServerConfig(workspace, block, f"the ConfigMap's {name}"))
    return views, spans


def _looks_like_pgbouncer(text: str) -> bool:
    return any(line.strip() in ("[pgbouncer]", "[databases]") for line in text.splitlines())


def _looks_like_pgconf(text: str) -> bool:
    from pgconf_fix.views.server import looks_like_pgconf

    return looks_like_pgconf(text.encode("utf-8", "surrogateescape"))


def pod_specs(root: MappingNode) -> list[MappingNode]:
    kind = Y.scalar_value(Y.get(root, "kind")) or ""
    if kind not in POD_KINDS:
        return []
    candidates = [Y.get(root, "spec"), Y.get(root, "spec", "template", "spec"),
                  Y.get(root, "spec", "jobTemplate", "spec", "template", "spec")]
    return [node for node in candidates if isinstance(node, MappingNode) and Y.get(node, "containers") is not None]


def pod_views(source: SourceFile, root: MappingNode) -> list[SettingsView]:
    views: list[SettingsView] = []
    for spec in pod_specs(root):
        for container in Y.get(spec, "containers").value if isinstance(Y.get(spec, "containers"), SequenceNode) else []:
            image = Y.scalar_value(Y.get(container, "image")) or ""
            name = Y.scalar_value(Y.get(container, "name")) or "?"
            if is_environment_configured(image):
                bouncer = kubernetes_pgbouncer_view(source, name, container)
                if bouncer is not None:
                    views.append(bouncer)
                continue
            if not is_postgres_image(image):
                continue
            if "bitnami" in image:
                from pgconf_fix.views.bitnami_postgresql import (
                    kubernetes_bitnami_postgresql_view,
                )

                settings = kubernetes_bitnami_postgresql_view(source, name, container, Major.of(version_from_image(image), f"the image {image}"))
                if settings is not None:
                    views.append(settings)
            strings = [pair for field in ("args", "command")
                       if (pair := Y.entry(container, field)) is not None and Y.scalar_value(pair[1]) is not None]
            if strings:  # the API server refuses the pod: that alone is said
                views += [_string_args(source, pair, f"the {pair[0].value} of container {name}") for pair in strings]
                continue
            refusal = _root_refusal(source, spec, container, image, name)
            if refusal is not None:
                views.append(refusal)
                continue
            environment = container_environment(spec, container)
            for field in ("args", "command"):
                pair = Y.entry(container, field)
                if pair is None:
                    continue
                view = _args_view(source, pair, image, f"the {field} of container {name}", environment)
                if view is not None:
                    views.append(view)
                    break
        sysctls = Y.entry(Y.get(spec, "securityContext"), "sysctls")
        writes = _init_sysctl_writes(spec)
        if sysctls is not None and isinstance(sysctls[1], SequenceNode) or writes:
            view = _pod_sysctls(source, sysctls[0], sysctls[1]) if sysctls is not None and isinstance(
                sysctls[1], SequenceNode) else PlacedSettings("kernel", source, "the pod's kernel settings",
                                                              _where(source, writes[0][0]), None)
            _add_init_writes(source, view, writes)
            views.append(view.finish())
    return views


def _security_setting(spec: MappingNode, container: MappingNode, key: str) -> Node | None:
    """A ``securityContext`` field as the kubelet takes it: the container's, else the pod's
    (k8s.io/kubernetes pkg/securitycontext/util.go DetermineEffectiveSecurityContext)."""
    for owner in (container, spec):
        found = Y.entry(Y.get(owner, "securityContext"), key)
        if found is not None and not Y.is_null(found[1]):
            return found[1]
    return None


def _root_refusal(
    source: SourceFile, spec: MappingNode, container: MappingNode, image: str, name: str
) -> PlacedSettings | None:
    """PGF001 for a container of the official image's family (compose.starts_as_root) whose
    ``command`` starts postgres itself, as root: ``command`` replaces the image's ENTRYPOINT
    (docker-entrypoint.sh, which hands the server to the postgres user), and the image sets no
    USER, so the process runs as root unless ``securityContext.runAsUser`` (the container's,
    else the pod's) is set; postgres then refuses to start (ROOT_REFUSAL, postgres 15). With
    ``runAsNonRoot: true`` the kubelet refuses to create the container instead
    (pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot: "container has
    runAsNonRoot and image will run as root", or "container's runAsUser breaks non-root
    policy" for runAsUser 0). A non-zero runAsUser runs it as that user, and a runAsUser that is
    not a plain integer is not known here: no finding. ``args`` alone keep the entrypoint: no
    finding. None when nothing is refused."""
    if not starts_as_root(image):
        return None
    pair = Y.entry(container, "command")
    if pair is None or not isinstance(pair[1], SequenceNode):
        return None
    read = command_words(source, pair[1])
    if read is None or not read[0] or not is_postgres_program(read[0][0]):
        return None
    user_node = _security_setting(spec, container, "runAsUser")
    user = Y.scalar_value(user_node) if user_node is not None else None
    if user_node is not None and (user is None or not re.fullmatch(r"[0-9]+", user) or int(user) != 0):
        return None  # another user (or one not known here): postgres is not root
    non_root = Y.scalar_value(_security_setting(spec, container, "runAsNonRoot")) in ("true", "True", "TRUE")
    what = f"the command of container {name}"
    replaced = (f"the image {image} sets no USER, and this command replaces its docker-entrypoint.sh, which hands "
                "the server to the postgres user")
    if non_root:
        kubelet = ("container's runAsUser breaks non-root policy" if user is not None
                   else "container has runAsNonRoot and image will run as root")
        message = (f"{what}: it starts postgres itself, and {replaced}; with runAsNonRoot: true "
                   f"{'and runAsUser: 0 ' if user is not None else 'and no runAsUser '}the kubelet refuses to create "
                   f'the container ("{kubelet}", CreateContainerConfigError), so postgres never starts')
    else:
        message = (f"{what}: it starts postgres itself as root ({replaced}, and "
                   f"{'runAsUser is 0' if user is not None else 'no securityContext.runAsUser is set'}); postgres "
                   f"refuses to start (it says: {ROOT_REFUSAL})")
    if user is None:
        message += ("; a cluster that assigns a user to pods setting none (OpenShift's restricted SCCs) runs it as "
                    "that user instead, which is not known here")
    message += ". Keep the image's entrypoint and give the flags in args:, or set securityContext.runAsUser (999 is "
    message += "postgres in the Debian images, 70 in the Alpine ones)"
    return refused_command(source, what, _where(source, pair[0]), read[0][0].location, message)


def _init_sysctl_writes(spec: MappingNode) -> list[tuple[ScalarNode, str, str]]:
    """The ``sysctl -w name=value`` writes of the pod's privileged init containers, in the order
    they run: (the list item written, name, value). An init container shares the pod's network
    namespace, whose net.ipv4.tcp_keepalive_* settings are its own, and runs after the pod's
    ``securityContext.sysctls`` are applied, so its writes win; only a privileged one can write
    /proc/sys. A container is read when its ``command`` (with its ``args``) is an exec list
    running ``sysctl`` with only ``-w``, ``-q`` or ``-e`` and ``name=value`` words (procps-ng 4
    sets each in turn, checked in ``unshare -n``); anything else (a shell, ``-p``) is not read."""
    found: list[tuple[ScalarNode, str, str]] = []
    items = Y.get(spec, "initContainers")
    for container in items.value if isinstance(items, SequenceNode) else []:
        if Y.scalar_value(Y.get(container, "securityContext", "privileged")) not in ("true", "True"):
            continue
        words: list[ScalarNode] = []
        for field in ("command", "args"):
            node = Y.get(container, field)
            if isinstance(node, SequenceNode):
                words.extend(item for item in node.value if isinstance(item, ScalarNode))
        if not words or words[0].value.rsplit("/", 1)[-1] != "sysctl":
            continue
        writes = []
        for word in words[1:]:
            if word.value in ("-w", "-q", "-e", "-wq", "-qw", "--write", "--quiet"):
                continue
            name, equals, value = word.value.partition("=")
            if not equals or not name.strip() or name.startswith("-"):
                writes = []
                break
            writes.append((word, name.strip().replace("/", "."), value.strip()))
        found.extend(writes)
    return found


def _add_init_writes(source: SourceFile, view: PlacedSettings, writes: list[tuple[ScalarNode, str, str]]) -> None:
    """The init containers' sysctl writes, after the pod's sysctls (they run later and win)."""
    for word, name, value in writes:

        def replace(new: str, word: ScalarNode = word, name: str = name) -> tuple[Edit, ...]:
            return (Y.replace_scalar(source, word, f"{name}={new}", string=True),)

        view.add(name, value, _where(source, word), None, replace)
    view.judges_missing = any(a.key.startswith("net.ipv4.tcp_keepalive_") for a in view.assignments)


# A container's arguments are no shell's and no template engine's: after Kubernetes' own
# $(VAR) expansion, what is left of "$(" is text postgres reads. A value is unknown where a
# variable's value is not known here (UNKNOWN_VALUE), and in a Helm template ({{ }}) or a
# manifest meant for envsubst (${X}, $X).
ARGS_TEMPLATE = re.compile(r"\{\{|\$\{|\$[A-Za-z_]|" + UNKNOWN_VALUE)


class ContainerArgSettings(PlacedSettings):
    """The ``-c`` flags of a postgres container's ``args`` or ``command``, as the kubelet passes
    them: ``$(VAR)`` expanded from the container's ``env`` (:mod:`pgconf_fix.documents.k8s_expansion`).
    A value that came from a variable is judged as expanded, and its message says which
    variable gave it; it gets no fix here (the variable is the place to change, and the
    container's environment is what the whole container sees)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expanded: dict[int, tuple[str, str]] = {}  # id(assignment) -> (note, advice)

    def _expanded(self, key: str) -> tuple[str, str] | None:
        current = self.effective(key)
        return self.expanded.get(id(current)) if current is not None else None

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        setting = super().get(key, unit, number)
        found = self._expanded(key)
        return setting if found is None else replace(setting, set_where=found[0])

    def fix(self, key: str, value: str) -> Fix | Refusal:
        found = self._expanded(key)
        return super().fix(key, value) if found is None else Refusal(found[1])


def container_environment(spec: MappingNode, container: MappingNode) -> ContainerEnvironment:
    """The variables a container's ``$(VAR)`` references read (``ContainerEnvironment``): its
    ``env`` items in order, ``envFrom`` (any other name, unknown) and the pod's service links
    (``enableServiceLinks``, true unless written false)."""
    links = (Y.scalar_value(Y.get(spec, "enableServiceLinks")) or "true").lower()
    environment = ContainerEnvironment(open=Y.get(container, "envFrom") is not None, service_links=links != "false")
    items = Y.get(container, "env")
    for item in items.value if isinstance(items, SequenceNode) else []:
        name = Y.scalar_value(Y.merged_get(item, "name"))
        if name is None:
            continue
        value_node = Y.merged_get(item, "value")
        # EnvVar.value is a string; null decodes to "" (Go's zero value), and an empty value
        # reads valueFrom. A number or a list is no string the kubelet would expand.
        written = value_node.value if isinstance(value_node, ScalarNode) and value_node.tag == Y.STR_TAG else None
        if written is None and not Y.is_null(value_node):
            value = None
        else:
            value = written or ("" if Y.merged_get(item, "valueFrom") is None else None)
        environment.define(name, value, (value_node or item).start_mark.index)
    return environment


def _args_view(
    source: SourceFile, pair: tuple[ScalarNode, Node], image: str, what: str, environment: ContainerEnvironment
) -> PlacedSettings | None:
    try:
        found = server_command(source, pair[1], image)
    except UnsplittableCommand:
        return None
    if found is None:
        return None
    words, append, _, version = found
    # The kubelet expands each argument whole, a parameter's name included (-c $(NAME)=60).
    expansions = {id(word): expand(word.value, environment.lookup) for word in words if "$" in word.value}
    seen = [replace(word, value=expansions[id(word)].text) if id(word) in expansions else word for word in words]
    written_as = {id(shown): word for shown, word in zip(seen, words)}
    flags = server_flags(seen)

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return append(["-c", f"{key}={value}"])

    view = ContainerArgSettings("server", source, what, _where(source, pair[0]), insert,
                                judges_missing=not any(flag[0] == "config_file" for flag in flags)
                                and not _unknown_setting_word(seen),
                                major=Major.of(version, f"the image {image}"), template=ARGS_TEMPLATE)
    refuse_valueless_flags(view, words, what)
    undefined: dict[tuple[int, int], list[str]] = {}
    for key, value, shown, offset in flags:
        word = written_as[id(shown)]
        expanded = expansions.get(id(word))
        if expanded is not None and "$" in word.value[:offset]:  # the name came from the expansion
            if UNKNOWN_VALUE not in key:
                view.add(key, value, word.location, None,
                         lambda new, word=word, prefix=shown.value[:offset]: word.rewrite(prefix + new))
                if expanded.names:
                    view.expanded[id(view.assignments[-1])] = _expansion_note(source, environment, expanded, what)
            continue
        # The name is as written, so the word's expansion is the value's: ``value`` as the
        # kubelet passes it, ``written`` as the file has it, from the same offset.
        written = word.value[offset:]
        replace_value = flag_replace(word, word.value[:offset], offset)
        if expanded is not None and expanded.kept:
            undefined[(word.location.start, word.location.end)] = list(dict.fromkeys(expanded.kept))
        if expanded is not None and value != written:
            view.add(key, value, word.location, None, replace_value)
            if expanded.names:
                view.expanded[id(view.assignments[-1])] = _expansion_note(source, environment, expanded, what)
            continue
        first = word.at(offset)
        span = (first, first + len(written)) if first is not None else None
        view.add(key, written, word.location, span, replace_value)
    view.finish()
    # A reference to a variable the container does not have is passed on as written.
    for index, problem in enumerate(view.problems):
        kept = undefined.get((problem.location.start, problem.location.end))
        if kept:
            names = " and ".join(f"$({name})" for name in kept)
            view.problems[index] = replace(problem, message=f"{problem.message} (Kubernetes passes {names} on as "
                                           "written: the container's env has no such variable)")
    return view


def _unknown_setting_word(words: Sequence[Word]) -> bool:
    """Whether a ``-c`` argument (or a ``-cNAME=``/``--NAME=`` word) names its parameter with a
    variable whose value is not known here: any setting may be set there."""
    for index, word in enumerate(words):
        if word.value.startswith(("-c", "--")) and UNKNOWN_VALUE in word.value.split("=", 1)[0]:
            return True
        if word.value == "-c" and index + 1 < len(words) and UNKNOWN_VALUE in words[index + 1].value.split("=", 1)[0]:
            return True
    return False


def _expansion_note(source: SourceFile, environment: ContainerEnvironment, expanded: Expanded, what: str) -> tuple[str, str]:
    """What a message adds about a value Kubernetes filled in from ``$(VAR)`` references, and the
    advice that replaces a fix."""
    given = []
    for name in dict.fromkeys(expanded.names):
        if name in environment.known:
            value, offset = environment.known[name]
            given.append(f'{name} = "{value}" at {source.display}:{source.position(offset)[0]}')
    names = " and ".join(f"$({name})" for name in dict.fromkeys(expanded.names))
    note = f" (Kubernetes expands {names} in {what} from the container's env: {', '.join(given)})"
    return note, f"the value comes from {names}: change the variable in the container's env"


def _string_args(source: SourceFile, pair: tuple[ScalarNode, Node], what: str) -> PlacedSettings:
    """A container's ``args`` or ``command`` written as one string: Kubernetes refuses the object.

    Both fields are lists of strings in the API (``Container.Args``/``Command``, ``[]string`` in
    k8s.io/api core/v1; the Python client's ``V1Container`` declares them ``List[StrictStr]``);
    the API server's decoder refuses a string there, so the pod is never created. That is
    PGF001, with no fix (which list the author meant is not ours to guess: ``["postgres -c x=1"]``
    would run a program of that whole name). Nothing else is judged in it."""
    field = pair[0].value
    view = PlacedSettings("server", source, what, _where(source, pair[0]), None, judges_missing=False)
    view.problems.append(Problem(
        Location(source, *Y.span(pair[1])),
        f"{what} is a string; Kubernetes takes a list of strings there (container {field}: []string) and "
        f"refuses the manifest: write each argument as an item ({field}: [\"postgres\", \"-c\", \"name=value\"])",
    ))
    return view


def _pod_sysctls(source: SourceFile, key: ScalarNode, items: SequenceNode) -> PlacedSettings:
    """The pod's ``securityContext.sysctls`` (not finished: init containers' writes may follow)."""
    view = PlacedSettings("kernel", source, "the pod's securityContext.sysctls", _where(source, key), None)
    for item in items.value:
        name = Y.scalar_value(Y.get(item, "name"))
        value = Y.get(item, "value")
        if name is None or not isinstance(value, ScalarNode):
            continue

        def replace(new: str, value: ScalarNode = value) -> tuple[Edit, ...]:
            return (Y.replace_scalar(source, value, new, string=True),)

        view.add(name, value.value, _where(source, item), Y.span(value), replace)
    view.judges_missing = any(a.key.startswith("net.ipv4.tcp_keepalive_") for a in view.assignments)
    return view


# The CloudNativePG "cluster" chart (cloudnative-pg/charts, charts/cluster at b21ad2d): its values
# name the database type, the major and the mode at the top, the Cluster's parameters under
# cluster.postgresql.parameters, and its Poolers under poolers.
_CNPG_CHART_TYPES = ("postgresql", "postgis", "timescaledb")
_CNPG_CHART_MODES = ("standalone", "replica", "recovery")


def looks_like_cnpg_chart_values(root: Node) -> bool:
    """Whether a values document is the CloudNativePG cluster chart's: a ``cluster.postgresql``
    map or a ``poolers`` list, beside one of the chart's own top-level keys (``type``,
    ``version.postgresql``, ``mode`` with one of its values)."""
    if not isinstance(root, MappingNode):
        return False
    if not isinstance(Y.get(root, "cluster", "postgresql"), MappingNode) and not isinstance(Y.get(root, "poolers"), SequenceNode):
        return False
    return (
        Y.scalar_value(Y.get(root, "type")) in _CNPG_CHART_TYPES
        or Y.get(root, "version", "postgresql") is not None
        or Y.scalar_value(Y.get(root, "mode")) in _CNPG_CHART_MODES
    )


def cnpg_chart_views(source: SourceFile, root: MappingNode, prefix: str = "") -> list[SettingsView]:
    """The Cluster's parameters (``cluster.postgresql.parameters``, rendered into the Cluster's
    ``spec.postgresql.parameters``; the major from ``cluster.imageName``, else
    ``version.postgresql``, as the chart's ``cluster.imageName`` helper picks the image) and a
    PgBouncer view for each item of ``poolers`` (pgconf_fix.views.operator_pgbouncer)."""
    from pgconf_fix.views.operator_pgbouncer import map_pgbouncer_view

    image = Y.scalar_value(Y.get(root, "cluster", "imageName"))
    if image:
        major = Major.of(version_from_image(image), f"{prefix}cluster.imageName")
    else:
        written = Y.scalar_value(Y.get(root, "version", "postgresql"))
        major = _major(written.split(".")[0] if written else None, f"{prefix}version.postgresql")
    path = ("cluster", "postgresql", "parameters")
    views: list[SettingsView] = [parameter_map_view(source, root, [path], path, f"{prefix}cluster.postgresql.parameters",
                                                    strings=True, major=major)]
    poolers = Y.get(root, "poolers")
    for index, item in enumerate(poolers.value if isinstance(poolers, SequenceNode) else []):
        if not isinstance(item, MappingNode):
            continue
        name = Y.scalar_value(Y.get(item, "name")) or str(index)
        view = map_pgbouncer_view(source, item, ("parameters",),
                                  f"CloudNativePG writes it into the pgbouncer.ini of the chart's pooler {name}",
                                  where=f"{prefix}poolers[{index}].parameters")
        if view is not None:
            views.append(view)
    return views


def looks_like_helm_values(root: Node) -> bool:
    return isinstance(Y.get(root, "primary"), MappingNode) and (
        Y.get(root, "primary", "extendedConfiguration") is not None or Y.get(root, "primary", "configuration") is not None
    )


def kubernetes_views(workspace: Workspace, source: SourceFile, root: Node) -> tuple[list[SettingsView], list[tuple[int, int]]]:
    """The views of one document, and spans of embedded files whose strings are not libpq's."""
    if not isinstance(root, MappingNode):
        return [], []
    kind = Y.scalar_value(Y.get(root, "kind"))
    if kind == "ConfigMap":
        return configmap_views(workspace, source, root)
    views = operator_views(source, root) or pod_views(source, root)
    if not views and is_patroni(root):
        views = patroni_views(source, root)
    if not views and not kind:
        views = values_views(workspace, source, root, "")
    elif not views and looks_like_helm_values(root):
        views = helm_values_views(workspace, source, root)
    if not views and kind in ("HelmRelease", "Application"):
        views = release_values_views(workspace, source, root)
    if not views and kind == "HelmChartInflationGenerator":
        views = inflated_values_views(workspace, source, root, "")
    return views, []


def values_views(workspace: Workspace, source: SourceFile, values: MappingNode, prefix: str) -> list[SettingsView]:
    """The views of a chart's values at ``values`` (``prefix`` names where they are in the file):
    the Bitnami postgresql chart's, the CloudNativePG cluster chart's, or an umbrella chart's,
    whose dependencies' values Helm hands on under the dependency's name (or alias): a Bitnami
    postgresql dependency's values are one level down."""
    found = helm_values_views(workspace, source, values, prefix) if looks_like_helm_values(values) else []
    if found:
        return found
    if looks_like_cnpg_chart_values(values):
        return cnpg_chart_views(source, values, prefix)
    views: list[SettingsView] = []
    for name, value in Y.items(values):
        if isinstance(value, MappingNode) and looks_like_helm_values(value):
            views += helm_values_views(workspace, source, value, prefix=f"{prefix}{name.value}.")
        elif isinstance(value, MappingNode) and looks_like_cnpg_chart_values(value):
            views += cnpg_chart_views(source, value, prefix=f"{prefix}{name.value}.")
    return views


# The value paths whose settings pgconf-fix reads from a chart's values (helm_values_views,
# cnpg_chart_views): a GitOps release's Helm parameter under one of them overrides what is read.
_READ_VALUE_PATHS = ("primary.extendedConfiguration", "primary.configuration", "cluster.postgresql", "poolers")


def release_values_views(workspace: Workspace, source: SourceFile, root: MappingNode) -> list[SettingsView]:
    """A GitOps release's chart values, read as a values file's are (``values_views``, and the
    Bitnami chart's ``primary`` configuration at the top):

    - Flux's ``HelmRelease`` (``helm.toolkit.fluxcd.io``): ``spec.values``, merged over the
      ``spec.valuesFrom`` sources, which it overrides
      (https://fluxcd.io/flux/components/helm/helmreleases/#values-overrides);
    - Argo CD's ``Application`` (``argoproj.io``): each of ``spec.source``/``spec.sources[]``'s
      ``helm.valuesObject``, else its ``helm.values`` (a YAML text in a literal block, parsed
      with the file's offsets), in that precedence over ``valueFiles``
      (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/: parameters > valuesObject >
      values > valueFiles).

    A map of settings (the cluster chart's parameters, a pooler's) is judged for what it sets
    where other values are merged under it (``valuesFrom``, ``valueFiles``, both ``values`` and
    ``valuesObject``); an embedded postgresql.conf string is replaced whole by the values that
    set it, so it is judged whole. A source whose Helm ``parameters`` name a path read here is not
    read (they override it, and may come from elsewhere)."""
    api = Y.scalar_value(Y.get(root, "apiVersion")) or ""
    places: list[tuple[Node | None, str, bool]] = []  # (values, prefix, other values merged under them)
    if api.startswith("helm.toolkit.fluxcd.io/"):
        places.append((Y.get(root, "spec", "values"), "spec.values.", Y.get(root, "spec", "valuesFrom") is not None))
    elif api.startswith("argoproj.io/"):
        sources = [("spec.source", Y.get(root, "spec", "source"))]
        listed = Y.get(root, "spec", "sources")
        sources += [(f"spec.sources[{index}]", item) for index, item in enumerate(listed.value if isinstance(listed, SequenceNode) else [])]
        for where, item in sources:
            helm = Y.get(item, "helm")
            parameters = Y.get(helm, "parameters")
            names = [Y.scalar_value(Y.get(entry, "name")) or "" for entry in (parameters.value if isinstance(parameters, SequenceNode) else [])]
            if any(name.startswith(path) for name in names for path in _READ_VALUE_PATHS):
                continue
            under = Y.get(helm, "valueFiles") is not None
            written = Y.get(helm, "values")
            if isinstance(Y.get(helm, "valuesObject"), MappingNode):
                places.append((Y.get(helm, "valuesObject"), f"{where}.helm.valuesObject.", under or written is not None))
            elif written is not None:
                places.append((_values_text(source, written), f"{where}.helm.values, at ", under))
    views: list[SettingsView] = []
    for values, prefix, merged in places:
        if not isinstance(values, MappingNode):
            continue
        found = values_views(workspace, source, values, prefix)
        for view in found:
            if merged and not isinstance(view, EmbeddedServerConfig):
                view.judges_missing = False
        views += found
    return views


def inflated_values_views(workspace: Workspace, source: SourceFile, entry: Node, prefix: str) -> list[SettingsView]:
    """The chart values kustomize's Helm inflation writes inline (``kustomize build
    --enable-helm``): a kustomization's ``helmCharts`` entry, or a ``HelmChartInflationGenerator``
    resource; ``entry`` is the mapping with ``valuesInline``, ``prefix`` where it is in the file.
    Read as a values file's are (``values_views``). kustomize merges ``valuesInline`` over the
    chart's values (or ``valuesFile``) and they win there under ``valuesMerge: override``, its
    default, and ``replace``; under ``merge`` the file's values win, and ``additionalValuesFiles``
    are handed to helm after them (``-f``), so an entry with either is not read: what it sets may
    be overridden (kubernetes-sigs/kustomize 12f9e63, api/internal/builtins/
    HelmChartInflationGenerator.go replaceValuesInline, api/types/helmchartargs.go)."""
    values = Y.get(entry, "valuesInline")
    merge = Y.scalar_value(Y.get(entry, "valuesMerge")) or "override"
    if not isinstance(values, MappingNode) or merge not in ("override", "replace"):
        return []
    if Y.get(entry, "additionalValuesFiles") is not None:
        return []
    views = values_views(workspace, source, values, f"{prefix}valuesInline.")
    if merge == "override" and Y.get(entry, "valuesFile") is not None:
        for view in views:
            if not isinstance(view, EmbeddedServerConfig):
                view.judges_missing = False  # a map of settings is merged over the file's
    return views


def _values_text(source: SourceFile, node: Node) -> Node | None:
    """The root of the YAML an Argo CD ``helm.values`` literal block holds, parsed with the
    file's offsets (``documents.yaml_nodes.block_document``), or None."""
    block = Y.BlockText.of(source, node)
    if block is None:
        return None
    try:
        documents = Y.compose_documents(Y.block_document(source.text, block))
    except Y.YamlError:
        return None
    return documents[0] if len(documents) == 1 else None
