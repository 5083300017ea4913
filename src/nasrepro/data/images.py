"""Image arrays (N x H x W x C, uint8) as datasets with NAS-Bench-201's training augmentation
(random crop after zero padding by ``pad`` pixels, random horizontal flip; then scaling to [0, 1]
and per-channel normalisation), served two ways:

- ``ImageArrayDataset``: one image at a time through torchvision's transforms, for the
  ``DataLoader`` path (the default; worker processes with ``workers > 0``);
- ``DeviceImageBatches``: the whole split kept once as uint8 on the device and every batch built
  there (gather, pad, crop, flip, normalise as tensor operations): no workers, no per-image Python,
  no host synchronisation (the epoch's order, crop offsets and flips are drawn on the CPU when the
  epoch starts and copied once). The ``data_on_device`` setting selects it (``make_loader``).

Both apply the same transformation to an image for the same crop offset and flip
(``tests/data/test_device_data.py`` checks it against torchvision); they draw the offsets from
different random streams, so a run on device-built batches is not bitwise the run on the
``DataLoader`` path, only the same in distribution.

The retraining augmentation Cutout (``Cutout``, ``CutoutDataset``; batched in ``cutout``) lives
here too: every image augmentation of the project is in this module.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import Dataset, Subset, TensorDataset


class ImageArrayDataset(Dataset):
    """``images[i]`` (H x W x C uint8) as a normalised C x H x W float tensor, augmented when
    ``pad`` is set (``RandomCrop(H, padding=pad)`` + ``RandomHorizontalFlip``)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mean, std, pad: int | None):
        self.images, self.labels = images, labels
        self.mean, self.std, self.pad = tuple(mean), tuple(std), pad
        from torchvision import transforms as T

        steps = [T.ToPILImage()]
        if pad:
            steps += [T.RandomCrop(images.shape[1:3], padding=pad), T.RandomHorizontalFlip()]
        self.transform = T.Compose(steps + [T.ToTensor(), T.Normalize(self.mean, self.std)])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), int(self.labels[i])


# (id of the source array, device) -> (the source itself, images, labels): holding the source
# keeps its id from being reused by another array while the entry exists
_RESIDENT: dict[tuple[int, str], tuple[object, torch.Tensor, torch.Tensor]] = {}


def cutout_at(x: torch.Tensor, length: int, cy: int, cx: int) -> torch.Tensor:
    """A copy of ``x`` (... x H x W) with the ``length`` x ``length`` square centred at (cy, cx)
    zeroed, clipped at the border: rows ``cy - length // 2`` to ``cy + length // 2`` (exclusive),
    as DARTS' ``Cutout`` (so an odd ``length`` zeroes ``length - 1`` rows)."""
    h, w = x.shape[-2:]
    half = int(length) // 2
    x = x.clone()
    x[..., max(0, cy - half):min(h, cy + half), max(0, cx - half):min(w, cx + half)] = 0
    return x


class Cutout:
    """Cutout (DeVries & Taylor 2017) as a transform on image tensors (C x H x W, after
    normalisation, as in DARTS' pipeline): the centre is a uniformly random pixel drawn from
    torch's global RNG, so ``torch.manual_seed`` makes it reproducible."""

    def __init__(self, length: int):
        self.length = int(length)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        cy, cx = int(torch.randint(h, ())), int(torch.randint(w, ()))
        return cutout_at(x, self.length, cy, cx)

    def __repr__(self) -> str:
        return f"Cutout(length={self.length})"


class CutoutDataset(Dataset):
    """A dataset of (image tensor, label) with ``Cutout(length)`` applied to every image drawn
    (e.g. the retraining set; works for the digits tensors and the CIFAR transform output)."""

    def __init__(self, dataset: Dataset, length: int):
        self.dataset, self.length = dataset, int(length)
        self.cutout = Cutout(length)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i):
        x, y = self.dataset[i]
        return self.cutout(x), y


def _resident(dataset, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(images N x C x H x W uint8 or float, labels) of ``dataset`` on ``device``, copied once
    per process and shared by every split that views the same arrays."""
    source = dataset.images if isinstance(dataset, ImageArrayDataset) else dataset.tensors[0]
    key = (id(source), str(device))
    if key not in _RESIDENT or _RESIDENT[key][0] is not source:
        if isinstance(dataset, ImageArrayDataset):
            images = torch.from_numpy(np.ascontiguousarray(dataset.images)).permute(0, 3, 1, 2)
            labels = torch.from_numpy(np.asarray(dataset.labels, dtype=np.int64))
        else:
            images, labels = dataset.tensors[0], dataset.tensors[1].long()
        _RESIDENT[key] = (source, images.contiguous().to(device), labels.to(device))
    return _RESIDENT[key][1:]


def device_batches(dataset: Dataset, batch_size: int, shuffle: bool, seed: int,
                   device: torch.device, drop_last: bool = False) -> "DeviceImageBatches | None":
    """Device-built batches of ``dataset`` (an ``ImageArrayDataset`` or a ``TensorDataset``, or a
    ``Subset`` of one, possibly inside a ``CutoutDataset``), or None for other datasets (they keep
    the ``DataLoader`` path)."""
    indices, cutout = None, 0
    if isinstance(dataset, CutoutDataset):
        dataset, cutout = dataset.dataset, dataset.length
    if isinstance(dataset, Subset):
        dataset, indices = dataset.dataset, list(dataset.indices)
    if not isinstance(dataset, (ImageArrayDataset, TensorDataset)):
        return None
    return DeviceImageBatches(dataset, indices, batch_size, shuffle, seed, torch.device(device),
                              drop_last, cutout)


class DeviceImageBatches:
    """One epoch of batches built on ``device`` (module docstring); iterate it once per epoch
    (a new iteration repeats the epoch: the order depends only on ``seed``, as ``make_loader``'s)."""

    def __init__(self, dataset, indices: list[int] | None, batch_size: int, shuffle: bool,
                 seed: int, device: torch.device, drop_last: bool, cutout: int = 0):
        self.images, self.labels = _resident(dataset, device)
        self.device = device
        n = len(indices) if indices is not None else len(self.labels)
        self.indices = (torch.tensor(indices, dtype=torch.long, device=device)
                        if indices is not None else None)
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, int(seed)
        self.drop_last, self.cutout = drop_last, int(cutout)
        self.pad = getattr(dataset, "pad", None)
        if isinstance(dataset, ImageArrayDataset):
            shape = (1, -1, 1, 1)
            self.mean = torch.tensor(dataset.mean, device=device).view(shape)
            self.std = torch.tensor(dataset.std, device=device).view(shape)
        else:
            self.mean = self.std = None  # a TensorDataset holds its examples ready to use

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)

    def __iter__(self):
        gen = torch.Generator().manual_seed(self.seed)
        order = torch.randperm(self.n, generator=gen) if self.shuffle else torch.arange(self.n)
        if self.pad:
            offsets = torch.randint(0, 2 * self.pad + 1, (self.n, 2), generator=gen)
            flips = torch.rand(self.n, generator=gen) < 0.5
            offsets, flips = offsets.to(self.device), flips.to(self.device)
        if self.cutout:  # centres uniform over the pixels, as ``Cutout``
            h, w = self.images.shape[-2:]
            centres = torch.stack([torch.randint(0, h, (self.n,), generator=gen),
                                   torch.randint(0, w, (self.n,), generator=gen)], 1).to(self.device)
        order = order.to(self.device)
        for b in range(len(self)):
            at = order[b * self.batch_size:(b + 1) * self.batch_size]
            rows = self.indices[at] if self.indices is not None else at
            x, y = self.images[rows], self.labels[rows]
            if self.pad:
                x = augment(x, self.pad, offsets[at], flips[at])
            if self.mean is not None:
                x = (x.float().div(255) - self.mean) / self.std
            if self.cutout:
                x = cutout(x, self.cutout, centres[at])
            yield x, y


def augment(images: torch.Tensor, pad: int, offsets: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """Batch crop-and-flip: image i (C x H x W) zero-padded by ``pad``, cropped to H x W at
    (top, left) = ``offsets[i]``, mirrored left-right where ``flips[i]``."""
    b, _, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad))
    rows = offsets[:, 0:1] + torch.arange(h, device=images.device)       # B x H
    cols = offsets[:, 1:2] + torch.arange(w, device=images.device)       # B x W
    batch = torch.arange(b, device=images.device).view(b, 1, 1)
    crops = padded.permute(0, 2, 3, 1)[batch, rows.unsqueeze(2), cols.unsqueeze(1)]  # B x H x W x C
    crops = crops.permute(0, 3, 1, 2)
    return torch.where(flips.view(b, 1, 1, 1), crops.flip(-1), crops)


def cutout(images: torch.Tensor, length: int, centres: torch.Tensor) -> torch.Tensor:
    """Batch Cutout: image i with the square of ``cutout_at`` around ``centres[i]``
    = (cy, cx) zeroed (rows cy - length // 2 to cy + length // 2, exclusive, clipped)."""
    h, w = images.shape[-2:]
    half = int(length) // 2
    rows = torch.arange(h, device=images.device).view(1, h, 1)
    cols = torch.arange(w, device=images.device).view(1, 1, w)
    cy, cx = centres[:, 0].view(-1, 1, 1), centres[:, 1].view(-1, 1, 1)
    inside = (rows >= cy - half) & (rows < cy + half) & (cols >= cx - half) & (cols < cx + half)
    return images.masked_fill(inside.unsqueeze(1), 0.0)
