//! The eleven parameters a CGI call can carry, in the manual's order
//! (SPEC §9), and the merchant's selection of them (the sandbox's
//! `--cgi-params`).

use serde::{Deserialize, Serialize};
use strum::{EnumCount, EnumIter};

/// One parameter of a CGI call (SPEC §9). The declaration order is the
/// manual's numbering (1 `clientip` … 11 `error_code`), which is also the
/// order [`Callback::to_query`](super::Callback::to_query) writes them in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    EnumCount,
    Serialize,
    Deserialize,
)]
pub enum CgiParam {
    /// 1 `clientip`: the merchant's IP code (10 digits).
    #[serde(rename = "clientip")]
    ClientIp,
    /// 2 `money`: the amount the shopper pays, in yen.
    #[serde(rename = "money")]
    Money,
    /// 3 `username`: the shopper's name as entered.
    #[serde(rename = "username")]
    Username,
    /// 4 `telno`: the shopper's phone number as entered.
    #[serde(rename = "telno")]
    Telno,
    /// 5 `email`: the e-mail the merchant sent.
    #[serde(rename = "email")]
    Email,
    /// 6 `sendid`: the merchant's free parameter, echoed back.
    #[serde(rename = "sendid")]
    Sendid,
    /// 7 `sendpoint`: the merchant's second free parameter, echoed back.
    #[serde(rename = "sendpoint")]
    Sendpoint,
    /// 8 `order_no`: the gateway's order number.
    #[serde(rename = "order_no")]
    OrderNo,
    /// 9 `carrier_type`: `D`, `A` or `S`.
    #[serde(rename = "carrier_type")]
    CarrierType,
    /// 10 `status`: the two-digit status code (D-1).
    #[serde(rename = "status")]
    Status,
    /// 11 `error_code`: the gateway's error code, `-` when there is none.
    #[serde(rename = "error_code")]
    ErrorCode,
}

/// A `--cgi-params` list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CgiParamListError {
    /// The list names no parameter at all.
    #[error(
        "cgi params: the list is empty; choose at least one of the eleven parameters (SPEC §9)"
    )]
    Empty,
    /// A name that is not one of the eleven.
    #[error("cgi params: {name:?} is not one of the eleven parameters (SPEC §9)")]
    Unknown {
        /// The name as given.
        name: String,
    },
    /// The same parameter named twice.
    #[error("cgi params: {param} is listed more than once")]
    Repeated {
        /// The repeated parameter.
        param: CgiParam,
    },
}

impl CgiParam {
    /// All eleven, in the manual's order.
    pub const ALL: [CgiParam; 11] = [
        CgiParam::ClientIp,
        CgiParam::Money,
        CgiParam::Username,
        CgiParam::Telno,
        CgiParam::Email,
        CgiParam::Sendid,
        CgiParam::Sendpoint,
        CgiParam::OrderNo,
        CgiParam::CarrierType,
        CgiParam::Status,
        CgiParam::ErrorCode,
    ];

    /// The parameter's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            CgiParam::ClientIp => "clientip",
            CgiParam::Money => "money",
            CgiParam::Username => "username",
            CgiParam::Telno => "telno",
            CgiParam::Email => "email",
            CgiParam::Sendid => "sendid",
            CgiParam::Sendpoint => "sendpoint",
            CgiParam::OrderNo => "order_no",
            CgiParam::CarrierType => "carrier_type",
            CgiParam::Status => "status",
            CgiParam::ErrorCode => "error_code",
        }
    }

    /// The parameter with this wire name (exact, case-sensitive), if any.
    pub fn from_name(name: &str) -> Option<CgiParam> {
        CgiParam::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Reads a comma-separated list of wire names (the sandbox's
    /// `--cgi-params`), e.g. `order_no,status,error_code`. Blanks around
    /// names are ignored. The result is in the manual's order whatever the
    /// order of the list; an empty list, an unknown name or a repeated one
    /// is an error.
    pub fn parse_list(list: &str) -> Result<Vec<CgiParam>, CgiParamListError> {
        if list.trim().is_empty() {
            return Err(CgiParamListError::Empty);
        }
        let mut out: Vec<CgiParam> = Vec::new();
        for name in list.split(',').map(str::trim) {
            let param = CgiParam::from_name(name).ok_or_else(|| CgiParamListError::Unknown {
                name: name.to_owned(),
            })?;
            if out.contains(&param) {
                return Err(CgiParamListError::Repeated { param });
            }
            out.push(param);
        }
        out.sort_unstable();
        Ok(out)
    }
}

impl std::fmt::Display for CgiParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CgiParam {
    type Err = CgiParamListError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CgiParam::from_name(s).ok_or_else(|| CgiParamListError::Unknown { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn r_cg_eleven_params_in_the_manuals_order() {
        let names: Vec<_> = CgiParam::iter().map(CgiParam::name).collect();
        assert_eq!(
            names,
            [
                "clientip",
                "money",
                "username",
                "telno",
                "email",
                "sendid",
                "sendpoint",
                "order_no",
                "carrier_type",
                "status",
                "error_code"
            ]
        );
        assert_eq!(CgiParam::iter().collect::<Vec<_>>(), CgiParam::ALL);
        assert_eq!(CgiParam::COUNT, 11);
        for p in CgiParam::ALL {
            assert_eq!(CgiParam::from_name(p.name()), Some(p));
            assert_eq!(p.name().parse::<CgiParam>(), Ok(p));
            let json = serde_json::to_string(&p).expect("json");
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
    }

    #[test]
    fn r_cg_param_list_is_sorted_to_the_manuals_order() {
        assert_eq!(
            CgiParam::parse_list(" status , order_no,clientip"),
            Ok(vec![
                CgiParam::ClientIp,
                CgiParam::OrderNo,
                CgiParam::Status
            ])
        );
        let all = CgiParam::ALL.map(CgiParam::name).join(",");
        assert_eq!(CgiParam::parse_list(&all), Ok(CgiParam::ALL.to_vec()));
    }

    #[test]
    fn r_cg_param_list_errors_are_typed() {
        assert_eq!(CgiParam::parse_list(""), Err(CgiParamListError::Empty));
        assert_eq!(CgiParam::parse_list("  "), Err(CgiParamListError::Empty));
        assert_eq!(
            CgiParam::parse_list("status,Status"),
            Err(CgiParamListError::Unknown {
                name: "Status".into()
            })
        );
        assert_eq!(
            CgiParam::parse_list("status,,money"),
            Err(CgiParamListError::Unknown {
                name: String::new()
            })
        );
        assert_eq!(
            CgiParam::parse_list("money,status,money"),
            Err(CgiParamListError::Repeated {
                param: CgiParam::Money
            })
        );
    }
}
