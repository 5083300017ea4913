"""The best cell over all epochs of a search (Table 4.2's "Best" column).

The thesis reports "the test accuracy of the best architecture over all iterations" without saying
how that architecture is chosen. Here it is chosen without test labels, from the search's own
per-epoch records (``search/metrics.jsonl``): the epoch's derived cell (``arch``) whose
inherited-weight validation score (``derived_valid``) is best in the task's direction; ties go to
the later epoch (the longer-trained supernet). The chosen cell is evaluated like a found cell,
as pseudo-run ``<run>-best`` (``jobs.BEST_SUFFIX``; rule ``best_cell``).
"""

from __future__ import annotations


def best_epoch(records: list[dict], higher_is_better: bool = True) -> dict:
    """The per-epoch record whose ``derived_valid`` is best (ties: the later epoch)."""
    if not records:
        raise ValueError("no per-epoch search records: the search has not finished an epoch")
    sign = 1.0 if higher_is_better else -1.0
    return max(reversed(records), key=lambda r: sign * float(r["derived_valid"]))
