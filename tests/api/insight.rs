//! The district at a glance: the dashboard's figures equal the ledger's totals and the tables'
//! counts (computed here from plain rows), filters narrow them, exports match the ledger, and
//! nobody but staff reads any of it.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};
use linli_domain::db::MultiBackend;
use linli_domain::types::china_time;
use serde_json::{Value, json};

use crate::support::{TestApp, both_engines, global_raw_id, text_at, top_level_error};

const DASHBOARD: &str = r"
    query ($filter: InsightFilterInput) {
        dashboard(filter: $filter) {
            pointsByMonth { month earned redeemed }
            hoursByCommunity { communityId communityName activities participations hours }
            productsByCategory { categoryId categoryName count }
            organisationsByCategory { categoryId count }
            needsByCommunity { communityId opened matched closed }
            merchantsByRedemptions { merchantId shopName redemptions points }
        }
    }
";

const LIABILITY: &str = r"
    query ($from: DateTime, $to: DateTime) {
        liability(from: $from, to: $to) {
            month at issued outstanding inWallets held redeemed expired
        }
        ledgerTotals { issued outstanding held redeemed expired }
    }
";

const IMPACT_TABLE: &str = r"
    query ($filter: InsightFilterInput) {
        impactTable(filter: $filter) {
            communityId categoryId organisationId
            figures { serviceHours pointsEarned productsPublished needsMatched }
        }
    }
";

const CROSS_TAB: &str = r"
    query ($by: [ImpactDimension!], $filter: InsightFilterInput) {
        impactTable(by: $by, filter: $filter) {
            communityId categoryId organisationId
            figures {
                activitiesHeld participants pointsEarned pointsRedeemed
                productsPublished needsMatched needsDelivered
            }
        }
    }
";

const BUDGETS: &str = r"
    query ($filter: InsightFilterInput, $first: Int, $after: String) {
        organisationBudgets(filter: $filter, first: $first, after: $after) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { organisationId name balance allocated paidOut residentsPaid }
        }
    }
";

const REPORTS: &str = r"
    query ($filter: InsightFilterInput) {
        attendanceReport(filter: $filter, first: 100) {
            totalCount nodes { title verified hours points }
        }
        residentHours(filter: $filter, first: 100) {
            totalCount nodes { userId name participations hours points }
        }
    }
";

const EXPORTS: &str = r"
    query ($filter: InsightFilterInput) {
        insightExports(filter: $filter) {
            impactTable attendance residentHours organisationBudgets auditTrail
        }
    }
";

const MY_HISTORY: &str = r"
    {
        me {
            wallet {
                balance historyCsvUrl history(first: 100) { nodes { transfer { id } change } }
            }
        }
    }
";

/// Every staff-only query of the insight context, each selecting one field.
const STAFF_ONLY: [&str; 8] = [
    "{ dashboard { pointsByMonth { month } } }",
    "{ impactTable { communityId } }",
    "{ impactTable(by: [COMMUNITY, CATEGORY]) { communityId } }",
    "{ liability { month } }",
    "{ organisationBudgets { totalCount } }",
    "{ attendanceReport { totalCount } }",
    "{ residentHours { totalCount } }",
    "{ insightExports { auditTrail } }",
];

both_engines!(
    after_the_demo_the_dashboard_equals_the_ledger_and_the_tables,
    the_last_month_of_the_liability_is_the_ledgers_totals_and_earlier_months_end_there,
    a_community_a_community_type_a_category_and_a_period_narrow_every_figure,
    the_cross_tab_by_community_and_category_rolls_up_the_whole_table_and_equals_the_ledger,
    a_cross_tab_by_no_dimension_or_by_one_twice_is_refused,
    a_period_that_ends_before_it_starts_is_refused,
    residents_organisers_and_merchant_operators_are_refused_every_staff_figure,
    budgets_reports_and_exports_match_the_ledger,
    an_export_link_opens_its_own_filter_only,
);

#[derive(QueryableByName)]
pub(crate) struct Flow {
    #[diesel(sql_type = Text)]
    pub(crate) code: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) amount: i64,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    /// The activity's community for an EARN, the merchant's for a capture.
    #[diesel(sql_type = Nullable<Text>)]
    community_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    debit_kind: Option<String>,
}

#[derive(QueryableByName)]
struct Served {
    #[diesel(sql_type = Nullable<Text>)]
    community_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

#[derive(QueryableByName)]
struct Keyed {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    status: String,
}

/// Plain rows, read straight from the database.
async fn rows<T>(app: &TestApp, sql: &'static str) -> Vec<T>
where
    T: QueryableByName<MultiBackend> + Send + 'static,
{
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || {
        services
            .db
            .read(|conn| Ok(diesel::sql_query(sql).load::<T>(conn)?))
            .unwrap()
    })
    .await
    .unwrap()
}

/// Every EARN and capture, placed where the dashboard places it, with the paying account's
/// kind.
pub(crate) async fn flows(app: &TestApp) -> Vec<Flow> {
    rows(
        app,
        "SELECT t.code AS code, t.amount AS amount, t.created_at AS created_at, \
         COALESCE(a.community_id, m.community_id) AS community_id, d.kind AS debit_kind \
         FROM transfer t JOIN account d ON d.id = t.debit_account_id \
         LEFT JOIN participation p ON p.id = t.cause_id \
         LEFT JOIN activity a ON a.id = p.activity_id \
         LEFT JOIN redemption r ON r.id = t.cause_id \
         LEFT JOIN merchant m ON m.id = r.merchant_id \
         WHERE t.code IN ('EARN', 'REDEEM_CAPTURE')",
    )
    .await
}

fn month(at: NaiveDateTime) -> String {
    china_time(at).format("%Y-%m").to_string()
}

fn n(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected a number, got {value}"))
}

fn list<'a>(value: &'a Value, field: &str) -> &'a Vec<Value> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("no list {field} in {value}"))
}

async fn dashboard(app: &TestApp, filter: Value) -> Value {
    let staff = app.staff().await;
    let data = app
        .ok(DASHBOARD, json!({ "filter": filter }), Some(&staff))
        .await;
    data["dashboard"].clone()
}

/// GETs a download link as a browser would: the status and the body.
pub(crate) async fn download(app: &TestApp, url: &str) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}{url}", app.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The CSV's rows after its header, split into cells (the exports quote no cell of these).
pub(crate) fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    let body = csv.strip_prefix('\u{feff}').expect("UTF-8 with a BOM");
    body.split("\r\n")
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

pub(crate) fn column_sum(rows: &[Vec<String>], column: usize) -> i64 {
    rows.iter().map(|r| r[column].parse::<i64>().unwrap()).sum()
}

/// A resident posts a need in each of the first two communities.
pub(crate) async fn needs_posted(app: &TestApp) {
    let communities = app
        .ok(
            "{ communities(first: 2) { nodes { id } } }",
            json!({}),
            None,
        )
        .await;
    let resident = app.new_resident().await;
    let wanted_by = app.services.clock.now().and_utc() + chrono::TimeDelta::days(7);
    for (i, community) in list(&communities["communities"], "nodes")
        .iter()
        .enumerate()
    {
        let need = json!({
            "communityId": community["id"],
            "categoryId": "meal-delivery",
            "title": format!("老年人助餐 {i}"),
            "description": "老年人助餐 需要志愿者送餐",
            "urgency": "HIGH",
            "wantedBy": wanted_by.to_rfc3339()
        });
        app.post_need(&resident, need).await;
    }
}

async fn after_the_demo_the_dashboard_equals_the_ledger_and_the_tables(app: &TestApp) {
    app.seed_demo().await;
    needs_posted(app).await;

    let board = dashboard(app, json!(null)).await;

    let flows = flows(app).await;
    let mut by_month: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for f in &flows {
        let entry = by_month.entry(month(f.created_at)).or_default();
        if f.code == "EARN" {
            entry.0 += f.amount;
        } else {
            entry.1 += f.amount;
        }
    }
    let charted: BTreeMap<String, (i64, i64)> = list(&board, "pointsByMonth")
        .iter()
        .filter(|m| n(&m["earned"]) + n(&m["redeemed"]) > 0)
        .map(|m| (text_at(m, "/month"), (n(&m["earned"]), n(&m["redeemed"]))))
        .collect();
    assert_eq!(charted, by_month, "points per month are the ledger's");
    let totals = app.ledger_totals().await;
    let captured: i64 = list(&board, "pointsByMonth")
        .iter()
        .map(|m| n(&m["redeemed"]))
        .sum();
    assert_eq!(
        captured,
        n(&totals["redeemed"]),
        "captures are what merchants hold"
    );

    let served: Vec<Served> = rows(
        app,
        "SELECT a.community_id AS community_id, \
         CAST(COALESCE(p.verified_minutes, 0) AS BIGINT) AS minutes \
         FROM participation p JOIN activity a ON a.id = p.activity_id \
         WHERE p.verified_at IS NOT NULL",
    )
    .await;
    let mut minutes: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
    for s in served {
        let entry = minutes.entry(s.community_id).or_default();
        entry.0 += 1;
        entry.1 += s.minutes;
    }
    let hours: BTreeMap<Option<String>, (i64, f64)> = list(&board, "hoursByCommunity")
        .iter()
        .map(|h| {
            let id = h["communityId"].as_str().map(global_raw_id);
            (id, (n(&h["participations"]), h["hours"].as_f64().unwrap()))
        })
        .collect();
    let expected: BTreeMap<Option<String>, (i64, f64)> = minutes
        .into_iter()
        .map(|(id, (count, m))| (id, (count, linli_domain::volunteering::model::hours(m))))
        .collect();
    assert_eq!(
        hours, expected,
        "hours per community are the participations'"
    );

    let products: Vec<Keyed> = rows(
        app,
        "SELECT category_id AS key, status AS status FROM product",
    )
    .await;
    let mut published: BTreeMap<String, i64> = BTreeMap::new();
    for p in products.iter().filter(|p| p.status == "PUBLISHED") {
        *published.entry(p.key.clone()).or_default() += 1;
    }
    let counted: BTreeMap<String, i64> = list(&board, "productsByCategory")
        .iter()
        .map(|c| {
            (
                global_raw_id(c["categoryId"].as_str().unwrap()),
                n(&c["count"]),
            )
        })
        .collect();
    assert_eq!(counted, published, "published products per category");

    let needs: Vec<Keyed> = rows(
        app,
        "SELECT community_id AS key, status AS status FROM need",
    )
    .await;
    let mut posted: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for need in &needs {
        let entry = posted.entry(need.key.clone()).or_default();
        entry.0 += 1;
        entry.1 += i64::from(need.status == "CLOSED");
    }
    let charted: BTreeMap<String, (i64, i64)> = list(&board, "needsByCommunity")
        .iter()
        .map(|c| {
            let id = global_raw_id(c["communityId"].as_str().unwrap());
            (id, (n(&c["opened"]), n(&c["closed"])))
        })
        .collect();
    assert!(!needs.is_empty(), "the demo posts needs");
    assert_eq!(charted, posted, "needs per community");

    let merchants: i64 = list(&board, "merchantsByRedemptions")
        .iter()
        .map(|m| n(&m["points"]))
        .sum();
    assert_eq!(
        merchants,
        n(&totals["redeemed"]),
        "every demo merchant is ranked"
    );
    assert!(!list(&board, "organisationsByCategory").is_empty());

    // Earned, allocated, held, captured and released points: the month-ends end at the totals.
    let staff = app.staff().await;
    let liability = app.ok(LIABILITY, json!({}), Some(&staff)).await;
    let last = list(&liability, "liability").last().unwrap().clone();
    for figure in ["issued", "outstanding", "held", "redeemed", "expired"] {
        let total = &liability["ledgerTotals"][figure];
        assert_eq!(last[figure], *total, "{figure}: {liability}");
    }
}

async fn the_last_month_of_the_liability_is_the_ledgers_totals_and_earlier_months_end_there(
    app: &TestApp,
) {
    let alice = app.funded_resident(300).await;
    app.days_pass(40);
    let bob = app.funded_resident(200).await;
    let bob_email = app.email_of(&bob).await;
    app.donate(&alice, &bob_email, 50, "donate-liability-1")
        .await;
    let staff = app.staff().await;

    let data = app.ok(LIABILITY, json!({}), Some(&staff)).await;

    let months = list(&data, "liability");
    assert!(months.len() >= 2, "two months at least: {data}");
    let first = &months[0];
    assert_eq!(
        (n(&first["issued"]), n(&first["inWallets"])),
        (300, 300),
        "the first month ends with Alice's points: {data}"
    );
    let last = months.last().unwrap();
    let totals = &data["ledgerTotals"];
    for figure in ["issued", "outstanding", "held", "redeemed", "expired"] {
        assert_eq!(last[figure], totals[figure], "{figure}: {data}");
    }
    assert_eq!(n(&last["inWallets"]), 500, "donations stay in wallets");

    let before = data["liability"][0]["at"].clone();
    let early = app
        .ok(LIABILITY, json!({ "to": before }), Some(&staff))
        .await;
    assert_eq!(list(&early, "liability").len(), 1, "{early}");
    assert_eq!(n(&early["liability"][0]["issued"]), 300);
}

async fn a_community_a_community_type_a_category_and_a_period_narrow_every_figure(app: &TestApp) {
    app.seed_demo().await;
    let all = dashboard(app, json!(null)).await;
    let busiest = &list(&all, "hoursByCommunity")[0];
    let community = busiest["communityId"].as_str().unwrap().to_owned();

    let one = dashboard(app, json!({ "communityId": community })).await;

    let hours = list(&one, "hoursByCommunity");
    assert_eq!(hours.len(), 1, "{one}");
    assert_eq!(hours[0], *busiest);
    let raw = global_raw_id(&community);
    let earned: i64 = flows(app)
        .await
        .iter()
        .filter(|f| f.code == "EARN" && f.community_id.as_deref() == Some(raw.as_str()))
        .map(|f| f.amount)
        .sum();
    let charted: i64 = list(&one, "pointsByMonth")
        .iter()
        .map(|m| n(&m["earned"]))
        .sum();
    assert_eq!(
        charted, earned,
        "points earned in the community's activities"
    );
    for need in list(&one, "needsByCommunity") {
        assert_eq!(need["communityId"], community.as_str());
    }

    // A community type keeps its communities only.
    let types: Vec<Keyed> = rows(
        app,
        "SELECT id AS key, community_type AS status FROM community",
    )
    .await;
    let of_type = types.iter().find(|t| t.key == raw).unwrap().status.clone();
    let typed = dashboard(app, json!({ "communityType": of_type })).await;
    for row in list(&typed, "hoursByCommunity") {
        let id = global_raw_id(row["communityId"].as_str().unwrap());
        assert!(
            types.iter().any(|t| t.key == id && t.status == of_type),
            "{row} is not a {of_type} community"
        );
    }
    assert!(list(&typed, "hoursByCommunity").contains(busiest));

    // A category keeps itself and its sub-categories only.
    let parents: Vec<Keyed> = rows(
        app,
        "SELECT id AS key, COALESCE(parent_id, '') AS status FROM category",
    )
    .await;
    let top = &list(&all, "productsByCategory")[0];
    let leaf = global_raw_id(top["categoryId"].as_str().unwrap());
    let parent = parents
        .iter()
        .find(|c| c.key == leaf)
        .unwrap()
        .status
        .clone();
    for category in [leaf.clone(), parent].into_iter().filter(|c| !c.is_empty()) {
        let narrowed = dashboard(app, json!({ "categoryId": category })).await;
        let products = list(&narrowed, "productsByCategory");
        assert!(products.contains(top), "{narrowed}");
        for row in products {
            let id = global_raw_id(row["categoryId"].as_str().unwrap());
            let within =
                id == category || parents.iter().any(|c| c.key == id && c.status == category);
            assert!(within, "{row} is outside {category}");
        }
        let cells = app
            .ok(
                IMPACT_TABLE,
                json!({ "filter": { "categoryId": category } }),
                Some(&app.staff().await),
            )
            .await;
        for cell in list(&cells, "impactTable") {
            let id = global_raw_id(cell["categoryId"].as_str().unwrap());
            let within =
                id == category || parents.iter().any(|c| c.key == id && c.status == category);
            assert!(within, "{cell} is outside {category}");
        }
    }

    // A period before anything happened holds nothing.
    let long_ago = json!({ "from": "2001-01-01T00:00:00Z", "to": "2001-02-01T00:00:00Z" });
    let empty = dashboard(app, long_ago).await;
    for figure in [
        "pointsByMonth",
        "hoursByCommunity",
        "productsByCategory",
        "needsByCommunity",
    ] {
        assert!(list(&empty, figure).is_empty(), "{figure}: {empty}");
    }
}

/// The integer figures of each cross-tab cell, keyed by its (community, category).
type Rolled = BTreeMap<(Option<String>, Option<String>), [i64; 7]>;

fn rolled_up(cells: &[Value]) -> Rolled {
    let mut rolled = Rolled::new();
    for cell in cells {
        let key = (
            cell["communityId"].as_str().map(str::to_owned),
            cell["categoryId"].as_str().map(str::to_owned),
        );
        let figures = rolled.entry(key).or_default();
        let f = &cell["figures"];
        let values = [
            "activitiesHeld",
            "participants",
            "pointsEarned",
            "pointsRedeemed",
            "productsPublished",
            "needsMatched",
            "needsDelivered",
        ]
        .map(|name| n(&f[name]));
        for (sum, value) in figures.iter_mut().zip(values) {
            *sum += value;
        }
    }
    rolled
}

async fn the_cross_tab_by_community_and_category_rolls_up_the_whole_table_and_equals_the_ledger(
    app: &TestApp,
) {
    app.seed_demo().await;
    needs_posted(app).await;
    let staff = app.staff().await;

    let whole = app.ok(CROSS_TAB, json!({}), Some(&staff)).await;
    let two = app
        .ok(
            CROSS_TAB,
            json!({ "by": ["COMMUNITY", "CATEGORY"] }),
            Some(&staff),
        )
        .await;

    let whole = list(&whole, "impactTable");
    let two = list(&two, "impactTable");
    assert!(two.iter().all(|c| c["organisationId"].is_null()), "{two:?}");
    assert_eq!(
        rolled_up(two).len(),
        two.len(),
        "one cell per community and category"
    );
    assert!(
        whole.iter().any(|c| c["organisationId"].is_null()),
        "the needs' cells, of no organisation, are kept"
    );
    assert_eq!(
        rolled_up(two),
        rolled_up(whole),
        "each cell is the sum of its organisations'"
    );
    let totals = rolled_up(two)
        .into_values()
        .fold([0i64; 7], |mut sum, cell| {
            for (s, v) in sum.iter_mut().zip(cell) {
                *s += v;
            }
            sum
        });
    let flows = flows(app).await;
    let earned: i64 = flows
        .iter()
        .filter(|f| f.code == "EARN")
        .map(|f| f.amount)
        .sum();
    let verified: Vec<Served> = rows(
        app,
        "SELECT a.community_id AS community_id, CAST(0 AS BIGINT) AS minutes \
         FROM participation p JOIN activity a ON a.id = p.activity_id \
         WHERE p.verified_at IS NOT NULL",
    )
    .await;
    let ledger = app.ledger_totals().await;
    assert_eq!(
        totals[1],
        i64::try_from(verified.len()).unwrap(),
        "participants"
    );
    assert_eq!(totals[2], earned, "points earned are the ledger's");
    assert_eq!(totals[3], n(&ledger["redeemed"]), "points redeemed");
}

async fn a_cross_tab_by_no_dimension_or_by_one_twice_is_refused(app: &TestApp) {
    let staff = app.staff().await;

    for by in [json!([]), json!(["CATEGORY", "COMMUNITY", "CATEGORY"])] {
        let (_, body) = app.post(CROSS_TAB, json!({ "by": by }), Some(&staff)).await;

        assert_eq!(top_level_error(&body), "INVALID_INPUT", "{by}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "by", "{body}");
    }
}

async fn a_period_that_ends_before_it_starts_is_refused(app: &TestApp) {
    let staff = app.staff().await;
    let backwards = json!({ "filter": {
        "from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"
    } });

    let (_, body) = app.post(DASHBOARD, backwards, Some(&staff)).await;

    assert_eq!(top_level_error(&body), "INVALID_INPUT", "{body}");
}

async fn residents_organisers_and_merchant_operators_are_refused_every_staff_figure(app: &TestApp) {
    let resident = app.new_resident().await;
    let organiser = app.new_resident().await;
    app.verified_organisation(&organiser).await;
    let operator = app.merchant().await.operator;
    let staff = app.staff().await;

    for query in STAFF_ONLY {
        for token in [&resident, &organiser, &operator] {
            let (_, body) = app.post(query, json!({}), Some(token)).await;
            assert_eq!(top_level_error(&body), "FORBIDDEN", "{query}: {body}");
        }
        app.ok(query, json!({}), Some(&staff)).await;
    }
    // A download link made out to a resident opens nothing either.
    let resident_id =
        linli_domain::types::UserId::parse(&global_raw_id(&app.user_id(&resident).await)).unwrap();
    let as_resident = linli_domain::identity::Actor::User {
        id: resident_id,
        role: linli_domain::identity::Role::Resident,
    };
    let link = app
        .tokens
        .link(&as_resident, "/exports/audit-trail.csv")
        .unwrap();
    let (status, body) = download(app, &link).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("FORBIDDEN"), "{body}");
}

async fn budgets_reports_and_exports_match_the_ledger(app: &TestApp) {
    app.seed_demo().await;
    let staff = app.staff().await;
    let flows = flows(app).await;
    let paid_by_budgets: i64 = flows
        .iter()
        .filter(|f| f.code == "EARN" && f.debit_kind.as_deref() == Some("BUDGET"))
        .map(|f| f.amount)
        .sum();
    let earned: i64 = flows
        .iter()
        .filter(|f| f.code == "EARN")
        .map(|f| f.amount)
        .sum();

    let budgets = app.ok(BUDGETS, json!({ "first": 100 }), Some(&staff)).await;
    let reports = app.ok(REPORTS, json!({}), Some(&staff)).await;
    let links = app.ok(EXPORTS, json!({}), Some(&staff)).await;

    let page = &budgets["organisationBudgets"];
    let paid: i64 = list(page, "nodes").iter().map(|b| n(&b["paidOut"])).sum();
    assert_eq!(paid, paid_by_budgets, "{page}");
    assert_eq!(
        n(&page["totalCount"]),
        i64::try_from(list(page, "nodes").len()).unwrap()
    );
    let attended = &reports["attendanceReport"];
    let points: i64 = list(attended, "nodes")
        .iter()
        .map(|a| n(&a["points"]))
        .sum();
    assert_eq!(points, earned, "attendance pays what the ledger earned");
    let residents = &reports["residentHours"];
    let points: i64 = list(residents, "nodes")
        .iter()
        .map(|r| n(&r["points"]))
        .sum();
    assert_eq!(points, earned, "residents earned what the ledger says");

    let exports = &links["insightExports"];
    let (status, csv) = download(app, &text_at(exports, "/organisationBudgets")).await;
    assert_eq!(status, 200, "{csv}");
    let sheet = csv_rows(&csv);
    assert_eq!(column_sum(&sheet, 3), paid_by_budgets, "{csv}");
    assert_eq!(sheet.len(), list(page, "nodes").len());
    let (_, csv) = download(app, &text_at(exports, "/attendance")).await;
    assert_eq!(column_sum(&csv_rows(&csv), 10), earned, "{csv}");
    let (_, csv) = download(app, &text_at(exports, "/residentHours")).await;
    assert_eq!(column_sum(&csv_rows(&csv), 4), earned, "{csv}");
    let (_, csv) = download(app, &text_at(exports, "/impactTable")).await;
    assert_eq!(column_sum(&csv_rows(&csv), 6), earned, "{csv}");
    let (status, csv) = download(app, &text_at(exports, "/auditTrail")).await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.starts_with("\u{feff}时间（北京时间）,操作人,操作"),
        "{csv}"
    );

    // An account's history: the same transfers as the API's, changes summing to the balance.
    let resident = app.funded_resident(120).await;
    let other = app.new_resident().await;
    let other_email = app.email_of(&other).await;
    app.donate(&resident, &other_email, 45, "donate-export-1")
        .await;
    let me = app.ok(MY_HISTORY, json!({}), Some(&resident)).await;
    let wallet = &me["me"]["wallet"];
    let (status, csv) = download(app, &text_at(wallet, "/historyCsvUrl")).await;
    assert_eq!(status, 200, "{csv}");
    let lines = csv_rows(&csv);
    assert_eq!(column_sum(&lines, 3), n(&wallet["balance"]), "{csv}");
    let mut from_api: Vec<(String, String)> = list(&wallet["history"], "nodes")
        .iter()
        .map(|e| (text_at(e, "/transfer/id"), e["change"].to_string()))
        .collect();
    from_api.reverse();
    let from_csv: Vec<(String, String)> =
        lines.iter().map(|l| (l[0].clone(), l[3].clone())).collect();
    assert_eq!(from_csv, from_api, "oldest first, the API's ids: {csv}");
    assert!(
        lines.iter().any(|l| l[3] == "-45"),
        "a debit is a number: {csv}"
    );
}

async fn an_export_link_opens_its_own_filter_only(app: &TestApp) {
    let staff = app.staff().await;
    let filter = json!({ "filter": {
        "from": "2026-01-01T00:00:00Z", "communityType": "OLD_COMMUNITY"
    } });
    let links = app.ok(EXPORTS, filter, Some(&staff)).await;
    let link = text_at(&links, "/insightExports/impactTable");
    let (status, _) = download(app, &link).await;
    assert_eq!(status, 200);

    let widened = link.replace("OLD_COMMUNITY", "INDUSTRIAL");
    let earlier = link.replace("2026-01-01", "2025-01-01");
    let (_, token) = link.rsplit_once("token=").unwrap();
    let elsewhere = format!("/exports/audit-trail.csv?token={token}");
    for tampered in [widened, earlier, elsewhere] {
        let (status, body) = download(app, &tampered).await;
        assert_eq!(status, 401, "{tampered}: {body}");
    }
}
