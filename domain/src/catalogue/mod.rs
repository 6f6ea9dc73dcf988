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
