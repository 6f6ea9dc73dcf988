//! The catalogue's SQL. Search is the one place where the engines differ: PostgreSQL reads the
//! stored `search_vector` (a generated `to_tsvector('simple', search_text)`, GIN-indexed; not in
//! the diesel schema since only that engine has it), SQLite an FTS5 table over the same text.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

use super::model::{Category, Product, ProductFilter, ProductStatus, ProductView};
use crate::db::DbConnection;
use crate::directory::{Community, Organisation};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{
    catalogue_version, category, community, organisation, product, product_community,
};
use crate::types::{CommunityId, OrganisationId, ProductId};

/// The taxonomy, once read: it changes only with a migration, which restarts Linli.
static TAXONOMY: OnceLock<Vec<Category>> = OnceLock::new();

/// The whole taxonomy: top-level categories first, then their children, each by position. Read
/// once per process, so every later call (a page of products, a category check) costs no
/// statement.
pub(crate) fn categories(conn: &mut DbConnection) -> DomainResult<Vec<Category>> {
    if let Some(taxonomy) = TAXONOMY.get() {
        return Ok(taxonomy.clone());
    }
    let loaded = category::table
        .order((category::parent_id.is_not_null(), category::position.asc()))
        .select(Category::as_select())
        .load(conn)?;
    Ok(TAXONOMY.get_or_init(|| loaded).clone())
}

/// The taxonomy if it was read already.
pub(crate) fn categories_read() -> Option<Vec<Category>> {
    TAXONOMY.get().cloned()
}

/// The catalogue's version: it moves with every committed change to what a published page shows.
pub(crate) fn version(conn: &mut DbConnection) -> DomainResult<i64> {
    Ok(catalogue_version::table
        .select(catalogue_version::version)
        .first(conn)?)
}

/// Moves the version in the transaction that changes a product, so that no instance can see
/// the change without the version that invalidates its cached pages. Product changes are
/// rare (organisers editing, staff reviewing), so waiting on this one row costs nothing.
fn bump_version(conn: &mut DbConnection) -> DomainResult<()> {
    diesel::update(catalogue_version::table)
        .set(catalogue_version::version.eq(catalogue_version::version + 1))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn insert_product(
    conn: &mut DbConnection,
    p: &Product,
    search_text: &str,
) -> DomainResult<()> {
    diesel::insert_into(product::table)
        .values((
            product::id.eq(p.id.as_str()),
            product::organisation_id.eq(p.organisation_id.as_str()),
            product::category_id.eq(&p.category_id),
            product::title.eq(&p.title),
            product::summary.eq(&p.summary),
            product::description.eq(&p.description),
            product::price_tier.eq(p.price_tier.as_str()),
            product::price_fen.eq(p.price_fen),
            product::market_price_fen.eq(p.market_price_fen),
            product::price_points.eq(p.price_points),
            product::status.eq(p.status.as_str()),
            product::status_reason.eq(p.status_reason.as_deref()),
            product::search_text.eq(search_text),
            product::created_at.eq(p.created_at),
            product::updated_at.eq(p.updated_at),
            product::published_at.eq(p.published_at),
        ))
        .execute(conn)?;
    bump_version(conn)
}

/// Rewrites a product's content while it is in one of `editable` statuses; false otherwise.
pub(crate) fn update_content(
    conn: &mut DbConnection,
    p: &Product,
    search_text: &str,
    editable: &[ProductStatus],
) -> DomainResult<bool> {
    let statuses: Vec<&str> = editable.iter().map(|s| s.as_str()).collect();
    let updated = diesel::update(
        product::table
            .filter(product::id.eq(p.id.as_str()))
            .filter(product::status.eq_any(statuses)),
    )
    .set((
        product::category_id.eq(&p.category_id),
        product::title.eq(&p.title),
        product::summary.eq(&p.summary),
        product::description.eq(&p.description),
        product::price_tier.eq(p.price_tier.as_str()),
        product::price_fen.eq(p.price_fen),
        product::market_price_fen.eq(p.market_price_fen),
        product::price_points.eq(p.price_points),
        product::search_text.eq(search_text),
        product::updated_at.eq(p.updated_at),
    ))
    .execute(conn)?;
    if updated == 1 {
        bump_version(conn)?;
    }
    Ok(updated == 1)
}

/// Moves a product from one of `from` to `to`; false when its status was none of them.
pub(crate) fn change_status(
    conn: &mut DbConnection,
    id: &ProductId,
    from: &[ProductStatus],
    to: ProductStatus,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let statuses: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let target = product::table
        .filter(product::id.eq(id.as_str()))
        .filter(product::status.eq_any(statuses));
    let updated = if to == ProductStatus::Published {
        diesel::update(target)
            .set((
                product::status.eq(to.as_str()),
                product::status_reason.eq(reason),
                product::updated_at.eq(now),
                product::published_at.eq(Some(now)),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                product::status.eq(to.as_str()),
                product::status_reason.eq(reason),
                product::updated_at.eq(now),
            ))
            .execute(conn)?
    };
    if updated == 1 {
        bump_version(conn)?;
    }
    Ok(updated == 1)
}

pub(crate) fn set_communities(
    conn: &mut DbConnection,
    id: &ProductId,
    communities: &[CommunityId],
) -> DomainResult<()> {
    diesel::delete(product_community::table.filter(product_community::product_id.eq(id.as_str())))
        .execute(conn)?;
    for community in communities {
        diesel::insert_into(product_community::table)
            .values((
                product_community::product_id.eq(id.as_str()),
                product_community::community_id.eq(community.as_str()),
            ))
            .execute(conn)?;
    }
    bump_version(conn)
}

pub(crate) fn find_product(
    conn: &mut DbConnection,
    id: &ProductId,
) -> DomainResult<Option<Product>> {
    Ok(product::table
        .find(id.as_str())
        .select(Product::as_select())
        .first(conn)
        .optional()?)
}

/// A product with its organisation, in one statement.
pub(crate) fn find_with_organisation(
    conn: &mut DbConnection,
    id: &ProductId,
) -> DomainResult<Option<(Product, Organisation)>> {
    Ok(product::table
        .inner_join(organisation::table)
        .filter(product::id.eq(id.as_str()))
        .select((Product::as_select(), Organisation::as_select()))
        .first(conn)
        .optional()?)
}

/// Products matching the filter (search text aside), restricted to `only` when given,
/// newest first, after the `after` id, at most `limit`, each with its organisation (joined:
/// one statement for the page). Returns the page and the total, counted only when asked for.
pub(crate) fn filtered(
    conn: &mut DbConnection,
    filter: &ProductFilter,
    status: ProductStatus,
    category_ids: &[String],
    only: Option<&[String]>,
    page: Option<&PageRequest>,
) -> DomainResult<(Vec<(Product, Organisation)>, i64)> {
    macro_rules! apply_filter {
        ($query:expr) => {{
            let mut q = $query
                .filter(product::status.eq(status.as_str()))
                .into_boxed();
            if !category_ids.is_empty() {
                q = q.filter(product::category_id.eq_any(category_ids.to_vec()));
            }
            if let Some(organisation) = &filter.organisation_id {
                q = q.filter(product::organisation_id.eq(organisation.as_str().to_owned()));
            }
            if !filter.price_tiers.is_empty() {
                let tiers: Vec<&'static str> =
                    filter.price_tiers.iter().map(|t| t.as_str()).collect();
                q = q.filter(product::price_tier.eq_any(tiers));
            }
            if let Some(community) = &filter.community_id {
                q = q.filter(
                    product::id.eq_any(
                        product_community::table
                            .filter(
                                product_community::community_id.eq(community.as_str().to_owned()),
                            )
                            .select(product_community::product_id),
                    ),
                );
            }
            if let Some(only) = only {
                q = q.filter(product::id.eq_any(only.to_vec()));
            }
            q
        }};
    }
    macro_rules! ordered {
        ($query:expr) => {
            match page {
                Some(page) => keyset!($query, product::id, newest_first: true, page),
                None => $query.order(product::id.desc()),
            }
        };
    }
    let rows = apply_filter!(product::table.inner_join(organisation::table));
    if page.is_some_and(|p| !p.count) {
        let rows =
            ordered!(rows.select((Product::as_select(), Organisation::as_select()))).load(conn)?;
        return Ok((rows, 0));
    }
    let count = || apply_filter!(product::table).count();
    // The count rides in the page's own statement, as a subquery the database runs once.
    let counted: Vec<(Product, Organisation, Option<i64>)> = ordered!(rows.select((
        Product::as_select(),
        Organisation::as_select(),
        count().single_value()
    )))
    .load(conn)?;
    let total = match counted.first() {
        Some((_, _, total)) => total.unwrap_or(0),
        // A page past the end has no row to carry the count.
        None => count().get_result(conn)?,
    };
    Ok((
        counted
            .into_iter()
            .map(|(product, organisation, _)| (product, organisation))
            .collect(),
        total,
    ))
}

/// Every published product of the organisations, each organisation's newest first, with its
/// organisation.
pub(crate) fn published_of_organisations(
    conn: &mut DbConnection,
    ids: &[OrganisationId],
) -> DomainResult<Vec<(Product, Organisation)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<&str> = ids.iter().map(OrganisationId::as_str).collect();
    Ok(product::table
        .inner_join(organisation::table)
        .filter(product::organisation_id.eq_any(raw))
        .filter(product::status.eq(ProductStatus::Published.as_str()))
        .order((product::organisation_id.asc(), product::id.desc()))
        .select((Product::as_select(), Organisation::as_select()))
        .load(conn)?)
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// Published products matching any of `terms`, best first (at most `limit`). Terms hold only
/// letters and digits (see `search::query_terms`), so they are safe inside each engine's query
/// syntax; they are still bound as parameters.
pub(crate) fn search(
    conn: &mut DbConnection,
    terms: &[String],
    limit: i64,
) -> DomainResult<Vec<(String, f64)>> {
    let postgres = matches!(conn, DbConnection::Pg(_));
    let hits = if postgres {
        diesel::sql_query(
            "SELECT id, CAST(ts_rank(search_vector, q) AS DOUBLE PRECISION) AS score \
             FROM product, to_tsquery('simple', $1) AS q \
             WHERE search_vector @@ q AND status = 'PUBLISHED' \
             ORDER BY score DESC, id DESC LIMIT $2",
        )
        .bind::<Text, _>(terms.join(" | "))
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<Hit>(conn)?
    } else {
        {
            let query = terms
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            // bm25 is lower for better matches; negate it so that higher is better everywhere.
            diesel::sql_query(
                "SELECT p.id AS id, -bm25(product_search) AS score \
                 FROM product_search JOIN product p ON p.rowid = product_search.rowid \
                 WHERE product_search MATCH $1 AND p.status = 'PUBLISHED' \
                 ORDER BY score DESC, p.id DESC LIMIT $2",
            )
            .bind::<Text, _>(query)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load::<Hit>(conn)?
        }
    };
    Ok(hits.into_iter().map(|h| (h.id, h.score)).collect())
}

/// Adds category and served communities to each product (read with its organisation): one
/// statement for the whole page, whatever its size, since the taxonomy is held in memory.
pub(crate) fn views(
    conn: &mut DbConnection,
    products: Vec<(Product, Organisation)>,
) -> DomainResult<Vec<ProductView>> {
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let categories: HashMap<String, Category> = categories(conn)?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let product_ids: Vec<&str> = products.iter().map(|(p, _)| p.id.as_str()).collect();
    let links: Vec<(String, Community)> = product_community::table
        .inner_join(community::table)
        .filter(product_community::product_id.eq_any(&product_ids))
        .select((product_community::product_id, Community::as_select()))
        .load(conn)?;
    let mut served: HashMap<String, Vec<Community>> = HashMap::new();
    for (product_id, community) in links {
        served.entry(product_id).or_default().push(community);
    }
    products
        .into_iter()
        .map(|(product, organisation)| {
            let category = categories
                .get(&product.category_id)
                .cloned()
                .ok_or_else(|| DomainError::internal("product without category"))?;
            let mut communities = served.remove(product.id.as_str()).unwrap_or_default();
            communities.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(ProductView {
                product,
                organisation,
                category,
                communities,
            })
        })
        .collect()
}
