# awsesh shell integration for xonsh. Load it from ~/.xonshrc with:
#     execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')
#
# - `@CMD@` (an alias) asks awsesh for a session when this shell has none
#   that is fresh, prompting for the MFA code on the terminal, loads it into
#   this shell's environment, then runs the real command — with no process
#   of awsesh's when the session is fresh. `$AWS_PROFILE='x' @CMD@ …`,
#   `with ${...}.swap(AWS_PROFILE='x'): @CMD@ …` and `@CMD@ --profile x …`
#   give x's session to that one command (`awsesh wrap` runs it); the shell
#   keeps what it holds.
# - `awsesh login|logout` update this shell's environment.
# - An on_pre_prompt_format handler picks up sessions started (or ended) in
#   other shells, drops expired keys and keeps $AWSESH_PROMPT_SEGMENT and
#   the prompt field `{awsesh}` up to date; unless disabled, `{awsesh}` goes
#   in front of $PROMPT.
#
# Everything awsesh tells this script is data: JSON lines parsed with the
# json module, never code. The hook reads the session's stamp file and the
# clock with Python (no process) and runs `awsesh hook-sync` only when the
# stamp or the profile changed. All of it lives in one function's closure,
# with its own imports, so names in the user's context cannot change it;
# processes are started with the subprocess module, past any alias.
# Non-interactive shells are left alone. Loading this twice replaces the
# hook and the aliases and wraps the prompt once.


def _awsesh_load():
    import json
    import os
    import re
    import shutil
    import signal
    import stat
    import subprocess
    import sys
    import time
    import types

    from xonsh.built_ins import XSH

    env = XSH.env
    if not env.get('XONSH_INTERACTIVE'):
        return

    awsesh_bin = @AWSESH@
    awsesh_cmd = '@CMD@'
    awsesh_prompt = @PROMPT@
    exported = (
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_CREDENTIAL_EXPIRATION',
        'AWSESH_PROFILE',
    )
    name_ok = re.compile(r'[A-Z_][A-Z0-9_]*\Z')
    stamp_ok = re.compile(r'[0-9]{1,18}\Z')
    unsafe = re.compile(r'[^A-Za-z0-9._@-]')
    # A deadline for the hook's process: a prompt never hangs on awsesh.
    hook_timeout = 10

    # The hook's state lives in a module of its own, so that loading the
    # script again finds (and replaces) what the first load registered.
    state = sys.modules.get('_awsesh_xonsh')
    if state is None:
        state = types.ModuleType('_awsesh_xonsh')
        state.vars = {}
        state.segment = ''
        state.hook = None
        state.aside = False
        sys.modules['_awsesh_xonsh'] = state

    def profile_here():
        return env.get('AWS_PROFILE') or 'default'

    def child_env(extra=None):
        out = dict(env.detype())
        if extra:
            out.update(extra)
        return out

    def apply(text, target_env, target_vars):
        """Applies awsesh's JSON lines: exports, the hook's private values
        and unsets, each checked for its shape; anything else is skipped."""
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if not isinstance(item, list) or not item:
                continue
            if item[0] in ('export', 'set') and len(item) == 3:
                _, name, value = item
                if not isinstance(name, str) or not isinstance(value, str):
                    continue
                if not name_ok.match(name):
                    continue
                if item[0] == 'export':
                    target_env[name] = value
                else:
                    target_vars[name] = value
            elif item[0] == 'unset' and len(item) == 2 and isinstance(item[1], list):
                for name in item[1]:
                    if isinstance(name, str):
                        target_env.pop(name, None)
                        target_vars.pop(name, None)

    def load(text):
        # awsesh's session for this shell: what it exports is now claimed.
        apply(text, env, state.vars)
        state.aside = False

    def unexport():
        # Keys exported by hand (no AWSESH_PROFILE) stay.
        if 'AWSESH_PROFILE' in env:
            for name in exported:
                env.pop(name, None)
        state.vars.pop('_AWSESH_KEY', None)

    def keys_changed():
        """Compares what is exported with what awsesh exported. True when
        the session must be loaded again: its keys were unset by hand (or
        some of them were), or keys set by hand were unset again. Keys
        replaced by hand with others are left alone, and the shell stops
        claiming them: $AWSESH_PROFILE and the expiry go, the segment is
        empty."""
        key = state.vars.get('_AWSESH_KEY')
        have = env.get('AWS_ACCESS_KEY_ID')
        if key:
            if not have:
                return True
            if have != key:
                env.pop('AWSESH_PROFILE', None)
                env.pop('AWS_CREDENTIAL_EXPIRATION', None)
                state.vars.pop('_AWSESH_KEY', None)
                state.aside = True
                return False
            if not (env.get('AWS_SECRET_ACCESS_KEY') and env.get('AWS_SESSION_TOKEN')
                    and env.get('AWSESH_PROFILE')):
                return True
            state.aside = False
        elif state.aside and not have:
            state.aside = False
            return True
        return False

    def run_awsesh(args, extra_env=None, timeout=None):
        """awsesh's status and output; the MFA prompt goes to the terminal.
        Ctrl-C reaches awsesh alone (it exits 130), not this shell."""
        try:
            previous = signal.signal(signal.SIGINT, lambda *_: None)
        except ValueError:
            previous = None
        try:
            done = subprocess.run(
                [awsesh_bin] + args,
                stdout=subprocess.PIPE,
                env=child_env(extra_env),
                timeout=timeout,
            )
            return done.returncode, done.stdout.decode('utf-8', 'replace')
        except subprocess.TimeoutExpired:
            return 124, ''
        except KeyboardInterrupt:
            return 130, ''
        except OSError as e:
            print(f'awsesh: cannot run {awsesh_bin}: {e.strerror}; check the path in the init line', file=sys.stderr)
            return 127, ''
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def sync(profile):
        """Loads the session of `profile`, or drops what the shell holds;
        when awsesh fails (or is gone) the shell holds nothing rather than
        another profile's keys."""
        status, out = run_awsesh(
            ['hook-sync', '--shell', 'xonsh', '--profile=' + profile],
            timeout=hook_timeout,
        )
        if status == 0 and out:
            apply(out, env, state.vars)
        else:
            unexport()
            for name in ('_AWSESH_EXP', '_AWSESH_STAMP', '_AWSESH_REGION'):
                state.vars.pop(name, None)
        state.aside = False
        # Even when awsesh failed: do not retry at every prompt.
        state.vars['_AWSESH_FOR'] = profile

    def read_stamp(path):
        """The first line of the session file, at most 20 bytes; only from a
        regular file, so a FIFO or a device planted there cannot stall the
        prompt."""
        if not path:
            return ''
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            return ''
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return ''
            data = os.read(fd, 20)
        except OSError:
            return ''
        finally:
            os.close(fd)
        return data.split(b'\n', 1)[0].decode('ascii', 'replace')

    def left_text(left):
        if left < 60:
            return '<1m'
        if left < 3600:
            return f'{left // 60}m'
        return f'{left // 3600}h{left % 3600 // 60:02d}m'

    def segment(profile):
        """`aws:11h42m`, `aws:prod 42m`, `aws:expired`, or empty when this
        shell holds no session of `profile`. Expired keys are unset here:
        nothing can use them any more."""
        exp = state.vars.get('_AWSESH_EXP', '')
        if not stamp_ok.match(exp) or state.vars.get('_AWSESH_FOR') != profile or state.aside:
            return ''
        left = int(exp) - int(time.time())
        if left <= 0:
            unexport()
            text = 'expired'
        else:
            text = left_text(left)
        name = '' if profile == 'default' else unsafe.sub('?', profile) + ' '
        return f'aws:{name}{text}'

    def hook(**_):
        profile = profile_here()
        stamp = read_stamp(state.vars.get('_AWSESH_STAMP'))
        if profile != state.vars.get('_AWSESH_FOR') or keys_changed():
            sync(profile)
        elif not state.aside and stamp != state.vars.get('_AWSESH_EXP', ''):
            sync(profile)
        state.segment = segment(profile)
        # Set only when it changed: each assignment to $ENV runs xonsh's
        # change events and validators, most of this hook's cost otherwise.
        if env.get('AWSESH_PROMPT_SEGMENT') != state.segment:
            env['AWSESH_PROMPT_SEGMENT'] = state.segment

    def prompt_field():
        # Read at each prompt from the state module: a second load's hook
        # feeds the same field.
        text = sys.modules['_awsesh_xonsh'].segment
        return text + ' ' if text else ''

    def margin():
        """AWSESH_REFRESH_MARGIN in seconds (`600`, `10m`, `1h30m`, `90s`;
        unset or empty: 300), or None when awsesh must decide."""
        text = str(env.get('AWSESH_REFRESH_MARGIN') or '')
        if not text:
            return 300
        if re.fullmatch(r'[0-9]{1,9}', text):
            return int(text)
        m = re.fullmatch(r'(?:([0-9]{1,6})h)?(?:([0-9]{1,7})m)?(?:([0-9]{1,9})s)?', text)
        if not m:
            return None
        h, mi, s = (int(g or 0) for g in m.groups())
        return h * 3600 + mi * 60 + s

    def fresh(profile):
        """Whether this shell holds a session of `profile` with more than
        the margin left: then the command runs with no process of ours."""
        limit = margin()
        exp = state.vars.get('_AWSESH_EXP', '')
        return (
            limit is not None
            and env.get('AWSESH_PROFILE') == profile
            and state.vars.get('_AWSESH_FOR') == profile
            and bool(env.get('AWS_ACCESS_KEY_ID'))
            and env.get('AWS_ACCESS_KEY_ID') == state.vars.get('_AWSESH_KEY')
            and bool(stamp_ok.match(exp))
            and int(exp) - int(time.time()) > limit
        )

    def ensure(profile):
        extra = {}
        if env.get('AWSESH_REFRESH_MARGIN'):
            extra['AWSESH_REFRESH_MARGIN'] = str(env.get('AWSESH_REFRESH_MARGIN'))
        return run_awsesh(
            ['env', '--ensure', '--pass-other-sign-in', '--shell', 'xonsh', '--profile=' + profile],
            extra,
        )

    def inline_env():
        """The `$NAME=value` words of the command line being resolved, which
        xonsh applies only when the command runs: read from the SubprocSpec
        whose alias this is. None when it cannot be found."""
        frame = sys._getframe(1)
        for _ in range(12):
            if frame is None:
                return None
            spec = frame.f_locals.get('self')
            if frame.f_code.co_name == 'resolve_alias' and type(spec).__name__ == 'SubprocSpec':
                return dict(getattr(spec, 'env', None) or {})
            frame = frame.f_back
        return None

    value_options = (
        '--region', '--output', '--query', '--endpoint-url', '--color',
        '--ca-bundle', '--cli-read-timeout', '--cli-connect-timeout',
        '--cli-binary-format',
    )

    def plan(args):
        """(run as typed?, explicit profile or None, args without --profile)
        — the AWS CLI's global options may stand anywhere, and those that
        take a value before the subcommand."""
        profile = None
        want = None
        sub = None
        last = None
        passing = False
        rest = []
        for arg in args:
            if want is not None:
                if want == 'profile':
                    profile = arg
                else:
                    rest.append(arg)
                want = None
                last = arg
                continue
            if arg == '--profile':
                want = 'profile'
            elif arg.startswith('--profile='):
                profile = arg[len('--profile='):]
            else:
                if arg == '--version':
                    passing = True
                elif arg in value_options:
                    if sub is None:
                        want = 'value'
                elif not arg.startswith('-') and sub is None:
                    sub = arg
                rest.append(arg)
            last = arg
        # What needs no session runs as typed: `configure`, `help` and
        # `… help`, `--version`, the CLI's own sign-in commands, and a line
        # the CLI will refuse anyway.
        if sub in (None, 'configure', 'help', 'sso', 'login', 'logout'):
            passing = True
        if want == 'profile' or last == 'help':
            passing = True
        return passing, profile, rest

    def exit_with(status):
        # A command that runs nothing and ends with `status`.
        return ['_awsesh_exit', str(status)]

    def as_typed(args):
        # A profile awsesh does not sign in for (SSO, instance or web
        # identity): as typed, without a session exported for another.
        if 'AWSESH_PROFILE' in env:
            unset = []
            for name in exported:
                unset += ['-u', name]
            return ['env'] + unset + ['--', awsesh_cmd] + args
        return [awsesh_cmd] + args

    def wrapper(args, decorators=None, env=None, **_):
        args = [str(a) for a in args]
        passing, explicit, rest = plan(args)
        if passing:
            return [awsesh_cmd] + args
        here = profile_here()
        profile = explicit or here
        own = state.vars.get('_AWSESH_FOR', here)
        inline = inline_env()
        if inline is None or 'AWS_PROFILE' in inline or not (profile == here == own):
            # Another profile than this shell's, for this one command:
            # `awsesh wrap` reads the profile as the command will see it,
            # gets its session and replaces itself with the command.
            return [awsesh_bin, 'wrap', '--cmd', awsesh_cmd, '--'] + args
        if not fresh(profile):
            status, out = ensure(profile)
            if status == 3:
                return as_typed(args)
            if status != 0:
                return exit_with(status)
            load(out)
        # (--profile goes: the AWS CLI ignores credentials in the
        # environment when it is given one.)
        return [awsesh_cmd] + rest

    wrapper.return_what = 'command'

    def exit_alias(args, **_):
        try:
            return int(args[0])
        except (IndexError, ValueError):
            return 1

    def hook_registered():
        return 'yes' if state.hook in XSH.builtins.events.on_pre_prompt_format else 'no'

    def cmd_is():
        # What the wrapped command's name runs: wrapper, alias, file, none.
        if awsesh_cmd in XSH.aliases:
            func = getattr(XSH.aliases[awsesh_cmd], 'func', None)
            return 'wrapper' if getattr(func, '_awsesh', False) else 'alias'
        found = shutil.which(awsesh_cmd, path=child_env().get('PATH'))
        return 'file' if found else 'none'

    def awsesh_alias(args, decorators=None, env=None, **_):
        """`awsesh login|logout` also update this shell; `awsesh doctor` is
        told what only the shell knows; the rest passes through."""
        args = [str(a) for a in args]
        first = args[0] if args else ''
        hook_env = {'AWSESH_HOOK': 'xonsh'}
        if first == 'doctor':
            hook_env.update(
                AWSESH_HOOK_REGISTERED=hook_registered(),
                AWSESH_HOOK_CMD=awsesh_cmd,
                AWSESH_HOOK_CMD_IS=cmd_is(),
            )
        if first not in ('login', 'logout'):
            return {'cmd': [awsesh_bin] + args, 'env': hook_env}
        profile = None
        want = False
        for arg in args:
            if want:
                profile = arg
                want = False
                continue
            if arg in ('-h', '--help', '-V', '--version', '--shell') or arg.startswith('--shell='):
                return [awsesh_bin] + args
            if arg in ('--profile', '-p'):
                want = True
            elif arg.startswith('--profile='):
                profile = arg[len('--profile='):]
            elif arg.startswith('-p='):
                profile = arg[3:]
            elif arg.startswith('-p') and len(arg) > 2:
                profile = arg[2:]
        here = profile_here()
        own = state.vars.get('_AWSESH_FOR', here)
        profile = profile or here
        if first == 'login' and not (profile == here == own):
            # Another profile than this shell's: logged in, not loaded.
            return [awsesh_bin] + args
        status, out = run_awsesh(args + ['--shell', 'xonsh'])
        if status != 0:
            return exit_with(status)
        load(out)
        return exit_with(0)

    awsesh_alias.return_what = 'command'
    wrapper._awsesh = True

    events = XSH.builtins.events
    if state.hook is not None:
        events.on_pre_prompt_format.discard(state.hook)
    state.hook = hook
    events.on_pre_prompt_format(hook)
    XSH.aliases['_awsesh_exit'] = exit_alias
    XSH.aliases[awsesh_cmd] = wrapper
    XSH.aliases['awsesh'] = awsesh_alias

    fields = env.get('PROMPT_FIELDS')
    if fields is not None:
        fields['awsesh'] = prompt_field
    env.setdefault('AWSESH_PROMPT_SEGMENT', '')
    if awsesh_prompt == 1:
        current = env.get('PROMPT')
        if callable(current):
            if not getattr(current, '_awsesh', False):
                def with_segment(original=current):
                    return '{awsesh}' + str(original())
                with_segment._awsesh = True
                env['PROMPT'] = with_segment
        elif not str(current).startswith('{awsesh}'):
            env['PROMPT'] = '{awsesh}' + str(current)


_awsesh_load()
del _awsesh_load
