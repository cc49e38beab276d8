# awsesh shell integration for zsh. Load it from ~/.zshrc with:
#     eval "$(awsesh init zsh)"
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork
#   beyond the command's own. `@CMD@ --profile X …` and `AWS_PROFILE=X @CMD@ …`
#   give X's session to that one command; the shell keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - A precmd hook picks up sessions started (or ended) in other shells, drops
#   expired keys, keeps $AWSESH_PROMPT_SEGMENT up to date and, unless
#   disabled, shows it in PROMPT.
#
# The shell's state after every command line: the exported keys belong to
# $AWSESH_PROFILE, the profile this shell is on, or nothing is exported.
#
# Every builtin is called as `\builtin NAME` (`\builtin command` for
# programs), and every function starts with `emulate -L zsh`: the user's
# aliases, functions and options cannot change what the script does.
# This file must also parse in bash, to tell bash it is the wrong script.
# Non-interactive shells are left alone: nothing is defined there.
# Loading this twice registers nothing twice.

if [[ -n ${BASH_VERSION-} ]]; then
    # bash evaluated the zsh script: one line, nothing defined.
    \builtin printf '%s\n' 'awsesh: `awsesh init zsh` is for zsh, but this shell is bash: put `eval "$(awsesh init bash)"` in ~/.bashrc instead' >&2
elif [[ -n ${ZSH_VERSION-} && -o interactive ]]; then

    \builtin typeset -g _awsesh_bin=@AWSESH@
    \builtin typeset -g _awsesh_cmd=@CMD@
    \builtin typeset -g _awsesh_prompt=@PROMPT@
    # Kept when loaded again, so the prompt prefix is still found and replaced.
    \builtin typeset -g AWSESH_PROMPT_SEGMENT="${AWSESH_PROMPT_SEGMENT-}"
    \builtin typeset -g _awsesh_ps1_prefix="${_awsesh_ps1_prefix-}"
    \builtin typeset -g _awsesh_now=0 _awsesh_stamp='' _awsesh_persist=''
    # What the segment was last made for (profile, session) and the second
    # its text changes; loaded again, it is made afresh.
    \builtin typeset -g _awsesh_seg_for='' _awsesh_seg_until=0 _awsesh_never=$((1 << 62))
    # AWSESH_REFRESH_MARGIN as last read, and its value in seconds.
    \builtin typeset -g _awsesh_margin_text='' _awsesh_margin=300
    \builtin typeset -g _awsesh_re_secs='^([0-9]{1,9})$'
    \builtin typeset -g _awsesh_re_hms='^(([0-9]{1,6})h)?(([0-9]{1,7})m)?(([0-9]{1,9})s)?$'

    # $EPOCHSECONDS: the clock without a fork.
    \builtin zmodload zsh/datetime 2>/dev/null

    _awsesh_clock() {
        \builtin emulate -L zsh
        _awsesh_now="${EPOCHSECONDS-}"
        if [[ -z $_awsesh_now ]]; then
            _awsesh_now="$(\builtin command date +%s)"
        fi
    }

    # Unsets the keys this shell holds, when they are awsesh's ($AWSESH_PROFILE
    # set): keys exported by hand stay.
    _awsesh_unexport() {
        \builtin emulate -L zsh
        if [[ -n ${AWSESH_PROFILE+set} ]]; then
            \builtin unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
        fi
        \builtin unset _AWSESH_KEY
        _awsesh_children
    }

    # Whether the exported keys are the ones awsesh exported last.
    _awsesh_holds() {
        [[ -n ${AWSESH_PROFILE+set} && -n ${_AWSESH_KEY-} && ${AWS_ACCESS_KEY_ID-} == "$_AWSESH_KEY" ]]
    }

    # What programs started from this shell see. While it holds awsesh's
    # keys, AWS_PROFILE stays a shell variable but is not exported: the AWS
    # SDK for JavaScript v3 (and .NET) would take the profile over the keys
    # in the environment. The profile's region is exported instead, unless
    # AWS_REGION or AWS_DEFAULT_REGION is set already. Without the keys,
    # what this did is undone. No fork.
    _awsesh_children() {
        \builtin emulate -L zsh
        if _awsesh_holds; then
            if [[ -n ${AWS_PROFILE+set} ]]; then
                \builtin typeset -g +x AWS_PROFILE
                \builtin typeset -g _awsesh_hid_profile=1
            fi
            if [[ ${_awsesh_set_region-} != "${_AWSESH_REGION-}" ]]; then
                _awsesh_drop_region
            fi
            if [[ -n ${_AWSESH_REGION-} && -z ${AWS_REGION-} && -z ${AWS_DEFAULT_REGION-} ]]; then
                \builtin export AWS_REGION="$_AWSESH_REGION" AWS_DEFAULT_REGION="$_AWSESH_REGION"
                \builtin typeset -g _awsesh_set_region="$_AWSESH_REGION"
            fi
        else
            if [[ -n ${_awsesh_hid_profile-} ]]; then
                \builtin typeset -g _awsesh_hid_profile=''
                [[ -z ${AWS_PROFILE+set} ]] || \builtin export AWS_PROFILE
            fi
            _awsesh_drop_region
        fi
    }

    # Unsets the region _awsesh_children exported, unless changed since.
    _awsesh_drop_region() {
        \builtin emulate -L zsh
        if [[ -n ${_awsesh_set_region-} ]]; then
            [[ ${AWS_REGION-} != "$_awsesh_set_region" ]] || \builtin unset AWS_REGION
            [[ ${AWS_DEFAULT_REGION-} != "$_awsesh_set_region" ]] || \builtin unset AWS_DEFAULT_REGION
            \builtin typeset -g _awsesh_set_region=''
        fi
    }

    # Compares what is exported with what awsesh exported, at each prompt.
    # Status 0 when the session must be loaded again: its keys were unset
    # by hand (or some of them were), or keys set by hand were unset again.
    # Keys replaced by hand with others are left alone, and the shell stops
    # claiming them: $AWSESH_PROFILE and the expiry go, the segment is empty.
    _awsesh_keys_changed() {
        \builtin emulate -L zsh
        if [[ -n ${_AWSESH_KEY-} ]]; then
            if [[ -z ${AWS_ACCESS_KEY_ID-} ]]; then
                \builtin return 0
            elif [[ $AWS_ACCESS_KEY_ID != "$_AWSESH_KEY" ]]; then
                \builtin unset AWSESH_PROFILE AWS_CREDENTIAL_EXPIRATION _AWSESH_KEY
                \builtin typeset -g _AWSESH_ASIDE=1
                _awsesh_children
            elif [[ -z ${AWS_SECRET_ACCESS_KEY-} || -z ${AWS_SESSION_TOKEN-} || -z ${AWSESH_PROFILE-} ]]; then
                \builtin return 0
            else
                \builtin typeset -g _AWSESH_ASIDE=''
            fi
        elif [[ -n ${_AWSESH_ASIDE-} && -z ${AWS_ACCESS_KEY_ID-} ]]; then
            \builtin typeset -g _AWSESH_ASIDE=''
            \builtin return 0
        fi
        \builtin return 1
    }

    # Evaluates awsesh's lines for this shell ($1), then fixes what
    # children see at once: `aws … && node …` on one line gets the session.
    _awsesh_load() {
        \builtin eval "$1"
        \builtin typeset -g _AWSESH_ASIDE=''
        _awsesh_children
    }

    # The real command (or awsesh, $1 = bin) with AWS_PROFILE in its
    # environment even while this shell keeps it unexported: the AWS CLI
    # reads the profile's settings, awsesh which profile is meant.
    _awsesh_run() {
        \builtin emulate -L zsh
        \builtin local prog="$_awsesh_cmd"
        [[ $1 != bin ]] || prog="$_awsesh_bin"
        \builtin shift
        if [[ -n ${AWS_PROFILE+set} ]]; then
            AWS_PROFILE="$AWS_PROFILE" \builtin command "$prog" "$@"
        else
            \builtin command "$prog" "$@"
        fi
    }

    # Loads the session of profile $1, or drops what the shell holds; runs on
    # a prompt when the stamp file or the profile changed. When awsesh fails
    # (or is gone), the shell holds nothing rather than another profile's keys.
    _awsesh_sync() {
        \builtin emulate -L zsh
        \builtin local out
        if out="$(\builtin command "$_awsesh_bin" hook-sync --shell zsh "--profile=$1")" &&
            [[ -n $out ]]; then
            \builtin eval "$out"
        else
            _awsesh_unexport
            \builtin unset _AWSESH_EXP _AWSESH_STAMP _AWSESH_REGION
        fi
        \builtin typeset -g _AWSESH_ASIDE=''
        _awsesh_children
        # Even when awsesh failed: do not retry at every prompt.
        \builtin typeset -g _AWSESH_FOR="$1"
    }

    # The precmd hook. Reads the expiry on the first line of the session
    # file with a builtin — only a regular file, so a FIFO or a device
    # planted there cannot stall the prompt, and at most 20 bytes — and
    # forks only when another shell changed the session or the profile
    # changed. The segment and PROMPT are rebuilt only when their text
    # changes (at most once a minute).
    _awsesh_hook() {
        \builtin emulate -L zsh
        \builtin local profile="${AWS_PROFILE:-default}"
        if [[ $profile != "${_AWSESH_FOR-}" ]] || _awsesh_keys_changed; then
            _awsesh_sync "$profile"
        elif [[ -z ${_AWSESH_ASIDE-} ]]; then
            _awsesh_stamp=''
            if [[ -n ${_AWSESH_STAMP-} && -f $_AWSESH_STAMP ]]; then
                IFS= \builtin read -r -u 0 -k 20 _awsesh_stamp 2>&- <"$_AWSESH_STAMP"
                _awsesh_stamp="${_awsesh_stamp%%$'\n'*}"
            fi
            if [[ $_awsesh_stamp != "${_AWSESH_EXP-}" ]]; then
                _awsesh_sync "$profile"
            fi
        fi
        # Also after a command line that exported AWS_PROFILE again.
        _awsesh_children
        _awsesh_now="${EPOCHSECONDS-}"
        [[ -n $_awsesh_now ]] || _awsesh_clock
        if [[ $_awsesh_seg_for != "$profile ${_AWSESH_FOR-} ${_AWSESH_EXP-} ${_AWSESH_ASIDE-}" ]] ||
            ((_awsesh_now >= _awsesh_seg_until)); then
            _awsesh_segment "$profile"
        fi
        if [[ $_awsesh_prompt == 1 && -z ${STARSHIP_SHELL-} ]] &&
            [[ $_awsesh_ps1_prefix != "${AWSESH_PROMPT_SEGMENT:+$AWSESH_PROMPT_SEGMENT }" ||
                ${PROMPT-} != "$_awsesh_ps1_prefix"* ]]; then
            _awsesh_ps1
        fi
        \builtin return 0
    }

    # $AWSESH_PROMPT_SEGMENT: `aws:11h42m`, `aws:prod 42m`, `aws:<1m`,
    # `aws:expired`, or empty when this shell holds no session of profile $1;
    # and until when (epoch seconds) that text holds. Expired keys are unset
    # here: nothing can use them any more. Needs $_awsesh_now.
    _awsesh_segment() {
        \builtin emulate -L zsh
        \builtin local left name=''
        AWSESH_PROMPT_SEGMENT=''
        _awsesh_seg_for="$1 ${_AWSESH_FOR-} ${_AWSESH_EXP-} ${_AWSESH_ASIDE-}"
        _awsesh_seg_until=$_awsesh_never
        if [[ -z ${_AWSESH_EXP-} || $_AWSESH_EXP == *[^0-9]* || ${_AWSESH_FOR-} != "$1" ||
            -n ${_AWSESH_ASIDE-} ]]; then
            \builtin return 0
        fi
        left=$((_AWSESH_EXP - _awsesh_now))
        if ((left <= 0)); then
            left=expired
            _awsesh_unexport
        elif ((left < 60)); then
            _awsesh_seg_until=$_AWSESH_EXP
            left='<1m'
        else
            # The whole minutes left change one second after a multiple of 60.
            _awsesh_seg_until=$((_AWSESH_EXP - left / 60 * 60 + 1))
            if ((left < 3600)); then
                left=$((left / 60))m
            else
                left=$((left / 3600))h$(((left % 3600) / 600))$(((left % 600) / 60))m
            fi
        fi
        if [[ $1 != default ]]; then
            name="${1//[^A-Za-z0-9._@-]/?} "
        fi
        AWSESH_PROMPT_SEGMENT="aws:$name$left"
    }

    # Puts the segment in front of PROMPT, replacing the one put there before.
    # The segment holds only [A-Za-z0-9._@:?< -]: nothing for prompt_subst or
    # prompt_percent to expand.
    _awsesh_ps1() {
        \builtin emulate -L zsh
        \builtin local prefix=''
        if [[ -n $_awsesh_ps1_prefix && ${PROMPT-} == "$_awsesh_ps1_prefix"* ]]; then
            PROMPT="${PROMPT#"$_awsesh_ps1_prefix"}"
        fi
        if [[ -n $AWSESH_PROMPT_SEGMENT ]]; then
            prefix="$AWSESH_PROMPT_SEGMENT "
            PROMPT="$prefix${PROMPT-}"
        fi
        _awsesh_ps1_prefix="$prefix"
    }

    # $_awsesh_margin from AWSESH_REFRESH_MARGIN, read again only when the
    # variable changed: `600`, `10m`, `1h30m`, `90s`; unset or empty: 300.
    # Anything else leaves it empty, and `awsesh env --ensure` (which refuses
    # a margin it cannot use, with one line) decides every time.
    _awsesh_read_margin() {
        \builtin emulate -L zsh
        \builtin setopt bash_rematch
        _awsesh_margin_text="${AWSESH_REFRESH_MARGIN-}"
        _awsesh_margin=''
        if [[ -z $_awsesh_margin_text ]]; then
            _awsesh_margin=300
        elif [[ $_awsesh_margin_text =~ $_awsesh_re_secs ]]; then
            _awsesh_margin=$((10#${BASH_REMATCH[2]}))
        elif [[ $_awsesh_margin_text =~ $_awsesh_re_hms ]]; then
            _awsesh_margin=$((10#${BASH_REMATCH[3]:-0} * 3600 + 10#${BASH_REMATCH[5]:-0} * 60 + 10#${BASH_REMATCH[7]:-0}))
        fi
    }

    # Whether this shell holds a session of profile $1 with more than the
    # margin left: then the command runs with no fork.
    _awsesh_fresh() {
        \builtin emulate -L zsh
        if [[ ${AWSESH_REFRESH_MARGIN-} != "$_awsesh_margin_text" ]]; then
            _awsesh_read_margin
        fi
        [[ -n $_awsesh_margin && ${AWSESH_PROFILE-} == "$1" && ${_AWSESH_FOR-} == "$1" &&
            -n ${_AWSESH_EXP-} && $_AWSESH_EXP != *[^0-9]* ]] || \builtin return 1
        # Keys unset or replaced by hand since the last prompt: not fresh.
        _awsesh_holds && [[ -n ${AWS_SECRET_ACCESS_KEY-} && -n ${AWS_SESSION_TOKEN-} ]] ||
            \builtin return 1
        _awsesh_clock
        ((_AWSESH_EXP - _awsesh_now > _awsesh_margin))
    }

    # `awsesh ARGS` with its stdout in the caller's `out`. The local INT trap
    # keeps zsh from aborting the caller on Ctrl-C at the MFA prompt, so
    # awsesh's own status (130) is what comes back. The shell's
    # AWSESH_REFRESH_MARGIN goes along even when it is not exported; an
    # empty one (the default, here) does not. Nor does AWS_PROFILE, which
    # this shell may keep unexported (see _awsesh_children).
    _awsesh_capture() {
        \builtin emulate -L zsh
        \builtin setopt localtraps
        \builtin trap : INT
        out="$(
            [[ -z ${AWS_PROFILE+set} ]] || \builtin export AWS_PROFILE
            if [[ -n ${AWSESH_REFRESH_MARGIN-} ]]; then
                \builtin export AWSESH_REFRESH_MARGIN
            else
                # An empty margin is the default here: not handed on.
                \builtin unset AWSESH_REFRESH_MARGIN
            fi
            \builtin command "$_awsesh_bin" "$@"
        )"
    }

    # Whether profile $1, named for one command, is the profile this shell is
    # on: the one its last prompt synced ($_AWSESH_FOR) and $AWS_PROFILE as
    # the command sees it. An inline `AWS_PROFILE=X cmd` differs from the
    # first; it is this shell's profile only when the assignment outlives the
    # command (POSIX_BUILTINS, as the caller had it: $_awsesh_persist).
    _awsesh_own_profile() {
        \builtin emulate -L zsh
        \builtin local here="${AWS_PROFILE:-default}"
        [[ $1 == "$here" ]] || \builtin return 1
        [[ $here == "${_AWSESH_FOR-$here}" || -n $_awsesh_persist ]]
    }

    # botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE; awsesh reads
    # AWS_PROFILE. When they disagree, say so, once for each pair of values.
    _awsesh_note_default_profile() {
        \builtin emulate -L zsh
        \builtin local pair here="${AWS_PROFILE:-default}"
        [[ -n ${AWS_DEFAULT_PROFILE-} && $AWS_DEFAULT_PROFILE != "${AWS_PROFILE-}" ]] || \builtin return 0
        pair="$AWS_DEFAULT_PROFILE/${AWS_PROFILE-}"
        [[ $pair != "${_awsesh_noted_pair-}" ]] || \builtin return 0
        \builtin typeset -g _awsesh_noted_pair="$pair"
        \builtin printf 'awsesh: AWS_DEFAULT_PROFILE is %s but awsesh uses AWS_PROFILE (%s), and the AWS CLI prefers AWS_DEFAULT_PROFILE; unset AWS_DEFAULT_PROFILE or set it to the same profile\n' \
            "${AWS_DEFAULT_PROFILE//[^A-Za-z0-9._@-]/?}" "${here//[^A-Za-z0-9._@-]/?}" >&2
    }

    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    _awsesh_as_typed() {
        \builtin emulate -L zsh
        (
            _awsesh_unexport
            _awsesh_run cmd "$@"
        )
    }

    # Runs the wrapped command with a session of the profile it will use.
    _awsesh_wrap() {
        # Before emulate: whether the caller's inline assignments persist.
        if [[ -o posixbuiltins ]]; then _awsesh_persist=1; else _awsesh_persist=''; fi
        \builtin emulate -L zsh
        \builtin local arg profile='' explicit='' want='' sub='' last='' pass='' out='' rc=0 skip=''
        \builtin local -a args
        args=()
        # The profile and the subcommand, in one pass and no copy: the AWS
        # CLI's global options may stand anywhere, and those that take a
        # value may stand before the subcommand.
        for arg in "$@"; do
            if [[ -n $want ]]; then
                if [[ $want == profile ]]; then
                    profile="$arg" explicit=1
                fi
                want='' last="$arg"
                continue
            fi
            case $arg in
            (--profile) want=profile ;;
            (--profile=*) profile="${arg#--profile=}" explicit=1 ;;
            (--version) pass=1 ;;
            (--region | --output | --query | --endpoint-url | --color | --ca-bundle | \
                --cli-read-timeout | --cli-connect-timeout | --cli-binary-format)
                [[ -n $sub ]] || want=value
                ;;
            (-*) ;;
            (*) [[ -n $sub ]] || sub="$arg" ;;
            esac
            last="$arg"
        done
        # What needs no session runs as typed: `configure` (how keys get
        # there), `help` and `… help`, `--version`, the CLI's own sign-in
        # commands, and a line the CLI will refuse anyway.
        case $sub in
        ('' | configure | help | sso | login | logout) pass=1 ;;
        esac
        if [[ -n $pass || $want == profile || $last == help ]]; then
            _awsesh_run cmd "$@"
            \builtin return
        fi
        _awsesh_note_default_profile
        [[ -n $explicit ]] || profile="${AWS_PROFILE:-default}"
        if [[ -n $explicit ]]; then
            # The AWS CLI ignores credentials in the environment when it is
            # given --profile: the flag goes, AWS_PROFILE names the profile.
            for arg in "$@"; do
                if [[ -n $skip ]]; then
                    skip=''
                    continue
                fi
                case $arg in
                (--profile) skip=1 && continue ;;
                (--profile=*) continue ;;
                esac
                args+=("$arg")
            done
        else
            args=("$@")
        fi
        if _awsesh_own_profile "$profile"; then
            if ! _awsesh_fresh "$profile"; then
                _awsesh_capture env --ensure --pass-other-sign-in --shell zsh "--profile=$profile" || rc=$?
                if ((rc == 3)); then
                    _awsesh_as_typed "$@"
                    \builtin return
                fi
                ((rc == 0)) || \builtin return $rc
                _awsesh_load "$out"
                out=''
            fi
            _awsesh_run cmd "${args[@]}"
            \builtin return
        fi
        # Another profile than this shell's: its session for this one command
        # only, in a subshell, so that this shell keeps what it holds.
        _awsesh_capture env --ensure --pass-other-sign-in --shell zsh "--profile=$profile" || rc=$?
        if ((rc == 3)); then
            _awsesh_as_typed "$@"
            \builtin return
        fi
        ((rc == 0)) || \builtin return $rc
        (
            \builtin eval "$out"
            \builtin export AWS_PROFILE="$profile"
            \builtin command "$_awsesh_cmd" "${args[@]}"
        )
    }

    # For `awsesh doctor`: what the wrapped command's name runs (wrapper,
    # alias, function, builtin, reserved, command, none).
    _awsesh_doctor_cmd() {
        \builtin emulate -L zsh
        \builtin local kind
        kind="$(\builtin whence -w -- "$_awsesh_cmd" 2>/dev/null)"
        kind="${kind##*: }"
        if [[ $kind == function && ${functions[$_awsesh_cmd]-} == *_awsesh_wrap* ]]; then
            kind=wrapper
        fi
        \builtin print -rn -- "${kind:-none}"
    }

    # `awsesh login|logout` also update this shell; `awsesh doctor` is told
    # what only the shell knows; the rest passes through.
    function awsesh {
        if [[ -o posixbuiltins ]]; then _awsesh_persist=1; else _awsesh_persist=''; fi
        \builtin emulate -L zsh
        \builtin local arg profile='' explicit='' want='' out='' registered=no exported=no
        case ${1-} in
        (login | logout)
            for arg in "$@"; do
                if [[ -n $want ]]; then
                    profile="$arg" explicit=1 want=''
                    continue
                fi
                case $arg in
                (-h | --help | -V | --version | --shell | --shell=*)
                    _awsesh_run bin "$@"
                    \builtin return
                    ;;
                (--profile | -p) want=1 ;;
                (--profile=*) profile="${arg#--profile=}" explicit=1 ;;
                (-p=*) profile="${arg#-p=}" explicit=1 ;;
                (-p?*) profile="${arg#-p}" explicit=1 ;;
                esac
            done
            [[ -n $explicit ]] || profile="${AWS_PROFILE:-default}"
            if [[ $1 == login ]] && ! _awsesh_own_profile "$profile"; then
                # Another profile than this shell's: logged in, not loaded.
                _awsesh_run bin "$@"
                \builtin return
            fi
            _awsesh_capture "$@" --shell zsh || \builtin return
            _awsesh_load "$out"
            ;;
        (doctor)
            if ((${precmd_functions[(Ie)_awsesh_hook]})); then
                registered=yes
            fi
            # Whether programs started from here see AWS_PROFILE (awsesh
            # itself is given it either way).
            exported=no
            [[ ${(t)AWS_PROFILE-} != *-export* ]] || exported=yes
            AWSESH_HOOK=zsh AWSESH_HOOK_REGISTERED=$registered \
                AWSESH_HOOK_CMD="$_awsesh_cmd" AWSESH_HOOK_CMD_IS="$(_awsesh_doctor_cmd)" \
                AWSESH_HOOK_PROFILE_EXPORTED=$exported _awsesh_run bin "$@"
            ;;
        (*)
            # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
            AWSESH_HOOK=zsh _awsesh_run bin "$@"
            ;;
        esac
    }

    # Installs the wrapper and the hook, once.
    _awsesh_register() {
        \builtin emulate -L zsh
        # An alias of the same name would be expanded before the function is
        # looked up: one that starts with the command itself (`alias
        # aws='aws --no-cli-pager'`) reaches the wrapper and stays, any other
        # goes.
        if ((${+aliases[$_awsesh_cmd]})); then
            case ${aliases[$_awsesh_cmd]} in
            ("$_awsesh_cmd" | "$_awsesh_cmd "*) ;;
            (*) \builtin unalias -- "$_awsesh_cmd" ;;
            esac
        fi
        # `function NAME` is not alias-expanded.
        \builtin eval "function $_awsesh_cmd { _awsesh_wrap \"\$@\"; }"
        \builtin typeset -ga precmd_functions
        if ((!${precmd_functions[(Ie)_awsesh_hook]})); then
            precmd_functions+=(_awsesh_hook)
        fi
    }
    _awsesh_register
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
if [[ -n ${ZSH_VERSION-} && -o interactive ]]; then

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
