//! Lots: which year's points a wallet or redemption hold holds, so that points lapse in the
//! order they were earned. [`post_lots`] runs inside [`super::store::post`] for every transfer
//! that touches such an account; nothing else changes a lot.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;

use super::model::{AccountKind, Transfer};
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::schema::{account, lot_entry, point_lot, transfer};
use crate::types::{AccountId, TransferId, china_time};

/// Wallets hold residents' points, holds the points of their pending redemptions; both keep
/// the years the points were earned in. Budgets, group funds and tills hold points that do not
/// lapse: points leaving a wallet for them leave their years behind, and points coming back
/// from them are newly earned.
pub(crate) fn carries_lots(kind: AccountKind) -> bool {
    matches!(kind, AccountKind::Wallet | AccountKind::Hold)
}

/// The cause an `EXPIRE` names: the lot it empties.
pub(crate) const LOT_CAUSE: &str = "lot";

/// Points of one earning year moved by one transfer.
type Part = (i32, i64);

#[derive(Queryable)]
struct OpenLot {
    id: String,
    earned_year: i32,
    remaining: i64,
}

/// Records what `t` did to the lots of its accounts. The debit side gives up its oldest lots,
/// except that points first come out of the lots that the transfer it reverses, or the hold
/// of its own cause (a redemption's), put there. The credit side receives the
/// years the debit side gave up; from an account without lots it receives what the reversed
/// transfer took from it, or else points earned now. Must run after both balances changed: the
/// debit's row lock serialises everything that touches its lots.
pub(crate) fn post_lots(
    conn: &mut DbConnection,
    t: &Transfer,
    debit_kind: AccountKind,
    credit_kind: AccountKind,
) -> DomainResult<()> {
    let taken = if carries_lots(debit_kind) {
        let preferred = preferred_lots(conn, t, debit_kind)?;
        Some(take(
            conn,
            &t.id,
            &t.debit_account_id,
            t.amount,
            &preferred,
        )?)
    } else {
        None
    };
    if !carries_lots(credit_kind) {
        return Ok(());
    }
    let parts = match taken {
        Some(parts) => parts,
        None => restored_parts(conn, t)?,
    };
    add(conn, &t.id, &t.credit_account_id, &parts, t.created_at)
}

/// Lots of the debit account that this transfer should empty first: the lot an expiry names,
/// those the reversed transfer filled, or — leaving a hold — those its own cause's hold filled
/// (a redemption's points go on, or back, in the years they were held from).
fn preferred_lots(
    conn: &mut DbConnection,
    t: &Transfer,
    debit_kind: AccountKind,
) -> DomainResult<Vec<String>> {
    if let Some(cause) = t.cause.as_ref().filter(|c| c.kind == LOT_CAUSE) {
        return Ok(vec![cause.id.clone()]);
    }
    let account = t.debit_account_id.as_str();
    let mut query = lot_entry::table
        .inner_join(transfer::table)
        .inner_join(point_lot::table)
        .filter(point_lot::account_id.eq(account))
        .filter(lot_entry::change.gt(0))
        .select(lot_entry::lot_id)
        .into_boxed();
    if let Some(original) = &t.reverses_id {
        query = query.filter(lot_entry::transfer_id.eq(original.as_str()));
    } else if let Some(cause) = t.cause.as_ref().filter(|_| debit_kind == AccountKind::Hold) {
        query = query
            .filter(transfer::cause_kind.eq(cause.kind.as_str()))
            .filter(transfer::cause_id.eq(cause.id.as_str()));
    } else {
        return Ok(Vec::new());
    }
    Ok(query.load(conn)?)
}

/// What a credit from an account without lots brings: what the reversed transfer took from
/// this account (a reversal puts points back in the years they came from), the rest earned at
/// the transfer's time.
fn restored_parts(conn: &mut DbConnection, t: &Transfer) -> DomainResult<Vec<Part>> {
    let mut parts: Vec<Part> = match &t.reverses_id {
        Some(original) => lot_entry::table
            .inner_join(point_lot::table)
            .filter(lot_entry::transfer_id.eq(original.as_str()))
            .filter(point_lot::account_id.eq(t.credit_account_id.as_str()))
            .filter(lot_entry::change.lt(0))
            .select((point_lot::earned_year, lot_entry::change))
            .load::<(i32, i64)>(conn)?
            .into_iter()
            .map(|(year, change)| (year, -change))
            .collect(),
        None => Vec::new(),
    };
    let restored: i64 = parts.iter().map(|p| p.1).sum();
    if restored < t.amount {
        parts.push((china_time(t.created_at).year(), t.amount - restored));
    }
    Ok(parts)
}

/// Takes `amount` from the account's lots, `preferred` ones first, then oldest first.
fn take(
    conn: &mut DbConnection,
    transfer: &TransferId,
    account: &AccountId,
    amount: i64,
    preferred: &[String],
) -> DomainResult<Vec<Part>> {
    let mut lots: Vec<OpenLot> = point_lot::table
        .filter(point_lot::account_id.eq(account.as_str()))
        .filter(point_lot::remaining.gt(0))
        .select((point_lot::id, point_lot::earned_year, point_lot::remaining))
        .load(conn)?;
    lots.sort_by_key(|lot| (!preferred.contains(&lot.id), lot.earned_year));
    let mut left = amount;
    let mut parts = Vec::new();
    for lot in lots {
        if left == 0 {
            break;
        }
        let n = left.min(lot.remaining);
        let updated = diesel::update(point_lot::table.find(&lot.id))
            .filter(point_lot::remaining.ge(n))
            .set(point_lot::remaining.eq(point_lot::remaining - n))
            .execute(conn)?;
        if updated == 0 {
            return Err(DomainError::internal(format!(
                "lot {} changed underfoot",
                lot.id
            )));
        }
        entry(conn, transfer, &lot.id, -n)?;
        parts.push((lot.earned_year, n));
        left -= n;
    }
    if left > 0 {
        // The balance covered the debit, so the lots must too: Σ lots = balance is an invariant.
        return Err(DomainError::internal(format!(
            "lots of {account} short by {left} points"
        )));
    }
    Ok(parts)
}

/// Adds each part to the account's lot of its year, opening the lot if needed.
fn add(
    conn: &mut DbConnection,
    transfer: &TransferId,
    account: &AccountId,
    parts: &[Part],
    at: NaiveDateTime,
) -> DomainResult<()> {
    let mut merged: Vec<Part> = Vec::new();
    for &(year, n) in parts {
        match merged.iter_mut().find(|p| p.0 == year) {
            Some(p) => p.1 += n,
            None => merged.push((year, n)),
        }
    }
    for (year, n) in merged {
        let existing: Option<String> = point_lot::table
            .filter(point_lot::account_id.eq(account.as_str()))
            .filter(point_lot::earned_year.eq(year))
            .select(point_lot::id)
            .first(conn)
            .optional()?;
        let lot = match existing {
            Some(id) => {
                diesel::update(point_lot::table.find(&id))
                    .set(point_lot::remaining.eq(point_lot::remaining + n))
                    .execute(conn)?;
                id
            }
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                diesel::insert_into(point_lot::table)
                    .values((
                        point_lot::id.eq(&id),
                        point_lot::account_id.eq(account.as_str()),
                        point_lot::earned_year.eq(year),
                        point_lot::carried_in.eq(0_i64),
                        point_lot::remaining.eq(n),
                        point_lot::created_at.eq(at),
                    ))
                    .execute(conn)?;
                id
            }
        };
        entry(conn, transfer, &lot, n)?;
    }
    Ok(())
}

fn entry(
    conn: &mut DbConnection,
    transfer: &TransferId,
    lot: &str,
    change: i64,
) -> DomainResult<()> {
    diesel::insert_into(lot_entry::table)
        .values((
            lot_entry::transfer_id.eq(transfer.as_str()),
            lot_entry::lot_id.eq(lot),
            lot_entry::change.eq(change),
        ))
        .execute(conn)?;
    Ok(())
}

/// The account's lots with points left, oldest first.
pub(crate) fn open_lots(conn: &mut DbConnection, account: &AccountId) -> DomainResult<Vec<Part>> {
    Ok(point_lot::table
        .filter(point_lot::account_id.eq(account.as_str()))
        .filter(point_lot::remaining.gt(0))
        .order(point_lot::earned_year.asc())
        .select((point_lot::earned_year, point_lot::remaining))
        .load(conn)?)
}

/// A wallet's lot with points left.
#[derive(Queryable)]
pub(crate) struct WalletLot {
    pub id: String,
    pub account_id: AccountId,
    pub owner_id: Option<String>,
    pub earned_year: i32,
}

/// Up to `limit` wallets' lots with points left earned after `after` (if given) and in
/// `through` or before, oldest first: the lots that have lapsed, or, for reminders, are about
/// to (then only those not yet reminded `not_reminded` days before).
pub(crate) fn wallet_lots(
    conn: &mut DbConnection,
    after: Option<i32>,
    through: i32,
    not_reminded: Option<i32>,
    limit: i64,
) -> DomainResult<Vec<WalletLot>> {
    use crate::schema::lot_reminder;
    let mut query = point_lot::table
        .inner_join(account::table)
        .filter(point_lot::remaining.gt(0))
        .filter(point_lot::earned_year.le(through))
        .filter(account::kind.eq(AccountKind::Wallet.as_str()))
        .select((
            point_lot::id,
            point_lot::account_id,
            account::owner_id,
            point_lot::earned_year,
        ))
        .order((point_lot::earned_year.asc(), point_lot::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(point_lot::earned_year.gt(after));
    }
    if let Some(days) = not_reminded {
        query = query.filter(diesel::dsl::not(diesel::dsl::exists(
            lot_reminder::table
                .filter(lot_reminder::lot_id.eq(point_lot::id))
                .filter(lot_reminder::days_before.eq(days)),
        )));
    }
    Ok(query.load(conn)?)
}

/// The points left in one lot, read inside the transaction that acts on them.
pub(crate) fn remaining(conn: &mut DbConnection, lot: &str) -> DomainResult<i64> {
    Ok(point_lot::table
        .find(lot)
        .select(point_lot::remaining)
        .first(conn)?)
}

/// How many transfers ever touched a lot: with its id, a key for the next expiry of it that
/// two sweepers computing at once agree on.
pub(crate) fn entries(conn: &mut DbConnection, lot: &str) -> DomainResult<i64> {
    Ok(lot_entry::table
        .filter(lot_entry::lot_id.eq(lot))
        .count()
        .get_result(conn)?)
}

/// Records a reminder for a lot, once: false when it was already sent.
pub(crate) fn remind_once(
    conn: &mut DbConnection,
    lot: &str,
    days_before: i32,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    use crate::schema::lot_reminder;
    let sent = lot_reminder::table
        .find((lot, days_before))
        .count()
        .get_result::<i64>(conn)?;
    if sent > 0 {
        return Ok(false);
    }
    diesel::insert_into(lot_reminder::table)
        .values((
            lot_reminder::lot_id.eq(lot),
            lot_reminder::days_before.eq(days_before),
            lot_reminder::sent_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The lot invariants `linli ledger verify` checks in SQL, each query answering violations
/// as `item` and `detail`.
pub(crate) fn checks(examples: i64) -> Vec<(&'static str, String)> {
    let lots_of = "'WALLET', 'HOLD'";
    let side = |sign: &str| {
        format!(
            "(SELECT transfer_id, SUM(ABS(change)) AS total FROM lot_entry \
             WHERE change {sign} 0 GROUP BY transfer_id)"
        )
    };
    vec![
        (
            "each wallet's and hold's lots sum to its balance",
            format!(
                "SELECT a.id AS item, 'balance ' || CAST(a.balance AS TEXT) || ', lots ' || \
                   CAST(COALESCE(l.total, 0) AS TEXT) AS detail \
                 FROM account a LEFT JOIN (SELECT account_id, SUM(remaining) AS total \
                   FROM point_lot GROUP BY account_id) l ON l.account_id = a.id \
                 WHERE a.kind IN ({lots_of}) AND a.balance <> COALESCE(l.total, 0) \
                 LIMIT {examples}"
            ),
        ),
        (
            "each lot holds what it carried in plus its entries, none taken twice",
            format!(
                "SELECT l.id AS item, 'remaining ' || CAST(l.remaining AS TEXT) || \
                   ', entries say ' || CAST(l.carried_in + COALESCE(e.total, 0) AS TEXT) AS detail \
                 FROM point_lot l LEFT JOIN (SELECT lot_id, SUM(change) AS total FROM lot_entry \
                   GROUP BY lot_id) e ON e.lot_id = l.id \
                 WHERE l.remaining <> l.carried_in + COALESCE(e.total, 0) \
                   OR NOT EXISTS (SELECT 1 FROM account a WHERE a.id = l.account_id \
                     AND a.kind IN ({lots_of})) \
                 LIMIT {examples}"
            ),
        ),
        (
            "each transfer takes its amount from its debit side's lots and gives it to its \
             credit side's, where those keep lots",
            format!(
                "SELECT t.id AS item, t.code || ' ' || CAST(t.amount AS TEXT) || ': lots gave ' || \
                   CAST(COALESCE(d.total, 0) AS TEXT) || ', received ' || \
                   CAST(COALESCE(c.total, 0) AS TEXT) AS detail \
                 FROM transfer t \
                 JOIN account da ON da.id = t.debit_account_id \
                 JOIN account ca ON ca.id = t.credit_account_id \
                 LEFT JOIN {debits} d ON d.transfer_id = t.id \
                 LEFT JOIN {credits} c ON c.transfer_id = t.id \
                 WHERE t.id > COALESCE((SELECT MAX(last_transfer_id) FROM point_lot_start), '') \
                   AND (COALESCE(d.total, 0) <> CASE WHEN da.kind IN ({lots_of}) \
                          THEN t.amount ELSE 0 END \
                     OR COALESCE(c.total, 0) <> CASE WHEN ca.kind IN ({lots_of}) \
                          THEN t.amount ELSE 0 END) \
                 UNION ALL \
                 SELECT e.transfer_id AS item, 'lot ' || e.lot_id || ' of another account' \
                   AS detail \
                 FROM lot_entry e JOIN point_lot l ON l.id = e.lot_id \
                 JOIN transfer t ON t.id = e.transfer_id \
                 WHERE l.account_id <> CASE WHEN e.change < 0 THEN t.debit_account_id \
                   ELSE t.credit_account_id END \
                 LIMIT {examples}",
                debits = side("<"),
                credits = side(">"),
            ),
        ),
        (
            "every EXPIRE moves a wallet's points to the EXPIRED account",
            format!(
                "SELECT t.id AS item, da.kind || ' to ' || ca.kind AS detail FROM transfer t \
                 JOIN account da ON da.id = t.debit_account_id \
                 JOIN account ca ON ca.id = t.credit_account_id \
                 WHERE t.code = 'EXPIRE' AND (da.kind <> 'WALLET' OR ca.kind <> 'EXPIRED') \
                 LIMIT {examples}"
            ),
        ),
    ]
}

/// Every EXPIRE took only points whose year had lapsed when it was posted. Answered per
/// earning year (one row each), so it stays cheap however many wallets expired.
pub(crate) fn expiries_lapsed(
    conn: &mut DbConnection,
    expiry: super::PointsExpiry,
) -> DomainResult<super::VerifyCheck> {
    let first_expiries: Vec<(i32, Option<NaiveDateTime>)> = lot_entry::table
        .inner_join(transfer::table)
        .inner_join(point_lot::table)
        .filter(transfer::code.eq(super::TransferCode::Expire.as_str()))
        .group_by(point_lot::earned_year)
        .select((
            point_lot::earned_year,
            diesel::dsl::min(transfer::created_at),
        ))
        .load(conn)?;
    let violations = first_expiries
        .into_iter()
        .filter_map(|(year, first)| {
            let first = first?;
            match expiry.lapses_at(year) {
                Some(lapse) if first >= lapse => None,
                lapse => Some(format!(
                    "points earned in {year}: expired at {first}, lapse {}",
                    lapse.map_or("never".to_owned(), |l| l.to_string())
                )),
            }
        })
        .collect();
    Ok(super::VerifyCheck {
        name: "every EXPIRE takes only points whose year had lapsed",
        violations,
    })
}
