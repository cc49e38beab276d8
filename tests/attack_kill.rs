//! kill -9 at every step of a refresh. strace's fault injection
//! (`-e inject=SYSCALL:signal=KILL:when=N`) kills the refreshing process at
//! the Nth call of each system call it makes — opening the lock, taking it,
//! writing its pid, connecting to STS, writing, timestamping, syncing and
//! renaming the temp files, unlocking — for every N until it gets through.
//! Also: killed while STS hangs, and while `mfa_process` hangs.
//! Rules: the killed process HELD the lock once it got that far (its pid is
//! in the lock file), the lock is free afterwards, the cached session is
//! always a whole valid one (the old, or the new one complete), the next
//! refresh goes through without waiting, and leaves no temp file behind.

mod support;

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::fake_sts::{Answer, FakeSts};
use support::{Sandbox, which};

fn lock_is_free(lock: &Path) -> bool {
    let Ok(file) = fs::File::open(lock) else {
        return true; // no lock file: nobody holds it
    };
    // SAFETY: flock on a descriptor we own.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if taken {
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    }
    taken
}

fn session_key(sandbox: &Sandbox) -> String {
    let (code, out, err) = sandbox.run(&["env", "--shell", "json"]);
    assert_eq!(code, 0, "a valid session is always there: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string()
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// What a run under strace did: which pid was killed, at which call, and
/// whether it was holding the lock with its pid written at that moment.
struct Killed {
    pid: u32,
    held_lock: bool,
    last_call: String,
}

fn run_killed_at(sandbox: &Sandbox, syscall: &str, n: usize, code: &str) -> Option<Killed> {
    let trace = sandbox.path(&format!("trace-{syscall}-{n}"));
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args([
            "-e",
            &format!("trace=flock,ftruncate,write,{syscall}"),
            "-e",
            &format!("inject={syscall}:signal=KILL:when={n}"),
            support::BIN,
            "login",
            "--force",
            "--token-code",
            code,
        ])
        .env_clear()
        .envs(sandbox.env())
        .stdin(Stdio::null());
    support::output_within(&mut cmd, support::COMMAND_DEADLINE);
    let text = fs::read_to_string(&trace).unwrap_or_default();
    let killed = text.lines().find(|l| l.contains("+++ killed by SIGKILL"))?;
    let pid: u32 = killed.split_whitespace().next()?.parse().ok()?;
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.contains("+++ killed"))
        .collect();
    // The call it was killed in is the last one, unfinished (`= ?`).
    let last_call = lines.last().map(|l| l.to_string()).unwrap_or_default();
    // Holding, with its pid written: after `write(fd, "<pid>", …)` and
    // before the release started (the ftruncate that empties the file,
    // then LOCK_UN), or killed in that very ftruncate.
    let pid_written = lines.iter().position(|l| {
        l.contains("write(") && l.contains(&format!("pid {pid},")) && !l.ends_with("= ?")
    });
    let held_lock = pid_written.is_some_and(|at| {
        !lines[at..].iter().any(|l| {
            (l.contains("ftruncate(") && l.contains(", 0)") || l.contains("LOCK_UN"))
                && !l.ends_with("= ?")
        })
    });
    Some(Killed {
        pid,
        held_lock,
        last_call,
    })
}

#[test]
fn kill_9_at_every_step_of_a_refresh_loses_nothing_and_frees_the_lock() {
    if which("strace").is_none() {
        support::missing("strace (apt install strace), for fault injection");
        return;
    }
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "100000"]);
    assert_eq!(code, 0, "{err}");
    let lock = sandbox.store_dir().join("p-default.lock");
    let dir = sandbox.store_dir();
    let mut counter = 100_000;
    let mut kills = 0;
    let mut holding = 0;
    for syscall in [
        "openat",
        "flock",
        "ftruncate",
        "write",
        "connect",
        "sendto",
        "utimensat",
        "fsync",
        "rename",
        "unlink",
    ] {
        // openat: the first calls reach the lock and the reads under it;
        // past them come the CA bundle's hundreds of files, which teach
        // nothing (the temp files' steps are covered by write, utimensat,
        // fsync and rename).
        let most = if syscall == "openat" { 16 } else { 80 };
        for n in 1..=most {
            counter += 1;
            let before = session_key(&sandbox);
            let Some(killed) = run_killed_at(&sandbox, syscall, n, &counter.to_string()) else {
                eprintln!("{syscall}: {} kills", n - 1);
                break; // fewer than n calls: every step of this kind was tried
            };
            eprintln!(
                "{syscall} #{n}: {} held={}",
                killed.last_call, killed.held_lock
            );
            kills += 1;
            let context = format!("killed at {syscall} #{n} ({})", killed.last_call);
            if killed.held_lock {
                holding += 1;
                let holder = fs::read_to_string(&lock).unwrap_or_default();
                assert!(
                    holder.contains(&format!("pid {}", killed.pid)),
                    "{context}: the lock file names the killed holder: {holder:?}"
                );
            }
            assert!(lock_is_free(&lock), "{context}: the lock is free");
            let after = session_key(&sandbox);
            assert!(
                after == before || after.starts_with("ASIAFAKE"),
                "{context}: the session is the old one or a whole new one"
            );
            // The next refresh neither waits nor fails, and leaves no temp file.
            counter += 1;
            let (code, _, err) =
                sandbox.run(&["login", "--force", "--token-code", &counter.to_string()]);
            assert_eq!(code, 0, "{context}: next refresh: {err}");
            assert!(!err.contains("waiting"), "{context}: {err}");
            assert_eq!(
                temp_files(&dir),
                Vec::<String>::new(),
                "{context}: temp left"
            );
        }
    }
    assert!(
        holding >= 10,
        "only {holding} kills happened while holding the lock"
    );
    support::note(&format!(
        "kill -9 at each step: {kills} kills ({holding} holding the lock), sessions lost: 0"
    ));
}

#[test]
fn kill_9_while_sts_hangs_frees_the_lock_and_keeps_the_session() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let before = session_key(&sandbox);
    fake.answer("GetSessionToken", Answer::Hang);
    let mut child = sandbox
        .awsesh(&["login", "--force", "--token-code", "222222"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        fake.wait_for("GetSessionToken", 2, Duration::from_secs(20)),
        "the request never reached the fake STS"
    );
    let lock = sandbox.store_dir().join("p-default.lock");
    let holder = fs::read_to_string(&lock).unwrap();
    assert!(
        holder.contains(&format!("pid {}", child.id())),
        "the process in the STS call holds the lock: {holder:?}"
    );
    assert!(!lock_is_free(&lock), "held while STS answers");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(lock_is_free(&lock));
    assert_eq!(session_key(&sandbox), before);
    fake.answer("GetSessionToken", Answer::Ok);
    let (code, _, err) = sandbox.run(&["login", "--force", "--token-code", "333333"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("waiting"), "{err}");
}

#[test]
fn kill_9_while_mfa_process_hangs_frees_the_lock_and_ends_the_process() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let before = session_key(&sandbox);
    let pid_file = sandbox.path("mfa.pid");
    // `exec`: the command is awsesh's direct child, which dies with it
    // (PR_SET_PDEATHSIG; children of its own are not covered).
    sandbox.append_config(&format!(
        "mfa_process = echo $$ > {}; exec sleep 1000\n",
        pid_file.display()
    ));
    let mut child = sandbox
        .awsesh(&["login", "--force"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() || fs::read_to_string(&pid_file).unwrap().trim().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "mfa_process never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mfa_pid: i32 = fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let lock = sandbox.store_dir().join("p-default.lock");
    assert!(
        fs::read_to_string(&lock)
            .unwrap()
            .contains(&format!("pid {}", child.id())),
        "the process running mfa_process holds the lock"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(lock_is_free(&lock));
    assert_eq!(session_key(&sandbox), before);
    // The mfa_process does not outlive awsesh.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let stat = fs::read_to_string(format!("/proc/{mfa_pid}/stat")).unwrap_or_default();
        let gone = stat.is_empty()
            || stat
                .rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
        if gone {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mfa_process {mfa_pid} outlived awsesh"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
