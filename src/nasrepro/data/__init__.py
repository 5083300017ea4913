"""Dataset loaders (real formats and the offline stand-ins), one module each; each registers its
loaders in ``DATASETS`` when ``nasrepro.plugins`` imports it. ``base``: bundles and batching;
``images``: image arrays, their augmentations and device-built batches."""
