//! Self-governance groups: founding, members, mentors, stages, funds and their timeline.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::incubation::{self as domain, Decision, NewGroup};
use linli_domain::types::{GroupId, IdempotencyKey};

use super::directory::{Community, Organisation};
use super::identity::User;
use super::ledger::{Account, TransferPayload};
use super::relay::{Kind, NodeValue, connection, page_request, payload};
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
    Group::decode(id, "groupId")
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

impl From<domain::GroupEvent> for GroupEvent {
    fn from(e: domain::GroupEvent) -> Self {
        Self {
            key: e.id,
            kind: e.kind,
            from_stage: e.from_stage.map(Into::into),
            to_stage: e.to_stage.map(Into::into),
            note: e.note,
            created_at: e.created_at.and_utc(),
        }
    }
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
        Group::global_id(self.0.id.as_str())
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

    /// When it was founded.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// Staff's latest decision on its stage (advanced, held or dissolved), from its public
    /// timeline; null until the first.
    async fn last_decision(&self, ctx: &Context) -> FieldResult<Option<GroupEvent>> {
        super::loaders::load(ctx, &ctx.loaders.last_decisions, self.0.id.clone())
            .await
            .map(|e| e.map(GroupEvent::from))
    }

    /// The stage in Chinese, e.g. 培育.
    fn stage_label(&self) -> &str {
        self.0.stage.label_zh()
    }

    /// The community the group belongs to.
    async fn community(&self, ctx: &Context) -> FieldResult<Community> {
        super::directory::community_by_id(ctx, self.0.community_id.clone()).await
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
        ctx.answer(result)
            .map(|p| GroupEventConnection::from_page(p, GroupEvent::from))
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
        user_id: User::global_id(m.user_id.as_str()),
        display_name: m.display_name,
        role: m.role.into(),
        status: m.status.into(),
    }
}

pub async fn group(ctx: &Context, id: GroupId) -> FieldResult<Group> {
    let result = ctx.run(move |s, _| s.incubation().group(&id)).await;
    ctx.answer(result).map(Group)
}

/// Which groups to list; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct GroupFilterInput {
    /// Only groups at this stage (a column of the incubation board).
    pub stage: Option<GroupStage>,
    /// Only groups of this community.
    pub community_id: Option<ID>,
}

pub async fn groups(
    ctx: &Context,
    filter: Option<GroupFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<GroupConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let GroupFilterInput {
        stage,
        community_id,
    } = filter.unwrap_or_default();
    let filter = domain::GroupFilter {
        stage: stage.map(Into::into),
        community: ctx.answer(Community::decode_optional(
            community_id.as_ref(),
            "communityId",
        ))?,
    };
    let result = ctx
        .run(move |s, _| s.incubation().groups(&filter, &page))
        .await;
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
    /// Optional: the same key sent again returns the object the first request made, instead
    /// of making a second one (8–100 letters, digits or `- _ . :`).
    pub idempotency_key: Option<String>,
}

pub async fn found(ctx: &Context, input: FoundGroupInput) -> FieldResult<GroupPayload> {
    let key = input.idempotency_key.as_deref().map(IdempotencyKey::parse);
    let decoded = Community::decode(&input.community_id, "communityId").and_then(|community_id| {
        let group = NewGroup {
            name: input.name,
            purpose: input.purpose,
            community_id,
            category_id: super::catalogue::category_slug(&input.category_id),
        };
        Ok((group, key.transpose()?))
    });
    ctx.mutate(decoded, |s, actor, (new, key)| {
        s.incubation().found(actor, new, key.as_ref())
    })
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
    let decoded =
        group_id(&input.group_id).and_then(|g| Ok((g, User::decode(&input.user_id, "userId")?)));
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
            Organisation::decode(&input.organisation_id, "organisationId")?,
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
            User::decode(&input.user_id, "userId")?,
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
