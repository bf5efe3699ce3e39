//! Counting, in integers only (MTG-3): shares per mille rounded half up, and the rules to pass
//! as data — more than half, two thirds … of the electorate, of those who voted or of the
//! votes cast — decided by cross-multiplication, never by a float (⅔ of 29 is 20 votes).

use serde::Serialize;

/// `part` of `whole` in per mille, rounded half up; 0 of nothing.
pub fn per_mille(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part * 1000 + whole / 2) / whole }
}

/// A per mille figure as the pages show it: `87.5%`.
pub fn percent(per_mille: i64) -> String {
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

/// What a rule counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Every elector (全体组成人员): those absent count against.
    Electorate,
    /// Those who voted.
    Voters,
    /// The votes cast on this subject (every option).
    Votes,
}

/// A rule to pass: the yes votes must be at least (or, `strict`, more than) `num / den` of the
/// base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Rule {
    pub num: i64,
    pub den: i64,
    pub strict: bool,
    pub base: Base,
}

/// 全体组成人员的过半数.
pub const MAJORITY_OF_ALL: Rule = Rule { num: 1, den: 2, strict: true, base: Base::Electorate };
/// 全体组成人员的三分之二以上.
pub const TWO_THIRDS_OF_ALL: Rule = Rule { num: 2, den: 3, strict: false, base: Base::Electorate };

impl Rule {
    /// Whether `yes` votes pass against a base of `base`.
    pub fn passes(self, yes: i64, base: i64) -> bool {
        if self.strict { yes * self.den > base * self.num } else { yes * self.den >= base * self.num }
    }
    /// The fewest yes votes that pass.
    pub fn needed(self, base: i64) -> i64 {
        let floor = base * self.num / self.den;
        if self.strict || floor * self.den == base * self.num { floor + i64::from(self.strict) } else { floor + 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_thirds_of_29_is_20_and_more_than_half_of_30_is_16() {
        assert_eq!(TWO_THIRDS_OF_ALL.needed(29), 20);
        assert!(TWO_THIRDS_OF_ALL.passes(20, 29));
        assert!(!TWO_THIRDS_OF_ALL.passes(19, 29));
        assert_eq!(TWO_THIRDS_OF_ALL.needed(30), 20);
        assert!(TWO_THIRDS_OF_ALL.passes(20, 30));
        assert_eq!(MAJORITY_OF_ALL.needed(30), 16);
        assert!(!MAJORITY_OF_ALL.passes(15, 30));
        assert_eq!(MAJORITY_OF_ALL.needed(29), 15);
        for base in 0..200 {
            for rule in [TWO_THIRDS_OF_ALL, MAJORITY_OF_ALL] {
                let n = rule.needed(base);
                assert!(rule.passes(n, base) && (n == 0 || !rule.passes(n - 1, base)), "{rule:?} {base}");
            }
        }
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
