//! Issue 20, part 2: the edits of the AWS files and rotation, attacked as
//! the attacker ran them — `keys add --migrate` on the `[default]` /
//! `[profile default]` pair, indented comments under key lines, a process
//! appending to the credentials file while awsesh edits it, a kill injected
//! at the temp file's fsync, and a fake IAM whose CreateAccessKey answer
//! never arrives.

mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::keyring::{Keyring, output_within};
use support::lost_iam::LostIam;
use support::{Moto, Sandbox, moto, unique_name};

/// `awsesh ARGS` with the keyring's bus (if any) and extra env.
fn run(
    sandbox: &Sandbox,
    keyring: Option<&Keyring>,
    args: &[&str],
    extra: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = sandbox.awsesh(args);
    if let Some(k) = keyring {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &k.bus);
    }
    cmd.envs(extra.iter().copied()).stdin(Stdio::null());
    output_within(&mut cmd, 90)
}

/// A fresh moto user with one key: (user, id, secret), and a sandbox whose
/// config names the user's MFA serial for `[default]`.
fn user_sandbox(moto: &Moto, config: &str) -> (String, String, String, Sandbox) {
    let user = unique_name("edit");
    let (id, secret) = moto.create_user_with_key(&user);
    let sandbox = Sandbox::empty(&moto.endpoint, &id, "");
    sandbox.write_config(&config.replace("{USER}", &user));
    sandbox.write_credentials("");
    (user, id, secret, sandbox)
}

/// The awsesh temp copies beside a file.
fn temp_copies(file: &Path) -> Vec<PathBuf> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!(".{name}.")) && n.ends_with(".tmp")
        })
        .collect()
}

#[test]
fn migrate_on_the_default_pair_leaves_no_secret_in_either_section() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    // The attacker's file: keys under [default] of the config file, and a
    // [profile default] beside it (which aws-config prefers, so it alone
    // used to be edited). The AWS CLI reads the later of the two.
    let (_, id, secret, sandbox) = user_sandbox(
        moto,
        "[profile default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n\n[default]\n# from the console\naws_access_key_id = {ID}\naws_secret_access_key = {SECRET}\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n",
    );
    let original = fs::read_to_string(sandbox.config_path())
        .unwrap()
        .replace("{ID}", &id)
        .replace("{SECRET}", &secret);
    sandbox.write_config(&original);
    // The AWS CLI reads these keys: [default] is the later section.
    let (code, out, _) = aws_cli(&sandbox, &["configure", "get", "aws_access_key_id"]);
    assert_eq!((code, out.trim()), (0, id.as_str()));

    let (code, _, err) = run(&sandbox, Some(&keyring), &["keys", "add", "--migrate"], &[]);
    assert_eq!(code, 0, "migrate: {err}");
    let after = fs::read_to_string(sandbox.config_path()).unwrap();
    assert!(!after.contains(&secret), "the secret stayed:\n{after}");
    assert_eq!(
        after,
        original
            .replace(&format!("aws_access_key_id = {id}\n"), "")
            .replace(&format!("aws_secret_access_key = {secret}\n"), ""),
        "only the two key lines went"
    );
    let (_, out, _) = aws_cli(&sandbox, &["configure", "get", "aws_access_key_id"]);
    assert_eq!(out.trim(), "", "no reader finds a plaintext key");
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--token-code", "123456"],
        &[],
    );
    assert_eq!(code, 0, "the keyring signs the session: {err}");
}

#[test]
fn two_different_keys_in_the_default_pair_are_refused_and_nothing_changes() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (_, id, secret, sandbox) = user_sandbox(moto, "");
    let original = format!(
        "[default]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = other\n[profile default]\nregion = us-east-1\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    );
    sandbox.write_config(&original);
    let (code, out, err) = run(&sandbox, Some(&keyring), &["keys", "add", "--migrate"], &[]);
    assert_ne!(code, 0);
    assert_eq!((out.as_str(), err.lines().count()), ("", 1), "{err}");
    assert!(
        err.contains("AKIAOTHEROTHEROTHER1") && err.contains("nothing was removed"),
        "{err}"
    );
    assert!(!err.contains(&secret), "{err}");
    assert_eq!(fs::read_to_string(sandbox.config_path()).unwrap(), original);
    assert!(
        keyring.items_of("p-default").is_empty(),
        "nothing was stored either"
    );
}

/// The real AWS CLI on the sandbox's files.
fn aws_cli(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let Some(aws) = support::which("aws") else {
        support::missing("the aws CLI");
        return (0, String::new(), String::new());
    };
    let mut cmd = Command::new(aws);
    cmd.args(args)
        .env_clear()
        .envs(sandbox.env())
        .stdin(Stdio::null());
    let out = support::output_within(&mut cmd, std::time::Duration::from_secs(60));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn indented_comments_under_key_lines_survive_migrate() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (_, id, secret, sandbox) = user_sandbox(
        moto,
        "[profile team]\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n",
    );
    let original = format!(
        "[team]\nregion = eu-west-1\naws_access_key_id = {id}\n\t# rotate quarterly\naws_secret_access_key = {secret}\n  ; owner: platform team\noutput = json\n"
    );
    sandbox.write_credentials(&original);
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--migrate", "--profile", "team"],
        &[],
    );
    assert_eq!(code, 0, "migrate: {err}");
    let after = fs::read_to_string(sandbox.credentials_path()).unwrap();
    assert!(!after.contains(&secret) && !after.contains(&id), "{after}");
    assert_eq!(
        after,
        "[team]\nregion = eu-west-1\nawsesh_removed_aws_access_key_id = yes\n\t# rotate quarterly\nawsesh_removed_aws_secret_access_key = yes\n  ; owner: platform team\noutput = json\n",
        "every comment stays, each key line became a placeholder"
    );
    // Both readers still read the other properties as before: the AWS CLI
    // (comments) and awsesh's aws-config (continuations of the placeholders).
    let (code, out, err) = aws_cli(
        &sandbox,
        &["configure", "get", "output", "--profile", "team"],
    );
    assert_eq!((code, out.trim()), (0, "json"), "{err}");
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["login", "--profile", "team", "--token-code", "123456"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

/// Appends numbered comment lines to `path`, as `echo >> file` does, until
/// told to stop, pausing `pause` between lines; returns the lines written.
fn appender(
    path: PathBuf,
    tag: String,
    pause: std::time::Duration,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut written = Vec::new();
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            let line = format!("# appended {tag} {n}\n");
            let ok = fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if ok.is_ok() {
                written.push(line);
            }
            n += 1;
            std::thread::sleep(pause);
        }
        written
    })
}

#[test]
fn a_concurrent_appender_never_loses_a_line() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let (_, id, secret, sandbox) = user_sandbox(
        moto,
        "[profile team]\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n",
    );
    let keys = format!("[team]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let runs = 25;
    let (mut migrated, mut refused) = (0, 0);
    for i in 0..runs {
        sandbox.write_credentials(&format!("# run {i}\n{keys}"));
        let stop = Arc::new(AtomicBool::new(false));
        // From a line every 100 µs (the edit keeps being redone, then
        // refused) to one every few milliseconds (it goes through).
        let pause = std::time::Duration::from_micros(100 + 400 * (i as u64 % 10));
        let writer = appender(
            sandbox.credentials_path(),
            i.to_string(),
            pause,
            stop.clone(),
        );
        let (code, _, err) = run(
            &sandbox,
            Some(&keyring),
            &["keys", "add", "--migrate", "--profile", "team"],
            &[],
        );
        stop.store(true, Ordering::SeqCst);
        let written = writer.join().unwrap();
        let after = fs::read_to_string(sandbox.credentials_path()).unwrap();
        for line in &written {
            assert!(
                after.contains(line.as_str()),
                "run {i} (exit {code}: {err}) lost `{}`",
                line.trim()
            );
        }
        if code == 0 {
            migrated += 1;
            assert!(!after.contains(&secret), "run {i}: {after}");
        } else {
            refused += 1;
            assert!(err.contains("kept changing"), "run {i}: {err}");
            assert!(after.contains(&keys), "run {i}: refused, keys kept");
        }
        assert!(temp_copies(&sandbox.credentials_path()).is_empty());
    }
    support::note(&format!(
        "concurrent appender: {runs} runs, {migrated} migrated, {refused} refused, no line lost"
    ));
    assert!(migrated > 0, "the edit must go through when it can");
}

#[test]
fn a_kill_at_the_temp_files_fsync_leaves_the_original_and_the_next_run_removes_the_copy() {
    let Some(moto) = moto() else { return };
    let Some(keyring) = Keyring::start() else {
        return;
    };
    let Some(strace) = support::which("strace") else {
        support::missing("strace");
        return;
    };
    let (_, id, secret, sandbox) = user_sandbox(
        moto,
        "[profile team]\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n",
    );
    let original = format!(
        "# mine\n[team]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n[other]\naws_secret_access_key = other-secret\n"
    );
    sandbox.write_credentials(&original);
    // The profile index for these files made now, so that the migrate below
    // finds it current and writes (syncs) nothing of its own.
    let (code, _, err) = sandbox.run(&["list-profiles"]);
    assert_eq!(code, 0, "{err}");
    // `keys add --migrate` syncs twice: the keyring index's temp file, then
    // the credentials file's. SIGKILL on the second fsync.
    let mut cmd = Command::new(strace);
    cmd.args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync"])
        .args(["-e", "inject=fsync:signal=KILL:when=2"])
        .arg(support::BIN)
        .args(["keys", "add", "--migrate", "--profile", "team"])
        .env_clear()
        .envs(sandbox.env())
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.bus)
        .stdin(Stdio::null());
    let (code, _, err) = output_within(&mut cmd, 90);
    assert_ne!(code, 0, "killed: {err}");
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        original,
        "the original is intact"
    );
    let copies = temp_copies(&sandbox.credentials_path());
    assert_eq!(
        copies.len(),
        1,
        "the kill hit the temp copy's sync: {copies:?}"
    );
    assert_eq!(
        support::mode_of(&copies[0]),
        0o600,
        "the copy holds every secret"
    );
    // A copy named as earlier versions named it, by a writer that is gone.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let legacy = sandbox.path(&format!("home/.aws/.credentials.awsesh-{dead}.tmp"));
    fs::write(&legacy, &original).unwrap();
    // Any later awsesh run that reads the file removes them.
    let (code, _, err) = run(&sandbox, Some(&keyring), &["keys", "list"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        temp_copies(&sandbox.credentials_path()).is_empty(),
        "the stale copy was removed"
    );
    assert!(!legacy.exists(), "the earlier versions' copy too");
    // And the migrate then goes through.
    let (code, _, err) = run(
        &sandbox,
        Some(&keyring),
        &["keys", "add", "--migrate", "--profile", "team"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        !fs::read_to_string(sandbox.credentials_path())
            .unwrap()
            .contains(&secret)
    );
}

#[test]
fn a_killed_index_write_leaves_a_copy_the_next_run_removes() {
    let sandbox = Sandbox::empty("http://127.0.0.1:9", "AKIAUNUSEDUNUSEDUNUS", "");
    let config_dir = sandbox.path("home/.config/awsesh");
    fs::create_dir_all(&config_dir).unwrap();
    // A copy left by a writer that is gone (pid of an exited child).
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = config_dir.join(format!(".keyring.json.{dead}.12345.tmp"));
    let unrelated = config_dir.join(format!(".other.{dead}.12345.tmp"));
    fs::write(&stale, "{\"version\":1}").unwrap();
    fs::write(&unrelated, "x").unwrap();
    let (code, _, err) = sandbox.run(&["keys", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(!stale.exists(), "the stale index copy was removed");
    assert!(unrelated.exists(), "only the index's own copies go");
}

#[test]
fn a_lost_create_access_key_answer_is_cleaned_up_and_reported() {
    let Some(moto) = moto() else { return };
    let (user, old_id, old_secret, sandbox) = user_sandbox(
        moto,
        "[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/{USER}\n",
    );
    let creds =
        format!("[default]\naws_access_key_id = {old_id}\naws_secret_access_key = {old_secret}\n");
    sandbox.write_credentials(&creds);
    let lost = LostIam::start(&moto.endpoint);
    let (code, out, err) = run(
        &sandbox,
        None,
        &["keys", "rotate", "--token-code", "123456"],
        &[("AWS_ENDPOINT_URL_IAM", lost.endpoint.as_str())],
    );
    assert_eq!(lost.swallowed(), 1, "CreateAccessKey reached IAM once");
    assert_ne!(code, 0);
    assert_eq!((out.as_str(), err.lines().count()), ("", 1), "{err}");
    assert!(!err.contains("nothing was changed"), "{err}");
    assert!(
        err.contains("was lost") && err.contains("awsesh deleted it") && err.contains(&old_id),
        "{err}"
    );
    // IAM had made a key; it is gone again, the old one is the only key.
    assert_eq!(iam_keys_of(moto, &user), vec![old_id.clone()]);
    assert_eq!(
        fs::read_to_string(sandbox.credentials_path()).unwrap(),
        creds
    );
    // So the next rotation is not stopped by "already has two access keys".
    let (code, _, err) = run(
        &sandbox,
        None,
        &["keys", "rotate", "--token-code", "654321"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
}

/// The access key ids IAM has for the user (moto's admin view).
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
