//! Volunteering (共创活动): activities, sign-up with a waitlist, check-in and check-out with a
//! rotating code, verification by another member, and the points and service hours it yields.

mod code;
pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    Activity, ActivityFilter, ActivityStatus, BULK_VERIFICATIONS, CheckInCode, NewActivity,
    Participation, ParticipationStatus, SERVICE_RECORD_ORGANISATIONS, ServiceRecord, Verification,
};
pub use service::Volunteering;

/// The cause a participation's EARN names.
pub const PARTICIPATION_CAUSE: &str = "participation";
