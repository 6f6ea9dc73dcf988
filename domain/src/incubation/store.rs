//! Groups SQL.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    DECISIONS, Group, GroupEvent, GroupFilter, GroupMember, GroupRole, MembershipStatus, Record,
    Stage,
};
use crate::db::{DbConnection, is_unique_violation};
use crate::error::{DomainError, DomainResult};
use crate::page::PageRequest;
use crate::schema::{
    activity, app_user, community_group, group_event, group_member, participation,
};
use crate::types::{GroupId, OrganisationId, UserId};

pub(crate) fn insert(conn: &mut DbConnection, g: &Group) -> DomainResult<()> {
    let inserted = diesel::insert_into(community_group::table)
        .values((
            community_group::id.eq(g.id.as_str()),
            community_group::name.eq(&g.name),
            community_group::purpose.eq(&g.purpose),
            community_group::community_id.eq(g.community_id.as_str()),
            community_group::category_id.eq(&g.category_id),
            community_group::stage.eq(g.stage.as_str()),
            community_group::created_at.eq(g.created_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "name") => {
            Err(DomainError::invalid("name", "该名称已被其他自治组织使用"))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn find(conn: &mut DbConnection, id: &GroupId) -> DomainResult<Option<Group>> {
    Ok(community_group::table
        .find(id.as_str())
        .select(Group::as_select())
        .first(conn)
        .optional()?)
}

/// A page of groups by name (names are unique), keyset-paged by the id of the group at the
/// cursor; with the count of all that match.
pub(crate) fn groups(
    conn: &mut DbConnection,
    filter: &GroupFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<Group>, i64)> {
    let filtered = || {
        let mut query = community_group::table.into_boxed();
        if let Some(stage) = filter.stage {
            query = query.filter(community_group::stage.eq(stage.as_str()));
        }
        if let Some(community) = &filter.community {
            query = query.filter(community_group::community_id.eq(community.as_str().to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let mut query = filtered().select(Group::as_select());
    for (cursor, later, field) in [
        (&page.after, true, "after"),
        (&page.before, false, "before"),
    ] {
        let Some(cursor) = cursor else { continue };
        let name = GroupId::parse(cursor)
            .map(|id| find(conn, &id))
            .transpose()?
            .flatten()
            .ok_or_else(|| DomainError::invalid(field, "游标不正确"))?
            .name;
        query = if later {
            query.filter(community_group::name.gt(name))
        } else {
            query.filter(community_group::name.lt(name))
        };
    }
    // Reading backwards takes the rows nearest the end first.
    query = if page.backward {
        query.order(community_group::name.desc())
    } else {
        query.order(community_group::name.asc())
    };
    Ok((query.limit(page.limit()).load(conn)?, total))
}

/// Each group's latest stage decision (advanced, held or dissolved), for the groups asked.
pub(crate) fn last_decisions(
    conn: &mut DbConnection,
    groups: &[GroupId],
) -> DomainResult<HashMap<GroupId, GroupEvent>> {
    let rows = group_event::table
        .filter(group_event::group_id.eq_any(groups))
        .filter(group_event::kind.eq_any(DECISIONS))
        .order(group_event::id.asc())
        .select((group_event::group_id, GroupEvent::as_select()))
        .load::<(GroupId, GroupEvent)>(conn)?;
    // Oldest first, so each group keeps its latest.
    Ok(rows.into_iter().collect())
}

pub(crate) fn set_stage(
    conn: &mut DbConnection,
    id: &GroupId,
    from: Stage,
    to: Stage,
) -> DomainResult<bool> {
    Ok(diesel::update(
        community_group::table
            .filter(community_group::id.eq(id.as_str()))
            .filter(community_group::stage.eq(from.as_str())),
    )
    .set(community_group::stage.eq(to.as_str()))
    .execute(conn)?
        == 1)
}

pub(crate) fn set_mentor(
    conn: &mut DbConnection,
    id: &GroupId,
    mentor: &OrganisationId,
) -> DomainResult<()> {
    diesel::update(community_group::table.find(id.as_str()))
        .set(community_group::mentor_organisation_id.eq(Some(mentor.as_str())))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn set_organisation(
    conn: &mut DbConnection,
    id: &GroupId,
    organisation: &OrganisationId,
) -> DomainResult<bool> {
    Ok(diesel::update(
        community_group::table
            .filter(community_group::id.eq(id.as_str()))
            .filter(community_group::organisation_id.is_null()),
    )
    .set(community_group::organisation_id.eq(Some(organisation.as_str())))
    .execute(conn)?
        == 1)
}

pub(crate) fn add_member(
    conn: &mut DbConnection,
    group: &GroupId,
    user: &UserId,
    role: GroupRole,
    status: MembershipStatus,
    now: NaiveDateTime,
) -> DomainResult<()> {
    let inserted = diesel::insert_into(group_member::table)
        .values((
            group_member::group_id.eq(group.as_str()),
            group_member::user_id.eq(user.as_str()),
            group_member::role.eq(role.as_str()),
            group_member::status.eq(status.as_str()),
            group_member::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e)
            if is_unique_violation(&e, "group_member") || is_unique_violation(&e, "group_id") =>
        {
            Err(DomainError::AlreadyMember)
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn activate_member(
    conn: &mut DbConnection,
    group: &GroupId,
    user: &UserId,
) -> DomainResult<bool> {
    Ok(diesel::update(
        group_member::table
            .filter(group_member::group_id.eq(group.as_str()))
            .filter(group_member::user_id.eq(user.as_str()))
            .filter(group_member::status.eq(MembershipStatus::Requested.as_str())),
    )
    .set(group_member::status.eq(MembershipStatus::Active.as_str()))
    .execute(conn)?
        == 1)
}

/// The person's role, when they are an active member.
pub(crate) fn active_role(
    conn: &mut DbConnection,
    group: &GroupId,
    user: &UserId,
) -> DomainResult<Option<GroupRole>> {
    Ok(group_member::table
        .find((group.as_str(), user.as_str()))
        .filter(group_member::status.eq(MembershipStatus::Active.as_str()))
        .select(group_member::role)
        .first(conn)
        .optional()?)
}

pub(crate) fn members(conn: &mut DbConnection, group: &GroupId) -> DomainResult<Vec<GroupMember>> {
    Ok(group_member::table
        .inner_join(app_user::table.on(app_user::id.eq(group_member::user_id)))
        .filter(group_member::group_id.eq(group.as_str()))
        .order(group_member::created_at.asc())
        .select(GroupMember::as_select())
        .load(conn)?)
}

pub(crate) fn record_event(
    conn: &mut DbConnection,
    group: &GroupId,
    kind: &str,
    (from, to): (Option<Stage>, Option<Stage>),
    note: &str,
    actor: Option<&UserId>,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::insert_into(group_event::table)
        .values((
            group_event::id.eq(uuid::Uuid::now_v7().to_string()),
            group_event::group_id.eq(group.as_str()),
            group_event::kind.eq(kind),
            group_event::from_stage.eq(from.map(Stage::as_str)),
            group_event::to_stage.eq(to.map(Stage::as_str)),
            group_event::note.eq(note),
            group_event::actor_id.eq(actor.map(UserId::as_str)),
            group_event::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn timeline(conn: &mut DbConnection, group: &GroupId) -> DomainResult<Vec<GroupEvent>> {
    Ok(group_event::table
        .filter(group_event::group_id.eq(group.as_str()))
        .order(group_event::id.asc())
        .select(GroupEvent::as_select())
        .load(conn)?)
}

/// Members, activities held, verified service minutes and age: what the criteria read.
pub(crate) fn record(
    conn: &mut DbConnection,
    g: &Group,
    now: NaiveDateTime,
) -> DomainResult<Record> {
    let members: i64 = group_member::table
        .filter(group_member::group_id.eq(g.id.as_str()))
        .filter(group_member::status.eq(MembershipStatus::Active.as_str()))
        .count()
        .get_result(conn)?;
    let activities_held: i64 = activity::table
        .filter(activity::group_id.eq(g.id.as_str()))
        .filter(activity::status.eq("COMPLETED"))
        .count()
        .get_result(conn)?;
    let minutes: Vec<Option<i32>> = participation::table
        .inner_join(activity::table)
        .filter(activity::group_id.eq(g.id.as_str()))
        .filter(participation::verified_at.is_not_null())
        .filter(participation::hours_revoked_at.is_null())
        .select(participation::verified_minutes)
        .load(conn)?;
    Ok(Record {
        members,
        activities_held,
        service_minutes: minutes.into_iter().map(|m| i64::from(m.unwrap_or(0))).sum(),
        days_active: (now - g.created_at).num_days(),
        has_mentor: g.mentor_organisation_id.is_some(),
    })
}
