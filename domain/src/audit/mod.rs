//! The audit trail: every staff action is recorded in the transaction that performs it, so an
//! action and its record exist together or not at all.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::Services;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::identity::Actor;
use crate::page::{Page, PageRequest, keyset};
use crate::schema::audit_event;
use crate::types::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_event)]
pub struct AuditEvent {
    pub id: String,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// Appends one event; call it inside the transaction of the action it records.
pub(crate) fn record(
    conn: &mut DbConnection,
    actor: Option<&UserId>,
    action: &str,
    subject_kind: &str,
    subject_id: &str,
    detail: &str,
    at: NaiveDateTime,
) -> DomainResult<()> {
    diesel::insert_into(audit_event::table)
        .values((
            audit_event::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_event::actor_id.eq(actor.map(UserId::as_str)),
            audit_event::action.eq(action),
            audit_event::subject_kind.eq(subject_kind),
            audit_event::subject_id.eq(subject_id),
            audit_event::detail.eq(detail),
            audit_event::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct AuditTrail<'a> {
    services: &'a Services,
}

impl<'a> AuditTrail<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Staff: one recorded action.
    pub fn event(&self, actor: &Actor, id: &str) -> DomainResult<AuditEvent> {
        actor.require_staff()?;
        self.services
            .db
            .read(|conn| {
                Ok(audit_event::table
                    .find(id)
                    .select(AuditEvent::as_select())
                    .first(conn)
                    .optional()?)
            })?
            .ok_or(crate::DomainError::NotFound {
                what: "审计记录"
            })
    }

    /// Staff read the trail newest first, optionally about one subject and within a period
    /// ([from, until)).
    pub fn events(
        &self,
        actor: &Actor,
        subject_id: Option<&str>,
        (from, until): (Option<NaiveDateTime>, Option<NaiveDateTime>),
        page: &PageRequest,
    ) -> DomainResult<Page<AuditEvent>> {
        actor.require_staff()?;
        if let (Some(from), Some(until)) = (from, until)
            && from >= until
        {
            return Err(crate::DomainError::invalid(
                "until",
                "结束时间须晚于开始时间",
            ));
        }
        self.services.db.read(|conn| {
            let mut query = audit_event::table
                .select(AuditEvent::as_select())
                .into_boxed();
            let mut count = audit_event::table.count().into_boxed();
            if let Some(subject) = subject_id {
                query = query.filter(audit_event::subject_id.eq(subject.to_owned()));
                count = count.filter(audit_event::subject_id.eq(subject.to_owned()));
            }
            if let Some(from) = from {
                query = query.filter(audit_event::created_at.ge(from));
                count = count.filter(audit_event::created_at.ge(from));
            }
            if let Some(until) = until {
                query = query.filter(audit_event::created_at.lt(until));
                count = count.filter(audit_event::created_at.lt(until));
            }
            let mut items: Vec<AuditEvent> =
                keyset!(query, audit_event::id, newest_first: true, page).load(conn)?;
            let total = count.get_result(conn)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }
}
