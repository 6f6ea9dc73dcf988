//! The email relay: sends what the outbox holds, over SMTP (lettre, rustls) in production or
//! into `.eml` files in development, and records each outcome. It runs inside the server and
//! alone as `linli relay`; several relays may share one PostgreSQL (claims carry a lease).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use linli_domain::Services;
use linli_domain::outbox;

use crate::config::{Config, MailTransport};

/// Messages one relay claims per round.
const BATCH: i64 = 50;

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

pub struct Relay {
    services: Services,
    transport: Transport,
    from: Mailbox,
    id: String,
}

/// Why one message could not be sent.
struct SendError {
    permanent: bool,
    reason: String,
}

impl Relay {
    pub fn new(config: &Config, services: Services) -> Result<Self, String> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("LINLI_MAIL_FROM: {e}"))?;
        let transport = match &config.mail {
            MailTransport::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("LINLI_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Transport::Files(AsyncFileTransport::<Tokio1Executor>::new(dir))
            }
        };
        Ok(Self {
            services,
            transport,
            from,
            id: format!("relay-{}", uuid::Uuid::now_v7()),
        })
    }

    /// One round: claim due messages, send each, record the outcome. Returns how many were
    /// handled (sent or failed).
    pub async fn run_once(&self) -> Result<usize, String> {
        let services = self.services.clone();
        let relay = self.id.clone();
        let claimed = tokio::task::spawn_blocking(move || services.outbox().claim(&relay, BATCH))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e:?}"))?;
        let handled = claimed.len();
        for message in claimed {
            let outcome = self.send(&message).await;
            let services = self.services.clone();
            let relay = self.id.clone();
            tokio::task::spawn_blocking(move || match outcome {
                Ok(()) => services.outbox().delivered(&relay, &message.id),
                Err(e) => {
                    tracing::warn!(message = %message.id, permanent = e.permanent, reason = %e.reason, "email not sent");
                    services.outbox().failed(&relay, &message, &e.reason, e.permanent)
                }
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e:?}"))?;
        }
        Ok(handled)
    }

    async fn send(&self, message: &outbox::Message) -> Result<(), SendError> {
        let to: Mailbox = message.recipient.parse().map_err(|e| SendError {
            permanent: true,
            reason: format!("bad recipient: {e}"),
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                message.body_html.clone(),
            ))
            .map_err(|e| SendError {
                permanent: true,
                reason: e.to_string(),
            })?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(email).await.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            }),
            Transport::Files(files) => files.send(email).await.map(|_| ()).map_err(|e| SendError {
                permanent: false,
                reason: e.to_string(),
            }),
        }
    }

    /// Runs rounds forever: immediately again while there is a backlog, otherwise every
    /// `interval`.
    pub async fn run(self, interval: Duration) {
        loop {
            match self.run_once().await {
                Ok(n) if i64::try_from(n).is_ok_and(|n| n >= BATCH) => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "email relay round failed"),
            }
            tokio::time::sleep(interval).await;
        }
    }
}
