//! Test harness: a real Linli server per test, on a fresh SQLite file or a fresh PostgreSQL
//! database, driven over HTTP.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use diesel::{Connection, PgConnection, RunQueryDsl};
use linli_api::auth::Tokens;
use linli_api::config::Config;
use linli_domain::Services;
use linli_domain::identity::{NewUser, Role};
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "linli-test-signing-key-0123456789abcdef";
pub const PASSWORD: &str = "长安街 correct horse";

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

pub struct TestApp {
    pub config: Config,
    pub url: String,
    pub base: String,
    pub services: Services,
    pub client: reqwest::Client,
    pub tokens: Tokens,
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
                (format!("sqlite://{}", path.display()), Cleanup::File(path))
            }
            Engine::Postgres => {
                let name = format!("linli_test_{tag}");
                let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                let base = postgres_admin_url();
                let url = match base.rfind('/') {
                    Some(i) if i > "postgres://".len() => format!("{}/{name}", &base[..i]),
                    _ => format!("{base}/{name}"),
                };
                (url, Cleanup::Database(name))
            }
        };
        Self::start(url, cleanup, &tag, extra).await
    }

    /// Another Linli instance on this app's database, as behind a load balancer.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Self::start(self.url.clone(), Cleanup::Shared, &tag, extra).await
    }

    async fn start(url: String, cleanup: Cleanup, tag: &str, extra: &[(&str, &str)]) -> Self {
        // Bound first so that the links in Linli's emails point at this very server.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut vars: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), url.clone()),
            ("LINLI_PUBLIC_URL".into(), format!("http://{addr}")),
            ("LINLI_JWT_SECRET".into(), JWT_SECRET.into()),
            ("LINLI_BIND".into(), "127.0.0.1:0".into()),
            ("LINLI_ENV".into(), "development".into()),
            ("LINLI_DB_POOL_SIZE".into(), "10".into()),
            (
                "LINLI_MAIL_DIR".into(),
                std::env::temp_dir()
                    .join("linli-tests")
                    .join(format!("mail-{tag}"))
                    .display()
                    .to_string(),
            ),
        ];
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = Config::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
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
            server: handle,
            cleanup,
        }
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn post(&self, query: &str, variables: Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
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
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected a top-level error: {body}"))
            .to_owned()
    }

    /// Registers a resident with `email` and signs them in; returns the access token.
    pub async fn resident(&self, email: &str) -> String {
        let data = self
            .ok(
                "mutation($input: RegisterResidentInput!) { registerResident(input: $input) { user { id } errors { code } } }",
                json!({ "input": { "email": email, "password": PASSWORD, "displayName": "居民" } }),
                None,
            )
            .await;
        assert_eq!(data["registerResident"]["errors"], json!([]), "{data}");
        self.sign_in(email).await
    }

    pub async fn sign_in(&self, login: &str) -> String {
        let data = self
            .ok(
                "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }",
                json!({ "input": { "login": login, "password": PASSWORD } }),
                None,
            )
            .await;
        data["signIn"]["session"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in failed: {data}"))
            .to_owned()
    }

    /// A staff member made the way operators do (`linli create-staff`), signed in.
    pub async fn staff(&self, email: &str) -> String {
        let services = self.services.clone();
        let email_owned = email.to_owned();
        tokio::task::spawn_blocking(move || {
            services
                .identity()
                .create_staff(
                    NewUser {
                        email: Some(email_owned),
                        password: PASSWORD.to_owned(),
                        display_name: "中心工作人员".to_owned(),
                        ..NewUser::default()
                    },
                    Role::Staff,
                )
                .unwrap()
        })
        .await
        .unwrap();
        self.sign_in(email).await
    }

    /// An access token issued `age` ago (for expiry tests).
    pub fn token_issued_ago(&self, user_global_id: &str, age: Duration) -> String {
        let raw = global_raw_id(user_global_id);
        let id = linli_domain::types::UserId::parse(&raw).unwrap();
        self.tokens
            .issue_at(&id, Role::Resident, SystemTime::now() - age)
            .unwrap()
            .token
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

/// The raw UUID inside a global id.
pub fn global_raw_id(global: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.split_once(':').unwrap().1.to_owned()
}

/// A test body: an ordinary `async fn(&TestApp)`, boxed so one runner serves every test.
pub type Body = for<'a> fn(&'a TestApp) -> BoxFuture<'a>;
pub type BoxFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// Runs one test body on a fresh server of `engine`, then checks the ledger invariants.
/// PostgreSQL runs are skipped (loudly) when it is unreachable outside CI.
pub async fn run_on(engine: Engine, body: Body) {
    if engine == Engine::Postgres && !postgres_available() {
        return;
    }
    let app = TestApp::spawn(engine).await;
    body(&app).await;
    app.assert_ledger_ok().await;
}

/// Declares, for each named `async fn name(app: &TestApp)` of the module, a test on SQLite
/// and one on PostgreSQL (`name::sqlite`, `name::postgres`). The bodies stay ordinary
/// functions, so rustfmt formats them and their doc comments and attributes stay theirs.
macro_rules! both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    $crate::support::run_on($crate::support::Engine::Sqlite, |app| {
                        Box::pin(super::$name(app))
                    })
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    $crate::support::run_on($crate::support::Engine::Postgres, |app| {
                        Box::pin(super::$name(app))
                    })
                    .await;
                }
            }
        )+
    };
}
pub(crate) use both_engines;
