//! Community needs (需求) and the staff's matching of them with products, organisations and
//! groups, with a transparent score (the district's impact figures are in `insight`).

pub mod service;
mod store;

use chrono::{NaiveDateTime, TimeDelta};

use crate::types::text_enum;
use crate::types::{CommunityId, GroupId, MatchId, NeedId, UserId};
pub use service::Matching;

text_enum!(Urgency { Low => "LOW", Medium => "MEDIUM", High => "HIGH" });

impl Urgency {
    pub fn label_zh(self) -> &'static str {
        match self {
            Urgency::Low => "低",
            Urgency::Medium => "中",
            Urgency::High => "高",
        }
    }
}
text_enum!(NeedStatus {
    Open => "OPEN",
    Matching => "MATCHING",
    Matched => "MATCHED",
    Delivered => "DELIVERED",
    Closed => "CLOSED",
    Withdrawn => "WITHDRAWN",
});
text_enum!(CandidateKind { Product => "PRODUCT", Organisation => "ORGANISATION", Group => "GROUP" });
text_enum!(MatchStatus {
    Proposed => "PROPOSED",
    Accepted => "ACCEPTED",
    Declined => "DECLINED",
    Delivered => "DELIVERED",
});

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::need)]
pub struct Need {
    pub id: NeedId,
    pub community_id: CommunityId,
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub urgency: Urgency,
    pub wanted_by: NaiveDateTime,
    pub status: NeedStatus,
    pub posted_by: UserId,
    pub group_id: Option<GroupId>,
    pub outcome: Option<String>,
    pub residents_served: Option<i32>,
    pub created_at: NaiveDateTime,
    /// When it should have a match by: posted plus the SLA of its urgency, fixed when posted.
    pub sla_due_at: NaiveDateTime,
    /// The staff member it was escalated to when its SLA passed without a match.
    pub escalated_to: Option<UserId>,
    pub escalated_at: Option<NaiveDateTime>,
}

/// Needs still waiting for a match: a proposal the offering side has not accepted yet does not
/// count as one.
pub const UNMATCHED: [NeedStatus; 2] = [NeedStatus::Open, NeedStatus::Matching];

impl Need {
    /// Past its wanted-by date and still without a match.
    pub fn overdue(&self, now: NaiveDateTime) -> bool {
        UNMATCHED.contains(&self.status) && self.wanted_by < now
    }

    /// Past its SLA and still without a match: what the board puts first and the sweep
    /// escalates.
    pub fn past_sla(&self, now: NaiveDateTime) -> bool {
        UNMATCHED.contains(&self.status) && self.sla_due_at < now
    }
}

/// How long a need may wait for a match, by urgency (`LINLI_NEED_SLA_HOURS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub high: TimeDelta,
    pub medium: TimeDelta,
    pub low: TimeDelta,
}

impl Default for Sla {
    fn default() -> Self {
        Self {
            high: TimeDelta::hours(24),
            medium: TimeDelta::hours(72),
            low: TimeDelta::hours(168),
        }
    }
}

impl Sla {
    /// The longest SLA accepted: a year.
    const MAX_HOURS: i64 = 8_760;

    pub fn of(&self, urgency: Urgency) -> TimeDelta {
        match urgency {
            Urgency::High => self.high,
            Urgency::Medium => self.medium,
            Urgency::Low => self.low,
        }
    }

    /// `HIGH:24,MEDIUM:72,LOW:168` (hours); an urgency left out keeps its default.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut sla = Self::default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, hours) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?}: expected URGENCY:HOURS, e.g. HIGH:24"))?;
            let urgency = Urgency::parse(name.trim())
                .ok_or_else(|| format!("{name:?}: expected HIGH, MEDIUM or LOW"))?;
            let hours = hours
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=Self::MAX_HOURS).contains(h))
                .ok_or_else(|| {
                    format!(
                        "{part:?}: expected whole hours from 1 to {}",
                        Self::MAX_HOURS
                    )
                })?;
            let slot = match urgency {
                Urgency::High => &mut sla.high,
                Urgency::Medium => &mut sla.medium,
                Urgency::Low => &mut sla.low,
            };
            *slot = TimeDelta::hours(hours);
        }
        Ok(sla)
    }
}

/// How a list of needs is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NeedOrder {
    /// Soonest wanted-by date first.
    #[default]
    WantedBy,
    /// The matching board's order: needs past their SLA without a match first, then the
    /// soonest SLA.
    UrgentFirst,
}

/// Which needs to list; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    pub community: Option<CommunityId>,
    pub status: Option<NeedStatus>,
    /// Only those past their wanted-by date without a match.
    pub overdue_only: bool,
}

text_enum!(StepAction {
    Posted => "POSTED",
    Proposed => "PROPOSED",
    Accepted => "ACCEPTED",
    Declined => "DECLINED",
    Delivered => "DELIVERED",
    Closed => "CLOSED",
    Withdrawn => "WITHDRAWN",
    Escalated => "ESCALATED",
});

impl StepAction {
    /// The audit trail's action recording this step; posting is the need's own row.
    pub(crate) fn audit_action(self) -> Option<&'static str> {
        Some(match self {
            Self::Posted => return None,
            Self::Proposed => "match.propose",
            Self::Accepted => "match.accept",
            Self::Declined => "match.decline",
            Self::Delivered => "match.deliver",
            Self::Closed => "need.close",
            Self::Withdrawn => "need.withdraw",
            Self::Escalated => "need.escalate",
        })
    }

    pub(crate) fn from_audit(action: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|step| step.audit_action() == Some(action))
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Posted => "发布需求",
            Self::Proposed => "提出对接",
            Self::Accepted => "接受对接",
            Self::Declined => "婉拒对接",
            Self::Delivered => "完成服务",
            Self::Closed => "关闭需求",
            Self::Withdrawn => "撤回需求",
            Self::Escalated => "超时升级",
        }
    }
}

/// The most steps a need shows (its posting and the first 99 after it): a bound for the API's
/// pricing; a need reaches it only after some thirty proposals.
pub const STEPS_SHOWN: usize = 100;

/// One step of a need's way, with who took it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedStep {
    pub action: StepAction,
    /// Null for what Linli did itself (an escalation).
    pub actor: Option<UserId>,
    pub at: NaiveDateTime,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewNeed {
    pub community_id: CommunityId,
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub urgency: Urgency,
    pub wanted_by: NaiveDateTime,
    /// The group a convenor posts for.
    pub group_id: Option<GroupId>,
}

/// A possible answer to a need, with its score and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: CandidateKind,
    pub id: String,
    pub name: String,
    pub score: i64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::match_case)]
pub struct MatchCase {
    pub id: MatchId,
    pub need_id: NeedId,
    #[diesel(column_name = candidate_kind)]
    pub kind: CandidateKind,
    pub candidate_id: String,
    #[diesel(deserialize_as = i32)]
    pub score: i64,
    pub reasons: String,
    pub status: MatchStatus,
    pub proposed_by: UserId,
    pub responded_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub delivered_by: Option<UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sla_names_hours_per_urgency_and_keeps_the_defaults_of_the_rest() {
        let sla = Sla::parse("HIGH:4, LOW:240").unwrap();
        assert_eq!(sla.of(Urgency::High), TimeDelta::hours(4));
        assert_eq!(sla.of(Urgency::Medium), TimeDelta::hours(72));
        assert_eq!(sla.of(Urgency::Low), TimeDelta::hours(240));
        for bad in ["URGENT:4", "HIGH", "HIGH:0", "HIGH:8761", "HIGH:1.5"] {
            assert!(Sla::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_audited_step_reads_back_from_its_action() {
        for step in StepAction::ALL {
            if let Some(action) = step.audit_action() {
                assert_eq!(StepAction::from_audit(action), Some(*step));
            }
        }
    }
}
