"""ImageNet (ILSVRC-2012) in torchvision's ImageFolder layout, for the DARTS-space transfer
(thesis §4.4.2, §6.4.3): ``root/train/<class>/*`` and ``root/val/<class>/*`` (the validation
images sorted into class folders). Not downloadable by script: obtain it from image-net.org.

Transforms as DARTS' ImageNet training: RandomResizedCrop 224, horizontal flip, ColorJitter(0.4,
0.4, 0.4, 0.2), normalisation; evaluation: resize 256, centre crop 224. ImageNet has no public
test labels, so ``search_valid`` and ``test`` are both the validation set (the "Test" column is
the validation accuracy, as in the DARTS papers); ``arch_train`` is unused (no search on ImageNet).
"""

from __future__ import annotations

from pathlib import Path

from nasrepro.data.base import DataBundle, DatasetLoader
from nasrepro.registry import DATASETS
from nasrepro.utils.download import MissingDataError

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def missing(spec: dict) -> list[str]:
    root = Path(spec["root"])
    absent = [str(root / part) for part in ("train", "val") if not (root / part).is_dir()]
    return [f"ImageNet: {', '.join(absent)} missing. Put ILSVRC-2012 in ImageFolder layout "
            f"({root}/train/<class>/*.JPEG, {root}/val/<class>/*.JPEG)"] if absent else []


def load(spec: dict) -> DataBundle:
    from torchvision import datasets
    from torchvision import transforms as T

    problems = missing(spec)
    if problems:
        raise MissingDataError(problems[0])
    root = Path(spec["root"])
    normalize = T.Normalize(MEAN, STD)
    train = datasets.ImageFolder(root / "train", T.Compose([
        T.RandomResizedCrop(224), T.RandomHorizontalFlip(),
        T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2),
        T.ToTensor(), normalize]))
    val = datasets.ImageFolder(root / "val", T.Compose([
        T.Resize(256), T.CenterCrop(224), T.ToTensor(), normalize]))
    if train.classes != val.classes:
        raise MissingDataError(f"ImageNet: {root}/train and {root}/val have different class "
                               "folders; both need the same class sub-folders")
    return DataBundle("imagenet", train, val, val, num_classes=len(train.classes), in_channels=3,
                      train=train, official_test=val)


def prepare(spec: dict) -> dict:
    return load(spec).sizes()


DATASETS.register("imagenet")(DatasetLoader(load, prepare, missing))
