//! The district at a glance, for the incubation centre's staff: the dashboard's figures, the
//! impact view (public, aggregates only) and its cross-tab, the points liability month by
//! month, organisations' budgets, the attendance and service-hours reports, and their CSV
//! exports. Every figure is one aggregate statement run by the database (`GROUP BY` on both
//! engines, see `store.rs`); nothing here reads a whole table into memory.

pub mod service;
mod sql;
mod store;

use chrono::{NaiveDate, NaiveDateTime};

use crate::directory::CommunityType;
use crate::error::{DomainError, DomainResult};
use crate::types::{ActivityId, CommunityId, OrganisationId, UserId, text_enum};
use crate::volunteering::ActivityStatus;
pub use service::Insight;

/// What every figure can be narrowed to. Each figure is dated by its own event (a transfer's
/// posting, an activity's start, a redemption's confirmation, a product's publication, a
/// need's posting) and placed by its own community and category (an activity's, a merchant's,
/// a need's; a product is in every community it serves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsightFilter {
    /// From this instant on (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this instant.
    pub to: Option<NaiveDateTime>,
    pub community_id: Option<CommunityId>,
    pub community_type: Option<CommunityType>,
    /// A category, or a top-level category with all its sub-categories.
    pub category_id: Option<String>,
}

impl InsightFilter {
    /// Whether the filter narrows by place (a community, a community type, a category) and
    /// not only by period: a figure reads the tables that place its events only then.
    pub(crate) fn places(&self) -> bool {
        self.community_id.is_some() || self.community_type.is_some() || self.category_id.is_some()
    }

    /// A period must end after it starts.
    pub fn check(&self) -> DomainResult<()> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if to <= from => {
                Err(DomainError::invalid("to", "结束时间须晚于开始时间"))
            }
            _ => Ok(()),
        }
    }
}

text_enum!(
    /// What the impact figures are grouped by.
    Dimension {
        Community => "COMMUNITY",
        Category => "CATEGORY",
        Organisation => "ORGANISATION",
    }
);

/// What the cross-tab is grouped by: one, two or all three dimensions, each once. Kept in
/// [`Dimension::ALL`]'s order, so the order they were asked in changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping(Vec<Dimension>);

impl Grouping {
    /// Community × category × organisation.
    pub fn all() -> Self {
        Self(Dimension::ALL.to_vec())
    }

    /// At least one dimension, none twice (`INVALID_INPUT` on `by` otherwise).
    pub fn parse(dimensions: &[Dimension]) -> DomainResult<Self> {
        if dimensions.is_empty() {
            return Err(DomainError::invalid("by", "请至少选择一个维度"));
        }
        let distinct: Vec<Dimension> = Dimension::ALL
            .iter()
            .copied()
            .filter(|d| dimensions.contains(d))
            .collect();
        if distinct.len() != dimensions.len() {
            return Err(DomainError::invalid("by", "维度不可重复"));
        }
        Ok(Self(distinct))
    }

    pub fn dimensions(&self) -> &[Dimension] {
        &self.0
    }
}

/// The figures of the impact view, for one row or one cell of the cross-tab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactFigures {
    /// Completed activities.
    pub activities_held: i64,
    /// Verified participations.
    pub participants: i64,
    pub service_minutes: i64,
    /// Points awarded for those participations.
    pub points_earned: i64,
    /// Points of confirmed redemptions at the merchants.
    pub points_redeemed: i64,
    pub products_published: i64,
    /// Needs that found a match (delivered and closed ones included).
    pub needs_matched: i64,
    /// Needs delivered (closed ones included).
    pub needs_delivered: i64,
}

/// One row of the impact view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactRow {
    /// The community's or organisation's raw id, or the category's slug.
    pub key: String,
    pub name: String,
    pub figures: ImpactFigures,
}

/// One cell of the cross-tab: a community, a category and an organisation, those it is grouped
/// by. A part is none where the table is not grouped by it, or where the figure has none (an
/// activity held in no community, a need of no organisation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactCell {
    pub community: Option<Named>,
    pub category: Option<Named>,
    pub organisation: Option<Named>,
    pub figures: ImpactFigures,
}

/// Something a figure is about: its raw id and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// Points earned (EARN) and redeemed (REDEEM_CAPTURE) in one month, China Standard Time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthPoints {
    /// The month's first day.
    pub month: NaiveDate,
    pub earned: i64,
    pub redeemed: i64,
}

/// Verified volunteering in one community (none: activities held in no community).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityHours {
    pub community: Option<Named>,
    /// Activities with at least one verified participation.
    pub activities: i64,
    pub participations: i64,
    pub minutes: i64,
}

/// A count per category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    pub category: Named,
    pub count: i64,
}

/// Needs posted in one community, and where they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityNeeds {
    pub community: Named,
    pub opened: i64,
    /// Of those, matched (delivered and closed ones included).
    pub matched: i64,
    pub closed: i64,
}

/// Confirmed redemptions at one merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRedemptions {
    pub merchant: Named,
    pub redemptions: i64,
    pub points: i64,
}

/// The district's points at the end of one month (China Standard Time), or now for the
/// month under way: the same figures as the ledger's totals, dated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiabilityMonth {
    /// The month's first day.
    pub month: NaiveDate,
    /// The instant the figures hold at: the month's end, or the end of the period.
    pub at: NaiveDateTime,
    pub issued: i64,
    /// In wallets, budgets and group funds: issued and not yet held, redeemed or expired.
    pub outstanding: i64,
    /// Of the outstanding points, those in residents' wallets.
    pub in_wallets: i64,
    pub held: i64,
    pub redeemed: i64,
    pub expired: i64,
}

/// An organisation's budget: its balance now, and what moved in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationBudget {
    pub organisation_id: OrganisationId,
    pub name: String,
    pub balance: i64,
    /// Points allocated to it by staff (ALLOCATE_BUDGET).
    pub allocated: i64,
    /// Points it paid residents for verified attendance (EARN).
    pub paid_out: i64,
    /// How many distinct residents it paid.
    pub residents_paid: i64,
}

/// Attendance and service hours of one activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityAttendance {
    pub activity_id: ActivityId,
    pub title: String,
    pub starts_at: NaiveDateTime,
    pub status: ActivityStatus,
    pub organisation: String,
    pub community: Option<String>,
    pub category: String,
    /// Sign-ups holding a seat (not waitlisted, not cancelled).
    pub signed_up: i64,
    /// Those who checked in or were recorded by hand.
    pub attended: i64,
    pub verified: i64,
    pub minutes: i64,
    pub points: i64,
}

/// One resident's verified service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentHours {
    pub user_id: UserId,
    pub name: String,
    /// The resident's own community.
    pub community: Option<String>,
    pub participations: i64,
    pub minutes: i64,
    pub points: i64,
}

/// What a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// The cross-tab: community × category × organisation.
    ImpactTable,
    /// Attendance and service hours per activity.
    Attendance,
    /// Service hours per resident.
    ResidentHours,
    OrganisationBudgets,
    /// The audit trail of staff actions.
    AuditTrail,
}

impl Export {
    pub const ALL: [Export; 5] = [
        Export::ImpactTable,
        Export::Attendance,
        Export::ResidentHours,
        Export::OrganisationBudgets,
        Export::AuditTrail,
    ];

    /// The file's name, as it appears in the download's path.
    pub fn file(self) -> &'static str {
        match self {
            Export::ImpactTable => "impact-table.csv",
            Export::Attendance => "attendance.csv",
            Export::ResidentHours => "resident-hours.csv",
            Export::OrganisationBudgets => "organisation-budgets.csv",
            Export::AuditTrail => "audit-trail.csv",
        }
    }

    pub fn from_file(file: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.file() == file)
    }
}

/// The most rows an export of events (the audit trail, an account's history) holds; a longer
/// period is refused with a request to choose a shorter one.
pub const EXPORT_ROWS: i64 = 100_000;
/// The impact view's and the cross-tab's rows in the API, most service time first.
pub const IMPACT_ROWS: i64 = 1_000;
/// The merchants the dashboard ranks.
pub const TOP_MERCHANTS: i64 = 20;
/// Communities a dashboard figure lists at most.
pub const COMMUNITY_ROWS: i64 = 500;
/// Months the liability covers at most (twenty years).
pub const LIABILITY_MONTHS: usize = 240;
