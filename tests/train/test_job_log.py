"""A job's log across attempts (``nasrepro.cli``): appended, one marker line opening each attempt,
and the lines of a killed attempt kept even though Snakemake deletes a job's declared log before
it starts the job again (the hidden ``.<log>.unfinished`` copy). The real kill under Snakemake is
tests/workflow/test_faults.py::test_job_killed_at_a_random_point_resumes_to_the_same_result."""

import logging
from types import SimpleNamespace

import pytest

from nasrepro import cli


@pytest.fixture
def root_handlers():
    """Give the root logger back its handlers (pytest's) after the test."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in saved:
            handler.close()
    root.handlers[:], root.level = saved, level


def attempt(log_file, *lines, succeed: bool):
    """One job attempt as ``cli.main`` runs it: open the log, log ``lines``, then succeed
    (``_finish_log``) or die (a kill runs no clean-up: the handlers are just dropped)."""
    args = SimpleNamespace(log=str(log_file), verbose=False)
    cli._configure_logging(args)
    for line in lines:
        logging.getLogger("nasrepro.test").info(line)
    if succeed:
        cli._finish_log(args)
    for handler in logging.getLogger().handlers:
        handler.close()


def markers(text):
    return [line for line in text.splitlines() if line.startswith(cli.MARKER)]


def test_a_killed_attempt_keeps_its_lines_when_snakemake_deleted_the_log(tmp_path, root_handlers):
    log_file = tmp_path / "logs" / "seed0.log"
    attempt(log_file, "epoch 1/4 first", "epoch 2/4 first", succeed=False)
    copy = cli.unfinished_copy(log_file)
    assert copy.name == ".seed0.log.unfinished" and copy.read_text() == log_file.read_text()
    log_file.unlink()  # what Snakemake does before it reruns the job
    attempt(log_file, "resuming from _state at epoch 3/4", "epoch 3/4 second", succeed=True)
    text = log_file.read_text()
    first, second = markers(text)
    assert first.endswith(", attempt 1 ----") and "earlier" not in first
    assert ", attempt 2: the lines above are from earlier attempts" in second
    order = [text.index(s) for s in (first, "epoch 1/4 first", "epoch 2/4 first", second,
                                     "resuming from", "epoch 3/4 second")]
    assert order == sorted(order)
    assert not copy.exists(), "a job that succeeded leaves no unfinished copy"


def test_a_log_still_there_is_appended_to_not_overwritten(tmp_path, root_handlers):
    log_file = tmp_path / "job.log"
    attempt(log_file, "first attempt", succeed=False)
    attempt(log_file, "second attempt", succeed=False)  # the log was not deleted (no Snakemake)
    attempt(log_file, "third attempt", succeed=True)
    text = log_file.read_text()
    assert [m.split(", attempt ")[1][0] for m in markers(text)] == ["1", "2", "3"]
    assert text.count("first attempt") == 1 and "second attempt" in text and "third attempt" in text


def test_a_new_job_after_a_success_starts_a_fresh_log(tmp_path, root_handlers):
    log_file = tmp_path / "job.log"
    attempt(log_file, "earlier run", succeed=True)
    log_file.unlink()  # Snakemake reruns a finished job (its config changed)
    attempt(log_file, "new run", succeed=True)
    text = log_file.read_text()
    assert "earlier run" not in text and len(markers(text)) == 1


def test_a_line_cut_off_by_the_kill_does_not_swallow_the_marker(tmp_path, root_handlers):
    log_file = tmp_path / "job.log"
    attempt(log_file, succeed=False)
    for path in (log_file, cli.unfinished_copy(log_file)):
        with open(path, "a") as handle:
            handle.write("2026-12-07 05:00:00 INFO nasrepro: half a li")
    log_file.unlink()
    attempt(log_file, succeed=True)
    assert len(markers(log_file.read_text())) == 2
