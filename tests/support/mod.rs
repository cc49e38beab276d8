//! Test harness shared by the integration tests: a real moto server on a free
//! loopback port, and a sandbox (HOME, AWS config files, private runtime
//! directory) per test.
#![allow(dead_code)]

pub mod fake_sso;
pub mod fake_sts;
pub mod lost_iam;
pub mod net;

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod keyring;
pub mod local_user;

pub const BIN: &str = env!("CARGO_BIN_EXE_awsesh");

/// Whether a missing prerequisite must fail the test instead of skipping it.
pub fn require_all() -> bool {
    std::env::var("AWSESH_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Skip (loudly) or fail, depending on AWSESH_TEST_REQUIRE_ALL. The notice
/// goes straight to the process's stderr: the test harness captures
/// `eprintln!` and would show it only for a failing test.
pub fn missing(what: &str) {
    if require_all() {
        panic!("prerequisite missing and AWSESH_TEST_REQUIRE_ALL=1: {what}");
    }
    use std::io::Write;
    let notice = format!(
        "\nSKIPPED ({}): prerequisite missing: {what}\n",
        std::thread::current().name().unwrap_or("a test")
    );
    let _ = std::io::stderr().lock().write_all(notice.as_bytes());
}

/// A fact worth seeing in a plain `cargo test` run, written where the
/// harness does not capture it.
pub fn note(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("\nNOTE: {text}\n").as_bytes());
}

/// How long any one command of a test may run before it is killed and the
/// test fails (awsesh's own limits are 3 s to connect, 10 s per call).
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// `Command::output` with a deadline: `cmd.output_in_time()` runs it as
/// `output_within(cmd, COMMAND_DEADLINE)` does, so a command that hangs
/// fails the test with what it printed instead of hanging the suite.
pub trait OutputInTime {
    fn output_in_time(&mut self) -> std::process::Output;
}

impl OutputInTime for Command {
    fn output_in_time(&mut self) -> std::process::Output {
        output_within(self, COMMAND_DEADLINE)
    }
}

/// Runs `cmd` to completion with both outputs captured, or kills it (and
/// its process group, if it leads one) at `deadline` and fails the test
/// saying what was run and what it had printed.
pub fn output_within(cmd: &mut Command, deadline: Duration) -> std::process::Output {
    use std::io::Read;
    let what: String = (format!("{:?}", cmd.get_program())
        + &format!(" {:?}", cmd.get_args().collect::<Vec<_>>()))
        .chars()
        .take(300)
        .collect();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let collect = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    bytes.extend_from_slice(&buf[..n]);
                    let _ = tx.send(Some(bytes.clone()));
                }
            }
            let _ = tx.send(None);
        });
        rx
    };
    let out_rx = collect(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err_rx = collect(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() >= deadline {
            kill_tree(child.id());
            let _ = child.wait();
            let err = latest(&err_rx, Duration::from_millis(200));
            let out = latest(&out_rx, Duration::from_millis(200));
            panic!(
                "{what} did not finish within {deadline:?} (killed); expected it to end by itself.\nstdout so far: {}\nstderr so far: {}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // A grandchild may hold a pipe open: read what came within a grace.
    let stdout = latest(&out_rx, Duration::from_secs(5));
    let stderr = latest(&err_rx, Duration::from_secs(5));
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// The last snapshot a reader thread sent, waiting up to `grace` for its end.
fn latest(rx: &std::sync::mpsc::Receiver<Option<Vec<u8>>>, grace: Duration) -> Vec<u8> {
    let deadline = Instant::now() + grace;
    let mut last = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Some(bytes)) => last = bytes,
            Ok(None) | Err(_) => return last,
        }
    }
}

/// SIGKILL to a process and to the group it leads (if it does).
pub fn kill_tree(pid: u32) {
    // SAFETY: kill with our own child's pid (and as a group id).
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

pub struct Moto {
    pub endpoint: String,
    pub recording: PathBuf,
}

/// One moto server per test binary, started on first use. It runs from a
/// thread that lives as long as the process, so PDEATHSIG stops the server
/// when the test binary exits.
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Option<Moto>> = OnceLock::new();
    let moto = MOTO.get_or_init(start_moto).as_ref();
    if moto.is_none() {
        missing("moto_server (pip install 'moto[server]')");
    }
    moto
}

/// moto, once each of `programs` is on PATH; `None` after saying (loudly)
/// which one is missing.
pub fn moto_with(programs: &[&str]) -> Option<&'static Moto> {
    if let Some(program) = programs.iter().find(|p| which(p).is_none()) {
        missing(program);
        return None;
    }
    moto()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

fn start_moto() -> Option<Moto> {
    let program = which("moto_server")?;
    let port = free_port();
    let dir = tempfile::Builder::new()
        .prefix("awsesh-moto")
        .tempdir()
        .ok()?
        .keep();
    let recording = dir.join("recording.jsonl");
    let (tx, rx) = std::sync::mpsc::channel();
    let rec = recording.clone();
    std::thread::spawn(move || {
        let mut cmd = Command::new(program);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "1")
            .env("MOTO_RECORDER_FILEPATH", &rec)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to stop
        // the server when this (never-ending) thread's process dies.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn();
        let _ = tx.send(child.is_ok());
        if let Ok(mut child) = child {
            let _ = child.wait();
        }
    });
    if !rx.recv().ok()? {
        return None;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                recording,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("moto_server did not listen on port {port} within 30 s");
}

impl Moto {
    /// Number of recorded STS calls of `action` signed with `access_key_id`
    /// and sent by the real AWS CLI (awsesh itself calls GetCallerIdentity
    /// with the long-term keys while the user types the code).
    pub fn count_cli_calls(&self, action: &str, access_key_id: &str) -> usize {
        self.count_calls_where(action, access_key_id, |agent| agent.starts_with("aws-cli/"))
    }

    /// GetSessionToken calls signed with the sandbox's long-term key.
    pub fn session_token_calls(&self, sb: &Sandbox) -> usize {
        self.count_calls("GetSessionToken", &sb.access_key_id)
    }

    /// GetCallerIdentity calls the AWS CLI signed with the sandbox's
    /// long-term key: a command that ran without the session.
    pub fn long_term_identity_calls(&self, sb: &Sandbox) -> usize {
        self.count_cli_calls("GetCallerIdentity", &sb.access_key_id)
    }

    /// Number of recorded STS calls of `action` signed with `access_key_id`.
    pub fn count_calls(&self, action: &str, access_key_id: &str) -> usize {
        self.count_calls_where(action, access_key_id, |_| true)
    }

    fn count_calls_where(
        &self,
        action: &str,
        access_key_id: &str,
        agent: impl Fn(&str) -> bool,
    ) -> usize {
        let Ok(file) = fs::File::open(&self.recording) else {
            return 0;
        };
        BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
            .filter(|entry| {
                let auth = entry["headers"]["Authorization"].as_str().unwrap_or("");
                auth.contains(&format!("Credential={access_key_id}/"))
                    && agent(entry["headers"]["User-Agent"].as_str().unwrap_or(""))
                    && request_body(entry).contains(&format!("Action={action}"))
            })
            .count()
    }

    /// Creates an IAM user with an access key; returns (access key id, secret).
    pub fn create_user_with_key(&self, user: &str) -> (String, String) {
        let out = self
            .aws_admin(&["iam", "create-user", "--user-name", user])
            .and_then(|_| self.aws_admin(&["iam", "create-access-key", "--user-name", user]))
            .expect("aws iam create-access-key against moto");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        (
            v["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
            v["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// Creates a virtual MFA device and enables it for `user`; returns its serial.
    pub fn add_mfa_device(&self, user: &str) -> String {
        let device = unique_name("dev");
        // aws CLI v1 insists on writing the QR code somewhere.
        let outfile = std::env::temp_dir().join(format!("{device}.png"));
        let out = self
            .aws_admin(&[
                "iam",
                "create-virtual-mfa-device",
                "--virtual-mfa-device-name",
                &device,
                "--outfile",
                outfile.to_str().unwrap(),
                "--bootstrap-method",
                "QRCodePNG",
            ])
            .expect("iam create-virtual-mfa-device");
        let _ = fs::remove_file(&outfile);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let serial = v["VirtualMFADevice"]["SerialNumber"]
            .as_str()
            .unwrap()
            .to_string();
        self.aws_admin(&[
            "iam",
            "enable-mfa-device",
            "--user-name",
            user,
            "--serial-number",
            &serial,
            "--authentication-code1",
            "123456",
            "--authentication-code2",
            "654321",
        ])
        .expect("iam enable-mfa-device");
        serial
    }

    /// Runs the real aws CLI against moto with moto's admin credentials.
    pub fn aws_admin(&self, args: &[&str]) -> Result<String, String> {
        let mut aws = Command::new("aws");
        let out = output_within(
            aws.args(args)
                .args(["--output", "json"])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", std::env::temp_dir())
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", &self.endpoint),
            COMMAND_DEADLINE,
        );
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

/// The decoded form body of a recorded request.
pub fn request_body(entry: &serde_json::Value) -> String {
    let body = entry["body"].as_str().unwrap_or("");
    if entry["body_encoded"].as_bool().unwrap_or(false) {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    } else {
        body.to_string()
    }
}

pub fn unique_name(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{prefix}{}x{n}", std::process::id())
}

/// A private world for one test: HOME with ~/.aws files and a runtime dir.
pub struct Sandbox {
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub runtime: PathBuf,
    pub endpoint: String,
    pub access_key_id: String,
    pub mfa_serial: String,
}

impl Sandbox {
    /// A sandbox whose `default` profile holds the keys of a fresh moto IAM
    /// user and names an MFA device.
    pub fn new(moto: &Moto) -> Sandbox {
        let user = unique_name("user");
        let (access_key_id, secret) = moto.create_user_with_key(&user);
        let mfa_serial = format!("arn:aws:iam::123456789012:mfa/{user}");
        let sandbox = Sandbox::empty(&moto.endpoint, &access_key_id, &mfa_serial);
        sandbox.write_credentials(&format!(
            "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n"
        ));
        sandbox.write_config(&format!(
            "[default]\nregion = us-east-1\nmfa_serial = {mfa_serial}\n"
        ));
        sandbox
    }

    /// A sandbox whose `default` profile holds static long-term keys and
    /// names an MFA device, pointed at a fake STS (tests/support/fake_sts.rs).
    pub fn with_fake(fake: &fake_sts::FakeSts) -> Sandbox {
        let access_key_id = "AKIAFAKELONGTERM0001";
        let mfa_serial = "arn:aws:iam::123456789012:mfa/fake";
        let sandbox = Sandbox::empty(&fake.endpoint, access_key_id, mfa_serial);
        sandbox.write_credentials(&format!(
            "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = fakeLongTermSecret0123456789abcdefghijklm\n"
        ));
        sandbox.write_config(&format!(
            "[default]\nregion = us-east-1\nmfa_serial = {mfa_serial}\n"
        ));
        sandbox
    }

    pub fn empty(endpoint: &str, access_key_id: &str, mfa_serial: &str) -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("awsesh-test")
            .tempdir()
            .unwrap();
        let home = root.path().join("home");
        let runtime = root.path().join("run");
        fs::create_dir_all(home.join(".aws")).unwrap();
        fs::create_dir_all(&runtime).unwrap();
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
        Sandbox {
            root,
            home,
            runtime,
            endpoint: endpoint.to_string(),
            access_key_id: access_key_id.to_string(),
            mfa_serial: mfa_serial.to_string(),
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.home.join(".aws/config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.home.join(".aws/credentials")
    }

    pub fn write_config(&self, text: &str) {
        fs::write(self.config_path(), text).unwrap();
    }

    pub fn append_config(&self, text: &str) {
        let old = fs::read_to_string(self.config_path()).unwrap_or_default();
        fs::write(self.config_path(), old + text).unwrap();
    }

    pub fn write_credentials(&self, text: &str) {
        fs::write(self.credentials_path(), text).unwrap();
    }

    /// PATH with a directory in front that holds `awsprobe`, a stand-in for
    /// `aws` that prints what it was given: `seen: profile=… awsesh=…
    /// exp=… args=…` (`unset` for a variable it did not get).
    pub fn aws_probe_path(&self) -> String {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.path("probe-bin");
        fs::create_dir_all(&bin).unwrap();
        let probe = bin.join("awsprobe");
        fs::write(
            &probe,
            "#!/bin/sh\nprintf 'seen: profile=%s awsesh=%s exp=%s args=%s\\n' \
             \"${AWS_PROFILE-unset}\" \"${AWSESH_PROFILE-unset}\" \"${AWS_CREDENTIAL_EXPIRATION-unset}\" \"$*\"\n",
        )
        .unwrap();
        fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).unwrap();
        format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
    }

    /// A second profile, `other`, with the same user's keys and device.
    pub fn add_other_profile(&self) {
        let creds = fs::read_to_string(self.credentials_path()).unwrap();
        let keys = creds.split_once('\n').unwrap().1.to_string();
        self.write_credentials(&format!("{creds}[other]\n{keys}"));
        self.append_config(&format!(
            "[profile other]\nregion = us-east-1\nmfa_serial = {}\n",
            self.mfa_serial
        ));
    }

    /// Logs `profile` in for `duration` with `code`; returns its expiration
    /// as exported (RFC 3339).
    pub fn login_for(&self, profile: &str, duration: &str, code: &str) -> String {
        let (status, _, err) = self.run(&[
            "login",
            "--profile",
            profile,
            "--duration",
            duration,
            "--token-code",
            code,
        ]);
        assert_eq!(status, 0, "login {profile}: {err}");
        self.expiration_of(profile)
    }

    /// What `env --shell json` exports for `profile`'s session, by name.
    pub fn session_exports(&self, profile: &str) -> Vec<(&'static str, String)> {
        let (status, out, err) = self.run(&["env", "--profile", profile, "--shell", "json"]);
        assert_eq!(status, 0, "env {profile}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWSESH_PROFILE",
        ]
        .into_iter()
        .map(|name| match json[name].as_str() {
            Some(value) => (name, value.to_string()),
            None => panic!("env {profile}: no {name} in {out}"),
        })
        .collect()
    }

    /// The expiration `env --shell json` reports for `profile`.
    pub fn expiration_of(&self, profile: &str) -> String {
        let (status, out, err) = self.run(&["env", "--profile", profile, "--shell", "json"]);
        assert_eq!(status, 0, "env {profile}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        json["AWS_CREDENTIAL_EXPIRATION"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The awsesh runtime directory inside the sandbox's XDG_RUNTIME_DIR.
    pub fn store_dir(&self) -> PathBuf {
        self.runtime.join("awsesh")
    }

    /// The environment every process of this sandbox gets (on top of a clean one).
    pub fn env(&self) -> Vec<(String, String)> {
        let path = std::env::var("PATH").unwrap_or_default();
        vec![
            ("PATH".into(), path),
            ("HOME".into(), self.home.display().to_string()),
            ("XDG_RUNTIME_DIR".into(), self.runtime.display().to_string()),
            (
                "AWS_CONFIG_FILE".into(),
                self.config_path().display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                self.credentials_path().display().to_string(),
            ),
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("TERM".into(), "dumb".into()),
            ("LANG".into(), "C.UTF-8".into()),
        ]
    }

    /// `awsesh ARGS` with the sandbox's environment and no terminal.
    pub fn awsesh(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null());
        // Detach from the test runner's terminal so /dev/tty is unavailable.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        cmd
    }

    /// Runs `awsesh ARGS` to completion (killed, and the test failed, past
    /// `COMMAND_DEADLINE`); returns (status code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = output_within(&mut self.awsesh(args), COMMAND_DEADLINE);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A shell command line that runs with the sandbox env, for a pty.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Rewrites `profile`'s cached session to expire at `epoch` (the same
    /// keys), as the clock would make it: moto's clock cannot be moved.
    pub fn set_session_expiry(&self, profile_key: &str, epoch: i64) {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        use time::format_description::well_known::Rfc3339;
        let path = self.store_dir().join(format!("{profile_key}.session"));
        let text = fs::read_to_string(&path).unwrap();
        let (_, rest) = text.split_once('\n').unwrap();
        let mut session: serde_json::Value = serde_json::from_str(rest.trim()).unwrap();
        let at = time::OffsetDateTime::from_unix_timestamp(epoch).unwrap();
        session["expiration"] = serde_json::Value::String(at.format(&Rfc3339).unwrap());
        let tmp = self.store_dir().join(format!(".{profile_key}.test.tmp"));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .unwrap();
        write!(file, "{epoch}\n{session}\n").unwrap();
        fs::rename(&tmp, &path).unwrap();
    }
}

/// Runs `awsesh ARGS`, which must fail with nothing on stdout and one line on
/// stderr containing every word of `expect`; returns that line.
pub fn one_line_error(sandbox: &Sandbox, args: &[&str], expect: &[&str]) -> String {
    let (code, out, err) = sandbox.run(args);
    assert_ne!(code, 0, "{args:?} should fail");
    assert_eq!(out, "", "{args:?}: nothing on stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    for word in expect {
        assert!(err.contains(word), "{args:?}: `{word}` missing from: {err}");
    }
    err
}

pub fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

pub type Pty = expectrl::session::OsSession;

/// `awsesh ARGS` on a fresh pseudo-terminal (so /dev/tty is that terminal),
/// with the sandbox's environment plus `extra`.
pub fn spawn_pty(sandbox: &Sandbox, args: &[&str], extra: &[(&str, &str)]) -> Pty {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().envs(sandbox.env());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut session = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

/// Reads a pty session to its end and returns (exit code or 128+signal, output).
/// The end is EOF or EIO on the master, which Linux reports once every
/// process holding the terminal has gone. Past `COMMAND_DEADLINE` the process
/// (and its group) is killed and the test fails with what it printed.
pub fn finish_pty(mut session: Pty) -> (i32, String) {
    use expectrl::process::unix::WaitStatus;
    let mut output = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + COMMAND_DEADLINE;
    let pid = session.get_process().pid();
    let fail = |output: &[u8], what: &str| -> ! {
        kill_tree(pid.as_raw() as u32);
        panic!(
            "pty process {pid} {what} within {COMMAND_DEADLINE:?} (killed); output so far: {}",
            String::from_utf8_lossy(output)
        )
    };
    loop {
        if Instant::now() >= deadline {
            fail(&output, "did not close its terminal");
        }
        match session.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => output.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(_) => break,
        }
    }
    let status = loop {
        match session.get_process().status() {
            Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(WaitStatus::StillAlive) => fail(&output, "did not exit"),
            Ok(WaitStatus::Exited(_, code)) => break code,
            Ok(WaitStatus::Signaled(_, signal, _)) => break 128 + signal as i32,
            other => panic!("unexpected wait status {other:?}"),
        }
    };
    (status, String::from_utf8_lossy(&output).into_owned())
}
