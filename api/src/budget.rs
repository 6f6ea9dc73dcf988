//! Each client's request budget: a leaky bucket of cost (GitHub's points per hour, Shopify's
//! restore rate). A request is charged its price before it runs; when the bucket would
//! overflow, the answer is 429 with `Retry-After`.
//!
//! Charging is in memory, so a request costs no extra statement. About once a second each
//! instance adds what it charged to the bucket in the database and reads back the level, which
//! includes what the other instances charged. With N instances a client can overspend by at
//! most what N instances accept from it in one sync interval.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use linli_domain::Services;

/// Thousandths of cost: the bucket drains continuously, one restore-rate unit per second.
const MILLI: i64 = 1_000;

/// A client's budget as a response reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The bucket's size.
    pub limit: u64,
    /// Cost the client may still spend now.
    pub remaining: u64,
    /// Unix seconds at which the bucket will be empty again (the whole budget back).
    pub reset_at: u64,
}

/// Refused: the bucket has no room for this request yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub retry_after_secs: u64,
    pub standing: Standing,
}

#[derive(Debug)]
struct Bucket {
    /// The level the database reported at `synced_at`, other instances' spending included.
    level: i64,
    synced_at: Instant,
    /// Charged here since the last sync, not yet added in the database.
    pending: i64,
}

pub struct Budget {
    capacity: i64,
    /// Cost restored per second.
    rate: i64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Budget {
    pub fn new(capacity: u64, restore_per_sec: u64) -> Self {
        Self {
            capacity: i64::try_from(capacity).unwrap_or(i64::MAX / MILLI) * MILLI,
            rate: i64::try_from(restore_per_sec.max(1)).unwrap_or(i64::MAX / MILLI),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this instance has a bucket for `client` (else [`Budget::learn`] it first).
    pub fn knows(&self, client: &str) -> bool {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(client)
    }

    /// Starts `client`'s bucket at the level the database holds, so a client this instance has
    /// not seen yet cannot spend afresh what it spent on another instance.
    pub async fn learn(&self, services: &Services, client: &str) -> Result<(), String> {
        let services = services.clone();
        let key = client.to_owned();
        let rate = self.rate;
        let level = tokio::task::spawn_blocking(move || {
            let now_ms = i64::try_from(unix_millis()).unwrap_or(i64::MAX);
            services.budgets().level(&key, now_ms, rate)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))?;
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(client.to_owned())
            .or_insert(Bucket {
                level,
                synced_at: Instant::now(),
                pending: 0,
            });
        Ok(())
    }

    /// Charges `cost` to `client`, or refuses when the bucket has no room for it.
    pub fn charge(&self, client: &str, cost: u64) -> Result<Standing, Exhausted> {
        let cost = i64::try_from(cost).unwrap_or(i64::MAX / MILLI) * MILLI;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            level: 0,
            synced_at: now,
            pending: 0,
        });
        let level = self.level_now(bucket, now);
        if level + cost > self.capacity {
            let excess = level + cost - self.capacity;
            return Err(Exhausted {
                retry_after_secs: u64::try_from(ceil_div(excess, self.rate * MILLI).max(1))
                    .unwrap_or(1),
                standing: self.standing(level),
            });
        }
        bucket.pending += cost;
        Ok(self.standing(level + cost))
    }

    fn level_now(&self, bucket: &Bucket, now: Instant) -> i64 {
        let drained = millis(now - bucket.synced_at).saturating_mul(self.rate);
        (bucket.level - drained).max(0) + bucket.pending
    }

    fn standing(&self, level: i64) -> Standing {
        let remaining = (self.capacity - level).max(0) / MILLI;
        let seconds_to_empty = ceil_div(level, self.rate * MILLI);
        Standing {
            limit: u64::try_from(self.capacity / MILLI).unwrap_or(0),
            remaining: u64::try_from(remaining).unwrap_or(0),
            reset_at: unix_seconds() + u64::try_from(seconds_to_empty).unwrap_or(0),
        }
    }

    /// Adds every bucket's pending charges in the database every `interval`, and forgets
    /// buckets that have drained and seen no request since.
    pub async fn run_sync(self: Arc<Self>, services: Services, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = self.sync_once(&services).await {
                tracing::warn!(error = %e, "request budgets not synced");
            }
        }
    }

    /// One sync: what was charged since the last one goes to the database, and each bucket
    /// takes the level the database reports (every instance's charges included).
    pub async fn sync_once(&self, services: &Services) -> Result<(), String> {
        let now = Instant::now();
        let charges: Vec<(String, i64)> = {
            let mut buckets = self
                .buckets
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            buckets.retain(|_, b| b.pending > 0 || self.level_now(b, now) > 0);
            buckets
                .iter()
                .map(|(key, b)| (key.clone(), b.pending))
                .collect()
        };
        if charges.is_empty() {
            return Ok(());
        }
        let services = services.clone();
        let sent = charges.clone();
        let rate = self.rate;
        let levels = tokio::task::spawn_blocking(move || {
            let now_ms = i64::try_from(unix_millis()).unwrap_or(i64::MAX);
            services.budgets().add(&sent, now_ms, rate)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))?;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((key, level), (_, sent)) in levels.into_iter().zip(charges) {
            if let Some(bucket) = buckets.get_mut(&key) {
                bucket.level = level;
                bucket.synced_at = now;
                // Charges made while the database answered stay pending for the next sync.
                bucket.pending -= sent;
            }
        }
        Ok(())
    }
}

fn ceil_div(n: i64, d: i64) -> i64 {
    if d <= 0 { 0 } else { (n + d - 1) / d }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_what_would_overflow_and_says_when_to_return() {
        let budget = Budget::new(100, 10);
        assert_eq!(budget.charge("a", 60).unwrap().remaining, 40);
        let refused = budget.charge("a", 60).unwrap_err();
        assert_eq!(refused.retry_after_secs, 2, "20 over, 10 a second");
        assert_eq!(
            budget.charge("b", 100).unwrap().remaining,
            0,
            "clients are apart"
        );
    }
}
