//! Configuration from the environment (and a `.env` file, read by `main`). Every variable is
//! listed in `docs/CONFIGURATION.md`; [`Config::from_env`] validates them all at start-up and
//! names each one that is wrong.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use linli_domain::certificate::Keys;
use linli_domain::db::{DatabaseSettings, DatabaseUrl};
use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/linli.sqlite3";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Which web origins may call the API from a browser page served elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Exactly these (`https://app.example.cn`); none in production unless configured.
    Listed(Vec<String>),
    /// Development: any `http://localhost:PORT` or `http://127.0.0.1:PORT` (a front-end dev
    /// server on this machine).
    Loopback,
}

/// Where the email relay delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required`, `smtps://…:465`.
    Smtp(String),
    /// `.eml` files in a folder, for development.
    Files(PathBuf),
}

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    pub database: DatabaseSettings,
    /// A PostgreSQL hot standby for anonymous queries (`LINLI_DATABASE_REPLICA_URL`).
    pub replica: Option<DatabaseUrl>,
    /// How far behind the primary the replica may be and still take reads.
    pub replica_max_lag: Duration,
    /// How long after a product changes an instance may still serve the page it cached before
    /// (`LINLI_CATALOGUE_CACHE_MS`; zero: no cache), and the cache's size in bytes.
    pub catalogue_cache_interval: Duration,
    pub catalogue_cache_bytes: u64,
    /// HS256 key for access tokens; at least 32 bytes.
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The most volunteer points one resident earns per day.
    pub daily_points_cap: i64,
    /// How often expired redemption holds are released.
    pub sweep_interval: Duration,
    pub mail: MailTransport,
    pub mail_from: String,
    /// How often the in-server email relay looks for due messages.
    pub relay_interval: Duration,
    /// The address people open links from emails at.
    pub public_url: String,
    pub limits: Limits,
    /// Whether an empty database gets the demo district on `linli serve`: only a development
    /// server on embedded SQLite bound to loopback, unless `LINLI_DEMO=off`.
    pub demo: bool,
    /// Browser origins allowed to call the API from another site (CORS).
    pub cors: CorsOrigins,
    /// Proxies whose `X-Forwarded-For` is believed (the load balancer in front of Linli).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The district's rule for group-run activities' points per hour.
    pub group_points_per_hour_max: i64,
    /// Adjustments and reversals above this wait for a second staff member.
    pub dual_control_points: i64,
    /// Budget allocations above this wait for a second staff member.
    pub dual_control_allocation_points: i64,
    /// What the centre pays a merchant per settled point, in fen.
    pub point_value_fen: i64,
    /// When residents' points lapse, by the year they were earned in.
    pub points_expiry: linli_domain::ledger::PointsExpiry,
    /// How long a need may wait for a match, by urgency, before it is escalated.
    pub need_sla: linli_domain::matching::Sla,
    /// The staff member overdue needs are escalated to (their login email); unset, the
    /// longest-standing administrator. Checked against the database when serving starts.
    pub need_escalation_email: Option<linli_domain::identity::Email>,
    /// The district's certificate keys (`LINLI_CERTIFICATE_KEY`, `LINLI_CERTIFICATE_RETIRED_KEYS`);
    /// none in development without a key: [`Config::certificate_keys`] makes one.
    pub certificate_keys: Option<Arc<Keys>>,
    /// Who certifies residents' service (`LINLI_CERTIFICATE_ISSUER`).
    pub certificate_issuer: String,
    /// The review queue's thresholds (`LINLI_REVIEW_*`).
    pub review: linli_domain::review::Thresholds,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("bind", &self.bind)
            .field("engine", &self.database.url.engine())
            .field("jwt_secret", &"***")
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("daily_points_cap", &self.daily_points_cap)
            .field("limits", &self.limits)
            .finish()
    }
}

/// GraphQL requests executing at once by default: the blocking pool's threads (tokio's
/// default), since beyond them work would queue where nothing can see or shed it.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 512;

/// Bounds on what one request may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// Nesting of selection sets, through fragments (our own check, before juniper's).
    pub max_depth: usize,
    pub max_aliases: usize,
    /// Objects one answer may hold, counted before it runs (`cost.rs`).
    pub max_nodes: u64,
    /// The most one request may cost (`cost.rs`); its cost is paid from the client's budget.
    pub max_cost: u64,
    /// Each client's budget of cost (a signed-in person, or an address for anonymous ones).
    pub budget: u64,
    /// Cost restored to a client's budget per second.
    pub budget_restore_per_sec: u64,
    /// juniper's own parser limits.
    pub max_tokens: usize,
    pub max_fields: usize,
    pub request_deadline: Duration,
    /// A request body still arriving after this is refused, so a client sending a byte at a
    /// time cannot hold a connection (slow headers are timed out by actix-web).
    pub body_deadline: Duration,
    /// GraphQL requests executing at once; more are shed with 503 at once rather than queued
    /// until every one of them is slow.
    pub max_in_flight: usize,
    /// Password hashes computed at once; further sign-ins wait without holding a thread.
    pub hashing_permits: usize,
    /// Open client connections, all workers together: kept below the descriptor limit so that
    /// a flood of connections leaves descriptors for the database, files and `/healthz`.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            // The standard introspection query nests 15 deep; fan-out is bounded by the
            // node and cost caps, not by depth.
            max_depth: 20,
            max_aliases: 30,
            max_nodes: 50_000,
            max_cost: 5_000,
            budget: 20_000,
            budget_restore_per_sec: 200,
            max_tokens: 3_000,
            max_fields: 500,
            request_deadline: Duration::from_secs(10),
            body_deadline: Duration::from_secs(10),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            hashing_permits: std::thread::available_parallelism()
                .map(|n| (n.get() / 2).max(1))
                .unwrap_or(1),
            max_connections: 10_000,
        }
    }
}

impl Config {
    /// Reads and validates every variable; the error lists all problems, not just the first.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut problems = Vec::new();
        let mut check = |result: Result<(), String>| {
            if let Err(problem) = result {
                problems.push(problem);
            }
        };
        let explicit_environment = get("LINLI_ENV").is_some();
        let environment = match get("LINLI_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                check(Err(format!(
                    "LINLI_ENV={other:?}: expected development or production"
                )));
                Environment::Development
            }
        };
        let bind = parse_or(&get, "LINLI_BIND", "127.0.0.1:8080", &mut check, |raw| {
            raw.parse::<SocketAddr>()
                .map_err(|_| "expected host:port, e.g. 127.0.0.1:8080".to_owned())
        });
        let replica = get("LINLI_DATABASE_REPLICA_URL").and_then(|raw| {
            match DatabaseUrl::parse(&raw) {
                Ok(url @ DatabaseUrl::Postgres(_)) => Some(url),
                Ok(DatabaseUrl::Sqlite(_)) => {
                    check(Err(
                        "LINLI_DATABASE_REPLICA_URL: a replica is a PostgreSQL standby (postgres://…)"
                            .to_owned(),
                    ));
                    None
                }
                Err(e) => {
                    check(Err(format!("LINLI_DATABASE_REPLICA_URL: {e}")));
                    None
                }
            }
        });
        let replica_max_lag =
            parse_or(&get, "LINLI_REPLICA_MAX_LAG_MS", "1000", &mut check, millis);
        let catalogue_cache_interval = parse_or(
            &get,
            "LINLI_CATALOGUE_CACHE_MS",
            "1000",
            &mut check,
            |raw| {
                raw.parse::<u64>()
                    .ok()
                    .filter(|n| *n <= 60_000)
                    .map(Duration::from_millis)
                    .ok_or_else(|| "expected milliseconds from 0 (no cache) to 60000".to_owned())
            },
        );
        let catalogue_cache_mib =
            parse_or(&get, "LINLI_CATALOGUE_CACHE_MIB", "64", &mut check, |raw| {
                raw.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=4_096).contains(n))
                    .ok_or_else(|| "expected MiB from 1 to 4096".to_owned())
            });
        let url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let url = match DatabaseUrl::parse(&url) {
            Ok(url) => Some(url),
            Err(e) => {
                check(Err(format!("DATABASE_URL: {e}")));
                None
            }
        };
        let pool_size = parse_or(&get, "LINLI_DB_POOL_SIZE", "10", &mut check, |raw| {
            raw.parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| "expected a number from 1 to 200".to_owned())
        });
        let statement_timeout = parse_or(
            &get,
            "LINLI_DB_STATEMENT_TIMEOUT_MS",
            "5000",
            &mut check,
            millis,
        );
        let lock_timeout = parse_or(&get, "LINLI_DB_LOCK_TIMEOUT_MS", "3000", &mut check, millis);
        let checkout_timeout = parse_or(
            &get,
            "LINLI_DB_CHECKOUT_TIMEOUT_MS",
            "2000",
            &mut check,
            millis,
        );
        let access_token_ttl =
            parse_or(&get, "LINLI_ACCESS_TOKEN_TTL_SECS", "900", &mut check, secs);
        let refresh_token_ttl = parse_or(
            &get,
            "LINLI_REFRESH_TOKEN_TTL_SECS",
            "2592000",
            &mut check,
            secs,
        );
        let body_deadline = parse_or(&get, "LINLI_BODY_TIMEOUT_MS", "10000", &mut check, millis);
        let in_flight = parse_or(&get, "LINLI_MAX_IN_FLIGHT", "0", &mut check, |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| *n <= 100_000)
                .ok_or_else(|| "expected a number up to 100000 (0: the default)".to_owned())
        });
        let connections = parse_or(&get, "LINLI_MAX_CONNECTIONS", "10000", &mut check, |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| "expected a number from 1 to 100000".to_owned())
        });
        let deadline = parse_or(
            &get,
            "LINLI_REQUEST_DEADLINE_MS",
            "10000",
            &mut check,
            millis,
        );
        let sweep_interval = parse_or(&get, "LINLI_SWEEP_INTERVAL_SECS", "30", &mut check, |raw| {
            raw.parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(Duration::from_secs)
                .ok_or_else(|| "expected seconds from 1 to 3600".to_owned())
        });
        let relay_interval = parse_or(&get, "LINLI_RELAY_INTERVAL_SECS", "5", &mut check, |raw| {
            raw.parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(Duration::from_secs)
                .ok_or_else(|| "expected seconds from 1 to 3600".to_owned())
        });
        let mail = match get("LINLI_SMTP_URL") {
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => {
                MailTransport::Smtp(url)
            }
            Some(_) => {
                check(Err(
                    "LINLI_SMTP_URL: expected smtp://host:port or smtps://user:pass@host:port"
                        .to_owned(),
                ));
                MailTransport::Files(PathBuf::new())
            }
            None if environment == Environment::Production => {
                check(Err(
                    "LINLI_SMTP_URL: required when LINLI_ENV=production".to_owned()
                ));
                MailTransport::Files(PathBuf::new())
            }
            None => MailTransport::Files(PathBuf::from(
                get("LINLI_MAIL_DIR").unwrap_or_else(|| "data/mail".to_owned()),
            )),
        };
        let mail_from =
            get("LINLI_MAIL_FROM").unwrap_or_else(|| "邻里 Linli <noreply@linli.local>".to_owned());
        let daily_points_cap = parse_or(&get, "LINLI_DAILY_POINTS_CAP", "100", &mut check, |raw| {
            raw.parse::<i64>()
                .ok()
                .filter(|n| (0..=100_000).contains(n))
                .ok_or_else(|| "expected a number from 0 to 100000".to_owned())
        });
        let points = |name: &str, default: &str, check: &mut dyn FnMut(Result<(), String>)| {
            let raw = get(name).unwrap_or_else(|| default.to_owned());
            match raw.trim().parse::<i64>() {
                Ok(n) if (1..=100_000_000).contains(&n) => Some(n),
                _ => {
                    check(Err(format!(
                        "{name}={raw:?}: expected points from 1 to 100000000"
                    )));
                    None
                }
            }
        };
        let whole = |raw: &str| {
            raw.parse::<u64>()
                .ok()
                .filter(|n| (1..=100_000_000).contains(n))
                .ok_or_else(|| "expected a whole number from 1 to 100000000".to_owned())
        };
        let budget = parse_or(&get, "LINLI_COST_BUDGET", "20000", &mut check, whole);
        let budget_restore = parse_or(&get, "LINLI_COST_RESTORE_PER_SEC", "200", &mut check, whole);
        let group_points_per_hour_max = points("LINLI_GROUP_POINTS_PER_HOUR_MAX", "10", &mut check);
        let dual_control_points = points("LINLI_DUAL_CONTROL_POINTS", "1000", &mut check);
        let dual_control_allocation_points =
            points("LINLI_DUAL_CONTROL_ALLOCATION_POINTS", "100000", &mut check);
        let point_value_fen = parse_or(&get, "LINLI_POINT_VALUE_FEN", "100", &mut check, |raw| {
            raw.parse::<i64>()
                .ok()
                .filter(|n| (0..=100_000).contains(n))
                .ok_or_else(|| "expected fen per point from 0 to 100000".to_owned())
        });
        let points_expiry = parse_or(&get, "LINLI_POINTS_EXPIRY_YEARS", "1", &mut check, |raw| {
            linli_domain::ledger::PointsExpiry::parse(raw)
        });
        let need_sla = parse_or(&get, "LINLI_NEED_SLA_HOURS", "", &mut check, |raw| {
            linli_domain::matching::Sla::parse(raw)
        });
        let need_escalation_email = match get("LINLI_NEED_ESCALATION_EMAIL") {
            None => None,
            Some(raw) => match linli_domain::identity::Email::parse(&raw) {
                Ok(email) => Some(email),
                Err(_) => {
                    check(Err(format!(
                        "LINLI_NEED_ESCALATION_EMAIL={raw:?}: expected a staff member's login email"
                    )));
                    None
                }
            },
        };
        let cors = match get("LINLI_CORS_ORIGINS") {
            Some(list) => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect();
                for origin in &origins {
                    if !(origin.starts_with("https://") || origin.starts_with("http://"))
                        || origin.matches('/').count() != 2
                    {
                        check(Err(format!(
                            "LINLI_CORS_ORIGINS: {origin:?}: expected an origin such as https://app.example.cn"
                        )));
                    }
                }
                CorsOrigins::Listed(origins)
            }
            None if environment == Environment::Production => CorsOrigins::Listed(Vec::new()),
            None => CorsOrigins::Loopback,
        };
        let trusted_proxies = get("LINLI_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
            .filter_map(|raw| match parse_network(raw) {
                Ok(net) => Some(net),
                Err(e) => {
                    check(Err(format!("LINLI_TRUSTED_PROXIES: {raw:?}: {e}")));
                    None
                }
            })
            .collect::<Vec<_>>();
        // A default is only safe where nobody else can reach it: an unset LINLI_ENV on a
        // shared database or a public address would serve GraphiQL and seed the demo's
        // published staff password.
        if !explicit_environment {
            if matches!(url, Some(DatabaseUrl::Postgres(_))) {
                check(Err(
                    "LINLI_ENV: not set, but DATABASE_URL names a PostgreSQL server; \
                     set LINLI_ENV=production (or LINLI_ENV=development on purpose)"
                        .to_owned(),
                ));
            }
            if bind.is_some_and(|b: SocketAddr| !b.ip().is_loopback()) {
                check(Err(
                    "LINLI_ENV: not set, but LINLI_BIND is not a loopback address; \
                     set LINLI_ENV=production (or LINLI_ENV=development on purpose)"
                        .to_owned(),
                ));
            }
        }
        let demo = environment == Environment::Development
            && matches!(url, Some(DatabaseUrl::Sqlite(_)))
            && bind.is_some_and(|b: SocketAddr| b.ip().is_loopback())
            && get("LINLI_DEMO").as_deref() != Some("off");
        let jwt_secret = match get("LINLI_JWT_SECRET") {
            Some(secret) if secret.len() >= 32 => secret.into_bytes(),
            Some(_) => {
                check(Err("LINLI_JWT_SECRET: must be at least 32 bytes".to_owned()));
                Vec::new()
            }
            None if environment == Environment::Production => {
                check(Err(
                    "LINLI_JWT_SECRET: required when LINLI_ENV=production".to_owned()
                ));
                Vec::new()
            }
            // Development: a fresh key per start; tokens simply do not survive a restart.
            None => random_secret(),
        };
        let review_default = linli_domain::review::Thresholds::default();
        let count_between = |low: usize, high: usize| {
            move |raw: &str| match raw.parse::<usize>() {
                Ok(n) if (low..=high).contains(&n) => Ok(n),
                _ => Err(format!("expected a whole number from {low} to {high}")),
            }
        };
        let identical_attendance = parse_or(
            &get,
            "LINLI_REVIEW_IDENTICAL_ATTENDANCE",
            "5",
            &mut check,
            count_between(2, 1000),
        );
        let cycle_accounts = parse_or(
            &get,
            "LINLI_REVIEW_CYCLE_ACCOUNTS",
            "3",
            &mut check,
            count_between(2, 6),
        );
        let mut whole = |name: &str, default: &str, low: usize, high: usize| {
            parse_or(&get, name, default, &mut check, |raw| {
                count_between(low, high)(raw).map(|n| i64::try_from(n).unwrap_or(i64::MAX))
            })
        };
        let cycle_days = whole("LINLI_REVIEW_CYCLE_DAYS", "30", 1, 365);
        let overlap_minutes = whole("LINLI_REVIEW_OVERLAP_MINUTES", "30", 1, 1440);
        let merchant_factor = whole("LINLI_REVIEW_MERCHANT_FACTOR", "5", 2, 100);
        let merchant_min = whole("LINLI_REVIEW_MERCHANT_MIN", "20", 2, 10_000);
        let member_days = whole("LINLI_REVIEW_MEMBER_DAYS", "90", 1, 365);
        let address_accounts = parse_or(
            &get,
            "LINLI_REVIEW_ADDRESS_ACCOUNTS",
            "10",
            &mut check,
            count_between(1, 10_000),
        );
        let review = linli_domain::review::Thresholds {
            identical_attendance: identical_attendance
                .unwrap_or(review_default.identical_attendance),
            cycle_accounts: cycle_accounts.unwrap_or(review_default.cycle_accounts),
            cycle_days: cycle_days.unwrap_or(review_default.cycle_days),
            overlap_minutes: overlap_minutes.unwrap_or(review_default.overlap_minutes),
            address_accounts: address_accounts.unwrap_or(review_default.address_accounts),
            merchant_factor: merchant_factor.unwrap_or(review_default.merchant_factor),
            merchant_min: merchant_min.unwrap_or(review_default.merchant_min),
            member_days: member_days.unwrap_or(review_default.member_days),
        };
        let certificate_keys = certificate_keys(&get, environment).unwrap_or_else(|problem| {
            check(Err(problem));
            None
        });
        if replica.is_some() && matches!(url, Some(DatabaseUrl::Sqlite(_))) {
            check(Err(
                "LINLI_DATABASE_REPLICA_URL: DATABASE_URL must name the PostgreSQL primary"
                    .to_owned(),
            ));
        }
        if !problems.is_empty() {
            return Err(format!(
                "invalid configuration:\n  {}",
                problems.join("\n  ")
            ));
        }
        let (Some(url), Some(bind), Some(max_connections)) = (url, bind, pool_size) else {
            return Err("invalid configuration".to_owned());
        };
        let limits = Limits {
            request_deadline: deadline.unwrap_or(Duration::from_secs(10)),
            body_deadline: body_deadline.unwrap_or(Duration::from_secs(10)),
            max_in_flight: match in_flight {
                Some(0) | None => DEFAULT_MAX_IN_FLIGHT,
                Some(n) => n,
            },
            budget: budget.unwrap_or(20_000),
            budget_restore_per_sec: budget_restore.unwrap_or(200),
            max_connections: connections.unwrap_or(10_000),
            ..Limits::default()
        };
        Ok(Self {
            environment,
            bind,
            database: DatabaseSettings {
                url,
                max_connections,
                checkout_timeout: checkout_timeout.unwrap_or(Duration::from_secs(2)),
                statement_timeout: statement_timeout.unwrap_or(Duration::from_secs(5)),
                lock_timeout: lock_timeout.unwrap_or(Duration::from_secs(3)),
            },
            replica,
            replica_max_lag: replica_max_lag.unwrap_or(Duration::from_secs(1)),
            catalogue_cache_interval: catalogue_cache_interval.unwrap_or(Duration::from_secs(1)),
            catalogue_cache_bytes: catalogue_cache_mib.unwrap_or(64) * 1024 * 1024,
            jwt_secret,
            access_token_ttl: access_token_ttl.unwrap_or(Duration::from_secs(900)),
            refresh_token_ttl: refresh_token_ttl.unwrap_or(Duration::from_secs(2_592_000)),
            daily_points_cap: daily_points_cap.unwrap_or(100),
            sweep_interval: sweep_interval.unwrap_or(Duration::from_secs(30)),
            relay_interval: relay_interval.unwrap_or(Duration::from_secs(5)),
            public_url: get("LINLI_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}")),
            mail,
            mail_from,
            limits,
            demo,
            cors,
            trusted_proxies,
            group_points_per_hour_max: group_points_per_hour_max.unwrap_or(10),
            dual_control_points: dual_control_points.unwrap_or(1_000),
            dual_control_allocation_points: dual_control_allocation_points.unwrap_or(100_000),
            point_value_fen: point_value_fen.unwrap_or(100),
            points_expiry: points_expiry.unwrap_or_default(),
            need_sla: need_sla.unwrap_or_default(),
            need_escalation_email,
            certificate_keys: certificate_keys.map(Arc::new),
            review,
            certificate_issuer: get("LINLI_CERTIFICATE_ISSUER")
                .unwrap_or_else(|| linli_domain::certificate::DEFAULT_ISSUER.to_owned()),
        })
    }
}

/// Where development keeps the certificate key it makes on first start, so certificates issued
/// by the demo still verify after a restart.
pub const DEVELOPMENT_CERTIFICATE_KEY: &str = "data/certificate-key.pem";

impl Config {
    /// The certificate keys to serve with: the configured ones, or in development the key kept
    /// in [`DEVELOPMENT_CERTIFICATE_KEY`], made on first start.
    pub fn certificate_keys(&self) -> Result<Arc<Keys>, String> {
        match &self.certificate_keys {
            Some(keys) => Ok(keys.clone()),
            None => {
                let pem = development_key()?;
                Keys::from_pem(&pem, &[])
                    .map(Arc::new)
                    .map_err(|e| format!("{DEVELOPMENT_CERTIFICATE_KEY}: {e}"))
            }
        }
    }
}

/// The signing key from `LINLI_CERTIFICATE_KEY` (a PKCS#8 PEM file) and the retired public keys
/// from `LINLI_CERTIFICATE_RETIRED_KEYS` (SPKI PEM files, comma-separated). Production names
/// its key; development without one leaves it to [`Config::certificate_keys`].
fn certificate_keys(
    get: &impl Fn(&str) -> Option<String>,
    environment: Environment,
) -> Result<Option<Keys>, String> {
    let read = |name: &str, path: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("{name}: {path}: {e}"))
    };
    let retired = get("LINLI_CERTIFICATE_RETIRED_KEYS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|path| read("LINLI_CERTIFICATE_RETIRED_KEYS", path))
        .collect::<Result<Vec<_>, _>>()?;
    let private = match get("LINLI_CERTIFICATE_KEY") {
        Some(path) => read("LINLI_CERTIFICATE_KEY", &path)?,
        None if environment == Environment::Production => {
            return Err("LINLI_CERTIFICATE_KEY: required when LINLI_ENV=production \
                 (make one with `linli certificate-key new`)"
                .to_owned());
        }
        None => return Ok(None),
    };
    Keys::from_pem(&private, &retired)
        .map(Some)
        .map_err(|e| format!("LINLI_CERTIFICATE_KEY: {e}"))
}

fn development_key() -> Result<String, String> {
    let path = std::path::Path::new(DEVELOPMENT_CERTIFICATE_KEY);
    if let Ok(pem) = std::fs::read_to_string(path) {
        return Ok(pem);
    }
    let pem = Keys::generate().private_pem()?;
    write_private(path, &pem).map_err(|e| format!("{DEVELOPMENT_CERTIFICATE_KEY}: {e}"))?;
    Ok(pem)
}

/// Writes a private key readable by its owner only, never over an existing file.
pub fn write_private(path: &std::path::Path, pem: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(pem.as_bytes())
}

/// An address (`10.0.0.5`) or a network (`10.0.0.0/8`).
fn parse_network(raw: &str) -> Result<ipnet::IpNet, String> {
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| "expected an IP address or a CIDR network such as 10.0.0.0/8".to_owned())
}

fn parse_or<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
    check: &mut impl FnMut(Result<(), String>),
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = get(name).unwrap_or_else(|| default.to_owned());
    match parse(raw.trim()) {
        Ok(value) => Some(value),
        Err(e) => {
            check(Err(format!("{name}={raw:?}: {e}")));
            None
        }
    }
}

fn millis(raw: &str) -> Result<Duration, String> {
    raw.parse::<u64>()
        .ok()
        .filter(|n| (1..=600_000).contains(n))
        .map(Duration::from_millis)
        .ok_or_else(|| "expected milliseconds from 1 to 600000".to_owned())
}

fn secs(raw: &str) -> Result<Duration, String> {
    raw.parse::<u64>()
        .ok()
        .filter(|n| (60..=31_536_000).contains(n))
        .map(Duration::from_secs)
        .ok_or_else(|| "expected seconds from 60 to 31536000".to_owned())
}

fn random_secret() -> Vec<u8> {
    let mut secret = Vec::with_capacity(64);
    while secret.len() < 64 {
        secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_start_on_embedded_sqlite() {
        let config = config(&[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert!(matches!(config.database.url, DatabaseUrl::Sqlite(_)));
        assert_eq!(config.environment, Environment::Development);
    }

    #[test]
    fn every_bad_variable_is_named() {
        let err = config(&[
            ("DATABASE_URL", "mysql://x"),
            ("LINLI_BIND", "nowhere"),
            ("LINLI_ENV", "prod"),
        ])
        .unwrap_err();
        assert!(err.contains("DATABASE_URL"), "{err}");
        assert!(err.contains("expected postgres://"), "{err}");
        assert!(err.contains("LINLI_BIND"), "{err}");
        assert!(err.contains("LINLI_ENV"), "{err}");
    }

    #[test]
    fn an_unset_environment_refuses_postgres_and_public_addresses_and_names_the_variable() {
        let err = config(&[("DATABASE_URL", "postgres://linli@db/linli")]).unwrap_err();
        assert!(err.contains("LINLI_ENV"), "{err}");
        let err = config(&[("LINLI_BIND", "0.0.0.0:8080")]).unwrap_err();
        assert!(err.contains("LINLI_ENV"), "{err}");
        let dev = config(&[
            ("LINLI_ENV", "development"),
            ("DATABASE_URL", "postgres://linli@db/linli"),
        ])
        .unwrap();
        assert!(
            !dev.demo,
            "the demo is seeded only on SQLite bound to loopback"
        );
    }

    #[test]
    fn the_demo_is_only_for_a_loopback_sqlite_development_server() {
        assert!(config(&[]).unwrap().demo);
        assert!(!config(&[("LINLI_DEMO", "off")]).unwrap().demo);
        let public = config(&[("LINLI_ENV", "development"), ("LINLI_BIND", "0.0.0.0:8080")]);
        assert!(!public.unwrap().demo);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = config(&[("LINLI_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")]).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let err = config(&[("LINLI_TRUSTED_PROXIES", "lb.internal")]).unwrap_err();
        assert!(err.contains("LINLI_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn need_slas_and_the_escalation_email_are_checked() {
        let c = config(&[("LINLI_NEED_SLA_HOURS", "HIGH:4")]).unwrap();
        assert_eq!(c.need_sla.high, chrono::TimeDelta::hours(4));
        assert_eq!(c.need_escalation_email, None);
        let err = config(&[
            ("LINLI_NEED_SLA_HOURS", "URGENT:4"),
            ("LINLI_NEED_ESCALATION_EMAIL", "nobody"),
        ])
        .unwrap_err();
        assert!(err.contains("LINLI_NEED_SLA_HOURS"), "{err}");
        assert!(err.contains("LINLI_NEED_ESCALATION_EMAIL"), "{err}");
    }

    #[test]
    fn production_requires_a_signing_key() {
        let err = config(&[("LINLI_ENV", "production")]).unwrap_err();
        assert!(err.contains("LINLI_JWT_SECRET"), "{err}");
    }
}
