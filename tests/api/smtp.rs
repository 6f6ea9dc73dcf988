//! A real SMTP server on loopback for the email tests: it speaks enough SMTP for lettre,
//! keeps every message it accepts, and can be told to refuse.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> (String, String) {
        let message = mail_parser::MessageParser::default()
            .parse(&self.data)
            .unwrap();
        let subject = message.subject().unwrap_or_default().to_owned();
        let body = message
            .body_text(0)
            .map(|b| b.into_owned())
            .unwrap_or_default();
        (subject, body)
    }
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    /// While set, every recipient is refused with a permanent 550.
    reject: Arc<AtomicBool>,
    /// The accept loop; `None` while the server is down.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let sink = Self {
            addr: listener.local_addr().unwrap(),
            received: Arc::new(Mutex::new(Vec::new())),
            reject: Arc::new(AtomicBool::new(false)),
            task: Mutex::new(None),
        };
        sink.accept_on(listener);
        sink
    }

    fn accept_on(&self, listener: TcpListener) {
        let (store, refuse) = (self.received.clone(), self.reject.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (store, refuse) = (store.clone(), refuse.clone());
                tokio::spawn(async move {
                    let _ = session(stream, store, refuse).await;
                });
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// The server goes down: connections to its port are refused until `come_back`.
    pub async fn go_down(&self) {
        let task = self.task.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            // Aborted, the accept loop drops its listener and the port closes.
            let _ = task.await;
        }
    }

    /// The server listens on its port again.
    pub async fn come_back(&self) {
        self.accept_on(TcpListener::bind(self.addr).await.unwrap());
    }

    pub fn reject_everything(&self, reject: bool) {
        self.reject.store(reject, Ordering::Relaxed);
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (at most 15 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_for_recipient(None, n).await
    }

    /// Waits until at least `n` messages to `recipient` (any, when `None`) arrived.
    pub async fn wait_for_recipient(&self, recipient: Option<&str>, n: usize) -> Vec<Received> {
        let matching = || -> Vec<Received> {
            self.messages()
                .into_iter()
                .filter(|m| recipient.is_none_or(|r| m.to.iter().any(|t| t == r)))
                .collect()
        };
        for _ in 0..150 {
            let got = matching();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("expected {n} messages, got {}", matching().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
    reject: Arc<AtomicBool>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 linli-test ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-linli-test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("MAIL FROM")
            || command.starts_with("RSET")
            || command.starts_with("NOOP")
        {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") && reject.load(Ordering::Relaxed) {
            b"550 mailbox unavailable\r\n"
        } else if command.starts_with("RCPT TO") {
            to.push(
                line.trim_end()[8..]
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_owned(),
            );
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.extend_from_slice(unstuffed.as_bytes());
            }
            store.lock().unwrap().push(Received {
                to: std::mem::take(&mut to),
                data,
            });
            b"250 queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
