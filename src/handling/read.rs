//! The loop's read kit, one for every kind: who sees which items in a list (`Scope`, as one SQL
//! condition over `handling_items i` and its organ `o`), the loop's own filters (state,
//! overdue, flagged), and the per-unit figures of a kind (`unit_figures`). A module joins its
//! own table to `handling_items i` and adds its own columns' conditions.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

use super::flow::State;
use crate::db;

/// Who sees which items in a console list: the principal's reach (`auth::Reach`).
pub type Scope = crate::auth::Reach;

/// Appends `v` to the statement's values; its placeholder.
pub fn bind(v: Value, values: &mut Vec<Value>) -> String {
    values.push(v);
    format!("${}", values.len())
}

/// The items a scope sees, as one parenthesised SQL condition over `i` (the item) and `o` (its
/// organ); `(1 = 0)` for an empty scope. Its values are appended to `values`.
pub fn scope_condition(scope: &Scope, values: &mut Vec<Value>) -> String {
    let mut who: Vec<String> = Vec::new();
    if let Some(path) = &scope.organ_path {
        who.push(format!("o.path LIKE {}", bind(format!("{}%", db::like_escape(path)).into(), values)));
    }
    if let Some(u) = scope.unit_id {
        who.push(format!(
            "i.id IN (SELECT item_id FROM handling_assignments WHERE unit_id = {} AND state <> 'returned')",
            bind(u.into(), values)
        ));
    }
    if let Some(d) = scope.deputy_id {
        // The deputy's rule (docs/ARCHITECTURE.md, "What a deputy sees"): with them now (raised
        // with them, entered by them, or handed to them last), signed by them, followed by them
        // (督办首发工单), handed to them or on from them before (转交代表), or come through a
        // station they are registered at. `authz::decide` rules the item page by the same facts
        // (`handling::facts`: the item's deputy, its signers, and `model::watchers`).
        let d = bind(d.into(), values);
        who.push(format!(
            "i.deputy_id = {d} OR i.id IN (SELECT item_id FROM item_signers WHERE person_id = {d}) \
             OR i.id IN (SELECT item_id FROM item_followers WHERE person_id = {d}) \
             OR i.id IN (SELECT item_id FROM item_handovers WHERE person_id = {d} OR previous_id = {d}) \
             OR i.station_id IN (SELECT station_id FROM station_deputies WHERE person_id = {d})"
        ));
    }
    if let Some(st) = scope.station_id {
        who.push(format!("i.station_id = {}", bind(st.into(), values)));
    }
    if who.is_empty() { "(1 = 0)".into() } else { format!("({})", who.join(" OR ")) }
}

/// The loop's own filters of a list.
#[derive(Clone, Debug, Default)]
pub struct LoopFilter {
    pub state: Option<State>,
    /// 超期: units at work past the deadline.
    pub overdue: bool,
    /// 挂牌督办.
    pub flagged: bool,
}

/// The conditions of `f` over `i`, appended to `w`.
pub fn loop_conditions(f: &LoopFilter, now: i64, values: &mut Vec<Value>, w: &mut Vec<String>) {
    if let Some(s) = f.state {
        w.push(format!("i.state = {}", bind(s.as_str().into(), values)));
    }
    if f.overdue {
        w.push(format!(
            "i.state IN ('assigned', 'in_progress', 'rehandling', 'following') AND i.deadline_at <= {}",
            bind(now.into(), values)
        ));
    }
    if f.flagged {
        w.push("i.flagged = true".into());
    }
}

/// One unit's figures over a kind's items (SUG-12's league table; OPN-16's per-unit rows).
#[derive(Clone, Debug, Default, FromQueryResult)]
pub struct UnitFigures {
    pub unit_id: i64,
    pub unit: String,
    /// Items assigned to it as 主办 or 分办 (each counted once; not those taken back or moved
    /// to another unit by staff, 撤回 and 改派).
    pub assigned: i64,
    /// Items it answered (a reply in any round).
    pub replied: i64,
    /// … of which its first reply was on time.
    pub on_time: i64,
    /// Ratings of it (by aspect, where the kind rates aspects): 满意, 基本满意, 不满意.
    pub satisfied: i64,
    pub basically: i64,
    pub unsatisfied: i64,
    /// Items it handled a second time (二次办理).
    pub rehandled: i64,
}

impl UnitFigures {
    /// 按期答复率 in whole per mille (integers; the page prints it as a percentage).
    pub fn on_time_permille(&self) -> Option<i64> {
        (self.replied > 0).then(|| self.on_time * 1000 / self.replied)
    }
    /// 满意率 (满意 + 基本满意 over all ratings) in per mille.
    pub fn satisfied_permille(&self) -> Option<i64> {
        let all = self.satisfied + self.basically + self.unsatisfied;
        (all > 0).then(|| (self.satisfied + self.basically) * 1000 / all)
    }
}

/// The per-unit figures of the items of `kind` whose condition `items` (over `i`, with its
/// values) holds; `aspect` picks the ratings counted ("overall", "reply", "result"). Units
/// without any assignment are left out.
pub async fn unit_figures<C: ConnectionTrait>(
    c: &C,
    kind: &str,
    items: &str,
    values: Vec<Value>,
    aspect: &str,
) -> Result<Vec<UnitFigures>, DbErr> {
    Ok(unit_figures_rated(c, kind, items, values, &[aspect]).await?.pop().unwrap_or_default())
}

/// `unit_figures` with the ratings of each of `aspects`: one list per aspect, in that order.
/// One grouped pass over each table (assignments, replies, ratings of every aspect) rather than
/// a count per unit and figure, which took seconds at 100,000 items (`bench/README.md`,
/// suggestions).
pub async fn unit_figures_rated<C: ConnectionTrait>(
    c: &C,
    kind: &str,
    items: &str,
    values: Vec<Value>,
    aspects: &[&str],
) -> Result<Vec<Vec<UnitFigures>>, DbErr> {
    let its = |values: &mut Vec<Value>| {
        let k = bind(kind.into(), values);
        format!("SELECT i.id FROM handling_items i JOIN organs o ON o.id = i.organ_id WHERE i.kind = {k} AND {items}")
    };
    let mut v = values.clone();
    let sql = format!(
        "SELECT x.unit_id, u.name, \
         count(DISTINCT CASE WHEN x.role <> 'assist' AND x.state NOT IN ('withdrawn', 'reassigned') THEN x.item_id END), \
         count(DISTINCT CASE WHEN x.round > 1 AND EXISTS (SELECT 1 FROM handling_events e WHERE e.item_id = x.item_id \
            AND e.round = x.round AND e.step = 'reopen') THEN x.item_id END) \
         FROM handling_assignments x JOIN handling_units u ON u.id = x.unit_id \
         WHERE x.item_id IN ({}) GROUP BY x.unit_id, u.name ORDER BY u.name, x.unit_id",
        its(&mut v)
    );
    let mut base: Vec<UnitFigures> = Vec::new();
    let mut at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for r in db::query_rows(c, &sql, v).await? {
        at.insert(r.try_get_by_index(0)?, base.len());
        base.push(UnitFigures {
            unit_id: r.try_get_by_index(0)?,
            unit: r.try_get_by_index(1)?,
            assigned: r.try_get_by_index(2)?,
            rehandled: r.try_get_by_index(3)?,
            ..UnitFigures::default()
        });
    }
    // Each unit's first reply to each item: how many items it answered, how many of those on time.
    let mut v = values.clone();
    let sql = format!(
        "SELECT r.unit_id, count(*), sum(CASE WHEN r.on_time = true THEN 1 ELSE 0 END) FROM handling_replies r \
         WHERE r.id IN (SELECT min(r2.id) FROM handling_replies r2 WHERE r2.item_id IN ({}) \
         GROUP BY r2.item_id, r2.unit_id) GROUP BY r.unit_id",
        its(&mut v)
    );
    for r in db::query_rows(c, &sql, v).await? {
        if let Some(u) = at.get(&r.try_get_by_index(0)?).map(|k| &mut base[*k]) {
            u.replied = r.try_get_by_index(1)?;
            u.on_time = r.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0);
        }
    }
    let mut out = vec![base; aspects.len()];
    let mut v = values;
    let list: Vec<String> = aspects.iter().map(|a| bind((*a).into(), &mut v)).collect();
    let sql = format!(
        "SELECT g.unit_id, g.aspect, sum(CASE WHEN g.grade = 'satisfied' THEN 1 ELSE 0 END), \
         sum(CASE WHEN g.grade = 'basically_satisfied' THEN 1 ELSE 0 END), \
         sum(CASE WHEN g.grade = 'unsatisfied' THEN 1 ELSE 0 END) \
         FROM handling_ratings g WHERE g.aspect IN ({}) AND g.unit_id IS NOT NULL AND g.item_id IN ({}) \
         GROUP BY g.unit_id, g.aspect",
        if list.is_empty() { "NULL".to_string() } else { list.join(", ") },
        its(&mut v)
    );
    for r in db::query_rows(c, &sql, v).await? {
        let aspect: String = r.try_get_by_index(1)?;
        let (Some(k), Some(a)) = (at.get(&r.try_get_by_index(0)?), aspects.iter().position(|x| *x == aspect)) else {
            continue;
        };
        let u = &mut out[a][*k];
        u.satisfied = r.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0);
        u.basically = r.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0);
        u.unsatisfied = r.try_get_by_index::<Option<i64>>(4)?.unwrap_or(0);
    }
    Ok(out)
}

/// The result of each unit's latest reply to each item of `kind` whose condition `items` holds
/// (the A/B/C of a league table): (unit, outcome, how many items).
pub async fn unit_outcomes<C: ConnectionTrait>(
    c: &C,
    kind: &str,
    items: &str,
    mut values: Vec<Value>,
) -> Result<Vec<(i64, String, i64)>, DbErr> {
    let k = bind(kind.into(), &mut values);
    let sql = format!(
        "WITH its AS (SELECT i.id FROM handling_items i JOIN organs o ON o.id = i.organ_id WHERE i.kind = {k} AND {items}) \
         SELECT r.unit_id, r.outcome, count(*) FROM handling_replies r WHERE r.id IN (SELECT max(r2.id) \
         FROM handling_replies r2 WHERE r2.item_id IN (SELECT id FROM its) GROUP BY r2.item_id, r2.unit_id) \
         GROUP BY r.unit_id, r.outcome"
    );
    db::query_rows(c, &sql, values)
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?)))
        .collect()
}
