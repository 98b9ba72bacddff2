//! Signed sendpoints: an optional integrity seal on the order a shopper's
//! browser carries to the gateway.
//!
//! The Link Point form travels through the shopper's browser, so a shopper
//! can edit `money`, `carrier_type` or `sendid` before it reaches the gateway.
//! The gateway echoes `sendpoint` back in every CGI call (SPEC §4, §9), so
//! when the merchant configures a key, the checkout puts a MAC of the order's
//! key fields into `sendpoint` and the receiver checks it.
//!
//! Format: `v1` followed by 32 lower-case hex digits: the first 16 bytes of
//! HMAC-SHA256(key, message) — 34 bytes, inside sendpoint's 50-byte,
//! symbol-restricted limit (R-LP-2). The message is a domain tag followed by
//! the length-prefixed fields `clientip`, `sendid`, `money` (decimal) and the
//! `carrier_type` letter, so no two field lists give the same message.
//!
//! # What it proves, and what it does not
//! - It proves that the order fields it covers (`clientip`, `sendid`, the
//!   checkout's `money`, `carrier_type`) came from a checkout this merchant
//!   rendered: a shopper who edits them before the form reaches the
//!   gateway is caught.
//! - It does **not** prove that a CGI call came from the gateway. The
//!   shopper sees the `sendpoint` in the checkout page, and the signature
//!   covers neither `order_no` nor `status`: whoever can reach the callback
//!   can replay a valid `sendpoint` with any status. The callback's
//!   authentication is the source allowlist (R-CG-5; the gateway's addresses
//!   from the contract, required by the merchant configuration whenever the
//!   gateway is not loopback). The merchant model adds the rest: a call's
//!   amount must equal its checkout's at every status unless this merchant
//!   settled that amount itself, and a call without a saved checkout is not
//!   applied (`zeus_carrier_core::merchant::UnknownSendId::Flag`).
//!
//! # Decisions
//! - `money` is the amount of the checkout (the shopper's original amount).
//!   After a settle for a smaller amount (docomo/au, R-SL-5) the CGI calls
//!   carry the settled amount; the receiver therefore verifies against the
//!   stored checkout's amount when there is one (see `zeus_carrier_merchant::receiver`).
//! - With a key configured, `sendpoint` belongs to the signature: a merchant
//!   value given for it at checkout is replaced.
//! - A 128-bit tag: forging one needs ~2^128 tries; the gateway's field
//!   limit leaves no room for more, and none is needed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeus_carrier_core::Carrier;

use crate::secret::SigningKey;

/// The version prefix of a signed sendpoint.
pub const SIGNATURE_PREFIX: &str = "v1";

/// The length of a signed sendpoint: `v1` + 32 hex digits.
pub const SIGNATURE_LEN: usize = 2 + 32;

/// The domain tag that starts every signed message.
const DOMAIN: &[u8] = b"zeus-carrier/sendpoint/v1";

/// Why a sendpoint does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `sendpoint` in the call.
    #[error("sendpoint: missing, but a signed sendpoint is configured")]
    Missing,
    /// Not `v1` + 32 hex digits.
    #[error("sendpoint: not a v1 signature (v1 + 32 hex digits)")]
    Malformed,
    /// Well-formed, but not the MAC of this order's fields.
    #[error("sendpoint: signature does not match the order's clientip, sendid, money, carrier")]
    Mismatch,
}

fn mac(
    key: &SigningKey,
    clientip: &str,
    sendid: &str,
    money: u32,
    carrier: Carrier,
) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    m.update(DOMAIN);
    let money = money.to_string();
    for field in [clientip, sendid, money.as_str(), carrier.code()] {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field.as_bytes());
    }
    m
}

/// The signed sendpoint for an order: `v1` + 32 hex digits (see the module
/// docs).
pub fn sign_sendpoint(
    key: &SigningKey,
    clientip: &str,
    sendid: &str,
    money: u32,
    carrier: Carrier,
) -> String {
    let tag = mac(key, clientip, sendid, money, carrier)
        .finalize()
        .into_bytes();
    let mut out = String::with_capacity(SIGNATURE_LEN);
    out.push_str(SIGNATURE_PREFIX);
    for b in tag.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Checks a received sendpoint against the order's fields, in constant time.
pub fn verify_sendpoint(
    key: &SigningKey,
    sendpoint: &str,
    clientip: &str,
    sendid: &str,
    money: u32,
    carrier: Carrier,
) -> Result<(), SignatureError> {
    let hex = sendpoint
        .strip_prefix(SIGNATURE_PREFIX)
        .filter(|h| h.len() == SIGNATURE_LEN - SIGNATURE_PREFIX.len())
        .ok_or(SignatureError::Malformed)?;
    let mut tag = [0u8; 16];
    for (i, pair) in hex.as_bytes().chunks_exact(2).enumerate() {
        let (Some(hi), Some(lo)) = (hex_value(pair[0]), hex_value(pair[1])) else {
            return Err(SignatureError::Malformed);
        };
        tag[i] = (hi << 4) | lo;
    }
    mac(key, clientip, sendid, money, carrier)
        .verify_truncated_left(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::new("k".repeat(32))
    }

    #[test]
    fn signature_round_trips_and_fits_sendpoint() {
        let s = sign_sendpoint(&key(), "1234567890", "A-1", 1000, Carrier::Docomo);
        assert_eq!(s.len(), SIGNATURE_LEN);
        assert!(s.len() <= 50, "R-LP sendpoint is at most 50 bytes");
        assert!(s.starts_with("v1"));
        assert!(s[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            verify_sendpoint(&key(), &s, "1234567890", "A-1", 1000, Carrier::Docomo),
            Ok(())
        );
    }

    #[test]
    fn any_changed_field_or_key_fails() {
        let s = sign_sendpoint(&key(), "1234567890", "A-1", 1000, Carrier::Docomo);
        let mismatch = Err(SignatureError::Mismatch);
        assert_eq!(
            verify_sendpoint(&key(), &s, "1234567891", "A-1", 1000, Carrier::Docomo),
            mismatch
        );
        assert_eq!(
            verify_sendpoint(&key(), &s, "1234567890", "A-2", 1000, Carrier::Docomo),
            mismatch
        );
        assert_eq!(
            verify_sendpoint(&key(), &s, "1234567890", "A-1", 1, Carrier::Docomo),
            mismatch
        );
        assert_eq!(
            verify_sendpoint(&key(), &s, "1234567890", "A-1", 1000, Carrier::Au),
            mismatch
        );
        assert_eq!(
            verify_sendpoint(
                &SigningKey::new("other"),
                &s,
                "1234567890",
                "A-1",
                1000,
                Carrier::Docomo
            ),
            mismatch
        );
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        // "12" + "3" and "1" + "23" must not collide.
        let a = sign_sendpoint(&key(), "12", "3", 1, Carrier::Au);
        let b = sign_sendpoint(&key(), "1", "23", 1, Carrier::Au);
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_signatures_are_told_apart() {
        for bad in [
            "",
            "v1",
            "v2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "v1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1zz",
            "v1é",
        ] {
            assert_eq!(
                verify_sendpoint(&key(), bad, "1234567890", "A-1", 1000, Carrier::Docomo),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
