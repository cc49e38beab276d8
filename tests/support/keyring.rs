//! A real Secret Service for the keyring tests: `gnome-keyring-daemon
//! --unlock` (its password on stdin) on a private session bus made by
//! `dbus-run-session`, in a private HOME. Each `Keyring` is its own bus and
//! daemon, so a test may lock it without disturbing the others. It stops when
//! dropped, or when the test binary dies (PDEATHSIG, and the daemon's script
//! ends when its stdin pipe closes).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::{missing, which};

pub struct Keyring {
    /// DBUS_SESSION_BUS_ADDRESS of the private bus.
    pub bus: String,
    child: Child,
    stdin: Option<ChildStdin>,
    frozen: std::cell::Cell<bool>,
    _dir: tempfile::TempDir,
}

const SCRIPT: &str = r#"
export HOME="$1" XDG_RUNTIME_DIR="$2" XDG_DATA_HOME="$1/.local/share"
if [ "$3" = 1 ]; then
    printf 'awsesh-test-password' | gnome-keyring-daemon --unlock --components=secrets --foreground >/dev/null 2>"$1/gnome-keyring.log" &
fi
printf 'ADDR=%s\n' "$DBUS_SESSION_BUS_ADDRESS"
read -r _ || true
[ "$3" = 1 ] && kill $! 2>/dev/null
exit 0
"#;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Kind {
    Unlocked,
    NoService,
    Activated,
}

/// A session bus configuration with no service directories.
const BUS_WITHOUT_ACTIVATION: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

impl Keyring {
    /// An unlocked GNOME Keyring on a private bus, or None (skipped loudly,
    /// or a failure under AWSESH_TEST_REQUIRE_ALL=1) when it cannot run here.
    pub fn start() -> Option<Keyring> {
        for program in ["dbus-run-session", "dbus-send", "gnome-keyring-daemon"] {
            if which(program).is_none() {
                missing(&format!(
                    "{program} (apt-get install gnome-keyring dbus-x11)"
                ));
                return None;
            }
        }
        let keyring = Keyring::spawn(Kind::Unlocked);
        keyring.wait_for_service();
        Some(keyring)
    }

    /// A private session bus with no Secret Service on it: no daemon, and
    /// no D-Bus activation that would start one.
    pub fn bus_without_service() -> Option<Keyring> {
        if which("dbus-run-session").is_none() {
            missing("dbus-run-session (apt-get install dbus-x11)");
            return None;
        }
        Some(Keyring::spawn(Kind::NoService))
    }

    /// A session bus as most desktops have: gnome-keyring is started on
    /// demand by D-Bus activation, but there is no unlocked login keyring
    /// (no password was ever given to it, as on WSL or over ssh).
    pub fn activated_without_login() -> Option<Keyring> {
        if which("dbus-run-session").is_none() || which("gnome-keyring-daemon").is_none() {
            missing(
                "dbus-run-session, gnome-keyring-daemon (apt-get install gnome-keyring dbus-x11)",
            );
            return None;
        }
        Some(Keyring::spawn(Kind::Activated))
    }

    fn spawn(kind: Kind) -> Keyring {
        let dir = tempfile::Builder::new()
            .prefix("awsesh-keyring")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut cmd = Command::new("dbus-run-session");
        if kind == Kind::NoService {
            let config = dir.path().join("bus.conf");
            std::fs::write(&config, BUS_WITHOUT_ACTIVATION).unwrap();
            cmd.arg(format!("--config-file={}", config.display()));
        }
        cmd.args(["--", "sh", "-c", SCRIPT, "sh"])
            .arg(&home)
            .arg(&run)
            .arg(if kind == Kind::Unlocked { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; the bus goes when the tests go.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn dbus-run-session");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("ADDR=") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let bus = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("dbus-run-session printed no bus address within 20 s");
        Keyring {
            bus,
            stdin: child.stdin.take(),
            frozen: std::cell::Cell::new(false),
            child,
            _dir: dir,
        }
    }

    /// `dbus-send` on this bus; returns its stdout.
    pub fn dbus_send(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new("dbus-send");
        cmd.args(["--session", "--print-reply", "--reply-timeout=5000"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null());
        let (code, out, err) = output_within(&mut cmd, 20);
        if code == 0 { Ok(out) } else { Err(err) }
    }

    fn wait_for_service(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = String::new();
        while Instant::now() < deadline {
            match self.dbus_send(&[
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ]) {
                Ok(out) if out.contains("boolean true") => return,
                Ok(out) | Err(out) => seen = out,
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "gnome-keyring-daemon did not own org.freedesktop.secrets within 20 s; last answer: {seen}"
        );
    }

    /// Locks the login collection, as a screen lock or a timeout would.
    pub fn lock(&self) {
        self.dbus_send(&[
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .expect("lock the login collection");
    }

    /// Stops the daemon (SIGSTOP) without releasing its bus name: every
    /// call to the Secret Service now waits forever, as one waiting on an
    /// unlock dialog nobody answers does. `thaw` (or drop) lets it go on.
    pub fn freeze(&self) {
        self.signal_daemon(libc::SIGSTOP);
        self.frozen.set(true);
    }

    pub fn thaw(&self) {
        if self.frozen.replace(false) {
            self.signal_daemon(libc::SIGCONT);
        }
    }

    fn signal_daemon(&self, signal: i32) {
        let out = self
            .dbus_send(&[
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "string:org.freedesktop.secrets",
            ])
            .expect("pid of the Secret Service");
        let pid: i32 = out
            .split_whitespace()
            .skip_while(|w| *w != "uint32")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no pid in: {out}"));
        // SAFETY: kill(2) on a process this test started.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "signal {signal} to {pid}"
        );
    }

    /// Object paths of the items with these attributes (unlocked or locked).
    pub fn search(&self, attributes: &[(&str, &str)]) -> Vec<String> {
        let dict: Vec<String> = attributes
            .iter()
            .flat_map(|(k, v)| [k.to_string(), v.to_string()])
            .collect();
        let out = self
            .dbus_send(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.SearchItems",
                &format!("dict:string:string:{}", dict.join(",")),
            ])
            .expect("SearchItems");
        out.lines()
            .filter_map(|l| l.trim().strip_prefix("object path \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|p| p.starts_with("/org/freedesktop/secrets/collection/"))
            .map(str::to_string)
            .collect()
    }

    /// An item's attributes, read over D-Bus.
    pub fn attributes(&self, path: &str) -> Vec<(String, String)> {
        let out = self
            .dbus_send(&[
                "--dest=org.freedesktop.secrets",
                path,
                "org.freedesktop.DBus.Properties.Get",
                "string:org.freedesktop.Secret.Item",
                "string:Attributes",
            ])
            .expect("the item's Attributes");
        // `dict entry(` then `string "key"` and `string "value"` lines.
        let strings: Vec<String> = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("string \""))
            .filter_map(|l| l.strip_suffix('"'))
            .map(str::to_string)
            .collect();
        strings
            .chunks(2)
            .filter_map(|kv| Some((kv.first()?.clone(), kv.get(1)?.clone())))
            .collect()
    }

    /// awsesh's items of a profile (its escaped name, `p-team`): the one an
    /// earlier awsesh wrote (user `p-team`) and one per set of AWS files
    /// (user `p-team@…`), as (user name, attributes), sorted.
    pub fn items_of(&self, escaped: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut items: Vec<(String, Vec<(String, String)>)> = self
            .search(&[("service", "awsesh")])
            .into_iter()
            .map(|path| self.attributes(&path))
            .filter_map(|attributes| {
                let user = attributes
                    .iter()
                    .find(|(k, _)| k == "username")
                    .map(|(_, v)| v.clone())?;
                let mine = user == escaped
                    || user
                        .strip_prefix(escaped)
                        .is_some_and(|rest| rest.starts_with('@'));
                mine.then_some((user, attributes))
            })
            .collect();
        items.sort();
        items
    }

    /// The JSON awsesh stored in the item of this user name (secret-tool).
    pub fn awsesh_item(&self, user: &str) -> Option<serde_json::Value> {
        let text = self.lookup(&[("service", "awsesh"), ("username", user)])?;
        Some(serde_json::from_str(&text).expect("awsesh's item is JSON"))
    }

    /// The secret stored under these attributes, read by libsecret's own
    /// client (`secret-tool`), or None when it is not installed.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Option<String> {
        if which("secret-tool").is_none() {
            missing("secret-tool (apt-get install libsecret-tools)");
            return None;
        }
        let mut cmd = Command::new("secret-tool");
        cmd.arg("lookup");
        for (k, v) in attributes {
            cmd.args([k, v]);
        }
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null());
        Some(output_within(&mut cmd, 20).1)
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        if self.frozen.get() && !std::thread::panicking() {
            // A frozen daemon would not see its stdin close.
            self.thaw();
        }
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to its end or kills it at the deadline; returns
/// (exit code, stdout, stderr) or panics saying what hung.
pub fn output_within(cmd: &mut Command, secs: u64) -> (i32, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        out.join().unwrap(),
        err.join().unwrap(),
    )
}
