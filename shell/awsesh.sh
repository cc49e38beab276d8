# shellcheck shell=sh
# awsesh shell integration for POSIX sh (dash, ksh, mksh, busybox sh). Load
# it from the file $ENV names (for instance `export ENV=~/.shrc` in
# ~/.profile) with:
#     eval "$(awsesh init posix)"
#
# - `@CMD@` (a function) asks awsesh for the session of the profile it will
#   use — prompting for the MFA code on the terminal when there is none that
#   is fresh — then runs the real command. `@CMD@ --profile X …` and
#   `AWS_PROFILE=X @CMD@ …` give X's session to that one command; the shell
#   keeps what it holds.
# - `awsesh login|logout` update this shell's environment; `awsesh login`
#   after `export AWS_PROFILE=X` moves the shell to X.
# - The prompt shows the time left of the session the shell holds, from
#   `awsesh prompt --held` in PS1 (unless disabled; `awsesh_prompt_segment`
#   prints it for your own PS1).
#
# What POSIX sh cannot do: it has no prompt hook and no clock. Commands run
# in PS1 run in a subshell and cannot change this shell's variables, so the
# keys this shell holds are brought up to date by `@CMD@` and `awsesh`, not
# at every prompt: after `awsesh logout` in another shell, or when the
# session expires, the prompt says so at once, and the keys stay exported
# until the next `@CMD@` or `awsesh login`. Without a clock, `@CMD@` asks
# awsesh (one fork, no network from cache) before every command.
#
# `export`, `unset`, `eval` and `return` are special builtins, which no
# function can replace; every command word is written `\NAME`, which no
# alias can take over. Non-interactive shells are left alone. Loading this
# twice registers nothing twice.

# The one-command AWS_PROFILE lives in a subshell, on purpose.
# shellcheck disable=SC2030,SC2031
if [ -n "${BASH_VERSION-}" ] || [ -n "${ZSH_VERSION-}" ]; then
    # bash or zsh evaluated the POSIX script: one line, nothing defined.
    # shellcheck disable=SC2016 # the words are printed as they are
    \printf '%s\n' 'awsesh: `awsesh init posix` is for POSIX sh; in bash or zsh put `eval "$(awsesh init bash)"` (or zsh) in ~/.bashrc (~/.zshrc) instead' >&2
else
    case $- in
    *i*)
        # The binary, quoted by `awsesh init`; a literal path, expanded nowhere.
        # shellcheck disable=SC2016
        _awsesh_bin=@AWSESH@
        _awsesh_cmd=@CMD@
        _awsesh_prompt=@PROMPT@
        # The profile this shell is on: the one it was started with, until
        # `awsesh login` moves it (a hook would follow `export AWS_PROFILE`).
        _AWSESH_FOR=${_AWSESH_FOR-${AWS_PROFILE:-default}}

        # Unsets the keys this shell holds, when they are awsesh's
        # ($AWSESH_PROFILE set): keys exported by hand stay.
        _awsesh_unexport() {
            if \test -n "${AWSESH_PROFILE+set}"; then
                \unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                    AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
            fi
        }

        # `awsesh env --ensure` for profile $1 into $_awsesh_out, its status
        # into $_awsesh_rc. The shell's AWSESH_REFRESH_MARGIN goes along even
        # when it is not exported.
        _awsesh_ensure() {
            _awsesh_rc=0
            if \test -n "${AWSESH_REFRESH_MARGIN-}"; then
                _awsesh_out=$(AWSESH_REFRESH_MARGIN=$AWSESH_REFRESH_MARGIN \command "$_awsesh_bin" \
                    env --ensure --pass-other-sign-in --shell posix "--profile=$1") || _awsesh_rc=$?
            else
                _awsesh_out=$(\command "$_awsesh_bin" env --ensure --pass-other-sign-in \
                    --shell posix "--profile=$1") || _awsesh_rc=$?
            fi
        }

        # Runs the wrapped command with a session of the profile it will use.
        # No `local` (ksh93 has none in POSIX functions): globals named
        # _awsesh_*.
        _awsesh_wrap() {
            _awsesh_p='' _awsesh_explicit='' _awsesh_want='' _awsesh_sub=''
            _awsesh_last='' _awsesh_pass='' _awsesh_skip=''
            # The profile and the subcommand: the AWS CLI's global options
            # may stand anywhere, and those that take a value may stand
            # before the subcommand.
            for _awsesh_a in "$@"; do
                if \test -n "$_awsesh_want"; then
                    if \test "$_awsesh_want" = profile; then
                        _awsesh_p=$_awsesh_a _awsesh_explicit=1
                    fi
                    _awsesh_want='' _awsesh_last=$_awsesh_a
                    continue
                fi
                case $_awsesh_a in
                --profile) _awsesh_want=profile ;;
                --profile=*) _awsesh_p=${_awsesh_a#--profile=} _awsesh_explicit=1 ;;
                --version) _awsesh_pass=1 ;;
                --region | --output | --query | --endpoint-url | --color | --ca-bundle | \
                    --cli-read-timeout | --cli-connect-timeout | --cli-binary-format)
                    \test -n "$_awsesh_sub" || _awsesh_want=value
                    ;;
                -*) ;;
                *) \test -n "$_awsesh_sub" || _awsesh_sub=$_awsesh_a ;;
                esac
                _awsesh_last=$_awsesh_a
            done
            # What needs no session runs as typed.
            case $_awsesh_sub in
            '' | configure | help | sso | login | logout) _awsesh_pass=1 ;;
            esac
            if \test -n "$_awsesh_pass" || \test "$_awsesh_want" = profile ||
                \test "$_awsesh_last" = help; then
                \command "$_awsesh_cmd" "$@"
                return
            fi
            if \test -n "$_awsesh_explicit"; then
                # The AWS CLI ignores credentials in the environment when it
                # is given --profile: the flag goes, AWS_PROFILE names it.
                for _awsesh_a in "$@"; do
                    shift
                    if \test -n "$_awsesh_skip"; then
                        _awsesh_skip=''
                        continue
                    fi
                    case $_awsesh_a in
                    --profile)
                        _awsesh_skip=1
                        continue
                        ;;
                    --profile=*) continue ;;
                    esac
                    \set -- "$@" "$_awsesh_a"
                done
            else
                _awsesh_p=${AWS_PROFILE:-default}
            fi
            _awsesh_ensure "$_awsesh_p"
            if \test "$_awsesh_rc" = 3; then
                # A profile awsesh does not sign in for (SSO, instance or web
                # identity): as typed, without another profile's keys.
                (
                    _awsesh_unexport
                    \command "$_awsesh_cmd" "$@"
                )
                return
            fi
            \test "$_awsesh_rc" = 0 || return "$_awsesh_rc"
            if \test -z "$_awsesh_explicit" && \test "$_awsesh_p" = "$_AWSESH_FOR"; then
                # This shell's profile: the shell holds its session now.
                \eval "$_awsesh_out"
                \command "$_awsesh_cmd" "$@"
                return
            fi
            # Another profile than this shell's (an inline AWS_PROFILE=X is
            # gone when the function returns): its session for this one
            # command only, in a subshell.
            (
                \eval "$_awsesh_out"
                \export AWS_PROFILE="$_awsesh_p"
                \command "$_awsesh_cmd" "$@"
            )
        }

        # The segment for a prompt of your own: `aws:42m `, `aws:prod 1h05m `,
        # `aws:expired `, or nothing when the shell holds no session.
        awsesh_prompt_segment() {
            if \test -n "${AWSESH_PROFILE-}"; then
                \command "$_awsesh_bin" prompt --held
            fi
        }

        # `awsesh login|logout` also update this shell; `awsesh doctor` is
        # told which script this shell runs; the rest passes through.
        awsesh() {
            case ${1-} in
            login | logout)
                _awsesh_p='' _awsesh_explicit='' _awsesh_want=''
                for _awsesh_a in "$@"; do
                    if \test -n "$_awsesh_want"; then
                        _awsesh_p=$_awsesh_a _awsesh_explicit=1 _awsesh_want=''
                        continue
                    fi
                    case $_awsesh_a in
                    -h | --help | -V | --version | --shell | --shell=*)
                        \command "$_awsesh_bin" "$@"
                        return
                        ;;
                    --profile | -p) _awsesh_want=1 ;;
                    --profile=*) _awsesh_p=${_awsesh_a#--profile=} _awsesh_explicit=1 ;;
                    -p=*) _awsesh_p=${_awsesh_a#-p=} _awsesh_explicit=1 ;;
                    -p?*) _awsesh_p=${_awsesh_a#-p} _awsesh_explicit=1 ;;
                    esac
                done
                \test -n "$_awsesh_explicit" || _awsesh_p=${AWS_PROFILE:-default}
                if \test "$1" = login && \test "$_awsesh_p" != "${AWS_PROFILE:-default}"; then
                    # Not the profile this shell is on: logged in, not loaded.
                    \command "$_awsesh_bin" "$@"
                    return
                fi
                _awsesh_out=$(\command "$_awsesh_bin" "$@" --shell posix) || return
                \eval "$_awsesh_out"
                ;;
            *)
                AWSESH_HOOK=posix AWSESH_HOOK_CMD=$_awsesh_cmd \command "$_awsesh_bin" "$@"
                ;;
            esac
        }

        # The wrapper: an alias of the same name would be expanded where the
        # function is defined and called, so it goes; `eval` parses the
        # definition only after that.
        \unalias "$_awsesh_cmd" 2>/dev/null
        \eval "$_awsesh_cmd() { _awsesh_wrap \"\$@\"; }"

        # The session this shell's profile already has (started in another
        # shell): exported now, so programs run before any `@CMD@` have it.
        if _awsesh_out=$(\command "$_awsesh_bin" hook-sync --shell posix "--profile=$_AWSESH_FOR"); then
            \eval "$_awsesh_out"
        fi
        # hook-sync names the profile it synced, which is this one.
        _AWSESH_FOR=${_AWSESH_FOR:-${AWS_PROFILE:-default}}

        # The segment in front of PS1, once. No process at all while the
        # shell holds no session; then one, which execs awsesh.
        if \test "$_awsesh_prompt" = 1; then
            case ${PS1-} in
            *'prompt --held)}'*) ;;
            *)
                # shellcheck disable=SC2016 # expanded at each prompt
                PS1='${AWSESH_PROFILE:+$(\command "$_awsesh_bin" prompt --held)}'${PS1-'$ '}
                ;;
            esac
        fi
        ;;
    esac
fi
