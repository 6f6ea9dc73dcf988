//! The named outcomes of every use case, with the stable codes clients switch on.
//!
//! A variant is either a business rejection (shown in a mutation payload's `errors`) or an
//! access/limit/infrastructure failure (a top-level GraphQL error). Messages are Chinese first,
//! because they reach residents; codes are English and never change once published.
//! `docs/ERRORS.md` lists every code, and a test keeps that list complete.

use diesel::result::Error as DieselError;

macro_rules! error_codes {
    ($d:tt $($(#[doc = $doc:literal])* $variant:ident => $code:literal),+ $(,)?) => {
        /// Every code a client can see from the domain.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($(#[doc = $doc])* $variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }
        }

        /// Calls the macro `$callback` with every error code as `#[doc = "…"] Variant => "CODE"`
        /// (the doc being the code's one-line meaning from `docs/ERRORS.md`), so the API can
        /// mirror the list (as a GraphQL enum, described) without spelling it twice.
        #[macro_export]
        macro_rules! each_error_code {
            ($d callback:ident) => {
                $d callback! { $($(#[doc = $doc])* $variant => $code),+ }
            };
        }
    };
}

error_codes! {
    $
    /// The operation needs a signed-in person and no token was sent.
    Unauthenticated => "UNAUTHENTICATED",
    /// Signed in, but not allowed to do this (another resident's wallet, a staff-only operation, an
    /// organisation you are not a member of).
    Forbidden => "FORBIDDEN",
    /// The object does not exist or is not visible to you.
    NotFound => "NOT_FOUND",
    /// A field is malformed or out of range; `field` names it.
    InvalidInput => "INVALID_INPUT",
    /// The password is shorter than 10 characters, well known, or contains your email address or
    /// mobile number.
    WeakPassword => "WEAK_PASSWORD",
    /// Another account uses this email address.
    EmailTaken => "EMAIL_TAKEN",
    /// Another account uses this mobile number.
    PhoneTaken => "PHONE_TAKEN",
    /// Unknown account or wrong password (deliberately indistinguishable).
    InvalidCredentials => "INVALID_CREDENTIALS",
    /// The refresh token is unknown, expired, signed out or revoked; sign in again.
    InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
    /// A refresh token was presented twice, so every session of its family has been ended.
    RefreshTokenReused => "REFRESH_TOKEN_REUSED",
    /// A throttle is spent; `extensions.retryAfter` and the `Retry-After` header give the seconds
    /// to wait.
    RateLimited => "RATE_LIMITED",
    /// The paying account does not cover the amount (or a reversal's receiving account has spent
    /// the points); nothing moved.
    InsufficientPoints => "INSUFFICIENT_POINTS",
    /// You already used this `idempotencyKey` for a different request; use a new key per request.
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    /// The transfer has already been reversed.
    AlreadyReversed => "ALREADY_REVERSED",
    /// Only EARN, ALLOCATE_BUDGET, DONATE and ADJUST transfers can be reversed; redemptions are
    /// undone by their own flow.
    NotReversible => "NOT_REVERSIBLE",
    /// The paying and the receiving account are the same (e.g. donating to yourself).
    SameAccount => "SAME_ACCOUNT",
    /// No resident has that email address or mobile number.
    RecipientNotFound => "RECIPIENT_NOT_FOUND",
    /// Another organisation is registered under this name.
    OrganisationNameTaken => "ORGANISATION_NAME_TAKEN",
    /// The organisation is not (or no longer) verified, so it cannot submit or publish products.
    OrganisationNotVerified => "ORGANISATION_NOT_VERIFIED",
    /// The lifecycle step does not apply in the object's current state; the message says which.
    InvalidState => "INVALID_STATE",
    /// Someone moved the object to another stage or status between this request reading it and
    /// changing it; nothing changed. Reload it and decide again (retrying is safe).
    StageChanged => "STAGE_CHANGED",
    /// The person is already a member of the organisation.
    AlreadyMember => "ALREADY_MEMBER",
    /// The last owner cannot be removed; make someone else owner first.
    LastOwner => "LAST_OWNER",
    /// You already have a seat or a waitlist place for this activity.
    AlreadySignedUp => "ALREADY_SIGNED_UP",
    /// You have no active sign-up for this activity.
    NotSignedUp => "NOT_SIGNED_UP",
    /// The check-in code is wrong or older than the previous minute; read the organiser's screen
    /// again.
    InvalidCode => "INVALID_CODE",
    /// Check-in and check-out are open from 15 minutes before the start to 15 minutes after the
    /// end, and hand-recorded attendance must overlap the activity.
    OutsideWindow => "OUTSIDE_WINDOW",
    /// This participation has been verified already (its points, if any, were paid once).
    AlreadyVerified => "ALREADY_VERIFIED",
    /// Nobody verifies their own attendance, nor attendance they recorded by hand; another
    /// organiser must.
    SelfVerification => "SELF_VERIFICATION",
    /// The organising organisation's points budget does not cover the points; nothing was verified.
    InsufficientBudget => "INSUFFICIENT_BUDGET",
    /// Hand-recorded attendance counts as service hours only; points need a real check-in.
    NoPointsForManualAttendance => "NO_POINTS_FOR_MANUAL_ATTENDANCE",
    /// Less than 15 minutes inside the activity's window.
    AttendanceTooShort => "ATTENDANCE_TOO_SHORT",
    /// The reward's stock is gone; nothing was held.
    OutOfStock => "OUT_OF_STOCK",
    /// You have redeemed this reward as often as its per-period limit allows.
    RedemptionLimitReached => "REDEMPTION_LIMIT_REACHED",
    /// Every seat of the product on that day is taken; nothing was held.
    FullyBooked => "FULLY_BOOKED",
    /// You already hold as many bookings of this product on that day as it allows one resident.
    BookingLimitReached => "BOOKING_LIMIT_REACHED",
    /// The product is not published, not open to booking, or its organisation is suspended.
    BookingUnavailable => "BOOKING_UNAVAILABLE",
    /// The reward is paused, retired or outside its validity window, or its merchant is not active.
    RewardUnavailable => "REWARD_UNAVAILABLE",
    /// No pending redemption has this code at this merchant (a code only confirms at its own
    /// merchant).
    InvalidRedemptionCode => "INVALID_REDEMPTION_CODE",
    /// The code's 30 minutes have passed; the points return to the resident.
    RedemptionExpired => "REDEMPTION_EXPIRED",
    /// The redemption was already confirmed, cancelled or expired; nothing moved.
    RedemptionFinished => "REDEMPTION_FINISHED",
    /// An emailed password-reset or confirmation token is unknown, expired or already used; request
    /// a new one.
    InvalidToken => "INVALID_TOKEN",
    /// You would act on points you own or would receive (your own shop, wallet, fund or
    /// organisation); nothing moved.
    SelfDealing => "SELF_DEALING",
    /// Ten wrong check-in codes locked this sign-up's check-in for good; the organiser records the
    /// attendance by hand (hours only).
    CheckInLocked => "CHECK_IN_LOCKED",
    /// The paying organisation is suspended: it runs no activities and pays no points until staff
    /// restore it.
    OrganisationSuspended => "ORGANISATION_SUSPENDED",
    /// The merchant is suspended and cannot confirm redemptions; held points stay held until
    /// cancelled or expired.
    MerchantSuspended => "MERCHANT_SUSPENDED",
    /// Staff suspended this account: it cannot sign in, refresh a session or spend points
    /// until restored; the points stay in the wallet.
    AccountSuspended => "ACCOUNT_SUSPENDED",
    /// The activity was cancelled; its sign-ups are never verified or paid.
    ActivityCancelled => "ACTIVITY_CANCELLED",
    /// The group is dissolved: its fund neither receives nor pays points.
    GroupDissolved => "GROUP_DISSOLVED",
    /// A group-run activity pays more points per hour than the district's rule; staff approve the
    /// rate before it is published.
    RateNeedsApproval => "RATE_NEEDS_APPROVAL",
    /// A movement waiting for approval can only be decided by a staff member other than the one who
    /// asked.
    SecondApproverRequired => "SECOND_APPROVER_REQUIRED",
    /// The approval request was already approved or declined; it is decided once.
    AlreadyDecided => "ALREADY_DECIDED",
    /// The month has not ended yet (China Standard Time): its captures cannot close into a
    /// settlement before its last day is over.
    MonthNotEnded => "MONTH_NOT_ENDED",
    /// The database could not be reached in time; retry later.
    Unavailable => "SERVICE_UNAVAILABLE",
    /// The database went away while the transaction committed: it may have been kept. Retry
    /// with the same idempotency key, or read, to find out.
    OutcomeUnknown => "OUTCOME_UNKNOWN",
    /// An unexpected failure, with nothing half-written; quote `extensions.requestId` when
    /// reporting it.
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
    /// A stage or status step that applied to the state the use case read, but lost the race
    /// to another request that moved the object on first (see [`DomainError::not_moved`]).
    #[error("已被他人变更，请刷新后重试")]
    StageChanged,
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
    #[error("当天的名额已约满，请选择其他日期")]
    FullyBooked,
    #[error("你当天预约该服务的次数已达上限")]
    BookingLimitReached,
    #[error("该服务当前不接受预约")]
    BookingUnavailable,
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
    #[error("该账号已被中心暂停，请联系社创中心工作人员")]
    AccountSuspended,
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
    #[error("该月份尚未结束，不能结算")]
    MonthNotEnded,
    /// Several problems with one input, all reported at once (see [`Problems`]).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("；"))]
    Several(Vec<DomainError>),
    /// The database cannot be reached or the pool is exhausted: fail fast, retry later.
    #[error("服务暂时不可用，请稍后再试")]
    Unavailable(String),
    /// The connection was lost while the transaction committed, so nobody can say whether it
    /// did: unlike [`DomainError::Unavailable`], something may have changed.
    #[error("提交时与数据库的连接中断，操作可能已经生效；请用同一个幂等键重试，或刷新后查看")]
    OutcomeUnknown(String),
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
            Self::StageChanged => ErrorCode::StageChanged,
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
            Self::FullyBooked => ErrorCode::FullyBooked,
            Self::BookingLimitReached => ErrorCode::BookingLimitReached,
            Self::BookingUnavailable => ErrorCode::BookingUnavailable,
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
            Self::AccountSuspended => ErrorCode::AccountSuspended,
            Self::ActivityCancelled => ErrorCode::ActivityCancelled,
            Self::GroupDissolved => ErrorCode::GroupDissolved,
            Self::RateNeedsApproval { .. } => ErrorCode::RateNeedsApproval,
            Self::SecondApproverRequired => ErrorCode::SecondApproverRequired,
            Self::AlreadyDecided => ErrorCode::AlreadyDecided,
            Self::MonthNotEnded => ErrorCode::MonthNotEnded,
            Self::Several(all) => all.first().map_or(ErrorCode::InvalidInput, Self::code),
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::OutcomeUnknown(_) => ErrorCode::OutcomeUnknown,
            Self::Internal(_) | Self::Database(_) => ErrorCode::Internal,
        }
    }

    /// Why a conditional update of a stage or status changed nothing. `read` is the state the
    /// use case read at its start and `allowed` the states the step applies to: when `read` is
    /// not among them the step does not apply (`INVALID_STATE`, saying why); when it is,
    /// another request moved the object on in between (`STAGE_CHANGED`, worth a retry).
    pub fn not_moved<S: PartialEq>(read: &S, allowed: &[S], why: &'static str) -> Self {
        if allowed.contains(read) {
            Self::StageChanged
        } else {
            Self::InvalidState(why)
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
            Self::MonthNotEnded => Some("month"),
            Self::Several(all) => all.first().and_then(Self::field),
            _ => None,
        }
    }

    /// Each problem on its own: the problems of [`DomainError::Several`], else itself.
    pub fn each(&self) -> Vec<&DomainError> {
        match self {
            Self::Several(all) => all.iter().collect(),
            other => vec![other],
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
                | Self::OutcomeUnknown(_)
                | Self::Internal(_)
                | Self::Database(_)
        )
    }

    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Database(e) if crate::db::is_transient(e))
    }
}

/// Collects every problem of one input, so that a person sees all of them at once rather than
/// one per attempt.
#[derive(Debug, Default)]
pub struct Problems(Vec<DomainError>);

impl Problems {
    /// Keeps the value, or the problem (business rejections only; anything else is kept as
    /// the answer too, and reported first).
    pub fn check<T>(&mut self, result: DomainResult<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Several(all)) => {
                self.0.extend(all);
                None
            }
            Err(err) => {
                self.0.push(err);
                None
            }
        }
    }

    /// Adds a problem found by hand.
    pub fn add(&mut self, err: DomainError) {
        self.0.push(err);
    }

    /// `Ok` when nothing was wrong; otherwise the problem, or all of them.
    pub fn finish(mut self) -> DomainResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(DomainError::Several(self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_never_applied_is_an_invalid_state() {
        let err = DomainError::not_moved(&"draft", &["published"], "只能下架已发布的产品");
        assert_eq!(err.code(), ErrorCode::InvalidState);
        assert_eq!(err.to_string(), "只能下架已发布的产品");
    }

    #[test]
    fn a_step_that_applied_when_read_but_lost_the_race_is_a_stage_change() {
        let err = DomainError::not_moved(&"published", &["published"], "只能下架已发布的产品");
        assert_eq!(err.code(), ErrorCode::StageChanged);
        assert!(err.is_business());
    }
}
