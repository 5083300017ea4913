"""BaLeNAS (thesis ch. 5, Alg. 5): DARTS whose architecture parameters are a Gaussian
q(alpha) = N(mu, sigma^2) learned by the Bayesian learning rule with VAdam (Eq. 5.11-5.17,
``parts.vadam``); the supernet weights are trained exactly as in DARTS.

Per step (Alg. 5, line 2 then 3): draw M samples theta_i ~ q (``samples``, Eq. 5.11); at each,
the DARTS hypergradient of Eq. (6.3) with alpha = theta_i (1st order: gamma = 0; 2nd order: the
unrolled one); g-hat is their mean (Eq. 5.12, the MCMC estimate of grad_mu E_q[l], whose
expectation regularises the Hessian's trace, Eq. 5.18); VAdam updates mu and s (Eq. 5.16-5.17);
then one SGD step of w on the mixed forward at mu. Both orders take the mu/sigma step first, as
Alg. 5 prints it (lines 2-3), also BaLeNAS (1st), whose DARTS baseline steps w first. The cell is argmax of mu (Alg. 5, line 5;
the mean of q, §5.2.2), never of a sample.

With ``depth_weight`` eta_1 > 0 the architecture loss is Eq. (5.21), L_val + eta_1 L_0^depth
(Eq. 5.20, ``parts.depth_l0``), evaluated at each sample: the DARTS-space variant of Table 5.1
("BaLeNAS"; without it, "BaLeNAS w/o").

Choices where the thesis is silent (docs/methods.md): beta_t of Eq. 5.16-5.17 is the architecture
learning rate ``a_lr``; the prior precision is set through delta~ = delta / N = ``a_weight_decay``
(the weight decay it plays the role of in Eq. 5.16), so delta = N * a_weight_decay; N is the
number of examples of the architecture split (``dataset_size`` overrides it); gamma_t =
``vadam_momentum`` = 0.5, the protocol's Adam beta_1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nasrepro.methods.darts import DartsConfig, _Darts
from nasrepro.methods.parts.depth_l0 import depth_penalty
from nasrepro.methods.parts.vadam import VAdam
from nasrepro.params import ConfigError, hp
from nasrepro.registry import METHODS


@dataclass
class BalenasConfig(DartsConfig):
    samples: int = hp(1, 1, doc="M, MCMC samples per step (Eq. 5.11; Table 5.2)")
    vadam_momentum: float = hp(0.5, 0, 1, doc="gamma_t of Eq. 5.16")
    s_init: float = hp(0.0, 0, doc="s_0 of Eq. 5.17")
    dataset_size: int = hp(0, 0, doc="N of Eq. 5.12 (0: the architecture split's size)")
    depth_weight: float = hp(0.0, 0, doc="eta_1 of Eq. 5.21 (0.05 on the DARTS space)")
    l0_temperature: float = hp(2 / 3, 0, low_open=True, doc="tau of Eq. 5.20")
    l0_gamma: float = hp(-0.1, None, 0, doc="gamma < 0 of the hard-concrete stretch")
    l0_zeta: float = hp(1.1, 1, doc="zeta > 1 of the hard-concrete stretch")

    def __post_init__(self):
        if self.l0_gamma >= 0:
            raise ConfigError(f"l0_gamma = {self.l0_gamma}: the hard-concrete stretch needs "
                              "gamma < 0 (Louizos et al. use -0.1)")


class _Balenas(_Darts):
    Config = BalenasConfig

    def __init__(self, ctx):
        super().__init__(ctx)
        size = self.cfg.dataset_size or ctx.arch_examples
        if size < 1:
            raise ConfigError("BaLeNAS needs N, the size of the architecture split (Eq. 5.12): the "
                              "search context has none; set the run's dataset_size")
        self.a_opt = VAdam(self.alphas.parameters(), lr=self.cfg.a_lr,
                           momentum=self.cfg.vadam_momentum,
                           prior_precision=size * self.cfg.a_weight_decay, dataset_size=size,
                           s_init=self.cfg.s_init)
        self.depth_edges = self.space.depth_edges() if self.cfg.depth_weight > 0 else None

    def arch_step_first(self) -> bool:
        """Alg. 5: line 2 (mu, sigma by VAdam) before line 3 (w by SGD), in both orders."""
        return True

    def arch_loss_gradient(self, train_batch, valid_batch) -> tuple[list[torch.Tensor], float]:
        """Gradient of Eq. (5.21) at the current alpha: DARTS' hypergradient plus eta_1 times the
        gradient of the depth term."""
        grads, loss = self.hypergradient(train_batch, valid_batch)
        if self.depth_edges is not None:
            penalty = depth_penalty(dict(self.alphas.items()), self.depth_edges,
                                    self.space.ops.index("none"), self.cfg.l0_temperature,
                                    self.cfg.l0_gamma, self.cfg.l0_zeta)
            extra = torch.autograd.grad(self.cfg.depth_weight * penalty, self.alpha_list())
            grads = [g + e for g, e in zip(grads, extra)]
        return grads, loss

    def arch_step(self, train_batch, valid_batch) -> torch.Tensor:
        """One VAdam step: g-hat = mean over M samples theta ~ q of the gradient at theta."""
        alphas = self.alpha_list()
        mean = [a.detach().clone() for a in alphas]
        generator = torch.Generator().manual_seed(self.ctx.rng.getrandbits(63))
        total, losses = [torch.zeros_like(a) for a in alphas], []
        try:
            for _ in range(self.cfg.samples):
                # theta_i ~ N(mu, sigma^2), each drawn around mu (Eq. 5.16-5.17): ``sample`` adds
                # the noise to the parameters' current value, the previous sample after the first
                with torch.no_grad():
                    for a, m in zip(alphas, mean):
                        a.copy_(m)
                    for a, theta in zip(alphas, self.a_opt.sample(generator)):
                        a.copy_(theta)
                grads, loss = self.arch_loss_gradient(train_batch, valid_batch)
                total = [t + g.detach() for t, g in zip(total, grads)]
                losses.append(loss)
        finally:
            with torch.no_grad():
                for a, m in zip(alphas, mean):
                    a.copy_(m)
        self.a_opt.zero_grad(set_to_none=True)
        self.set_alpha_grads([t / self.cfg.samples for t in total])
        self.a_opt.step()
        return sum(losses) / len(losses)


@METHODS.register("balenas-1st")
class BalenasFirstOrder(_Balenas):
    second_order = False


@METHODS.register("balenas-2nd")
class BalenasSecondOrder(_Balenas):
    second_order = True
