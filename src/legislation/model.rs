//! What the 立法 tables hold and how they are read: drafts, their versions (readings) and the
//! nodes of each, opinions with their source, stage, article and disposition, and the tasks of
//! the targeted consultation — with the typed codes each column takes.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::Serialize;

use super::parse::{Flat, Kind};
use crate::app::codes::code_enum;
use crate::db;

code_enum! {
    /// Whose draft it is in this installation.
    #[derive(schemars::JsonSchema)]
    pub enum Side {
        /// This organ drafts it and runs the consultation.
        Own = ("own", "本级立法"),
        /// An upper congress sent it to this organ (a 基层立法联系点) for opinions.
        Consulted = ("consulted", "上级征求意见"),
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum DraftState {
        Active = ("active", "进行中"),
        Passed = ("passed", "已通过"),
        Closed = ("closed", "已终止"),
    }
}

code_enum! {
    parse: labels;
    /// The stage of the legislative process an opinion was given in (the seeds count per stage).
    #[derive(schemars::JsonSchema)]
    pub enum Stage {
        Initiation = ("initiation", "立项"),
        Drafting = ("drafting", "起草"),
        FirstReading = ("first_reading", "一审"),
        SecondReading = ("second_reading", "二审"),
        Hearing = ("hearing", "听证/论证"),
        BeforeVote = ("before_vote", "表决前"),
    }
}

code_enum! {
    parse: labels;
    /// Where an opinion came from.
    #[derive(schemars::JsonSchema)]
    pub enum Source {
        Public = ("public", "社会公众"),
        ContactPoint = ("contact_point", "基层立法联系点"),
        Expert = ("expert", "专家学者"),
        Department = ("department", "部门和单位"),
        Deputy = ("deputy", "人大代表"),
    }
}

code_enum! {
    parse: labels;
    /// What became of an opinion.
    #[derive(schemars::JsonSchema)]
    pub enum Disposition {
        Adopted = ("adopted", "采纳"),
        Partly = ("partly", "部分采纳"),
        Rejected = ("rejected", "未采纳"),
        FurtherStudy = ("further_study", "另行研究"),
    }
}

impl Disposition {
    /// Counted as adopted in the figures (采纳 and 部分采纳).
    pub fn adopted(self) -> bool {
        matches!(self, Disposition::Adopted | Disposition::Partly)
    }
    pub fn colour(self) -> &'static str {
        match self {
            Disposition::Adopted => "green",
            Disposition::Partly => "blue",
            Disposition::Rejected => "grey",
            Disposition::FurtherStudy => "amber",
        }
    }
}

code_enum! {
    /// Whether a public comment is shown and counted.
    #[derive(schemars::JsonSchema)]
    pub enum Moderation {
        Ok = ("ok", "已收录"),
        /// Held for review (the word list); shown and counted once released.
        Held = ("held", "待审核"),
        /// Not taken (abuse, nothing to do with the draft): neither shown nor counted.
        Removed = ("removed", "不予收录"),
    }
}

code_enum! {
    /// Who a task of the targeted consultation goes to.
    #[derive(schemars::JsonSchema)]
    pub enum Target {
        /// A department or lower government (a handling unit; its account answers).
        Unit = ("unit", "部门和单位"),
        /// A 基层立法联系点 (a station of that type; its keeper answers).
        Station = ("station", "基层立法联系点"),
        /// A deputy (their account answers).
        Deputy = ("deputy", "人大代表"),
        /// An expert of the pools (staff enter the answer on their behalf).
        Expert = ("expert", "专家学者"),
    }
}

impl Target {
    /// The source its answers are counted under.
    pub fn source(self) -> Source {
        match self {
            Target::Unit => Source::Department,
            Target::Station => Source::ContactPoint,
            Target::Deputy => Source::Deputy,
            Target::Expert => Source::Expert,
        }
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum TaskState {
        Open = ("open", "待反馈"),
        Answered = ("answered", "已反馈"),
    }
}

code_enum! {
    parse: labels;
    /// The two expert pools.
    #[derive(schemars::JsonSchema)]
    pub enum Pool {
        Advisor = ("advisor", "立法专家顾问"),
        ThinkTank = ("think_tank", "咨询智库"),
    }
}

// ------------------------------------------------------------------ drafts and versions

/// A draft with its organ and a few counts.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Draft {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub organ_name: String,
    pub title: String,
    pub side: String,
    pub origin: String,
    pub state: String,
    pub created_at: i64,
    pub versions: i64,
    pub opinions: i64,
    pub latest_version_id: Option<i64>,
}

impl Draft {
    pub fn side(&self) -> Side {
        Side::parse(&self.side).unwrap_or(Side::Own)
    }
    pub fn state(&self) -> DraftState {
        DraftState::parse(&self.state).unwrap_or(DraftState::Active)
    }
}

const DRAFT_SELECT: &str = "SELECT d.id, d.organ_id, o.path AS organ_path, o.name AS organ_name, d.title, d.side, \
     d.origin, d.state, d.created_at, \
     (SELECT count(*) FROM leg_versions v WHERE v.draft_id = d.id) AS versions, \
     (SELECT count(*) FROM leg_opinions x WHERE x.draft_id = d.id AND x.sent = true AND x.moderation <> 'removed') AS opinions, \
     (SELECT max(v.id) FROM leg_versions v WHERE v.draft_id = d.id) AS latest_version_id \
     FROM leg_drafts d JOIN organs o ON o.id = d.organ_id";

pub async fn draft<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Draft>, DbErr> {
    db::query_one(c, &format!("{DRAFT_SELECT} WHERE d.id = $1"), vec![id.into()]).await
}

/// The drafts of an organ subtree, newest first.
pub async fn drafts<C: ConnectionTrait>(c: &C, organ_path: &str, limit: i64) -> Result<Vec<Draft>, DbErr> {
    db::query_all(
        c,
        &format!("{DRAFT_SELECT} WHERE o.path LIKE $1 ORDER BY d.id DESC LIMIT $2"),
        vec![format!("{}%", db::like_escape(organ_path)).into(), limit.into()],
    )
    .await
}

/// A version (reading) of a draft.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Version {
    pub id: i64,
    pub draft_id: i64,
    pub seq: i64,
    pub label: String,
    pub stage: String,
    pub title: String,
    pub enacting: String,
    pub toc_lines: i64,
    pub source: String,
    pub file_name: String,
    pub articles: i64,
    /// The parser's issues the staff member accepted, one a line.
    pub issues: String,
    pub open_from: Option<String>,
    pub open_until: Option<String>,
    pub published_at: Option<i64>,
    pub created_at: i64,
}

impl Version {
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.stage).unwrap_or(Stage::Drafting)
    }
    /// Open for public comment on this Beijing date (`YYYY-MM-DD`).
    pub fn open_on(&self, today: &str) -> bool {
        self.published_at.is_some()
            && self.open_from.as_deref().is_some_and(|f| f <= today)
            && self.open_until.as_deref().is_some_and(|u| today <= u)
    }
    pub fn enacting_lines(&self) -> Vec<&str> {
        self.enacting.lines().filter(|l| !l.trim().is_empty()).collect()
    }
}

const VERSION_SELECT: &str = "SELECT id, draft_id, seq, label, stage, title, enacting, toc_lines, source, file_name, \
     articles, issues, open_from, open_until, published_at, created_at FROM leg_versions";

pub async fn version<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Version>, DbErr> {
    db::query_one(c, &format!("{VERSION_SELECT} WHERE id = $1"), vec![id.into()]).await
}

/// The versions of a draft, first reading first.
pub async fn versions<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Vec<Version>, DbErr> {
    db::query_all(c, &format!("{VERSION_SELECT} WHERE draft_id = $1 ORDER BY seq"), vec![draft_id.into()]).await
}

/// The version of a draft the public sees at /l/{draft}: the newest published one.
pub async fn public_version<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Option<Version>, DbErr> {
    db::query_one(
        c,
        &format!("{VERSION_SELECT} WHERE draft_id = $1 AND published_at IS NOT NULL ORDER BY seq DESC LIMIT 1"),
        vec![draft_id.into()],
    )
    .await
}

/// A stored node of a version.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct NodeRow {
    pub id: i64,
    pub node_id: i64,
    pub parent_id: Option<i64>,
    pub position: i64,
    pub depth: i64,
    pub kind: String,
    pub number: String,
    pub ordinal: i64,
    pub sub: i64,
    pub heading: String,
    pub body: String,
}

impl NodeRow {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Paragraph)
    }
}

pub async fn nodes<C: ConnectionTrait>(c: &C, version_id: i64) -> Result<Vec<NodeRow>, DbErr> {
    db::query_all(
        c,
        "SELECT id, node_id, parent_id, position, depth, kind, number, ordinal, sub, heading, body FROM leg_nodes \
         WHERE version_id = $1 ORDER BY position",
        vec![version_id.into()],
    )
    .await
}

/// The stored nodes as the matcher and the compare read them, with their identities.
pub fn flats(rows: &[NodeRow]) -> (Vec<Flat>, Vec<i64>) {
    let index: std::collections::HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let flats = rows
        .iter()
        .map(|r| Flat {
            kind: r.kind(),
            number: r.number.clone(),
            ordinal: r.ordinal,
            sub: r.sub,
            heading: r.heading.clone(),
            text: r.body.clone(),
            line: 0,
            depth: r.depth as usize,
            parent: r.parent_id.and_then(|p| index.get(&p).copied()),
        })
        .collect();
    (flats, rows.iter().map(|r| r.node_id).collect())
}

/// The article of a version with this identity: (row, number).
pub async fn article_in<C: ConnectionTrait>(
    c: &C,
    version_id: i64,
    node_id: i64,
) -> Result<Option<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, number FROM leg_nodes WHERE version_id = $1 AND node_id = $2 AND kind = 'article'",
        vec![version_id.into(), node_id.into()],
    )
    .await?;
    rows.first().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).transpose()
}

// ------------------------------------------------------------------ opinions

/// An opinion as staff see it: no name, no phone beyond the masked copy.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Opinion {
    pub id: i64,
    pub draft_id: i64,
    pub version_id: i64,
    pub node_id: Option<i64>,
    pub source: String,
    pub stage: String,
    pub quote: String,
    pub body: String,
    pub author: String,
    pub phone_masked: Option<String>,
    /// A commenter left a name (it is never shown).
    pub named: bool,
    pub moderation: String,
    pub hold_reason: Option<String>,
    pub task_id: Option<i64>,
    pub sent: bool,
    pub created_at: i64,
    pub disposition: Option<String>,
    pub reason: String,
    pub disposed_at: Option<i64>,
    pub change_version_id: Option<i64>,
    pub change_node_id: Option<i64>,
    pub notified_at: Option<i64>,
    /// The article's number in the version the opinion was given on.
    pub number: Option<String>,
}

impl Opinion {
    pub fn source(&self) -> Source {
        Source::parse(&self.source).unwrap_or(Source::Public)
    }
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.stage).unwrap_or(Stage::Drafting)
    }
    pub fn disposition(&self) -> Option<Disposition> {
        self.disposition.as_deref().and_then(Disposition::parse)
    }
    pub fn moderation(&self) -> Moderation {
        Moderation::parse(&self.moderation).unwrap_or(Moderation::Ok)
    }
    pub fn disposition_label(&self) -> &'static str {
        self.disposition().map(|d| d.label()).unwrap_or("待处理")
    }
    pub fn disposition_colour(&self) -> &'static str {
        self.disposition().map(|d| d.colour()).unwrap_or("red")
    }
}

const OPINION_SELECT: &str = "SELECT x.id, x.draft_id, x.version_id, x.node_id, x.source, x.stage, x.quote, x.body, \
     x.author, x.phone_masked, (x.name_enc IS NOT NULL) AS named, x.moderation, x.hold_reason, x.task_id, x.sent, \
     x.created_at, x.disposition, x.reason, x.disposed_at, x.change_version_id, x.change_node_id, x.notified_at, \
     (SELECT n.number FROM leg_nodes n WHERE n.version_id = x.version_id AND n.node_id = x.node_id \
      AND n.kind = 'article') AS number FROM leg_opinions x";

pub async fn opinion<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Opinion>, DbErr> {
    db::query_one(c, &format!("{OPINION_SELECT} WHERE x.id = $1"), vec![id.into()]).await
}

/// Which opinions of a draft a list shows.
#[derive(Clone, Debug, Default)]
pub struct OpinionFilter {
    pub version_id: Option<i64>,
    pub node_id: Option<i64>,
    pub source: Option<Source>,
    /// `Some(None)`: not yet disposed of.
    pub disposition: Option<Option<Disposition>>,
    pub moderation: Option<Moderation>,
}

fn bind(v: Value, values: &mut Vec<Value>) -> String {
    values.push(v);
    format!("${}", values.len())
}

/// The sent opinions of a draft (a task's lines count once the task is answered), oldest first.
pub async fn opinions<C: ConnectionTrait>(c: &C, draft_id: i64, f: &OpinionFilter) -> Result<Vec<Opinion>, DbErr> {
    let mut values = vec![draft_id.into()];
    let mut w = vec!["x.draft_id = $1".to_string(), "x.sent = true".to_string()];
    if let Some(v) = f.version_id {
        w.push(format!("x.version_id = {}", bind(v.into(), &mut values)));
    }
    if let Some(n) = f.node_id {
        w.push(format!("x.node_id = {}", bind(n.into(), &mut values)));
    }
    if let Some(s) = f.source {
        w.push(format!("x.source = {}", bind(s.as_str().into(), &mut values)));
    }
    match f.disposition {
        Some(Some(d)) => w.push(format!("x.disposition = {}", bind(d.as_str().into(), &mut values))),
        Some(None) => w.push("x.disposition IS NULL AND x.moderation <> 'removed'".into()),
        None => {}
    }
    if let Some(m) = f.moderation {
        w.push(format!("x.moderation = {}", bind(m.as_str().into(), &mut values)));
    }
    db::query_all(c, &format!("{OPINION_SELECT} WHERE {} ORDER BY x.id LIMIT 2000", w.join(" AND ")), values).await
}

/// The opinions given at an event (LEG-6), in the order they were entered.
pub async fn opinions_of_event<C: ConnectionTrait>(c: &C, event_id: i64) -> Result<Vec<Opinion>, DbErr> {
    db::query_all(c, &format!("{OPINION_SELECT} WHERE x.event_id = $1 ORDER BY x.id"), vec![event_id.into()]).await
}

/// The lines of a task (sent or not), in the order they were written.
pub async fn task_lines<C: ConnectionTrait>(c: &C, task_id: i64) -> Result<Vec<Opinion>, DbErr> {
    db::query_all(c, &format!("{OPINION_SELECT} WHERE x.task_id = $1 ORDER BY x.id"), vec![task_id.into()]).await
}

/// How many opinions each article identity of a draft has: all that are counted (staff), or
/// only the public comments shown (the public page).
pub async fn counts_by_node<C: ConnectionTrait>(
    c: &C,
    draft_id: i64,
    public_only: bool,
) -> Result<std::collections::HashMap<i64, i64>, DbErr> {
    let only =
        if public_only { " AND source = 'public' AND moderation = 'ok'" } else { " AND moderation <> 'removed'" };
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT node_id, count(*) FROM leg_opinions WHERE draft_id = $1 AND sent = true AND node_id IS NOT NULL{only} \
             GROUP BY node_id"
        ),
        vec![draft_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// How many public comments an article identity (or, with `None`, the whole draft) has shown
/// as received: what /l/{draft} tells. Their texts are not public — a public surface reads only
/// what staff published (`crate::publish`), and a citizen's text is not published here.
pub async fn public_count<C: ConnectionTrait>(c: &C, draft_id: i64, node_id: Option<i64>) -> Result<i64, DbErr> {
    let (cond, values) = match node_id {
        Some(n) => ("node_id = $2", vec![draft_id.into(), n.into()]),
        None => ("node_id IS NULL", vec![draft_id.into()]),
    };
    db::scalar_i64(
        c,
        &format!(
            "SELECT count(*) FROM leg_opinions WHERE draft_id = $1 AND {cond} AND source = 'public' AND moderation = 'ok' \
             AND sent = true"
        ),
        values,
    )
    .await
}

// ------------------------------------------------------------------ tasks

/// A task of the targeted consultation, with its addressee's name and its draft.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Task {
    pub id: i64,
    pub draft_id: i64,
    pub draft_title: String,
    #[serde(skip)]
    pub organ_path: String,
    pub version_id: i64,
    pub target: String,
    pub unit_id: Option<i64>,
    pub station_id: Option<i64>,
    pub person_id: Option<i64>,
    pub expert_id: Option<i64>,
    pub target_name: String,
    pub request: String,
    pub due_working_days: i64,
    pub deadline: String,
    pub deadline_at: i64,
    pub state: String,
    pub summary: String,
    pub answered_at: Option<i64>,
    pub created_at: i64,
    /// Lines written so far (sent or not).
    pub lines: i64,
}

impl Task {
    pub fn target(&self) -> Target {
        Target::parse(&self.target).unwrap_or(Target::Unit)
    }
    pub fn state(&self) -> TaskState {
        TaskState::parse(&self.state).unwrap_or(TaskState::Open)
    }
    /// Still open past its deadline (at `now`, Unix seconds).
    pub fn overdue(&self, now: &i64) -> bool {
        self.state() == TaskState::Open && *now >= self.deadline_at
    }
    pub fn answered_late(&self) -> bool {
        self.answered_at.is_some_and(|a| a >= self.deadline_at)
    }
}

const TASK_SELECT: &str = "SELECT t.id, t.draft_id, d.title AS draft_title, o.path AS organ_path, t.version_id, t.target, \
     t.unit_id, t.station_id, t.person_id, t.expert_id, \
     COALESCE(u.name, s.name, p.name, e.name, '') AS target_name, t.request, t.due_working_days, t.deadline, \
     t.deadline_at, t.state, t.summary, t.answered_at, t.created_at, \
     (SELECT count(*) FROM leg_opinions x WHERE x.task_id = t.id) AS lines \
     FROM leg_tasks t JOIN leg_drafts d ON d.id = t.draft_id JOIN organs o ON o.id = d.organ_id \
     LEFT JOIN handling_units u ON u.id = t.unit_id LEFT JOIN stations s ON s.id = t.station_id \
     LEFT JOIN persons p ON p.id = t.person_id LEFT JOIN leg_experts e ON e.id = t.expert_id";

pub async fn task<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Task>, DbErr> {
    db::query_one(c, &format!("{TASK_SELECT} WHERE t.id = $1"), vec![id.into()]).await
}

pub async fn tasks_of_draft<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Vec<Task>, DbErr> {
    db::query_all(c, &format!("{TASK_SELECT} WHERE t.draft_id = $1 ORDER BY t.id"), vec![draft_id.into()]).await
}

/// The tasks addressed to a unit, a station or a deputy (whichever are given), open first.
pub async fn tasks_for<C: ConnectionTrait>(
    c: &C,
    unit_id: Option<i64>,
    station_id: Option<i64>,
    person_id: Option<i64>,
) -> Result<Vec<Task>, DbErr> {
    let mut values = Vec::new();
    let mut who = Vec::new();
    if let Some(u) = unit_id {
        who.push(format!("t.unit_id = {}", bind(u.into(), &mut values)));
    }
    if let Some(s) = station_id {
        who.push(format!("t.station_id = {}", bind(s.into(), &mut values)));
    }
    if let Some(p) = person_id {
        who.push(format!("(t.person_id = {} AND t.target = 'deputy')", bind(p.into(), &mut values)));
    }
    if who.is_empty() {
        return Ok(Vec::new());
    }
    db::query_all(
        c,
        &format!("{TASK_SELECT} WHERE ({}) ORDER BY t.state DESC, t.deadline_at, t.id LIMIT 500", who.join(" OR ")),
        values,
    )
    .await
}

/// An expert of a pool.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Expert {
    pub id: i64,
    pub organ_id: i64,
    pub pool: String,
    pub name: String,
    pub affiliation: String,
    pub fields: String,
    pub active: bool,
}

impl Expert {
    pub fn pool(&self) -> Pool {
        Pool::parse(&self.pool).unwrap_or(Pool::Advisor)
    }
}

/// The active experts of an organ's pools (and of the organs above it), by pool and name.
pub async fn experts<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<Expert>, DbErr> {
    let ids: Vec<String> = organ_path.split('/').filter(|s| !s.is_empty()).map(String::from).collect();
    let ids: Vec<i64> = ids.iter().filter_map(|s| s.parse().ok()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = Vec::new();
    let list: Vec<String> = ids.iter().map(|i| bind((*i).into(), &mut values)).collect();
    db::query_all(
        c,
        &format!(
            "SELECT id, organ_id, pool, name, affiliation, fields, active FROM leg_experts WHERE organ_id IN ({}) \
             AND active = true ORDER BY pool, name, id",
            list.join(", ")
        ),
        values,
    )
    .await
}

pub async fn expert<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Expert>, DbErr> {
    db::query_one(
        c,
        "SELECT id, organ_id, pool, name, affiliation, fields, active FROM leg_experts WHERE id = $1",
        vec![id.into()],
    )
    .await
}

// ------------------------------------------------------------- changes of a regulation (LEG-7)

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum ChangeKind {
        Amend = ("amend", "修正"),
        Revise = ("revise", "修订"),
        Repeal = ("repeal", "废止"),
    }
}

/// Which regulations a list shows: those in force (the default), the repealed, or all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    InForce,
    Repealed,
    All,
}

impl Shown {
    pub const CODES: [&'static str; 3] = ["in_force", "repealed", "all"];
    /// A `state` parameter: empty is in force; anything unknown is `None`.
    pub fn parse(v: &str) -> Option<Shown> {
        match v.trim() {
            "" | "in_force" => Some(Shown::InForce),
            "repealed" => Some(Shown::Repealed),
            "all" => Some(Shown::All),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::InForce => "in_force",
            Shown::Repealed => "repealed",
            Shown::All => "all",
        }
    }
    /// The condition on `leg_regulations r`.
    pub fn condition(self) -> Option<&'static str> {
        match self {
            Shown::InForce => Some("r.state = 'in_force'"),
            Shown::Repealed => Some("r.state = 'repealed'"),
            Shown::All => None,
        }
    }
}

/// A change of a regulation, as its history shows it.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct RegulationChange {
    pub id: i64,
    pub regulation_id: i64,
    /// `amend|revise|repeal` (修正/修订/废止)
    pub kind: String,
    /// The meeting that decided it.
    pub decided_by: String,
    pub decided_on: String,
    pub effective_on: String,
    /// The decision's name, e.g. 「关于修改《潍坊市城市市容和环境卫生管理条例》的决定」.
    pub title: String,
    pub reason: String,
    /// The draft version the new text came from, if any.
    pub version_id: Option<i64>,
    pub created_at: i64,
}

impl RegulationChange {
    pub fn kind_label(&self) -> &'static str {
        ChangeKind::label_of(&self.kind)
    }
}
