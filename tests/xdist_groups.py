"""One pytest-xdist worker per shared session fixture.

The README test command runs on xdist workers (``-n auto --dist loadgroup``, pyproject.toml). A
session fixture is computed once in every worker that asks for it, so all tests that use one of
the expensive ones (``SHARED_FIXTURES``, or an explicit ``xdist_group`` mark for a test that asks
for one through ``request.getfixturevalue``) must run on the same worker. xdist's own
``loadgroup`` rewrites each test's node id with an ``@group`` suffix, which pytest 9 ignores (node
ids are derived from ``Node._id`` there), so every test was scheduled on its own and both workers
built the default slice (measured: 451 s and 445 s of fixture setup in one run). Here instead each
worker writes its tests' groups beside its temp folder, and the controller's scheduler
(xdist's ``LoadScopeScheduling``: one scope is one unit of work) takes a test's group as its scope.
Grouped tests are collected first, so the long groups start at once, one per worker.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nasrepro.utils.atomic import write_json

SHARED_FIXTURES = ("computed_default", "computed_rehearsal", "dry_runs")
_FILE = "xdist-groups-{worker}.json"


def group_of(item) -> str | None:
    """The shared fixture that ``item`` runs with, or None."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0])
    return next((name for name in SHARED_FIXTURES if name in getattr(item, "fixturenames", ())), None)


def order_and_record(config, items: list) -> None:
    """On a worker: grouped tests first (a stable sort, the same on every worker), and the groups
    written for the controller's scheduler."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    items.sort(key=lambda item: item.nodeid not in groups)
    write_json(Path(config.option.basetemp).parent / _FILE.format(worker=worker), groups)


def scope_of(config):
    """nodeid -> its scheduling scope: the group the workers recorded, else the test itself.
    Read once, when scheduling starts (after every worker has collected)."""
    groups: dict[str, str] = {}
    for path in sorted(config._tmp_path_factory.getbasetemp().glob(_FILE.format(worker="*"))):
        groups.update(json.loads(path.read_text()))
    return lambda nodeid: groups.get(nodeid, nodeid)


def make_scheduler(config, log):
    """``--dist loadgroup``: xdist's scope scheduling with the shared fixture as a test's scope."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        scope = None

        def _split_scope(self, nodeid: str) -> str:
            if self.scope is None:
                self.scope = scope_of(config)
            return self.scope(nodeid)

    return SharedFixtureScheduling(config, log)
