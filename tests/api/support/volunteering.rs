//! Volunteering: organisers with a budget, published activities, sign-ups, and attendance
//! by the code on the organiser's screen.

use std::future::IntoFuture;
use std::pin::Pin;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{TestApp, accepted, text_at, unique_email};

pub const CREATE_ACTIVITY: &str = r"
    mutation ($input: CreateActivityInput!) {
        createActivity(input: $input) {
            activity { id status }
            errors { field code message }
        }
    }
";

pub const PUBLISH_ACTIVITY: &str = r"
    mutation ($id: ID!) {
        publishActivity(input: { activityId: $id }) {
            activity { status }
            errors { code }
        }
    }
";

pub const COMPLETE_ACTIVITY: &str = r"
    mutation ($id: ID!) {
        completeActivity(input: { activityId: $id }) {
            activity { status }
            errors { code }
        }
    }
";

pub const SIGN_UP_FOR_ACTIVITY: &str = r"
    mutation ($id: ID!) {
        signUpForActivity(input: { activityId: $id }) {
            participation { id status waitlistPosition }
            errors { code }
        }
    }
";

pub const CANCEL_SIGN_UP: &str = r"
    mutation ($id: ID!) {
        cancelSignUp(input: { activityId: $id }) {
            participation { status }
            errors { code }
        }
    }
";

pub const CHECK_IN_CODE: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Activity { checkInCode { code changesAt } }
        }
    }
";

pub const CHECK_IN: &str = r"
    mutation ($id: ID!, $code: String!) {
        checkIn(input: { activityId: $id, code: $code }) {
            participation { checkedInAt }
            errors { code }
        }
    }
";

pub const CHECK_OUT: &str = r"
    mutation ($id: ID!, $code: String!) {
        checkOut(input: { activityId: $id, code: $code }) {
            participation { checkedOutAt }
            errors { code }
        }
    }
";

pub const VERIFY_ACTIVITY_ATTENDANCE: &str = r"
    mutation ($id: ID!) {
        verifyActivityAttendance(input: { activityId: $id }) {
            verified { minutes points participation { displayName } }
            errors { code }
        }
    }
";

pub const VERIFY_ATTENDANCE: &str = r"
    mutation ($id: ID!) {
        verifyAttendance(input: { participationId: $id }) {
            verified { minutes points }
            errors { code }
        }
    }
";

pub const ATTENDANCE_SHEET: &str = r"
    query ($id: ID!) {
        node(id: $id) {
            ... on Activity {
                seatsLeft
                attendanceSheet(first: 100) {
                    nodes {
                        id
                        displayName
                        status
                        waitlistPosition
                        checkedInAt
                        refusedCodes
                        checkInLockedAt
                        verifiedMinutes
                        pointsAwarded
                        manual
                    }
                }
            }
        }
    }
";

pub const RECORD_ATTENDANCE: &str = r"
    mutation ($input: RecordAttendanceInput!) {
        recordAttendance(input: $input) {
            participation { id manual }
            errors { code }
        }
    }
";

pub const CANCEL_ACTIVITY: &str = r"
    mutation ($id: ID!) {
        cancelActivity(input: { activityId: $id }) { errors { code } }
    }
";

/// A verified organisation's owner, and a second member who verifies attendance.
pub struct Organiser {
    pub owner: String,
    pub verifier: String,
    pub organisation: String,
}

/// A published activity, and the organiser whose screen shows its check-in code.
pub struct Activity {
    pub id: String,
    pub organiser: String,
    pub starts_at: DateTime<Utc>,
}

/// An activity about to be created and published; `.await` it.
pub struct NewActivity<'a> {
    app: &'a TestApp,
    organiser: String,
    host: (&'static str, String),
    fields: Value,
    seats: i64,
    points_per_hour: i64,
    points_cap: i64,
    starts_in: TimeDelta,
    lasting: TimeDelta,
}

impl TestApp {
    /// 猛追湾志愿服务队, verified, with a second member and `budget` points to award.
    pub async fn organiser(&self, budget: i64) -> Organiser {
        self.organiser_named("猛追湾志愿服务队", budget).await
    }

    /// [`TestApp::organiser`] of an organisation called `name`.
    pub async fn organiser_named(&self, name: &str, budget: i64) -> Organiser {
        let owner = self.new_resident().await;
        let verifier_email = unique_email("verifier");
        let verifier = self.resident(&verifier_email).await;
        let organisation = self.verified_organisation_named(&owner, name).await;
        let added = self
            .add_member(&owner, &organisation, &verifier_email, "MEMBER")
            .await;
        accepted(&added, "addOrganisationMember");
        if budget > 0 {
            self.allocate_budget(&organisation, budget).await;
        }
        Organiser {
            owner,
            verifier,
            organisation,
        }
    }

    /// The organiser's home visits: 10 seats, 10 points an hour up to 30, starting in two
    /// hours on the app's clock and lasting two.
    pub fn activity(&self, organiser: &Organiser) -> NewActivity<'_> {
        NewActivity {
            app: self,
            organiser: organiser.owner.clone(),
            host: ("organisationId", organiser.organisation.clone()),
            fields: json!({
                "categoryId": "home-visits",
                "title": "独居老人上门探访",
                "description": "陪伴聊天、检查水电",
                "place": "猛追湾街道和美社区活动室"
            }),
            seats: 10,
            points_per_hour: 10,
            points_cap: 30,
            starts_in: TimeDelta::hours(2),
            lasting: TimeDelta::hours(2),
        }
    }

    /// Meal delivery a group runs itself, organised by its `convenor`: 10 seats, 10 points an
    /// hour up to 100, starting in an hour and lasting four.
    pub fn group_activity(&self, group: &str, convenor: &str) -> NewActivity<'_> {
        NewActivity {
            app: self,
            organiser: convenor.to_owned(),
            host: ("groupId", group.to_owned()),
            fields: json!({
                "categoryId": "meal-delivery",
                "title": "为独居老人送午餐",
                "description": "送餐上门",
                "place": "和美社区党群服务中心"
            }),
            seats: 10,
            points_per_hour: 10,
            points_cap: 100,
            starts_in: TimeDelta::hours(1),
            lasting: TimeDelta::hours(4),
        }
    }

    /// The code on the organiser's screen now.
    pub async fn check_in_code(&self, activity: &Activity) -> String {
        let data = self
            .ok(
                CHECK_IN_CODE,
                json!({ "id": activity.id }),
                Some(&activity.organiser),
            )
            .await;
        text_at(&data, "/node/checkInCode/code")
    }

    /// The attendance sheet of `activity`, as its organiser sees it.
    pub async fn attendance_sheet(&self, activity: &Activity) -> Vec<Value> {
        let sheet = self
            .ok(
                ATTENDANCE_SHEET,
                json!({ "id": activity.id }),
                Some(&activity.organiser),
            )
            .await;
        sheet["node"]["attendanceSheet"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("no attendance sheet: {sheet}"))
            .clone()
    }

    /// `volunteer` signs up for `activity`; returns the answer.
    pub async fn sign_up(&self, activity: &Activity, volunteer: &str) -> Value {
        self.ok(
            SIGN_UP_FOR_ACTIVITY,
            json!({ "id": activity.id }),
            Some(volunteer),
        )
        .await
    }

    /// `volunteer` checks in with `code`; returns the answer.
    pub async fn check_in_with(&self, activity: &Activity, volunteer: &str, code: &str) -> Value {
        self.ok(
            CHECK_IN,
            json!({ "id": activity.id, "code": code }),
            Some(volunteer),
        )
        .await
    }

    /// `volunteer` checks in with the code on the organiser's screen now.
    pub async fn check_in(&self, activity: &Activity, volunteer: &str) {
        let code = self.check_in_code(activity).await;
        let data = self.check_in_with(activity, volunteer, &code).await;
        accepted(&data, "checkIn");
    }

    /// `volunteer` checks out with the code on the organiser's screen now.
    pub async fn check_out(&self, activity: &Activity, volunteer: &str) {
        let code = self.check_in_code(activity).await;
        let data = self
            .ok(
                CHECK_OUT,
                json!({ "id": activity.id, "code": code }),
                Some(volunteer),
            )
            .await;
        accepted(&data, "checkOut");
    }

    /// The app's clock moves on to the start of `activity` (when it has not started yet).
    pub fn activity_begins(&self, activity: &Activity) {
        let until_start = activity.starts_at - self.services.clock.now().and_utc();
        if let Ok(wait) = until_start.to_std() {
            self.services.clock.advance(wait);
        }
    }

    /// The clock moves on to the start; every volunteer (signed up already) checks in, serves
    /// `minutes` and checks out.
    pub async fn attend(&self, activity: &Activity, volunteers: &[impl AsRef<str>], minutes: u64) {
        self.activity_begins(activity);
        for volunteer in volunteers {
            self.check_in(activity, volunteer.as_ref()).await;
        }
        self.minutes_pass(minutes);
        for volunteer in volunteers {
            self.check_out(activity, volunteer.as_ref()).await;
        }
    }

    /// `verifier` verifies one `participation` (its id, as the attendance sheet gives it);
    /// returns the answer.
    pub async fn verify_attendance(&self, participation: &Value, verifier: &str) -> Value {
        self.ok(
            VERIFY_ATTENDANCE,
            json!({ "id": participation }),
            Some(verifier),
        )
        .await
    }

    /// `verifier` verifies every checked-out participation of `activity`; returns the answer.
    pub async fn verify_all(&self, activity: &Activity, verifier: &str) -> Value {
        self.ok(
            VERIFY_ACTIVITY_ATTENDANCE,
            json!({ "id": activity.id }),
            Some(verifier),
        )
        .await
    }
}

impl NewActivity<'_> {
    pub fn seats(mut self, seats: i64) -> Self {
        self.seats = seats;
        self
    }

    pub fn points_per_hour(mut self, points: i64) -> Self {
        self.points_per_hour = points;
        self
    }

    pub fn points_cap(mut self, points: i64) -> Self {
        self.points_cap = points;
        self
    }

    pub fn starting_in_hours(mut self, hours: i64) -> Self {
        self.starts_in = TimeDelta::hours(hours);
        self
    }

    /// The organiser only drafts the activity: the whole response (`data` and top-level
    /// `errors`), for drafts that may be refused outright.
    pub async fn draft(self) -> Value {
        let (input, _) = self.input();
        let (_, body) = self
            .app
            .post(
                CREATE_ACTIVITY,
                json!({ "input": input }),
                Some(&self.organiser),
            )
            .await;
        body
    }

    /// The input of `createActivity`, starting from now on the app's clock; and the start.
    fn input(&self) -> (Value, DateTime<Utc>) {
        let starts_at = self.app.services.clock.now().and_utc() + self.starts_in;
        let mut input = self.fields.clone();
        input[self.host.0] = json!(self.host.1);
        input["startsAt"] = json!(starts_at.to_rfc3339());
        input["endsAt"] = json!((starts_at + self.lasting).to_rfc3339());
        input["capacity"] = json!(self.seats);
        input["pointsPerHour"] = json!(self.points_per_hour);
        input["pointsCap"] = json!(self.points_cap);
        (input, starts_at)
    }

    async fn publish(self) -> Activity {
        let app = self.app;
        let (input, starts_at) = self.input();
        let created = app
            .ok(
                CREATE_ACTIVITY,
                json!({ "input": input }),
                Some(&self.organiser),
            )
            .await;
        let id = text_at(accepted(&created, "createActivity"), "/activity/id");
        let published = app
            .ok(PUBLISH_ACTIVITY, json!({ "id": id }), Some(&self.organiser))
            .await;
        let activity = &accepted(&published, "publishActivity")["activity"];
        assert_eq!(activity["status"], "PUBLISHED");
        Activity {
            id,
            organiser: self.organiser,
            starts_at,
        }
    }
}

impl<'a> IntoFuture for NewActivity<'a> {
    type Output = Activity;
    type IntoFuture = Pin<Box<dyn Future<Output = Activity> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.publish())
    }
}
