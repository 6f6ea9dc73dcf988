//! Self-governance groups (居民自治组织) and the incubation pipeline that grows them:
//! proposed (意向) → incubating (培育) → growing (成长) → graduated (成熟), or dissolved. Gate
//! criteria come from Linli's own data; every decision lands on the group's public timeline.

pub mod service;
pub(crate) mod store;

use chrono::NaiveDateTime;

use crate::types::text_enum;
use crate::types::{CommunityId, GroupId, OrganisationId, UserId};
pub use service::{Decision, Incubation};

text_enum!(Stage {
    Proposed => "PROPOSED",
    Incubating => "INCUBATING",
    Growing => "GROWING",
    Graduated => "GRADUATED",
    Dissolved => "DISSOLVED",
});

impl Stage {
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Proposed => Some(Stage::Incubating),
            Stage::Incubating => Some(Stage::Growing),
            Stage::Growing => Some(Stage::Graduated),
            Stage::Graduated | Stage::Dissolved => None,
        }
    }

    /// Growing and graduated groups may run activities of their own.
    pub fn runs_activities(self) -> bool {
        matches!(self, Stage::Growing | Stage::Graduated)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Proposed => "意向",
            Stage::Incubating => "培育",
            Stage::Growing => "成长",
            Stage::Graduated => "成熟",
            Stage::Dissolved => "解散",
        }
    }
}

text_enum!(GroupRole { Convenor => "CONVENOR", Member => "MEMBER" });
text_enum!(MembershipStatus { Requested => "REQUESTED", Active => "ACTIVE" });

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::community_group)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub purpose: String,
    pub community_id: CommunityId,
    pub category_id: String,
    pub stage: Stage,
    pub mentor_organisation_id: Option<OrganisationId>,
    pub organisation_id: Option<OrganisationId>,
    pub created_at: NaiveDateTime,
}

/// Which groups to list (the incubation board's columns); every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub stage: Option<Stage>,
    pub community: Option<CommunityId>,
}

/// The timeline kinds of staff's stage decisions (what [`Incubation::decide`] writes).
pub(crate) const DECISIONS: [&str; 3] = ["ADVANCED", "HOLD", "DISSOLVED"];

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub purpose: String,
    pub community_id: CommunityId,
    pub category_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::group_member)]
pub struct GroupMember {
    pub user_id: UserId,
    #[diesel(select_expression = crate::schema::app_user::display_name)]
    pub display_name: String,
    pub role: GroupRole,
    pub status: MembershipStatus,
}

/// One entry of a group's public timeline.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::group_event)]
pub struct GroupEvent {
    pub id: String,
    pub kind: String,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    pub note: String,
    pub actor_id: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// One gate criterion for the next stage, measured from Linli's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub name: &'static str,
    pub required: i64,
    pub actual: i64,
    pub met: bool,
}

/// What a group has done, as the criteria read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub members: i64,
    pub activities_held: i64,
    pub service_minutes: i64,
    pub days_active: i64,
    pub has_mentor: bool,
}

/// One gate criterion: its name, the required figure, and how to read it from a record.
type Gate = (&'static str, i64, fn(&Record) -> i64);

/// The gate to leave `stage`.
pub fn criteria(stage: Stage, record: &Record) -> Vec<Criterion> {
    let gate: &[Gate] = match stage {
        Stage::Proposed => &[
            ("成员人数", 3, |r| r.members),
            ("有导师组织", 1, |r| i64::from(r.has_mentor)),
        ],
        Stage::Incubating => &[
            ("成员人数", 5, |r| r.members),
            ("成立天数", 30, |r| r.days_active),
        ],
        Stage::Growing => &[
            ("成员人数", 8, |r| r.members),
            ("已举办活动", 2, |r| r.activities_held),
            ("核验服务时长（小时）", 10, |r| {
                r.service_minutes / 60
            }),
            ("成立天数", 90, |r| r.days_active),
        ],
        Stage::Graduated | Stage::Dissolved => &[],
    };
    gate.iter()
        .map(|(name, required, read)| {
            let actual = read(record);
            Criterion {
                name,
                required: *required,
                actual,
                met: actual >= *required,
            }
        })
        .collect()
}
