//! Targeted consultation (LEG-4): a version sent to chosen bodies — departments (handling
//! units), 基层立法联系点 (stations of that type), deputies and experts of the pools —, each a task
//! with a deadline in working days on the calendar. The addressee writes its opinions article
//! by article (a 联系点 gathers its people's, merges and edits them) and sends them as one
//! answer; the daily `legislation-deadlines` scan warns before the deadline and marks it
//! overdue after, once per task and deadline. Experts have no accounts: staff enter their answer.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::model::{self, Draft, Moderation, Target, TaskState, Version};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::calendar::{self, Calendar};
use crate::db;

pub const MAX_NOTE: usize = 1000;
pub const MAX_AUTHOR: usize = 50;
pub const MAX_DUE: i64 = 60;
/// Warned this many working days before the deadline.
pub const WARN_WORKING_DAYS: u32 = 2;

/// A sending as typed: the addressees (`unit:3`, `station:5`, `deputy:9`, `expert:2`), the
/// request and the working days to answer in.
#[derive(Clone, Debug, Default)]
pub struct NewTasks {
    pub targets: Vec<String>,
    pub note: String,
    pub due_working_days: String,
}

/// An addressee checked against the draft's organ: (target, id, name).
async fn addressee<C: ConnectionTrait>(c: &C, d: &Draft, code: &str) -> AppResult<Option<(Target, i64, String)>> {
    let Some((kind, id)) = code.split_once(':') else { return Ok(None) };
    let (Some(target), Some(id)) = (Target::parse(kind), id.trim().parse::<i64>().ok()) else { return Ok(None) };
    let like = format!("{}%", db::like_escape(&d.organ_path));
    let sql = match target {
        Target::Unit => {
            "SELECT u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND o.path LIKE $2"
        }
        Target::Station => {
            "SELECT s.name FROM stations s JOIN organs o ON o.id = s.organ_id JOIN station_types t ON t.id = s.type_id \
             WHERE s.id = $1 AND o.path LIKE $2 AND t.code = 'legislative_point'"
        }
        Target::Deputy => {
            "SELECT p.name FROM persons p WHERE p.id = $1 AND EXISTS (SELECT 1 FROM mandates m JOIN organs o ON \
             o.id = m.organ_id WHERE m.person_id = p.id AND m.status = 'serving' AND (o.path LIKE $2 OR o.external = true))"
        }
        Target::Expert => {
            "SELECT e.name FROM leg_experts e JOIN organs o ON o.id = e.organ_id WHERE e.id = $1 AND e.active = true \
             AND $2 LIKE o.path || '%'"
        }
    };
    let rows = db::query_rows(c, sql, vec![id.into(), like.into()]).await?;
    Ok(rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).map(|name| (target, id, name)))
}

/// Sends a version to each addressee: one task each, the deadline `due_working_days` working
/// days from today; their accounts are told in their inbox.
#[allow(clippy::too_many_arguments)]
pub async fn send<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    cal: &Calendar,
    d: &Draft,
    v: &Version,
    input: &NewTasks,
    now: i64,
) -> AppResult<Vec<i64>> {
    let mut errors = FieldErrors::new();
    let due = input.due_working_days.trim().parse::<i64>().ok().filter(|n| (1..=MAX_DUE).contains(n));
    if due.is_none() {
        errors.add("due_working_days", format!("反馈期限应为 1 到 {MAX_DUE} 个工作日"));
    }
    if input.note.trim().chars().count() > MAX_NOTE {
        errors.add("note", format!("征求意见的说明不能超过 {MAX_NOTE} 字"));
    }
    let mut targets: Vec<(Target, i64, String)> = Vec::new();
    for code in &input.targets {
        match addressee(c, d, code).await? {
            Some(t) if !targets.iter().any(|x| x.0 == t.0 && x.1 == t.1) => targets.push(t),
            Some(_) => {}
            None => errors.add("targets", format!("「{code}」不是本机关可以征求意见的单位、联系点、代表或专家")),
        }
    }
    if targets.is_empty() && input.targets.is_empty() {
        errors.add("targets", "请至少选择一个征求意见对象");
    }
    errors.check()?;
    if d.state() != model::DraftState::Active {
        return Err(AppError::Conflict(format!("草案{}，不能再征求意见", d.state().label())));
    }
    let due = due.expect("checked above");
    let today = calendar::beijing_date(now);
    let deadline = cal.add_working_days(today, due as u32);
    let deadline_at = calendar::deadline_end(deadline);
    let deadline_text = deadline.format("%Y-%m-%d").to_string();
    let mut ids = Vec::new();
    for (target, id, name) in &targets {
        let col = |t: Target| (*target == t).then_some(*id);
        let task = db::insert_id(
            c,
            "INSERT INTO leg_tasks (draft_id, version_id, target, unit_id, station_id, person_id, expert_id, request, \
             due_working_days, deadline, deadline_at, state, summary, answered_at, answered_by_id, warned_for, overdue_for, \
             created_by_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', NULL, NULL, NULL, NULL, $13, $14)",
            vec![
                d.id.into(),
                v.id.into(),
                target.as_str().into(),
                col(Target::Unit).into(),
                col(Target::Station).into(),
                col(Target::Deputy).into(),
                col(Target::Expert).into(),
                input.note.trim().into(),
                due.into(),
                deadline_text.clone().into(),
                deadline_at.into(),
                TaskState::Open.as_str().into(),
                actor.account_id.into(),
                now.into(),
            ],
        )
        .await?;
        let accounts = super::comments::addressee_accounts(c, task).await?;
        crate::notify::inbox_all(
            c,
            &accounts,
            "立法征求意见",
            &format!("《{}》{}征求您的意见，请于 {deadline_text} 前逐条反馈。", d.title, v.label),
            Some(&format!("/console/legislation/tasks/{task}")),
        )
        .await?;
        Change::audited(
            "leg_task_send",
            "leg_draft",
            d.id,
            format!("{}向{}（{}）征求意见，{deadline_text} 前反馈", v.label, name, target.label()),
        )
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
        ids.push(task);
    }
    Ok(ids)
}

/// One opinion of an answer as written: on an article (its identity) or the whole draft, with
/// the passage quoted and who raised it (a 信息采集员, a deputy, residents of a village …).
#[derive(Clone, Debug, Default)]
pub struct NewLine {
    pub node_id: Option<i64>,
    pub quote: String,
    pub text: String,
    pub author: String,
}

fn open_task(t: &model::Task) -> AppResult<()> {
    if t.state() != TaskState::Open {
        return Err(AppError::Conflict("意见已经报送，不能再修改".into()));
    }
    Ok(())
}

/// Adds a line to a task's answer (not sent yet: staff do not see it until the answer goes).
pub async fn add_line<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    t: &model::Task,
    input: &NewLine,
    now: i64,
) -> AppResult<i64> {
    open_task(t)?;
    let v = model::version(c, t.version_id).await?.ok_or(AppError::NotFound)?;
    let comment = super::comments::NewComment {
        node_id: input.node_id,
        quote: input.quote.clone(),
        text: input.text.clone(),
        ..Default::default()
    };
    let mut errors = FieldErrors::new();
    if let Err(AppError::Invalid { fields, .. }) = super::comments::validate(c, &v, &comment).await {
        fields.into_iter().for_each(|f| errors.push(f));
    }
    if input.author.trim().chars().count() > MAX_AUTHOR {
        errors.add("author", format!("提出人不能超过 {MAX_AUTHOR} 字"));
    }
    errors.check()?;
    let author = if input.author.trim().is_empty() { t.target_name.clone() } else { input.author.trim().to_string() };
    let id = db::insert_id(
        c,
        "INSERT INTO leg_opinions (draft_id, version_id, node_id, source, stage, quote, body, author, name_enc, phone_enc, \
         phone_masked, client_hash, moderation, hold_reason, task_id, sent, entered_by_id, created_at, disposition, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, '', $9, NULL, $10, false, $11, $12, NULL, '')",
        vec![
            t.draft_id.into(),
            t.version_id.into(),
            input.node_id.into(),
            t.target().source().as_str().into(),
            v.stage.clone().into(),
            input.quote.trim().into(),
            input.text.trim().into(),
            author.into(),
            Moderation::Ok.as_str().into(),
            t.id.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited("leg_task_line", "legislation_task", t.id, "增加一条意见".to_string())
        .append(c, key, actor)
        .await?;
    Ok(id)
}

/// Removes a line not yet sent.
pub async fn remove_line<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    t: &model::Task,
    line: i64,
) -> AppResult<()> {
    open_task(t)?;
    let n = db::exec(
        c,
        "DELETE FROM leg_opinions WHERE id = $1 AND task_id = $2 AND sent = false",
        vec![line.into(), t.id.into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Change::audited("leg_task_line", "legislation_task", t.id, "删除一条意见".to_string())
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// Sends the answer: its lines become opinions of the draft, tagged with the addressee's
/// source; the draft's staff are told. An answer with no line needs its summary (「无意见」).
pub async fn answer<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    t: &model::Task,
    summary: &str,
    now: i64,
) -> AppResult<()> {
    open_task(t)?;
    let summary = summary.trim();
    if summary.chars().count() > MAX_NOTE {
        return Err(AppError::invalid("summary", format!("综合意见不能超过 {MAX_NOTE} 字")));
    }
    if t.lines == 0 && summary.is_empty() {
        return Err(AppError::invalid("summary", "还没有逐条意见；没有意见时请在综合意见中写明“无意见”"));
    }
    db::exec(c, "UPDATE leg_opinions SET sent = true WHERE task_id = $1", vec![t.id.into()]).await?;
    db::exec(
        c,
        "UPDATE leg_tasks SET state = $1, summary = $2, answered_at = $3, answered_by_id = $4 WHERE id = $5",
        vec![TaskState::Answered.as_str().into(), summary.into(), now.into(), actor.account_id.into(), t.id.into()],
    )
    .await?;
    let late = if now >= t.deadline_at { "（逾期）" } else { "" };
    let staff = staff_of(c, d).await?;
    crate::notify::inbox_all(
        c,
        &staff,
        "立法意见已反馈",
        &format!("{}对《{}》反馈了 {} 条意见{late}。", t.target_name, d.title, t.lines),
        Some(&format!("/console/legislation/{}/opinions", d.id)),
    )
    .await?;
    Change::audited(
        "leg_task_answer",
        "legislation_task",
        t.id,
        format!("{}报送 {} 条意见{late}", t.target_name, t.lines),
    )
    .in_organ(d.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// Who to tell about a draft: the account that created it, or the organ's staff.
async fn staff_of<C: ConnectionTrait>(c: &C, d: &Draft) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id FROM accounts a JOIN account_roles r ON r.account_id = a.id WHERE a.organ_id = $1 \
         AND r.role = 'staff' AND a.disabled = false ORDER BY a.id LIMIT 20",
        vec![d.organ_id.into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect())
}

/// What one deadline scan raised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub warned: u64,
    pub overdue: u64,
}

/// The daily scan as of `now`: open tasks due within `WARN_WORKING_DAYS` working days are
/// warned, those past their deadline marked overdue — each once per deadline, told to the
/// addressee's accounts and (overdue) to the draft's staff.
pub async fn scan(
    db: &DatabaseConnection,
    writer: &crate::db::writer::Writer,
    key: &[u8],
    cal: &Calendar,
    now: i64,
) -> Result<Report, DbErr> {
    let today = calendar::beijing_date(now);
    let mut report = Report::default();
    let rows = db::query_rows(
        db,
        "SELECT id FROM leg_tasks WHERE state = 'open' AND (overdue_for IS NULL OR overdue_for <> deadline) ORDER BY id",
        vec![],
    )
    .await?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.try_get_by_index(0).ok()).collect();
    let system = Actor::system("立法期限扫描");
    for id in ids {
        let Some(t) = model::task(db, id).await? else { continue };
        let Some(deadline) = calendar::parse_date(&t.deadline) else { continue };
        let overdue = now >= t.deadline_at;
        let warn = !overdue && cal.working_days_between(today, deadline) <= i64::from(WARN_WORKING_DAYS);
        let stamped = db::query_rows(db, "SELECT warned_for FROM leg_tasks WHERE id = $1", vec![id.into()]).await?;
        let warned_for: Option<String> = stamped.first().and_then(|r| r.try_get_by_index(0).ok()).flatten();
        if !overdue && (!warn || warned_for.as_deref() == Some(t.deadline.as_str())) {
            continue;
        }
        writer
            .run(async |txn| {
                let accounts =
                    super::comments::addressee_accounts(txn, id).await.map_err(|e| DbErr::Custom(e.detail()))?;
                let d = model::draft(txn, t.draft_id).await?;
                let title = d.as_ref().map(|d| d.title.clone()).unwrap_or_default();
                let link = format!("/console/legislation/tasks/{id}");
                if overdue {
                    crate::notify::inbox_all(
                        txn,
                        &accounts,
                        "立法意见已超期",
                        &format!("《{title}》的意见应于 {} 前反馈，已超期。", t.deadline),
                        Some(&link),
                    )
                    .await?;
                    if let Some(d) = &d {
                        let staff = staff_of(txn, d).await?;
                        crate::notify::inbox_all(
                            txn,
                            &staff,
                            "立法意见超期未反馈",
                            &format!("{}对《{title}》的意见已超期未反馈。", t.target_name),
                            Some(&link),
                        )
                        .await?;
                    }
                    db::exec(txn, "UPDATE leg_tasks SET overdue_for = deadline WHERE id = $1", vec![id.into()]).await?;
                } else {
                    crate::notify::inbox_all(
                        txn,
                        &accounts,
                        "立法意见即将到期",
                        &format!("《{title}》的意见请于 {} 前反馈。", t.deadline),
                        Some(&link),
                    )
                    .await?;
                    db::exec(txn, "UPDATE leg_tasks SET warned_for = deadline WHERE id = $1", vec![id.into()]).await?;
                }
                Change::audited(
                    "leg_task_deadline",
                    "legislation_task",
                    id,
                    if overdue { "超期".to_string() } else { "预警".to_string() },
                )
                .append(txn, key, &system)
                .await?;
                Ok::<_, DbErr>(())
            })
            .await?;
        if overdue {
            report.overdue += 1;
        } else {
            report.warned += 1;
        }
    }
    Ok(report)
}
