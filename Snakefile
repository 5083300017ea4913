# Reproduction pipeline for "Automated Deep Learning: A Study on Neural Architecture Search".
# Default profile: `snakemake --cores all`; thesis profile: `--configfile config/thesis.yaml`.
# Outputs of a profile land under results/<profile>/ (tables, figures, runs, logs).
import sys

from snakemake.utils import min_version

min_version("9.0")


# A profile given with --configfile replaces the default one (Snakemake would otherwise merge the
# two, leaving default values in the thesis run). Overlays: --configfile <profile> <overlay>.
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


from nasrepro import jobs, jobserver, registry
from nasrepro.params import ConfigError
from nasrepro.profile import load, resolve, scheduler_timer, select, threaded_run_jobs, validate

try:
    load.prepare(config)  # schema, defaults, plugins, select:, every value: one line a problem
except ConfigError as error:
    sys.exit(f"error: {error}")
RAW_INPUTS = validate.raw_input_message(config)
if RAW_INPUTS and workflow.is_main_process:  # before the plan, dry runs included
    print(RAW_INPUTS, file=sys.stderr)


include: "workflow/rules/common.smk"


include: "workflow/rules/data.smk"
include: "workflow/rules/benchmarks.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/dvae.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/cards.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/fixtures.smk"
include: "workflow/rules/claims.smk"


report: "workflow/report/workflow.rst"


onstart:
    scheduler_timer.install()  # one re-evaluation timer, not one per finished job
    threaded_run_jobs.install(workflow)  # cards, cost spec, claims' inputs: no Snakemake per job
    try:
        validate.require_raw_inputs(config)
    except ConfigError as error:
        sys.exit(f"error: {error}")  # one line, no traceback
    if workflow.local_exec:
        jobserver.start()  # jobs fork from one interpreter with torch imported


onsuccess:
    jobserver.stop()


onerror:
    jobserver.stop()


rule all:
    input:
        all_targets(),
        report_targets(),
        card_targets(),
        claims_targets(),
        dvae_targets(),
    default_target: True
