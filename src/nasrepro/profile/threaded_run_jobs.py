"""Snakemake's ``run:`` jobs in a thread of the Snakemake process, not in a Snakemake of their own.

Three rules of the workflow have a ``run:`` block, all local and short: ``card`` (a table's
evaluation card), ``cost_spec`` and ``claims_inputs`` (JSON lists of the files the cost table and
the claims read). Snakemake 9.27's local executor (pinned) runs such a job in a new Snakemake
process (``Executor.spawn_job``: ``--target-jobs ... --mode subprocess``) unless it was told to
use threads (``--force-use-threads``), and that process parses the workflow and resolves the
profile again before it runs the block: 7 s a card in the rehearsal, where the card itself takes
a fraction of a second, each holding a core that a search could use (docs/performance.md). Under
a cluster executor Snakemake already runs them in threads (its API forces ``use_threads`` when the
executor is not local), so this is the same code path on every executor.

``install(workflow)`` sets the local executor's flag; the Snakefile calls it from ``onstart``,
after the scheduler and its executors exist and before the first job. A workflow without them
is left alone (returns False).
"""

from __future__ import annotations


def install(workflow) -> bool:
    """Run ``run:`` jobs in threads (module docstring); True when every local executor does."""
    scheduler = getattr(workflow, "scheduler", None)
    executors = [getattr(scheduler, name, None) for name in ("_executor", "_local_executor")]
    local = [ex for ex in executors if ex is not None and hasattr(ex, "use_threads")]
    for executor in local:
        executor.use_threads = True
    return bool(local)
