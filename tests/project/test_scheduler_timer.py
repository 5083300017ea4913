"""The Snakemake scheduler patch (nasrepro.profile.scheduler_timer): one re-evaluation timer
pending at a time, which still wakes the loop after every pass, and the patch reaches the pinned
Snakemake's JobScheduler."""

import threading

from nasrepro.profile import scheduler_timer
from tests.conftest import ROOT


class Loop:
    """What the patched method uses of a JobScheduler: the semaphore its loop waits on."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)


def _wakes(loop, within=10.0):  # generous: a loaded machine only delays a timer
    return loop._open_jobs.acquire(timeout=within)


def test_passes_woken_by_finished_jobs_do_not_add_timers():
    loop, before = Loop(), threading.active_count()
    for _ in range(50):  # fifty passes (fifty finished jobs) inside one timespan
        scheduler_timer._one_timer(loop, 0.2)
    assert threading.active_count() - before <= 1
    assert _wakes(loop)  # the pending timer wakes the loop once
    assert not _wakes(loop, within=0.6)  # and only once: no second chain


def test_the_pass_a_timer_wakes_starts_the_next_one():
    loop = Loop()
    scheduler_timer._one_timer(loop, 0.05)
    for _ in range(3):  # the rate limiter's guarantee: after any pass, a wake within the timespan
        assert _wakes(loop)
        scheduler_timer._one_timer(loop, 0.05)
    assert _wakes(loop)


def test_the_timer_does_not_hold_the_interpreter_at_exit():
    loop = Loop()
    scheduler_timer._one_timer(loop, 30.0)
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
    assert timers and all(t.daemon for t in timers)
    for timer in timers:
        timer.cancel()


def test_it_patches_the_pinned_snakemake_once():
    from snakemake.scheduling.job_scheduler import JobScheduler

    original = JobScheduler._schedule_reevalutation
    try:
        assert scheduler_timer.install() and scheduler_timer.install()
        assert JobScheduler._schedule_reevalutation is scheduler_timer._one_timer
    finally:
        JobScheduler._schedule_reevalutation = original
    assert "scheduler_timer.install()" in (ROOT / "Snakefile").read_text()  # in onstart
