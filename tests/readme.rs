//! The README's moto demo ("Try it without AWS"), run as written: its
//! ```bash blocks are read from README.md at test time and sourced, in order,
//! by an interactive bash on a pseudo-terminal — where the README says to type
//! a code, the test types one. Only what the blocks themselves read is set
//! around them: a throwaway HOME and TMPDIR, `AWSESH_DEMO_VENV` (the virtual
//! environment cached under target/, as its first creation downloads moto)
//! and `MOTO_PORT` (a free port). The moto server the demo starts must be
//! gone when the demo ends; if the test fails half-way, every process of the
//! shell's session is killed by id.

mod support;

use std::fs;
use std::io::Write as _;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::BIN;

/// The first run creates the virtual environment (pip downloads moto).
const DEMO_DEADLINE: Duration = Duration::from_secs(600);

/// What moto answers to GetCallerIdentity with session credentials, as the
/// README says.
const MOTO_ARN: &str = "arn:aws:sts::123456789012:user/moto";
const MOTO_USER_ID: &str = "AKIAIOSFODNN7EXAMPLE";

fn readme() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The ```bash blocks of the README's section `heading`, in order.
fn bash_blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(&format!("\n## {heading}"))
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let section = &readme[start + 1..];
    let section = match section.find("\n## ") {
        Some(end) => &section[..end],
        None => section,
    };
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("\n```bash\n") {
        let body = &rest[open + "\n```bash\n".len()..];
        let close = body.find("\n```\n").expect("an unclosed ```bash block");
        blocks.push(body[..=close].to_string());
        rest = &body[close..];
    }
    blocks
}

/// Kills every process of a session by id (the shell is its leader): the
/// demo's background moto among them, should the demo not get to `kill` it.
struct SessionGuard(i32);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        let Ok(entries) = fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp session …; comm may hold spaces.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            if fields.get(3).and_then(|s| s.parse::<i32>().ok()) == Some(self.0) {
                // SAFETY: a plain kill(2) of a process of the session we started.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn have_python_venv() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::missing("python3 with the venv module (apt install python3-venv)");
    }
    ok
}

#[test]
fn the_moto_demo_runs_as_written() {
    let readme = readme();
    let blocks = bash_blocks(&readme, "Try it without AWS");
    assert_eq!(blocks.len(), 4, "the demo's four steps: {blocks:#?}");
    // What the README promises, checked against what moto answers below.
    for claim in [
        MOTO_ARN,
        MOTO_USER_ID,
        "python3 -m venv",
        "kill \"$moto_pid\"",
    ] {
        assert!(
            blocks.concat().contains(claim) || readme.contains(claim),
            "README lost {claim:?}"
        );
    }
    if support::which("bash").is_none() {
        support::missing("bash");
        return;
    }
    if !have_python_venv() {
        return;
    }

    let root = tempfile::Builder::new()
        .prefix("awsesh-readme")
        .tempdir()
        .unwrap();
    let home = root.path().join("home");
    let tmp = root.path().join("tmp");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let script = root.path().join("demo.bash");
    fs::write(&script, blocks.concat()).unwrap();
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-venv");
    let port = free_port();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-i"])
        .env_clear()
        .env("PATH", &path)
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .env("TERM", "dumb")
        .env("LANG", "C.UTF-8")
        .env("PS1", "$ ")
        .env("AWSESH_DEMO_VENV", &venv)
        .env("MOTO_PORT", port.to_string())
        .current_dir(&home);
    if let Ok(root) = std::env::var("PYENV_ROOT") {
        cmd.env("PYENV_ROOT", root);
    }
    let mut shell = expectrl::Session::spawn(cmd).expect("bash on a pty");
    let _guard = SessionGuard(shell.get_process().pid().as_raw());
    // `"@@""END-…"`: the echoed line never contains `@@END-`.
    let line = format!(
        "stty echo; source '{}'; echo \"@@\"\"END-$?@@\"\n",
        script.display()
    );
    shell.write_all(line.as_bytes()).unwrap();
    shell.flush().unwrap();

    let fd = shell.get_stream().as_raw_fd();
    let deadline = Instant::now() + DEMO_DEADLINE;
    let mut text = String::new();
    let mut typed_code = false;
    let status = loop {
        if let Some(i) = text.find("@@END-")
            && let Some(j) = text[i + 6..].find("@@")
        {
            break text[i + 6..i + 6 + j].to_string();
        }
        if !typed_code && text.contains("MFA code") {
            // What the README says to do at the prompt.
            shell.write_all(b"123456\r").unwrap();
            shell.flush().unwrap();
            typed_code = true;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not finish within {DEMO_DEADLINE:?}; its terminal:\n{text}"
        );
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 200) } > 0 {
            let mut buf = [0u8; 8192];
            // SAFETY: reading into a local buffer from the pty master we own.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                text.push_str(&String::from_utf8_lossy(&buf[..n as usize]));
            } else {
                panic!("the shell went away; its terminal:\n{text}");
            }
        }
    };

    assert!(typed_code, "awsesh login never asked for a code:\n{text}");
    assert_eq!(status, "0", "the last step failed; the terminal:\n{text}");
    assert_eq!(
        text.matches("MFA code").count(),
        1,
        "asked for a code more than once (the wrapper should reuse the session):\n{text}"
    );
    for expected in [
        "awsesh: session for profile default started: 1",
        "profile:     default",
        "mfa device:  arn:aws:iam::123456789012:mfa/alice",
        MOTO_USER_ID,
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        text.contains("time left:   12h00m") || text.contains("time left:   11h59m"),
        "{text}"
    );
    assert!(
        text.matches(MOTO_ARN).count() >= 2,
        "exec and the wrapper should both print moto's identity:\n{text}"
    );
    let said: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("awsesh: "))
        .filter(|l| !l.contains("session for profile default started") && !l.contains("MFA code"))
        .collect();
    assert!(
        said.is_empty(),
        "awsesh errors or warnings: {said:?}\n{text}"
    );

    // Step 4 stopped moto: its port closes.
    let closed_by = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < closed_by,
            "moto still listens on {port} after the demo's `kill`"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn bash_blocks_are_read_in_order_from_their_section_only() {
    let text = "# T\n\n## A\n\n```bash\na1\n```\n\n```sh\nnot\n```\n\n```bash\na2\nx\n```\n\n## B\n\n```bash\nb\n```\n";
    assert_eq!(bash_blocks(text, "A"), ["a1\n", "a2\nx\n"]);
    assert_eq!(bash_blocks(text, "B"), ["b\n"]);
}
