//! 代表建议 and 议案 as stored: their codes, the numbering series, a suggestion's row with its
//! loop state once registered, its co-signers, and the console list (the loop's scope and
//! filters, `handling::read`, plus this module's own columns).

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::Serialize;

use crate::auth::Principal;
use crate::db;
use crate::handling::flow::State;
use crate::handling::read::{LoopFilter, Scope, bind, loop_conditions, scope_condition};

/// 建议 or 议案 (SUG-1, SUG-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 建议、批评和意见.
    Suggestion,
    /// 议案: needs a 代表团 or enough co-signers, and the presidium's decision.
    Bill,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Suggestion, Kind::Bill];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Suggestion => "suggestion",
            Kind::Bill => "bill",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Suggestion => "建议",
            Kind::Bill => "议案",
        }
    }
}

/// Where a suggestion stands before the loop takes it (and `Registered` once it has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 草稿: the author's own (shared with the co-signers invited).
    Draft,
    /// 征集联名: waiting for the co-signers' confirmation.
    Cosigning,
    /// 已提交: numbered, waiting for staff.
    Submitted,
    /// 审查中: a 议案 before the presidium.
    UnderReview,
    /// 立案: a 议案 the presidium accepted (it goes to the committees, not to the units).
    Accepted,
    /// 已登记: in the handling loop (its state is the loop's).
    Registered,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Draft, Stage::Cosigning, Stage::Submitted, Stage::UnderReview, Stage::Accepted, Stage::Registered];
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Cosigning => "cosigning",
            Stage::Submitted => "submitted",
            Stage::UnderReview => "under_review",
            Stage::Accepted => "accepted",
            Stage::Registered => "registered",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Stage::Draft => "草稿",
            Stage::Cosigning => "征集联名",
            Stage::Submitted => "已提交",
            Stage::UnderReview => "审查中",
            Stage::Accepted => "已立案",
            Stage::Registered => "已登记",
        }
    }
    /// Handed in: staff see it.
    pub fn submitted(self) -> bool {
        !matches!(self, Stage::Draft | Stage::Cosigning)
    }
}

/// Where a suggestion came from (SUG-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 大会期间.
    Session,
    /// 闭会期间.
    Recess,
    /// 接待选民、视察、调研.
    Fieldwork,
    /// 群众意见 (linked).
    Opinions,
}

impl Source {
    pub const ALL: [Source; 4] = [Source::Session, Source::Recess, Source::Fieldwork, Source::Opinions];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Session => "session",
            Source::Recess => "recess",
            Source::Fieldwork => "fieldwork",
            Source::Opinions => "opinions",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::Session => "大会期间",
            Source::Recess => "闭会期间",
            Source::Fieldwork => "接待、视察、调研",
            Source::Opinions => "群众意见",
        }
    }
}

/// The two kinds of numbering series (SUG-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// 人代会: the session's series.
    Session,
    /// 闭会期间: the year's own series.
    Recess,
}

impl SeriesKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesKind::Session => "session",
            SeriesKind::Recess => "recess",
        }
    }
    /// The name a new series of `year` gets.
    pub fn name(self, year: i64) -> String {
        match self {
            SeriesKind::Session => format!("{year}年人民代表大会会议"),
            SeriesKind::Recess => format!("{year}年闭会期间"),
        }
    }
}

/// A 人代会 session's series, or a year's 闭会期间 series (SUG-3).
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Session {
    pub id: i64,
    pub organ_id: i64,
    /// `session|recess`
    pub kind: String,
    pub year: i64,
    pub name: String,
    pub open: bool,
}

pub async fn sessions<C: ConnectionTrait>(c: &C, organ_id: i64) -> Result<Vec<Session>, DbErr> {
    db::query_all(
        c,
        "SELECT id, organ_id, kind, year, name, open FROM suggestion_sessions WHERE organ_id = $1 ORDER BY year DESC, id DESC",
        vec![organ_id.into()],
    )
    .await
}

pub async fn session<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Session>, DbErr> {
    db::query_one(
        c,
        "SELECT id, organ_id, kind, year, name, open FROM suggestion_sessions WHERE id = $1",
        vec![id.into()],
    )
    .await
}

/// A suggestion with its loop item's state (when registered).
#[derive(Clone, Debug, FromQueryResult)]
pub struct Suggestion {
    pub id: i64,
    pub organ_id: i64,
    pub organ_path: String,
    pub session_id: i64,
    pub session_name: String,
    pub kind: String,
    pub stage: String,
    pub number: Option<i64>,
    pub title: String,
    pub problem: String,
    pub analysis: String,
    pub measures: String,
    pub category: String,
    pub source: String,
    pub lead_person_id: i64,
    pub lead_name: String,
    pub item_id: Option<i64>,
    pub key_item: bool,
    pub key_leader: String,
    pub decision_note: String,
    pub year: i64,
    pub carried_from_year: Option<i64>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub state: Option<String>,
    pub deadline: Option<String>,
    pub deadline_at: Option<i64>,
    pub round: Option<i64>,
}

impl Suggestion {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Suggestion)
    }
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.stage).unwrap_or(Stage::Draft)
    }
    pub fn loop_state(&self) -> Option<State> {
        self.state.as_deref().and_then(State::parse)
    }
    /// The API state of SUG "States": the stage before registration, then the loop's state
    /// (`received` is `registered`).
    pub fn api_state(&self) -> &'static str {
        match self.loop_state() {
            Some(State::Received) | None if self.stage() == Stage::Registered => "registered",
            Some(s) => s.as_str(),
            None => self.stage().as_str(),
        }
    }
    pub fn state_label(&self) -> &'static str {
        match self.loop_state() {
            Some(State::Received) => "已登记",
            Some(s) => s.label(),
            None => self.stage().label(),
        }
    }
    /// 第 N 号 within its series, once submitted.
    pub fn number_label(&self) -> String {
        match self.number {
            Some(n) => format!("{}第{n}号", self.session_name),
            None => "未编号".into(),
        }
    }
    pub fn overdue(&self, now: i64) -> bool {
        self.overdue_from().is_some_and(|d| now >= d)
    }
    /// From when it is overdue: its deadline, while units work on it or it is followed.
    pub fn overdue_from(&self) -> Option<i64> {
        self.loop_state().filter(|s| s.with_units() || *s == State::Following).and(self.deadline_at)
    }
}

pub(crate) const SELECT: &str = "SELECT sg.id, sg.organ_id, o.path AS organ_path, sg.session_id, ss.name AS session_name, \
     sg.kind, sg.stage, sg.number, sg.title, sg.problem, sg.analysis, sg.measures, sg.category, sg.source, sg.lead_person_id, \
     p.name AS lead_name, sg.item_id, sg.key_item, sg.key_leader, sg.decision_note, sg.year, sg.carried_from_year, \
     sg.created_at, sg.submitted_at, i.state, i.deadline, i.deadline_at, i.round \
     FROM suggestions sg JOIN organs o ON o.id = sg.organ_id JOIN suggestion_sessions ss ON ss.id = sg.session_id \
     JOIN persons p ON p.id = sg.lead_person_id LEFT JOIN handling_items i ON i.id = sg.item_id";

pub async fn suggestion<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Suggestion>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE sg.id = $1"), vec![id.into()]).await
}

pub async fn by_item<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Option<Suggestion>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE sg.item_id = $1"), vec![item_id.into()]).await
}

/// A co-signer and whether they confirmed.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Cosigner {
    pub person_id: i64,
    pub name: String,
    pub confirmed_at: Option<i64>,
}

pub async fn cosigners<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<Cosigner>, DbErr> {
    db::query_all(
        c,
        "SELECT k.person_id, p.name, k.confirmed_at FROM suggestion_cosigners k JOIN persons p ON p.id = k.person_id \
         WHERE k.suggestion_id = $1 ORDER BY k.id",
        vec![id.into()],
    )
    .await
}

/// Who sees which suggestions in a list.
pub fn scope_of(p: &Principal) -> Scope {
    Scope { station_id: None, ..Scope::of(p) }
}

/// The list's filters: the loop's, then this module's.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub stage: Option<Stage>,
    pub handling: LoopFilter,
    pub year: Option<i64>,
    pub session_id: Option<i64>,
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub key_only: bool,
    pub q: String,
}

/// Who sees which suggestions: the deputies who wrote or signed them (drafts too) and the
/// members of the groups a draft was shared with (会商); organ
/// workers and units those handed in, through the loop's scope once registered.
fn visible(scope: &Scope, values: &mut Vec<Value>) -> String {
    let mut who = Vec::new();
    if let Some(d) = scope.deputy_id {
        let d = bind(d.into(), values);
        who.push(format!(
            "sg.lead_person_id = {d} OR sg.id IN (SELECT suggestion_id FROM suggestion_cosigners WHERE person_id = {d}) \
             OR sg.id IN (SELECT sh.suggestion_id FROM suggestion_shares sh JOIN memberships m ON m.group_id = sh.group_id \
             AND m.kind = 'group' WHERE m.person_id = {d})"
        ));
    }
    if let Some(path) = &scope.organ_path {
        let path = bind(format!("{}%", db::like_escape(path)).into(), values);
        who.push(format!("(o.path LIKE {path} AND sg.stage NOT IN ('draft', 'cosigning'))"));
    }
    if scope.unit_id.is_some() {
        let units = Scope { unit_id: scope.unit_id, ..Scope::default() };
        who.push(format!("(sg.item_id IS NOT NULL AND {})", scope_condition(&units, values)));
    }
    if who.is_empty() { "(1 = 0)".into() } else { format!("({})", who.join(" OR ")) }
}

fn conditions(scope: &Scope, f: &Filter, now: i64, values: &mut Vec<Value>) -> String {
    let mut w = vec![visible(scope, values)];
    if let Some(s) = f.stage {
        w.push(format!("sg.stage = {}", bind(s.as_str().into(), values)));
    }
    loop_conditions(&f.handling, now, values, &mut w);
    if let Some(y) = f.year {
        w.push(format!("sg.year = {}", bind(y.into(), values)));
    }
    if let Some(s) = f.session_id {
        w.push(format!("sg.session_id = {}", bind(s.into(), values)));
    }
    if let Some(c) = &f.category {
        w.push(format!("sg.category = {}", bind(c.clone().into(), values)));
    }
    if let Some(u) = f.unit_id {
        w.push(format!(
            "sg.item_id IN (SELECT item_id FROM handling_assignments WHERE unit_id = {} AND state <> 'returned')",
            bind(u.into(), values)
        ));
    }
    if f.key_only {
        w.push("sg.key_item = true".into());
    }
    for term in f.q.split_whitespace().take(5) {
        let t = bind(format!("%{}%", db::like_escape(term)).into(), values);
        w.push(format!("sg.search_text LIKE {t}"));
    }
    w.join(" AND ")
}

/// A page of the list, by number within the newest series first, and the total.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    f: &Filter,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Suggestion>, i64), DbErr> {
    Ok((page(c, scope, f, now, limit, offset).await?, count(c, scope, f, now).await?))
}

/// The list's order: the newest year, the newest series, by number, the newest first.
const ORDER: &str = "ORDER BY sg.year DESC, sg.session_id DESC, sg.number, sg.id DESC";

/// How many suggestions the list of `f` holds (`suggestions::kept::total` keeps it per node).
pub async fn count<C: ConnectionTrait>(c: &C, scope: &Scope, f: &Filter, now: i64) -> Result<i64, DbErr> {
    let mut values = Vec::new();
    let w = conditions(scope, f, now, &mut values);
    // The loop item only when a condition reads it: SQLite does not drop the unused outer join,
    // and at a million it made a root count 2.8 s instead of 0.5 s (`bench/README.md`).
    let loop_read = scope.unit_id.is_some() || f.handling.state.is_some() || f.handling.overdue || f.handling.flagged;
    let item = if loop_read { "LEFT JOIN handling_items i ON i.id = sg.item_id" } else { "" };
    db::scalar_i64(
        c,
        &format!("SELECT count(*) FROM suggestions sg JOIN organs o ON o.id = sg.organ_id {item} WHERE {w}"),
        values,
    )
    .await
}

/// The rows of the list at `offset` (the API's older paging; `after` reads any page as fast as
/// the first).
pub async fn page<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    f: &Filter,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Suggestion>, DbErr> {
    let mut values = Vec::new();
    let w = conditions(scope, f, now, &mut values);
    let n = values.len();
    values.push(limit.into());
    values.push(offset.into());
    db::query_all(c, &format!("{SELECT} WHERE {w} {ORDER} LIMIT ${} OFFSET ${}", n + 1, n + 2), values).await
}

/// Where a page of the list starts: after this row, in the list's order. Written into the
/// links and the API's `next_cursor` as `year.series.number.id` (`-` for no number yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct After {
    pub year: i64,
    pub session_id: i64,
    pub number: Option<i64>,
    pub id: i64,
}

impl After {
    pub fn of(s: &Suggestion) -> After {
        After { year: s.year, session_id: s.session_id, number: s.number, id: s.id }
    }
    pub fn encode(&self) -> String {
        let number = self.number.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        format!("{}.{}.{number}.{}", self.year, self.session_id, self.id)
    }
    pub fn parse(s: &str) -> Option<After> {
        let mut parts = s.trim().split('.');
        let mut int = || parts.next().and_then(|p| p.parse::<i64>().ok());
        let (year, session_id) = (int()?, int()?);
        let number = match parts.next()? {
            "-" => None,
            n => Some(n.parse::<i64>().ok()?),
        };
        let id = parts.next()?.parse::<i64>().ok()?;
        parts.next().is_none().then_some(After { year, session_id, number, id })
    }
}

/// The rows of the list after `after` (from the start without one): a keyset page, read off the
/// listing index (`m0028`) from where the last page ended, so the thousandth page costs what
/// the first does. The index's order has the year and the series descending and the number
/// ascending, which no single row comparison can seek; the rest of the same series, the older
/// series of the same year and the older years are read one after the other until the page is
/// full — each an index seek.
pub async fn page_after<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    f: &Filter,
    now: i64,
    limit: i64,
    after: Option<&After>,
) -> Result<Vec<Suggestion>, DbErr> {
    let Some(a) = after else {
        return page(c, scope, f, now, limit, 0).await;
    };
    // A number-less row (a draft) sorts first in its series on SQLite and last on PostgreSQL:
    // each backend's own ascending order, as the index has it.
    let nulls_first = c.get_database_backend() != sea_orm::DbBackend::Postgres;
    let mut rows: Vec<Suggestion> = Vec::new();
    for part in 0..3 {
        let mut values = Vec::new();
        let w = conditions(scope, f, now, &mut values);
        let y = bind(a.year.into(), &mut values);
        let rest = match part {
            0 => {
                let s = bind(a.session_id.into(), &mut values);
                let id = bind(a.id.into(), &mut values);
                let within = match (a.number, nulls_first) {
                    (Some(n), true) => {
                        let n = bind(n.into(), &mut values);
                        format!("sg.number >= {n} AND (sg.number > {n} OR sg.id < {id})")
                    }
                    (Some(n), false) => {
                        let n = bind(n.into(), &mut values);
                        format!("((sg.number >= {n} AND (sg.number > {n} OR sg.id < {id})) OR sg.number IS NULL)")
                    }
                    (None, true) => format!("((sg.number IS NULL AND sg.id < {id}) OR sg.number IS NOT NULL)"),
                    (None, false) => format!("sg.number IS NULL AND sg.id < {id}"),
                };
                format!("sg.year = {y} AND sg.session_id = {s} AND {within}")
            }
            1 => format!("sg.year = {y} AND sg.session_id < {}", bind(a.session_id.into(), &mut values)),
            _ => format!("sg.year < {y}"),
        };
        let n = values.len();
        values.push((limit - rows.len() as i64).into());
        rows.extend(
            db::query_all::<_, Suggestion>(
                c,
                &format!("{SELECT} WHERE {w} AND {rest} {ORDER} LIMIT ${}", n + 1),
                values,
            )
            .await?,
        );
        if rows.len() as i64 >= limit {
            break;
        }
    }
    Ok(rows)
}

pub use crate::links::Link;

/// The list's condition over `sg`, `o` and `i`, for other queries of the same suggestions.
pub fn condition(scope: &Scope, f: &Filter, now: i64, values: &mut Vec<Value>) -> String {
    conditions(scope, f, now, values)
}

/// How many suggestions meet `cond`, by API state, and the classes of their latest replies
/// (A, B, C).
pub async fn counts<C: ConnectionTrait>(
    c: &C,
    cond: &str,
    values: Vec<Value>,
) -> Result<(i64, Vec<(String, i64)>, [i64; 3]), DbErr> {
    let from =
        "FROM suggestions sg JOIN organs o ON o.id = sg.organ_id LEFT JOIN handling_items i ON i.id = sg.item_id";
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT CASE WHEN i.state IS NULL THEN sg.stage WHEN i.state = 'received' THEN 'registered' ELSE i.state END AS st, \
             count(*) {from} WHERE {cond} GROUP BY 1 ORDER BY 1"
        ),
        values.clone(),
    )
    .await?;
    let mut by_state = Vec::new();
    let mut total = 0;
    for r in rows {
        let (st, n): (String, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        total += n;
        by_state.push((st, n));
    }
    let classes = db::query_rows(
        c,
        &format!(
            "SELECT r.outcome, count(*) FROM handling_replies r WHERE r.id IN (SELECT max(r2.id) FROM handling_replies r2 \
             WHERE r2.item_id IN (SELECT sg.item_id {from} WHERE {cond}) GROUP BY r2.item_id) GROUP BY r.outcome"
        ),
        values,
    )
    .await?;
    let mut abc = [0i64; 3];
    for r in classes {
        let (o, n): (String, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        match o.as_str() {
            "resolved" => abc[0] += n,
            "in_progress" | "planned" => abc[1] += n,
            _ => abc[2] += n,
        }
    }
    Ok((total, by_state, abc))
}

/// How many suggestions meeting `cond` fall under each value of `key` (a column expression
/// over `sg`, `o`, `i` and the lead `p`), most first.
pub async fn counts_by<C: ConnectionTrait>(
    c: &C,
    key: &str,
    cond: &str,
    values: Vec<Value>,
) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT {key} AS k, count(*) FROM suggestions sg JOIN organs o ON o.id = sg.organ_id \
             JOIN persons p ON p.id = sg.lead_person_id LEFT JOIN handling_items i ON i.id = sg.item_id \
             WHERE {cond} GROUP BY {key} ORDER BY 2 DESC, 1 LIMIT 50"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index::<Option<String>>(0)?.unwrap_or_default(), r.try_get_by_index(1)?)))
        .collect()
}

/// The suggestions assigned to `unit` at work or not, with the role and deadline of its latest
/// assignment, for a 交办通知书 (oldest number first).
#[derive(Clone, Debug, FromQueryResult)]
pub struct Notice {
    pub id: i64,
    pub session_name: String,
    pub number: Option<i64>,
    pub title: String,
    pub lead_name: String,
    pub role: String,
    pub assigned_on: String,
    pub deadline: Option<String>,
    pub assist_deadline: Option<String>,
}

impl Notice {
    pub fn role_label(&self) -> &'static str {
        crate::handling::flow::UnitRole::parse(&self.role).map(|r| r.label()).unwrap_or("")
    }
    pub fn number_label(&self) -> String {
        match self.number {
            Some(n) => format!("{}第{n}号", self.session_name),
            None => "未编号".into(),
        }
    }
}

pub async fn notices<C: ConnectionTrait>(c: &C, unit: i64, on: Option<&str>) -> Result<Vec<Notice>, DbErr> {
    let mut values: Vec<Value> = vec![unit.into()];
    let day = match on {
        Some(d) => {
            values.push(d.into());
            " AND a.assigned_on = $2"
        }
        None => "",
    };
    db::query_all(
        c,
        &format!(
            "SELECT sg.id, ss.name AS session_name, sg.number, sg.title, p.name AS lead_name, a.role, a.assigned_on, \
             i.deadline, a.deadline AS assist_deadline \
             FROM handling_assignments a JOIN suggestions sg ON sg.item_id = a.item_id \
             JOIN suggestion_sessions ss ON ss.id = sg.session_id JOIN persons p ON p.id = sg.lead_person_id \
             JOIN handling_items i ON i.id = a.item_id \
             WHERE a.unit_id = $1 AND a.state <> 'returned'{day} \
             AND a.id = (SELECT max(a2.id) FROM handling_assignments a2 WHERE a2.item_id = a.item_id AND a2.unit_id = a.unit_id) \
             ORDER BY sg.session_id, sg.number LIMIT 1000"
        ),
        values,
    )
    .await
}
