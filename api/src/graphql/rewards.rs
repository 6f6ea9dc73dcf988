//! The business alliance: merchants, rewards, redemptions and statements.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::rewards::{self as domain, NewMerchant, NewReward, RewardFilter};
use linli_domain::types::{
    CommunityId, IdempotencyKey, MerchantId, OrganisationId, RedemptionId, RewardId,
};

use super::directory::{Community, Organisation};
use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::{Context, Points, UserError, int, mirror_enum};

mirror_enum!(
    MerchantStatus = linli_domain::rewards::MerchantStatus {
        Pending,
        Active,
        Suspended
    }
);

mirror_enum!(
    RewardStatus = linli_domain::rewards::RewardStatus {
        Active,
        Paused,
        Retired
    }
);

mirror_enum!(
    /// PENDING holds the points until the merchant confirms, the resident cancels, or the code
    /// expires.
    RedemptionStatus = linli_domain::rewards::RedemptionStatus {
        Pending,
        Confirmed,
        Cancelled,
        Expired,
    }
);

#[derive(Debug, Clone)]
pub struct Merchant(pub domain::Merchant);

#[graphql_object(context = Context, impl = NodeValue)]
impl Merchant {
    fn id(&self) -> ID {
        GlobalId::encode("Merchant", self.0.id.as_str())
    }

    fn shop_name(&self) -> &str {
        &self.0.shop_name
    }

    fn address(&self) -> &str {
        &self.0.address
    }

    fn opening_hours(&self) -> &str {
        &self.0.opening_hours
    }

    /// Business category (a category id such as `haircut`).
    fn category_id(&self) -> ID {
        ID::new(self.0.category_id.clone())
    }

    fn status(&self) -> MerchantStatus {
        self.0.status.into()
    }

    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        super::directory::community_of(ctx, self.0.community_id.clone()).await
    }

    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        let id = self.0.organisation_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.organisations, id, "组织")
            .await
            .map(Organisation)
    }
}

#[derive(Debug, Clone)]
pub struct Reward(pub domain::RewardView);

#[graphql_object(context = Context, impl = NodeValue)]
impl Reward {
    fn id(&self) -> ID {
        GlobalId::encode("Reward", self.0.reward.id.as_str())
    }

    fn title(&self) -> &str {
        &self.0.reward.title
    }

    fn description(&self) -> &str {
        &self.0.reward.description
    }

    fn points_price(&self) -> Points {
        Points(self.0.reward.points_price)
    }

    /// Remaining stock; null when unlimited.
    fn stock(&self) -> Option<i32> {
        self.0.reward.stock
    }

    /// At most this many per resident per `periodDays`; null when unlimited.
    fn limit_per_period(&self) -> Option<i32> {
        self.0.reward.limit_per_period
    }

    fn period_days(&self) -> i32 {
        self.0.reward.period_days
    }

    fn valid_from(&self) -> DateTime<Utc> {
        self.0.reward.valid_from.and_utc()
    }

    fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.reward.valid_until.map(|t| t.and_utc())
    }

    fn status(&self) -> RewardStatus {
        self.0.reward.status.into()
    }

    fn merchant(&self) -> Merchant {
        Merchant(self.0.merchant.clone())
    }
}

connection!(RewardConnection, RewardEdge, Reward, |r| r
    .0
    .reward
    .id
    .to_string());

#[derive(Debug, Clone)]
pub struct Redemption(pub domain::Redemption);

impl Redemption {
    fn shows_code(&self, ctx: &Context) -> bool {
        self.0.status == domain::RedemptionStatus::Pending
            && ctx.actor.user_id().is_ok_and(|me| *me == self.0.user_id)
    }
}

#[graphql_object(context = Context)]
impl Redemption {
    fn id(&self) -> ID {
        GlobalId::encode("Redemption", self.0.id.as_str())
    }

    fn reward_id(&self) -> ID {
        GlobalId::encode("Reward", self.0.reward_id.as_str())
    }

    fn reward_title(&self) -> &str {
        &self.0.reward_title
    }

    fn merchant_id(&self) -> ID {
        GlobalId::encode("Merchant", self.0.merchant_id.as_str())
    }

    fn points(&self) -> Points {
        Points(self.0.points)
    }

    fn status(&self) -> RedemptionStatus {
        self.0.status.into()
    }

    /// The counter code: only for the resident who redeemed, while pending (the code is their
    /// proof at the counter, so merchants never see it listed).
    fn code(&self, ctx: &Context) -> Option<&str> {
        self.shows_code(ctx).then_some(self.0.code.as_str())
    }

    /// The code as a QR image (SVG), on the same terms as `code`.
    fn qr_svg(&self, ctx: &Context) -> Option<String> {
        self.shows_code(ctx)
            .then(|| domain::model::qr_svg(&self.0.code))
            .flatten()
    }

    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at.and_utc()
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(|t| t.and_utc())
    }
}

connection!(RedemptionConnection, RedemptionEdge, Redemption, |r| r
    .0
    .id
    .to_string());

#[derive(Debug, GraphQLObject)]
pub struct StatementRewardLine {
    pub title: String,
    pub redemptions: i32,
    pub points: Points,
}

#[derive(Debug, GraphQLObject)]
pub struct StatementLine {
    pub redemption_id: ID,
    pub confirmed_at: DateTime<Utc>,
    pub reward_title: String,
    pub points: Points,
}

/// A merchant's month, from the ledger's captured transfers.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct MerchantStatement {
    pub merchant: Merchant,
    /// `YYYY-MM` (China Standard Time).
    pub month: String,
    pub redemptions: i32,
    pub total_points: Points,
    pub per_reward: Vec<StatementRewardLine>,
    pub lines: Vec<StatementLine>,
    /// Download the same statement as CSV (with the access token as bearer).
    pub csv_path: String,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct MerchantTotal {
    pub merchant: Merchant,
    pub points: Points,
}

#[derive(Debug, GraphQLObject)]
pub struct CommunityTotal {
    pub community_id: Option<ID>,
    pub points: Points,
}

/// Staff: the alliance across the district in one month.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct DistrictOverview {
    pub month: String,
    pub total_points: Points,
    pub top_merchants: Vec<MerchantTotal>,
    pub per_community: Vec<CommunityTotal>,
}

/// Parses `YYYY-MM` into the month's first day.
pub async fn statement(
    ctx: &Context,
    merchant_id: ID,
    month: String,
) -> FieldResult<MerchantStatement> {
    let decoded = GlobalId::expect(&merchant_id, "Merchant", "merchantId", MerchantId::parse)
        .and_then(|id| Ok((id, domain::model::parse_month(&month)?)));
    let (id, month) = ctx.answer(decoded)?;
    let result = ctx
        .run(move |s, actor| s.rewards().statement(actor, &id, month))
        .await;
    let st = ctx.answer(result)?;
    let month = st.month.format("%Y-%m").to_string();
    Ok(MerchantStatement {
        csv_path: format!("/statements/{}/{month}.csv", st.merchant.id),
        month,
        redemptions: int(i64::try_from(st.lines.len()).unwrap_or(i64::MAX)),
        total_points: Points(st.total_points),
        per_reward: st
            .per_reward
            .iter()
            .map(|(title, n, p)| StatementRewardLine {
                title: title.clone(),
                redemptions: int(*n),
                points: Points(*p),
            })
            .collect(),
        lines: st
            .lines
            .iter()
            .map(|l| StatementLine {
                redemption_id: GlobalId::encode("Redemption", &l.redemption_id),
                confirmed_at: l.confirmed_at.and_utc(),
                reward_title: l.reward_title.clone(),
                points: Points(l.points),
            })
            .collect(),
        merchant: Merchant(st.merchant),
    })
}

pub async fn overview(ctx: &Context, month: String) -> FieldResult<DistrictOverview> {
    let day = ctx.answer(domain::model::parse_month(&month))?;
    let result = ctx
        .run(move |s, actor| s.rewards().district_overview(actor, day))
        .await;
    let overview = ctx.answer(result)?;
    Ok(DistrictOverview {
        month: overview.month.format("%Y-%m").to_string(),
        total_points: Points(overview.total_points),
        top_merchants: overview
            .top_merchants
            .into_iter()
            .map(|(m, p)| MerchantTotal {
                merchant: Merchant(m),
                points: Points(p),
            })
            .collect(),
        per_community: overview
            .per_community
            .into_iter()
            .map(|(community, p)| CommunityTotal {
                community_id: community.map(|c| GlobalId::encode("Community", c.as_str())),
                points: Points(p),
            })
            .collect(),
    })
}

#[derive(Debug, Default, GraphQLInputObject)]
pub struct RewardFilterInput {
    pub community_id: Option<ID>,
    /// The merchant's business category.
    pub category_id: Option<ID>,
    pub max_points: Option<Points>,
    pub merchant_id: Option<ID>,
}

pub async fn rewards(
    ctx: &Context,
    filter: Option<RewardFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<RewardConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let f = filter.unwrap_or_default();
    let decoded: Result<RewardFilter, DomainError> = (|| {
        Ok(RewardFilter {
            community_id: f
                .community_id
                .map(|id| GlobalId::expect(&id, "Community", "communityId", CommunityId::parse))
                .transpose()?,
            category_id: f.category_id.map(|id| id.to_string()),
            max_points: f.max_points.map(|p| p.0),
            merchant_id: f
                .merchant_id
                .map(|id| GlobalId::expect(&id, "Merchant", "merchantId", MerchantId::parse))
                .transpose()?,
        })
    })();
    let filter = ctx.answer(decoded)?;
    let result = ctx
        .run(move |s, _| s.rewards().rewards(&filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| RewardConnection::from_page(p, Reward))
}

pub async fn reward(ctx: &Context, id: RewardId) -> FieldResult<Reward> {
    let result = ctx.run(move |s, _| s.rewards().reward(&id)).await;
    ctx.answer(result).map(Reward)
}

pub async fn merchant(ctx: &Context, id: MerchantId) -> FieldResult<Merchant> {
    let result = ctx.run(move |s, _| s.rewards().merchant(&id)).await;
    ctx.answer(result).map(Merchant)
}

pub async fn merchant_redemptions(
    ctx: &Context,
    merchant_id: ID,
    status: Option<RedemptionStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<RedemptionConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let id = ctx.answer(GlobalId::expect(
        &merchant_id,
        "Merchant",
        "merchantId",
        MerchantId::parse,
    ))?;
    let status = status.map(Into::into);
    let result = ctx
        .run(move |s, actor| s.rewards().merchant_redemptions(actor, &id, status, &page))
        .await;
    ctx.answer(result)
        .map(|p| RedemptionConnection::from_page(p, Redemption))
}

pub async fn my_redemptions(
    ctx: &Context,
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<RedemptionConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let result = ctx
        .run(move |s, actor| s.rewards().my_redemptions(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| RedemptionConnection::from_page(p, Redemption))
}

#[derive(Debug, GraphQLInputObject)]
pub struct ApplyForMerchantInput {
    pub organisation_id: ID,
    pub shop_name: String,
    pub community_id: Option<ID>,
    pub address: String,
    /// Business category id, e.g. `haircut`, `elder-canteen`, `appliance-repair`.
    pub category_id: ID,
    pub opening_hours: String,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct MerchantPayload {
    pub merchant: Option<Merchant>,
    pub errors: Vec<UserError>,
}

impl MerchantPayload {
    fn from(ctx: &Context, result: Result<domain::Merchant, DomainError>) -> FieldResult<Self> {
        let (merchant, errors) = ctx.payload(result)?;
        Ok(Self {
            merchant: merchant.map(Merchant),
            errors,
        })
    }
}

pub async fn apply(ctx: &Context, input: ApplyForMerchantInput) -> FieldResult<MerchantPayload> {
    let decoded = (|| {
        Ok(NewMerchant {
            organisation_id: GlobalId::expect(
                &input.organisation_id,
                "Organisation",
                "organisationId",
                OrganisationId::parse,
            )?,
            shop_name: input.shop_name.clone(),
            community_id: input
                .community_id
                .as_ref()
                .map(|id| {
                    GlobalId::expect(id, "Community", "communityId", |raw| Some(raw.to_owned()))
                })
                .transpose()?,
            address: input.address.clone(),
            category_id: input.category_id.to_string(),
            opening_hours: input.opening_hours.clone(),
        })
    })();
    let new = match decoded {
        Ok(new) => new,
        Err(e) => return MerchantPayload::from(ctx, Err(e)),
    };
    let result = ctx.run(move |s, actor| s.rewards().apply(actor, new)).await;
    MerchantPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct MerchantIdInput {
    pub merchant_id: ID,
}

pub async fn set_merchant_status(
    ctx: &Context,
    input: MerchantIdInput,
    active: bool,
) -> FieldResult<MerchantPayload> {
    let id = match GlobalId::expect(
        &input.merchant_id,
        "Merchant",
        "merchantId",
        MerchantId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return MerchantPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.rewards().set_merchant_status(actor, &id, active))
        .await;
    MerchantPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct CreateRewardInput {
    pub merchant_id: ID,
    pub title: String,
    pub description: String,
    pub points_price: Points,
    /// Leave empty for unlimited.
    pub stock: Option<i32>,
    /// Redemptions per resident per `periodDays` (default 30 days); empty for no limit.
    pub limit_per_period: Option<i32>,
    pub period_days: Option<i32>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct RewardPayload {
    pub reward: Option<Reward>,
    pub errors: Vec<UserError>,
}

impl RewardPayload {
    async fn from(ctx: &Context, result: Result<domain::Reward, DomainError>) -> FieldResult<Self> {
        let (reward, errors) = ctx.payload(result)?;
        let reward = match reward {
            Some(r) => {
                let id = r.id.clone();
                let view = ctx.run(move |s, _| s.rewards().reward(&id)).await;
                Some(Reward(ctx.answer(view)?))
            }
            None => None,
        };
        Ok(Self { reward, errors })
    }
}

pub async fn create_reward(ctx: &Context, input: CreateRewardInput) -> FieldResult<RewardPayload> {
    let new = match GlobalId::expect(
        &input.merchant_id,
        "Merchant",
        "merchantId",
        MerchantId::parse,
    ) {
        Ok(merchant_id) => NewReward {
            merchant_id,
            title: input.title,
            description: input.description,
            points_price: input.points_price.0,
            stock: input.stock,
            limit_per_period: input.limit_per_period,
            period_days: input.period_days.unwrap_or(30),
            valid_from: input.valid_from.map(|t| t.naive_utc()),
            valid_until: input.valid_until.map(|t| t.naive_utc()),
        },
        Err(e) => return RewardPayload::from(ctx, Err(e)).await,
    };
    let result = ctx
        .run(move |s, actor| s.rewards().create_reward(actor, new))
        .await;
    RewardPayload::from(ctx, result).await
}

#[derive(Debug, GraphQLInputObject)]
pub struct SetRewardStatusInput {
    pub reward_id: ID,
    pub status: RewardStatus,
}

pub async fn set_reward_status(
    ctx: &Context,
    input: SetRewardStatusInput,
) -> FieldResult<RewardPayload> {
    let id = match GlobalId::expect(&input.reward_id, "Reward", "rewardId", RewardId::parse) {
        Ok(id) => id,
        Err(e) => return RewardPayload::from(ctx, Err(e)).await,
    };
    let status = input.status.into();
    let result = ctx
        .run(move |s, actor| s.rewards().set_reward_status(actor, &id, status))
        .await;
    RewardPayload::from(ctx, result).await
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct RedemptionPayload {
    pub redemption: Option<Redemption>,
    pub errors: Vec<UserError>,
}

impl RedemptionPayload {
    fn from(ctx: &Context, result: Result<domain::Redemption, DomainError>) -> FieldResult<Self> {
        let (redemption, errors) = ctx.payload(result)?;
        Ok(Self {
            redemption: redemption.map(Redemption),
            errors,
        })
    }
}

#[derive(Debug, GraphQLInputObject)]
pub struct RedeemRewardInput {
    pub reward_id: ID,
    /// A fresh key per redemption; retrying with the same key is safe.
    pub idempotency_key: String,
}

pub async fn redeem(ctx: &Context, input: RedeemRewardInput) -> FieldResult<RedemptionPayload> {
    let decoded = GlobalId::expect(&input.reward_id, "Reward", "rewardId", RewardId::parse)
        .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    let (id, key) = match decoded {
        Ok(v) => v,
        Err(e) => return RedemptionPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.rewards().redeem(actor, &id, &key))
        .await;
    RedemptionPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ConfirmRedemptionInput {
    pub merchant_id: ID,
    /// The code the resident shows (or the scanned QR's code).
    pub code: String,
}

pub async fn confirm(
    ctx: &Context,
    input: ConfirmRedemptionInput,
) -> FieldResult<RedemptionPayload> {
    let id = match GlobalId::expect(
        &input.merchant_id,
        "Merchant",
        "merchantId",
        MerchantId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return RedemptionPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.rewards().confirm(actor, &id, &input.code))
        .await;
    RedemptionPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct CancelRedemptionInput {
    pub redemption_id: ID,
}

pub async fn cancel(ctx: &Context, input: CancelRedemptionInput) -> FieldResult<RedemptionPayload> {
    let id = match GlobalId::expect(
        &input.redemption_id,
        "Redemption",
        "redemptionId",
        RedemptionId::parse,
    ) {
        Ok(id) => id,
        Err(e) => return RedemptionPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.rewards().cancel(actor, &id))
        .await;
    RedemptionPayload::from(ctx, result)
}
