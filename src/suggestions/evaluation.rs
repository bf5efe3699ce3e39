//! The year-end 满意度测评 of the handling units (SUG-10), on the ballot component: staff open
//! one for a year — the subjects are the units that handled that year's suggestions (by their
//! 交办, returned, withdrawn and reassigned ones left out), each as a whole or, with 态度·措施·实效, as three subjects; the
//! electorate is every serving deputy of the congress, only those who signed that year's
//! suggestions, or the 常委会组成人员 (the organ's standing committee in the registry) —, deputies grade each unit 满意 / 基本满意 / 不满意 on one paper, staff close
//! it, the result (per unit counts, 满意率 = 满意 + 基本满意 over the votes, per mille, and the
//! ranking) is published on a public page and exported for 组织部 / 考核办.

use sea_orm::{ConnectionTrait, DbErr};

use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult};
use crate::audit::Actor;
use crate::ballot::model::{Ballot, Tally};
use crate::ballot::service::{self as ballots, NewBallot, NewSubject};
use crate::ballot::tally::per_mille;
use crate::db;
use crate::handling::flow::Grade;

/// `ballots.kind` of a 测评.
pub const KIND: &str = "sug_evaluation";

code_enum! {
    /// Who votes in a 测评.
    pub enum Electorate {
        /// Every serving deputy of the congress.
        All = ("all", "本级全体在任代表"),
        /// The deputies who signed (领衔或联名) that year's suggestions.
        Signers = ("signers", "当年提出建议的代表"),
        /// The members of the organ's standing committee (常委会组成人员, from the registry).
        Standing = ("standing", "常委会组成人员"),
    }
}

code_enum! {
    /// An aspect of a unit's handling (态度·措施·实效), graded apart when asked for.
    pub enum Aspect {
        Attitude = ("attitude", "办理态度"),
        Measures = ("measures", "办理措施"),
        Results = ("results", "办理实效"),
    }
}

/// What staff choose when they open a 测评.
#[derive(Clone, Debug)]
pub struct Opening {
    pub year: i64,
    pub electorate: Electorate,
    pub secret: bool,
    /// 态度·措施·实效 graded apart.
    pub aspects: bool,
}

/// The grades, in order, as the ballot's options.
pub fn options() -> [(&'static str, &'static str); 3] {
    Grade::ALL.map(|g| (g.as_str(), g.label()))
}

/// The units that handled `year`'s suggestions of the organ (by name).
pub async fn units_of_year<C: ConnectionTrait>(c: &C, organ: i64, year: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT DISTINCT u.id, u.name FROM suggestions sg JOIN handling_assignments a ON a.item_id = sg.item_id \
         JOIN handling_units u ON u.id = a.unit_id WHERE sg.organ_id = $1 AND sg.year = $2 \
         AND a.state NOT IN ('returned', 'withdrawn', 'reassigned') \
         ORDER BY u.name, u.id",
        vec![organ.into(), year.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// The electorate of a 测评 (person ids).
pub async fn electors<C: ConnectionTrait>(c: &C, organ: i64, year: i64, who: Electorate) -> Result<Vec<i64>, DbErr> {
    let rows =
        match who {
            Electorate::All => db::query_rows(
                c,
                "SELECT DISTINCT person_id FROM mandates WHERE organ_id = $1 AND status = 'serving' ORDER BY person_id",
                vec![organ.into()],
            )
            .await?,
            Electorate::Signers => {
                db::query_rows(
                    c,
                    "SELECT DISTINCT s.person_id FROM suggestions sg JOIN item_signers s ON s.item_id = sg.item_id \
                 WHERE sg.organ_id = $1 AND sg.year = $2 ORDER BY s.person_id",
                    vec![organ.into(), year.into()],
                )
                .await?
            }
            Electorate::Standing => {
                let path = db::query_rows(c, "SELECT path FROM organs WHERE id = $1", vec![organ.into()]).await?;
                let Some(path) = path.first().map(|r| r.try_get_by_index::<String>(0)).transpose()? else {
                    return Ok(Vec::new());
                };
                let mut ids: Vec<i64> = crate::registry::structure::standing_members(c, &path)
                    .await?
                    .into_iter()
                    .map(|m| m.person_id)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                return Ok(ids);
            }
        };
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// The subjects for these units: each unit whole, or its three aspects.
pub fn subjects(units: &[(i64, String)], aspects: bool) -> Vec<NewSubject> {
    let mut out = Vec::new();
    for (id, name) in units {
        if aspects {
            for a in Aspect::ALL {
                out.push(NewSubject {
                    ref_type: "handling_unit",
                    ref_id: *id,
                    part: a.as_str(),
                    title: format!("{name} · {}", a.label()),
                });
            }
        } else {
            out.push(NewSubject { ref_type: "handling_unit", ref_id: *id, part: "", title: name.clone() });
        }
    }
    out
}

/// Opens the 测评 of `year` for the organ: one per organ and year (409 for a second).
pub async fn open<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ: i64,
    o: &Opening,
    now: i64,
) -> AppResult<i64> {
    if !(2000..=2100).contains(&o.year) {
        return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
    }
    let period = o.year.to_string();
    let exists = db::scalar_i64(
        c,
        "SELECT count(*) FROM ballots WHERE organ_id = $1 AND kind = $2 AND period = $3",
        vec![organ.into(), KIND.into(), period.clone().into()],
    )
    .await?;
    if exists > 0 {
        return Err(AppError::Conflict(format!("{} 年度的满意度测评已经开始过", o.year)));
    }
    let units = units_of_year(c, organ, o.year).await?;
    if units.is_empty() {
        return Err(AppError::invalid("year", format!("{} 年度没有交办给承办单位的建议，无从测评", o.year)));
    }
    let electors = electors(c, organ, o.year, o.electorate).await?;
    if electors.is_empty() {
        return Err(AppError::invalid("electorate", format!("没有{}，无法测评", o.electorate.label())));
    }
    let title = format!("{} 年度代表建议办理满意度测评", o.year);
    let subjects = subjects(&units, o.aspects);
    let new = NewBallot {
        organ_id: organ,
        kind: KIND,
        period: &period,
        title: &title,
        secret: o.secret,
        options: &options(),
        subjects: &subjects,
        electors: &electors,
        ..NewBallot::default()
    };
    ballots::open(c, key, actor, &new, now).await
}

/// One unit's line of the result.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct UnitResult {
    /// 1 for the best; units with the same 满意率 and 满意 count share a rank.
    pub rank: i64,
    pub unit_id: i64,
    pub unit: String,
    /// 满意, 基本满意, 不满意 (summed over the aspects when graded apart).
    pub counts: [i64; 3],
    pub votes: i64,
    /// 满意率: (满意 + 基本满意) / votes, per mille.
    pub rate: i64,
    /// Each aspect's 满意率 (per mille) when graded apart: 态度, 措施, 实效.
    pub aspects: Vec<i64>,
}

/// The result of a 测评 from its tally: a line per unit, ranked.
pub fn results(t: &Tally) -> Vec<UnitResult> {
    let index = |code: &str| t.choices.iter().position(|c| c.code == code);
    let idx = [Grade::Satisfied, Grade::BasicallySatisfied, Grade::Unsatisfied].map(|g| index(g.as_str()));
    let mut out: Vec<UnitResult> = Vec::new();
    for s in &t.subjects {
        let counts = idx.map(|i| i.map(|i| s.counts[i]).unwrap_or(0));
        let row = match out.iter_mut().find(|r| r.unit_id == s.subject.ref_id) {
            Some(r) => r,
            None => {
                let unit = s.subject.title.split(" · ").next().unwrap_or("").to_string();
                out.push(UnitResult {
                    rank: 0,
                    unit_id: s.subject.ref_id,
                    unit,
                    counts: [0; 3],
                    votes: 0,
                    rate: 0,
                    aspects: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        for (sum, n) in row.counts.iter_mut().zip(counts) {
            *sum += n;
        }
        if !s.subject.part.is_empty() {
            row.aspects.push(per_mille(counts[0] + counts[1], counts.iter().sum()));
        }
    }
    for r in &mut out {
        r.votes = r.counts.iter().sum();
        r.rate = per_mille(r.counts[0] + r.counts[1], r.votes);
    }
    out.sort_by(|a, b| b.rate.cmp(&a.rate).then(b.counts[0].cmp(&a.counts[0])).then(a.unit.cmp(&b.unit)));
    for i in 0..out.len() {
        out[i].rank = if i > 0 && out[i].rate == out[i - 1].rate && out[i].counts[0] == out[i - 1].counts[0] {
            out[i - 1].rank
        } else {
            i as i64 + 1
        };
    }
    out
}

/// The organ's closed 测评 of `year` with its tally, if staff have closed one (SUG-12: the
/// annual report then carries its ranking).
pub async fn closed_of_year<C: ConnectionTrait>(
    c: &C,
    crypto: &crate::privacy::FieldCrypto,
    organ: i64,
    year: i64,
) -> Result<Option<(Ballot, Tally)>, DbErr> {
    let id = db::query_rows(
        c,
        "SELECT id FROM ballots WHERE organ_id = $1 AND kind = $2 AND period = $3 AND state = 'closed' ORDER BY id DESC",
        vec![organ.into(), KIND.into(), year.to_string().into()],
    )
    .await?
    .first()
    .map(|r| r.try_get_by_index::<i64>(0))
    .transpose()?;
    let Some(id) = id else { return Ok(None) };
    let Some(b) = crate::ballot::model::ballot(c, id).await? else { return Ok(None) };
    let t = crate::ballot::model::tally(c, crypto, &b).await?;
    Ok(Some((b, t)))
}

/// The 测评 as a table for 组织部 / 考核办: the ranking with counts and rates, and the turnout.
pub fn export_rows(b: &Ballot, t: &Tally) -> (String, Vec<&'static str>, Vec<Vec<crate::export::Cell>>) {
    use crate::export::Cell;
    let aspects = t.subjects.iter().any(|s| !s.subject.part.is_empty());
    let mut headers = vec!["名次", "承办单位", "满意", "基本满意", "不满意", "有效票", "满意率（‰）"];
    if aspects {
        headers.extend(["办理态度满意率（‰）", "办理措施满意率（‰）", "办理实效满意率（‰）"]);
    }
    let mut rows: Vec<Vec<Cell>> = results(t)
        .into_iter()
        .map(|r| {
            let mut row = vec![
                Cell::Int(r.rank),
                Cell::Text(r.unit),
                Cell::Int(r.counts[0]),
                Cell::Int(r.counts[1]),
                Cell::Int(r.counts[2]),
                Cell::Int(r.votes),
                Cell::Int(r.rate),
            ];
            row.extend(r.aspects.into_iter().map(Cell::Int));
            row
        })
        .collect();
    rows.push(vec![
        Cell::Empty,
        Cell::Text(format!("应参加 {} 人，实参加 {} 人，参加率 {}‰", t.electors, t.voted, t.turnout)),
    ]);
    (b.title.clone(), headers, rows)
}
