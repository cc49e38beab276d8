# awsesh shell integration for nushell. nushell cannot source a command's
# output, so the script is saved to a file that config.nu sources:
#     awsesh init nushell | save -f ~/.awsesh.nu     (once, and after upgrades)
#     source ~/.awsesh.nu                            (in config.nu)
#
# - `@CMD@` (a --wrapped command) asks awsesh for a session when this shell
#   has none that is fresh, prompting for the MFA code on the terminal, then
#   runs the real `^@CMD@`. With a fresh session it runs the command with no
#   fork beyond the command's own. `@CMD@ --profile X …` and
#   `with-env {AWS_PROFILE: X} { @CMD@ … }` give X's session to that one
#   command; the shell keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - A pre_prompt hook picks up sessions started (or ended) in other shells,
#   drops expired keys, follows `$env.AWS_PROFILE`, keeps
#   $env.AWSESH_PROMPT_SEGMENT up to date and, unless disabled, puts it in
#   front of $env.PROMPT_COMMAND.
#
# nushell has no `eval`: everything awsesh tells this shell is one JSON
# record, {"set": {NAME: value}, "unset": [NAME]}, applied with `load-env`
# and `hide-env` — data, never code, whatever a profile name holds. The hook
# reads the clock (`date now`) and the session file's first line (`open`)
# with builtins, and forks `awsesh hook-sync` only when that line or the
# profile changed. Non-interactive shells are left alone: the commands below
# are defined (nushell defines them when the file is parsed) but only run
# the real command there, and no hook or prompt is installed. Loading this
# twice registers nothing twice. The real command and awsesh are run as
# externals (`^`), which no `def` or alias of the same name can take over;
# nushell has no such bypass for its own builtins.

const _awsesh_bin = @AWSESH@
const _awsesh_prompt = @PROMPT@

# The current profile: $env.AWS_PROFILE, else `default`.
def _awsesh_profile [] {
    let profile = ($env.AWS_PROFILE? | default "" | into string)
    if ($profile | is-empty) { "default" } else { $profile }
}

# awsesh's JSON record, or null when it is not one (awsesh failed or is gone).
def _awsesh_parse [text: string] {
    let data = try { $text | from json } catch { null }
    if ($data | describe | str starts-with "record") {
        {
            set: ($data.set? | default {} | transpose name value | where {|kv| ($kv.value | describe) == "string" } | reduce -f {} {|kv, acc| $acc | insert $kv.name $kv.value })
            unset: ($data.unset? | default [] | where {|n| ($n | describe) == "string" })
        }
    } else {
        null
    }
}

# nushell 0.108: in a `def --env`, a `hide-env` that follows a call of
# another `def --env` does not reach the caller (the callee's variables are
# copied back into a second scope, and one of the two copies stays). So the
# helpers below change nothing: they return what to do, and only the hook
# and the two wrappers — each called once, from the prompt or the command
# line — change the environment, with builtins.

# The names to unset to drop what this shell holds: the keys when they are
# awsesh's ($env.AWSESH_PROFILE set; keys exported by hand stay), and the
# hook's record of them.
def _awsesh_drop_names [] {
    let exported = if ($env.AWSESH_PROFILE? != null) {
        [AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE]
    } else { [] }
    $exported | append _AWSESH_KEY
}

# Whether the keys exported are still the ones awsesh exported last.
def _awsesh_holds [] {
    let key = ($env._AWSESH_KEY? | default "")
    ($env.AWSESH_PROFILE? != null) and ($key != "") and (($env.AWS_ACCESS_KEY_ID? | default "") == $key)
}

# What the hook finds exported, against what awsesh exported last: `sync`
# when the keys were unset by hand (the session is loaded again at this
# prompt), `aside` when they were replaced by hand (this shell stands aside:
# their keys stay and the segment goes, until they are unset in turn — then
# `sync`), `held` when awsesh's keys are there, else `none`. Builtins only.
def _awsesh_keys_state [] {
    let exported = ($env.AWS_ACCESS_KEY_ID? | default "")
    let key = ($env._AWSESH_KEY? | default "")
    if $key != "" {
        if $exported == "" { return "sync" }
        if $exported != $key { return "aside" }
        if (($env.AWS_SECRET_ACCESS_KEY? | default "") == "") or (($env.AWS_SESSION_TOKEN? | default "") == "") or (($env.AWSESH_PROFILE? | default "") == "") {
            return "sync"
        }
        return "held"
    }
    if (($env._AWSESH_ASIDE? | default "") != "") and ($exported == "") { "sync" } else { "none" }
}

# `awsesh hook-sync` for $profile, parsed; null when awsesh failed (or is
# gone): then the shell drops what it holds rather than keep another
# profile's keys.
def _awsesh_sync_data [profile: string] {
    let result = try {
        ^$_awsesh_bin hook-sync --shell nushell $"--profile=($profile)" | complete
    } catch { {exit_code: 1, stdout: ""} }
    if $result.exit_code == 0 { _awsesh_parse ($result.stdout | into string) } else { null }
}

# The expiry on the first line of the session file, read with builtins: only
# a regular file (a FIFO or a device planted there cannot stall the prompt),
# at most its first 20 bytes are looked at; "" when there is none.
def _awsesh_stamp [] {
    let path = ($env._AWSESH_STAMP? | default "" | into string)
    if ($path | is-empty) or (($path | path type) != "file") { return "" }
    try {
        open --raw $path | into binary | bytes at 0..<20 | decode utf-8 | lines | get 0? | default ""
    } catch { "" }
}

# Seconds since the epoch, from the clock builtin.
def _awsesh_now [] {
    (date now | into int) // 1_000_000_000
}

# The segment for $profile: {text, expired}. `aws:11h42m`, `aws:prod 42m`,
# `aws:<1m`, `aws:expired`, or empty when this shell holds no session of
# $profile (or stands aside for keys set by hand).
def _awsesh_segment [profile: string] {
    let exp = ($env._AWSESH_EXP? | default "")
    if (($env._AWSESH_FOR? | default "") != $profile) or (($env._AWSESH_ASIDE? | default "") != "") or not ($exp =~ '^[0-9]{1,18}$') {
        return {text: "", expired: false}
    }
    let left = ($exp | into int) - (_awsesh_now)
    let text = if $left <= 0 {
        "expired"
    } else if $left < 60 {
        "<1m"
    } else if $left < 3600 {
        $"($left // 60)m"
    } else {
        let minutes = $left // 60
        $"($minutes // 60)h($minutes mod 60 | into string | fill -a r -w 2 -c '0')m"
    }
    let name = if $profile == "default" { "" } else { ($profile | str replace -ra '[^A-Za-z0-9._@-]' '?') + " " }
    {text: $"aws:($name)($text)", expired: ($left <= 0)}
}

# The prompt hook: forks only when another shell changed the session (its
# stamp differs from the expiry this shell holds), the profile changed, or
# the keys were unset by hand; keys replaced by hand are left alone.
# Expired keys are unset here: nothing can use them any more.
def --env _awsesh_hook [] {
    let profile = (_awsesh_profile)
    let keys = if $profile == ($env._AWSESH_FOR? | default "") { _awsesh_keys_state } else { "sync" }
    if $keys == "aside" {
        hide-env -i AWSESH_PROFILE AWS_CREDENTIAL_EXPIRATION _AWSESH_KEY
        $env._AWSESH_ASIDE = "1"
    } else if $keys == "held" {
        hide-env -i _AWSESH_ASIDE
    }
    let stale = (($env._AWSESH_ASIDE? | default "") == "") and ((_awsesh_stamp) != ($env._AWSESH_EXP? | default ""))
    if ($keys == "sync") or $stale {
        let data = (_awsesh_sync_data $profile)
        if $data != null {
            hide-env -i ...$data.unset
            load-env $data.set
        } else {
            hide-env -i ...(_awsesh_drop_names) _AWSESH_EXP _AWSESH_STAMP _AWSESH_REGION
        }
        hide-env -i _AWSESH_ASIDE
        # Even when awsesh failed: do not retry at every prompt.
        $env._AWSESH_FOR = $profile
    }
    let segment = (_awsesh_segment $profile)
    if $segment.expired { hide-env -i ...(_awsesh_drop_names) }
    $env.AWSESH_PROMPT_SEGMENT = $segment.text
}

# AWSESH_REFRESH_MARGIN in seconds: `600`, `10m`, `1h30m`, `90s`; unset or
# empty: 300. Anything else: null, and `awsesh env --ensure` (which refuses a
# margin it cannot use, with one line) decides every time.
def _awsesh_margin [] {
    let text = ($env.AWSESH_REFRESH_MARGIN? | default "" | into string)
    if ($text | is-empty) { return 300 }
    if ($text =~ '^[0-9]{1,9}$') { return ($text | into int) }
    let hms = ($text | parse -r '^(?:(?<h>[0-9]{1,6})h)?(?:(?<m>[0-9]{1,7})m)?(?:(?<s>[0-9]{1,9})s)?$')
    if ($hms | is-empty) { return null }
    let row = ($hms | first)
    let part = {|v| if ($v | is-empty) { 0 } else { $v | into int } }
    (do $part $row.h) * 3600 + (do $part $row.m) * 60 + (do $part $row.s)
}

# Whether this shell holds a session of $profile with more than the margin
# left: then the command runs with no fork.
def _awsesh_fresh [profile: string] {
    let margin = (_awsesh_margin)
    let exp = ($env._AWSESH_EXP? | default "" | into string)
    if ($margin == null) or (($env.AWSESH_PROFILE? | default "") != $profile) or (($env._AWSESH_FOR? | default "") != $profile) or not ($exp =~ '^[0-9]{1,18}$') {
        return false
    }
    # Keys unset or replaced by hand since the last prompt: not fresh.
    if not (_awsesh_holds) or (($env.AWS_SECRET_ACCESS_KEY? | default "") == "") or (($env.AWS_SESSION_TOKEN? | default "") == "") {
        return false
    }
    (($exp | into int) - (_awsesh_now)) > $margin
}

# `awsesh env --ensure` for $profile: {rc, out}. Its prompt and messages go
# to the terminal; only its output is captured.
def _awsesh_ensure [profile: string] {
    try {
        let out = (do {
            # An empty margin is the default here: not handed on.
            if ($env.AWSESH_REFRESH_MARGIN? | default "" | into string | is-empty) { hide-env -i AWSESH_REFRESH_MARGIN }
            ^$_awsesh_bin env --ensure --pass-other-sign-in --shell nushell $"--profile=($profile)"
        })
        {rc: 0, out: ($out | into string)}
    } catch {|e| {rc: ($e.exit_code? | default 1), out: ""} }
}

# The AWS CLI's arguments read the way it reads them: the profile it will
# use, the arguments without --profile (it ignores keys in the environment
# when given one), and whether the line needs no session at all.
def _awsesh_plan [argv: list<string>] {
    let value_options = ["--region" "--output" "--query" "--endpoint-url" "--color" "--ca-bundle" "--cli-read-timeout" "--cli-connect-timeout" "--cli-binary-format"]
    mut profile = null
    mut want = ""
    mut sub = ""
    mut last = ""
    mut pass = false
    mut args = []
    for arg in $argv {
        if $want != "" {
            if $want == "profile" { $profile = $arg } else { $args = ($args | append $arg) }
            $want = ""
            $last = $arg
            continue
        }
        if $arg == "--profile" {
            $want = "profile"
            $last = $arg
            continue
        }
        if ($arg | str starts-with "--profile=") {
            $profile = ($arg | str replace -r '^--profile=' '')
            $last = $arg
            continue
        }
        if $arg == "--version" {
            $pass = true
        } else if ($arg in $value_options) {
            if $sub == "" { $want = "value" }
        } else if not ($arg | str starts-with "-") and $sub == "" {
            $sub = $arg
        }
        $args = ($args | append $arg)
        $last = $arg
    }
    # What needs no session runs as typed: `configure` (how keys get there),
    # `help` and `… help`, `--version`, the CLI's own sign-in commands, and a
    # line the CLI will refuse anyway.
    let as_typed = ($pass or ($sub in ["" "configure" "help" "sso" "login" "logout"]) or ($want == "profile") or ($last == "help"))
    {as_typed: $as_typed, profile: $profile, args: $args}
}

# botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE; awsesh reads
# AWS_PROFILE. When they disagree, say so, once for each pair of values:
# returns the pair to remember once said, else null.
def _awsesh_note_default_profile [] {
    let default_profile = ($env.AWS_DEFAULT_PROFILE? | default "" | into string)
    let pair = $"($default_profile)/(_awsesh_profile)"
    if ($default_profile | is-empty) or ($default_profile == ($env.AWS_PROFILE? | default "")) or ($pair == ($env._AWSESH_NOTED_PAIR? | default "")) { return null }
    let shown = {|v| $v | str replace -ra '[^A-Za-z0-9._@-]' '?' }
    print -e $"awsesh: AWS_DEFAULT_PROFILE is (do $shown $default_profile) but awsesh uses AWS_PROFILE \((do $shown (_awsesh_profile))\), and the AWS CLI prefers AWS_DEFAULT_PROFILE; unset AWS_DEFAULT_PROFILE or set it to the same profile"
    $pair
}

# A profile awsesh does not sign in for (SSO, instance or web identity;
# `env --ensure` said 3): the command as typed, without a session awsesh
# exported for another profile, which would win over the profile's own.
def _awsesh_as_typed [argv: list<string>] {
    if ($env.AWSESH_PROFILE? != null) {
        hide-env -i AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE
    }
    ^@CMD@ ...$argv
}

# Ends a command with status $rc, as an external would (nushell keeps no
# status a custom command sets): one short-lived `sh`, on failure only.
def _awsesh_fail [rc: int] {
    ^sh -c $"exit ($rc)"
}

# Runs the wrapped command with a session of the profile it will use.
def --env --wrapped @CMD@ [...rest] {
    if not $nu.is-interactive {
        ^@CMD@ ...$rest
        return
    }
    let plan = (_awsesh_plan $rest)
    if $plan.as_typed {
        ^@CMD@ ...$rest
        return
    }
    let noted = (_awsesh_note_default_profile)
    if $noted != null { $env._AWSESH_NOTED_PAIR = $noted }
    let here = (_awsesh_profile)
    let profile = ($plan.profile | default $here)
    let own = ($env._AWSESH_FOR? | default $here)
    if ($profile == $here) and ($profile == $own) {
        if not (_awsesh_fresh $profile) {
            let result = (_awsesh_ensure $profile)
            if $result.rc == 3 {
                _awsesh_as_typed $rest
                return
            }
            if $result.rc != 0 {
                # awsesh said why on the terminal; nothing runs (Ctrl-C: 130).
                _awsesh_fail $result.rc
                return
            }
            let data = (_awsesh_parse $result.out)
            if $data == null {
                _awsesh_fail 1
                return
            }
            hide-env -i ...$data.unset
            load-env $data.set
        }
        ^@CMD@ ...$plan.args
        return
    }
    # Another profile than this shell's: its session for this one command
    # only, so that this shell keeps what it holds. AWS_PROFILE names it.
    let result = (_awsesh_ensure $profile)
    if $result.rc == 3 {
        with-env {AWS_PROFILE: $profile} { _awsesh_as_typed $rest }
        return
    }
    if $result.rc != 0 {
        _awsesh_fail $result.rc
        return
    }
    let data = (_awsesh_parse $result.out)
    if $data == null {
        _awsesh_fail 1
        return
    }
    # Only what a program reads: the hook's own `_AWSESH_*` stay out.
    let exports = ($data.set | reject -o _AWSESH_EXP _AWSESH_KEY _AWSESH_REGION _AWSESH_STAMP)
    with-env ($exports | merge {AWS_PROFILE: $profile}) { ^@CMD@ ...$plan.args }
}

# For `awsesh doctor`: whether the hook is still in pre_prompt (yes/no).
def _awsesh_doctor_hook [] {
    let hooks = ($env.config.hooks.pre_prompt? | default [])
    if ($hooks | any {|h| _awsesh_is_hook $h }) { "yes" } else { "no" }
}

# Whether a pre_prompt entry is this script's hook (a closure calling it).
def _awsesh_is_hook [hook] {
    ($hook | describe | str starts-with "closure") and ((view source $hook) | str contains "_awsesh_hook")
}

# For `awsesh doctor`: what the wrapped command's name runs (wrapper,
# function, alias, built-in, external, none).
def _awsesh_doctor_cmd [] {
    let found = (which @CMD@ | where command == "@CMD@")
    if ($found | is-empty) { return "none" }
    let kind = ($found | first | get type)
    if $kind == "custom" {
        if ((view source @CMD@) | str contains "_awsesh_plan") { "wrapper" } else { "function" }
    } else {
        $kind
    }
}

# `awsesh login|logout` also update this shell; `awsesh doctor` is told what
# only the shell knows; the rest passes through.
def --env --wrapped awsesh [...rest] {
    let sub = ($rest | get 0? | default "")
    if not $nu.is-interactive {
        ^$_awsesh_bin ...$rest
        return
    }
    if $sub == "doctor" {
        with-env {AWSESH_HOOK: nushell, AWSESH_HOOK_REGISTERED: (_awsesh_doctor_hook), AWSESH_HOOK_CMD: "@CMD@", AWSESH_HOOK_CMD_IS: (_awsesh_doctor_cmd)} {
            ^$_awsesh_bin ...$rest
        }
        return
    }
    if $sub not-in ["login" "logout"] {
        # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
        with-env {AWSESH_HOOK: nushell} { ^$_awsesh_bin ...$rest }
        return
    }
    mut profile = ""
    mut want = false
    for arg in $rest {
        if $want {
            $profile = $arg
            $want = false
            continue
        }
        if ($arg in ["-h" "--help" "-V" "--version" "--shell"]) or ($arg | str starts-with "--shell=") {
            ^$_awsesh_bin ...$rest
            return
        }
        if $arg in ["--profile" "-p"] {
            $want = true
        } else if ($arg | str starts-with "--profile=") {
            $profile = ($arg | str replace -r '^--profile=' '')
        } else if ($arg | str starts-with "-p=") {
            $profile = ($arg | str replace -r '^-p=' '')
        } else if ($arg =~ '^-p.') {
            $profile = ($arg | str replace -r '^-p' '')
        }
    }
    let here = (_awsesh_profile)
    let profile = (if ($profile | is-empty) { $here } else { $profile })
    let own = ($env._AWSESH_FOR? | default $here)
    if ($sub == "login") and (($profile != $here) or ($profile != $own)) {
        # Another profile than this shell's: logged in, not loaded.
        ^$_awsesh_bin ...$rest
        return
    }
    let result = try {
        {rc: 0, out: (^$_awsesh_bin ...$rest --shell nushell | into string)}
    } catch {|e| {rc: ($e.exit_code? | default 1), out: ""} }
    if $result.rc != 0 {
        _awsesh_fail $result.rc
        return
    }
    let data = (_awsesh_parse $result.out)
    if $data != null {
        hide-env -i ...$data.unset
        load-env $data.set
    }
}

if $nu.is-interactive {
    $env.AWSESH_PROMPT_SEGMENT = ($env.AWSESH_PROMPT_SEGMENT? | default "")
    # Loaded again, this shell is synced afresh at the next prompt.
    hide-env -i _AWSESH_FOR
    # The user's hooks stay; a hook of an earlier load is replaced.
    let hooks = ($env.config.hooks.pre_prompt? | default [] | where {|h| not (_awsesh_is_hook $h) })
    $env.config.hooks.pre_prompt = ($hooks | append {|| _awsesh_hook })
    # The segment in front of the prompt: PROMPT_COMMAND is wrapped once.
    let current = ($env.PROMPT_COMMAND? | default null)
    let wrapped = ($current | describe | str starts-with "closure") and ((view source $current) | str contains "_awsesh_orig_prompt")
    if ($_awsesh_prompt == 1) and not $wrapped {
        let _awsesh_orig_prompt = $current
        $env.PROMPT_COMMAND = {||
            let kind = ($_awsesh_orig_prompt | describe)
            let prompt = if ($kind | str starts-with "closure") {
                do $_awsesh_orig_prompt
            } else if $kind == "string" {
                $_awsesh_orig_prompt
            } else {
                $env.PWD
            }
            let segment = ($env.AWSESH_PROMPT_SEGMENT? | default "")
            if ($segment | is-empty) or ($env.STARSHIP_SHELL? != null) { $prompt } else { $"($segment) ($prompt)" }
        }
    }
}
