#!/usr/bin/env bash
# The calls that read the AWS config — a refresh, `status`, `status --all`,
# the TAB candidates, `doctor` — at 1, 1,000 and 10,000 profiles, side by
# side in one run (issue 24; the table is in docs/benchmarks.md):
#
#   bash benches/large_config.sh                       # 15 rounds
#   AWSESH_BENCH_RUNS=5 bash benches/large_config.sh   # quicker
#
# Builds the release binary unless AWSESH_BIN names one; starts moto on
# loopback (moto_server from PATH, else the venv of benches/run.sh, else
# pip installs it there); the rounds and the table are
# benches/large_config.py's. The table is also left in
# target/bench/large_config.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${AWSESH_BENCH_RUNS:-15}
venv=$root/target/bench/venv
moto_server=$(command -v moto_server || echo "$venv/bin/moto_server")
if [[ ! -x $moto_server ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "moto[server]"
fi
if [[ -z ${AWSESH_BIN:-} ]]; then
    cargo build --release --quiet --bin awsesh
fi
BIN=${AWSESH_BIN:-$root/target/release/awsesh}

work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
moto_pid=
cleanup() {
    if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "http://127.0.0.1:$port/" 2>/dev/null && break
    sleep 0.1
done

for v in $(env | sed -n 's/^\(AWS[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port LC_ALL=C
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$root/target/bench"
out=$root/target/bench/large_config.md
{
    python3 "$root/benches/large_config.py" "$BIN" "$work" "$runs" 1 1000 10000
    echo
    echo "Medians of $runs rounds, the sizes run in turn; load average before: $load_before," \
        "after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $("$BIN" --version)."
} | tee "$out"
