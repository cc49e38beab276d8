#!/usr/bin/env bash
# N terminals at once: starts N copies of COMMAND (a shell command line, as a
# terminal would run it) together and returns when all have finished; fails
# when any of them failed. Used by benches/run.sh under hyperfine.
#
#   bash benches/herd.sh 50 'eval "$(awsesh env --ensure)"'
set -uo pipefail
n=$1
line=$2
pids=()
for ((i = 0; i < n; i++)); do
    bash --norc --noprofile -c "$line" >/dev/null 2>&1 </dev/null &
    pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
    wait "$pid" || failed=$((failed + 1))
done
if ((failed > 0)); then
    echo "herd: $failed of $n failed: $line" >&2
    exit 1
fi
