//! Quoting a value so that a shell reads it back byte for byte and runs nothing.

use super::Shell;

/// POSIX single quotes: nothing is special inside, and `'` becomes `'\\''`.
pub fn posix(value: &str) -> String {
    crate::sys::text::posix_quoted(value)
}

/// fish single quotes: `\` and `'` are the only escapes, so both must be
/// escaped (a trailing backslash would otherwise swallow the closing quote).
pub fn fish(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// tcsh single quotes: `'` as `'\\''` as in POSIX sh, and the two characters
/// tcsh still reads inside them escaped: `!` (history) as `\\!`, a newline as
/// `\\` and the newline.
pub fn tcsh(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '!' => out.push_str("\\!"),
            '\n' => out.push_str("\\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A Python string literal for the xonsh script: single-quoted, with `\`
/// and `'` escaped and every character outside printable ASCII written as a
/// `\xNN`, `\uNNNN` or `\UNNNNNNNN` escape, so that the literal is one
/// line of plain ASCII whatever the value holds. A plain (not f-, p- or
/// raw) string: xonsh expands nothing inside it.
pub fn xonsh(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('\'');
    out
}

/// elvish single quotes: nothing is special inside but `'`, written twice.
/// A newline stands for itself.
pub fn elvish(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// nushell double quotes: no interpolation (that is `$"…"`), and the
/// escapes `\\`, `\"` and `\u{…}` — used for every control character, so
/// the literal stays on one line and no byte is left for a terminal to act on.
pub fn nushell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn for_shell(shell: Shell, value: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh | Shell::Posix => posix(value),
        Shell::Fish => fish(value),
        Shell::Tcsh => tcsh(value),
        Shell::Xonsh => xonsh(value),
        Shell::Elvish => elvish(value),
        Shell::Nushell => nushell(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_escapes_single_quotes_only() {
        assert_eq!(posix("a'b"), r"'a'\''b'");
        assert_eq!(posix(r"x\"), r"'x\'");
        assert_eq!(posix("$(id)`id`"), "'$(id)`id`'");
    }

    #[test]
    fn tcsh_escapes_quote_history_and_newline() {
        assert_eq!(tcsh("a'b"), r"'a'\''b'");
        assert_eq!(tcsh("x!y"), r"'x\!y'");
        assert_eq!(tcsh("a\nb"), "'a\\\nb'");
        assert_eq!(tcsh(r"$x`y`\"), r"'$x`y`\'");
    }

    #[test]
    fn xonsh_is_a_plain_ascii_python_literal() {
        assert_eq!(xonsh("a'b"), r"'a\'b'");
        assert_eq!(xonsh(r"x\"), r"'x\\'");
        assert_eq!(xonsh("$(id)`id`{x}"), "'$(id)`id`{x}'");
        assert_eq!(xonsh("a\nb\u{7f}"), r"'a\x0ab\x7f'");
        assert_eq!(xonsh("é€😀"), r"'\xe9\u20ac\U0001f600'");
    }

    #[test]
    fn elvish_doubles_single_quotes_only() {
        assert_eq!(elvish("a'b"), "'a''b'");
        assert_eq!(elvish("''"), "''''''");
        assert_eq!(elvish(r"$x`y`\(z)"), r"'$x`y`\(z)'");
        assert_eq!(elvish("a\nb"), "'a\nb'");
        assert_eq!(elvish(""), "''");
    }

    #[test]
    fn nushell_escapes_quote_backslash_and_controls() {
        assert_eq!(nushell(r#"a"b"#), r#""a\"b""#);
        assert_eq!(nushell(r"x\"), r#""x\\""#);
        assert_eq!(nushell("a\nb\u{7f}"), r#""a\u{a}b\u{7f}""#);
        assert_eq!(nushell("$(id) `x` ($y)"), r#""$(id) `x` ($y)""#);
    }

    #[test]
    fn fish_escapes_backslash_and_quote() {
        assert_eq!(fish(r"x\"), r"'x\\'");
        assert_eq!(fish("a'b"), r"'a\'b'");
        assert_eq!(fish("$x"), "'$x'");
    }
}
