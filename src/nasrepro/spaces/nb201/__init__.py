"""NAS-Bench-201: the space (``space``), its operations (``ops``), the supernet and stand-alone
network (``supernet``) and the tabular benchmark (``benchmark``)."""
