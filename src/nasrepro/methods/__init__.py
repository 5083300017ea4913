"""Search methods, one module each. Importing this package registers every method in ``METHODS``."""

from nasrepro.methods import (balenas, darts, e2nas, en2as, gdas, idarts, nao, nsas,  # noqa: F401
                              random_nas, replay_baselines)
