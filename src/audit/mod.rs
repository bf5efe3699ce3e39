//! The audit log (PLAT-9): every write appends an entry in the same transaction, chained
//! with a keyed hash; the head (last sequence number and hash) is kept apart and MAC'd.

use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use sha2::Sha256;

use crate::db;

pub mod checks;

/// Who did it, for whom, from where (already masked).
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub name: String,
    pub on_behalf_of: Option<String>,
    pub client: String,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { account_id: None, name: format!("系统:{what}"), on_behalf_of: None, client: "-".into() }
    }
}

/// One change to record. `summary` must hold no personal data in clear.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub organ_id: Option<i64>,
    pub summary: String,
}

impl<'a> Change<'a> {
    /// `action` on one record (`target_type` #`target_id`), outside any organ until
    /// `in_organ` places it: `Change::audited("reception_fulfil", "reception", id, summary).in_organ(organ_id)`.
    pub fn audited(
        action: &'a str,
        target_type: &'a str,
        target_id: impl ToString,
        summary: impl Into<String>,
    ) -> Change<'a> {
        Change { action, target_type, target_id: target_id.to_string(), organ_id: None, summary: summary.into() }
    }
    /// The organ the change belongs to (whose admins read it in the audit log).
    pub fn in_organ(self, organ_id: i64) -> Change<'a> {
        Change { organ_id: Some(organ_id), ..self }
    }
    /// `append`s it: `Change::audited(…).in_organ(…).append(txn, key, actor).await?`.
    pub async fn append<C: ConnectionTrait>(self, c: &C, key: &[u8], actor: &Actor) -> Result<i64, DbErr> {
        append(c, key, actor, self).await
    }
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub organ_id: Option<i64>,
    pub summary: String,
    pub client: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(FromQueryResult)]
struct Head {
    last_seq: i64,
    last_hash: String,
    mac: String,
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length")
}

fn entry_hash(key: &[u8], e: &Entry) -> String {
    let mut m = mac(key);
    let fields: [&str; 12] = [
        &e.seq.to_string(),
        &e.at.to_string(),
        &e.actor_id.map(|v| v.to_string()).unwrap_or_default(),
        &e.actor,
        e.on_behalf_of.as_deref().unwrap_or(""),
        &e.action,
        &e.target_type,
        &e.target_id,
        &e.organ_id.map(|v| v.to_string()).unwrap_or_default(),
        &e.summary,
        &e.client,
        &e.prev_hash,
    ];
    for f in fields {
        m.update(f.as_bytes());
        m.update(&[0x1f]);
    }
    hex::encode(m.finalize().into_bytes())
}

fn head_mac(key: &[u8], seq: i64, hash: &str) -> String {
    let mut m = mac(key);
    m.update(b"renda-audit-head\x1f");
    m.update(seq.to_string().as_bytes());
    m.update(&[0x1f]);
    m.update(hash.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Appends one entry; call inside the write transaction of the change (`db::begin_write`).
pub async fn append<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, change: Change<'_>) -> Result<i64, DbErr> {
    append_many(c, key, actor, vec![change]).await
}

/// Appends several entries by one actor at once: one head read, multi-row inserts, one head
/// update — the same chain as `append` called for each in turn. Call inside a write
/// transaction. Gives the last sequence number.
pub async fn append_many<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    changes: Vec<Change<'_>>,
) -> Result<i64, DbErr> {
    // Inside a write of the node's writer the batch keeps the head (`db::writer::batch_head`);
    // elsewhere (the generator's own transactions) it is read and written here.
    let batch = db::writer::batch_head();
    let head: Head = match &batch {
        Some(b) => {
            let h = b.get();
            Head { last_seq: h.seq, last_hash: h.hash, mac: h.mac }
        }
        None => db::query_one(c, "SELECT last_seq, last_hash, mac FROM audit_head WHERE id = 1", vec![])
            .await?
            .ok_or_else(|| DbErr::Custom("审计链头缺失".into()))?,
    };
    let (mut seq, mut prev_hash) = (head.last_seq, head.last_hash);
    let now = db::now();
    // 13 values a row: 200 rows stay under both backends' limit on bound parameters.
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let mut rows = Vec::new();
        let mut values: Vec<sea_orm::Value> = Vec::new();
        for change in changes.by_ref().take(200) {
            seq += 1;
            let mut e = Entry {
                seq,
                at: now,
                actor_id: actor.account_id,
                actor: actor.name.clone(),
                on_behalf_of: actor.on_behalf_of.clone(),
                action: change.action.to_string(),
                target_type: change.target_type.to_string(),
                target_id: change.target_id,
                organ_id: change.organ_id,
                summary: change.summary,
                client: actor.client.clone(),
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
            };
            e.hash = entry_hash(key, &e);
            prev_hash = e.hash.clone();
            let n = values.len();
            rows.push(format!("({})", (1..=13).map(|i| format!("${}", n + i)).collect::<Vec<_>>().join(", ")));
            values.extend([
                e.seq.into(),
                e.at.into(),
                e.actor_id.into(),
                e.actor.into(),
                e.on_behalf_of.into(),
                e.action.into(),
                e.target_type.into(),
                e.target_id.into(),
                e.organ_id.into(),
                e.summary.into(),
                e.client.into(),
                e.prev_hash.into(),
                e.hash.into(),
            ]);
        }
        db::exec(
            c,
            &format!(
                "INSERT INTO audit_log (seq, at, actor_id, actor, on_behalf_of, action, target_type, target_id, organ_id, summary, client, prev_hash, hash) VALUES {}",
                rows.join(", ")
            ),
            values,
        )
        .await?;
    }
    if seq > head.last_seq {
        let mac = head_mac(key, seq, &prev_hash);
        match &batch {
            Some(b) => b.set(db::writer::AuditHead { seq, hash: prev_hash, mac }),
            None => {
                db::exec(
                    c,
                    "UPDATE audit_head SET last_seq = $1, last_hash = $2, mac = $3 WHERE id = 1",
                    vec![seq.into(), prev_hash.into(), mac.into()],
                )
                .await?;
            }
        }
    }
    Ok(seq)
}

/// Records a security event (sign-in, refused access …) as a write of its own, through the
/// node's writer. Not from inside another write: append to that write's transaction instead.
pub async fn record(writer: &db::writer::Writer, key: &[u8], actor: &Actor, change: Change<'_>) -> Result<(), DbErr> {
    writer.run(async |txn| append(txn, key, actor, change).await.map(|_| ())).await
}

/// Records data leaving the system as a file (PLAT-8, PLAT-15): who, what, how many rows, and
/// whether personal data went out in full. Called by every export that can hold personal data.
pub async fn record_export(
    writer: &db::writer::Writer,
    key: &[u8],
    actor: &Actor,
    organ_id: Option<i64>,
    what: &str,
    rows: usize,
    personal_in_full: bool,
) -> Result<(), DbErr> {
    let how = if personal_in_full { "含完整手机号、出生日期" } else { "个人信息已脱敏" };
    record(
        writer,
        key,
        actor,
        Change {
            action: if personal_in_full { "export_personal" } else { "export" },
            target_type: "export",
            target_id: what.to_string(),
            organ_id,
            summary: format!("导出{what} {rows} 行（{how}）"),
        },
    )
    .await
}

#[derive(Debug, PartialEq, Eq)]
pub enum ChainError {
    /// An entry whose stored hash does not match its content or its predecessor.
    Tampered { seq: i64 },
    /// A gap in the sequence: entries were deleted.
    Missing { expected: i64, found: i64 },
    /// The head names more (or other) entries than exist: the newest were removed.
    Truncated { head_seq: i64, last_seq: i64 },
    /// The head itself was edited.
    HeadForged,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Tampered { seq } => {
                write!(f, "审计记录 #{seq} 被篡改：哈希与内容或前一条记录不符")
            }
            ChainError::Missing { expected, found } => {
                write!(f, "审计记录 #{expected} 缺失（下一条现存记录为 #{found}）：记录被删除")
            }
            ChainError::Truncated { head_seq, last_seq } => {
                write!(f, "审计链被截断：链头记录到 #{head_seq}，现存最后一条为 #{last_seq}")
            }
            ChainError::HeadForged => write!(f, "审计链头被篡改：校验码不符"),
        }
    }
}

/// Walks the whole chain in pages; returns the number of entries checked or the first fault.
pub async fn verify<C: ConnectionTrait>(c: &C, key: &[u8]) -> Result<Result<i64, ChainError>, DbErr> {
    walk_from(c, key, 0, String::new()).await
}

/// Walks the entries after `after` (whose hash is `after_hash`; `0` and `""` for the whole
/// chain) up to the head, and checks the head's MAC: the last sequence number, or the first fault.
pub(crate) async fn walk_from<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    after: i64,
    after_hash: String,
) -> Result<Result<i64, ChainError>, DbErr> {
    let head: Head = db::query_one(c, "SELECT last_seq, last_hash, mac FROM audit_head WHERE id = 1", vec![])
        .await?
        .ok_or_else(|| DbErr::Custom("审计链头缺失".into()))?;
    if head.last_seq > 0 && head.mac != head_mac(key, head.last_seq, &head.last_hash) {
        return Ok(Err(ChainError::HeadForged));
    }
    let mut prev_hash = after_hash;
    let mut expected = after + 1;
    loop {
        let page: Vec<Entry> = db::query_all(
            c,
            "SELECT seq, at, actor_id, actor, on_behalf_of, action, target_type, target_id, organ_id, summary, client, prev_hash, hash \
             FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 2000",
            vec![expected.into()],
        )
        .await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.seq != expected {
                return Ok(Err(ChainError::Missing { expected, found: e.seq }));
            }
            if e.prev_hash != prev_hash || entry_hash(key, &e) != e.hash {
                return Ok(Err(ChainError::Tampered { seq: e.seq }));
            }
            prev_hash = e.hash;
            expected += 1;
        }
    }
    let last_seq = expected - 1;
    if last_seq != head.last_seq || prev_hash != head.last_hash {
        return Ok(Err(ChainError::Truncated { head_seq: head.last_seq, last_seq }));
    }
    Ok(Ok(last_seq))
}

/// A record's history, newest first.
pub async fn history<C: ConnectionTrait>(c: &C, target_type: &str, target_id: &str) -> Result<Vec<Entry>, DbErr> {
    db::query_all(
        c,
        "SELECT seq, at, actor_id, actor, on_behalf_of, action, target_type, target_id, organ_id, summary, client, prev_hash, hash \
         FROM audit_log WHERE target_type = $1 AND target_id = $2 ORDER BY seq DESC LIMIT 200",
        vec![target_type.into(), target_id.into()],
    )
    .await
}

/// A kind of record audit entries are about (`Change::target_type`, and the resource kind of a
/// refused access): its Chinese name and where its title is. The platform's are
/// `PLATFORM_RECORDS`; a module's are in its `Module::records`.
#[derive(Clone, Copy, Debug)]
pub struct RecordKind {
    pub kind: &'static str,
    pub label: &'static str,
    /// Where its title is; `None`: the entry shows the record's number (or its text id).
    pub title: Option<Title>,
}

/// Where a record's title is: `column` of the row of `table` whose `key` is the record's id. A
/// person's name is masked where it is shown (PLAT-9).
#[derive(Clone, Copy, Debug)]
pub struct Title {
    pub table: &'static str,
    pub key: &'static str,
    pub column: &'static str,
    pub person: bool,
}

impl Title {
    /// `column` of the row of `table` whose `key` is the record's id.
    pub const fn column(table: &'static str, key: &'static str, column: &'static str) -> Title {
        Title { table, key, column, person: false }
    }
}

impl RecordKind {
    /// A kind whose entries show the record's number.
    pub const fn untitled(kind: &'static str, label: &'static str) -> RecordKind {
        RecordKind { kind, label, title: None }
    }
    /// A kind titled by `column` of its row in `table` (by `id`).
    pub const fn titled(
        kind: &'static str,
        label: &'static str,
        table: &'static str,
        column: &'static str,
    ) -> RecordKind {
        RecordKind { kind, label, title: Some(Title::column(table, "id", column)) }
    }
    /// A kind titled by a person's name (masked when shown).
    pub const fn person(
        kind: &'static str,
        label: &'static str,
        table: &'static str,
        column: &'static str,
    ) -> RecordKind {
        RecordKind { kind, label, title: Some(Title { table, key: "id", column, person: true }) }
    }
}

/// The platform's record kinds: what its own writes are about, and the resources whose refused
/// accesses it records (`authz::Resource::kind`).
pub const PLATFORM_RECORDS: &[RecordKind] = &[
    RecordKind::person("account", "账号", "accounts", "display_name"),
    RecordKind::titled("organ", "机关", "organs", "name"),
    RecordKind::titled("area", "行政区划", "areas", "name"),
    RecordKind::titled("handling_unit", "承办单位", "handling_units", "name"),
    RecordKind::untitled("calendar", "工作日历"),
    RecordKind::untitled("export", "导出"),
    RecordKind::untitled("audit", "审计记录"),
    RecordKind::untitled("audit_log", "审计日志"),
    RecordKind::untitled("inbox", "消息"),
    RecordKind::untitled("account_security", "账号安全设置"),
    RecordKind::untitled("write_token", "读写令牌"),
    RecordKind::untitled("external_organ", "上级人大"),
    RecordKind::untitled("jobs", "后台任务"),
    RecordKind::untitled("organ_tree", "机关和区划管理"),
    RecordKind::untitled("settings", "系统设置"),
];

/// Chinese labels of the platform's own audit actions; a module's are in its
/// `Module::audit_labels` (`Modules::label` looks in both).
pub fn platform_label(action: &str) -> Option<&'static str> {
    PLATFORM_LABELS.iter().find(|(a, _)| *a == action).map(|(_, l)| *l)
}

/// The platform's audit actions and their labels.
pub const PLATFORM_LABELS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("logout", "退出登录"),
    ("access_denied", "拒绝访问"),
    ("token_create", "创建 API 令牌"),
    ("token_revoke", "吊销 API 令牌"),
    ("account_create", "创建账号"),
    ("account_update", "修改账号"),
    ("password_change", "修改密码"),
    ("password_reset", "重置密码"),
    ("totp_enable", "启用两步验证"),
    ("totp_disable", "停用两步验证"),
    ("organ_create", "新建机关"),
    ("organ_update", "修改机关"),
    ("area_create", "新建区划"),
    ("area_update", "修改区划"),
    ("attachment_add", "上传附件"),
    ("attachment_remove", "删除附件"),
    ("area_import", "导入区划"),
    ("export", "导出数据"),
    ("export_personal", "导出个人信息"),
    ("unit_create", "新建承办单位"),
    ("unit_update", "修改承办单位"),
    ("unit_contact_add", "新增联络员"),
    ("unit_contact_remove", "移除联络员"),
    ("publish", "公开"),
    ("unpublish", "撤回公开"),
];
