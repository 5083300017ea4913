"""Weight-sharing networks (single-path and mixed forwards) and their stand-alone counterparts."""
