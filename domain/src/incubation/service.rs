//! Group and incubation use cases.

use std::collections::HashMap;

use super::{
    Criterion, Group, GroupEvent, GroupFilter, GroupMember, GroupRole, MembershipStatus, NewGroup,
    Stage, criteria, store,
};
use crate::Services;
use crate::audit;
use crate::creation::{Keyed, Subject, create_once};
use crate::db::DbConnection;
use crate::directory::{self, MemberRole, Organisation, OrganisationKind, OrganisationStatus};
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::ledger::{self, AccountKind};
use crate::page::{Page, PageRequest};
use crate::types::{GroupId, IdempotencyKey, OrganisationId, UserId, text};

/// What staff decide about a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// To the next stage; every criterion must be met.
    Advance,
    /// Stay at this stage for now (recorded with the note).
    Hold,
    Dissolve,
}

pub struct Incubation<'a> {
    services: &'a Services,
}

impl<'a> Incubation<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// A resident founds a group and becomes its convenor; its points fund opens with it.
    #[tracing::instrument(skip_all, fields(community = %input.community_id))]
    /// With `key`, the same request sent again returns the group the first one founded.
    pub fn found(
        &self,
        actor: &Actor,
        input: NewGroup,
        key: Option<&IdempotencyKey>,
    ) -> DomainResult<Group> {
        let founder = actor.user_id()?;
        let group = Group {
            id: GroupId::generate(),
            name: text(&input.name, "name", 2, 40)?,
            purpose: text(&input.purpose, "purpose", 2, 1000)?,
            community_id: input.community_id.clone(),
            category_id: text(&input.category_id, "categoryId", 1, 40)?,
            stage: Stage::Proposed,
            mentor_organisation_id: None,
            organisation_id: None,
            created_at: self.services.clock.now(),
        };
        let keyed = key.map(|key| Keyed {
            creator: founder,
            key,
            request: format!("{input:?}"),
        });
        let find = |conn: &mut DbConnection, id: &str| match GroupId::parse(id) {
            Some(id) => find(conn, &id),
            None => Err(DomainError::internal(
                "a creation names a group id that is not one",
            )),
        };
        create_once(self.services, Subject::Group, keyed, find, |conn, _| {
            directory::store::find_community(conn, &group.community_id)?
                .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
            if !crate::catalogue::category_exists(conn, &group.category_id)? {
                return Err(DomainError::invalid("categoryId", "分类不存在"));
            }
            store::insert(conn, &group)?;
            store::add_member(
                conn,
                &group.id,
                founder,
                GroupRole::Convenor,
                MembershipStatus::Active,
                group.created_at,
            )?;
            ledger::store::open_owned_account(
                conn,
                AccountKind::GroupFund,
                group.id.as_str(),
                group.created_at,
            )?;
            store::record_event(
                conn,
                &group.id,
                "FOUNDED",
                (None, Some(Stage::Proposed)),
                &group.purpose,
                Some(founder),
                group.created_at,
            )?;
            Ok((group.id.to_string(), group.clone()))
        })
    }

    pub fn group(&self, id: &GroupId) -> DomainResult<Group> {
        self.services.db.read(|conn| find(conn, id))
    }

    /// Groups by name, a page at a time, optionally of one stage or community.
    pub fn groups(&self, filter: &GroupFilter, page: &PageRequest) -> DomainResult<Page<Group>> {
        self.services.db.read(|conn| {
            let (mut items, total) = store::groups(conn, filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// Each group's latest stage decision, for the groups of a page in one query; groups
    /// never decided on are left out. Public, as the timeline is.
    pub fn last_decisions(&self, ids: &[GroupId]) -> DomainResult<HashMap<GroupId, GroupEvent>> {
        self.services
            .db
            .read(|conn| store::last_decisions(conn, ids))
    }

    /// A resident asks to join; the convenor approves.
    #[tracing::instrument(skip_all, fields(group = %id))]
    pub fn request_to_join(&self, actor: &Actor, id: &GroupId) -> DomainResult<Vec<GroupMember>> {
        let user = actor.user_id()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let group = find(conn, id)?;
            if group.stage == Stage::Dissolved {
                return Err(DomainError::InvalidState("该自治组织已解散"));
            }
            store::add_member(
                conn,
                id,
                user,
                GroupRole::Member,
                MembershipStatus::Requested,
                now,
            )?;
            store::members(conn, id)
        })
    }

    #[tracing::instrument(skip_all, fields(group = %id, member = %member))]
    pub fn approve_member(
        &self,
        actor: &Actor,
        id: &GroupId,
        member: &UserId,
    ) -> DomainResult<Vec<GroupMember>> {
        let user = actor.user_id()?;
        self.services.db.write(|conn| {
            require_convenor(conn, id, user)?;
            if !store::activate_member(conn, id, member)? {
                return Err(DomainError::NotFound {
                    what: "入会申请"
                });
            }
            store::members(conn, id)
        })
    }

    /// Members see the member list; staff too. Others see only the count (in the record).
    pub fn members(
        &self,
        actor: &Actor,
        id: &GroupId,
        page: &PageRequest,
    ) -> DomainResult<Page<GroupMember>> {
        let user = actor.user_id()?;
        let all = self.services.db.read(|conn| {
            if !actor.is_staff() && store::active_role(conn, id, user)?.is_none() {
                return Err(DomainError::Forbidden);
            }
            store::members(conn, id)
        })?;
        Page::slice(all, page, |m| m.user_id.to_string())
    }

    /// Staff pair a group with a verified mentor organisation.
    #[tracing::instrument(skip_all, fields(group = %id, mentor = %mentor))]
    pub fn set_mentor(
        &self,
        actor: &Actor,
        id: &GroupId,
        mentor: &OrganisationId,
    ) -> DomainResult<Group> {
        let staff = actor.require_staff()?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let group = find(conn, id)?;
            let organisation = directory::store::find_organisation(conn, mentor)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if organisation.status != OrganisationStatus::Verified {
                return Err(DomainError::OrganisationNotVerified);
            }
            store::set_mentor(conn, id, mentor)?;
            store::record_event(
                conn,
                id,
                "MENTOR",
                (Some(group.stage), Some(group.stage)),
                &format!("导师组织：{}", organisation.name),
                Some(staff),
                now,
            )?;
            audit::record(
                conn,
                Some(staff),
                "group.mentor",
                "group",
                id.as_str(),
                &organisation.name,
                now,
            )?;
            find(conn, id)
        })
    }

    /// The gate to the next stage, measured now.
    pub fn criteria(&self, id: &GroupId) -> DomainResult<Vec<Criterion>> {
        let now = self.services.clock.now();
        self.services.db.read(|conn| {
            let group = find(conn, id)?;
            Ok(criteria(group.stage, &store::record(conn, &group, now)?))
        })
    }

    /// Staff advance, hold or dissolve a group, with a note for the public timeline.
    #[tracing::instrument(skip_all, fields(group = %id))]
    pub fn decide(
        &self,
        actor: &Actor,
        id: &GroupId,
        decision: Decision,
        note: &str,
    ) -> DomainResult<Group> {
        let staff = actor.require_staff()?;
        let note = text(note, "note", 2, 500)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let group = find(conn, id)?;
            let (kind, to) = match decision {
                Decision::Hold => ("HOLD", group.stage),
                Decision::Dissolve => ("DISSOLVED", Stage::Dissolved),
                Decision::Advance => {
                    let next = group
                        .stage
                        .next()
                        .ok_or(DomainError::InvalidState("该阶段没有下一阶段"))?;
                    let unmet: Vec<&str> =
                        criteria(group.stage, &store::record(conn, &group, now)?)
                            .into_iter()
                            .filter(|c| !c.met)
                            .map(|c| c.name)
                            .collect();
                    if !unmet.is_empty() {
                        return Err(DomainError::invalid(
                            "decision",
                            format!("尚未达到进阶条件：{}", unmet.join("、")),
                        ));
                    }
                    ("ADVANCED", next)
                }
            };
            if group.stage == Stage::Dissolved {
                return Err(DomainError::InvalidState("该自治组织已解散"));
            }
            if to != group.stage && !store::set_stage(conn, id, group.stage, to)? {
                return Err(DomainError::StageChanged);
            }
            store::record_event(
                conn,
                id,
                kind,
                (Some(group.stage), Some(to)),
                &note,
                Some(staff),
                now,
            )?;
            audit::record(
                conn,
                Some(staff),
                &format!("group.{}", kind.to_lowercase()),
                "group",
                id.as_str(),
                &note,
                now,
            )?;
            find(conn, id)
        })
    }

    /// The public timeline: founding, mentor, every decision with who and why.
    pub fn timeline(&self, id: &GroupId, page: &PageRequest) -> DomainResult<Page<GroupEvent>> {
        let all = self.services.db.read(|conn| {
            find(conn, id)?;
            store::timeline(conn, id)
        })?;
        Page::slice(all, page, |e| e.id.clone())
    }

    /// A graduated group's convenor registers it as a partner organisation, becoming its owner.
    /// It joins the staff review queue like every other applicant: incubation records hours and
    /// decisions, but only a staff review makes an organisation that can be paid a budget.
    #[tracing::instrument(skip_all, fields(group = %id))]
    pub fn register_as_organisation(
        &self,
        actor: &Actor,
        id: &GroupId,
        contact: &str,
    ) -> DomainResult<Organisation> {
        let convenor = actor.user_id()?;
        let now = self.services.clock.now();
        let contact = text(contact, "contact", 2, 100)?;
        self.services.db.write(|conn| {
            require_convenor(conn, id, convenor)?;
            let group = find(conn, id)?;
            if group.stage != Stage::Graduated {
                return Err(DomainError::InvalidState(
                    "只有成熟阶段的自治组织可以注册为共建主体",
                ));
            }
            let organisation = Organisation {
                id: OrganisationId::generate(),
                name: group.name.clone(),
                kind: OrganisationKind::SocialOrganisation,
                description: group.purpose.clone(),
                community_id: Some(group.community_id.clone()),
                contact: contact.clone(),
                status: OrganisationStatus::Pending,
                status_reason: None,
                created_at: now,
            };
            directory::store::insert_organisation(conn, &organisation)?;
            directory::store::insert_member(
                conn,
                &organisation.id,
                convenor,
                MemberRole::Owner,
                now,
            )?;
            ledger::store::open_owned_account(
                conn,
                AccountKind::Budget,
                organisation.id.as_str(),
                now,
            )?;
            if !store::set_organisation(conn, id, &organisation.id)? {
                return Err(DomainError::InvalidState("该自治组织已注册为共建主体"));
            }
            store::record_event(
                conn,
                id,
                "REGISTERED",
                (Some(group.stage), Some(group.stage)),
                &format!("注册为共建主体「{}」", organisation.name),
                Some(convenor),
                now,
            )?;
            Ok(organisation)
        })
    }
}

fn find(conn: &mut DbConnection, id: &GroupId) -> DomainResult<Group> {
    store::find(conn, id)?.ok_or(DomainError::NotFound {
        what: "自治组织"
    })
}

pub(crate) fn require_convenor(
    conn: &mut DbConnection,
    id: &GroupId,
    user: &UserId,
) -> DomainResult<()> {
    find(conn, id)?;
    match store::active_role(conn, id, user)? {
        Some(GroupRole::Convenor) => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}
