//! Creations made once. A create request (a product, an activity, a reward, a need, a group)
//! may carry the client's idempotency key; the key is
//! recorded in the transaction that makes the object, so the same request sent again (after a
//! lost answer or a 503) returns the object the first one made, and the same key sent with a
//! different request is `IDEMPOTENCY_KEY_REUSED` — the ledger's rule, through its one path.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::Services;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::ledger::service::once;
use crate::ledger::store::{request_hash, scoped_key};
use crate::schema::creation;
use crate::types::{IdempotencyKey, UserId, text_enum};

text_enum!(Subject {
    Product => "PRODUCT",
    Activity => "ACTIVITY",
    Reward => "REWARD",
    Need => "NEED",
    Group => "GROUP",
});

/// A create request with its key: who sends it, the key, and a fingerprint of what it asks
/// for (the validated input, so a changed field is a different request).
pub struct Keyed<'a> {
    pub creator: &'a UserId,
    pub key: &'a IdempotencyKey,
    pub request: String,
}

/// Runs `create` (which returns the new object's id with the answer) in one write
/// transaction, once per key when `keyed` is given; `find` reads an earlier answer back by id.
pub(crate) fn create_once<T>(
    services: &Services,
    subject: Subject,
    keyed: Option<Keyed<'_>>,
    find: impl Fn(&mut DbConnection, &str) -> DomainResult<T>,
    mut create: impl FnMut(&mut DbConnection, NaiveDateTime) -> DomainResult<(String, T)>,
) -> DomainResult<T> {
    let Some(keyed) = keyed else {
        let now = services.clock.now();
        return services
            .db
            .write(|conn| create(conn, now).map(|(_, answer)| answer));
    };
    let scoped = scoped_key(keyed.creator.as_str(), keyed.key.as_str());
    let hash = request_hash(&[subject.as_str(), &keyed.request]);
    let replay = |conn: &mut DbConnection| {
        let first: Option<(String, String)> = creation::table
            .find(&scoped)
            .select((creation::subject_id, creation::request_hash))
            .first(conn)
            .optional()?;
        first
            .map(|(id, stored)| Ok((find(conn, &id)?, stored == hash)))
            .transpose()
    };
    once(services, replay, |conn, at| {
        let (id, answer) = create(conn, at)?;
        diesel::insert_into(creation::table)
            .values((
                creation::idempotency_key.eq(&scoped),
                creation::request_hash.eq(&hash),
                creation::subject_kind.eq(subject.as_str()),
                creation::subject_id.eq(&id),
                creation::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(answer)
    })
}
