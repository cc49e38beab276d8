//! nushell, started interactively on a pseudo-terminal from a config.nu that
//! sources the script `awsesh init nushell` saved, as a user's would, with
//! the real `aws` CLI (awscli) talking to a moto server.
//!
//! Commands are followed by a marker that prints the command's exit status
//! (`@@<n>-<status>@@`), built from pieces so that the echoed line never
//! holds its digits. nushell's line editor paints with escape sequences;
//! they are taken out of what is compared.

mod support;
#[path = "support/term.rs"]
#[allow(unused_macros, unused_imports)]
mod term;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::Expect;

use support::{BIN, Moto, Sandbox};
use term::{PROMPT_END, Sh, Term};

const AWS: &str = "aws sts get-caller-identity --output json";

/// moto, nushell and the AWS CLI, or `None` after saying (loudly) which one
/// is missing.
fn setup() -> Option<&'static Moto> {
    support::moto_with(&["nu", "aws"])
}

/// The text without terminal escape sequences (CSI, ESC 7/8, OSC).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Saves the script (`init nushell EXTRA`) to ~/.awsesh.nu and writes a
/// config.nu with a plain prompt ending in `[P]> `, `before`, and the source
/// line `times` times.
fn write_config(sb: &Sandbox, before: &str, times: usize, extra: &[&str]) {
    let out = Command::new(BIN)
        .args(["init", "nushell"])
        .args(extra)
        .env_clear()
        .envs(sb.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(sb.home.join(".awsesh.nu"), out.stdout).unwrap();
    let dir = sb.home.join(".config").join("nushell");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("env.nu"), "").unwrap();
    let text = format!(
        "$env.config.show_banner = false\n\
         $env.config.use_ansi_coloring = false\n\
         $env.config.bracketed_paste = false\n\
         $env.config.shell_integration = {{osc2: false, osc7: false, osc8: false, osc9_9: false, osc133: false, osc633: false, reset_application_mode: false}}\n\
         $env.PROMPT_COMMAND = {{|| \"[P]\" }}\n\
         $env.PROMPT_INDICATOR = {{|| \"> \" }}\n\
         $env.PROMPT_COMMAND_RIGHT = \"\"\n\
         {before}\n{}",
        "source ~/.awsesh.nu\n".repeat(times)
    );
    fs::write(dir.join("config.nu"), text).unwrap();
}

struct Nu {
    t: Term,
    marks: usize,
}

impl Nu {
    fn start(sb: &Sandbox, env: &[(&str, &str)]) -> Nu {
        let mut cmd = Command::new("nu");
        cmd.env_clear().envs(sb.env()).current_dir(&sb.home);
        cmd.env("XDG_CONFIG_HOME", sb.home.join(".config"));
        cmd.env("PAGER", "cat").env("AWS_PAGER", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Nu {
            t: Term::spawn(Sh::Bash, cmd),
            marks: 0,
        }
    }

    /// Types `cmd` and the marker; nushell submits on CR (a LF would submit
    /// a second, empty line).
    fn type_cmd(&mut self, cmd: &str) -> usize {
        self.marks += 1;
        let n = self.marks;
        let line = format!(
            "try {{ {cmd} }} catch {{ }}; print (\"@@\" + \"{n}\" + \"-\" + ($env.LAST_EXIT_CODE | into string) + \"@@\")\r"
        );
        self.t.send(line.as_bytes());
        n
    }

    /// Waits for marker `n`: (status, output before it, the next prompt line).
    fn finish(&mut self, n: usize) -> (i32, String, String) {
        let marker = format!("@@{n}-");
        let out = plain(&self.t.expect(&marker));
        let rest = self.t.expect("@@");
        let status: i32 = match rest.trim_end_matches("@@").parse() {
            Ok(status) => status,
            Err(_) => self
                .t
                .fail(&format!("a status after the marker, not {rest:?}")),
        };
        let prompt = plain(&self.t.expect(PROMPT_END));
        let prompt = prompt.rsplit(['\n', '\r']).next().unwrap_or("").to_string();
        (status, out, prompt)
    }

    fn run(&mut self, cmd: &str) -> (i32, String, String) {
        let n = self.type_cmd(cmd);
        self.finish(n)
    }

    fn prompt(&mut self) -> String {
        self.run("null").2
    }

    /// `$env.NAME` between `<` and `>`, empty when unset.
    fn var(&mut self, name: &str) -> String {
        let (_, out, _) = self.run(&format!(
            "print (\"<\" + ($env | get -o {name} | default \"\" | into string) + \">\")"
        ));
        let out = out.replace("\"<\"", "");
        let open = out.rfind('<').map(|i| i + 1).unwrap_or(0);
        let close = out[open..].find('>').map(|i| i + open).unwrap_or(open);
        out[open..close].to_string()
    }

    fn aws_with_code(&mut self, cmd: &str, code: &str) -> (i32, String, String) {
        let n = self.type_cmd(cmd);
        self.t.expect("MFA code");
        self.t.send(format!("{code}\r").as_bytes());
        self.finish(n)
    }
}

fn login(sb: &Sandbox, args: &[&str]) {
    let mut all = vec!["login"];
    all.extend_from_slice(args);
    let (code, _, err) = sb.run(&all);
    assert_eq!(code, 0, "login {args:?}: {err}");
}

#[test]
fn first_aws_prompts_then_second_shell_shares() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_config(&sb, "", 1, &[]);
    let mut a = Nu::start(&sb, &[]);
    assert_eq!(a.prompt(), PROMPT_END);
    let (status, out, prompt) = a.aws_with_code(AWS, "200001");
    assert_eq!(status, 0, "aws failed:\n{out}");
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
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"), "prompted again:\n{out}");

    let mut b = Nu::start(&sb, &[]);
    term::assert_about_12h(&b.prompt());
    assert_eq!(
        b.var("AWS_CREDENTIAL_EXPIRATION"),
        a.var("AWS_CREDENTIAL_EXPIRATION")
    );
    let (status, out, _) = b.run(AWS);
    assert_eq!(status, 0, "second shell:\n{out}");
    assert!(!out.contains("MFA code"), "second shell prompted");
    assert_eq!(moto.session_token_calls(&sb), 1, "a new session");
}

/// `awsesh logout` in one shell drops the other's session at its next
/// prompt; an expired session shows as `expired`, its keys unset.
#[test]
fn logout_elsewhere_and_expiry_show_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, &["--token-code", "200002"]);
    write_config(&sb, "", 1, &[]);
    let mut a = Nu::start(&sb, &[]);
    let mut b = Nu::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    let (status, out, _) = b.run("awsesh logout");
    assert_eq!(status, 0, "logout: {out}");
    assert_eq!(b.var("AWSESH_PROFILE"), "");
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "");
    assert_eq!(a.prompt(), PROMPT_END, "segment kept after logout");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "keys kept after logout");
    let (status, out, prompt) = a.aws_with_code(AWS, "200003");
    assert_eq!(status, 0, "{out}");
    term::assert_about_12h(&prompt);

    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    sb.set_session_expiry("p-default", past);
    let prompt = a.prompt();
    assert!(prompt.starts_with("aws:expired [P]> "), "prompt {prompt:?}");
    assert_eq!(a.var("AWS_SESSION_TOKEN"), "", "expired keys kept");
    let (status, out, prompt) = a.aws_with_code(AWS, "200004");
    assert_eq!(status, 0, "{out}");
    term::assert_about_12h(&prompt);
    assert_eq!(moto.session_token_calls(&sb), 3);
}

/// The hook checks what is exported, not only its own record: keys unset by
/// hand (`hide-env`) are exported again at the next prompt; keys replaced by
/// hand stay, the segment goes, another shell's login leaves them alone;
/// once those are unset the session comes back.
#[test]
fn keys_unset_or_replaced_by_hand_are_noticed_at_the_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, &["--token-code", "200011"]);
    write_config(&sb, "", 1, &[]);
    let mut a = Nu::start(&sb, &[]);
    term::assert_about_12h(&a.prompt());
    let key = a.var("AWS_ACCESS_KEY_ID");
    assert!(!key.is_empty());

    a.run("hide-env AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY");
    term::assert_about_12h(&a.prompt());
    assert_eq!(
        a.var("AWS_ACCESS_KEY_ID"),
        key,
        "unset keys not exported again"
    );
    assert!(!a.var("AWS_SECRET_ACCESS_KEY").is_empty());
    let (status, out, _) = a.run(AWS);
    assert_eq!(status, 0, "aws after the keys came back:\n{out}");
    assert!(!out.contains("MFA code"), "{out}");

    a.run("$env.AWS_ACCESS_KEY_ID = 'AKIAHANDSET000000000'");
    assert_eq!(a.prompt(), PROMPT_END, "segment kept over keys set by hand");
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");
    assert_eq!(a.var("AWSESH_PROFILE"), "", "hand-set keys still claimed");
    assert_eq!(a.var("AWS_CREDENTIAL_EXPIRATION"), "");
    // Another shell's login does not overwrite them either.
    login(&sb, &["--force", "--token-code", "200012"]);
    assert_eq!(a.prompt(), PROMPT_END);
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "AKIAHANDSET000000000");

    a.run("hide-env AWS_ACCESS_KEY_ID");
    term::assert_about_12h(&a.prompt());
    let again = a.var("AWS_ACCESS_KEY_ID");
    assert!(
        !again.is_empty() && again != "AKIAHANDSET000000000",
        "{again:?}"
    );
    assert_eq!(a.var("AWSESH_PROFILE"), "default");
    assert_eq!(moto.session_token_calls(&sb), 2);
}

/// `with-env {AWS_PROFILE: other} { aws … }` and `aws --profile other …`
/// give that one command `other`'s session; the shell keeps `default`'s.
#[test]
fn inline_profile_is_one_shot() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    let creds = fs::read_to_string(sb.credentials_path()).unwrap();
    let keys = creds.split_once('\n').unwrap().1.to_string();
    sb.write_credentials(&format!("{creds}[other]\n{keys}"));
    sb.append_config(&format!(
        "[profile other]\nregion = us-east-1\nmfa_serial = {}\n",
        sb.mfa_serial
    ));
    let default = sb.login_for("default", "12h", "200005");
    let other = sb.login_for("other", "2h", "200006");
    // A probe stands in for `aws`: what the one command is given.
    write_config(&sb, "", 1, &["--cmd", "awsprobe"]);
    let path = sb.aws_probe_path();
    let mut t = Nu::start(&sb, &[("PATH", &path)]);
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default);
    let want = format!("seen: profile=other awsesh=other exp={other} args=s3 ls");
    for cmd in [
        "with-env {AWS_PROFILE: other} { awsprobe s3 ls }",
        "awsprobe --profile other s3 ls",
        "awsprobe s3 --profile=other ls",
    ] {
        let (status, out, _) = t.run(cmd);
        assert_eq!(status, 0, "{cmd}:\n{out}");
        assert!(out.contains(&want), "{cmd}: want {want:?} in:\n{out}");
        assert_eq!(t.var("AWSESH_PROFILE"), "default", "{cmd}");
        assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), default, "{cmd}");
        assert_eq!(t.var("AWS_PROFILE"), "", "{cmd}");
    }
    let (_, out, _) = t.run("awsprobe s3 ls");
    assert!(
        out.contains(&format!("awsesh=default exp={default} args=s3 ls")),
        "{out}"
    );
    // Switching for good is followed at the next prompt.
    let (_, _, prompt) = t.run("$env.AWS_PROFILE = 'other'");
    assert!(
        prompt.starts_with("aws:other 2h00m [P]> ") || prompt.starts_with("aws:other 1h5"),
        "{prompt:?}"
    );
    assert_eq!(t.var("AWSESH_PROFILE"), "other");
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), other);
    assert_eq!(moto.session_token_calls(&sb), 2, "a new session");
}

/// Ctrl-C at the code prompt: nothing runs, status 130, the shell holds
/// nothing, and `aws` works afterwards.
#[test]
fn ctrl_c_at_the_code_prompt_runs_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_config(&sb, "", 1, &[]);
    let mut t = Nu::start(&sb, &[]);
    let n = t.type_cmd(AWS);
    t.t.expect("MFA code");
    t.t.send(b"12");
    std::thread::sleep(Duration::from_millis(200));
    t.t.send(&[3]);
    let (status, out, _) = t.finish(n);
    assert_eq!(status, 130, "{out}");
    assert_eq!(moto.long_term_identity_calls(&sb), 0, "aws ran");
    assert_eq!(moto.session_token_calls(&sb), 0);
    assert_eq!(t.var("AWS_SESSION_TOKEN"), "");
    let (status, out, _) = t.aws_with_code(AWS, "200007");
    assert_eq!(status, 0, "{out}");
}

/// A profile name made of shell syntax — nushell's own interpolation and
/// subexpressions included — executes nothing: in `with-env`, `--profile`,
/// `awsesh login`, and at the prompt; a name exported comes back byte for
/// byte.
#[test]
fn hostile_profile_name_executes_nothing() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    let canary = sb.path("pwned");
    let c = canary.display();
    let name = format!("h'\"$(touch {c})`touch {c}`;^touch {c}; (^touch {c}) $\"(^touch {c})\"\\");
    write_config(&sb, "", 1, &[]);
    let mut t = Nu::start(&sb, &[("HOSTILE", &name)]);
    for cmd in [
        format!("with-env {{AWS_PROFILE: $env.HOSTILE}} {{ {AWS} }}"),
        format!("aws --profile $env.HOSTILE {}", &AWS[4..]),
        "$env.AWS_PROFILE = $env.HOSTILE; awsesh login --token-code 200008".to_string(),
        "null".to_string(),
    ] {
        let (_, out, _) = t.run(&cmd);
        assert!(!canary.exists(), "{cmd} ran code:\n{out}");
    }
    let held = t.var("AWSESH_PROFILE");
    assert!(held.is_empty() || held == name, "AWSESH_PROFILE {held:?}");
    let (status, _, prompt) = t.run("null");
    assert_eq!(status, 0);
    assert!(!canary.exists(), "the prompt ran code");
    assert!(!prompt.contains('$'), "{prompt:?}");
}

/// Loading twice: one segment, one hook, the same behaviour, the user's own
/// pre_prompt hook kept. `--no-prompt` leaves the prompt alone and offers
/// the segment in $env.AWSESH_PROMPT_SEGMENT.
#[test]
fn loading_twice_and_no_prompt() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, &["--token-code", "200009"]);
    let mine = "$env.config.hooks.pre_prompt = [{|| $env.MINE = \"kept\" }]";
    write_config(&sb, mine, 2, &[]);
    let mut t = Nu::start(&sb, &[]);
    let prompt = t.prompt();
    term::assert_about_12h(&prompt);
    assert_eq!(prompt.matches("aws:").count(), 1, "{prompt:?}");
    let (_, out, _) = t.run("print ($env.config.hooks.pre_prompt | length)");
    assert!(out.contains("\n2\r") || out.contains("\n2\n"), "{out:?}");
    assert_eq!(t.var("MINE"), "kept");
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"));

    write_config(&sb, "", 1, &["--no-prompt"]);
    let mut t = Nu::start(&sb, &[]);
    assert_eq!(t.prompt(), PROMPT_END, "--no-prompt changed it");
    let segment = t.var("AWSESH_PROMPT_SEGMENT");
    assert!(
        segment == "aws:12h00m" || segment.starts_with("aws:11h5"),
        "{segment:?}"
    );
}

/// `awsesh doctor` run from nu knows the script, its hook and wrapper.
#[test]
fn doctor_recognises_the_shell() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_config(&sb, "", 1, &[]);
    // The completions, sourced after the script, leave its wrapper in place.
    let completions = Command::new(BIN)
        .args(["completions", "nushell"])
        .output()
        .unwrap();
    assert!(completions.status.success());
    fs::write(sb.home.join(".awsesh-completions.nu"), completions.stdout).unwrap();
    let config = sb.home.join(".config/nushell/config.nu");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, format!("{text}source ~/.awsesh-completions.nu\n")).unwrap();
    let mut t = Nu::start(&sb, &[]);
    let (_, out, _) = t.run("awsesh doctor");
    assert!(out.contains("shell hook active (nushell)"), "{out}");
    assert!(out.contains("prompt hook registered"), "{out}");
    assert!(out.contains("`aws` runs the awsesh wrapper"), "{out}");
    assert!(!out.contains("is loaded in"), "{out}");
    // nushell exports AWS_PROFILE with the keys: the warning's fix is one
    // this shell can follow.
    let (status, out, _) = t.aws_with_code(AWS, "200014");
    assert_eq!(status, 0, "{out}");
    let (_, out, _) = t.run("$env.AWS_PROFILE = 'default'; awsesh doctor");
    assert!(
        out.contains("AWS_PROFILE (default) is exported alongside the keys")
            && out.contains("nushell exports every variable, AWS_PROFILE too: run such programs as `awsesh exec -- CMD`"),
        "{out}"
    );
}

/// A non-interactive nu (`nu -c`, a script) that sources the file gets no
/// hook, no prompt and no exports; its `aws` is the real one.
#[test]
fn non_interactive_shells_are_left_alone() {
    if support::which("nu").is_none() {
        support::missing("nu");
        return;
    }
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    write_config(&sb, "", 0, &[]);
    let script = sb.home.join(".awsesh.nu");
    let out = Command::new("nu")
        .arg("-c")
        .arg(format!(
            "source {}; print ($env.config.hooks.pre_prompt? | default [] | length); print ($env | get -o AWSESH_PROMPT_SEGMENT | default none)",
            quoted(&script)
        ))
        .env_clear()
        .envs(sb.env())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text, "0\nnone\n");
}

fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).unwrap()
}

/// `awsesh completions nushell` is nushell that nu parses, and declares the
/// subcommands.
#[test]
fn completions_parse_in_nu() {
    if support::which("nu").is_none() {
        support::missing("nu");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("awsesh-completions.nu");
    let out = Command::new(BIN)
        .args(["completions", "nushell"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("export extern \"awsesh status\""), "{text}");
    fs::write(&file, &text).unwrap();
    // Declared: the subcommands and their flags. Not declared: what the
    // wrapper of `awsesh init nushell` must see (an extern of a longer name
    // would take `awsesh login …` past it) and hidden subcommands.
    let out = Command::new("nu")
        .arg("-c")
        .arg(format!(
            "source {}; let names = (scope externs | get name); print ([status env \"keys add\" login logout doctor hook-sync wrap] | each {{|n| $\"awsesh ($n)\" in $names }} | to nuon); print (scope commands | where name == 'awsesh status' | get 0.signatures | to nuon | str contains '[profile, named')",
            quoted(&file)
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && stdout == "[true, true, true, false, false, false, false, false]\ntrue\n",
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("export extern awsesh ["), "{text}");
}

/// The binary's path, quoted by `init` for nushell, comes back byte for byte,
/// and the values the shell holds equal those of `env --shell json`.
#[test]
fn quoting_round_trips_through_the_shell() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    login(&sb, &["--token-code", "200010"]);
    let dir = sb.path("it's a $(dir) `x` \\ \"q\" (^id) $\"(x)\" !y");
    fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("awsesh");
    std::os::unix::fs::symlink(BIN, &odd).unwrap();
    write_config(&sb, "", 1, &[]);
    let out = Command::new(&odd)
        .args(["init", "nushell"])
        .env_clear()
        .envs(sb.env())
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(sb.home.join(".awsesh.nu"), out.stdout).unwrap();
    let mut t = Nu::start(&sb, &[]);
    let (_, out, _) = t.run("print (\"<\" + $_awsesh_bin + \">\")");
    assert!(out.contains(&format!("<{}>", odd.display())), "{out}");
    term::assert_about_12h(&t.prompt());
    for (name, value) in sb.session_exports("default") {
        assert_eq!(t.var(name), value, "{name}");
    }
}

/// `awsesh setup` from nu ($SHELL named `nu`): without a terminal it names
/// the two steps; on one it asks, writes ~/.awsesh.nu and appends the source
/// line to config.nu (where $XDG_CONFIG_HOME puts it), and says so; run
/// again, config.nu already loads awsesh. A nu started then has the hook.
#[test]
fn setup_writes_the_script_and_the_source_line() {
    let Some(moto) = setup() else { return };
    let sb = Sandbox::new(moto);
    write_config(&sb, "", 0, &[]);
    let script = sb.home.join(".awsesh.nu");
    fs::remove_file(&script).unwrap();
    let config = sb.home.join(".config").join("nushell").join("config.nu");
    let before = fs::read_to_string(&config).unwrap();
    let xdg = sb.home.join(".config");
    let env = [
        ("SHELL", "/usr/bin/nu"),
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
    ];

    let mut cmd = sb.awsesh(&["setup"]);
    cmd.envs(env);
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(
            "run `awsesh init nushell | save -f ~/.awsesh.nu` in nu, then add this line to"
        ) && err.contains("config.nu: source ~/.awsesh.nu"),
        "{err}"
    );
    assert!(!script.exists());
    assert_eq!(fs::read_to_string(&config).unwrap(), before);

    let mut pty = support::spawn_pty(&sb, &["setup"], &env);
    pty.expect("Write ~/.awsesh.nu (`awsesh init nushell`) and add `source ~/.awsesh.nu` to ")
        .unwrap();
    pty.send_line("y").unwrap();
    let (code, output) = support::finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("shell: wrote ~/.awsesh.nu and added `source ~/.awsesh.nu`"),
        "{output}"
    );
    assert!(
        output.contains("or run `source ~/.awsesh.nu` in this one"),
        "{output}"
    );
    let text = fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        format!("{before}# awsesh: one MFA session for every shell\nsource ~/.awsesh.nu\n")
    );
    assert!(
        fs::read_to_string(&script)
            .unwrap()
            .contains("_awsesh_hook")
    );

    let mut cmd = sb.awsesh(&["setup"]);
    cmd.envs(env);
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.nu already loads awsesh"), "{err}");

    let mut t = Nu::start(&sb, &[]);
    let (status, out, prompt) = t.aws_with_code(AWS, "200013");
    assert_eq!(status, 0, "{out}");
    term::assert_about_12h(&prompt);
}

/// The segment and the prompt in steady state, in `nu -i -c`: the stamp
/// file matches `_AWSESH_EXP`, so the hook asks awsesh nothing (the script
/// names a binary that does not exist: a call would drop the keys) and only
/// formats; a profile name is shown with `?` for anything but
/// `[A-Za-z0-9._@-]`; an expired session's keys are unset by the clock
/// alone. `--no-prompt` leaves the prompt as it was.
#[test]
fn segment_format_and_expiry_in_steady_state() {
    if support::which("nu").is_none() {
        support::missing("nu");
        return;
    }
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    let stamp = sb.path("stamp");
    let cases: [(i64, &str, &str, bool); 7] = [
        (11 * 3600 + 5 * 60 + 30, "default", "aws:11h05m", true),
        (12 * 3600 + 30, "default", "aws:12h00m", true),
        (42 * 60 + 30, "prod", "aws:prod 42m", true),
        (90, "default", "aws:1m", true),
        (30, "default", "aws:<1m", true),
        (-5, "default", "aws:expired", false),
        (
            3600 + 90,
            "we$i'r\\d(^x)\"",
            "aws:we?i?r?d??x?? 1h01m",
            true,
        ),
    ];
    for prompt in [true, false] {
        let extra: &[&str] = if prompt { &[] } else { &["--no-prompt"] };
        let out = Command::new(BIN)
            .args(["init", "nushell"])
            .args(extra)
            .output()
            .unwrap();
        let text: String = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                if l.starts_with("const _awsesh_bin = ") {
                    "const _awsesh_bin = \"/nonexistent/awsesh\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let script = sb.path("awsesh.nu");
        fs::write(&script, text).unwrap();
        for (left, profile, want, keys_kept) in cases {
            let p = serde_json::to_string(profile).unwrap();
            let s = quoted(&stamp);
            let body = format!(
                "$env.PROMPT_COMMAND = {{|| \"base> \" }}\n\
                 source {script}\n\
                 let exp = ((date now | into int) // 1_000_000_000) + ({left})\n\
                 $\"($exp)\\n\" | save -f {s}\n\
                 $env.AWS_PROFILE = {p}; $env.AWSESH_PROFILE = {p}\n\
                 $env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE'; $env._AWSESH_KEY = 'ASIAEXAMPLE'\n\
                 $env.AWS_SECRET_ACCESS_KEY = 's'; $env.AWS_SESSION_TOKEN = 't'\n\
                 $env._AWSESH_EXP = ($exp | into string); $env._AWSESH_FOR = {p}; $env._AWSESH_STAMP = {s}\n\
                 _awsesh_hook; _awsesh_hook\n\
                 print $\"seg=[($env.AWSESH_PROMPT_SEGMENT)]\"\n\
                 print $\"key=[($env.AWS_ACCESS_KEY_ID? | default '')]\"\n\
                 print $\"ps1=[(do $env.PROMPT_COMMAND)]\"",
                script = quoted(&script),
            );
            let out = Command::new("nu")
                .args(["-n", "-i", "-c", &body])
                .env_clear()
                .envs(sb.env())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{profile}: {err}\n{text}");
            assert!(
                text.contains(&format!("seg=[{want}]\n")),
                "{left} {profile}: {text}{err}"
            );
            let key = if keys_kept { "ASIAEXAMPLE" } else { "" };
            assert!(
                text.contains(&format!("key=[{key}]\n")),
                "{left} {profile}: {text}"
            );
            let ps1 = if prompt {
                format!("ps1=[{want} base> ]")
            } else {
                "ps1=[base> ]".to_string()
            };
            assert!(text.contains(&ps1), "prompt={prompt} {left}: {text}");
        }
    }
}
