//! Test harness: a real Linli server per test, on a fresh SQLite file or a fresh PostgreSQL
//! database, driven over HTTP; and the vocabulary the tests are written in, one file per area.
//!
//! A test is an ordinary `async fn name(app: &TestApp)` declared with `both_engines!(name)`;
//! it arranges with the fixtures of the area files (`app.staff()`, `app.funded_resident(100)`,
//! `app.merchant()` …), acts through the API, and asserts with the readers of `answers`
//! (`user_error(&data, "confirmRedemption")`, `tally(&answers, "redeemReward")` …).

mod answers;
pub mod catalogue;
pub mod directory;
pub mod identity;
pub mod incubation;
pub mod ledger;
mod log;
pub mod rewards;
pub mod settlement;
pub mod volunteering;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use linli_api::auth::Tokens;
use linli_api::config::{Config, MailTransport};
use linli_domain::Services;
use serde_json::{Value, json};

use crate::smtp::SmtpSink;
pub use answers::*;
pub use identity::{global_raw_id, unique_email};
pub use log::server_log;

pub const JWT_SECRET: &str = "linli-test-signing-key-0123456789abcdef";
pub const PASSWORD: &str = "长安街 correct horse";

/// For tests that run the periodic jobs themselves, at the instants they choose: the servers'
/// own sweepers run at start and then only hourly.
pub const SWEEP_ON_DEMAND: [(&str, &str); 1] = [("LINLI_SWEEP_INTERVAL_SECS", "3600")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

fn postgres_admin_url() -> String {
    std::env::var("LINLI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Whether PostgreSQL tests run. Unreachable PostgreSQL skips them loudly, except in CI,
/// where it fails the suite.
pub fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| match PgConnection::establish(&postgres_admin_url()) {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is required in CI (LINLI_TEST_POSTGRES_URL): {e}"
            );
            eprintln!("\n*** PostgreSQL unreachable ({e}): PostgreSQL tests are SKIPPED ***\n");
            false
        }
    })
}

fn postgres_url(database: &str) -> String {
    let base = postgres_admin_url();
    match base.rfind('/') {
        Some(i) if i > "postgres://".len() => format!("{}/{database}", &base[..i]),
        _ => format!("{base}/{database}"),
    }
}

/// The migrated database every PostgreSQL test database is cloned from, so the migrations run
/// once rather than once per test (a clone takes a tenth of a second). It is named after the
/// migrations it holds, so it is built once per change of `migrations/postgres` (by whichever
/// test process gets there first) and kept; nothing ever connects to it but that build.
fn postgres_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("linli_template_{:016x}", migrations_hash("postgres"));
        let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
        // A SELECT's row count is what `execute` reports.
        let exists = diesel::sql_query(format!(
            "SELECT 1 FROM pg_database WHERE datname = '{name}'"
        ))
        .execute(&mut admin)
        .unwrap()
            == 1;
        if exists {
            return name;
        }
        // Built under a name of its own and renamed when complete, so a concurrent test process
        // never clones a half-migrated template.
        let building = format!("linli_building_{}", uuid::Uuid::now_v7().simple());
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut admin)
            .unwrap();
        let tag = uuid::Uuid::now_v7().simple().to_string();
        drop(linli_api::open(&config(&postgres_url(&building), &tag, &[])).unwrap());
        let renamed = retry_while_busy(|| {
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut admin)
        });
        if !renamed {
            // Another process finished first; theirs is identical.
            retry_while_busy(|| {
                diesel::sql_query(format!("DROP DATABASE {building}")).execute(&mut admin)
            });
        }
        name
    })
}

/// The migrated SQLite file every SQLite test database is copied from, as PostgreSQL's are
/// cloned from their template: named after the migrations it holds, built by whichever test
/// process gets there first (under a name of its own, renamed when complete) and kept.
///
/// Its journal is WAL already, so no test server starts on a file that is not: a server's
/// pools open several connections at once, and on a new file they race to convert its
/// journal, which one of them can lose with "database is locked".
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::env::temp_dir().join("linli-tests");
        let name = format!("template-{:016x}.sqlite3", migrations_hash("sqlite"));
        let template = dir.join(name);
        if template.exists() {
            return template;
        }
        std::fs::create_dir_all(&dir).unwrap();
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let building = dir.join(format!("building-{tag}.sqlite3"));
        let mut conn = SqliteConnection::establish(&building.display().to_string()).unwrap();
        conn.batch_execute("PRAGMA journal_mode = WAL").unwrap();
        let url = format!("sqlite://{}", building.display());
        drop(linli_api::open(&config(&url, &tag, &[])).unwrap());
        // Everything the migrations wrote goes into the file itself, so a copy of it is whole.
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        drop(conn);
        // Renaming is atomic: a concurrent process copies either its template or this one.
        std::fs::rename(&building, &template).unwrap();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
        }
        template
    })
}

/// Runs a database-level statement, retrying while the database it names is still in use (a
/// closed pool's backends take a moment to exit). Returns false when it failed otherwise, as
/// renaming onto a name another process already took does.
fn retry_while_busy(mut statement: impl FnMut() -> diesel::QueryResult<usize>) -> bool {
    for _ in 0..100 {
        match statement() {
            Ok(_) => return true,
            Err(e) if e.to_string().contains("is being accessed by other users") => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) if e.to_string().contains("already exists") => return false,
            Err(e) => panic!("PostgreSQL: {e}"),
        }
    }
    panic!("PostgreSQL: a database stayed in use for 5 s");
}

/// A fingerprint of `migrations/{engine}`: every file's path and content.
fn migrations_hash(engine: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(engine);
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut hasher = std::hash::DefaultHasher::new();
    for file in files {
        file.strip_prefix(&root).unwrap().hash(&mut hasher);
        std::fs::read(&file).unwrap().hash(&mut hasher);
    }
    hasher.finish()
}

/// The district's certificate key, one per test process: every server a test starts signs with
/// it, as every instance of one district does, whatever its engine.
pub fn certificate_key_file() -> &'static str {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join("linli-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("certificate-key-{}.pem", std::process::id()));
        let pem = linli_domain::certificate::Keys::generate()
            .private_pem()
            .unwrap();
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    })
}

/// The configuration of a test server on `url`, with `extra` variables on top.
fn config(url: &str, tag: &str, extra: &[(&str, &str)]) -> Config {
    let mail_dir = std::env::temp_dir()
        .join("linli-tests")
        .join(format!("mail-{tag}"));
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), url.to_owned()),
        ("LINLI_JWT_SECRET".into(), JWT_SECRET.into()),
        ("LINLI_BIND".into(), "127.0.0.1:0".into()),
        ("LINLI_ENV".into(), "development".into()),
        ("LINLI_DB_POOL_SIZE".into(), "10".into()),
        ("LINLI_MAIL_DIR".into(), mail_dir.display().to_string()),
        (
            "LINLI_CERTIFICATE_KEY".into(),
            certificate_key_file().into(),
        ),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Config::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

pub struct TestApp {
    pub config: Config,
    pub url: String,
    pub base: String,
    pub services: Services,
    pub client: reqwest::Client,
    pub tokens: Tokens,
    /// The district's staff member, made on first use (`app.staff()`).
    staff: tokio::sync::OnceCell<(linli_domain::types::UserId, String)>,
    /// The SMTP server the app sends to, when started with one.
    mail: Option<SmtpSink>,
    server: actix_web::dev::ServerHandle,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database(String),
    /// A second instance on another app's database: the first one cleans up.
    Shared,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, &[]).await
    }

    pub async fn spawn_with(engine: Engine, extra: &[(&str, &str)]) -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let (url, cleanup) = match engine {
            Engine::Sqlite => {
                let dir = std::env::temp_dir().join("linli-tests");
                let path = dir.join(format!("{tag}.sqlite3"));
                std::fs::copy(sqlite_template(), &path).unwrap();
                (format!("sqlite://{}", path.display()), Cleanup::File(path))
            }
            Engine::Postgres => {
                let name = format!("linli_test_{tag}");
                let template = postgres_template();
                let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
                retry_while_busy(|| {
                    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                        .execute(&mut admin)
                });
                (postgres_url(&name), Cleanup::Database(name))
            }
        };
        Self::start(url, cleanup, &tag, extra).await
    }

    /// Fills the database with the demo district, as `cargo run` does on a fresh machine:
    /// the seed's report, and today's activity and pending redemptions renewed.
    pub async fn seed_demo(&self) -> linli_seed::Report {
        let services = self.services.clone();
        tokio::task::spawn_blocking(move || {
            let report = linli_seed::run(
                &services,
                linli_seed::Profile::Demo,
                1,
                linli_seed::DEFAULT_SEED,
                &mut |_| {},
            )
            .unwrap();
            linli_seed::refresh(&services).unwrap();
            report
        })
        .await
        .unwrap()
    }

    /// Another Linli instance on this app's database, as behind a load balancer.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Self::start(self.url.clone(), Cleanup::Shared, &tag, extra).await
    }

    /// A server on `url`, listening on a port of its own.
    async fn start(url: String, cleanup: Cleanup, tag: &str, extra: &[(&str, &str)]) -> Self {
        // Bound first so that the links in Linli's emails point at this very server.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let public_url = format!("http://{addr}");
        let extra: Vec<(&str, &str)> = std::iter::once(("LINLI_PUBLIC_URL", public_url.as_str()))
            .chain(extra.iter().copied())
            .collect();
        let config = config(&url, tag, &extra);
        let services = linli_api::open(&config).unwrap();
        let server = linli_api::serve(&config, services.clone(), listener).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            config: config.clone(),
            url,
            base: format!("http://{addr}"),
            services,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            tokens: Tokens::new(JWT_SECRET.as_bytes(), config.access_token_ttl),
            staff: tokio::sync::OnceCell::new(),
            mail: None,
            server: handle,
            cleanup,
        }
    }

    /// A server sending its email to an SMTP server of its own, relaying every second.
    pub async fn spawn_with_mail(engine: Engine) -> Self {
        let sink = SmtpSink::start().await;
        let mut app = Self::spawn_with(
            engine,
            &[
                ("LINLI_SMTP_URL", &sink.url()),
                ("LINLI_RELAY_INTERVAL_SECS", "1"),
            ],
        )
        .await;
        app.mail = Some(sink);
        app
    }

    /// The SMTP server of an app spawned with mail.
    pub fn mailbox(&self) -> &SmtpSink {
        self.mail
            .as_ref()
            .expect("the app was spawned without mail (`both_engines!(with mail: …)`)")
    }

    /// The text of the first email to `to` with `subject` in its subject that the relay wrote
    /// as an `.eml` file (the test configuration's transport), waiting for the relay's next
    /// run. One-time links are read here: nobody, staff included, sees them in the outbox.
    pub async fn delivered_mail(&self, to: &str, subject: &str) -> String {
        let MailTransport::Files(dir) = &self.config.mail else {
            panic!("this app sends over SMTP: read `app.mailbox()`");
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let data = std::fs::read(entry.path()).unwrap();
                let message = mail_parser::MessageParser::default().parse(&data).unwrap();
                let to_matches = message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .is_some_and(|a| a == to);
                if to_matches && message.subject().unwrap_or_default().contains(subject) {
                    return message.body_text(0).unwrap_or_default().into_owned();
                }
            }
            assert!(Instant::now() < deadline, "no mail to {to} about {subject}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn post(&self, query: &str, variables: Value, token: Option<&str>) -> (u16, Value) {
        let request = json!({ "query": query, "variables": variables });
        let response = self.send(&request, token).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// POSTs `request`, a whole GraphQL request body (`query`, `variables`, `operationName`);
    /// returns the HTTP response itself, headers and all.
    pub async fn send(&self, request: &Value, token: Option<&str>) -> reqwest::Response {
        let mut builder = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(request);
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        builder.send().await.unwrap()
    }

    /// A request that must succeed without top-level errors; returns `data`.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let (status, body) = self.post(query, variables, token).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The `extensions.code` of the first top-level error.
    pub async fn top_level_code(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> String {
        let (_, body) = self.post(query, variables, token).await;
        top_level_error(&body).to_owned()
    }

    /// `minutes` pass on the app's clock.
    pub fn minutes_pass(&self, minutes: u64) {
        self.services
            .clock
            .advance(Duration::from_secs(minutes * 60));
    }

    /// `days` pass on the app's clock.
    pub fn days_pass(&self, days: u64) {
        self.minutes_pass(days * 24 * 60);
    }

    /// Starts `n` attempts at once, `task(0)` to `task(n - 1)`, and waits for them all: the
    /// server sees every request in flight together. Returns the results in order.
    pub async fn concurrently<T, F>(&self, n: usize, task: impl FnMut(usize) -> F) -> Vec<T>
    where
        F: Future<Output = T>,
    {
        futures_util::future::join_all((0..n).map(task)).await
    }

    /// Every ledger invariant must hold; called at the end of every test.
    pub async fn assert_ledger_ok(&self) {
        let services = self.services.clone();
        let report = tokio::task::spawn_blocking(move || services.ledger().verify().unwrap())
            .await
            .unwrap();
        assert!(report.is_ok(), "ledger invariants violated:\n{report}");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and release the pool before removing the database.
        drop(self.server.stop(false));
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database(name) => {
                if let Ok(mut admin) = PgConnection::establish(&postgres_admin_url()) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
            Cleanup::Shared => {}
        }
    }
}

/// A test body: an ordinary `async fn(&TestApp)`, boxed so one runner serves every test.
pub type Body = for<'a> fn(&'a TestApp) -> BoxFuture<'a>;
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// How a test's server is started.
pub enum Setup {
    /// The test configuration.
    Default,
    /// The test configuration with these variables on top.
    Env(&'static [(&'static str, &'static str)]),
    /// The test configuration, sending email to an SMTP server of the test's own.
    Mail,
}

/// Runs one test body on a fresh server of `engine`, then checks the ledger invariants.
/// PostgreSQL runs are skipped (loudly) when it is unreachable outside CI.
pub async fn run_on(engine: Engine, setup: Setup, body: Body) {
    if engine == Engine::Postgres && !postgres_available() {
        return;
    }
    let app = match setup {
        Setup::Default => TestApp::spawn(engine).await,
        Setup::Env(vars) => TestApp::spawn_with(engine, vars).await,
        Setup::Mail => TestApp::spawn_with_mail(engine).await,
    };
    body(&app).await;
    app.assert_ledger_ok().await;
}

/// Declares, for each named `async fn name(app: &TestApp)` of the module, a test on SQLite
/// and one on PostgreSQL (`name::sqlite`, `name::postgres`). The bodies stay ordinary
/// functions, so rustfmt formats them and their doc comments and attributes stay theirs.
///
/// `both_engines!(with [("LINLI_DAILY_POINTS_CAP", "20")]: name)` starts their servers with
/// those variables set, `both_engines!(with SMALL_BUDGET: name)` with those of the module's
/// constant `SMALL_BUDGET`; `both_engines!(with mail: name)` gives them an SMTP server
/// (`app.mailbox()`) their email is relayed to every second.
macro_rules! both_engines {
    (with mail: $($name:ident),+ $(,)?) => {
        $crate::support::both_engines!(@declare $crate::support::Setup::Mail; $($name),+);
    };
    (with $vars:ident: $($name:ident),+ $(,)?) => {
        $crate::support::both_engines!(
            @declare $crate::support::Setup::Env(&super::$vars); $($name),+
        );
    };
    (with $vars:tt: $($name:ident),+ $(,)?) => {
        $crate::support::both_engines!(
            @declare $crate::support::Setup::Env(&$vars); $($name),+
        );
    };
    (@declare $setup:expr; $($name:ident),+) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    $crate::support::run_on($crate::support::Engine::Sqlite, $setup, |app| {
                        Box::pin(super::$name(app))
                    })
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    $crate::support::run_on($crate::support::Engine::Postgres, $setup, |app| {
                        Box::pin(super::$name(app))
                    })
                    .await;
                }
            }
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $crate::support::both_engines!(@declare $crate::support::Setup::Default; $($name),+);
    };
}
pub(crate) use both_engines;
