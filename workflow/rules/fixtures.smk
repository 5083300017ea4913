rule fixtures:
    """The rehearsal's raw inputs in their official formats, from ../shared/data (issue #20
    item 2): CIFAR-10/100, ImageNet16-120, ImageNet, PTB, WikiText-2, the NATS-Bench archive, the
    NAS-Bench-101 file (the cells of the NAS-Bench-1Shot1 spaces), and
    fixtures.yaml, the overlay with their roots and digests (nasrepro.data.fixtures.build)."""
    input:
        ancient(layout.SHARED_DATA),
    output:
        layout.FIXTURES_MANIFEST,
    conda:
        ENV
    log:
        L.log("fixtures", "fixtures"),
    benchmark:
        L.bench("fixtures", "fixtures")
    resources:
        gpu=0,
    shell:
        "python -m nasrepro --log {log} fixtures --shared {input:q} --out {output:q}"
