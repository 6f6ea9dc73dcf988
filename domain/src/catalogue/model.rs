//! Catalogue values and the rules on them.

use chrono::NaiveDateTime;

use crate::directory::{Community, Organisation};
use crate::error::{DomainError, DomainResult};
use crate::types::text_enum;
use crate::types::{CommunityId, OrganisationId, ProductId};

/// One node of the two-level taxonomy; ids are stable slugs (`elder-care`, `elder-canteen`).
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::category)]
pub struct Category {
    pub id: String,
    pub parent_id: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub position: i32,
}

text_enum!(
    /// 公益 free, 低偿 low-cost (subsidised), 市场 market price.
    PriceTier { Free => "FREE", LowCost => "LOW_COST", Market => "MARKET" }
);

text_enum!(
    /// draft → in review → published → retired, or in review → rejected → (edited) → in review.
    ProductStatus {
        Draft => "DRAFT",
        InReview => "IN_REVIEW",
        Published => "PUBLISHED",
        Rejected => "REJECTED",
        Retired => "RETIRED",
    }
);

/// Every column but `search_text`, which only the index reads.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::product)]
pub struct Product {
    pub id: ProductId,
    pub organisation_id: OrganisationId,
    pub category_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub price_tier: PriceTier,
    /// Price in fen (分), when the product has a cash price.
    pub price_fen: Option<i64>,
    /// What the service costs at market, in fen: a low-cost product's price is below it.
    pub market_price_fen: Option<i64>,
    pub price_points: Option<i64>,
    pub status: ProductStatus,
    /// Why staff rejected it.
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

/// A product with what every listing shows next to it, loaded in batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductView {
    pub product: Product,
    pub organisation: Organisation,
    pub category: Category,
    pub communities: Vec<Community>,
}

/// What an organisation member writes when creating or editing a product.
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub category_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub price_tier: PriceTier,
    /// Yuan as written by people: "25", "25.5", "25.50".
    pub price_yuan: Option<String>,
    /// A low-cost product's market price, written the same way; it must be higher.
    pub market_price_yuan: Option<String>,
    pub price_points: Option<i64>,
    pub community_ids: Vec<CommunityId>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// A top-level category includes its sub-categories.
    pub categories: Vec<String>,
    pub community_id: Option<CommunityId>,
    pub organisation_id: Option<OrganisationId>,
    pub price_tiers: Vec<PriceTier>,
    /// Free text, segmented like the products.
    pub text: Option<String>,
    /// Published when absent; other statuses only for staff and the organisation's members.
    pub status: Option<ProductStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductOrder {
    /// Best match first when there is search text, newest first otherwise.
    #[default]
    Relevance,
    Newest,
}

/// Parses a yuan amount with at most two decimals into fen.
pub fn parse_yuan(raw: &str) -> DomainResult<i64> {
    let invalid =
        || DomainError::invalid("priceYuan", "价格须为不超过两位小数的金额，如 25 或 25.50");
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty()
        || whole.len() > 7
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let whole: i64 = whole.parse().map_err(|_| invalid())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    Ok(whole * 100 + fraction)
}

/// Fen as yuan with two decimals.
pub fn format_yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_round_trips_through_fen() {
        assert_eq!(parse_yuan("25").unwrap(), 2500);
        assert_eq!(parse_yuan("25.5").unwrap(), 2550);
        assert_eq!(parse_yuan(" 0.05 ").unwrap(), 5);
        assert_eq!(format_yuan(2550), "25.50");
        for bad in ["", "-1", "1.234", "abc", "1e3", "12345678"] {
            assert!(parse_yuan(bad).is_err(), "{bad}");
        }
    }
}
