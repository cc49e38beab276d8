//! The desktop MFA prompt for real: a private Xvfb display, zenity showing
//! the dialog, the code typed into it by xdotool (XTEST, as a user types),
//! against moto. Opt-in by the environment or a profile key; Cancel is a
//! cancel; no display (or no opt-in) fails at once as without a terminal;
//! and the endpoint of `exec --server` renews through the dialog while it
//! keeps serving the still-valid session.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Sandbox, moto, one_line_error};

const DEADLINE: Duration = Duration::from_secs(60);

/// A private X display for one test, gone with it.
struct Display {
    server: Child,
    name: String,
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Xvfb on a free display number, once it accepts clients; None (after a
/// loud skip, or a failure under AWSESH_TEST_REQUIRE_ALL) without Xvfb,
/// zenity or xdotool.
fn display() -> Option<Display> {
    for program in ["Xvfb", "zenity", "xdotool"] {
        if support::which(program).is_none() {
            support::missing(&format!("{program} (apt install xvfb zenity xdotool)"));
            return None;
        }
    }
    let mut cmd = Command::new("Xvfb");
    // -displayfd: Xvfb picks a free number and writes it once it is ready.
    cmd.args([
        "-displayfd",
        "1",
        "-screen",
        "0",
        "1024x768x24",
        "-nolisten",
        "tcp",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    // SAFETY: prctl only asks the kernel to stop Xvfb when the test binary dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut server = cmd.spawn().expect("start Xvfb");
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let number = rx
        .recv_timeout(DEADLINE)
        .expect("Xvfb to report its display number within 60 s");
    let number = number.trim();
    assert!(
        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
        "Xvfb said {number:?}"
    );
    Some(Display {
        server,
        name: format!(":{number}"),
    })
}

impl Display {
    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("run xdotool");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn dialogs(&self) -> Vec<String> {
        self.xdotool(&["search", "--onlyvisible", "--name", "^awsesh$"])
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// Waits for an awsesh dialog of a process other than `not` to be shown;
    /// returns its window and its process (window ids are reused by the
    /// next dialog, pids are not).
    fn wait_dialog(&self, not: Option<&(String, String)>, child: &mut Child) -> (String, String) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let found = self.dialogs().into_iter().find_map(|id| {
                let pid = self.xdotool(&["getwindowpid", &id]).trim().to_string();
                let new = !pid.is_empty() && not.is_none_or(|(_, old)| *old != pid);
                new.then_some((id, pid))
            });
            if let Some(dialog) = found {
                return dialog;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("awsesh ended ({status}) instead of showing a dialog: {err}");
            }
            assert!(
                Instant::now() < deadline,
                "no new awsesh dialog within {DEADLINE:?} (after {not:?})"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `text` into the dialog as a user does, then presses `key`.
    fn answer(&self, (window, _): &(String, String), text: &str, key: &str) {
        self.xdotool(&["windowfocus", "--sync", window.as_str()]);
        if !text.is_empty() {
            self.xdotool(&["type", "--delay", "30", text]);
        }
        self.xdotool(&["key", key]);
    }
}

fn finish(mut child: Child) -> (i32, String, String) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status.code().unwrap_or(-1), out, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("awsesh did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `awsesh ARGS` in the background with no terminal, on `display`.
fn spawn(sandbox: &Sandbox, display: &Display, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = sandbox.awsesh(args);
    cmd.env("DISPLAY", &display.name)
        // No accessibility bus: GTK would start one that outlives the test.
        .env("NO_AT_BRIDGE", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("spawn awsesh")
}

#[test]
fn the_code_typed_into_the_dialog_starts_the_session() {
    let Some(moto) = moto() else {
        return;
    };
    let Some(display) = display() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    let mut child = spawn(
        &sandbox,
        &display,
        &["credential-process"],
        &[("AWSESH_DESKTOP_PROMPT", "1")],
    );
    // A typo first: the dialog asks again, as the terminal does.
    let first = display.wait_dialog(None, &mut child);
    display.answer(&first, "12ab", "Return");
    let second = display.wait_dialog(Some(&first), &mut child);
    display.answer(&second, "123 456", "Return");
    let (code, out, err) = finish(child);
    assert_eq!(code, 0, "{err}");
    let creds: serde_json::Value = serde_json::from_str(&out).expect("credential_process JSON");
    assert_eq!(creds["Version"], 1);
    assert!(creds["SessionToken"].as_str().unwrap().len() > 20);
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
    assert!(display.dialogs().is_empty(), "the dialog is gone");
    // The session is the shared one: the next call asks nothing.
    let (code, _, err) = sandbox.run(&["env", "--ensure", "--shell", "json"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn cancel_in_the_dialog_is_a_cancel() {
    let Some(moto) = moto() else {
        return;
    };
    let Some(display) = display() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    // Opted in by the profile this time.
    sandbox.append_config("awsesh_desktop_prompt = true\n");
    let mut child = spawn(&sandbox, &display, &["login"], &[]);
    let dialog = display.wait_dialog(None, &mut child);
    display.answer(&dialog, "", "Escape");
    let (code, out, err) = finish(child);
    assert_eq!(code, 130, "{err}");
    assert_eq!(out, "");
    assert_eq!(err.trim(), "awsesh: cancelled", "{err}");
    assert!(!sandbox.store_dir().join("p-default.session").exists());
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        0
    );
}

#[test]
fn no_display_no_opt_in_or_an_opt_out_fails_at_once() {
    let Some(moto) = moto() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    // Opted in, but no display: the one-line "no terminal" error.
    let started = Instant::now();
    let mut cmd = sandbox.awsesh(&["login"]);
    cmd.env("AWSESH_DESKTOP_PROMPT", "1");
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no terminal"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "at once");

    let Some(display) = display() else {
        return;
    };
    // A display, but no opt-in: no dialog.
    let mut with_display = sandbox.awsesh(&["login"]);
    with_display.env("DISPLAY", &display.name);
    let out = with_display.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no terminal"));
    // The profile opts in, the environment opts out: the environment wins.
    sandbox.append_config("awsesh_desktop_prompt = true\n");
    let mut opted_out = sandbox.awsesh(&["login"]);
    opted_out
        .env("DISPLAY", &display.name)
        .env("AWSESH_DESKTOP_PROMPT", "0");
    let out = opted_out.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no terminal"));
    assert!(display.dialogs().is_empty(), "no dialog was shown");
    one_line_error(&sandbox, &["login"], &["no terminal", "mfa_process"]);
}

#[test]
fn the_endpoint_renews_through_the_dialog_and_serves_meanwhile() {
    let Some(moto) = moto() else {
        return;
    };
    let Some(display) = display() else {
        return;
    };
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "{err}");
    let mut child = spawn(
        &sandbox,
        &display,
        &[
            "exec",
            "--server",
            "sh",
            "-c",
            "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; exec sleep 120",
        ],
        &[("AWSESH_DESKTOP_PROMPT", "1")],
    );
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (uri, token) = line
        .trim()
        .split_once(' ')
        .expect("CMD printed the endpoint");
    let rest = uri.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, path) = rest.split_at(rest.find('/').unwrap());
    let port: u16 = port.parse().unwrap();
    let fetch = || -> serde_json::Value {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    };
    assert!(
        display.dialogs().is_empty(),
        "a fresh session needs no code"
    );

    // The session now has 11 minutes left: inside the serving window.
    let soon = time::OffsetDateTime::now_utc().unix_timestamp() + 660;
    sandbox.set_session_expiry("p-default", soon);
    let asked = Instant::now();
    let old = fetch();
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "served at once while the dialog waits"
    );
    let dialog = display.wait_dialog(None, &mut child);
    // While the dialog waits, the still-valid session is served.
    assert_eq!(fetch()["Expiration"], old["Expiration"]);
    display.answer(&dialog, "654321", "Return");
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = fetch();
        if now["Expiration"] != old["Expiration"] {
            assert!(now["Expiration"].as_str() > old["Expiration"].as_str());
            break;
        }
        assert!(Instant::now() < deadline, "the new session is served");
        std::thread::sleep(Duration::from_millis(200));
    }
    // SAFETY: signalling our own child; CMD gets the TERM too.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let (code, _, err) = finish(child);
    assert_eq!(code, 128 + libc::SIGTERM, "{err}");
    assert!(!err.contains("MFA code for"), "no terminal prompt: {err}");
}
