//! 审计日志 (PLAT-9, PLAT-18): the chain's status, each entry with what it is about by name —
//! a record's title or a person's masked name, never personal data in clear — filtered by
//! who, action, record type and date range, and the filtered entries as .xlsx (audited).

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppResult, FieldError};
use crate::app::extract::Query;
use crate::app::guard;
use crate::app::pages::{Errors, Layout};
use crate::app::paging::Pager;
use crate::app::query;
use crate::app::state::AppState;
use crate::audit::{self, Entry};
use crate::auth::{Action, Resource};
use crate::calendar::deadline_end;
use crate::db;
use crate::export::{Cell, Table, content_disposition, to_xlsx};

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(audit_page)).route("/console/admin/audit/export", get(audit_export))
}

const PATH: &str = "/console/admin/audit";
const PAGE_SIZE: u64 = 100;
/// An export holds at most this many entries (the newest of the filter); the page says so.
const EXPORT_MAX: u64 = 20_000;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    who: Option<String>,
    action: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    page: Option<String>,
}

/// The filter, read once: who (part of the actor's name), action code, record type and the
/// Beijing dates from–to inclusive.
#[derive(Default)]
struct AuditFilter {
    who: String,
    action: String,
    kind: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// The admin's organ subtree when below the top organ: only entries about records of
    /// those organs (the top organ's admin also sees the entries about no organ — sign-ins,
    /// installation settings).
    subtree: Option<String>,
}

/// The subtree an admin reads: none (everything) at the top organ.
fn subtree_of(p: &crate::auth::Principal) -> Option<String> {
    (p.organ_path.matches('/').count() > 2).then(|| p.organ_path.clone())
}

impl AuditQuery {
    fn filter(&self, s: &AppState) -> (AuditFilter, Errors) {
        let mut errors = Vec::new();
        let mut date = |field: &str, label: &str, v: &Option<String>| {
            let raw = query::text(v);
            if raw.is_empty() {
                return None;
            }
            let d = crate::app::fmt::parse_date(&raw);
            if d.is_none() {
                errors.push(FieldError {
                    field: field.into(),
                    message: format!("{label}「{raw}」不是有效日期，例如 2026-12-01"),
                });
            }
            d
        };
        let from = date("from", "起始日期", &self.from);
        let to = date("to", "截止日期", &self.to);
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            errors.push(FieldError { field: "to".into(), message: "截止日期不能早于起始日期".into() });
        }
        let mut action = query::text(&self.action);
        if !action.is_empty() && !s.modules.action_labels().any(|(a, _)| a == action) {
            errors.push(FieldError {
                field: "action".into(), message: "没有这种操作，请从列表中选择".into()
            });
            action.clear();
        }
        let mut kind = query::text(&self.kind);
        if !kind.is_empty() && s.modules.record(&kind).is_none() {
            errors.push(FieldError {
                field: "kind".into(), message: "没有这种记录类型，请从列表中选择".into()
            });
            kind.clear();
        }
        (AuditFilter { who: query::text(&self.who), action, kind, from, to, subtree: None }, Errors(errors))
    }
}

impl AuditFilter {
    fn sql(&self) -> (String, Vec<sea_orm::Value>) {
        let mut cond = vec!["1 = 1".to_string()];
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let mut push = |cond: &mut Vec<String>, sql: &str, v: sea_orm::Value| {
            values.push(v);
            cond.push(sql.replace('?', &format!("${}", values.len())));
        };
        if !self.who.is_empty() {
            push(&mut cond, "actor LIKE ? ESCAPE '\\'", format!("%{}%", db::like_escape(&self.who)).into());
        }
        if !self.action.is_empty() {
            push(&mut cond, "action = ?", self.action.clone().into());
        }
        if !self.kind.is_empty() {
            push(&mut cond, "target_type = ?", self.kind.clone().into());
        }
        if let Some(d) = self.from {
            push(&mut cond, "at >= ?", (deadline_end(d) - 86_400).into());
        }
        if let Some(d) = self.to {
            push(&mut cond, "at < ?", deadline_end(d).into());
        }
        if let Some(path) = &self.subtree {
            push(
                &mut cond,
                "organ_id IN (SELECT id FROM organs WHERE path LIKE ? ESCAPE '\\')",
                format!("{}%", db::like_escape(path)).into(),
            );
        }
        (cond.join(" AND "), values)
    }

    fn query_string(&self) -> String {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let pairs = [
            ("who", self.who.clone()),
            ("action", self.action.clone()),
            ("kind", self.kind.clone()),
            ("from", date(self.from)),
            ("to", date(self.to)),
        ];
        serde_urlencoded::to_string(pairs.iter().filter(|(_, v)| !v.is_empty()).collect::<Vec<_>>()).unwrap_or_default()
    }
}

const COLS: &str = "seq, at, actor_id, actor, on_behalf_of, action, target_type, target_id, organ_id, summary, client, prev_hash, hash";

async fn entries(s: &AppState, f: &AuditFilter, before: Option<i64>, limit: u64) -> AppResult<Vec<Entry>> {
    let (mut cond, mut values) = f.sql();
    if let Some(b) = before {
        values.push(b.into());
        cond.push_str(&format!(" AND seq < ${}", values.len()));
    }
    values.push((limit as i64).into());
    let sql = format!("SELECT {COLS} FROM audit_log WHERE {cond} ORDER BY seq DESC LIMIT ${}", values.len());
    Ok(db::query_all(&s.db, &sql, values).await?)
}

/// The titles of the records the entries are about, one query per record type and title source
/// on the page: where each kind's module says (`Modules::titles`, by table and column names
/// only, so the platform stays below the domains); a kind without one shows its number.
async fn titles(s: &AppState, entries: &[Entry]) -> AppResult<HashMap<(String, String), String>> {
    let refs: Vec<(String, String)> = entries.iter().map(|e| (e.target_type.clone(), e.target_id.clone())).collect();
    record_titles(s, &refs).await
}

/// The titles of records given as (record kind, id): the audit log's entries, the inbox's
/// messages (`system::console`).
pub(crate) async fn record_titles(
    s: &AppState,
    refs: &[(String, String)],
) -> AppResult<HashMap<(String, String), String>> {
    let mut out = HashMap::new();
    let mut kinds: Vec<&str> = refs.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        for t in s.modules.titles(kind) {
            let ids: Vec<i64> = refs
                .iter()
                .filter(|(k, id)| k == kind && !out.contains_key(&(k.clone(), id.clone())))
                .filter_map(|(_, id)| id.parse().ok())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let sql = format!("SELECT {k}, {n} FROM {tb} WHERE {k} IN ({list})", k = t.key, n = t.column, tb = t.table);
            for r in db::query_rows(&s.db, &sql, vec![]).await? {
                let id: i64 = r.try_get_by_index(0)?;
                let title: Option<String> = r.try_get_by_index(1)?;
                let title = title.unwrap_or_default();
                let shown = if t.person { crate::privacy::mask_name(&title) } else { title };
                out.insert((kind.to_string(), id.to_string()), shown);
            }
        }
    }
    Ok(out)
}

pub struct AuditLine {
    pub seq: i64,
    pub when: String,
    pub actor: String,
    pub action: String,
    /// The record type in Chinese.
    pub kind: String,
    /// The record's title (masked for a person), or its number when it has none.
    pub target: String,
    pub summary: String,
    pub client: String,
}

async fn lines(s: &AppState, entries: Vec<Entry>) -> AppResult<Vec<AuditLine>> {
    let titles = titles(s, &entries).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let t = s.modules.record(&e.target_type);
            let title = titles.get(&(e.target_type.clone(), e.target_id.clone()));
            AuditLine {
                seq: e.seq,
                when: crate::app::fmt::datetime(e.at),
                actor: e.actor,
                action: s.modules.label(&e.action).to_string(),
                kind: t.map_or(e.target_type.clone(), |t| t.label.to_string()),
                target: match title {
                    Some(n) if !n.is_empty() => n.clone(),
                    _ if e.target_id.parse::<i64>().is_ok() => format!("#{}", e.target_id),
                    _ => e.target_id.clone(),
                },
                summary: e.summary,
                client: e.client,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditTpl {
    l: Layout,
    status: ChainStatus,
    lines: Vec<AuditLine>,
    errors: Errors,
    who: String,
    action: String,
    kind: String,
    from: String,
    to: String,
    actions: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    qs: String,
    pager: Pager,
    export_max: u64,
}

/// What the audit page says of the chain: this view's check of the newest entries, and the
/// newest whole check with who ran it when.
struct ChainStatus {
    /// Entries walked by this view: after entry `after` (0: all) up to the head.
    after: i64,
    /// The last entry (shown to the top organ only), or the fault found now.
    now: Result<Option<i64>, String>,
    /// Whether the viewer may see how long the chain is (the top organ).
    top: bool,
    /// The newest whole check: when (Beijing time), by whom, and its finding.
    whole: Option<(String, &'static str, Result<i64, String>)>,
}

impl ChainStatus {
    fn of(c: audit::checks::TailCheck, top: bool) -> ChainStatus {
        ChainStatus {
            after: c.after,
            top,
            now: c.result.map(|n| top.then_some(n)).map_err(|e| e.to_string()),
            whole: c.last_whole.map(|w| {
                let finding = if w.ok { Ok(w.to_seq) } else { Err(w.problem.clone()) };
                (crate::app::fmt::datetime(w.at), w.by_label(), finding)
            }),
        }
    }
}

async fn audit_page(Console { page, p, s, ip }: Console, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::AuditLog { organ_path: &p.organ_path }, "audit").await?;
    let (mut f, errors) = q.filter(&s);
    f.subtree = subtree_of(&p);
    // The entries after the newest checkpoint are walked now; older ones by the daily whole
    // check (`audit::checks`). How long the chain is is the top organ's business only.
    let check = audit::checks::check_tail(&s.db, s.audit_key(), db::now()).await?;
    let status = ChainStatus::of(check, f.subtree.is_none());
    let (cond, values) = f.sql();
    let total = db::scalar_i64(&s.db, &format!("SELECT count(*) FROM audit_log WHERE {cond}"), values).await?;
    let before = query::id(&q.before);
    let mut rows = entries(&s, &f, before, PAGE_SIZE + 1).await?;
    let next = (rows.len() as u64 > PAGE_SIZE).then(|| format!("before={}", rows[PAGE_SIZE as usize - 1].seq));
    rows.truncate(PAGE_SIZE as usize);
    let qs = f.query_string();
    let mut actions: Vec<_> = s.modules.action_labels().collect();
    actions.sort_by_key(|(_, l)| *l);
    actions.dedup_by_key(|(a, _)| *a);
    let tpl = AuditTpl {
        l: page.layout("审计日志", &[(PATH, "审计日志")]),
        status,
        lines: lines(&s, rows).await?,
        who: f.who.clone(),
        action: f.action.clone(),
        kind: f.kind.clone(),
        from: query::text(&q.from),
        to: query::text(&q.to),
        actions,
        kinds: s.modules.records().map(|t| (t.kind, t.label)).collect(),
        pager: Pager::new(PATH, &qs, total, PAGE_SIZE, Pager::page_param(q.page.as_deref()), next),
        qs,
        export_max: EXPORT_MAX,
        errors,
    };
    let code = if tpl.errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, axum::response::Html(tpl.render()?)).into_response())
}

/// The filtered entries (the newest `EXPORT_MAX`) as .xlsx; the export is itself audited.
async fn audit_export(Caller { p, s, ip }: Caller, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::AuditLog { organ_path: &p.organ_path }, "export").await?;
    let (mut f, errors) = q.filter(&s);
    f.subtree = subtree_of(&p);
    if let Some(e) = errors.0.into_iter().next() {
        return Err(crate::app::error::AppError::invalid(&e.field, e.message));
    }
    let rows = lines(&s, entries(&s, &f, None, EXPORT_MAX).await?).await?;
    let count = rows.len();
    let table = Table {
        title: "审计日志".into(),
        headers: ["序号", "时间", "操作人", "操作", "记录类型", "对象", "摘要", "来源"].map(String::from).to_vec(),
        rows: rows
            .into_iter()
            .map(|l| {
                vec![
                    Cell::Int(l.seq),
                    Cell::Text(l.when),
                    Cell::Text(l.actor),
                    Cell::Text(l.action),
                    Cell::Text(l.kind),
                    Cell::Text(l.target),
                    Cell::Text(l.summary),
                    Cell::Text(l.client),
                ]
            })
            .collect(),
    };
    let bytes = to_xlsx(&table);
    audit::record_export(&s.writer, s.audit_key(), &guard::actor(&p, &ip), Some(p.organ_id), "审计日志", count, false)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition("审计日志", "xlsx")),
        ],
        bytes,
    )
        .into_response())
}
