//! Points: wallets, staff adjustments, budgets, donations and the district's totals.

use serde_json::{Value, json};

use super::{TestApp, accepted, text_at};

pub const ADJUST_BALANCE: &str = r"
    mutation ($input: AdjustBalanceInput!) {
        adjustBalance(input: $input) {
            transfer { id code amount }
            approvalRequest { id status change kind }
            errors { field code }
        }
    }
";

pub const ALLOCATE_BUDGET: &str = r"
    mutation ($input: AllocateBudgetInput!) {
        allocateBudget(input: $input) {
            transfer { id code amount }
            approvalRequest { id status change }
            errors { field code message }
        }
    }
";

pub const DONATE_POINTS: &str = r"
    mutation ($input: DonatePointsInput!) {
        donatePoints(input: $input) {
            transfer { id code amount reason createdAt }
            errors { field code message }
        }
    }
";

pub const DECIDE_APPROVAL_REQUEST: &str = r#"
    mutation ($id: ID!, $approve: Boolean!) {
        decideApprovalRequest(
            input: { approvalRequestId: $id, approve: $approve, note: "已核对" }
        ) {
            approvalRequest { status transferMadeId decidedById }
            errors { code }
        }
    }
"#;

const ORGANISATION_BUDGET: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Organisation { budget { balance } }
        }
    }
";

const MY_WALLET: &str = "{ me { wallet { id balance } } }";

const LEDGER_TOTALS: &str = "{ ledgerTotals { issued outstanding held redeemed settled expired } }";

impl TestApp {
    /// The id of the wallet of the person `token` was issued to.
    pub async fn wallet_id(&self, token: &str) -> String {
        text_at(
            &self.ok(MY_WALLET, json!({}), Some(token)).await,
            "/me/wallet/id",
        )
    }

    /// The balance of the wallet of the person `token` was issued to.
    pub async fn balance(&self, token: &str) -> i64 {
        let data = self.ok(MY_WALLET, json!({}), Some(token)).await;
        data["me"]["wallet"]["balance"]
            .as_i64()
            .unwrap_or_else(|| panic!("no balance: {data}"))
    }

    /// The balance of the budget of `organisation`, as `reader` (one of its members) sees it.
    pub async fn budget_balance(&self, organisation: &str, reader: &str) -> i64 {
        let data = self
            .ok(
                ORGANISATION_BUDGET,
                json!({ "id": organisation }),
                Some(reader),
            )
            .await;
        data["node"]["budget"]["balance"]
            .as_i64()
            .unwrap_or_else(|| panic!("no budget: {data}"))
    }

    /// Staff give the person `token` was issued to `points` through an adjustment (up to
    /// 1,000: more would wait for a second staff member).
    pub async fn fund(&self, token: &str, points: i64) {
        let wallet = self.wallet_id(token).await;
        let adjustment = json!({
            "accountId": wallet,
            "change": points,
            "reason": "志愿服务积分补录",
            "idempotencyKey": format!("fund-{}", uuid::Uuid::now_v7().simple())
        });
        let data = self
            .ok(
                ADJUST_BALANCE,
                json!({ "input": adjustment }),
                Some(&self.staff().await),
            )
            .await;
        let adjusted = accepted(&data, "adjustBalance");
        assert_eq!(
            adjusted["transfer"]["amount"], points,
            "posted at once: {data}"
        );
    }

    /// `staff` change the balance of `account` by `change` with the idempotency `key`; returns
    /// the answer (a transfer, or a request waiting for a second staff member).
    pub async fn adjust(&self, staff: &str, account: &str, change: i64, key: &str) -> Value {
        let adjustment = json!({
            "accountId": account,
            "change": change,
            "reason": "补发积分",
            "idempotencyKey": key
        });
        self.ok(ADJUST_BALANCE, json!({ "input": adjustment }), Some(staff))
            .await
    }

    /// `checker`, a second staff member, approves the waiting `request`: the decided request.
    pub async fn approve(&self, checker: &str, request: &str) -> Value {
        let data = self
            .ok(
                DECIDE_APPROVAL_REQUEST,
                json!({ "id": request, "approve": true }),
                Some(checker),
            )
            .await;
        accepted(&data, "decideApprovalRequest")["approvalRequest"].clone()
    }

    /// A new resident holding `points`: their access token.
    pub async fn funded_resident(&self, points: i64) -> String {
        let token = self.new_resident().await;
        self.fund(&token, points).await;
        token
    }

    /// Staff allocate `points` to the budget of `organisation` (up to 100,000: more would wait
    /// for a second staff member).
    pub async fn allocate_budget(&self, organisation: &str, points: i64) {
        let allocation = json!({
            "organisationId": organisation,
            "amount": points,
            "reason": "活动积分预算",
            "idempotencyKey": format!("budget-{}", uuid::Uuid::now_v7().simple())
        });
        let data = self
            .ok(
                ALLOCATE_BUDGET,
                json!({ "input": allocation }),
                Some(&self.staff().await),
            )
            .await;
        let allocated = accepted(&data, "allocateBudget");
        assert_eq!(
            allocated["transfer"]["amount"], points,
            "posted at once: {data}"
        );
    }

    /// `from` gives `points` to the resident signing in as `to`; returns the answer.
    pub async fn donate(&self, from: &str, to: &str, points: i64, key: &str) -> Value {
        let donation = json!({
            "recipient": to,
            "amount": points,
            "reason": "邻里互助",
            "idempotencyKey": key
        });
        self.ok(DONATE_POINTS, json!({ "input": donation }), Some(from))
            .await
    }

    /// The district's ledger totals, as staff see them.
    pub async fn ledger_totals(&self) -> Value {
        let data = self
            .ok(LEDGER_TOTALS, json!({}), Some(&self.staff().await))
            .await;
        data["ledgerTotals"].clone()
    }
}
