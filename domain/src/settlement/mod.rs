//! Merchant settlement: a month's captures close into a settlement per merchant, the points
//! leave the merchant's till for the district's SETTLED account by one SETTLE transfer, and the
//! centre pays the merchant in yuan — approved by a second staff member, then marked paid with
//! the payment's reference. A closed month's statement never changes again.

pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    CloseReport, Month, Settlement, SettlementFilter, SettlementStatus, SettlementTotals,
    point_value_rule,
};
pub use service::Settlements;
