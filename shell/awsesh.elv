# awsesh shell integration for elvish: the script `awsesh init elvish`
# prints as one quoted string, evaluated in a namespace of its own (so the
# user's definitions of `echo`, `set-env` … in rc.elv do not reach it) and
# only in an interactive shell. Load it from ~/.config/elvish/rc.elv with:
#     eval (awsesh init elvish | slurp)
#
# - `@CMD@` (a function) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, then runs the
#   real command. With a fresh session it runs the command with no fork.
#   `@CMD@ --profile X …` and `{ tmp E:AWS_PROFILE = X; @CMD@ … }` give X's
#   session to that one command; the shell keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - An edit:before-readline hook picks up sessions started (or ended) in
#   other shells, drops expired keys and keeps the segment up to date;
#   unless disabled, edit:prompt shows it in front. `awsesh-prompt-segment`
#   puts it, for a prompt of one's own.
#
# What awsesh prints comes as data, never as code: one JSON array a line,
# read with `from-json` and applied to the names listed here.
#
# elvish 0.19 has no clock builtin. /proc/uptime, read with a redirection
# (no process), plus the epoch awsesh reported at the last sync gives the
# time; without /proc (not Linux), `date +%s` runs: one fork per prompt.
# Loading this twice registers nothing twice.

use str
use re
use math
use path

# The binary, quoted by `awsesh init`; a literal path, expanded nowhere.
var bin = @AWSESH@
var awsesh-cmd = (external $bin)
var real = (external '@CMD@')
var show-prompt = (eq '@PROMPT@' '1')

# Every variable awsesh exports, and so the ones it unsets.
var exported = [AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWSESH_PROFILE]

# The hook's state: the profile last synced ($nil: none yet), the session's
# expiry in epoch seconds, the stamp file to poll, the access key id awsesh
# exported last (_AWSESH_KEY), whether this shell stands aside for keys
# replaced by hand, the epoch at boot (from awsesh's clock), and the segment.
# (_AWSESH_REGION, the region bash, zsh and fish export in place of an
# unexported AWS_PROFILE, has no use here: elvish exports every variable.)
var held-for = $nil
var exp = ''
var stamp = ''
var key = ''
var aside = $false
var boot = $nil
var segment = ''
# AWSESH_REFRESH_MARGIN as last read, and its value in seconds ($nil: one
# awsesh cannot use, so `env --ensure` decides and says so).
var margin-text = $nil
var margin = 300
# Marks the hook in edit:before-readline, so a second load finds it.
var marker = 'awsesh-before-readline-hook'

# Seconds since boot from /proc/uptime, or $nil.
fn uptime {
  try {
    put (num (str:split ' ' (slurp < /proc/uptime) | take 1))
  } catch _ {
    put $nil
  }
}

# Seconds since the epoch (an integer), or $nil.
fn now {
  if (not-eq $boot $nil) {
    var up = (uptime)
    if (not-eq $up $nil) {
      put (exact-num (math:floor (+ $boot $up)))
      return
    }
  }
  try {
    put (num (e:date +%s))
  } catch _ {
    put $nil
  }
}

# The current profile: $AWS_PROFILE, else `default`.
fn current-profile {
  if (and (has-env AWS_PROFILE) (not-eq (get-env AWS_PROFILE) '')) {
    get-env AWS_PROFILE
  } else {
    put default
  }
}

# Unsets the keys this shell holds, when they are awsesh's ($AWSESH_PROFILE
# set): keys exported by hand stay.
fn unexport {
  if (has-env AWSESH_PROFILE) {
    for name $exported {
      unset-env $name
    }
  }
  set key = ''
}

# $E:NAME, or '' when unset.
fn env-of {|name|
  if (has-env $name) {
    get-env $name
  } else {
    put ''
  }
}

# Whether the exported keys are the ones awsesh exported last, whole.
fn holds {
  and (has-env AWSESH_PROFILE) (not-eq $key '') (eq (env-of AWS_ACCESS_KEY_ID) $key) ^
    (not-eq (env-of AWS_SECRET_ACCESS_KEY) '') (not-eq (env-of AWS_SESSION_TOKEN) '')
}

# Compares what is exported with what awsesh exported, at each prompt:
# $true when the session must be loaded again — its keys were unset by hand
# (or some of them were), or keys set by hand were unset again. Keys
# replaced by hand with others are left alone, and the shell stops claiming
# them: AWSESH_PROFILE and the expiry go, the segment is empty. Builtins
# only.
fn keys-changed {
  var now-key = (env-of AWS_ACCESS_KEY_ID)
  if (not-eq $key '') {
    if (eq $now-key '') {
      put $true
      return
    } elif (not-eq $now-key $key) {
      unset-env AWSESH_PROFILE
      unset-env AWS_CREDENTIAL_EXPIRATION
      set key = ''
      set aside = $true
    } elif (or (eq (env-of AWS_SECRET_ACCESS_KEY) '') (eq (env-of AWS_SESSION_TOKEN) '') (not (has-env AWSESH_PROFILE))) {
      put $true
      return
    } else {
      set aside = $false
    }
  } elif (and $aside (eq $now-key '')) {
    set aside = $false
    put $true
    return
  }
  put $false
}

fn forget {
  unexport
  set exp = ''
  set stamp = ''
}

# The hook's private values, by name.
fn set-private {|name value|
  if (eq $name _AWSESH_EXP) {
    set exp = $value
  } elif (eq $name _AWSESH_STAMP) {
    set stamp = $value
  } elif (eq $name _AWSESH_KEY) {
    set key = $value
  } elif (eq $name _AWSESH_FOR) {
    set held-for = $value
  } elif (and (eq $name _AWSESH_NOW) (re:match '^[0-9]{1,18}$' $value)) {
    var up = (uptime)
    if (not-eq $up $nil) {
      set boot = (- (num $value) $up)
    }
  }
}

# Applies awsesh's lines: `["export", NAME, VALUE]` for the names awsesh
# exports, `["private", NAME, VALUE]`, `["unset", NAME]`. Anything else is
# ignored. What awsesh exported is this shell's again: it stands aside no
# more.
fn apply {|text|
  set aside = $false
  print $text | from-json | each {|op|
    if (not-eq (kind-of $op) list) {
      continue
    }
    var verb = $op[0]
    if (and (eq $verb export) (has-value $exported $op[1])) {
      set-env $op[1] $op[2]
    } elif (eq $verb private) {
      set-private $op[1] $op[2]
    } elif (eq $verb unset) {
      if (has-value $exported $op[1]) {
        unset-env $op[1]
      } else {
        set-private $op[1] ''
      }
    }
  }
}

# The exports of awsesh's lines, as a map.
fn exports-of {|text|
  var values = [&]
  print $text | from-json | each {|op|
    if (and (eq (kind-of $op) list) (eq $op[0] export) (has-value $exported $op[1])) {
      set values[$op[1]] = $op[2]
    }
  }
  put $values
}

# Loads the session of the profile, or drops what the shell holds; runs on
# a prompt when the stamp file or the profile changed. When awsesh fails
# (or is gone), the shell holds nothing rather than another profile's keys.
fn sync {|profile|
  var out = ''
  try {
    set out = ($awsesh-cmd hook-sync --shell elvish '--profile='$profile | slurp)
  } catch _ {
    set out = ''
  }
  set aside = $false
  if (eq $out '') {
    forget
  } else {
    try {
      apply $out
    } catch _ {
      forget
    }
  }
  # Even when awsesh failed: do not retry at every prompt.
  set held-for = $profile
}

# The segment: `aws:11h42m`, `aws:prod 42m`, `aws:<1m`, `aws:expired`, or
# empty when this shell holds no session of the profile. Expired keys are
# unset here: nothing can use them any more.
fn make-segment {|profile|
  set segment = ''
  if (or $aside (not-eq $held-for $profile) (not (re:match '^[0-9]{1,18}$' $exp))) {
    return
  }
  var t = (now)
  if (eq $t $nil) {
    return
  }
  var left = (- (num $exp) $t)
  var text = ''
  if (<= $left 0) {
    set text = expired
    unexport
  } elif (< $left 60) {
    set text = '<1m'
  } elif (< $left 3600) {
    set text = (exact-num (math:floor (/ $left 60)))'m'
  } else {
    var hours = (exact-num (math:floor (/ $left 3600)))
    var tens = (exact-num (math:floor (/ (% $left 3600) 600)))
    var minutes = (exact-num (math:floor (/ (% $left 600) 60)))
    set text = $hours'h'$tens$minutes'm'
  }
  var name = ''
  if (not-eq $profile default) {
    set name = (re:replace '[^A-Za-z0-9._@-]' '?' $profile)' '
  }
  set segment = 'aws:'$name$text
}

# The prompt hook. Reads the expiry on the first line of the session file
# with a builtin — only a regular file, so a FIFO or a device planted there
# cannot stall the prompt — and forks only when another shell changed the
# session or the profile changed.
fn hook {
  var profile = (current-profile)
  if (not-eq $profile $held-for) {
    sync $profile
  } elif (keys-changed) {
    sync $profile
  } elif (not $aside) {
    var seen = ''
    if (and (not-eq $stamp '') (path:is-regular $stamp)) {
      try {
        set seen = (str:trim-suffix (read-upto "\n" < $stamp) "\n")
      } catch _ {
        set seen = ''
      }
    }
    if (not-eq $seen $exp) {
      sync $profile
    }
  }
  make-segment $profile
}

# $margin from AWSESH_REFRESH_MARGIN, read again only when it changed:
# `600`, `10m`, `1h30m`, `90s`; unset or empty: 300.
fn read-margin {|text|
  set margin-text = $text
  set margin = $nil
  try {
    if (eq $text '') {
      set margin = 300
    } elif (re:match '^[0-9]{1,9}$' $text) {
      set margin = (exact-num (num $text))
    } elif (re:match '^([0-9]{1,6}h)?([0-9]{1,7}m)?([0-9]{1,9}s)?$' $text) {
      var found = (re:find '^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$' $text)
      var total = 0
      for part [[1 3600] [2 60] [3 1]] {
        var digits = $found[groups][$part[0]][text]
        if (not-eq $digits '') {
          set total = (+ $total (* (exact-num (num $digits)) $part[1]))
        }
      }
      set margin = $total
    }
  } catch _ {
    set margin = $nil
  }
}

# Whether this shell holds a session of the profile with more than the
# margin left: then the command runs with no fork.
fn fresh {|profile|
  var text = ''
  if (has-env AWSESH_REFRESH_MARGIN) {
    set text = (get-env AWSESH_REFRESH_MARGIN)
  }
  if (not-eq $text $margin-text) {
    read-margin $text
  }
  # (Keys unset or replaced by hand since the last prompt: not fresh.)
  if (or (eq $margin $nil) (not (holds)) (not-eq (get-env AWSESH_PROFILE) $profile) (not-eq $held-for $profile) (not (re:match '^[0-9]{1,18}$' $exp))) {
    put $false
    return
  }
  var t = (now)
  if (eq $t $nil) {
    put $false
    return
  }
  put (> (- (num $exp) $t) $margin)
}

# `awsesh env --ensure` for the profile: a map of its output, its exit
# status (a string) and the exception to raise again ($nil when it worked).
# An empty AWSESH_REFRESH_MARGIN is the default here: not handed on.
fn ensure {|profile|
  var out = ''
  var status = '0'
  var error = $nil
  var empty = (and (has-env AWSESH_REFRESH_MARGIN) (eq (get-env AWSESH_REFRESH_MARGIN) ''))
  if $empty {
    unset-env AWSESH_REFRESH_MARGIN
  }
  try {
    set out = ($awsesh-cmd env --ensure --pass-other-sign-in --shell elvish '--profile='$profile | slurp)
  } catch e {
    set error = $e
    try {
      set status = $e[reason][exit-status]
    } catch _ {
      set status = 'other'
    }
  } finally {
    if $empty {
      set-env AWSESH_REFRESH_MARGIN ''
    }
  }
  put [&out=$out &status=$status &error=$error]
}

# A profile awsesh does not sign in for (SSO, instance or web identity;
# `env --ensure` said 3): the command as typed, without a session awsesh
# exported for another profile, which would win over the profile's own.
fn as-typed {|@args|
  if (not (has-env AWSESH_PROFILE)) {
    $real $@args
    return
  }
  var saved = [&]
  for name $exported {
    if (has-env $name) {
      set saved[$name] = (get-env $name)
      unset-env $name
    }
  }
  try {
    $real $@args
  } finally {
    keys $saved | each {|name| set-env $name $saved[$name] }
  }
}

# Runs the wrapped command with a session of the profile it will use.
fn wrap {|@args|
  var profile = ''
  var explicit = $false
  var want = ''
  var sub = ''
  var last = ''
  var pass = $false
  var rest = []
  # The profile and the subcommand: the AWS CLI's global options may stand
  # anywhere, and those that take a value before the subcommand.
  for arg $args {
    if (not-eq $want '') {
      if (eq $want profile) {
        set profile = $arg
        set explicit = $true
      } else {
        set rest = [$@rest $arg]
      }
      set want = ''
      set last = $arg
      continue
    }
    if (eq $arg --profile) {
      set want = profile
      set last = $arg
      continue
    }
    if (str:has-prefix $arg --profile=) {
      set profile = (str:trim-prefix $arg --profile=)
      set explicit = $true
      set last = $arg
      continue
    }
    if (eq $arg --version) {
      set pass = $true
    } elif (has-value [--region --output --query --endpoint-url --color --ca-bundle --cli-read-timeout --cli-connect-timeout --cli-binary-format] $arg) {
      if (eq $sub '') {
        set want = value
      }
    } elif (str:has-prefix $arg -) {
      nop
    } elif (eq $sub '') {
      set sub = $arg
    }
    set rest = [$@rest $arg]
    set last = $arg
  }
  # What needs no session runs as typed: `configure` (how keys get there),
  # `help` and `… help`, `--version`, the CLI's own sign-in commands, and a
  # line the CLI will refuse anyway.
  if (or $pass (eq $want profile) (eq $last help) (has-value ['' configure help sso login logout] $sub)) {
    $real $@args
    return
  }
  if (not $explicit) {
    set profile = (current-profile)
  }
  # The profile this shell is on: the one its last prompt synced, and
  # $AWS_PROFILE as the command sees it (`tmp E:AWS_PROFILE = X` in a block
  # differs from the first).
  var here = (current-profile)
  var own = $here
  if (not-eq $held-for $nil) {
    set own = $held-for
  }
  if (and (eq $profile $here) (eq $profile $own)) {
    # (--profile, if any, goes: the AWS CLI ignores credentials in the
    # environment when it is given --profile.)
    if (not (fresh $profile)) {
      var result = (ensure $profile)
      if (eq $result[status] '3') {
        as-typed $@args
        return
      }
      if (not-eq $result[error] $nil) {
        fail $result[error]
      }
      apply $result[out]
    }
    $real $@rest
    return
  }
  # Another profile than this shell's: its session for this one command
  # only (`tmp` puts every value back when this function returns), so that
  # this shell keeps what it holds. AWS_PROFILE names the profile.
  var result = (ensure $profile)
  if (eq $result[status] '3') {
    as-typed $@args
    return
  }
  if (not-eq $result[error] $nil) {
    fail $result[error]
  }
  var values = (exports-of $result[out])
  tmp E:AWS_ACCESS_KEY_ID = $values[AWS_ACCESS_KEY_ID]
  tmp E:AWS_SECRET_ACCESS_KEY = $values[AWS_SECRET_ACCESS_KEY]
  tmp E:AWS_SESSION_TOKEN = $values[AWS_SESSION_TOKEN]
  tmp E:AWS_CREDENTIAL_EXPIRATION = $values[AWS_CREDENTIAL_EXPIRATION]
  tmp E:AWSESH_PROFILE = $values[AWSESH_PROFILE]
  tmp E:AWS_PROFILE = $profile
  $real $@rest
}

# Whether this script's hook is in edit:before-readline.
fn registered {
  for hook $edit:before-readline {
    if (and (eq (kind-of $hook) fn) (has-key $hook body) (str:contains $hook[body] $marker)) {
      put $true
      return
    }
  }
  put $false
}

# `awsesh login|logout` also update this shell; `awsesh doctor` is told
# what only the shell knows; the rest passes through.
fn awsesh-fn {|@args|
  var first = ''
  if (> (count $args) 0) {
    set first = $args[0]
  }
  if (has-value [login logout] $first) {
    var profile = ''
    var want = $false
    for arg $args {
      if $want {
        set profile = $arg
        set want = $false
        continue
      }
      if (or (has-value [-h --help -V --version --shell] $arg) (str:has-prefix $arg --shell=)) {
        $awsesh-cmd $@args
        return
      }
      if (has-value [--profile -p] $arg) {
        set want = $true
      } elif (str:has-prefix $arg --profile=) {
        set profile = (str:trim-prefix $arg --profile=)
      } elif (str:has-prefix $arg -p=) {
        set profile = (str:trim-prefix $arg -p=)
      } elif (and (str:has-prefix $arg -p) (> (count $arg) 2)) {
        set profile = $arg[2..]
      }
    }
    var here = (current-profile)
    if (eq $profile '') {
      set profile = $here
    }
    var own = $here
    if (not-eq $held-for $nil) {
      set own = $held-for
    }
    if (and (eq $first login) (or (not-eq $profile $here) (not-eq $profile $own))) {
      # Another profile than this shell's: logged in, not loaded.
      $awsesh-cmd $@args
      return
    }
    apply ($awsesh-cmd $@args --shell elvish | slurp)
    make-segment $here
  } elif (eq $first doctor) {
    var hooked = no
    if (registered) {
      set hooked = yes
    }
    tmp E:AWSESH_HOOK = elvish
    tmp E:AWSESH_HOOK_REGISTERED = $hooked
    tmp E:AWSESH_HOOK_CMD = '@CMD@'
    $awsesh-cmd $@args
  } else {
    # AWSESH_HOOK tells `awsesh doctor` that this shell has the hook.
    tmp E:AWSESH_HOOK = elvish
    $awsesh-cmd $@args
  }
}

# Loaded before in this shell: the first load's hook, prompt and functions
# stay, and nothing is added.
if (not (registered)) {
  set edit:before-readline = [$@edit:before-readline { nop awsesh-before-readline-hook; hook }]
  if $show-prompt {
    var original = $edit:prompt
    set edit:prompt = {
      if (and (not-eq $segment '') (not (has-env STARSHIP_SHELL))) {
        put $segment' '
      }
      $original
    }
  }
  edit:add-var '@CMD@~' $wrap~
  edit:add-var awsesh~ $awsesh-fn~
  edit:add-var awsesh-prompt-segment~ { put $segment }
}
