//! Service certificates (志愿服务证明): a resident's verified service — hours by organisation
//! and activity over a period — signed with the district's Ed25519 key, so that a school, an
//! employer or the district's star rating can check it without calling the centre.
//!
//! A certificate is issued once for what it counts: asking again for the same scope with the
//! same service returns the same number. Reversing what a counted participation earned revokes
//! it; verification then says so.

mod keys;
pub(crate) mod store;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use keys::{Broken, Keys};

use crate::Services;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::types::{CHINA_OFFSET, CertificateId, OrganisationId, ParticipationId, UserId};
use crate::volunteering::model::{china_day, hours};

/// The most participations one certificate counts; a longer record is certified by period.
pub const CERTIFICATE_PARTICIPATIONS: usize = 500;
/// Who certifies, unless configured (`LINLI_CERTIFICATE_ISSUER`).
pub const DEFAULT_ISSUER: &str = "成都市成华区天府社会创新中心";
/// What a certificate's content declares it is, so later formats can be told apart.
pub const FORMAT: &str = "linli-certificate/1";

crate::types::text_enum!(
    /// How the holder's name is printed: as the resident gave it, or masked to its first and
    /// last characters (张*明) for a record passed around.
    NameShown {
        Full => "FULL",
        Masked => "MASKED",
    }
);

crate::types::text_enum!(
    /// What verification found: genuine (signed with the district's key, unchanged, not
    /// revoked); revoked (genuine, but service it counts was reversed); altered (the document
    /// does not match its signature, or differs from the record); unknown (no such number).
    Validity {
        Genuine => "GENUINE",
        Revoked => "REVOKED",
        Altered => "ALTERED",
        Unknown => "UNKNOWN",
    }
);

/// What a resident asks to be certified: all verified service, or a period, or one
/// organisation's (or both).
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    /// First day counted (Chengdu), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day counted (Chengdu), inclusive.
    pub until: Option<NaiveDate>,
    pub organisation_id: Option<OrganisationId>,
    pub name: NameShown,
}

/// The signed content: exactly what the certificate states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Content {
    pub format: String,
    pub number: String,
    /// The holder's name, masked when they asked.
    pub holder: String,
    /// First and last day of service counted, `YYYY-MM-DD` (Chengdu).
    pub from: String,
    pub until: String,
    /// The organisation the certificate was asked for; null: all of the holder's service.
    pub scope_organisation: Option<String>,
    pub total_minutes: i64,
    /// Hours with one decimal, as text so that every reader prints the same figure.
    pub total_hours: String,
    pub organisations: Vec<ContentOrganisation>,
    /// Who certifies: the district's centre.
    pub issuer: String,
    /// `YYYY-MM-DD` (Chengdu).
    pub issued_on: String,
    /// The public page that verifies it (its QR code).
    pub verify_url: String,
}

/// One organisation's part of a certificate: the activities it ran that the holder served in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentOrganisation {
    pub name: String,
    pub minutes: i64,
    pub hours: String,
    pub activities: Vec<ContentActivity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentActivity {
    pub title: String,
    /// `YYYY-MM-DD` (Chengdu).
    pub date: String,
    pub minutes: i64,
    pub hours: String,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: CertificateId,
    pub number: String,
    pub user_id: UserId,
    pub content: Content,
    /// The compact JWS: what a third party verifies.
    pub document: String,
    pub key_id: String,
    pub issued_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revocation_reason: Option<String>,
}

/// What verifying a number (and a document, when one is presented) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub validity: Validity,
    /// What the certificate states; none when altered or unknown.
    pub content: Option<Content>,
    /// The key that signed it.
    pub key_id: Option<String>,
    /// False for a document this instance's database has no record of (signed by the
    /// district's key elsewhere): its signature is checked, revocation cannot be.
    pub recorded_here: bool,
    pub revoked_at: Option<NaiveDateTime>,
    pub revocation_reason: Option<String>,
}

impl Verification {
    fn of(validity: Validity) -> Self {
        Self {
            validity,
            content: None,
            key_id: None,
            recorded_here: false,
            revoked_at: None,
            revocation_reason: None,
        }
    }
}

/// The path of a certificate's public verification page, under the public URL.
pub fn verify_path(number: &str) -> String {
    format!("/verify/{number}")
}

/// The first and last characters of a name, the rest starred: 张小明 → 张*明, 张三 → 张*.
pub fn mask(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.as_slice() {
        [] => String::new(),
        [only] => format!("{only}*"),
        [first, _] => format!("{first}*"),
        [first, middle @ .., last] => {
            format!("{first}{}{last}", "*".repeat(middle.len().min(3)))
        }
    }
}

/// A number nobody can guess: LL- and twelve characters of Crockford's base32 (60 random bits).
fn new_number() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits = rand::random::<u64>();
    let mut out = String::from("LL");
    for _ in 0..3 {
        out.push('-');
        for _ in 0..4 {
            let at = usize::try_from(bits & 31).unwrap_or(0);
            out.push(char::from(ALPHABET[at]));
            bits >>= 5;
        }
    }
    out
}

/// A presented number as stored: trimmed and upper-cased (a number typed from paper).
pub fn normalise(number: &str) -> String {
    number.trim().to_uppercase()
}

pub struct Certificates<'a> {
    services: &'a Services,
}

impl<'a> Certificates<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// The district's public keys (the well-known JWK set).
    pub fn keys(&self) -> &Keys {
        &self.services.settings.certificate_keys
    }

    /// Issues a certificate of the resident's own verified service in `request`'s scope, or
    /// returns the one already issued for exactly that service.
    #[tracing::instrument(skip_all)]
    pub fn issue(&self, actor: &Actor, request: &CertificateRequest) -> DomainResult<Certificate> {
        let user = actor.user_id()?.clone();
        if let (Some(from), Some(until)) = (request.from, request.until)
            && from > until
        {
            return Err(DomainError::invalid("until", "结束日期不能早于开始日期"));
        }
        let now = self.services.clock.now();
        let settings = &self.services.settings;
        self.services.db.write(|conn| {
            let holder = store::holder_name(conn, &user)?;
            let scope_organisation = match &request.organisation_id {
                Some(id) => Some(
                    crate::directory::store::find_organisation(conn, id)?
                        .ok_or(DomainError::NotFound { what: "组织" })?
                        .name,
                ),
                None => None,
            };
            let served = store::service(conn, &user, request)?;
            if served.is_empty() {
                return Err(DomainError::invalid("from", "这段时间没有已核验的服务时长"));
            }
            if served.len() > CERTIFICATE_PARTICIPATIONS {
                return Err(DomainError::invalid(
                    "from",
                    format!("服务记录超过 {CERTIFICATE_PARTICIPATIONS} 次，请按时间段分开申请"),
                ));
            }
            let holder = match request.name {
                NameShown::Full => holder,
                NameShown::Masked => mask(&holder),
            };
            let fingerprint = fingerprint(&user, request, &holder, &served);
            if let Some(existing) = store::current_by_fingerprint(conn, &fingerprint)? {
                return Ok(existing);
            }
            let number = new_number();
            let content = content(
                &number,
                holder,
                scope_organisation,
                &served,
                &settings.certificate_issuer,
                &format!("{}{}", settings.public_url, verify_path(&number)),
                now,
            );
            let json = serde_json::to_vec(&content)
                .map_err(|e| DomainError::internal(format!("certificate content: {e}")))?;
            let keys = &settings.certificate_keys;
            let certificate = Certificate {
                id: CertificateId::generate(),
                number,
                user_id: user.clone(),
                document: keys.sign(&json),
                key_id: keys.current_id().to_owned(),
                content,
                issued_at: now,
                revoked_at: None,
                revocation_reason: None,
            };
            let ids: Vec<&ParticipationId> = served.iter().map(|s| &s.participation_id).collect();
            if !store::insert(conn, &certificate, &fingerprint, &ids)? {
                // The same request at the same moment: the other one's certificate stands.
                return store::current_by_fingerprint(conn, &fingerprint)?
                    .ok_or_else(|| DomainError::internal("certificate vanished"));
            }
            crate::audit::record(
                conn,
                Some(&user),
                "certificate.issue",
                "certificate",
                certificate.id.as_str(),
                &format!(
                    "{}：{} 小时",
                    certificate.number, certificate.content.total_hours
                ),
                now,
            )?;
            Ok(certificate)
        })
    }

    /// The resident's certificates, newest first.
    pub fn mine(&self, actor: &Actor, page: &PageRequest) -> DomainResult<Page<Certificate>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::of_user(conn, user, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// A certificate by number: its holder's and staff's (anyone else verifies it instead).
    pub fn certificate(&self, actor: &Actor, number: &str) -> DomainResult<Certificate> {
        let user = actor.user_id()?;
        let found = self
            .services
            .db
            .read(|conn| store::by_number(conn, &normalise(number)))?
            .ok_or(DomainError::NotFound { what: "证明" })?;
        if &found.user_id != user && !actor.is_staff() {
            return Err(DomainError::NotFound { what: "证明" });
        }
        Ok(found)
    }

    /// Whether a certificate is genuine, unchanged and not revoked: by its number against the
    /// record, and, when `document` is given, that document against the district's keys (and
    /// against the record, where there is one). Anyone may ask.
    pub fn verify(&self, number: &str, document: Option<&str>) -> DomainResult<Verification> {
        let number = normalise(number);
        let keys = self.keys();
        let stored = self
            .services
            .db
            .read(|conn| store::by_number(conn, &number))?;
        let presented = document.map(str::trim).filter(|d| !d.is_empty());
        let (document, recorded_here) = match (&stored, presented) {
            (None, None) => return Ok(Verification::of(Validity::Unknown)),
            (Some(stored), Some(presented)) if stored.document != presented => {
                return Ok(Verification::of(Validity::Altered));
            }
            (Some(stored), _) => (stored.document.as_str(), true),
            (None, Some(presented)) => (presented, false),
        };
        let Ok((json, key_id)) = keys.open(document) else {
            return Ok(Verification::of(Validity::Altered));
        };
        let Ok(content) = serde_json::from_slice::<Content>(&json) else {
            return Ok(Verification::of(Validity::Altered));
        };
        if content.number != number {
            return Ok(Verification::of(Validity::Altered));
        }
        let (revoked_at, revocation_reason) = stored
            .map(|s| (s.revoked_at, s.revocation_reason))
            .unwrap_or_default();
        Ok(Verification {
            validity: if revoked_at.is_some() {
                Validity::Revoked
            } else {
                Validity::Genuine
            },
            content: Some(content),
            key_id: Some(key_id),
            recorded_here,
            revoked_at,
            revocation_reason,
        })
    }
}

/// Why a revoked certificate no longer stands, as the verification page says it.
pub const REVOKED_BY_REVERSAL: &str = "所计的服务中有一次已被工作人员冲正，本证明不再有效";

/// Reversing what a participation earned takes its hours away: service records stop counting
/// them, and every certificate that counts them is revoked.
pub(crate) fn revoke_service(
    conn: &mut crate::db::DbConnection,
    participation: &ParticipationId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    crate::volunteering::store::revoke_hours(conn, participation, at)?;
    store::revoke_counting(conn, participation, REVOKED_BY_REVERSAL, at)?;
    Ok(())
}

/// One participation a certificate counts, with what it states of it.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub participation_id: ParticipationId,
    pub minutes: i64,
    pub activity_title: String,
    pub starts_at: NaiveDateTime,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
}

/// What makes two requests the same certificate: who, the scope, the name as printed, and
/// each participation counted with its minutes.
fn fingerprint(
    user: &UserId,
    request: &CertificateRequest,
    holder: &str,
    served: &[Served],
) -> String {
    let mut hasher = Sha256::new();
    let scope = format!(
        "{user}|{:?}|{:?}|{:?}|{holder}",
        request.from,
        request.until,
        request.organisation_id.as_ref().map(OrganisationId::as_str)
    );
    hasher.update(scope.as_bytes());
    for s in served {
        hasher.update(format!("|{}:{}", s.participation_id, s.minutes).as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

fn hours_text(minutes: i64) -> String {
    format!("{:.1}", hours(minutes))
}

/// The content of a certificate of `served` (in date order), grouped by organisation in the
/// order each first appears.
fn content(
    number: &str,
    holder: String,
    scope_organisation: Option<String>,
    served: &[Served],
    issuer: &str,
    verify_url: &str,
    now: NaiveDateTime,
) -> Content {
    let day = china_day;
    let mut organisations: Vec<(OrganisationId, ContentOrganisation)> = Vec::new();
    for s in served {
        let activity = ContentActivity {
            title: s.activity_title.clone(),
            date: day(s.starts_at),
            minutes: s.minutes,
            hours: hours_text(s.minutes),
        };
        match organisations
            .iter_mut()
            .find(|(id, _)| id == &s.organisation_id)
        {
            Some((_, o)) => {
                o.minutes += s.minutes;
                o.activities.push(activity);
            }
            None => organisations.push((
                s.organisation_id.clone(),
                ContentOrganisation {
                    name: s.organisation_name.clone(),
                    minutes: s.minutes,
                    hours: String::new(),
                    activities: vec![activity],
                },
            )),
        }
    }
    let total: i64 = served.iter().map(|s| s.minutes).sum();
    let first = served.first().map(|s| s.starts_at).unwrap_or(now);
    let last = served.last().map(|s| s.starts_at).unwrap_or(now);
    Content {
        format: FORMAT.to_owned(),
        number: number.to_owned(),
        holder,
        from: day(first),
        until: day(last),
        scope_organisation,
        total_minutes: total,
        total_hours: hours_text(total),
        organisations: organisations
            .into_iter()
            .map(|(_, mut o)| {
                o.hours = hours_text(o.minutes);
                o
            })
            .collect(),
        issuer: issuer.to_owned(),
        issued_on: day(now),
        verify_url: verify_url.to_owned(),
    }
}

/// The instant a Chengdu day begins, in UTC.
pub(crate) fn day_start(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN) - CHINA_OFFSET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_between_their_first_and_last_characters() {
        assert_eq!(mask("张小明"), "张*明");
        assert_eq!(mask("张三"), "张*");
        assert_eq!(mask("欧阳娜娜"), "欧**娜");
        assert_eq!(mask("李"), "李*");
    }

    #[test]
    fn numbers_are_lettered_in_crockfords_alphabet() {
        let number = new_number();
        assert_eq!(number.len(), 17, "{number}");
        assert!(number.starts_with("LL-"));
        assert!(
            number[3..]
                .chars()
                .all(|c| c == '-' || "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)),
            "{number}"
        );
        assert_ne!(new_number(), number);
    }
}
