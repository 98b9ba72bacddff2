//! Just enough HTML reading for the demo's shopper: the forms and links of
//! the pages the merchant service and the sandbox gateway render (the
//! auto-submitting Link Point form, the payment test page, the completion
//! page). Total: any text gives a (possibly empty) list of tags.

/// One start tag: its lower-case name, its attributes (values unescaped)
/// and where it ends in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag {
    pub(super) name: String,
    attrs: Vec<(String, String)>,
    /// Byte offset just after the tag's `>`.
    end: usize,
}

impl Tag {
    /// The value of attribute `name` (case-insensitive), if present.
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag of `html`, in order (comments, doctypes and end tags
/// skipped).
pub(super) fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        if start >= bytes.len() {
            break;
        }
        if html[start..].starts_with("!--") {
            i = html[start..]
                .find("-->")
                .map_or(bytes.len(), |e| start + e + 3);
            continue;
        }
        if matches!(bytes[start], b'!' | b'/' | b'?') || !bytes[start].is_ascii_alphabetic() {
            i = start;
            continue;
        }
        let (tag, next) = read_tag(html, start);
        tags.push(tag);
        i = next;
    }
    tags
}

/// Reads the tag whose name starts at `start`; returns it and the offset
/// after it.
fn read_tag(html: &str, start: usize) -> (Tag, usize) {
    let bytes = html.as_bytes();
    let mut i = start;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    let name = html[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        if bytes[i] == b'>' {
            i += 1;
            break;
        }
        let key_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let key = html[key_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && matches!(bytes[i], b'"' | b'\'') {
                let quote = bytes[i];
                let value_start = i + 1;
                let value_end = html[value_start..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(bytes.len(), |p| value_start + p);
                value = unescape(&html[value_start..value_end]);
                i = (value_end + 1).min(bytes.len());
            } else {
                let value_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = unescape(&html[value_start..i]);
            }
        }
        if key.is_empty() {
            // A stray character: step over it.
            i += 1;
        } else {
            attrs.push((key, value));
        }
    }
    (
        Tag {
            name,
            attrs,
            end: i,
        },
        i,
    )
}

/// Replaces character references: the five named ones the project's pages
/// use, plus decimal and hexadecimal numeric ones. Anything else is kept.
pub(super) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';').filter(|&p| p <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..semi];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text between the end of `tag` and the next `</`, unescaped and
/// trimmed (a button's or a link's label).
pub(super) fn text_after(html: &str, tag: &Tag) -> String {
    let rest = html.get(tag.end..).unwrap_or("");
    let text = rest.find("</").map_or(rest, |e| &rest[..e]);
    unescape(text.trim())
}

/// A form as a browser would submit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Form {
    pub(super) action: String,
    pub(super) method: String,
    /// `accept-charset`, when the form names one.
    pub(super) accept_charset: Option<String>,
    /// The named `<input>`s (not buttons) in document order.
    pub(super) fields: Vec<(String, String)>,
    /// The named submit buttons: (name, value, label).
    pub(super) buttons: Vec<(String, String, String)>,
}

/// Every `<form>` of `html` with its fields and buttons.
pub(super) fn forms(html: &str) -> Vec<Form> {
    let tags = start_tags(html);
    let mut forms: Vec<Form> = Vec::new();
    for tag in &tags {
        match tag.name.as_str() {
            "form" => forms.push(Form {
                action: tag.attr("action").unwrap_or("").to_owned(),
                method: tag.attr("method").unwrap_or("get").to_ascii_lowercase(),
                accept_charset: tag.attr("accept-charset").map(str::to_owned),
                fields: Vec::new(),
                buttons: Vec::new(),
            }),
            "input" => {
                let Some(form) = forms.last_mut() else {
                    continue;
                };
                let kind = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
                if let Some(name) = tag.attr("name") {
                    let value = tag.attr("value").unwrap_or("").to_owned();
                    if kind == "submit" {
                        form.buttons.push((name.to_owned(), value.clone(), value));
                    } else {
                        form.fields.push((name.to_owned(), value));
                    }
                }
            }
            "button" => {
                let Some(form) = forms.last_mut() else {
                    continue;
                };
                if let Some(name) = tag.attr("name") {
                    form.buttons.push((
                        name.to_owned(),
                        tag.attr("value").unwrap_or("").to_owned(),
                        text_after(html, tag),
                    ));
                }
            }
            _ => {}
        }
    }
    forms
}

/// The `href` and label of the first `<a>` whose `class` contains
/// `class`.
pub(super) fn link_with_class(html: &str, class: &str) -> Option<(String, String)> {
    start_tags(html)
        .into_iter()
        .filter(|t| t.name == "a")
        .find(|t| {
            t.attr("class")
                .is_some_and(|c| c.split_ascii_whitespace().any(|w| w == class))
        })
        .map(|t| {
            (
                t.attr("href").unwrap_or("").to_owned(),
                text_after(html, &t),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_link_point_form_with_escaped_values() {
        let page = "<!DOCTYPE html><html><body>\
            <form id=\"f\" method=\"post\" action=\"http://127.0.0.1:9/cgi-bin/carrier/order.cgi\" accept-charset=\"Shift_JIS\" target=\"_top\">\n\
            <input type=\"hidden\" name=\"clientip\" value=\"1234567890\">\n\
            <input type=\"hidden\" name=\"sendpoint\" value=\"a&amp;b &quot;c&quot; &#39;d&#39; &#x27;e&#x27;\">\n\
            <input type=\"submit\" value=\"キャリア決済へ進む\">\n\
            </form><script>document.getElementById(\"f\").submit();</script>";
        let forms = forms(page);
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        assert_eq!(f.action, "http://127.0.0.1:9/cgi-bin/carrier/order.cgi");
        assert_eq!(f.method, "post");
        assert_eq!(f.accept_charset.as_deref(), Some("Shift_JIS"));
        assert_eq!(
            f.fields,
            vec![
                ("clientip".to_owned(), "1234567890".to_owned()),
                ("sendpoint".to_owned(), "a&b \"c\" 'd' 'e'".to_owned()),
            ]
        );
        assert!(f.buttons.is_empty(), "an unnamed submit is not sent");
    }

    #[test]
    fn reads_named_buttons_and_their_labels() {
        let page = "<form method=\"post\" action=\"/sandbox/carrier/SB-1\">\
            <button type=\"submit\" name=\"decision\" value=\"complete\">支払完了テスト</button>\
            <button type=\"submit\" name=\"decision\" value=\"fail\">支払失敗テスト</button></form>";
        let f = &forms(page)[0];
        assert_eq!(f.method, "post");
        assert_eq!(f.accept_charset, None);
        assert_eq!(
            f.buttons,
            vec![
                (
                    "decision".to_owned(),
                    "complete".to_owned(),
                    "支払完了テスト".to_owned()
                ),
                (
                    "decision".to_owned(),
                    "fail".to_owned(),
                    "支払失敗テスト".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn finds_a_link_by_class_and_survives_broken_markup() {
        let page = "<p><a href=\"/x\">no</a><a class=\"site-back big\" href=\"http://h/checkout/done?a=1&amp;b=2\">戻る &amp; 完了</a>";
        assert_eq!(
            link_with_class(page, "site-back"),
            Some((
                "http://h/checkout/done?a=1&b=2".to_owned(),
                "戻る & 完了".to_owned()
            ))
        );
        for broken in [
            "<",
            "<a href=\"",
            "<a href=x",
            "<!-- <a>",
            "&#xZZ; &; &amp",
            "<form",
        ] {
            let _ = forms(broken);
            let _ = link_with_class(broken, "site-back");
            let _ = unescape(broken);
        }
        assert_eq!(unescape("&#xZZ; &unknown; &amp"), "&#xZZ; &unknown; &amp");
    }
}
