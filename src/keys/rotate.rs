//! `awsesh keys rotate`: a new access key replaces the old one, and at no
//! point is the user left without a working key:
//!
//! 1. with an MFA session (IAM refuses key changes without one), check the
//!    user has room for a second key (IAM allows two);
//! 2. CreateAccessKey;
//! 3. store it where the old one was (keyring, or the file rewritten in place)
//!    — on failure the new key is deleted and the old one stays;
//! 4. wait until STS accepts the new key (IAM is eventually consistent) — on
//!    timeout the old key is put back and the new one deleted;
//! 5. DeleteAccessKey of the old one — on failure the user is told the new key
//!    works and which old key to delete.
//!
//! Each failure message says which key is active and in use, and what to do.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::iam::{self, AwsError, KeyInfo};
use crate::keys::{self, Keys, Location, files, keyring};
use crate::mfa::printable;

/// The IAM user's side of a rotation.
pub trait Account {
    fn list_keys(&self) -> Result<Vec<KeyInfo>, AwsError>;
    fn create_key(&self) -> Result<Keys, AwsError>;
    fn delete_key(&self, access_key_id: &str) -> Result<(), AwsError>;
    /// Ok when STS accepts these keys (GetCallerIdentity).
    fn accepts(&self, keys: &Keys) -> Result<(), AwsError>;
}

/// Where the profile's key is kept.
pub trait Slot {
    /// For messages: "the OS keyring", "/home/a/.aws/credentials".
    fn describe(&self) -> String;
    fn store(&self, keys: &Keys) -> Result<()>;
}

pub struct Timing {
    /// How long STS may take to accept the new key.
    pub deadline: Duration,
    pub poll: Duration,
}

impl Timing {
    /// `AWSESH_ROTATE_TIMEOUT` (default 60 s), polled every 2 s.
    pub fn from_env() -> Timing {
        let secs = std::env::var("AWSESH_ROTATE_TIMEOUT")
            .ok()
            .and_then(|t| crate::duration::parse(&t).ok())
            .filter(|s| *s > 0)
            .unwrap_or(60);
        Timing {
            deadline: Duration::from_secs(secs),
            poll: Duration::from_secs(2),
        }
    }
}

/// Runs steps 1–5; returns the new key's id.
pub fn rotate(
    account: &dyn Account,
    slot: &dyn Slot,
    old: &Keys,
    user: &str,
    timing: &Timing,
) -> Result<String> {
    let old_id = old.access_key_id.as_str();
    let fail = |text: String| Error::Other(text);
    let existing = account.list_keys().map_err(|e| {
        fail(format!(
            "cannot list the access keys of IAM user {user} ({e}); nothing was changed, the key {old_id} stays in use"
        ))
    })?;
    let two_keys = |others: &[&KeyInfo]| {
        let others: Vec<String> = others
            .iter()
            .map(|k| {
                format!(
                    "{} ({})",
                    k.access_key_id,
                    if k.active { "active" } else { "inactive" }
                )
            })
            .collect();
        fail(format!(
            "IAM user {user} already has two access keys, the most IAM allows: {old_id} (this profile's) and {}; delete the one you no longer use (IAM console, or `aws iam delete-access-key --user-name {user} --access-key-id ID`) and run the command again; nothing was changed",
            others.join(", ")
        ))
    };
    let others: Vec<&KeyInfo> = existing
        .iter()
        .filter(|k| k.access_key_id != old_id)
        .collect();
    if !others.is_empty() && existing.len() >= 2 {
        return Err(two_keys(&others));
    }

    let new = account.create_key().map_err(|e| {
        if e.is("LimitExceeded") {
            two_keys(&others)
        } else {
            fail(format!(
                "IAM refused to create a new access key ({e}); nothing was changed, the key {old_id} stays in use"
            ))
        }
    })?;
    let new_id = new.access_key_id.clone();
    let place = slot.describe();

    if let Err(e) = slot.store(&new) {
        return Err(match account.delete_key(&new_id) {
            Ok(()) => fail(format!(
                "cannot store the new key in {place} ({e}); deleted the new key {new_id} again, the key {old_id} is still active and in use"
            )),
            Err(e2) => fail(format!(
                "cannot store the new key in {place} ({e}) nor delete it from IAM ({e2}); the key {old_id} is still active and in use; delete the unused key {new_id} in the IAM console"
            )),
        });
    }

    let started = Instant::now();
    let accepted = loop {
        match account.accepts(&new) {
            Ok(()) => break true,
            Err(_) if started.elapsed() + timing.poll <= timing.deadline => {
                std::thread::sleep(timing.poll)
            }
            Err(_) => break false,
        }
    };
    if !accepted {
        let secs = timing.deadline.as_secs();
        return Err(match slot.store(old) {
            Ok(()) => match account.delete_key(&new_id) {
                Ok(()) => fail(format!(
                    "STS did not accept the new key {new_id} within {secs} s; put the old key {old_id} back in {place} and deleted {new_id}: {old_id} is active and in use; try again later"
                )),
                Err(e) => fail(format!(
                    "STS did not accept the new key {new_id} within {secs} s; put the old key {old_id} back in {place}, it is active and in use; delete the unused key {new_id} in the IAM console ({e})"
                )),
            },
            Err(e) => fail(format!(
                "STS did not accept the new key {new_id} within {secs} s, and the old key {old_id} could not be put back in {place} ({e}): {place} holds {new_id}, and {old_id} is still active in IAM; run `awsesh keys rotate` again in a few minutes"
            )),
        });
    }

    account.delete_key(old_id).map_err(|e| {
        fail(format!(
            "the new key {new_id} is in {place} and works, but the old key {old_id} could not be deleted ({e}); delete it in the IAM console or with `aws iam delete-access-key --user-name {user} --access-key-id {old_id}`"
        ))
    })?;
    Ok(new_id)
}

/// The real account: IAM calls signed with the MFA session, acceptance
/// checked with a client signed by the new key itself.
pub struct Live {
    pub runtime: tokio::runtime::Runtime,
    pub iam: aws_sdk_iam::Client,
    pub user: String,
    pub sts_for: Box<dyn Fn(&Keys) -> aws_sdk_sts::Client>,
}

impl Account for Live {
    fn list_keys(&self) -> Result<Vec<KeyInfo>, AwsError> {
        self.runtime
            .block_on(iam::list_access_keys(&self.iam, &self.user))
    }

    fn create_key(&self) -> Result<Keys, AwsError> {
        self.runtime
            .block_on(iam::create_access_key(&self.iam, &self.user))
    }

    fn delete_key(&self, access_key_id: &str) -> Result<(), AwsError> {
        self.runtime
            .block_on(iam::delete_access_key(&self.iam, &self.user, access_key_id))
    }

    fn accepts(&self, keys: &Keys) -> Result<(), AwsError> {
        let sts = (self.sts_for)(keys);
        self.runtime.block_on(iam::caller_arn(&sts)).map(|_| ())
    }
}

/// The keyring item of a profile.
pub struct KeyringSlot(pub String);

impl Slot for KeyringSlot {
    fn describe(&self) -> String {
        "the OS keyring".into()
    }

    fn store(&self, keys: &Keys) -> Result<()> {
        keyring::set(&self.0, keys).map_err(|why| Error::Other(why.to_string()))?;
        keys::index::put(&self.0, &keys.access_key_id)
    }
}

/// The key lines of a profile in the AWS files.
pub struct FileSlot {
    pub profile: String,
    pub path: std::path::PathBuf,
}

impl Slot for FileSlot {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn store(&self, keys: &Keys) -> Result<()> {
        let changed = files::replace(&self.profile, &keys.access_key_id, &keys.secret_access_key)?;
        if changed.is_empty() {
            return Err(Error::Other("the profile's key lines are gone".into()));
        }
        Ok(())
    }
}

/// `awsesh keys rotate` for a profile.
pub fn run(profile: &str, token_code: Option<&str>) -> Result<()> {
    let p = printable(profile);
    let loaded = crate::profile::Profile::load(profile)?;
    if let Some(source) = &loaded.source_profile
        && loaded.role_arn.is_some()
    {
        return Err(Error::Other(format!(
            "profile `{p}` is a role; rotate the keys of its source profile with `awsesh keys rotate --profile {}`",
            printable(source)
        )));
    }
    let (old, slot): (Keys, Box<dyn Slot>) = match keys::locate(profile)? {
        Location::Keyring(_) => {
            let keys = keyring::get(profile)
                .map_err(|why| keys::unavailable(profile, &why))?
                .ok_or_else(|| {
                    Error::Other(format!(
                        "the OS keyring has no key for profile `{p}`; add it with `awsesh keys add --profile {p}`"
                    ))
                })?;
            (keys, Box::new(KeyringSlot(profile.to_string())))
        }
        Location::File(plain) if plain.has_session_token => {
            return Err(files::session_keys_error(profile, &plain.path));
        }
        Location::File(plain) => (
            Keys {
                access_key_id: plain.access_key_id,
                secret_access_key: plain.secret_access_key,
            },
            Box::new(FileSlot {
                profile: profile.to_string(),
                path: plain.path,
            }),
        ),
        Location::Elsewhere => {
            return Err(Error::Other(format!(
                "profile `{p}` has no long-term keys in the OS keyring or the AWS files (a credential_process?); rotate them where they are kept"
            )));
        }
    };

    let region = loaded.region_or_default();
    let runtime = iam::runtime()?;
    let own = runtime.block_on(iam::clients(
        profile,
        region.clone(),
        iam::credentials(&old.access_key_id, &old.secret_access_key, None),
    ));
    let arn = runtime.block_on(iam::caller_arn(&own.sts)).map_err(|e| {
        Error::Other(format!(
            "AWS does not accept the current key {} of profile `{p}` ({e}); nothing was changed",
            old.access_key_id
        ))
    })?;
    let user = iam::user_name_from_arn(&arn).ok_or_else(|| {
        Error::Other(format!(
            "the key of profile `{p}` belongs to {}, not an IAM user; only IAM users' keys can be rotated",
            printable(&arn)
        ))
    })?;

    let store = crate::store::Store::open()?;
    let session =
        crate::refresh::ensure(&store, &crate::refresh::Request::reuse(profile, token_code))?;
    let c = &session.credentials;
    let with_session = runtime.block_on(iam::clients(
        profile,
        region.clone(),
        iam::credentials(
            &c.access_key_id,
            &c.secret_access_key,
            Some(&c.session_token),
        ),
    ));
    let sts_profile = profile.to_string();
    let sts_runtime = iam::runtime()?;
    let live = Live {
        runtime,
        iam: with_session.iam,
        user: user.clone(),
        sts_for: Box::new(move |keys: &Keys| {
            sts_runtime
                .block_on(iam::clients(
                    &sts_profile,
                    region.clone(),
                    iam::credentials(&keys.access_key_id, &keys.secret_access_key, None),
                ))
                .sts
        }),
    };
    let new_id = rotate(&live, slot.as_ref(), &old, &user, &Timing::from_env())?;
    eprintln!(
        "awsesh: rotated the key of profile {p}: the new key {new_id} is in {} and works; the old key {} is deleted",
        slot.describe(),
        old.access_key_id
    );
    Ok(())
}
