//! Community needs, matching them with products, organisations and groups.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::matching::{self, NewNeed};
use linli_domain::types::{IdempotencyKey, MatchId, NeedId};

use super::catalogue::Product;
use super::directory::{Community, Organisation};
use super::identity::User;
use super::incubation::Group;
use super::relay::{GlobalId, Kind, NodeValue, connection, page_request, payload};
use super::{Context, int, mirror_enum};

mirror_enum!(
    /// How urgent a need is, as its poster judges it.
    Urgency = linli_domain::matching::Urgency {
        /// Not pressing.
        Low,
        /// Wanted soon.
        Medium,
        /// Wanted as soon as possible.
        High,
    }
);
mirror_enum!(
    /// Where a need is: open → matching → matched → delivered → closed, or withdrawn.
    NeedStatus = linli_domain::matching::NeedStatus {
        /// Posted; no match proposed yet.
        Open,
        /// Staff proposed a match; waiting for the offering side to accept.
        Matching,
        /// The offering side accepted a match.
        Matched,
        /// A match delivered, with its outcome recorded.
        Delivered,
        /// Closed by the poster or staff after delivery.
        Closed,
        /// Withdrawn by the poster or staff before it was matched.
        Withdrawn
    }
);
mirror_enum!(
    /// What kind of offer can meet a need.
    CandidateKind = linli_domain::matching::CandidateKind {
        /// A published social-innovation product.
        Product,
        /// A verified partner organisation.
        Organisation,
        /// A self-governance group.
        Group
    }
);
mirror_enum!(
    /// Where a proposed match stands.
    MatchStatus = linli_domain::matching::MatchStatus {
        /// Staff proposed it; waiting for the offering side's answer.
        Proposed,
        /// The offering side accepted it.
        Accepted,
        /// The offering side declined it.
        Declined,
        /// It delivered; the outcome is on the need.
        Delivered
    }
);

connection!(
    /// A page of the matches proposed for a need, oldest first.
    MatchConnection,
    /// A match in a page, with its cursor.
    MatchEdge,
    Match,
    |m| m.0.id.to_string()
);
/// How to order a list of needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum NeedOrder {
    /// Soonest wanted-by date first (the default).
    WantedBy,
    /// The matching board's order: needs past their SLA (`slaDueAt`) without a match first,
    /// then the soonest `slaDueAt`.
    UrgentFirst,
}

impl From<NeedOrder> for matching::NeedOrder {
    fn from(order: NeedOrder) -> Self {
        match order {
            NeedOrder::WantedBy => Self::WantedBy,
            NeedOrder::UrgentFirst => Self::UrgentFirst,
        }
    }
}

/// The app's page of a need on the staff's matching board, linked from the escalation email.
pub fn staff_need_path(id: &NeedId) -> String {
    format!("/staff/needs/{}", Need::global_id(id.as_str()))
}

connection!(
    /// A page of community needs, in the order asked (soonest wanted first by default).
    NeedConnection,
    /// A need in a page, with its cursor.
    NeedEdge,
    Need,
    |n| n.0.id.to_string()
);

#[derive(Debug, Clone)]
pub struct Need(pub matching::Need);

/// A community's request for a resource (需求), for staff to match with products, organisations or
/// groups.
#[graphql_object(context = Context, impl = NodeValue)]
impl Need {
    /// Opaque global id.
    fn id(&self) -> ID {
        Need::global_id(self.0.id.as_str())
    }
    /// A short title for the need.
    fn title(&self) -> &str {
        &self.0.title
    }
    /// What is needed, in the poster's words.
    fn description(&self) -> &str {
        &self.0.description
    }
    /// What kind of help is needed.
    async fn category(&self, ctx: &Context) -> FieldResult<super::catalogue::Category> {
        super::catalogue::category(ctx, self.0.category_id.clone()).await
    }
    /// How urgent it is.
    fn urgency(&self) -> Urgency {
        self.0.urgency.into()
    }
    /// When it is wanted by.
    fn wanted_by(&self) -> DateTime<Utc> {
        self.0.wanted_by.and_utc()
    }
    /// Where it is, from open to closed.
    fn status(&self) -> NeedStatus {
        self.0.status.into()
    }
    /// Past its wanted-by date without a match.
    fn overdue(&self, ctx: &Context) -> bool {
        self.0.overdue(ctx.shared.services.clock.now())
    }
    /// What the delivered match achieved; null until delivered.
    fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    /// How many residents the delivered match served; null until delivered.
    fn residents_served(&self) -> Option<i32> {
        self.0.residents_served
    }
    /// The community the need is for.
    async fn community(&self, ctx: &Context) -> FieldResult<Community> {
        super::directory::community_by_id(ctx, self.0.community_id.clone()).await
    }
    /// When it was posted.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
    /// When it should have a match by: posted plus the SLA of its urgency (fixed when posted).
    /// Past it without a match, the need is escalated to a staff member.
    fn sla_due_at(&self) -> DateTime<Utc> {
        self.0.sla_due_at.and_utc()
    }
    /// When it was escalated for passing its SLA without a match; null if it was not.
    fn escalated_at(&self) -> Option<DateTime<Utc>> {
        self.0.escalated_at.map(|t| t.and_utc())
    }
    /// Staff (FORBIDDEN to others): who posted it.
    async fn posted_by(&self, ctx: &Context) -> FieldResult<Option<User>> {
        let need = self.0.clone();
        let result = ctx
            .run(move |s, actor| s.matching().posted_by(actor, &need))
            .await;
        user(ctx, Some(ctx.answer(result)?)).await
    }
    /// Staff (FORBIDDEN to others): the staff member it was escalated to; null if it was not.
    async fn escalated_to(&self, ctx: &Context) -> FieldResult<Option<User>> {
        let need = self.0.clone();
        let result = ctx
            .run(move |s, actor| s.matching().escalated_to(actor, &need))
            .await;
        user(ctx, ctx.answer(result)?).await
    }
    /// Staff (FORBIDDEN to others): every step so far, oldest first, with who took it and when.
    async fn steps(&self, ctx: &Context) -> FieldResult<Vec<NeedStep>> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.matching().steps(actor, &id))
            .await;
        Ok(ctx
            .answer(result)?
            .into_iter()
            .map(|step| NeedStep {
                action: step.action.as_str(),
                label: step.action.label_zh(),
                actor: step.actor,
                at: step.at.and_utc(),
                note: step.note,
            })
            .collect())
    }

    /// The matches staff proposed for it, oldest first.
    async fn matches(
        &self,
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
    ) -> FieldResult<MatchConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx.run(move |s, _| s.matching().matches(&id, &page)).await;
        ctx.answer(result)
            .map(|p| MatchConnection::from_page(p, Match::from))
    }
}

/// A person named on a need or a match, through the request's loader; null if the caller
/// may not see them.
async fn user(ctx: &Context, id: Option<linli_domain::types::UserId>) -> FieldResult<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    super::loaders::load(ctx, &ctx.loaders.users, id)
        .await
        .map(|u| u.map(User))
}

/// One step of a need's way.
#[derive(Debug, Clone)]
pub struct NeedStep {
    action: &'static str,
    label: &'static str,
    actor: Option<linli_domain::types::UserId>,
    at: DateTime<Utc>,
    note: Option<String>,
}

/// One step of a need's way, with who took it and when (staff only).
#[graphql_object(context = Context)]
impl NeedStep {
    /// What happened: `POSTED`, `PROPOSED`, `ACCEPTED`, `DECLINED`, `DELIVERED`, `CLOSED`,
    /// `WITHDRAWN` or `ESCALATED`.
    fn action(&self) -> &str {
        self.action
    }
    /// The step in Chinese, e.g. 提出对接.
    fn label(&self) -> &str {
        self.label
    }
    /// Who took it; null for what Linli did itself (an escalation).
    async fn actor(&self, ctx: &Context) -> FieldResult<Option<User>> {
        user(ctx, self.actor.clone()).await
    }
    /// When.
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// What was proposed, answered or delivered, or to whom it was escalated; null if nothing.
    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

#[derive(Debug, Clone)]
pub struct Match(pub matching::MatchCase);

impl From<matching::MatchCase> for Match {
    fn from(m: matching::MatchCase) -> Self {
        Self(m)
    }
}

/// A candidate staff proposed for a need, and how the case went.
#[graphql_object(context = Context, impl = NodeValue)]
impl Match {
    /// Opaque global id.
    fn id(&self) -> ID {
        Match::global_id(self.0.id.as_str())
    }
    /// What kind of candidate it is.
    fn kind(&self) -> CandidateKind {
        self.0.kind.into()
    }
    /// The candidate's global id (a Product, Organisation or Group).
    fn candidate_id(&self) -> ID {
        candidate_global_id(self.0.kind, &self.0.candidate_id)
    }
    /// The candidate's name: the product's title, or the organisation's or group's name.
    async fn candidate_name(&self, ctx: &Context) -> FieldResult<String> {
        let key = (self.0.kind, self.0.candidate_id.clone());
        super::loaders::load_one(ctx, &ctx.loaders.candidate_names, key, "对接对象").await
    }
    /// The candidate's score when it was proposed (higher fits better).
    fn score(&self) -> i32 {
        int(self.0.score)
    }
    /// Why it fits, in words, separated by ；.
    fn reasons(&self) -> &str {
        &self.0.reasons
    }
    /// Where the match stands.
    fn status(&self) -> MatchStatus {
        self.0.status.into()
    }
    /// When staff proposed it.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }
    /// Staff (FORBIDDEN to others): the staff member who proposed it.
    async fn proposed_by(&self, ctx: &Context) -> FieldResult<Option<User>> {
        let case = self.0.clone();
        let result = ctx
            .run(move |s, actor| s.matching().proposed_by(actor, &case))
            .await;
        user(ctx, Some(ctx.answer(result)?)).await
    }
    /// When the offering side accepted or declined it; null until then.
    fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at.map(|t| t.and_utc())
    }
    /// Staff (FORBIDDEN to others): who on the offering side accepted or declined it.
    async fn responded_by(&self, ctx: &Context) -> FieldResult<Option<User>> {
        let case = self.0.clone();
        let result = ctx
            .run(move |s, actor| s.matching().responded_by(actor, &case))
            .await;
        user(ctx, ctx.answer(result)?).await
    }
    /// When its delivery was recorded; null until then.
    fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at.map(|t| t.and_utc())
    }
}

/// The node type a kind of candidate is.
fn candidate_type(kind: matching::CandidateKind) -> &'static str {
    match kind {
        matching::CandidateKind::Product => Product::KIND,
        matching::CandidateKind::Organisation => Organisation::KIND,
        matching::CandidateKind::Group => Group::KIND,
    }
}

fn candidate_global_id(kind: matching::CandidateKind, id: &str) -> ID {
    GlobalId::encode(candidate_type(kind), id)
}

/// A possible answer to a need, scored transparently.
#[derive(Debug, GraphQLObject)]
pub struct MatchCandidate {
    /// What kind of candidate it is.
    pub kind: CandidateKind,
    /// The candidate's global id (a Product, Organisation or Group).
    pub id: ID,
    /// The product's title, or the organisation's or group's name.
    pub name: String,
    /// How well it fits, from category, shared words, communities served, recent activity and past
    /// deliveries (higher is better).
    pub score: i32,
    /// Why, in words: category fit, community served, shared keywords, activity, record.
    pub reasons: Vec<String>,
}

/// Which needs to list; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct NeedFilterInput {
    /// Only needs of this community.
    pub community_id: Option<ID>,
    /// Only needs in this status.
    pub status: Option<NeedStatus>,
    /// True keeps only needs past their wanted-by date without a match.
    pub overdue: Option<bool>,
}

pub async fn needs(
    ctx: &Context,
    filter: Option<NeedFilterInput>,
    order: Option<NeedOrder>,
    page: linli_domain::page::PageRequest,
) -> FieldResult<NeedConnection> {
    let NeedFilterInput {
        community_id,
        status,
        overdue,
    } = filter.unwrap_or_default();
    let filter = matching::NeedFilter {
        community: ctx.answer(Community::decode_optional(
            community_id.as_ref(),
            "communityId",
        ))?,
        status: status.map(Into::into),
        overdue_only: overdue.unwrap_or(false),
    };
    let order = order.map_or(matching::NeedOrder::WantedBy, Into::into);
    let result = ctx
        .run(move |s, _| s.matching().needs(&filter, order, &page))
        .await;
    ctx.answer(result)
        .map(|p| NeedConnection::from_page(p, Need))
}

pub async fn need(ctx: &Context, id: NeedId) -> FieldResult<Need> {
    let result = ctx.run(move |s, _| s.matching().need(&id)).await;
    ctx.answer(result).map(Need)
}

pub async fn match_case(ctx: &Context, id: MatchId) -> FieldResult<Match> {
    let result = ctx.run(move |s, _| s.matching().match_case(&id)).await;
    ctx.answer(result).map(Match::from)
}

fn need_id(id: &ID) -> Result<NeedId, DomainError> {
    Need::decode(id, "needId")
}

pub async fn candidates(ctx: &Context, need: ID) -> FieldResult<Vec<MatchCandidate>> {
    let id = ctx.answer(need_id(&need))?;
    let result = ctx
        .run(move |s, actor| s.matching().candidates(actor, &id))
        .await;
    ctx.answer(result).map(|l| {
        l.into_iter()
            .map(|c| MatchCandidate {
                kind: c.kind.into(),
                id: candidate_global_id(c.kind, &c.id),
                name: c.name,
                score: int(c.score),
                reasons: c.reasons,
            })
            .collect()
    })
}

payload!(
    /// What a mutation on a need returns.
    NeedPayload {
        /// The need after the change; null when the request was refused.
        need: Option<Need>,
    }
    from matching::Need => Need
);

/// A community need to post.
#[derive(Debug, GraphQLInputObject)]
pub struct PostNeedInput {
    /// The community the need is for.
    pub community_id: ID,
    /// The need's category (its id or slug).
    pub category_id: ID,
    /// A short title.
    pub title: String,
    /// What is needed.
    pub description: String,
    /// How urgent it is.
    pub urgency: Urgency,
    /// When it is wanted by.
    pub wanted_by: DateTime<Utc>,
    /// When a group's convenor posts for the group.
    pub group_id: Option<ID>,
    /// Optional: the same key sent again returns the object the first request made, instead
    /// of making a second one (8–100 letters, digits or `- _ . :`).
    pub idempotency_key: Option<String>,
}

pub async fn post_need(ctx: &Context, input: PostNeedInput) -> FieldResult<NeedPayload> {
    let decoded = (|| {
        let need = NewNeed {
            community_id: Community::decode(&input.community_id, "communityId")?,
            category_id: super::catalogue::category_slug(&input.category_id),
            title: input.title.clone(),
            description: input.description.clone(),
            urgency: input.urgency.into(),
            wanted_by: input.wanted_by.naive_utc(),
            group_id: input
                .group_id
                .as_ref()
                .map(|g| Group::decode(g, "groupId"))
                .transpose()?,
        };
        let key = input
            .idempotency_key
            .as_deref()
            .map(IdempotencyKey::parse)
            .transpose()?;
        Ok((need, key))
    })();
    ctx.mutate(decoded, |s, actor, (new, key)| {
        s.matching().post_need(actor, new, key.as_ref())
    })
    .await
}

/// Names a need.
#[derive(Debug, GraphQLInputObject)]
pub struct NeedIdInput {
    /// The need's id.
    pub need_id: ID,
}

/// What the poster or staff do with a need.
#[derive(Clone, Copy)]
pub enum NeedTransition {
    Withdraw,
    Close,
}

pub async fn need_step(
    ctx: &Context,
    input: NeedIdInput,
    step: NeedTransition,
) -> FieldResult<NeedPayload> {
    ctx.mutate(need_id(&input.need_id), move |s, actor, id| match step {
        NeedTransition::Withdraw => s.matching().withdraw(actor, &id),
        NeedTransition::Close => s.matching().close(actor, &id),
    })
    .await
}

payload!(
    /// What proposing or answering a match returns.
    MatchPayload {
        /// The match after the change; null when the request was refused.
        r#match: Option<Match>,
    }
    from matching::MatchCase => Match::from
);

/// A candidate to propose for a need.
#[derive(Debug, GraphQLInputObject)]
pub struct ProposeMatchInput {
    /// The need to meet.
    pub need_id: ID,
    /// A Product, Organisation or Group global id (as `matchCandidates` returns).
    pub candidate_id: ID,
}

pub async fn propose(ctx: &Context, input: ProposeMatchInput) -> FieldResult<MatchPayload> {
    let decoded = need_id(&input.need_id).and_then(|n| {
        let global = GlobalId::decode(&input.candidate_id)
            .ok_or_else(|| DomainError::invalid("candidateId", "编号不正确"))?;
        let kind = matching::CandidateKind::ALL
            .iter()
            .find(|kind| candidate_type(**kind) == global.kind)
            .ok_or_else(|| DomainError::invalid("candidateId", "只能对接产品、组织或自治组织"))?;
        Ok((n, *kind, global.id))
    });
    ctx.mutate(decoded, |s, actor, (n, kind, candidate)| {
        s.matching().propose(actor, &n, kind, &candidate)
    })
    .await
}

/// The offering side's answer to a proposed match.
#[derive(Debug, GraphQLInputObject)]
pub struct RespondToMatchInput {
    /// The proposed match.
    pub match_id: ID,
    /// True accepts it; false declines it.
    pub accept: bool,
}

fn match_id(id: &ID) -> Result<MatchId, DomainError> {
    Match::decode(id, "matchId")
}

pub async fn respond(ctx: &Context, input: RespondToMatchInput) -> FieldResult<MatchPayload> {
    ctx.mutate(match_id(&input.match_id), move |s, actor, id| {
        s.matching().respond(actor, &id, input.accept)
    })
    .await
}

/// What an accepted match delivered.
#[derive(Debug, GraphQLInputObject)]
pub struct DeliverMatchInput {
    /// The accepted match.
    pub match_id: ID,
    /// How many residents it served.
    pub residents_served: i32,
    /// What it achieved, in words.
    pub outcome: String,
}

pub async fn deliver(ctx: &Context, input: DeliverMatchInput) -> FieldResult<NeedPayload> {
    ctx.mutate(match_id(&input.match_id), move |s, actor, id| {
        s.matching()
            .deliver(actor, &id, input.residents_served, &input.outcome)
    })
    .await
}
