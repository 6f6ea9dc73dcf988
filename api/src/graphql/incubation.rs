//! Self-governance groups, incubation, needs, matching and the impact view.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::incubation::{self as domain, Decision, NewGroup};
use linli_domain::matching::{self, NewNeed, impact::Dimension};
use linli_domain::types::{
    CommunityId, GroupId, IdempotencyKey, MatchId, NeedId, OrganisationId, UserId,
};

use super::directory::{Community, Organisation};
use super::ledger::{Account, TransferPayload};
use super::relay::{GlobalId, NodeValue, connection, kinds, page_request, payload};
use super::{Context, Points, int, mirror_enum};
use linli_domain::ledger::Movement;

mirror_enum!(
    /// A group's incubation stage: 意向 proposed → 培育 incubating → 成长 growing → 成熟 graduated, or 解散
    /// dissolved.
    GroupStage = linli_domain::incubation::Stage {
        /// Just founded (意向); it needs 3 active members and a mentor organisation to advance.
        Proposed,
        /// Being incubated (培育); it needs 5 members and 30 days since founding to advance.
        Incubating,
        /// Growing (成长): it runs activities of its own; it needs 8 members, 2 completed group
        /// activities, 10 verified service hours in them and 90 days to advance.
        Growing,
        /// Mature (成熟): it runs itself, runs activities and may register as a partner organisation.
        Graduated,
        /// Dissolved (解散): its fund neither receives nor pays points.
        Dissolved,
    }
);
mirror_enum!(
    /// A person's role in a self-governance group.
    GroupRole = linli_domain::incubation::GroupRole {
        /// The group's convenor: approves members, runs its activities and rewards members from its
        /// fund.
        Convenor,
        /// A member of the group.
        Member,
    }
);
mirror_enum!(
    /// Whether a person is in a group yet.
    MembershipStatus = linli_domain::incubation::MembershipStatus {
        /// Asked to join; waiting for the convenor's approval.
        Requested,
        /// A member of the group.
        Active,
    }
);
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
mirror_enum!(
    /// What the impact figures are grouped by.
    ImpactDimension = linli_domain::matching::impact::Dimension {
        /// One row per community: of the activity, the merchant or the need, or the communities a
        /// product serves.
        Community,
        /// One row per category: of the activity, the merchant, the product or the need.
        Category,
        /// One row per partner organisation: organising the activity, running the merchant or
        /// offering the product (needs are not counted).
        Organisation
    }
);

/// A staff decision on a group's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum GroupDecision {
    /// Move it to the next stage (only when every criterion of its stage is met).
    Advance,
    /// Keep it at its stage.
    Hold,
    /// Dissolve it; its fund then neither receives nor pays points.
    Dissolve,
}

fn group_id(id: &ID) -> Result<GroupId, DomainError> {
    GlobalId::expect(id, kinds::GROUP, "groupId", GroupId::parse)
}

#[derive(Debug, Clone)]
pub struct Group(pub domain::Group);

/// One criterion a group must meet to leave its stage, measured from Linli's data.
#[derive(Debug, GraphQLObject)]
pub struct Criterion {
    /// What is measured, in Chinese, e.g. 成员人数.
    pub name: String,
    /// The figure needed.
    pub required: i32,
    /// The group's figure now.
    pub actual: i32,
    /// Whether `actual` reaches `required`.
    pub met: bool,
}

/// One step on a group's public timeline.
#[derive(Debug, Clone, GraphQLObject)]
pub struct GroupEvent {
    /// The event's id, for paging (events are not refetched on their own).
    #[graphql(ignore)]
    pub key: String,
    /// What happened: `FOUNDED`, `MENTOR`, `ADVANCED`, `HOLD`, `DISSOLVED` or `REGISTERED`.
    pub kind: String,
    /// The group's stage before the step; null for its founding.
    pub from_stage: Option<GroupStage>,
    /// The group's stage after the step (the same as `fromStage` when it did not change).
    pub to_stage: Option<GroupStage>,
    /// Why, or what happened, in words.
    pub note: String,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// A person in a self-governance group, or asking to join it.
#[derive(Debug, Clone, GraphQLObject)]
pub struct GroupMember {
    /// The person's user id.
    pub user_id: ID,
    /// The person's display name.
    pub display_name: String,
    /// The person's role in the group.
    pub role: GroupRole,
    /// Whether they are a member yet or have only asked to join.
    pub status: MembershipStatus,
}

/// A self-governance group (居民自治组织): residents' own group, incubated by the centre until it runs
/// itself.
#[graphql_object(context = Context, impl = NodeValue)]
impl Group {
    /// Opaque global id.
    fn id(&self) -> ID {
        GlobalId::encode(kinds::GROUP, self.0.id.as_str())
    }

    /// The group's name, e.g. 遛弯公社.
    fn name(&self) -> &str {
        &self.0.name
    }

    /// What the group is for, in its founders' words.
    fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// The group's field of work.
    async fn category(&self, ctx: &Context) -> FieldResult<super::catalogue::Category> {
        super::catalogue::category(ctx, self.0.category_id.clone()).await
    }

    /// Where the group is in incubation.
    fn stage(&self) -> GroupStage {
        self.0.stage.into()
    }

    /// The stage in Chinese, e.g. 培育.
    fn stage_label(&self) -> &str {
        self.0.stage.label_zh()
    }

    /// The community the group belongs to.
    async fn community(&self, ctx: &Context) -> FieldResult<Community> {
        let id = self.0.community_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
            .await
            .map(Community)
    }

    /// The verified organisation staff paired it with; null until then.
    async fn mentor(&self, ctx: &Context) -> FieldResult<Option<Organisation>> {
        let Some(id) = self.0.mentor_organisation_id.clone() else {
            return Ok(None);
        };
        super::loaders::load(ctx, &ctx.loaders.organisations, id)
            .await
            .map(|o| o.map(Organisation))
    }

    /// The partner organisation it registered as, after graduating.
    async fn organisation(&self, ctx: &Context) -> FieldResult<Option<Organisation>> {
        let Some(id) = self.0.organisation_id.clone() else {
            return Ok(None);
        };
        super::loaders::load(ctx, &ctx.loaders.organisations, id)
            .await
            .map(|o| o.map(Organisation))
    }

    /// The gate to the next stage, measured from Linli's data.
    async fn criteria(&self, ctx: &Context) -> FieldResult<Vec<Criterion>> {
        let id = self.0.id.clone();
        let result = ctx.run(move |s, _| s.incubation().criteria(&id)).await;
        ctx.answer(result).map(|list| {
            list.into_iter()
                .map(|c| Criterion {
                    name: c.name.to_owned(),
                    required: int(c.required),
                    actual: int(c.actual),
                    met: c.met,
                })
                .collect()
        })
    }

    /// Every step of the group's way, public.
    async fn timeline(
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
    ) -> FieldResult<GroupEventConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, _| s.incubation().timeline(&id, &page))
            .await;
        ctx.answer(result).map(|p| {
            GroupEventConnection::from_page(p, |e| GroupEvent {
                key: e.id,
                kind: e.kind,
                from_stage: e.from_stage.map(Into::into),
                to_stage: e.to_stage.map(Into::into),
                note: e.note,
                created_at: e.created_at.and_utc(),
            })
        })
    }

    /// Members and join requests: for members and staff.
    async fn members(
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
    ) -> FieldResult<GroupMemberConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.incubation().members(actor, &id, &page))
            .await;
        ctx.answer(result)
            .map(|p| GroupMemberConnection::from_page(p, member))
    }

    /// The group's points fund.
    async fn fund(&self, ctx: &Context) -> FieldResult<Account> {
        let key = (
            linli_domain::ledger::AccountKind::GroupFund,
            self.0.id.to_string(),
        );
        super::loaders::load_one(ctx, &ctx.loaders.accounts, key, "账户")
            .await
            .map(Account)
    }
}

fn member(m: domain::GroupMember) -> GroupMember {
    GroupMember {
        user_id: GlobalId::encode(kinds::USER, m.user_id.as_str()),
        display_name: m.display_name,
        role: m.role.into(),
        status: m.status.into(),
    }
}

pub async fn group(ctx: &Context, id: GroupId) -> FieldResult<Group> {
    let result = ctx.run(move |s, _| s.incubation().group(&id)).await;
    ctx.answer(result).map(Group)
}

pub async fn groups(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<GroupConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx.run(move |s, _| s.incubation().groups(&page)).await;
    ctx.answer(result)
        .map(|p| GroupConnection::from_page(p, Group))
}

connection!(
    /// A page of self-governance groups, by name.
    GroupConnection,
    /// A group in a page, with its cursor.
    GroupEdge,
    Group,
    |g| g.0.id.to_string()
);
connection!(
    /// A page of a group's members and join requests, in the order they joined.
    GroupMemberConnection,
    /// A group member in a page, with its cursor.
    GroupMemberEdge,
    GroupMember,
    |m| {
        super::relay::global_raw(&m.user_id)
    }
);
connection!(
    /// A page of a group's timeline, oldest first.
    GroupEventConnection,
    /// A timeline step in a page, with its cursor.
    GroupEventEdge,
    GroupEvent,
    |e| e.key.clone()
);
connection!(
    /// A page of the matches proposed for a need, oldest first.
    MatchConnection,
    /// A match in a page, with its cursor.
    MatchEdge,
    Match,
    |m| super::relay::global_raw(&m.id)
);
connection!(
    /// A page of community needs, soonest wanted first.
    NeedConnection,
    /// A need in a page, with its cursor.
    NeedEdge,
    Need,
    |n| n.0.id.to_string()
);

payload!(
    /// What a mutation on a group returns.
    GroupPayload {
        /// The group after the change; null when the request was refused.
        group: Option<Group>,
    }
    from domain::Group => Group
);

/// A self-governance group to found; you become its convenor.
#[derive(Debug, GraphQLInputObject)]
pub struct FoundGroupInput {
    /// The group's name (2–40 characters).
    pub name: String,
    /// What the group is for.
    pub purpose: String,
    /// The community the group belongs to.
    pub community_id: ID,
    /// The group's category (its id or slug).
    pub category_id: ID,
}

pub async fn found(ctx: &Context, input: FoundGroupInput) -> FieldResult<GroupPayload> {
    let decoded = GlobalId::expect(
        &input.community_id,
        kinds::COMMUNITY,
        "communityId",
        |raw| Some(raw.to_owned()),
    )
    .map(|community_id| NewGroup {
        name: input.name,
        purpose: input.purpose,
        community_id,
        category_id: super::catalogue::category_slug(&input.category_id),
    });
    ctx.mutate(decoded, |s, actor, new| s.incubation().found(actor, new))
        .await
}

payload!(
    /// What asking to join a group or approving a member returns.
    GroupMembersPayload {
        /// The group's members and join requests after the change; null when the request was refused.
        members: Option<Vec<GroupMember>>,
    }
    from Vec<domain::GroupMember> => with |_, members| {
        Ok((members.map(|l| l.into_iter().map(member).collect()),))
    }
);

/// Names a self-governance group.
#[derive(Debug, GraphQLInputObject)]
pub struct GroupIdInput {
    /// The group's id.
    pub group_id: ID,
}

pub async fn request_to_join(
    ctx: &Context,
    input: GroupIdInput,
) -> FieldResult<GroupMembersPayload> {
    ctx.mutate(group_id(&input.group_id), |s, actor, id| {
        s.incubation().request_to_join(actor, &id)
    })
    .await
}

/// A join request for the convenor to approve.
#[derive(Debug, GraphQLInputObject)]
pub struct ApproveGroupMemberInput {
    /// Your group.
    pub group_id: ID,
    /// The person who asked to join (`GroupMember.userId`).
    pub user_id: ID,
}

pub async fn approve_member(
    ctx: &Context,
    input: ApproveGroupMemberInput,
) -> FieldResult<GroupMembersPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(&input.user_id, kinds::USER, "userId", UserId::parse)?,
        ))
    });
    ctx.mutate(decoded, |s, actor, (g, u)| {
        s.incubation().approve_member(actor, &g, &u)
    })
    .await
}

/// A mentor organisation for a group.
#[derive(Debug, GraphQLInputObject)]
pub struct SetGroupMentorInput {
    /// The group to pair.
    pub group_id: ID,
    /// The verified organisation that mentors it.
    pub organisation_id: ID,
}

pub async fn set_mentor(ctx: &Context, input: SetGroupMentorInput) -> FieldResult<GroupPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(
                &input.organisation_id,
                kinds::ORGANISATION,
                "organisationId",
                OrganisationId::parse,
            )?,
        ))
    });
    ctx.mutate(decoded, |s, actor, (g, o)| {
        s.incubation().set_mentor(actor, &g, &o)
    })
    .await
}

/// A staff decision on a group's stage.
#[derive(Debug, GraphQLInputObject)]
pub struct DecideGroupStageInput {
    /// The group decided on.
    pub group_id: ID,
    /// Whether to advance, hold or dissolve it.
    pub decision: GroupDecision,
    /// Why; shown on the group's public timeline.
    pub note: String,
}

pub async fn decide(ctx: &Context, input: DecideGroupStageInput) -> FieldResult<GroupPayload> {
    let decision = match input.decision {
        GroupDecision::Advance => Decision::Advance,
        GroupDecision::Hold => Decision::Hold,
        GroupDecision::Dissolve => Decision::Dissolve,
    };
    ctx.mutate(group_id(&input.group_id), move |s, actor, id| {
        s.incubation().decide(actor, &id, decision, &input.note)
    })
    .await
}

/// A graduated group to register as a partner organisation.
#[derive(Debug, GraphQLInputObject)]
pub struct RegisterGroupInput {
    /// The graduated group (you must be its convenor).
    pub group_id: ID,
    /// A phone number or address the centre can reach the new organisation at.
    pub contact: String,
}

pub async fn register(
    ctx: &Context,
    input: RegisterGroupInput,
) -> FieldResult<super::directory::OrganisationPayload> {
    ctx.mutate(group_id(&input.group_id), move |s, actor, id| {
        s.incubation()
            .register_as_organisation(actor, &id, &input.contact)
    })
    .await
}

/// Points to give from your wallet to a group's fund.
#[derive(Debug, GraphQLInputObject)]
pub struct DonateToGroupInput {
    /// The group whose fund receives them.
    pub group_id: ID,
    /// Points to give.
    pub amount: Points,
    /// An optional note, recorded with the transfer.
    pub reason: Option<String>,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn donate(ctx: &Context, input: DonateToGroupInput) -> FieldResult<TransferPayload> {
    let decoded = group_id(&input.group_id)
        .and_then(|g| Ok((g, IdempotencyKey::parse(&input.idempotency_key)?)));
    ctx.mutate(decoded, move |s, actor, (g, key)| {
        s.ledger()
            .donate_to_group(
                actor,
                &g,
                input.amount.0,
                input.reason.as_deref().unwrap_or(""),
                &key,
            )
            .map(Movement::Posted)
    })
    .await
}

/// Points the convenor pays a member from the group's fund.
#[derive(Debug, GraphQLInputObject)]
pub struct RewardGroupMemberInput {
    /// Your group.
    pub group_id: ID,
    /// The active member to reward (never yourself).
    pub user_id: ID,
    /// Points to pay.
    pub amount: Points,
    /// Why, recorded with the transfer.
    pub reason: String,
    /// Chosen by the client, unique per request (8–100 characters of `A-Z a-z 0-9 - _ . :`); a
    /// retry with the same key is safe.
    pub idempotency_key: String,
}

pub async fn reward(ctx: &Context, input: RewardGroupMemberInput) -> FieldResult<TransferPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(&input.user_id, kinds::USER, "userId", UserId::parse)?,
            IdempotencyKey::parse(&input.idempotency_key)?,
        ))
    });
    ctx.mutate(decoded, move |s, actor, (g, u, key)| {
        s.ledger()
            .reward_from_group(actor, &g, &u, input.amount.0, &input.reason, &key)
            .map(Movement::Posted)
    })
    .await
}

#[derive(Debug, Clone)]
pub struct Need(pub matching::Need);

/// A community's request for a resource (需求), for staff to match with products, organisations or
/// groups.
#[graphql_object(context = Context, impl = NodeValue)]
impl Need {
    /// Opaque global id.
    fn id(&self) -> ID {
        GlobalId::encode(kinds::NEED, self.0.id.as_str())
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
        let id = self.0.community_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
            .await
            .map(Community)
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

/// A candidate staff proposed for a need, and how the case went.
#[derive(Debug, Clone, GraphQLObject)]
#[graphql(context = Context, impl = NodeValue)]
pub struct Match {
    /// Opaque global id.
    pub id: ID,
    /// What kind of candidate it is.
    pub kind: CandidateKind,
    /// The candidate's global id (a Product, Organisation or Group).
    pub candidate_id: ID,
    /// The candidate's score when it was proposed (higher fits better).
    pub score: i32,
    /// Why it fits, in words, separated by ；.
    pub reasons: String,
    /// Where the match stands.
    pub status: MatchStatus,
}

impl From<matching::MatchCase> for Match {
    fn from(m: matching::MatchCase) -> Self {
        Self {
            id: GlobalId::encode(kinds::MATCH, m.id.as_str()),
            kind: m.kind.into(),
            candidate_id: candidate_global_id(m.kind, &m.candidate_id),
            score: int(m.score),
            reasons: m.reasons,
            status: m.status.into(),
        }
    }
}

fn candidate_global_id(kind: matching::CandidateKind, id: &str) -> ID {
    let type_name = match kind {
        matching::CandidateKind::Product => "Product",
        matching::CandidateKind::Organisation => "Organisation",
        matching::CandidateKind::Group => "Group",
    };
    GlobalId::encode(type_name, id)
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
    page: linli_domain::page::PageRequest,
) -> FieldResult<NeedConnection> {
    let NeedFilterInput {
        community_id,
        status,
        overdue,
    } = filter.unwrap_or_default();
    let community = ctx.answer(
        community_id
            .map(|id| GlobalId::expect(&id, kinds::COMMUNITY, "communityId", CommunityId::parse))
            .transpose(),
    )?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, _| {
            s.matching()
                .needs(community.as_ref(), status, overdue.unwrap_or(false), &page)
        })
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
    GlobalId::expect(id, kinds::NEED, "needId", NeedId::parse)
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
}

pub async fn post_need(ctx: &Context, input: PostNeedInput) -> FieldResult<NeedPayload> {
    let decoded = (|| {
        Ok(NewNeed {
            community_id: GlobalId::expect(
                &input.community_id,
                kinds::COMMUNITY,
                "communityId",
                |raw| Some(raw.to_owned()),
            )?,
            category_id: super::catalogue::category_slug(&input.category_id),
            title: input.title.clone(),
            description: input.description.clone(),
            urgency: input.urgency.into(),
            wanted_by: input.wanted_by.naive_utc(),
            group_id: input
                .group_id
                .as_ref()
                .map(|g| GlobalId::expect(g, kinds::GROUP, "groupId", |raw| Some(raw.to_owned())))
                .transpose()?,
        })
    })();
    ctx.mutate(decoded, |s, actor, new| s.matching().post_need(actor, new))
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
pub enum NeedStep {
    Withdraw,
    Close,
}

pub async fn need_step(
    ctx: &Context,
    input: NeedIdInput,
    step: NeedStep,
) -> FieldResult<NeedPayload> {
    ctx.mutate(need_id(&input.need_id), move |s, actor, id| match step {
        NeedStep::Withdraw => s.matching().withdraw(actor, &id),
        NeedStep::Close => s.matching().close(actor, &id),
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
        let kind = match global.kind.as_str() {
            "Product" => matching::CandidateKind::Product,
            "Organisation" => matching::CandidateKind::Organisation,
            "Group" => matching::CandidateKind::Group,
            _ => {
                return Err(DomainError::invalid(
                    "candidateId",
                    "只能对接产品、组织或自治组织",
                ));
            }
        };
        Ok((n, kind, global.id))
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
    GlobalId::expect(id, kinds::MATCH, "matchId", MatchId::parse)
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

/// Aggregates for one community, category or organisation.
#[derive(Debug, GraphQLObject)]
pub struct ImpactRow {
    /// The raw id of the community or organisation, or the category's slug.
    pub key: ID,
    /// The community's, category's or organisation's name.
    pub name: String,
    /// Completed activities.
    pub activities_held: i32,
    /// Verified participations in those activities.
    pub participants: i32,
    /// Verified service hours in those activities, to one decimal.
    pub service_hours: f64,
    /// Points earned in those activities.
    pub points_earned: Points,
    /// Points redeemed at its merchants.
    pub points_redeemed: Points,
    /// Published products.
    pub products_published: i32,
    /// Needs that found a match (delivered and closed ones included).
    pub needs_matched: i32,
    /// Needs delivered (closed ones included).
    pub needs_delivered: i32,
}

pub async fn impact(ctx: &Context, by: ImpactDimension) -> FieldResult<Vec<ImpactRow>> {
    let dimension: Dimension = by.into();
    let result = ctx.run(move |s, _| s.impact().by(dimension)).await;
    let rows = ctx.answer(result)?;
    Ok(rows
        .into_iter()
        .map(|r| ImpactRow {
            key: ID::new(r.key),
            name: r.name,
            activities_held: int(r.activities_held),
            participants: int(r.participants),
            service_hours: linli_domain::volunteering::model::hours(r.service_minutes),
            points_earned: Points(r.points_earned),
            points_redeemed: Points(r.points_redeemed),
            products_published: int(r.products_published),
            needs_matched: int(r.needs_matched),
            needs_delivered: int(r.needs_delivered),
        })
        .collect())
}
