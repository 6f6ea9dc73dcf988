//! Settlement values: the month a capture settles in, a settlement and its status.

use std::collections::BTreeSet;

use chrono::{Datelike as _, NaiveDate, NaiveDateTime};

use crate::error::{DomainError, DomainResult};
use crate::rewards::Merchant;
use crate::sheet::{Cell, Sheet, china_cell};
use crate::types::{MerchantId, SettlementId, TransferId, UserId, china_time, text_enum};

/// A month of the district's books, China Standard Time, written `YYYY-MM`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Month {
    /// The month's first day; compared first, so months order chronologically.
    first: NaiveDate,
    /// `YYYY-MM` as ASCII, kept beside the date so the text is borrowed, never rebuilt.
    text: [u8; 7],
}

crate::types::text_sql!(
    Month,
    |raw: String| Month::parse(&raw).map_err(|_| format!("bad month {raw:?}").into()),
    |value: &Month| value.text()
);

impl Month {
    /// `YYYY-MM`, within the years a district's books can cover (2000 to 2100).
    pub fn parse(raw: &str) -> DomainResult<Self> {
        Ok(Self::from_first_day(crate::rewards::model::parse_month(
            raw,
        )?))
    }

    fn from_first_day(first: NaiveDate) -> Self {
        let mut text = [b'0'; 7];
        let written = format!("{:04}-{:02}", first.year(), first.month());
        if written.len() == 7 {
            text.copy_from_slice(written.as_bytes());
        }
        Self { first, text }
    }

    /// The month a UTC instant falls in, as clocks in Chengdu show it.
    pub fn of(utc: NaiveDateTime) -> Self {
        let day = china_time(utc).date();
        Self::from_first_day(day.with_day(1).unwrap_or(day))
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// The month as UTC instants, [start, end).
    pub fn bounds(self) -> DomainResult<(NaiveDateTime, NaiveDateTime)> {
        crate::rewards::model::month_bounds(self.first)
            .ok_or_else(|| DomainError::invalid("month", "月份不正确"))
    }

    pub fn previous(self) -> Option<Self> {
        self.first
            .checked_sub_months(chrono::Months::new(1))
            .map(Self::from_first_day)
    }

    /// `YYYY-MM`.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or("0000-00")
    }

    /// The first month from which unsettled captures settle in `self`, given the months already
    /// closed for the merchant: a capture belongs to the month it was confirmed in, and one
    /// confirmed in a month that had already closed (a late capture) belongs to the next month
    /// not yet closed. So `self` takes its own captures and the late ones of the run of closed
    /// months right before it.
    pub fn settles_from(self, closed: &BTreeSet<Month>) -> Month {
        let mut from = self;
        while let Some(before) = from.previous().filter(|m| closed.contains(m)) {
            from = before;
        }
        from
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

text_enum!(
    /// Where a settlement is: closed (frozen, the points moved), approved for payment by a
    /// second staff member, paid.
    SettlementStatus {
        Closed => "CLOSED",
        Approved => "APPROVED",
        Paid => "PAID",
    }
);

/// A merchant's closed month: what it captured, frozen, and what the centre pays for it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::settlement)]
pub struct Settlement {
    pub id: SettlementId,
    pub merchant_id: MerchantId,
    pub month: Month,
    /// The points of the captures it holds, equal to its SETTLE transfer.
    pub points: i64,
    /// How many captures it holds.
    pub lines: i32,
    /// The yuan value of a point when the month closed, in fen.
    pub point_value_fen: i64,
    /// What the centre pays: `points × point_value_fen`.
    pub amount_fen: i64,
    /// The reimbursement rule as people read it (每积分 1.00 元).
    pub rule: String,
    pub status: SettlementStatus,
    pub closed_by: UserId,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<NaiveDateTime>,
    /// What staff entered from the payment (a bank transfer's number, a voucher).
    pub paid_reference: Option<String>,
    pub paid_by: Option<UserId>,
    pub paid_at: Option<NaiveDateTime>,
    /// The SETTLE transfer that moved the points out of the merchant's till.
    pub transfer_id: TransferId,
    /// When the month closed.
    pub created_at: NaiveDateTime,
}

/// The reimbursement rule of a point value, as a settlement records it.
pub fn point_value_rule(point_value_fen: i64) -> String {
    format!(
        "每积分 {}.{:02} 元",
        point_value_fen / 100,
        point_value_fen % 100
    )
}

/// What the centre pays for `points` at `point_value_fen`.
pub fn amount_fen(points: i64, point_value_fen: i64) -> DomainResult<i64> {
    points
        .checked_mul(point_value_fen)
        .ok_or_else(|| DomainError::internal("settlement amount overflows"))
}

/// Which settlements to list; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettlementFilter {
    pub month: Option<Month>,
    pub status: Option<SettlementStatus>,
    pub merchant_id: Option<MerchantId>,
}

/// The settlements of a filter summed: what the centre pays, and what it still owes (not paid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettlementTotals {
    pub settlements: i64,
    pub points: i64,
    pub amount_fen: i64,
    pub owed_fen: i64,
}

/// How many merchants a close lists as refused (a few at most: staff of a merchant's own
/// organisation, a till short of its captures).
pub const REFUSALS_LISTED: usize = 100;

/// What closing a month did: the settlements of the month (made now or by an earlier close)
/// and the merchants it could not close, with why.
#[derive(Debug, Default)]
pub struct CloseReport {
    pub month: Option<Month>,
    /// Settlements this close made.
    pub closed: Vec<Settlement>,
    /// Settlements an earlier close had made already (nothing changed for them).
    pub already_closed: Vec<Settlement>,
    pub refused: Vec<(Merchant, DomainError)>,
}

/// Yuan from fen, as a spreadsheet shows money: `1234.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// Settlements as a spreadsheet ([`crate::sheet`]), each with its merchant's name; `id_of`
/// writes a settlement's id as the API names it.
pub fn settlements_csv(
    rows: &[(Settlement, String)],
    totals: &SettlementTotals,
    id_of: impl Fn(&str) -> String,
) -> DomainResult<Vec<u8>> {
    let mut sheet = Sheet::new(&[
        "结算编号",
        "月份",
        "商家",
        "笔数",
        "积分",
        "结算规则",
        "应付金额（元）",
        "状态",
        "结算时间（北京时间）",
        "批准时间（北京时间）",
        "付款时间（北京时间）",
        "付款凭证",
    ])?;
    for (s, shop) in rows {
        sheet.row([
            Cell::Text(id_of(s.id.as_str())),
            Cell::from(s.month.text()),
            Cell::from(shop.as_str()),
            Cell::Int(i64::from(s.lines)),
            Cell::Int(s.points),
            Cell::from(s.rule.as_str()),
            Cell::Text(yuan(s.amount_fen)),
            Cell::from(s.status.as_str()),
            china_cell(s.created_at),
            s.approved_at.map_or(Cell::Empty, china_cell),
            s.paid_at.map_or(Cell::Empty, china_cell),
            Cell::from(s.paid_reference.as_deref()),
        ])?;
    }
    sheet.row([
        Cell::from("合计"),
        Cell::Empty,
        Cell::Text(format!("{} 笔结算", totals.settlements)),
        Cell::Empty,
        Cell::Int(totals.points),
        Cell::Empty,
        Cell::Text(yuan(totals.amount_fen)),
        Cell::Text(format!("未付 {} 元", yuan(totals.owed_fen))),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ])?;
    sheet.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(raw: &str) -> Month {
        Month::parse(raw).unwrap()
    }

    #[test]
    fn a_capture_settles_in_its_own_month_while_that_month_is_open() {
        let closed = BTreeSet::from([month("2026-08")]);
        assert_eq!(month("2026-10").settles_from(&closed), month("2026-10"));
    }

    #[test]
    fn late_captures_of_closed_months_settle_in_the_next_open_month() {
        let closed = BTreeSet::from([month("2026-08"), month("2026-09"), month("2026-10")]);
        assert_eq!(month("2026-11").settles_from(&closed), month("2026-08"));
    }

    #[test]
    fn months_are_read_in_china_standard_time() {
        let utc = chrono::NaiveDate::from_ymd_opt(2026, 10, 31)
            .unwrap()
            .and_hms_opt(16, 0, 0)
            .unwrap();
        assert_eq!(Month::of(utc), month("2026-11"));
        assert_eq!(month("2026-11").to_string(), "2026-11");
        assert!(Month::parse("2026-13").is_err());
    }

    #[test]
    fn the_rule_and_the_amount_are_in_fen() {
        assert_eq!(point_value_rule(150), "每积分 1.50 元");
        assert_eq!(amount_fen(30, 150).unwrap(), 4_500);
        assert_eq!(yuan(4_505), "45.05");
    }
}
