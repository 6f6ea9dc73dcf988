//! Community needs (需求) and the staff's matching of them with products, organisations and
//! groups, with a transparent score (the district's impact figures are in `insight`).

pub mod service;
mod store;

use chrono::NaiveDateTime;

use crate::types::text_enum;
use crate::types::{CommunityId, GroupId, MatchId, NeedId, UserId};
pub use service::Matching;

text_enum!(Urgency { Low => "LOW", Medium => "MEDIUM", High => "HIGH" });
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
}

impl Need {
    /// Past its wanted-by date and still without a match.
    pub fn overdue(&self, now: NaiveDateTime) -> bool {
        matches!(self.status, NeedStatus::Open | NeedStatus::Matching) && self.wanted_by < now
    }
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
    pub created_at: NaiveDateTime,
}
