# awsesh shell integration for fish. Load it from ~/.config/fish/config.fish with:
#     awsesh init fish | source
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork
#   beyond the command's own (fish >= 3.5). `@CMD@ --profile X …` and
#   `AWS_PROFILE=X @CMD@ …` give X's session to that one command; the shell
#   keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - A fish_prompt event handler picks up sessions started (or ended) in other
#   shells, drops expired keys, keeps $AWSESH_PROMPT_SEGMENT up to date and,
#   unless disabled, fish_prompt shows it. `awsesh_prompt_segment` prints it
#   for your own prompt.
#
# The shell's state after every command line: the exported keys belong to
# $AWSESH_PROFILE, the profile this shell is on, or nothing is exported.
#
# fish has no clock builtin, but `path mtime --relative FILE` (fish >= 3.5)
# is now minus the file's mtime, in-process: with the file's mtime it gives
# the time without a fork. Builtins that a function may shadow are called
# as `builtin NAME`. Non-interactive shells are left alone: nothing is
# defined there. Loading this twice registers nothing twice.

if status is-interactive
    set -g _awsesh_bin @AWSESH@
    set -g _awsesh_cmd @CMD@
    set -g _awsesh_prompt @PROMPT@
    set -q AWSESH_PROMPT_SEGMENT; or set -g AWSESH_PROMPT_SEGMENT ''
    # What the segment was last made for (profile, session), and the clock
    # file's age when its text changes; loaded again, it is made afresh.
    set -g _awsesh_seg_for ''
    set -g _awsesh_never 4611686018427387904
    set -g _awsesh_seg_until 0
    set -g _awsesh_seg_age 0
    # AWSESH_REFRESH_MARGIN as last read, and its value in seconds.
    set -g _awsesh_margin_text ''
    set -g _awsesh_margin 300
    # A file whose mtime does not change, to read the clock from.
    set -g _awsesh_clock
    if builtin -q path
        set _awsesh_clock (builtin status fish-path 2>/dev/null)
        test -f "$_awsesh_clock"; or set _awsesh_clock /
    end

    # Seconds since the epoch: the clock file's mtime plus how long ago that
    # was, both from `path` (no fork); `date` on fish < 3.5.
    function _awsesh_now
        if set -q _awsesh_clock[1]
            set -l at (builtin path mtime -- $_awsesh_clock)
            and set -l ago (builtin path mtime --relative -- $_awsesh_clock)
            and builtin math $at + $ago
            and return 0
        end
        command date +%s
    end

    # The current profile: $AWS_PROFILE, else `default`.
    function _awsesh_profile
        if test -n "$AWS_PROFILE"
            builtin printf '%s\n' "$AWS_PROFILE"
        else
            builtin printf '%s\n' default
        end
    end

    # Unsets the keys this shell holds, when they are awsesh's ($AWSESH_PROFILE
    # set): keys exported by hand stay.
    function _awsesh_unexport
        if set -q AWSESH_PROFILE
            set -e AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
        end
        set -e _AWSESH_KEY
        _awsesh_children
    end

    # Whether the exported keys are the ones awsesh exported last.
    function _awsesh_holds
        set -q AWSESH_PROFILE; and test -n "$_AWSESH_KEY"
        and test "$AWS_ACCESS_KEY_ID" = "$_AWSESH_KEY"
    end

    # What programs started from this shell see. While it holds awsesh's
    # keys, AWS_PROFILE stays a global variable but is not exported: the AWS
    # SDK for JavaScript v3 (and .NET) would take the profile over the keys
    # in the environment. The profile's region is exported instead, unless
    # AWS_REGION or AWS_DEFAULT_REGION is set already. Without the keys,
    # what this did is undone. No fork.
    function _awsesh_children
        if _awsesh_holds
            if set -q AWS_PROFILE
                set -gu AWS_PROFILE $AWS_PROFILE
                set -g _awsesh_hid_profile 1
            end
            test "$_awsesh_set_region" = "$_AWSESH_REGION"; or _awsesh_drop_region
            if test -n "$_AWSESH_REGION"; and test -z "$AWS_REGION"; and test -z "$AWS_DEFAULT_REGION"
                set -gx AWS_REGION $_AWSESH_REGION
                set -gx AWS_DEFAULT_REGION $_AWSESH_REGION
                set -g _awsesh_set_region $_AWSESH_REGION
            end
        else
            if test -n "$_awsesh_hid_profile"
                set -g _awsesh_hid_profile ''
                # (`set -gx NAME` alone would empty it.)
                set -q AWS_PROFILE; and set -gx AWS_PROFILE $AWS_PROFILE
            end
            _awsesh_drop_region
        end
    end

    # Unsets the region _awsesh_children exported, unless changed since.
    function _awsesh_drop_region
        if test -n "$_awsesh_set_region"
            test "$AWS_REGION" != "$_awsesh_set_region"; or set -e AWS_REGION
            test "$AWS_DEFAULT_REGION" != "$_awsesh_set_region"; or set -e AWS_DEFAULT_REGION
            set -g _awsesh_set_region ''
        end
    end

    # Compares what is exported with what awsesh exported, at each prompt.
    # Status 0 when the session must be loaded again: its keys were unset
    # by hand (or some of them were), or keys set by hand were unset again.
    # Keys replaced by hand with others are left alone, and the shell stops
    # claiming them: $AWSESH_PROFILE and the expiry go, the segment is empty.
    function _awsesh_keys_changed
        if test -n "$_AWSESH_KEY"
            if test -z "$AWS_ACCESS_KEY_ID"
                return 0
            else if test "$AWS_ACCESS_KEY_ID" != "$_AWSESH_KEY"
                set -e AWSESH_PROFILE AWS_CREDENTIAL_EXPIRATION _AWSESH_KEY
                set -g _AWSESH_ASIDE 1
                _awsesh_children
            else if test -z "$AWS_SECRET_ACCESS_KEY"; or test -z "$AWS_SESSION_TOKEN"; or test -z "$AWSESH_PROFILE"
                return 0
            else
                set -g _AWSESH_ASIDE ''
            end
        else if test -n "$_AWSESH_ASIDE"; and test -z "$AWS_ACCESS_KEY_ID"
            set -g _AWSESH_ASIDE ''
            return 0
        end
        return 1
    end

    # Sources awsesh's lines for this shell ($argv), then fixes what
    # children see at once: `aws …; and node …` on one line gets the session.
    function _awsesh_load
        builtin printf '%s\n' $argv | builtin source
        set -g _AWSESH_ASIDE ''
        _awsesh_children
    end

    # The real command (or awsesh, $argv[1] = bin) with AWS_PROFILE in its
    # environment even while this shell keeps it unexported: the AWS CLI
    # reads the profile's settings, awsesh which profile is meant.
    function _awsesh_run
        set -l prog $_awsesh_cmd
        test "$argv[1]" = bin; and set prog $_awsesh_bin
        set -e argv[1]
        set -q AWS_PROFILE; and set -lx AWS_PROFILE $AWS_PROFILE
        command $prog $argv
    end

    # Loads the session of profile $argv[1], or drops what the shell holds;
    # runs on a prompt when the stamp file or the profile changed. When awsesh
    # fails (or is gone), the shell holds nothing rather than another
    # profile's keys.
    function _awsesh_sync
        set -l out (command $_awsesh_bin hook-sync --shell fish "--profile=$argv[1]")
        if test $status = 0; and set -q out[1]
            builtin printf '%s\n' $out | builtin source
        else
            _awsesh_unexport
            set -e _AWSESH_EXP _AWSESH_STAMP _AWSESH_REGION
        end
        set -g _AWSESH_ASIDE ''
        _awsesh_children
        # Even when awsesh failed: do not retry at every prompt.
        set -g _AWSESH_FOR $argv[1]
    end

    # The prompt hook. Reads the expiry on the first line of the session file
    # with a builtin — only a regular file, so a FIFO or a device planted
    # there cannot stall the prompt, and at most 20 bytes — and forks only
    # when another shell changed the session or the profile changed. The
    # segment's text changes at most once a minute: it is made again when the
    # profile or session changed, or its time is up (read from the clock
    # file's age: one builtin, no arithmetic), or that clock went backwards.
    function _awsesh_hook --on-event fish_prompt
        set -l profile default
        test -n "$AWS_PROFILE"; and set profile $AWS_PROFILE
        set -l stamp ''
        if set -q _AWSESH_STAMP[1]; and test -f "$_AWSESH_STAMP"
            read -n 20 stamp <$_AWSESH_STAMP 2>/dev/null
        end
        if test "$profile" != "$_AWSESH_FOR"; or _awsesh_keys_changed
            _awsesh_sync $profile
        else if test -z "$_AWSESH_ASIDE"; and test "$stamp" != "$_AWSESH_EXP"
            _awsesh_sync $profile
        end
        # Also after a command line that exported AWS_PROFILE again.
        _awsesh_children
        set -l age ''
        set -q _awsesh_clock[1]; and set age (builtin path mtime --relative -- $_awsesh_clock 2>/dev/null)
        if test -z "$age"; or test "$profile $_AWSESH_FOR $_AWSESH_EXP $_AWSESH_ASIDE" != "$_awsesh_seg_for"
            or test "$age" -ge "$_awsesh_seg_until"; or test "$age" -lt "$_awsesh_seg_age"
            _awsesh_segment $profile
        end
        set -g _awsesh_seg_age $age
    end

    # $AWSESH_PROMPT_SEGMENT: `aws:11h42m`, `aws:prod 42m`, `aws:<1m`,
    # `aws:expired`, or empty when this shell holds no session of profile
    # $argv[1] (one element: `"$AWSESH_PROMPT_SEGMENT"` and
    # `[$AWSESH_PROMPT_SEGMENT]` both work in a prompt); and the clock file's
    # age at which that text changes. Expired keys are unset here: nothing can
    # use them any more.
    function _awsesh_segment
        set -g AWSESH_PROMPT_SEGMENT ''
        set -g _awsesh_seg_for "$argv[1] $_AWSESH_FOR $_AWSESH_EXP $_AWSESH_ASIDE"
        set -g _awsesh_seg_until $_awsesh_never
        set -q _AWSESH_EXP[1]; and test "$_AWSESH_FOR" = "$argv[1]"; or return 0
        test -z "$_AWSESH_ASIDE"; or return 0
        builtin string match -qr '^[0-9]{1,18}$' -- $_AWSESH_EXP; or return 0
        set -l now (_awsesh_now)
        set -l left (builtin math $_AWSESH_EXP - $now)
        set -l until $_awsesh_never
        if test $left -le 0
            set left expired
            _awsesh_unexport
        else if test $left -lt 60
            set until $_AWSESH_EXP
            set left '<1m'
        else
            # The whole minutes left change one second after a multiple of 60.
            set until (builtin math -s0 "$_AWSESH_EXP - floor($left / 60) * 60 + 1")
            if test $left -lt 3600
                set left (builtin math -s0 $left / 60)m
            else
                set left (builtin math -s0 $left / 3600)h(builtin math -s0 "$left % 3600 / 600")(builtin math -s0 "$left % 600 / 60")m
            end
        end
        # As an age of the clock file: the time is up when its age reaches it.
        if test $until != $_awsesh_never; and set -q _awsesh_clock[1]
            set -l at (builtin path mtime -- $_awsesh_clock 2>/dev/null)
            and set -g _awsesh_seg_until (builtin math -s0 $until - $at)
        end
        set -l name ''
        if test "$argv[1]" != default
            set name (builtin string replace -ra '[^A-Za-z0-9._@-]' '?' -- $argv[1])' '
        end
        set -g AWSESH_PROMPT_SEGMENT "aws:$name$left"
    end

    # For your own fish_prompt or fish_right_prompt.
    function awsesh_prompt_segment
        builtin printf '%s' $AWSESH_PROMPT_SEGMENT
    end

    # $_awsesh_margin from AWSESH_REFRESH_MARGIN, read again only when the
    # variable changed: `600`, `10m`, `1h30m`, `90s`; unset or empty: 300.
    # Anything else leaves it empty, and `awsesh env --ensure` (which refuses
    # a margin it cannot use, with one line) decides every time.
    function _awsesh_read_margin
        set -g _awsesh_margin_text "$AWSESH_REFRESH_MARGIN"
        set -g _awsesh_margin ''
        if test -z "$_awsesh_margin_text"
            set -g _awsesh_margin 300
        else if builtin string match -qr '^[0-9]{1,9}$' -- $_awsesh_margin_text
            set -g _awsesh_margin (builtin math $_awsesh_margin_text)
        else if builtin string match -qr '^([0-9]{1,6}h)?([0-9]{1,7}m)?([0-9]{1,9}s)?$' -- $_awsesh_margin_text
            set -l hms (builtin string replace -r '^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$' '0$1 0$2 0$3' -- $_awsesh_margin_text | builtin string split ' ')
            set -g _awsesh_margin (builtin math "$hms[1] * 3600 + $hms[2] * 60 + $hms[3]")
        end
    end

    # Whether this shell holds a session of profile $argv[1] with more than
    # the margin left: then the command runs with no fork.
    function _awsesh_fresh
        if test "$AWSESH_REFRESH_MARGIN" != "$_awsesh_margin_text"
            _awsesh_read_margin
        end
        test -n "$_awsesh_margin"; and set -q AWSESH_PROFILE[1]; and set -q _AWSESH_EXP[1]
        and test "$AWSESH_PROFILE" = "$argv[1]"; and test "$_AWSESH_FOR" = "$argv[1]"
        and builtin string match -qr '^[0-9]{1,18}$' -- $_AWSESH_EXP
        or return 1
        # Keys unset or replaced by hand since the last prompt: not fresh.
        _awsesh_holds; and test -n "$AWS_SECRET_ACCESS_KEY"; and test -n "$AWS_SESSION_TOKEN"
        or return 1
        test (builtin math $_AWSESH_EXP - (_awsesh_now)) -gt $_awsesh_margin
    end

    # `awsesh env --ensure` for profile $argv[1]: its lines, and its status.
    # The shell's AWSESH_REFRESH_MARGIN goes along even when not exported;
    # an empty one (the default, here) does not.
    function _awsesh_ensure
        # This shell may keep AWS_PROFILE unexported (see _awsesh_children).
        set -q AWS_PROFILE; and set -lx AWS_PROFILE $AWS_PROFILE
        if test -n "$AWSESH_REFRESH_MARGIN"
            AWSESH_REFRESH_MARGIN="$AWSESH_REFRESH_MARGIN" command $_awsesh_bin env --ensure --pass-other-sign-in --shell fish "--profile=$argv[1]"
        else
            # An empty margin is the default here: not handed on.
            set -lu AWSESH_REFRESH_MARGIN
            command $_awsesh_bin env --ensure --pass-other-sign-in --shell fish "--profile=$argv[1]"
        end
    end

    # botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE; awsesh reads
    # AWS_PROFILE. When they disagree, say so, once for each pair of values.
    function _awsesh_note_default_profile
        test -n "$AWS_DEFAULT_PROFILE"; and test "$AWS_DEFAULT_PROFILE" != "$AWS_PROFILE"; or return 0
        set -l pair "$AWS_DEFAULT_PROFILE/$AWS_PROFILE"
        test "$pair" != "$_awsesh_noted_pair"; or return 0
        set -g _awsesh_noted_pair $pair
        builtin printf 'awsesh: AWS_DEFAULT_PROFILE is %s but awsesh uses AWS_PROFILE (%s), and the AWS CLI prefers AWS_DEFAULT_PROFILE; unset AWS_DEFAULT_PROFILE or set it to the same profile\n' \
            (builtin string replace -ra '[^A-Za-z0-9._@-]' '?' -- "$AWS_DEFAULT_PROFILE" (_awsesh_profile)) >&2
    end

    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    function _awsesh_as_typed
        set -q AWS_PROFILE; and set -lx AWS_PROFILE $AWS_PROFILE
        if set -q AWSESH_PROFILE
            command env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
                -u AWS_CREDENTIAL_EXPIRATION -u AWSESH_PROFILE $_awsesh_cmd $argv
        else
            command $_awsesh_cmd $argv
        end
    end

    # Runs the wrapped command with a session of the profile it will use.
    function _awsesh_wrap
        set -l profile ''
        set -l explicit ''
        set -l want ''
        set -l sub ''
        set -l last ''
        set -l pass ''
        set -l args
        # The profile and the subcommand: the AWS CLI's global options may
        # stand anywhere, and those that take a value before the subcommand.
        for arg in $argv
            if test -n "$want"
                if test $want = profile
                    set profile $arg
                    set explicit 1
                else
                    set -a args $arg
                end
                set want ''
                set last $arg
                continue
            end
            switch $arg
                case --profile
                    set want profile
                    set last $arg
                    continue
                case '--profile=*'
                    set profile (builtin string replace -- --profile= '' $arg)
                    set explicit 1
                    set last $arg
                    continue
                case --version
                    set pass 1
                case --region --output --query --endpoint-url --color --ca-bundle \
                    --cli-read-timeout --cli-connect-timeout --cli-binary-format
                    test -n "$sub"; or set want value
                case '-*'
                case '*'
                    test -n "$sub"; or set sub $arg
            end
            set -a args $arg
            set last $arg
        end
        # What needs no session runs as typed: `configure` (how keys get
        # there), `help` and `… help`, `--version`, the CLI's own sign-in
        # commands, and a line the CLI will refuse anyway.
        switch "$sub"
            case '' configure help sso login logout
                set pass 1
        end
        if test -n "$pass"; or test "$want" = profile; or test "$last" = help
            _awsesh_run cmd $argv
            return $status
        end
        _awsesh_note_default_profile
        test -n "$explicit"; or set profile (_awsesh_profile)
        # The profile this shell is on: the one its last prompt synced, and
        # $AWS_PROFILE as the command sees it (an inline AWS_PROFILE=X is a
        # one-shot in fish).
        set -l here (_awsesh_profile)
        set -l own $here
        set -q _AWSESH_FOR[1]; and set own $_AWSESH_FOR
        if test "$profile" = "$here"; and test "$profile" = "$own"
            # (--profile, if any, goes: the AWS CLI ignores credentials in the
            # environment when it is given --profile.)
            if not _awsesh_fresh $profile
                set -l out (_awsesh_ensure $profile)
                set -l rc $status
                if test $rc = 3
                    _awsesh_as_typed $argv
                    return $status
                end
                test $rc = 0; or return $rc
                _awsesh_load $out
            end
            _awsesh_run cmd $args
            return $status
        end
        # Another profile than this shell's: its session for this one command
        # only (local variables of this function), so that this shell keeps
        # what it holds. AWS_PROFILE names the profile, --profile goes.
        set -l out (_awsesh_ensure $profile)
        set -l rc $status
        if test $rc = 3
            _awsesh_as_typed $argv
            return $status
        end
        test $rc = 0; or return $rc
        eval (builtin string replace -r -- '^set -g(x?) ' 'set -l$1 ' $out | builtin string collect)
        set -lx AWS_PROFILE $profile
        command $_awsesh_cmd $args
        return $status
    end

    # For `awsesh doctor`: whether the hook still handles fish_prompt (yes/no).
    function _awsesh_doctor_hook
        if builtin functions --handlers-type generic | builtin string match -qr '^fish_prompt\s+_awsesh_hook$'
            builtin printf yes
        else
            builtin printf no
        end
    end

    # For `awsesh doctor`: what the wrapped command's name runs (wrapper,
    # function, builtin, file, none).
    function _awsesh_doctor_cmd
        set -l kind (builtin type -t -- $_awsesh_cmd 2>/dev/null)
        or set kind none
        if test "$kind" = function; and builtin functions -- $_awsesh_cmd | builtin string match -q '*_awsesh_wrap*'
            set kind wrapper
        end
        builtin printf '%s' $kind
    end

    # `awsesh login|logout` also update this shell; `awsesh doctor` is told
    # what only the shell knows; the rest passes through.
    function awsesh --description 'awsesh: MFA sessions for AWS, shared by every shell'
        switch "$argv[1]"
            case login logout
                set -l profile ''
                set -l want ''
                for arg in $argv
                    if test -n "$want"
                        set profile $arg
                        set want ''
                        continue
                    end
                    switch $arg
                        case -h --help -V --version --shell '--shell=*'
                            _awsesh_run bin $argv
                            return $status
                        case --profile -p
                            set want 1
                        case '--profile=*'
                            set profile (builtin string replace -- --profile= '' $arg)
                        case '-p=*'
                            set profile (builtin string sub -s 4 -- $arg)
                        case '-p?*'
                            set profile (builtin string sub -s 3 -- $arg)
                    end
                end
                set -l here (_awsesh_profile)
                test -n "$profile"; or set profile $here
                set -l own $here
                set -q _AWSESH_FOR[1]; and set own $_AWSESH_FOR
                set -l other ''
                if test "$profile" != "$here"; or test "$profile" != "$own"
                    set other 1
                end
                if test "$argv[1]" = login; and test -n "$other"
                    # Another profile than this shell's: logged in, not loaded.
                    _awsesh_run bin $argv
                    return $status
                end
                set -l out (_awsesh_run bin $argv --shell fish)
                or return $status
                _awsesh_load $out
            case doctor
                # Whether programs started from here see AWS_PROFILE (awsesh
                # itself is given it either way).
                set -l exported no
                set -qx AWS_PROFILE; and set exported yes
                AWSESH_HOOK=fish AWSESH_HOOK_REGISTERED=(_awsesh_doctor_hook) \
                    AWSESH_HOOK_CMD=$_awsesh_cmd AWSESH_HOOK_CMD_IS=(_awsesh_doctor_cmd) \
                    AWSESH_HOOK_PROFILE_EXPORTED=$exported _awsesh_run bin $argv
                return $status
            case '*'
                # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
                AWSESH_HOOK=fish _awsesh_run bin $argv
                return $status
        end
    end

    # An alias is a function in fish: whatever had the name is replaced.
    builtin functions -e @CMD@
    function @CMD@ --wraps @CMD@ --description 'awsesh: run with a fresh MFA session'
        _awsesh_wrap $argv
    end

    # The segment in front of the prompt: fish_prompt is wrapped once.
    if test "$_awsesh_prompt" = 1; and not builtin functions -q _awsesh_orig_fish_prompt
        if builtin functions -q fish_prompt
            builtin functions -c fish_prompt _awsesh_orig_fish_prompt
        else
            function _awsesh_orig_fish_prompt
                builtin printf '> '
            end
        end
        function fish_prompt
            # First, so the original prompt sees $status and $pipestatus.
            set -l prompt (_awsesh_orig_fish_prompt | builtin string collect -N)
            if test -n "$AWSESH_PROMPT_SEGMENT"; and not set -q STARSHIP_SHELL
                builtin printf '%s ' $AWSESH_PROMPT_SEGMENT
            end
            builtin printf '%s' $prompt
        end
    end
end

# >>> awsesh: completion of the wrapped command >>>
# `@CMD@ --profile <TAB>` and `--profile=<TAB>` offer the profiles in the AWS
# config and credentials files (read by awsesh at that TAB, not before). fish
# adds this to @CMD@'s other completions (its own `aws` completions keep
# loading on demand). Self-contained: it only reads $_awsesh_bin from the
# script above.
if status is-interactive
    complete --command @CMD@ --long-option profile --exclusive --description 'AWS profile' \
        --arguments '(command $_awsesh_bin list-profiles 2>/dev/null)'
end
# <<< awsesh: completion of the wrapped command <<<
