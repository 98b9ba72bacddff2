//! Secrets the adapters hold: the sendpoint signing key. (The zkey is the
//! core's [`zeus_carrier_core::secure_link::Zkey`], redacted the same way.)

/// The merchant's key for signed sendpoints ([`crate::signing`]). A secret:
/// `Debug` and `Display` print `SigningKey(***)`, never the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Wraps a key. Any length works (HMAC-SHA256 hashes long keys); use at
    /// least 32 random bytes.
    pub fn new(key: impl Into<Vec<u8>>) -> SigningKey {
        SigningKey(key.into())
    }

    /// The key bytes, for the MAC and nothing else.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Whether the key is empty (an empty key is refused by the
    /// configuration checks).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl std::fmt::Display for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_debug_hides_the_bytes() {
        let k = SigningKey::new("topsecret-signing");
        assert_eq!(format!("{k:?}"), "SigningKey(***)");
        assert_eq!(format!("{k}"), "SigningKey(***)");
        assert!(!format!("{:?}", Some(k.clone())).contains("topsecret"));
        assert_eq!(k.expose_secret(), b"topsecret-signing");
    }
}
