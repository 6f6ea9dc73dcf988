//! Needs, matches, and what the scorer reads about possible candidates.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    CandidateKind, MatchCase, MatchStatus, Need, NeedFilter, NeedOrder, NeedStatus, NeedStep,
    STEPS_SHOWN, StepAction, UNMATCHED,
};
use crate::catalogue::{Product, ProductStatus};
use crate::db::{DbConnection, is_unique_violation};
use crate::directory::{Organisation, OrganisationStatus};
use crate::error::{DomainError, DomainResult};
use crate::incubation::{Group, Stage};
use crate::page::PageRequest;
use crate::schema::{
    activity, audit_event, community, community_group, match_case, need, organisation, product,
    product_community,
};
use crate::types::{GroupId, MatchId, NeedId, UserId};

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
            need::sla_due_at.eq(n.sla_due_at),
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

/// A page of needs in `order`, keyset-paged by the id of the need at the cursor: its keys
/// (wanted-by date, or past-SLA and SLA time) are read afresh, so a cursor stays valid while
/// needs change. Returns the page's rows, one more than asked, and the count of all that match.
pub(super) fn needs(
    conn: &mut DbConnection,
    filter: &NeedFilter,
    order: NeedOrder,
    now: NaiveDateTime,
    page: &PageRequest,
) -> DomainResult<(Vec<Need>, i64)> {
    let unmatched: Vec<&str> = UNMATCHED.iter().map(|s| s.as_str()).collect();
    // Past its SLA without a match: the board's first key (true sorts after false on both
    // engines, so this orders descending).
    let past_sla = || {
        need::status
            .eq_any(unmatched.clone())
            .and(need::sla_due_at.lt(now))
    };
    let filtered = || {
        let mut query = need::table.into_boxed();
        if let Some(community) = &filter.community {
            query = query.filter(need::community_id.eq(community.as_str().to_owned()));
        }
        if let Some(status) = filter.status {
            query = query.filter(need::status.eq(status.as_str()));
        }
        if filter.overdue_only {
            query = query
                .filter(need::status.eq_any(unmatched.clone()))
                .filter(need::wanted_by.lt(now));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let mut query = filtered().select(Need::as_select());
    for (cursor, later, field) in [
        (&page.after, true, "after"),
        (&page.before, false, "before"),
    ] {
        let Some(cursor) = cursor else { continue };
        let at = NeedId::parse(cursor)
            .map(|id| find_need(conn, &id))
            .transpose()?
            .flatten()
            .ok_or_else(|| DomainError::invalid(field, "游标不正确"))?;
        let id = at.id.as_str().to_owned();
        query = match order {
            NeedOrder::WantedBy => {
                let (t, tie) = (at.wanted_by, id);
                if later {
                    query.filter(
                        need::wanted_by
                            .gt(t)
                            .or(need::wanted_by.eq(t).and(need::id.gt(tie))),
                    )
                } else {
                    query.filter(
                        need::wanted_by
                            .lt(t)
                            .or(need::wanted_by.eq(t).and(need::id.lt(tie))),
                    )
                }
            }
            NeedOrder::UrgentFirst => {
                let (t, tie) = (at.sla_due_at, id);
                let beyond = need::sla_due_at
                    .gt(t)
                    .or(need::sla_due_at.eq(t).and(need::id.gt(tie.clone())));
                let short = need::sla_due_at
                    .lt(t)
                    .or(need::sla_due_at.eq(t).and(need::id.lt(tie)));
                // Needs past their SLA come first: after one of them comes every need not
                // past it; before one not past it, every need past it.
                match (later, at.past_sla(now)) {
                    (true, true) => query.filter(diesel::dsl::not(past_sla()).or(beyond)),
                    (true, false) => query.filter(diesel::dsl::not(past_sla()).and(beyond)),
                    (false, true) => query.filter(past_sla().and(short)),
                    (false, false) => query.filter(past_sla().or(short)),
                }
            }
        };
    }
    // Reading backwards takes the rows nearest the end first.
    query = match (order, page.backward) {
        (NeedOrder::WantedBy, false) => query.order((need::wanted_by.asc(), need::id.asc())),
        (NeedOrder::WantedBy, true) => query.order((need::wanted_by.desc(), need::id.desc())),
        (NeedOrder::UrgentFirst, false) => {
            query.order((past_sla().desc(), need::sla_due_at.asc(), need::id.asc()))
        }
        (NeedOrder::UrgentFirst, true) => {
            query.order((past_sla().asc(), need::sla_due_at.desc(), need::id.desc()))
        }
    };
    Ok((query.limit(page.limit()).load(conn)?, total))
}

/// Unmatched needs past their SLA and not escalated yet, oldest SLA first.
pub(super) fn due_for_escalation(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> DomainResult<Vec<Need>> {
    let unmatched: Vec<&str> = UNMATCHED.iter().map(|s| s.as_str()).collect();
    Ok(need::table
        .filter(need::status.eq_any(unmatched))
        .filter(need::sla_due_at.lt(now))
        .filter(need::escalated_at.is_null())
        .order((need::sla_due_at.asc(), need::id.asc()))
        .limit(limit)
        .select(Need::as_select())
        .load(conn)?)
}

/// Escalates a need to `to` if it still is unmatched, past its SLA and not escalated: false
/// when another sweep (of this or another instance) got there first, or a match came.
pub(super) fn escalate(
    conn: &mut DbConnection,
    id: &NeedId,
    to: &UserId,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let unmatched: Vec<&str> = UNMATCHED.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(
        need::table
            .filter(need::id.eq(id.as_str()))
            .filter(need::status.eq_any(unmatched))
            .filter(need::sla_due_at.lt(now))
            .filter(need::escalated_at.is_null()),
    )
    .set((
        need::escalated_to.eq(Some(to.as_str())),
        need::escalated_at.eq(Some(now)),
    ))
    .execute(conn)?
        == 1)
}

/// A need's steps after its posting, from the audit trail, in the order they happened.
pub(super) fn steps(conn: &mut DbConnection, id: &NeedId) -> DomainResult<Vec<NeedStep>> {
    let actions: Vec<&str> = StepAction::ALL
        .iter()
        .filter_map(|s| s.audit_action())
        .collect();
    let rows = audit_event::table
        .filter(audit_event::subject_kind.eq("need"))
        .filter(audit_event::subject_id.eq(id.as_str()))
        .filter(audit_event::action.eq_any(actions))
        .order(audit_event::id.asc())
        // The need's posting is the first step shown.
        .limit(i64::try_from(STEPS_SHOWN - 1).unwrap_or(i64::MAX))
        .select((
            audit_event::action,
            audit_event::actor_id,
            audit_event::created_at,
            audit_event::detail,
        ))
        .load::<(String, Option<UserId>, NaiveDateTime, String)>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(action, actor, at, detail)| {
            Some(NeedStep {
                action: StepAction::from_audit(&action)?,
                actor,
                at,
                note: Some(detail).filter(|d| !d.is_empty()),
            })
        })
        .collect())
}

/// The products', organisations' and groups' names, by kind and raw id.
pub(super) fn candidate_names(
    conn: &mut DbConnection,
    keys: &[(CandidateKind, String)],
) -> DomainResult<HashMap<(CandidateKind, String), String>> {
    let ids = |kind: CandidateKind| -> Vec<String> {
        keys.iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let mut names = HashMap::new();
    for (kind, rows) in [
        (
            CandidateKind::Product,
            product::table
                .filter(product::id.eq_any(ids(CandidateKind::Product)))
                .select((product::id, product::title))
                .load::<(String, String)>(conn)?,
        ),
        (
            CandidateKind::Organisation,
            organisation::table
                .filter(organisation::id.eq_any(ids(CandidateKind::Organisation)))
                .select((organisation::id, organisation::name))
                .load::<(String, String)>(conn)?,
        ),
        (
            CandidateKind::Group,
            community_group::table
                .filter(community_group::id.eq_any(ids(CandidateKind::Group)))
                .select((community_group::id, community_group::name))
                .load::<(String, String)>(conn)?,
        ),
    ] {
        names.extend(rows.into_iter().map(|(id, name)| ((kind, id), name)));
    }
    Ok(names)
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

/// Files a proposed match.
pub(super) fn insert_match(conn: &mut DbConnection, m: &MatchCase) -> DomainResult<()> {
    let inserted = diesel::insert_into(match_case::table)
        .values((
            match_case::id.eq(&m.id),
            match_case::need_id.eq(&m.need_id),
            match_case::candidate_kind.eq(m.kind),
            match_case::candidate_id.eq(&m.candidate_id),
            match_case::score.eq(i32::try_from(m.score).unwrap_or(0)),
            match_case::reasons.eq(&m.reasons),
            match_case::status.eq(m.status),
            match_case::proposed_by.eq(&m.proposed_by),
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

/// Moves a match on from `from` if it still is there, recording who and when: an answer
/// (accepted or declined) as the response, a delivery as the delivery.
pub(super) fn set_match_status(
    conn: &mut DbConnection,
    id: &MatchId,
    from: MatchStatus,
    to: MatchStatus,
    by: &UserId,
    now: NaiveDateTime,
) -> DomainResult<bool> {
    let target = match_case::table
        .filter(match_case::id.eq(id.as_str()))
        .filter(match_case::status.eq(from.as_str()));
    let status = match_case::status.eq(to.as_str());
    let changed = if to == MatchStatus::Delivered {
        diesel::update(target)
            .set((
                status,
                match_case::delivered_by.eq(Some(by.as_str())),
                match_case::delivered_at.eq(Some(now)),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                status,
                match_case::responded_by.eq(Some(by.as_str())),
                match_case::responded_at.eq(Some(now)),
            ))
            .execute(conn)?
    };
    Ok(changed == 1)
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
