//! The annual handling report (SUG-12): 「关于2026年代表建议办理情况的报告」 drafted from the
//! year's figures — paragraphs on what was received and given to the units, replied on time,
//! A/B/C, satisfaction, 重点建议, 二次办理, carry-overs and the units with the lowest figures —,
//! then the tables; printable (`/console/suggestions/report?year=`), and the same figures as an
//! .xlsx workbook (`&format=xlsx`: 总体, 承办单位, 类别, 代表小组, 重点建议), audited as an export.
//! Once staff have closed the year's 满意度测评 (SUG-10), a paragraph and the ranking by 满意率
//! (per mille) join the report, and a sixth sheet 满意度测评 the workbook.
//! Organ workers of the subtree only.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::evaluation::{self, UnitResult};
use super::model::Stage;
use super::stats::{Period, Stats, figures, group_kind_label, percent};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::Query;
use crate::app::guard;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::auth::{Action, Resource};
use crate::ballot::model::Tally;
use crate::export::{Cell, Table, to_xlsx_book};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/suggestions/report", get(report))
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    year: Option<i64>,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "suggestions/report.html")]
struct ReportTpl {
    l: Layout,
    title: String,
    organ: String,
    date: String,
    year: i64,
    paragraphs: Vec<String>,
    f: Stats,
    /// The closed 测评 of the year: its ranking.
    evaluation: Vec<UnitResult>,
}

async fn report(Console { page, p, s, ip }: Console, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "suggestion_report")
        .await?;
    let xlsx = match q.format.as_deref().map(str::trim) {
        None | Some("" | "html") => false,
        Some("xlsx") => true,
        Some(_) => return Err(AppError::invalid("format", "format 应为 html 或 xlsx")),
    };
    let now = crate::db::now();
    let this_year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    let period = Period::checked(Some(q.year.unwrap_or(this_year)), None)?;
    let year = period.year.unwrap_or(this_year);
    let f = figures(&s, &p, period).await?;
    let closed = evaluation::closed_of_year(&s.db, &s.crypto, p.organ_id, year).await?;
    let organ = crate::db::query_rows(&s.db, "SELECT name FROM organs WHERE id = $1", vec![p.organ_id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let title = format!("关于{year}年代表建议办理情况的报告");
    if xlsx {
        let mut tables = workbook(&f);
        if let Some((b, t)) = &closed {
            let (_, headers, rows) = evaluation::export_rows(b, t);
            tables.push(table("满意度测评", &headers, rows));
        }
        let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
        crate::audit::record_export(
            &s.writer,
            s.audit_key(),
            &guard::actor(&p, &ip),
            Some(p.organ_id),
            &format!("代表建议办理情况（{year}年）"),
            rows,
            false,
        )
        .await?;
        return Ok(crate::app::listing::xlsx(to_xlsx_book(&tables), &format!("{year}年代表建议办理情况")));
    }
    let date = crate::app::fmt::date_prose(now);
    render(&ReportTpl {
        l: page.layout(&title, &[("/console/suggestions", "代表建议"), ("/console/suggestions/stats", "建议办理统计")]),
        paragraphs: {
            let mut out = paragraphs(year, &organ, &date, &f);
            if let Some((_, t)) = &closed {
                out.extend(evaluation_paragraph(year, t));
            }
            out
        },
        evaluation: closed.as_ref().map(|(_, t)| evaluation::results(t)).unwrap_or_default(),
        title,
        organ,
        date,
        year,
        f,
    })
}

/// The paragraph on the year's closed 满意度测评: turnout, the best and the lowest 满意率.
pub fn evaluation_paragraph(year: i64, t: &Tally) -> Option<String> {
    let results = evaluation::results(t);
    let (first, last) = (results.first()?, results.last()?);
    let mut out = format!(
        "{year}年度代表建议办理满意度测评对{}个承办单位进行，应参加{}人，实参加{}人，参加率{}。",
        results.len(),
        t.electors,
        t.voted,
        percent(Some(t.turnout))
    );
    if t.voted > 0 {
        out.push_str(&format!(
            "满意率（满意与基本满意票占所得票数）最高的是{}（{}），最低的是{}（{}），排名见下表。",
            first.unit,
            percent(Some(first.rate)),
            last.unit,
            percent(Some(last.rate))
        ));
    }
    Some(out)
}

/// How many of the suggestions are in the loop (registered or later).
fn registered(f: &Stats) -> i64 {
    f.by_state.iter().filter(|s| Stage::parse(&s.state).is_none_or(|st| st == Stage::Registered)).map(|s| s.count).sum()
}

/// The report's prose, drafted from the figures (the staff edit it before it goes out).
pub fn paragraphs(year: i64, organ: &str, date: &str, f: &Stats) -> Vec<String> {
    let o = &f.overall;
    let t = &o.tally;
    let mut out = Vec::new();
    out.push(format!(
        "{year}年，{organ}共收到代表建议{}件，已登记{}件，交办{}件，分别由{}个承办单位办理。",
        t.received,
        registered(f),
        t.assigned,
        o.units
    ));
    if t.replied == 0 {
        out.push(format!("截至{date}，承办单位尚未答复。"));
    } else {
        out.push(format!(
            "截至{date}，已答复{}件，占交办数的{}；其中在答复期限内答复{}件，按期答复率{}。",
            t.replied,
            percent(super::stats::permille(t.replied, t.assigned)),
            t.on_time,
            percent(o.on_time_permille)
        ));
        out.push(format!(
            "从答复类别看，A类（已解决或基本解决）{}件，占{}；B类（正在解决或列入计划逐步解决）{}件，占{}；\
             C类（因条件限制需以后解决或留作参考）{}件，占{}。解决率为{}。",
            t.a,
            percent(o.a_permille),
            t.b,
            percent(o.b_permille),
            t.c,
            percent(o.c_permille),
            percent(o.solved_permille)
        ));
    }
    let rated = |g: [i64; 3]| g.iter().sum::<i64>() > 0;
    if rated(o.reply_ratings) || rated(o.result_ratings) {
        let [rs, rb, ru] = o.reply_ratings;
        let [ds, db, du] = o.result_ratings;
        out.push(format!(
            "代表对承办单位答复的满意率为{}（满意{rs}人次、基本满意{rb}人次、不满意{ru}人次），\
             对办理结果的满意率为{}（满意{ds}人次、基本满意{db}人次、不满意{du}人次）。",
            percent(o.reply_satisfied_permille),
            percent(o.result_satisfied_permille)
        ));
        out.push(format!("代表不满意的评价共{}人次，{}件建议进入二次办理。", o.unsatisfied, t.rehandled));
    } else {
        out.push("代表尚未对答复作出评价。".into());
    }
    if t.key_items > 0 {
        out.push(format!("确定重点建议{}件，由常委会领导领衔督办，已办结{}件。", t.key_items, o.key_closed));
    }
    let mut carry = Vec::new();
    if t.carried > 0 {
        carry.push(format!("{}件建议由上年度结转办理", t.carried));
    }
    if o.following > 0 {
        carry.push(format!("{}件B类建议仍在跟踪办理，未解决的将结转下一年度继续办理", o.following));
    }
    if !carry.is_empty() {
        out.push(format!("{}。", carry.join("；")));
    }
    // The units with the lowest figures, at most three of each kind.
    let mut late: Vec<_> = f.units.iter().filter(|u| u.on_time_permille.is_some_and(|x| x < 1000)).collect();
    late.sort_by_key(|u| (u.on_time_permille, u.unit.clone()));
    let mut unhappy: Vec<_> =
        f.units.iter().filter(|u| u.result_satisfied_permille.is_some_and(|x| x < 1000)).collect();
    unhappy.sort_by_key(|u| (u.result_satisfied_permille, u.unit.clone()));
    let named = |v: Vec<String>| v.join("、");
    let mut low = Vec::new();
    if !late.is_empty() {
        low.push(format!(
            "按期答复率较低的承办单位有：{}",
            named(late.iter().take(3).map(|u| format!("{}（{}）", u.unit, percent(u.on_time_permille))).collect())
        ));
    }
    if !unhappy.is_empty() {
        low.push(format!(
            "办理满意率较低的有：{}",
            named(
                unhappy
                    .iter()
                    .take(3)
                    .map(|u| format!("{}（{}）", u.unit, percent(u.result_satisfied_permille)))
                    .collect()
            )
        ));
    }
    if low.is_empty() {
        if t.replied > 0 {
            out.push("各承办单位均按期答复。".into());
        }
    } else {
        out.push(format!("{}。请上述单位认真分析原因，切实改进办理工作。", low.join("；")));
    }
    out
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn table(title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table { title: title.into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows }
}

/// The workbook: 总体, 承办单位, 类别, 代表小组, 重点建议.
fn workbook(f: &Stats) -> Vec<Table> {
    let o = &f.overall;
    let t = &o.tally;
    let line = |k: &str, v: Cell| vec![text(k), v];
    let overall = vec![
        line("收到建议（件）", Cell::Int(t.received)),
        line("已登记（件）", Cell::Int(registered(f))),
        line("交办（件）", Cell::Int(t.assigned)),
        line("承办单位（个）", Cell::Int(o.units)),
        line("已答复（件）", Cell::Int(t.replied)),
        line("按期答复（件）", Cell::Int(t.on_time)),
        line("按期答复率", Cell::per_mille(o.on_time_permille)),
        line("A类（件）", Cell::Int(t.a)),
        line("B类（件）", Cell::Int(t.b)),
        line("C类（件）", Cell::Int(t.c)),
        line("A类占比", Cell::per_mille(o.a_permille)),
        line("B类占比", Cell::per_mille(o.b_permille)),
        line("C类占比", Cell::per_mille(o.c_permille)),
        line("解决率", Cell::per_mille(o.solved_permille)),
        line("答复满意（人次）", Cell::Int(o.reply_ratings[0])),
        line("答复基本满意（人次）", Cell::Int(o.reply_ratings[1])),
        line("答复不满意（人次）", Cell::Int(o.reply_ratings[2])),
        line("答复满意率", Cell::per_mille(o.reply_satisfied_permille)),
        line("办理结果满意（人次）", Cell::Int(o.result_ratings[0])),
        line("办理结果基本满意（人次）", Cell::Int(o.result_ratings[1])),
        line("办理结果不满意（人次）", Cell::Int(o.result_ratings[2])),
        line("办理满意率", Cell::per_mille(o.result_satisfied_permille)),
        line("不满意（人次）", Cell::Int(o.unsatisfied)),
        line("二次办理（件）", Cell::Int(t.rehandled)),
        line("重点建议（件）", Cell::Int(t.key_items)),
        line("重点建议已办结（件）", Cell::Int(o.key_closed)),
        line("上年结转（件）", Cell::Int(t.carried)),
        line("跟踪办理（件）", Cell::Int(o.following)),
    ];
    let units = f
        .units
        .iter()
        .map(|u| {
            vec![
                Cell::Int(u.rank),
                text(u.unit.clone()),
                Cell::Int(u.assigned),
                Cell::Int(u.replied),
                Cell::Int(u.on_time),
                Cell::per_mille(u.on_time_permille),
                Cell::Int(u.classes.a),
                Cell::Int(u.classes.b),
                Cell::Int(u.classes.c),
                Cell::per_mille(u.solved_permille),
                Cell::Int(u.reply_ratings[0]),
                Cell::Int(u.reply_ratings[1]),
                Cell::Int(u.reply_ratings[2]),
                Cell::per_mille(u.reply_satisfied_permille),
                Cell::Int(u.result_ratings[0]),
                Cell::Int(u.result_ratings[1]),
                Cell::Int(u.result_ratings[2]),
                Cell::per_mille(u.result_satisfied_permille),
                Cell::Int(u.unsatisfied),
                Cell::Int(u.rehandled),
            ]
        })
        .collect();
    let categories = f
        .categories
        .iter()
        .map(|c| {
            let t = &c.tally;
            vec![
                text(if c.category.is_empty() { "未分类".to_string() } else { c.category.clone() }),
                Cell::Int(t.received),
                Cell::Int(t.assigned),
                Cell::Int(t.replied),
                Cell::Int(t.on_time),
                Cell::per_mille(c.on_time_permille),
                Cell::Int(t.a),
                Cell::Int(t.b),
                Cell::Int(t.c),
                Cell::per_mille(c.solved_permille),
                Cell::Int(t.rehandled),
                Cell::Int(t.key_items),
            ]
        })
        .collect();
    let groups = f
        .groups
        .iter()
        .map(|g| {
            vec![
                text(g.name.clone()),
                text(group_kind_label(&g.kind)),
                Cell::Int(g.led.received),
                Cell::Int(g.cosigned),
                Cell::Int(g.led.replied),
                Cell::Int(g.led.on_time),
                Cell::Int(g.led.a),
                Cell::Int(g.led.b),
                Cell::Int(g.led.c),
                Cell::per_mille(g.solved_permille),
            ]
        })
        .collect();
    let keys = f
        .key_items
        .iter()
        .map(|k| {
            vec![
                text(k.number_label.clone()),
                text(k.title.clone()),
                text(k.lead.clone()),
                text(k.leader.clone()),
                text(k.state_label.clone()),
                k.deadline.clone().map(Cell::Text).unwrap_or(Cell::Empty),
                k.class.clone().map(Cell::Text).unwrap_or(Cell::Empty),
                text(if k.overdue { "超期" } else { "" }),
            ]
        })
        .collect();
    vec![
        table("总体", &["项目", "数值"], overall),
        table(
            "承办单位",
            &[
                "名次",
                "承办单位",
                "交办",
                "已答复",
                "按期答复",
                "按期答复率",
                "A类",
                "B类",
                "C类",
                "解决率",
                "答复满意",
                "答复基本满意",
                "答复不满意",
                "答复满意率",
                "结果满意",
                "结果基本满意",
                "结果不满意",
                "办理满意率",
                "不满意",
                "二次办理",
            ],
            units,
        ),
        table(
            "类别",
            &[
                "类别",
                "件数",
                "交办",
                "已答复",
                "按期答复",
                "按期答复率",
                "A类",
                "B类",
                "C类",
                "解决率",
                "二次办理",
                "重点建议",
            ],
            categories,
        ),
        table(
            "代表小组",
            &["名称", "类型", "领衔", "联名", "已答复", "按期答复", "A类", "B类", "C类", "解决率"],
            groups,
        ),
        table("重点建议", &["编号", "标题", "领衔代表", "领衔督办", "状态", "答复期限", "答复类别", "超期"], keys),
    ]
}
