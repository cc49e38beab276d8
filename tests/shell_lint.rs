//! The init scripts are clean: every rendered script loads without a word on
//! stderr under `bash -euo pipefail`, `zsh -eu` and `fish --no-config`
//! (non-interactive: it defines nothing; interactive: the hook runs);
//! shellcheck passes on the bash script; fish_indent leaves the fish script
//! as it is. Plus the prompt segment's format, straight from the shell
//! functions, with no session store involved.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{BIN, Sandbox};

/// A sandbox with no moto behind it: awsesh finds no session there.
fn offline() -> Sandbox {
    Sandbox::empty(
        "http://127.0.0.1:9",
        "AKIAAAAAAAAAAAAAAAAA",
        "arn:aws:iam::1:mfa/u",
    )
}

struct Variant {
    cmd: &'static str,
    prompt: bool,
    margin: &'static str,
}

const VARIANTS: [Variant; 3] = [
    Variant {
        cmd: "aws",
        prompt: true,
        margin: "300",
    },
    Variant {
        cmd: "my-aws_2",
        prompt: false,
        margin: "0",
    },
    Variant {
        cmd: "_aws",
        prompt: true,
        margin: "86400",
    },
];

/// A copy of the binary under a path that needs quoting, so the rendered
/// scripts carry a quoted path (argv0 is what `init` embeds).
fn odd_binary(sb: &Sandbox) -> PathBuf {
    let dir = sb.path("it's a $(dir) `x`");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("awsesh");
    std::os::unix::fs::symlink(BIN, &path).unwrap();
    path
}

/// Renders `awsesh init SHELL` for a variant into a file in the sandbox.
fn render(sb: &Sandbox, exe: &Path, shell: &str, v: &Variant) -> PathBuf {
    let mut args = vec!["init", shell, "--cmd", v.cmd];
    if !v.prompt {
        args.push("--no-prompt");
    }
    let out = Command::new(exe)
        .args(&args)
        .env_clear()
        .envs(sb.env())
        .env("AWSESH_REFRESH_MARGIN", v.margin)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init {shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for placeholder in ["@AWSESH@", "@CMD@", "@PROMPT@"] {
        assert!(
            !text.contains(placeholder),
            "{placeholder} left in the {shell} script"
        );
    }
    let path = sb.path(&format!("init-{shell}-{}", v.cmd));
    fs::write(&path, text).unwrap();
    path
}

fn run(sb: &Sandbox, program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .env_clear()
        .envs(sb.env())
        .current_dir(&sb.home)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Drops what an interactive shell without a terminal says about job control.
fn real_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| !l.contains("job control") && !l.contains("terminal process group"))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn have(program: &str) -> bool {
    if support::which(program).is_some() {
        return true;
    }
    support::missing(program);
    false
}

#[test]
fn bash_scripts_run_clean_under_strict_mode() {
    if !have("bash") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    for v in &VARIANTS {
        let script = render(&sb, &exe, "bash", v);
        let script = script.to_str().unwrap();
        // Non-interactive: loads cleanly, defines nothing.
        let body = format!(
            "source \"$1\"; source \"$1\"; \
             for f in _awsesh_hook {} awsesh; do if declare -F \"$f\" >/dev/null; then echo defined; fi; done; \
             echo \"pc=${{PROMPT_COMMAND-}}\"; echo done",
            v.cmd
        );
        let (code, out, err) = run(
            &sb,
            "bash",
            &["--norc", "-euo", "pipefail", "-c", &body, "x", script],
        );
        assert_eq!((code, err.as_str()), (0, ""), "{}: {out}", v.cmd);
        assert_eq!(
            out, "pc=\ndone\n",
            "non-interactive bash was touched ({})",
            v.cmd
        );
        // Interactive, string and array PROMPT_COMMAND: loads twice, the hook
        // runs (no session: awsesh is asked, nothing shown) and keeps $?.
        for pc in [
            "PROMPT_COMMAND='echo -n'",
            "PROMPT_COMMAND=(true)",
            "unset PROMPT_COMMAND",
        ] {
            let body = format!(
                "{pc}; PS1='$ '; source \"$1\"; source \"$1\"; \
                 declare -F {cmd} awsesh _awsesh_hook >/dev/null; \
                 declare -p PROMPT_COMMAND; \
                 set +e; (exit 5); _awsesh_hook; echo \"status=$?\"; set -e; \
                 _awsesh_hook; echo \"seg=[$AWSESH_PROMPT_SEGMENT] ps1=[$PS1]\"",
                cmd = v.cmd
            );
            let (code, out, err) = run(
                &sb,
                "bash",
                &["--norc", "-i", "-euo", "pipefail", "-c", &body, "x", script],
            );
            let errors = real_errors(&err);
            assert!(
                code == 0 && errors.is_empty(),
                "{pc} / {}: {code} {errors:?}\n{out}",
                v.cmd
            );
            assert!(out.contains("status=5\n"), "hook lost $?: {out}");
            assert!(out.contains("seg=[] ps1=[$ ]\n"), "{out}");
            assert_eq!(
                out.matches("_awsesh_hook").count(),
                1,
                "hook registered twice: {out}"
            );
        }
    }
}

#[test]
fn zsh_scripts_run_clean_under_strict_mode() {
    if !have("zsh") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    for v in &VARIANTS {
        let script = render(&sb, &exe, "zsh", v);
        let script = script.to_str().unwrap();
        let body = format!(
            "source \"$1\"; source \"$1\"; \
             if (( ${{+functions[_awsesh_hook]}} + ${{+functions[{}]}} + ${{+functions[awsesh]}} )); then echo defined; fi; \
             echo \"hooks=${{precmd_functions-}}\"; echo done",
            v.cmd
        );
        let (code, out, err) = run(&sb, "zsh", &["-f", "-eu", "-c", &body, "x", script]);
        assert_eq!((code, err.as_str()), (0, ""), "{}: {out}", v.cmd);
        assert_eq!(
            out, "hooks=\ndone\n",
            "non-interactive zsh was touched ({})",
            v.cmd
        );
        for opts in ["true", "setopt ksh_arrays", "setopt prompt_subst"] {
            let body = format!(
                "{opts}; PROMPT='%# '; source \"$1\"; source \"$1\"; \
                 (( ${{+functions[{cmd}]}} && ${{+functions[awsesh]}} )); \
                 echo \"hooks=${{(M)precmd_functions:#_awsesh_hook}}\"; \
                 _awsesh_hook; echo \"seg=[$AWSESH_PROMPT_SEGMENT] ps1=[$PROMPT]\"",
                cmd = v.cmd
            );
            let (code, out, err) = run(&sb, "zsh", &["-f", "-i", "-eu", "-c", &body, "x", script]);
            assert!(
                code == 0 && real_errors(&err).is_empty(),
                "{opts} / {}: {err}\n{out}",
                v.cmd
            );
            assert!(out.contains("hooks=_awsesh_hook\n"), "{out}");
            assert!(out.contains("seg=[] ps1=[%# ]\n"), "{out}");
        }
    }
}

#[test]
fn fish_scripts_run_clean() {
    if !have("fish") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    for v in &VARIANTS {
        let script = render(&sb, &exe, "fish", v);
        let script = script.to_str().unwrap();
        let body = format!(
            "source {script:?}; functions -q _awsesh_hook {cmd} awsesh; and echo defined; echo done",
            cmd = v.cmd
        );
        let (code, out, err) = run(&sb, "fish", &["--no-config", "-c", &body]);
        assert_eq!((code, err.as_str()), (0, ""), "{}: {out}", v.cmd);
        assert_eq!(
            out, "done\n",
            "non-interactive fish was touched ({})",
            v.cmd
        );
        let body = format!(
            "source {script:?}; source {script:?}; functions -q _awsesh_hook {cmd} awsesh; or echo missing; \
             echo hooks=(functions --handlers-type generic | string match '*_awsesh_hook*' | count); \
             emit fish_prompt; echo seg=[$AWSESH_PROMPT_SEGMENT]",
            cmd = v.cmd
        );
        let (code, out, err) = run(&sb, "fish", &["--no-config", "-i", "-c", &body]);
        assert!(
            code == 0 && real_errors(&err).is_empty(),
            "{}: {err}\n{out}",
            v.cmd
        );
        assert!(!out.contains("missing"), "{out}");
        assert!(out.contains("hooks=1\n"), "{out}");
        assert!(out.contains("seg=[]\n"), "{out}");
    }
}

#[test]
fn shellcheck_passes_on_the_bash_script() {
    if !have("shellcheck") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    let raw = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/awsesh.bash");
    let mut files = vec![raw.to_string()];
    for v in &VARIANTS {
        files.push(render(&sb, &exe, "bash", v).display().to_string());
    }
    for file in files {
        let out = Command::new("shellcheck")
            .args(["--shell=bash", "--severity=style", &file])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "shellcheck {file}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn fish_indent_leaves_the_fish_script_unchanged() {
    if !have("fish_indent") {
        return;
    }
    let raw = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/awsesh.fish");
    let out = Command::new("fish_indent").arg(raw).output().unwrap();
    assert!(out.status.success());
    let text = fs::read_to_string(raw).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == text,
        "fish_indent would change shell/awsesh.fish; run `fish_indent -w shell/awsesh.fish`"
    );
}

/// The segment and the prompt, in steady state: `_AWSESH_EXP` matches the
/// stamp file, so the hook asks awsesh nothing and only formats.
fn steady_state_body(shell: &str, left: i64, profile: &str, stamp: &Path) -> String {
    let stamp = stamp.display();
    match shell {
        "bash" | "zsh" => format!(
            "PS1='base> '; PROMPT='base> '; source \"$1\"; \
             now=$(date +%s); exp=$((now + {left})); echo \"$exp\" > '{stamp}'; \
             export AWS_PROFILE='{profile}' AWSESH_PROFILE='{profile}'; \
             _AWSESH_EXP=$exp; _AWSESH_FOR='{profile}'; _AWSESH_STAMP='{stamp}'; \
             _awsesh_hook; _awsesh_hook; \
             echo \"seg=[$AWSESH_PROMPT_SEGMENT]\"; echo \"ps1=[${{ZSH_VERSION+$PROMPT}}${{BASH_VERSION+$PS1}}]\""
        ),
        _ => format!(
            "function fish_prompt; printf 'base> '; end; source $argv[1]; \
             set -l exp (math (date +%s) + {left}); echo $exp > '{stamp}'; \
             set -gx AWS_PROFILE '{profile}'; set -gx AWSESH_PROFILE '{profile}'; \
             set -g _AWSESH_EXP $exp; set -g _AWSESH_FOR '{profile}'; set -g _AWSESH_STAMP '{stamp}'; \
             emit fish_prompt; emit fish_prompt; \
             echo \"seg=[$AWSESH_PROMPT_SEGMENT]\"; echo \"ps1=[\"(fish_prompt)\"]\""
        ),
    }
}

#[test]
fn segment_format_and_prompt_prefix_in_every_shell() {
    let sb = offline();
    let stamp = sb.path("stamp");
    // (seconds left, profile, segment); bash's and zsh's profile is `export`ed.
    let cases: [(i64, &str, &str); 7] = [
        (11 * 3600 + 5 * 60 + 30, "default", "aws:11h05m"),
        (12 * 3600 + 30, "default", "aws:12h00m"),
        (42 * 60 + 30, "prod", "aws:prod 42m"),
        (90, "default", "aws:1m"),
        (30, "default", "aws:<1m"),
        (-5, "default", "aws:expired"),
        (3600 + 90, "we$i'r\\d", "aws:we?i?r?d 1h01m"),
    ];
    for shell in ["bash", "zsh", "fish"] {
        if !have(shell) {
            continue;
        }
        for prompt in [true, false] {
            let v = Variant {
                cmd: "aws",
                prompt,
                margin: "300",
            };
            let script = render(&sb, Path::new(BIN), shell, &v);
            for (left, profile, want) in cases {
                let profile_lit = match shell {
                    "fish" => profile.replace('\\', "\\\\").replace('\'', "\\'"),
                    _ => profile.replace('\'', "'\\''"),
                };
                let body = steady_state_body(shell, left, &profile_lit, &stamp);
                let script = script.to_str().unwrap();
                let (code, out, err) = match shell {
                    "bash" => run(&sb, "bash", &["--norc", "-i", "-c", &body, "x", script]),
                    "zsh" => run(&sb, "zsh", &["-f", "-i", "-c", &body, "x", script]),
                    _ => run(&sb, "fish", &["--no-config", "-i", "-c", &body, script]),
                };
                assert!(
                    code == 0 && real_errors(&err).is_empty(),
                    "{shell}: {err}\n{out}"
                );
                assert!(
                    out.contains(&format!("seg=[{want}]\n")),
                    "{shell} {left} {profile}: {out}"
                );
                let ps1 = if prompt {
                    format!("ps1=[{want} base> ]")
                } else {
                    "ps1=[base> ]".to_string()
                };
                assert!(out.contains(&ps1), "{shell} prompt={prompt} {left}: {out}");
            }
        }
    }
}

/// starship draws its own prompt (and reads AWS_CREDENTIAL_EXPIRATION): the
/// prompt is left alone, the variable is still set.
#[test]
fn starship_prompt_is_left_alone() {
    let sb = offline();
    let stamp = sb.path("stamp");
    for shell in ["bash", "zsh", "fish"] {
        if !have(shell) {
            continue;
        }
        let v = Variant {
            cmd: "aws",
            prompt: true,
            margin: "300",
        };
        let script = render(&sb, Path::new(BIN), shell, &v);
        let script = script.to_str().unwrap();
        let body = steady_state_body(shell, 42 * 60 + 30, "default", &stamp);
        let mut cmd = Command::new(shell);
        match shell {
            "bash" => cmd.args(["--norc", "-i", "-c", &body, "x", script]),
            "zsh" => cmd.args(["-f", "-i", "-c", &body, "x", script]),
            _ => cmd.args(["--no-config", "-i", "-c", &body, script]),
        };
        let out = cmd
            .env_clear()
            .envs(sb.env())
            .env("STARSHIP_SHELL", shell)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        assert!(out.contains("seg=[aws:42m]\n"), "{shell}: {out}");
        assert!(out.contains("ps1=[base> ]"), "{shell}: {out}");
    }
}

/// The bash script parses in zsh and the zsh script in bash: a shell
/// evaluating the other's script must get as far as its first line, which
/// says which line to use instead.
#[test]
fn bash_and_zsh_scripts_parse_in_each_other() {
    if !have("bash") || !have("zsh") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    for v in &VARIANTS {
        for (script, parser) in [("bash", "zsh"), ("zsh", "bash")] {
            let file = render(&sb, &exe, script, v);
            let out = Command::new(parser).arg("-n").arg(&file).output().unwrap();
            assert!(
                out.status.success(),
                "{parser} cannot parse the {script} script ({}): {}",
                v.cmd,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// fish without `path` (before 3.5) reads the clock from `date`: slower,
/// same segment.
#[test]
fn fish_without_path_falls_back_to_date() {
    if !have("fish") {
        return;
    }
    let sb = offline();
    let stamp = sb.path("stamp");
    let v = Variant {
        cmd: "aws",
        prompt: true,
        margin: "300",
    };
    let script = render(&sb, Path::new(BIN), "fish", &v);
    let body = steady_state_body("fish", 42 * 60 + 30, "default", &stamp).replacen(
        "source $argv[1];",
        "source $argv[1]; set -g _awsesh_clock;",
        1,
    );
    assert!(body.contains("set -g _awsesh_clock;"));
    let (code, out, err) = run(
        &sb,
        "fish",
        &["--no-config", "-i", "-c", &body, script.to_str().unwrap()],
    );
    assert!(code == 0 && real_errors(&err).is_empty(), "{err}\n{out}");
    assert!(out.contains("seg=[aws:42m]\n"), "{out}");
}

/// `fish --no-execute` parses the fish script, raw and rendered, without a
/// word.
#[test]
fn fish_parses_the_fish_script() {
    if !have("fish") {
        return;
    }
    let sb = offline();
    let exe = odd_binary(&sb);
    let raw = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/awsesh.fish");
    let mut files = vec![PathBuf::from(raw)];
    for v in &VARIANTS {
        files.push(render(&sb, &exe, "fish", v));
    }
    for file in files {
        let out = Command::new("fish")
            .arg("--no-execute")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "fish --no-execute {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
