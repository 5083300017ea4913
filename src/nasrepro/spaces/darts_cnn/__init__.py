"""The DARTS CNN space: the space and genotype (``space``), operations (``ops``), the search
network (``supernet``), stand-alone networks (``network``) and published genotypes
(``genotypes``)."""
