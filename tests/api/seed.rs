//! The seed: deterministic, idempotent, and the logins it prints show a living district.

use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::json;

use crate::support::{Engine, TestApp, both_engines};

async fn seed_demo(app: &TestApp) -> linli_seed::Report {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || {
        linli_seed::run(
            &services,
            linli_seed::Profile::Demo,
            1,
            linli_seed::DEFAULT_SEED,
            &mut |_| {},
        )
    })
    .await
    .unwrap()
    .unwrap()
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Everything the seed decides, without generated ids and timestamps.
fn content(path: &str) -> Vec<String> {
    let mut conn = SqliteConnection::establish(path).unwrap();
    let queries = [
        "SELECT name || '|' || street || '|' || community_type AS line FROM community ORDER BY line",
        "SELECT COALESCE(email, '') || '|' || display_name || '|' || role AS line FROM app_user ORDER BY line",
        "SELECT name || '|' || kind || '|' || status AS line FROM organisation ORDER BY line",
        "SELECT p.title || '|' || p.status || '|' || p.price_tier || '|' || COALESCE(p.price_fen, -1) || '|' || o.name AS line FROM product p JOIN organisation o ON o.id = p.organisation_id ORDER BY line",
        "SELECT m.shop_name || '|' || r.title || '|' || r.points_price || '|' || COALESCE(r.stock, -1) AS line FROM reward r JOIN merchant m ON m.id = r.merchant_id ORDER BY line",
        "SELECT a.kind || '|' || COALESCE(u.email, o.name, m.shop_name, '') || '|' || a.balance AS line FROM account a LEFT JOIN app_user u ON u.id = a.owner_id LEFT JOIN organisation o ON o.id = a.owner_id LEFT JOIN merchant m ON m.id = a.owner_id ORDER BY line",
        "SELECT code || '|' || amount || '|' || reason AS line FROM transfer ORDER BY line",
        "SELECT g.name || '|' || g.stage || '|' || (SELECT COUNT(*) FROM group_member m WHERE m.group_id = g.id) AS line FROM community_group g ORDER BY line",
    ];
    queries
        .iter()
        .flat_map(|q| diesel::sql_query(*q).load::<Line>(&mut conn).unwrap())
        .map(|l| l.line)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_builds_the_same_district_and_a_rerun_changes_nothing() {
    let first = TestApp::spawn(Engine::Sqlite).await;
    let second = TestApp::spawn(Engine::Sqlite).await;
    let report = seed_demo(&first).await;
    assert!(!report.already_seeded);
    seed_demo(&second).await;
    let (a, b) = (
        content(first.url.trim_start_matches("sqlite://")),
        content(second.url.trim_start_matches("sqlite://")),
    );
    assert!(
        a.len() > 300,
        "the demo district is not empty: {} lines",
        a.len()
    );
    let differs: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).take(3).collect();
    assert!(
        a.len() == b.len() && differs.is_empty(),
        "{} vs {} lines; first differences {differs:?}",
        a.len(),
        b.len()
    );

    let again = seed_demo(&first).await;
    assert!(again.already_seeded);
    assert_eq!(content(first.url.trim_start_matches("sqlite://")), a);
    first.assert_ledger_ok().await;
}

both_engines!(the_printed_logins_show_data);

async fn the_printed_logins_show_data(app: &TestApp) {
    let report = seed_demo(app).await;
    let login = |who: &str| {
        report
            .logins
            .iter()
            .find(|(w, _)| w.contains(who))
            .unwrap()
            .1
            .clone()
    };
    let sign_in = |login: String| async move {
        let data = app
            .ok("mutation($l: String!, $p: String!) { signIn(input: { login: $l, password: $p }) { session { accessToken } } }", json!({ "l": login, "p": linli_seed::DEMO_PASSWORD }), None)
            .await;
        data["signIn"]["session"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let resident = sign_in(login("居民")).await;
    let me = app
        .ok(
            "{ me { wallet { balance history { totalCount } } serviceRecord { totalMinutes } } }",
            json!({}),
            Some(&resident),
        )
        .await;
    assert!(me["me"]["wallet"]["balance"].as_i64().unwrap() > 0, "{me}");
    assert!(
        me["me"]["wallet"]["history"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert!(me["me"]["serviceRecord"]["totalMinutes"].as_i64().unwrap() > 0);

    let operator = sign_in(login("商家")).await;
    let orgs = app
        .ok(
            "{ myOrganisations { organisation { merchant { id } } } }",
            json!({}),
            Some(&operator),
        )
        .await;
    let merchant = orgs["myOrganisations"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["organisation"]["merchant"]["id"].as_str())
        .unwrap()
        .to_owned();
    let pending = app.ok("query($m: ID!) { merchantRedemptions(merchantId: $m, status: PENDING) { totalCount edges { node { code points } } } }", json!({ "m": merchant }), Some(&operator)).await;
    assert!(
        pending["merchantRedemptions"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0,
        "{pending}"
    );
    assert!(
        pending["merchantRedemptions"]["edges"][0]["node"]["code"].is_null(),
        "operators never see codes"
    );

    let member = sign_in(login("组织成员")).await;
    let mine = app.ok("{ myOrganisations { role organisation { budget { balance } products { totalCount } } } }", json!({}), Some(&member)).await;
    assert!(
        mine["myOrganisations"][0]["organisation"]["products"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0,
        "{mine}"
    );

    let staff = sign_in(login("工作人员")).await;
    let queue = app
        .ok(
            "{ organisationReviewQueue { totalCount } ledgerTotals { issued } }",
            json!({}),
            Some(&staff),
        )
        .await;
    assert!(
        queue["organisationReviewQueue"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0
    );

    let search = app.ok("{ products(filter: { text: \"助餐\" }, first: 3) { totalCount } activities { totalCount } rewards { totalCount } }", json!({}), None).await;
    assert!(search["products"]["totalCount"].as_i64().unwrap() > 0);
    assert!(search["activities"]["totalCount"].as_i64().unwrap() > 0);
    assert!(search["rewards"]["totalCount"].as_i64().unwrap() > 0);
    let groups = app.ok("{ groups { stage } }", json!({}), None).await;
    let stages: std::collections::BTreeSet<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 3, "groups at several stages: {stages:?}");
}
