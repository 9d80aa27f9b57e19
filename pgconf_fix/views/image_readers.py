"""Connection strings in a container's environment that the program of a well-known image reads
with its own driver, not with libpq: a compose service's ``environment:``, a Kubernetes
container's ``env`` (Deployments, StatefulSets, Jobs, Pods, Helm-rendered manifests: any mapping
with an ``image``), and an ECS container definition's ``environment`` (``task-definition.json``,
CloudFormation's ``ContainerDefinitions``, Terraform's ``container_definitions = jsonencode(...)``).

``reader_spans(containers)`` gives ``(start, end, ImageReader)`` for the file span of each such value;
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.views.container_environments import Container

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
    # ory/kratos at b86338d and ory/hydra at 83127c5 (2026): the DSN variable is the config key
    # dsn (ory/x configx reads the environment, upper-cased keys); driver/registry_default.go
    # (kratos) and driver/registry_sql.go (hydra) give it to ory/x sqlcon.ParseConnectionOptions,
    # which takes out only its own max_conns, max_idle_conns, max_conn_lifetime and
    # max_conn_idle_time (sqlcon/parse_opts.go at 31658d1; FinalizeDSN changes only mysql://),
    # then to ory/pop v6 (at 90b6804: dialect_postgresql.go DefaultDriver "pgx", URL() the
    # string as given; connection_instrumented.go opens it with jackc/pgx v5 stdlib).
    ImageReader(("oryd/kratos", "oryd/hydra"), ("DSN",), _PGX),
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


def names_a_reader(text: str) -> bool:
    """Whether a file's text names any image of the table (else it is not walked for them)."""
    return _ANY_IMAGE.search(text) is not None


def reader_spans(found: Sequence[Container]) -> list[ReaderSpan]:
    """Every value a known image's program reads a connection URL from, among a file's
    containers (views.container_environments: compose, Kubernetes, ECS task definitions,
    CloudFormation, Terraform's ECS container definitions)."""
    spans = []
    for container in found:
        known = image_reader(container.image)
        if known is None:
            continue
        reader, repository = known
        spans += [
            ReaderSpan(value.start, value.end, reader.driver, f"{repository}'s {value.name}")
            for value in container.environment
            if value.name in reader.variables
        ]
    return spans
