//! elvish (as Debian ships it), started interactively on a pseudo-terminal
//! from ~/.config/elvish/rc.elv with the line users put there, with the real
//! `aws` CLI (awscli) talking to a moto server.
//!
//! elvish commands have no exit status: a failing one raises an exception.
//! Each command runs in a `try` followed by a marker that prints its status
//! (`@@<n>-<status>@@`, 0 without an exception); the typed line echoes the
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

/// moto, elvish and the AWS CLI, or `None` after saying (loudly) which one
/// is missing.
fn setup() -> Option<&'static Moto> {
    support::moto_with(&["elvish", "aws"])
}

fn init_line(extra: &str) -> String {
    format!("eval ('{BIN}' init elvish{extra} | slurp)")
}

/// Writes ~/.config/elvish/rc.elv: a plain prompt ending in `[P]> `, no
/// right prompt, `before`, the init line `times` times.
fn write_rc(sb: &Sandbox, before: &str, times: usize, extra: &str) -> PathBuf {
    let dir = sb.home.join(".config").join("elvish");
    fs::create_dir_all(&dir).unwrap();
    let init = format!("{}\n", init_line(extra));
    // ptyprocess starts the terminal without echo; a real one has it.
    let text = format!(
        "e:stty echo\nset edit:prompt = {{ put '[P]> ' }}\nset edit:rprompt = {{ }}\n{before}\n{}",
        init.repeat(times)
    );
    let path = dir.join("rc.elv");
    fs::write(&path, text).unwrap();
    path
}

struct Elvish {
    t: Term,
    marks: usize,
}

impl Elvish {
    fn start(sb: &Sandbox, env: &[(&str, &str)]) -> Elvish {
        let mut cmd = Command::new("elvish");
        cmd.env_clear().envs(sb.env()).current_dir(&sb.home);
        cmd.env("PAGER", "cat").env("AWS_PAGER", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        // The harness's Term drives any shell; its `Sh` only names it in
        // messages.
        let t = Term::spawn(Sh::Bash, cmd);
        Elvish { t, marks: 0 }
    }

    fn type_cmd(&mut self, cmd: &str) -> usize {
        self.marks += 1;
        let n = self.marks;
        let line = format!(
            "var st = 0; try {{ {cmd} }} catch e {{ set st = 1; try {{ set st = $e[reason][exit-status] }} catch f {{ }} }}; printf \"@@%s-%s@@\\n\" {n} $st"
        );
        self.t.send_line(&line);
        n
    }

    /// Waits for marker `n`: (status, output before it, the next prompt line).
    fn finish(&mut self, n: usize) -> (String, String, String) {
        let marker = format!("@@{n}-");
        let out = self.t.expect(&marker);
        let out = out.strip_suffix(&marker).unwrap_or(&out).to_string();
        let status = self.t.expect("@@");
        let status = status.trim_end_matches("@@").to_string();
        let mut prompt = self.t.expect(PROMPT_END);
        // elvish first draws the prompt it had, then the one computed for
        // this line (after the hook ran) over it.
        prompt.push_str(&self.t.take_for(Duration::from_millis(400)));
        (status, out, format!("{} ", last_line(&prompt).trim_end()))
    }

    fn run(&mut self, cmd: &str) -> (String, String, String) {
        let n = self.type_cmd(cmd);
        self.finish(n)
    }

    fn prompt(&mut self) -> String {
        self.run("nop").2
    }

    /// $E:NAME, empty when unset, printed between `<` and `>` (which only
    /// the output has).
    fn var(&mut self, name: &str) -> String {
        let line = format!(
            "printf \"\\x3c%s\\x3e\\n\" (if (has-env {name}) {{ get-env {name} }} else {{ put '' }})"
        );
        let (_, out, _) = self.run(&line);
        let open = out.rfind('<').map(|i| i + 1);
        let close = open.and_then(|o| out[o..].find('>').map(|i| i + o));
        match (open, close) {
            (Some(o), Some(c)) => out[o..c].to_string(),
            _ => self.t.fail(&format!("${name} printed between < and >")),
        }
    }

    /// Runs `cmd` and answers the MFA prompt with `code`.
    fn with_code(&mut self, cmd: &str, code: &str) -> (String, String, String) {
        let n = self.type_cmd(cmd);
        self.t.expect("MFA code");
        self.t.send_line(code);
        self.finish(n)
    }
}

/// The last line as a terminal shows it: the text with carriage returns,
/// cursor moves right (`ESC [ n C`) and clears to the end (`ESC [ K`)
/// applied, other escape sequences dropped.
fn last_line(raw: &str) -> String {
    let mut line: Vec<char> = Vec::new();
    let mut col = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line.clear();
                col = 0;
            }
            '\r' => col = 0,
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut param = String::new();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        last = c;
                        break;
                    }
                    param.push(c);
                }
                match last {
                    'C' => col += param.parse::<usize>().unwrap_or(1),
                    'K' => line.truncate(col),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    line.into_iter().collect()
}

#[test]
fn last_line_follows_elvish_redraws() {
    let raw = "out\r\n\x1b[7m\u{23ce}\x1b[m    \r \r\x1b[?25l\rn=1 [P]> \r\x1b[9C\x1b[?25h\r\x1b[2C\x1b[K2 [P]> \r\x1b[9C";
    assert_eq!(last_line(raw).trim_end(), "n=2 [P]>");
}

const AWS: &str = "aws sts get-caller-identity --output json";

fn login(sb: &Sandbox, code: &str) {
    let (status, _, err) = sb.run(&["login", "--token-code", code]);
    assert_eq!(status, 0, "login: {err}");
}

#[test]
fn first_aws_prompts_then_second_shell_shares() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut a = Elvish::start(&sb, &[]);
    assert_eq!(a.prompt(), PROMPT_END, "a segment with no session");
    let (status, out, prompt) = a.with_code(AWS, "300001");
    assert_eq!(status, "0", "aws failed:\n{out}");
    assert!(out.contains("\"Arn\""), "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 1);
    assert_eq!(
        moto.long_term_identity_calls(&sb),
        0,
        "aws used the long-term keys"
    );
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty() && key != sb.access_key_id, "{key:?}");
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, "0", "{out}");
    assert!(!out.contains("MFA code"), "prompted again:\n{out}");

    let mut b = Elvish::start(&sb, &[]);
    term::assert_about_12h(&b.prompt());
    assert_eq!(
        b.var("AWS_CREDENTIAL_EXPIRATION"),
        a.var("AWS_CREDENTIAL_EXPIRATION")
    );
    let (status, out, prompt) = b.run(AWS);
    assert_eq!(status, "0", "second shell:\n{out}");
    assert!(!out.contains("MFA code"), "second shell prompted");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 1, "a new session");
}

/// `awsesh logout` in one shell: the other drops the segment and the keys at
/// its next prompt; an expired session shows as `expired`, its keys unset.
#[test]
fn logout_elsewhere_and_expiry_show_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300002");
    write_rc(&sb, "", 1, "");
    let mut a = Elvish::start(&sb, &[]);
    let mut b = Elvish::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    let (status, out, _) = b.run("awsesh logout");
    assert_eq!(status, "0", "logout: {out}");
    assert_eq!(b.var("AWSESH_PROFILE"), "");
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "");
    assert_eq!(a.prompt(), PROMPT_END, "segment kept after logout");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "keys kept after logout");
    let (status, out, prompt) = a.with_code(AWS, "300003");
    assert_eq!(status, "0", "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 2);

    // A session running out while the shell holds it (its stamp unchanged
    // since the last sync): the hook's own clock says so.
    let soon = time::OffsetDateTime::now_utc().unix_timestamp() + 5;
    sb.set_session_expiry("p-default", soon);
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:<1m [P]> "), "prompt {prompt:?}");
    assert!(!a.var("AWS_SESSION_TOKEN").is_empty());
    while time::OffsetDateTime::now_utc().unix_timestamp() <= soon + 1 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:expired [P]> "), "prompt {prompt:?}");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "expired keys kept");
    assert_eq!(a.var("AWSESH_PROFILE"), "");
    // A session found expired at a sync (here: b's next prompt).
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    sb.set_session_expiry("p-default", past);
    let prompt = b.prompt();
    assert!(prompt.starts_with("aws:expired [P]> "), "prompt {prompt:?}");
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "", "expired keys exported");
    let (status, out, prompt) = a.with_code(AWS, "300004");
    assert_eq!(status, "0", "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 3);
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// The hook checks what is exported, not only its own record: keys unset by
/// hand are exported again at the next prompt (all of them, or one); keys
/// replaced by hand stay, the segment goes and another shell's login does
/// not overwrite them; once they are unset the session comes back. The
/// profile's region, which awsesh sends along (`_AWSESH_REGION`), is not
/// exported: elvish keeps AWS_PROFILE exported (see docs/shells.md).
#[test]
fn keys_unset_or_replaced_by_hand_are_noticed_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300011");
    write_rc(&sb, "", 1, "");
    let mut a = Elvish::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty() && key != sb.access_key_id, "{key:?}");
    let secret = a.var("AWS_SECRET_ACCESS_KEY");
    assert_eq!(a.var("AWS_REGION"), "", "a region exported");

    let (_, _, prompt) = a.run(
        "unset-env AWS_ACCESS_KEY_ID; unset-env AWS_SECRET_ACCESS_KEY; unset-env AWS_SESSION_TOKEN",
    );
    term::assert_about_12h(&prompt);
    assert_eq!(
        a.var("AWS_ACCESS_KEY_ID"),
        key,
        "unset keys not exported again"
    );
    assert_eq!(a.var("AWS_SECRET_ACCESS_KEY"), secret);
    assert!(!a.var("AWS_SESSION_TOKEN").is_empty());
    let (_, _, prompt) = a.run("unset-env AWS_SESSION_TOKEN");
    term::assert_about_12h(&prompt);
    assert!(
        !a.var("AWS_SESSION_TOKEN").is_empty(),
        "one key unset not exported again"
    );
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, "0", "aws after the keys came back:\n{out}");
    assert!(!out.contains("MFA code"), "{out}");

    let (_, _, prompt) = a.run(
        "set-env AWS_ACCESS_KEY_ID AKIAHANDSET000000000; set-env AWS_SECRET_ACCESS_KEY hand; unset-env AWS_SESSION_TOKEN",
    );
    assert_eq!(prompt, PROMPT_END, "segment kept over keys set by hand");
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");
    assert_eq!(a.var("AWS_SECRET_ACCESS_KEY"), "hand");
    assert_eq!(a.var("AWSESH_PROFILE"), "", "hand-set keys still claimed");
    assert_eq!(a.var("AWS_CREDENTIAL_EXPIRATION"), "");
    // Another shell's new session does not overwrite them either.
    let (status, _, err) = sb.run(&[
        "login",
        "--force",
        "--duration",
        "6h",
        "--token-code",
        "300012",
    ]);
    assert_eq!(status, 0, "login: {err}");
    assert_eq!(a.prompt(), PROMPT_END);
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");
    assert_eq!(a.var("AWS_CREDENTIAL_EXPIRATION"), "");

    // Unset again: the session (the new one) comes back.
    let (_, _, prompt) = a.run("unset-env AWS_ACCESS_KEY_ID; unset-env AWS_SECRET_ACCESS_KEY");
    assert!(
        prompt.starts_with("aws:6h00m [P]> ") || prompt.starts_with("aws:5h5"),
        "prompt {prompt:?} does not show the new session's 6h"
    );
    assert_eq!(
        a.var("AWS_CREDENTIAL_EXPIRATION"),
        sb.expiration_of("default")
    );
    let again = a.var("AWS_ACCESS_KEY_ID");
    assert!(
        !again.is_empty() && again != "AKIAHANDSET000000000",
        "{again:?}"
    );
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, "0", "{out}");
    assert!(!out.contains("MFA code"), "{out}");
    assert_eq!(moto.session_token_calls(&sb), 2);
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// `{ tmp E:AWS_PROFILE = other; aws … }` and `aws --profile other …` get
/// `other`'s session for that command; the shell keeps `default`'s.
#[test]
fn inline_profile_is_one_shot() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    let default = sb.login_for("default", "12h", "300005");
    let other = sb.login_for("other", "2h", "300006");
    write_rc(&sb, "", 1, "");
    let mut t = Elvish::start(&sb, &[]);
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default);
    for cmd in [
        format!("{{ tmp E:AWS_PROFILE = other; {AWS} }}"),
        format!("aws --profile other {}", &AWS[4..]),
        format!("aws {} --profile=other", &AWS[4..]),
    ] {
        let (status, out, _) = t.run(&cmd);
        assert_eq!(status, "0", "{cmd}:\n{out}");
        assert!(out.contains("\"Arn\""), "{cmd}:\n{out}");
        assert!(!out.contains("MFA code"), "{cmd}:\n{out}");
        assert_eq!(t.var("AWSESH_PROFILE"), "default", "{cmd}");
        assert_eq!(t.var("AWS_PROFILE"), "", "{cmd}");
        assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default, "{cmd}");
    }
    // What the one command itself is given: `other`'s session, AWS_PROFILE
    // naming it, `--profile` gone. A probe stands in for `aws`.
    write_rc(&sb, "", 1, " --cmd awsprobe");
    let path = sb.aws_probe_path();
    let mut t = Elvish::start(&sb, &[("PATH", &path)]);
    let want = format!("seen: profile=other awsesh=other exp={other} args=s3 ls");
    for cmd in [
        "{ tmp E:AWS_PROFILE = other; awsprobe s3 ls }",
        "awsprobe --profile other s3 ls",
        "awsprobe s3 --profile=other ls",
    ] {
        let (status, out, _) = t.run(cmd);
        assert_eq!(status, "0", "{cmd}:\n{out}");
        assert!(out.contains(&want), "{cmd}: want {want:?} in:\n{out}");
    }
    let (_, out, _) = t.run("awsprobe s3 ls");
    assert!(
        out.contains(&format!(
            "profile=unset awsesh=default exp={default} args=s3 ls"
        )),
        "{out}"
    );
    assert_eq!(moto.session_token_calls(&sb), 2, "a new session");
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// Ctrl-C at the code prompt: the command does not run, the shell holds
/// nothing, the terminal echoes again, and `aws` works afterwards.
#[test]
fn ctrl_c_at_the_code_prompt_runs_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut t = Elvish::start(&sb, &[]);
    t.t.send_line(AWS);
    t.t.expect("MFA code");
    t.t.send(b"12");
    std::thread::sleep(Duration::from_millis(200));
    t.t.send(&[3]);
    t.t.expect(PROMPT_END);
    assert_eq!(moto.long_term_identity_calls(&sb), 0, "aws ran");
    assert_eq!(moto.session_token_calls(&sb), 0);
    assert_eq!(t.var("AWS_SESSION_TOKEN"), "");
    let (_, out, _) = t.run("e:stty -a");
    let flags: Vec<&str> = out.split_whitespace().collect();
    assert!(
        flags.contains(&"echo") && !flags.contains(&"-echo"),
        "terminal left without echo:\n{out}"
    );
    let (status, out, _) = t.with_code(AWS, "300007");
    assert_eq!(status, "0", "{out}");
}

/// Profile names made of shell syntax (elvish's and POSIX sh's: each name
/// is valid code in one of them, and one mixes them all) execute nothing:
/// as AWS_PROFILE for one command, as `--profile`, for `awsesh login` and at
/// the prompt; a name the shell holds comes back byte for byte.
#[test]
fn hostile_profile_name_executes_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    let canary = sb.path("pwned");
    let c = canary.display();
    let names = [
        format!("x;touch {c}"),
        format!("$(touch {c})"),
        format!("`touch {c}`"),
        format!("(touch {c})"),
        format!("x'(touch {c})'"),
        format!("x\"(touch {c})\""),
        format!("x\n(touch {c})"),
        format!("h'$(touch {c})`touch {c}`;touch {c}\n(touch {c})'{{ touch {c} }}\"$E:X\\"),
    ];
    write_rc(&sb, "", 1, "");
    for name in names {
        let mut t = Elvish::start(&sb, &[("HOSTILE", &name)]);
        for cmd in [
            format!("{{ tmp E:AWS_PROFILE = $E:HOSTILE; {AWS} }}"),
            format!("aws --profile $E:HOSTILE {}", &AWS[4..]),
            "set-env AWS_PROFILE $E:HOSTILE".to_string(),
            "awsesh login --token-code 300008".to_string(),
            "nop".to_string(),
            AWS.to_string(),
        ] {
            let (_, out, _) = t.run(&cmd);
            assert!(!canary.exists(), "{name:?}: {cmd} ran shell code:\n{out}");
        }
        // awsesh refuses the name or has no such profile: whatever it makes
        // of it, a name the shell holds is the name, byte for byte.
        let held = t.var("AWSESH_PROFILE");
        assert!(held.is_empty() || held == name, "AWSESH_PROFILE {held:?}");
        let (status, _, prompt) = t.run("nop");
        assert_eq!(status, "0");
        assert!(!canary.exists(), "{name:?}: the prompt ran shell code");
        assert!(!prompt.contains('$'), "{prompt:?}");
    }
}

/// Loading the line twice: one hook, one segment, the same behaviour.
/// `--no-prompt` leaves the prompt alone and offers `awsesh-prompt-segment`.
#[test]
fn loading_twice_and_no_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300009");
    write_rc(&sb, "", 2, "");
    let mut t = Elvish::start(&sb, &[]);
    let prompt = t.prompt();
    term::assert_about_12h(&prompt);
    assert_eq!(prompt.matches("aws:").count(), 1, "{prompt:?}");
    let (_, out, _) = t.run("printf \"hooks=%s\\n\" (count $edit:before-readline)");
    assert!(out.contains("hooks=1"), "{out}");
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, "0", "{out}");
    assert!(!out.contains("MFA code"));

    write_rc(&sb, "", 1, " --no-prompt");
    let mut t = Elvish::start(&sb, &[]);
    assert_eq!(t.prompt(), PROMPT_END, "--no-prompt changed the prompt");
    let (_, out, _) = t.run("printf \"[%s]\\n\" (awsesh-prompt-segment)");
    assert!(
        out.contains("[aws:12h00m]") || out.contains("[aws:11h5"),
        "{out}"
    );
}

/// The user's own definitions of names the script uses do not reach it,
/// and the binary's path, quoted by `init` twice over, comes back byte for
/// byte: the session loads through a path full of quotes.
#[test]
fn user_definitions_and_odd_paths_do_not_break_it() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "300010");
    let dir = sb.path("it's a $(dir) `x` \\ \"q\" {y} ''");
    fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("awsesh");
    std::os::unix::fs::symlink(BIN, &odd).unwrap();
    let before = "fn set-env {|@a| echo USER-SET-ENV }\nfn unset-env {|@a| echo USER-UNSET-ENV }\nfn from-json {|@a| echo USER-FROM-JSON }\nfn each {|@a| echo USER-EACH }\nfn print {|@a| echo USER-PRINT }\nfn eq {|@a| put $false }\nfn not-eq {|@a| put $true }\nfn external {|@a| put {|@b| echo USER-EXTERNAL } }";
    let rc = write_rc(&sb, before, 0, "");
    fs::write(
        &rc,
        format!(
            "{}use builtin\neval ((builtin:external $E:ODD) init elvish | slurp)\n",
            fs::read_to_string(&rc).unwrap()
        ),
    )
    .unwrap();
    let odd_text = odd.display().to_string();
    let mut t = Elvish::start(&sb, &[("ODD", &odd_text)]);
    term::assert_about_12h(&t.prompt());
    for (name, value) in sb.session_exports("default") {
        assert_eq!(t.var(name), value, "{name}");
    }
}

/// `awsesh doctor` run from elvish knows the script and its hook.
#[test]
fn doctor_recognises_elvish() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_rc(&sb, "", 1, "");
    let mut t = Elvish::start(&sb, &[]);
    let (_, out, _) = t.run("awsesh doctor");
    assert!(out.contains("shell hook active (elvish)"), "{out}");
    assert!(out.contains("prompt hook registered"), "{out}");
    assert!(!out.contains("is loaded in"), "{out}");
}

/// The line in a script (`elvish file.elv`, no line editor) does nothing
/// and raises nothing.
#[test]
fn non_interactive_elvish_is_left_alone() {
    if support::which("elvish").is_none() {
        support::missing("elvish");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.elv");
    fs::write(
        &script,
        format!(
            "{}\nprint ok\nif (has-env AWSESH_PROFILE) {{ print ' exported' }}\ntry {{ aws~ }} catch {{ print ' no-wrapper' }}\n",
            init_line("")
        ),
    )
    .unwrap();
    let out = Command::new("elvish")
        .arg(&script)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("ok"), "{text}");
    assert!(!text.contains("exported"), "{text}");
}

/// `awsesh completions elvish` is accepted by elvish and registers a
/// completer for awsesh.
#[test]
fn completions_load_in_elvish() {
    let Some(_) = setup() else { return };
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    write_rc(
        &sb,
        &format!("eval ('{BIN}' completions elvish | slurp)"),
        0,
        "",
    );
    // The registration runs `awsesh` from PATH.
    let dir = sb.path("bin");
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(BIN, dir.join("awsesh")).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
    let mut t = Elvish::start(&sb, &[("PATH", &path)]);
    let (status, out, _) =
        t.run("printf \"reg=%s\\n\" (has-key $edit:completion:arg-completer awsesh)");
    assert_eq!(status, "0", "{out}");
    assert!(out.contains("reg=$true"), "{out}");
    let (status, out, _) = t.run(
        "$edit:completion:arg-completer[awsesh] awsesh sta | each {|c| printf \"cand=%s\\n\" $c }",
    );
    assert_eq!(status, "0", "{out}");
    assert!(out.contains("cand=status"), "{out}");
}

/// `awsesh setup` with SHELL=elvish offers the rc line for
/// ~/.config/elvish/rc.elv, and counts only the real line at the top level
/// of that file (a comment, a block or another shell's line do not load
/// awsesh). Without a terminal it writes nothing.
#[test]
fn setup_offers_the_elvish_rc_line() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    let path = sb.home.join(".config").join("elvish").join("rc.elv");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let line = "eval (awsesh init elvish | slurp)";
    let cases = [
        ("", false),
        ("# eval (awsesh init elvish | slurp)\n", false),
        (
            "if $false {\n  eval (awsesh init elvish | slurp)\n}\n",
            false,
        ),
        ("eval (awsesh init fish | slurp)\n", false),
        ("echo 'eval (awsesh init elvish | slurp)'\n", false),
        ("eval (awsesh init elvish | slurp)\n", true),
        (
            "use str\neval (e:awsesh init elvish --no-prompt | slurp) # awsesh\n",
            true,
        ),
    ];
    for (text, loads) in cases {
        fs::write(&path, text).unwrap();
        let mut cmd = sb.awsesh(&["setup"]);
        cmd.env("SHELL", "/usr/bin/elvish");
        let (code, _, err) = support::keyring::output_within(&mut cmd, 60);
        assert_eq!(code, 0, "{err}");
        let found = err.contains(&format!("{} already loads awsesh", path.display()));
        let offered = err.contains(&format!("add this line to {}: {line}", path.display()));
        assert_eq!((found, offered), (loads, !loads), "{text:?}:\n{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "rc.elv changed");
    }
}
