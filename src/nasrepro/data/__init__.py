"""Dataset registry. Importing this package registers every loader in ``DATASETS``."""

from nasrepro.data import cifar, digits  # noqa: F401
