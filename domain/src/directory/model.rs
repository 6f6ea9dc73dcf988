//! Communities and their types, as the district classifies them.

use chrono::NaiveDateTime;

use crate::types::{CommunityId, UserId};

/// The five kinds of community the article distinguishes; each needs different services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityType {
    /// 新建商住社区
    NewCommercialResidential,
    /// 国企生活区
    SoeLivingArea,
    /// 老旧社区
    OldCommunity,
    /// 拆迁安置社区
    Resettlement,
    /// 产业社区
    Industrial,
}

impl CommunityType {
    pub const ALL: [CommunityType; 5] = [
        Self::NewCommercialResidential,
        Self::SoeLivingArea,
        Self::OldCommunity,
        Self::Resettlement,
        Self::Industrial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewCommercialResidential => "NEW_COMMERCIAL_RESIDENTIAL",
            Self::SoeLivingArea => "SOE_LIVING_AREA",
            Self::OldCommunity => "OLD_COMMUNITY",
            Self::Resettlement => "RESETTLEMENT",
            Self::Industrial => "INDUSTRIAL",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    pub street: String,
    pub community_type: CommunityType,
    pub created_at: NaiveDateTime,
}

/// The kinds of partner organisation (共建主体) the centre works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationKind {
    SocialOrganisation,
    Enterprise,
    PublicInstitution,
    Foundation,
    Other,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 5] = [
        Self::SocialOrganisation,
        Self::Enterprise,
        Self::PublicInstitution,
        Self::Foundation,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SocialOrganisation => "SOCIAL_ORGANISATION",
            Self::Enterprise => "ENTERPRISE",
            Self::PublicInstitution => "PUBLIC_INSTITUTION",
            Self::Foundation => "FOUNDATION",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Verification by the centre: pending → verified / rejected; verified → suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationStatus {
    Pending,
    Verified,
    Rejected,
    Suspended,
}

impl OrganisationStatus {
    pub const ALL: [OrganisationStatus; 4] = [
        Self::Pending,
        Self::Verified,
        Self::Rejected,
        Self::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Verified => "VERIFIED",
            Self::Rejected => "REJECTED",
            Self::Suspended => "SUSPENDED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Owner,
    Manager,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "OWNER",
            Self::Manager => "MANAGER",
            Self::Member => "MEMBER",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "OWNER" => Some(Self::Owner),
            "MANAGER" => Some(Self::Manager),
            "MEMBER" => Some(Self::Member),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub display_name: String,
    pub role: MemberRole,
}
