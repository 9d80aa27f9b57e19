"""The result cache (pgconf_fix.cache): the same bytes with and without it, cold and warm,
over the fixture corpus; an entry is not used once a file it read changed, even a file
the run was not given (an include, a .tfvars, a sysctl.d sibling, a lock file the pool
rules read, the box the idle budget is learned from); a corrupt or unwritable cache is
ignored without a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgconf_fix import cache as cache_module
from tests import golden

FIXTURES = golden.REPO / "tests" / "fixtures"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache directory of the test's own; setting it makes in-process runs use the cache."""
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache_module.ENVIRONMENT_VARIABLE, str(directory))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return directory


def _run(args: list[str], cwd: Path, mode_flags: list[str] = (), write: bool = False) -> bytes:
    code, out, err = golden.run_cli([*mode_flags, *args], cwd)
    result = golden._outcome(code, out, err, cwd)
    if write:
        result += b"--- tree\n" + golden.tree_dump(cwd)
    return result


def _fresh(source: Path, work: Path) -> Path:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source, work, symlinks=True)
    return work


# The modes of tests/golden.py run here: text (with --show-fixes: fixable counts and follow-on
# fixes), JSON, --diff and --write --unsafe-fixes (every fix applied, then re-checked from
# disk). PGCONF_FIX_TEST_CACHE_MODES=all runs all seven (SARIF and github too: other reporters
# over the same findings), about twice as long.
MODES = (
    golden.MODES if os.environ.get("PGCONF_FIX_TEST_CACHE_MODES") == "all"
    else {mode: golden.MODES[mode] for mode in ("text", "json", "diff", "write-unsafe")}
)


def test_corpus_same_bytes_without_cache_cold_and_warm(tmp_path: Path, cache_dir: Path) -> None:
    """Every fixture case and the examples, recorded as tests/golden.py records them (same
    cases, arguments, captured streams and tree dumps) but each at one fixed place, so that
    the cache's keys, which hold absolute paths, can repeat: the run without the cache, with
    a cold cache and with a warm one print (and write) the same bytes, and the warm run is
    served from the cache (no miss at all, except in write modes: see below)."""
    different, warm_misses, warm_hits = [], [], 0
    for number, (case_id, source, args) in enumerate(golden.cases(golden.REPO)):
        for mode, flags in MODES.items():
            write = mode in golden.WRITE_MODES
            case_root = tmp_path / f"case{number}"
            root = case_root if case_id == "examples" else case_root / "tree"
            outcomes = []
            for flag in (["--no-cache"], [], []):
                _fresh(source, case_root / "examples" if case_id == "examples" else root)
                code, out, err = golden.run_cli([*flags, *flag, *args], root)
                outcome = golden._outcome(code, out, err, root)
                if write:
                    outcome += b"--- tree\n" + golden.tree_dump(root)
                outcomes.append(outcome)
            if not outcomes[0] == outcomes[1] == outcomes[2]:
                different.append(f"{case_id} {mode}")
            statistics = cache_module.LAST.statistics
            warm_hits += statistics.hits
            # A write mode resets the tree to before the write for each run, so an entry made
            # after the cold run's write (which depends on every file read before it in that
            # run, the written ones included) is rightly not used by the warm run's first check,
            # and the other way round. Everything else must be served.
            if statistics.misses and (mode not in golden.WRITE_MODES or not statistics.hits):
                warm_misses.append(f"{case_id} {mode}: {statistics}")
    assert not different, different
    assert not warm_misses, "\n".join(warm_misses)
    assert warm_hits > 1000


def _case(tmp_path: Path, name: str) -> Path:
    return _fresh(FIXTURES / name / "before", tmp_path / "tree")


def _changes_follow(root: Path, args: list[str], change) -> None:
    """A cached run after ``change`` prints what a run without the cache prints, and that
    differs from before the change (so the change mattered and was seen)."""
    before = _run(args, root)
    assert _run(args, root) == before == _run(["--no-cache", *args], root)
    assert cache_module.LAST.statistics.hits > 0  # the unchanged rerun was served from the cache
    change()
    after = _run(args, root)
    assert after == _run(["--no-cache", *args], root)
    assert after != before


def test_changed_include_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "server/included-file-overrides")
    # Only postgresql.conf is named: overrides.conf is read through its include line.
    _changes_follow(root, ["postgresql.conf"], lambda: (root / "overrides.conf").write_text("tcp_keepalives_interval = 10\n"))


def test_changed_tfvars_and_budget_source_are_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "terraform/tfvars-override-defaults")
    args = ["infra/main.tf", "db/postgresql.conf"]  # the .tfvars are read as the module's, not named
    # The NLB's idle timeout (the idle budget postgresql.conf is judged against) comes from terraform.tfvars.
    tfvars = root / "infra" / "terraform.tfvars"
    _changes_follow(root, args, lambda: tfvars.write_text(tfvars.read_text().replace("= 240", "= 400")))
    auto = root / "infra" / "override.auto.tfvars"
    _changes_follow(root, args, lambda: auto.write_text("proxy_idle_seconds = 900\n"))


def test_changed_project_dotenv_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "compose/interpolation-dotenv")
    dotenv = root / ".env"
    # Only the compose file is named: .env is read as the project's, for compose's interpolation.
    _changes_follow(root, ["docker-compose.yml"], lambda: dotenv.write_text(dotenv.read_text().replace('"7200"', "60")))
    _changes_follow(root, ["docker-compose.yml"], lambda: dotenv.write_text("IDLE=900\n"))
    _changes_follow(root, ["docker-compose.yml"], dotenv.unlink)
    _changes_follow(root, ["docker-compose.yml"], lambda: dotenv.write_text("IDLE=7200\n"))


def test_changed_sysctl_d_sibling_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "kernel/fragment-missing-probes")
    sibling = root / "etc" / "sysctl.d" / "60-hugepages.conf"
    _changes_follow(root, ["etc/sysctl.d/70-keepalive.conf"],
                    lambda: sibling.write_text("vm.nr_hugepages = 1024\nnet.ipv4.tcp_keepalive_probes = 6\n"))


def test_changed_lock_file_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "python/django-4.0-pinned-no-health-checks")
    lock = root / "Pipfile.lock"
    _changes_follow(root, ["settings.py", "--select", "PGF0,PGF5"],
                    lambda: lock.write_text(lock.read_text().replace("==4.0.10", "==4.2.11")))


def test_new_file_in_include_dir_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "tree"
    (root / "conf.d").mkdir(parents=True)
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\n"
                                          "tcp_keepalives_count = 6\ninclude_dir 'conf.d'\n")
    (root / "conf.d" / "10-logging.conf").write_text("log_connections = on\n")
    _changes_follow(root, ["postgresql.conf"],
                    lambda: (root / "conf.d" / "20-keepalives.conf").write_text("tcp_keepalives_idle = 7200\n"))


def test_an_unchanged_check_is_served_whole(tmp_path: Path, cache_dir: Path) -> None:
    """A rerun over unchanged files takes the check from one entry (run.check, whole): it
    neither learns the idle budget nor loads or builds a group, and prints what a run
    without the cache prints, the error of a file that cannot be read included. A --write
    after it, whose re-checks need the groups, writes what it writes without the cache."""
    from pgconf_fix import run as run_module

    source = tmp_path / "source"
    _fresh(FIXTURES / "terraform" / "tfvars-override-defaults" / "before", source)
    (source / "broken").mkdir()
    (source / "broken" / "postgresql.conf").write_bytes(b"listen_addresses = '*'\n\x00\x01\x02 binary\n")
    args = ["infra/main.tf", "db/postgresql.conf", "broken/postgresql.conf"]
    root = _fresh(source, tmp_path / "tree")
    plain = _run(["--no-cache", *args], root)
    assert b"broken/postgresql.conf" in plain and b"exit: 2" in plain, plain
    assert _run(args, root) == plain

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a check served whole learns no budget and loads no group")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "learn", refuse)
        patch.setattr(cache_module.Cache, "load_group", refuse)
        patch.setattr(run_module.ReaderBuild, "members", refuse)
        assert _run(args, root) == plain
    statistics = cache_module.LAST.statistics
    assert statistics.misses == 0 and statistics.hits >= 1, statistics

    written = _run(["--write", *args], root, write=True)
    assert cache_module.LAST.statistics.hits > 2  # the groups were served to the re-checks
    assert written == _run(["--no-cache", "--write", *args], _fresh(source, root), write=True)
    assert b"PGF" in written


def test_a_check_served_whole_reads_a_few_entries_however_many_groups(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole check's entry names one chunk holding every input of the run (Cache._compacted),
    not the chain of a chunk for each group of a cold run that read something new: a warm run
    over 20 servers (20 groups, each reading its own include) reads the entry, that chunk, and
    the fixable count's entry (22 reads when the entry named the chain)."""
    root = tmp_path / "tree"
    for index in range(20):
        # A server each: its group reads its own include, an input no group before it read.
        (root / f"db{index}").mkdir(parents=True)
        (root / f"db{index}" / "postgresql.conf").write_text("tcp_keepalives_idle = 0\ninclude 'extra.inc'\n")
        (root / f"db{index}" / "extra.inc").write_text(f"port = {5400 + index}\n")
    expected = _run(["--no-cache", "."], root)
    assert _run(["."], root) == expected
    reads: list[str] = []
    original = cache_module.Cache._read

    def counted(self: cache_module.Cache, key: str) -> dict:
        reads.append(key)
        return original(self, key)

    monkeypatch.setattr(cache_module.Cache, "_read", counted)
    assert _run(["."], root) == expected
    assert cache_module.LAST.statistics.misses == 0
    assert 2 <= len(reads) <= 5, len(reads)
    assert b"PGF" in expected


def test_corrupt_entries_are_misses(tmp_path: Path, cache_dir: Path) -> None:
    root = _case(tmp_path, "terraform/tfvars-override-defaults")
    expected = _run(["."], root, ["--show-fixes"])
    entries = sorted(path for path in cache_dir.rglob("*.json"))
    assert entries
    garbage = [b"", b"\x00\xff not json", b"[1, 2, 3]", b'{"format": 1}', b'{"format": 1, "key": "x", "inputs": 7}']
    for number, path in enumerate(entries):
        data = path.read_bytes()
        # Truncated, binary, the wrong shape, and a right-looking entry whose findings are broken.
        path.write_bytes(garbage[number % len(garbage)] if number % 3 else data.replace(b'"findings":[[', b'"findings":[[7,', 1))
    again = _run(["."], root, ["--show-fixes"])
    assert again == expected
    assert b"Traceback" not in again and b"EXCEPTION" not in again
    assert _run(["."], root, ["--show-fixes"]) == expected  # the entries were rewritten, and serve


def test_unwritable_cache_is_skipped_with_one_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _case(tmp_path, "server/included-file-overrides")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go\n")
    monkeypatch.setenv(cache_module.ENVIRONMENT_VARIABLE, str(blocker / "cache"))
    code, out, err = golden.run_cli(["."], root)
    plain = golden.run_cli(["--no-cache", "."], root)
    assert (code, out) == plain[:2]
    assert err.startswith(plain[2])
    assert err[len(plain[2]):].decode().startswith("warning: cannot write the cache in ")
    assert err.count(b"warning: cannot write the cache") == 1 and b"Traceback" not in err


def test_the_command_caches_in_the_user_cache_directory(tmp_path: Path) -> None:
    """The pgconf-fix command (not only main()) uses the cache, outside the checked tree; a
    second run prints the same; --no-cache writes nothing."""
    root = _case(tmp_path, "server/included-file-overrides")
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1",
                   "PYTHONPATH": str(golden.REPO)}
    environment.pop(cache_module.ENVIRONMENT_VARIABLE, None)
    command = [sys.executable, "-m", "pgconf_fix", "."]
    first = subprocess.run([*command, "--no-cache"], cwd=root, env=environment, capture_output=True, check=False)
    assert not (tmp_path / "xdg").exists()
    second = subprocess.run(command, cwd=root, env=environment, capture_output=True, check=False)
    third = subprocess.run(command, cwd=root, env=environment, capture_output=True, check=False)
    assert (first.returncode, first.stdout, first.stderr) == (second.returncode, second.stdout, second.stderr)
    assert (second.returncode, second.stdout, second.stderr) == (third.returncode, third.stdout, third.stderr)
    top = tmp_path / "xdg" / "pgconf-fix"
    assert (top / ".gitignore").read_text().endswith("*\n") and (top / "CACHEDIR.TAG").exists()
    assert list(top.rglob("*.json"))
    assert sorted(p.name for p in root.iterdir()) == ["overrides.conf", "postgresql.conf"]


def test_inputs_are_stored_once_as_a_chain_and_every_change_is_seen(tmp_path: Path) -> None:
    """Entries name the last chunk of a chain of inputs (Cache._inputs), each chunk holding
    the inputs noted since the one before: a run's entries share their chain, a chunk is
    checked once a check, and a changed input anywhere in the chain is a miss, also for an
    entry whose chain this process never wrote (read back from disk)."""
    files = [tmp_path / f"input{n}.conf" for n in range(4)]
    for path in files:
        path.write_text(f"{path.name}\n")
    store = cache_module.Cache(tmp_path / "cache", tmp_path)
    try:
        store.record.files.update(dict.fromkeys(str(path) for path in files[:2]))
        first = store._inputs()
        assert store._inputs() == first  # nothing new: no chunk
        store.record.files.update(dict.fromkeys(str(path) for path in files[2:]))
        second = store._inputs()
        assert second != first and store._chunks[second] == (first, [["f", str(path), store._digest("f", str(path))] for path in files[2:]])
    finally:
        store.close()
    chunks = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(chunks) == 2 and sum(len(path.read_bytes()) for path in chunks) < 2000

    again = cache_module.Cache(tmp_path / "cache", tmp_path)  # a later run: the chain is read back
    try:
        again._check_inputs(second)
        assert list(again.record.files) == [str(path) for path in files]  # noted as read, in order
        assert again._verified == {first, second}
        files[0].write_text("changed\n")
        again._check_inputs(second)  # checked already in this check: not read again
        again.new_check()  # a new check (after --write) takes every digest afresh
        with pytest.raises(cache_module.CacheMiss):
            again._check_inputs(second)
        with pytest.raises(cache_module.CacheMiss):
            again._check_inputs("0" * 40)  # no such chunk
    finally:
        again.close()


def test_claims_are_recalled_while_a_files_status_is_unchanged(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun does not open a file to look at its first bytes again while its size, times and
    inode are those noted (cache.ClaimMemo), and prints the same bytes; a file written since
    is looked at again, whatever its size."""
    from pgconf_fix import discovery

    monkeypatch.setattr(cache_module.ClaimMemo, "RACY_NS", 0)  # the files were written just now
    opened: list[str] = []
    real = discovery._read_head
    monkeypatch.setattr(discovery, "_read_head", lambda path: opened.append(os.path.basename(path)) or real(path))
    root = tmp_path / "tree"
    root.mkdir()
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 600\n")
    (root / "extra.conf").write_text("# nothing yet\n")
    (root / "notes.conf").write_text("colour = blue\n")
    (root / "app.py").write_text('import psycopg2\nconn = psycopg2.connect("host=db.example.com dbname=app")\n')
    first = _run(["."], root)
    assert {"extra.conf", "notes.conf", "app.py"} <= set(opened)
    opened.clear()
    assert _run(["."], root) == first and opened == []
    assert _run(["--no-cache", "."], root) == first
    (root / "extra.conf").write_text("tcp_keepalives_idle = 0\n")  # another size
    (root / "notes.conf").write_text("colour = gray\n")  # the same size
    opened.clear()
    changed = _run(["."], root)
    assert sorted(opened) == ["extra.conf", "notes.conf"]
    assert b"extra.conf:1:1: PGF101" in changed and changed == _run(["--no-cache", "."], root)
    (claims,) = cache_dir.rglob("claims/*.json")
    assert str(root / "notes.conf") in claims.read_text()
    (root / "notes.conf").unlink()  # a file gone from a walked directory leaves the claims file too
    _run(["."], root)
    assert str(root / "notes.conf") not in claims.read_text() and str(root / "app.py") in claims.read_text()


def test_a_file_written_just_before_the_walk_is_not_remembered(tmp_path: Path) -> None:
    """Two writes within the clock's resolution leave a file's status unchanged: a claim is
    noted only for files whose modification and change times are two seconds older than the
    walk (both: a tool may set the modification time back, never the change time)."""
    path = tmp_path / "postgresql.conf"
    path.write_text("tcp_keepalives_idle = 600\n")
    memo = cache_module.ClaimMemo(tmp_path / "cache", tmp_path, None)
    memo.note(str(path), os.stat(path), "server")
    old = memo.began - 10 * cache_module.ClaimMemo.RACY_NS
    os.utime(path, ns=(old, old))  # the modification time set back; the change time is now
    memo.note(str(path), os.stat(path), "server")
    assert memo.known == {} and not memo.changed
    memo.began += 10 * cache_module.ClaimMemo.RACY_NS  # as if the walk began 20 s later
    memo.note(str(path), os.stat(path), "server")
    assert memo.recall(str(path), os.stat(path)) == (True, "server")
    memo.save()
    again = cache_module.ClaimMemo(tmp_path / "cache", tmp_path, None)
    assert again.recall(str(path), os.stat(path)) == (True, "server")
    assert cache_module.ClaimMemo(tmp_path / "cache", tmp_path, frozenset({"server"})).known == {}  # other readers wanted


def test_a_claim_made_without_reading_the_file_is_not_remembered(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file this process cannot read is claimed by its name alone (a .yml: by no reader).
    Whether it can be read depends on who reads it, not on the file's status: a user's run,
    then the same tree under sudo with the same cache, must see the file as an uncached run
    does. (Root reads every file, so the denied read is simulated where discovery reads the
    first bytes; the run that follows reads the file for real.)"""
    from pgconf_fix import discovery

    monkeypatch.setattr(cache_module.ClaimMemo, "RACY_NS", 0)  # the files were written just now
    root = tmp_path / "tree"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "patroni.yml").write_text(
        "scope: main\npostgresql:\n  parameters:\n    tcp_keepalives_idle: 900\n"
    )
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 60\n")
    real = discovery._read_head
    monkeypatch.setattr(discovery, "_read_head", lambda path: None if path.endswith("patroni.yml") else real(path))
    denied = _run(["."], root)
    assert b"patroni.yml" not in denied
    monkeypatch.setattr(discovery, "_read_head", real)  # now readable: the status is unchanged
    uncached = _run(["--no-cache", "."], root)
    assert b"etc/patroni.yml:4:" in uncached
    assert _run(["."], root) == uncached


def test_claims_are_remembered_for_one_user_and_set_of_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user, or the same one with other groups, may read files this one could not,
    or not those it could: each identity has its own claims (cache.ClaimMemo)."""
    path = tmp_path / "postgresql.conf"
    path.write_text("tcp_keepalives_idle = 600\n")
    memo = cache_module.ClaimMemo(tmp_path / "cache", tmp_path, None)
    memo.began += 10 * cache_module.ClaimMemo.RACY_NS
    memo.note(str(path), os.stat(path), "server")
    memo.save()
    assert cache_module.ClaimMemo(tmp_path / "cache", tmp_path, None).recall(str(path), os.stat(path)) == (True, "server")
    groups = os.getgroups()
    monkeypatch.setattr(os, "getgroups", lambda: [*groups, 4242])
    assert cache_module.ClaimMemo(tmp_path / "cache", tmp_path, None).known == {}


def test_a_damaged_claims_file_is_claimed_afresh(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claims file whose reader for a file is not a reader's name (a damaged or foreign
    cache) is not believed: the run prints what an uncached run prints, without a traceback."""
    import json

    monkeypatch.setattr(cache_module.ClaimMemo, "RACY_NS", 0)  # the files were written just now
    root = tmp_path / "tree"
    root.mkdir()
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 600\n")
    (root / "sysctl.conf").write_text("net.ipv4.tcp_keepalive_time = 7200\n")
    uncached = _run(["--no-cache", "."], root)
    assert _run(["."], root) == uncached
    (claims,) = cache_dir.rglob("claims/*.json")
    for damage in (["server"], "no-such-reader", 7):
        stored = json.loads(claims.read_text())
        for entry in stored["files"].values():
            entry[4] = damage
        claims.write_text(json.dumps(stored))
        assert _run(["."], root) == uncached


def test_the_code_digest_is_taken_again_after_the_memos_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each invocation (start_recording) forgets pgconf-fix's memos, the code digest included:
    a process that runs the command again after its modules changed keys its entries anew."""
    package = tmp_path / "package"
    package.mkdir()
    (package / "one.py").write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "_PACKAGE", package)
    try:
        cache_module._forget_memos()
        before = cache_module.code_digest()
        (package / "two.py").write_text("y = 2\n")
        cache_module._forget_memos()
        assert cache_module.code_digest() != before
    finally:
        monkeypatch.undo()
        cache_module._forget_memos()


def test_a_cache_directory_inside_a_project_leaves_its_files_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PGCONF_FIX_CACHE_DIR=. (the project itself) once replaced the project's .gitignore with
    "*", after which git and pgconf-fix ignored the whole tree ("All checks passed!"). Only
    the cache's own directory is marked now; the project's files are never overwritten, and
    its findings are the same on the next run."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    (root / ".gitignore").write_text("build/\n")
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 600\n")
    monkeypatch.setenv(cache_module.ENVIRONMENT_VARIABLE, str(root))
    first = _run(["."], root)
    assert b"PGF101" in first
    assert (root / ".gitignore").read_text() == "build/\n" and not (root / "CACHEDIR.TAG").exists()
    # The project's cache directory, and nothing else: marked as the cache's own.
    owns = [path for path in root.iterdir() if path.is_dir()]
    assert len(owns) == 1
    for own in owns:
        assert (own / ".gitignore").read_text().endswith("*\n") and (own / "CACHEDIR.TAG").exists()
    assert _run(["."], root) == first == _run(["--no-cache", "."], root)


# A file that a reader only looks for (a stat, which raises no audit event) and does not find
# is an input too: it may appear later (pgconf_fix.workspace.is_file, is_dir).


def test_new_postgresql_auto_conf_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _fresh(golden.REPO / "examples" / "db", tmp_path / "tree")
    (root / "PG_VERSION").unlink()  # with --pg-version, nothing lists the directory
    _changes_follow(root, ["--pg-version", "15", "postgresql.conf"],
                    lambda: (root / "postgresql.auto.conf").write_text("tcp_keepalives_idle = 60\n"))


def test_new_sysctl_d_directory_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "tree"
    (root / "etc").mkdir(parents=True)
    shutil.copy(golden.REPO / "examples" / "host" / "etc" / "sysctl.conf", root / "etc" / "sysctl.conf")

    def change() -> None:
        (root / "etc" / "sysctl.d").mkdir()
        (root / "etc" / "sysctl.d" / "70-keepalive.conf").write_text("net.ipv4.tcp_keepalive_probes = 6\n")

    _changes_follow(root, ["etc/sysctl.conf"], change)


def test_postgresql_conf_appearing_above_a_named_fragment_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    root = _fresh(golden.REPO / "examples" / "db", tmp_path / "tree")
    main = (root / "postgresql.conf").read_bytes()
    (root / "postgresql.conf").unlink()
    _changes_follow(root, ["conf.d/20-timeouts.conf"], lambda: (root / "postgresql.conf").write_bytes(main))


def test_airflow_connect_args_module_appearing_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    source = FIXTURES / "client" / "airflow-connect-args-dict" / "before" / "prod"
    root = tmp_path / "tree"
    (root / "prod").mkdir(parents=True)
    shutil.copy(source / "airflow.cfg", root / "prod" / "airflow.cfg")
    _changes_follow(root, ["--select", "PGF4", "prod/airflow.cfg"],
                    lambda: shutil.copytree(source / "config", root / "prod" / "config"))


def test_lock_file_appearing_above_the_project_root_is_seen(tmp_path: Path, cache_dir: Path) -> None:
    """Outside a git repository the project root is the working directory, and the listings of
    the directories above it are not inputs; the lock files the pool rules look for there are."""
    source = FIXTURES / "python" / "django-4.0-pinned-no-health-checks" / "before"
    root = tmp_path / "tree" / "app"
    root.mkdir(parents=True)
    shutil.copy(source / "settings.py", root / "settings.py")
    _changes_follow(root, ["settings.py", "--select", "PGF0,PGF5"],
                    lambda: shutil.copy(source / "Pipfile.lock", root.parent / "Pipfile.lock"))


def test_a_run_from_another_directory_of_the_project_shows_its_own_paths(tmp_path: Path, cache_dir: Path) -> None:
    """Messages name other files (a lock file) by their path from the working directory: a
    run from another directory of the same project (one config, so one cache) naming the same
    file by its absolute path is not served another directory's messages."""
    source = FIXTURES / "python" / "django-4.0-pinned-no-health-checks" / "before"
    root = tmp_path / "tree"
    (root / "app" / "sub").mkdir(parents=True)
    (root / ".pgconf-fix.toml").write_text("idle-budget = 300\n")
    shutil.copy(source / "settings.py", root / "app" / "sub" / "settings.py")
    shutil.copy(source / "Pipfile.lock", root / "app" / "Pipfile.lock")
    args = [str(root / "app" / "sub" / "settings.py")]
    from_root = _run(args, root)
    assert b"in app/Pipfile.lock" in from_root, from_root
    assert _run(args, root) == from_root == _run(["--no-cache", *args], root)
    for cwd in (root / "app", root / "app" / "sub"):
        assert _run(args, cwd) == _run(["--no-cache", *args], cwd)


@pytest.mark.parametrize("directive", ["include_if_exists", "include", "include_dir"])
def test_an_include_target_appearing_is_seen(tmp_path: Path, cache_dir: Path, directive: str) -> None:
    """A missing include target is skipped (include_if_exists) or reported (include,
    include_dir) after a stat, without opening anything: it appearing makes the entry stale."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "postgresql.conf").write_text(
        f"tcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n{directive} 'extra{'.d' if directive == 'include_dir' else '.conf'}'\n"
    )

    def change() -> None:
        if directive == "include_dir":
            (root / "extra.d").mkdir()
            (root / "extra.d" / "10-keepalives.conf").write_text("tcp_keepalives_idle = 60\n")
        else:
            (root / "extra.conf").write_text("tcp_keepalives_idle = 60\n")

    _changes_follow(root, ["--pg-version", "15", "postgresql.conf"], change)
