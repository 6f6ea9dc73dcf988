//! SQL for the directory.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Community, Member, MemberRole, Organisation, OrganisationStatus};
use super::service::OrganisationFilter;
use crate::db::{DbConnection, is_unique_violation, lower};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{app_user, community, organisation, organisation_member};
use crate::types::{CommunityId, OrganisationId, UserId};

pub(crate) fn find_community(
    conn: &mut DbConnection,
    id: &CommunityId,
) -> DomainResult<Option<Community>> {
    Ok(community::table
        .find(id.as_str())
        .select(Community::as_select())
        .first(conn)
        .optional()?)
}

/// One page of communities ordered by id.
pub(crate) fn list_communities(
    conn: &mut DbConnection,
    page: &PageRequest,
) -> DomainResult<Vec<Community>> {
    let query = community::table.select(Community::as_select()).into_boxed();
    Ok(keyset!(query, community::id, newest_first: false, page).load(conn)?)
}

pub(crate) fn count_communities(conn: &mut DbConnection) -> DomainResult<i64> {
    Ok(community::table.count().get_result(conn)?)
}

pub(crate) fn insert_community(conn: &mut DbConnection, c: &Community) -> DomainResult<()> {
    let result = diesel::insert_into(community::table)
        .values((
            community::id.eq(c.id.as_str()),
            community::name.eq(&c.name),
            community::street.eq(&c.street),
            community::community_type.eq(c.community_type.as_str()),
            community::created_at.eq(c.created_at),
        ))
        .execute(conn);
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "name") => {
            Err(DomainError::invalid("name", "该社区已存在"))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn insert_organisation(conn: &mut DbConnection, o: &Organisation) -> DomainResult<()> {
    let result = diesel::insert_into(organisation::table)
        .values((
            organisation::id.eq(o.id.as_str()),
            organisation::name.eq(&o.name),
            organisation::kind.eq(o.kind.as_str()),
            organisation::description.eq(&o.description),
            organisation::community_id.eq(o.community_id.as_ref().map(CommunityId::as_str)),
            organisation::contact.eq(&o.contact),
            organisation::status.eq(o.status.as_str()),
            organisation::status_reason.eq(o.status_reason.as_deref()),
            organisation::created_at.eq(o.created_at),
            organisation::updated_at.eq(o.created_at),
        ))
        .execute(conn);
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "name") => Err(DomainError::OrganisationNameTaken),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn find_organisation(
    conn: &mut DbConnection,
    id: &OrganisationId,
) -> DomainResult<Option<Organisation>> {
    Ok(organisation::table
        .find(id.as_str())
        .select(Organisation::as_select())
        .first(conn)
        .optional()?)
}

/// Moves an organisation from `from` to `to`; false when its status was no longer `from`.
pub(crate) fn change_organisation_status(
    conn: &mut DbConnection,
    id: &OrganisationId,
    from: OrganisationStatus,
    to: OrganisationStatus,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let updated = diesel::update(
        organisation::table
            .filter(organisation::id.eq(id.as_str()))
            .filter(organisation::status.eq(from.as_str())),
    )
    .set((
        organisation::status.eq(to.as_str()),
        organisation::status_reason.eq(reason),
        organisation::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn insert_member(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
    user_id: &UserId,
    role: MemberRole,
    now: NaiveDateTime,
) -> DomainResult<()> {
    diesel::insert_into(organisation_member::table)
        .values((
            organisation_member::organisation_id.eq(organisation_id.as_str()),
            organisation_member::user_id.eq(user_id.as_str()),
            organisation_member::role.eq(role.as_str()),
            organisation_member::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn member_role(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
    user_id: &UserId,
) -> DomainResult<Option<MemberRole>> {
    Ok(organisation_member::table
        .find((organisation_id.as_str(), user_id.as_str()))
        .select(organisation_member::role)
        .first(conn)
        .optional()?)
}

/// The organisations a user belongs to, with their role in each.
/// A person's organisations by name, at most [`super::MEMBERSHIPS_LISTED`] (the bound the
/// API prices the list at).
pub(crate) fn memberships(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> DomainResult<Vec<(Organisation, MemberRole)>> {
    Ok(organisation_member::table
        .inner_join(organisation::table)
        .filter(organisation_member::user_id.eq(user_id.as_str()))
        .order(organisation::name.asc())
        .limit(super::MEMBERSHIPS_LISTED)
        .select((Organisation::as_select(), organisation_member::role))
        .load(conn)?)
}

/// One page of the organisations matching the filter (`pattern` as from
/// [`crate::types::contains_pattern`], on the name or contact), with how many match: pending
/// ones oldest first (the review queue), any other listing newest first.
pub(crate) fn organisations(
    conn: &mut DbConnection,
    pattern: Option<&str>,
    filter: &OrganisationFilter,
    page: &PageRequest,
) -> DomainResult<(Vec<Organisation>, i64)> {
    macro_rules! filtered {
        () => {{
            let mut q = organisation::table.into_boxed();
            if let Some(pattern) = pattern {
                q = q.filter(
                    lower(organisation::name)
                        .like(pattern.to_owned())
                        .escape('\\')
                        .or(lower(organisation::contact)
                            .like(pattern.to_owned())
                            .escape('\\')),
                );
            }
            if let Some(status) = filter.status {
                q = q.filter(organisation::status.eq(status.as_str()));
            }
            if let Some(community) = &filter.community_id {
                q = q.filter(organisation::community_id.eq(community.as_str().to_owned()));
            }
            q
        }};
    }
    let total: i64 = filtered!().count().get_result(conn)?;
    let query = filtered!().select(Organisation::as_select());
    let queue = filter.status == Some(OrganisationStatus::Pending);
    let rows = keyset!(query, organisation::id, newest_first: !queue, page).load(conn)?;
    Ok((rows, total))
}

/// Organisations by id, in one query (for pages that show each item's organisation).
pub(crate) fn organisations_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<Vec<Organisation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(organisation::table
        .filter(organisation::id.eq_any(ids))
        .select(Organisation::as_select())
        .load(conn)?)
}

/// Communities by id, in one query.
pub(crate) fn communities_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<Vec<Community>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(community::table
        .filter(community::id.eq_any(ids))
        .select(Community::as_select())
        .load(conn)?)
}

pub(crate) fn remove_member(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
    user_id: &UserId,
) -> DomainResult<bool> {
    let removed = diesel::delete(
        organisation_member::table.find((organisation_id.as_str(), user_id.as_str())),
    )
    .execute(conn)?;
    Ok(removed == 1)
}

pub(crate) fn count_owners(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
) -> DomainResult<i64> {
    Ok(organisation_member::table
        .filter(organisation_member::organisation_id.eq(organisation_id.as_str()))
        .filter(organisation_member::role.eq(MemberRole::Owner.as_str()))
        .count()
        .get_result(conn)?)
}

/// An organisation's members with their display names and roles, owners first.
pub(crate) fn members(
    conn: &mut DbConnection,
    organisation_id: &OrganisationId,
) -> DomainResult<Vec<Member>> {
    Ok(organisation_member::table
        .inner_join(app_user::table)
        .filter(organisation_member::organisation_id.eq(organisation_id.as_str()))
        .order((
            organisation_member::role.desc(),
            organisation_member::created_at.asc(),
        ))
        .select(Member::as_select())
        .load(conn)?)
}

/// Takes the organisation's row lock until commit (PostgreSQL; SQLite's write transaction
/// already holds the database), so membership changes of one organisation run one at a time.
pub(crate) fn lock_organisation(conn: &mut DbConnection, id: &OrganisationId) -> DomainResult<()> {
    diesel::update(organisation::table.find(id.as_str()))
        .set(organisation::id.eq(organisation::id))
        .execute(conn)?;
    Ok(())
}
