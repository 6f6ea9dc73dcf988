//! The audit trail of staff actions, for staff.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID};
use linli_domain::page::PageRequest;

use super::Context;
use super::identity::User;
use super::relay::{Kind, NodeValue, connection};

/// One recorded staff action.
#[derive(Debug, Clone, GraphQLObject)]
#[graphql(context = Context, impl = NodeValue)]
pub struct AuditEvent {
    /// Opaque global id.
    pub id: ID,
    /// Who acted (the staff member or organiser).
    pub actor_id: Option<ID>,
    /// What was done, e.g. `ledger.adjust`, `organisation.verified`.
    pub action: String,
    /// The kind of object acted on, e.g. `account`, `organisation`.
    pub subject_kind: String,
    /// The raw id of the object acted on.
    pub subject_id: String,
    /// What was recorded about it, e.g. the amount and the reason.
    pub detail: String,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

impl From<linli_domain::audit::AuditEvent> for AuditEvent {
    fn from(e: linli_domain::audit::AuditEvent) -> Self {
        Self {
            id: AuditEvent::global_id(&e.id),
            actor_id: e.actor_id.map(|id| User::global_id(id.as_str())),
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            detail: e.detail,
            created_at: e.created_at.and_utc(),
        }
    }
}

connection!(
    /// A page of the audit trail, newest first.
    AuditEventConnection,
    /// An audit event in a page, with its cursor.
    AuditEventEdge,
    AuditEvent,
    |e| {
        super::relay::global_raw(&e.id)
    }
);

/// A period: from an instant (inclusive) until another (exclusive), either open.
#[derive(Debug, Clone, Default, GraphQLInputObject)]
pub struct PeriodInput {
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
}

pub async fn events(
    ctx: &Context,
    subject_id: Option<String>,
    period: PeriodInput,
    page: PageRequest,
) -> FieldResult<AuditEventConnection> {
    let period = (
        period.from.map(|t| t.naive_utc()),
        period.until.map(|t| t.naive_utc()),
    );
    let result = ctx
        .run(move |s, actor| {
            s.audit()
                .events(actor, subject_id.as_deref(), period, &page)
        })
        .await;
    ctx.answer(result)
        .map(|p| AuditEventConnection::from_page(p, AuditEvent::from))
}

pub async fn audit_event(ctx: &Context, id: String) -> FieldResult<AuditEvent> {
    let result = ctx.run(move |s, actor| s.audit().event(actor, &id)).await;
    ctx.answer(result).map(AuditEvent::from)
}
