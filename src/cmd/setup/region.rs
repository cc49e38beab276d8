//! setup's region step: the `aws` command fails with "You must specify a
//! region" without one, so a profile leaves setup with `region` set. Asked on
//! the terminal (the environment's region as the default), or given with
//! `--region`; a region the profile already has is kept. Chosen before any
//! file is written, written only once the keys are stored.

use std::fs::File;
use std::io::Write;

use crate::aws::ini_edit::{self, FileKind};
use crate::keys::input::read_line;
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// What the region step decided.
pub enum Choice {
    /// The profile has this region already (the one `--region` named, or none named).
    Kept(String),
    /// To be written into the profile's config section.
    New(String),
    /// No region, and no terminal to ask on.
    Missing,
}

/// A region name as AWS spells them: lowercase words and a number joined by
/// `-` (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`), so a typo such as an
/// availability zone (`us-east-1a`) or a display name is refused.
pub fn parse(text: &str) -> Option<String> {
    let region = text.trim().to_ascii_lowercase();
    let parts: Vec<&str> = region.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return None;
    };
    let word = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let ok = region.len() <= 40
        && parts.len() >= 3
        && word(first)
        && parts.get(1..parts.len() - 1).is_some_and(|middle| {
            middle
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        })
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(region)
}

/// `--region`, checked before anything else happens.
pub fn from_flag(flag: Option<&str>) -> Result<Option<String>> {
    flag.map(|text| {
        parse(text).ok_or_else(|| {
            Error::Other(format!(
                "`--region {}` is not a region name (like us-east-1 or eu-west-2); nothing was changed",
                printable(text)
            ))
        })
    })
    .transpose()
}

/// Decides the region: the flag, else the profile's own, else asked.
pub fn choose(
    profile: &str,
    flag: Option<String>,
    current: Option<String>,
    tty: Option<&mut File>,
) -> Result<Choice> {
    let current = current.and_then(|r| parse(&r).map(|_| r));
    match (flag, current) {
        (Some(flag), Some(current)) if flag == current => Ok(Choice::Kept(current)),
        (Some(flag), _) => Ok(Choice::New(flag)),
        (None, Some(current)) => Ok(Choice::Kept(current)),
        (None, None) => match tty {
            Some(tty) => ask(tty, profile).map(Choice::New),
            None => Ok(Choice::Missing),
        },
    }
}

/// Asks until a region name is typed (Enter takes the default when there is
/// one); Ctrl-C or end of input cancels.
fn ask(tty: &mut File, profile: &str) -> Result<String> {
    let default = crate::aws::profile::region_from_env().and_then(|r| parse(&r));
    let question = match &default {
        Some(region) => format!("AWS region for profile {} [{region}]: ", printable(profile)),
        None => format!(
            "AWS region for profile {} (e.g. us-east-1, eu-west-1): ",
            printable(profile)
        ),
    };
    loop {
        let answer = read_line(tty, &question, true)?;
        if answer.trim().is_empty()
            && let Some(region) = &default
        {
            return Ok(region.clone());
        }
        match parse(&answer) {
            Some(region) => return Ok(region),
            None if answer.trim().is_empty() => {}
            None => {
                let _ = writeln!(
                    tty,
                    "awsesh: `{}` is not a region name (like us-east-1 or eu-west-2); try again",
                    printable(answer.trim())
                );
            }
        }
    }
}

/// Sets `region` in the profile's config section (adding the section when
/// it has none), every other byte of the file unchanged.
pub fn write(profile: &str, region: &str) -> Result<()> {
    ini_edit::edit(
        &crate::aws::profile::config_path(),
        FileKind::Config,
        |doc| {
            doc.set(profile, "region", region)?;
            Ok(true)
        },
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn region_names_are_told_from_typos() {
        for good in [
            "us-east-1",
            "eu-west-2",
            "ap-southeast-7",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "eusc-de-east-1",
            " il-central-1\n",
        ] {
            assert_eq!(parse(good).as_deref(), Some(good.trim()), "{good}");
        }
        assert_eq!(parse("EU-WEST-1").as_deref(), Some("eu-west-1"));
        for bad in [
            "",
            "us-east-1a",
            "us-east",
            "useast1",
            "us east 1",
            "Frankfurt",
            "us--1",
            "-us-east-1",
            "us-east-1;id",
            "$(id)-x-1",
            "us-east-123",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
