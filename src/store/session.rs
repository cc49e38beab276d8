//! A cached session and its on-disk format. Reads are strict: every field is
//! validated, and any problem makes the file a cache miss.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::sys::clock;

use crate::sys::secret::Secret;

/// Version 2: the expiry line in front of the JSON (version 1 had it in a
/// separate stamp file).
const FORMAT_VERSION: u64 = 2;

/// The number on the first line of a session file: ASCII digits only. Not
/// yet an expiry: `clock::stored_expiry` says whether it can be one.
pub fn stamp_of(first_line: &[u8]) -> Option<i64> {
    let line = first_line.split(|&b| b == b'\n').next()?;
    if line.is_empty() || line.len() > 18 || !line.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(line).ok()?.parse().ok()
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub profile: String,
    /// The MFA device the session was started with.
    pub mfa_serial: String,
    /// The long-term AccessKeyId it was obtained with (not a secret).
    pub source_access_key_id: String,
    pub credentials: Credentials,
    pub expiration: OffsetDateTime,
    /// The role assumed, for a role profile's session; None for an MFA session.
    pub role_arn: Option<String>,
    /// The profile's `region` when the session was started (empty when it
    /// had none): a hooked shell exports it to its children in place of
    /// `AWS_PROFILE`, and reading it here keeps the config out of the hot
    /// path. None for a file written before sessions recorded it.
    pub region: Option<String>,
}

/// `^[A-Z0-9]{16,128}$`
pub fn valid_access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Base64 characters only, non-empty and bounded.
pub fn valid_base64ish(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 8192
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
}

impl Credentials {
    /// Checks what STS (or a file) gave us before it is stored or emitted.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !valid_access_key_id(&self.access_key_id) {
            return Err("AccessKeyId");
        }
        if !valid_base64ish(self.secret_access_key.expose()) {
            return Err("SecretAccessKey");
        }
        if !valid_base64ish(self.session_token.expose()) {
            return Err("SessionToken");
        }
        Ok(())
    }
}

impl Session {
    /// The profile's `region`, which a hooked shell and `exec` give their
    /// children as `AWS_REGION` and `AWS_DEFAULT_REGION` in place of
    /// `AWS_PROFILE` (see docs/shell-integration.md). Recorded when the
    /// session was started: the hot path never reads the config. Empty when
    /// the profile has none, or one that is not a region's name.
    pub fn region_for_children(&self) -> String {
        self.region
            .clone()
            .filter(|r| {
                r.len() <= 32
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .unwrap_or_default()
    }

    pub fn expiration_rfc3339(&self) -> String {
        clock::rfc3339(self.expiration)
    }

    pub fn expiration_epoch(&self) -> i64 {
        self.expiration.unix_timestamp()
    }

    pub fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        clock::seconds_left(self.expiration.unix_timestamp(), now.unix_timestamp())
    }

    /// Fresh beyond `margin` seconds.
    pub fn is_fresh(&self, now: OffsetDateTime, margin: u64) -> bool {
        clock::fresh(self.seconds_left(now), margin)
    }

    /// The file format: the expiry in epoch seconds on the first line (what
    /// the shell hook reads with `read`), the session as JSON on the second.
    pub fn to_file(&self) -> String {
        format!("{}\n{}\n", self.expiration_epoch(), self.to_json())
    }

    /// Parses a session file; `None` for anything off, including a first
    /// line that disagrees with the JSON's expiration and an expiry outside
    /// the window of `clock::stored_expiry`.
    pub fn from_file(bytes: &[u8]) -> Option<Session> {
        Session::from_file_at(bytes, clock::now_epoch())
    }

    /// `from_file`, as read at `now` (epoch seconds).
    pub fn from_file_at(bytes: &[u8], now: i64) -> Option<Session> {
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let (first, rest) = bytes.split_at(newline);
        let stamp = clock::stored_expiry(stamp_of(first)?, now)?;
        let session = Session::from_json(rest.get(1..)?, now)?;
        (stamp == session.expiration).then_some(session)
    }

    fn to_json(&self) -> String {
        let mut value = json!({
            "version": FORMAT_VERSION,
            "profile": self.profile,
            "mfa_serial": self.mfa_serial,
            "source_access_key_id": self.source_access_key_id,
            "access_key_id": self.credentials.access_key_id,
            "secret_access_key": self.credentials.secret_access_key.expose(),
            "session_token": self.credentials.session_token.expose(),
            "expiration": self.expiration_rfc3339(),
        });
        if let (Some(role_arn), Some(map)) = (&self.role_arn, value.as_object_mut()) {
            map.insert("role_arn".into(), json!(role_arn));
        }
        if let Some(map) = value.as_object_mut() {
            map.insert("region".into(), json!(self.region.as_deref().unwrap_or("")));
        }
        value.to_string()
    }

    fn from_json(bytes: &[u8], now: i64) -> Option<Session> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        if v.get("version")?.as_u64()? != FORMAT_VERSION {
            return None;
        }
        let text = |key: &str| v.get(key)?.as_str().map(str::to_string);
        let session = Session {
            profile: text("profile").filter(|p| !p.is_empty())?,
            mfa_serial: text("mfa_serial")?,
            source_access_key_id: text("source_access_key_id")?,
            credentials: Credentials {
                access_key_id: text("access_key_id")?,
                secret_access_key: Secret::new(text("secret_access_key")?),
                session_token: Secret::new(text("session_token")?),
            },
            expiration: clock::stored_expiry_rfc3339(&text("expiration")?, now)?,
            role_arn: match v.get("role_arn") {
                None => None,
                Some(arn) => Some(arn.as_str()?.to_string()),
            },
            region: match v.get("region") {
                None => None,
                Some(region) => Some(region.as_str()?.to_string()),
            },
        };
        session.credentials.validate().ok()?;
        Some(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_799_990_000;

    fn sample() -> Session {
        Session {
            profile: "p".into(),
            mfa_serial: "arn:aws:iam::1:mfa/u".into(),
            source_access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
            credentials: Credentials {
                access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
                secret_access_key: Secret::new("c2VjcmV0+/="),
                session_token: Secret::new("dG9rZW4="),
            },
            expiration: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            role_arn: None,
            region: Some("eu-west-1".into()),
        }
    }

    #[test]
    fn round_trips_and_renders_z() {
        let s = sample();
        let back = Session::from_file_at(s.to_file().as_bytes(), NOW).unwrap();
        assert_eq!(back.credentials.access_key_id, s.credentials.access_key_id);
        assert_eq!(back.expiration, s.expiration);
        assert_eq!(s.expiration_rfc3339(), "2027-01-15T08:00:00Z");
        assert_eq!(back.role_arn, None);
        assert_eq!(back.region.as_deref(), Some("eu-west-1"));
        // A profile without a region is recorded as such (no config read
        // later); a file from before regions were recorded says nothing.
        let none = Session {
            region: Some(String::new()),
            ..s.clone()
        };
        let back = Session::from_file_at(none.to_file().as_bytes(), NOW).unwrap();
        assert_eq!(back.region.as_deref(), Some(""));
        let old = none.to_file().replace(",\"region\":\"\"", "");
        assert!(!old.contains("region"), "{old}");
        let back = Session::from_file_at(old.as_bytes(), NOW).unwrap();
        assert_eq!(back.region, None);
        let role = Session {
            role_arn: Some("arn:aws:iam::1:role/r".into()),
            ..s
        };
        let back = Session::from_file_at(role.to_file().as_bytes(), NOW).unwrap();
        assert_eq!(back.role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
    }

    #[test]
    fn rejects_bad_fields() {
        let good: Value = serde_json::from_str(&sample().to_json()).unwrap();
        for (key, bad) in [
            ("access_key_id", json!("asia-lower")),
            ("secret_access_key", json!("a'b")),
            ("session_token", json!("")),
            ("expiration", json!("2027-01-15T08:00:00")),
            ("version", json!(1)),
            ("profile", json!(7)),
            ("role_arn", json!(7)),
        ] {
            let mut v = good.clone();
            v[key] = bad;
            assert!(
                Session::from_json(v.to_string().as_bytes(), NOW).is_none(),
                "{key}"
            );
        }
        assert!(Session::from_json(b"", NOW).is_none());
        assert!(Session::from_json(b"{not json", NOW).is_none());
    }

    #[test]
    fn the_first_line_must_be_the_expiry() {
        let s = sample();
        let json = s.to_json();
        assert!(Session::from_file_at(format!("1800000000\n{json}\n").as_bytes(), NOW).is_some());
        for first in ["1800000001", "", "-1800000000", " 1800000000", "18e8", "x"] {
            let text = format!("{first}\n{json}\n");
            assert!(
                Session::from_file_at(text.as_bytes(), NOW).is_none(),
                "{first:?}"
            );
        }
        assert!(
            Session::from_file_at(json.as_bytes(), NOW).is_none(),
            "no stamp line"
        );
        assert_eq!(stamp_of(b"42\nrest"), Some(42));
        assert_eq!(stamp_of(b"9999999999999999999"), None);
    }

    /// A session file with `expiration` in the JSON and a first line that
    /// agrees with it, as an attacker (or a bug) would plant.
    fn planted(expiration: &str, first_line: &str) -> String {
        let mut v: Value = serde_json::from_str(&sample().to_json()).unwrap();
        v["expiration"] = json!(expiration);
        format!("{first_line}\n{v}\n")
    }

    #[test]
    fn expiries_at_the_edge_of_the_range_are_misses() {
        for (expiration, first) in [
            ("9999-12-31T23:59:59-23:59", "253402386339"),
            ("9999-12-31T23:59:59Z", "253402300799"),
            ("0000-01-01T00:00:00+23:59", "0"),
            ("1970-01-01T00:00:00Z", "0"),
            ("2100-01-01T00:00:00Z", "4102444800"),
        ] {
            let text = planted(expiration, first);
            assert!(
                Session::from_file_at(text.as_bytes(), NOW).is_none(),
                "{expiration}"
            );
        }
        let absurd = planted("2027-01-15T08:00:00Z", "999999999999999999");
        assert!(Session::from_file_at(absurd.as_bytes(), NOW).is_none());
        let expired = planted("2020-01-01T00:00:00Z", "1577836800");
        assert!(
            Session::from_file_at(expired.as_bytes(), NOW).is_some(),
            "an expired session is still read, for status"
        );
    }

    fn arb_session() -> impl Strategy<Value = Session> {
        (
            "\\PC{1,64}",
            ".{0,80}",
            "[A-Z0-9]{16,128}",
            "[A-Za-z0-9+/=]{1,200}",
            "[A-Za-z0-9+/=]{1,400}",
            clock::EARLIEST_EPOCH..=NOW + clock::LONGEST_SESSION_SECS,
            proptest::option::of(".{0,80}"),
        )
            .prop_map(
                |(profile, mfa_serial, key, secret, token, epoch, role_arn)| Session {
                    profile,
                    mfa_serial,
                    source_access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
                    credentials: Credentials {
                        access_key_id: key,
                        secret_access_key: Secret::new(secret),
                        session_token: Secret::new(token),
                    },
                    expiration: OffsetDateTime::from_unix_timestamp(epoch).unwrap(),
                    role_arn,
                    region: None,
                },
            )
    }

    proptest! {
        #[test]
        fn session_files_round_trip(s in arb_session()) {
            let back = Session::from_file_at(s.to_file().as_bytes(), NOW);
            prop_assert!(back.is_some());
            let back = back.unwrap();
            prop_assert_eq!(&back.profile, &s.profile);
            prop_assert_eq!(&back.mfa_serial, &s.mfa_serial);
            prop_assert_eq!(&back.credentials.access_key_id, &s.credentials.access_key_id);
            prop_assert_eq!(back.credentials.secret_access_key.expose(), s.credentials.secret_access_key.expose());
            prop_assert_eq!(back.credentials.session_token.expose(), s.credentials.session_token.expose());
            prop_assert_eq!(back.expiration, s.expiration);
            prop_assert_eq!(&back.role_arn, &s.role_arn);
            prop_assert_eq!(stamp_of(s.to_file().as_bytes()), Some(s.expiration_epoch()));
        }

        #[test]
        fn the_parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512), now in any::<i64>()) {
            let _ = Session::from_file_at(&bytes, now);
            let _ = stamp_of(&bytes);
        }

        #[test]
        fn the_parser_never_panics_on_near_valid_files(
            first in "-?[0-9]{0,20}",
            expiration in "[+-]?[0-9]{1,6}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})",
            now in any::<i64>(),
        ) {
            let text = planted(&expiration, &first);
            if let Some(s) = Session::from_file_at(text.as_bytes(), now) {
                // Whatever is accepted is safe to render and compute with.
                let _ = s.expiration_rfc3339();
                let _ = clock::local(s.expiration);
                let _ = s.is_fresh(clock::now(), u64::MAX);
                prop_assert!(s.expiration_epoch() >= clock::EARLIEST_EPOCH);
            }
        }
    }
}
