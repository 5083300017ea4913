"""The docs' own commands and numbers (issue 22, items 3 and 6): every `python -m nasrepro` line in
README.md and docs/*.md parses; the README's CPU-sized examples finish in seconds; the README lists
exactly the registered tables and figures; the numbers the docs say a command computes (job counts
of `snakemake -n`, models per run, the cost spec's size) are what that command gives today.
Measured times are dated in the docs and not checked here (speed is never asserted in a test)."""

import json
import re
import shlex
import subprocess
import sys
import time

import pytest
import yaml

from nasrepro.cli import build_parser
from nasrepro.registry import FIGURES, TABLES
from tests.computed import clean_copy, job_counts, snakemake
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CPU_EXAMPLE_SECONDS = 120  # "seconds each": generous for a loaded 2-core CI machine


def _code_lines(path) -> list[str]:
    """The lines of the ```bash blocks of a Markdown file."""
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text(), re.S)
    return [line for block in blocks for line in block.splitlines()]


def _nasrepro_commands() -> list[tuple[str, str]]:
    return [(path.name, line.split("#")[0].strip()) for path in DOCS for line in _code_lines(path)
            if line.startswith("python -m nasrepro ") and "[" not in line.split("#")[0]]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _ids(spec: str, prefix: str) -> set[str]:
    """'2.1-2.3, 5.1, R.1' -> {'<prefix>2_1', '<prefix>2_2', '<prefix>2_3', '<prefix>5_1',
    '<prefix>R_1'} (R: the released-code comparison, experiments/fidelity.py)."""
    ids = set()
    for part in re.findall(r"\b(\d+|R)\.(\d+)(?:-(?:\d+|R)\.(\d+))?", spec):
        chapter, first, last = part[0], int(part[1]), int(part[2] or part[1])
        ids |= {f"{prefix}{chapter}_{n}" for n in range(first, last + 1)}
    return ids


@pytest.mark.parametrize("where,command", _nasrepro_commands())
def test_documented_nasrepro_commands_parse(where, command):
    """A renamed or removed option fails here, not in a reader's shell."""
    build_parser().parse_args(shlex.split(command)[3:])


def test_readme_lists_exactly_the_registered_tables_and_figures():
    readme = (ROOT / "README.md").read_text()
    tables = re.search(r"Tables \*\*(.*?)\*\*", readme).group(1)
    assert _ids(tables, "table_") == set(TABLES.names())
    figures = re.search(r"Figures \*\*(.*?)\*\*", readme, re.S).group(1)
    registered = {re.sub(r"[a-z]$", "", name) for name in FIGURES.names()
                  if name.startswith("fig_")}  # fig_4_4a, fig_4_4b: Figure 4.4
    assert _ids(re.sub(r"\(.*?\)", "", figures), "fig_") == registered
    profile = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert set(profile["tables"]) == set(TABLES.names())
    assert set(profile["figures"]) == set(FIGURES.names())


def _cpu_examples() -> list[str]:
    """The README's commands under its "# CPU-sized" comment, up to the next comment."""
    lines = _code_lines(ROOT / "README.md")
    start = next(i for i, line in enumerate(lines) if line.startswith("# CPU-sized"))
    block = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        block.append(line.split("   #")[0].strip())
    return block


def test_readme_marks_cpu_and_gpu_sized_examples():
    readme = (ROOT / "README.md").read_text()
    assert "# GPU-sized" in readme and len(_cpu_examples()) >= 3
    for line in _cpu_examples():  # thesis-sized networks are not in the CPU block
        assert "--C 16" not in line and "layers=8" not in line and "--device cuda" not in line


@pytest.mark.slow
@pytest.mark.parametrize("command", _cpu_examples())
def test_readme_cpu_examples_finish_in_seconds(command):
    """Issue 22, item 3: the README's bench example ran > 300 s at 7.7 GB with no output."""
    argv = [sys.executable if word == "python" else word for word in shlex.split(command)]
    began = time.monotonic()
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                         timeout=CPU_EXAMPLE_SECONDS)
    assert out.returncode == 0, out.stderr[-2000:]
    if " bench " in command:
        result = json.loads(out.stdout)  # one JSON object; the progress lines went to stderr
        assert result["median_s"] > 0 and "bench " in out.stderr
    assert time.monotonic() - began < CPU_EXAMPLE_SECONDS


def _claims() -> dict[str, int]:
    """The numbers the docs say `snakemake -n` (and the cost spec) give, by name."""
    text = {p.name: p.read_text() for p in [*DOCS, ROOT / "config/config.yaml"]}

    def find(name, pattern, *keys):
        match = re.search(pattern, text[name], re.S)
        assert match, f"{name} no longer says {pattern!r}"
        return dict(zip(keys, map(_number, match.groups())))

    jobs = r"\*\*{} ([\d,]+) jobs\*\* \(([\d,]+) searches, ([\d,]+) evaluations\)"
    return {
        **find("performance.md", jobs.format("default"), "default total", "default search",
               "default evaluate"),
        **find("performance.md", jobs.format("thesis"), "thesis total", "thesis search",
               "thesis evaluate"),
        **find("README.md", r"on your machine; ([\d,]+) jobs", "readme total"),
        **find("README.md", r"thesis profile is GPU-sized \(([\d,]+) jobs", "readme thesis total"),
        **find("config.yaml", r"The whole DAG, ([\d,]+) jobs", "config total"),
        **find("dvc.md", r"\*\*([\d,]+) of them models\*\*.*?, (\d+) \+ (\d+) \+ (\d+);", "models",
               "models search", "models evaluate", "models dvae"),
        **find("architecture.md", r"default profile's spec is ([\d,]+) KB", "spec kb"),
    }


@pytest.mark.slow
def test_numbers_in_the_docs_are_what_their_commands_give(dry_runs, tmp_path):
    """Issue 22, item 6: docs/dvc.md said 175 files / 30 models, config.yaml "the whole DAG in
    minutes". The job counts in docs/performance.md, README.md, config/config.yaml and
    docs/dvc.md are the dry runs' (a fresh clone); the cost spec's size is within 10 %."""
    runs = {}
    for name in ("default", "thesis"):
        out = dry_runs(name)
        assert out.returncode == 0, out.stderr[-2000:]
        runs[name] = job_counts(out.stdout)
    claims = _claims()
    default, thesis = runs["default"], runs["thesis"]
    found = {
        "default total": default["total"], "default search": default["search"],
        "default evaluate": default["evaluate"],
        "thesis total": thesis["total"], "thesis search": thesis["search"],
        "thesis evaluate": thesis["evaluate"],
        "readme total": default["total"], "config total": default["total"],
        "readme thesis total": thesis["total"],
        "models": default["search"] + default["evaluate"] + default["train_dvae"],
        "models search": default["search"], "models evaluate": default["evaluate"],
        "models dvae": default["train_dvae"]}
    assert {key: claims[key] for key in found} == found
    spec = "results/default/report/cost.spec.json"
    work = clean_copy(tmp_path)
    out = snakemake(spec, "--cores", "1", cwd=work)
    assert out.returncode == 0, out.stderr[-2000:]
    assert abs((work / spec).stat().st_size / 1000 - claims["spec kb"]) <= 0.1 * claims["spec kb"]
