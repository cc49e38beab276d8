//! The init scripts: real, lintable files under `shell/` with placeholders
//! (`@AWSESH@`, `@CMD@`, `@PROMPT@`) filled in here. The refresh margin is
//! not one of them: the scripts read `AWSESH_REFRESH_MARGIN` when it changes.

use super::Shell;
use crate::shell::quote;

const BASH: &str = include_str!("../../shell/awsesh.bash");
const ZSH: &str = include_str!("../../shell/awsesh.zsh");
const FISH: &str = include_str!("../../shell/awsesh.fish");
const POSIX: &str = include_str!("../../shell/awsesh.sh");
const TCSH: &str = include_str!("../../shell/awsesh.tcsh");
const XONSH: &str = include_str!("../../shell/awsesh.xsh");
const ELVISH: &str = include_str!("../../shell/awsesh.elv");

/// What `awsesh init elvish` prints around the script, which it holds as one
/// quoted string: evaluated with `&ns=(ns [&])`, the script sees none of the
/// user's definitions (a `fn echo` in rc.elv does not reach it), and it is
/// compiled only where the line editor exists (an interactive shell): the
/// line in a script run by `elvish file.elv` does nothing.
const ELVISH_LOADER: &str = "\
# awsesh shell integration for elvish. Load it from ~/.config/elvish/rc.elv with:
#     eval (awsesh init elvish | slurp)
try { eval &ns=(ns [&]) 'nop $edit:before-readline' } catch _ { } else {
  eval &ns=(ns [&]) @SCRIPT@
}
";
const NUSHELL: &str = include_str!("../../shell/awsesh.nu");

pub struct InitOptions {
    /// How the script calls the binary: a bare name found on PATH, or a path.
    /// Not quoted; `render` quotes it for the shell.
    pub exe: String,
    /// Name of the wrapper function (already checked against
    /// `^[A-Za-z_][A-Za-z0-9_-]*$` by the caller).
    pub cmd: String,
    /// Whether the segment goes into the prompt.
    pub prompt: bool,
}

fn template(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
        Shell::Posix => POSIX,
        Shell::Tcsh => TCSH,
        Shell::Xonsh => XONSH,
        Shell::Elvish => ELVISH,
        Shell::Nushell => NUSHELL,
    }
}

/// How the script calls us: the name as typed when it came from PATH (so an
/// upgrade that moves the binary keeps working), else the path as given made
/// absolute — never a resolved symlink target.
pub fn self_path() -> String {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let argv0 = std::path::PathBuf::from(argv0);
    if argv0.components().count() == 1 && !argv0.as_os_str().is_empty() {
        return argv0.to_string_lossy().into_owned();
    }
    if argv0.is_absolute() {
        return argv0.to_string_lossy().into_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) if !argv0.as_os_str().is_empty() => cwd.join(argv0).to_string_lossy().into_owned(),
        _ => std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "awsesh".to_string()),
    }
}

/// The init script for `shell`, ready to be evaluated.
pub fn render(shell: Shell, opts: &InitOptions) -> String {
    debug_assert!(valid_cmd(&opts.cmd), "unchecked --cmd {:?}", opts.cmd);
    let text = if shell == Shell::Tcsh {
        // `eval "`awsesh init tcsh`"` reads the output as one line: a
        // comment would swallow the rest of it.
        template(shell)
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    } else {
        template(shell).to_string()
    };
    let script = text
        .replace("@AWSESH@", &quote::for_shell(shell, &opts.exe))
        .replace("@CMD@", &opts.cmd)
        .replace("@PROMPT@", if opts.prompt { "1" } else { "0" });
    if shell == Shell::Elvish {
        return ELVISH_LOADER.replace("@SCRIPT@", &quote::elvish(&script));
    }
    script
}

/// The line that loads the integration in `shell`, and the file it goes in.
pub fn init_line(shell: Shell) -> (&'static str, &'static str) {
    match shell {
        Shell::Bash => ("eval \"$(awsesh init bash)\"", "~/.bashrc"),
        Shell::Zsh => ("eval \"$(awsesh init zsh)\"", "~/.zshrc"),
        Shell::Fish => ("awsesh init fish | source", "~/.config/fish/config.fish"),
        Shell::Posix => ("eval \"$(awsesh init posix)\"", "the file $ENV names"),
        Shell::Tcsh => ("eval \"`awsesh init tcsh`\"", "~/.tcshrc"),
        Shell::Xonsh => (
            "execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')",
            "~/.xonshrc",
        ),
        Shell::Elvish => (
            "eval (awsesh init elvish | slurp)",
            "~/.config/elvish/rc.elv",
        ),
        // nushell cannot source a command's output: the script is saved to
        // a file first, which the line sources.
        Shell::Nushell => (
            "source ~/.awsesh.nu",
            "config.nu (`$nu.config-path`) after `awsesh init nushell | save -f ~/.awsesh.nu`",
        ),
    }
}

/// What a shell evaluating another shell's script is told, in one line (the
/// scripts of bash and zsh print the same words themselves).
pub fn wrong_shell_message(script: Shell, running: Shell) -> String {
    let (line, file) = init_line(running);
    format!(
        "awsesh: `awsesh init {}` is for {}, but this shell is {}: put `{line}` in {file} instead",
        name(script),
        name(script),
        name(running)
    )
}

pub fn name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Posix => "posix",
        Shell::Tcsh => "tcsh",
        Shell::Xonsh => "xonsh",
        Shell::Elvish => "elvish",
        Shell::Nushell => "nushell",
    }
}

/// The names `render` accepts for the wrapper function.
pub fn valid_cmd(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(exe: &str, cmd: &str, prompt: bool) -> InitOptions {
        InitOptions {
            exe: exe.into(),
            cmd: cmd.into(),
            prompt,
        }
    }

    const SHELLS: [Shell; 8] = [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Posix,
        Shell::Tcsh,
        Shell::Xonsh,
        Shell::Elvish,
        Shell::Nushell,
    ];

    #[test]
    fn every_placeholder_is_replaced() {
        for shell in SHELLS {
            let out = render(shell, &opts("awsesh", "aws", true));
            for placeholder in ["@AWSESH@", "@CMD@", "@PROMPT@"] {
                assert!(
                    template(shell).contains(placeholder),
                    "{shell:?} lacks {placeholder}"
                );
                assert!(!out.contains(placeholder), "{shell:?} kept {placeholder}");
            }
        }
    }

    #[test]
    fn binary_path_is_quoted_for_the_shell() {
        let exe = r"/opt/it's $(here)\bin/awsesh";
        let bash = render(Shell::Bash, &opts(exe, "aws", true));
        assert!(
            bash.contains(r"_awsesh_bin='/opt/it'\''s $(here)\bin/awsesh'"),
            "{bash}"
        );
        let zsh = render(Shell::Zsh, &opts(exe, "aws", true));
        assert!(zsh.contains(r"typeset -g _awsesh_bin='/opt/it'\''s $(here)\bin/awsesh'"));
        let fish = render(Shell::Fish, &opts(exe, "aws", true));
        assert!(
            fish.contains(r"set -g _awsesh_bin '/opt/it\'s $(here)\\bin/awsesh'"),
            "{fish}"
        );
        let posix = render(Shell::Posix, &opts(exe, "aws", true));
        assert!(
            posix.contains(r"_awsesh_bin='/opt/it'\''s $(here)\bin/awsesh'"),
            "{posix}"
        );
        let tcsh = render(Shell::Tcsh, &opts("/opt/a!b's", "aws", true));
        assert!(
            tcsh.contains(r"set _awsesh_bin = '/opt/a\!b'\''s';"),
            "{tcsh}"
        );
        assert!(!tcsh.contains('#'), "tcsh output keeps a comment:\n{tcsh}");
        let nu = render(Shell::Nushell, &opts("/opt/a\"b\\$(x)", "aws", true));
        assert!(
            nu.contains(r#"const _awsesh_bin = "/opt/a\"b\\$(x)""#),
            "{nu}"
        );
        assert!(
            tcsh.lines().all(|l| l.ends_with(';')),
            "a tcsh line without `;`:\n{tcsh}"
        );
        let xonsh = render(Shell::Xonsh, &opts(exe, "aws", true));
        assert!(
            xonsh.contains(r"_bin = '/opt/it\'s $(here)\\bin/awsesh'"),
            "{xonsh}"
        );
    }

    /// The script is one elvish string: the binary's path quoted inside it,
    /// then the whole text quoted again, so a `'` in the path is doubled twice.
    #[test]
    fn elvish_script_is_one_quoted_string() {
        let out = render(Shell::Elvish, &opts("/opt/it's $(x)/awsesh", "aws", true));
        assert!(
            out.contains("var bin = ''/opt/it''''s $(x)/awsesh''"),
            "{out}"
        );
        let body = out
            .split_once("eval &ns=(ns [&]) '")
            .and_then(|(_, rest)| rest.split_once("eval &ns=(ns [&]) '"))
            .map(|(_, rest)| rest.trim_end().strip_suffix("'\n}").unwrap_or(rest))
            .unwrap();
        // Inside the quoted script, every `'` comes in pairs.
        assert!(!body.replace("''", "").contains('\''), "{body}");
    }

    #[test]
    fn command_name_and_prompt_flag_are_filled_in() {
        let bash = render(Shell::Bash, &opts("awsesh", "aws2", false));
        assert!(bash.contains("_awsesh_cmd=aws2\n"));
        assert!(bash.contains("_awsesh_prompt=0\n"));
        let zsh = render(Shell::Zsh, &opts("awsesh", "aws2", true));
        assert!(zsh.contains("typeset -g _awsesh_cmd=aws2\n"));
        assert!(zsh.contains("typeset -g _awsesh_prompt=1\n"));
        let fish = render(Shell::Fish, &opts("awsesh", "my-aws", true));
        assert!(fish.contains("function my-aws --wraps my-aws "));
        let posix = render(Shell::Posix, &opts("awsesh", "aws2", false));
        assert!(posix.contains("_awsesh_cmd=aws2\n"));
        let xonsh = render(Shell::Xonsh, &opts("awsesh", "my-aws", false));
        assert!(xonsh.contains("_cmd = 'my-aws'\n"), "{xonsh}");
        assert!(xonsh.contains("_prompt = 0\n"), "{xonsh}");
        assert!(posix.contains("_awsesh_prompt=0\n"));
    }

    /// The bash and zsh scripts print the wrong-shell line themselves: the
    /// same words as the binary's.
    #[test]
    fn scripts_carry_the_wrong_shell_message() {
        let bash = render(Shell::Bash, &opts("awsesh", "aws", true));
        let zsh = render(Shell::Zsh, &opts("awsesh", "aws", true));
        let in_zsh = format!("'{}'", wrong_shell_message(Shell::Bash, Shell::Zsh));
        let in_bash = format!("'{}'", wrong_shell_message(Shell::Zsh, Shell::Bash));
        assert!(bash.contains(&in_zsh), "{in_zsh}");
        assert!(zsh.contains(&in_bash), "{in_bash}");
    }

    #[test]
    fn valid_cmd_names() {
        assert!(valid_cmd("aws"));
        assert!(valid_cmd("_aws-2"));
        assert!(!valid_cmd(""));
        assert!(!valid_cmd("2aws"));
        assert!(!valid_cmd("aws;id"));
        assert!(!valid_cmd("a b"));
    }
}
