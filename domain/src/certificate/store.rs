//! Certificates' SQL.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Certificate, CertificateRequest, Content, Served, day_start};
use crate::db::{DbConnection, insert_unless_present};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{
    activity, app_user, certificate, certificate_participation, organisation, participation,
};
use crate::types::{CertificateId, OrganisationId, ParticipationId, UserId};

#[derive(Queryable, Selectable)]
#[diesel(table_name = certificate)]
struct Row {
    id: CertificateId,
    number: String,
    user_id: UserId,
    document: String,
    key_id: String,
    issued_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    revocation_reason: Option<String>,
}

impl Row {
    /// The certificate with the content its document carries (read as stored; verifying it is
    /// [`super::Certificates::verify`]'s work).
    fn into_certificate(self) -> DomainResult<Certificate> {
        let content = super::keys::content_of(&self.document)
            .and_then(|json| serde_json::from_slice::<Content>(&json).ok())
            .ok_or_else(|| DomainError::internal("a stored certificate does not parse"))?;
        Ok(Certificate {
            id: self.id,
            number: self.number,
            user_id: self.user_id,
            content,
            document: self.document,
            key_id: self.key_id,
            issued_at: self.issued_at,
            revoked_at: self.revoked_at,
            revocation_reason: self.revocation_reason,
        })
    }
}

pub(crate) fn holder_name(conn: &mut DbConnection, user: &UserId) -> DomainResult<String> {
    Ok(app_user::table
        .find(user.as_str())
        .select(app_user::display_name)
        .first(conn)?)
}

/// The user's verified service that still counts, in `request`'s scope, in date order (one
/// more than a certificate may count, to tell that there is too much).
pub(crate) fn service(
    conn: &mut DbConnection,
    user: &UserId,
    request: &CertificateRequest,
) -> DomainResult<Vec<Served>> {
    let mut query = participation::table
        .inner_join(activity::table.inner_join(organisation::table))
        .filter(participation::user_id.eq(user.as_str()))
        .filter(participation::verified_at.is_not_null())
        .filter(participation::hours_revoked_at.is_null())
        .filter(participation::verified_minutes.gt(0))
        .into_boxed();
    if let Some(from) = request.from {
        query = query.filter(activity::starts_at.ge(day_start(from)));
    }
    if let Some(until) = request.until.and_then(|d| d.succ_opt()) {
        query = query.filter(activity::starts_at.lt(day_start(until)));
    }
    if let Some(org) = &request.organisation_id {
        query = query.filter(activity::organisation_id.eq(org.as_str()));
    }
    let limit = i64::try_from(super::CERTIFICATE_PARTICIPATIONS + 1).unwrap_or(i64::MAX);
    let rows = query
        .order((activity::starts_at.asc(), participation::id.asc()))
        .select((
            participation::id,
            participation::verified_minutes,
            activity::title,
            activity::starts_at,
            organisation::id,
            organisation::name,
        ))
        .limit(limit)
        .load::<(
            ParticipationId,
            Option<i32>,
            String,
            NaiveDateTime,
            OrganisationId,
            String,
        )>(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(participation_id, minutes, activity_title, starts_at, organisation_id, name)| {
                Served {
                    participation_id,
                    minutes: i64::from(minutes.unwrap_or(0)),
                    activity_title,
                    starts_at,
                    organisation_id,
                    organisation_name: name,
                }
            },
        )
        .collect())
}

/// The unrevoked certificate issued for exactly this service, if any.
pub(crate) fn current_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> DomainResult<Option<Certificate>> {
    certificate::table
        .filter(certificate::fingerprint.eq(fingerprint))
        .filter(certificate::revoked_at.is_null())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_certificate)
        .transpose()
}

pub(crate) fn by_number(
    conn: &mut DbConnection,
    number: &str,
) -> DomainResult<Option<Certificate>> {
    certificate::table
        .filter(certificate::number.eq(number))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_certificate)
        .transpose()
}

pub(crate) fn of_user(
    conn: &mut DbConnection,
    user: &UserId,
    page: &PageRequest,
) -> DomainResult<(Vec<Certificate>, i64)> {
    let total = certificate::table
        .filter(certificate::user_id.eq(user.as_str()))
        .count()
        .get_result(conn)?;
    let query = certificate::table
        .filter(certificate::user_id.eq(user.as_str()))
        .select(Row::as_select())
        .into_boxed();
    let rows: Vec<Row> = keyset!(query, certificate::id, newest_first: true, page).load(conn)?;
    let certificates = rows
        .into_iter()
        .map(Row::into_certificate)
        .collect::<DomainResult<Vec<_>>>()?;
    Ok((certificates, total))
}

/// Records a certificate and what it counts; false when the same service was certified at the
/// same moment by another request (the unique index on unrevoked fingerprints).
pub(crate) fn insert(
    conn: &mut DbConnection,
    c: &Certificate,
    fingerprint: &str,
    counted: &[&ParticipationId],
) -> DomainResult<bool> {
    let inserted = insert_unless_present(
        conn,
        &["certificate_current_idx", "certificate.fingerprint"],
        |conn| {
            diesel::insert_into(certificate::table)
                .values((
                    certificate::id.eq(c.id.as_str()),
                    certificate::number.eq(&c.number),
                    certificate::user_id.eq(c.user_id.as_str()),
                    certificate::fingerprint.eq(fingerprint),
                    certificate::document.eq(&c.document),
                    certificate::key_id.eq(&c.key_id),
                    certificate::total_minutes.eq(c.content.total_minutes),
                    certificate::issued_at.eq(c.issued_at),
                ))
                .execute(conn)
        },
    )?;
    if !inserted {
        return Ok(false);
    }
    // One row a statement: diesel's two-engine connection has no batch insert, and a
    // certificate counts at most 500.
    for p in counted {
        diesel::insert_into(certificate_participation::table)
            .values((
                certificate_participation::certificate_id.eq(c.id.as_str()),
                certificate_participation::participation_id.eq(p.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Revokes every unrevoked certificate that counts the participation.
pub(crate) fn revoke_counting(
    conn: &mut DbConnection,
    participation: &ParticipationId,
    reason: &str,
    at: NaiveDateTime,
) -> DomainResult<usize> {
    let counting = certificate_participation::table
        .filter(certificate_participation::participation_id.eq(participation.as_str()))
        .select(certificate_participation::certificate_id);
    Ok(diesel::update(
        certificate::table
            .filter(certificate::id.eq_any(counting))
            .filter(certificate::revoked_at.is_null()),
    )
    .set((
        certificate::revoked_at.eq(at),
        certificate::revocation_reason.eq(reason),
    ))
    .execute(conn)?)
}
