//! Rewards values and rules.

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, TimeDelta};

use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::sheet::{Cell, Sheet, china_cell};
use crate::types::{
    CHINA_OFFSET, CommunityId, MerchantId, OrganisationId, RedemptionId, RewardId, UserId,
    add_points, sum_points, text_enum,
};

text_enum!(MerchantStatus {
    Pending => "PENDING",
    Active => "ACTIVE",
    Suspended => "SUSPENDED",
    Rejected => "REJECTED",
});
text_enum!(RewardStatus { Active => "ACTIVE", Paused => "PAUSED", Retired => "RETIRED" });
text_enum!(RedemptionStatus {
    Pending => "PENDING",
    Confirmed => "CONFIRMED",
    Cancelled => "CANCELLED",
    Expired => "EXPIRED",
});

/// How long a redemption code stays valid before the hold is released.
pub const HOLD_TTL: TimeDelta = TimeDelta::minutes(30);

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::merchant)]
pub struct Merchant {
    pub id: MerchantId,
    pub organisation_id: OrganisationId,
    pub shop_name: String,
    pub community_id: Option<CommunityId>,
    pub address: String,
    pub category_id: String,
    pub opening_hours: String,
    pub status: MerchantStatus,
    pub created_at: NaiveDateTime,
    /// Why staff turned the application down, suspended or restored the shop.
    pub status_reason: Option<String>,
}

/// What staff decide about a merchant: an application is admitted or turned down; an active
/// shop is suspended, a suspended one restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantDecision {
    Admit,
    Reject,
    Suspend,
    Restore,
}

impl MerchantDecision {
    /// The status the decision applies to, and the one it leads to.
    pub fn step(self) -> (MerchantStatus, MerchantStatus) {
        match self {
            Self::Admit => (MerchantStatus::Pending, MerchantStatus::Active),
            Self::Reject => (MerchantStatus::Pending, MerchantStatus::Rejected),
            Self::Suspend => (MerchantStatus::Active, MerchantStatus::Suspended),
            Self::Restore => (MerchantStatus::Suspended, MerchantStatus::Active),
        }
    }

    /// Admitting needs no words; every other decision is explained to the shop.
    pub fn needs_reason(self) -> bool {
        self != Self::Admit
    }

    pub(crate) fn audit_action(self) -> &'static str {
        match self {
            Self::Admit => "merchant.admitted",
            Self::Reject => "merchant.rejected",
            Self::Suspend => "merchant.suspended",
            Self::Restore => "merchant.restored",
        }
    }
}

/// Which merchants staff look for; `text` matches any part of the shop's name or address.
#[derive(Debug, Clone, Default)]
pub struct MerchantFilter {
    pub text: Option<String>,
    pub status: Option<MerchantStatus>,
    pub community_id: Option<CommunityId>,
}

#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub organisation_id: OrganisationId,
    pub shop_name: String,
    pub community_id: Option<CommunityId>,
    pub address: String,
    pub category_id: String,
    pub opening_hours: String,
}

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::reward)]
pub struct Reward {
    pub id: RewardId,
    pub merchant_id: MerchantId,
    pub title: String,
    pub description: String,
    pub points_price: i64,
    /// Remaining; `None` is unlimited.
    pub stock: Option<i32>,
    /// At most this many redemptions per resident per `period_days`.
    pub limit_per_period: Option<i32>,
    pub period_days: i32,
    pub valid_from: NaiveDateTime,
    pub valid_until: Option<NaiveDateTime>,
    pub status: RewardStatus,
    pub created_at: NaiveDateTime,
}

impl Reward {
    pub fn available_at(&self, now: NaiveDateTime) -> bool {
        self.status == RewardStatus::Active
            && self.valid_from <= now
            && self.valid_until.is_none_or(|until| now < until)
    }
}

#[derive(Debug, Clone)]
pub struct NewReward {
    pub merchant_id: MerchantId,
    pub title: String,
    pub description: String,
    pub points_price: i64,
    pub stock: Option<i32>,
    pub limit_per_period: Option<i32>,
    /// The length of the limit's period (default 30 days).
    pub period_days: Option<i32>,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_until: Option<NaiveDateTime>,
}

/// A reward with its merchant, as a browsing page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardView {
    pub reward: Reward,
    pub merchant: Merchant,
}

#[derive(Debug, Clone, Default)]
pub struct RewardFilter {
    pub community_id: Option<CommunityId>,
    pub category_id: Option<String>,
    pub max_points: Option<i64>,
    pub merchant_id: Option<MerchantId>,
}

/// Read with its reward joined, for the title.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::redemption)]
pub struct Redemption {
    pub id: RedemptionId,
    pub reward_id: RewardId,
    #[diesel(select_expression = crate::schema::reward::title)]
    pub reward_title: String,
    pub merchant_id: MerchantId,
    pub user_id: UserId,
    pub points: i64,
    /// The counter code: shown only to the resident who redeemed, while it is pending (it is
    /// their proof at the counter, so merchants and staff never see it listed).
    #[diesel(deserialize_as = String)]
    pub code: Option<String>,
    pub status: RedemptionStatus,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl Redemption {
    /// The redemption as `viewer` may see it: without its code unless they redeemed it and it
    /// is still pending.
    pub fn seen_by(mut self, viewer: &Actor) -> Self {
        let own = viewer.user_id().is_ok_and(|me| *me == self.user_id);
        if !(own && self.status == RedemptionStatus::Pending) {
            self.code = None;
        }
        self
    }
}

/// One confirmed redemption in a merchant's monthly statement, from the ledger's capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub redemption_id: String,
    pub confirmed_at: NaiveDateTime,
    pub reward_title: String,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub merchant: Merchant,
    /// First day of the month (China Standard Time).
    pub month: NaiveDate,
    pub lines: Vec<StatementLine>,
    /// (reward title, redemptions, points), most points first.
    pub per_reward: Vec<(String, i64, i64)>,
    pub total_points: i64,
    /// The settlement the month closed into; once there is one, the statement is its captures
    /// and never changes again.
    pub settlement: Option<crate::settlement::Settlement>,
}

impl Statement {
    /// The statement as a spreadsheet ([`crate::sheet`]); `id_of` writes each redemption's
    /// id as the API names it.
    pub fn to_csv(&self, id_of: impl Fn(&str) -> String) -> Result<Vec<u8>, DomainError> {
        let mut sheet = Sheet::new(&["兑换编号", "确认时间（北京时间）", "奖励", "积分"])?;
        for line in &self.lines {
            sheet.row([
                Cell::Text(id_of(&line.redemption_id)),
                china_cell(line.confirmed_at),
                Cell::from(line.reward_title.as_str()),
                Cell::Int(line.points),
            ])?;
        }
        sheet.row([
            Cell::from("合计"),
            Cell::Empty,
            Cell::Text(format!("{} 笔", self.lines.len())),
            Cell::Int(self.total_points),
        ])?;
        sheet.finish()
    }
}

/// A counter code: 8 characters from 31 that cannot be confused when read aloud (no 0/O, 1/I/L).
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// The alliance across the district in one month, for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictOverview {
    pub month: NaiveDate,
    pub total_points: i64,
    /// The merchants that captured the most points, most first.
    pub top_merchants: Vec<(Merchant, i64)>,
    /// Captured points per community of the merchants (none: merchants without one), most
    /// first.
    pub per_community: Vec<(Option<CommunityId>, i64)>,
}

impl DistrictOverview {
    /// How many merchants the overview names.
    pub const TOP: usize = 20;

    /// Builds the overview from every merchant's captures, sorted most first.
    pub fn of(month: NaiveDate, per_merchant: Vec<(Merchant, i64)>) -> DomainResult<Self> {
        let mut per_community: Vec<(Option<CommunityId>, i64)> = Vec::new();
        for (merchant, points) in &per_merchant {
            match per_community
                .iter_mut()
                .find(|(c, _)| *c == merchant.community_id)
            {
                Some((_, total)) => *total = add_points(*total, *points)?,
                None => per_community.push((merchant.community_id.clone(), *points)),
            }
        }
        per_community.sort_by_key(|(_, points)| std::cmp::Reverse(*points));
        Ok(Self {
            month,
            total_points: sum_points(per_merchant.iter().map(|(_, p)| *p))?,
            top_merchants: per_merchant.into_iter().take(Self::TOP).collect(),
            per_community,
        })
    }
}

/// The code as the counter presents it: typed (any case, stray spaces) or the whole text a
/// scanner reads from the QR code (`linli:redeem:CODE`).
pub fn counter_code(presented: &str) -> String {
    crate::qr::code(crate::qr::REDEEM, presented).to_uppercase()
}

/// The month containing `day`, as UTC instants [start, end) of China Standard Time midnight.
pub fn month_bounds(month: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let first = month.with_day0(0)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    let to_utc = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.checked_sub_signed(CHINA_OFFSET))
    };
    Some((to_utc(first)?, to_utc(next)?))
}

/// A month as people write it, `YYYY-MM`, within the years a district's books can cover.
pub fn parse_month(raw: &str) -> DomainResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d")
        .ok()
        .filter(|m| (2000..=2100).contains(&m.year()))
        .ok_or_else(|| DomainError::invalid("month", "月份格式应为 YYYY-MM（2000 至 2100 年）"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_and_unambiguous() {
        let code = new_code();
        assert_eq!(code.len(), 8);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_ne!(new_code(), new_code());
    }

    #[test]
    fn a_scanned_qr_payload_and_a_typed_code_name_the_same_redemption() {
        assert_eq!(counter_code("linli:redeem:AB23CD45"), "AB23CD45");
        assert_eq!(counter_code(" LINLI:REDEEM:ab23cd45\n"), "AB23CD45");
        assert_eq!(counter_code("ab23cd45 "), "AB23CD45");
    }

    #[test]
    fn months_far_outside_the_books_are_refused_not_panicked_on() {
        assert!(parse_month("-262143-01").is_err());
        assert!(parse_month("1999-12").is_err());
        assert!(parse_month("2026-13").is_err());
        assert!(month_bounds(NaiveDate::MIN).is_none());
        assert_eq!(parse_month("2026-12").unwrap().month(), 12);
    }

    #[test]
    fn months_are_cut_at_beijing_midnight() {
        let (start, end) = month_bounds(NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()).unwrap();
        assert_eq!(start.to_string(), "2026-10-31 16:00:00");
        assert_eq!(end.to_string(), "2026-11-30 16:00:00");
    }
}
