//! Whether an rc file already loads awsesh for a shell — what `setup` asks
//! before it offers the line. Only a line that the shell runs when it starts
//! counts: uncommented, at the top level of the file (not inside an `if`, a
//! loop, a `case` or a function body), and the init line of that very shell
//! (`awsesh` by name or by path, with or without `init` options). The zsh
//! line in `.bashrc`, `echo 'eval "$(awsesh init bash)"'` or a line inside
//! `if false; then … fi` do not. A look-alike that does load awsesh (inside
//! an `if` that is true) is not counted either: then setup offers the line
//! again, and loading it twice changes nothing.

use super::Shell;

pub fn loads_awsesh(shell: Shell, text: &str) -> bool {
    let mut depth: i64 = 0;
    for raw in text.lines() {
        let line = without_comment(raw.trim());
        if line.is_empty() {
            continue;
        }
        if shell == Shell::Xonsh {
            // Python: a block is its indented lines, so the top level is
            // an unindented line.
            if !raw.starts_with(char::is_whitespace) && is_init_line(shell, line) {
                return true;
            }
            continue;
        }
        if depth == 0 && is_init_line(shell, line) {
            return true;
        }
        depth = (depth + nesting(shell, line)).max(0);
    }
    false
}

/// The line without a trailing ` # comment` (a `#` after a blank, outside
/// quotes), trimmed; empty for a comment line.
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_blank = true;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && prev_blank => return line[..i].trim_end(),
            None => {}
        }
        prev_blank = c.is_whitespace();
    }
    line
}

/// How much deeper the blocks are after `line`: openers minus closers among
/// the first words of its `;`-separated commands.
fn nesting(shell: Shell, line: &str) -> i64 {
    if shell == Shell::Elvish {
        // elvish blocks are braces: `if $x {`, `fn f {|a|`, `}`.
        let opens = line.matches('{').count() as i64;
        let closes = line.matches('}').count() as i64;
        return opens - closes;
    }
    let mut change = 0;
    for command in line.split([';', '&', '|']) {
        let command = command.trim();
        let first = command.split_whitespace().next().unwrap_or("");
        change += match shell {
            Shell::Fish => match first {
                "if" | "for" | "while" | "function" | "begin" | "switch" => 1,
                "end" => -1,
                _ => 0,
            },
            Shell::Elvish => 0,
            // nushell: blocks are braces, wherever they stand on the line.
            Shell::Nushell => {
                let opens = command.matches('{').count() as i64;
                opens - command.matches('}').count() as i64
            }
            Shell::Tcsh => match first {
                "if" if command.ends_with("then") => 1,
                "foreach" | "while" | "switch" => 1,
                "endif" | "end" | "endsw" => -1,
                _ => 0,
            },
            _ => {
                let opens = match first {
                    "if" | "case" | "for" | "while" | "until" | "select" | "{" | "(" => 1,
                    "fi" | "esac" | "done" | "}" | ")" => -1,
                    _ => 0,
                };
                // `name() {` and `function name {`: a function body.
                let body = i64::from(command.ends_with('{') && first != "{");
                opens + body
            }
        };
    }
    change
}

/// The shell's init line, as `init_line` gives it, with `awsesh` by name or
/// path (quoted or not, after `command`) and any `init` options.
fn is_init_line(shell: Shell, line: &str) -> bool {
    let name = super::init::name(shell);
    let inner = match shell {
        Shell::Bash | Shell::Zsh | Shell::Posix => line
            .strip_prefix("eval \"$(")
            .and_then(|rest| rest.strip_suffix(")\""))
            .or_else(|| {
                // bash and zsh: `source <(awsesh init bash)`.
                (shell != Shell::Posix)
                    .then(|| {
                        line.strip_prefix("source <(")
                            .or_else(|| line.strip_prefix(". <("))
                            .and_then(|rest| rest.strip_suffix(')'))
                    })
                    .flatten()
            }),
        Shell::Fish => line
            .strip_suffix("| source")
            .or_else(|| line.strip_suffix("| .")),
        Shell::Tcsh => line
            .strip_prefix("eval \"`")
            .and_then(|rest| rest.strip_suffix("`\"")),
        Shell::Xonsh => line
            .strip_prefix("execx($(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|rest| rest.split_once("),"))
            .filter(|(_, args)| {
                let args: String = args.split_whitespace().collect();
                args.starts_with("'exec',__xonsh__.ctx")
                    || args.starts_with("\"exec\",__xonsh__.ctx")
            })
            .map(|(inner, _)| inner),
        Shell::Elvish => line
            .strip_prefix("eval (")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|rest| rest.trim_end().strip_suffix("| slurp"))
            .map(|inner| inner.trim().strip_prefix("e:").unwrap_or(inner.trim())),
        // `source ~/.awsesh.nu` (any path to a file of that name, quoted or
        // not): what loads the script `awsesh init nushell` saved.
        Shell::Nushell => {
            return line.strip_prefix("source ").is_some_and(|path| {
                let path = path
                    .trim()
                    .trim_matches(|c| c == '\'' || c == '"' || c == '`');
                path.rsplit('/').next() == Some(".awsesh.nu")
                    && !path.contains(|c: char| c.is_whitespace() || ";|(){}$".contains(c))
            });
        }
    };
    inner.is_some_and(|inner| runs_init(inner.trim(), name))
}

/// `awsesh init NAME [options]`: the program word is `awsesh` or a path to
/// it, optionally quoted and after `command`; the options are flags and the
/// value of `--cmd`.
fn runs_init(command: &str, name: &str) -> bool {
    let mut words = command.split_whitespace().peekable();
    if words.peek() == Some(&"command") {
        words.next();
    }
    let Some(program) = words.next() else {
        return false;
    };
    let program = program.trim_matches(|c| c == '\'' || c == '"');
    if program != "awsesh" && !program.ends_with("/awsesh") {
        return false;
    }
    if words.next() != Some("init") || words.next() != Some(name) {
        return false;
    }
    let mut value_next = false;
    for word in words {
        if value_next {
            value_next = false;
        } else if word == "--cmd" {
            value_next = true;
        } else if !word.starts_with("--") {
            return false;
        }
        if word.contains(|c: char| ";&|<>`$()".contains(c)) {
            return false;
        }
    }
    !value_next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_lines_count() {
        for (shell, text) in [
            (Shell::Bash, "eval \"$(awsesh init bash)\"\n"),
            (
                Shell::Bash,
                "  eval \"$(~/.cargo/bin/awsesh init bash --cmd aws2)\" # mine\n",
            ),
            (
                Shell::Bash,
                "source <(command awsesh init bash --no-prompt)\n",
            ),
            (Shell::Zsh, "x=1\neval \"$(awsesh init zsh)\"\n"),
            (Shell::Fish, "awsesh init fish | source\n"),
            (
                Shell::Fish,
                "if status is-interactive\nend\n/opt/bin/awsesh init fish --no-prompt | source\n",
            ),
            (Shell::Posix, "eval \"$(awsesh init posix)\"\n"),
            (Shell::Tcsh, "eval \"`awsesh init tcsh`\"\n"),
            (
                Shell::Xonsh,
                "$PROMPT = '> '\nexecx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            ),
            (
                Shell::Xonsh,
                "execx($(/opt/bin/awsesh init xonsh --no-prompt),'exec',__xonsh__.ctx)  # mine\n",
            ),
            (Shell::Elvish, "eval (awsesh init elvish | slurp)\n"),
            (
                Shell::Elvish,
                "use str\nif $true {\n}\neval (e:awsesh init elvish --no-prompt | slurp) # mine\n",
            ),
            (Shell::Nushell, "$env.X = 1\nsource ~/.awsesh.nu # mine\n"),
            (Shell::Nushell, "source '/home/me/.awsesh.nu'\n"),
        ] {
            assert!(loads_awsesh(shell, text), "{shell:?}: {text:?}");
        }
    }

    #[test]
    fn look_alikes_do_not_count() {
        for (shell, text) in [
            // Another shell's line.
            (Shell::Bash, "eval \"$(awsesh init zsh)\"\n"),
            (Shell::Zsh, "eval \"$(awsesh init bash)\"\n"),
            (Shell::Posix, "eval \"$(awsesh init bash)\"\n"),
            // Commented out, or printed.
            (Shell::Bash, "# eval \"$(awsesh init bash)\"\n"),
            (Shell::Bash, "echo 'eval \"$(awsesh init bash)\"'\n"),
            (Shell::Bash, "echo eval \"$(awsesh init bash)\"\n"),
            (Shell::Fish, "echo 'awsesh init fish | source'\n"),
            // Inside a block that may never run.
            (
                Shell::Bash,
                "if false; then\n    eval \"$(awsesh init bash)\"\nfi\n",
            ),
            (
                Shell::Bash,
                "if false; then eval \"$(awsesh init bash)\"; fi\n",
            ),
            (
                Shell::Bash,
                "later() {\n  eval \"$(awsesh init bash)\"\n}\n",
            ),
            (
                Shell::Zsh,
                "case $TERM in\n dumb) ;;\n *)\n  eval \"$(awsesh init zsh)\" ;;\nesac\n",
            ),
            (
                Shell::Fish,
                "if false\n    awsesh init fish | source\nend\n",
            ),
            (
                Shell::Fish,
                "function later\n    awsesh init fish | source\nend\n",
            ),
            // Not awsesh, or not init, or more after it.
            (Shell::Bash, "eval \"$(notawsesh init bash)\"\n"),
            (Shell::Bash, "eval \"$(awsesh init bash; rm -rf x)\"\n"),
            (Shell::Bash, "eval \"$(awsesh env)\"\n"),
            (
                Shell::Xonsh,
                "if False:\n    execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            ),
            (
                Shell::Xonsh,
                "# execx($(awsesh init xonsh), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            ),
            (
                Shell::Xonsh,
                "execx($(awsesh init bash), 'exec', __xonsh__.ctx, filename='awsesh')\n",
            ),
            (Shell::Xonsh, "eval \"$(awsesh init xonsh)\"\n"),
            (Shell::Elvish, "eval (awsesh init fish | slurp)\n"),
            (Shell::Elvish, "# eval (awsesh init elvish | slurp)\n"),
            (
                Shell::Elvish,
                "if $false {\n  eval (awsesh init elvish | slurp)\n}\n",
            ),
            (
                Shell::Elvish,
                "fn later {\n  eval (awsesh init elvish | slurp)\n}\n",
            ),
            (Shell::Nushell, "# source ~/.awsesh.nu\n"),
            (Shell::Nushell, "if false {\n    source ~/.awsesh.nu\n}\n"),
            (Shell::Nushell, "source ~/.zoxide.nu\n"),
            (Shell::Bash, "source ~/.awsesh.nu\n"),
        ] {
            assert!(!loads_awsesh(shell, text), "{shell:?}: {text:?}");
        }
    }

    #[test]
    fn a_line_after_a_closed_block_counts() {
        let text = "if [ -f ~/.local ]; then\n  . ~/.local\nfi\neval \"$(awsesh init bash)\"\n";
        assert!(loads_awsesh(Shell::Bash, text));
    }
}
