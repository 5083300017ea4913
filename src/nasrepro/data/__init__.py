"""Dataset registry. Importing this package registers every loader in ``DATASETS``."""

from nasrepro.data import cifar, digits, imagenet, imagenet16, text  # noqa: F401
