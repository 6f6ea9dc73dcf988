//! Catalogue use cases: members write products, staff review them, everyone browses and
//! searches what is published.

use super::model::{
    Category, Product, ProductFilter, ProductInput, ProductOrder, ProductStatus, ProductView,
    parse_yuan,
};
use super::{search, store};
use crate::Services;
use crate::audit;
use crate::creation::{Keyed, Subject, create_once};
use crate::db::DbConnection;
use crate::directory::{self, Organisation, OrganisationStatus};
use crate::error::{DomainError, DomainResult, Problems};
use crate::identity::Actor;
use crate::page::{Page, PageRequest};
use crate::types::{CommunityId, IdempotencyKey, OrganisationId, ProductId, UserId, text};
use std::collections::HashMap;

/// Search looks at this many best matches, then filters and pages them.
const SEARCH_CANDIDATES: i64 = 1_000;

#[derive(Debug, Clone)]
pub enum ProductReview {
    Publish,
    Reject { reason: String },
}

pub struct Catalogue<'a> {
    services: &'a Services,
}

impl<'a> Catalogue<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// The whole taxonomy: top-level categories first, then their children, each by position
    /// (read from the database once per process).
    pub fn categories(&self) -> DomainResult<Vec<Category>> {
        match store::categories_read() {
            Some(taxonomy) => Ok(taxonomy),
            None => self.services.db.read(store::categories),
        }
    }

    /// The catalogue's version, which every committed change to a published page moves: a
    /// cached page made at one version is out of date at any other.
    pub fn version(&self) -> DomainResult<i64> {
        self.services.db.read(store::version)
    }

    /// One category of the taxonomy, by its slug.
    pub fn category(&self, id: &str) -> DomainResult<Category> {
        self.categories()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(DomainError::NotFound { what: "分类" })
    }

    /// The first `first` published products of each organisation, newest first, in one query
    /// for all of them (a page of organisations showing their products).
    pub fn published_of_organisations(
        &self,
        ids: &[OrganisationId],
        first: usize,
    ) -> DomainResult<HashMap<OrganisationId, Page<ProductView>>> {
        self.services.db.read(|conn| {
            let products = store::published_of_organisations(conn, ids)?;
            let mut grouped: HashMap<OrganisationId, (Vec<(Product, Organisation)>, i64)> =
                HashMap::new();
            for row in products {
                let entry = grouped.entry(row.0.organisation_id.clone()).or_default();
                entry.1 += 1;
                if entry.0.len() <= first {
                    entry.0.push(row);
                }
            }
            let shown: Vec<(Product, Organisation)> =
                grouped.values().flat_map(|(p, _)| p.clone()).collect();
            let mut views: HashMap<ProductId, ProductView> = store::views(conn, shown)?
                .into_iter()
                .map(|v| (v.product.id.clone(), v))
                .collect();
            let request = PageRequest::new(i64::try_from(first).ok(), None)?;
            Ok(ids
                .iter()
                .map(|id| {
                    let (products, total) = grouped.remove(id).unwrap_or_default();
                    let mut items: Vec<ProductView> = products
                        .iter()
                        .filter_map(|(p, _)| views.remove(&p.id))
                        .collect();
                    (
                        id.clone(),
                        Page::from_overfetch(&mut items, &request, total),
                    )
                })
                .collect())
        })
    }

    /// A member drafts a product for their organisation; with a `key`, once per key.
    #[tracing::instrument(skip_all, fields(organisation = %organisation_id))]
    pub fn create_product(
        &self,
        actor: &Actor,
        organisation_id: &OrganisationId,
        input: ProductInput,
        key: Option<&IdempotencyKey>,
    ) -> DomainResult<ProductView> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        let (fields, communities) = validate(&input)?;
        let product = Product {
            id: ProductId::generate(),
            organisation_id: organisation_id.clone(),
            category_id: fields.category_id,
            title: fields.title,
            summary: fields.summary,
            description: fields.description,
            price_tier: input.price_tier,
            price_fen: fields.price_fen,
            market_price_fen: fields.market_price_fen,
            price_points: input.price_points,
            status: ProductStatus::Draft,
            status_reason: None,
            created_at: now,
            updated_at: now,
            published_at: None,
        };
        let keyed = key.map(|key| Keyed {
            creator: user,
            key,
            request: format!("{organisation_id}{input:?}"),
        });
        let find = |conn: &mut DbConnection, id: &str| match ProductId::parse(id) {
            Some(id) => view(conn, &id),
            None => Err(DomainError::internal(
                "a creation names a product id that is not one",
            )),
        };
        create_once(self.services, Subject::Product, keyed, find, |conn, _| {
            let organisation = require_member(conn, organisation_id, user)?;
            if matches!(
                organisation.status,
                OrganisationStatus::Rejected | OrganisationStatus::Suspended
            ) {
                return Err(DomainError::OrganisationNotVerified);
            }
            let search_text = search_text(conn, &product)?;
            check_communities(conn, &communities)?;
            store::insert_product(conn, &product, &search_text)?;
            store::set_communities(conn, &product.id, &communities)?;
            Ok((product.id.to_string(), view(conn, &product.id)?))
        })
    }

    /// A member edits a draft or a rejected product (published ones are retired and redone).
    #[tracing::instrument(skip_all, fields(product = %id))]
    pub fn update_product(
        &self,
        actor: &Actor,
        id: &ProductId,
        input: ProductInput,
    ) -> DomainResult<ProductView> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        let (fields, communities) = validate(&input)?;
        self.services.db.write(|conn| {
            let current = find(conn, id)?;
            require_member(conn, &current.organisation_id, user)?;
            let product = Product {
                category_id: fields.category_id.clone(),
                title: fields.title.clone(),
                summary: fields.summary.clone(),
                description: fields.description.clone(),
                price_tier: input.price_tier,
                price_fen: fields.price_fen,
                market_price_fen: fields.market_price_fen,
                price_points: input.price_points,
                updated_at: now,
                ..current
            };
            let search_text = search_text(conn, &product)?;
            check_communities(conn, &communities)?;
            let editable = [ProductStatus::Draft, ProductStatus::Rejected];
            if !store::update_content(conn, &product, &search_text, &editable)? {
                return Err(DomainError::not_moved(
                    &product.status,
                    &editable,
                    "只能修改草稿或被退回的产品",
                ));
            }
            store::set_communities(conn, id, &communities)?;
            view(conn, id)
        })
    }

    /// A member sends a draft (or an edited rejected product) to staff for review.
    #[tracing::instrument(skip_all, fields(product = %id))]
    pub fn submit_product(&self, actor: &Actor, id: &ProductId) -> DomainResult<ProductView> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let product = find(conn, id)?;
            let organisation = require_member(conn, &product.organisation_id, user)?;
            if organisation.status != OrganisationStatus::Verified {
                return Err(DomainError::OrganisationNotVerified);
            }
            let from = [ProductStatus::Draft, ProductStatus::Rejected];
            if !store::change_status(conn, id, &from, ProductStatus::InReview, None, now)? {
                return Err(DomainError::not_moved(
                    &product.status,
                    &from,
                    "只能提交草稿或被退回的产品",
                ));
            }
            view(conn, id)
        })
    }

    /// Staff publish a product in review, or send it back with a reason.
    #[tracing::instrument(skip_all, fields(product = %id))]
    pub fn review_product(
        &self,
        actor: &Actor,
        id: &ProductId,
        review: ProductReview,
    ) -> DomainResult<ProductView> {
        let staff = actor.require_staff()?;
        let (to, reason) = match &review {
            ProductReview::Publish => (ProductStatus::Published, None),
            ProductReview::Reject { reason } => (
                ProductStatus::Rejected,
                Some(text(reason, "reason", 2, 500)?),
            ),
        };
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let product = find(conn, id)?;
            let organisation = directory::store::find_organisation(conn, &product.organisation_id)?
                .ok_or_else(|| DomainError::internal("product without organisation"))?;
            if to == ProductStatus::Published && organisation.status != OrganisationStatus::Verified
            {
                return Err(DomainError::OrganisationNotVerified);
            }
            let from = [ProductStatus::InReview];
            if !store::change_status(conn, id, &from, to, reason.as_deref(), now)? {
                return Err(DomainError::not_moved(
                    &product.status,
                    &from,
                    "只能审核待审核的产品",
                ));
            }
            let template = crate::outbox::Template::ProductReviewed {
                title: product.title.clone(),
                published: to == ProductStatus::Published,
                reason: reason.clone(),
            };
            for owner in directory::store::members(conn, &product.organisation_id)?
                .into_iter()
                .filter(|m| m.role == directory::MemberRole::Owner)
            {
                crate::outbox::notify(conn, &owner.user_id, &template, now)?;
            }
            audit::record(
                conn,
                Some(staff),
                &format!("product.{}", to.as_str().to_lowercase()),
                "product",
                id.as_str(),
                reason.as_deref().unwrap_or(""),
                now,
            )?;
            view(conn, id)
        })
    }

    /// Members (or staff) take a published product off the catalogue.
    #[tracing::instrument(skip_all, fields(product = %id))]
    pub fn retire_product(&self, actor: &Actor, id: &ProductId) -> DomainResult<ProductView> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let product = find(conn, id)?;
            if !actor.is_staff() {
                require_member(conn, &product.organisation_id, user)?;
            }
            let from = [ProductStatus::Published];
            if !store::change_status(conn, id, &from, ProductStatus::Retired, None, now)? {
                return Err(DomainError::not_moved(
                    &product.status,
                    &from,
                    "只能下架已发布的产品",
                ));
            }
            if actor.is_staff() {
                audit::record(
                    conn,
                    Some(user),
                    "product.retire",
                    "product",
                    id.as_str(),
                    &product.title,
                    now,
                )?;
            }
            view(conn, id)
        })
    }

    /// A published product is public; others only for the organisation's members and staff.
    pub fn product(&self, actor: &Actor, id: &ProductId) -> DomainResult<ProductView> {
        self.services.db.read(|conn| {
            let product = find(conn, id)?;
            if product.status != ProductStatus::Published
                && !may_see_unpublished(conn, actor, &product.organisation_id)?
            {
                return Err(DomainError::NotFound { what: "产品" });
            }
            view(conn, id)
        })
    }

    /// Browse and search. Without text: newest first with a keyset cursor. With text: best
    /// match first (or newest, if asked), among the best `SEARCH_CANDIDATES` matches.
    pub fn products(
        &self,
        actor: &Actor,
        filter: &ProductFilter,
        order: ProductOrder,
        page: &PageRequest,
    ) -> DomainResult<Page<ProductView>> {
        let status = filter.status.unwrap_or(ProductStatus::Published);
        let terms = filter
            .text
            .as_deref()
            .map(search::query_terms)
            .unwrap_or_default();
        let community = filter.community_id.clone();
        // Each statement stands on its own (a check, then the page, then what it shows), so
        // no snapshot is needed across them.
        self.services.db.read_without_snapshot(|conn| {
            if status != ProductStatus::Published {
                let allowed = match &filter.organisation_id {
                    Some(organisation) => may_see_unpublished(conn, actor, organisation)?,
                    None => actor.is_staff(),
                };
                if !allowed {
                    return Err(DomainError::Forbidden);
                }
            }
            if let Some(community) = &community {
                directory::store::find_community(conn, community)?
                    .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
            }
            let category_ids = expand_categories(conn, &filter.categories)?;
            if terms.is_empty() || status != ProductStatus::Published {
                let (products, total) =
                    store::filtered(conn, filter, status, &category_ids, None, Some(page))?;
                let mut items = store::views(conn, products)?;
                return Ok(Page::from_overfetch(&mut items, page, total));
            }
            let hits = store::search(conn, &terms, SEARCH_CANDIDATES)?;
            let ids: Vec<String> = hits.iter().map(|(id, _)| id.clone()).collect();
            let (mut matched, total) =
                store::filtered(conn, filter, status, &category_ids, Some(&ids), None)?;
            if order == ProductOrder::Relevance {
                let rank: std::collections::HashMap<&str, usize> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (id.as_str(), i))
                    .collect();
                matched
                    .sort_by_key(|(p, _)| rank.get(p.id.as_str()).copied().unwrap_or(usize::MAX));
            }
            // Ranked results page by position: a cursor is the product at the page's edge.
            let position = |cursor: &str, field: &'static str| {
                matched
                    .iter()
                    .position(|(p, _)| p.id.as_str() == cursor)
                    .ok_or_else(|| DomainError::invalid(field, "游标已失效，请重新搜索"))
            };
            let start = page
                .after
                .as_deref()
                .map(|a| position(a, "after"))
                .transpose()?;
            let end = page
                .before
                .as_deref()
                .map(|b| position(b, "before"))
                .transpose()?;
            let from = start.map_or(0, |i| i + 1);
            let until = end.unwrap_or(matched.len()).max(from);
            let mut window: Vec<(Product, Organisation)> = matched.drain(from..until).collect();
            if page.backward {
                window.reverse();
            }
            window.truncate(usize::try_from(page.limit()).unwrap_or(0));
            let mut items = store::views(conn, window)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }
}

struct Fields {
    category_id: String,
    title: String,
    summary: String,
    description: String,
    price_fen: Option<i64>,
    market_price_fen: Option<i64>,
}

/// Checks every field of a product at once, so the organiser sees all the problems together.
fn validate(input: &ProductInput) -> DomainResult<(Fields, Vec<CommunityId>)> {
    let mut problems = Problems::default();
    let price_fen = problems
        .check(input.price_yuan.as_deref().map(parse_yuan).transpose())
        .flatten();
    let market_price_fen = problems
        .check(
            input
                .market_price_yuan
                .as_deref()
                .map(|raw| parse_yuan(raw).map_err(|_| invalid_market_price()))
                .transpose(),
        )
        .flatten();
    match input.price_tier {
        super::PriceTier::LowCost => match (price_fen, market_price_fen) {
            (Some(price), Some(market)) if price < market => {}
            (Some(_), Some(_)) => problems.add(DomainError::invalid(
                "marketPriceYuan",
                "低偿价须低于市场价",
            )),
            (None, _) => problems.add(DomainError::invalid(
                "priceYuan",
                "低偿产品须标明低偿价（元）",
            )),
            (_, None) => problems.add(DomainError::invalid(
                "marketPriceYuan",
                "低偿产品须标明市场价（元），低偿价须低于它",
            )),
        },
        _ if input.market_price_yuan.is_some() => problems.add(DomainError::invalid(
            "marketPriceYuan",
            "只有低偿产品标注市场价",
        )),
        _ => {}
    }
    if input
        .price_points
        .is_some_and(|points| !(1..=1_000_000).contains(&points))
    {
        problems.add(DomainError::invalid(
            "pricePoints",
            "积分价格须在 1 到 1000000 之间",
        ));
    }
    if input.price_tier == super::PriceTier::Free
        && (input.price_yuan.is_some() || input.price_points.is_some())
    {
        problems.add(DomainError::invalid(
            "priceTier",
            "公益（免费）产品不能标价，请删除价格或改为低偿、市场价",
        ));
    }
    if input.community_ids.len() > 50 {
        problems.add(DomainError::invalid("communityIds", "服务社区最多 50 个"));
    }
    let mut communities = Vec::new();
    for id in &input.community_ids {
        if !communities.contains(id) {
            communities.push(id.clone());
        }
    }
    let category_id = problems.check(text(&input.category_id, "categoryId", 1, 40));
    let title = problems.check(text(&input.title, "title", 2, 60));
    let summary = problems.check(text(&input.summary, "summary", 2, 200));
    let description = problems.check(text(&input.description, "description", 0, 5000));
    problems.finish()?;
    Ok((
        Fields {
            category_id: category_id.unwrap_or_default(),
            title: title.unwrap_or_default(),
            summary: summary.unwrap_or_default(),
            description: description.unwrap_or_default(),
            price_fen,
            market_price_fen,
        },
        communities,
    ))
}

fn invalid_market_price() -> DomainError {
    DomainError::invalid("marketPriceYuan", "市场价格式不正确，例如 25 或 25.50")
}

fn find(conn: &mut DbConnection, id: &ProductId) -> DomainResult<Product> {
    store::find_product(conn, id)?.ok_or(DomainError::NotFound { what: "产品" })
}

fn view(conn: &mut DbConnection, id: &ProductId) -> DomainResult<ProductView> {
    let row =
        store::find_with_organisation(conn, id)?.ok_or(DomainError::NotFound { what: "产品" })?;
    store::views(conn, vec![row])?
        .pop()
        .ok_or_else(|| DomainError::internal("product view missing"))
}

/// The organisation, when `user` is one of its members; otherwise FORBIDDEN.
fn require_member(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
    user: &UserId,
) -> DomainResult<Organisation> {
    let organisation = directory::store::find_organisation(conn, organisation_id)?
        .ok_or(DomainError::NotFound { what: "组织" })?;
    if directory::store::member_role(conn, organisation_id, user)?.is_none() {
        return Err(DomainError::Forbidden);
    }
    Ok(organisation)
}

fn may_see_unpublished(
    conn: &mut DbConnection,
    actor: &Actor,
    organisation_id: &OrganisationId,
) -> DomainResult<bool> {
    Ok(match actor {
        Actor::User { .. } if actor.is_staff() => true,
        Actor::User { id, .. } => {
            directory::store::member_role(conn, organisation_id, id)?.is_some()
        }
        Actor::Anonymous => false,
    })
}

/// The segmented text of a product, with its category's names, for the search index.
fn search_text(conn: &mut DbConnection, product: &Product) -> DomainResult<String> {
    let categories = store::categories(conn)?;
    let category = categories
        .iter()
        .find(|c| c.id == product.category_id)
        .ok_or_else(|| DomainError::invalid("categoryId", "分类不存在"))?;
    let parent = category
        .parent_id
        .as_ref()
        .and_then(|p| categories.iter().find(|c| &c.id == p));
    let mut rest = vec![
        product.summary.as_str(),
        product.description.as_str(),
        category.name_zh.as_str(),
    ];
    if let Some(parent) = parent {
        rest.push(parent.name_zh.as_str());
    }
    Ok(search::document(&product.title, &rest))
}

fn check_communities(conn: &mut DbConnection, ids: &[CommunityId]) -> DomainResult<()> {
    let raw: Vec<String> = ids.iter().map(|c| c.as_str().to_owned()).collect();
    if directory::store::communities_by_ids(conn, &raw)?.len() != ids.len() {
        return Err(DomainError::invalid("communityIds", "社区不存在"));
    }
    Ok(())
}

/// Category ids to match: each given id and, for a top-level one, its children.
fn expand_categories(conn: &mut DbConnection, requested: &[String]) -> DomainResult<Vec<String>> {
    if requested.is_empty() {
        return Ok(Vec::new());
    }
    let all = store::categories(conn)?;
    let mut out = Vec::new();
    for id in requested {
        if !all.iter().any(|c| &c.id == id) {
            return Err(DomainError::invalid("categories", "分类不存在"));
        }
        out.push(id.clone());
        out.extend(
            all.iter()
                .filter(|c| c.parent_id.as_deref() == Some(id))
                .map(|c| c.id.clone()),
        );
    }
    Ok(out)
}
