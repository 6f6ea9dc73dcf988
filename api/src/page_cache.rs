//! Anonymous catalogue pages answered from memory.
//!
//! A query that reads only the published catalogue (`Price::catalogue`) and is asked without
//! signing in has one answer for everyone, and it changes only when the catalogue does: every
//! change to what such a page shows moves the catalogue's version in the same transaction
//! (`catalogue_version`). A page is kept with the version it was made at and served while the
//! version is still that one. The version is read from the primary at most once per
//! `interval` (the first request after it has passed reads it again), so with several
//! instances on one database no page is served more than `interval` after a change to it was
//! committed; a mutation on this instance forgets the version at once, so whoever changed a
//! product here sees it here on the next page.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use juniper::{DefaultScalarValue, InputValue};
use linli_domain::Services;
use sha2::{Digest, Sha256};

/// What identifies one page: the query's text, the operation and the variables (their top
/// level in name order, so clients that order them differently share the page).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
}

impl Key {
    pub fn new(
        query: &str,
        operation: Option<&str>,
        variables: &std::collections::HashMap<String, InputValue<DefaultScalarValue>>,
    ) -> Self {
        let ordered: BTreeMap<&String, &InputValue<DefaultScalarValue>> =
            variables.iter().collect();
        Self {
            query: query.to_owned(),
            operation: operation.map(str::to_owned),
            variables: serde_json::to_string(&ordered).unwrap_or_default(),
        }
    }
}

/// One cached answer: the `data` member as JSON text, the version it was made at, and its
/// entity tag.
#[derive(Debug, Clone)]
pub struct Page {
    pub version: i64,
    pub data: std::sync::Arc<str>,
    pub etag: std::sync::Arc<str>,
}

impl Page {
    pub fn new(version: i64, data: String) -> Self {
        let digest = Sha256::digest(data.as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            version,
            // Weak: the body around the data (the client's budget) differs between answers.
            etag: format!("W/\"{hex}\"").into(),
            data: data.into(),
        }
    }
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Key, Page> for Weight {
    fn weight(&self, key: &Key, page: &Page) -> u64 {
        let bytes = key.query.len() + key.variables.len() + page.data.len() + 128;
        u64::try_from(bytes).unwrap_or(u64::MAX)
    }
}

/// The version as last read, and when that read began.
#[derive(Clone, Copy)]
struct Known {
    version: i64,
    read_at: Instant,
}

pub struct PageCache {
    interval: Duration,
    pages: quick_cache::sync::Cache<Key, Page, Weight>,
    known: Mutex<Option<Known>>,
    /// One read of the version at a time: the others wait for its answer.
    reading: tokio::sync::Mutex<()>,
}

impl PageCache {
    /// A cache of at most `bytes`, whose pages are at most `interval` behind the database.
    pub fn new(interval: Duration, bytes: u64) -> Self {
        Self {
            interval,
            pages: quick_cache::sync::Cache::with_weighter(1_000, bytes, Weight),
            known: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// How long after a change a page may still be served.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn known(&self) -> Option<Known> {
        *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self) -> Option<i64> {
        self.known()
            .filter(|k| k.read_at.elapsed() < self.interval)
            .map(|k| k.version)
    }

    /// The catalogue's version as of less than `interval` ago (read again on `services`, the
    /// primary, when it is older); `None` when it cannot be read, and then nothing is cached.
    pub async fn version(&self, services: &Services) -> Option<i64> {
        if let Some(version) = self.fresh() {
            return Some(version);
        }
        let _reading = self.reading.lock().await;
        if let Some(version) = self.fresh() {
            return Some(version);
        }
        let read_at = Instant::now();
        let services = services.clone();
        let version = tokio::task::spawn_blocking(move || services.catalogue().version())
            .await
            .ok()?
            .inspect_err(|e| tracing::warn!(error = %e, "catalogue version not read"))
            .ok()?;
        *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Known { version, read_at });
        Some(version)
    }

    /// After a change on this instance: the next page reads the version again.
    pub fn forget_version(&self) {
        *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The page kept for `key`, if it was made at `version`.
    pub fn get(&self, key: &Key, version: i64) -> Option<Page> {
        self.pages.get(key).filter(|page| page.version == version)
    }

    pub fn insert(&self, key: Key, page: Page) {
        self.pages.insert(key, page);
    }
}
