# shellcheck shell=bash
# awsesh shell integration for bash. Load it from ~/.bashrc with:
#     eval "$(awsesh init bash)"
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork.
#   `@CMD@ --profile X …` and `AWS_PROFILE=X @CMD@ …` give X's session to that
#   one command; the shell keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - A prompt hook picks up sessions started (or ended) in other shells, drops
#   expired keys, keeps $AWSESH_PROMPT_SEGMENT up to date and, unless
#   disabled, shows it in PS1.
#
# The shell's state after every command line: the exported keys belong to
# $AWSESH_PROFILE, the profile this shell is on, or nothing is exported.
#
# Every builtin is called as `\builtin NAME` (`\builtin command` for
# programs): aliases and functions of those names cannot take them over.
# Non-interactive shells are left alone: nothing is defined there.
# Loading this twice registers nothing twice.

if [[ -n ${ZSH_VERSION-} ]]; then
    # zsh evaluated the bash script: one line, nothing defined.
    # shellcheck disable=SC2016 # the words are printed as they are
    \builtin printf '%s\n' 'awsesh: `awsesh init bash` is for bash, but this shell is zsh: put `eval "$(awsesh init zsh)"` in ~/.zshrc instead' >&2
elif [[ $- == *i* && -n ${BASH_VERSION-} ]]; then

    # The binary, quoted by `awsesh init`; a literal path, expanded nowhere.
    # shellcheck disable=SC2016
    _awsesh_bin=@AWSESH@
    _awsesh_cmd=@CMD@
    _awsesh_prompt=@PROMPT@
    # Kept when loaded again, so the prompt prefix is still found and replaced.
    AWSESH_PROMPT_SEGMENT=${AWSESH_PROMPT_SEGMENT-}
    _awsesh_ps1_prefix=${_awsesh_ps1_prefix-}
    _awsesh_now=0
    _awsesh_stamp=
    # What the segment was last made for (profile, session) and the second
    # its text changes; loaded again, it is made afresh.
    _awsesh_seg_for=
    _awsesh_seg_until=0
    _awsesh_never=$((1 << 62))
    # AWSESH_REFRESH_MARGIN as last read, and its value in seconds.
    _awsesh_margin_text=
    _awsesh_margin=300
    # Regular expressions live in variables: unquoted in [[ ]], zsh could
    # not parse this script far enough to say it is the wrong one.
    _awsesh_re_secs='^([0-9]{1,9})$'
    _awsesh_re_hms='^(([0-9]{1,6})h)?(([0-9]{1,7})m)?(([0-9]{1,9})s)?$'
    _awsesh_re_hook='(^|[[:space:];&|])_awsesh_hook($|[[:space:];&|])'

    # Seconds since the epoch into $_awsesh_now; no fork on bash >= 4.2.
    if ((BASH_VERSINFO[0] >= 5)); then
        _awsesh_clock() {
            _awsesh_now=${EPOCHSECONDS-}
            if [[ -z $_awsesh_now ]]; then
                \builtin printf -v _awsesh_now '%(%s)T' -1
            fi
        }
    elif ((BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2)); then
        _awsesh_clock() { \builtin printf -v _awsesh_now '%(%s)T' -1; }
    else
        _awsesh_clock() { _awsesh_now=$(\builtin command date +%s); }
    fi

    # Unsets the keys this shell holds, when they are awsesh's ($AWSESH_PROFILE
    # set): keys exported by hand stay.
    _awsesh_unexport() {
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
        if _awsesh_holds; then
            if [[ -n ${AWS_PROFILE+set} ]]; then
                \builtin export -n AWS_PROFILE
                _awsesh_hid_profile=1
            fi
            if [[ ${_awsesh_set_region-} != "${_AWSESH_REGION-}" ]]; then
                _awsesh_drop_region
            fi
            if [[ -n ${_AWSESH_REGION-} && -z ${AWS_REGION-} && -z ${AWS_DEFAULT_REGION-} ]]; then
                \builtin export AWS_REGION="$_AWSESH_REGION" AWS_DEFAULT_REGION="$_AWSESH_REGION"
                _awsesh_set_region=$_AWSESH_REGION
            fi
        else
            if [[ -n ${_awsesh_hid_profile-} ]]; then
                _awsesh_hid_profile=
                [[ -z ${AWS_PROFILE+set} ]] || \builtin export AWS_PROFILE
            fi
            _awsesh_drop_region
        fi
    }

    # Unsets the region _awsesh_children exported, unless changed since.
    _awsesh_drop_region() {
        if [[ -n ${_awsesh_set_region-} ]]; then
            [[ ${AWS_REGION-} != "$_awsesh_set_region" ]] || \builtin unset AWS_REGION
            [[ ${AWS_DEFAULT_REGION-} != "$_awsesh_set_region" ]] || \builtin unset AWS_DEFAULT_REGION
            _awsesh_set_region=
        fi
    }

    # Compares what is exported with what awsesh exported, at each prompt.
    # Status 0 when the session must be loaded again: its keys were unset
    # by hand (or some of them were), or keys set by hand were unset again.
    # Keys replaced by hand with others are left alone, and the shell stops
    # claiming them: $AWSESH_PROFILE and the expiry go, the segment is empty.
    _awsesh_keys_changed() {
        if [[ -n ${_AWSESH_KEY-} ]]; then
            if [[ -z ${AWS_ACCESS_KEY_ID-} ]]; then
                \builtin return 0
            elif [[ $AWS_ACCESS_KEY_ID != "$_AWSESH_KEY" ]]; then
                \builtin unset AWSESH_PROFILE AWS_CREDENTIAL_EXPIRATION _AWSESH_KEY
                _AWSESH_ASIDE=1
                _awsesh_children
            elif [[ -z ${AWS_SECRET_ACCESS_KEY-} || -z ${AWS_SESSION_TOKEN-} || -z ${AWSESH_PROFILE-} ]]; then
                \builtin return 0
            else
                _AWSESH_ASIDE=
            fi
        elif [[ -n ${_AWSESH_ASIDE-} && -z ${AWS_ACCESS_KEY_ID-} ]]; then
            _AWSESH_ASIDE=
            \builtin return 0
        fi
        \builtin return 1
    }

    # Loads the session of profile $1, or drops what the shell holds; runs on
    # a prompt when the stamp file or the profile changed. When awsesh fails
    # (or is gone), the shell holds nothing rather than another profile's keys.
    _awsesh_sync() {
        \builtin local out
        if out=$(\builtin command "$_awsesh_bin" hook-sync --shell bash "--profile=$1") &&
            [[ -n $out ]]; then
            \builtin eval "$out"
        else
            _awsesh_unexport
            \builtin unset _AWSESH_EXP _AWSESH_STAMP _AWSESH_REGION
        fi
        _AWSESH_ASIDE=
        _awsesh_children
        # Even when awsesh failed: do not retry at every prompt.
        _AWSESH_FOR=$1
    }

    # The prompt hook. Keeps $? for what runs after it. Reads the expiry on
    # the first line of the session file with a builtin — only a regular
    # file, so a FIFO or a device planted there cannot stall the prompt, and
    # at most 20 bytes — and forks only when another shell changed the
    # session or the profile changed. The segment and PS1 are rebuilt only
    # when their text changes (at most once a minute).
    _awsesh_hook() {
        \builtin local status=$? profile="${AWS_PROFILE:-default}"
        if [[ $profile != "${_AWSESH_FOR-}" ]] || _awsesh_keys_changed; then
            _awsesh_sync "$profile"
        elif [[ -z ${_AWSESH_ASIDE-} ]]; then
            _awsesh_stamp=
            if [[ -n ${_AWSESH_STAMP-} && -f $_AWSESH_STAMP ]]; then
                IFS= \builtin read -r -n 20 _awsesh_stamp 2>&- <"$_AWSESH_STAMP" || :
            fi
            if [[ $_awsesh_stamp != "${_AWSESH_EXP-}" ]]; then
                _awsesh_sync "$profile"
            fi
        fi
        # Also after a command line that exported AWS_PROFILE again.
        _awsesh_children
        _awsesh_clock
        if [[ $_awsesh_seg_for != "$profile ${_AWSESH_FOR-} ${_AWSESH_EXP-} ${_AWSESH_ASIDE-}" ]] ||
            ((_awsesh_now >= _awsesh_seg_until)); then
            _awsesh_segment "$profile"
        fi
        if [[ $_awsesh_prompt == 1 && -z ${STARSHIP_SHELL-} ]] &&
            [[ $_awsesh_ps1_prefix != "${AWSESH_PROMPT_SEGMENT:+$AWSESH_PROMPT_SEGMENT }" ||
                ${PS1-} != "$_awsesh_ps1_prefix"* ]]; then
            _awsesh_ps1
        fi
        \builtin return "$status"
    }

    # $AWSESH_PROMPT_SEGMENT: `aws:11h42m`, `aws:prod 42m`, `aws:<1m`,
    # `aws:expired`, or empty when this shell holds no session of profile $1;
    # and until when (epoch seconds) that text holds. Expired keys are unset
    # here: nothing can use them any more. Needs $_awsesh_now.
    _awsesh_segment() {
        \builtin local left name=
        AWSESH_PROMPT_SEGMENT=
        _awsesh_seg_for="$1 ${_AWSESH_FOR-} ${_AWSESH_EXP-} ${_AWSESH_ASIDE-}"
        _awsesh_seg_until=$_awsesh_never
        if [[ -z ${_AWSESH_EXP-} || $_AWSESH_EXP == *[!0-9]* || ${_AWSESH_FOR-} != "$1" ||
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
            name="${1//[!A-Za-z0-9._@-]/?} "
        fi
        AWSESH_PROMPT_SEGMENT="aws:$name$left"
    }

    # Puts the segment in front of PS1, replacing the one put there before.
    # The segment holds only [A-Za-z0-9._@:?< -], so PS1 expands nothing in it.
    _awsesh_ps1() {
        \builtin local prefix=
        if [[ -n $_awsesh_ps1_prefix && ${PS1-} == "$_awsesh_ps1_prefix"* ]]; then
            PS1=${PS1#"$_awsesh_ps1_prefix"}
        fi
        if [[ -n $AWSESH_PROMPT_SEGMENT ]]; then
            prefix="$AWSESH_PROMPT_SEGMENT "
            PS1=$prefix${PS1-}
        fi
        _awsesh_ps1_prefix=$prefix
    }

    # $_awsesh_margin from AWSESH_REFRESH_MARGIN, read again only when the
    # variable changed: `600`, `10m`, `1h30m`, `90s`; unset or empty: 300.
    # Anything else leaves it empty, and `awsesh env --ensure` (which refuses
    # a margin it cannot use, with one line) decides every time.
    _awsesh_read_margin() {
        _awsesh_margin_text=${AWSESH_REFRESH_MARGIN-}
        _awsesh_margin=
        if [[ -z $_awsesh_margin_text ]]; then
            _awsesh_margin=300
        elif [[ $_awsesh_margin_text =~ $_awsesh_re_secs ]]; then
            _awsesh_margin=$((10#${BASH_REMATCH[1]}))
        elif [[ $_awsesh_margin_text =~ $_awsesh_re_hms ]]; then
            _awsesh_margin=$((10#${BASH_REMATCH[2]:-0} * 3600 + 10#${BASH_REMATCH[4]:-0} * 60 + 10#${BASH_REMATCH[6]:-0}))
        fi
    }

    # Whether this shell holds a session of profile $1 with more than the
    # margin left: then the command runs with no fork.
    _awsesh_fresh() {
        if [[ ${AWSESH_REFRESH_MARGIN-} != "$_awsesh_margin_text" ]]; then
            _awsesh_read_margin
        fi
        [[ -n $_awsesh_margin && ${AWSESH_PROFILE-} == "$1" && ${_AWSESH_FOR-} == "$1" &&
            -n ${_AWSESH_EXP-} && $_AWSESH_EXP != *[!0-9]* ]] || \builtin return 1
        # Keys unset or replaced by hand since the last prompt: not fresh.
        _awsesh_holds && [[ -n ${AWS_SECRET_ACCESS_KEY-} && -n ${AWS_SESSION_TOKEN-} ]] ||
            \builtin return 1
        _awsesh_clock
        ((_AWSESH_EXP - _awsesh_now > _awsesh_margin))
    }

    # `awsesh env --ensure` for profile $1, into the caller's `out`. The
    # shell's AWSESH_REFRESH_MARGIN goes along even when it is not exported;
    # an empty one (the default, here) does not.
    _awsesh_ensure() {
        if [[ -n ${AWSESH_REFRESH_MARGIN-} ]]; then
            out=$(AWSESH_REFRESH_MARGIN=$AWSESH_REFRESH_MARGIN \builtin command "$_awsesh_bin" \
                env --ensure --pass-other-sign-in --shell bash "--profile=$1")
        else
            out=$(
                \builtin unset AWSESH_REFRESH_MARGIN
                \builtin command "$_awsesh_bin" env --ensure --pass-other-sign-in --shell bash "--profile=$1"
            )
        fi
    }

    # Evaluates awsesh's lines for this shell ($1), then fixes what
    # children see at once: `aws … && node …` on one line gets the session.
    _awsesh_load() {
        \builtin eval "$1"
        _AWSESH_ASIDE=
        _awsesh_children
    }

    # The real command (or awsesh, $1 = bin) with AWS_PROFILE in its
    # environment even while this shell keeps it unexported: the AWS CLI
    # reads the profile's settings, awsesh which profile is meant.
    _awsesh_run() {
        \builtin local prog=$_awsesh_cmd
        [[ $1 != bin ]] || prog=$_awsesh_bin
        \builtin shift
        if [[ -n ${AWS_PROFILE+set} ]]; then
            AWS_PROFILE=$AWS_PROFILE \builtin command "$prog" "$@"
        else
            \builtin command "$prog" "$@"
        fi
    }

    _awsesh_noop() { :; }

    # Whether `NAME=value function` keeps the assignment after the function
    # returns (bash's POSIX mode before bash 5.2 does).
    _awsesh_assignments_persist() {
        \builtin local kept
        \builtin unset _awsesh_probe
        _awsesh_probe=1 _awsesh_noop
        kept=${_awsesh_probe-}
        \builtin unset _awsesh_probe
        [[ -n $kept ]]
    }

    # Whether profile $1, named for one command, is the profile this shell is
    # on: the one its last prompt synced ($_AWSESH_FOR) and $AWS_PROFILE as
    # the command sees it. An inline `AWS_PROFILE=X cmd` differs from the
    # first; it is this shell's profile only when the assignment outlives the
    # command.
    _awsesh_own_profile() {
        \builtin local here="${AWS_PROFILE:-default}"
        [[ $1 == "$here" ]] || \builtin return 1
        [[ $here == "${_AWSESH_FOR-$here}" ]] || _awsesh_assignments_persist
    }

    # botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE; awsesh reads
    # AWS_PROFILE. When they disagree, say so, once for each pair of values.
    _awsesh_note_default_profile() {
        \builtin local pair here="${AWS_PROFILE:-default}"
        [[ -n ${AWS_DEFAULT_PROFILE-} && $AWS_DEFAULT_PROFILE != "${AWS_PROFILE-}" ]] || \builtin return 0
        pair="$AWS_DEFAULT_PROFILE/${AWS_PROFILE-}"
        [[ $pair != "${_awsesh_noted_pair-}" ]] || \builtin return 0
        _awsesh_noted_pair=$pair
        \builtin printf 'awsesh: AWS_DEFAULT_PROFILE is %s but awsesh uses AWS_PROFILE (%s), and the AWS CLI prefers AWS_DEFAULT_PROFILE; unset AWS_DEFAULT_PROFILE or set it to the same profile\n' \
            "${AWS_DEFAULT_PROFILE//[!A-Za-z0-9._@-]/?}" "${here//[!A-Za-z0-9._@-]/?}" >&2
    }

    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    _awsesh_as_typed() {
        (
            _awsesh_unexport
            _awsesh_run cmd "$@"
        )
    }

    # Runs the wrapped command with a session of the profile it will use.
    _awsesh_wrap() {
        \builtin local arg profile='' explicit='' want='' sub='' last='' pass='' out='' rc=0 skip=''
        \builtin local -a args
        args=()
        # The profile and the subcommand, in one pass and no copy: the AWS
        # CLI's global options may stand anywhere, and those that take a
        # value may stand before the subcommand.
        for arg in "$@"; do
            if [[ -n $want ]]; then
                if [[ $want == profile ]]; then
                    profile=$arg explicit=1
                fi
                want='' last=$arg
                continue
            fi
            case $arg in
            --profile) want=profile ;;
            --profile=*) profile=${arg#--profile=} explicit=1 ;;
            --version) pass=1 ;;
            --region | --output | --query | --endpoint-url | --color | --ca-bundle | \
                --cli-read-timeout | --cli-connect-timeout | --cli-binary-format)
                [[ -n $sub ]] || want=value
                ;;
            -*) ;;
            *) [[ -n $sub ]] || sub=$arg ;;
            esac
            last=$arg
        done
        # What needs no session runs as typed: `configure` (how keys get
        # there), `help` and `… help`, `--version`, the CLI's own sign-in
        # commands, and a line the CLI will refuse anyway.
        case $sub in
        '' | configure | help | sso | login | logout) pass=1 ;;
        esac
        if [[ -n $pass || $want == profile || $last == help ]]; then
            _awsesh_run cmd "$@"
            \builtin return
        fi
        _awsesh_note_default_profile
        [[ -n $explicit ]] || profile=${AWS_PROFILE:-default}
        if [[ -n $explicit ]]; then
            # The AWS CLI ignores credentials in the environment when it is
            # given --profile: the flag goes, AWS_PROFILE names the profile.
            for arg in "$@"; do
                if [[ -n $skip ]]; then
                    skip=''
                    continue
                fi
                case $arg in
                --profile) skip=1 && continue ;;
                --profile=*) continue ;;
                esac
                args+=("$arg")
            done
        fi
        if _awsesh_own_profile "$profile"; then
            if ! _awsesh_fresh "$profile"; then
                _awsesh_ensure "$profile" || rc=$?
                if ((rc == 3)); then
                    _awsesh_as_typed "$@"
                    \builtin return
                fi
                ((rc == 0)) || \builtin return "$rc"
                _awsesh_load "$out"
            fi
            if [[ -n $explicit ]]; then
                _awsesh_run cmd ${args[@]+"${args[@]}"}
            else
                _awsesh_run cmd "$@"
            fi
            \builtin return
        fi
        # Another profile than this shell's: its session for this one command
        # only, in a subshell, so that this shell keeps what it holds.
        _awsesh_ensure "$profile" || rc=$?
        if ((rc == 3)); then
            _awsesh_as_typed "$@"
            \builtin return
        fi
        ((rc == 0)) || \builtin return "$rc"
        [[ -n $explicit ]] || args=("$@")
        (
            \builtin eval "$out"
            # shellcheck disable=SC2030 # for this one command, on purpose
            \builtin export AWS_PROFILE="$profile"
            \builtin command "$_awsesh_cmd" ${args[@]+"${args[@]}"}
        )
    }

    # For `awsesh doctor`: whether the hook is still in PROMPT_COMMAND, where
    # bash will call it (yes/no).
    _awsesh_doctor_hook() {
        \builtin local entry
        for entry in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
            if [[ $entry =~ $_awsesh_re_hook ]]; then
                \builtin printf yes
                \builtin return
            fi
        done
        \builtin printf no
    }

    # For `awsesh doctor`: what the wrapped command's name runs (wrapper,
    # alias, function, builtin, keyword, file, none).
    _awsesh_doctor_cmd() {
        \builtin local kind
        kind=$(\builtin type -t -- "$_awsesh_cmd" 2>/dev/null) || kind=none
        if [[ $kind == function && $(\builtin declare -f -- "$_awsesh_cmd") == *_awsesh_wrap* ]]; then
            kind=wrapper
        fi
        \builtin printf '%s' "${kind:-none}"
    }

    # For `awsesh doctor`: whether programs started from here see
    # AWS_PROFILE (yes/no), which awsesh itself is given either way.
    _awsesh_doctor_profile_exported() {
        case $(\builtin declare -p AWS_PROFILE 2>/dev/null) in
        "declare -"*x*" AWS_PROFILE="*) \builtin printf yes ;;
        *) \builtin printf no ;;
        esac
    }

    # `awsesh login|logout` also update this shell; `awsesh doctor` is told
    # what only the shell knows; the rest passes through.
    function awsesh {
        \builtin local arg profile='' explicit='' want='' out
        case ${1-} in
        login | logout)
            for arg in "$@"; do
                if [[ -n $want ]]; then
                    profile=$arg explicit=1 want=''
                    continue
                fi
                case $arg in
                -h | --help | -V | --version | --shell | --shell=*)
                    _awsesh_run bin "$@"
                    \builtin return
                    ;;
                --profile | -p) want=1 ;;
                --profile=*) profile=${arg#--profile=} explicit=1 ;;
                -p=*) profile=${arg#-p=} explicit=1 ;;
                -p?*) profile=${arg#-p} explicit=1 ;;
                esac
            done
            # shellcheck disable=SC2031 # the wrapper's subshell changed its own
            [[ -n $explicit ]] || profile=${AWS_PROFILE:-default}
            if [[ $1 == login ]] && ! _awsesh_own_profile "$profile"; then
                # Another profile than this shell's: logged in, not loaded.
                _awsesh_run bin "$@"
                \builtin return
            fi
            out=$(_awsesh_run bin "$@" --shell bash) || \builtin return
            _awsesh_load "$out"
            ;;
        doctor)
            AWSESH_HOOK=bash AWSESH_HOOK_REGISTERED=$(_awsesh_doctor_hook) \
                AWSESH_HOOK_CMD=$_awsesh_cmd AWSESH_HOOK_CMD_IS=$(_awsesh_doctor_cmd) \
                AWSESH_HOOK_PROFILE_EXPORTED=$(_awsesh_doctor_profile_exported) \
                _awsesh_run bin "$@"
            ;;
        *)
            # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
            AWSESH_HOOK=bash _awsesh_run bin "$@"
            ;;
        esac
    }

    # The wrapper. An alias of the same name would be expanded before the
    # function is looked up: one that starts with the command itself (`alias
    # aws='aws --no-cli-pager'`) reaches the wrapper and stays, any other goes.
    if ((BASH_VERSINFO[0] >= 4)) && [[ -n ${BASH_ALIASES[$_awsesh_cmd]+set} ]]; then
        case ${BASH_ALIASES[$_awsesh_cmd]} in
        "$_awsesh_cmd" | "$_awsesh_cmd "*) ;;
        *) \builtin unalias -- "$_awsesh_cmd" ;;
        esac
    fi
    # `function NAME` is not alias-expanded.
    \builtin eval "function $_awsesh_cmd { _awsesh_wrap \"\$@\"; }"

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
if [[ $- == *i* && -n ${BASH_VERSION-} && -z ${ZSH_VERSION-} ]]; then

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
