"""Every row the default profile configures in every one of its tables gets a reproduced value
(issue 28 item 7: Tables 3.2 and 3.7 had none, the profile had no ImageNet data): each table is
built from made-up results for exactly what the profile plans it to read (its runs, seeds and
evaluation targets; searches and probe cells where the table reads them), and a row whose run
the profile configures must show at least one number of ours. The stand-ins the ImageNet roles
need are checked to build and train on the spaces that read them."""

import csv
import random
from pathlib import Path

import pytest
import torch
import yaml

from nasrepro.data.protocols import retrain_data
from nasrepro.layout import is_selection_file, parse_run_path
from nasrepro.profile import resolve, select
from nasrepro.registry import DATASETS, SPACES, TABLES
from nasrepro.report.table import build
from tests.conftest import ROOT
from tests.table_results import NOTE, fake_results

DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _planned(spec, files: list[str], root: Path) -> list[str]:
    """The made-up files the table rule of the default profile would read (common.smk,
    ``table_finals``): evaluations always, searches if the table reads them, probe cells'
    ground truth (``root/probe<i>.json``) if it ranks them, selected cells' records if it selects."""
    out = []
    for path in files:
        if Path(path).parent == root:
            keep = spec.probe_target is not None
        elif is_selection_file(path):
            keep = spec.selects
        else:
            keep = parse_run_path(path).kind != "search" or spec.needs_search
        if keep:
            out.append(path)
    return out


@pytest.mark.parametrize("table", list(DEFAULT["tables"]))
def test_every_configured_row_of_a_default_table_has_a_reproduced_value(table, tmp_path):
    spec = TABLES.get(table)
    runs = select.table_runs(DEFAULT, table)
    files = fake_results(spec, tmp_path, seeds=select.item_seeds(DEFAULT, "tables", table),
                         runs=runs, targets=select.table_targets(DEFAULT, table))
    rows = build(spec, spec.thesis_csv(ROOT), _planned(spec, files, tmp_path), NOTE,
                 select.extra_runs(DEFAULT, "tables", table))
    with open(spec.thesis_csv(ROOT), newline="") as handle:
        thesis = list(csv.DictReader(handle))
    configured = 0
    for source, row in zip(thesis, rows):
        cell_runs = {source.get(f"{c.key}_run") or source["run"] for c in spec.columns}
        if cell_runs & set(runs):
            configured += 1
            ours = [row[k] for k in row if k.endswith("_reproduced") and row[k] != ""]
            assert ours, f"{table}: row {row['Method']!r} (runs {sorted(cell_runs & set(runs))}) " \
                         "has no reproduced value in the default profile"
    assert configured or not runs, f"{table}: no row of the configured runs {runs}"


@pytest.mark.parametrize("space, target", [("nb201", "ImageNet16-120"), ("darts_cnn", "imagenet")])
def test_the_imagenet_standins_train_the_default_evaluation_networks(space, target):
    """One retraining step of the space's default evaluation network on the role's stand-in."""
    obj = SPACES.get(space)()
    spec = {"name": target, **DEFAULT["datasets"][target]}
    loader = DATASETS.get(spec["loader"])
    assert loader.standin and resolve.standins(DEFAULT)[target] == spec["loader"]
    bundle = loader.load(spec)
    net_cfg, _ = resolve.eval_settings(DEFAULT, space, target)
    torch.manual_seed(0)
    net = obj.build_network(obj.sample(random.Random(0)), bundle.shape, net_cfg)
    data = retrain_data(obj, target, bundle)
    x, y = next(iter(torch.utils.data.DataLoader(data.train, batch_size=8)))
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    assert torch.isfinite(loss) and net(x).shape == (8, bundle.num_classes)
