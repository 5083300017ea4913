"""Training loops (architecture search, retraining) with per-epoch checkpoints and resume."""
