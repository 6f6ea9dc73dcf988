//! The business alliance: merchants, rewards, redemptions and statements.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::rewards::{self as domain, NewMerchant, NewReward, RewardFilter};
use linli_domain::types::{IdempotencyKey, MerchantId, RedemptionId, RewardId};

use super::directory::{Community, Organisation};
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, Points, int, mirror_enum};

mirror_enum!(
    /// Whether a merchant takes part in the business alliance.
    MerchantStatus = linli_domain::rewards::MerchantStatus {
        /// Applied and waiting for staff to admit it.
        Pending,
        /// Admitted: its rewards are offered and its operators confirm redemptions.
        Active,
        /// Suspended by staff: its rewards are not offered and it confirms no redemptions.
        Suspended,
        /// Staff turned the application down; `statusReason` says why.
        Rejected
    }
);

mirror_enum!(
    /// Whether a reward is offered.
    RewardStatus = linli_domain::rewards::RewardStatus {
        /// Offered to residents within its validity window.
        Active,
        /// Not offered for now; it can be made active again.
        Paused,
        /// Withdrawn for good.
        Retired
    }
);

mirror_enum!(
    /// PENDING holds the points until the merchant confirms, the resident cancels, or the code
    /// expires.
    RedemptionStatus = linli_domain::rewards::RedemptionStatus {
        /// The points are held and the code waits to be confirmed at the counter (for 30 minutes).
        Pending,
        /// The merchant confirmed the code and received the points.
        Confirmed,
        /// The resident cancelled; the points and the stock came back.
        Cancelled,
        /// The code's 30 minutes passed unconfirmed; the points and the stock came back.
        Expired,
    }
);

#[derive(Debug, Clone)]
pub struct Merchant(pub domain::Merchant);

/// A shop in the business-resident alliance (商居联盟) that offers rewards for points.
#[graphql_object(context = Context, impl = NodeValue)]
impl Merchant {
    /// Opaque global id.
    fn id(&self) -> ID {
        Merchant::global_id(self.0.id.as_str())
    }

    /// The shop's name as residents know it.
    fn shop_name(&self) -> &str {
        &self.0.shop_name
    }

    /// The shop's address.
    fn address(&self) -> &str {
        &self.0.address
    }

    /// When the shop is open, as the shop wrote it.
    fn opening_hours(&self) -> &str {
        &self.0.opening_hours
    }

    /// The shop's line of business, such as haircuts or repairs.
    async fn category(&self, ctx: &Context) -> FieldResult<super::catalogue::Category> {
        super::catalogue::category(ctx, self.0.category_id.clone()).await
    }

    /// Whether it takes part in the alliance.
    fn status(&self) -> MerchantStatus {
        self.0.status.into()
    }

    /// Why staff turned the application down, suspended or restored the shop.
    fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    /// When the organisation applied for the shop.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// Operators and staff: the shop's points account, which confirmed redemptions credit.
    async fn account(&self, ctx: &Context) -> FieldResult<super::ledger::Account> {
        let key = (
            linli_domain::ledger::AccountKind::Merchant,
            self.0.id.to_string(),
        );
        super::loaders::load_one(ctx, &ctx.loaders.accounts, key, "账户")
            .await
            .map(super::ledger::Account)
    }

    /// The community the shop is in; null when it named none.
    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        super::directory::community_of(ctx, self.0.community_id.clone()).await
    }

    /// The partner organisation that runs the shop; its members are the shop's operators.
    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        super::directory::organisation_by_id(ctx, self.0.organisation_id.clone()).await
    }

    /// Operators and staff: the redemptions confirmed today (the day in Chengdu by the
    /// server's clock), newest first.
    async fn confirmed_today(
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
    ) -> FieldResult<RedemptionConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.rewards().confirmed_today(actor, &id, &page))
            .await;
        ctx.answer(result)
            .map(|p| RedemptionConnection::from_page(p, Redemption))
    }

    /// Operators and staff: the shop's settlements (its closed months), newest first.
    async fn settlements(
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
    ) -> FieldResult<super::settlement::SettlementConnection> {
        super::settlement::of_merchant(ctx, &self.0.id, (first, after, last, before)).await
    }

    /// Operators and staff: a plain link to the shop's settlements as CSV, signed for the
    /// caller and valid for five minutes.
    fn settlements_csv_url(&self, ctx: &Context) -> FieldResult<String> {
        super::settlement::merchant_csv_link(ctx, &self.0.id)
    }

    /// Operators and staff: every reward of the shop, paused ones included, newest first
    /// (residents see what is on offer through `rewards`).
    async fn all_rewards(
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
    ) -> FieldResult<RewardConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.rewards().merchant_rewards(actor, &id, &page))
            .await;
        ctx.answer(result)
            .map(|p| RewardConnection::from_page(p, Reward))
    }
}

#[derive(Debug, Clone)]
pub struct Reward(pub domain::RewardView);

/// Something a merchant offers residents for volunteer points.
#[graphql_object(context = Context, impl = NodeValue)]
impl Reward {
    /// Opaque global id.
    fn id(&self) -> ID {
        Reward::global_id(self.0.reward.id.as_str())
    }

    /// What the resident gets.
    fn title(&self) -> &str {
        &self.0.reward.title
    }

    /// The merchant's description of the reward.
    fn description(&self) -> &str {
        &self.0.reward.description
    }

    /// Points it costs.
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

    /// The length in days of the period `limitPerPeriod` counts over.
    fn period_days(&self) -> i32 {
        self.0.reward.period_days
    }

    /// When it can first be redeemed.
    fn valid_from(&self) -> DateTime<Utc> {
        self.0.reward.valid_from.and_utc()
    }

    /// When it stops being redeemable; null when it has no end.
    fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.reward.valid_until.map(|t| t.and_utc())
    }

    /// Whether it is offered.
    fn status(&self) -> RewardStatus {
        self.0.reward.status.into()
    }

    /// The merchant offering it.
    fn merchant(&self) -> Merchant {
        Merchant(self.0.merchant.clone())
    }
}

connection!(
    /// A page of rewards, newest first.
    RewardConnection,
    /// A reward in a page, with its cursor.
    RewardEdge,
    Reward,
    |r| r.0.reward.id.to_string()
);

#[derive(Debug, Clone)]
pub struct Redemption(pub domain::Redemption);

/// A resident's exchange of points for a reward, from the hold to the merchant's confirmation.
#[graphql_object(context = Context, impl = NodeValue)]
impl Redemption {
    /// Opaque global id.
    fn id(&self) -> ID {
        Redemption::global_id(self.0.id.as_str())
    }

    /// What was redeemed.
    async fn reward(&self, ctx: &Context) -> FieldResult<Reward> {
        let id = self.0.reward_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.rewards, id, "奖励")
            .await
            .map(Reward)
    }

    /// The reward's title when it was redeemed (it stays on the record if the reward changes).
    fn reward_title(&self) -> &str {
        &self.0.reward_title
    }

    /// Where it is redeemed.
    async fn merchant(&self, ctx: &Context) -> FieldResult<Merchant> {
        let id = self.0.merchant_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.merchants_by_id, id, "商家")
            .await
            .map(Merchant)
    }

    /// Points held for (or paid by) the redemption.
    fn points(&self) -> Points {
        Points(self.0.points)
    }

    /// Where the redemption is: pending, confirmed, cancelled or expired.
    fn status(&self) -> RedemptionStatus {
        self.0.status.into()
    }

    /// The counter code: only for the resident who redeemed, while pending (the code is their
    /// proof at the counter, so merchants never see it listed).
    fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The code as a QR image (SVG), on the same terms as `code`.
    fn qr_svg(&self) -> Option<String> {
        let code = self.0.code.as_deref()?;
        linli_domain::qr::svg(linli_domain::qr::REDEEM, code)
    }

    /// When the code stops working unless confirmed (30 minutes after redeeming).
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at.and_utc()
    }

    /// When the resident redeemed.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.and_utc()
    }

    /// When it was confirmed, cancelled or expired; null while pending.
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(|t| t.and_utc())
    }
}

connection!(
    /// A page of redemptions, newest first.
    RedemptionConnection,
    /// A redemption in a page, with its cursor.
    RedemptionEdge,
    Redemption,
    |r| r.0.id.to_string()
);

/// One reward's confirmed redemptions in a merchant's month.
#[derive(Debug, GraphQLObject)]
pub struct StatementRewardLine {
    /// The reward's title.
    pub title: String,
    /// Its confirmed redemptions in the month.
    pub redemptions: i32,
    /// Points the merchant received for it in the month.
    pub points: Points,
}

/// One confirmed redemption in a merchant's statement.
#[derive(Debug, GraphQLObject)]
pub struct StatementLine {
    /// The redemption's id.
    pub redemption_id: ID,
    /// When the merchant confirmed it.
    pub confirmed_at: DateTime<Utc>,
    /// The reward's title when it was redeemed.
    pub reward_title: String,
    /// Points the merchant received for it.
    pub points: Points,
}

/// A merchant's month, from the ledger's captured transfers.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct MerchantStatement {
    /// The merchant the statement is for.
    pub merchant: Merchant,
    /// `YYYY-MM` (China Standard Time).
    pub month: String,
    /// Confirmed redemptions in the month.
    pub redemptions: i32,
    /// Points the merchant received in the month, matching the ledger.
    pub total_points: Points,
    /// Totals per reward, most points first.
    pub per_reward: Vec<StatementRewardLine>,
    /// Every confirmed redemption of the month.
    pub lines: Vec<StatementLine>,
    /// A plain link to the same statement as CSV, signed for the caller and valid for five
    /// minutes; ids in it are the API's global ids.
    pub csv_url: String,
    /// The settlement the month closed into; null while it is open. Once closed, the
    /// statement is the settlement's captures and never changes.
    pub settlement: Option<super::settlement::Settlement>,
}

/// What one merchant received in a month.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct MerchantTotal {
    /// The merchant these points went to.
    pub merchant: Merchant,
    /// Points it received from confirmed redemptions in the month.
    pub points: Points,
}

/// What the merchants of one community received in a month.
#[derive(Debug, GraphQLObject)]
pub struct CommunityTotal {
    /// The community; null for merchants that named none.
    pub community_id: Option<ID>,
    /// Points its merchants received from confirmed redemptions in the month.
    pub points: Points,
}

/// Staff: the alliance across the district in one month.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct DistrictOverview {
    /// The month, `YYYY-MM` (China Standard Time).
    pub month: String,
    /// Points all merchants received in the month.
    pub total_points: Points,
    /// The 20 merchants that received the most points, most first.
    pub top_merchants: Vec<MerchantTotal>,
    /// Points received by the merchants of each community, most first.
    pub per_community: Vec<CommunityTotal>,
}

/// Parses `YYYY-MM` into the month's first day.
pub async fn statement(
    ctx: &Context,
    merchant_id: ID,
    month: String,
) -> FieldResult<MerchantStatement> {
    let decoded = self::merchant_id(&merchant_id)
        .and_then(|id| Ok((id, domain::model::parse_month(&month)?)));
    let (id, month) = ctx.answer(decoded)?;
    let result = ctx
        .run(move |s, actor| s.rewards().statement(actor, &id, month))
        .await;
    let st = ctx.answer(result)?;
    let month = st.month.format("%Y-%m").to_string();
    Ok(MerchantStatement {
        csv_url: ctx.link(&format!(
            "/statements/{}/{month}.csv",
            Merchant::global_id(st.merchant.id.as_str())
        ))?,
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
                redemption_id: Redemption::global_id(&l.redemption_id),
                confirmed_at: l.confirmed_at.and_utc(),
                reward_title: l.reward_title.clone(),
                points: Points(l.points),
            })
            .collect(),
        settlement: st.settlement.map(super::settlement::Settlement),
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
                community_id: community.map(|c| Community::global_id(c.as_str())),
                points: Points(p),
            })
            .collect(),
    })
}

/// Which rewards to list; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct RewardFilterInput {
    /// Only rewards of merchants in this community.
    pub community_id: Option<ID>,
    /// The merchant's business category.
    pub category_id: Option<ID>,
    /// Only rewards costing at most this many points.
    pub max_points: Option<Points>,
    /// Only this merchant's rewards.
    pub merchant_id: Option<ID>,
}

pub async fn rewards(
    ctx: &Context,
    filter: Option<RewardFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<RewardConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let f = filter.unwrap_or_default();
    let decoded: Result<RewardFilter, DomainError> = (|| {
        Ok(RewardFilter {
            community_id: Community::decode_optional(f.community_id.as_ref(), "communityId")?,
            category_id: f.category_id.as_ref().map(super::catalogue::category_slug),
            max_points: f.max_points.map(|p| p.0),
            merchant_id: f.merchant_id.map(|id| merchant_id(&id)).transpose()?,
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

pub async fn redemption(ctx: &Context, id: RedemptionId) -> FieldResult<Redemption> {
    let result = ctx
        .run(move |s, actor| s.rewards().redemption(actor, &id))
        .await;
    ctx.answer(result).map(Redemption)
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
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<RedemptionConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let id = ctx.answer(self::merchant_id(&merchant_id))?;
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
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<RedemptionConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let result = ctx
        .run(move |s, actor| s.rewards().my_redemptions(actor, &page))
        .await;
    ctx.answer(result)
        .map(|p| RedemptionConnection::from_page(p, Redemption))
}

/// An organisation's application to join the business alliance with a shop.
#[derive(Debug, GraphQLInputObject)]
pub struct ApplyForMerchantInput {
    /// The verified organisation applying (you must be its owner).
    pub organisation_id: ID,
    /// The shop's name as residents know it.
    pub shop_name: String,
    /// The community the shop is in, if any.
    pub community_id: Option<ID>,
    /// The shop's address.
    pub address: String,
    /// Business category id, e.g. `haircut`, `elder-canteen`, `appliance-repair`.
    pub category_id: ID,
    /// When the shop is open, in words.
    pub opening_hours: String,
}

payload!(
    /// What a mutation on a merchant returns.
    MerchantPayload {
        /// The merchant after the change; null when the request was refused.
        merchant: Option<Merchant>,
    }
    from domain::Merchant => Merchant
);

pub async fn apply(ctx: &Context, input: ApplyForMerchantInput) -> FieldResult<MerchantPayload> {
    let decoded = (|| {
        Ok(NewMerchant {
            organisation_id: Organisation::decode(&input.organisation_id, "organisationId")?,
            shop_name: input.shop_name.clone(),
            community_id: Community::decode_optional(input.community_id.as_ref(), "communityId")?,
            address: input.address.clone(),
            category_id: super::catalogue::category_slug(&input.category_id),
            opening_hours: input.opening_hours.clone(),
        })
    })();
    ctx.mutate(decoded, |s, actor, new| s.rewards().apply(actor, new))
        .await
}

connection!(
    /// A page of the alliance's merchants.
    MerchantConnection,
    /// A merchant in a page, with its cursor.
    MerchantEdge,
    Merchant,
    |m| m.0.id.to_string()
);

/// Which merchants to list.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct MerchantFilterInput {
    /// Any part of the shop's name or address.
    pub text: Option<String>,
    /// Only merchants in this status.
    pub status: Option<MerchantStatus>,
    /// Only shops in this community.
    pub community_id: Option<ID>,
}

fn merchant_filter(
    input: Option<MerchantFilterInput>,
) -> Result<domain::MerchantFilter, DomainError> {
    let input = input.unwrap_or_default();
    Ok(domain::MerchantFilter {
        text: input.text,
        status: input.status.map(Into::into),
        community_id: Community::decode_optional(input.community_id.as_ref(), "communityId")?,
    })
}

pub async fn merchants(
    ctx: &Context,
    filter: Option<MerchantFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<MerchantConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let filter = ctx.answer(merchant_filter(filter))?;
    let result = ctx
        .run(move |s, actor| s.rewards().merchants(actor, &filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| MerchantConnection::from_page(p, Merchant))
}

/// What staff decide about a merchant's application.
#[derive(Debug, Clone, Copy, juniper::GraphQLEnum)]
pub enum MerchantReview {
    /// Admit it: its rewards are offered and its operators confirm redemptions.
    Admit,
    /// Turn it down, with a reason the organisation sees.
    Reject,
}

/// A staff decision on a merchant application.
#[derive(Debug, GraphQLInputObject)]
pub struct ReviewMerchantInput {
    /// The pending merchant.
    pub merchant_id: ID,
    /// Whether to admit it or turn it down.
    pub decision: MerchantReview,
    /// Required when turning it down; shown to the organisation as `statusReason`.
    pub reason: Option<String>,
}

pub async fn review_merchant(
    ctx: &Context,
    input: ReviewMerchantInput,
) -> FieldResult<MerchantPayload> {
    let decision = match input.decision {
        MerchantReview::Admit => domain::MerchantDecision::Admit,
        MerchantReview::Reject => domain::MerchantDecision::Reject,
    };
    decide_merchant(ctx, &input.merchant_id, decision, input.reason).await
}

/// A merchant to suspend or restore, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct MerchantStandingInput {
    /// The merchant.
    pub merchant_id: ID,
    /// Why, shown to the organisation as the merchant's `statusReason`.
    pub reason: String,
}

pub async fn set_merchant_standing(
    ctx: &Context,
    input: MerchantStandingInput,
    decision: domain::MerchantDecision,
) -> FieldResult<MerchantPayload> {
    decide_merchant(ctx, &input.merchant_id, decision, Some(input.reason)).await
}

async fn decide_merchant(
    ctx: &Context,
    id: &ID,
    decision: domain::MerchantDecision,
    reason: Option<String>,
) -> FieldResult<MerchantPayload> {
    ctx.mutate(merchant_id(id), move |s, actor, id| {
        s.rewards()
            .decide_merchant(actor, &id, decision, reason.as_deref())
    })
    .await
}

/// A reward a merchant offers for points.
#[derive(Debug, GraphQLInputObject)]
pub struct CreateRewardInput {
    /// The merchant offering it (you must be one of its operators).
    pub merchant_id: ID,
    /// What the resident gets.
    pub title: String,
    /// The details residents read before redeeming.
    pub description: String,
    /// Points it costs.
    pub points_price: Points,
    /// Leave empty for unlimited.
    pub stock: Option<i32>,
    /// Redemptions per resident per `periodDays` (default 30 days); empty for no limit.
    pub limit_per_period: Option<i32>,
    /// The length in days of the limit's period (default 30).
    pub period_days: Option<i32>,
    /// When it can first be redeemed (default: now).
    pub valid_from: Option<DateTime<Utc>>,
    /// When it stops being redeemable (after `validFrom`); empty for no end.
    pub valid_until: Option<DateTime<Utc>>,
    /// Optional: the same key sent again returns the object the first request made, instead
    /// of making a second one (8–100 letters, digits or `- _ . :`).
    pub idempotency_key: Option<String>,
}

payload!(
    /// What a mutation on a reward returns.
    RewardPayload {
        /// The reward after the change; null when the request was refused.
        reward: Option<Reward>,
    }
    from domain::RewardView => Reward
);

pub async fn create_reward(ctx: &Context, input: CreateRewardInput) -> FieldResult<RewardPayload> {
    let key = input.idempotency_key.as_deref().map(IdempotencyKey::parse);
    let decoded = merchant_id(&input.merchant_id).and_then(|merchant_id| {
        let new = NewReward {
            merchant_id,
            title: input.title,
            description: input.description,
            points_price: input.points_price.0,
            stock: input.stock,
            limit_per_period: input.limit_per_period,
            period_days: input.period_days,
            valid_from: input.valid_from.map(|t| t.naive_utc()),
            valid_until: input.valid_until.map(|t| t.naive_utc()),
        };
        Ok((new, key.transpose()?))
    });
    ctx.mutate(decoded, |s, actor, (new, key)| {
        s.rewards().create_reward(actor, new, key.as_ref())
    })
    .await
}

/// A reward's new status.
#[derive(Debug, GraphQLInputObject)]
pub struct SetRewardStatusInput {
    /// The reward to change (you must be one of its merchant's operators).
    pub reward_id: ID,
    /// Active offers it, paused stops it for now, retired ends it for good.
    pub status: RewardStatus,
}

pub async fn set_reward_status(
    ctx: &Context,
    input: SetRewardStatusInput,
) -> FieldResult<RewardPayload> {
    let id = Reward::decode(&input.reward_id, "rewardId");
    let status = input.status.into();
    ctx.mutate(id, move |s, actor, id| {
        s.rewards().set_reward_status(actor, &id, status)
    })
    .await
}

payload!(
    /// What a step of a redemption returns.
    RedemptionPayload {
        /// The redemption after the step; null when the request was refused.
        redemption: Option<Redemption>,
    }
    from domain::Redemption => Redemption
);

/// A reward to redeem.
#[derive(Debug, GraphQLInputObject)]
pub struct RedeemRewardInput {
    /// The reward to redeem.
    pub reward_id: ID,
    /// A fresh key per redemption; retrying with the same key is safe.
    pub idempotency_key: String,
}

pub async fn redeem(ctx: &Context, input: RedeemRewardInput) -> FieldResult<RedemptionPayload> {
    let decoded = Reward::decode(&input.reward_id, "rewardId")
        .and_then(|id| Ok((id, IdempotencyKey::parse(&input.idempotency_key)?)));
    ctx.mutate(decoded, |s, actor, (id, key)| {
        s.rewards().redeem(actor, &id, &key)
    })
    .await
}

/// A code shown at a merchant's counter.
#[derive(Debug, GraphQLInputObject)]
pub struct ConfirmRedemptionInput {
    /// The merchant confirming (you must be one of its operators).
    pub merchant_id: ID,
    /// The code the resident shows (or the scanned QR's code).
    pub code: String,
}

pub async fn confirm(
    ctx: &Context,
    input: ConfirmRedemptionInput,
) -> FieldResult<RedemptionPayload> {
    ctx.mutate(merchant_id(&input.merchant_id), move |s, actor, id| {
        s.rewards().confirm(actor, &id, &input.code)
    })
    .await
}

/// A pending redemption to cancel.
#[derive(Debug, GraphQLInputObject)]
pub struct CancelRedemptionInput {
    /// Your pending redemption.
    pub redemption_id: ID,
}

pub async fn cancel(ctx: &Context, input: CancelRedemptionInput) -> FieldResult<RedemptionPayload> {
    let id = Redemption::decode(&input.redemption_id, "redemptionId");
    ctx.mutate(id, |s, actor, id| s.rewards().cancel(actor, &id))
        .await
}

/// A pending redemption to renew.
#[derive(Debug, GraphQLInputObject)]
pub struct RenewRedemptionInput {
    /// Your pending redemption, before its code runs out.
    pub redemption_id: ID,
}

pub async fn renew(ctx: &Context, input: RenewRedemptionInput) -> FieldResult<RedemptionPayload> {
    let id = Redemption::decode(&input.redemption_id, "redemptionId");
    ctx.mutate(id, |s, actor, id| s.rewards().renew(actor, &id))
        .await
}

fn merchant_id(id: &ID) -> Result<MerchantId, DomainError> {
    Merchant::decode(id, "merchantId")
}
