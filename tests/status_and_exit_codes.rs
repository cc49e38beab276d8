//! `awsesh status` (one profile, `--all`, `--json`) and the exit-status table
//! of the README, against a moto server and config files as people write
//! them: 0 valid, 1 error, 2 usage, 3 not awsesh's profile, 4 no or expired
//! session, 130 cancelled; `prompt` always 0.

mod support;

use std::fs;

use serde_json::Value;
use support::{Moto, Sandbox, moto, unique_name};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn create_role(moto: &Moto, name: &str) -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let out = moto
        .aws_admin(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--assume-role-policy-document",
            trust,
        ])
        .expect("iam create-role");
    json(&out)["Role"]["Arn"].as_str().unwrap().to_string()
}

/// Rewrites a profile's cached session so that it expired an hour ago, under
/// the name `as_profile` (its cache key is the profile name as awsesh
/// escapes it; these names need no escaping).
fn plant_expired_session(sb: &Sandbox, from_profile: &str, as_profile: &str) {
    let from = sb.store_dir().join(format!("p-{from_profile}.session"));
    let text = fs::read_to_string(&from).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    let mut session = json(body);
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let past = past.replace_nanosecond(0).unwrap();
    session["profile"] = as_profile.into();
    session["expiration"] = past
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .into();
    let to = sb.store_dir().join(format!("p-{as_profile}.session"));
    fs::write(&to, format!("{}\n{session}\n", past.unix_timestamp())).unwrap();
    fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

fn ok(sb: &Sandbox, args: &[&str]) -> String {
    let (code, out, err) = sb.run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Every configured profile with its state, sessions of profiles no longer
/// configured too; `[sso-session]` is not a profile.
#[test]
fn status_all_lists_every_profile_with_its_state() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let role_arn = create_role(moto, &unique_name("admin"));
    let old_user = unique_name("old");
    let (old_key, old_secret) = moto.create_user_with_key(&old_user);
    sb.append_config(&format!(
        "
# the admin role in prod
[profile prod-admin]
role_arn = {role_arn}
source_profile = default
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile sso-dev]
sso_session = corp

[profile ec2]
credential_source = Ec2InstanceMetadata

[profile web]
role_arn = arn:aws:iam::123456789012:role/Web
web_identity_token_file = /var/run/secrets/token

[profile lapsed]
mfa_serial = {serial}
",
        serial = sb.mfa_serial
    ));
    let config = fs::read_to_string(sb.config_path()).unwrap();
    let credentials = format!(
        "{}\n# keys only here\n[ci-bot]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\n\
         aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n",
        fs::read_to_string(sb.credentials_path()).unwrap()
    );
    sb.append_config(&format!(
        "\n[profile old]\nmfa_serial = arn:aws:iam::123456789012:mfa/{old_user}\n"
    ));
    sb.write_credentials(&format!(
        "{credentials}\n[old]\naws_access_key_id = {old_key}\naws_secret_access_key = {old_secret}\n"
    ));
    ok(&sb, &["login", "--token-code", "100001"]);
    ok(&sb, &["login", "--profile", "prod-admin"]);
    ok(
        &sb,
        &["login", "--profile", "old", "--token-code", "100002"],
    );
    plant_expired_session(&sb, "default", "lapsed");
    // `old` leaves the files; its session stays.
    sb.write_config(&config);
    sb.write_credentials(&credentials);

    let list = json(&ok(&sb, &["status", "--all", "--json"]));
    let list = list.as_array().expect("an array");
    let by_name = |name: &str| -> &Value {
        list.iter()
            .find(|e| e["profile"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {list:#?}"))
    };
    let names: Vec<&str> = list
        .iter()
        .map(|e| e["profile"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ci-bot",
            "default",
            "ec2",
            "lapsed",
            "old",
            "prod-admin",
            "sso-dev",
            "web"
        ],
        "sorted, every profile once, no sso-session"
    );
    let expect = |name: &str, kind: &str, state: &str, configured: bool| {
        let e = by_name(name);
        assert_eq!(
            (
                e["kind"].as_str(),
                e["state"].as_str(),
                e["configured"].as_bool()
            ),
            (Some(kind), Some(state), Some(configured)),
            "{name}: {e:#}"
        );
        e
    };
    let e = expect("default", "mfa", "valid", true);
    assert!(
        (43_000..=43_200).contains(&e["seconds_left"].as_i64().unwrap()),
        "{e}"
    );
    assert_eq!(e["mfa_serial"], sb.mfa_serial.as_str());
    assert!(e["expiration"].as_str().unwrap().ends_with('Z'), "{e}");
    let e = expect("prod-admin", "role", "valid", true);
    assert_eq!(e["role_arn"], role_arn.as_str());
    let e = expect("ci-bot", "mfa", "none", true);
    assert!(
        e["expiration"].is_null() && e["seconds_left"].is_null(),
        "{e}"
    );
    let e = expect("lapsed", "mfa", "expired", true);
    assert_eq!(
        (e["seconds_left"].as_i64(), e["time_left"].as_str()),
        (Some(0), Some("expired"))
    );
    expect("old", "mfa", "valid", false);
    for (name, key) in [
        ("sso-dev", "sso_session"),
        ("ec2", "credential_source"),
        ("web", "web_identity_token_file"),
    ] {
        let e = expect(name, "other", "not_awsesh", true);
        assert_eq!(e["sign_in"], key, "{e}");
    }
    // Every object has every key of the documented schema.
    for e in list {
        for key in [
            "profile",
            "configured",
            "kind",
            "sign_in",
            "role_arn",
            "mfa_serial",
            "state",
            "expiration",
            "expires_at_local",
            "seconds_left",
            "time_left",
        ] {
            assert!(e.get(key).is_some(), "{key} missing: {e}");
        }
    }

    // The table says the same in words.
    let table = ok(&sb, &["status", "--all"]);
    let row = |name: &str| -> String {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
            .to_string()
    };
    assert!(
        table.lines().next().unwrap().starts_with("PROFILE"),
        "{table}"
    );
    assert!(
        row("default").contains(" valid ") && row("default").contains("h"),
        "{table}"
    );
    assert!(
        row("prod-admin").contains(" valid ") && row("prod-admin").contains("role "),
        "{table}"
    );
    assert!(row("ci-bot").contains(" none "), "{table}");
    assert!(row("lapsed").contains(" expired "), "{table}");
    assert!(row("old").contains("no longer configured"), "{table}");
    assert!(
        row("sso-dev").contains("not awsesh's") && row("sso-dev").contains("sso_session"),
        "{table}"
    );
    assert!(
        !table.contains("corp"),
        "an sso-session is not a profile:\n{table}"
    );
}

/// One status per run: what it exits with, in each state, and what it says.
#[test]
fn exit_status_follows_the_table() {
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    sb.append_config(
        "\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile sso-dev]\nsso_session = corp\n\
         [profile ci-web]\nrole_arn = arn:aws:iam::333333333333:role/CI\nweb_identity_token_file = /nonexistent/token\n\
         [profile ci-next]\nrole_arn = arn:aws:iam::333333333333:role/Next\nsource_profile = ci-web\n",
    );
    let code = |args: &[&str]| sb.run(args).0;

    // No session yet: 4, a line that says how to start one, nothing on stdout.
    for args in [&["status"][..], &["env"]] {
        let err = support::one_line_error(
            &sb,
            args,
            &["no valid session", "`awsesh login --profile default`"],
        );
        assert_eq!(code(args), 4, "{args:?}: {err}");
    }
    let (c, out, _) = sb.run(&["status", "--json"]);
    assert_eq!((c, json(&out)["state"].as_str()), (4, Some("none")));

    // A profile that does not exist: not configured, how to add it; 1.
    for args in [
        &["status", "--profile", "nosuch"][..],
        &["env", "--profile", "nosuch"],
    ] {
        let err = support::one_line_error(
            &sb,
            args,
            &[
                "profile `nosuch` is not in",
                "not configured",
                "awsesh setup --profile nosuch",
            ],
        );
        assert!(
            !err.contains("awsesh login"),
            "suggests a login that fails: {err}"
        );
        assert!(!err.contains("did you mean"), "nothing is close: {err}");
        assert_eq!(code(args), 1);
    }
    // A typo or another case: the configured name that was meant.
    for (typed, meant) in [
        ("defualt", "default"),
        ("SSO-DEV", "sso-dev"),
        ("sso-de", "sso-dev"),
    ] {
        support::one_line_error(
            &sb,
            &["env", "--profile", typed],
            &[
                &format!("(did you mean `{meant}`?)"),
                &format!("awsesh setup --profile {typed}"),
            ],
        );
    }
    let err = support::one_line_error(&sb, &["status", "--profile", "two words"], &["'two words'"]);
    assert!(err.contains("awsesh setup --profile 'two words'"), "{err}");

    // Not awsesh's: 3, in every form.
    for args in [
        &["status", "--profile", "sso-dev"][..],
        &["env", "--profile", "sso-dev"],
    ] {
        support::one_line_error(&sb, args, &["sso-dev", "sso_session"]);
        assert_eq!(code(args), 3, "{args:?}");
    }
    // A role whose source signs in another way is not awsesh's either.
    for args in [
        &["status", "--profile", "ci-next"][..],
        &["env", "--profile", "ci-next"],
        &["login", "--profile", "ci-next"],
    ] {
        support::one_line_error(&sb, args, &["ci-web", "web_identity_token_file"]);
        assert_eq!(code(args), 3, "{args:?}");
    }
    let (c, out, _) = sb.run(&["status", "--profile", "sso-dev", "--json"]);
    assert_eq!((c, json(&out)["state"].as_str()), (3, Some("not_awsesh")));

    // A valid session: 0.
    ok(&sb, &["login", "--token-code", "100003"]);
    assert!(ok(&sb, &["status"]).contains("time left:   1"));
    ok(&sb, &["env"]);

    // Expired: 4 for status (which still shows it) and env.
    plant_expired_session(&sb, "default", "default");
    let (c, out, err) = sb.run(&["status"]);
    assert_eq!(c, 4, "{err}");
    assert!(out.contains("time left:   expired"), "{out}");
    assert!(
        err.contains("expired") && err.contains("awsesh login --profile default"),
        "{err}"
    );
    let (c, out, _) = sb.run(&["status", "--json"]);
    assert_eq!((c, json(&out)["state"].as_str()), (4, Some("expired")));
    support::one_line_error(&sb, &["env"], &["awsesh login --profile default"]);
    assert_eq!(code(&["env"]), 4);

    // --all: 0 whatever the states (the list says them).
    assert_eq!(code(&["status", "--all"]), 0);
    assert_eq!(code(&["status", "--all", "--json"]), 0);

    // prompt feeds a prompt: always 0.
    for args in [
        &["prompt"][..],
        &["prompt", "--profile", "nosuch"],
        &["prompt", "--profile", "sso-dev"],
    ] {
        assert_eq!(code(args), 0, "{args:?}");
    }

    // A wrong command line: 2.
    for args in [
        &["status", "--bogus"][..],
        &["status", "--all", "--profile", "default"],
        &["env", "--shell", "pwsh"],
        &["frobnicate"],
    ] {
        assert_eq!(code(args), 2, "{args:?}");
    }
}

/// Ctrl-C at the code prompt: 130, as a shell reports it.
#[test]
fn cancelled_is_130() {
    use expectrl::Expect as _;
    let Some(moto) = moto() else { return };
    let sb = Sandbox::new(moto);
    let mut login = support::spawn_pty(&sb, &["login"], &[]);
    login.expect("MFA code").unwrap();
    login.send("\x03").unwrap();
    let (status, out) = support::finish_pty(login);
    assert_eq!(status, 130, "{out}");
}

#[test]
fn login_help_says_a_valid_session_is_kept_unless_force() {
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    let help = ok(&sb, &["login", "--help"]);
    assert!(
        help.contains("still-valid cached one is kept unless --force"),
        "{help}"
    );
    assert!(!help.contains("replacing the cached one"), "{help}");
    let overview = ok(&sb, &["--help"]);
    assert!(overview.contains("kept unless --force"), "{overview}");
}
