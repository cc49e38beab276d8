//! Time, in one place. Every expiry awsesh takes in — a session file's
//! first line or JSON, an STS answer — goes through one checked conversion
//! that refuses anything outside a sane window, so nothing later (time
//! left, freshness, the stamp line, RFC 3339 or local rendering) can
//! overflow or panic on it. Arithmetic on seconds saturates.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// No session expires before 2000-01-01T00:00:00Z.
pub const EARLIEST_EPOCH: i64 = 946_684_800;
/// The longest session STS issues: GetSessionToken's 36 h (roles: 12 h).
pub const LONGEST_SESSION_SECS: i64 = 129_600;
/// How far our clock may be behind STS's (SigV4 refuses 15 min and more).
pub const SKEW_SECS: i64 = 900;

/// Now, in epoch seconds; negative before 1970, never a panic.
pub fn now_epoch() -> i64 {
    let now = std::time::SystemTime::now();
    match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Now, as a date; the epoch itself if the system clock is out of range.
pub fn now() -> OffsetDateTime {
    at(now_epoch()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn at(epoch: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(epoch).ok()
}

/// The latest expiry that can be real at `now`.
fn latest(now: i64) -> i64 {
    now.saturating_add(LONGEST_SESSION_SECS + SKEW_SECS)
}

/// An expiry read back from a file: between 2000 and the longest session
/// from now (an expired session is still one, for `status`). Anything else
/// is not a session we wrote: the caller treats it as a cache miss.
pub fn stored_expiry(epoch: i64, now: i64) -> Option<OffsetDateTime> {
    if (EARLIEST_EPOCH..=latest(now)).contains(&epoch) {
        at(epoch)
    } else {
        None
    }
}

/// `stored_expiry` of an RFC 3339 text (with its offset), in UTC.
pub fn stored_expiry_rfc3339(text: &str, now: i64) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    stored_expiry(parsed.unix_timestamp(), now)
}

/// An expiry STS just gave: later than now and no later than the longest
/// session. The reason is for "STS returned credentials that fail validation".
pub fn issued_expiry(epoch: i64, now: i64) -> Result<OffsetDateTime, &'static str> {
    if epoch <= now {
        return Err("an Expiration in the past");
    }
    if epoch > latest(now) {
        return Err("an Expiration beyond the longest session STS issues");
    }
    at(epoch).ok_or("an Expiration out of range")
}

/// Seconds from `now` to `expiry`, saturating.
pub fn seconds_left(expiry: i64, now: i64) -> i64 {
    expiry.saturating_sub(now)
}

/// More than `margin` seconds left (a margin beyond i64 is never met).
pub fn fresh(seconds_left: i64, margin: u64) -> bool {
    i64::try_from(margin).is_ok_and(|margin| seconds_left > margin)
}

/// RFC 3339 in UTC with `Z` and whole seconds, which starship and the AWS
/// tools read. Falls back to the epoch seconds rather than panic.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.checked_to_offset(UtcOffset::UTC)
        .map(|utc| utc.replace_nanosecond(0).unwrap_or(utc))
        .and_then(|utc| utc.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.unix_timestamp().to_string())
}

/// Local wall-clock time, e.g. `2026-11-24 16:50:31 +01:00`; UTC when the
/// local offset is unknown or the date would leave the representable range.
pub fn local(at: OffsetDateTime) -> String {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let local = at
        .checked_to_offset(offset)
        .or_else(|| at.checked_to_offset(UtcOffset::UTC))
        .unwrap_or(at);
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    local
        .format(&format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn stored_expiries_outside_the_window_are_refused() {
        assert!(stored_expiry(NOW, NOW).is_some());
        assert!(
            stored_expiry(NOW - 86_400 * 365, NOW).is_some(),
            "expired is kept"
        );
        assert!(stored_expiry(NOW + LONGEST_SESSION_SECS, NOW).is_some());
        assert!(stored_expiry(EARLIEST_EPOCH - 1, NOW).is_none());
        assert!(stored_expiry(NOW + LONGEST_SESSION_SECS + SKEW_SECS + 1, NOW).is_none());
        assert!(stored_expiry(i64::MAX, NOW).is_none());
        assert!(stored_expiry(i64::MIN, NOW).is_none());
        assert!(
            stored_expiry(253_402_300_799, i64::MAX).is_some(),
            "year 9999 is still a date"
        );
        assert!(
            stored_expiry(253_402_300_800, i64::MAX).is_none(),
            "year 10000 is not"
        );
        for edge in [
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59Z",
            "1999-12-31T23:59:59Z",
        ] {
            assert!(stored_expiry_rfc3339(edge, NOW).is_none(), "{edge}");
        }
        let kept = stored_expiry_rfc3339("2027-01-15T09:00:00.5+01:00", NOW).unwrap();
        assert_eq!(rfc3339(kept), "2027-01-15T08:00:00Z");
    }

    #[test]
    fn sts_expiries_must_be_ahead_and_not_absurd() {
        assert!(issued_expiry(NOW + 3600, NOW).is_ok());
        assert!(
            issued_expiry(NOW + LONGEST_SESSION_SECS + 60, NOW).is_ok(),
            "skew"
        );
        assert_eq!(
            issued_expiry(NOW, NOW).unwrap_err(),
            "an Expiration in the past"
        );
        assert!(issued_expiry(NOW - 1, NOW).is_err());
        assert!(issued_expiry(i64::MIN, NOW).is_err());
        assert!(issued_expiry(i64::MAX, NOW).is_err());
        assert!(issued_expiry(253_402_300_799, NOW).is_err());
        assert!(issued_expiry(i64::MAX, i64::MAX - 10).is_err());
    }

    #[test]
    fn freshness_and_time_left_saturate() {
        assert_eq!(seconds_left(i64::MAX, i64::MIN), i64::MAX);
        assert_eq!(seconds_left(i64::MIN, i64::MAX), i64::MIN);
        assert!(fresh(301, 300));
        assert!(!fresh(300, 300));
        assert!(
            !fresh(i64::MAX, u64::MAX),
            "a margin beyond i64 is never met"
        );
        assert!(!fresh(-5, 0));
    }

    #[test]
    fn rendering_never_panics_at_the_edges() {
        let edges = [
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX),
            OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT),
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX)
                .replace_offset(UtcOffset::from_hms(-23, -59, -59).unwrap()),
            OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT)
                .replace_offset(UtcOffset::from_hms(23, 59, 59).unwrap()),
        ];
        for edge in edges {
            assert!(!rfc3339(edge).is_empty());
            assert!(!local(edge).is_empty());
        }
        assert!(now_epoch() > EARLIEST_EPOCH);
    }

    proptest! {
        #[test]
        fn conversions_never_panic_and_stay_in_the_window(epoch in any::<i64>(), now in any::<i64>()) {
            if let Some(at) = stored_expiry(epoch, now) {
                prop_assert!(at.unix_timestamp() >= EARLIEST_EPOCH);
                prop_assert!(at.unix_timestamp() <= latest(now));
                let text = rfc3339(at);
                prop_assert_eq!(stored_expiry_rfc3339(&text, now), Some(at));
                let _ = local(at);
            }
            if let Ok(at) = issued_expiry(epoch, now) {
                prop_assert!(at.unix_timestamp() > now);
                prop_assert!(stored_expiry(at.unix_timestamp(), now).is_some() || now < EARLIEST_EPOCH);
            }
            let left = seconds_left(epoch, now);
            prop_assert!(i128::from(left) == (i128::from(epoch) - i128::from(now)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)));
            let _ = crate::sys::duration::time_left(left);
        }

        #[test]
        fn freshness_is_exact(left in any::<i64>(), margin in any::<u64>()) {
            prop_assert_eq!(fresh(left, margin), i128::from(left) > i128::from(margin));
        }

        #[test]
        fn any_rfc3339_text_is_handled(text in "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})?(Z|[+-][0-2][0-9]:[0-5][0-9])", now in any::<i64>()) {
            if let Some(at) = stored_expiry_rfc3339(&text, now) {
                prop_assert_eq!(at.offset(), UtcOffset::UTC);
                let _ = local(at);
            }
        }
    }
}
