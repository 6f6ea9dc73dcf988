//! The incubation centre's console in real headless Chromium at a staff member's desk
//! (1440 × 900), on both engines: a day's work from the queues to the boards, each step ending
//! on what the page shows and on what the API then answers; the queues, directory, budgets and
//! boards are checked (axe-core, hosts, problems) and kept as screenshots for docs/APP.md.

use chrono::TimeDelta;
use serde_json::json;

use crate::browser::{Browser, Driver, Screen, browser_available};
use crate::support::identity::REGISTER_RESIDENT;
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

async fn staff_console(driver: &Driver, app: &TestApp, screen: Screen) -> Browser {
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
