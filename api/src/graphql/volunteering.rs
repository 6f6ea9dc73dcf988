//! Volunteer activities: browsing, sign-up and waitlist, check-in/out, verification.

use chrono::{DateTime, Utc};
use juniper::{FieldResult, GraphQLInputObject, GraphQLObject, ID, graphql_object};
use linli_domain::DomainError;
use linli_domain::types::{ActivityId, CommunityId, OrganisationId, ParticipationId, UserId};
use linli_domain::volunteering::{self as domain, ActivityFilter, NewActivity};

use super::catalogue::Category;
use super::directory::{Community, Organisation};
use super::relay::{GlobalId, NodeValue, connection, page_request};
use super::{Context, Points, UserError, int, mirror_enum};

mirror_enum!(
    /// draft → published → completed, or published → cancelled.
    ActivityStatus = linli_domain::volunteering::ActivityStatus {
        Draft,
        Published,
        Completed,
        Cancelled,
    }
);

mirror_enum!(
    ParticipationStatus = linli_domain::volunteering::ParticipationStatus {
        Registered,
        Waitlisted,
        Cancelled,
    }
);

#[derive(Debug, Clone)]
pub struct Activity(pub domain::Activity);

#[graphql_object(context = Context, impl = NodeValue)]
impl Activity {
    fn id(&self) -> ID {
        GlobalId::encode("Activity", self.0.id.as_str())
    }

    fn title(&self) -> &str {
        &self.0.title
    }

    fn description(&self) -> &str {
        &self.0.description
    }

    fn place(&self) -> &str {
        &self.0.place
    }

    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at.and_utc()
    }

    fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at.and_utc()
    }

    fn capacity(&self) -> i32 {
        self.0.capacity
    }

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

    fn status(&self) -> ActivityStatus {
        self.0.status.into()
    }

    async fn organisation(&self, ctx: &Context) -> FieldResult<Organisation> {
        let id = self.0.organisation_id.clone();
        super::loaders::load_one(ctx, &ctx.loaders.organisations, id, "组织")
            .await
            .map(Organisation)
    }

    async fn category(&self, ctx: &Context) -> FieldResult<Option<Category>> {
        let id = self.0.category_id.clone();
        let all = ctx.answer(ctx.run(|s, _| s.catalogue().categories()).await)?;
        Ok(all.into_iter().find(|c| c.id == id).map(Category::leaf))
    }

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
    async fn attendance_sheet(&self, ctx: &Context) -> FieldResult<Vec<Participation>> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.volunteering().sheet(actor, &id))
            .await;
        ctx.answer(result)
            .map(|list| list.into_iter().map(Participation).collect())
    }

    /// Organisers: the check-in code to show on screen; it changes every minute.
    async fn check_in_code(&self, ctx: &Context) -> FieldResult<CheckInCode> {
        let id = self.0.id.clone();
        let result = ctx
            .run(move |s, actor| s.volunteering().check_in_code(actor, &id))
            .await;
        ctx.answer(result).map(|c| CheckInCode {
            code: c.code,
            changes_at: c.changes_at.and_utc(),
        })
    }
}

connection!(ActivityConnection, ActivityEdge, Activity, |a| format!(
    "{}|{}",
    a.0.starts_at.format("%Y-%m-%dT%H:%M:%S%.6f"),
    a.0.id
));

#[derive(Debug, GraphQLObject)]
pub struct CheckInCode {
    pub code: String,
    pub changes_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Participation(pub domain::Participation);

#[graphql_object(context = Context)]
impl Participation {
    fn id(&self) -> ID {
        GlobalId::encode("Participation", self.0.id.as_str())
    }

    fn activity_id(&self) -> ID {
        GlobalId::encode("Activity", self.0.activity_id.as_str())
    }

    fn user_id(&self) -> ID {
        GlobalId::encode("User", self.0.user_id.as_str())
    }

    fn display_name(&self) -> &str {
        &self.0.display_name
    }

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

    fn checked_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_in_at.map(|t| t.and_utc())
    }

    fn checked_out_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_out_at.map(|t| t.and_utc())
    }

    fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at.map(|t| t.and_utc())
    }

    fn verified_minutes(&self) -> Option<i32> {
        self.0.verified_minutes
    }

    fn points_awarded(&self) -> Option<Points> {
        self.0.points_awarded.map(Points)
    }

    /// The organiser who recorded this attendance by hand (they may not verify it).
    fn recorded_by_id(&self) -> Option<ID> {
        self.0
            .recorded_by
            .as_ref()
            .map(|id| GlobalId::encode("User", id.as_str()))
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

/// Verified service, kept forever apart from points.
#[derive(Debug, GraphQLObject)]
pub struct ServiceRecord {
    pub total_minutes: i32,
    pub total_hours: f64,
    /// Activities with verified attendance.
    pub activities: i32,
    pub by_category: Vec<CategoryMinutes>,
}

#[derive(Debug, GraphQLObject)]
pub struct CategoryMinutes {
    pub category_id: ID,
    pub minutes: i32,
}

pub async fn service_record(ctx: &Context, user: UserId) -> FieldResult<ServiceRecord> {
    let result = ctx
        .run(move |s, actor| s.volunteering().service_record(actor, &user))
        .await;
    let r = ctx.answer(result)?;
    Ok(ServiceRecord {
        total_minutes: int(r.total_minutes),
        total_hours: (r.total_minutes as f64 / 60.0 * 100.0).round() / 100.0,
        activities: int(r.activities),
        by_category: r
            .by_category
            .into_iter()
            .map(|(category, minutes)| CategoryMinutes {
                category_id: ID::new(category),
                minutes: int(minutes),
            })
            .collect(),
    })
}

#[derive(Debug, Default, GraphQLInputObject)]
pub struct ActivityFilterInput {
    pub community_id: Option<ID>,
    pub category_id: Option<ID>,
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
) -> FieldResult<ActivityConnection> {
    let page = ctx.answer(page_request(first, after))?;
    let f = filter.unwrap_or_default();
    let decoded: Result<ActivityFilter, DomainError> = (|| {
        Ok(ActivityFilter {
            community_id: f
                .community_id
                .map(|id| GlobalId::expect(&id, "Community", "communityId", CommunityId::parse))
                .transpose()?,
            category_id: f.category_id.map(|id| id.to_string()),
            organisation_id: f
                .organisation_id
                .map(|id| {
                    GlobalId::expect(&id, "Organisation", "organisationId", OrganisationId::parse)
                })
                .transpose()?,
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

pub async fn activity(ctx: &Context, id: ActivityId) -> FieldResult<Activity> {
    let result = ctx
        .run(move |s, actor| s.volunteering().activity(actor, &id))
        .await;
    ctx.answer(result).map(Activity)
}

#[derive(Debug, GraphQLInputObject)]
pub struct CreateActivityInput {
    /// The organising organisation (ignored when `groupId` is given).
    pub organisation_id: Option<ID>,
    /// A growing or graduated self-governance group running the activity itself.
    pub group_id: Option<ID>,
    pub category_id: ID,
    pub community_id: Option<ID>,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub points_per_hour: Points,
    pub points_cap: Points,
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ActivityPayload {
    pub activity: Option<Activity>,
    pub errors: Vec<UserError>,
}

impl ActivityPayload {
    fn from(ctx: &Context, result: Result<domain::Activity, DomainError>) -> FieldResult<Self> {
        let (activity, errors) = ctx.payload(result)?;
        Ok(Self {
            activity: activity.map(Activity),
            errors,
        })
    }
}

pub async fn create_activity(
    ctx: &Context,
    input: CreateActivityInput,
) -> FieldResult<ActivityPayload> {
    let decoded = (|| {
        let group_id = input
            .group_id
            .as_ref()
            .map(|id| GlobalId::expect(id, "Group", "groupId", linli_domain::types::GroupId::parse))
            .transpose()?;
        let organisation_id = match (&input.organisation_id, &group_id) {
            (Some(id), _) => {
                GlobalId::expect(id, "Organisation", "organisationId", OrganisationId::parse)?
            }
            // Replaced by the group's mentor organisation in the service.
            (None, Some(_)) => OrganisationId::generate(),
            (None, None) => {
                return Err(DomainError::invalid(
                    "organisationId",
                    "请选择组织或自治组织",
                ));
            }
        };
        Ok(NewActivity {
            organisation_id,
            group_id,
            category_id: input.category_id.to_string(),
            community_id: input
                .community_id
                .as_ref()
                .map(|id| {
                    GlobalId::expect(id, "Community", "communityId", |raw| Some(raw.to_owned()))
                })
                .transpose()?,
            title: input.title.clone(),
            description: input.description.clone(),
            place: input.place.clone(),
            starts_at: input.starts_at.naive_utc(),
            ends_at: input.ends_at.naive_utc(),
            capacity: input.capacity,
            points_per_hour: input.points_per_hour.0,
            points_cap: input.points_cap.0,
        })
    })();
    let new = match decoded {
        Ok(new) => new,
        Err(e) => return ActivityPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.volunteering().create_activity(actor, new))
        .await;
    ActivityPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct ActivityIdInput {
    pub activity_id: ID,
}

fn activity_id(id: &ID) -> Result<ActivityId, DomainError> {
    GlobalId::expect(id, "Activity", "activityId", ActivityId::parse)
}

pub async fn approve_rate(ctx: &Context, input: ActivityIdInput) -> FieldResult<ActivityPayload> {
    let id = match activity_id(&input.activity_id) {
        Ok(id) => id,
        Err(e) => return ActivityPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.volunteering().approve_rate(actor, &id))
        .await;
    ActivityPayload::from(ctx, result)
}

pub async fn change_status(
    ctx: &Context,
    input: ActivityIdInput,
    to: ActivityStatus,
) -> FieldResult<ActivityPayload> {
    let id = match activity_id(&input.activity_id) {
        Ok(id) => id,
        Err(e) => return ActivityPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.volunteering().change_status(actor, &id, to.into()))
        .await;
    ActivityPayload::from(ctx, result)
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ParticipationPayload {
    pub participation: Option<Participation>,
    pub errors: Vec<UserError>,
}

impl ParticipationPayload {
    fn from(
        ctx: &Context,
        result: Result<domain::Participation, DomainError>,
    ) -> FieldResult<Self> {
        let (participation, errors) = ctx.payload(result)?;
        Ok(Self {
            participation: participation.map(Participation),
            errors,
        })
    }
}

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
    let id = match activity_id(&input.activity_id) {
        Ok(id) => id,
        Err(e) => return ParticipationPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| match step {
            ResidentStep::SignUp => s.volunteering().sign_up(actor, &id),
            ResidentStep::Cancel => s.volunteering().cancel_sign_up(actor, &id),
        })
        .await;
    ParticipationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct CheckInput {
    pub activity_id: ID,
    /// The six digits on the organiser's screen.
    pub code: String,
}

pub async fn check(
    ctx: &Context,
    input: CheckInput,
    out: bool,
) -> FieldResult<ParticipationPayload> {
    let id = match activity_id(&input.activity_id) {
        Ok(id) => id,
        Err(e) => return ParticipationPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| s.volunteering().check(actor, &id, &input.code, out))
        .await;
    ParticipationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLInputObject)]
pub struct RecordAttendanceInput {
    pub activity_id: ID,
    /// The resident's email address or mobile number.
    pub resident: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Hand-recorded hours never earn points; asking for them is refused.
    pub request_points: Option<bool>,
}

pub async fn record_attendance(
    ctx: &Context,
    input: RecordAttendanceInput,
) -> FieldResult<ParticipationPayload> {
    let id = match activity_id(&input.activity_id) {
        Ok(id) => id,
        Err(e) => return ParticipationPayload::from(ctx, Err(e)),
    };
    let result = ctx
        .run(move |s, actor| {
            s.volunteering().record_attendance(
                actor,
                &id,
                &input.resident,
                input.from.naive_utc(),
                input.until.naive_utc(),
                input.request_points.unwrap_or(false),
            )
        })
        .await;
    ParticipationPayload::from(ctx, result)
}

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct VerifiedAttendance {
    pub participation: Participation,
    pub minutes: i32,
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

#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct VerifyAttendancePayload {
    /// What was verified now (empty when nothing was).
    pub verified: Vec<VerifiedAttendance>,
    pub errors: Vec<UserError>,
}

#[derive(Debug, GraphQLInputObject)]
pub struct VerifyAttendanceInput {
    pub participation_id: ID,
}

pub async fn verify(
    ctx: &Context,
    input: VerifyAttendanceInput,
) -> FieldResult<VerifyAttendancePayload> {
    let id = GlobalId::expect(
        &input.participation_id,
        "Participation",
        "participationId",
        ParticipationId::parse,
    );
    let result = match id {
        Ok(id) => {
            ctx.run(move |s, actor| s.volunteering().verify(actor, &id).map(|v| vec![v]))
                .await
        }
        Err(e) => Err(e),
    };
    let (verified, errors) = ctx.payload(result)?;
    Ok(VerifyAttendancePayload {
        verified: verified
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        errors,
    })
}

pub async fn verify_all(
    ctx: &Context,
    input: ActivityIdInput,
) -> FieldResult<VerifyAttendancePayload> {
    let result = match activity_id(&input.activity_id) {
        Ok(id) => {
            ctx.run(move |s, actor| s.volunteering().verify_all(actor, &id))
                .await
        }
        Err(e) => Err(e),
    };
    let (verified, errors) = ctx.payload(result)?;
    Ok(VerifyAttendancePayload {
        verified: verified
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        errors,
    })
}
