//! Opinions on a draft (LEG-3, LEG-5): a public comment on the whole draft or one article
//! (码上立法) — under the public intake's rules: the address's hourly budget and the SMS code of
//! a new number (`opinions::public::citizen_write`, the caller's), the text rule (extractors),
//! the word list that holds a text for review (`opinions::words`), repeats refused — with a name
//! and phone only if the commenter wishes, encrypted and never shown; moderation; and the
//! disposition of any opinion, linked to the change it led to, with word to whoever gave it.

use sea_orm::ConnectionTrait;

use super::model::{self, Disposition, Draft, Moderation, Opinion, Source, Version};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;
use crate::privacy::FieldCrypto;

pub const MIN_TEXT: usize = 5;
pub const MAX_TEXT: usize = 2000;
pub const MAX_QUOTE: usize = 300;
pub const MAX_REASON: usize = 500;
/// The same text from the same address on the same draft within this many seconds is a repeat.
pub const REPEAT_WINDOW_SECS: i64 = 10 * 60;

/// A comment as typed on /l/{draft} or sent to the public API.
#[derive(Clone, Debug, Default)]
pub struct NewComment {
    /// The article's identity; none for the whole draft.
    pub node_id: Option<i64>,
    pub quote: String,
    pub text: String,
    pub name: String,
    pub phone: String,
    /// The commenter agreed that name and phone are used to tell them what became of it.
    pub consent: bool,
}

/// Removes white space, for comparing a quote with the text it quotes.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks a comment against the version it is given on, every field at once; the article's
/// text is what a quote must come from.
pub async fn validate<C: ConnectionTrait>(c: &C, v: &Version, input: &NewComment) -> AppResult<Option<String>> {
    let mut errors = FieldErrors::new();
    let mut number = None;
    let scope_text = match input.node_id {
        Some(node) => match model::article_in(c, v.id, node).await? {
            Some((row, n)) => {
                number = Some(n);
                let rows = model::nodes(c, v.id).await?;
                let (flats, _) = model::flats(&rows);
                let i = rows.iter().position(|r| r.id == row).unwrap_or(0);
                super::matching::article_text(&flats, i)
            }
            None => {
                errors.add("node_id", "本稿没有这一条，请从条文旁的“发表意见”进入");
                String::new()
            }
        },
        None => model::nodes(c, v.id).await?.iter().map(|r| r.body.as_str()).collect::<Vec<_>>().join(""),
    };
    let n = input.text.trim().chars().count();
    if n < MIN_TEXT {
        errors.add("text", format!("请把意见写清楚，至少 {MIN_TEXT} 个字"));
    } else if n > MAX_TEXT {
        errors.add("text", format!("意见不能超过 {MAX_TEXT} 字（现有 {n} 字）"));
    }
    let quote = input.quote.trim();
    if quote.chars().count() > MAX_QUOTE {
        errors.add("quote", format!("引用的原文不能超过 {MAX_QUOTE} 字"));
    } else if !quote.is_empty() && !scope_text.is_empty() && !squeeze(&scope_text).contains(&squeeze(quote)) {
        let place = number.as_deref().map(|n| format!("{n}中")).unwrap_or_else(|| "草案中".into());
        errors.add("quote", format!("引用的文字在{place}找不到，请从原文中复制，或留空"));
    }
    if input.name.trim().chars().count() > 20 {
        errors.add("name", "姓名不能超过 20 字");
    }
    let phone = input.phone.trim();
    if !phone.is_empty() && !crate::opinions::service::is_mobile(phone) {
        errors.add("phone", "请填写 11 位手机号，或留空");
    }
    if (!input.name.trim().is_empty() || !phone.is_empty()) && !input.consent {
        errors.add("consent", "留下姓名或手机号时，请勾选同意用于告知意见的处理情况");
    }
    errors.check()?;
    Ok(number)
}

/// What a comment became.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Received {
    pub id: i64,
    /// Held for review (a word of the list): shown once released.
    pub held: bool,
    /// The article's number in the version commented on; none for the whole draft.
    pub number: Option<String>,
}

/// Takes a public comment in, in the caller's write transaction (the caller counted the
/// address's budget): open window, checks, repeat, word list, then one row and its audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn comment<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    d: &Draft,
    v: &Version,
    input: &NewComment,
    client: &str,
    now: i64,
) -> AppResult<Received> {
    let today = crate::calendar::beijing_date(now).format("%Y-%m-%d").to_string();
    if !v.open_on(&today) {
        let when = match (&v.open_from, &v.open_until) {
            (Some(a), Some(b)) if today.as_str() < a.as_str() => format!("将于 {a} 开始征求意见"),
            (Some(_), Some(b)) => format!("征求意见已于 {b} 截止"),
            _ => "尚未公开征求意见".into(),
        };
        return Err(AppError::Conflict(format!("《{}》{}{when}，现在不能提交", d.title, v.label)));
    }
    let number = validate(c, v, input).await?;
    let text = input.text.trim();
    let client_hash = crypto.lookup_hash("leg_client", client);
    let repeat = db::scalar_i64(
        c,
        "SELECT count(*) FROM leg_opinions WHERE draft_id = $1 AND client_hash = $2 AND body = $3 AND created_at > $4",
        vec![d.id.into(), client_hash.clone().into(), text.into(), (now - REPEAT_WINDOW_SECS).into()],
    )
    .await?;
    if repeat > 0 {
        return Err(AppError::Conflict("相同的意见刚刚已经提交过，请不要重复提交".into()));
    }
    let words = crate::opinions::words::words(c).await?;
    let hold = crate::opinions::words::held_by(&words, &format!("{} {text}", input.quote))
        .map(|w| format!("含有需审核的词语「{w}」"));
    let (name, phone) = (input.name.trim(), crate::privacy::normalise_phone(input.phone.trim()));
    let id = db::insert_id(
        c,
        "INSERT INTO leg_opinions (draft_id, version_id, node_id, source, stage, quote, body, author, name_enc, phone_enc, \
         phone_masked, client_hash, moderation, hold_reason, task_id, sent, entered_by_id, created_at, disposition, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $10, $11, $12, $13, NULL, true, NULL, $14, NULL, '')",
        vec![
            d.id.into(),
            v.id.into(),
            input.node_id.into(),
            Source::Public.as_str().into(),
            v.stage.clone().into(),
            input.quote.trim().into(),
            text.into(),
            (!name.is_empty()).then(|| crypto.encrypt(name)).into(),
            (!phone.is_empty()).then(|| crypto.encrypt(&phone)).into(),
            (!phone.is_empty()).then(|| crate::privacy::mask_phone(&phone)).into(),
            client_hash.into(),
            if hold.is_some() { Moderation::Held } else { Moderation::Ok }.as_str().into(),
            hold.clone().into(),
            now.into(),
        ],
    )
    .await?;
    let on = number.clone().unwrap_or_else(|| "整体".into());
    Change::audited(
        "leg_comment",
        "leg_draft",
        d.id,
        format!("{}收到公众意见（{on}）{}", v.label, if hold.is_some() { "，待审核" } else { "" }),
    )
    .in_organ(d.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(Received { id, held: hold.is_some(), number })
}

/// Releases a held comment, or removes one that is not an opinion on the draft (it is then
/// neither shown nor counted).
pub async fn moderate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    d: &Draft,
    o: &Opinion,
    to: Moderation,
) -> AppResult<()> {
    if o.moderation() == to {
        return Ok(());
    }
    if to == Moderation::Held {
        return Err(AppError::invalid("moderation", "只能收录或不予收录"));
    }
    if o.disposition().is_some() && to == Moderation::Removed {
        return Err(AppError::Conflict("这条意见已经处理，不能再不予收录".into()));
    }
    db::exec(c, "UPDATE leg_opinions SET moderation = $1 WHERE id = $2", vec![to.as_str().into(), o.id.into()]).await?;
    Change::audited("leg_opinion_moderate", "leg_opinion", o.id, format!("意见{}", to.label()))
        .in_organ(d.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// A disposition as decided: what became of the opinion, why (needed for 未采纳), and the
/// change it led to (a later version and the identity of the node changed).
#[derive(Clone, Debug, Default)]
pub struct Decision {
    pub disposition: String,
    pub reason: String,
    pub change_version_id: Option<i64>,
    pub change_node_id: Option<i64>,
}

/// Disposes of an opinion (again, if staff change their mind), tells whoever gave it — a
/// commenter who left a phone by SMS, the accounts of a task's addressee in their inbox — the
/// first time and whenever the disposition changes.
#[allow(clippy::too_many_arguments)]
pub async fn dispose<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    limits: &crate::notify::Limits,
    actor: &Actor,
    d: &Draft,
    o: &Opinion,
    input: &Decision,
    now: i64,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let disposition = Disposition::parse(&input.disposition);
    if disposition.is_none() {
        errors.add("disposition", "请选择采纳、部分采纳、未采纳或另行研究");
    }
    let reason = input.reason.trim();
    if disposition == Some(Disposition::Rejected) && reason.chars().count() < 2 {
        errors.add("reason", "未采纳的意见请写明理由");
    }
    if reason.chars().count() > MAX_REASON {
        errors.add("reason", format!("理由不能超过 {MAX_REASON} 字"));
    }
    let mut change = (None, None);
    if let Some(vid) = input.change_version_id {
        let later = model::version(c, vid).await?.filter(|v| v.draft_id == d.id);
        let given_on = model::version(c, o.version_id).await?;
        match (later, given_on) {
            (Some(later), Some(on)) if later.seq > on.seq => {
                let node = input.change_node_id.or(o.node_id);
                match node {
                    Some(n) if model::article_in(c, later.id, n).await?.is_some() => change = (Some(later.id), Some(n)),
                    _ => errors.add("change_node_id", format!("{}中没有这一条", later.label)),
                }
            }
            _ => errors.add("change_version_id", "对应的修改应在本草案此后的稿次中"),
        }
    } else if input.change_node_id.is_some() {
        errors.add("change_version_id", "请同时指定修改所在的稿次");
    }
    errors.check()?;
    let disposition = disposition.expect("checked above");
    if !o.sent {
        return Err(AppError::Conflict("这条意见尚未报送，不能处理".into()));
    }
    match o.moderation() {
        Moderation::Held => return Err(AppError::Conflict("这条意见待审核，请先收录再处理".into())),
        Moderation::Removed => return Err(AppError::Conflict("这条意见不予收录，不计入处理".into())),
        Moderation::Ok => {}
    }
    let changed = o.disposition() != Some(disposition);
    db::exec(
        c,
        "UPDATE leg_opinions SET disposition = $1, reason = $2, disposed_at = $3, disposed_by_id = $4, \
         change_version_id = $5, change_node_id = $6 WHERE id = $7",
        vec![
            disposition.as_str().into(),
            reason.into(),
            now.into(),
            actor.account_id.into(),
            change.0.into(),
            change.1.into(),
            o.id.into(),
        ],
    )
    .await?;
    let on = o.number.clone().unwrap_or_else(|| "草案整体".into());
    let told = if changed { tell(c, crypto, limits, d, o, disposition, reason, now).await? } else { false };
    Change::audited(
        "leg_opinion_dispose",
        "leg_opinion",
        o.id,
        format!(
            "{}（{}，{}）：{}{}",
            on,
            o.source().label(),
            o.stage().label(),
            disposition.label(),
            if told { "，已告知" } else { "" }
        ),
    )
    .in_organ(d.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// Word to whoever gave an opinion of what became of it; whether anyone was told.
#[allow(clippy::too_many_arguments)]
async fn tell<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &crate::notify::Limits,
    d: &Draft,
    o: &Opinion,
    disposition: Disposition,
    reason: &str,
    now: i64,
) -> AppResult<bool> {
    let on = o.number.clone().map(|n| n.to_string()).unwrap_or_else(|| "草案".into());
    let why = if reason.is_empty() { String::new() } else { format!("说明：{reason}") };
    let mut told = false;
    if o.source() == Source::Public {
        let rows = db::query_rows(c, "SELECT phone_enc FROM leg_opinions WHERE id = $1", vec![o.id.into()]).await?;
        let phone = rows
            .first()
            .and_then(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten())
            .and_then(|enc| crypto.decrypt(&enc).ok());
        if let Some(phone) = phone {
            let short: String = why.chars().take(60).collect();
            let text = format!(
                "【数字人大】您对《{}》{on}提出的意见已处理：{}。{short}感谢您参与立法。",
                d.title,
                disposition.label()
            );
            let sent =
                crate::notify::sms(c, crypto, limits, &phone, &crate::notify::Message::plain(text), "leg_feedback")
                    .await?;
            told = sent == crate::notify::Sent::Queued;
        }
    } else if let Some(task) = o.task_id {
        let accounts = addressee_accounts(c, task).await?;
        let body = format!("您单位对《{}》{on}提出的意见：{}。{why}", d.title, disposition.label());
        crate::notify::inbox_all(
            c,
            &accounts,
            "立法意见处理情况",
            &body,
            Some(&format!("/console/legislation/tasks/{task}")),
        )
        .await?;
        told = !accounts.is_empty();
    }
    if told {
        db::exec(c, "UPDATE leg_opinions SET notified_at = $1 WHERE id = $2", vec![now.into(), o.id.into()]).await?;
    }
    Ok(told)
}

/// The accounts that act for a task's addressee: the unit's, the station's keepers, the deputy's.
pub async fn addressee_accounts<C: ConnectionTrait>(c: &C, task_id: i64) -> AppResult<Vec<i64>> {
    let rows = db::query_rows(
        c,
        "SELECT a.id FROM leg_tasks t JOIN accounts a ON a.disabled = false AND \
         ((t.target = 'unit' AND a.unit_id = t.unit_id) OR (t.target = 'station' AND a.station_id = t.station_id) \
          OR (t.target = 'deputy' AND a.deputy_id = t.person_id)) WHERE t.id = $1 ORDER BY a.id",
        vec![task_id.into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect())
}
