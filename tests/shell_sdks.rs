//! Every SDK started from a hooked shell uses the session the prompt shows,
//! whatever its credential chain, in real bash, zsh and fish on a
//! pseudo-terminal against moto: after `export AWS_PROFILE=X` the AWS SDK for
//! JavaScript v3 (`fromNodeProviderChain`, which skips the keys in the
//! environment whenever AWS_PROFILE is set), boto3 and the AWS CLI all
//! resolve X's session keys, for a profile with keys and for a role
//! profile. And the hook checks what is exported: keys unset by hand are
//! exported again at the next prompt; keys replaced by hand are left alone
//! and the segment goes.

mod support;
#[path = "support/term.rs"]
mod term;

use std::path::PathBuf;

use support::{Moto, Sandbox};
use term::{Sh, Term, per_shell, write_rc};

/// The npm package `@aws-sdk/credential-providers`, as scripts/test
/// installs it (under target/node-sdk), or where AWSESH_TEST_NODE_SDK says.
fn node_sdk() -> Option<PathBuf> {
    let dir = std::env::var_os("AWSESH_TEST_NODE_SDK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/node-sdk"));
    let package = dir.join("node_modules/@aws-sdk/credential-providers");
    package.join("package.json").is_file().then_some(package)
}

fn setup(sh: Sh) -> Option<(&'static Moto, PathBuf)> {
    let moto = term::setup(sh, &["aws", "node", "python3"])?;
    let Some(sdk) = node_sdk() else {
        support::missing(
            "@aws-sdk/credential-providers under target/node-sdk (scripts/test installs it)",
        );
        return None;
    };
    Some((moto, sdk))
}

/// `default` (keys, MFA device), `work` (the same user's keys under another
/// name, its own region) and `admin` (a role whose source is `default`).
fn profiles(moto: &Moto, sb: &Sandbox) {
    let creds = std::fs::read_to_string(sb.credentials_path()).unwrap();
    let keys = creds.split_once('\n').unwrap().1.to_string();
    sb.write_credentials(&format!("{creds}[work]\n{keys}"));
    let role = support::unique_name("role");
    let out = moto
        .aws_admin(&[
            "iam",
            "create-role",
            "--role-name",
            &role,
            "--assume-role-policy-document",
            r#"{"Version":"2012-10-17","Statement":[]}"#,
        ])
        .expect("create a role in moto");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let arn = v["Role"]["Arn"].as_str().unwrap();
    sb.append_config(&format!(
        "[profile work]\nregion = eu-west-3\nmfa_serial = {}\n\
         [profile admin]\nrole_arn = {arn}\nsource_profile = default\nregion = ap-south-1\n",
        sb.mfa_serial
    ));
}

/// Logs `profile` in (a code only for the MFA session; the role is chained
/// from it) and returns its session's access key id.
fn login(sb: &Sandbox, profile: &str, code: Option<&str>) -> String {
    let mut args = vec!["login", "--force", "--profile", profile];
    if let Some(code) = code {
        args.extend(["--token-code", code]);
    }
    let (status, _, err) = sb.run(&args);
    assert_eq!(status, 0, "login {profile}: {err}");
    session_key(sb, profile)
}

fn session_key(sb: &Sandbox, profile: &str) -> String {
    let (status, out, err) = sb.run(&["env", "--profile", profile, "--shell", "json"]);
    assert_eq!(status, 0, "env {profile}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string()
}

/// What the JavaScript SDK v3 resolves, as `JS=<key id>`, or `JSERR=…`.
fn node_line(sdk: &std::path::Path) -> String {
    format!(
        "node -e 'require(\"{}\").fromNodeProviderChain()().then(c => console.log(\"JS=\" + c.accessKeyId + \"/\" + (process.env.AWS_REGION || \"\")), e => console.log(\"JSERR=\" + e.message))'",
        sdk.display()
    )
}

const BOTO3: &str = "python3 -c 'import boto3; s = boto3.Session(); print(\"PY=\" + s.get_credentials().access_key + \"/\" + str(s.region_name))'";

/// `NAME=value` printed by a command, up to the end of its line.
fn printed(out: &str, name: &str) -> String {
    out.lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once(&format!("{name}=")))
        .map(|(_, v)| v.to_string())
        .next_back()
        .unwrap_or_else(|| format!("<no {name}= in {out:?}>"))
}

/// After `export AWS_PROFILE=X`, node, boto3 and the CLI run with X's
/// session (for a profile with keys and for a role profile), with X's
/// region; `aws` still reads X's settings; `awsesh status` still names X.
fn every_sdk_uses_the_session(sh: Sh) {
    let Some((moto, sdk)) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    profiles(moto, &sb);
    let default_key = login(&sb, "default", Some("300001"));
    let work_key = login(&sb, "work", Some("300002"));
    let admin_key = login(&sb, "admin", None);
    assert_ne!(work_key, sb.access_key_id);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let node = node_line(&sdk);

    for (profile, key, region) in [
        ("work", &work_key, "eu-west-3"),
        ("admin", &admin_key, "ap-south-1"),
    ] {
        let (_, _, prompt) = t.run(&sh.export("AWS_PROFILE", profile));
        let name = sh.name();
        assert!(
            prompt.starts_with(&format!("aws:{profile} ")),
            "{name}: {prompt:?}"
        );
        let (_, out, _) = t.run(&node);
        assert_eq!(
            printed(&out, "JS"),
            format!("{key}/{region}"),
            "{name} {profile}: {out}"
        );
        assert!(
            !out.contains("Multiple credential sources"),
            "{name}: {out}"
        );
        let (_, out, _) = t.run(BOTO3);
        assert_eq!(
            printed(&out, "PY"),
            format!("{key}/{region}"),
            "{name} {profile}: {out}"
        );
        // The CLI through the wrapper: the session's keys from the
        // environment, the profile's settings (it is given AWS_PROFILE).
        let (status, out, _) = t.run("aws sts get-caller-identity --output text --query Arn");
        assert_eq!(status, 0, "{name} {profile}: {out}");
        if profile == "admin" {
            assert!(out.contains(":assumed-role/"), "{name}: {out}");
        }
        let (_, out, _) = t.run("aws configure list");
        let keys = out.lines().find(|l| l.contains("access_key")).unwrap_or("");
        assert!(
            keys.contains(&key[key.len() - 4..]) && keys.contains("env"),
            "{name} {profile}: {out}"
        );
        let (_, out, _) = t.run("aws configure get region");
        assert!(out.contains(region), "{name} {profile}: {out}");
        // awsesh itself is still told which profile the shell is on.
        let (_, out, _) = t.run("awsesh status");
        assert!(out.contains(profile), "{name} {profile}: {out}");
        // The shell keeps its profile; children do not see it.
        assert_eq!(t.var("AWS_PROFILE"), profile, "{name}");
        let env = t.env();
        assert_eq!(Term::env_value(&env, "AWS_PROFILE"), None, "{name}: {env}");
        assert_eq!(
            Term::env_value(&env, "AWSESH_PROFILE").as_deref(),
            Some(profile)
        );
    }

    // doctor: quiet about the profile the hook keeps from children; a
    // warning when a command line exported it again.
    let (_, out, _) = t.run("awsesh doctor");
    assert!(!out.contains("WARN"), "{}: {out}", sh.name());
    let (_, out, _) = t.run(&format!(
        "{}; awsesh doctor",
        sh.export("AWS_PROFILE", "admin")
    ));
    assert!(
        out.contains("WARN  AWS_PROFILE (admin) is exported alongside the keys"),
        "{}: {out}",
        sh.name()
    );

    // Back on `default`: its session, and the region of the profile.
    let unset = match sh {
        Sh::Fish => "set -e AWS_PROFILE",
        _ => "unset AWS_PROFILE",
    };
    t.run(unset);
    let (_, out, _) = t.run(&node);
    assert_eq!(
        printed(&out, "JS"),
        format!("{default_key}/us-east-1"),
        "{}",
        sh.name()
    );

    // Logged out: nothing to hide, the profile is exported again.
    t.run(&sh.export("AWS_PROFILE", "work"));
    t.run("awsesh logout");
    let env = t.env();
    assert_eq!(
        Term::env_value(&env, "AWS_PROFILE").as_deref(),
        Some("work"),
        "{env}"
    );
    assert_eq!(Term::env_value(&env, "AWS_ACCESS_KEY_ID"), None, "{env}");
    assert_eq!(Term::env_value(&env, "AWS_REGION"), None, "{env}");
}

/// `awsesh exec` runs any program: it hands over the session and the
/// profile's region, and no profile — node, boto3 and a shell under `exec
/// --profile X` see X's session keys and region (a profile with keys and a
/// role profile), no `AWS_PROFILE` or `AWS_DEFAULT_PROFILE` even when the
/// parent had them, and a region of the user's own is kept.
#[test]
fn exec_hands_any_program_the_session_and_its_region_without_the_profile() {
    use support::OutputInTime;
    let Some((moto, sdk)) = setup(Sh::Bash) else {
        return;
    };
    let sb = Sandbox::new(moto);
    profiles(moto, &sb);
    login(&sb, "default", Some("300011"));
    let work_key = login(&sb, "work", Some("300012"));
    let admin_key = login(&sb, "admin", None);
    let script = format!(
        "{}; {BOTO3}; echo \"SEEN=${{AWS_PROFILE-none}}/${{AWS_DEFAULT_PROFILE-none}}\"",
        node_line(&sdk)
    );
    let run = |profile: &str, region: Option<&str>| {
        let mut cmd = sb.awsesh(&["exec", "--profile", profile, "--", "sh", "-c", &script]);
        cmd.env("AWS_PROFILE", profile)
            .env("AWS_DEFAULT_PROFILE", profile);
        if let Some(region) = region {
            cmd.env("AWS_REGION", region)
                .env("AWS_DEFAULT_REGION", region);
        }
        let out = cmd.output_in_time();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{profile}: {text}");
        assert!(!text.contains("Multiple credential sources"), "{text}");
        text
    };
    for (profile, key, region) in [
        ("work", &work_key, "eu-west-3"),
        ("admin", &admin_key, "ap-south-1"),
    ] {
        let out = run(profile, None);
        assert_eq!(
            printed(&out, "JS"),
            format!("{key}/{region}"),
            "{profile}: {out}"
        );
        assert_eq!(
            printed(&out, "PY"),
            format!("{key}/{region}"),
            "{profile}: {out}"
        );
        assert_eq!(printed(&out, "SEEN"), "none/none", "{profile}: {out}");
    }
    let out = run("work", Some("us-west-2"));
    assert_eq!(
        printed(&out, "JS"),
        format!("{work_key}/us-west-2"),
        "{out}"
    );
    assert_eq!(
        printed(&out, "PY"),
        format!("{work_key}/us-west-2"),
        "{out}"
    );
}

/// `unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY` (or only the token): the
/// next prompt exports the session again, and `aws` on the same line as the
/// unset asks awsesh rather than running without keys.
fn keys_unset_by_hand_are_exported_again(sh: Sh) {
    let Some((moto, _)) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let key = login(&sb, "default", Some("300011"));
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let name = sh.name();
    for unset in [
        "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWSESH_PROFILE",
    ] {
        let line = match sh {
            Sh::Fish => format!("set -e {unset}"),
            _ => format!("unset {unset}"),
        };
        let (_, _, prompt) = t.run(&line);
        assert!(prompt.starts_with("aws:"), "{name} {unset}: {prompt:?}");
        let env = t.env();
        assert_eq!(
            Term::env_value(&env, "AWS_ACCESS_KEY_ID").as_deref(),
            Some(key.as_str()),
            "{name} {unset}: {env}"
        );
        assert!(
            Term::env_value(&env, "AWS_SECRET_ACCESS_KEY").is_some(),
            "{name} {unset}"
        );
        assert!(
            Term::env_value(&env, "AWS_SESSION_TOKEN").is_some(),
            "{name} {unset}"
        );
        assert_eq!(
            Term::env_value(&env, "AWSESH_PROFILE").as_deref(),
            Some("default"),
            "{name} {unset}"
        );
    }
    // Unset and used on one line: the wrapper does not trust its bookkeeping.
    let line = match sh {
        Sh::Fish => {
            "set -e AWS_ACCESS_KEY_ID; aws sts get-caller-identity --output text --query Account"
        }
        _ => "unset AWS_ACCESS_KEY_ID; aws sts get-caller-identity --output text --query Account",
    };
    // (Run without them, the CLI would fall back to the long-term keys.)
    let long_term = moto.count_cli_calls("GetCallerIdentity", &sb.access_key_id);
    let (status, out, _) = t.run(line);
    assert_eq!(status, 0, "{name}: {out}");
    assert_eq!(
        moto.count_cli_calls("GetCallerIdentity", &sb.access_key_id),
        long_term,
        "{name}: aws ran with the long-term keys"
    );
    let env = t.env();
    assert_eq!(
        Term::env_value(&env, "AWS_ACCESS_KEY_ID"),
        Some(key),
        "{name}: {env}"
    );
}

/// Keys exported by hand over the session's: left alone, and the shell
/// stops showing (and claiming) the session; unset again, the session
/// comes back at the next prompt.
fn keys_replaced_by_hand_drop_the_segment(sh: Sh) {
    let Some((moto, _)) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    login(&sb, "default", Some("300021"));
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let name = sh.name();
    assert!(t.enter().starts_with("aws:"), "{name}");
    let line = format!(
        "{}; {}",
        sh.export("AWS_ACCESS_KEY_ID", "AKIAHANDEXPORTED0001"),
        sh.export("AWS_SECRET_ACCESS_KEY", "handsecret")
    );
    let (_, _, prompt) = t.run(&line);
    assert!(
        prompt.starts_with("[P]> "),
        "{name}: segment kept: {prompt:?}"
    );
    // Still so at the prompts after it.
    assert!(t.enter().starts_with("[P]> "), "{name}");
    let env = t.env();
    assert_eq!(
        Term::env_value(&env, "AWS_ACCESS_KEY_ID").as_deref(),
        Some("AKIAHANDEXPORTED0001"),
        "{name}: {env}"
    );
    assert_eq!(
        Term::env_value(&env, "AWSESH_PROFILE"),
        None,
        "{name}: {env}"
    );
    assert_eq!(
        Term::env_value(&env, "AWS_CREDENTIAL_EXPIRATION"),
        None,
        "{name}: {env}"
    );
    // Another shell refreshing the session does not overwrite them either.
    login(&sb, "default", Some("300022"));
    assert!(t.enter().starts_with("[P]> "), "{name}");
    let env = t.env();
    assert_eq!(
        Term::env_value(&env, "AWS_ACCESS_KEY_ID").as_deref(),
        Some("AKIAHANDEXPORTED0001"),
        "{name}"
    );
    // Unset: the session is back.
    let unset = match sh {
        Sh::Fish => "set -e AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
        _ => "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
    };
    let (_, _, prompt) = t.run(unset);
    assert!(prompt.starts_with("aws:"), "{name}: {prompt:?}");
    let env = t.env();
    assert_eq!(
        Term::env_value(&env, "AWS_ACCESS_KEY_ID"),
        Some(session_key(&sb, "default")),
        "{name}: {env}"
    );
}

per_shell! {
    every_sdk_uses_the_session: [Bash, Zsh, Fish];
    keys_unset_by_hand_are_exported_again: [Bash, Zsh, Fish];
    keys_replaced_by_hand_drop_the_segment: [Bash, Zsh, Fish];
}
