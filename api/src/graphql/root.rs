//! The query and mutation roots: each field hands over to its context's module.

use chrono::{DateTime, Utc};
use juniper::{Executor, FieldResult, ID, graphql_object};

use super::Context;
use super::catalogue::{self, Category, ProductConnection};
use super::directory::{self, CommunityConnection, Membership, OrganisationConnection};
use super::identity::{self, User};
use super::insight;
use super::ledger::{self, LedgerTotals, TransferPayload};
use super::relay::{NodeValue, counts_total, page_request};
use super::rewards::{
    self, DistrictOverview, MerchantStatement, RedemptionConnection, RewardConnection,
};
use super::volunteering::{self, ActivityConnection, ActivityStatus};
use linli_domain::rewards::MerchantDecision;

pub struct Query;

/// Everything a client can read; fields that need a signed-in or staff caller are nullable, so a
/// refusal nulls only that field.
#[graphql_object(context = Context, scalar = juniper::DefaultScalarValue)]
impl Query {
    /// The signed-in person.
    async fn me(ctx: &Context) -> FieldResult<Option<User>> {
        identity::me(ctx).await.map(Some)
    }

    /// Any object by its global id; null when it does not exist or is not visible to you.
    async fn node(
        ctx: &Context,
        #[graphql(description = "The object's global id.")] id: ID,
    ) -> FieldResult<Option<NodeValue>> {
        super::nodes::fetch(ctx, &id).await
    }

    /// Several objects by their global ids (at most 100), in the order asked; null for each
    /// that does not exist or is not visible to you.
    async fn nodes(
        ctx: &Context,
        #[graphql(description = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> FieldResult<Vec<Option<NodeValue>>> {
        super::nodes::fetch_all(ctx, &ids).await
    }

    /// The district's communities.
    async fn communities(
        ctx: &Context,
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
    ) -> FieldResult<CommunityConnection> {
        directory::communities(ctx, first, after, last, before).await
    }

    /// The category taxonomy: top-level categories with their sub-categories.
    async fn categories(ctx: &Context) -> FieldResult<Vec<Category>> {
        catalogue::categories(ctx).await
    }

    /// Browse and search social-innovation products (published ones, unless you are staff or
    /// filter on your own organisation).
    async fn products(
        executor: &Executor<'_, '_, Context>,
        #[graphql(description = "Which products to list (default: every published one).")]
        filter: Option<catalogue::ProductFilterInput>,
        #[graphql(
            description = "The order (default: relevance, which is newest first without search text)."
        )]
        order_by: Option<catalogue::ProductOrder>,
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
    ) -> FieldResult<ProductConnection> {
        let ctx = executor.context();
        let mut page = ctx.answer(page_request(first, after, last, before))?;
        page.count = counts_total(executor);
        catalogue::products(ctx, filter, order_by, page).await
    }

    /// Upcoming published volunteer activities, soonest first.
    async fn activities(
        ctx: &Context,
        #[graphql(
            description = "Which activities to list (default: every published one not yet started)."
        )]
        filter: Option<volunteering::ActivityFilterInput>,
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
    ) -> FieldResult<ActivityConnection> {
        volunteering::activities(ctx, filter, first, after, last, before).await
    }

    /// Rewards residents can redeem now, newest first.
    async fn rewards(
        ctx: &Context,
        #[graphql(description = "Which rewards to list (default: every one on offer).")]
        filter: Option<rewards::RewardFilterInput>,
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
    ) -> FieldResult<RewardConnection> {
        rewards::rewards(ctx, filter, first, after, last, before).await
    }

    /// The signed-in resident's redemptions, newest first.
    async fn my_redemptions(
        ctx: &Context,
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
    ) -> FieldResult<Option<RedemptionConnection>> {
        rewards::my_redemptions(ctx, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: the review queue's cases in a status (default open), newest first.
    async fn review_cases(
        ctx: &Context,
        #[graphql(description = "Which cases (default OPEN).")] status: Option<
            super::review::ReviewCaseStatus,
        >,
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
    ) -> FieldResult<Option<super::review::ReviewCaseConnection>> {
        super::review::cases(ctx, status, (first, after, last, before))
            .await
            .map(Some)
    }

    /// The signed-in resident's service certificates, newest first.
    async fn my_certificates(
        ctx: &Context,
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
    ) -> FieldResult<Option<super::certificate::CertificateConnection>> {
        super::certificate::mine(ctx, first, after, last, before)
            .await
            .map(Some)
    }

    /// A service certificate with its signed document: its holder's and staff's. Anyone else
    /// checks one with `verifyCertificate`.
    async fn certificate(
        ctx: &Context,
        #[graphql(description = "The number printed on it (LL-XXXX-XXXX-XXXX).")] number: String,
    ) -> FieldResult<Option<super::certificate::Certificate>> {
        super::certificate::certificate(ctx, number).await.map(Some)
    }

    /// Anyone: whether a service certificate is genuine, unchanged and not revoked, and what
    /// it certifies. With `document`, that signed document is checked against the district's
    /// keys (and against this server's record, where it has one).
    async fn verify_certificate(
        ctx: &Context,
        #[graphql(description = "The number printed on it (LL-XXXX-XXXX-XXXX).")] number: String,
        #[graphql(description = "The signed document (compact JWS), when one is presented.")]
        document: Option<String>,
    ) -> FieldResult<Option<super::certificate::CertificateVerification>> {
        super::certificate::verify(ctx, number, document)
            .await
            .map(Some)
    }

    /// The signed-in resident's bookings of community services, newest first.
    async fn my_bookings(
        ctx: &Context,
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
    ) -> FieldResult<Option<super::booking::BookingConnection>> {
        super::booking::mine(ctx, first, after, last, before)
            .await
            .map(Some)
    }

    /// Operators and staff: a merchant's redemptions, newest first (codes are never listed).
    async fn merchant_redemptions(
        ctx: &Context,
        #[graphql(description = "The merchant (you must be one of its operators, or staff).")]
        merchant_id: ID,
        #[graphql(description = "Only redemptions in this status.")] status: Option<
            rewards::RedemptionStatus,
        >,
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
    ) -> FieldResult<Option<RedemptionConnection>> {
        rewards::merchant_redemptions(ctx, merchant_id, status, first, after, last, before)
            .await
            .map(Some)
    }

    /// Operators and staff: a merchant's statement for a month (`YYYY-MM`).
    async fn merchant_statement(
        ctx: &Context,
        #[graphql(description = "The merchant (you must be one of its operators, or staff).")]
        merchant_id: ID,
        #[graphql(description = "The month, `YYYY-MM` (China Standard Time).")] month: String,
    ) -> FieldResult<Option<MerchantStatement>> {
        rewards::statement(ctx, merchant_id, month).await.map(Some)
    }

    /// Staff: merchants' settlements, newest first; `filter` picks a month, a status or a
    /// merchant. A merchant's operators may read their own merchant's by naming it.
    async fn settlements(
        ctx: &Context,
        #[graphql(description = "Which settlements to list (default: every one).")] filter: Option<
            super::settlement::SettlementFilterInput,
        >,
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
    ) -> FieldResult<Option<super::settlement::SettlementConnection>> {
        super::settlement::settlements(ctx, filter, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: what the settlements of a filter come to and what the centre still owes on them
    /// across every merchant, with their CSV; a merchant's operators for their own merchant.
    async fn settlement_totals(
        ctx: &Context,
        #[graphql(description = "Which settlements to sum (default: every one).")] filter: Option<
            super::settlement::SettlementFilterInput,
        >,
    ) -> FieldResult<Option<super::settlement::SettlementTotals>> {
        super::settlement::totals(ctx, filter).await.map(Some)
    }

    /// Staff: points captured across the alliance in a month (`YYYY-MM`).
    async fn district_overview(
        ctx: &Context,
        #[graphql(description = "The month, `YYYY-MM` (China Standard Time).")] month: String,
    ) -> FieldResult<Option<DistrictOverview>> {
        rewards::overview(ctx, month).await.map(Some)
    }

    /// Self-governance groups, by name; `filter` picks a stage (a column of the incubation
    /// board) or a community.
    async fn groups(
        ctx: &Context,
        #[graphql(description = "Which groups to list (default: every one).")] filter: Option<
            super::incubation::GroupFilterInput,
        >,
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
    ) -> FieldResult<super::incubation::GroupConnection> {
        super::incubation::groups(ctx, filter, first, after, last, before).await
    }

    /// Community needs, soonest wanted first, or in the matching board's order (`order:
    /// URGENT_FIRST`: past their SLA first, then the soonest SLA); `overdue: true` keeps those
    /// past their wanted-by date without a match.
    async fn needs(
        ctx: &Context,
        #[graphql(description = "Which needs to list (default: every one).")] filter: Option<
            super::matching::NeedFilterInput,
        >,
        #[graphql(description = "How to order them (default: WANTED_BY).")] order: Option<
            super::matching::NeedOrder,
        >,
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
    ) -> FieldResult<super::matching::NeedConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        super::matching::needs(ctx, filter, order, page).await
    }

    /// Staff: products, organisations and groups that could meet a need, best first, with
    /// reasons.
    async fn match_candidates(
        ctx: &Context,
        #[graphql(description = "The need to find candidates for.")] need_id: ID,
    ) -> FieldResult<Option<Vec<super::matching::MatchCandidate>>> {
        super::matching::candidates(ctx, need_id).await.map(Some)
    }

    /// The district's impact per community, category or organisation (aggregates only, public),
    /// most service time first.
    async fn impact(
        ctx: &Context,
        #[graphql(description = "What to group the figures by.")] by: insight::ImpactDimension,
        #[graphql(description = "What to narrow the figures to (default: everything).")]
        filter: Option<insight::InsightFilterInput>,
    ) -> FieldResult<Vec<insight::ImpactRow>> {
        insight::impact(ctx, by, filter).await
    }

    /// Staff: the impact figures cross-tabulated, community × category × organisation (or the
    /// dimensions of `by`), the 1,000 cells with the most service time (the CSV export has
    /// every cell of all three).
    async fn impact_table(
        ctx: &Context,
        #[graphql(
            description = "What to cross-tabulate by: one, two or all three dimensions, each once (default: all three; INVALID_INPUT on `by` when empty or repeated). A cell's part is null where a figure has none of it; those cells are kept."
        )]
        by: Option<Vec<insight::ImpactDimension>>,
        #[graphql(description = "What to narrow the figures to (default: everything).")]
        filter: Option<insight::InsightFilterInput>,
    ) -> FieldResult<Option<Vec<insight::ImpactCell>>> {
        insight::impact_table(ctx, by, filter).await.map(Some)
    }

    /// Staff: the district at a glance; each figure is computed when it is asked for.
    async fn dashboard(
        ctx: &Context,
        #[graphql(description = "What to narrow the figures to (default: everything).")]
        filter: Option<insight::InsightFilterInput>,
    ) -> FieldResult<Option<insight::Dashboard>> {
        insight::dashboard(ctx, filter).await.map(Some)
    }

    /// Staff: the district's points at the end of each month (China Standard Time), oldest
    /// first; the last month's figures are those of the period's end, which `ledgerTotals`
    /// gives for now.
    async fn liability(
        ctx: &Context,
        #[graphql(
            description = "From the month holding this instant (default: the first month with a transfer)."
        )]
        from: Option<DateTime<Utc>>,
        #[graphql(description = "Until this instant (default and at most: now).")] to: Option<
            DateTime<Utc>,
        >,
    ) -> FieldResult<Option<Vec<insight::LiabilityMonth>>> {
        insight::liability(ctx, from, to).await.map(Some)
    }

    /// Staff: each organisation's budget with what it was allocated, paid out and to how many
    /// residents in the period, in the order the organisations registered.
    async fn organisation_budgets(
        ctx: &Context,
        #[graphql(
            description = "The period; the community and type are the organisation's; the category keeps organisations working in it."
        )]
        filter: Option<insight::InsightFilterInput>,
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
    ) -> FieldResult<Option<insight::OrganisationBudgetConnection>> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        insight::organisation_budgets(ctx, filter, page)
            .await
            .map(Some)
    }

    /// Staff: attendance and service hours per activity started in the period (drafts aside),
    /// in the order the activities were created.
    async fn attendance_report(
        ctx: &Context,
        #[graphql(description = "What to narrow the report to (default: every activity).")]
        filter: Option<insight::InsightFilterInput>,
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
    ) -> FieldResult<Option<insight::ActivityAttendanceConnection>> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        insight::attendance(ctx, filter, page).await.map(Some)
    }

    /// Staff: verified service hours per resident, in activities started in the period (and
    /// held in the filter's community), in the order the residents registered.
    async fn resident_hours(
        ctx: &Context,
        #[graphql(description = "What to narrow the report to (default: everything).")]
        filter: Option<insight::InsightFilterInput>,
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
    ) -> FieldResult<Option<insight::ResidentHoursConnection>> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        insight::resident_hours(ctx, filter, page).await.map(Some)
    }

    /// Staff: download links for the CSV exports of the impact table, attendance, residents'
    /// hours, organisations' budgets and the audit trail, for one filter.
    async fn insight_exports(
        ctx: &Context,
        #[graphql(description = "What the exports hold (default: everything).")] filter: Option<
            insight::InsightFilterInput,
        >,
    ) -> FieldResult<Option<insight::InsightExports>> {
        insight::exports(ctx, filter).await.map(Some)
    }

    /// Organisations the signed-in person belongs to.
    async fn my_organisations(ctx: &Context) -> FieldResult<Option<Vec<Membership>>> {
        directory::my_organisations(ctx).await.map(Some)
    }

    /// Staff: organisations waiting for verification, oldest first.
    async fn organisation_review_queue(
        ctx: &Context,
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
    ) -> FieldResult<Option<OrganisationConnection>> {
        directory::review_queue(ctx, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: merchant applications waiting for a decision, oldest first.
    async fn merchant_applications(
        ctx: &Context,
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
    ) -> FieldResult<Option<rewards::MerchantConnection>> {
        let pending = rewards::MerchantFilterInput {
            status: Some(rewards::MerchantStatus::Pending),
            ..rewards::MerchantFilterInput::default()
        };
        rewards::merchants(ctx, Some(pending), first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: search the district's organisations in any status, newest first (pending ones
    /// oldest first, as in the review queue).
    async fn organisations(
        ctx: &Context,
        #[graphql(description = "Which organisations to list (default: every one).")]
        filter: Option<directory::OrganisationFilterInput>,
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
    ) -> FieldResult<Option<OrganisationConnection>> {
        directory::organisations(ctx, filter, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: search the alliance's merchants in any status, newest first (pending ones oldest
    /// first, as in `merchantApplications`).
    async fn merchants(
        ctx: &Context,
        #[graphql(description = "Which merchants to list (default: every one).")] filter: Option<
            rewards::MerchantFilterInput,
        >,
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
    ) -> FieldResult<Option<rewards::MerchantConnection>> {
        rewards::merchants(ctx, filter, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: search residents by name, phone or email, newest account first.
    async fn residents(
        ctx: &Context,
        #[graphql(description = "Which residents to list (default: every one).")] filter: Option<
            identity::ResidentFilterInput,
        >,
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
    ) -> FieldResult<Option<identity::UserConnection>> {
        identity::residents(ctx, filter, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: the district's points totals.
    async fn ledger_totals(ctx: &Context) -> FieldResult<Option<LedgerTotals>> {
        ledger::totals(ctx).await.map(Some)
    }

    /// Staff: movements of points waiting for (or decided by) a second staff member, oldest
    /// first.
    async fn approval_requests(
        ctx: &Context,
        #[graphql(description = "Only requests in this status, e.g. `PENDING` for the queue.")]
        status: Option<ledger::ApprovalStatus>,
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
    ) -> FieldResult<Option<ledger::ApprovalRequestConnection>> {
        ledger::approval_requests(ctx, status, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: the email outbox, newest first.
    async fn outbox_messages(
        ctx: &Context,
        #[graphql(description = "Only messages in this status.")] status: Option<
            super::email::EmailStatus,
        >,
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
    ) -> FieldResult<Option<super::email::EmailMessageConnection>> {
        super::email::messages(ctx, status, first, after, last, before)
            .await
            .map(Some)
    }

    /// Staff: the audit trail, newest first, optionally about one subject (its raw id) and in a
    /// period.
    async fn audit_events(
        ctx: &Context,
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
        #[graphql(
            description = "Only events about this object (its raw id, as in `AuditEvent.subjectId`)."
        )]
        subject_id: Option<String>,
        #[graphql(description = "Only events in this period.")] period: Option<
            super::audit::PeriodInput,
        >,
    ) -> FieldResult<Option<super::audit::AuditEventConnection>> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        super::audit::events(ctx, subject_id, period.unwrap_or_default(), page)
            .await
            .map(Some)
    }
}

pub struct Mutation;

/// Everything a client can change; business rejections come back in each payload's `errors`.
#[graphql_object(context = Context)]
impl Mutation {
    /// Sign up as a resident with an email address and/or a mobile number.
    async fn register_resident(
        ctx: &Context,
        #[graphql(description = "The new resident's contact, password and name.")]
        input: identity::RegisterResidentInput,
    ) -> FieldResult<identity::RegisterResidentPayload> {
        identity::register_resident(ctx, input).await
    }

    /// Sign in; failed attempts are throttled per account and per client address.
    async fn sign_in(
        ctx: &Context,
        #[graphql(description = "The login and password.")] input: identity::SignInInput,
    ) -> FieldResult<identity::SessionPayload> {
        identity::sign_in(ctx, input).await
    }

    /// Trade a refresh token for a new session. Using one twice ends every session of its
    /// family.
    async fn refresh_session(
        ctx: &Context,
        #[graphql(description = "The current session's refresh token.")]
        input: identity::RefreshSessionInput,
    ) -> FieldResult<identity::SessionPayload> {
        identity::refresh_session(ctx, input).await
    }

    /// Email a password-reset link (the answer never reveals whether the address exists).
    async fn request_password_reset(
        ctx: &Context,
        #[graphql(description = "The account's email address.")]
        input: super::email::RequestPasswordResetInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::request_password_reset(ctx, input).await
    }

    /// Set a new password with the emailed token; every session of the account ends.
    async fn reset_password(
        ctx: &Context,
        #[graphql(description = "The emailed token and the new password.")]
        input: super::email::ResetPasswordInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::reset_password(ctx, input).await
    }

    /// Email the signed-in person a link confirming their address.
    async fn request_email_verification(ctx: &Context) -> FieldResult<super::email::DonePayload> {
        super::email::request_email_verification(ctx).await
    }

    /// Confirm an email address with the emailed token.
    async fn verify_email(
        ctx: &Context,
        #[graphql(description = "The emailed token.")] input: super::email::VerifyEmailInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::verify_email(ctx, input).await
    }

    /// Turn a non-essential kind of email on or off.
    async fn set_notification_preference(
        ctx: &Context,
        #[graphql(description = "Which kind of email, and whether to send it.")]
        input: super::email::SetNotificationPreferenceInput,
    ) -> FieldResult<super::email::DonePayload> {
        super::email::set_preference(ctx, input).await
    }

    /// Staff: send a failed email again.
    async fn retry_email(
        ctx: &Context,
        #[graphql(description = "The failed message.")] input: super::email::RetryEmailInput,
    ) -> FieldResult<super::email::RetryEmailPayload> {
        super::email::retry(ctx, input).await
    }

    /// Staff: email an announcement to every resident who has not turned announcements off.
    async fn announce(
        ctx: &Context,
        #[graphql(description = "The subject and text to send.")]
        input: super::email::AnnounceInput,
    ) -> FieldResult<super::email::AnnouncePayload> {
        super::email::announce(ctx, input).await
    }

    /// End the session the refresh token belongs to.
    async fn sign_out(
        ctx: &Context,
        #[graphql(description = "The refresh token of the session to end.")]
        input: identity::RefreshSessionInput,
    ) -> FieldResult<identity::SignOutPayload> {
        identity::sign_out(ctx, input).await
    }

    /// Staff: add a community.
    async fn create_community(
        ctx: &Context,
        #[graphql(description = "The community's name, street and type.")]
        input: directory::CreateCommunityInput,
    ) -> FieldResult<directory::CreateCommunityPayload> {
        directory::create_community(ctx, input).await
    }

    /// Register an organisation with the centre; the caller becomes its owner.
    async fn register_organisation(
        ctx: &Context,
        #[graphql(description = "The organisation's name, kind, description and contact.")]
        input: directory::RegisterOrganisationInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::register_organisation(ctx, input).await
    }

    /// Staff: verify or reject a pending organisation.
    async fn review_organisation(
        ctx: &Context,
        #[graphql(description = "The pending organisation and the decision.")]
        input: directory::ReviewOrganisationInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::review_organisation(ctx, input).await
    }

    /// Staff: suspend a verified organisation, with a reason.
    async fn suspend_organisation(
        ctx: &Context,
        #[graphql(description = "The verified organisation and why.")]
        input: directory::OrganisationStandingInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::set_organisation_standing(ctx, input, true).await
    }

    /// Staff: restore a suspended organisation to verified, with a reason.
    async fn restore_organisation(
        ctx: &Context,
        #[graphql(description = "The suspended organisation and why.")]
        input: directory::OrganisationStandingInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        directory::set_organisation_standing(ctx, input, false).await
    }

    /// Staff: suspend a resident, with a reason: their sessions end, signing in is refused
    /// and their points cannot be spent until restored.
    async fn suspend_user(
        ctx: &Context,
        #[graphql(description = "The resident and why.")] input: identity::UserStandingInput,
    ) -> FieldResult<identity::UserPayload> {
        identity::set_user_standing(ctx, input, true).await
    }

    /// Staff: restore a suspended resident, with a reason.
    async fn restore_user(
        ctx: &Context,
        #[graphql(description = "The suspended resident and why.")]
        input: identity::UserStandingInput,
    ) -> FieldResult<identity::UserPayload> {
        identity::set_user_standing(ctx, input, false).await
    }

    /// Owners: add a person to the organisation.
    async fn add_organisation_member(
        ctx: &Context,
        #[graphql(description = "The organisation, the person and their role.")]
        input: directory::AddOrganisationMemberInput,
    ) -> FieldResult<directory::MembersPayload> {
        directory::add_member(ctx, input).await
    }

    /// Owners: remove a member (never the last owner).
    async fn remove_organisation_member(
        ctx: &Context,
        #[graphql(description = "The organisation and the member.")]
        input: directory::RemoveOrganisationMemberInput,
    ) -> FieldResult<directory::MembersPayload> {
        directory::remove_member(ctx, input).await
    }

    /// Members: draft a product for the organisation.
    async fn create_product(
        ctx: &Context,
        #[graphql(description = "The organisation and the product's fields.")]
        input: catalogue::CreateProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::create_product(ctx, input).await
    }

    /// Members: edit a draft or a product staff sent back.
    async fn update_product(
        ctx: &Context,
        #[graphql(description = "The product and its new fields.")]
        input: catalogue::UpdateProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::update_product(ctx, input).await
    }

    /// Members: send a product to staff for review (the organisation must be verified).
    async fn submit_product(
        ctx: &Context,
        #[graphql(description = "The draft or rejected product to submit.")]
        input: catalogue::ProductIdInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::step(ctx, input, catalogue::Step::Submit).await
    }

    /// Staff: publish a product in review, or send it back with a reason.
    async fn review_product(
        ctx: &Context,
        #[graphql(description = "The product in review and the decision.")]
        input: catalogue::ReviewProductInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::review_product(ctx, input).await
    }

    /// Members or staff: take a published product off the catalogue.
    async fn retire_product(
        ctx: &Context,
        #[graphql(description = "The published product to retire.")]
        input: catalogue::ProductIdInput,
    ) -> FieldResult<catalogue::ProductPayload> {
        catalogue::step(ctx, input, catalogue::Step::Retire).await
    }

    /// Members of a verified organisation: draft an activity.
    async fn create_activity(
        ctx: &Context,
        #[graphql(description = "The organisation or group, and the activity's details.")]
        input: volunteering::CreateActivityInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::create_activity(ctx, input).await
    }

    /// Members: open a drafted activity for sign-up.
    async fn publish_activity(
        ctx: &Context,
        #[graphql(description = "The drafted activity.")] input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Published).await
    }

    /// Members: mark a published activity as held.
    async fn complete_activity(
        ctx: &Context,
        #[graphql(description = "The published activity that was held.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Completed).await
    }

    /// Members: cancel a published activity; every sign-up is released.
    async fn cancel_activity(
        ctx: &Context,
        #[graphql(description = "The published activity to cancel.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::change_status(ctx, input, ActivityStatus::Cancelled).await
    }

    /// Residents: sign up (a seat, or a place on the waitlist).
    async fn sign_up_for_activity(
        ctx: &Context,
        #[graphql(description = "The published activity to sign up for.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::resident_step(ctx, input, volunteering::ResidentStep::SignUp).await
    }

    /// Residents: cancel before the start; the first waitlisted gets the seat.
    async fn cancel_sign_up(
        ctx: &Context,
        #[graphql(description = "The activity whose sign-up to cancel.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::resident_step(ctx, input, volunteering::ResidentStep::Cancel).await
    }

    /// Residents: check in with the code on the organiser's screen.
    async fn check_in(
        ctx: &Context,
        #[graphql(description = "The activity and the code on the organiser's screen.")]
        input: volunteering::CheckInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::check(ctx, input, false).await
    }

    /// Residents: check out with the current code.
    async fn check_out(
        ctx: &Context,
        #[graphql(description = "The activity and the current code on the organiser's screen.")]
        input: volunteering::CheckInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::check(ctx, input, true).await
    }

    /// Organisers: record attendance by hand (service hours only, never points).
    async fn record_attendance(
        ctx: &Context,
        #[graphql(description = "The activity, the resident and when they were there.")]
        input: volunteering::RecordAttendanceInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::record_attendance(ctx, input).await
    }

    /// Staff: take back the hours of a verified participation that paid no points (attendance
    /// found false), with a reason; certificates counting them are revoked. Hours that earned
    /// points go with their points: reverse the EARN instead.
    async fn revoke_service_hours(
        ctx: &Context,
        #[graphql(description = "The participation and why.")]
        input: volunteering::RevokeServiceHoursInput,
    ) -> FieldResult<volunteering::ParticipationPayload> {
        volunteering::revoke_hours(ctx, input).await
    }

    /// Another member verifies one participation: hours recorded, points earned once.
    async fn verify_attendance(
        ctx: &Context,
        #[graphql(description = "The participation to verify.")]
        input: volunteering::VerifyAttendanceInput,
    ) -> FieldResult<volunteering::VerifyAttendancePayload> {
        volunteering::verify(ctx, input).await
    }

    /// Verify every checked-out participation of an activity at once.
    async fn verify_activity_attendance(
        ctx: &Context,
        #[graphql(description = "The activity whose checked-out participations to verify.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::VerifyAttendancePayload> {
        volunteering::verify_all(ctx, input).await
    }

    /// Owners of a verified organisation: apply to join the business alliance.
    async fn apply_for_merchant(
        ctx: &Context,
        #[graphql(description = "The organisation and the shop's details.")]
        input: rewards::ApplyForMerchantInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::apply(ctx, input).await
    }

    /// Staff: admit a merchant application, or turn it down with a reason.
    async fn review_merchant(
        ctx: &Context,
        #[graphql(description = "The pending merchant and the decision.")]
        input: rewards::ReviewMerchantInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::review_merchant(ctx, input).await
    }

    /// Staff: suspend an active merchant, with a reason.
    async fn suspend_merchant(
        ctx: &Context,
        #[graphql(description = "The active merchant and why.")]
        input: rewards::MerchantStandingInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::set_merchant_standing(ctx, input, MerchantDecision::Suspend).await
    }

    /// Staff: restore a suspended merchant, with a reason.
    async fn restore_merchant(
        ctx: &Context,
        #[graphql(description = "The suspended merchant and why.")]
        input: rewards::MerchantStandingInput,
    ) -> FieldResult<rewards::MerchantPayload> {
        rewards::set_merchant_standing(ctx, input, MerchantDecision::Restore).await
    }

    /// Operators: offer a reward for points.
    async fn create_reward(
        ctx: &Context,
        #[graphql(description = "The merchant and the reward's details.")]
        input: rewards::CreateRewardInput,
    ) -> FieldResult<rewards::RewardPayload> {
        rewards::create_reward(ctx, input).await
    }

    /// Operators: pause, resume or retire a reward.
    async fn set_reward_status(
        ctx: &Context,
        #[graphql(description = "The reward and its new status.")]
        input: rewards::SetRewardStatusInput,
    ) -> FieldResult<rewards::RewardPayload> {
        rewards::set_reward_status(ctx, input).await
    }

    /// Residents: redeem a reward; the points are held until the merchant confirms the code.
    async fn redeem_reward(
        ctx: &Context,
        #[graphql(description = "The reward and an idempotency key.")]
        input: rewards::RedeemRewardInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::redeem(ctx, input).await
    }

    /// Operators: confirm the code shown at the counter.
    async fn confirm_redemption(
        ctx: &Context,
        #[graphql(description = "The merchant and the code shown at the counter.")]
        input: rewards::ConfirmRedemptionInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::confirm(ctx, input).await
    }

    /// Residents: cancel a pending redemption; points and stock come back.
    async fn cancel_redemption(
        ctx: &Context,
        #[graphql(description = "The pending redemption.")] input: rewards::CancelRedemptionInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::cancel(ctx, input).await
    }

    /// Residents: a fresh counter code for a pending redemption before it runs out, held for
    /// another 30 minutes; the points stay held and the stock taken.
    async fn renew_redemption(
        ctx: &Context,
        #[graphql(description = "The pending redemption.")] input: rewards::RenewRedemptionInput,
    ) -> FieldResult<rewards::RedemptionPayload> {
        rewards::renew(ctx, input).await
    }

    /// Residents: found a self-governance group (you become its convenor).
    async fn found_group(
        ctx: &Context,
        #[graphql(description = "The group's name, purpose, community and category.")]
        input: super::incubation::FoundGroupInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::found(ctx, input).await
    }

    /// Residents: ask to join a group.
    async fn request_to_join_group(
        ctx: &Context,
        #[graphql(description = "The group to join.")] input: super::incubation::GroupIdInput,
    ) -> FieldResult<super::incubation::GroupMembersPayload> {
        super::incubation::request_to_join(ctx, input).await
    }

    /// Convenors: approve a join request.
    async fn approve_group_member(
        ctx: &Context,
        #[graphql(description = "The group and the person who asked to join.")]
        input: super::incubation::ApproveGroupMemberInput,
    ) -> FieldResult<super::incubation::GroupMembersPayload> {
        super::incubation::approve_member(ctx, input).await
    }

    /// Staff: pair a group with a mentor organisation.
    async fn set_group_mentor(
        ctx: &Context,
        #[graphql(description = "The group and its mentor organisation.")]
        input: super::incubation::SetGroupMentorInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::set_mentor(ctx, input).await
    }

    /// Staff: advance (when every criterion is met), hold or dissolve a group.
    async fn decide_group_stage(
        ctx: &Context,
        #[graphql(description = "The group, the decision and a note.")]
        input: super::incubation::DecideGroupStageInput,
    ) -> FieldResult<super::incubation::GroupPayload> {
        super::incubation::decide(ctx, input).await
    }

    /// Residents: give points to a group's fund.
    async fn donate_to_group(
        ctx: &Context,
        #[graphql(description = "The group, the points and an idempotency key.")]
        input: super::incubation::DonateToGroupInput,
    ) -> FieldResult<super::ledger::TransferPayload> {
        super::incubation::donate(ctx, input).await
    }

    /// Convenors: reward a member from the group's fund.
    async fn reward_group_member(
        ctx: &Context,
        #[graphql(description = "The group, the member, the points and a reason.")]
        input: super::incubation::RewardGroupMemberInput,
    ) -> FieldResult<super::ledger::TransferPayload> {
        super::incubation::reward(ctx, input).await
    }

    /// Post a community need.
    async fn post_need(
        ctx: &Context,
        #[graphql(description = "The need's community, category and details.")]
        input: super::matching::PostNeedInput,
    ) -> FieldResult<super::matching::NeedPayload> {
        super::matching::post_need(ctx, input).await
    }

    /// Staff: propose a candidate for a need.
    async fn propose_match(
        ctx: &Context,
        #[graphql(description = "The need and the candidate.")]
        input: super::matching::ProposeMatchInput,
    ) -> FieldResult<super::matching::MatchPayload> {
        super::matching::propose(ctx, input).await
    }

    /// The offering side accepts or declines a match.
    async fn respond_to_match(
        ctx: &Context,
        #[graphql(description = "The match and the answer.")]
        input: super::matching::RespondToMatchInput,
    ) -> FieldResult<super::matching::MatchPayload> {
        super::matching::respond(ctx, input).await
    }

    /// Record that a match delivered, and for how many residents.
    async fn deliver_match(
        ctx: &Context,
        #[graphql(description = "The accepted match, its outcome and the residents served.")]
        input: super::matching::DeliverMatchInput,
    ) -> FieldResult<super::matching::NeedPayload> {
        super::matching::deliver(ctx, input).await
    }

    /// Graduated groups' convenors: register the group as a partner organisation.
    async fn register_group_as_organisation(
        ctx: &Context,
        #[graphql(description = "The graduated group and a contact.")]
        input: super::incubation::RegisterGroupInput,
    ) -> FieldResult<directory::OrganisationPayload> {
        super::incubation::register(ctx, input).await
    }

    /// The poster (or staff): withdraw a need not yet matched.
    async fn withdraw_need(
        ctx: &Context,
        #[graphql(description = "The need to withdraw.")] input: super::matching::NeedIdInput,
    ) -> FieldResult<super::matching::NeedPayload> {
        super::matching::need_step(ctx, input, super::matching::NeedTransition::Withdraw).await
    }

    /// The poster (or staff): close a delivered need.
    async fn close_need(
        ctx: &Context,
        #[graphql(description = "The delivered need to close.")]
        input: super::matching::NeedIdInput,
    ) -> FieldResult<super::matching::NeedPayload> {
        super::matching::need_step(ctx, input, super::matching::NeedTransition::Close).await
    }

    /// Staff: move points from issuance into a verified organisation's budget.
    async fn allocate_budget(
        ctx: &Context,
        #[graphql(description = "The organisation, the points, a reason and an idempotency key.")]
        input: ledger::AllocateBudgetInput,
    ) -> FieldResult<TransferPayload> {
        ledger::allocate_budget(ctx, input).await
    }

    /// Give points from your wallet to another resident.
    async fn donate_points(
        ctx: &Context,
        #[graphql(description = "The recipient, the points and an idempotency key.")]
        input: ledger::DonatePointsInput,
    ) -> FieldResult<TransferPayload> {
        ledger::donate_points(ctx, input).await
    }

    /// Staff: undo a transfer (once, while the receiving account still holds the points).
    async fn reverse_transfer(
        ctx: &Context,
        #[graphql(description = "The transfer, a reason and an idempotency key.")]
        input: ledger::ReverseTransferInput,
    ) -> FieldResult<TransferPayload> {
        ledger::reverse_transfer(ctx, input).await
    }

    /// Organisation members: open, change or close booking of one of your products (seats a
    /// day, bookings per resident a day, how far ahead).
    async fn set_booking_terms(
        ctx: &Context,
        #[graphql(description = "The product and its terms.")]
        input: super::booking::SetBookingTermsInput,
    ) -> FieldResult<super::booking::BookingTermsPayload> {
        super::booking::set_terms(ctx, input).await
    }

    /// Staff: close a review case, cleared (nothing wrong) or acted on (points reversed,
    /// accounts suspended), with a reason; audited.
    async fn close_review_case(
        ctx: &Context,
        #[graphql(description = "The case, the outcome and why.")]
        input: super::review::CloseReviewCaseInput,
    ) -> FieldResult<super::review::ReviewCasePayload> {
        super::review::close(ctx, input).await
    }

    /// Ask for a certificate of your verified service (志愿服务证明): all of it, a period, or
    /// one organisation's. Asking again for the same service returns the same certificate.
    async fn issue_certificate(
        ctx: &Context,
        #[graphql(description = "The period, the organisation and how to print your name.")]
        input: super::certificate::IssueCertificateInput,
    ) -> FieldResult<super::certificate::IssueCertificatePayload> {
        super::certificate::issue(ctx, input).await
    }

    /// Book a community service for a day: free ones are accepted at once, priced ones wait
    /// for the organisation; a points price is held from your wallet until it is delivered
    /// (or given back). Never overbooks.
    async fn book_product(
        ctx: &Context,
        #[graphql(description = "The product, the day, a note and an idempotency key.")]
        input: super::booking::BookProductInput,
    ) -> FieldResult<super::booking::BookingPayload> {
        super::booking::book(ctx, input).await
    }

    /// Cancel your booking before it is delivered: the seat and held points come back.
    async fn cancel_booking(
        ctx: &Context,
        #[graphql(description = "Your open booking.")] input: super::booking::BookingInput,
    ) -> FieldResult<super::booking::BookingPayload> {
        super::booking::cancel(ctx, input).await
    }

    /// Organisation members: accept a requested booking.
    async fn accept_booking(
        ctx: &Context,
        #[graphql(description = "A requested booking of your organisation.")]
        input: super::booking::BookingInput,
    ) -> FieldResult<super::booking::BookingPayload> {
        super::booking::decide(
            ctx,
            &input.booking_id,
            linli_domain::booking::Decision::Accept,
        )
        .await
    }

    /// Organisation members: decline an open booking with a reason; the seat and held points
    /// go back to the resident.
    async fn decline_booking(
        ctx: &Context,
        #[graphql(description = "An open booking of your organisation and why.")]
        input: super::booking::DeclineBookingInput,
    ) -> FieldResult<super::booking::BookingPayload> {
        let decision = linli_domain::booking::Decision::Decline {
            reason: input.reason,
        };
        super::booking::decide(ctx, &input.booking_id, decision).await
    }

    /// Organisation members: mark an accepted booking delivered; held points go to your
    /// organisation's budget.
    async fn mark_booking_delivered(
        ctx: &Context,
        #[graphql(description = "An accepted booking of your organisation.")]
        input: super::booking::BookingInput,
    ) -> FieldResult<super::booking::BookingPayload> {
        super::booking::decide(
            ctx,
            &input.booking_id,
            linli_domain::booking::Decision::Deliver,
        )
        .await
    }

    /// Staff: close a month that has ended into one settlement per merchant with captures in
    /// it; closing again changes nothing.
    async fn close_settlements(
        ctx: &Context,
        #[graphql(description = "The month to close.")]
        input: super::settlement::CloseSettlementsInput,
    ) -> FieldResult<super::settlement::CloseSettlementsPayload> {
        super::settlement::close(ctx, input).await
    }

    /// Staff: approve a closed settlement for payment (not one you closed, nor your own
    /// organisation's merchant's).
    async fn approve_settlement(
        ctx: &Context,
        #[graphql(description = "The closed settlement.")]
        input: super::settlement::ApproveSettlementInput,
    ) -> FieldResult<super::settlement::SettlementPayload> {
        super::settlement::approve(ctx, input).await
    }

    /// Staff: record that the centre paid an approved settlement, with the payment's
    /// reference.
    async fn mark_settlement_paid(
        ctx: &Context,
        #[graphql(description = "The approved settlement and the payment's reference.")]
        input: super::settlement::MarkSettlementPaidInput,
    ) -> FieldResult<super::settlement::SettlementPayload> {
        super::settlement::mark_paid(ctx, input).await
    }

    /// Staff: approve or decline another staff member's movement of points (never your own).
    async fn decide_approval_request(
        ctx: &Context,
        #[graphql(description = "The pending request and the decision.")]
        input: ledger::DecideApprovalRequestInput,
    ) -> FieldResult<ledger::ApprovalRequestPayload> {
        ledger::decide_approval_request(ctx, input).await
    }

    /// Staff: approve a group-run activity's points per hour above the district's rule.
    async fn approve_activity_rate(
        ctx: &Context,
        #[graphql(description = "The group-run activity whose rate to approve.")]
        input: volunteering::ActivityIdInput,
    ) -> FieldResult<volunteering::ActivityPayload> {
        volunteering::approve_rate(ctx, input).await
    }

    /// Staff: correct an account's balance, with a reason.
    async fn adjust_balance(
        ctx: &Context,
        #[graphql(
            description = "The account, the signed change, a reason and an idempotency key."
        )]
        input: ledger::AdjustBalanceInput,
    ) -> FieldResult<TransferPayload> {
        ledger::adjust_balance(ctx, input).await
    }
}
