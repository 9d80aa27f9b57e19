"""Verifiers that a file still parses with its format's own parser after an edit.

Python compiles (``compile(..., "exec")``), keeps its calls' shape (pgconf_fix.python_calls) and
can be written in the encoding it declares; JSON, YAML (every document), TOML and INI load
with the standard parsers (json, PyYAML's safe loader, tomllib, configparser without
interpolation); a postgresql.conf lexes without a new error (the server's rules, as
pgconf_fix.documents.pgconf implements them); a .tf file parses (python-hcl2) and, when
``terraform`` is installed and the original was ``terraform fmt``-clean, stays so.
Each judges the edit, not the file: a file that was already unreadable is not refused again.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pgconf_fix.source import PYTHON_SUFFIXES, SourceFile
from pgconf_fix.text_memo import TextMemo
from pgconf_fix.verify import Trial, build_keeper, original_reader, verifier

# configparser, subprocess and tomllib are imported by the verifiers that use them: a check of
# one postgresql.conf loads this module (the connection-string verifier applies to every file)
# but none of those parsers.

YAML_SUFFIXES = (".yaml", ".yml")
INI_SUFFIXES = (".ini", ".cfg")


def python_error(path: Path, text: str) -> str | None:
    """Why CPython refuses to compile ``text`` as a module, or None."""
    try:
        with warnings.catch_warnings(action="ignore"):  # invalid escapes: the module's, not a line on our stderr
            compile(text, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # a NUL byte
        return str(exc)
    except (RecursionError, MemoryError):
        return "nested too deeply for Python's compiler"
    return None


@verifier("the edited Python module is refused", applies=lambda path: path.suffix == ".py")
def python_compiles(trial: Trial) -> str | None:
    """Compiles, and keeps each call one call with no keyword or dict key twice
    (pgconf_fix.python_calls)."""
    from pgconf_fix.python_calls import python_edit_problem

    return python_edit_problem(str(trial.path), trial.old, trial.new)


@original_reader(applies=lambda path: path.suffix == ".py")
def python_original(source: SourceFile) -> None:
    """The facts python_compiles compares an edit with, read from the original once (remembered
    by text in pgconf_fix.python_calls)."""
    from pgconf_fix.documents.python_nodes import parse
    from pgconf_fix.python_calls import module_facts

    try:
        parse(source.text)  # the build's tree, remembered; a module it refused is left to the vetting
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    module_facts(source.text)


@build_keeper(applies=lambda path: path.suffix == ".py")
def python_tree_kept(text: str) -> None:
    """The parse tree python_compiles read of ``text``, kept for the re-check's build of it
    (pgconf_fix.documents.python_nodes.hold)."""
    from pgconf_fix.documents.python_nodes import hold

    hold(text)


@verifier("the edited file cannot be written in its encoding", applies=lambda path: path.suffix.lower() in PYTHON_SUFFIXES)
def python_encodes(trial: Trial) -> str | None:
    """A module that declares an encoding (PEP 263) is written back in it, every byte outside
    the edit as it was (``SourceFile.encoding_problem``); an edit that cannot be is refused."""
    return trial.source.encoding_problem(trial.new)


def newly_broken(error: Callable[[str], str | None]) -> Callable[[Trial], str | None]:
    """A verifier that refuses an edit after which ``error(text)`` (a parser's complaint, or
    None) complains while it did not before: a file that did not load before is not the
    fix's doing."""

    def check(trial: Trial) -> str | None:
        reason = error(trial.new)
        return reason if reason is not None and error(trial.old) is None else None

    return check


def json_error(text: str) -> str | None:
    try:
        json.loads(text)
    except ValueError as exc:
        return str(exc)
    except RecursionError:  # arrays or objects nested some thousands deep
        return "nested too deeply for Python's JSON parser"
    return None


json_parses = verifier("the edited JSON does not parse", applies=lambda path: path.suffix == ".json")(newly_broken(json_error))


def yaml_error(text: str) -> str | None:
    """PyYAML's complaint about ``text``, or None when every document loads.

    A scalar that the YAML grammar takes but that PyYAML's safe constructor cannot make a
    Python value of is not a parse error: an integer past Python's 4,300-digit conversion limit,
    or a date the timestamp pattern matches that the calendar lacks (``2024-02-30``), raise
    ValueError out of ``safe_load_all`` (PyYAML 6.0.4, CPython 3.11; found by the fuzz), while
    PyYAML's composer reads the same text. The text is then held to the grammar alone
    (``compose_all``), so an edit that breaks its structure is still refused."""
    import yaml

    try:
        try:
            for _ in yaml.safe_load_all(text):
                pass
        except (ValueError, OverflowError):
            for _ in yaml.compose_all(text):
                pass
    except yaml.YAMLError as exc:
        return " ".join(str(exc).split())
    except RecursionError:  # PyYAML composes nested collections recursively
        return "nested too deeply for PyYAML"
    return None


yaml_parses = verifier("the edited YAML does not parse", applies=lambda path: path.suffix in YAML_SUFFIXES)(newly_broken(yaml_error))


def toml_error(text: str) -> str | None:
    import tomllib

    try:
        tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer past Python's 4,300-digit limit
        from pgconf_fix.catalog import toml_message

        return toml_message(exc, text)
    except RecursionError:  # inline arrays or tables nested some thousands deep
        return "nested too deeply for Python's TOML parser"
    return None


toml_parses = verifier("the edited TOML does not parse", applies=lambda path: path.suffix == ".toml")(newly_broken(toml_error))


def ini_error(text: str) -> str | None:
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return " ".join(str(exc).split())
    return None


ini_parses = verifier("the edited INI file does not parse", applies=lambda path: path.suffix in INI_SUFFIXES)(newly_broken(ini_error))


def _is_pgconf(path: Path, text: str) -> bool:
    from pgconf_fix.layers import server

    return server.claim(path, lambda: text.encode("utf-8", "surrogateescape")[:65536])


def pgconf_errors(text: str) -> list[str]:
    """The lines PostgreSQL's configuration lexer rejects, as ``line N: message``.

    They depend on the text alone (remembered: the original is asked about again for each
    trial of its file, and the vetting and the patcher try the same edited text)."""
    return list(_PGCONF_ERRORS(text))


def _pgconf_error_lines(text: str) -> tuple[str, ...]:
    from pgconf_fix.documents.pgconf import PgConfDocument

    edited = SourceFile(Path("postgresql.conf"), "postgresql.conf", text.encode("utf-8", "surrogateescape"), text, True)
    return tuple(f"line {line.number}: {line.error}" for line in PgConfDocument(edited).errors)


_PGCONF_ERRORS = TextMemo(_pgconf_error_lines)


@verifier("the edited postgresql.conf does not lex", applies=lambda path: path.suffix == ".conf" or "postgresql" in path.name)
def pgconf_lexes(trial: Trial) -> str | None:
    if not _is_pgconf(trial.path, trial.old):
        return None
    before = pgconf_errors(trial.old)
    after = pgconf_errors(trial.new)
    if len(after) > len(before):
        new = [error for error in after if error not in before] or after
        return new[0]
    return None


def hcl_error(source: SourceFile, text: str) -> str | None:
    from pgconf_fix.documents.hcl import HclDocument

    edited = SourceFile(source.path, source.display, source.encode(text), text, source.utf8, source.mode)
    problem = HclDocument(edited).error
    return problem.message if problem is not None else None


@verifier("the edited Terraform does not parse", applies=lambda path: path.suffix == ".tf")
def terraform_parses(trial: Trial) -> str | None:
    reason = hcl_error(trial.source, trial.new)
    return reason if reason is not None and hcl_error(trial.source, trial.old) is None else None


# terraform fmt's output by input text, from terraform_fmt or a batch (terraform_fmt_many).
_FORMATTED: dict[str, str | None] = {}
_FORMATTED_LIMIT = 4096


def _keep_formatted(text: str, formatted: str | None) -> None:
    if len(_FORMATTED) >= _FORMATTED_LIMIT:
        _FORMATTED.clear()
    _FORMATTED[text] = formatted


def _fmt_environment() -> dict[str, str]:
    """The environment ``terraform fmt`` runs in: this process's, with ``GOMAXPROCS=1`` unless
    it names a value. Formatting is one thread's work; with more, Go's collector ran beside it
    on the other core: fmt of the 401 fixed files of the 1,000-file tree took 0.387 s CPU (0.38 s
    wall) against 0.327 s (0.33 s) with one (Terraform 1.11.4 on this project's 2-core machine,
    load ~1, medians of 9; the same peak memory, 71 MB). The output is the same bytes."""
    environment = dict(os.environ)
    environment.setdefault("GOMAXPROCS", "1")
    return environment


def terraform_fmt(text: str) -> str | None:
    """``terraform fmt -`` of ``text``; None when terraform is not installed or refuses it.
    Remembered by text (a batch of ``terraform_fmt_many`` fills the same memo; the batches
    begun by ``begin_fmt`` are waited for first)."""
    if text not in _FORMATTED:
        _collect_batches()
    if text in _FORMATTED:
        return _FORMATTED[text]
    program = _terraform(os.environ.get("PATH"))
    if program is None:
        return None
    import subprocess  # only Terraform's verifier needs it

    done = subprocess.run(
        [program, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True, check=False, env=_fmt_environment()
    )
    formatted = done.stdout if done.returncode == 0 else None
    _keep_formatted(text, formatted)
    return formatted


@lru_cache(maxsize=4)
def _terraform(search: str | None) -> str | None:
    """``shutil.which("terraform")`` for the ``PATH`` given (``search``), asked once a PATH: the
    verifier asks for every text it judges, and without terraform nothing remembers the
    answer, so each of the 1,000-file tree's 802 texts searched the PATH again (~4 % of the
    run without terraform, py-spy; issue 18, twelfth pass)."""
    import shutil  # only Terraform's verifier needs it

    return shutil.which("terraform", path=search)


def _batchable(texts: list[str]) -> list[str]:
    """The texts a batch would format: each once, not known yet, ending in a newline. Without
    one, ``terraform fmt -`` adds it and ``terraform fmt FILE`` does not (Terraform 1.11):
    those texts are left to terraform_fmt, one by one."""
    return list(dict.fromkeys(text for text in texts if text not in _FORMATTED and text.endswith("\n")))


def terraform_fmt_many(texts: list[str]) -> None:
    """Format many texts with one ``terraform fmt DIRECTORY`` (each text a file of a temporary
    directory, see ``_Batch``) and remember each result for ``terraform_fmt``: one terraform
    start took 0.12 s (Terraform 1.11 on this project's 2-core test machine; about 0.16 s under
    load), twice a fixed file before this. The batches ``begin_fmt`` started are waited for
    first: a text one of them holds is not formatted again. Raises OSError when the texts
    cannot be written or terraform cannot be started."""
    _collect_batches()
    program = _terraform(os.environ.get("PATH"))
    pending = _batchable(texts)
    if program is None or len(pending) < 2:
        return
    _Batch(program, pending).collect()


class _Batch:
    """One ``terraform fmt -list=true DIRECTORY`` started on ``texts``, each written to a file
    of a temporary directory (``_scratch``), and not yet waited for: ``collect`` waits, keeps
    each verdict for ``terraform_fmt`` and removes the directory.

    Texts are written and read back in text mode, as ``terraform_fmt`` passes them through a
    pipe. A directory holding a file terraform cannot parse exits 2 but still formats the
    others (Terraform 1.11); then only the texts terraform rewrote and those it did not name in
    its diagnostics are remembered; ``terraform_fmt`` asks about the named ones alone (and
    about every unrewritten one if none is named). Raises OSError when the texts cannot be
    written or terraform cannot be started (nothing is left behind then)."""

    def __init__(self, program: str, texts: list[str]) -> None:
        import subprocess

        scratch = _scratch()
        try:
            directory, names = _written(scratch, texts)
        except OSError:
            if scratch is None:
                raise
            # A small memory file system (a container's 64 MB /dev/shm) may not hold them all.
            directory, names = _written(None, texts)
        try:
            self.process = subprocess.Popen(
                [program, "fmt", "-no-color", "-list=true", directory],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=_fmt_environment(),
            )
        except OSError:
            _remove(directory)
            raise
        self.texts, self.directory, self.names = texts, directory, names
        self.owner = os.getpid()  # a forked worker's copy is not its to wait for

    def collect(self) -> None:
        """Wait for terraform, keep its verdict on each text, remove the directory."""
        try:
            stdout, stderr = self.process.communicate()
            failed = self.process.returncode != 0
            rewritten = {os.path.basename(line.strip()) for line in stdout.splitlines() if line.strip()}
            # Its diagnostics name each file it could not read ("on t3.tf line 2, in ..."); when
            # none is named, any file it did not rewrite may be one.
            refused = set(re.findall(r"\bon (?:\S*/)?(t\d+\.tf) line \d+", stderr))
            for text, name in zip(self.texts, self.names):
                base = os.path.basename(name)
                if failed and base not in rewritten and (not refused or base in refused):
                    continue
                if base not in rewritten and "\r" not in text:
                    # terraform writes (and lists) only a file whose formatting it changed
                    # (Terraform 1.11, ``fmt -list=true``): this one holds the text as written,
                    # which reading it back would give (it has no CR for text mode to turn).
                    _keep_formatted(text, text)
                    continue
                with open(name) as handle:  # noqa: PTH123
                    _keep_formatted(text, handle.read())
        finally:
            _remove(self.directory)

    def abandon(self) -> None:
        """Stop terraform and remove the directory (the run ends without the verdicts)."""
        self.process.kill()
        self.process.communicate()
        _remove(self.directory)


# Batches begin_fmt started that no verifier has waited for yet, oldest first.
_RUNNING: list[_Batch] = []


def _collect_batches() -> None:
    """Wait for every batch ``begin_fmt`` started in this process, keeping their verdicts."""
    while _RUNNING:
        batch = _RUNNING.pop(0)
        if batch.owner == os.getpid():
            batch.collect()


def _abandon_batches() -> None:
    """``end`` of the fmt verifier (``verify.end_trials``): stop the batches no verifier waited
    for (the command ends) and remove their directories."""
    while _RUNNING:
        batch = _RUNNING.pop(0)
        if batch.owner == os.getpid():
            batch.abandon()


def begin_fmt(trials: list[Trial]) -> bool:
    """``begin`` of the fmt verifier (``verify.begin_trials``): start ``terraform fmt`` on the
    trials' edited texts in a batch of its own (``_Batch``), unless each is known or held by a
    batch under way, and return at once; True when some of them is held by a batch under way.
    The originals are not begun: ``_fmt_batch`` asks about an original only when its edit is
    not fmt-clean. A batch that cannot be started (no terraform, the texts cannot be written)
    starts nothing: ``_fmt_batch`` tries again when the trials are judged, and reports it."""
    program = _terraform(os.environ.get("PATH"))
    if program is None:
        return False
    running = {text for batch in _RUNNING for text in batch.texts}
    fresh = [text for text in _batchable([trial.new for trial in trials]) if text not in running]
    if len(fresh) >= 2:
        try:
            batch = _Batch(program, fresh)
        except OSError:
            return False
        _RUNNING.append(batch)
        running.update(fresh)
    return any(trial.new in running for trial in trials)


_MEMORY_FILE_SYSTEM = "/dev/shm"


def _scratch() -> str | None:
    """Where a batch's texts are written: the memory file system (``/dev/shm``) when there is
    one and ``TMPDIR`` names no other place; else tempfile's default directory. On a disk that
    other work keeps busy, creating 401 small files took 0.15-0.2 s of wall time (0.05 s CPU)
    against 0.01-0.1 s (0.013 s CPU) in /dev/shm (this project's 2-core machine, load ~10)."""
    if os.environ.get("TMPDIR") or not os.access(_MEMORY_FILE_SYSTEM, os.W_OK | os.X_OK):
        return None
    return _MEMORY_FILE_SYSTEM if os.path.isdir(_MEMORY_FILE_SYSTEM) else None


def _written(scratch: str | None, texts: list[str]) -> tuple[str, list[str]]:
    """A new directory (under ``scratch``, else tempfile's default place) holding each text as
    a file (text mode on purpose, see ``_Batch``): (its path, the files' paths). The directory
    is removed if one cannot be written.

    Made with ``mkdtemp`` and removed by ``_Batch`` itself, not a ``TemporaryDirectory``: the
    first ``weakref.finalize`` of a process registers an exit handler, and with one the run
    cannot end without the interpreter's teardown (``__main__.exit_now``): 100.5 M of the
    1,000-file Terraform tree's 3,115.2 M instructions (issue 18, thirteenth pass)."""
    import tempfile

    directory = tempfile.mkdtemp(prefix="pgconf-fix-fmt-", dir=scratch)
    names = []
    try:
        for index, text in enumerate(texts):
            name = os.path.join(directory, f"t{index}.tf")
            with open(name, "w") as handle:  # noqa: PTH123
                handle.write(text)
            names.append(name)
    except OSError:
        _remove(directory)
        raise
    return directory, names


def _remove(directory: str) -> None:
    """Remove a batch's directory and its files (what cannot be removed is left)."""
    import shutil

    shutil.rmtree(directory, ignore_errors=True)


def _fmt_batch(trials: list[Trial]) -> None:
    # The edited texts first: an original is asked about only when its edit is not fmt-clean
    # (see terraform_fmt_stable), which halves terraform's work on a round of clean fixes.
    terraform_fmt_many([trial.new for trial in trials])
    terraform_fmt_many([trial.old for trial in trials if trial.new not in _FORMATTED or _FORMATTED[trial.new] != trial.new])


@verifier(
    "terraform fmt would rewrite the edit", applies=lambda path: path.suffix == ".tf", costly=True, prepare=_fmt_batch,
    begin=begin_fmt, end=_abandon_batches,
)
def terraform_fmt_stable(trial: Trial) -> str | None:
    """Refuse an edit that ``terraform fmt`` would rewrite (or refuses), unless the original
    was not fmt-clean either (or terraform is not installed): nothing to keep then. The edited
    text is formatted first; a clean one passes whatever the original was, so the original is
    formatted only for an edit that is not clean."""
    formatted = terraform_fmt(trial.new)
    if formatted == trial.new or terraform_fmt(trial.old) != trial.old:
        return None
    if formatted is None:
        return "terraform fmt refuses the edited file"
    return "the edited lines are not laid out as terraform fmt lays them out"
