//! Real bash, zsh and fish on a pseudo-terminal, started from an rc file as a
//! user's would be. Every wait has a deadline: on expiry the whole terminal
//! session (the shell and everything it started) is killed and the test
//! fails with what was expected and what was seen. Dropping a `Term` kills
//! its session too, so a failed test leaves nothing running.
//!
//! Include with `#[path = "support/term.rs"] mod term;` next to `mod support;`.
#![allow(dead_code)]

use std::fs;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::Expect as _;

use crate::support::{self, BIN, Moto, Sandbox};

/// The shell and the other programs a test drives, then moto; `None` after
/// saying (loudly) which one is missing.
pub fn setup(sh: Sh, programs: &[&str]) -> Option<&'static Moto> {
    let all: Vec<&str> = std::iter::once(sh.name())
        .chain(programs.iter().copied())
        .collect();
    support::moto_with(&all)
}

/// `per_shell! { case: [Bash, Zsh, Fish]; }`: one test per shell, named
/// `case::Bash` …, each calling `case(Sh::…)`.
macro_rules! per_shell {
    ($($name:ident: [$($sh:ident),*];)*) => {
        $(mod $name {
            $(#[test]
            #[allow(non_snake_case)]
            fn $sh() {
                super::$name(super::Sh::$sh);
            })*
        })*
    };
}
pub(crate) use per_shell;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    pub const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

    pub fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// `$?` in this shell.
    pub fn status_var(self) -> &'static str {
        match self {
            Sh::Fish => "$status",
            _ => "$?",
        }
    }

    /// `echo` that no alias or function of the user's can take over.
    pub fn echo(self) -> &'static str {
        match self {
            Sh::Fish => "builtin echo",
            _ => "\\builtin echo",
        }
    }

    /// The rc-file line that loads awsesh, with extra `init` arguments.
    pub fn init_line(self, extra: &str) -> String {
        match self {
            Sh::Bash => format!("eval \"$('{BIN}' init bash{extra})\""),
            Sh::Zsh => format!("eval \"$('{BIN}' init zsh{extra})\""),
            Sh::Fish => format!("'{BIN}' init fish{extra} | source"),
        }
    }

    /// `export NAME=value` in this shell (value already quoted as needed).
    pub fn export(self, name: &str, value: &str) -> String {
        match self {
            Sh::Fish => format!("set -gx {name} {value}"),
            _ => format!("export {name}={value}"),
        }
    }
}

pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const PROMPT_END: &str = "[P]> ";

/// Writes the rc file for `sh` into the sandbox: `before` runs first (user
/// setup), then the init line `times` times, then `after`.
pub fn write_rc(sb: &Sandbox, sh: Sh, before: &str, times: usize, after: &str) -> PathBuf {
    let init = format!("{}\n", sh.init_line(""));
    let prompt = match sh {
        Sh::Bash => "PS1='[P]> '\n",
        Sh::Zsh => "PROMPT='[P]> '\nunsetopt prompt_sp\n",
        Sh::Fish => {
            "function fish_prompt\n    builtin printf '[P]> '\nend\nfunction fish_greeting\nend\n"
        }
    };
    // ptyprocess starts the terminal without echo; a real one has it.
    let text = format!(
        "stty echo\n{prompt}{before}\n{}{after}\n",
        init.repeat(times)
    );
    let (dir, file) = match sh {
        Sh::Bash => (sb.path("rc-bash"), ".bashrc"),
        Sh::Zsh => (sb.path("rc-zsh"), ".zshrc"),
        Sh::Fish => (sb.path("rc-fish"), "config.fish"),
    };
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    fs::write(&path, text).unwrap();
    path
}

/// The command line that starts `sh` interactively with the rc file `rc`.
pub fn shell_command(sb: &Sandbox, sh: Sh, rc: &Path, env: &[(&str, &str)]) -> Command {
    shell_command_under(sb, sh, rc, env, &[])
}

/// Like `shell_command`, run under `prefix` (e.g. strace and its options).
pub fn shell_command_under(
    sb: &Sandbox,
    sh: Sh,
    rc: &Path,
    env: &[(&str, &str)],
    prefix: &[&str],
) -> Command {
    let mut args: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
    match sh {
        Sh::Bash => {
            args.extend(["bash", "--noprofile", "--rcfile"].map(String::from));
            args.push(rc.display().to_string());
            args.push("-i".into());
        }
        // -d: no /etc/zsh files; ZDOTDIR: our .zshrc.
        Sh::Zsh => args.extend(["zsh", "-d", "-i"].map(String::from)),
        Sh::Fish => {
            args.extend(["fish", "--no-config", "-i", "-C"].map(String::from));
            args.push(format!("source '{}'", rc.display()));
        }
    }
    let mut cmd = Command::new(&args[0]);
    cmd.args(&args[1..]);
    cmd.env_clear().envs(sb.env()).current_dir(&sb.home);
    // The AWS CLI's help goes through a pager otherwise.
    cmd.env("PAGER", "cat")
        .env("MANPAGER", "cat")
        .env("AWS_PAGER", "");
    if sh == Sh::Zsh {
        cmd.env("ZDOTDIR", rc.parent().unwrap());
    }
    if sh == Sh::Fish {
        // fish keeps its history and universal variables here.
        cmd.env("XDG_CONFIG_HOME", sb.path("xdg-config"));
        cmd.env("XDG_DATA_HOME", sb.path("xdg-data"));
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Kills every process of the terminal session `sid` (the pty's session
/// leader is the process spawned on it), whatever process group it is in.
pub fn kill_session(sid: i32) {
    let Ok(entries) = fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name: state ppid pgrp session …
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let session = after.split_whitespace().nth(3);
        if session.and_then(|s| s.parse::<i32>().ok()) == Some(sid) {
            // SAFETY: a plain signal to a process of our own test's session.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

pub struct Term {
    pub sh: Sh,
    session: expectrl::session::OsSession,
    pid: i32,
    /// Everything read so far, and how much of it the expectations consumed.
    pub text: String,
    pub seen: usize,
    marks: usize,
    /// How much of `text` was searched for cursor-position requests.
    cpr_scanned: usize,
}

impl Drop for Term {
    fn drop(&mut self) {
        kill_session(self.pid);
    }
}

impl Term {
    /// A login-less interactive shell whose rc file is `rc`.
    pub fn start(sb: &Sandbox, sh: Sh, rc: &Path, env: &[(&str, &str)]) -> Term {
        Term::spawn(sh, shell_command(sb, sh, rc, env))
    }

    /// A shell started by `cmd` (see `shell_command_under`); waits for its
    /// first prompt.
    pub fn spawn(sh: Sh, cmd: Command) -> Term {
        let session = expectrl::Session::spawn(cmd).expect("spawn shell on a pty");
        let pid = session.get_process().pid().as_raw();
        let mut term = Term {
            sh,
            session,
            pid,
            text: String::new(),
            seen: 0,
            marks: 0,
            cpr_scanned: 0,
        };
        term.expect(PROMPT_END);
        term
    }

    /// Reads what the terminal has, waiting up to `wait` for something.
    /// Returns false once the terminal is closed (every process gone).
    fn pump(&mut self, wait: Duration) -> bool {
        let fd = self.session.get_stream().as_raw_fd();
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready <= 0 {
            return true;
        }
        let mut buf = [0u8; 8192];
        // SAFETY: reading into a local buffer from the pty master we own.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            self.text
                .push_str(&String::from_utf8_lossy(&buf[..n as usize]));
            self.answer_cursor_position_requests();
            true
        } else {
            // EOF / EIO: the shell is gone; don't spin.
            std::thread::sleep(Duration::from_millis(20));
            false
        }
    }

    /// Answers each `ESC [6n` (where is the cursor?) as a real terminal
    /// does at once: prompt_toolkit (xonsh) otherwise waits out a timeout
    /// at every prompt, and lines typed meanwhile can be lost.
    fn answer_cursor_position_requests(&mut self) {
        const CPR: &str = "\x1b[6n";
        let from = self.cpr_scanned.min(self.text.len());
        let Some(unscanned) = self.text.get(from..) else {
            return;
        };
        let asked = unscanned.matches(CPR).count();
        // A request split between two reads is found with the next one.
        self.cpr_scanned = self.text.len().saturating_sub(CPR.len() - 1);
        while !self.text.is_char_boundary(self.cpr_scanned) {
            self.cpr_scanned -= 1;
        }
        if let Some(last) = unscanned.rfind(CPR) {
            self.cpr_scanned = self.cpr_scanned.max(from + last + CPR.len());
        }
        for _ in 0..asked {
            self.send(b"\x1b[1;1R");
        }
    }

    /// Waits for `needle` after what was consumed; returns the text up to and
    /// including it, and consumes it. `None` on timeout.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.text[self.seen..].find(needle) {
                let end = self.seen + i + needle.len();
                let got = self.text[self.seen..end].to_string();
                self.seen = end;
                return Some(got);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            self.pump(deadline - now);
        }
    }

    /// Kills the session and fails the test with what was expected and seen.
    pub fn fail(&mut self, expected: &str) -> ! {
        kill_session(self.pid);
        // What arrived before the kill.
        self.pump(Duration::from_millis(50));
        panic!(
            "{}: expected {expected}; seen since the last match:\n{}",
            self.sh.name(),
            &self.text[self.seen..]
        );
    }

    pub fn expect(&mut self, needle: &str) -> String {
        self.expect_within(needle, TIMEOUT)
    }

    pub fn expect_within(&mut self, needle: &str, timeout: Duration) -> String {
        match self.wait_for(needle, timeout) {
            Some(text) => text,
            None => self.fail(&format!("{needle:?} within {timeout:?}")),
        }
    }

    /// Whether `needle` appears in the output within `timeout` (without consuming).
    pub fn shows_within(&mut self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.text[self.seen..].contains(needle) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            self.pump(deadline - now);
        }
    }

    /// Everything that arrives within `wait` after what was consumed,
    /// consumed (for a shell that redraws its prompt after showing it).
    pub fn take_for(&mut self, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            self.pump(deadline - Instant::now());
        }
        let got = self.text[self.seen..].to_string();
        self.seen = self.text.len();
        got
    }

    /// Reads until the terminal closes (the shell exited), within `timeout`.
    pub fn wait_closed(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.pump(deadline - Instant::now()) {
                return;
            }
        }
        self.fail(&format!("the shell to exit within {timeout:?}"));
    }

    pub fn send_line(&mut self, line: &str) {
        self.session.send_line(line).unwrap();
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.session.write_all(bytes).unwrap();
        self.session.flush().unwrap();
    }

    /// Types `cmd` followed by a marker; no waiting.
    pub fn type_cmd(&mut self, cmd: &str) -> usize {
        self.marks += 1;
        let n = self.marks;
        let status = self.sh.status_var();
        // `"@@n""-$?@@"`: the echoed line never contains `@@n-`.
        let marker = format!("{} \"@@{n}\"\"-{status}@@\"", self.sh.echo());
        if cmd.is_empty() {
            self.send_line(&marker);
        } else {
            self.send_line(&format!("{cmd}; {marker}"));
        }
        n
    }

    /// Waits for the marker `n`; returns (status, output before it, the next prompt).
    pub fn finish(&mut self, n: usize) -> (i32, String, String) {
        let marker = format!("@@{n}-");
        let out = self.expect(&marker);
        let out = out.strip_suffix(&marker).unwrap_or(&out).to_string();
        let rest = self.expect("@@");
        let status: i32 = match rest.trim_end_matches("@@").parse() {
            Ok(status) => status,
            Err(_) => self.fail(&format!("a status after the marker, not {rest:?}")),
        };
        let prompt = self.expect(PROMPT_END);
        // The prompt line as drawn last (fish redraws it).
        let prompt = prompt.rsplit(['\n', '\r']).next().unwrap_or("").to_string();
        (status, out, prompt)
    }

    /// Runs `cmd`; returns (its exit status, its output, the next prompt line).
    pub fn run(&mut self, cmd: &str) -> (i32, String, String) {
        let n = self.type_cmd(cmd);
        self.finish(n)
    }

    /// Presses Enter on an empty line; returns the next prompt line.
    pub fn enter(&mut self) -> String {
        self.send_line("");
        let prompt = self.expect(PROMPT_END);
        prompt.rsplit(['\n', '\r']).next().unwrap_or("").to_string()
    }

    /// Prints `$NAME` (empty when unset) between brackets and returns it.
    pub fn var(&mut self, name: &str) -> String {
        // `<` and `>` appear in the output only, not in the echoed line.
        let printf = match self.sh {
            Sh::Fish => "builtin printf",
            _ => "\\builtin printf",
        };
        let (_, out, _) = self.run(&format!("{printf} '\\x3c%s\\x3e\\n' \"${name}\""));
        let Some(open) = out.rfind('<').map(|i| i + 1) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        let Some(close) = out[open..].find('>').map(|i| i + open) else {
            self.fail(&format!("${name} printed between < and >"));
        };
        out[open..close].to_string()
    }

    /// The exported environment a child process sees, as NAME=value lines.
    pub fn env(&mut self) -> String {
        let line = match self.sh {
            Sh::Fish => "command env | command sort",
            _ => "\\builtin command env | \\builtin command sort",
        };
        let (_, out, _) = self.run(line);
        out
    }

    /// `NAME=value` from `env()` output, or None when NAME is not exported.
    pub fn env_value(env: &str, name: &str) -> Option<String> {
        env.lines()
            .map(|l| l.trim_end_matches('\r'))
            .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_string))
    }
}

/// A prompt that starts with the segment of a fresh 12-hour session.
pub fn assert_about_12h(prompt: &str) {
    assert!(
        prompt.starts_with("aws:12h00m [P]> ") || prompt.starts_with("aws:11h5"),
        "prompt {prompt:?} does not show about 12h"
    );
}
