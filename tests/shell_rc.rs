//! The init scripts in users' real rc files, in bash, zsh and fish on a
//! pseudo-terminal, with the real AWS CLI against moto: an rc file full of
//! hostile aliases and functions; commands that need no session wherever the
//! subcommand stands among the CLI's global options; the wrong shell's init
//! line; `awsesh doctor` seeing what the shell really has; and
//! AWS_DEFAULT_PROFILE disagreeing with AWS_PROFILE.

mod support;
#[path = "support/term.rs"]
mod term;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use support::{BIN, Moto, Sandbox};
use term::{PROMPT_END, Sh, Term, write_rc};

fn setup(sh: Sh) -> Option<&'static Moto> {
    term::setup(sh, &["aws"])
}

const AWS: &str = "aws sts get-caller-identity --output json";

/// Every builtin the scripts use (and a few more), aliased and redefined as
/// functions that print HIJACKED. Before the init line (`after` false) also
/// the wrapped command itself; `eval` only after it, since the init line is
/// the user's own `eval`.
fn hostile(sh: Sh, after: bool) -> String {
    let mut names: Vec<&str> = match sh {
        Sh::Bash => vec![
            "local", "export", "unset", "return", "shift", "read", "printf", "command", "set",
            "source", "test", "type", "declare", "typeset", "unalias", "echo", "trap", "alias",
        ],
        Sh::Zsh => vec![
            "local", "export", "unset", "return", "shift", "read", "printf", "command", "set",
            "source", "test", "typeset", "unalias", "echo", "emulate", "zmodload", "print",
            "whence", "trap", "setopt", "unsetopt", "autoload", "alias",
        ],
        Sh::Fish => vec![
            "printf",
            "math",
            "functions",
            "count",
            "path",
            "contains",
            "type",
            "echo",
            "emit",
            "date",
            "env",
            "alias",
        ],
    };
    // The init line itself is `eval "$(…)"` (fish: `… | source`).
    if after {
        names.push(if sh == Sh::Fish { "source" } else { "eval" });
    }
    let mut rc = String::new();
    match sh {
        Sh::Bash | Sh::Zsh => {
            if !after {
                rc.push_str("\\builtin alias aws='echo HIJACKED-alias-aws'\n");
            }
            rc.push_str("\\builtin alias builtin='echo HIJACKED-alias-builtin'\n");
            // Functions first: `alias` itself is taken over last.
            for n in &names {
                rc.push_str(&format!(
                    "function {n} {{ \\builtin echo HIJACKED-function-{n}; }}\n"
                ));
            }
            for n in &names {
                rc.push_str(&format!(
                    "\\builtin alias {n}='\\builtin echo HIJACKED-alias-{n}'\n"
                ));
            }
        }
        Sh::Fish => {
            if !after {
                rc.push_str("function aws\n    builtin echo HIJACKED-function-aws\nend\n");
            }
            for n in &names {
                rc.push_str(&format!(
                    "function {n}\n    builtin echo HIJACKED-function-{n}\nend\n"
                ));
            }
        }
    }
    rc
}

/// An rc file that takes over every builtin before (and after) the init
/// line: the wrapper still prompts and runs, the prompt still shows the
/// segment, one-shot profiles stay one-shot, logout still unsets; nothing
/// hijacked ever runs.
fn hostile_rc_file(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    let (code, _, err) = sb.run(&["login", "--profile", "other", "--token-code", "300001"]);
    assert_eq!(code, 0, "{err}");
    let rc = write_rc(&sb, sh, &hostile(sh, false), 1, &hostile(sh, true));
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let first_prompt = t.seen;
    let n = t.type_cmd(AWS);
    t.expect("MFA code");
    t.send_line("300002");
    let (status, out, prompt) = t.finish(n);
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert!(out.contains("\"Arn\""), "{}:\n{out}", sh.name());
    assert!(prompt.starts_with("aws:1"), "{}: {prompt:?}", sh.name());
    let expiry = t.var("AWS_CREDENTIAL_EXPIRATION");
    let env_line = match sh {
        Sh::Fish => "command env | command sort",
        _ => "\\builtin command env | \\builtin command sort",
    };
    let (status, out, prompt) = t.run(&format!("AWS_PROFILE=other {AWS} && {env_line}"));
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert!(out.contains("\"Arn\""), "{}:\n{out}", sh.name());
    assert_eq!(
        Term::env_value(&out, "AWSESH_PROFILE").as_deref(),
        Some("default"),
        "{}:\n{out}",
        sh.name()
    );
    assert_eq!(
        Term::env_value(&out, "AWS_CREDENTIAL_EXPIRATION"),
        Some(expiry),
        "{}:\n{out}",
        sh.name()
    );
    assert!(prompt.starts_with("aws:1"), "{}: {prompt:?}", sh.name());
    let (status, out, prompt) = t.run("awsesh logout");
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert_eq!(prompt, PROMPT_END, "{}", sh.name());
    assert_eq!(t.var("AWS_ACCESS_KEY_ID"), "", "{}", sh.name());
    assert_eq!(moto.session_token_calls(&sb), 2);
    // The shell's own lines show the takeover is real.
    let (_, out, _) = t.run(match sh {
        Sh::Fish => "printf x",
        _ => "unset",
    });
    assert!(
        out.contains("HIJACKED"),
        "{}: rc file not hostile:\n{out}",
        sh.name()
    );
    // From the first prompt on (fish's own start-up calls `source`, which
    // the rc file took over). The line just typed echoes no HIJACKED; its
    // output holds one.
    let since_start = &t.text[first_prompt..];
    assert_eq!(
        since_start.matches("HIJACKED").count(),
        1,
        "{}: something hijacked ran:\n{since_start}",
        sh.name()
    );
}

/// The real AWS CLI, with no keys at all: `configure`, `help`, `… help`,
/// `--version` wherever the subcommand stands among global options run as
/// typed, with no MFA prompt and no STS call.
fn commands_needing_no_session_run_as_typed(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    // The AWS CLI renders `help` with groff (or mandoc).
    if support::which("groff").is_none() && support::which("mandoc").is_none() {
        support::missing("groff (apt: groff-base), for `aws … help`");
        return;
    }
    let sb = Sandbox::new(moto);
    sb.write_credentials("");
    sb.append_config("[profile x]\nregion = eu-central-1\n");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    for (cmd, want) in [
        ("aws --profile x configure list", "eu-central-1"),
        ("aws --profile new configure set region eu-west-2", ""),
        ("aws --region eu-west-1 configure get region", ""),
        (
            "aws --output json --profile x configure get region",
            "eu-central-1",
        ),
        ("aws --debug --version", "aws-cli/"),
        ("aws s3 --version", "aws-cli/"),
        ("aws s3 help", "s3"),
        (
            "aws --region us-east-1 sts get-caller-identity help",
            "get-caller-identity",
        ),
        ("aws help", "aws"),
    ] {
        let (status, out, _) = t.run(cmd);
        assert_eq!(status, 0, "{}: {cmd}:\n{out}", sh.name());
        assert!(
            out.contains(want),
            "{}: {cmd}: {want:?} in:\n{out}",
            sh.name()
        );
        assert!(
            !out.contains("MFA code") && !out.contains("awsesh:"),
            "{}: {cmd}:\n{out}",
            sh.name()
        );
    }
    let config = fs::read_to_string(sb.config_path()).unwrap();
    assert!(
        config.contains("[profile new]") && config.contains("eu-west-2"),
        "{}: configure set did not run: {config}",
        sh.name()
    );
    assert_eq!(moto.session_token_calls(&sb), 0);
}

/// Where the subcommand stands, against a probe in place of `aws` and no
/// keys: what needs no session runs as typed (arguments untouched); the rest
/// goes to awsesh, which says there are no keys, and the probe never runs.
fn pass_through_finds_the_subcommand_among_global_options(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.write_credentials("");
    let bin = sb.path("probe-bin");
    fs::create_dir_all(&bin).unwrap();
    let probe = bin.join("awsprobe");
    fs::write(&probe, "#!/bin/sh\nprintf 'ran: %s\\n' \"$*\"\n").unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).unwrap();
    let rc = write_rc(&sb, sh, "", 0, &sh.init_line(" --cmd awsprobe"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut t = Term::start(&sb, sh, &rc, &[("PATH", &path)]);
    let passes = [
        "configure list",
        "--profile x configure list",
        "--profile=x configure set region eu-west-1",
        "--region eu-west-1 configure get region",
        "--endpoint-url http://127.0.0.1:9 --debug configure list",
        "--no-cli-pager --output text configure list",
        "--query Arn --color off configure list",
        "--cli-read-timeout 5 --cli-connect-timeout 5 configure list",
        "--ca-bundle /x.pem --cli-binary-format raw-in-base64-out configure list",
        "help",
        "--output json help",
        "help topics",
        "s3 help",
        "s3 ls help",
        "--profile x ec2 describe-instances help",
        "--version",
        "--profile x --version",
        "s3 ls --version",
        "sso login --profile x",
        "--region eu-west-1 sso login",
        "login",
        "--profile x logout",
        "--profile",
    ];
    for args in passes {
        let (_, out, _) = t.run(&format!("awsprobe {args}"));
        assert!(
            out.contains(&format!("ran: {args}\r")) || out.contains(&format!("ran: {args}\n")),
            "{}: `{args}` not run as typed:\n{out}",
            sh.name()
        );
        assert!(!out.contains("awsesh:"), "{}: {args}:\n{out}", sh.name());
    }
    // A value of a global option is not the subcommand.
    let needs_session = [
        "s3 ls",
        "--region configure s3 ls",
        "--output help sts get-caller-identity",
        "--profile x s3 ls",
        "--query sso sts get-caller-identity",
    ];
    for args in needs_session {
        let (status, out, _) = t.run(&format!("awsprobe {args}"));
        assert_ne!(status, 0, "{}: {args}:\n{out}", sh.name());
        assert!(
            out.contains("awsesh:"),
            "{}: `{args}` passed through:\n{out}",
            sh.name()
        );
        assert!(!out.contains("ran:"), "{}: `{args}` ran:\n{out}", sh.name());
    }
    assert_eq!(moto.session_token_calls(&sb), 0);
}

/// What a shell has defined from awsesh (functions, hooks, aliases), each
/// on a line of its own starting with `DEF:`.
fn awsesh_definitions(t: &mut Term) -> String {
    let line = match t.sh {
        Sh::Bash => {
            "{ \\builtin declare -F; \\builtin printf '%s\\n' \"$PROMPT_COMMAND\"; } | \\builtin command sed -n 's/.*awsesh.*/DEF:&/p'; \\builtin alias | \\builtin command sed 's/^/DEF:/'"
        }
        Sh::Zsh => {
            "\\builtin print -rl -- ${(k)functions} ${precmd_functions} ${(k)aliases} | \\builtin command sed -n 's/.*awsesh.*/DEF:&/p'"
        }
        Sh::Fish => "builtin functions -a | string match '*awsesh*' | string replace -r '^' DEF:",
    };
    let (_, out, _) = t.run(line);
    out.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("DEF:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Another shell's init line prints one line naming the right one, and
/// defines nothing: piped straight from `awsesh init` (all pairs), or the
/// bash and zsh scripts sourced from a file.
fn wrong_shells_init_line(sh: Sh) {
    if support::which(sh.name()).is_none() {
        support::missing(sh.name());
        return;
    }
    let sb = Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    );
    let rc = write_rc(&sb, sh, "", 0, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let mut lines: Vec<(String, Sh)> = Sh::ALL
        .iter()
        .filter(|&&o| o != sh)
        .map(|&o| (o.init_line(""), o))
        .collect();
    for other in [Sh::Bash, Sh::Zsh] {
        if sh != Sh::Fish && other != sh {
            let file = sb.path(&format!("init.{}", other.name()));
            let out = std::process::Command::new(BIN)
                .args(["init", other.name()])
                .env_clear()
                .envs(sb.env())
                .output()
                .unwrap();
            fs::write(&file, out.stdout).unwrap();
            lines.push((format!("source '{}'", file.display()), other));
        }
    }
    for (line, other) in lines {
        let (_, out, prompt) = t.run(&line);
        let want = format!(
            "awsesh: `awsesh init {o}` is for {o}, but this shell is {s}: put `",
            o = other.name(),
            s = sh.name()
        );
        assert_eq!(
            out.matches("awsesh:").count(),
            1,
            "{}: `{line}`: one line:\n{out}",
            sh.name()
        );
        assert!(out.contains(&want), "{}: `{line}`:\n{out}", sh.name());
        let right = match sh {
            Sh::Bash => "`eval \"$(awsesh init bash)\"` in ~/.bashrc instead",
            Sh::Zsh => "`eval \"$(awsesh init zsh)\"` in ~/.zshrc instead",
            Sh::Fish => "`awsesh init fish | source` in ~/.config/fish/config.fish instead",
        };
        assert!(out.contains(right), "{}: `{line}`:\n{out}", sh.name());
        for noise in ["error", "not found", "parse", "unknown", "Unsupported"] {
            assert!(!out.contains(noise), "{}: `{line}`:\n{out}", sh.name());
        }
        assert_eq!(prompt, PROMPT_END, "{}", sh.name());
        let defined = awsesh_definitions(&mut t);
        assert_eq!(defined, "", "{}: `{line}` defined:\n{defined}", sh.name());
    }
}

/// `awsesh doctor` from the shell: the hook registered and `aws` the
/// wrapper; then the hook dropped by a later PROMPT_COMMAND= (precmd_functions=,
/// functions -e), then `aws` shadowed: each reported with a fix.
fn doctor_sees_what_the_shell_has(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (status, out, _) = t.run("awsesh doctor");
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    for want in [
        format!("ok    shell hook active ({})", sh.name()),
        "ok    prompt hook registered".to_string(),
        "ok    `aws` runs the awsesh wrapper".to_string(),
    ] {
        assert!(out.contains(&want), "{}: {want:?} in:\n{out}", sh.name());
    }
    let drop_hook = match sh {
        Sh::Bash => "PROMPT_COMMAND='echo -n'",
        Sh::Zsh => "precmd_functions=()",
        Sh::Fish => "functions -e _awsesh_hook",
    };
    t.run(drop_hook);
    let (status, out, _) = t.run("awsesh doctor");
    assert_eq!(status, 1, "{}:\n{out}", sh.name());
    assert!(
        out.contains("FAIL  the prompt hook is no longer") && out.contains("— fix: "),
        "{}:\n{out}",
        sh.name()
    );
    let shadow = match sh {
        Sh::Fish => "function aws; echo mine; end",
        _ => "alias aws='echo mine'",
    };
    t.run(shadow);
    let (status, out, _) = t.run("awsesh doctor");
    assert_eq!(status, 1, "{}:\n{out}", sh.name());
    let want = match sh {
        Sh::Fish => "FAIL  `aws` is another shell function, not the awsesh wrapper — fix: ",
        _ => "FAIL  `aws` is an alias, so the awsesh wrapper never runs — fix: ",
    };
    assert!(out.contains(want), "{}:\n{out}", sh.name());
}

/// botocore prefers AWS_DEFAULT_PROFILE: when it disagrees with the profile
/// awsesh uses, the wrapper says so on its first run (once), and doctor too.
fn default_profile_disagreement_is_told_once(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    sb.add_other_profile();
    let (code, _, err) = sb.run(&["login", "--token-code", "300011"]);
    assert_eq!(code, 0, "{err}");
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[]);
    let (_, out, _) = t.run(AWS);
    assert!(
        !out.contains("AWS_DEFAULT_PROFILE"),
        "{}:\n{out}",
        sh.name()
    );
    t.run(&sh.export("AWS_DEFAULT_PROFILE", "other"));
    let note = "awsesh: AWS_DEFAULT_PROFILE is other but awsesh uses AWS_PROFILE (default)";
    let (status, out, _) = t.run(AWS);
    assert_eq!(status, 0, "{}:\n{out}", sh.name());
    assert_eq!(out.matches(note).count(), 1, "{}:\n{out}", sh.name());
    let (_, out, _) = t.run(AWS);
    assert!(!out.contains(note), "{}: told twice:\n{out}", sh.name());
    let (status, out, _) = t.run("awsesh doctor");
    assert_eq!(status, 1, "{}:\n{out}", sh.name());
    assert!(
        out.contains("FAIL  AWS_DEFAULT_PROFILE is other but awsesh uses AWS_PROFILE (default)"),
        "{}:\n{out}",
        sh.name()
    );
    // Agreeing: nothing to say.
    t.run(&sh.export("AWS_PROFILE", "other"));
    let (_, out, _) = t.run(AWS.replace("aws ", "aws --profile default ").as_str());
    assert!(
        !out.contains("AWS_DEFAULT_PROFILE"),
        "{}:\n{out}",
        sh.name()
    );
}

term::per_shell! {
    hostile_rc_file: [Bash, Zsh, Fish];
    commands_needing_no_session_run_as_typed: [Bash, Zsh, Fish];
    pass_through_finds_the_subcommand_among_global_options: [Bash, Zsh, Fish];
    wrong_shells_init_line: [Bash, Zsh, Fish];
    doctor_sees_what_the_shell_has: [Bash, Zsh, Fish];
    default_profile_disagreement_is_told_once: [Bash, Zsh, Fish];
}
