//! Volunteer activities: browsing, sign-up and waitlist, check-in/out, verification.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::types::{ActivityId, IdempotencyKey, ParticipationId, UserId};
use linli_domain::volunteering::{self as domain, ActivityFilter, NewActivity};

use super::catalogue::Category;
use super::directory::{Community, Organisation};
use super::identity::User;
use super::incubation::Group;
use super::relay::{Kind, NodeValue, connection, page_request, payload};
use super::{Context, Points, int, mirror_enum};

mirror_enum!(
    /// Where an activity is: draft → published → completed, or published → cancelled.
    ActivityStatus = linli_domain::volunteering::ActivityStatus {
        /// Being prepared by its organisers; residents cannot sign up yet.
        Draft,
        /// Listed and open for sign-up.
        Published,
        /// Held; attendance can still be verified.
        Completed,
        /// Called off: every seat and waitlist place was released, and nothing is verified or paid.
        Cancelled,
    }
);

mirror_enum!(
    /// A resident's place in an activity.
    ParticipationStatus = linli_domain::volunteering::ParticipationStatus {
        /// Has a seat.
        Registered,
        /// In line for a seat; `waitlistPosition` says where.
        Waitlisted,
        /// Cancelled by the resident, or released when the activity was cancelled.
        Cancelled,
    }
);

#[derive(Debug, Clone)]
pub struct Activity(pub domain::Activity);

/// A co-creation activity (共创活动) residents volunteer in, paying points per verified hour.
#[graphql_object(context = Context, impl = NodeValue)]
impl Activity {
    /// Opaque global id.
    fn id(&self) -> ID {
        Activity::global_id(self.0.id.as_str())
    }

    /// The activity's name.
    fn title(&self) -> &str {
        &self.0.title
    }

    /// What happens and what volunteers do.
    fn description(&self) -> &str {
        &self.0.description
    }

    /// Where it takes place.
    fn place(&self) -> &str {
        &self.0.place
    }

    /// When it starts.
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at.and_utc()
    }

    /// When it ends (at most 24 hours after the start).
    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at.and_utc()
    }

    /// Seats in total; further sign-ups join the waitlist.
    fn capacity(&self) -> i32 {
        self.0.capacity
    }

    /// Seats not yet taken.
    fn seats_left(&self) -> i32 {
        self.0.capacity - self.0.seats_taken
    }

    /// Points per verified hour.
    fn points_per_hour(&self) -> Points {
        Points(self.0.points_per_hour)
    }

    /// For a group-run activity: whether staff approved a rate above the district's rule.
    fn rate_approved(&self) -> bool {
        self.0.rate_approved_by.is_some()
    }

    /// The most points one participation earns.
    fn points_cap(&self) -> Points {
        Points(self.0.points_cap)
    }

    /// Where it is in its lifecycle.
    fn status(&self) -> ActivityStatus {
        self.0.status.into()
    }

    /// The organising organisation (for a group-run activity, the group's mentor organisation).
    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        super::directory::organisation_by_id(ctx, self.0.organisation_id.clone()).await
    }

    /// The activity's category.
    async fn category(&self, ctx: &Context) -> FieldResult<Option<Category>> {
        let id = self.0.category_id.clone();
        let all = ctx.answer(ctx.run(|s, _| s.catalogue().categories()).await)?;
        Ok(all.into_iter().find(|c| c.id == id).map(Category::leaf))
    }

    /// The community it is held for; null when it names none.
    async fn community(&self, ctx: &Context) -> FieldResult<Option<Community>> {
        super::directory::community_of(ctx, self.0.community_id.clone()).await
    }

    /// The signed-in resident's own sign-up, if any.
    async fn my_participation(&self, ctx: &Context) -> FieldResult<Option<Participation>> {
        super::loaders::load(ctx, &ctx.loaders.my_participations, self.0.id.clone())
            .await
            .map(|p| p.map(Participation))
    }

    /// Organisers: everyone signed up, in arrival order, with attendance and verification.
    async fn attendance_sheet(
        &self,
        ctx: &Context,
        #[graphql(
            description = "Return at most this many items from the start (0–100, default 20)."
        )]
        first: Option<i32>,
        #[graphql(
            description = "Start after this cursor (from `pageInfo.endCursor` or an edge's `cursor`)."
        )]
        after: Option<String>,
        #[graphql(description = "Return at most this many items from the end (0–100).")]
        last: Option<i32>,
        #[graphql(description = "End before this cursor (from `pageInfo.startCursor`).")]
        before: Option<String>,
    ) -> FieldResult<ParticipationConnection> {
        let page = ctx.answer(page_request(first, after, last, before))?;
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.volunteering().sheet(actor, &id, &page))
            .await;
        ctx.answer(result)
            .map(|p| ParticipationConnection::from_page(p, Participation))
    }

    /// Organisers: the check-in code to show on screen; it changes every minute.
    async fn check_in_code(&self, ctx: &Context) -> FieldResult<CheckInCode> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.volunteering().check_in_code(actor, &id))
            .await;
        ctx.answer(result).map(|c| CheckInCode {
            qr_svg: linli_domain::qr::svg(linli_domain::qr::CHECK_IN, &c.code),
            code: c.code,
            changes_at: c.changes_at.and_utc(),
        })
    }
}

connection!(
    /// A page of volunteer activities, soonest first.
    ActivityConnection,
    /// An activity in a page, with its cursor.
    ActivityEdge,
    Activity,
    |a| format!(
        "{}|{}",
        a.0.starts_at.format("%Y-%m-%dT%H:%M:%S%.6f"),
        a.0.id
    )
);

/// The code residents type to check in or out, as the organiser's screen shows it.
#[derive(Debug, GraphQLObject)]
pub struct CheckInCode {
    /// Six digits; the previous minute's code is still accepted.
    pub code: String,
    /// The code as a QR image (SVG) of `linli:checkin:CODE`, for residents to scan; `checkIn`
    /// and `checkOut` take the scanned text as it is.
    pub qr_svg: Option<String>,
    /// When the next minute's code replaces it.
    pub changes_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Participation(pub domain::Participation);

/// A resident's sign-up for an activity, with their attendance and its verification.
#[graphql_object(context = Context, impl = NodeValue)]
impl Participation {
    /// Opaque global id.
    fn id(&self) -> ID {
        Participation::global_id(self.0.id.as_str())
    }

    /// The activity signed up for.
    fn activity_id(&self) -> ID {
        Activity::global_id(self.0.activity_id.as_str())
    }

    /// The resident.
    fn user_id(&self) -> ID {
        User::global_id(self.0.user_id.as_str())
    }

    /// The resident's display name.
    fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Whether the resident has a seat, waits for one, or cancelled.
    fn status(&self) -> ParticipationStatus {
        self.0.status.into()
    }

    /// 1 for the next to get a seat; only while waitlisted.
    fn waitlist_position(&self) -> Option<i32> {
        self.0.waitlist_position.map(int)
    }

    /// Recorded by hand by an organiser: service hours, no points.
    fn manual(&self) -> bool {
        self.0.manual
    }

    /// When the resident checked in (or arrived, when recorded by hand); null before.
    fn checked_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_in_at.map(|t| t.and_utc())
    }

    /// When the resident checked out (or left, when recorded by hand); null before.
    fn checked_out_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_out_at.map(|t| t.and_utc())
    }

    /// When another organiser verified the attendance; null until then.
    fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at.map(|t| t.and_utc())
    }

    /// Minutes of service verified, within the activity's window; null until verified.
    fn verified_minutes(&self) -> Option<i32> {
        self.0.verified_minutes
    }

    /// Points paid for it, within the activity's cap and the daily cap; null until verified.
    fn points_awarded(&self) -> Option<Points> {
        self.0.points_awarded.map(Points)
    }

    /// When staff took its hours back (its points reversed, or `revokeServiceHours`): they no
    /// longer count as service. Null while they count.
    fn hours_revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.hours_revoked_at.map(|t| t.and_utc())
    }

    /// The organiser who recorded this attendance by hand (they may not verify it).
    fn recorded_by_id(&self) -> Option<ID> {
        self.0
            .recorded_by
            .as_ref()
            .map(|id| User::global_id(id.as_str()))
    }

    /// Wrong check-in codes presented for this sign-up, for the organiser to see.
    fn refused_codes(&self) -> i32 {
        self.0.refused_codes
    }

    /// When too many wrong codes locked this sign-up's check-in; the organiser records the
    /// attendance by hand instead.
    fn check_in_locked_at(&self) -> Option<DateTime<Utc>> {
        self.0.code_locked_at.map(|t| t.and_utc())
    }
}

connection!(
    /// A page of an activity's attendance sheet, in arrival order.
    ParticipationConnection,
    /// A participation in a page, with its cursor.
    ParticipationEdge,
    Participation,
    |p| p.0.id.to_string()
);

/// Verified service, kept forever apart from points.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ServiceRecord {
    /// Verified minutes of service, all time.
    pub total_minutes: i32,
    /// The same in hours, to one decimal.
    pub total_hours: f64,
    /// Activities with verified attendance.
    pub activities: i32,
    /// Verified minutes per activity category.
    pub by_category: Vec<CategoryMinutes>,
    /// Verified minutes per organisation that ran the activities, most first (the 50 served
    /// longest).
    pub by_organisation: Vec<OrganisationMinutes>,
}

#[derive(Debug)]
pub struct OrganisationMinutes {
    organisation: linli_domain::types::OrganisationId,
    minutes: i64,
}

/// Verified service minutes with one organisation.
#[graphql_object(context = Context)]
impl OrganisationMinutes {
    /// The organisation that ran the activities.
    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        super::directory::organisation_by_id(ctx, self.organisation.clone()).await
    }

    /// Verified minutes in its activities.
    fn minutes(&self) -> i32 {
        int(self.minutes)
    }

    /// The same in hours, to one decimal.
    fn hours(&self) -> f64 {
        linli_domain::volunteering::model::hours(self.minutes)
    }
}

/// Verified service minutes in one category.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct CategoryMinutes {
    /// The category.
    pub category: Category,
    /// Verified minutes in activities of that category.
    pub minutes: i32,
}

pub async fn service_record(ctx: &Context, user: UserId) -> FieldResult<ServiceRecord> {
    let result = ctx
        .run(move |s, actor| s.volunteering().service_record(actor, &user))
        .await;
    let r = ctx.answer(result)?;
    let taxonomy = ctx.answer(ctx.run(|s, _| s.catalogue().categories()).await)?;
    let category = |slug: &str| {
        taxonomy
            .iter()
            .find(|c| c.id == slug)
            .cloned()
            .map(Category::leaf)
            .ok_or_else(|| ctx.top_level(DomainError::internal(format!("unknown category {slug}"))))
    };
    Ok(ServiceRecord {
        total_minutes: int(r.total_minutes),
        total_hours: linli_domain::volunteering::model::hours(r.total_minutes),
        activities: int(r.activities),
        by_category: r
            .by_category
            .into_iter()
            .map(|(slug, minutes)| {
                Ok(CategoryMinutes {
                    category: category(&slug)?,
                    minutes: int(minutes),
                })
            })
            .collect::<FieldResult<_>>()?,
        by_organisation: r
            .by_organisation
            .into_iter()
            .map(|(organisation, minutes)| OrganisationMinutes {
                organisation,
                minutes,
            })
            .collect(),
    })
}

/// Which activities to list; every condition given must hold.
#[derive(Debug, Default, GraphQLInputObject)]
pub struct ActivityFilterInput {
    /// Only activities held for this community.
    pub community_id: Option<ID>,
    /// Only activities in this category (its id or slug).
    pub category_id: Option<ID>,
    /// Only activities of this organisation.
    pub organisation_id: Option<ID>,
    /// Starting at or after (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub until: Option<DateTime<Utc>>,
}

pub async fn activities(
    ctx: &Context,
    filter: Option<ActivityFilterInput>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> FieldResult<ActivityConnection> {
    let page = ctx.answer(page_request(first, after, last, before))?;
    let f = filter.unwrap_or_default();
    let decoded: Result<ActivityFilter, DomainError> = (|| {
        Ok(ActivityFilter {
            community_id: Community::decode_optional(f.community_id.as_ref(), "communityId")?,
            category_id: f.category_id.as_ref().map(super::catalogue::category_slug),
            organisation_id: Organisation::decode_optional(
                f.organisation_id.as_ref(),
                "organisationId",
            )?,
            from: f.from.map(|t| t.naive_utc()),
            until: f.until.map(|t| t.naive_utc()),
        })
    })();
    let filter = ctx.answer(decoded)?;
    let result = ctx
        .run(move |s, _| s.volunteering().upcoming(&filter, &page))
        .await;
    ctx.answer(result)
        .map(|p| ActivityConnection::from_page(p, Activity))
}

pub async fn participation(ctx: &Context, id: ParticipationId) -> FieldResult<Participation> {
    let result = ctx
        .run(move |s, actor| s.volunteering().participation(actor, &id))
        .await;
    ctx.answer(result).map(Participation)
}

pub async fn activity(ctx: &Context, id: ActivityId) -> FieldResult<Activity> {
    let result = ctx
        .run(move |s, actor| s.volunteering().activity(actor, &id))
        .await;
    ctx.answer(result).map(Activity)
}

/// An activity to draft, for an organisation or a group.
#[derive(Debug, GraphQLInputObject)]
pub struct CreateActivityInput {
    /// The organising organisation (ignored when `groupId` is given).
    pub organisation_id: Option<ID>,
    /// A growing or graduated self-governance group running the activity itself.
    pub group_id: Option<ID>,
    /// The activity's category (its id or slug).
    pub category_id: ID,
    /// The community it is held for, if any.
    pub community_id: Option<ID>,
    /// The activity's name.
    pub title: String,
    /// What happens and what volunteers do.
    pub description: String,
    /// Where it takes place.
    pub place: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends, at most 24 hours after the start.
    pub ends_at: DateTime<Utc>,
    /// Seats; sign-ups beyond them join the waitlist.
    pub capacity: i32,
    /// Points per verified hour (a group-run activity above the district's rule needs staff
    /// approval).
    pub points_per_hour: Points,
    /// The most points one participation earns.
    pub points_cap: Points,
    /// Optional: the same key sent again returns the object the first request made, instead
    /// of making a second one (8–100 letters, digits or `- _ . :`).
    pub idempotency_key: Option<String>,
}

payload!(
    /// What a mutation on an activity returns.
    ActivityPayload {
        /// The activity after the change; null when the request was refused.
        activity: Option<Activity>,
    }
    from domain::Activity => Activity
);

pub async fn create_activity(
    ctx: &Context,
    input: CreateActivityInput,
) -> FieldResult<ActivityPayload> {
    let decoded = (|| {
        let group_id = Group::decode_optional(input.group_id.as_ref(), "groupId")?;
        let new = NewActivity {
            organisation_id: Organisation::decode_optional(
                input.organisation_id.as_ref(),
                "organisationId",
            )?,
            group_id,
            category_id: super::catalogue::category_slug(&input.category_id),
            community_id: Community::decode_optional(input.community_id.as_ref(), "communityId")?,
            title: input.title.clone(),
            description: input.description.clone(),
            place: input.place.clone(),
            starts_at: input.starts_at.naive_utc(),
            ends_at: input.ends_at.naive_utc(),
            capacity: input.capacity,
            points_per_hour: input.points_per_hour.0,
            points_cap: input.points_cap.0,
        };
        let key = input.idempotency_key.as_deref().map(IdempotencyKey::parse);
        Ok((new, key.transpose()?))
    })();
    ctx.mutate(decoded, |s, actor, (new, key)| {
        s.volunteering().create_activity(actor, new, key.as_ref())
    })
    .await
}

/// Names an activity.
#[derive(Debug, GraphQLInputObject)]
pub struct ActivityIdInput {
    /// The activity's id.
    pub activity_id: ID,
}

fn activity_id(id: &ID) -> Result<ActivityId, DomainError> {
    Activity::decode(id, "activityId")
}

pub async fn approve_rate(ctx: &Context, input: ActivityIdInput) -> FieldResult<ActivityPayload> {
    ctx.mutate(activity_id(&input.activity_id), |s, actor, id| {
        s.volunteering().approve_rate(actor, &id)
    })
    .await
}

pub async fn change_status(
    ctx: &Context,
    input: ActivityIdInput,
    to: ActivityStatus,
) -> FieldResult<ActivityPayload> {
    ctx.mutate(activity_id(&input.activity_id), move |s, actor, id| {
        s.volunteering().change_status(actor, &id, to.into())
    })
    .await
}

payload!(
    /// What a sign-up, check-in, check-out or hand-recorded attendance returns.
    ParticipationPayload {
        /// The participation after the step; null when the request was refused.
        participation: Option<Participation>,
    }
    from domain::Participation => Participation
);

/// What a resident does with an activity.
#[derive(Clone, Copy)]
pub enum ResidentStep {
    SignUp,
    Cancel,
}

pub async fn resident_step(
    ctx: &Context,
    input: ActivityIdInput,
    step: ResidentStep,
) -> FieldResult<ParticipationPayload> {
    ctx.mutate(
        activity_id(&input.activity_id),
        move |s, actor, id| match step {
            ResidentStep::SignUp => s.volunteering().sign_up(actor, &id),
            ResidentStep::Cancel => s.volunteering().cancel_sign_up(actor, &id),
        },
    )
    .await
}

/// A check-in or check-out code for an activity.
#[derive(Debug, GraphQLInputObject)]
pub struct CheckInput {
    /// The activity you signed up for.
    pub activity_id: ID,
    /// The six digits on the organiser's screen.
    pub code: String,
}

pub async fn check(
    ctx: &Context,
    input: CheckInput,
    out: bool,
) -> FieldResult<ParticipationPayload> {
    ctx.mutate(activity_id(&input.activity_id), move |s, actor, id| {
        s.volunteering().check(actor, &id, &input.code, out)
    })
    .await
}

/// Attendance an organiser records by hand, e.g. for a resident without a phone.
#[derive(Debug, GraphQLInputObject)]
pub struct RecordAttendanceInput {
    /// The activity attended.
    pub activity_id: ID,
    /// The resident's email address or mobile number.
    pub resident: String,
    /// When the resident arrived.
    pub from: DateTime<Utc>,
    /// When the resident left (after `from`).
    pub until: DateTime<Utc>,
    /// Hand-recorded hours never earn points; asking for them is refused.
    pub request_points: Option<bool>,
}

pub async fn record_attendance(
    ctx: &Context,
    input: RecordAttendanceInput,
) -> FieldResult<ParticipationPayload> {
    ctx.mutate(activity_id(&input.activity_id), move |s, actor, id| {
        s.volunteering().record_attendance(
            actor,
            &id,
            &input.resident,
            input.from.naive_utc(),
            input.until.naive_utc(),
            input.request_points.unwrap_or(false),
        )
    })
    .await
}

/// One participation the request verified.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct VerifiedAttendance {
    /// The participation, now verified.
    pub participation: Participation,
    /// Minutes of service verified.
    pub minutes: i32,
    /// Points paid (none for hand-recorded attendance, and never beyond the caps).
    pub points: Points,
}

impl From<domain::Verification> for VerifiedAttendance {
    fn from(v: domain::Verification) -> Self {
        Self {
            participation: Participation(v.participation),
            minutes: int(v.minutes),
            points: Points(v.points),
        }
    }
}

payload!(
    /// What verifying attendance returns.
    VerifyAttendancePayload {
        /// What was verified now (empty when nothing was).
        verified: Vec<VerifiedAttendance>,
    }
    from Vec<domain::Verification> => with |_, verified| {
        Ok((verified.into_iter().flatten().map(Into::into).collect(),))
    }
);

/// A participation to verify.
#[derive(Debug, GraphQLInputObject)]
pub struct VerifyAttendanceInput {
    /// The participation, from the activity's attendance sheet.
    pub participation_id: ID,
}

/// Hours to take back, and why.
#[derive(Debug, GraphQLInputObject)]
pub struct RevokeServiceHoursInput {
    /// A verified participation that paid no points.
    pub participation_id: ID,
    /// Why, 2–500 characters (kept in the audit log; the certificate says only that service
    /// was reversed).
    pub reason: String,
}

pub async fn revoke_hours(
    ctx: &Context,
    input: RevokeServiceHoursInput,
) -> FieldResult<ParticipationPayload> {
    let id = Participation::decode(&input.participation_id, "participationId");
    ctx.mutate(id, move |s, actor, id| {
        s.volunteering().revoke_hours(actor, &id, &input.reason)
    })
    .await
}

pub async fn verify(
    ctx: &Context,
    input: VerifyAttendanceInput,
) -> FieldResult<VerifyAttendancePayload> {
    let id = Participation::decode(&input.participation_id, "participationId");
    ctx.mutate(id, |s, actor, id| {
        s.volunteering().verify(actor, &id).map(|v| vec![v])
    })
    .await
}

pub async fn verify_all(
    ctx: &Context,
    input: ActivityIdInput,
) -> FieldResult<VerifyAttendancePayload> {
    ctx.mutate(activity_id(&input.activity_id), |s, actor, id| {
        s.volunteering().verify_all(actor, &id)
    })
    .await
}
