//! Bookings' SQL.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Booking, BookingStatus, BookingTerms, TermsInput};
use crate::catalogue::Product;
use crate::db::{DbConnection, insert_unless_present};
use crate::error::DomainResult;
use crate::page::{PageRequest, keyset};
use crate::schema::{booking, booking_day, booking_terms};
use crate::types::{BookingId, OrganisationId, ProductId, UserId};

pub(crate) fn terms(
    conn: &mut DbConnection,
    product: &ProductId,
) -> DomainResult<Option<BookingTerms>> {
    Ok(booking_terms::table
        .find(product.as_str())
        .select(BookingTerms::as_select())
        .first(conn)
        .optional()?)
}

/// Changes the product's terms, or sets them the first time.
pub(crate) fn save_terms(
    conn: &mut DbConnection,
    product: &ProductId,
    input: &TermsInput,
    by: &UserId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    let values = || {
        (
            booking_terms::seats_per_day.eq(input.seats_per_day),
            booking_terms::per_resident_per_day.eq(input.per_resident_per_day),
            booking_terms::days_ahead.eq(input.days_ahead),
            booking_terms::open.eq(input.open),
            booking_terms::updated_by.eq(by.as_str()),
            booking_terms::updated_at.eq(at),
        )
    };
    let changed = diesel::update(booking_terms::table.find(product.as_str()))
        .set(values())
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(booking_terms::table)
            .values((booking_terms::product_id.eq(product.as_str()), values()))
            .execute(conn)?;
    }
    Ok(())
}

/// Seats taken on a day.
pub(crate) fn taken(conn: &mut DbConnection, product: &ProductId, day: &str) -> DomainResult<i32> {
    Ok(booking_day::table
        .find((product.as_str(), day))
        .select(booking_day::taken)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Takes one of `seats` on the day: false when all are taken. The conditional update is what
/// lets exactly `seats` of any number of concurrent bookings through, on both engines.
pub(crate) fn take_seat(
    conn: &mut DbConnection,
    product: &ProductId,
    day: &str,
    seats: i32,
) -> DomainResult<bool> {
    insert_unless_present(conn, &["booking_day"], |conn| {
        diesel::insert_into(booking_day::table)
            .values((
                booking_day::product_id.eq(product.as_str()),
                booking_day::day.eq(day),
                booking_day::taken.eq(0),
            ))
            .execute(conn)
    })?;
    let taken = diesel::update(booking_day::table.find((product.as_str(), day)))
        .filter(booking_day::taken.lt(seats))
        .set(booking_day::taken.eq(booking_day::taken + 1))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Gives a seat back (a no-op for products without seats a day).
pub(crate) fn give_back_seat(
    conn: &mut DbConnection,
    product: &ProductId,
    day: &str,
) -> DomainResult<()> {
    diesel::update(booking_day::table.find((product.as_str(), day)))
        .filter(booking_day::taken.gt(0))
        .set(booking_day::taken.eq(booking_day::taken - 1))
        .execute(conn)?;
    Ok(())
}

/// The resident's bookings of the product on the day that hold or used a seat.
pub(crate) fn count_of_resident(
    conn: &mut DbConnection,
    product: &ProductId,
    day: &str,
    user: &UserId,
) -> DomainResult<i64> {
    Ok(booking::table
        .filter(booking::product_id.eq(product.as_str()))
        .filter(booking::day.eq(day))
        .filter(booking::user_id.eq(user.as_str()))
        .filter(booking::status.eq_any([
            BookingStatus::Requested.as_str(),
            BookingStatus::Accepted.as_str(),
            BookingStatus::Delivered.as_str(),
        ]))
        .count()
        .get_result(conn)?)
}

pub(crate) struct NewRow<'a> {
    pub id: &'a BookingId,
    pub product: &'a Product,
    pub user: &'a UserId,
    pub day: &'a str,
    pub status: BookingStatus,
    pub points: i64,
    pub note: &'a str,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
    pub at: NaiveDateTime,
}

pub(crate) fn insert(conn: &mut DbConnection, row: &NewRow<'_>) -> DomainResult<()> {
    diesel::insert_into(booking::table)
        .values((
            booking::id.eq(row.id.as_str()),
            booking::product_id.eq(row.product.id.as_str()),
            booking::organisation_id.eq(row.product.organisation_id.as_str()),
            booking::user_id.eq(row.user.as_str()),
            booking::day.eq(row.day),
            booking::status.eq(row.status.as_str()),
            booking::price_tier.eq(row.product.price_tier.as_str()),
            booking::price_fen.eq(row.product.price_fen),
            booking::points.eq(row.points),
            booking::note.eq(row.note),
            booking::idempotency_key.eq(row.idempotency_key),
            booking::request_hash.eq(row.request_hash),
            booking::created_at.eq(row.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a booking from one of `from` to `to` in one conditional update: false when it was not
/// in any of them (someone else moved it first).
pub(crate) fn transition(
    conn: &mut DbConnection,
    id: &BookingId,
    from: &[BookingStatus],
    to: BookingStatus,
    by: Option<&UserId>,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let finished = (!to.is_open()).then_some(at);
    let decided = by.is_some().then_some(at);
    let target = booking::table
        .find(id.as_str())
        .filter(booking::status.eq_any(from.iter().map(|s| s.as_str())));
    let changed = match by {
        Some(by) => diesel::update(target)
            .set((
                booking::status.eq(to.as_str()),
                booking::decided_by.eq(by.as_str()),
                booking::decided_at.eq(decided),
                booking::reason.eq(reason),
                booking::finished_at.eq(finished),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                booking::status.eq(to.as_str()),
                booking::finished_at.eq(finished),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

pub(crate) fn find(conn: &mut DbConnection, id: &BookingId) -> DomainResult<Option<Booking>> {
    Ok(booking::table
        .find(id.as_str())
        .select(Booking::as_select())
        .first(conn)
        .optional()?)
}

/// The booking filed under a scoped idempotency key, with its request fingerprint.
pub(crate) fn by_key(
    conn: &mut DbConnection,
    scoped: &str,
) -> DomainResult<Option<(Booking, String)>> {
    Ok(booking::table
        .filter(booking::idempotency_key.eq(scoped))
        .select((Booking::as_select(), booking::request_hash))
        .first(conn)
        .optional()?)
}

/// Open bookings of `day` or earlier, oldest first.
pub(crate) fn open_through(
    conn: &mut DbConnection,
    day: &str,
    limit: i64,
) -> DomainResult<Vec<Booking>> {
    Ok(booking::table
        .filter(booking::status.eq_any(BookingStatus::OPEN.map(|s| s.as_str())))
        .filter(booking::day.le(day))
        .order((booking::day.asc(), booking::id.asc()))
        .limit(limit)
        .select(Booking::as_select())
        .load(conn)?)
}

pub(crate) fn of_user(
    conn: &mut DbConnection,
    user: &UserId,
    page: &PageRequest,
) -> DomainResult<(Vec<Booking>, i64)> {
    let total = booking::table
        .filter(booking::user_id.eq(user.as_str()))
        .count()
        .get_result(conn)?;
    let query = booking::table
        .filter(booking::user_id.eq(user.as_str()))
        .select(Booking::as_select())
        .into_boxed();
    let rows = keyset!(query, booking::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

pub(crate) fn of_organisation(
    conn: &mut DbConnection,
    organisation: &OrganisationId,
    status: Option<BookingStatus>,
    page: &PageRequest,
) -> DomainResult<(Vec<Booking>, i64)> {
    let mut count = booking::table
        .filter(booking::organisation_id.eq(organisation.as_str()))
        .count()
        .into_boxed();
    let mut query = booking::table
        .filter(booking::organisation_id.eq(organisation.as_str()))
        .select(Booking::as_select())
        .into_boxed();
    if let Some(status) = status {
        count = count.filter(booking::status.eq(status.as_str()));
        query = query.filter(booking::status.eq(status.as_str()));
    }
    let total = count.get_result(conn)?;
    let rows = keyset!(query, booking::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}
