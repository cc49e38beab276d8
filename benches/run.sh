#!/usr/bin/env bash
# shellcheck disable=SC2016 # shell code for other shells, expanded there
# awsesh against its peers, on this machine, in one run, as one table:
#
#   bash benches/run.sh                       # the whole run, ~8 minutes on 2 cores
#   AWSESH_BENCH_QUICK=1 bash benches/run.sh  # fewer runs of each, ~3 minutes
#
# Builds the release binary and the SDK floor (examples/sts_floor.rs) unless
# AWSESH_BIN / AWSESH_FLOOR_BIN name them; installs what is missing — apt:
# hyperfine direnv strace zsh fish curl; pip, in a venv under target/bench:
# awsume, aws-mfa and the AWS CLI (and moto if moto_server is not on PATH);
# starts moto on loopback and measures, with a throwaway HOME and runtime
# directory:
#
#   - a fresh MFA session into a shell: awsesh, the team's current flow
#     (benches/team_flow.py: the AWS CLI's get-session-token, then the
#     exports), awsume, aws-mfa, a minimal aws-sdk-sts client and curl;
#   - a cached session: `awsesh env`, `credential-process` and the aws
#     wrapper against awsume and aws-mfa from their caches;
#   - per prompt (a session cached, none, expired) and per wrapped call in
#     bash, zsh and fish, timed inside the shell, forks counted, and the
#     prompts of xonsh, nushell, elvish, dash and tcsh (benches/shell.sh);
#   - start-up of the hot commands against /bin/true, run in turn
#     (benches/interleave.py);
#   - Enter to credentials on a pseudo-terminal (benches/enter.py);
#   - 50 terminals refreshing at once (benches/herd.sh);
#   - benches/server.sh, when present;
#   - benches/large_config.sh: the calls that read the config at 1, 1,000
#     and 10,000 profiles.
#
# Prints the table (benches/report.py), then the machine and the versions;
# the same text is left in target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=${AWSESH_BENCH_QUICK:-0}
# pick FULL QUICK: how many of something, by mode
pick() { if [[ $quick == 1 ]]; then echo "$2"; else echo "$1"; fi; }
only=" ${AWSESH_BENCH_ONLY:-fresh cached shell startup enter herd server large} "
want() { [[ $only == *" $1 "* ]]; }
say() { printf '== %s (%ds)\n' "$*" "$SECONDS" >&2; }

# --- what the run needs --------------------------------------------------------
missing=()
for tool in hyperfine direnv strace zsh fish curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    say "installing with apt: ${missing[*]}"
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
venv=$root/target/bench/venv
peers=(awsume aws-mfa awscli)
command -v moto_server >/dev/null || peers+=("moto[server]")
if [[ ! -x $venv/bin/awsume || ! -x $venv/bin/aws-mfa || ! -x $venv/bin/aws ]] ||
    { ! command -v moto_server >/dev/null && [[ ! -x $venv/bin/moto_server ]]; }; then
    say "installing with pip into $venv: ${peers[*]}"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "${peers[@]}"
fi
# Two builds: with the example, cargo would turn on the features of the
# dev-dependencies (aws-sdk-sts/test-util) in the awsesh binary as well.
if [[ -z ${AWSESH_BIN:-} ]]; then
    say "cargo build --release --bin awsesh"
    cargo build --release --quiet --bin awsesh
fi
if [[ -z ${AWSESH_FLOOR_BIN:-} ]]; then
    say "cargo build --release --example sts_floor"
    cargo build --release --quiet --example sts_floor
fi
BIN=${AWSESH_BIN:-$root/target/release/awsesh}
FLOOR=${AWSESH_FLOOR_BIN:-$root/target/release/examples/sts_floor}
moto_server=$(command -v moto_server || echo "$venv/bin/moto_server")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- a throwaway world -------------------------------------------------------------
work=$(mktemp -d)
run_dir=
moto_pid=
cleanup() {
    [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null
    if [[ -n ${AWSESH_BENCH_KEEP:-} ]]; then echo "kept: $work" >&2; else rm -rf "$work" "$run_dir"; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

for v in $(env | sed -n 's/^\(AWS[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset XDG_CACHE_HOME XDG_CONFIG_HOME XDG_DATA_HOME TOTP_CODE
# The runtime directory on tmpfs, as /run/user/UID is: there fsync costs nothing.
run_dir=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
export HOME=$work/home XDG_RUNTIME_DIR=$run_dir/run AWS_ENDPOINT_URL=http://127.0.0.1:$port
export PATH=$venv/bin:$PATH LC_ALL=C BIN FLOOR
mkdir -p "$HOME/.aws" "$XDG_RUNTIME_DIR" "$work/cmd" "$work/json" && chmod 700 "$XDG_RUNTIME_DIR"
cd "$work"
serial=arn:aws:iam::123456789012:mfa/bench
keys='aws_access_key_id = AKIAIOSFODNN7EXAMPL1
aws_secret_access_key = c2VjcmV0'
cat >"$HOME/.aws/credentials" <<EOF
[default]
$keys
[amfa-long-term]
$keys
aws_mfa_device = $serial
EOF
cat >"$HOME/.aws/config" <<EOF
[default]
region = us-east-1
mfa_serial = $serial
[profile amfa]
region = us-east-1
EOF
echo "$serial" >"$work/mfa-arn" # the team flow caches the device's ARN on first use
store=$XDG_RUNTIME_DIR/awsesh
rows=$work/rows.tsv
: >"$rows"

# row FIGURE AWSESH PEER PEER_VALUE KIND — see benches/report.py
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"; }

# cmd NAME LINE: a script that runs LINE in a plain bash, for hyperfine -N.
cmd() {
    printf '%s\n' "$2" >"$work/cmd/$1.sh"
    echo "bash --norc --noprofile $work/cmd/$1.sh"
}

# hf NAME ROUNDS RUNS WARMUP PREPARE COMMAND...: hyperfine -N in ROUNDS
# rounds of RUNS/ROUNDS runs of each COMMAND, so that the commands compared
# run close in time on a machine whose load changes; into M, for each
# COMMAND, the median over the rounds of its median.
hf() {
    local name=$1 rounds=$2 runs=$3 warmup=$4 prepare=$5 r
    shift 5
    local args=(-N --style none --runs "$(((runs + rounds - 1) / rounds))")
    [[ -z $prepare ]] || args+=(--prepare "$prepare")
    for ((r = 0; r < rounds; r++)); do
        # The whole warm-up before the first round, a tenth before the others.
        hyperfine "${args[@]}" --warmup "$((r ? warmup / 10 : warmup))" --export-json "$work/json/$name-$r.json" "$@" \
            >/dev/null 2>"$work/json/$name.err" || {
            cat "$work/json/$name.err" >&2
            return 1
        }
    done
    mapfile -t M < <(python3 - "$work/json/$name"-*.json <<'EOF'
import json, statistics, sys
rounds = [[r["median"] for r in json.load(open(f))["results"]] for f in sys.argv[1:]]
for i in range(len(rounds[0])):
    print(int(statistics.median(r[i] for r in rounds) * 1e9))
EOF
    )
}

# bench NAME RUNS WARMUP PREPARE-LINE LINE...: each LINE run by a plain bash.
bench() {
    local name=$1 runs=$2 warmup=$3 prepare=$4 i=0 rounds=$ROUNDS
    shift 4
    local cmds=()
    ((runs >= 2 * rounds)) || rounds=1
    [[ -z $prepare ]] || prepare=$(cmd "$name-prepare" "$prepare")
    for line in "$@"; do
        cmds+=("$(cmd "$name-$i" "$line")")
        i=$((i + 1))
    done
    hf "$name" "$rounds" "$runs" "$warmup" "$prepare" "${cmds[@]}"
}

# bench_n NAME RUNS COMMAND...: plain commands, no shell.
bench_n() {
    local name=$1 runs=$2
    shift 2
    hf "$name" "$ROUNDS" "$runs" 30 "" "$@"
}

team_fresh=
ROUNDS=$(pick 5 3)
fast_runs=$(pick 40 12)
slow_runs=$(pick 10 3)
forget_code="rm -f $store/used-*"
login="$forget_code; \"\$BIN\" login --force --token-code 123456 2>/dev/null"
eval "$login"

expire() { # the cached session, expired a minute ago (what a session file then holds)
    python3 - "$store/p-default.session" <<'EOF'
import json, os, sys, time
from datetime import datetime, timezone
path = sys.argv[1]
session = json.loads(open(path).read().split("\n", 1)[1])
exp = int(time.time()) - 60
session["expiration"] = datetime.fromtimestamp(exp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
tmp = path + ".bench"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, f"{exp}\n{json.dumps(session)}\n".encode())
os.close(fd)
os.utime(tmp, (exp, exp))
os.rename(tmp, path)
EOF
}

# --- a fresh MFA session into a shell ----------------------------------------------
if want fresh; then
    say "a fresh MFA session into a shell"
    # In turn, one run of each after the other: the three differ by a few
    # milliseconds, less than the load of a shared machine moves them.
    mapfile -t t < <(python3 "$root/benches/interleave.py" "$fast_runs" 2 \
        "$(cmd fresh-prepare "$forget_code")" \
        "$(cmd fresh-awsesh 'eval "$("$BIN" login --force --token-code 123456 --shell bash)"')" \
        "$(cmd fresh-floor 'eval "$("$FLOOR" '"$serial"' 123456)"')" \
        "$(cmd fresh-curl "curl -s -o /dev/null -d 'Action=GetSessionToken&Version=2011-06-15' \$AWS_ENDPOINT_URL/")")
    ((${#t[@]} == 3)) || exit 1
    awsesh_fresh=${t[0]}
    bench fresh-team "$slow_runs" 1 "" \
        'eval "$(python3 '"$root"'/benches/team_flow.py '"$work"'/mfa-arn <<<123456 2>/dev/null)"'
    p=("${M[@]}")
    bench fresh-awsume "$slow_runs" 1 "rm -rf $HOME/.awsume/cache" \
        '. awsume default --mfa-token 123456 >/dev/null'
    p[1]=${M[0]}
    bench fresh-awsmfa "$slow_runs" 1 "" \
        'aws-mfa --profile amfa --force <<<123456 >/dev/null 2>&1'
    p[2]=${M[0]}
    figure="fresh MFA session into a shell"
    team_fresh=${p[0]}
    row "$figure" "$awsesh_fresh" "team flow (aws sts get-session-token + exports)" "${p[0]}" "faster:20"
    row "$figure" "$awsesh_fresh" "awsume" "${p[1]}" "faster:20"
    row "$figure" "$awsesh_fresh" "aws-mfa" "${p[2]}" "faster:20"
    row "$figure" "$awsesh_fresh" "minimal aws-sdk-sts client (floor)" "${t[1]}" "floor:1.1"
    row "$figure" "$awsesh_fresh" "bare HTTP request, curl (floor)" "${t[2]}" "floor:-"
fi

# --- a cached session --------------------------------------------------------------
if want cached; then
    say "a cached session"
    eval "$login"
    bench_n cached-awsesh "$(pick 300 100)" "$BIN env" "$BIN credential-process"
    t=("${M[@]}")
    bench cached-awsume "$slow_runs" 1 "" '. awsume default >/dev/null'
    p=("${M[@]}")
    bench cached-awsmfa "$slow_runs" 1 "" 'aws-mfa --profile amfa >/dev/null 2>&1'
    p[1]=${M[0]}
    if aws configure export-credentials help >/dev/null 2>&1; then
        bench cached-cli "$slow_runs" 1 "" \
            'eval "$("$BIN" env)"; aws configure export-credentials --format env >/dev/null'
        cli_row=${M[0]}
    else
        cli_row="n/a:not in AWS CLI $(aws --version 2>&1 | sed 's/ .*//; s/aws-cli\///')"
    fi
    row "awsesh env (cached session)" "${t[0]}" "awsume from its cache" "${p[0]}" "faster:90"
    row "awsesh env (cached session)" "${t[0]}" "aws-mfa from its cache" "${p[1]}" "faster:90"
    # The team flow keeps no cache: a new shell runs it again.
    row "awsesh env (cached session)" "${t[0]}" "team flow: no cache, runs again" "$team_fresh" "faster:90"
    row "awsesh credential-process (cached)" "${t[1]}" "aws configure export-credentials" "$cli_row" "faster:90"
fi

# --- per prompt, and the wrapper ---------------------------------------------------------
if want shell; then
    say "per prompt and per wrapped call, bash zsh fish (and the prompts of xonsh, nushell, elvish, dash and tcsh)"
    shell_env=(N="$(pick 5000 2000)" N_FISH="$(pick 500 200)" N_FORKING="$(pick 100 40)" N_NU="$(pick 2000 500)" ROUNDS="$(pick 5 3)")
    eval "$login"
    env "${shell_env[@]}" bash "$root/benches/shell.sh" >"$work/shell-cached.tsv"
    "$BIN" logout 2>/dev/null
    env "${shell_env[@]}" TOOLS=awsesh WRAP=0 bash "$root/benches/shell.sh" >"$work/shell-none.tsv"
    eval "$login"
    expire
    env "${shell_env[@]}" TOOLS=awsesh WRAP=0 bash "$root/benches/shell.sh" >"$work/shell-expired.tsv"
    get() { # file metric shell tool
        awk -F'\t' -v m="$2" -v s="$3" -v t="$4" '$1 == m && $2 == s && $3 == t { print $4 }' "$1"
    }
    for sh in bash zsh fish; do
        cached=$work/shell-cached.tsv
        direnv="$(get "$cached" prompt_ns "$sh" direnv)/$(get "$cached" prompt_forks "$sh" direnv)"
        bare="$(get "$cached" prompt_ns "$sh" bare)/0"
        for state in cached none expired; do
            f=$work/shell-$state.tsv
            a="$(get "$f" prompt_ns "$sh" awsesh)/$(get "$f" prompt_forks "$sh" awsesh)"
            row "per prompt, $sh, session $state" "$a" "direnv hook" "$direnv" "prompt:100000"
            row "per prompt, $sh, session $state" "$a" "bare shell (no-op function)" "$bare" "info"
        done
        w="$(get "$cached" wrap_ns "$sh" awsesh)/$(get "$cached" wrap_forks "$sh" awsesh)"
        d="$(get "$cached" wrap_ns "$sh" direct)/0"
        row "aws wrapper, fresh session, $sh" "$w" "the command called directly" "$d" "wrap"
    done
    # The other shells, each timed on its own (no direnv hook runs there):
    # xonsh, nushell and elvish against what their sections subtract, under
    # the same budget as bash; dash and tcsh have no clock and start one
    # awsesh per prompt by design (docs/shells.md), so they are for reference.
    for spec in "xonsh|a no-op Python function (subtracted)|prompt:100000" \
        "nushell|an empty def --env command (subtracted)|prompt:100000" \
        "elvish|an empty function (subtracted)|prompt:100000" \
        "dash|an empty loop (subtracted); no clock, 1 process by design|info" \
        "tcsh|an empty loop (subtracted); no clock, 1 process by design|info"; do
        IFS='|' read -r sh base kind <<<"$spec"
        for state in cached none expired; do
            f=$work/shell-$state.tsv
            [[ -n $(get "$f" prompt_ns "$sh" awsesh) ]] || continue
            a="$(get "$f" prompt_ns "$sh" awsesh)/$(get "$f" prompt_forks "$sh" awsesh)"
            row "per prompt, $sh, session $state" "$a" "$base" "n/a:subtracted" "$kind"
        done
    done
fi

# --- start-up --------------------------------------------------------------------
if want startup; then
    say "start-up against /bin/true"
    eval "$login"
    # One after the other, in turn, so that a change of load hits them alike.
    mapfile -t M < <(python3 "$root/benches/interleave.py" "$(pick 500 150)" 20 "" /bin/true \
        "$BIN prompt" "$BIN env" "$BIN status" "$BIN --version" \
        "$BIN hook-sync --shell bash --profile default")
    ((${#M[@]} == 6)) || exit 1
    t=("${M[@]}")
    i=1
    for c in prompt env status --version "hook-sync"; do
        row "start-up: awsesh $c" "${t[$i]}" "/bin/true" "${t[0]}" "startup:2"
        i=$((i + 1))
    done
fi

# --- Enter to credentials --------------------------------------------------------------
if want enter; then
    say "Enter to credentials, on a pseudo-terminal"
    enter_runs=$(pick 10 3)
    cold=$(python3 "$root/benches/enter.py" "$enter_runs" 0 123456 "$store/used-*" -- "$BIN" login --force)
    warm=$(python3 "$root/benches/enter.py" "$enter_runs" 1 123456 "$store/used-*" -- "$BIN" login --force)
    floor_ns=$(awk -F'\t' '$3 ~ /aws-sdk-sts/ { print $4; exit }' "$rows")
    row "Enter to credentials, code typed at once" "$(python3 -c "print(int($cold * 1e6))")" \
        "minimal aws-sdk-sts client, whole run" "$floor_ns" "floor:-"
    row "Enter to credentials, code typed after 1 s" "$(python3 -c "print(int($warm * 1e6))")" \
        "minimal aws-sdk-sts client, whole run" "$floor_ns" "floor:1.1"
fi

# --- 50 terminals at once ----------------------------------------------------------------
if want herd; then
    say "50 terminals at once"
    herd="bash $root/benches/herd.sh 50"
    bench herd-awsesh "$(pick 5 2)" 0 "$forget_code; \"\$BIN\" logout 2>/dev/null" \
        "AWSESH_MFA_CODE=123456 $herd 'eval \"\$(\"\$BIN\" env --ensure --shell bash)\"'"
    t=("${M[@]}")
    # Each awsume computes a session of its own: 50 of them take a minute or
    # two of both cores, so the quick run leaves them out.
    if [[ $quick != 1 ]]; then
        bench herd-awsume 1 0 "rm -rf $HOME/.awsume/cache" \
            "$herd '. awsume default --mfa-token 123456'"
        row "50 terminals at once, until all have the session" "${t[0]}" "awsume, 50 at once" "${M[0]}" "faster:20"
    else
        row "50 terminals at once, until all have the session" "${t[0]}" "peers: not in the quick run" "n/a:" "info"
    fi
fi

# --- the report ------------------------------------------------------------------------
out=$root/target/bench/results.md
{
    python3 "$root/benches/report.py" "$rows"
    echo
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
        "Linux $(uname -r), $(date -u +%Y-%m-%d)."
    echo "Versions: awsesh $("$BIN" --version | sed 's/awsesh //')" \
        "($(stat -c %s "$BIN") bytes), $(aws --version 2>&1 | cut -d' ' -f1-2)," \
        "awsume $(python3 -c 'import importlib.metadata as m; print(m.version("awsume"))')," \
        "aws-mfa $(python3 -c 'import importlib.metadata as m; print(m.version("aws-mfa"))')," \
        "boto3 $(python3 -c 'import importlib.metadata as m; print(m.version("boto3"))')," \
        "moto $("$(dirname "$moto_server")/python3" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || echo '?')," \
        "$(direnv version | sed 's/^/direnv /'), $(hyperfine --version)," \
        "$(bash --version | head -1 | sed 's/GNU bash, version /bash /; s/ (.*//'), $(zsh --version | cut -d' ' -f1-2)," \
        "$(fish --version | sed 's/, version//'), $(curl --version | head -1 | cut -d' ' -f1-2)."
    echo "Load average (1, 5, 15 min) before the run: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    if want server && [[ -f $root/benches/server.sh ]]; then
        echo
        echo "benches/server.sh:"
        echo
        echo '```'
        bash "$root/benches/server.sh" 2>&1 || echo "(server.sh failed)"
        echo '```'
    fi
    if want large; then
        echo
        echo "benches/large_config.sh (the calls that read the config, by number of profiles):"
        echo
        AWSESH_BIN=$BIN AWSESH_BENCH_RUNS=$(pick 15 5) bash "$root/benches/large_config.sh" 2>&1 ||
            echo "(large_config.sh failed)"
    fi
} >"$out"
cat "$out"
