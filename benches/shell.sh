#!/usr/bin/env bash
# shellcheck disable=SC2016 # shell code for other shells, expanded there
# Per prompt and per wrapped call, inside bash, zsh and fish, in the state of
# the store that benches/run.sh set up (a session cached, none, expired):
#
#   prompt_ns    SHELL TOOL  ns per prompt above a no-op function (TOOL: awsesh,
#                            direnv) or the no-op function itself (bare)
#   prompt_forks SHELL TOOL  processes started per prompt
#   wrap_ns      SHELL TOOL  ns per call of the wrapped command (awsesh) above
#                            calling it directly (direct: that call itself)
#   wrap_forks   SHELL TOOL  processes started per call beyond a direct call
#
# one tab-separated line each on stdout. bash and zsh time their loops with
# their own clock (EPOCHREALTIME); fish has none, so its loops are timed from
# outside, the same fish started with a no-op loop and with the hook loop,
# and the difference divided by the number of calls. The wrapped command is
# `true` (`awsesh init SHELL --cmd true`), called with arguments so that the
# wrapper takes its session path: bash's `command true` is the builtin, zsh
# and fish run /usr/bin/true. Forks are counted with strace: 101 calls minus
# 1 call, divided by 100; threads are not counted.
#
# dash (POSIX sh) and tcsh have no clock either: timed from outside like fish,
# one process with a loop of N prompts' work against the same loop doing
# nothing. dash's prompt work is the expansion of the PS1 prefix `awsesh init
# posix` adds; tcsh's is the `_awsesh_hook` alias that `precmd` runs. Their
# lines name the shell `dash` and `tcsh`, tool `awsesh`.
#
# xonsh has a clock (Python's time.perf_counter_ns): its hook — the
# on_pre_prompt_format handler `awsesh init xonsh` registers — is timed inside
# xonsh against a no-op Python function, N_XONSH calls, and its forks counted
# with strace like bash's (101 calls minus 1). The script is loaded with
# $XONSH_INTERACTIVE set, as in an interactive xonsh. Lines name the shell
# `xonsh`, tool `awsesh`.
#
# nushell has a clock (`date now`, nanoseconds): its hook — the
# `_awsesh_hook` command that `awsesh init nushell` puts in
# $env.config.hooks.pre_prompt — is timed inside `nu -i` against an empty
# `def --env` command, N_NU calls, and its forks counted with strace like
# bash's (101 calls minus 1; the npm package's `nu` is a node launcher, whose
# own processes the difference cancels). Lines name the shell `nushell`,
# tool `awsesh`.
#
#   BIN=target/release/awsesh N=20000 ROUNDS=5 TOOLS="awsesh bare direnv" bash benches/shell.sh
set -euo pipefail
BIN=${BIN:?path to awsesh}
N=${N:-20000}             # hook calls per bash/zsh loop
N_FORKING=${N_FORKING:-200} # per loop for a hook that starts a process
N_FISH=${N_FISH:-2000}
ROUNDS=${ROUNDS:-5}
TOOLS=${TOOLS:-awsesh bare direnv}
WRAP=${WRAP:-1}
export BIN

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }

# The lines that load TOOL's hook in SHELL and the name of the hook function.
setup() { # shell tool
    case $1:$2 in
    bash:awsesh) echo 'eval "$("$BIN" init bash)"; hook=_awsesh_hook' ;;
    zsh:awsesh) echo 'eval "$("$BIN" init zsh)"; hook=_awsesh_hook' ;;
    fish:awsesh) echo '$BIN init fish | source' ;;
    bash:direnv) echo 'eval "$(direnv hook bash)"; hook=_direnv_hook' ;;
    zsh:direnv) echo 'eval "$(direnv hook zsh)"; hook=_direnv_hook' ;;
    fish:direnv) echo 'direnv hook fish | source' ;;
    bash:bare | zsh:bare) echo 'hook=noop' ;;
    fish:bare) echo 'true' ;;
    esac
}
fish_hook() {
    case $1 in awsesh) echo _awsesh_hook ;; direnv) echo __direnv_export_eval ;; bare) echo noop ;; esac
}

run_shell() { # shell script
    case $1 in
    bash) bash --norc --noprofile -i -c "$2" 2>/dev/null ;;
    zsh) zsh -f -i -c "$2" 2>/dev/null ;;
    fish) fish --no-config -i -c "$2" 2>/dev/null ;;
    esac
}

# bash and zsh: ROUNDS lines of "no-op ns, hook ns" per call, by the shell's clock.
loop_script() { # shell tool n
    local clock='${t1/./} - ${t0/./}' clock2='${t2/./} - ${t1/./}'
    if [[ $1 == zsh ]]; then
        clock='(t1 - t0) * 1000000' clock2='(t2 - t1) * 1000000'
        printf 'zmodload zsh/datetime\n'
    fi
    cat <<EOF
noop() { return \$?; }
$(setup "$1" "$2")
\$hook
for ((r = 0; r < $ROUNDS; r++)); do
    t0=\$EPOCHREALTIME; for ((i = 0; i < $3; i++)); do noop; done; t1=\$EPOCHREALTIME
    for ((i = 0; i < $3; i++)); do \$hook; done; t2=\$EPOCHREALTIME
    printf '%d %d\n' \$(( ($clock) * 1000 / $3 )) \$(( ($clock2) * 1000 / $3 ))
done
EOF
}

fish_script() { # tool calls function
    printf 'function noop; return $status; end\n%s\n%s\n' "$(setup fish "$1")" "$(fish_hook "$1")"
    printf 'for i in (seq %d); %s; end\n' "$2" "$3"
}

# fish: the hook loop's time minus the no-op loop's, per call, median of ROUNDS.
fish_ns() { # tool n
    local noop hook i t0 t1 t2 diffs=()
    noop=$(fish_script "$1" "$2" noop)
    hook=$(fish_script "$1" "$2" "$(fish_hook "$1")")
    for ((i = 0; i < ROUNDS; i++)); do
        t0=${EPOCHREALTIME/./}
        run_shell fish "$noop"
        t1=${EPOCHREALTIME/./}
        run_shell fish "$hook"
        t2=${EPOCHREALTIME/./}
        diffs+=("$(((t2 - t1) - (t1 - t0)))")
    done
    echo $(($(printf '%s\n' "${diffs[@]}" | median) * 1000 / $2))
}

prompt_ns() { # shell tool
    local n=$N out
    [[ $2 == direnv ]] && n=$N_FORKING
    if [[ $1 == fish ]]; then
        n=$N_FISH
        [[ $2 == direnv ]] && n=$((N_FORKING / 2))
        if [[ $2 == bare ]]; then
            # The no-op loop against an empty loop: the cost of a function call.
            local empty noop t0 t1 t2 i diffs=()
            empty=$(printf 'for i in (seq %d); end\n' "$n")
            noop=$(fish_script bare "$n" noop)
            for ((i = 0; i < ROUNDS; i++)); do
                t0=${EPOCHREALTIME/./}
                run_shell fish "$empty"
                t1=${EPOCHREALTIME/./}
                run_shell fish "$noop"
                t2=${EPOCHREALTIME/./}
                diffs+=("$(((t2 - t1) - (t1 - t0)))")
            done
            echo $(($(printf '%s\n' "${diffs[@]}" | median) * 1000 / n))
            return
        fi
        fish_ns "$2" "$n"
        return
    fi
    out=$(run_shell "$1" "$(loop_script "$1" "$2" "$n")")
    if [[ $2 == bare ]]; then
        awk '{ print $1 }' <<<"$out" | median
    else
        awk '{ print $2 - $1 }' <<<"$out" | median
    fi
}

# Processes started by COMMAND...: clones that are not threads (direnv, in
# Go, starts threads of its own).
count_forks() {
    strace -f -qq -e trace=clone,clone3,fork,vfork -o /dev/stdout "$@" 2>/dev/null |
        grep -E '^[0-9]+ +(clone|clone3|fork|vfork)\(' | grep -c -v CLONE_THREAD || true
}

forks_per_call() { # shell setup body
    local one many shell=$1
    local -a cmd
    case $shell in
    bash) cmd=(bash --norc --noprofile -i -c) ;;
    zsh) cmd=(zsh -f -i -c) ;;
    fish) cmd=(fish --no-config -i -c) ;;
    esac
    if [[ $shell == fish ]]; then
        one=$(count_forks "${cmd[@]}" "$2; for i in (seq 1); $3; end")
        many=$(count_forks "${cmd[@]}" "$2; for i in (seq 101); $3; end")
    else
        one=$(count_forks "${cmd[@]}" "$2; for ((i = 0; i < 1; i++)); do $3; done")
        many=$(count_forks "${cmd[@]}" "$2; for ((i = 0; i < 101; i++)); do $3; done")
    fi
    awk -v a="$one" -v b="$many" 'BEGIN { printf "%g\n", (b - a) / 100 }'
}

prompt_forks() { # shell tool
    local setup_lines hook
    setup_lines=$(setup "$1" "$2")
    if [[ $1 == fish ]]; then
        hook=$(fish_hook "$2")
        setup_lines="function noop; return \$status; end; $setup_lines; $hook"
    else
        hook='$hook'
        setup_lines="noop() { return \$?; }; $setup_lines; \$hook"
    fi
    forks_per_call "$1" "$setup_lines" "$hook"
}

# The wrapper around `true` with a fresh session against `command true`.
wrap_ns() { # shell
    local init n=$N
    [[ $1 == bash ]] || n=$N_FORKING
    if [[ $1 == fish ]]; then
        n=$((N_FORKING))
        local direct wrapped t0 t1 t2 i diffs=() base=()
        init='$BIN init fish --cmd true | source; _awsesh_hook'
        direct=$(printf '%s\nfor i in (seq %d); command true s3 ls; end\n' "$init" "$n")
        wrapped=$(printf '%s\nfor i in (seq %d); true s3 ls; end\n' "$init" "$n")
        for ((i = 0; i < ROUNDS; i++)); do
            t0=${EPOCHREALTIME/./}
            run_shell fish "$direct"
            t1=${EPOCHREALTIME/./}
            run_shell fish "$wrapped"
            t2=${EPOCHREALTIME/./}
            diffs+=("$(((t2 - t1) - (t1 - t0)))")
            base+=("$((t1 - t0))")
        done
        printf 'wrap_ns\tfish\tawsesh\t%s\n' $(($(printf '%s\n' "${diffs[@]}" | median) * 1000 / n))
        printf 'wrap_ns\tfish\tdirect\t%s\n' $(($(printf '%s\n' "${base[@]}" | median) * 1000 / n))
        return
    fi
    local clock='${t1/./} - ${t0/./}' clock2='${t2/./} - ${t1/./}' pre=''
    if [[ $1 == zsh ]]; then
        clock='(t1 - t0) * 1000000' clock2='(t2 - t1) * 1000000'
        pre='zmodload zsh/datetime'
    fi
    local out
    out=$(run_shell "$1" "$pre
eval \"\$(\"\$BIN\" init $1 --cmd true)\"; _awsesh_hook
for ((r = 0; r < $ROUNDS; r++)); do
    t0=\$EPOCHREALTIME; for ((i = 0; i < $n; i++)); do \\command true s3 ls; done; t1=\$EPOCHREALTIME
    for ((i = 0; i < $n; i++)); do true s3 ls; done; t2=\$EPOCHREALTIME
    printf '%d %d\n' \$(( ($clock) * 1000 / $n )) \$(( ($clock2) * 1000 / $n ))
done")
    printf 'wrap_ns\t%s\tawsesh\t%s\n' "$1" "$(awk '{ print $2 - $1 }' <<<"$out" | median)"
    printf 'wrap_ns\t%s\tdirect\t%s\n' "$1" "$(awk '{ print $1 }' <<<"$out" | median)"
}

wrap_forks() { # shell
    local init direct wrapped
    case $1 in
    fish) init='$BIN init fish --cmd true | source; _awsesh_hook' ;;
    *) init="eval \"\$(\"\$BIN\" init $1 --cmd true)\"; _awsesh_hook" ;;
    esac
    direct=$(forks_per_call "$1" "$init" "command true s3 ls")
    wrapped=$(forks_per_call "$1" "$init" "true s3 ls")
    awk -v a="$direct" -v b="$wrapped" 'BEGIN { printf "%g\n", b - a }'
}

# dash and tcsh: prompt_ns and prompt_forks of awsesh, per prompt.
N_OUTSIDE=${N_OUTSIDE:-200}
# A script running N prompts' work (or, with work=noop, nothing) in SHELL.
outside_script() { # shell n work(awsesh|noop)
    local work
    case $1 in
    dash)
        work='x=""'
        [[ $3 == awsesh ]] && work='x="${AWSESH_PROFILE:+$(\command "$_awsesh_bin" prompt --held)}"'
        printf '%s\n' 'eval "$("$BIN" init posix)"' 'i=0' \
            "while [ \$i -lt $2 ]; do $work; i=\$((i + 1)); done"
        ;;
    tcsh)
        # The script defines nothing without a terminal: its lines are
        # sourced here without that test (saved to a file, not a pipe, which
        # awsesh would refuse to feed to another shell than tcsh).
        work='set x = ""'
        [[ $3 == awsesh ]] && work=_awsesh_hook
        printf '%s\n' 'set prompt = "> "' "source $TCSH_INIT" _awsesh_hook '@ i = 0' \
            "while (\$i < $2)" "$work" '@ i++' end
        ;;
    esac
}
# The flag that runs a script file: -i for dash, whose `init posix` defines
# nothing in a non-interactive shell; -f (no rc file) for tcsh.
script_flag() { if [[ $1 == dash ]]; then echo -i; else echo -f; fi; }
run_outside() { # shell script-file
    local flag
    flag=$(script_flag "$1")
    # A script that stops early would time nothing: fail, saying why.
    "$1" "$flag" "$2" </dev/null >/dev/null 2>"$2.err" || {
        echo "shell.sh: $1 $2 failed: $(head -c 300 "$2.err")" >&2
        return 1
    }
}
outside_ns() { # shell
    local dir noop hook t0 t1 t2 i diffs=()
    dir=$(mktemp -d)
    noop=$dir/noop hook=$dir/hook
    outside_script "$1" "$N_OUTSIDE" noop >"$noop"
    outside_script "$1" "$N_OUTSIDE" awsesh >"$hook"
    for ((i = 0; i < ROUNDS; i++)); do
        t0=${EPOCHREALTIME/./}
        run_outside "$1" "$noop" || return 1
        t1=${EPOCHREALTIME/./}
        run_outside "$1" "$hook" || return 1
        t2=${EPOCHREALTIME/./}
        diffs+=("$(((t2 - t1) - (t1 - t0)))")
    done
    rm -rf "$dir"
    echo $(($(printf '%s\n' "${diffs[@]}" | median) * 1000 / N_OUTSIDE))
}
outside_forks() { # shell
    local dir one many flag
    flag=$(script_flag "$1")
    dir=$(mktemp -d)
    outside_script "$1" 1 awsesh >"$dir/one"
    outside_script "$1" 101 awsesh >"$dir/many"
    one=$(count_forks "$1" "$flag" "$dir/one" </dev/null)
    many=$(count_forks "$1" "$flag" "$dir/many" </dev/null)
    rm -rf "$dir"
    awk -v a="$one" -v b="$many" 'BEGIN { printf "%g\n", (b - a) / 100 }'
}
if [[ " $TOOLS " == *" awsesh "* ]]; then
    TCSH_INIT=$(mktemp)
    if command -v tcsh >/dev/null; then
        "$BIN" init tcsh >"$TCSH_INIT"
        # Its guard (an interactive shell on a terminal) made true.
        sed -i 's/\$?prompt \&\& -t 0/1/' "$TCSH_INIT"
    fi
    for sh in dash tcsh; do
        command -v "$sh" >/dev/null || continue
        ns=$(outside_ns "$sh") || exit 1
        printf 'prompt_ns\t%s\tawsesh\t%s\n' "$sh" "$ns"
        if command -v strace >/dev/null; then
            printf 'prompt_forks\t%s\tawsesh\t%s\n' "$sh" "$(outside_forks "$sh")"
        fi
    done
    rm -f "$TCSH_INIT"
fi

# xonsh: the hook, timed by Python's clock inside xonsh, and its forks.
N_XONSH=${N_XONSH:-5000}
xonsh_script() { # n (loops of N calls, ROUNDS of them) | forks (the hook N times)
    printf '%s\n' '$XONSH_INTERACTIVE = True' \
        "execx(\$(\$BIN init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')" \
        'import sys, time' 'hook = sys.modules["_awsesh_xonsh"].hook' \
        'def noop(**kw): return None' 'hook()'
    if [[ $1 == ns ]]; then
        printf '%s\n' "for r in range($ROUNDS):" \
            '    t0 = time.perf_counter_ns()' "    for i in range($N_XONSH): noop()" \
            '    t1 = time.perf_counter_ns()' "    for i in range($N_XONSH): hook()" \
            '    t2 = time.perf_counter_ns()' \
            "    print(((t2 - t1) - (t1 - t0)) // $N_XONSH)"
    else
        printf '%s\n' "for i in range($2): hook()"
    fi
}
if [[ " $TOOLS " == *" awsesh "* ]] && command -v xonsh >/dev/null; then
    dir=$(mktemp -d)
    xonsh_script ns >"$dir/ns.xsh"
    printf 'prompt_ns\txonsh\tawsesh\t%s\n' "$(xonsh --no-rc "$dir/ns.xsh" 2>/dev/null | median)"
    if command -v strace >/dev/null; then
        xonsh_script forks 1 >"$dir/one.xsh"
        xonsh_script forks 101 >"$dir/many.xsh"
        one=$(count_forks xonsh --no-rc "$dir/one.xsh" </dev/null)
        many=$(count_forks xonsh --no-rc "$dir/many.xsh" </dev/null)
        printf 'prompt_forks\txonsh\tawsesh\t%s\n' "$(awk -v a="$one" -v b="$many" 'BEGIN { printf "%g\n", (b - a) / 100 }')"
    fi
    rm -rf "$dir"
fi

# nushell: the hook, timed by nushell's clock inside nu, and its forks.
N_NU=${N_NU:-2000}
nu_script() { # dir ns | dir forks CALLS
    printf '%s\n' "source '$1/awsesh.nu'" 'def --env noop [] { }' '_awsesh_hook'
    if [[ $2 == ns ]]; then
        printf '%s\n' "for r in 1..$ROUNDS {" \
            '    let t0 = (date now)' "    for i in 1..$N_NU { noop }" \
            '    let t1 = (date now)' "    for i in 1..$N_NU { _awsesh_hook }" \
            '    let t2 = (date now)' \
            "    print ((((\$t2 - \$t1) - (\$t1 - \$t0)) | into int) // $N_NU)" '}'
    else
        printf '%s\n' "for i in 1..$3 { _awsesh_hook }"
    fi
}
if [[ " $TOOLS " == *" awsesh "* ]] && command -v nu >/dev/null; then
    dir=$(mktemp -d)
    "$BIN" init nushell >"$dir/awsesh.nu"
    nu_script "$dir" ns >"$dir/ns.nu"
    printf 'prompt_ns\tnushell\tawsesh\t%s\n' "$(nu -n -i "$dir/ns.nu" 2>/dev/null | median)"
    if command -v strace >/dev/null; then
        nu_script "$dir" forks 1 >"$dir/one.nu"
        nu_script "$dir" forks 101 >"$dir/many.nu"
        one=$(count_forks nu -n -i "$dir/one.nu" </dev/null)
        many=$(count_forks nu -n -i "$dir/many.nu" </dev/null)
        printf 'prompt_forks\tnushell\tawsesh\t%s\n' "$(awk -v a="$one" -v b="$many" 'BEGIN { printf "%g\n", (b - a) / 100 }')"
    fi
    rm -rf "$dir"
fi

shells=(bash)
command -v zsh >/dev/null && shells+=(zsh)
command -v fish >/dev/null && shells+=(fish)
for sh in "${shells[@]}"; do
    for tool in $TOOLS; do
        printf 'prompt_ns\t%s\t%s\t%s\n' "$sh" "$tool" "$(prompt_ns "$sh" "$tool")"
        if command -v strace >/dev/null && [[ $tool != bare ]]; then
            printf 'prompt_forks\t%s\t%s\t%s\n' "$sh" "$tool" "$(prompt_forks "$sh" "$tool")"
        fi
    done
    if [[ $WRAP == 1 ]]; then
        wrap_ns "$sh"
        if command -v strace >/dev/null; then
            printf 'wrap_forks\t%s\tawsesh\t%s\n' "$sh" "$(wrap_forks "$sh")"
        fi
    fi
done

# elvish has a clock (`time &on-end`, the duration in seconds): its hook —
# the closure `awsesh init elvish` appends to edit:before-readline — is timed
# inside elvish against an empty function, N_ELVISH calls per round, and its
# forks counted with strace like bash's (101 calls minus 1). The script is
# compiled only where the line editor exists, so it is evaluated here, from a
# file (awsesh refuses to feed a pipe read by another shell than elvish),
# against a stand-in `edit:` namespace. Lines name the shell `elvish`, tool
# `awsesh`.
N_ELVISH=${N_ELVISH:-5000}
elvish_script() { # init-file ns | init-file forks N
    printf '%s\n' 'use math' \
        "var e = (ns [&before-readline=[] &prompt={ put '> ' } &add-var~={|@a| }])" \
        "eval (slurp < '$1')" 'var hook = $e[before-readline][0]' 'var noop = { }' '$hook'
    if [[ $2 == ns ]]; then
        printf '%s\n' "var n = $N_ELVISH" "for r [(range $ROUNDS)] {" \
            '  var base = 0; var took = 0' \
            '  time &on-end={|d| set base = $d } { for i [(range $n)] { $noop } }' \
            '  time &on-end={|d| set took = $d } { for i [(range $n)] { $hook } }' \
            '  echo (exact-num (math:round (/ (* (- $took $base) 1000000000) $n)))' '}'
    else
        printf '%s\n' "for i [(range $3)] { \$hook }"
    fi
}
if [[ " $TOOLS " == *" awsesh "* ]] && command -v elvish >/dev/null; then
    dir=$(mktemp -d)
    "$BIN" init elvish >"$dir/init.elv"
    sed -i 's/eval &ns=(ns \[&\])/eval \&ns=(ns [\&edit:=$e])/' "$dir/init.elv"
    elvish_script "$dir/init.elv" ns >"$dir/ns.elv"
    printf 'prompt_ns\telvish\tawsesh\t%s\n' "$(elvish -norc "$dir/ns.elv" </dev/null 2>/dev/null | median)"
    if command -v strace >/dev/null; then
        elvish_script "$dir/init.elv" forks 1 >"$dir/one.elv"
        elvish_script "$dir/init.elv" forks 101 >"$dir/many.elv"
        one=$(count_forks elvish -norc "$dir/one.elv" </dev/null)
        many=$(count_forks elvish -norc "$dir/many.elv" </dev/null)
        printf 'prompt_forks\telvish\tawsesh\t%s\n' "$(awk -v a="$one" -v b="$many" 'BEGIN { printf "%g\n", (b - a) / 100 }')"
    fi
    rm -rf "$dir"
fi
