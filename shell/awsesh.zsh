# awsesh shell integration for zsh. Load it from ~/.zshrc with:
#     eval "$(awsesh init zsh)"
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork.
# - `awsesh login|logout` update this shell's environment.
# - A precmd hook picks up sessions started (or ended) in other shells, keeps
#   $AWSESH_PROMPT_SEGMENT up to date and, unless disabled, shows it in PROMPT.
#
# Non-interactive shells are left alone: nothing is defined there.
# Loading this twice registers nothing twice.

if [[ -o interactive ]]; then

    typeset -g _awsesh_bin=@AWSESH@
    typeset -g _awsesh_cmd=@CMD@
    typeset -g _awsesh_prompt=@PROMPT@
    typeset -g _awsesh_margin=@MARGIN@
    # Kept when loaded again, so the prompt prefix is still found and replaced.
    typeset -g AWSESH_PROMPT_SEGMENT="${AWSESH_PROMPT_SEGMENT-}"
    typeset -g _awsesh_ps1_prefix="${_awsesh_ps1_prefix-}"

    # $EPOCHSECONDS: the clock without a fork.
    \builtin zmodload zsh/datetime 2>/dev/null

    # Loads the session of profile $1 (or unsets a stale one); runs on a prompt
    # when the stamp file or the profile changed.
    _awsesh_sync() {
        \builtin emulate -L zsh
        local out
        if out=$(\command "$_awsesh_bin" hook-sync --shell zsh --profile "$1"); then
            \builtin eval "$out"
        fi
        # Even when awsesh failed: do not retry at every prompt.
        typeset -g _AWSESH_FOR="$1"
    }

    # The precmd hook: reads the stamp file with a builtin, forks only when
    # another shell changed the session or the profile changed.
    _awsesh_hook() {
        \builtin emulate -L zsh
        local profile="${AWS_PROFILE:-default}" stamp=''
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
        return 0
    }

    # $AWSESH_PROMPT_SEGMENT: `aws:11h42m`, `aws:prod 42m`, `aws:expired`, or
    # empty when this shell holds no session of profile $1.
    _awsesh_segment() {
        \builtin emulate -L zsh
        local left name='' now="${EPOCHSECONDS:-0}"
        typeset -g AWSESH_PROMPT_SEGMENT=''
        if [[ -z ${_AWSESH_EXP-} || ${AWSESH_PROFILE-} != "$1" ]]; then
            return 0
        fi
        left=$((_AWSESH_EXP - now))
        if ((left <= 0)); then
            left=expired
        elif ((left >= 3600)); then
            left=$((left / 3600))h$(((left % 3600) / 600))$(((left % 600) / 60))m
        else
            left=$((left / 60))m
        fi
        if [[ $1 != default ]]; then
            name="${1//[^A-Za-z0-9._@-]/?} "
        fi
        AWSESH_PROMPT_SEGMENT="aws:$name$left"
    }

    # Puts the segment in front of PROMPT, replacing the one put there before.
    # The segment holds only [A-Za-z0-9._@:? -]: nothing for prompt_subst or
    # prompt_percent to expand.
    _awsesh_ps1() {
        \builtin emulate -L zsh
        local prefix=''
        if [[ -n $_awsesh_ps1_prefix && ${PROMPT-} == "$_awsesh_ps1_prefix"* ]]; then
            PROMPT="${PROMPT#"$_awsesh_ps1_prefix"}"
        fi
        if [[ -n $AWSESH_PROMPT_SEGMENT ]]; then
            prefix="${AWSESH_PROMPT_SEGMENT//\%/%%} "
            PROMPT="$prefix${PROMPT-}"
        fi
        typeset -g _awsesh_ps1_prefix="$prefix"
    }

    # `awsesh ARGS` with its stdout in $_awsesh_out. The local INT trap keeps
    # zsh from aborting the caller on Ctrl-C at the MFA prompt, so awsesh's
    # own status (130) is what comes back.
    _awsesh_capture() {
        \builtin emulate -L zsh
        \builtin setopt localtraps
        \builtin trap : INT
        typeset -g _awsesh_out
        _awsesh_out=$(\command "$_awsesh_bin" "$@")
    }

    # Runs the wrapped command with a session of the profile it will use.
    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    _awsesh_as_typed() {
        \builtin emulate -L zsh
        (
            if [[ -n ${AWSESH_PROFILE-} ]]; then
                \builtin unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                    AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
            fi
            \command "$_awsesh_cmd" "$@"
        )
    }

    _awsesh_wrap() {
        \builtin emulate -L zsh
        local profile='' explicit='' out='' rc=0
        # Subcommands that need no session (a first `aws configure` above all).
        case ${1-} in
        ('' | configure | help | --version | sso)
            \command "$_awsesh_cmd" "$@"
            return
            ;;
        esac
        local -a args
        args=()
        while (($# > 0)); do
            case $1 in
            (--profile)
                if (($# > 1)); then
                    profile=$2
                    explicit=1
                    shift 2
                    continue
                fi
                ;;
            (--profile=*)
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
            profile="${AWS_PROFILE:-default}"
            if [[ -n ${_AWSESH_EXP-} && ${AWSESH_PROFILE-} == "$profile" ]] &&
                ((_AWSESH_EXP - ${EPOCHSECONDS:-0} > _awsesh_margin)); then
                \command "$_awsesh_cmd" "${args[@]}"
                return
            fi
        fi
        _awsesh_capture env --ensure --pass-other-sign-in --shell zsh --profile "$profile" || rc=$?
        if ((rc == 3)); then
            [[ -n $explicit ]] && args=(--profile "$profile" "${args[@]}")
            _awsesh_as_typed "${args[@]}"
            return
        fi
        ((rc == 0)) || return $rc
        out=$_awsesh_out
        _awsesh_out=''
        if [[ -z $explicit ]]; then
            \builtin eval "$out"
            \command "$_awsesh_cmd" "${args[@]}"
            return
        fi
        # An explicit profile: its session for this one command only. The
        # AWS CLI ignores credentials in the environment when it is given
        # --profile, so the flag goes and AWS_PROFILE names the profile.
        (
            \builtin eval "$out"
            export AWS_PROFILE="$profile"
            \command "$_awsesh_cmd" "${args[@]}"
        )
    }

    # `awsesh login|logout` also update this shell; the rest passes through.
    awsesh() {
        \builtin emulate -L zsh
        local arg
        case ${1-} in
        (login | logout)
            for arg in "$@"; do
                case $arg in
                (-h | --help | -V | --version | --shell | --shell=*)
                    \command "$_awsesh_bin" "$@"
                    return
                    ;;
                esac
            done
            _awsesh_capture "$@" --shell zsh || return
            \builtin eval "$_awsesh_out"
            _awsesh_out=''
            ;;
        (*)
            # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
            AWSESH_HOOK=zsh \command "$_awsesh_bin" "$@"
            ;;
        esac
    }

    \builtin eval "$_awsesh_cmd() { _awsesh_wrap \"\$@\"; }"

    # add-zsh-hook never adds a function twice.
    \builtin autoload -Uz add-zsh-hook
    add-zsh-hook precmd _awsesh_hook
fi

# >>> awsesh: completion of the wrapped command >>>
# `@CMD@ --profile <TAB>` and `--profile=<TAB>` offer the profiles in the AWS
# config and credentials files (read by awsesh at that TAB, not before).
# Everything else goes to the completion @CMD@ has in the completion system
# (its own `_aws`, or bashcompinit's `complete -C aws_completer aws`). That
# is looked up just before the first prompt (`sched +0`, no hook left
# behind), after the whole rc file and compinit ran, whatever the order of
# the lines. Self-contained: it only reads $_awsesh_bin and $_awsesh_cmd
# from the script above.
if [[ -o interactive ]]; then

    _awsesh_complete_cmd() {
        \builtin emulate -L zsh
        local expl
        local -a names
        if [[ $PREFIX == --profile=* || ${words[CURRENT - 1]-} == --profile ]]; then
            compset -P '--profile='
            names=(${(f)"$(\command "$_awsesh_bin" list-profiles 2>/dev/null)"})
            _wanted profiles expl 'AWS profile' compadd -a names
            return
        fi
        if [[ -n ${_awsesh_prev_comp-} ]]; then
            # As zsh's _dispatch runs a `_comps` entry.
            \builtin eval "$_awsesh_prev_comp"
        else
            _default
        fi
    }

    # Takes over @CMD@'s completion, keeping the one it had.
    _awsesh_complete_setup() {
        \builtin emulate -L zsh
        (( ${+_comps} && ${+functions[compdef]} )) || return 0
        local current=${_comps[$_awsesh_cmd]-}
        if [[ $current != _awsesh_complete_cmd ]]; then
            typeset -g _awsesh_prev_comp=$current
            compdef _awsesh_complete_cmd "$_awsesh_cmd"
        fi
    }

    if \builtin zmodload zsh/sched 2>/dev/null; then
        \builtin sched +0 _awsesh_complete_setup
    else
        # No sched module: at the first TAB (compinit empties this list, so
        # only when it ran before this script).
        typeset -ga compprefuncs
        compprefuncs+=(_awsesh_complete_setup)
    fi
fi
# <<< awsesh: completion of the wrapped command <<<
