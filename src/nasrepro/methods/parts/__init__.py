"""Pieces several methods share (hypergradients; later: novelty archive, VAdam, D-VAE, Hessian)."""
