"""bench/bench_author.py, the harness that times the thesis author's released steps (issue #23):
the parts that decide what is timed and what runs, on stand-ins (the author's code itself lives
outside the project and is not needed here)."""

import importlib.util
import sys

import pytest

from tests.conftest import ROOT


def _harness():
    spec = importlib.util.spec_from_file_location("bench_author", ROOT / "bench" / "bench_author.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_step_is_the_loops_time_between_two_batches_and_inner_draws_are_untimed(monkeypatch):
    """The loop's own iteration is stamped (a step = from taking batch k to asking for k + 1);
    an iter() inside a step (iDARTS' next(iter(xloader))) draws another batch, unstamped."""
    harness = _harness()
    clock = iter(range(100))
    monkeypatch.setattr(harness.time, "perf_counter", lambda: float(next(clock)))
    made = []
    loader = harness.Loader(3, lambda: made.append(1) or len(made))
    seen = []
    for batch in loader:
        seen.append(batch)
        seen.append(next(iter(loader)))              # an inner draw: a fresh batch, no stamp
    assert seen == [1, 2, 3, 4, 5, 6] and len(loader) == harness.LOADER_LEN
    assert len(loader.exit) == 3 and len(loader.enter) == 4
    assert loader.durations() == [loader.enter[k + 1] - loader.exit[k] for k in range(3)]
    assert all(d == 1.0 for d in loader.durations())  # exit k and enter k + 1 are adjacent ticks


def test_a_patch_applies_exactly_as_often_as_stated_or_the_run_stops():
    harness = _harness()
    patches = [("x.py", "view(-1)", "reshape(-1)", 2, "why"), (3, "a", "b", 1, "why")]
    assert harness.patched("a.view(-1) + b.view(-1)", "x.py", patches) == "a.reshape(-1) + b.reshape(-1)"
    assert harness.patched("a", 3, patches) == "b"
    assert harness.patched("unrelated", "y.py", patches) == "unrelated"   # other targets untouched
    with pytest.raises(SystemExit, match="occurs 1 times, expected 2"):
        harness.patched("a.view(-1)", "x.py", patches)


def test_patched_files_are_imported_patched_and_left_unchanged_on_disk(tmp_path, monkeypatch):
    harness = _harness()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    source = "VALUE = 'old'\n"
    (tmp_path / "pkg" / "mod.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = list(sys.meta_path)
    try:
        harness.install_patches(tmp_path, [("pkg/mod.py", "'old'", "'new'", 1, "why")])
        from pkg import mod  # noqa: PLC0415
        assert mod.VALUE == "new"
    finally:
        sys.meta_path[:] = before
        for name in ("pkg", "pkg.mod"):
            sys.modules.pop(name, None)
    assert (tmp_path / "pkg" / "mod.py").read_text() == source
