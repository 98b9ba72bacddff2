//! Charsets of the wire (D-3): Shift_JIS by default, UTF-8 on request.
//! Byte limits are counted in the charset the form is sent in, and
//! `application/x-www-form-urlencoded` bodies are encoded and decoded in it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The charset a form, a callback or a response travels in (D-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// Shift_JIS, the gateway's traditional charset (default).
    #[default]
    #[serde(rename = "sjis")]
    ShiftJis,
    /// UTF-8.
    #[serde(rename = "utf8")]
    Utf8,
}

/// A character the charset cannot represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("character {ch:?} cannot be encoded in {charset} (D-3)")]
#[non_exhaustive]
pub struct Unmappable {
    /// The first character that could not be encoded.
    pub ch: char,
    /// The charset.
    pub charset: Charset,
}

/// Bytes that are not valid in the charset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bytes are not valid {charset} (D-3)")]
#[non_exhaustive]
pub struct Malformed {
    /// The charset.
    pub charset: Charset,
}

/// A urlencoded form that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A `%` not followed by two hex digits.
    #[error("bad percent escape at byte {at}")]
    BadEscape {
        /// Byte offset of the `%` within its name or value.
        at: usize,
    },
    /// A name or value that is not valid in the charset.
    #[error("{field}: value is not valid {charset} (D-3)")]
    Malformed {
        /// The parameter name (or `?` when the name itself is malformed).
        field: String,
        /// The charset.
        charset: Charset,
    },
}

impl Charset {
    /// The name used on the command line and in JSON: `sjis` or `utf8`.
    pub const fn name(self) -> &'static str {
        match self {
            Charset::ShiftJis => "sjis",
            Charset::Utf8 => "utf8",
        }
    }

    /// The charset's label for HTTP headers and HTML (`Shift_JIS`, `UTF-8`).
    pub const fn http_label(self) -> &'static str {
        match self {
            Charset::ShiftJis => "Shift_JIS",
            Charset::Utf8 => "UTF-8",
        }
    }

    /// The `encoding_rs` encoding.
    pub fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Charset::ShiftJis => encoding_rs::SHIFT_JIS,
            Charset::Utf8 => encoding_rs::UTF_8,
        }
    }

    /// Encodes `s`, refusing characters the charset cannot hold. `¥`
    /// (U+00A5) and `\` both become 0x5C in Shift_JIS (D-4).
    pub fn encode(self, s: &str) -> Result<Cow<'_, [u8]>, Unmappable> {
        match self {
            Charset::Utf8 => Ok(Cow::Borrowed(s.as_bytes())),
            Charset::ShiftJis => {
                if s.is_ascii() {
                    return Ok(Cow::Borrowed(s.as_bytes()));
                }
                let mut out = Vec::with_capacity(s.len());
                for ch in s.chars() {
                    let mut buf = [0u8; 4];
                    let (bytes, _, unmappable) =
                        encoding_rs::SHIFT_JIS.encode(ch.encode_utf8(&mut buf));
                    if unmappable {
                        return Err(Unmappable { ch, charset: self });
                    }
                    out.extend_from_slice(&bytes);
                }
                Ok(Cow::Owned(out))
            }
        }
    }

    /// Decodes bytes strictly: malformed input is an error, never replaced.
    pub fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, Malformed> {
        self.encoding()
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(Malformed { charset: self })
    }

    /// How many bytes `s` takes in this charset (D-3); the error names the
    /// first character the charset cannot hold.
    pub fn byte_len(self, s: &str) -> Result<usize, Unmappable> {
        match self {
            Charset::Utf8 => Ok(s.len()),
            Charset::ShiftJis => {
                if s.is_ascii() {
                    return Ok(s.len());
                }
                sjis_byte_len(s).map_err(|ch| Unmappable { ch, charset: self })
            }
        }
    }
}

/// Bytes of `s` in Shift_JIS, or the first character without a mapping.
///
/// The characters Link Point fields are mostly made of — ASCII, kana, the
/// ideographic space and punctuation, half-width katakana — have a known
/// size ([`sjis_known_len`]); runs of other characters (kanji, symbols) are
/// counted by encoding them into a stack buffer. No allocation; the
/// encoder is stateless, so this equals the sum over the characters
/// (checked for every BMP character by a test).
fn sjis_byte_len(s: &str) -> Result<usize, char> {
    let mut n = 0;
    let mut run: Option<usize> = None;
    for (i, ch) in s.char_indices() {
        match sjis_known_len(ch) {
            Some(len) => {
                if let Some(start) = run.take() {
                    n += sjis_encoded_len(&s[start..i])?;
                }
                n += len;
            }
            None => {
                run.get_or_insert(i);
            }
        }
    }
    if let Some(start) = run {
        n += sjis_encoded_len(&s[start..])?;
    }
    Ok(n)
}

/// The Shift_JIS size of the characters whose mapping needs no table:
/// ASCII and half-width katakana (one byte), hiragana, katakana, `・`, `ー`
/// and `　、。` (two bytes). `None` for every other character.
pub(crate) const fn sjis_known_len(ch: char) -> Option<usize> {
    match ch {
        '\0'..='\u{7F}' | '\u{FF61}'..='\u{FF9F}' => Some(1),
        '\u{3000}'..='\u{3002}'
        | '\u{3041}'..='\u{3093}'
        | '\u{30A1}'..='\u{30F6}'
        | '\u{30FB}'..='\u{30FC}' => Some(2),
        _ => None,
    }
}

/// Bytes of `s` in Shift_JIS by encoding it into a stack buffer, or the
/// first character without a mapping.
pub(crate) fn sjis_encoded_len(s: &str) -> Result<usize, char> {
    let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
    // Small: zeroing it is paid per run; a longer run loops.
    let mut buf = [0u8; 64];
    let mut rest = s;
    let mut n = 0;
    loop {
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
        n += written;
        rest = &rest[read..];
        match result {
            encoding_rs::EncoderResult::InputEmpty => return Ok(n),
            encoding_rs::EncoderResult::OutputFull => {}
            encoding_rs::EncoderResult::Unmappable(ch) => return Err(ch),
        }
    }
}

impl std::fmt::Display for Charset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.http_label())
    }
}

impl std::str::FromStr for Charset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sjis" | "shift_jis" | "shift-jis" => Ok(Charset::ShiftJis),
            "utf8" | "utf-8" => Ok(Charset::Utf8),
            _ => Err(format!("unknown charset {s:?}: expected sjis or utf8")),
        }
    }
}

/// Percent-encodes bytes for `application/x-www-form-urlencoded`: ASCII
/// alphanumerics and `*-._` stay, space becomes `+`, the rest `%XX`.
pub fn percent_encode(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
        }
    }
}

/// Encodes `name=value` pairs as a urlencoded body in `charset`.
pub fn form_urlencode<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    charset: Charset,
) -> Result<String, Unmappable> {
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode(&charset.encode(k)?, &mut out);
        out.push('=');
        percent_encode(&charset.encode(v)?, &mut out);
    }
    Ok(out)
}

/// Decodes `%XX` and `+` in one urlencoded component into raw bytes.
pub fn percent_decode(component: &[u8]) -> Result<Vec<u8>, FormError> {
    let mut out = Vec::with_capacity(component.len());
    let mut i = 0;
    while i < component.len() {
        match component[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |j: usize| component.get(j).and_then(|b| (*b as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => return Err(FormError::BadEscape { at: i }),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

/// Parses a urlencoded body or query string (no leading `?`) in `charset`,
/// keeping the pairs in order. Empty segments (`a=1&&b=2`) are skipped; a
/// segment without `=` is a name with an empty value.
pub fn parse_form(raw: &[u8], charset: Charset) -> Result<Vec<(String, String)>, FormError> {
    let mut pairs = Vec::new();
    for seg in raw.split(|b| *b == b'&') {
        if seg.is_empty() {
            continue;
        }
        let (k, v) = match seg.iter().position(|b| *b == b'=') {
            Some(p) => (&seg[..p], &seg[p + 1..]),
            None => (seg, &[][..]),
        };
        let k = percent_decode(k)?;
        let name = charset
            .decode(&k)
            .map_err(|_| FormError::Malformed {
                field: "?".into(),
                charset,
            })?
            .into_owned();
        let v = percent_decode(v)?;
        let value = match charset.decode(&v) {
            Ok(v) => v.into_owned(),
            Err(_) => {
                return Err(FormError::Malformed {
                    field: name,
                    charset,
                });
            }
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d3_katakana_is_two_bytes_in_sjis_three_in_utf8() {
        assert_eq!(Charset::ShiftJis.byte_len("ゼウス"), Ok(6));
        assert_eq!(Charset::Utf8.byte_len("ゼウス"), Ok(9));
        assert_eq!(Charset::ShiftJis.byte_len("abc"), Ok(3));
        // Half-width katakana is one byte in Shift_JIS.
        assert_eq!(Charset::ShiftJis.byte_len("ｱ"), Ok(1));
    }

    /// The allocation-free count agrees with encoding each character on its
    /// own (what `encode` does), for every character of the BMP and a few
    /// beyond it.
    #[test]
    fn d3_sjis_byte_len_matches_per_character_encoding() {
        let chars = (0..=0xFFFFu32)
            .chain([0x1_0000, 0x1_F600, 0x2_0B9F, 0x10_FFFF])
            .filter_map(char::from_u32);
        for ch in chars {
            let mut buf = [0u8; 4];
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(ch.encode_utf8(&mut buf));
            let expected = if unmappable { Err(ch) } else { Ok(bytes.len()) };
            let got = Charset::ShiftJis.byte_len(ch.encode_utf8(&mut buf));
            assert_eq!(got.map_err(|e| e.ch), expected, "U+{:04X}", u32::from(ch));
        }
        // Long runs cross the buffer; known and other characters mix; the
        // first unmappable character is the one named.
        let long = "ゼ戻".repeat(1000);
        assert_eq!(Charset::ShiftJis.byte_len(&long), Ok(4000));
        let kanji = "戻".repeat(1000);
        assert_eq!(Charset::ShiftJis.byte_len(&kanji), Ok(2000));
        let bad = format!("{long}a戻😀ア😁");
        assert_eq!(
            Charset::ShiftJis.byte_len(&bad).map_err(|e| e.ch),
            Err('😀')
        );
        let bad = format!("ア戻{}😀", "ア".repeat(10));
        assert_eq!(
            Charset::ShiftJis.byte_len(&bad).map_err(|e| e.ch),
            Err('😀')
        );
        assert_eq!(
            Charset::ShiftJis.byte_len("戻😀ア").map_err(|e| e.ch),
            Err('😀')
        );
    }

    #[test]
    fn d4_yen_sign_and_backslash_are_the_same_sjis_byte() {
        assert_eq!(
            Charset::ShiftJis.encode("¥").expect("yen").as_ref(),
            b"\x5c"
        );
        assert_eq!(
            Charset::ShiftJis.encode("\\").expect("bs").as_ref(),
            b"\x5c"
        );
        assert_eq!(Charset::ShiftJis.byte_len("¥"), Ok(1));
    }

    #[test]
    fn d3_unmappable_characters_are_typed_errors() {
        let err = Charset::ShiftJis.encode("a😀").expect_err("emoji");
        assert_eq!(err.ch, '😀');
        assert!(Charset::ShiftJis.byte_len("😀").is_err());
    }

    #[test]
    fn d3_form_round_trips_in_both_charsets() {
        for cs in [Charset::ShiftJis, Charset::Utf8] {
            let body = form_urlencode([("username", "ゼウス テスト"), ("a&b", "=%+")], cs)
                .expect("encode");
            let back = parse_form(body.as_bytes(), cs).expect("parse");
            assert_eq!(
                back,
                vec![
                    ("username".to_owned(), "ゼウス テスト".to_owned()),
                    ("a&b".to_owned(), "=%+".to_owned())
                ]
            );
        }
    }

    #[test]
    fn d3_charset_names_parse_and_print() {
        for (text, cs) in [
            ("sjis", Charset::ShiftJis),
            ("Shift_JIS", Charset::ShiftJis),
            ("shift-jis", Charset::ShiftJis),
            ("utf8", Charset::Utf8),
            ("UTF-8", Charset::Utf8),
        ] {
            assert_eq!(text.parse::<Charset>(), Ok(cs), "{text}");
        }
        assert!("latin1".parse::<Charset>().is_err());
        assert_eq!(Charset::ShiftJis.name(), "sjis");
        assert_eq!(Charset::Utf8.name(), "utf8");
        assert_eq!(Charset::ShiftJis.to_string(), "Shift_JIS");
        assert_eq!(Charset::Utf8.http_label(), "UTF-8");
    }

    #[test]
    fn percent_decode_reads_escapes_plus_and_plain_bytes() {
        assert_eq!(percent_decode(b"a%20b+c%7e%7E"), Ok(b"a b c~~".to_vec()));
        assert_eq!(percent_decode(b"%E3%82%BC"), Ok(vec![0xE3, 0x82, 0xBC]));
        assert_eq!(percent_decode(b""), Ok(Vec::new()));
        assert!(matches!(
            percent_decode(b"ab%4"),
            Err(FormError::BadEscape { at: 2 })
        ));
        assert!(matches!(
            percent_decode(b"%"),
            Err(FormError::BadEscape { at: 0 })
        ));
    }

    #[test]
    fn invalid_sjis_is_a_typed_error() {
        // 0x82 starts a double-byte sequence; 0x20 cannot end it.
        assert!(matches!(
            parse_form(b"username=%82%20", Charset::ShiftJis),
            Err(FormError::Malformed { field, .. }) if field == "username"
        ));
        assert!(matches!(
            parse_form(b"a=%zz", Charset::Utf8),
            Err(FormError::BadEscape { .. })
        ));
    }
}
