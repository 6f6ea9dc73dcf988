//! The social-innovation product catalogue: categories, products, browsing and search.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::catalogue::{
    self as domain, ProductFilter, ProductInput, ProductReview, model::format_yuan,
};
use linli_domain::types::{CommunityId, OrganisationId, ProductId};

use super::directory::{Community, Organisation};
use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::{Context, Points, UserError, mirror_enum};

mirror_enum!(
    /// 公益 free, 低偿 low-cost, 市场 market price.
    PriceTier = linli_domain::catalogue::PriceTier { Free, LowCost, Market }
);

mirror_enum!(
    ProductStatus = linli_domain::catalogue::ProductStatus {
        Draft,
        InReview,
        Published,
        Rejected,
        Retired,
    }
);

mirror_enum!(
    /// Relevance orders search results by match; without search text it is newest first.
    ProductOrder = linli_domain::catalogue::ProductOrder { Relevance, Newest }
);

/// A category of the two-level taxonomy; `id` is a stable slug such as `elder-care`.
#[derive(Debug, Clone, GraphQLObject)]
pub struct Category {
    pub id: ID,
    pub name_zh: String,
    pub name_en: String,
    pub parent_id: Option<ID>,
    /// Sub-categories (only top-level categories have them).
    pub children: Vec<Category>,
}

impl Category {
    pub fn leaf(c: domain::Category) -> Self {
        Self {
            id: ID::new(c.id),
            name_zh: c.name_zh,
            name_en: c.name_en,
            parent_id: c.parent_id.map(ID::new),
            children: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Product(pub domain::ProductView);

#[graphql_object(context = Context, impl = NodeValue)]
impl Product {
    fn id(&self) -> ID {
        GlobalId::encode("Product", self.0.product.id.as_str())
    }

    fn title(&self) -> &str {
        &self.0.product.title
    }

    fn summary(&self) -> &str {
        &self.0.product.summary
    }

    fn description(&self) -> &str {
        &self.0.product.description
    }

    fn category(&self) -> Category {
        Category::leaf(self.0.category.clone())
    }

    fn price_tier(&self) -> PriceTier {
        self.0.product.price_tier.into()
    }

    /// Cash price in yuan with two decimals, e.g. "25.00".
    fn price_yuan(&self) -> Option<String> {
        self.0.product.price_fen.map(format_yuan)
    }

    /// Price in volunteer points, when it can be paid in points.
    fn price_points(&self) -> Option<Points> {
        self.0.product.price_points.map(Points)
    }

    fn status(&self) -> ProductStatus {
        self.0.product.status.into()
    }

    /// Why staff sent it back.
    fn status_reason(&self) -> Option<&str> {
        self.0.product.status_reason.as_deref()
    }

    fn organisation(&self) -> Organisation {
        Organisation(self.0.organisation.clone())
    }

    /// The communities the product serves.
    fn communities(&self) -> Vec<Community> {
        self.0.communities.iter().cloned().map(Community).collect()
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.0.product.created_at.and_utc()
    }

    fn updated_at(&self) -> DateTime<Utc> {
        self.0.product.updated_at.and_utc()
    }

    fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.product.published_at.map(|t| t.and_utc())
    }
}

connection!(ProductConnection, ProductEdge, Product, |p| p
    .0
    .product
    .id
    .to_string());

#[derive(Debug, Default, GraphQLInputObject)]
pub struct ProductFilterInput {
    /// Category ids; a top-level category includes its sub-categories.
    pub categories: Option<Vec<ID>>,
    /// Only products serving this community.
    pub community_id: Option<ID>,
    pub organisation_id: Option<ID>,
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
            .into_iter()
            .map(|id| id.to_string())
            .collect(),
        community_id: input
            .community_id
            .map(|id| GlobalId::expect(&id, "Community", "communityId", CommunityId::parse))
            .transpose()?,
        organisation_id: input
            .organisation_id
            .map(|id| {
                GlobalId::expect(&id, "Organisation", "organisationId", OrganisationId::parse)
            })
            .transpose()?,
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
    first: Option<i32>,
    after: Option<String>,
) -> FieldResult<ProductConnection> {
    let page = ctx.answer(page_request(first, after))?;
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
                .filter(|c| c.parent_id.as_deref() == Some(&*node.id))
                .cloned()
                .map(Category::leaf)
                .collect();
            node
        })
        .collect())
}

#[derive(Debug, GraphQLInputObject)]
pub struct ProductFields {
    pub category_id: ID,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub price_tier: PriceTier,
    /// Yuan, e.g. "25" or "25.50".
    pub price_yuan: Option<String>,
    pub price_points: Option<Points>,
    pub community_ids: Option<Vec<ID>>,
}

fn decode_fields(fields: ProductFields) -> Result<ProductInput, DomainError> {
    let community_ids = fields
        .community_ids
        .unwrap_or_default()
        .iter()
        .map(|id| GlobalId::expect(id, "Community", "communityIds", |raw| Some(raw.to_owned())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProductInput {
        category_id: fields.category_id.to_string(),
        title: fields.title,
        summary: fields.summary,
        description: fields.description,
        price_tier: fields.price_tier.into(),
        price_yuan: fields.price_yuan.filter(|p| !p.trim().is_empty()),
        price_points: fields.price_points.map(|p| p.0),
        community_ids,
    })
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ProductPayload {
    pub product: Option<Product>,
    pub errors: Vec<UserError>,
}

impl ProductPayload {
    fn from(ctx: &Context, result: Result<domain::ProductView, DomainError>) -> FieldResult<Self> {
        let (product, errors) = ctx.payload(result)?;
        Ok(Self {
            product: product.map(Product),
            errors,
        })
    }
}

fn product_id(id: &ID) -> Result<ProductId, DomainError> {
    GlobalId::expect(id, "Product", "productId", ProductId::parse)
}

#[derive(Debug, GraphQLInputObject)]
pub struct CreateProductInput {
    pub organisation_id: ID,
    pub product: ProductFields,
}

pub async fn create_product(
    ctx: &Context,
    input: CreateProductInput,
) -> FieldResult<ProductPayload> {
    let decoded = GlobalId::expect(
        &input.organisation_id,
        "Organisation",
        "organisationId",
        OrganisationId::parse,
    )
    .and_then(|org| Ok((org, decode_fields(input.product)?)));
    let (organisation, fields) = match decoded {
        Ok(v) => v,
        Err(e) => return ProductPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.catalogue().create_product(actor, &organisation, fields))
        .await;
    ProductPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct UpdateProductInput {
    pub product_id: ID,
    pub product: ProductFields,
}

pub async fn update_product(
    ctx: &Context,
    input: UpdateProductInput,
) -> FieldResult<ProductPayload> {
    let decoded =
        product_id(&input.product_id).and_then(|id| Ok((id, decode_fields(input.product)?)));
    let (id, fields) = match decoded {
        Ok(v) => v,
        Err(e) => return ProductPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.catalogue().update_product(actor, &id, fields))
        .await;
    ProductPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ProductIdInput {
    pub product_id: ID,
}

/// Which lifecycle step a member or staff takes on a product.
#[derive(Clone, Copy)]
pub enum Step {
    Submit,
    Retire,
}

pub async fn step(ctx: &Context, input: ProductIdInput, step: Step) -> FieldResult<ProductPayload> {
    let id = match product_id(&input.product_id) {
        Ok(id) => id,
        Err(e) => return ProductPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| match step {
            Step::Submit => s.catalogue().submit_product(actor, &id),
            Step::Retire => s.catalogue().retire_product(actor, &id),
        })
        .await;
    ProductPayload::from(ctx, result)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, juniper::GraphQLEnum)]
pub enum ProductDecision {
    Publish,
    Reject,
}

#[derive(Debug, GraphQLInputObject)]
pub struct ReviewProductInput {
    pub product_id: ID,
    pub decision: ProductDecision,
    /// Required when rejecting; the organisation sees it.
    pub reason: Option<String>,
}

pub async fn review_product(
    ctx: &Context,
    input: ReviewProductInput,
) -> FieldResult<ProductPayload> {
    let id = match product_id(&input.product_id) {
        Ok(id) => id,
        Err(e) => return ProductPayload::from(ctx, Err(e)),
    };
    let review = match input.decision {
        ProductDecision::Publish => ProductReview::Publish,
        ProductDecision::Reject => ProductReview::Reject {
            reason: input.reason.unwrap_or_default(),
        },
    };
    let result = ctx
        .run(move |s, actor| s.catalogue().review_product(actor, &id, review))
        .await;
    ProductPayload::from(ctx, result)
}
