"""Search spaces. Importing this package registers every space in ``SPACES``."""

from nasrepro.spaces import nb201  # noqa: F401
