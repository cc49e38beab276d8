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

use crate::aws::iam::{self, AwsError, KeyInfo};
use crate::keys::{self, Keys, Location, files, keyring};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

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
            .and_then(|t| crate::sys::duration::parse(&t).ok())
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
        } else if e.code.is_some() {
            // IAM answered with an error: it created nothing.
            fail(format!(
                "IAM refused to create a new access key ({e}); nothing was changed, the key {old_id} stays in use"
            ))
        } else {
            lost_answer(account, &existing, old_id, user, &e)
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

/// CreateAccessKey got no answer (a timeout, a dropped connection): IAM may
/// have created a key whose secret never arrived. Its keys are listed again;
/// a key that was not there before is deleted (its secret is stored
/// nowhere), and the message says what is known.
fn lost_answer(
    account: &dyn Account,
    before: &[KeyInfo],
    old_id: &str,
    user: &str,
    e: &AwsError,
) -> Error {
    let lost = format!("IAM's answer to CreateAccessKey was lost ({e})");
    let now = match account.list_keys() {
        Ok(now) => now,
        Err(e2) => {
            return Error::Other(format!(
                "{lost}, and listing the keys of IAM user {user} failed too ({e2}): IAM may have created a key whose secret is stored nowhere; the key {old_id} stays in use; run `aws iam list-access-keys --user-name {user}` and delete any key other than {old_id} with `aws iam delete-access-key --user-name {user} --access-key-id ID`, then run the command again"
            ));
        }
    };
    let created: Vec<&KeyInfo> = now
        .iter()
        .filter(|k| {
            k.access_key_id != old_id && !before.iter().any(|b| b.access_key_id == k.access_key_id)
        })
        .collect();
    let mut deleted = Vec::new();
    let mut left = Vec::new();
    for key in &created {
        match account.delete_key(&key.access_key_id) {
            Ok(()) => deleted.push(key.access_key_id.clone()),
            Err(e3) => left.push(format!("{} ({e3})", key.access_key_id)),
        }
    }
    Error::Other(match (deleted.is_empty(), left.is_empty()) {
        (true, true) => format!(
            "{lost}; IAM lists no new key for user {user}, so none was created as far as IAM shows now; the key {old_id} stays in use; run the command again"
        ),
        (false, true) => format!(
            "{lost}; IAM had created the key {}, whose secret never arrived: awsesh deleted it; the key {old_id} stays in use; run the command again",
            deleted.join(", ")
        ),
        _ => format!(
            "{lost}; IAM created the key {}, whose secret never arrived, and awsesh could not delete it{}; the key {old_id} stays in use; delete it with `aws iam delete-access-key --user-name {user} --access-key-id ID` (or the IAM console), then run the command again",
            left.join(", "),
            if deleted.is_empty() {
                String::new()
            } else {
                format!(" (deleted {})", deleted.join(", "))
            }
        ),
    })
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

/// The keyring item of a profile for the AWS files in use; the IAM user's
/// ARN recorded with the old key is recorded with the new one (same user).
pub struct KeyringSlot {
    pub profile: String,
    pub arn: Option<String>,
}

impl Slot for KeyringSlot {
    fn describe(&self) -> String {
        "the OS keyring".into()
    }

    fn store(&self, keys: &Keys) -> Result<()> {
        let files = keys::item::AwsFiles::current();
        let item = keys::item::Item::ForFiles {
            profile: self.profile.clone(),
            files: files.clone(),
        };
        keyring::set(&item, keys, self.arn.as_deref())
            .map_err(|why| Error::Other(why.to_string()))?;
        keys::index::put(
            &self.profile,
            &files,
            &keys.access_key_id,
            self.arn.as_deref(),
        )
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
    let loaded = crate::aws::profile::Profile::load(profile)?;
    if let Some(source) = &loaded.source_profile
        && loaded.role_arn.is_some()
    {
        return Err(Error::Other(format!(
            "profile `{p}` is a role; rotate the keys of its source profile with `awsesh keys rotate --profile {}`",
            printable(source)
        )));
    }
    let (old, slot): (Keys, Box<dyn Slot>) = match keys::locate(profile)? {
        Location::Keyring(entry) => {
            let (_, held) = keys::held(&entry)
                .map_err(|why| keys::unavailable(profile, &why))?
                .ok_or_else(|| {
                    Error::Other(format!(
                        "the OS keyring has no key for profile `{p}`; add it with `awsesh keys add --profile {p}`"
                    ))
                })?;
            let slot = KeyringSlot {
                profile: profile.to_string(),
                arn: held.arn.or(entry.arn),
            };
            (held.keys, Box::new(slot))
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
    ))?;
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
    let session = crate::session::refresh::ensure(
        &store,
        &crate::session::refresh::Request::reuse(profile, token_code),
    )?;
    let c = &session.credentials;
    let with_session = runtime.block_on(iam::clients(
        profile,
        region.clone(),
        iam::credentials(
            &c.access_key_id,
            &c.secret_access_key,
            Some(&c.session_token),
        ),
    ))?;
    // The same client settings as `own`, signed with each new key in turn.
    let own_config = own.sts.config().clone();
    let live = Live {
        runtime,
        iam: with_session.iam,
        user: user.clone(),
        sts_for: Box::new(move |keys: &Keys| {
            aws_sdk_sts::Client::from_conf(
                own_config
                    .to_builder()
                    .credentials_provider(iam::credentials(
                        &keys.access_key_id,
                        &keys.secret_access_key,
                        None,
                    ))
                    .build(),
            )
        }),
    };
    let new_id = rotate(&live, slot.as_ref(), &old, &user, &Timing::from_env())?;
    crate::sys::text::say(&format!(
        "rotated the key of profile {p}: the new key {new_id} is in {} and works; the old key {} is deleted",
        slot.describe(),
        old.access_key_id
    ));
    Ok(())
}

/// Failures injected between the steps, where moto cannot produce them: the
/// real IAM and STS client code runs, with aws-smithy-mocks answering.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::create_access_key::{CreateAccessKeyError, CreateAccessKeyOutput};
    use aws_sdk_iam::operation::delete_access_key::{DeleteAccessKeyError, DeleteAccessKeyOutput};
    use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
    use aws_sdk_iam::types::{AccessKey, AccessKeyMetadata, StatusType};
    use aws_sdk_sts::operation::get_caller_identity::{
        GetCallerIdentityError, GetCallerIdentityOutput,
    };
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, create_mock_http_client, mock};
    use std::cell::RefCell;

    const OLD: &str = "AKIAOLDOLDOLDOLDOLD1";
    const NEW: &str = "AKIANEWNEWNEWNEWNEW2";

    fn old_keys() -> Keys {
        Keys {
            access_key_id: OLD.into(),
            secret_access_key: crate::sys::secret::Secret::new("b2xkc2VjcmV0"),
        }
    }

    fn sdk() -> aws_config::SdkConfig {
        rt().block_on(crate::aws::sts::sdk_config(
            "default",
            "us-east-1".into(),
            iam::credentials(OLD, &old_keys().secret_access_key, None),
            None,
        ))
        .unwrap()
    }

    fn rt() -> tokio::runtime::Runtime {
        iam::runtime().unwrap()
    }

    fn iam_client(rules: &[&Rule]) -> aws_sdk_iam::Client {
        let interceptor = rules
            .iter()
            .fold(MockResponseInterceptor::new(), |i, r| i.with_rule(r));
        let conf = aws_sdk_iam::config::Builder::from(&sdk())
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    fn sts_client(rule: &Rule) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&sdk())
            .http_client(create_mock_http_client())
            .interceptor(MockResponseInterceptor::new().with_rule(rule))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    fn meta(code: &str) -> aws_sdk_iam::error::ErrorMetadata {
        aws_sdk_iam::error::ErrorMetadata::builder()
            .code(code)
            .message(format!("{code} (mock)"))
            .build()
    }

    fn list_rule(ids: &'static [&'static str]) -> Rule {
        mock!(aws_sdk_iam::Client::list_access_keys).then_output(move || {
            ListAccessKeysOutput::builder()
                .set_access_key_metadata(Some(
                    ids.iter()
                        .map(|id| {
                            AccessKeyMetadata::builder()
                                .access_key_id(*id)
                                .status(StatusType::Active)
                                .build()
                        })
                        .collect(),
                ))
                .build()
                .unwrap()
        })
    }

    fn create_rule() -> Rule {
        mock!(aws_sdk_iam::Client::create_access_key).then_output(|| {
            CreateAccessKeyOutput::builder()
                .access_key(
                    AccessKey::builder()
                        .user_name("alice")
                        .access_key_id(NEW)
                        .status(StatusType::Active)
                        .secret_access_key("bmV3c2VjcmV0")
                        .build()
                        .unwrap(),
                )
                .build()
        })
    }

    /// DeleteAccessKey of `id`: succeeds, or fails with `error`.
    fn delete_rule(id: &'static str, error: Option<&'static str>) -> Rule {
        let rule = mock!(aws_sdk_iam::Client::delete_access_key)
            .match_requests(move |req| req.access_key_id() == Some(id));
        match error {
            None => rule.then_output(|| DeleteAccessKeyOutput::builder().build()),
            Some(code) => rule.then_error(move || DeleteAccessKeyError::generic(meta(code))),
        }
    }

    fn sts_accepts(yes: bool) -> Rule {
        if yes {
            mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
                GetCallerIdentityOutput::builder()
                    .arn("arn:aws:iam::123456789012:user/alice")
                    .build()
            })
        } else {
            mock!(aws_sdk_sts::Client::get_caller_identity).then_error(|| {
                GetCallerIdentityError::generic(
                    aws_sdk_sts::error::ErrorMetadata::builder()
                        .code("InvalidClientTokenId")
                        .message("The security token included in the request is invalid.")
                        .build(),
                )
            })
        }
    }

    /// A slot that records what it was given and can refuse a key.
    struct FakeSlot {
        refuse: Option<&'static str>,
        stored: RefCell<Vec<String>>,
    }

    impl FakeSlot {
        fn new(refuse: Option<&'static str>) -> FakeSlot {
            FakeSlot {
                refuse,
                stored: RefCell::new(Vec::new()),
            }
        }
    }

    impl Slot for FakeSlot {
        fn describe(&self) -> String {
            "the test slot".into()
        }

        fn store(&self, keys: &Keys) -> Result<()> {
            if self.refuse == Some(keys.access_key_id.as_str()) {
                return Err(Error::Other("the disk is full".into()));
            }
            self.stored.borrow_mut().push(keys.access_key_id.clone());
            Ok(())
        }
    }

    fn live(iam: aws_sdk_iam::Client, sts: aws_sdk_sts::Client) -> Live {
        Live {
            runtime: rt(),
            iam,
            user: "alice".into(),
            sts_for: Box::new(move |_| sts.clone()),
        }
    }

    fn quick() -> Timing {
        Timing {
            deadline: Duration::from_millis(300),
            poll: Duration::from_millis(50),
        }
    }

    #[test]
    fn the_old_key_is_deleted_only_after_the_new_one_is_stored_and_accepted() {
        let (list, create) = (list_rule(&[OLD]), create_rule());
        let (del_old, del_new) = (delete_rule(OLD, None), delete_rule(NEW, None));
        let accepts = sts_accepts(true);
        let account = live(
            iam_client(&[&list, &create, &del_old, &del_new]),
            sts_client(&accepts),
        );
        let slot = FakeSlot::new(None);
        let id = rotate(&account, &slot, &old_keys(), "alice", &quick()).unwrap();
        assert_eq!(id, NEW);
        assert_eq!(*slot.stored.borrow(), vec![NEW.to_string()]);
        assert_eq!(accepts.num_calls(), 1);
        assert_eq!((del_old.num_calls(), del_new.num_calls()), (1, 0));
    }

    /// An account whose CreateAccessKey answer is lost after IAM made `made`.
    struct LostAnswer {
        made: Option<&'static str>,
        deletable: bool,
        created: RefCell<bool>,
        deleted: RefCell<Vec<String>>,
    }

    impl Account for LostAnswer {
        fn list_keys(&self) -> Result<Vec<KeyInfo>, AwsError> {
            let mut keys = vec![KeyInfo {
                access_key_id: OLD.into(),
                active: true,
            }];
            if let Some(made) = self.made.filter(|_| *self.created.borrow())
                && !self.deleted.borrow().iter().any(|d| d == made)
            {
                keys.push(KeyInfo {
                    access_key_id: made.into(),
                    active: true,
                });
            }
            Ok(keys)
        }

        fn create_key(&self) -> Result<Keys, AwsError> {
            *self.created.borrow_mut() = true;
            Err(AwsError {
                code: None,
                message: "timed out".into(),
            })
        }

        fn delete_key(&self, access_key_id: &str) -> Result<(), AwsError> {
            if !self.deletable {
                return Err(AwsError {
                    code: Some("AccessDenied".into()),
                    message: "no".into(),
                });
            }
            self.deleted.borrow_mut().push(access_key_id.into());
            Ok(())
        }

        fn accepts(&self, _: &Keys) -> Result<(), AwsError> {
            Ok(())
        }
    }

    #[test]
    fn a_lost_create_answer_deletes_the_key_iam_made_or_names_it() {
        for (made, deletable, expect) in [
            (Some(NEW), true, "awsesh deleted it"),
            (Some(NEW), false, "could not delete it"),
            (None, true, "IAM lists no new key"),
        ] {
            let account = LostAnswer {
                made,
                deletable,
                created: RefCell::new(false),
                deleted: RefCell::new(Vec::new()),
            };
            let slot = FakeSlot::new(None);
            let err = rotate(&account, &slot, &old_keys(), "alice", &quick())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{err}");
            assert!(!err.contains("nothing was changed"), "{err}");
            if made.is_some() {
                assert!(err.contains(NEW), "{err}");
            }
            assert_eq!(
                *account.deleted.borrow() == vec![NEW.to_string()],
                made.is_some() && deletable
            );
            assert!(slot.stored.borrow().is_empty());
        }
    }

    #[test]
    fn two_keys_already_stop_the_rotation_before_anything_changes() {
        let (list, create) = (list_rule(&[OLD, "AKIASPARESPARESPARE3"]), create_rule());
        let accepts = sts_accepts(true);
        let account = live(iam_client(&[&list, &create]), sts_client(&accepts));
        let slot = FakeSlot::new(None);
        let err = rotate(&account, &slot, &old_keys(), "alice", &quick())
            .unwrap_err()
            .to_string();
        assert!(err.contains("already has two access keys"), "{err}");
        assert!(err.contains("AKIASPARESPARESPARE3 (active)"), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(create.num_calls(), 0);
        assert!(slot.stored.borrow().is_empty());
    }

    #[test]
    fn iams_own_limit_gives_the_same_two_keys_message() {
        let list = list_rule(&[OLD]);
        let create = mock!(aws_sdk_iam::Client::create_access_key)
            .then_error(|| CreateAccessKeyError::generic(meta("LimitExceeded")));
        let accepts = sts_accepts(true);
        let account = live(iam_client(&[&list, &create]), sts_client(&accepts));
        let err = rotate(
            &account,
            &FakeSlot::new(None),
            &old_keys(),
            "alice",
            &quick(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("already has two access keys"), "{err}");
    }

    #[test]
    fn a_new_key_that_cannot_be_stored_is_deleted_and_the_old_one_stays() {
        let (list, create) = (list_rule(&[OLD]), create_rule());
        let (del_old, del_new) = (delete_rule(OLD, None), delete_rule(NEW, None));
        let accepts = sts_accepts(true);
        let account = live(
            iam_client(&[&list, &create, &del_old, &del_new]),
            sts_client(&accepts),
        );
        let slot = FakeSlot::new(Some(NEW));
        let err = rotate(&account, &slot, &old_keys(), "alice", &quick())
            .unwrap_err()
            .to_string();
        assert!(err.contains("the disk is full"), "{err}");
        assert!(
            err.contains(&format!("{OLD} is still active and in use")),
            "{err}"
        );
        assert_eq!((del_old.num_calls(), del_new.num_calls()), (0, 1));
        assert!(slot.stored.borrow().is_empty());
    }

    #[test]
    fn a_new_key_sts_never_accepts_is_rolled_back_within_the_deadline() {
        let (list, create) = (list_rule(&[OLD]), create_rule());
        let (del_old, del_new) = (delete_rule(OLD, None), delete_rule(NEW, None));
        let refuses = sts_accepts(false);
        let account = live(
            iam_client(&[&list, &create, &del_old, &del_new]),
            sts_client(&refuses),
        );
        let slot = FakeSlot::new(None);
        let started = std::time::Instant::now();
        let err = rotate(&account, &slot, &old_keys(), "alice", &quick())
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "bounded wait");
        assert!(refuses.num_calls() >= 2, "polled: {}", refuses.num_calls());
        assert!(err.contains("did not accept the new key"), "{err}");
        assert!(
            err.contains(&format!("{OLD} is active and in use")),
            "{err}"
        );
        assert_eq!(
            *slot.stored.borrow(),
            vec![NEW.to_string(), OLD.to_string()]
        );
        assert_eq!((del_old.num_calls(), del_new.num_calls()), (0, 1));
    }

    #[test]
    fn a_denied_delete_of_the_old_key_leaves_the_new_one_working_and_says_so() {
        let (list, create) = (list_rule(&[OLD]), create_rule());
        let (del_old, del_new) = (
            delete_rule(OLD, Some("AccessDenied")),
            delete_rule(NEW, None),
        );
        let accepts = sts_accepts(true);
        let account = live(
            iam_client(&[&list, &create, &del_old, &del_new]),
            sts_client(&accepts),
        );
        let slot = FakeSlot::new(None);
        let err = rotate(&account, &slot, &old_keys(), "alice", &quick())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("the new key {NEW} is in the test slot and works")),
            "{err}"
        );
        assert!(
            err.contains(&format!("the old key {OLD} could not be deleted")),
            "{err}"
        );
        assert!(err.contains("AccessDenied"), "{err}");
        assert_eq!(*slot.stored.borrow(), vec![NEW.to_string()]);
        assert_eq!(del_new.num_calls(), 0, "the working new key is kept");
    }
}
