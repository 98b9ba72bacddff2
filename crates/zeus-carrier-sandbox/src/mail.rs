//! The mail outbox: every notification mail and CGI error mail is kept in
//! memory (`GET /_sandbox/mails`) and, with `--mail-dir`, written as an
//! `.eml` file (RFC 5322, Japanese subject RFC 2047-encoded, UTF-8 body).
//! What a mail says is the core's business ([`zeus_carrier_core::mail`]).

use std::path::Path;

use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use zeus_carrier_core::JstDateTime;

use crate::config::{ConfigError, Setting};
use crate::state::{MailRecord, SandboxState};

/// The sender of every sandbox mail.
pub const MAIL_FROM: &str = "ZEUS sandbox <sandbox@example.invalid>";

/// A mail before it is sent: what the core composed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDraft {
    /// The subject (件名).
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The order it is about.
    pub order_no: Option<String>,
}

/// Checks that `--mail-to` is a mail address.
pub(crate) fn check_address(addr: &str) -> Result<(), ConfigError> {
    addr.parse::<Mailbox>().map(|_| ()).map_err(|e| {
        ConfigError::new(
            Setting::MailTo,
            format!("{addr:?} is not a mail address: {e}"),
        )
    })
}

/// Sends a mail: keeps it in the outbox and, with `--mail-dir`, writes it
/// as an `.eml` file. A file that cannot be written is logged, not fatal:
/// the outbox still has the mail.
pub(crate) fn send(state: &SandboxState, draft: MailDraft) -> MailRecord {
    let at = state.now();
    let record = {
        let mut store = state.store();
        let record = MailRecord {
            id: store.mails.len() as u64 + 1,
            at,
            to: store.settings.mail_to.clone(),
            subject: draft.subject,
            body: draft.body,
            order_no: draft.order_no,
        };
        store.mails.push(record.clone());
        record
    };
    tracing::info!(mail = record.id, subject = %record.subject, order_no = ?record.order_no, "mail sent");
    if let Some(dir) = &state.config().mail().dir {
        if let Err(e) = write_eml(dir, &record) {
            tracing::warn!(mail = record.id, dir = %dir.display(), error = %e, "could not write .eml");
        }
    }
    record
}

/// The `.eml` file name of a mail: `00001-ORDERNO.eml` (order numbers are
/// `A-Za-z0-9.-`, safe in file names).
pub fn eml_file_name(record: &MailRecord) -> String {
    match &record.order_no {
        Some(no) => format!("{:05}-{no}.eml", record.id),
        None => format!("{:05}.eml", record.id),
    }
}

/// Builds the RFC 5322 bytes of a mail.
pub fn to_eml(record: &MailRecord) -> Result<Vec<u8>, String> {
    let from: Mailbox = MAIL_FROM.parse().map_err(|e| format!("from: {e}"))?;
    let to: Mailbox = record.to.parse().map_err(|e| format!("to: {e}"))?;
    let date: std::time::SystemTime = system_time(record.at);
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(record.subject.clone())
        .date(date)
        .header(ContentType::TEXT_PLAIN)
        .body(record.body.clone())
        .map_err(|e| e.to_string())?;
    Ok(message.formatted())
}

fn system_time(at: JstDateTime) -> std::time::SystemTime {
    at.into()
}

fn write_eml(dir: &Path, record: &MailRecord) -> Result<(), String> {
    let bytes = to_eml(record)?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(eml_file_name(record)), bytes).map_err(|e| e.to_string())
}
