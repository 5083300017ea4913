"""Every table's ``.tex`` compiles with pdflatex in a minimal document (article + booktabs),
built from made-up results with the default profile's stand-ins and a thesis-profile header.
Skips where pdflatex is not installed: on Debian, `apt-get install --no-install-recommends
texlive-latex-base texlive-latex-recommended` (booktabs; `.ci/run` installs them where it can)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nasrepro.registry import TABLES
from nasrepro.report.table import write_table
from tests.conftest import ROOT
from tests.table_results import DEFAULT_STANDINS, NOTE, fake_results

PDFLATEX = shutil.which("pdflatex")
pytestmark = pytest.mark.skipif(
    PDFLATEX is None, reason="pdflatex is not installed (Debian: apt-get install "
    "--no-install-recommends texlive-latex-base texlive-latex-recommended)")

DOCUMENT = r"""\documentclass{article}
\usepackage{booktabs}
\begin{document}
\input{%s}
\end{document}
"""


# every table with the default profile's headers; Table 4.6 (a thesis-only column, our search
# cost in other units) also with the thesis profile's
CASES = [(table, DEFAULT_STANDINS) for table in TABLES.names()] + [("table_4_6", {})]


@pytest.mark.parametrize(("table", "standins"), CASES,
                         ids=[f"{t}-{'default' if s else 'thesis'}" for t, s in CASES])
def test_the_tex_compiles_with_pdflatex(table, standins, tmp_path):
    spec = TABLES.get(table)
    files = fake_results(spec, tmp_path / "runs", (0, 1))
    write_table(spec, str(spec.thesis_csv(ROOT)), files, str(tmp_path / table), NOTE, [], standins)
    (tmp_path / "doc.tex").write_text(DOCUMENT % table)
    out = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    errors = [line for line in out.stdout.splitlines() if line.startswith("!")]
    assert out.returncode == 0 and not errors, "\n".join(errors) or out.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
