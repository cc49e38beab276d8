//! The names of every configured profile, as the AWS SDKs see them: the config
//! and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`)
//! merged by aws-config's own parser, so `[default]` and `[profile default]`
//! are one profile, a profile only in the credentials file counts, and
//! `[sso-session x]` or `[services y]` sections do not.
//!
//! Used by shell completion (on every TAB) and `status --all`: no network, and
//! no async runtime (the loader's future is ready at its first poll).

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Result};

/// Every configured profile name, sorted; names a terminal or a shell word
/// could not carry (control characters, whitespace) are left out.
pub fn names() -> Result<Vec<String>> {
    let set = block_on(aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        None,
    ))?
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

/// The loader is async only by signature (it reads with std::fs), so its
/// future is ready at the first poll; a runtime is built only if a later
/// aws-config really waits on something.
fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
        return Ok(output);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Error::io("cannot start the profile reader", e))?;
    Ok(runtime.block_on(future))
}

/// Whether a name can be offered as one shell word on one line.
fn usable(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::{block_on, usable};

    #[test]
    fn a_ready_future_needs_no_runtime_and_a_pending_one_gets_one() {
        assert_eq!(block_on(async { 7 }).unwrap(), 7);
        let waits_once = async {
            tokio::task::yield_now().await;
            8
        };
        assert_eq!(block_on(waits_once).unwrap(), 8);
    }

    #[test]
    fn names_with_control_characters_or_blanks_are_not_offered() {
        assert!(usable("prod-eu_1.x@y:z/w%+"));
        assert!(!usable(""));
        assert!(!usable("a\nb"));
        assert!(!usable("a\u{1b}[31m"));
        assert!(!usable("a b"));
    }
}
