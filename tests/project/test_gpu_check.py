"""bench/gpu_check.sh (issue #20 item 6): on a machine without a CUDA GPU it stops at once with one
JSON line naming the problem, and it is valid bash (a GPU machine runs the rest)."""

import json
import subprocess

import pytest
import torch

from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "gpu_check.sh"


def test_the_script_parses():
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


@pytest.mark.slow  # starts bash and a Python that imports torch
@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present: the script would run")
def test_without_a_gpu_it_says_so_in_one_json_line_and_exits_2():
    out = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and "no CUDA GPU" in json.loads(lines[0])["error"]
    assert out.stderr == ""
