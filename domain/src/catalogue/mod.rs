//! The social-innovation product catalogue (社创产品): categories, products with a review
//! lifecycle, and Chinese full-text search.

pub mod model;
pub(crate) mod search;
pub mod service;
pub(crate) mod store;

pub use model::{
    Category, PriceTier, Product, ProductFilter, ProductInput, ProductOrder, ProductStatus,
    ProductView,
};
pub use service::{Catalogue, ProductReview};

/// True when `id` names a category (activities are categorised like products).
pub(crate) fn category_exists(
    conn: &mut crate::db::DbConnection,
    id: &str,
) -> crate::DomainResult<bool> {
    Ok(store::categories(conn)?.iter().any(|c| c.id == id))
}

/// The whole taxonomy, inside a caller's transaction.
pub(crate) fn all_categories(
    conn: &mut crate::db::DbConnection,
) -> crate::DomainResult<Vec<Category>> {
    store::categories(conn)
}

/// The organisation offering a product.
pub(crate) fn product_organisation(
    conn: &mut crate::db::DbConnection,
    id: &crate::types::ProductId,
) -> crate::DomainResult<Option<crate::types::OrganisationId>> {
    Ok(store::find_product(conn, id)?.map(|p| p.organisation_id))
}
