//! The runtime directory and file rules (DESIGN §5): modes under any umask,
//! symlinks never followed, unsafe directories refused, corrupt files are
//! misses, and a holder killed with SIGKILL leaves the lock free and the old
//! session valid.

mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;

use support::{OutputInTime, Sandbox, mode_of, moto};

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
        let out = cmd.output_in_time();
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
            .output_in_time()
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

/// A private directory left without its owner's bits (by an older version
/// under a strict umask) passes the rules; it gets them back, or nothing
/// could be saved in it by anyone but root.
#[test]
fn a_private_directory_without_owner_bits_is_given_them_back() {
    let Some(moto) = moto() else { return };
    for mode in [0o500, 0o100, 0o000] {
        let sandbox = Sandbox::new(moto);
        fs::create_dir(sandbox.store_dir()).unwrap();
        fs::set_permissions(sandbox.store_dir(), fs::Permissions::from_mode(mode)).unwrap();
        let (code, _, err) = sandbox.run(&["status"]);
        assert_eq!(code, 4, "{mode:04o}: no session yet, and no error: {err}");
        assert_eq!(mode_of(&sandbox.store_dir()), 0o700, "{mode:04o}");
        let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
        assert_eq!(code, 0, "{mode:04o}: {err}");
    }
}

/// A runtime directory that cannot be made (its parent is missing or is a
/// file) is one line naming the path and what failed.
#[test]
fn a_runtime_directory_that_cannot_be_made_is_named_in_one_line() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let file = sandbox.path("a-file");
    fs::write(&file, "").unwrap();
    for parent in [sandbox.path("missing/run"), file] {
        let out = sandbox
            .awsesh(&["login", "--token-code", "123456"])
            .env("XDG_RUNTIME_DIR", &parent)
            .output_in_time();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        let dir = parent.join("awsesh").display().to_string();
        assert!(
            err.contains(&format!("cannot create {dir}")),
            "names what failed and where: {err}"
        );
    }
}

/// Everything works the same for another user, whose files are theirs: run
/// as `nobody` when the suite runs as root (as in CI, where every other
/// test is root's and "owned by us" would hold for the wrong reason).
#[test]
fn another_user_gets_a_private_store_of_their_own() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let root = unsafe { libc::geteuid() } == 0;
    let (uid, gid) = if root {
        (65534, 65534)
    } else {
        unsafe { (libc::geteuid(), libc::getegid()) }
    };
    // The binary where that user can run it, and the sandbox theirs.
    let bin = sandbox.path("awsesh");
    fs::copy(support::BIN, &bin).unwrap();
    for entry in walk(sandbox.root.path()) {
        std::os::unix::fs::lchown(&entry, Some(uid), Some(gid)).unwrap();
    }
    let as_user = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(args)
            .env_clear()
            .envs(sandbox.env())
            .stdin(std::process::Stdio::null())
            .uid(uid)
            .gid(gid);
        let out = cmd.output_in_time();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = as_user(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "uid {uid}: {err}");
    let dir = sandbox.store_dir();
    assert_eq!(fs::metadata(&dir).unwrap().uid(), uid);
    assert_eq!(mode_of(&dir), 0o700);
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            fs::metadata(&path).unwrap().uid(),
            uid,
            "{}",
            path.display()
        );
        assert_eq!(mode_of(&path), 0o600, "{}", path.display());
    }
    let (code, out, err) = as_user(&["env", "--shell", "json"]);
    assert_eq!(code, 0, "uid {uid}: {err}");
    assert!(out.contains("AWS_SESSION_TOKEN"), "{out}");
    let (code, out, _) = as_user(&["prompt"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("12h00m") || out.starts_with("11h59m"),
        "{out:?}"
    );
}

/// Every path under `dir`, `dir` included.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = vec![dir.to_path_buf()];
    if fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        for entry in fs::read_dir(dir).unwrap() {
            found.extend(walk(&entry.unwrap().path()));
        }
    }
    found
}
