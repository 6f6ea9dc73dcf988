//! Settlement use cases. Closing a merchant's month is one write transaction that first takes
//! the row lock of the merchant's till: every capture credits that row, so a capture either
//! committed before the close (and settles in it) or waits for the close to commit (and, being
//! late, settles in the next month). Two staff closing at once queue on the same lock; the
//! second finds the first's settlement.

use chrono::NaiveDateTime;

use super::model::{
    CloseReport, Month, Settlement, SettlementFilter, SettlementStatus, SettlementTotals,
    amount_fen, point_value_rule, settlements_csv,
};
use super::store;
use crate::Services;
use crate::audit;
use crate::db::{DbConnection, is_unique_violation};
use crate::directory;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::ledger::store::{NewTransfer, TransferKey};
use crate::ledger::{self, AccountKind, Cause, TransferCode};
use crate::page::{Page, PageRequest};
use crate::rewards::store::{Captures, assign_to_settlement};
use crate::rewards::{Merchant, StatementLine};
use crate::types::{AccountId, MerchantId, Points, SettlementId, UserId, sum_points, text};

pub struct Settlements<'a> {
    services: &'a Services,
}

impl<'a> Settlements<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Staff close a month that has ended: every merchant with captures that settle in it gets
    /// its settlement, each in a transaction of its own (one merchant that cannot close stops
    /// no other). Closing again changes nothing and answers with the same settlements.
    #[tracing::instrument(skip_all, fields(month = %month))]
    pub fn close_month(&self, actor: &Actor, month: Month) -> DomainResult<CloseReport> {
        let staff = actor.require_staff()?;
        let (_, end) = month.bounds()?;
        if self.services.clock.now() < end {
            return Err(DomainError::MonthNotEnded);
        }
        let merchants = self
            .services
            .db
            .read(|conn| crate::rewards::store::merchants_with_unsettled(conn, end))?;
        let mut report = CloseReport {
            month: Some(month),
            ..CloseReport::default()
        };
        for merchant_id in merchants {
            match self.close_merchant(staff, &merchant_id, month) {
                Ok(Closing::Made(s)) => report.closed.push(s),
                Ok(Closing::Found(s)) => report.already_closed.push(s),
                Ok(Closing::Nothing) => {}
                Err(err) if err.is_business() => {
                    let merchant = self
                        .services
                        .db
                        .read(|conn| find_merchant(conn, &merchant_id))?;
                    report.refused.push((merchant, err));
                }
                Err(err) => return Err(err),
            }
        }
        // Merchants whose month an earlier close settled are part of the answer too.
        let earlier = self.services.db.read(|conn| {
            store::list(
                conn,
                &SettlementFilter {
                    month: Some(month),
                    ..SettlementFilter::default()
                },
                &PageRequest {
                    first: crate::insight::EXPORT_ROWS,
                    ..PageRequest::default()
                },
            )
        })?;
        for s in earlier.0 {
            if !report
                .closed
                .iter()
                .chain(&report.already_closed)
                .any(|c| c.id == s.id)
            {
                report.already_closed.push(s);
            }
        }
        Ok(report)
    }

    /// One merchant's month: the settlement already made, or a new one holding the captures
    /// that settle in the month, with the SETTLE transfer, in one transaction.
    fn close_merchant(
        &self,
        staff: &UserId,
        merchant_id: &MerchantId,
        month: Month,
    ) -> DomainResult<Closing> {
        let point_value_fen = self.services.settings.point_value_fen;
        let attempt = || {
            let now = self.services.clock.now();
            self.services.db.write(|conn| {
                let till = till_of(conn, merchant_id)?;
                ledger::store::lock_account(conn, &till)?;
                if let Some(existing) = store::of_merchant_month(conn, merchant_id, month)? {
                    return Ok(Closing::Found(existing));
                }
                let merchant = find_merchant(conn, merchant_id)?;
                if directory::store::member_role(conn, &merchant.organisation_id, staff)?.is_some()
                {
                    return Err(DomainError::SelfDealing(
                        "工作人员不能结算自己所属商家的积分",
                    ));
                }
                let lines = unsettled_lines(conn, merchant_id, &till, month)?;
                if lines.is_empty() {
                    return Ok(Closing::Nothing);
                }
                let points = sum_points(lines.iter().map(|l| l.points))?;
                let id = SettlementId::generate();
                let rule = point_value_rule(point_value_fen);
                let cause = Cause {
                    kind: "settlement".to_owned(),
                    id: id.to_string(),
                };
                let reason = format!("{month} 兑换积分结算");
                let scoped = ledger::store::scoped_key("settle", &format!("{merchant_id}:{month}"));
                let hash = ledger::store::request_hash(&[
                    "SETTLE",
                    merchant_id.as_str(),
                    month.text(),
                    &points.to_string(),
                ]);
                let settled_account = AccountId::fixed(ledger::store::SETTLED_ACCOUNT);
                let amount = Points::positive(points, "points")?;
                let settle = NewTransfer::new(
                    TransferCode::Settle,
                    &till,
                    &settled_account,
                    amount,
                    &reason,
                    now,
                )
                .by(staff)
                .caused_by(&cause)
                .priced_by(&rule);
                let transfer = ledger::store::post(
                    conn,
                    &settle,
                    &TransferKey {
                        scoped: &scoped,
                        request_hash: &hash,
                    },
                )?;
                let settlement = Settlement {
                    id: id.clone(),
                    merchant_id: merchant_id.clone(),
                    month,
                    points,
                    lines: i32::try_from(lines.len())
                        .map_err(|_| DomainError::internal("too many captures in a month"))?,
                    point_value_fen,
                    amount_fen: amount_fen(points, point_value_fen)?,
                    rule,
                    status: SettlementStatus::Closed,
                    closed_by: staff.clone(),
                    approved_by: None,
                    approved_at: None,
                    paid_reference: None,
                    paid_by: None,
                    paid_at: None,
                    transfer_id: transfer.id,
                    created_at: now,
                };
                store::insert(conn, &settlement)?;
                let redemptions: Vec<String> =
                    lines.iter().map(|l| l.redemption_id.clone()).collect();
                if assign_to_settlement(conn, &id, &redemptions)? != redemptions.len() {
                    return Err(DomainError::internal(
                        "a capture changed settlement while its month closed",
                    ));
                }
                audit::record(
                    conn,
                    Some(staff),
                    "settlement.closed",
                    "settlement",
                    id.as_str(),
                    &format!(
                        "「{}」{month}：{} 笔，{points} 分，{}",
                        merchant.shop_name,
                        lines.len(),
                        settlement.rule
                    ),
                    now,
                )?;
                Ok(Closing::Made(settlement))
            })
        };
        match attempt() {
            // Another close won the race to the same row (the lock makes this rare): read its.
            Err(DomainError::Database(e))
                if is_unique_violation(&e, "merchant_id")
                    || is_unique_violation(&e, "idempotency_key") =>
            {
                attempt()
            }
            other => other,
        }
    }

    /// A second staff member approves a closed settlement for payment: not the one who closed
    /// it, and nobody of the merchant's own organisation.
    #[tracing::instrument(skip_all, fields(settlement = %id))]
    pub fn approve(&self, actor: &Actor, id: &SettlementId) -> DomainResult<Settlement> {
        let staff = actor.require_staff()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let found = find(conn, id)?;
            require_not_own(conn, staff, &found.merchant_id)?;
            if found.status != SettlementStatus::Closed {
                return Err(DomainError::AlreadyDecided);
            }
            if &found.closed_by == staff {
                return Err(DomainError::SecondApproverRequired);
            }
            if !store::approve(conn, id, staff, now)? {
                return Err(DomainError::AlreadyDecided);
            }
            audit::record(
                conn,
                Some(staff),
                "settlement.approved",
                "settlement",
                id.as_str(),
                &format!(
                    "{} {} 积分，应付 {} 元",
                    found.month,
                    found.points,
                    super::model::yuan(found.amount_fen)
                ),
                now,
            )?;
            find(conn, id)
        })
    }

    /// Staff record that the centre paid an approved settlement, with the payment's reference.
    /// The same reference again (a retry) answers with the paid settlement.
    #[tracing::instrument(skip_all, fields(settlement = %id))]
    pub fn mark_paid(
        &self,
        actor: &Actor,
        id: &SettlementId,
        reference: &str,
    ) -> DomainResult<Settlement> {
        let staff = actor.require_staff()?;
        let reference = text(reference, "reference", 2, 100)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let found = find(conn, id)?;
            require_not_own(conn, staff, &found.merchant_id)?;
            match found.status {
                SettlementStatus::Closed => {
                    return Err(DomainError::InvalidState(
                        "结算单须先经另一位工作人员批准才能登记付款",
                    ));
                }
                SettlementStatus::Paid
                    if found.paid_reference.as_deref() == Some(reference.as_str()) =>
                {
                    return Ok(found);
                }
                SettlementStatus::Paid => {
                    return Err(DomainError::InvalidState("该结算单已登记付款"));
                }
                SettlementStatus::Approved => {}
            }
            if !store::mark_paid(conn, id, staff, &reference, now)? {
                return Err(DomainError::StageChanged);
            }
            audit::record(
                conn,
                Some(staff),
                "settlement.paid",
                "settlement",
                id.as_str(),
                &format!("付款凭证 {reference}"),
                now,
            )?;
            find(conn, id)
        })
    }

    /// Settlements, newest first: staff see every merchant's; a merchant's operators see their
    /// own merchant's (the filter must name it).
    pub fn list(
        &self,
        actor: &Actor,
        filter: &SettlementFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Settlement>> {
        self.read_as(actor, filter, |conn| {
            let (mut items, total) = store::list(conn, filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// What the settlements of a filter come to, and what the centre still owes on them; on
    /// the terms of [`Settlements::list`].
    pub fn totals(
        &self,
        actor: &Actor,
        filter: &SettlementFilter,
    ) -> DomainResult<SettlementTotals> {
        self.read_as(actor, filter, |conn| store::totals(conn, filter))
    }

    /// The settlements of a filter as a spreadsheet, oldest first; on the terms of
    /// [`Settlements::list`]. `id_of` writes a settlement's id as the API names it.
    pub fn csv(
        &self,
        actor: &Actor,
        filter: &SettlementFilter,
        id_of: impl Fn(&str) -> String,
    ) -> DomainResult<Vec<u8>> {
        let rows = crate::insight::EXPORT_ROWS;
        let (listed, totals) = self.read_as(actor, filter, |conn| {
            Ok((
                store::with_shops(conn, filter, rows + 1)?,
                store::totals(conn, filter)?,
            ))
        })?;
        if i64::try_from(listed.len()).unwrap_or(i64::MAX) > rows {
            return Err(crate::insight::service::too_many_rows());
        }
        settlements_csv(&listed, &totals, id_of)
    }

    /// One settlement: staff, and the operators of its merchant.
    pub fn settlement(&self, actor: &Actor, id: &SettlementId) -> DomainResult<Settlement> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let found = find(conn, id)?;
            if !actor.is_staff() && !is_operator(conn, &found.merchant_id, user)? {
                return Err(DomainError::NotFound { what: "结算单" });
            }
            Ok(found)
        })
    }

    /// Runs `read` for staff, or for an operator of the merchant `filter` names; anyone else
    /// (residents, organisers, other merchants' operators) is refused.
    fn read_as<T>(
        &self,
        actor: &Actor,
        filter: &SettlementFilter,
        read: impl FnOnce(&mut DbConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            if !actor.is_staff() {
                let Some(merchant_id) = &filter.merchant_id else {
                    return Err(DomainError::Forbidden);
                };
                if !is_operator(conn, merchant_id, user)? {
                    return Err(DomainError::Forbidden);
                }
            }
            read(conn)
        })
    }
}

/// What closing one merchant's month came to.
enum Closing {
    Made(Settlement),
    Found(Settlement),
    /// No capture settles in the month (they all belong to an earlier month still open).
    Nothing,
}

/// The captures a merchant's month holds: frozen in its settlement once closed; until then the
/// captures that would settle in it now (its own, and the late ones of closed months just
/// before it, see [`Month::settles_from`]).
pub(crate) fn month_captures(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    month: Month,
) -> DomainResult<(Option<Settlement>, Vec<StatementLine>)> {
    if let Some(closed) = store::of_merchant_month(conn, merchant_id, month)? {
        let lines = crate::rewards::store::captures(conn, Captures::SettledIn(&closed.id))?;
        return Ok((Some(closed), lines));
    }
    let till = till_of(conn, merchant_id)?;
    Ok((None, unsettled_lines(conn, merchant_id, &till, month)?))
}

fn unsettled_lines(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    till: &AccountId,
    month: Month,
) -> DomainResult<Vec<StatementLine>> {
    let closed = store::closed_months(conn, merchant_id)?;
    let (from, _) = month.settles_from(&closed).bounds()?;
    let (_, until): (NaiveDateTime, NaiveDateTime) = month.bounds()?;
    crate::rewards::store::captures(
        conn,
        Captures::Unsettled {
            account: till.as_str(),
            from,
            until,
        },
    )
}

fn till_of(conn: &mut DbConnection, merchant_id: &MerchantId) -> DomainResult<AccountId> {
    Ok(
        ledger::store::owned_account(conn, AccountKind::Merchant, merchant_id.as_str())?
            .ok_or_else(|| DomainError::internal("merchant without account"))?
            .id,
    )
}

fn find(conn: &mut DbConnection, id: &SettlementId) -> DomainResult<Settlement> {
    store::find(conn, id)?.ok_or(DomainError::NotFound { what: "结算单" })
}

fn find_merchant(conn: &mut DbConnection, id: &MerchantId) -> DomainResult<Merchant> {
    crate::rewards::store::find_merchant(conn, id)?.ok_or(DomainError::NotFound { what: "商家" })
}

fn is_operator(
    conn: &mut DbConnection,
    merchant_id: &MerchantId,
    user: &UserId,
) -> DomainResult<bool> {
    let merchant = find_merchant(conn, merchant_id)?;
    Ok(directory::store::member_role(conn, &merchant.organisation_id, user)?.is_some())
}

/// Separation of duties: nobody settles a merchant of their own organisation.
fn require_not_own(
    conn: &mut DbConnection,
    staff: &UserId,
    merchant_id: &MerchantId,
) -> DomainResult<()> {
    if is_operator(conn, merchant_id, staff)? {
        return Err(DomainError::SelfDealing(
            "工作人员不能结算自己所属商家的积分",
        ));
    }
    Ok(())
}
