"""``--jobs``: how many processes a check uses, and a forked process pool for the units that pay.

A check maps independent units over a standard-library ``ProcessPoolExecutor`` with the
``fork`` start method (the workers start with the parent's state: modules imported, files
read, the idle budget learned), in a fixed order, and merges the results in that order, so the
output is the same bytes as with one process. The units are a reader's groups
(``pgconf_fix.run.ReaderGroup``: a postgresql.conf tree, a Terraform directory, a Python
file) and the files whose fixes are vetted (``pgconf_fix.verify.vet_fixes``).

How many processes: ``--jobs N`` (N above 1: a pool wherever there are two units or more to
share, as asked), else the CPUs this process may run on (``os.sched_getaffinity``, which
``taskset`` and container CPU sets narrow; ``os.cpu_count`` where the platform has no
affinity), with one process (no pool, no fork) when the work is below a threshold measured
on this project's trees (``benchmarks/README.md``, "--jobs": on the 2-core machine this was
measured on, a pool was slower on every tree under its usual load, so the default threshold
is above any tree and the default is one process). ``--jobs 1`` and standard input are
always one process.

Two environment variables exist for tests and benchmarks, not for users:
``PGCONF_FIX_JOBS_FORCE=1`` uses the pool whenever more than one process is allowed and
there are two units or more, whatever the amount of work; ``PGCONF_FIX_JOBS_DEBUG=1``
prints one line a decision on standard error (``pgconf-fix jobs: ...``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pgconf_fix.source import UserError

FORCE_VARIABLE = "PGCONF_FIX_JOBS_FORCE"
DEBUG_VARIABLE = "PGCONF_FIX_JOBS_DEBUG"

# Work (bytes of the units' files, plus UNIT_BYTES a unit) below which the default (no
# --jobs) uses one process: forking the workers, copying pages the workers touch, pickling
# the results back and merging them cost more than they save below it. Measured in
# benchmarks/README.md ("--jobs"): a forced pool was 1.1-1.7 times slower than one process
# on every tree measured there (up to 1.4 MB of work in one decision) on the shared 2-core
# machine, so both are set above any tree; see there before lowering them.
BUILD_THRESHOLD = 1 << 62
VET_THRESHOLD = 1 << 62
UNIT_BYTES = 2048

# Chunks a worker gets, on average: a few, so that a slow chunk does not hold the others.
CHUNKS_PER_PROCESS = 4


class JobsError(UserError):
    """A worker process of the pool failed: it died (killed, out of memory) or raised an
    error of its own. The command prints it and exits 2."""


def affinity_cpus() -> int:
    """The number of CPUs this process may run on: ``os.sched_getaffinity(0)`` (Linux; narrowed
    by ``taskset``, cgroup CPU sets), else ``os.cpu_count()``, at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# Whether this invocation's --jobs was given (``configure``): a given N above 1 uses the pool
# wherever there are two units, whatever the threshold.
_GIVEN = False


def default_jobs(given: int | None) -> int:
    """``--jobs`` as given (at least 1), else ``affinity_cpus()``."""
    return max(1, given) if given is not None else affinity_cpus()


def configure(given: int | None) -> int:
    """Note whether ``--jobs`` was given for this invocation (``processes`` then ignores the
    threshold); returns ``default_jobs(given)``."""
    global _GIVEN
    _GIVEN = given is not None
    return default_jobs(given)


def processes(jobs: int, units: int, work: int, threshold: int, what: str = "") -> int:
    """How many processes to use for ``units`` independent units amounting to ``work`` (bytes
    plus UNIT_BYTES a unit): 1 when ``jobs`` is 1, when there are fewer than two units, or
    when ``work`` is below ``threshold`` (unless --jobs was given, ``configure``, or
    PGCONF_FIX_JOBS_FORCE is set); else ``min(jobs, units)``."""
    forced = _GIVEN or bool(os.environ.get(FORCE_VARIABLE))
    if jobs <= 1 or units < 2 or (work < threshold and not forced):
        chosen = 1
    else:
        chosen = min(jobs, units)
    if os.environ.get(DEBUG_VARIABLE):
        sys.stderr.write(f"pgconf-fix jobs: {what}: {units} units, {work} bytes of work, jobs {jobs}: {chosen} processes\n")
    return chosen


def chunks(weights: Sequence[int], count: int) -> list[list[int]]:
    """Indices ``0 .. len(weights)-1`` cut into at most ``count`` runs of consecutive indices
    of about equal total weight, in order (none empty)."""
    total = sum(weights) or 1
    cut: list[list[int]] = [[]]
    done = 0
    for index, weight in enumerate(weights):
        if cut[-1] and done >= total * len(cut) / count and len(cut) < count:
            cut.append([])
        cut[-1].append(index)
        done += weight
    return [chunk for chunk in cut if chunk]


# What the workers work on: set in the parent just before the pool forks them.
_CONTEXT: Any = None


def context() -> Any:
    """The object ``map_forked`` was given, as the worker sees it (its copy of the parent's)."""
    return _CONTEXT


def map_forked(function: Callable[[list[int]], Any], parts: list[list[int]], count: int, state: Any, what: str) -> list[Any]:
    """``[function(part) for part in parts]``, computed in ``count`` forked worker processes,
    in order. ``function`` must be a module-level function; it reads ``state`` through
    ``context()`` (the workers inherit it by fork, nothing of it is pickled) and returns a
    picklable result. Raises JobsError when a worker dies or ``function`` raises (after
    stopping the pool): ``what`` names the work in the message."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _CONTEXT
    _CONTEXT = state
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        # ``submit`` raises BrokenProcessPool too, when a worker started by an earlier submit
        # has already died: the same clear error as a result that cannot be had.
        try:
            futures = [pool.submit(function, part) for part in parts]
            return [future.result() for future in futures]
        except BrokenProcessPool:
            raise JobsError(
                f"a worker process died while {what} (killed, or out of memory?); run with --jobs 1"
            ) from None
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker's failure becomes a clear message
            raise JobsError(f"a worker process failed while {what}: {type(exc).__name__}: {exc}") from None
    finally:
        _CONTEXT = None
        pool.shutdown(wait=True, cancel_futures=True)
