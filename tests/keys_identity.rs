//! Issue 19, keyring items of one set of AWS files and one IAM identity,
//! against a real Secret Service (gnome-keyring-daemon on a private bus) and
//! moto: two HOMEs and two credentials files on one keyring each keep their
//! own `default`; `keys add` over another user's key asks on a terminal,
//! refuses without one naming --replace, replaces with it, and lets a new
//! key of the same user through; `keys remove` asks; items of an earlier
//! awsesh still sign sessions and are adopted without being dropped;
//! `doctor` reports a key of another user than the profile's device.

mod support;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use expectrl::Expect;

use support::keyring::{Keyring, output_within};
use support::{Moto, Sandbox, finish_pty, moto, spawn_pty, unique_name};

/// A sandbox whose profile PROFILE names the device of a fresh moto user
/// and has no keys in any file: (sandbox, user, id, secret).
fn sandbox_for(moto: &Moto, profile: &str) -> (Sandbox, String, String, String) {
    let user = unique_name("u");
    let (id, secret) = moto.create_user_with_key(&user);
    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    let sandbox = Sandbox::empty(&moto.endpoint, &id, &serial);
    let section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    sandbox.write_config(&format!(
        "[{section}]\nregion = us-east-1\nmfa_serial = {serial}\n"
    ));
    sandbox.write_credentials("");
    (sandbox, user, id, secret)
}

/// `awsesh ARGS` without a terminal, on the keyring's bus, `input` on stdin.
fn run(
    sandbox: &Sandbox,
    keyring: &Keyring,
    args: &[&str],
    input: &str,
    extra: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = sandbox.awsesh(args);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .envs(extra.iter().copied());
    let mut child_input = tempfile::tempfile().unwrap();
    child_input.write_all(input.as_bytes()).unwrap();
    use std::io::Seek;
    child_input.rewind().unwrap();
    cmd.stdin(Stdio::from(child_input));
    output_within(&mut cmd, 60)
}

fn add(
    sandbox: &Sandbox,
    keyring: &Keyring,
    profile: &str,
    id: &str,
    secret: &str,
    extra: &[(&str, &str)],
) -> (i32, String, String) {
    run(
        sandbox,
        keyring,
        &["keys", "add", "--profile", profile],
        &format!("{id}\n{secret}\n"),
        extra,
    )
}

/// Starts a new session of PROFILE and returns the access key that signed
/// its GetSessionToken (one of `candidates`).
fn signing_key(
    moto: &Moto,
    sandbox: &Sandbox,
    keyring: &Keyring,
    profile: &str,
    candidates: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let before: Vec<usize> = candidates
        .iter()
        .map(|id| moto.count_calls("GetSessionToken", id))
        .collect();
    // A fresh code each time: awsesh refuses a code it saw in the last 90 s.
    static CODE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(100_000);
    let code = CODE
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        .to_string();
    let (code, _, err) = run(
        sandbox,
        keyring,
        &[
            "login",
            "--force",
            "--profile",
            profile,
            "--token-code",
            &code,
        ],
        "",
        extra,
    );
    assert_eq!(code, 0, "login --profile {profile}: {err}");
    let signed: Vec<&str> = candidates
        .iter()
        .zip(before)
        .filter(|(id, n)| moto.count_calls("GetSessionToken", id) > *n)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(signed.len(), 1, "exactly one key signed: {signed:?}");
    signed[0].to_string()
}

/// The access key id in awsesh's item of this user name (None: no
/// secret-tool here, skipped loudly).
fn stored_key(keyring: &Keyring, user: &str) -> Option<String> {
    keyring
        .awsesh_item(user)
        .map(|v| v["access_key_id"].as_str().unwrap_or_default().to_string())
}

#[test]
fn two_sets_of_aws_files_on_one_keyring_each_keep_their_own_default() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (home_a, _, id_a, secret_a) = sandbox_for(moto, "default");
    let (home_b, _, id_b, secret_b) = sandbox_for(moto, "default");
    // A second credentials file in HOME a, as AWS_SHARED_CREDENTIALS_FILE.
    let (_, _, id_c, secret_c) = sandbox_for(moto, "default");
    let other = home_a.path("ci-credentials");
    fs::write(&other, "").unwrap();
    let other = other.display().to_string();
    let with_other: &[(&str, &str)] = &[("AWS_SHARED_CREDENTIALS_FILE", &other)];

    let (code, _, err) = add(&home_a, &keyring, "default", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    // Neither of these is a question: nothing of theirs is replaced.
    let (code, _, err) = add(&home_b, &keyring, "default", &id_b, &secret_b, &[]);
    assert_eq!(code, 0, "HOME b: {err}");
    let (code, _, err) = add(&home_a, &keyring, "default", &id_c, &secret_c, with_other);
    assert_eq!(code, 0, "second credentials file: {err}");

    let items = keyring.items_of("p-default");
    assert_eq!(items.len(), 3, "one item per set of files: {items:?}");
    let held: Option<Vec<String>> = items.iter().map(|(u, _)| stored_key(&keyring, u)).collect();
    if let Some(mut held) = held {
        held.sort();
        let mut want = vec![id_a.clone(), id_b.clone(), id_c.clone()];
        want.sort();
        assert_eq!(held, want);
    }
    // The item names its files (attributes) for keyring managers.
    let canonical = |p: std::path::PathBuf| fs::canonicalize(p).unwrap().display().to_string();
    assert!(
        items.iter().any(|(_, attrs)| attrs.contains(&(
            "aws_credentials_file".into(),
            canonical(home_b.credentials_path())
        )) && attrs
            .contains(&("aws_access_key_id".into(), id_b.clone()))),
        "{items:?}"
    );

    let all = [id_a.as_str(), id_b.as_str(), id_c.as_str()];
    assert_eq!(
        signing_key(moto, &home_a, &keyring, "default", &all, &[]),
        id_a
    );
    assert_eq!(
        signing_key(moto, &home_b, &keyring, "default", &all, &[]),
        id_b
    );
    assert_eq!(
        signing_key(moto, &home_a, &keyring, "default", &all, with_other),
        id_c
    );

    // Each set of files lists only its own key.
    let (_, out, _) = run(&home_b, &keyring, &["keys", "list"], "", &[]);
    assert!(
        out.contains(&id_b) && !out.contains(&id_a) && !out.contains(&id_c),
        "{out}"
    );

    // Removing b's key leaves a's and c's.
    let (code, _, err) = run(&home_b, &keyring, &["keys", "remove", "--yes"], "", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(keyring.items_of("p-default").len(), 2);
    let two = [id_a.as_str(), id_c.as_str()];
    assert_eq!(
        signing_key(moto, &home_a, &keyring, "default", &two, &[]),
        id_a
    );
}

#[test]
fn keys_add_over_another_users_key_refuses_without_a_terminal_and_replaces_with_replace() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, user_a, id_a, secret_a) = sandbox_for(moto, "team");
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    let user = keyring.items_of("p-team")[0].0.clone();

    // The same key again is not a question.
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "the same key again: {err}");

    // Another user's key: one line naming both keys and --replace; nothing changed.
    let index = sandbox.home.join(".config/awsesh/keyring.json");
    let index_before = fs::read(&index).unwrap();
    let (code, out, err) = add(&sandbox, &keyring, "team", &id_b, &secret_b, &[]);
    assert_ne!(code, 0, "{err}");
    assert_eq!((out.as_str(), err.lines().count()), ("", 1), "{err}");
    assert!(
        err.contains(&id_a)
            && err.contains(&id_b)
            && err.contains("--replace")
            && err.contains(&format!("user/{user_a}")),
        "{err}"
    );
    assert!(
        !err.contains(&secret_a) && !err.contains(&secret_b),
        "{err}"
    );
    if let Some(held) = stored_key(&keyring, &user) {
        assert_eq!(held, id_a);
    }
    assert_eq!(fs::read(&index).unwrap(), index_before);
    let both = [id_a.as_str(), id_b.as_str()];
    assert_eq!(
        signing_key(moto, &sandbox, &keyring, "team", &both, &[]),
        id_a
    );

    // --replace replaces it, saying so.
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["keys", "add", "--replace", "--profile", "team"],
        &format!("{id_b}\n{secret_b}\n"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("replacing") && err.contains(&id_a), "{err}");
    assert_eq!(keyring.items_of("p-team").len(), 1);
    assert_eq!(
        signing_key(moto, &sandbox, &keyring, "team", &both, &[]),
        id_b
    );
}

#[test]
fn a_new_key_of_the_same_user_replaces_the_old_one_without_a_question() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, user, id_a, secret_a) = sandbox_for(moto, "team");
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    // A rotation done in the console: a second key of the same user.
    let out = moto
        .aws_admin(&["iam", "create-access-key", "--user-name", &user])
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id_new = v["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string();
    let secret_new = v["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_new, &secret_new, &[]);
    assert_eq!(code, 0, "same user, no question: {err}");
    let both = [id_a.as_str(), id_new.as_str()];
    assert_eq!(
        signing_key(moto, &sandbox, &keyring, "team", &both, &[]),
        id_new
    );
}

/// Waits for `needle` in a pty session's output (failing with what it showed).
fn expect(session: &mut support::Pty, needle: &str) -> String {
    match session.expect(needle) {
        Ok(found) => String::from_utf8_lossy(found.before()).into_owned(),
        Err(e) => panic!("no {needle:?} on the terminal: {e}"),
    }
}

#[test]
fn on_a_terminal_keys_add_asks_before_another_users_key_is_replaced() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, _, id_a, secret_a) = sandbox_for(moto, "team");
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    let bus: &[(&str, &str)] = &[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)];
    let both = [id_a.as_str(), id_b.as_str()];

    for (answer, replaced) in [("", false), ("n", false), ("y", true)] {
        let mut session = spawn_pty(&sandbox, &["keys", "add", "--profile", "team"], bus);
        expect(&mut session, "Access key ID for profile team: ");
        session.send_line(&id_b).unwrap();
        expect(&mut session, "Secret access key (not shown): ");
        session.send_line(&secret_b).unwrap();
        let shown = expect(&mut session, "[y/N] ");
        assert!(
            shown.contains(&id_a) && shown.contains(&id_b) && shown.contains("Replace key"),
            "the question shows both keys: {shown}"
        );
        session.send_line(answer).unwrap();
        let (code, rest) = finish_pty(session);
        assert_eq!(code == 0, replaced, "answer {answer:?}: {rest}");
        let want = if replaced { &id_b } else { &id_a };
        assert_eq!(
            &signing_key(moto, &sandbox, &keyring, "team", &both, &[]),
            want,
            "answer {answer:?}"
        );
    }
}

#[test]
fn keys_remove_asks_and_says_when_the_keyring_holds_the_only_copy() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, _, id, secret) = sandbox_for(moto, "team");
    let (code, _, err) = add(&sandbox, &keyring, "team", &id, &secret, &[]);
    assert_eq!(code, 0, "{err}");

    // No terminal, no --yes: refused in one line, nothing removed.
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["keys", "remove", "--profile", "team"],
        "",
        &[],
    );
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--yes") && err.contains("only copy") && err.contains(&id),
        "{err}"
    );
    assert_eq!(keyring.items_of("p-team").len(), 1);

    let bus: &[(&str, &str)] = &[("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)];
    // Enter is no.
    let mut session = spawn_pty(&sandbox, &["keys", "remove", "--profile", "team"], bus);
    let shown = expect(&mut session, "[y/N] ");
    assert!(
        shown.contains("only copy") && shown.contains(&id),
        "{shown}"
    );
    session.send_line("").unwrap();
    let (code, rest) = finish_pty(session);
    assert_ne!(code, 0, "{rest}");
    assert_eq!(keyring.items_of("p-team").len(), 1, "kept: {rest}");
    // yes removes it.
    let mut session = spawn_pty(&sandbox, &["keys", "remove", "--profile", "team"], bus);
    expect(&mut session, "[y/N] ");
    session.send_line("y").unwrap();
    let (code, rest) = finish_pty(session);
    assert_eq!(code, 0, "{rest}");
    assert!(keyring.items_of("p-team").is_empty(), "{rest}");

    // With a plaintext copy of the key in the credentials file, it says so.
    sandbox.write_credentials(&format!(
        "[team]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    let (code, _, err) = add(&sandbox, &keyring, "team", &id, &secret, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["keys", "remove", "--profile", "team"],
        "",
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("a copy stays in") && !err.contains("only copy"),
        "{err}"
    );
}

/// A file of mode 0600 in a folder of mode 0700, as awsesh keeps its own.
fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// An item and an index entry as awsesh wrote them before items had files.
/// The index records `indexed_id` (another key than the item's when other
/// files overwrote the item).
fn write_legacy(
    sandbox: &Sandbox,
    keyring: &Keyring,
    (profile_key, profile): (&str, &str),
    (id, secret): (&str, &str),
    indexed_id: &str,
) -> bool {
    if support::which("secret-tool").is_none() {
        support::missing("secret-tool (apt-get install libsecret-tools)");
        return false;
    }
    let mut cmd = std::process::Command::new("secret-tool");
    cmd.args([
        "store",
        "--label=awsesh: AWS access key of profile",
        "service",
        "awsesh",
        "username",
        profile_key,
    ])
    .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus);
    let json = serde_json::json!({"version": 1, "access_key_id": id, "secret_access_key": secret});
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(json.to_string().as_bytes()).unwrap();
    use std::io::Seek;
    input.rewind().unwrap();
    cmd.stdin(Stdio::from(input));
    let (code, _, err) = output_within(&mut cmd, 20);
    assert_eq!(code, 0, "secret-tool store: {err}");
    let dir = sandbox.home.join(".config/awsesh");
    fs::create_dir_all(&dir).unwrap();
    let index = serde_json::json!({"version": 1, "profiles": [{"profile": profile, "access_key_id": indexed_id}]});
    write_private(&dir.join("keyring.json"), &index.to_string());
    true
}

#[test]
fn items_of_an_earlier_awsesh_still_sign_sessions_and_are_adopted_without_loss() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, _, id, secret) = sandbox_for(moto, "team");
    if !write_legacy(&sandbox, &keyring, ("p-team", "team"), (&id, &secret), &id) {
        return;
    }
    // A second HOME whose index also points at the legacy item.
    let (other, _, _, _) = sandbox_for(moto, "team");
    let dir = other.home.join(".config/awsesh");
    fs::create_dir_all(&dir).unwrap();
    write_private(
        &dir.join("keyring.json"),
        &fs::read_to_string(sandbox.home.join(".config/awsesh/keyring.json")).unwrap(),
    );

    assert_eq!(
        signing_key(moto, &sandbox, &keyring, "team", &[&id], &[]),
        id
    );
    // Adopted: an item of these files holds the same key; the legacy item
    // stays for the other files that use it.
    let users: Vec<String> = keyring
        .items_of("p-team")
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(users.contains(&"p-team".to_string()), "{users:?}");
    for user in &users {
        assert_eq!(stored_key(&keyring, user), Some(id.clone()), "{user}");
    }
    let index = fs::read_to_string(sandbox.home.join(".config/awsesh/keyring.json")).unwrap();
    assert!(index.contains("credentials_file"), "{index}");
    // The other HOME still gets a session from it, and adopts it too.
    assert_eq!(signing_key(moto, &other, &keyring, "team", &[&id], &[]), id);
    assert_eq!(keyring.items_of("p-team").len(), 3);
    // Adding another user's key over an adopted item still asks.
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_b, &secret_b, &[]);
    assert_ne!(code, 0);
    assert!(err.contains("--replace"), "{err}");
}

#[test]
fn doctor_reports_a_key_of_another_user_than_the_profiles_mfa_device() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, user_a, id_a, secret_a) = sandbox_for(moto, "team");
    let doctor = |sandbox: &Sandbox| {
        let (_, out, _) = run(sandbox, &keyring, &["doctor", "--profile", "team"], "", &[]);
        out
    };
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    let out = doctor(&sandbox);
    assert!(!out.contains("another identity"), "its own key: {out}");
    assert!(
        out.contains(&format!("ok    long-term keys found ({id_a})")),
        "{out}"
    );

    // A device of user a not named after it: IAM says it is a's.
    let device = moto.add_mfa_device(&user_a);
    assert!(!device.ends_with(&format!("/{user_a}")), "{device}");
    sandbox.write_config(&format!(
        "[profile team]\nregion = us-east-1\nmfa_serial = {device}\n"
    ));
    let out = doctor(&sandbox);
    assert!(
        out.contains(&format!("ok    MFA device {device}")) && !out.contains("another identity"),
        "a's own device under another name: {out}"
    );

    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["keys", "add", "--replace", "--profile", "team"],
        &format!("{id_b}\n{secret_b}\n"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let out = doctor(&sandbox);
    let line = out
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains(&id_b))
        .unwrap_or_else(|| panic!("no FAIL line for key {id_b}: {out}"));
    assert!(
        line.contains(&device) && line.contains("not one of that user's devices"),
        "{line}"
    );
    // The same with a device named after user a.
    sandbox.write_config(&format!(
        "[profile team]\nregion = us-east-1\nmfa_serial = {}\n",
        sandbox.mfa_serial
    ));
    let out = doctor(&sandbox);
    let line = out
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains(&id_b))
        .unwrap_or_else(|| panic!("no FAIL line for key {id_b}: {out}"));
    assert!(
        line.contains(&sandbox.mfa_serial) && line.contains("not one of that user's devices"),
        "{line}"
    );
    assert!(out.contains("another identity"), "{out}");
}

#[test]
fn a_hostile_profile_name_is_quoted_in_the_commands_the_refusals_suggest() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let profile = "it's $(touch pwned)";
    let (sandbox, _, id_a, secret_a) = sandbox_for(moto, profile);
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    let (code, _, err) = add(&sandbox, &keyring, profile, &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    let escaped = "p-it_27s_20_24_28touch_20pwned_29";
    assert_eq!(keyring.items_of(escaped).len(), 1);
    let quoted = r"'it'\''s $(touch pwned)'";
    let (code, _, err) = add(&sandbox, &keyring, profile, &id_b, &secret_b, &[]);
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("awsesh keys add --replace --profile {quoted}")),
        "{err}"
    );
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["keys", "remove", "--profile", profile],
        "",
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("awsesh keys remove --yes --profile {quoted}")),
        "{err}"
    );
    // The suggested command, run by a shell, removes the key and runs nothing else.
    let dir = tempfile::tempdir().unwrap();
    let line = format!("\"$0\" keys remove --yes --profile {quoted}");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&line)
        .arg(env!("CARGO_BIN_EXE_awsesh"))
        .current_dir(dir.path())
        .env_clear()
        .envs(sandbox.env())
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .stdin(Stdio::null());
    let (code, _, err) = output_within(&mut cmd, 60);
    assert_eq!(code, 0, "{err}");
    assert!(!dir.path().join("pwned").exists());
    assert!(
        keyring
            .items_of("p-it_27s_20_24_28touch_20pwned_29")
            .is_empty()
    );
}

#[test]
fn doctor_tells_a_device_of_another_account_online_and_from_the_recorded_user_offline() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, user, id, secret) = sandbox_for(moto, "team");
    let (code, _, err) = add(&sandbox, &keyring, "team", &id, &secret, &[]);
    assert_eq!(code, 0, "{err}");
    let device = format!("arn:aws:iam::999999999999:mfa/{user}");
    sandbox.write_config(&format!(
        "[profile team]\nregion = us-east-1\nmfa_serial = {device}\n"
    ));
    let fail_line = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("FAIL") && l.contains(&id))
            .map(str::to_string)
    };
    let (_, out, _) = run(
        &sandbox,
        &keyring,
        &["doctor", "--profile", "team"],
        "",
        &[],
    );
    let line = fail_line(&out).unwrap_or_else(|| panic!("online: {out}"));
    assert!(line.contains("another account (999999999999)"), "{line}");

    // AWS unreachable (a closed port): the user recorded with the key tells.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (_, out, _) = run(
        &sandbox,
        &keyring,
        &["doctor", "--profile", "team"],
        "",
        &[("AWS_ENDPOINT_URL", &endpoint)],
    );
    let line = fail_line(&out).unwrap_or_else(|| panic!("offline: {out}"));
    assert!(
        line.contains("another account (999999999999)") && line.contains(&format!("user/{user}")),
        "{line}"
    );
}

#[test]
fn an_earlier_item_another_set_of_files_overwrote_is_not_used_as_this_profiles_key() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    // HOME a stored key a with an earlier awsesh; HOME b then overwrote the
    // shared item with its key b (the bug of issue 19).
    let (sandbox, _, id_a, secret_a) = sandbox_for(moto, "team");
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("other"));
    if !write_legacy(
        &sandbox,
        &keyring,
        ("p-team", "team"),
        (&id_b, &secret_b),
        &id_a,
    ) {
        return;
    }
    let before = moto.count_calls("GetSessionToken", &id_b);
    let (code, _, err) = run(
        &sandbox,
        &keyring,
        &["login", "--profile", "team", "--token-code", "246810"],
        "",
        &[],
    );
    assert_ne!(code, 0, "b's key must not sign a's session: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&id_a)
            && err.contains(&id_b)
            && err.contains("awsesh keys add --profile team"),
        "{err}"
    );
    assert_eq!(moto.count_calls("GetSessionToken", &id_b), before);
    // Adding a's key again is not a question (nothing of a's is replaced),
    // and b's item stays for b.
    let (code, _, err) = add(&sandbox, &keyring, "team", &id_a, &secret_a, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stored_key(&keyring, "p-team"), Some(id_b.clone()));
    let both = [id_a.as_str(), id_b.as_str()];
    assert_eq!(
        signing_key(moto, &sandbox, &keyring, "team", &both, &[]),
        id_a
    );
}
