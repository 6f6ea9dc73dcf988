//! Retention: rows that only matter for a while — throttle counters, expired tokens, sent
//! email, sign-ins by client address — are deleted on a schedule, so those tables do not grow
//! without bound. Ledger transfers and audit events are permanent and never swept.

use chrono::TimeDelta;

use crate::Services;
use crate::error::DomainResult;

/// Sent email is kept this long (for staff answering "did I get the message?").
pub const SENT_EMAIL_KEPT: TimeDelta = TimeDelta::days(90);
/// Expired tokens are kept this long after expiry, then deleted.
pub const EXPIRED_TOKENS_KEPT: TimeDelta = TimeDelta::days(7);

pub struct Retention<'a> {
    services: &'a Services,
}

impl<'a> Retention<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// One sweep; returns how many rows went.
    #[tracing::instrument(skip_all)]
    pub fn sweep(&self) -> DomainResult<usize> {
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            Ok(crate::throttle::sweep(conn, now)?
                + crate::identity::store::sweep_tokens(conn, now - EXPIRED_TOKENS_KEPT)?
                + crate::outbox::store::sweep(conn, now - SENT_EMAIL_KEPT)?
                + crate::review::store::sweep_sightings(
                    conn,
                    now - crate::review::store::SIGHTINGS_KEPT,
                )?)
        })
    }
}
