#!/usr/bin/env bash
# Credentials served by `awsesh exec --server`, per request, against the AWS
# SDK's own `credential_process` round trip to `awsesh credential-process`.
# Both are timed from one Python process through botocore's providers
# (ContainerProvider, ProcessProvider), as boto3 and the AWS CLI use them;
# plus the raw endpoint from one HTTP client (keep-alive, and a new
# connection per request). Needs a release build, moto_server and boto3.
# Prints a table on stdout.
#
#   cargo build --release && bash benches/server.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${AWSESH_BIN:-$PWD/target/release/awsesh}
[[ -x $BIN ]] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v moto_server >/dev/null || { echo "missing: moto_server" >&2; exit 1; }
python3 -c 'import boto3' 2>/dev/null || { echo "missing: boto3" >&2; exit 1; }

work=$(mktemp -d)
moto_pid=
trap '[[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
    sleep 0.1
done

export HOME=$work/home XDG_RUNTIME_DIR=$work/run AWS_ENDPOINT_URL=http://127.0.0.1:$port
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
mkdir -p "$HOME/.aws" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
printf '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPL1\naws_secret_access_key = c2VjcmV0\n' >"$HOME/.aws/credentials"
printf '[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/bench\n[profile via-process]\nregion = us-east-1\ncredential_process = %s credential-process --profile default\n' "$BIN" >"$HOME/.aws/config"
"$BIN" login --token-code 123456 2>/dev/null

cat >"$work/bench.py" <<'EOF'
import http.client, os, statistics, sys, time, urllib.parse
import botocore.session
from botocore.credentials import ContainerProvider, ProcessProvider

def timed(label, n, once):
    once()  # warm-up
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        once()
        samples.append(time.perf_counter() - t)
    samples.sort()
    median = statistics.median(samples) * 1000
    p99 = samples[int(len(samples) * 0.99) - 1] * 1000
    rate = n / sum(samples)
    print(f"| {label} | {n} | {median:.3f} | {p99:.3f} | {rate:,.0f} |", flush=True)

if sys.argv[1] == "endpoint":
    uri = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
    token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    headers = {"Authorization": token}
    conn = http.client.HTTPConnection(uri.hostname, uri.port)
    def kept():
        conn.request("GET", uri.path, headers=headers)
        body = conn.getresponse().read()
        assert b"AccessKeyId" in body, body
    def fresh():
        c = http.client.HTTPConnection(uri.hostname, uri.port)
        c.request("GET", uri.path, headers=headers)
        body = c.getresponse().read()
        c.close()
        assert b"AccessKeyId" in body, body
    provider = ContainerProvider()
    def container():
        creds = provider.load()
        assert creds.method == "container-role"
    timed("endpoint, raw HTTP, one kept-alive connection", 5000, kept)
    timed("endpoint, raw HTTP, a new connection per request", 2000, fresh)
    timed("endpoint through botocore's ContainerProvider", 1000, container)
else:
    session = botocore.session.Session(profile="via-process")
    provider = ProcessProvider(profile_name="via-process", load_config=lambda: session.full_config)
    def process():
        creds = provider.load()
        assert creds.method == "custom-process"
    timed("credential_process (awsesh credential-process) through botocore's ProcessProvider", 200, process)
EOF

echo "| credentials fetched | requests | median ms | p99 ms | per second (one client) |"
echo "|---|---|---|---|---|"
"$BIN" exec --server -- python3 "$work/bench.py" endpoint
python3 "$work/bench.py" process
