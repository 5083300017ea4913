"""A profile (``config/*.yaml`` plus overlays and ``--config``) turned into jobs; imported by the
Snakefile side only (workers read the resolved job messages of ``nasrepro.jobs``).

- ``load``: the profile checked and completed as the Snakefile does before planning;
- ``select``: which tables, figures, runs, seeds, spaces and targets the profile builds;
- ``resolve``: the resolved settings and job messages of each run, evaluation and D-VAE;
- ``validate``: every invalid value, and every missing raw input, before any job runs.

The caller loads the plugin families first (``nasrepro.plugins.load_all``), with the profile's
own ``plugins:``.
"""
