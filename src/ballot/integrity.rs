//! MTG-5: every closed ballot's votes and tally are fixed by a digest that the closing audit
//! entry carries — so the chain's keyed hash signs it — and `renda audit verify` recounts every
//! closed ballot from its stored votes and compares. A vote altered, added or removed (or a
//! voter's "voted" flag moved) changes the recount and is reported with the ballot.
//!
//! The digest is `v1:<votes>:<sha256 of the vote records>:<sha256 of the tally>`: the records
//! are every row of the ballot's votes (key, subject, option, score, voter, any sealed text)
//! in key order; the tally is the count per subject, option and score, with the electorate and
//! who voted.

use std::collections::BTreeMap;
use std::fmt;

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest as _, Sha256};

use super::model::{self, Ballot};
use crate::db;

/// What closing fixed: how many vote records, and the two hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub votes: i64,
    pub records: String,
    pub tally: String,
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v1:{}:{}:{}", self.votes, self.records, self.tally)
    }
}

impl Digest {
    pub fn parse(s: &str) -> Option<Digest> {
        let mut it = s.strip_prefix("v1:")?.split(':');
        let votes = it.next()?.parse().ok()?;
        let records = it.next()?.to_string();
        let tally = it.next()?.to_string();
        (records.len() == 64 && tally.len() == 64 && it.next().is_none()).then_some(Digest { votes, records, tally })
    }
}

/// The marker in the closing audit entry's summary.
const MARK: &str = "计票摘要 ";

/// The digest as the closing audit entry carries it.
pub fn signed(d: &Digest) -> String {
    format!("{MARK}{d}")
}

/// The digest a closing audit entry carries, if any.
pub fn from_summary(summary: &str) -> Option<Digest> {
    let rest = &summary[summary.rfind(MARK)? + MARK.len()..];
    Digest::parse(rest.split_whitespace().next()?)
}

/// Recounts a ballot from its stored rows.
pub async fn digest<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Digest, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, subject_id, option, score, voter_id, sealed FROM ballot_votes WHERE ballot_id = $1 ORDER BY id",
        vec![ballot.into()],
    )
    .await?;
    let mut records = Sha256::new();
    let mut counts: BTreeMap<(i64, String, Option<i64>), i64> = BTreeMap::new();
    for r in &rows {
        let (id, subject, option, score, voter, sealed): (i64, i64, String, Option<i64>, Option<i64>, Option<String>) = (
            r.try_get_by_index(0)?,
            r.try_get_by_index(1)?,
            r.try_get_by_index(2)?,
            r.try_get_by_index(3)?,
            r.try_get_by_index(4)?,
            r.try_get_by_index(5)?,
        );
        let line = format!(
            "{id}|{subject}|{option}|{}|{}|{}\n",
            score.map(|s| s.to_string()).unwrap_or_default(),
            voter.map(|v| v.to_string()).unwrap_or_default(),
            sealed.as_deref().unwrap_or("")
        );
        records.update(line.as_bytes());
        let bucket = if sealed.is_some() { "(sealed)".to_string() } else { option };
        *counts.entry((subject, bucket, score)).or_default() += 1;
    }
    let mut tally = Sha256::new();
    for ((subject, option, score), n) in &counts {
        tally.update(
            format!("{subject}|{option}|{}|{n}\n", score.map(|s| s.to_string()).unwrap_or_default()).as_bytes(),
        );
    }
    for (person, voted) in model::electors(c, ballot).await? {
        tally.update(format!("elector|{person}|{voted}\n").as_bytes());
    }
    Ok(Digest {
        votes: rows.len() as i64,
        records: hex::encode(records.finalize()),
        tally: hex::encode(tally.finalize()),
    })
}

/// A closed ballot whose recount does not match what was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub ballot: i64,
    pub title: String,
    pub what: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "投票 #{}「{}」：{}", self.ballot, self.title, self.what)
    }
}

/// What the recount of every closed ballot found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Closed ballots recounted and matching.
    pub checked: i64,
    /// Closed before digests were signed (no summary to compare with).
    pub unsigned: Vec<i64>,
    pub faults: Vec<Fault>,
}

/// What differs between a signed digest and a recount, in words.
pub fn compare(signed: &Digest, now: &Digest) -> Option<String> {
    if signed == now {
        return None;
    }
    Some(if now.votes != signed.votes {
        let (more, n) = if now.votes > signed.votes {
            ("增加", now.votes - signed.votes)
        } else {
            ("删除", signed.votes - now.votes)
        };
        format!("结束时签署 {} 条选票记录，现有 {} 条：有 {n} 条被{more}", signed.votes, now.votes)
    } else if now.records != signed.records && now.tally == signed.tally {
        "选票记录被改动（计票结果未变，但记录与签署的摘要不符）".to_string()
    } else if now.records == signed.records {
        "投票人名单或已投标记被改动（与签署的摘要不符）".to_string()
    } else {
        "选票被改动：重新计票的结果与结束时签署的不符".to_string()
    })
}

/// Recounts every closed ballot and compares with the digest signed when it closed.
pub async fn verify_all<C: ConnectionTrait>(c: &C) -> Result<Report, DbErr> {
    let mut report = Report::default();
    let mut after = 0;
    loop {
        let page = model::closed_after(c, after, 200).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for b in &page {
            check(c, b, &mut report).await?;
        }
    }
    Ok(report)
}

async fn check<C: ConnectionTrait>(c: &C, b: &Ballot, report: &mut Report) -> Result<(), DbErr> {
    let entries = crate::audit::history(c, "ballot", &b.id.to_string()).await?;
    let signed = entries.iter().find(|e| e.action == "ballot_close").and_then(|e| from_summary(&e.summary));
    let Some(signed) = signed else {
        report.unsigned.push(b.id);
        return Ok(());
    };
    let now = digest(c, b.id).await?;
    match compare(&signed, &now) {
        None => report.checked += 1,
        Some(what) => report.faults.push(Fault { ballot: b.id, title: b.title.clone(), what }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_from_its_summary() {
        let d = Digest { votes: 29, records: "a".repeat(64), tally: "b".repeat(64) };
        let summary = format!("结束投票：某议案，应投 29 人；{}", signed(&d));
        assert_eq!(from_summary(&summary), Some(d.clone()));
        assert_eq!(from_summary("结束投票：旧的记录"), None);
        let mut added = d.clone();
        added.votes = 30;
        assert!(compare(&d, &added).unwrap().contains("增加"));
        let mut altered = d.clone();
        altered.records = "c".repeat(64);
        altered.tally = "d".repeat(64);
        assert!(compare(&d, &altered).unwrap().contains("改动"));
        assert_eq!(compare(&d, &d), None);
    }
}
