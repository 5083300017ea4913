"""Small made-up results for any thesis table, so its every format can be built in a test: for
each run the table names (``TableSpec.runs``) and each seed, an evaluation result per target, a
search's ``run.json`` and ``metrics.jsonl`` (probe scores), and the probe cells' ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from nasrepro.experiments.specs import TableSpec
from nasrepro.analysis.selection import selection_record
from nasrepro.jobs import PROBE_PREFIX, has_search, heldout_run, selected_retrain_seeds, selected_run
from nasrepro.layout import Layout
from tests.conftest import ROOT

PROBES = 4
# the data roles the default profile gives a stand-in (config/config.yaml; resolve.standins)
DEFAULT_STANDINS = {"cifar10": "digits", "cifar100": "two_digits", "ptb": "text_standin",
                    "wikitext2": "text_standin", "ImageNet16-120": "digit_numbers",
                    "imagenet": "digit_numbers"}
NOTE = ("Reproduced values: profile 'default', evaluation by retrain; data roles: cifar10 = digits "
        "(stand-in), cifar100 = two_digits (stand-in). Seeds [0, 1].")


def _write(path: Path, data) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def _final(spec: TableSpec, run: str, seed: int, target: str, shift: float = 0.0) -> dict:
    return {"space": spec.space, "run": run, "seed": seed, "target": target,
            "valid_acc": 90.0 + seed + shift, "test_acc": 91.0 + 2 * seed + shift,
            "test_top5_acc": 97.5 + seed / 10, "valid_ppl": 60.0 + seed,
            "test_ppl": 58.0 + seed, "params_m": 0.0248 + seed / 1000, "madds_m": 0.203}


def fake_results(spec: TableSpec, root: Path, seeds=(0,), wall_s: float = 2.2, runs=None,
                 targets=None) -> list[str]:
    """The files a table job reads, under ``root``, for ``runs`` (default: every run of ``spec``),
    ``seeds`` and evaluation ``targets`` (default: every target of ``spec``); a selecting table
    (``TableSpec.selects``) also each searched run's selected cell (the last seed's: the best
    valid_acc) and its one further retraining (test_acc 3 points higher)."""
    layout, files = Layout("test"), []
    for run in spec.runs(ROOT) if runs is None else runs:
        for seed in seeds:
            for target in spec.targets() if targets is None else targets:
                files.append(_write(root / layout.eval_file(spec.space, "d", run, seed, target,
                                                            "final.json"),
                                    _final(spec, run, seed, target)))
            search = root / layout.search_file(spec.space, "d", run, seed, "run.json")
            files.append(_write(search, {"wall_time_s": wall_s * (1 + seed), "memory": "single path",
                                         "config": {"space": spec.space, "run": run}}))
            files.append(_write(search.with_name("metrics.jsonl"), json.dumps(
                {"epoch": 1, "probe_valid": [float((i * (seed + 2)) % PROBES) for i in range(PROBES)]})
                + "\n"))
        if spec.selects and has_search(run):
            genotypes = [{"space": spec.space, "dataset": "d", "run": run, "method": run,
                          "seed": seed, "arch": f"cell-{seed}"} for seed in seeds]
            finals = [_final(spec, heldout_run(run), seed, "cifar10") for seed in seeds] \
                if len(seeds) > 1 else []
            files.append(_write(root / layout.selection(spec.space, "d", run),
                                selection_record(genotypes, finals, "valid_acc", True)))
            for extra in selected_retrain_seeds(list(seeds), 2):
                for target in spec.targets() if targets is None else targets:
                    final = _final(spec, selected_run(run), max(seeds), target, shift=3.0)
                    files.append(_write(root / layout.eval_file(
                        spec.space, "d", selected_run(run), extra, target, "final.json"),
                        {**final, "seed": extra}))
    for i in range(PROBES):
        files.append(_write(root / f"probe{i}.json", {
            "space": spec.space, "run": f"{PROBE_PREFIX}{i}", "seed": 0,
            "target": spec.probe_target or "cifar10", "valid_acc": 50.0 + i}))
    return files
