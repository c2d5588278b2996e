//! Time stamps and durations, through jiff: RFC 3339 time stamps in UTC
//! (`2026-11-23T13:00:00Z`) for state records, lock holders and reports, and
//! durations as Terraform writes them (`40m`, `1h30m`, `1.5h`, `500ms`).

use std::time::{Duration, SystemTime};

use jiff::{SignedDuration, Timestamp};

/// The current time as an RFC 3339 UTC time stamp with second precision.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// Format a time as `YYYY-MM-DDTHH:MM:SSZ` (UTC, fractions of a second
/// dropped: the second is the one the instant falls in). A time outside
/// jiff's range (years -9999 to 9999, the last instant
/// 9999-12-30T22:00:00Z) is clamped to its ends.
pub fn rfc3339(t: SystemTime) -> String {
    let ts = Timestamp::try_from(t).unwrap_or_else(|_| if t > SystemTime::UNIX_EPOCH { Timestamp::MAX } else { Timestamp::MIN });
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A duration as Terraform (Go's `time.ParseDuration`) writes them: one or
/// more numbers with a unit of `h`, `m`, `s`, `ms`, `us`/`µs` or `ns`
/// (`40m`, `1h30m`, `1.5h`, `500ms`). jiff parses them; its other spellings
/// (`5 minutes`, ISO 8601's `PT5M`), which Terraform refuses, are refused
/// first, so that a configuration means the same under both. A bare number,
/// a calendar unit (days and longer) or a negative duration is `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let go_shaped = s.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && s.chars().all(|c| c.is_ascii_digit() || c == '.' || matches!(c, 'h' | 'm' | 's' | 'u' | 'µ' | 'n'));
    if !go_shaped {
        return None;
    }
    let d: SignedDuration = s.parse().ok()?;
    Duration::try_from(d).ok()
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: i64) -> String {
        let t =
            if secs >= 0 { UNIX_EPOCH + Duration::from_secs(secs as u64) } else { UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) };
        rfc3339(t)
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(at(1_709_251_200), "2024-03-01T00:00:00Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
        // jiff's last instant; later ones are clamped to it.
        assert_eq!(at(253_402_207_200), "9999-12-30T22:00:00Z");
        assert_eq!(at(253_402_300_799), "9999-12-30T22:00:00Z");
        assert_eq!(at(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn drops_fractions_and_rounds_pre_epoch_down() {
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(59_999)), "1970-01-01T00:00:59Z");
        assert_eq!(rfc3339(UNIX_EPOCH - Duration::from_millis(500)), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn now_has_the_rfc3339_shape() {
        let s = now_rfc3339();
        assert_eq!(s.len(), 20, "{s}");
        assert!(s.starts_with("20") && s.ends_with('Z') && &s[10..11] == "T", "{s}");
    }

    #[test]
    fn terraform_durations() {
        let check = |s: &str, expect: Option<Duration>| assert_eq!(parse_duration(s), expect, "{s:?}");
        check("40m", Some(Duration::from_secs(2400)));
        check("1h30m", Some(Duration::from_secs(5400)));
        check("1h", Some(Duration::from_secs(3600)));
        check("900s", Some(Duration::from_secs(900)));
        check("1.5h", Some(Duration::from_secs(5400)));
        check("500ms", Some(Duration::from_millis(500)));
        check(" 5m ", Some(Duration::from_secs(300)));
        check("0s", Some(Duration::ZERO));
        check("15", None);
        check("", None);
        check("1d", None);
        check("-5m", None);
        check("5x", None);
        check("5 minutes", None);
        check("PT5M", None);
        check("250us", Some(Duration::from_micros(250)));
        check("7ns", Some(Duration::from_nanos(7)));
    }
}
