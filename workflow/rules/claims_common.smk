# Inputs of the reproduction verdict (nasrepro.report.claims): the run files of the configured
# tables and figures its claims read, and the thesis CSVs of those tables.
import functools
import hashlib

from nasrepro.report import claims as nasclaims

# A `select:` build writes its own report (report/claims-<ids>.csv), like the cost table.
CLAIMS = select.report_name(config, "claims")


@functools.cache
def claims_items():
    """The tables and figures the claims read."""
    return {item for name in registry.CLAIMS.names() for item in registry.CLAIMS.get(name).items}


@functools.cache
def claims_files():
    """The run files of the configured tables and figures the claims read (the NAS-Bench-101
    table of a regret figure is not a run file and is left out)."""
    files = [f for t in config["tables"] if t in claims_items() for f in table_finals(t)]
    files += [
        f
        for fig in config["figures"]
        if fig in claims_items()
        for f in figure_metrics(fig)
        if L.is_run_file(f)
    ]
    return sorted(set(files))


def claims_thesis_csvs():
    tables = sorted(item for item in claims_items() if item in registry.TABLES)
    return [str(registry.TABLES.get(t).thesis_csv()) for t in tables]


def claims_targets():
    return [L.report(CLAIMS, ext) for ext in ("csv", "md")]
