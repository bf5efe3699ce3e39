//! The working-day calendar's console page (`/console/calendar`, 工作日历): the exceptions
//! of a year to the weekday rule, and for the admin the forms that set and remove a day. A
//! change queues the re-expansion of the stations' duty slots.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use super::{Calendar, Day, DayKind, beijing_date, days, remove_day, set_day};
use crate::app::caller::{Caller, Console};
use crate::app::extract::{Form, Query};
use crate::app::forms::{allowed, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};
use crate::base::error::{AppError, AppResult};
use crate::base::fmt::parse_iso_date;
use crate::{db, jobs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/calendar", get(calendar_page).post(calendar_set))
        .route("/console/calendar/{day}/remove", post(calendar_remove))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

pub struct DayLine {
    pub date: String,
    pub weekday: &'static str,
    pub kind: DayKind,
    pub name: String,
}

impl DayLine {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }
    pub fn is_holiday(&self) -> bool {
        self.kind == DayKind::Holiday
    }
}

#[derive(Template)]
#[template(path = "calendar/days.html")]
struct CalendarTpl {
    l: Layout,
    year: i32,
    years: Vec<i32>,
    days: Vec<DayLine>,
    can_edit: bool,
    holidays: usize,
    workdays: usize,
    working_days_in_year: i64,
    errors: Errors,
}

fn weekday(d: chrono::NaiveDate) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][d.weekday().num_days_from_monday() as usize]
}

async fn calendar_tpl(s: &AppState, p: &Principal, page: &Page, year: i32, errors: Errors) -> AppResult<CalendarTpl> {
    let all = days(&s.db).await?;
    let cal = Calendar::new(all.iter().map(|d| (d.date, d.kind)));
    let mut years: Vec<i32> = all.iter().map(|d| d.date.year()).collect();
    let this_year = beijing_date(db::now()).year();
    years.extend([this_year, this_year + 1]);
    years.sort_unstable();
    years.dedup();
    let days: Vec<DayLine> = all
        .into_iter()
        .filter(|d| d.date.year() == year)
        .map(|d| DayLine {
            date: d.date.format("%Y-%m-%d").to_string(),
            weekday: weekday(d.date),
            kind: d.kind,
            name: d.name,
        })
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    Ok(CalendarTpl {
        l: page.layout(&format!("工作日历 {year}"), &[("/console/calendar", "工作日历")]),
        year,
        years,
        holidays: days.iter().filter(|d| d.kind == DayKind::Holiday).count(),
        workdays: days.iter().filter(|d| d.kind == DayKind::Workday).count(),
        days,
        can_edit: allowed(p, Action::Update, &Resource::Settings),
        working_days_in_year: cal.working_days_between(start - chrono::Duration::days(1), end),
        errors,
    })
}

async fn calendar_page(Console { page, p, s, ip }: Console, Query(q): Query<YearQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "calendar").await?;
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| beijing_date(db::now()).year());
    render(&calendar_tpl(&s, &p, &page, year, Default::default()).await?)
}

#[derive(Default, Deserialize)]
pub struct DayForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
}

impl DayForm {
    fn day(&self) -> AppResult<Day> {
        let date =
            parse_iso_date(&self.date).ok_or_else(|| AppError::invalid("date", "请按 2026-10-01 的格式填写日期"))?;
        let kind = DayKind::parse(&self.kind).ok_or_else(|| AppError::invalid("kind", "请选择放假或调休上班"))?;
        if self.name.chars().count() > 40 {
            return Err(AppError::invalid("name", "名称不能超过 40 字"));
        }
        let name = if self.name.is_empty() { kind.label().to_string() } else { self.name.clone() };
        Ok(Day { date, kind, name })
    }
}

async fn calendar_set(Console { page, p, s, ip }: Console, Form(f): Form<DayForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, "calendar").await?;
    let result = async {
        let day = f.day()?;
        write(&s, &p, &ip, async |w| {
            set_day(w.txn(), w.key(), w.actor(), &day).await?;
            duty_slots_follow(w.txn()).await
        })
        .await?;
        Ok::<_, AppError>(day)
    }
    .await;
    form_answer(
        result,
        |day| {
            redirect_with_flash(
                &format!("/console/calendar?year={}", day.date.year()),
                &format!("{} 已设为{}", day.date.format("%Y-%m-%d"), day.kind.label()),
            )
        },
        async |errors| {
            let year = beijing_date(db::now()).year();
            unprocessable(&calendar_tpl(&s, &p, &page, year, errors).await?)
        },
    )
    .await
}

async fn calendar_remove(Caller { p, s, ip }: Caller, Path(day): Path<String>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, &day).await?;
    let date = parse_iso_date(&day).ok_or(AppError::NotFound)?;
    let removed = write(&s, &p, &ip, async |w| {
        let removed = remove_day(w.txn(), w.key(), w.actor(), date).await?;
        duty_slots_follow(w.txn()).await?;
        Ok(removed)
    })
    .await?;
    if !removed {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with_flash(&format!("/console/calendar?year={}", date.year()), "已恢复按星期计算"))
}

/// The stations' duty slots follow the calendar: a changed day re-expands the duty rules
/// (the registry's daily `extend_duty_slots` job, queued now to run at once).
async fn duty_slots_follow<C: sea_orm::ConnectionTrait>(c: &C) -> AppResult<()> {
    jobs::enqueue(c, "extend_duty_slots", &serde_json::json!({}), None, db::now()).await?;
    Ok(())
}
