//! What the servers of this test process log, formatted as the `linli` binary writes it: one
//! line per event, after the spans it happened in and their fields (the request's id among
//! them), so a test can read the log an operator would.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

/// The log lines written since [`server_log`] was first called, by every server of the process.
#[derive(Clone, Default)]
pub struct ServerLog(Arc<Mutex<Vec<u8>>>);

impl ServerLog {
    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Where the subscriber writes: the shared buffer.
pub struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for ServerLog {
    type Writer = Lines;

    fn make_writer(&'a self) -> Lines {
        Lines(self.0.clone())
    }
}

/// The process's log, capturing from the first call on: the domain's debug lines (retries and
/// rollbacks) inside the request spans of `tracing-actix-web`.
pub fn server_log() -> &'static ServerLog {
    static LOG: OnceLock<ServerLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = ServerLog::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "linli_domain=debug,linli_api=info,tracing_actix_web=info",
            ))
            .with_ansi(false)
            .with_writer(log.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber in the test process");
        log
    })
}
