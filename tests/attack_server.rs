//! The credential endpoint of `awsesh exec --server` attacked as issue 20
//! did, black-box, on 127.0.0.1: a launcher CMD that leaves a poller behind
//! and exits; `kill -9` of awsesh while CMD ignores SIGTERM; and a second
//! local user, created by the test, who binds the port once it is free,
//! asks with the stolen token, and floods the endpoint with a few hundred
//! idle connections while the owner's requests must still succeed.
//!
//! The second-user tests need root (CI runs as root): they skip loudly
//! without it, and fail under AWSESH_TEST_REQUIRE_ALL=1.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use support::local_user::LocalUser;
use support::{Sandbox, moto, output_within};

const DEADLINE: Duration = Duration::from_secs(60);

/// Polls the endpoint (as an SDK left running would) with the token from
/// its environment until the stop file exists (or two minutes have passed:
/// a failing test leaves nothing running); logs one line per request.
const POLLER: &str = r#"
import os, sys, time, urllib.request
log, stop = sys.argv[1], sys.argv[2]
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
end = time.time() + 120
with open(log, "a", buffering=1) as out:
    out.write("port %s\n" % uri.split(":")[2].split("/")[0])
    while not os.path.exists(stop) and time.time() < end:
        try:
            request = urllib.request.Request(uri, headers={"Authorization": token})
            with urllib.request.urlopen(request, timeout=10) as answer:
                out.write("%d\n" % answer.status)
        except Exception as e:
            out.write("error %s\n" % type(e).__name__)
        time.sleep(0.1)
"#;

/// Binds and listens on the port, as the attacker who waits for it to be
/// freed would (SO_REUSEADDR: TIME_WAIT entries do not stop it, a listener
/// does).
const BIND: &str = r#"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
    print("bound")
except OSError as e:
    print("in use %d" % e.errno)
"#;

/// One request with the right token; prints the status line, or how the
/// connection ended without one.
const STEAL: &str = r#"
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
data = b""
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("GET /awsesh/credentials HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Authorization: %s\r\nConnection: close\r\n\r\n" % (port, token)).encode())
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as e:
    pass
print(("answer " + data.split(b"\r\n")[0].decode()) if data else "no answer")
"#;

/// Holds COUNT idle connections for SECONDS, reconnecting every half
/// second those the server closed (what a user starving the endpoint does).
const FLOOD: &str = r#"
import json, select, socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
stats = {"connects": 0, "closed_by_server": 0, "failed": 0, "most_held": 0}
def connect():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        stats["connects"] += 1
        return s
    except OSError:
        stats["failed"] += 1
        return None
def alive(s):
    if s is None:
        return False
    try:
        readable, _, _ = select.select([s], [], [], 0)
        return not readable or s.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False
socks = [connect() for _ in range(count)]
print("flooding", flush=True)
end = time.time() + seconds
while time.time() < end:
    time.sleep(0.5)
    held = 0
    for i, s in enumerate(socks):
        if alive(s):
            held += 1
            continue
        if s is not None:
            stats["closed_by_server"] += 1
            s.close()
        socks[i] = connect()
    stats["most_held"] = max(stats["most_held"], held)
print(json.dumps(stats), flush=True)
"#;

/// A sandbox whose default profile is logged in; None when moto is missing.
fn logged_in() -> Option<Sandbox> {
    let moto = moto()?;
    let sandbox = Sandbox::new(moto);
    let (code, _, err) = sandbox.run(&["login", "--token-code", "123456"]);
    assert_eq!(code, 0, "login: {err}");
    Some(sandbox)
}

/// `awsesh exec --server -- CMD`, CMD's stdout read line by line; killed
/// (SIGKILL) if the test ends first.
struct Served {
    child: Child,
    lines: Receiver<String>,
}

impl Served {
    fn start(sandbox: &Sandbox, cmd: &[&str]) -> Served {
        let mut args = vec!["exec", "--server", "--"];
        args.extend_from_slice(cmd);
        let mut child = sandbox
            .awsesh(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn awsesh");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Served { child, lines }
    }

    fn line(&self, what: &str) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("expected {what} from CMD within {DEADLINE:?}"))
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for awsesh to exit; its status as a shell reports it.
    fn wait(&mut self, within: Duration) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            assert!(
                Instant::now() < deadline,
                "awsesh did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a process is gone: no such pid, or a zombie nobody reaps yet.
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn parent_of(pid: i32) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no parent in {stat}"))
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn port_of(uri: &str) -> u16 {
    uri.strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not the endpoint's URI: {uri}"))
}

fn port_closed(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

fn server_files(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sandbox.store_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("server-"))
        .collect()
}

/// Runs a Python script to its end (as `user`, or as ourselves); its stdout.
fn python(user: Option<&LocalUser>, script: &str, args: &[&str]) -> String {
    let mut cmd = match user {
        Some(user) => user.python(script, args),
        None => {
            let mut cmd = std::process::Command::new("python3");
            cmd.args(["-c", script]).args(args);
            cmd
        }
    };
    let out = output_within(&mut cmd, DEADLINE);
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One GET on a new connection, as an SDK's credential provider sends it.
fn owner_get(port: u16, token: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let request = format!(
        "GET /awsesh/credentials HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn count_lines(log: &Path, what: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == what)
        .count()
}

#[test]
fn a_launcher_that_leaves_a_poller_keeps_the_endpoint_until_the_poller_ends() {
    let Some(sandbox) = logged_in() else {
        return;
    };
    let poller = sandbox.path("poller.py");
    std::fs::write(&poller, POLLER).unwrap();
    let log = sandbox.path("poll.log");
    let stop = sandbox.path("stop");
    // `code .`: starts the real program in its own session and exits at once.
    let mut served = Served::start(
        &sandbox,
        &[
            "sh",
            "-c",
            "setsid python3 \"$0\" \"$1\" \"$2\" </dev/null >/dev/null 2>&1 & echo $$; exit 3",
            poller.to_str().unwrap(),
            log.to_str().unwrap(),
            stop.to_str().unwrap(),
        ],
    );
    let launcher: i32 = served.line("the launcher's pid").trim().parse().unwrap();
    wait_until("the launcher exits", DEADLINE, || process_gone(launcher));
    let served_before = count_lines(&log, "200");
    wait_until(
        "the poller is served after the launcher exited",
        DEADLINE,
        || count_lines(&log, "200") >= served_before + 5,
    );
    assert!(served.running(), "awsesh serves while the poller lives");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("error"),
        "every poll was answered while awsesh ran: {text}"
    );
    let port: u16 = text
        .lines()
        .find_map(|l| l.strip_prefix("port "))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the poller's log names the port: {text}"));
    assert_eq!(python(None, BIND, &[&port.to_string()]), "in use 98");

    // The poller ends: awsesh ends with the launcher's status, port and files gone.
    std::fs::write(&stop, "").unwrap();
    assert_eq!(served.wait(DEADLINE), 3, "the launcher's exit status");
    assert!(port_closed(port));
    assert!(
        server_files(&sandbox).is_empty(),
        "{:?}",
        server_files(&sandbox)
    );
}

#[test]
fn kill_9_of_awsesh_while_cmd_ignores_sigterm_keeps_the_port_until_cmd_ends() {
    let Some(sandbox) = logged_in() else {
        return;
    };
    let attacker = LocalUser::create();
    let stop = sandbox.path("stop");
    let mut served = Served::start(
        &sandbox,
        &[
            "sh",
            "-c",
            "trap '' TERM; echo \"$$ $AWS_CONTAINER_CREDENTIALS_FULL_URI\"; \
             i=0; while [ ! -e \"$0\" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done",
            stop.to_str().unwrap(),
        ],
    );
    let line = served.line("CMD's pid and endpoint");
    let (cmd, uri) = line.split_once(' ').unwrap();
    let cmd: i32 = cmd.parse().unwrap();
    let port = port_of(uri);
    let guardian = parent_of(cmd);
    assert_ne!(guardian, served.pid(), "CMD runs under the guardian");

    // SAFETY: signalling our own child.
    unsafe { libc::kill(served.pid(), libc::SIGKILL) };
    assert_eq!(served.wait(DEADLINE), 128 + libc::SIGKILL);
    // CMD ignores the SIGTERM it is sent: the port stays held while it lives,
    // for the second user (or, without root, for us).
    for _ in 0..3 {
        assert!(!process_gone(cmd), "CMD ignores SIGTERM and lives on");
        assert_eq!(
            python(attacker.as_ref(), BIND, &[&port.to_string()]),
            "in use 98",
            "nobody can take the port while a process with the token lives"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    std::fs::write(&stop, "").unwrap();
    wait_until("the guardian ends with the tree", DEADLINE, || {
        process_gone(cmd) && process_gone(guardian)
    });
    // Now the port is free: the same probe binds it (the check above can fail).
    assert_eq!(
        python(attacker.as_ref(), BIND, &[&port.to_string()]),
        "bound"
    );
}

#[test]
fn another_user_is_refused_at_once_and_its_flood_does_not_starve_the_owner() {
    let Some(sandbox) = logged_in() else {
        return;
    };
    let Some(attacker) = LocalUser::create() else {
        return;
    };
    let served = Served::start(
        &sandbox,
        &[
            "sh",
            "-c",
            "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\"; \
             exec sleep 120",
        ],
    );
    let line = served.line("the endpoint and token");
    let (uri, token) = line.split_once(' ').unwrap();
    let port = port_of(uri);
    assert_eq!(owner_get(port, token), Some(200), "the owner is served");

    // The token alone is not enough: another uid gets no answer at all.
    assert_eq!(
        python(Some(&attacker), STEAL, &[&port.to_string(), token]),
        "no answer"
    );

    // A few hundred idle connections, renewed as they are closed, while the
    // owner asks as an SDK does (a new connection each time).
    const FLOOD_CONNECTIONS: &str = "300";
    let mut flood: Child = attacker
        .python(FLOOD, &[&port.to_string(), FLOOD_CONNECTIONS, "6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the flood");
    let mut flood_out = BufReader::new(flood.stdout.take().unwrap());
    let mut first = String::new();
    flood_out.read_line(&mut first).unwrap();
    assert_eq!(first.trim(), "flooding");
    let mut answers = Vec::new();
    let mut times = Vec::new();
    for _ in 0..40 {
        let started = Instant::now();
        answers.push(owner_get(port, token));
        times.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    times.sort();
    let mut stats = String::new();
    flood_out.read_line(&mut stats).unwrap();
    let _ = flood.wait();
    let ok = answers.iter().filter(|a| **a == Some(200)).count();
    support::note(&format!(
        "flood of {FLOOD_CONNECTIONS} idle connections from another uid: owner served \
         {ok}/{} (median {:?}, slowest {:?}); attacker {}",
        answers.len(),
        times[times.len() / 2],
        times[times.len() - 1],
        stats.trim()
    ));
    assert_eq!(
        ok,
        answers.len(),
        "every owner request answered: {answers:?}"
    );
    let stats: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    assert!(
        stats["connects"].as_u64().unwrap() >= 300,
        "the flood ran: {stats}"
    );
    assert!(
        stats["closed_by_server"].as_u64().unwrap() >= 300,
        "the server closed the stranger's connections: {stats}"
    );
}

#[test]
fn a_command_that_cannot_run_is_one_line_and_its_shell_status() {
    let Some(sandbox) = logged_in() else {
        return;
    };
    // The guardian runs CMD: its error must read as awsesh's did.
    let err = support::one_line_error(
        &sandbox,
        &["exec", "--server", "--", "no-such-command-awsesh"],
        &["no-such-command-awsesh"],
    );
    assert!(!err.contains("guardian"), "{err}");
    let (code, _, _) = sandbox.run(&["exec", "--server", "--", "no-such-command-awsesh"]);
    assert_eq!(code, 127, "not found: 127, as a shell says");
    let plain = sandbox.path("plain-file");
    std::fs::write(&plain, "not a program\n").unwrap();
    let (code, _, _) = sandbox.run(&["exec", "--server", "--", plain.to_str().unwrap()]);
    assert_eq!(code, 126, "not executable: 126");
    assert!(
        server_files(&sandbox).is_empty(),
        "{:?}",
        server_files(&sandbox)
    );
}

#[test]
fn a_signal_after_the_launcher_exited_reaches_what_it_left() {
    let Some(sandbox) = logged_in() else {
        return;
    };
    let poller = sandbox.path("poller.py");
    std::fs::write(&poller, POLLER).unwrap();
    let log = sandbox.path("poll.log");
    let stop = sandbox.path("stop");
    // The poller is in its own session: no terminal signal would reach it.
    let mut served = Served::start(
        &sandbox,
        &[
            "sh",
            "-c",
            "setsid python3 \"$0\" \"$1\" \"$2\" </dev/null >/dev/null 2>&1 & echo $!; exit 3",
            poller.to_str().unwrap(),
            log.to_str().unwrap(),
            stop.to_str().unwrap(),
        ],
    );
    let left: i32 = served.line("the poller's pid").trim().parse().unwrap();
    wait_until("the poller is served", DEADLINE, || {
        count_lines(&log, "200") >= 2
    });
    assert!(served.running());
    // SAFETY: signalling our own child (awsesh).
    unsafe { libc::kill(served.pid(), libc::SIGTERM) };
    // Passed on to the poller (Python's default: it dies of it); then awsesh
    // ends with the launcher's status.
    assert_eq!(served.wait(DEADLINE), 3);
    assert!(process_gone(left), "the poller got the SIGTERM");
    assert!(!stop.exists());
}
