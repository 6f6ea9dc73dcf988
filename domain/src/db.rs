//! Storage: one diesel code path over PostgreSQL and SQLite, pooled by r2d2.
//!
//! The URL scheme picks the engine. Every write goes through [`Database::write`], which opens
//! `BEGIN IMMEDIATE` on SQLite (a deferred transaction that reads first and writes later fails
//! under concurrency with "database is locked") and retries transactions that PostgreSQL aborted
//! for serialisation or deadlock, so callers write each use case once for both engines.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection,
    TransactionManager,
};
use diesel::pg::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, MultiConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{DomainError, DomainResult};

/// A connection to either engine; the rest of the domain only ever sees this type.
#[derive(MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// How many times a transaction aborted by the database (serialisation failure, deadlock,
/// SQLite busy) is run again before the caller sees `INTERNAL`.
const WRITE_ATTEMPTS: u32 = 4;

/// Which engine a URL names, with what each engine needs to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…` and `sqlite://path` (relative or absolute).
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/linli.sqlite3".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        Err(format!(
            "unsupported database URL scheme in {:?}: expected postgres://… or sqlite://path",
            redact(url)
        ))
    }

    pub fn engine(&self) -> Engine {
        match self {
            Self::Postgres(_) => Engine::Postgres,
            Self::Sqlite(_) => Engine::Sqlite,
        }
    }
}

/// Hides a password in a URL before it reaches an error message or a log line.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

/// A server's place in the write-ahead log ([`Database::wal_position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPosition {
    pub standby: bool,
    /// Bytes into the log; `None` on a standby that has replayed nothing yet.
    pub lsn: Option<i64>,
}

/// Whether a replica keeps up: it must have replayed everything the primary had written
/// `bound` ago. Fed one sample of both positions per check; a replica that is down, or has
/// become a primary, does not keep up.
#[derive(Debug)]
pub struct ReplicaLag {
    bound: Duration,
    /// The primary's positions, oldest first, back to the newest one at least `bound` old.
    history: std::collections::VecDeque<(std::time::Instant, i64)>,
}

impl ReplicaLag {
    pub fn new(bound: Duration) -> Self {
        Self {
            bound,
            history: std::collections::VecDeque::new(),
        }
    }

    pub fn observe(
        &mut self,
        now: std::time::Instant,
        primary: i64,
        replica: Option<WalPosition>,
    ) -> bool {
        self.history.push_back((now, primary));
        while self
            .history
            .get(1)
            .is_some_and(|(at, _)| now.duration_since(*at) >= self.bound)
        {
            self.history.pop_front();
        }
        // Until a sample is `bound` old the oldest one stands in: a stricter demand.
        let due = self.history.front().map_or(primary, |(_, lsn)| *lsn);
        matches!(replica, Some(WalPosition { standby: true, lsn: Some(lsn) }) if lsn >= due)
    }
}

/// Timeouts and pool size, from configuration.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub checkout_timeout: Duration,
    /// PostgreSQL `statement_timeout`; SQLite has no equivalent.
    pub statement_timeout: Duration,
    /// PostgreSQL `lock_timeout`; on SQLite the `busy_timeout`.
    pub lock_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("could not prepare the connection: {0}")]
    Setup(#[from] DieselError),
    #[error("could not create the folder for the SQLite file {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The r2d2 manager. Built by hand so that the engine comes from the URL and the real connection
/// error reaches the operator (`AnyConnection::establish` would hide it and fall back to SQLite).
#[derive(Debug)]
pub struct Manager {
    settings: DatabaseSettings,
    statements: Arc<AtomicU64>,
}

impl Manager {
    /// Counts every statement sent on this pool's connections: for metrics, and for tests that
    /// prove a page costs a fixed number of queries.
    fn statement_counter(&self) -> impl Instrumentation + use<> {
        let statements = self.statements.clone();
        move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                statements.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        let s = &self.settings;
        match &s.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET lock_timeout = {}; SET TIME ZONE 'UTC';",
                    s.statement_timeout.as_millis(),
                    s.lock_timeout.as_millis()
                ))?;
                conn.set_instrumentation(self.statement_counter());
                Ok(DbConnection::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                ensure_parent(path)?;
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // The journal mode is the file's, set once in `Database::connect`: switching it
                // here would race the pool's other new connections for the file's lock.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON;",
                    s.lock_timeout.as_millis()
                ))?;
                conn.set_instrumentation(self.statement_counter());
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(ConnectError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        unusable(conn)
    }
}

/// A connection still inside (or broken in) a transaction must not be used again.
fn unusable(conn: &mut DbConnection) -> bool {
    let status =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn);
    !matches!(status.transaction_depth(), Ok(None))
}

fn ensure_parent(path: &Path) -> Result<(), ConnectError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|source| ConnectError::Folder {
                path: path.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// The pool and the engine it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    engine: Engine,
    statements: Arc<AtomicU64>,
    /// Set on a request's view ([`Database::pinned`]): the one connection all its work uses.
    pinned: Option<Arc<Mutex<Option<PooledConnection>>>>,
    /// A hot standby for public reads ([`Database::with_replica`]).
    replica: Option<Arc<Replica>>,
    /// Set on a public request's view while the replica keeps up: where its reads go.
    reads: Option<Box<Database>>,
}

/// A streaming replica and whether it keeps up with the primary (watched by the server,
/// [`ReplicaLag`]).
struct Replica {
    db: Database,
    fresh: AtomicBool,
}

/// A connection in use: taken from the pool for one use, or the request's pinned one.
pub enum Conn<'a> {
    Pooled(PooledConnection),
    Pinned(MutexGuard<'a, Option<PooledConnection>>),
}

impl std::ops::Deref for Conn<'_> {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        match self {
            Conn::Pooled(conn) => conn,
            // A pinned guard is only made once its slot holds a connection.
            Conn::Pinned(slot) => slot.as_deref().unwrap_or_else(|| unreachable!()),
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        match self {
            Conn::Pooled(conn) => conn,
            Conn::Pinned(slot) => slot.as_deref_mut().unwrap_or_else(|| unreachable!()),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("engine", &self.engine)
            .field("state", &self.pool.state())
            .finish()
    }
}

impl Database {
    /// Opens the pool, failing at once (not after the checkout timeout) when the first
    /// connection cannot be made, with the database's own reason.
    pub fn connect(settings: DatabaseSettings) -> Result<Self, ConnectError> {
        // Prove the URL works before using the pool, so start-up reports the real error.
        let proof = Manager {
            settings: settings.clone(),
            statements: Arc::default(),
        };
        let mut first = r2d2::ManageConnection::connect(&proof)?;
        if let DbConnection::Sqlite(conn) = &mut first {
            // Write-ahead logging lets readers run beside the writer; it is kept in the file.
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        Ok(Self::pool(settings))
    }

    /// A pool that connects on first use, and again whenever a connection fails.
    fn pool(settings: DatabaseSettings) -> Self {
        let engine = settings.url.engine();
        let statements = Arc::new(AtomicU64::new(0));
        let pool = r2d2::Pool::builder()
            .max_size(settings.max_connections)
            .connection_timeout(settings.checkout_timeout)
            .test_on_check_out(false)
            .build_unchecked(Manager {
                settings,
                statements: statements.clone(),
            });
        Self {
            pool,
            engine,
            statements,
            pinned: None,
            replica: None,
            reads: None,
        }
    }

    /// This database with a PostgreSQL hot standby for public reads. The standby may be down
    /// when Linli starts: it takes reads once the server has seen it keep up.
    pub fn with_replica(self, settings: DatabaseSettings) -> Self {
        Self {
            replica: Some(Arc::new(Replica {
                db: Self::pool(settings),
                fresh: AtomicBool::new(false),
            })),
            ..self
        }
    }

    /// The replica, if there is one: for the watch that decides whether it keeps up.
    pub fn replica(&self) -> Option<&Database> {
        self.replica.as_ref().map(|r| &r.db)
    }

    /// Whether public reads go to the replica from now on.
    pub fn set_replica_fresh(&self, fresh: bool) {
        if let Some(replica) = &self.replica {
            replica.fresh.store(fresh, Ordering::Relaxed);
        }
    }

    /// A request's view for public reads (an anonymous query): like [`Database::pinned`],
    /// but its reads go to the replica while it keeps up. Writes, and any read when the
    /// replica cannot give a connection, go to the primary.
    pub fn public_view(&self) -> Self {
        let reads = self
            .replica
            .as_ref()
            .filter(|r| r.fresh.load(Ordering::Relaxed))
            .map(|r| Box::new(r.db.pinned()));
        Self {
            reads,
            ..self.pinned()
        }
    }

    /// Where this server's write-ahead log stands: written up to, on a primary; replayed up
    /// to, on a standby. `None` on SQLite.
    pub fn wal_position(&self) -> DomainResult<Option<WalPosition>> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            standby: bool,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
            lsn: Option<i64>,
        }
        let mut conn = self.conn()?;
        let DbConnection::Pg(pg) = &mut *conn else {
            return Ok(None);
        };
        let row: Row = diesel::sql_query(
            "SELECT pg_is_in_recovery() AS standby, pg_wal_lsn_diff(CASE WHEN \
             pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, \
             '0/0')::bigint AS lsn",
        )
        .get_result(pg)
        .map_err(|e| unavailable_if_so(e.into()))?;
        Ok(Some(WalPosition {
            standby: row.standby,
            lsn: row.lsn,
        }))
    }

    /// A view of this database for one request: everything done through it (and its clones)
    /// uses one connection, checked out from the pool on first use and returned when the last
    /// clone is dropped. However many fields a request resolves, it holds one connection.
    pub fn pinned(&self) -> Self {
        Self {
            pinned: Some(Arc::new(Mutex::new(None))),
            reads: None,
            ..self.clone()
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// Statements sent to the database since the pool opened.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    /// A connection of its own from the pool (for operators' tools and tests; use cases go
    /// through [`Database::read`] and [`Database::write`]).
    pub fn conn(&self) -> DomainResult<PooledConnection> {
        self.pool
            .get()
            .map_err(|e| DomainError::Unavailable(e.to_string()))
    }

    /// The connection a use case runs on: the pinned one of a request's view, else one from
    /// the pool. A pinned view used again while its connection is busy (a use case calling
    /// another inside its transaction) takes a second one from the pool rather than waiting
    /// on itself.
    fn connection(&self) -> DomainResult<Conn<'_>> {
        if let Some(slot) = &self.pinned
            && let Ok(mut guard) = slot.try_lock()
        {
            // A connection whose transaction could not be rolled back under an earlier use
            // case of this request (the server went away mid-way) would refuse every later
            // one; it goes back to the pool, which discards it, and a sound one takes its place.
            if guard.as_mut().is_some_and(|conn| unusable(conn)) {
                *guard = None;
            }
            if guard.is_none() {
                *guard = Some(self.conn()?);
            }
            return Ok(Conn::Pinned(guard));
        }
        self.conn().map(Conn::Pooled)
    }

    /// One round trip to the database, for readiness checks.
    pub fn ping(&self) -> DomainResult<()> {
        let mut conn = self.conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// Applies pending migrations of this engine; returns how many ran.
    pub fn migrate(&self) -> DomainResult<usize> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| DomainError::internal(format!("migration failed: {e}")))
    }

    /// Runs `f` in one read transaction: one consistent snapshot across all its statements
    /// (on PostgreSQL `REPEATABLE READ READ ONLY`, since READ COMMITTED would give each
    /// statement its own snapshot; SQLite's read transactions are snapshots already).
    pub fn read<T>(&self, f: impl FnOnce(&mut DbConnection) -> DomainResult<T>) -> DomainResult<T> {
        let mut conn = self.read_connection()?;
        read_transaction(&mut conn, f).map_err(unavailable_if_so)
    }

    /// Runs `f` outside any transaction, each statement reading the database as of its own
    /// start. For a read of one statement, or whose statements need no snapshot in common — a
    /// catalogue page, whose served communities are read just after its products — it spares
    /// the `BEGIN` and `COMMIT` that would otherwise be most of its round trips.
    pub fn read_without_snapshot<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        let mut conn = self.read_connection()?;
        f(&mut conn).map_err(unavailable_if_so)
    }

    /// The connection a read runs on: the replica's where one is configured, else this one's.
    fn read_connection(&self) -> DomainResult<Conn<'_>> {
        // A replica that cannot give a connection leaves the read to the primary.
        match self.reads.as_ref().and_then(|r| r.connection().ok()) {
            Some(conn) => Ok(conn),
            None => self.connection(),
        }
    }

    /// Runs `f` in one write transaction, again when the database aborted it for a reason that
    /// a retry cures. `f` must therefore be free of side effects outside the transaction.
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> DomainResult<T>,
    ) -> DomainResult<T> {
        let mut conn = self.connection()?;
        let mut attempt = 1;
        loop {
            match write_transaction(&mut conn, &mut f) {
                Err(err) if attempt < WRITE_ATTEMPTS && err.is_transient() => {
                    tracing::debug!(attempt, error = ?err, "retrying an aborted transaction");
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(u64::from(attempt) * 5));
                }
                Err(err) => {
                    // Under the use case's span (and the request's): a refused or failed write
                    // is found in the log by the request id.
                    tracing::debug!(attempt, error = %err, "write rolled back");
                    return Err(unavailable_if_so(err));
                }
                ok => return ok,
            }
        }
    }
}

fn read_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> DomainResult<T>,
) -> DomainResult<T> {
    match conn {
        DbConnection::Pg(inner) => AnsiTransactionManager::begin_transaction_sql(
            inner,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
        DbConnection::Sqlite(_) => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?;
        }
    }
    let outcome = f(conn);
    finish(conn, outcome, false)
}

/// `BEGIN IMMEDIATE` on SQLite takes the write lock up front, so a transaction that reads and
/// then writes never has to upgrade its lock and fail; PostgreSQL gets a plain `BEGIN`.
fn write_transaction<T>(
    conn: &mut DbConnection,
    f: &mut impl FnMut(&mut DbConnection) -> DomainResult<T>,
) -> DomainResult<T> {
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        }
        DbConnection::Pg(_) => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?;
        }
    }
    let outcome = f(conn);
    finish(conn, outcome, true)
}

/// Commits after success, rolls back after failure.
fn finish<T>(conn: &mut DbConnection, outcome: DomainResult<T>, writes: bool) -> DomainResult<T> {
    match outcome {
        Ok(value) => {
            match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                // The server may have committed before the connection went: no retry here,
                // and no answer saying that nothing was kept.
                Err(err) if writes && is_unavailable(&err) => {
                    rollback(conn);
                    Err(DomainError::OutcomeUnknown(err.to_string()))
                }
                Err(err) => {
                    rollback(conn);
                    Err(err.into())
                }
            }
        }
        Err(err) => {
            rollback(conn);
            Err(err)
        }
    }
}

fn rollback(conn: &mut DbConnection) {
    if let Err(err) = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
        // The pool discards the connection through `has_broken`; nothing else to do here.
        tracing::warn!(error = %err, "rollback failed");
    }
}

/// True for errors that mean "the same transaction may well succeed if run again".
pub(crate) fn is_transient(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("deadlock detected") || message.contains("database is locked")
        }
        _ => false,
    }
}

/// True for errors that mean "the database cannot serve this now": the connection was lost or
/// refused, the server is shutting down or starting, or a statement or lock timeout fired. The
/// client may retry later; nothing of the transaction was committed.
fn is_unavailable(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            [
                "canceling statement due to statement timeout",
                "canceling statement due to lock timeout",
                // A hot standby's read cancelled by the replay of a change it was reading.
                "due to conflict with recovery",
                "terminating connection",
                "server closed the connection",
                "the database system is",
                "could not connect",
                "connection to server",
            ]
            .iter()
            .any(|needle| message.contains(needle))
        }
        _ => false,
    }
}

/// A database failure the client can only wait out — unreachable, timed out, or still
/// aborted after every retry — becomes `Unavailable` (503 with `Retry-After`), never an
/// internal error that pages whoever watches the error rate.
fn unavailable_if_so(err: DomainError) -> DomainError {
    match err {
        DomainError::Database(e) if is_unavailable(&e) || is_transient(&e) => {
            DomainError::Unavailable(e.to_string())
        }
        other => other,
    }
}

diesel::define_sql_function! {
    /// Lower-cases text on both engines. Directory searches compare it with a lower-cased
    /// pattern ([`crate::types::contains_pattern`]): SQLite's `LIKE` ignores ASCII case on its
    /// own, PostgreSQL's does not, so without it a name with capitals is never found there.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// True when `err` is a unique violation of the named constraint or index. Both engines name the
/// columns or the constraint in their message; SQLite only the columns, so callers pass those.
pub(crate) fn is_unique_violation(err: &DieselError, needle: &str) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.message().contains(needle)
                || info.constraint_name().is_some_and(|c| c.contains(needle))
        }
        _ => false,
    }
}

/// Runs an INSERT in a savepoint and reports whether it added the row: false when a row with
/// the same key (a unique violation naming one of `needles`) is already there. The savepoint
/// keeps the caller's transaction usable, which PostgreSQL otherwise aborts on any error.
pub(crate) fn insert_unless_present(
    conn: &mut DbConnection,
    needles: &[&str],
    insert: impl FnOnce(&mut DbConnection) -> diesel::QueryResult<usize>,
) -> DomainResult<bool> {
    match conn.transaction(insert) {
        Ok(_) => Ok(true),
        Err(e) if needles.iter().any(|needle| is_unique_violation(&e, needle)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{ReplicaLag, WalPosition};

    fn standby(lsn: i64) -> Option<WalPosition> {
        Some(WalPosition {
            standby: true,
            lsn: Some(lsn),
        })
    }

    #[test]
    fn a_replica_keeps_up_while_it_has_what_the_primary_had_a_bound_ago() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut lag = ReplicaLag::new(Duration::from_millis(1000));
        assert!(lag.observe(at(0), 100, standby(100)));
        // Until a sample is a second old, the replica must have the oldest one.
        assert!(!lag.observe(at(500), 300, standby(99)));
        assert!(lag.observe(at(600), 400, standby(100)));
        // A second on, it must have what the primary had then (400 at 600 ms).
        assert!(!lag.observe(at(1700), 900, standby(300)));
        assert!(lag.observe(at(1800), 950, standby(400)));
    }

    #[test]
    fn a_replica_that_is_down_empty_or_promoted_does_not_keep_up() {
        let mut lag = ReplicaLag::new(Duration::from_secs(1));
        let now = Instant::now();
        assert!(!lag.observe(now, 0, None));
        let empty = Some(WalPosition {
            standby: true,
            lsn: None,
        });
        assert!(!lag.observe(now, 0, empty));
        let promoted = Some(WalPosition {
            standby: false,
            lsn: Some(10),
        });
        assert!(!lag.observe(now, 0, promoted));
    }
}
