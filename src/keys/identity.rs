//! Whether a profile's MFA device (`mfa_serial`) can be the device of the
//! IAM user whose key the profile holds: a key of another identity (a second
//! set of AWS files or another user's key added over the profile) shows as
//! a device in another account or named after another user.

/// What the two ARNs alone say.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// Same account, and the device is named after the user (as the console
    /// and `awsesh mfa enroll` name it).
    Same,
    /// The device is in another account: certainly another identity's.
    OtherAccount { key: String, device: String },
    /// Same account, another name: only IAM can tell whose device it is.
    OtherName,
    /// Either ARN is not one of an IAM user / MFA device (root, a role…).
    Unknown,
}

/// `arn:PART:iam::ACCOUNT:KIND/path/NAME` → (ACCOUNT, NAME) for that KIND.
fn account_and_name<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let rest = resource.strip_prefix(kind)?.strip_prefix('/')?;
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some((account, name))
}

/// Compares the key's user (`user_arn`, from STS or the keyring item) with
/// the profile's device.
pub fn compare(user_arn: &str, device_arn: &str) -> Match {
    let (Some((key_account, user)), Some((device_account, device))) = (
        account_and_name(user_arn, "user"),
        account_and_name(device_arn, "mfa"),
    ) else {
        return Match::Unknown;
    };
    if key_account != device_account {
        return Match::OtherAccount {
            key: key_account.to_string(),
            device: device_account.to_string(),
        };
    }
    if user == device {
        Match::Same
    } else {
        Match::OtherName
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_of_another_account_or_name_is_told_apart() {
        let alice = "arn:aws:iam::111122223333:user/team/alice";
        assert_eq!(
            compare(alice, "arn:aws:iam::111122223333:mfa/alice"),
            Match::Same
        );
        assert_eq!(
            compare(alice, "arn:aws:iam::111122223333:mfa/bob"),
            Match::OtherName
        );
        assert_eq!(
            compare(alice, "arn:aws:iam::444455556666:mfa/alice"),
            Match::OtherAccount {
                key: "111122223333".into(),
                device: "444455556666".into()
            }
        );
        assert_eq!(
            compare(
                "arn:aws-cn:iam::111122223333:user/alice",
                "arn:aws-cn:iam::111122223333:mfa/alice"
            ),
            Match::Same
        );
        for odd in [
            "",
            "arn:aws:iam::111122223333:root",
            "alice",
            "arn:aws:sts::1:assumed-role/r/s",
            "arn:aws:iam::1:user/",
        ] {
            assert_eq!(
                compare(odd, "arn:aws:iam::111122223333:mfa/alice"),
                Match::Unknown,
                "{odd}"
            );
            assert_eq!(compare(alice, odd), Match::Unknown, "{odd}");
        }
    }
}
