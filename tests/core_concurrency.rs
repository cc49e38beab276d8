//! Many processes, one prompt: the lock and the re-read under it (DESIGN §6).

mod support;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use expectrl::{Expect, Regex};
use support::{Pty, Sandbox, finish_pty, moto, spawn_pty};

const STALE: (&str, &str) = ("AWSESH_REFRESH_MARGIN", "16m");

/// Waits for `waiter` to say it is queued behind `holder`, which is at its
/// code prompt, naming it as the README shows (`pid N, tty T, prompting for
/// a code`). A prompt instead fails at once: the lock did not hold it back.
fn expect_waiting(waiter: &mut Pty, holder: &Pty) {
    let seen = waiter
        .expect(Regex(r"waiting for another terminal \([^)]*\)|MFA code"))
        .expect("the second terminal says it waits (within 30 s)");
    let seen = String::from_utf8_lossy(seen.get(0).unwrap_or_default()).into_owned();
    assert!(
        seen.contains("waiting"),
        "a second terminal prompted instead of waiting for the lock"
    );
    let pid = holder.get_process().pid();
    assert!(
        seen.starts_with(&format!(
            "waiting for another terminal (pid {pid}, tty /dev/"
        )) && seen.ends_with(", prompting for a code)"),
        "names the holder and what it does: {seen}"
    );
}

/// The fake STS issues distinct keys per call (moto issues the same keys
/// every time), so "everyone got the same session" means one session.
#[test]
fn twenty_processes_after_expiry_get_one_prompt_and_one_sts_call() {
    let fake = support::fake_sts::FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--duration", "15m", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fake.count("GetSessionToken"), 1);
    let old_key = {
        let (_, out, _) = sandbox.run(&["env", "--shell", "json"]);
        let env: serde_json::Value = serde_json::from_str(&out).unwrap();
        env["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string()
    };

    // All twenty see a stale session (margin > duration) and each has a terminal.
    let mut sessions: Vec<_> = (0..20)
        .map(|_| spawn_pty(&sandbox, &["env", "--ensure", "--shell", "json"], &[STALE]))
        .collect();
    // Answer the one prompt that appears.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut prompted = None;
    while prompted.is_none() && Instant::now() < deadline {
        for (i, s) in sessions.iter_mut().enumerate() {
            if s.check("MFA code").map(|c| !c.is_empty()).unwrap_or(false) {
                prompted = Some(i);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let prompted = prompted.expect("one process prompts for the MFA code");
    sessions[prompted].send_line("222222").unwrap();
    // Nobody else prompts. Looked for a few seconds now, so that a lock that
    // lets everyone through fails here, at once, and not at the deadline of
    // a terminal waiting for a code nobody types.
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        for (i, s) in sessions.iter_mut().enumerate() {
            if i != prompted && s.check("MFA code").is_ok_and(|c| !c.is_empty()) {
                for s in &sessions {
                    support::kill_tree(s.get_process().pid().as_raw() as u32);
                }
                panic!("process {i} prompted too: the lock did not hold it back");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut keys = Vec::new();
    let mut prompts = 1;
    let mut waiting = 0;
    for (i, s) in sessions.into_iter().enumerate() {
        let (status, output) = finish_pty(s);
        assert_eq!(status, 0, "process {i}: {output}");
        if i != prompted && output.contains("MFA code") {
            prompts += 1;
        }
        if output.contains("waiting for another terminal") {
            waiting += 1;
            assert!(
                output.contains("pid "),
                "the waiter names the holder: {output}"
            );
        }
        let start = output.find('{').expect("JSON on stdout");
        let env: serde_json::Value =
            serde_json::from_str(&output[start..].replace("\r\n", "\n")).unwrap();
        keys.push(env["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string());
    }
    assert_eq!(prompts, 1, "exactly one prompt");
    assert!(
        waiting >= 1,
        "at least one process had to wait for the lock"
    );
    assert_eq!(fake.count("GetSessionToken"), 2, "exactly one new STS call");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1, "everyone got the same session: {keys:?}");
    assert_ne!(keys[0], old_key, "the new one, not the stale one");
}

#[test]
fn ctrl_c_at_the_prompt_is_not_shared_the_waiter_asks_for_the_code_itself() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let (code, _, _) = sandbox.run(&["login", "--duration", "15m", "--token-code", "111111"]);
    assert_eq!(code, 0);
    let before = std::fs::read(sandbox.store_dir().join("p-default.session")).unwrap();

    let mut holder = spawn_pty(&sandbox, &["env", "--ensure"], &[STALE]);
    holder.expect("MFA code").unwrap();
    let mut waiter = spawn_pty(&sandbox, &["env", "--ensure"], &[STALE]);
    expect_waiting(&mut waiter, &holder);

    // A process with no terminal at all fails at once instead of queueing
    // (one that waits for the lock is killed at 10 s and fails the test).
    let out = support::output_within(
        sandbox.awsesh(&["env", "--ensure"]).env(STALE.0, STALE.1),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no terminal"));

    holder.send(expectrl::ControlCode::EndOfText).unwrap(); // Ctrl-C
    let (status, _) = finish_pty(holder);
    assert_eq!(status, 130);
    // A cancel is the user's choice in that terminal, not a fault to share:
    // the waiter asks for the code itself (the bug: "just failed (cancelled)").
    let next = waiter
        .expect(Regex("refresh of this session just failed|MFA code"))
        .expect("the waiter goes on once the holder is cancelled (within 30 s)");
    let next = String::from_utf8_lossy(next.get(0).unwrap_or_default()).into_owned();
    assert_eq!(next, "MFA code", "a cancel in one terminal failed another");
    waiter.send_line("222333").unwrap();
    let (status, output) = finish_pty(waiter);
    assert_eq!(status, 0, "{output}");
    assert_ne!(
        std::fs::read(sandbox.store_dir().join("p-default.session")).unwrap(),
        before,
        "the waiter started the session"
    );
    // And a cancel records nothing for later terminals either.
    assert!(!sandbox.store_dir().join("p-default.fail").exists());
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        2
    );
}

/// A failure recorded under a clock that has since stepped back (its time
/// is in the future) blocks nobody.
#[test]
fn a_failure_recorded_in_the_future_is_not_shared() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Written as a refresh on another terminal would, 10 minutes ahead, in
    // the private directory awsesh made.
    let (code, _, err) = sandbox.run(&["logout"]);
    assert_eq!(code, 0, "{err}");
    let mut record = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(sandbox.store_dir().join("p-default.fail"))
        .unwrap();
    write!(record, "{} /dev/pts/999 STS said no", now + 600).unwrap();
    drop(record);
    let mut login = spawn_pty(&sandbox, &["login"], &[]);
    let seen = login
        .expect(Regex("refresh of this session just failed|MFA code"))
        .expect("login prompts (within 30 s)");
    let seen = String::from_utf8_lossy(seen.get(0).unwrap_or_default()).into_owned();
    assert_eq!(seen, "MFA code", "a failure from the future was shared");
    login.send_line("333444").unwrap();
    let (status, output) = finish_pty(login);
    assert_eq!(status, 0, "{output}");
}

#[test]
fn a_mistyped_code_at_the_prompt_asks_again() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let mut login = spawn_pty(&sandbox, &["login"], &[]);
    login.expect("MFA code").unwrap();
    login.send_line("12345").unwrap();
    login.expect("6 digits; try again").unwrap();
    login.expect("MFA code").unwrap();
    // As authenticator apps show it.
    login.send_line("123 456").unwrap();
    let (status, output) = finish_pty(login);
    assert_eq!(status, 0, "{output}");
    assert!(
        output.contains("session for profile default started"),
        "{output}"
    );
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );

    // Three typos end it, with nothing sent to AWS.
    let mut login = spawn_pty(&sandbox, &["login", "--force"], &[]);
    for _ in 0..3 {
        login.expect("MFA code").unwrap();
        login.send_line("nope").unwrap();
    }
    let (status, output) = finish_pty(login);
    assert_eq!(status, 1, "{output}");
    let last = output.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.contains("after 3 tries") && last.contains("run the command again"),
        "the last word says it gave up and how to start again: {output}"
    );
    assert!(!last.contains("try again"), "{output}");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

#[test]
fn ctrl_c_while_waiting_for_another_terminal_stops_only_the_waiter() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let mut holder = spawn_pty(&sandbox, &["login"], &[]);
    holder.expect("MFA code").unwrap();
    let mut waiter = spawn_pty(&sandbox, &["env", "--ensure"], &[]);
    expect_waiting(&mut waiter, &holder);
    waiter.send(expectrl::ControlCode::EndOfText).unwrap(); // Ctrl-C
    let (status, _) = finish_pty(waiter);
    assert_eq!(status, 130);
    // The holder still owns its prompt and finishes normally.
    holder.send_line("123456").unwrap();
    let (status, output) = finish_pty(holder);
    assert_eq!(status, 0, "{output}");
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

/// A terminal that reaches the lock just after another terminal's refresh
/// failed (STS answering 500) is told so at once instead of asking for a
/// code that would fail the same way.
#[test]
fn a_terminal_arriving_just_after_a_failed_refresh_fails_fast_without_prompting() {
    let Some(moto) = moto() else { return };
    let sandbox = Sandbox::new(moto);
    let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>\
                <Message>down</Message></Error></ErrorResponse>";
    let sts = support::net::Canned::start(Some(support::net::Canned::http(
        "500 Internal Server Error",
        body,
    )));
    let env = [("AWS_ENDPOINT_URL", sts.url.as_str())];
    let mut first = spawn_pty(&sandbox, &["login"], &env);
    first.expect("MFA code").unwrap();
    first.send_line("135246").unwrap();
    first.expect("InternalFailure").unwrap();
    let requests = sts.requests();

    // Another terminal (the first one's stays open, so its name is not
    // reused by the second).
    let second = spawn_pty(&sandbox, &["login"], &env);
    let (status, output) = finish_pty(second);
    assert_eq!(status, 1, "{output}");
    assert!(
        output.contains("refresh of this session just failed")
            && output.contains("InternalFailure"),
        "{output}"
    );
    assert!(
        !output.contains("MFA code"),
        "asked for a code in turn: {output}"
    );
    assert_eq!(sts.requests(), requests, "the second terminal sent nothing");

    // The failure is shared for 10 s only (README): later, a terminal asks
    // for a code again instead of failing with a stale reason forever.
    std::thread::sleep(std::time::Duration::from_secs(11));
    let mut third = spawn_pty(&sandbox, &["login"], &env);
    let seen = third
        .expect(Regex("MFA code|refresh of this session just failed"))
        .expect("the third terminal prompts (within 30 s)");
    let seen = String::from_utf8_lossy(seen.get(0).unwrap_or_default()).into_owned();
    assert_eq!(
        seen, "MFA code",
        "a failure older than 10 s was still shared"
    );
    support::kill_tree(third.get_process().pid().as_raw() as u32);
    drop(first);
}

/// The waiter names the holder from what the holder wrote in the lock file.
/// A holder that wrote nothing, or bytes that are not a plain line (escape
/// sequences that would drive the waiter's terminal), is "another process".
#[test]
fn a_lock_holder_that_wrote_nothing_or_garbage_is_another_process() {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let Some(moto) = moto() else { return };
    for written in ["", "pid 1\x1b]0;owned\x07\x1b[2J"] {
        let sandbox = Sandbox::new(moto);
        let (code, _, err) = sandbox.run(&["login", "--duration", "15m", "--token-code", "111111"]);
        assert_eq!(code, 0, "{err}");
        let lock = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(sandbox.store_dir().join("p-default.lock"))
            .unwrap();
        std::io::Write::write_all(&mut &lock, written.as_bytes()).unwrap();
        // SAFETY: flock on a descriptor we own; released when `lock` drops.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
        let mut waiter = spawn_pty(&sandbox, &["env", "--ensure"], &[STALE]);
        let seen = waiter
            .expect(Regex(r"waiting for another terminal \([^)]*\)|MFA code"))
            .expect("the waiter says whom it waits for (within 30 s)");
        let seen = String::from_utf8_lossy(seen.get(0).unwrap_or_default()).into_owned();
        assert_eq!(
            seen, "waiting for another terminal (another process)",
            "lock file holding {written:?}"
        );
        support::kill_tree(waiter.get_process().pid().as_raw() as u32);
    }
}
