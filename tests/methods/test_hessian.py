"""Hessian tracking (Fig. 5.6) and the per-epoch cell statistics (Figs. 5.4 a, 5.5): the power
iteration against exact eigenvalues, the search loop's records, and that tracking changes
nothing in the search."""

import random

import pytest
import torch

from nasrepro.analysis.hessian import dominant_eigenvalue
from nasrepro.methods.base import SearchContext
from nasrepro.params import build_config
from nasrepro.registry import METHODS, SPACES
from nasrepro.train.search import run_search
from nasrepro.utils.seeding import make_deterministic, seed_everything
from tests.planted import PlantedSpace, planted_bundle


def test_power_iteration_finds_the_largest_magnitude_eigenvalue_of_a_known_matrix():
    q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0),
                                       dtype=torch.float64))
    for eigen, want in (([5.0, -1.0, 2.0, 0.5], 5.0), ([1.0, -6.0, 2.0, 0.5], -6.0)):
        a = q @ torch.diag(torch.tensor(eigen, dtype=torch.float64)) @ q.T
        x = torch.nn.Parameter(torch.randn(4, dtype=torch.float64))
        got = dominant_eigenvalue(lambda: 0.5 * x @ a @ x + x.sum(), [x], iters=200,
                                  generator=torch.Generator().manual_seed(1))
        assert got == pytest.approx(want, rel=1e-8)


def test_one_power_step_from_the_generators_start_vector_by_hand():
    """``iters`` = 1 (the least allowed; 0 is refused by name): the Rayleigh quotient of H v / ||H v||
    with v the generator's float64 unit vector, whatever the global random state."""
    h = torch.diag(torch.tensor([3.0, 1.0, -0.5], dtype=torch.float64))
    x = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    torch.manual_seed(123)  # the start vector is the generator's, not the global one
    got = dominant_eigenvalue(lambda: 0.5 * x @ h @ x, [x], iters=1,
                              generator=torch.Generator().manual_seed(4))
    v = torch.randn(3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    v = h @ (v / v.norm())
    v = v / v.norm()
    assert 1.0 < got < 3.0  # one step: not converged yet, so the start vector shows
    assert got == pytest.approx(float(v @ h @ v), rel=1e-12)
    with pytest.raises(ValueError, match="^power iteration needs iters >= 1; got 0$"):
        dominant_eigenvalue(lambda: 0.5 * x @ h @ x, [x], iters=0)


def test_power_iteration_matches_the_exact_hessian_of_a_small_network():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 5, generator=gen, dtype=torch.float64), torch.randint(0, 3, (16,), generator=gen)
    hidden = torch.randn(5, 8, generator=gen, dtype=torch.float64)
    out = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    alpha = torch.nn.Parameter(torch.randn(2, 4, generator=gen, dtype=torch.float64))  # split params

    def loss_of(flat):
        a = flat.view(2, 4)
        h = torch.tanh(x @ hidden) * a.softmax(-1).flatten()   # mixing weights of 2 "edges"
        return torch.nn.functional.cross_entropy(3 * h @ out, y)

    exact = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, alpha.detach().flatten()))
    want = float(exact[exact.abs().argmax()])
    got = dominant_eigenvalue(lambda: loss_of(alpha.flatten()), [alpha], iters=500,
                              generator=torch.Generator().manual_seed(2))
    assert got == pytest.approx(want, rel=1e-6)


def test_cell_stats_by_hand():
    nb201 = SPACES.get("nb201")()
    cell = nb201.from_string("|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|")
    assert nb201.cell_stats(cell) == {"skip_ratio": pytest.approx(2 / 6), "depth": 3.0}
    shallow = nb201.from_string("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    assert nb201.cell_stats(shallow) == {"skip_ratio": 0.0, "depth": 1.0}
    darts = SPACES.get("darts_cnn")()
    genes = (("skip_connect", 0), ("sep_conv_3x3", 1), ("skip_connect", 0), ("sep_conv_3x3", 2),
             ("max_pool_3x3", 1), ("skip_connect", 3), ("sep_conv_5x5", 0), ("dil_conv_3x3", 4))
    other = (("sep_conv_3x3", 0), ("sep_conv_3x3", 1)) * 4
    from nasrepro.spaces.darts_cnn.space import Genotype

    # normal: node 2 <- 0, 1; node 3 <- 0, 2; node 4 <- 1, 3; node 5 <- 0, 4: depth 4; 3 skips of 8
    assert darts.cell_stats(Genotype(genes, other)) == {"skip_ratio": 3 / 8, "depth": 4.0}
    assert darts.cell_stats(Genotype(other, genes)) == {"skip_ratio": 0.0, "depth": 1.0}


def _search(name, tmp_path, hessian_iters):
    make_deterministic(1)
    seed_everything(0)
    space, bundle = PlantedSpace(), planted_bundle()
    cls = METHODS.get(name)
    fields = set(cls.Config.__dataclass_fields__)
    cfg = build_config(cls.Config, {k: v for k, v in {"epochs": 2, "batch_size": 64, "a_lr": 0.05,
                                                      "num_candidates": 4}.items() if k in fields}, name)
    method = cls(SearchContext(space, space.build_supernet(bundle.shape, {}), cfg,
                               torch.device("cpu"), random.Random(0),
                               arch_examples=len(bundle.arch_train)))
    return run_search(method, bundle, 0, tmp_path / f"{name}-{hessian_iters}", "planted",
                      eval_batches=2, hessian_iters=hessian_iters, hessian_batches=2).records


@pytest.mark.parametrize("name", ["darts-1st", "gdas", "balenas-2nd", "random-nas"])
def test_tracking_records_and_changes_nothing(name, tmp_path):
    tracked = _search(name, tmp_path, hessian_iters=3)
    plain = _search(name, tmp_path, hessian_iters=0)
    for with_h, without in zip(tracked, plain):
        assert {"skip_ratio", "depth"} <= set(without)
        eig = with_h.pop("hessian_eig", None)
        if name == "random-nas":                 # no continuous architecture parameters
            assert eig is None
        else:
            assert eig is not None and eig == eig and eig != 0.0
        for key in ("elapsed_s", "epoch_time_s", "step_time_s"):
            with_h.pop(key), without.pop(key)
        assert with_h == without


def test_eigenvalue_under_batch_statistics_leaves_batchnorm_buffers_alone():
    from nasrepro.evaluation.metrics import batch_statistics
    from tests.conftest import build_method

    method = build_method("darts-2nd")
    before = {k: v.clone() for k, v in method.supernet.state_dict().items() if "running" in k}
    assert before
    batch = (torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,)))
    with batch_statistics(method.supernet, grad=True):
        eig = method.hessian_eigenvalue([batch], 3, torch.Generator().manual_seed(0))
    assert eig == eig and eig != 0.0
    after = method.supernet.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
