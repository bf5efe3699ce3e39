//! The one rule for text that people type (issue 7): no control characters and no bidi
//! overrides anywhere, and line breaks only in fields that hold long text. Applied by the
//! form, JSON and query extractors to every field of every request, so no handler can forget
//! it; models may call [`check`] on text from other sources (imports).

/// Field names whose values are long texts where line breaks belong. Every other field is a
/// single line. Modules that add a long-text field add its name here.
pub const LONG_TEXT_FIELDS: &[&str] = &[
    "bio",
    "description",
    "content",
    "text",
    "comment",
    "note",
    "reason",
    "summary",
    "body",
    "reply",
    "explanation",
    "issues",
    "attendees",
];

/// Why a text was refused, in Chinese for the person who typed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// A control character (NUL, escape, …).
    Control,
    /// A bidi override or isolate (U+202A–U+202E, U+2066–U+2069) that can disguise text.
    Bidi,
    /// A line break in a single-line field.
    LineBreak,
}

impl TextError {
    pub fn message(self) -> &'static str {
        match self {
            TextError::Control => "含有不可见的控制字符，请删除后重新输入（可从记事本粘贴纯文本）",
            TextError::Bidi => "含有改变文字方向的特殊字符，请删除后重新输入",
            TextError::LineBreak => "这一项只能填写一行，请删除换行",
        }
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a text; `multiline` allows line breaks (and tabs).
pub fn check(s: &str, multiline: bool) -> Result<(), TextError> {
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' if multiline => {}
            '\n' | '\r' => return Err(TextError::LineBreak),
            // A tab pasted into a single-line field is harmless white space.
            '\t' => {}
            c if c.is_control() => return Err(TextError::Control),
            c if is_bidi_control(c) => return Err(TextError::Bidi),
            '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}' => return Err(TextError::Control),
            _ => {}
        }
    }
    Ok(())
}

/// Checks one named field under the rule for its name.
pub fn check_field(name: &str, value: &str) -> Result<(), TextError> {
    check(name, false)?;
    check(value, LONG_TEXT_FIELDS.contains(&name))
}

/// Checks every string of a JSON document (keys too), by the name of the field it sits in.
pub fn check_json(v: &serde_json::Value) -> Result<(), (String, TextError)> {
    fn walk(field: &str, v: &serde_json::Value) -> Result<(), (String, TextError)> {
        match v {
            serde_json::Value::String(s) => check_field(field, s).map_err(|e| (field.to_string(), e)),
            serde_json::Value::Array(items) => items.iter().try_for_each(|i| walk(field, i)),
            serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
                check(k, false).map_err(|e| (k.clone(), e))?;
                walk(k, v)
            }),
            _ => Ok(()),
        }
    }
    walk("", v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_refused() {
        assert_eq!(check("张三", false), Ok(()));
        assert_eq!(check("张\u{0}三", false), Err(TextError::Control));
        assert_eq!(check("\u{1b}[31m", true), Err(TextError::Control));
        assert_eq!(check("\u{7f}", true), Err(TextError::Control));
        assert_eq!(check("\u{85}", true), Err(TextError::Control));
        assert_eq!(check("abc\u{202E}gpj.exe", false), Err(TextError::Bidi));
        assert_eq!(check("a\u{2067}b", true), Err(TextError::Bidi));
        assert_eq!(check("第一行\n第二行", false), Err(TextError::LineBreak));
        assert_eq!(check("第一行\r\n第二行\t缩进", true), Ok(()));
        assert_eq!(check("名称\t", false), Ok(()));
    }

    #[test]
    fn fields_are_judged_by_name() {
        assert_eq!(check_field("bio", "一\n二"), Ok(()));
        assert_eq!(check_field("name", "一\n二"), Err(TextError::LineBreak));
        let doc = serde_json::json!({"content": "路灯\n不亮", "name": ["好", "坏\u{202E}"]});
        assert_eq!(check_json(&doc), Err(("name".to_string(), TextError::Bidi)));
        assert_eq!(check_json(&serde_json::json!({"content": "路灯\n不亮", "n": 3})), Ok(()));
    }
}
