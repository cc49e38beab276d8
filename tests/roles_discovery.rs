//! Issue 4 against a real moto server: MFA-protected role profiles (one code
//! per source session, silent role refresh, long role sessions with the code
//! itself), MFA device discovery through IAM, and codes from `mfa_process` or
//! `TOTP_CODE` with no terminal at all (every `Sandbox::run` is under setsid
//! with stdin from /dev/null).

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use expectrl::Expect;
use support::{Moto, OutputInTime, Sandbox, moto, one_line_error, unique_name};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Creates a role anyone in the account may assume; returns its ARN.
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
            "--max-session-duration",
            "43200",
        ])
        .expect("iam create-role");
    json(&out)["Role"]["Arn"].as_str().unwrap().to_string()
}

/// An `mfa_process` that counts its runs and prints a new code each time
/// (the same code twice within 90 s is refused by design).
fn counting_process(sandbox: &Sandbox) -> (String, PathBuf) {
    let script = sandbox.path("mfa-process.sh");
    let counter = sandbox.path("mfa-process.count");
    fs::write(
        &script,
        "#!/bin/sh\necho run >> \"$1\"\nn=$(wc -l < \"$1\")\nprintf '%06d\\n' $((123400 + n))\n",
    )
    .unwrap();
    (
        format!("sh {} {}", script.display(), counter.display()),
        counter,
    )
}

fn runs(counter: &PathBuf) -> usize {
    fs::read_to_string(counter)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// A sandbox whose default profile has keys, a device and `mfa_process`.
fn with_process(moto: &Moto) -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new(moto);
    let (process, counter) = counting_process(&sandbox);
    sandbox.write_config(&format!(
        "[default]\nregion = us-east-1\nmfa_serial = {}\nmfa_process = {process}\n",
        sandbox.mfa_serial
    ));
    (sandbox, counter)
}

/// The ARN the real aws CLI sees when run through `awsesh exec`.
fn caller_arn(sandbox: &Sandbox, profile: &str) -> String {
    let (code, out, err) = sandbox.run(&[
        "exec",
        "--profile",
        profile,
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "exec --profile {profile}: {err}");
    json(&out)["Arn"].as_str().unwrap().to_string()
}

fn env_json(sandbox: &Sandbox, profile: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = sandbox.awsesh(&["env", "--ensure", "--shell", "json", "--profile", profile]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "env --ensure --profile {profile}: {err}"
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

/// Recorded request bodies of `action` signed with `access_key_id`.
fn recorded_bodies(moto: &Moto, action: &str, access_key_id: &str) -> Vec<String> {
    let Ok(file) = fs::File::open(&moto.recording) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
        .filter(|e| {
            e["headers"]["Authorization"]
                .as_str()
                .unwrap_or("")
                .contains(&format!("Credential={access_key_id}/"))
        })
        .map(|e| {
            let body = e["body"].as_str().unwrap_or("").to_string();
            if e["body_encoded"].as_bool().unwrap_or(false) {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(&body)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            } else {
                body
            }
        })
        .filter(|body| body.contains(&format!("Action={action}&")))
        .collect()
}

#[test]
fn a_role_profile_takes_one_code_and_a_second_role_none() {
    let Some(moto) = moto() else { return };
    let (sandbox, counter) = with_process(moto);
    let role_a = unique_name("roleA");
    let role_b = unique_name("roleB");
    let arn_a = create_role(moto, &role_a);
    let arn_b = create_role(moto, &role_b);
    sandbox.append_config(&format!(
        "[profile ra]\nrole_arn = {arn_a}\nsource_profile = default\nregion = us-east-1\n\
         [profile rb]\nrole_arn = {arn_b}\nsource_profile = default\nregion = us-east-1\n\
         role_session_name = alice@example.com\n"
    ));

    // One code (from mfa_process: no terminal here), then the assumed role.
    let arn = caller_arn(&sandbox, "ra");
    assert!(
        arn.starts_with(&format!(
            "arn:aws:sts::123456789012:assumed-role/{role_a}/awsesh-"
        )),
        "{arn}"
    );
    assert_eq!(runs(&counter), 1);
    // A second role on the same source profile: no second code.
    assert_eq!(
        caller_arn(&sandbox, "rb"),
        format!("arn:aws:sts::123456789012:assumed-role/{role_b}/alice@example.com")
    );
    assert_eq!(runs(&counter), 1, "the source session serves both roles");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );

    // Each role is cached under its own key; the source session under its own.
    for key in ["p-ra", "p-rb", "p-default"] {
        assert!(sandbox.store_dir().join(format!("{key}.session")).exists());
    }
    // The role session: a 1-hour session with the source profile's device.
    let (code, out, err) = sandbox.run(&["status", "--profile", "ra", "--json"]);
    assert_eq!(code, 0, "{err}");
    let status = json(&out);
    let left = status["seconds_left"].as_i64().unwrap();
    assert!((3_300..=3_600).contains(&left), "{left}");
    assert_eq!(status["mfa_serial"], sandbox.mfa_serial.as_str());
    assert_eq!(status["role_arn"], arn_a.as_str());
    // The prompt shows the role session's time left, not the source's.
    let (_, out, _) = sandbox.run(&["prompt", "--profile", "ra"]);
    assert!(out.trim() == "59m" || out.trim() == "1h00m", "{out}");
    let (_, out, _) = sandbox.run(&["prompt", "--profile", "default"]);
    assert!(
        out.trim().starts_with("11h") || out.trim() == "12h00m",
        "{out}"
    );

    // env, credential-process and hook-sync read the role's cache too.
    let env = env_json(&sandbox, "ra", &[]);
    assert!(
        env["AWS_ACCESS_KEY_ID"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(env["AWSESH_PROFILE"], "ra");
    let (code, out, err) = sandbox.run(&["credential-process", "--profile", "rb"]);
    assert_eq!(code, 0, "{err}");
    let process = json(&out);
    assert_eq!(process["Version"], 1);
    assert!(process["Expiration"].as_str().unwrap().ends_with('Z'));
    let (code, out, _) = sandbox.run(&["hook-sync", "--profile", "ra", "--shell", "bash"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(env["AWS_ACCESS_KEY_ID"].as_str().unwrap()),
        "{out}"
    );
    assert_eq!(runs(&counter), 1);

    // A role whose source profile is itself a role: chained, still no code.
    sandbox.append_config(&format!(
        "[profile rc]\nrole_arn = {arn_b}\nsource_profile = ra\nregion = us-east-1\n"
    ));
    assert!(caller_arn(&sandbox, "rc").contains(&format!("assumed-role/{role_b}/awsesh-")));
    assert_eq!(runs(&counter), 1);
}

#[test]
fn role_credentials_are_refreshed_without_a_code_while_the_source_session_lives() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let role = unique_name("roleR");
    let arn = create_role(moto, &role);
    sandbox.append_config(&format!(
        "[profile r]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 900\n"
    ));
    // A margin one second short of the 15-minute role session: stale a second
    // after it starts, while the 12-hour source session stays fresh.
    let margin = ("AWSESH_REFRESH_MARGIN", "899");
    let a_second = || std::thread::sleep(std::time::Duration::from_millis(1100));
    let first = env_json(&sandbox, "r", &[margin, ("TOTP_CODE", "135790")]);
    a_second();
    // No code source at all now — no flag, no env, no mfa_process, no terminal.
    let second = env_json(&sandbox, "r", &[margin]);
    a_second();
    let third = env_json(&sandbox, "r", &[margin]);
    let keys: Vec<&str> = [&first, &second, &third]
        .iter()
        .map(|e| e["AWS_ACCESS_KEY_ID"].as_str().unwrap())
        .collect();
    assert!(keys[0] != keys[1] && keys[1] != keys[2], "{keys:?}");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
    // Without the margin the role session is fresh and simply reused.
    let fourth = env_json(&sandbox, "r", &[]);
    assert_eq!(fourth["AWS_ACCESS_KEY_ID"], third["AWS_ACCESS_KEY_ID"]);

    // Once the source session is gone, a code is needed again, and without a
    // terminal that fails at once with a pointer to `awsesh login`.
    let (code, _, _) = sandbox.run(&["logout", "--profile", "default"]);
    assert_eq!(code, 0);
    a_second();
    let mut cmd = sandbox.awsesh(&["env", "--ensure", "--profile", "r"]);
    cmd.env("AWSESH_REFRESH_MARGIN", "899");
    let out = cmd.output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no terminal") && err.contains("awsesh login"),
        "{err}"
    );
    // The role's cached session was not touched by the failure.
    assert!(sandbox.store_dir().join("p-r.session").exists());
}

#[test]
fn a_role_session_over_an_hour_is_assumed_with_the_code_itself() {
    let Some(moto) = moto() else { return };
    let (sandbox, counter) = with_process(moto);
    let role = unique_name("roleL");
    let arn = create_role(moto, &role);
    sandbox.append_config(&format!(
        "[profile long]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 7200\n\
         region = us-east-1\n\
         external_id = ext-42\n"
    ));
    assert!(caller_arn(&sandbox, "long").contains(&format!("assumed-role/{role}/")));
    assert_eq!(runs(&counter), 1);
    let (_, out, _) = sandbox.run(&["status", "--profile", "long", "--json"]);
    let left = json(&out)["seconds_left"].as_i64().unwrap();
    assert!((6_900..=7_200).contains(&left), "{left}");
    // AssumeRole signed with the long-term keys, carrying device and code;
    // no GetSessionToken and no source session.
    let bodies = recorded_bodies(moto, "AssumeRole", &sandbox.access_key_id);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let serial = sandbox.mfa_serial.replace(':', "%3A").replace('/', "%2F");
    for part in [
        format!("SerialNumber={serial}"),
        "TokenCode=123401".to_string(),
        "DurationSeconds=7200".to_string(),
        "ExternalId=ext-42".to_string(),
    ] {
        assert!(bodies[0].contains(&part), "{part} in {}", bodies[0]);
    }
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        0
    );
    assert!(!sandbox.store_dir().join("p-default.session").exists());

    // `login --duration` above an hour takes the same path for any role profile.
    sandbox.append_config(&format!(
        "[profile short]\nrole_arn = {arn}\nsource_profile = default\n"
    ));
    let (code, _, err) = sandbox.run(&["login", "--profile", "short", "--duration", "2h"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs(&counter), 2);
    assert_eq!(
        recorded_bodies(moto, "AssumeRole", &sandbox.access_key_id).len(),
        2
    );
}

#[test]
fn role_profile_mistakes_are_one_clear_line() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let arn = create_role(moto, &unique_name("roleE"));
    sandbox.append_config(&format!(
        "[profile nosource]\nrole_arn = {arn}\n\
         [profile toolong]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 50000\n\
         [profile loop]\nrole_arn = {arn}\nsource_profile = loop\n\
         [profile badname]\nrole_arn = {arn}\nsource_profile = default\nrole_session_name = a b\n\
         [profile ghost]\nrole_arn = {arn}\nsource_profile = nowhere\n"
    ));
    let code = ["--token-code", "123456"];
    let run = |profile: &str, expect: &[&str]| {
        let mut args = vec!["login", "--profile", profile];
        args.extend_from_slice(&code);
        one_line_error(&sandbox, &args, expect);
    };
    run("nosource", &["source_profile", "[profile nosource]"]);
    run("toolong", &["50000", "duration_seconds"]);
    run("loop", &["loops"]);
    run("badname", &["role_session_name"]);
    run("ghost", &["profile `nowhere`"]);
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        0
    );
}

/// A sandbox for a fresh IAM user whose profile names no MFA device.
fn without_mfa_serial(moto: &Moto, user: &str) -> Sandbox {
    let (access_key_id, secret) = moto.create_user_with_key(user);
    let sandbox = Sandbox::empty(&moto.endpoint, &access_key_id, "");
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n"
    ));
    sandbox.write_config("[default]\nregion = us-east-1\n");
    sandbox
}

#[test]
fn the_mfa_device_is_discovered_through_iam_and_remembered() {
    let Some(moto) = moto() else { return };
    let user = unique_name("disco");
    let sandbox = without_mfa_serial(moto, &user);
    let serial = moto.add_mfa_device(&user);
    let config_home = sandbox.path("xdg-config");

    let login = |code: &str| {
        let out = sandbox
            .awsesh(&["login", "--force"])
            .env("TOTP_CODE", code)
            .env("XDG_CONFIG_HOME", &config_home)
            .output_in_time();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let err = login("111111");
    assert!(
        err.contains(&format!("found MFA device {serial}"))
            && err.contains(&format!("`mfa_serial = {serial}`"))
            && err.contains("[default]"),
        "{err}"
    );
    let (_, out, _) = sandbox.run(&["status", "--json"]);
    assert_eq!(json(&out)["mfa_serial"], serial.as_str());

    // Remembered (not a secret, still private) under XDG_CONFIG_HOME.
    let memory = config_home.join("awsesh/mfa-devices.json");
    let text = fs::read_to_string(&memory).unwrap();
    assert!(
        text.contains(&serial) && text.contains(&sandbox.access_key_id),
        "{text}"
    );
    assert_eq!(support::mode_of(&memory), 0o600);
    assert!(!text.contains("SecretAccessKey") && !text.contains("session_token"));

    // The next login asks IAM nothing and says nothing about the device.
    let err = login("222222");
    assert!(!err.contains("found MFA device"), "{err}");
    assert_eq!(
        moto.count_calls("ListMFADevices", &sandbox.access_key_id),
        1
    );
    assert_eq!(moto.count_calls("GetUser", &sandbox.access_key_id), 1);
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        2
    );

    // A role whose source profile has no mfa_serial uses the same device.
    let role = unique_name("roleD");
    let arn = create_role(moto, &role);
    sandbox.append_config(&format!(
        "[profile r]\nrole_arn = {arn}\nsource_profile = default\n"
    ));
    let mut cmd = sandbox.awsesh(&["status", "--profile", "r", "--json"]);
    cmd.env("XDG_CONFIG_HOME", &config_home);
    let env = env_json(
        &sandbox,
        "r",
        &[("XDG_CONFIG_HOME", config_home.to_str().unwrap())],
    );
    assert!(
        env["AWS_ACCESS_KEY_ID"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    let out = cmd.output_in_time();
    assert_eq!(
        json(&String::from_utf8_lossy(&out.stdout))["mfa_serial"],
        serial.as_str()
    );

    // doctor follows the role to its source profile's keys and device,
    // which it reports as remembered.
    let out = sandbox
        .awsesh(&["doctor", "--profile", "r"])
        .env("XDG_CONFIG_HOME", &config_home)
        .output_in_time();
    let out = String::from_utf8_lossy(&out.stdout);
    for line in [
        format!("ok    role {arn} through source profile default"),
        format!("ok    MFA device {serial} (remembered: found through IAM earlier"),
        format!("ok    long-term keys found ({})", sandbox.access_key_id),
    ] {
        assert!(out.contains(&line), "{line} in {out}");
    }
}

#[test]
fn several_devices_or_none_are_explained() {
    let Some(moto) = moto() else { return };
    let user = unique_name("many");
    let sandbox = without_mfa_serial(moto, &user);
    let first = moto.add_mfa_device(&user);
    let second = moto.add_mfa_device(&user);
    one_line_error(
        &sandbox,
        &["login", "--token-code", "123456"],
        &[
            &first,
            &second,
            "several MFA devices",
            "mfa_serial =",
            "[default]",
        ],
    );

    let user = unique_name("none");
    let sandbox = without_mfa_serial(moto, &user);
    let err = one_line_error(
        &sandbox,
        &["login", "--token-code", "123456"],
        &["has no MFA device", "awsesh mfa enroll"],
    );
    assert!(err.contains(&user), "{err}");
    // Nothing was sent to STS, nothing remembered.
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        0
    );
    assert!(
        !sandbox
            .home
            .join(".config/awsesh/mfa-devices.json")
            .exists()
    );
}

#[test]
fn mfa_process_and_totp_code_work_without_any_terminal() {
    let Some(moto) = moto() else { return };
    let (sandbox, counter) = with_process(moto);
    // No terminal: setsid, stdin from /dev/null. The code comes from the command.
    let (code, _, err) = sandbox.run(&["login"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(runs(&counter), 1);
    let bodies = recorded_bodies(moto, "GetSessionToken", &sandbox.access_key_id);
    assert!(bodies[0].contains("TokenCode=123401"), "{bodies:?}");

    // TOTP_CODE (the team's script's variable) wins over mfa_process.
    let out = sandbox
        .awsesh(&["login", "--force"])
        .env("TOTP_CODE", "246802")
        .output_in_time();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(runs(&counter), 1);
    let bodies = recorded_bodies(moto, "GetSessionToken", &sandbox.access_key_id);
    assert!(bodies[1].contains("TokenCode=246802"), "{bodies:?}");

    // A failing command: its stderr is shown, on one line, nothing sent.
    let set_process = |process: &str| {
        sandbox.write_config(&format!(
            "[default]\nregion = us-east-1\nmfa_serial = {}\nmfa_process = {process}\n",
            sandbox.mfa_serial
        ));
    };
    // (A script: words of the command line itself are hidden in messages.)
    let failing = sandbox.path("ykman-fails.sh");
    fs::write(
        &failing,
        "#!/bin/sh\necho 'yubikey not inserted' >&2\nexit 2\n",
    )
    .unwrap();
    fs::set_permissions(
        &failing,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    set_process(failing.to_str().unwrap());
    one_line_error(
        &sandbox,
        &["login", "--force"],
        &["mfa_process", "yubikey not inserted"],
    );
    set_process("exec sleep 20");
    let started = std::time::Instant::now();
    let out = sandbox
        .awsesh(&["login", "--force"])
        .env("AWSESH_MFA_PROCESS_TIMEOUT", "1s")
        .output_in_time();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("timed out after 1 s"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    set_process("echo hello");
    one_line_error(&sandbox, &["login", "--force"], &["mfa_process", "6-digit"]);
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        2
    );
}

#[test]
fn one_prompt_on_the_terminal_serves_two_roles() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let arn_a = create_role(moto, &unique_name("roleTa"));
    let arn_b = create_role(moto, &unique_name("roleTb"));
    sandbox.append_config(&format!(
        "[profile ta]\nrole_arn = {arn_a}\nsource_profile = default\n\
         [profile tb]\nrole_arn = {arn_b}\nsource_profile = default\n"
    ));
    let mut pty = support::spawn_pty(&sandbox, &["login", "--profile", "ta"], &[]);
    pty.expect("MFA code").unwrap();
    pty.send_line("123456").unwrap();
    let (code, out) = support::finish_pty(pty);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("session for profile ta started"), "{out}");

    // The second role, on a terminal too: no prompt at all.
    let pty = support::spawn_pty(&sandbox, &["login", "--profile", "tb"], &[]);
    let (code, out) = support::finish_pty(pty);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("MFA code"), "{out}");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

#[test]
fn roles_refreshed_at_once_share_one_code() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (_, counter) = counting_process(&sandbox);
    // A slow code source, so the processes overlap.
    let script = sandbox.path("slow.sh");
    fs::write(
        &script,
        format!(
            "sleep 1\nexec sh {} {}\n",
            sandbox.path("mfa-process.sh").display(),
            counter.display()
        ),
    )
    .unwrap();
    sandbox.write_config(&format!(
        "[default]\nregion = us-east-1\nmfa_serial = {}\nmfa_process = sh {}\n",
        sandbox.mfa_serial,
        script.display()
    ));
    let arn_a = create_role(moto, &unique_name("roleCa"));
    let arn_b = create_role(moto, &unique_name("roleCb"));
    sandbox.append_config(&format!(
        "[profile ca]\nrole_arn = {arn_a}\nsource_profile = default\n\
         [profile cb]\nrole_arn = {arn_b}\nsource_profile = default\n"
    ));
    let children: Vec<_> = ["ca", "cb", "ca", "cb", "default"]
        .iter()
        .map(|p| {
            let mut cmd = sandbox.awsesh(&["env", "--ensure", "--profile", p]);
            std::thread::spawn(move || cmd.output_in_time())
        })
        .collect();
    for child in children {
        let out = child.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(runs(&counter), 1);
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

#[test]
fn mfa_serial_on_the_role_profile_as_the_aws_cli_expects_it() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let arn = create_role(moto, &unique_name("roleM"));
    // The AWS CLI's usual layout: the device named on the role profile only.
    sandbox.write_config(&format!(
        "[default]\nregion = us-east-1\n\
         [profile admin]\nrole_arn = {arn}\nsource_profile = default\nmfa_serial = {}\n",
        sandbox.mfa_serial
    ));
    let first = env_json(&sandbox, "admin", &[("TOTP_CODE", "112233")]);
    let again = env_json(&sandbox, "admin", &[]);
    assert_eq!(first["AWS_ACCESS_KEY_ID"], again["AWS_ACCESS_KEY_ID"]);
    for profile in ["admin", "default"] {
        let (_, out, _) = sandbox.run(&["status", "--profile", profile, "--json"]);
        assert_eq!(
            json(&out)["mfa_serial"],
            sandbox.mfa_serial.as_str(),
            "{profile}"
        );
    }
    // No discovery: the role profile named the device.
    assert_eq!(
        moto.count_calls("ListMFADevices", &sandbox.access_key_id),
        0
    );

    // A role naming another device than its source still reuses its session.
    sandbox.append_config(&format!(
        "[profile other]\nrole_arn = {arn}\nsource_profile = admin_src\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/other-device\n\
         [profile admin_src]\nregion = us-east-1\nmfa_serial = {}\n",
        sandbox.mfa_serial
    ));
    let creds = fs::read_to_string(sandbox.credentials_path()).unwrap();
    sandbox.write_credentials(&format!(
        "{creds}\n[admin_src]\n{}",
        creds.lines().skip(1).collect::<Vec<_>>().join("\n")
    ));
    let first = env_json(&sandbox, "other", &[("TOTP_CODE", "445566")]);
    let again = env_json(&sandbox, "other", &[]);
    assert_eq!(first["AWS_ACCESS_KEY_ID"], again["AWS_ACCESS_KEY_ID"]);
}
