//! An organ's own settings of the loop (issue 16): the daily digest of new items to its staff
//! (on or off, and the hour, Beijing time) and closing an item a 满意 rating left replied after
//! N working days (off unless the organ turns it on). One row per organ that changed them
//! (`loop_settings`); without a row the defaults apply. The organ's admin edits them at
//! `/console/handling/settings` (系统 → 办理设置).

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use sea_orm::ConnectionTrait;
use serde::Deserialize;

use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Form, Query};
use crate::app::fields::FieldErrors;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::audit::{Actor, Change};
use crate::auth::{Action, Principal, Resource};
use crate::db;

pub const PATH: &str = "/console/handling/settings";

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/handling/settings", get(page).post(save_form))
}

/// What an organ set (or the defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopSettings {
    /// The staff get a daily message with the number of new items of the organ's subtree.
    pub digest_enabled: bool,
    /// The hour (Beijing time, 0–23) it goes out.
    pub digest_hour: u32,
    /// A replied item whose round got a 满意 and no other grade is closed by itself …
    pub auto_close_enabled: bool,
    /// … this many working days after that rating.
    pub auto_close_days: u32,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings { digest_enabled: true, digest_hour: 8, auto_close_enabled: false, auto_close_days: 5 }
    }
}

/// The longest wait before closing that an organ may set (working days).
pub const MAX_AUTO_CLOSE_DAYS: u32 = 60;

/// The settings of `organ_id` (the defaults when it set none).
pub async fn of<C: ConnectionTrait>(c: &C, organ_id: i64) -> AppResult<LoopSettings> {
    let rows = db::query_rows(
        c,
        "SELECT digest_enabled, digest_hour, auto_close_enabled, auto_close_days FROM loop_settings WHERE organ_id = $1",
        vec![organ_id.into()],
    )
    .await?;
    let Some(r) = rows.first() else { return Ok(LoopSettings::default()) };
    Ok(LoopSettings {
        digest_enabled: r.try_get_by_index(0)?,
        digest_hour: r.try_get_by_index::<i64>(1)?.clamp(0, 23) as u32,
        auto_close_enabled: r.try_get_by_index(2)?,
        auto_close_days: r.try_get_by_index::<i64>(3)?.clamp(1, i64::from(MAX_AUTO_CLOSE_DAYS)) as u32,
    })
}

/// The organs that set `auto_close_enabled` (the daily scan closes their items only).
pub async fn auto_closing<C: ConnectionTrait>(c: &C) -> AppResult<Vec<(i64, u32)>> {
    let rows = db::query_rows(
        c,
        "SELECT organ_id, auto_close_days FROM loop_settings WHERE auto_close_enabled = $1 ORDER BY organ_id",
        vec![true.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let days: i64 = r.try_get_by_index(1)?;
            Ok((r.try_get_by_index(0)?, days.clamp(1, i64::from(MAX_AUTO_CLOSE_DAYS)) as u32))
        })
        .collect()
}

/// Stores an organ's settings, audited with what they now are.
pub async fn save<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    v: &LoopSettings,
    now: i64,
) -> AppResult<()> {
    let known =
        db::scalar_i64(c, "SELECT count(*) FROM loop_settings WHERE organ_id = $1", vec![organ_id.into()]).await?;
    let values = vec![
        v.digest_enabled.into(),
        i64::from(v.digest_hour).into(),
        v.auto_close_enabled.into(),
        i64::from(v.auto_close_days).into(),
        now.into(),
        organ_id.into(),
    ];
    let sql = if known > 0 {
        "UPDATE loop_settings SET digest_enabled = $1, digest_hour = $2, auto_close_enabled = $3, auto_close_days = $4, \
         updated_at = $5 WHERE organ_id = $6"
    } else {
        "INSERT INTO loop_settings (digest_enabled, digest_hour, auto_close_enabled, auto_close_days, updated_at, organ_id) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    };
    db::exec(c, sql, values).await?;
    let digest = if v.digest_enabled {
        format!("每日 {} 时发送新件汇总", v.digest_hour)
    } else {
        "不发送新件汇总".into()
    };
    let close = if v.auto_close_enabled {
        format!("满意评价后 {} 个工作日自动办结", v.auto_close_days)
    } else {
        "不自动办结".into()
    };
    Change::audited("loop_settings_save", "organ", organ_id, format!("办理设置：{digest}；{close}"))
        .in_organ(organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

// ------------------------------------------------------------------ the page

#[derive(Deserialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub organ: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub digest_enabled: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub digest_hour: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub auto_close_enabled: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub auto_close_days: String,
}

impl SettingsForm {
    fn of(organ: i64, v: LoopSettings) -> SettingsForm {
        SettingsForm {
            organ: organ.to_string(),
            digest_enabled: v.digest_enabled,
            digest_hour: v.digest_hour.to_string(),
            auto_close_enabled: v.auto_close_enabled,
            auto_close_days: v.auto_close_days.to_string(),
        }
    }

    /// The settings typed, or every field's error at once.
    fn settings(&self) -> AppResult<LoopSettings> {
        let mut errors = FieldErrors::default();
        let hour = self.digest_hour.parse::<u32>().ok().filter(|h| *h <= 23);
        if hour.is_none() {
            errors.add("digest_hour", "发送时间请填 0 到 23 之间的整点");
        }
        let days = self.auto_close_days.parse::<u32>().ok().filter(|d| (1..=MAX_AUTO_CLOSE_DAYS).contains(d));
        if days.is_none() {
            errors.add("auto_close_days", format!("自动办结的等待天数请填 1 到 {MAX_AUTO_CLOSE_DAYS} 之间的整数"));
        }
        errors.check()?;
        Ok(LoopSettings {
            digest_enabled: self.digest_enabled,
            digest_hour: hour.unwrap_or_default(),
            auto_close_enabled: self.auto_close_enabled,
            auto_close_days: days.unwrap_or_default(),
        })
    }
}

#[derive(Template)]
#[template(path = "handling/settings.html")]
struct SettingsTpl {
    l: Layout,
    /// The organs the caller administers: (id, name).
    organs: Vec<(i64, String)>,
    organ_name: String,
    v: SettingsForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    organ: Option<String>,
}

/// The organ asked for (the caller's own when none), once the caller may change its settings.
async fn organ_for(
    s: &AppState,
    p: &Principal,
    ip: &crate::app::extract::ClientIp,
    id: Option<i64>,
) -> AppResult<crate::org::Organ> {
    let organ = crate::org::organ(&s.db, id.unwrap_or(p.organ_id)).await?.ok_or(AppError::NotFound)?;
    if organ.external {
        return Err(AppError::NotFound);
    }
    crate::app::guard::check(s, p, ip, Action::Update, &Resource::Organ { path: &organ.path }, &organ.id.to_string())
        .await?;
    Ok(organ)
}

async fn tpl(
    s: &AppState,
    page: &crate::app::pages::Page,
    p: &Principal,
    organ: &crate::org::Organ,
    v: SettingsForm,
    errors: Errors,
) -> AppResult<SettingsTpl> {
    let organs = crate::org::organs_under(&s.db, &p.organ_path)
        .await?
        .into_iter()
        .filter(|o| !o.external)
        .map(|o| (o.id, o.name))
        .collect();
    Ok(SettingsTpl {
        l: page.layout("办理设置", &[("/console", "工作台"), (PATH, "办理设置")]),
        organs,
        organ_name: organ.name.clone(),
        v,
        errors,
    })
}

async fn page(Console { page, p, s, ip }: Console, Query(q): Query<SettingsQuery>) -> AppResult<Response> {
    let organ = organ_for(&s, &p, &ip, crate::app::query::id(&q.organ)).await?;
    let v = SettingsForm::of(organ.id, of(&s.db, organ.id).await?);
    render(&tpl(&s, &page, &p, &organ, v, Errors::default()).await?)
}

async fn save_form(Console { page, p, s, ip }: Console, Form(f): Form<SettingsForm>) -> AppResult<Response> {
    // The caller's own organ when none (or no number) is given: the right is decided first.
    let organ = organ_for(&s, &p, &ip, f.organ.parse::<i64>().ok()).await?;
    let now = db::now();
    let result = async {
        let v = f.settings()?;
        write(&s, &p, &ip, async |w| save(w.txn(), w.key(), w.actor(), organ.id, &v, now).await).await
    }
    .await;
    let back = format!("{PATH}?organ={}", organ.id);
    form_answer(
        result,
        |_| redirect_with_flash(&back, "办理设置已保存"),
        async |errors| render(&tpl(&s, &page, &p, &organ, f.clone(), errors).await?),
    )
    .await
}
