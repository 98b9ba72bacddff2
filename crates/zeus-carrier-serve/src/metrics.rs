//! `GET /metrics` on the operator face: the service's counters and
//! latencies in the Prometheus text exposition format (0.0.4, INTERFACES
//! §3), or in OpenMetrics 1.0 for a scraper whose `Accept` asks for it
//! ([`Format::for_accept`]). `prometheus-client` encodes OpenMetrics;
//! [`Format::Prometheus`] is that text with what 0.0.4 does not have taken
//! away: the `# EOF` and `# UNIT` lines, and a counter family named with
//! its samples' `_total` ([`prometheus_text`]).
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `zeus_carrier_cgi_calls_total` | `effect` = created, advanced, duplicate, stale, flagged | CGI calls acknowledged (`successok`), by what they did to the record |
//! | `zeus_carrier_cgi_rejections_total` | `reason` = forbidden, unknown_source, query_too_large, body_too_large, unsupported_media_type, malformed, foreign, bad_signature, unavailable, storage | CGI calls not acknowledged |
//! | `zeus_carrier_secure_link_calls_total` | `operation` = settle, cancel; `outcome` = success, failure, maintenance, invalid, unknown | Secure Link calls sent |
//! | `zeus_carrier_secure_link_duration_seconds` | `operation` | histogram of the Secure Link call's time (request sent to answer read) |
//! | `zeus_carrier_store_commit_duration_seconds` | `kind` = notification, operation | histogram of the store's work: for a notification, the receiver's whole call (parsing is microseconds; the commit is the rest); for a settle or cancel, the facade's time outside the Secure Link call (lock, in-flight mark, record) |
//! | `zeus_carrier_operator_unauthorized_total` | | operator requests refused with `401` |
//!
//! Every label value is present from the start (at 0), so a dashboard
//! sees a counter before its first event. A shop embedding the crates can
//! keep a [`Metrics`] of its own: feed it with [`Metrics::cgi`] (or use it
//! as the [`zeus_carrier_merchant::CallbackObserver`] of
//! `callback_router_observed`) and [`Metrics::operated`], and answer
//! [`Metrics::render`].

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use zeus_carrier_core::merchant::EffectKind;
use zeus_carrier_core::secure_link::Outcome;
use zeus_carrier_merchant::operator::OperatorObserver;
use zeus_carrier_merchant::{Ack, CallbackObserver, CallbackRejection, Operated, RejectionReason};

/// The `Content-Type` of [`Metrics::render`]'s text: the Prometheus text
/// exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `Content-Type` of the OpenMetrics text ([`Format::OpenMetrics`]).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The text format of [`Metrics::render_as`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// The Prometheus text exposition format, version 0.0.4 ([`CONTENT_TYPE`]).
    Prometheus,
    /// OpenMetrics 1.0 ([`OPENMETRICS_CONTENT_TYPE`]).
    OpenMetrics,
}

impl Format {
    /// The format for a request's `Accept` header: OpenMetrics when it
    /// names `application/openmetrics-text` (as Prometheus's scraper
    /// does), else the Prometheus text format.
    pub fn for_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(a)
                if a.to_ascii_lowercase()
                    .contains("application/openmetrics-text") =>
            {
                Format::OpenMetrics
            }
            _ => Format::Prometheus,
        }
    }

    /// Its `Content-Type`.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// The effect labels, in the order of SPEC's vocabulary.
pub const EFFECTS: [&str; 5] = ["created", "advanced", "duplicate", "stale", "flagged"];

/// The Secure Link outcomes.
pub const OUTCOMES: [&str; 5] = ["success", "failure", "maintenance", "invalid", "unknown"];

/// Which Secure Link operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `act=settled`.
    Settle,
    /// `act=return`.
    Cancel,
}

impl Operation {
    /// `settle` or `cancel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::Settle => "settle",
            Operation::Cancel => "cancel",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EffectLabel {
    effect: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets: 1 ms to about 65 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// The service's metrics (see the module docs). Cheap to clone: clones
/// share the counters.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    cgi_calls: Family<EffectLabel, Counter>,
    cgi_rejections: Family<ReasonLabel, Counter>,
    secure_link_calls: Family<CallLabels, Counter>,
    secure_link_seconds: Histograms<OperationLabel>,
    store_seconds: Histograms<KindLabel>,
    unauthorized: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric, at zero, in a registry of its own (prefix
    /// `zeus_carrier`).
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zeus_carrier");
        let cgi_calls = Family::<EffectLabel, Counter>::default();
        let cgi_rejections = Family::<ReasonLabel, Counter>::default();
        let secure_link_calls = Family::<CallLabels, Counter>::default();
        let secure_link_seconds: Histograms<OperationLabel> =
            Family::new_with_constructor(latency_histogram);
        let store_seconds: Histograms<KindLabel> = Family::new_with_constructor(latency_histogram);
        let unauthorized = Counter::default();
        registry.register(
            "cgi_calls",
            "CGI calls acknowledged with successok, by their effect on the record",
            cgi_calls.clone(),
        );
        registry.register(
            "cgi_rejections",
            "CGI calls not acknowledged, by reason",
            cgi_rejections.clone(),
        );
        registry.register(
            "secure_link_calls",
            "Secure Link calls sent, by operation and outcome",
            secure_link_calls.clone(),
        );
        registry.register(
            "secure_link_duration_seconds",
            "Time of a Secure Link call, request sent to answer read",
            secure_link_seconds.clone(),
        );
        registry.register(
            "store_commit_duration_seconds",
            "Time of the store's work for a notification or an operation",
            store_seconds.clone(),
        );
        registry.register(
            "operator_unauthorized",
            "Operator requests refused for a missing or wrong bearer token",
            unauthorized.clone(),
        );
        for effect in EFFECTS {
            let _ = cgi_calls.get_or_create(&EffectLabel { effect });
        }
        for reason in RejectionReason::ALL {
            let _ = cgi_rejections.get_or_create(&ReasonLabel {
                reason: reason.as_str(),
            });
        }
        for operation in [Operation::Settle, Operation::Cancel] {
            let operation = operation.as_str();
            for outcome in OUTCOMES {
                let _ = secure_link_calls.get_or_create(&CallLabels { operation, outcome });
            }
            let _ = secure_link_seconds.get_or_create(&OperationLabel { operation });
        }
        for kind in ["notification", "operation"] {
            let _ = store_seconds.get_or_create(&KindLabel { kind });
        }
        Metrics {
            registry: Arc::new(registry),
            cgi_calls,
            cgi_rejections,
            secure_link_calls,
            secure_link_seconds,
            store_seconds,
            unauthorized,
        }
    }

    /// Counts one CGI call's result; for an acknowledged call also the
    /// time the receiver took (see the module docs).
    pub fn cgi(&self, result: &Result<Ack, CallbackRejection>, elapsed: Duration) {
        match result {
            Ok(ack) => {
                let Some(effect) = ack.effect() else {
                    return; // HEAD: nothing recorded, nothing counted.
                };
                let effect = match effect {
                    EffectKind::Create => "created",
                    EffectKind::Advance => "advanced",
                    EffectKind::Duplicate => "duplicate",
                    EffectKind::Stale => "stale",
                    EffectKind::Flagged => "flagged",
                };
                self.cgi_calls.get_or_create(&EffectLabel { effect }).inc();
                self.store_seconds
                    .get_or_create(&KindLabel {
                        kind: "notification",
                    })
                    .observe(elapsed.as_secs_f64());
            }
            Err(rejection) => {
                self.cgi_rejections
                    .get_or_create(&ReasonLabel {
                        reason: rejection.reason().as_str(),
                    })
                    .inc();
            }
        }
    }

    /// Counts one settle or cancel that was sent: its outcome, the Secure
    /// Link call's time (`link`) and the facade's whole time (`total`; the
    /// store's share is the difference).
    pub fn operated(
        &self,
        operation: Operation,
        outcome: &Outcome,
        link: Duration,
        total: Duration,
    ) {
        let operation = operation.as_str();
        self.secure_link_calls
            .get_or_create(&CallLabels {
                operation,
                outcome: outcome.wire_name(),
            })
            .inc();
        self.secure_link_seconds
            .get_or_create(&OperationLabel { operation })
            .observe(link.as_secs_f64());
        self.store_seconds
            .get_or_create(&KindLabel { kind: "operation" })
            .observe(total.saturating_sub(link).as_secs_f64());
    }

    /// Counts one operator request refused with `401`.
    pub fn unauthorized(&self) {
        self.unauthorized.inc();
    }

    /// The Prometheus text exposition ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        self.render_as(Format::Prometheus)
    }

    /// The metrics as text in `format`.
    pub fn render_as(&self, format: Format) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        match format {
            Format::OpenMetrics => out,
            Format::Prometheus => prometheus_text(&out),
        }
    }
}

/// OpenMetrics text as the Prometheus text format 0.0.4: without the
/// `# EOF` and `# UNIT` lines, and with each counter family's `# HELP` and
/// `# TYPE` naming it as its samples do (`…_total`). Every other line is
/// the same in both formats.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].into_iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}").trim_end().to_owned())
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

impl OperatorObserver for Metrics {
    fn operated(
        &self,
        operation: zeus_carrier_core::merchant::OperationKind,
        done: &Operated,
        total: Duration,
    ) {
        let operation = match operation {
            zeus_carrier_core::merchant::OperationKind::Settle => Operation::Settle,
            zeus_carrier_core::merchant::OperationKind::Cancel => Operation::Cancel,
        };
        Metrics::operated(self, operation, &done.outcome, done.elapsed, total);
    }

    fn unauthorized(&self) {
        Metrics::unauthorized(self);
    }
}

impl CallbackObserver for Metrics {
    fn observe(&self, result: &Result<Ack, CallbackRejection>, elapsed: Duration) {
        self.cgi(result, elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_is_exposed_from_the_start() {
        let text = Metrics::new().render();
        for effect in EFFECTS {
            assert!(
                text.contains(&format!(
                    "zeus_carrier_cgi_calls_total{{effect=\"{effect}\"}} 0"
                )),
                "{text}"
            );
        }
        assert!(text.contains("zeus_carrier_cgi_rejections_total{reason=\"forbidden\"} 0"));
        assert!(text.contains(
            "zeus_carrier_secure_link_calls_total{operation=\"settle\",outcome=\"unknown\"} 0"
        ));
        assert!(text.contains("zeus_carrier_secure_link_duration_seconds_bucket"));
        assert!(
            text.contains("zeus_carrier_store_commit_duration_seconds_count{kind=\"operation\"} 0")
        );
        assert!(!text.contains("# EOF"), "{text}");
        let open = Metrics::new().render_as(Format::OpenMetrics);
        assert!(open.trim_end().ends_with("# EOF"), "{open}");
    }

    /// The family a sample line belongs to in the 0.0.4 format: its name,
    /// or without `_bucket`, `_sum` or `_count` for a histogram's.
    fn families(text: &str) -> std::collections::HashMap<String, String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_once(' '))
            .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
            .collect()
    }

    #[test]
    fn interfaces_3_metrics_are_the_prometheus_text_format() {
        let m = Metrics::new();
        m.unauthorized();
        m.operated(
            Operation::Settle,
            &Outcome::Unknown {
                reason: zeus_carrier_core::secure_link::UnknownReason::HttpStatus(502),
            },
            Duration::from_millis(40),
            Duration::from_millis(45),
        );
        let text = m.render();
        let families = families(&text);
        assert_eq!(
            families
                .get("zeus_carrier_cgi_calls_total")
                .map(String::as_str),
            Some("counter"),
            "{text}"
        );
        assert_eq!(
            families
                .get("zeus_carrier_secure_link_duration_seconds")
                .map(String::as_str),
            Some("histogram"),
            "{text}"
        );
        let mut samples = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            samples += 1;
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .filter_map(|s| name.strip_suffix(s))
                .find(|base| families.get(*base).is_some_and(|k| k == "histogram"))
                .unwrap_or(name);
            assert!(
                families.contains_key(family),
                "no # TYPE for {line}\n{text}"
            );
            let value = line.rsplit(' ').next().unwrap_or_default();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        assert!(samples > 20, "{text}");
        for line in text.lines().filter(|l| l.starts_with("# HELP ")) {
            let name = line["# HELP ".len()..]
                .split(' ')
                .next()
                .unwrap_or_default();
            assert!(families.contains_key(name), "HELP without TYPE: {line}");
        }
        assert!(
            text.contains("zeus_carrier_operator_unauthorized_total 1"),
            "{text}"
        );
        assert!(!text.contains("# UNIT"), "{text}");
    }

    #[test]
    fn openmetrics_when_the_scraper_asks_for_it() {
        let prometheus_scraper = "application/openmetrics-text;version=1.0.0,\
             application/openmetrics-text;version=0.0.1;q=0.75,\
             text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            Format::for_accept(Some(prometheus_scraper)),
            Format::OpenMetrics
        );
        for accept in [
            None,
            Some("*/*"),
            Some("text/plain"),
            Some("text/plain;version=0.0.4"),
        ] {
            assert_eq!(Format::for_accept(accept), Format::Prometheus, "{accept:?}");
        }
        assert_eq!(Format::Prometheus.content_type(), CONTENT_TYPE);
        assert_eq!(Format::OpenMetrics.content_type(), OPENMETRICS_CONTENT_TYPE);
    }
}
