//! The volunteer-points ledger: balances, history and the operations that move points.

use chrono::{DateTime, Utc};
use juniper::{
    Executor, FieldResult, GraphQLInputObject, GraphQLObject, ID, ScalarValue, graphql_object,
};
use linli_domain::ledger::{self as domain, Adjustment, HistoryFilter, Recipient};
use linli_domain::types::{AccountId, ApprovalRequestId, IdempotencyKey, TransferId};

use super::directory::Organisation;
use super::identity::User;
use super::relay::{Kind, NodeValue, connection, counts_total, page_request, payload};
use super::{Context, Points, mirror_enum};

mirror_enum!(
    /// What an account belongs to.
    AccountKind = linli_domain::ledger::AccountKind {
        /// The district's issuance account: its negative balance is everything ever issued.
        Issuance,
        /// The district's account where expired points go.
        Expired,
        /// The district's account where merchants' closed months go (SETTLE): points the
        /// centre pays the merchants for in yuan.
        Settled,
        /// A person's wallet: what they earn, donate and redeem from.
        Wallet,
        /// A person's held points: for redemptions awaiting a merchant's confirmation, booked
        /// services, and open review cases.
        Hold,
        /// A partner organisation's points budget, from which its activities pay residents.
        Budget,
        /// A merchant's account, which receives confirmed redemptions.
        Merchant,
        /// A self-governance group's fund: it receives donations and pays members.
        GroupFund,
    }
);

mirror_enum!(
    /// Why points moved.
    TransferCode = linli_domain::ledger::TransferCode {
        /// Points earned for verified volunteering, from an organisation's budget or a group's
        /// fund.
        Earn,
        /// Staff allocated points from issuance to an organisation's budget.
        AllocateBudget,
        /// Points held from a wallet for a redemption.
        RedeemHold,
        /// Held points paid to the merchant that confirmed the redemption.
        RedeemCapture,
        /// Held points returned to the wallet when a redemption was cancelled or expired.
        RedeemRelease,
        /// A gift between wallets or to a group's fund, or a convenor's reward from a fund.
        Donate,
        /// A lapsed year's points expired from a wallet.
        Expire,
        /// Staff undid an earlier transfer by posting its mirror image.
        Reverse,
        /// Staff corrected a balance against issuance, with a reason.
        Adjust,
        /// A merchant's closed month: its captured points moved from its till to the
        /// district's settled account.
        Settle,
        /// Points held from a wallet for a booked community service.
        BookHold,
        /// Held points paid to the organisation's budget when it delivered the service.
        BookCapture,
        /// Held points returned to the wallet when a booking was cancelled, declined or lapsed.
        BookRelease,
        /// Points held from a wallet while a review case about how they were earned is open.
        ReviewHold,
        /// Points a review case held, returned to the wallet when staff closed the case.
        ReviewRelease,
    }
);

mirror_enum!(
    /// Seen from the account whose history is read.
    Direction = linli_domain::ledger::Direction {
        /// Points came into the account.
        In,
        /// Points left the account.
        Out,
    }
);

#[derive(Debug, Clone)]
pub struct Account(pub domain::Account);

/// A ledger account: a balance of volunteer points and the transfers in and out of it; visible to
/// its owner, its organisation's members and staff.
#[graphql_object(context = Context, impl = NodeValue)]
impl Account {
    /// Opaque global id.
    fn id(&self) -> ID {
        Account::global_id(self.0.id.as_str())
    }

    /// What the account belongs to.
    fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }

    /// Points in the account now.
    fn balance(&self) -> Points {
        Points(self.0.balance)
    }

    /// The points in the account by the year they were earned in, oldest first (the order
    /// they are spent in), each with when it lapses. Wallets and redemption holds keep years;
    /// other accounts have none. At most 20 years.
    async fn lots(&self, ctx: &Context) -> FieldResult<Vec<PointLot>> {
        let id = self.0.id.clone();
        let result = ctx.run(move |s, actor| s.ledger().lots(actor, &id)).await;
        ctx.answer(result)
            .map(|lots| lots.into_iter().map(PointLot::from).collect())
    }

    /// Transfers in and out, newest first.
    async fn history<S: ScalarValue>(
        &self,
        executor: &Executor<'_, '_, Context, S>,
        #[graphql(
            description = "Return at most this many items from the start (0–100, default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            description = "Start after this cursor (from `pageInfo.endCursor` or an edge's `cursor`)."
        )]
        after: Option<String>,
        #[graphql(description = "Return at most this many items from the end (0–100).")]
        last: Option<i32>,
        #[graphql(description = "End before this cursor (from `pageInfo.startCursor`).")]
        before: Option<String>,
        #[graphql(description = "Only transfers matching these conditions.")] filter: Option<
            HistoryFilterInput,
        >,
    ) -> FieldResult<LedgerEntryConnection> {
        let ctx = executor.context();
        let mut page = ctx.answer(page_request(first, after, last, before))?;
        page.count = counts_total(executor);
        let filter = filter
            .map(|f| HistoryFilter {
                codes: f
                    .codes
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                from: f.from.map(|t| t.naive_utc()),
                until: f.until.map(|t| t.naive_utc()),
            })
            .unwrap_or_default();
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.ledger().history(actor, &id, &filter, &page))
            .await;
        ctx.answer(result)
            .map(|p| LedgerEntryConnection::from_page(p, LedgerEntry))
    }

    /// A link to the account's transfers in a period as CSV (UTF-8 with a byte-order mark,
    /// oldest first), working for you for a few minutes.
    fn history_csv_url(
        &self,
        ctx: &Context,
        #[graphql(description = "From this instant (inclusive).")] from: Option<DateTime<Utc>>,
        #[graphql(description = "Until this instant (exclusive).")] until: Option<DateTime<Utc>>,
    ) -> FieldResult<String> {
        let query = super::insight::query_string(&super::insight::period_parts(
            from.map(|t| t.naive_utc()),
            until.map(|t| t.naive_utc()),
            "until",
        ));
        ctx.link(&format!(
            "/exports/accounts/{}/history.csv{query}",
            Account::global_id(self.0.id.as_str())
        ))
    }
}

/// Points of an account earned in one calendar year (China Standard Time): they are spent
/// before later years' and lapse together.
#[derive(Debug, Clone, GraphQLObject)]
pub struct PointLot {
    /// The year the points were earned in.
    pub earned_year: i32,
    /// Points of that year still in the account.
    pub points: Points,
    /// When they lapse (the district's policy); null when points never expire.
    pub lapses_at: Option<DateTime<Utc>>,
}

impl From<domain::Lot> for PointLot {
    fn from(lot: domain::Lot) -> Self {
        Self {
            earned_year: lot.earned_year,
            points: Points(lot.points),
            lapses_at: lot.lapses_at.map(|t| t.and_utc()),
        }
    }
}

/// Which transfers of an account's history to list; every condition given must hold.
#[derive(Debug, GraphQLInputObject)]
pub struct HistoryFilterInput {
    /// Only these kinds of transfer.
    pub codes: Option<Vec<TransferCode>>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// What caused a transfer: e.g. the participation that earned it.
#[derive(Debug, Clone, GraphQLObject)]
pub struct TransferCause {
    /// What kind of thing caused it: `participation`, `redemption` or `group`.
    pub kind: String,
    /// The raw id of the cause (not a global id).
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Transfer(pub domain::Transfer);

/// A movement of points from one account to another; never changed or deleted.
#[graphql_object(context = Context, impl = NodeValue)]
impl Transfer {
    /// Opaque global id.
    fn id(&self) -> ID {
        Transfer::global_id(self.0.id.as_str())
    }

    /// Why the points moved.
    fn code(&self) -> TransferCode {
        self.0.code.into()
    }

    /// Points moved (always positive).
    fn amount(&self) -> Points {
        Points(self.0.amount)
    }

    /// Why, in words: the actor's reason or a system text.
    fn reason(&self) -> &str {
        &self.0.reason
    }

    /// What produced it, e.g. the participation that earned it; null when nothing did.
    fn cause(&self) -> Option<TransferCause> {
        self.0.cause.as_ref().map(|c| TransferCause {
            kind: c.kind.clone(),
            id: c.id.clone(),
        })
    }

    /// The rule that priced the amount, for earned points.
    fn rule(&self) -> Option<&str> {
        self.0.rule.as_deref()
    }

    /// The account the points left.
    fn debit_account_id(&self) -> ID {
        Account::global_id(self.0.debit_account_id.as_str())
    }

    /// The account the points went to.
    fn credit_account_id(&self) -> ID {
        Account::global_id(self.0.credit_account_id.as_str())
    }

    /// For a REVERSE transfer: the transfer it undoes.
    fn reverses_id(&self) -> Option<ID> {
        self.0
            .reverses_id
            .as_ref()
            .map(|id| Transfer::global_id(id.as_str()))
    }

    /// When it was posted.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

/// The other side of an entry.
#[derive(Debug, Clone, GraphQLObject)]
pub struct Counterpart {
    /// The other account's id.
    pub account_id: ID,
    /// What the other account belongs to.
    pub kind: AccountKind,
    /// A resident's name, an organisation's name, or a system account's label.
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct LedgerEntry(pub domain::HistoryEntry);

/// One line of an account's history: a transfer, seen from that account.
#[graphql_object(context = Context)]
impl LedgerEntry {
    /// The transfer behind this line.
    fn transfer(&self) -> Transfer {
        Transfer(self.0.transfer.clone())
    }

    /// Whether the points came in or went out.
    fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    /// Signed change to this account: positive in, negative out.
    fn change(&self) -> Points {
        Points(self.0.change())
    }

    /// The account on the other side.
    fn counterpart(&self) -> Counterpart {
        let c = &self.0.counterpart;
        Counterpart {
            account_id: Account::global_id(c.account_id.as_str()),
            kind: c.kind.into(),
            name: c.name.clone(),
        }
    }
}

connection!(
    /// A page of an account's history, newest first.
    LedgerEntryConnection,
    /// A history line in a page, with its cursor.
    LedgerEntryEdge,
    LedgerEntry,
    |e| e.0.transfer.id.to_string()
);

/// The district's points, for staff.
#[derive(Debug, GraphQLObject)]
pub struct LedgerTotals {
    /// Every point ever issued (`issued = outstanding + held + redeemed + expired`).
    pub issued: Points,
    /// Points in wallets, budgets and group funds: issued and not yet held, redeemed or expired.
    pub outstanding: Points,
    /// Points held for redemptions awaiting a merchant's confirmation.
    pub held: Points,
    /// Points captured by merchants: in their tills or settled.
    pub redeemed: Points,
    /// The part of `redeemed` that closed months settled (the SETTLED account), for the centre
    /// to pay the merchants in yuan.
    pub settled: Points,
    /// Points that expired.
    pub expired: Points,
}

pub async fn account(ctx: &Context, id: AccountId) -> FieldResult<Account> {
    let result = ctx
        .run(move |s, actor| s.ledger().account(actor, &id))
        .await;
    ctx.answer(result).map(Account)
}

pub async fn transfer(ctx: &Context, id: TransferId) -> FieldResult<Transfer> {
    let result = ctx
        .run(move |s, actor| s.ledger().transfer(actor, &id))
        .await;
    ctx.answer(result).map(Transfer)
}

pub async fn totals(ctx: &Context) -> FieldResult<LedgerTotals> {
    let result = ctx.run(|s, actor| s.ledger().system_totals(actor)).await;
    let t = ctx.answer(result)?;
    Ok(LedgerTotals {
        issued: Points(t.issued),
        outstanding: Points(t.outstanding),
        held: Points(t.held),
        redeemed: Points(t.redeemed),
        settled: Points(t.settled),
        expired: Points(t.expired),
    })
}

payload!(
    /// What a mutation that moves points returns: the transfer, or the approval request it waits on.
    TransferPayload {
        /// The transfer made (or, for a replayed idempotency key, the one made the first time).
        transfer: Option<Transfer>,
        /// Set instead of `transfer` when the movement waits for a second staff member.
        approval_request: Option<ApprovalRequest>,
    }
    from domain::Movement => with |_, movement| {
        Ok(match movement {
            Some(domain::Movement::Posted(t)) => (Some(Transfer(t)), None),
            Some(domain::Movement::AwaitingApproval(r)) => (None, Some(ApprovalRequest(r))),
            None => (None, None),
        })
    }
);

mirror_enum!(
    /// What a staff member asked for that needs a second staff member.
    ApprovalKind = linli_domain::ledger::ApprovalKind {
        /// An `adjustBalance` above the dual-control amount.
        Adjust,
        /// A `reverseTransfer` above the dual-control amount.
        Reverse,
        /// An `allocateBudget` above its dual-control amount.
        AllocateBudget,
    }
);

mirror_enum!(
    /// Where an approval request stands.
    ApprovalStatus = linli_domain::ledger::ApprovalStatus {
        /// Waiting for a second staff member; nothing has moved.
        Pending,
        /// Approved, and the transfer posted (`transferMadeId`).
        Approved,
        /// Declined; nothing moved.
        Declined,
    }
);

/// A staff movement of points above the dual-control amount: it posts only when a second staff
/// member approves it.
#[derive(Debug, Clone)]
pub struct ApprovalRequest(pub domain::ApprovalRequest);

/// A staff movement of points above the dual-control amount: it posts only when a second staff
/// member approves it.
#[graphql_object(context = Context, impl = NodeValue)]
impl ApprovalRequest {
    /// Opaque global id.
    fn id(&self) -> ID {
        ApprovalRequest::global_id(self.0.id.as_str())
    }

    /// Which movement was asked for.
    fn kind(&self) -> ApprovalKind {
        self.0.kind.into()
    }

    /// Whether it waits, was approved or was declined.
    fn status(&self) -> ApprovalStatus {
        self.0.status.into()
    }

    /// The staff member who asked.
    fn requested_by_id(&self) -> ID {
        User::global_id(self.0.requested_by.as_str())
    }

    /// The account an adjustment changes.
    fn account_id(&self) -> Option<ID> {
        self.0
            .account_id
            .as_ref()
            .map(|id| Account::global_id(id.as_str()))
    }

    /// The transfer a reversal undoes.
    fn transfer_id(&self) -> Option<ID> {
        self.0
            .transfer_id
            .as_ref()
            .map(|id| Transfer::global_id(id.as_str()))
    }

    /// The organisation an allocation funds.
    fn organisation_id(&self) -> Option<ID> {
        self.0
            .organisation_id
            .as_ref()
            .map(|id| Organisation::global_id(id.as_str()))
    }

    /// Points to move: negative for an adjustment that removes points.
    fn change(&self) -> Points {
        Points(self.0.change)
    }

    /// The requester's reason.
    fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The second staff member who decided.
    fn decided_by_id(&self) -> Option<ID> {
        self.0
            .decided_by
            .as_ref()
            .map(|id| User::global_id(id.as_str()))
    }

    /// When it was decided; null while pending.
    fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at.map(|t| t.and_utc())
    }

    /// The deciding staff member's note; null while pending or when they gave none.
    fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }

    /// The transfer the approval posted.
    fn transfer_made_id(&self) -> Option<ID> {
        self.0
            .transfer_made_id
            .as_ref()
            .map(|id| Transfer::global_id(id.as_str()))
    }

    /// When it was asked for.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

connection!(
    /// A page of approval requests, oldest first.
    ApprovalRequestConnection,
    /// An approval request in a page, with its cursor.
    ApprovalRequestEdge,
    ApprovalRequest,
    |r| r.0.id.to_string()
);

pub async fn approval_request(
    ctx: &Context,
    id: ApprovalRequestId,
) -> FieldResult<ApprovalRequest> {
    let result = ctx
        .run(move |s, actor| s.ledger().approval(actor, &id))
        .await;
    ctx.answer(result).map(ApprovalRequest)
}

pub async fn approval_requests(
    ctx: &Context,
    status: Option<ApprovalStatus>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<ApprovalRequestConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| s.ledger().approvals(actor, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| ApprovalRequestConnection::from_page(p, ApprovalRequest))
}

/// A second staff member's decision on an approval request.
#[derive(Debug, GraphQLInputObject)]
pub struct DecideApprovalRequestInput {
    /// The pending request (never one you asked for yourself).
    pub approval_request_id: ID,
    /// True posts the movement; false declines it.
    pub approve: bool,
    /// Why, kept with the decision.
    pub note: Option<String>,
}

payload!(
    /// What `decideApprovalRequest` returns.
    ApprovalRequestPayload {
        /// The request as decided; null when the request was refused.
        approval_request: Option<ApprovalRequest>,
    }
    from domain::ApprovalRequest => ApprovalRequest
);

pub async fn decide_approval_request(
    ctx: &Context,
    input: DecideApprovalRequestInput,
) -> FieldResult<ApprovalRequestPayload> {
    let id = ApprovalRequest::decode(&input.approval_request_id, "approvalRequestId");
    let note = input.note.unwrap_or_default();
    ctx.mutate(id, move |s, actor, id| {
        s.ledger().decide_approval(actor, &id, input.approve, &note)
    })
    .await
}

/// Points to allocate from issuance to a verified organisation's budget.
#[derive(Debug, GraphQLInputObject)]
pub struct AllocateBudgetInput {
    /// The verified organisation to fund.
    pub organisation_id: ID,
    /// Points to allocate; above the dual-control amount a second staff member must approve.
    pub amount: Points,
    /// Why, recorded with the transfer and in the audit trail.
    pub reason: String,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn allocate_budget(
    ctx: &Context,
    input: AllocateBudgetInput,
) -> FieldResult<TransferPayload> {
    let decoded = Organisation::decode(&input.organisation_id, "organisationId")
        .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    ctx.mutate(decoded, move |s, actor, (id, key)| {
        s.ledger()
            .allocate_budget(actor, &id, input.amount.0, &input.reason, &key)
    })
    .await
}

/// Points to give from your wallet to another resident.
#[derive(Debug, GraphQLInputObject)]
pub struct DonatePointsInput {
    /// The recipient's email address or mobile number.
    pub recipient: String,
    /// Points to give.
    pub amount: Points,
    /// An optional note, recorded with the transfer.
    pub reason: Option<String>,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn donate_points(
    ctx: &Context,
    input: DonatePointsInput,
) -> FieldResult<TransferPayload> {
    let key = IdempotencyKey::parse(&input.idempotency_key);
    ctx.mutate(key, move |s, actor, key| {
        s.ledger()
            .donate(
                actor,
                &Recipient(input.recipient),
                input.amount.0,
                input.reason.as_deref().unwrap_or(""),
                &key,
            )
            .map(domain::Movement::Posted)
    })
    .await
}

/// A transfer to undo, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct ReverseTransferInput {
    /// The transfer to reverse (an EARN, ALLOCATE_BUDGET, DONATE or ADJUST).
    pub transfer_id: ID,
    /// Why, recorded with the reversal and in the audit trail.
    pub reason: String,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn reverse_transfer(
    ctx: &Context,
    input: ReverseTransferInput,
) -> FieldResult<TransferPayload> {
    let decoded = Transfer::decode(&input.transfer_id, "transferId")
        .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    ctx.mutate(decoded, move |s, actor, (id, key)| {
        s.ledger().reverse(actor, &id, &input.reason, &key)
    })
    .await
}

/// A correction of an account's balance against issuance.
#[derive(Debug, GraphQLInputObject)]
pub struct AdjustBalanceInput {
    /// The account to correct (not a hold, nor an account of your own).
    pub account_id: ID,
    /// Positive adds points, negative removes them.
    pub change: Points,
    /// Why; required, and recorded with the transfer and in the audit trail.
    pub reason: String,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn adjust_balance(
    ctx: &Context,
    input: AdjustBalanceInput,
) -> FieldResult<TransferPayload> {
    let decoded = Account::decode(&input.account_id, "accountId").and_then(|account_id| {
        let key = IdempotencyKey::parse(&input.idempotency_key)?;
        let adjustment = Adjustment {
            account_id,
            change: input.change.0,
            reason: input.reason,
        };
        Ok((adjustment, key))
    });
    ctx.mutate(decoded, |s, actor, (adjustment, key)| {
        s.ledger().adjust(actor, &adjustment, &key)
    })
    .await
}
