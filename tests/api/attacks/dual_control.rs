//! Dual control: a staff movement of points above the configured amount waits for a second
//! staff member, who approves or declines it once; below it, it posts at once.

use serde_json::{Value, json};

use super::fixtures::{ADJUST, id_at, user_error, wallet};
use crate::support::{TestApp, both_engines};

const DECIDE: &str = r#"
mutation($id: ID!, $approve: Boolean!) {
  decideApprovalRequest(input: { approvalRequestId: $id, approve: $approve, note: "已核对" }) {
    approvalRequest { status transferMadeId decidedById } errors { code }
  }
}"#;

const QUEUE: &str = r#"
{ approvalRequests(status: PENDING) { totalCount edges { node { id kind change reason } } } }"#;

/// A second staff member approves a request; returns the decided request.
pub async fn approve(app: &TestApp, checker: &str, request: &str) -> Value {
    let vars = json!({ "id": request, "approve": true });
    let data = app.ok(DECIDE, vars, Some(checker)).await;
    assert_eq!(data["decideApprovalRequest"]["errors"], json!([]), "{data}");
    data["decideApprovalRequest"]["approvalRequest"].clone()
}

async fn adjust(app: &TestApp, staff: &str, account: &str, change: i64, key: &str) -> Value {
    let input = json!({ "input": {
        "accountId": account, "change": change, "reason": "补发积分", "idempotencyKey": key
    } });
    app.ok(ADJUST, input, Some(staff)).await
}

both_engines!(
    a_large_adjustment_waits_for_a_second_staff_member,
    the_requester_cannot_approve_their_own_request,
    a_request_is_decided_once,
    a_declined_request_moves_nothing,
    a_small_adjustment_posts_at_once,
    a_retried_request_finds_the_waiting_one,
);

async fn a_large_adjustment_waits_for_a_second_staff_member(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let checker = app.staff("checker@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;

    let asked = adjust(app, &maker, &account, 5_000, "large-adjust-01").await;
    let request = id_at(&asked, &["adjustBalance", "approvalRequest", "id"]);
    let queue = app.ok(QUEUE, json!({}), Some(&checker)).await;
    let before = wallet(app, &resident).await.2;
    let decided = approve(app, &checker, &request).await;

    assert!(asked["adjustBalance"]["transfer"].is_null(), "{asked}");
    assert_eq!(queue["approvalRequests"]["totalCount"], 1);
    assert_eq!(
        queue["approvalRequests"]["edges"][0]["node"]["change"],
        5_000
    );
    assert_eq!(before, 0, "nothing moved before the second person");
    assert_eq!(decided["status"], "APPROVED");
    assert!(decided["transferMadeId"].is_string());
    assert_eq!(wallet(app, &resident).await.2, 5_000);
}

async fn the_requester_cannot_approve_their_own_request(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;
    let asked = adjust(app, &maker, &account, 5_000, "large-adjust-02").await;
    let request = id_at(&asked, &["adjustBalance", "approvalRequest", "id"]);

    let vars = json!({ "id": request, "approve": true });
    let data = app.ok(DECIDE, vars, Some(&maker)).await;

    assert_eq!(
        user_error(&data, "decideApprovalRequest").as_deref(),
        Some("SECOND_APPROVER_REQUIRED")
    );
    assert_eq!(wallet(app, &resident).await.2, 0);
}

async fn a_request_is_decided_once(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let checker = app.staff("checker@example.cn").await;
    let third = app.staff("third@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;
    let asked = adjust(app, &maker, &account, 5_000, "large-adjust-03").await;
    let request = id_at(&asked, &["adjustBalance", "approvalRequest", "id"]);
    approve(app, &checker, &request).await;

    let again = app
        .ok(
            DECIDE,
            json!({ "id": request, "approve": true }),
            Some(&third),
        )
        .await;

    assert_eq!(
        user_error(&again, "decideApprovalRequest").as_deref(),
        Some("ALREADY_DECIDED")
    );
    assert_eq!(wallet(app, &resident).await.2, 5_000, "posted once");
}

async fn a_declined_request_moves_nothing(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let checker = app.staff("checker@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;
    let asked = adjust(app, &maker, &account, 5_000, "large-adjust-04").await;
    let request = id_at(&asked, &["adjustBalance", "approvalRequest", "id"]);

    let vars = json!({ "id": request, "approve": false });
    let data = app.ok(DECIDE, vars, Some(&checker)).await;

    let decided = &data["decideApprovalRequest"]["approvalRequest"];
    assert_eq!(decided["status"], "DECLINED");
    assert!(decided["transferMadeId"].is_null());
    assert_eq!(wallet(app, &resident).await.2, 0);
    let audit = app
        .ok(
            "{ auditEvents(first: 5) { edges { node { action } } } }",
            json!({}),
            Some(&maker),
        )
        .await;
    assert!(
        audit.to_string().contains("ledger.approval_declined"),
        "{audit}"
    );
}

async fn a_small_adjustment_posts_at_once(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;

    let posted = adjust(app, &maker, &account, 1_000, "small-adjust-01").await;

    assert!(posted["adjustBalance"]["approvalRequest"].is_null());
    assert_eq!(posted["adjustBalance"]["transfer"]["amount"], 1_000);
    assert_eq!(wallet(app, &resident).await.2, 1_000);
}

async fn a_retried_request_finds_the_waiting_one(app: &TestApp) {
    let maker = app.staff("maker@example.cn").await;
    let resident = app.resident("resident@example.cn").await;
    let (_, account, _) = wallet(app, &resident).await;

    let first = adjust(app, &maker, &account, 5_000, "large-adjust-05").await;
    let retry = adjust(app, &maker, &account, 5_000, "large-adjust-05").await;
    let changed = adjust(app, &maker, &account, 6_000, "large-adjust-05").await;

    assert_eq!(
        first["adjustBalance"]["approvalRequest"]["id"],
        retry["adjustBalance"]["approvalRequest"]["id"]
    );
    assert_eq!(
        user_error(&changed, "adjustBalance").as_deref(),
        Some("IDEMPOTENCY_KEY_REUSED")
    );
    let queue = app.ok(QUEUE, json!({}), Some(&maker)).await;
    assert_eq!(queue["approvalRequests"]["totalCount"], 1);
}
