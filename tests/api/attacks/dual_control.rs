//! Dual control: a staff movement of points above the configured amount waits for a second
//! staff member, who approves or declines it once; below it, it posts at once.

use serde_json::{Value, json};

use crate::support::ledger::DECIDE_APPROVAL_REQUEST;
use crate::support::{TestApp, accepted, both_engines, text_at, user_error};

const PENDING_APPROVAL_REQUESTS: &str = r"
    {
        approvalRequests(status: PENDING) {
            totalCount
            edges { node { id kind change reason } }
        }
    }
";

const AUDIT_EVENTS: &str = "{ auditEvents(first: 5) { edges { node { action } } } }";

/// A resident with an empty wallet: (their token, their wallet's id).
async fn a_resident(app: &TestApp) -> (String, String) {
    let resident = app.resident("resident@example.cn").await;
    let wallet = app.wallet_id(&resident).await;
    (resident, wallet)
}

/// The staff member asks to give `account` 5,000 points with `key`: the waiting request's id.
async fn a_large_adjustment(app: &TestApp, account: &str, key: &str) -> String {
    let asked = app.adjust(&app.staff().await, account, 5_000, key).await;
    text_at(&asked, "/adjustBalance/approvalRequest/id")
}

/// `staff` decide `request`: approve or decline it; returns the answer.
async fn decide(app: &TestApp, staff: &str, request: &str, approve: bool) -> Value {
    app.ok(
        DECIDE_APPROVAL_REQUEST,
        json!({ "id": request, "approve": approve }),
        Some(staff),
    )
    .await
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
    let maker = app.staff().await;
    let checker = app.another_staff_member("checker@example.cn").await;
    let (resident, account) = a_resident(app).await;

    let asked = app.adjust(&maker, &account, 5_000, "large-adjust-01").await;
    let request = text_at(&asked, "/adjustBalance/approvalRequest/id");
    let queue = app
        .ok(PENDING_APPROVAL_REQUESTS, json!({}), Some(&checker))
        .await;
    let before = app.balance(&resident).await;
    let decided = app.approve(&checker, &request).await;

    assert!(asked["adjustBalance"]["transfer"].is_null(), "{asked}");
    assert_eq!(queue["approvalRequests"]["totalCount"], 1);
    assert_eq!(
        queue["approvalRequests"]["edges"][0]["node"]["change"],
        5_000
    );
    assert_eq!(before, 0, "nothing moved before the second person");
    assert_eq!(decided["status"], "APPROVED");
    assert!(decided["transferMadeId"].is_string());
    assert_eq!(app.balance(&resident).await, 5_000);
}

async fn the_requester_cannot_approve_their_own_request(app: &TestApp) {
    let (resident, account) = a_resident(app).await;
    let request = a_large_adjustment(app, &account, "large-adjust-02").await;

    let data = decide(app, &app.staff().await, &request, true).await;

    assert_eq!(
        user_error(&data, "decideApprovalRequest"),
        "SECOND_APPROVER_REQUIRED"
    );
    assert_eq!(app.balance(&resident).await, 0);
}

async fn a_request_is_decided_once(app: &TestApp) {
    let checker = app.another_staff_member("checker@example.cn").await;
    let third = app.another_staff_member("third@example.cn").await;
    let (resident, account) = a_resident(app).await;
    let request = a_large_adjustment(app, &account, "large-adjust-03").await;
    app.approve(&checker, &request).await;

    let again = decide(app, &third, &request, true).await;

    assert_eq!(
        user_error(&again, "decideApprovalRequest"),
        "ALREADY_DECIDED"
    );
    assert_eq!(app.balance(&resident).await, 5_000, "posted once");
}

async fn a_declined_request_moves_nothing(app: &TestApp) {
    let checker = app.another_staff_member("checker@example.cn").await;
    let (resident, account) = a_resident(app).await;
    let request = a_large_adjustment(app, &account, "large-adjust-04").await;

    let data = decide(app, &checker, &request, false).await;

    let decided = &accepted(&data, "decideApprovalRequest")["approvalRequest"];
    assert_eq!(decided["status"], "DECLINED");
    assert!(decided["transferMadeId"].is_null());
    assert_eq!(app.balance(&resident).await, 0);
    let audit = app
        .ok(AUDIT_EVENTS, json!({}), Some(&app.staff().await))
        .await;
    assert!(
        audit.to_string().contains("ledger.approval_declined"),
        "{audit}"
    );
}

async fn a_small_adjustment_posts_at_once(app: &TestApp) {
    let (resident, account) = a_resident(app).await;

    let posted = app
        .adjust(&app.staff().await, &account, 1_000, "small-adjust-01")
        .await;

    assert!(posted["adjustBalance"]["approvalRequest"].is_null());
    assert_eq!(posted["adjustBalance"]["transfer"]["amount"], 1_000);
    assert_eq!(app.balance(&resident).await, 1_000);
}

async fn a_retried_request_finds_the_waiting_one(app: &TestApp) {
    let maker = app.staff().await;
    let (_, account) = a_resident(app).await;

    let first = app.adjust(&maker, &account, 5_000, "large-adjust-05").await;
    let retry = app.adjust(&maker, &account, 5_000, "large-adjust-05").await;
    let changed = app.adjust(&maker, &account, 6_000, "large-adjust-05").await;

    assert_eq!(
        first["adjustBalance"]["approvalRequest"]["id"],
        retry["adjustBalance"]["approvalRequest"]["id"]
    );
    assert_eq!(
        user_error(&changed, "adjustBalance"),
        "IDEMPOTENCY_KEY_REUSED"
    );
    let queue = app
        .ok(PENDING_APPROVAL_REQUESTS, json!({}), Some(&maker))
        .await;
    assert_eq!(queue["approvalRequests"]["totalCount"], 1);
}
