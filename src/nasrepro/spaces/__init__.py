"""Search spaces, one folder each behind the ``SearchSpace`` contract (``spaces.base``).
Importing this package registers every space in ``SPACES`` (and its benchmark, if any)."""

from nasrepro.spaces import darts_cnn, darts_rnn, nb1shot1, nb201  # noqa: F401
