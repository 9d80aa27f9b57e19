"""Generate a synthetic monorepo for the speed benchmark, the same bytes for the same seed.

    python benchmarks/generate.py --files 10000 --out /tmp/tree          # a whole monorepo
    python benchmarks/generate.py --terraform-only 400 --out /tmp/tf     # .tf files only (checkov)

About 95 % of the files are unrelated source and text (Python, JavaScript,
Markdown, JSON, YAML, nginx and other .conf files, a few binaries) that must
not mention PostgreSQL; about 5 % are what pgconf-fix reads: postgresql.conf
trees with conf.d, sysctl.conf and sysctl.d, Terraform load balancers, Python
engines and Django settings, .env and YAML files with postgresql:// URLs, and
SQL with ALTER SYSTEM. A few files are large (a few MB each).

The tree is written file by file from one random.Random(seed); nothing depends
on the clock, the machine or the order the filesystem lists directories in.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

GENERATOR_VERSION = 2  # bump when the output changes, so cached trees are rebuilt
FILES_PER_DIRECTORY = 40
RELEVANT_SHARE = 0.05
BINARY_SHARE = 0.01
# grep's equivalent of "could this file matter to pgconf-fix": the words its layers look for.
TRIGGER_PATTERN = (
    "tcp_keepalive|ssl_renegotiation|aws_lb|aws_alb|aws_elb|postgres|jdbc:postgresql"
    "|create_engine|DATABASES|ConnectionPool|ALTER SYSTEM"
)

WORDS = (
    "account adapter batch buffer cache channel client cluster column config context counter cursor "
    "deadline decoder dispatch document encoder entity event export feature filter format handler "
    "header index invoice job ledger limit listener loader manifest message metric module monitor "
    "notice order owner packet page payload payment policy portal profile queue quota record region "
    "render report request resource result retry route schedule schema session shard signal snapshot "
    "socket source stream summary task tenant ticket token trace upload user value vendor widget worker"
).split()


def _name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


class LinePools:
    """Ready-made lines per kind of unrelated file; files are drawn from them, which keeps 50k files fast."""

    def __init__(self, rng: random.Random) -> None:
        self.python = [self._python_block(rng) for _ in range(400)]
        self.javascript = [self._javascript_block(rng) for _ in range(400)]
        self.markdown = [self._markdown_block(rng) for _ in range(400)]
        self.yaml = [self._yaml_block(rng) for _ in range(400)]
        self.text = [_sentence(rng) + "\n" for _ in range(400)]

    @staticmethod
    def _python_block(rng: random.Random) -> str:
        name, other = _name(rng), _name(rng)
        return (
            f"\n\ndef {name}({other}, limit={rng.randint(1, 500)}):\n"
            f'    """{_sentence(rng)}"""\n'
            f"    result = []\n"
            f"    for item in {other}[:limit]:\n"
            f"        if item.get({rng.choice(WORDS)!r}) is not None:\n"
            f"            result.append(item)\n"
            f"    return result\n"
        )

    @staticmethod
    def _javascript_block(rng: random.Random) -> str:
        name = _name(rng).replace("_", "")
        return (
            f"\nexport function {name}(input, options = {{}}) {{\n"
            f"  // {_sentence(rng)}\n"
            f"  const {rng.choice(WORDS)} = input.filter((x) => x.{rng.choice(WORDS)} > {rng.randint(0, 99)});\n"
            f"  return {{ ...options, count: input.length }};\n"
            f"}}\n"
        )

    @staticmethod
    def _markdown_block(rng: random.Random) -> str:
        return f"\n## {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}\n\n" + " ".join(
            _sentence(rng) for _ in range(rng.randint(2, 6))
        ) + "\n"

    @staticmethod
    def _yaml_block(rng: random.Random) -> str:
        return (
            f"  {_name(rng)}:\n"
            f"    enabled: {rng.choice(['true', 'false'])}\n"
            f"    replicas: {rng.randint(1, 9)}\n"
            f"    image: registry.example.com/{rng.choice(WORDS)}:{rng.randint(1, 40)}.{rng.randint(0, 9)}\n"
        )


def _draw(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    return "".join(rng.choices(pool, k=rng.randint(low, high)))


# Unrelated files: (relative path under the service, content).
def unrelated_file(rng: random.Random, pools: LinePools, index: int) -> tuple[str, bytes]:
    kind = rng.choices(
        ("py", "js", "ts", "md", "json", "yaml", "txt", "nginx", "ini"),
        weights=(28, 18, 10, 14, 10, 10, 5, 3, 2),
    )[0]
    stem = f"{_name(rng)}_{index}"
    if kind == "py":
        body = '"""' + _sentence(rng) + '"""\n\nimport os\nimport json\n' + _draw(rng, pools.python, 2, 20)
        return f"src/{stem}.py", body.encode()
    if kind in ("js", "ts"):
        return f"web/{stem}.{kind}", ("'use strict';\n" + _draw(rng, pools.javascript, 2, 20)).encode()
    if kind == "md":
        return f"docs/{stem}.md", (f"# {stem}\n" + _draw(rng, pools.markdown, 1, 12)).encode()
    if kind == "json":
        payload = {_name(rng): {"id": rng.randint(1, 10**6), "tags": rng.sample(WORDS, 4)} for _ in range(rng.randint(3, 40))}
        return f"config/{stem}.json", json.dumps(payload, indent=2).encode()
    if kind == "yaml":
        return f"deploy/{stem}.yaml", ("services:\n" + _draw(rng, pools.yaml, 2, 25)).encode()
    if kind == "txt":
        return f"notes/{stem}.txt", _draw(rng, pools.text, 5, 60).encode()
    if kind == "nginx":
        # A .conf that no layer wants: the server and kernel sniffs must say no from the bytes.
        body = "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n"
        body += "".join(f"  location /{rng.choice(WORDS)} {{ proxy_pass http://{rng.choice(WORDS)}:80; }}\n" for _ in range(rng.randint(3, 30)))
        return f"nginx/{stem}.conf", (body + "}\n").encode()
    body = "".join(f"[{rng.choice(WORDS)}]\n{rng.choice(WORDS)} = {rng.randint(0, 999)}\n" for _ in range(rng.randint(2, 20)))
    return f"config/{stem}.ini", body.encode()


def binary_file(rng: random.Random, index: int) -> tuple[str, bytes]:
    header = rng.choice((b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00\x00\x00", b"\x7fELF\x02\x01\x01\x00"))
    return f"assets/blob_{index}.{rng.choice(('png', 'jar', 'so'))}", header + rng.randbytes(rng.randint(2_000, 60_000))


# Relevant files: each returns several (path, content) pairs, since a server tree is more than one file.
def postgresql_tree(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    version = rng.choice((11, 12, 13, 14, 15, 16))
    base = f"db/etc/postgresql/{version}/main"
    sample = "".join(
        f"#{rng.choice(WORDS)}_{rng.choice(WORDS)} = {rng.randint(0, 1000)}\t\t# {_sentence(rng)}\n" for _ in range(rng.randint(80, 300))
    )
    settings = [
        f"listen_addresses = '*'\nport = 5432\nmax_connections = {rng.randint(50, 500)}\n",
        f"shared_buffers = {rng.choice((128, 256, 1024))}MB\n",
        "#tcp_keepalives_idle = 0\t\t# TCP_KEEPIDLE, in seconds;\n",
        "ssl = on\n" + (f"ssl_renegotiation_limit = {rng.choice(('0', '512MB'))}\n" if version < 12 and rng.random() < 0.5 else ""),
        "include_dir = 'conf.d'\n",
    ]
    files = [(f"{base}/postgresql.conf", ("# PostgreSQL configuration file\n" + sample + "".join(settings)).encode())]
    if rng.random() < 0.7:
        idle = rng.choice((0, 30, 60, 600, 7200))
        files.append((f"{base}/conf.d/10-keepalives.conf", f"tcp_keepalives_idle = {idle}\ntcp_keepalives_interval = {rng.choice((10, 75))}\n".encode()))
    files.append((f"{base}/conf.d/20-logging.conf", f"log_min_duration_statement = {rng.randint(100, 5000)}\nlog_connections = on\n".encode()))
    if rng.random() < 0.3:
        files.append((f"{base}/postgresql.auto.conf", b"# Do not edit this file manually!\ntcp_keepalives_count = 6\n"))
    return files


def sysctl_files(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    base = f"hosts/db{index}/etc"
    main = "# Kernel parameters\nvm.swappiness = 10\nnet.core.somaxconn = 1024\n"
    if rng.random() < 0.5:
        main += f"net.ipv4.tcp_keepalive_time = {rng.choice((60, 300, 7200))}\n"
    files = [(f"{base}/sysctl.conf", main.encode())]
    if rng.random() < 0.6:
        files.append((f"{base}/sysctl.d/99-keepalive.conf", f"net.ipv4.tcp_keepalive_intvl = {rng.choice((10, 75))}\nnet.ipv4.tcp_keepalive_probes = 6\n".encode()))
    return files


def terraform_file(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    shape = rng.randrange(5)
    name = f"{rng.choice(WORDS)}_{index}"
    if shape == 0:
        lb = f'resource "aws_lb" "{name}" {{\n  name               = "{name.replace("_", "-")}"\n  load_balancer_type = "application"\n  subnets            = var.subnets\n}}\n'
    elif shape == 1:
        lb = f'resource "aws_lb" "{name}" {{\n  name         = "{name.replace("_", "-")}"\n  idle_timeout = {rng.choice((60, 120, 300, 4000))}\n}}\n'
    elif shape == 2:
        # One variable name a file: files of one directory are one Terraform module.
        lb = f'resource "aws_alb" "{name}" {{\n  name         = "{name.replace("_", "-")}"\n  idle_timeout = var.idle_{name}\n}}\n\nvariable "idle_{name}" {{\n  type    = number\n  default = {rng.choice((60, 400))}\n}}\n'
    elif shape == 3:
        lb = f'resource "aws_elb" "{name}" {{\n  name         = "{name.replace("_", "-")}"\n  idle_timeout = {rng.choice((60, 3600))}\n  listener {{\n    instance_port     = 5432\n    instance_protocol = "tcp"\n    lb_port           = 5432\n    lb_protocol       = "tcp"\n  }}\n}}\n'
    else:
        lb = f'resource "aws_lb" "{name}" {{\n  name               = "{name.replace("_", "-")}"\n  load_balancer_type = "network"\n}}\n'
    extra = "".join(
        f'\nresource "aws_s3_bucket" "{_name(rng)}" {{\n  bucket = "{rng.choice(WORDS)}-{rng.randint(0, 10**6)}"\n  tags = {{\n    team = "{rng.choice(WORDS)}"\n  }}\n}}\n'
        for _ in range(rng.randint(0, 6))
    )
    return [(f"infra/terraform/{name}.tf", (lb + extra).encode())]


def python_file(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    host = rng.choice(("db.internal.example.com", "10.0.3.7", "localhost", "prod-db.example.com"))
    if rng.random() < 0.5:
        options = rng.choice(("", ", pool_pre_ping=True", ", pool_recycle=3600", ", pool_pre_ping=True, pool_recycle=300"))
        body = (
            '"""Database engine."""\n\nfrom sqlalchemy import create_engine\n\n'
            f'engine = create_engine("postgresql+psycopg2://app:secret@{host}:5432/app"{options})\n'
        )
        return [(f"src/db_{index}.py", body.encode())]
    age = rng.choice(("0", "60", "None"))
    body = (
        '"""Django settings."""\n\nDEBUG = False\n\nDATABASES = {\n    "default": {\n'
        '        "ENGINE": "django.db.backends.postgresql",\n'
        f'        "HOST": "{host}",\n        "NAME": "app",\n        "CONN_MAX_AGE": {age},\n'
        '    }\n}\n'
    )
    return [(f"settings/settings_{index}.py", body.encode())]


def connection_string_file(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    host = rng.choice(("db.internal.example.com", "10.0.3.7", "localhost", "prod-db.example.com"))
    query = rng.choice(("", "?sslmode=require", "?keepalives_idle=60&sslmode=verify-full", "?sslmode=disable"))
    url = f"postgresql://app:secret@{host}:5432/app{query}"
    if rng.random() < 0.5:
        return [(f"env/{index}.env", f"APP_ENV=production\nDATABASE_URL={url}\nREDIS_URL=redis://cache:6379/0\n".encode())]
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{index}\ndata:\n  DATABASE_URL: \"{url}\"\n  LOG_LEVEL: info\n"
    return [(f"k8s/configmap_{index}.yaml", body.encode())]


def sql_file(rng: random.Random, index: int) -> list[tuple[str, bytes]]:
    body = f"-- migration {index}\nALTER SYSTEM SET tcp_keepalives_idle = {rng.choice((0, 60, 7200))};\nSELECT pg_reload_conf();\n"
    return [(f"migrations/{index:05d}_keepalives.sql", body.encode())]


RELEVANT = (
    (postgresql_tree, 10),
    (sysctl_files, 10),
    (terraform_file, 25),
    (python_file, 25),
    (connection_string_file, 25),
    (sql_file, 5),
)


def large_file(rng: random.Random, pools: LinePools, index: int) -> tuple[str, bytes]:
    """A few MB of something no layer wants: a bundle, a log, a data dump."""
    size = rng.randint(2, 5) * 1024 * 1024
    kind = index % 3
    if kind == 0:
        chunk = "".join(pools.javascript).replace("\n", "")
        return f"vendor/bundle_{index}.min.js", (chunk * (size // len(chunk) + 1))[:size].encode()
    if kind == 1:
        lines = [f"2024-01-{d % 28 + 1:02d}T12:00:{d % 60:02d}Z INFO {pools.text[d % len(pools.text)]}" for d in range(2000)]
        chunk = "".join(lines)
        return f"logs/app_{index}.log", (chunk * (size // len(chunk) + 1))[:size].encode()
    rows = "".join(f"{n},{WORDS[n % len(WORDS)]},{n * 7 % 1000}\n" for n in range(5000))
    return f"data/export_{index}.csv", (rows * (size // len(rows) + 1))[:size].encode()


def plan_tree(files: int, seed: int) -> list[tuple[str, bytes]]:
    """Every (path, content) of a tree of about ``files`` files."""
    rng = random.Random(seed)
    pools = LinePools(rng)
    planned: list[tuple[str, bytes]] = []
    large = 1 + files // 12_500
    for index in range(large):
        path, data = large_file(rng, pools, index)
        planned.append((f"services/bulk/{path}", data))
    kinds, weights = zip(*RELEVANT)
    index = 0
    while len(planned) < files:
        service = f"services/svc_{index // FILES_PER_DIRECTORY:05d}"
        roll = rng.random()
        if roll < RELEVANT_SHARE:
            entries = rng.choices(kinds, weights=weights)[0](rng, index)
        elif roll < RELEVANT_SHARE + BINARY_SHARE:
            entries = [binary_file(rng, index)]
        else:
            entries = [unrelated_file(rng, pools, index)]
        planned.extend((f"{service}/{path}", data) for path, data in entries)
        index += 1
    return planned[:files]


def plan_terraform(files: int, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    planned = []
    for index in range(files):
        for path, data in terraform_file(rng, index):
            planned.append((f"modules/m_{index // 20:03d}/{Path(path).name}", data))
    return planned


# Trees of issue 18: a Python-heavy monorepo, a tree full of findings, and a tree with fixes to write.

def _other_file(rng: random.Random, pools: LinePools, index: int) -> tuple[str, bytes]:
    """An unrelated file that is not Python (the Python share is planned separately)."""
    while True:
        path, data = unrelated_file(rng, pools, index)
        if not path.endswith(".py"):
            return path, data


def _plain_module(rng: random.Random, pools: LinePools, index: int) -> tuple[str, bytes]:
    body = '"""' + _sentence(rng) + '"""\n\nimport os\nimport json\n' + _draw(rng, pools.python, 2, 20)
    return f"src/{_name(rng)}_{index}.py", body.encode()


ENGINE_OPTIONS = (
    "", ", pool_pre_ping=True", ", pool_recycle=3600", ", pool_size=10, max_overflow=5",
    ", pool_pre_ping=True, pool_recycle=300", ", echo=False",
)


def _engine_call(rng: random.Random, name: str) -> str:
    host = rng.choice(("db.internal.example.com", "10.0.3.7", "localhost", "prod-db.example.com"))
    driver = rng.choice(("postgresql+psycopg2", "postgresql+psycopg", "postgresql"))
    return f'{name} = create_engine("{driver}://app:secret@{host}:5432/{rng.choice(WORDS)}"{rng.choice(ENGINE_OPTIONS)})\n'


def _sqlalchemy_module(rng: random.Random, pools: LinePools, index: int, engines: int) -> tuple[str, bytes]:
    """A module importing SQLAlchemy as applications do: models and queries, and ``engines``
    create_engine calls (0 for most such modules, which use an engine made elsewhere)."""
    table = _name(rng)
    head = (
        f'"""{_sentence(rng)}"""\n\nfrom sqlalchemy import Column, Integer, String{", create_engine" if engines else ""}, select, text\n'
        "from sqlalchemy.orm import DeclarativeBase, Session\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        f"class {table.title().replace('_', '')}(Base):\n"
        f'    __tablename__ = "{table}"\n    id = Column(Integer, primary_key=True)\n'
        f"    {rng.choice(WORDS)} = Column(String({rng.choice((32, 64, 255))}))\n\n\n"
    )
    engines_text = "".join(_engine_call(rng, f"engine_{n}" if n else "engine") for n in range(engines))
    query = (
        f"\n\ndef load_{table}(session: Session, limit: int = {rng.randint(10, 500)}):\n"
        f"    return session.execute(select({table.title().replace('_', '')}).limit(limit)).scalars().all()\n"
    )
    return f"app/models/{table}_{index}.py", (head + engines_text + query + _draw(rng, pools.python, 1, 12)).encode()


def plan_python_heavy(files: int, seed: int, python: int, importing: int, engine_modules: int,
                      engines_per_module: tuple[int, int] = (1, 3)) -> list[tuple[str, bytes]]:
    """A tree of ``files`` files of which ``python`` are ``.py`` modules; ``importing`` of those
    import SQLAlchemy, and the first ``engine_modules`` of those (spread evenly) define
    ``engines_per_module`` engines each (a random count in the closed range); the rest are
    JavaScript, Markdown, JSON, YAML and other files that never mention PostgreSQL.
    One large file per 12,500 files, as in ``plan_tree``."""
    rng = random.Random(seed)
    pools = LinePools(rng)
    planned: list[tuple[str, bytes]] = []
    for index in range(1 + files // 12_500):
        path, data = large_file(rng, pools, index)
        planned.append((f"services/bulk/{path}", data))
    slots = files - len(planned)
    # Which slot holds which kind: a shuffled list, so modules are spread over the services.
    kinds = ["engine"] * engine_modules + ["import"] * (importing - engine_modules) + ["plain"] * (python - importing)
    kinds += ["other"] * (slots - len(kinds))
    rng.shuffle(kinds)
    for index, kind in enumerate(kinds):
        service = f"services/svc_{index // FILES_PER_DIRECTORY:05d}"
        if kind == "engine":
            path, data = _sqlalchemy_module(rng, pools, index, rng.randint(*engines_per_module))
        elif kind == "import":
            path, data = _sqlalchemy_module(rng, pools, index, 0)
        elif kind == "plain":
            path, data = _plain_module(rng, pools, index)
        else:
            path, data = _other_file(rng, pools, index)
        planned.append((f"{service}/{path}", data))
    return planned


def plan_python_realistic(files: int, seed: int) -> list[tuple[str, bytes]]:
    """Issue 18's Python-heavy tree: 40 % of the files are Python (8,000 of 20,000), 10 % of
    those import SQLAlchemy, and one importing module in ten makes the engines (1-3 each),
    as an application keeps its engines in a few ``db.py`` modules and imports them elsewhere."""
    python = files * 2 // 5
    importing = python // 10
    return plan_python_heavy(files, seed, python, importing, engine_modules=importing // 10)


def plan_many_findings(files: int, seed: int) -> list[tuple[str, bytes]]:
    """Issue 18's many-findings tree: 8,000 of 20,000 files are Python and 4,000 of them
    define an engine (one each), most of which draw findings."""
    python = files * 2 // 5
    return plan_python_heavy(files, seed, python, python // 2, engine_modules=python // 2, engines_per_module=(1, 1))


def _fixable(rng: random.Random, index: int) -> tuple[str, bytes]:
    """A file with at least one safe fix, of one of the kinds people keep in a repository."""
    kind = index % 4
    host = rng.choice(("db.internal.example.com", "10.0.3.7", "prod-db.example.com"))
    if kind == 0:
        body = (
            '"""Database engine."""\n\nfrom sqlalchemy import create_engine\n\n'
            f'engine = create_engine("postgresql+psycopg2://app:secret@{host}:5432/app")\n'
        )
        return f"src/db_{index}.py", body.encode()
    if kind == 1:
        body = f"# Kernel parameters\nvm.swappiness = 10\nnet.ipv4.tcp_keepalive_time = {rng.choice((7200, 3600))}\n"
        return f"hosts/h{index}/etc/sysctl.conf", body.encode()
    if kind == 2:
        name = f"{rng.choice(WORDS)}_{index}"
        body = f'resource "aws_lb" "{name}" {{\n  name         = "{name.replace("_", "-")}"\n  idle_timeout = 60\n}}\n'
        return f"infra/{name}.tf", body.encode()
    sample = "".join(f"#{_name(rng)} = {rng.randint(0, 1000)}\t\t# {_sentence(rng)}\n" for _ in range(rng.randint(40, 120)))
    body = "# PostgreSQL configuration file\n" + sample + "listen_addresses = '*'\nssl = on\ntcp_keepalives_idle = 7200\n"
    return f"db/{index}/postgresql.conf", body.encode()


def plan_write(files: int, seed: int, fixable: int) -> list[tuple[str, bytes]]:
    """A tree of ``files`` files of which ``fixable`` carry a safe fix (Python engines without
    pre-ping, sysctl.conf with a keepalive time of hours, ALBs at 60 s, postgresql.conf at 7200 s, in turn);
    the rest are unrelated files of every kind."""
    rng = random.Random(seed)
    pools = LinePools(rng)
    kinds = ["fix"] * fixable + ["other"] * (files - fixable)
    rng.shuffle(kinds)
    planned = []
    fixes = 0
    for index, kind in enumerate(kinds):
        service = f"services/svc_{index // FILES_PER_DIRECTORY:05d}"
        if kind == "fix":
            path, data = _fixable(rng, fixes)
            fixes += 1
        else:
            path, data = unrelated_file(rng, pools, index)
        planned.append((f"{service}/{path}", data))
    return planned



def write_tree(planned: list[tuple[str, bytes]], out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    made: set[Path] = set()
    for relative, data in planned:
        target = out / relative
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--files", type=int, help="size of a whole monorepo (1000, 10000, 50000)")
    group.add_argument("--terraform-only", type=int, metavar="FILES", help="a tree of .tf files only")
    group.add_argument("--python-heavy", type=int, metavar="FILES", help="40 %% Python, 10 %% of it importing SQLAlchemy")
    group.add_argument("--many-findings", type=int, metavar="FILES", help="40 %% Python, half of it defining an engine")
    group.add_argument("--write-tree", type=int, metavar="FILES", help="a tree with --fixable files to fix")
    parser.add_argument("--fixable", type=int, default=500, help="files with a safe fix in --write-tree (default 500)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.files is not None:
        planned = plan_tree(args.files, args.seed)
    elif args.python_heavy is not None:
        planned = plan_python_realistic(args.python_heavy, args.seed)
    elif args.many_findings is not None:
        planned = plan_many_findings(args.many_findings, args.seed)
    elif args.write_tree is not None:
        planned = plan_write(args.write_tree, args.seed, args.fixable)
    else:
        planned = plan_terraform(args.terraform_only, args.seed)
    write_tree(planned, args.out)
    total = sum(len(data) for _, data in planned)
    print(f"{len(planned)} files, {total / 1048576:.1f} MB in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
