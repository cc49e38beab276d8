//! Issue 11, long-term keys: `awsesh keys add|list|remove` against a real
//! Secret Service (gnome-keyring-daemon on a private D-Bus session bus) and a
//! moto server; `--migrate` rewrites byte-compared; no keyring and a locked
//! keyring give one line; the long-term secret never shows anywhere; the AWS
//! CLI reaches a keyring profile through `exec` and `credential_process`.

mod support;

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use support::keyring::{Keyring, output_within};
use support::{Moto, Sandbox, moto, unique_name};

/// A sandbox whose profile `team` has keys of a fresh moto user that are in
/// no file: (sandbox, access key id, secret).
fn team_sandbox(moto: &Moto) -> (Sandbox, String, String) {
    let user = unique_name("team");
    let (id, secret) = moto.create_user_with_key(&user);
    let serial = format!("arn:aws:iam::123456789012:mfa/{user}");
    let sandbox = Sandbox::empty(&moto.endpoint, &id, &serial);
    sandbox.write_config(&format!(
        "[profile team]\nregion = us-east-1\nmfa_serial = {serial}\n"
    ));
    sandbox.write_credentials("");
    (sandbox, id, secret)
}

/// `awsesh keys add --profile team` with the keys piped on stdin; it must work.
fn add_team_keys(sandbox: &Sandbox, keyring: &Keyring, id: &str, secret: &str) {
    let (code, _, err) = run(
        sandbox,
        Some(keyring),
        &["keys", "add", "--profile", "team"],
        &format!("{id}\n{secret}\n"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

/// `awsesh ARGS` with the keyring's bus, `input` on stdin, extra env.
fn run(
    sandbox: &Sandbox,
    keyring: Option<&Keyring>,
    args: &[&str],
    input: &str,
    extra: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = sandbox.awsesh(args);
    if let Some(k) = keyring {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &k.bus);
    }
    cmd.envs(extra.iter().copied()).stdin(Stdio::piped());
    let mut child_input = tempfile::tempfile().unwrap();
    child_input.write_all(input.as_bytes()).unwrap();
    use std::io::Seek;
    child_input.rewind().unwrap();
    cmd.stdin(child_input);
    output_within(&mut cmd, 60)
}

/// The user names of awsesh's items of a profile (escaped name).
fn keyring_item(keyring: &Keyring, profile_key: &str) -> Vec<String> {
    keyring
        .items_of(profile_key)
        .into_iter()
        .map(|(user, _)| user)
        .collect()
}

#[test]
fn keys_added_from_stdin_live_in_the_keyring_sign_sessions_and_can_be_removed() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, secret) = team_sandbox(moto);

    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--profile", "team"],
        &format!("{id}\n{secret}\n"),
        &[],
    );
    assert_eq!(code, 0, "keys add: {err}");
    assert_eq!(out, "", "nothing on stdout");
    assert!(err.contains(&id) && err.contains("keyring"), "{err}");
    assert!(!err.contains(&secret), "the secret is never shown: {err}");

    // The item is in the Secret Service under the escaped profile name, and
    // holds exactly these keys.
    let items = keyring_item(&keyring, "p-team");
    assert_eq!(items.len(), 1, "{items:?}");
    if let Some(v) = keyring.awsesh_item(&items[0]) {
        assert_eq!(v["access_key_id"], id.as_str());
        assert_eq!(v["secret_access_key"], secret.as_str());
    }
    // Nothing went to the plaintext files.
    assert!(
        !fs::read_to_string(sandbox.credentials_path())
            .unwrap()
            .contains(&secret)
    );
    assert!(
        !fs::read_to_string(sandbox.config_path())
            .unwrap()
            .contains(&secret)
    );

    // A session for the profile is signed with the keyring's key.
    let before = moto.count_calls("GetSessionToken", &id);
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--profile", "team", "--token-code", "123456"],
        "",
        &[],
    );
    assert_eq!(code, 0, "login with keyring keys: {err}");
    assert_eq!(moto.count_calls("GetSessionToken", &id), before + 1);

    let (code, out, err) = run(&sandbox, Some(&keyring), &["keys", "list"], "", &[]);
    assert_eq!(code, 0, "keys list: {err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("team "))
        .unwrap_or_else(|| panic!("no row for team in:\n{out}"));
    assert!(row.contains(&id) && row.contains("OS keyring"), "{row}");
    assert!(!out.contains(&secret) && !err.contains(&secret));

    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "remove", "--yes", "--profile", "team"],
        "",
        &[],
    );
    assert_eq!(code, 0, "keys remove: {err}");
    assert_eq!(out, "");
    assert!(keyring_item(&keyring, "p-team").is_empty(), "item deleted");
    let (_, out, _) = run(&sandbox, Some(&keyring), &["keys", "list"], "", &[]);
    assert!(!out.lines().any(|l| l.starts_with("team ")), "{out}");
    // Without keys the profile cannot start a session any more.
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &[
            "login",
            "--force",
            "--profile",
            "team",
            "--token-code",
            "654321",
        ],
        "",
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no long-term keys"), "{err}");
}

#[test]
fn profiles_are_kept_apart_in_the_keyring_whatever_their_names() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id_a, secret_a) = team_sandbox(moto);
    let (id_b, secret_b) = moto.create_user_with_key(&unique_name("b"));
    // Names that an unescaped scheme would confuse: `a.b` vs `a_2eb`.
    sandbox
        .append_config("[profile a.b]\nregion = us-east-1\n[profile a_2eb]\nregion = us-east-1\n");
    for (profile, id, secret) in [("a.b", &id_a, &secret_a), ("a_2eb", &id_b, &secret_b)] {
        let (code, _, err) = run(
            &sandbox,
            Some(&keyring),
            &["keys", "add", "--profile", profile],
            &format!("{id}\n{secret}\n"),
            &[],
        );
        assert_eq!(code, 0, "{profile}: {err}");
    }
    let (_, out, _) = run(&sandbox, Some(&keyring), &["keys", "list"], "", &[]);
    let row = |p: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(p))
            .unwrap_or_else(|| panic!("no row for {p}:\n{out}"))
            .to_string()
    };
    assert!(row("a.b").contains(id_a.as_str()) && row("a.b").contains("OS keyring"));
    assert!(row("a_2eb").contains(id_b.as_str()) && row("a_2eb").contains("OS keyring"));
    assert_eq!(keyring_item(&keyring, "p-a_2eb").len(), 1);
    assert_eq!(keyring_item(&keyring, "p-a_5f2eb").len(), 1);
}

/// A credentials file as people keep it: a comment, CRLF line endings, the
/// profile's section twice, other profiles, odd spacing, an inline comment,
/// and no newline at the end.
const CREDENTIALS: &str = "# keys from the console, 2024-05\r\n[default]\r\naws_access_key_id = {OTHER_ID}\r\naws_secret_access_key = {OTHER_SECRET}\r\n\r\n[team]   ; mine\r\naws_access_key_id={ID}\r\n# rotated in May\r\nregion = us-east-1\r\n[ci]\r\naws_access_key_id = AKIACIACIACIACIACIAC\r\naws_secret_access_key = ci/secret+value\r\n[team]\r\nAWS_SECRET_ACCESS_KEY   =   {SECRET}  # do not share\r\nmetadata_service_timeout = 2";

#[test]
fn migrate_moves_the_keys_and_leaves_every_other_byte_of_the_file() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, secret) = team_sandbox(moto);
    let original = CREDENTIALS
        .replace("{OTHER_ID}", "AKIAOTHEROTHEROTHER1")
        .replace("{OTHER_SECRET}", "other/secret")
        .replace("{ID}", &id)
        .replace("{SECRET}", &secret);
    sandbox.write_credentials(&original);
    let config_before = fs::read(sandbox.config_path()).unwrap();

    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--migrate", "--profile", "team"],
        "",
        &[],
    );
    assert_eq!(code, 0, "migrate: {err}");
    assert_eq!(out, "");
    assert!(!err.contains(&secret), "{err}");

    // Exactly the two key lines of `team` are gone.
    let key_line = format!("aws_access_key_id={id}\r\n");
    let secret_line = format!("AWS_SECRET_ACCESS_KEY   =   {secret}  # do not share\r\n");
    assert!(original.contains(&key_line) && original.contains(&secret_line));
    let expected = original
        .replacen(&key_line, "", 1)
        .replacen(&secret_line, "", 1);
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        expected
    );
    assert_eq!(
        fs::read(sandbox.config_path()).unwrap(),
        config_before,
        "config untouched"
    );

    // The keyring now signs the profile's sessions.
    let before = moto.count_calls("GetSessionToken", &id);
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--profile", "team", "--token-code", "123456"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(moto.count_calls("GetSessionToken", &id), before + 1);
}

#[test]
fn without_a_keyring_one_line_says_so_and_the_credentials_file_keeps_working() {
    let Some(moto) = moto() else { return };
    let Some(no_service) = Keyring::bus_without_service() else {
        return;
    };
    let Some(no_login) = Keyring::activated_without_login() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    let credentials_before = fs::read(sandbox.credentials_path()).unwrap();
    // No bus at all (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus),
    // a bus with no Secret Service on it, and a keyring with no unlocked
    // default collection.
    for (keyring, words) in [
        (None, "no OS keyring is available"),
        (Some(&no_service), "no OS keyring is available"),
        (Some(&no_login), "locked or has no default collection"),
    ] {
        let (code, out, err) = run(&sandbox, keyring, &["keys", "add", "--migrate"], "", &[]);
        assert_ne!(code, 0);
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(words), "`{words}` missing: {err}");
        assert!(err.contains("stay in the file"), "{err}");
        assert_eq!(
            fs::read(sandbox.credentials_path()).unwrap(),
            credentials_before
        );
    }
    // The plaintext profile still works.
    let (code, _, err) = run(
        &sandbox,
        None,
        &["login", "--token-code", "123456"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_locked_keyring_fails_a_refresh_in_one_line_within_its_deadline() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, secret) = team_sandbox(moto);
    add_team_keys(&sandbox, &keyring, &id, &secret);
    keyring.lock();
    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--profile", "team", "--token-code", "123456"],
        "",
        &[("AWSESH_KEYRING_TIMEOUT", "3s")],
    );
    assert_ne!(code, 0);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("profile `team` keeps its keys in the OS keyring"),
        "{err}"
    );
    assert!(
        err.contains("locked") || err.contains("did not answer"),
        "{err}"
    );
    assert_eq!(moto.count_calls("GetSessionToken", &id), 0);
}

#[test]
fn a_keyring_that_never_answers_cannot_hang_a_refresh() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, secret) = team_sandbox(moto);
    add_team_keys(&sandbox, &keyring, &id, &secret);
    keyring.freeze();
    // `run` fails the test if awsesh is still running after 60 s.
    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--profile", "team", "--token-code", "123456"],
        "",
        &[("AWSESH_KEYRING_TIMEOUT", "2s")],
    );
    keyring.thaw();
    assert_ne!(code, 0);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("did not answer within 2 s"), "{err}");
    assert!(err.contains("AWSESH_KEYRING_TIMEOUT"), "{err}");
}

/// Every command line visible in /proc, NUL-separated arguments joined.
fn all_cmdlines() -> String {
    let mut all = String::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(bytes) = fs::read(entry.path().join("cmdline")) {
            all.push_str(&String::from_utf8_lossy(&bytes).replace('\0', " "));
            all.push('\n');
        }
    }
    all
}

#[test]
fn the_long_term_secret_never_shows_in_output_or_command_lines() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, _) = team_sandbox(moto);
    // moto does not check signatures: a sentinel secret is accepted.
    let sentinel = "SENTINELsecretDoNotLeak0123456789abcdef";
    sandbox.write_credentials(&format!(
        "[team]\naws_access_key_id = {id}\naws_secret_access_key = {sentinel}\n"
    ));
    let mut seen = String::new();
    for args in [
        &["keys", "add", "--migrate", "--profile", "team"][..],
        &["keys", "list"],
        &["login", "--profile", "team", "--token-code", "123456"],
        &["env", "--profile", "team"],
        &["status", "--profile", "team"],
        &["credential-process", "--profile", "team"],
        &["doctor", "--profile", "team"],
    ] {
        let (_, out, err) = run(&sandbox, Some(&keyring), args, "", &[]);
        seen.push_str(&out);
        seen.push_str(&err);
    }
    // `exec`'s child looks at every command line and its own environment
    // while awsesh's children are alive.
    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &[
            "exec",
            "--profile",
            "team",
            "--",
            "sh",
            "-c",
            "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; env",
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    seen.push_str(&out);
    seen.push_str(&err);
    seen.push_str(&all_cmdlines());
    assert!(out.contains("AWS_SESSION_TOKEN="), "exec ran: {out}");
    assert!(!seen.contains(sentinel), "the long-term secret leaked");
    assert!(
        !fs::read_to_string(sandbox.credentials_path())
            .unwrap()
            .contains(sentinel)
    );
}

/// The real AWS CLI, as a user runs it: sandbox files, moto, no awsesh env.
fn aws_cli(sandbox: &Sandbox, keyring: &Keyring, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new("aws");
    cmd.args(args)
        .env_clear()
        .envs(sandbox.env())
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    output_within(&mut cmd, 60)
}

#[test]
fn the_aws_cli_gets_a_session_for_a_keyring_profile_through_exec_and_credential_process() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    if support::which("aws").is_none() {
        support::missing("aws CLI (pip install awscli)");
        return;
    }
    let (sandbox, id, secret) = team_sandbox(moto);
    sandbox.write_credentials(&format!(
        "[team]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    ));
    sandbox.append_config(&format!(
        "[profile team-sdk]\nregion = us-east-1\ncredential_process = {} credential-process --profile team\n",
        support::BIN
    ));
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--migrate", "--profile", "team"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");

    // The AWS CLI alone no longer finds keys for the profile…
    let (code, _, err) = aws_cli(
        &sandbox,
        &keyring,
        &["sts", "get-caller-identity", "--profile", "team"],
    );
    assert_ne!(code, 0, "the plaintext keys are gone");
    assert!(err.contains("credentials"), "{err}");

    // …but gets a session through awsesh: exec…
    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &[
            "exec",
            "--profile",
            "team",
            "--token-code",
            "123456",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ],
        "",
        &[("AWS_EC2_METADATA_DISABLED", "true")],
    );
    assert_eq!(code, 0, "exec: {err}");
    assert!(out.contains("\"Arn\""), "{out}");

    // …and credential_process in another profile (the session is cached now).
    let (code, out, err) = aws_cli(
        &sandbox,
        &keyring,
        &[
            "sts",
            "get-caller-identity",
            "--profile",
            "team-sdk",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "credential_process: {err}");
    assert!(out.contains("\"Arn\""), "{out}");
}

/// The access key ids IAM has for the user owning `id` (moto's admin view).
fn iam_keys_of(moto: &Moto, user: &str) -> Vec<String> {
    let out = moto
        .aws_admin(&["iam", "list-access-keys", "--user-name", user])
        .expect("list-access-keys");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["AccessKeyMetadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_string())
        .collect()
}

/// A user with one key, its name, id and secret.
fn user_with_key(moto: &Moto) -> (String, String, String) {
    let user = unique_name("rot");
    let (id, secret) = moto.create_user_with_key(&user);
    (user, id, secret)
}

#[test]
fn rotating_a_keyring_key_leaves_only_the_new_key_in_iam_and_the_keyring() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (user, old_id, old_secret) = user_with_key(moto);
    let sandbox = Sandbox::empty(&moto.endpoint, &old_id, "");
    sandbox.write_config(&format!(
        "[profile team]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/{user}\n"
    ));
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--profile", "team"],
        &format!("{old_id}\n{old_secret}\n"),
        &[],
    );
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = run(
        &sandbox,
        Some(&keyring),
        &[
            "keys",
            "rotate",
            "--profile",
            "team",
            "--token-code",
            "123456",
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "rotate: {err}");
    assert_eq!(out, "");
    let now = iam_keys_of(moto, &user);
    assert_eq!(now.len(), 1, "only the new key is left: {now:?}");
    let new_id = &now[0];
    assert_ne!(new_id, &old_id);
    assert!(
        err.contains(new_id.as_str()) && err.contains(&old_id),
        "{err}"
    );
    let items = keyring_item(&keyring, "p-team");
    assert_eq!(items.len(), 1, "{items:?}");
    if let Some(v) = keyring.awsesh_item(&items[0]) {
        assert_eq!(v["access_key_id"], new_id.as_str());
        assert_ne!(v["secret_access_key"], old_secret.as_str());
        assert!(!err.contains(v["secret_access_key"].as_str().unwrap()));
    }
    // The next session is signed with the new key.
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &[
            "login",
            "--force",
            "--profile",
            "team",
            "--token-code",
            "654321",
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(moto.count_calls("GetSessionToken", new_id), 1);
}

#[test]
fn rotating_a_plaintext_key_rewrites_only_its_two_values_in_the_file() {
    let Some(moto) = moto() else { return };
    let (user, old_id, old_secret) = user_with_key(moto);
    let sandbox = Sandbox::empty(&moto.endpoint, &old_id, "");
    sandbox.write_config(&format!(
        "[default]\r\nregion = us-east-1\r\nmfa_serial = arn:aws:iam::123456789012:mfa/{user}\r\n"
    ));
    let original = format!(
        "; work laptop\r\n[default]\r\naws_access_key_id={old_id}  # from the console\r\n\r\n[other]\r\naws_access_key_id = AKIAOTHEROTHEROTHER1\r\naws_secret_access_key = other\r\n[default]\r\naws_secret_access_key   =   {old_secret}"
    );
    sandbox.write_credentials(&original);
    let (code, _, err) = run(
        &sandbox,
        None,
        &["keys", "rotate", "--token-code", "123456"],
        "",
        &[],
    );
    assert_eq!(code, 0, "rotate: {err}");
    let now = iam_keys_of(moto, &user);
    assert_eq!(now.len(), 1, "{now:?}");
    let new_id = &now[0];
    let text = fs::read_to_string(sandbox.credentials_path()).unwrap();
    let new_secret = text
        .rsplit("aws_secret_access_key   =   ")
        .next()
        .unwrap()
        .to_string();
    assert_ne!(new_secret, old_secret);
    assert!(!err.contains(&new_secret) && !err.contains(&old_secret));
    assert_eq!(
        text,
        original
            .replace(&old_id, new_id)
            .replace(&old_secret, &new_secret),
        "only the two values changed"
    );
    let (code, _, err) = run(
        &sandbox,
        None,
        &["login", "--force", "--token-code", "654321"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(moto.count_calls("GetSessionToken", new_id), 1);
}

#[test]
fn a_user_with_two_keys_is_told_which_to_delete_and_nothing_changes() {
    let Some(moto) = moto() else { return };
    let (user, old_id, old_secret) = user_with_key(moto);
    moto.aws_admin(&["iam", "create-access-key", "--user-name", &user])
        .expect("second key");
    let sandbox = Sandbox::empty(&moto.endpoint, &old_id, "");
    sandbox.write_config(&format!(
        "[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/{user}\n"
    ));
    let creds =
        format!("[default]\naws_access_key_id = {old_id}\naws_secret_access_key = {old_secret}\n");
    sandbox.write_credentials(&creds);
    let before = iam_keys_of(moto, &user);
    let err = support::one_line_error(
        &sandbox,
        &["keys", "rotate", "--token-code", "123456"],
        &["already has two access keys", "nothing was changed", &user],
    );
    let spare = before.iter().find(|k| **k != old_id).unwrap();
    assert!(err.contains(spare.as_str()), "{err}");
    assert_eq!(iam_keys_of(moto, &user), before);
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        creds
    );
}

/// A D-Bus address whose "bus" is a socket this test listens on: any process
/// that tries to reach the keyring connects to it, and is counted.
struct Witness {
    address: String,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Witness {
    fn new() -> Witness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = connections.clone();
        std::thread::spawn(move || {
            // Accept and hold each connection until the test ends; say nothing.
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        Witness {
            address: format!("unix:path={}", path.display()),
            connections,
            _dir: dir,
        }
    }

    fn count(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
fn the_prompt_path_never_asks_the_keyring() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = run(
        &sandbox,
        None,
        &["login", "--token-code", "123456"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // From now on `default` keeps its keys in the keyring, as after `keys add`.
    let index = sandbox.home.join(".config/awsesh/keyring.json");
    fs::create_dir_all(index.parent().unwrap()).unwrap();
    fs::write(
        &index,
        format!(
            "{{\"version\":1,\"profiles\":[{{\"profile\":\"default\",\"access_key_id\":\"{}\"}}]}}\n",
            sandbox.access_key_id
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&index, fs::Permissions::from_mode(0o600)).unwrap();

    let witness = Witness::new();
    let bus = [
        ("DBUS_SESSION_BUS_ADDRESS", witness.address.as_str()),
        ("AWSESH_KEYRING_TIMEOUT", "2s"),
    ];
    for args in [
        &["prompt"][..],
        &["env"],
        &["env", "--ensure"],
        &["status"],
        &["hook-sync", "--shell", "bash"],
        &["credential-process"],
        &["exec", "--", "true"],
    ] {
        let (code, _, err) = run(&sandbox, None, args, "", &bus);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(witness.count(), 0, "{args:?} went to the keyring");
    }
    // The witness does see a refresh, which needs the long-term keys.
    let (code, _, err) = run(
        &sandbox,
        None,
        &["login", "--force", "--token-code", "654321"],
        "",
        &bus,
    );
    assert_ne!(code, 0);
    assert!(err.contains("keeps its keys in the OS keyring"), "{err}");
    assert!(witness.count() >= 1, "the refresh asked the keyring");
}

#[test]
fn a_profile_in_neither_file_gets_a_section_the_aws_tools_can_read() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (sandbox, id, secret) = team_sandbox(moto);
    let config = fs::read_to_string(sandbox.config_path()).unwrap();
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--profile", "fresh"],
        &format!("{id}\n{secret}\n"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("{config}[profile fresh]\n")
    );
    // A name the AWS tools could not read is refused before anything is stored.
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--profile", "bad name]"],
        &format!("{id}\n{secret}\n"),
        &[],
    );
    assert_ne!(code, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert!(keyring_item(&keyring, "p-bad_20name_5d").is_empty());
    assert_eq!(
        fs::read_to_string(sandbox.config_path()).unwrap(),
        format!("{config}[profile fresh]\n")
    );
}
