//! xonsh, started interactively on a pseudo-terminal from a `~/.xonshrc`
//! that loads awsesh with the line users put there, with the real `aws` CLI
//! (awscli) talking to a moto server.
//!
//! The readline backend draws the prompt as plain text (prompt_toolkit's
//! redraws would hide it among cursor moves); the hook, the wrapper and the
//! prompt field are the same with either. A command's status is printed by
//! a line of its own after the command's prompt (`@@<n>-<status>@@`): xonsh
//! stops a `;` line at a failing command. The typed line echoes the
//! marker's source text, never its digits.

mod support;
#[path = "support/term.rs"]
#[allow(unused_macros, unused_imports)]
mod term;

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::{BIN, Moto, Sandbox};
use term::{PROMPT_END, Sh, Term};

const AWS: &str = "aws sts get-caller-identity --output json";

/// moto, xonsh and the AWS CLI, or `None` after saying (loudly) which one
/// is missing.
fn setup() -> Option<&'static Moto> {
    support::moto_with(&["xonsh", "aws"])
}

/// The init line as users write it, with the binary under test.
fn init_line(extra: &str) -> String {
    format!("execx($('{BIN}' init xonsh{extra}), 'exec', __xonsh__.ctx, filename='awsesh')")
}

/// Writes `~/.xonshrc`: the readline backend, a plain prompt ending in
/// `[P]> `, `before`, the init line `times` times.
fn write_rc(sb: &Sandbox, before: &str, times: usize, extra: &str) -> PathBuf {
    let text = format!(
        "$SHELL_TYPE = 'readline'\n$XONSH_SHOW_TRACEBACK = True\n$PROMPT = '[P]> '\n$TITLE = ''\n{before}\n{}",
        format!("{}\n", init_line(extra)).repeat(times)
    );
    let path = sb.home.join(".xonshrc");
    fs::write(&path, text).unwrap();
    path
}

struct Xonsh {
    t: Term,
    marks: usize,
}

impl Xonsh {
    fn start(sb: &Sandbox, env: &[(&str, &str)]) -> Xonsh {
        let mut cmd = Command::new("xonsh");
        cmd.arg("-i");
        cmd.env_clear().envs(sb.env()).current_dir(&sb.home);
        cmd.env("PAGER", "cat").env("AWS_PAGER", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let t = Term::spawn(Sh::Bash, cmd);
        Xonsh { t, marks: 0 }
    }

    fn fail(&mut self, what: &str) -> ! {
        self.t.fail(&format!("(xonsh) {what}"))
    }

    /// The status of the last command, from a marker line of its own.
    fn status(&mut self) -> i32 {
        self.marks += 1;
        let n = self.marks;
        self.t.send_line(&format!(
            "print('@@' + '{n}' + '-' + str($LAST_RETURN_CODE) + '@@')"
        ));
        self.t.expect(&format!("@@{n}-"));
        let rest = self.t.expect("@@");
        let status = match rest.trim_end_matches("@@").parse() {
            Ok(status) => status,
            Err(_) => self.fail(&format!("a status after the marker, not {rest:?}")),
        };
        self.t.expect(PROMPT_END);
        status
    }

    /// What follows the command up to its prompt: (output, prompt line).
    fn until_prompt(&mut self) -> (String, String) {
        let out = self.t.expect(PROMPT_END);
        let cut = out.rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0);
        (out[..cut].to_string(), out[cut..].to_string())
    }

    /// Runs `cmd`: (status, output, the next prompt line).
    fn run(&mut self, cmd: &str) -> (i32, String, String) {
        // A one-line `with …: ![cmd]` runs at Enter in the prompt_toolkit
        // shell: no empty line ends it.
        self.t.send_line(cmd);
        let (out, prompt) = self.until_prompt();
        (self.status(), out, prompt)
    }

    /// The next prompt line after an empty command line.
    fn prompt(&mut self) -> String {
        self.t.send_line("");
        self.until_prompt().1
    }

    /// `$NAME` of this shell's environment, empty when unset.
    fn var(&mut self, name: &str) -> String {
        let (_, out, _) = self.run(&format!(
            "print('\\x3c' + str(${{...}}.get('{name}', '')) + '\\x3e')"
        ));
        let Some(open) = out.rfind('<').map(|i| i + 1) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        let Some(close) = out[open..].find('>').map(|i| i + open) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        out[open..close].to_string()
    }

    /// Runs `cmd` and answers the MFA prompt with `code`.
    fn aws_with_code(&mut self, cmd: &str, code: &str) -> (i32, String, String) {
        self.t.send_line(cmd);
        self.t.expect("MFA code");
        self.t.send_line(code);
        let (out, prompt) = self.until_prompt();
        (self.status(), out, prompt)
    }
}

fn login(sb: &Sandbox, code: &str) {
    let (status, _, err) = sb.run(&["login", "--token-code", code]);
    assert_eq!(status, 0, "login: {err}");
}

#[test]
fn first_aws_prompts_then_second_shell_shares() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut a = Xonsh::start(&sb, &[]);
    assert_eq!(a.prompt(), PROMPT_END, "a segment without a session");
    let (status, out, prompt) = a.aws_with_code(AWS, "300001");
    assert_eq!(status, 0, "aws failed:\n{out}");
    assert!(out.contains("\"Arn\""), "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 1);
    assert_eq!(
        moto.long_term_identity_calls(&sb),
        0,
        "aws used the long-term keys"
    );
    // The session is in this shell's environment.
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty() && key != sb.access_key_id, "{key:?}");
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"), "prompted again:\n{out}");

    // A second shell: the session is there from its first prompt on.
    let mut b = Xonsh::start(&sb, &[]);
    term::assert_about_12h(&b.prompt());
    assert_eq!(
        b.var("AWS_CREDENTIAL_EXPIRATION"),
        a.var("AWS_CREDENTIAL_EXPIRATION")
    );
    let (status, out, prompt) = b.run(AWS);
    assert_eq!(status, 0, "second shell:\n{out}");
    assert!(!out.contains("MFA code"), "second shell prompted");
    assert!(out.contains("\"Arn\""), "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 1, "a new session");
}

/// `awsesh logout` in one shell: the other's prompt drops the segment and
/// the keys at once, and its next `aws` asks for a code again. An expired
/// session shows as `expired`, its keys unset, and is replaced by the next
/// `aws`.
#[test]
fn logout_elsewhere_and_expiry_show_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300002");
    write_rc(&sb, "", 1, "");
    let mut a = Xonsh::start(&sb, &[]);
    let mut b = Xonsh::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    assert!(!a.var("AWS_SESSION_TOKEN").is_empty());
    let (status, out, _) = b.run("awsesh logout");
    assert_eq!(status, 0, "logout: {out}");
    assert_eq!(b.var("AWSESH_PROFILE"), "");
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "");
    assert_eq!(a.prompt(), PROMPT_END, "segment kept after logout");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "keys kept after logout");
    let (status, out, prompt) = a.aws_with_code(AWS, "300003");
    assert_eq!(status, 0, "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 2);

    // Expired in the store: hook-sync drops the keys.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    sb.set_session_expiry("p-default", now - 60);
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:expired [P]> "), "prompt {prompt:?}");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "expired keys kept");
    // Running out while held, the stamp unchanged: the hook's own clock.
    sb.set_session_expiry("p-default", now + 4);
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:<1m [P]> "), "prompt {prompt:?}");
    assert!(!a.var("AWS_SESSION_TOKEN").is_empty());
    std::thread::sleep(Duration::from_secs(5));
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:expired [P]> "), "prompt {prompt:?}");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "keys kept past expiry");
    let (status, out, prompt) = a.aws_with_code(AWS, "300004");
    assert_eq!(status, 0, "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 3);
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// The hook checks what is exported, not only its own record: keys unset by
/// hand are exported again at the next prompt; keys replaced by hand stay,
/// the segment goes and `aws` uses them as they are; once those are unset
/// the session comes back.
#[test]
fn keys_unset_or_replaced_by_hand_are_noticed_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300011");
    write_rc(&sb, "", 1, "");
    let mut a = Xonsh::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty());

    a.run("del $AWS_ACCESS_KEY_ID; del $AWS_SECRET_ACCESS_KEY");
    term::assert_about_12h(&a.prompt());
    assert_eq!(
        a.var("AWS_ACCESS_KEY_ID"),
        key,
        "unset keys not exported again"
    );
    assert!(!a.var("AWS_SECRET_ACCESS_KEY").is_empty());
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, 0, "aws after the keys came back:\n{out}");

    a.run("$AWS_ACCESS_KEY_ID = 'AKIAHANDSET000000000'");
    assert_eq!(a.prompt(), PROMPT_END, "segment kept over keys set by hand");
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");
    assert_eq!(a.var("AWSESH_PROFILE"), "", "hand-set keys still claimed");
    // Another shell's login does not overwrite them either.
    let (status, _, err) = sb.run(&["login", "--force", "--token-code", "300012"]);
    assert_eq!(status, 0, "login --force: {err}");
    a.prompt();
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");

    a.run("del $AWS_ACCESS_KEY_ID");
    term::assert_about_12h(&a.prompt());
    let again = a.var("AWS_ACCESS_KEY_ID");
    assert!(
        !again.is_empty() && again != "AKIAHANDSET000000000",
        "{again:?}"
    );
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    assert_eq!(moto.session_token_calls(&sb), 2);
}

/// `$AWS_PROFILE='other' aws …`, `with ${...}.swap(AWS_PROFILE='other'):`
/// and `aws --profile other …` give that command `other`'s session; the
/// shell keeps `default`'s. Switching `$AWS_PROFILE` for good is followed
/// at the next prompt.
#[test]
fn inline_profile_is_one_shot() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    let default = sb.login_for("default", "12h", "300005");
    let other = sb.login_for("other", "2h", "300006");
    // A probe stands in for `aws` to show what the command is given.
    write_rc(&sb, "", 1, " --cmd awsprobe");
    let path = sb.aws_probe_path();
    let mut t = Xonsh::start(&sb, &[("PATH", &path)]);
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default);
    let want = format!("seen: profile=other awsesh=other exp={other} args=s3 ls");
    for cmd in [
        "$AWS_PROFILE='other' awsprobe s3 ls",
        "with ${...}.swap(AWS_PROFILE='other'): ![awsprobe s3 ls]",
        "awsprobe --profile other s3 ls",
        "awsprobe s3 --profile=other ls",
    ] {
        let (status, out, _) = t.run(cmd);
        assert_eq!(status, 0, "{cmd}:\n{out}");
        assert!(out.contains(&want), "{cmd}: want {want:?} in:\n{out}");
        assert_eq!(t.var("AWSESH_PROFILE"), "default", "{cmd}");
        assert_eq!(t.var("AWS_PROFILE"), "", "{cmd}");
        assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default, "{cmd}");
    }
    // The shell's own profile: the alias returns the command itself, with
    // no `awsesh wrap` in between (which would set AWS_PROFILE).
    let (_, out, _) = t.run("awsprobe s3 ls");
    assert!(
        out.contains(&format!(
            "seen: profile=unset awsesh=default exp={default} args=s3 ls"
        )),
        "{out}"
    );
    // The real CLI, inline: no prompt, no new session.
    let (status, out, _) = t.run(&format!("$AWS_PROFILE='other' {AWS}"));
    assert_eq!(status, 0, "{out}");
    // For good: followed at the next prompt.
    let (_, _, prompt) = t.run("$AWS_PROFILE = 'other'");
    assert!(prompt.starts_with("aws:other 1h5"), "{prompt:?}");
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), other);
    assert_eq!(moto.session_token_calls(&sb), 2, "a new session");
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// Ctrl-C at the code prompt: nothing runs, status 130, the shell holds
/// nothing, and `aws` works afterwards.
#[test]
fn ctrl_c_at_the_code_prompt_runs_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut t = Xonsh::start(&sb, &[]);
    t.t.send_line(AWS);
    t.t.expect("MFA code");
    t.t.send(b"12");
    std::thread::sleep(Duration::from_millis(200));
    t.t.send(&[3]);
    t.until_prompt();
    assert_eq!(t.status(), 130);
    assert_eq!(moto.long_term_identity_calls(&sb), 0, "aws ran");
    assert_eq!(moto.session_token_calls(&sb), 0);
    assert_eq!(t.var("AWS_SESSION_TOKEN"), "");
    let (status, out, _) = t.aws_with_code(AWS, "300007");
    assert_eq!(status, 0, "{out}");
}

/// A profile name made of shell and Python syntax reaches no code: inline,
/// `--profile`, `awsesh login`, a switch for good, and the prompt. No file
/// appears, the shell lives, and the name comes back byte for byte.
#[test]
fn hostile_profile_name_executes_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    let canary = sb.path("pwned");
    let c = canary.display();
    let name = format!(
        "h'\"$(touch {c})`touch {c}`;touch {c}!x\\{{__import__('os').system('touch {c}')}}@$HOME\n@(print(1))"
    );
    write_rc(&sb, "", 1, "");
    let mut t = Xonsh::start(&sb, &[("HOSTILE", &name)]);
    for cmd in [
        format!("$AWS_PROFILE=$HOSTILE {AWS}"),
        format!("aws --profile @($HOSTILE) {}", &AWS[4..]),
        "awsesh login --profile @($HOSTILE) --token-code 300008".to_string(),
        "$AWS_PROFILE = $HOSTILE".to_string(),
        String::new(),
        AWS.to_string(),
    ] {
        let (_, out, _) = t.run(&cmd);
        assert!(!canary.exists(), "{cmd} ran code:\n{out}");
    }
    let held = t.var("AWSESH_PROFILE");
    assert!(
        held.is_empty() || held == name.replace('\n', "\r\n"),
        "AWSESH_PROFILE {held:?}"
    );
    let (status, _, prompt) = t.run("true");
    assert_eq!(status, 0);
    assert!(!canary.exists(), "the prompt ran code");
    assert!(!prompt.contains('$') && !prompt.contains('{'), "{prompt:?}");
}

/// Loading the line twice: one hook, one segment, the same behaviour.
/// `--no-prompt` leaves $PROMPT alone and offers the segment in
/// `$AWSESH_PROMPT_SEGMENT` and the prompt field `{awsesh}`.
#[test]
fn loading_twice_and_no_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300009");
    write_rc(&sb, "", 2, "");
    let mut t = Xonsh::start(&sb, &[]);
    let prompt = t.prompt();
    term::assert_about_12h(&prompt);
    assert_eq!(prompt.matches("aws:").count(), 1, "{prompt:?}");
    let (_, out, _) = t.run(
        "print('hooks=' + str(len([h for h in events.on_pre_prompt_format if getattr(h, '__qualname__', '').startswith('_awsesh')])))",
    );
    assert!(out.contains("hooks=1"), "{out}");
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"));

    write_rc(&sb, "", 1, " --no-prompt");
    let mut t = Xonsh::start(&sb, &[]);
    assert_eq!(t.prompt(), PROMPT_END, "--no-prompt changed it");
    let (_, out, _) = t.run("print('[' + $AWSESH_PROMPT_SEGMENT + ']')");
    assert!(
        out.contains("[aws:12h00m]") || out.contains("[aws:11h5"),
        "{out}"
    );
    let (_, _, prompt) = t.run("$PROMPT = '{awsesh}[P]> '");
    term::assert_about_12h(&prompt);
}

/// A $PROMPT that is a function keeps working, with the segment in front.
#[test]
fn a_callable_prompt_gets_the_segment_in_front() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300010");
    write_rc(&sb, "$PROMPT = lambda: '[P]> '", 1, "");
    let mut t = Xonsh::start(&sb, &[]);
    term::assert_about_12h(&t.prompt());
}

/// The binary's path, quoted by `init` as a Python literal, comes back byte
/// for byte, and the values exported equal those of `env --shell json`.
#[test]
fn quoting_round_trips_through_xonsh() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300011");
    let dir = sb.path("it's a $(dir) `x` \\ \"q\" !y {z} @(w) é");
    fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("awsesh");
    std::os::unix::fs::symlink(BIN, &odd).unwrap();
    let saved = sb.path("init.xsh");
    let out = Command::new(&odd)
        .args(["init", "xonsh"])
        .stdout(fs::File::create(&saved).unwrap())
        .status()
        .unwrap();
    assert!(out.success());
    write_rc(
        &sb,
        &format!(
            "execx(open({:?}).read(), 'exec', __xonsh__.ctx, filename='awsesh')",
            saved.display().to_string()
        ),
        0,
        "",
    );
    let mut t = Xonsh::start(&sb, &[]);
    // The hook ran `awsesh hook-sync` from the odd path: the segment and
    // the keys are there.
    term::assert_about_12h(&t.prompt());
    for (name, value) in sb.session_exports("default") {
        assert_eq!(t.var(name), value, "{name}");
    }
}

/// `awsesh doctor` run from xonsh knows the script and its hook.
#[test]
fn doctor_recognises_xonsh() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut t = Xonsh::start(&sb, &[]);
    let (_, out, _) = t.run("awsesh doctor");
    for want in [
        "shell hook active (xonsh)",
        "prompt hook registered",
        "`aws` runs the awsesh wrapper",
    ] {
        assert!(out.contains(want), "{want}:\n{out}");
    }
}

/// A shell that is not interactive, with the same rc file, gets nothing.
#[test]
fn non_interactive_xonsh_is_left_alone() {
    if support::which("xonsh").is_none() {
        support::missing("xonsh");
        return;
    }
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    let rc = write_rc(&sb, "", 1, "");
    let out = Command::new("xonsh")
        .arg("--rc")
        .arg(&rc)
        .args([
            "-c",
            "print('aws' in aliases, 'awsesh' in aliases, '_awsesh_xonsh' in __import__('sys').modules)",
        ])
        .env_clear()
        .envs(sb.env())
        .current_dir(&sb.home)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("False False False"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// clap_complete has no xonsh generator; xonsh completes a command through
/// bash-completion with its bash completer. With `awsesh completions bash`
/// where bash-completion looks (here: xonsh's `$BASH_COMPLETIONS` list),
/// xonsh's own completer offers awsesh's subcommands and flags.
#[test]
fn xonsh_completes_awsesh_through_its_bash_completer() {
    const LOADER: &str = "/usr/share/bash-completion/bash_completion";
    if support::which("xonsh").is_none() {
        support::missing("xonsh");
        return;
    }
    if !std::path::Path::new(LOADER).exists() {
        support::missing("bash-completion");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("awsesh");
    let out = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(&script, out.stdout).unwrap();
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let code = format!(
        "from xonsh.completers.bash_completion import bash_completions as bc\n\
         for line in ['awsesh lo', 'awsesh login --pro']:\n    \
         prefix = line.split(' ')[-1]\n    \
         got, _ = bc(prefix, line, len(line) - len(prefix), len(line), env=__xonsh__.env.detype(), paths=[{LOADER:?}, {:?}])\n    \
         print('got', line, sorted(got))\n",
        script.display().to_string()
    );
    let out = Command::new("xonsh")
        .args(["--no-rc", "-c", &code])
        .env("PATH", path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("got awsesh lo ['login', 'logout']"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("'--profile"), "{text}");
}
