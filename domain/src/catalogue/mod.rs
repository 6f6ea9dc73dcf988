//! The social-innovation product catalogue (社创产品): categories, products with a review
//! lifecycle, and Chinese full-text search.

pub mod model;
mod search;
pub mod service;
mod store;

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
