"""Device-built batches (``data.images``, the ``data_on_device`` setting): the same crop, flip,
Cutout and normalisation as the torchvision / ``Cutout`` path for the same random draws, every
example once per epoch in a seed-determined order, and a search on them reproducible."""

import random

import numpy as np
import pytest
import torch
from torch.utils.data import Subset, TensorDataset
from torchvision.transforms import functional as TF

from nasrepro.data.base import make_loader
from nasrepro.data.images import CutoutDataset, cutout_at
from nasrepro.data.images import DeviceImageBatches, ImageArrayDataset, augment, cutout

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def _images(n=20, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8), rng.integers(0, 10, n)


def test_batch_crop_and_flip_equal_torchvision_for_the_same_offsets():
    images, _ = _images()
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    gen = torch.Generator().manual_seed(1)
    offsets = torch.randint(0, 9, (len(x), 2), generator=gen)
    flips = torch.rand(len(x), generator=gen) < 0.5
    out = augment(x, 4, offsets, flips)
    for i in range(len(x)):
        expected = TF.crop(TF.pad(x[i], [4]), int(offsets[i, 0]), int(offsets[i, 1]), 8, 8)
        if flips[i]:
            expected = TF.hflip(expected)
        assert torch.equal(out[i], expected), i
    assert flips.any() and not flips.all()


def test_batch_cutout_equals_cutout_at_per_image():
    x = torch.randn(12, 3, 9, 9)
    centres = torch.stack([torch.arange(12) % 9, (torch.arange(12) * 5) % 9], 1)
    out = cutout(x, 5, centres)
    for i in range(12):
        assert torch.equal(out[i], cutout_at(x[i], 5, int(centres[i, 0]), int(centres[i, 1])))


def test_plain_device_batches_equal_the_dataloader_batches_exactly():
    images, labels = _images()
    plain = Subset(ImageArrayDataset(images, labels, MEAN, STD, None), list(range(3, 17)))
    on_device = list(make_loader(plain, 5, False, 0, device=torch.device("cpu")))
    loader = list(make_loader(plain, 5, False, 0))
    assert [len(y) for _, y in on_device] == [5, 5, 4]
    for (xd, yd), (xl, yl) in zip(on_device, loader):
        assert torch.equal(yd, yl) and torch.allclose(xd, xl, atol=1e-6)


def test_augmented_epoch_covers_every_example_once_in_a_seeded_order():
    images, _ = _images(n=23)
    labels = np.arange(23)  # label = index: the epoch's order is readable from the labels
    data = Subset(ImageArrayDataset(images, labels, MEAN, STD, 4), list(range(1, 23)))
    batches = make_loader(data, 6, True, seed=7, device=torch.device("cpu"))
    assert isinstance(batches, DeviceImageBatches) and len(batches) == 4
    order = torch.cat([y for _, y in batches]).tolist()
    assert sorted(order) == list(range(1, 23)) and order != sorted(order)
    assert torch.cat([y for _, y in batches]).tolist() == order  # a new pass repeats the epoch
    other = torch.cat([y for _, y in make_loader(data, 6, True, seed=8, device="cpu")]).tolist()
    assert other != order
    dropped = make_loader(data, 6, True, seed=7, drop_last=True, device=torch.device("cpu"))
    assert len(dropped) == 3 and sum(len(y) for _, y in dropped) == 18
    x, _ = next(iter(batches))
    assert x.shape == (6, 3, 8, 8) and x.dtype == torch.float32
    # padding pixels normalise to -mean/std: crops with an offset other than 4 show them
    edge = -torch.tensor(MEAN) / torch.tensor(STD)
    assert any(torch.allclose(x[i, :, 0, :].mean(-1), edge, atol=1e-5) or
               torch.allclose(x[i, :, :, 0].mean(-1), edge, atol=1e-5) for i in range(6))


def test_cutout_and_tensor_datasets_and_text_fallback():
    x, y = torch.randn(10, 1, 6, 6) + 5.0, torch.arange(10)
    data = CutoutDataset(TensorDataset(x, y), 4)
    batches = list(make_loader(data, 10, False, 0, device=torch.device("cpu")))
    (xb, yb), = batches
    assert torch.equal(yb, y)
    zeroed = (xb == 0).flatten(1).sum(1)
    assert bool((zeroed >= 4).all()) and bool((zeroed <= 16).all())  # a clipped 4x4 square each
    assert torch.equal(xb[xb != 0], x[xb != 0])

    class Text(TensorDataset):
        sequential = True

    loader = make_loader(Text(torch.arange(12).view(12, 1)), 3, True, 0, device=torch.device("cpu"))
    assert not isinstance(loader, DeviceImageBatches)


def test_search_on_device_built_batches_is_reproducible(tmp_path):
    from nasrepro.methods.base import SearchContext
    from nasrepro.params import build_config
    from nasrepro.registry import METHODS
    from nasrepro.train.search import run_search
    from tests.planted import PlantedSpace, planted_bundle

    def search(folder):
        torch.manual_seed(0)
        space, bundle = PlantedSpace(), planted_bundle(n=96)
        cls = METHODS.get("gdas")
        method = cls(SearchContext(space, space.build_supernet(bundle.shape, {}),
                                   build_config(cls.Config, {"epochs": 2, "batch_size": 32}, "gdas"),
                                   torch.device("cpu"), random.Random(0)))
        return run_search(method, bundle, 0, tmp_path / folder, "f", eval_batches=1,
                          data_on_device=True).records

    first, second = search("a"), search("b")
    assert [r["steps"] for r in first] == [3, 3]
    for a, b in zip(first, second):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=0) and a["arch"] == b["arch"]
    assert all(isinstance(r["train_loss"], float) for r in first)
