//! Outbox SQL. Claims are conditional updates, so any number of relays share one table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Message, Status, Template};
use crate::db::{DbConnection, insert_unless_present};
use crate::error::DomainResult;
use crate::page::{PageRequest, keyset};
use crate::schema::{app_user, notification_opt_out, outbox_message};
use crate::types::UserId;

pub(super) fn insert(
    conn: &mut DbConnection,
    user: Option<&UserId>,
    recipient: &str,
    template: &Template,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let (subject, text, html) = template.render();
    diesel::insert_into(outbox_message::table)
        .values((
            outbox_message::id.eq(uuid::Uuid::now_v7().to_string()),
            outbox_message::user_id.eq(user.map(UserId::as_str)),
            outbox_message::recipient.eq(recipient),
            outbox_message::template.eq(template.kind()),
            outbox_message::subject.eq(subject),
            outbox_message::body_text.eq(text),
            outbox_message::body_html.eq(html),
            outbox_message::status.eq(Status::Queued.as_str()),
            outbox_message::attempts.eq(0),
            outbox_message::next_attempt_at.eq(now),
            outbox_message::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn find(conn: &mut DbConnection, id: &str) -> DomainResult<Option<Message>> {
    Ok(outbox_message::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .optional()?)
}

/// Queued messages whose time has come, and claimed ones whose lease ran out, oldest first.
pub(super) fn due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> DomainResult<Vec<String>> {
    Ok(outbox_message::table
        .filter(
            outbox_message::status
                .eq(Status::Queued.as_str())
                .and(outbox_message::next_attempt_at.le(now))
                .or(outbox_message::status
                    .eq(Status::Sending.as_str())
                    .and(outbox_message::lease_until.lt(now))),
        )
        .order(outbox_message::next_attempt_at.asc())
        .limit(limit)
        .select(outbox_message::id)
        .load(conn)?)
}

pub(super) fn claim(
    conn: &mut DbConnection,
    id: &str,
    relay: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        outbox_message::table
            .filter(outbox_message::id.eq(id))
            .filter(
                outbox_message::status
                    .eq(Status::Queued.as_str())
                    .and(outbox_message::next_attempt_at.le(now))
                    .or(outbox_message::status
                        .eq(Status::Sending.as_str())
                        .and(outbox_message::lease_until.lt(now))),
            ),
    )
    .set((
        outbox_message::status.eq(Status::Sending.as_str()),
        outbox_message::claimed_by.eq(Some(relay)),
        outbox_message::lease_until.eq(Some(lease_until)),
        outbox_message::attempts.eq(outbox_message::attempts + 1),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(super) fn delivered(
    conn: &mut DbConnection,
    id: &str,
    relay: &str,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(
        outbox_message::table
            .filter(outbox_message::id.eq(id))
            .filter(outbox_message::claimed_by.eq(relay))
            .filter(outbox_message::status.eq(Status::Sending.as_str())),
    )
    .set((
        outbox_message::status.eq(Status::Sent.as_str()),
        outbox_message::sent_at.eq(Some(now)),
        outbox_message::lease_until.eq(None::<NaiveDateTime>),
        outbox_message::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    // A one-time link or a counter code lives in the recipient's mailbox, not in ours.
    diesel::update(
        outbox_message::table
            .filter(outbox_message::id.eq(id))
            .filter(outbox_message::template.eq_any(SECRET_KINDS)),
    )
    .set((
        outbox_message::body_text.eq(super::REDACTED),
        outbox_message::body_html.eq(super::REDACTED),
    ))
    .execute(conn)?;
    Ok(())
}

/// Template kinds whose bodies carry a secret.
pub(super) const SECRET_KINDS: [&str; 3] = ["VERIFY_EMAIL", "RESET_PASSWORD", "REDEMPTION_ISSUED"];

/// Deletes sent messages older than `before`; failed ones stay for staff to see.
pub(crate) fn sweep(conn: &mut DbConnection, before: NaiveDateTime) -> DomainResult<usize> {
    Ok(diesel::delete(
        outbox_message::table
            .filter(outbox_message::status.eq(Status::Sent.as_str()))
            .filter(outbox_message::sent_at.lt(before)),
    )
    .execute(conn)?)
}

pub(super) fn failed(
    conn: &mut DbConnection,
    id: &str,
    relay: &str,
    error: &str,
    give_up: bool,
    next_attempt_at: NaiveDateTime,
) -> DomainResult<()> {
    let status = if give_up {
        Status::Failed
    } else {
        Status::Queued
    };
    diesel::update(
        outbox_message::table
            .filter(outbox_message::id.eq(id))
            .filter(outbox_message::claimed_by.eq(relay))
            .filter(outbox_message::status.eq(Status::Sending.as_str())),
    )
    .set((
        outbox_message::status.eq(status.as_str()),
        outbox_message::last_error.eq(Some(error)),
        outbox_message::next_attempt_at.eq(next_attempt_at),
        outbox_message::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

pub(super) fn requeue(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> DomainResult<bool> {
    let updated = diesel::update(
        outbox_message::table
            .filter(outbox_message::id.eq(id))
            .filter(outbox_message::status.eq(Status::Failed.as_str())),
    )
    .set((
        outbox_message::status.eq(Status::Queued.as_str()),
        outbox_message::attempts.eq(0),
        outbox_message::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(super) fn list(
    conn: &mut DbConnection,
    status: Option<Status>,
    page: &PageRequest,
) -> DomainResult<(Vec<Message>, i64)> {
    let mut count = outbox_message::table.count().into_boxed();
    let mut query = outbox_message::table
        .select(Message::as_select())
        .into_boxed();
    if let Some(status) = status {
        count = count.filter(outbox_message::status.eq(status.as_str()));
        query = query.filter(outbox_message::status.eq(status.as_str()));
    }
    let total = count.get_result(conn)?;
    let rows = keyset!(query, outbox_message::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

pub(super) fn opted_out(conn: &mut DbConnection, user: &UserId, kind: &str) -> DomainResult<bool> {
    Ok(notification_opt_out::table
        .find((user.as_str(), kind))
        .select(notification_opt_out::template)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

pub(super) fn opt_outs(conn: &mut DbConnection, user: &UserId) -> DomainResult<Vec<String>> {
    Ok(notification_opt_out::table
        .filter(notification_opt_out::user_id.eq(user.as_str()))
        .select(notification_opt_out::template)
        .order(notification_opt_out::template.asc())
        .load(conn)?)
}

pub(super) fn set_opt_out(
    conn: &mut DbConnection,
    user: &UserId,
    kind: &str,
    out: bool,
) -> DomainResult<()> {
    if out {
        insert_unless_present(conn, &["notification_opt_out", "user_id"], |conn| {
            diesel::insert_into(notification_opt_out::table)
                .values((
                    notification_opt_out::user_id.eq(user.as_str()),
                    notification_opt_out::template.eq(kind),
                ))
                .execute(conn)
        })?;
        Ok(())
    } else {
        diesel::delete(notification_opt_out::table.find((user.as_str(), kind))).execute(conn)?;
        Ok(())
    }
}

pub(super) fn users_with_email(conn: &mut DbConnection) -> DomainResult<Vec<UserId>> {
    Ok(app_user::table
        .filter(app_user::email.is_not_null())
        .select(app_user::id)
        .order(app_user::id.asc())
        .load(conn)?)
}
