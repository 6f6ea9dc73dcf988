//! Volunteering SQL. Seats, waitlist promotion, check-in/out and verification are each one
//! conditional UPDATE whose row count decides the outcome, so races resolve in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Activity, ActivityFilter, ActivityStatus, Participation, ParticipationStatus,
    SERVICE_RECORD_ORGANISATIONS, ServiceRecord,
};
use crate::db::{DbConnection, insert_unless_present, is_unique_violation};
use crate::error::{DomainError, DomainResult};
use crate::schema::{activity, app_user, daily_points, participation};
use crate::types::{ActivityId, CommunityId, OrganisationId, ParticipationId, UserId};

pub(crate) fn insert_activity(
    conn: &mut DbConnection,
    a: &Activity,
    secret: &str,
) -> DomainResult<()> {
    diesel::insert_into(activity::table)
        .values((
            (
                activity::id.eq(a.id.as_str()),
                activity::organisation_id.eq(a.organisation_id.as_str()),
                activity::category_id.eq(&a.category_id),
                activity::community_id.eq(a.community_id.as_ref().map(CommunityId::as_str)),
                activity::title.eq(&a.title),
                activity::description.eq(&a.description),
                activity::place.eq(&a.place),
                activity::starts_at.eq(a.starts_at),
                activity::ends_at.eq(a.ends_at),
            ),
            (
                activity::capacity.eq(a.capacity),
                activity::seats_taken.eq(0),
                activity::points_per_hour.eq(a.points_per_hour),
                activity::points_cap.eq(a.points_cap),
                activity::status.eq(a.status),
                activity::code_secret.eq(secret),
                activity::created_at.eq(a.created_at),
                activity::group_id.eq(&a.group_id),
            ),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn find_activity(
    conn: &mut DbConnection,
    id: &ActivityId,
) -> DomainResult<Option<Activity>> {
    Ok(activity::table
        .find(id.as_str())
        .select(Activity::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn activity_secret(conn: &mut DbConnection, id: &ActivityId) -> DomainResult<String> {
    Ok(activity::table
        .find(id.as_str())
        .select(activity::code_secret)
        .first(conn)?)
}

pub(crate) fn change_activity_status(
    conn: &mut DbConnection,
    id: &ActivityId,
    from: ActivityStatus,
    to: ActivityStatus,
) -> DomainResult<bool> {
    let updated = diesel::update(
        activity::table
            .filter(activity::id.eq(id.as_str()))
            .filter(activity::status.eq(from.as_str())),
    )
    .set(activity::status.eq(to.as_str()))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Takes a seat if one is free; false when the activity is full.
pub(crate) fn take_seat(conn: &mut DbConnection, id: &ActivityId) -> DomainResult<bool> {
    let updated = diesel::update(
        activity::table
            .filter(activity::id.eq(id.as_str()))
            .filter(activity::seats_taken.lt(activity::capacity)),
    )
    .set(activity::seats_taken.eq(activity::seats_taken + 1))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn free_seat(conn: &mut DbConnection, id: &ActivityId) -> DomainResult<()> {
    diesel::update(
        activity::table
            .filter(activity::id.eq(id.as_str()))
            .filter(activity::seats_taken.gt(0)),
    )
    .set(activity::seats_taken.eq(activity::seats_taken - 1))
    .execute(conn)?;
    Ok(())
}

pub(crate) fn free_all_seats(
    conn: &mut DbConnection,
    id: &ActivityId,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(activity::table.find(id.as_str()))
        .set(activity::seats_taken.eq(0))
        .execute(conn)?;
    diesel::update(
        participation::table
            .filter(participation::activity_id.eq(id.as_str()))
            .filter(participation::status.ne(ParticipationStatus::Cancelled.as_str())),
    )
    .set((
        participation::status.eq(ParticipationStatus::Cancelled.as_str()),
        participation::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Where a page of activities starts or ends: an activity's start and id.
pub(crate) type ActivityKey = (NaiveDateTime, String);

/// Published activities matching the filter, soonest first, between the `(starts_at, id)`
/// keys; read from the end when `backward`, one more than `limit` asks.
pub(crate) fn upcoming(
    conn: &mut DbConnection,
    filter: &ActivityFilter,
    from: NaiveDateTime,
    (after, before): (Option<ActivityKey>, Option<ActivityKey>),
    backward: bool,
    limit: i64,
) -> DomainResult<(Vec<Activity>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut q = activity::table
                .filter(activity::status.eq(ActivityStatus::Published.as_str()))
                .filter(activity::starts_at.ge(from))
                .into_boxed();
            if let Some(until) = filter.until {
                q = q.filter(activity::starts_at.lt(until));
            }
            if let Some(community) = &filter.community_id {
                q = q.filter(activity::community_id.eq(community.as_str().to_owned()));
            }
            if let Some(category) = &filter.category_id {
                q = q.filter(activity::category_id.eq(category.clone()));
            }
            if let Some(organisation) = &filter.organisation_id {
                q = q.filter(activity::organisation_id.eq(organisation.as_str().to_owned()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let mut query = filtered!().select(Activity::as_select()).limit(limit);
    query = if backward {
        query.order((activity::starts_at.desc(), activity::id.desc()))
    } else {
        query.order((activity::starts_at.asc(), activity::id.asc()))
    };
    if let Some((at, id)) = after {
        query = query.filter(
            activity::starts_at
                .gt(at)
                .or(activity::starts_at.eq(at).and(activity::id.gt(id))),
        );
    }
    if let Some((at, id)) = before {
        query = query.filter(
            activity::starts_at
                .lt(at)
                .or(activity::starts_at.eq(at).and(activity::id.lt(id))),
        );
    }
    Ok((query.load(conn)?, total))
}

/// An organisation's activities in every status (or one), newest first.
pub(crate) fn of_organisation(
    conn: &mut DbConnection,
    organisation: &OrganisationId,
    status: Option<ActivityStatus>,
    page: &crate::page::PageRequest,
) -> DomainResult<(Vec<Activity>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut q = activity::table
                .filter(activity::organisation_id.eq(organisation.as_str().to_owned()))
                .into_boxed();
            if let Some(status) = status {
                q = q.filter(activity::status.eq(status.as_str()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let query = filtered!().select(Activity::as_select());
    let rows = crate::page::keyset!(query, activity::id, newest_first: true, page).load(conn)?;
    Ok((rows, total))
}

/// A participation as stored, with the participant's name.
#[derive(Queryable, Selectable)]
#[diesel(table_name = participation)]
struct ParticipationRow {
    id: ParticipationId,
    activity_id: ActivityId,
    user_id: UserId,
    #[diesel(embed)]
    person: Person,
    status: ParticipationStatus,
    manual: bool,
    recorded_by: Option<UserId>,
    checked_in_at: Option<NaiveDateTime>,
    checked_out_at: Option<NaiveDateTime>,
    verified_at: Option<NaiveDateTime>,
    verified_minutes: Option<i32>,
    points_awarded: Option<i64>,
    refused_codes: i32,
    code_locked_at: Option<NaiveDateTime>,
    hours_revoked_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = app_user)]
struct Person {
    display_name: String,
}

impl From<ParticipationRow> for Participation {
    fn from(row: ParticipationRow) -> Self {
        Self {
            id: row.id,
            activity_id: row.activity_id,
            user_id: row.user_id,
            display_name: row.person.display_name,
            status: row.status,
            waitlist_position: None,
            manual: row.manual,
            recorded_by: row.recorded_by,
            checked_in_at: row.checked_in_at,
            checked_out_at: row.checked_out_at,
            verified_at: row.verified_at,
            verified_minutes: row.verified_minutes,
            points_awarded: row.points_awarded,
            refused_codes: row.refused_codes,
            code_locked_at: row.code_locked_at,
            hours_revoked_at: row.hours_revoked_at,
            created_at: row.created_at,
        }
    }
}

pub(crate) struct NewParticipation<'a> {
    pub id: &'a ParticipationId,
    pub activity: &'a ActivityId,
    pub user: &'a UserId,
    pub status: ParticipationStatus,
    pub manual: bool,
    pub recorded_by: Option<&'a UserId>,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_out_at: Option<NaiveDateTime>,
    pub at: NaiveDateTime,
}

/// Inserts a participation; `AlreadySignedUp` when the person already has one.
pub(crate) fn insert_participation(
    conn: &mut DbConnection,
    p: &NewParticipation<'_>,
) -> DomainResult<()> {
    let inserted = diesel::insert_into(participation::table)
        .values((
            participation::id.eq(p.id.as_str()),
            participation::activity_id.eq(p.activity.as_str()),
            participation::user_id.eq(p.user.as_str()),
            participation::status.eq(p.status.as_str()),
            participation::manual.eq(p.manual),
            participation::recorded_by.eq(p.recorded_by.map(UserId::as_str)),
            participation::checked_in_at.eq(p.checked_in_at),
            participation::checked_out_at.eq(p.checked_out_at),
            participation::created_at.eq(p.at),
            participation::updated_at.eq(p.at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "activity_id") => Err(DomainError::AlreadySignedUp),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn find_participation(
    conn: &mut DbConnection,
    id: &ParticipationId,
) -> DomainResult<Option<Participation>> {
    Ok(participation::table
        .inner_join(app_user::table)
        .filter(participation::id.eq(id.as_str()))
        .select(ParticipationRow::as_select())
        .first(conn)
        .optional()?
        .map(Participation::from))
}

pub(crate) fn participation_of(
    conn: &mut DbConnection,
    activity_id: &ActivityId,
    user: &UserId,
) -> DomainResult<Option<Participation>> {
    Ok(participation::table
        .inner_join(app_user::table)
        .filter(participation::activity_id.eq(activity_id.as_str()))
        .filter(participation::user_id.eq(user.as_str()))
        .select(ParticipationRow::as_select())
        .first(conn)
        .optional()?
        .map(Participation::from))
}

/// One person's participations in several activities.
pub(crate) fn participations_of(
    conn: &mut DbConnection,
    activities: &[ActivityId],
    user: &UserId,
) -> DomainResult<Vec<Participation>> {
    Ok(participation::table
        .inner_join(app_user::table)
        .filter(participation::activity_id.eq_any(activities))
        .filter(participation::user_id.eq(user))
        .select(ParticipationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Participation::from)
        .collect())
}

/// The attendance sheet: everyone who signed up, in arrival order, with waitlist positions.
pub(crate) fn sheet(
    conn: &mut DbConnection,
    activity_id: &ActivityId,
) -> DomainResult<Vec<Participation>> {
    let mut list = participation::table
        .inner_join(app_user::table)
        .filter(participation::activity_id.eq(activity_id.as_str()))
        .order(participation::id.asc())
        .select(ParticipationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Participation::from)
        .collect::<Vec<_>>();
    let mut position = 0;
    for p in &mut list {
        if p.status == ParticipationStatus::Waitlisted {
            position += 1;
            p.waitlist_position = Some(position);
        }
    }
    Ok(list)
}

/// Where a waitlisted participation stands in line (1 = next to be promoted).
pub(crate) fn waitlist_position(conn: &mut DbConnection, p: &Participation) -> DomainResult<i64> {
    let ahead: i64 = participation::table
        .filter(participation::activity_id.eq(p.activity_id.as_str()))
        .filter(participation::status.eq(ParticipationStatus::Waitlisted.as_str()))
        .filter(participation::id.lt(p.id.as_str()))
        .count()
        .get_result(conn)?;
    Ok(ahead + 1)
}

pub(crate) fn change_participation_status(
    conn: &mut DbConnection,
    id: &ParticipationId,
    from: ParticipationStatus,
    to: ParticipationStatus,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        participation::table
            .filter(participation::id.eq(id.as_str()))
            .filter(participation::status.eq(from.as_str())),
    )
    .set((
        participation::status.eq(to.as_str()),
        participation::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Removes a cancelled sign-up that never checked in, so the person can sign up again.
pub(crate) fn delete_cancelled(conn: &mut DbConnection, id: &ParticipationId) -> DomainResult<()> {
    diesel::delete(
        participation::table
            .filter(participation::id.eq(id.as_str()))
            .filter(participation::status.eq(ParticipationStatus::Cancelled.as_str()))
            .filter(participation::checked_in_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// The first in line, if anyone waits.
pub(crate) fn first_waitlisted(
    conn: &mut DbConnection,
    activity_id: &ActivityId,
) -> DomainResult<Option<ParticipationId>> {
    Ok(participation::table
        .filter(participation::activity_id.eq(activity_id.as_str()))
        .filter(participation::status.eq(ParticipationStatus::Waitlisted.as_str()))
        .order(participation::id.asc())
        .select(participation::id)
        .first(conn)
        .optional()?)
}

pub(crate) fn check_in(
    conn: &mut DbConnection,
    id: &ParticipationId,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        participation::table
            .filter(participation::id.eq(id.as_str()))
            .filter(participation::checked_in_at.is_null()),
    )
    .set((
        participation::checked_in_at.eq(Some(at)),
        participation::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn check_out(
    conn: &mut DbConnection,
    id: &ParticipationId,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        participation::table
            .filter(participation::id.eq(id.as_str()))
            .filter(participation::checked_in_at.is_not_null())
            .filter(participation::checked_out_at.is_null()),
    )
    .set((
        participation::checked_out_at.eq(Some(at)),
        participation::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Counts one wrong check-in code for the participation; returns the new count.
pub(crate) fn refuse_code(conn: &mut DbConnection, id: &ParticipationId) -> DomainResult<i32> {
    Ok(diesel::update(participation::table.find(id))
        .set(participation::refused_codes.eq(participation::refused_codes + 1))
        .returning(participation::refused_codes)
        .get_result(conn)?)
}

/// Locks the participation's check-in for good, after too many wrong codes.
pub(crate) fn lock_check_in(
    conn: &mut DbConnection,
    id: &ParticipationId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(
        participation::table
            .find(id)
            .filter(participation::code_locked_at.is_null()),
    )
    .set(participation::code_locked_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// Staff approve a group-run activity's hourly rate above the district's rule.
pub(crate) fn approve_rate(
    conn: &mut DbConnection,
    id: &ActivityId,
    by: &UserId,
) -> DomainResult<bool> {
    let updated = diesel::update(
        activity::table
            .find(id)
            .filter(activity::status.eq(ActivityStatus::Draft)),
    )
    .set(activity::rate_approved_by.eq(Some(by)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks a participation verified; false when someone verified it first.
pub(crate) fn mark_verified(
    conn: &mut DbConnection,
    id: &ParticipationId,
    by: &UserId,
    minutes: i64,
    points: i64,
    at: NaiveDateTime,
) -> DomainResult<bool> {
    let minutes = i32::try_from(minutes).map_err(|_| DomainError::internal("minutes overflow"))?;
    let updated = diesel::update(
        participation::table
            .filter(participation::id.eq(id.as_str()))
            .filter(participation::verified_at.is_null()),
    )
    .set((
        participation::verified_at.eq(Some(at)),
        participation::verified_by.eq(Some(by.as_str())),
        participation::verified_minutes.eq(Some(minutes)),
        participation::points_awarded.eq(Some(points)),
        participation::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Points already earned on `day`, with that resident's counter row locked until commit (an
/// UPDATE takes the row lock on PostgreSQL; SQLite's write transaction holds the database).
pub(crate) fn lock_daily_points(
    conn: &mut DbConnection,
    user: &UserId,
    day: &str,
) -> DomainResult<i64> {
    let row = daily_points::table.find((user.as_str(), day));
    if diesel::update(row)
        .set(daily_points::points.eq(daily_points::points))
        .execute(conn)?
        == 0
    {
        // First points of the day: create the row; a concurrent creator wins the primary key.
        let inserted = insert_unless_present(conn, &["daily_points", "user_id"], |conn| {
            diesel::insert_into(daily_points::table)
                .values((
                    daily_points::user_id.eq(user.as_str()),
                    daily_points::day.eq(day),
                    daily_points::points.eq(0_i64),
                ))
                .execute(conn)
        })?;
        if !inserted {
            diesel::update(row)
                .set(daily_points::points.eq(daily_points::points))
                .execute(conn)?;
        }
    }
    Ok(row.select(daily_points::points).first(conn)?)
}

pub(crate) fn add_daily_points(
    conn: &mut DbConnection,
    user: &UserId,
    day: &str,
    points: i64,
) -> DomainResult<()> {
    diesel::update(daily_points::table.find((user.as_str(), day)))
        .set(daily_points::points.eq(daily_points::points + points))
        .execute(conn)?;
    Ok(())
}

/// A resident's verified service: total minutes, activities, minutes per category and per
/// organisation.
pub(crate) fn service_record(
    conn: &mut DbConnection,
    user: &UserId,
) -> DomainResult<ServiceRecord> {
    let rows = participation::table
        .inner_join(activity::table)
        .filter(participation::user_id.eq(user.as_str()))
        .filter(participation::verified_at.is_not_null())
        .filter(participation::hours_revoked_at.is_null())
        .select((
            activity::category_id,
            activity::organisation_id,
            participation::verified_minutes,
        ))
        .load::<(String, OrganisationId, Option<i32>)>(conn)?;
    let mut by_category = Vec::new();
    let mut by_organisation = Vec::new();
    let mut total = 0;
    for (category, organisation, minutes) in &rows {
        let minutes = i64::from(minutes.unwrap_or(0));
        total += minutes;
        add_minutes(&mut by_category, category, minutes);
        add_minutes(&mut by_organisation, organisation, minutes);
    }
    Ok(ServiceRecord {
        total_minutes: total,
        activities: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        by_category: largest_first(by_category),
        by_organisation: largest_first(by_organisation)
            .into_iter()
            .take(SERVICE_RECORD_ORGANISATIONS)
            .collect(),
    })
}

fn add_minutes<K: PartialEq + Clone>(totals: &mut Vec<(K, i64)>, key: &K, minutes: i64) {
    match totals.iter_mut().find(|(k, _)| k == key) {
        Some((_, m)) => *m += minutes,
        None => totals.push((key.clone(), minutes)),
    }
}

fn largest_first<K: Ord>(mut totals: Vec<(K, i64)>) -> Vec<(K, i64)> {
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    totals
}

/// Takes a participation's hours out of the resident's service (its points were reversed).
pub(crate) fn revoke_hours(
    conn: &mut DbConnection,
    id: &ParticipationId,
    at: NaiveDateTime,
) -> DomainResult<()> {
    diesel::update(
        participation::table
            .find(id.as_str())
            .filter(participation::hours_revoked_at.is_null()),
    )
    .set((
        participation::hours_revoked_at.eq(at),
        participation::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(())
}
