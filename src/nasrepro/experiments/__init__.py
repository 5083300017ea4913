"""The thesis' experiments, one module per chapter (``ch2`` ... ``ch6``): its tables
(``specs.TableSpec``), figures (``specs.FigureSpec``) and the named runs (``runs.RunVariant``) of
the grids they use, side by side; ``common`` holds what several chapters share (the baselines, the
NAS-Bench-201 and DARTS-space columns). Each chapter registers them in ``TABLES``, ``FIGURES`` and
``RUNS`` when ``nasrepro.plugins`` imports it (family ``experiments``). It imports no torch and no space or method: report jobs load it alone.

A new table is one ``TableSpec`` in its chapter's ``register(...)`` plus
``config/thesis_values/<id>.csv`` (its rows, the runs that fill them and the thesis' numbers).
"""
