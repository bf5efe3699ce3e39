//! Counting, in integers only (MTG-3): shares per mille rounded half up, and the rule to pass as
//! data — at least or more than `num/den` of all members, of those present or of the valid
//! votes — decided by cross-multiplication, never by a float: more than half of 29 is 15, two
//! thirds of 29 is 20. The rule says itself in words, and says which figure decided.

use serde::{Deserialize, Serialize};

use crate::app::codes::code_enum;

/// `part` of `whole` in per mille, rounded half up; 0 of nothing.
pub fn per_mille(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part * 1000 + whole / 2) / whole }
}

/// A per mille figure as the pages show it: `87.5%`.
pub fn percent(per_mille: i64) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

code_enum! {
    /// What a rule counts against.
    #[derive(schemars::JsonSchema)]
    pub enum Base {
        /// Every member (全体组成人员; for a 测评 its whole electorate): those absent count against.
        AllMembers = ("all_members", "全体组成人员"),
        /// The members present when the ballot closed (出席人员).
        Present = ("present", "出席人员"),
        /// The valid votes on the subject: 赞成, 反对 and 弃权 (for a 差额 ballot, every paper cast).
        ValidVotes = ("valid_votes", "有效票"),
    }
}

/// A rule to pass: the votes in favour must be at least (or, `strict`, more than) `num / den`
/// of the base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub base: Base,
    pub num: i64,
    pub den: i64,
    /// More than the fraction (过半数); `false`: at least it (三分之二以上).
    pub strict: bool,
}

/// 全体组成人员的过半数.
pub const MAJORITY_OF_ALL: Rule = Rule { num: 1, den: 2, strict: true, base: Base::AllMembers };
/// 全体组成人员的三分之二以上.
pub const TWO_THIRDS_OF_ALL: Rule = Rule { num: 2, den: 3, strict: false, base: Base::AllMembers };

/// The largest denominator a rule may have (rules are simple fractions).
pub const MAX_DEN: i64 = 100;

impl Rule {
    /// A rule as given (API, form): a proper fraction of at most `MAX_DEN`ths.
    pub fn checked(self) -> Result<Rule, &'static str> {
        if self.den < 1 || self.den > MAX_DEN || self.num < 1 || self.num > self.den {
            return Err("通过规则的比例应为 1/100 到 1 之间的分数（分子不大于分母，分母不超过 100）");
        }
        if self.num == self.den && self.strict {
            return Err("“超过全部”无法达到：全部时请选择“以上”（含本数）");
        }
        Ok(self)
    }
    /// Whether `yes` votes pass against a base of `base`.
    pub fn passes(self, yes: i64, base: i64) -> bool {
        if self.strict { yes * self.den > base * self.num } else { yes * self.den >= base * self.num }
    }
    /// The fewest votes in favour that pass.
    pub fn needed(self, base: i64) -> i64 {
        let floor = base * self.num / self.den;
        let exact = floor * self.den == base * self.num;
        if self.strict || !exact { floor + 1 } else { floor }
    }
    /// 「全体组成人员的过半数」, 「出席人员的三分之二以上」, 「超过有效票的三分之二」.
    pub fn words(self) -> String {
        self.words_with(None)
    }
    /// The words with the size of the base: 「全体组成人员 29 人的过半数」.
    pub fn words_with(self, base: Option<i64>) -> String {
        let of = match base {
            Some(n) => format!("{} {n} {}", self.base.label(), if self.base == Base::ValidVotes { "票" } else { "人" }),
            None => self.base.label().to_string(),
        };
        let fraction = fraction_words(self.num, self.den);
        match (self.num * 2 == self.den, self.strict) {
            (true, true) => format!("{of}的过半数"),
            (true, false) => format!("{of}的半数以上"),
            (false, false) => format!("{of}的{fraction}以上"),
            (false, true) => format!("超过{of}的{fraction}"),
        }
    }
    /// What decided, in words: 「赞成 15 票，全体组成人员 29 人的过半数为 15 票：通过」.
    pub fn decision(self, yes: i64, base: i64) -> String {
        format!(
            "赞成 {yes} 票，{}为 {} 票：{}",
            self.words_with(Some(base)),
            self.needed(base),
            if self.passes(yes, base) { "通过" } else { "未通过" }
        )
    }
}

/// 二分之一, 三分之二, 百分之六十 ….
pub fn fraction_words(num: i64, den: i64) -> String {
    if den == 100 {
        return format!("百分之{}", chinese_number(num));
    }
    format!("{}分之{}", chinese_number(den), chinese_number(num))
}

/// A number in Chinese as meetings are numbered and fractions read: 1 一, 10 十, 14 十四,
/// 20 二十, 105 一百零五 (0 ≤ n < 10,000; beyond that the digits).
pub fn chinese_number(n: i64) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if !(0..10_000).contains(&n) {
        return n.to_string();
    }
    if n < 10 {
        return DIGITS[n as usize].to_string();
    }
    let places = [(1000, "千"), (100, "百"), (10, "十"), (1, "")];
    let mut out = String::new();
    let mut zero = false;
    for (value, name) in places {
        let d = (n / value) % 10;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        // 十四, not 一十四 — at the front only.
        if !(value == 10 && d == 1 && out.is_empty()) {
            out.push_str(DIGITS[d as usize]);
        }
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAJORITY_OF_PRESENT: Rule = Rule { num: 1, den: 2, strict: true, base: Base::Present };
    const HALF_OF_VOTES: Rule = Rule { num: 1, den: 2, strict: false, base: Base::ValidVotes };

    #[test]
    fn the_boundaries_of_29_members() {
        // More than half of 29 is 15: 14 fails, 15 passes.
        assert_eq!(MAJORITY_OF_ALL.needed(29), 15);
        assert!(!MAJORITY_OF_ALL.passes(14, 29));
        assert!(MAJORITY_OF_ALL.passes(15, 29));
        // Two thirds of 29 is 20 (19.33… rounded up): 19 fails, 20 passes.
        assert_eq!(TWO_THIRDS_OF_ALL.needed(29), 20);
        assert!(!TWO_THIRDS_OF_ALL.passes(19, 29));
        assert!(TWO_THIRDS_OF_ALL.passes(20, 29));
        // Of 30: more than half is 16 (15 is a tie, not more), two thirds exactly 20.
        assert_eq!(MAJORITY_OF_ALL.needed(30), 16);
        assert!(!MAJORITY_OF_ALL.passes(15, 30));
        assert_eq!(TWO_THIRDS_OF_ALL.needed(30), 20);
        assert!(TWO_THIRDS_OF_ALL.passes(20, 30));
        // A tie under 「半数以上」 passes; under 「过半数」 it does not.
        assert!(HALF_OF_VOTES.passes(10, 20));
        assert!(!Rule { strict: true, ..HALF_OF_VOTES }.passes(10, 20));
        // Nothing needs one vote at least; an empty base passes a non-strict rule with none.
        assert_eq!(MAJORITY_OF_PRESENT.needed(0), 1);
        assert_eq!(HALF_OF_VOTES.needed(0), 0);
    }

    #[test]
    fn needed_is_the_least_that_passes_for_every_base_and_fraction() {
        for den in 1..=12 {
            for num in 1..=den {
                for strict in [false, true] {
                    let rule = Rule { num, den, strict, base: Base::AllMembers };
                    if rule.checked().is_err() {
                        continue;
                    }
                    for base in 0..120 {
                        let n = rule.needed(base);
                        assert!(rule.passes(n, base), "{rule:?} {base}");
                        assert!(n == 0 || !rule.passes(n - 1, base), "{rule:?} {base}");
                    }
                }
            }
        }
    }

    #[test]
    fn rules_say_themselves() {
        assert_eq!(MAJORITY_OF_ALL.words(), "全体组成人员的过半数");
        assert_eq!(TWO_THIRDS_OF_ALL.words(), "全体组成人员的三分之二以上");
        assert_eq!(HALF_OF_VOTES.words(), "有效票的半数以上");
        assert_eq!(Rule { num: 2, den: 3, strict: true, base: Base::Present }.words(), "超过出席人员的三分之二");
        assert_eq!(MAJORITY_OF_ALL.decision(15, 29), "赞成 15 票，全体组成人员 29 人的过半数为 15 票：通过");
        assert_eq!(MAJORITY_OF_ALL.decision(14, 29), "赞成 14 票，全体组成人员 29 人的过半数为 15 票：未通过");
        assert_eq!(TWO_THIRDS_OF_ALL.decision(19, 29), "赞成 19 票，全体组成人员 29 人的三分之二以上为 20 票：未通过");
        assert_eq!(HALF_OF_VOTES.decision(10, 20), "赞成 10 票，有效票 20 票的半数以上为 10 票：通过");
        assert!(Rule { num: 3, den: 2, strict: false, base: Base::Present }.checked().is_err());
        assert!(Rule { num: 1, den: 1, strict: true, base: Base::Present }.checked().is_err());
        assert!(Rule { num: 0, den: 2, strict: true, base: Base::Present }.checked().is_err());
    }

    #[test]
    fn chinese_numbers() {
        let cases = [(1, "一"), (9, "九"), (10, "十"), (14, "十四"), (20, "二十"), (29, "二十九"), (105, "一百零五")];
        for (n, w) in cases {
            assert_eq!(chinese_number(n), w);
        }
        assert_eq!(chinese_number(1010), "一千零一十");
        assert_eq!(chinese_number(110), "一百一十");
        assert_eq!(fraction_words(2, 3), "三分之二");
        assert_eq!(fraction_words(60, 100), "百分之六十");
    }

    #[test]
    fn shares_round_half_up() {
        assert_eq!(per_mille(2, 3), 667);
        assert_eq!(per_mille(1, 8), 125);
        assert_eq!(per_mille(0, 0), 0);
        assert_eq!(percent(875), "87.5%");
        assert_eq!(percent(1000), "100.0%");
    }
}
