//! Large configs (issue 24): the profile index in the runtime directory is
//! never trusted over the files — an edit, an added or removed profile, a
//! file renamed over the config, all at the same size and with the old
//! modification time put back, are seen by the next call; a corrupt or
//! foreign index is a miss; the answer is aws-config's for the whole files,
//! also where reading only the first matching section would differ; and the
//! index holds no secret. Timing is the benchmark's job
//! (benches/large_config.sh), not these tests'.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;
use support::{Sandbox, moto};

/// Profiles around the ones a test looks at, as a generator writes them.
const FILLER: usize = 2000;

fn filler(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| {
            format!(
                "[profile team-{i:05}-admin]\nregion = eu-west-1\nrole_arn = arn:aws:iam::{:012}:role/Admin\nsource_profile = default\n\n",
                100_000_000_000u64 + i as u64
            )
        })
        .collect()
}

fn sandbox() -> Sandbox {
    Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAIOSFODNN7EXAMPLE",
        "arn:aws:iam::1:mfa/x",
    )
}

fn index_files(sandbox: &Sandbox) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(sandbox.store_dir()) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("profiles-") && name.ends_with(".index")
        })
        .collect()
}

/// The one index file of the sandbox (the calls before built it).
fn the_index(sandbox: &Sandbox) -> PathBuf {
    let found = index_files(sandbox);
    assert_eq!(found.len(), 1, "one profile index: {found:?}");
    found.into_iter().next().unwrap()
}

fn list_profiles(sandbox: &Sandbox) -> Vec<String> {
    let (code, out, err) = sandbox.run(&["list-profiles"]);
    assert_eq!(code, 0, "{err}");
    out.lines().map(str::to_string).collect()
}

/// `status --json` of one profile (exit 4: no session, which is fine).
fn status_of(sandbox: &Sandbox, profile: &str) -> Value {
    let (code, out, err) = sandbox.run(&["status", "--json", "--profile", profile]);
    assert!(code == 4 || code == 0, "{code} {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `status --all --json`, the entry of `profile` (from the index).
fn listed(sandbox: &Sandbox, profile: &str) -> Option<Value> {
    let (code, out, err) = sandbox.run(&["status", "--all", "--json"]);
    assert_eq!(code, 0, "{err}");
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    all.into_iter().find(|e| e["profile"] == profile)
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

/// Writes `text` in place, then puts the modification time back (to the
/// nanosecond): only the contents tell the change.
fn rewrite_keeping_mtime(path: &Path, text: &str) {
    let before = mtime(path);
    assert_eq!(
        fs::metadata(path).unwrap().len(),
        text.len() as u64,
        "same size"
    );
    fs::write(path, text).unwrap();
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_times(fs::FileTimes::new().set_modified(before))
        .unwrap();
    assert_eq!(mtime(path), before);
}

#[test]
fn an_edit_between_two_calls_is_seen_at_once_even_at_the_same_size_and_time() {
    let sandbox = sandbox();
    // `extra`, then a comment that brings it to the same length every time.
    let padded = |extra: &str| {
        let mut text = format!("{extra}\n#");
        while text.len() < 48 {
            text.push('-');
        }
        text
    };
    let config = |serial: &str, extra: &str| {
        format!(
            "{}[profile target]\nmfa_serial = arn:aws:iam::123456789012:mfa/{serial}\n{}\n{}",
            filler(0, FILLER),
            padded(extra),
            filler(FILLER, 10)
        )
    };
    sandbox.write_config(&config("aaaa", ""));
    let serial = |s: &Sandbox| status_of(s, "target")["mfa_serial"].clone();
    assert_eq!(serial(&sandbox), "arn:aws:iam::123456789012:mfa/aaaa");
    assert!(listed(&sandbox, "target").is_some());
    the_index(&sandbox);

    // Edited in place: same size, the same mtime put back.
    rewrite_keeping_mtime(&sandbox.config_path(), &config("bbbb", ""));
    assert_eq!(serial(&sandbox), "arn:aws:iam::123456789012:mfa/bbbb");
    assert_eq!(
        listed(&sandbox, "target").unwrap()["mfa_serial"],
        "arn:aws:iam::123456789012:mfa/bbbb",
        "status --all lists the edit too"
    );

    // A profile added, at the same size (the padding comment gives way).
    let added = config("bbbb", "[profile new-1]\nregion=x");
    rewrite_keeping_mtime(&sandbox.config_path(), &added);
    assert!(list_profiles(&sandbox).contains(&"new-1".to_string()));
    assert_eq!(listed(&sandbox, "new-1").unwrap()["configured"], true);

    // Removed again: the padding back, still the same size.
    rewrite_keeping_mtime(&sandbox.config_path(), &config("bbbb", ""));
    assert!(!list_profiles(&sandbox).contains(&"new-1".to_string()));
    assert!(listed(&sandbox, "new-1").is_none());

    // A new file renamed over the config, same size, the old mtime given
    // to it before the rename.
    let before = mtime(&sandbox.config_path());
    let tmp = sandbox.home.join(".aws/config.new");
    fs::write(&tmp, config("cccc", "[profile new-2]\nregion=y")).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&tmp)
        .unwrap()
        .set_times(fs::FileTimes::new().set_modified(before))
        .unwrap();
    fs::rename(&tmp, sandbox.config_path()).unwrap();
    assert_eq!(serial(&sandbox), "arn:aws:iam::123456789012:mfa/cccc");
    assert!(list_profiles(&sandbox).contains(&"new-2".to_string()));

    // The credentials file counts too: a profile only there is listed.
    sandbox.write_credentials("[only-in-credentials]\nregion = z\n");
    assert!(list_profiles(&sandbox).contains(&"only-in-credentials".to_string()));
}

#[test]
fn a_corrupt_or_foreign_index_is_a_miss_and_is_replaced() {
    let sandbox = sandbox();
    sandbox.write_config(&format!(
        "{}[profile mine]\nregion = a\n",
        filler(0, FILLER)
    ));
    let expected = list_profiles(&sandbox);
    assert_eq!(expected.len(), FILLER + 1);
    let index = the_index(&sandbox);
    let good = fs::read(&index).unwrap();

    // One name changed inside the body, still valid JSON: the body's digest
    // no longer matches.
    let text = String::from_utf8(good.clone()).unwrap();
    let forged = text.replacen("\"mine\"", "\"mind\"", 1);
    assert_ne!(forged, text);
    let mut corruptions: Vec<Vec<u8>> = vec![
        forged.into_bytes(),
        good[..good.len() / 2].to_vec(),
        b"garbage\n\x00\xff".to_vec(),
        Vec::new(),
    ];

    // Another config's index (a foreign one) in its place.
    let other = self::sandbox();
    other.write_config("[profile theirs]\nregion = b\n");
    assert_eq!(list_profiles(&other), ["theirs"]);
    corruptions.push(fs::read(the_index(&other)).unwrap());

    for bad in corruptions {
        fs::write(&index, &bad).unwrap();
        assert_eq!(list_profiles(&sandbox), expected);
        assert!(listed(&sandbox, "mine").is_some());
        assert!(listed(&sandbox, "mind").is_none() && listed(&sandbox, "theirs").is_none());
        assert_eq!(status_of(&sandbox, "mine")["configured"], true);
        assert_eq!(fs::read(&index).unwrap(), good, "rebuilt as it was");
    }
}

/// aws-config's answer for the whole files, for `keys` of `profile`.
fn whole_file_answer(sandbox: &Sandbox, profile: &str, keys: &[&str]) -> Vec<Option<String>> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let files = EnvConfigFiles::builder()
        .with_file(EnvConfigFileKind::Config, sandbox.config_path())
        .with_file(EnvConfigFileKind::Credentials, sandbox.credentials_path())
        .build();
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::from_slice(&[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let set = runtime
        .block_on(aws_config::profile::load(&fs, &env, &files, None))
        .unwrap();
    let section = set.get_profile(profile).expect("in the whole files");
    keys.iter()
        .map(|k| section.get(k).map(str::to_string))
        .collect()
}

#[test]
fn a_later_duplicate_section_is_read_as_the_sdks_read_it() {
    let sandbox = sandbox();
    // `dup` twice, thousands of profiles apart: the SDKs merge both, the
    // later value winning; the first section alone would say `first`.
    sandbox.write_config(&format!(
        "[profile dup]\nmfa_serial = arn:aws:iam::1:mfa/first\nrole_arn = arn:aws:iam::1:role/kept\n\n{}[profile dup] # again\nmfa_serial = arn:aws:iam::1:mfa/later\n{}[profile dup]\nregion = r\n",
        filler(0, FILLER),
        filler(FILLER, 10)
    ));
    sandbox.write_credentials("[other]\nregion = o\n");
    let whole = whole_file_answer(&sandbox, "dup", &["mfa_serial", "role_arn", "region"]);
    assert_eq!(
        whole,
        [
            Some("arn:aws:iam::1:mfa/later".to_string()),
            Some("arn:aws:iam::1:role/kept".to_string()),
            Some("r".to_string())
        ],
        "what aws-config says"
    );
    let one = status_of(&sandbox, "dup");
    assert_eq!(one["mfa_serial"].as_str(), whole[0].as_deref(), "{one}");
    assert_eq!(one["role_arn"].as_str(), whole[1].as_deref(), "{one}");
    assert_eq!(one["kind"], "role");
    let row = listed(&sandbox, "dup").unwrap();
    assert_eq!(row["mfa_serial"].as_str(), whole[0].as_deref(), "{row}");
    assert_eq!(row["role_arn"].as_str(), whole[1].as_deref(), "{row}");
}

#[test]
fn a_refresh_uses_the_keys_of_a_later_duplicate_credentials_section() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let good = fs::read_to_string(sandbox.credentials_path()).unwrap();
    // A first `[default]` with keys moto does not know, thousands of
    // profiles before the real ones: the later section wins, as in the SDKs.
    let mut credentials =
        "[default]\naws_access_key_id = AKIANOTKNOWNBYMOTO01\naws_secret_access_key = bm90IGtub3du\n"
            .to_string();
    for i in 0..FILLER {
        credentials.push_str(&format!(
            "[filler-{i}]\naws_access_key_id = AKIAFILLER{i:010}\naws_secret_access_key = ZmlsbGVy\n"
        ));
    }
    credentials.push_str(&good);
    sandbox.write_credentials(&credentials);
    sandbox.append_config(&filler(0, FILLER));
    let (code, _, err) = sandbox.run(&["login", "--force", "--token-code", "123456"]);
    assert_eq!(code, 0, "{err}");
    let one = status_of(&sandbox, "default");
    assert_eq!(one["state"], "valid", "{one}");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1,
        "signed with the later section's key"
    );
}

#[test]
fn the_index_holds_no_secret_and_is_private() {
    let sandbox = sandbox();
    let secret = "SeNtInElSeCrEt0123456789abcdefghijklmnop";
    let token = "SeNtInElToKeN";
    sandbox.write_credentials(&format!(
        "[default]\naws_access_key_id = AKIASENTINELKEY00001\naws_secret_access_key = {secret}\naws_session_token = {token}x\n"
    ));
    sandbox.write_config(&format!(
        "[default]\nmfa_serial = arn:aws:iam::1:mfa/x\nmfa_process = oathtool --totp -b {token}seed\n[profile cp]\ncredential_process = pass show {token}cp\n[profile own]\ncredential_process = awsesh credential-process --profile default\n{}",
        filler(0, 100)
    ));
    assert_eq!(list_profiles(&sandbox).len(), 103);
    // What the list needs is there: the kinds, from the index.
    assert_eq!(listed(&sandbox, "own").unwrap()["kind"], "other");
    assert_eq!(listed(&sandbox, "cp").unwrap()["kind"], "mfa");
    assert_eq!(
        listed(&sandbox, "default").unwrap()["sign_in"],
        "aws_session_token"
    );
    let index = the_index(&sandbox);
    let text = String::from_utf8(fs::read(&index).unwrap()).unwrap();
    for secret in [
        secret,
        token,
        "AKIASENTINELKEY00001",
        "oathtool",
        "pass show",
    ] {
        assert!(!text.contains(secret), "{secret} in the index");
    }
    assert_eq!(support::mode_of(&index) & 0o777, 0o600);
}

#[test]
fn the_hot_calls_never_open_the_config() {
    // With a session cached, a FIFO without a writer in place of both files:
    // opening one for reading blocks, so a hot call that read the config
    // would hang (and be killed at the deadline); none builds an index.
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "{err}");
    for index in index_files(&sandbox) {
        fs::remove_file(index).unwrap();
    }
    for path in [sandbox.config_path(), sandbox.credentials_path()] {
        fs::remove_file(&path).unwrap();
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    }
    for args in [
        &["env"][..],
        &["env", "--shell", "json"],
        &["prompt"],
        &["prompt", "--profile", "team-00001-admin"],
        &["hook-sync", "--shell", "bash"],
    ] {
        let out = support::output_within(
            &mut sandbox.awsesh(args),
            std::time::Duration::from_secs(30),
        );
        assert!(out.status.code().is_some(), "{args:?} exited");
    }
    assert!(index_files(&sandbox).is_empty());
}

/// The region a hooked shell gives its children comes from the session,
/// recorded when it was started (so the hot path reads no config); a session
/// file written before regions were recorded gets it from the config.
#[test]
fn the_session_carries_its_profiles_region() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123457"]);
    assert_eq!(code, 0, "{err}");
    let region_line = |sandbox: &Sandbox| {
        let (code, out, err) = sandbox.run(&["env", "--shell", "bash"]);
        assert_eq!(code, 0, "{err}");
        out.lines()
            .find(|l| l.contains("_AWSESH_REGION="))
            .unwrap_or_else(|| panic!("no _AWSESH_REGION in {out}"))
            .to_string()
    };
    assert!(region_line(&sandbox).contains("us-east-1"));

    let config = fs::read_to_string(sandbox.config_path()).unwrap();
    sandbox.write_config(&config.replace("us-east-1", "eu-west-2"));
    let recorded = region_line(&sandbox);
    assert!(recorded.contains("us-east-1"), "{recorded}");

    // As the awsesh before the upgrade wrote it: no region in the file.
    let path = sandbox.store_dir().join("p-default.session");
    let text = fs::read_to_string(&path).unwrap();
    let older = text.replace(",\"region\":\"us-east-1\"", "");
    assert_ne!(older, text, "the region is not in the session file");
    fs::write(&path, older).unwrap();
    let from_config = region_line(&sandbox);
    assert!(from_config.contains("eu-west-2"), "{from_config}");
}
