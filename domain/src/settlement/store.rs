//! Settlement SQL. Each step of a settlement's life is a conditional update whose row count
//! decides; `UNIQUE (merchant_id, month)` keeps one settlement per merchant and month.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::model::{Month, Settlement, SettlementFilter, SettlementStatus, SettlementTotals};
use crate::db::{DbConnection, MultiBackend};
use crate::error::DomainResult;
use crate::page::{PageRequest, keyset};
use crate::schema::{merchant, settlement};
use crate::types::{MerchantId, SettlementId, UserId};

pub(crate) fn insert(conn: &mut DbConnection, s: &Settlement) -> DomainResult<()> {
    diesel::insert_into(settlement::table)
        .values((
            settlement::id.eq(&s.id),
            settlement::merchant_id.eq(&s.merchant_id),
            settlement::month.eq(s.month),
            settlement::points.eq(s.points),
            settlement::lines.eq(s.lines),
            settlement::point_value_fen.eq(s.point_value_fen),
            settlement::amount_fen.eq(s.amount_fen),
            settlement::rule.eq(&s.rule),
            settlement::status.eq(s.status),
            settlement::closed_by.eq(&s.closed_by),
            settlement::transfer_id.eq(&s.transfer_id),
            settlement::created_at.eq(s.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn find(conn: &mut DbConnection, id: &SettlementId) -> DomainResult<Option<Settlement>> {
    Ok(settlement::table
        .find(id)
        .select(Settlement::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn of_merchant_month(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    month: Month,
) -> DomainResult<Option<Settlement>> {
    Ok(settlement::table
        .filter(settlement::merchant_id.eq(merchant_id))
        .filter(settlement::month.eq(month))
        .select(Settlement::as_select())
        .first(conn)
        .optional()?)
}

/// The months already closed for a merchant (a dozen a year).
pub(crate) fn closed_months(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
) -> DomainResult<BTreeSet<Month>> {
    Ok(settlement::table
        .filter(settlement::merchant_id.eq(merchant_id))
        .select(settlement::month)
        .load::<Month>(conn)?
        .into_iter()
        .collect())
}

/// Approves a closed settlement once: false when it is no longer closed.
pub(crate) fn approve(
    conn: &mut DbConnection,
    id: &SettlementId,
    by: &UserId,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        settlement::table
            .find(id)
            .filter(settlement::status.eq(SettlementStatus::Closed)),
    )
    .set((
        settlement::status.eq(SettlementStatus::Approved),
        settlement::approved_by.eq(Some(by)),
        settlement::approved_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records the payment of an approved settlement once: false when it is not approved (any
/// more).
pub(crate) fn mark_paid(
    conn: &mut DbConnection,
    id: &SettlementId,
    by: &UserId,
    reference: &str,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        settlement::table
            .find(id)
            .filter(settlement::status.eq(SettlementStatus::Approved)),
    )
    .set((
        settlement::status.eq(SettlementStatus::Paid),
        settlement::paid_by.eq(Some(by)),
        settlement::paid_reference.eq(Some(reference)),
        settlement::paid_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Settlements of a filter, as a boxed query both the page and its count narrow alike.
fn filtered<'a>(filter: &'a SettlementFilter) -> settlement::BoxedQuery<'a, MultiBackend> {
    let mut query = settlement::table.into_boxed();
    if let Some(month) = filter.month {
        query = query.filter(settlement::month.eq(month));
    }
    if let Some(status) = filter.status {
        query = query.filter(settlement::status.eq(status));
    }
    if let Some(merchant_id) = &filter.merchant_id {
        query = query.filter(settlement::merchant_id.eq(merchant_id));
    }
    query
}

/// A page of settlements, newest first.
pub(crate) fn list(
    conn: &mut DbConnection,
    filter: &SettlementFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<Settlement>, i64)> {
    let total = filtered(filter).count().get_result(conn)?;
    let query = filtered(filter).select(Settlement::as_select());
    let rows = keyset!(query, settlement::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

/// Every settlement of a filter with its merchant's name, oldest first, up to `limit` rows.
pub(crate) fn with_shops(
    conn: &mut DbConnection,
    filter: &SettlementFilter,
    limit: i64,
) -> DomainResult<Vec<(Settlement, String)>> {
    let ids: Vec<String> = filtered(filter)
        .select(settlement::id)
        .order(settlement::id.asc())
        .limit(limit)
        .load(conn)?;
    Ok(settlement::table
        .inner_join(merchant::table)
        .filter(settlement::id.eq_any(&ids))
        .order(settlement::id.asc())
        .select((Settlement::as_select(), merchant::shop_name))
        .load(conn)?)
}

#[derive(QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = BigInt)]
    settlements: i64,
    #[diesel(sql_type = BigInt)]
    points: i64,
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
    #[diesel(sql_type = BigInt)]
    owed_fen: i64,
}

/// The settlements of a filter summed in one statement.
pub(crate) fn totals(
    conn: &mut DbConnection,
    filter: &SettlementFilter,
) -> DomainResult<SettlementTotals> {
    let mut sql = String::from(
        "SELECT CAST(COUNT(*) AS BIGINT) AS settlements, \
           CAST(COALESCE(SUM(points), 0) AS BIGINT) AS points, \
           CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen, \
           CAST(COALESCE(SUM(CASE WHEN status <> 'PAID' THEN amount_fen ELSE 0 END), 0) \
             AS BIGINT) AS owed_fen \
         FROM settlement WHERE 1 = 1",
    );
    let mut binds: Vec<String> = Vec::new();
    for (column, value) in [
        ("month", filter.month.map(|m| m.text().to_owned())),
        ("status", filter.status.map(|s| s.as_str().to_owned())),
        (
            "merchant_id",
            filter.merchant_id.as_ref().map(ToString::to_string),
        ),
    ] {
        if let Some(value) = value {
            binds.push(value);
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    let mut query = diesel::sql_query(sql).into_boxed::<MultiBackend>();
    for value in binds {
        query = query.bind::<Text, _>(value);
    }
    let row = query.get_result::<TotalsRow>(conn)?;
    Ok(SettlementTotals {
        settlements: row.settlements,
        points: row.points,
        amount_fen: row.amount_fen,
        owed_fen: row.owed_fen,
    })
}
