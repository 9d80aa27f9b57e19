"""Connection strings in a container's environment that the program of a well-known image reads
with its own driver, not with libpq: a compose service's ``environment:``, a Kubernetes
container's ``env`` (Deployments, StatefulSets, Jobs, Pods, Helm-rendered manifests: any mapping
with an ``image``), and an ECS container definition's ``environment`` (``task-definition.json``,
CloudFormation's ``ContainerDefinitions``, Terraform's ``container_definitions = jsonencode(...)``).

``reader_spans(source)`` gives ``(start, end, ImageReader)`` for the file span of each such value;
``pgconf_fix.views.client.connection_views`` takes the reader's driver as the consumer of a
connection string found there, so the client rules word their findings and drop fixes as they
do for that driver wherever else it is met (a libpq keyword is never added where lib/pq, pgx or
node-postgres reads the URL: FACTS.md "Clients"; tests/test_image_readers.py shows lib/pq
refusing the connection with them and node-postgres leaving keepalive off).

Each entry was read in the program's own source (repository, path, commit or version), for the
variable that holds the URL and the driver that opens the connection; the driver values are the
consumer names of ``pgconf_fix.views.client`` (this module may not import it: it imports this one).

Not read: a value from ``env_file:``, ``envFrom``, ``valueFrom`` or ECS ``secrets`` (the string
is not here), a variable whose name differs from the table's (compose and Kubernetes pass names
as written; PostgREST and envconfig match them exactly), an image named through a variable.
Images considered and left out, because the image name does not tell the driver or the program
reads the URL with a parser of its own before any driver sees it (so no consumer here is true of
it): see the table's closing comment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from typing import TYPE_CHECKING

from pgconf_fix.source import SourceFile

if TYPE_CHECKING:
    from yaml.nodes import Node

# The consumer names of views.client (LIBPQ, GO_PQ, PGX, NODE_PG); tests/test_image_readers.py
# holds them equal.
_LIBPQ, _GO_PQ, _PGX, _NODE_PG = "libpq", "lib/pq", "pgx", "node-postgres"


@dataclass(frozen=True)
class ImageReader:
    """A program that reads a connection URL from its environment: ``repositories`` the image
    repositories it runs under (official names and forks; any registry prefix, tag or digest),
    ``variables`` the names it reads the URL from, ``driver`` the client that opens the
    connection (a views.client consumer)."""

    repositories: tuple[str, ...]
    variables: tuple[str, ...]
    driver: str

    @property
    def pattern(self) -> re.Pattern[str]:
        return _image_pattern(self.repositories)

    def repository(self, image: str) -> str | None:
        """The repository ``image`` (a reference: ``registry/name:tag``) names, or None."""
        match = self.pattern.search(image.strip())
        return match.group("name") if match else None


@functools.cache
def _image_pattern(repositories: tuple[str, ...]) -> re.Pattern[str]:
    """Image references of these repositories: a registry or namespace before, a tag or digest after."""
    names = "|".join(re.escape(name) for name in repositories)
    return re.compile(rf"(?:^|/)(?P<name>{names})(?:[:@]|$)")


READERS = (
    # mattermost/mattermost at 0dcc283 (server/v8, 2025): server/go.mod requires
    # github.com/lib/pq v1.10.9 and no pgx; server/public/utils/sql/sql_utils.go SetupConnection
    # opens dbsql.Open(*settings.DriverName, dataSource) ("postgres": lib/pq's name) for
    # SqlSettings.DataSource, DataSourceReplicas and DataSourceSearchReplicas
    # (server/channels/store/sqlstore/store.go initConnection, the same at 013ae53, v6);
    # server/config/environment.go maps MM_<SECTION>_<FIELD> onto the config (MM_ stripped,
    # fields matched upper-cased; a slice is split at spaces).
    ImageReader(
        ("mattermost/mattermost-team-edition", "mattermost/mattermost-enterprise-edition"),
        ("MM_SQLSETTINGS_DATASOURCE", "MM_SQLSETTINGS_DATASOURCEREPLICAS", "MM_SQLSETTINGS_DATASOURCESEARCHREPLICAS"),
        _GO_PQ,
    ),
    # PostgREST/postgrest at 4834678 (version 17, 2026): src/library/PostgREST/Config.hs reads
    # db-uri from PGRST_DB_URI (readPGRSTEnvironment: "PGRST_" + the key upper-cased, dashes as
    # underscores) and only appends fallback_application_name (addFallbackAppName);
    # src/hasql/Hasql/IO.hs acquireConnection = LibPQ.connectdb (postgresql-libpq, a binding of
    # libpq itself, postgrest.cabal). libpq reads the URL: its keywords work there.
    ImageReader(("postgrest/postgrest",), ("PGRST_DB_URI",), _LIBPQ),
    # hasura/graphql-engine: server/src-lib/Hasura/Server/Init/Arg.hs (at 4007104)
    # databaseUrlOption and metadataDbUrlOption read HASURA_GRAPHQL_DATABASE_URL and
    # HASURA_GRAPHQL_METADATA_DATABASE_URL; the URL becomes PG.CDDatabaseURI as written
    # (server/src-lib/Hasura/App.hs resolvePostgresConnInfo), which
    # server/lib/pg-client/src/Database/PG/Query/Connection.hs initPQConn hands to PQ.connectdb
    # (postgresql-libpq) at c59d8d5.
    ImageReader(
        ("hasura/graphql-engine",),
        ("HASURA_GRAPHQL_DATABASE_URL", "HASURA_GRAPHQL_METADATA_DATABASE_URL"),
        _LIBPQ,
    ),
    # supabase/auth (formerly supabase/gotrue) at bc32168 (2026; the same read at v2.40.1 and
    # v2.132.0): internal/conf/confload/confload.go envconfig.Process("gotrue", ...) with
    # DBConfiguration.URL tagged envconfig:"DATABASE_URL" (kelseyhightower/envconfig 1.4: the key
    # GOTRUE_DB_DATABASE_URL, else the tag alone, DATABASE_URL); internal/storage/dial.go gives
    # pop the driver "pgx" for postgres (jackc/pgx v4 stdlib).
    ImageReader(
        ("supabase/auth", "supabase/gotrue"),
        ("GOTRUE_DB_DATABASE_URL", "DATABASE_URL"),
        _PGX,
    ),
    # supabase/storage at 4fa61fb (2026): src/config.ts reads databaseURL from DATABASE_URL and
    # databasePoolURL from DATABASE_POOL_URL; src/internal/database/client.ts connects to
    # databasePoolURL || databaseURL through src/internal/database/pg-connection.ts createPool:
    # new Pool({connectionString, ...}) from 'pg' (package.json pg ^8.22), no keepAlive; at
    # v1.0.0 src/database/connection.ts gave the URL to knex with client 'pg'.
    ImageReader(
        ("supabase/storage-api",),
        ("DATABASE_URL", "DATABASE_POOL_URL"),
        _NODE_PG,
    ),
    # Left out:
    # - outline/outline at d77dcdf: server/storage/database.ts gives DATABASE_URL to Sequelize,
    #   which parses the URL itself and hands node-postgres only the query keys it knows (TLS
    #   comes from PGSSLMODE and NODE_ENV, not from the URL's sslmode): no consumer here says that.
    # - umami-software/umami: 3.0.0 and later open DATABASE_URL with @prisma/adapter-pg, a
    #   node-postgres Pool (src/lib/prisma.ts at c0ea3ae), the 2.x images with Prisma's own
    #   engine; the image's name does not tell which.
    # - grafana, gitea, n8n, directus, metabase, temporalio, immich, plausible: not read here.
)

# A file that names none of these is not parsed for them.
_ANY_IMAGE = re.compile("|".join(re.escape(name) for reader in READERS for name in reader.repositories))


def image_reader(image: str) -> tuple[ImageReader, str] | None:
    """The reader running under the image reference ``image`` and the repository it names, or None."""
    for reader in READERS:
        repository = reader.repository(image)
        if repository is not None:
            return reader, repository
    return None


@dataclass(frozen=True)
class ReaderSpan:
    """A value a known image's program reads a URL from: its file offsets, the driver that opens
    the connection (a views.client consumer), and ``reader`` for messages
    (``mattermost/mattermost-team-edition's MM_SQLSETTINGS_DATASOURCE``)."""

    start: int
    end: int
    driver: str
    reader: str


def reader_spans(source: SourceFile) -> list[ReaderSpan]:
    """Every value a known image's program reads a connection URL from, in a YAML or JSON file
    (compose, Kubernetes, ECS task definitions, CloudFormation) or a Terraform file (ECS
    container definitions); [] at once for a file that names none of the images."""
    text = source.text
    if _ANY_IMAGE.search(text) is None:
        return []
    if source.path.suffix == ".tf":
        return _hcl_spans(text)
    return _yaml_spans(text.replace("\t", " ") if source.path.suffix == ".json" else text)


def _yaml_spans(text: str) -> list[ReaderSpan]:
    """YAML (or JSON read as YAML: its tabs, blanks outside strings, read as spaces so that
    offsets stay the file's): every mapping with an ``image`` (or CloudFormation's ``Image``)."""
    from yaml.nodes import MappingNode

    from pgconf_fix.documents import yaml_nodes as Y  # YAML's modules only where YAML is read

    try:
        roots = Y.compose_documents(text)
    except Y.YamlError:
        return []
    spans = []
    for root in roots:
        for node in Y.walk(root):
            if not isinstance(node, MappingNode):
                continue
            found = image_reader(Y.scalar_value(Y.merged_get(node, "image") or Y.merged_get(node, "Image")) or "")
            if found is not None:
                for key in ("environment", "Environment", "env"):
                    spans += _environment_spans(Y.merged_get(node, key), *found)
    return spans


def _environment_spans(environment: Node | None, reader: ImageReader, repository: str) -> list[ReaderSpan]:
    """Compose's map or ``NAME=value`` list, or a list of name/value items (Kubernetes, ECS)."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    from pgconf_fix.documents import yaml_nodes as Y
    found: list[tuple[tuple[int, int], str]] = []
    if isinstance(environment, MappingNode):
        found = [(Y.span(value), key.value) for key, value in Y.items(environment)]
    elif isinstance(environment, SequenceNode):
        for item in environment.value:
            if isinstance(item, ScalarNode):
                if "=" in item.value:
                    found.append((Y.span(item), item.value.split("=", 1)[0]))
                continue
            name = Y.scalar_value(Y.get(item, "name") or Y.get(item, "Name"))
            value = Y.get(item, "value") or Y.get(item, "Value")
            if name is not None and value is not None:
                found.append((Y.span(value), name))
    return [
        ReaderSpan(start, end, reader.driver, f"{repository}'s {name}")
        for (start, end), name in found
        if name in reader.variables
    ]


def _hcl_spans(text: str) -> list[ReaderSpan]:
    """Terraform: each object with a quoted ``image`` and an ``environment`` list of
    ``{name = ..., value = ...}`` objects (``jsonencode([...])``'s HCL, or a heredoc's JSON)."""
    from pgconf_fix.documents.hcl_objects import objects

    spans = []
    for container in objects(text):
        image, environment = container.entries.get("image"), container.child("environment")
        found = image_reader(image.raw) if image is not None else None
        if found is None or environment is None:
            continue
        reader, repository = found
        for _, item in environment.children:
            named, value = item.entries.get("name"), item.entries.get("value")
            if named is not None and value is not None and named.raw in reader.variables:
                spans.append(ReaderSpan(value.start, value.end, reader.driver, f"{repository}'s {named.raw}"))
    return spans
