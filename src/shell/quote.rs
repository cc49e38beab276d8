//! Quoting a value so that a shell reads it back byte for byte and runs nothing.

use crate::cli::Shell;

/// POSIX single quotes: nothing is special inside, and `'` becomes `'\''`.
pub fn posix(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
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

/// A value as one word in a command a message suggests (`awsesh login
/// --profile prod`): as it is when no shell would change it, else in single
/// quotes; control characters shown as `?`.
pub fn word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if plain { value } else { posix(&value) }
}

pub fn for_shell(shell: Shell, value: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => posix(value),
        Shell::Fish => fish(value),
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
    fn word_quotes_only_what_a_shell_would_change() {
        assert_eq!(word("prod-eu_1.x@y:z/w%+"), "prod-eu_1.x@y:z/w%+");
        assert_eq!(word("two words"), "'two words'");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(word("$(id)"), "'$(id)'");
        assert_eq!(word("a\nb"), "'a?b'");
        assert_eq!(word(""), "''");
    }

    #[test]
    fn fish_escapes_backslash_and_quote() {
        assert_eq!(fish(r"x\"), r"'x\\'");
        assert_eq!(fish("a'b"), r"'a\'b'");
        assert_eq!(fish("$x"), "'$x'");
    }
}
