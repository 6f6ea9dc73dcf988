//! Directory use cases.

use std::collections::HashMap;

use super::model::{
    Community, CommunityType, Member, MemberRole, Organisation, OrganisationKind,
    OrganisationStatus, Review,
};
use super::store;
use crate::Services;
use crate::audit;
use crate::error::{DomainError, DomainResult};
use crate::identity::Actor;
use crate::ledger;
use crate::page::{Page, PageRequest};
use crate::types::{CommunityId, OrganisationId, UserId, text};

/// Which organisations staff look for; `text` matches any part of the name or contact.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub text: Option<String>,
    pub status: Option<OrganisationStatus>,
    pub community_id: Option<CommunityId>,
}

/// What a resident fills in to register an organisation with the centre.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub description: String,
    pub community_id: Option<CommunityId>,
    pub contact: String,
}

pub struct Directory<'a> {
    services: &'a Services,
}

impl<'a> Directory<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Self { services }
    }

    /// Staff add a community to the district.
    #[tracing::instrument(skip_all)]
    pub fn create_community(
        &self,
        actor: &Actor,
        name: &str,
        street: &str,
        community_type: CommunityType,
    ) -> DomainResult<Community> {
        let staff = actor.require_staff()?;
        let community = Community {
            id: CommunityId::generate(),
            name: text(name, "name", 2, 40)?,
            street: text(street, "street", 2, 40)?,
            community_type,
            created_at: self.services.clock.now(),
        };
        self.services.db.write(|conn| {
            store::insert_community(conn, &community)?;
            audit::record(
                conn,
                Some(staff),
                "community.create",
                "community",
                community.id.as_str(),
                &community.name,
                community.created_at,
            )
        })?;
        Ok(community)
    }

    /// Communities are public: anyone choosing where they live may list them.
    pub fn communities(&self, page: &PageRequest) -> DomainResult<Page<Community>> {
        self.services.db.read(|conn| {
            let mut items = store::list_communities(conn, page)?;
            let total = store::count_communities(conn)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    pub fn community(&self, id: &CommunityId) -> DomainResult<Community> {
        self.services
            .db
            .read(|conn| store::find_community(conn, id))?
            .ok_or(DomainError::NotFound { what: "社区" })
    }

    /// A resident registers an organisation and becomes its owner; it waits for verification,
    /// and its points budget account opens at once (empty until staff allocate to it).
    #[tracing::instrument(skip_all, fields(community = ?input.community_id))]
    pub fn register_organisation(
        &self,
        actor: &Actor,
        input: NewOrganisation,
    ) -> DomainResult<Organisation> {
        let owner = actor.user_id()?;
        let organisation = Organisation {
            id: OrganisationId::generate(),
            name: text(&input.name, "name", 2, 60)?,
            kind: input.kind,
            description: text(&input.description, "description", 0, 2000)?,
            community_id: input.community_id.clone(),
            contact: text(&input.contact, "contact", 2, 100)?,
            status: OrganisationStatus::Pending,
            status_reason: None,
            created_at: self.services.clock.now(),
        };
        self.services.db.write(|conn| {
            if let Some(community) = &organisation.community_id {
                store::find_community(conn, community)?
                    .ok_or_else(|| DomainError::invalid("communityId", "社区不存在"))?;
            }
            store::insert_organisation(conn, &organisation)?;
            store::insert_member(
                conn,
                &organisation.id,
                owner,
                MemberRole::Owner,
                organisation.created_at,
            )?;
            ledger::store::open_owned_account(
                conn,
                ledger::AccountKind::Budget,
                organisation.id.as_str(),
                organisation.created_at,
            )?;
            Ok(())
        })?;
        Ok(organisation)
    }

    /// Staff verify or reject a pending organisation.
    #[tracing::instrument(skip_all, fields(organisation = %id))]
    pub fn review_organisation(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        review: Review,
    ) -> DomainResult<Organisation> {
        let staff = actor.require_staff()?;
        let (to, reason) = match &review {
            Review::Verify => (OrganisationStatus::Verified, None),
            Review::Reject { reason } => (
                OrganisationStatus::Rejected,
                Some(text(reason, "reason", 2, 500)?),
            ),
        };
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let current = store::find_organisation(conn, id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if current.status != OrganisationStatus::Pending
                || !store::change_organisation_status(
                    conn,
                    id,
                    OrganisationStatus::Pending,
                    to,
                    reason.as_deref(),
                    now,
                )?
            {
                return Err(DomainError::invalid("id", "只能审核待审核的组织"));
            }
            if to == OrganisationStatus::Verified {
                let template = crate::outbox::Template::OrganisationVerified {
                    name: current.name.clone(),
                };
                for owner in store::members(conn, id)?
                    .into_iter()
                    .filter(|m| m.role == MemberRole::Owner)
                {
                    crate::outbox::notify(conn, &owner.user_id, &template, now)?;
                }
            }
            audit::record(
                conn,
                Some(staff),
                &format!("organisation.{}", to.as_str().to_lowercase()),
                "organisation",
                id.as_str(),
                reason.as_deref().unwrap_or(""),
                now,
            )?;
            store::find_organisation(conn, id)?.ok_or(DomainError::NotFound { what: "组织" })
        })
    }

    /// Verified organisations are public; others only to their members and to staff.
    pub fn organisation(&self, actor: &Actor, id: &OrganisationId) -> DomainResult<Organisation> {
        self.services.db.read(|conn| {
            let organisation = store::find_organisation(conn, id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if organisation.status == OrganisationStatus::Verified || actor.is_staff() {
                return Ok(organisation);
            }
            match actor {
                crate::identity::Actor::User { id: user, .. }
                    if store::member_role(conn, id, user)?.is_some() =>
                {
                    Ok(organisation)
                }
                _ => Err(DomainError::NotFound { what: "组织" }),
            }
        })
    }

    /// Communities by id, in one query (they are public).
    pub fn communities_by_id(
        &self,
        ids: &[CommunityId],
    ) -> DomainResult<HashMap<CommunityId, Community>> {
        let raw: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.services.db.read(|conn| {
            Ok(store::communities_by_ids(conn, &raw)?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect())
        })
    }

    /// Organisations by id, in one query, each as [`Directory::organisation`] would show it:
    /// verified ones to everyone, others only to their members and staff (absent otherwise).
    pub fn organisations_by_id(
        &self,
        actor: &Actor,
        ids: &[OrganisationId],
    ) -> DomainResult<HashMap<OrganisationId, Organisation>> {
        let raw: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.services.db.read(|conn| {
            let found = store::organisations_by_ids(conn, &raw)?;
            let mine: Vec<OrganisationId> = match actor {
                Actor::User { id, .. }
                    if found
                        .iter()
                        .any(|o| o.status != OrganisationStatus::Verified) =>
                {
                    store::memberships(conn, id)?
                        .into_iter()
                        .map(|(o, _)| o.id)
                        .collect()
                }
                _ => Vec::new(),
            };
            Ok(found
                .into_iter()
                .filter(|o| {
                    o.status == OrganisationStatus::Verified
                        || actor.is_staff()
                        || mine.contains(&o.id)
                })
                .map(|o| (o.id.clone(), o))
                .collect())
        })
    }

    /// The caller's organisations and their role in each.
    pub fn my_organisations(&self, actor: &Actor) -> DomainResult<Vec<(Organisation, MemberRole)>> {
        let user = actor.user_id()?;
        self.services.db.read(|conn| store::memberships(conn, user))
    }

    /// Staff's queue of organisations waiting for verification, oldest first.
    pub fn review_queue(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> DomainResult<Page<Organisation>> {
        let pending = OrganisationFilter {
            status: Some(OrganisationStatus::Pending),
            ..OrganisationFilter::default()
        };
        self.organisations(actor, &pending, page)
    }

    /// Staff search the district's organisations in any status.
    pub fn organisations(
        &self,
        actor: &Actor,
        filter: &OrganisationFilter,
        page: &PageRequest,
    ) -> DomainResult<Page<Organisation>> {
        actor.require_staff()?;
        let pattern = crate::types::contains_pattern(filter.text.as_deref())?;
        self.services.db.read(|conn| {
            let (mut items, total) = store::organisations(conn, pattern.as_deref(), filter, page)?;
            Ok(Page::from_overfetch(&mut items, page, total))
        })
    }

    /// The organisations a person belongs to and their role in each: for that person and
    /// for staff.
    pub fn memberships(
        &self,
        actor: &Actor,
        user: &UserId,
    ) -> DomainResult<Vec<(Organisation, MemberRole)>> {
        if actor.user_id()? != user && !actor.is_staff() {
            return Err(DomainError::Forbidden);
        }
        self.services.db.read(|conn| store::memberships(conn, user))
    }

    /// Staff suspend a verified organisation (it can no longer publish or run activities).
    #[tracing::instrument(skip_all, fields(organisation = %id))]
    pub fn suspend_organisation(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        reason: &str,
    ) -> DomainResult<Organisation> {
        self.change_standing(
            actor,
            id,
            (OrganisationStatus::Verified, OrganisationStatus::Suspended),
            reason,
            "只能暂停已认证的组织",
        )
    }

    /// Staff restore a suspended organisation to verified.
    #[tracing::instrument(skip_all, fields(organisation = %id))]
    pub fn restore_organisation(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        reason: &str,
    ) -> DomainResult<Organisation> {
        self.change_standing(
            actor,
            id,
            (OrganisationStatus::Suspended, OrganisationStatus::Verified),
            reason,
            "只能恢复已暂停的组织",
        )
    }

    fn change_standing(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        (from, to): (OrganisationStatus, OrganisationStatus),
        reason: &str,
        why: &'static str,
    ) -> DomainResult<Organisation> {
        let staff = actor.require_staff()?;
        let reason = text(reason, "reason", 2, 500)?;
        let now = self.services.clock.now();
        self.services.db.write(|conn| {
            let organisation = store::find_organisation(conn, id)?
                .ok_or(DomainError::NotFound { what: "组织" })?;
            if !store::change_organisation_status(conn, id, from, to, Some(&reason), now)? {
                return Err(DomainError::not_moved(&organisation.status, &[from], why));
            }
            let action = match to {
                OrganisationStatus::Suspended => "organisation.suspended",
                _ => "organisation.restored",
            };
            audit::record(
                conn,
                Some(staff),
                action,
                "organisation",
                id.as_str(),
                &reason,
                now,
            )?;
            store::find_organisation(conn, id)?.ok_or(DomainError::NotFound { what: "组织" })
        })
    }

    /// An organisation's members: visible to its members and to staff.
    pub fn members(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        page: &PageRequest,
    ) -> DomainResult<Page<Member>> {
        let user = actor.user_id()?;
        let all = self.services.db.read(|conn| {
            if !actor.is_staff() && store::member_role(conn, id, user)?.is_none() {
                return Err(DomainError::Forbidden);
            }
            store::members(conn, id)
        })?;
        Page::slice(all, page, |m| m.user_id.to_string())
    }

    /// An owner adds a person (by email or mobile number) with a role.
    #[tracing::instrument(skip_all, fields(organisation = %id))]
    pub fn add_member(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        login: &str,
        role: MemberRole,
    ) -> DomainResult<Vec<Member>> {
        let owner = actor.user_id()?;
        let now = self.services.clock.now();
        self.services
            .db
            .read(|conn| require_owner(conn, id, owner))?;
        let person = self
            .services
            .identity()
            .find_contact(owner, login, now)?
            .ok_or_else(|| DomainError::invalid("member", "找不到该居民"))?;
        self.services.db.write(|conn| {
            require_owner(conn, id, owner)?;
            if store::member_role(conn, id, &person.id)?.is_some() {
                return Err(DomainError::AlreadyMember);
            }
            store::insert_member(conn, id, &person.id, role, now)?;
            store::members(conn, id)
        })
    }

    /// An owner removes a member; the last owner cannot be removed.
    #[tracing::instrument(skip_all, fields(organisation = %id, member = %member))]
    pub fn remove_member(
        &self,
        actor: &Actor,
        id: &OrganisationId,
        member: &UserId,
    ) -> DomainResult<Vec<Member>> {
        let owner = actor.user_id()?;
        self.services.db.write(|conn| {
            // Two owners removing each other at once: the row lock makes the second see the
            // first's removal, so the last-owner rule holds.
            store::lock_organisation(conn, id)?;
            require_owner(conn, id, owner)?;
            let role = store::member_role(conn, id, member)?
                .ok_or(DomainError::NotFound { what: "成员" })?;
            if role == MemberRole::Owner && store::count_owners(conn, id)? <= 1 {
                return Err(DomainError::LastOwner);
            }
            store::remove_member(conn, id, member)?;
            store::members(conn, id)
        })
    }
}

/// Only an organisation's owners manage its members.
fn require_owner(
    conn: &mut crate::db::DbConnection,
    id: &OrganisationId,
    user: &UserId,
) -> DomainResult<()> {
    store::find_organisation(conn, id)?.ok_or(DomainError::NotFound { what: "组织" })?;
    match store::member_role(conn, id, user)? {
        Some(MemberRole::Owner) => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}
