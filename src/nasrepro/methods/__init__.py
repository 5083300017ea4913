"""Search methods, one module each (``methods.parts``: the pieces several share); each module
registers its method in ``METHODS`` when ``nasrepro.plugins`` imports it."""
