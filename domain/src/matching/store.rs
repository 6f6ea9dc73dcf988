//! Needs, matches, and what the scorer reads about possible candidates.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{CandidateKind, MatchCase, MatchStatus, Need, NeedStatus};
use crate::catalogue::{Product, ProductStatus};
use crate::db::{DbConnection, is_unique_violation};
use crate::directory::{Organisation, OrganisationStatus};
use crate::error::{DomainError, DomainResult};
use crate::incubation::{Group, Stage};
use crate::schema::{
    activity, community, community_group, match_case, need, organisation, product,
    product_community,
};
use crate::types::{CommunityId, GroupId, MatchId, NeedId, UserId};

pub(super) fn insert_need(conn: &mut DbConnection, n: &Need) -> DomainResult<()> {
    diesel::insert_into(need::table)
        .values((
            need::id.eq(n.id.as_str()),
            need::community_id.eq(n.community_id.as_str()),
            need::category_id.eq(&n.category_id),
            need::title.eq(&n.title),
            need::description.eq(&n.description),
            need::urgency.eq(n.urgency.as_str()),
            need::wanted_by.eq(n.wanted_by),
            need::status.eq(n.status.as_str()),
            need::posted_by.eq(n.posted_by.as_str()),
            need::group_id.eq(n.group_id.as_ref().map(GroupId::as_str)),
            need::created_at.eq(n.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn find_need(conn: &mut DbConnection, id: &NeedId) -> DomainResult<Option<Need>> {
    Ok(need::table
        .find(id.as_str())
        .select(Need::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn needs(
    conn: &mut DbConnection,
    community: Option<&CommunityId>,
    status: Option<NeedStatus>,
) -> DomainResult<Vec<Need>> {
    let mut query = need::table
        .select(Need::as_select())
        .order(need::wanted_by.asc())
        .limit(500)
        .into_boxed();
    if let Some(community) = community {
        query = query.filter(need::community_id.eq(community.as_str().to_owned()));
    }
    if let Some(status) = status {
        query = query.filter(need::status.eq(status.as_str()));
    }
    Ok(query.load(conn)?)
}

pub(super) fn set_need_status(
    conn: &mut DbConnection,
    id: &NeedId,
    from: &[NeedStatus],
    to: NeedStatus,
) -> DomainResult<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        need::table
            .filter(need::id.eq(id.as_str()))
            .filter(need::status.eq_any(from)),
    )
    .set(need::status.eq(to.as_str()))
    .execute(conn)?
        == 1)
}

pub(super) fn record_outcome(
    conn: &mut DbConnection,
    id: &NeedId,
    outcome: &str,
    served: i32,
) -> DomainResult<()> {
    diesel::update(need::table.find(id.as_str()))
        .set((
            need::outcome.eq(Some(outcome)),
            need::residents_served.eq(Some(served)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Files a proposed match, by the staff member who proposed it.
pub(super) fn insert_match(
    conn: &mut DbConnection,
    m: &MatchCase,
    by: &UserId,
) -> DomainResult<()> {
    let inserted = diesel::insert_into(match_case::table)
        .values((
            match_case::id.eq(&m.id),
            match_case::need_id.eq(&m.need_id),
            match_case::candidate_kind.eq(m.kind),
            match_case::candidate_id.eq(&m.candidate_id),
            match_case::score.eq(i32::try_from(m.score).unwrap_or(0)),
            match_case::reasons.eq(&m.reasons),
            match_case::status.eq(m.status),
            match_case::proposed_by.eq(by),
            match_case::created_at.eq(m.created_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "candidate") || is_unique_violation(&e, "need_id") => {
            Err(DomainError::InvalidState("已向该对象提出过对接"))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn find_match(conn: &mut DbConnection, id: &MatchId) -> DomainResult<Option<MatchCase>> {
    Ok(match_case::table
        .find(id.as_str())
        .select(MatchCase::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn matches_of(
    conn: &mut DbConnection,
    need_id: &NeedId,
) -> DomainResult<Vec<MatchCase>> {
    Ok(match_case::table
        .filter(match_case::need_id.eq(need_id.as_str()))
        .order(match_case::id.asc())
        .select(MatchCase::as_select())
        .load(conn)?)
}

pub(super) fn set_match_status(
    conn: &mut DbConnection,
    id: &MatchId,
    from: MatchStatus,
    to: MatchStatus,
    by: &UserId,
) -> DomainResult<bool> {
    Ok(diesel::update(
        match_case::table
            .filter(match_case::id.eq(id.as_str()))
            .filter(match_case::status.eq(from.as_str())),
    )
    .set((
        match_case::status.eq(to.as_str()),
        match_case::responded_by.eq(Some(by.as_str())),
    ))
    .execute(conn)?
        == 1)
}

/// What the scorer knows about one possible candidate.
pub(super) struct Offer {
    pub kind: CandidateKind,
    pub id: String,
    pub name: String,
    pub text: String,
    pub category_id: Option<String>,
    pub communities: Vec<String>,
    pub owner_organisation: Option<String>,
    pub active: bool,
}

pub(super) fn offers(conn: &mut DbConnection) -> DomainResult<Vec<Offer>> {
    let mut served: HashMap<String, Vec<String>> = HashMap::new();
    for (p, c) in product_community::table
        .select((
            product_community::product_id,
            product_community::community_id,
        ))
        .load::<(String, String)>(conn)?
    {
        served.entry(p).or_default().push(c);
    }
    let mut out = Vec::new();
    for p in product::table
        .filter(product::status.eq(ProductStatus::Published))
        .select(Product::as_select())
        .load(conn)?
    {
        let id = p.id.as_str().to_owned();
        out.push(Offer {
            kind: CandidateKind::Product,
            communities: served.remove(&id).unwrap_or_default(),
            id,
            text: format!("{} {} {}", p.title, p.summary, p.description),
            name: p.title,
            category_id: Some(p.category_id),
            owner_organisation: Some(p.organisation_id.as_str().to_owned()),
            active: true,
        });
    }
    for o in organisation::table
        .filter(organisation::status.eq(OrganisationStatus::Verified))
        .select(Organisation::as_select())
        .load(conn)?
    {
        out.push(Offer {
            kind: CandidateKind::Organisation,
            id: o.id.as_str().to_owned(),
            owner_organisation: Some(o.id.as_str().to_owned()),
            text: format!("{} {}", o.name, o.description),
            name: o.name,
            category_id: None,
            communities: o
                .community_id
                .map(|c| c.as_str().to_owned())
                .into_iter()
                .collect(),
            active: true,
        });
    }
    for g in community_group::table
        .filter(community_group::stage.ne(Stage::Dissolved))
        .select(Group::as_select())
        .load(conn)?
    {
        out.push(Offer {
            kind: CandidateKind::Group,
            id: g.id.as_str().to_owned(),
            text: format!("{} {}", g.name, g.purpose),
            name: g.name,
            category_id: Some(g.category_id),
            communities: vec![g.community_id.as_str().to_owned()],
            owner_organisation: None,
            active: matches!(
                g.stage,
                Stage::Incubating | Stage::Growing | Stage::Graduated
            ),
        });
    }
    Ok(out)
}

/// Organisations and groups that ran an activity starting after `since`.
pub(super) fn recently_active(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> DomainResult<HashSet<String>> {
    let rows = activity::table
        .filter(activity::starts_at.ge(since))
        .filter(activity::status.ne("CANCELLED"))
        .select((activity::organisation_id, activity::group_id))
        .load::<(String, Option<String>)>(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(o, g)| std::iter::once(o).chain(g))
        .collect())
}

/// Delivered matches per candidate id.
pub(super) fn delivered_counts(conn: &mut DbConnection) -> DomainResult<HashMap<String, i64>> {
    let mut counts = HashMap::new();
    for id in match_case::table
        .filter(match_case::status.eq(MatchStatus::Delivered.as_str()))
        .select(match_case::candidate_id)
        .load::<String>(conn)?
    {
        *counts.entry(id).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Community id → (name, street).
pub(super) fn communities(
    conn: &mut DbConnection,
) -> DomainResult<HashMap<String, (String, String)>> {
    Ok(community::table
        .select((community::id, community::name, community::street))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, street)| (id, (name, street)))
        .collect())
}
