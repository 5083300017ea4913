"""Analyses of architectures and runs: model complexity (parameters, multiply-adds)."""
