#!/usr/bin/env bash
# Train the five field nets at once, one process per net, from crops drawn once.
#
#   tools/train_fields_parallel.sh OUT [options of `jlpr train classifiers`]
#
# Options are passed to every process, except --out, --cache, --fields and --resume, which
# this script sets. On a GPU one field net is too small to keep it busy (a process spends
# its time in Python and kernel launches), so five processes train the five nets in about
# the time of the slowest one: on one H200 with 16 cores, 96,000 crops were drawn in 2.5 min
# and the five nets trained in 6.4 min (docs/experiments.md, "1.5x the crops, on a GPU"). On a
# 2-core CPU, run `jlpr train classifiers` itself: the processes would share two cores.
# Each process keeps the training crops in memory when they take at most half the free
# memory (9.4 GB for 96,000 crops, so 47 GB for five), else reads them every epoch.
#
# OUT/cache         the crops (`--data-only` first, so the nets do not draw them five times)
# OUT/runs/<field>  each net's run folder, with its train.log and checkpoint
# OUT/fields        the five nets together: jlpr.models.build_classifiers(OUT/fields)
#
# Run the same command again to resume the nets that were interrupted. FIELDS (a
# space-separated list) trains fewer nets; THREADS sets each process's torch threads (2).
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,4p' "$0" >&2
  exit 2
fi
out=$1
shift
fields=${FIELDS:-office classification kana designation scheme}
jlpr train classifiers "$@" --out "$out" --cache "$out/cache" --data-only
pids=()
for field in $fields; do
  run="$out/runs/$field"
  mkdir -p "$run"
  resume=()
  if [ -f "$run/checkpoint.pt" ]; then resume=(--resume); fi
  jlpr train classifiers "$@" --out "$run" --cache "$out/cache" --fields "$field" \
    --threads "${THREADS:-2}" ${resume[@]+"${resume[@]}"} >>"$run/train.log" 2>&1 &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
if [ "$failed" -ne 0 ]; then
  echo "a net failed to train: see $out/runs/<field>/train.log" >&2
  exit 1
fi
mkdir -p "$out/fields"
for field in $fields; do
  rm -rf "${out:?}/fields/$field"
  cp -r "$out/runs/$field/$field" "$out/fields/$field"
  tail -n 1 "$out/runs/$field/train.log"
done
echo "nets in $out/fields (load them with jlpr.models.build_classifiers)"
