"""Search methods, one module each. Importing this package registers every method in ``METHODS``."""

from nasrepro.methods import darts, en2as, gdas, nsas, random_nas  # noqa: F401
