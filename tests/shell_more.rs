//! The shells beyond bash, zsh and fish, each started interactively on a
//! pseudo-terminal from an rc file that loads awsesh as a user's would, with
//! the real `aws` CLI (awscli) talking to a moto server.
//!
//! POSIX sh is tested in dash (Debian's /bin/sh); tcsh as Debian ships it. Commands are followed by a
//! marker that prints the command's exit status (`@@<n>-<status>@@`); the
//! typed line echoes the marker's source text, never its digits.

mod support;
#[path = "support/term.rs"]
#[allow(unused_macros, unused_imports)]
mod term;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{BIN, Moto, Sandbox};
use term::{PROMPT_END, Sh, Term};

/// A shell these tests drive, and how.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Dash,
    Tcsh,
}

impl Kind {
    fn program(self) -> &'static str {
        match self {
            Kind::Dash => "dash",
            Kind::Tcsh => "tcsh",
        }
    }

    fn init_line(self, extra: &str) -> String {
        self.init_line_of(&format!("'{BIN}'"), extra)
    }

    /// The init line with the binary given as `exe`, a word of this shell.
    fn init_line_of(self, exe: &str, extra: &str) -> String {
        match self {
            Kind::Dash => format!("eval \"$({exe} init posix{extra})\""),
            Kind::Tcsh => format!("eval \"`{exe} init tcsh{extra}`\""),
        }
    }

    /// `"$NAME"`, as one word whatever it holds.
    fn word_of(self, name: &str) -> String {
        match self {
            Kind::Dash => format!("\"${name}\""),
            Kind::Tcsh => format!("\"${name}:q\""),
        }
    }

    /// Moves the shell to a profile (exported) and logs it in.
    fn switch_and_login(self, word: &str, code: &str) -> String {
        match self {
            Kind::Dash => {
                format!("AWS_PROFILE={word}; export AWS_PROFILE; awsesh login --token-code {code}")
            }
            Kind::Tcsh => format!("setenv AWS_PROFILE {word}; awsesh login --token-code {code}"),
        }
    }

    /// Prints the segment offered for a prompt of one's own, in brackets.
    fn print_segment(self) -> &'static str {
        match self {
            Kind::Dash => "printf '[%s]\\n' \"$(awsesh_prompt_segment)\"",
            Kind::Tcsh => "printf '[%s]\\n' \"$AWSESH_PROMPT_SEGMENT\"",
        }
    }

    /// `cmd; <marker n>`: prints `@@n-STATUS@@` after `cmd`.
    fn with_marker(self, cmd: &str, n: usize) -> String {
        // `'@@%s-%s@@'` and the digits are apart in the echoed line.
        let marker = match self {
            Kind::Dash => format!("\\printf '@@%s-%s@@\\n' {n} \"$?\""),
            Kind::Tcsh => format!("printf '@@%s-%s@@\\n' {n} \"$status\""),
        };
        if cmd.is_empty() {
            marker
        } else {
            format!("{cmd}; {marker}")
        }
    }

    /// Prints `$NAME` (empty when unset) between `<` and `>`, which appear
    /// in the output only.
    fn show_var(self, name: &str) -> String {
        match self {
            Kind::Dash => format!("\\printf '\\074%s\\076\\n' \"${{{name}-}}\""),
            // An unset variable is an error in tcsh, even in an `if` not
            // taken: environment variables through printenv; the script's
            // own (always set) directly.
            Kind::Tcsh if name.starts_with('_') => {
                format!("printf '\\074%s\\076\\n' \"${name}:q\"")
            }
            Kind::Tcsh => format!("printf '\\074%s\\076\\n' \"`printenv {name}`\""),
        }
    }

    /// An inline profile for one command.
    fn inline_profile(self, profile: &str, cmd: &str) -> String {
        match self {
            Kind::Dash => format!("AWS_PROFILE={profile} {cmd}"),
            Kind::Tcsh => format!("env AWS_PROFILE={profile} {cmd}"),
        }
    }
}

/// moto, the shell and the AWS CLI, or `None` after saying (loudly) which
/// one is missing.
fn setup(kind: Kind) -> Option<&'static Moto> {
    for program in [kind.program(), "aws"] {
        if support::which(program).is_none() {
            support::missing(program);
            return None;
        }
    }
    support::moto()
}

/// A shell on a pty, loaded from its rc file.
struct Shell {
    kind: Kind,
    t: Term,
    marks: usize,
}

/// Writes the rc file: a plain prompt ending in `[P]> `, `before`, the init
/// line `times` times (with `extra` init arguments).
fn write_rc(sb: &Sandbox, kind: Kind, before: &str, times: usize, extra: &str) -> PathBuf {
    let init = format!("{}\n", kind.init_line(extra));
    let prompt = match kind {
        Kind::Dash => "PS1='[P]> '\n",
        Kind::Tcsh => "set prompt = '[P]> '\n",
    };
    // ptyprocess starts the terminal without echo; a real one has it.
    let text = format!("stty echo\n{prompt}{before}\n{}", init.repeat(times));
    // tcsh reads ~/.tcshrc; sh reads the file $ENV names.
    let path = match kind {
        Kind::Dash => sb.path("rc-dash"),
        Kind::Tcsh => sb.home.join(".tcshrc"),
    };
    fs::write(&path, text).unwrap();
    path
}

impl Shell {
    fn start(sb: &Sandbox, kind: Kind, rc: &Path, env: &[(&str, &str)]) -> Shell {
        let mut cmd = match kind {
            Kind::Dash => {
                let mut cmd = Command::new("dash");
                cmd.arg("-i");
                cmd
            }
            Kind::Tcsh => {
                let mut cmd = Command::new("tcsh");
                cmd.arg("-i");
                cmd
            }
        };
        cmd.env_clear().envs(sb.env()).current_dir(&sb.home);
        cmd.env("PAGER", "cat").env("AWS_PAGER", "");
        if kind == Kind::Dash {
            // An interactive sh reads the file $ENV names.
            cmd.env("ENV", rc);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        // The harness's Term drives any shell; its `Sh` only names it in
        // messages, and its shell-specific helpers are not used here.
        let t = Term::spawn(Sh::Bash, cmd);
        Shell { kind, t, marks: 0 }
    }

    fn fail(&mut self, what: &str) -> ! {
        let kind = self.kind;
        self.t.fail(&format!("({kind:?}) {what}"))
    }

    fn type_cmd(&mut self, cmd: &str) -> usize {
        self.marks += 1;
        let line = self.kind.with_marker(cmd, self.marks);
        self.t.send_line(&line);
        self.marks
    }

    /// Waits for marker `n`: (status, output before it, the next prompt line).
    fn finish(&mut self, n: usize) -> (i32, String, String) {
        let marker = format!("@@{n}-");
        let out = self.t.expect(&marker);
        let out = out.strip_suffix(&marker).unwrap_or(&out).to_string();
        let rest = self.t.expect("@@");
        let status: i32 = match rest.trim_end_matches("@@").parse() {
            Ok(status) => status,
            Err(_) => self.fail(&format!("a status after the marker, not {rest:?}")),
        };
        let prompt = self.t.expect(PROMPT_END);
        let prompt = prompt.rsplit(['\n', '\r']).next().unwrap_or("").to_string();
        (status, out, prompt)
    }

    fn run(&mut self, cmd: &str) -> (i32, String, String) {
        let n = self.type_cmd(cmd);
        self.finish(n)
    }

    /// The next prompt line after an empty command line.
    fn prompt(&mut self) -> String {
        self.run("").2
    }

    fn var(&mut self, name: &str) -> String {
        let line = self.kind.show_var(name);
        let (_, out, _) = self.run(&line);
        let Some(open) = out.rfind('<').map(|i| i + 1) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        let Some(close) = out[open..].find('>').map(|i| i + open) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        out[open..close].to_string()
    }

    /// Runs `aws` and answers the MFA prompt with `code`.
    fn aws_with_code(&mut self, cmd: &str, code: &str) -> (i32, String, String) {
        let n = self.type_cmd(cmd);
        self.t.expect("MFA code");
        self.t.send_line(code);
        self.finish(n)
    }
}

const AWS: &str = "aws sts get-caller-identity --output json";

fn assert_prompt_shows_about_12h(kind: Kind, prompt: &str) {
    assert!(
        prompt.starts_with("aws:12h00m [P]> ") || prompt.starts_with("aws:11h5"),
        "{kind:?}: prompt {prompt:?} does not show about 12h"
    );
}

fn first_aws_prompts_then_second_shell_shares(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut a = Shell::start(&sb, kind, &rc, &[]);
    // No session yet: no segment.
    assert_eq!(a.prompt(), PROMPT_END, "{kind:?}");
    let (status, out, prompt) = a.aws_with_code(AWS, "200001");
    assert_eq!(status, 0, "{kind:?}: aws failed:\n{out}");
    assert!(out.contains("\"Arn\""), "{kind:?}: {out}");
    assert_prompt_shows_about_12h(kind, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 1);
    assert_eq!(
        moto.long_term_identity_calls(&sb),
        0,
        "{kind:?}: aws used the long-term keys"
    );
    // The session is exported into this shell.
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty() && key != sb.access_key_id, "{key:?}");
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    // Again in this shell: no prompt, no new session.
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(
        !out.contains("MFA code"),
        "{kind:?}: prompted again:\n{out}"
    );

    // A second shell: the session is there from its first prompt on.
    let mut b = Shell::start(&sb, kind, &rc, &[]);
    assert_prompt_shows_about_12h(kind, &b.prompt());
    assert_eq!(
        b.var("AWS_CREDENTIAL_EXPIRATION"),
        a.var("AWS_CREDENTIAL_EXPIRATION")
    );
    let (status, out, prompt) = b.run(AWS);
    assert_eq!(status, 0, "{kind:?}: second shell:\n{out}");
    assert!(!out.contains("MFA code"), "{kind:?}: second shell prompted");
    assert!(out.contains("\"Arn\""), "{out}");
    assert_prompt_shows_about_12h(kind, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 1, "{kind:?}: a new session");
}

/// `awsesh logout` in one shell: the other's prompt drops the segment at
/// once, and its next `aws` asks for a code again. An expired session shows
/// as `expired` and is replaced by the next `aws`.
fn logout_elsewhere_and_expiry_show_at_the_prompt(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "200002"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut a = Shell::start(&sb, kind, &rc, &[]);
    let mut b = Shell::start(&sb, kind, &rc, &[]);
    assert_prompt_shows_about_12h(kind, &a.prompt());
    let (status, out, _) = b.run("awsesh logout");
    assert_eq!(status, 0, "{kind:?}: logout: {out}");
    // The shell that logged out holds nothing.
    assert_eq!(b.var("AWSESH_PROFILE"), "", "{kind:?}");
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "", "{kind:?}");
    assert_eq!(
        a.prompt(),
        PROMPT_END,
        "{kind:?}: segment kept after logout"
    );
    let (status, out, prompt) = a.aws_with_code(AWS, "200003");
    assert_eq!(status, 0, "{kind:?}: {out}");
    assert_prompt_shows_about_12h(kind, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 2);

    // The session runs out (moto's clock can't move; the store's can).
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    sb.set_session_expiry("p-default", past);
    let prompt = a.prompt();
    assert!(
        prompt.starts_with("aws:expired [P]> "),
        "{kind:?}: prompt {prompt:?}"
    );
    if kind == Kind::Tcsh {
        // tcsh's hook unsets them; POSIX sh cannot (no hook).
        assert_eq!(
            a.var("AWS_SESSION_TOKEN"),
            "",
            "{kind:?}: expired keys kept"
        );
    }
    let (status, out, prompt) = a.aws_with_code(AWS, "200004");
    assert_eq!(status, 0, "{kind:?}: {out}");
    assert_prompt_shows_about_12h(kind, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 3);
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// `AWS_PROFILE=other aws …` and `aws --profile other …` get `other`'s
/// session; the shell keeps `default`'s.
fn inline_profile_is_one_shot(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    // Two durations, so that the two sessions' expirations differ.
    let default = sb.login_for("default", "12h", "200005");
    sb.login_for("other", "2h", "200006");
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default);
    // A probe shows what the command itself is given.
    let show = "sh -c 'echo \"seen=$AWSESH_PROFILE/$AWS_PROFILE\"'";
    for cmd in [
        kind.inline_profile("other", AWS),
        format!("aws --profile other {}", &AWS[4..]),
        format!("aws {} --profile=other", &AWS[4..]),
    ] {
        let (status, out, _) = t.run(&cmd);
        assert_eq!(status, 0, "{kind:?}: {cmd}:\n{out}");
        assert!(out.contains("\"Arn\""), "{kind:?}: {cmd}:\n{out}");
        assert!(!out.contains("MFA code"), "{kind:?}: {cmd}:\n{out}");
        assert_eq!(t.var("AWSESH_PROFILE"), "default", "{kind:?}: {cmd}");
        assert_eq!(
            t.var("AWS_CREDENTIAL_EXPIRATION"),
            default,
            "{kind:?}: {cmd}"
        );
        let (_, out, _) = t.run(show);
        assert!(out.contains("seen=default/\r"), "{kind:?}: {cmd}: {out}");
    }
    assert_eq!(moto.session_token_calls(&sb), 2, "{kind:?}: a new session");
    assert_eq!(moto.long_term_identity_calls(&sb), 0);

    // What the one command itself is given: `other`'s session, AWS_PROFILE
    // naming it, `--profile` gone. A probe stands in for `aws`.
    let other = sb.expiration_of("other");
    let rc = write_rc(&sb, kind, "", 1, " --cmd awsprobe");
    let path = sb.aws_probe_path();
    let mut t = Shell::start(&sb, kind, &rc, &[("PATH", &path)]);
    let want = format!("seen: profile=other awsesh=other exp={other} args=s3 ls");
    for cmd in [
        kind.inline_profile("other", "awsprobe s3 ls"),
        "awsprobe --profile other s3 ls".to_string(),
        "awsprobe s3 --profile=other ls".to_string(),
    ] {
        let (status, out, _) = t.run(&cmd);
        assert_eq!(status, 0, "{kind:?}: {cmd}:\n{out}");
        assert!(
            out.contains(&want),
            "{kind:?}: {cmd}: want {want:?} in:\n{out}"
        );
    }
    let (_, out, _) = t.run("awsprobe s3 ls");
    assert!(
        out.contains(&format!("awsesh=default exp={default} args=s3 ls")),
        "{kind:?}: {out}"
    );
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default, "{kind:?}");
}

/// Ctrl-C at the code prompt: nothing runs, status 130, the shell holds
/// nothing, and `aws` works afterwards.
fn ctrl_c_at_the_code_prompt_runs_nothing(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    t.t.send_line(AWS);
    t.t.expect("MFA code");
    t.t.send(b"12");
    std::thread::sleep(Duration::from_millis(200));
    t.t.send(&[3]);
    t.t.expect(PROMPT_END);
    assert_eq!(moto.long_term_identity_calls(&sb), 0, "{kind:?}: aws ran");
    assert_eq!(moto.session_token_calls(&sb), 0);
    assert_eq!(t.var("AWS_SESSION_TOKEN"), "", "{kind:?}");
    let (_, out, _) = t.run("stty -a");
    let flags: Vec<&str> = out.split_whitespace().collect();
    assert!(
        flags.contains(&"echo") && !flags.contains(&"-echo"),
        "{kind:?}: terminal left without echo:\n{out}"
    );
    let (status, out, _) = t.aws_with_code(AWS, "200007");
    assert_eq!(status, 0, "{kind:?}: {out}");
}

/// A profile name made of shell syntax reaches no shell code: in an inline
/// assignment, `--profile`, `awsesh login`, and the prompt. Whatever awsesh
/// makes of the name, no file appears, the shell lives, and a name it
/// exports comes back byte for byte.
fn hostile_profile_name_executes_nothing(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let canary = sb.path("pwned");
    let c = canary.display();
    let name = format!("h'$(touch {c})`touch {c}`;touch {c}!x\\");
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut t = Shell::start(&sb, kind, &rc, &[("HOSTILE", &name)]);
    let word = kind.word_of("HOSTILE");
    for cmd in [
        kind.inline_profile(&word, AWS),
        format!("aws --profile {word} {}", &AWS[4..]),
        kind.switch_and_login(&word, "200008"),
        String::new(),
    ] {
        let (_, out, _) = t.run(&cmd);
        assert!(!canary.exists(), "{kind:?}: {cmd} ran shell code:\n{out}");
    }
    let held = t.var("AWSESH_PROFILE");
    assert!(
        held.is_empty() || held == name,
        "{kind:?}: AWSESH_PROFILE {held:?}"
    );
    let (status, _, prompt) = t.run("true");
    assert_eq!(status, 0);
    assert!(!canary.exists(), "{kind:?}: the prompt ran shell code");
    assert!(!prompt.contains('$'), "{kind:?}: {prompt:?}");
}

/// Loading the line twice: one segment, one wrapper, the same behaviour.
/// `--no-prompt` leaves PS1 alone and offers the segment.
fn loading_twice_and_no_prompt(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "200009"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, kind, "", 2, "");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    let prompt = t.prompt();
    assert_prompt_shows_about_12h(kind, &prompt);
    assert_eq!(prompt.matches("aws:").count(), 1, "{kind:?}: {prompt:?}");
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{kind:?}: {out}");
    assert!(!out.contains("MFA code"));

    let rc = write_rc(&sb, kind, "", 1, " --no-prompt");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    assert_eq!(t.prompt(), PROMPT_END, "{kind:?}: --no-prompt changed it");
    let (_, out, _) = t.run(kind.print_segment());
    assert!(
        out.contains("[aws:12h00m ]") || out.contains("[aws:11h5"),
        "{out}"
    );
}

/// The binary's path, quoted by `init` for the shell, comes back byte for
/// byte (the path is where the script runs awsesh from), and the values
/// `env` exports equal those of `env --shell json`.
fn quoting_round_trips_through_the_shell(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "200010"]);
    assert_eq!(code, 0, "login: {err}");
    let dir = sb.path("it's a $(dir) `x` \\ \"q\" !y");
    fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("awsesh");
    std::os::unix::fs::symlink(BIN, &odd).unwrap();
    let rc = write_rc(&sb, kind, "", 0, "");
    let line = match kind {
        Kind::Dash => kind.init_line_of(&kind.word_of("ODD"), ""),
        // tcsh cannot run a program whose path holds `'` or `!` from its
        // backquotes; the script that binary prints is what matters here,
        // so it is saved (as zoxide suggests for tcsh) and evaluated as the
        // init line does.
        Kind::Tcsh => {
            let saved = sb.path("init.tcsh");
            let out = Command::new(&odd)
                .args(["init", "tcsh"])
                .stdout(fs::File::create(&saved).unwrap())
                .status()
                .unwrap();
            assert!(out.success());
            format!("eval \"`cat '{}'`\"", saved.display())
        }
    };
    fs::write(&rc, format!("{}{line}\n", fs::read_to_string(&rc).unwrap())).unwrap();
    let odd_text = odd.display().to_string();
    let mut t = Shell::start(&sb, kind, &rc, &[("ODD", &odd_text)]);
    assert_eq!(t.var("_awsesh_bin"), odd_text, "{kind:?}");
    assert_prompt_shows_about_12h(kind, &t.prompt());
    let (status, out, err) = sb.run(&["env", "--shell", "json"]);
    assert_eq!(status, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWSESH_PROFILE",
    ] {
        assert_eq!(
            t.var(name),
            json[name].as_str().unwrap(),
            "{kind:?}: {name}"
        );
    }
}

/// `awsesh doctor` run from the shell knows which script it runs.
fn doctor_recognises_the_shell(kind: Kind) {
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    let (_, out, _) = t.run("awsesh doctor");
    let name = match kind {
        Kind::Dash => "posix",
        Kind::Tcsh => "tcsh",
    };
    assert!(
        out.contains(&format!("shell hook active ({name})")),
        "{kind:?}:\n{out}"
    );
    assert!(!out.contains("is loaded in"), "{kind:?}:\n{out}");
}

/// tcsh's hook runs awsesh at every prompt, which exports the session
/// again: keys unset by hand, or replaced by hand, are the session's again
/// at the next prompt (docs/shell-integration.md).
#[test]
fn tcsh_exports_the_session_again_at_each_prompt() {
    let kind = Kind::Tcsh;
    let Some(moto) = setup(kind) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "200051"]);
    assert_eq!(code, 0, "login: {err}");
    let (_, json, _) = sb.run(&["env", "--shell", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let key = v["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string();
    let rc = write_rc(&sb, kind, "", 1, "");
    let mut t = Shell::start(&sb, kind, &rc, &[]);
    for line in [
        "unsetenv AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
        "setenv AWS_ACCESS_KEY_ID AKIAHANDEXPORTED0001",
    ] {
        let (_, _, prompt) = t.run(line);
        assert_prompt_shows_about_12h(kind, &prompt);
        assert_eq!(t.var("AWS_ACCESS_KEY_ID"), key, "after {line}");
        assert_ne!(t.var("AWS_SECRET_ACCESS_KEY"), "", "after {line}");
    }
}

macro_rules! per_kind {
    ($($name:ident: [$($kind:ident),*];)*) => {
        $(mod $name {
            $(#[test]
            #[allow(non_snake_case)]
            fn $kind() {
                super::$name(super::Kind::$kind);
            })*
        })*
    };
}

per_kind! {
    first_aws_prompts_then_second_shell_shares: [Dash, Tcsh];
    logout_elsewhere_and_expiry_show_at_the_prompt: [Dash, Tcsh];
    inline_profile_is_one_shot: [Dash, Tcsh];
    ctrl_c_at_the_code_prompt_runs_nothing: [Dash, Tcsh];
    hostile_profile_name_executes_nothing: [Dash, Tcsh];
    loading_twice_and_no_prompt: [Dash, Tcsh];
    quoting_round_trips_through_the_shell: [Dash, Tcsh];
    doctor_recognises_the_shell: [Dash, Tcsh];
}

/// A shell that is not interactive, started with the same rc file, gets
/// nothing: no wrapper, no `env` alias, no hook, no exports.
#[test]
fn non_interactive_shells_are_left_alone() {
    for kind in [Kind::Dash, Kind::Tcsh] {
        if support::which(kind.program()).is_none() {
            support::missing(kind.program());
            continue;
        }
        let sb = Sandbox::empty(
            "http://127.0.0.1:9",
            "AKIAAAAAAAAAAAAAAAAA",
            "arn:aws:iam::1:mfa/u",
        );
        let rc = write_rc(&sb, kind, "", 1, "");
        let script = match kind {
            // dash reads $ENV only when interactive; `sh -c` with ENV set
            // and the rc sourced by hand is what a script doing `. ~/.shrc`
            // gets.
            Kind::Dash => format!(
                ". '{}'; command -V aws; command -V awsesh_prompt_segment; echo \"ps1=$PS1\"",
                rc.display()
            ),
            Kind::Tcsh => "alias aws; alias env; alias precmd; echo done".to_string(),
        };
        let out = Command::new(kind.program())
            .args(["-c", &script])
            .env_clear()
            .envs(sb.env())
            .env("ENV", &rc)
            .current_dir(&sb.home)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("function"), "{kind:?}: {text}");
        assert!(!text.contains("wrap"), "{kind:?}: {text}");
        assert!(!text.contains("_awsesh"), "{kind:?}: {text}");
        assert!(!text.contains("prompt --held"), "{kind:?}: {text}");
    }
}

/// shellcheck passes on the POSIX script as written and as rendered.
#[test]
fn shellcheck_passes_on_the_posix_script() {
    if support::which("shellcheck").is_none() {
        support::missing("shellcheck");
        return;
    }
    let raw = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/awsesh.sh");
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![PathBuf::from(raw)];
    for (i, args) in [["--cmd", "aws"], ["--cmd", "_aws2"]].iter().enumerate() {
        let out = Command::new(BIN)
            .args(["init", "posix"])
            .args(args)
            .args(if i == 1 {
                &["--no-prompt"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = dir.path().join(format!("rendered-{i}.sh"));
        fs::write(&path, out.stdout).unwrap();
        files.push(path);
    }
    for file in files {
        let out = Command::new("shellcheck")
            .args(["--shell=sh", "--severity=style"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "shellcheck {}:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
