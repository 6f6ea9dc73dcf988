//! Merchant settlement: closed months, their approval and payment, and what the centre owes.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::settlement::{self as domain, Month, SettlementFilter};
use linli_domain::types::SettlementId;

use super::identity::User;
use super::ledger::Transfer;
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::rewards::{Merchant, MerchantStatement};
use super::{Context, Points, int, mirror_enum};

mirror_enum!(
    /// Where a settlement is: closed, approved for payment, paid.
    SettlementStatus = linli_domain::settlement::SettlementStatus {
        /// The month closed: its captures are frozen and the points left the merchant's till.
        /// It waits for a second staff member's approval.
        Closed,
        /// Approved for payment by a staff member other than the one who closed it.
        Approved,
        /// The centre paid the merchant; `paidReference` names the payment.
        Paid,
    }
);

#[derive(Debug, Clone)]
pub struct Settlement(pub domain::Settlement);

/// A merchant's closed month: the captures it holds (frozen), the points that left the
/// merchant's till for the district's settled account, and what the centre pays in yuan.
#[graphql_object(context = Context, impl = NodeValue)]
impl Settlement {
    /// Opaque global id.
    fn id(&self) -> ID {
        Settlement::global_id(self.0.id.as_str())
    }

    /// The merchant paid.
    async fn merchant(&self, ctx: &Context) -> FieldResult<Merchant> {
        let id = self.0.merchant_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.merchants_by_id, id, "商家")
            .await
            .map(Merchant)
    }

    /// `YYYY-MM` (China Standard Time).
    fn month(&self) -> &str {
        self.0.month.text()
    }

    /// Points of the captures it holds, equal to its SETTLE transfer.
    fn points(&self) -> Points {
        Points(self.0.points)
    }

    /// How many confirmed redemptions it holds.
    fn lines(&self) -> i32 {
        self.0.lines
    }

    /// The yuan value of a point when the month closed, in fen (later changes to the setting
    /// do not alter it).
    fn point_value_fen(&self) -> i32 {
        int(self.0.point_value_fen)
    }

    /// The reimbursement rule it was priced by, as people read it.
    fn rule(&self) -> &str {
        &self.0.rule
    }

    /// What the centre pays the merchant, in fen (`points × pointValueFen`).
    fn amount_fen(&self) -> i32 {
        int(self.0.amount_fen)
    }

    /// What the centre pays the merchant, in yuan with two decimals (`45.00`).
    fn amount_yuan(&self) -> String {
        domain::model::yuan(self.0.amount_fen)
    }

    /// Closed, approved or paid.
    fn status(&self) -> SettlementStatus {
        self.0.status.into()
    }

    /// When the month closed.
    fn closed_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// The staff member who closed the month.
    fn closed_by_id(&self) -> ID {
        User::global_id(self.0.closed_by.as_str())
    }

    /// The staff member who approved the payment; null until approved.
    fn approved_by_id(&self) -> Option<ID> {
        self.0
            .approved_by
            .as_ref()
            .map(|id| User::global_id(id.as_str()))
    }

    /// When the payment was approved; null until approved.
    fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at.map(|t| t.and_utc())
    }

    /// The payment's reference as staff entered it; null until paid.
    fn paid_reference(&self) -> Option<&str> {
        self.0.paid_reference.as_deref()
    }

    /// The staff member who recorded the payment; null until paid.
    fn paid_by_id(&self) -> Option<ID> {
        self.0
            .paid_by
            .as_ref()
            .map(|id| User::global_id(id.as_str()))
    }

    /// When the payment was recorded; null until paid.
    fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at.map(|t| t.and_utc())
    }

    /// The SETTLE transfer that moved the points from the merchant's till.
    async fn transfer(&self, ctx: &Context) -> FieldResult<Transfer> {
        super::ledger::transfer(ctx, self.0.transfer_id.clone()).await
    }

    /// The month's statement: exactly the captures the settlement holds.
    async fn statement(&self, ctx: &Context) -> FieldResult<MerchantStatement> {
        super::rewards::statement(
            ctx,
            Merchant::global_id(self.0.merchant_id.as_str()),
            self.0.month.text().to_owned(),
        )
        .await
    }
}

connection!(
    /// A page of settlements, newest first.
    SettlementConnection,
    /// A settlement in a page, with its cursor.
    SettlementEdge,
    Settlement,
    |s| s.0.id.to_string()
);

/// Which settlements to read; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct SettlementFilterInput {
    /// Only this month's, `YYYY-MM` (China Standard Time).
    pub month: Option<String>,
    /// Only settlements in this status (`CLOSED` and `APPROVED` are what is still owed).
    pub status: Option<SettlementStatus>,
    /// Only this merchant's (its operators must name their merchant).
    pub merchant_id: Option<ID>,
}

fn filter(input: Option<SettlementFilterInput>) -> Result<SettlementFilter, DomainError> {
    let input = input.unwrap_or_default();
    Ok(SettlementFilter {
        month: input.month.as_deref().map(Month::parse).transpose()?,
        status: input.status.map(Into::into),
        merchant_id: Merchant::decode_optional(input.merchant_id.as_ref(), "merchantId")?,
    })
}

/// The signed link of the settlements of a filter as CSV.
fn csv_link(ctx: &Context, filter: &SettlementFilter) -> FieldResult<String> {
    let mut query: Vec<String> = Vec::new();
    if let Some(month) = filter.month {
        query.push(format!("month={month}"));
    }
    if let Some(status) = filter.status {
        query.push(format!("status={}", status.as_str()));
    }
    if let Some(merchant) = &filter.merchant_id {
        query.push(format!(
            "merchant={}",
            Merchant::global_id(merchant.as_str())
        ));
    }
    let path = if query.is_empty() {
        "/settlements.csv".to_owned()
    } else {
        format!("/settlements.csv?{}", query.join("&"))
    };
    ctx.link(&path)
}

/// What the settlements of a filter come to.
#[derive(Debug, GraphQLObject)]
pub struct SettlementTotals {
    /// How many settlements.
    pub settlements: i32,
    /// Their points.
    pub points: Points,
    /// What the centre pays for them, in fen.
    pub amount_fen: i32,
    /// The same in yuan, with two decimals.
    pub amount_yuan: String,
    /// What the centre still owes on them (closed or approved, not yet paid), in fen.
    pub owed_fen: i32,
    /// The same in yuan, with two decimals.
    pub owed_yuan: String,
    /// A plain link to these settlements as CSV, one row each with a total, signed for the
    /// caller and valid for five minutes.
    pub csv_url: String,
}

pub async fn settlements(
    ctx: &Context,
    input: Option<SettlementFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<SettlementConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let filter = ctx.answer(filter(input))?;
    let result = ctx
        .run(move |s, actor| s.settlement().list(actor, &filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| SettlementConnection::from_page(p, Settlement))
}

/// A merchant's settlements, newest first (for `Merchant.settlements`).
pub async fn of_merchant(
    ctx: &Context,
    merchant: &linli_domain::types::MerchantId,
    page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> FieldResult<SettlementConnection> {
    let (first, after, last, before) = page;
    let page = ctx.answer(page_request(first, after, last, before))?;
    let filter = SettlementFilter {
        merchant_id: Some(merchant.clone()),
        ..SettlementFilter::default()
    };
    let result = ctx
        .run(move |s, actor| s.settlement().list(actor, &filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| SettlementConnection::from_page(p, Settlement))
}

/// The link of a merchant's settlements as CSV (for `Merchant.settlementsCsvUrl`).
pub fn merchant_csv_link(
    ctx: &Context,
    merchant: &linli_domain::types::MerchantId,
) -> FieldResult<String> {
    csv_link(
        ctx,
        &SettlementFilter {
            merchant_id: Some(merchant.clone()),
            ..SettlementFilter::default()
        },
    )
}

pub async fn totals(
    ctx: &Context,
    input: Option<SettlementFilterInput>,
) -> FieldResult<SettlementTotals> {
    let filter = ctx.answer(filter(input))?;
    let csv_url = csv_link(ctx, &filter)?;
    let result = ctx
        .run(move |s, actor| s.settlement().totals(actor, &filter))
        .await;
    let t = ctx.answer(result)?;
    Ok(SettlementTotals {
        settlements: int(t.settlements),
        points: Points(t.points),
        amount_fen: int(t.amount_fen),
        amount_yuan: domain::model::yuan(t.amount_fen),
        owed_fen: int(t.owed_fen),
        owed_yuan: domain::model::yuan(t.owed_fen),
        csv_url,
    })
}

pub async fn settlement(ctx: &Context, id: SettlementId) -> FieldResult<Settlement> {
    let result = ctx
        .run(move |s, actor| s.settlement().settlement(actor, &id))
        .await;
    ctx.answer(result).map(Settlement)
}

/// A month to close.
#[derive(Debug, GraphQLInputObject)]
pub struct CloseSettlementsInput {
    /// `YYYY-MM` (China Standard Time); the month must have ended.
    pub month: String,
}

/// A merchant whose month could not close, and why; the other merchants closed.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct SettlementRefusal {
    /// The merchant left open.
    pub merchant: Merchant,
    /// Why, for the client to act on.
    pub code: super::ErrorCodeValue,
    /// Why, for people, in Chinese.
    pub message: String,
}

payload!(
    /// What closing a month returns.
    CloseSettlementsPayload {
        /// The month closed, `YYYY-MM`; null when the request was refused.
        month: Option<String>,
        /// Settlements this request made.
        closed: i32,
        /// Settlements of the month an earlier close had made (closing again changes nothing).
        already_closed: i32,
        /// Merchants whose month could not close now (e.g. a staff member of their own
        /// organisation asked); every other merchant closed.
        refused: Vec<SettlementRefusal>,
    }
    from domain::CloseReport => with |_, report: Option<domain::CloseReport>| {
        let report = report.unwrap_or_default();
        Ok((
            report.month.map(|m| m.text().to_owned()),
            int(report.closed.len()),
            int(report.already_closed.len()),
            report
                .refused
                .into_iter()
                .take(domain::model::REFUSALS_LISTED)
                .map(|(merchant, err)| SettlementRefusal {
                    merchant: Merchant(merchant),
                    code: err.code().into(),
                    message: err.to_string(),
                })
                .collect(),
        ))
    }
);

pub async fn close(
    ctx: &Context,
    input: CloseSettlementsInput,
) -> FieldResult<CloseSettlementsPayload> {
    ctx.mutate(Month::parse(&input.month), |s, actor, month| {
        s.settlement().close_month(actor, month)
    })
    .await
}

payload!(
    /// What a step of a settlement returns.
    SettlementPayload {
        /// The settlement after the step; null when the request was refused.
        settlement: Option<Settlement>,
    }
    from domain::Settlement => Settlement
);

/// A settlement to approve.
#[derive(Debug, GraphQLInputObject)]
pub struct ApproveSettlementInput {
    /// A closed settlement that someone else closed.
    pub settlement_id: ID,
}

pub async fn approve(
    ctx: &Context,
    input: ApproveSettlementInput,
) -> FieldResult<SettlementPayload> {
    let id = Settlement::decode(&input.settlement_id, "settlementId");
    ctx.mutate(id, |s, actor, id| s.settlement().approve(actor, &id))
        .await
}

/// The payment of an approved settlement.
#[derive(Debug, GraphQLInputObject)]
pub struct MarkSettlementPaidInput {
    /// An approved settlement.
    pub settlement_id: ID,
    /// The payment's reference (a bank transfer's number, a voucher), 2–100 characters.
    pub reference: String,
}

pub async fn mark_paid(
    ctx: &Context,
    input: MarkSettlementPaidInput,
) -> FieldResult<SettlementPayload> {
    let id = Settlement::decode(&input.settlement_id, "settlementId");
    ctx.mutate(id, move |s, actor, id| {
        s.settlement().mark_paid(actor, &id, &input.reference)
    })
    .await
}
