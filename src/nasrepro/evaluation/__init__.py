"""Metrics: accuracy with inherited or trained weights."""
