//! Volunteer activities: the whole chain from sign-up to points, the waitlist under a race,
//! and every way attendance can be refused.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Engine, TestApp, both_engines, postgres_available};

const CREATE: &str = "mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id status } errors { field code message } } }";
const PUBLISH: &str = "mutation($id: ID!) { publishActivity(input: { activityId: $id }) { activity { status } errors { code } } }";
pub(crate) const SIGN_UP: &str = "mutation($id: ID!) { signUpForActivity(input: { activityId: $id }) { participation { id status waitlistPosition } errors { code } } }";
pub(crate) const CANCEL: &str = "mutation($id: ID!) { cancelSignUp(input: { activityId: $id }) { participation { status } errors { code } } }";
const CODE: &str =
    "query($id: ID!) { node(id: $id) { ... on Activity { checkInCode { code changesAt } } } }";
const CHECK_IN: &str = "mutation($id: ID!, $code: String!) { checkIn(input: { activityId: $id, code: $code }) { participation { checkedInAt } errors { code } } }";
const CHECK_OUT: &str = "mutation($id: ID!, $code: String!) { checkOut(input: { activityId: $id, code: $code }) { participation { checkedOutAt } errors { code } } }";
const VERIFY_ALL: &str = "mutation($id: ID!) { verifyActivityAttendance(input: { activityId: $id }) { verified { minutes points participation { displayName } } errors { code } } }";
const VERIFY: &str = "mutation($id: ID!) { verifyAttendance(input: { participationId: $id }) { verified { minutes points } errors { code } } }";
const SHEET: &str = "query($id: ID!) { node(id: $id) { ... on Activity { seatsLeft attendanceSheet { id displayName status waitlistPosition checkedInAt verifiedMinutes pointsAwarded manual } } } }";
const ME: &str = "{ me { wallet { balance history(first: 1) { edges { node { transfer { code rule cause { kind id } } } } } } serviceRecord { totalMinutes activities byCategory { categoryId minutes } } } }";

/// A verified organisation with a budget, its owner and a second member (the verifier).
pub(crate) struct Organiser {
    pub staff: String,
    pub owner: String,
    pub checker: String,
    pub organisation: String,
}

pub(crate) async fn organiser(app: &TestApp, budget: i64) -> Organiser {
    let staff = app.staff("staff@example.cn").await;
    let owner = app.resident("owner@example.cn").await;
    let checker = app.resident("checker@example.cn").await;
    let data = app
        .ok("mutation { registerOrganisation(input: { name: \"猛追湾志愿服务队\", kind: SOCIAL_ORGANISATION, description: \"志愿服务\", contact: \"028-84000000\" }) { organisation { id } } }", json!({}), Some(&owner))
        .await;
    let organisation = data["registerOrganisation"]["organisation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok("mutation($id: ID!) { reviewOrganisation(input: { organisationId: $id, decision: VERIFY }) { errors { code } } }", json!({ "id": organisation }), Some(&staff)).await;
    app.ok(
        "mutation($input: AddOrganisationMemberInput!) { addOrganisationMember(input: $input) { errors { code } } }",
        json!({ "input": { "organisationId": organisation, "member": "checker@example.cn", "role": "MEMBER" } }),
        Some(&owner),
    )
    .await;
    if budget > 0 {
        let allocated = app
            .ok("mutation($input: AllocateBudgetInput!) { allocateBudget(input: $input) { errors { code } } }", json!({ "input": { "organisationId": organisation, "amount": budget, "reason": "活动积分预算", "idempotencyKey": format!("budget-{budget}-key") } }), Some(&staff))
            .await;
        assert_eq!(allocated["allocateBudget"]["errors"], json!([]));
    }
    Organiser {
        staff,
        owner,
        checker,
        organisation,
    }
}

/// A published activity starting `in_hours` from the app's clock, two hours long.
pub(crate) async fn activity(
    app: &TestApp,
    o: &Organiser,
    capacity: i32,
    rate: i32,
    cap: i32,
    in_hours: i64,
) -> String {
    let now = chrono::Utc::now() + chrono::TimeDelta::milliseconds(clock_offset_ms(app));
    let starts = now + chrono::TimeDelta::hours(in_hours);
    let ends = starts + chrono::TimeDelta::hours(2);
    let data = app
        .ok(
            CREATE,
            json!({ "input": {
                "organisationId": o.organisation, "categoryId": "home-visits", "title": "独居老人上门探访",
                "description": "陪伴聊天、检查水电", "place": "猛追湾街道和美社区活动室",
                "startsAt": starts.to_rfc3339(), "endsAt": ends.to_rfc3339(),
                "capacity": capacity, "pointsPerHour": rate, "pointsCap": cap
            } }),
            Some(&o.owner),
        )
        .await;
    let id = data["createActivity"]["activity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{data}"))
        .to_owned();
    let published = app.ok(PUBLISH, json!({ "id": id }), Some(&o.owner)).await;
    assert_eq!(
        published["publishActivity"]["activity"]["status"],
        "PUBLISHED"
    );
    id
}

/// How far the app's clock has been moved forward.
fn clock_offset_ms(app: &TestApp) -> i64 {
    (app.services.clock.now().and_utc() - chrono::Utc::now()).num_milliseconds()
}

async fn code(app: &TestApp, token: &str, activity: &str) -> String {
    app.ok(CODE, json!({ "id": activity }), Some(token)).await["node"]["checkInCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

both_engines!(attendance_turns_into_points_and_hours);

async fn attendance_turns_into_points_and_hours(app: &TestApp) {
    let o = organiser(app, 1000).await;
    let id = activity(app, &o, 10, 10, 30, 2).await;
    let mut residents = Vec::new();
    for i in 0..3 {
        let token = app.resident(&format!("volunteer{i}@example.cn")).await;
        let signed = app.ok(SIGN_UP, json!({ "id": id }), Some(&token)).await;
        assert_eq!(
            signed["signUpForActivity"]["participation"]["status"],
            "REGISTERED"
        );
        residents.push(token);
    }
    app.services.clock.advance(minutes(120));
    let code_in = code(app, &o.owner, &id).await;
    for token in &residents {
        let checked = app
            .ok(CHECK_IN, json!({ "id": id, "code": code_in }), Some(token))
            .await;
        assert_eq!(checked["checkIn"]["errors"], json!([]), "{checked}");
    }
    app.services.clock.advance(minutes(90));
    let code_out = code(app, &o.owner, &id).await;
    for token in &residents {
        let checked = app
            .ok(
                CHECK_OUT,
                json!({ "id": id, "code": code_out }),
                Some(token),
            )
            .await;
        assert_eq!(checked["checkOut"]["errors"], json!([]), "{checked}");
    }

    let verified = app
        .ok(VERIFY_ALL, json!({ "id": id }), Some(&o.checker))
        .await;
    let verified = verified["verifyActivityAttendance"]["verified"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(verified.len(), 3);
    for v in &verified {
        assert_eq!(
            (v["minutes"].as_i64(), v["points"].as_i64()),
            (Some(90), Some(15))
        );
    }
    for token in &residents {
        let me = app.ok(ME, json!({}), Some(token)).await;
        assert_eq!(me["me"]["wallet"]["balance"], 15);
        let earn = &me["me"]["wallet"]["history"]["edges"][0]["node"]["transfer"];
        assert_eq!(earn["code"], "EARN");
        assert_eq!(earn["cause"]["kind"], "participation");
        assert!(earn["rule"].as_str().unwrap().contains("每小时 10 分"));
        assert_eq!(me["me"]["serviceRecord"]["totalMinutes"], 90);
        assert_eq!(
            me["me"]["serviceRecord"]["byCategory"][0]["categoryId"],
            "home-visits"
        );
    }
    let budget = app
        .ok(
            "query($id: ID!) { node(id: $id) { ... on Organisation { budget { balance } } } }",
            json!({ "id": o.organisation }),
            Some(&o.owner),
        )
        .await;
    assert_eq!(budget["node"]["budget"]["balance"], 1000 - 45);
    // Verifying again changes nothing.
    let again = app
        .ok(VERIFY_ALL, json!({ "id": id }), Some(&o.checker))
        .await;
    assert_eq!(again["verifyActivityAttendance"]["verified"], json!([]));
    let totals = app
        .ok(
            "{ ledgerTotals { issued outstanding } }",
            json!({}),
            Some(&o.staff),
        )
        .await;
    assert_eq!(
        totals["ledgerTotals"],
        json!({ "issued": 1000, "outstanding": 1000 })
    );
}

both_engines!(sign_up_races_fill_seats_then_the_waitlist);

async fn sign_up_races_fill_seats_then_the_waitlist(app: &TestApp) {
    let o = organiser(app, 0).await;
    let id = activity(app, &o, 10, 10, 30, 24).await;
    let mut tokens = Vec::new();
    for i in 0..50 {
        tokens.push(app.resident(&format!("racer{i:02}@example.cn")).await);
    }
    let mut tasks = Vec::new();
    for token in tokens.clone() {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "query": SIGN_UP, "variables": { "id": id } });
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
    for task in tasks {
        let body = task.await.unwrap();
        assert_eq!(
            body["data"]["signUpForActivity"]["errors"],
            json!([]),
            "{body}"
        );
    }
    let sheet = app.ok(SHEET, json!({ "id": id }), Some(&o.owner)).await;
    let sheet = sheet["node"]["attendanceSheet"].as_array().unwrap().clone();
    let registered = sheet.iter().filter(|p| p["status"] == "REGISTERED").count();
    let waitlisted: Vec<i64> = sheet
        .iter()
        .filter(|p| p["status"] == "WAITLISTED")
        .map(|p| p["waitlistPosition"].as_i64().unwrap())
        .collect();
    assert_eq!(registered, 10);
    assert_eq!(
        waitlisted,
        (1..=40).collect::<Vec<_>>(),
        "waitlist in arrival order"
    );

    // A registered resident cancels: the first in line takes the seat.
    let first_in_line = sheet.iter().find(|p| p["waitlistPosition"] == 1).unwrap()["id"].clone();
    let mut cancelled = false;
    for token in &tokens {
        let mine = app.ok("query($id: ID!) { node(id: $id) { ... on Activity { myParticipation { id status } } } }", json!({ "id": id }), Some(token)).await;
        if mine["node"]["myParticipation"]["status"] == "REGISTERED" {
            let c = app.ok(CANCEL, json!({ "id": id }), Some(token)).await;
            assert_eq!(c["cancelSignUp"]["participation"]["status"], "CANCELLED");
            cancelled = true;
            break;
        }
    }
    assert!(cancelled);
    let after = app.ok(SHEET, json!({ "id": id }), Some(&o.owner)).await;
    let after = after["node"]["attendanceSheet"].as_array().unwrap().clone();
    let promoted = after.iter().find(|p| p["id"] == first_in_line).unwrap();
    assert_eq!(promoted["status"], "REGISTERED");
    assert_eq!(
        after.iter().filter(|p| p["status"] == "REGISTERED").count(),
        10
    );
    assert_eq!(
        after.iter().filter(|p| p["status"] == "WAITLISTED").count(),
        39
    );
}

both_engines!(bad_attendance_is_refused);

async fn bad_attendance_is_refused(app: &TestApp) {
    let o = organiser(app, 10).await;
    let id = activity(app, &o, 10, 60, 60, 2).await;
    let resident = app.resident("resident@example.cn").await;
    app.ok(SIGN_UP, json!({ "id": id }), Some(&resident)).await;
    let again = app.ok(SIGN_UP, json!({ "id": id }), Some(&resident)).await;
    assert_eq!(
        again["signUpForActivity"]["errors"][0]["code"],
        "ALREADY_SIGNED_UP"
    );
    // The checker signs up too, to try verifying their own attendance later.
    app.ok(SIGN_UP, json!({ "id": id }), Some(&o.checker)).await;

    // Too early: the window opens 15 minutes before the start.
    let early = code(app, &o.owner, &id).await;
    let refused = app
        .ok(
            CHECK_IN,
            json!({ "id": id, "code": early }),
            Some(&resident),
        )
        .await;
    assert_eq!(refused["checkIn"]["errors"][0]["code"], "OUTSIDE_WINDOW");

    app.services.clock.advance(minutes(120));
    let stale = code(app, &o.owner, &id).await;
    let wrong = if stale == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = app
        .ok(
            CHECK_IN,
            json!({ "id": id, "code": wrong }),
            Some(&resident),
        )
        .await;
    assert_eq!(refused["checkIn"]["errors"][0]["code"], "INVALID_CODE");
    app.services.clock.advance(minutes(3));
    let refused = app
        .ok(
            CHECK_IN,
            json!({ "id": id, "code": stale }),
            Some(&resident),
        )
        .await;
    assert_eq!(
        refused["checkIn"]["errors"][0]["code"], "INVALID_CODE",
        "a code from 3 minutes ago"
    );

    let fresh = code(app, &o.owner, &id).await;
    for token in [&resident, &o.checker] {
        let ok = app
            .ok(CHECK_IN, json!({ "id": id, "code": fresh }), Some(token))
            .await;
        assert_eq!(ok["checkIn"]["errors"], json!([]));
    }
    app.services.clock.advance(minutes(60));
    let fresh = code(app, &o.owner, &id).await;
    for token in [&resident, &o.checker] {
        app.ok(CHECK_OUT, json!({ "id": id, "code": fresh }), Some(token))
            .await;
    }
    let sheet = app.ok(SHEET, json!({ "id": id }), Some(&o.owner)).await;
    let sheet = sheet["node"]["attendanceSheet"].as_array().unwrap().clone();

    // Self-verification: the checker's own row, verified by the checker.
    let own = sheet.iter().map(|p| p["id"].clone()).collect::<Vec<_>>();
    let mut saw_self = false;
    for pid in &own {
        let r = app.ok(VERIFY, json!({ "id": pid }), Some(&o.checker)).await;
        match r["verifyAttendance"]["errors"][0]["code"].as_str() {
            Some("SELF_VERIFICATION") => saw_self = true,
            // The resident's row: 60 points wanted, budget only 10.
            Some("INSUFFICIENT_BUDGET") => {}
            other => panic!("unexpected {other:?}: {r}"),
        }
    }
    assert!(saw_self);
    let me = app.ok(ME, json!({}), Some(&resident)).await;
    assert_eq!(
        me["me"]["wallet"]["balance"], 0,
        "a failed verification moves nothing"
    );
    assert_eq!(me["me"]["serviceRecord"]["totalMinutes"], 0);

    // Hand-recorded attendance: hours only; asking for points is refused.
    app.resident("nophone@example.cn").await;
    let now = app.services.clock.now().and_utc();
    let record = "mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { participation { id manual } errors { code } } }";
    let input = |points: bool| json!({ "input": { "activityId": id, "resident": "nophone@example.cn", "from": (now - chrono::TimeDelta::minutes(60)).to_rfc3339(), "until": now.to_rfc3339(), "requestPoints": points } });
    let refused = app.ok(record, input(true), Some(&o.owner)).await;
    assert_eq!(
        refused["recordAttendance"]["errors"][0]["code"],
        "NO_POINTS_FOR_MANUAL_ATTENDANCE"
    );
    let recorded = app.ok(record, input(false), Some(&o.owner)).await;
    assert_eq!(
        recorded["recordAttendance"]["participation"]["manual"],
        true
    );
    let manual = recorded["recordAttendance"]["participation"]["id"].clone();
    let v = app
        .ok(VERIFY, json!({ "id": manual }), Some(&o.checker))
        .await;
    assert_eq!(v["verifyAttendance"]["verified"][0]["points"], 0);
    assert_eq!(v["verifyAttendance"]["verified"][0]["minutes"], 60);
}

both_engines!(a_participation_earns_once_under_concurrent_verification);

async fn a_participation_earns_once_under_concurrent_verification(app: &TestApp) {
    let o = organiser(app, 1000).await;
    let id = activity(app, &o, 10, 10, 30, 2).await;
    let resident = app.resident("resident@example.cn").await;
    app.ok(SIGN_UP, json!({ "id": id }), Some(&resident)).await;
    app.services.clock.advance(minutes(120));
    let c = code(app, &o.owner, &id).await;
    app.ok(CHECK_IN, json!({ "id": id, "code": c }), Some(&resident))
        .await;
    app.services.clock.advance(minutes(60));
    let c = code(app, &o.owner, &id).await;
    app.ok(CHECK_OUT, json!({ "id": id, "code": c }), Some(&resident))
        .await;
    let sheet = app.ok(SHEET, json!({ "id": id }), Some(&o.owner)).await;
    let pid = sheet["node"]["attendanceSheet"][0]["id"].clone();

    let mut tasks = Vec::new();
    for token in [
        &o.owner, &o.checker, &o.owner, &o.checker, &o.owner, &o.checker,
    ] {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        let body = json!({ "query": VERIFY, "variables": { "id": pid } });
        let token = token.clone();
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
    let mut paid = 0;
    for task in tasks {
        let body = task.await.unwrap();
        match body["data"]["verifyAttendance"]["errors"][0]["code"].as_str() {
            None => paid += 1,
            Some("ALREADY_VERIFIED") => {}
            other => panic!("unexpected {other:?}: {body}"),
        }
    }
    assert_eq!(paid, 1);
    let me = app.ok(ME, json!({}), Some(&resident)).await;
    assert_eq!(me["me"]["wallet"]["balance"], 10);
}

/// Two activities on the same day, verified at the same moment for one resident: the daily cap
/// (20 here) holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daily_cap_holds_under_concurrent_verifications() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if engine == Engine::Postgres && !postgres_available() {
            continue;
        }
        let app = TestApp::spawn_with(engine, &[("LINLI_DAILY_POINTS_CAP", "20")]).await;
        let o = organiser(&app, 1000).await;
        let first = activity(&app, &o, 10, 15, 15, 2).await;
        let second = activity(&app, &o, 10, 15, 15, 2).await;
        let resident = app.resident("resident@example.cn").await;
        for id in [&first, &second] {
            app.ok(SIGN_UP, json!({ "id": id }), Some(&resident)).await;
        }
        app.services.clock.advance(minutes(120));
        for id in [&first, &second] {
            let c = code(&app, &o.owner, id).await;
            app.ok(CHECK_IN, json!({ "id": id, "code": c }), Some(&resident))
                .await;
        }
        app.services.clock.advance(minutes(60));
        for id in [&first, &second] {
            let c = code(&app, &o.owner, id).await;
            app.ok(CHECK_OUT, json!({ "id": id, "code": c }), Some(&resident))
                .await;
        }
        let mut tasks = Vec::new();
        for id in [&first, &second] {
            let client = app.client.clone();
            let url = format!("{}/graphql", app.base);
            let body = json!({ "query": VERIFY_ALL, "variables": { "id": id } });
            let token = o.checker.clone();
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
        let mut points = 0;
        for task in tasks {
            let body = task.await.unwrap();
            for v in body["data"]["verifyActivityAttendance"]["verified"]
                .as_array()
                .unwrap()
            {
                points += v["points"].as_i64().unwrap();
            }
        }
        assert_eq!(points, 20, "{engine:?}");
        let me = app.ok(ME, json!({}), Some(&resident)).await;
        assert_eq!(me["me"]["wallet"]["balance"], 20, "{engine:?}");
        assert_eq!(
            me["me"]["serviceRecord"]["totalMinutes"], 120,
            "hours are never capped"
        );
        app.assert_ledger_ok().await;
    }
}
