//! Service certificates: issuing one, a resident's list, and public verification.

use chrono::{DateTime, NaiveDate, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::certificate::{self as domain, CertificateRequest, Content};

use super::Context;
use super::directory::Organisation;
use super::relay::{Kind, connection, page_request, payload};
use super::{int, mirror_enum};

mirror_enum!(
    /// How a certificate prints its holder's name.
    NameShown = linli_domain::certificate::NameShown {
        /// The name as the resident gave it.
        Full,
        /// The first and last characters only (张*明).
        Masked,
    }
);

mirror_enum!(
    /// What verifying a certificate found.
    CertificateValidity = linli_domain::certificate::Validity {
        /// Signed with the district's key, unchanged, and not revoked.
        Genuine,
        /// Genuine, but service it counts was reversed: it no longer certifies it.
        Revoked,
        /// The document does not match its signature, or differs from the record.
        Altered,
        /// No certificate has this number.
        Unknown,
    }
);

#[derive(Debug, Clone)]
pub struct CertificateContent(Content);

/// One organisation's part of a certificate.
#[derive(Debug, Clone, GraphQLObject)]
pub struct CertificateOrganisation {
    /// The organisation's name when the certificate was issued.
    pub name: String,
    /// Verified minutes with it.
    pub minutes: i32,
    /// Hours with one decimal, as the certificate prints them.
    pub hours: String,
}

/// One activity a certificate counts.
#[derive(Debug, Clone, GraphQLObject)]
pub struct CertificateActivity {
    /// The organisation that ran it.
    pub organisation: String,
    /// The activity's title.
    pub title: String,
    /// `YYYY-MM-DD` (Chengdu).
    pub date: String,
    /// Verified minutes.
    pub minutes: i32,
    /// Hours with one decimal.
    pub hours: String,
}

/// What a certificate states, exactly as signed.
#[graphql_object(context = Context)]
impl CertificateContent {
    /// The certificate's number, printed on it and in its QR code.
    fn number(&self) -> &str {
        &self.0.number
    }

    /// The holder's name, masked when they asked.
    fn holder(&self) -> &str {
        &self.0.holder
    }

    /// First day of service counted, `YYYY-MM-DD` (Chengdu).
    fn from(&self) -> &str {
        &self.0.from
    }

    /// Last day of service counted, `YYYY-MM-DD` (Chengdu).
    fn until(&self) -> &str {
        &self.0.until
    }

    /// The organisation it was asked for; null: all of the holder's service.
    fn scope_organisation(&self) -> Option<&str> {
        self.0.scope_organisation.as_deref()
    }

    /// Verified minutes counted.
    fn total_minutes(&self) -> i32 {
        int(self.0.total_minutes)
    }

    /// Hours with one decimal, as printed.
    fn total_hours(&self) -> &str {
        &self.0.total_hours
    }

    /// Hours by organisation, in the order each first appears.
    fn organisations(&self) -> Vec<CertificateOrganisation> {
        self.0
            .organisations
            .iter()
            .map(|o| CertificateOrganisation {
                name: o.name.clone(),
                minutes: int(o.minutes),
                hours: o.hours.clone(),
            })
            .collect()
    }

    /// Every activity counted, by organisation, in date order.
    fn activities(&self) -> Vec<CertificateActivity> {
        self.0
            .organisations
            .iter()
            .flat_map(|o| {
                o.activities.iter().map(|a| CertificateActivity {
                    organisation: o.name.clone(),
                    title: a.title.clone(),
                    date: a.date.clone(),
                    minutes: int(a.minutes),
                    hours: a.hours.clone(),
                })
            })
            .collect()
    }

    /// Who certifies.
    fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// `YYYY-MM-DD` (Chengdu).
    fn issued_on(&self) -> &str {
        &self.0.issued_on
    }

    /// The public page that verifies it.
    fn verify_url(&self) -> &str {
        &self.0.verify_url
    }
}

#[derive(Debug, Clone)]
pub struct Certificate(pub domain::Certificate);

/// A certificate of a resident's verified service (志愿服务证明), signed with the district's
/// key; `document` is what a third party verifies.
#[graphql_object(context = Context)]
impl Certificate {
    /// The certificate's number (also in `content`).
    fn number(&self) -> &str {
        &self.0.number
    }

    /// What it states.
    fn content(&self) -> CertificateContent {
        CertificateContent(self.0.content.clone())
    }

    /// The signed document: a compact JWS (EdDSA), checkable against the keys published at
    /// `/.well-known/linli-certificate-keys.json`.
    fn document(&self) -> &str {
        &self.0.document
    }

    /// The id (JWK thumbprint) of the key that signed it.
    fn key_id(&self) -> &str {
        &self.0.key_id
    }

    /// The QR code of its verification page (SVG).
    fn qr_svg(&self) -> Option<String> {
        linli_domain::qr::svg("", &self.0.content.verify_url)
    }

    /// When it was issued.
    fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at.and_utc()
    }

    /// When it was revoked; null while it stands.
    fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at.map(|t| t.and_utc())
    }

    /// Why it was revoked.
    fn revocation_reason(&self) -> Option<&str> {
        self.0.revocation_reason.as_deref()
    }
}

connection!(
    /// A page of certificates, newest first.
    CertificateConnection,
    /// A certificate in a page, with its cursor.
    CertificateEdge,
    Certificate,
    |c| c.0.id.to_string()
);

#[derive(Debug, Clone)]
pub struct CertificateVerification(domain::Verification);

/// What verifying a certificate found, and what it certifies.
#[graphql_object(context = Context)]
impl CertificateVerification {
    /// Genuine, revoked, altered, or unknown.
    fn validity(&self) -> CertificateValidity {
        self.0.validity.into()
    }

    /// What the certificate states; null when altered or unknown.
    fn content(&self) -> Option<CertificateContent> {
        self.0.content.clone().map(CertificateContent)
    }

    /// The key that signed it.
    fn key_id(&self) -> Option<&str> {
        self.0.key_id.as_deref()
    }

    /// False for a document signed with the district's key that this server has no record
    /// of: its signature is checked, its revocation cannot be.
    fn recorded_here(&self) -> bool {
        self.0.recorded_here
    }

    /// When it was revoked.
    fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at.map(|t| t.and_utc())
    }

    /// Why it was revoked.
    fn revocation_reason(&self) -> Option<&str> {
        self.0.revocation_reason.as_deref()
    }
}

/// What to certify: all verified service, a period, one organisation's, or both.
#[derive(Debug, GraphQLInputObject)]
pub struct IssueCertificateInput {
    /// First day counted, `YYYY-MM-DD` (Chengdu); default: the first day served.
    pub from: Option<String>,
    /// Last day counted, `YYYY-MM-DD` (Chengdu); default: the last day served.
    pub until: Option<String>,
    /// Only this organisation's activities.
    pub organisation_id: Option<ID>,
    /// How to print the name (default MASKED).
    pub name: Option<NameShown>,
}

fn day(raw: Option<&str>, field: &'static str) -> Result<Option<NaiveDate>, DomainError> {
    raw.map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| super::booking::parse_day(r, field))
        .transpose()
}

fn request(input: IssueCertificateInput) -> Result<CertificateRequest, DomainError> {
    let mut problems = linli_domain::Problems::default();
    let from = problems.check(day(input.from.as_deref(), "from"));
    let until = problems.check(day(input.until.as_deref(), "until"));
    let organisation_id = problems.check(Organisation::decode_optional(
        input.organisation_id.as_ref(),
        "organisationId",
    ));
    problems.finish()?;
    Ok(CertificateRequest {
        from: from.flatten(),
        until: until.flatten(),
        organisation_id: organisation_id.flatten(),
        name: input.name.map_or(domain::NameShown::Masked, Into::into),
    })
}

payload!(
    /// What asking for a certificate returns.
    IssueCertificatePayload {
        /// The certificate: a new one, or the one already issued for exactly this service.
        certificate: Option<Certificate>,
    }
    from domain::Certificate => Certificate
);

pub async fn issue(
    ctx: &Context,
    input: IssueCertificateInput,
) -> FieldResult<IssueCertificatePayload> {
    ctx.mutate(request(input), |s, actor, request| {
        s.certificates().issue(actor, &request)
    })
    .await
}

pub async fn mine(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<CertificateConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx
        .run(move |s, actor| s.certificates().mine(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| CertificateConnection::from_page(p, Certificate))
}

pub async fn certificate(ctx: &Context, number: String) -> FieldResult<Certificate> {
    let result = ctx
        .run(move |s, actor| s.certificates().certificate(actor, &number))
        .await;
    ctx.answer(result).map(Certificate)
}

pub async fn verify(
    ctx: &Context,
    number: String,
    document: Option<String>,
) -> FieldResult<CertificateVerification> {
    let result = ctx
        .run(move |s, _| s.certificates().verify(&number, document.as_deref()))
        .await;
    ctx.answer(result).map(CertificateVerification)
}
