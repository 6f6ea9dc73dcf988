//! Self-governance groups through incubation; needs matched, delivered and counted.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestApp, both_engines};

const FOUND: &str = "mutation($input: FoundGroupInput!) { foundGroup(input: $input) { group { id stage } errors { code field } } }";
const DECIDE: &str = "mutation($input: DecideGroupStageInput!) { decideGroupStage(input: $input) { group { stage } errors { code field message } } }";
const GROUP: &str = "query($id: ID!) { node(id: $id) { ... on Group { stage stageLabel criteria { name required actual met } timeline { kind fromStage toStage note } fund { balance } } } }";

async fn community(app: &TestApp, staff: &str, name: &str, street: &str) -> String {
    app.ok("mutation($n: String!, $s: String!) { createCommunity(input: { name: $n, street: $s, communityType: NEW_COMMERCIAL_RESIDENTIAL }) { community { id } } }", json!({ "n": name, "s": street }), Some(staff))
        .await["createCommunity"]["community"]["id"].as_str().unwrap().to_owned()
}

async fn verified_org(app: &TestApp, staff: &str, owner: &str, name: &str) -> String {
    let id = app
        .ok("mutation($n: String!) { registerOrganisation(input: { name: $n, kind: SOCIAL_ORGANISATION, description: \"社区服务\", contact: \"028-84000000\" }) { organisation { id } } }", json!({ "n": name }), Some(owner))
        .await["registerOrganisation"]["organisation"]["id"].as_str().unwrap().to_owned();
    app.ok("mutation($id: ID!) { reviewOrganisation(input: { organisationId: $id, decision: VERIFY }) { errors { code } } }", json!({ "id": id }), Some(staff)).await;
    id
}

async fn join(app: &TestApp, group: &str, convenor: &str, email: &str) -> String {
    let token = app.resident(email).await;
    app.ok(
        "mutation($g: ID!) { requestToJoinGroup(input: { groupId: $g }) { errors { code } } }",
        json!({ "g": group }),
        Some(&token),
    )
    .await;
    let me = app.ok("{ me { id } }", json!({}), Some(&token)).await["me"]["id"].clone();
    let approved = app
        .ok("mutation($g: ID!, $u: ID!) { approveGroupMember(input: { groupId: $g, userId: $u }) { members { status } errors { code } } }", json!({ "g": group, "u": me }), Some(convenor))
        .await;
    assert_eq!(
        approved["approveGroupMember"]["errors"],
        json!([]),
        "{approved}"
    );
    token
}

async fn decide(app: &TestApp, staff: &str, group: &str, decision: &str, note: &str) -> Value {
    app.ok(
        DECIDE,
        json!({ "input": { "groupId": group, "decision": decision, "note": note } }),
        Some(staff),
    )
    .await["decideGroupStage"]
        .clone()
}

async fn current_code(app: &TestApp, activity: &str, organiser: &str) -> String {
    app.ok(
        "query($id: ID!) { node(id: $id) { ... on Activity { checkInCode { code } } } }",
        json!({ "id": activity }),
        Some(organiser),
    )
    .await["node"]["checkInCode"]["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A group-run activity: members check in and out for `minutes`, `checker` verifies.
async fn hold_activity(
    app: &TestApp,
    group: &str,
    convenor: &str,
    checker: &str,
    volunteers: &[String],
    rate: i64,
    minutes: u64,
) {
    let now = app.services.clock.now().and_utc();
    let starts = now + chrono::TimeDelta::hours(1);
    let created = app
        .ok(
            "mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id } errors { code message } } }",
            json!({ "input": { "groupId": group, "categoryId": "meal-delivery", "title": "为独居老人送午餐", "description": "送餐上门", "place": "和美社区党群服务中心",
                "startsAt": starts.to_rfc3339(), "endsAt": (starts + chrono::TimeDelta::hours(4)).to_rfc3339(), "capacity": 10, "pointsPerHour": rate, "pointsCap": 100 } }),
            Some(convenor),
        )
        .await;
    let id = created["createActivity"]["activity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    app.ok(
        "mutation($id: ID!) { publishActivity(input: { activityId: $id }) { errors { code } } }",
        json!({ "id": id }),
        Some(convenor),
    )
    .await;
    for v in volunteers {
        app.ok("mutation($id: ID!) { signUpForActivity(input: { activityId: $id }) { errors { code } } }", json!({ "id": id }), Some(v)).await;
    }
    app.services.clock.advance(Duration::from_secs(3600));
    let c = current_code(app, &id, convenor).await;
    for v in volunteers {
        app.ok("mutation($id: ID!, $c: String!) { checkIn(input: { activityId: $id, code: $c }) { errors { code } } }", json!({ "id": id, "c": c }), Some(v)).await;
    }
    app.services
        .clock
        .advance(Duration::from_secs(minutes * 60));
    let c = current_code(app, &id, convenor).await;
    for v in volunteers {
        app.ok("mutation($id: ID!, $c: String!) { checkOut(input: { activityId: $id, code: $c }) { errors { code } } }", json!({ "id": id, "c": c }), Some(v)).await;
    }
    let verified = app
        .ok("mutation($id: ID!) { verifyActivityAttendance(input: { activityId: $id }) { verified { points } errors { code } } }", json!({ "id": id }), Some(checker))
        .await;
    assert_eq!(
        verified["verifyActivityAttendance"]["verified"]
            .as_array()
            .unwrap()
            .len(),
        volunteers.len(),
        "{verified}"
    );
    app.ok(
        "mutation($id: ID!) { completeActivity(input: { activityId: $id }) { errors { code } } }",
        json!({ "id": id }),
        Some(convenor),
    )
    .await;
}

both_engines!(a_group_is_incubated_until_it_graduates);

async fn a_group_is_incubated_until_it_graduates(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let hemei = community(app, &staff, "和美社区", "猛追湾街道").await;
    let mentor_owner = app.resident("mentor@example.cn").await;
    let mentor = verified_org(app, &staff, &mentor_owner, "成华区和美社会工作服务中心").await;

    let convenor = app.resident("convenor@example.cn").await;
    let founded = app
        .ok(FOUND, json!({ "input": { "name": "和美暖心送餐队", "purpose": "为独居老人送餐上门，助餐志愿服务", "communityId": hemei, "categoryId": "meal-delivery" } }), Some(&convenor))
        .await;
    let group = founded["foundGroup"]["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(founded["foundGroup"]["group"]["stage"], "PROPOSED");

    // Not yet: too few members, no mentor. A resident cannot decide at all.
    let early = decide(app, &staff, &group, "ADVANCE", "申请进入培育").await;
    assert_eq!(early["errors"][0]["code"], "INVALID_INPUT");
    assert!(
        early["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("成员人数")
    );
    let by_resident =
        json!({ "input": { "groupId": group, "decision": "ADVANCE", "note": "自己推进" } });
    assert_eq!(
        app.top_level_code(DECIDE, by_resident, Some(&convenor))
            .await,
        "FORBIDDEN"
    );

    let mut members = Vec::new();
    for i in 0..7 {
        members.push(join(app, &group, &convenor, &format!("member{i}@example.cn")).await);
    }
    app.ok("mutation($g: ID!, $o: ID!) { setGroupMentor(input: { groupId: $g, organisationId: $o }) { errors { code } } }", json!({ "g": group, "o": mentor }), Some(&staff)).await;
    assert_eq!(
        decide(app, &staff, &group, "ADVANCE", "成员和导师到位").await["group"]["stage"],
        "INCUBATING"
    );

    // Incubating groups do not run activities yet.
    let starts_at = app.services.clock.now().and_utc() + chrono::TimeDelta::hours(2);
    let (starts, ends) = (
        starts_at.to_rfc3339(),
        (starts_at + chrono::TimeDelta::hours(2)).to_rfc3339(),
    );
    let too_early = app
        .ok("mutation($input: CreateActivityInput!) { createActivity(input: $input) { errors { code } } }", json!({ "input": { "groupId": group, "categoryId": "meal-delivery", "title": "送餐", "description": "", "place": "活动室", "startsAt": starts, "endsAt": ends, "capacity": 5, "pointsPerHour": 0, "pointsCap": 0 } }), Some(&convenor))
        .await;
    assert_eq!(
        too_early["createActivity"]["errors"][0]["code"], "INVALID_STATE",
        "{too_early}"
    );

    assert_eq!(
        decide(app, &staff, &group, "HOLD", "再观察一个月").await["group"]["stage"],
        "INCUBATING"
    );
    app.services
        .clock
        .advance(Duration::from_secs(31 * 24 * 3600));
    assert_eq!(
        decide(app, &staff, &group, "ADVANCE", "运行稳定").await["group"]["stage"],
        "GROWING"
    );

    // The fund pays the group's volunteers; residents give to it.
    let donated = app
        .ok("mutation($g: ID!) { donateToGroup(input: { groupId: $g, amount: 0, idempotencyKey: \"fund-gift-01\" }) { errors { code } } }", json!({ "g": group }), Some(&mentor_owner))
        .await;
    assert_eq!(
        donated["donateToGroup"]["errors"][0]["code"],
        "INVALID_INPUT"
    );
    let wallet = app
        .ok("{ me { wallet { id } } }", json!({}), Some(&mentor_owner))
        .await["me"]["wallet"]["id"]
        .clone();
    app.ok("mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { errors { code } } }", json!({ "input": { "accountId": wallet, "change": 500, "reason": "捐赠前充值", "idempotencyKey": "fund-donor-01" } }), Some(&staff)).await;
    let donated = app
        .ok("mutation($g: ID!) { donateToGroup(input: { groupId: $g, amount: 300, reason: \"支持送餐\", idempotencyKey: \"fund-gift-02\" }) { transfer { amount } errors { code } } }", json!({ "g": group }), Some(&mentor_owner))
        .await;
    assert_eq!(donated["donateToGroup"]["transfer"]["amount"], 300);

    // Growing: it runs activities; members serve, the convenor verifies.
    hold_activity(app, &group, &convenor, &convenor, &members[1..5], 10, 180).await;
    hold_activity(app, &group, &convenor, &convenor, &members[1..3], 0, 60).await;
    let g = app.ok(GROUP, json!({ "id": group }), None).await;
    assert_eq!(g["node"]["fund"]["balance"], 300 - 4 * 30, "{g}");
    let criteria = g["node"]["criteria"].as_array().unwrap().clone();
    assert!(
        criteria
            .iter()
            .any(|c| c["name"] == "已举办活动" && c["actual"] == 2),
        "{criteria:?}"
    );
    let unmet: Vec<_> = criteria.iter().filter(|c| c["met"] == false).collect();
    assert_eq!(unmet.len(), 1, "only age is missing: {unmet:?}");
    app.services
        .clock
        .advance(Duration::from_secs(91 * 24 * 3600));
    assert_eq!(
        decide(app, &staff, &group, "ADVANCE", "可以独立运行").await["group"]["stage"],
        "GRADUATED"
    );

    let timeline = app.ok(GROUP, json!({ "id": group }), None).await["node"]["timeline"].clone();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "FOUNDED", "MENTOR", "ADVANCED", "HOLD", "ADVANCED", "ADVANCED"
        ]
    );
    assert_eq!(timeline[5]["toStage"], "GRADUATED");
    assert_eq!(timeline[3]["note"], "再观察一个月");

    // A graduated group can become a partner organisation, through the staff review queue.
    let registered = app
        .ok("mutation($g: ID!) { registerGroupAsOrganisation(input: { groupId: $g, contact: \"028-84009999\" }) { organisation { name status } errors { code } } }", json!({ "g": group }), Some(&convenor))
        .await;
    assert_eq!(
        registered["registerGroupAsOrganisation"]["organisation"]["status"],
        "PENDING"
    );
    let queue = app
        .ok(
            "{ organisationReviewQueue { edges { node { name } } } }",
            json!({}),
            Some(&staff),
        )
        .await;
    assert_eq!(
        queue["organisationReviewQueue"]["edges"][0]["node"]["name"],
        "和美暖心送餐队"
    );
}

both_engines!(only_a_groups_convenor_spends_its_fund);

async fn only_a_groups_convenor_spends_its_fund(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let hemei = community(app, &staff, "和美社区", "猛追湾街道").await;
    let a = app.resident("a@example.cn").await;
    let b = app.resident("b@example.cn").await;
    let found = |name: &'static str| json!({ "input": { "name": name, "purpose": "互助", "communityId": hemei, "categoryId": "volunteering" } });
    let ga = app.ok(FOUND, found("甲组"), Some(&a)).await["foundGroup"]["group"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(FOUND, found("乙组"), Some(&b)).await;
    let member = join(app, &ga, &a, "m@example.cn").await;
    let member_id = app.ok("{ me { id } }", json!({}), Some(&member)).await["me"]["id"].clone();
    let wallet = app
        .ok("{ me { wallet { id } } }", json!({}), Some(&a))
        .await["me"]["wallet"]["id"]
        .clone();
    app.ok("mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { errors { code } } }", json!({ "input": { "accountId": wallet, "change": 100, "reason": "充值", "idempotencyKey": "fund-a-0001" } }), Some(&staff)).await;
    app.ok("mutation($g: ID!) { donateToGroup(input: { groupId: $g, amount: 50, idempotencyKey: \"gift-a-0001\" }) { errors { code } } }", json!({ "g": ga }), Some(&a)).await;

    let reward = "mutation($g: ID!, $u: ID!, $k: String!) { rewardGroupMember(input: { groupId: $g, userId: $u, amount: 20, reason: \"送餐辛苦了\", idempotencyKey: $k }) { transfer { amount } errors { code } } }";
    // Another group's convenor, and a plain member: refused.
    assert_eq!(
        app.top_level_code(
            reward,
            json!({ "g": ga, "u": member_id, "k": "steal-b-0001" }),
            Some(&b)
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.top_level_code(
            reward,
            json!({ "g": ga, "u": member_id, "k": "steal-m-0001" }),
            Some(&member)
        )
        .await,
        "FORBIDDEN"
    );
    let paid = app
        .ok(
            reward,
            json!({ "g": ga, "u": member_id, "k": "reward-a-0001" }),
            Some(&a),
        )
        .await;
    assert_eq!(paid["rewardGroupMember"]["transfer"]["amount"], 20);
    assert_eq!(
        app.ok("{ me { wallet { balance } } }", json!({}), Some(&member))
            .await["me"]["wallet"]["balance"],
        20
    );
    let over = app
        .ok(
            reward,
            json!({ "g": ga, "u": member_id, "k": "reward-a-0002" }),
            Some(&a),
        )
        .await;
    assert_eq!(over["rewardGroupMember"]["errors"], json!([]));
    let broke = app
        .ok(
            reward,
            json!({ "g": ga, "u": member_id, "k": "reward-a-0003" }),
            Some(&a),
        )
        .await;
    assert_eq!(
        broke["rewardGroupMember"]["errors"][0]["code"],
        "INSUFFICIENT_POINTS"
    );
}

both_engines!(a_need_is_matched_delivered_and_counted);

async fn a_need_is_matched_delivered_and_counted(app: &TestApp) {
    let staff = app.staff("staff@example.cn").await;
    let hemei = community(app, &staff, "和美社区", "猛追湾街道").await;
    let other = community(app, &staff, "致强社区", "双水碾街道").await;
    let owner = app.resident("owner@example.cn").await;
    let org = verified_org(app, &staff, &owner, "和美长者食堂").await;
    let publish = |category: &'static str,
                   title: &'static str,
                   description: &'static str,
                   serves: String| {
        json!({ "input": { "organisationId": org, "product": { "categoryId": category, "title": title, "summary": "社区服务", "description": description, "priceTier": "FREE", "communityIds": [serves] } } })
    };
    let mut products = Vec::new();
    for input in [
        publish(
            "elder-canteen",
            "长者食堂老年人助餐",
            "老年人每天可在社区食堂用餐，享受助餐补贴",
            hemei.clone(),
        ),
        publish(
            "appliance-repair",
            "家电维修便民点",
            "空调冰箱洗衣机上门维修",
            hemei.clone(),
        ),
        publish(
            "nursery",
            "社区托幼托育班",
            "为三岁以下婴幼儿提供托幼服务",
            other.clone(),
        ),
        publish(
            "meal-delivery",
            "病后营养餐配送",
            "为病后康复居民配送营养餐",
            other.clone(),
        ),
    ] {
        let id = app.ok("mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } } }", input, Some(&owner)).await["createProduct"]["product"]["id"].as_str().unwrap().to_owned();
        app.ok(
            "mutation($id: ID!) { submitProduct(input: { productId: $id }) { errors { code } } }",
            json!({ "id": id }),
            Some(&owner),
        )
        .await;
        app.ok("mutation($id: ID!) { reviewProduct(input: { productId: $id, decision: PUBLISH }) { errors { code } } }", json!({ "id": id }), Some(&staff)).await;
        products.push(id);
    }
    let convenor = app.resident("convenor@example.cn").await;
    let group = app
        .ok(FOUND, json!({ "input": { "name": "和美暖心送餐队", "purpose": "为独居老人送餐上门，助餐志愿服务", "communityId": hemei, "categoryId": "meal-delivery" } }), Some(&convenor))
        .await["foundGroup"]["group"]["id"].as_str().unwrap().to_owned();

    let resident = app.resident("resident@example.cn").await;
    let wanted_by = (app.services.clock.now().and_utc() + chrono::TimeDelta::days(7)).to_rfc3339();
    let posted = app
        .ok("mutation($input: PostNeedInput!) { postNeed(input: $input) { need { id status overdue } errors { code field } } }", json!({ "input": { "communityId": hemei, "categoryId": "meal-delivery", "title": "老年人助餐", "description": "老年人助餐 需要志愿者送餐", "urgency": "HIGH", "wantedBy": wanted_by } }), Some(&resident))
        .await;
    let need = posted["postNeed"]["need"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{posted}"))
        .to_owned();

    let ranked = app
        .ok(
            "query($n: ID!) { matchCandidates(needId: $n) { kind id name score reasons } }",
            json!({ "n": need }),
            Some(&staff),
        )
        .await;
    let ranked = ranked["matchCandidates"].as_array().unwrap().clone();
    let top: Vec<&str> = ranked
        .iter()
        .take(2)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        top.contains(&group.as_str()) && top.contains(&products[0].as_str()),
        "{ranked:#?}"
    );
    assert!(
        ranked[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("服务和美社区")),
        "{ranked:#?}"
    );
    assert!(
        !ranked.iter().any(|c| c["id"] == products[1].as_str()),
        "a repair service does not answer a meal need"
    );
    assert_eq!(
        app.top_level_code(
            "query($n: ID!) { matchCandidates(needId: $n) { id } }",
            json!({ "n": need }),
            Some(&resident)
        )
        .await,
        "FORBIDDEN"
    );

    let propose = "mutation($n: ID!, $c: ID!) { proposeMatch(input: { needId: $n, candidateId: $c }) { match { id status reasons } errors { code } } }";
    assert_eq!(
        app.top_level_code(propose, json!({ "n": need, "c": group }), Some(&resident))
            .await,
        "FORBIDDEN"
    );
    let proposed = app
        .ok(propose, json!({ "n": need, "c": group }), Some(&staff))
        .await;
    let case = proposed["proposeMatch"]["match"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accepted = app.ok("mutation($m: ID!) { respondToMatch(input: { matchId: $m, accept: true }) { match { status } errors { code } } }", json!({ "m": case }), Some(&convenor)).await;
    assert_eq!(accepted["respondToMatch"]["match"]["status"], "ACCEPTED");
    let delivered = app
        .ok("mutation($m: ID!) { deliverMatch(input: { matchId: $m, residentsServed: 12, outcome: \"每周三次送餐，服务 12 位独居老人\" }) { need { status residentsServed } errors { code } } }", json!({ "m": case }), Some(&convenor))
        .await;
    assert_eq!(delivered["deliverMatch"]["need"]["status"], "DELIVERED");
    let closed = app.ok("mutation($n: ID!) { closeNeed(input: { needId: $n }) { need { status outcome } errors { code } } }", json!({ "n": need }), Some(&resident)).await;
    assert_eq!(closed["closeNeed"]["need"]["status"], "CLOSED");

    let impact = app
        .ok(
            "{ impact(by: COMMUNITY) { name needsMatched needsDelivered productsPublished } }",
            json!({}),
            None,
        )
        .await;
    let row = impact["impact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "和美社区")
        .unwrap()
        .clone();
    assert_eq!(
        (
            row["needsMatched"].as_i64(),
            row["needsDelivered"].as_i64(),
            row["productsPublished"].as_i64()
        ),
        (Some(1), Some(1), Some(2))
    );

    // A need past its date without a match is flagged.
    let soon = (app.services.clock.now().and_utc() + chrono::TimeDelta::days(1)).to_rfc3339();
    app.ok("mutation($input: PostNeedInput!) { postNeed(input: $input) { errors { code } } }", json!({ "input": { "communityId": hemei, "categoryId": "repair", "title": "楼道灯维修", "description": "三单元楼道灯坏了", "urgency": "LOW", "wantedBy": soon } }), Some(&resident)).await;
    app.services
        .clock
        .advance(Duration::from_secs(2 * 24 * 3600));
    let overdue = app
        .ok(
            "{ needs(overdue: true) { title overdue } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        overdue["needs"],
        json!([{ "title": "楼道灯维修", "overdue": true }])
    );
}
