//! A small, total reader of the HTML a shopper's browser submits: the
//! forms of a page (action, method, `accept-charset`, the fields a browser
//! would send, the submit buttons), its `<meta charset>`, and its links.
//! Enough for a merchant's rendered Link Point page (R-LP-5) and the
//! sandbox's own test and result pages; not a general HTML parser
//! (`<select>` is not read). Never panics, whatever the input.

/// One `<form>` of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    /// The `action` attribute, unescaped (empty when absent).
    pub(crate) action: String,
    /// The `method` attribute, lower case (`get` when absent).
    pub(crate) method: String,
    /// The `accept-charset` attribute, if any.
    pub(crate) accept_charset: Option<String>,
    /// The fields a browser submits, in document order: named inputs that
    /// are not buttons, not disabled, checkboxes and radios only when
    /// checked; textareas.
    pub(crate) fields: Vec<(String, String)>,
    /// The named submit buttons (`<button>`, `<input type=submit>`), as
    /// `(name, value)`.
    pub(crate) buttons: Vec<(String, String)>,
}

/// One `<a>` of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// `href`, unescaped.
    pub(crate) href: String,
    /// `class`, unescaped.
    pub(crate) class: String,
    /// The text inside, unescaped, tags removed.
    pub(crate) text: String,
}

/// What a page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) forms: Vec<Form>,
    pub(crate) links: Vec<Link>,
    /// The charset `<meta charset>` (or `http-equiv` content) declares.
    pub(crate) meta_charset: Option<String>,
    /// The text of each `<tr class="…">` row's cells, by row class.
    pub(crate) rows: Vec<(String, Vec<String>)>,
}

/// One tag: name (lower case), attributes (names lower case, values
/// unescaped), and whether it is an end tag.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    end: bool,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }
}

/// Reads a page.
pub(crate) fn read(html: &str) -> Page {
    let mut page = Page::default();
    let mut form: Option<Form> = None;
    let mut link: Option<Link> = None;
    let mut row: Option<(String, Vec<String>)> = None;
    let mut cell: Option<String> = None;
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            text(rest, &mut link, &mut cell);
            break;
        };
        text(&rest[..lt], &mut link, &mut cell);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
            continue;
        }
        let Some((tag, after)) = tag(rest) else {
            // A lone `<`: text.
            text("<", &mut link, &mut cell);
            rest = &rest[1..];
            continue;
        };
        rest = after;
        match (tag.name.as_str(), tag.end) {
            ("script" | "style", false) => {
                let close = format!("</{}", tag.name);
                rest = find_ci(rest, &close).map_or("", |i| &rest[i..]);
            }
            ("textarea", false) => {
                let close = find_ci(rest, "</textarea").unwrap_or(rest.len());
                let value = unescape(rest[..close].strip_prefix('\n').unwrap_or(&rest[..close]));
                if let (Some(f), Some(name)) = (form.as_mut(), tag.attr("name")) {
                    if !tag.has("disabled") {
                        f.fields.push((name.to_owned(), value));
                    }
                }
                rest = &rest[close..];
            }
            ("form", false) => {
                if let Some(f) = form.take() {
                    page.forms.push(f);
                }
                form = Some(Form {
                    action: tag.attr("action").unwrap_or_default().to_owned(),
                    method: tag.attr("method").unwrap_or("get").to_ascii_lowercase(),
                    accept_charset: tag.attr("accept-charset").map(str::to_owned),
                    ..Form::default()
                });
            }
            ("form", true) => {
                if let Some(f) = form.take() {
                    page.forms.push(f);
                }
            }
            ("input", false) => {
                if let Some(f) = form.as_mut() {
                    input(&tag, f);
                }
            }
            ("button", false) => {
                let kind = tag.attr("type").unwrap_or("submit").to_ascii_lowercase();
                if let (Some(f), "submit", Some(name)) =
                    (form.as_mut(), kind.as_str(), tag.attr("name"))
                {
                    if !tag.has("disabled") {
                        let value = tag.attr("value").unwrap_or_default();
                        f.buttons.push((name.to_owned(), value.to_owned()));
                    }
                }
            }
            ("meta", false) => {
                let declared = tag.attr("charset").map(str::to_owned).or_else(|| {
                    let content = tag.attr("content")?.to_ascii_lowercase();
                    let at = content.find("charset=")?;
                    Some(
                        content[at + 8..]
                            .trim()
                            .trim_matches(['"', '\''])
                            .to_owned(),
                    )
                });
                if page.meta_charset.is_none() {
                    page.meta_charset = declared;
                }
            }
            ("a", false) => {
                link = Some(Link {
                    href: tag.attr("href").unwrap_or_default().to_owned(),
                    class: tag.attr("class").unwrap_or_default().to_owned(),
                    text: String::new(),
                });
            }
            ("a", true) => {
                if let Some(mut l) = link.take() {
                    l.text = l.text.trim().to_owned();
                    page.links.push(l);
                }
            }
            ("tr", false) => {
                row = Some((tag.attr("class").unwrap_or_default().to_owned(), Vec::new()));
            }
            ("tr", true) => {
                if let Some(r) = row.take() {
                    page.rows.push(r);
                }
            }
            ("td" | "th", false) => cell = Some(String::new()),
            ("td" | "th", true) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.1.push(c.trim().to_owned());
                }
            }
            _ => {}
        }
    }
    if let Some(f) = form.take() {
        page.forms.push(f);
    }
    page
}

/// Text between tags goes to the open link and the open cell.
fn text(raw: &str, link: &mut Option<Link>, cell: &mut Option<String>) {
    if raw.is_empty() {
        return;
    }
    let t = unescape(raw);
    if let Some(l) = link.as_mut() {
        l.text.push_str(&t);
    }
    if let Some(c) = cell.as_mut() {
        c.push_str(&t);
    }
}

/// An `<input>` inside a form: a field, a button, or nothing.
fn input(tag: &Tag, f: &mut Form) {
    if tag.has("disabled") {
        return;
    }
    let Some(name) = tag.attr("name") else {
        return;
    };
    let kind = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
    let value = tag.attr("value");
    match kind.as_str() {
        "submit" | "image" => f
            .buttons
            .push((name.to_owned(), value.unwrap_or_default().to_owned())),
        "button" | "reset" | "file" => {}
        "checkbox" | "radio" => {
            if tag.has("checked") {
                f.fields
                    .push((name.to_owned(), value.unwrap_or("on").to_owned()));
            }
        }
        _ => f
            .fields
            .push((name.to_owned(), value.unwrap_or_default().to_owned())),
    }
}

/// Finds `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Reads one tag at the start of `s` (which starts with `<`); `None` when
/// `s` does not start a tag. Returns the rest after `>`.
fn tag(s: &str) -> Option<(Tag, &str)> {
    let mut rest = s.strip_prefix('<')?;
    let end = match rest.strip_prefix('/') {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    if rest.starts_with('!') || rest.starts_with('?') {
        // A doctype or processing instruction: skip to `>`.
        let close = rest.find('>')?;
        return Some((
            Tag {
                name: String::new(),
                attrs: Vec::new(),
                end: false,
            },
            &rest[close + 1..],
        ));
    }
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let name = rest[..name_len].to_ascii_lowercase();
    rest = &rest[name_len..];
    let mut attrs = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if let Some(r) = rest.strip_prefix('>') {
            return Some((Tag { name, attrs, end }, r));
        }
        if rest.is_empty() {
            return Some((Tag { name, attrs, end }, rest));
        }
        let n = rest
            .find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(rest.len());
        // `n` is 0 only at `=` (whitespace, `/` and `>` were handled).
        let attr_name = rest[..n.max(1)].to_ascii_lowercase();
        rest = &rest[n.max(1)..];
        let after_ws = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let value = if let Some(v) = after_ws.strip_prefix('=') {
            let v = v.trim_start_matches(|c: char| c.is_ascii_whitespace());
            match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &v[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    rest = body.get(close + 1..).unwrap_or("");
                    unescape(&body[..close])
                }
                _ => {
                    let close = v
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(v.len());
                    rest = &v[close..];
                    unescape(&v[..close])
                }
            }
        } else {
            String::new()
        };
        if !attrs
            .iter()
            .any(|(k, _): &(String, String)| *k == attr_name)
        {
            attrs.push((attr_name, value));
        }
    }
}

/// Replaces character references: the five of XML, `&nbsp;`, decimal and
/// hexadecimal ones. Anything else stays as written.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest.find(';').filter(|&i| i <= 12);
        let decoded = semi.and_then(|i| {
            let name = &rest[1..i];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let digits = name.strip_prefix('#')?;
                    let n = match digits.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => digits.parse::<u32>().ok()?,
                    };
                    Some(char::from_u32(n).unwrap_or('\u{fffd}'))
                }
            }?;
            Some((ch, i + 1))
        });
        match decoded {
            Some((ch, len)) => {
                out.push(ch);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rendered_link_point_page() {
        let html = "<!DOCTYPE html>\n<html><head><meta charset=\"Shift_JIS\"></head><body>\
            <!-- <form action=x> -->\
            <form id=\"f\" method=\"POST\" action=\"https://gw.example/order.cgi?a=1&amp;b=2\" accept-charset=\"Shift_JIS\">\
            <input type=\"hidden\" name=\"username\" value=\"ゼウス_1\">\
            <input type=hidden name=sendpoint value='&lt;script&gt;&quot;&#39;&amp;&#x41;'>\
            <input type=\"checkbox\" name=\"c1\" value=\"x\">\
            <input type=\"checkbox\" name=\"c2\" checked>\
            <input type=\"text\" name=\"d\" value=\"no\" disabled>\
            <textarea name=\"t\">\na&amp;b</textarea>\
            <input type=\"submit\" value=\"キャリア決済へ進む\">\
            </form><script>document.write('<form action=y>')</script></body></html>";
        let page = read(html);
        assert_eq!(page.meta_charset.as_deref(), Some("Shift_JIS"));
        assert_eq!(page.forms.len(), 1, "{page:?}");
        let f = &page.forms[0];
        assert_eq!(f.action, "https://gw.example/order.cgi?a=1&b=2");
        assert_eq!(f.method, "post");
        assert_eq!(f.accept_charset.as_deref(), Some("Shift_JIS"));
        assert_eq!(
            f.fields,
            [
                ("username".to_owned(), "ゼウス_1".to_owned()),
                ("sendpoint".to_owned(), "<script>\"'&A".to_owned()),
                ("c2".to_owned(), "on".to_owned()),
                ("t".to_owned(), "a&b".to_owned()),
            ]
        );
        assert!(f.buttons.is_empty(), "an unnamed submit sends nothing");
    }

    #[test]
    fn reads_buttons_links_and_rows() {
        let page = read(
            "<form method=post action=/p><button type=submit name=decision value=complete>OK</button>\
             <button name=decision value=fail>NG</button><button type=button name=x value=y>-</button></form>\
             <a class=\"site-back\" href=\"https://shop.example/ok?a=1&amp;b=2\"> 戻る &amp; </a>\
             <table><tr class=\"violation\"><td>money</td><td>1 &lt; 2</td></tr></table>",
        );
        assert_eq!(
            page.forms[0].buttons,
            [
                ("decision".to_owned(), "complete".to_owned()),
                ("decision".to_owned(), "fail".to_owned())
            ]
        );
        assert_eq!(page.links[0].href, "https://shop.example/ok?a=1&b=2");
        assert_eq!(page.links[0].class, "site-back");
        assert_eq!(page.links[0].text, "戻る &");
        assert_eq!(
            page.rows,
            [(
                "violation".to_owned(),
                vec!["money".to_owned(), "1 < 2".to_owned()]
            )]
        );
    }

    /// Total: every prefix of a page (a body cut anywhere) reads without a
    /// panic, multi-byte characters and half-written tags included.
    #[test]
    fn every_prefix_of_a_page_reads() {
        let html = "<meta charset=\"Shift_JIS\"><form method=post action='/a?x=1&amp;y=\"2\"' accept-charset=\"Shift_JIS UTF-8\">\
            <input type=hidden name=\"名前\" value=\"ゼウス&#x30C6;&#12473;&amp;ト\"><textarea name=t>あ&lt;</textarea>\
            <!-- コメント --><button name=d value=\"完了\">支払</button></form><a class=x href=\"/b\">戻る</a>\
            <table><tr class=v><td>金額</td><td>不正</td></tr></table>";
        let whole = read(html);
        assert_eq!(
            whole.forms[0].fields[0],
            ("名前".to_owned(), "ゼウステス&ト".to_owned())
        );
        for (i, _) in html.char_indices() {
            let page = read(&html[..i]);
            assert!(page.forms.len() <= 1, "{i}");
        }
    }

    #[test]
    fn meta_http_equiv_and_broken_markup() {
        let page = read("<meta http-equiv=Content-Type content=\"text/html; charset=UTF-8\">");
        assert_eq!(page.meta_charset.as_deref(), Some("utf-8"));
        for junk in [
            "<",
            "<<a",
            "<form action=\"x",
            "&#xFFFFFFFF; &#; &amp",
            "<a href=>",
            "</",
            "<!--",
            "<textarea name=t>",
            "<input name=\"a\u{3042}",
        ] {
            let _ = read(junk);
        }
        assert_eq!(unescape("&#xD800;"), "\u{fffd}");
        assert_eq!(unescape("a & b &unknown; &amp"), "a & b &unknown; &amp");
    }
}
