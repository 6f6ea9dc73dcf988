//! Throttles: events counted per key in fixed windows; too many lock the key for a while.
//!
//! One mechanism for every throttle in Linli — wrong passwords, wrong counter and check-in
//! codes, lookups of other people's contacts, verification mail. A count is one atomic
//! `UPDATE … SET events = events + 1 … RETURNING`, so concurrent failures never overwrite each
//! other (a read-then-write loses counts at READ COMMITTED), and it runs in the caller's
//! transaction: callers whose request fails commit the count on purpose.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Timestamp};

use crate::Services;
use crate::db::{DbConnection, insert_unless_present};
use crate::error::{DomainError, DomainResult};
use crate::schema::{request_budget, throttle};

/// How many events a key may have in a window, and how long it is locked after that.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_events: i32,
    pub window: TimeDelta,
    pub lock: TimeDelta,
}

/// Five wrong passwords lock an account for 15 minutes.
pub const SIGN_IN_ACCOUNT: Policy = Policy {
    max_events: 5,
    window: TimeDelta::minutes(15),
    lock: TimeDelta::minutes(15),
};

/// One address may fail more often (a shared community-centre network), but not endlessly.
pub const SIGN_IN_ADDRESS: Policy = Policy {
    max_events: 20,
    window: TimeDelta::minutes(15),
    lock: TimeDelta::minutes(15),
};

/// Wrong redemption codes from one merchant operator: ten in ten minutes lock them out for ten
/// minutes, which makes guessing an 8-character code hopeless.
pub const REDEMPTION_CODE: Policy = Policy {
    max_events: 10,
    window: TimeDelta::minutes(10),
    lock: TimeDelta::minutes(10),
};

/// Wrong check-in codes for one participation: five in ten minutes pause it for ten minutes
/// (the participation is locked for good after [`CHECK_IN_LOCK_AFTER`] in all).
pub const CHECK_IN_CODE: Policy = Policy {
    max_events: 5,
    window: TimeDelta::minutes(10),
    lock: TimeDelta::minutes(10),
};

/// Wrong check-in codes across one activity, from any number of accounts: a room of
/// residents mistyping stays far below this; accounts guessing together do not.
pub const CHECK_IN_ACTIVITY: Policy = Policy {
    max_events: 60,
    window: TimeDelta::minutes(10),
    lock: TimeDelta::minutes(5),
};

/// A participation whose wrong check-in codes reach this many is locked: the organiser records
/// the attendance by hand (hours, no points) or the resident signs up anew next time.
pub const CHECK_IN_LOCK_AFTER: i32 = 10;

/// Lookups of someone else's email or phone that find nobody (donations, adding members): a
/// person finds their neighbours in a few tries; walking the phone-number space takes millions.
pub const CONTACT_LOOKUP: Policy = Policy {
    max_events: 10,
    window: TimeDelta::hours(1),
    lock: TimeDelta::hours(1),
};

/// Registrations from one address that hit an email or phone already taken.
pub const REGISTRATION_TAKEN: Policy = Policy {
    max_events: 10,
    window: TimeDelta::hours(1),
    lock: TimeDelta::hours(1),
};

/// Verification emails per person: enough to retry, too few to flood a mailbox.
pub const VERIFICATION_MAIL_USER: Policy = Policy {
    max_events: 3,
    window: TimeDelta::hours(1),
    lock: TimeDelta::hours(1),
};

/// Verification emails per client address, across accounts.
pub const VERIFICATION_MAIL_ADDRESS: Policy = Policy {
    max_events: 20,
    window: TimeDelta::hours(1),
    lock: TimeDelta::hours(1),
};

/// Refuses with `RATE_LIMITED` when `key` is locked now.
pub(crate) fn check(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> DomainResult<()> {
    let locked_until = throttle::table
        .find(key)
        .select(throttle::locked_until)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten();
    match retry_after(locked_until, now) {
        Some(retry_after_secs) => Err(DomainError::RateLimited { retry_after_secs }),
        None => Ok(()),
    }
}

/// Counts one event for `key`; returns the seconds to wait when this event locked it (or it
/// was already locked).
pub(crate) fn count(
    conn: &mut DbConnection,
    key: &str,
    policy: Policy,
    now: NaiveDateTime,
) -> DomainResult<Option<u64>> {
    let window_over = now - policy.window;
    let increment = |conn: &mut DbConnection| {
        diesel::update(throttle::table.find(key))
            .set((
                throttle::events.eq(case_when::<_, _, Integer>(
                    throttle::window_started_at.le(window_over),
                    1,
                )
                .otherwise(throttle::events + 1)),
                throttle::window_started_at.eq(case_when::<_, _, Timestamp>(
                    throttle::window_started_at.le(window_over),
                    now,
                )
                .otherwise(throttle::window_started_at)),
            ))
            .returning((throttle::events, throttle::locked_until))
            .get_result::<(i32, Option<NaiveDateTime>)>(conn)
            .optional()
    };
    let (events, locked_until) = match increment(conn)? {
        Some(row) => row,
        None => {
            let inserted = insert_unless_present(conn, &["throttle_key", "pkey"], |conn| {
                diesel::insert_into(throttle::table)
                    .values((
                        throttle::throttle_key.eq(key),
                        throttle::events.eq(1),
                        throttle::window_started_at.eq(now),
                    ))
                    .execute(conn)
            })?;
            if inserted {
                (1, None)
            } else {
                increment(conn)?.ok_or_else(|| DomainError::internal("throttle row vanished"))?
            }
        }
    };
    if let Some(wait) = retry_after(locked_until, now) {
        return Ok(Some(wait));
    }
    if events < policy.max_events {
        return Ok(None);
    }
    let until = now + policy.lock;
    diesel::update(throttle::table.find(key))
        .set(throttle::locked_until.eq(until))
        .execute(conn)?;
    Ok(retry_after(Some(until), now))
}

/// Forgets a key (a successful sign-in clears its failures).
pub(crate) fn clear(conn: &mut DbConnection, key: &str) -> DomainResult<()> {
    diesel::delete(throttle::table.find(key)).execute(conn)?;
    Ok(())
}

/// Deletes counters whose window and lock both ended long ago; run by the retention sweep.
pub(crate) fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> DomainResult<usize> {
    let long_ago = now - TimeDelta::days(1);
    Ok(diesel::delete(
        throttle::table
            .filter(throttle::window_started_at.lt(long_ago))
            .filter(
                throttle::locked_until
                    .is_null()
                    .or(throttle::locked_until.lt(long_ago)),
            ),
    )
    .execute(conn)?)
}

fn retry_after(locked_until: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<u64> {
    locked_until
        .filter(|until| *until > now)
        .map(|until| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
}

/// Request budgets: one leaky bucket per client, shared through the database by every
/// instance. Instances charge requests in memory and add what they charged here about once a
/// second, so the budget costs no write per request.
pub struct Budgets<'a> {
    services: &'a Services,
}

impl<'a> Budgets<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Adds `spent` (thousandths of cost) to each client's bucket after draining it at
    /// `rate` thousandths per millisecond since its last update; returns each new level.
    /// One transaction for the whole batch.
    pub fn add(
        &self,
        charges: &[(String, i64)],
        now_ms: i64,
        rate: i64,
    ) -> DomainResult<Vec<(String, i64)>> {
        self.services.db.write(|conn| {
            charges
                .iter()
                .map(|(key, spent)| {
                    Ok((key.clone(), add_to_bucket(conn, key, *spent, now_ms, rate)?))
                })
                .collect()
        })
    }
}

impl Budgets<'_> {
    /// A client's level now, as every instance has reported it (0 for a client never seen).
    pub fn level(&self, key: &str, now_ms: i64, rate: i64) -> DomainResult<i64> {
        let row = self.services.db.read(|conn| {
            Ok(request_budget::table
                .find(key)
                .select((request_budget::level, request_budget::updated_ms))
                .first::<(i64, i64)>(conn)
                .optional()?)
        })?;
        Ok(row.map_or(0, |(level, at)| {
            (level - (now_ms - at).max(0).saturating_mul(rate)).max(0)
        }))
    }
}

fn add_to_bucket(
    conn: &mut DbConnection,
    key: &str,
    spent: i64,
    now_ms: i64,
    rate: i64,
) -> DomainResult<i64> {
    let drain = |conn: &mut DbConnection| {
        let drained = request_budget::level
            - (now_ms.into_sql::<BigInt>() - request_budget::updated_ms) * rate;
        diesel::update(request_budget::table.find(key))
            .set((
                request_budget::level
                    .eq(case_when::<_, _, BigInt>(drained.le(0), spent).otherwise(drained + spent)),
                request_budget::updated_ms.eq(now_ms),
            ))
            .returning(request_budget::level)
            .get_result::<i64>(conn)
            .optional()
    };
    if let Some(level) = drain(conn)? {
        return Ok(level);
    }
    let inserted = insert_unless_present(conn, &["client_key", "pkey"], |conn| {
        diesel::insert_into(request_budget::table)
            .values((
                request_budget::client_key.eq(key),
                request_budget::level.eq(spent.max(0)),
                request_budget::updated_ms.eq(now_ms),
            ))
            .execute(conn)
    })?;
    if inserted {
        return Ok(spent.max(0));
    }
    drain(conn)?.ok_or_else(|| DomainError::internal("budget row vanished"))
}
