//! Volunteering values and the rules for turning attendance into minutes and points.

use chrono::{NaiveDateTime, TimeDelta};

use crate::error::{DomainError, DomainResult};
use crate::types::{
    ActivityId, CommunityId, GroupId, OrganisationId, ParticipationId, UserId, china_time,
    text_enum,
};

text_enum!(ActivityStatus {
    Draft => "DRAFT",
    Published => "PUBLISHED",
    Completed => "COMPLETED",
    Cancelled => "CANCELLED",
});

text_enum!(ParticipationStatus {
    Registered => "REGISTERED",
    Waitlisted => "WAITLISTED",
    Cancelled => "CANCELLED",
});

/// Check-in opens this long before the start and check-out closes this long after the end.
pub const GRACE: TimeDelta = TimeDelta::minutes(15);
/// The most participations one bulk verification verifies; the organiser calls it again for
/// the rest, so one request's work stays bounded whatever the activity's size.
pub const BULK_VERIFICATIONS: usize = 200;

/// Attendance shorter than this (within the activity's window) is not verified.
pub const MINIMUM_MINUTES: i64 = 15;

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::activity)]
pub struct Activity {
    pub id: ActivityId,
    /// The organising organisation; for a group's activity, the group's mentor organisation.
    pub organisation_id: OrganisationId,
    /// Set when a self-governance group runs the activity: its members organise and verify,
    /// and points come from its fund.
    pub group_id: Option<GroupId>,
    pub category_id: String,
    pub community_id: Option<CommunityId>,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: i32,
    pub seats_taken: i32,
    pub points_per_hour: i64,
    pub points_cap: i64,
    pub status: ActivityStatus,
    pub created_at: NaiveDateTime,
    /// The staff member who approved a group-run activity's rate above the district's rule.
    pub rate_approved_by: Option<UserId>,
}

impl Activity {
    /// The rule that prices attendance, recorded on every EARN it produces.
    pub fn rule(&self, daily_cap: i64) -> String {
        format!(
            "每小时 {} 分，单次上限 {} 分，每日上限 {} 分",
            self.points_per_hour, self.points_cap, daily_cap
        )
    }

    pub fn check_in_open(&self, now: NaiveDateTime) -> bool {
        now >= self.starts_at - GRACE && now <= self.ends_at + GRACE
    }

    /// Minutes of `from..until` inside the activity's own window.
    pub fn minutes_within(&self, from: NaiveDateTime, until: NaiveDateTime) -> i64 {
        let start = from.max(self.starts_at);
        let end = until.min(self.ends_at);
        (end - start).num_minutes().max(0)
    }

    /// Points for `minutes` of verified service, before the daily cap; overflow fails as
    /// anywhere points are reckoned (see `types::add_points`).
    pub fn points_for(&self, minutes: i64) -> DomainResult<i64> {
        let earned = self.points_per_hour.checked_mul(minutes).ok_or_else(|| {
            DomainError::internal(format!("points overflow pricing {minutes} minutes"))
        })?;
        Ok((earned / 60).min(self.points_cap))
    }
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    /// The organising organisation; ignored when a group runs the activity (its mentor
    /// organisation is then the organiser), required otherwise.
    pub organisation_id: Option<OrganisationId>,
    /// A group running the activity.
    pub group_id: Option<GroupId>,
    pub category_id: String,
    pub community_id: Option<CommunityId>,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: i32,
    pub points_per_hour: i64,
    pub points_cap: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub community_id: Option<CommunityId>,
    pub category_id: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    /// Activities starting at or after (default: those not yet over).
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    pub id: ParticipationId,
    pub activity_id: ActivityId,
    pub user_id: UserId,
    pub display_name: String,
    pub status: ParticipationStatus,
    /// 1 for the first in line; only for waitlisted participations.
    pub waitlist_position: Option<i64>,
    pub manual: bool,
    /// The organiser who recorded a manual attendance; they may not verify it.
    pub recorded_by: Option<UserId>,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_out_at: Option<NaiveDateTime>,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_minutes: Option<i32>,
    pub points_awarded: Option<i64>,
    /// Wrong check-in codes presented for this participation, for the organiser to see.
    pub refused_codes: i32,
    /// Set when too many wrong codes locked the check-in.
    pub code_locked_at: Option<NaiveDateTime>,
    /// Set when staff reversed what it earned: its hours no longer count as service.
    pub hours_revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// The code an organiser's screen shows now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInCode {
    pub code: String,
    pub changes_at: NaiveDateTime,
}

/// The outcome of verifying one participation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub participation: Participation,
    pub minutes: i64,
    pub points: i64,
}

/// A resident's permanent record of verified service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRecord {
    pub total_minutes: i64,
    pub activities: i64,
    /// (category id, minutes), largest first.
    pub by_category: Vec<(String, i64)>,
    /// (organisation that ran the activities, minutes), largest first; at most
    /// [`SERVICE_RECORD_ORGANISATIONS`].
    pub by_organisation: Vec<(OrganisationId, i64)>,
}

/// How many organisations a service record lists (those served longest).
pub const SERVICE_RECORD_ORGANISATIONS: usize = 50;

/// Minutes as hours with one decimal, as a service record states them (95 minutes: 1.6).
#[expect(
    clippy::as_conversions,
    reason = "tenths of an hour stay far below 2^53, where a double is exact; f64 has no From<i64>"
)]
pub fn hours(minutes: i64) -> f64 {
    // Whole tenths first, so the rounding is the integer one and never a float's.
    let tenths = (minutes.saturating_mul(10) + 30) / 60;
    tenths as f64 / 10.0
}

/// The calendar day in China Standard Time (UTC+8, no daylight saving) of an instant.
pub fn china_day(at: NaiveDateTime) -> String {
    china_time(at).format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::hours;

    #[test]
    fn hours_are_stated_to_one_decimal_rounding_half_up() {
        assert_eq!(hours(0), 0.0);
        assert_eq!(hours(90), 1.5);
        assert_eq!(hours(95), 1.6);
        assert_eq!(hours(92), 1.5);
        assert_eq!(hours(2), 0.0);
        assert_eq!(hours(3), 0.1);
    }
}
