//! The Link Point request on the wire (R-LP-5, D-3): an auto-submitting
//! HTML page, a urlencoded body in the charset, and the gateway side's
//! parser of such a body.

use std::fmt::Write as _;

use super::validate::ValidOrderRequest;
use super::{Field, OrderRequest};
use crate::charset::{Charset, FormError, Unmappable, percent_decode, percent_encode};
use crate::html::Escaped;

/// A field whose value the charset cannot encode (D-3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {source}")]
#[non_exhaustive]
pub struct EncodeError {
    /// The field.
    pub field: Field,
    /// The character and charset.
    pub source: Unmappable,
}

/// A urlencoded `order.cgi` body that cannot be read (D-3). Unknown
/// parameters are ignored, so errors always name one of the twelve fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A `%` not followed by two hex digits in the field's value.
    #[error("{field}: bad percent escape at byte {at} of the value")]
    BadEscape {
        /// The field.
        field: Field,
        /// Byte offset of the `%` in the raw value.
        at: usize,
    },
    /// The field's value is not valid in the charset (e.g. a Shift_JIS lead
    /// byte without its trail byte).
    #[error("{field}: value is not valid {charset} (D-3)")]
    Malformed {
        /// The field.
        field: Field,
        /// The charset.
        charset: Charset,
    },
}

impl ParseError {
    /// The field whose value could not be read.
    pub fn field(&self) -> Field {
        match self {
            ParseError::BadEscape { field, .. } | ParseError::Malformed { field, .. } => *field,
        }
    }
}

/// The `id` of the rendered form, used by its auto-submit script.
const FORM_ID: &str = "zeus-carrier-link-point";

impl OrderRequest {
    /// The non-empty fields as an `application/x-www-form-urlencoded` body
    /// in `charset`, in the manual's field order: the text is encoded in the
    /// charset first and its bytes percent-encoded (Shift_JIS `ゼ` is
    /// `%83%5B`; `¥` and `\` are both `%5C`, D-4) (R-LP-5).
    pub fn to_urlencoded(&self, charset: Charset) -> Result<String, EncodeError> {
        let mut out = String::new();
        for (field, value) in self.fields().filter(|(_, v)| !v.is_empty()) {
            let bytes = charset
                .encode(value)
                .map_err(|source| EncodeError { field, source })?;
            if !out.is_empty() {
                out.push('&');
            }
            percent_encode(field.wire_name().as_bytes(), &mut out);
            out.push('=');
            percent_encode(&bytes, &mut out);
        }
        Ok(out)
    }

    /// Parses an `order.cgi` body sent in `charset` (the sandbox's
    /// `order.cgi`). Total on any bytes. Unknown or undecodable names are
    /// ignored, as are empty segments; a repeated field: the last value wins.
    /// A bad escape or invalid bytes in a field's value is an error naming
    /// the field.
    pub fn parse_urlencoded(raw: &[u8], charset: Charset) -> Result<OrderRequest, ParseError> {
        let mut request = OrderRequest::default();
        for segment in raw.split(|b| *b == b'&') {
            let mut halves = segment.splitn(2, |b| *b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            let Some(field) = percent_decode(name)
                .ok()
                .and_then(|n| std::str::from_utf8(&n).ok().and_then(Field::from_wire_name))
            else {
                continue;
            };
            let bytes = percent_decode(value).map_err(|e| match e {
                FormError::BadEscape { at } => ParseError::BadEscape { field, at },
                FormError::Malformed { .. } => ParseError::Malformed { field, charset },
            })?;
            let text = charset
                .decode(&bytes)
                .map_err(|_| ParseError::Malformed { field, charset })?;
            request.set(field, text.into_owned());
        }
        Ok(request)
    }

    /// A complete HTML page holding the Link Point form (R-LP-5): the
    /// charset's `<meta charset>`, `accept-charset` on the form, a hidden
    /// input for every non-empty field, every value and `action_url`
    /// escaped with [`crate::html::escape`], a submit button, a tiny inline
    /// script that submits the form at once and a `<noscript>` hint.
    ///
    /// The page is text; send it encoded in `charset`. For a request that
    /// passed validation in that charset, the encoding cannot fail (the
    /// page's own text is all Shift_JIS), unless `action_url` itself holds
    /// an unencodable character.
    pub fn render_html_form(&self, action_url: &str, charset: Charset) -> String {
        let label = charset.http_label();
        let mut page = String::with_capacity(1024);
        // `write!` to a String cannot fail; the results are ignored.
        let _ = write!(
            page,
            "<!DOCTYPE html>\n\
             <html lang=\"ja\">\n\
             <head>\n\
             <meta charset=\"{label}\">\n\
             <meta name=\"robots\" content=\"noindex\">\n\
             <title>キャリア決済へ移動します</title>\n\
             </head>\n\
             <body>\n\
             <form id=\"{FORM_ID}\" method=\"post\" action=\"{action}\" accept-charset=\"{label}\" target=\"_top\">\n",
            action = Escaped(action_url),
        );
        for (name, value) in self.to_pairs() {
            let _ = writeln!(
                page,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                Escaped(name),
                Escaped(value)
            );
        }
        page.push_str(
            "<noscript><p>自動で移動しない場合は、ボタンを押してください。</p></noscript>\n\
             <input type=\"submit\" value=\"キャリア決済へ進む\">\n\
             </form>\n",
        );
        let _ = write!(
            page,
            "<script>document.getElementById(\"{FORM_ID}\").submit();</script>\n\
             </body>\n\
             </html>\n"
        );
        page
    }
}

impl ValidOrderRequest {
    /// The form as an HTML page in the request's charset (R-LP-5); see
    /// [`OrderRequest::render_html_form`].
    pub fn render_html_form(&self, action_url: &str) -> String {
        self.request().render_html_form(action_url, self.charset())
    }

    /// The urlencoded body in the request's charset (R-LP-5). Infallible:
    /// validation checked that every value is encodable.
    pub fn to_urlencoded(&self) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.request().to_pairs().into_iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            percent_encode(name.as_bytes(), &mut out);
            out.push('=');
            // Validated: no character is unmappable, so encoding_rs's
            // replacement never happens and this equals `Charset::encode`.
            let (bytes, _, _) = self.charset().encoding().encode(value);
            percent_encode(&bytes, &mut out);
        }
        out
    }
}
