"""A profile read the way the Snakefile reads it before planning: the ``--config`` strings
coerced, the layout checked against the schema (one line a problem) and its defaults filled, the
plugin families loaded (the profile's own ``plugins:`` too), the ``select:`` applied, every value
checked. The Snakefile calls ``prepare`` and prints a ``ConfigError`` as one line; tests call it
in-process."""

from __future__ import annotations

from pathlib import Path

from snakemake.utils import validate as fill_schema_defaults

from nasrepro import plugins
from nasrepro.layout import CONFIG_SCHEMA
from nasrepro.profile import select, validate
from nasrepro.schema import check_schema


def prepare(config: dict, schema: str | Path = CONFIG_SCHEMA) -> None:
    """Check and complete ``config`` in place; raise ``ConfigError`` naming every problem."""
    validate.coerce_cli_values(config)  # `--config seeds=[0]` passes every value as a string
    check_schema(config, schema)
    fill_schema_defaults(config, str(schema))  # relative to the project root (the cwd)
    plugins.load_all(config.get("plugins") or ())  # every family, then the profile's own
    select.apply_selection(config)  # `--config select=[table_2_3,fig_3_5]`: only these
    validate.check_profile(config)
