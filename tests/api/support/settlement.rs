//! Merchant settlement: months closed at a chosen instant on the app's clock, settlements read
//! and moved on, and their downloads.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{Value, json};

use super::TestApp;
use super::rewards::Merchant;

pub const CLOSE_SETTLEMENTS: &str = r"
    mutation ($month: String!) {
        closeSettlements(input: { month: $month }) {
            month closed alreadyClosed
            refused { merchant { id } code }
            errors { code field }
        }
    }
";

pub const SETTLEMENTS: &str = r"
    query ($filter: SettlementFilterInput) {
        settlements(filter: $filter, first: 50) {
            totalCount
            nodes {
                id month points lines pointValueFen amountFen amountYuan rule status
                merchant { id }
                transfer { id code amount }
            }
        }
    }
";

pub const SETTLEMENT_TOTALS: &str = r"
    query ($filter: SettlementFilterInput) {
        settlementTotals(filter: $filter) {
            settlements points amountFen owedFen owedYuan csvUrl
        }
    }
";

pub const MERCHANT_SETTLEMENTS: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Merchant {
                settlements(first: 20) { totalCount nodes { id month points status paidReference } }
                settlementsCsvUrl
            }
        }
    }
";

pub const APPROVE_SETTLEMENT: &str = r"
    mutation ($id: ID!) {
        approveSettlement(input: { settlementId: $id }) {
            settlement { id status approvedById }
            errors { code field }
        }
    }
";

pub const MARK_SETTLEMENT_PAID: &str = r"
    mutation ($id: ID!, $reference: String!) {
        markSettlementPaid(input: { settlementId: $id, reference: $reference }) {
            settlement { id status paidReference paidAt }
            errors { code field }
        }
    }
";

pub const MONTH_STATEMENT: &str = r"
    query ($merchant: ID!, $month: String!) {
        merchantStatement(merchantId: $merchant, month: $month) {
            totalPoints redemptions csvUrl
            settlement { id points }
        }
    }
";

/// An instant in Chengdu (UTC+8) as the UTC the server keeps.
pub fn chengdu(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .map(|t| t - TimeDelta::hours(8))
        .unwrap()
}

impl TestApp {
    /// Stops the app's clock at `at` (UTC): what happens next happens then.
    pub fn clock_at(&self, at: NaiveDateTime) {
        self.services.clock.travel_to(Some(at));
    }

    /// `staff` closes `month`; returns the answer.
    pub async fn close_month(&self, staff: &str, month: &str) -> Value {
        self.ok(CLOSE_SETTLEMENTS, json!({ "month": month }), Some(staff))
            .await
    }

    /// The settlements of `filter`, as `reader` lists them.
    pub async fn settlements(&self, reader: &str, filter: Value) -> Value {
        self.ok(SETTLEMENTS, json!({ "filter": filter }), Some(reader))
            .await["settlements"]
            .clone()
    }

    /// What the settlements of `filter` come to, as `reader` sums them.
    pub async fn settlement_totals(&self, reader: &str, filter: Value) -> Value {
        self.ok(SETTLEMENT_TOTALS, json!({ "filter": filter }), Some(reader))
            .await["settlementTotals"]
            .clone()
    }

    /// The statement of `merchant` for `month`, as its operator reads it.
    pub async fn month_statement(&self, merchant: &Merchant, month: &str) -> Value {
        self.ok(
            MONTH_STATEMENT,
            json!({ "merchant": merchant.id, "month": month }),
            Some(&merchant.operator),
        )
        .await["merchantStatement"]
            .clone()
    }

    /// GETs `url` (a path on the server) as a plain link, with no bearer: the status and the
    /// exact bytes.
    pub async fn download_bytes(&self, url: &str) -> (u16, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{url}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    }
}
