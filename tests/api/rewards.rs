//! The business alliance: redeem, confirm, cancel, expire; stock and limits under races;
//! statements that match the ledger.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Engine, TestApp, both_engines, postgres_available};

const REDEEM: &str = "mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { redemption { id status code qrSvg points expiresAt } errors { code } } }";
const CONFIRM: &str = "mutation($m: ID!, $code: String!) { confirmRedemption(input: { merchantId: $m, code: $code }) { redemption { status } errors { code field } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelRedemption(input: { redemptionId: $id }) { redemption { status } errors { code } } }";
const TOTALS: &str = "{ ledgerTotals { issued outstanding held redeemed expired } }";

pub(crate) struct Alliance {
    pub staff: String,
    pub operator: String,
    pub merchant: String,
}

pub(crate) async fn alliance(app: &TestApp, shop: &str, operator_email: &str) -> Alliance {
    let staff = app.sign_in("staff@example.cn").await;
    let operator = app.resident(operator_email).await;
    let org = app
        .ok("mutation($name: String!) { registerOrganisation(input: { name: $name, kind: ENTERPRISE, description: \"社区商户\", contact: \"028-84001111\" }) { organisation { id } } }", json!({ "name": shop }), Some(&operator))
        .await["registerOrganisation"]["organisation"]["id"].as_str().unwrap().to_owned();
    app.ok("mutation($id: ID!) { reviewOrganisation(input: { organisationId: $id, decision: VERIFY }) { errors { code } } }", json!({ "id": org }), Some(&staff)).await;
    let applied = app
        .ok(
            "mutation($input: ApplyForMerchantInput!) { applyForMerchant(input: $input) { merchant { id status } errors { code field } } }",
            json!({ "input": { "organisationId": org, "shopName": shop, "address": "成华区建设路 8 号", "categoryId": "haircut", "openingHours": "09:00–21:00" } }),
            Some(&operator),
        )
        .await;
    let merchant = applied["applyForMerchant"]["merchant"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{applied}"))
        .to_owned();
    assert_eq!(applied["applyForMerchant"]["merchant"]["status"], "PENDING");
    let admitted = app.ok("mutation($id: ID!) { admitMerchant(input: { merchantId: $id }) { merchant { status } } }", json!({ "id": merchant }), Some(&staff)).await;
    assert_eq!(admitted["admitMerchant"]["merchant"]["status"], "ACTIVE");
    Alliance {
        staff,
        operator,
        merchant,
    }
}

pub(crate) async fn reward(
    app: &TestApp,
    a: &Alliance,
    price: i64,
    stock: Option<i64>,
    limit: Option<i64>,
) -> String {
    let data = app
        .ok(
            "mutation($input: CreateRewardInput!) { createReward(input: $input) { reward { id stock merchant { shopName } } errors { code field } } }",
            json!({ "input": { "merchantId": a.merchant, "title": "长者理发一次", "description": "洗剪吹", "pointsPrice": price, "stock": stock, "limitPerPeriod": limit } }),
            Some(&a.operator),
        )
        .await;
    data["createReward"]["reward"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{data}"))
        .to_owned()
}

pub(crate) async fn funded_resident(
    app: &TestApp,
    staff: &str,
    email: &str,
    points: i64,
) -> String {
    let token = app.resident(email).await;
    let wallet = app
        .ok("{ me { wallet { id } } }", json!({}), Some(&token))
        .await["me"]["wallet"]["id"]
        .clone();
    let adjusted = app
        .ok(
            "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { errors { code } } }",
            json!({ "input": { "accountId": wallet, "change": points, "reason": "志愿服务积分补录", "idempotencyKey": format!("fund-{}", email.replace('@', ".")) } }),
            Some(staff),
        )
        .await;
    assert_eq!(adjusted["adjustBalance"]["errors"], json!([]));
    token
}

pub(crate) async fn balance(app: &TestApp, token: &str) -> i64 {
    app.ok("{ me { wallet { balance } } }", json!({}), Some(token))
        .await["me"]["wallet"]["balance"]
        .as_i64()
        .unwrap()
}

async fn stock(app: &TestApp, reward: &str) -> Value {
    app.ok(
        "query($id: ID!) { node(id: $id) { ... on Reward { stock } } }",
        json!({ "id": reward }),
        None,
    )
    .await["node"]["stock"]
        .clone()
}

pub(crate) async fn redeem(app: &TestApp, token: &str, reward: &str, key: &str) -> Value {
    app.ok(
        REDEEM,
        json!({ "input": { "rewardId": reward, "idempotencyKey": key } }),
        Some(token),
    )
    .await["redeemReward"]
        .clone()
}

both_engines!(redeem_confirm_cancel_and_expire);

async fn redeem_confirm_cancel_and_expire(app: &TestApp) {
    app.staff("staff@example.cn").await;
    let a = alliance(app, "和美理发店", "barber@example.cn").await;
    let other = alliance(app, "致强便民维修", "repair@example.cn").await;
    let reward_id = reward(app, &a, 30, Some(5), Some(2)).await;
    let resident = funded_resident(app, &a.staff, "resident@example.cn", 100).await;

    // Redeem: points held, stock taken, a code and its QR issued.
    let first = redeem(app, &resident, &reward_id, "redeem-0001").await;
    let r1 = &first["redemption"];
    assert_eq!(r1["status"], "PENDING");
    assert!(r1["qrSvg"].as_str().unwrap().contains("<svg"));
    let code = r1["code"].as_str().unwrap().to_owned();
    assert_eq!(
        redeem(app, &resident, &reward_id, "redeem-0001").await,
        first,
        "a replay returns the same redemption"
    );
    assert_eq!(balance(app, &resident).await, 70);
    assert_eq!(stock(app, &reward_id).await, 4);
    let totals = app.ok(TOTALS, json!({}), Some(&a.staff)).await;
    assert_eq!(totals["ledgerTotals"]["held"], 30);

    // Only at its own merchant; then confirmed exactly once.
    let wrong = app
        .ok(
            CONFIRM,
            json!({ "m": other.merchant, "code": code }),
            Some(&other.operator),
        )
        .await;
    assert_eq!(
        wrong["confirmRedemption"]["errors"][0]["code"],
        "INVALID_REDEMPTION_CODE"
    );
    assert_eq!(
        app.top_level_code(
            CONFIRM,
            json!({ "m": a.merchant, "code": code }),
            Some(&other.operator)
        )
        .await,
        "FORBIDDEN"
    );
    let confirmed = app
        .ok(
            CONFIRM,
            json!({ "m": a.merchant, "code": code.to_lowercase() }),
            Some(&a.operator),
        )
        .await;
    assert_eq!(
        confirmed["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
    let twice = app
        .ok(
            CONFIRM,
            json!({ "m": a.merchant, "code": code }),
            Some(&a.operator),
        )
        .await;
    assert_eq!(
        twice["confirmRedemption"]["errors"][0]["code"],
        "REDEMPTION_FINISHED"
    );
    let late_cancel = app
        .ok(CANCEL, json!({ "id": r1["id"] }), Some(&resident))
        .await;
    assert_eq!(
        late_cancel["cancelRedemption"]["errors"][0]["code"],
        "REDEMPTION_FINISHED"
    );
    let totals = app.ok(TOTALS, json!({}), Some(&a.staff)).await;
    assert_eq!(
        (
            totals["ledgerTotals"]["held"].as_i64(),
            totals["ledgerTotals"]["redeemed"].as_i64()
        ),
        (Some(0), Some(30))
    );

    // Cancelled: points and stock come back.
    let second = redeem(app, &resident, &reward_id, "redeem-0002").await;
    assert_eq!(balance(app, &resident).await, 40);
    let cancelled = app
        .ok(
            CANCEL,
            json!({ "id": second["redemption"]["id"] }),
            Some(&resident),
        )
        .await;
    assert_eq!(
        cancelled["cancelRedemption"]["redemption"]["status"],
        "CANCELLED"
    );
    assert_eq!(balance(app, &resident).await, 70);
    assert_eq!(stock(app, &reward_id).await, 4);

    // Expired: refused at the counter.
    let third = redeem(app, &resident, &reward_id, "redeem-0003").await;
    let third_code = third["redemption"]["code"].as_str().unwrap().to_owned();
    // The limit (2 per period) counts confirmed and pending, not cancelled.
    let over = redeem(app, &resident, &reward_id, "redeem-0004").await;
    assert_eq!(over["errors"][0]["code"], "REDEMPTION_LIMIT_REACHED");
    app.services.clock.advance(Duration::from_secs(31 * 60));
    let expired = app
        .ok(
            CONFIRM,
            json!({ "m": a.merchant, "code": third_code }),
            Some(&a.operator),
        )
        .await;
    assert_eq!(
        expired["confirmRedemption"]["errors"][0]["code"],
        "REDEMPTION_EXPIRED"
    );
    let swept = tokio::task::block_in_place(|| app.services.rewards().expire_due().unwrap());
    assert_eq!(swept, 1);
    assert_eq!(balance(app, &resident).await, 70);
    assert_eq!(stock(app, &reward_id).await, 4);
    let mine = app
        .ok(
            "{ myRedemptions { totalCount edges { node { status code } } } }",
            json!({}),
            Some(&resident),
        )
        .await;
    let statuses: Vec<&str> = mine["myRedemptions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["EXPIRED", "CANCELLED", "CONFIRMED"]);
    assert!(
        mine["myRedemptions"]["edges"][0]["node"]["code"].is_null(),
        "finished codes are not shown"
    );

    // The statement equals the ledger's captures, in GraphQL and as CSV.
    let month = (app.services.clock.now().and_utc() + chrono::TimeDelta::hours(8))
        .format("%Y-%m")
        .to_string();
    let statement = app
        .ok("query($m: ID!, $month: String!) { merchantStatement(merchantId: $m, month: $month) { totalPoints redemptions perReward { title points } csvPath } }", json!({ "m": a.merchant, "month": month }), Some(&a.operator))
        .await;
    let st = &statement["merchantStatement"];
    assert_eq!(
        (st["totalPoints"].as_i64(), st["redemptions"].as_i64()),
        (Some(30), Some(1))
    );
    let csv = app
        .client
        .get(format!("{}{}", app.base, st["csvPath"].as_str().unwrap()))
        .bearer_auth(&a.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with BOM");
    assert!(csv.contains(",长者理发一次,30\r\n"), "{csv}");
    assert!(csv.contains("合计,,1 笔,30"), "{csv}");
    let outsider = app
        .client
        .get(format!("{}{}", app.base, st["csvPath"].as_str().unwrap()))
        .bearer_auth(&other.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(outsider.status().as_u16(), 403);
    let overview = app.ok("query($month: String!) { districtOverview(month: $month) { totalPoints topMerchants { merchant { shopName } points } } }", json!({ "month": month }), Some(&a.staff)).await;
    assert_eq!(
        overview["districtOverview"]["topMerchants"][0]["merchant"]["shopName"],
        "和美理发店"
    );
    assert_eq!(overview["districtOverview"]["totalPoints"], 30);
}

both_engines!(stock_is_never_oversold);

async fn stock_is_never_oversold(app: &TestApp) {
    app.staff("staff@example.cn").await;
    let a = alliance(app, "双桥子长者食堂", "canteen@example.cn").await;
    let reward_id = reward(app, &a, 20, Some(10), None).await;
    let mut residents = Vec::new();
    for i in 0..100 {
        residents
            .push(funded_resident(app, &a.staff, &format!("diner{i:03}@example.cn"), 50).await);
    }
    let mut tasks = Vec::new();
    for (i, token) in residents.iter().cloned().enumerate() {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let body = json!({ "query": REDEEM, "variables": { "input": { "rewardId": reward_id, "idempotencyKey": format!("lunch-{i:03}-key") } } });
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.unwrap()
        }));
    }
    let (mut ok, mut out) = (0, 0);
    for task in tasks {
        let body = task.await.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        match body["data"]["redeemReward"]["errors"][0]["code"].as_str() {
            None => ok += 1,
            Some("OUT_OF_STOCK") => out += 1,
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!((ok, out), (10, 90));
    assert_eq!(stock(app, &reward_id).await, 0);
    let totals = app.ok(TOTALS, json!({}), Some(&a.staff)).await;
    assert_eq!(
        totals["ledgerTotals"]["held"],
        10 * 20,
        "no points held for the failures"
    );
}

both_engines!(the_per_resident_limit_holds_under_a_race);

async fn the_per_resident_limit_holds_under_a_race(app: &TestApp) {
    app.staff("staff@example.cn").await;
    let a = alliance(app, "猛追湾理发", "barber@example.cn").await;
    let reward_id = reward(app, &a, 10, None, Some(2)).await;
    let resident = funded_resident(app, &a.staff, "eager@example.cn", 1000).await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let token = resident.clone();
        let body = json!({ "query": REDEEM, "variables": { "input": { "rewardId": reward_id, "idempotencyKey": format!("eager-{i:02}-key") } } });
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }));
    }
    let mut ok = 0;
    for task in tasks {
        let body = task.await.unwrap();
        match body["data"]["redeemReward"]["errors"][0]["code"].as_str() {
            None => ok += 1,
            Some("REDEMPTION_LIMIT_REACHED") => {}
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!(ok, 2);
    assert_eq!(balance(app, &resident).await, 1000 - 20);
}

/// The server's own sweeper releases expired holds without anyone asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweeper_releases_expired_holds() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let app = TestApp::spawn_with(engine, &[("LINLI_SWEEP_INTERVAL_SECS", "1")]).await;
        app.staff("staff@example.cn").await;
        let a = alliance(&app, "建设路便民理发", "barber@example.cn").await;
        let reward_id = reward(&app, &a, 25, Some(1), None).await;
        let resident = funded_resident(&app, &a.staff, "resident@example.cn", 25).await;
        redeem(&app, &resident, &reward_id, "sweep-0001").await;
        assert_eq!(balance(&app, &resident).await, 0);
        app.services.clock.advance(Duration::from_secs(31 * 60));
        let mut released = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if balance(&app, &resident).await == 25 {
                released = true;
                break;
            }
        }
        assert!(released, "{engine:?}: the hold was not released");
        assert_eq!(stock(&app, &reward_id).await, 1);
        app.assert_ledger_ok().await;
    }
}

both_engines!(wrong_codes_lock_the_operator_out);

async fn wrong_codes_lock_the_operator_out(app: &TestApp) {
    app.staff("staff@example.cn").await;
    let a = alliance(app, "和美理发店", "barber@example.cn").await;
    let reward_id = reward(app, &a, 10, None, None).await;
    let resident = funded_resident(app, &a.staff, "resident@example.cn", 100).await;
    let code = redeem(app, &resident, &reward_id, "guess-0001").await["redemption"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..10 {
        let wrong = app
            .ok(
                CONFIRM,
                json!({ "m": a.merchant, "code": format!("WRONG{i:03}") }),
                Some(&a.operator),
            )
            .await;
        assert_eq!(
            wrong["confirmRedemption"]["errors"][0]["code"],
            "INVALID_REDEMPTION_CODE"
        );
    }
    // Locked: even the right code is refused until the lock passes.
    let (status, body) = app
        .post(
            CONFIRM,
            json!({ "m": a.merchant, "code": code }),
            Some(&a.operator),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    app.services.clock.advance(Duration::from_secs(11 * 60));
    // The lock lasts ten minutes; the code itself is valid for thirty, so it works now.
    let confirmed = app
        .ok(
            CONFIRM,
            json!({ "m": a.merchant, "code": code }),
            Some(&a.operator),
        )
        .await;
    assert_eq!(
        confirmed["confirmRedemption"]["redemption"]["status"],
        "CONFIRMED"
    );
}
