//! SUG-12's numbers, of a year's list or a session's series, over the suggestions a principal
//! sees: totals by state, the A/B/C of the latest replies, 按期答复率, 解决率, the two
//! satisfaction rates, 不满意 and 二次办理; by category, by deputy group (a suggestion counts for
//! every group of its lead deputy; co-signed ones are counted apart, once per group, when the
//! lead is not a member), the unit league table (the loop's `unit_figures`), and the 重点建议.
//! Every rate is an integer per mille, rounded down; `None` where nothing was counted.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::Serialize;

use super::model::{self, Suggestion};
use crate::app::error::{AppError, AppResult};
use crate::app::state::AppState;
use crate::auth::Principal;
use crate::db;
use crate::handling::read::{UnitFigures, bind, unit_figures, unit_outcomes};

/// Which suggestions are counted: a year's list (those carried over into it included), one
/// session's series, or both.
#[derive(Clone, Copy, Debug, Default)]
pub struct Period {
    pub year: Option<i64>,
    pub session: Option<i64>,
}

impl Period {
    /// The period of a query, refused outside the documented ranges.
    pub fn checked(year: Option<i64>, session: Option<i64>) -> AppResult<Period> {
        if year.is_some_and(|y| !(2000..=2100).contains(&y)) {
            return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
        }
        if session.is_some_and(|s| s < 1) {
            return Err(AppError::invalid("session", "会次编号无效"));
        }
        Ok(Period { year, session })
    }
}

/// `n` over `d` in whole per mille (rounded down), `None` when `d` is zero.
pub fn permille(n: i64, d: i64) -> Option<i64> {
    (d > 0).then(|| n * 1000 / d)
}

/// A per-mille figure as the pages print it: 「75.0%」, or 「—」.
pub fn percent(x: impl std::borrow::Borrow<Option<i64>>) -> String {
    match *x.borrow() {
        Some(x) => format!("{}.{}%", x / 10, x % 10),
        None => "—".into(),
    }
}

/// The figures of the suggestions a principal sees (SUG-12).
#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct Stats {
    pub year: Option<i64>,
    /// The session's series counted (`suggestion_sessions.id`), if one was asked.
    pub session: Option<i64>,
    pub total: i64,
    pub by_state: Vec<StateCount>,
    /// By category and by lead deputy (the 50 largest).
    pub by_category: Vec<StateCount>,
    pub by_deputy: Vec<StateCount>,
    pub classes: ClassShares,
    /// 解决率: A-class replies over all answered, in whole per mille (`None` before any reply).
    pub solved_permille: Option<i64>,
    /// The unit league table: ranked by 按期答复率, then 办理满意率, then 答复满意率.
    pub units: Vec<UnitRow>,
    /// Everything counted at once.
    pub overall: Overall,
    /// By category, with the same figures (largest first).
    pub categories: Vec<CategoryRow>,
    /// By deputy group (代表团, 代表小组, 专业代表小组) of the organs the caller sees.
    pub groups: Vec<GroupRow>,
    /// Each 重点建议 with its leader, state and deadline.
    pub key_items: Vec<KeyItem>,
}

/// How many suggestions are in one state.
#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct StateCount {
    pub state: String,
    pub count: i64,
}

#[derive(Clone, Copy, Serialize, schemars::JsonSchema, Default)]
pub struct ClassShares {
    pub a: i64,
    pub b: i64,
    pub c: i64,
}

/// A unit's row of the league table.
#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct UnitRow {
    /// 1 for the best; units with the same 按期答复率 and 办理满意率 share a rank.
    pub rank: i64,
    pub unit_id: i64,
    pub unit: String,
    /// Suggestions given to it as 主办 or 分办.
    pub assigned: i64,
    /// Suggestions it answered.
    pub replied: i64,
    /// … whose first reply came on or before the deadline.
    pub on_time: i64,
    /// 按期答复率: on time over replied, per mille.
    pub on_time_permille: Option<i64>,
    /// The class of its latest reply to each suggestion it answered.
    pub classes: ClassShares,
    /// 解决率: A over replied, per mille.
    pub solved_permille: Option<i64>,
    /// 答复满意度: 满意, 基本满意, 不满意 (each signer's rating of this unit's reply).
    pub reply_ratings: [i64; 3],
    /// 办理结果满意度.
    pub result_ratings: [i64; 3],
    /// 答复满意率 and 办理满意率: 满意 and 基本满意 over all ratings of the aspect, per mille.
    pub reply_satisfied_permille: Option<i64>,
    pub result_satisfied_permille: Option<i64>,
    /// 不满意 ratings of either aspect.
    pub unsatisfied: i64,
    /// Suggestions it handled a second time (二次办理).
    pub rehandled: i64,
}

/// Counts over a set of suggestions.
#[derive(Clone, Debug, Default, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Tally {
    /// Handed in (submitted or later).
    pub received: i64,
    /// Given to one or more units (交办).
    pub assigned: i64,
    /// Answered at least once.
    pub replied: i64,
    /// … whose first reply came on or before the deadline.
    pub on_time: i64,
    /// The class of the latest reply: A, B (正在解决或列入计划), C.
    pub a: i64,
    pub b: i64,
    pub c: i64,
    /// Reopened at least once (二次办理).
    pub rehandled: i64,
    /// 重点建议.
    pub key_items: i64,
    /// Carried over from an earlier year (跨年结转).
    pub carried: i64,
}

impl Tally {
    /// 按期答复率.
    pub fn on_time_permille(&self) -> Option<i64> {
        permille(self.on_time, self.replied)
    }
    /// 解决率 (A over replied).
    pub fn solved_permille(&self) -> Option<i64> {
        permille(self.a, self.replied)
    }
}

/// The whole set: the tally, the units it went to, the ratings and the rates.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Overall {
    #[serde(flatten)]
    pub tally: Tally,
    /// Units that were given one or more of them (主办, 协办 or 分办).
    pub units: i64,
    pub on_time_permille: Option<i64>,
    pub solved_permille: Option<i64>,
    /// A, B and C over replied, per mille.
    pub a_permille: Option<i64>,
    pub b_permille: Option<i64>,
    pub c_permille: Option<i64>,
    /// Every signer's ratings of every unit: 满意, 基本满意, 不满意.
    pub reply_ratings: [i64; 3],
    pub result_ratings: [i64; 3],
    pub reply_satisfied_permille: Option<i64>,
    pub result_satisfied_permille: Option<i64>,
    /// 不满意 ratings of either aspect.
    pub unsatisfied: i64,
    /// Still followed (跟踪办理, B class): they carry over into next year's list.
    pub following: i64,
    /// 重点建议 closed.
    pub key_closed: i64,
}

#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct CategoryRow {
    /// Empty: 未分类.
    pub category: String,
    #[serde(flatten)]
    pub tally: Tally,
    pub on_time_permille: Option<i64>,
    pub solved_permille: Option<i64>,
}

#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct GroupRow {
    pub group_id: i64,
    /// `delegation|area_group|professional_group`
    pub kind: String,
    pub name: String,
    /// Suggestions led by a member (the figures below are of these).
    #[serde(flatten)]
    pub led: Tally,
    /// Suggestions a member co-signed (confirmed) whose lead is not a member: each once.
    pub cosigned: i64,
    pub on_time_permille: Option<i64>,
    pub solved_permille: Option<i64>,
}

/// A 重点建议 (SUG-4): who leads its 督办, where it stands.
#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct KeyItem {
    pub id: i64,
    pub number_label: String,
    pub title: String,
    pub lead: String,
    /// The leader who 领衔督办.
    pub leader: String,
    pub state: String,
    pub state_label: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    /// `A|B|C` of the latest reply.
    pub class: Option<String>,
    /// When it is overdue from (its deadline, while units work on it or it is followed): the
    /// kept figures say `overdue` as of the request.
    #[serde(skip)]
    pub overdue_from: Option<i64>,
}

/// A row of a keyed tally (a category or a group).
#[derive(FromQueryResult)]
struct Keyed {
    id: i64,
    k: String,
    name: String,
    received: i64,
    assigned: i64,
    replied: i64,
    on_time: i64,
    a: i64,
    b: i64,
    c: i64,
    rehandled: i64,
    key_items: i64,
    carried: i64,
}

impl Keyed {
    fn tally(&self) -> Tally {
        Tally {
            received: self.received,
            assigned: self.assigned,
            replied: self.replied,
            on_time: self.on_time,
            a: self.a,
            b: self.b,
            c: self.c,
            rehandled: self.rehandled,
            key_items: self.key_items,
            carried: self.carried,
        }
    }
}

/// The suggestions with their lead `p`, loop item `i`, latest reply `lr` and first reply `fr`.
const FROM: &str = "FROM suggestions sg JOIN organs o ON o.id = sg.organ_id JOIN persons p ON p.id = sg.lead_person_id \
     LEFT JOIN handling_items i ON i.id = sg.item_id \
     LEFT JOIN handling_replies lr ON lr.id = (SELECT max(r.id) FROM handling_replies r WHERE r.item_id = sg.item_id) \
     LEFT JOIN handling_replies fr ON fr.id = (SELECT min(r.id) FROM handling_replies r WHERE r.item_id = sg.item_id)";

/// The columns of a `Tally` over `FROM`.
const TALLY: &str = "coalesce(sum(CASE WHEN sg.stage NOT IN ('draft', 'cosigning') THEN 1 ELSE 0 END), 0) AS received, \
     coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM handling_assignments x WHERE x.item_id = sg.item_id) THEN 1 ELSE 0 END), 0) AS assigned, \
     coalesce(sum(CASE WHEN lr.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS replied, \
     coalesce(sum(CASE WHEN fr.on_time = true THEN 1 ELSE 0 END), 0) AS on_time, \
     coalesce(sum(CASE WHEN lr.outcome = 'resolved' THEN 1 ELSE 0 END), 0) AS a, \
     coalesce(sum(CASE WHEN lr.outcome IN ('in_progress', 'planned') THEN 1 ELSE 0 END), 0) AS b, \
     coalesce(sum(CASE WHEN lr.outcome = 'cannot_resolve' THEN 1 ELSE 0 END), 0) AS c, \
     coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM handling_events e WHERE e.item_id = sg.item_id AND e.step = 'reopen') \
        THEN 1 ELSE 0 END), 0) AS rehandled, \
     coalesce(sum(CASE WHEN sg.key_item = true THEN 1 ELSE 0 END), 0) AS key_items, \
     coalesce(sum(CASE WHEN sg.carried_from_year IS NOT NULL THEN 1 ELSE 0 END), 0) AS carried";

async fn keyed<C: ConnectionTrait>(
    c: &C,
    select: &str,
    join: &str,
    cond: &str,
    tail: &str,
    values: Vec<Value>,
) -> Result<Vec<Keyed>, DbErr> {
    db::query_all(c, &format!("SELECT {select}, {TALLY} {FROM} {join} WHERE {cond} {tail}"), values).await
}

/// The latest reply's class of each of `items` (loop item ids).
pub async fn latest_classes<C: ConnectionTrait>(c: &C, items: &[i64]) -> Result<HashMap<i64, &'static str>, DbErr> {
    let mut out = HashMap::new();
    for chunk in items.chunks(500) {
        let mut values = Vec::new();
        let list: Vec<String> = chunk.iter().map(|i| bind((*i).into(), &mut values)).collect();
        let rows = db::query_rows(
            c,
            &format!(
                "SELECT r.item_id, r.outcome FROM handling_replies r WHERE r.id IN \
                 (SELECT max(r2.id) FROM handling_replies r2 WHERE r2.item_id IN ({}) GROUP BY r2.item_id)",
                list.join(", ")
            ),
            values,
        )
        .await?;
        for r in rows {
            let (item, outcome): (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            if let Some(o) = crate::handling::flow::Outcome::parse(&outcome) {
                out.insert(item, super::class_of(o));
            }
        }
    }
    Ok(out)
}

/// The figures of the suggestions `p` sees in `period`: kept per node while no write changed
/// them (`suggestions::kept`), computed otherwise.
pub async fn figures(s: &AppState, p: &Principal, period: Period) -> AppResult<Stats> {
    let scope = super::model::scope_of(p);
    let key = format!("{scope:?}|{}|{:?}|{:?}", p.organ_path, period.year, period.session);
    let kept = super::kept::stats(s, key, || compute(s, p, period)).await?;
    let mut stats = Stats::clone(&kept);
    let now = db::now();
    for k in &mut stats.key_items {
        k.overdue = k.overdue_from.is_some_and(|d| now >= d);
    }
    Ok(stats)
}

/// The figures of the suggestions `p` sees in `period`, counted now.
pub async fn compute(s: &AppState, p: &Principal, period: Period) -> AppResult<Stats> {
    let c = &s.db;
    let now = db::now();
    let scope = super::model::scope_of(p);
    let f = model::Filter { year: period.year, session_id: period.session, ..Default::default() };
    let mut values = Vec::new();
    let cond = model::condition(&scope, &f, now, &mut values);

    let (total, by_state, classes) = model::counts(c, &cond, values.clone()).await?;
    let named = |v: Vec<(String, i64)>| v.into_iter().map(|(state, count)| StateCount { state, count }).collect();
    let by_category = named(model::counts_by(c, "sg.category", &cond, values.clone()).await?);
    let by_deputy = named(model::counts_by(c, "p.name", &cond, values.clone()).await?);

    // The units: the loop's figures by aspect, and the class of each unit's latest replies.
    let items = format!(
        "i.id IN (SELECT sg.item_id FROM suggestions sg JOIN organs o ON o.id = sg.organ_id \
         LEFT JOIN handling_items i ON i.id = sg.item_id WHERE {cond})"
    );
    let reply = unit_figures(c, super::KIND, &items, values.clone(), "reply").await?;
    let result = unit_figures(c, super::KIND, &items, values.clone(), "result").await?;
    let outcomes = unit_outcomes(c, super::KIND, &items, values.clone()).await?;
    let units = league(&reply, &result, &outcomes);

    // Everything at once.
    let all = keyed(c, "CAST(0 AS BIGINT) AS id, '' AS k, '' AS name", "", &cond, "", values.clone()).await?;
    let tally = all.first().map(Keyed::tally).unwrap_or_default();
    let ratings = db::query_rows(
        c,
        &format!(
            "SELECT g.aspect, g.grade, count(*) FROM handling_ratings g WHERE g.item_id IN (SELECT sg.item_id \
             FROM suggestions sg JOIN organs o ON o.id = sg.organ_id LEFT JOIN handling_items i ON i.id = sg.item_id \
             WHERE {cond}) GROUP BY g.aspect, g.grade"
        ),
        values.clone(),
    )
    .await?;
    let (mut reply_ratings, mut result_ratings) = ([0i64; 3], [0i64; 3]);
    for r in ratings {
        let (aspect, grade, n): (String, String, i64) =
            (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
        let to = match aspect.as_str() {
            "reply" => &mut reply_ratings,
            "result" => &mut result_ratings,
            _ => continue,
        };
        match grade.as_str() {
            "satisfied" => to[0] += n,
            "basically_satisfied" => to[1] += n,
            "unsatisfied" => to[2] += n,
            _ => {}
        }
    }
    let satisfied = |g: [i64; 3]| permille(g[0] + g[1], g[0] + g[1] + g[2]);
    let state_count = |st: &str| by_state.iter().filter(|(s, _)| s == st).map(|(_, n)| n).sum::<i64>();
    let key_items = key_items(s, p, period).await?;
    let overall = Overall {
        units: reply.len() as i64,
        on_time_permille: tally.on_time_permille(),
        solved_permille: tally.solved_permille(),
        a_permille: permille(tally.a, tally.replied),
        b_permille: permille(tally.b, tally.replied),
        c_permille: permille(tally.c, tally.replied),
        reply_satisfied_permille: satisfied(reply_ratings),
        result_satisfied_permille: satisfied(result_ratings),
        unsatisfied: reply_ratings[2] + result_ratings[2],
        reply_ratings,
        result_ratings,
        following: state_count("following"),
        key_closed: key_items.iter().filter(|k| k.state == "closed").count() as i64,
        tally,
    };

    let categories = keyed(
        c,
        "CAST(0 AS BIGINT) AS id, sg.category AS k, sg.category AS name",
        "",
        &cond,
        "GROUP BY sg.category ORDER BY count(*) DESC, sg.category LIMIT 200",
        values.clone(),
    )
    .await?
    .into_iter()
    .map(|r| {
        let tally = r.tally();
        CategoryRow {
            category: r.k,
            on_time_permille: tally.on_time_permille(),
            solved_permille: tally.solved_permille(),
            tally,
        }
    })
    .collect();

    let groups = groups(c, p, &cond, values).await?;
    let answered: i64 = classes.iter().sum();
    Ok(Stats {
        year: period.year,
        session: period.session,
        total,
        by_state: named(by_state),
        by_category,
        by_deputy,
        solved_permille: permille(classes[0], answered),
        classes: ClassShares { a: classes[0], b: classes[1], c: classes[2] },
        units,
        overall,
        categories,
        groups,
        key_items,
    })
}

/// The league table from the loop's per-unit figures (by aspect) and the classes of each unit's
/// latest replies; ranked by 按期答复率, then 办理满意率, then 答复满意率 (units not yet
/// answering last), then name.
fn league(reply: &[UnitFigures], result: &[UnitFigures], outcomes: &[(i64, String, i64)]) -> Vec<UnitRow> {
    let mut rows: Vec<UnitRow> = reply
        .iter()
        .map(|u| {
            let r = result.iter().find(|x| x.unit_id == u.unit_id).cloned().unwrap_or_default();
            let mut classes = ClassShares::default();
            for (_, outcome, n) in outcomes.iter().filter(|(unit, _, _)| *unit == u.unit_id) {
                match outcome.as_str() {
                    "resolved" => classes.a += n,
                    "in_progress" | "planned" => classes.b += n,
                    _ => classes.c += n,
                }
            }
            UnitRow {
                rank: 0,
                unit_id: u.unit_id,
                unit: u.unit.clone(),
                assigned: u.assigned,
                replied: u.replied,
                on_time: u.on_time,
                on_time_permille: u.on_time_permille(),
                solved_permille: permille(classes.a, u.replied),
                classes,
                reply_ratings: [u.satisfied, u.basically, u.unsatisfied],
                result_ratings: [r.satisfied, r.basically, r.unsatisfied],
                reply_satisfied_permille: u.satisfied_permille(),
                result_satisfied_permille: r.satisfied_permille(),
                unsatisfied: u.unsatisfied + r.unsatisfied,
                rehandled: u.rehandled,
            }
        })
        .collect();
    let key = |u: &UnitRow| {
        (
            u.on_time_permille.unwrap_or(-1),
            u.result_satisfied_permille.unwrap_or(-1),
            u.reply_satisfied_permille.unwrap_or(-1),
        )
    };
    rows.sort_by(|x, y| key(y).cmp(&key(x)).then_with(|| x.unit.cmp(&y.unit)));
    let mut rank = 0;
    let mut last = None;
    for (i, u) in rows.iter_mut().enumerate() {
        let k = (u.on_time_permille, u.result_satisfied_permille);
        if last != Some(k) {
            rank = i as i64 + 1;
            last = Some(k);
        }
        u.rank = rank;
    }
    rows
}

/// The groups of the organs `p` sees whose members led or co-signed suggestions of `cond`: a
/// suggestion counts for every group its lead belongs to (a deputy may sit in a 代表团 and a
/// 代表小组); one co-signed by members counts once as `cosigned` in each of their groups the lead
/// is not in.
async fn groups<C: ConnectionTrait>(c: &C, p: &Principal, cond: &str, values: Vec<Value>) -> AppResult<Vec<GroupRow>> {
    let mut led_values = values.clone();
    let path = bind(format!("{}%", db::like_escape(&p.organ_path)).into(), &mut led_values);
    let led = keyed(
        c,
        "g.id AS id, g.kind AS k, g.name AS name",
        &format!(
            "JOIN memberships m ON m.person_id = sg.lead_person_id AND m.kind = 'group' \
             JOIN deputy_groups g ON g.id = m.group_id JOIN organs go ON go.id = g.organ_id AND go.path LIKE {path}"
        ),
        cond,
        "GROUP BY g.id, g.kind, g.name",
        led_values,
    )
    .await?;
    let mut co_values = values;
    let path = bind(format!("{}%", db::like_escape(&p.organ_path)).into(), &mut co_values);
    let cosigned = db::query_rows(
        c,
        &format!(
            "SELECT g.id, g.kind, g.name, count(DISTINCT sg.id) FROM suggestions sg JOIN organs o ON o.id = sg.organ_id \
             LEFT JOIN handling_items i ON i.id = sg.item_id \
             JOIN suggestion_cosigners k ON k.suggestion_id = sg.id AND k.confirmed_at IS NOT NULL \
             JOIN memberships m ON m.person_id = k.person_id AND m.kind = 'group' \
             JOIN deputy_groups g ON g.id = m.group_id JOIN organs go ON go.id = g.organ_id AND go.path LIKE {path} \
             WHERE {cond} AND NOT EXISTS (SELECT 1 FROM memberships m2 WHERE m2.group_id = g.id \
               AND m2.person_id = sg.lead_person_id) \
             GROUP BY g.id, g.kind, g.name"
        ),
        co_values,
    )
    .await?;
    let mut rows: Vec<GroupRow> = led
        .into_iter()
        .map(|r| {
            let led = r.tally();
            GroupRow {
                group_id: r.id,
                kind: r.k,
                name: r.name,
                on_time_permille: led.on_time_permille(),
                solved_permille: led.solved_permille(),
                led,
                cosigned: 0,
            }
        })
        .collect();
    for r in cosigned {
        let (id, kind, name, n): (i64, String, String, i64) =
            (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?, r.try_get_by_index(3)?);
        match rows.iter_mut().find(|g| g.group_id == id) {
            Some(g) => g.cosigned = n,
            None => rows.push(GroupRow {
                group_id: id,
                kind,
                name,
                led: Tally::default(),
                cosigned: n,
                on_time_permille: None,
                solved_permille: None,
            }),
        }
    }
    let kind_order = |k: &str| crate::registry::structure::GROUP_KINDS.iter().position(|(x, _)| *x == k);
    rows.sort_by(|x, y| {
        kind_order(&x.kind)
            .cmp(&kind_order(&y.kind))
            .then(y.led.received.cmp(&x.led.received))
            .then_with(|| x.name.cmp(&y.name))
    });
    rows.truncate(500);
    Ok(rows)
}

/// The label of a group kind.
pub fn group_kind_label(kind: &str) -> &'static str {
    crate::registry::structure::GROUP_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l).unwrap_or("代表小组")
}

/// The 重点建议 of the period `p` sees, by number.
async fn key_items(s: &AppState, p: &Principal, period: Period) -> AppResult<Vec<KeyItem>> {
    let now = db::now();
    let f = model::Filter { year: period.year, session_id: period.session, key_only: true, ..Default::default() };
    let rows = model::page(&s.db, &super::model::scope_of(p), &f, now, 500, 0).await?;
    let items: Vec<i64> = rows.iter().filter_map(|r| r.item_id).collect();
    let classes = latest_classes(&s.db, &items).await?;
    Ok(rows.iter().map(|r| key_item(r, &classes, now)).collect())
}

fn key_item(r: &Suggestion, classes: &HashMap<i64, &'static str>, now: i64) -> KeyItem {
    KeyItem {
        id: r.id,
        number_label: r.number_label(),
        title: r.title.clone(),
        lead: r.lead_name.clone(),
        leader: r.key_leader.clone(),
        state: r.api_state().into(),
        state_label: r.state_label().into(),
        deadline: r.deadline.clone(),
        overdue: r.overdue(now),
        class: r.item_id.and_then(|i| classes.get(&i)).map(|c| c.to_string()),
        overdue_from: r.overdue_from(),
    }
}

/// The series (人代会 sessions, 闭会期间 years) of the organs a principal sees, newest first.
pub async fn sessions<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<model::Session>, DbErr> {
    db::query_all(
        c,
        "SELECT ss.id, ss.organ_id, ss.kind, ss.year, ss.name, ss.open FROM suggestion_sessions ss \
         JOIN organs o ON o.id = ss.organ_id WHERE o.path LIKE $1 ORDER BY ss.year DESC, ss.id DESC LIMIT 200",
        vec![format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, name: &str, replied: i64, on_time: i64, result: [i64; 3]) -> (UnitFigures, UnitFigures) {
        let reply =
            UnitFigures { unit_id: id, unit: name.into(), assigned: replied, replied, on_time, ..Default::default() };
        let res = UnitFigures {
            unit_id: id,
            satisfied: result[0],
            basically: result[1],
            unsatisfied: result[2],
            ..Default::default()
        };
        (reply, res)
    }

    #[test]
    fn the_league_ranks_on_time_then_satisfaction() {
        let rows = [
            unit(1, "甲局", 4, 3, [1, 0, 1]),
            unit(2, "乙局", 4, 4, [0, 0, 1]),
            unit(3, "丙局", 4, 3, [2, 0, 0]),
            unit(4, "丁局", 0, 0, [0, 0, 0]),
            unit(5, "戊局", 4, 3, [1, 0, 1]),
        ];
        let reply: Vec<_> = rows.iter().map(|r| r.0.clone()).collect();
        let result: Vec<_> = rows.iter().map(|r| r.1.clone()).collect();
        let outcomes = vec![(1, "resolved".to_string(), 3), (1, "planned".to_string(), 1)];
        let l = league(&reply, &result, &outcomes);
        let order: Vec<(&str, i64)> = l.iter().map(|u| (u.unit.as_str(), u.rank)).collect();
        assert_eq!(order, [("乙局", 1), ("丙局", 2), ("戊局", 3), ("甲局", 3), ("丁局", 5)]);
        let a = l.iter().find(|u| u.unit_id == 1).unwrap();
        assert_eq!(a.on_time_permille, Some(750));
        assert_eq!(a.result_satisfied_permille, Some(500));
        assert_eq!((a.classes.a, a.classes.b, a.classes.c), (3, 1, 0));
        assert_eq!(a.solved_permille, Some(750));
        assert_eq!(l.iter().find(|u| u.unit_id == 4).unwrap().on_time_permille, None);
    }

    #[test]
    fn rates_in_integers() {
        assert_eq!(permille(2, 3), Some(666));
        assert_eq!(permille(0, 0), None);
        assert_eq!(percent(Some(666)), "66.6%");
        assert_eq!(percent(Some(1000)), "100.0%");
        assert_eq!(percent(None), "—");
    }
}
