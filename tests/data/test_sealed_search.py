"""Validation-only search (issue #29 item 3): a search job's data has its test splits sealed, so
no search-time decision of any method can read them (tests/methods/test_contract.py runs every
method x space on a sealed bundle); the search job itself hands the loop a sealed bundle."""

import pytest
import yaml

from nasrepro.cli import main
from nasrepro.data.base import SealedSplitRead
from nasrepro.jobs import to_json
from nasrepro.profile import resolve
from nasrepro.registry import DATASETS
from tests.conftest import ROOT


def test_a_search_bundle_refuses_its_test_splits_and_keeps_the_search_halves():
    bundle = DATASETS.get("digits").load({"split_seed": 0})
    sealed = bundle.for_search()
    for part in ("test",):
        with pytest.raises(SealedSplitRead, match=r"digits: a search read the `test` split; "
                                                  r"search-time decisions read the validation"):
            len(getattr(sealed, part))
        with pytest.raises(SealedSplitRead):
            getattr(sealed, part)[0]
    for part in ("search_train", "search_valid", "arch_train", "train"):
        assert getattr(sealed, part) is getattr(bundle, part)
    assert len(bundle.test) > 0  # the original is untouched


def test_the_search_job_gives_its_loop_the_sealed_bundle(tmp_path, monkeypatch):
    import nasrepro.train.search as search

    seen = {}

    def capture(method, bundle, *args, **kwargs):
        seen["bundle"] = bundle
        raise KeyboardInterrupt  # stop before any training

    monkeypatch.setattr(search, "run_search", capture)
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    dataset = {"name": "cifar10", **profile["datasets"]["cifar10"]}
    spec = to_json(resolve.search_job(profile, "nb201", dataset, "gdas", 0))
    with pytest.raises(KeyboardInterrupt):
        main(["search", "--spec", spec, "--out-dir", str(tmp_path)])
    with pytest.raises(SealedSplitRead):
        len(seen["bundle"].test)
    assert len(seen["bundle"].search_valid) > 0
