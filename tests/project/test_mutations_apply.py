"""tests/mutations.py stays runnable: every mutation's text occurs exactly once in its file and
every test it names exists, so a refactor that moves the code cannot silently retire a mutant."""

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.mutations import MUTATIONS


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_applies_and_names_existing_tests(mutation):
    name, path, find, replace, tests = mutation
    assert (ROOT / path).read_text().count(find) == 1, f"{name}: its text is not in {path} once"
    assert find != replace
    for test in tests.split():
        assert (ROOT / test.split("::")[0]).is_file(), f"{name}: no test file {test}"
