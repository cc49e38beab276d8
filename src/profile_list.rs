//! The names of every configured profile, as the AWS SDKs see them: the config
//! and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`)
//! merged by aws-config's own parser, so `[default]` and `[profile default]`
//! are one profile, a profile only in the credentials file counts, and
//! `[sso-session x]` or `[services y]` sections do not.
//!
//! Used by shell completion (on every TAB) and `status --all`: no network and
//! no runtime beyond one current-thread executor without I/O or timer drivers.

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use crate::error::{Error, Result};

/// Every configured profile name, sorted; names a terminal or a shell word
/// could not carry (control characters, whitespace) are left out.
pub fn names() -> Result<Vec<String>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::io("cannot start the profile reader", e))?;
    // The loader is async only by signature: it reads with std::fs.
    let set = runtime
        .block_on(aws_config::profile::load(
            &Fs::real(),
            &Env::real(),
            &EnvConfigFiles::default(),
            None,
        ))
        .map_err(|e| {
            // The parse error (file, line, what) is the source; its text spans lines.
            let detail = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.to_string());
            let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
            Error::Other(format!(
                "cannot read the AWS config files: {detail}; fix that line"
            ))
        })?;
    let mut names: Vec<String> = set
        .profiles()
        .filter(|name| usable(name))
        .map(str::to_string)
        .collect();
    names.sort();
    Ok(names)
}

/// Whether a name can be offered as one shell word on one line.
fn usable(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn names_with_control_characters_or_blanks_are_not_offered() {
        assert!(usable("prod-eu_1.x@y:z/w%+"));
        assert!(!usable(""));
        assert!(!usable("a\nb"));
        assert!(!usable("a\u{1b}[31m"));
        assert!(!usable("a b"));
    }
}
