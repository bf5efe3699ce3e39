//! Personal data that citizens type into free text (PLAT-8, OPN-9): before any text leaves for
//! a public surface, mobile and landline numbers, 身份证 numbers (recognised by their check
//! digit), bank card numbers (recognised by the Luhn digit) and e-mail addresses are masked.
//! The masked spans are returned too, so a preview can mark what was masked.
//!
//! Digits are read as a run: ASCII and full-width digits, with single spaces or hyphens between
//! groups (`138 1234 5678`, `0536-1234567`, `１３８…`). A run is judged as a whole; a run that
//! is none of the kinds below (a date, an amount, a tracking number) is left as it is.

/// What a span was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mobile,
    Landline,
    IdNumber,
    BankCard,
    Email,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Mobile => "手机号",
            Kind::Landline => "固定电话",
            Kind::IdNumber => "身份证号",
            Kind::BankCard => "银行卡号",
            Kind::Email => "电子邮箱",
        }
    }
}

/// One masked span of the output, in characters of the masked text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub kind: Kind,
    /// Character offsets in the masked text.
    pub start: usize,
    pub end: usize,
}

/// A text with its personal data masked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub spans: Vec<Span>,
}

impl Redacted {
    /// The text in pieces, each marked when it was masked (for a preview).
    pub fn pieces(&self) -> Vec<(String, Option<&'static str>)> {
        let chars: Vec<char> = self.text.chars().collect();
        let mut out = Vec::new();
        let mut at = 0;
        for s in &self.spans {
            if s.start > at {
                out.push((chars[at..s.start].iter().collect(), None));
            }
            out.push((chars[s.start..s.end].iter().collect(), Some(s.kind.label())));
            at = s.end;
        }
        if at < chars.len() {
            out.push((chars[at..].iter().collect(), None));
        }
        out
    }
}

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn is_x(c: char) -> bool {
    matches!(c, 'x' | 'X' | 'ｘ' | 'Ｘ')
}

/// The 身份证 check: 17 digits weighted, the 18th (0-9 or X) the check character.
pub fn id_number_valid(digits: &[u32], last_is_x: bool) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if digits.len() != 17 + usize::from(!last_is_x) {
        return false;
    }
    let sum: u32 = digits.iter().take(17).zip(W).map(|(d, w)| d * w).sum();
    let expected = CHECK[(sum % 11) as usize];
    if last_is_x { expected == 'X' } else { char::from_digit(digits[17], 10) == Some(expected) }
}

fn luhn(digits: &[u32]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = *d;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// What a run of digits is, if personal: judged on the digits alone.
fn judge(digits: &[u32], last_is_x: bool, grouped_like_landline: bool) -> Option<Kind> {
    let n = digits.len();
    if last_is_x || n == 18 {
        return id_number_valid(digits, last_is_x).then_some(Kind::IdNumber);
    }
    if n == 11 && digits[0] == 1 && (3..=9).contains(&digits[1]) {
        return Some(Kind::Mobile);
    }
    // 13 digits starting 86 1x: a mobile with the country code.
    if n == 13 && digits[0] == 8 && digits[1] == 6 && digits[2] == 1 && (3..=9).contains(&digits[3]) {
        return Some(Kind::Mobile);
    }
    if (16..=19).contains(&n) && luhn(digits) {
        return Some(Kind::BankCard);
    }
    // Landline: area code 0xx/0xxx + 7–8 digits (10–12 digits from 0), or written with a hyphen.
    if digits[0] == 0 && (10..=12).contains(&n) && digits[1] != 0 {
        return Some(Kind::Landline);
    }
    if grouped_like_landline && (7..=8).contains(&n) {
        return Some(Kind::Landline);
    }
    // A 15-digit 身份证 of the old kind (no check digit): 6 area digits, 6 of a birth date.
    if n == 15 && (1..=9).contains(&digits[0]) && (digits[8] * 10 + digits[9]) <= 12 && digits[8] * 10 + digits[9] >= 1
    {
        return Some(Kind::IdNumber);
    }
    None
}

/// The masked form of a run: the first three and last two characters kept for long numbers,
/// the rest `*`; short ones keep less.
fn mask_run(run: &[char], kind: Kind) -> String {
    let n = run.len();
    let (keep_head, keep_tail) = match kind {
        Kind::Mobile | Kind::IdNumber | Kind::BankCard if n >= 11 => (3, 2),
        _ if n >= 8 => (2, 2),
        _ => (0, 0),
    };
    run.iter()
        .enumerate()
        .map(|(i, c)| if i < keep_head || i >= n - keep_tail || matches!(c, ' ' | '-') { *c } else { '*' })
        .collect()
}

fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

fn is_email_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Masks the personal data in `text`.
pub fn redact(text: &str) -> Redacted {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::new();
    let mut out_len = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // E-mail: a local part, '@', and a dotted domain.
        if is_email_local(c) && !(i > 0 && is_email_local(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && is_email_local(chars[j]) {
                j += 1;
            }
            if j < chars.len() && chars[j] == '@' && j > i {
                let mut k = j + 1;
                while k < chars.len() && is_email_domain(chars[k]) {
                    k += 1;
                }
                let domain: String = chars[j + 1..k].iter().collect();
                let domain = domain.trim_end_matches(['.', '-']);
                if domain.contains('.') && domain.split('.').all(|p| !p.is_empty()) {
                    let end = j + 1 + domain.chars().count();
                    let local_len = j - i;
                    let masked: String = std::iter::once(chars[i])
                        .chain(std::iter::repeat_n('*', local_len.saturating_sub(1).max(1)))
                        .chain(std::iter::once('@'))
                        .chain(chars[j + 1..end].iter().copied())
                        .collect();
                    let len = masked.chars().count();
                    spans.push(Span { kind: Kind::Email, start: out_len, end: out_len + len });
                    out.push_str(&masked);
                    out_len += len;
                    i = end;
                    continue;
                }
            }
        }
        // A run of digits (with single separators), not glued to letters or digits before it.
        if digit(c).is_some() && !(i > 0 && (chars[i - 1].is_ascii_alphanumeric() || digit(chars[i - 1]).is_some())) {
            let mut j = i;
            let mut digits = Vec::new();
            let mut last_is_x = false;
            let mut hyphen_after = None;
            while j < chars.len() {
                if let Some(d) = digit(chars[j]) {
                    digits.push(d);
                    j += 1;
                } else if (chars[j] == ' ' || chars[j] == '-')
                    && j + 1 < chars.len()
                    && digit(chars[j + 1]).is_some()
                    && !digits.is_empty()
                {
                    if chars[j] == '-' && hyphen_after.is_none() {
                        hyphen_after = Some(digits.len());
                    }
                    j += 1;
                } else {
                    break;
                }
                if digits.len() > 19 {
                    break;
                }
            }
            if digits.len() == 17 && j < chars.len() && is_x(chars[j]) {
                last_is_x = true;
                j += 1;
            }
            let glued_after = j < chars.len() && (chars[j].is_ascii_alphanumeric() || digit(chars[j]).is_some());
            // 0536-1234567: an area code then a hyphen.
            let grouped = hyphen_after.is_some_and(|h| (3..=4).contains(&h)) && digits.first() == Some(&0);
            let kind = if glued_after || digits.len() < 7 {
                None
            } else if grouped {
                let local = &digits[hyphen_after.unwrap_or(0)..];
                (7..=8).contains(&local.len()).then_some(Kind::Landline).or_else(|| judge(&digits, last_is_x, false))
            } else {
                judge(&digits, last_is_x, false)
            };
            let run: Vec<char> = chars[i..j].to_vec();
            match kind {
                Some(kind) => {
                    let masked = mask_run(&run, kind);
                    let len = masked.chars().count();
                    spans.push(Span { kind, start: out_len, end: out_len + len });
                    out.push_str(&masked);
                    out_len += len;
                }
                None => {
                    out.extend(run.iter());
                    out_len += run.len();
                }
            }
            i = j;
            continue;
        }
        out.push(c);
        out_len += 1;
        i += 1;
    }
    Redacted { text: out, spans }
}

/// Whether `text` still holds anything `redact` would mask.
pub fn has_personal_data(text: &str) -> bool {
    !redact(text).spans.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<Kind> {
        redact(t).spans.into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn mobiles_landlines_and_emails_are_masked() {
        let r = redact("我是李建华，电话13812345678，座机0536-6221234，邮箱 lijh@example.com。");
        assert_eq!(r.text, "我是李建华，电话138******78，座机05**-*****34，邮箱 l***@example.com。");
        assert_eq!(kinds("电话13812345678"), vec![Kind::Mobile]);
        assert_eq!(kinds("电话 138 1234 5678 找我"), vec![Kind::Mobile]);
        assert_eq!(kinds("电话１３８１２３４５６７８"), vec![Kind::Mobile]);
        assert_eq!(kinds("+8613812345678"), vec![Kind::Mobile]);
        assert_eq!(kinds("053662212345"), vec![Kind::Landline]);
        assert!(!redact("电话13812345678").text.contains("12345678"));
    }

    #[test]
    fn id_numbers_by_their_check_digit() {
        // 11010519491231002X is the standard's published example.
        assert_eq!(kinds("身份证11010519491231002X"), vec![Kind::IdNumber]);
        assert_eq!(kinds("身份证 110105194912310021"), Vec::<Kind>::new(), "wrong check digit, fails Luhn too");
        let r = redact("身份证号：11010519491231002X。");
        assert_eq!(r.text, format!("身份证号：110{}2X。", "*".repeat(13)));
        // A wrong check digit is not an ID number (and not a card: 18 digits failing Luhn).
        assert!(!id_number_valid(&[1, 1, 0, 1, 0, 5, 1, 9, 4, 9, 1, 2, 3, 1, 0, 0, 2], false));
    }

    #[test]
    fn bank_cards_by_luhn() {
        assert_eq!(kinds("卡号 6222 0200 0000 0000 008"), kinds("卡号 6222020000000000008"));
        assert_eq!(kinds("卡号4111111111111111"), vec![Kind::BankCard]);
        assert_eq!(kinds("卡号4111111111111112"), Vec::<Kind>::new());
    }

    #[test]
    fn ordinary_numbers_are_left_alone() {
        for t in [
            "2026年12月6日上午9时",
            "金额 12000 元",
            "编号 MY2026000123",
            "第3条第2款",
            "面积 1234567 平方米",
            "门牌号 88-1",
            "写信到 a@b",
        ] {
            assert_eq!(redact(t).text, t, "{t}");
        }
    }

    #[test]
    fn pieces_mark_what_was_masked() {
        let r = redact("请拨13812345678联系");
        let p = r.pieces();
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].1, Some("手机号"));
        assert_eq!(p[1].0, "138******78");
    }

    #[test]
    fn masking_twice_changes_nothing() {
        let once = redact("电话13812345678，身份证11010519491231002X");
        assert_eq!(redact(&once.text).text, once.text);
        assert!(redact(&once.text).spans.is_empty());
    }
}
