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
use super::relay::{GlobalId, NodeValue};
use super::{Context, Points, UserError, int, mirror_enum};

mirror_enum!(
    /// 意向 → 培育 → 成长 → 成熟, or 解散.
    GroupStage = linli_domain::incubation::Stage { Proposed, Incubating, Growing, Graduated, Dissolved }
);
mirror_enum!(GroupRole = linli_domain::incubation::GroupRole { Convenor, Member });
mirror_enum!(MembershipStatus = linli_domain::incubation::MembershipStatus { Requested, Active });
mirror_enum!(Urgency = linli_domain::matching::Urgency { Low, Medium, High });
mirror_enum!(
    NeedStatus = linli_domain::matching::NeedStatus {
        Open,
        Matching,
        Matched,
        Delivered,
        Closed,
        Withdrawn
    }
);
mirror_enum!(
    CandidateKind = linli_domain::matching::CandidateKind {
        Product,
        Organisation,
        Group
    }
);
mirror_enum!(
    MatchStatus = linli_domain::matching::MatchStatus {
        Proposed,
        Accepted,
        Declined,
        Delivered
    }
);
mirror_enum!(
    ImpactDimension = linli_domain::matching::impact::Dimension {
        Community,
        Category,
        Organisation
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum GroupDecision {
    Advance,
    Hold,
    Dissolve,
}

fn group_id(id: &ID) -> Result<GroupId, DomainError> {
    GlobalId::expect(id, "Group", "groupId", GroupId::parse)
}

#[derive(Debug, Clone)]
pub struct Group(pub domain::Group);

#[derive(Debug, GraphQLObject)]
pub struct Criterion {
    pub name: String,
    pub required: i32,
    pub actual: i32,
    pub met: bool,
}

#[derive(Debug, GraphQLObject)]
pub struct GroupEvent {
    pub kind: String,
    pub from_stage: Option<GroupStage>,
    pub to_stage: Option<GroupStage>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, GraphQLObject)]
pub struct GroupMember {
    pub user_id: ID,
    pub display_name: String,
    pub role: GroupRole,
    pub status: MembershipStatus,
}

#[graphql_object(context = Context, impl = NodeValue)]
impl Group {
    fn id(&self) -> ID {
        GlobalId::encode("Group", self.0.id.as_str())
    }

    fn name(&self) -> &str {
        &self.0.name
    }

    fn purpose(&self) -> &str {
        &self.0.purpose
    }

    fn category_id(&self) -> ID {
        ID::new(self.0.category_id.clone())
    }

    fn stage(&self) -> GroupStage {
        self.0.stage.into()
    }

    /// The stage in Chinese, e.g. 培育.
    fn stage_label(&self) -> &str {
        self.0.stage.label_zh()
    }

    async fn community(&self, ctx: &Context) -> FieldResult<Community> {
        let id = self.0.community_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
            .await
            .map(Community)
    }

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
    async fn timeline(&self, ctx: &Context) -> FieldResult<Vec<GroupEvent>> {
        let id = self.0.id.clone();
        let result = ctx.run(move |s, _| s.incubation().timeline(&id)).await;
        ctx.answer(result).map(|list| {
            list.into_iter()
                .map(|e| GroupEvent {
                    kind: e.kind,
                    from_stage: e.from_stage.map(Into::into),
                    to_stage: e.to_stage.map(Into::into),
                    note: e.note,
                    created_at: e.created_at.and_utc(),
                })
                .collect()
        })
    }

    /// Members and join requests: for members and staff.
    async fn members(&self, ctx: &Context) -> FieldResult<Vec<GroupMember>> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.incubation().members(actor, &id))
            .await;
        ctx.answer(result)
            .map(|list| list.into_iter().map(member).collect())
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
        user_id: GlobalId::encode("User", m.user_id.as_str()),
        display_name: m.display_name,
        role: m.role.into(),
        status: m.status.into(),
    }
}

pub async fn group(ctx: &Context, id: GroupId) -> FieldResult<Group> {
    let result = ctx.run(move |s, _| s.incubation().group(&id)).await;
    ctx.answer(result).map(Group)
}

pub async fn groups(ctx: &Context) -> FieldResult<Vec<Group>> {
    let result = ctx.run(|s, _| s.incubation().groups()).await;
    ctx.answer(result)
        .map(|list| list.into_iter().map(Group).collect())
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct GroupPayload {
    pub group: Option<Group>,
    pub errors: Vec<UserError>,
}

fn group_payload(
    ctx: &Context,
    result: Result<domain::Group, DomainError>,
) -> FieldResult<GroupPayload> {
    let (group, errors) = ctx.payload(result)?;
    Ok(GroupPayload {
        group: group.map(Group),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct FoundGroupInput {
    pub name: String,
    pub purpose: String,
    pub community_id: ID,
    pub category_id: ID,
}

pub async fn found(ctx: &Context, input: FoundGroupInput) -> FieldResult<GroupPayload> {
    let community = match GlobalId::expect(&input.community_id, "Community", "communityId", |raw| {
        Some(raw.to_owned())
    }) {
        Ok(c) => c,
        Err(e) => return group_payload(ctx, Err(e)),
    };
    let new = NewGroup {
        name: input.name,
        purpose: input.purpose,
        community_id: community,
        category_id: input.category_id.to_string(),
    };
    let result = ctx
        .run(move |s, actor| s.incubation().found(actor, new))
        .await;
    group_payload(ctx, result)
}

#[derive(Debug, GraphQLObject)]
pub struct GroupMembersPayload {
    pub members: Option<Vec<GroupMember>>,
    pub errors: Vec<UserError>,
}

fn members_payload(
    ctx: &Context,
    result: Result<Vec<domain::GroupMember>, DomainError>,
) -> FieldResult<GroupMembersPayload> {
    let (members, errors) = ctx.payload(result)?;
    Ok(GroupMembersPayload {
        members: members.map(|l| l.into_iter().map(member).collect()),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct GroupIdInput {
    pub group_id: ID,
}

pub async fn request_to_join(
    ctx: &Context,
    input: GroupIdInput,
) -> FieldResult<GroupMembersPayload> {
    let result = match group_id(&input.group_id) {
        Ok(id) => {
            ctx.run(move |s, actor| s.incubation().request_to_join(actor, &id))
                .await
        }
        Err(e) => Err(e),
    };
    members_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ApproveGroupMemberInput {
    pub group_id: ID,
    pub user_id: ID,
}

pub async fn approve_member(
    ctx: &Context,
    input: ApproveGroupMemberInput,
) -> FieldResult<GroupMembersPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(&input.user_id, "User", "userId", UserId::parse)?,
        ))
    });
    let result = match decoded {
        Ok((g, u)) => {
            ctx.run(move |s, actor| s.incubation().approve_member(actor, &g, &u))
                .await
        }
        Err(e) => Err(e),
    };
    members_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct SetGroupMentorInput {
    pub group_id: ID,
    pub organisation_id: ID,
}

pub async fn set_mentor(ctx: &Context, input: SetGroupMentorInput) -> FieldResult<GroupPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(
                &input.organisation_id,
                "Organisation",
                "organisationId",
                OrganisationId::parse,
            )?,
        ))
    });
    let result = match decoded {
        Ok((g, o)) => {
            ctx.run(move |s, actor| s.incubation().set_mentor(actor, &g, &o))
                .await
        }
        Err(e) => Err(e),
    };
    group_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct DecideGroupStageInput {
    pub group_id: ID,
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
    let result = match group_id(&input.group_id) {
        Ok(id) => {
            ctx.run(move |s, actor| s.incubation().decide(actor, &id, decision, &input.note))
                .await
        }
        Err(e) => Err(e),
    };
    group_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct RegisterGroupInput {
    pub group_id: ID,
    pub contact: String,
}

pub async fn register(
    ctx: &Context,
    input: RegisterGroupInput,
) -> FieldResult<super::directory::OrganisationPayload> {
    let result = match group_id(&input.group_id) {
        Ok(id) => {
            ctx.run(move |s, actor| {
                s.incubation()
                    .register_as_organisation(actor, &id, &input.contact)
            })
            .await
        }
        Err(e) => Err(e),
    };
    super::directory::OrganisationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct DonateToGroupInput {
    pub group_id: ID,
    pub amount: Points,
    pub reason: Option<String>,
    pub idempotency_key: String,
}

pub async fn donate(ctx: &Context, input: DonateToGroupInput) -> FieldResult<TransferPayload> {
    let decoded = group_id(&input.group_id)
        .and_then(|g| Ok((g, IdempotencyKey::parse(&input.idempotency_key)?)));
    let result = match decoded {
        Ok((g, key)) => {
            ctx.run(move |s, actor| {
                s.ledger().donate_to_group(
                    actor,
                    &g,
                    input.amount.0,
                    input.reason.as_deref().unwrap_or(""),
                    &key,
                )
            })
            .await
        }
        Err(e) => Err(e),
    };
    TransferPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct RewardGroupMemberInput {
    pub group_id: ID,
    pub user_id: ID,
    pub amount: Points,
    pub reason: String,
    pub idempotency_key: String,
}

pub async fn reward(ctx: &Context, input: RewardGroupMemberInput) -> FieldResult<TransferPayload> {
    let decoded = group_id(&input.group_id).and_then(|g| {
        Ok((
            g,
            GlobalId::expect(&input.user_id, "User", "userId", UserId::parse)?,
            IdempotencyKey::parse(&input.idempotency_key)?,
        ))
    });
    let result = match decoded {
        Ok((g, u, key)) => {
            ctx.run(move |s, actor| {
                s.ledger()
                    .reward_from_group(actor, &g, &u, input.amount.0, &input.reason, &key)
            })
            .await
        }
        Err(e) => Err(e),
    };
    TransferPayload::from(ctx, result)
}

#[derive(Debug, Clone)]
pub struct Need(pub matching::Need);

#[graphql_object(context = Context)]
impl Need {
    fn id(&self) -> ID {
        GlobalId::encode("Need", self.0.id.as_str())
    }
    fn title(&self) -> &str {
        &self.0.title
    }
    fn description(&self) -> &str {
        &self.0.description
    }
    fn category_id(&self) -> ID {
        ID::new(self.0.category_id.clone())
    }
    fn urgency(&self) -> Urgency {
        self.0.urgency.into()
    }
    fn wanted_by(&self) -> DateTime<Utc> {
        self.0.wanted_by.and_utc()
    }
    fn status(&self) -> NeedStatus {
        self.0.status.into()
    }
    /// Past its wanted-by date without a match.
    fn overdue(&self, ctx: &Context) -> bool {
        self.0.overdue(ctx.shared.services.clock.now())
    }
    fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    fn residents_served(&self) -> Option<i32> {
        self.0.residents_served
    }
    async fn community(&self, ctx: &Context) -> FieldResult<Community> {
        let id = self.0.community_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
            .await
            .map(Community)
    }

    async fn matches(&self, ctx: &Context) -> FieldResult<Vec<Match>> {
        let id = self.0.id.clone();
        let result = ctx.run(move |s, _| s.matching().matches(&id)).await;
        ctx.answer(result)
            .map(|l| l.into_iter().map(Match::from).collect())
    }
}

#[derive(Debug, GraphQLObject)]
pub struct Match {
    pub id: ID,
    pub kind: CandidateKind,
    pub candidate_id: ID,
    pub score: i32,
    pub reasons: String,
    pub status: MatchStatus,
}

impl From<matching::MatchCase> for Match {
    fn from(m: matching::MatchCase) -> Self {
        Self {
            id: GlobalId::encode("Match", m.id.as_str()),
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

#[derive(Debug, GraphQLObject)]
pub struct MatchCandidate {
    pub kind: CandidateKind,
    /// The candidate's global id (a Product, Organisation or Group).
    pub id: ID,
    pub name: String,
    pub score: i32,
    /// Why, in words: category fit, community served, shared keywords, activity, record.
    pub reasons: Vec<String>,
}

pub async fn needs(
    ctx: &Context,
    community_id: Option<ID>,
    status: Option<NeedStatus>,
    overdue: Option<bool>,
) -> FieldResult<Vec<Need>> {
    let community = ctx.answer(
        community_id
            .map(|id| GlobalId::expect(&id, "Community", "communityId", CommunityId::parse))
            .transpose(),
    )?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, _| {
            s.matching()
                .needs(community.as_ref(), status, overdue.unwrap_or(false))
        })
        .await;
    ctx.answer(result)
        .map(|l| l.into_iter().map(Need).collect())
}

fn need_id(id: &ID) -> Result<NeedId, DomainError> {
    GlobalId::expect(id, "Need", "needId", NeedId::parse)
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

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct NeedPayload {
    pub need: Option<Need>,
    pub errors: Vec<UserError>,
}

fn need_payload(
    ctx: &Context,
    result: Result<matching::Need, DomainError>,
) -> FieldResult<NeedPayload> {
    let (need, errors) = ctx.payload(result)?;
    Ok(NeedPayload {
        need: need.map(Need),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct PostNeedInput {
    pub community_id: ID,
    pub category_id: ID,
    pub title: String,
    pub description: String,
    pub urgency: Urgency,
    pub wanted_by: DateTime<Utc>,
    /// When a group's convenor posts for the group.
    pub group_id: Option<ID>,
}

pub async fn post_need(ctx: &Context, input: PostNeedInput) -> FieldResult<NeedPayload> {
    let decoded = (|| {
        Ok(NewNeed {
            community_id: GlobalId::expect(
                &input.community_id,
                "Community",
                "communityId",
                |raw| Some(raw.to_owned()),
            )?,
            category_id: input.category_id.to_string(),
            title: input.title.clone(),
            description: input.description.clone(),
            urgency: input.urgency.into(),
            wanted_by: input.wanted_by.naive_utc(),
            group_id: input
                .group_id
                .as_ref()
                .map(|g| GlobalId::expect(g, "Group", "groupId", |raw| Some(raw.to_owned())))
                .transpose()?,
        })
    })();
    let result = match decoded {
        Ok(new) => {
            ctx.run(move |s, actor| s.matching().post_need(actor, new))
                .await
        }
        Err(e) => Err(e),
    };
    need_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct NeedIdInput {
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
    let result = match need_id(&input.need_id) {
        Ok(id) => {
            ctx.run(move |s, actor| match step {
                NeedStep::Withdraw => s.matching().withdraw(actor, &id),
                NeedStep::Close => s.matching().close(actor, &id),
            })
            .await
        }
        Err(e) => Err(e),
    };
    need_payload(ctx, result)
}

#[derive(Debug, GraphQLObject)]
pub struct MatchPayload {
    pub r#match: Option<Match>,
    pub errors: Vec<UserError>,
}

fn match_payload(
    ctx: &Context,
    result: Result<matching::MatchCase, DomainError>,
) -> FieldResult<MatchPayload> {
    let (found, errors) = ctx.payload(result)?;
    Ok(MatchPayload {
        r#match: found.map(Match::from),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct ProposeMatchInput {
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
    let result = match decoded {
        Ok((n, kind, candidate)) => {
            ctx.run(move |s, actor| s.matching().propose(actor, &n, kind, &candidate))
                .await
        }
        Err(e) => Err(e),
    };
    match_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct RespondToMatchInput {
    pub match_id: ID,
    pub accept: bool,
}

fn match_id(id: &ID) -> Result<MatchId, DomainError> {
    GlobalId::expect(id, "Match", "matchId", MatchId::parse)
}

pub async fn respond(ctx: &Context, input: RespondToMatchInput) -> FieldResult<MatchPayload> {
    let result = match match_id(&input.match_id) {
        Ok(id) => {
            ctx.run(move |s, actor| s.matching().respond(actor, &id, input.accept))
                .await
        }
        Err(e) => Err(e),
    };
    match_payload(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct DeliverMatchInput {
    pub match_id: ID,
    pub residents_served: i32,
    pub outcome: String,
}

pub async fn deliver(ctx: &Context, input: DeliverMatchInput) -> FieldResult<NeedPayload> {
    let result = match match_id(&input.match_id) {
        Ok(id) => {
            ctx.run(move |s, actor| {
                s.matching()
                    .deliver(actor, &id, input.residents_served, &input.outcome)
            })
            .await
        }
        Err(e) => Err(e),
    };
    need_payload(ctx, result)
}

/// Aggregates for one community, category or organisation.
#[derive(Debug, GraphQLObject)]
pub struct ImpactRow {
    pub key: ID,
    pub name: String,
    pub activities_held: i32,
    pub participants: i32,
    pub service_hours: f64,
    pub points_earned: Points,
    pub points_redeemed: Points,
    pub products_published: i32,
    pub needs_matched: i32,
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
            service_hours: (r.service_minutes as f64 / 60.0 * 10.0).round() / 10.0,
            points_earned: Points(r.points_earned),
            points_redeemed: Points(r.points_redeemed),
            products_published: int(r.products_published),
            needs_matched: int(r.needs_matched),
            needs_delivered: int(r.needs_delivered),
        })
        .collect())
}
