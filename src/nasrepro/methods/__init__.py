"""Search methods, one module each. Importing this package registers every method in ``METHODS``."""

from nasrepro.methods import (balenas, darts, e2nas, en2as, gdas, idarts, nsas, random_nas,  # noqa: F401
                              replay_baselines)
