"""nasrepro: reproduction pipeline for M. Zhang, "Automated Deep Learning: A Study on Neural
Architecture Search" (PhD thesis, UTS, 2021)."""

__version__ = "0.1.0"
