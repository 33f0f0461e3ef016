#!/usr/bin/env bash
# Paper-scale results on a lent GPU machine: that machine gets a copy of the working tree (no .git, no
# internet, no lrlib install), so this script sets lrlib up from the copy, checks the engine on the GPU against
# the CPU (tests/test_engine_cuda.py; it stops if they disagree), optionally runs the benchmark, computes missing
# paper-scale parts for at most BUDGET seconds, and packs every entry stored by this run into OUT.
#
#   tools/device-paper.sh OUT BUDGET COMMIT [--bench] [PART ...]
#
# OUT     folder for bench.json and results.tgz (the device tool's $OUT)
# BUDGET  seconds for the whole script; the part in progress is stopped at the limit (it loses only the entry it
#         was computing: every finished entry is kept and packed)
# COMMIT  the commit the copy was made from (git rev-parse HEAD, run on the sending machine after committing)
# PART    parts of `python -m lrlib.papers` (default: all missing, cheapest first)
#
# Data: copy ../shared/data into .data (ignored: echo /.data/ >> .git/info/exclude) and carry it.
# Back home: tar xzf results.tgz (in the repository root) adds the new entries under book/_results.
set -u
out=${1:?OUT folder}; budget=${2:?BUDGET seconds}; commit=${3:?COMMIT}; shift 3
bench=0
if [ "${1:-}" = "--bench" ]; then bench=1; shift; fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 LRLIB_COMMIT=$commit LRLIB_OFFLINE=1
export LRLIB_DATA=${LRLIB_DATA:-$PWD/.data} LRLIB_CACHE=${LRLIB_CACHE:-/tmp/lrlib-cache} LRLIB_PROGRESS=0
py=${PY:-python3}
start=$(date +%s)
stamp=$(mktemp)
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
# the engine must give the CPU's numbers on this GPU before anything is computed and stored
if ! timeout 300 "$py" -m pytest -q -p no:cacheprovider tests/test_engine_cuda.py; then
  echo "tests/test_engine_cuda.py failed: nothing computed"; exit 1
fi
if [ "$bench" = 1 ]; then
  timeout $((budget / 3)) "$py" -m lrlib.bench --tf32 --json "$out/bench.json"
fi
left=$((budget - ($(date +%s) - start) - 20))
if [ "$left" -gt 30 ]; then
  timeout "$left" "$py" -m lrlib.papers "$@"
  echo "lrlib.papers exit status $? after $(($(date +%s) - start)) s"
fi
new=$(find book/_results -name manifest.json -newer "$stamp" -printf '%h\n' | sort)
if [ -n "$new" ]; then
  tar czf "$out/results.tgz" $new && echo "packed $(echo "$new" | wc -l) new entries into $out/results.tgz"
else
  echo "no new entries"
fi
