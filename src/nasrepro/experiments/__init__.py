"""The thesis' experiments, one module per chapter (``ch2`` ... ``ch6``): its tables
(``specs.TableSpec``), figures (``specs.FigureSpec``) and the named runs (``runs.RunVariant``) of
the grids they use, side by side; ``common`` holds what several chapters share (the baselines, the
NAS-Bench-201 and DARTS-space columns). Importing the package registers them all in ``TABLES``,
``FIGURES`` and ``RUNS``. It imports no torch and no space or method: report jobs load it alone.

A new table is one ``TableSpec`` in its chapter's ``register(...)`` plus
``config/thesis_values/<id>.csv`` (its rows, the runs that fill them and the thesis' numbers).
"""

from nasrepro.experiments import ch2, ch3, ch4, ch5, ch6, common  # noqa: F401

CHAPTERS = (ch2, ch3, ch4, ch5, ch6)
