//! The ballot's writes, each in the caller's audited transaction: opening (options, subjects and
//! electorate given by the using module), casting one paper, closing, publishing. Opening,
//! closing and publishing are audited with their figures; a cast is audited as the fact that
//! the elector voted, never with what they chose.

use rand::Rng;
use sea_orm::{ConnectionTrait, DbErr};

use super::model::{Ballot, State};
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::db;

/// At most this many subjects, electors and options on one ballot.
pub const MAX_SUBJECTS: usize = 500;
pub const MAX_ELECTORS: usize = 5_000;
pub const MAX_OPTIONS: usize = 20;

/// A subject to open a ballot with.
#[derive(Clone, Debug)]
pub struct NewSubject {
    pub ref_type: &'static str,
    pub ref_id: i64,
    pub part: &'static str,
    pub title: String,
}

/// What a using module opens: its organ, its kind and period, the options in order (code and
/// label: a `code_enum!`'s `ALL`), the subjects and the electorate (person ids).
pub struct NewBallot<'a> {
    pub organ_id: i64,
    pub kind: &'static str,
    pub period: &'a str,
    pub title: &'a str,
    pub secret: bool,
    pub options: &'a [(&'static str, &'static str)],
    pub subjects: &'a [NewSubject],
    pub electors: &'a [i64],
}

fn change(action: &'static str, b: i64, organ: i64, summary: String) -> Change<'static> {
    Change::audited(action, "ballot", b, summary).in_organ(organ)
}

/// Opens a ballot; returns its id. Refuses one without subjects, electors or options.
pub async fn open<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, n: &NewBallot<'_>, now: i64) -> AppResult<i64> {
    if n.subjects.is_empty() {
        return Err(AppError::invalid("subjects", "没有可以表决或测评的对象"));
    }
    if n.electors.is_empty() {
        return Err(AppError::invalid("electors", "没有参加投票的人员"));
    }
    if n.options.len() < 2 || n.options.len() > MAX_OPTIONS {
        return Err(AppError::invalid("options", "选项应有 2 到 20 个"));
    }
    if n.subjects.len() > MAX_SUBJECTS || n.electors.len() > MAX_ELECTORS {
        return Err(AppError::invalid("subjects", "表决对象或投票人员过多"));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO ballots (organ_id, kind, period, title, secret, state, opened_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)",
        vec![
            n.organ_id.into(),
            n.kind.into(),
            n.period.into(),
            n.title.into(),
            n.secret.into(),
            now.into(),
        ],
    )
    .await?;
    for (i, (code, label)) in n.options.iter().enumerate() {
        db::exec(
            c,
            "INSERT INTO ballot_options (ballot_id, code, label, sort) VALUES ($1, $2, $3, $4)",
            vec![id.into(), (*code).into(), (*label).into(), (i as i64).into()],
        )
        .await?;
    }
    for (i, s) in n.subjects.iter().enumerate() {
        db::exec(
            c,
            "INSERT INTO ballot_subjects (ballot_id, ref_type, ref_id, part, title, sort) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![id.into(), s.ref_type.into(), s.ref_id.into(), s.part.into(), s.title.clone().into(), (i as i64).into()],
        )
        .await?;
    }
    let mut electors = n.electors.to_vec();
    electors.sort_unstable();
    electors.dedup();
    for p in &electors {
        db::exec(
            c,
            "INSERT INTO ballot_electors (ballot_id, person_id, voted) VALUES ($1, $2, false)",
            vec![id.into(), (*p).into()],
        )
        .await?;
    }
    let summary = format!(
        "开始{}：{}（{} 项，{} 人参加）",
        if n.secret { "无记名投票" } else { "记名投票" },
        n.title,
        n.subjects.len(),
        electors.len()
    );
    change("ballot_open", id, n.organ_id, summary).append(c, key, actor).await?;
    Ok(id)
}

/// One elector's paper: an option per subject (subjects left out are not voted on). Only while
/// the ballot is open, only by an elector, once: a second paper is refused (409). A secret
/// ballot's votes are written without the voter, with random keys; the elector's `voted` flag
/// is set in the same transaction.
pub async fn cast<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    b: &Ballot,
    voter: i64,
    votes: &[(i64, String)],
) -> AppResult<usize> {
    if !b.is_open() {
        return Err(AppError::Conflict("投票已结束".into()));
    }
    if votes.is_empty() {
        return Err(AppError::invalid("votes", "请至少对一项作出选择"));
    }
    let subjects = super::model::subjects(c, b.id).await?;
    let choices = super::model::choices(c, b.id).await?;
    let mut seen = Vec::new();
    for (subject, option) in votes {
        if !subjects.iter().any(|s| s.id == *subject) {
            return Err(AppError::invalid("votes", format!("表决对象（编号 {subject}）不在本次投票中")));
        }
        if !choices.iter().any(|ch| ch.code == *option) {
            let allowed: Vec<&str> = choices.iter().map(|ch| ch.code.as_str()).collect();
            return Err(AppError::invalid("votes", format!("选项应为 {} 之一", allowed.join("、"))));
        }
        if seen.contains(subject) {
            return Err(AppError::invalid("votes", format!("表决对象（编号 {subject}）只能选择一次")));
        }
        seen.push(*subject);
    }
    // The one paper per elector: the flag moves from false to true once.
    let marked = db::exec(
        c,
        "UPDATE ballot_electors SET voted = true WHERE ballot_id = $1 AND person_id = $2 AND voted = false",
        vec![b.id.into(), voter.into()],
    )
    .await?;
    if marked == 0 {
        return Err(match super::model::elector(c, b.id, voter).await? {
            Some(true) => AppError::Conflict("您已经投过票，每人只能投一次".into()),
            _ => AppError::Forbidden("您不在本次投票的人员名单中".into()),
        });
    }
    let voter_col: Option<i64> = if b.secret { None } else { Some(voter) };
    for (subject, option) in votes {
        insert_vote(c, b.id, *subject, option, voter_col).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::Conflict("您已经投过票，每人只能投一次".into())
            } else {
                e.into()
            }
        })?;
    }
    let summary = format!("参加投票：{}", b.title);
    change("ballot_vote", b.id, b.organ_id, summary).append(c, key, actor).await?;
    Ok(votes.len())
}

/// A vote row under a random key (tried again on the rare collision).
async fn insert_vote<C: ConnectionTrait>(
    c: &C,
    ballot: i64,
    subject: i64,
    option: &str,
    voter: Option<i64>,
) -> Result<(), DbErr> {
    loop {
        let id: i64 = rand::thread_rng().gen_range(1..i64::MAX);
        let n = db::exec(
            c,
            "INSERT INTO ballot_votes (id, ballot_id, subject_id, option, voter_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
            vec![id.into(), ballot.into(), subject.into(), option.into(), voter.into()],
        )
        .await?;
        if n == 1 {
            return Ok(());
        }
    }
}

/// Closes an open ballot (表决结束); the tally is then final. Audited with its figures.
pub async fn close<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, b: &Ballot, now: i64) -> AppResult<()> {
    let n = db::exec(
        c,
        "UPDATE ballots SET state = $1, closed_at = $2 WHERE id = $3 AND state = $4",
        vec![State::Closed.as_str().into(), now.into(), b.id.into(), State::Open.as_str().into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::Conflict("投票已经结束".into()));
    }
    let t = super::model::tally(c, b.id).await?;
    let figures: Vec<String> = t
        .subjects
        .iter()
        .take(50)
        .map(|s| {
            let parts: Vec<String> =
                t.choices.iter().zip(&s.counts).map(|(ch, n)| format!("{}{n}", ch.label)).collect();
            format!("{} {}", s.subject.title, parts.join("/"))
        })
        .collect();
    let summary = format!("结束投票：{}，应投 {} 人，实投 {} 人；{}", b.title, t.electors, t.voted, figures.join("；"));
    change("ballot_close", b.id, b.organ_id, summary).append(c, key, actor).await?;
    Ok(())
}

/// Publishes a closed ballot's result (公布): the counts, never who voted.
pub async fn publish<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, b: &Ballot, now: i64) -> AppResult<()> {
    if b.is_open() {
        return Err(AppError::Conflict("投票结束后才能公布结果".into()));
    }
    if b.published_at.is_some() {
        return Err(AppError::Conflict("结果已经公布".into()));
    }
    db::exec(c, "UPDATE ballots SET published_at = $1 WHERE id = $2", vec![now.into(), b.id.into()]).await?;
    change("ballot_publish", b.id, b.organ_id, format!("公布结果：{}", b.title)).append(c, key, actor).await?;
    Ok(())
}
