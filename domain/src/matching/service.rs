//! Needs and matching use cases.

use std::collections::{HashMap, HashSet};

use chrono::TimeDelta;

use super::store::{self, Offer};
use super::{
    Candidate, CandidateKind, MatchCase, MatchStatus, Need, NeedFilter, NeedOrder, NeedStatus,
    NeedStep, NewNeed, StepAction, UNMATCHED,
};
use crate::Services;
use crate::catalogue::{Category, search};
use crate::creation::{Keyed, Subject, create_once};
use crate::db::DbConnection;
use crate::directory::{self, MemberRole};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Actor, Role, User};
use crate::incubation;
use crate::outbox::{self, Template};
use crate::page::{Page, PageRequest};
use crate::types::{
    GroupId, IdempotencyKey, MatchId, NeedId, OrganisationId, ProductId, UserId, china_time, text,
};

/// Candidates returned for one need.
const TOP: usize = 10;

/// Needs one escalation sweep takes on; the rest wait for the next run.
const ESCALATIONS_PER_SWEEP: i64 = 200;

/// Who overdue needs are escalated to, as the configuration names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A staff member (or admin) to escalate to.
    Staff(User),
    /// `LINLI_NEED_ESCALATION_EMAIL` is unset and no administrator exists yet: needs wait,
    /// unescalated, until one does.
    NoAdministrator,
    /// The configured email is nobody's login.
    NoAccount,
    /// The configured email belongs to someone who is not staff.
    NotStaff(Role),
}

pub struct Matching<'a> {
    services: &'a Services,
}

impl<'a> Matching<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Residents, group convenors and staff post a need for a community.
    #[tracing::instrument(skip_all, fields(community = %input.community_id, group = ?input.group_id))]
    /// With `key`, the same request sent again returns the need the first one posted.
    pub fn post_need(
        &self,
        actor: &Actor,
        input: NewNeed,
        key: Option<&IdempotencyKey>,
    ) -> DomainResult<Need> {
        let poster = actor.user_id()?;
        let now = self.services.clock.now();
        if input.wanted_by <= now {
            return Err(DomainError::invalid("wantedBy", "期望日期须晚于现在"));
        }
        let need = Need {
            id: NeedId::generate(),
            community_id: input.community_id.clone(),
            category_id: text(&input.category_id, "categoryId", 1, 40)?,
            title: text(&input.title, "title", 2, 60)?,
            description: text(&input.description, "description", 2, 2000)?,
            urgency: input.urgency,
            wanted_by: input.wanted_by,
            status: NeedStatus::Open,
            posted_by: poster.clone(),
            group_id: input.group_id.clone(),
            outcome: None,
            residents_served: None,
            created_at: now,
            sla_due_at: now + self.services.settings.need_sla.of(input.urgency),
            escalated_to: None,
            escalated_at: None,
        };
        let keyed = key.map(|key| Keyed {
            creator: poster,
            key,
            request: format!("{input:?}"),
        });
        let find = |conn: &mut DbConnection, id: &str| match NeedId::parse(id) {
            Some(id) => find_need(conn, &id),
            None => Err(DomainError::internal(
                "a creation names a need id that is not one",
            )),
        };
        create_once(self.services, Subject::Need, keyed, find, |conn, _| {
            directory::store::find_community(conn, &need.community_id)?
                .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
            if !crate::catalogue::category_exists(conn, &need.category_id)? {
                return Err(DomainError::invalid("categoryId", "分类不存在"));
            }
            if let Some(group) = &need.group_id {
                incubation::service::require_convenor(conn, group, poster)?;
            }
            store::insert_need(conn, &need)?;
            Ok((need.id.to_string(), need.clone()))
        })
    }

    pub fn need(&self, id: &NeedId) -> DomainResult<Need> {
        self.services.db.read(|conn| find_need(conn, id))
    }

    /// Needs in `order` (soonest wanted first, or the board's: past their SLA first, then the
    /// soonest SLA), keyset-paged.
    pub fn needs(
        &self,
        filter: &NeedFilter,
        order: NeedOrder,
        page: &PageRequest,
    ) -> DomainResult<Page<Need>> {
        let now = self.services.clock.now();
        self.services.db.read(|conn| {
            let (mut items, total) = store::needs(conn, filter, order, now, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Staff: who posted a need. Who acted on a need is for staff only; when is public.
    pub fn posted_by(&self, actor: &Actor, need: &Need) -> DomainResult<UserId> {
        actor.require_staff()?;
        Ok(need.posted_by.clone())
    }

    /// Staff: who a need was escalated to.
    pub fn escalated_to(&self, actor: &Actor, need: &Need) -> DomainResult<Option<UserId>> {
        actor.require_staff()?;
        Ok(need.escalated_to.clone())
    }

    /// Staff: who proposed a match.
    pub fn proposed_by(&self, actor: &Actor, case: &MatchCase) -> DomainResult<UserId> {
        actor.require_staff()?;
        Ok(case.proposed_by.clone())
    }

    /// Staff: who on the offering side answered a match.
    pub fn responded_by(&self, actor: &Actor, case: &MatchCase) -> DomainResult<Option<UserId>> {
        actor.require_staff()?;
        Ok(case.responded_by.clone())
    }

    /// Staff: every step of a need with who took it and when, oldest first: its posting (from
    /// the need) and the rest from the audit trail, in one query.
    pub fn steps(&self, actor: &Actor, id: &NeedId) -> DomainResult<Vec<NeedStep>> {
        actor.require_staff()?;
        self.services.db.read(|conn| {
            let need = find_need(conn, id)?;
            let posted = NeedStep {
                action: StepAction::Posted,
                actor: Some(need.posted_by),
                at: need.created_at,
                note: None,
            };
            let mut steps = vec![posted];
            steps.extend(store::steps(conn, id)?);
            Ok(steps)
        })
    }

    /// The names of the matches' candidates (a product's title, an organisation's or group's
    /// name), by kind and raw id, in one batch; candidates since removed are left out.
    pub fn candidate_names(
        &self,
        keys: &[(CandidateKind, String)],
    ) -> DomainResult<HashMap<(CandidateKind, String), String>> {
        self.services
            .db
            .read(|conn| store::candidate_names(conn, keys))
    }

    /// Who overdue needs go to: the staff member whose login is `LINLI_NEED_ESCALATION_EMAIL`,
    /// or, unset, the longest-standing administrator.
    pub fn escalation_recipient(&self) -> DomainResult<Recipient> {
        let configured = self.services.settings.need_escalation_email.clone();
        self.services.db.read(|conn| {
            let Some(email) = configured else {
                return Ok(crate::identity::store::first_admin(conn)?
                    .map_or(Recipient::NoAdministrator, Recipient::Staff));
            };
            let login = crate::identity::model::LoginIdentifier::Email(email);
            Ok(match crate::identity::store::find_by_login(conn, &login)? {
                None => Recipient::NoAccount,
                Some((user, _)) if user.role.is_staff() => Recipient::Staff(user),
                Some((user, _)) => Recipient::NotStaff(user.role),
            })
        })
    }

    /// The periodic sweep: each unmatched need past its SLA is escalated once to the
    /// [recipient](Self::escalation_recipient), audited, with a `NEED_ESCALATED` email queued
    /// in the same transaction. Each escalation is a conditional update, so sweeps running at
    /// once (on several instances) escalate a need once. Returns how many it escalated.
    #[tracing::instrument(skip_all)]
    pub fn escalate_due(&self) -> DomainResult<usize> {
        let now = self.services.clock.now();
        let due = self
            .services
            .db
            .read(|conn| store::due_for_escalation(conn, now, ESCALATIONS_PER_SWEEP))?;
        if due.is_empty() {
            return Ok(0);
        }
        let staff = match self.escalation_recipient()? {
            Recipient::Staff(staff) => staff,
            other => {
                tracing::warn!(
                    recipient = ?other,
                    waiting = due.len(),
                    "overdue needs not escalated: no staff member to escalate to"
                );
                return Ok(0);
            }
        };
        let mut escalated = 0;
        for need in due {
            let done = self.services.db.write(|conn| {
                if !store::escalate(conn, &need.id, &staff.id, now)? {
                    return Ok(false);
                }
                let community = directory::store::find_community(conn, &need.community_id)?
                    .map(|c| c.name)
                    .unwrap_or_default();
                crate::audit::record(
                    conn,
                    None,
                    "need.escalate",
                    "need",
                    need.id.as_str(),
                    &format!("超过响应时限，转交{}", staff.display_name),
                    now,
                )?;
                let link = format!(
                    "{}{}",
                    self.services.settings.public_url,
                    (self.services.settings.staff_need_path)(&need.id)
                );
                outbox::notify(
                    conn,
                    &staff.id,
                    &Template::NeedEscalated {
                        need: need.title.clone(),
                        community,
                        urgency: need.urgency.label_zh(),
                        due: china_time(need.sla_due_at)
                            .format("%Y年%m月%d日 %H:%M")
                            .to_string(),
                        link,
                    },
                    now,
                )?;
                Ok(true)
            })?;
            escalated += usize::from(done);
        }
        Ok(escalated)
    }

    /// The poster (or staff) withdraws a need that is not matched yet.
    #[tracing::instrument(skip_all, fields(need = %id))]
    pub fn withdraw(&self, actor: &Actor, id: &NeedId) -> DomainResult<Need> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let need = find_need(conn, id)?;
            if &need.posted_by != user && !actor.is_staff() {
                return Err(DomainError::Forbidden);
            }
            if !store::set_need_status(conn, id, &UNMATCHED, NeedStatus::Withdrawn)? {
                return Err(DomainError::not_moved(
                    &need.status,
                    &UNMATCHED,
                    "已对接的需求不能撤回",
                ));
            }
            record_step(conn, user, StepAction::Withdrawn, id, "", now)?;
            find_need(conn, id)
        })
    }

    /// Staff: the best products, organisations and groups for a need, each with its score and
    /// the reasons in words.
    pub fn candidates(&self, actor: &Actor, id: &NeedId) -> DomainResult<Vec<Candidate>> {
        actor.require_staff()?;
        let now = self.services.clock.now();
        self.services.db.read(|conn| {
            let need = find_need(conn, id)?;
            let categories = crate::catalogue::all_categories(conn)?;
            let communities = store::communities(conn)?;
            let recent = store::recently_active(conn, now - TimeDelta::days(90))?;
            let delivered = store::delivered_counts(conn)?;
            let need_terms: HashSet<String> =
                search::query_terms(&format!("{} {}", need.title, need.description))
                    .into_iter()
                    .collect();
            let scorer = Scorer {
                need: &need,
                need_terms: &need_terms,
                categories: &categories,
                communities: &communities,
                recent: &recent,
                delivered: &delivered,
            };
            let mut ranked: Vec<Candidate> = store::offers(conn)?
                .iter()
                .filter_map(|offer| scorer.score(offer))
                .collect();
            ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.name.cmp(&b.name)));
            ranked.truncate(TOP);
            Ok(ranked)
        })
    }

    /// Staff propose a candidate for a need; the offering side is told by email.
    #[tracing::instrument(skip_all, fields(need = %need_id, candidate = candidate))]
    pub fn propose(
        &self,
        actor: &Actor,
        need_id: &NeedId,
        kind: CandidateKind,
        candidate: &str,
    ) -> DomainResult<MatchCase> {
        let staff = actor.require_staff()?;
        let scored = self
            .candidates(actor, need_id)?
            .into_iter()
            .find(|c| c.kind == kind && c.id == candidate);
        let now = self.services.clock.now();
        let id = MatchId::generate();
        self.services.db.write(|conn| {
            let need = find_need(conn, need_id)?;
            if !matches!(
                need.status,
                NeedStatus::Open | NeedStatus::Matching | NeedStatus::Matched
            ) {
                return Err(DomainError::InvalidState("该需求已结束"));
            }
            let (score, reasons) = match &scored {
                Some(c) => (c.score, c.reasons.join("；")),
                None => (0, "工作人员指定".to_owned()),
            };
            for responder in responders(conn, kind, candidate)? {
                outbox::notify(
                    conn,
                    &responder,
                    &Template::MatchProposed {
                        need: need.title.clone(),
                    },
                    now,
                )?;
            }
            let proposed = MatchCase {
                id: id.clone(),
                need_id: need_id.clone(),
                kind,
                candidate_id: candidate.to_owned(),
                score,
                reasons,
                status: MatchStatus::Proposed,
                proposed_by: staff.clone(),
                responded_by: None,
                created_at: now,
                responded_at: None,
                delivered_at: None,
                delivered_by: None,
            };
            store::insert_match(conn, &proposed)?;
            store::set_need_status(conn, need_id, &[NeedStatus::Open], NeedStatus::Matching)?;
            // The trail names the candidate as staff know it, not by its id.
            let named = store::candidate_names(conn, &[(kind, candidate.to_owned())])?
                .remove(&(kind, candidate.to_owned()))
                .unwrap_or_else(|| format!("{} {candidate}", kind.as_str()));
            record_step(
                conn,
                staff,
                StepAction::Proposed,
                need_id,
                &format!("{named}（{score} 分）"),
                now,
            )?;
            find_match(conn, &id)
        })
    }

    /// The offering side accepts (the need is matched) or declines a proposed match.
    #[tracing::instrument(skip_all, fields(match_case = %id))]
    pub fn respond(&self, actor: &Actor, id: &MatchId, accept: bool) -> DomainResult<MatchCase> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let case = find_match(conn, id)?;
            if !responders(conn, case.kind, &case.candidate_id)?.contains(user) {
                return Err(DomainError::Forbidden);
            }
            let to = if accept {
                MatchStatus::Accepted
            } else {
                MatchStatus::Declined
            };
            if !store::set_match_status(conn, id, MatchStatus::Proposed, to, user, now)? {
                return Err(DomainError::not_moved(
                    &case.status,
                    &[MatchStatus::Proposed],
                    "该对接已答复",
                ));
            }
            let step = if accept {
                StepAction::Accepted
            } else {
                StepAction::Declined
            };
            let detail = format!("{} {}", case.kind.as_str(), case.candidate_id);
            record_step(conn, user, step, &case.need_id, &detail, now)?;
            if accept {
                store::set_need_status(
                    conn,
                    &case.need_id,
                    &[NeedStatus::Open, NeedStatus::Matching],
                    NeedStatus::Matched,
                )?;
            }
            find_match(conn, id)
        })
    }

    /// The offering side (or staff) records delivery: how many residents were served.
    #[tracing::instrument(skip_all, fields(match_case = %id))]
    pub fn deliver(
        &self,
        actor: &Actor,
        id: &MatchId,
        residents_served: i32,
        outcome: &str,
    ) -> DomainResult<Need> {
        let user = actor.user_id()?;
        let outcome = text(outcome, "outcome", 2, 1000)?;
        if !(0..=1_000_000).contains(&residents_served) {
            return Err(DomainError::invalid("residentsServed", "服务人数不正确"));
        }
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let case = find_match(conn, id)?;
            if !actor.is_staff() && !responders(conn, case.kind, &case.candidate_id)?.contains(user)
            {
                return Err(DomainError::Forbidden);
            }
            if !store::set_match_status(
                conn,
                id,
                MatchStatus::Accepted,
                MatchStatus::Delivered,
                user,
                now,
            )? {
                return Err(DomainError::not_moved(
                    &case.status,
                    &[MatchStatus::Accepted],
                    "只有已接受的对接可以登记完成",
                ));
            }
            store::set_need_status(
                conn,
                &case.need_id,
                &[NeedStatus::Matched],
                NeedStatus::Delivered,
            )?;
            store::record_outcome(conn, &case.need_id, &outcome, residents_served)?;
            let detail = format!("服务 {residents_served} 人：{outcome}");
            record_step(
                conn,
                user,
                StepAction::Delivered,
                &case.need_id,
                &detail,
                now,
            )?;
            find_need(conn, &case.need_id)
        })
    }

    /// The poster or staff close a delivered need.
    #[tracing::instrument(skip_all, fields(need = %id))]
    pub fn close(&self, actor: &Actor, id: &NeedId) -> DomainResult<Need> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let need = find_need(conn, id)?;
            if &need.posted_by != user && !actor.is_staff() {
                return Err(DomainError::Forbidden);
            }
            if !store::set_need_status(conn, id, &[NeedStatus::Delivered], NeedStatus::Closed)? {
                return Err(DomainError::not_moved(
                    &need.status,
                    &[NeedStatus::Delivered],
                    "只有已完成的需求可以关闭",
                ));
            }
            record_step(conn, user, StepAction::Closed, id, "", now)?;
            find_need(conn, id)
        })
    }

    /// One match, as public as the need it answers.
    pub fn match_case(&self, id: &MatchId) -> DomainResult<MatchCase> {
        self.services.db.read(|conn| find_match(conn, id))
    }

    pub fn matches(&self, id: &NeedId, page: &PageRequest) -> DomainResult<Page<MatchCase>> {
        let all = self.services.db.read(|conn| store::matches_of(conn, id))?;
        Page::slice(all, page, |m| m.id.to_string())
    }
}

/// Who answers for a candidate: the owners and managers of the organisation (of a product),
/// or a group's convenor.
fn responders(conn: &mut DbConnection, kind: CandidateKind, id: &str) -> DomainResult<Vec<UserId>> {
    let organisation = match kind {
        CandidateKind::Group => {
            let group = GroupId::parse(id).ok_or(DomainError::NotFound {
                what: "自治组织"
            })?;
            return Ok(incubation::store::members(conn, &group)?
                .into_iter()
                .filter(|m| m.role == incubation::GroupRole::Convenor)
                .map(|m| m.user_id)
                .collect());
        }
        CandidateKind::Organisation => OrganisationId::parse(id),
        CandidateKind::Product => match ProductId::parse(id) {
            Some(product) => crate::catalogue::product_organisation(conn, &product)?,
            None => None,
        },
    }
    .ok_or(DomainError::NotFound {
        what: "对接对象"
    })?;
    Ok(directory::store::members(conn, &organisation)?
        .into_iter()
        .filter(|m| matches!(m.role, MemberRole::Owner | MemberRole::Manager))
        .map(|m| m.user_id)
        .collect())
}

/// What scoring reads besides the offer, loaded once for all the offers to one need.
struct Scorer<'a> {
    need: &'a Need,
    need_terms: &'a HashSet<String>,
    categories: &'a [Category],
    /// Community id → (name, street).
    communities: &'a std::collections::HashMap<String, (String, String)>,
    /// Organisations and groups that ran an activity lately.
    recent: &'a HashSet<String>,
    /// Delivered matches per candidate id.
    delivered: &'a std::collections::HashMap<String, i64>,
}

impl Scorer<'_> {
    /// The transparent score: category fit, community served, shared words, activity, record.
    fn score(&self, offer: &Offer) -> Option<Candidate> {
        let Scorer {
            need,
            need_terms,
            categories,
            communities,
            recent,
            delivered,
        } = *self;
        let mut score = 0;
        let mut reasons = Vec::new();
        let parent = |id: &str| {
            categories
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.parent_id.clone().unwrap_or_else(|| c.id.clone()))
        };
        let name = |id: &str| {
            categories
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.name_zh.clone())
                .unwrap_or_default()
        };
        let mut relevant = false;
        if let Some(category) = &offer.category_id {
            if *category == need.category_id {
                score += 30;
                relevant = true;
                reasons.push(format!("同一分类「{}」", name(category)));
            } else if parent(category).is_some() && parent(category) == parent(&need.category_id) {
                score += 15;
                relevant = true;
                reasons.push(format!(
                    "相近分类「{}」",
                    name(&parent(category).unwrap_or_default())
                ));
            }
        }
        let offer_terms: HashSet<String> = search::document(&offer.text, &[])
            .split(' ')
            .map(str::to_owned)
            .collect();
        let mut shared: Vec<&String> = need_terms.intersection(&offer_terms).collect();
        shared.sort();
        if !shared.is_empty() {
            relevant = true;
            score += (8 * i64::try_from(shared.len()).unwrap_or(0)).min(25);
            reasons.push(format!(
                "关键词相符：{}",
                shared
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
        if !relevant {
            return None;
        }
        let need_place = communities.get(need.community_id.as_str());
        if offer
            .communities
            .iter()
            .any(|c| c == need.community_id.as_str())
        {
            score += 25;
            reasons.push(format!(
                "服务{}",
                need_place.map(|(n, _)| n.as_str()).unwrap_or("该社区")
            ));
        } else if let Some((_, street)) = need_place
            && offer
                .communities
                .iter()
                .any(|c| communities.get(c).is_some_and(|(_, s)| s == street))
        {
            score += 10;
            reasons.push(format!("同在{street}"));
        }
        if offer.active {
            score += 5;
        }
        let runner = if offer.kind == CandidateKind::Group {
            Some(&offer.id)
        } else {
            offer.owner_organisation.as_ref()
        };
        if runner.is_some_and(|r| recent.contains(r)) {
            score += 5;
            reasons.push("近90天组织过活动".to_owned());
        }
        if let Some(count) = delivered.get(&offer.id) {
            score += (5 * count).min(10);
            reasons.push(format!("已成功对接 {count} 次"));
        }
        Some(Candidate {
            kind: offer.kind,
            id: offer.id.clone(),
            name: offer.name.clone(),
            score,
            reasons,
        })
    }
}

/// Records a step of a need in the audit trail, in the transaction that takes it: whoever
/// takes it (resident, offering side or staff), so the need's steps read back in one query.
fn record_step(
    conn: &mut DbConnection,
    actor: &UserId,
    step: StepAction,
    need: &NeedId,
    detail: &str,
    now: chrono::NaiveDateTime,
) -> DomainResult<()> {
    let action = step
        .audit_action()
        .ok_or_else(|| DomainError::Internal(format!("{} is not audited", step.as_str())))?;
    crate::audit::record(
        conn,
        Some(actor),
        action,
        "need",
        need.as_str(),
        detail,
        now,
    )
}

fn find_need(conn: &mut DbConnection, id: &NeedId) -> DomainResult<Need> {
    store::find_need(conn, id)?.ok_or(DomainError::NotFound { what: "需求" })
}

fn find_match(conn: &mut DbConnection, id: &MatchId) -> DomainResult<MatchCase> {
    store::find_match(conn, id)?.ok_or(DomainError::NotFound { what: "对接" })
}
