# awsesh shell integration for tcsh. Load it from ~/.tcshrc with:
#     eval "`awsesh init tcsh`"
#
# tcsh joins the lines of that output into one before `eval` reads it, so
# every command below is one line ending in `;`, and `awsesh init` drops
# these comment lines. tcsh has no functions: the wrapper and the hook are
# aliases, and what the bash wrapper does in shell code, `awsesh wrap` does
# (it replaces itself with the real command). An alias defined in that one
# line is called through `eval`, which reads it after the definition ran.
#
# - `@CMD@ …` runs `awsesh wrap`: the session of the profile the command
#   will use (the MFA prompt on the terminal when there is none that is
#   fresh), then the real command. `@CMD@ --profile X …` and
#   `env AWS_PROFILE=X @CMD@ …` (`env` is an alias that sends only that
#   form to `awsesh wrap`) give X's session to that one command.
# - The `precmd` alias runs the hook before every prompt (after the precmd
#   you had, kept): `awsesh hook-sync` prints this shell's exports for
#   $AWS_PROFILE — picking up another shell's refresh or logout, unsetting
#   expired keys, following `setenv AWS_PROFILE` — and
#   $AWSESH_PROMPT_SEGMENT, put in front of the prompt unless disabled.
#   tcsh has no clock builtin and cannot read a file without a process, so
#   this is one process (awsesh, no network) per prompt.
#
# tcsh offers no way around an alias of one of its builtins (a quoted
# builtin name is looked up as a program). Non-interactive shells are left
# alone: those without $prompt (tcsh sets it only in interactive shells), and
# those whose input is not a terminal, for an rc file that sets prompt in
# every shell. Loading this twice registers nothing twice.
if ($?prompt && -t 0) set _awsesh_bin = @AWSESH@;
if ($?prompt && -t 0) set _awsesh_prompt = @PROMPT@;
if ($?prompt && -t 0) set AWSESH_PROMPT_SEGMENT = '';
if ($?prompt && -t 0 && ! $?_awsesh_ps) set _awsesh_ps = "$prompt:q";
if ($?prompt && -t 0) alias _awsesh_run '$_awsesh_bin:q \!*';
if ($?prompt && -t 0) alias @CMD@ '_awsesh_run wrap --cmd @CMD@ -- \!*';
if ($?prompt && -t 0) alias env '_awsesh_run wrap --via-env --cmd @CMD@ -- \!*';
if ($?prompt && -t 0) alias awsesh '\env AWSESH_HOOK=tcsh AWSESH_HOOK_CMD=@CMD@ $_awsesh_bin:q \!*';
if ($?prompt && -t 0) alias _awsesh_hook 'eval "`_awsesh_run hook-sync --shell tcsh`"; if ($_awsesh_prompt) set prompt = "$AWSESH_PROMPT_SEGMENT$_awsesh_ps:q"';
if ($?prompt && -t 0) alias _awsesh_chain 'set _awsesh_prev = "`alias precmd`"; if ("$_awsesh_prev" !~ *_awsesh_hook*) alias precmd "_awsesh_hook; $_awsesh_prev:q"; unset _awsesh_prev';
if ($?prompt && -t 0) eval _awsesh_chain;
