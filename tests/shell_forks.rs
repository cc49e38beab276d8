//! "No fork per prompt" and "no fork in the wrapper with a fresh session",
//! counted: real bash, zsh and fish on a pseudo-terminal under strace
//! (`-f -e trace=clone,clone3,fork,vfork,execve`). Each case runs two
//! sessions that differ only in what is counted (more prompts; the wrapped
//! command instead of the command itself) and compares the processes they
//! created. Counting, not timing.

mod support;
#[path = "support/term.rs"]
mod term;

use std::fs;
use std::path::Path;
use std::time::Duration;

use support::{Moto, Sandbox};
use term::{Sh, Term, shell_command_under, write_rc};

fn setup(sh: Sh) -> Option<&'static Moto> {
    term::setup(sh, &["strace"])
}

/// The processes a traced session created, and the programs they ran.
#[derive(Debug, Default)]
struct Trace {
    created: usize,
    programs: Vec<String>,
}

impl Trace {
    fn read(path: &Path) -> Trace {
        let text = fs::read_to_string(path).unwrap_or_default();
        let mut trace = Trace::default();
        for line in text.lines() {
            // `PID  syscall(…` ; a `<... resumed>` line is the second half
            // of one already counted.
            let body = line
                .trim_start()
                .split_once(char::is_whitespace)
                .map(|(_, rest)| rest.trim_start())
                .unwrap_or("");
            let creates = ["clone(", "clone3(", "fork(", "vfork("]
                .iter()
                .any(|call| body.starts_with(call));
            if creates && !body.contains("CLONE_THREAD") {
                trace.created += 1;
            }
            if let Some(args) = body.strip_prefix("execve(\"") {
                let program = args.split('"').next().unwrap_or("");
                let name = program.rsplit('/').next().unwrap_or(program);
                trace.programs.push(name.to_string());
            }
        }
        trace
    }

    fn runs(&self, program: &str) -> usize {
        self.programs.iter().filter(|p| *p == program).count()
    }
}

/// Runs a traced session of `sh`: its first prompt, then each of `lines`
/// (waiting for the prompt after each), then `exit`. Returns what it forked.
fn traced_session(
    sb: &Sandbox,
    sh: Sh,
    rc: &Path,
    env: &[(&str, &str)],
    lines: &[String],
) -> Trace {
    let trace = sb.path(&format!("trace-{}", support::unique_name("s")));
    let trace_arg = trace.display().to_string();
    let prefix = [
        "strace",
        "-f",
        "-qq",
        "-o",
        &trace_arg,
        "-e",
        "trace=clone,clone3,fork,vfork,execve",
    ];
    let mut t = Term::spawn(sh, shell_command_under(sb, sh, rc, env, &prefix));
    for line in lines {
        t.send_line(line);
        t.expect(term::PROMPT_END);
    }
    t.send_line("exit");
    t.wait_closed(Duration::from_secs(30));
    Trace::read(&trace)
}

/// Prompts in steady state (a fresh session held; no session at all; an
/// expired one, its keys already dropped): 20 more prompts, no more processes.
fn no_fork_per_prompt(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    for state in ["fresh", "none", "expired"] {
        let sb = Sandbox::new(moto);
        if state != "none" {
            let (code, _, err) = sb.run(&["login", "--token-code", "400001"]);
            assert_eq!(code, 0, "{err}");
        }
        if state == "expired" {
            expire_now(&sb);
        }
        let rc = write_rc(&sb, sh, "", 1, "");
        let one = traced_session(&sb, sh, &rc, &[], &[String::new()]);
        let many = traced_session(&sb, sh, &rc, &[], &vec![String::new(); 21]);
        assert!(
            one.runs("awsesh") >= 1,
            "{}: the hook never synced, nothing was measured: {one:?}",
            sh.name()
        );
        assert_eq!(
            many.created,
            one.created,
            "{} ({state}): 20 more prompts forked {} more times; programs: {:?} vs {:?}",
            sh.name(),
            many.created as i64 - one.created as i64,
            many.programs,
            one.programs
        );
    }
}

/// Rewrites the default profile's session so that it expired a minute ago.
fn expire_now(sb: &Sandbox) {
    use std::os::unix::fs::PermissionsExt;
    use time::format_description::well_known::Rfc3339;
    let path = sb.store_dir().join("p-default.session");
    let text = fs::read_to_string(&path).unwrap();
    let json = text.split_once('\n').unwrap().1.trim_end();
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        - time::Duration::seconds(60);
    v["expiration"] = at.format(&Rfc3339).unwrap().into();
    let tmp = path.with_extension("tmp-test");
    fs::write(&tmp, format!("{}\n{v}\n", at.unix_timestamp())).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, &path).unwrap();
}

/// The wrapper around `true` with a fresh session, 10 calls, against the
/// command itself 10 times: the same processes (none in bash, where
/// `command true` is a builtin; the command's own in zsh and fish).
fn no_fork_in_the_wrapper_with_a_fresh_session(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let (code, _, err) = sb.run(&["login", "--token-code", "400011"]);
    assert_eq!(code, 0, "{err}");
    let rc = write_rc(&sb, sh, "", 0, &sh.init_line(" --cmd true"));
    let direct = match sh {
        Sh::Fish => "command true sts get-caller-identity",
        _ => "\\builtin command true sts get-caller-identity",
    };
    let direct = traced_session(&sb, sh, &rc, &[], &vec![direct.to_string(); 10]);
    let wrapped = vec!["true sts get-caller-identity".to_string(); 10];
    let through = traced_session(&sb, sh, &rc, &[], &wrapped);
    assert_eq!(
        through.created,
        direct.created,
        "{}: the wrapper forked {} more times in 10 calls; programs: {:?} vs {:?}",
        sh.name(),
        through.created as i64 - direct.created as i64,
        through.programs,
        direct.programs
    );
    assert_eq!(
        through.runs("awsesh"),
        direct.runs("awsesh"),
        "{}: {:?}",
        sh.name(),
        through.programs
    );
    // Margins the shell reads itself keep the fresh path fork-free.
    for margin in ["10m", "1h30m"] {
        let env = [("AWSESH_REFRESH_MARGIN", margin)];
        let read = traced_session(&sb, sh, &rc, &env, &wrapped);
        assert_eq!(
            (read.created, read.runs("awsesh")),
            (direct.created, direct.runs("awsesh")),
            "{}: margin {margin}: {:?}",
            sh.name(),
            read.programs
        );
    }
    // And a margin the shell cannot read goes through `awsesh env --ensure`
    // every time (which decides, and refuses what it cannot use).
    let odd = traced_session(
        &sb,
        sh,
        &rc,
        &[("AWSESH_REFRESH_MARGIN", "5 min")],
        &wrapped,
    );
    assert_eq!(
        odd.runs("awsesh"),
        direct.runs("awsesh") + 10,
        "{}: {:?}",
        sh.name(),
        odd.programs
    );
}

term::per_shell! {
    no_fork_per_prompt: [Bash, Zsh, Fish];
    no_fork_in_the_wrapper_with_a_fresh_session: [Bash, Zsh, Fish];
}
