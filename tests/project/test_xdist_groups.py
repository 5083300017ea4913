"""tests/xdist_groups.py: the tests that share an expensive session fixture are one unit of work
for the xdist scheduler (the README test command's two workers must not both build it)."""

import json
from types import SimpleNamespace

from tests import xdist_groups


def _item(nodeid, fixtures=(), mark=None):
    marker = SimpleNamespace(args=(mark,)) if mark else None
    return SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures),
                           get_closest_marker=lambda name: marker if name == "xdist_group" else None)


def test_a_worker_puts_grouped_tests_first_and_records_their_groups(tmp_path, monkeypatch):
    items = [_item("a"), _item("b", ["tmp_path", "computed_default"]), _item("c", ["dry_runs"]),
             _item("d", ["computed_rehearsal", "dry_runs"]), _item("e", mark="computed_rehearsal"),
             _item("f")]
    config = SimpleNamespace(option=SimpleNamespace(basetemp=str(tmp_path / "popen-gw1")))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    xdist_groups.order_and_record(config, items)
    assert [i.nodeid for i in items] == ["b", "c", "d", "e", "a", "f"]  # stable within each part
    assert json.loads((tmp_path / "xdist-groups-gw1.json").read_text()) == {
        "b": "computed_default", "c": "dry_runs", "d": "computed_rehearsal",
        "e": "computed_rehearsal"}


def test_the_controller_schedules_a_group_as_one_scope(tmp_path):
    for worker, groups in (("gw0", {"t.py::x": "computed_default"}), ("gw1", {"t.py::z": "dry_runs"})):
        (tmp_path / f"xdist-groups-{worker}.json").write_text(json.dumps(groups))
    config = SimpleNamespace(_tmp_path_factory=SimpleNamespace(getbasetemp=lambda: tmp_path))
    scope = xdist_groups.scope_of(config)
    assert [scope(n) for n in ("t.py::x", "t.py::y", "t.py::z")] == [
        "computed_default", "t.py::y", "dry_runs"]
