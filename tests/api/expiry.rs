//! Points expire by lots: each year's points lapse at the end of the following year (the
//! default policy), spends take the oldest year first, donations and releases keep the years
//! the points were earned in, sweepers on several instances expire each lot once, and residents
//! are reminded 30 and 7 days before, as they chose.

use serde_json::{Value, json};

use crate::support::rewards::Merchant;
use crate::support::settlement::chengdu;
use crate::support::{SWEEP_ON_DEMAND, TestApp, accepted, both_engines, text_at};

const MY_LOTS: &str = "{ me { wallet { balance lots { earnedYear points lapsesAt } } } }";

const MY_EXPIRIES: &str =
    "{ me { wallet { balance history(filter: { codes: [EXPIRE] }) { totalCount } } } }";

const CANCEL_REDEMPTION: &str = r"
    mutation ($id: ID!) {
        cancelRedemption(input: { redemptionId: $id }) { redemption { status } errors { code } }
    }
";

const OUTBOX: &str = r"
    { outboxMessages(first: 50) { edges { node { template recipient } } } }
";

const SET_NOTIFICATION_PREFERENCE: &str = r"
    mutation ($kind: NotificationKind!, $enabled: Boolean!) {
        setNotificationPreference(input: { kind: $kind, enabled: $enabled }) { ok }
    }
";

const REVERSE_TRANSFER: &str = r"
    mutation ($input: ReverseTransferInput!) {
        reverseTransfer(input: $input) { transfer { id } errors { code } }
    }
";

/// The resident's wallet as (year, points) pairs, oldest first.
async fn lots(app: &TestApp, resident: &str) -> Vec<(i64, i64)> {
    let me = app.ok(MY_LOTS, json!({}), Some(resident)).await;
    me["me"]["wallet"]["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["earnedYear"].as_i64().unwrap(),
                l["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `resident` cancels their pending `redemption`.
async fn cancel(app: &TestApp, resident: &str, redemption: &Value) {
    let id = json!({ "id": text_at(redemption, "/id") });
    let answer = app.ok(CANCEL_REDEMPTION, id, Some(resident)).await;
    accepted(&answer, "cancelRedemption");
}

/// Runs the expiry sweeper once, as every instance does on its interval: lots expired.
async fn sweep(app: &TestApp) -> usize {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || services.ledger().expire_due().unwrap())
        .await
        .unwrap()
}

/// Runs the reminder job once: lots reminded.
async fn remind(app: &TestApp) -> usize {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || services.ledger().remind_expiring().unwrap())
        .await
        .unwrap()
}

/// A resident with 100 points earned in March 2026 and 50 in June 2027, as the clock stood.
async fn earned_in_two_years(app: &TestApp) -> String {
    app.clock_at(chengdu(2026, 3, 1, 10, 0));
    let resident = app.funded_resident(100).await;
    app.clock_at(chengdu(2027, 6, 1, 10, 0));
    app.fund(&resident, 50).await;
    resident
}

async fn points_earned_in_two_years_are_spent_oldest_first_and_lapse_in_order(app: &TestApp) {
    let resident = earned_in_two_years(app).await;
    let me = app.ok(MY_LOTS, json!({}), Some(&resident)).await;
    assert_eq!(
        me["me"]["wallet"]["lots"],
        json!([
            { "earnedYear": 2026, "points": 100, "lapsesAt": "2027-12-31T16:00:00Z" },
            { "earnedYear": 2027, "points": 50, "lapsesAt": "2028-12-31T16:00:00Z" }
        ]),
        "2026's points lapse when 2028 begins in Chengdu"
    );

    let neighbour = app.resident("neighbour@example.cn").await;
    accepted(
        &app.donate(&resident, "neighbour@example.cn", 30, "gift-0001")
            .await,
        "donatePoints",
    );

    assert_eq!(lots(app, &resident).await, [(2026, 70), (2027, 50)]);
    assert_eq!(
        lots(app, &neighbour).await,
        [(2026, 30)],
        "a gift keeps the giver's year"
    );

    app.clock_at(chengdu(2027, 12, 31, 23, 59));
    assert_eq!(sweep(app).await, 0, "the last minute of 2027 still counts");
    app.clock_at(chengdu(2028, 1, 1, 0, 0));
    assert_eq!(sweep(app).await, 2);
    assert_eq!(sweep(app).await, 0, "a second run finds nothing left");

    assert_eq!(lots(app, &resident).await, [(2027, 50)]);
    assert_eq!(app.balance(&resident).await, 50);
    assert_eq!(app.balance(&neighbour).await, 0);
    assert_eq!(app.ledger_totals().await["expired"], 100);

    app.clock_at(chengdu(2029, 1, 1, 0, 0));
    assert_eq!(sweep(app).await, 1);
    assert_eq!(app.balance(&resident).await, 0);
    assert_eq!(app.ledger_totals().await["expired"], 150);
}

/// A redemption holds points in the years it took them from; a cancellation puts them back in
/// those years and a confirmation pays the merchant from them. Points held across the lapse
/// are not expired while held, and lapse once released.
async fn a_hold_keeps_the_years_it_took_and_a_release_restores_them(app: &TestApp) {
    let resident = earned_in_two_years(app).await;
    let shop: Merchant = app.merchant_named("和美理发店").await;
    let reward = app.reward(&shop).points_price(120).await;

    let held = app.redemption(&resident, &reward, "hold-0001").await;
    assert_eq!(lots(app, &resident).await, [(2027, 30)]);
    cancel(app, &resident, &held).await;
    assert_eq!(lots(app, &resident).await, [(2026, 100), (2027, 50)]);

    let paid = app.redemption(&resident, &reward, "hold-0002").await;
    accepted(
        &app.confirm(&shop, &text_at(&paid, "/code")).await,
        "confirmRedemption",
    );
    assert_eq!(lots(app, &resident).await, [(2027, 30)]);

    app.fund(&resident, 100).await; // 2027 again: 130 of 2027
    app.clock_at(chengdu(2028, 12, 31, 23, 50));
    let across = app.redemption(&resident, &reward, "hold-0003").await;
    app.clock_at(chengdu(2029, 1, 1, 0, 5));
    assert_eq!(
        sweep(app).await,
        1,
        "the 10 points left in the wallet lapse"
    );
    assert_eq!(app.balance(&resident).await, 0);
    cancel(app, &resident, &across).await;
    assert_eq!(lots(app, &resident).await, [(2027, 120)]);
    assert_eq!(
        sweep(app).await,
        1,
        "released into a lapsed year, they lapse"
    );
    assert_eq!(app.balance(&resident).await, 0);
    assert_eq!(app.ledger_totals().await["expired"], 130);
}

/// A reversed gift goes back to the giver in the years it left them.
async fn a_reversal_puts_points_back_in_the_years_they_came_from(app: &TestApp) {
    let resident = earned_in_two_years(app).await;
    app.resident("neighbour@example.cn").await;
    let gift = app
        .donate(&resident, "neighbour@example.cn", 120, "gift-0002")
        .await;
    let gift = text_at(accepted(&gift, "donatePoints"), "/transfer/id");
    assert_eq!(lots(app, &resident).await, [(2027, 30)]);
    app.clock_at(chengdu(2028, 2, 1, 9, 0));
    let staff = app.staff().await;

    let reversal =
        json!({ "transferId": gift, "reason": "误转", "idempotencyKey": "undo-gift-0001" });
    let reversed = app
        .ok(REVERSE_TRANSFER, json!({ "input": reversal }), Some(&staff))
        .await;

    accepted(&reversed, "reverseTransfer");
    assert_eq!(lots(app, &resident).await, [(2026, 100), (2027, 50)]);
    assert_eq!(sweep(app).await, 1, "the 2026 points, back in 2028, lapse");
    assert_eq!(app.balance(&resident).await, 50);
}

/// Three instances sweep at the same moment, each on its own thread: each lot is expired once.
async fn sweepers_on_several_instances_expire_each_lot_once(app: &TestApp) {
    app.clock_at(chengdu(2026, 5, 1, 10, 0));
    let mut residents = Vec::new();
    for _ in 0..12 {
        residents.push(app.funded_resident(25).await);
    }
    let at = chengdu(2028, 1, 1, 0, 1);
    app.clock_at(at);
    let second = app.another_instance(&SWEEP_ON_DEMAND).await;
    let third = app.another_instance(&SWEEP_ON_DEMAND).await;
    second.clock_at(at);
    third.clock_at(at);

    let runs: Vec<_> = [&app.services, &second.services, &third.services]
        .into_iter()
        .flat_map(|s| [s.clone(), s.clone()])
        .map(|s| tokio::task::spawn_blocking(move || s.ledger().expire_due().unwrap()))
        .collect();
    let mut expired = 0;
    for run in runs {
        expired += run.await.unwrap();
    }

    // An instance's own sweeper may have run first when it started: at most 12 by these runs.
    assert!(expired <= 12, "{expired}");
    assert_eq!(app.ledger_totals().await["expired"], 12 * 25);
    for resident in &residents {
        let wallet = app.ok(MY_EXPIRIES, json!({}), Some(resident)).await;
        assert_eq!(wallet["me"]["wallet"]["balance"], 0);
        assert_eq!(
            wallet["me"]["wallet"]["history"]["totalCount"], 1,
            "one EXPIRE per lot"
        );
    }
}

/// The subjects of reminder emails in the outbox, by recipient.
async fn reminders_to(app: &TestApp, staff: &str, recipient: &str) -> usize {
    let outbox: Value = app.ok(OUTBOX, json!({}), Some(staff)).await;
    outbox["outboxMessages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["node"]["template"] == "POINTS_EXPIRING" && e["node"]["recipient"] == recipient
        })
        .count()
}

async fn residents_are_reminded_30_and_7_days_before_as_they_chose(app: &TestApp) {
    app.clock_at(chengdu(2026, 5, 1, 10, 0));
    let keen = app.resident("keen@example.cn").await;
    app.fund(&keen, 40).await;
    let quiet = app.resident("quiet@example.cn").await;
    app.fund(&quiet, 40).await;
    let off = app
        .ok(
            SET_NOTIFICATION_PREFERENCE,
            json!({ "kind": "POINTS_EXPIRING", "enabled": false }),
            Some(&quiet),
        )
        .await;
    assert_eq!(off["setNotificationPreference"]["ok"], true);
    let staff = app.staff().await;

    app.clock_at(chengdu(2027, 11, 30, 9, 0));
    assert_eq!(remind(app).await, 0, "32 days before: not yet");
    app.clock_at(chengdu(2027, 12, 2, 9, 0));
    assert_eq!(remind(app).await, 2);
    assert_eq!(remind(app).await, 0, "once per lot");
    let body = app
        .delivered_mail("keen@example.cn", "40 志愿积分即将过期")
        .await;
    assert!(body.contains("2027-12-31"), "{body}");
    assert!(body.contains("/wallet"), "{body}");
    assert_eq!(reminders_to(app, &staff, "quiet@example.cn").await, 0);

    app.fund(&keen, 5).await; // points of 2027 are not reminded of yet
    app.clock_at(chengdu(2027, 12, 26, 9, 0));
    assert_eq!(remind(app).await, 2, "the 7-day reminders");
    assert_eq!(remind(app).await, 0);
    assert_eq!(reminders_to(app, &staff, "keen@example.cn").await, 2);
    assert_eq!(reminders_to(app, &staff, "quiet@example.cn").await, 0);
}

/// A lot first seen within 7 days of its lapse gets the 7-day reminder only.
async fn a_late_first_reminder_is_the_7_day_one(app: &TestApp) {
    app.clock_at(chengdu(2026, 5, 1, 10, 0));
    let late = app.resident("late@example.cn").await;
    app.fund(&late, 40).await;
    let staff = app.staff().await;

    app.clock_at(chengdu(2027, 12, 28, 9, 0));
    assert_eq!(remind(app).await, 1);
    assert_eq!(remind(app).await, 0);

    assert_eq!(reminders_to(app, &staff, "late@example.cn").await, 1);
}

/// Balances from before lots began become one lot each, of the year of the account's latest
/// credit (migration 000018): replayed here by dropping the lots and running the migration
/// again over the same ledger.
async fn balances_from_before_lots_become_one_lot_of_their_latest_year(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let resident = earned_in_two_years(app).await;
    app.clock_at(chengdu(2026, 8, 1, 10, 0));
    let earlier = app.funded_resident(30).await;
    let shop = app.merchant_named("和美理发店").await;
    let reward = app.reward(&shop).points_price(20).await;
    app.redemption(&earlier, &reward, "pending-0001").await;
    let mut conn = app.services.db.conn().unwrap();
    let (down, up) = match *conn {
        linli_domain::db::DbConnection::Pg(_) => (
            include_str!("../../migrations/postgres/2026-12-01-000018_point_lots/down.sql"),
            include_str!("../../migrations/postgres/2026-12-01-000018_point_lots/up.sql"),
        ),
        linli_domain::db::DbConnection::Sqlite(_) => (
            include_str!("../../migrations/sqlite/2026-12-01-000018_point_lots/down.sql"),
            include_str!("../../migrations/sqlite/2026-12-01-000018_point_lots/up.sql"),
        ),
    };

    conn.batch_execute(down).unwrap();
    conn.batch_execute(up).unwrap();
    drop(conn);

    assert_eq!(
        lots(app, &resident).await,
        [(2027, 150)],
        "all of it as of the latest credit's year"
    );
    assert_eq!(lots(app, &earlier).await, [(2026, 10)]);
    app.assert_ledger_ok().await;
    app.clock_at(chengdu(2028, 1, 1, 0, 0));
    assert_eq!(sweep(app).await, 1, "the earlier resident's 2026 lot");
    app.clock_at(chengdu(2029, 1, 1, 0, 0));
    assert_eq!(sweep(app).await, 1);
}

both_engines!(with SWEEP_ON_DEMAND:
    points_earned_in_two_years_are_spent_oldest_first_and_lapse_in_order,
    a_hold_keeps_the_years_it_took_and_a_release_restores_them,
    a_reversal_puts_points_back_in_the_years_they_came_from,
    sweepers_on_several_instances_expire_each_lot_once,
    residents_are_reminded_30_and_7_days_before_as_they_chose,
    a_late_first_reminder_is_the_7_day_one,
    balances_from_before_lots_become_one_lot_of_their_latest_year,
);
