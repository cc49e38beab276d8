//! The sections of an AWS config or credentials file that can hold one
//! profile's settings, cut out of the text so that aws-config's parser reads
//! a few lines instead of ten thousand profiles — with the same answer for
//! that profile.
//!
//! Why the answer is the same (aws-runtime's `env_config::parse` and
//! `normalize`): the parser reads line by line, and a line starting with `[`
//! opens a section and resets its state, so a section's lines mean the same
//! wherever the section stands. A profile's settings are the merge, in file
//! order, of every section whose header names it (`[profile P]`, `[P]`,
//! `[default]`), and a header can only name `P` if `P` is a substring of the
//! header line (the parser only trims, strips a prefix word and a comment).
//! So every section whose header line contains `P` is kept, in order, plus
//! every config section that is not a `[profile …]` section (`[default]`,
//! `[sso-session …]`, `[services …]`, which the SDK's loader may look up).
//! Sections naming other profiles only add other profiles to the answer.
//!
//! This holds only for files that parse as a whole (a syntax error in a
//! section left out would go unseen): callers check that first.

/// Which file the text comes from: the credentials file holds only plain
/// `[name]` profile sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

/// The parser's whitespace (`WHITESPACE` in aws-runtime).
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `[profile …]`: the first word of the header is `profile` and a word
/// follows, which the parser takes as the profile's name.
fn is_profile_section(header: &str) -> bool {
    let inner = header.strip_prefix('[').unwrap_or(header);
    let inner = inner.trim_start_matches(is_blank);
    inner
        .strip_prefix("profile")
        .is_some_and(|rest| rest.starts_with(is_blank))
}

/// The text before the first header, then each section (its header line up
/// to the next header line), as slices of `text` that add up to it.
fn sections(text: &str) -> impl Iterator<Item = &str> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.starts_with('[') {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    starts
        .windows(2)
        .filter_map(|pair| match pair {
            [from, to] => text.get(*from..*to),
            _ => None,
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// The part of `text` that decides profile `name`'s settings (see the
/// module comment): the lines before the first section, and every section
/// that may name it, in file order.
pub fn for_profile(text: &str, name: &str, kind: FileKind) -> String {
    let mut kept = String::new();
    for section in sections(text) {
        let header = section.split('\n').next().unwrap_or(section);
        let keep = !section.starts_with('[')
            || header.contains(name)
            || (kind == FileKind::Config && !is_profile_section(header));
        if keep {
            kept.push_str(section);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_add_up_to_the_text() {
        for text in [
            "",
            "[a]\nx=1\n",
            "# c\n\n[a]\nx=1\n[b]\r\ny=2",
            "[a]\n  [not a header]\n[b]\n",
        ] {
            assert_eq!(sections(text).collect::<String>(), text);
        }
        let parts: Vec<&str> = sections("# c\n[a]\nx=1\n[b]\ny=2").collect();
        assert_eq!(parts, ["# c\n", "[a]\nx=1\n", "[b]\ny=2"]);
    }

    #[test]
    fn only_sections_that_may_name_the_profile_are_kept() {
        let config = "# top\n[profile a]\nx=1\n[profile b]\nx=2\n[sso-session s]\nu=1\n[default]\nr=1\n[profile\tab] # c\nx=3\n[profile a]\nx=4\n";
        assert_eq!(
            for_profile(config, "a", FileKind::Config),
            "# top\n[profile a]\nx=1\n[sso-session s]\nu=1\n[default]\nr=1\n[profile\tab] # c\nx=3\n[profile a]\nx=4\n"
        );
        let credentials = "[a]\nk=1\n[b]\nk=2\n[default]\nk=3\n";
        assert_eq!(
            for_profile(credentials, "b", FileKind::Credentials),
            "[b]\nk=2\n"
        );
    }

    #[test]
    fn profile_sections_are_told_from_others() {
        assert!(is_profile_section("[profile a]"));
        assert!(is_profile_section("[ profile\ta ] # x"));
        for other in [
            "[default]",
            "[profilea]",
            "[sso-session profile]",
            "[services s]",
        ] {
            assert!(!is_profile_section(other), "{other}");
        }
    }
}
