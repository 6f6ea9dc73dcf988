//! The points ledger over HTTP: budgets, donations, reversals, adjustments, idempotency,
//! history, authorisation, and concurrency with invariants checked afterwards.

use serde_json::{Value, json};

use crate::support::{TestApp, both_engines};

const REGISTER_ORG: &str = "mutation($input: RegisterOrganisationInput!) { registerOrganisation(input: $input) { organisation { id status } errors { code } } }";
const REVIEW_ORG: &str = "mutation($input: ReviewOrganisationInput!) { reviewOrganisation(input: $input) { organisation { id status } errors { code } } }";
const ALLOCATE: &str = "mutation($input: AllocateBudgetInput!) { allocateBudget(input: $input) { transfer { id code amount } errors { field code message } } }";
const DONATE: &str = "mutation($input: DonatePointsInput!) { donatePoints(input: $input) { transfer { id code amount reason createdAt } errors { field code message } } }";
const REVERSE: &str = "mutation($input: ReverseTransferInput!) { reverseTransfer(input: $input) { transfer { id code amount reversesId } errors { code } } }";
const ADJUST: &str = "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { transfer { id code amount } errors { field code } } }";
const WALLET: &str = "{ me { wallet { id balance } } }";

async fn wallet(app: &TestApp, token: &str) -> (String, i64) {
    let data = app.ok(WALLET, json!({}), Some(token)).await;
    let w = &data["me"]["wallet"];
    (
        w["id"].as_str().unwrap().to_owned(),
        w["balance"].as_i64().unwrap(),
    )
}

/// A verified organisation owned by a new resident; returns (organisation id, owner token).
async fn verified_organisation(app: &TestApp, staff: &str, name: &str) -> (String, String) {
    let owner = app
        .resident(&format!(
            "owner-{}@example.cn",
            uuid::Uuid::now_v7().simple()
        ))
        .await;
    let data = app
        .ok(
            REGISTER_ORG,
            json!({ "input": { "name": name, "kind": "SOCIAL_ORGANISATION", "description": "社区助老服务", "contact": "028-84000000" } }),
            Some(&owner),
        )
        .await;
    let id = data["registerOrganisation"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reviewed = app
        .ok(
            REVIEW_ORG,
            json!({ "input": { "organisationId": id, "decision": "VERIFY" } }),
            Some(staff),
        )
        .await;
    assert_eq!(
        reviewed["reviewOrganisation"]["organisation"]["status"],
        "VERIFIED"
    );
    (id, owner)
}

/// Staff gives a resident `amount` points through an adjustment.
async fn fund(app: &TestApp, staff: &str, wallet_id: &str, amount: i64) {
    let data = app
        .ok(
            ADJUST,
            json!({ "input": { "accountId": wallet_id, "change": amount, "reason": "测试充值", "idempotencyKey": format!("fund-{}", uuid::Uuid::now_v7()) } }),
            Some(staff),
        )
        .await;
    assert_eq!(data["adjustBalance"]["errors"], json!([]), "{data}");
}

async fn donate(app: &TestApp, token: &str, to: &str, amount: i64, key: &str) -> Value {
    app.ok(
        DONATE,
        json!({ "input": { "recipient": to, "amount": amount, "reason": "邻里互助", "idempotencyKey": key } }),
        Some(token),
    )
    .await["donatePoints"]
        .clone()
}

both_engines!(budgets_donations_history_and_totals);

async fn budgets_donations_history_and_totals(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let (org, owner) = verified_organisation(app, &staff, "和美社区志愿服务队").await;

    let allocated = app
        .ok(ALLOCATE, json!({ "input": { "organisationId": org, "amount": 5000, "reason": "2026 年度志愿积分预算", "idempotencyKey": "budget-2026-hemei" } }), Some(&staff))
        .await;
    assert_eq!(
        allocated["allocateBudget"]["transfer"]["code"],
        "ALLOCATE_BUDGET"
    );

    // The owner sees the budget; its history names the issuance account as counterpart.
    let budget = app
        .ok("query($id: ID!) { node(id: $id) { ... on Organisation { budget { balance history { totalCount edges { node { direction change counterpart { kind name } transfer { reason } } } } } } } }", json!({ "id": org }), Some(&owner))
        .await;
    let budget = &budget["node"]["budget"];
    assert_eq!(budget["balance"], 5000);
    let entry = &budget["history"]["edges"][0]["node"];
    assert_eq!(entry["direction"], "IN");
    assert_eq!(entry["counterpart"]["kind"], "ISSUANCE");
    assert_eq!(entry["transfer"]["reason"], "2026 年度志愿积分预算");

    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 100).await;
    for i in 0..3 {
        let d = donate(
            app,
            &alice,
            "bob@example.cn",
            10 + i,
            &format!("gift-{i}-abcdefgh"),
        )
        .await;
        assert_eq!(d["errors"], json!([]), "{d}");
    }
    let (_, balance) = wallet(app, &alice).await;
    assert_eq!(balance, 100 - 33);

    // Newest first, keyset pages, counterpart named, filter by code.
    let history = "query($after: String, $codes: [TransferCode!]) { me { wallet { history(first: 2, after: $after, filter: { codes: $codes }) { totalCount pageInfo { hasNextPage endCursor } edges { node { change direction counterpart { name kind } transfer { code } } } } } } }";
    let page1 = app.ok(history, json!({}), Some(&alice)).await;
    let h1 = &page1["me"]["wallet"]["history"];
    assert_eq!(h1["totalCount"], 4);
    assert_eq!(h1["edges"][0]["node"]["change"], -12);
    assert_eq!(h1["edges"][0]["node"]["counterpart"]["name"], "居民");
    assert_eq!(h1["edges"][1]["node"]["change"], -11);
    assert_eq!(h1["pageInfo"]["hasNextPage"], true);
    let page2 = app
        .ok(
            history,
            json!({ "after": h1["pageInfo"]["endCursor"] }),
            Some(&alice),
        )
        .await;
    let h2 = &page2["me"]["wallet"]["history"];
    assert_eq!(h2["edges"][0]["node"]["change"], -10);
    assert_eq!(h2["edges"][1]["node"]["change"], 100);
    assert_eq!(h2["edges"][1]["node"]["transfer"]["code"], "ADJUST");
    assert_eq!(h2["pageInfo"]["hasNextPage"], false);
    let donations = app
        .ok(history, json!({ "codes": ["DONATE"] }), Some(&alice))
        .await;
    assert_eq!(donations["me"]["wallet"]["history"]["totalCount"], 3);

    let totals = app
        .ok(
            "{ ledgerTotals { issued outstanding held redeemed expired } }",
            json!({}),
            Some(&staff),
        )
        .await;
    assert_eq!(
        totals["ledgerTotals"],
        json!({ "issued": 5100, "outstanding": 5100, "held": 0, "redeemed": 0, "expired": 0 })
    );

    let audit = app
        .ok(
            "{ auditEvents(first: 10) { edges { node { action } } } }",
            json!({}),
            Some(&staff),
        )
        .await;
    let actions: Vec<&str> = audit["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"ledger.allocate_budget"), "{actions:?}");
    assert!(actions.contains(&"ledger.adjust"), "{actions:?}");
    assert!(actions.contains(&"organisation.verified"), "{actions:?}");
}

both_engines!(donations_are_checked);

async fn donations_are_checked(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 50).await;

    let cases = [
        ("bob@example.cn", 51, "INSUFFICIENT_POINTS"),
        ("alice@example.cn", 5, "SAME_ACCOUNT"),
        ("nobody@example.cn", 5, "RECIPIENT_NOT_FOUND"),
        ("bob@example.cn", 0, "INVALID_INPUT"),
        ("bob@example.cn", -5, "INVALID_INPUT"),
    ];
    for (i, (to, amount, code)) in cases.into_iter().enumerate() {
        let d = donate(app, &alice, to, amount, &format!("checked-{i}-key")).await;
        assert_eq!(d["errors"][0]["code"], code, "{to} {amount}: {d}");
        assert!(d["transfer"].is_null());
    }
    let bad_key = donate(app, &alice, "bob@example.cn", 5, "short").await;
    assert_eq!(bad_key["errors"][0]["field"], "idempotencyKey");
    assert_eq!(wallet(app, &alice).await.1, 50);
}

both_engines!(idempotency_replays_and_refuses_changed_requests);

async fn idempotency_replays_and_refuses_changed_requests(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 100).await;

    let first = donate(app, &alice, "bob@example.cn", 30, "same-key-0001").await;
    let again = donate(app, &alice, "bob@example.cn", 30, "same-key-0001").await;
    assert_eq!(first, again, "a replay returns the original answer");
    assert_eq!(wallet(app, &alice).await.1, 70, "and moves nothing");

    let changed = donate(app, &alice, "bob@example.cn", 31, "same-key-0001").await;
    assert_eq!(changed["errors"][0]["code"], "IDEMPOTENCY_KEY_REUSED");

    // Keys are scoped per caller: Bob may use the same key for his own request.
    let bob = app.sign_in("bob@example.cn").await;
    let bobs = donate(app, &bob, "alice@example.cn", 5, "same-key-0001").await;
    assert_eq!(bobs["errors"], json!([]));
}

both_engines!(reversals_happen_once_and_only_while_covered);

async fn reversals_happen_once_and_only_while_covered(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let alice = app.resident("alice@example.cn").await;
    let bob = app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 100).await;

    let gift = donate(app, &alice, "bob@example.cn", 40, "gift-to-bob-1").await;
    let gift_id = gift["transfer"]["id"].as_str().unwrap().to_owned();
    let reverse = |id: String, key: &'static str| json!({ "input": { "transferId": id, "reason": "误操作，按居民申请冲正", "idempotencyKey": key } });

    assert_eq!(
        app.top_level_code(
            REVERSE,
            reverse(gift_id.clone(), "rev-by-resident"),
            Some(&alice)
        )
        .await,
        "FORBIDDEN"
    );

    let reversed = app
        .ok(
            REVERSE,
            reverse(gift_id.clone(), "reverse-gift-1"),
            Some(&staff),
        )
        .await;
    let reversal = &reversed["reverseTransfer"]["transfer"];
    assert_eq!(reversal["code"], "REVERSE");
    assert_eq!(reversal["reversesId"], gift_id.as_str());
    assert_eq!(wallet(app, &alice).await.1, 100);
    assert_eq!(wallet(app, &bob).await.1, 0);

    let twice = app
        .ok(
            REVERSE,
            reverse(gift_id.clone(), "reverse-gift-2"),
            Some(&staff),
        )
        .await;
    assert_eq!(
        twice["reverseTransfer"]["errors"][0]["code"],
        "ALREADY_REVERSED"
    );
    let of_reversal = app
        .ok(
            REVERSE,
            reverse(reversal["id"].as_str().unwrap().to_owned(), "reverse-rev-1"),
            Some(&staff),
        )
        .await;
    assert_eq!(
        of_reversal["reverseTransfer"]["errors"][0]["code"],
        "NOT_REVERSIBLE"
    );

    // Bob spends what he was given; the gift can then no longer be reversed.
    let gift2 = donate(app, &alice, "bob@example.cn", 40, "gift-to-bob-2").await;
    let spent = donate(app, &bob, "alice@example.cn", 30, "bob-spends-1").await;
    assert_eq!(spent["errors"], json!([]));
    let uncovered = app
        .ok(
            REVERSE,
            reverse(
                gift2["transfer"]["id"].as_str().unwrap().to_owned(),
                "reverse-gift-3",
            ),
            Some(&staff),
        )
        .await;
    assert_eq!(
        uncovered["reverseTransfer"]["errors"][0]["code"],
        "INSUFFICIENT_POINTS"
    );
}

both_engines!(nobody_reads_or_moves_what_is_not_theirs);

async fn nobody_reads_or_moves_what_is_not_theirs(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let (org, owner) = verified_organisation(app, &staff, "致强社区商户联盟").await;
    let alice = app.resident("alice@example.cn").await;
    let mallory = app.resident("mallory@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 100).await;

    // Another resident's wallet and history.
    let read =
        "query($id: ID!) { node(id: $id) { ... on Account { balance history { totalCount } } } }";
    assert_eq!(
        app.top_level_code(read, json!({ "id": alice_wallet }), Some(&mallory))
            .await,
        "FORBIDDEN"
    );
    // Another organisation's budget.
    let budget = "query($id: ID!) { node(id: $id) { ... on Organisation { budget { balance } } } }";
    assert_eq!(
        app.top_level_code(budget, json!({ "id": org }), Some(&mallory))
            .await,
        "FORBIDDEN"
    );
    // Moving someone else's points: adjustments are staff-only.
    let steal = json!({ "input": { "accountId": alice_wallet, "change": -100, "reason": "想转走", "idempotencyKey": "steal-0001" } });
    assert_eq!(
        app.top_level_code(ADJUST, steal, Some(&mallory)).await,
        "FORBIDDEN"
    );
    // Allocating budgets: not for residents, not for organisation members.
    for token in [&mallory, &owner] {
        let allocate = json!({ "input": { "organisationId": org, "amount": 10, "reason": "自己拨款", "idempotencyKey": "self-alloc-1" } });
        assert_eq!(
            app.top_level_code(ALLOCATE, allocate, Some(token)).await,
            "FORBIDDEN"
        );
    }
    // Anonymous callers are asked to sign in.
    assert_eq!(
        app.top_level_code(read, json!({ "id": alice_wallet }), None)
            .await,
        "UNAUTHENTICATED"
    );
    // Staff see any account.
    let seen = app
        .ok(read, json!({ "id": alice_wallet }), Some(&staff))
        .await;
    assert_eq!(seen["node"]["balance"], 100);
    assert_eq!(wallet(app, &alice).await.1, 100);
}

both_engines!(concurrent_spends_never_overdraw);

async fn concurrent_spends_never_overdraw(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let alice = app.resident("alice@example.cn").await;
    app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 1000).await;

    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let token = alice.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "query": DONATE, "variables": { "input": { "recipient": "bob@example.cn", "amount": 10, "idempotencyKey": format!("spend-{i:04}-key") } } });
            let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let (mut succeeded, mut refused) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(
            body.get("errors").is_none(),
            "no top-level errors expected: {body}"
        );
        let payload = &body["data"]["donatePoints"];
        match payload["errors"][0]["code"].as_str() {
            None => succeeded += 1,
            Some("INSUFFICIENT_POINTS") => refused += 1,
            Some(other) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((succeeded, refused), (100, 100));
    assert_eq!(wallet(app, &alice).await.1, 0);
}

both_engines!(concurrent_replays_make_one_transfer);

async fn concurrent_replays_make_one_transfer(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let alice = app.resident("alice@example.cn").await;
    let bob = app.resident("bob@example.cn").await;
    let (alice_wallet, _) = wallet(app, &alice).await;
    fund(app, &staff, &alice_wallet, 100).await;

    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let token = alice.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "query": DONATE, "variables": { "input": { "recipient": "bob@example.cn", "amount": 7, "reason": "同一请求", "idempotencyKey": "one-replayed-key" } } });
            let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.unwrap()
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(
        answers[0]["data"]["donatePoints"]["transfer"]["id"].is_string(),
        "{}",
        answers[0]
    );
    assert!(
        answers.iter().all(|a| a["data"] == answers[0]["data"]),
        "all 50 answers must be identical (but for the remaining budget each reports)"
    );
    assert_eq!(wallet(app, &alice).await.1, 93);
    assert_eq!(wallet(app, &bob).await.1, 7);
}
