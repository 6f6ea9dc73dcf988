//! The incubation centre's console in real headless Chromium at a staff member's desk
//! (1440 × 900), on both engines: a day's work from the queues to the boards, each step ending
//! on what the page shows and on what the API then answers; the queues, directory, budgets and
//! boards are checked (axe-core, hosts, problems) and kept as screenshots for docs/APP.md.

use chrono::TimeDelta;
use serde_json::json;

use crate::browser::{Browser, Driver, Screen, browser_available};
use crate::insight::{column_sum, csv_rows, download, flows, needs_posted};
use crate::support::identity::REGISTER_RESIDENT;
use crate::support::settlement::chengdu;
use crate::support::{Engine, PASSWORD, TestApp, accepted, postgres_available, text_at};

const ORGANISATION_STATUS: &str =
    "query($id: ID!) { node(id: $id) { ... on Organisation { status } } }";
const GROUP_STAGE: &str = "query($id: ID!) { node(id: $id) { ... on Group { stage } } }";
const NEED_STATUS: &str = "query($id: ID!) { node(id: $id) { ... on Need { status } } }";
const PROPOSED_MATCH: &str =
    "query($id: ID!) { node(id: $id) { ... on Need { matches { nodes { id status } } } } }";
const ACCEPT_MATCH: &str = r"
    mutation ($match: ID!) {
        respondToMatch(input: { matchId: $match, accept: true }) {
            match { status }
            errors { code }
        }
    }
";

const MERCHANT_STATUS: &str = "query($id: ID!) { node(id: $id) { ... on Merchant { status } } }";

/// The organisation waiting in the queue, the shop waiting to join the alliance, the group
/// waiting at the gate, and the resident staff look up by phone.
const APPLICANT: &str = "成华区邻里守望服务社";
const SHOP: &str = "建设路邻里便民店";
const PHONE: &str = "13912345678";
const RESIDENT: &str = "王秀兰";
const GROUP: &str = "和美暖心送餐队";
const NEED: &str = "独居老人助餐";

pub(crate) async fn staff_console(driver: &Driver, app: &TestApp, screen: Screen) -> Browser {
    app.staff().await;
    let browser = Browser::open_on(driver, &app.base, screen).await;
    browser.visit("/signin").await;
    browser.fill("邮箱或手机号", "staff@example.cn").await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.wait_for_text("我的钱包").await;
    browser.visit("/me").await;
    browser.press("社创中心工作台").await;
    // The console's sections, shown at a desk and on a phone alike.
    browser.wait_for_text("组织认证").await;
    browser
}

async fn status_of(app: &TestApp, query: &str, id: &str, field: &str) -> String {
    let staff = app.staff().await;
    let data = app.ok(query, json!({ "id": id }), Some(&staff)).await;
    text_at(&data, &format!("/node/{field}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_staff_member_works_the_queues_and_boards_at_a_desk() {
    if !browser_available() {
        return;
    }
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        work_the_queues_and_boards(engine).await;
    }
}

async fn work_the_queues_and_boards(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let applicant_owner = app.new_resident().await;
    let applicant = app.register_organisation(&applicant_owner, APPLICANT).await;
    let shop_owner = app.new_resident().await;
    let shop_organisation = app
        .verified_organisation_named(&shop_owner, "建设路邻里便民服务中心")
        .await;
    let applied = app
        .apply_for_merchant(&shop_owner, &shop_organisation, SHOP)
        .await;
    let merchant = text_at(accepted(&applied, "applyForMerchant"), "/merchant/id");
    let resident = resident_with_phone(&app).await;
    app.fund(&resident, 30).await;
    let group = app.group_ready_for_incubation().await;
    let poster = app.new_resident().await;
    let wanted_by = app.services.clock.now().and_utc() + TimeDelta::days(1);
    let need = app
        .post_need(
            &poster,
            json!({
                "communityId": group.community,
                "categoryId": "meal-delivery",
                "title": NEED,
                "description": "独居老人助餐 需要志愿者每天中午送餐",
                "urgency": "HIGH",
                "wantedBy": wanted_by.to_rfc3339()
            }),
        )
        .await;
    app.days_pass(2);
    let driver = Driver::start().await;
    let staff = staff_console(&driver, &app, Screen::Console).await;

    // The organisation queue: the applicant's details and trail, verified with one press.
    staff.visit("/staff/organisations").await;
    staff.wait_for_text("待认证 1 家").await;
    staff.wait_for_text("028-84000000").await;
    staff
        .check_screen("console-organisation-queue", false)
        .await;
    staff.press(&format!("通过认证 {APPLICANT}")).await;
    staff
        .wait_for_text(&format!("“{APPLICANT}”已通过认证"))
        .await;
    let status = status_of(&app, ORGANISATION_STATUS, &applicant, "status").await;
    assert_eq!(status, "VERIFIED");

    // The merchant applications queue: the shop is admitted to the alliance.
    staff.press("商家入驻").await;
    staff.wait_for_text("待审核 1 家").await;
    staff.check_screen("console-merchant-queue", false).await;
    staff.press(&format!("准予入驻 {SHOP}")).await;
    staff
        .wait_for_text(&format!("“{SHOP}”已加入商家联盟"))
        .await;
    let status = status_of(&app, MERCHANT_STATUS, &merchant, "status").await;
    assert_eq!(status, "ACTIVE");

    // Budgets: the newly verified organisation gets its first points budget.
    staff.press("积分预算").await;
    staff.choose("组织", APPLICANT).await;
    staff.fill("积分", "500").await;
    staff.fill("用途", "2027 年第一季度活动预算").await;
    staff.press("拨付").await;
    staff
        .wait_for_text(&format!("已向“{APPLICANT}”拨付 500 积分"))
        .await;
    assert_eq!(
        app.budget_balance(&applicant, &app.staff().await).await,
        500
    );
    staff.client.refresh().await.unwrap();
    staff.wait_for_text(APPLICANT).await;
    staff.check_screen("console-budgets", false).await;

    // The budgets' CSV, downloaded from the screen: each organisation's row is its budget in
    // the ledger, and the allocation is this period's.
    let (status, csv) = download(&app, &staff.href_of("export-organisationBudgets").await).await;
    assert_eq!(status, 200, "{csv}");
    let sheet = csv_rows(&csv);
    let staff_token = app.staff().await;
    for (name, organisation) in [
        (APPLICANT, &applicant),
        ("建设路邻里便民服务中心", &shop_organisation),
    ] {
        let row = sheet
            .iter()
            .find(|row| row[0] == name)
            .unwrap_or_else(|| panic!("{name} in {csv}"));
        let balance = app.budget_balance(organisation, &staff_token).await;
        assert_eq!(row[1], balance.to_string(), "{name}'s balance: {csv}");
    }
    let applicant_row = sheet.iter().find(|row| row[0] == APPLICANT).unwrap();
    assert_eq!(applicant_row[2], "500", "allocated in the period: {csv}");

    // The directory: the resident found by phone, their wallet and its history.
    staff.press("名录").await;
    staff.fill("姓名、手机号或邮箱", PHONE).await;
    staff.press("搜索").await;
    staff.wait_for_text("找到 1 位").await;
    staff.check_screen("console-directory", false).await;
    staff.press(RESIDENT).await;
    assert_eq!(staff.text_of("balance").await, "30 积分");
    staff.wait_for_text("志愿服务积分补录").await;
    staff
        .check_screen("console-directory-resident", false)
        .await;
    // The wallet's history as CSV: its changes add up to the balance the ledger holds.
    let (status, csv) = download(&app, &staff.href_of("export-history").await).await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(
        column_sum(&csv_rows(&csv), 3),
        app.balance(&resident).await,
        "{csv}"
    );

    // The shop admitted earlier, its till empty until its first redemption.
    staff.visit(&format!("/staff/directory/{merchant}")).await;
    staff.wait_for_text("商家账户余额：0 积分").await;
    staff
        .check_screen("console-directory-merchant", false)
        .await;

    // The incubation board: the group's gate is met, so staff advance it with a note.
    staff.press("孵化看板").await;
    staff.wait_for_text("条件已全部达到").await;
    staff.check_screen("console-incubation-board", false).await;
    staff.press(&format!("作出决定 {GROUP}")).await;
    staff
        .fill(&format!("决定说明（{GROUP}）"), "成员和导师到位")
        .await;
    staff.press(&format!("晋级 {GROUP}")).await;
    staff
        .wait_for_text(&format!("“{GROUP}”：已晋级为培育"))
        .await;
    assert_eq!(
        status_of(&app, GROUP_STAGE, &group.id, "stage").await,
        "INCUBATING"
    );

    // The matching board: the overdue need comes first; staff propose the group.
    staff.press("需求对接").await;
    staff.wait_for_text("其中超时 1 项").await;
    staff.press(NEED).await;
    staff.wait_for_text("推荐对象").await;
    staff.press(&format!("推荐 {GROUP}")).await;
    staff.wait_for_text("等待对方回复").await;
    // The need's steps name the group proposed, with its score.
    staff.wait_for_text(&format!("{GROUP}（")).await;
    staff.check_screen("console-matching-board", false).await;

    // The group accepts on its side; staff record the delivery and close the need.
    let proposals = app
        .ok(
            PROPOSED_MATCH,
            json!({ "id": need }),
            Some(&app.staff().await),
        )
        .await;
    let proposal = text_at(&proposals, "/node/matches/nodes/0/id");
    let answer = app
        .ok(
            ACCEPT_MATCH,
            json!({ "match": proposal }),
            Some(&group.convenor),
        )
        .await;
    accepted(&answer, "respondToMatch");
    staff.client.refresh().await.unwrap();
    staff.wait_for_text("对方已接受").await;
    staff.fill("服务居民人数", "12").await;
    staff
        .fill("交付成果", "每天中午送餐，服务 12 位独居老人")
        .await;
    staff.press("记录交付").await;
    staff.wait_for_text("已记录交付").await;
    staff.press("关闭需求").await;
    staff.wait_for_text("需求已关闭").await;
    assert_eq!(
        status_of(&app, NEED_STATUS, &need, "status").await,
        "CLOSED"
    );

    staff.close().await;

    // On a phone the console is the same app: an entry of the directory and the budgets keep
    // their checks there, one column under a scrolling row of sections.
    let phone = staff_console(&driver, &app, Screen::Phone).await;
    phone
        .visit(&format!("/staff/directory?kind=residents&q={PHONE}"))
        .await;
    phone.press(RESIDENT).await;
    phone.wait_for_text("钱包余额").await;
    phone
        .check_screen("console-directory-resident-phone", false)
        .await;
    phone.visit("/staff/budgets").await;
    phone.wait_for_text("各组织预算").await;
    phone.check_screen("console-budgets-phone", false).await;
    phone.close().await;
    app.assert_ledger_ok().await;
}

/// A resident registered with a mainland mobile number: their access token.
async fn resident_with_phone(app: &TestApp) -> String {
    let input = json!({ "phone": PHONE, "password": PASSWORD, "displayName": RESIDENT });
    let data = app
        .ok(REGISTER_RESIDENT, json!({ "input": input }), None)
        .await;
    accepted(&data, "registerResident");
    app.sign_in(PHONE).await
}

/// The district at a glance after the demo, at a desk and on a phone: each chart's figures are
/// the ledger's, a filter narrows them, a cross-tab cell opens its organisations, and a CSV
/// downloaded from the screen adds up to the ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_staff_member_reads_the_district_at_a_glance() {
    if !browser_available() {
        return;
    }
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        read_the_dashboard(engine).await;
    }
}

/// A whole number as the app writes it (zh-CN grouping).
fn grouped(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

async fn read_the_dashboard(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.seed_demo().await;
    needs_posted(&app).await;
    let earned: i64 = flows(&app)
        .await
        .iter()
        .filter(|f| f.code == "EARN")
        .map(|f| f.amount)
        .sum();
    assert!(earned > 0, "the demo pays for volunteering");
    let totals = app.ledger_totals().await;
    let redeemed = totals["redeemed"].as_i64().unwrap();
    let issued = totals["issued"].as_i64().unwrap();

    let driver = Driver::start().await;
    let staff = staff_console(&driver, &app, Screen::Console).await;
    staff.press("全区概览").await;
    staff
        .wait_for_text(&format!(
            "共发放 {} 积分，兑换 {} 积分",
            grouped(earned),
            grouped(redeemed)
        ))
        .await;
    assert_eq!(
        staff.text_of("liability-issued").await,
        format!("{} 积分", grouped(issued)),
        "the liability's last month is the ledger's totals"
    );
    for chart in [
        "chart-hours",
        "chart-products",
        "chart-organisations",
        "chart-needs",
        "chart-merchants",
    ] {
        staff.text_of(chart).await;
    }
    staff.check_screen("console-dashboard", false).await;

    // The cross-tab: the busiest cell opens the organisations behind it.
    staff
        .element("[data-testid=crosstab] button.cell")
        .await
        .click()
        .await
        .unwrap();
    staff.element(".dashboard .card.inset table").await;
    staff
        .client
        .execute(
            "document.querySelector('[data-testid=crosstab]').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    staff
        .check_screen("console-dashboard-crosstab", false)
        .await;

    // A CSV downloaded from the screen: residents' hours pay exactly what the ledger earned.
    let (status, csv) = download(&app, &staff.href_of("export-residentHours").await).await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(column_sum(&csv_rows(&csv), 4), earned, "{csv}");

    // The busiest community alone: the hours chart keeps that one row, the address the filter.
    let busiest = staff
        .client
        .execute(
            "return document.querySelector('[data-testid=chart-hours] tbody th').textContent",
            vec![],
        )
        .await
        .unwrap();
    staff.choose("社区", busiest.as_str().unwrap()).await;
    staff
        .element("[data-testid=chart-hours] tbody tr:only-child")
        .await;
    assert!(
        staff.path().await.contains("community="),
        "the filter is in the address"
    );
    staff.close().await;

    let phone = staff_console(&driver, &app, Screen::Phone).await;
    phone.visit("/staff/dashboard").await;
    phone.text_of("chart-points").await;
    phone.check_screen("console-dashboard-phone", false).await;
    phone.close().await;
    app.assert_ledger_ok().await;
}

const SETTLEMENT_IDS: &str = "{ settlements(first: 5) { nodes { id status } } }";

const APPROVE_SETTLEMENT: &str = r"
    mutation ($id: ID!) {
        approveSettlement(input: { settlementId: $id }) { settlement { status } errors { code } }
    }
";

/// A month of a shop's captures closes from the console, a second staff member approves it and
/// the first records the payment's reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_staff_member_settles_a_month_and_records_the_payment() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.clock_at(chengdu(2026, 10, 15, 12, 0));
    let merchant = app.merchant_named(SHOP).await;
    let reward = app.reward(&merchant).points_price(30).await;
    let resident = app.funded_resident(100).await;
    let redemption = app.redemption(&resident, &reward, "october-haircut").await;
    let confirmed = app.confirm(&merchant, &text_at(&redemption, "/code")).await;
    accepted(&confirmed, "confirmRedemption");
    // Back to the real clock, which the browser shares: October has ended.
    app.services.clock.travel_to(None);
    let driver = Driver::start().await;
    let staff = staff_console(&driver, &app, Screen::Console).await;

    staff.press("商家结算").await;
    staff.choose("月份", "2026年10月").await;
    staff.press("结算 2026-10").await;
    staff.wait_for_text("新结算 1 家").await;
    staff.wait_for_text("待复核").await;
    let checker = app.another_staff_member("checker@example.cn").await;
    let listed = app.ok(SETTLEMENT_IDS, json!({}), Some(&checker)).await;
    let id = text_at(&listed, "/settlements/nodes/0/id");
    let approved = app
        .ok(APPROVE_SETTLEMENT, json!({ "id": id }), Some(&checker))
        .await;
    accepted(&approved, "approveSettlement");
    staff.client.refresh().await.unwrap();
    staff.wait_for_text("待付款").await;
    staff.fill("付款凭证号", "CB2026110301").await;
    staff.press("记录付款").await;
    staff.wait_for_text("CB2026110301").await;

    staff.wait_for_text("已付款").await;
    staff.check_screen("console-settlements", false).await;
    staff.close().await;
    app.assert_ledger_ok().await;
}
