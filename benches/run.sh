#!/usr/bin/env bash
# Benchmarks (hyperfine): start-up of the fast paths, a refresh against a
# bare STS round trip, and the shell hook's cost per prompt. Needs a release
# build, moto_server, hyperfine, bash and zsh. Prints a summary table.
#
#   cargo build --release && bash benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${AWSESH_BIN:-$PWD/target/release/awsesh}
[[ -x $BIN ]] || { echo "build first: cargo build --release" >&2; exit 1; }
for tool in hyperfine moto_server curl; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'kill "$moto_pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

export HOME=$work/home XDG_RUNTIME_DIR=$work/run AWS_ENDPOINT_URL=http://127.0.0.1:$port
mkdir -p "$HOME/.aws" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
printf '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPL1\naws_secret_access_key = c2VjcmV0\n' >"$HOME/.aws/credentials"
printf '[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/bench\n' >"$HOME/.aws/config"
"$BIN" login --token-code 123456 2>/dev/null

echo "== fast paths (no runtime, no aws-config, no network)"
hyperfine -N --warmup 20 --runs 300 \
    "$BIN prompt" "$BIN env" "$BIN status" "$BIN hook-sync --shell bash"

echo "== a refresh vs the bare STS round trip"
# The prepare step forgets the last code so the reuse guard lets each run in.
hyperfine --warmup 3 --runs 50 --prepare "rm -f $XDG_RUNTIME_DIR/awsesh/used-*" \
    "curl -s -o /dev/null -d 'Action=GetSessionToken&Version=2011-06-15' $AWS_ENDPOINT_URL/" \
    "$BIN login --force --token-code 123456"

if [[ -f benches/shell.sh ]]; then
    echo "== shell hook per prompt"
    BIN=$BIN bash benches/shell.sh
fi
