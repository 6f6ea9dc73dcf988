//! Linli's business rules, independent of HTTP and GraphQL.
//!
//! Each bounded context (`identity`, `directory`, `ledger`, …) has a `model` (types and rules),
//! a `store` (its SQL, crate-private) and a `service` (use cases: check who may act, run one
//! transaction, return typed results). The API layer reaches the services through [`Services`].

pub mod audit;
pub mod booking;
pub mod catalogue;
pub mod certificate;
pub mod creation;
pub mod db;
pub mod directory;
pub mod error;
pub mod identity;
pub mod incubation;
pub mod insight;
pub mod ledger;
pub mod matching;
pub mod outbox;
pub mod page;
pub mod qr;
pub mod retention;
pub mod review;
pub mod rewards;
mod schema;
pub mod settlement;
pub mod sheet;
pub mod throttle;
pub mod types;
pub mod volunteering;

use chrono::TimeDelta;

pub use error::{DomainError, DomainResult, ErrorCode, Problems};

/// Settings the services need from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a refresh token may be traded for a new session.
    pub refresh_token_ttl: TimeDelta,
    /// The most points one resident can earn on one day (China Standard Time), across all
    /// activities.
    pub daily_points_cap: i64,
    /// Where people open links from emails (password reset, email confirmation).
    pub public_url: String,
    /// The district's rule for group-run activities paid from a group's fund: above this many
    /// points an hour, staff approve the rate before the activity is published.
    pub group_points_per_hour_max: i64,
    /// Staff adjustments and reversals above this many points wait for a second staff member.
    pub dual_control_points: i64,
    /// Budget allocations above this many points wait for a second staff member.
    pub dual_control_allocation_points: i64,
    /// What the centre pays a merchant for one settled point, in fen (the district's
    /// reimbursement rule); recorded on each settlement when its month closes.
    pub point_value_fen: i64,
    /// When residents' points lapse, by the year they were earned in.
    pub points_expiry: ledger::PointsExpiry,
    /// How long a need may wait for a match, by urgency, before it is escalated.
    pub need_sla: matching::Sla,
    /// The staff member overdue needs are escalated to, by login email; unset, the
    /// longest-standing administrator ([`matching::Matching::escalation_recipient`]).
    pub need_escalation_email: Option<identity::Email>,
    /// The app's path of a need on the staff's matching board, for the escalation email: the
    /// API knows the need's global id.
    pub staff_need_path: fn(&types::NeedId) -> String,
    /// The district's certificate keys: the one that signs, and retired ones that verify.
    pub certificate_keys: std::sync::Arc<certificate::Keys>,
    /// Who certifies residents' service, as certificates print it.
    pub certificate_issuer: String,
    /// The review queue's thresholds.
    pub review: review::Thresholds,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            refresh_token_ttl: TimeDelta::days(30),
            daily_points_cap: 100,
            public_url: "http://127.0.0.1:8080".to_owned(),
            group_points_per_hour_max: 10,
            dual_control_points: 1_000,
            dual_control_allocation_points: 100_000,
            point_value_fen: 100,
            points_expiry: ledger::PointsExpiry::default(),
            need_sla: matching::Sla::default(),
            need_escalation_email: None,
            // Tools without the API (benchmarks) send no escalation email that anyone opens.
            staff_need_path: |id| format!("/staff/needs/{id}"),
            certificate_keys: std::sync::Arc::new(certificate::Keys::generate()),
            certificate_issuer: certificate::DEFAULT_ISSUER.to_owned(),
            review: review::Thresholds::default(),
        }
    }
}

/// Everything a use case needs: the database, the clock and settings. Cheap to share.
#[derive(Debug, Clone)]
pub struct Services {
    pub db: db::Database,
    /// A small pool of its own for background work (relay, sweepers, budget syncs), so that
    /// however busy it gets, it never takes a connection a person's request is waiting for.
    background: db::Database,
    pub clock: types::Clock,
    pub settings: Settings,
}

impl Services {
    /// `background` may be `db` itself where nothing runs beside requests (the command line).
    pub fn new(db: db::Database, background: db::Database, settings: Settings) -> Self {
        Self {
            db,
            background,
            clock: types::Clock::default(),
            settings,
        }
    }

    /// The same services for one request: all its work on one pinned connection
    /// ([`db::Database::pinned`]).
    pub fn pinned(&self) -> Self {
        Self {
            db: self.db.pinned(),
            ..self.clone()
        }
    }

    /// The same services for one public request (an anonymous query): pinned, with its
    /// reads on the replica while it keeps up ([`db::Database::public_view`]).
    pub fn public_view(&self) -> Self {
        Self {
            db: self.db.public_view(),
            ..self.clone()
        }
    }

    /// The same services on the background pool, for periodic jobs.
    pub fn background(&self) -> Self {
        Self {
            db: self.background.clone(),
            ..self.clone()
        }
    }

    pub fn identity(&self) -> identity::Identity<'_> {
        identity::Identity::new(self)
    }

    pub fn directory(&self) -> directory::Directory<'_> {
        directory::Directory::new(self)
    }

    pub fn ledger(&self) -> ledger::Ledger<'_> {
        ledger::Ledger::new(self)
    }

    pub fn catalogue(&self) -> catalogue::Catalogue<'_> {
        catalogue::Catalogue::new(self)
    }

    pub fn volunteering(&self) -> volunteering::Volunteering<'_> {
        volunteering::Volunteering::new(self)
    }

    pub fn certificates(&self) -> certificate::Certificates<'_> {
        certificate::Certificates::new(self)
    }

    pub fn bookings(&self) -> booking::Bookings<'_> {
        booking::Bookings::new(self)
    }

    pub fn rewards(&self) -> rewards::Rewards<'_> {
        rewards::Rewards::new(self)
    }

    pub fn outbox(&self) -> outbox::Outbox<'_> {
        outbox::Outbox::new(self)
    }

    pub fn incubation(&self) -> incubation::Incubation<'_> {
        incubation::Incubation::new(self)
    }

    pub fn matching(&self) -> matching::Matching<'_> {
        matching::Matching::new(self)
    }

    pub fn settlement(&self) -> settlement::Settlements<'_> {
        settlement::Settlements::new(self)
    }

    pub fn insight(&self) -> insight::Insight<'_> {
        insight::Insight::new(self)
    }

    pub fn audit(&self) -> audit::AuditTrail<'_> {
        audit::AuditTrail::new(self)
    }

    pub fn budgets(&self) -> throttle::Budgets<'_> {
        throttle::Budgets::new(self)
    }

    pub fn reviews(&self) -> review::Reviews<'_> {
        review::Reviews::new(self)
    }

    pub fn retention(&self) -> retention::Retention<'_> {
        retention::Retention::new(self)
    }
}
