//! The incubation centre's console in real headless Chromium at a staff member's desk
//! (1440 × 900): a day's work from the queues to the boards, each step ending on what the
//! page shows and on what the API then answers; the queues, boards and dashboard are checked
//! (axe-core, hosts, problems) and kept as screenshots for docs/APP.md.

use chrono::TimeDelta;
use serde_json::json;

use crate::browser::{Browser, Driver, Screen, browser_available};
use crate::support::{Engine, PASSWORD, TestApp, accepted, text_at};

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

/// The organisation waiting in the queue, and the group waiting at the gate.
const APPLICANT: &str = "成华区邻里守望服务社";
const GROUP: &str = "和美暖心送餐队";
const NEED: &str = "独居老人助餐";

async fn staff_console(driver: &Driver, app: &TestApp) -> Browser {
    app.staff().await;
    let browser = Browser::open_on(driver, &app.base, Screen::Console).await;
    browser.visit("/signin").await;
    browser.fill("邮箱或手机号", "staff@example.cn").await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.wait_for_text("我的钱包").await;
    browser.visit("/me").await;
    browser.press("社创中心工作台").await;
    browser.wait_for_text("社创中心工作台").await;
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
    let app = TestApp::spawn(Engine::Sqlite).await;
    let applicant_owner = app.new_resident().await;
    let applicant = app.register_organisation(&applicant_owner, APPLICANT).await;
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
    let staff = staff_console(&driver, &app).await;

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
    app.assert_ledger_ok().await;
}
