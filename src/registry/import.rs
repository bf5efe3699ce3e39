//! Roster import and export (REG-8, PLAT-15): the file is parsed first, outside any
//! transaction ([`parse_roster`]); the rows are then checked against the database — every
//! problem reported with row, column and reason — and only a clean file is applied, inside the
//! caller's transaction. Export writes the same layout, so an exported file imports back
//! unchanged.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::Level;
use super::persons::{self, MandateInput, PersonInput};
use super::roster::{self, RosterMandate, RosterRow, RowIssue};
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::org::Organ;
use crate::privacy::FieldCrypto;
use crate::registry::records::audit_change;

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug)]
pub enum ImportError {
    /// The file has problems; nothing was written.
    Rows(Vec<RowIssue>),
    Db(AppError),
}

impl From<DbErr> for ImportError {
    fn from(e: DbErr) -> Self {
        ImportError::Db(e.into())
    }
}
impl From<AppError> for ImportError {
    fn from(e: AppError) -> Self {
        ImportError::Db(e)
    }
}

/// What a roster's names and levels resolve to at one organ.
struct Resolver {
    /// Township areas under the organ's area, by name.
    townships: HashMap<String, i64>,
    /// Stations of organs in the subtree, by name.
    stations: HashMap<String, i64>,
    /// The organ holding each level's mandates: county and above are fixed, township
    /// mandates go to the organ at the person's township.
    level_organs: HashMap<Level, i64>,
    township_organs: HashMap<i64, i64>,
    /// Persons registered in the subtree: id → (name, birth date).
    known: HashMap<i64, (String, Option<String>)>,
}

async fn resolver<C: ConnectionTrait>(c: &C, organ: &Organ) -> Result<Resolver, DbErr> {
    let area = crate::org::area(c, organ.area_id).await?;
    let area_path = area.map(|a| a.path).unwrap_or_else(|| "/".into());
    let like = |p: &str| format!("{}%", db::like_escape(p));
    let mut townships = HashMap::new();
    for r in db::query_rows(
        c,
        "SELECT id, name FROM areas WHERE path LIKE $1 ESCAPE '\\' AND level = 'township'",
        vec![like(&area_path).into()],
    )
    .await?
    {
        townships.insert(r.try_get_by_index::<String>(1)?, r.try_get_by_index::<i64>(0)?);
    }
    let mut stations = HashMap::new();
    for r in db::query_rows(
        c,
        "SELECT s.id, s.name FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.path LIKE $1 ESCAPE '\\' \
         ORDER BY s.id DESC",
        vec![like(&organ.path).into()],
    )
    .await?
    {
        stations.insert(r.try_get_by_index::<String>(1)?, r.try_get_by_index::<i64>(0)?);
    }
    let mut level_organs = HashMap::new();
    let mut township_organs = HashMap::new();
    for o in crate::org::all_organs(c).await? {
        let Some(level) = Level::parse(&o.level) else { continue };
        if o.id == organ.id || (o.external && level < Level::parse(&organ.level).unwrap_or(Level::Township)) {
            level_organs.entry(level).or_insert(o.id);
        }
        if level == Level::Township && o.path.starts_with(&organ.path) {
            township_organs.insert(o.area_id, o.id);
        }
    }
    let mut known = HashMap::new();
    for r in db::query_rows(
        c,
        "SELECT p.id, p.name, p.birth_date FROM persons p JOIN organs o ON o.id = p.organ_id \
         WHERE o.path LIKE $1 ESCAPE '\\'",
        vec![like(&organ.path).into()],
    )
    .await?
    {
        known.insert(r.try_get_by_index::<i64>(0)?, (r.try_get_by_index(1)?, r.try_get_by_index(2)?));
    }
    Ok(Resolver { townships, stations, level_organs, township_organs, known })
}

const FIELD_COLUMNS: [(&str, &str); 10] = [
    ("name", "姓名"),
    ("gender", "性别"),
    ("ethnicity", "民族"),
    ("birth_date", "出生日期"),
    ("party", "政治面貌"),
    ("education", "学历"),
    ("occupation", "职业类别"),
    ("work_unit", "工作单位及职务"),
    ("expertise", "专业特长"),
    ("mobile", "手机号码"),
];

struct Resolved {
    input: PersonInput,
    /// (organ id, level, term, constituency)
    mandates: Vec<(i64, Level, i64, String)>,
    station: Option<(i64, String)>,
    masked: roster::Masked,
}

/// Checks one row against the database. Every problem is pushed to `issues`; the row resolves
/// only when it has none (`parsed_ok`: the file's own check found none either).
fn resolve_row(r: &Resolver, row: &RosterRow, parsed_ok: bool, issues: &mut Vec<RowIssue>) -> Option<Resolved> {
    let before = issues.len();
    let issue = |issues: &mut Vec<RowIssue>, column: &str, reason: String| {
        issues.push(RowIssue { row: row.row, column: column.into(), reason })
    };
    if let Some(id) = row.id
        && !r.known.contains_key(&id)
    {
        issue(issues, "编号", format!("编号 {id} 不存在或不属于本机关；新增的代表请把编号留空"));
    }
    let birth = row.birth_date.map(|d| d.format("%Y-%m-%d").to_string());
    if row.id.is_none()
        && let Some((id, _)) = r.known.iter().find(|(_, (n, b))| *n == row.name && *b == birth && birth.is_some())
    {
        issue(issues, "姓名", format!("与已登记的代表（编号 {id}）姓名、出生日期相同；如是同一人，请填写编号"));
    }
    let township = match row.township.as_str() {
        "" => None,
        t => match r.townships.get(t) {
            Some(id) => Some(*id),
            None => {
                issue(issues, "所在镇街", format!("所在镇街「{t}」不在本行政区内"));
                None
            }
        },
    };
    let station = match row.station.as_str() {
        "" => None,
        s => match r.stations.get(s) {
            Some(id) => Some((*id, s.to_string())),
            None => {
                issue(issues, "进站联络站", format!("联络站「{s}」不存在，请先在站点管理中登记"));
                None
            }
        },
    };
    let mut mandates = Vec::new();
    for RosterMandate { level, term, constituency } in &row.mandates {
        let organ = if *level == Level::Township {
            match township.and_then(|t| r.township_organs.get(&t)) {
                Some(o) => Some(*o),
                None => {
                    issue(
                        issues,
                        &roster::term_header(*level),
                        "乡镇人大代表须填写所在镇街，且该镇街已登记人大".into(),
                    );
                    continue;
                }
            }
        } else {
            r.level_organs.get(level).copied()
        };
        match organ {
            Some(o) => mandates.push((o, *level, i64::from(*term), constituency.clone())),
            None => issue(
                issues,
                &roster::term_header(*level),
                format!("系统中没有登记{}人大，请先由管理员添加", level.label()),
            ),
        }
    }
    if row.mandates.is_empty() && parsed_ok {
        issue(issues, "县人大代表届次", "至少填写一级人大代表的届次".into());
    }
    let input = PersonInput {
        name: row.name.clone(),
        gender: row.gender.as_str().into(),
        ethnicity: row.ethnicity.clone(),
        birth_date: birth,
        party: row.party.clone(),
        education: row.education.clone(),
        occupation: row.occupation.clone(),
        work_unit: row.work_unit.clone(),
        expertise: row.expertise.clone(),
        public_contact: row.public_contact.clone(),
        mobile: row.mobile.clone(),
        township_area_id: township,
        bio: String::new(),
    };
    let input = match persons::validate(&input) {
        Ok(i) => i,
        Err(fields) => {
            for f in fields {
                let col = crate::org::label(&FIELD_COLUMNS, &f.field);
                issue(issues, col, f.message);
            }
            return None;
        }
    };
    (parsed_ok && issues.len() == before).then_some(Resolved { input, mandates, station, masked: row.masked })
}

/// Parses an uploaded roster off the async workers ([`crate::sheet::run_blocking`]). Call it
/// before opening the write transaction that [`apply`] runs in. `Err` only when the file cannot
/// be read as a roster at all; problems of single rows come back in [`roster::Parsed::issues`].
pub async fn parse_roster(bytes: Vec<u8>) -> Result<roster::Parsed, Vec<RowIssue>> {
    crate::sheet::run_blocking(move || roster::parse_all_with(&bytes, &crate::sheet::Limits::default()))
        .await
        .map_err(|e| vec![e.into()])?
}

/// What one row of the file will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowEffect {
    New,
    /// What changes, in words (「手机号码」「新增第十八届县人大代表资格」「进站：城关联络站」).
    Changed(Vec<String>),
    Unchanged,
}

/// One row of a checked file and what it will do.
pub struct PlannedRow {
    pub row: u32,
    pub id: Option<i64>,
    pub name: String,
    pub effect: RowEffect,
    resolved: Resolved,
}

/// A file checked against the database with no problem found: what importing it would do.
/// Nothing is written until [`apply`].
pub struct Plan {
    pub rows: Vec<PlannedRow>,
}

impl Plan {
    pub fn summary(&self) -> ImportSummary {
        let mut s = ImportSummary::default();
        for r in &self.rows {
            match r.effect {
                RowEffect::New => s.created += 1,
                RowEffect::Changed(_) => s.updated += 1,
                RowEffect::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    /// A short digest of what the plan does, row by row: the confirmation applies a file only if
    /// it would still do what the preview showed.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in &self.rows {
            h.update(format!("{}|{:?}|{:?}\n", r.row, r.id, r.effect).as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Checks every row of a parsed file against the database at `organ` and works out what each
/// would change. `Err` lists every problem of the file — the cells' own and those found against
/// the database — sorted by row; nothing is written either way.
pub async fn check<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    organ: &Organ,
    parsed: &roster::Parsed,
) -> Result<Result<Plan, Vec<RowIssue>>, DbErr> {
    let r = resolver(c, organ).await?;
    let bad_rows: std::collections::HashSet<u32> = parsed.issues.iter().map(|i| i.row).collect();
    let mut issues = parsed.issues.clone();
    let mut resolved = Vec::new();
    for row in &parsed.rows {
        if let Some(x) = resolve_row(&r, row, !bad_rows.contains(&row.row), &mut issues) {
            resolved.push((row, x));
        }
    }
    if !issues.is_empty() {
        // The file's own finding comes first; a second one about the same cell adds nothing.
        issues.sort_by_key(|i| i.row);
        let mut seen = std::collections::HashSet::new();
        issues.retain(|i| seen.insert((i.row, i.column.clone())));
        return Ok(Err(issues));
    }
    let ids: Vec<i64> = resolved.iter().filter_map(|(row, _)| row.id).collect();
    let mandates = persons::mandates_of(c, &ids).await?;
    let mut on_file: HashMap<i64, persons::Person> =
        persons::persons_by_ids(c, &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    let mut at_station = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        for row in db::query_rows(
            c,
            &format!("SELECT station_id, person_id FROM station_deputies WHERE person_id IN ({list})"),
            vec![],
        )
        .await?
        {
            at_station.insert((row.try_get_by_index::<i64>(0)?, row.try_get_by_index::<i64>(1)?));
        }
    }
    let mut rows = Vec::with_capacity(resolved.len());
    for (row, mut x) in resolved {
        let effect = match row.id {
            None => RowEffect::New,
            Some(id) => {
                let existing = on_file.remove(&id).ok_or(DbErr::RecordNotFound(format!("person {id}")))?;
                let mobile_on_file = existing.mobile_enc.as_deref().and_then(|m| crypto.decrypt(m).ok());
                // Cells masked in the file keep the values on file.
                if x.masked.mobile {
                    x.input.mobile = mobile_on_file.clone();
                }
                if x.masked.birth_date {
                    x.input.birth_date = existing.birth_date.clone();
                }
                x.input.bio = existing.bio.clone();
                let mut changes: Vec<String> = persons::person_changes(&existing, mobile_on_file.as_deref(), &x.input)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                for (organ_id, level, term, constituency) in &x.mandates {
                    let term_name = format!("第{}届", persons::chinese_number(*term));
                    match mandates.iter().find(|m| m.person_id == id && m.organ_id == *organ_id && m.term == *term) {
                        Some(m) if m.constituency == *constituency => {}
                        Some(_) => changes.push(format!("{}人大{term_name}代表团/选区", level.label())),
                        None => changes.push(format!("新增{}人大{term_name}代表资格", level.label())),
                    }
                }
                if let Some((station, name)) = &x.station
                    && !at_station.contains(&(*station, id))
                {
                    changes.push(format!("进站：{name}"));
                }
                if changes.is_empty() { RowEffect::Unchanged } else { RowEffect::Changed(changes) }
            }
        };
        rows.push(PlannedRow { row: row.row, id: row.id, name: row.name.clone(), effect, resolved: x });
    }
    Ok(Ok(Plan { rows }))
}

/// Writes a checked plan ([`check`]) inside the caller's transaction, each change audited as when
/// made by hand, and one summary entry.
pub async fn apply<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    organ: &Organ,
    plan: &Plan,
) -> Result<ImportSummary, AppError> {
    for planned in &plan.rows {
        let x = &planned.resolved;
        let person_id = match (&planned.effect, planned.id) {
            (RowEffect::Unchanged, _) => continue,
            (_, Some(id)) => {
                persons::update_person(c, key, crypto, actor, id, &x.input).await?;
                id
            }
            (_, None) => persons::create_person(c, key, crypto, actor, organ.id, &x.input).await?,
        };
        let current = persons::mandates_of(c, &[person_id]).await?;
        for (organ_id, _, term, constituency) in &x.mandates {
            match current.iter().find(|m| m.organ_id == *organ_id && m.term == *term) {
                Some(m) if m.constituency == *constituency => {}
                Some(m) => {
                    db::exec(
                        c,
                        "UPDATE mandates SET constituency = $1 WHERE id = $2",
                        vec![constituency.clone().into(), m.id.into()],
                    )
                    .await?;
                    let said = format!("第{term}届 代表团/选区 改为 {constituency}");
                    audit_change(c, (key, actor), "mandate_update", "person", person_id, organ.id, said).await?;
                }
                None => {
                    let input = MandateInput {
                        organ_id: *organ_id,
                        term: *term,
                        constituency: constituency.clone(),
                        start_date: None,
                        how: persons::MandateEventKind::Elected.as_str().into(),
                    };
                    persons::add_mandate(c, key, actor, person_id, &input).await?;
                }
            }
        }
        if let Some((station, _)) = x.station {
            super::stations::assign_deputy(c, key, actor, station, person_id).await?;
        }
    }
    let summary = plan.summary();
    let said = format!("导入代表名册：新增 {}，更新 {}，未变 {}", summary.created, summary.updated, summary.unchanged);
    audit_change(c, (key, actor), "roster_import", "organ", organ.id, organ.id, said).await?;
    Ok(summary)
}

/// Checks and applies clean rows in one go (the command line, tests): all or nothing, every
/// problem reported.
pub async fn import_roster<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    organ: &Organ,
    rows: &[RosterRow],
) -> Result<ImportSummary, ImportError> {
    let parsed = roster::Parsed { rows: rows.to_vec(), issues: Vec::new() };
    match check(c, crypto, organ, &parsed).await? {
        Ok(plan) => Ok(apply(c, key, crypto, actor, organ, &plan).await?),
        Err(issues) => Err(ImportError::Rows(issues)),
    }
}

/// The roster rows of every person with a serving mandate registered under `organ_path`.
pub async fn roster_rows<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    organ_path: &str,
) -> Result<Vec<RosterRow>, DbErr> {
    let filter = persons::DeputyFilter { organ_path: organ_path.into(), ..Default::default() };
    let mut out = Vec::new();
    let mut after = 0;
    let area_names: HashMap<i64, String> =
        crate::org::areas_all(c).await?.into_iter().map(|a| (a.id, a.name)).collect();
    loop {
        let page = persons::list(c, &filter, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|p| p.id).collect();
        let mandates = persons::mandates_of(c, &ids).await?;
        for p in page {
            let mut ms: Vec<RosterMandate> = Vec::new();
            for m in mandates.iter().filter(|m| m.person_id == p.id && m.serving()) {
                if let Some(level) = m.level()
                    && !ms.iter().any(|x| x.level == level)
                {
                    ms.push(RosterMandate { level, term: m.term as i32, constituency: m.constituency.clone() });
                }
            }
            ms.sort_by_key(|m| m.level);
            let station = persons::stations_of(c, p.id).await?.into_iter().next().map(|s| s.1).unwrap_or_default();
            out.push(RosterRow {
                row: 0,
                id: Some(p.id),
                name: p.name.clone(),
                gender: p.gender,
                ethnicity: p.ethnicity.clone(),
                birth_date: p.birth_date.as_deref().and_then(crate::app::fmt::parse_iso_date),
                party: p.party.clone(),
                education: p.education.clone(),
                occupation: p.occupation.clone(),
                work_unit: p.work_unit.clone(),
                expertise: p.tags().into_iter().map(String::from).collect(),
                public_contact: p.public_contact.clone(),
                mobile: p.mobile_enc.as_deref().and_then(|m| crypto.decrypt(m).ok()),
                township: p.township_area_id.and_then(|a| area_names.get(&a).cloned()).unwrap_or_default(),
                station,
                mandates: ms,
                masked: Default::default(),
            });
        }
    }
    Ok(out)
}

/// Whether an export carries personal data in full or masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privacy {
    /// Mobiles as `138****5678`, birth dates as `1975-**-**` (the default).
    Masked,
    /// Full values: needs the personal-data permission and an explicit choice.
    Full,
}

/// The roster of an organ's subtree as .xlsx bytes, in the import layout, with the number
/// of rows (for the audit entry).
pub async fn export_roster<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    organ_path: &str,
    privacy: Privacy,
) -> Result<(Vec<u8>, usize), DbErr> {
    let rows = roster_rows(c, crypto, organ_path).await?;
    let bytes = match privacy {
        Privacy::Masked => roster::write_masked(&rows),
        Privacy::Full => roster::write(&rows),
    };
    Ok((bytes, rows.len()))
}
