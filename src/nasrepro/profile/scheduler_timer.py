"""One re-evaluation timer in Snakemake's job scheduler, not one per finished job.

Snakemake 9.27 (pinned) has a job rate limiter on by default (``--max-jobs-per-timespan``,
100/1s). After every pass of its scheduling loop it starts a ``threading.Timer`` that wakes the
loop again a second later (``JobScheduler._schedule_reevalutation``). A pass woken by that timer
starts the next one, which keeps one chain going; a pass woken by a finished job starts one
more, so after n finished jobs n chains wake the loop n times a second, and each pass checks the
inputs of every ready job and runs the job selector (the upstream report: snakemake/snakemake
pull request #3744, "Do not release lock when job finished"). Measured on the default profile
(2026-12-08, 2 cores, py-spy on the Snakemake process, 9.5 min into the run): 175 threads in the
Snakemake process, which took 28 % of a core, 90 s of CPU by then (docs/performance.md, "Default
pipeline").

``install`` replaces that method with one that keeps at most one timer pending: the loop is still
woken within the timespan after any pass (the rate limiter's guarantee), once. The timer is a
daemon thread, so Snakemake's exit does not wait for it. Installed by the Snakefile (driver side);
a Snakemake without the method is left alone (``install`` returns False).
"""

from __future__ import annotations

import threading

MARK = "_nasrepro_one_timer"  # set on the replacement, so a second install is a no-op


def _one_timer(self, delay) -> None:
    """``JobScheduler._schedule_reevalutation`` with at most one timer pending per scheduler."""
    if getattr(self, "_nasrepro_timer_pending", False):
        return
    self._nasrepro_timer_pending = True

    def wake():
        self._nasrepro_timer_pending = False  # before the release: the pass it wakes starts the next
        self._open_jobs.release()

    timer = threading.Timer(delay, wake)
    timer.daemon = True
    timer.start()


setattr(_one_timer, MARK, True)


def install() -> bool:
    """Patch Snakemake's scheduler (module docstring); True when the patch is in place."""
    try:
        from snakemake.scheduling.job_scheduler import JobScheduler
    except ImportError:
        return False
    current = getattr(JobScheduler, "_schedule_reevalutation", None)
    if current is None:
        return False
    if not getattr(current, MARK, False):
        JobScheduler._schedule_reevalutation = _one_timer
    return True
