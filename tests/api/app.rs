//! The Linli app in real headless Chromium: the journeys of issue 16 end to end, each person
//! in their own browser, each ending on what the page shows and on the ledger; and a tour of
//! every main screen in the normal and the 长辈版 mode (axe-core, sizes, hosts, screenshots).
//!
//! The main journey runs on both engines; the others on SQLite only: what they test is the
//! app, and the storage underneath is covered on both engines by the rest of the suite.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use linli_api::config::MailTransport;
use serde_json::{Value, json};

use crate::browser::{Browser, Driver, browser_available};
use crate::support::volunteering::{CANCEL_SIGN_UP, SIGN_UP_FOR_ACTIVITY};
use crate::support::{Engine, PASSWORD, TestApp, postgres_available};

const ENTER: char = '\u{E007}';
/// What a USB or Bluetooth scanner types for a redemption's QR code, before the code.
const REDEEM_QR_PREFIX: &str = "linli:redeem:";
const INLINE_STYLE: &str = "document.body.setAttribute('style', 'color: red')";
/// The largest first screen the issue allows, compressed, in bytes.
const FIRST_SCREEN_BUDGET_BYTES: u64 = 300 * 1024;

const PUBLISHED_OF: &str =
    "query($org: ID!) { products(filter: { organisationId: $org }) { edges { node { id } } } }";
const BALANCE: &str = "{ me { wallet { balance } } }";

/// The title `app.activity` gives its activities.
const ACTIVITY_TITLE: &str = "独居老人上门探访";
const SHOP: &str = "建设路老街坊理发店";
const REWARD_TITLE: &str = "长者理发一次";

async fn resident_balance(app: &TestApp, login: &str) -> i64 {
    let token = app.sign_in(login).await;
    app.ok(BALANCE, json!({}), Some(&token)).await["me"]["wallet"]["balance"]
        .as_i64()
        .unwrap()
}

fn mail_dir(app: &TestApp) -> PathBuf {
    match &app.config.mail {
        MailTransport::Files(dir) => dir.clone(),
        other => panic!("the app tests read mail from files, not {other:?}"),
    }
}

/// The link to `path` in the newest email to `recipient` (the `.eml` files the relay writes),
/// waiting for the relay to send it.
async fn emailed_link(app: &TestApp, recipient: &str, path: &str) -> String {
    let started = Instant::now();
    loop {
        let mut found: Vec<(std::time::SystemTime, String)> = Vec::new();
        for entry in std::fs::read_dir(mail_dir(app))
            .into_iter()
            .flatten()
            .flatten()
        {
            let data = std::fs::read(entry.path()).unwrap_or_default();
            let Some(message) = mail_parser::MessageParser::default().parse(&data) else {
                continue;
            };
            let to_recipient = message
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                == Some(recipient);
            let body = message
                .body_text(0)
                .map(|b| b.into_owned())
                .unwrap_or_default();
            if let (true, Some(link)) = (to_recipient, link_in(&body, path)) {
                found.push((entry.metadata().unwrap().modified().unwrap(), link));
            }
        }
        if let Some((_, link)) = found.into_iter().max() {
            return link;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no email to {recipient} with a {path} link"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn link_in(body: &str, path: &str) -> Option<String> {
    body.split_whitespace()
        .find(|word| word.starts_with("http") && word.contains(path))
        .map(ToOwned::to_owned)
}

/// A fresh server on SQLite and one person's browser on it; `None` when browser tests are
/// skipped (see `browser_available`).
async fn server_and_browser() -> Option<(TestApp, Driver, Browser)> {
    if !browser_available() {
        return None;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, &app.base).await;
    Some((app, driver, browser))
}

async fn sign_in(browser: &Browser, login: &str, password: &str) {
    browser.visit("/signin").await;
    browser.fill("邮箱或手机号", login).await;
    browser.fill("密码", password).await;
    browser.press("登录").await;
    browser.wait_for_text("我的钱包").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_resident_volunteers_earns_points_and_redeems_them_at_the_counter() {
    if !browser_available() {
        return;
    }
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        volunteer_earn_and_redeem(engine).await;
    }
}

async fn volunteer_earn_and_redeem(engine: Engine) {
    let app = TestApp::spawn_with(engine, &[("LINLI_RELAY_INTERVAL_SECS", "1")]).await;
    let o = app.organiser(500).await;
    let organiser_login = app.email_of(&o.owner).await;
    let organisation = o.organisation.clone();
    let activity = app.activity(&o).await.id;
    let shop = app.merchant_named(SHOP).await;
    let operator_login = app.email_of(&shop.operator).await;
    app.reward(&shop).stock(5).await;
    let driver = Driver::start().await;

    // A new resident registers and confirms the address from the link in the real email.
    let resident = Browser::open(&driver, &app.base).await;
    resident.visit("/register").await;
    resident.fill("怎么称呼你", "李秀英").await;
    resident.fill("邮箱", "li.xiuying@example.cn").await;
    resident.fill("密码", PASSWORD).await;
    resident.press("注册并登录").await;
    resident.wait_for_text("欢迎加入邻里").await;
    resident.press("发送确认邮件").await;
    resident.wait_for_text("确认邮件已发出").await;
    let link = emailed_link(&app, "li.xiuying@example.cn", "/verify-email?token=").await;
    assert!(link.starts_with(&app.base), "{link}");
    resident
        .client
        .goto(&link)
        .await
        .expect("the link opens in the app");
    resident.wait_for_text("邮箱已确认").await;

    // They sign up for the activity.
    resident.visit("/activities").await;
    resident.press(ACTIVITY_TITLE).await;
    resident.press("我要报名").await;
    resident.wait_for_text("已报名").await;

    // At the start, they check in with the code on the organiser's screen.
    app.services.clock.advance(Duration::from_secs(120 * 60));
    let organiser = Browser::open(&driver, &app.base).await;
    sign_in(&organiser, &organiser_login, PASSWORD).await;
    let check_in_screen = format!("/org/{organisation}/activities/{activity}/check-in");
    organiser.visit(&check_in_screen).await;
    let code = organiser.text_of("check-in-code").await;
    organiser.check_screen("organiser-check-in", false).await;
    resident.fill("现场屏幕上的 6 位数字", &code).await;
    resident.press("确认签到").await;
    resident.wait_for_text("已签到").await;

    // Ninety minutes later they check out with the code showing then.
    app.services.clock.advance(Duration::from_secs(90 * 60));
    organiser.visit(&check_in_screen).await;
    let code = organiser.text_of("check-in-code").await;
    resident.fill("现场屏幕上的 6 位数字", &code).await;
    resident.press("确认签退").await;
    resident.wait_for_text("签退成功").await;

    // The organiser verifies the attendance sheet in their own session; the points arrive.
    organiser
        .visit(&format!(
            "/org/{organisation}/activities/{activity}/attendance"
        ))
        .await;
    organiser.press("核验全部已签退（1 人）").await;
    organiser.wait_for_text("已核验 1 人，共发放 15 积分").await;
    organiser.check_screen("organiser-attendance", false).await;
    resident.visit("/wallet").await;
    assert_eq!(resident.text_of("balance").await, "15 积分");
    resident.wait_for_text(ACTIVITY_TITLE).await;

    // They redeem a reward and show the QR at the counter.
    resident.visit("/rewards").await;
    resident.press(&format!("兑换 {REWARD_TITLE}")).await;
    let code = resident.text_of("redemption-code").await;
    resident.wait_for_text("待核销").await;
    resident
        .check_screen("resident-redemption-code", false)
        .await;
    resident
        .client
        .execute("window.linliNotReloaded = true", vec![])
        .await
        .unwrap();

    // The counter confirms it as a scanner would: the QR's text, then Enter.
    let counter = Browser::open(&driver, &app.base).await;
    sign_in(&counter, &operator_login, PASSWORD).await;
    counter.visit("/me").await;
    counter.press(&format!("商家柜台：{SHOP}")).await;
    counter.wait_for_text("今天已核销").await;
    counter
        .type_as_scanner(&format!("{REDEEM_QR_PREFIX}{code}{ENTER}"))
        .await;
    counter.wait_for_text("核销成功").await;
    counter.wait_for_text("今天已核销（1 笔）").await;
    counter.check_screen("counter-confirmed", false).await;

    // The resident's screen turns to confirmed by itself, without a reload.
    resident.wait_for_text("商家已确认，兑换成功").await;
    let not_reloaded = resident
        .client
        .execute("return window.linliNotReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(not_reloaded, Value::Bool(true), "the page was reloaded");
    resident
        .check_screen("resident-redemption-confirmed", false)
        .await;

    assert_eq!(resident_balance(&app, "li.xiuying@example.cn").await, 5);
    app.assert_ledger_ok().await;
    for browser in [resident, organiser, counter] {
        browser.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forgotten_password_is_reset_from_the_emailed_link() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_with(Engine::Sqlite, &[("LINLI_RELAY_INTERVAL_SECS", "1")]).await;
    app.resident("forgetful@example.cn").await;
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, &app.base).await;

    browser.visit("/signin").await;
    browser.press("忘记密码").await;
    browser.fill("注册时用的邮箱", "forgetful@example.cn").await;
    browser.press("发送重置邮件").await;
    browser.wait_for_text("重置密码的邮件已经发出").await;
    let link = emailed_link(&app, "forgetful@example.cn", "/reset-password?token=").await;
    browser.client.goto(&link).await.unwrap();
    browser.fill("新密码", "新的密码 much longer").await;
    browser.press("保存新密码").await;
    browser.wait_for_text("新密码已设置").await;

    // The old password no longer works; the new one opens the wallet.
    browser.visit("/signin").await;
    browser.fill("邮箱或手机号", "forgetful@example.cn").await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.wait_for_text("账号或密码错误").await;
    sign_in(&browser, "forgetful@example.cn", "新的密码 much longer").await;
    assert_eq!(browser.text_of("balance").await, "0 积分");
    app.assert_ledger_ok().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_organisers_product_is_published_by_staff_and_found_by_a_chinese_search() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    let o = app.organiser(0).await;
    let organiser_login = app.email_of(&o.owner).await;
    let organisation = o.organisation;
    app.resident("neighbour@example.cn").await;
    let driver = Driver::start().await;

    let organiser = Browser::open(&driver, &app.base).await;
    sign_in(&organiser, &organiser_login, PASSWORD).await;
    organiser
        .visit(&format!("/org/{organisation}/products/new"))
        .await;
    organiser.fill("产品名称", "长者午间助餐").await;
    organiser
        .fill("一句话简介", "社区食堂每天中午为老年人送餐上门")
        .await;
    organiser
        .fill("详细介绍", "荤素搭配，少油少盐，行动不便的老人可送餐上门。")
        .await;
    organiser.choose("类别", "助餐").await;
    organiser.choose("价格类型", "低偿").await;
    organiser.fill("价格（元）", "12").await;
    organiser.fill("市场价（元）", "25").await;
    organiser.press("保存草稿").await;
    organiser.wait_for_text("草稿（1）").await;
    organiser.press("提交审核 长者午间助餐").await;
    organiser.wait_for_text("已提交审核").await;
    organiser.wait_for_text("审核中（1）").await;

    // Staff publish it from the centre's review queue, in their own browser.
    let staff_browser = Browser::open(&driver, &app.base).await;
    sign_in(&staff_browser, "staff@example.cn", PASSWORD).await;
    staff_browser.visit("/me").await;
    staff_browser.press("社创产品审核").await;
    staff_browser.wait_for_text("待审核 1 项").await;
    staff_browser
        .check_screen("staff-product-review", false)
        .await;
    staff_browser.fill("退回理由", "请写明送餐的社区范围").await;
    staff_browser.press("退回修改 长者午间助餐").await;
    staff_browser.wait_for_text("“长者午间助餐”已退回").await;

    // The organiser reads the review note, edits the product and submits it again.
    organiser
        .visit(&format!("/org/{organisation}/products"))
        .await;
    organiser
        .wait_for_text("审核意见：请写明送餐的社区范围")
        .await;
    organiser.press("修改 长者午间助餐").await;
    organiser
        .fill("一句话简介", "和美社区食堂每天中午为老年人送餐上门")
        .await;
    organiser.press("保存草稿").await;
    organiser.press("提交审核 长者午间助餐").await;
    organiser.wait_for_text("审核中（1）").await;

    staff_browser.visit("/staff/products").await;
    staff_browser.press("发布 长者午间助餐").await;
    staff_browser.wait_for_text("“长者午间助餐”已发布").await;
    let published = app
        .ok(PUBLISHED_OF, json!({ "org": organisation }), None)
        .await;
    let product = published["products"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{published}"))
        .to_owned();

    let resident = Browser::open(&driver, &app.base).await;
    sign_in(&resident, "neighbour@example.cn", PASSWORD).await;
    resident.visit("/catalogue").await;
    resident.fill("搜索服务", "老年人 助餐").await;
    resident.press("搜索").await;
    resident.wait_for_text("共 1 项").await;
    resident
        .wait_for_text("和美社区食堂每天中午为老年人送餐上门")
        .await;
    resident.press("长者午间助餐").await;
    resident.wait_for_text("12.00 元").await;
    assert_eq!(
        resident.path().await,
        format!("/catalogue/{product}"),
        "the product has its own address"
    );
    resident.client.back().await.unwrap();
    resident
        .wait_for_text("“老年人 助餐”的搜索结果：共 1 项")
        .await;
    assert!(
        resident.path().await.starts_with("/catalogue?q="),
        "the back button returns to the search"
    );
    app.assert_ledger_ok().await;
    for browser in [organiser, staff_browser, resident] {
        browser.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_screen_loads_within_300_kb_from_the_server_alone() {
    let Some((_app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    browser.visit("/").await;
    browser.wait_for_text("登录邻里").await;
    browser.assert_only_own_host("the first screen").await;
    let bytes = browser.transferred_bytes().await;
    eprintln!(
        "first screen (sign-in): {bytes} bytes transferred ({:.1} KB)",
        f64::from(u32::try_from(bytes).unwrap()) / 1024.0
    );
    assert!(
        bytes > 0 && bytes <= FIRST_SCREEN_BUDGET_BYTES,
        "first screen transferred {bytes} bytes"
    );

    browser.close().await;
}

/// Signs in through the API with the demo password; returns the access token.
async fn demo_token(app: &TestApp, login: &str) -> String {
    let data = app
        .ok(
            "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } } }",
            json!({ "input": { "login": login, "password": linli_seed::DEMO_PASSWORD } }),
            None,
        )
        .await;
    data["signIn"]["session"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{data}"))
        .to_owned()
}

/// The demo login printed for `who` (its label starts with it).
fn demo_login(who: &str) -> String {
    linli_seed::LOGINS
        .iter()
        .find(|(label, _)| label.starts_with(who))
        .map(|(_, login)| (*login).to_owned())
        .unwrap_or_else(|| panic!("no demo login for {who}"))
}

/// One main screen: its name for the screenshot, its address, and a text that shows it is
/// loaded.
struct Screen {
    name: &'static str,
    path: String,
    shows: String,
}

fn screen(name: &'static str, path: impl Into<String>, shows: impl Into<String>) -> Screen {
    Screen {
        name,
        path: path.into(),
        shows: shows.into(),
    }
}

/// Opens each screen and checks it in the normal mode and in 长辈版.
async fn tour(browser: &Browser, screens: &[Screen]) {
    for screen in screens {
        browser.visit(&screen.path).await;
        browser.wait_for_text(&screen.shows).await;
        browser.check_screen(screen.name, false).await;
        browser.set_elder_mode(true).await;
        browser.wait_for_text(&screen.shows).await;
        browser.check_screen(screen.name, true).await;
        browser.set_elder_mode(false).await;
    }
}

const ORGANISATION_OF: &str = "{ myOrganisations { organisation { id merchant { id } } } }";
const UPCOMING_OF: &str = r"
    query ($org: ID!) {
        activities(filter: { organisationId: $org }, first: 1) { edges { node { id } } }
    }
";
const FIRST_ACTIVITY: &str = "{ activities(first: 1) { edges { node { id title } } } }";
/// Products with their booking terms: the tour books one that is open.
const BOOKABLE: &str = "{ products(first: 100) { edges { node { id bookingTerms { open } } } } }";

const BOOK: &str = r"
    mutation ($input: BookProductInput!) {
        bookProduct(input: $input) { booking { id } errors { code } }
    }
";

const CHEAPEST_REWARD: &str =
    "{ rewards(filter: { maxPoints: 20 }, first: 1) { edges { node { id } } } }";
const REDEEM: &str = r"
    mutation ($input: RedeemRewardInput!) {
        redeemReward(input: $input) { redemption { id } errors { code } }
    }
";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_main_screen_passes_its_checks_in_both_modes() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.seed_demo().await;
    let resident = demo_login("居民");
    let organiser = demo_login("组织成员");
    let operator = demo_login("商家店员");
    let activity =
        app.ok(FIRST_ACTIVITY, json!({}), None).await["activities"]["edges"][0]["node"].clone();
    let organiser_token = demo_token(&app, &organiser).await;
    let memberships = app
        .ok(ORGANISATION_OF, json!({}), Some(&organiser_token))
        .await;
    let org = memberships["myOrganisations"][0]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let org_activity = app
        .ok(UPCOMING_OF, json!({ "org": org }), Some(&organiser_token))
        .await["activities"]["edges"][0]["node"]["id"]
        .as_str()
        .map(ToOwned::to_owned);
    let operator_token = demo_token(&app, &operator).await;
    let merchant = app
        .ok(ORGANISATION_OF, json!({}), Some(&operator_token))
        .await["myOrganisations"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| {
            m["organisation"]["merchant"]["id"]
                .as_str()
                .map(ToOwned::to_owned)
        })
        .expect("the demo operator runs a shop");
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, &app.base).await;

    // The measurement itself must see small type: the normal mode is not 长辈版.
    browser.visit("/signin").await;
    browser.wait_for_text("登录邻里").await;
    let normal = browser.elder_size_problems().await;
    assert!(
        !normal["text"].as_array().unwrap().is_empty()
            && !normal["targets"].as_array().unwrap().is_empty(),
        "the normal mode should have text under 18 pt and targets under 60 × 60: {normal}"
    );
    tour(
        &browser,
        &[
            screen("sign-in", "/signin", "登录邻里"),
            screen("register", "/register", "怎么称呼你"),
            screen("visitor-rewards", "/rewards", "营业时间"),
        ],
    )
    .await;
    sign_in(&browser, &resident, linli_seed::DEMO_PASSWORD).await;
    let resident_token = demo_token(&app, &resident).await;
    let cheapest = app
        .ok(CHEAPEST_REWARD, json!({}), Some(&resident_token))
        .await;
    let reward = &cheapest["rewards"]["edges"][0]["node"]["id"];
    let input = json!({ "rewardId": reward, "idempotencyKey": "app-tour-redemption" });
    let redeemed = app
        .ok(REDEEM, json!({ "input": input }), Some(&resident_token))
        .await;
    let redemption = redeemed["redeemReward"]["redemption"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{redeemed}"))
        .to_owned();
    let bookable = app.ok(BOOKABLE, json!({}), None).await["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["bookingTerms"]["open"] == true)
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .expect("the demo opens some services to booking");
    let input = json!({
        "productId": bookable,
        "day": chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%Y-%m-%d")
            .to_string(),
        "idempotencyKey": "app-tour-booking"
    });
    let booked = app
        .ok(BOOK, json!({ "input": input }), Some(&resident_token))
        .await;
    assert!(booked["bookProduct"]["errors"] == json!([]), "{booked}");
    let mut screens = vec![
        screen("wallet", "/wallet", "积分有效期"),
        screen(
            "product-booking",
            format!("/catalogue/{bookable}"),
            "确认预约",
        ),
        screen("my-bookings", "/bookings", "取消预约"),
        screen("activities", "/activities", "个活动"),
        screen(
            "activity",
            format!("/activities/{}", activity["id"].as_str().unwrap()),
            "名额",
        ),
        screen("rewards", "/rewards", "积分兑换"),
        screen("catalogue-search", "/catalogue?q=老年人", "的搜索结果"),
        screen("groups", "/groups", "个组织"),
        screen("donate", "/wallet/donate", "确认捐赠"),
        screen("post-need", "/needs/new", "发布需求"),
        screen("service-record", "/service", "服务时长永久保存"),
        screen("me", "/me", "长辈版（大字、大按钮）"),
    ];
    screens.push(screen(
        "redemption",
        format!("/redemptions/{redemption}"),
        "剩余时间",
    ));
    tour(&browser, &screens).await;

    sign_in(&browser, &organiser, linli_seed::DEMO_PASSWORD).await;
    let mut screens = vec![
        screen(
            "organiser-products",
            format!("/org/{org}/products"),
            "新建产品",
        ),
        screen(
            "organiser-product-new",
            format!("/org/{org}/products/new"),
            "保存草稿",
        ),
        screen(
            "organiser-activities",
            format!("/org/{org}/activities"),
            "新建活动",
        ),
        screen(
            "organiser-activity-new",
            format!("/org/{org}/activities/new"),
            "每小时积分",
        ),
        screen("organiser-budget", format!("/org/{org}/budget"), "收支明细"),
        screen(
            "organiser-bookings",
            format!("/org/{org}/bookings"),
            "预约设置",
        ),
    ];
    if let Some(id) = org_activity {
        screens.push(screen(
            "organiser-check-in-screen",
            format!("/org/{org}/activities/{id}/check-in"),
            "每分钟自动更换",
        ));
        screens.push(screen(
            "organiser-attendance-sheet",
            format!("/org/{org}/activities/{id}/attendance"),
            "核验规则",
        ));
    }
    tour(&browser, &screens).await;

    sign_in(&browser, &operator, linli_seed::DEMO_PASSWORD).await;
    tour(
        &browser,
        &[
            screen("counter", format!("/counter/{merchant}"), "今天已核销"),
            screen(
                "counter-statement",
                format!("/counter/{merchant}/statement"),
                "共核销",
            ),
            screen(
                "counter-rewards",
                format!("/counter/{merchant}/rewards"),
                "上架新的兑换商品",
            ),
        ],
    )
    .await;
    app.assert_ledger_ok().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pages_security_policy_refuses_what_the_app_never_does_and_the_test_sees_it() {
    let Some((_app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    browser.visit("/signin").await;
    browser.wait_for_text("登录邻里").await;
    assert_eq!(browser.problems().await, json!([]));
    browser.client.execute(INLINE_STYLE, vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let problems = browser.problems().await;
    assert!(
        problems.to_string().contains("CSP style-src"),
        "an inline style should be refused: {problems}"
    );
    browser.close().await;
}

const SERVICE_WORKER_CONTROLS: &str = "return !!navigator.serviceWorker.controller";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_shell_opens_offline_once_it_has_been_seen() {
    let Some((app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    browser.visit("/signin").await;
    browser.wait_for_text("登录邻里").await;
    let started = Instant::now();
    while browser
        .client
        .execute(SERVICE_WORKER_CONTROLS, vec![])
        .await
        .unwrap()
        != Value::Bool(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the service worker never took control"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.assert_ledger_ok().await;

    // The server goes away; the shell still opens, from the service worker's cache.
    drop(app);
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.client.refresh().await.unwrap();
    browser.wait_for_text("登录邻里").await;
    browser.fill("邮箱或手机号", "offline@example.cn").await;
    browser.fill("密码", PASSWORD).await;
    browser.press("登录").await;
    browser.wait_for_text("网络连接失败").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_field_is_explained_in_words_beside_it() {
    let Some((_app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    browser.visit("/register").await;
    browser.fill("怎么称呼你", "张大爷").await;
    browser.fill("邮箱", "zhang@example.cn").await;
    browser.fill("密码", "123").await;
    browser.press("注册并登录").await;
    let error = browser.field_error("密码").await;
    assert!(error.contains("密码不符合要求"), "{error}");
    let focused = browser
        .client
        .execute("return document.activeElement.name", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "password", "focus moves to the field in error");
    assert_eq!(
        browser.path().await,
        "/register",
        "nothing was submitted past the error"
    );
    browser.check_screen("register-refused", false).await;
    browser.close().await;
}

const STORED_SESSION: &str = "return JSON.parse(localStorage.getItem('linli.session'))";
const SPOIL_ACCESS_TOKEN: &str = "const s = JSON.parse(localStorage.getItem('linli.session')); \
     s.accessToken = 'not-a-token'; localStorage.setItem('linli.session', JSON.stringify(s));";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_access_token_is_renewed_with_the_refresh_token_without_signing_out() {
    let Some((app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    app.resident("steady@example.cn").await;
    sign_in(&browser, "steady@example.cn", PASSWORD).await;
    let before = browser
        .client
        .execute(STORED_SESSION, vec![])
        .await
        .unwrap();

    // The server refuses the access token (as after a restart with a new signing key).
    browser
        .client
        .execute(SPOIL_ACCESS_TOKEN, vec![])
        .await
        .unwrap();
    browser.visit("/wallet").await;
    assert_eq!(browser.text_of("balance").await, "0 积分");
    let after = browser
        .client
        .execute(STORED_SESSION, vec![])
        .await
        .unwrap();
    assert_ne!(
        after["refreshToken"], before["refreshToken"],
        "the refresh token was rotated"
    );
    assert_ne!(after["accessToken"], "not-a-token");
    assert_eq!(browser.path().await, "/wallet", "still signed in");
    app.assert_ledger_ok().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_waitlisted_resident_sees_their_place_and_then_their_seat() {
    let Some((app, _driver, browser)) = server_and_browser().await else {
        return;
    };
    let o = app.organiser(0).await;
    let activity = app.activity(&o).seats(1).starting_in_hours(24).await.id;
    let first = app.resident("first@example.cn").await;
    let taken = app
        .ok(
            SIGN_UP_FOR_ACTIVITY,
            json!({ "id": activity }),
            Some(&first),
        )
        .await;
    assert_eq!(
        taken["signUpForActivity"]["participation"]["status"],
        "REGISTERED"
    );
    app.resident("second@example.cn").await;
    sign_in(&browser, "second@example.cn", PASSWORD).await;

    browser.visit(&format!("/activities/{activity}")).await;
    browser.wait_for_text("剩余 0 个").await;
    browser.press("加入候补").await;
    browser.wait_for_text("候补第 1 位").await;

    // The first resident cancels; the seat passes to the waitlist.
    let cancelled = app
        .ok(CANCEL_SIGN_UP, json!({ "id": activity }), Some(&first))
        .await;
    assert_eq!(
        cancelled["cancelSignUp"]["participation"]["status"],
        "CANCELLED"
    );
    browser.visit("/activities").await;
    browser.wait_for_text("已报名").await;
    app.assert_ledger_ok().await;
    browser.close().await;
}
