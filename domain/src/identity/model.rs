//! People and the rules about them: roles, who the caller is, contact details, password policy,
//! refresh-token secrets and sign-in throttling. No I/O here.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{DomainError, DomainResult};
use crate::types::{CommunityId, UserId, text_enum};

text_enum!(Role {
    Resident => "RESIDENT",
    Staff => "STAFF",
    Admin => "ADMIN",
});

text_enum!(UserStatus {
    Active => "ACTIVE",
    Suspended => "SUSPENDED",
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

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::app_user)]
pub struct User {
    pub id: UserId,
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    pub display_name: String,
    pub role: Role,
    pub community_id: Option<CommunityId>,
    pub created_at: NaiveDateTime,
    /// Suspended people cannot sign in, refresh a session or spend points.
    pub status: UserStatus,
    /// Why staff suspended or restored the account.
    pub status_reason: Option<String>,
}

/// An email address, trimmed and lower-cased so that one mailbox is one account. Parsed
/// strictly (RFC 5322 address only): no display name (`x<victim@corp.cn>` names someone else's
/// mailbox), no domain literal, no quoted local part, a dotted domain.
#[derive(
    Debug, Clone, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Email(String);

// Read back as stored: the value was parsed before it was written.
crate::types::text_sql!(Email, |raw: String| Ok(Email(raw)), |value: &Email| &value
    .0);

impl Email {
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let email = raw.trim().to_lowercase();
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        let valid = email.len() <= 254
            && !email.contains('"')
            && email_address::EmailAddress::parse_with_options(&email, options)
                .is_ok_and(|parsed| parsed.email() == email);
        if valid {
            Ok(Self(email))
        } else {
            Err(DomainError::invalid("email", "邮箱格式不正确"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland China mobile number, kept as its 11 digits (a `+86` prefix is accepted).
#[derive(
    Debug, Clone, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct PhoneNumber(String);

// Read back as stored: the value was parsed before it was written.
crate::types::text_sql!(
    PhoneNumber,
    |raw: String| Ok(PhoneNumber(raw)),
    |value: &PhoneNumber| &value.0
);

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

    pub fn as_str(&self) -> &str {
        match self {
            Self::Email(e) => e.as_str(),
            Self::Phone(p) => p.as_str(),
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
        for bad in [
            "",
            "a@",
            "@b.cn",
            "a@b",
            "a b@c.cn",
            "a@@b.cn",
            "x<victim@corp.cn>",
            "王 <wang@example.cn>",
            "\"a b\"@example.cn",
            "a@[127.0.0.1]",
            "a@b.cn,c@d.cn",
        ] {
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
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("天府社创 good-2026").unwrap();
        assert!(verify_password("天府社创 good-2026", Some(&hash)).unwrap());
        assert!(!verify_password("天府社创 good-2027", Some(&hash)).unwrap());
        assert!(!verify_password("anything at all", None).unwrap());
    }
}
