//! Redirect targets and URLs that come from input: a `next` parameter is followed only when it
//! parses as a path on this site, and every redirect is built so that it cannot panic.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

/// The longest `next` target that is followed; longer ones fall back to the default.
const MAX_TARGET: usize = 2048;

/// Control characters (C0, DEL, C1) and the invisible bidirectional marks, embeddings,
/// overrides and isolates that can make text read differently from what it is.
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character of `s` that may not appear in a URL, a header or a redirect target.
pub fn first_control(s: &str) -> Option<char> {
    s.chars().find(|c| is_control_or_bidi(*c))
}

/// True when percent-decoding `raw` yields a control byte, or text with a control or bidi character.
pub fn decoded_has_control(raw: &str) -> bool {
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    if bytes.iter().any(|b| *b < 0x20 || *b == 0x7f) {
        return true;
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => first_control(text).is_some(),
        // Not UTF-8 once decoded: the extractors answer that themselves.
        Err(_) => false,
    }
}

/// Characters kept as they are in a re-encoded target; everything else is percent-encoded.
fn keep(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?".contains(c)
}

fn reencode(raw: &str, out: &mut String) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    for (at, c) in raw.char_indices() {
        if at < i {
            continue;
        }
        if c == '%' && bytes.len() > at + 2 && bytes[at + 1].is_ascii_hexdigit() && bytes[at + 2].is_ascii_hexdigit() {
            out.push_str(&raw[at..at + 3]);
            i = at + 3;
        } else if keep(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
}

/// The target as a path on this site (`/…`, with an optional query), re-encoded as plain
/// ASCII; `None` unless it is one: it must start with a single `/`, and neither the path nor
/// the query may hold `//`, `\`, a `.`/`..` segment, whitespace, or a control or bidi
/// character, raw or once percent-decoded. A fragment is dropped (browsers keep their own).
pub fn local_path(next: &str) -> Option<String> {
    if next.len() > MAX_TARGET {
        return None;
    }
    let next = next.split('#').next().unwrap_or("");
    let (path, query) = match next.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (next, None),
    };
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    if decoded.contains("//")
        || decoded.contains('\\')
        || decoded.split('/').any(|segment| segment == "." || segment == "..")
        || decoded.chars().any(|c| c.is_whitespace() || is_control_or_bidi(c))
    {
        return None;
    }
    let mut out = String::with_capacity(next.len() + 16);
    reencode(path, &mut out);
    if let Some(q) = query {
        let decoded = percent_decode_str(q).decode_utf8().ok()?;
        if decoded.chars().any(|c| c.is_whitespace() || is_control_or_bidi(c)) || decoded.contains('\\') {
            return None;
        }
        if !q.is_empty() {
            out.push('?');
            reencode(q, &mut out);
        }
    }
    // Belt and braces: what leaves here is always a header-safe path on this site.
    (out.starts_with('/') && !out.starts_with("//") && HeaderValue::from_str(&out).is_ok()).then_some(out)
}

/// The `next` of a request, or `fallback` when it is missing or not a path on this site.
pub fn next_or(next: Option<&str>, fallback: &str) -> String {
    next.and_then(local_path).unwrap_or_else(|| fallback.to_string())
}

/// `303 See Other` to `to`; a target that is not a valid header value (it never should be:
/// targets are built by the application or by [`local_path`]) goes to the home page instead
/// of panicking as `Redirect::to` would.
pub fn see_other(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| {
        tracing::warn!(target = %to.escape_debug(), "redirect target is not a header value");
        HeaderValue::from_static("/")
    });
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in ["/console", "/console/registry/deputies/12", "/find?q=a&b=c", "/console?x=%2F%2F", "/a:b@c"] {
            assert_eq!(local_path(good).as_deref(), Some(good), "{good}");
        }
        assert_eq!(local_path("/find?q=张").as_deref(), Some("/find?q=%E5%BC%A0"));
        assert_eq!(local_path("/查找").as_deref(), Some("/%E6%9F%A5%E6%89%BE"));
        assert_eq!(local_path("/a?b#frag").as_deref(), Some("/a?b"));
        assert_eq!(local_path("/a\"<x>").as_deref(), Some("/a%22%3Cx%3E"));
        assert_eq!(local_path("/a%zz").as_deref(), Some("/a%25zz"));
        for bad in [
            "",
            "console",
            "//evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/\r\nSet-Cookie:x=1",
            "/%0d%0aSet-Cookie:x=1",
            "/a/%00",
            "/a\u{202e}b",
            "/a%E2%80%AEb",
            "/a%C2%85b",
            "https://evil.example/",
            "javascript:alert(1)",
            " /console",
            "/console ",
            "/a/../..//evil.example",
            "/./x",
            "/a%20b",
            "/a?x=%0a",
            "/a?x=\u{202e}",
            "/a?x=%5C",
            "/a%FF",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(5000))), None);
        assert_eq!(next_or(Some("//x"), "/console"), "/console");
        assert_eq!(next_or(None, "/console"), "/console");
    }

    #[test]
    fn redirects_never_panic() {
        assert_eq!(see_other("/a\r\nb").headers()[header::LOCATION], "/");
        assert_eq!(see_other("/console").headers()[header::LOCATION], "/console");
        assert_eq!(see_other("/console").status(), StatusCode::SEE_OTHER);
    }

    #[test]
    fn control_characters_after_decoding() {
        assert!(decoded_has_control("/a%00"));
        assert!(decoded_has_control("q=%1b"));
        assert!(decoded_has_control("q=%E2%80%AE"));
        assert!(decoded_has_control("q=%C2%9B"));
        assert!(!decoded_has_control("q=%E5%BC%A0+%20"));
        assert!(!decoded_has_control("q=%FF"));
    }
}
