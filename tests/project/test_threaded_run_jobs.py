"""profile/threaded_run_jobs.py: `run:` jobs in a thread of the Snakemake process. The real
pipeline's check is tests/report/test_card.py (the shared default run's card log says where the
card job ran)."""

from types import SimpleNamespace

from snakemake.executors.local import Executor as LocalExecutor

from nasrepro.profile import threaded_run_jobs


def test_install_sets_the_flag_that_snakemakes_local_executor_reads():
    # the attribute the pinned Snakemake's local executor decides by (run_single_job)
    assert "self.use_threads" in __import__("inspect").getsource(LocalExecutor.run_single_job)
    local, other = SimpleNamespace(use_threads=False), SimpleNamespace(use_threads=False)
    workflow = SimpleNamespace(scheduler=SimpleNamespace(_executor=local, _local_executor=None))
    assert threaded_run_jobs.install(workflow) is True and local.use_threads is True
    cluster = SimpleNamespace(scheduler=SimpleNamespace(_executor=object(), _local_executor=other))
    assert threaded_run_jobs.install(cluster) is True and other.use_threads is True


def test_install_without_a_scheduler_leaves_the_workflow_alone():
    assert threaded_run_jobs.install(SimpleNamespace()) is False
    assert threaded_run_jobs.install(SimpleNamespace(scheduler=SimpleNamespace())) is False
