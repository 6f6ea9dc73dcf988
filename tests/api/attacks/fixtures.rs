//! The district the attacks are tried against: organisations with budgets, activities with
//! check-in codes, merchants with rewards, a group with a fund. Each builder goes through the
//! public API, exactly as the people it stands for would.

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::TestApp;

const REGISTER_ORGANISATION: &str = r#"
mutation($name: String!) {
  registerOrganisation(input: {
    name: $name, kind: SOCIAL_ORGANISATION, description: "社区志愿服务", contact: "028-84000000"
  }) { organisation { id } errors { code } }
}"#;

const REVIEW_ORGANISATION: &str = r#"
mutation($id: ID!) {
  reviewOrganisation(input: { organisationId: $id, decision: VERIFY }) { errors { code } }
}"#;

const ADD_MEMBER: &str = r#"
mutation($input: AddOrganisationMemberInput!) {
  addOrganisationMember(input: $input) { errors { code } }
}"#;

pub const ALLOCATE: &str = r#"
mutation($input: AllocateBudgetInput!) {
  allocateBudget(input: $input) {
    transfer { id amount }
    approvalRequest { id status change }
    errors { code field }
  }
}"#;

pub const ADJUST: &str = r#"
mutation($input: AdjustBalanceInput!) {
  adjustBalance(input: $input) {
    transfer { id amount }
    approvalRequest { id status change kind }
    errors { code field }
  }
}"#;

const CREATE_ACTIVITY: &str = r#"
mutation($input: CreateActivityInput!) {
  createActivity(input: $input) { activity { id } errors { code field message } }
}"#;

pub const PUBLISH_ACTIVITY: &str = r#"
mutation($id: ID!) {
  publishActivity(input: { activityId: $id }) { activity { status } errors { code } }
}"#;

const SIGN_UP: &str = r#"
mutation($id: ID!) {
  signUpForActivity(input: { activityId: $id }) { participation { id } errors { code } }
}"#;

const CHECK_IN_CODE: &str = r#"
query($id: ID!) { node(id: $id) { ... on Activity { checkInCode { code } } } }"#;

pub const CHECK_IN: &str = r#"
mutation($id: ID!, $code: String!) {
  checkIn(input: { activityId: $id, code: $code }) {
    participation { checkedInAt } errors { code field }
  }
}"#;

pub const CHECK_OUT: &str = r#"
mutation($id: ID!, $code: String!) {
  checkOut(input: { activityId: $id, code: $code }) {
    participation { checkedOutAt } errors { code field }
  }
}"#;

pub const VERIFY_ALL: &str = r#"
mutation($id: ID!) {
  verifyActivityAttendance(input: { activityId: $id }) {
    verified { points participation { displayName } } errors { code }
  }
}"#;

pub const VERIFY: &str = r#"
mutation($id: ID!) {
  verifyAttendance(input: { participationId: $id }) { verified { points } errors { code } }
}"#;

const WALLET: &str = "{ me { id wallet { id balance } } }";

const APPLY_FOR_MERCHANT: &str = r#"
mutation($input: ApplyForMerchantInput!) {
  applyForMerchant(input: $input) { merchant { id } errors { code field } }
}"#;

const ADMIT_MERCHANT: &str = r#"
mutation($id: ID!) { admitMerchant(input: { merchantId: $id }) { merchant { status } } }"#;

const CREATE_REWARD: &str = r#"
mutation($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field } }
}"#;

pub const REDEEM: &str = r#"
mutation($reward: ID!, $key: String!) {
  redeemReward(input: { rewardId: $reward, idempotencyKey: $key }) {
    redemption { id code status } errors { code }
  }
}"#;

pub const CONFIRM: &str = r#"
mutation($merchant: ID!, $code: String!) {
  confirmRedemption(input: { merchantId: $merchant, code: $code }) {
    redemption { status } errors { code field }
  }
}"#;

const CREATE_COMMUNITY: &str = r#"
mutation {
  createCommunity(input: {
    name: "和美社区", street: "猛追湾街道", communityType: NEW_COMMERCIAL_RESIDENTIAL
  }) { community { id } }
}"#;

const FOUND_GROUP: &str = r#"
mutation($input: FoundGroupInput!) { foundGroup(input: $input) { group { id } errors { code } } }"#;

const REQUEST_TO_JOIN: &str = r#"
mutation($id: ID!) { requestToJoinGroup(input: { groupId: $id }) { errors { code } } }"#;

const APPROVE_MEMBER: &str = r#"
mutation($g: ID!, $u: ID!) {
  approveGroupMember(input: { groupId: $g, userId: $u }) { errors { code } }
}"#;

const SET_MENTOR: &str = r#"
mutation($g: ID!, $o: ID!) {
  setGroupMentor(input: { groupId: $g, organisationId: $o }) { errors { code } }
}"#;

pub const DECIDE_STAGE: &str = r#"
mutation($g: ID!, $decision: GroupDecision!) {
  decideGroupStage(input: { groupId: $g, decision: $decision, note: "按培育标准决定" }) {
    group { stage } errors { code message }
  }
}"#;

/// The code of the first error in a mutation payload, if any.
pub fn user_error(data: &Value, mutation: &str) -> Option<String> {
    data[mutation]["errors"][0]["code"]
        .as_str()
        .map(str::to_owned)
}

/// The id a payload returned at `path` (`["createActivity", "activity", "id"]`; a number
/// indexes a list).
pub fn id_at(data: &Value, path: &[&str]) -> String {
    let mut value = data;
    for key in path {
        value = match key.parse::<usize>() {
            Ok(index) => &value[index],
            Err(_) => &value[*key],
        };
    }
    value
        .as_str()
        .unwrap_or_else(|| panic!("no id at {path:?}: {data}"))
        .to_owned()
}

/// A person's wallet: (user id, wallet account id, balance).
pub async fn wallet(app: &TestApp, token: &str) -> (String, String, i64) {
    let me = app.ok(WALLET, json!({}), Some(token)).await;
    (
        id_at(&me, &["me", "id"]),
        id_at(&me, &["me", "wallet", "id"]),
        me["me"]["wallet"]["balance"].as_i64().unwrap(),
    )
}

/// Gives a resident points by a staff adjustment (small enough to post at once).
pub async fn fund(app: &TestApp, staff: &str, resident: &str, points: i64, key: &str) {
    let (_, account, _) = wallet(app, resident).await;
    let input = json!({ "input": {
        "accountId": account, "change": points, "reason": "测试充值", "idempotencyKey": key
    } });
    let data = app.ok(ADJUST, input, Some(staff)).await;
    assert_eq!(data["adjustBalance"]["errors"], json!([]), "{data}");
}

/// A verified organisation owned by `owner`, with `members` added (by email).
pub async fn verified_organisation(
    app: &TestApp,
    staff: &str,
    owner: &str,
    name: &str,
    members: &[&str],
) -> String {
    let data = app
        .ok(REGISTER_ORGANISATION, json!({ "name": name }), Some(owner))
        .await;
    let organisation = id_at(&data, &["registerOrganisation", "organisation", "id"]);
    app.ok(
        REVIEW_ORGANISATION,
        json!({ "id": organisation }),
        Some(staff),
    )
    .await;
    for member in members {
        let input = json!({ "input": {
            "organisationId": organisation, "member": member, "role": "MEMBER"
        } });
        let added = app.ok(ADD_MEMBER, input, Some(owner)).await;
        assert_eq!(
            added["addOrganisationMember"]["errors"],
            json!([]),
            "{added}"
        );
    }
    organisation
}

pub async fn allocate(app: &TestApp, staff: &str, organisation: &str, amount: i64, key: &str) {
    let input = json!({ "input": {
        "organisationId": organisation, "amount": amount, "reason": "活动积分预算",
        "idempotencyKey": key
    } });
    let data = app.ok(ALLOCATE, input, Some(staff)).await;
    assert!(
        data["allocateBudget"]["transfer"]["id"].is_string(),
        "{data}"
    );
}

/// Who runs an activity: an organisation, or a group (its convenor).
pub enum Runner<'a> {
    Organisation(&'a str),
    Group(&'a str),
}

/// Drafts an activity starting in an hour, two hours long, paying `rate` points an hour; the
/// whole response (data and top-level errors).
pub async fn draft_activity(
    app: &TestApp,
    organiser: &str,
    runner: Runner<'_>,
    rate: i64,
) -> Value {
    let starts = app.services.clock.now().and_utc() + TimeDelta::hours(1);
    let mut input = json!({
        "categoryId": "home-visits", "title": "独居老人上门探访", "description": "陪伴聊天",
        "place": "和美社区活动室", "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + TimeDelta::hours(2)).to_rfc3339(),
        "capacity": 20, "pointsPerHour": rate, "pointsCap": 100
    });
    match runner {
        Runner::Organisation(id) => input["organisationId"] = json!(id),
        Runner::Group(id) => input["groupId"] = json!(id),
    }
    app.post(CREATE_ACTIVITY, json!({ "input": input }), Some(organiser))
        .await
        .1
}

/// A published activity starting in an hour; returns its id.
pub async fn activity(app: &TestApp, organiser: &str, runner: Runner<'_>, rate: i64) -> String {
    let drafted = draft_activity(app, organiser, runner, rate).await;
    let id = id_at(&drafted, &["data", "createActivity", "activity", "id"]);
    let published = app
        .ok(PUBLISH_ACTIVITY, json!({ "id": id }), Some(organiser))
        .await;
    assert_eq!(
        published["publishActivity"]["errors"],
        json!([]),
        "{published}"
    );
    id
}

pub async fn sign_up(app: &TestApp, volunteer: &str, activity: &str) -> String {
    let data = app
        .ok(SIGN_UP, json!({ "id": activity }), Some(volunteer))
        .await;
    id_at(&data, &["signUpForActivity", "participation", "id"])
}

pub async fn check_in_code(app: &TestApp, organiser: &str, activity: &str) -> String {
    let data = app
        .ok(CHECK_IN_CODE, json!({ "id": activity }), Some(organiser))
        .await;
    id_at(&data, &["node", "checkInCode", "code"])
}

/// Moves the clock to the activity's start (it starts an hour after it was made).
pub fn start(app: &TestApp) {
    app.services.clock.advance(Duration::from_secs(3600));
}

/// The volunteers check in now and check out `minutes` later, with the real codes.
pub async fn attend(
    app: &TestApp,
    organiser: &str,
    activity: &str,
    volunteers: &[&str],
    minutes: u64,
) {
    let code = check_in_code(app, organiser, activity).await;
    for volunteer in volunteers {
        let vars = json!({ "id": activity, "code": code });
        let data = app.ok(CHECK_IN, vars, Some(volunteer)).await;
        assert_eq!(data["checkIn"]["errors"], json!([]), "{data}");
    }
    app.services
        .clock
        .advance(Duration::from_secs(minutes * 60));
    let code = check_in_code(app, organiser, activity).await;
    for volunteer in volunteers {
        let vars = json!({ "id": activity, "code": code });
        let data = app.ok(CHECK_OUT, vars, Some(volunteer)).await;
        assert_eq!(data["checkOut"]["errors"], json!([]), "{data}");
    }
}

/// An admitted alliance merchant of a verified organisation owned by `operator`.
pub async fn merchant(app: &TestApp, staff: &str, operator: &str, shop: &str) -> String {
    let organisation = verified_organisation(app, staff, operator, shop, &[]).await;
    let input = json!({ "input": {
        "organisationId": organisation, "shopName": shop, "address": "成华区建设路 8 号",
        "categoryId": "haircut", "openingHours": "09:00–21:00"
    } });
    let applied = app.ok(APPLY_FOR_MERCHANT, input, Some(operator)).await;
    let merchant = id_at(&applied, &["applyForMerchant", "merchant", "id"]);
    app.ok(ADMIT_MERCHANT, json!({ "id": merchant }), Some(staff))
        .await;
    merchant
}

pub async fn reward(app: &TestApp, operator: &str, merchant: &str, price: i64) -> String {
    let input = json!({ "input": {
        "merchantId": merchant, "title": "长者理发一次", "description": "洗剪吹",
        "pointsPrice": price
    } });
    let data = app.ok(CREATE_REWARD, input, Some(operator)).await;
    id_at(&data, &["createReward", "reward", "id"])
}

/// A self-governance group grown to the stage that runs activities, with its convenor,
/// its mentor organisation's owner, and its members' tokens.
pub struct Group {
    pub id: String,
    pub convenor: String,
    pub mentor: String,
    pub members: Vec<String>,
}

pub async fn growing_group(app: &TestApp, staff: &str) -> Group {
    let community = app.ok(CREATE_COMMUNITY, json!({}), Some(staff)).await;
    let community = id_at(&community, &["createCommunity", "community", "id"]);
    let mentor = app.resident("mentor@example.cn").await;
    let organisation = verified_organisation(app, staff, &mentor, "和美社工站", &[]).await;
    let convenor = app.resident("convenor@example.cn").await;
    let input = json!({ "input": {
        "name": "和美暖心送餐队", "purpose": "为独居老人送餐上门", "communityId": community,
        "categoryId": "meal-delivery"
    } });
    let founded = app.ok(FOUND_GROUP, input, Some(&convenor)).await;
    let id = id_at(&founded, &["foundGroup", "group", "id"]);
    let mut members = Vec::new();
    for i in 0..7 {
        let member = app.resident(&format!("member{i}@example.cn")).await;
        app.ok(REQUEST_TO_JOIN, json!({ "id": id }), Some(&member))
            .await;
        let (user, _, _) = wallet(app, &member).await;
        app.ok(
            APPROVE_MEMBER,
            json!({ "g": id, "u": user }),
            Some(&convenor),
        )
        .await;
        members.push(member);
    }
    app.ok(
        SET_MENTOR,
        json!({ "g": id, "o": organisation }),
        Some(staff),
    )
    .await;
    advance_stage(app, staff, &id).await;
    app.services
        .clock
        .advance(Duration::from_secs(31 * 24 * 3600));
    advance_stage(app, staff, &id).await;
    Group {
        id,
        convenor,
        mentor,
        members,
    }
}

async fn advance_stage(app: &TestApp, staff: &str, group: &str) {
    let vars = json!({ "g": group, "decision": "ADVANCE" });
    let data = app.ok(DECIDE_STAGE, vars, Some(staff)).await;
    assert_eq!(data["decideGroupStage"]["errors"], json!([]), "{data}");
}
