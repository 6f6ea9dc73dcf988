//! Communities and partner organisations.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::directory::{self as domain, NewOrganisation, Review};
use linli_domain::types::{CommunityId, OrganisationId};

use super::ledger::Account;
use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::{Context, UserError, mirror_enum};

mirror_enum!(
    /// The five kinds of community in the district.
    CommunityType = linli_domain::directory::CommunityType {
        NewCommercialResidential,
        SoeLivingArea,
        OldCommunity,
        Resettlement,
        Industrial,
    }
);

mirror_enum!(
    OrganisationKind = linli_domain::directory::OrganisationKind {
        SocialOrganisation,
        Enterprise,
        PublicInstitution,
        Foundation,
        Other,
    }
);

mirror_enum!(
    /// Pending until staff verify or reject it; a verified one may later be suspended.
    OrganisationStatus = linli_domain::directory::OrganisationStatus {
        Pending,
        Verified,
        Rejected,
        Suspended,
    }
);

mirror_enum!(
    MemberRole = linli_domain::directory::MemberRole {
        Owner,
        Manager,
        Member
    }
);

#[derive(Debug, Clone)]
pub struct Community(pub domain::Community);

#[graphql_object(context = Context, impl = NodeValue)]
impl Community {
    fn id(&self) -> ID {
        GlobalId::encode("Community", self.0.id.as_str())
    }

    /// e.g. 和美社区
    fn name(&self) -> &str {
        &self.0.name
    }

    /// The street (街道) the community belongs to.
    fn street(&self) -> &str {
        &self.0.street
    }

    fn community_type(&self) -> CommunityType {
        self.0.community_type.into()
    }

    /// The community type in Chinese, e.g. 老旧院落.
    fn community_type_label(&self) -> &str {
        self.0.community_type.label_zh()
    }
}

connection!(CommunityConnection, CommunityEdge, Community, |c| c
    .0
    .id
    .to_string());

#[derive(Debug, Clone)]
pub struct Organisation(pub domain::Organisation);

#[graphql_object(context = Context, impl = NodeValue)]
impl Organisation {
    fn id(&self) -> ID {
        GlobalId::encode("Organisation", self.0.id.as_str())
    }

    fn name(&self) -> &str {
        &self.0.name
    }

    fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    fn description(&self) -> &str {
        &self.0.description
    }

    fn contact(&self) -> &str {
        &self.0.contact
    }

    fn status(&self) -> OrganisationStatus {
        self.0.status.into()
    }

    /// Why staff rejected or suspended it.
    fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        community_of(ctx, self.0.community_id.clone()).await
    }

    /// The organisation's products: published ones for everyone; its members and staff may
    /// ask for other statuses.
    async fn products(
        &self,
        ctx: &Context,
        status: Option<super::catalogue::ProductStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<super::catalogue::ProductConnection> {
        let page = ctx.answer(page_request(first, after))?;
        // The common case — the first page of published products — is batched across the
        // organisations of a page; other statuses and later pages are read one by one.
        if status.is_none() && page.after.is_none() {
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
    async fn members(&self, ctx: &Context) -> FieldResult<Vec<Member>> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.directory().members(actor, &id))
            .await;
        ctx.answer(result)
            .map(|list| list.into_iter().map(Member::from).collect())
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
    OrganisationConnection,
    OrganisationEdge,
    Organisation,
    |o| o.0.id.to_string()
);

/// A person in an organisation.
#[derive(Debug, Clone, GraphQLObject)]
pub struct Member {
    pub user_id: ID,
    pub display_name: String,
    pub role: MemberRole,
}

impl From<domain::Member> for Member {
    fn from(m: domain::Member) -> Self {
        Self {
            user_id: GlobalId::encode("User", m.user_id.as_str()),
            display_name: m.display_name,
            role: m.role.into(),
        }
    }
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct Membership {
    pub organisation: Organisation,
    pub role: MemberRole,
}

/// The community an object names, if it names one.
pub async fn community_of(
    ctx: &Context,
    id: Option<CommunityId>,
) -> FieldResult<Option<Community>> {
    let Some(id) = id else {
        return Ok(None);
    };
    super::loaders::load_one(ctx, &ctx.loaders.communities, id, "社区")
        .await
        .map(|c| Some(Community(c)))
}

pub async fn communities(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<CommunityConnection> {
    let page = ctx.answer(page_request(first, after))?;
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
    ctx.answer(result).map(|list| {
        list.into_iter()
            .map(|(o, role)| Membership {
                organisation: Organisation(o),
                role: role.into(),
            })
            .collect()
    })
}

pub async fn review_queue(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<OrganisationConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let result = ctx
        .run(move |s, actor| s.directory().review_queue(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| OrganisationConnection::from_page(p, Organisation))
}

#[derive(Debug, GraphQLInputObject)]
pub struct CreateCommunityInput {
    pub name: String,
    pub street: String,
    pub community_type: CommunityType,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct CreateCommunityPayload {
    pub community: Option<Community>,
    pub errors: Vec<UserError>,
}

pub async fn create_community(
    ctx: &Context,
    input: CreateCommunityInput,
) -> FieldResult<CreateCommunityPayload> {
    let result = ctx
        .run(move |s, actor| {
            s.directory().create_community(
                actor,
                &input.name,
                &input.street,
                input.community_type.into(),
            )
        })
        .await;
    let (community, errors) = ctx.payload(result)?;
    Ok(CreateCommunityPayload {
        community: community.map(Community),
        errors,
    })
}

#[derive(Debug, GraphQLInputObject)]
pub struct RegisterOrganisationInput {
    pub name: String,
    pub kind: OrganisationKind,
    pub description: String,
    pub community_id: Option<ID>,
    /// A phone number or address the centre can reach the organisation at.
    pub contact: String,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct OrganisationPayload {
    pub organisation: Option<Organisation>,
    pub errors: Vec<UserError>,
}

impl OrganisationPayload {
    pub fn from(
        ctx: &Context,
        result: linli_domain::DomainResult<domain::Organisation>,
    ) -> FieldResult<Self> {
        let (organisation, errors) = ctx.payload(result)?;
        Ok(Self {
            organisation: organisation.map(Organisation),
            errors,
        })
    }
}

pub async fn register_organisation(
    ctx: &Context,
    input: RegisterOrganisationInput,
) -> FieldResult<OrganisationPayload> {
    let community_id = match input
        .community_id
        .as_ref()
        .map(|id| GlobalId::expect(id, "Community", "communityId", |raw| Some(raw.to_owned())))
        .transpose()
    {
        Ok(id) => id,
        Err(e) => return OrganisationPayload::from(ctx, Err(e)),
    };
    let new = NewOrganisation {
        name: input.name,
        kind: input.kind.into(),
        description: input.description,
        community_id,
        contact: input.contact,
    };
    let result = ctx
        .run(move |s, actor| s.directory().register_organisation(actor, new))
        .await;
    OrganisationPayload::from(ctx, result)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum ReviewDecision {
    Verify,
    Reject,
}

#[derive(Debug, GraphQLInputObject)]
pub struct ReviewOrganisationInput {
    pub organisation_id: ID,
    pub decision: ReviewDecision,
    /// Required when rejecting; shown to the organisation.
    pub reason: Option<String>,
}

pub async fn review_organisation(
    ctx: &Context,
    input: ReviewOrganisationInput,
) -> FieldResult<OrganisationPayload> {
    let id = match GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return OrganisationPayload::from(ctx, Err(e)),
    };
    let review = match input.decision {
        ReviewDecision::Verify => Review::Verify,
        ReviewDecision::Reject => Review::Reject {
            reason: input.reason.unwrap_or_default(),
        },
    };
    let result = ctx
        .run(move |s, actor| s.directory().review_organisation(actor, &id, review))
        .await;
    OrganisationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct SuspendOrganisationInput {
    pub organisation_id: ID,
    pub reason: String,
}

pub async fn suspend_organisation(
    ctx: &Context,
    input: SuspendOrganisationInput,
) -> FieldResult<OrganisationPayload> {
    let id = match GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return OrganisationPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| {
            s.directory()
                .suspend_organisation(actor, &id, &input.reason)
        })
        .await;
    OrganisationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct AddOrganisationMemberInput {
    pub organisation_id: ID,
    /// The person's email address or mobile number.
    pub member: String,
    pub role: MemberRole,
}

#[derive(Debug, GraphQLInputObject)]
pub struct RemoveOrganisationMemberInput {
    pub organisation_id: ID,
    pub user_id: ID,
}

#[derive(Debug, GraphQLObject)]
pub struct MembersPayload {
    /// The members after the change.
    pub members: Option<Vec<Member>>,
    pub errors: Vec<UserError>,
}

impl MembersPayload {
    fn from(
        ctx: &Context,
        result: linli_domain::DomainResult<Vec<domain::Member>>,
    ) -> FieldResult<Self> {
        let (members, errors) = ctx.payload(result)?;
        Ok(Self {
            members: members.map(|list| list.into_iter().map(Member::from).collect()),
            errors,
        })
    }
}

pub async fn add_member(
    ctx: &Context,
    input: AddOrganisationMemberInput,
) -> FieldResult<MembersPayload> {
    let id = match GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return MembersPayload::from(ctx, Err(e)),
    };
    let role = input.role.into();
    let result = ctx
        .run(move |s, actor| s.directory().add_member(actor, &id, &input.member, role))
        .await;
    MembersPayload::from(ctx, result)
}

pub async fn remove_member(
    ctx: &Context,
    input: RemoveOrganisationMemberInput,
) -> FieldResult<MembersPayload> {
    let decoded = GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    )
    .and_then(|org| {
        Ok((
            org,
            GlobalId::expect(
                &input.user_id,
                "User",
                "userId",
                linli_domain::types::UserId::parse,
            )?,
        ))
    });
    let (organisation, user) = match decoded {
        Ok(v) => v,
        Err(e) => return MembersPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.directory().remove_member(actor, &organisation, &user))
        .await;
    MembersPayload::from(ctx, result)
}
