//! Shell completion, asked of each shell's own completion machinery: bash's
//! readline on a pseudo-terminal (with and without bash-completion), zsh's
//! completion system on a pseudo-terminal (every match `compadd` is given is
//! recorded), fish's `complete -C`. For `awsesh` itself (completions installed
//! the way the README says) and for the `aws` wrapper of `awsesh init`, on top
//! of the AWS CLI's own completion. Plus: the checked-in scripts under
//! `completions/` are what `awsesh completions <shell>` prints today.

mod support;

use std::fs;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{BIN, Sandbox};

const TIMEOUT: Duration = Duration::from_secs(30);

fn check_current(shell: &str, file: &str) {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "awsesh completions {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = format!("{}/completions/{file}", env!("CARGO_MANIFEST_DIR"));
    let checked_in = fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == out.stdout,
        "completions/{file} is stale; regenerate it with:\n    \
         cargo run -q -- completions {shell} > completions/{file}"
    );
}

#[test]
fn bash_completions_are_current() {
    check_current("bash", "awsesh.bash");
}

#[test]
fn zsh_completions_are_current() {
    check_current("zsh", "_awsesh");
}

#[test]
fn fish_completions_are_current() {
    check_current("fish", "awsesh.fish");
}

#[test]
fn bash_completions_pass_shellcheck() {
    if !have("shellcheck") {
        return;
    }
    let out = Command::new("shellcheck")
        .args(["--shell=bash", "--severity=style", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(completions_text("bash").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "shellcheck: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A config file as people write it: comments after headers, `[default]` and
/// `[profile default]` (one profile), a role, an `[sso-session]` (not a
/// profile), a name with `:` (a word break for bash), a `[services]` block.
const CONFIG: &str = "\
# ~/.aws/config
[default]   # my own keys
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/alice

[profile default]
region = eu-west-1
output = json

[profile prod-admin] ; the admin role in prod
role_arn = arn:aws:iam::222222222222:role/Admin
source_profile = default

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile sso-dev]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = Dev

[profile team:ops]
region = us-east-1

[services local-moto]
sts =
  endpoint_url = http://127.0.0.1:5000
";

/// `ci-bot` is only here.
const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# a bot's keys, only in this file
[ci-bot]
aws_access_key_id = AKIAI44QH8DHBEXAMPLE
aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
";

const PROFILES: [&str; 5] = ["ci-bot", "default", "prod-admin", "sso-dev", "team:ops"];

fn sandbox() -> Sandbox {
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAIOSFODNN7EXAMPLE",
        "arn:aws:iam::111111111111:mfa/alice",
    );
    sb.write_config(CONFIG);
    sb.write_credentials(CREDENTIALS);
    sb
}

/// The sandbox's environment with the awsesh under test first on PATH, as
/// the completion scripts call it by name.
fn env(sb: &Sandbox) -> Vec<(String, String)> {
    let bin_dir = Path::new(BIN).parent().unwrap().display().to_string();
    sb.env()
        .into_iter()
        .map(|(k, v)| {
            if k == "PATH" {
                (k, format!("{bin_dir}:{v}"))
            } else {
                (k, v)
            }
        })
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn list_profiles(sb: &Sandbox, extra: &[(&str, &str)], remove: &[&str]) -> (i32, String, String) {
    let mut cmd = sb.awsesh(&["list-profiles"]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_profiles_merges_config_and_credentials_as_the_aws_tools_do() {
    let sb = sandbox();
    let (code, out, err) = list_profiles(&sb, &[], &[]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out.lines().collect::<Vec<_>>(), PROFILES);
    // botocore (the AWS CLI's parser) sees the same profiles.
    let python =
        "import botocore.session; print('\\n'.join(botocore.session.Session().available_profiles))";
    match Command::new("python3")
        .args(["-c", python])
        .env_clear()
        .envs(sb.env())
        .output()
    {
        Ok(o) if o.status.success() => {
            let mut theirs: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            theirs.sort();
            assert_eq!(theirs, strings(&PROFILES), "botocore disagrees");
        }
        _ => support::missing("python3 with botocore (pip install awscli)"),
    }
}

#[test]
fn list_profiles_reads_the_files_the_environment_names_else_home() {
    let sb = sandbox();
    let config = sb.path("elsewhere/config");
    let credentials = sb.path("elsewhere/credentials");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    fs::write(&config, "[profile from-env]\nregion = eu-west-1\n").unwrap();
    fs::write(&credentials, "[creds-from-env]\naws_access_key_id = A\n").unwrap();
    let (code, out, _) = list_profiles(
        &sb,
        &[
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ],
        &[],
    );
    assert_eq!((code, out.as_str()), (0, "creds-from-env\nfrom-env\n"));
    // Without the variables: ~/.aws/config and ~/.aws/credentials.
    let (code, out, _) = list_profiles(
        &sb,
        &[],
        &["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"],
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().collect::<Vec<_>>(), PROFILES);
}

#[test]
fn list_profiles_offers_only_names_a_shell_word_can_carry() {
    let sb = sandbox();
    sb.write_config(
        "[profile ok]\nregion = x\n[profile two words]\nregion = x\n\
         [profile bad\u{1b}[31m]\nregion = x\n[profile tab\there]\nregion = x\n",
    );
    sb.write_credentials("[new\rline]\naws_access_key_id = A\n");
    let (code, out, _) = list_profiles(&sb, &[], &[]);
    assert_eq!((code, out.as_str()), (0, "ok\n"));
}

#[test]
fn list_profiles_without_files_is_empty_and_a_broken_file_is_one_line() {
    let sb = sandbox();
    fs::remove_file(sb.config_path()).unwrap();
    fs::remove_file(sb.credentials_path()).unwrap();
    let (code, out, err) = list_profiles(&sb, &[], &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    sb.write_config("region = eu-west-1\n[default]\n");
    let err = support::one_line_error(&sb, &["list-profiles"], &["config", "line 1", "fix"]);
    assert!(
        err.contains(&sb.config_path().display().to_string()),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Shells on a pseudo-terminal.

/// A shell on a pty, and what it printed.
struct Pty {
    name: &'static str,
    session: expectrl::session::OsSession,
    text: String,
    seen: usize,
}

impl Pty {
    fn start(
        name: &'static str,
        mut cmd: Command,
        sb: &Sandbox,
        extra_env: &[(&str, &Path)],
        ready: &str,
    ) -> Pty {
        cmd.env_clear().envs(env(sb)).current_dir(&sb.home);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut session = expectrl::Session::spawn(cmd).expect("spawn a shell on a pty");
        session.set_expect_timeout(Some(TIMEOUT));
        let mut pty = Pty {
            name,
            session,
            text: String::new(),
            seen: 0,
        };
        pty.expect(ready);
        pty
    }

    fn pump(&mut self, wait: Duration) {
        let fd = self.session.get_stream().as_raw_fd();
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, ms) } <= 0 {
            return;
        }
        let mut buf = [0u8; 8192];
        // SAFETY: reading into a local buffer from the pty master we own.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            self.text
                .push_str(&String::from_utf8_lossy(&buf[..n as usize]));
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for `needle` after what was consumed; returns the text up to it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self.text[self.seen..].find(needle) {
                let got = self.text[self.seen..self.seen + i].to_string();
                self.seen += i + needle.len();
                return got;
            }
            let now = Instant::now();
            assert!(
                now < deadline,
                "{}: no {needle:?} within {TIMEOUT:?}; unconsumed output:\n{}",
                self.name,
                &self.text[self.seen..]
            );
            self.pump(deadline - now);
        }
    }

    fn send(&mut self, text: &str) {
        self.session.write_all(text.as_bytes()).unwrap();
        self.session.flush().unwrap();
    }
}

/// What one TAB did: the matches the shell offered, and the line after it.
#[derive(Debug)]
struct Completed {
    matches: Vec<String>,
    line: String,
}

impl Completed {
    /// The matches, else the word TAB inserted by itself (a single match).
    fn offered(&self) -> Vec<String> {
        if !self.matches.is_empty() {
            return self.matches.clone();
        }
        self.line
            .split_whitespace()
            .last()
            .map(|w| vec![w.to_string()])
            .unwrap_or_default()
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

// ---- bash ------------------------------------------------------------------

/// readline lists every match on its own line at the first TAB, and C-x C-l
/// prints the line between markers.
const BASH_RC_HEAD: &str = r#"PS1='[P]> '
bind 'set completion-display-width 0'
bind 'set show-all-if-ambiguous on'
bind 'set completion-query-items 0'
bind 'set page-completions off'
bind 'set bell-style none'
_t_line() { printf '\n@@LINE<%s>@@\n' "$READLINE_LINE"; }
bind -x '"\C-x\C-l": _t_line'
"#;

struct Bash(Pty);

impl Bash {
    fn start(sb: &Sandbox, rc_body: &str) -> Bash {
        let rc = sb.path("bashrc");
        fs::write(&rc, format!("stty echo\n{BASH_RC_HEAD}{rc_body}\n")).unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg("--noprofile").arg("--rcfile").arg(&rc).arg("-i");
        let mut bash = Bash(Pty::start("bash", cmd, sb, &[], "[P]> "));
        bash.sync();
        bash
    }

    /// An empty line's marker: everything before it is consumed.
    fn sync(&mut self) {
        self.0.send("\x15\x18\x0c");
        self.0.expect("@@LINE<>@@");
    }

    /// Types `typed`, presses TAB once; returns what it offered.
    fn complete(&mut self, typed: &str) -> Completed {
        self.0.send(&format!("{typed}\t\x18\x0c"));
        let before = self.0.expect("@@LINE<");
        let line = self.0.expect(">@@");
        // The prompt and what was typed, a listing (one match a line) if
        // TAB made one, the prompt drawn again.
        let matches = before
            .split('\n')
            .map(|l| l.trim_matches(['\r', ' ']))
            .filter(|l| !l.is_empty() && !l.starts_with("[P]> "))
            .map(str::to_string)
            .collect();
        self.sync();
        Completed { matches, line }
    }
}

fn have(program: &str) -> bool {
    if support::which(program).is_some() {
        return true;
    }
    support::missing(program);
    false
}

const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

/// What the AWS CLI ships for bash (`aws_bash_completer`).
const AWS_BASH_COMPLETER: &str = "complete -C aws_completer aws\n";

fn have_bash_completion() -> bool {
    if Path::new(BASH_COMPLETION).is_file() {
        return true;
    }
    support::missing("bash-completion (apt install bash-completion)");
    false
}

/// The completions of `awsesh` as `awsesh completions <shell>` prints them.
fn completions_text(shell: &str) -> String {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn init_line(shell: &str, extra: &str) -> String {
    match shell {
        "fish" => format!("awsesh init fish{extra} | source\n"),
        _ => format!("eval \"$(awsesh init {shell}{extra})\"\n"),
    }
}

/// The cases every shell must get right for `awsesh` itself.
fn check_awsesh(shell: &str, mut complete: impl FnMut(&str) -> Completed) {
    let all = strings(&PROFILES);
    for typed in [
        "awsesh login --profile ",
        "awsesh status -p ",
        "awsesh exec --profile ",
    ] {
        let got = complete(typed);
        assert_eq!(sorted(got.offered()), all, "{shell}: {typed:?} → {got:?}");
    }
    let got = complete("awsesh login --profile=");
    let offered: Vec<String> = got
        .offered()
        .into_iter()
        .map(|m| m.trim_start_matches("--profile=").to_string())
        .collect();
    assert_eq!(sorted(offered), all, "{shell}: --profile= → {got:?}");
    for (typed, line) in [
        (
            "awsesh login --profile p",
            "awsesh login --profile prod-admin ",
        ),
        ("awsesh env -p ci", "awsesh env -p ci-bot "),
        (
            "awsesh login --profile=team:",
            "awsesh login --profile=team:ops ",
        ),
        (
            "awsesh credential-process --profile te",
            "awsesh credential-process --profile team:ops ",
        ),
    ] {
        let got = complete(typed);
        assert_eq!(got.line, line, "{shell}: {typed:?} → {got:?}");
    }
    // Subcommands, without the hidden ones.
    let got = complete("awsesh l");
    assert_eq!(
        sorted(got.offered()),
        strings(&["login", "logout"]),
        "{shell}: {got:?}"
    );
}

/// The cases every shell must get right for the wrapped `aws`, whose own
/// completion must still answer everything but profile names.
fn check_aws(shell: &str, sb: &Sandbox, mut complete: impl FnMut(&str) -> Completed) {
    let all = strings(&PROFILES);
    for typed in ["aws --profile ", "aws s3 ls --profile "] {
        let got = complete(typed);
        assert_eq!(sorted(got.offered()), all, "{shell}: {typed:?} → {got:?}");
    }
    for (typed, line) in [
        ("aws --profile p", "aws --profile prod-admin "),
        (
            "aws sts get-caller-identity --profile=c",
            "aws sts get-caller-identity --profile=ci-bot ",
        ),
        ("aws --profile team:", "aws --profile team:ops "),
    ] {
        let got = complete(typed);
        assert_eq!(got.line, line, "{shell}: {typed:?} → {got:?}");
    }
    // The AWS CLI's own completion, through the wrapper.
    let got = complete("aws st");
    let offered = sorted(got.offered().iter().map(|m| m.trim().to_string()).collect());
    assert!(
        offered.contains(&"sts".to_string()) && offered.contains(&"storagegateway".to_string()),
        "{shell}: the AWS CLI's completion is gone: {got:?}"
    );
    assert!(
        !offered.iter().any(|m| all.contains(m)),
        "{shell}: profile names outside --profile: {got:?}"
    );
    // Read at each TAB: a profile added after the shell started is offered.
    sb.append_config("\n[profile added-later]\nregion = eu-west-1\n");
    let got = complete("aws --profile added");
    assert_eq!(got.line, "aws --profile added-later ", "{shell}: {got:?}");
    sb.write_config(CONFIG);
}

#[test]
fn bash_completes_profiles_for_awsesh_and_the_aws_wrapper() {
    if !have("bash") || !have("aws_completer") {
        return;
    }
    let sb = sandbox();
    let completions = sb.path("awsesh.bash");
    fs::write(&completions, completions_text("bash")).unwrap();
    // As the README says: the AWS CLI's completion, awsesh's, then the hook.
    let rc = format!(
        "{AWS_BASH_COMPLETER}source '{}'\n{}",
        completions.display(),
        init_line("bash", "")
    );
    let mut bash = Bash::start(&sb, &rc);
    check_awsesh("bash", |t| bash.complete(t));
    check_aws("bash", &sb, |t| bash.complete(t));
}

/// bash-completion loads completions on demand, from files: awsesh's from
/// the user's completions directory, the AWS CLI's only at its first TAB.
#[test]
fn bash_completion_loads_awsesh_and_aws_completions_on_demand() {
    if !have("bash") || !have("aws_completer") || !have_bash_completion() {
        return;
    }
    let sb = sandbox();
    let dir = sb.path("xdg-data/bash-completion/completions");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("awsesh"), completions_text("bash")).unwrap();
    fs::write(dir.join("aws"), AWS_BASH_COMPLETER).unwrap();
    let xdg = sb.path("xdg-data");
    let rc = format!(
        "export XDG_DATA_HOME='{}'\nsource {BASH_COMPLETION}\n{}",
        xdg.display(),
        init_line("bash", "")
    );
    let mut bash = Bash::start(&sb, &rc);
    check_awsesh("bash", |t| bash.complete(t));
    check_aws("bash", &sb, |t| bash.complete(t));
}

/// `--cmd NAME`: NAME's own completion (here a word list) keeps working.
#[test]
fn bash_wrapper_under_another_name_keeps_its_word_list() {
    if !have("bash") {
        return;
    }
    let sb = sandbox();
    let rc = format!(
        "complete -W 'alpha beta' my-aws\n{}",
        init_line("bash", " --cmd my-aws")
    );
    let mut bash = Bash::start(&sb, &rc);
    let got = bash.complete("my-aws al");
    assert_eq!(got.line, "my-aws alpha ", "{got:?}");
    let got = bash.complete("my-aws --profile ");
    assert_eq!(sorted(got.offered()), strings(&PROFILES), "{got:?}");
    // A command with no completion of its own still completes file names.
    let rc = init_line("bash", " --cmd no-comp");
    fs::write(sb.home.join("some-file.txt"), "").unwrap();
    let mut bash = Bash::start(&sb, &rc);
    let got = bash.complete("no-comp some-f");
    assert_eq!(got.line, "no-comp some-file.txt ", "{got:?}");
}

// ---- zsh -------------------------------------------------------------------

/// Records every match the completion system adds (zsh's `compadd` with
/// `-O`: the words that match what is on the line), and the line on C-x C-l.
const ZSH_CAPTURE: &str = r#"
compadd() {
    # A query (-O, -A, -D) by the completion functions themselves: as is.
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return
    fi
    local -a _t_hits
    builtin compadd -O _t_hits "$@"
    (( ${#_t_hits} )) && print -rl -- "${IPREFIX}"${^_t_hits} >>"$_t_file"
    builtin compadd "$@"
}
_t_line() { print -r -- "@@LINE<$BUFFER>@@" >>"$_t_file"; }
zle -N _t_line
bindkey '^X^L' _t_line
"#;

struct Zsh {
    pty: Pty,
    file: PathBuf,
}

impl Zsh {
    fn start(sb: &Sandbox, rc_body: &str) -> Zsh {
        let dir = sb.path("zdotdir");
        fs::create_dir_all(&dir).unwrap();
        let file = sb.path("zsh-matches");
        let rc = format!(
            "stty echo\nPROMPT='[P]> '\nunsetopt prompt_sp\ntypeset -g _t_file='{}'\n{ZSH_CAPTURE}{rc_body}\n",
            file.display()
        );
        fs::write(dir.join(".zshrc"), rc).unwrap();
        let mut cmd = Command::new("zsh");
        cmd.args(["-d", "-i"]);
        let pty = Pty::start("zsh", cmd, sb, &[("ZDOTDIR", &dir)], "[P]> ");
        Zsh { pty, file }
    }

    fn read_until_line(&mut self) -> (Vec<String>, String) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let text = fs::read_to_string(&self.file).unwrap_or_default();
            if let Some(start) = text.find("@@LINE<")
                && let Some(len) = text[start..].find(">@@\n")
            {
                let line = text[start + 7..start + len].to_string();
                let matches = text[..start].lines().map(str::to_string).collect();
                return (matches, line);
            }
            assert!(
                Instant::now() < deadline,
                "zsh: no line marker within {TIMEOUT:?}; recorded:\n{text}\nterminal:\n{}",
                self.pty.text
            );
            self.pty.pump(Duration::from_millis(50));
        }
    }

    fn complete(&mut self, typed: &str) -> Completed {
        fs::write(&self.file, "").unwrap();
        self.pty.send(&format!("{typed}\t\x18\x0c"));
        let (matches, line) = self.read_until_line();
        // Clear the line, and wait until zsh did.
        fs::write(&self.file, "").unwrap();
        self.pty.send("\x15\x18\x0c");
        let (_, empty) = self.read_until_line();
        assert_eq!(empty, "", "zsh: the line was not cleared");
        Completed { matches, line }
    }
}

#[test]
fn zsh_completes_profiles_for_awsesh_and_the_aws_wrapper() {
    if !have("zsh") || !have("aws_completer") {
        return;
    }
    let sb = sandbox();
    let fpath = sb.path("zfunc");
    fs::create_dir_all(&fpath).unwrap();
    fs::write(fpath.join("_awsesh"), completions_text("zsh")).unwrap();
    // awsesh's line first, compinit and the AWS CLI's completion (through
    // bashcompinit, as aws_zsh_completer.sh does) after: the order must not matter.
    let rc = format!(
        "{}fpath=('{}' $fpath)\nautoload -Uz compinit && compinit -u -d '{}'\n\
         autoload -Uz bashcompinit && bashcompinit\ncomplete -C aws_completer aws\n",
        init_line("zsh", ""),
        fpath.display(),
        sb.path("zcompdump").display()
    );
    let mut zsh = Zsh::start(&sb, &rc);
    check_awsesh("zsh", |t| zsh.complete(t));
    check_aws("zsh", &sb, |t| zsh.complete(t));
}

/// zsh's own completion function for the wrapped command (here `_my_aws`,
/// found in $fpath by compinit) keeps answering; init after compinit.
#[test]
fn zsh_wrapper_keeps_a_completion_function_from_fpath() {
    if !have("zsh") {
        return;
    }
    let sb = sandbox();
    let fpath = sb.path("zfunc");
    fs::create_dir_all(&fpath).unwrap();
    fs::write(
        fpath.join("_my_aws"),
        "#compdef my-aws\ncompadd alpha beta\n",
    )
    .unwrap();
    let rc = format!(
        "fpath=('{}' $fpath)\nautoload -Uz compinit && compinit -u -d '{}'\n{}",
        fpath.display(),
        sb.path("zcompdump").display(),
        init_line("zsh", " --cmd my-aws")
    );
    let mut zsh = Zsh::start(&sb, &rc);
    let got = zsh.complete("my-aws al");
    assert_eq!(got.line, "my-aws alpha ", "{got:?}");
    let got = zsh.complete("my-aws --profile ");
    assert_eq!(sorted(got.offered()), strings(&PROFILES), "{got:?}");
    let got = zsh.complete("my-aws --profile=");
    assert_eq!(
        sorted(got.offered()),
        PROFILES
            .iter()
            .map(|p| format!("--profile={p}"))
            .collect::<Vec<_>>(),
        "{got:?}"
    );
}

// ---- fish ------------------------------------------------------------------

/// fish's `complete -C LINE` in an interactive fish whose config loads
/// awsesh's hook and completions the way the README says.
fn fish_complete(sb: &Sandbox, line: &str) -> Completed {
    let config = sb.path("xdg-config/fish");
    let out = run_with_deadline(
        Command::new("fish")
            .args(["-i", "-c", &format!("complete -C {}", fish_quote(line))])
            .env_clear()
            .envs(env(sb))
            .env("XDG_CONFIG_HOME", config.parent().unwrap())
            .env("XDG_DATA_HOME", sb.path("xdg-data"))
            .current_dir(&sb.home),
    );
    let matches: Vec<String> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    // Like TAB: a single match replaces the token at the cursor.
    let line = match matches.as_slice() {
        [only] => {
            let head = line.rsplit_once(' ').map(|(h, _)| h).unwrap_or("");
            format!("{head} {only} ")
        }
        _ => line.to_string(),
    };
    Completed { matches, line }
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn run_with_deadline(cmd: &mut Command) -> String {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.is_empty(), "{cmd:?}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn fish_completes_profiles_for_awsesh_and_the_aws_wrapper() {
    if !have("fish") {
        return;
    }
    if !Path::new("/usr/share/fish/completions/aws.fish").is_file() {
        support::missing("fish's own completions for aws (the fish package)");
        return;
    }
    let sb = sandbox();
    let dir = sb.path("xdg-config/fish/completions");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("awsesh.fish"), completions_text("fish")).unwrap();
    fs::write(
        sb.path("xdg-config/fish/config.fish"),
        init_line("fish", ""),
    )
    .unwrap();
    check_awsesh("fish", |t| fish_complete(&sb, t));
    check_aws("fish", &sb, |t| fish_complete(&sb, t));
}
