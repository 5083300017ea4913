"""NAS-Bench-1Shot1: NAS-Bench-101 cells (``nb101``), search spaces 1-3 (``space``), operations
(``ops``), the one-shot model (``supernet``), NAS-Bench-101's network (``network``), the TFRecord
reader (``tfrecord``) and the NAS-Bench-101 table (``benchmark``)."""
