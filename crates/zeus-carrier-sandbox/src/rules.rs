//! Thin adapters from the sandbox's records to the core's rules. Nothing
//! here decides anything the core owns.

use zeus_carrier_core::carrier::CarrierResult;
use zeus_carrier_core::{Event, JstDateTime, Order};

use crate::engine::Entered;
use crate::mail::MailDraft;
use crate::state::{CgiAttempt, SandboxState};

/// The events of a reservation whose date has come (SPEC §3, R-SL-2):
/// the core's [`zeus_carrier_core::settle::date_arrival_events`].
pub(crate) fn reservation_events(carrier: CarrierResult) -> Vec<Event> {
    zeus_carrier_core::settle::date_arrival_events(carrier).to_vec()
}

/// The notification mail for a status entered, if the status is mailed
/// (R-ST-2) and the screen's settings do not turn it off (that status's
/// mail, or every mail of a test payment): the core's text, addressed to
/// the settings' address.
pub(crate) fn notification_mail(
    state: &SandboxState,
    e: &Entered,
    at: JstDateTime,
) -> Option<MailDraft> {
    let settings = state.settings();
    if settings.mail_off.contains(&e.status) || (e.order.details().test && !settings.test_mail) {
        tracing::info!(order_no = %e.order.order_no(), status = e.status.code(), "mail not sent (settings)");
        return None;
    }
    let mail =
        zeus_carrier_core::mail::notification_mail(&e.order, e.status, &settings.mail_to, at)?;
    Some(MailDraft {
        subject: mail.subject,
        body: mail.body,
        order_no: Some(e.order.order_no().to_owned()),
    })
}

/// The CGI send error mail for a delivery that gave up after `attempt`
/// (R-ST-3, D-14): the core's text.
pub(crate) fn cgi_error_mail(
    state: &SandboxState,
    order: &Order,
    attempt: &CgiAttempt,
) -> MailDraft {
    let mail = zeus_carrier_core::mail::cgi_error_mail(
        order,
        attempt.status,
        &attempt.url,
        attempt.outcome,
        attempt.attempt,
        &state.settings().mail_to,
        state.now(),
    );
    MailDraft {
        subject: mail.subject,
        body: mail.body,
        order_no: Some(order.order_no().to_owned()),
    }
}
