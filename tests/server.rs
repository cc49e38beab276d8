//! `awsesh exec --server` against a real moto server, with real SDK clients
//! inside CMD: the AWS CLI and boto3 take their credentials from the
//! endpoint (never from keys in the environment or the profile), roles are
//! renewed with no prompt while CMD keeps calling, a session another process
//! started is picked up, a lapsing MFA session is told once and never
//! prompted for, and the endpoint refuses what it must and is gone whenever
//! CMD or awsesh is. Also `exec` without `--`.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Moto, Sandbox, moto, unique_name};

/// The key moto gives every GetSessionToken answer.
const MOTO_SESSION_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const DEADLINE: Duration = Duration::from_secs(60);

/// CMD for most tests: a boto3 program driven line by line on its stdin,
/// answering one JSON line per command on its stdout.
const DRIVER: &str = r#"
import json, os, signal, sys
import boto3

def out(value):
    print(json.dumps(value), flush=True)

for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
          signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH):
    signal.signal(s, lambda n, f: out({"signal": n}))

kept = {}

def call(session, client):
    arn = client.get_caller_identity()["Arn"]
    creds = session.get_credentials()
    frozen = creds.get_frozen_credentials()
    expiry = getattr(creds, "_expiry_time", None)
    return {"method": creds.method, "key": frozen.access_key,
            "expiry": expiry.isoformat() if expiry else None, "arn": arn}

for line in sys.stdin:
    words = line.split()
    try:
        if words[0] == "env":
            env = {k: v for k, v in os.environ.items() if k.startswith("AWS")}
            env["pid"] = os.getpid()
            out(env)
        elif words[0] == "fresh":
            session = boto3.Session()
            out(call(session, session.client("sts")))
        elif words[0] == "keep":
            if not kept:
                kept["session"] = boto3.Session()
                kept["client"] = kept["session"].client("sts")
            out(call(kept["session"], kept["client"]))
        elif words[0] == "exit":
            sys.exit(int(words[1]))
    except Exception as e:
        out({"error": str(e)})
"#;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A sandbox whose default profile is logged in (`login_args` added), with
/// the driver script written; None when moto, boto3 or the CLI is missing.
fn logged_in(login_args: &[&str]) -> Option<(Sandbox, &'static Moto)> {
    let moto = moto()?;
    if support::which("aws").is_none() {
        support::missing("aws CLI (pip install awscli)");
        return None;
    }
    let has_boto3 = std::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_boto3 {
        support::missing("boto3 (pip install boto3)");
        return None;
    }
    let sandbox = Sandbox::new(moto);
    std::fs::write(sandbox.path("driver.py"), DRIVER).unwrap();
    let mut args = vec!["login", "--token-code", "123456"];
    args.extend_from_slice(login_args);
    let (code, _, err) = sandbox.run(&args);
    assert_eq!(code, 0, "login: {err}");
    Some((sandbox, moto))
}

/// `awsesh exec --server` running CMD, with CMD's stdout read line by line
/// and awsesh's (and CMD's) stderr collected.
struct Served {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    fn start(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut cmd = sandbox.awsesh(args);
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn awsesh");
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdin = child.stdin.take();
        Served {
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// The driver under awsesh, with the sandbox's environment plus `env`.
    fn driver(sandbox: &Sandbox, profile: &str, env: &[(&str, &str)]) -> Served {
        let script = sandbox.path("driver.py");
        Served::start(
            sandbox,
            &[
                "exec",
                "--server",
                "--profile",
                profile,
                "--",
                "python3",
                "-u",
                script.to_str().unwrap(),
            ],
            env,
        )
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn line(&self, what: &str) -> String {
        self.lines.recv_timeout(DEADLINE).unwrap_or_else(|_| {
            panic!(
                "expected {what} from CMD within {DEADLINE:?}; awsesh's stderr: {}",
                self.stderr()
            )
        })
    }

    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("CMD's stdin");
        writeln!(stdin, "{command}").expect("write to CMD");
    }

    fn ask(&mut self, command: &str) -> Value {
        self.send(command);
        json(&self.line(&format!("an answer to `{command}`")))
    }

    /// Asks for an SDK call that must succeed.
    fn call(&mut self, command: &str) -> Value {
        let answer = self.ask(command);
        assert!(
            answer.get("error").is_none(),
            "`{command}` failed in CMD: {answer}; stderr: {}",
            self.stderr()
        );
        answer
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for awsesh to exit; returns its status as a shell reports it.
    fn wait(&mut self, within: Duration) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "awsesh did not exit within {within:?}; stderr: {}",
                    self.stderr()
                );
            }
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

/// The endpoint's port and token, as CMD sees them.
fn endpoint_of(env: &Value) -> (u16, String) {
    let uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap_or_else(|| panic!("no endpoint in CMD's environment: {env}"));
    let rest = uri
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("not a loopback http URI: {uri}"));
    let port = rest.split('/').next().unwrap().parse().unwrap();
    let token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        .as_str()
        .unwrap()
        .to_string();
    (port, token)
}

fn path_of(env: &Value) -> String {
    let uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].as_str().unwrap();
    let after = uri.strip_prefix("http://").unwrap();
    after[after.find('/').unwrap()..].to_string()
}

/// Sends raw bytes to the endpoint; returns (status, body) of the answer.
fn raw_request(port: u16, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    // One answer, then the server closes (every refusal closes).
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {request:?}: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn get(port: u16, path: &str, headers: &str) -> (u16, String) {
    raw_request(
        port,
        format!("GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n").as_bytes(),
    )
}

fn port_closed(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_err()
}

/// Whether a process is gone: no such pid, or a zombie nobody reaps.
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn server_files(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sandbox.store_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("server-"))
        .collect()
}

#[test]
fn sdk_clients_take_the_endpoints_credentials_and_no_keys_leak_in() {
    let Some((sandbox, moto)) = logged_in(&[]) else {
        return;
    };
    // Keys and credential sources in the parent's environment that an SDK
    // would prefer to the endpoint.
    let leaked = [
        ("AWS_ACCESS_KEY_ID", "AKIALEAKEDLEAKEDLEAK"),
        ("AWS_SECRET_ACCESS_KEY", "leakedsecret"),
        ("AWS_SESSION_TOKEN", "leakedtoken"),
        ("AWS_SECURITY_TOKEN", "leakedtoken"),
        ("AWS_DEFAULT_PROFILE", "nosuchprofile"),
        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/leaked"),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/etc/hostname"),
    ];
    let mut served = Served::driver(&sandbox, "default", &leaked);
    let env = served.call("env");
    for (name, _) in leaked {
        assert!(env.get(name).is_none(), "{name} reached CMD: {env}");
    }
    assert_eq!(env["AWS_PROFILE"], "default");
    assert!(env.get("AWS_CREDENTIAL_EXPIRATION").is_none());
    let (port, token) = endpoint_of(&env);
    assert!(
        token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "a token of at least 128 bits: {token}"
    );
    assert!(port > 0);

    // boto3 (and with it every botocore client) uses the endpoint...
    let answer = served.call("fresh");
    assert_eq!(answer["method"], "container-role", "{answer}");
    assert_eq!(answer["key"], MOTO_SESSION_KEY);
    // ... and never the long-term keys of the profile it is told about.
    assert_eq!(
        moto.count_calls("GetCallerIdentity", &sandbox.access_key_id),
        0
    );
    served.send("exit 0");
    assert_eq!(served.wait(DEADLINE), 0);

    // The AWS CLI too: it names the source of its credentials.
    let (code, out, err) = sandbox.run(&["exec", "--server", "--", "aws", "configure", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("container-role"), "{out}");
    let (code, out, err) = sandbox.run(&[
        "exec",
        "--server",
        "--",
        "aws",
        "sts",
        "get-caller-identity",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["UserId"], MOTO_SESSION_KEY);
    assert_eq!(
        moto.count_calls("GetCallerIdentity", &sandbox.access_key_id),
        0
    );
}

/// Creates a role anyone in the account may assume; returns its ARN.
fn create_role(moto: &Moto) -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    let name = unique_name("role");
    let out = moto
        .aws_admin(&[
            "iam",
            "create-role",
            "--role-name",
            &name,
            "--assume-role-policy-document",
            trust,
        ])
        .expect("iam create-role");
    json(&out)["Role"]["Arn"].as_str().unwrap().to_string()
}

#[test]
fn a_role_near_expiry_is_renewed_without_a_prompt_while_cmd_keeps_calling() {
    let Some((sandbox, moto)) = logged_in(&[]) else {
        return;
    };
    let arn = create_role(moto);
    sandbox.append_config(&format!(
        "[profile r]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 960\nregion = us-east-1\n"
    ));
    // 16-minute role sessions and a margin one second shorter: what the
    // endpoint hands out is due for renewal a second later. botocore renews
    // 15 minutes before expiry, so a long-lived client asks the endpoint
    // again once a minute has passed.
    let mut served = Served::driver(&sandbox, "r", &[("AWSESH_REFRESH_MARGIN", "959")]);
    let first = served.call("keep");
    assert_eq!(first["method"], "container-role");
    assert!(
        first["arn"].as_str().unwrap().contains(":assumed-role/"),
        "{first}"
    );
    // A new client after a second gets a renewed role at once.
    std::thread::sleep(Duration::from_millis(1100));
    let other = served.call("fresh");
    assert_ne!(other["key"], first["key"], "renewed for a new client");
    // The long-lived client keeps calling until botocore refreshes.
    let deadline = Instant::now() + Duration::from_secs(100);
    let mut calls = 1;
    loop {
        std::thread::sleep(Duration::from_secs(5));
        let answer = served.call("keep");
        calls += 1;
        if answer["key"] != first["key"] {
            assert!(answer["arn"].as_str().unwrap().contains(":assumed-role/"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the long-lived client still had {first} after {calls} calls"
        );
    }
    served.send("exit 0");
    assert_eq!(served.wait(DEADLINE), 0);
    let err = served.stderr();
    assert!(!err.contains("MFA code"), "no prompt: {err}");
    assert!(!err.contains("awsesh login"), "nothing to tell: {err}");
    // One code for the whole run: the source session was never restarted.
    assert_eq!(
        moto.count_calls("GetSessionToken", &sandbox.access_key_id),
        1
    );
}

#[test]
fn a_lapsing_session_is_told_once_never_prompted_and_a_new_one_is_picked_up() {
    // 15 minutes: inside the endpoint's 15-minute window from the start.
    let Some((sandbox, _)) = logged_in(&["--duration", "15m"]) else {
        return;
    };
    let notice = "needs an MFA code to renew";
    let mut served = Served::driver(&sandbox, "default", &[]);
    let first = served.call("keep");
    assert_eq!(first["method"], "container-role");
    for _ in 0..2 {
        let again = served.call("keep");
        assert_eq!(again["expiry"], first["expiry"], "still the same session");
    }
    let err = served.stderr();
    assert_eq!(err.matches(notice).count(), 1, "told once: {err}");
    assert!(
        err.contains("awsesh login --profile default"),
        "says what to run: {err}"
    );
    assert!(!err.contains("MFA code for"), "never a prompt: {err}");

    // Another process starts a new session: the running client gets it.
    let (code, _, out) = sandbox.run(&["login", "--force", "--token-code", "222222"]);
    assert_eq!(code, 0, "{out}");
    let renewed = served.call("keep");
    assert!(
        renewed["expiry"].as_str() > first["expiry"].as_str(),
        "the new session is served: {renewed} after {first}"
    );
    let fresh = served.call("fresh");
    assert_eq!(fresh["expiry"], renewed["expiry"]);

    // No valid session at all: the SDK's error says what to do.
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 120;
    sandbox.set_session_expiry("p-default", past);
    let failed = served.ask("fresh");
    let error = failed["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no credentials for an expired session: {failed}"));
    assert!(
        error.contains("awsesh login --profile default") && error.contains("503"),
        "{error}"
    );
    let (code, _, out) = sandbox.run(&["login", "--token-code", "333333"]);
    assert_eq!(code, 0, "{out}");
    let back = served.call("fresh");
    assert_eq!(back["method"], "container-role");

    served.send("exit 0");
    assert_eq!(served.wait(DEADLINE), 0);
    let err = served.stderr();
    assert_eq!(err.matches(notice).count(), 1, "{err}");
    assert_eq!(
        err.matches("no valid session for profile default").count(),
        1,
        "the expiry told once: {err}"
    );
    assert!(!err.contains("MFA code for"), "{err}");
}

#[test]
fn a_chained_roles_short_session_renews_untold_and_its_lapsing_source_is_told() {
    let Some((sandbox, moto)) = logged_in(&[]) else {
        return;
    };
    let arn = create_role(moto);
    // A 15-minute role: always inside the endpoint's 15-minute window, yet
    // renewed from the 12-hour MFA session without a code.
    sandbox.append_config(&format!(
        "[profile r]\nrole_arn = {arn}\nsource_profile = default\nduration_seconds = 900\nregion = us-east-1\n"
    ));
    let notice = "needs an MFA code to renew";
    let mut served = Served::driver(&sandbox, "r", &[]);
    for client in ["keep", "fresh", "fresh"] {
        let answer = served.call(client);
        assert!(
            answer["arn"].as_str().unwrap().contains(":assumed-role/"),
            "{answer}"
        );
    }
    let err = served.stderr();
    assert!(!err.contains(notice), "nothing needs a code: {err}");

    // The MFA session behind the role now has 15 minutes left: that is what
    // needs a code, and the user hears of it once, before it runs out.
    let (code, _, out) = sandbox.run(&[
        "login",
        "--force",
        "--duration",
        "15m",
        "--token-code",
        "222222",
    ]);
    assert_eq!(code, 0, "{out}");
    for _ in 0..3 {
        served.call("fresh");
    }
    served.send("exit 0");
    assert_eq!(served.wait(DEADLINE), 0);
    let err = served.stderr();
    assert_eq!(err.matches(notice).count(), 1, "told once: {err}");
    assert!(
        err.contains("the MFA session of profile default (the source of r) ends in"),
        "names the session that runs out: {err}"
    );
    assert!(
        err.contains("awsesh login --profile r"),
        "says what to run: {err}"
    );
    assert!(!err.contains("MFA code for"), "never a prompt: {err}");
}

#[test]
fn on_a_terminal_the_code_is_asked_at_the_start_and_never_from_the_background() {
    let Some(moto) = moto() else {
        return;
    };
    if support::which("aws").is_none() {
        support::missing("aws CLI (pip install awscli)");
        return;
    }
    let sandbox = Sandbox::new(moto);
    // 16-minute sessions and a margin one second shorter: the session the
    // start asks for is due for renewal a second later.
    sandbox.append_config("duration_seconds = 960\n");
    use expectrl::Expect;
    let mut pty = support::spawn_pty(
        &sandbox,
        &[
            "exec",
            "--server",
            "sh",
            "-c",
            "sleep 2; for i in 1 2 3; do aws sts get-caller-identity >/dev/null && echo call-ok; done",
        ],
        &[("AWSESH_REFRESH_MARGIN", "959")],
    );
    pty.expect("MFA code for")
        .expect("the start asks for a code");
    pty.send_line("444444").unwrap();
    let (code, output) = support::finish_pty(pty);
    assert_eq!(code, 0, "{output}");
    assert_eq!(output.matches("call-ok").count(), 3, "{output}");
    assert!(
        !output.contains("MFA code for"),
        "no second prompt: {output}"
    );
    assert_eq!(
        output.matches("needs an MFA code to renew").count(),
        1,
        "told once, on the terminal: {output}"
    );
}

#[test]
fn the_endpoint_refuses_wrong_tokens_hosts_methods_and_paths() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let mut served = Served::driver(&sandbox, "default", &[]);
    let env = served.call("env");
    let (port, token) = endpoint_of(&env);
    let path = path_of(&env);
    let host = format!("Host: 127.0.0.1:{port}\r\n");
    let auth = format!("Authorization: {token}\r\n");

    let (status, body) = get(port, &path, &format!("{host}{auth}"));
    assert_eq!(status, 200, "{body}");
    let creds = json(&body);
    assert_eq!(creds["AccessKeyId"], MOTO_SESSION_KEY);
    assert!(creds["SecretAccessKey"].as_str().unwrap().len() > 10);
    assert!(creds["Token"].as_str().unwrap().len() > 10);
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));

    let mut wrong = token.clone().into_bytes();
    wrong[10] = if wrong[10] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    let refused: Vec<(&str, String, u16)> = vec![
        ("no token", host.clone(), 401),
        (
            "a wrong token",
            format!("{host}Authorization: {wrong}\r\n"),
            403,
        ),
        (
            "a prefix of the token",
            format!("{host}Authorization: {}\r\n", &token[..token.len() - 1]),
            403,
        ),
        ("the token twice", format!("{host}{auth}{auth}"), 403),
        ("no Host", auth.clone(), 403),
        (
            "another name (DNS rebinding)",
            format!("Host: attacker.example:{port}\r\n{auth}"),
            403,
        ),
        (
            "localhost",
            format!("Host: localhost:{port}\r\n{auth}"),
            403,
        ),
        ("no port", format!("Host: 127.0.0.1\r\n{auth}"), 403),
    ];
    for (what, headers, expected) in refused {
        let (status, body) = get(port, &path, &headers);
        assert_eq!(status, expected, "{what}: {body}");
        assert!(!body.contains("SecretAccessKey"), "{what}: {body}");
    }
    let (status, _) = get(port, "/other", &format!("{host}{auth}"));
    assert_eq!(status, 404);
    let (status, _) = raw_request(
        port,
        format!("POST {path} HTTP/1.1\r\n{host}{auth}Content-Length: 0\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 405);
    let huge = format!("X-Pad: {}\r\n", "a".repeat(10_000));
    let (status, _) = get(port, &path, &format!("{host}{auth}{huge}"));
    assert_eq!(status, 431);
    let (status, _) = raw_request(port, b"\x16\x03\x01 not http\r\n\r\n");
    assert_eq!(status, 400);

    // Two requests on one kept-alive connection, both served.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\n{host}{auth}\r\n");
    stream
        .write_all(format!("{request}{request}").as_bytes())
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + DEADLINE;
    while seen.matches("HTTP/1.1 200").count() < 2 {
        assert!(Instant::now() < deadline, "two answers: {seen}");
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    served.send("exit 0");
    assert_eq!(served.wait(DEADLINE), 0);
    // Nothing awsesh printed holds a secret.
    let err = served.stderr();
    assert!(!err.contains(&token), "{err}");
    assert!(!err.contains(creds["SecretAccessKey"].as_str().unwrap()));
}

#[test]
fn slow_clients_block_neither_others_nor_the_exit() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let mut served = Served::driver(&sandbox, "default", &[]);
    let env = served.call("env");
    let (port, token) = endpoint_of(&env);
    let path = path_of(&env);
    // Half a request each, then silence.
    let stalled: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /awsesh/cre").unwrap();
            s
        })
        .collect();
    let (status, body) = get(
        port,
        &path,
        &format!("Host: 127.0.0.1:{port}\r\nAuthorization: {token}\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(served.call("fresh")["method"], "container-role");
    // CMD ends while they still hang: awsesh ends too, at once.
    served.send("exit 4");
    assert_eq!(served.wait(Duration::from_secs(5)), 4);
    assert!(port_closed(port));
    drop(stalled);
}

#[test]
fn signals_are_forwarded_and_the_exit_status_passed_through() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let mut served = Served::driver(&sandbox, "default", &[]);
    let env = served.call("env");
    let (port, _) = endpoint_of(&env);
    // status names the running server and its profile.
    let (code, out, err) = sandbox.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("credential servers")
            && out.contains(&format!("pid {}", served.pid()))
            && out.contains(&format!("127.0.0.1:{port}")),
        "{out}"
    );
    for signal in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGWINCH,
    ] {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(served.pid(), signal) };
        let got = json(&served.line(&format!("signal {signal} passed on")));
        assert_eq!(got["signal"], signal, "{got}");
    }
    served.send("exit 7");
    assert_eq!(served.wait(DEADLINE), 7);
    assert!(port_closed(port), "the endpoint is gone with CMD");
    assert!(
        server_files(&sandbox).is_empty(),
        "{:?}",
        server_files(&sandbox)
    );
    let (_, out, _) = sandbox.run(&["status", "--all"]);
    assert!(!out.contains("credential servers"), "{out}");
}

/// `awsesh exec --server` running `sh` that prints its pid and becomes
/// `sleep`; returns it with CMD's pid and the endpoint's port (from status).
fn sleeping(sandbox: &Sandbox) -> (Served, i32, u16) {
    let served = Served::start(
        sandbox,
        &["exec", "--server", "sh", "-c", "echo $$; exec sleep 120"],
        &[],
    );
    let cmd: i32 = served.line("CMD's pid").trim().parse().unwrap();
    let (_, out, _) = sandbox.run(&["status"]);
    let port = out
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("status shows the server: {out}"));
    assert!(!port_closed(port));
    (served, cmd, port)
}

#[test]
fn a_killed_command_ends_the_server_with_128_plus_its_signal() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let (mut served, cmd, port) = sleeping(&sandbox);
    // SAFETY: CMD is a process this test started (through awsesh).
    unsafe { libc::kill(cmd, libc::SIGKILL) };
    assert_eq!(served.wait(DEADLINE), 128 + libc::SIGKILL);
    assert!(port_closed(port));
    assert!(server_files(&sandbox).is_empty());
}

#[test]
fn kill_9_of_awsesh_takes_the_command_down_and_leaves_no_server() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    let (mut served, cmd, port) = sleeping(&sandbox);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(served.pid(), libc::SIGKILL) };
    assert_eq!(served.wait(DEADLINE), 128 + libc::SIGKILL);
    wait_until("CMD ends when awsesh is killed", DEADLINE, || {
        process_gone(cmd)
    });
    // The guardian holds the port until CMD is gone (tests/attack_server.rs),
    // then nothing does.
    wait_until("the port is freed once CMD is gone", DEADLINE, || {
        port_closed(port)
    });
    // The stale entry is cleaned by the next reader.
    let (_, out, _) = sandbox.run(&["status", "--all"]);
    assert!(!out.contains("credential servers"), "{out}");
    assert!(
        server_files(&sandbox).is_empty(),
        "{:?}",
        server_files(&sandbox)
    );
}

#[test]
fn exec_takes_the_command_without_dashes() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    // Flags before CMD are awsesh's; from CMD on, everything is CMD's.
    let (code, out, err) = sandbox.run(&[
        "exec",
        "--profile",
        "default",
        "sh",
        "-c",
        "echo \"$AWSESH_PROFILE $0 $1 $2\"",
        "--profile",
        "-x",
        "--",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "default --profile -x --\n");
    let (code, out, _) = sandbox.run(&["exec", "--", "sh", "-c", "echo dashes"]);
    assert_eq!((code, out.as_str()), (0, "dashes\n"));
    let (code, out, err) = sandbox.run(&["exec", "--server", "sh", "-c", "echo served"]);
    assert_eq!((code, out.as_str()), (0, "served\n"), "{err}");
}

#[test]
fn exec_without_a_command_opens_the_users_shell_with_the_session() {
    let Some((sandbox, _)) = logged_in(&[]) else {
        return;
    };
    // $SHELL is a script that says what it was given and exits with 5, so
    // the test sees it ran, with which environment, and whose status came back.
    let shell = sandbox.path("my-shell");
    std::fs::write(
        &shell,
        "#!/bin/sh\necho \"shell:$# $AWSESH_PROFILE ${AWS_ACCESS_KEY_ID:+keys}${AWS_CONTAINER_CREDENTIALS_FULL_URI:+endpoint}\"\nexit 5\n",
    )
    .unwrap();
    std::fs::set_permissions(&shell, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for (args, expect) in [
        (&["exec"][..], "shell:0 default keys\n"),
        (&["exec", "--profile", "default"], "shell:0 default keys\n"),
        (&["exec", "--"], "shell:0 default keys\n"),
        (&["exec", "--server"], "shell:0 default endpoint\n"),
    ] {
        let out = support::output_within(
            sandbox.awsesh(args).env("SHELL", &shell),
            Duration::from_secs(60),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            (out.status.code(), stdout.as_ref()),
            (Some(5), expect),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // No $SHELL (or an empty one): /bin/sh, reading commands from stdin.
    let commands = sandbox.path("commands");
    std::fs::write(&commands, "echo \"sh $AWSESH_PROFILE\"; exit 4\n").unwrap();
    for shell in [None, Some("")] {
        let mut cmd = sandbox.awsesh(&["exec"]);
        cmd.env_remove("SHELL");
        if let Some(value) = shell {
            cmd.env("SHELL", value);
        }
        cmd.stdin(std::fs::File::open(&commands).unwrap());
        let out = support::output_within(&mut cmd, Duration::from_secs(60));
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref()
            ),
            (Some(4), "sh default\n"),
            "SHELL={shell:?}"
        );
    }
}
