//! HTML escaping for every page the project renders: the Link Point form
//! (R-LP-5), the sandbox gateway's pages and the merchant's checkout page.
//!
//! The five characters that can change the meaning of HTML text or of a
//! quoted attribute value are replaced by entities: `&` `<` `>` `"` `'`.
//! Everything else, Japanese text included, is kept as it is, so the page can
//! be encoded in the form's charset (D-3) afterwards. The output is safe in
//! element content and in attribute values quoted with `"` or `'`; it is not
//! meant for unquoted attributes, `<script>`, `<style>` or URLs' schemes
//! (callers check a URL's scheme themselves, as [`crate::link_point`] does).

use std::fmt;

/// The entity for one of the five escaped characters, or `None`.
const fn entity(ch: char) -> Option<&'static str> {
    match ch {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Appends `s` to `out` with `& < > " '` replaced by entities.
pub fn escape_into(out: &mut String, s: &str) {
    out.reserve(s.len());
    for ch in s.chars() {
        match entity(ch) {
            Some(e) => out.push_str(e),
            None => out.push(ch),
        }
    }
}

/// Returns `s` with `& < > " '` replaced by `&amp; &lt; &gt; &quot; &#39;`.
///
/// ```
/// use zeus_carrier_core::html::escape;
/// assert_eq!(escape(r#"<a href="x">'&'</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// A `Display` wrapper that writes its text escaped, for `format!` and
/// `write!` templates: `format!("<td>{}</td>", Escaped(name))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        // Write the runs between escaped characters in one call each.
        while let Some((pos, e)) = rest
            .char_indices()
            .find_map(|(i, c)| entity(c).map(|e| (i, e)))
        {
            f.write_str(&rest[..pos])?;
            f.write_str(e)?;
            // Every escaped character is one byte long.
            rest = &rest[pos + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r_lp_5_escapes_the_five_characters() {
        assert_eq!(escape("&"), "&amp;");
        assert_eq!(escape("<"), "&lt;");
        assert_eq!(escape(">"), "&gt;");
        assert_eq!(escape("\""), "&quot;");
        assert_eq!(escape("'"), "&#39;");
        assert_eq!(
            escape("<script>alert(\"x\")</script>"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn r_lp_5_keeps_other_text_including_japanese() {
        assert_eq!(escape("ゼウス テスト ¥100 #a=b"), "ゼウス テスト ¥100 #a=b");
        assert_eq!(escape(""), "");
        // An entity in the input is escaped again, not passed through.
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("ア&イ<ウ"), "ア&amp;イ&lt;ウ");
    }

    #[test]
    fn r_lp_5_display_wrapper_matches_escape() {
        let s = "a'b\"c<d>e&f";
        assert_eq!(format!("{}", Escaped(s)), escape(s));
        let mut out = String::from("x=");
        escape_into(&mut out, s);
        assert_eq!(out, format!("x={}", escape(s)));
    }

    /// Undoes `escape`, for the round-trip property.
    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    proptest! {
        /// R-LP-5: escaped text contains none of `< > " '`, every `&` starts
        /// one of the five entities, and unescaping gives the input back.
        #[test]
        fn r_lp_5_escaped_text_is_inert_and_reversible(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.contains(['<', '>', '"', '\'']));
            for (i, _) in e.match_indices('&') {
                let tail = &e[i..];
                prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|ent| tail.starts_with(ent)),
                    "stray & in {e:?}"
                );
            }
            prop_assert_eq!(unescape(&e), s.clone());
            prop_assert_eq!(format!("{}", Escaped(&s)), e);
        }
    }
}
