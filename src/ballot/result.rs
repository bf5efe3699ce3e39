//! What a tally decides (MTG-3): per subject the votes in favour, the base the rule counts
//! against, the fewest that pass and whether they did — in words too, so the page says which
//! rule decided —; a 差额 ballot's candidates ranked by votes in favour, the rule applied to
//! each and the first `choose_max` of those that pass chosen (a tie across the cut decides
//! nobody at the tie: it goes to another round); a 测评's 满意率 as the organ counts it; a score
//! ballot's mean.

use serde::Serialize;

use super::model::{Ballot, Scores, Tally, VoteKind};
use super::tally::{Base, Rule, per_mille};

/// One option's count on a subject.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OptionCount {
    pub code: String,
    pub label: String,
    pub count: i64,
}

/// What one subject (a motion, a candidate, a unit) got and whether it passed.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SubjectResult {
    pub subject_id: i64,
    pub title: String,
    pub counts: Vec<OptionCount>,
    /// Valid votes on it (赞成 + 反对 + 弃权; a score: the scores given).
    pub votes: i64,
    /// The votes in favour: 赞成 (a 差额 ballot: chosen), or for a 测评 满意 (+ 基本满意 where the
    /// organ counts it).
    pub yes: Option<i64>,
    /// A 测评's 满意率, per mille of its votes.
    pub rate: Option<i64>,
    pub scores: Option<Scores>,
    /// The figure the rule counts against, and the fewest votes in favour that pass.
    pub base: Option<i64>,
    pub needed: Option<i64>,
    pub passed: Option<bool>,
    /// 「赞成 15 票，全体组成人员 29 人的过半数为 15 票：通过」.
    pub decision: String,
    /// A 差额 candidate's place by votes in favour (equal votes share a place).
    pub rank: Option<i64>,
    /// A 差额 candidate chosen: passed, and within the first `choose_max` without a tie across
    /// the cut.
    pub chosen: Option<bool>,
}

/// The outcome of a ballot's tally.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub rule: Option<Rule>,
    /// The rule in words: 「全体组成人员的过半数」 (empty without a rule).
    pub rule_text: String,
    pub electors: i64,
    pub voted: i64,
    pub not_voted: i64,
    pub members_total: i64,
    pub present: Option<i64>,
    pub subjects: Vec<SubjectResult>,
    /// A motion: passed or not; a ballot of several subjects: every subject passed.
    pub passed: Option<bool>,
    /// What decided, in words.
    pub decided_by: String,
    /// A 差额 ballot whose cut falls within a tie (those tied need another round).
    pub tie: bool,
}

/// The base of `rule` for one subject of `b`.
fn base_of(rule: Rule, b: &Ballot, t: &Tally, votes: i64) -> i64 {
    match rule.base {
        Base::AllMembers => b.members_total.unwrap_or(t.electors),
        // Without the meeting's attendance, those present are those who voted.
        Base::Present => b.present_total.unwrap_or(t.voted),
        Base::ValidVotes if b.vote_kind() == VoteKind::Choose => t.voted,
        Base::ValidVotes => votes,
    }
}

pub fn outcome(b: &Ballot, t: &Tally) -> Outcome {
    let kind = b.vote_kind();
    let rule = b.rule();
    let index = |code: &str| t.choices.iter().position(|c| c.code == code);
    let mut subjects: Vec<SubjectResult> = t
        .subjects
        .iter()
        .map(|s| {
            let count = |code: &str| index(code).map(|i| s.counts[i]).unwrap_or(0);
            let (yes, rate) = match kind {
                VoteKind::Motion | VoteKind::Choose => (Some(count("yes")), None),
                VoteKind::Rating => {
                    let y = count("satisfied") + if b.basic_counts { count("basically_satisfied") } else { 0 };
                    (Some(y), Some(per_mille(y, s.votes)))
                }
                VoteKind::Score => (None, None),
            };
            let (base, needed, passed, decision) = match (rule, yes) {
                (Some(r), Some(y)) => {
                    let base = base_of(r, b, t, s.votes);
                    (Some(base), Some(r.needed(base)), Some(r.passes(y, base)), r.decision(y, base))
                }
                _ => (None, None, None, String::new()),
            };
            SubjectResult {
                subject_id: s.subject.id,
                title: s.subject.title.clone(),
                counts: t
                    .choices
                    .iter()
                    .zip(&s.counts)
                    .map(|(c, n)| OptionCount { code: c.code.clone(), label: c.label.clone(), count: *n })
                    .collect(),
                votes: s.votes,
                yes,
                rate,
                scores: s.scores.clone(),
                base,
                needed,
                passed,
                decision,
                rank: None,
                chosen: None,
            }
        })
        .collect();
    let mut tie = false;
    let mut decided_by = String::new();
    if kind == VoteKind::Choose {
        let max = b.choose_max.unwrap_or(1) as usize;
        subjects.sort_by(|a, b| b.yes.cmp(&a.yes).then(a.subject_id.cmp(&b.subject_id)));
        for i in 0..subjects.len() {
            subjects[i].rank = Some(if i > 0 && subjects[i].yes == subjects[i - 1].yes {
                subjects[i - 1].rank.unwrap_or(1)
            } else {
                i as i64 + 1
            });
        }
        // The candidates that pass, in order; the first `max` are chosen unless the cut splits a tie.
        let passing: Vec<usize> = (0..subjects.len()).filter(|i| subjects[*i].passed != Some(false)).collect();
        let cut_yes = passing.get(max).map(|i| subjects[*i].yes);
        for (k, i) in passing.iter().enumerate() {
            let tied_at_cut = cut_yes == Some(subjects[*i].yes);
            if k < max && tied_at_cut {
                tie = true;
            }
            subjects[*i].chosen = Some(k < max && !tied_at_cut);
        }
        for s in subjects.iter_mut().filter(|s| s.chosen.is_none()) {
            s.chosen = Some(false);
        }
        decided_by = format!(
            "按赞成票多少排序，{}取前 {max} 名{}",
            rule.map(|r| format!("赞成票须达到{}，", r.words())).unwrap_or_default(),
            if tie { "；末位票数相同，并列者须另行投票" } else { "" }
        );
    } else if let Some(r) = rule {
        decided_by = match subjects.as_slice() {
            [one] => one.decision.clone(),
            _ => format!("每项须达到{}", r.words()),
        };
    }
    let passed = match kind {
        VoteKind::Choose | VoteKind::Score => None,
        _ if rule.is_none() => None,
        _ => Some(subjects.iter().all(|s| s.passed == Some(true))),
    };
    Outcome {
        rule,
        rule_text: rule.map(|r| r.words()).unwrap_or_default(),
        electors: t.electors,
        voted: t.voted,
        not_voted: t.not_voted,
        members_total: b.members_total.unwrap_or(t.electors),
        present: b.present_total,
        subjects,
        passed,
        decided_by,
        tie,
    }
}
