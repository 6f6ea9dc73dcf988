//! The named outcomes of every use case, with the stable codes clients switch on.
//!
//! A variant is either a business rejection (shown in a mutation payload's `errors`) or an
//! access/limit/infrastructure failure (a top-level GraphQL error). Messages are Chinese first,
//! because they reach residents; codes are English and never change once published.
//! `docs/ERRORS.md` lists every code, and a test keeps that list complete.

use diesel::result::Error as DieselError;

macro_rules! error_codes {
    ($($variant:ident => $code:literal),+ $(,)?) => {
        /// Every code a client can see from the domain.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }
        }
    };
}

error_codes! {
    Unauthenticated => "UNAUTHENTICATED",
    Forbidden => "FORBIDDEN",
    NotFound => "NOT_FOUND",
    InvalidInput => "INVALID_INPUT",
    WeakPassword => "WEAK_PASSWORD",
    EmailTaken => "EMAIL_TAKEN",
    PhoneTaken => "PHONE_TAKEN",
    InvalidCredentials => "INVALID_CREDENTIALS",
    InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
    RefreshTokenReused => "REFRESH_TOKEN_REUSED",
    RateLimited => "RATE_LIMITED",
    InsufficientPoints => "INSUFFICIENT_POINTS",
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    AlreadyReversed => "ALREADY_REVERSED",
    NotReversible => "NOT_REVERSIBLE",
    SameAccount => "SAME_ACCOUNT",
    RecipientNotFound => "RECIPIENT_NOT_FOUND",
    OrganisationNameTaken => "ORGANISATION_NAME_TAKEN",
    OrganisationNotVerified => "ORGANISATION_NOT_VERIFIED",
    InvalidState => "INVALID_STATE",
    AlreadyMember => "ALREADY_MEMBER",
    LastOwner => "LAST_OWNER",
    AlreadySignedUp => "ALREADY_SIGNED_UP",
    NotSignedUp => "NOT_SIGNED_UP",
    InvalidCode => "INVALID_CODE",
    OutsideWindow => "OUTSIDE_WINDOW",
    AlreadyVerified => "ALREADY_VERIFIED",
    SelfVerification => "SELF_VERIFICATION",
    InsufficientBudget => "INSUFFICIENT_BUDGET",
    NoPointsForManualAttendance => "NO_POINTS_FOR_MANUAL_ATTENDANCE",
    AttendanceTooShort => "ATTENDANCE_TOO_SHORT",
    OutOfStock => "OUT_OF_STOCK",
    RedemptionLimitReached => "REDEMPTION_LIMIT_REACHED",
    RewardUnavailable => "REWARD_UNAVAILABLE",
    InvalidRedemptionCode => "INVALID_REDEMPTION_CODE",
    RedemptionExpired => "REDEMPTION_EXPIRED",
    RedemptionFinished => "REDEMPTION_FINISHED",
    InvalidToken => "INVALID_TOKEN",
    SelfDealing => "SELF_DEALING",
    CheckInLocked => "CHECK_IN_LOCKED",
    OrganisationSuspended => "ORGANISATION_SUSPENDED",
    MerchantSuspended => "MERCHANT_SUSPENDED",
    ActivityCancelled => "ACTIVITY_CANCELLED",
    GroupDissolved => "GROUP_DISSOLVED",
    RateNeedsApproval => "RATE_NEEDS_APPROVAL",
    SecondApproverRequired => "SECOND_APPROVER_REQUIRED",
    AlreadyDecided => "ALREADY_DECIDED",
    Unavailable => "SERVICE_UNAVAILABLE",
    Internal => "INTERNAL",
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("{what}不存在")]
    NotFound { what: &'static str },
    #[error("{message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("密码不符合要求：{0}")]
    WeakPassword(&'static str),
    #[error("该邮箱已注册")]
    EmailTaken,
    #[error("该手机号已注册")]
    PhoneTaken,
    #[error("账号或密码错误")]
    InvalidCredentials,
    #[error("登录已失效，请重新登录")]
    InvalidRefreshToken,
    #[error("登录凭证被重复使用，已退出该设备上的所有会话，请重新登录")]
    RefreshTokenReused,
    #[error("尝试次数过多，请 {retry_after_secs} 秒后再试")]
    RateLimited { retry_after_secs: u64 },
    #[error("积分余额不足")]
    InsufficientPoints,
    #[error("该幂等键已用于另一项不同的请求")]
    IdempotencyKeyReused,
    #[error("该笔流水已被冲正")]
    AlreadyReversed,
    #[error("该类流水不能冲正")]
    NotReversible,
    #[error("转出与转入账户不能相同")]
    SameAccount,
    #[error("找不到该收款居民")]
    RecipientNotFound,
    #[error("该组织名称已被使用")]
    OrganisationNameTaken,
    #[error("组织尚未通过认证，不能发布产品或组织活动")]
    OrganisationNotVerified,
    /// A lifecycle step that does not apply to the object's current status.
    #[error("{0}")]
    InvalidState(&'static str),
    #[error("该居民已是本组织成员")]
    AlreadyMember,
    #[error("组织至少需要保留一名负责人")]
    LastOwner,
    #[error("你已报名该活动")]
    AlreadySignedUp,
    #[error("你没有报名该活动")]
    NotSignedUp,
    #[error("签到码不正确或已过期，请扫描现场最新的签到码")]
    InvalidCode,
    #[error("不在活动签到时间内")]
    OutsideWindow,
    #[error("该参与记录已核验")]
    AlreadyVerified,
    /// The verifier is the participant, or recorded the attendance by hand themself.
    #[error("不能核验自己的参与记录或自己补录的时长，请由组织的其他成员核验")]
    SelfVerification,
    #[error("组织的积分预算不足，请联系中心工作人员拨付")]
    InsufficientBudget,
    #[error("人工补录的服务时长只计入服务记录，不能兑换积分")]
    NoPointsForManualAttendance,
    #[error("服务时长不足 {minimum} 分钟，不能核验")]
    AttendanceTooShort { minimum: i64 },
    #[error("该奖励已兑完")]
    OutOfStock,
    #[error("本周期内该奖励的兑换次数已达上限")]
    RedemptionLimitReached,
    #[error("该奖励当前不可兑换")]
    RewardUnavailable,
    #[error("兑换码无效")]
    InvalidRedemptionCode,
    #[error("兑换码已过期")]
    RedemptionExpired,
    #[error("该兑换已完成、取消或过期")]
    RedemptionFinished,
    #[error("链接或验证码无效、已使用或已过期，请重新申请")]
    InvalidToken,
    /// Someone acting on points they own or would receive: a merchant at their own shop, a
    /// convenor paying themself, staff adjusting their own account.
    #[error("{0}")]
    SelfDealing(&'static str),
    #[error("签到码错误次数过多，本次报名已锁定签到，请联系活动组织者现场补录")]
    CheckInLocked,
    #[error("该组织已被暂停，不能支付积分或开展活动")]
    OrganisationSuspended,
    #[error("该商家已被暂停，不能确认兑换")]
    MerchantSuspended,
    #[error("活动已取消")]
    ActivityCancelled,
    #[error("该自治组织已解散，基金不能再收付积分")]
    GroupDissolved,
    #[error("每小时积分超过区里的规定（{max} 分），需要中心工作人员批准后才能发布")]
    RateNeedsApproval { max: i64 },
    #[error("这项操作需要另一位工作人员批准，不能由发起人本人批准")]
    SecondApproverRequired,
    #[error("该申请已处理")]
    AlreadyDecided,
    /// The database cannot be reached or the pool is exhausted: fail fast, retry later.
    #[error("服务暂时不可用，请稍后再试")]
    Unavailable(String),
    /// Anything unexpected. The cause is logged by the API layer and never shown.
    #[error("服务器内部错误")]
    Internal(String),
    /// A database error; transient ones are retried by `Database::write`.
    #[error("服务器内部错误")]
    Database(#[from] DieselError),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::WeakPassword(_) => ErrorCode::WeakPassword,
            Self::EmailTaken => ErrorCode::EmailTaken,
            Self::PhoneTaken => ErrorCode::PhoneTaken,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::InvalidRefreshToken => ErrorCode::InvalidRefreshToken,
            Self::RefreshTokenReused => ErrorCode::RefreshTokenReused,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::InsufficientPoints => ErrorCode::InsufficientPoints,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::AlreadyReversed => ErrorCode::AlreadyReversed,
            Self::NotReversible => ErrorCode::NotReversible,
            Self::SameAccount => ErrorCode::SameAccount,
            Self::RecipientNotFound => ErrorCode::RecipientNotFound,
            Self::OrganisationNameTaken => ErrorCode::OrganisationNameTaken,
            Self::OrganisationNotVerified => ErrorCode::OrganisationNotVerified,
            Self::InvalidState(_) => ErrorCode::InvalidState,
            Self::AlreadyMember => ErrorCode::AlreadyMember,
            Self::LastOwner => ErrorCode::LastOwner,
            Self::AlreadySignedUp => ErrorCode::AlreadySignedUp,
            Self::NotSignedUp => ErrorCode::NotSignedUp,
            Self::InvalidCode => ErrorCode::InvalidCode,
            Self::OutsideWindow => ErrorCode::OutsideWindow,
            Self::AlreadyVerified => ErrorCode::AlreadyVerified,
            Self::SelfVerification => ErrorCode::SelfVerification,
            Self::InsufficientBudget => ErrorCode::InsufficientBudget,
            Self::NoPointsForManualAttendance => ErrorCode::NoPointsForManualAttendance,
            Self::AttendanceTooShort { .. } => ErrorCode::AttendanceTooShort,
            Self::OutOfStock => ErrorCode::OutOfStock,
            Self::RedemptionLimitReached => ErrorCode::RedemptionLimitReached,
            Self::RewardUnavailable => ErrorCode::RewardUnavailable,
            Self::InvalidRedemptionCode => ErrorCode::InvalidRedemptionCode,
            Self::RedemptionExpired => ErrorCode::RedemptionExpired,
            Self::RedemptionFinished => ErrorCode::RedemptionFinished,
            Self::InvalidToken => ErrorCode::InvalidToken,
            Self::SelfDealing(_) => ErrorCode::SelfDealing,
            Self::CheckInLocked => ErrorCode::CheckInLocked,
            Self::OrganisationSuspended => ErrorCode::OrganisationSuspended,
            Self::MerchantSuspended => ErrorCode::MerchantSuspended,
            Self::ActivityCancelled => ErrorCode::ActivityCancelled,
            Self::GroupDissolved => ErrorCode::GroupDissolved,
            Self::RateNeedsApproval { .. } => ErrorCode::RateNeedsApproval,
            Self::SecondApproverRequired => ErrorCode::SecondApproverRequired,
            Self::AlreadyDecided => ErrorCode::AlreadyDecided,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) | Self::Database(_) => ErrorCode::Internal,
        }
    }

    /// The input field a business rejection is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidInput { field, .. } => Some(field),
            Self::WeakPassword(_) => Some("password"),
            Self::EmailTaken => Some("email"),
            Self::PhoneTaken => Some("phone"),
            Self::IdempotencyKeyReused => Some("idempotencyKey"),
            Self::RecipientNotFound => Some("recipient"),
            Self::OrganisationNameTaken => Some("name"),
            Self::InvalidCode | Self::InvalidRedemptionCode | Self::CheckInLocked => Some("code"),
            Self::InvalidToken => Some("token"),
            _ => None,
        }
    }

    /// Business rejections go into a mutation's payload; everything else is a top-level error.
    pub fn is_business(&self) -> bool {
        !matches!(
            self,
            Self::Unauthenticated
                | Self::Forbidden
                | Self::RateLimited { .. }
                | Self::Unavailable(_)
                | Self::Internal(_)
                | Self::Database(_)
        )
    }

    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Database(e) if crate::db::is_transient(e))
    }
}
