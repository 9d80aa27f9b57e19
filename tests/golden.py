"""Record everything pgconf-fix prints and writes over the fixture corpus, and compare two records.

A development tool for refactors that must not change behaviour (issue 12)::

    PYTHONPATH=<tree A> python tests/golden.py record OUT_A
    PYTHONPATH=<tree B> python tests/golden.py record OUT_B
    python tests/golden.py compare OUT_A OUT_B     # prints differences, exit 1 if any

``record`` runs the ``pgconf_fix`` found on ``sys.path`` (so the same script records any
checkout) in-process, once per case and mode, each run in a fresh copy of the case's
``before/`` tree. Cases are every ``tests/fixtures/<layer>/<case>/`` (with its ``args``
file, default ``.``) and ``examples/`` (run as ``examples/`` from its parent). Modes:

- ``text``, ``json``, ``sarif``, ``github``: ``--format F`` (``--show-fixes`` for text too);
- ``diff``: ``--diff``;
- ``write`` and ``write-unsafe``: ``--write`` / ``--write --unsafe-fixes``, then the
  resulting tree (every file's path, mode and exact bytes);
- ``rules``: ``--list-rules`` and ``--explain`` of every listed code, once per record.

Each run is stored as one file ``OUT/<case>/<mode>.txt`` holding the exit status, stdout
and stderr (the temporary directory's path replaced by ``<work>``, the github format's random
``::stop-commands::`` token by ``<token>``). ``compare`` walks both
directories and prints a unified diff of every file that differs or exists on one side.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MODES: dict[str, list[str]] = {
    "text": ["--show-fixes"],
    "json": ["--format", "json"],
    "sarif": ["--format", "sarif"],
    "github": ["--format", "github"],
    "diff": ["--diff"],
    "write": ["--write"],
    "write-unsafe": ["--write", "--unsafe-fixes"],
}
WRITE_MODES = ("write", "write-unsafe")


def cases(corpus: Path) -> list[tuple[str, Path, list[str]]]:
    """``(case id, tree to copy, arguments)`` for each fixture case and for examples/.

    A fixture case's tree is its ``before/`` directory, run from inside the copy; the
    examples are copied as ``examples/`` and run from the copy's parent as ``examples/``.
    """
    found: list[tuple[str, Path, list[str]]] = []
    for before in sorted((corpus / "tests" / "fixtures").glob("*/*/before")):
        case = before.parent
        args_file = case / "args"
        args = args_file.read_text().split() if args_file.exists() else ["."]
        found.append((f"{case.parent.name}/{case.name}", before, args))
    if (corpus / "examples").is_dir():
        found.append(("examples", corpus / "examples", ["examples/"]))
    return found


def run_cli(args: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """Run ``pgconf_fix.cli.main(args)`` in ``cwd`` with captured streams: (exit, stdout, stderr)."""
    from pgconf_fix.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr, os.getcwd()
    wrappers = (
        io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    sys.stdin, sys.stdout, sys.stderr = wrappers
    try:
        os.chdir(cwd)
        try:
            code = main(args)
        except SystemExit as stop:  # click's standalone exits
            code = stop.code if isinstance(stop.code, int) else 1
        except Exception as error:  # noqa: BLE001 - a traceback is an outcome to record too
            code = -1
            err.write(f"EXCEPTION {type(error).__name__}: {error}\n".encode())
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.chdir(saved[3])
    for wrapper in wrappers:
        wrapper.detach()
    return code, out.getvalue(), err.getvalue()


def tree_dump(root: Path) -> bytes:
    """Every file under root, sorted: ``== path mode`` then its bytes, as one byte string."""
    parts: list[bytes] = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            parts.append(f"== {path.relative_to(root).as_posix()} -> {os.readlink(path)}\n".encode())
        elif path.is_file():
            mode = oct(path.stat().st_mode & 0o777)
            parts.append(f"== {path.relative_to(root).as_posix()} {mode}\n".encode())
            parts.append(path.read_bytes())
            parts.append(b"\n")
    return b"".join(parts)


def _outcome(code: int, stdout: bytes, stderr: bytes, work: Path) -> bytes:
    text = b"exit: %d\n--- stdout\n%s\n--- stderr\n%s\n" % (code, stdout, stderr)
    # The github format pauses workflow commands with a random token; it differs every run.
    for token in set(re.findall(rb"::stop-commands::([0-9a-f]+)", text)):
        text = text.replace(token, b"<token>")
    for spelling in {str(work), str(work.resolve())}:
        text = text.replace(spelling.encode(), b"<work>")
    return text


def record(out: Path, corpus: Path, only: str | None = None, extra: tuple[str, ...] = ()) -> int:
    """Record every case and mode under ``out`` (``extra`` arguments added to each run, e.g.
    ``--select PGF301``); returns the number of runs."""
    os.environ.pop("GITHUB_STEP_SUMMARY", None)
    os.environ["NO_COLOR"] = "1"
    runs = 0
    with tempfile.TemporaryDirectory(prefix="pgconf-golden-") as scratch:
        base = Path(scratch)
        for case_id, source, args in cases(corpus):
            if only and only not in case_id:
                continue
            target = out / case_id
            target.mkdir(parents=True, exist_ok=True)
            for mode, flags in MODES.items():
                work = base / f"run{runs}"
                work.mkdir()
                if case_id == "examples":
                    shutil.copytree(source, work / "examples", symlinks=True)
                else:
                    shutil.copytree(source, work / "tree", symlinks=True)
                    work = work / "tree"
                code, stdout, stderr = run_cli([*flags, *extra, *args], work)
                result = _outcome(code, stdout, stderr, work)
                if mode in WRITE_MODES:
                    result += b"--- tree\n" + tree_dump(work)
                (target / f"{mode}.txt").write_bytes(result)
                runs += 1
                shutil.rmtree(base / f"run{runs - 1}")
        rules_dir = out / "_rules"
        rules_dir.mkdir(parents=True, exist_ok=True)
        code, listing, stderr = run_cli(["--list-rules"], base)
        (rules_dir / "list.txt").write_bytes(_outcome(code, listing, stderr, base))
        runs += 1
        for line in listing.decode().splitlines():
            code_name = line.split()[0] if line.strip() else ""
            if code_name.startswith("PGF"):
                outcome = run_cli(["--explain", code_name], base)
                (rules_dir / f"{code_name}.txt").write_bytes(_outcome(*outcome, base))
                runs += 1
    return runs


def compare(left: Path, right: Path) -> int:
    """Print a unified diff for each recorded file that differs; returns how many differ."""
    names = {p.relative_to(left).as_posix() for p in left.rglob("*.txt")}
    names |= {p.relative_to(right).as_posix() for p in right.rglob("*.txt")}
    differing = 0
    for name in sorted(names):
        a, b = left / name, right / name
        if not a.exists() or not b.exists():
            differing += 1
            print(f"only in {a.parent.parent if a.exists() else b.parent.parent}: {name}")
            continue
        data_a, data_b = a.read_bytes(), b.read_bytes()
        if data_a == data_b:
            continue
        differing += 1
        lines_a = data_a.decode("utf-8", "replace").splitlines(keepends=True)
        lines_b = data_b.decode("utf-8", "replace").splitlines(keepends=True)
        diff = difflib.unified_diff(lines_a, lines_b, f"{left.name}/{name}", f"{right.name}/{name}")
        sys.stdout.writelines(line if line.endswith("\n") else line + "\n" for line in diff)
        if data_a.decode("utf-8", "replace") == data_b.decode("utf-8", "replace"):
            print(f"{name}: bytes differ outside UTF-8 text")
    print(f"{len(names)} recorded outputs, {differing} differ")
    return differing


def main(argv: list[str] | None = None) -> int:
    """``record OUT [--corpus DIR] [--only SUBSTRING]`` or ``compare A B``; exit 1 on differences."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record the outputs of the pgconf_fix on sys.path")
    rec.add_argument("out", type=Path)
    rec.add_argument("--corpus", type=Path, default=REPO, help="tree holding tests/fixtures and examples")
    rec.add_argument("--only", help="only cases whose id contains this text")
    rec.add_argument("--extra", default="", help="arguments added to every run, e.g. '--select PGF301'")
    cmp = sub.add_parser("compare", help="diff two records")
    cmp.add_argument("left", type=Path)
    cmp.add_argument("right", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        if args.out.exists() and any(args.out.iterdir()):
            parser.error(f"{args.out} is not empty")
        import pgconf_fix

        runs = record(args.out, args.corpus.resolve(), args.only, tuple(args.extra.split()))
        print(f"recorded {runs} runs of {Path(pgconf_fix.__file__).parent} into {args.out}")
        return 0
    return 1 if compare(args.left, args.right) else 0


if __name__ == "__main__":
    sys.exit(main())
