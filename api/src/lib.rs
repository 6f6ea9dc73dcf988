//! The Linli server: GraphQL over actix-web in front of the domain services.

mod app;
pub mod auth;
mod budget;
pub mod config;
pub mod cost;
pub mod email;
pub mod graphql;
pub mod http;
mod page_cache;

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};

use actix_web::dev::Server;
use chrono::TimeDelta;
use linli_domain::db::{Database, DatabaseSettings};
use linli_domain::{Services, Settings};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::Semaphore;

use crate::auth::Tokens;
use crate::config::{Config, Environment};
use crate::graphql::Shared;

/// Connections of the background pool: the relay, the sweepers and the budget sync take turns
/// on these and never on the pool people's requests use.
const BACKGROUND_CONNECTIONS: u32 = 2;

/// Connects to the database named by the configuration and applies pending migrations.
pub fn open(config: &Config) -> Result<Services, String> {
    let mut db =
        Database::connect(config.database.clone()).map_err(|e| format!("database: {e}"))?;
    if let Some(url) = &config.replica {
        db = db.with_replica(DatabaseSettings {
            url: url.clone(),
            ..config.database.clone()
        });
    }
    let background = Database::connect(DatabaseSettings {
        max_connections: BACKGROUND_CONNECTIONS,
        ..config.database.clone()
    })
    .map_err(|e| format!("database: {e}"))?;
    let applied = db.migrate().map_err(|e| format!("database: {e:?}"))?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    let settings = Settings {
        refresh_token_ttl: TimeDelta::from_std(config.refresh_token_ttl)
            .map_err(|e| format!("LINLI_REFRESH_TOKEN_TTL_SECS: {e}"))?,
        daily_points_cap: config.daily_points_cap,
        public_url: config.public_url.trim_end_matches('/').to_owned(),
        group_points_per_hour_max: config.group_points_per_hour_max,
        dual_control_points: config.dual_control_points,
        point_value_fen: config.point_value_fen,
        points_expiry: config.points_expiry,
        dual_control_allocation_points: config.dual_control_allocation_points,
        need_sla: config.need_sla,
        need_escalation_email: config.need_escalation_email.clone(),
        staff_need_path: graphql::staff_need_path,
        certificate_keys: config.certificate_keys()?,
        certificate_issuer: config.certificate_issuer.clone(),
        review: config.review,
    };
    Ok(Services::new(db, background, settings))
}

/// Serves `services` on `listener` until the server is stopped (SIGINT/SIGTERM drain it).
/// Refuses to start when `LINLI_NEED_ESCALATION_EMAIL` names nobody, or someone not staff.
pub fn serve(
    config: &Config,
    services: Services,
    listener: TcpListener,
) -> std::io::Result<Server> {
    check_escalation(&services).map_err(std::io::Error::other)?;
    spawn_sweeper(services.background(), config.sweep_interval);
    if services.db.replica().is_some() {
        tokio::spawn(watch_replica(services.clone(), config.replica_max_lag));
    }
    let relay = email::Relay::new(config, services.background()).map_err(std::io::Error::other)?;
    tokio::spawn(relay.run(config.relay_interval));
    let shared = Arc::new(Shared {
        background: services.background(),
        services,
        tokens: Tokens::new(&config.jwt_secret, config.access_token_ttl),
        hashing: Semaphore::new(config.limits.hashing_permits),
    });
    let budget = Arc::new(budget::Budget::new(
        config.limits.budget,
        config.limits.budget_restore_per_sec,
    ));
    tokio::spawn(budget.clone().run_sync(
        shared.services.background(),
        std::time::Duration::from_secs(1),
    ));
    let state = http::AppState {
        shared,
        schema: graphql::schema(&config.limits),
        limits: config.limits.clone(),
        graphiql: config.environment != Environment::Production,
        prometheus: prometheus(),
        trusted_proxies: config.trusted_proxies.clone(),
        budget,
        cors: config.cors.clone(),
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.limits.max_in_flight)),
        pages: (!config.catalogue_cache_interval.is_zero()).then(|| {
            page_cache::PageCache::new(
                config.catalogue_cache_interval,
                config.catalogue_cache_bytes,
            )
        }),
    };
    http::server(state, listener)
}

/// Decides, four times a second, whether the replica keeps up with the primary (the primary's
/// position read on the background pool, so that a busy request pool cannot delay it):
/// public reads go to it only while it does.
async fn watch_replica(services: Services, bound: std::time::Duration) {
    let mut lag = linli_domain::db::ReplicaLag::new(bound);
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(250));
    let mut was = false;
    loop {
        ticks.tick().await;
        let watched = services.clone();
        let positions = tokio::task::spawn_blocking(move || {
            let primary = watched.background().db.wal_position();
            let replica = watched
                .db
                .replica()
                .map(linli_domain::db::Database::wal_position);
            (primary, replica)
        })
        .await;
        let fresh = match positions {
            Ok((Ok(Some(primary)), replica)) => {
                let replica = replica.and_then(Result::ok).flatten();
                primary
                    .lsn
                    .is_some_and(|at| lag.observe(std::time::Instant::now(), at, replica))
            }
            _ => false,
        };
        services.db.set_replica_fresh(fresh);
        metrics::gauge!("linli_db_replica_fresh").set(if fresh { 1.0 } else { 0.0 });
        if fresh != was {
            tracing::info!(
                fresh,
                "public reads now go to the {}",
                if fresh { "replica" } else { "primary" }
            );
            was = fresh;
        }
    }
}

/// Whoever overdue needs are escalated to must be staff, found now rather than at the first
/// overdue need.
fn check_escalation(services: &Services) -> Result<(), String> {
    use linli_domain::matching::service::Recipient;
    let variable = || {
        let email = services.settings.need_escalation_email.as_ref();
        format!(
            "LINLI_NEED_ESCALATION_EMAIL={:?}",
            email.map(|e| e.as_str()).unwrap_or_default()
        )
    };
    match services
        .matching()
        .escalation_recipient()
        .map_err(|e| format!("database: {e}"))?
    {
        Recipient::Staff(staff) => {
            tracing::info!(
                staff = %staff.id,
                "overdue needs are escalated to {}",
                staff.display_name
            );
            Ok(())
        }
        Recipient::NoAdministrator => {
            tracing::warn!(
                "no administrator yet and LINLI_NEED_ESCALATION_EMAIL unset: overdue needs \
                 wait unescalated until an administrator exists (linli create-staff --admin)"
            );
            Ok(())
        }
        Recipient::NoAccount => Err(format!(
            "{}: no account signs in with this email; create the staff member first \
             (linli create-staff) or unset it to escalate to the first administrator",
            variable()
        )),
        Recipient::NotStaff(role) => Err(format!(
            "{}: this account is a {}, not staff; overdue needs go to a staff member or admin",
            variable(),
            role.as_str().to_lowercase()
        )),
    }
}

/// Releases expired redemption holds, escalates needs past their SLA, lapses bookings past
/// their day, expires lapsed points and
/// reminds residents of points about to lapse every `interval`, and sweeps rows past their
/// retention once an hour, in the background.
fn spawn_sweeper(services: Services, interval: std::time::Duration) {
    spawn_periodic(
        services.clone(),
        interval,
        "redemption holds released",
        |s| s.rewards().expire_due(),
    );
    spawn_periodic(
        services.clone(),
        interval,
        "needs past their SLA escalated",
        |s| s.matching().escalate_due(),
    );
    spawn_periodic(services.clone(), interval, "lapsed points expired", |s| {
        s.ledger().expire_due()
    });
    spawn_periodic(
        services.clone(),
        interval,
        "reminders of expiring points queued",
        |s| s.ledger().remind_expiring(),
    );
    spawn_periodic(services.clone(), interval, "review cases opened", |s| {
        s.reviews().run()
    });
    spawn_periodic(
        services,
        std::time::Duration::from_secs(3600),
        "rows past retention deleted",
        |s| s.retention().sweep(),
    );
}

/// Runs `job` on the blocking pool every `interval`, logging what it did.
fn spawn_periodic(
    services: Services,
    interval: std::time::Duration,
    what: &'static str,
    job: fn(&Services) -> linli_domain::DomainResult<usize>,
) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let services = services.clone();
            match tokio::task::spawn_blocking(move || job(&services)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(count)) => tracing::info!(count, "{what}"),
                Ok(Err(e)) => tracing::warn!(error = ?e, "periodic job failed: {what}"),
                Err(e) => tracing::warn!(error = %e, "periodic job did not run: {what}"),
            }
        }
    });
}

/// HELP lines for every metric Linli exports, so `/metrics` passes `promtool check metrics`.
fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "linli_graphql_requests_total",
        "GraphQL requests answered, by operation name and outcome (ok, refused, error)"
    );
    describe_histogram!(
        "linli_graphql_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a GraphQL request, by operation name"
    );
    describe_gauge!(
        "linli_db_pool_connections",
        "Database pool connections by state (idle, in_use)"
    );
    describe_gauge!(
        "linli_db_pool_max_connections",
        "The database pool's configured maximum size"
    );
    describe_counter!(
        "linli_db_statements_total",
        "SQL statements executed by this instance since it started"
    );
    describe_counter!(
        "linli_db_replica_statements_total",
        "SQL statements this instance sent to the replica since it started"
    );
    describe_counter!(
        "linli_catalogue_cache_total",
        "Anonymous catalogue pages answered from the page cache (hit) or made and kept (miss)"
    );
    describe_gauge!(
        "linli_db_replica_fresh",
        "1 while the replica keeps up and takes public reads, 0 otherwise"
    );
}

/// The process-wide metrics recorder, installed once (tests start many servers in one process).
fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            describe_metrics();
            handle
        })
        .clone()
}
