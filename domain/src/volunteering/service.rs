//! Volunteering use cases.

use chrono::NaiveDateTime;

use super::code;
use super::model::{
    Activity, ActivityFilter, ActivityStatus, BULK_VERIFICATIONS, CheckInCode, MINIMUM_MINUTES,
    NewActivity, Participation, ParticipationStatus, ServiceRecord, Verification, china_day,
};
use super::store::{self, NewParticipation};
use crate::Services;
use crate::audit;
use crate::creation::{Keyed, Subject, create_once};
use crate::db::DbConnection;
use crate::directory::{self, OrganisationStatus};
use crate::error::{DomainError, DomainResult, Problems};
use crate::identity::{self, Actor};
use crate::incubation;
use crate::ledger;
use crate::page::{Page, PageRequest};
use crate::throttle;
use crate::types::{
    ActivityId, IdempotencyKey, OrganisationId, ParticipationId, Points, UserId, china_time, text,
};

pub struct Volunteering<'a> {
    services: &'a Services,
}

impl<'a> Volunteering<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// A member of a verified organisation drafts an activity; with a `key`, once per key.
    #[tracing::instrument(skip_all, fields(organisation = ?input.organisation_id, group = ?input.group_id))]
    pub fn create_activity(
        &self,
        actor: &Actor,
        input: NewActivity,
        key: Option<&IdempotencyKey>,
    ) -> DomainResult<Activity> {
        let user = actor.user_id()?;
        let mut problems = Problems::default();
        if input.ends_at <= input.starts_at {
            problems.add(DomainError::invalid("endsAt", "结束时间须晚于开始时间"));
        } else if (input.ends_at - input.starts_at).num_hours() > 24 {
            problems.add(DomainError::invalid("endsAt", "单次活动不能超过 24 小时"));
        }
        if !(1..=10_000).contains(&input.capacity) {
            problems.add(DomainError::invalid("capacity", "名额须在 1 到 10000 之间"));
        }
        if !(0..=1_000).contains(&input.points_per_hour) {
            problems.add(DomainError::invalid(
                "pointsPerHour",
                "每小时积分须在 0 到 1000 之间",
            ));
        }
        if !(0..=10_000).contains(&input.points_cap) {
            problems.add(DomainError::invalid(
                "pointsCap",
                "单次积分上限须在 0 到 10000 之间",
            ));
        }
        if input.organisation_id.is_none() && input.group_id.is_none() {
            problems.add(DomainError::invalid(
                "organisationId",
                "请选择组织或自治组织",
            ));
        }
        let category_id = problems.check(text(&input.category_id, "categoryId", 1, 40));
        let title = problems.check(text(&input.title, "title", 2, 60));
        let description = problems.check(text(&input.description, "description", 0, 5000));
        let place = problems.check(text(&input.place, "place", 2, 100));
        problems.finish()?;
        let now = self.services.clock.now();
        let id = ActivityId::generate();
        let draft = |organisation_id| Activity {
            id: id.clone(),
            organisation_id,
            group_id: input.group_id.clone(),
            category_id: category_id.clone().unwrap_or_default(),
            community_id: input.community_id.clone(),
            title: title.clone().unwrap_or_default(),
            description: description.clone().unwrap_or_default(),
            place: place.clone().unwrap_or_default(),
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            capacity: input.capacity,
            seats_taken: 0,
            points_per_hour: input.points_per_hour,
            points_cap: input.points_cap,
            status: ActivityStatus::Draft,
            created_at: now,
            rate_approved_by: None,
        };
        let keyed = key.map(|key| Keyed {
            creator: user,
            key,
            request: format!("{input:?}"),
        });
        let find_id = |conn: &mut DbConnection, id: &str| match ActivityId::parse(id) {
            Some(id) => find(conn, &id),
            None => Err(DomainError::internal(
                "a creation names an activity id that is not one",
            )),
        };
        create_once(
            self.services,
            Subject::Activity,
            keyed,
            find_id,
            |conn, _| {
                // A group's activity is mentored by its mentor organisation, whichever is named.
                let organisation_id = match (&input.group_id, &input.organisation_id) {
                    (Some(group), _) => incubation::store::find(conn, group)?
                        .ok_or(DomainError::NotFound {
                            what: "自治组织"
                        })?
                        .mentor_organisation_id
                        .ok_or(DomainError::InvalidState("自治组织需要先有导师组织"))?,
                    (None, Some(organisation)) => organisation.clone(),
                    // Refused with the other problems of the input, above.
                    (None, None) => {
                        return Err(DomainError::internal("an activity without organiser"));
                    }
                };
                let activity = draft(organisation_id);
                require_may_run(conn, &activity, user)?;
                if !crate::catalogue::category_exists(conn, &activity.category_id)? {
                    return Err(DomainError::invalid("categoryId", "分类不存在"));
                }
                if let Some(community) = &activity.community_id {
                    directory::store::find_community(conn, community)?
                        .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
                }
                store::insert_activity(conn, &activity, &code::new_secret())?;
                Ok((activity.id.to_string(), activity))
            },
        )
    }

    /// Draft → published (open for sign-up), published → completed, published → cancelled
    /// (which frees every seat and the waitlist).
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn change_status(
        &self,
        actor: &Actor,
        id: &ActivityId,
        to: ActivityStatus,
    ) -> DomainResult<Activity> {
        let user = actor.user_id()?;
        let from = match to {
            ActivityStatus::Published => ActivityStatus::Draft,
            ActivityStatus::Completed | ActivityStatus::Cancelled => ActivityStatus::Published,
            ActivityStatus::Draft => return Err(DomainError::InvalidState("活动不能改回草稿")),
        };
        let now = self.services.clock.now();
        let group_rate_max = self.services.settings.group_points_per_hour_max;
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            if to == ActivityStatus::Published {
                require_may_run(conn, &activity, user)?;
                if activity.ends_at <= now {
                    return Err(DomainError::InvalidState("活动已结束，不能发布"));
                }
                require_rate_allowed(&activity, group_rate_max)?;
            } else if !actor.is_staff() {
                require_member(conn, &activity, user)?;
            }
            if !store::change_activity_status(conn, id, from, to)? {
                return Err(DomainError::not_moved(
                    &activity.status,
                    &[from],
                    "活动当前状态不允许此操作",
                ));
            }
            if to == ActivityStatus::Cancelled {
                store::free_all_seats(conn, id, now)?;
            }
            if to != ActivityStatus::Published {
                audit::record(
                    conn,
                    Some(user),
                    &format!("activity.{}", to.as_str().to_lowercase()),
                    "activity",
                    id.as_str(),
                    &activity.title,
                    now,
                )?;
            }
            find(conn, id)
        })
    }

    /// Staff approve a group-run activity's hourly rate above the district's rule, before it
    /// is published (the group's fund pays it, and the fund is residents' gifts).
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn approve_rate(&self, actor: &Actor, id: &ActivityId) -> DomainResult<Activity> {
        let staff = actor.require_staff()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            if activity.group_id.is_none() {
                return Err(DomainError::invalid(
                    "activityId",
                    "只有自治组织的活动需要批准积分标准",
                ));
            }
            if !store::approve_rate(conn, id, staff)? {
                return Err(DomainError::not_moved(
                    &activity.status,
                    &[ActivityStatus::Draft],
                    "只能在发布前批准积分标准",
                ));
            }
            audit::record(
                conn,
                Some(staff),
                "activity.approve_rate",
                "activity",
                id.as_str(),
                &format!("每小时 {} 分", activity.points_per_hour),
                now,
            )?;
            find(conn, id)
        })
    }

    pub fn activity(&self, actor: &Actor, id: &ActivityId) -> DomainResult<Activity> {
        self.services.db.read(|conn| {
            let activity = find(conn, id)?;
            if activity.status == ActivityStatus::Draft && !may_organise(conn, actor, &activity)? {
                return Err(DomainError::NotFound { what: "活动" });
            }
            Ok(activity)
        })
    }

    /// Published activities that have not started yet (or start after `from`), soonest first.
    pub fn upcoming(
        &self,
        filter: &ActivityFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Activity>> {
        let key = |raw: &str, field: &'static str| {
            raw.split_once('|')
                .and_then(|(at, id)| {
                    NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(|at| (at, id.to_owned()))
                })
                .ok_or_else(|| DomainError::invalid(field, "游标不正确"))
        };
        let after = page
            .after
            .as_deref()
            .map(|raw| key(raw, "after"))
            .transpose()?;
        let before = page
            .before
            .as_deref()
            .map(|raw| key(raw, "before"))
            .transpose()?;
        let from = filter.from.unwrap_or_else(|| self.services.clock.now());
        self.services.db.read(|conn| {
            let (mut items, total) = store::upcoming(
                conn,
                filter,
                from,
                (after.clone(), before.clone()),
                page.backward,
                page.limit(),
            )?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// A resident signs up: a seat if one is free, otherwise a place on the waitlist.
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn sign_up(&self, actor: &Actor, id: &ActivityId) -> DomainResult<Participation> {
        let user = actor.user_id()?;
        let participation_id = ParticipationId::generate();
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            if activity.status != ActivityStatus::Published || activity.starts_at <= now {
                return Err(DomainError::InvalidState("活动未开放报名"));
            }
            if let Some(existing) = store::participation_of(conn, id, user)? {
                if existing.status != ParticipationStatus::Cancelled {
                    return Err(DomainError::AlreadySignedUp);
                }
                // Signing up again after cancelling joins at the back of the line: the old
                // (never attended) record gives way to one with a new arrival id.
                store::delete_cancelled(conn, &existing.id)?;
            }
            let status = if store::take_seat(conn, id)? {
                ParticipationStatus::Registered
            } else {
                ParticipationStatus::Waitlisted
            };
            store::insert_participation(
                conn,
                &NewParticipation {
                    id: &participation_id,
                    activity: id,
                    user,
                    status,
                    manual: false,
                    recorded_by: None,
                    checked_in_at: None,
                    checked_out_at: None,
                    at: now,
                },
            )?;
            with_position(conn, &participation_id)
        })
    }

    /// A resident cancels before the start; their seat goes to the first in line.
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn cancel_sign_up(&self, actor: &Actor, id: &ActivityId) -> DomainResult<Participation> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            if activity.starts_at <= now {
                return Err(DomainError::InvalidState("活动已开始，不能取消报名"));
            }
            let mine = store::participation_of(conn, id, user)?.ok_or(DomainError::NotSignedUp)?;
            let from = mine.status;
            if from == ParticipationStatus::Cancelled
                || !store::change_participation_status(
                    conn,
                    &mine.id,
                    from,
                    ParticipationStatus::Cancelled,
                    now,
                )?
            {
                return Err(DomainError::NotSignedUp);
            }
            if from == ParticipationStatus::Registered {
                promote_or_free(conn, id, now)?;
            }
            with_position(conn, &mine.id)
        })
    }

    /// What the organiser's screen shows: the code of this minute.
    pub fn check_in_code(&self, actor: &Actor, id: &ActivityId) -> DomainResult<CheckInCode> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.read(|conn| {
            let activity = find(conn, id)?;
            require_member(conn, &activity, user)?;
            let (code, changes_at) = code::current(&store::activity_secret(conn, id)?, now);
            Ok(CheckInCode { code, changes_at })
        })
    }

    /// A registered resident checks in (or out) with the code on the organiser's screen,
    /// inside the activity's window.
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn check(
        &self,
        actor: &Actor,
        id: &ActivityId,
        presented: &str,
        out: bool,
    ) -> DomainResult<Participation> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        let activity_key = format!("check-in-activity:{id}");
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            let mine = store::participation_of(conn, id, user)?
                .filter(|p| p.status == ParticipationStatus::Registered)
                .ok_or(DomainError::NotSignedUp)?;
            if activity.status != ActivityStatus::Published || !activity.check_in_open(now) {
                return Ok(Err(DomainError::OutsideWindow));
            }
            if mine.code_locked_at.is_some() {
                return Ok(Err(DomainError::CheckInLocked));
            }
            let participation_key = format!("check-in:{}", mine.id);
            throttle::check(conn, &activity_key, now)?;
            throttle::check(conn, &participation_key, now)?;
            if !code::accepts(&store::activity_secret(conn, id)?, now, presented) {
                // Committed on purpose: every wrong code counts although the request fails.
                throttle::count(conn, &activity_key, throttle::CHECK_IN_ACTIVITY, now)?;
                throttle::count(conn, &participation_key, throttle::CHECK_IN_CODE, now)?;
                if store::refuse_code(conn, &mine.id)? >= throttle::CHECK_IN_LOCK_AFTER {
                    store::lock_check_in(conn, &mine.id, now)?;
                    return Ok(Err(DomainError::CheckInLocked));
                }
                return Ok(Err(DomainError::InvalidCode));
            }
            let done = if out {
                store::check_out(conn, &mine.id, now)?
            } else {
                store::check_in(conn, &mine.id, now)?
            };
            if !done {
                return Ok(Err(DomainError::InvalidState(if out {
                    "请先签到；每次报名只能签退一次"
                } else {
                    "已签到"
                })));
            }
            with_position(conn, &mine.id).map(Ok)
        })?
    }

    /// An organiser records attendance by hand for someone without a phone: service hours
    /// only. Asking for points is refused — public volunteer-points rules require a check-in.
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn record_attendance(
        &self,
        actor: &Actor,
        id: &ActivityId,
        resident: &str,
        from: NaiveDateTime,
        until: NaiveDateTime,
        wants_points: bool,
    ) -> DomainResult<Participation> {
        if wants_points {
            return Err(DomainError::NoPointsForManualAttendance);
        }
        let user = actor.user_id()?;
        if until <= from {
            return Err(DomainError::invalid("until", "签退时间须晚于签到时间"));
        }
        let login = identity::model::LoginIdentifier::parse(resident)
            .map_err(|_| DomainError::invalid("resident", "请填写居民的邮箱或手机号"))?;
        let participation_id = ParticipationId::generate();
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let activity = find(conn, id)?;
            require_member(conn, &activity, user)?;
            let (person, _) = identity::store::find_by_login(conn, &login)?
                .ok_or_else(|| DomainError::invalid("resident", "找不到该居民"))?;
            if activity.minutes_within(from, until) == 0 {
                return Err(DomainError::OutsideWindow);
            }
            store::insert_participation(
                conn,
                &NewParticipation {
                    id: &participation_id,
                    activity: id,
                    user: &person.id,
                    status: ParticipationStatus::Registered,
                    manual: true,
                    recorded_by: Some(user),
                    checked_in_at: Some(from),
                    checked_out_at: Some(until),
                    at: now,
                },
            )?;
            with_position(conn, &participation_id)
        })
    }

    /// Another member of the organising organisation verifies one participation: minutes in
    /// the window, points by the activity's rule within the daily cap, one EARN transfer from
    /// the organisation's budget. Runs at most once per participation.
    #[tracing::instrument(skip_all, fields(participation = %id))]
    pub fn verify(&self, actor: &Actor, id: &ParticipationId) -> DomainResult<Verification> {
        let verifier = actor.user_id()?;
        let now = self.services.clock.now();
        let rules = self.rules();
        self.services
            .db
            .write(|conn| verify_one(conn, verifier, id, now, rules))
    }

    /// Verifies the checked-out, unverified participations of an activity — at most
    /// [`BULK_VERIFICATIONS`] per call, in arrival order — each in its own transaction (one
    /// failure does not undo the others); returns what was verified.
    #[tracing::instrument(skip_all, fields(activity = %id))]
    pub fn verify_all(&self, actor: &Actor, id: &ActivityId) -> DomainResult<Vec<Verification>> {
        let verifier = actor.user_id()?;
        let rules = self.rules();
        let pending: Vec<ParticipationId> = self.services.db.read(|conn| {
            let activity = find(conn, id)?;
            require_member(conn, &activity, verifier)?;
            Ok(store::sheet(conn, id)?
                .into_iter()
                .filter(|p| {
                    p.checked_out_at.is_some()
                        && p.verified_at.is_none()
                        && !may_not_verify(p, verifier)
                })
                .map(|p| p.id)
                .take(BULK_VERIFICATIONS)
                .collect())
        })?;
        let mut done = Vec::new();
        for participation in pending {
            let now = self.services.clock.now();
            match self
                .services
                .db
                .write(|conn| verify_one(conn, verifier, &participation, now, rules))
            {
                Ok(v) => done.push(v),
                Err(DomainError::AlreadyVerified | DomainError::AttendanceTooShort { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Every activity of an organisation, drafts and past ones included, newest first: its
    /// members and staff (the public lists published ones with `upcoming`).
    pub fn of_organisation(
        &self,
        actor: &Actor,
        organisation: &OrganisationId,
        status: Option<ActivityStatus>,
        page: &PageRequest,
    ) -> DomainResult<Page<Activity>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            if !actor.is_staff()
                && directory::store::member_role(conn, organisation, user)?.is_none()
            {
                return Err(DomainError::Forbidden);
            }
            let (mut items, total) = store::of_organisation(conn, organisation, status, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// The attendance sheet, live: members of the organisation and staff.
    pub fn sheet(
        &self,
        actor: &Actor,
        id: &ActivityId,
        page: &PageRequest,
    ) -> DomainResult<Page<Participation>> {
        let all = self.services.db.read(|conn| {
            let activity = find(conn, id)?;
            if !may_organise(conn, actor, &activity)? {
                return Err(DomainError::Forbidden);
            }
            store::sheet(conn, id)
        })?;
        Page::slice(all, page, |p| p.id.to_string())
    }

    /// The caller's own participation in an activity, if any.
    pub fn my_participation(
        &self,
        actor: &Actor,
        id: &ActivityId,
    ) -> DomainResult<Option<Participation>> {
        let user = actor.user_id()?;
        self.services
            .db
            .read(|conn| match store::participation_of(conn, id, user)? {
                Some(p) => with_position(conn, &p.id).map(Some),
                None => Ok(None),
            })
    }

    /// Staff take back the hours of a verified participation that paid no points (hand-recorded
    /// attendance, or points the daily cap left at nothing), with a reason: the service record
    /// stops counting them and every certificate that counts them is revoked. Hours that
    /// earned points go with their points: staff reverse the EARN (`Ledger::reverse`).
    #[tracing::instrument(skip_all, fields(participation = %id))]
    pub fn revoke_hours(
        &self,
        actor: &Actor,
        id: &ParticipationId,
        reason: &str,
    ) -> DomainResult<Participation> {
        let staff = actor.require_staff()?;
        let reason = crate::types::text(reason, "reason", 2, 500)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let found = store::find_participation(conn, id)?.ok_or(DomainError::NotFound {
                what: "参与记录",
            })?;
            if found.verified_at.is_none() {
                return Err(DomainError::InvalidState(
                    "这次服务尚未核验，没有时长可撤销",
                ));
            }
            if found.hours_revoked_at.is_some() {
                return Err(DomainError::InvalidState("这次服务的时长已撤销"));
            }
            let key = ledger::store::scoped_key(super::PARTICIPATION_CAUSE, id.as_str());
            if let Some((earn, _)) = ledger::store::find_by_key(conn, &key)?
                && ledger::store::reversal_of(conn, &earn.id)?.is_none()
            {
                return Err(DomainError::InvalidState(
                    "这次服务发过积分：请冲正那笔积分，时长随之撤销",
                ));
            }
            crate::certificate::revoke_service(conn, id, now)?;
            audit::record(
                conn,
                Some(staff),
                "volunteering.revoke_hours",
                "participation",
                id.as_str(),
                &reason,
                now,
            )?;
            with_position(conn, id)
        })
    }

    /// One participation: for the participant, the activity's organisers and staff.
    pub fn participation(
        &self,
        actor: &Actor,
        id: &ParticipationId,
    ) -> DomainResult<Participation> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            let found = with_position(conn, id)?;
            let activity = find(conn, &found.activity_id)?;
            if &found.user_id != user && !may_organise(conn, actor, &activity)? {
                return Err(DomainError::NotFound {
                    what: "参与记录"
                });
            }
            Ok(found)
        })
    }

    /// The caller's participations in several activities, in one query (a page of activities
    /// showing "you are signed up").
    pub fn my_participations(
        &self,
        actor: &Actor,
        activities: &[ActivityId],
    ) -> DomainResult<std::collections::HashMap<ActivityId, Participation>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| {
            store::participations_of(conn, activities, user)?
                .into_iter()
                .map(|p| Ok((p.activity_id.clone(), with_position(conn, &p.id)?)))
                .collect()
        })
    }

    /// A person's verified service hours: their own, or anyone's for staff.
    pub fn service_record(&self, actor: &Actor, user: &UserId) -> DomainResult<ServiceRecord> {
        if actor.user_id()? != user && !actor.is_staff() {
            return Err(DomainError::Forbidden);
        }
        self.services
            .db
            .read(|conn| store::service_record(conn, user))
    }
}

/// The district's rules that price attendance, from configuration.
#[derive(Debug, Clone, Copy)]
struct Rules {
    daily_cap: i64,
    group_rate_max: i64,
}

impl Volunteering<'_> {
    fn rules(&self) -> Rules {
        Rules {
            daily_cap: self.services.settings.daily_points_cap,
            group_rate_max: self.services.settings.group_points_per_hour_max,
        }
    }
}

/// Maker-checker: nobody verifies their own attendance or attendance they recorded by hand.
fn may_not_verify(participation: &Participation, verifier: &UserId) -> bool {
    &participation.user_id == verifier || participation.recorded_by.as_ref() == Some(verifier)
}

/// A group-run activity paid from the fund above the district's hourly rule needs staff
/// approval first.
fn require_rate_allowed(activity: &Activity, group_rate_max: i64) -> DomainResult<()> {
    if activity.group_id.is_some()
        && activity.points_per_hour > group_rate_max
        && activity.rate_approved_by.is_none()
    {
        return Err(DomainError::RateNeedsApproval {
            max: group_rate_max,
        });
    }
    Ok(())
}

fn verify_one(
    conn: &mut DbConnection,
    verifier: &UserId,
    id: &ParticipationId,
    now: NaiveDateTime,
    rules: Rules,
) -> DomainResult<Verification> {
    let daily_cap = rules.daily_cap;
    let participation = store::find_participation(conn, id)?.ok_or(DomainError::NotFound {
        what: "参与记录",
    })?;
    let activity = find(conn, &participation.activity_id)?;
    require_member(conn, &activity, verifier)?;
    if may_not_verify(&participation, verifier) {
        return Err(DomainError::SelfVerification);
    }
    if participation.verified_at.is_some() {
        return Err(DomainError::AlreadyVerified);
    }
    if activity.status == ActivityStatus::Cancelled {
        return Err(DomainError::ActivityCancelled);
    }
    require_paying(conn, &activity)?;
    require_rate_allowed(&activity, rules.group_rate_max)?;
    let (Some(checked_in), Some(checked_out)) =
        (participation.checked_in_at, participation.checked_out_at)
    else {
        return Err(DomainError::InvalidState("尚未签到签退，不能核验"));
    };
    let minutes = activity.minutes_within(checked_in, checked_out);
    if minutes < MINIMUM_MINUTES {
        return Err(DomainError::AttendanceTooShort {
            minimum: MINIMUM_MINUTES,
        });
    }
    // Hand-recorded attendance counts as service hours, never as points.
    let mut points = if participation.manual {
        0
    } else {
        activity.points_for(minutes)?
    };
    let day = china_day(activity.starts_at);
    if points > 0 {
        let earned_today = store::lock_daily_points(conn, &participation.user_id, &day)?;
        points = points.min((daily_cap - earned_today).max(0));
    }
    if !store::mark_verified(conn, id, verifier, minutes, points, now)? {
        return Err(DomainError::AlreadyVerified);
    }
    if points > 0 {
        store::add_daily_points(conn, &participation.user_id, &day, points)?;
        let budget = paying_account(conn, &activity)?;
        let wallet = ledger::store::owned_account(
            conn,
            ledger::AccountKind::Wallet,
            participation.user_id.as_str(),
        )?
        .ok_or_else(|| DomainError::internal("resident without wallet"))?;
        let key = ledger::store::scoped_key(super::PARTICIPATION_CAUSE, id.as_str());
        let rule = activity.rule(daily_cap);
        let reason = format!("参加「{}」服务 {} 分钟", activity.title, minutes);
        let cause = ledger::Cause {
            kind: super::PARTICIPATION_CAUSE.to_owned(),
            id: id.to_string(),
        };
        let amount = Points::positive(points, "points")?;
        let earning = ledger::store::NewTransfer::new(
            ledger::TransferCode::Earn,
            &budget.id,
            &wallet.id,
            amount,
            &reason,
            now,
        );
        let key = ledger::store::TransferKey {
            scoped: &key,
            request_hash: &ledger::store::request_hash(&["EARN", id.as_str()]),
        };
        let posted = ledger::store::post(
            conn,
            &earning.by(verifier).caused_by(&cause).priced_by(&rule),
            &key,
        );
        match posted {
            Err(DomainError::InsufficientPoints) => return Err(DomainError::InsufficientBudget),
            other => {
                other?;
            }
        }
        let balance = ledger::store::find_account(conn, &wallet.id)?.map_or(0, |a| a.balance);
        crate::outbox::notify(
            conn,
            &participation.user_id,
            &crate::outbox::Template::PointsEarned {
                points,
                activity: activity.title.clone(),
                balance,
            },
            now,
        )?;
    }
    Ok(Verification {
        participation: with_position(conn, id)?,
        minutes,
        points,
    })
}

/// Gives a freed seat to the first in line, or frees it when nobody waits. A promotion that
/// loses a race (someone else promoted that person) tries the next in line.
fn promote_or_free(
    conn: &mut DbConnection,
    id: &ActivityId,
    now: NaiveDateTime,
) -> DomainResult<()> {
    while let Some(next) = store::first_waitlisted(conn, id)? {
        if store::change_participation_status(
            conn,
            &next,
            ParticipationStatus::Waitlisted,
            ParticipationStatus::Registered,
            now,
        )? {
            // The promoted resident may have stopped looking: tell them, in this transaction.
            let promoted = with_position(conn, &next)?;
            let activity = find(conn, id)?;
            return crate::outbox::notify(
                conn,
                &promoted.user_id,
                &crate::outbox::Template::WaitlistPromoted {
                    activity: activity.title,
                    starts: china_time(activity.starts_at)
                        .format("%Y年%m月%d日 %H:%M")
                        .to_string(),
                    place: activity.place,
                },
                now,
            );
        }
    }
    store::free_seat(conn, id)
}

fn with_position(conn: &mut DbConnection, id: &ParticipationId) -> DomainResult<Participation> {
    let mut p = store::find_participation(conn, id)?.ok_or(DomainError::NotFound {
        what: "参与记录",
    })?;
    if p.status == ParticipationStatus::Waitlisted {
        p.waitlist_position = Some(store::waitlist_position(conn, &p)?);
    }
    Ok(p)
}

fn find(conn: &mut DbConnection, id: &ActivityId) -> DomainResult<Activity> {
    store::find_activity(conn, id)?.ok_or(DomainError::NotFound { what: "活动" })
}

/// The activity's organisers: its organisation's members; for a group's activity, the group's
/// convenor (who alone spends the fund) and the members of its mentor organisation (who can
/// verify the convenor's own attendance).
fn is_organiser(conn: &mut DbConnection, activity: &Activity, user: &UserId) -> DomainResult<bool> {
    if directory::store::member_role(conn, &activity.organisation_id, user)?.is_some() {
        return Ok(true);
    }
    Ok(match &activity.group_id {
        Some(group) => {
            incubation::store::active_role(conn, group, user)?
                == Some(incubation::GroupRole::Convenor)
        }
        None => false,
    })
}

fn require_member(conn: &mut DbConnection, activity: &Activity, user: &UserId) -> DomainResult<()> {
    if is_organiser(conn, activity, user)? {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// An organiser whose organisation is verified, or whose group has reached a stage that runs
/// activities.
fn require_may_run(
    conn: &mut DbConnection,
    activity: &Activity,
    user: &UserId,
) -> DomainResult<()> {
    match &activity.group_id {
        Some(group) => {
            // Only the convenor runs what the fund pays for.
            incubation::service::require_convenor(conn, group, user)?;
            let group = incubation::store::find(conn, group)?.ok_or(DomainError::NotFound {
                what: "自治组织",
            })?;
            if group.stage == incubation::Stage::Dissolved {
                return Err(DomainError::GroupDissolved);
            }
            if !group.stage.runs_activities() {
                return Err(DomainError::InvalidState(
                    "自治组织进入成长阶段后才能组织活动",
                ));
            }
        }
        None => {
            require_member(conn, activity, user)?;
            let found = directory::store::find_organisation(conn, &activity.organisation_id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            match found.status {
                OrganisationStatus::Verified => {}
                OrganisationStatus::Suspended => return Err(DomainError::OrganisationSuspended),
                _ => return Err(DomainError::OrganisationNotVerified),
            }
        }
    }
    Ok(())
}

/// Where money moves, the payer must still be in good standing: a suspended organisation or a
/// dissolved group pays nothing more.
fn require_paying(conn: &mut DbConnection, activity: &Activity) -> DomainResult<()> {
    match &activity.group_id {
        Some(group) => {
            let group = incubation::store::find(conn, group)?.ok_or(DomainError::NotFound {
                what: "自治组织",
            })?;
            if group.stage == incubation::Stage::Dissolved {
                return Err(DomainError::GroupDissolved);
            }
        }
        None => {
            let found = directory::store::find_organisation(conn, &activity.organisation_id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if found.status != OrganisationStatus::Verified {
                return Err(DomainError::OrganisationSuspended);
            }
        }
    }
    Ok(())
}

fn may_organise(conn: &mut DbConnection, actor: &Actor, activity: &Activity) -> DomainResult<bool> {
    Ok(match actor {
        Actor::User { .. } if actor.is_staff() => true,
        Actor::User { id, .. } => is_organiser(conn, activity, id)?,
        Actor::Anonymous => false,
    })
}

/// Where an activity's points come from: its group's fund or its organisation's budget.
fn paying_account(
    conn: &mut DbConnection,
    activity: &Activity,
) -> DomainResult<crate::ledger::Account> {
    let (kind, owner) = match &activity.group_id {
        Some(group) => (ledger::AccountKind::GroupFund, group.as_str()),
        None => (
            ledger::AccountKind::Budget,
            activity.organisation_id.as_str(),
        ),
    };
    ledger::store::owned_account(conn, kind, owner)?
        .ok_or_else(|| DomainError::internal("organiser without account"))
}
