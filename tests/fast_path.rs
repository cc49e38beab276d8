//! The hot calls (`prompt`, `env`, `status`, `hook-sync`, `credential-process`,
//! `--version`) are parsed by hand before clap (src/hot_path.rs). Each call here
//! runs both ways on the same files and environment — the fast path, and clap
//! (the debug build's `AWSESH_TEST_SLOW_PATH` switch) — and must print the
//! same bytes on stdout and stderr and exit with the same status, errors
//! included.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use support::Sandbox;

/// A session file as awsesh writes it, expiring `left` seconds from now.
fn session_file(profile: &str, left: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let exp = now + left;
    let rfc = time::OffsetDateTime::from_unix_timestamp(exp)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let json = serde_json::json!({
        "version": 2,
        "profile": profile,
        "mfa_serial": "arn:aws:iam::123456789012:mfa/fast",
        "source_access_key_id": "AKIAFASTPATHTEST0001",
        "access_key_id": "ASIAFASTPATHTEST0001",
        "secret_access_key": "c2VjcmV0+/=",
        "session_token": "dG9rZW4=",
        "expiration": rfc,
    });
    format!("{exp}\n{json}\n")
}

fn write_private(path: &std::path::Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// The states the files can be in, each set up in a fresh sandbox.
fn states() -> Vec<(&'static str, Sandbox)> {
    let mut all = Vec::new();
    for state in [
        "none",
        "fresh",
        "expired",
        "corrupt",
        "open-dir",
        "no-runtime",
    ] {
        // A closed port: a call that would reach STS fails at once.
        let sb = Sandbox::empty(
            "http://127.0.0.1:9",
            "AKIAFASTPATHTEST0001",
            "arn:aws:iam::123456789012:mfa/fast",
        );
        sb.write_credentials(
            "[default]\naws_access_key_id = AKIAFASTPATHTEST0001\naws_secret_access_key = c2VjcmV0\n\
             [dev]\naws_access_key_id = AKIAFASTPATHTEST0001\naws_secret_access_key = c2VjcmV0\n",
        );
        sb.write_config(
            "[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/fast\n\
             [profile dev]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/fast\n",
        );
        let dir = sb.store_dir();
        match state {
            "none" => {}
            "no-runtime" => fs::remove_dir_all(&sb.runtime).unwrap(),
            _ => {
                fs::create_dir_all(&dir).unwrap();
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
            }
        }
        match state {
            "fresh" => {
                write_private(
                    &dir.join("p-default.session"),
                    &session_file("default", 40_000),
                );
                write_private(&dir.join("p-dev.session"), &session_file("dev", 2_000));
            }
            "expired" => {
                write_private(
                    &dir.join("p-default.session"),
                    &session_file("default", -60),
                );
                write_private(&dir.join("p-dev.session"), &session_file("dev", -7_200));
            }
            "corrupt" => write_private(&dir.join("p-default.session"), "123\n{not json"),
            "open-dir" => {
                write_private(
                    &dir.join("p-default.session"),
                    &session_file("default", 40_000),
                );
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            }
            _ => {}
        }
        all.push((state, sb));
    }
    all
}

/// Hot calls in the shapes the shell hooks and SDKs use, and the shapes
/// around them (values with `=`, odd or over-long profile names, `-p`).
fn calls() -> Vec<(Vec<&'static str>, Option<&'static str>)> {
    let long = "x".repeat(70).leak() as &'static str;
    let mut calls: Vec<(Vec<&'static str>, Option<&'static str>)> = vec![
        (vec!["--version"], None),
        (vec!["-V"], None),
        (vec!["prompt"], None),
        (vec!["prompt"], Some("dev")),
        (vec!["prompt", "--profile", "dev"], None),
        (vec!["prompt", "-p", "a b"], None),
        (vec!["prompt", "--profile", long], None),
        (vec!["prompt", "--held"], None),
        (vec!["prompt", "--held"], Some("dev")),
        (vec!["prompt", "--held", "--profile", "dev"], None),
        (vec!["env", "--shell", "posix"], None),
        (vec!["env", "--shell", "tcsh"], None),
        (vec!["env"], None),
        (vec!["env"], Some("dev")),
        (vec!["env", "--shell", "json"], None),
        (vec!["env", "--shell=fish", "--profile=dev"], None),
        (vec!["env", "--profile", "dev", "--shell", "zsh"], None),
        (vec!["env", "--profile", long], None),
        (
            vec![
                "env",
                "--ensure",
                "--pass-other-sign-in",
                "--shell",
                "bash",
                "--profile",
                "dev",
            ],
            None,
        ),
        (vec!["status"], None),
        (vec!["status", "--json"], None),
        (vec!["status", "--all"], None),
        (vec!["status", "--all", "--json"], None),
        (vec!["status", "-p", "dev"], None),
        (vec!["status", "--profile", "nope"], None),
        (vec!["credential-process"], None),
        (vec!["credential-process", "--profile", "dev"], None),
    ];
    for shell in ["bash", "zsh", "fish", "posix", "tcsh"] {
        calls.push((
            vec!["hook-sync", "--shell", shell, "--profile", "default"],
            None,
        ));
        calls.push((
            vec!["hook-sync", "--profile", "dev", "--shell", shell],
            None,
        ));
        calls.push((
            vec!["hook-sync", "--shell", shell, "--profile", "a'b"],
            None,
        ));
    }
    calls
}

fn run(sb: &Sandbox, args: &[&str], profile: Option<&str>, slow: bool) -> Output {
    let mut cmd = sb.awsesh(args);
    if let Some(profile) = profile {
        cmd.env("AWS_PROFILE", profile);
    }
    // hook-sync unsets the session's variables only when the shell holds one.
    cmd.env("AWSESH_PROFILE", "default");
    if slow {
        cmd.env("AWSESH_TEST_SLOW_PATH", "1");
    }
    cmd.output().unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn same(a: &Output, b: &Output) -> bool {
    a.status.code() == b.status.code() && a.stdout == b.stdout && a.stderr == b.stderr
}

#[test]
fn every_hot_call_prints_and_exits_as_clap_would_in_every_state() {
    let mut compared = 0;
    for (state, sb) in states() {
        for (args, profile) in calls() {
            // Slow, fast, slow: a time left that changes its minute between
            // two runs cannot make both slow runs differ from the fast one.
            let before = run(&sb, &args, profile, true);
            let fast = run(&sb, &args, profile, false);
            let after = run(&sb, &args, profile, true);
            assert!(
                same(&fast, &before) || same(&fast, &after),
                "{state}: awsesh {args:?} (AWS_PROFILE={profile:?})\n\
                 fast path:\n{}\nclap:\n{}",
                show(&fast),
                show(&before)
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 6 * calls().len());
}

/// The comparison above means something only if the states make the hot
/// calls answer differently: a session, none, an error.
#[test]
fn the_states_give_different_answers() {
    let answers: Vec<(String, String)> = states()
        .iter()
        .map(|(state, sb)| {
            let out = run(sb, &["env", "--shell", "json"], None, false);
            (state.to_string(), show(&out))
        })
        .collect();
    let fresh = &answers[1].1;
    assert!(
        fresh.contains("exit Some(0)") && fresh.contains("ASIAFASTPATHTEST0001"),
        "{fresh}"
    );
    let none = &answers[0].1;
    assert!(
        !none.contains("exit Some(0)") && none.contains("awsesh login"),
        "{none}"
    );
    let open = &answers[4].1;
    assert!(
        !open.contains("exit Some(0)") && open.contains("mode"),
        "{open}"
    );
}
