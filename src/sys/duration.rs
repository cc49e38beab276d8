//! Durations as users type them (`12h`, `90m`, `1h30m`, `3600`) and time
//! left as the prompt shows it (`11h42m`, `42m`, `<1m`, `expired`).

use crate::sys::error::{Error, Result};

/// Parses `12h`, `90m`, `1h30m`, `45s` or plain seconds into seconds.
pub fn parse(text: &str) -> Result<u64> {
    let bad = || Error::BadDuration(text.to_string());
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// Parses a session duration and checks GetSessionToken's bounds (900–129600 s).
pub fn parse_session(text: &str) -> Result<u64> {
    let secs = parse(text)?;
    if !(900..=129_600).contains(&secs) {
        return Err(Error::BadDuration(text.to_string()));
    }
    Ok(secs)
}

/// A length of time as users type it: `12h`, `15m`, `1h30m`, `45s`.
pub fn short(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        "0s".to_string()
    } else {
        out
    }
}

/// `11h42m` at or above an hour, `42m` below, `<1m` under a minute (not
/// `0m`, which reads as over), `expired` at or below zero — as the shell
/// hooks print it.
pub fn time_left(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_string();
    }
    if seconds < 60 {
        return "<1m".to_string();
    }
    let minutes = seconds / 60;
    if minutes >= 60 {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_plain_seconds() {
        assert_eq!(parse("12h").unwrap(), 43_200);
        assert_eq!(parse("90m").unwrap(), 5_400);
        assert_eq!(parse("1h30m").unwrap(), 5_400);
        assert_eq!(parse("3600").unwrap(), 3_600);
        assert!(parse("12x").is_err());
        assert!(parse("h").is_err());
        assert!(parse("12h3").is_err());
    }

    #[test]
    fn session_duration_bounds() {
        assert!(parse_session("14m").is_err());
        assert!(parse_session("37h").is_err());
        assert_eq!(parse_session("36h").unwrap(), 129_600);
    }

    #[test]
    fn short_lengths_read_as_typed() {
        assert_eq!(short(43_200), "12h");
        assert_eq!(short(5_400), "1h30m");
        assert_eq!(short(900), "15m");
        assert_eq!(short(45), "45s");
        assert_eq!(short(0), "0s");
        for secs in [1, 59, 61, 3599, 3601, 86_399, 129_600] {
            assert_eq!(parse(&short(secs)).unwrap(), secs);
        }
    }

    #[test]
    fn formats_time_left() {
        assert_eq!(time_left(11 * 3600 + 42 * 60 + 59), "11h42m");
        assert_eq!(time_left(3600), "1h00m");
        assert_eq!(time_left(42 * 60 + 5), "42m");
        assert_eq!(time_left(60), "1m");
        assert_eq!(time_left(59), "<1m");
        assert_eq!(time_left(1), "<1m");
        assert_eq!(time_left(0), "expired");
        assert_eq!(time_left(-5), "expired");
    }
}
