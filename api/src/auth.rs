//! Access tokens: short-lived HS256 JWTs. One algorithm is pinned, and issuer, audience,
//! expiry and not-before are all checked, so a token made for anything else never passes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use linli_domain::identity::{Actor, Role};
use linli_domain::types::UserId;
use serde::{Deserialize, Serialize};

const ISSUER: &str = "linli";
const AUDIENCE: &str = "linli-api";
/// Download links carry their own tokens, made for this audience only: an access token is not a
/// download link, and a link is not an access token.
const LINK_AUDIENCE: &str = "linli-download";
/// How long a download link works: long enough to click, too short to pass around.
const LINK_TTL: Duration = Duration::from_secs(300);

/// A download link's token: who it was issued to, for which path.
#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: String,
    role: String,
    path: String,
    iss: String,
    aud: String,
    nbf: u64,
    exp: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iss: String,
    aud: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// Why a presented token was refused; both mean "sign in again", but the message differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    link_validation: Validation,
    ttl: Duration,
}

/// A freshly issued access token.
pub struct AccessToken {
    pub token: String,
    pub expires_at: SystemTime,
}

impl Tokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        let mut link_validation = validation.clone();
        link_validation.set_audience(&[LINK_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            link_validation,
            ttl,
        }
    }

    /// A link to `path` that works for `actor` for a few minutes, with no cookie and no
    /// header: a spreadsheet program or a plain `<a href>` can open it.
    pub fn link(&self, actor: &Actor, path: &str) -> Result<String, String> {
        self.link_at(actor, path, SystemTime::now())
    }

    /// Issues a link as if it were `now`; tests use it to make expired links.
    pub fn link_at(&self, actor: &Actor, path: &str, now: SystemTime) -> Result<String, String> {
        let Actor::User { id, role } = actor else {
            return Err("links are issued to signed-in people".to_owned());
        };
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let claims = LinkClaims {
            sub: id.to_string(),
            role: role.as_str().to_owned(),
            path: path.to_owned(),
            iss: ISSUER.to_owned(),
            aud: LINK_AUDIENCE.to_owned(),
            nbf: now,
            exp: now + LINK_TTL.as_secs(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())?;
        // The token comes last, after any query the link's path carries, so that the signed
        // target is the link without it.
        let separator = if path.contains('?') { '&' } else { '?' };
        Ok(format!("{path}{separator}token={token}"))
    }

    /// The person a download link was issued to, if `token` is a live link for `path` (the
    /// link's path and query without its token).
    pub fn verify_link(&self, token: &str, path: &str) -> Result<Actor, TokenError> {
        let data = jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &self.link_validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.path != path {
            return Err(TokenError::Invalid);
        }
        let id = UserId::parse(&data.claims.sub).ok_or(TokenError::Invalid)?;
        let role = Role::parse(&data.claims.role).ok_or(TokenError::Invalid)?;
        Ok(Actor::User { id, role })
    }

    pub fn issue(&self, user: &UserId, role: Role) -> Result<AccessToken, String> {
        self.issue_at(user, role, SystemTime::now())
    }

    /// Issues a token as if it were `now`; tests use it to make expired tokens.
    pub fn issue_at(
        &self,
        user: &UserId,
        role: Role,
        now: SystemTime,
    ) -> Result<AccessToken, String> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user.to_string(),
            role: role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat,
            nbf: iat,
            exp: iat + self.ttl.as_secs(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())?;
        Ok(AccessToken { token, expires_at })
    }

    /// The caller a bearer token stands for.
    pub fn verify(&self, token: &str) -> Result<Actor, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let id = UserId::parse(&data.claims.sub).ok_or(TokenError::Invalid)?;
        let role = Role::parse(&data.claims.role).ok_or(TokenError::Invalid)?;
        Ok(Actor::User { id, role })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(&[7; 32], Duration::from_secs(900))
    }

    #[test]
    fn a_fresh_token_names_its_user() {
        let id = UserId::generate();
        let token = tokens().issue(&id, Role::Staff).unwrap();
        assert_eq!(
            tokens().verify(&token.token),
            Ok(Actor::User {
                id,
                role: Role::Staff
            })
        );
    }

    #[test]
    fn a_link_opens_its_own_path_only_and_is_no_access_token() {
        let actor = Actor::User {
            id: UserId::generate(),
            role: Role::Resident,
        };
        let link = tokens().link(&actor, "/statements/m/2026-11.csv").unwrap();
        let token = link.split_once("?token=").unwrap().1;
        assert_eq!(
            tokens().verify_link(token, "/statements/m/2026-11.csv"),
            Ok(actor.clone())
        );
        assert!(
            tokens()
                .verify_link(token, "/statements/m/2026-10.csv")
                .is_err()
        );
        assert!(
            tokens().verify(token).is_err(),
            "a link is not an access token"
        );

        let old = tokens()
            .link_at(
                &actor,
                "/statements/m/2026-11.csv",
                SystemTime::now() - LINK_TTL - Duration::from_secs(120),
            )
            .unwrap();
        let token = old.split_once("?token=").unwrap().1;
        assert_eq!(
            tokens().verify_link(token, "/statements/m/2026-11.csv"),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let id = UserId::generate();
        let old = SystemTime::now() - Duration::from_secs(3600);
        let expired = tokens().issue_at(&id, Role::Resident, old).unwrap();
        assert_eq!(tokens().verify(&expired.token), Err(TokenError::Expired));

        let token = tokens().issue(&id, Role::Resident).unwrap().token;
        let mut tampered = token.clone().into_bytes();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(tokens().verify(&tampered), Err(TokenError::Invalid));

        let other = Tokens::new(&[8; 32], Duration::from_secs(900));
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));

        let unsigned = format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            token.split('.').nth(1).unwrap()
        );
        assert_eq!(tokens().verify(&unsigned), Err(TokenError::Invalid));
    }
}
