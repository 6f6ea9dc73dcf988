//! The volunteer-points ledger: accounts with cached balances and immutable transfers between
//! them. It is the only code that changes a balance; other contexts post through
//! [`store::post`] inside their own transactions.

pub(crate) mod lots;
pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    Account, AccountKind, ApprovalKind, ApprovalRequest, ApprovalStatus, Cause, Counterpart,
    Direction, HistoryEntry, HistoryFilter, Lot, Movement, PointsExpiry, SystemTotals, Transfer,
    TransferCode, VerifyCheck, VerifyReport,
};
pub use service::{Adjustment, LOTS_LISTED, Ledger, Recipient, StaffMovement};
