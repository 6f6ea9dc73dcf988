//! The social-innovation product catalogue: categories, products, browsing and search.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::catalogue::{
    self as domain, ProductFilter, ProductInput, ProductReview, model::format_yuan,
};
use linli_domain::page::PageRequest;
use linli_domain::types::{IdempotencyKey, ProductId};

use super::directory::{Community, Organisation};
use super::relay::{GlobalId, Kind, NodeValue, connection, payload};
use super::{Context, Points, mirror_enum};

mirror_enum!(
    /// 公益 free, 低偿 low-cost, 市场 market price.
    PriceTier = linli_domain::catalogue::PriceTier {
        /// Free of charge (公益).
        Free,
        /// At a reduced, low price (低偿).
        LowCost,
        /// At the market price (市场).
        Market,
    }
);

mirror_enum!(
    /// Where a product is in its lifecycle: draft → in review → published → retired, or sent back
    /// from review as rejected.
    ProductStatus = linli_domain::catalogue::ProductStatus {
        /// Being written by the organisation; only its members and staff see it.
        Draft,
        /// Submitted and waiting for staff review; it cannot be edited meanwhile.
        InReview,
        /// In the public catalogue.
        Published,
        /// Sent back by staff with a reason (`statusReason`); it can be edited and submitted again.
        Rejected,
        /// Taken off the catalogue.
        Retired,
    }
);

mirror_enum!(
    /// Relevance orders search results by match; without search text it is newest first.
    ProductOrder = linli_domain::catalogue::ProductOrder {
        /// Best match to the search text first (newest first when there is no text).
        Relevance,
        /// Most recently created first.
        Newest,
    }
);

/// A category of the two-level taxonomy.
#[derive(Debug, Clone, GraphQLObject)]
#[graphql(context = Context, impl = NodeValue)]
pub struct Category {
    /// Opaque global id. Inputs that name a category (`categoryId`) take it, or the slug.
    pub id: ID,
    /// The category's stable slug, such as `elder-care`.
    pub slug: String,
    /// The category's name in Chinese, e.g. 助餐.
    pub name_zh: String,
    /// The category's name in English.
    pub name_en: String,
    /// The parent category's id; null for a top-level category.
    pub parent_id: Option<ID>,
    /// Sub-categories (only top-level categories have them).
    pub children: Vec<Category>,
}

impl Category {
    pub fn leaf(c: domain::Category) -> Self {
        Self {
            id: category_id(&c.id),
            parent_id: c.parent_id.as_deref().map(category_id),
            slug: c.id,
            name_zh: c.name_zh,
            name_en: c.name_en,
            children: Vec::new(),
        }
    }
}

/// A category's global id, from its slug.
pub fn category_id(slug: &str) -> ID {
    Category::global_id(slug)
}

/// The slug an input names a category by: its global id or the slug itself.
pub fn category_slug(id: &ID) -> String {
    GlobalId::decode(id)
        .filter(|g| g.kind == Category::KIND)
        .map_or_else(|| id.to_string(), |g| g.id)
}

pub async fn category(ctx: &Context, slug: String) -> FieldResult<Category> {
    let result = ctx.run(move |s, _| s.catalogue().category(&slug)).await;
    ctx.answer(result).map(Category::leaf)
}

#[derive(Debug, Clone)]
pub struct Product(pub domain::ProductView);

/// A social-innovation product (社创产品): a service an organisation offers communities, such as elder
/// care, childcare or repairs.
#[graphql_object(context = Context, impl = NodeValue)]
impl Product {
    /// Opaque global id.
    fn id(&self) -> ID {
        Product::global_id(self.0.product.id.as_str())
    }

    /// The product's name.
    fn title(&self) -> &str {
        &self.0.product.title
    }

    /// A one-line summary for lists.
    fn summary(&self) -> &str {
        &self.0.product.summary
    }

    /// The full description.
    fn description(&self) -> &str {
        &self.0.product.description
    }

    /// The product's category.
    fn category(&self) -> Category {
        Category::leaf(self.0.category.clone())
    }

    /// Whether it is free, low-cost or market-priced.
    fn price_tier(&self) -> PriceTier {
        self.0.product.price_tier.into()
    }

    /// Cash price in yuan with two decimals, e.g. "25.00".
    fn price_yuan(&self) -> Option<String> {
        self.0.product.price_fen.map(format_yuan)
    }

    /// A low-cost product's market price in yuan with two decimals: its price is below it.
    fn market_price_yuan(&self) -> Option<String> {
        self.0.product.market_price_fen.map(format_yuan)
    }

    /// Price in volunteer points, when it can be paid in points.
    fn price_points(&self) -> Option<Points> {
        self.0.product.price_points.map(Points)
    }

    /// Where it is in its lifecycle (only staff and the organisation's members see products that
    /// are not published).
    fn status(&self) -> ProductStatus {
        self.0.product.status.into()
    }

    /// Why staff sent it back.
    fn status_reason(&self) -> Option<&str> {
        self.0.product.status_reason.as_deref()
    }

    /// The organisation that offers it.
    fn organisation(&self) -> Organisation {
        Organisation(self.0.organisation.clone())
    }

    /// How residents book it, when its organisation opened it to booking; null otherwise.
    async fn booking_terms(
        &self,
        ctx: &Context,
    ) -> FieldResult<Option<super::booking::BookingTerms>> {
        super::booking::terms(ctx, self.0.product.id.clone()).await
    }

    /// Seats still free on a day; null when the product has no limit a day (0 when it takes
    /// no bookings).
    async fn seats_left(
        &self,
        ctx: &Context,
        #[graphql(description = "The day, `YYYY-MM-DD` (China Standard Time).")] day: String,
    ) -> FieldResult<Option<i32>> {
        super::booking::seats_left(ctx, self.0.product.id.clone(), day).await
    }
    /// The communities the product serves.
    fn communities(&self) -> Vec<Community> {
        self.0.communities.iter().cloned().map(Community).collect()
    }

    /// When it was first drafted.
    fn created_at(&self) -> DateTime<Utc> {
        self.0.product.created_at.and_utc()
    }

    /// When it was last changed.
    fn updated_at(&self) -> DateTime<Utc> {
        self.0.product.updated_at.and_utc()
    }

    /// When staff published it; null if they never have.
    fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.product.published_at.map(|t| t.and_utc())
    }
}

connection!(
    /// A page of social-innovation products.
    ProductConnection,
    /// A product in a page, with its cursor.
    ProductEdge,
    Product,
    |p| p.0.product.id.to_string()
);

/// Which products to list; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct ProductFilterInput {
    /// Category ids; a top-level category includes its sub-categories.
    pub categories: Option<Vec<ID>>,
    /// Only products serving this community.
    pub community_id: Option<ID>,
    /// Only products of this organisation.
    pub organisation_id: Option<ID>,
    /// Only products in one of these price tiers.
    pub price_tiers: Option<Vec<PriceTier>>,
    /// Chinese keywords, e.g. "老年人 助餐".
    pub text: Option<String>,
    /// Published when absent; other statuses for staff and the organisation's own members.
    pub status: Option<ProductStatus>,
}

fn decode_filter(input: ProductFilterInput) -> Result<ProductFilter, DomainError> {
    let text = input.text.filter(|t| !t.trim().is_empty());
    if let Some(t) = &text
        && t.chars().count() > 100
    {
        return Err(DomainError::invalid("text", "搜索词不能超过 100 个字"));
    }
    Ok(ProductFilter {
        categories: input
            .categories
            .unwrap_or_default()
            .iter()
            .map(category_slug)
            .collect(),
        community_id: Community::decode_optional(input.community_id.as_ref(), "communityId")?,
        organisation_id: Organisation::decode_optional(
            input.organisation_id.as_ref(),
            "organisationId",
        )?,
        price_tiers: input
            .price_tiers
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        text,
        status: input.status.map(Into::into),
    })
}

pub async fn products(
    ctx: &Context,
    filter: Option<ProductFilterInput>,
    order_by: Option<ProductOrder>,
    page: PageRequest,
) -> FieldResult<ProductConnection> {
    let filter = ctx.answer(decode_filter(filter.unwrap_or_default()))?;
    let order = order_by.map(Into::into).unwrap_or_default();
    let result = ctx
        .run(move |s, actor| s.catalogue().products(actor, &filter, order, &page))
        .await;
    ctx.answer(result)
        .map(|p| ProductConnection::from_page(p, Product))
}

pub async fn product(ctx: &Context, id: ProductId) -> FieldResult<Product> {
    let result = ctx
        .run(move |s, actor| s.catalogue().product(actor, &id))
        .await;
    ctx.answer(result).map(Product)
}

pub async fn categories(ctx: &Context) -> FieldResult<Vec<Category>> {
    let all = ctx.answer(ctx.run(|s, _| s.catalogue().categories()).await)?;
    let (top, children): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.parent_id.is_none());
    Ok(top
        .into_iter()
        .map(|parent| {
            let mut node = Category::leaf(parent);
            node.children = children
                .iter()
                .filter(|c| c.parent_id.as_deref() == Some(node.slug.as_str()))
                .cloned()
                .map(Category::leaf)
                .collect();
            node
        })
        .collect())
}

/// A product's own fields, as drafted or edited.
#[derive(Debug, GraphQLInputObject)]
pub struct ProductFields {
    /// The product's category (its id or its slug).
    pub category_id: ID,
    /// The product's name (2–60 characters).
    pub title: String,
    /// A one-line summary for lists (2–200 characters).
    pub summary: String,
    /// The full description (at most 5,000 characters).
    pub description: String,
    /// Whether it is free, low-cost or market-priced (a free product takes no price; a
    /// low-cost one a yuan price below its market price).
    pub price_tier: PriceTier,
    /// Yuan, e.g. "25" or "25.50".
    pub price_yuan: Option<String>,
    /// A low-cost product's market price in yuan, higher than `priceYuan`; only low-cost
    /// products take one.
    pub market_price_yuan: Option<String>,
    /// A price in volunteer points (1–1,000,000), when it can be paid in points.
    pub price_points: Option<Points>,
    /// The communities it serves (at most 50).
    pub community_ids: Option<Vec<ID>>,
}

fn decode_fields(fields: ProductFields) -> Result<ProductInput, DomainError> {
    let community_ids = fields
        .community_ids
        .unwrap_or_default()
        .iter()
        .map(|id| Community::decode(id, "communityIds"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProductInput {
        category_id: category_slug(&fields.category_id),
        title: fields.title,
        summary: fields.summary,
        description: fields.description,
        price_tier: fields.price_tier.into(),
        price_yuan: fields.price_yuan.filter(|p| !p.trim().is_empty()),
        market_price_yuan: fields.market_price_yuan.filter(|p| !p.trim().is_empty()),
        price_points: fields.price_points.map(|p| p.0),
        community_ids,
    })
}

payload!(
    /// What a mutation on a product returns.
    ProductPayload {
        /// The product after the change; null when the request was refused.
        product: Option<Product>,
    }
    from domain::ProductView => Product,
    at product_field_path
);

/// The product's own fields sit inside `input.product`; ids sit in `input`.
fn product_field_path(field: &'static str) -> Vec<&'static str> {
    const PRODUCT_FIELDS: &[&str] = &[
        "categoryId",
        "title",
        "summary",
        "description",
        "priceTier",
        "priceYuan",
        "marketPriceYuan",
        "pricePoints",
        "communityIds",
    ];
    if PRODUCT_FIELDS.contains(&field) {
        vec!["input", "product", field]
    } else {
        vec!["input", field]
    }
}

fn product_id(id: &ID) -> Result<ProductId, DomainError> {
    Product::decode(id, "productId")
}

/// A product to draft for an organisation.
#[derive(Debug, GraphQLInputObject)]
pub struct CreateProductInput {
    /// The organisation offering it (you must be a member).
    pub organisation_id: ID,
    /// The product's fields.
    pub product: ProductFields,
    /// Optional: the same key sent again returns the object the first request made, instead
    /// of making a second one (8–100 letters, digits or `- _ . :`).
    pub idempotency_key: Option<String>,
}

pub async fn create_product(
    ctx: &Context,
    input: CreateProductInput,
) -> FieldResult<ProductPayload> {
    let key = input.idempotency_key.as_deref().map(IdempotencyKey::parse);
    let decoded = Organisation::decode(&input.organisation_id, "organisationId")
        .and_then(|org| Ok((org, decode_fields(input.product)?, key.transpose()?)));
    ctx.mutate(decoded, |s, actor, (organisation, fields, key)| {
        s.catalogue()
            .create_product(actor, &organisation, fields, key.as_ref())
    })
    .await
}

/// New fields for a draft or rejected product.
#[derive(Debug, GraphQLInputObject)]
pub struct UpdateProductInput {
    /// The draft or rejected product to edit.
    pub product_id: ID,
    /// The product's fields, all of them (they replace the old ones).
    pub product: ProductFields,
}

pub async fn update_product(
    ctx: &Context,
    input: UpdateProductInput,
) -> FieldResult<ProductPayload> {
    let decoded =
        product_id(&input.product_id).and_then(|id| Ok((id, decode_fields(input.product)?)));
    ctx.mutate(decoded, |s, actor, (id, fields)| {
        s.catalogue().update_product(actor, &id, fields)
    })
    .await
}

/// Names a product.
#[derive(Debug, GraphQLInputObject)]
pub struct ProductIdInput {
    /// The product's id.
    pub product_id: ID,
}

/// Which lifecycle step a member or staff takes on a product.
#[derive(Clone, Copy)]
pub enum Step {
    Submit,
    Retire,
}

pub async fn step(ctx: &Context, input: ProductIdInput, step: Step) -> FieldResult<ProductPayload> {
    ctx.mutate(
        product_id(&input.product_id),
        move |s, actor, id| match step {
            Step::Submit => s.catalogue().submit_product(actor, &id),
            Step::Retire => s.catalogue().retire_product(actor, &id),
        },
    )
    .await
}

/// A staff decision on a product in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum ProductDecision {
    /// Publish it in the catalogue.
    Publish,
    /// Send it back to the organisation with a reason.
    Reject,
}

/// A staff decision on a product in review.
#[derive(Debug, GraphQLInputObject)]
pub struct ReviewProductInput {
    /// The product in review.
    pub product_id: ID,
    /// Whether to publish it or send it back.
    pub decision: ProductDecision,
    /// Required when rejecting; the organisation sees it.
    pub reason: Option<String>,
}

pub async fn review_product(
    ctx: &Context,
    input: ReviewProductInput,
) -> FieldResult<ProductPayload> {
    let review = match input.decision {
        ProductDecision::Publish => ProductReview::Publish,
        ProductDecision::Reject => ProductReview::Reject {
            reason: input.reason.unwrap_or_default(),
        },
    };
    ctx.mutate(product_id(&input.product_id), |s, actor, id| {
        s.catalogue().review_product(actor, &id, review)
    })
    .await
}
