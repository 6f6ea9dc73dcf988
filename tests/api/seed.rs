//! The seed: deterministic, idempotent, and the logins it prints show a living district.

use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::{Value, json};

use crate::support::volunteering::{CHECK_IN, CHECK_IN_CODE};
use crate::support::{Engine, TestApp, both_engines, text_at};

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Everything the seed decides, without generated ids and timestamps.
fn content(path: &str) -> Vec<String> {
    let mut conn = SqliteConnection::establish(path).unwrap();
    let queries = [
        "SELECT name || '|' || street || '|' || community_type AS line \
         FROM community ORDER BY line",
        "SELECT COALESCE(email, '') || '|' || display_name || '|' || role AS line \
         FROM app_user ORDER BY line",
        "SELECT name || '|' || kind || '|' || status AS line FROM organisation ORDER BY line",
        "SELECT p.title || '|' || p.status || '|' || p.price_tier || '|' \
             || COALESCE(p.price_fen, -1) || '|' || o.name AS line \
         FROM product p JOIN organisation o ON o.id = p.organisation_id ORDER BY line",
        "SELECT m.shop_name || '|' || r.title || '|' || r.points_price || '|' \
             || COALESCE(r.stock, -1) AS line \
         FROM reward r JOIN merchant m ON m.id = r.merchant_id ORDER BY line",
        "SELECT a.kind || '|' || COALESCE(u.email, o.name, m.shop_name, '') || '|' \
             || a.balance AS line \
         FROM account a \
         LEFT JOIN app_user u ON u.id = a.owner_id \
         LEFT JOIN organisation o ON o.id = a.owner_id \
         LEFT JOIN merchant m ON m.id = a.owner_id \
         ORDER BY line",
        "SELECT code || '|' || amount || '|' || reason AS line FROM transfer ORDER BY line",
        "SELECT g.name || '|' || g.stage || '|' \
             || (SELECT COUNT(*) FROM group_member m WHERE m.group_id = g.id) AS line \
         FROM community_group g ORDER BY line",
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
    let report = first.seed_demo().await;
    assert!(!report.already_seeded);
    second.seed_demo().await;
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

    let again = first.seed_demo().await;
    assert!(again.already_seeded);
    assert_eq!(content(first.url.trim_start_matches("sqlite://")), a);
    first.assert_ledger_ok().await;
}

const MY_ORGANISATION: &str = "{ myOrganisations { organisation { id } } }";

const ACTIVITIES_SINCE: &str = r"
    query ($org: ID!, $from: DateTime!) {
        activities(filter: { organisationId: $org, from: $from }, first: 20) {
            nodes { id startsAt endsAt }
        }
    }
";

const SIGN_IN: &str = r"
    mutation ($login: String!, $password: String!) {
        signIn(input: { login: $login, password: $password }) {
            session { accessToken }
        }
    }
";

const MY_POINTS_AND_HOURS: &str = r"
    {
        me {
            wallet { balance history { totalCount } }
            serviceRecord { totalMinutes }
        }
    }
";

const MY_MERCHANTS: &str = r"
    {
        myOrganisations { organisation { merchant { id } } }
    }
";

const PENDING_REDEMPTIONS: &str = r"
    query ($merchant: ID!) {
        merchantRedemptions(merchantId: $merchant, status: PENDING) {
            totalCount
            edges { node { code points } }
        }
    }
";

const MY_ORGANISATIONS: &str = r"
    {
        myOrganisations {
            role
            organisation { budget { balance } products { totalCount } }
        }
    }
";

const REVIEW_QUEUE_AND_TOTALS: &str = r"
    {
        organisationReviewQueue { totalCount }
        ledgerTotals { issued }
    }
";

const PUBLIC_CATALOGUE: &str = r#"
    {
        products(filter: { text: "助餐" }, first: 3) { totalCount }
        activities { totalCount }
        rewards { totalCount }
        groups(first: 100) { nodes { stage } }
    }
"#;

/// The demo district is seeded; the person printed as `who` signs in with the printed login:
/// their token.
async fn printed_login(app: &TestApp, who: &str) -> String {
    app.seed_demo().await;
    let (_, login) = linli_seed::LOGINS
        .iter()
        .find(|(w, _)| w.contains(who))
        .unwrap_or_else(|| panic!("no login printed for {who}"));
    let data = app
        .ok(
            SIGN_IN,
            json!({ "login": login, "password": linli_seed::DEMO_PASSWORD }),
            None,
        )
        .await;
    text_at(&data, "/signIn/session/accessToken")
}

fn count(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected a count, got {value}"))
}

both_engines!(
    the_printed_resident_has_points_a_history_and_hours,
    the_printed_operator_has_pending_redemptions_without_their_codes,
    the_printed_member_has_products,
    the_printed_staff_member_has_organisations_to_review,
    the_public_sees_products_activities_rewards_and_groups_at_several_stages,
    days_later_a_demo_start_opens_an_activity_for_check_in_and_leaves_redemptions_waiting,
    a_second_demo_start_the_same_hour_adds_nothing,
);

async fn the_printed_resident_has_points_a_history_and_hours(app: &TestApp) {
    let resident = printed_login(app, "居民").await;

    let me = app
        .ok(MY_POINTS_AND_HOURS, json!({}), Some(&resident))
        .await;

    assert!(count(&me["me"]["wallet"]["balance"]) > 0, "{me}");
    assert!(count(&me["me"]["wallet"]["history"]["totalCount"]) > 0);
    assert!(count(&me["me"]["serviceRecord"]["totalMinutes"]) > 0);
}

async fn the_printed_operator_has_pending_redemptions_without_their_codes(app: &TestApp) {
    let operator = printed_login(app, "商家").await;

    let redemptions = waiting_at_the_counter(app, &operator).await;

    assert!(count(&redemptions["totalCount"]) > 0, "{redemptions}");
    assert!(
        redemptions["edges"][0]["node"]["code"].is_null(),
        "operators never see codes"
    );
}

async fn the_printed_member_has_products(app: &TestApp) {
    let member = printed_login(app, "组织成员").await;

    let mine = app.ok(MY_ORGANISATIONS, json!({}), Some(&member)).await;

    let products = &mine["myOrganisations"][0]["organisation"]["products"];
    assert!(count(&products["totalCount"]) > 0, "{mine}");
}

async fn the_printed_staff_member_has_organisations_to_review(app: &TestApp) {
    let staff = printed_login(app, "工作人员").await;

    let queue = app
        .ok(REVIEW_QUEUE_AND_TOTALS, json!({}), Some(&staff))
        .await;

    assert!(count(&queue["organisationReviewQueue"]["totalCount"]) > 0);
}

async fn the_public_sees_products_activities_rewards_and_groups_at_several_stages(app: &TestApp) {
    app.seed_demo().await;

    let public = app.ok(PUBLIC_CATALOGUE, json!({}), None).await;

    assert!(count(&public["products"]["totalCount"]) > 0);
    assert!(count(&public["activities"]["totalCount"]) > 0);
    assert!(count(&public["rewards"]["totalCount"]) > 0);
    let stages: std::collections::BTreeSet<&str> = public["groups"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 3, "groups at several stages: {stages:?}");
}

/// A demo start on the server's clock now: what it renewed.
async fn demo_start(app: &TestApp) -> linli_seed::Refreshed {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || linli_seed::refresh(&services).unwrap())
        .await
        .unwrap()
        .expect("the demo seeded this database")
}

async fn days_later_a_demo_start_opens_an_activity_for_check_in_and_leaves_redemptions_waiting(
    app: &TestApp,
) {
    app.seed_demo().await;
    app.days_pass(10);

    let renewed = demo_start(app).await;

    assert!(
        renewed.activities > 1 && renewed.redemptions > 0,
        "{renewed:?}"
    );
    let organiser = printed_login(app, "组织成员").await;
    let resident = printed_login(app, "居民").await;
    let running = running_activity(app, &organiser).await;
    let code = app
        .ok(CHECK_IN_CODE, json!({ "id": running }), Some(&organiser))
        .await;
    let checked = app
        .ok(
            CHECK_IN,
            json!({ "id": running, "code": text_at(&code, "/node/checkInCode/code") }),
            Some(&resident),
        )
        .await;
    assert!(
        checked["checkIn"]["errors"].as_array().unwrap().is_empty(),
        "{checked}"
    );
    let operator = printed_login(app, "商家").await;
    let waiting = waiting_at_the_counter(app, &operator).await;
    assert!(count(&waiting["totalCount"]) >= 2, "{waiting}");
    app.assert_ledger_ok().await;
}

async fn a_second_demo_start_the_same_hour_adds_nothing(app: &TestApp) {
    app.seed_demo().await;

    let again = demo_start(app).await;

    assert_eq!(again, linli_seed::Refreshed::default());
}

/// The organiser's activity under way on the server's clock: its id.
async fn running_activity(app: &TestApp, organiser: &str) -> String {
    let mine = app.ok(MY_ORGANISATION, json!({}), Some(organiser)).await;
    let org = text_at(&mine, "/myOrganisations/0/organisation/id");
    let now = app.services.clock.now().and_utc();
    let since = (now - chrono::TimeDelta::days(1)).to_rfc3339();
    let listed = app
        .ok(ACTIVITIES_SINCE, json!({ "org": org, "from": since }), None)
        .await;
    let at = |a: &Value, field: &str| {
        chrono::DateTime::parse_from_rfc3339(a[field].as_str().unwrap()).unwrap()
    };
    listed["activities"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| at(a, "startsAt") <= now && now < at(a, "endsAt"))
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no activity under way: {listed}"))
}

/// The redemptions waiting at the operator's counter (`merchantRedemptions`).
async fn waiting_at_the_counter(app: &TestApp, operator: &str) -> Value {
    let organisations = app.ok(MY_MERCHANTS, json!({}), Some(operator)).await;
    let merchant = organisations["myOrganisations"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["organisation"]["merchant"]["id"].as_str())
        .unwrap()
        .to_owned();
    let pending = app
        .ok(
            PENDING_REDEMPTIONS,
            json!({ "merchant": merchant }),
            Some(operator),
        )
        .await;
    pending["merchantRedemptions"].clone()
}
