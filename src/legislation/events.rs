//! Events of a draft (LEG-6): 座谈会, 论证会 and 听证会 — announced (a public page at
//! `/l/{draft}/events/{id}` with a speaker registration form under the public intake's rules),
//! held, recorded (纪要) — and the opinions given there, entered by staff as opinions of the
//! draft at the stage 听证/论证 with the speaker's source, so they are disposed of and counted
//! with every other. Speakers' names and phones are encrypted; only masked copies are shown.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::model::{Draft, Source, Stage};
use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;
use crate::privacy::FieldCrypto;

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum EventKind {
        Symposium = ("symposium", "座谈会"),
        Argument = ("argument", "论证会"),
        Hearing = ("hearing", "听证会"),
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum EventState {
        Announced = ("announced", "已发布公告"),
        Held = ("held", "已举行"),
        Cancelled = ("cancelled", "已取消"),
    }
}

code_enum! {
    parse: labels;
    /// A speaker's stand on the draft (a hearing seats both sides).
    #[derive(schemars::JsonSchema)]
    pub enum Stand {
        For = ("for", "赞成"),
        Against = ("against", "反对"),
        Other = ("other", "其他意见"),
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum SpeakerState {
        Registered = ("registered", "已报名"),
        Chosen = ("chosen", "确定发言"),
        Declined = ("declined", "未安排"),
    }
}

/// The same phone registering for the same event twice is refused; an address may register
/// this many times a day across events.
pub const SPEAKERS_PER_DAY: i64 = 5;

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Event {
    pub id: i64,
    pub draft_id: i64,
    /// `symposium|argument|hearing`
    pub kind: String,
    pub title: String,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub held_at: String,
    pub place: String,
    pub announcement: String,
    /// Speakers may register until this Beijing date (none: no public registration).
    pub register_until: Option<String>,
    pub speakers_max: i64,
    /// `announced|held|cancelled`
    pub state: String,
    /// 纪要.
    pub record: String,
    pub created_at: i64,
    /// Speakers registered.
    pub speakers: i64,
    /// Opinions entered from it.
    pub opinions: i64,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        EventKind::parse(&self.kind).unwrap_or(EventKind::Symposium)
    }
    pub fn state(&self) -> EventState {
        EventState::parse(&self.state).unwrap_or(EventState::Announced)
    }
    /// Registration is open on this Beijing date.
    pub fn registering(&self, today: &str) -> bool {
        self.state() == EventState::Announced && self.register_until.as_deref().is_some_and(|u| today <= u)
    }
}

const EVENT_SELECT: &str = "SELECT e.id, e.draft_id, e.kind, e.title, e.held_at, e.place, e.announcement, e.register_until, \
     e.speakers_max, e.state, e.record, e.created_at, \
     (SELECT count(*) FROM leg_event_speakers s WHERE s.event_id = e.id) AS speakers, \
     (SELECT count(*) FROM leg_opinions x WHERE x.event_id = e.id) AS opinions FROM leg_events e";

pub async fn event<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Event>, DbErr> {
    db::query_one(c, &format!("{EVENT_SELECT} WHERE e.id = $1"), vec![id.into()]).await
}

pub async fn events<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Vec<Event>, DbErr> {
    db::query_all(c, &format!("{EVENT_SELECT} WHERE e.draft_id = $1 ORDER BY e.held_at, e.id"), vec![draft_id.into()])
        .await
}

/// An event as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// `symposium|argument|hearing` (座谈会/论证会/听证会)
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// Beijing date and time, `YYYY-MM-DD HH:MM`.
    #[serde(default)]
    pub held_at: String,
    #[serde(default)]
    pub place: String,
    /// The announcement (公告): what it is about, who may take part, how speakers are chosen.
    #[serde(default)]
    pub announcement: String,
    /// Speakers register until this date (`YYYY-MM-DD`); empty: invited speakers only.
    #[serde(default)]
    pub register_until: String,
    /// How many speakers at most (default 20).
    #[serde(default)]
    pub speakers_max: Option<i64>,
}

fn parse_when(v: &str) -> Option<String> {
    let v = v.trim().replace('T', " ");
    chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M").ok().map(|t| t.format("%Y-%m-%d %H:%M").to_string())
}

pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    e: &NewEvent,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let kind = EventKind::parse(e.kind.trim());
    if kind.is_none() {
        errors.add("kind", "请选择座谈会、论证会或听证会");
    }
    let title = e.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        errors.add("title", "请填写会议名称（不超过 100 字）");
    }
    let held_at = parse_when(&e.held_at);
    if held_at.is_none() {
        errors.add("held_at", "请填写举行时间，如 2026-12-20 09:30");
    }
    let place = e.place.trim();
    if place.is_empty() || place.chars().count() > 100 {
        errors.add("place", "请填写地点（不超过 100 字）");
    }
    let n = e.announcement.trim().chars().count();
    if !(10..=5000).contains(&n) {
        errors.add("announcement", "请填写公告（10 至 5000 字）：议题、参加人员、报名方式");
    }
    let register_until = if e.register_until.trim().is_empty() {
        None
    } else {
        match crate::app::fmt::parse_date(e.register_until.trim()) {
            Some(day) => {
                let day = day.format("%Y-%m-%d").to_string();
                if held_at.as_deref().is_some_and(|h| day.as_str() > &h[..10]) {
                    errors.add("register_until", "报名截止日期不能晚于举行日期");
                }
                Some(day)
            }
            None => {
                errors.add("register_until", "请填写报名截止日期，如 2026-12-15，或留空");
                None
            }
        }
    };
    let max = e.speakers_max.unwrap_or(20);
    if !(1..=200).contains(&max) {
        errors.add("speakers_max", "发言人数在 1 到 200 之间");
    }
    errors.check()?;
    let kind = kind.expect("checked");
    let id = db::insert_id(
        c,
        "INSERT INTO leg_events (draft_id, kind, title, held_at, place, announcement, register_until, speakers_max, state, \
         record, created_by_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'announced', '', $9, $10)",
        vec![
            d.id.into(),
            kind.as_str().into(),
            title.into(),
            held_at.clone().into(),
            place.into(),
            e.announcement.trim().into(),
            register_until.into(),
            max.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited(
        "leg_event_create",
        "leg_event",
        id,
        format!("{}：{title}（{}）", kind.label(), held_at.expect("checked")),
    )
    .in_organ(d.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// A speaker as staff see them: masked name and phone.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Speaker {
    pub id: i64,
    pub event_id: i64,
    #[serde(skip)]
    pub name_enc: String,
    pub phone_masked: String,
    pub affiliation: String,
    /// `for|against|other`
    pub stand: String,
    pub points: String,
    /// `registered|chosen|declined`
    pub state: String,
    pub created_at: i64,
}

impl Speaker {
    pub fn stand_label(&self) -> &'static str {
        Stand::label_of(&self.stand)
    }
    pub fn state_label(&self) -> &'static str {
        SpeakerState::label_of(&self.state)
    }
}

pub async fn speakers<C: ConnectionTrait>(c: &C, event_id: i64) -> Result<Vec<Speaker>, DbErr> {
    db::query_all(
        c,
        "SELECT id, event_id, name_enc, phone_masked, affiliation, stand, points, state, created_at FROM leg_event_speakers \
         WHERE event_id = $1 ORDER BY id",
        vec![event_id.into()],
    )
    .await
}

/// The masked name of a speaker (staff lists).
pub fn masked_name(crypto: &FieldCrypto, s: &Speaker) -> String {
    crypto.decrypt(&s.name_enc).map(|n| crate::privacy::mask_name(&n)).unwrap_or_else(|_| "＊".into())
}

/// A speaker's registration as typed on the public form.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    pub name: String,
    pub phone: String,
    pub affiliation: String,
    pub stand: String,
    pub points: String,
    pub consent: bool,
}

/// What a registration became (the public receipt: no contact details).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Registered {
    pub id: i64,
    pub event_title: String,
    pub held_at: String,
}

pub fn check_registration(r: &Registration) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        errors.add("name", "请填写姓名（不超过 20 字）");
    }
    if !crate::opinions::service::is_mobile(r.phone.trim()) {
        errors.add("phone", "请填写 11 位手机号，用于通知是否安排发言");
    }
    if r.affiliation.trim().chars().count() > 60 {
        errors.add("affiliation", "工作单位或职业不能超过 60 字");
    }
    if Stand::parse(r.stand.trim()).is_none() {
        errors.add("stand", "请选择赞成、反对或其他意见");
    }
    let n = r.points.trim().chars().count();
    if !(10..=1000).contains(&n) {
        errors.add("points", "请写明发言要点（10 至 1000 字）");
    }
    if !r.consent {
        errors.add("consent", "请勾选同意用所留姓名和手机号通知发言安排");
    }
    errors.check()
}

/// Registers a speaker, in the caller's write transaction (the caller counted the address's
/// budget): open registration, checks, one registration per phone and event, room left, the
/// address's daily count, then the row and its audit entry.
pub async fn register<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    (d, e): (&Draft, &Event),
    r: &Registration,
    (client, now): (&str, i64),
) -> AppResult<Registered> {
    let today = crate::calendar::beijing_date(now).format("%Y-%m-%d").to_string();
    if !e.registering(&today) {
        return Err(AppError::Conflict(format!("{}的发言报名已经截止", e.title)));
    }
    check_registration(r)?;
    let phone = crate::privacy::normalise_phone(r.phone.trim());
    let phone_hash = crypto.lookup_hash("leg_speaker", &format!("{}:{phone}", e.id));
    let client_hash = crypto.lookup_hash("leg_client", client);
    let same_phone = db::scalar_i64(
        c,
        "SELECT count(*) FROM leg_event_speakers WHERE event_id = $1 AND client_hash LIKE $2",
        vec![e.id.into(), format!("%:{phone_hash}").into()],
    )
    .await?;
    if same_phone > 0 {
        return Err(AppError::Conflict("这个手机号已经报名过本次会议".into()));
    }
    let today_count = db::scalar_i64(
        c,
        "SELECT count(*) FROM leg_event_speakers WHERE client_hash LIKE $1 AND created_at > $2",
        vec![format!("{client_hash}:%").into(), (now - 86_400).into()],
    )
    .await?;
    if today_count >= SPEAKERS_PER_DAY {
        return Err(AppError::TooManyRequests("今天报名次数过多，请明天再试".into()));
    }
    let room = db::scalar_i64(
        c,
        "SELECT count(*) FROM leg_event_speakers WHERE event_id = $1 AND state <> 'declined'",
        vec![e.id.into()],
    )
    .await?;
    // Registrations are taken up to three times the seats (the seats are then chosen).
    if room >= e.speakers_max * 3 {
        return Err(AppError::Conflict("报名人数已满".into()));
    }
    let words = crate::opinions::words::words(c).await?;
    let held = crate::opinions::words::held_by(&words, r.points.trim()).is_some();
    let id = db::insert_id(
        c,
        "INSERT INTO leg_event_speakers (event_id, name_enc, phone_enc, phone_masked, affiliation, stand, points, client_hash, \
         state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            e.id.into(),
            crypto.encrypt(r.name.trim()).into(),
            crypto.encrypt(&phone).into(),
            crate::privacy::mask_phone(&phone).into(),
            r.affiliation.trim().into(),
            Stand::parse(r.stand.trim()).expect("checked").as_str().into(),
            r.points.trim().into(),
            format!("{client_hash}:{phone_hash}").into(),
            if held { SpeakerState::Declined } else { SpeakerState::Registered }.as_str().into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited("leg_event_register", "leg_event", e.id, format!("{}收到发言报名", e.title))
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(Registered { id, event_title: e.title.clone(), held_at: e.held_at.clone() })
}

/// Chooses a speaker or declines them.
pub async fn set_speaker<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    s: &Speaker,
    to: &str,
) -> AppResult<()> {
    let to = SpeakerState::parse(to.trim()).ok_or_else(|| AppError::invalid("to", "只能确定发言或不安排"))?;
    db::exec(c, "UPDATE leg_event_speakers SET state = $1 WHERE id = $2", vec![to.as_str().into(), s.id.into()])
        .await?;
    Change::audited("leg_event_speaker", "leg_event", s.event_id, format!("发言报名{}", to.label()))
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// The record of an event held: its 纪要, and the event marked held.
pub async fn record<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    e: &Event,
    text: &str,
) -> AppResult<()> {
    let n = text.trim().chars().count();
    if !(10..=20_000).contains(&n) {
        return Err(AppError::invalid("record", "请填写会议纪要（10 至 20000 字）"));
    }
    if e.state() == EventState::Cancelled {
        return Err(AppError::Conflict("会议已取消".into()));
    }
    db::exec(
        c,
        "UPDATE leg_events SET record = $1, state = 'held' WHERE id = $2",
        vec![text.trim().into(), e.id.into()],
    )
    .await?;
    Change::audited("leg_event_record", "leg_event", e.id, format!("{}纪要（{n} 字）", e.title))
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// An opinion given at an event, as staff enter it.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventOpinion {
    /// The article's identity (`node_id`) in the draft's newest version; none for the whole draft.
    #[serde(default)]
    pub node_id: Option<i64>,
    /// Who gave it: `public|contact_point|expert|department|deputy`.
    #[serde(default)]
    pub source: String,
    /// Their name or body as the record names them (e.g. 「律师 张某」).
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub text: String,
}

/// Enters an opinion given at an event: of the newest version, at the stage 听证/论证.
pub async fn add_opinion<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    e: &Event,
    o: &EventOpinion,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let source = Source::parse(o.source.trim());
    if source.is_none() {
        errors.add("source", "请选择意见来源");
    }
    if o.author.trim().chars().count() > 60 {
        errors.add("author", "提出人不能超过 60 字");
    }
    let n = o.text.trim().chars().count();
    if !(5..=super::comments::MAX_TEXT).contains(&n) {
        errors.add("text", format!("请填写意见（5 至 {} 字）", super::comments::MAX_TEXT));
    }
    let version = super::model::versions(c, d.id).await?.into_iter().last();
    let Some(version) = version else { return Err(AppError::NotFound) };
    if let Some(node) = o.node_id
        && super::model::article_in(c, version.id, node).await?.is_none()
    {
        errors.add("node_id", format!("{}没有这一条", version.label));
    }
    errors.check()?;
    if e.state() == EventState::Cancelled {
        return Err(AppError::Conflict("会议已取消".into()));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO leg_opinions (draft_id, version_id, node_id, source, stage, quote, body, author, name_enc, phone_enc, \
         phone_masked, client_hash, moderation, hold_reason, task_id, sent, entered_by_id, created_at, disposition, reason, \
         event_id) VALUES ($1, $2, $3, $4, $5, '', $6, $7, NULL, NULL, NULL, '', 'ok', NULL, NULL, true, $8, $9, NULL, '', $10)",
        vec![
            d.id.into(),
            version.id.into(),
            o.node_id.into(),
            source.expect("checked").as_str().into(),
            Stage::Hearing.as_str().into(),
            o.text.trim().into(),
            o.author.trim().into(),
            actor.account_id.into(),
            now.into(),
            e.id.into(),
        ],
    )
    .await?;
    Change::audited("leg_event_opinion", "leg_event", e.id, format!("{}意见录入", e.title))
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct EventList {
    pub items: Vec<Event>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct EventCreated {
    pub id: i64,
}
