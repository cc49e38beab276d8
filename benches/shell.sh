#!/usr/bin/env bash
# Cost of the prompt hook per prompt, steady state (a fresh session cached,
# nothing changed since the last prompt), against a no-op function, in bash,
# zsh and fish; and the forks it makes, counted with strace when present.
# Expects the environment benches/run.sh sets up (a logged-in session).
set -euo pipefail
BIN=${BIN:?path to awsesh}
N=${N:-20000}

bash_loop='
eval "$("$BIN" init bash)"; _awsesh_hook
noop() { return $?; }
t0=$EPOCHREALTIME; for ((i = 0; i < N; i++)); do noop; done; t1=$EPOCHREALTIME
for ((i = 0; i < N; i++)); do _awsesh_hook; done; t2=$EPOCHREALTIME
hook=$(( (${t2/./} - ${t1/./}) * 1000 / N )); base=$(( (${t1/./} - ${t0/./}) * 1000 / N ))
printf "bash  hook %d ns/prompt, no-op %d ns, overhead %d ns  [%s]\n" "$hook" "$base" "$((hook - base))" "$AWSESH_PROMPT_SEGMENT"
'
zsh_loop='
eval "$("$BIN" init zsh)"; _awsesh_hook
zmodload zsh/datetime
noop() { return $?; }
t0=$EPOCHREALTIME; for ((i = 0; i < N; i++)); do noop; done; t1=$EPOCHREALTIME
for ((i = 0; i < N; i++)); do _awsesh_hook; done; t2=$EPOCHREALTIME
printf "zsh   hook %d ns/prompt, no-op %d ns, overhead %d ns  [%s]\n" $(( (t2 - t1) * 1e9 / N )) $(( (t1 - t0) * 1e9 / N )) $(( ((t2 - t1) - (t1 - t0)) * 1e9 / N )) "$AWSESH_PROMPT_SEGMENT"
'
fish_loop='
$BIN init fish | source; _awsesh_hook
function noop; return $status; end
set n (math "$N / 20")
set t0 (date +%s%N); for i in (seq $n); noop; end; set t1 (date +%s%N)
for i in (seq $n); _awsesh_hook; end; set t2 (date +%s%N)
printf "fish  hook %d ns/prompt, no-op %d ns, overhead %d ns\n" (math "($t2 - $t1) / $n") (math "($t1 - $t0) / $n") (math "(($t2 - $t1) - ($t1 - $t0)) / $n")
true
'
export BIN N
bash --norc --noprofile -i -c "$bash_loop" 2>/dev/null || echo "bash loop failed"
if command -v zsh >/dev/null; then zsh -f -i -c "$zsh_loop" 2>/dev/null || echo "zsh loop failed"; fi
if command -v fish >/dev/null; then fish --no-config -i -c "$fish_loop" 2>/dev/null || echo "fish loop failed"; fi

if command -v strace >/dev/null; then
    count_forks() { # shell, script
        strace -f -qq -e trace=clone,clone3,fork,vfork -o /dev/stdout "$@" 2>/dev/null | grep -c -E 'clone|fork' || true
    }
    for_n=100
    echo "forks for $for_n prompts (after init):"
    base=$(count_forks bash --norc --noprofile -i -c 'eval "$("$BIN" init bash)"; _awsesh_hook')
    all=$(count_forks bash --norc --noprofile -i -c 'eval "$("$BIN" init bash)"; _awsesh_hook; for ((i = 0; i < '$for_n'; i++)); do _awsesh_hook; done')
    echo "  bash: $((all - base))"
    base=$(count_forks zsh -f -i -c 'eval "$("$BIN" init zsh)"; _awsesh_hook')
    all=$(count_forks zsh -f -i -c 'eval "$("$BIN" init zsh)"; _awsesh_hook; for ((i = 0; i < '$for_n'; i++)); do _awsesh_hook; done')
    echo "  zsh:  $((all - base))"
    base=$(count_forks bash --norc --noprofile -i -c 'eval "$("$BIN" init bash)"; _awsesh_hook')
    # The wrapper around a builtin (`--cmd true`), so any fork is the wrapper's own.
    base=$(count_forks bash --norc --noprofile -i -c 'eval "$("$BIN" init bash --cmd true)"; _awsesh_hook')
    all=$(count_forks bash --norc --noprofile -i -c 'eval "$("$BIN" init bash --cmd true)"; _awsesh_hook; for ((i = 0; i < '$for_n'; i++)); do true; done')
    echo "  bash wrapper with a fresh session, $for_n calls: $((all - base))"
    base=$(count_forks zsh -f -i -c 'eval "$("$BIN" init zsh --cmd true)"; _awsesh_hook')
    all=$(count_forks zsh -f -i -c 'eval "$("$BIN" init zsh --cmd true)"; _awsesh_hook; for ((i = 0; i < '$for_n'; i++)); do true; done')
    # zsh's `command` always runs the external binary: one fork per call is the command's own.
    echo "  zsh wrapper with a fresh session, $for_n calls, beyond the command's own fork: $((all - base - for_n))"
fi
