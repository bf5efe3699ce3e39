//! The rules of a booking: which slots are open (working days only, capacity per slot), a
//! booking from any channel with its number, query code and SMS receipt, the steps of the
//! keeper, the deputy and the citizen, and the reminder the working day before.

use chrono::{Days, NaiveDate, NaiveTime};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::model::{self, Appointment, BOOKING_DAYS, Channel, OFFERED_SLOTS, SLOT_CAPACITY, State, Step};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::calendar::{self, Calendar};
use crate::db;
use crate::notify;
use crate::opinions::service::{constant_time_eq, is_mobile, normalise_phone, query_code};
use crate::privacy::{FieldCrypto, mask_phone};
use crate::registry::stations::Slot;

pub const MAX_TOPIC: usize = 200;
pub const MIN_TOPIC: usize = 2;
pub const MAX_REASON: usize = 200;
/// A slot can be booked until this long before it starts.
pub const BOOK_BEFORE_SECS: i64 = 3600;

/// A duty slot offered for booking, with the places left.
#[derive(Clone, Debug)]
pub struct OpenSlot {
    pub slot: Slot,
    pub station_name: String,
    pub start: i64,
    pub end: i64,
    pub left: i64,
}

impl OpenSlot {
    pub fn when(&self) -> String {
        model::span(self.start, self.end)
    }
    pub fn full(&self) -> bool {
        self.left <= 0
    }
}

#[derive(sea_orm::FromQueryResult)]
struct SlotRow {
    id: i64,
    station_id: i64,
    person_id: i64,
    person_name: String,
    slot_date: String,
    start_time: String,
    end_time: String,
    online: bool,
    station_name: String,
    organ_id: i64,
}

const SLOT_SELECT: &str = "SELECT d.id, d.station_id, d.person_id, p.name AS person_name, d.slot_date, d.start_time, \
     d.end_time, d.online, s.name AS station_name, s.organ_id FROM duty_slots d JOIN persons p ON p.id = d.person_id \
     JOIN stations s ON s.id = d.station_id";

fn times(r: &SlotRow) -> Option<(NaiveDate, i64, i64)> {
    let date = calendar::parse_date(&r.slot_date)?;
    let start = NaiveTime::parse_from_str(&r.start_time, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(&r.end_time, "%H:%M").ok()?;
    Some((date, model::beijing_ts(date, start), model::beijing_ts(date, end)))
}

/// Whether a slot on `date` starting at `start` may be booked at `now`: a working day of the
/// calendar (duty rules repeat by weekday and ignore holidays), not too soon, not too far.
fn bookable(cal: &Calendar, date: NaiveDate, start: i64, now: i64) -> bool {
    let today = calendar::beijing_date(now);
    cal.is_working_day(date) && start - now >= BOOK_BEFORE_SECS && date <= today + Days::new(BOOKING_DAYS)
}

/// The next slots of a station or of a deputy that may be booked, full ones included (shown
/// disabled), at most `OFFERED_SLOTS`.
pub async fn open_slots<C: ConnectionTrait>(
    c: &C,
    cal: &Calendar,
    station_id: Option<i64>,
    deputy_id: Option<i64>,
    now: i64,
) -> Result<Vec<OpenSlot>, DbErr> {
    let (column, id) = match (station_id, deputy_id) {
        (Some(s), _) => ("d.station_id", s),
        (None, Some(d)) => ("d.person_id", d),
        _ => return Ok(Vec::new()),
    };
    let today = calendar::beijing_date(now);
    let rows: Vec<SlotRow> = db::query_all(
        c,
        &format!(
            "{SLOT_SELECT} WHERE {column} = $1 AND d.slot_date >= $2 AND d.slot_date <= $3 \
             ORDER BY d.slot_date, d.start_time, d.id LIMIT 300"
        ),
        vec![
            id.into(),
            today.format("%Y-%m-%d").to_string().into(),
            (today + Days::new(BOOKING_DAYS)).format("%Y-%m-%d").to_string().into(),
        ],
    )
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let Some((date, start, end)) = times(&r) else { continue };
        if !bookable(cal, date, start, now) {
            continue;
        }
        let left = SLOT_CAPACITY - model::taken(c, r.station_id, r.person_id, start).await?;
        out.push(OpenSlot {
            station_name: r.station_name.clone(),
            start,
            end,
            left,
            slot: Slot {
                id: r.id,
                station_id: r.station_id,
                person_id: r.person_id,
                person_name: r.person_name,
                slot_date: r.slot_date,
                start_time: r.start_time,
                end_time: r.end_time,
                online: r.online,
            },
        });
        if out.len() as u64 >= OFFERED_SLOTS {
            break;
        }
    }
    Ok(out)
}

/// The station of a duty slot (for the authorization of an offline booking).
pub async fn slot_station<C: ConnectionTrait>(c: &C, slot_id: i64) -> Result<Option<(i64, i64)>, DbErr> {
    let row: Option<SlotRow> =
        db::query_one(c, &format!("{SLOT_SELECT} WHERE d.id = $1"), vec![slot_id.into()]).await?;
    Ok(row.map(|r| (r.station_id, r.organ_id)))
}

/// What was asked for, whatever the channel.
#[derive(Clone, Debug, Default)]
pub struct Booking {
    pub slot_id: Option<i64>,
    pub topic: String,
    pub name: String,
    pub phone: String,
    pub consent: bool,
}

/// Checks a booking's fields, every one at once.
pub fn validate(b: &Booking) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    if b.slot_id.is_none() {
        errors.add("slot", "请选择一个见面时段");
    }
    let n = b.topic.trim().chars().count();
    if n < MIN_TOPIC {
        errors.add("topic", "请简要写明想谈的事情");
    } else if n > MAX_TOPIC {
        errors.add("topic", format!("事由不能超过 {MAX_TOPIC} 字（现有 {n} 字）"));
    }
    let name = b.name.trim().chars().count();
    if name == 0 {
        errors.add("name", "请填写称呼，便于接待");
    } else if name > 20 {
        errors.add("name", "称呼不能超过 20 字");
    }
    if !is_mobile(&normalise_phone(&b.phone)) {
        errors.add("phone", "请填写 11 位手机号（如 13812345678），用于接收确认和提醒短信");
    }
    if !b.consent {
        errors.add("consent", "请勾选同意为安排见面使用您的称呼和手机号");
    }
    errors.check()
}

/// The caps on public bookings and on the messages they send, from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Active bookings of one phone at one station on one day (public channels; the keeper's
    /// offline entries are exempt but count).
    pub per_phone_station_day: i64,
    /// Bookings from one client address in 24 hours (public channels).
    pub per_address_day: i64,
    pub sms: notify::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_phone_station_day: 1, per_address_day: 3, sms: notify::Limits::default() }
    }
}

impl Limits {
    /// For seeding demo data, which is not public traffic.
    pub const UNLIMITED: Limits = Limits {
        per_phone_station_day: i64::MAX,
        per_address_day: i64::MAX,
        sms: notify::Limits { per_day: i64::MAX, public_per_hour: i64::MAX },
    };

    pub fn of(config: &crate::app::config::Config) -> Limits {
        Limits {
            per_phone_station_day: config.bookings_per_phone_per_station_day,
            per_address_day: config.bookings_per_address_per_day,
            sms: notify::Limits::of(config),
        }
    }
}

/// The states in which a booking holds its place.
const ACTIVE: &str = "('requested', 'confirmed', 'proposed_other_time')";

/// The caps on a public booking: per phone, station and day; per client address and day.
async fn check_public_caps<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &Limits,
    phone: &str,
    (station_id, slot_start): (i64, i64),
    src: &Source<'_>,
) -> AppResult<()> {
    let day = calendar::beijing_date(slot_start);
    let from = model::beijing_ts(day, NaiveTime::MIN);
    let same_day = db::scalar_i64(
        c,
        &format!(
            "SELECT count(*) FROM appointments WHERE phone_hash = $1 AND station_id = $2 AND slot_start >= $3 \
             AND slot_start < $4 AND state IN {ACTIVE}"
        ),
        vec![crypto.lookup_hash("phone", phone).into(), station_id.into(), from.into(), (from + 86_400).into()],
    )
    .await?;
    if same_day >= limits.per_phone_station_day {
        return Err(AppError::Conflict(format!(
            "同一手机号在同一站点同一天只能预约 {} 次，如需改期请先取消原预约",
            limits.per_phone_station_day
        )));
    }
    let from_address = db::scalar_i64(
        c,
        "SELECT count(*) FROM appointments WHERE client_hash = $1 AND entered_by_id IS NULL AND created_at > $2",
        vec![crypto.lookup_hash("client", src.client).into(), (src.now - 86_400).into()],
    )
    .await?;
    if from_address >= limits.per_address_day {
        return Err(AppError::TooManyRequests(format!(
            "同一网络一天内最多预约 {} 次，请明天再试；急事请拨打联络站电话",
            limits.per_address_day
        )));
    }
    Ok(())
}

/// Where a booking comes from.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub channel: Channel,
    /// The account that entered it for someone (`None` for the citizen themself).
    pub entered_by: Option<i64>,
    pub client: &'a str,
    pub now: i64,
}

/// The receipt: shown once, and sent by SMS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Receipt {
    pub booking_no: String,
    pub query_code: String,
    /// `requested`
    pub state: String,
    #[serde(skip)]
    pub id: i64,
    /// Whether the SMS receipt went out (not when the number had its messages of the day).
    #[serde(skip)]
    pub sms: Option<notify::Sent>,
}

pub fn code_hash(crypto: &FieldCrypto, no: &str, code: &str) -> String {
    crypto.lookup_hash("appointment_code", &format!("{}:{}", no.trim().to_uppercase(), code.trim().to_uppercase()))
}

/// The accounts a booking concerns: the station's keepers and the deputy's own accounts.
async fn receivers<C: ConnectionTrait>(c: &C, station_id: i64, person_id: Option<i64>) -> Result<Vec<i64>, DbErr> {
    let mut out: Vec<i64> =
        crate::registry::stations::keepers(c, station_id).await?.into_iter().map(|(id, _)| id).collect();
    if let Some(p) = person_id {
        for r in db::query_rows(
            c,
            "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = $2",
            vec![p.into(), false.into()],
        )
        .await?
        {
            out.push(r.try_get_by_index(0)?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Takes one booking in, in the caller's write transaction: the slot must be open and have a
/// place left (else 409, nothing stored); a public booking within its caps.
#[allow(clippy::too_many_arguments)] // connection, keys, calendar and caps, audit context, the booking
pub async fn book<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    cal: &Calendar,
    limits: &Limits,
    actor: &Actor,
    b: &Booking,
    src: &Source<'_>,
) -> AppResult<Receipt> {
    validate(b)?;
    let Source { channel, entered_by, client, now } = *src;
    let slot_id = b.slot_id.unwrap_or_default();
    let row: SlotRow = db::query_one(c, &format!("{SLOT_SELECT} WHERE d.id = $1"), vec![slot_id.into()])
        .await?
        .ok_or_else(|| AppError::invalid("slot", "没有这个时段，请重新选择"))?;
    let (date, start, end) = times(&row).ok_or_else(|| AppError::invalid("slot", "没有这个时段，请重新选择"))?;
    if !bookable(cal, date, start, now) {
        return Err(AppError::invalid("slot", "这个时段现在不能预约（节假日、已开始或太远），请选择其他时段"));
    }
    // Writers are serialised by the audit head (db::begin_write), so count-then-insert holds.
    if model::taken(c, row.station_id, row.person_id, start).await? >= SLOT_CAPACITY {
        return Err(AppError::Conflict(format!("这个时段已约满（每个时段最多 {SLOT_CAPACITY} 人），请选择其他时段")));
    }
    let phone = normalise_phone(&b.phone);
    if entered_by.is_none() {
        check_public_caps(c, crypto, limits, &phone, (row.station_id, start), src).await?;
    }
    let name = b.name.trim();
    let next = db::scalar_i64(c, "SELECT COALESCE(max(id), 0) + 1 FROM appointments", vec![]).await?;
    let booking_no = format!("Y{}{next:04}", calendar::beijing_date(now).format("%Y%m%d"));
    let code = query_code();
    let id = db::insert_id(
        c,
        "INSERT INTO appointments (booking_no, code_hash, organ_id, station_id, person_id, slot_start, slot_end, \
         topic, name_enc, phone_enc, phone_hash, phone_masked, state, channel, client_hash, entered_by_id, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        vec![
            booking_no.clone().into(),
            code_hash(crypto, &booking_no, &code).into(),
            row.organ_id.into(),
            row.station_id.into(),
            row.person_id.into(),
            start.into(),
            end.into(),
            b.topic.trim().into(),
            crypto.encrypt(name).into(),
            crypto.encrypt(&phone).into(),
            crypto.lookup_hash("phone", &phone).into(),
            mask_phone(&phone).into(),
            State::Requested.as_str().into(),
            channel.as_str().into(),
            (entered_by.is_none()).then(|| crypto.lookup_hash("client", client)).into(),
            entered_by.into(),
            now.into(),
        ],
    )
    .await?;
    let when = model::span(start, end);
    let whom = format!("{} 代表（{}）", row.person_name, row.station_name);
    let text = format!(
        "【数字人大】您预约 {when} 与 {whom} 见面，已登记，预约编号 {booking_no}，查询码 {code}。确认后会再发短信通知您。"
    );
    let message = notify::Message { text, secret: Some(code.clone()), public: entered_by.is_none() };
    let sms = notify::sms(c, crypto, &limits.sms, &phone, &message, "appointment_receipt").await?;
    let link = format!("/console/appointments/{id}");
    notify::inbox_about(
        c,
        &receivers(c, row.station_id, Some(row.person_id)).await?,
        &about(id, &link),
        "新的见面预约",
        &format!("{when} 与 {whom}：{}（{}）", b.topic.trim(), channel.label()),
    )
    .await?;
    Change::audited("appointment_book", "appointment", id, format!("{} {booking_no}：{when}", channel.label()))
        .in_organ(row.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(Receipt { booking_no, query_code: code, state: State::Requested.as_str().into(), id, sms: Some(sms) })
}

/// The booking behind a number when the query code matches (else `NotFound`).
pub async fn track<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, no: &str, code: &str) -> AppResult<Appointment> {
    let a = model::by_no(c, no).await?.ok_or(AppError::NotFound)?;
    let hash: String = db::query_rows(c, "SELECT code_hash FROM appointments WHERE id = $1", vec![a.id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index(0).ok())
        .ok_or(AppError::NotFound)?;
    if !constant_time_eq(code_hash(crypto, no, code).as_bytes(), hash.as_bytes()) {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

/// What a step carries besides itself.
#[derive(Clone, Debug, Default)]
pub struct StepInput {
    /// 建议改期: the date and times proposed (Beijing).
    pub date: String,
    pub start: String,
    pub end: String,
    /// 无法安排: why (required); otherwise a note.
    pub reason: String,
    /// 已见面: the query number of the reception record (an opinion) taken down at the meeting.
    pub opinion_no: String,
}

/// 建议改期: a time the booking page itself would offer — a working day of the calendar (not a
/// weekend, not a holiday, provisional ones included), in the future.
fn proposal(cal: &Calendar, input: &StepInput, now: i64) -> AppResult<(i64, i64)> {
    let date = crate::app::fmt::parse_date(&input.date)
        .ok_or_else(|| AppError::invalid("date", "请填写建议的日期，如 2026-12-15"))?;
    if !cal.is_working_day(date) {
        return Err(AppError::invalid(
            "date",
            format!("{} 是节假日或周末，预约页不开放这一天，请另选工作日", date.format("%Y-%m-%d")),
        ));
    }
    let t = |field: &str, v: &str| {
        NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| AppError::invalid(field, "请填写时间，如 09:00"))
    };
    let (start, end) = (t("start", &input.start)?, t("end", &input.end)?);
    if end <= start {
        return Err(AppError::invalid("end", "结束时间应晚于开始时间"));
    }
    let (a, b) = (model::beijing_ts(date, start), model::beijing_ts(date, end));
    if a <= now {
        return Err(AppError::invalid("date", "建议的时间应在今后"));
    }
    Ok((a, b))
}

/// Takes one step on a booking, in the caller's write transaction; audited. The caller has
/// decided who may take it (authz for the console, the query code for the citizen).
#[allow(clippy::too_many_arguments)] // connection, keys and SMS caps, audit context, the booking and the step
pub async fn apply<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    limits: &notify::Limits,
    actor: &Actor,
    a: &Appointment,
    step: Step,
    input: &StepInput,
    now: i64,
) -> AppResult<State> {
    let from = a.state();
    let Some(to) = step.next(from) else {
        return Err(AppError::Conflict(format!("预约现在是“{}”，不能{}", from.label(), step.label())));
    };
    let reason = input.reason.trim();
    if reason.chars().count() > MAX_REASON {
        return Err(AppError::invalid("reason", format!("说明不能超过 {MAX_REASON} 字")));
    }
    let mut proposed = (a.proposed_start, a.proposed_end);
    let (mut start, mut end) = (a.slot_start, a.slot_end);
    let mut opinion_id = a.opinion_id;
    match step {
        Step::Propose => {
            let (s, e) = proposal(&calendar::load(c).await?, input, now)?;
            proposed = (Some(s), Some(e));
        }
        Step::Decline if reason.is_empty() => {
            return Err(AppError::invalid("reason", "请写明无法安排的原因，会用短信告诉预约人"));
        }
        Step::Attended | Step::NoShow if now < a.slot_start => {
            return Err(AppError::Conflict("见面时间还没到，到时再登记是否到场".into()));
        }
        Step::Attended if !input.opinion_no.trim().is_empty() => {
            let no = input.opinion_no.trim().to_uppercase();
            let id = db::query_rows(
                c,
                "SELECT o.id FROM opinions o WHERE o.tracking_no = $1 AND o.station_id = $2",
                vec![no.into(), a.station_id.into()],
            )
            .await?
            .first()
            .and_then(|r| r.try_get_by_index::<i64>(0).ok())
            .ok_or_else(|| AppError::invalid("opinion_no", "本站没有这个查询编号的接待记录"))?;
            opinion_id = Some(id);
        }
        Step::Accept => {
            let (Some(s), Some(e)) = proposed else {
                return Err(AppError::Conflict("没有建议的新时间".into()));
            };
            (start, end) = (s, e);
            proposed = (None, None);
        }
        _ => {}
    }
    let won = db::exec(
        c,
        "UPDATE appointments SET state = $1, slot_start = $2, slot_end = $3, proposed_start = $4, proposed_end = $5, \
         reason = $6, opinion_id = $7, updated_at = $8, reminded_at = CASE WHEN $9 THEN NULL ELSE reminded_at END \
         WHERE id = $10 AND state = $11",
        vec![
            to.as_str().into(),
            start.into(),
            end.into(),
            proposed.0.into(),
            proposed.1.into(),
            (if reason.is_empty() { a.reason.clone() } else { Some(reason.to_string()) }).into(),
            opinion_id.into(),
            now.into(),
            (step == Step::Accept).into(),
            a.id.into(),
            from.as_str().into(),
        ],
    )
    .await?;
    if won == 0 {
        return Err(AppError::Conflict("预约刚被别人处理过，请刷新后再看".into()));
    }
    let no = &a.booking_no;
    let sms = match step {
        Step::Confirm => {
            Some(format!("【数字人大】您 {} 与 {} 的见面预约（{no}）已确认，请按时前往。", a.when(), a.with_whom()))
        }
        Step::Propose => Some(format!(
            "【数字人大】您的见面预约（{no}）建议改到 {}{}。请凭预约编号和查询码在“预约查询”页面接受或取消。",
            model::span(proposed.0.unwrap_or_default(), proposed.1.unwrap_or_default()),
            if reason.is_empty() { String::new() } else { format!("（{reason}）") }
        )),
        Step::Decline => Some(format!("【数字人大】很抱歉，您的见面预约（{no}）未能安排：{reason}。")),
        _ => None,
    };
    if let Some(body) = sms {
        // Over the number's cap the step stands; only the message is not sent.
        let _ =
            notify::sms_sealed(c, crypto, limits, &sealed(a), &notify::Message::plain(body), "appointment_progress")
                .await?;
    }
    if matches!(step, Step::Accept | Step::Cancel) {
        let what = if step == Step::Accept { "接受了改期" } else { "取消了预约" };
        notify::inbox_about(
            c,
            &receivers(c, a.station_id, a.person_id).await?,
            &about(a.id, &format!("/console/appointments/{}", a.id)),
            &format!("预约人{what}"),
            &format!("预约 {no}（{}）：预约人{what}", model::span(start, end)),
        )
        .await?;
    }
    Change::audited("appointment_step", "appointment", a.id, format!("{no}：{} → {}", step.label(), to.label()))
        .in_organ(a.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(to)
}

/// The booking's phone as it stores it.
fn sealed(a: &Appointment) -> notify::Sealed<'_> {
    notify::Sealed { phone_enc: &a.phone_enc, phone_masked: &a.phone_masked, phone_hash: &a.phone_hash }
}

/// What one reminder run sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reminded {
    pub sent: u64,
}

/// Sends the reminder of every confirmed booking whose day is the next working day after
/// today (the working day before it is today, or a holiday in between pushed it earlier), once:
/// an SMS to the citizen and a note in the inboxes of the keeper and the deputy.
pub async fn remind(
    db_conn: &DatabaseConnection,
    writer: &crate::db::writer::Writer,
    crypto: &FieldCrypto,
    limits: &notify::Limits,
    cal: &Calendar,
    now: i64,
) -> Result<Reminded, DbErr> {
    let today = calendar::beijing_date(now);
    let mut out = Reminded::default();
    // Holidays stretch the gap between a working day and the next meeting day: read a month.
    for a in model::to_remind(db_conn, now, now + 31 * 86_400).await? {
        let day = calendar::beijing_date(a.slot_start);
        if day <= today || today < cal.working_days_before(day, 1) {
            continue;
        }
        let sent = writer
            .run(async |txn| {
                let won = db::exec(
            txn,
            "UPDATE appointments SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND state = 'confirmed'",
            vec![now.into(), a.id.into()],
        )
        .await?;
                if won == 0 {
                    return Ok::<_, DbErr>(false);
                }
                let body = format!(
                    "【数字人大】提醒：您预约的 {} 与 {} 见面（{}），请按时前往；不能前往请在“预约查询”页面取消。",
                    a.when(),
                    a.with_whom(),
                    a.booking_no
                );
                let _ = notify::sms_sealed(
                    txn,
                    crypto,
                    limits,
                    &sealed(&a),
                    &notify::Message::plain(body),
                    "appointment_reminder",
                )
                .await?;
                // The keeper and the deputy are reminded in their inboxes.
                notify::inbox_about(
                    txn,
                    &receivers(txn, a.station_id, a.person_id).await?,
                    &about(a.id, &format!("/console/appointments/{}", a.id)),
                    "见面提醒",
                    &format!("{} 与预约人见面（{}）：{}", a.when(), a.booking_no, a.topic),
                )
                .await?;
                Ok(true)
            })
            .await?;
        if !sent {
            continue;
        }
        out.sent += 1;
    }
    Ok(out)
}

/// What the keeper's and the deputy's messages about a booking are about (its page).
fn about(id: i64, link: &str) -> notify::About<'_> {
    notify::About { kind: "appointment", record: Some(("appointment", id)), link }
}
