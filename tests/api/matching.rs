//! The staff's matching board: each need's SLA and its escalation to a named staff member,
//! the board's order, every step with who and when, and who may see who acted.

use std::net::TcpListener;

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::incubation::PROPOSE_MATCH;
use linli_domain::identity::{Actor, Role};
use linli_domain::outbox::Message;
use linli_domain::page::PageRequest;
use linli_domain::types::UserId;

use crate::support::{TestApp, accepted, both_engines, global_raw_id, text_at, texts_at};

/// The staff member overdue needs are escalated to in these tests.
const ESCALATION: &str = "staff@example.cn";

const NEED_BOARD: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Need {
                title status createdAt slaDueAt escalatedAt
                postedBy { id }
                escalatedTo { email }
                steps { action label actor { id } at note }
                matches {
                    nodes {
                        candidateName createdAt respondedAt deliveredAt
                        proposedBy { id }
                        respondedBy { id }
                    }
                }
            }
        }
    }
";

const BOARD_PAGE: &str = r"
    query ($first: Int, $after: String, $last: Int) {
        needs(order: URGENT_FIRST, first: $first, after: $after, last: $last) {
            totalCount
            nodes { title }
            pageInfo { endCursor hasNextPage }
        }
    }
";

const RESPOND: &str = r"
    mutation ($match: ID!, $accept: Boolean!) {
        respondToMatch(input: { matchId: $match, accept: $accept }) { errors { code } }
    }
";

const DELIVER: &str = r#"
    mutation ($match: ID!) {
        deliverMatch(input: { matchId: $match, residentsServed: 3, outcome: "送餐三次" }) {
            errors { code }
        }
    }
"#;

const CLOSE: &str = r"
    mutation ($need: ID!) { closeNeed(input: { needId: $need }) { errors { code } } }
";

const WITHDRAW: &str = r"
    mutation ($need: ID!) { withdrawNeed(input: { needId: $need }) { errors { code } } }
";

/// A resident of 和美社区, who posts needs there.
struct Poster {
    community: String,
    resident: String,
}

async fn a_poster(app: &TestApp) -> Poster {
    Poster {
        community: app.community("和美社区", "猛追湾街道").await,
        resident: app.new_resident().await,
    }
}

/// `poster` posts `title` with `urgency`, wanted in two weeks: its id.
async fn need(app: &TestApp, poster: &Poster, title: &str, urgency: &str) -> String {
    let wanted_by = app.services.clock.now().and_utc() + TimeDelta::days(14);
    app.post_need(
        &poster.resident,
        json!({
            "communityId": poster.community,
            "categoryId": "meal-delivery",
            "title": title,
            "description": "需要志愿者帮忙",
            "urgency": urgency,
            "wantedBy": wanted_by.to_rfc3339()
        }),
    )
    .await
}

/// A second instance that escalates to `staff@example.cn` (made first, as start-up checks),
/// sweeping only when the test says (its periodic run is an hour away after the first).
async fn escalating_instance(app: &TestApp) -> TestApp {
    app.staff().await;
    app.another_instance(&[
        ("LINLI_NEED_ESCALATION_EMAIL", ESCALATION),
        ("LINLI_SWEEP_INTERVAL_SECS", "3600"),
    ])
    .await
}

/// `hours` pass on the clocks of both instances.
fn hours_pass(instances: &[&TestApp], hours: u64) {
    for instance in instances {
        instance.minutes_pass(hours * 60);
    }
}

/// One escalation sweep on `app`: how many needs it escalated.
fn sweep(app: &TestApp) -> usize {
    tokio::task::block_in_place(|| app.services.matching().escalate_due().unwrap())
}

async fn board(app: &TestApp, need: &str) -> Value {
    let data = app
        .ok(NEED_BOARD, json!({ "id": need }), Some(&app.staff().await))
        .await;
    data["node"].clone()
}

/// The escalation emails in the outbox, as staff read them (bodies included, which the API
/// does not serve).
async fn escalation_mails(app: &TestApp) -> Vec<Message> {
    let staff = app.user_id(&app.staff().await).await;
    let staff = Actor::User {
        id: UserId::parse(&global_raw_id(&staff)).unwrap(),
        role: Role::Staff,
    };
    let page = tokio::task::block_in_place(|| {
        let first_page = PageRequest::default();
        app.services
            .outbox()
            .messages(&staff, None, &first_page)
            .unwrap()
    });
    page.items
        .into_iter()
        .filter(|m| m.template == "NEED_ESCALATED")
        .collect()
}

both_engines!(
    a_need_is_due_by_its_posting_time_plus_the_sla_of_its_urgency,
    a_need_is_escalated_once_after_its_sla_and_not_before,
    the_escalation_email_is_queued_with_a_link_to_the_need,
    two_instances_sweeping_at_once_escalate_a_need_once,
    a_matched_need_is_not_escalated,
    a_misconfigured_escalation_email_stops_the_server_starting,
    the_board_puts_needs_past_their_sla_first_then_the_soonest_due,
    every_step_of_a_need_is_recorded_with_who_and_when,
    a_match_shows_its_candidate_and_when_it_was_answered_and_delivered,
    a_withdrawn_need_shows_its_withdrawal,
    who_acted_on_needs_and_matches_is_for_staff_only,
);

async fn a_need_is_due_by_its_posting_time_plus_the_sla_of_its_urgency(app: &TestApp) {
    let poster = a_poster(app).await;
    let id = need(app, &poster, "楼道灯维修", "MEDIUM").await;

    let need = board(app, &id).await;

    let posted = chrono::DateTime::parse_from_rfc3339(need["createdAt"].as_str().unwrap());
    let due = chrono::DateTime::parse_from_rfc3339(need["slaDueAt"].as_str().unwrap());
    assert_eq!(due.unwrap() - posted.unwrap(), TimeDelta::hours(72));
    assert_eq!(need["escalatedAt"], Value::Null);
}

async fn a_need_is_escalated_once_after_its_sla_and_not_before(app: &TestApp) {
    let second = escalating_instance(app).await;
    let poster = a_poster(app).await;
    let id = need(app, &poster, "老年人助餐", "HIGH").await;

    hours_pass(&[app, &second], 23);
    let early = sweep(&second);
    hours_pass(&[app, &second], 2);
    let due = sweep(&second);
    let again = sweep(&second);

    assert_eq!((early, due, again), (0, 1, 0));
    let need = board(app, &id).await;
    assert_eq!(need["escalatedTo"]["email"], ESCALATION);
    assert_ne!(need["escalatedAt"], Value::Null);
    let escalated: Vec<&Value> = need["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "ESCALATED")
        .collect();
    assert_eq!(escalated.len(), 1, "{need:#}");
    assert_eq!(
        escalated[0]["actor"],
        Value::Null,
        "Linli escalates, not a person"
    );
}

async fn the_escalation_email_is_queued_with_a_link_to_the_need(app: &TestApp) {
    let second = escalating_instance(app).await;
    let poster = a_poster(app).await;
    let id = need(app, &poster, "老年人助餐", "HIGH").await;
    hours_pass(&[app, &second], 25);

    sweep(&second);

    let mails = escalation_mails(app).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].recipient, ESCALATION);
    assert!(mails[0].subject.contains("老年人助餐"), "{mails:#?}");
    let body = &mails[0].body_text;
    assert!(body.contains(&format!("/staff/needs/{id}")), "{body}");
    assert!(body.contains("和美社区"), "{body}");
}

async fn two_instances_sweeping_at_once_escalate_a_need_once(app: &TestApp) {
    let second = escalating_instance(app).await;
    let third = app
        .another_instance(&[
            ("LINLI_NEED_ESCALATION_EMAIL", ESCALATION),
            ("LINLI_SWEEP_INTERVAL_SECS", "3600"),
        ])
        .await;
    let poster = a_poster(app).await;
    for title in ["老年人助餐", "楼道灯维修", "儿童托管"] {
        need(app, &poster, title, "HIGH").await;
    }
    hours_pass(&[app, &second, &third], 25);

    let (a, b) = (second.services.clone(), third.services.clone());
    let sweeps = [
        tokio::task::spawn_blocking(move || a.matching().escalate_due().unwrap()),
        tokio::task::spawn_blocking(move || b.matching().escalate_due().unwrap()),
    ];
    let mut escalated = 0;
    for sweep in sweeps {
        escalated += sweep.await.unwrap();
    }

    assert_eq!(escalated, 3);
    assert_eq!(escalation_mails(app).await.len(), 3);
}

async fn a_matched_need_is_not_escalated(app: &TestApp) {
    let second = escalating_instance(app).await;
    let case = a_proposed_match(app).await;
    accepted(
        &app.ok(
            RESPOND,
            json!({ "match": case.id, "accept": true }),
            Some(&case.convenor),
        )
        .await,
        "respondToMatch",
    );
    hours_pass(&[app, &second], 25);

    assert_eq!(sweep(&second), 0);
}

async fn a_misconfigured_escalation_email_stops_the_server_starting(app: &TestApp) {
    let resident = linli_domain::identity::Email::parse("resident@example.cn").unwrap();
    app.resident(resident.as_str()).await;
    let nobody = linli_domain::identity::Email::parse("nobody@example.cn").unwrap();

    for (email, problem) in [(resident, "not staff"), (nobody, "no account")] {
        let mut services = app.services.clone();
        services.settings.need_escalation_email = Some(email);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let Err(refused) = linli_api::serve(&app.config, services, listener) else {
            panic!("the server started with a misconfigured escalation email");
        };
        let refused = refused.to_string();
        assert!(refused.contains("LINLI_NEED_ESCALATION_EMAIL"), "{refused}");
        assert!(refused.contains(problem), "{refused}");
    }
}

async fn the_board_puts_needs_past_their_sla_first_then_the_soonest_due(app: &TestApp) {
    let poster = a_poster(app).await;
    need(app, &poster, "长期：社区花园", "LOW").await;
    need(app, &poster, "已超时：助餐", "HIGH").await;
    need(app, &poster, "三天内：维修", "MEDIUM").await;
    app.minutes_pass(25 * 60);
    need(app, &poster, "一天内：托管", "HIGH").await;
    let staff = app.staff().await;

    let mut titles = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .ok(
                BOARD_PAGE,
                json!({ "first": 1, "after": after }),
                Some(&staff),
            )
            .await;
        let needs = &page["needs"];
        assert_eq!(needs["totalCount"], 4);
        titles.extend(
            texts_at(&needs["nodes"], "/title")
                .into_iter()
                .map(str::to_owned),
        );
        if needs["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = needs["pageInfo"]["endCursor"].clone();
    }
    let last_two = app.ok(BOARD_PAGE, json!({ "last": 2 }), Some(&staff)).await;

    assert_eq!(
        titles,
        [
            "已超时：助餐",
            "一天内：托管",
            "三天内：维修",
            "长期：社区花园"
        ]
    );
    assert_eq!(
        texts_at(&last_two["needs"]["nodes"], "/title"),
        ["三天内：维修", "长期：社区花园"]
    );
}

/// The meal group of 和美社区 proposed by staff for a resident's need.
struct ProposedMatch {
    need: String,
    id: String,
    resident: String,
    convenor: String,
}

async fn a_proposed_match(app: &TestApp) -> ProposedMatch {
    let group = app.proposed_group().await;
    let resident = app.new_resident().await;
    let poster = Poster {
        community: group.community.clone(),
        resident: resident.clone(),
    };
    let need = need(app, &poster, "老年人助餐", "HIGH").await;
    let proposed = app
        .ok(
            PROPOSE_MATCH,
            json!({ "need": need, "candidate": group.id }),
            Some(&app.staff().await),
        )
        .await;
    ProposedMatch {
        id: text_at(accepted(&proposed, "proposeMatch"), "/match/id"),
        need,
        resident,
        convenor: group.convenor,
    }
}

/// The match accepted by the group's convenor, delivered an hour later and the need closed by
/// its poster.
async fn a_closed_need(app: &TestApp) -> ProposedMatch {
    let case = a_proposed_match(app).await;
    app.minutes_pass(60);
    let answer = json!({ "match": case.id, "accept": true });
    accepted(
        &app.ok(RESPOND, answer, Some(&case.convenor)).await,
        "respondToMatch",
    );
    app.minutes_pass(60);
    let delivery = json!({ "match": case.id });
    accepted(
        &app.ok(DELIVER, delivery, Some(&case.convenor)).await,
        "deliverMatch",
    );
    let closing = json!({ "need": case.need });
    accepted(
        &app.ok(CLOSE, closing, Some(&case.resident)).await,
        "closeNeed",
    );
    case
}

async fn every_step_of_a_need_is_recorded_with_who_and_when(app: &TestApp) {
    let case = a_closed_need(app).await;
    let resident = app.user_id(&case.resident).await;
    let convenor = app.user_id(&case.convenor).await;
    let staff = app.user_id(&app.staff().await).await;

    let need = board(app, &case.need).await;

    let steps = need["steps"].as_array().unwrap();
    let taken: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| {
            let actor = s["actor"]["id"].as_str().unwrap_or("");
            (s["action"].as_str().unwrap(), actor)
        })
        .collect();
    assert_eq!(
        taken,
        [
            ("POSTED", resident.as_str()),
            ("PROPOSED", staff.as_str()),
            ("ACCEPTED", convenor.as_str()),
            ("DELIVERED", convenor.as_str()),
            ("CLOSED", resident.as_str()),
        ]
    );
    assert_eq!(steps[2]["label"], "接受对接");
    assert!(steps[3]["note"].as_str().unwrap().contains("送餐三次"));
    let at =
        |i: usize| chrono::DateTime::parse_from_rfc3339(steps[i]["at"].as_str().unwrap()).unwrap();
    assert_eq!((at(3) - at(2)).num_minutes(), 60, "{steps:#?}");
    assert_eq!(need["postedBy"]["id"], resident.as_str());
}

async fn a_match_shows_its_candidate_and_when_it_was_answered_and_delivered(app: &TestApp) {
    let case = a_closed_need(app).await;
    let convenor = app.user_id(&case.convenor).await;
    let staff = app.user_id(&app.staff().await).await;

    let need = board(app, &case.need).await;

    let m = &need["matches"]["nodes"][0];
    assert_eq!(m["candidateName"], "和美暖心送餐队");
    assert_eq!(m["proposedBy"]["id"], staff.as_str());
    assert_eq!(m["respondedBy"]["id"], convenor.as_str());
    let at =
        |field: &str| chrono::DateTime::parse_from_rfc3339(m[field].as_str().unwrap()).unwrap();
    assert_eq!((at("respondedAt") - at("createdAt")).num_minutes(), 60);
    assert_eq!((at("deliveredAt") - at("respondedAt")).num_minutes(), 60);
}

async fn a_withdrawn_need_shows_its_withdrawal(app: &TestApp) {
    let poster = a_poster(app).await;
    let id = need(app, &poster, "楼道灯维修", "LOW").await;
    let withdrawal = json!({ "need": id });
    accepted(
        &app.ok(WITHDRAW, withdrawal, Some(&poster.resident)).await,
        "withdrawNeed",
    );

    let need = board(app, &id).await;

    assert_eq!(texts_at(&need["steps"], "/action"), ["POSTED", "WITHDRAWN"]);
}

async fn who_acted_on_needs_and_matches_is_for_staff_only(app: &TestApp) {
    let case = a_proposed_match(app).await;
    let organiser = app.new_resident().await;
    app.verified_organisation(&organiser).await;
    let operator = app.merchant().await.operator;
    let need_fields = ["postedBy { id }", "escalatedTo { id }", "steps { action }"];
    let match_fields = ["proposedBy { id }", "respondedBy { id }"];

    for (caller, token) in [
        ("resident", &case.resident),
        ("organiser", &organiser),
        ("merchant operator", &operator),
    ] {
        for (id, kind, fields) in [
            (&case.need, "Need", &need_fields[..]),
            (&case.id, "Match", &match_fields[..]),
        ] {
            for field in fields {
                let query = format!(
                    "query ($id: ID!) {{ node(id: $id) {{ ... on {kind} {{ {field} }} }} }}"
                );
                let code = app
                    .top_level_code(&query, json!({ "id": id }), Some(token))
                    .await;
                assert_eq!(code, "FORBIDDEN", "{caller} reading {kind}.{field}");
            }
        }
    }
}
