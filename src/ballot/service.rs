//! The ballot's writes, each in the caller's audited transaction: preparing or opening a ballot
//! (kind of vote, options, subjects, electorate, rule), opening a prepared one, casting one
//! paper (changing it until close where a named ballot allows it), closing — a secret ballot's
//! sealed papers opened and shuffled into plain votes, the digest of every vote and the tally
//! signed into the audit chain — and publishing. Opening, closing and publishing are audited
//! with their figures; a cast only as the fact that the elector voted, never with what.

use rand::Rng;
use rand::seq::SliceRandom;
use sea_orm::{ConnectionTrait, DbErr};

use super::integrity;
use super::model::{self, Ballot, Mark, State, VoteKind};
use super::seal;
use super::tally::Rule;
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::db;
use crate::privacy::FieldCrypto;

/// At most this many subjects, electors and options on one ballot.
pub const MAX_SUBJECTS: usize = 500;
pub const MAX_ELECTORS: usize = 5_000;
pub const MAX_OPTIONS: usize = 20;
/// Scores lie within ±this.
pub const MAX_SCORE: i64 = 1_000;

/// A subject to open a ballot with.
#[derive(Clone, Debug)]
pub struct NewSubject {
    pub ref_type: &'static str,
    pub ref_id: i64,
    pub part: &'static str,
    pub title: String,
}

/// What a using module opens: its organ, its kind and period, the kind of vote, the options in
/// order (code and label; empty: the kind's own), the subjects and the electorate (person ids),
/// and the settings — changes until close, 差额's maximum, a score's range, the rule to pass
/// and what it counts against. `pending`: prepared, opened later with `start`.
pub struct NewBallot<'a> {
    pub organ_id: i64,
    pub kind: &'static str,
    pub period: &'a str,
    pub title: &'a str,
    pub secret: bool,
    pub vote_kind: VoteKind,
    pub options: &'a [(&'static str, &'static str)],
    pub subjects: &'a [NewSubject],
    pub electors: &'a [i64],
    pub changes: bool,
    pub choose_max: Option<i64>,
    pub score_range: Option<(i64, i64)>,
    pub rule: Option<Rule>,
    pub members_total: Option<i64>,
    pub basic_counts: bool,
    pub pending: bool,
}

impl Default for NewBallot<'_> {
    fn default() -> Self {
        NewBallot {
            organ_id: 0,
            kind: "",
            period: "",
            title: "",
            secret: true,
            vote_kind: VoteKind::Rating,
            options: &[],
            subjects: &[],
            electors: &[],
            changes: false,
            choose_max: None,
            score_range: None,
            rule: None,
            members_total: None,
            basic_counts: true,
            pending: false,
        }
    }
}

/// Tells every node that the ballot and its owner's record moved (see `live`).
async fn moved<C: ConnectionTrait>(c: &C, id: i64, kind: &str, period: &str) -> Result<(), DbErr> {
    super::live::notify_all_in(c, &[super::live::ballot_topic(id), super::live::owner_topic(kind, period)]).await
}

/// The topics a ballot's writes move, for `live::poke_after`.
pub fn topics(b: &Ballot) -> Vec<String> {
    vec![super::live::ballot_topic(b.id), super::live::owner_topic(&b.kind, &b.period)]
}

fn change(action: &'static str, b: i64, organ: i64, summary: String) -> Change<'static> {
    Change::audited(action, "ballot", b, summary).in_organ(organ)
}

/// The checks of a new ballot that depend on its kind of vote.
fn check_kind(n: &NewBallot<'_>, options: &[(&str, &str)]) -> AppResult<()> {
    let subjects = n.subjects.len() as i64;
    match n.vote_kind {
        VoteKind::Motion if subjects != 1 => return Err(AppError::invalid("subjects", "表决只针对一个事项")),
        VoteKind::Choose => {
            if subjects < 2 {
                return Err(AppError::invalid("options", "差额选择至少要有两个候选项"));
            }
            match n.choose_max {
                Some(m) if (1..=subjects).contains(&m) => {}
                _ => return Err(AppError::invalid("choose_max", format!("应选数应在 1 到 {subjects} 之间"))),
            }
        }
        VoteKind::Score => match n.score_range {
            Some((lo, hi)) if lo < hi && lo >= -MAX_SCORE && hi <= MAX_SCORE => {}
            _ => return Err(AppError::invalid("score_max", "分数范围应为最低分小于最高分，且在 -1000 到 1000 之间")),
        },
        _ => {}
    }
    if n.vote_kind != VoteKind::Score && (options.is_empty() || options.len() > MAX_OPTIONS) {
        return Err(AppError::invalid("options", "选项应有 1 到 20 个"));
    }
    if n.vote_kind == VoteKind::Rating && options.len() < 2 {
        return Err(AppError::invalid("options", "测评至少要有两个等次"));
    }
    if n.secret && n.changes {
        return Err(AppError::invalid(
            "changes",
            "无记名投票不能允许改票：改票须找到本人原先的票，而无记名投票的票与投票人无从对应",
        ));
    }
    if let Some(r) = n.rule {
        r.checked().map_err(|e| AppError::invalid("rule", e))?;
    }
    if n.members_total.is_some_and(|m| m < 1) {
        return Err(AppError::invalid("members_total", "组成人员数应大于 0"));
    }
    Ok(())
}

/// Opens (or, `pending`, prepares) a ballot; returns its id. Refuses one without subjects,
/// electors or options, or with settings its kind cannot have.
pub async fn open<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, n: &NewBallot<'_>, now: i64) -> AppResult<i64> {
    if n.subjects.is_empty() {
        return Err(AppError::invalid("subjects", "没有可以表决或测评的对象"));
    }
    if n.electors.is_empty() {
        return Err(AppError::invalid("electors", "没有参加投票的人员"));
    }
    if n.subjects.len() > MAX_SUBJECTS || n.electors.len() > MAX_ELECTORS {
        return Err(AppError::invalid("subjects", "表决对象或投票人员过多"));
    }
    let options: &[(&str, &str)] = if n.options.is_empty() { n.vote_kind.options() } else { n.options };
    check_kind(n, options)?;
    let state = if n.pending { State::Pending } else { State::Open };
    let rule = n.rule;
    let id = db::insert_id(
        c,
        "INSERT INTO ballots (organ_id, kind, period, title, secret, state, opened_at, vote_kind, changes, choose_max, \
         score_min, score_max, members_total, rule_base, rule_num, rule_den, rule_strict, basic_counts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        vec![
            n.organ_id.into(),
            n.kind.into(),
            n.period.into(),
            n.title.into(),
            n.secret.into(),
            state.as_str().into(),
            now.into(),
            n.vote_kind.as_str().into(),
            n.changes.into(),
            n.choose_max.into(),
            n.score_range.map(|r| r.0).into(),
            n.score_range.map(|r| r.1).into(),
            n.members_total.into(),
            rule.map(|r| r.base.as_str()).unwrap_or("").into(),
            rule.map(|r| r.num).unwrap_or(0).into(),
            rule.map(|r| r.den).unwrap_or(0).into(),
            rule.is_none_or(|r| r.strict).into(),
            n.basic_counts.into(),
        ],
    )
    .await?;
    if n.secret {
        db::exec(c, "UPDATE ballots SET seal_salt = $1 WHERE id = $2", vec![seal::salt().into(), id.into()]).await?;
    }
    for (i, (code, label)) in options.iter().enumerate() {
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
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::invalid("options", "表决对象或候选项重复")
            } else {
                e.into()
            }
        })?;
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
        "{}{}（{}）：{}（{} 项，{} 人参加{}）",
        if n.pending { "准备" } else { "开始" },
        if n.secret { "无记名投票" } else { "记名投票" },
        n.vote_kind.label(),
        n.title,
        n.subjects.len(),
        electors.len(),
        rule.map(|r| format!("，通过须{}", r.words())).unwrap_or_default()
    );
    change(if n.pending { "ballot_prepare" } else { "ballot_open" }, id, n.organ_id, summary)
        .append(c, key, actor)
        .await?;
    moved(c, id, n.kind, n.period).await?;
    Ok(id)
}

/// Opens a prepared ballot (表决开始). The using module checks first what must hold (a
/// meeting's quorum: `BallotKind::before_open`).
pub async fn start<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, b: &Ballot, now: i64) -> AppResult<()> {
    let n = db::exec(
        c,
        "UPDATE ballots SET state = $1, opened_at = $2 WHERE id = $3 AND state = $4",
        vec![State::Open.as_str().into(), now.into(), b.id.into(), State::Pending.as_str().into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::Conflict(format!("投票{}，不能再开始", b.state_label())));
    }
    change("ballot_open", b.id, b.organ_id, format!("开始投票：{}", b.title)).append(c, key, actor).await?;
    moved(c, b.id, &b.kind, &b.period).await?;
    Ok(())
}

/// Checks a paper against the ballot's kind: each subject of the ballot once, each option one of
/// its own, a 差额 paper at most `choose_max` candidates, a score within the range.
fn check_paper(
    b: &Ballot,
    subjects: &[model::Subject],
    choices: &[model::Choice],
    paper: &[(i64, Mark)],
) -> AppResult<()> {
    let kind = b.vote_kind();
    if paper.is_empty() && kind != VoteKind::Choose {
        return Err(AppError::invalid("votes", "请至少对一项作出选择"));
    }
    let mut seen = Vec::new();
    for (subject, mark) in paper {
        if !subjects.iter().any(|s| s.id == *subject) {
            return Err(AppError::invalid("votes", format!("表决对象（编号 {subject}）不在本次投票中")));
        }
        if seen.contains(subject) {
            return Err(AppError::invalid("votes", format!("表决对象（编号 {subject}）只能选择一次")));
        }
        seen.push(*subject);
        match (kind, mark) {
            (VoteKind::Score, Mark::Score(n)) => {
                let (lo, hi) = (b.score_min.unwrap_or(0), b.score_max.unwrap_or(100));
                if !(lo..=hi).contains(n) {
                    return Err(AppError::invalid("score", format!("分数应在 {lo} 到 {hi} 之间")));
                }
            }
            (VoteKind::Score, Mark::Option(_)) => {
                return Err(AppError::invalid("score", "评议打分请填写分数"));
            }
            (_, Mark::Score(_)) => return Err(AppError::invalid("votes", "本次投票不打分，请选择选项")),
            (_, Mark::Option(code)) => {
                if !choices.iter().any(|ch| ch.code == *code) {
                    let allowed: Vec<&str> = choices.iter().map(|ch| ch.code.as_str()).collect();
                    return Err(AppError::invalid("votes", format!("选项应为 {} 之一", allowed.join("、"))));
                }
            }
        }
    }
    if kind == VoteKind::Choose {
        let max = b.choose_max.unwrap_or(1);
        if paper.len() as i64 > max {
            return Err(AppError::invalid("choices", format!("最多选择 {max} 项，本票选了 {} 项", paper.len())));
        }
    }
    if kind == VoteKind::Motion && paper.len() != 1 {
        return Err(AppError::invalid("choice", "请选择赞成、反对或弃权"));
    }
    Ok(())
}

/// One elector's paper: a mark per subject (subjects left out are not voted on; a 差额 paper
/// may choose none). Only while the ballot is open, only by an elector, once — unless the
/// (named) ballot allows changes until close, when the new paper replaces the old. A secret
/// ballot's paper is sealed whole; the elector's `voted` flag is set in the same transaction.
/// Returns the number of marks.
pub async fn cast<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    b: &Ballot,
    voter: i64,
    paper: &[(i64, Mark)],
) -> AppResult<usize> {
    let sheet = Sheet::read(c, b).await?;
    cast_on(c, key, crypto, actor, &sheet, voter, paper).await
}

/// What a paper is checked against: the ballot with its subjects and options, which never
/// change once it is made — so a vote reads them before its write transaction (`Sheet::read`
/// on the pool), and the part of a vote that writers take turns for holds only its writes.
pub struct Sheet<'a> {
    pub ballot: &'a Ballot,
    pub subjects: Vec<model::Subject>,
    pub choices: Vec<model::Choice>,
}

impl<'a> Sheet<'a> {
    pub async fn read<C: ConnectionTrait>(c: &C, ballot: &'a Ballot) -> Result<Sheet<'a>, DbErr> {
        Ok(Sheet {
            ballot,
            subjects: model::subjects(c, ballot.id).await?,
            choices: model::choices(c, ballot.id).await?,
        })
    }
}

/// `cast` on a sheet read before the transaction. The ballot may have closed since it was
/// read: the elector's flag moves only while the ballot's row says open, in the same statement.
pub async fn cast_on<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    sheet: &Sheet<'_>,
    voter: i64,
    paper: &[(i64, Mark)],
) -> AppResult<usize> {
    let (b, subjects) = (sheet.ballot, &sheet.subjects);
    if !b.is_open() {
        return Err(AppError::Conflict(if b.is_pending() { "投票尚未开始" } else { "投票已结束" }.into()));
    }
    check_paper(b, subjects, &sheet.choices, paper)?;
    // The one paper per elector: the flag moves from false to true once, under the row's lock,
    // and only while the ballot is open.
    let marked = db::exec(
        c,
        "UPDATE ballot_electors SET voted = true WHERE ballot_id = $1 AND person_id = $2 AND voted = false \
         AND EXISTS (SELECT 1 FROM ballots WHERE id = $1 AND state = 'open')",
        vec![b.id.into(), voter.into()],
    )
    .await?;
    let mut changed = false;
    if marked == 0 {
        if !model::ballot(c, b.id).await?.is_some_and(|x| x.is_open()) {
            return Err(AppError::Conflict("投票已结束".into()));
        }
        match model::elector(c, b.id, voter).await? {
            Some(true) if b.changes && !b.secret => {
                db::exec(
                    c,
                    "DELETE FROM ballot_votes WHERE ballot_id = $1 AND voter_id = $2",
                    vec![b.id.into(), voter.into()],
                )
                .await?;
                changed = true;
            }
            Some(true) => return Err(AppError::Conflict("您已经投过票，每人只能投一次".into())),
            _ => return Err(AppError::Forbidden("您不在本次投票的人员名单中".into())),
        }
    }
    if let (Some(salt), Some(first)) = (&b.seal_salt, subjects.first()) {
        let sealer = seal::sealer(crypto, b.id, salt);
        let sealed = seal::seal(&sealer, paper, seal::width(subjects.len()));
        insert_votes(c, b.id, &[(first.id, String::new(), None, Some(sealed))], None).await?;
    } else {
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> = paper.iter().map(|(s, m)| plain(*s, m)).collect();
        let voter_col = if b.secret { None } else { Some(voter) };
        insert_votes(c, b.id, &rows, voter_col).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                AppError::Conflict("您已经投过票，每人只能投一次".into())
            } else {
                e.into()
            }
        })?;
    }
    let summary = format!("{}：{}", if changed { "修改投票" } else { "参加投票" }, b.title);
    change(if changed { "ballot_vote_change" } else { "ballot_vote" }, b.id, b.organ_id, summary)
        .append(c, key, actor)
        .await?;
    moved(c, b.id, &b.kind, &b.period).await?;
    Ok(paper.len())
}

fn plain(subject: i64, m: &Mark) -> (i64, String, Option<i64>, Option<String>) {
    match m {
        Mark::Option(o) => (subject, o.clone(), None, None),
        Mark::Score(n) => (subject, String::new(), Some(*n), None),
    }
}

/// Vote rows under random keys, a few hundred to a statement (a key taken already — one chance
/// in 2^63 per row — fails the write, which the caller may retry).
async fn insert_votes<C: ConnectionTrait>(
    c: &C,
    ballot: i64,
    rows: &[(i64, String, Option<i64>, Option<String>)],
    voter: Option<i64>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO ballot_votes (id, ballot_id, subject_id, option, score, voter_id, sealed) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 7);
        for (i, (subject, option, score, sealed)) in chunk.iter().enumerate() {
            let k = i * 7;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5,
                k + 6,
                k + 7
            ));
            let id: i64 = rand::thread_rng().gen_range(1..i64::MAX);
            values.extend([
                id.into(),
                ballot.into(),
                (*subject).into(),
                option.clone().into(),
                (*score).into(),
                voter.into(),
                sealed.clone().into(),
            ]);
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
        let n = db::exec(c, &sql, values).await?;
        if n != chunk.len() as u64 {
            return Err(DbErr::Custom("选票随机编号冲突，请重试".into()));
        }
    }
    Ok(())
}

/// A secret ballot's sealed papers opened and written out as plain votes, in a random order
/// under fresh random keys, and its salt cleared: from here its votes are countable by anyone
/// with the database, and none carries the time, order or transaction it was cast in.
async fn unseal<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, b: &Ballot) -> AppResult<()> {
    let Some(salt) = &b.seal_salt else { return Ok(()) };
    let sealer = seal::sealer(crypto, b.id, salt);
    let rows = db::query_rows(
        c,
        "SELECT sealed FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NOT NULL",
        vec![b.id.into()],
    )
    .await?;
    let mut votes = Vec::new();
    for r in rows {
        let text: String = r.try_get_by_index(0)?;
        let paper = seal::open(&sealer, &text)
            .map_err(|_| AppError::Internal(format!("投票 {} 有无法解开的密封选票", b.id)))?;
        votes.extend(paper.iter().map(|(s, m)| plain(*s, m)));
    }
    votes.shuffle(&mut rand::thread_rng());
    db::exec(c, "DELETE FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NOT NULL", vec![b.id.into()]).await?;
    insert_votes(c, b.id, &votes, None).await?;
    db::exec(c, "UPDATE ballots SET seal_salt = NULL WHERE id = $1", vec![b.id.into()]).await?;
    Ok(())
}

/// Closes an open ballot (表决结束); the tally is then final. `present`: the members present
/// now (a meeting's), the base of a rule on those present. A secret ballot's papers are opened;
/// the digest of every vote record and of the tally is stored and signed into the audit chain
/// with the figures (MTG-5; `renda audit verify` recounts it).
pub async fn close<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    b: &Ballot,
    present: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let n = db::exec(
        c,
        "UPDATE ballots SET state = $1, closed_at = $2, present_total = $3 WHERE id = $4 AND state = $5",
        vec![State::Closed.as_str().into(), now.into(), present.into(), b.id.into(), State::Open.as_str().into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::Conflict(if b.is_pending() { "投票尚未开始，不能结束" } else { "投票已经结束" }.into()));
    }
    unseal(c, crypto, b).await?;
    let b = model::ballot(c, b.id).await?.ok_or(AppError::NotFound)?;
    let t = model::tally(c, crypto, &b).await?;
    let digest = integrity::digest(c, b.id).await?;
    db::exec(c, "UPDATE ballots SET digest = $1 WHERE id = $2", vec![digest.to_string().into(), b.id.into()]).await?;
    let figures: Vec<String> = t
        .subjects
        .iter()
        .take(50)
        .map(|s| match &s.scores {
            Some(f) => {
                format!("{} {} 人打分，平均 {}.{} 分", s.subject.title, f.count, f.mean_tenths / 10, f.mean_tenths % 10)
            }
            None => {
                let parts: Vec<String> =
                    t.choices.iter().zip(&s.counts).map(|(ch, n)| format!("{}{n}", ch.label)).collect();
                format!("{} {}", s.subject.title, parts.join("/"))
            }
        })
        .collect();
    let summary = format!(
        "结束投票：{}，应投 {} 人，实投 {} 人，未按 {} 人；{}；{}",
        b.title,
        t.electors,
        t.voted,
        t.not_voted,
        figures.join("；"),
        integrity::signed(&digest)
    );
    change("ballot_close", b.id, b.organ_id, summary).append(c, key, actor).await?;
    moved(c, b.id, &b.kind, &b.period).await?;
    Ok(())
}

/// Publishes a closed ballot's result (公布): the counts, never who voted on a secret ballot.
pub async fn publish<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, b: &Ballot, now: i64) -> AppResult<()> {
    if !b.is_closed() {
        return Err(AppError::Conflict("投票结束后才能公布结果".into()));
    }
    if b.published_at.is_some() {
        return Err(AppError::Conflict("结果已经公布".into()));
    }
    db::exec(c, "UPDATE ballots SET published_at = $1 WHERE id = $2", vec![now.into(), b.id.into()]).await?;
    change("ballot_publish", b.id, b.organ_id, format!("公布结果：{}", b.title)).append(c, key, actor).await?;
    moved(c, b.id, &b.kind, &b.period).await?;
    Ok(())
}
