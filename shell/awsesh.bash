# shellcheck shell=bash
# awsesh shell integration for bash. Load it from ~/.bashrc with:
#     eval "$(awsesh init bash)"
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork.
# - `awsesh login|logout` update this shell's environment.
# - A prompt hook picks up sessions started (or ended) in other shells, keeps
#   $AWSESH_PROMPT_SEGMENT up to date and, unless disabled, shows it in PS1.
#
# Non-interactive shells are left alone: nothing is defined there.
# Loading this twice registers nothing twice.

if [[ $- == *i* ]]; then

    # The binary, quoted by `awsesh init`; a literal path, expanded nowhere.
    # shellcheck disable=SC2016
    _awsesh_bin=@AWSESH@
    _awsesh_cmd=@CMD@
    _awsesh_prompt=@PROMPT@
    _awsesh_margin=@MARGIN@
    # Kept when loaded again, so the prompt prefix is still found and replaced.
    AWSESH_PROMPT_SEGMENT=${AWSESH_PROMPT_SEGMENT-}
    _awsesh_ps1_prefix=${_awsesh_ps1_prefix-}
    _awsesh_now=0

    # Seconds since the epoch into $_awsesh_now; no fork on bash >= 4.2.
    if ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2))); then
        _awsesh_clock() { \builtin printf -v _awsesh_now '%(%s)T' -1; }
    else
        _awsesh_clock() { _awsesh_now=$(\command date +%s); }
    fi

    # Loads the session of profile $1 (or unsets a stale one); runs on a prompt
    # when the stamp file or the profile changed.
    _awsesh_sync() {
        local out
        if out=$(\command "$_awsesh_bin" hook-sync --shell bash --profile "$1"); then
            \builtin eval "$out"
        fi
        # Even when awsesh failed: do not retry at every prompt.
        _AWSESH_FOR=$1
    }

    # The prompt hook. Keeps $? (bash itself keeps PIPESTATUS around
    # PROMPT_COMMAND); reads the stamp file with a builtin, forks only when
    # another shell changed the session or the profile changed.
    _awsesh_hook() {
        local status=$? profile=${AWS_PROFILE:-default} stamp=
        if [[ $profile != "${_AWSESH_FOR-}" ]]; then
            _awsesh_sync "$profile"
        else
            if [[ -n ${_AWSESH_STAMP-} ]]; then
                { IFS= \builtin read -r stamp <"$_AWSESH_STAMP"; } 2>/dev/null || :
            fi
            if [[ $stamp != "${_AWSESH_EXP-}" ]]; then
                _awsesh_sync "$profile"
            fi
        fi
        _awsesh_segment "$profile"
        if [[ $_awsesh_prompt == 1 && -z ${STARSHIP_SHELL-} ]]; then
            _awsesh_ps1
        fi
        return "$status"
    }

    # $AWSESH_PROMPT_SEGMENT: `aws:11h42m`, `aws:prod 42m`, `aws:expired`, or
    # empty when this shell holds no session of profile $1.
    _awsesh_segment() {
        local left name=
        AWSESH_PROMPT_SEGMENT=
        if [[ -z ${_AWSESH_EXP-} || ${AWSESH_PROFILE-} != "$1" ]]; then
            return 0
        fi
        _awsesh_clock
        left=$((_AWSESH_EXP - _awsesh_now))
        if ((left <= 0)); then
            left=expired
        elif ((left >= 3600)); then
            left=$((left / 3600))h$(((left % 3600) / 600))$(((left % 600) / 60))m
        else
            left=$((left / 60))m
        fi
        if [[ $1 != default ]]; then
            name="${1//[!A-Za-z0-9._@-]/?} "
        fi
        AWSESH_PROMPT_SEGMENT="aws:$name$left"
    }

    # Puts the segment in front of PS1, replacing the one put there before.
    # The segment holds only [A-Za-z0-9._@:? -], so PS1 expands nothing in it.
    _awsesh_ps1() {
        local prefix=
        if [[ -n $_awsesh_ps1_prefix && ${PS1-} == "$_awsesh_ps1_prefix"* ]]; then
            PS1=${PS1#"$_awsesh_ps1_prefix"}
        fi
        if [[ -n $AWSESH_PROMPT_SEGMENT ]]; then
            prefix="$AWSESH_PROMPT_SEGMENT "
            PS1=$prefix${PS1-}
        fi
        _awsesh_ps1_prefix=$prefix
    }

    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    _awsesh_as_typed() {
        (
            if [[ -n ${AWSESH_PROFILE-} ]]; then
                \builtin unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                    AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
            fi
            \command "$_awsesh_cmd" "$@"
        )
    }

    # Runs the wrapped command with a session of the profile it will use.
    _awsesh_wrap() {
        local profile='' explicit='' out rc=0
        local -a args=()
        # Subcommands that need no session (a first `aws configure` above all).
        case ${1-} in
        '' | configure | help | --version | sso)
            \command "$_awsesh_cmd" "$@"
            return
            ;;
        esac
        while (($# > 0)); do
            case $1 in
            --profile)
                if (($# > 1)); then
                    profile=$2
                    explicit=1
                    shift 2
                    continue
                fi
                ;;
            --profile=*)
                profile=${1#--profile=}
                explicit=1
                shift
                continue
                ;;
            esac
            args+=("$1")
            shift
        done
        if [[ -z $explicit ]]; then
            profile=${AWS_PROFILE:-default}
            if [[ -n ${_AWSESH_EXP-} && ${AWSESH_PROFILE-} == "$profile" ]]; then
                _awsesh_clock
                if ((_AWSESH_EXP - _awsesh_now > _awsesh_margin)); then
                    \command "$_awsesh_cmd" ${args[@]+"${args[@]}"}
                    return
                fi
            fi
        fi
        out=$(\command "$_awsesh_bin" env --ensure --pass-other-sign-in --shell bash --profile "$profile") || rc=$?
        if ((rc == 3)); then
            if [[ -n $explicit ]]; then
                args=(--profile "$profile" ${args[@]+"${args[@]}"})
            fi
            _awsesh_as_typed ${args[@]+"${args[@]}"}
            return
        fi
        ((rc == 0)) || return "$rc"
        if [[ -z $explicit ]]; then
            \builtin eval "$out"
            \command "$_awsesh_cmd" ${args[@]+"${args[@]}"}
            return
        fi
        # An explicit profile: its session for this one command only. The
        # AWS CLI ignores credentials in the environment when it is given
        # --profile, so the flag goes and AWS_PROFILE names the profile.
        (
            \builtin eval "$out"
            export AWS_PROFILE="$profile"
            \command "$_awsesh_cmd" ${args[@]+"${args[@]}"}
        )
    }

    # `awsesh login|logout` also update this shell; the rest passes through.
    awsesh() {
        local arg out
        case ${1-} in
        login | logout)
            for arg in "$@"; do
                case $arg in
                -h | --help | -V | --version | --shell | --shell=*)
                    \command "$_awsesh_bin" "$@"
                    return
                    ;;
                esac
            done
            out=$(\command "$_awsesh_bin" "$@" --shell bash) || return
            \builtin eval "$out"
            ;;
        *)
            # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
            AWSESH_HOOK=bash \command "$_awsesh_bin" "$@"
            ;;
        esac
    }

    \builtin eval "$_awsesh_cmd() { _awsesh_wrap \"\$@\"; }"

    # The hook runs last in PROMPT_COMMAND (string, or bash >= 5.1 array), once.
    case $(\builtin declare -p PROMPT_COMMAND 2>/dev/null) in
    "declare -a"*)
        case " ${PROMPT_COMMAND[*]-} " in
        *" _awsesh_hook "*) ;;
        *) PROMPT_COMMAND+=(_awsesh_hook) ;;
        esac
        ;;
    *)
        case $'\n'${PROMPT_COMMAND-}$'\n' in
        *$'\n_awsesh_hook\n'*) ;;
        *)
            # shellcheck disable=SC2128,SC2178 # the string form, here
            PROMPT_COMMAND=${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}_awsesh_hook
            ;;
        esac
        ;;
    esac
fi

# >>> awsesh: completion of the wrapped command >>>
# `@CMD@ --profile <TAB>` and `--profile=<TAB>` offer the profiles in the AWS
# config and credentials files (read by awsesh at that TAB, not before).
# Everything else goes to the completion @CMD@ had when this was loaded, such
# as `complete -C aws_completer aws` (so load awsesh after it), or to the one
# bash-completion loads on demand. Self-contained: it only reads
# $_awsesh_bin and $_awsesh_cmd from the script above.
if [[ $- == *i* ]]; then

    # The command's completion before awsesh's, as `complete -p` prints it.
    # Loaded again, the one saved the first time stays.
    # (`complete -p` alone first: no fork when there is none.)
    _awsesh_spec=
    if \builtin complete -p -- "$_awsesh_cmd" >/dev/null 2>&1; then
        _awsesh_spec=$(\builtin complete -p -- "$_awsesh_cmd" 2>/dev/null)
    fi
    case $_awsesh_spec in
    *" -F _awsesh_complete_cmd "*) ;;
    *) _awsesh_prev_complete=$_awsesh_spec ;;
    esac
    \builtin unset _awsesh_spec

    # Profile names for the blank-delimited word at the cursor when it is the
    # value of --profile; status 1 when it is not.
    _awsesh_complete_profile() {
        local line word prev head lead prefix name
        local -a words=()
        line=${COMP_LINE:0:COMP_POINT}
        IFS=$' \t' \builtin read -r -a words <<<"$line"
        if [[ -z $line || $line == *[[:blank:]] ]]; then
            words+=("")
        fi
        ((${#words[@]} >= 2)) || return 1
        word=${words[${#words[@]}-1]}
        prev=${words[${#words[@]}-2]}
        if [[ $word == --profile=* ]]; then
            head=--profile=
        elif [[ $prev == --profile ]]; then
            head=
        else
            return 1
        fi
        prefix=${word#"$head"}
        # bash replaces only its current word ($2, after the last character
        # of COMP_WORDBREAKS such as `=` or `:`), so replies start there.
        lead=${word%"${2-}"}
        while IFS= \builtin read -r name; do
            if [[ -n $name && $name == "$prefix"* ]]; then
                name=$head$name
                COMPREPLY+=("${name#"$lead"}")
            fi
        done < <(\command "$_awsesh_bin" list-profiles 2>/dev/null)
        return 0
    }

    # The completion @CMD@ had: its function (-F), its command (-C, such as
    # aws_completer, run as bash runs it) and its other actions (through
    # compgen), with its options.
    _awsesh_complete_prev() {
        local spec reply func='' cmd='' i
        local -a parts=() opts=() rest=()
        spec=${_awsesh_prev_complete-}
        if [[ -z $spec && -z ${_awsesh_prev_loaded-} ]]; then
            # bash-completion loads completions on demand; its loader
            # replaces awsesh's registration, which is put back.
            _awsesh_prev_loaded=1
            if \builtin declare -F _comp_load >/dev/null; then
                _comp_load -- "$1" >/dev/null 2>&1
            elif \builtin declare -F __load_completion >/dev/null; then
                __load_completion "$1" >/dev/null 2>&1
            fi
            spec=$(\builtin complete -p -- "$1" 2>/dev/null) || spec=
            case $spec in
            *" -F _awsesh_complete_cmd "*) spec='' ;;
            esac
            _awsesh_prev_complete=$spec
            \builtin complete -F _awsesh_complete_cmd -- "$1"
        fi
        if [[ -z $spec ]]; then
            # No completion of its own: file names, as bash does then.
            \builtin compopt -o default 2>/dev/null
            return 0
        fi
        # `complete -p` quotes its words for eval.
        \builtin eval "parts=(${spec})" 2>/dev/null || return 0
        for ((i = 1; i < ${#parts[@]} - 1; i++)); do
            case ${parts[i]} in
            -o) opts+=("${parts[i + 1]}") && ((i += 1)) ;;
            -F) func=${parts[i + 1]} && ((i += 1)) ;;
            -C) cmd=${parts[i + 1]} && ((i += 1)) ;;
            --) ;;
            -[AGWXPS]) rest+=("${parts[i]}" "${parts[i + 1]}") && ((i += 1)) ;;
            *) rest+=("${parts[i]}") ;;
            esac
        done
        if [[ -n $func ]]; then
            "$func" "$@"
        fi
        if [[ -n $cmd ]]; then
            while IFS= \builtin read -r reply; do
                COMPREPLY+=("$reply")
            done < <(
                \builtin export COMP_LINE COMP_POINT COMP_KEY COMP_TYPE
                \builtin eval "$cmd"' "$1" "${2-}" "${3-}"' 2>/dev/null
            )
        fi
        if ((${#rest[@]} > 0)); then
            while IFS= \builtin read -r reply; do
                COMPREPLY+=("$reply")
            done < <(\builtin compgen "${rest[@]}" -- "${2-}" 2>/dev/null)
        fi
        for i in ${opts[@]+"${opts[@]}"}; do
            \builtin compopt -o "$i" 2>/dev/null
        done
        return 0
    }

    _awsesh_complete_cmd() {
        COMPREPLY=()
        _awsesh_complete_profile "$@" || _awsesh_complete_prev "$@"
    }

    \builtin complete -F _awsesh_complete_cmd -- "$_awsesh_cmd"
fi
# <<< awsesh: completion of the wrapped command <<<
