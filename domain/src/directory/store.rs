//! SQL for the directory.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Community, CommunityType, Member, MemberRole, Organisation, OrganisationKind,
    OrganisationStatus,
};
use crate::db::{DbConnection, is_unique_violation};
use crate::error::{DomainError, DomainResult};
use crate::page::{PageRequest, keyset};
use crate::schema::{app_user, community, organisation, organisation_member};
use crate::types::{CommunityId, OrganisationId, UserId};

type CommunityRow = (String, String, String, String, NaiveDateTime);

const COMMUNITY_COLUMNS: (
    community::id,
    community::name,
    community::street,
    community::community_type,
    community::created_at,
) = (
    community::id,
    community::name,
    community::street,
    community::community_type,
    community::created_at,
);

fn to_community((id, name, street, kind, created_at): CommunityRow) -> DomainResult<Community> {
    let community_type = CommunityType::parse(&kind)
        .ok_or_else(|| DomainError::internal(format!("unknown community type {kind}")))?;
    Ok(Community {
        id: CommunityId::from_db(id),
        name,
        street,
        community_type,
        created_at,
    })
}

pub(crate) fn find_community(
    conn: &mut DbConnection,
    id: &CommunityId,
) -> DomainResult<Option<Community>> {
    community::table
        .find(id.as_str())
        .select(COMMUNITY_COLUMNS)
        .first::<CommunityRow>(conn)
        .optional()?
        .map(to_community)
        .transpose()
}

/// One page of communities ordered by id.
pub(crate) fn list_communities(
    conn: &mut DbConnection,
    page: &PageRequest,
) -> DomainResult<Vec<Community>> {
    let query = community::table.select(COMMUNITY_COLUMNS).into_boxed();
    keyset!(query, community::id, newest_first: false, page)
        .load::<CommunityRow>(conn)?
        .into_iter()
        .map(to_community)
        .collect()
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

type OrganisationRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    NaiveDateTime,
);

const ORGANISATION_COLUMNS: (
    organisation::id,
    organisation::name,
    organisation::kind,
    organisation::description,
    organisation::community_id,
    organisation::contact,
    organisation::status,
    organisation::status_reason,
    organisation::created_at,
) = (
    organisation::id,
    organisation::name,
    organisation::kind,
    organisation::description,
    organisation::community_id,
    organisation::contact,
    organisation::status,
    organisation::status_reason,
    organisation::created_at,
);

fn to_organisation(row: OrganisationRow) -> DomainResult<Organisation> {
    let (id, name, kind, description, community_id, contact, status, status_reason, created_at) =
        row;
    Ok(Organisation {
        id: OrganisationId::from_db(id),
        name,
        kind: OrganisationKind::parse(&kind)
            .ok_or_else(|| DomainError::internal(format!("unknown organisation kind {kind}")))?,
        description,
        community_id: community_id.map(CommunityId::from_db),
        contact,
        status: OrganisationStatus::parse(&status).ok_or_else(|| {
            DomainError::internal(format!("unknown organisation status {status}"))
        })?,
        status_reason,
        created_at,
    })
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
    organisation::table
        .find(id.as_str())
        .select(ORGANISATION_COLUMNS)
        .first::<OrganisationRow>(conn)
        .optional()?
        .map(to_organisation)
        .transpose()
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
    let role = organisation_member::table
        .find((organisation_id.as_str(), user_id.as_str()))
        .select(organisation_member::role)
        .first::<String>(conn)
        .optional()?;
    Ok(role.as_deref().and_then(MemberRole::parse))
}

/// The organisations a user belongs to, with their role in each.
pub(crate) fn memberships(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> DomainResult<Vec<(Organisation, MemberRole)>> {
    let rows = organisation_member::table
        .inner_join(organisation::table)
        .filter(organisation_member::user_id.eq(user_id.as_str()))
        .order(organisation::name.asc())
        .select((ORGANISATION_COLUMNS, organisation_member::role))
        .load::<(OrganisationRow, String)>(conn)?;
    rows.into_iter()
        .map(|(row, role)| {
            let role = MemberRole::parse(&role)
                .ok_or_else(|| DomainError::internal(format!("unknown member role {role}")))?;
            Ok((to_organisation(row)?, role))
        })
        .collect()
}

/// Organisations in one status, oldest first (the staff review queue reads pending ones).
pub(crate) fn organisations_by_status(
    conn: &mut DbConnection,
    status: OrganisationStatus,
    page: &PageRequest,
) -> DomainResult<Vec<Organisation>> {
    let query = organisation::table
        .filter(organisation::status.eq(status.as_str()))
        .select(ORGANISATION_COLUMNS)
        .into_boxed();
    keyset!(query, organisation::id, newest_first: false, page)
        .load::<OrganisationRow>(conn)?
        .into_iter()
        .map(to_organisation)
        .collect()
}

pub(crate) fn count_organisations_by_status(
    conn: &mut DbConnection,
    status: OrganisationStatus,
) -> DomainResult<i64> {
    Ok(organisation::table
        .filter(organisation::status.eq(status.as_str()))
        .count()
        .get_result(conn)?)
}

/// Organisations by id, in one query (for pages that show each item's organisation).
pub(crate) fn organisations_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<Vec<Organisation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organisation::table
        .filter(organisation::id.eq_any(ids))
        .select(ORGANISATION_COLUMNS)
        .load::<OrganisationRow>(conn)?
        .into_iter()
        .map(to_organisation)
        .collect()
}

/// Communities by id, in one query.
pub(crate) fn communities_by_ids(
    conn: &mut DbConnection,
    ids: &[String],
) -> DomainResult<Vec<Community>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    community::table
        .filter(community::id.eq_any(ids))
        .select(COMMUNITY_COLUMNS)
        .load::<CommunityRow>(conn)?
        .into_iter()
        .map(to_community)
        .collect()
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
    let rows = organisation_member::table
        .inner_join(app_user::table)
        .filter(organisation_member::organisation_id.eq(organisation_id.as_str()))
        .order((
            organisation_member::role.desc(),
            organisation_member::created_at.asc(),
        ))
        .select((
            app_user::id,
            app_user::display_name,
            organisation_member::role,
        ))
        .load::<(String, String, String)>(conn)?;
    rows.into_iter()
        .map(|(id, display_name, role)| {
            let role = MemberRole::parse(&role)
                .ok_or_else(|| DomainError::internal(format!("unknown member role {role}")))?;
            Ok(Member {
                user_id: UserId::from_db(id),
                display_name,
                role,
            })
        })
        .collect()
}

/// Takes the organisation's row lock until commit (PostgreSQL; SQLite's write transaction
/// already holds the database), so membership changes of one organisation run one at a time.
pub(crate) fn lock_organisation(conn: &mut DbConnection, id: &OrganisationId) -> DomainResult<()> {
    diesel::update(organisation::table.find(id.as_str()))
        .set(organisation::id.eq(organisation::id))
        .execute(conn)?;
    Ok(())
}
