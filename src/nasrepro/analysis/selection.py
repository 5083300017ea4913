"""The thesis' selection of a DARTS-space row's cell (§3.4.2: "We conducted the architecture search
several times with different random seeds to obtain the architectures, and then retrained them to
pick the best architectures based on retraining validation performance"; §4.4.2 likewise; Table
3.1's note: "we trained our best-searched architecture with 3 different random seeds").

Each search's cell gets a held-out retraining (pseudo-run ``<run>-heldout``, seed = the search's
seed, ``selected_cell.epochs`` epochs: DARTS' short selection training): it trains on the search's
training half and is scored on its validation half (``data.protocols.HELDOUT``), never the test
set, and that "Valid" score (``valid_acc``) selects. The DARTS retraining itself has no held-out
split (it trains on the whole training set and scores its test set, as DARTS' ``train.py``), so
the selection cannot read it; ``selection_record`` refuses any other retraining.
The cell with the best score is selected (ties: the first search seed in order); one search has
nothing to select, and its cell is taken without a retraining. The record written (rule
``select_cell``) is a genotype record (space, run, seed, arch) plus the scores it was chosen by.
"""

from __future__ import annotations

from nasrepro.jobs import HELDOUT_PROTOCOL, heldout_run


def select(scores: dict[int, float], higher_is_better: bool = True) -> int:
    """The search seed whose cell scored best (``scores``: {search seed: held-out score}); ties go
    to the smallest seed."""
    if not scores:
        raise ValueError("no retraining scores to select a cell by")
    sign = 1.0 if higher_is_better else -1.0
    return min(scores, key=lambda seed: (-sign * scores[seed], seed))


def selection_record(genotypes: list[dict], finals: list[dict], field: str,
                     higher_is_better: bool) -> dict:
    """The selected cell's record from the searches' ``genotypes`` (``search/genotype.json``) and
    their retrainings' ``finals`` (``final.json`` on the search dataset; empty for one search)."""
    by_seed = {int(g["seed"]): g for g in genotypes}
    if len(by_seed) != len(genotypes):
        raise ValueError("two genotypes of one search seed among the selection's inputs")
    runs = {g["run"] for g in genotypes}
    foreign = sorted({f["run"] for f in finals} - {heldout_run(run) for run in runs})
    if foreign:
        raise ValueError(f"the selection reads held-out retrainings only ({heldout_run(min(runs))}), "
                         f"not {', '.join(foreign)}: a retraining under the DARTS protocol scores "
                         "the test set")
    scores = {int(f["seed"]): float(f[field]) for f in finals}
    if len(by_seed) > 1 and set(scores) != set(by_seed):
        raise ValueError(f"the retraining scores cover seeds {sorted(scores)}, the searches "
                         f"{sorted(by_seed)}: every search's cell must be retrained to select one")
    chosen = select(scores, higher_is_better) if len(by_seed) > 1 else next(iter(by_seed))
    record = {key: by_seed[chosen][key] for key in ("space", "dataset", "run", "method", "seed",
                                                    "arch")}
    targets = sorted({f["target"] for f in finals})
    record["selection"] = {"searches": sorted(by_seed), "scores": {str(s): scores[s] for s in
                                                                  sorted(scores)},
                           "field": field, "target": targets[0] if targets else None,
                           "protocol": HELDOUT_PROTOCOL if finals else None,
                           "higher_is_better": higher_is_better}
    return record
