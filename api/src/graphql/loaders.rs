//! Batched lookups, one per field that sits under a list: a page of 50 activities asks for 50
//! organisations, and the loader turns them into one statement (a DataLoader, per request).
//! Each batch runs as one domain call on the request's connection, with the same rules as the
//! single lookup it replaces.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::non_cached::Loader;
use juniper::FieldResult;
use linli_domain::catalogue::ProductView;
use linli_domain::directory::{Community, Organisation};
use linli_domain::identity::{Actor, User};
use linli_domain::incubation::GroupEvent;
use linli_domain::ledger::{Account, AccountKind};
use linli_domain::matching::CandidateKind;
use linli_domain::page::Page;
use linli_domain::rewards::{Merchant, RewardView};
use linli_domain::types::{
    ActivityId, CommunityId, GroupId, MerchantId, OrganisationId, RewardId, UserId,
};
use linli_domain::volunteering::Participation;
use linli_domain::{DomainError, DomainResult, Services};

use super::{Context, Runner};

/// One key's outcome: shared by every field that asked for the key.
type Loaded<T> = Result<T, Arc<DomainError>>;

/// A batch function: every key asked for in one turn, one domain call.
type Load<K, T> = fn(&Services, &Actor, &[K]) -> DomainResult<HashMap<K, DomainResult<T>>>;

pub struct Batch<K, T> {
    runner: Runner,
    load: Load<K, T>,
}

impl<K, T> BatchFn<K, Loaded<T>> for Batch<K, T>
where
    K: Clone + Eq + Hash + Send + 'static,
    T: Clone + Send + 'static,
{
    async fn load(&mut self, keys: &[K]) -> HashMap<K, Loaded<T>> {
        let asked = keys.to_vec();
        let load = self.load;
        match self.runner.run(move |s, a| load(s, a, &asked)).await {
            Ok(found) => found
                .into_iter()
                .map(|(k, v)| (k, v.map_err(Arc::new)))
                .collect(),
            Err(e) => {
                let e = Arc::new(e);
                keys.iter().map(|k| (k.clone(), Err(e.clone()))).collect()
            }
        }
    }
}

type By<K, T> = Loader<K, Loaded<T>, Batch<K, T>>;

/// The request's loaders.
pub struct Loaders {
    pub communities: By<CommunityId, Community>,
    pub organisations: By<OrganisationId, Organisation>,
    /// Merchants by their organisation.
    pub merchants: By<OrganisationId, Merchant>,
    pub merchants_by_id: By<MerchantId, Merchant>,
    pub rewards: By<RewardId, RewardView>,
    /// Accounts by kind and owner id (organisations' budgets, groups' funds).
    pub accounts: By<(AccountKind, String), Account>,
    /// The first page of each organisation's published products, by page size.
    pub products: By<(OrganisationId, usize), Page<ProductView>>,
    pub my_participations: By<ActivityId, Participation>,
    /// People, for fields naming who acted (staff read anyone, others only themself).
    pub users: By<UserId, User>,
    /// A match's candidate's name, by its kind and raw id.
    pub candidate_names: By<(CandidateKind, String), String>,
    /// Each group's latest stage decision (advance, hold or dissolve).
    pub last_decisions: By<GroupId, GroupEvent>,
}

fn loader<K, T>(runner: &Runner, load: Load<K, T>) -> By<K, T>
where
    K: Clone + Eq + Hash + Debug + Send + 'static,
    T: Clone + Send + 'static,
{
    Loader::new(Batch {
        runner: runner.clone(),
        load,
    })
}

/// Every key found is `Ok`; keys not found are simply absent.
fn found<K: Eq + Hash, T>(map: HashMap<K, T>) -> HashMap<K, DomainResult<T>> {
    map.into_iter().map(|(k, v)| (k, Ok(v))).collect()
}

impl Loaders {
    pub fn new(runner: &Runner) -> Self {
        Self {
            communities: loader(runner, |s, _, ids| {
                s.directory().communities_by_id(ids).map(found)
            }),
            organisations: loader(runner, |s, actor, ids| {
                s.directory().organisations_by_id(actor, ids).map(found)
            }),
            merchants: loader(runner, |s, _, ids| s.rewards().merchants_of(ids).map(found)),
            merchants_by_id: loader(runner, |s, _, ids| {
                s.rewards().merchants_by_id(ids).map(found)
            }),
            rewards: loader(runner, |s, _, ids| {
                s.rewards().rewards_by_id(ids).map(found)
            }),
            accounts: loader(runner, |s, actor, keys| {
                let mut out = HashMap::new();
                for kind in [
                    AccountKind::Budget,
                    AccountKind::GroupFund,
                    AccountKind::Merchant,
                ] {
                    let owners: Vec<String> = keys
                        .iter()
                        .filter(|(k, _)| *k == kind)
                        .map(|(_, owner)| owner.clone())
                        .collect();
                    if owners.is_empty() {
                        continue;
                    }
                    for (owner, account) in s.ledger().owned_accounts(actor, kind, &owners)? {
                        out.insert((kind, owner), account);
                    }
                }
                Ok(out)
            }),
            products: loader(runner, |s, _, keys| {
                let mut out = HashMap::new();
                let mut sizes: Vec<usize> = keys.iter().map(|(_, first)| *first).collect();
                sizes.sort_unstable();
                sizes.dedup();
                for first in sizes {
                    let ids: Vec<OrganisationId> = keys
                        .iter()
                        .filter(|(_, f)| *f == first)
                        .map(|(id, _)| id.clone())
                        .collect();
                    for (id, page) in s.catalogue().published_of_organisations(&ids, first)? {
                        out.insert((id, first), Ok(page));
                    }
                }
                Ok(out)
            }),
            my_participations: loader(runner, |s, actor, ids| {
                if matches!(actor, Actor::Anonymous) {
                    return Ok(HashMap::new());
                }
                s.volunteering().my_participations(actor, ids).map(found)
            }),
            users: loader(runner, |s, actor, ids| {
                s.identity().users_by_id(actor, ids).map(found)
            }),
            candidate_names: loader(runner, |s, _, keys| {
                s.matching().candidate_names(keys).map(found)
            }),
            last_decisions: loader(runner, |s, _, ids| {
                s.incubation().last_decisions(ids).map(found)
            }),
        }
    }
}

/// Looks `key` up through `loader`: `None` when it does not exist (or is not visible).
pub async fn load<K, T>(ctx: &Context, loader: &By<K, T>, key: K) -> FieldResult<Option<T>>
where
    K: Clone + Eq + Hash + Debug + Send + 'static,
    T: Clone + Send + 'static,
{
    match loader.try_load(key).await {
        Ok(Ok(value)) => Ok(Some(value)),
        Ok(Err(e)) => Err(ctx.top_level_ref(&e)),
        // The batch found nothing for this key.
        Err(_) => Ok(None),
    }
}

/// Like [`load`], for a field that always has a value: absence is `NOT_FOUND`.
pub async fn load_one<K, T>(
    ctx: &Context,
    loader: &By<K, T>,
    key: K,
    what: &'static str,
) -> FieldResult<T>
where
    K: Clone + Eq + Hash + Debug + Send + 'static,
    T: Clone + Send + 'static,
{
    load(ctx, loader, key)
        .await?
        .ok_or_else(|| ctx.top_level(DomainError::NotFound { what }))
}
