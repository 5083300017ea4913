"""Probabilistic novelty in the latent space of E²NAS (thesis §4.3.1.2, Eq. 4.8-4.11, 4.16),
after the generative probabilistic novelty detection it cites [115].

The decoder D: R^n -> R^m maps a latent z to the flattened decoder output (node-type and edge
probabilities of the graph VAE). At z, with J = J_D(z) (Eq. 4.8, autograd with
``create_graph``) and its thin SVD J = U_par S V^T, the decoded architecture alpha (its graph as
a vector in the same layout) has rotated coordinates (Eq. 4.9) relative to the tangent plane at
D(z): w_par = U_par^T (alpha - D(z)) and ||w_perp||^2 = ||alpha - D(z)||^2 - ||w_par||^2 (the
rows of U_perp complete U_par to a unitary matrix; ||w_perp|| does not depend on which). Eq. 4.11:

    L_N(z, A) = log p_A(alpha)
              = log |det S^-1| + log p_{A_theta}(z)
                + log( Gamma(k/2) / (2 pi^(k/2) ||w_perp||^(k-1)) p_||W_perp||(||w_perp||) ),

k = m - n. Everything is differentiable in z (D(z), S and U_par through J; alpha is the discrete
decoded cell, a constant). Choices where the thesis is silent (docs/methods.md):

- origin of the rotated coordinates: D(z) (the tangent plane is affine; [115] measures the
  residual alpha - D(z)); the thesis prints U^T alpha;
- the W_perp factor is Lemma 2's (Eq. 4.10): p_W_perp(w_perp) = p_||W_perp||(r) / (2 pi^(k/2)
  r^(k-1) / Gamma(k/2)), r = ||w_perp||, the density of the norm spread over the sphere of radius
  r in R^k (App. A.8-A.10). Eq. 4.11 defines L_N = log p_A(alpha) but prints the reciprocal factor
  on its right side, (2 pi^((k-1)/2) / Gamma(k/2)) r^(k-1); that is not log p_A and, since r
  depends on z, not a constant: it would add 2 (k - 1) grad log r to the gradient. We follow the
  left side and Lemma 2 (tested against finite differences of both written-out forms). The
  sphere's constant is pi^(k/2) (the area of the unit (k-1)-sphere); the thesis prints
  pi^((k-1)/2), a constant that does not change the gradient;
- p_{A_theta}: a Gaussian kernel density over the archive's latents (the last ``archive`` z of
  the search, E²NAS keeps 50) with Scott's bandwidth h = s N^(-1/(n+4)), s^2 the mean per-dimension
  variance of the archive, at least ``min_bandwidth``; computed from the archive only (a constant);
- p_||W_perp||: the chi distribution with k degrees of freedom and scale sigma, the norm of
  isotropic Gaussian noise N(0, sigma^2 I_k) orthogonal to the manifold (Eq. 4.8's xi), sigma^2 =
  mean over the archive of ||w_perp||^2 / k (maximum likelihood; at least ``min_sigma2``). With it
  the W_perp factor equals the Gaussian density N(w_perp; 0, sigma^2 I_k);
- an empty archive gives no novelty term (L_N = 0).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Callable, NamedTuple

import torch


def sigmoid_gamma(epoch: int, epochs: int, b: float) -> float:
    """Sig_gamma(b), Eq. 4.16: gamma(t) = 1 - sigmoid((t / total * 2 - 1) * b), t = ``epoch``
    (0-based) of ``epochs``."""
    return 1.0 - 1.0 / (1.0 + math.exp(-(epoch / epochs * 2.0 - 1.0) * b))


class Tangent(NamedTuple):
    decoded: torch.Tensor   # D(z), [m]
    u_par: torch.Tensor     # U_par, [m, n]: orthonormal basis of span(J_D(z))
    singular: torch.Tensor  # S, [n]


def tangent(decoder: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> Tangent:
    """D(z), and the SVD of the Jacobian J_D(z) (Eq. 4.8), differentiable in z."""
    if not z.requires_grad:
        z = z.detach().requires_grad_(True)
    return tangent_of(decoder(z), z)


def tangent_of(decoded: torch.Tensor, z: torch.Tensor) -> Tangent:
    """``tangent`` from D(z) already computed from ``z`` (with its graph)."""
    if decoded.dim() != 1 or z.dim() != 1:
        raise ValueError(f"the decoder maps a latent vector [n] to a vector [m]; got {tuple(z.shape)} "
                         f"-> {tuple(decoded.shape)}: flatten its output")
    if decoded.numel() <= z.numel():
        raise ValueError(f"E²NAS novelty needs m > n (Eq. 4.8): decoder output {decoded.numel()} "
                         f"<= latent {z.numel()}; use a smaller latent")
    # J column by column (n forward-mode products through the double-backward trick: J^T u is
    # linear in u, so d(J^T u)/du applied to e_i is J e_i), batched over i: n products instead
    # of m reverse passes, and differentiable in z (create_graph)
    probe = torch.zeros_like(decoded, requires_grad=True)
    jt_u, = torch.autograd.grad(decoded, z, probe, create_graph=True)
    eye = torch.eye(z.numel(), dtype=z.dtype, device=z.device)
    jac_t, = torch.autograd.grad(jt_u, probe, eye, create_graph=True, is_grads_batched=True)
    u_par, singular, _ = torch.linalg.svd(jac_t.T, full_matrices=False)
    return Tangent(decoded, u_par, singular)


def rotated(tan: Tangent, alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 4.9 around D(z): (w_par, ||w_perp||) of the architecture vector ``alpha``."""
    residual = alpha.to(tan.decoded) - tan.decoded
    w_par = tan.u_par.T @ residual
    perp2 = (residual.pow(2).sum() - w_par.pow(2).sum()).clamp(min=1e-24)
    return w_par, perp2.sqrt()


def log_kde(z: torch.Tensor, latents: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """log of the Gaussian kernel density (1/N) sum_j N(z; z_j, h^2 I) at z."""
    n = z.numel()
    sq = (latents - z).pow(2).sum(dim=1)
    log_kernel = -sq / (2 * bandwidth ** 2) - n / 2 * math.log(2 * math.pi * bandwidth ** 2)
    return torch.logsumexp(log_kernel, dim=0) - math.log(len(latents))


def log_chi(r: torch.Tensor, k: int, sigma2: float) -> torch.Tensor:
    """log density of ||X|| for X ~ N(0, sigma^2 I_k) (chi with k degrees of freedom, scale sigma)."""
    return ((1 - k / 2) * math.log(2) - math.lgamma(k / 2) - k / 2 * math.log(sigma2)
            + (k - 1) * r.log() - r.pow(2) / (2 * sigma2))


def log_perp_factor(r: torch.Tensor, k: int) -> torch.Tensor:
    """log of Gamma(k/2) / (2 pi^(k/2) r^(k-1)) (Eq. 4.10's factor of p_W_perp)."""
    return math.lgamma(k / 2) - math.log(2) - k / 2 * math.log(math.pi) - (k - 1) * r.log()


class LatentArchive:
    """The archive A of E²NAS: the latents of the last ``size`` visited cells and their
    ||w_perp||, and the densities fitted to them."""

    def __init__(self, size: int, min_bandwidth: float = 0.05, min_sigma2: float = 1e-6):
        self.latents: deque[torch.Tensor] = deque(maxlen=size)
        self.perp: deque[float] = deque(maxlen=size)
        self.min_bandwidth, self.min_sigma2 = min_bandwidth, min_sigma2

    def __len__(self) -> int:
        return len(self.latents)

    def add(self, z: torch.Tensor, perp_norm: float) -> None:
        self.latents.append(z.detach().clone())
        self.perp.append(float(perp_norm))

    def bandwidth(self) -> float:
        stacked = torch.stack(list(self.latents))
        n, count = stacked.shape[1], len(stacked)
        spread = float(stacked.var(dim=0, unbiased=False).mean().sqrt())
        return max(self.min_bandwidth, spread * count ** (-1.0 / (n + 4)))

    def sigma2(self, k: int) -> float:
        return max(self.min_sigma2, sum(r * r for r in self.perp) / (len(self.perp) * k))

    def state_dict(self) -> dict:
        return {"latents": [z.clone() for z in self.latents], "perp": list(self.perp)}

    def load_state_dict(self, state: dict) -> None:
        self.latents.clear()
        self.latents.extend(state["latents"])
        self.perp.clear()
        self.perp.extend(state["perp"])


class Novelty(NamedTuple):
    loss: torch.Tensor       # L_N = log p_A(alpha), Eq. 4.11
    perp_norm: torch.Tensor  # ||w_perp||
    parts: dict              # the three log terms (floats), for logging


def log_perp_at_zero(k: int, sigma2: float) -> float:
    """``log_perp_factor(r, k) + log_chi(r, k, sigma2)`` as r -> 0: the Gaussian density
    N(0; 0, sigma^2 I_k), -k/2 log(2 pi sigma^2) (the released code's zero distance)."""
    return -k / 2 * math.log(2 * math.pi * sigma2)


def log_novelty(tan: Tangent, z: torch.Tensor, perp_norm: torch.Tensor,
                archive: LatentArchive, zero_distance: bool = False) -> Novelty:
    """Eq. 4.11 from the tangent at z and the decoded cell's ||w_perp|| (``rotated``);
    ``zero_distance``: the W_perp factor at ||w_perp|| = 0 (``log_perp_at_zero``, E²NAS'
    released-code option ``novelty_distance_zero``)."""
    if not len(archive):
        return Novelty(z.sum() * 0.0, perp_norm, {})
    k = tan.decoded.numel() - z.numel()
    log_det = -tan.singular.clamp(min=1e-12).log().sum()               # log |det S^-1|
    log_latent = log_kde(z, torch.stack(list(archive.latents)).to(z), archive.bandwidth())
    if zero_distance:
        log_perp = torch.tensor(log_perp_at_zero(k, archive.sigma2(k)), dtype=z.dtype,
                                device=z.device)
    else:
        log_perp = log_perp_factor(perp_norm, k) + log_chi(perp_norm, k, archive.sigma2(k))
    parts = {"log_det": float(log_det.detach()), "log_latent": float(log_latent.detach()),
             "log_perp": float(log_perp.detach())}
    return Novelty(log_det + log_latent + log_perp, perp_norm, parts)


def novelty_loss(decoder: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor,
                 alpha: torch.Tensor, archive: LatentArchive) -> Novelty:
    """Eq. 4.11 at z for the decoded architecture vector ``alpha`` against ``archive``."""
    tan = tangent(decoder, z)
    return log_novelty(tan, z, rotated(tan, alpha)[1], archive)
