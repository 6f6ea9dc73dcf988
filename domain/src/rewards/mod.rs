//! The business alliance (商居联盟): merchants, rewards priced in points, and two-phase
//! redemptions — points held when a resident redeems, captured when the merchant confirms the
//! counter code, released when the resident cancels or the hold expires.

pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    DistrictOverview, Merchant, MerchantDecision, MerchantFilter, MerchantStatus, NewMerchant,
    NewReward, Redemption, RedemptionStatus, Reward, RewardFilter, RewardStatus, RewardView,
    Statement, StatementLine,
};
pub use service::Rewards;
