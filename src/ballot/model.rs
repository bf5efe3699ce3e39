//! What a ballot is and what it counted: the ballot with its organ, options in the caller's
//! order, subjects, the electorate's size and turnout, and the tally per subject and option.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::tally::per_mille;
use crate::app::codes::code_enum;
use crate::db;

code_enum! {
    /// Where a ballot is.
    #[derive(schemars::JsonSchema)]
    pub enum State {
        Open = ("open", "投票中"),
        Closed = ("closed", "已结束"),
    }
}

/// One ballot with its organ's path.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Ballot {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    /// Who uses it: `sug_evaluation` (建议办理满意度测评), later a meeting's vote.
    pub kind: String,
    /// The period or record it is about, in the using module's words (a year).
    pub period: String,
    pub title: String,
    /// A secret ballot (无记名投票): votes carry no voter.
    pub secret: bool,
    #[schemars(with = "State")]
    pub state: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub published_at: Option<i64>,
}

impl Ballot {
    pub fn is_open(&self) -> bool {
        self.state == State::Open.as_str()
    }
    pub fn state_label(&self) -> &'static str {
        State::parse(&self.state).map(State::label).unwrap_or("")
    }
}

/// An option voters choose from (满意 …, 赞成 …).
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// What is voted on: a unit (and one aspect of its work), an agenda item.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Subject {
    pub id: i64,
    /// The record it is about (`handling_unit`, later `agenda_item`) and its id.
    pub ref_type: String,
    pub ref_id: i64,
    /// An aspect of it (`attitude`, `measures`, `results`), or empty for the whole.
    pub part: String,
    pub title: String,
}

const COLUMNS: &str = "b.id, b.organ_id, o.path AS organ_path, b.kind, b.period, b.title, b.secret, b.state, \
     b.opened_at, b.closed_at, b.published_at";

pub async fn ballot<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Ballot>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM ballots b JOIN organs o ON o.id = b.organ_id WHERE b.id = $1");
    db::query_one(c, &sql, vec![id.into()]).await
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
}

/// The tally: turnout and the counts of every subject (MTG-5: counted from the stored votes).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Tally {
    pub choices: Vec<Choice>,
    pub electors: i64,
    pub voted: i64,
    /// Those who voted of the electorate, per mille.
    pub turnout: i64,
    pub subjects: Vec<SubjectTally>,
}

pub async fn tally<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Tally, DbErr> {
    let choices = choices(c, ballot).await?;
    let electors =
        db::scalar_i64(c, "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1", vec![ballot.into()]).await?;
    let voted = db::scalar_i64(
        c,
        "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND voted = true",
        vec![ballot.into()],
    )
    .await?;
    let rows = db::query_rows(
        c,
        "SELECT subject_id, option, count(*) FROM ballot_votes WHERE ballot_id = $1 GROUP BY subject_id, option",
        vec![ballot.into()],
    )
    .await?;
    let mut counted: Vec<(i64, String, i64)> = Vec::new();
    for r in rows {
        counted.push((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?));
    }
    let subjects = subjects(c, ballot)
        .await?
        .into_iter()
        .map(|subject| {
            let counts: Vec<i64> = choices
                .iter()
                .map(|ch| {
                    counted.iter().filter(|(s, o, _)| *s == subject.id && *o == ch.code).map(|(_, _, n)| *n).sum()
                })
                .collect();
            let votes: i64 = counts.iter().sum();
            let shares = counts.iter().map(|n| per_mille(*n, votes)).collect();
            SubjectTally { subject, counts, votes, shares }
        })
        .collect();
    Ok(Tally { choices, electors, voted, turnout: per_mille(voted, electors), subjects })
}
