//! Self-governance groups through incubation; needs matched, delivered and counted.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::directory::ORGANISATION_REVIEW_QUEUE;
use crate::support::incubation::{
    DECIDE_GROUP_STAGE, FOUND_GROUP, Group, PROPOSE_MATCH, REWARD_GROUP_MEMBER,
};
use crate::support::volunteering::CREATE_ACTIVITY;
use crate::support::{
    TestApp, accepted, both_engines, text_at, texts_at, user_error, user_error_message,
};

const REGISTER_GROUP_AS_ORGANISATION: &str = r#"
    mutation ($group: ID!) {
        registerGroupAsOrganisation(input: { groupId: $group, contact: "028-84009999" }) {
            organisation { name status }
            errors { code }
        }
    }
"#;

const MATCH_CANDIDATES: &str = r"
    query ($need: ID!) {
        matchCandidates(needId: $need) { kind id name score reasons }
    }
";

const ACCEPT_MATCH: &str = r"
    mutation ($match: ID!) {
        respondToMatch(input: { matchId: $match, accept: true }) {
            match { status }
            errors { code }
        }
    }
";

const DELIVER_MATCH: &str = r#"
    mutation ($match: ID!) {
        deliverMatch(
            input: {
                matchId: $match
                residentsServed: 12
                outcome: "每周三次送餐，服务 12 位独居老人"
            }
        ) {
            need { status residentsServed }
            errors { code }
        }
    }
"#;

const CLOSE_NEED: &str = r"
    mutation ($need: ID!) {
        closeNeed(input: { needId: $need }) {
            need { status outcome }
            errors { code }
        }
    }
";

const IMPACT_BY_COMMUNITY: &str = r"
    {
        impact(by: COMMUNITY) { name needsMatched needsDelivered productsPublished }
    }
";

const GROUP_BOARD: &str = r"
    query ($stage: GroupStage, $community: ID) {
        groups(filter: { stage: $stage, communityId: $community }) {
            totalCount
            nodes { name stage createdAt lastDecision { kind toStage note } }
        }
    }
";

const OVERDUE_NEEDS: &str = "{ needs(filter: { overdue: true }) { nodes { title overdue } } }";

/// A funded resident gives the group's fund `amount` with `key`; returns the answer.
async fn a_residents_gift(app: &TestApp, group: &str, amount: i64, key: &str) -> Value {
    let donor = app.funded_resident(500).await;
    app.donate_to_group(&donor, group, amount, key).await
}

both_engines!(
    a_founded_group_is_proposed,
    a_group_without_enough_members_or_a_mentor_cannot_advance,
    residents_cannot_decide_a_groups_stage,
    a_group_with_seven_members_and_a_mentor_advances_to_incubating,
    an_incubating_group_cannot_run_activities,
    a_hold_keeps_the_group_at_its_stage,
    a_month_after_incubation_the_group_grows,
    the_incubation_board_lists_the_groups_of_one_stage_with_their_last_decision,
    groups_are_listed_by_community,
);

async fn a_founded_group_is_proposed(app: &TestApp) {
    let community = app.community("和美社区", "猛追湾街道").await;
    let convenor = app.new_resident().await;

    let founded = app
        .found_group(&convenor, &community, "和美暖心送餐队")
        .await;

    assert_eq!(
        accepted(&founded, "foundGroup")["group"]["stage"],
        "PROPOSED"
    );
}

async fn a_group_without_enough_members_or_a_mentor_cannot_advance(app: &TestApp) {
    let group = app.proposed_group().await;

    let early = app.decide_stage(&group.id, "ADVANCE", "申请进入培育").await;

    assert_eq!(user_error(&early, "decideGroupStage"), "INVALID_INPUT");
    assert!(
        user_error_message(&early, "decideGroupStage").contains("成员人数"),
        "{early}"
    );
}

async fn residents_cannot_decide_a_groups_stage(app: &TestApp) {
    let group = app.proposed_group().await;
    let by_resident = json!({ "input": {
        "groupId": group.id,
        "decision": "ADVANCE",
        "note": "自己推进"
    } });

    let code = app
        .top_level_code(DECIDE_GROUP_STAGE, by_resident, Some(&group.convenor))
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn a_group_with_seven_members_and_a_mentor_advances_to_incubating(app: &TestApp) {
    let group = app.group_ready_for_incubation().await;

    let decided = app
        .decide_stage(&group.id, "ADVANCE", "成员和导师到位")
        .await;

    assert_eq!(decided["decideGroupStage"]["group"]["stage"], "INCUBATING");
}

async fn an_incubating_group_cannot_run_activities(app: &TestApp) {
    let group = app.incubating_group().await;
    let starts_at = app.services.clock.now().and_utc() + TimeDelta::hours(2);
    let activity = json!({
        "groupId": group.id,
        "categoryId": "meal-delivery",
        "title": "送餐",
        "description": "",
        "place": "活动室",
        "startsAt": starts_at.to_rfc3339(),
        "endsAt": (starts_at + TimeDelta::hours(2)).to_rfc3339(),
        "capacity": 5,
        "pointsPerHour": 0,
        "pointsCap": 0
    });

    let too_early = app
        .ok(
            CREATE_ACTIVITY,
            json!({ "input": activity }),
            Some(&group.convenor),
        )
        .await;

    assert_eq!(user_error(&too_early, "createActivity"), "INVALID_STATE");
}

async fn a_hold_keeps_the_group_at_its_stage(app: &TestApp) {
    let group = app.incubating_group().await;

    let held = app.decide_stage(&group.id, "HOLD", "再观察一个月").await;

    assert_eq!(held["decideGroupStage"]["group"]["stage"], "INCUBATING");
}

async fn a_month_after_incubation_the_group_grows(app: &TestApp) {
    let group = app.incubating_group().await;
    app.days_pass(31);

    let grown = app.decide_stage(&group.id, "ADVANCE", "运行稳定").await;

    assert_eq!(grown["decideGroupStage"]["group"]["stage"], "GROWING");
}

both_engines!(
    a_donation_of_nothing_to_a_group_is_refused,
    residents_give_to_a_groups_fund,
    the_fund_pays_the_volunteers_of_the_groups_activities,
    the_criteria_count_the_activities_held_and_leave_only_age_unmet,
    three_months_on_a_growing_group_that_runs_activities_graduates,
    the_timeline_records_every_decision_with_its_note,
    a_graduated_group_registers_as_a_partner_organisation_pending_review,
    a_registered_group_waits_in_the_staff_review_queue,
);

/// The growing group's fund receives 300 points; then it runs two activities: four members
/// serve three hours at 10 points an hour (30 each, from the fund), two serve an hour for
/// nothing; the convenor verifies.
async fn a_growing_group_running_activities(app: &TestApp) -> Group {
    let group = app.growing_group().await;
    accepted(
        &a_residents_gift(app, &group.id, 300, "fund-gift-02").await,
        "donateToGroup",
    );
    app.group_activity_held(&group, &group.members[1..5], 10, 180)
        .await;
    app.group_activity_held(&group, &group.members[1..3], 0, 60)
        .await;
    group
}

/// Three months on, staff let the group run on its own.
async fn a_graduated_group(app: &TestApp) -> Group {
    let group = a_growing_group_running_activities(app).await;
    app.days_pass(91);
    app.move_stage(&group.id, "ADVANCE", "可以独立运行", "GRADUATED")
        .await;
    group
}

async fn a_donation_of_nothing_to_a_group_is_refused(app: &TestApp) {
    let group = app.growing_group().await;

    let donated = a_residents_gift(app, &group.id, 0, "fund-gift-01").await;

    assert_eq!(user_error(&donated, "donateToGroup"), "INVALID_INPUT");
}

async fn residents_give_to_a_groups_fund(app: &TestApp) {
    let group = app.growing_group().await;

    let donated = a_residents_gift(app, &group.id, 300, "fund-gift-02").await;

    assert_eq!(donated["donateToGroup"]["transfer"]["amount"], 300);
}

async fn the_fund_pays_the_volunteers_of_the_groups_activities(app: &TestApp) {
    let group = a_growing_group_running_activities(app).await;

    let seen = app.the_group(&group.id).await;

    assert_eq!(seen["fund"]["balance"], 300 - 4 * 30, "{seen}");
}

async fn the_criteria_count_the_activities_held_and_leave_only_age_unmet(app: &TestApp) {
    let group = a_growing_group_running_activities(app).await;

    let seen = app.the_group(&group.id).await;

    let criteria = seen["criteria"].as_array().unwrap();
    assert!(
        criteria
            .iter()
            .any(|c| c["name"] == "已举办活动" && c["actual"] == 2),
        "{criteria:?}"
    );
    let unmet: Vec<_> = criteria.iter().filter(|c| c["met"] == false).collect();
    assert_eq!(unmet.len(), 1, "only age is missing: {unmet:?}");
}

async fn three_months_on_a_growing_group_that_runs_activities_graduates(app: &TestApp) {
    let group = a_growing_group_running_activities(app).await;
    app.days_pass(91);

    let graduated = app.decide_stage(&group.id, "ADVANCE", "可以独立运行").await;

    assert_eq!(graduated["decideGroupStage"]["group"]["stage"], "GRADUATED");
}

async fn the_timeline_records_every_decision_with_its_note(app: &TestApp) {
    let group = a_graduated_group(app).await;

    let timeline = app.the_group(&group.id).await["timeline"]["nodes"].clone();

    assert_eq!(
        texts_at(&timeline, "/kind"),
        [
            "FOUNDED", "MENTOR", "ADVANCED", "HOLD", "ADVANCED", "ADVANCED"
        ]
    );
    assert_eq!(timeline[5]["toStage"], "GRADUATED");
    assert_eq!(timeline[3]["note"], "再观察一个月");
}

/// The convenor of a graduated group registers it as a partner organisation; returns the
/// answer.
async fn register_as_organisation(app: &TestApp, group: &Group) -> Value {
    app.ok(
        REGISTER_GROUP_AS_ORGANISATION,
        json!({ "group": group.id }),
        Some(&group.convenor),
    )
    .await
}

async fn a_graduated_group_registers_as_a_partner_organisation_pending_review(app: &TestApp) {
    let group = a_graduated_group(app).await;

    let registered = register_as_organisation(app, &group).await;

    assert_eq!(
        registered["registerGroupAsOrganisation"]["organisation"]["status"],
        "PENDING"
    );
}

async fn a_registered_group_waits_in_the_staff_review_queue(app: &TestApp) {
    let group = a_graduated_group(app).await;

    register_as_organisation(app, &group).await;

    let queue = app
        .ok(
            ORGANISATION_REVIEW_QUEUE,
            json!({}),
            Some(&app.staff().await),
        )
        .await;
    assert_eq!(
        texts_at(&queue["organisationReviewQueue"]["edges"], "/node/name"),
        ["和美暖心送餐队"]
    );
}

both_engines!(
    another_groups_convenor_cannot_reward_a_member,
    a_plain_member_cannot_reward_members,
    the_convenor_rewards_a_member_from_the_fund,
    the_fund_cannot_pay_out_more_than_it_holds,
);

/// Two groups founded side by side: 甲组, whose fund holds 50 points and which has a
/// member, and 乙组.
struct TwoGroups {
    first: Group,
    member: String,
    member_id: String,
    second_convenor: String,
}

async fn two_groups(app: &TestApp) -> TwoGroups {
    let community = app.community("和美社区", "猛追湾街道").await;
    let a = app.funded_resident(100).await;
    let b = app.new_resident().await;
    let found = |name: &'static str| {
        json!({ "input": {
            "name": name,
            "purpose": "互助",
            "communityId": community,
            "categoryId": "volunteering"
        } })
    };
    let first = app.ok(FOUND_GROUP, found("甲组"), Some(&a)).await;
    let first = text_at(accepted(&first, "foundGroup"), "/group/id");
    app.ok(FOUND_GROUP, found("乙组"), Some(&b)).await;
    let member = app.group_member(&first, &a).await;
    let member_id = app.user_id(&member).await;
    let given = app.donate_to_group(&a, &first, 50, "gift-a-0001").await;
    accepted(&given, "donateToGroup");
    TwoGroups {
        first: Group {
            id: first,
            convenor: a,
            community,
            members: vec![member.clone()],
        },
        member,
        member_id,
        second_convenor: b,
    }
}

/// The reward of 20 points to the member of the first group, with `key`.
fn reward_to_member(groups: &TwoGroups, key: &str) -> Value {
    json!({ "group": groups.first.id, "user": groups.member_id, "key": key })
}

async fn another_groups_convenor_cannot_reward_a_member(app: &TestApp) {
    let groups = two_groups(app).await;

    let code = app
        .top_level_code(
            REWARD_GROUP_MEMBER,
            reward_to_member(&groups, "steal-b-0001"),
            Some(&groups.second_convenor),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn a_plain_member_cannot_reward_members(app: &TestApp) {
    let groups = two_groups(app).await;

    let code = app
        .top_level_code(
            REWARD_GROUP_MEMBER,
            reward_to_member(&groups, "steal-m-0001"),
            Some(&groups.member),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn the_convenor_rewards_a_member_from_the_fund(app: &TestApp) {
    let groups = two_groups(app).await;

    let paid = app
        .ok(
            REWARD_GROUP_MEMBER,
            reward_to_member(&groups, "reward-a-0001"),
            Some(&groups.first.convenor),
        )
        .await;

    assert_eq!(paid["rewardGroupMember"]["transfer"]["amount"], 20);
    assert_eq!(app.balance(&groups.member).await, 20);
}

async fn the_fund_cannot_pay_out_more_than_it_holds(app: &TestApp) {
    let groups = two_groups(app).await;
    let convenor = Some(groups.first.convenor.as_str());
    let mut answers = Vec::new();

    for key in ["reward-a-0001", "reward-a-0002", "reward-a-0003"] {
        answers.push(
            app.ok(
                REWARD_GROUP_MEMBER,
                reward_to_member(&groups, key),
                convenor,
            )
            .await,
        );
    }

    accepted(&answers[0], "rewardGroupMember");
    accepted(&answers[1], "rewardGroupMember");
    assert_eq!(
        user_error(&answers[2], "rewardGroupMember"),
        "INSUFFICIENT_POINTS"
    );
}

both_engines!(
    match_candidates_rank_the_local_group_and_the_fitting_service_first,
    a_service_of_another_kind_is_not_a_candidate,
    residents_cannot_see_match_candidates,
    residents_cannot_propose_matches,
    the_group_accepts_a_proposed_match,
    delivering_a_match_delivers_the_need,
    the_resident_closes_a_delivered_need,
    impact_counts_matched_and_delivered_needs_and_published_products_per_community,
    a_need_past_its_date_without_a_match_is_flagged_overdue,
);

/// 和美社区 with a meal-delivery group, and a resident's need: meals for the elderly.
struct MealNeed {
    community: String,
    resident: String,
    convenor: String,
    group: String,
    id: String,
}

async fn a_meal_need(app: &TestApp) -> MealNeed {
    let group = app.proposed_group().await;
    let resident = app.new_resident().await;
    let id = app
        .post_need(
            &resident,
            json!({
                "communityId": group.community,
                "categoryId": "meal-delivery",
                "title": "老年人助餐",
                "description": "老年人助餐 需要志愿者送餐",
                "urgency": "HIGH",
                "wantedBy": (app.services.clock.now().and_utc() + TimeDelta::days(7)).to_rfc3339()
            }),
        )
        .await;
    MealNeed {
        community: group.community,
        resident,
        convenor: group.convenor,
        group: group.id,
        id,
    }
}

/// 和美长者食堂 publishes four services, two serving the need's community (a canteen and an
/// appliance repair) and two serving 致强社区: their ids, in that order.
async fn four_services(app: &TestApp, need: &MealNeed) -> Vec<String> {
    let other = app.community("致强社区", "双水碾街道").await;
    let owner = app.new_resident().await;
    let canteen = app
        .verified_organisation_named(&owner, "和美长者食堂")
        .await;
    let mut products = Vec::new();
    for (category, title, description, serves) in [
        (
            "elder-canteen",
            "长者食堂老年人助餐",
            "老年人每天可在社区食堂用餐，享受助餐补贴",
            &need.community,
        ),
        (
            "appliance-repair",
            "家电维修便民点",
            "空调冰箱洗衣机上门维修",
            &need.community,
        ),
        (
            "nursery",
            "社区托幼托育班",
            "为三岁以下婴幼儿提供托幼服务",
            &other,
        ),
        (
            "meal-delivery",
            "病后营养餐配送",
            "为病后康复居民配送营养餐",
            &other,
        ),
    ] {
        let product = json!({
            "categoryId": category,
            "title": title,
            "summary": "社区服务",
            "description": description,
            "priceTier": "FREE",
            "communityIds": [serves]
        });
        products.push(app.published_product(&owner, &canteen, product).await);
    }
    products
}

async fn match_candidates(app: &TestApp, need: &MealNeed) -> Vec<Value> {
    let ranked = app
        .ok(
            MATCH_CANDIDATES,
            json!({ "need": need.id }),
            Some(&app.staff().await),
        )
        .await;
    ranked["matchCandidates"].as_array().unwrap().clone()
}

/// Staff propose the group for the need: the match.
async fn proposed_match(app: &TestApp, need: &MealNeed) -> String {
    let proposed = app
        .ok(
            PROPOSE_MATCH,
            json!({ "need": need.id, "candidate": need.group }),
            Some(&app.staff().await),
        )
        .await;
    text_at(accepted(&proposed, "proposeMatch"), "/match/id")
}

async fn accept(app: &TestApp, need: &MealNeed, proposal: &str) -> Value {
    app.ok(
        ACCEPT_MATCH,
        json!({ "match": proposal }),
        Some(&need.convenor),
    )
    .await
}

async fn deliver(app: &TestApp, need: &MealNeed, proposal: &str) -> Value {
    app.ok(
        DELIVER_MATCH,
        json!({ "match": proposal }),
        Some(&need.convenor),
    )
    .await
}

async fn close(app: &TestApp, need: &MealNeed) -> Value {
    app.ok(CLOSE_NEED, json!({ "need": need.id }), Some(&need.resident))
        .await
}

async fn match_candidates_rank_the_local_group_and_the_fitting_service_first(app: &TestApp) {
    let need = a_meal_need(app).await;
    let services = four_services(app, &need).await;

    let ranked = match_candidates(app, &need).await;

    let top: Vec<&str> = ranked
        .iter()
        .take(2)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        top.contains(&need.group.as_str()) && top.contains(&services[0].as_str()),
        "{ranked:#?}"
    );
    assert!(
        texts_at(&ranked[0]["reasons"], "")
            .iter()
            .any(|r| r.contains("服务和美社区")),
        "{ranked:#?}"
    );
}

async fn a_service_of_another_kind_is_not_a_candidate(app: &TestApp) {
    let need = a_meal_need(app).await;
    let services = four_services(app, &need).await;

    let ranked = match_candidates(app, &need).await;

    assert!(
        !ranked.iter().any(|c| c["id"] == services[1].as_str()),
        "a repair service does not answer a meal need"
    );
}

async fn residents_cannot_see_match_candidates(app: &TestApp) {
    let need = a_meal_need(app).await;

    let code = app
        .top_level_code(
            MATCH_CANDIDATES,
            json!({ "need": need.id }),
            Some(&need.resident),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn residents_cannot_propose_matches(app: &TestApp) {
    let need = a_meal_need(app).await;

    let code = app
        .top_level_code(
            PROPOSE_MATCH,
            json!({ "need": need.id, "candidate": need.group }),
            Some(&need.resident),
        )
        .await;

    assert_eq!(code, "FORBIDDEN");
}

async fn the_group_accepts_a_proposed_match(app: &TestApp) {
    let need = a_meal_need(app).await;
    let proposal = proposed_match(app, &need).await;

    let accepted = accept(app, &need, &proposal).await;

    assert_eq!(accepted["respondToMatch"]["match"]["status"], "ACCEPTED");
}

async fn delivering_a_match_delivers_the_need(app: &TestApp) {
    let need = a_meal_need(app).await;
    let proposal = proposed_match(app, &need).await;
    accept(app, &need, &proposal).await;

    let delivered = deliver(app, &need, &proposal).await;

    assert_eq!(delivered["deliverMatch"]["need"]["status"], "DELIVERED");
}

async fn the_resident_closes_a_delivered_need(app: &TestApp) {
    let need = a_meal_need(app).await;
    let proposal = proposed_match(app, &need).await;
    accept(app, &need, &proposal).await;
    deliver(app, &need, &proposal).await;

    let closed = close(app, &need).await;

    assert_eq!(closed["closeNeed"]["need"]["status"], "CLOSED");
}

async fn impact_counts_matched_and_delivered_needs_and_published_products_per_community(
    app: &TestApp,
) {
    let need = a_meal_need(app).await;
    four_services(app, &need).await;
    let proposal = proposed_match(app, &need).await;
    accept(app, &need, &proposal).await;
    deliver(app, &need, &proposal).await;
    close(app, &need).await;

    let impact = app.ok(IMPACT_BY_COMMUNITY, json!({}), None).await;

    let row = impact["impact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "和美社区")
        .unwrap();
    assert_eq!(
        (
            row["needsMatched"].as_i64(),
            row["needsDelivered"].as_i64(),
            row["productsPublished"].as_i64()
        ),
        (Some(1), Some(1), Some(2))
    );
}

async fn a_need_past_its_date_without_a_match_is_flagged_overdue(app: &TestApp) {
    let need = a_meal_need(app).await;
    let soon = app.services.clock.now().and_utc() + TimeDelta::days(1);
    app.post_need(
        &need.resident,
        json!({
            "communityId": need.community,
            "categoryId": "repair",
            "title": "楼道灯维修",
            "description": "三单元楼道灯坏了",
            "urgency": "LOW",
            "wantedBy": soon.to_rfc3339()
        }),
    )
    .await;

    app.days_pass(2);

    let overdue = app.ok(OVERDUE_NEEDS, json!({}), None).await;
    assert_eq!(
        overdue["needs"]["nodes"],
        json!([{ "title": "楼道灯维修", "overdue": true }])
    );
}

async fn the_incubation_board_lists_the_groups_of_one_stage_with_their_last_decision(
    app: &TestApp,
) {
    let group = app.incubating_group().await;
    app.move_stage(&group.id, "HOLD", "再观察一个月", "INCUBATING")
        .await;
    let founder = app.new_resident().await;
    app.found_group(&founder, &group.community, "和美书画社")
        .await;

    let incubating = app
        .ok(GROUP_BOARD, json!({ "stage": "INCUBATING" }), None)
        .await;
    let proposed = app
        .ok(GROUP_BOARD, json!({ "stage": "PROPOSED" }), None)
        .await;

    let column = &incubating["groups"];
    assert_eq!(column["totalCount"], 1);
    assert_eq!(column["nodes"][0]["name"], "和美暖心送餐队");
    assert_eq!(
        column["nodes"][0]["lastDecision"],
        json!({ "kind": "HOLD", "toStage": "INCUBATING", "note": "再观察一个月" })
    );
    assert!(column["nodes"][0]["createdAt"].is_string());
    let fresh = &proposed["groups"]["nodes"];
    assert_eq!(fresh[0]["name"], "和美书画社");
    assert_eq!(fresh[0]["lastDecision"], Value::Null, "no decision yet");
}

async fn groups_are_listed_by_community(app: &TestApp) {
    let group = app.proposed_group().await;
    let elsewhere = app.community("致强社区", "双水碾街道").await;
    let founder = app.new_resident().await;
    app.found_group(&founder, &elsewhere, "致强羽毛球队").await;

    let listed = app
        .ok(GROUP_BOARD, json!({ "community": elsewhere }), None)
        .await;

    assert_eq!(
        texts_at(&listed["groups"]["nodes"], "/name"),
        ["致强羽毛球队"]
    );
    let mine = app
        .ok(GROUP_BOARD, json!({ "community": group.community }), None)
        .await;
    assert_eq!(
        texts_at(&mine["groups"]["nodes"], "/name"),
        ["和美暖心送餐队"]
    );
}
