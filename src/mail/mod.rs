//! Email: the kinds of message, their rendering (askama templates, one folder per kind) and the
//! lettre transports (SMTP, or a folder of .eml files). What to send lives in the outbox
//! (`store::outbox`); the delivery loop is in `jobs`.

pub mod templates;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// The kinds of email the platform sends; stored in the outbox as their key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Invitation,
    Reminder,
    FinalReminder,
    Submission,
    Reopened,
    PasswordReset,
    FailureDigest,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Invitation,
        Kind::Reminder,
        Kind::FinalReminder,
        Kind::Submission,
        Kind::Reopened,
        Kind::PasswordReset,
        Kind::FailureDigest,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Reminder => "reminder",
            Kind::FinalReminder => "final_reminder",
            Kind::Submission => "submission",
            Kind::Reopened => "reopened",
            Kind::PasswordReset => "password_reset",
            Kind::FailureDigest => "failure_digest",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == raw)
    }

    /// Reminders are pointless once the response is submitted.
    pub fn is_reminder(self) -> bool {
        matches!(self, Kind::Reminder | Kind::FinalReminder)
    }
}

/// Where mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportConfig {
    /// An SMTP server: `smtp://` (STARTTLS required), `smtps://` (TLS from the start),
    /// `smtp://...?tls=none` (plain, for a relay on loopback), with `user:password@` for AUTH.
    Smtp(String),
    /// One .eml file per message in this folder (nothing to install on a laptop).
    Folder(PathBuf),
}

/// The mail part of the configuration.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: TransportConfig,
    /// `Name <address>` or a bare address.
    pub from: String,
    pub reply_to: Option<String>,
    /// Run the delivery worker and the reminder scheduler inside the server process.
    pub background_jobs: bool,
    /// How often the worker looks for due messages.
    pub poll_interval: Duration,
}

impl MailConfig {
    /// Where mail goes, with any password hidden (for logs).
    pub fn describe(&self) -> String {
        match &self.transport {
            TransportConfig::Smtp(url) => format!("SMTP {}", redact(url)),
            TransportConfig::Folder(dir) => format!("folder {}", dir.display()),
        }
    }

    /// Writes to a folder; used by tests and embedding.
    pub fn folder(dir: PathBuf) -> MailConfig {
        MailConfig {
            transport: TransportConfig::Folder(dir),
            from: DEFAULT_FROM.to_owned(),
            reply_to: None,
            background_jobs: true,
            poll_interval: Duration::from_secs(5),
        }
    }
}

pub const DEFAULT_FROM: &str = "Foro de Estadísticas Migratorias <no-reply@localhost>";

/// Parses a `Name <address>` or bare address, as the From and Reply-To headers need it.
pub fn parse_mailbox(raw: &str) -> Result<Mailbox, String> {
    let raw = raw.trim();
    if raw.chars().any(char::is_control) {
        return Err(format!("{raw:?} contains control characters"));
    }
    Mailbox::from_str(raw).map_err(|e| format!("{raw:?} is not an email address: {e}"))
}

/// The SMTP URL as lettre reads it: `smtp://` without `tls=` means STARTTLS required here
/// (lettre would send in the clear); `tls=none` is how to ask for plain text on purpose.
pub fn lettre_smtp_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let (scheme, _) = url
        .split_once("://")
        .ok_or_else(|| format!("{} is not an smtp:// or smtps:// URL", redact(url)))?;
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!(
            "{}: the scheme must be smtp:// (STARTTLS) or smtps:// (TLS)",
            redact(url)
        ));
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| format!("{}: bad query: {e}", redact(url)))?;
    let tls = pairs
        .iter()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.clone());
    match (scheme, tls.as_deref()) {
        ("smtp", None) => pairs.push(("tls".into(), "required".into())),
        ("smtp", Some("none")) => pairs.retain(|(k, _)| k != "tls"),
        // smtps (TLS from the start) needs no parameter.
        ("smtp", Some("required" | "opportunistic")) | (_, None) => {}
        (_, Some(other)) => {
            return Err(format!(
                "{}: tls={other} is not one of required, opportunistic, none",
                redact(url)
            ));
        }
    }
    if pairs.is_empty() {
        Ok(base.to_owned())
    } else {
        let query = serde_urlencoded::to_string(&pairs).map_err(|e| e.to_string())?;
        Ok(format!("{base}?{query}"))
    }
}

/// An URL with its password hidden, for logs.
pub fn redact(url: &str) -> String {
    crate::domain::text::redact_url(url)
}

/// One message to send, as the outbox holds it.
pub struct Outgoing<'a> {
    /// The outbox row's id, which goes into the Message-ID.
    pub id: &'a str,
    pub recipient: &'a str,
    pub recipient_name: &'a str,
    pub subject: &'a str,
    /// The sender's own reply-to address, if the message carries one.
    pub reply_to: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

/// Why a message did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The server refused for good (a 5xx answer, e.g. an unknown mailbox) or the message
    /// cannot be built: retrying cannot help.
    Permanent(String),
    /// Anything that may pass: the server is busy (4xx), a broken conversation.
    Transient(String),
    /// The server was not reached at all (refused, unreachable, timed out, a name that does not
    /// resolve): every other message would fail the same way for now. Retried like `Transient`.
    Unreachable(String),
}

/// Classifies an SMTP error by lettre's kinds, not by its text: a reply code decides between
/// permanent (5xx) and transient (4xx); no reply at all, with an I/O error (or a timeout) under
/// it, means the server was not reached.
pub fn classify_smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        return SendError::Permanent(e.to_string());
    }
    let replied = e.is_transient() || e.is_response() || e.status().is_some();
    let mut cause = std::error::Error::source(e);
    let mut io_failure = e.is_timeout();
    while let Some(inner) = cause {
        if inner.downcast_ref::<std::io::Error>().is_some() {
            io_failure = true;
        }
        cause = inner.source();
    }
    if !replied && !e.is_tls() && io_failure {
        SendError::Unreachable(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Permanent(m) | SendError::Transient(m) | SendError::Unreachable(m) => {
                f.write_str(m)
            }
        }
    }
}

/// Builds and sends messages with the configured transport.
pub struct Mailer {
    /// Always `Some` until dropped (see the `Drop` impl).
    transport: Option<Transport>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    description: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// How long one SMTP conversation may take before it counts as a (transient) failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let from = parse_mailbox(&config.from).map_err(|e| format!("--mail-from: {e}"))?;
        let reply_to = match config.reply_to.as_deref().map(str::trim) {
            Some(raw) if !raw.is_empty() => {
                Some(parse_mailbox(raw).map_err(|e| format!("--mail-reply-to: {e}"))?)
            }
            _ => None,
        };
        let (transport, description) = match &config.transport {
            TransportConfig::Smtp(url) => {
                let lettre_url = lettre_smtp_url(url).map_err(|e| format!("--smtp-url: {e}"))?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
                    .map_err(|e| format!("--smtp-url {}: {e}", redact(url)))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .pool_config(
                        PoolConfig::new()
                            .max_size(2)
                            .idle_timeout(Duration::from_secs(30)),
                    )
                    .build();
                (
                    Transport::Smtp(transport),
                    format!("SMTP {}", redact(&lettre_url)),
                )
            }
            TransportConfig::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the outbox folder {}: {e}", dir.display())
                })?;
                (
                    Transport::Folder(AsyncFileTransport::<Tokio1Executor>::new(dir)),
                    format!("folder {}", dir.display()),
                )
            }
        };
        Ok(Mailer {
            transport: Some(transport),
            from,
            reply_to,
            description,
        })
    }

    /// Where mail goes, for the log.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Checks that the SMTP server answers (a folder always does).
    pub async fn check(&self) -> Result<(), String> {
        match &self.transport {
            Some(Transport::Smtp(smtp)) => match smtp.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the server did not answer NOOP".to_owned()),
                Err(e) => Err(e.to_string()),
            },
            Some(Transport::Folder(_)) | None => Ok(()),
        }
    }

    /// The MIME message of an outbox message: text and HTML alternatives, the row id in the
    /// Message-ID (so a receiving client can tell a repeat), headers only through lettre's
    /// typed builders, which encode values and never let a line break start a new header.
    pub fn build(&self, row: &Outgoing<'_>) -> Result<lettre::Message, SendError> {
        let address = Address::from_str(row.recipient).map_err(|e| {
            SendError::Permanent(format!("invalid recipient {:?}: {e}", row.recipient))
        })?;
        let name = one_line(row.recipient_name);
        let to = Mailbox::new((!name.is_empty()).then_some(name), address);
        let domain = self.from.email.domain().to_owned();
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(row.subject))
            .message_id(Some(format!("<{}@{}>", row.id, domain)));
        // The server's reply-to address wins; else the one the message carries (the organizer
        // who sent an invitation). The footer says "reply to this email" only when one is set.
        let own = row.reply_to.and_then(|raw| parse_mailbox(raw).ok());
        if let Some(reply_to) = self.reply_to.clone().or(own) {
            builder = builder.reply_to(reply_to);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.to_owned(),
                row.body_html.to_owned(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }

    /// Sends one outbox row. Returns when the server accepted it (its 250) or refused it.
    pub async fn send(&self, row: &Outgoing<'_>) -> Result<(), SendError> {
        let message = self.build(row)?;
        match &self.transport {
            Some(Transport::Smtp(smtp)) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| classify_smtp_error(&e)),
            Some(Transport::Folder(folder)) => folder
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(e.to_string())),
            None => Err(SendError::Transient(
                "the mailer is shutting down".to_owned(),
            )),
        }
    }
}

impl Drop for Mailer {
    /// lettre's SMTP pool closes its connections from a task it spawns on drop, which panics
    /// outside a Tokio runtime (the last reference can go away on a thread whose runtime already
    /// stopped, at shutdown). There, the pool is left to the operating system instead.
    fn drop(&mut self) {
        // Tokio's `rt` feature comes with actix-web's runtime.
        if let Some(transport) = self.transport.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            std::mem::forget(transport);
        }
    }
}

/// A header value on one line: control characters (a newline typed into a name or a title)
/// become spaces, runs of spaces one.
pub fn one_line(raw: &str) -> String {
    raw.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_refused_smtp_port_is_classified_unreachable_by_its_kind() {
        // A loopback port that was free a moment ago: nothing listens, the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(5)))
            .build();
        let message = lettre::Message::builder()
            .from(parse_mailbox(DEFAULT_FROM).unwrap())
            .to("ana@inec.gob.pa".parse().unwrap())
            .subject("x")
            .body(String::from("x"))
            .unwrap();
        let error = smtp.send(message).await.unwrap_err();
        assert!(
            matches!(classify_smtp_error(&error), SendError::Unreachable(_)),
            "{error:?}"
        );
    }

    #[test]
    fn smtp_urls_default_to_starttls() {
        assert_eq!(
            lettre_smtp_url("smtp://mail.example.org").unwrap(),
            "smtp://mail.example.org?tls=required"
        );
        assert_eq!(
            lettre_smtp_url("smtp://u:p@127.0.0.1:2525?tls=none").unwrap(),
            "smtp://u:p@127.0.0.1:2525"
        );
        assert_eq!(
            lettre_smtp_url("smtps://u:p@mail.example.org:465").unwrap(),
            "smtps://u:p@mail.example.org:465"
        );
        assert_eq!(
            lettre_smtp_url("smtp://h?tls=opportunistic").unwrap(),
            "smtp://h?tls=opportunistic"
        );
        assert!(lettre_smtp_url("http://h").is_err());
        assert!(lettre_smtp_url("smtp://h?tls=maybe").is_err());
        let err = lettre_smtp_url("ftp://user:secret@h").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn mailboxes_parse_and_refuse_line_breaks() {
        assert_eq!(
            parse_mailbox(DEFAULT_FROM).unwrap().email.to_string(),
            "no-reply@localhost"
        );
        assert!(parse_mailbox("Forum <forum@example.org>").is_ok());
        assert!(parse_mailbox("a@example.org\r\nBcc: x@evil.example").is_err());
        assert!(parse_mailbox("not an address").is_err());
    }

    #[test]
    fn header_values_stay_on_one_line() {
        assert_eq!(
            one_line("Ana\r\nBcc: x@evil.example"),
            "Ana Bcc: x@evil.example"
        );
        assert_eq!(one_line("  a \t b  "), "a b");
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.key()), Some(kind));
        }
    }
}
