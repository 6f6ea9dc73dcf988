//! Communities and partner organisations.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::directory::{self as domain, NewOrganisation, Review};
use linli_domain::types::{CommunityId, OrganisationId, UserId};

use super::identity::User;
use super::ledger::Account;
use super::relay::{Kind, NodeValue, connection, global_raw, page_request, payload};
use super::{Context, mirror_enum};

mirror_enum!(
    /// The five kinds of community in the district.
    CommunityType = linli_domain::directory::CommunityType {
        /// A newly built commercial-residential community (新建商住社区).
        NewCommercialResidential,
        /// The living area of a state-owned enterprise (国企生活区).
        SoeLivingArea,
        /// An old community of ageing housing (老旧社区).
        OldCommunity,
        /// A community resettling households moved by demolition (拆迁安置社区).
        Resettlement,
        /// An industrial community, home to many businesses (产业社区).
        Industrial,
    }
);

mirror_enum!(
    /// What kind of partner organisation (共建主体) a body is.
    OrganisationKind = linli_domain::directory::OrganisationKind {
        /// A non-profit social organisation (社会组织).
        SocialOrganisation,
        /// A business.
        Enterprise,
        /// A public institution (事业单位).
        PublicInstitution,
        /// A charitable foundation.
        Foundation,
        /// Any other body that co-builds community life.
        Other,
    }
);

mirror_enum!(
    /// Pending until staff verify or reject it; a verified one may later be suspended.
    OrganisationStatus = linli_domain::directory::OrganisationStatus {
        /// Registered and waiting for staff to review it.
        Pending,
        /// Verified by staff: it may publish products, run activities and receive a points budget.
        Verified,
        /// Turned down by staff; `statusReason` says why.
        Rejected,
        /// Suspended by staff: it runs no activities and pays no points until restored;
        /// `statusReason` says why.
        Suspended,
    }
);

mirror_enum!(
    /// A person's role in a partner organisation.
    MemberRole = linli_domain::directory::MemberRole {
        /// Manages the organisation's members and applies for its shop; an organisation always
        /// keeps at least one.
        Owner,
        /// A member who also answers the matches staff propose to the organisation.
        Manager,
        /// Drafts products and runs activities for the organisation.
        Member
    }
);

#[derive(Debug, Clone)]
pub struct Community(pub domain::Community);

/// A community (社区), the district's basic governance unit.
#[graphql_object(context = Context, impl = NodeValue)]
impl Community {
    /// Opaque global id.
    fn id(&self) -> ID {
        Community::global_id(self.0.id.as_str())
    }

    /// The community's name, e.g. 和美社区.
    fn name(&self) -> &str {
        &self.0.name
    }

    /// The street (街道) the community belongs to.
    fn street(&self) -> &str {
        &self.0.street
    }

    /// Which of the district's five kinds of community it is.
    fn community_type(&self) -> CommunityType {
        self.0.community_type.into()
    }

    /// The community type in Chinese, e.g. 老旧社区.
    fn community_type_label(&self) -> &str {
        self.0.community_type.label_zh()
    }
}

connection!(
    /// A page of the district's communities.
    CommunityConnection,
    /// A community in a page, with its cursor.
    CommunityEdge,
    Community,
    |c| c.0.id.to_string()
);

#[derive(Debug, Clone)]
pub struct Organisation(pub domain::Organisation);

/// A partner organisation (共建主体) registered with the centre: a social organisation, business,
/// public institution or foundation.
#[graphql_object(context = Context, impl = NodeValue)]
impl Organisation {
    /// Opaque global id.
    fn id(&self) -> ID {
        Organisation::global_id(self.0.id.as_str())
    }

    /// Members and staff: residents' bookings of the organisation's services, newest first.
    async fn bookings(
        &self,
        ctx: &Context,
        #[graphql(description = "Only bookings in this status.")] status: Option<
            super::booking::BookingStatus,
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
    ) -> FieldResult<super::booking::BookingConnection> {
        super::booking::of_organisation(
            ctx,
            self.0.id.clone(),
            status,
            (first, after, last, before),
        )
        .await
    }

    /// The organisation's name, unique in the district.
    fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of body it is.
    fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// What the organisation does, in its own words.
    fn description(&self) -> &str {
        &self.0.description
    }

    /// A phone number or address the centre can reach the organisation at.
    fn contact(&self) -> &str {
        &self.0.contact
    }

    /// Where it stands in the centre's verification.
    fn status(&self) -> OrganisationStatus {
        self.0.status.into()
    }

    /// Why staff rejected or suspended it.
    fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    /// When it registered.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// The community it is based in; null when it named none.
    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        community_of(ctx, self.0.community_id.clone()).await
    }

    /// The organisation's products: published ones for everyone; its members and staff may
    /// ask for other statuses.
    async fn products(
        &self,
        ctx: &Context,
        #[graphql(
            description = "Only products in this status (default: published); other statuses only for the organisation's members and staff."
        )]
        status: Option<super::catalogue::ProductStatus>,
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
    ) -> FieldResult<super::catalogue::ProductConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        // The common case — the first page of published products — is batched across the
        // organisations of a page; other statuses and later pages are read one by one.
        if status.is_none() && page.after.is_none() && page.before.is_none() && !page.backward {
            let first = usize::try_from(page.first).unwrap_or(0);
            let key = (self.0.id.clone(), first);
            let found = super::loaders::load_one(ctx, &ctx.loaders.products, key, "组织").await?;
            return Ok(super::catalogue::ProductConnection::from_page(
                found,
                super::catalogue::Product,
            ));
        }
        let filter = linli_domain::catalogue::ProductFilter {
            organisation_id: Some(self.0.id.clone()),
            status: status.map(Into::into),
            ..Default::default()
        };
        let result = ctx
            .run(move |s, actor| {
                s.catalogue()
                    .products(actor, &filter, Default::default(), &page)
            })
            .await;
        ctx.answer(result)
            .map(|p| super::catalogue::ProductConnection::from_page(p, super::catalogue::Product))
    }

    /// Its shop in the business alliance, if it joined.
    async fn merchant(&self, ctx: &Context) -> FieldResult<Option<super::rewards::Merchant>> {
        super::loaders::load(ctx, &ctx.loaders.merchants, self.0.id.clone())
            .await
            .map(|m| m.map(super::rewards::Merchant))
    }

    /// Members and their roles: visible to members and staff.
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
    ) -> FieldResult<MemberConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.directory().members(actor, &id, &page))
            .await;
        ctx.answer(result)
            .map(|p| MemberConnection::from_page(p, Member::from))
    }

    /// Every activity it runs, drafts and past ones included, newest first: visible to its
    /// members and staff.
    async fn activities(
        &self,
        ctx: &Context,
        #[graphql(description = "Only activities in this status.")] status: Option<
            super::volunteering::ActivityStatus,
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
    ) -> FieldResult<super::volunteering::ActivityConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let status = status.map(Into::into);
        let result = ctx
            .run(move |s, actor| s.volunteering().of_organisation(actor, &id, status, &page))
            .await;
        ctx.answer(result).map(|p| {
            super::volunteering::ActivityConnection::from_page(p, super::volunteering::Activity)
        })
    }

    /// The organisation's points budget; its members and staff may see it.
    async fn budget(&self, ctx: &Context) -> FieldResult<Account> {
        let key = (
            linli_domain::ledger::AccountKind::Budget,
            self.0.id.to_string(),
        );
        super::loaders::load_one(ctx, &ctx.loaders.accounts, key, "账户")
            .await
            .map(Account)
    }
}

connection!(
    /// A page of partner organisations.
    OrganisationConnection,
    /// A partner organisation in a page, with its cursor.
    OrganisationEdge,
    Organisation,
    |o| o.0.id.to_string()
);

/// A person in an organisation.
#[derive(Debug, Clone, GraphQLObject)]
pub struct Member {
    /// The person's user id.
    pub user_id: ID,
    /// The name the person shows to others.
    pub display_name: String,
    /// What the person may do in the organisation.
    pub role: MemberRole,
}

connection!(
    /// A page of an organisation's members.
    MemberConnection,
    /// An organisation member in a page, with its cursor.
    MemberEdge,
    Member,
    |m| global_raw(&m.user_id)
);

impl From<domain::Member> for Member {
    fn from(m: domain::Member) -> Self {
        Self {
            user_id: User::global_id(m.user_id.as_str()),
            display_name: m.display_name,
            role: m.role.into(),
        }
    }
}

/// An organisation a person belongs to, with their role there.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct Membership {
    /// The organisation the person belongs to.
    pub organisation: Organisation,
    /// The person's role in it.
    pub role: MemberRole,
}

/// The community an object names, if it names one.
pub async fn community_of(
    ctx: &Context,
    id: Option<CommunityId>,
) -> FieldResult<Option<Community>> {
    match id {
        Some(id) => community_by_id(ctx, id).await.map(Some),
        None => Ok(None),
    }
}

/// The community an object belongs to, through the request's loader.
pub async fn community_by_id(ctx: &Context, id: CommunityId) -> FieldResult<Community> {
    super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
        .await
        .map(Community)
}

/// The organisation an object belongs to, through the request's loader.
pub async fn organisation_by_id(ctx: &Context, id: OrganisationId) -> FieldResult<Organisation> {
    super::loaders::load_one(ctx, &ctx.loaders.organisations, id, "组织")
        .await
        .map(Organisation)
}

pub async fn communities(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<CommunityConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx.run(move |s, _| s.directory().communities(&page)).await;
    ctx.answer(result)
        .map(|p| CommunityConnection::from_page(p, Community))
}

pub async fn community(ctx: &Context, id: CommunityId) -> FieldResult<Community> {
    let result = ctx.run(move |s, _| s.directory().community(&id)).await;
    ctx.answer(result).map(Community)
}

pub async fn organisation(ctx: &Context, id: OrganisationId) -> FieldResult<Organisation> {
    let result = ctx
        .run(move |s, actor| s.directory().organisation(actor, &id))
        .await;
    ctx.answer(result).map(Organisation)
}

pub async fn my_organisations(ctx: &Context) -> FieldResult<Vec<Membership>> {
    let result = ctx
        .run(|s, actor| s.directory().my_organisations(actor))
        .await;
    ctx.answer(result).map(memberships)
}

/// A person's organisations, for that person and staff.
pub async fn memberships_of(ctx: &Context, user: UserId) -> FieldResult<Vec<Membership>> {
    let result = ctx
        .run(move |s, actor| s.directory().memberships(actor, &user))
        .await;
    ctx.answer(result).map(memberships)
}

fn memberships(list: Vec<(domain::Organisation, domain::MemberRole)>) -> Vec<Membership> {
    list.into_iter()
        .map(|(o, role)| Membership {
            organisation: Organisation(o),
            role: role.into(),
        })
        .collect()
}

/// Which organisations to list.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct OrganisationFilterInput {
    /// Any part of the organisation's name or contact.
    pub text: Option<String>,
    /// Only organisations in this status.
    pub status: Option<OrganisationStatus>,
    /// Only organisations based in this community.
    pub community_id: Option<ID>,
}

pub async fn organisations(
    ctx: &Context,
    filter: Option<OrganisationFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<OrganisationConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let filter = filter.unwrap_or_default();
    let filter = ctx.answer(
        Community::decode_optional(filter.community_id.as_ref(), "communityId").map(
            |community_id| domain::OrganisationFilter {
                text: filter.text,
                status: filter.status.map(Into::into),
                community_id,
            },
        ),
    )?;
    let result = ctx
        .run(move |s, actor| s.directory().organisations(actor, &filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| OrganisationConnection::from_page(p, Organisation))
}

pub async fn review_queue(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<OrganisationConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx
        .run(move |s, actor| s.directory().review_queue(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| OrganisationConnection::from_page(p, Organisation))
}

/// A community to add to the district.
#[derive(Debug, GraphQLInputObject)]
pub struct CreateCommunityInput {
    /// The community's name, e.g. 和美社区.
    pub name: String,
    /// The street (街道) it belongs to, e.g. 双水碾街道.
    pub street: String,
    /// Which of the five kinds of community it is.
    pub community_type: CommunityType,
}

payload!(
    /// What `createCommunity` returns.
    CreateCommunityPayload {
        /// The community added; null when the request was refused.
        community: Option<Community>,
    }
    from domain::Community => Community
);

pub async fn create_community(
    ctx: &Context,
    input: CreateCommunityInput,
) -> FieldResult<CreateCommunityPayload> {
    ctx.mutate(Ok(input), |s, actor, input| {
        s.directory().create_community(
            actor,
            &input.name,
            &input.street,
            input.community_type.into(),
        )
    })
    .await
}

/// An organisation to register with the centre; it waits for staff review.
#[derive(Debug, GraphQLInputObject)]
pub struct RegisterOrganisationInput {
    /// The organisation's name; no other organisation may use it.
    pub name: String,
    /// What kind of body it is.
    pub kind: OrganisationKind,
    /// What the organisation does, shown to communities and staff.
    pub description: String,
    /// The community it is based in, if any.
    pub community_id: Option<ID>,
    /// A phone number or address the centre can reach the organisation at.
    pub contact: String,
}

payload!(
    /// What a mutation on an organisation returns.
    OrganisationPayload {
        /// The organisation after the change; null when the request was refused.
        organisation: Option<Organisation>,
    }
    from domain::Organisation => Organisation
);

pub async fn register_organisation(
    ctx: &Context,
    input: RegisterOrganisationInput,
) -> FieldResult<OrganisationPayload> {
    let decoded = Community::decode_optional(input.community_id.as_ref(), "communityId").map(
        |community_id| NewOrganisation {
            name: input.name,
            kind: input.kind.into(),
            description: input.description,
            community_id,
            contact: input.contact,
        },
    );
    ctx.mutate(decoded, |s, actor, new| {
        s.directory().register_organisation(actor, new)
    })
    .await
}

/// A staff decision on an organisation waiting for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum ReviewDecision {
    /// Verify it: it may then publish products, run activities and receive a budget.
    Verify,
    /// Turn it down, with a reason the organisation sees.
    Reject,
}

/// A staff decision on an organisation waiting for review.
#[derive(Debug, GraphQLInputObject)]
pub struct ReviewOrganisationInput {
    /// The pending organisation.
    pub organisation_id: ID,
    /// Whether to verify or reject it.
    pub decision: ReviewDecision,
    /// Required when rejecting; shown to the organisation.
    pub reason: Option<String>,
}

pub async fn review_organisation(
    ctx: &Context,
    input: ReviewOrganisationInput,
) -> FieldResult<OrganisationPayload> {
    let review = match input.decision {
        ReviewDecision::Verify => Review::Verify,
        ReviewDecision::Reject => Review::Reject {
            reason: input.reason.unwrap_or_default(),
        },
    };
    ctx.mutate(organisation_id(&input.organisation_id), |s, actor, id| {
        s.directory().review_organisation(actor, &id, review)
    })
    .await
}

/// An organisation to suspend or restore, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct OrganisationStandingInput {
    /// The organisation.
    pub organisation_id: ID,
    /// Why, shown to the organisation as its `statusReason`.
    pub reason: String,
}

pub async fn set_organisation_standing(
    ctx: &Context,
    input: OrganisationStandingInput,
    suspend: bool,
) -> FieldResult<OrganisationPayload> {
    ctx.mutate(
        organisation_id(&input.organisation_id),
        move |s, actor, id| {
            if suspend {
                s.directory()
                    .suspend_organisation(actor, &id, &input.reason)
            } else {
                s.directory()
                    .restore_organisation(actor, &id, &input.reason)
            }
        },
    )
    .await
}

/// A person to add to an organisation, found by their email address or mobile number.
#[derive(Debug, GraphQLInputObject)]
pub struct AddOrganisationMemberInput {
    /// The organisation to add them to (you must be its owner).
    pub organisation_id: ID,
    /// The person's email address or mobile number.
    pub member: String,
    /// The role they get.
    pub role: MemberRole,
}

/// A member to remove from an organisation.
#[derive(Debug, GraphQLInputObject)]
pub struct RemoveOrganisationMemberInput {
    /// The organisation to remove them from (you must be its owner).
    pub organisation_id: ID,
    /// The member's user id (`Member.userId`).
    pub user_id: ID,
}

payload!(
    /// What adding or removing an organisation member returns.
    MembersPayload {
        /// The members after the change.
        members: Option<Vec<Member>>,
    }
    from Vec<domain::Member> => with |_, members| {
        Ok((members.map(|list| list.into_iter().map(Member::from).collect()),))
    }
);

pub async fn add_member(
    ctx: &Context,
    input: AddOrganisationMemberInput,
) -> FieldResult<MembersPayload> {
    let role = input.role.into();
    ctx.mutate(
        organisation_id(&input.organisation_id),
        move |s, actor, id| s.directory().add_member(actor, &id, &input.member, role),
    )
    .await
}

pub async fn remove_member(
    ctx: &Context,
    input: RemoveOrganisationMemberInput,
) -> FieldResult<MembersPayload> {
    let decoded = organisation_id(&input.organisation_id)
        .and_then(|org| Ok((org, User::decode(&input.user_id, "userId")?)));
    ctx.mutate(decoded, |s, actor, (organisation, user)| {
        s.directory().remove_member(actor, &organisation, &user)
    })
    .await
}

fn organisation_id(id: &ID) -> linli_domain::DomainResult<OrganisationId> {
    Organisation::decode(id, "organisationId")
}
