//! Hostile input: MFA codes, durations, profile names and environment
//! values as an attacker (or a slip of the finger) gives them, and
//! `mfa_process` commands that misbehave. Rules: no panic, no hang, one
//! line on stderr and nothing on stdout for a refusal, nothing sent to STS
//! for an input refused locally, nothing run, no path outside the store,
//! no secret of the command line in an error.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use support::Sandbox;
use support::fake_sts::FakeSts;

fn refused_locally(
    sandbox: &Sandbox,
    fake: &FakeSts,
    args: &[&str],
    env: &[(&str, &str)],
    context: &str,
) -> String {
    let mut cmd = sandbox.awsesh(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
    let (code, stdout, stderr) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    let allowed = if args.first() == Some(&"logout") {
        0..=1
    } else {
        1..=1
    };
    assert!(
        allowed.contains(&code),
        "{context}: {args:?}: exit {code} (101/134: a panic): {stderr}"
    );
    assert_eq!(stdout, "", "{context}: nothing on stdout");
    assert_eq!(stderr.lines().count(), 1, "{context}: one line: {stderr:?}");
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "{context}: control characters reach the terminal: {stderr:?}"
    );
    assert_eq!(fake.count("GetSessionToken"), 0, "{context}: sent to STS");
    stderr
}

const BAD_CODES: [&str; 15] = [
    "12345",
    "1234567",
    "abcdef",
    "12345a",
    "１２３４５６",
    "$(id)",
    "`id`",
    "123456'; rm -rf ~; '",
    "123456\n654321",
    "\u{1b}[2J123456",
    "-123456",
    "+123456",
    "0x1E240",
    "١٢٣٤٥٦",
    "123456789012345678901234567890",
];

#[test]
fn malformed_codes_are_refused_before_sts_from_every_source() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    for code in BAD_CODES {
        let context = format!("code {code:?}");
        // `=`: a code starting with `-` would otherwise be a usage error.
        let flag = format!("--token-code={code}");
        refused_locally(&sandbox, &fake, &["login", &flag], &[], &context);
        refused_locally(
            &sandbox,
            &fake,
            &["login"],
            &[("AWSESH_MFA_CODE", code)],
            &context,
        );
        refused_locally(
            &sandbox,
            &fake,
            &["env", "--ensure"],
            &[("TOTP_CODE", code)],
            &context,
        );
    }
    let long = "7".repeat(100_000);
    let flag = format!("--token-code={long}");
    refused_locally(&sandbox, &fake, &["login", &flag], &[], "a 100 kB code");
    // Whitespace around six digits is what people paste: accepted.
    let (code, _, err) = sandbox.run(&["login", "--token-code", " 123456\n"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn malformed_durations_are_refused_before_sts() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    for duration in [
        "",
        "0",
        "-1",
        "14m59s",
        "36h1s",
        "37h",
        "h",
        "12x",
        "1e3",
        "1h1",
        "１h",
        "9223372036854775807s",
        "18446744073709551616",
        "99999999999999999999h",
        "1h-30m",
        "1.5h",
        "$(id)",
    ] {
        let flag = format!("--duration={duration}");
        let err = refused_locally(
            &sandbox,
            &fake,
            &["login", &flag, "--token-code", "123456"],
            &[],
            &format!("duration {duration:?}"),
        );
        assert!(err.contains("duration"), "{duration:?}: {err}");
    }
    for (i, ok) in ["15m", "36h", "1h30m", "3600"].iter().enumerate() {
        let code = format!("{}", 100_000 + i);
        let (status, _, err) =
            sandbox.run(&["login", "--force", "--duration", ok, "--token-code", &code]);
        assert_eq!(status, 0, "{ok}: {err}");
    }
    assert_eq!(fake.count("GetSessionToken"), 4);
}

#[test]
fn hostile_profile_names_never_reach_a_path_or_the_terminal() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let outside = sandbox.path("escaped");
    let names = [
        "../../escaped".to_string(),
        "../escaped".to_string(),
        "/etc/passwd".to_string(),
        "$(touch escaped)".to_string(),
        "a'b\"c".to_string(),
        "line\nbreak".to_string(),
        "\u{1b}]0;owned\u{7}title".to_string(),
        "%s%n%x".to_string(),
        "x".repeat(65),
        "x".repeat(10_000),
        "prod.eu".to_string(),
        "ünïcödé".to_string(),
    ];
    for name in &names {
        let context = format!("profile {name:?}");
        for args in [
            &[
                "login",
                "--token-code",
                "123456",
                &format!("--profile={name}"),
            ][..],
            &["env", &format!("--profile={name}")],
            &["status", &format!("--profile={name}")],
            &["logout", &format!("--profile={name}")],
        ] {
            refused_locally(&sandbox, &fake, args, &[], &context);
        }
        let (code, out, _) = {
            let mut cmd = sandbox.awsesh(&["prompt"]);
            cmd.env("AWS_PROFILE", name);
            let o = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
            (o.status.code(), o.stdout, o.stderr)
        };
        assert_eq!(
            (code, out.as_slice()),
            (Some(0), &b""[..]),
            "{context}: prompt"
        );
    }
    assert!(!outside.exists(), "a profile name escaped the store");
    for entry in fs::read_dir(sandbox.store_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "raw name in a path: {name:?}"
        );
    }
}

#[test]
fn hostile_environment_values_are_handled() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    // Margins no session can meet: the session is stale, never "fresh forever".
    for margin in ["18446744073709551615", "9223372036854775808", "99999999h"] {
        let mut cmd = sandbox.awsesh(&["env", "--ensure", "--shell", "bash"]);
        cmd.env("AWSESH_REFRESH_MARGIN", margin);
        let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
        assert_eq!(
            out.status.code(),
            Some(1),
            "margin {margin}: the session is stale"
        );
        assert!(out.stdout.is_empty());
    }
    // Unparsable margins are refused in one line (issue 8), rather than
    // silently replaced by the default.
    for margin in ["-1", "abc", "１", "5x"] {
        let mut cmd = sandbox.awsesh(&["env", "--ensure", "--shell", "bash"]);
        cmd.env("AWSESH_REFRESH_MARGIN", margin);
        let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "margin {margin:?}: {err}");
        assert!(out.stdout.is_empty());
        assert!(
            err.lines().count() == 1 && err.contains("AWSESH_REFRESH_MARGIN"),
            "margin {margin:?}: {err}"
        );
    }
    // An empty margin is no margin setting: the default serves the session.
    let mut cmd = sandbox.awsesh(&["env", "--ensure", "--shell", "bash"]);
    cmd.env("AWSESH_REFRESH_MARGIN", "");
    let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
    assert_eq!(
        out.status.code(),
        Some(0),
        "empty margin: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A relative, empty or missing XDG_RUNTIME_DIR: a clean refusal or the fallback, never a crash.
    let tmp = sandbox.path("tmp");
    fs::create_dir(&tmp).unwrap();
    for xdg in ["relative/dir", "", "/nonexistent/deeper/still"] {
        let mut cmd = sandbox.awsesh(&["status"]);
        cmd.env("XDG_RUNTIME_DIR", xdg).env("TMPDIR", &tmp);
        let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
        let code = out.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&out.stderr);
        // 4: no session in the (fallback) directory.
        assert!(
            [0, 1, 4].contains(&code),
            "XDG_RUNTIME_DIR={xdg:?}: {code}: {err}"
        );
        assert!(err.lines().count() <= 2, "{err}");
    }
}

#[test]
fn a_misbehaving_mfa_process_is_contained() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let base = fs::read_to_string(sandbox.config_path()).unwrap();
    let seed = "JBSWY3DPEHPK3PXPSEED";
    let cases: [(&str, bool, &str); 6] = [
        // Megabytes on both pipes before the code: no deadlock.
        (
            "head -c 3000000 /dev/zero >&2; head -c 3000000 /dev/zero | tr '\\\\0' ' ' >/dev/null; echo 222222",
            true,
            "",
        ),
        // A background child keeping the pipe open: not waited for.
        ("sleep 30 & echo 333333", true, ""),
        // Hangs: stopped at AWSESH_MFA_PROCESS_TIMEOUT.
        ("sleep 1000", false, "timed out after 2 s"),
        // Ignores SIGTERM and hangs.
        ("trap '' TERM INT; sleep 1000", false, "timed out after 2 s"),
        // Fails, saying its command line (with the seed) on stderr.
        (
            "oathtool --totp -b JBSWY3DPEHPK3PXPSEED; exit 3",
            false,
            "exit status",
        ),
        // Prints something that is not a code.
        ("echo JBSWY3DPEHPK3PXPSEED", false, "not a 6-digit code"),
    ];
    for (i, (command, ok, expect)) in cases.iter().enumerate() {
        sandbox.write_config(&format!("{base}mfa_process = {command}\n"));
        let started = Instant::now();
        let mut cmd = sandbox.awsesh(&["login", "--force"]);
        cmd.env("AWSESH_MFA_PROCESS_TIMEOUT", "2s");
        let out = support::output_within(&mut cmd, support::COMMAND_DEADLINE);
        let took = started.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), *ok, "case {i} `{command}`: {err}");
        assert!(
            took < Duration::from_secs(10),
            "case {i}: held for {took:?}"
        );
        if !ok {
            assert_eq!(err.lines().count(), 1, "case {i}: {err}");
            assert!(err.contains(expect), "case {i}: `{expect}` missing: {err}");
            assert!(
                err.contains("mfa_process") && err.contains("default"),
                "case {i}: {err}"
            );
            assert!(
                !err.contains(seed),
                "case {i}: the command line's secret leaked: {err}"
            );
        }
    }
}

/// A margin not shorter than the session would make every command ask for a
/// new code (README, The refresh margin): refused in one line, with a code
/// at hand too, and nothing sent to STS.
#[test]
fn a_margin_as_long_as_the_session_is_refused_before_sts() {
    let fake = FakeSts::start();
    let sandbox = Sandbox::with_fake(&fake);
    let (code, _, err) = sandbox.run(&["login", "--duration", "15m", "--token-code", "111111"]);
    assert_eq!(code, 0, "{err}");
    let calls = fake.count("GetSessionToken");
    // The profile's session is 12 h (no `duration_seconds`).
    for margin in ["12h", "13h", "43200"] {
        let out = support::output_within(
            sandbox
                .awsesh(&["env", "--ensure"])
                .env("AWSESH_REFRESH_MARGIN", margin)
                .env("AWSESH_MFA_CODE", "222222"),
            support::COMMAND_DEADLINE,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "margin {margin}: {err}");
        assert!(out.stdout.is_empty(), "margin {margin}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("refresh margin"), "margin {margin}: {err}");
    }
    assert_eq!(fake.count("GetSessionToken"), calls, "nothing reached STS");
}
