//! The one rule for text that people type (issues 7 and 20): no control characters, bidi
//! controls, zero-width or tag characters anywhere, no U+2028/U+2029 separators (in long
//! texts either: a browser's textarea never sends them, only a paste from another program
//! does, and they would show as one line here but break lines elsewhere), and line breaks
//! only in fields that hold long text. Applied by the
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
    "justification",
    "announcement",
    "record",
    "points",
];

/// Why a text was refused, in Chinese for the person who typed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// A control character (NUL, escape, …).
    Control,
    /// A bidi override, isolate or mark (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
    /// U+061C) that can disguise text.
    Bidi,
    /// A line break in a single-line field.
    LineBreak,
    /// A zero-width character (U+200B–U+200D, U+2060–U+2064, U+FEFF) that hides inside a
    /// word: two names that look the same but differ, a keyword that no search finds.
    ZeroWidth,
    /// A Unicode tag character (U+E0000–U+E007F): invisible, and able to carry a whole hidden
    /// ASCII text (instructions smuggled to a reader's software).
    Tag,
    /// The line or paragraph separator U+2028/U+2029: a line break to some software and none
    /// to others (HTML shows none, older JavaScript ends a string at it).
    Separator,
}

impl TextError {
    pub fn message(self) -> &'static str {
        match self {
            TextError::Control => "含有不可见的控制字符，请删除后重新输入（可从记事本粘贴纯文本）",
            TextError::Bidi => "含有改变文字方向的特殊字符，请删除后重新输入",
            TextError::LineBreak => "这一项只能填写一行，请删除换行",
            TextError::ZeroWidth => "含有看不见的零宽字符，请删除后重新输入（可从记事本粘贴纯文本）",
            TextError::Tag => "含有看不见的 Unicode 标签字符，请删除后重新输入（可从记事本粘贴纯文本）",
            TextError::Separator => "含有特殊的行分隔符或段落分隔符（U+2028/U+2029），请删除，需要换行时请直接按回车",
        }
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

const ZWJ: char = '\u{200D}';

/// Characters that make up emoji: pictographs, skin tones, keycap and the emoji
/// presentation selector. An approximation of Extended_Pictographic that covers the
/// blocks phones' keyboards offer.
fn is_emoji_part(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2300}'..='\u{23FF}'
        | '\u{2B00}'..='\u{2BFF}' | '\u{2190}'..='\u{21FF}' | '\u{FE0F}' | '\u{20E3}' | '\u{00A9}' | '\u{00AE}'
        | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}' | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}')
}

/// Checks a text; `multiline` allows line breaks (and tabs). A zero-width joiner is allowed
/// between two emoji in any field (👨‍👩‍👧 is one emoji made of three and two joiners): there it
/// only joins pictures and cannot hide inside a word.
pub fn check(s: &str, multiline: bool) -> Result<(), TextError> {
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\r' | '\t' if multiline => {}
            '\n' | '\r' => return Err(TextError::LineBreak),
            // A tab pasted into a single-line field is harmless white space.
            '\t' => {}
            c if c.is_control() => return Err(TextError::Control),
            c if is_bidi_control(c) => return Err(TextError::Bidi),
            ZWJ if prev.is_some_and(is_emoji_part) && chars.peek().copied().is_some_and(is_emoji_part) => {}
            c if is_zero_width(c) => return Err(TextError::ZeroWidth),
            '\u{E0000}'..='\u{E007F}' => return Err(TextError::Tag),
            '\u{2028}' | '\u{2029}' => return Err(TextError::Separator),
            '\u{FFFE}' | '\u{FFFF}' => return Err(TextError::Control),
            _ => {}
        }
        prev = Some(c);
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

    #[test]
    fn invisible_characters_are_refused_by_kind() {
        for c in ['\u{200E}', '\u{200F}', '\u{061C}', '\u{202A}', '\u{2069}'] {
            assert_eq!(check(&format!("张{c}三"), true), Err(TextError::Bidi), "{:X}", c as u32);
        }
        for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
            assert_eq!(check(&format!("张{c}三"), false), Err(TextError::ZeroWidth), "{:X}", c as u32);
            assert_eq!(check(&format!("张{c}三"), true), Err(TextError::ZeroWidth), "{:X}", c as u32);
        }
        assert_eq!(check("\u{FEFF}标题", false), Err(TextError::ZeroWidth), "a BOM at the start too");
        // "ignore" spelt in tag characters after an innocent word.
        let smuggled: String =
            "路灯".chars().chain("ignore".chars().map(|c| char::from_u32(0xE0000 + c as u32).unwrap())).collect();
        assert_eq!(check(&smuggled, true), Err(TextError::Tag));
        assert_eq!(check("\u{E0001}", false), Err(TextError::Tag));
        assert_eq!(check("\u{E007F}", false), Err(TextError::Tag));
        assert_eq!(check("第一段\u{2028}第二段", false), Err(TextError::Separator));
        assert_eq!(check("第一段\u{2029}第二段", true), Err(TextError::Separator));
        for e in [TextError::ZeroWidth, TextError::Tag, TextError::Separator, TextError::Bidi] {
            assert!(e.message().starts_with("含有"), "{}", e.message());
        }
    }

    #[test]
    fn a_joiner_inside_an_emoji_is_allowed_and_nowhere_else() {
        assert_eq!(check("我们一家👨\u{200D}👩\u{200D}👧都支持", true), Ok(()));
        assert_eq!(check("🏳\u{FE0F}\u{200D}🌈", false), Ok(()));
        assert_eq!(check("👩🏽\u{200D}💻 程序员", false), Ok(()));
        assert_eq!(check("❤\u{FE0F}\u{200D}🔥", true), Ok(()));
        assert_eq!(check("张\u{200D}三", true), Err(TextError::ZeroWidth));
        assert_eq!(check("👨\u{200D}三", true), Err(TextError::ZeroWidth));
        assert_eq!(check("张\u{200D}👩", true), Err(TextError::ZeroWidth));
        assert_eq!(check("\u{200D}👩", true), Err(TextError::ZeroWidth));
        assert_eq!(check("👩\u{200D}", true), Err(TextError::ZeroWidth));
        assert_eq!(check("👩\u{200D}\u{200D}👩", true), Err(TextError::ZeroWidth));
        // Plain Chinese, full-width punctuation and ideographic space are untouched.
        assert_eq!(check("第一条　为了规范代表建议办理工作，制定本办法。", false), Ok(()));
    }
}
