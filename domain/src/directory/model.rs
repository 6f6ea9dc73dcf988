//! Communities and their types, as the district classifies them.

use chrono::NaiveDateTime;

use crate::types::{CommunityId, UserId, text_enum};

text_enum!(
    /// The five kinds of community the article distinguishes; each needs different services.
    CommunityType {
        NewCommercialResidential => "NEW_COMMERCIAL_RESIDENTIAL",
        SoeLivingArea => "SOE_LIVING_AREA",
        OldCommunity => "OLD_COMMUNITY",
        Resettlement => "RESETTLEMENT",
        Industrial => "INDUSTRIAL",
    }
);

impl CommunityType {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::NewCommercialResidential => "新建商住社区",
            Self::SoeLivingArea => "国企生活区",
            Self::OldCommunity => "老旧社区",
            Self::Resettlement => "拆迁安置社区",
            Self::Industrial => "产业社区",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::community)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    pub street: String,
    pub community_type: CommunityType,
    pub created_at: NaiveDateTime,
}

text_enum!(
    /// The kinds of partner organisation (共建主体) the centre works with.
    OrganisationKind {
        SocialOrganisation => "SOCIAL_ORGANISATION",
        Enterprise => "ENTERPRISE",
        PublicInstitution => "PUBLIC_INSTITUTION",
        Foundation => "FOUNDATION",
        Other => "OTHER",
    }
);

text_enum!(
    /// Verification by the centre: pending → verified / rejected; verified → suspended.
    OrganisationStatus {
        Pending => "PENDING",
        Verified => "VERIFIED",
        Rejected => "REJECTED",
        Suspended => "SUSPENDED",
    }
);

text_enum!(MemberRole {
    Owner => "OWNER",
    Manager => "MANAGER",
    Member => "MEMBER",
});

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::organisation)]
pub struct Organisation {
    pub id: crate::types::OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub description: String,
    pub community_id: Option<CommunityId>,
    pub contact: String,
    pub status: OrganisationStatus,
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A staff decision on a pending organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Verify,
    Reject { reason: String },
}

/// A person in an organisation, as its members and staff see them.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::organisation_member)]
pub struct Member {
    pub user_id: UserId,
    #[diesel(select_expression = crate::schema::app_user::display_name)]
    pub display_name: String,
    pub role: MemberRole,
}
