//! The review queue: cases the rules opened, and staff closing them.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLEnum, GraphQLInputObject, ID, graphql_object};
use linli_domain::review::{self as domain, Outcome};
use linli_domain::types::ReviewCaseId;

use super::identity::User;
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, Points, mirror_enum};

mirror_enum!(
    /// The rule that opened a case.
    ReviewRule = linli_domain::review::Rule {
        /// Many participations of one activity checked in and out at the very same second.
        IdenticalAttendance,
        /// One resident's verified service in two activities overlapping in time.
        OverlappingMinutes,
        /// More accounts than allowed signing in from one client address in a day.
        AccountsPerAddress,
        /// Points donated around a loop of a few accounts.
        TransferCycle,
        /// A merchant confirming far more redemptions in a day than its median day.
        MerchantSurge,
        /// A resident who redeemed at a shop and then joined its organisation.
        MemberRedemption,
    }
);

mirror_enum!(
    /// Where a case stands.
    ReviewCaseStatus = linli_domain::review::CaseStatus {
        /// Waiting for staff.
        Open,
        /// Staff found nothing wrong.
        Cleared,
        /// Staff reversed points or suspended accounts.
        Acted,
    }
);

/// How staff close a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, GraphQLEnum)]
pub enum ReviewOutcome {
    /// Nothing wrong: the pattern has an innocent reason.
    Cleared,
    /// Something was wrong: the case's transfers reversed and its residents suspended (with
    /// `reverse` and `suspend`), or staff acted elsewhere.
    Acted,
}

#[derive(Debug, Clone)]
pub struct ReviewCase(pub domain::ReviewCase);

/// A pattern a rule found, for staff to look into: what it is, in Chinese, and the rows seen.
#[graphql_object(context = Context, impl = NodeValue)]
impl ReviewCase {
    /// Opaque global id.
    fn id(&self) -> ID {
        ReviewCase::global_id(self.0.id.as_str())
    }

    /// The rule that found it.
    fn rule(&self) -> ReviewRule {
        self.0.rule.into()
    }

    /// What the rule found, for people, in Chinese.
    fn explanation(&self) -> &str {
        &self.0.explanation
    }

    /// One line per row the rule saw (people, times, transfers with their ids).
    fn evidence(&self) -> &[String] {
        &self.0.evidence
    }

    /// What the case is about: `activity`, `account`, `user`, `merchant` or `address`.
    fn subject_kind(&self) -> &str {
        &self.0.subject_kind
    }

    /// What the case is about: the global id of an `Activity`, `Account`, `User` or
    /// `Merchant`, or for `address` the client address itself.
    fn subject_id(&self) -> ID {
        let id = &self.0.subject_id;
        match self.0.subject_kind.as_str() {
            "activity" => super::volunteering::Activity::global_id(id),
            "user" => User::global_id(id),
            "merchant" => super::rewards::Merchant::global_id(id),
            "address" => ID::new(id),
            _ => super::ledger::Account::global_id(id),
        }
    }

    /// Points the case holds from spending while it is open (its rule holds what suspicious
    /// attendance earned); they return to the wallets when it closes.
    fn held_points(&self) -> Points {
        Points(self.0.held)
    }

    /// The transfers acting on the case reverses (`Transfer` ids, the first 500).
    fn transfer_ids(&self) -> Vec<ID> {
        self.0
            .transfers
            .iter()
            .take(domain::SUBJECTS_LISTED)
            .map(|t| super::ledger::Transfer::global_id(t.as_str()))
            .collect()
    }

    /// The residents acting on the case suspends (`User` ids, the first 500).
    fn user_ids(&self) -> Vec<ID> {
        self.0
            .users
            .iter()
            .take(domain::SUBJECTS_LISTED)
            .map(|u| User::global_id(u.as_str()))
            .collect()
    }

    /// Open, cleared or acted on.
    fn status(&self) -> ReviewCaseStatus {
        self.0.status.into()
    }

    /// When the rule opened it.
    fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at.and_utc()
    }

    /// The staff member who closed it.
    fn decided_by_id(&self) -> Option<ID> {
        self.0
            .decided_by
            .as_ref()
            .map(|id| User::global_id(id.as_str()))
    }

    /// When it was closed.
    fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at.map(|t| t.and_utc())
    }

    /// Why, as staff wrote it.
    fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }
}

connection!(
    /// A page of review cases, newest first.
    ReviewCaseConnection,
    /// A case in a page, with its cursor.
    ReviewCaseEdge,
    ReviewCase,
    |c| c.0.id.to_string()
);

pub async fn cases(
    ctx: &Context,
    status: Option<ReviewCaseStatus>,
    page: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> FieldResult<ReviewCaseConnection> {
    let (first, after, last, before) = page;
    let page = ctx.answer(page_request(first, after, last, before))?;
    let status = status.map_or(domain::CaseStatus::Open, Into::into);
    let result = ctx
        .run(move |s, actor| s.reviews().cases(actor, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| ReviewCaseConnection::from_page(p, ReviewCase))
}

pub async fn case(ctx: &Context, id: ReviewCaseId) -> FieldResult<ReviewCase> {
    let result = ctx.run(move |s, actor| s.reviews().case(actor, &id)).await;
    ctx.answer(result).map(ReviewCase)
}

/// A case to close, how, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct CloseReviewCaseInput {
    /// An open case.
    pub case_id: ID,
    /// Cleared (nothing wrong) or acted on.
    pub outcome: ReviewOutcome,
    /// Why, 2–500 characters (audited).
    pub reason: String,
    /// With `ACTED`: reverse the case's transfers, by the rules of every staff reversal (none
    /// of your own accounts; a second staff member above the dual-control amount).
    pub reverse: Option<bool>,
    /// With `ACTED`: suspend the residents the case names.
    pub suspend: Option<bool>,
}

payload!(
    /// What closing a case returns.
    ReviewCasePayload {
        /// The case after it closed; null when the request was refused.
        case: Option<ReviewCase>,
    }
    from domain::ReviewCase => ReviewCase
);

pub async fn close(ctx: &Context, input: CloseReviewCaseInput) -> FieldResult<ReviewCasePayload> {
    let id = ReviewCase::decode(&input.case_id, "caseId");
    let (reverse, suspend) = (
        input.reverse.unwrap_or(false),
        input.suspend.unwrap_or(false),
    );
    ctx.mutate(id, move |s, actor, id| {
        let outcome = match input.outcome {
            ReviewOutcome::Cleared if reverse || suspend => {
                return Err(linli_domain::DomainError::invalid(
                    if reverse { "reverse" } else { "suspend" },
                    "无异常关闭时不能冲正或暂停账号",
                ));
            }
            ReviewOutcome::Cleared => Outcome::Cleared,
            ReviewOutcome::Acted => Outcome::Acted { reverse, suspend },
        };
        s.reviews().close(actor, &id, outcome, &input.reason)
    })
    .await
}
