//! The rotating check-in code: six digits from HMAC-SHA256(activity secret, minute number). It
//! changes every minute and can be checked without storing any code; the previous minute's code
//! is still accepted so that a resident who read it at the turn of the minute is not refused.

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub(crate) const PERIOD_SECS: i64 = 60;

fn code_at(secret: &str, period: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(&period.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let number = u32::from_be_bytes([digest[0] & 0x7f, digest[1], digest[2], digest[3]]);
    format!("{:06}", number % 1_000_000)
}

fn period(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(PERIOD_SECS)
}

/// The code shown now, and when it changes.
pub(crate) fn current(secret: &str, now: NaiveDateTime) -> (String, NaiveDateTime) {
    let p = period(now);
    let next = chrono::DateTime::from_timestamp((p + 1) * PERIOD_SECS, 0)
        .map(|t| t.naive_utc())
        .unwrap_or(now);
    (code_at(secret, p), next)
}

/// True for the current or the previous minute's code, typed or scanned from the organiser's
/// QR (`linli:checkin:CODE`); compared in constant time.
pub(crate) fn accepts(secret: &str, now: NaiveDateTime, presented: &str) -> bool {
    let p = period(now);
    let presented = crate::qr::code(crate::qr::CHECK_IN, presented).as_bytes();
    [p, p - 1].into_iter().fold(false, |ok, candidate| {
        let expected = code_at(secret, candidate);
        ok | constant_time_eq(expected.as_bytes(), presented)
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh per-activity secret.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn codes_rotate_every_minute_and_allow_the_previous_one() {
        let secret = new_secret();
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let (code, changes_at) = current(&secret, now);
        assert_eq!(code.len(), 6);
        assert!(accepts(&secret, now, &code));
        assert!(accepts(&secret, now, &format!("linli:checkin:{code}")));
        assert!(accepts(&secret, now + TimeDelta::seconds(60), &code));
        assert!(!accepts(&secret, now + TimeDelta::seconds(120), &code));
        assert!(changes_at > now);
    }
}
