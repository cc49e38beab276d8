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
