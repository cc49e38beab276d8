# awsesh shell integration for fish. Load it from ~/.config/fish/config.fish with:
#     awsesh init fish | source
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command.
# - `awsesh login|logout` update this shell's environment.
# - A fish_prompt event handler picks up sessions started (or ended) in other
#   shells, keeps $AWSESH_PROMPT_SEGMENT up to date and, unless disabled,
#   fish_prompt shows it. `awsesh_prompt_segment` prints it for your own prompt.
#
# Non-interactive shells are left alone: nothing is defined there.
# Loading this twice registers nothing twice.

if status is-interactive
    set -g _awsesh_bin @AWSESH@
    set -g _awsesh_cmd @CMD@
    set -g _awsesh_prompt @PROMPT@
    set -g _awsesh_margin @MARGIN@
    set -q AWSESH_PROMPT_SEGMENT; or set -g AWSESH_PROMPT_SEGMENT ''

    # The current profile: $AWS_PROFILE, else `default`.
    function _awsesh_profile
        if test -n "$AWS_PROFILE"
            printf '%s\n' "$AWS_PROFILE"
        else
            printf '%s\n' default
        end
    end

    # Loads the session of profile $argv[1] (or unsets a stale one); runs on a
    # prompt when the stamp file or the profile changed.
    function _awsesh_sync
        set -l out (command $_awsesh_bin hook-sync --shell fish --profile $argv[1])
        and printf '%s\n' $out | source
        # Even when awsesh failed: do not retry at every prompt.
        set -g _AWSESH_FOR $argv[1]
    end

    # The prompt hook: reads the stamp file with a builtin; forks only for the
    # clock (fish has no builtin one) and when another shell changed the
    # session or the profile changed.
    function _awsesh_hook --on-event fish_prompt
        set -l profile (_awsesh_profile)
        if test "$profile" != "$_AWSESH_FOR"
            _awsesh_sync $profile
        else
            set -l stamp ''
            if set -q _AWSESH_STAMP; and test -r "$_AWSESH_STAMP"
                read -l line <$_AWSESH_STAMP; and set stamp $line
            end
            if test "$stamp" != "$_AWSESH_EXP"
                _awsesh_sync $profile
            end
        end
        set -l segment (_awsesh_segment $profile)
        set -g AWSESH_PROMPT_SEGMENT "$segment"
    end

    # `aws:11h42m`, `aws:prod 42m`, `aws:expired`, or nothing when this shell
    # holds no session of profile $argv[1].
    function _awsesh_segment
        if not set -q _AWSESH_EXP; or test "$AWSESH_PROFILE" != "$argv[1]"
            return 0
        end
        set -l left (math $_AWSESH_EXP - (command date +%s))
        if test $left -le 0
            set left expired
        else if test $left -ge 3600
            set left (math -s0 $left / 3600)h(math -s0 "$left % 3600 / 600")(math -s0 "$left % 600 / 60")m
        else
            set left (math -s0 $left / 60)m
        end
        set -l name ''
        if test "$argv[1]" != default
            set name (string replace -ra '[^A-Za-z0-9._@-]' '?' -- $argv[1])' '
        end
        printf 'aws:%s%s\n' $name $left
    end

    # For your own fish_prompt or fish_right_prompt.
    function awsesh_prompt_segment
        printf '%s' $AWSESH_PROMPT_SEGMENT
    end

    # A profile awsesh does not sign in for (SSO, instance or web identity;
    # `env --ensure` said 3): the command as typed, without a session awsesh
    # exported for another profile, which would win over the profile's own.
    function _awsesh_as_typed
        if set -q AWSESH_PROFILE
            command env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
                -u AWS_CREDENTIAL_EXPIRATION -u AWSESH_PROFILE $_awsesh_cmd $argv
        else
            command $_awsesh_cmd $argv
        end
    end

    # Runs the wrapped command with a session of the profile it will use.
    function _awsesh_wrap
        # Subcommands that need no session (a first `aws configure` above all).
        switch "$argv[1]"
            case '' configure help --version sso
                command $_awsesh_cmd $argv
                return $status
        end
        set -l profile ''
        set -l explicit 0
        set -l want_value 0
        set -l args
        for arg in $argv
            if test $want_value = 1
                set profile $arg
                set explicit 1
                set want_value 0
                continue
            end
            switch $arg
                case --profile
                    set want_value 1
                    continue
                case '--profile=*'
                    set profile (string replace -- --profile= '' $arg)
                    set explicit 1
                    continue
            end
            set -a args $arg
        end
        if test $want_value = 1
            # A trailing --profile without a value: the command will say so.
            set -a args --profile
        end
        if test $explicit = 0
            set profile (_awsesh_profile)
            if set -q _AWSESH_EXP; and test "$AWSESH_PROFILE" = "$profile"
                if test (math $_AWSESH_EXP - (command date +%s)) -gt $_awsesh_margin
                    command $_awsesh_cmd $args
                    return $status
                end
            end
        end
        set -l out (command $_awsesh_bin env --ensure --pass-other-sign-in --shell fish --profile $profile)
        set -l rc $status
        if test $rc = 3
            _awsesh_as_typed $argv
            return $status
        end
        test $rc = 0; or return $rc
        if test $explicit = 0
            printf '%s\n' $out | source
            command $_awsesh_cmd $args
            return $status
        end
        # An explicit profile: its session for this one command only (local
        # variables of this function). The AWS CLI ignores credentials in the
        # environment when it is given --profile, so the flag goes and
        # AWS_PROFILE names the profile.
        eval (string replace -r -- '^set -g(x?) ' 'set -l$1 ' $out | string collect)
        set -lx AWS_PROFILE $profile
        command $_awsesh_cmd $args
        return $status
    end

    # `awsesh login|logout` also update this shell; the rest passes through.
    function awsesh --description 'awsesh: MFA sessions for AWS, shared by every shell'
        switch "$argv[1]"
            case login logout
                for arg in $argv
                    switch $arg
                        case -h --help -V --version --shell '--shell=*'
                            command $_awsesh_bin $argv
                            return $status
                    end
                end
                set -l out (command $_awsesh_bin $argv --shell fish)
                or return $status
                printf '%s\n' $out | source
            case '*'
                # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
                AWSESH_HOOK=fish command $_awsesh_bin $argv
                return $status
        end
    end

    function @CMD@ --wraps @CMD@ --description 'awsesh: run with a fresh MFA session'
        _awsesh_wrap $argv
    end

    # The segment in front of the prompt: fish_prompt is wrapped once.
    if test "$_awsesh_prompt" = 1; and not functions -q _awsesh_orig_fish_prompt
        if functions -q fish_prompt
            functions -c fish_prompt _awsesh_orig_fish_prompt
        else
            function _awsesh_orig_fish_prompt
                printf '> '
            end
        end
        function fish_prompt
            # First, so the original prompt sees $status and $pipestatus.
            set -l prompt (_awsesh_orig_fish_prompt | string collect -N)
            if test -n "$AWSESH_PROMPT_SEGMENT"; and not set -q STARSHIP_SHELL
                printf '%s ' $AWSESH_PROMPT_SEGMENT
            end
            printf '%s' $prompt
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
