//! Reading a console list's query string, written once: its structs keep every parameter as
//! an `Option<String>` (so that no value a person types into an address is a 400), and these
//! read them — a record number, a text, a flag — and write the filter back into the links of
//! the pager and the export.

/// A positive record number, else none (absent, empty, not a number, zero or below).
pub fn id(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse().ok()).filter(|v: &i64| *v > 0)
}

/// The value trimmed; empty when absent.
pub fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_string()
}

/// The value trimmed, or none when absent or blank.
pub fn some_text(v: &Option<String>) -> Option<String> {
    Some(text(v)).filter(|t| !t.is_empty())
}

/// A ticked filter: `1`, `on` or `true`.
pub fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref().map(str::trim), Some("1" | "on" | "true"))
}

/// The parameters that have a value (trimmed), as a query string without `?`.
pub fn string(pairs: &[(&str, &Option<String>)]) -> String {
    let kept: Vec<(&str, String)> = pairs.iter().filter_map(|(k, v)| some_text(v).map(|v| (*k, v))).collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn reads_numbers_texts_and_flags() {
        assert_eq!(id(&some(" 42 ")), Some(42));
        for bad in [None, some(""), some("0"), some("-3"), some("4x"), some("１")] {
            assert_eq!(id(&bad), None, "{bad:?}");
        }
        assert_eq!(text(&some("  水费 ")), "水费");
        assert_eq!(text(&None), "");
        assert_eq!(some_text(&some("   ")), None);
        assert_eq!(some_text(&some(" a ")), some("a"));
        assert!(flag(&some("1")) && flag(&some("on")) && flag(&some(" true")));
        assert!(!flag(&some("0")) && !flag(&None) && !flag(&some("yes")));
    }

    #[test]
    fn writes_back_the_filled_parameters() {
        let (q, state, none, blank) = (some(" 水 费&"), some("closed"), None, some("  "));
        assert_eq!(
            string(&[("q", &q), ("state", &state), ("x", &none), ("y", &blank)]),
            "q=%E6%B0%B4+%E8%B4%B9%26&state=closed"
        );
        assert_eq!(string(&[]), "");
    }
}
