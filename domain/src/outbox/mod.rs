//! Email through a transactional outbox: a message is a row written in the transaction of the
//! event that causes it (if the event rolls back, no message exists). Relays claim due rows
//! with a lease, send them, and record the outcome; the API crate does the sending.

pub(crate) mod store;
pub mod templates;

use chrono::{NaiveDateTime, TimeDelta};

use crate::Services;
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::types::{UserId, text};
pub use templates::{NotificationKind, Template};

/// A message fails for good after this many attempts.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a relay may hold a claimed message before another relay may take it.
pub const LEASE: TimeDelta = TimeDelta::minutes(2);

crate::types::text_enum!(Status {
    Queued => "QUEUED",
    Sending => "SENDING",
    Sent => "SENT",
    Failed => "FAILED",
});

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::outbox_message)]
pub struct Message {
    pub id: String,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: Status,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// What a message carrying a secret (a sign-in link, a counter code) says in place of its body
/// once sent, and to staff at any time: the secret is for its recipient alone.
pub const REDACTED: &str = "（此邮件含一次性链接或兑换码，发送后不再保留正文）";

impl Message {
    /// The message as staff may read it: bodies with secrets are never shown.
    fn for_staff(self) -> Self {
        if Template::is_secret_kind(&self.template) {
            Self {
                body_text: REDACTED.to_owned(),
                body_html: REDACTED.to_owned(),
                ..self
            }
        } else {
            self
        }
    }
}

/// Queues `template` for a user, inside the caller's transaction. Users without an email
/// address, and users who turned this (non-essential) kind off, get nothing.
pub(crate) fn notify(
    conn: &mut DbConnection,
    user: &UserId,
    template: &Template,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let Some(found) = crate::identity::store::find_user(conn, user)? else {
        return Ok(());
    };
    let Some(email) = found.email else {
        return Ok(());
    };
    if !template.essential() && store::opted_out(conn, user, template.kind())? {
        return Ok(());
    }
    store::insert(conn, Some(user), email.as_str(), template, now)
}

pub struct Outbox<'a> {
    services: &'a Services,
}

impl<'a> Outbox<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Claims up to `limit` due messages for `relay`: queued ones whose time has come, and ones
    /// another relay claimed but did not finish within its lease. Each claim is a conditional
    /// update, so two relays never hold the same message.
    #[tracing::instrument(skip_all, fields(relay = relay))]
    pub fn claim(&self, relay: &str, limit: i64) -> DomainResult<Vec<Message>> {
        let now = self.services.clock.now();
        let candidates = self.services.db.read(|conn| store::due(conn, now, limit))?;
        let mut claimed = Vec::new();
        for id in candidates {
            let message = self.services.db.write(|conn| {
                if store::claim(conn, &id, relay, now, now + LEASE)? {
                    store::find(conn, &id)
                } else {
                    Ok(None)
                }
            })?;
            claimed.extend(message);
        }
        Ok(claimed)
    }

    #[tracing::instrument(skip_all, fields(relay = relay, message = id))]
    pub fn delivered(&self, relay: &str, id: &str) -> DomainResult<()> {
        let now = self.services.clock.now();
        self.services
            .db
            .write(|conn| store::delivered(conn, id, relay, now))
    }

    /// Records a failed attempt: a temporary failure is retried with exponential back-off
    /// (30 s, 1 min, 2 min … at most an hour) until `MAX_ATTEMPTS`; a permanent one is parked
    /// as failed with its reason.
    #[tracing::instrument(skip_all, fields(relay = relay, message = message.id.as_str()))]
    pub fn failed(
        &self,
        relay: &str,
        message: &Message,
        error: &str,
        permanent: bool,
    ) -> DomainResult<()> {
        let now = self.services.clock.now();
        let give_up = permanent || message.attempts >= MAX_ATTEMPTS;
        let exponent = u32::try_from(message.attempts.clamp(0, 7)).unwrap_or(7);
        let backoff = TimeDelta::seconds(30 * 2_i64.pow(exponent)).min(TimeDelta::hours(1));
        let error: String = error.chars().take(500).collect();
        self.services
            .db
            .write(|conn| store::failed(conn, &message.id, relay, &error, give_up, now + backoff))
    }

    /// Staff: the outbox, newest first, optionally in one status.
    pub fn messages(
        &self,
        actor: &Actor,
        status: Option<Status>,
        page: &PageRequest,
    ) -> DomainResult<Page<Message>> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let (items, total) = store::list(conn, status, page)?;
            let mut items = items.into_iter().map(Message::for_staff).collect();
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: one message (secret bodies withheld, as in the list).
    pub fn message(&self, actor: &Actor, id: &str) -> DomainResult<Message> {
        actor.require_staff()?;
        self.services
            .db
            .read(|conn| store::find(conn, id))?
            .map(Message::for_staff)
            .ok_or(DomainError::NotFound { what: "邮件" })
    }

    /// Staff: send a failed message again from scratch.
    #[tracing::instrument(skip_all, fields(message = id))]
    pub fn retry(&self, actor: &Actor, id: &str) -> DomainResult<Message> {
        let staff = actor.require_staff()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            if !store::requeue(conn, id, now)? {
                return Err(DomainError::InvalidState("只能重发发送失败的邮件"));
            }
            crate::audit::record(
                conn,
                Some(staff),
                "email.retry",
                "outbox_message",
                id,
                "",
                now,
            )?;
            store::find(conn, id)?
                .map(Message::for_staff)
                .ok_or(DomainError::NotFound { what: "邮件" })
        })
    }

    /// Staff: an announcement to every resident with an email address (who has not opted out).
    #[tracing::instrument(skip_all)]
    pub fn announce(&self, actor: &Actor, subject: &str, body: &str) -> DomainResult<usize> {
        let staff = actor.require_staff()?;
        let template = Template::Announcement {
            subject: text(subject, "subject", 2, 100)?,
            body: text(body, "body", 2, 5000)?,
        };
        let now = self.services.clock.now();
        let users = self.services.db.read(store::users_with_email)?;
        let mut queued = 0;
        for batch in users.chunks(500) {
            queued += self.services.db.write(|conn| {
                let mut n = 0;
                for user in batch {
                    if !store::opted_out(conn, user, template.kind())? {
                        notify(conn, user, &template, now)?;
                        n += 1;
                    }
                }
                Ok(n)
            })?;
        }
        self.services.db.write(|conn| {
            crate::audit::record(
                conn,
                Some(staff),
                "email.announce",
                "announcement",
                subject,
                &format!("{queued} 位居民"),
                now,
            )
        })?;
        Ok(queued)
    }

    /// A person turns a non-essential kind of email on or off.
    #[tracing::instrument(skip_all)]
    pub fn set_preference(
        &self,
        actor: &Actor,
        kind: NotificationKind,
        enabled: bool,
    ) -> DomainResult<()> {
        let user = actor.user_id()?;
        self.services
            .db
            .write(|conn| store::set_opt_out(conn, user, kind.as_str(), !enabled))
    }

    /// The kinds of email `user` turned off: for that person only (nobody else needs to know
    /// what someone chose not to receive).
    pub fn opted_out(&self, actor: &Actor, user: &UserId) -> DomainResult<Vec<NotificationKind>> {
        if actor.user_id()? != user {
            return Ok(Vec::new());
        }
        Ok(self
            .services
            .db
            .read(|conn| store::opt_outs(conn, user))?
            .iter()
            .filter_map(|kind| NotificationKind::parse(kind))
            .collect())
    }
}
