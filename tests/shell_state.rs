//! What a shell holds after every command line, in real bash, zsh and fish on
//! a pseudo-terminal with the real AWS CLI against moto: the exported keys
//! belong to AWSESH_PROFILE, the profile the shell is on, or nothing is
//! exported. One command's profile (inline `AWS_PROFILE=X`, `--profile X`,
//! `awsesh login --profile X`) never changes what the shell holds; a profile
//! name awsesh rejects, a failing hook, an expired session and a file
//! planted at the session path all leave nothing exported, and never stall
//! the prompt.

mod support;
#[path = "support/term.rs"]
mod term;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use support::{Moto, Sandbox};
use term::{PROMPT_END, Sh, Term, write_rc};

fn setup(sh: Sh) -> Option<&'static Moto> {
    term::setup(sh, &["aws"])
}

const AWS: &str = "aws sts get-caller-identity --output json";

/// Sessions of `default` (12 h) and `other` (1 h): their expirations differ,
/// so the exported expiration says whose keys a shell holds.
fn two_sessions(sb: &Sandbox) -> (String, String) {
    sb.add_other_profile();
    let default = sb.login_for("default", "12h", "200001");
    let other = sb.login_for("other", "1h", "200002");
    assert_ne!(default, other);
    (default, other)
}

/// The env of the shell is coherent and holds `profile`'s session: its
/// AWSESH_PROFILE and expiration, and no AWS_PROFILE (the shell keeps it
/// unexported while it holds a session: the JavaScript SDK v3 would prefer
/// the profile to the keys).
fn assert_holds(sh: Sh, env: &str, profile: &str, expiration: &str) {
    let get = |name| Term::env_value(env, name);
    assert_eq!(
        get("AWSESH_PROFILE").as_deref(),
        Some(profile),
        "{}: AWSESH_PROFILE in\n{env}",
        sh.name()
    );
    assert_eq!(
        get("AWS_CREDENTIAL_EXPIRATION").as_deref(),
        Some(expiration),
        "{}: another profile's session in\n{env}",
        sh.name()
    );
    assert!(get("AWS_ACCESS_KEY_ID").is_some(), "{}: {env}", sh.name());
    assert_eq!(get("AWS_PROFILE"), None, "{}: {env}", sh.name());
}

/// Nothing of awsesh's is exported.
fn assert_holds_nothing(sh: Sh, env: &str) {
    for name in [
        "AWSESH_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ] {
        assert!(
            Term::env_value(env, name).is_none(),
            "{}: {name} still exported:\n{env}",
            sh.name()
        );
    }
}

/// The shell's env printed right after the command on the same line, as
/// `cmd && terraform apply` would see it.
fn run_then_env(t: &mut Term, cmd: &str) -> (i32, String) {
    let env = match t.sh {
        Sh::Fish => "command env | command sort",
        _ => "\\builtin command env | \\builtin command sort",
    };
    let (status, out, _) = t.run(&format!("{cmd} && {env}"));
    (status, out)
}

/// `AWS_PROFILE=other aws …` and `aws --profile other …` run with other's
/// session and leave the shell holding default's, already on the same
/// command line (`… && terraform apply`), and at the next prompt.
fn inline_profile_is_one_shot(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (default, _other) = two_sessions(&sb);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let env = t.env();
    assert_holds(sh, &env, "default", &default);
    for cmd in [
        format!("AWS_PROFILE=other {AWS}"),
        format!("aws --profile other {}", &AWS[4..]),
        format!("aws {} --profile=other", &AWS[4..]),
    ] {
        let (status, out) = run_then_env(&mut t, &cmd);
        assert_eq!(status, 0, "{}: {cmd}:\n{out}", sh.name());
        assert!(out.contains("\"Arn\""), "{}: {cmd}:\n{out}", sh.name());
        assert!(!out.contains("MFA code"), "{}: {cmd}:\n{out}", sh.name());
        assert_holds(sh, &out, "default", &default);
        let env = t.env();
        assert_holds(sh, &env, "default", &default);
    }
    // No new session, and never the long-term keys.
    assert_eq!(moto.session_token_calls(&sb), 2);
    assert_eq!(moto.long_term_identity_calls(&sb), 0);
}

/// What the one-shot command itself gets: the named profile's session, with
/// AWS_PROFILE naming it and `--profile` gone (the AWS CLI would ignore the
/// session otherwise). A probe stands in for `aws`.
fn one_shot_command_gets_the_named_profiles_session(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (default, other) = two_sessions(&sb);
    let rc = write_rc(&sb, sh, "", 0, &sh.init_line(" --cmd awsprobe"));
    let path = sb.aws_probe_path();
    let mut t = Term::start(&sb, sh, &rc, &[("PATH", &path)]);
    let cases = [
        (
            "AWS_PROFILE=other awsprobe s3 ls",
            format!("seen: profile=other awsesh=other exp={other} args=s3 ls"),
        ),
        (
            "awsprobe --profile other s3 ls --region us-east-1",
            format!("seen: profile=other awsesh=other exp={other} args=s3 ls --region us-east-1"),
        ),
        (
            "awsprobe --region us-east-1 --profile=other s3 ls",
            format!("seen: profile=other awsesh=other exp={other} args=--region us-east-1 s3 ls"),
        ),
        // The shell's own profile, named: no fork needed, --profile still goes.
        (
            "awsprobe --profile default s3 ls",
            format!("seen: profile=unset awsesh=default exp={default} args=s3 ls"),
        ),
        (
            "awsprobe s3 ls",
            format!("seen: profile=unset awsesh=default exp={default} args=s3 ls"),
        ),
    ];
    for (cmd, want) in cases {
        let (status, out, _) = t.run(cmd);
        assert_eq!(status, 0, "{}: {cmd}:\n{out}", sh.name());
        assert!(
            out.contains(&want),
            "{}: {cmd}: want {want:?} in:\n{out}",
            sh.name()
        );
    }
    let env = t.env();
    assert_holds(sh, &env, "default", &default);
}

/// Where an inline assignment outlives the function it precedes (zsh with
/// POSIX_BUILTINS; bash's POSIX mode before 5.2), the shell is on the new
/// profile afterwards, and holds that profile's session — or, where it does
/// not (bash 5.2's POSIX mode), keeps its own. Coherent either way.
fn inline_profile_in_posix_mode(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (default, other) = two_sessions(&sb);
    let before = match sh {
        Sh::Bash => "set -o posix",
        Sh::Zsh => "setopt posix_builtins",
        Sh::Fish => unreachable!(),
    };
    let rc = write_rc(&sb, sh, before, 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (status, out) = run_then_env(&mut t, &format!("AWS_PROFILE=other {AWS}"));
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    let now_on = Term::env_value(&out, "AWSESH_PROFILE").unwrap_or_default();
    let shell_profile = t.var("AWS_PROFILE");
    assert_eq!(
        if shell_profile.is_empty() {
            "default"
        } else {
            &shell_profile
        },
        now_on,
        "{}: the shell is on the profile it holds",
        sh.name()
    );
    if sh == Sh::Zsh {
        assert_eq!(
            now_on, "other",
            "zsh keeps inline assignments with POSIX_BUILTINS"
        );
    }
    let expiration = if now_on == "other" { &other } else { &default };
    assert_holds(sh, &out, &now_on, expiration);
    let env = t.env();
    assert_holds(sh, &env, &now_on, expiration);
}

/// `awsesh login --profile other` and `AWS_PROFILE=other awsesh login` log
/// other in and leave the shell as it was; a login of the shell's own
/// profile loads the new session.
fn login_of_another_profile_leaves_the_shell(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    let default = sb.login_for("default", "12h", "200011");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    for (cmd, code) in [
        ("awsesh login --profile other --token-code", "200012"),
        (
            "AWS_PROFILE=other awsesh login --force --token-code",
            "200013",
        ),
        ("awsesh login -p other --force --token-code", "200014"),
    ] {
        let (status, out) = run_then_env(&mut t, &format!("{cmd} {code}"));
        assert_eq!(status, 0, "{}: {cmd}:\n{out}", sh.name());
        assert!(
            out.contains("session for profile other"),
            "{}: {out}",
            sh.name()
        );
        assert_holds(sh, &out, "default", &default);
        let env = t.env();
        assert_holds(sh, &env, "default", &default);
    }
    assert_eq!(moto.session_token_calls(&sb), 4);
    // The shell's own profile: the new session is loaded at once.
    std::thread::sleep(Duration::from_millis(1100));
    let (status, out) = run_then_env(&mut t, "awsesh login --force --token-code 200015");
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    let now = Term::env_value(&out, "AWS_CREDENTIAL_EXPIRATION").unwrap_or_default();
    assert_ne!(now, default, "{}: own login not loaded:\n{out}", sh.name());
    assert_holds(sh, &out, "default", &now);
}

/// Switching to a profile name awsesh rejects (too long, leading `-`,
/// control characters), or awsesh failing in the hook (gone; the runtime
/// directory unusable), drops the previous profile's keys at the next prompt.
fn rejected_names_and_hook_failures_drop_the_keys(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (default, _) = two_sessions(&sb);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let back = match sh {
        Sh::Fish => "set -e AWS_PROFILE",
        _ => "unset AWS_PROFILE",
    };
    let long = "p".repeat(65);
    let tab = match sh {
        Sh::Fish => "a\\tb".to_string(),
        _ => "$'a\\tb'".to_string(),
    };
    for bad in [long.as_str(), "-x", "--profile", tab.as_str()] {
        t.run(&sh.export("AWS_PROFILE", bad));
        let prompt = t.enter();
        assert_eq!(prompt, PROMPT_END, "{}: {bad}: segment kept", sh.name());
        let env = t.env();
        assert_holds_nothing(sh, &env);
        t.run(back);
        let env = t.env();
        assert_holds(sh, &env, "default", &default);
    }
    // awsesh gone (an upgrade moved it): the switch to `other` cannot be
    // loaded, and default's keys must not stay.
    let gone = match sh {
        Sh::Fish => "set -g _awsesh_bin /nonexistent/awsesh",
        _ => "_awsesh_bin=/nonexistent/awsesh",
    };
    t.run(gone);
    t.run(&sh.export("AWS_PROFILE", "other"));
    let env = t.env();
    assert_holds_nothing(sh, &env);
    t.run(back);
    let restore = match sh {
        Sh::Fish => format!("set -g _awsesh_bin '{}'", support::BIN),
        _ => format!("_awsesh_bin='{}'", support::BIN),
    };
    t.run(&restore);
    // Nothing is retried at every prompt; the next `aws` loads the session.
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert!(!out.contains("MFA code"), "{}:\n{out}", sh.name());
    let env = t.env();
    assert_holds(sh, &env, "default", &default);
    // The runtime directory made group-readable: awsesh refuses to use it.
    let dir = sb.store_dir();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    t.run(&sh.export("AWS_PROFILE", "other"));
    let env = t.env();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert_holds_nothing(sh, &env);
}

/// Rewrites `profile`'s session file so that it expires `secs` from now
/// (first line, JSON and mtime, as awsesh writes them).
fn expire_in(sb: &Sandbox, profile: &str, secs: i64) -> i64 {
    use time::format_description::well_known::Rfc3339;
    let path = sb.store_dir().join(format!("p-{profile}.session"));
    let text = fs::read_to_string(&path).unwrap();
    let json = text.split_once('\n').unwrap().1.trim_end();
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        + time::Duration::seconds(secs);
    v["expiration"] = at.format(&Rfc3339).unwrap().into();
    let epoch = at.unix_timestamp();
    let tmp = path.with_extension("tmp-test");
    fs::write(&tmp, format!("{epoch}\n{v}\n")).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    let file = fs::File::options().write(true).open(&tmp).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(epoch as u64))
        .unwrap();
    drop(file);
    fs::rename(&tmp, &path).unwrap();
    epoch
}

/// Seconds since the epoch, as the session's expiry counts them.
fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The segment counts down by itself, prompt after prompt, with no new
/// session: across a minute boundary (`aws:1m` → `aws:<1m`), and a prompt
/// framework that rebuilds the prompt each time gets the segment back.
fn the_segment_counts_down_between_sessions(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.login_for("default", "12h", "200031");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let epoch = expire_in(&sb, "default", 68);
    let prompt = t.enter();
    assert!(prompt.starts_with("aws:1m "), "{}: {prompt:?}", sh.name());
    // The same session, a few seconds later, under a minute left.
    while epoch_now() <= epoch - 60 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let prompt = t.enter();
    assert!(prompt.starts_with("aws:<1m "), "{}: {prompt:?}", sh.name());
    // The prompt reset from outside (as a prompt framework does): the next
    // prompt shows the segment again, once.
    let reset = match sh {
        Sh::Bash => "PS1='[P]> '",
        Sh::Zsh => "PROMPT='[P]> '",
        Sh::Fish => "true",
    };
    let (_, _, prompt) = t.run(reset);
    assert!(
        prompt.starts_with("aws:<1m [P]> "),
        "{}: {prompt:?}",
        sh.name()
    );
}

/// A session with seconds left shows `aws:<1m`; once it expires, the next
/// prompt shows `aws:expired` and its keys are no longer exported.
fn expired_keys_are_unset_at_the_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.login_for("default", "12h", "200021");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let epoch = expire_in(&sb, "default", 6);
    let prompt = t.enter();
    assert!(prompt.starts_with("aws:<1m "), "{}: {prompt:?}", sh.name());
    let env = t.env();
    assert!(
        Term::env_value(&env, "AWS_ACCESS_KEY_ID").is_some(),
        "{}: still valid, still exported:\n{env}",
        sh.name()
    );
    // Past the expiry (whole seconds: one more to be sure).
    while epoch_now() <= epoch + 1 {
        std::thread::sleep(Duration::from_millis(200));
    }
    let prompt = t.enter();
    assert!(
        prompt.starts_with("aws:expired "),
        "{}: {prompt:?}",
        sh.name()
    );
    let env = t.env();
    assert_holds_nothing(sh, &env);
    // A new shell loads the expired session as expired: nothing exported.
    let mut u = Term::start(&sb, sh, &rc, &[]);
    let prompt = u.enter();
    assert!(
        prompt.starts_with("aws:expired "),
        "{}: {prompt:?}",
        sh.name()
    );
    let env = u.env();
    assert_holds_nothing(sh, &env);
}

/// A FIFO, a directory or a device planted at the session path: the prompt
/// still comes (nothing reads it), and the keys go.
fn planted_files_never_stall_the_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let default = sb.login_for("default", "12h", "200031");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let path = sb.store_dir().join("p-default.session");
    type Plant = fn(&std::path::Path);
    let plants: [(&str, Plant); 3] = [
        ("a FIFO", |p| {
            let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            // SAFETY: a valid C string.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }),
        ("a directory", |p| fs::create_dir(p).unwrap()),
        ("a symlink to a device", |p| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
    ];
    for (what, plant) in plants {
        let saved = fs::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        plant(&path);
        t.send_line("");
        let Some(prompt) = t.wait_for(PROMPT_END, Duration::from_secs(10)) else {
            t.fail(&format!("a prompt with {what} at the session path"));
        };
        assert!(
            !prompt.contains("aws:"),
            "{}: {what}: {prompt:?}",
            sh.name()
        );
        let env = t.env();
        assert_holds_nothing(sh, &env);
        // Back to the real session: picked up again.
        if path.is_dir() {
            fs::remove_dir(&path).unwrap();
        } else {
            fs::remove_file(&path).unwrap();
        }
        let tmp = path.with_extension("tmp-test");
        fs::write(&tmp, saved).unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
        fs::rename(&tmp, &path).unwrap();
        t.enter();
        let env = t.env();
        assert_holds(sh, &env, "default", &default);
    }
}

/// `$?` as what runs after the hook sees it: a PROMPT_COMMAND entry after
/// the hook in the same string. (bash restores `$?` itself around
/// PROMPT_COMMAND, between the elements of its array form and before PS1;
/// zsh before each precmd function; fish around event handlers: a broken
/// hook shows nowhere else, so this is the one place to see it.)
fn status_survives_the_hook_for_what_runs_after_it(sh: Sh, after: &str) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.login_for("default", "12h", "200041");
    let rc = write_rc(&sb, sh, "", 1, after);
    let mut t = Term::start(&sb, sh, &rc, &[]);
    for code in [7, 0, 3] {
        t.send_line(&format!("sh -c 'exit {code}'"));
        let prompt = t.expect(PROMPT_END);
        assert!(
            prompt.contains(&format!("[pc={code}]")),
            "{}: $? lost by the hook ({after}): {prompt:?}",
            sh.name()
        );
        assert!(
            prompt.contains("aws:"),
            "{}: hook inactive: {prompt:?}",
            sh.name()
        );
    }
}

/// AWSESH_REFRESH_MARGIN set in the running shell (not exported, no new
/// init) decides whether `aws` needs a new session.
fn margin_takes_effect_without_init(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.login_for("default", "15m", "200051");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let set = |value: &str| match sh {
        Sh::Fish => format!("set -g AWSESH_REFRESH_MARGIN {value}"),
        _ => format!("AWSESH_REFRESH_MARGIN={value}"),
    };
    for margin in ["10m", "600", "0h10m", "9m30s"] {
        t.run(&set(margin));
        let (status, out, _) = t.run(AWS);
        assert_eq!(status, 0, "{}: {margin}:\n{out}", sh.name());
        assert!(
            !out.contains("MFA code"),
            "{}: {margin}: prompted:\n{out}",
            sh.name()
        );
    }
    assert_eq!(moto.session_token_calls(&sb), 1);
    // 16m40s: the 15-minute session is inside it, so a new one is asked for.
    t.run(&set("1000"));
    let n = t.type_cmd(AWS);
    t.expect("MFA code");
    t.send_line("200052");
    let (status, out, prompt) = t.finish(n);
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert!(prompt.starts_with("aws:1"), "{}: {prompt:?}", sh.name());
    assert_eq!(moto.session_token_calls(&sb), 2);
}

term::per_shell! {
    inline_profile_is_one_shot: [Bash, Zsh, Fish];
    one_shot_command_gets_the_named_profiles_session: [Bash, Zsh, Fish];
    inline_profile_in_posix_mode: [Bash, Zsh];
    login_of_another_profile_leaves_the_shell: [Bash, Zsh, Fish];
    rejected_names_and_hook_failures_drop_the_keys: [Bash, Zsh, Fish];
    expired_keys_are_unset_at_the_prompt: [Bash, Zsh, Fish];
    the_segment_counts_down_between_sessions: [Bash, Zsh, Fish];
    planted_files_never_stall_the_prompt: [Bash, Zsh, Fish];
    margin_takes_effect_without_init: [Bash, Zsh, Fish];
}

#[test]
fn status_survives_the_hook_bash() {
    status_survives_the_hook_for_what_runs_after_it(
        Sh::Bash,
        "PROMPT_COMMAND+=$'\\n''printf \"[pc=%s]\" \"$?\"'",
    );
}
