//! What a ballot is and what it counted: the ballot with its organ, kind of vote, rule and
//! settings, options in the caller's order, subjects, the electorate's size and turnout, and
//! the tally per subject and option (a score ballot: count, sum, lowest, highest, mean) —
//! counted from the stored votes, a secret ballot's sealed papers opened in memory while it is
//! open.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::seal;
use super::tally::{Base, Rule, per_mille};
use crate::app::codes::code_enum;
use crate::db;
use crate::privacy::FieldCrypto;

code_enum! {
    /// Where a ballot is.
    #[derive(schemars::JsonSchema)]
    pub enum State {
        /// Prepared, not yet open (a meeting's ballot waits for its moment and its quorum).
        Pending = ("pending", "未开始"),
        Open = ("open", "投票中"),
        Closed = ("closed", "已结束"),
    }
}

code_enum! {
    /// What kind of vote a ballot takes (MTG-3).
    #[derive(schemars::JsonSchema)]
    pub enum VoteKind {
        /// 表决: 赞成 / 反对 / 弃权 on one motion.
        Motion = ("motion", "表决"),
        /// 差额选择: choose at most N of the candidates.
        Choose = ("choose", "差额选择"),
        /// 满意度测评: 满意 / 基本满意 / 不满意 on each subject.
        Rating = ("rating", "满意度测评"),
        /// 评议打分: a score in a range on each subject.
        Score = ("score", "评议打分"),
    }
}

/// 赞成 / 反对 / 弃权, the options of a motion.
pub const MOTION_OPTIONS: &[(&str, &str)] = &[("yes", "赞成"), ("no", "反对"), ("abstain", "弃权")];
/// 选择, the one mark of a 差额 paper: a candidate chosen.
pub const CHOOSE_OPTIONS: &[(&str, &str)] = &[("yes", "赞成")];
/// 满意 / 基本满意 / 不满意.
pub const RATING_OPTIONS: &[(&str, &str)] =
    &[("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("unsatisfied", "不满意")];

impl VoteKind {
    /// The options a ballot of this kind has (a score ballot has none: it takes numbers).
    pub fn options(self) -> &'static [(&'static str, &'static str)] {
        match self {
            VoteKind::Motion => MOTION_OPTIONS,
            VoteKind::Choose => CHOOSE_OPTIONS,
            VoteKind::Rating => RATING_OPTIONS,
            VoteKind::Score => &[],
        }
    }
}

/// One ballot with its organ's path.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Ballot {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    /// Who uses it: `sug_evaluation` (建议办理满意度测评), `meeting` (a meeting's vote).
    pub kind: String,
    /// The period or record it is about, in the using module's words (a year, a meeting's id).
    pub period: String,
    pub title: String,
    /// A secret ballot (无记名投票): votes carry no voter.
    pub secret: bool,
    #[schemars(with = "State")]
    pub state: String,
    /// When it opened (while pending: when it was prepared).
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub published_at: Option<i64>,
    /// The kind of vote: `motion|choose|rating|score`.
    #[schemars(with = "VoteKind")]
    pub vote_kind: String,
    /// A voter may change their vote until it closes (named ballots only).
    pub changes: bool,
    /// 差额: at most this many candidates on one paper.
    pub choose_max: Option<i64>,
    /// 评议打分: the lowest and highest score.
    pub score_min: Option<i64>,
    pub score_max: Option<i64>,
    /// The members the base `all_members` counts (for a 测评 without it: the electorate).
    pub members_total: Option<i64>,
    /// The members present when it closed (the base `present`).
    pub present_total: Option<i64>,
    #[serde(skip)]
    pub rule_base: String,
    #[serde(skip)]
    pub rule_num: i64,
    #[serde(skip)]
    pub rule_den: i64,
    #[serde(skip)]
    pub rule_strict: bool,
    /// 基本满意 counts in the 满意率 (a 测评).
    pub basic_counts: bool,
    /// The sealing salt of an open secret ballot; cleared when it closes.
    #[serde(skip)]
    pub seal_salt: Option<String>,
    /// Once closed: the SHA-256 of every vote record and of the tally, as signed into the
    /// audit chain.
    pub digest: Option<String>,
}

impl Ballot {
    pub fn is_open(&self) -> bool {
        self.state == State::Open.as_str()
    }
    pub fn is_pending(&self) -> bool {
        self.state == State::Pending.as_str()
    }
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed.as_str()
    }
    pub fn state_label(&self) -> &'static str {
        State::parse(&self.state).map(State::label).unwrap_or("")
    }
    pub fn vote_kind(&self) -> VoteKind {
        VoteKind::parse(&self.vote_kind).unwrap_or(VoteKind::Rating)
    }
    /// The rule to pass, if the ballot has one.
    pub fn rule(&self) -> Option<Rule> {
        let base = Base::parse(&self.rule_base)?;
        (self.rule_den > 0).then_some(Rule { base, num: self.rule_num, den: self.rule_den, strict: self.rule_strict })
    }
    /// Its votes are sealed papers until it closes.
    pub fn sealed(&self) -> bool {
        self.seal_salt.is_some()
    }
}

/// An option voters choose from (满意 …, 赞成 …).
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// What is voted on: a unit (and one aspect of its work), a motion, a candidate.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Subject {
    pub id: i64,
    /// The record it is about (`handling_unit`, `agenda_item`, `candidate`) and its id.
    pub ref_type: String,
    pub ref_id: i64,
    /// An aspect of it (`attitude`, `measures`, `results`), or empty for the whole.
    pub part: String,
    pub title: String,
}

const COLUMNS: &str = "b.id, b.organ_id, o.path AS organ_path, b.kind, b.period, b.title, b.secret, b.state, \
     b.opened_at, b.closed_at, b.published_at, b.vote_kind, b.changes, b.choose_max, b.score_min, b.score_max, \
     b.members_total, b.present_total, b.rule_base, b.rule_num, b.rule_den, b.rule_strict, b.basic_counts, \
     b.seal_salt, b.digest";

pub async fn ballot<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Ballot>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.id = $1");
    db::query_one(c, &sql, vec![id.into()]).await
}

/// The ballots of `kind` about `period` (a meeting's), in the order they were made.
pub async fn of_period<C: ConnectionTrait>(c: &C, kind: &str, period: &str) -> Result<Vec<Ballot>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.kind = $1 AND b.period = $2 \
         ORDER BY b.id LIMIT 500"
    );
    db::query_all(c, &sql, vec![kind.into(), period.into()]).await
}

/// The ballots of `kind` of the organ at `organ_path` and its subtree, newest first.
pub async fn of_kind<C: ConnectionTrait>(c: &C, kind: &str, organ_path: &str) -> Result<Vec<Ballot>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.kind = $1 AND o.path LIKE $2 \
         ORDER BY b.period DESC, b.id DESC LIMIT 200"
    );
    db::query_all(c, &sql, vec![kind.into(), format!("{}%", db::like_escape(organ_path)).into()]).await
}

/// The published ballots of `kind`, newest first (the public page).
pub async fn published<C: ConnectionTrait>(c: &C, kind: &str) -> Result<Vec<Ballot>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.kind = $1 \
         AND b.published_at IS NOT NULL ORDER BY b.period DESC, b.id DESC LIMIT 100"
    );
    db::query_all(c, &sql, vec![kind.into()]).await
}

/// The closed ballots, oldest first, from id `after` on (the integrity check walks them all).
pub async fn closed_after<C: ConnectionTrait>(c: &C, after: i64, limit: i64) -> Result<Vec<Ballot>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.state = 'closed' AND b.id > $1 \
         ORDER BY b.id LIMIT $2"
    );
    db::query_all(c, &sql, vec![after.into(), limit.into()]).await
}

/// The ballots (of `kind`, or all) where `person` is an elector, with whether they voted,
/// newest first.
pub async fn for_elector<C: ConnectionTrait>(
    c: &C,
    kind: Option<&str>,
    person: i64,
) -> Result<Vec<(Ballot, bool)>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id \
         JOIN ballot_electors e ON e.ballot_id = b.id WHERE e.person_id = $1 AND ($2 = '' OR b.kind = $2) \
         ORDER BY b.opened_at DESC, b.id DESC LIMIT 100"
    );
    let ballots: Vec<Ballot> = db::query_all(c, &sql, vec![person.into(), kind.unwrap_or("").into()]).await?;
    let mut out = Vec::new();
    for b in ballots {
        let voted = elector(c, b.id, person).await? == Some(true);
        out.push((b, voted));
    }
    Ok(out)
}

pub async fn choices<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Vec<Choice>, DbErr> {
    db::query_all(c, "SELECT code, label FROM ballot_options WHERE ballot_id = $1 ORDER BY sort", vec![ballot.into()])
        .await
}

pub async fn subjects<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Vec<Subject>, DbErr> {
    db::query_all(
        c,
        "SELECT id, ref_type, ref_id, part, title FROM ballot_subjects WHERE ballot_id = $1 ORDER BY sort, id",
        vec![ballot.into()],
    )
    .await
}

/// `None` when `person` is not an elector of the ballot; else whether they voted.
pub async fn elector<C: ConnectionTrait>(c: &C, ballot: i64, person: i64) -> Result<Option<bool>, DbErr> {
    Ok(db::query_rows(
        c,
        "SELECT voted FROM ballot_electors WHERE ballot_id = $1 AND person_id = $2",
        vec![ballot.into(), person.into()],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<bool>(0).ok()))
}

/// The electorate (person ids), in id order.
pub async fn electors<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Vec<(i64, bool)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT person_id, voted FROM ballot_electors WHERE ballot_id = $1 ORDER BY person_id",
        vec![ballot.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// The figures of a score subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Scores {
    pub count: i64,
    pub sum: i64,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The mean in tenths of a point, rounded half up (`853` is 85.3).
    pub mean_tenths: i64,
}

/// The counts of one subject.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SubjectTally {
    pub subject: Subject,
    /// Votes per option, in the ballot's order of options.
    pub counts: Vec<i64>,
    /// Votes cast on this subject.
    pub votes: i64,
    /// Each option's share of the votes, per mille (rounded half up).
    pub shares: Vec<i64>,
    /// A score ballot's figures.
    pub scores: Option<Scores>,
}

/// The tally: turnout and the counts of every subject (MTG-5: counted from the stored votes).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Tally {
    pub choices: Vec<Choice>,
    pub electors: i64,
    pub voted: i64,
    /// Those entitled who did not vote (未按).
    pub not_voted: i64,
    /// Those who voted of the electorate, per mille.
    pub turnout: i64,
    /// A motion's 赞成, 反对 and 弃权 (absent for other kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abstain: Option<i64>,
    pub subjects: Vec<SubjectTally>,
}

pub use super::seal::Mark;

/// The stored votes as (subject, option, score) triples counted: plain rows grouped in SQL,
/// sealed papers opened here.
async fn counted<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    b: &Ballot,
) -> Result<Vec<(i64, String, Option<i64>, i64)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT subject_id, option, score, count(*) FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NULL \
         GROUP BY subject_id, option, score",
        vec![b.id.into()],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?, r.try_get_by_index(3)?));
    }
    if let Some(salt) = &b.seal_salt {
        let sealer = seal::sealer(crypto, b.id, salt);
        let papers = db::query_rows(
            c,
            "SELECT sealed FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NOT NULL",
            vec![b.id.into()],
        )
        .await?;
        for r in papers {
            let text: String = r.try_get_by_index(0)?;
            let paper =
                seal::open(&sealer, &text).map_err(|_| DbErr::Custom(format!("投票 {} 的密封选票无法解开", b.id)))?;
            for (subject, mark) in paper {
                let (option, score) = match mark {
                    Mark::Option(o) => (o, None),
                    Mark::Score(n) => (String::new(), Some(n)),
                };
                out.push((subject, option, score, 1));
            }
        }
    }
    Ok(out)
}

pub async fn tally<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, b: &Ballot) -> Result<Tally, DbErr> {
    let choices = choices(c, b.id).await?;
    let electors =
        db::scalar_i64(c, "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1", vec![b.id.into()]).await?;
    let voted = db::scalar_i64(
        c,
        "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND voted = true",
        vec![b.id.into()],
    )
    .await?;
    let counted = counted(c, crypto, b).await?;
    let score_ballot = b.vote_kind() == VoteKind::Score;
    let subjects = subjects(c, b.id)
        .await?
        .into_iter()
        .map(|subject| {
            let mine = || counted.iter().filter(|(s, ..)| *s == subject.id);
            let counts: Vec<i64> =
                choices.iter().map(|ch| mine().filter(|(_, o, ..)| *o == ch.code).map(|(.., n)| *n).sum()).collect();
            let scores = score_ballot.then(|| {
                let mut f = Scores::default();
                for (_, _, score, n) in mine() {
                    if let Some(v) = score {
                        f.count += n;
                        f.sum += v * n;
                        f.min = Some(f.min.map_or(*v, |m| m.min(*v)));
                        f.max = Some(f.max.map_or(*v, |m| m.max(*v)));
                    }
                }
                f.mean_tenths = if f.count > 0 { (f.sum * 10 * 2 + f.count) / (2 * f.count) } else { 0 };
                f
            });
            let votes = match &scores {
                Some(f) => f.count,
                None => counts.iter().sum(),
            };
            let shares = counts.iter().map(|n| per_mille(*n, votes)).collect();
            SubjectTally { subject, counts, votes, shares, scores }
        })
        .collect::<Vec<SubjectTally>>();
    let motion = |code: &str| -> Option<i64> {
        let i = choices.iter().position(|c| c.code == code)?;
        (b.vote_kind() == VoteKind::Motion).then(|| subjects.first().map(|s| s.counts[i]).unwrap_or(0))
    };
    Ok(Tally {
        yes: motion("yes"),
        no: motion("no"),
        abstain: motion("abstain"),
        choices,
        electors,
        voted,
        not_voted: electors - voted,
        turnout: per_mille(voted, electors),
        subjects,
    })
}

/// One named vote: who voted how on a subject (a named ballot only; the using module names
/// the person).
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct NamedVote {
    pub person_id: i64,
    pub subject_id: i64,
    /// The option's code (empty for a score).
    pub option: String,
    pub score: Option<i64>,
}

/// Who voted how, for a named ballot (empty for a secret one: its votes carry no voter).
pub async fn named_votes<C: ConnectionTrait>(c: &C, b: &Ballot) -> Result<Vec<NamedVote>, DbErr> {
    if b.secret {
        return Ok(Vec::new());
    }
    db::query_all(
        c,
        "SELECT voter_id AS person_id, subject_id, option, score FROM ballot_votes \
         WHERE ballot_id = $1 AND voter_id IS NOT NULL ORDER BY voter_id, subject_id",
        vec![b.id.into()],
    )
    .await
}
