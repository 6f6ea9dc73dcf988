//! The volunteer-points ledger: balances, history and the operations that move points.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::ledger::{self as domain, Adjustment, HistoryFilter, Recipient};
use linli_domain::types::{
    AccountId, ApprovalRequestId, IdempotencyKey, OrganisationId, TransferId,
};

use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::{Context, Points, UserError, mirror_enum};

mirror_enum!(
    /// What an account belongs to.
    AccountKind = linli_domain::ledger::AccountKind {
        Issuance,
        Expired,
        Wallet,
        Hold,
        Budget,
        Merchant,
        GroupFund,
    }
);

mirror_enum!(
    /// Why points moved.
    TransferCode = linli_domain::ledger::TransferCode {
        Earn,
        AllocateBudget,
        RedeemHold,
        RedeemCapture,
        RedeemRelease,
        Donate,
        Expire,
        Reverse,
        Adjust,
    }
);

mirror_enum!(
    /// Seen from the account whose history is read.
    Direction = linli_domain::ledger::Direction { In, Out }
);

#[derive(Debug, Clone)]
pub struct Account(pub domain::Account);

#[graphql_object(context = Context, impl = NodeValue)]
impl Account {
    fn id(&self) -> ID {
        GlobalId::encode("Account", self.0.id.as_str())
    }

    fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }

    /// Points in the account now.
    fn balance(&self) -> Points {
        Points(self.0.balance)
    }

    /// Transfers in and out, newest first.
    async fn history(
        &self,
        ctx: &Context,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<HistoryFilterInput>,
    ) -> FieldResult<LedgerEntryConnection> {
        let page = ctx.answer(page_request(first, after))?;
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
}

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
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Transfer(pub domain::Transfer);

#[graphql_object(context = Context, impl = NodeValue)]
impl Transfer {
    fn id(&self) -> ID {
        GlobalId::encode("Transfer", self.0.id.as_str())
    }

    fn code(&self) -> TransferCode {
        self.0.code.into()
    }

    fn amount(&self) -> Points {
        Points(self.0.amount)
    }

    fn reason(&self) -> &str {
        &self.0.reason
    }

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

    fn debit_account_id(&self) -> ID {
        GlobalId::encode("Account", self.0.debit_account_id.as_str())
    }

    fn credit_account_id(&self) -> ID {
        GlobalId::encode("Account", self.0.credit_account_id.as_str())
    }

    /// For a REVERSE transfer: the transfer it undoes.
    fn reverses_id(&self) -> Option<ID> {
        self.0
            .reverses_id
            .as_ref()
            .map(|id| GlobalId::encode("Transfer", id.as_str()))
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

/// The other side of an entry.
#[derive(Debug, Clone, GraphQLObject)]
pub struct Counterpart {
    pub account_id: ID,
    pub kind: AccountKind,
    /// A resident's name, an organisation's name, or a system account's label.
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct LedgerEntry(pub domain::HistoryEntry);

#[graphql_object(context = Context)]
impl LedgerEntry {
    fn transfer(&self) -> Transfer {
        Transfer(self.0.transfer.clone())
    }

    fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    /// Signed change to this account: positive in, negative out.
    fn change(&self) -> Points {
        Points(self.0.change())
    }

    fn counterpart(&self) -> Counterpart {
        let c = &self.0.counterpart;
        Counterpart {
            account_id: GlobalId::encode("Account", c.account_id.as_str()),
            kind: c.kind.into(),
            name: c.name.clone(),
        }
    }
}

connection!(LedgerEntryConnection, LedgerEntryEdge, LedgerEntry, |e| e
    .0
    .transfer
    .id
    .to_string());

/// The district's points, for staff.
#[derive(Debug, GraphQLObject)]
pub struct LedgerTotals {
    pub issued: Points,
    pub outstanding: Points,
    pub held: Points,
    pub redeemed: Points,
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
        expired: Points(t.expired),
    })
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct TransferPayload {
    /// The transfer made (or, for a replayed idempotency key, the one made the first time).
    pub transfer: Option<Transfer>,
    /// Set instead of `transfer` when the movement waits for a second staff member.
    pub approval_request: Option<ApprovalRequest>,
    pub errors: Vec<UserError>,
}

impl TransferPayload {
    pub fn from(ctx: &Context, result: Result<domain::Transfer, DomainError>) -> FieldResult<Self> {
        Self::of_movement(ctx, result.map(domain::Movement::Posted))
    }

    pub fn of_movement(
        ctx: &Context,
        result: Result<domain::Movement, DomainError>,
    ) -> FieldResult<Self> {
        let (movement, errors) = ctx.payload(result)?;
        let (transfer, approval_request) = match movement {
            Some(domain::Movement::Posted(t)) => (Some(Transfer(t)), None),
            Some(domain::Movement::AwaitingApproval(r)) => (None, Some(ApprovalRequest(r))),
            None => (None, None),
        };
        Ok(Self {
            transfer,
            approval_request,
            errors,
        })
    }
}

mirror_enum!(
    /// What a staff member asked for that needs a second staff member.
    ApprovalKind = linli_domain::ledger::ApprovalKind {
        Adjust,
        Reverse,
        AllocateBudget,
    }
);

mirror_enum!(
    ApprovalStatus = linli_domain::ledger::ApprovalStatus {
        Pending,
        Approved,
        Declined,
    }
);

/// A staff movement of points above the dual-control amount: it posts only when a second staff
/// member approves it.
#[derive(Debug, Clone)]
pub struct ApprovalRequest(pub domain::ApprovalRequest);

#[graphql_object(context = Context, impl = NodeValue)]
impl ApprovalRequest {
    fn id(&self) -> ID {
        GlobalId::encode("ApprovalRequest", self.0.id.as_str())
    }

    fn kind(&self) -> ApprovalKind {
        self.0.kind.into()
    }

    fn status(&self) -> ApprovalStatus {
        self.0.status.into()
    }

    /// The staff member who asked.
    fn requested_by_id(&self) -> ID {
        GlobalId::encode("User", self.0.requested_by.as_str())
    }

    /// The account an adjustment changes.
    fn account_id(&self) -> Option<ID> {
        self.0
            .account_id
            .as_ref()
            .map(|id| GlobalId::encode("Account", id.as_str()))
    }

    /// The transfer a reversal undoes.
    fn transfer_id(&self) -> Option<ID> {
        self.0
            .transfer_id
            .as_ref()
            .map(|id| GlobalId::encode("Transfer", id.as_str()))
    }

    /// The organisation an allocation funds.
    fn organisation_id(&self) -> Option<ID> {
        self.0
            .organisation_id
            .as_ref()
            .map(|id| GlobalId::encode("Organisation", id.as_str()))
    }

    /// Points to move: negative for an adjustment that removes points.
    fn change(&self) -> Points {
        Points(self.0.change)
    }

    fn reason(&self) -> &str {
        &self.0.reason
    }

    /// The second staff member who decided.
    fn decided_by_id(&self) -> Option<ID> {
        self.0
            .decided_by
            .as_ref()
            .map(|id| GlobalId::encode("User", id.as_str()))
    }

    fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at.map(|t| t.and_utc())
    }

    fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }

    /// The transfer the approval posted.
    fn transfer_made_id(&self) -> Option<ID> {
        self.0
            .transfer_made_id
            .as_ref()
            .map(|id| GlobalId::encode("Transfer", id.as_str()))
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
}

connection!(
    ApprovalRequestConnection,
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
) -> FieldResult<ApprovalRequestConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| s.ledger().approvals(actor, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| ApprovalRequestConnection::from_page(p, ApprovalRequest))
}

#[derive(Debug, GraphQLInputObject)]
pub struct DecideApprovalRequestInput {
    pub approval_request_id: ID,
    /// True posts the movement; false declines it.
    pub approve: bool,
    pub note: Option<String>,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ApprovalRequestPayload {
    pub approval_request: Option<ApprovalRequest>,
    pub errors: Vec<UserError>,
}

pub async fn decide_approval_request(
    ctx: &Context,
    input: DecideApprovalRequestInput,
) -> FieldResult<ApprovalRequestPayload> {
    let id = match GlobalId::expect(
        &input.approval_request_id,
        "ApprovalRequest",
        "approvalRequestId",
        ApprovalRequestId::parse,
    ) {
        Ok(id) => id,
        Err(e) => {
            return Ok(ApprovalRequestPayload {
                approval_request: None,
                errors: vec![UserError::from(&e)],
            });
        }
    };
    let note = input.note.unwrap_or_default();
    let result = ctx
        .run(move |s, actor| s.ledger().decide_approval(actor, &id, input.approve, &note))
        .await;
    let (request, errors) = ctx.payload(result)?;
    Ok(ApprovalRequestPayload {
        approval_request: request.map(ApprovalRequest),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct AllocateBudgetInput {
    pub organisation_id: ID,
    pub amount: Points,
    pub reason: String,
    /// Chosen by the client, unique per request; a retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn allocate_budget(
    ctx: &Context,
    input: AllocateBudgetInput,
) -> FieldResult<TransferPayload> {
    let decoded = GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    )
    .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    let (id, key) = match decoded {
        Ok(v) => v,
        Err(e) => return TransferPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| {
            s.ledger()
                .allocate_budget(actor, &id, input.amount.0, &input.reason, &key)
        })
        .await;
    TransferPayload::of_movement(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct DonatePointsInput {
    /// The recipient's email address or mobile number.
    pub recipient: String,
    pub amount: Points,
    pub reason: Option<String>,
    pub idempotency_key: String,
}

pub async fn donate_points(
    ctx: &Context,
    input: DonatePointsInput,
) -> FieldResult<TransferPayload> {
    let key = match IdempotencyKey::parse(&input.idempotency_key) {
        Ok(key) => key,
        Err(e) => return TransferPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| {
            s.ledger().donate(
                actor,
                &Recipient(input.recipient),
                input.amount.0,
                input.reason.as_deref().unwrap_or(""),
                &key,
            )
        })
        .await;
    TransferPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ReverseTransferInput {
    pub transfer_id: ID,
    pub reason: String,
    pub idempotency_key: String,
}

pub async fn reverse_transfer(
    ctx: &Context,
    input: ReverseTransferInput,
) -> FieldResult<TransferPayload> {
    let decoded = GlobalId::expect(
        &input.transfer_id,
        "Transfer",
        "transferId",
        TransferId::parse,
    )
    .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    let (id, key) = match decoded {
        Ok(v) => v,
        Err(e) => return TransferPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.ledger().reverse(actor, &id, &input.reason, &key))
        .await;
    TransferPayload::of_movement(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct AdjustBalanceInput {
    pub account_id: ID,
    /// Positive adds points, negative removes them.
    pub change: Points,
    pub reason: String,
    pub idempotency_key: String,
}

pub async fn adjust_balance(
    ctx: &Context,
    input: AdjustBalanceInput,
) -> FieldResult<TransferPayload> {
    let decoded = GlobalId::expect(&input.account_id, "Account", "accountId", AccountId::parse)
        .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    let (account_id, key) = match decoded {
        Ok(v) => v,
        Err(e) => return TransferPayload::from(ctx, Err(e)),
    };
    let adjustment = Adjustment {
        account_id,
        change: input.change.0,
        reason: input.reason,
    };
    let result = ctx
        .run(move |s, actor| s.ledger().adjust(actor, &adjustment, &key))
        .await;
    TransferPayload::of_movement(ctx, result)
}
