//! Booking community services: seats a day never overbook under a race, a points price is
//! held and paid to the organisation on delivery or given back when the booking is declined,
//! cancelled or lapses, free services are booked at once, and every rule about who may book
//! and decide is tried as an attack.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::catalogue::canteen_lunch;
use crate::support::settlement::chengdu;
use crate::support::{
    SWEEP_ON_DEMAND, TestApp, accepted, both_engines, tally, text_at, user_error,
};

const SET_TERMS: &str = r"
    mutation ($input: SetBookingTermsInput!) {
        setBookingTerms(input: $input) { terms { seatsPerDay open } errors { code field } }
    }
";

const BOOK: &str = r"
    mutation ($input: BookProductInput!) {
        bookProduct(input: $input) {
            booking { id status day points priceYuan priceTier }
            errors { code field }
        }
    }
";

const CANCEL: &str = r"
    mutation ($id: ID!) {
        cancelBooking(input: { bookingId: $id }) { booking { status } errors { code } }
    }
";

const ACCEPT: &str = r"
    mutation ($id: ID!) {
        acceptBooking(input: { bookingId: $id }) { booking { status } errors { code } }
    }
";

const DECLINE: &str = r"
    mutation ($id: ID!, $reason: String!) {
        declineBooking(input: { bookingId: $id, reason: $reason }) {
            booking { status reason } errors { code }
        }
    }
";

const DELIVER: &str = r"
    mutation ($id: ID!) {
        markBookingDelivered(input: { bookingId: $id }) { booking { status } errors { code } }
    }
";

const SEATS: &str = r"
    query ($id: ID!, $day: String!) {
        node(id: $id) { ... on Product { seatsLeft(day: $day) bookingTerms { seatsPerDay } } }
    }
";

const ORGANISATION_BOOKINGS: &str = r"
    query ($id: ID!) {
        node(id: $id) { ... on Organisation { bookings(status: REQUESTED) { totalCount } } }
    }
";

const OUTBOX: &str = r"
    { outboxMessages(first: 50) { edges { node { template recipient } } } }
";

/// A canteen's lunch (low-cost: 12.50 yuan and 20 points) with `seats` a day, published by a
/// verified organisation: who runs it and what residents book.
struct Canteen {
    owner: String,
    organisation: String,
    product: String,
}

impl Canteen {
    async fn open(app: &TestApp, seats: i64, product: Value) -> Self {
        app.clock_at(chengdu(2026, 12, 10, 9, 0));
        let owner = app.resident("canteen-owner@example.cn").await;
        let organisation = app.verified_organisation(&owner).await;
        let product = app.published_product(&owner, &organisation, product).await;
        let terms = json!({ "productId": product, "seatsPerDay": seats, "open": true });
        let set = app
            .ok(SET_TERMS, json!({ "input": terms }), Some(&owner))
            .await;
        assert_eq!(
            accepted(&set, "setBookingTerms")["terms"]["seatsPerDay"],
            seats
        );
        Self {
            owner,
            organisation,
            product,
        }
    }

    async fn lunch(app: &TestApp, seats: i64) -> Self {
        let community = app.community("双水碾社区", "双水碾街道").await;
        Self::open(app, seats, canteen_lunch("长者午餐", &community)).await
    }

    /// `resident` books it for `day` with `key`; returns the answer.
    async fn book(&self, app: &TestApp, resident: &str, day: &str, key: &str) -> Value {
        let input = json!({ "productId": self.product, "day": day, "idempotencyKey": key });
        app.ok(BOOK, json!({ "input": input }), Some(resident))
            .await
    }

    async fn booked(&self, app: &TestApp, resident: &str, day: &str, key: &str) -> Value {
        let answer = self.book(app, resident, day, key).await;
        accepted(&answer, "bookProduct")["booking"].clone()
    }

    async fn seats_left(&self, app: &TestApp, day: &str) -> Value {
        let data = app
            .ok(SEATS, json!({ "id": self.product, "day": day }), None)
            .await;
        data["node"]["seatsLeft"].clone()
    }

    /// The owner takes a step on `booking`; returns the answer.
    async fn step(&self, app: &TestApp, query: &str, booking: &Value) -> Value {
        app.ok(
            query,
            json!({ "id": text_at(booking, "/id") }),
            Some(&self.owner),
        )
        .await
    }

    async fn budget(&self, app: &TestApp) -> i64 {
        app.budget_balance(&self.organisation, &self.owner).await
    }
}

async fn fifty_residents_booking_the_last_five_seats_get_exactly_five(app: &TestApp) {
    let canteen = Canteen::lunch(app, 5).await;
    let diners = app.residents(50).await;
    app.concurrently(50, |i| app.fund(&diners[i], 30)).await;
    let keys: Vec<String> = (0..50).map(|i| format!("lunch-seat-{i:03}")).collect();

    let answers = app
        .concurrently(50, |i| {
            canteen.book(app, &diners[i], "2026-12-11", &keys[i])
        })
        .await;

    assert_eq!(
        tally(&answers, "bookProduct"),
        BTreeMap::from([("FULLY_BOOKED", 45), ("OK", 5)])
    );
    assert_eq!(canteen.seats_left(app, "2026-12-11").await, 0);
    assert_eq!(canteen.seats_left(app, "2026-12-12").await, 5);
    assert_eq!(
        app.ledger_totals().await["held"],
        5 * 20,
        "no points held for the rest"
    );
    let mut balances = BTreeMap::new();
    for diner in &diners {
        *balances.entry(app.balance(diner).await).or_insert(0) += 1;
    }
    assert_eq!(balances, BTreeMap::from([(10, 5), (30, 45)]));
}

async fn a_delivered_booking_pays_the_organisation_and_a_declined_or_lapsed_one_gives_back(
    app: &TestApp,
) {
    let canteen = Canteen::lunch(app, 5).await;
    let diner = app.resident("diner@example.cn").await;
    app.fund(&diner, 100).await;

    let first = canteen
        .booked(app, &diner, "2026-12-11", "booking-0001")
        .await;
    assert_eq!(
        (first["status"].as_str(), first["points"].as_i64()),
        (Some("REQUESTED"), Some(20))
    );
    assert_eq!(
        first["priceYuan"], "12.50",
        "the yuan price, paid at the canteen"
    );
    assert_eq!(app.balance(&diner).await, 80);
    let waiting = app
        .ok(
            ORGANISATION_BOOKINGS,
            json!({ "id": canteen.organisation }),
            Some(&canteen.owner),
        )
        .await;
    assert_eq!(waiting["node"]["bookings"]["totalCount"], 1);
    let before = canteen.budget(app).await;
    accepted(&canteen.step(app, ACCEPT, &first).await, "acceptBooking");
    accepted(
        &canteen.step(app, DELIVER, &first).await,
        "markBookingDelivered",
    );
    assert_eq!(
        canteen.budget(app).await,
        before + 20,
        "paid to the organisation"
    );
    assert_eq!(app.balance(&diner).await, 80);

    let second = canteen
        .booked(app, &diner, "2026-12-12", "booking-0002")
        .await;
    let declined = app
        .ok(
            DECLINE,
            json!({ "id": text_at(&second, "/id"), "reason": "当天食堂检修" }),
            Some(&canteen.owner),
        )
        .await;
    assert_eq!(
        accepted(&declined, "declineBooking")["booking"]["reason"],
        "当天食堂检修"
    );
    assert_eq!(
        app.balance(&diner).await,
        80,
        "declined: the points came back"
    );
    assert_eq!(canteen.seats_left(app, "2026-12-12").await, 5);

    let third = canteen
        .booked(app, &diner, "2026-12-13", "booking-0003")
        .await;
    accepted(&canteen.step(app, ACCEPT, &third).await, "acceptBooking");
    assert_eq!(app.balance(&diner).await, 60);
    app.clock_at(chengdu(2026, 12, 14, 23, 59));
    assert_eq!(
        lapse(app).await,
        0,
        "the organisation has the next day to mark it"
    );
    app.clock_at(chengdu(2026, 12, 15, 0, 1));
    assert_eq!(lapse(app).await, 1);
    assert_eq!(lapse(app).await, 0);
    assert_eq!(
        app.balance(&diner).await,
        80,
        "lapsed: the points came back"
    );
    let late = canteen.step(app, DELIVER, &third).await;
    assert_eq!(user_error(&late, "markBookingDelivered"), "INVALID_STATE");

    let staff = app.staff().await;
    let outbox = app.ok(OUTBOX, json!({}), Some(&staff)).await;
    let mut sent: BTreeMap<(String, String), usize> = BTreeMap::new();
    for edge in outbox["outboxMessages"]["edges"].as_array().unwrap() {
        let key = (
            text_at(edge, "/node/template"),
            text_at(edge, "/node/recipient"),
        );
        *sent.entry(key).or_default() += 1;
    }
    let to = |template: &str, who: &str| sent.get(&(template.to_owned(), who.to_owned())).copied();
    assert_eq!(to("BOOKING_REQUESTED", "canteen-owner@example.cn"), Some(3));
    assert_eq!(
        to("BOOKING_DECIDED", "diner@example.cn"),
        Some(5),
        "accepted, delivered, declined, accepted, lapsed"
    );
}

/// Runs the lapse sweeper once: bookings lapsed.
async fn lapse(app: &TestApp) -> usize {
    let services = app.services.clone();
    tokio::task::spawn_blocking(move || services.bookings().lapse_due().unwrap())
        .await
        .unwrap()
}

async fn a_free_service_is_booked_at_once_and_a_cancellation_frees_the_seat(app: &TestApp) {
    let community = app.community("双水碾社区", "双水碾街道").await;
    let day_care = json!({
        "categoryId": "elder-canteen",
        "title": "日间照料",
        "summary": "白天照看社区老人",
        "description": "",
        "priceTier": "FREE",
        "communityIds": [community]
    });
    let centre = Canteen::open(app, 2, day_care).await;
    let resident = app.new_resident().await;

    let booking = centre
        .booked(app, &resident, "2026-12-10", "daycare-0001")
        .await;

    assert_eq!(
        (booking["status"].as_str(), booking["points"].as_i64()),
        (Some("ACCEPTED"), Some(0))
    );
    assert!(booking["priceYuan"].is_null());
    assert_eq!(centre.seats_left(app, "2026-12-10").await, 1);
    let cancelled = app
        .ok(
            CANCEL,
            json!({ "id": text_at(&booking, "/id") }),
            Some(&resident),
        )
        .await;
    assert_eq!(
        accepted(&cancelled, "cancelBooking")["booking"]["status"],
        "CANCELLED"
    );
    assert_eq!(centre.seats_left(app, "2026-12-10").await, 2);
    let again = app
        .ok(
            CANCEL,
            json!({ "id": text_at(&booking, "/id") }),
            Some(&resident),
        )
        .await;
    assert_eq!(user_error(&again, "cancelBooking"), "INVALID_STATE");
}

/// Who may book, and who may decide: each rule tried as an attack.
async fn every_rule_about_who_books_and_decides_holds(app: &TestApp) {
    let canteen = Canteen::lunch(app, 5).await;
    let diner = app.funded_resident(100).await;
    let stranger = app.funded_resident(100).await;

    let own = canteen
        .book(app, &canteen.owner, "2026-12-11", "own-lunch-0001")
        .await;
    assert_eq!(user_error(&own, "bookProduct"), "SELF_DEALING");

    let booking = canteen
        .booked(app, &diner, "2026-12-11", "lunch-0001")
        .await;
    let replay = canteen
        .booked(app, &diner, "2026-12-11", "lunch-0001")
        .await;
    assert_eq!(
        replay["id"], booking["id"],
        "the same request again: the same booking"
    );
    let reused = canteen.book(app, &diner, "2026-12-12", "lunch-0001").await;
    assert_eq!(user_error(&reused, "bookProduct"), "IDEMPOTENCY_KEY_REUSED");
    let second = canteen.book(app, &diner, "2026-12-11", "lunch-0002").await;
    assert_eq!(user_error(&second, "bookProduct"), "BOOKING_LIMIT_REACHED");
    let past = canteen.book(app, &diner, "2026-12-09", "lunch-0003").await;
    assert_eq!(user_error(&past, "bookProduct"), "INVALID_INPUT");
    let far = canteen.book(app, &diner, "2027-02-01", "lunch-0004").await;
    assert_eq!(user_error(&far, "bookProduct"), "INVALID_INPUT");

    let id = json!({ "id": text_at(&booking, "/id") });
    let self_accept = app.top_level_code(ACCEPT, id.clone(), Some(&diner)).await;
    assert_eq!(self_accept, "FORBIDDEN");
    let cancel_other = app.ok(CANCEL, id.clone(), Some(&stranger)).await;
    assert_eq!(user_error(&cancel_other, "cancelBooking"), "NOT_FOUND");
    let early = canteen.step(app, DELIVER, &booking).await;
    assert_eq!(
        user_error(&early, "markBookingDelivered"),
        "INVALID_STATE",
        "only an accepted booking is delivered"
    );
    let peek = app
        .top_level_code(
            ORGANISATION_BOOKINGS,
            json!({ "id": canteen.organisation }),
            Some(&stranger),
        )
        .await;
    assert_eq!(peek, "FORBIDDEN");

    let closed = json!({ "productId": canteen.product, "seatsPerDay": 5, "open": false });
    let not_owner = app
        .top_level_code(
            SET_TERMS,
            json!({ "input": closed.clone() }),
            Some(&stranger),
        )
        .await;
    assert_eq!(not_owner, "FORBIDDEN");
    accepted(
        &app.ok(SET_TERMS, json!({ "input": closed }), Some(&canteen.owner))
            .await,
        "setBookingTerms",
    );
    let shut = canteen
        .book(app, &stranger, "2026-12-11", "lunch-0005")
        .await;
    assert_eq!(user_error(&shut, "bookProduct"), "BOOKING_UNAVAILABLE");
    assert_eq!(
        app.balance(&stranger).await,
        100,
        "nothing held for a refusal"
    );
}

both_engines!(with SWEEP_ON_DEMAND:
    fifty_residents_booking_the_last_five_seats_get_exactly_five,
    a_delivered_booking_pays_the_organisation_and_a_declined_or_lapsed_one_gives_back,
    a_free_service_is_booked_at_once_and_a_cancellation_frees_the_seat,
    every_rule_about_who_books_and_decides_holds,
);
