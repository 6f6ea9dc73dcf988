//! The ledger's SQL. [`post`] is the one function that changes a balance.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

use super::model::{
    Account, AccountKind, ApprovalRequest, ApprovalStatus, Cause, Counterpart, Direction,
    HistoryEntry, HistoryFilter, Transfer, TransferCode, VerifyCheck, VerifyReport,
};
use crate::db::{DbConnection, is_unique_violation};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{account, app_user, approval_request, organisation, transfer};
use crate::types::{AccountId, ApprovalRequestId, Points, TransferId, UserId};

/// The district's issuance account: the only account allowed below zero. Its id is fixed in
/// the migrations of both engines.
pub(crate) const ISSUANCE_ACCOUNT: &str = "00000000-0000-7000-8000-000000000001";

/// Where lapsed points go (`EXPIRE`). Fixed in the migrations of both engines, like issuance.
pub(crate) const EXPIRED_ACCOUNT: &str = "00000000-0000-7000-8000-000000000002";

/// Where a closed month's captures go from the merchants' tills (`SETTLE`): points the centre
/// pays the merchants for in yuan. Fixed in the migrations of both engines, like issuance.
pub(crate) const SETTLED_ACCOUNT: &str = "00000000-0000-7000-8000-000000000003";

/// A transfer as stored: its cause is two nullable columns, one value in the model.
#[derive(Queryable, Selectable)]
#[diesel(table_name = transfer)]
struct TransferRow {
    id: TransferId,
    debit_account_id: AccountId,
    credit_account_id: AccountId,
    amount: i64,
    code: TransferCode,
    actor_id: Option<UserId>,
    reason: String,
    cause_kind: Option<String>,
    cause_id: Option<String>,
    rule: Option<String>,
    reverses_id: Option<TransferId>,
    created_at: NaiveDateTime,
}

impl From<TransferRow> for Transfer {
    fn from(row: TransferRow) -> Self {
        Self {
            id: row.id,
            debit_account_id: row.debit_account_id,
            credit_account_id: row.credit_account_id,
            amount: row.amount,
            code: row.code,
            actor_id: row.actor_id,
            reason: row.reason,
            cause: row
                .cause_kind
                .zip(row.cause_id)
                .map(|(kind, id)| Cause { kind, id }),
            rule: row.rule,
            reverses_id: row.reverses_id,
            created_at: row.created_at,
        }
    }
}

/// A resident's wallet and redemption hold, opened with the user. Each resident has their own
/// hold so that redemptions never queue on one shared row.
pub(crate) fn open_personal_accounts(
    conn: &mut DbConnection,
    user: &UserId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    open_owned_account(conn, AccountKind::Wallet, user.as_str(), at)?;
    open_owned_account(conn, AccountKind::Hold, user.as_str(), at)?;
    Ok(())
}

/// A resident's wallet and redemption hold.
pub(crate) fn personal_accounts(
    conn: &mut DbConnection,
    user: &UserId,
) -> DomainResult<(AccountId, AccountId)> {
    let get = |conn: &mut DbConnection, kind| {
        owned_account(conn, kind, user.as_str())?
            .map(|a| a.id)
            .ok_or_else(|| DomainError::internal("resident without personal accounts"))
    };
    Ok((
        get(conn, AccountKind::Wallet)?,
        get(conn, AccountKind::Hold)?,
    ))
}

/// Opens the account of `kind` for an owner (an organisation's budget, a merchant's till, a
/// group's fund). Every owner has at most one account of each kind.
pub(crate) fn open_owned_account(
    conn: &mut DbConnection,
    kind: AccountKind,
    owner_id: &str,
    at: NaiveDateTime,
) -> DomainResult<AccountId> {
    let id = AccountId::generate();
    diesel::insert_into(account::table)
        .values((
            account::id.eq(id.as_str()),
            account::kind.eq(kind.as_str()),
            account::owner_id.eq(owner_id),
            account::balance.eq(0_i64),
            account::may_go_negative.eq(false),
            account::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

pub(crate) fn find_account(
    conn: &mut DbConnection,
    id: &AccountId,
) -> DomainResult<Option<Account>> {
    Ok(account::table
        .find(id.as_str())
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn owned_account(
    conn: &mut DbConnection,
    kind: AccountKind,
    owner_id: &str,
) -> DomainResult<Option<Account>> {
    Ok(account::table
        .filter(account::kind.eq(kind.as_str()))
        .filter(account::owner_id.eq(owner_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The accounts of `kind` of several owners, in one query.
pub(crate) fn owned_accounts(
    conn: &mut DbConnection,
    kind: AccountKind,
    owners: &[String],
) -> DomainResult<Vec<Account>> {
    Ok(account::table
        .filter(account::kind.eq(kind.as_str()))
        .filter(account::owner_id.eq_any(owners))
        .select(Account::as_select())
        .load(conn)?)
}

/// Takes the row lock of an account until the transaction ends (a no-op update), so that a
/// use case which reads before it posts sees no concurrent change to that account.
pub(crate) fn lock_account(conn: &mut DbConnection, id: &AccountId) -> DomainResult<()> {
    diesel::update(account::table.find(id.as_str()))
        .set(account::balance.eq(account::balance))
        .execute(conn)?;
    Ok(())
}

/// Every account of one kind (e.g. all merchant accounts, for the district overview).
pub(crate) fn accounts_of_kind(
    conn: &mut DbConnection,
    kind: AccountKind,
) -> DomainResult<Vec<Account>> {
    Ok(account::table
        .filter(account::kind.eq(kind.as_str()))
        .select(Account::as_select())
        .load(conn)?)
}

/// Sum of the balances of every account of one kind.
pub(crate) fn kind_total(conn: &mut DbConnection, kind: AccountKind) -> DomainResult<i64> {
    let row = diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS total FROM account WHERE kind = $1",
    )
    .bind::<Text, _>(kind.as_str())
    .get_result::<Total>(conn)?;
    Ok(row.total)
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// A transfer about to be posted: built with [`NewTransfer::new`] from what every transfer
/// has, then the optional parts by name.
pub(crate) struct NewTransfer<'a> {
    code: TransferCode,
    debit: &'a AccountId,
    credit: &'a AccountId,
    amount: Points,
    reason: &'a str,
    at: NaiveDateTime,
    actor: Option<&'a UserId>,
    cause: Option<&'a Cause>,
    rule: Option<&'a str>,
    reverses: Option<&'a TransferId>,
}

impl<'a> NewTransfer<'a> {
    /// `amount` from `debit` to `credit`, for `reason`, at `at`; by nobody (a system flow),
    /// for no recorded cause, priced by no rule, reversing nothing.
    pub(crate) fn new(
        code: TransferCode,
        debit: &'a AccountId,
        credit: &'a AccountId,
        amount: Points,
        reason: &'a str,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            code,
            debit,
            credit,
            amount,
            reason,
            at,
            actor: None,
            cause: None,
            rule: None,
            reverses: None,
        }
    }

    pub(crate) fn code(&self) -> TransferCode {
        self.code
    }

    /// The person who moved the points.
    pub(crate) fn by(self, actor: impl Into<Option<&'a UserId>>) -> Self {
        Self {
            actor: actor.into(),
            ..self
        }
    }

    /// What produced the transfer (a participation, a redemption, a group).
    pub(crate) fn caused_by(self, cause: impl Into<Option<&'a Cause>>) -> Self {
        Self {
            cause: cause.into(),
            ..self
        }
    }

    /// The rule that priced the amount, shown beside it in the history.
    pub(crate) fn priced_by(self, rule: &'a str) -> Self {
        Self {
            rule: Some(rule),
            ..self
        }
    }

    /// The transfer this one undoes.
    pub(crate) fn reversing(self, original: impl Into<Option<&'a TransferId>>) -> Self {
        Self {
            reverses: original.into(),
            ..self
        }
    }
}

/// What makes a transfer happen once: its key, unique forever and scoped by the caller (see
/// [`scoped_key`]), and the fingerprint that tells a replay from a different request under it.
pub(crate) struct TransferKey<'a> {
    pub scoped: &'a str,
    pub request_hash: &'a str,
}

/// Stored idempotency keys are prefixed with who chose them, so keys never collide across
/// callers: a resident's key, or a system flow's own (e.g. the participation that earned).
pub(crate) fn scoped_key(scope: &str, key: &str) -> String {
    format!("{scope}:{key}")
}

/// A stable fingerprint of a request's meaningful parts.
pub(crate) fn request_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The transfer already posted under a scoped key, with its request fingerprint.
pub(crate) fn find_by_key(
    conn: &mut DbConnection,
    scoped_key: &str,
) -> DomainResult<Option<(Transfer, String)>> {
    Ok(transfer::table
        .filter(transfer::idempotency_key.eq(scoped_key))
        .select((TransferRow::as_select(), transfer::request_hash))
        .first::<(TransferRow, String)>(conn)
        .optional()?
        .map(|(row, hash)| (row.into(), hash)))
}

/// True when `err` means another transaction posted the same idempotency key first.
pub(crate) fn is_duplicate_key(err: &DomainError) -> bool {
    matches!(err, DomainError::Database(e) if is_unique_violation(e, "idempotency_key"))
}

/// Posts one step of a two-phase flow (a redemption's or a booking's hold, capture, release),
/// caused by the flow's `kind` and `id` and keyed `<kind>:<id>:<step>`: each step moves the
/// points once, however often it is attempted.
pub(crate) fn post_step(
    conn: &mut DbConnection,
    kind: &str,
    id: &str,
    step: &str,
    transfer: NewTransfer<'_>,
) -> DomainResult<Transfer> {
    let cause = Cause {
        kind: kind.to_owned(),
        id: id.to_owned(),
    };
    let scoped = scoped_key(kind, &format!("{id}:{step}"));
    let hash = request_hash(&[transfer.code().as_str(), id]);
    let key = TransferKey {
        scoped: &scoped,
        request_hash: &hash,
    };
    post(conn, &transfer.caused_by(&cause), &key)
}

/// Posts one transfer: insert it, take the amount from the debit account only if it covers it
/// (or may go negative), add it to the credit account. Must run inside a write transaction:
/// any error leaves nothing behind. Accounts are updated in id order, so two transfers between
/// the same accounts in opposite directions cannot deadlock.
pub(crate) fn post(
    conn: &mut DbConnection,
    new: &NewTransfer<'_>,
    key: &TransferKey<'_>,
) -> DomainResult<Transfer> {
    if new.debit == new.credit {
        return Err(DomainError::SameAccount);
    }
    let transfer = Transfer {
        id: TransferId::generate(),
        debit_account_id: new.debit.clone(),
        credit_account_id: new.credit.clone(),
        amount: new.amount.value(),
        code: new.code,
        actor_id: new.actor.cloned(),
        reason: new.reason.to_owned(),
        cause: new.cause.cloned(),
        rule: new.rule.map(str::to_owned),
        reverses_id: new.reverses.cloned(),
        created_at: new.at,
    };
    diesel::insert_into(transfer::table)
        .values((
            transfer::id.eq(transfer.id.as_str()),
            transfer::debit_account_id.eq(new.debit.as_str()),
            transfer::credit_account_id.eq(new.credit.as_str()),
            transfer::amount.eq(transfer.amount),
            transfer::code.eq(new.code.as_str()),
            transfer::actor_id.eq(new.actor.map(UserId::as_str)),
            transfer::reason.eq(new.reason),
            transfer::cause_kind.eq(new.cause.map(|c| c.kind.as_str())),
            transfer::cause_id.eq(new.cause.map(|c| c.id.as_str())),
            transfer::rule.eq(new.rule),
            transfer::reverses_id.eq(new.reverses.map(TransferId::as_str)),
            transfer::idempotency_key.eq(key.scoped),
            transfer::request_hash.eq(key.request_hash),
            transfer::created_at.eq(new.at),
        ))
        .execute(conn)?;
    let amount = transfer.amount;
    let debit_first = new.debit < new.credit;
    let mut credit_kind = None;
    if !debit_first {
        credit_kind = Some(credit(conn, new.credit, amount)?);
    }
    let debited: Vec<AccountKind> = diesel::update(account::table)
        .filter(account::id.eq(new.debit.as_str()))
        .filter(account::balance.ge(amount).or(account::may_go_negative))
        .set(account::balance.eq(account::balance - amount))
        .returning(account::kind)
        .get_results(conn)?;
    let Some(&debit_kind) = debited.first() else {
        return Err(if account_exists(conn, new.debit)? {
            DomainError::InsufficientPoints
        } else {
            DomainError::internal(format!("debit account {} missing", new.debit))
        });
    };
    let credit_kind = match credit_kind {
        Some(kind) => kind,
        None => credit(conn, new.credit, amount)?,
    };
    super::lots::post_lots(conn, &transfer, debit_kind, credit_kind)?;
    Ok(transfer)
}

/// Adds to an account's balance, answering its kind.
fn credit(conn: &mut DbConnection, id: &AccountId, amount: i64) -> DomainResult<AccountKind> {
    let credited: Vec<AccountKind> = diesel::update(account::table.find(id.as_str()))
        .set(account::balance.eq(account::balance + amount))
        .returning(account::kind)
        .get_results(conn)?;
    credited
        .first()
        .copied()
        .ok_or_else(|| DomainError::internal(format!("credit account {id} missing")))
}

fn account_exists(conn: &mut DbConnection, id: &AccountId) -> DomainResult<bool> {
    Ok(find_account(conn, id)?.is_some())
}

pub(crate) fn find_transfer(
    conn: &mut DbConnection,
    id: &TransferId,
) -> DomainResult<Option<Transfer>> {
    Ok(transfer::table
        .find(id.as_str())
        .select(TransferRow::as_select())
        .first::<TransferRow>(conn)
        .optional()?
        .map(Transfer::from))
}

pub(crate) fn reversal_of(
    conn: &mut DbConnection,
    original: &TransferId,
) -> DomainResult<Option<Transfer>> {
    Ok(transfer::table
        .filter(transfer::reverses_id.eq(original.as_str()))
        .select(TransferRow::as_select())
        .first::<TransferRow>(conn)
        .optional()?
        .map(Transfer::from))
}

#[derive(Clone, Copy)]
enum Side {
    Debit,
    Credit,
}

/// Narrows a boxed transfer query to one side of an account and the history filter; shared by
/// the page query and its count so the two never disagree.
macro_rules! history_filter {
    ($query:expr, $account:expr, $side:expr, $filter:expr) => {{
        let account = $account.as_str().to_owned();
        let mut query = match $side {
            Side::Debit => $query.filter(transfer::debit_account_id.eq(account)),
            Side::Credit => $query.filter(transfer::credit_account_id.eq(account)),
        };
        if !$filter.codes.is_empty() {
            query = query.filter(transfer::code.eq_any($filter.codes.iter().map(|c| c.as_str())));
        }
        if let Some(from) = $filter.from {
            query = query.filter(transfer::created_at.ge(from));
        }
        if let Some(until) = $filter.until {
            query = query.filter(transfer::created_at.lt(until));
        }
        query
    }};
}

/// One side of an account's history, newest first, read along its own index.
fn history_side(
    conn: &mut DbConnection,
    account_id: &AccountId,
    side: Side,
    filter: &HistoryFilter,
    page: &PageRequest,
) -> DomainResult<Vec<Transfer>> {
    let boxed = transfer::table
        .select(TransferRow::as_select())
        .into_boxed();
    let query = history_filter!(boxed, account_id, side, filter);
    Ok(keyset!(query, transfer::id, newest_first: true, page)
        .load::<TransferRow>(conn)?
        .into_iter()
        .map(Transfer::from)
        .collect())
}

fn history_count(
    conn: &mut DbConnection,
    account_id: &AccountId,
    side: Side,
    filter: &HistoryFilter,
) -> DomainResult<i64> {
    let boxed = transfer::table.count().into_boxed();
    Ok(history_filter!(boxed, account_id, side, filter).get_result(conn)?)
}

/// A page of an account's history, newest first: the two sides are each read along their index
/// (so cost follows the page size, not the table size) and merged.
pub(crate) fn history(
    conn: &mut DbConnection,
    account_id: &AccountId,
    filter: &HistoryFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<HistoryEntry>, i64)> {
    let mut transfers = history_side(conn, account_id, Side::Debit, filter, page)?;
    transfers.extend(history_side(conn, account_id, Side::Credit, filter, page)?);
    // Merged in the reading direction: newest first, or oldest first for a backward page.
    transfers.sort_by(|a, b| {
        if page.backward {
            a.id.cmp(&b.id)
        } else {
            b.id.cmp(&a.id)
        }
    });
    transfers.truncate(usize::try_from(page.limit()).unwrap_or(0));
    let total = if page.count {
        history_count(conn, account_id, Side::Debit, filter)?
            + history_count(conn, account_id, Side::Credit, filter)?
    } else {
        0
    };

    let other_ids: Vec<String> = transfers
        .iter()
        .map(|t| {
            if &t.debit_account_id == account_id {
                t.credit_account_id.as_str().to_owned()
            } else {
                t.debit_account_id.as_str().to_owned()
            }
        })
        .collect();
    let counterparts = counterparts(conn, &other_ids)?;
    let entries = transfers
        .into_iter()
        .map(|transfer| {
            let (direction, other) = if &transfer.debit_account_id == account_id {
                (Direction::Out, &transfer.credit_account_id)
            } else {
                (Direction::In, &transfer.debit_account_id)
            };
            let counterpart = counterparts
                .get(other.as_str())
                .cloned()
                .ok_or_else(|| DomainError::internal(format!("account {other} missing")))?;
            Ok(HistoryEntry {
                transfer,
                direction,
                counterpart,
            })
        })
        .collect::<DomainResult<Vec<_>>>()?;
    Ok((entries, total))
}

/// Names the accounts on the other side of a page of history, in three queries at most.
pub(crate) fn counterparts(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<HashMap<String, Counterpart>> {
    let accounts = account::table
        .filter(account::id.eq_any(ids))
        .select(Account::as_select())
        .load(conn)?;
    let owners_of = |kinds: &[AccountKind]| -> Vec<String> {
        accounts
            .iter()
            .filter(|a| kinds.contains(&a.kind))
            .filter_map(|a| a.owner_id.clone())
            .collect()
    };
    let user_ids = owners_of(&[AccountKind::Wallet, AccountKind::Hold]);
    let users: HashMap<String, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        app_user::table
            .filter(app_user::id.eq_any(&user_ids))
            .select((app_user::id, app_user::display_name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    let organisation_ids = owners_of(&[AccountKind::Budget]);
    let organisations: HashMap<String, String> = if organisation_ids.is_empty() {
        HashMap::new()
    } else {
        organisation::table
            .filter(organisation::id.eq_any(&organisation_ids))
            .select((organisation::id, organisation::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(accounts
        .into_iter()
        .map(|a| {
            let owner_name = a
                .owner_id
                .as_deref()
                .and_then(|owner| users.get(owner).or_else(|| organisations.get(owner)));
            let name = match (a.kind, owner_name) {
                (AccountKind::Hold, Some(name)) => format!("{name}（兑换冻结）"),
                (_, Some(name)) => name.clone(),
                (kind, None) => kind_label(kind).to_owned(),
            };
            (
                a.id.as_str().to_owned(),
                Counterpart {
                    account_id: a.id,
                    kind: a.kind,
                    name,
                },
            )
        })
        .collect())
}

fn kind_label(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Issuance => "社区积分发行",
        AccountKind::Expired => "过期积分",
        AccountKind::Settled => "商家结算",
        AccountKind::Wallet => "居民积分账户",
        AccountKind::Hold => "兑换冻结",
        AccountKind::Budget => "组织积分预算",
        AccountKind::Merchant => "商居联盟商家",
        AccountKind::GroupFund => "自治组织基金",
    }
}

#[derive(QueryableByName)]
pub(super) struct Violation {
    #[diesel(sql_type = Text)]
    pub item: String,
    #[diesel(sql_type = Text)]
    pub detail: String,
}

/// At most this many examples are reported per failed check.
const EXAMPLES: i64 = 10;

/// Checks every ledger invariant in one consistent read.
pub(crate) fn verify(
    conn: &mut DbConnection,
    expiry: super::PointsExpiry,
) -> DomainResult<VerifyReport> {
    let mut checks: Vec<(&'static str, String)> = vec![
        (
            "the balances of all accounts sum to zero",
            "SELECT 'all accounts' AS item, CAST(SUM(balance) AS TEXT) AS detail \
             FROM account HAVING COALESCE(SUM(balance), 0) <> 0"
                .to_owned(),
        ),
        (
            "every cached balance equals its credits minus its debits",
            format!(
                "SELECT a.id AS item, \
                   'cached ' || CAST(a.balance AS TEXT) || ', transfers say ' || \
                   CAST(COALESCE(c.total, 0) - COALESCE(d.total, 0) AS TEXT) AS detail \
                 FROM account a \
                 LEFT JOIN (SELECT credit_account_id AS id, SUM(amount) AS total FROM transfer \
                            GROUP BY credit_account_id) c ON c.id = a.id \
                 LEFT JOIN (SELECT debit_account_id AS id, SUM(amount) AS total FROM transfer \
                            GROUP BY debit_account_id) d ON d.id = a.id \
                 WHERE a.balance <> COALESCE(c.total, 0) - COALESCE(d.total, 0) LIMIT {EXAMPLES}"
            ),
        ),
        (
            "no account but issuance is negative",
            format!(
                "SELECT id AS item, kind || ' ' || CAST(balance AS TEXT) AS detail FROM account \
                 WHERE balance < 0 AND (NOT may_go_negative OR kind <> 'ISSUANCE') LIMIT {EXAMPLES}"
            ),
        ),
        (
            "at most one transfer per idempotency key",
            format!(
                "SELECT idempotency_key AS item, CAST(COUNT(*) AS TEXT) AS detail FROM transfer \
                 GROUP BY idempotency_key HAVING COUNT(*) > 1 LIMIT {EXAMPLES}"
            ),
        ),
        (
            "at most one reversal per transfer, mirroring it exactly",
            format!(
                "SELECT r.id AS item, 'reverses ' || r.reverses_id AS detail \
                 FROM transfer r LEFT JOIN transfer o ON o.id = r.reverses_id \
                 WHERE r.reverses_id IS NOT NULL AND (o.id IS NULL OR r.amount <> o.amount \
                   OR r.debit_account_id <> o.credit_account_id \
                   OR r.credit_account_id <> o.debit_account_id \
                   OR (SELECT COUNT(*) FROM transfer x WHERE x.reverses_id = r.reverses_id) > 1) \
                 LIMIT {EXAMPLES}"
            ),
        ),
        (
            "at most one EARN per participation",
            format!(
                "SELECT cause_id AS item, CAST(COUNT(*) AS TEXT) AS detail FROM transfer \
                 WHERE code = 'EARN' AND cause_kind = 'participation' \
                 GROUP BY cause_id HAVING COUNT(*) > 1 LIMIT {EXAMPLES}"
            ),
        ),
        (
            "each settlement's points equal its SETTLE transfer out of its merchant's till",
            format!(
                "SELECT s.id AS item, 'settles ' || CAST(s.points AS TEXT) || ', transfer ' || \
                   COALESCE(t.code || ' ' || CAST(t.amount AS TEXT), 'missing') AS detail \
                 FROM settlement s LEFT JOIN transfer t ON t.id = s.transfer_id \
                 LEFT JOIN account a ON a.id = t.debit_account_id \
                 WHERE t.id IS NULL OR t.code <> 'SETTLE' OR t.amount <> s.points \
                   OR t.credit_account_id <> '{SETTLED_ACCOUNT}' \
                   OR a.kind <> 'MERCHANT' OR a.owner_id <> s.merchant_id \
                 LIMIT {EXAMPLES}"
            ),
        ),
        (
            "each settlement's points and lines equal the captures it holds",
            format!(
                "SELECT s.id AS item, 'settles ' || CAST(s.points AS TEXT) || ' in ' || \
                   CAST(s.lines AS TEXT) || ', captures say ' || \
                   CAST(COALESCE(c.total, 0) AS TEXT) || ' in ' || \
                   CAST(COALESCE(c.n, 0) AS TEXT) AS detail \
                 FROM settlement s LEFT JOIN \
                   (SELECT r.settlement_id AS id, SUM(t.amount) AS total, COUNT(*) AS n \
                    FROM redemption r JOIN transfer t ON t.cause_kind = 'redemption' \
                      AND t.cause_id = r.id AND t.code = 'REDEEM_CAPTURE' \
                    WHERE r.settlement_id IS NOT NULL GROUP BY r.settlement_id) c \
                   ON c.id = s.id \
                 WHERE s.points <> COALESCE(c.total, 0) OR s.lines <> COALESCE(c.n, 0) \
                 LIMIT {EXAMPLES}"
            ),
        ),
    ];
    checks.extend(super::lots::checks(EXAMPLES));
    let mut report = VerifyReport {
        accounts: account::table.count().get_result(conn)?,
        transfers: transfer::table.count().get_result(conn)?,
        checks: Vec::with_capacity(checks.len()),
    };
    for (name, sql) in checks {
        let violations = diesel::sql_query(sql)
            .load::<Violation>(conn)?
            .into_iter()
            .map(|v| format!("{}: {}", v.item, v.detail))
            .collect();
        report.checks.push(VerifyCheck { name, violations });
    }
    report
        .checks
        .push(super::lots::expiries_lapsed(conn, expiry)?);
    Ok(report)
}

/// A staff movement waiting for a second staff member, as the requester asked for it.
pub(crate) struct NewApproval<'a> {
    pub request: &'a ApprovalRequest,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
}

pub(crate) fn insert_approval(conn: &mut DbConnection, new: &NewApproval<'_>) -> DomainResult<()> {
    let r = new.request;
    diesel::insert_into(approval_request::table)
        .values((
            approval_request::id.eq(&r.id),
            approval_request::kind.eq(r.kind),
            approval_request::requested_by.eq(&r.requested_by),
            approval_request::account_id.eq(&r.account_id),
            approval_request::transfer_id.eq(&r.transfer_id),
            approval_request::organisation_id.eq(&r.organisation_id),
            approval_request::change.eq(r.change),
            approval_request::reason.eq(&r.reason),
            approval_request::idempotency_key.eq(new.idempotency_key),
            approval_request::request_hash.eq(new.request_hash),
            approval_request::status.eq(r.status),
            approval_request::created_at.eq(r.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The approval request filed under a scoped idempotency key, with its request fingerprint.
pub(crate) fn approval_by_key(
    conn: &mut DbConnection,
    scoped_key: &str,
) -> DomainResult<Option<(ApprovalRequest, String)>> {
    Ok(approval_request::table
        .filter(approval_request::idempotency_key.eq(scoped_key))
        .select((ApprovalRequest::as_select(), approval_request::request_hash))
        .first(conn)
        .optional()?)
}

pub(crate) fn find_approval(
    conn: &mut DbConnection,
    id: &ApprovalRequestId,
) -> DomainResult<Option<ApprovalRequest>> {
    Ok(approval_request::table
        .find(id)
        .select(ApprovalRequest::as_select())
        .first(conn)
        .optional()?)
}

/// Decides a pending request once: false when someone decided it first.
pub(crate) fn decide_approval(
    conn: &mut DbConnection,
    id: &ApprovalRequestId,
    status: ApprovalStatus,
    by: &UserId,
    note: &str,
    made: Option<&TransferId>,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        approval_request::table
            .find(id)
            .filter(approval_request::status.eq(ApprovalStatus::Pending)),
    )
    .set((
        approval_request::status.eq(status),
        approval_request::decided_by.eq(Some(by)),
        approval_request::decided_at.eq(Some(at)),
        approval_request::decision_note.eq(Some(note)),
        approval_request::transfer_made_id.eq(made),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Requests in a status, oldest first (the queue is worked in order), after the cursor id.
pub(crate) fn approvals(
    conn: &mut DbConnection,
    status: Option<ApprovalStatus>,
    page: &PageRequest,
) -> DomainResult<(Vec<ApprovalRequest>, i64)> {
    let filtered = || {
        let mut q = approval_request::table.into_boxed();
        if let Some(status) = status {
            q = q.filter(approval_request::status.eq(status));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let query = filtered().select(ApprovalRequest::as_select());
    let rows = keyset!(query, approval_request::id, newest_first: false, page).load(conn)?;
    Ok((rows, total))
}
