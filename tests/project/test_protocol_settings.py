"""The protocols as data (issue #30): every setting of the resolved thesis profile matches its
recorded thesis/reference value or differs with a recorded reason; docs/protocols.md is the
generated file; the verdict really reads the resolved profile (a changed profile is caught)."""

import copy

import pytest

from nasrepro.experiments.protocols import NOT_CHECKED, PROTOCOLS, Setting
from nasrepro.profile import protocols as P
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def thesis():
    return P.load_profile(ROOT / P.THESIS_PROFILE)


def test_every_setting_matches_or_differs_with_a_recorded_reason(thesis):
    bad = [(r.protocol.id, r.setting.name, r.ours, r.setting.expected, r.verdict)
           for r in P.rows(thesis) if r.verdict in (P.UNEXPLAINED, P.STALE)]
    assert not bad, f"record a reason in experiments/protocols.py or fix the profile: {bad}"


def test_the_protocols_cover_every_protocol_the_issue_names():
    ids = {p.id for p in PROTOCOLS}
    assert {"search-nb201", "search-darts_cnn", "search-darts_rnn", "search-nb1shot1",
            "retrain-cifar", "retrain-imagenet", "retrain-lm"} <= ids
    targets = {s.where[2] for p in PROTOCOLS for s in p.settings if s.where[0] == "retrain"}
    assert {"cifar10", "cifar100", "imagenet", "ptb", "wikitext2"} <= targets


@pytest.mark.parametrize("change, setting", [
    (lambda c: c["spaces"].setdefault("darts_cnn", {}).update(retrain={"epochs": 500}),
     "cifar10: epochs"),
    (lambda c: c.update(method_overrides={"num_candidates": 100}), "random-nas: num_candidates"),
    (lambda c: c["spaces"]["darts_rnn"].update(search={"tar_beta": 0.0}),
     "TAR beta (weight steps)"),
    (lambda c: c.update(seeds=[0, 1]), "seeds"),
])
def test_a_changed_profile_is_an_unexplained_difference(thesis, change, setting):
    """Ours is read from the resolved profile, not copied: changing the profile changes it."""
    config = copy.deepcopy(thesis)
    change(config)
    verdicts = {(r.protocol.id, r.setting.name): r.verdict for r in P.rows(config)}
    hit = [v for (pid, name), v in verdicts.items() if name == setting]
    assert hit and P.UNEXPLAINED in hit


def test_a_reason_where_ours_matches_is_stale(thesis):
    protocol = PROTOCOLS[0]
    setting = Setting("seeds", ("profile", "seeds"), thesis=[0, 1, 100, 101], thesis_at="x",
                      reason="an old reason")
    assert P.Row(protocol, setting, P.read_ours(thesis, setting.where)).verdict == P.STALE
    assert P.Row(protocol, setting, [0]).verdict == "differs: an old reason"


def test_values_compare_as_numbers_and_booleans_apart():
    assert P.same(3e-4, 0.0003) and P.same(0.1 * 3, 0.3) and not P.same(0.25, 0.3)
    assert not P.same(True, 1) and P.same(64, 64.0) and P.same([0, 1], [0, 1])


def test_a_setting_needs_a_value_and_its_citation():
    with pytest.raises(ValueError, match="needs a thesis or a reference"):
        Setting("x", ("profile", "seeds"))
    with pytest.raises(ValueError, match="reference value needs its citation"):
        Setting("x", ("profile", "seeds"), reference=1)
    with pytest.raises(ValueError, match="thesis value needs its citation"):
        Setting("x", ("profile", "seeds"), thesis=1)
    assert Setting("x", ("profile", "seeds"), thesis=1, thesis_at="§1").reference_at == NOT_CHECKED


def test_an_unknown_source_field_is_one_clear_error(thesis):
    with pytest.raises(ValueError, match="no field 'nope'.*experiments/protocols.py"):
        P.read_ours(thesis, ("method", "darts-2nd", "nb201", "nope"))


def test_docs_protocols_md_is_generated_from_the_data(thesis):
    """docs/protocols.md is `python -m nasrepro protocols --markdown docs/protocols.md`'s output."""
    assert (ROOT / P.DOC).read_text() == P.markdown(P.rows(thesis)), \
        "regenerate: python -m nasrepro protocols --markdown docs/protocols.md"
