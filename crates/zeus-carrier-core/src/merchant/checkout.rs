//! How the merchant's own checkout shapes the order request it renders:
//! the rules a facade applies before validating and saving it.
//!
//! - `clientip` is always the merchant's own: a value in the request is
//!   replaced (a form for another merchant's code would be refused by the
//!   gateway, or worse, accepted for the other merchant).
//! - Every checkout has a `sendid`: an empty one is replaced by a fresh,
//!   unguessable one the caller drew (the core draws no random number).
//!   The integrity check and "one checkout, one order" key on it, and with
//!   [`super::UnknownSendId::Flag`] a call without a saved checkout is not
//!   applied. A `sendid` the shop supplies itself is the shop's
//!   responsibility: a guessable one lets anyone pre-register a checkout
//!   under it.
//! - With a signing key, `sendpoint` belongs to the signature: a value in
//!   the request is cleared, to be replaced by the signature of the
//!   validated order.

use crate::link_point::OrderRequest;
use crate::values::{ClientIp, SendId};

/// Who writes `sendpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum SendpointUse {
    /// The merchant's own value, echoed back by the gateway.
    Merchant,
    /// The signature of the order (a signing key is configured).
    Signature,
}

/// The order request a checkout renders, from the request the shop built
/// (see the module docs). `fresh_sendid` is used only when the request
/// has no `sendid`.
pub fn checkout_request(
    mut request: OrderRequest,
    clientip: &ClientIp,
    fresh_sendid: &SendId,
    sendpoint: SendpointUse,
) -> OrderRequest {
    clientip.as_str().clone_into(&mut request.clientip);
    if request.sendid.is_empty() {
        fresh_sendid.as_str().clone_into(&mut request.sendid);
    }
    match sendpoint {
        SendpointUse::Merchant => {}
        SendpointUse::Signature => request.sendpoint.clear(),
    }
    request
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    fn ids() -> (ClientIp, SendId) {
        (
            ClientIp::parse("1234567890").expect("clientip"),
            SendId::parse("zc-00112233aabbccdd").expect("sendid"),
        )
    }

    #[test]
    fn the_merchants_clientip_replaces_any_given_one() {
        let (ip, fresh) = ids();
        for given in ["", "9999999999", "1234567890"] {
            let r = OrderRequest {
                clientip: given.to_owned(),
                ..OrderRequest::default()
            };
            let out = checkout_request(r, &ip, &fresh, SendpointUse::Merchant);
            assert_eq!(out.clientip, "1234567890");
        }
    }

    #[test]
    fn an_empty_sendid_is_the_fresh_one_and_a_given_one_is_kept() {
        let (ip, fresh) = ids();
        let out = checkout_request(OrderRequest::default(), &ip, &fresh, SendpointUse::Merchant);
        assert_eq!(out.sendid, fresh.as_str());
        let r = OrderRequest {
            sendid: "shop-42".to_owned(),
            ..OrderRequest::default()
        };
        let out = checkout_request(r, &ip, &fresh, SendpointUse::Merchant);
        assert_eq!(out.sendid, "shop-42");
    }

    #[test]
    fn sendpoint_is_kept_for_the_merchant_and_cleared_for_a_signature() {
        let (ip, fresh) = ids();
        for use_ in SendpointUse::iter() {
            let r = OrderRequest {
                sendpoint: "cart-7".to_owned(),
                money: "1000".to_owned(),
                ..OrderRequest::default()
            };
            let out = checkout_request(r, &ip, &fresh, use_);
            let expected = match use_ {
                SendpointUse::Merchant => "cart-7",
                SendpointUse::Signature => "",
            };
            assert_eq!(out.sendpoint, expected);
            assert_eq!(out.money, "1000", "other fields untouched");
        }
    }
}
