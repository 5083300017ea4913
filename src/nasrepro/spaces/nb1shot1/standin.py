"""The default profile's stand-in for the NAS-Bench-101 table (offline: the real file cannot be
downloaded there).

Nothing is invented: every cell that the searches of the NAS-Bench-1Shot1 figures derived (their
per-epoch ``arch`` records), deduplicated by NAS-Bench-101 hash, is trained from scratch with the
space's retraining loop on the profile's search dataset (the digits stand-in), with the profile's
evaluation network and retraining settings and one seed; its final validation and test accuracy
fill a table in the converted benchmark's layout (one row per cell: ``repeat`` 0, ``epochs`` = the
retraining epochs, ``final_*`` fractions; ``final_train_accuracy`` is not measured: NaN). The
"best cell of the space" of the test regret is then the best of these cells, not of the space:
the figures say so. Finished cells are kept in ``state_dir`` (one JSON each), so an interrupted
job resumes.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nasrepro.spaces.nb1shot1.space import Nb1Shot1Arch
from nasrepro.utils.atomic import write_json

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build tables do
    import pandas as pd

log = logging.getLogger(__name__)


def derived_cells(metrics_files: list[str]) -> list[Nb1Shot1Arch]:
    """Every cell derived at the end of an epoch in these searches, one per NAS-Bench-101 hash
    (first seen first)."""
    from nasrepro.utils.atomic import read_jsonl

    cells: dict[str, Nb1Shot1Arch] = {}
    for path in sorted(metrics_files):
        for record in read_jsonl(path):
            arch = Nb1Shot1Arch.from_string(record["arch"])
            cells.setdefault(arch.nb101_hash(), arch)
    return list(cells.values())


def build_standin(cells: list[Nb1Shot1Arch], train_cell, state_dir: Path) -> pd.DataFrame:
    """The stand-in table of ``cells``; ``train_cell(arch) -> (records, params, epochs)`` trains
    one cell (``run_retrain`` records: ``valid_acc``/``test_acc`` in percent per epoch)."""
    import pandas as pd

    if not cells:
        raise ValueError("no derived cells: the stand-in NAS-Bench-101 table needs at least one search")
    state_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, arch in enumerate(cells):
        spec, cell = arch.nb101(), arch.nb101_hash()
        done = state_dir / f"{cell}.json"
        if not done.exists():
            began = time.time()
            records, params, epochs = train_cell(arch)
            write_json(done, {"valid": records[-1]["valid_acc"], "test": records[-1]["test_acc"],
                              "params": params, "epochs": epochs, "time": time.time() - began})
        result = json.loads(done.read_text())
        log.info("stand-in cell %d/%d %s: valid %.2f test %.2f", index + 1, len(cells), cell,
                 result["valid"], result["test"])
        rows.append({"index": index, "hash": cell, "epochs": int(result["epochs"]), "repeat": 0,
                     "adjacency": spec.flat_matrix(), "operations": ",".join(spec.ops),
                     "trainable_parameters": int(result["params"]),
                     "final_training_time": float(result["time"]),
                     "final_train_accuracy": math.nan,
                     "final_validation_accuracy": result["valid"] / 100.0,
                     "final_test_accuracy": result["test"] / 100.0})
    return pd.DataFrame(rows)
