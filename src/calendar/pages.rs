//! The working-day calendar's console page (`/console/calendar`, 工作日历): the exceptions
//! of a year to the weekday rule — for a provisional year its statutory holidays, marked 暂定 —
//! and for the admin the forms that set and remove a day or a range, read the State Council's
//! notice (preview, then save on confirmation) and confirm a year entered by hand. A change
//! queues the re-expansion of the stations' duty slots; a year made official recounts the open
//! deadlines (`calendar::publish_year`).

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use super::notice::{self, Notice};
use super::{Calendar, Day, DayKind, YearSource, beijing_date, days, load, lunar, publish_year, remove_day, set_day};
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
        .route("/console/calendar/notice", post(notice_preview))
        .route("/console/calendar/notice/save", post(notice_save))
        .route("/console/calendar/confirm", post(year_confirm))
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
    /// A statutory holiday standing in for a year not entered (not a listed day).
    pub provisional: bool,
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
    /// The year shown is provisional; the provisional years from this year on, said once.
    provisional: bool,
    provisional_years: String,
    /// The year the notice form proposes (the year shown when provisional, else next year),
    /// and the text pasted when it is shown again with an error.
    notice_year: i32,
    text: String,
    errors: Errors,
}

fn weekday(d: chrono::NaiveDate) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][d.weekday().num_days_from_monday() as usize]
}

/// 「2027–2060 年」: consecutive years said as ranges.
fn year_ranges(years: &[i32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < years.len() {
        let mut j = i;
        while j + 1 < years.len() && years[j + 1] == years[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { years[i].to_string() } else { format!("{}–{}", years[i], years[j]) });
        i = j + 1;
    }
    if parts.is_empty() { String::new() } else { format!("{} 年", parts.join("、")) }
}

async fn calendar_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    year: i32,
    text: String,
    errors: Errors,
) -> AppResult<CalendarTpl> {
    let all = days(&s.db).await?;
    let cal: Calendar = load(&s.db).await?;
    let mut years: Vec<i32> = all.iter().map(|d| d.date.year()).collect();
    let this_year = beijing_date(db::now()).year();
    years.extend([this_year, this_year + 1, year]);
    years.sort_unstable();
    years.dedup();
    let provisional = cal.is_provisional(year);
    let mut lines: Vec<Day> = all.into_iter().filter(|d| d.date.year() == year).collect();
    let listed: std::collections::BTreeSet<_> = lines.iter().map(|d| d.date).collect();
    let standing_in: Vec<Day> = if provisional {
        lunar::statutory_holidays(year).into_iter().filter(|d| !listed.contains(&d.date)).collect()
    } else {
        Vec::new()
    };
    lines.extend(standing_in.iter().cloned());
    lines.sort_by_key(|d| d.date);
    let days: Vec<DayLine> = lines
        .into_iter()
        .map(|d| DayLine {
            date: d.date.format("%Y-%m-%d").to_string(),
            weekday: weekday(d.date),
            kind: d.kind,
            provisional: standing_in.iter().any(|x| x.date == d.date),
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
        provisional,
        provisional_years: year_ranges(&cal.provisional_years(this_year)),
        notice_year: if provisional { year } else { this_year + 1 },
        text,
        errors,
    })
}

async fn calendar_page(Console { page, p, s, ip }: Console, Query(q): Query<YearQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "calendar").await?;
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| beijing_date(db::now()).year());
    render(&calendar_tpl(&s, &p, &page, year, String::new(), Default::default()).await?)
}

#[derive(Default, Deserialize)]
pub struct DayForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    /// The last day of a range (optional): every day from `date` to it.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub until: String,
}

/// The longest range entered at once.
const MAX_RANGE_DAYS: usize = 31;

impl DayForm {
    fn days(&self) -> AppResult<Vec<Day>> {
        let date =
            parse_iso_date(&self.date).ok_or_else(|| AppError::invalid("date", "请按 2026-10-01 的格式填写日期"))?;
        let kind = DayKind::parse(&self.kind).ok_or_else(|| AppError::invalid("kind", "请选择放假或调休上班"))?;
        if self.name.chars().count() > 40 {
            return Err(AppError::invalid("name", "名称不能超过 40 字"));
        }
        let name = if self.name.is_empty() { kind.label().to_string() } else { self.name.clone() };
        let dates = if self.until.is_empty() {
            vec![date]
        } else {
            let until = parse_iso_date(&self.until)
                .ok_or_else(|| AppError::invalid("until", "请按 2026-10-07 的格式填写结束日期"))?;
            notice::range(date, until).filter(|r| r.len() <= MAX_RANGE_DAYS).ok_or_else(|| {
                AppError::invalid("until", format!("结束日期应在开始日期之后，一次最多 {MAX_RANGE_DAYS} 天"))
            })?
        };
        Ok(dates.into_iter().map(|date| Day { date, kind, name: name.clone() }).collect())
    }
}

async fn calendar_set(Console { page, p, s, ip }: Console, Form(f): Form<DayForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, "calendar").await?;
    let result = async {
        let days = f.days()?;
        write(&s, &p, &ip, async |w| {
            for day in &days {
                set_day(w.txn(), w.key(), w.actor(), day).await?;
            }
            duty_slots_follow(w.txn()).await
        })
        .await?;
        Ok::<_, AppError>(days)
    }
    .await;
    form_answer(
        result,
        |days| {
            let (first, last) = (&days[0], &days[days.len() - 1]);
            let what = if days.len() == 1 {
                first.date.format("%Y-%m-%d").to_string()
            } else {
                format!("{} 至 {} 共 {} 天", first.date.format("%Y-%m-%d"), last.date.format("%Y-%m-%d"), days.len())
            };
            redirect_with_flash(
                &format!("/console/calendar?year={}", first.date.year()),
                &format!("{what} 已设为{}", first.kind.label()),
            )
        },
        async |errors| {
            let year = beijing_date(db::now()).year();
            unprocessable(&calendar_tpl(&s, &p, &page, year, String::new(), errors).await?)
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

// ------------------------------------------------------------------ a year at once

#[derive(Default, Deserialize)]
pub struct NoticeForm {
    /// The notice as pasted.
    #[serde(default)]
    pub text: String,
    /// The year, when the text does not name it.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub year: String,
}

impl NoticeForm {
    fn read(&self) -> AppResult<Notice> {
        if self.text.trim().is_empty() {
            return Err(AppError::invalid("text", "请粘贴国务院办公厅关于部分节假日安排的通知全文"));
        }
        let year = if self.year.is_empty() {
            None
        } else {
            Some(
                self.year
                    .parse::<i32>()
                    .ok()
                    .filter(|y| (2000..=2100).contains(y))
                    .ok_or_else(|| AppError::invalid("year", "请填写四位年份，如 2027"))?,
            )
        };
        notice::parse(&self.text, year).map_err(|m| AppError::invalid("text", m))
    }
}

/// One item of the notice as the preview shows it.
pub struct FestivalLine {
    pub name: String,
    pub range: String,
    pub days: i64,
    pub stated: Option<u32>,
    pub workdays: String,
}

#[derive(Template)]
#[template(path = "calendar/notice.html")]
struct NoticeTpl {
    l: Layout,
    year: i32,
    festivals: Vec<FestivalLine>,
    warnings: Vec<String>,
    days: Vec<DayLine>,
    holidays: usize,
    workdays: usize,
    /// The year is official already: saving replaces it.
    replaces: bool,
    text: String,
}

fn day_text(d: chrono::NaiveDate) -> String {
    format!("{}（{}）", d.format("%Y-%m-%d"), weekday(d))
}

/// 识别: what the calendar read from the pasted notice, nothing saved yet.
async fn notice_preview(Console { page, p, s, ip }: Console, Form(f): Form<NoticeForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, "calendar").await?;
    let n = match f.read() {
        Ok(n) => n,
        Err(e) => {
            let errors = crate::app::pages::form_errors(e)?;
            let year = beijing_date(db::now()).year();
            return unprocessable(&calendar_tpl(&s, &p, &page, year, f.text.clone(), errors).await?);
        }
    };
    let days: Vec<DayLine> = n
        .days()
        .into_iter()
        .map(|d| DayLine {
            date: d.date.format("%Y-%m-%d").to_string(),
            weekday: weekday(d.date),
            kind: d.kind,
            name: d.name,
            provisional: false,
        })
        .collect();
    let festivals = n
        .festivals
        .iter()
        .map(|x| FestivalLine {
            name: x.name.clone(),
            range: if x.from == x.to {
                day_text(x.from)
            } else {
                format!("{} 至 {}", day_text(x.from), day_text(x.to))
            },
            days: x.days(),
            stated: x.stated_days,
            workdays: x.workdays.iter().map(|d| day_text(*d)).collect::<Vec<_>>().join("、"),
        })
        .collect();
    let replaces = super::official_years(&s.db).await?.contains(&n.year);
    render(&NoticeTpl {
        l: page.layout(&format!("核对 {} 年节假日安排", n.year), &[("/console/calendar", "工作日历")]),
        year: n.year,
        festivals,
        warnings: n.warnings,
        holidays: days.iter().filter(|d| d.kind == DayKind::Holiday).count(),
        workdays: days.iter().filter(|d| d.kind == DayKind::Workday).count(),
        days,
        replaces,
        text: f.text,
    })
}

/// 确认保存: the notice read again and saved as the year's official schedule; open deadlines
/// counted through the year are recounted in the same transaction.
async fn notice_save(Console { page, p, s, ip }: Console, Form(f): Form<NoticeForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, "calendar").await?;
    let result = async {
        let n = f.read()?;
        let days = n.days();
        let changed = write(&s, &p, &ip, async |w| {
            let changed =
                publish_year(&s, w.txn(), w.key(), w.actor(), n.year, Some(&days), YearSource::Notice).await?;
            duty_slots_follow(w.txn()).await?;
            Ok(changed)
        })
        .await?;
        Ok::<_, AppError>((n.year, changed))
    }
    .await;
    form_answer(
        result,
        |(year, changed)| redirect_with_flash(&format!("/console/calendar?year={year}"), &saved_flash(year, changed)),
        async |errors| {
            let year = beijing_date(db::now()).year();
            unprocessable(&calendar_tpl(&s, &p, &page, year, f.text.clone(), errors).await?)
        },
    )
    .await
}

fn saved_flash(year: i32, changed: u64) -> String {
    if changed == 0 {
        format!("{year} 年节假日安排已保存为正式安排")
    } else {
        format!("{year} 年节假日安排已保存为正式安排，{changed} 件在办事项的期限已按新安排重算（见各事项的办理记录）")
    }
}

#[derive(Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub year: String,
}

/// 确认为正式安排: a provisional year whose days the admin entered by hand becomes official.
async fn year_confirm(Caller { p, s, ip }: Caller, Form(f): Form<ConfirmForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Update, &Resource::Settings, "calendar").await?;
    let year = f
        .year
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| AppError::invalid("year", "请填写四位年份，如 2027"))?;
    if super::official_years(&s.db).await?.contains(&year) {
        return Err(AppError::Conflict(format!("{year} 年已是正式安排")));
    }
    if !days(&s.db).await?.iter().any(|d| d.date.year() == year) {
        return Err(AppError::invalid("year", format!("{year} 年还没有逐日录入的安排：请先录入，或粘贴通知全文")));
    }
    let changed = write(&s, &p, &ip, async |w| {
        let changed = publish_year(&s, w.txn(), w.key(), w.actor(), year, None, YearSource::Manual).await?;
        duty_slots_follow(w.txn()).await?;
        Ok(changed)
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/calendar?year={year}"), &saved_flash(year, changed)))
}
