#!/usr/bin/env bash
# Paper-scale results on this machine's CPU cores, while you keep working in the checkout: the parts run from a
# detached worktree of the committed HEAD (so their provenance names a clean commit), one background process per
# PART, one thread each. Name a part twice to run it on two cores: the processes share its entries.
#
#   tools/cpu-paper.sh start DIR PART [PART ...]   worktree of HEAD at DIR (reused and moved to HEAD if it exists:
#                                                   its stored entries stay), then the processes
#   tools/cpu-paper.sh collect DIR                  copy the finished entries computed in DIR (untracked there)
#                                                   into this checkout's book/_results (then test and commit)
#   tools/cpu-paper.sh status DIR                   the running processes, the entries being computed (named by
#                                                   part and run, with their start time), the finished entries not
#                                                   collected yet and, with LRLIB_CACHE, the unfinished CNN runs'
#                                                   checkpoints
#
# PART: a part of `python -m lrlib.papers` (ch5.phase, ch3.sweeps, ...; `--list` shows them all). Logs: DIR/<part>.<n>.log
# (`start` on a DIR whose processes still run adds processes beside them, with logs of their own).
# Data: LRLIB_DATA, else ../shared/data beside the checkout. Python: PY, else .venv/bin/python.
set -eu
repo=$(git rev-parse --show-toplevel)
lib=$(cd "$(dirname "$0")/.." && pwd)  # the checkout of this script: its lrlib reads claims and checkpoints
status_py=${PY:-$lib/.venv/bin/python}
cmd=${1:?start or collect}; dir=${2:?DIR}; shift 2
# PART/ENTRY of the finished entries computed in DIR (untracked there) and not in this checkout: an entry of DIR's
# commit that was removed here since (a result superseded by a new run) is not one of them
new_entries() {
  git -C "$dir" ls-files --others book/_results | sed -nE 's#^book/_results/([^/]+/[^/.][^/]*)/.*#\1#p' | sort -u |
    while read -r e; do
      [ -f "$dir/book/_results/$e/manifest.json" ] && [ ! -d "$repo/book/_results/$e" ] && echo "$e"
    done
}

# whether a running process writes its output to the log file $1
log_in_use() {
  local log fd
  log=$(realpath -m "$1")
  for fd in /proc/[0-9]*/fd/1; do
    [ "$(readlink "$fd" 2>/dev/null)" = "$log" ] && return 0
  done
  return 1
}

case $cmd in
start)
  [ $# -gt 0 ] || { echo "name at least one PART" >&2; exit 2; }
  if [ -d "$dir" ]; then
    busy=0
    for pid in $(pgrep -f "lrlib.papers" || true); do
      if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(cd "$dir" && pwd -P)" ]; then busy=1; fi
    done
    if [ "$busy" = 1 ] && [ "$(git -C "$dir" rev-parse HEAD)" != "$(git -C "$repo" rev-parse HEAD)" ]; then
      echo "processes still compute from $dir at $(git -C "$dir" rev-parse --short HEAD): start them from another DIR" >&2
      exit 2
    fi
    # -f: entries collected and committed since are untracked here and identical in HEAD; other untracked entries stay
    git -C "$dir" checkout -q -f --detach "$(git -C "$repo" rev-parse HEAD)"
  else
    git -C "$repo" worktree add --detach "$dir" HEAD
  fi
  echo "computing with commit $(git -C "$dir" rev-parse --short HEAD) (uncommitted changes in the checkout are not used)"
  # entries stored here but not committed yet: the processes must not compute them again
  (cd "$repo/book/_results" && find . -mindepth 2 -maxdepth 2 -type d ! -name '.*' | while read -r e; do
     [ -d "$dir/book/_results/$e" ] || { mkdir -p "$dir/book/_results/$(dirname "$e")"; cp -r "$e" "$dir/book/_results/$e"; }
   done)
  py=${PY:-$repo/.venv/bin/python}
  data=${LRLIB_DATA:-$(cd "$repo/.." && pwd)/shared/data}
  n=0
  for part in "$@"; do
    n=$((n + 1))
    while log_in_use "$dir/$part.$n.log"; do n=$((n + 1)); done  # a process added beside running ones
    (cd "$dir" && LRLIB_DATA=$data LRLIB_PROGRESS=0 LRLIB_THREADS=1 PYTHONPATH=$dir PYTHONUNBUFFERED=1 \
       nohup "$py" -m lrlib.papers "$part" > "$dir/$part.$n.log" 2>&1 < /dev/null &)
    echo "started $part (log $dir/$part.$n.log)"
  done ;;
collect)
  copied=0
  for e in $(new_entries); do
    mkdir -p "$repo/book/_results/$(dirname "$e")" && cp -r "$dir/book/_results/$e" "$repo/book/_results/$e"
    copied=$((copied + 1))
  done
  echo "copied $copied new entries into $repo/book/_results" ;;
status)
  pgrep -af "lrlib.papers" | grep -v pgrep || echo "no lrlib.papers process is running"
  # the entries being computed, each named by its part and run (a claim file holds "host pid")
  PYTHONPATH=$lib "$status_py" - "$dir/book/_results" <<'PY'
import os, sys, time
from pathlib import Path
from lrlib.data import DataError
from lrlib.papers.__main__ import registry
from lrlib.store import Store
root = Path(sys.argv[1])
claims = sorted(root.glob("*/.claim-*"))
labels = {}
for name, part in registry().items() if claims else ():
    try:
        units = part.units("paper")
    except DataError:  # configurations that need data not here: not named
        continue
    for u in units:
        path = Store(root).path_for(u.config)
        labels[f"{path.parent.name}/{path.name}"] = f"{name}, {u.label}"
for c in claims:
    key = f"{c.parent.name}/{c.name.removeprefix('.claim-')}"
    pid = int(c.read_text().split()[1])
    state = f"since {time.strftime('%H:%M', time.localtime(c.stat().st_mtime))}"
    if not os.path.exists(f"/proc/{pid}"):
        state = f"left by pid {pid}, which is gone"
    print(f"claimed: {key} ({labels.get(key, 'unit not named here')}) {state}")
PY
  echo "$(new_entries | wc -l) finished entries not collected yet"
  # CNN runs resume from per-epoch checkpoints: how far the unfinished ones are
  cache=${LRLIB_CACHE:-}
  if [ -n "$cache" ] && [ -d "$cache/checkpoints" ]; then
    PYTHONPATH=$lib "$status_py" - "$cache/checkpoints" <<'PY'
import sys, time
from lrlib.vision.checkpoint import unfinished
for r in unfinished(sys.argv[1]):
    written = time.strftime("%H:%M", time.localtime(r["written"]))
    hours = r["seconds"] / 3600
    print(f"checkpoint: {r['part']}/{r['run']} at epoch {r['epoch']} of {r['epochs']}, {hours:.1f} h so far ({written})")
PY
  fi ;;
*) echo "usage: tools/cpu-paper.sh start DIR PART... | collect DIR | status DIR" >&2; exit 2 ;;
esac
