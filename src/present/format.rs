//! Durations, counts and times as both front-ends write them.

use std::time::Duration;

use chrono::{DateTime, Local, SecondsFormat, Utc};

/// `1.2 s` or `340 ms`.
pub fn format_duration(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// A rate as people read it: `42/s` from ten a second up, `2.2/s` from one, and below one a
/// second, per minute the same way (`30/min`, `4.5/min`). Nothing (or nothing measurable)
/// is `0/s`. The one rule for every rate the CLI and the console print.
pub fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0/s".to_string();
    }
    if per_sec >= 1.0 {
        return format!("{}/s", round_for_people(per_sec));
    }
    let per_min = per_sec * 60.0;
    if per_min < 0.05 {
        "<0.1/min".to_string()
    } else {
        format!("{}/min", round_for_people(per_min))
    }
}

/// Whole from ten up, one decimal below (a `.0` kept, so `2.0/s` reads as measured).
fn round_for_people(n: f64) -> String {
    if n >= 9.95 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

/// How long an exchange took: `took 340 ms`; over several attempts `took 1.2 s over 3
/// attempts`, and when the client waited between them `…, waited 45.3 s` (the time
/// taken is time spent sending; the waits are apart).
pub fn timing(attempts: usize, took: Duration, waited: Duration) -> String {
    let mut out = format!("took {}", format_duration(took));
    if attempts > 1 {
        out.push_str(&format!(" over {attempts} attempts"));
    }
    if !waited.is_zero() {
        out.push_str(&format!(", waited {}", format_duration(waited)));
    }
    out
}

/// `1 attempt`, `3 attempts`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `2026-11-27T09:30:47.000Z`: an instant scripts and tickets can quote exactly.
pub fn utc_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2026-11-27 10:30:47 CET`, in the operator's time zone.
pub fn local_datetime(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `10:30:47`, in the operator's time zone.
pub fn local_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M:%S").to_string()
}

/// `10:30:47.038`: close enough to tell attempts a retry apart.
pub fn local_clock_millis(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M:%S%.3f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::TimeZone;

    #[test]
    fn rates_are_rounded_for_people() {
        assert_eq!(format_rate(2.2425), "2.2/s", "the rate the issue saw");
        assert_eq!(format_rate(1.0), "1.0/s");
        assert_eq!(format_rate(9.949), "9.9/s");
        assert_eq!(format_rate(9.96), "10/s");
        assert_eq!(format_rate(42.4999), "42/s");
        assert_eq!(format_rate(1234.4), "1234/s");
        assert_eq!(format_rate(0.5), "30/min");
        assert_eq!(format_rate(0.075), "4.5/min");
        assert_eq!(format_rate(0.0001), "<0.1/min");
        for nothing in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(format_rate(nothing), "0/s");
        }
    }

    #[test]
    fn durations_counts_and_instants() {
        assert_eq!(format_duration(Duration::from_millis(340)), "340 ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.2 s");
        assert_eq!(plural(1, "attempt"), "1 attempt");
        assert_eq!(plural(0, "attempt"), "0 attempts");
        assert_eq!(plural(4, "attempt"), "4 attempts");
        let ms = Duration::from_millis;
        assert_eq!(timing(1, ms(340), Duration::ZERO), "took 340 ms");
        assert_eq!(
            timing(3, ms(1234), Duration::ZERO),
            "took 1.2 s over 3 attempts"
        );
        assert_eq!(
            timing(3, ms(1234), ms(45_300)),
            "took 1.2 s over 3 attempts, waited 45.3 s"
        );
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 9, 30, 47).unwrap();
        assert_eq!(utc_millis(t), "2026-11-27T09:30:47.000Z");
        assert_eq!(local_clock_millis(t).len(), "09:30:47.000".len());
    }
}
