//! Ledger values: account kinds, transfer codes, transfers and the invariants report.

use chrono::NaiveDateTime;

use crate::types::{AccountId, ApprovalRequestId, OrganisationId, TransferId, UserId, text_enum};

text_enum!(
    /// What an account belongs to. ISSUANCE, EXPIRED and SETTLED are the district's system
    /// accounts; every other kind has an owner (a resident, an organisation, a merchant or a
    /// group).
    AccountKind {
        Issuance => "ISSUANCE",
        Expired => "EXPIRED",
        Settled => "SETTLED",
        Wallet => "WALLET",
        Hold => "HOLD",
        Budget => "BUDGET",
        Merchant => "MERCHANT",
        GroupFund => "GROUP_FUND",
    }
);

text_enum!(
    /// Why points moved.
    TransferCode {
        Earn => "EARN",
        AllocateBudget => "ALLOCATE_BUDGET",
        RedeemHold => "REDEEM_HOLD",
        RedeemCapture => "REDEEM_CAPTURE",
        RedeemRelease => "REDEEM_RELEASE",
        Donate => "DONATE",
        Expire => "EXPIRE",
        Reverse => "REVERSE",
        Adjust => "ADJUST",
        Settle => "SETTLE",
        BookHold => "BOOK_HOLD",
        BookCapture => "BOOK_CAPTURE",
        BookRelease => "BOOK_RELEASE",
        ReviewHold => "REVIEW_HOLD",
        ReviewRelease => "REVIEW_RELEASE",
    }
);

impl TransferCode {
    /// Redemption steps and expiry are undone by their own flows (release, re-issue), and a
    /// reversal is never reversed again; staff may reverse only these.
    pub fn is_reversible(self) -> bool {
        matches!(
            self,
            TransferCode::Earn
                | TransferCode::AllocateBudget
                | TransferCode::Donate
                | TransferCode::Adjust
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::account)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    /// The user, organisation, merchant or group the account belongs to; none for system ones.
    pub owner_id: Option<String>,
    /// Only the issuance account can be negative.
    pub balance: i64,
    pub created_at: NaiveDateTime,
}

/// What produced a transfer: a participation, a redemption, an allocation request …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    pub amount: i64,
    pub code: TransferCode,
    pub actor_id: Option<UserId>,
    pub reason: String,
    pub cause: Option<Cause>,
    /// The rule that priced the amount (e.g. "2 points per verified hour, cap 20").
    pub rule: Option<String>,
    pub reverses_id: Option<TransferId>,
    pub created_at: NaiveDateTime,
}

text_enum!(
    /// What a staff member asked to do with points that needs a second staff member.
    ApprovalKind {
        Adjust => "ADJUST",
        Reverse => "REVERSE",
        AllocateBudget => "ALLOCATE_BUDGET",
    }
);

text_enum!(ApprovalStatus {
    Pending => "PENDING",
    Approved => "APPROVED",
    Declined => "DECLINED",
});

/// A staff movement of points above the dual-control amount, waiting for (or decided by) a
/// second staff member. Approving posts the transfer; each request is decided once.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::approval_request)]
pub struct ApprovalRequest {
    pub id: ApprovalRequestId,
    pub kind: ApprovalKind,
    pub requested_by: UserId,
    /// The account an adjustment changes.
    pub account_id: Option<AccountId>,
    /// The transfer a reversal undoes.
    pub transfer_id: Option<TransferId>,
    /// The organisation an allocation funds.
    pub organisation_id: Option<OrganisationId>,
    /// Points moved: signed for adjustments (negative removes), positive otherwise.
    pub change: i64,
    pub reason: String,
    pub status: ApprovalStatus,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    /// The transfer the approval posted.
    pub transfer_made_id: Option<TransferId>,
    pub created_at: NaiveDateTime,
}

/// What a staff movement of points came to: posted at once, or waiting for a second person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    Posted(Transfer),
    AwaitingApproval(ApprovalRequest),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

/// The other side of a transfer, named for the person reading their history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterpart {
    pub account_id: AccountId,
    pub kind: AccountKind,
    /// A resident's display name, an organisation's name, or the system account's label.
    pub name: String,
}

/// One line of an account's history, seen from that account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub transfer: Transfer,
    pub direction: Direction,
    pub counterpart: Counterpart,
}

impl HistoryEntry {
    /// The signed change to the account whose history this is.
    pub fn change(&self) -> i64 {
        match self.direction {
            Direction::In => self.transfer.amount,
            Direction::Out => -self.transfer.amount,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub codes: Vec<TransferCode>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// The district's points at a glance, for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemTotals {
    /// Everything ever issued (the issuance account's negative balance, sign flipped).
    pub issued: i64,
    /// In wallets, budgets and group funds: issued and not yet held, redeemed or expired.
    pub outstanding: i64,
    /// Held for redemptions awaiting a merchant's confirmation.
    pub held: i64,
    /// Captured by merchants: still in their tills, or settled (below).
    pub redeemed: i64,
    /// The part of `redeemed` that closed months moved to the SETTLED account, for the centre
    /// to pay the merchants in yuan.
    pub settled: i64,
    pub expired: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCheck {
    pub name: &'static str,
    /// Empty when the check passed; otherwise what was found, capped to a few examples.
    pub violations: Vec<String>,
}

/// The outcome of checking every ledger invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub accounts: i64,
    pub transfers: i64,
    pub checks: Vec<VerifyCheck>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|c| c.violations.is_empty())
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "ledger: {} accounts, {} transfers",
            self.accounts, self.transfers
        )?;
        for check in &self.checks {
            if check.violations.is_empty() {
                writeln!(f, "  ok    {}", check.name)?;
            } else {
                writeln!(f, "  FAIL  {}", check.name)?;
                for v in &check.violations {
                    writeln!(f, "        {v}")?;
                }
            }
        }
        Ok(())
    }
}

/// When points earned in a calendar year (China Standard Time) lapse: the district's policy,
/// from `LINLI_POINTS_EXPIRY`. Service hours are the permanent record and never expire; only
/// points do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointsExpiry {
    Never,
    /// At the end of the `years_after`-th calendar year after the one they were earned in
    /// (1: points earned in 2026 lapse when 2028 begins in Chengdu).
    EndOfYear {
        years_after: i32,
    },
}

impl Default for PointsExpiry {
    fn default() -> Self {
        PointsExpiry::EndOfYear { years_after: 1 }
    }
}

impl PointsExpiry {
    /// `never`, or how many calendar years after the year of earning points last (0 – 10).
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.trim().eq_ignore_ascii_case("never") {
            return Ok(PointsExpiry::Never);
        }
        raw.trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=10).contains(n))
            .map(|years_after| PointsExpiry::EndOfYear { years_after })
            .ok_or_else(|| "expected `never` or a number of years from 0 to 10".to_owned())
    }

    /// The UTC instant at which points earned in `year` lapse; none when they never do.
    pub fn lapses_at(self, year: i32) -> Option<NaiveDateTime> {
        let PointsExpiry::EndOfYear { years_after } = self else {
            return None;
        };
        let midnight = chrono::NaiveDate::from_ymd_opt(year + years_after + 1, 1, 1)?
            .and_time(chrono::NaiveTime::MIN);
        midnight.checked_sub_signed(crate::types::CHINA_OFFSET)
    }

    /// The latest earning year whose points have lapsed at `now`; none while nothing has.
    pub fn lapsed_through(self, now: NaiveDateTime) -> Option<i32> {
        let PointsExpiry::EndOfYear { years_after } = self else {
            return None;
        };
        use chrono::Datelike;
        Some(crate::types::china_time(now).year() - years_after - 1)
    }
}

/// Points of one account earned in one year, and when they lapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub earned_year: i32,
    pub points: i64,
    /// None when the policy never expires points.
    pub lapses_at: Option<NaiveDateTime>,
}
