//! Intake (OPN-1 to OPN-4): one `submit` for every channel — validation, the per-address
//! limit of public submissions, the word list that holds a submission for review, repeat
//! detection, the tracking number and private query code, and the SMS receipt.

use rand::Rng;
use sea_orm::{ConnectionTrait, DbErr};

use super::model::{self, Channel};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::handling::service::{self as loop_service, NewItem};
use crate::nlp::segment::Lexicon;
use crate::notify;
use crate::privacy::FieldCrypto;

pub const MIN_CONTENT: usize = 5;
pub const MAX_CONTENT: usize = 2000;
pub const MAX_TITLE: usize = 50;
/// Public submissions per address per hour.
pub const PUBLIC_PER_HOUR: i64 = 10;
/// `/track` look-ups and ratings per address per hour.
pub const LOOKUPS_PER_HOUR: i64 = 60;
/// The same text from the same source within this many seconds is a repeat.
pub const REPEAT_WINDOW_SECS: i64 = 10 * 60;

/// What was submitted, whatever the channel.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub channel: Option<Channel>,
    pub station_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub area_code: Option<String>,
    pub category: String,
    pub title: String,
    pub content: String,
    pub name: String,
    pub phone: String,
    pub allow_public: bool,
    pub anonymous: bool,
    /// The submitter agreed to the stated use of their name and phone.
    pub consent: bool,
    /// 12345 order number (imports are idempotent on it).
    pub external_no: Option<String>,
}

/// The receipt: shown once, and sent by SMS when a phone was given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Receipt {
    pub tracking_no: String,
    pub query_code: String,
    #[serde(skip)]
    pub opinion_id: i64,
    #[serde(skip)]
    pub held: bool,
    /// The SMS receipt: `None` without a phone; `Capped` when the number had its messages.
    #[serde(skip)]
    pub sms: Option<notify::Sent>,
}

/// A mainland mobile number (1[3-9] + 9 digits): the platform's one check.
pub use crate::auth::accounts::valid_mobile as is_mobile;

/// A phone number as typed by people and other systems: `+86 138-0013-8000` → `13800138000`.
pub use crate::privacy::normalise_phone;

/// A landline as 12345 records it, normalised (no spaces or hyphens): the area code with its
/// 0 and a 7- or 8-digit number (`05366012345`, `01012345678`), or the local number alone. Kept
/// as the caller's contact; no SMS goes to it.
pub fn is_landline(phone: &str) -> bool {
    let digits = phone.bytes().all(|b| b.is_ascii_digit());
    let n = phone.len();
    digits
        && ((phone.starts_with('0') && (10..=12).contains(&n))
            || ((7..=8).contains(&n) && !phone.starts_with(['0', '1'])))
}

/// Checks a submission, every field at once, its category against `taxonomy`.
pub fn validate(s: &Submission, taxonomy: &model::Taxonomy) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    let n = s.content.trim().chars().count();
    if n < MIN_CONTENT {
        errors.add("content", format!("请把问题写清楚，至少 {MIN_CONTENT} 个字"));
    } else if n > MAX_CONTENT {
        errors.add("content", format!("内容不能超过 {MAX_CONTENT} 字（现有 {n} 字），可分几次提交"));
    }
    if s.title.trim().chars().count() > MAX_TITLE {
        errors.add("title", format!("标题不能超过 {MAX_TITLE} 字"));
    }
    if !taxonomy.accepts(s.category.trim()) {
        errors.add("category", "请从列表中选择类别");
    }
    if s.name.trim().chars().count() > 20 {
        errors.add("name", "姓名不能超过 20 字");
    }
    let phone = s.phone.trim();
    // A 12345 order may carry the caller's landline: kept as the contact, no SMS sent to it.
    let landline_ok = s.channel == Some(Channel::Hotline) && is_landline(phone);
    if !phone.is_empty() && !is_mobile(phone) && !landline_ok {
        errors.add("phone", "请填写 11 位手机号，或留空");
    }
    if (!s.name.trim().is_empty() || !phone.is_empty()) && !s.consent {
        errors.add("consent", "留下姓名或手机号时，请勾选同意用于办理本事项");
    }
    errors.check()
}

/// Counts one public request of a kind (`intake`, `track`) from an address; refuses beyond
/// `per_hour` in the current hour.
pub async fn throttle<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    purpose: &str,
    client: &str,
    per_hour: i64,
    now: i64,
) -> AppResult<()> {
    let key = crypto.lookup_hash(purpose, client);
    let rows =
        db::query_rows(c, "SELECT count, window_start FROM intake_throttle WHERE key = $1", vec![key.clone().into()])
            .await?;
    let current =
        rows.first().map(|r| (r.try_get_by_index::<i64>(0).unwrap_or(0), r.try_get_by_index::<i64>(1).unwrap_or(0)));
    match current {
        Some((count, start)) if now - start < 3600 => {
            if count >= per_hour {
                return Err(AppError::TooManyRequests(format!(
                    "同一网络一小时内最多{} {per_hour} 次，请稍后再试；急事请拨打联络站电话",
                    if purpose == "intake" { "提交" } else { "查询" }
                )));
            }
            db::exec(c, "UPDATE intake_throttle SET count = count + 1 WHERE key = $1", vec![key.into()]).await?;
        }
        Some(_) => {
            db::exec(
                c,
                "UPDATE intake_throttle SET count = 1, window_start = $1 WHERE key = $2",
                vec![now.into(), key.into()],
            )
            .await?;
        }
        None => {
            db::exec(
                c,
                "INSERT INTO intake_throttle (key, count, window_start) VALUES ($1, 1, $2)",
                vec![key.into(), now.into()],
            )
            .await?;
        }
    }
    Ok(())
}

/// A private query code: six characters without the ones people confuse (0/O, 1/I).
pub fn query_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..6).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

pub fn code_hash(crypto: &FieldCrypto, tracking_no: &str, code: &str) -> String {
    crypto.lookup_hash("opinion_code", &format!("{}:{}", tracking_no.trim().to_uppercase(), code.trim().to_uppercase()))
}

/// The text the search index holds (PLAT-12): segmented, tokens joined by spaces, the
/// installation's names kept whole beside the words inside them; a 12345 order's number too,
/// so that a search finds the order by it.
pub fn search_text(lexicon: &Lexicon, title: &str, content: &str, external_no: Option<&str>) -> String {
    crate::nlp::segment::index_text_in(lexicon, &format!("{title} {content} {}", external_no.unwrap_or("")))
}

/// The words hot words count (`opinions.words`): of the title and the text, the installation's
/// names whole, function words left out, each once (`nlp::keywords::text_words`).
pub fn stored_words(lexicon: &Lexicon, title: &str, content: &str) -> String {
    crate::nlp::keywords::stored_words(lexicon, &format!("{title} {content}"))
}

/// A title derived from the content when none was given.
pub fn derived_title(content: &str) -> String {
    let first = content.split(['\n', '。', '！', '？', '!', '?']).next().unwrap_or(content).trim();
    let t: String = first.chars().take(24).collect();
    if first.chars().count() > 24 { format!("{t}…") } else { t }
}

/// Where an opinion belongs: its organ (the station's, the deputy's, that of the account
/// that typed it in — a township's staff enter into their own queue —, or the default organ),
/// and its area.
async fn place<C: ConnectionTrait>(c: &C, s: &Submission, entered_by: Option<i64>) -> AppResult<(i64, Option<i64>)> {
    if let Some(st) = s.station_id {
        let station = crate::registry::stations::station(c, st)
            .await?
            .ok_or_else(|| AppError::invalid("station_id", "没有这个联络站"))?;
        return Ok((station.organ_id, Some(station.area_id)));
    }
    let area = match s.area_code.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(code) => Some(
            db::query_rows(c, "SELECT id FROM areas WHERE code = $1", vec![code.into()])
                .await?
                .first()
                .and_then(|r| r.try_get_by_index::<i64>(0).ok())
                .ok_or_else(|| AppError::invalid("area_code", "没有这个行政区划代码"))?,
        ),
        None => None,
    };
    if let Some(d) = s.deputy_id {
        let person = crate::registry::persons::person(c, d)
            .await?
            .ok_or_else(|| AppError::invalid("deputy_id", "没有这位代表"))?;
        return Ok((person.organ_id, area));
    }
    if let Some(account) = entered_by {
        let own = db::query_rows(
            c,
            "SELECT a.organ_id FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE a.id = $1 AND o.external = false",
            vec![account.into()],
        )
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok());
        if let Some(organ_id) = own {
            return Ok((organ_id, area));
        }
    }
    let organ = crate::org::default_organ(c).await?.ok_or_else(|| AppError::Conflict("系统尚未设置机关".into()))?;
    Ok((organ.id, area))
}

/// Where a submission comes from: its channel, the account that typed it in for someone (a
/// deputy, keeper or staff; `None` for the citizen themselves), the client address, the time,
/// and the installation's names the search text keeps whole (`super::lexicon::current`).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub channel: Channel,
    pub entered_by: Option<i64>,
    pub client: &'a str,
    pub now: i64,
    pub lexicon: &'a Lexicon,
}

/// Takes one opinion in, in the caller's write transaction, under the default SMS caps.
pub async fn submit<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    s: &Submission,
    src: &Source<'_>,
) -> AppResult<Receipt> {
    submit_with_limits(c, key, crypto, &notify::Limits::default(), actor, s, src).await
}

/// Takes one opinion in under the installation's SMS caps: a receipt over the cap is not sent,
/// and the opinion is kept all the same (`Receipt::sms` says so).
pub async fn submit_with_limits<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    limits: &notify::Limits,
    actor: &Actor,
    s: &Submission,
    src: &Source<'_>,
) -> AppResult<Receipt> {
    let Source { channel, entered_by, client, now, lexicon } = *src;
    // The category is checked against the taxonomy as stored, inside the write.
    let taxonomy =
        if s.category.trim().is_empty() { model::Taxonomy::default() } else { model::load_taxonomy(c).await? };
    validate(s, &taxonomy)?;
    let (organ_id, area_id) = place(c, s, entered_by).await?;
    let content = s.content.trim().to_string();
    let title = if s.title.trim().is_empty() { derived_title(&content) } else { s.title.trim().to_string() };
    let mut source = format!(
        "{channel:?}:{:?}:{:?}:{}",
        s.station_id,
        s.deputy_id,
        entered_by.map(|a| a.to_string()).unwrap_or_else(|| client.to_string())
    );
    // Two work orders of an external system are two matters even when their text is the same
    // (the order number, checked below, is what makes an import idempotent).
    if let Some(ext) = s.external_no.as_deref() {
        source.push_str(&format!(":{ext}"));
    }
    let content_hash = crypto.lookup_hash("opinion_content", &format!("{source}\u{1f}{content}"));
    if let Some(no) = db::query_rows(
        c,
        "SELECT tracking_no FROM opinions WHERE content_hash = $1 AND created_at > $2 ORDER BY id DESC LIMIT 1",
        vec![content_hash.clone().into(), (now - REPEAT_WINDOW_SECS).into()],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<String>(0).ok())
    {
        return Err(AppError::Conflict(format!(
            "相同内容刚刚已经提交过（查询编号 {no}），请不要重复提交；请用当时显示的查询码查询进度"
        )));
    }
    if let Some(ext) = s.external_no.as_deref()
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM opinions WHERE organ_id = $1 AND external_no = $2",
            vec![organ_id.into(), ext.into()],
        )
        .await?
            > 0
    {
        return Err(AppError::Conflict(format!("外部工单号 {ext} 已经导入过")));
    }
    let words = super::words::words(c).await?;
    let hold = super::words::held_by(&words, &format!("{title} {content}")).map(|w| format!("含有需审核的词语「{w}」"));
    let (station_id, deputy_id) = (s.station_id, s.deputy_id);
    let note = channel.label();
    let item_id = loop_service::open(
        c,
        actor,
        &NewItem {
            kind: super::KIND,
            organ_id,
            area_id,
            station_id,
            deputy_id,
            held: hold.is_some(),
            note,
            signers: &[],
        },
        now,
    )
    .await?;
    let date = crate::calendar::beijing_date(now).format("%Y%m%d").to_string();
    let tracking_no = format!("{date}{item_id:06}");
    let code = query_code();
    let name = s.name.trim();
    let phone = s.phone.trim();
    // The words its hot words count, segmented once here and kept (issue 21).
    let words = stored_words(lexicon, &title, &content);
    let opinion_id = db::insert_id(
        c,
        "INSERT INTO opinions (item_id, organ_id, tracking_no, code_hash, channel, station_id, deputy_id, area_id, category, \
         title, content, name_enc, phone_enc, phone_hash, allow_public, anonymous, client_hash, content_hash, external_no, \
         hold_reason, entered_by_id, search_text, words, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
        vec![
            item_id.into(),
            organ_id.into(),
            tracking_no.clone().into(),
            code_hash(crypto, &tracking_no, &code).into(),
            channel.as_str().into(),
            station_id.into(),
            deputy_id.into(),
            area_id.into(),
            s.category.trim().into(),
            title.clone().into(),
            content.clone().into(),
            (!name.is_empty()).then(|| crypto.encrypt(name)).into(),
            (!phone.is_empty()).then(|| crypto.encrypt(phone)).into(),
            (!phone.is_empty()).then(|| crypto.lookup_hash("phone", phone)).into(),
            s.allow_public.into(),
            s.anonymous.into(),
            crypto.lookup_hash("client", client).into(),
            content_hash.into(),
            s.external_no.clone().into(),
            hold.clone().into(),
            entered_by.into(),
            search_text(lexicon, &title, &content, s.external_no.as_deref()).into(),
            words.clone().into(),
            now.into(),
        ],
    )
    .await?;
    super::wordcounts::count_new(c, organ_id, now, &words).await?;
    super::figures::restate(c, item_id).await?;
    let sms = if !is_mobile(phone) {
        None
    } else {
        let text = format!(
            "【数字人大】您反映的问题已收到，查询编号 {tracking_no}，查询码 {code}。可在“办理进度查询”页面查看办理情况和答复。"
        );
        let message = notify::Message { text, secret: Some(code.clone()), public: entered_by.is_none() };
        Some(notify::sms(c, crypto, limits, phone, &message, "opinion_receipt").await?)
    };
    Change::audited(
        "opinion_submit",
        "opinion",
        opinion_id,
        format!("{} {tracking_no}{}", channel.label(), if hold.is_some() { "（待审核）" } else { "" }),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(Receipt { tracking_no, query_code: code, opinion_id, held: hold.is_some(), sms })
}

/// The opinion behind a tracking number, when the query code matches (else `NotFound`,
/// whether the number exists or not).
pub async fn track<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    tracking_no: &str,
    code: &str,
) -> AppResult<model::Opinion> {
    let rows = db::query_rows(
        c,
        "SELECT id, code_hash FROM opinions WHERE tracking_no = $1",
        vec![tracking_no.trim().to_uppercase().into()],
    )
    .await?;
    let Some((id, hash)) =
        rows.first().and_then(|r| Some((r.try_get_by_index::<i64>(0).ok()?, r.try_get_by_index::<String>(1).ok()?)))
    else {
        return Err(AppError::NotFound);
    };
    let given = code_hash(crypto, tracking_no, code);
    if !constant_time_eq(given.as_bytes(), hash.as_bytes()) {
        return Err(AppError::NotFound);
    }
    model::opinion(c, id).await?.ok_or(AppError::NotFound)
}

pub use crate::privacy::constant_time_eq;

/// Changes the category at triage (OPN-5); audited.
pub async fn set_category<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    opinion_id: i64,
    organ_id: i64,
    category: &str,
) -> AppResult<()> {
    if !model::load_taxonomy(c).await?.accepts(category) {
        return Err(AppError::invalid("category", "请从列表中选择类别"));
    }
    db::exec(c, "UPDATE opinions SET category = $1 WHERE id = $2", vec![category.into(), opinion_id.into()]).await?;
    let item = db::scalar_i64(c, "SELECT item_id FROM opinions WHERE id = $1", vec![opinion_id.into()]).await?;
    super::figures::restate(c, item).await?;
    Change::audited(
        "opinion_classify",
        "opinion",
        opinion_id,
        format!("类别：{}", if category.is_empty() { "未分类" } else { category }),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// The submitter's mobile, decrypted (for the SMS at reply and closing); `None` for a landline
/// (a 12345 caller's contact), which no SMS can reach.
pub async fn submitter_phone<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    item_id: i64,
) -> Result<Option<(String, String)>, DbErr> {
    let rows =
        db::query_rows(c, "SELECT phone_enc, tracking_no FROM opinions WHERE item_id = $1", vec![item_id.into()])
            .await?;
    Ok(rows.first().and_then(|r| {
        let enc = r.try_get_by_index::<Option<String>>(0).ok().flatten()?;
        let no = r.try_get_by_index::<String>(1).ok()?;
        Some((crypto.decrypt(&enc).ok()?, no)).filter(|(phone, _)| is_mobile(phone))
    }))
}

/// What one purge run cleared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub opinions: u64,
    pub messages: u64,
}

/// Rows cleared per transaction, so that a purge of millions never holds the writer long.
const PURGE_BATCH: i64 = 1_000;

/// PLAT-8: clears the submitter's name and phone from opinions whose item ended (办结 or
/// 不予受理) more than `retention_days` ago, and the phone from SMS sent that long ago (the
/// masked number stays). The text, the history and the figures stay. One audit entry per run
/// that cleared something.
pub async fn purge_personal_data(
    writer: &db::writer::Writer,
    key: &[u8],
    retention_days: i64,
    now: i64,
) -> Result<Purged, DbErr> {
    let cutoff = now - retention_days * 86_400;
    let mut purged = Purged::default();
    loop {
        let (n, m) = writer
            .run(async |txn| {
                let n = db::exec(
                    txn,
                    "UPDATE opinions SET name_enc = NULL, phone_enc = NULL, phone_hash = NULL, purged_at = $1 \
                     WHERE id IN (SELECT op.id FROM opinions op JOIN handling_items i ON i.id = op.item_id \
                     WHERE op.purged_at IS NULL AND i.state IN ('closed', 'rejected') AND i.closed_at < $2 \
                     AND (op.name_enc IS NOT NULL OR op.phone_enc IS NOT NULL OR op.phone_hash IS NOT NULL) LIMIT $3)",
                    vec![now.into(), cutoff.into(), PURGE_BATCH.into()],
                )
                .await?;
                let m = db::exec(
                    txn,
                    "UPDATE sms_outbox SET phone_enc = '', phone_hash = NULL, body_enc = NULL WHERE id IN \
                     (SELECT id FROM sms_outbox WHERE phone_enc <> '' AND created_at < $1 LIMIT $2)",
                    vec![cutoff.into(), PURGE_BATCH.into()],
                )
                .await?;
                Ok::<_, DbErr>((n, m))
            })
            .await?;
        purged.opinions += n;
        purged.messages += m;
        if n < PURGE_BATCH as u64 && m < PURGE_BATCH as u64 {
            break;
        }
    }
    if purged != Purged::default() {
        audit::record(
            writer,
            key,
            &Actor::system("个人信息清除"),
            Change::audited(
                "personal_data_purge",
                "opinion",
                "",
                format!(
                    "保存期限 {retention_days} 天：清除 {} 件意见的姓名和手机号、{} 条短信的手机号",
                    purged.opinions, purged.messages
                ),
            ),
        )
        .await?;
    }
    Ok(purged)
}
