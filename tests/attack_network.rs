//! The network as an adversary: a fake STS (tests/support/fake_sts.rs) that
//! fails, hangs, closes, throttles, answers garbage, hostile values or odd
//! expirations, and a port that never answers. Rules: one line on stderr,
//! nothing on stdout, no panic, nothing saved, a cached session never lost
//! or worsened, no automatic retry, and every call ends within awsesh's 3 s
//! connect / 10 s operation limits.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use support::fake_sts::{Answer, BlackHole, FakeSts};
use support::{Sandbox, moto};

/// A sandbox on a fresh fake STS with a valid cached session; returns the
/// session file's bytes.
fn logged_in() -> (FakeSts, Sandbox, Vec<u8>) {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let saved = fs::read(session_file(&sandbox)).unwrap();
    (fake, sandbox, saved)
}

fn session_file(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.store_dir().join("p-default.session")
}

/// A forced refresh against `answer` fails with one line holding every word
/// of `expect`, prints nothing on stdout, does not panic, sends one request,
/// and leaves the cached session exactly as it was and usable.
fn refresh_fails_and_keeps_the_session(answer: Answer, expect: &[&str]) {
    let (fake, sandbox, saved) = logged_in();
    fake.answer("GetSessionToken", answer.clone());
    let (code, out, err) = sandbox.run(&["login", "--force", "--token-code", "222222"]);
    assert_eq!(
        code, 1,
        "{answer:?}: exit status {code} (101/134 is a panic): {err}"
    );
    assert_eq!(out, "", "{answer:?}: nothing on stdout");
    assert_eq!(err.lines().count(), 1, "{answer:?}: one line: {err}");
    for word in expect {
        assert!(
            err.contains(word),
            "{answer:?}: `{word}` missing from: {err}"
        );
    }
    assert_eq!(fake.count("GetSessionToken"), 2, "{answer:?}: no retry");
    assert_eq!(
        fs::read(session_file(&sandbox)).unwrap(),
        saved,
        "{answer:?}: the cached session is untouched"
    );
    let (code, out, err) = sandbox.run(&["env", "--shell", "bash"]);
    assert_eq!(
        code, 0,
        "{answer:?}: the old session is still served: {err}"
    );
    assert!(out.contains("AWS_SESSION_TOKEN"), "{out}");
    for command in [
        &["status"][..],
        &["prompt"],
        &["hook-sync", "--shell", "zsh"],
    ] {
        let (code, _, err) = sandbox.run(command);
        assert_eq!(code, 0, "{answer:?}: {command:?}: {err}");
    }
}

#[test]
fn the_fake_sts_issues_distinct_keys_per_call() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let mut keys = Vec::new();
    for code in ["111111", "222222", "333333"] {
        let (code, out, err) =
            sandbox.run(&["login", "--force", "--token-code", code, "--shell", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        keys.push(v["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string());
    }
    keys.dedup();
    assert_eq!(keys.len(), 3, "one session per call: {keys:?}");
    assert_eq!(fake.count("GetSessionToken"), 3);
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.signed_by == sandbox.access_key_id)
    );
}

/// moto answers every GetSessionToken with the same example keys, so a test
/// that compares sessions ("all processes got the same one") proves nothing
/// against it: such tests use the fake STS. This records what moto does, so
/// that the day it changes is seen.
#[test]
fn moto_is_checked_for_distinct_session_keys() {
    let Some(moto) = moto() else { return };
    let key = |code: &str| {
        let out = moto
            .aws_admin(&[
                "sts",
                "get-session-token",
                "--serial-number",
                "arn:aws:iam::123456789012:mfa/x",
                "--token-code",
                code,
            ])
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b) = (key("111111"), key("222222"));
    if a == b {
        support::note(&format!(
            "moto issues the same keys ({a}) for every GetSessionToken: session comparisons use the fake STS"
        ));
    }
}

#[test]
fn http_500_and_503_keep_the_cached_session() {
    refresh_fails_and_keeps_the_session(Answer::server_error(500), &["STS", "InternalFailure"]);
    refresh_fails_and_keeps_the_session(Answer::server_error(503), &["STS"]);
}

#[test]
fn a_rejected_code_keeps_the_cached_session() {
    refresh_fails_and_keeps_the_session(Answer::mfa_rejected(), &["rejected the MFA code"]);
}

/// At the terminal, a code AWS refuses is asked again, as a typo is (three
/// codes in all); each code goes to AWS once, and the third refusal ends it.
#[test]
fn a_code_aws_refuses_is_asked_again_at_the_terminal() {
    use expectrl::Expect;
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    fake.answer("GetSessionToken", Answer::mfa_rejected());
    let mut login = support::spawn_pty(&sandbox, &["login"], &[]);
    login.expect("MFA code").unwrap();
    login.send_line("101010").unwrap();
    login.expect("AWS rejected that MFA code").unwrap();
    login.expect("MFA code").unwrap();
    // The same code again is refused without being sent, and asked again.
    login.send_line("101010").unwrap();
    login.expect("already used").unwrap();
    login.expect("MFA code").unwrap();
    fake.answer("GetSessionToken", Answer::Ok);
    login.send_line("202020").unwrap();
    let (status, output) = support::finish_pty(login);
    assert_eq!(status, 0, "{output}");
    assert_eq!(fake.count("GetSessionToken"), 2, "each code sent once");

    // Three refusals: the last one's reason, exit 1, no fourth prompt.
    fake.answer("GetSessionToken", Answer::mfa_rejected());
    let mut login = support::spawn_pty(&sandbox, &["login", "--force"], &[]);
    for code in ["303030", "404040", "505050"] {
        login.expect("MFA code").unwrap();
        login.send_line(code).unwrap();
    }
    let (status, output) = support::finish_pty(login);
    assert_eq!(status, 1, "{output}");
    assert!(output.contains("rejected the MFA code"), "{output}");
    // Three codes sent (a fourth prompt would have waited past the deadline).
    assert_eq!(fake.count("GetSessionToken"), 5);
}

#[test]
fn throttling_is_not_retried_and_keeps_the_cached_session() {
    refresh_fails_and_keeps_the_session(Answer::throttled(), &["Throttling"]);
}

#[test]
fn garbage_and_a_closed_connection_keep_the_cached_session() {
    refresh_fails_and_keeps_the_session(Answer::Garbage, &["STS"]);
    refresh_fails_and_keeps_the_session(Answer::Close, &["STS"]);
}

#[test]
fn hostile_values_from_sts_are_refused_and_run_nothing() {
    let canary = std::env::temp_dir().join(format!("awsesh-canary-{}", std::process::id()));
    let run = format!("$(touch {})", canary.display());
    let hostile = [
        (Some(format!("ASIA'{run}'")), None, None),
        (
            Some("ASIAAAAAAAAAAAAAAAAA\nexport X=1".to_string()),
            None,
            None,
        ),
        (None, Some(format!("abc'{run}")), None),
        (None, Some("abc\ndef".to_string()), None),
        (None, None, Some(format!("tok`id`{run}"))),
        (None, None, Some("tok\"; rm -rf ~; \"".to_string())),
        (None, None, Some(String::new())),
        (Some(String::new()), None, None),
        (None, None, Some("x".repeat(100_000))),
    ];
    for (key, secret, token) in hostile {
        refresh_fails_and_keeps_the_session(
            Answer::Hostile {
                access_key_id: key,
                secret,
                token,
            },
            &["fail validation", "nothing was saved"],
        );
    }
    assert!(!canary.exists(), "a value from STS ran a command");
}

#[test]
fn odd_expirations_from_sts_are_refused_and_nothing_is_saved() {
    refresh_fails_and_keeps_the_session(
        Answer::ExpiresIn(-60),
        &["Expiration", "nothing was saved"],
    );
    refresh_fails_and_keeps_the_session(
        Answer::ExpiresIn(30 * 86_400),
        &["Expiration", "nothing was saved"],
    );
    for edge in [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999Z",
        "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
    ] {
        refresh_fails_and_keeps_the_session(Answer::ExpiresAt(edge.into()), &["STS"]);
    }
    // Not a date at all: the SDK refuses to parse the answer.
    refresh_fails_and_keeps_the_session(Answer::ExpiresAt("tomorrow".into()), &["STS"]);
}

#[test]
fn an_expired_answer_on_first_login_saves_nothing() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    fake.answer("GetSessionToken", Answer::ExpiresIn(-5));
    let (code, out, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(!session_file(&sandbox).exists(), "nothing saved");
    let (code, _, _) = sandbox.run(&["status"]);
    assert_eq!(code, 4, "no session");
}

#[test]
fn a_slow_sts_within_the_limits_is_waited_for() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    fake.set("GetSessionToken", Duration::from_millis(1500), Answer::Ok);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_hanging_sts_ends_at_the_operation_timeout() {
    let (fake, sandbox, saved) = logged_in();
    fake.answer("GetSessionToken", Answer::Hang);
    let started = Instant::now();
    let (code, out, err) = sandbox.run(&["login", "--force", "--token-code", "222222"]);
    let took = started.elapsed();
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains("timed out") && err.contains(&fake.endpoint),
        "{err}"
    );
    // The rule is "10 s per call": it must not wait for the server's 60 s.
    assert!(took < Duration::from_secs(25), "held for {took:?}");
    assert_eq!(fs::read(session_file(&sandbox)).unwrap(), saved);
}

#[test]
fn a_port_that_never_answers_ends_at_the_connect_timeout() {
    let hole = BlackHole::start();
    if !hole.swallows_connects() {
        support::missing("a loopback listener whose full backlog drops SYNs");
        return;
    }
    let sandbox = Sandbox::empty(
        &hole.endpoint,
        "AKIAFAKELONGTERM0001",
        "arn:aws:iam::123456789012:mfa/fake",
    );
    sandbox.write_credentials(
        "[default]\naws_access_key_id = AKIAFAKELONGTERM0001\naws_secret_access_key = abc\n",
    );
    sandbox.write_config(
        "[default]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n",
    );
    let started = Instant::now();
    let (code, out, err) = sandbox.run(&["login", "--token-code", "111111"]);
    let took = started.elapsed();
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("cannot reach STS"), "{err}");
    // The 3 s connect limit, not the SDK's 5 s stalled-stream guard nor the
    // 10 s operation limit (start-up takes milliseconds; 1.5 s of slack).
    assert!(took < Duration::from_millis(4500), "held for {took:?}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A code sent to an endpoint that never got it (connection refused) is not
/// "used": typing it again must not be refused by the reuse guard.
#[test]
fn a_code_that_never_reached_sts_can_be_used_again() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = support::output_within(
        sandbox
            .awsesh(&["login", "--token-code", "123456"])
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{refused}")),
        support::COMMAND_DEADLINE,
    );
    assert!(!down.status.success());
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "the code never reached AWS: {err}");
}

/// Every code sent in the last 90 s is refused, not only the last one.
#[test]
fn a_code_reused_after_another_is_refused_before_it_reaches_sts() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    for code in ["111111", "222222"] {
        let (status, _, err) = sandbox.run(&["login", "--force", "--token-code", code]);
        assert_eq!(status, 0, "{err}");
    }
    let (code, _, err) = sandbox.run(&["login", "--force", "--token-code", "111111"]);
    assert_eq!(code, 1);
    assert!(err.contains("already used"), "{err}");
    assert_eq!(
        fake.count("GetSessionToken"),
        2,
        "the reused code never left"
    );
    // A code AWS rejected was also sent: it is refused too.
    fake.answer("GetSessionToken", Answer::mfa_rejected());
    let (code, _, _) = sandbox.run(&["login", "--force", "--token-code", "333333"]);
    assert_eq!(code, 1);
    let (_, _, err) = sandbox.run(&["login", "--force", "--token-code", "333333"]);
    assert!(err.contains("already used"), "{err}");
}

/// Errors a user sees are words, never a Debug dump of the SDK's error
/// chain (today a connect failure ends in `(DispatchFailure(DispatchFailure
/// { source: ConnectorError { … } }))`).
// needs: network error messages (lead, net.rs)
#[test]
fn network_errors_are_words_not_debug_dumps() {
    let hole = BlackHole::start();
    let fake = FakeSts::start();
    for endpoint in [hole.endpoint.clone(), fake.endpoint.clone()] {
        fake.answer("GetSessionToken", Answer::Close);
        let sandbox = Sandbox::with_fake(&fake);
        let mut cmd = sandbox.awsesh(&["login", "--token-code", "111111"]);
        cmd.env("AWS_ENDPOINT_URL", &endpoint);
        let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        for debug in ["{ ", "DispatchFailure(", "ConnectorError", "Some(", "kind:"] {
            assert!(!err.contains(debug), "a Debug dump reached the user: {err}");
        }
    }
}

/// The fake serves IAM discovery too (GetUser, ListMFADevices), so a
/// profile without `mfa_serial` can be attacked the same way.
#[test]
fn the_fake_serves_mfa_device_discovery() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    sandbox.write_config("[default]\nregion = us-east-1\n");
    let (code, out, err) = sandbox.run(&["login", "--token-code", "111111", "--shell", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ASIAFAKE"), "{out}");
    assert_eq!(fake.count("ListMFADevices"), 1);
    let seen = fake.seen();
    let call = seen.iter().find(|s| s.action == "GetSessionToken").unwrap();
    assert_eq!(
        call.params.get("SerialNumber").map(String::as_str),
        Some("arn:aws:iam::123456789012:mfa/fake")
    );
}

/// A refresh never worsens what is cached: a forced login whose session
/// would end before the cached one is refused and keeps it; asking for the
/// shorter length itself (`--force --duration`) replaces it.
#[test]
fn a_forced_login_never_shortens_the_cached_session_unless_asked() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let key = |sandbox: &Sandbox| {
        let (code, out, err) = sandbox.run(&["env", "--shell", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string()
    };
    let (code, _, err) = sandbox.run(&["login", "--duration", "36h", "--token-code", "311111"]);
    assert_eq!(code, 0, "{err}");
    let long = key(&sandbox);
    // The profile's default, 12 h: would end 24 h sooner.
    let (code, _, err) = sandbox.run(&["login", "--force", "--token-code", "322222"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        key(&sandbox),
        long,
        "the 36 h session was replaced by a 12 h one"
    );
    let (code, _, err) = sandbox.run(&[
        "login",
        "--force",
        "--duration",
        "1h",
        "--token-code",
        "333333",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(key(&sandbox), long, "asked for 1 h: replaced");
}
