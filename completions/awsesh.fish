# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_awsesh_global_optspecs
    string join \n h/help V/version
end

function __fish_awsesh_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_awsesh_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_awsesh_using_subcommand
    set -l cmd (__fish_awsesh_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c awsesh -n "__fish_awsesh_needs_command" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_needs_command" -s V -l version -d 'Print version'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "init" -d 'Print the shell integration script: `eval "$(awsesh init bash)"`'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "login" -d 'Start a new MFA session for a profile, replacing the cached one'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "env" -d 'Print the cached session as shell exports or JSON'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "status" -d 'Show the cached sessions and their time left'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "logout" -d 'Forget cached sessions'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "exec" -d 'Run a command with the session: keys in its environment, or `--server` for a local credential endpoint that renews them while it runs'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "credential-process" -d 'Print the session in the `credential_process` format for SDKs and Terraform'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "prompt" -d 'Print the time left of the session for a prompt (`11h42m`), or nothing'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "doctor" -d 'Check the setup and say how to fix what is wrong'
complete -c awsesh -n "__fish_awsesh_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c awsesh -n "__fish_awsesh_using_subcommand init" -l cmd -d 'Name of the wrapped command' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand init" -l no-prompt -d 'Leave the prompt alone (the segment stays available in $AWSESH_PROMPT_SEGMENT)'
complete -c awsesh -n "__fish_awsesh_using_subcommand init" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -l duration -d 'Session length, e.g. `12h`, `90m`, `3600` (default: the profile\'s `duration_seconds`, else 12h)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -l token-code -d 'The 6-digit MFA code (otherwise $AWSESH_MFA_CODE, $TOTP_CODE, the profile\'s `mfa_process`, or a prompt on the terminal)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -l shell -d 'Also print the exports for this shell on stdout' -r -f -a "bash\t''
zsh\t''
fish\t''
json\t''"
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -l force -d 'Start a new session even when the cached one is still valid'
complete -c awsesh -n "__fish_awsesh_using_subcommand login" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand env" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand env" -l shell -d 'Output format' -r -f -a "bash\t''
zsh\t''
fish\t''
json\t''"
complete -c awsesh -n "__fish_awsesh_using_subcommand env" -l token-code -d 'The 6-digit MFA code (otherwise $AWSESH_MFA_CODE, $TOTP_CODE, the profile\'s `mfa_process`, or a prompt on the terminal)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand env" -l ensure -d 'Start or refresh the session first, prompting for the MFA code if needed'
complete -c awsesh -n "__fish_awsesh_using_subcommand env" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand status" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand status" -l all -d 'Every cached session'
complete -c awsesh -n "__fish_awsesh_using_subcommand status" -l json -d 'Machine-readable output'
complete -c awsesh -n "__fish_awsesh_using_subcommand status" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand logout" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand logout" -l shell -d 'Print the lines that unset the session in this shell' -r -f -a "bash\t''
zsh\t''
fish\t''"
complete -c awsesh -n "__fish_awsesh_using_subcommand logout" -l all -d 'Every cached session'
complete -c awsesh -n "__fish_awsesh_using_subcommand logout" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand exec" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand exec" -l token-code -d 'The 6-digit MFA code (otherwise $AWSESH_MFA_CODE, $TOTP_CODE, the profile\'s `mfa_process`, or a prompt on the terminal)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand exec" -l server -d 'Serve the credentials to CMD from a local endpoint for as long as it runs (renewed as they run out) instead of putting keys in its environment'
complete -c awsesh -n "__fish_awsesh_using_subcommand exec" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand credential-process" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand credential-process" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand prompt" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand prompt" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand completions" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand doctor" -s p -l profile -d 'AWS profile (default: $AWS_PROFILE, then `default`)' -r
complete -c awsesh -n "__fish_awsesh_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "init" -d 'Print the shell integration script: `eval "$(awsesh init bash)"`'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "login" -d 'Start a new MFA session for a profile, replacing the cached one'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "env" -d 'Print the cached session as shell exports or JSON'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "status" -d 'Show the cached sessions and their time left'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "logout" -d 'Forget cached sessions'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "exec" -d 'Run a command with the session: keys in its environment, or `--server` for a local credential endpoint that renews them while it runs'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "credential-process" -d 'Print the session in the `credential_process` format for SDKs and Terraform'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "prompt" -d 'Print the time left of the session for a prompt (`11h42m`), or nothing'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "completions" -d 'Print shell completions'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "doctor" -d 'Check the setup and say how to fix what is wrong'
complete -c awsesh -n "__fish_awsesh_using_subcommand help; and not __fish_seen_subcommand_from init login env status logout exec credential-process prompt completions doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
