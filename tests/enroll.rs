//! Issue 11, MFA enrollment from the terminal against moto: the QR code and
//! secret shown on the terminal, two codes computed here from the seed moto
//! returned, the device enabled in IAM (as the real AWS CLI sees it),
//! `mfa_serial` pinned without touching any other byte of the config file,
//! and a login then working with it. Every run is on a fresh pty.

mod support;

use std::fs;
use std::process::{Command, Stdio};

use expectrl::Expect;
use support::keyring::output_within;
use support::{Moto, Pty, Sandbox, finish_pty, moto, spawn_pty, unique_name};

/// A user with keys in a credentials file and a config without `mfa_serial`:
/// (sandbox, user).
fn sandbox_without_device(moto: &Moto, config: &str) -> (Sandbox, String) {
    let user = unique_name("enr");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    sandbox.write_config(config);
    (sandbox, user)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The TOTP code of a Base32 seed at a time, as an authenticator app computes it.
fn totp(seed: &str, at: u64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(seed).expect("a Base32 seed"))
        .build()
        .expect("a valid TOTP")
        .generate(at)
        .to_string()
}

/// Reads the secret shown for manual entry: asked for with `k` at the
/// first code prompt (it is not shown otherwise).
fn shown_seed(pty: &mut Pty) -> String {
    shown_seed_recorded(pty, &mut Vec::new())
}

/// `shown_seed`, adding everything the terminal received to `seen`.
fn shown_seed_recorded(pty: &mut Pty, seen: &mut Vec<u8>) -> String {
    for what in ["Scan this QR code", "First MFA code"] {
        seen.extend_from_slice(pty.expect(what).unwrap().as_bytes());
    }
    shown_seed_after_k(pty, seen)
}

/// At the first code prompt: `k`, and the key it shows.
fn shown_seed_after_k(pty: &mut Pty, seen: &mut Vec<u8>) -> String {
    pty.send_line("k").unwrap();
    seen.extend_from_slice(
        pty.expect("Enter this key by hand (time-based, 6 digits): ")
            .unwrap()
            .as_bytes(),
    );
    let line = pty.expect("\n").unwrap();
    seen.extend_from_slice(line.as_bytes());
    String::from_utf8_lossy(line.before())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Types the current and the next code of the seed; returns them.
fn type_two_codes(pty: &mut Pty, seed: &str) -> [String; 2] {
    let t = now();
    let codes = [totp(seed, t), totp(seed, t + 30)];
    pty.expect("First MFA code").unwrap();
    pty.send_line(&codes[0]).unwrap();
    pty.expect("Next MFA code").unwrap();
    pty.send_line(&codes[1]).unwrap();
    codes
}

fn mfa_devices_in_iam(moto: &Moto, user: &str) -> Vec<String> {
    let out = moto
        .aws_admin(&["iam", "list-mfa-devices", "--user-name", user])
        .expect("list-mfa-devices");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["MFADevices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["SerialNumber"].as_str().unwrap().to_string())
        .collect()
}

/// What the real AWS CLI reads for a key of a profile from the sandbox files.
fn aws_configure_get(sandbox: &Sandbox, key: &str, profile: &str) -> String {
    let mut cmd = Command::new("aws");
    cmd.args(["configure", "get", key, "--profile", profile])
        .env_clear()
        .envs(sandbox.env())
        .stdin(Stdio::null());
    output_within(&mut cmd, 60).1.trim().to_string()
}

const CONFIG: &str = "# my AWS config\r\n[default]\r\nregion = us-east-1 # EU later\r\noutput = json\r\n\r\n[profile other]\r\nregion = eu-west-1\r\nmfa_serial = arn:aws:iam::123456789012:mfa/someone-else";

#[test]
fn enrolling_enables_the_device_pins_mfa_serial_and_a_login_works_with_it() {
    let Some(moto) = moto() else { return };
    let (sandbox, user) = sandbox_without_device(moto, CONFIG);
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll"], &[]);
    let seed = shown_seed(&mut pty);
    assert!(seed.len() >= 16, "a Base32 seed: {seed}");
    let typed = type_two_codes(&mut pty, &seed);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    assert!(output.contains("is enabled and pinned"), "{output}");

    assert_eq!(mfa_devices_in_iam(moto, &user), vec![serial.clone()]);
    // Only a line was added, after the last property of [default].
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        CONFIG.replace(
            "output = json\r\n",
            &format!("output = json\r\nmfa_serial = {serial}\r\n")
        )
    );
    if support::which("aws").is_some() {
        assert_eq!(aws_configure_get(&sandbox, "mfa_serial", "default"), serial);
    }

    // The codes IAM took for the enrollment are spent (AWS refuses them
    // again): awsesh refuses them itself, before any call, and says why.
    for spent in &typed {
        let (code, _, err) = sandbox.run(&["login", "--token-code", spent]);
        assert_ne!(code, 0, "a spent code was sent again: {err}");
        assert!(err.contains("already used"), "{err}");
    }
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        0
    );
    // A login with a later code of the new device, no discovery needed.
    let code_later = totp(&seed, now() + 60);
    let (code, _, err) = sandbox.run(&["login", "--token-code", &code_later]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = sandbox.run(&["status", "--json"]);
    assert!(out.contains(&serial), "session made with the device: {out}");
}

#[test]
fn the_seed_and_qr_code_go_to_the_terminal_only() {
    let Some(moto) = moto() else { return };
    let (sandbox, _) = sandbox_without_device(moto, "[default]\nregion = us-east-1\n");
    // No terminal: nothing is created, and the error says why.
    let err = support::one_line_error(&sandbox, &["mfa", "enroll"], &["terminal"]);
    assert!(!err.contains("otpauth"));
    // On a terminal, stdout and stderr of a redirected run stay empty of it:
    // the pty is /dev/tty, stdout and stderr go to files.
    let out_path = sandbox.path("stdout");
    let err_path = sandbox.path("stderr");
    let script = format!(
        "exec {} mfa enroll >{} 2>{}",
        support::BIN,
        out_path.display(),
        err_path.display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).env_clear().envs(sandbox.env());
    let mut session = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    let seed = shown_seed(&mut session);
    type_two_codes(&mut session, &seed);
    let (code, _) = finish_pty(session);
    assert_eq!(code, 0);
    let stdout = fs::read_to_string(&out_path).unwrap();
    let stderr = fs::read_to_string(&err_path).unwrap();
    assert_eq!(stdout, "");
    assert!(
        !stderr.contains(&seed) && !stderr.contains("otpauth"),
        "{stderr}"
    );
    assert!(stderr.contains("enabled and pinned"), "{stderr}");
}

/// Where `needle` first and last occurs in `hay`.
fn first_and_last(hay: &[u8], needle: &[u8]) -> Option<(usize, usize)> {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    Some((*hits.first()?, *hits.last()?))
}

#[test]
fn the_seed_is_shown_on_the_alternate_screen_and_leaves_it_once_enabled() {
    let Some(moto) = moto() else { return };
    let (sandbox, _) = sandbox_without_device(moto, "[default]\nregion = us-east-1\n");
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll"], &[]);
    let mut seen = Vec::new();
    for what in ["Scan this QR code", "First MFA code"] {
        seen.extend_from_slice(pty.expect(what).unwrap().as_bytes());
    }
    // Everything so far was shown before the key was asked for.
    let key_asked = seen.len();
    let seed = shown_seed_after_k(&mut pty, &mut seen);
    let t = now();
    seen.extend_from_slice(pty.expect("First MFA code").unwrap().as_bytes());
    pty.send_line(totp(&seed, t)).unwrap();
    seen.extend_from_slice(pty.expect("Next MFA code").unwrap().as_bytes());
    pty.send_line(totp(&seed, t + 30)).unwrap();
    let (code, rest) = finish_pty(pty);
    seen.extend_from_slice(rest.as_bytes());
    assert_eq!(code, 0, "{rest}");

    let enter = first_and_last(&seen, b"\x1b[?1049h").expect("the alternate screen");
    let leave = first_and_last(&seen, b"\x1b[?1049l").expect("the main screen back");
    let qr = first_and_last(&seen, "Scan this QR code".as_bytes()).unwrap();
    let grouped = seed
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let key = first_and_last(&seen, grouped.as_bytes()).expect("the key, when asked");
    let done = first_and_last(&seen, b"enabled and pinned").expect("the report");
    assert!(enter.1 < qr.0, "the QR code only on the alternate screen");
    assert!(key.0 >= key_asked, "the key only once asked for with k");
    assert!(
        qr.1 < leave.0 && key.1 < leave.0,
        "the main screen comes back after the last sight of the seed"
    );
    assert!(leave.1 < done.0, "and before the report line");
    let leave_seq = b"\x1b[H\x1b[2J\x1b[?1049l";
    assert!(
        first_and_last(&seen, leave_seq).is_some(),
        "the alternate screen is cleared as it is left"
    );
}

#[test]
fn a_device_left_unenabled_is_reused_or_replaced_with_consent() {
    let Some(moto) = moto() else { return };
    let (sandbox, user) = sandbox_without_device(moto, "[default]\nregion = us-east-1\n");
    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");

    // An enrollment stopped at the first code (Ctrl-D): the device exists,
    // not enabled, nothing pinned.
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll"], &[]);
    let first_seed = shown_seed(&mut pty);
    pty.expect("First MFA code").unwrap();
    pty.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    let (code, _) = finish_pty(pty);
    assert_eq!(code, 130, "cancelled");
    assert!(mfa_devices_in_iam(moto, &user).is_empty());
    assert!(
        !fs::read_to_string(sandbox.config_path())
            .unwrap()
            .contains("mfa_serial")
    );

    // Quitting at the question changes nothing.
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll"], &[]);
    pty.expect("exists in IAM but is not enabled").unwrap();
    pty.expect("[r/n/q]").unwrap();
    pty.send_line("q").unwrap();
    assert_eq!(finish_pty(pty).0, 130);
    assert!(mfa_devices_in_iam(moto, &user).is_empty());

    // "new": the device is replaced, a different seed shown.
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll"], &[]);
    pty.expect("[r/n/q]").unwrap();
    pty.send_line("n").unwrap();
    let second_seed = shown_seed(&mut pty);
    assert_ne!(second_seed, first_seed, "a new device, a new seed");
    pty.expect("First MFA code").unwrap();
    pty.send(expectrl::ControlCode::EndOfTransmission).unwrap();
    assert_eq!(finish_pty(pty).0, 130);

    // "reuse" (the flag, this time): no new QR code, the app's codes enable it.
    let mut pty = spawn_pty(&sandbox, &["mfa", "enroll", "--reuse"], &[]);
    type_two_codes(&mut pty, &second_seed);
    let (code, output) = finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains("Scan this QR code"), "{output}");
    assert_eq!(mfa_devices_in_iam(moto, &user), vec![serial.clone()]);
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("[default]\nregion = us-east-1\nmfa_serial = {serial}\n")
    );

    // Enrolled already: nothing to do, no terminal needed.
    let (code, _, err) = sandbox.run(&["mfa", "enroll"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("already uses MFA device"), "{err}");
}

#[test]
fn a_device_enabled_elsewhere_is_pinned_without_a_new_one() {
    let Some(moto) = moto() else { return };
    let (sandbox, user) = sandbox_without_device(moto, "[default]\nregion = us-east-1\n");
    let serial = moto.add_mfa_device(&user);
    let serial = serial.as_str();
    let (code, _, err) = sandbox.run(&["mfa", "enroll"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("already has MFA device"), "{err}");
    assert_eq!(mfa_devices_in_iam(moto, &user), vec![serial.to_string()]);
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("[default]\nregion = us-east-1\nmfa_serial = {serial}\n")
    );
}
