#!/usr/bin/env bash
# GPU readiness check (issue #20 item 6), for a machine with a CUDA GPU, in <= 8 minutes:
#   1. the thesis rehearsal (config/thesis.yaml + config/rehearsal.yaml + the fixtures' manifest)
#      with `device: cuda` and `data_on_device: true` (the thesis profile's own), on the
#      format-faithful fixtures built from ../shared/data (SHARED_DATA overrides the path);
#   2. one NAS-Bench-201 GDAS search epoch at thesis size (C=16, N=5, batch 64, 32x32 images:
#      391 steps = 25,000 images / 64) with and without --channels-last (`nasrepro bench step`).
# Prints one JSON object: {"device", "torch", "rehearsal": {"rc", "wall_s", "jobs"},
# "gdas_epoch": {"contiguous": {...}, "channels_last": {...}}}; exit 2 without a CUDA GPU.
# Usage, from the repository root with the project installed: bash bench/gpu_check.sh [CORES]
set -uo pipefail
CORES="${1:-all}"
OUT="${OUT:-$(mktemp -d)}"
REHEARSAL_LIMIT_S="${REHEARSAL_LIMIT_S:-330}"   # leaves the GDAS epochs ~2 minutes of the 8
if ! python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo '{"error": "no CUDA GPU visible to torch: run this on a GPU machine"}'
  exit 2
fi
if [ -n "${SHARED_DATA:-}" ] && [ ! -e ../shared/data ]; then
  mkdir -p ../shared && ln -s "$SHARED_DATA" ../shared/data
fi

began=$(date +%s)
python -m snakemake data/raw/rehearsal/fixtures.yaml --cores "$CORES" > "$OUT/fixtures.log" 2>&1
timeout -k 10 "$REHEARSAL_LIMIT_S" python -m snakemake --cores "$CORES" --keep-going \
  --configfile config/thesis.yaml config/rehearsal.yaml data/raw/rehearsal/fixtures.yaml \
  --config device=cuda > "$OUT/rehearsal.log" 2>&1
rehearsal_rc=$?
rehearsal_s=$(( $(date +%s) - began ))

for layout in contiguous channels_last; do
  flag=""; [ "$layout" = channels_last ] && flag="--channels-last"
  python -m nasrepro bench step --space nb201 --method gdas --C 16 --N 5 --batch 64 --size 32 \
    --device cuda --iters 391 --warmup 5 $flag > "$OUT/gdas_$layout.json" 2> "$OUT/gdas_$layout.err"
done

python - "$OUT" "$rehearsal_rc" "$rehearsal_s" <<'EOF'
import json, re, sys
from pathlib import Path

import torch

out, rc, wall = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])


def load(name):
    try:
        return json.loads((out / name).read_text())
    except (OSError, ValueError):
        return {"error": (out / name.replace(".json", ".err")).read_text()[-500:]}


log = (out / "rehearsal.log").read_text(errors="replace")
done = re.findall(r"(\d+) of (\d+) steps", log)
print(json.dumps({
    "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
    "rehearsal": {"rc": rc, "wall_s": wall, "steps_done": done[-1] if done else None,
                  "log": str(out / "rehearsal.log")},
    "gdas_epoch": {"contiguous": load("gdas_contiguous.json"),
                   "channels_last": load("gdas_channels_last.json")},
}, indent=2))
EOF
