"""The graph variational autoencoder of E²NAS (thesis §4.3.1.1, Eq. 4.6): D-VAE (Zhang et al.,
NeurIPS 2019) on the operation-on-node DAGs of ``SearchSpace.encode``.

Encoder (Eq. 4.6): asynchronous message passing in topological order. A node's incoming state is
the gated sum over its predecessors u of g(h_u, x_u) * m(h_u, x_u) (g a sigmoid-gated linear map,
m a linear map without bias, both on Concat(h_u, x_u)); its state is h_v = GRU_e(x_v, h_in).
**Choice:** Eq. 4.6 writes x_uid; D-VAE's code (``vid=True``) concatenates the one-hot *index*
of u, we concatenate u's one-hot *type* x_u: messages then depend on the DAG and its types only,
so a renumbering in another topological order encodes the same (tested). A
bidirectional encoder runs a second pass (own GRU, gate and map) over the reversed DAG. The graph
state is the state of the last node (with the reverse pass: concatenated with the reverse state
of node 0, the last node of the reversed DAG); two linear maps give the Gaussian's mean and log
variance.

Decoder (§4.3.1.1 steps 1-4): h0 = tanh(Linear(z)). Node v_i's type distribution comes from an
MLP on the current graph state (h0 for the first node, then the state of the newest node); its
state is h_{v_i} = GRU_d(x_{v_i}, h_in) with h_in = h_G + the gated sum over the edges added so
far; then for j = i-1, ..., 0 an MLP on Concat(h_{v_i}, h_{v_j}) gives P(v_j -> v_i), and after an
added edge h_{v_i} is updated again. Starting h_in from h_G (h0 for the first node) generalises
D-VAE, which feeds h0 to its start vertex and zero to every other new vertex: on our cell graphs
several op nodes have the same type and the same single predecessor (e.g. NAS-Bench-201's op nodes
of edges 1<-0, 2<-0, 3<-0), so with a zero start their states coincide and neither the next type
nor their edges can be told apart (measured: teacher-forced reconstruction stalled at ~1.2 nats
per graph with no exact reconstruction). With h_G the decoder state carries the history, as
§4.3.1.1 describes ("construct a DAG node-by-node based on the current state of the graph").
Graphs of a space have a fixed node count (§4.3.1.1: "sample the same number of nodes"), so the
decoder always produces ``num_nodes`` nodes and predicts every node's type (there is no end
type). The decoder shares the encoder's forward gate and map (as D-VAE's code does) and has its
own GRU.

Loss: teacher-forced reconstruction, the type cross-entropy plus the edge binary cross-entropy
of every pair j < i, summed over nodes, pairs and the batch, and the KL divergence to N(0, I)
summed likewise; the training objective is ``recon + KL_WEIGHT * kl`` with D-VAE's default
weight 0.005 (``loss(..., beta=0.005)`` in muhanzhang/D-VAE models.py). During training
z = mu + 0.01 * eps * std (D-VAE's ``reparameterize`` scales the noise by ``eps_scale=0.01``);
in evaluation z = mu. Sizes (hidden 501, latent 56 in D-VAE; thesis: latent 30) come from the
config (``dvae`` key).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from nasrepro.spaces.base import CellGraph
from nasrepro.layout import build_command
from nasrepro.utils.atomic import atomic_path
from nasrepro.utils.safeload import UnsafeFileError, load_plain

KL_WEIGHT = 0.005  # D-VAE's default beta (models.py, DVAE.loss)
NOISE_SCALE = 0.01  # D-VAE's eps_scale in reparameterize
_FORMAT = "nasrepro-dvae/1"


class _Propagator(nn.Module):
    """One direction of Eq. 4.6: gate g, map m (both on Concat(h_u, x_u)) and the GRU update."""

    def __init__(self, num_types: int, hidden: int):
        super().__init__()
        self.gate = nn.Sequential(nn.Linear(hidden + num_types, hidden), nn.Sigmoid())
        self.map = nn.Linear(hidden + num_types, hidden, bias=False)
        self.gru = nn.GRUCell(num_types, hidden)

    def message(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """g(Concat(h_u, x_u)) * m(Concat(h_u, x_u)): what node u sends along each out-edge."""
        hx = torch.cat([h, x], dim=-1)
        return self.gate(hx) * self.map(hx)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """States of all nodes [B, n, hidden] for one-hot types ``x`` [B, n, T] and adjacency
        ``adj`` [B, n, n] (adj[b, u, v] = 1 for u -> v, u < v), nodes visited in index order."""
        messages: list[torch.Tensor] = []
        states = []
        for v in range(x.shape[1]):
            if messages:
                h_in = torch.einsum("bu,buh->bh", adj[:, :v, v], torch.stack(messages, dim=1))
            else:
                h_in = x.new_zeros(x.shape[0], self.gru.hidden_size)
            h = self.gru(x[:, v], h_in)
            states.append(h)
            messages.append(self.message(h, x[:, v]))
        return torch.stack(states, dim=1)


class GraphVAE(nn.Module):
    """D-VAE on graphs with ``num_nodes`` nodes whose types are from ``types`` (module docstring).
    API used by E²NAS: ``encode``, ``decode_probs``, ``decode``, ``loss``, ``save``/``load``."""

    def __init__(self, types: tuple[str, ...], num_nodes: int, hidden: int, latent: int,
                 bidirectional: bool):
        super().__init__()
        if len(types) < 2 or len(set(types)) != len(types):
            raise ValueError(f"GraphVAE needs at least 2 distinct node types, got {types!r}")
        if num_nodes < 2 or hidden < 1 or latent < 1:
            raise ValueError(f"GraphVAE sizes must be positive (num_nodes >= 2): num_nodes="
                             f"{num_nodes}, hidden={hidden}, latent={latent}")
        self.config = {"types": list(types), "num_nodes": int(num_nodes), "hidden": int(hidden),
                       "latent": int(latent), "bidirectional": bool(bidirectional)}
        self.types, self.num_nodes = tuple(types), int(num_nodes)
        self.hidden, self.latent, self.bidirectional = int(hidden), int(latent), bool(bidirectional)
        T = len(types)
        self.forward_pass = _Propagator(T, hidden)
        self.reverse_pass = _Propagator(T, hidden) if bidirectional else None
        graph_state = hidden * (2 if bidirectional else 1)
        self.fc_mu = nn.Linear(graph_state, latent)
        self.fc_logvar = nn.Linear(graph_state, latent)
        self.fc_h0 = nn.Linear(latent, hidden)
        self.gru_d = nn.GRUCell(T, hidden)
        self.add_vertex = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, T))
        self.add_edge = nn.Sequential(nn.Linear(2 * hidden, 4 * hidden), nn.ReLU(), nn.Linear(4 * hidden, 1))

    # ----- data -----------------------------------------------------------------------------
    def _tensors(self, graphs: list[CellGraph]) -> tuple[torch.Tensor, torch.Tensor]:
        """One-hot types [B, n, T] and adjacency [B, n, n] of ``graphs`` (validated)."""
        if not graphs:
            raise ValueError("GraphVAE got an empty list of graphs")
        device = self.fc_h0.weight.device
        idx = torch.zeros(len(graphs), self.num_nodes, dtype=torch.long)
        adj = torch.zeros(len(graphs), self.num_nodes, self.num_nodes)
        for b, g in enumerate(graphs):
            if tuple(g.types) != self.types or len(g.node_types) != self.num_nodes:
                raise ValueError(f"graph {b} has {len(g.node_types)} nodes over types {g.types}; this "
                                 f"GraphVAE was built for {self.num_nodes} nodes over {self.types} "
                                 "(train a D-VAE for this space)")
            if any(not 0 <= s < d < self.num_nodes for s, d in g.edges):
                raise ValueError(f"graph {b} has an edge not in topological order (src < dst < "
                                 f"{self.num_nodes}): {g.edges}")
            idx[b] = torch.tensor(g.type_indices())
            for s, d in g.edges:
                adj[b, s, d] = 1.0
        return F.one_hot(idx, len(self.types)).float().to(device), adj.to(device)

    def _graphs(self, types: torch.Tensor, adj: torch.Tensor) -> list[CellGraph]:
        """Graphs of type indices [B, n] and edge indicators [B, n, n] ([b, i, j]: j -> i)."""
        return [CellGraph(tuple(self.types[k] for k in t),
                          tuple(sorted((j, i) for i, j in a.nonzero().tolist())), self.types)
                for t, a in zip(types.tolist(), adj.unbind(0))]

    # ----- encoder --------------------------------------------------------------------------
    def encode(self, graphs: list[CellGraph]) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. 4.6: (mu, logvar) of q(z | G), each [B, latent]."""
        x, adj = self._tensors(graphs)
        state = self.forward_pass(x, adj)[:, -1]
        if self.reverse_pass is not None:
            # the reversed DAG, renumbered n-1-v so that its edges again go from low to high
            back = self.reverse_pass(x.flip(1), adj.flip(1, 2).transpose(1, 2))[:, -1]
            state = torch.cat([state, back], dim=-1)
        return self.fc_mu(state), self.fc_logvar(state)

    # ----- decoder --------------------------------------------------------------------------
    def _h0(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.fc_h0(z))

    def _edge_logit(self, h_new: torch.Tensor, h_old: torch.Tensor) -> torch.Tensor:
        return self.add_edge(torch.cat([h_new, h_old], dim=-1)).squeeze(-1)

    def decode_probs(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding (§4.3.1.1 steps 1-4 with argmax instead of sampling), differentiable
        in ``z``: type probabilities [B, n, T] and edge probabilities [B, n, n] with [b, i, j] =
        P(j -> i) (0 for j >= i). Each step feeds its own argmax type and its edges with
        probability > 0.5 forward; the probabilities are those the decoder computes along that
        path."""
        B, n, T = z.shape[0], self.num_nodes, len(self.types)
        h0 = self._h0(z)
        prop = self.forward_pass
        type_probs, edge_rows = [], []
        states: list[torch.Tensor] = []
        messages: list[torch.Tensor] = []
        for i in range(n):
            probs = self.add_vertex(states[-1] if states else h0).softmax(dim=-1)
            type_probs.append(probs)
            x = F.one_hot(probs.argmax(dim=-1), T).to(z.dtype)
            h_in = states[-1] if states else h0  # the new node starts from the graph state
            h = self.gru_d(x, h_in)
            row = [z.new_zeros(B)] * n
            for j in range(i - 1, -1, -1):
                row[j] = torch.sigmoid(self._edge_logit(h, states[j]))
                added = (row[j] > 0.5).to(z.dtype).unsqueeze(-1)
                if bool(added.any()):  # re-update h_{v_i} with its new predecessor (step 4c)
                    h_in = h_in + added * messages[j]
                    h = self.gru_d(x, h_in)
            edge_rows.append(torch.stack(row, dim=1))
            states.append(h)
            messages.append(prop.message(h, x))
        return torch.stack(type_probs, dim=1), torch.stack(edge_rows, dim=1)

    def decode(self, z: torch.Tensor) -> list[CellGraph]:
        """The graphs ``decode_probs`` decodes: argmax types, edges with probability > 0.5."""
        with torch.no_grad():
            types, edges = self.decode_probs(z)
        return self._graphs(types.argmax(dim=-1), edges > 0.5)

    def _teacher_forced(self, z: torch.Tensor, x: torch.Tensor,
                        adj: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Type logits [B, n, T] and edge logits [B, n, n] ([b, i, j] for j -> i, j < i) of the
        decoder fed the true graph (teacher forcing). The state of v_i when deciding (v_j, v_i)
        holds the true edges from v_{i-1}, ..., v_{j+1}: a reverse exclusive cumulative sum of
        the messages, so all j of one node run in one batch."""
        B, n, _ = x.shape
        h0 = self._h0(z)
        type_logits, edge_rows = [], [z.new_zeros(B, n)]
        states: list[torch.Tensor] = []
        messages: list[torch.Tensor] = []
        for i in range(n):
            graph_state = states[-1] if states else h0
            type_logits.append(self.add_vertex(graph_state))
            if i == 0:
                h = self.gru_d(x[:, 0], h0)
            else:
                sent = adj[:, :i, i].unsqueeze(-1) * torch.stack(messages, dim=1)  # [B, i, H]
                suffix = sent.flip(1).cumsum(1).flip(1)  # [b, j] = sum_{u >= j}
                suffix = suffix + graph_state.unsqueeze(1)
                before = suffix - sent  # h_G + sum_{u > j}: h_in when (v_j, v_i) is decided
                h_before = self.gru_d(x[:, i, None].expand(-1, i, -1).reshape(B * i, -1),
                                      before.reshape(B * i, -1)).reshape(B, i, -1)
                old = torch.stack(states, dim=1)
                edge_rows.append(torch.cat([self._edge_logit(h_before, old),
                                            z.new_zeros(B, n - i)], dim=1))
                h = self.gru_d(x[:, i], suffix[:, 0])
            states.append(h)
            messages.append(self.forward_pass.message(h, x[:, i]))
        return torch.stack(type_logits, dim=1), torch.stack(edge_rows, dim=1)

    # ----- objective ------------------------------------------------------------------------
    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = mu + NOISE_SCALE * eps * std in training (D-VAE), mu in evaluation."""
        if not self.training:
            return mu
        return mu + NOISE_SCALE * torch.randn_like(mu) * (0.5 * logvar).exp()

    def loss(self, graphs: list[CellGraph]) -> tuple[torch.Tensor, torch.Tensor]:
        """(recon, kl), each summed over the batch: recon = type cross-entropy + edge binary
        cross-entropy (pairs j < i) of the teacher-forced decoder; kl = KL(q(z|G) || N(0, I)).
        Train on ``recon + KL_WEIGHT * kl``."""
        x, adj = self._tensors(graphs)
        mu, logvar = self.encode(graphs)
        type_logits, edge_logits = self._teacher_forced(self.reparameterize(mu, logvar), x, adj)
        recon = F.cross_entropy(type_logits.flatten(0, 1), x.argmax(-1).flatten(), reduction="sum")
        lower = torch.ones(self.num_nodes, self.num_nodes, dtype=torch.bool,
                           device=x.device).tril(-1)
        recon = recon + F.binary_cross_entropy_with_logits(
            edge_logits[:, lower], adj.transpose(1, 2)[:, lower], reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return recon, kl

    # ----- checkpoint -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Config and weights in one file, written atomically."""
        payload = {"format": _FORMAT, "config": self.config,
                   "state": {k: v.detach().cpu() for k, v in self.state_dict().items()}}
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)

    @classmethod
    def load(cls, path: str | Path) -> "GraphVAE":
        """A model saved by ``save``; a missing or unreadable file raises an error naming it and
        the rule that builds it."""
        path = Path(path)
        fix = (f"build it with `{build_command(path)}` (rule train_dvae) or `python -m nasrepro "
               "train-dvae`")
        if not path.exists():
            raise FileNotFoundError(f"D-VAE checkpoint {path} not found; {fix}")
        try:
            payload = load_plain(path, f"D-VAE checkpoint {path}")
            if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
                raise ValueError(f"not a {_FORMAT} checkpoint")
            cfg = payload["config"]
            model = cls(tuple(cfg["types"]), cfg["num_nodes"], cfg["hidden"], cfg["latent"],
                        cfg["bidirectional"])
            model.load_state_dict(payload["state"])
        except UnsafeFileError as error:  # a forged file: nothing of it ran
            raise UnsafeFileError(f"{error}; delete it and {fix}") from None
        except Exception as error:  # any unreadable content is the same problem for the user
            reason = (str(error).strip() or type(error).__name__).splitlines()[0]
            raise ValueError(f"D-VAE checkpoint {path} is corrupted or incompatible ({reason}); "
                             f"delete it and {fix}") from error
        return model.eval()
