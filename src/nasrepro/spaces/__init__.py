"""Search spaces, one folder each behind the ``SearchSpace`` contract (``spaces.base``).
Each space module registers its space in ``SPACES`` (and its benchmark module the benchmark)
when ``nasrepro.plugins`` imports it."""
