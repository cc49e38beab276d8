//! The init scripts in real bash, zsh and fish on a pseudo-terminal, with the
//! real `aws` CLI (awscli) talking to a moto server.
//!
//! Each shell starts from a clean environment (the sandbox's) and an rc file
//! that sets a plain prompt ending in `[P]> ` and loads `awsesh init`, exactly
//! as a user's rc file would. Commands are followed by a marker that prints
//! the command's exit status (`@@<n>-<status>@@`); the typed line echoes the
//! marker's source text, never its digits, so output and echo can't be mixed up.

mod support;
#[path = "support/term.rs"]
mod term;

use std::fs;
use std::time::{Duration, Instant};

use support::{BIN, Moto, Sandbox};
use term::{PROMPT_END, Sh, TIMEOUT, Term, write_rc};

/// moto and the shell, or `None` after saying why the test is skipped.
fn setup(sh: Sh) -> Option<&'static Moto> {
    term::setup(sh, &["aws"])
}

fn caller_identity_calls(moto: &Moto, sb: &Sandbox) -> usize {
    moto.count_cli_calls("GetCallerIdentity", &sb.access_key_id)
}

const AWS: &str = "aws sts get-caller-identity --output json";

/// Runs `aws` in `term`, answers the MFA prompt with `code`; returns its status.
fn aws_with_prompt(term: &mut Term, code: &str) -> (i32, String, String) {
    let n = term.type_cmd(AWS);
    term.expect("MFA code");
    term.send_line(code);
    term.finish(n)
}

/// The prompt after a fresh 12 h session starts with `aws:12h00m` or, a
/// minute later, `aws:11h59m`.
fn assert_prompt_shows_about_12h(sh: Sh, prompt: &str) {
    assert!(
        prompt.starts_with("aws:12h00m [P]> ") || prompt.starts_with("aws:11h5"),
        "{}: prompt {prompt:?} does not show about 12h",
        sh.name()
    );
}

fn first_aws_prompts_then_prompt_shows_12h(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    // No session yet: no segment.
    let (status, _, prompt) = t.run("true");
    assert_eq!((status, prompt.as_str()), (0, PROMPT_END));
    let (status, out, prompt) = aws_with_prompt(&mut t, "100001");
    assert_eq!(status, 0, "{}: aws failed:\n{out}", sh.name());
    assert!(
        out.contains("\"Arn\""),
        "{}: no caller identity in:\n{out}",
        sh.name()
    );
    assert_prompt_shows_about_12h(sh, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 1);
    assert_eq!(
        caller_identity_calls(moto, &sb),
        0,
        "aws used the long-term keys"
    );
    // The session is exported into this shell: its key is not the long-term one.
    let key = t.var("AWS_ACCESS_KEY_ID");
    assert!(
        !key.is_empty() && key != sb.access_key_id,
        "{}: exported key {key:?}",
        sh.name()
    );
    assert_eq!(t.var("AWSESH_PROFILE"), "default");
    // A second aws in the same shell: no prompt, no new session.
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(
        !out.contains("MFA code"),
        "{}: prompted again:\n{out}",
        sh.name()
    );
    assert_eq!(moto.session_token_calls(&sb), 1);
}

fn second_shell_runs_aws_without_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut a = Term::start(&sb, sh, &rc, &[]);
    let (status, out, _) = aws_with_prompt(&mut a, "100002");
    assert_eq!(status, 0, "{out}");
    let mut b = Term::start(&sb, sh, &rc, &[]);
    let (status, out, prompt) = b.run(AWS);
    assert_eq!(
        status,
        0,
        "{}: aws failed in the second shell:\n{out}",
        sh.name()
    );
    assert!(
        !out.contains("MFA code"),
        "{}: second shell prompted:\n{out}",
        sh.name()
    );
    assert!(out.contains("\"Arn\""), "{out}");
    assert_prompt_shows_about_12h(sh, &prompt);
    assert_eq!(
        moto.session_token_calls(&sb),
        1,
        "{}: a second session was started",
        sh.name()
    );
    // (moto hands out the same keys for every session; the expiry tells them apart.)
    assert_eq!(
        a.var("AWS_CREDENTIAL_EXPIRATION"),
        b.var("AWS_CREDENTIAL_EXPIRATION")
    );
}

/// A 15-minute session with a 1000 s refresh margin counts as expired: the
/// next aws prompts, and the new 12 h session is then used without a prompt.
fn expired_session_prompts_again(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--duration", "15m", "--token-code", "100003"]);
    assert_eq!(code, 0, "login: {err}");
    assert_eq!(moto.session_token_calls(&sb), 1);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[("AWSESH_REFRESH_MARGIN", "1000")]);
    // The hook already picked the short session up.
    let (_, _, prompt) = t.run("true");
    assert!(
        prompt.starts_with("aws:1"),
        "{}: prompt {prompt:?}",
        sh.name()
    );
    // (moto hands out the same keys for every session; the expiry tells them apart.)
    let old = t.var("AWS_CREDENTIAL_EXPIRATION");
    assert!(!old.is_empty(), "{}: no session exported", sh.name());
    let (status, out, prompt) = aws_with_prompt(&mut t, "100004");
    assert_eq!(status, 0, "{out}");
    assert_prompt_shows_about_12h(sh, &prompt);
    assert_eq!(moto.session_token_calls(&sb), 2);
    assert_ne!(
        t.var("AWS_CREDENTIAL_EXPIRATION"),
        old,
        "{}: still the expired session",
        sh.name()
    );
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"), "{out}");
}

fn three_shells_at_once_see_one_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--duration", "15m", "--token-code", "100005"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, sh, "", 1, "");
    let env = [("AWSESH_REFRESH_MARGIN", "1000")];
    let mut terms: Vec<Term> = (0..3).map(|_| Term::start(&sb, sh, &rc, &env)).collect();
    let marks: Vec<usize> = terms.iter_mut().map(|t| t.type_cmd(AWS)).collect();
    // Exactly one terminal asks for the code; the others say they wait.
    let deadline = Instant::now() + TIMEOUT;
    let asking = loop {
        let found: Vec<usize> = (0..3)
            .filter(|&i| terms[i].shows_within("MFA code", Duration::from_millis(30)))
            .collect();
        if !found.is_empty() {
            assert_eq!(found.len(), 1, "{}: more than one prompt", sh.name());
            break found[0];
        }
        assert!(
            Instant::now() < deadline,
            "{}: no MFA prompt at all",
            sh.name()
        );
    };
    for (i, t) in terms.iter_mut().enumerate() {
        if i != asking {
            assert!(
                t.shows_within("waiting", TIMEOUT),
                "{}: shell {i} does not say it waits:\n{}",
                sh.name(),
                &t.text[t.seen..]
            );
        }
    }
    terms[asking].expect("MFA code");
    terms[asking].send_line("100006");
    for (t, n) in terms.iter_mut().zip(marks) {
        let (status, out, prompt) = t.finish(n);
        assert_eq!(status, 0, "{}: aws failed:\n{out}", sh.name());
        assert!(
            !out.contains("MFA code"),
            "{}: a second prompt:\n{out}",
            sh.name()
        );
        assert_prompt_shows_about_12h(sh, &prompt);
    }
    assert_eq!(
        moto.session_token_calls(&sb),
        2,
        "{}: one new session expected",
        sh.name()
    );
    assert_eq!(
        caller_identity_calls(moto, &sb),
        0,
        "the long-term keys were used"
    );
}

fn ctrl_c_at_prompt_runs_nothing_and_keeps_echo(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (_, out, _) = t.run("stty -a");
    assert!(
        out.split_whitespace().any(|f| f == "echo"),
        "{}: no echo to start with",
        sh.name()
    );
    t.send_line(AWS);
    t.expect("MFA code");
    t.send(b"12");
    std::thread::sleep(Duration::from_millis(200));
    t.send(&[3]);
    t.expect(PROMPT_END);
    let status = t.sh.status_var();
    let (prev, _, _) = t.run(&format!("echo \"prev={status}\""));
    assert_eq!(prev, 0);
    assert!(
        t.text.contains("prev=130"),
        "{}: status after Ctrl-C is not 130:\n{}",
        sh.name(),
        t.text
    );
    assert_eq!(
        caller_identity_calls(moto, &sb),
        0,
        "{}: aws ran after Ctrl-C",
        sh.name()
    );
    assert_eq!(moto.session_token_calls(&sb), 0);
    let (_, out, _) = t.run("stty -a");
    let flags: Vec<&str> = out.split_whitespace().collect();
    assert!(
        flags.contains(&"echo") && !flags.contains(&"-echo"),
        "{}: terminal left without echo:\n{out}",
        sh.name()
    );
    // And aws still works afterwards.
    let (status, out, _) = aws_with_prompt(&mut t, "100007");
    assert_eq!(status, 0, "{out}");
}

fn status_and_pipestatus_preserved(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "100008"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    // The first prompt synced the session; the hook works at every prompt.
    t.send_line("false");
    let prompt = t.expect(PROMPT_END);
    assert!(
        prompt.contains("aws:1"),
        "{}: hook inactive: {prompt:?}",
        sh.name()
    );
    let (status, _, _) = t.run("true");
    assert_eq!(status, 0);
    t.send_line("sh -c 'exit 7'");
    t.expect(PROMPT_END);
    let (status, _, _) = t.run("");
    assert_eq!(status, 7, "{}: $? lost by the hook", sh.name());
    let pipe = match sh {
        Sh::Bash => "echo \"ps=${PIPESTATUS[*]}\"",
        Sh::Zsh | Sh::Fish => "echo \"ps=$pipestatus\"",
    };
    t.send_line("false | true | sh -c 'exit 3'");
    t.expect(PROMPT_END);
    let (_, out, _) = t.run(pipe);
    assert!(
        out.contains("ps=1 0 3"),
        "{}: pipestatus lost:\n{out}",
        sh.name()
    );
}

/// Another shell's login, refresh and logout reach this shell at its next prompt.
fn another_shells_change_is_picked_up_at_next_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut a = Term::start(&sb, sh, &rc, &[]);
    let mut b = Term::start(&sb, sh, &rc, &[]);
    assert_eq!(b.var("AWS_ACCESS_KEY_ID"), "");
    let (status, out, _) = aws_with_prompt(&mut a, "100009");
    assert_eq!(status, 0, "{out}");
    // (moto hands out the same keys for every session; the expiry tells them apart.)
    let first = a.var("AWS_CREDENTIAL_EXPIRATION");
    assert!(!first.is_empty(), "{}: no session exported", sh.name());
    // b's next prompt picks the session up.
    let (_, _, prompt) = b.run("true");
    assert_prompt_shows_about_12h(sh, &prompt);
    assert_eq!(b.var("AWS_CREDENTIAL_EXPIRATION"), first);
    assert!(!b.var("AWS_SESSION_TOKEN").is_empty());
    // A second later, so the new session expires later.
    std::thread::sleep(Duration::from_millis(1100));
    // A forced new session in a: b follows.
    let n = a.type_cmd("awsesh login --force");
    a.expect("MFA code");
    a.send_line("100010");
    let (status, out, _) = a.finish(n);
    assert_eq!(status, 0, "{out}");
    let second = a.var("AWS_CREDENTIAL_EXPIRATION");
    assert_ne!(
        second,
        first,
        "{}: login --force did not update this shell",
        sh.name()
    );
    b.run("true");
    assert_eq!(b.var("AWS_CREDENTIAL_EXPIRATION"), second);
    // A logout in a: b drops the credentials and the segment.
    let (status, out, prompt) = a.run("awsesh logout");
    assert_eq!(status, 0, "{out}");
    assert_eq!(prompt, PROMPT_END);
    assert_eq!(a.var("AWS_ACCESS_KEY_ID"), "");
    let (_, _, prompt) = b.run("true");
    assert_eq!(
        prompt,
        PROMPT_END,
        "{}: segment left after logout",
        sh.name()
    );
    assert_eq!(b.var("AWS_SESSION_TOKEN"), "");
    assert_eq!(b.var("AWS_ACCESS_KEY_ID"), "");
}

/// `count` prints `hooks=N`: the hook is registered once and the prompt shows
/// the segment once.
fn assert_one_hook_one_segment(t: &mut Term, sh: Sh, count: &str) {
    let (_, out, prompt) = t.run(count);
    assert!(
        out.contains("hooks=1"),
        "{}: hook registered twice:\n{out}",
        sh.name()
    );
    assert_eq!(
        prompt.matches("aws:").count(),
        1,
        "{}: prompt {prompt:?}",
        sh.name()
    );
}

/// The init line twice in the rc file: one hook, one segment.
fn sourcing_twice_registers_once(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "100011"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, sh, "", 2, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let count = match sh {
        Sh::Bash => {
            "n=0; for h in \"${PROMPT_COMMAND[@]}\"; do case $h in *_awsesh_hook*) n=$((n+1));; esac; done; echo \"hooks=$n\""
        }
        Sh::Zsh => "echo \"hooks=${#${(M)precmd_functions:#_awsesh_hook}}\"",
        Sh::Fish => {
            "echo \"hooks=\"(functions --handlers-type generic | string match '*_awsesh_hook*' | count)"
        }
    };
    assert_one_hook_one_segment(&mut t, sh, count);
    let (_, _, prompt) = t.run("true");
    assert_eq!(
        prompt.matches("aws:").count(),
        1,
        "{}: prompt {prompt:?}",
        sh.name()
    );
    // Loading it again in the running shell changes nothing either.
    let again = match sh {
        Sh::Bash => format!("eval \"$('{BIN}' init bash)\""),
        Sh::Zsh => format!("eval \"$('{BIN}' init zsh)\""),
        Sh::Fish => format!("'{BIN}' init fish | source"),
    };
    t.run(&again);
    assert_one_hook_one_segment(&mut t, sh, count);
}

/// `set -u` (zsh: `setopt nounset`) before the init line: no error anywhere.
fn nounset_shell_works(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let before = match sh {
        Sh::Bash => "set -u",
        Sh::Zsh => "setopt nounset",
        Sh::Fish => unreachable!("fish has no nounset"),
    };
    let rc = write_rc(&sb, sh, before, 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (status, out, prompt) = aws_with_prompt(&mut t, "100012");
    assert_eq!(status, 0, "{out}");
    assert_prompt_shows_about_12h(sh, &prompt);
    t.run("awsesh logout");
    t.run("AWS_PROFILE=other; export AWS_PROFILE");
    t.run("unset AWS_PROFILE");
    for bad in ["unbound variable", "parameter not set"] {
        assert!(!t.text.contains(bad), "{}: {bad}:\n{}", sh.name(), t.text);
    }
}

/// Switching AWS_PROFILE switches what is exported and shown.
fn switching_profile_switches_session(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let creds = fs::read_to_string(sb.credentials_path()).unwrap();
    sb.write_credentials(&format!(
        "{creds}[work]\n{}",
        creds.split_once('\n').unwrap().1
    ));
    sb.append_config(&format!(
        "[profile work]\nregion = us-east-1\nmfa_serial = {}\n",
        sb.mfa_serial
    ));
    let (code, _, err) = sb.run(&["login", "--token-code", "100013"]);
    assert_eq!(code, 0, "login: {err}");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (_, _, prompt) = t.run("true");
    assert_prompt_shows_about_12h(sh, &prompt);
    let set_work = match sh {
        Sh::Fish => "set -gx AWS_PROFILE work",
        _ => "export AWS_PROFILE=work",
    };
    // No session for `work`: nothing shown, default's keys gone.
    let (_, _, prompt) = t.run(set_work);
    assert_eq!(prompt, PROMPT_END, "{}: prompt {prompt:?}", sh.name());
    assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "");
    let (status, out, prompt) = aws_with_prompt(&mut t, "100014");
    assert_eq!(status, 0, "{out}");
    assert!(
        prompt.starts_with("aws:work 1"),
        "{}: prompt {prompt:?}",
        sh.name()
    );
    assert_eq!(t.var("AWSESH_PROFILE"), "work");
    // `--profile default` for one command: default's session, this shell keeps work's.
    let work_expiry = t.var("AWS_CREDENTIAL_EXPIRATION");
    let (status, out, _) = t.run("aws --profile default sts get-caller-identity --output json");
    assert_eq!(status, 0, "{out}");
    assert!(!out.contains("MFA code"), "{out}");
    assert_eq!(t.var("AWS_CREDENTIAL_EXPIRATION"), work_expiry);
    assert_eq!(t.var("AWSESH_PROFILE"), "work");
    assert_eq!(moto.session_token_calls(&sb), 2);
}

/// `aws configure` (how a user first adds keys), `aws help` and
/// `aws --version` need no session: the wrapper runs them as they are, with
/// no prompt and no STS call, even when the profile has no keys yet.
fn commands_needing_no_session_pass_through(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.write_credentials("");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (status, out, _) = t.run("aws --version");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(out.contains("aws-cli/"), "{}: {out}", sh.name());
    let (status, out, _) = t.run("aws configure set region eu-west-3");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(
        !out.contains("MFA code") && !out.contains("awsesh:"),
        "{}: {out}",
        sh.name()
    );
    let config = std::fs::read_to_string(sb.config_path()).unwrap();
    assert!(
        config.contains("eu-west-3"),
        "{}: aws configure ran: {config}",
        sh.name()
    );
    assert_eq!(moto.session_token_calls(&sb), 0);
}

/// A profile that signs in another way (here IAM Identity Center) is not
/// awsesh's: the wrapper runs the command exactly as typed, with no prompt
/// and without the session it exported for another profile. A probe command
/// on PATH stands in for `aws` to show the arguments and environment it got.
fn other_sign_in_profiles_pass_through_as_typed(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.append_config(
        "[profile viasso]\nsso_session = corp\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let bin = sb.path("probe-bin");
    fs::create_dir_all(&bin).unwrap();
    let probe = bin.join("awsprobe");
    fs::write(
        &probe,
        "#!/bin/sh\nprintf 'args=%s key=%s\\n' \"$*\" \"${AWS_ACCESS_KEY_ID-unset}\"\n",
    )
    .unwrap();
    fs::set_permissions(&probe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let init = match sh {
        Sh::Bash => format!("eval \"$('{BIN}' init bash --cmd awsprobe)\""),
        Sh::Zsh => format!("eval \"$('{BIN}' init zsh --cmd awsprobe)\""),
        Sh::Fish => format!("'{BIN}' init fish --cmd awsprobe | source"),
    };
    let rc = write_rc(&sb, sh, "", 0, &init);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut t = Term::start(&sb, sh, &rc, &[("PATH", &path)]);
    let (status, out, _) = t.run("awsesh login --token-code 100021");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    let session_key = t.var("AWS_ACCESS_KEY_ID");
    assert!(
        !session_key.is_empty(),
        "{}: login exported the session",
        sh.name()
    );

    let (status, out, _) = t.run("awsprobe --profile viasso s3 ls");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(
        out.contains("args=--profile viasso s3 ls key=unset"),
        "{}: {out}",
        sh.name()
    );
    let (status, out, _) = t.run("AWS_PROFILE=viasso awsprobe s3 ls");
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(out.contains("args=s3 ls key=unset"), "{}: {out}", sh.name());
    assert!(
        !out.contains("awsesh:") && !out.contains("MFA code"),
        "{}: {out}",
        sh.name()
    );
    // The MFA profile still gets its session.
    let (_, out, _) = t.run("awsprobe s3 ls");
    assert!(
        out.contains(&format!("args=s3 ls key={session_key}")),
        "{}: {out}",
        sh.name()
    );
    assert_eq!(moto.session_token_calls(&sb), 1);
}

term::per_shell! {
    first_aws_prompts_then_prompt_shows_12h: [Bash, Zsh, Fish];
    second_shell_runs_aws_without_prompt: [Bash, Zsh, Fish];
    expired_session_prompts_again: [Bash, Zsh, Fish];
    three_shells_at_once_see_one_prompt: [Bash, Zsh, Fish];
    ctrl_c_at_prompt_runs_nothing_and_keeps_echo: [Bash, Zsh, Fish];
    status_and_pipestatus_preserved: [Bash, Zsh, Fish];
    another_shells_change_is_picked_up_at_next_prompt: [Bash, Zsh, Fish];
    sourcing_twice_registers_once: [Bash, Zsh, Fish];
    nounset_shell_works: [Bash, Zsh];
    switching_profile_switches_session: [Bash, Zsh, Fish];
    commands_needing_no_session_pass_through: [Bash, Zsh, Fish];
    other_sign_in_profiles_pass_through_as_typed: [Bash, Zsh, Fish];
}

/// bash ≥ 5.1: an existing PROMPT_COMMAND array keeps its entries and gets
/// the hook appended once; PROMPT_COMMAND is never exported.
#[test]
fn bash_prompt_command_array_form() {
    let Some(moto) = setup(Sh::Bash) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "100015"]);
    assert_eq!(code, 0, "login: {err}");
    let before = "user_a() { echo -n A; }\nuser_b() { echo -n B; }\nPROMPT_COMMAND=(user_a user_b)";
    let rc = write_rc(&sb, Sh::Bash, before, 2, "");
    let mut t = Term::start(&sb, Sh::Bash, &rc, &[]);
    let (_, out, prompt) = t.run("declare -p PROMPT_COMMAND");
    assert!(
        out.contains(
            "declare -a PROMPT_COMMAND=([0]=\"user_a\" [1]=\"user_b\" [2]=\"_awsesh_hook\")"
        ),
        "{out}"
    );
    // The user's hooks still run before each prompt, then the segment shows.
    assert!(prompt.starts_with("ABaws:1"), "{prompt:?}");
    let (_, out, _) = t.run("export -p | grep -c PROMPT_COMMAND");
    assert!(
        out.trim_end().ends_with("\n0"),
        "PROMPT_COMMAND exported: {out}"
    );
}

/// A PROMPT_COMMAND string keeps its command; the hook runs after it.
#[test]
fn bash_prompt_command_string_form() {
    let Some(moto) = setup(Sh::Bash) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "100016"]);
    assert_eq!(code, 0, "login: {err}");
    let before = "PROMPT_COMMAND='echo -n U;'";
    let rc = write_rc(&sb, Sh::Bash, before, 2, "");
    let mut t = Term::start(&sb, Sh::Bash, &rc, &[]);
    let (_, out, prompt) = t.run("declare -p PROMPT_COMMAND");
    assert!(
        out.contains("declare -- PROMPT_COMMAND=$'echo -n U;\\n_awsesh_hook'"),
        "{out}"
    );
    // The user's command still runs before each prompt, then the segment shows.
    assert!(prompt.starts_with("Uaws:1"), "{prompt:?}");
}
