"""E²NAS' latent-space novelty (Eq. 4.8-4.11) and Sig_gamma (Eq. 4.16) on tiny decoders: a linear
decoder with a hand-computed value, a random tanh network for finite differences of the whole
novelty function (so detaching any term fails), the densities, and the archive."""

import math

import pytest
import torch

from nasrepro.methods.parts.latent_novelty import (LatentArchive, log_chi, log_kde, log_perp_factor,
                                                   novelty_loss, rotated, sigmoid_gamma, tangent)



@pytest.fixture(autouse=True)
def _float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _linear():
    a = torch.tensor([[2.0, 0.0], [0.0, 3.0], [0.0, 0.0], [0.0, 0.0]])
    b = torch.tensor([0.0, 0.0, 0.5, 0.0])
    return (lambda z: a @ z + b), a, b


def _mlp(n=3, m=7, seed=0):
    gen = torch.Generator().manual_seed(seed)
    w1, b1 = torch.randn(6, n, generator=gen), torch.randn(6, generator=gen)
    w2, b2 = torch.randn(m, 6, generator=gen), torch.randn(m, generator=gen)
    return lambda z: torch.sigmoid(w2 @ torch.tanh(w1 @ z + b1) + b2)


def _archive(latents, perps, size=50):
    archive = LatentArchive(size)
    for z, r in zip(latents, perps):
        archive.add(torch.as_tensor(z, dtype=torch.float64), r)
    return archive


def test_linear_decoder_novelty_equals_the_hand_computed_value():
    decoder, _, _ = _linear()
    z = torch.tensor([0.3, -0.2], requires_grad=True)
    cell = torch.tensor([1.0, 0.0, 1.0, 1.0])  # another cell than D(z): a distance > 0
    tan = tangent(decoder, z)
    assert sorted(tan.singular.tolist()) == pytest.approx([2.0, 3.0])
    w_par, r = rotated(tan, cell)
    # residual (1 - 0.6, 0 + 0.6, 0.5, 1): the last two coordinates are orthogonal to span(A)
    assert float(r.detach()) == pytest.approx(math.sqrt(0.5 ** 2 + 1.0), rel=1e-9)
    assert sorted(w_par.abs().tolist()) == pytest.approx([0.4, 0.6])
    archive = _archive([[0.0, 0.0]], [2.0])          # one member: bandwidth = its floor 0.05
    k, h, sigma2 = 2, 0.05, 4.0 / 2
    expected = (-math.log(6.0)
                + (-(0.3 ** 2 + 0.2 ** 2) / (2 * h * h) - math.log(2 * math.pi * h * h))
                + (-k / 2 * math.log(2 * math.pi * sigma2) - 1.25 / (2 * sigma2)))
    out = novelty_loss(decoder, z, cell, archive)
    assert float(out.loss) == pytest.approx(expected, rel=1e-9)
    # the gradient by hand: only the KDE and the perpendicular residual depend on z here
    # (a linear decoder has a constant Jacobian and its residual's perpendicular part is fixed)
    grad, = torch.autograd.grad(out.loss, z)
    assert grad.tolist() == pytest.approx([-0.3 / h ** 2, 0.2 / h ** 2], rel=1e-9)


def test_perpendicular_norm_equals_the_full_svd_complement():
    decoder = _mlp()
    z = torch.tensor([0.1, -0.4, 0.7])
    tan = tangent(decoder, z)
    jac = torch.autograd.functional.jacobian(decoder, z)
    u, _, _ = torch.linalg.svd(jac, full_matrices=True)
    cell = torch.tensor([1.0, 0, 0, 1, 0, 1, 0])
    w = u.T @ (cell - decoder(z))
    w_par, r = rotated(tan, cell)
    assert torch.allclose(w_par.abs(), w[:3].abs()) and float(r) == pytest.approx(float(w[3:].norm()))
    assert torch.allclose(tan.u_par @ torch.diag(tan.singular) @ tan.u_par.T @ tan.u_par,
                          tan.u_par @ torch.diag(tan.singular))


def _fd_check(decoder, z0, cell, archive):
    z = z0.clone().requires_grad_(True)
    out = novelty_loss(decoder, z, cell, archive)
    grad, = torch.autograd.grad(out.loss, z)
    fd = torch.zeros_like(z0)
    for i in range(len(z0)):
        e = torch.zeros_like(z0)
        e[i] = 1e-5
        fd[i] = (novelty_loss(decoder, z0 + e, cell, archive).loss
                 - novelty_loss(decoder, z0 - e, cell, archive).loss) / 2e-5
    return grad, fd


def test_novelty_gradient_matches_finite_differences_and_every_term_moves():
    decoder = _mlp()
    gen = torch.Generator().manual_seed(1)
    z0 = torch.randn(3, generator=gen) * 0.5
    archive = _archive(z0 + 0.3 * torch.randn(5, 3, generator=gen), [0.5, 0.7, 0.6, 0.9, 0.4])
    cell = torch.tensor([1.0, 0, 0, 1, 0, 1, 0])
    grad, fd = _fd_check(decoder, z0, cell, archive)
    assert torch.isfinite(grad).all() and float(grad.norm()) > 1e-3
    assert torch.allclose(grad, fd, rtol=1e-5, atol=1e-7)
    # each of the three log terms has its own non-zero gradient in z
    z = z0.clone().requires_grad_(True)
    tan = tangent(decoder, z)
    _, r = rotated(tan, cell)
    terms = {"det": -tan.singular.log().sum(),
             "kde": log_kde(z, torch.stack(list(archive.latents)), archive.bandwidth()),
             "perp": log_perp_factor(r, 4) + log_chi(r, 4, archive.sigma2(4))}
    for name, term in terms.items():
        g, = torch.autograd.grad(term, z, retain_graph=True)
        assert float(g.norm()) > 1e-3, name
    assert float(sum(terms.values())) == pytest.approx(float(novelty_loss(decoder, z0, cell, archive).loss))


def test_empty_archive_has_no_novelty_term():
    decoder = _mlp()
    z = torch.zeros(3, requires_grad=True)
    out = novelty_loss(decoder, z, torch.ones(7), LatentArchive(50))
    assert float(out.loss) == 0.0 and float(out.perp_norm) > 0


def test_chi_density_and_the_perp_factor_make_an_isotropic_gaussian():
    k, sigma2 = 5, 0.7
    r = torch.linspace(1e-4, 12, 200001)
    mass = torch.trapezoid(log_chi(r, k, sigma2).exp(), r)
    assert float(mass) == pytest.approx(1.0, abs=1e-6)
    r0 = torch.tensor(1.3)
    gauss = -k / 2 * math.log(2 * math.pi * sigma2) - 1.3 ** 2 / (2 * sigma2)
    assert float(log_perp_factor(r0, k) + log_chi(r0, k, sigma2)) == pytest.approx(gauss, rel=1e-12)


def test_kde_bandwidth_and_archive_size():
    latents = torch.tensor([[0.0, 1.0], [2.0, 1.0], [1.0, 4.0]])
    z = torch.tensor([0.5, 0.5])
    h = 0.8
    by_hand = sum(math.exp(-float((z - x).pow(2).sum()) / (2 * h * h)) / (2 * math.pi * h * h)
                  for x in latents) / 3
    assert float(log_kde(z, latents, h)) == pytest.approx(math.log(by_hand), rel=1e-12)
    archive = _archive(latents, [1.0, 2.0, 3.0])
    spread = math.sqrt(float(latents.var(dim=0, unbiased=False).mean()))
    assert archive.bandwidth() == pytest.approx(spread * 3 ** (-1 / 6))
    assert archive.sigma2(2) == pytest.approx(14 / 6)
    small = _archive(torch.randn(60, 2), [1.0] * 60, size=50)
    assert len(small) == 50
    restored = LatentArchive(50)
    restored.load_state_dict(archive.state_dict())
    assert restored.bandwidth() == archive.bandwidth() and list(restored.perp) == [1.0, 2.0, 3.0]


def test_decoder_shape_errors_name_the_fix():
    with pytest.raises(ValueError, match="m > n"):
        tangent(lambda z: z * 2, torch.zeros(3))
    with pytest.raises(ValueError, match="flatten"):
        tangent(lambda z: z.repeat(3, 1), torch.zeros(3))


@pytest.mark.parametrize("b", [1, 2, 5, 10])
def test_sig_gamma_eq_4_16(b):
    assert sigmoid_gamma(0, 100, b) == pytest.approx(1 - 1 / (1 + math.exp(b)))
    assert sigmoid_gamma(50, 100, b) == pytest.approx(0.5)
    assert sigmoid_gamma(100, 100, b) == pytest.approx(1 / (1 + math.exp(b)))
    values = [sigmoid_gamma(t, 100, b) for t in range(101)]
    assert all(x > y for x, y in zip(values, values[1:]))  # exploration first, then exploitation


def _printed_novelty(decoder, z, cell, latents, perps, sphere_power):
    """Eq. 4.10/4.11 written out independently of the module, in float64: full SVD with an
    explicit U_perp, w_perp = U_perp^T (alpha - D(z)), the chi density of ||W_perp|| by its
    formula, the KDE by its sum. ``sphere_power`` = -1: Lemma 2's factor Gamma(k/2) /
    (2 pi^(k/2) ||w_perp||^(k-1)) (Eq. 4.10, and Eq. 4.11's left side log p_A); +1: the
    reciprocal that Eq. 4.11 prints on its right side."""
    jac = torch.autograd.functional.jacobian(decoder, z)
    m, n = jac.shape
    k = m - n
    u, s, _ = torch.linalg.svd(jac, full_matrices=True)
    r = float((u[:, n:].T @ (cell - decoder(z))).norm())
    h = max(0.05, math.sqrt(float(latents.var(dim=0, unbiased=False).mean())) * len(latents) ** (-1 / (n + 4)))
    kde = sum(math.exp(-float((z - x).pow(2).sum()) / (2 * h * h)) / (2 * math.pi * h * h) ** (n / 2)
              for x in latents) / len(latents)
    sigma2 = sum(p * p for p in perps) / (len(perps) * k)
    chi = 2 ** (1 - k / 2) * r ** (k - 1) * math.exp(-r * r / (2 * sigma2)) / (math.gamma(k / 2) * sigma2 ** (k / 2))
    sphere = 2 * math.pi ** (k / 2) * r ** (k - 1) / math.gamma(k / 2)   # area of the radius-r sphere in R^k
    return math.log(abs(1 / float(s.prod())) * kde * sphere ** sphere_power * chi)


def test_novelty_gradient_is_that_of_log_p_a_by_lemma_2_not_the_reciprocal_factor():
    """Eq. 4.11 defines L_N = log p_A(alpha) and Lemma 2 (Eq. 4.10, App. A.8-A.10) gives p_A with
    p_W_perp = p_||W_perp|| / (sphere area at ||w_perp||); the right side of Eq. 4.11 prints the
    reciprocal factor, which is not log p_A. ||w_perp|| depends on z, so the choice changes the
    z-gradient: the module's autograd gradient equals finite differences of Lemma 2's form, and
    differs clearly from those of the printed reciprocal."""
    decoder = _mlp(n=2, m=6, seed=3)
    gen = torch.Generator().manual_seed(4)
    z0 = torch.randn(2, generator=gen) * 0.5
    latents = z0 + 0.4 * torch.randn(6, 2, generator=gen)
    perps = [0.8, 1.1, 0.9, 1.3, 0.7, 1.0]
    cell = torch.tensor([1.0, 0, 1, 0, 0, 1])
    archive = _archive(latents, perps)
    z = z0.clone().requires_grad_(True)
    out = novelty_loss(decoder, z, cell, archive)
    grad, = torch.autograd.grad(out.loss, z)

    def fd(power):
        g = torch.zeros(2)
        for i in range(2):
            e = torch.zeros(2)
            e[i] = 1e-6
            g[i] = (_printed_novelty(decoder, z0 + e, cell, latents, perps, power)
                    - _printed_novelty(decoder, z0 - e, cell, latents, perps, power)) / 2e-6
        return g

    lemma2, reciprocal = fd(-1), fd(+1)
    assert float(out.loss) == pytest.approx(_printed_novelty(decoder, z0, cell, latents, perps, -1), rel=1e-10)
    assert torch.allclose(grad, lemma2, rtol=1e-5, atol=1e-7), (grad, lemma2)
    assert float((reciprocal - lemma2).norm()) > 0.1 * float(lemma2.norm())   # not a constant
