//! A server's rate-limit policy and budget, read from an answer's headers in every form
//! servers send them:
//!
//! - `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (the contract's);
//! - the IETF draft's structured fields: `RateLimit-Policy: "default";q=120;w=60` (each
//!   quota: `q` requests every `w` seconds) with `RateLimit: "default";r=50;t=30` (`r` left,
//!   `t` seconds until more), and its dictionary form `RateLimit: limit=120, remaining=50,
//!   reset=30`;
//! - the draft's older form: `RateLimit-Policy: 120;w=60;burst=10` and
//!   `RateLimit-Limit` (which may list quotas too: `10, 10;w=1, 50;w=60`),
//!   `RateLimit-Remaining`, `RateLimit-Reset`.
//!
//! Whatever a server sends, reading never panics and never trusts a number beyond what it
//! can hold: counts saturate, a field that does not parse is left out, a quota of nothing
//! or over no time is ignored.

use std::time::Duration;

use sfv::{BareItem, Dictionary, Item, List, ListEntry, Parameters, Parser};

use super::retry::parse_count;

/// A reset this large is a point in time (Unix seconds), as some servers send it, when it
/// lies between now and a year ahead; below it, always seconds from now.
const UNIX_TIME_FLOOR: u64 = 1_000_000_000;
/// How far ahead a reset read as a point in time may lie.
const UNIX_TIME_AHEAD: u64 = 366 * 86_400;

/// One quota: at most `limit` requests in every `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub window: Duration,
    /// Requests allowed at once beyond the steady rate, when the server says so.
    pub burst: Option<u64>,
}

impl Quota {
    /// A quota, unless it allows nothing or spans no time.
    pub fn new(limit: u64, window: Duration, burst: Option<u64>) -> Option<Quota> {
        (limit > 0 && !window.is_zero()).then_some(Quota {
            limit,
            window,
            burst,
        })
    }

    /// `per_minute` requests a minute, as a profile says.
    pub fn per_minute(per_minute: u32) -> Option<Quota> {
        Quota::new(u64::from(per_minute), Duration::from_secs(60), None)
    }
}

/// What an answer's headers say about the rate limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHeaders {
    /// Requests allowed in the current window.
    pub limit: Option<u64>,
    /// Requests left before the server refuses.
    pub remaining: Option<u64>,
    /// Seconds until more are allowed (a point in time already turned into seconds).
    pub reset_secs: Option<u64>,
    /// The policy: every quota the server names (the tightest one binds).
    pub quotas: Vec<Quota>,
}

impl RateHeaders {
    /// True when the headers say anything about the rate limit.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none()
            && self.remaining.is_none()
            && self.reset_secs.is_none()
            && self.quotas.is_empty()
    }
}

/// Reads the rate-limit headers among `headers` (names in any case). `now_unix` (seconds
/// since 1970) turns a reset sent as a point in time into seconds from now.
pub fn read_rate_headers(headers: &[(String, String)], now_unix: u64) -> RateHeaders {
    let field = |name: &str| joined(headers, name);
    let mut read = RateHeaders::default();

    // The draft's current form first: it names its quotas, so it is the most precise.
    if let Some(value) = field("ratelimit") {
        let (remaining, reset) = budget_field(&value);
        read.remaining = remaining;
        read.reset_secs = reset;
    }
    if let Some(value) = field("ratelimit-policy") {
        read.quotas = policies(&value);
    }
    // The older form.
    if let Some(value) = field("ratelimit-limit") {
        let (limit, quotas) = limit_field(&value);
        read.limit = read.limit.or(limit);
        if read.quotas.is_empty() {
            read.quotas = quotas;
        }
    }
    let count = |name: &str| field(name).as_deref().and_then(integer_field);
    read.remaining = read.remaining.or_else(|| count("ratelimit-remaining"));
    read.reset_secs = read.reset_secs.or_else(|| count("ratelimit-reset"));
    // The contract's own headers win where they are sent: the API documents them.
    let plain = |name: &str| field(name).as_deref().and_then(parse_count);
    read.limit = plain("x-ratelimit-limit").or(read.limit);
    read.remaining = plain("x-ratelimit-remaining").or(read.remaining);
    read.reset_secs = plain("x-ratelimit-reset").or(read.reset_secs);
    if read.limit.is_none() {
        read.limit = read.quotas.iter().map(|q| q.limit).min();
    }
    read.reset_secs = read.reset_secs.map(|secs| seconds_from_now(secs, now_unix));
    read
}

/// A reset as seconds from now: a point in time (Unix seconds from now to a year ahead)
/// becomes the seconds until it; any other number is taken as seconds already.
pub fn seconds_from_now(reset: u64, now_unix: u64) -> u64 {
    if reset >= UNIX_TIME_FLOOR && reset <= now_unix.saturating_add(UNIX_TIME_AHEAD) {
        reset.saturating_sub(now_unix)
    } else {
        reset
    }
}

/// Every value of the header `name`, joined as HTTP joins repeated fields.
fn joined(headers: &[(String, String)], name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// A non-negative integer; a structured-field integer holds at most 15 digits.
fn count(item: &BareItem) -> Option<u64> {
    item.as_integer()
        .and_then(|n| u64::try_from(i64::from(n)).ok())
}

/// Seconds as an integer or a decimal (to the millisecond), not negative.
fn seconds(item: &BareItem) -> Option<Duration> {
    if let Some(secs) = count(item) {
        return Some(Duration::from_secs(secs));
    }
    let millis = i64::from(item.as_decimal()?.as_integer_scaled_1000());
    u64::try_from(millis).ok().map(Duration::from_millis)
}

fn param<'a>(params: &'a Parameters, name: &str) -> Option<&'a BareItem> {
    params.get(name)
}

/// `RateLimit`: the current form's list (`"name";r=50;t=30`, the entry with the fewest
/// left counts) or the dictionary of draft 7 (`limit=120, remaining=50, reset=30`).
fn budget_field(value: &str) -> (Option<u64>, Option<u64>) {
    if let Ok(list) = Parser::new(value).parse::<List>() {
        let tightest = items(&list)
            .filter_map(|item| {
                let left = param(&item.params, "r").and_then(count)?;
                Some((left, param(&item.params, "t").and_then(count)))
            })
            .min_by_key(|(left, _)| *left);
        if let Some((left, reset)) = tightest {
            return (Some(left), reset);
        }
    }
    if let Ok(dict) = Parser::new(value).parse::<Dictionary>() {
        let number = |name: &str| match dict.get(name) {
            Some(ListEntry::Item(item)) => count(&item.bare_item),
            _ => None,
        };
        return (number("remaining"), number("reset"));
    }
    (None, None)
}

/// `RateLimit-Policy`, in either form: `"name";q=120;w=60` or `120;w=60;burst=10`.
fn policies(value: &str) -> Vec<Quota> {
    let Ok(list) = Parser::new(value).parse::<List>() else {
        return Vec::new();
    };
    items(&list).filter_map(quota).collect()
}

/// `RateLimit-Limit`: the limit now (its first plain number), and any quotas it lists.
fn limit_field(value: &str) -> (Option<u64>, Vec<Quota>) {
    let Ok(list) = Parser::new(value).parse::<List>() else {
        return (None, Vec::new());
    };
    let limit = items(&list).find_map(|item| count(&item.bare_item));
    (limit, items(&list).filter_map(quota).collect())
}

/// A number sent as a structured-field item (`RateLimit-Remaining: 50`), or plain digits.
fn integer_field(value: &str) -> Option<u64> {
    match Parser::new(value).parse::<Item>() {
        Ok(item) => count(&item.bare_item),
        Err(_) => parse_count(value),
    }
}

fn items(list: &List) -> impl Iterator<Item = &Item> {
    list.iter().filter_map(|entry| match entry {
        ListEntry::Item(item) => Some(item),
        ListEntry::InnerList(_) => None,
    })
}

/// One quota of a policy: the current form names it and gives `q`; the older one gives the
/// number itself. Both give `w`; a quota in other units than requests is not ours to keep.
fn quota(item: &Item) -> Option<Quota> {
    let params = &item.params;
    let limit = match param(params, "q") {
        Some(q) => count(q)?,
        None => count(&item.bare_item)?,
    };
    if let Some(unit) = param(params, "qu") {
        let unit = unit
            .as_string()
            .map(|s| s.as_str().to_string())
            .or_else(|| unit.as_token().map(|t| t.as_str().to_string()));
        if unit.as_deref() != Some("requests") {
            return None;
        }
    }
    let window = param(params, "w").and_then(seconds)?;
    let burst = param(params, "burst").and_then(count);
    Quota::new(limit, window, burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    fn read(pairs: &[(&str, &str)]) -> RateHeaders {
        read_rate_headers(&headers(pairs), 1_700_000_000)
    }

    fn per(limit: u64, secs: u64) -> Quota {
        Quota::new(limit, Duration::from_secs(secs), None).unwrap()
    }

    #[test]
    fn the_contracts_headers() {
        let r = read(&[
            ("X-RateLimit-Limit", "120"),
            ("x-ratelimit-remaining", " 87 "),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(
            r,
            RateHeaders {
                limit: Some(120),
                remaining: Some(87),
                reset_secs: Some(42),
                quotas: vec![],
            }
        );
        assert!(read(&[("content-type", "text/plain")]).is_empty());
    }

    #[test]
    fn the_drafts_structured_fields() {
        let r = read(&[
            ("RateLimit-Policy", "\"default\";q=120;w=60"),
            ("RateLimit", "\"default\";r=50;t=30"),
        ]);
        assert_eq!(r.quotas, [per(120, 60)]);
        assert_eq!(
            (r.limit, r.remaining, r.reset_secs),
            (Some(120), Some(50), Some(30))
        );

        // Several quotas and budgets: every quota kept, the budget nearest its end counts.
        let r = read(&[
            (
                "ratelimit-policy",
                "\"burst\";q=10;w=1, \"day\";q=1000;w=86400;qu=\"requests\";pk=:YWJj:",
            ),
            ("ratelimit", "\"burst\";r=7;t=1, \"day\";r=3;t=5000"),
        ]);
        assert_eq!(r.quotas, [per(10, 1), per(1000, 86_400)]);
        assert_eq!((r.remaining, r.reset_secs), (Some(3), Some(5000)));

        // Repeated fields are one list; a quota in bytes is not about requests.
        let r = read(&[
            ("ratelimit-policy", "\"a\";q=5;w=2"),
            (
                "ratelimit-policy",
                "\"bytes\";q=99999;w=1;qu=\"content-bytes\"",
            ),
        ]);
        assert_eq!(r.quotas, [per(5, 2)]);

        // A window given to the millisecond.
        let r = read(&[("ratelimit-policy", "\"short\";q=20;w=1.5")]);
        assert_eq!(r.quotas[0].window, Duration::from_millis(1500));

        // Draft 7's dictionary.
        let r = read(&[("RateLimit", "limit=100, remaining=50, reset=5")]);
        assert_eq!((r.remaining, r.reset_secs), (Some(50), Some(5)));
    }

    #[test]
    fn the_drafts_older_form() {
        let r = read(&[
            ("RateLimit-Policy", "120;w=60;burst=10"),
            ("RateLimit-Limit", "120"),
            ("RateLimit-Remaining", "119"),
            ("RateLimit-Reset", "60"),
        ]);
        assert_eq!(
            r.quotas,
            [Quota::new(120, Duration::from_secs(60), Some(10)).unwrap()]
        );
        assert_eq!(
            (r.limit, r.remaining, r.reset_secs),
            (Some(120), Some(119), Some(60))
        );

        // Quotas listed in the limit field itself.
        let r = read(&[("RateLimit-Limit", "10, 10;w=1, 50;w=60")]);
        assert_eq!(r.limit, Some(10));
        assert_eq!(r.quotas, [per(10, 1), per(50, 60)]);
    }

    #[test]
    fn the_contracts_headers_win_over_the_drafts() {
        let r = read(&[
            ("x-ratelimit-remaining", "4"),
            ("ratelimit", "\"default\";r=9;t=30"),
            ("ratelimit-remaining", "7"),
        ]);
        assert_eq!((r.remaining, r.reset_secs), (Some(4), Some(30)));
    }

    #[test]
    fn a_reset_sent_as_a_point_in_time_counts_down_to_it() {
        let now = 1_700_000_000;
        assert_eq!(seconds_from_now(now + 30, now), 30);
        assert_eq!(seconds_from_now(now - 30, now), 0, "passed already");
        assert_eq!(seconds_from_now(30, now), 30);
        assert_eq!(seconds_from_now(999_999, now), 999_999);
        for far in [u64::MAX, i64::MAX as u64, now + 400 * 86_400] {
            assert_eq!(seconds_from_now(far, now), far, "never a date: seconds");
        }
        assert_eq!(
            read(&[("x-ratelimit-reset", "1700000045")]).reset_secs,
            Some(45)
        );
    }

    #[test]
    fn hostile_values_are_left_out_never_trusted() {
        for (name, value) in [
            ("ratelimit-policy", "\"d\";q=0;w=60"),
            ("ratelimit-policy", "\"d\";q=10;w=0"),
            ("ratelimit-policy", "\"d\";q=-5;w=60"),
            ("ratelimit-policy", "\"d\";q=10;w=-1"),
            ("ratelimit-policy", "\"d\";q=10"),
            ("ratelimit-policy", "\"d\";q=10;w=\"60\""),
            ("ratelimit-policy", "\"d\";q=9999999999999999;w=60"),
            ("ratelimit-policy", "\"d\";q=10;w=60,,"),
            ("ratelimit-policy", "(1 2);w=60"),
            ("ratelimit-policy", "\u{202e}10;w=60"),
            ("ratelimit", "\"d\";r=-1;t=5"),
            ("ratelimit", "r=5"),
            ("ratelimit-limit", "-3"),
            ("ratelimit-remaining", "lots"),
        ] {
            let r = read(&[(name, value)]);
            assert!(r.quotas.is_empty(), "{name}: {value}: {r:?}");
            assert_eq!(r.remaining, None, "{name}: {value}");
            assert_eq!(r.limit, None, "{name}: {value}");
        }
        // The largest numbers a field can hold are kept as they are.
        let r = read(&[
            ("ratelimit-policy", "999999999999999;w=999999999999999"),
            ("x-ratelimit-reset", "99999999999999999999999"),
        ]);
        assert_eq!(r.quotas[0].limit, 999_999_999_999_999);
        assert_eq!(r.reset_secs, Some(u64::MAX));
    }

    proptest! {
        #[test]
        fn any_header_value_reads_without_panicking(
            name in prop_oneof![
                Just("ratelimit"), Just("ratelimit-policy"), Just("ratelimit-limit"),
                Just("ratelimit-remaining"), Just("ratelimit-reset"), Just("x-ratelimit-reset"),
            ],
            value in prop_oneof![
                any::<String>(),
                "[ -~]{0,60}",
                "(\"[a-z]{1,5}\";(q|w|r|t|burst)=-?[0-9]{1,20}(\\.[0-9]{1,4})?, ){1,4}",
            ],
            now in any::<u64>(),
        ) {
            let r = read_rate_headers(&headers(&[(name, value.as_str())]), now);
            for q in r.quotas {
                prop_assert!(q.limit > 0 && !q.window.is_zero());
            }
        }
    }
}
