//! The product catalogue: products drafted, submitted and reviewed.

use serde_json::{Value, json};

use super::{TestApp, accepted, text_at};

pub const CREATE_PRODUCT: &str = r"
    mutation ($input: CreateProductInput!) {
        createProduct(input: $input) {
            product { id status }
            errors { field code message }
        }
    }
";

pub const SUBMIT_PRODUCT: &str = r"
    mutation ($id: ID!) {
        submitProduct(input: { productId: $id }) {
            product { status }
            errors { code }
        }
    }
";

pub const REVIEW_PRODUCT: &str = r"
    mutation ($input: ReviewProductInput!) {
        reviewProduct(input: $input) {
            product { status statusReason }
            errors { code }
        }
    }
";

/// The canteen's lunch titled `title`, served in `community`: a product's fields.
pub fn canteen_lunch(title: &str, community: &str) -> Value {
    json!({
        "categoryId": "elder-canteen",
        "title": title,
        "summary": "为社区老年人提供营养午餐",
        "description": "长者食堂每天中午供应两荤两素，八十岁以上老人享受助餐补贴。",
        "priceTier": "LOW_COST",
        "priceYuan": "12.5",
        "marketPriceYuan": "25",
        "pricePoints": 20,
        "communityIds": [community]
    })
}

impl TestApp {
    /// `member` drafts `product` for `organisation`; returns the answer.
    pub async fn create_product(&self, member: &str, organisation: &str, product: Value) -> Value {
        self.ok(
            CREATE_PRODUCT,
            json!({ "input": { "organisationId": organisation, "product": product } }),
            Some(member),
        )
        .await
    }

    /// `member` drafts `product` for `organisation`: its id.
    pub async fn draft_product(&self, member: &str, organisation: &str, product: Value) -> String {
        let data = self.create_product(member, organisation, product).await;
        text_at(accepted(&data, "createProduct"), "/product/id")
    }

    /// `member` sends `product` to review; returns the answer.
    pub async fn submit_product(&self, member: &str, product: &str) -> Value {
        self.ok(SUBMIT_PRODUCT, json!({ "id": product }), Some(member))
            .await
    }

    /// Staff publish `product`, which is in review; returns the answer.
    pub async fn publish_product(&self, product: &str) -> Value {
        let review = json!({ "productId": product, "decision": "PUBLISH" });
        self.ok(
            REVIEW_PRODUCT,
            json!({ "input": review }),
            Some(&self.staff().await),
        )
        .await
    }

    /// `product` drafted by `member` for `organisation`, submitted and published: its id.
    pub async fn published_product(
        &self,
        member: &str,
        organisation: &str,
        product: Value,
    ) -> String {
        let id = self.draft_product(member, organisation, product).await;
        accepted(&self.submit_product(member, &id).await, "submitProduct");
        accepted(&self.publish_product(&id).await, "reviewProduct");
        id
    }
}
