//! The runtime directory and file rules (DESIGN §5): modes under any umask,
//! symlinks never followed, unsafe directories refused, corrupt files are
//! misses, and a holder killed with SIGKILL leaves the lock free and the old
//! session valid.

mod support;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;

use support::{Sandbox, mode_of, moto};

fn with_umask(cmd: &mut std::process::Command, mask: libc::mode_t) {
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
}

#[test]
fn directory_is_0700_and_files_0600_under_any_umask() {
    let Some(moto) = moto() else { return };
    for mask in [0o000, 0o077, 0o022] {
        let sandbox = Sandbox::new(moto);
        let mut cmd = sandbox.awsesh(&["login", "--token-code", "123456"]);
        with_umask(&mut cmd, mask);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(mode_of(&sandbox.store_dir()), 0o700, "umask {mask:03o}");
        for entry in fs::read_dir(sandbox.store_dir()).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(
                mode_of(&path),
                0o600,
                "{} under umask {mask:03o}",
                path.display()
            );
        }
    }
}

#[test]
fn fallback_directory_without_xdg_runtime_dir_is_private_and_warned_once() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let tmp = sandbox.path("tmp");
    fs::create_dir(&tmp).unwrap();
    let run = |args: &[&str]| {
        sandbox
            .awsesh(args)
            .env_remove("XDG_RUNTIME_DIR")
            .env("TMPDIR", &tmp)
            .output()
            .unwrap()
    };
    let out = run(&["login", "--token-code", "123456"]);
    assert!(out.status.success());
    let fallback = tmp.join(format!("awsesh-{}", unsafe { libc::geteuid() }));
    assert_eq!(mode_of(&fallback), 0o700);
    assert!(String::from_utf8_lossy(&out.stderr).contains("XDG_RUNTIME_DIR is not set"));
    let out = run(&["status"]);
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "warned only when created"
    );
}

fn refused(sandbox: &Sandbox, expect: &[&str]) {
    let (code, out, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    for word in expect {
        assert!(err.contains(word), "`{word}` missing: {err}");
    }
}

#[test]
fn an_unsafe_runtime_directory_is_refused_with_path_owner_and_mode() {
    let Some(moto) = moto() else { return };
    // Too open.
    let sandbox = Sandbox::new(moto);
    fs::create_dir(sandbox.store_dir()).unwrap();
    fs::set_permissions(sandbox.store_dir(), fs::Permissions::from_mode(0o755)).unwrap();
    refused(
        &sandbox,
        &[
            "unsafe runtime directory",
            &sandbox.store_dir().display().to_string(),
            "0755",
        ],
    );
    // A symlink to a private-looking directory.
    let sandbox = Sandbox::new(moto);
    let elsewhere = sandbox.path("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    symlink(&elsewhere, sandbox.store_dir()).unwrap();
    refused(&sandbox, &["symlink"]);
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written through the symlink"
    );
    // Owned by someone else (only root can arrange that).
    if unsafe { libc::geteuid() } == 0 {
        let sandbox = Sandbox::new(moto);
        fs::create_dir(sandbox.store_dir()).unwrap();
        fs::set_permissions(sandbox.store_dir(), fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(sandbox.store_dir(), Some(4242), Some(4242)).unwrap();
        refused(&sandbox, &["owned by uid 4242"]);
    }
}

#[test]
fn planted_symlinks_are_never_followed() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, _) = sandbox.run(&["status"]);
    assert_eq!(code, 4, "no session yet (and the directory now exists)");
    let victim = sandbox.path("victim");
    fs::write(&victim, "precious").unwrap();
    symlink(&victim, sandbox.store_dir().join("p-default.session")).unwrap();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        !fs::symlink_metadata(sandbox.store_dir().join("p-default.session"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A symlink at the lock path is refused, not followed.
    let sandbox = Sandbox::new(moto);
    sandbox.run(&["status"]);
    symlink(&victim, sandbox.store_dir().join("p-default.lock")).unwrap();
    refused(&sandbox, &["unsafe file", "symlink"]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn corrupt_empty_huge_or_foreign_cache_files_are_misses() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, _) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0);
    let path = sandbox.store_dir().join("p-default.session");
    let good = fs::read(&path).unwrap();
    let cases: Vec<(&str, Vec<u8>, u32)> = vec![
        ("empty", vec![], 0o600),
        ("truncated", good[..good.len() / 2].to_vec(), 0o600),
        ("garbage", b"\x00\xffnot json at all".to_vec(), 0o600),
        ("huge", vec![b' '; 200_000], 0o600),
        ("group-readable", good.clone(), 0o640),
    ];
    for (what, bytes, mode) in cases {
        fs::remove_file(&path).ok();
        fs::write(&path, &bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let (code, out, err) = sandbox.run(&["env"]);
        assert_eq!(code, 4, "{what}: a miss (no session), not a crash: {err}");
        assert_eq!(out, "");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            !err.contains("AKIA") && !err.contains("not json"),
            "{what}: contents never in errors: {err}"
        );
    }
    // A miss is replaced by the next refresh.
    let (code, _, err) = sandbox.run(&["env", "--ensure", "--token-code", "765432"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode_of(&path), 0o600);
}

#[test]
fn kill_9_at_the_prompt_leaves_the_lock_free_and_the_old_session_valid() {
    use expectrl::Expect;
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, _) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0);
    let before = fs::read(sandbox.store_dir().join("p-default.session")).unwrap();

    let mut holder = support::spawn_pty(&sandbox, &["login", "--force"], &[]);
    holder.expect("MFA code").unwrap();
    // It holds the lock now: kill it without a chance to clean up.
    holder
        .get_process_mut()
        .kill(expectrl::process::unix::Signal::SIGKILL)
        .unwrap();
    let (status, _) = support::finish_pty(holder);
    assert_eq!(status, 128 + 9);

    assert_eq!(
        fs::read(sandbox.store_dir().join("p-default.session")).unwrap(),
        before,
        "old session intact"
    );
    let (code, out, err) = sandbox.run(&["env", "--shell", "json"]);
    assert_eq!(code, 0, "old session still served: {err}");
    assert!(out.contains("AWS_SESSION_TOKEN"));
    // The lock is free: a new login neither waits nor fails.
    let (code, _, err) = sandbox.run(&["login", "--force", "--token-code", "654321"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("waiting"), "{err}");
}

#[test]
fn kill_9_during_the_sts_call_leaves_the_lock_free_and_the_old_session_valid() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, _) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0);
    let before = fs::read(sandbox.store_dir().join("p-default.session")).unwrap();

    // An "STS" that accepts the connection and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", hang.local_addr().unwrap());
    let mut child = sandbox
        .awsesh(&["login", "--force", "--token-code", "222222"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .spawn()
        .unwrap();
    let (_conn, _) = hang.accept().unwrap(); // the request is in flight, the lock held
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(
        fs::read(sandbox.store_dir().join("p-default.session")).unwrap(),
        before
    );
    let (code, out, err) = sandbox.run(&["login", "--force", "--token-code", "333333"]);
    assert_eq!(code, 0, "lock is free: {err}");
    assert_eq!(out, "");
    assert!(!err.contains("waiting"), "{err}");
}
