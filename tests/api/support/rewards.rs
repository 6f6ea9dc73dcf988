//! The business alliance: merchants admitted, rewards on offer, redemptions and their codes.

use std::future::IntoFuture;
use std::pin::Pin;

use serde_json::{Value, json};

use super::{TestApp, accepted, text_at};

pub const APPLY_FOR_MERCHANT: &str = r"
    mutation ($input: ApplyForMerchantInput!) {
        applyForMerchant(input: $input) {
            merchant { id status }
            errors { code field }
        }
    }
";

pub const ADMIT_MERCHANT: &str = r"
    mutation ($id: ID!) {
        reviewMerchant(input: { merchantId: $id, decision: ADMIT }) {
            merchant { status }
            errors { code }
        }
    }
";

pub const CREATE_REWARD: &str = r"
    mutation ($input: CreateRewardInput!) {
        createReward(input: $input) {
            reward { id stock merchant { shopName } }
            errors { code field }
        }
    }
";

pub const REDEEM_REWARD: &str = r"
    mutation ($input: RedeemRewardInput!) {
        redeemReward(input: $input) {
            redemption { id status code qrSvg points expiresAt }
            errors { code }
        }
    }
";

pub const CONFIRM_REDEMPTION: &str = r"
    mutation ($merchant: ID!, $code: String!) {
        confirmRedemption(input: { merchantId: $merchant, code: $code }) {
            redemption { status }
            errors { code field }
        }
    }
";

pub const MERCHANT_STATEMENT: &str = r"
    query ($merchant: ID!, $month: String!) {
        merchantStatement(merchantId: $merchant, month: $month) {
            totalPoints
            redemptions
            perReward { title points }
            csvUrl
        }
    }
";

const REWARD_STOCK: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Reward { stock }
        }
    }
";

/// A shop admitted to the alliance, the resident who runs it, and the enterprise (an
/// organisation) it belongs to.
pub struct Merchant {
    pub id: String,
    pub operator: String,
    pub organisation: String,
}

/// A reward about to be offered; `.await` it for its id.
pub struct NewReward<'a> {
    app: &'a TestApp,
    merchant: String,
    operator: String,
    title: String,
    points_price: i64,
    stock: Option<i64>,
    limit_per_period: Option<i64>,
}

impl TestApp {
    /// 和美理发店, admitted to the alliance.
    pub async fn merchant(&self) -> Merchant {
        self.merchant_named("和美理发店").await
    }

    /// A new resident's enterprise, verified, applies to the alliance as `shop` and is
    /// admitted.
    pub async fn merchant_named(&self, shop: &str) -> Merchant {
        let operator = self.new_resident().await;
        let organisation = self
            .register_organisation_of_kind(&operator, shop, "ENTERPRISE")
            .await;
        self.verify_organisation(&organisation).await;
        let applied = self
            .apply_for_merchant(&operator, &organisation, shop)
            .await;
        let id = text_at(accepted(&applied, "applyForMerchant"), "/merchant/id");
        let admitted = self.admit_merchant(&id).await;
        let merchant = &accepted(&admitted, "reviewMerchant")["merchant"];
        assert_eq!(merchant["status"], "ACTIVE");
        Merchant {
            id,
            operator,
            organisation,
        }
    }

    /// `operator` applies for `organisation` to join the alliance as `shop`; returns the
    /// answer.
    pub async fn apply_for_merchant(
        &self,
        operator: &str,
        organisation: &str,
        shop: &str,
    ) -> Value {
        let application = json!({
            "organisationId": organisation,
            "shopName": shop,
            "address": "成华区建设路 8 号",
            "categoryId": "haircut",
            "openingHours": "09:00–21:00"
        });
        self.ok(
            APPLY_FOR_MERCHANT,
            json!({ "input": application }),
            Some(operator),
        )
        .await
    }

    /// Staff admit the merchant `id`; returns the answer.
    pub async fn admit_merchant(&self, id: &str) -> Value {
        self.ok(
            ADMIT_MERCHANT,
            json!({ "id": id }),
            Some(&self.staff().await),
        )
        .await
    }

    /// 长者理发一次 on offer at `merchant`: 10 points, unlimited stock, no limit per resident.
    pub fn reward(&self, merchant: &Merchant) -> NewReward<'_> {
        NewReward {
            app: self,
            merchant: merchant.id.clone(),
            operator: merchant.operator.clone(),
            title: "长者理发一次".to_owned(),
            points_price: 10,
            stock: None,
            limit_per_period: None,
        }
    }

    /// `resident` redeems `reward` with the idempotency `key`; returns the answer.
    pub async fn redeem(&self, resident: &str, reward: &str, key: &str) -> Value {
        self.ok(
            REDEEM_REWARD,
            json!({ "input": { "rewardId": reward, "idempotencyKey": key } }),
            Some(resident),
        )
        .await
    }

    /// `resident` redeems `reward`, which must succeed: the redemption.
    pub async fn redemption(&self, resident: &str, reward: &str, key: &str) -> Value {
        let data = self.redeem(resident, reward, key).await;
        accepted(&data, "redeemReward")["redemption"].clone()
    }

    /// The operator of `merchant` confirms `code` at its counter; returns the answer.
    pub async fn confirm(&self, merchant: &Merchant, code: &str) -> Value {
        self.ok(
            CONFIRM_REDEMPTION,
            json!({ "merchant": merchant.id, "code": code }),
            Some(&merchant.operator),
        )
        .await
    }

    /// This month in China (UTC+8), on the app's clock: `2026-11`.
    pub fn this_month(&self) -> String {
        linli_domain::types::china_time(self.services.clock.now())
            .format("%Y-%m")
            .to_string()
    }

    /// The statement of `merchant` for this month, as its operator reads it.
    pub async fn statement(&self, merchant: &Merchant) -> Value {
        let data = self
            .ok(
                MERCHANT_STATEMENT,
                json!({ "merchant": merchant.id, "month": self.this_month() }),
                Some(&merchant.operator),
            )
            .await;
        data["merchantStatement"].clone()
    }

    /// What is left in stock of `reward` (`null` when unlimited).
    pub async fn stock(&self, reward: &str) -> Value {
        self.ok(REWARD_STOCK, json!({ "id": reward }), None).await["node"]["stock"].clone()
    }
}

impl NewReward<'_> {
    pub fn titled(mut self, title: &str) -> Self {
        title.clone_into(&mut self.title);
        self
    }

    pub fn points_price(mut self, points: i64) -> Self {
        self.points_price = points;
        self
    }

    pub fn stock(mut self, stock: i64) -> Self {
        self.stock = Some(stock);
        self
    }

    pub fn limit_per_period(mut self, redemptions: i64) -> Self {
        self.limit_per_period = Some(redemptions);
        self
    }

    async fn offer(self) -> String {
        let reward = json!({
            "merchantId": self.merchant,
            "title": self.title,
            "description": "洗剪吹",
            "pointsPrice": self.points_price,
            "stock": self.stock,
            "limitPerPeriod": self.limit_per_period
        });
        let data = self
            .app
            .ok(
                CREATE_REWARD,
                json!({ "input": reward }),
                Some(&self.operator),
            )
            .await;
        text_at(accepted(&data, "createReward"), "/reward/id")
    }
}

impl<'a> IntoFuture for NewReward<'a> {
    type Output = String;
    type IntoFuture = Pin<Box<dyn Future<Output = String> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.offer())
    }
}
