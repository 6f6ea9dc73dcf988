//! Directory: the district's communities and partner organisations with their members.

pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    Community, CommunityType, Member, MemberRole, Organisation, OrganisationKind,
    OrganisationStatus, Review,
};
/// The most organisations a person's memberships list.
pub const MEMBERSHIPS_LISTED: i64 = 50;

pub use service::{Directory, NewOrganisation, OrganisationFilter};
