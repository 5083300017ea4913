"""NAO's encoder-predictor-decoder (Luo et al. 2018, "Neural Architecture Optimization", §3)
over a space-generic token sequence of a cell.

Tokens (``cell_tokens``): for every row (edge) of ``space.one_hot(arch)``, in ``arch_shapes``
order, the index of its operation, or ``len(ops)`` ("absent") for a row without one (an edge the
cell does not use, e.g. most of the 14 DARTS edges). Decoding (``Seq2Seq.decode_rows``) gives per
row the decoder's probability of each operation, a soft version of ``space.one_hot`` with the
absent token's mass dropped; ``space.discretize`` of it is therefore always a valid cell (on
NAS-Bench-201 the greedy token of each edge; on the DARTS space each node's two edges with the
most probable non-``none`` operation).

- encoder E: token embedding -> one-layer LSTM; its per-position outputs, L2-normalised (as in
  NAO), are the continuous representation e_x;
- predictor f: an MLP (one hidden ReLU layer) on the mean of e_x, sigmoid output (NAO regresses
  min-max normalised accuracies in [0, 1]);
- decoder D: a one-layer LSTM started from the mean of e_x, fed the previous token (teacher
  forcing in training, the greedy token when decoding) and, with dot-product attention over e_x,
  the attended context; a linear layer on [h_t, context_t] gives the token logits.

Trained with lambda * MSE(f(E(x)), y) + (1 - lambda) * CE(D(E(x)), x) (NAO Eq. 1). New
architectures come from gradient ascent on f in the encoder's output space: e' = e + eta *
grad_e f(e), x' = D(e') (NAO Eq. 2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cell_tokens(space, arch) -> list[int]:
    """The token sequence of ``arch``: per one-hot row its operation index, or ``len(ops)``."""
    absent = len(space.ops)
    tokens = []
    for name in space.arch_shapes:
        for row in space.one_hot(arch)[name]:
            tokens.append(int(row.argmax()) if float(row.max()) > 0 else absent)
    return tokens


def rows_to_alphas(space, rows: torch.Tensor) -> dict[str, torch.Tensor]:
    """Split ``[positions, ops]`` rows into the ``arch_shapes`` layout ``discretize`` takes."""
    out, start = {}, 0
    for name, (edges, ops) in space.arch_shapes.items():
        out[name] = rows[start:start + edges, :ops]
        start += edges
    return out


class Seq2Seq(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, mlp_hidden: int):
        super().__init__()
        self.vocab = vocab
        self.enc_embed = nn.Embedding(vocab, embed)
        self.encoder = nn.LSTM(embed, hidden, batch_first=True)
        self.predictor = nn.Sequential(nn.Linear(hidden, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, 1))
        self.dec_embed = nn.Embedding(vocab + 1, embed)      # + the start token
        self.decoder = nn.LSTM(embed + hidden, hidden, batch_first=True)
        self.out = nn.Linear(2 * hidden, vocab)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """e_x: ``[batch, length, hidden]``, each position's output L2-normalised."""
        states, _ = self.encoder(self.enc_embed(tokens))
        return F.normalize(states, dim=-1)

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        """f(e_x) in (0, 1), one value per cell."""
        return torch.sigmoid(self.predictor(states.mean(dim=1))).squeeze(-1)

    def _step(self, token: torch.Tensor, context: torch.Tensor, hc, states: torch.Tensor):
        out, hc = self.decoder(torch.cat([self.dec_embed(token), context], dim=-1).unsqueeze(1), hc)
        h = out.squeeze(1)
        attn = torch.softmax(torch.einsum("bh,blh->bl", h, states), dim=-1)
        context = torch.einsum("bl,blh->bh", attn, states)
        return self.out(torch.cat([h, context], dim=-1)), context, hc

    def decode_logits(self, states: torch.Tensor, tokens: torch.Tensor | None = None) -> torch.Tensor:
        """Token logits ``[batch, length, vocab]``: teacher-forced on ``tokens`` when given,
        else fed back the greedy token."""
        batch, length, _ = states.shape
        mean = states.mean(dim=1)
        hc = (mean.unsqueeze(0).contiguous(), torch.zeros_like(mean).unsqueeze(0))
        token = torch.full((batch,), self.vocab, dtype=torch.long, device=states.device)  # start
        context, logits = mean, []
        for t in range(length):
            step, context, hc = self._step(token, context, hc, states)
            logits.append(step)
            token = tokens[:, t] if tokens is not None else step.argmax(dim=-1)
        return torch.stack(logits, dim=1)

    def loss(self, tokens: torch.Tensor, targets: torch.Tensor, trade_off: float) -> torch.Tensor:
        """lambda * prediction MSE + (1 - lambda) * reconstruction cross-entropy (NAO Eq. 1)."""
        states = self.encode(tokens)
        mse = F.mse_loss(self.predict(states), targets)
        logits = self.decode_logits(states, tokens)
        rec = F.cross_entropy(logits.reshape(-1, self.vocab), tokens.reshape(-1))
        return trade_off * mse + (1 - trade_off) * rec

    def ascend(self, tokens: torch.Tensor, eta: float) -> torch.Tensor:
        """e' = e + eta * grad_e f(e) (NAO Eq. 2): the encoder states moved uphill on f."""
        states = self.encode(tokens).detach().requires_grad_(True)
        grad, = torch.autograd.grad(self.predict(states).sum(), states)
        return (states + eta * grad).detach()

    @torch.no_grad()
    def decode_rows(self, states: torch.Tensor, ops: int) -> torch.Tensor:
        """Greedy decoding; per cell ``[length, ops]`` probabilities of the operations."""
        return torch.softmax(self.decode_logits(states), dim=-1)[..., :ops]
