//! Directory: the district's communities and partner organisations with their members.

pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{
    Community, CommunityType, Member, MemberRole, Organisation, OrganisationKind,
    OrganisationStatus, Review,
};
pub use service::{Directory, NewOrganisation, OrganisationFilter};
