//! Text from files, the network or the environment made safe to show.

/// Strips control characters so names from config files cannot drive the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Writes `awsesh: LINE` on stderr in one write, so that it is never cut
/// into by another process writing to the same terminal; control characters
/// from names in config files are shown as `?`.
pub fn say(line: &str) {
    use std::io::Write;
    let text = format!("awsesh: {}\n", printable(line));
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// POSIX single quotes: nothing is special inside, and `'` becomes `'\''`.
pub fn posix_quoted(value: &str) -> String {
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

/// A value as one word in a command a message suggests (`awsesh login
/// --profile prod`): as it is when no shell would change it, else in single
/// quotes; control characters shown as `?`.
pub fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if plain { value } else { posix_quoted(&value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_quotes_only_what_a_shell_would_change() {
        assert_eq!(shell_word("prod-eu_1.x@y:z/w%+"), "prod-eu_1.x@y:z/w%+");
        assert_eq!(shell_word("two words"), "'two words'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word("a\nb"), "'a?b'");
        assert_eq!(shell_word(""), "''");
    }
}
