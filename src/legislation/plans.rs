//! Plans and projects (LEG-1): 立法规划 (several years) and 立法计划 (one year) with their items —
//! 制定/修改/废止, 正式/预备/调研项目, the drafting body, the schedule and the status —, and the
//! project bank (立法项目库) whose entries say where they came from through `record_links` (a
//! deputies' suggestion or 议案, a citizen's opinion answering a public call, a department) and
//! carry their 立项论证. Reads and audited writes; the pages are `plan_pages`.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;

code_enum! {
    /// 立法规划 or 立法计划.
    #[derive(schemars::JsonSchema)]
    pub enum PlanKind {
        Program = ("program", "立法规划"),
        Annual = ("annual", "年度立法计划"),
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum PlanState {
        Draft = ("draft", "草拟中"),
        Adopted = ("adopted", "已通过"),
    }
}

code_enum! {
    parse: labels;
    /// What a project does to the law.
    #[derive(schemars::JsonSchema)]
    pub enum LawAction {
        Enact = ("enact", "制定"),
        Amend = ("amend", "修改"),
        Repeal = ("repeal", "废止"),
    }
}

code_enum! {
    parse: labels;
    /// The category of a plan's item.
    #[derive(schemars::JsonSchema)]
    pub enum Category {
        Formal = ("formal", "正式项目"),
        Preparatory = ("preparatory", "预备项目"),
        Research = ("research", "调研项目"),
    }
}

code_enum! {
    parse: labels;
    /// Where an item of a plan stands.
    #[derive(schemars::JsonSchema)]
    pub enum ItemStatus {
        Pending = ("pending", "未启动"),
        Drafting = ("drafting", "起草中"),
        Submitted = ("submitted", "已提请审议"),
        Passed = ("passed", "已通过"),
        Carried = ("carried", "结转下年"),
    }
}

code_enum! {
    parse: labels;
    /// Where a project of the bank came from; the record behind it is a link.
    #[derive(schemars::JsonSchema)]
    pub enum Origin {
        /// A deputies' 议案 or 建议 (linked: `suggestion`).
        Deputies = ("deputies", "代表议案建议"),
        /// A public call for projects (linked, when given: a citizen's `opinion`).
        Public = ("public", "公开征集"),
        /// A department's proposal (linked: `handling_unit`).
        Department = ("department", "部门申报"),
        /// A committee or working body of the congress.
        Committee = ("committee", "专门委员会和工作机构"),
    }
}

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum ProjectState {
        Proposed = ("proposed", "已入库"),
        Argued = ("argued", "已论证"),
        Listed = ("listed", "已列入计划"),
        Shelved = ("shelved", "暂缓"),
    }
}

pub const MAX_TITLE: usize = 100;
pub const MAX_TEXT: usize = 5000;

fn title_ok(errors: &mut FieldErrors, field: &str, label: &str, v: &str) {
    let n = v.trim().chars().count();
    if n == 0 {
        errors.add(field, format!("请填写{label}"));
    } else if n > MAX_TITLE {
        errors.add(field, format!("{label}不能超过 {MAX_TITLE} 字"));
    }
}

// ------------------------------------------------------------------ plans

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Plan {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    /// `program` (立法规划) | `annual` (年度立法计划)
    pub kind: String,
    pub title: String,
    pub year_from: i64,
    pub year_to: i64,
    /// `draft|adopted`
    pub state: String,
    pub adopted_on: Option<String>,
    pub created_at: i64,
    /// How many items it lists.
    pub items: i64,
}

impl Plan {
    pub fn kind(&self) -> PlanKind {
        PlanKind::parse(&self.kind).unwrap_or(PlanKind::Annual)
    }
    pub fn state(&self) -> PlanState {
        PlanState::parse(&self.state).unwrap_or(PlanState::Draft)
    }
    pub fn years(&self) -> String {
        if self.year_from == self.year_to {
            format!("{} 年", self.year_from)
        } else {
            format!("{}—{} 年", self.year_from, self.year_to)
        }
    }
}

const PLAN_SELECT: &str = "SELECT p.id, p.organ_id, o.path AS organ_path, p.kind, p.title, p.year_from, p.year_to, \
     p.state, p.adopted_on, p.created_at, (SELECT count(*) FROM leg_plan_items i WHERE i.plan_id = p.id) AS items \
     FROM leg_plans p JOIN organs o ON o.id = p.organ_id";

pub async fn plan<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Plan>, DbErr> {
    db::query_one(c, &format!("{PLAN_SELECT} WHERE p.id = $1"), vec![id.into()]).await
}

/// The plans of an organ subtree, the latest years first.
pub async fn plans<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<Plan>, DbErr> {
    db::query_all(
        c,
        &format!("{PLAN_SELECT} WHERE o.path LIKE $1 ORDER BY p.year_to DESC, p.kind, p.id DESC LIMIT 200"),
        vec![format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await
}

/// A plan as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// `program` (立法规划) | `annual` (年度立法计划)
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The first year (a 年度计划: its year).
    #[serde(default)]
    pub year_from: String,
    /// The last year (a 年度计划: left empty).
    #[serde(default)]
    pub year_to: String,
    /// The date the 主任会议 or 常委会 adopted it, `YYYY-MM-DD`, if adopted.
    #[serde(default)]
    pub adopted_on: String,
}

fn year(v: &str) -> Option<i64> {
    v.trim().trim_end_matches('年').parse::<i64>().ok().filter(|y| (2000..=2100).contains(y))
}

/// A plan's fields checked: its kind, years and the date adopted.
struct PlanFields {
    kind: PlanKind,
    from: i64,
    to: i64,
    adopted_on: Option<String>,
}

fn plan_fields(p: &NewPlan) -> AppResult<PlanFields> {
    let mut errors = FieldErrors::new();
    let kind = PlanKind::parse(p.kind.trim());
    if kind.is_none() {
        errors.add("kind", "请选择立法规划或年度立法计划");
    }
    title_ok(&mut errors, "title", "名称", &p.title);
    let from = year(&p.year_from);
    if from.is_none() {
        errors.add("year_from", "请填写起始年份，如 2027");
    }
    let to = if p.year_to.trim().is_empty() { from } else { year(&p.year_to) };
    match (from, to) {
        (_, None) => errors.add("year_to", "请填写截止年份，如 2031"),
        (Some(a), Some(b)) if b < a => errors.add("year_to", "截止年份不能早于起始年份"),
        (Some(a), Some(b)) if b - a > 9 => errors.add("year_to", "立法规划最长十年"),
        (Some(a), Some(b)) if kind == Some(PlanKind::Annual) && a != b => {
            errors.add("year_to", "年度立法计划只有一个年份")
        }
        _ => {}
    }
    let adopted = p.adopted_on.trim();
    let adopted_on = if adopted.is_empty() {
        None
    } else {
        match crate::app::fmt::parse_date(adopted) {
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                errors.add("adopted_on", "请填写通过日期，如 2027-02-20，或留空");
                None
            }
        }
    };
    errors.check()?;
    Ok(PlanFields { kind: kind.expect("checked"), from: from.expect("checked"), to: to.expect("checked"), adopted_on })
}

pub async fn create_plan<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    p: &NewPlan,
    now: i64,
) -> AppResult<i64> {
    let PlanFields { kind, from, to, adopted_on } = plan_fields(p)?;
    let title = p.title.trim();
    let state = if adopted_on.is_some() { PlanState::Adopted } else { PlanState::Draft };
    let id = db::insert_id(
        c,
        "INSERT INTO leg_plans (organ_id, kind, title, year_from, year_to, state, adopted_on, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            organ_id.into(),
            kind.as_str().into(),
            title.into(),
            from.into(),
            to.into(),
            state.as_str().into(),
            adopted_on.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited("leg_plan_create", "leg_plan", id, format!("{}《{title}》", kind.label()))
        .in_organ(organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

/// 「名称：旧 → 新」 for each field that changed, joined by 「；」.
fn differences(pairs: &[(&str, String, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(label, a, b)| {
            format!(
                "{label}：{} → {}",
                if a.is_empty() { "（空）" } else { a },
                if b.is_empty() { "（空）" } else { b }
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// Edits a plan after it was made: its kind, name, years and the date adopted; the history
/// (audit) says what changed.
pub async fn edit_plan<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    plan: &Plan,
    p: &NewPlan,
) -> AppResult<()> {
    let PlanFields { kind, from, to, adopted_on } = plan_fields(p)?;
    let title = p.title.trim();
    let state = if adopted_on.is_some() { PlanState::Adopted } else { PlanState::Draft };
    let changed = differences(&[
        ("类型", plan.kind().label().to_string(), kind.label().to_string()),
        ("名称", plan.title.clone(), title.to_string()),
        ("年份", plan.years(), Plan { year_from: from, year_to: to, ..plan.clone() }.years()),
        ("通过日期", plan.adopted_on.clone().unwrap_or_default(), adopted_on.clone().unwrap_or_default()),
    ]);
    if changed.is_empty() {
        return Err(AppError::invalid("title", "没有改动"));
    }
    db::exec(
        c,
        "UPDATE leg_plans SET kind = $1, title = $2, year_from = $3, year_to = $4, state = $5, adopted_on = $6 WHERE id = $7",
        vec![
            kind.as_str().into(),
            title.into(),
            from.into(),
            to.into(),
            state.as_str().into(),
            adopted_on.into(),
            plan.id.into(),
        ],
    )
    .await?;
    Change::audited("leg_plan_edit", "leg_plan", plan.id, format!("《{title}》{changed}"))
        .in_organ(plan.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// An item of a plan, with the project it came from and the draft it became.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Item {
    pub id: i64,
    pub plan_id: i64,
    pub project_id: Option<i64>,
    pub draft_id: Option<i64>,
    pub title: String,
    /// `enact|amend|repeal`
    pub action: String,
    /// `formal|preparatory|research`
    pub category: String,
    pub drafting_body: String,
    /// When it is to be submitted, as the plan says it (e.g. 2027 年 6 月提请初审).
    pub schedule: String,
    /// `pending|drafting|submitted|passed|carried`
    pub status: String,
    pub created_at: i64,
}

impl Item {
    pub fn action_label(&self) -> &'static str {
        LawAction::label_of(&self.action)
    }
    pub fn category_label(&self) -> &'static str {
        Category::label_of(&self.category)
    }
    pub fn status_label(&self) -> &'static str {
        ItemStatus::label_of(&self.status)
    }
}

pub async fn items<C: ConnectionTrait>(c: &C, plan_id: i64) -> Result<Vec<Item>, DbErr> {
    db::query_all(
        c,
        "SELECT id, plan_id, project_id, draft_id, title, action, category, drafting_body, schedule, status, created_at \
         FROM leg_plan_items WHERE plan_id = $1 ORDER BY CASE category WHEN 'formal' THEN 0 WHEN 'preparatory' THEN 1 \
         ELSE 2 END, id",
        vec![plan_id.into()],
    )
    .await
}

pub async fn item<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Item>, DbErr> {
    db::query_one(
        c,
        "SELECT id, plan_id, project_id, draft_id, title, action, category, drafting_body, schedule, status, created_at \
         FROM leg_plan_items WHERE id = $1",
        vec![id.into()],
    )
    .await
}

/// An item as typed: a project of the bank (its title and action are taken) or a title.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// A project of the bank, or left out.
    #[serde(default)]
    pub project_id: Option<i64>,
    /// The regulation's name (taken from the project when left empty).
    #[serde(default)]
    pub title: String,
    /// `enact|amend|repeal` (制定/修改/废止)
    #[serde(default)]
    pub action: String,
    /// `formal|preparatory|research` (正式/预备/调研项目)
    #[serde(default)]
    pub category: String,
    /// The drafting body (起草单位).
    #[serde(default)]
    pub drafting_body: String,
    /// The schedule, e.g. 「2027 年 6 月提请初审」.
    #[serde(default)]
    pub schedule: String,
    /// `pending|drafting|submitted|passed|carried` (default `pending`).
    #[serde(default)]
    pub status: String,
}

/// An item's fields checked (a project's title and action where left empty).
struct ItemFields {
    title: String,
    action: Option<LawAction>,
    category: Option<Category>,
    status: Option<ItemStatus>,
}

fn item_fields(i: &NewItem, project: Option<&Project>, errors: &mut FieldErrors) -> ItemFields {
    let title = if i.title.trim().is_empty() {
        project.map(|p| p.title.clone()).unwrap_or_default()
    } else {
        i.title.trim().to_string()
    };
    title_ok(errors, "title", "法规名称", &title);
    let action = if i.action.trim().is_empty() {
        project.and_then(|p| LawAction::parse(&p.action))
    } else {
        LawAction::parse(i.action.trim())
    };
    if action.is_none() {
        errors.add("action", "请选择制定、修改或废止");
    }
    let category = Category::parse(i.category.trim());
    if category.is_none() {
        errors.add("category", "请选择正式项目、预备项目或调研项目");
    }
    let body = i.drafting_body.trim();
    if body.is_empty() || body.chars().count() > 100 {
        errors.add("drafting_body", "请填写起草单位（不超过 100 字）");
    }
    if i.schedule.trim().chars().count() > 100 {
        errors.add("schedule", "进度安排不能超过 100 字");
    }
    let status =
        if i.status.trim().is_empty() { Some(ItemStatus::Pending) } else { ItemStatus::parse(i.status.trim()) };
    if status.is_none() {
        errors.add("status", "进展只能是未启动、起草中、已提请审议、已通过或结转下年");
    }
    ItemFields { title, action, category, status }
}

pub async fn add_item<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    plan: &Plan,
    i: &NewItem,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let project = match i.project_id {
        Some(id) => match project(c, id).await? {
            Some(p) if p.organ_id == plan.organ_id => Some(p),
            _ => {
                errors.add("project_id", "项目库中没有这个项目");
                None
            }
        },
        None => None,
    };
    let fields = item_fields(i, project.as_ref(), &mut errors);
    if let Some(p) = &project
        && let Some(category) = fields.category
    {
        let missing = missing_steps(c, p, Some(category)).await?;
        if !missing.is_empty() {
            errors.add("project_id", format!("项目尚未经过{}，不能列入计划", missing.join("、")));
        }
    }
    errors.check()?;
    let ItemFields { title, action, category, status } = fields;
    let (action, category, status) = (action.expect("checked"), category.expect("checked"), status.expect("checked"));
    let id = db::insert_id(
        c,
        "INSERT INTO leg_plan_items (plan_id, project_id, draft_id, title, action, category, drafting_body, schedule, status, \
         created_at) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            plan.id.into(),
            project.as_ref().map(|p| p.id).into(),
            title.clone().into(),
            action.as_str().into(),
            category.as_str().into(),
            i.drafting_body.trim().into(),
            i.schedule.trim().into(),
            status.as_str().into(),
            now.into(),
        ],
    )
    .await?;
    if let Some(p) = &project {
        db::exec(c, "UPDATE leg_projects SET state = 'listed' WHERE id = $1", vec![p.id.into()]).await?;
    }
    Change::audited(
        "leg_plan_item_add",
        "leg_plan",
        plan.id,
        format!("列入{}：{}《{title}》（{}）", plan.kind().label(), action.label(), category.label()),
    )
    .in_organ(plan.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// Edits an item of a plan: its name, 制定/修改/废止, category, drafting body, schedule and
/// status (the project it came from stays); the plan's history says what changed. An item of
/// the bank made 正式项目 needs the project's checkpoints as when it was listed.
pub async fn edit_item<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    plan: &Plan,
    item: &Item,
    i: &NewItem,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let fields = item_fields(&NewItem { project_id: None, ..i.clone() }, None, &mut errors);
    if let (Some(p), Some(category)) = (item.project_id, fields.category)
        && category.as_str() != item.category
        && let Some(p) = project(c, p).await?
    {
        let missing = missing_steps(c, &p, Some(category)).await?;
        if !missing.is_empty() {
            errors.add("category", format!("项目尚未经过{}，不能改为{}", missing.join("、"), category.label()));
        }
    }
    errors.check()?;
    let ItemFields { title, action, category, status } = fields;
    let (action, category, status) = (action.expect("checked"), category.expect("checked"), status.expect("checked"));
    let (body, schedule) = (i.drafting_body.trim(), i.schedule.trim());
    let changed = differences(&[
        ("名称", item.title.clone(), title.clone()),
        ("制定修改废止", item.action_label().to_string(), action.label().to_string()),
        ("类别", item.category_label().to_string(), category.label().to_string()),
        ("起草单位", item.drafting_body.clone(), body.to_string()),
        ("进度安排", item.schedule.clone(), schedule.to_string()),
        ("进展", item.status_label().to_string(), status.label().to_string()),
    ]);
    if changed.is_empty() {
        return Err(AppError::invalid("title", "没有改动"));
    }
    db::exec(
        c,
        "UPDATE leg_plan_items SET title = $1, action = $2, category = $3, drafting_body = $4, schedule = $5, status = $6 \
         WHERE id = $7",
        vec![
            title.clone().into(),
            action.as_str().into(),
            category.as_str().into(),
            body.into(),
            schedule.into(),
            status.as_str().into(),
            item.id.into(),
        ],
    )
    .await?;
    Change::audited("leg_plan_item_edit", "leg_plan", plan.id, format!("《{}》{changed}", item.title))
        .in_organ(plan.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// Changes an item's status (and, optionally, the draft it became).
pub async fn set_item_status<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    plan: &Plan,
    item: &Item,
    status: &str,
    draft_id: Option<i64>,
) -> AppResult<()> {
    let s = ItemStatus::parse(status.trim())
        .ok_or_else(|| AppError::invalid("status", "进展只能是未启动、起草中、已提请审议、已通过或结转下年"))?;
    if let Some(d) = draft_id {
        let same = db::scalar_i64(
            c,
            "SELECT count(*) FROM leg_drafts WHERE id = $1 AND organ_id = $2",
            vec![d.into(), plan.organ_id.into()],
        )
        .await?;
        if same == 0 {
            return Err(AppError::invalid("draft_id", "本机关没有这个法规草案"));
        }
    }
    db::exec(
        c,
        "UPDATE leg_plan_items SET status = $1, draft_id = COALESCE($2, draft_id) WHERE id = $3",
        vec![s.as_str().into(), draft_id.into(), item.id.into()],
    )
    .await?;
    Change::audited("leg_plan_item_status", "leg_plan", plan.id, format!("《{}》{}", item.title, s.label()))
        .in_organ(plan.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

// ------------------------------------------------------------------ the project bank

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Project {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub title: String,
    /// `enact|amend|repeal`
    pub action: String,
    /// `deputies|public|department|committee`
    pub origin: String,
    pub proposer: String,
    /// 立项论证.
    pub justification: String,
    /// `proposed|argued|listed|shelved`
    pub state: String,
    pub created_at: i64,
}

impl Project {
    pub fn action_label(&self) -> &'static str {
        LawAction::label_of(&self.action)
    }
    pub fn origin_label(&self) -> &'static str {
        Origin::label_of(&self.origin)
    }
    pub fn state_label(&self) -> &'static str {
        ProjectState::label_of(&self.state)
    }
}

const PROJECT_SELECT: &str = "SELECT p.id, p.organ_id, o.path AS organ_path, p.title, p.action, p.origin, p.proposer, \
     p.justification, p.state, p.created_at FROM leg_projects p JOIN organs o ON o.id = p.organ_id";

pub async fn project<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Project>, DbErr> {
    db::query_one(c, &format!("{PROJECT_SELECT} WHERE p.id = $1"), vec![id.into()]).await
}

pub async fn projects<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<Project>, DbErr> {
    db::query_all(
        c,
        &format!("{PROJECT_SELECT} WHERE o.path LIKE $1 ORDER BY p.id DESC LIMIT 500"),
        vec![format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await
}

/// A record a project came from, as its page names it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Source {
    /// `suggestion` (代表建议或议案) | `opinion` (群众意见) | `handling_unit` (部门)
    pub kind: String,
    pub id: i64,
    /// The record's name: a suggestion's number and title, an opinion's tracking number, a unit's name.
    pub name: String,
}

/// The records a project came from (its links), named.
pub async fn sources<C: ConnectionTrait>(c: &C, project_id: i64) -> Result<Vec<Source>, DbErr> {
    let mut out = Vec::new();
    for l in crate::links::of(c, "leg_project", project_id).await? {
        let sql = match l.to_type.as_str() {
            "suggestion" => {
                "SELECT CASE WHEN kind = 'bill' THEN '议案：' ELSE '建议：' END || title FROM suggestions WHERE id = $1"
            }
            "opinion" => "SELECT '群众意见 ' || tracking_no FROM opinions WHERE id = $1",
            "handling_unit" => "SELECT name FROM handling_units WHERE id = $1",
            _ => continue,
        };
        let rows = db::query_rows(c, sql, vec![l.to_id.into()]).await?;
        let name = rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_default();
        out.push(Source { kind: l.to_type, id: l.to_id, name });
    }
    Ok(out)
}

/// A project as typed. Its source: a suggestion's or 议案's id (`deputies`), an opinion's
/// tracking number (`public`, optional), a unit's id (`department`).
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    #[serde(default)]
    pub title: String,
    /// `enact|amend|repeal`
    #[serde(default)]
    pub action: String,
    /// `deputies|public|department|committee`
    #[serde(default)]
    pub origin: String,
    /// Who proposed it (a deputy's name, a department, a committee).
    #[serde(default)]
    pub proposer: String,
    /// 立项论证: need, feasibility, the main points.
    #[serde(default)]
    pub justification: String,
    /// `deputies`: the suggestion's or 议案's id.
    #[serde(default)]
    pub suggestion_id: Option<i64>,
    /// `public`: the tracking number of a citizen's opinion that proposed it.
    #[serde(default)]
    pub tracking_no: String,
    /// `department`: the unit's id.
    #[serde(default)]
    pub unit_id: Option<i64>,
}

/// Adds a project to the bank of `organ_id` (at `organ_path`), linked to the record it came
/// from — which must be one of the organ's subtree.
pub async fn add_project<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    (organ_id, organ_path): (i64, &str),
    p: &NewProject,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    title_ok(&mut errors, "title", "项目名称", &p.title);
    let action = LawAction::parse(p.action.trim());
    if action.is_none() {
        errors.add("action", "请选择制定、修改或废止");
    }
    let origin = Origin::parse(p.origin.trim());
    if origin.is_none() {
        errors.add("origin", "请选择项目来源");
    }
    if p.proposer.trim().chars().count() > 100 {
        errors.add("proposer", "提出人或单位不能超过 100 字");
    }
    let n = p.justification.trim().chars().count();
    if n > MAX_TEXT {
        errors.add("justification", format!("立项论证不能超过 {MAX_TEXT} 字"));
    }
    let like = format!("{}%", db::like_escape(organ_path));
    let link = match origin {
        Some(Origin::Deputies) => match p.suggestion_id {
            Some(id) => {
                let n = db::scalar_i64(
                    c,
                    "SELECT count(*) FROM suggestions s JOIN organs o ON o.id = s.organ_id WHERE s.id = $1 AND o.path LIKE $2 \
                     AND s.number IS NOT NULL",
                    vec![id.into(), like.clone().into()],
                )
                .await?;
                if n == 0 {
                    errors.add("suggestion_id", "没有这件已提交的代表建议或议案");
                }
                Some(("suggestion", id))
            }
            None => {
                errors.add("suggestion_id", "请选择提出这个项目的代表议案或建议");
                None
            }
        },
        Some(Origin::Public) if !p.tracking_no.trim().is_empty() => {
            let rows = db::query_rows(
                c,
                "SELECT op.id FROM opinions op JOIN organs o ON o.id = op.organ_id WHERE op.tracking_no = $1 AND o.path LIKE $2",
                vec![p.tracking_no.trim().into(), like.clone().into()],
            )
            .await?;
            match rows.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()) {
                Some(id) => Some(("opinion", id)),
                None => {
                    errors.add("tracking_no", "没有这个编号的群众意见");
                    None
                }
            }
        }
        Some(Origin::Department) => match p.unit_id {
            Some(id) => {
                let n = db::scalar_i64(
                    c,
                    "SELECT count(*) FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND o.path LIKE $2",
                    vec![id.into(), like.clone().into()],
                )
                .await?;
                if n == 0 {
                    errors.add("unit_id", "没有这个部门");
                }
                Some(("handling_unit", id))
            }
            None => {
                errors.add("unit_id", "请选择申报的部门");
                None
            }
        },
        _ => None,
    };
    errors.check()?;
    let (action, origin) = (action.expect("checked"), origin.expect("checked"));
    let title = p.title.trim();
    let state = if n > 0 { ProjectState::Argued } else { ProjectState::Proposed };
    let id = db::insert_id(
        c,
        "INSERT INTO leg_projects (organ_id, title, action, origin, proposer, justification, state, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            organ_id.into(),
            title.into(),
            action.as_str().into(),
            origin.as_str().into(),
            p.proposer.trim().into(),
            p.justification.trim().into(),
            state.as_str().into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    if let Some(to) = link {
        crate::links::add(c, ("leg_project", id), to, title, now).await?;
    }
    Change::audited(
        "leg_project_add",
        "leg_project",
        id,
        format!("{}《{title}》入库（{}）", action.label(), origin.label()),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// Records a project's 立项论证 (or replaces it) and its state.
pub async fn argue<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    p: &Project,
    justification: &str,
    state: &str,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let n = justification.trim().chars().count();
    if n > MAX_TEXT {
        errors.add("justification", format!("立项论证不能超过 {MAX_TEXT} 字"));
    }
    let state = ProjectState::parse(state.trim());
    if state.is_none() {
        errors.add("state", "请选择项目状态");
    }
    if state == Some(ProjectState::Listed) && p.state != "listed" {
        let missing = missing_steps(c, p, None).await?;
        if !missing.is_empty() {
            errors.add("state", format!("项目尚未经过{}，不能列入计划", missing.join("、")));
        }
    }
    errors.check()?;
    let state = state.expect("checked");
    db::exec(
        c,
        "UPDATE leg_projects SET justification = $1, state = $2 WHERE id = $3",
        vec![justification.trim().into(), state.as_str().into(), p.id.into()],
    )
    .await?;
    Change::audited("leg_project_argue", "leg_project", p.id, format!("《{}》{}", p.title, state.label()))
        .in_organ(p.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

// ------------------------------------------------------------------ 立项 checkpoints

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum Step {
        Argument = ("argument", "立项论证会"),
        Directors = ("directors", "主任会议研究"),
        PartyGroup = ("party_group", "党组审定"),
        PartyCommittee = ("party_committee", "报党委批准"),
    }
}

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum StepResult {
        Agreed = ("agreed", "同意"),
        Deferred = ("deferred", "暂缓"),
        Rejected = ("rejected", "不同意"),
    }
}

/// A recorded 立项 checkpoint of a project.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct ProjectStep {
    pub id: i64,
    pub project_id: i64,
    /// `argument|directors|party_group|party_committee`
    pub step: String,
    pub held_on: String,
    /// `agreed|deferred|rejected`
    pub result: String,
    pub note: String,
    pub created_at: i64,
}

impl ProjectStep {
    pub fn step_label(&self) -> &'static str {
        Step::label_of(&self.step)
    }
    pub fn result_label(&self) -> &'static str {
        StepResult::label_of(&self.result)
    }
}

/// A project's checkpoints, in the order held.
pub async fn steps<C: ConnectionTrait>(c: &C, project_id: i64) -> Result<Vec<ProjectStep>, DbErr> {
    db::query_all(
        c,
        "SELECT id, project_id, step, held_on, result, note, created_at FROM leg_project_steps WHERE project_id = $1 \
         ORDER BY held_on, id",
        vec![project_id.into()],
    )
    .await
}

/// The checkpoints a project must have passed (result 同意) before it is listed in a plan: the
/// 主任会议 always; the 党组 too for a 正式项目 (`category` formal) — a 预备 or 调研项目 is not yet
/// a commitment to legislate. `None`: the category is not known (the state set by hand).
pub fn required_steps(category: Option<Category>) -> &'static [Step] {
    match category {
        Some(Category::Formal) => &[Step::Directors, Step::PartyGroup],
        _ => &[Step::Directors],
    }
}

/// The required checkpoints a project has not passed, named.
pub async fn missing_steps<C: ConnectionTrait>(
    c: &C,
    p: &Project,
    category: Option<Category>,
) -> Result<Vec<&'static str>, DbErr> {
    let done = steps(c, p.id).await?;
    Ok(required_steps(category)
        .iter()
        .filter(|s| !done.iter().any(|d| d.step == s.as_str() && d.result == "agreed"))
        .map(|s| s.label())
        .collect())
}

/// A checkpoint as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStep {
    /// `argument|directors|party_group|party_committee` (立项论证会/主任会议研究/党组审定/报党委批准)
    #[serde(default)]
    pub step: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub held_on: String,
    /// `agreed|deferred|rejected` (同意/暂缓/不同意)
    #[serde(default)]
    pub result: String,
    /// What was decided, e.g. the meeting's number.
    #[serde(default)]
    pub note: String,
}

/// Records a checkpoint of a project. The 党组 and the 党委 take up a project the 主任会议
/// agreed to, on or after that day; 不同意 shelves the project (暂缓).
pub async fn add_step<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    p: &Project,
    x: &NewStep,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let step = Step::parse(x.step.trim());
    if step.is_none() {
        errors.add("step", "请选择立项论证会、主任会议研究、党组审定或报党委批准");
    }
    let held_on = match crate::app::fmt::parse_date(x.held_on.trim()) {
        Some(d) => Some(d.format("%Y-%m-%d").to_string()),
        None => {
            errors.add("held_on", "请填写日期，如 2027-01-15");
            None
        }
    };
    let result = StepResult::parse(x.result.trim());
    if result.is_none() {
        errors.add("result", "请选择同意、暂缓或不同意");
    }
    if x.note.trim().chars().count() > 1000 {
        errors.add("note", "说明不能超过 1000 字");
    }
    if let (Some(Step::PartyGroup | Step::PartyCommittee), Some(on)) = (step, &held_on) {
        let done = steps(c, p.id).await?;
        if !done.iter().any(|d| d.step == "directors" && d.result == "agreed" && d.held_on.as_str() <= on.as_str()) {
            errors.add("step", "党组审定和报党委批准应在主任会议研究同意之后");
        }
    }
    errors.check()?;
    let (step, result) = (step.expect("checked"), result.expect("checked"));
    let id = db::insert_id(
        c,
        "INSERT INTO leg_project_steps (project_id, step, held_on, result, note, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            p.id.into(),
            step.as_str().into(),
            held_on.clone().into(),
            result.as_str().into(),
            x.note.trim().into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    if result == StepResult::Rejected {
        db::exec(c, "UPDATE leg_projects SET state = 'shelved' WHERE id = $1", vec![p.id.into()]).await?;
    }
    Change::audited(
        "leg_project_step",
        "leg_project",
        p.id,
        format!("《{}》{}（{}）：{}", p.title, step.label(), held_on.unwrap_or_default(), result.label()),
    )
    .in_organ(p.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// The suggestions and 议案 of an organ subtree a project may come from: (id, label).
pub async fn suggestion_choices<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT s.id, CASE WHEN s.kind = 'bill' THEN '议案' ELSE '建议' END || ' 第' || CAST(s.number AS TEXT) || '号：' || s.title \
         FROM suggestions s JOIN organs o ON o.id = s.organ_id WHERE o.path LIKE $1 AND s.number IS NOT NULL \
         ORDER BY s.kind DESC, s.id DESC LIMIT 300",
        vec![format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// The units of an organ subtree: (id, name).
pub async fn unit_choices<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT u.id, u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE o.path LIKE $1 ORDER BY u.name LIMIT 300",
        vec![format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PlanList {
    pub items: Vec<Plan>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PlanDetail {
    #[serde(flatten)]
    pub plan: Plan,
    /// Its items, 正式项目 first.
    pub entries: Vec<Item>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ProjectOut {
    #[serde(flatten)]
    pub project: Project,
    /// The records it came from (links).
    pub sources: Vec<Source>,
    /// Its 立项 checkpoints (主任会议研究, 党组审定 …), in the order held.
    pub steps: Vec<ProjectStep>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ProjectList {
    pub items: Vec<ProjectOut>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CreatedId {
    pub id: i64,
}
