//! Identity: people, their roles, passwords, sessions and sign-in throttling.

pub mod model;
pub mod service;
pub(crate) mod store;

pub use model::{Actor, Email, PhoneNumber, Role, User, UserStatus};
pub use service::{Identity, NewUser, ResidentFilter, Session};
