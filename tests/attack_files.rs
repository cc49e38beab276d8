//! Files as an adversary: something planted at every path awsesh uses (the
//! session, the lock, the failure record, the used-code record, the
//! directory itself) — a symlink, a FIFO, a hard link, a directory, a huge,
//! corrupt or empty file, edge-of-range dates, a file of another owner —
//! and strict umasks, stale temp files, files of format version 1.
//! Rules: no panic, no hang, nothing read or written through a planted
//! name, a bad session is a miss and is replaced, errors are one line and
//! never show a file's contents, modes never depend on the umask.

mod support;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use support::fake_sts::FakeSts;
use support::{Sandbox, mode_of};

const CANARY: &str = "CANARY-precious-contents-AKIAPRECIOUS0000001";

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// A sandbox whose store directory exists, and a precious file of the user
/// next to it (what a planted link points at).
fn world() -> (FakeSts, Sandbox, PathBuf) {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    fs::create_dir(sandbox.store_dir()).unwrap();
    fs::set_permissions(sandbox.store_dir(), fs::Permissions::from_mode(0o700)).unwrap();
    let precious = sandbox.path("precious");
    fs::write(&precious, CANARY).unwrap();
    fs::set_permissions(&precious, fs::Permissions::from_mode(0o600)).unwrap();
    (fake, sandbox, precious)
}

fn session_json(expiration: &str) -> String {
    format!(
        "{{\"version\":2,\"profile\":\"default\",\"mfa_serial\":\"arn:aws:iam::123456789012:mfa/fake\",\"source_access_key_id\":\"AKIAFAKELONGTERM0001\",\"access_key_id\":\"ASIAPLANTEDPLANTED01\",\"secret_access_key\":\"c2VjcmV0\",\"session_token\":\"dG9rZW4=\",\"expiration\":\"{expiration}\"}}"
    )
}

#[derive(Clone, Copy, Debug)]
enum Plant {
    Symlink,
    Fifo,
    /// A Unix socket: opening it fails (ENXIO) instead of blocking.
    Socket,
    HardLink,
    Directory,
    Huge,
    Corrupt,
    Empty,
    GroupReadable,
    /// A well-formed session whose expiry is at the edge of the range.
    EdgeDate(&'static str, &'static str),
    /// A first line no expiry can be.
    AbsurdStamp,
}

const PLANTS: [Plant; 15] = [
    Plant::Symlink,
    Plant::Fifo,
    Plant::Socket,
    Plant::HardLink,
    Plant::Directory,
    Plant::Huge,
    Plant::Corrupt,
    Plant::Empty,
    Plant::GroupReadable,
    Plant::EdgeDate("9999-12-31T23:59:59-23:59", "253402386339"),
    Plant::EdgeDate("9999-12-31T23:59:59Z", "253402300799"),
    Plant::EdgeDate("0000-01-01T00:00:00+23:59", "0"),
    Plant::EdgeDate("2999-01-01T00:00:00Z", "32472144000"),
    Plant::EdgeDate("1970-01-01T00:00:01Z", "1"),
    Plant::AbsurdStamp,
];

fn plant(what: Plant, at: &Path, precious: &Path) {
    match what {
        Plant::Symlink => symlink(precious, at).unwrap(),
        Plant::Fifo => {
            let c = CString::new(at.as_os_str().as_encoded_bytes()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        Plant::Socket => drop(std::os::unix::net::UnixListener::bind(at).unwrap()),
        Plant::HardLink => fs::hard_link(precious, at).unwrap(),
        Plant::Directory => {
            fs::create_dir(at).unwrap();
            fs::set_permissions(at, fs::Permissions::from_mode(0o700)).unwrap();
        }
        Plant::Huge => {
            let f = fs::File::create(at).unwrap();
            f.set_len(1 << 30).unwrap(); // sparse: 1 GiB to read, none on disk
        }
        Plant::Corrupt => fs::write(at, b"\x00\xff{\"version\":2,\n\x1b[2J garbage").unwrap(),
        Plant::Empty => fs::write(at, b"").unwrap(),
        Plant::GroupReadable => {
            fs::write(at, format!("1\n{}\n", session_json("2001-01-01T00:00:00Z"))).unwrap();
            fs::set_permissions(at, fs::Permissions::from_mode(0o640)).unwrap();
            return;
        }
        Plant::EdgeDate(expiration, stamp) => {
            fs::write(at, format!("{stamp}\n{}\n", session_json(expiration))).unwrap()
        }
        Plant::AbsurdStamp => fs::write(
            at,
            format!(
                "999999999999999999\n{}\n",
                session_json("2027-01-01T00:00:00Z")
            ),
        )
        .unwrap(),
    }
    if !matches!(
        what,
        Plant::Symlink | Plant::HardLink | Plant::Directory | Plant::Fifo | Plant::Socket
    ) {
        fs::set_permissions(at, fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Why the store refuses a planted file, as its warning says; `None` for
/// a file that passes the rules and is then found corrupt or expired.
fn unsafe_reason(what: Plant) -> Option<&'static str> {
    match what {
        Plant::Symlink => Some("a symlink"),
        Plant::Fifo | Plant::Socket | Plant::Directory => Some("not a regular file"),
        Plant::HardLink => Some("2 hard links"),
        Plant::Huge => Some("larger than 64 KiB"),
        Plant::GroupReadable => Some("mode 0640"),
        _ => None,
    }
}

/// What every command must do whatever was planted: end (the harness kills
/// it past its deadline and fails), exit 0, 1 or 4 (no valid session) —
/// never a panic (101, 134) —
/// at most a warning and an error on stderr, each `awsesh: …`, and never
/// show the precious file's contents.
fn behaves(sandbox: &Sandbox, args: &[&str], context: &str) -> (i32, String, String) {
    let (code, out, err) = sandbox.run(args);
    assert!(
        [0, 1, 4].contains(&code),
        "{context}: {args:?} exited {code}: {err}"
    );
    assert!(err.lines().count() <= 2, "{context}: {args:?}: {err}");
    assert!(
        err.lines().all(|l| l.starts_with("awsesh: ")),
        "{context}: {args:?}: {err}"
    );
    for text in [&out, &err] {
        assert!(
            !text.contains("CANARY"),
            "{context}: {args:?} showed a planted file: {text}"
        );
        assert!(
            !text.contains("ASIAPLANTED"),
            "{context}: {args:?} used a planted session: {text}"
        );
    }
    (code, out, err)
}

const READERS: [&[&str]; 6] = [
    &["env", "--shell", "bash"],
    &["status"],
    &["status", "--all", "--json"],
    &["prompt"],
    &["hook-sync", "--shell", "bash"],
    &["credential-process"],
];

#[test]
fn anything_planted_at_the_session_path_is_a_miss_and_is_replaced() {
    for what in PLANTS {
        let (_fake, sandbox, precious) = world();
        let path = sandbox.store_dir().join("p-default.session");
        plant(what, &path, &precious);
        let context = format!("{what:?} at the session path");
        // A file that breaks the rules is reported, in words, and never
        // read: the warning names why (README: unsafe files are ignored
        // with a warning). Contents that are merely corrupt are a quiet miss.
        let (_, _, err) = behaves(&sandbox, &["status"], &context);
        match unsafe_reason(what) {
            Some(reason) => assert!(
                err.contains("ignoring the cached session") && err.contains(reason),
                "{context}: expected a warning saying {reason:?}: {err}"
            ),
            None => assert!(!err.contains("ignoring"), "{context}: {err}"),
        }
        for args in READERS {
            let (code, out, _) = behaves(&sandbox, args, &context);
            if args[0] == "env" || args[0] == "status" && args.len() == 1 {
                assert_eq!(code, 4, "{context}: {args:?} found no session");
            }
            if args[0] == "prompt" {
                assert_eq!(out, "", "{context}: no countdown from a planted file");
            }
        }
        let (code, _, err) = behaves(&sandbox, &["login", "--token-code", "111111"], &context);
        if matches!(what, Plant::Directory) {
            assert_eq!(code, 1, "{context}: a directory cannot be replaced: {err}");
        } else {
            assert_eq!(code, 0, "{context}: the miss is replaced: {err}");
            let meta = fs::symlink_metadata(&path).unwrap();
            assert!(
                meta.is_file() && meta.nlink() == 1,
                "{context}: a fresh file"
            );
            assert_eq!(mode_of(&path), 0o600);
            let (code, out, _) = behaves(&sandbox, &["env", "--shell", "bash"], &context);
            assert_eq!(code, 0);
            assert!(out.contains("ASIAFAKE"), "{context}: {out}");
        }
        assert_eq!(fs::read_to_string(&precious).unwrap(), CANARY, "{context}");
        behaves(&sandbox, &["logout", "--all"], &context);
        assert_eq!(fs::read_to_string(&precious).unwrap(), CANARY, "{context}");
    }
}

#[test]
fn anything_planted_at_the_lock_path_is_refused_or_harmless() {
    for what in PLANTS {
        let (_fake, sandbox, precious) = world();
        let path = sandbox.store_dir().join("p-default.lock");
        plant(what, &path, &precious);
        let context = format!("{what:?} at the lock path");
        let (code, _, err) = behaves(&sandbox, &["login", "--token-code", "111111"], &context);
        match what {
            Plant::Symlink
            | Plant::Fifo
            | Plant::Socket
            | Plant::HardLink
            | Plant::Directory
            | Plant::GroupReadable => {
                assert_eq!(code, 1, "{context}: refused: {err}");
                assert!(
                    err.contains("p-default.lock"),
                    "{context}: names the path: {err}"
                );
            }
            _ => assert_eq!(code, 0, "{context}: a lock's contents do not matter: {err}"),
        }
        assert_eq!(
            fs::read_to_string(&precious).unwrap(),
            CANARY,
            "{context}: the linked file was written through"
        );
        for args in READERS {
            behaves(&sandbox, args, &context);
        }
    }
}

#[test]
fn anything_planted_at_the_failure_and_used_code_paths_is_harmless() {
    for what in PLANTS {
        for name in ["p-default.fail", "used-planted"] {
            let (_fake, sandbox, precious) = world();
            let context = format!("{what:?} at {name}");
            // The used-code record's name is a digest of the device: plant
            // at the real one, found after a first login.
            let path = if name == "used-planted" {
                let (code, _, err) =
                    behaves(&sandbox, &["login", "--token-code", "111111"], &context);
                assert_eq!(code, 0, "{err}");
                let used = fs::read_dir(sandbox.store_dir())
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .find(|p| {
                        p.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with("used-")
                    })
                    .expect("a used-code record");
                fs::remove_file(&used).unwrap();
                used
            } else {
                sandbox.store_dir().join(name)
            };
            plant(what, &path, &precious);
            let (code, _, err) = behaves(
                &sandbox,
                &["login", "--force", "--token-code", "222222"],
                &context,
            );
            if !matches!(what, Plant::Directory) {
                assert_eq!(code, 0, "{context}: {err}");
            }
            for args in READERS {
                behaves(&sandbox, args, &context);
            }
            assert_eq!(fs::read_to_string(&precious).unwrap(), CANARY, "{context}");
        }
    }
}

#[test]
fn a_planted_runtime_directory_is_refused_with_one_line() {
    type Make = fn(&Path, &Path);
    let cases: [(&str, Make); 5] = [
        ("symlink", |dir, elsewhere| symlink(elsewhere, dir).unwrap()),
        ("file", |dir, _| fs::write(dir, CANARY).unwrap()),
        ("fifo", |dir, _| {
            let c = CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }),
        ("0755", |dir, _| {
            fs::create_dir(dir).unwrap();
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        }),
        ("0701", |dir, _| {
            fs::create_dir(dir).unwrap();
            fs::set_permissions(dir, fs::Permissions::from_mode(0o701)).unwrap();
        }),
    ];
    for (what, make) in cases {
        let fake = FakeSts::start();
        let sandbox = Sandbox::with_fake(&fake);
        let elsewhere = sandbox.path("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
        make(&sandbox.store_dir(), &elsewhere);
        let (code, out, err) = sandbox.run(&["login", "--token-code", "111111"]);
        assert_eq!((code, out.as_str()), (1, ""), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(err.contains("unsafe runtime directory"), "{what}: {err}");
        assert_eq!(
            fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "{what}: written through"
        );
        // The prompt path says nothing and never fails.
        let (code, out, _) = sandbox.run(&["prompt"]);
        assert_eq!((code, out.as_str()), (0, ""), "{what}");
    }
}

/// Files and a directory of another user: only root can plant them. Not
/// being root is said loudly (and fails under AWSESH_TEST_REQUIRE_ALL=1).
#[test]
fn files_and_a_directory_owned_by_another_uid_are_refused() {
    if !is_root() {
        support::missing("root, to plant files and a directory owned by another uid");
        return;
    }
    let other = 4242;
    let (_fake, sandbox, precious) = world();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let session = sandbox.store_dir().join("p-default.session");
    std::os::unix::fs::chown(&session, Some(other), Some(other)).unwrap();
    let (code, _, err) = behaves(&sandbox, &["env"], "another uid's session");
    assert_eq!(code, 4, "a session of another uid is not ours: {err}");
    assert!(err.contains("owned by uid 4242"), "{err}");
    let (code, _, err) = behaves(
        &sandbox,
        &["login", "--token-code", "222222"],
        "another uid's session",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::metadata(&session).unwrap().uid(), 0, "replaced by ours");

    let lock = sandbox.store_dir().join("p-default.lock");
    std::os::unix::fs::chown(&lock, Some(other), Some(other)).unwrap();
    let (code, _, err) = behaves(
        &sandbox,
        &["login", "--force", "--token-code", "333333"],
        "another uid's lock",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("owned by uid 4242"), "{err}");

    let (_fake, sandbox, _) = world();
    std::os::unix::fs::chown(sandbox.store_dir(), Some(other), Some(other)).unwrap();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("owned by uid 4242") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(fs::read_to_string(&precious).unwrap(), CANARY);
}

fn with_umask(cmd: &mut std::process::Command, mask: libc::mode_t) -> &mut std::process::Command {
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
    cmd
}

/// Under umask 0277 the lock used to be created 0400 and every later run
/// failed; under 0777 nothing was readable.
#[test]
fn everything_works_and_modes_hold_under_umask_0277_and_0777() {
    for mask in [0o277, 0o777, 0o000] {
        let fake = FakeSts::start();
        let sandbox = Sandbox::with_fake(&fake);
        let steps: [&[&str]; 6] = [
            &["login", "--token-code", "111111"],
            &["env", "--shell", "fish"],
            &["login", "--force", "--token-code", "222222"],
            &["status"],
            &["logout"],
            &["login", "--token-code", "333333"],
        ];
        for args in steps {
            let out = support::output_within(
                with_umask(&mut sandbox.awsesh(args), mask),
                support::COMMAND_DEADLINE,
            );
            assert!(
                out.status.success(),
                "umask {mask:03o}: {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
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

/// A temp file left by a killed writer holds a whole session, secret and
/// token: it is removed on the next save and by `logout --all`, unless its
/// writer is alive and it is recent.
#[test]
fn stale_temp_files_are_removed_on_save_and_by_logout_all() {
    let (_fake, sandbox, _) = world();
    let dead = {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let mut alive = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let stale = sandbox
        .store_dir()
        .join(format!(".p-default.session.{dead}.123.tmp"));
    let live = sandbox
        .store_dir()
        .join(format!(".p-other.session.{}.456.tmp", alive.id()));
    for path in [&stale, &live] {
        fs::write(path, "1\n{\"secret_access_key\":\"LEFTOVER\"}").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    assert!(!stale.exists(), "a dead writer's temp file survived a save");
    assert!(
        live.exists(),
        "a live writer's recent temp file was removed"
    );

    let stale2 = sandbox
        .store_dir()
        .join(format!(".used-0123456789abcdef.{dead}.9.tmp"));
    fs::write(&stale2, "x").unwrap();
    fs::set_permissions(&stale2, fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, err) = sandbox.run(&["logout", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !stale2.exists(),
        "logout --all left a dead writer's temp file"
    );
    assert!(live.exists());
    alive.kill().unwrap();
    alive.wait().unwrap();
    let (code, _, _) = sandbox.run(&["logout", "--all"]);
    assert_eq!(code, 0);
    assert!(!live.exists(), "its writer is dead now");
}

#[test]
fn logout_all_removes_corrupt_sessions_and_format_1_files() {
    let (_fake, sandbox, _) = world();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let dir = sandbox.store_dir();
    let leftovers = [
        dir.join("p-old.json"),
        dir.join("p-old.exp"),
        dir.join("p-broken.session"),
        dir.join("p-broken.fail"),
    ];
    for path in &leftovers {
        fs::write(path, "{\"secret_access_key\":\"OLD\"}").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, out, err) = sandbox.run(&["logout", "--all"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("logged out of profile default"), "{err}");
    for path in &leftovers {
        assert!(!path.exists(), "{} survived logout --all", path.display());
    }
    assert!(!dir.join("p-default.session").exists());
}

/// A symlink at the session path that points at a perfectly valid session
/// of ours elsewhere is still not read: reads never follow a planted name.
#[test]
fn a_symlink_to_a_valid_session_is_not_read() {
    let (_fake, sandbox, _) = world();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let path = sandbox.store_dir().join("p-default.session");
    let elsewhere = sandbox.path("valid.session");
    fs::rename(&path, &elsewhere).unwrap();
    symlink(&elsewhere, &path).unwrap();
    for args in [&["env"][..], &["status"]] {
        let (code, out, err) = behaves(&sandbox, args, "symlink to a valid session");
        assert_eq!(
            (code, out.as_str()),
            (4, ""),
            "{args:?} followed the symlink: {err}"
        );
    }
    let (_, out, _) = behaves(&sandbox, &["prompt"], "symlink to a valid session");
    assert_eq!(out, "", "the prompt followed the symlink");
}

/// A session is only ever its own profile's and its device's, and an
/// expired one is never handed out.
#[test]
fn foreign_and_expired_sessions_are_never_handed_out() {
    let (_fake, sandbox, _) = world();
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let dir = sandbox.store_dir();
    // Another profile's file under this profile's name.
    sandbox.append_config(
        "[profile other]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n",
    );
    fs::copy(dir.join("p-default.session"), dir.join("p-other.session")).unwrap();
    let (code, out, err) = behaves(&sandbox, &["env", "--profile", "other"], "foreign file");
    assert_eq!(
        (code, out.as_str()),
        (4, ""),
        "a session of `default` served for `other`: {err}"
    );

    // A profile that now names another MFA device: the session made with
    // the old one is not reused (no terminal here, so it must fail).
    let config = fs::read_to_string(sandbox.config_path()).unwrap();
    sandbox.write_config(&config.replacen("mfa/fake", "mfa/other-device", 1));
    let (code, out, err) = behaves(&sandbox, &["env", "--ensure"], "device changed");
    assert_eq!(
        (code, out.as_str()),
        (1, ""),
        "a session of another device reused: {err}"
    );
    sandbox.write_config(&config);

    // Expired a minute ago, well-formed, ours: env refuses it, status says so.
    let expired = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 60;
        let text = support::fake_sts::rfc3339_in(-60);
        format!(
            "{now}\n{}\n",
            session_json(&text).replace("ASIAPLANTEDPLANTED01", "ASIAEXPIREDEXPIRED01")
        )
    };
    let path = dir.join("p-default.session");
    fs::remove_file(&path).unwrap();
    fs::write(&path, expired).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out, err) = behaves(&sandbox, &["env", "--shell", "bash"], "expired");
    assert_eq!(
        (code, out.as_str()),
        (4, ""),
        "an expired session was exported: {err}"
    );
    let (code, out, err) = behaves(&sandbox, &["status"], "expired");
    assert_eq!(code, 4, "{err}");
    assert!(out.contains("expired"), "{out}");
    let (_, out, _) = behaves(&sandbox, &["prompt"], "expired");
    assert_eq!(out.trim(), "expired");
    // An SDK calling credential_process with no terminal gets the
    // still-valid session when there is one, never an expired one.
    let (code, out, err) = behaves(&sandbox, &["credential-process"], "expired");
    assert_eq!(code, 1, "{err}");
    assert!(
        !out.contains("ASIAEXPIREDEXPIRED01"),
        "an expired session was handed to an SDK: {out}"
    );
    // The hook's own answer drops the keys (the shell then shows
    // `expired`): it never exports them, whatever the shell does next.
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = behaves(&sandbox, &["hook-sync", "--shell", shell], "expired");
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains("ASIAEXPIREDEXPIRED01"),
            "{shell}: the expired keys were exported: {out}"
        );
    }
}
