//! hashicorp/time: `time_static` takes the time once; `time_sleep` waits
//! after create (`create_duration`) and before destroy (`destroy_duration`).

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::Offset;
use strata_core::Value;
use strata_provider::ProviderError;

use crate::args::Object;
use crate::invalid;

/// The longest wait a `time_sleep` may ask for.
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

pub(crate) fn create_static(o: &mut Object) -> Result<(), ProviderError> {
    let stamp = match o.string("rfc3339") {
        Some(s) => s.parse::<Timestamp>().map_err(|e| invalid(format!("rfc3339 {s:?} is not an RFC 3339 time stamp: {e}")))?,
        None => Timestamp::now(),
    };
    let text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let at = Offset::UTC.to_datetime(stamp);
    let parts = [
        ("year", i64::from(at.year())),
        ("month", i64::from(at.month())),
        ("day", i64::from(at.day())),
        ("hour", i64::from(at.hour())),
        ("minute", i64::from(at.minute())),
        ("second", i64::from(at.second())),
        ("unix", stamp.as_second()),
    ];
    for (name, n) in parts {
        o.set(name, Value::Number(n as f64));
    }
    // An rfc3339 given is kept as written (the configuration's value).
    if o.string("rfc3339").is_none() {
        o.set("rfc3339", Value::string(text.clone()));
    }
    o.set("id", Value::string(o.string("rfc3339").unwrap_or(&text).to_string()));
    Ok(())
}

/// The wait an argument asks for (none when unset).
pub(crate) fn duration(o: &Object, name: &str) -> Result<Option<Duration>, ProviderError> {
    let Some(text) = o.string(name) else { return Ok(None) };
    let d = strata_core::time::parse_duration(text)
        .ok_or_else(|| invalid(format!("{name} {text:?} is not a duration (write e.g. 30s, 5m or 1h30m)")))?;
    if d > MAX_SLEEP {
        return Err(invalid(format!("{name} {text:?} is longer than 24h")));
    }
    Ok(Some(d))
}

pub(crate) async fn sleep(d: Option<Duration>) {
    if let Some(d) = d {
        tokio::time::sleep(d).await;
    }
}

pub(crate) fn create_sleep(o: &mut Object) {
    o.set("id", Value::string(strata_core::time::now_rfc3339()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_time_stamp_is_split() {
        let mut o = Object::new(&Value::map([("rfc3339", Value::string("2024-02-29T23:59:58Z"))])).unwrap();
        create_static(&mut o).unwrap();
        let v = o.finish();
        let m = v.as_map().unwrap();
        assert_eq!(m["year"], Value::Number(2024.0));
        assert_eq!(m["month"], Value::Number(2.0));
        assert_eq!(m["day"], Value::Number(29.0));
        assert_eq!(m["second"], Value::Number(58.0));
        assert_eq!(m["unix"], Value::Number(1_709_251_198.0));
        assert_eq!(m["id"], Value::string("2024-02-29T23:59:58Z"));
        let mut o = Object::new(&Value::map([("rfc3339", Value::string("yesterday"))])).unwrap();
        assert!(create_static(&mut o).is_err());
    }

    #[test]
    fn durations_are_checked() {
        let o = Object::new(&Value::map([("create_duration", Value::string("10ms")), ("destroy_duration", Value::string("ten"))])).unwrap();
        assert_eq!(duration(&o, "create_duration").unwrap(), Some(Duration::from_millis(10)));
        assert!(duration(&o, "destroy_duration").is_err());
        assert_eq!(duration(&o, "missing").unwrap(), None);
    }
}
