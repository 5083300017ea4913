rule benchmark:
    wildcard_constraints:
        space="|".join(registry.BENCHMARKS.names()),
    output:
        L.benchmark_table("{space}"),
    params:
        spec=lambda wc: json.dumps(config["benchmark"][wc.space], sort_keys=True),
    conda:
        ENV
    log:
        L.log("benchmark", "{space}"),
    benchmark:
        L.bench("benchmark", "{space}")
    resources:
        gpu=0,
        mem_mb=16000,
    shell:
        "python -m nasrepro --log {log} benchmark --space {wildcards.space}"
        " --spec {params.spec:q} --out {output}"


rule nb101_standin:
    """The stand-in NAS-Bench-101 table of a profile without benchmark.nb1shot1 (the default
    profile): every cell the NAS-Bench-1Shot1 figures' searches derived, retrained once."""
    input:
        searches=lambda wc: standin_searches(),
        data=lambda wc: L.prepared(config["search_dataset"]),
    output:
        L.benchmark_table(STANDIN_TABLE),
    params:
        spec=lambda wc: resolve.standin_spec(config, standin_spaces()),
    conda:
        ENV
    log:
        L.log("benchmark", STANDIN_TABLE),
    benchmark:
        L.bench("benchmark", STANDIN_TABLE)
    threads: lambda wc: config["threads"]
    resources:
        gpu=1,
    shell:
        "python -m nasrepro --log {log} nb101-standin --spec {params.spec:q}"
        " --out {output} {input.searches}"
