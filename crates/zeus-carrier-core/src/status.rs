//! The eleven statuses of an order and what each one means for mail, CGI
//! notification and payout (SPEC §2, R-ST-1, R-ST-2, D-1, D-13).

use serde::{Deserialize, Serialize};
use strum::{EnumCount, EnumIter, IntoStaticStr};

/// The status of a carrier-billing order (SPEC §2). The two-digit code is
/// the row number of the manual's status table (D-1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumCount, IntoStaticStr,
)]
pub enum Status {
    /// 01 受付中: the shopper was sent to the carrier's page.
    Accepting,
    /// 02 決済失敗: the carrier step failed.
    PaymentFailed,
    /// 03 仮売完了: authorized; needs a settle to be billed.
    Authorized,
    /// 04 決済予約: a settle is reserved for a future date.
    SettleReserved,
    /// 05 確定処理中: the settlement is running at the carrier.
    Settling,
    /// 06 確定失敗: the carrier failed to settle.
    SettleFailed,
    /// 07 決済完了: the sale is confirmed.
    Completed,
    /// 08 取消完了: a completed sale was cancelled.
    Cancelled,
    /// 09 決済完了(取消失敗): cancel of a completed sale failed at the carrier;
    /// the merchant is paid and refunds the shopper itself.
    CompletedCancelFailed,
    /// 10 仮売取消完了: the authorization was cancelled.
    AuthorizationCancelled,
    /// 11 仮売完了(取消失敗): cancel of an authorization failed at the carrier.
    AuthorizationCancelFailed,
}

/// Whether the gateway sends a CGI call when an order enters a status
/// (SPEC §2 "CGI" column, R-CG-6, D-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgiRule {
    /// Never sent (×).
    Never,
    /// Always sent (○).
    Always,
    /// Sent only when the merchant opted in (△, D-13: off by default).
    Optional,
}

/// The merchant's choice for the optional CGI calls (△: statuses 04, 10,
/// 11; R-CG-6, D-13: off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionalCgi {
    /// Send the optional calls too (the merchant opted in).
    Send,
    /// Do not send them (the default, D-13).
    #[default]
    Skip,
}

/// The prefix every notification mail subject carries (R-ST-2).
pub const MAIL_SUBJECT_PREFIX: &str = "【ZEUS】キャリア決済 ";

/// A status code that is not one of the eleven (D-1). The raw value is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status: {raw:?} is not one of the eleven status codes 01..11 (D-1)")]
#[non_exhaustive]
pub struct UnknownStatus {
    /// The value as received.
    pub raw: String,
}

impl Status {
    /// The two-digit code (D-1).
    pub const fn code(self) -> &'static str {
        match self {
            Status::Accepting => "01",
            Status::PaymentFailed => "02",
            Status::Authorized => "03",
            Status::SettleReserved => "04",
            Status::Settling => "05",
            Status::SettleFailed => "06",
            Status::Completed => "07",
            Status::Cancelled => "08",
            Status::CompletedCancelFailed => "09",
            Status::AuthorizationCancelled => "10",
            Status::AuthorizationCancelFailed => "11",
        }
    }

    /// Parses a two-digit code; anything else is a typed error keeping the
    /// raw value (D-1).
    pub fn from_code(code: &str) -> Result<Status, UnknownStatus> {
        Ok(match code {
            "01" => Status::Accepting,
            "02" => Status::PaymentFailed,
            "03" => Status::Authorized,
            "04" => Status::SettleReserved,
            "05" => Status::Settling,
            "06" => Status::SettleFailed,
            "07" => Status::Completed,
            "08" => Status::Cancelled,
            "09" => Status::CompletedCancelFailed,
            "10" => Status::AuthorizationCancelled,
            "11" => Status::AuthorizationCancelFailed,
            _ => {
                return Err(UnknownStatus {
                    raw: code.to_owned(),
                });
            }
        })
    }

    /// The English name used in JSON (`"name"`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The manual's Japanese label (`"label"`).
    pub const fn label_ja(self) -> &'static str {
        match self {
            Status::Accepting => "受付中",
            Status::PaymentFailed => "決済失敗",
            Status::Authorized => "仮売完了",
            Status::SettleReserved => "決済予約",
            Status::Settling => "確定処理中",
            Status::SettleFailed => "確定失敗",
            Status::Completed => "決済完了",
            Status::Cancelled => "取消完了",
            Status::CompletedCancelFailed => "決済完了(取消失敗)",
            Status::AuthorizationCancelled => "仮売取消完了",
            Status::AuthorizationCancelFailed => "仮売完了(取消失敗)",
        }
    }

    /// Whether the gateway pays the merchant for an order in this status
    /// (支払対象). Exactly Completed and CompletedCancelFailed (R-ST-1).
    pub const fn payout_eligible(self) -> bool {
        match self {
            Status::Completed | Status::CompletedCancelFailed => true,
            Status::Accepting
            | Status::PaymentFailed
            | Status::Authorized
            | Status::SettleReserved
            | Status::Settling
            | Status::SettleFailed
            | Status::Cancelled
            | Status::AuthorizationCancelled
            | Status::AuthorizationCancelFailed => false,
        }
    }

    /// Whether the gateway mails the merchant when an order enters this
    /// status (SPEC §2 "mail" column).
    pub const fn sends_mail(self) -> bool {
        self.mail_title().is_some()
    }

    /// The notification mail's title without the common prefix, for statuses
    /// that are mailed (R-ST-2).
    pub const fn mail_title(self) -> Option<&'static str> {
        match self {
            Status::Authorized => Some("仮売完了通知"),
            Status::SettleFailed => Some("確定失敗通知"),
            Status::Completed => Some("決済完了通知"),
            Status::Cancelled => Some("取消完了通知"),
            Status::CompletedCancelFailed => Some("決済完了(取消失敗)通知"),
            Status::AuthorizationCancelled => Some("仮売取消完了通知"),
            Status::AuthorizationCancelFailed => Some("仮売完了(取消失敗)通知"),
            Status::Accepting
            | Status::PaymentFailed
            | Status::SettleReserved
            | Status::Settling => None,
        }
    }

    /// The whole mail subject (件名) for statuses that are mailed (R-ST-2).
    pub fn mail_subject(self) -> Option<String> {
        self.mail_title()
            .map(|t| format!("{MAIL_SUBJECT_PREFIX}{t}"))
    }

    /// Whether a CGI call is sent when an order enters this status (SPEC §2
    /// "CGI" column, D-13).
    pub const fn cgi_rule(self) -> CgiRule {
        match self {
            Status::Accepting | Status::Settling => CgiRule::Never,
            Status::PaymentFailed
            | Status::Authorized
            | Status::SettleFailed
            | Status::Completed
            | Status::Cancelled
            | Status::CompletedCancelFailed => CgiRule::Always,
            Status::SettleReserved
            | Status::AuthorizationCancelled
            | Status::AuthorizationCancelFailed => CgiRule::Optional,
        }
    }

    /// Whether a CGI call is sent for this status given the merchant's
    /// choice for the optional ones (R-CG-6, D-13).
    pub const fn sends_cgi(self, optional: OptionalCgi) -> bool {
        match self.cgi_rule() {
            CgiRule::Never => false,
            CgiRule::Always => true,
            CgiRule::Optional => matches!(optional, OptionalCgi::Send),
        }
    }

    /// Whether no gateway operation leaves this status (D-2).
    pub fn is_terminal(self) -> bool {
        crate::transition::TRANSITIONS
            .iter()
            .all(|t| t.from != self)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.label_ja())
    }
}

/// The JSON shape of a status: `{"code": "03", "name": "Authorized",
/// "label": "仮売完了"}` (INTERFACES.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatusJson {
    /// Two-digit code.
    pub code: String,
    /// English name.
    pub name: String,
    /// Japanese label.
    pub label: String,
}

impl From<Status> for StatusJson {
    fn from(s: Status) -> Self {
        StatusJson {
            code: s.code().to_owned(),
            name: s.name().to_owned(),
            label: s.label_ja().to_owned(),
        }
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StatusJson::from(*self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Status {
    /// Accepts the JSON object form or a bare two-digit code.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Code(String),
            Object { code: String },
        }
        let code = match Repr::deserialize(d)? {
            Repr::Code(c) | Repr::Object { code: c } => c,
        };
        Status::from_code(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn r_st_there_are_eleven_statuses_with_codes_01_to_11() {
        let codes: Vec<_> = Status::iter().map(Status::code).collect();
        assert_eq!(
            codes,
            [
                "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"
            ]
        );
        assert_eq!(Status::COUNT, 11);
    }

    #[test]
    fn d1_codes_round_trip_and_unknown_keeps_raw() {
        for s in Status::iter() {
            assert_eq!(Status::from_code(s.code()), Ok(s));
        }
        for bad in ["00", "12", "1", "001", "", "ab", "０３"] {
            assert_eq!(
                Status::from_code(bad),
                Err(UnknownStatus { raw: bad.into() })
            );
        }
    }

    #[test]
    fn r_st_1_payout_iff_completed_or_completed_cancel_failed() {
        for s in Status::iter() {
            assert_eq!(
                s.payout_eligible(),
                s.code() == "07" || s.code() == "09",
                "{s}"
            );
        }
    }

    #[test]
    fn r_st_2_mail_subjects_match_the_manual() {
        let subjects: Vec<_> = Status::iter()
            .filter_map(|s| s.mail_subject().map(|m| (s.code(), m)))
            .collect();
        insta::assert_debug_snapshot!(subjects);
        // The mail column of SPEC §2: statuses 3 and 6–11.
        let mailed: Vec<_> = Status::iter()
            .filter(|s| s.sends_mail())
            .map(Status::code)
            .collect();
        assert_eq!(mailed, ["03", "06", "07", "08", "09", "10", "11"]);
    }

    #[test]
    fn d13_cgi_column_and_optional_statuses() {
        let always: Vec<_> = Status::iter()
            .filter(|s| s.sends_cgi(OptionalCgi::Skip))
            .map(Status::code)
            .collect();
        assert_eq!(always, ["02", "03", "06", "07", "08", "09"]);
        let opted: Vec<_> = Status::iter()
            .filter(|s| s.sends_cgi(OptionalCgi::Send))
            .map(Status::code)
            .collect();
        assert_eq!(
            opted,
            ["02", "03", "04", "06", "07", "08", "09", "10", "11"]
        );
    }

    #[test]
    fn json_shape_is_code_name_label() {
        let v = serde_json::to_value(Status::Authorized).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"code": "03", "name": "Authorized", "label": "仮売完了"})
        );
        let back: Status = serde_json::from_value(v).expect("back");
        assert_eq!(back, Status::Authorized);
        let bare: Status = serde_json::from_str("\"09\"").expect("bare");
        assert_eq!(bare, Status::CompletedCancelFailed);
    }
}
