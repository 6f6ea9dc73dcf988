//! People and the rules about them: roles, who the caller is, contact details, password policy,
//! refresh-token secrets and sign-in throttling. No I/O here.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{DomainError, DomainResult};
use crate::types::{CommunityId, UserId, text_enum};

text_enum!(Role {
    Resident => "RESIDENT",
    Staff => "STAFF",
    Admin => "ADMIN",
});

impl Role {
    /// Incubation-centre staff and admins run the centre's operations.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }
}

/// Who is asking. Built by the API from a verified access token; services decide from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User { id: UserId, role: Role },
}

impl Actor {
    pub fn user_id(&self) -> DomainResult<&UserId> {
        match self {
            Actor::User { id, .. } => Ok(id),
            Actor::Anonymous => Err(DomainError::Unauthenticated),
        }
    }

    /// The caller must be incubation-centre staff (or an admin).
    pub fn require_staff(&self) -> DomainResult<&UserId> {
        match self {
            Actor::User { id, role } if role.is_staff() => Ok(id),
            Actor::User { .. } => Err(DomainError::Forbidden),
            Actor::Anonymous => Err(DomainError::Unauthenticated),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Actor::User { role, .. } if role.is_staff())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    pub display_name: String,
    pub role: Role,
    pub community_id: Option<CommunityId>,
    pub created_at: NaiveDateTime,
}

/// An email address, trimmed and lower-cased so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(email))
        } else {
            Err(DomainError::invalid("email", "邮箱格式不正确"))
        }
    }

    pub(crate) fn from_db(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland China mobile number, kept as its 11 digits (a `+86` prefix is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("86").filter(|d| d.len() == 11))
            .unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1])
            && bytes.iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(digits.to_owned()))
        } else {
            Err(DomainError::invalid("phone", "手机号格式不正确"))
        }
    }

    pub(crate) fn from_db(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person signs in with: an email address or a mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginIdentifier {
    Email(Email),
    Phone(PhoneNumber),
}

impl LoginIdentifier {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        if raw.contains('@') {
            Email::parse(raw).map(Self::Email)
        } else {
            PhoneNumber::parse(raw).map(Self::Phone)
        }
    }

    /// The throttle key: one per account identifier, whether or not the account exists, so an
    /// unknown account is throttled exactly like a known one.
    pub fn throttle_key(&self) -> String {
        match self {
            Self::Email(e) => format!("account:{}", e.as_str()),
            Self::Phone(p) => format!("account:{}", p.as_str()),
        }
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Length is what makes a password strong (NIST SP 800-63B); beyond that we refuse the
/// passwords every attacker tries first and passwords that repeat the login itself.
pub fn check_password_policy(password: &str, identifiers: &[&str]) -> DomainResult<()> {
    const COMMON: &[&str] = &[
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "password123",
        "password1234",
        "iloveyou520",
        "woaini1314520",
        "aaaaaaaaaa",
        "1111111111",
        "abcdefghij",
        "abc1234567",
        "qwerty123456",
    ];
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(DomainError::WeakPassword("至少 10 个字符"));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(DomainError::WeakPassword("最多 128 个字符"));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(DomainError::WeakPassword("过于常见"));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(DomainError::WeakPassword("字符种类太少"));
    }
    if identifiers
        .iter()
        .any(|id| !id.is_empty() && lower.contains(&id.to_lowercase()))
    {
        return Err(DomainError::WeakPassword("不能包含邮箱或手机号"));
    }
    Ok(())
}

/// argon2id with m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum.
fn argon2() -> DomainResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| DomainError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string. CPU-heavy by design: callers run it on the bounded
/// hashing pool, never on an async worker.
pub fn hash_password(password: &str) -> DomainResult<String> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| DomainError::internal(format!("argon2 hash: {e}")))
}

/// A hash of a password nobody knows, verified against when the account does not exist so that
/// "no such account" costs the same time as "wrong password".
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    hash_password(&URL_SAFE_NO_PAD.encode(secret)).ok()
});

/// Checks `password` against `hash`, or against the dummy hash when there is no account.
pub fn verify_password(password: &str, hash: Option<&str>) -> DomainResult<bool> {
    let hash = match hash {
        Some(hash) => hash,
        None => DUMMY_HASH
            .as_deref()
            .ok_or_else(|| DomainError::internal("dummy hash unavailable"))?,
    };
    Ok(argon2()?.verify_password(password.as_bytes(), hash).is_ok())
}

/// A new opaque refresh-token secret (256 random bits) and the hash we store instead of it.
pub fn new_refresh_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// SHA-256 is enough for 256-bit random secrets: there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sign-in throttling: failures counted in a fixed window; too many lock the key for a while.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures: i32,
    pub window: TimeDelta,
    pub lock: TimeDelta,
}

/// Five wrong passwords lock an account identifier for 15 minutes.
pub const ACCOUNT_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 5,
    window: TimeDelta::minutes(15),
    lock: TimeDelta::minutes(15),
};

/// One address may fail more often (a shared community-centre network), but not endlessly.
pub const ADDRESS_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 20,
    window: TimeDelta::minutes(15),
    lock: TimeDelta::minutes(15),
};

/// Wrong redemption codes from one merchant operator: ten in ten minutes lock them out for ten
/// minutes, which makes guessing an 8-character code hopeless.
pub const REDEMPTION_CODE_THROTTLE: ThrottlePolicy = ThrottlePolicy {
    max_failures: 10,
    window: TimeDelta::minutes(10),
    lock: TimeDelta::minutes(10),
};

/// One counter row as stored.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleState {
    pub failures: i32,
    pub window_started_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

impl ThrottleState {
    /// Seconds until the key may try again, when it is locked now.
    pub fn retry_after(&self, now: NaiveDateTime) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
    }

    /// The state after one more failure at `now`.
    pub fn after_failure(state: Option<Self>, now: NaiveDateTime, policy: ThrottlePolicy) -> Self {
        let fresh = Self {
            failures: 0,
            window_started_at: now,
            locked_until: None,
        };
        let mut next = match state {
            Some(s) if now - s.window_started_at < policy.window => s,
            _ => fresh,
        };
        next.failures += 1;
        if next.failures >= policy.max_failures {
            next.locked_until = Some(now + policy.lock);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_to_eleven_digits() {
        assert_eq!(
            PhoneNumber::parse("+86 138-0000-1234").unwrap().as_str(),
            "13800001234"
        );
        assert_eq!(
            PhoneNumber::parse("8613800001234").unwrap().as_str(),
            "13800001234"
        );
        assert!(PhoneNumber::parse("12800001234").is_err());
        assert!(PhoneNumber::parse("1380000123").is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Li.Ming@Example.CN ").unwrap().as_str(),
            "li.ming@example.cn"
        );
        for bad in ["", "a@", "@b.cn", "a@b", "a b@c.cn", "a@@b.cn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_common_or_self_describing_passwords_are_weak() {
        assert!(check_password_policy("短密码", &[]).is_err());
        assert!(check_password_policy("1234567890", &[]).is_err());
        assert!(check_password_policy("abababababab", &[]).is_err());
        assert!(check_password_policy("x13800001234y", &["13800001234"]).is_err());
        assert!(check_password_policy("天府社创 good-2026", &["13800001234"]).is_ok());
    }

    #[test]
    fn the_fifth_failure_locks_and_a_new_window_starts_fresh() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let mut state = None;
        for _ in 0..4 {
            state = Some(ThrottleState::after_failure(state, t0, ACCOUNT_THROTTLE));
        }
        assert_eq!(state.unwrap().retry_after(t0), None);
        let locked = ThrottleState::after_failure(state, t0, ACCOUNT_THROTTLE);
        assert_eq!(locked.retry_after(t0), Some(15 * 60));
        let later = t0 + TimeDelta::minutes(16);
        let fresh = ThrottleState::after_failure(Some(locked), later, ACCOUNT_THROTTLE);
        assert_eq!(fresh.failures, 1);
        assert_eq!(fresh.retry_after(later), None);
    }

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("天府社创 good-2026").unwrap();
        assert!(verify_password("天府社创 good-2026", Some(&hash)).unwrap());
        assert!(!verify_password("天府社创 good-2027", Some(&hash)).unwrap());
        assert!(!verify_password("anything at all", None).unwrap());
    }
}
