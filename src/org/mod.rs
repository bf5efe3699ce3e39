//! Areas (行政区划) and organs (人大机关): the scope every record belongs to (REG-1).

pub mod area_import;
pub mod units;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, Change};
use crate::base::error::{AppError, FieldError};
use crate::db;

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Area {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
    /// `province|city|county|township|community`
    pub level: String,
    #[serde(skip)]
    #[schemars(skip)]
    pub path: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Organ {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub area_id: i64,
    pub parent_id: Option<i64>,
    /// `standing_committee|township_presidium|street_working_committee`
    pub kind: String,
    /// `national|provincial|city|county|township`
    pub level: String,
    /// An upper-level congress registered only so that mandates can point at it.
    pub external: bool,
    #[serde(skip)]
    #[schemars(skip)]
    pub path: String,
    pub phone: String,
}

/// 区划级别 (`areas.level`), highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Province,
    City,
    County,
    Township,
    Community,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 5] =
        [AreaLevel::Province, AreaLevel::City, AreaLevel::County, AreaLevel::Township, AreaLevel::Community];

    pub const fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Province => "province",
            AreaLevel::City => "city",
            AreaLevel::County => "county",
            AreaLevel::Township => "township",
            AreaLevel::Community => "community",
        }
    }

    /// 省级 / 市级 / 县级 / 乡镇（街道） / 村（社区）
    pub const fn label(self) -> &'static str {
        match self {
            AreaLevel::Province => "省级",
            AreaLevel::City => "市级",
            AreaLevel::County => "县级",
            AreaLevel::Township => "乡镇（街道）",
            AreaLevel::Community => "村（社区）",
        }
    }

    /// The stored code, the label (half-width brackets too) and everyday spellings: 省, 地级市, 区县, 街道, 社区 …
    pub fn parse(text: &str) -> Option<AreaLevel> {
        let t = text.trim().replace('(', "（").replace(')', "）");
        if let Some(l) = AreaLevel::ALL.into_iter().find(|l| l.as_str() == t || l.label() == t) {
            return Some(l);
        }
        Some(match t.as_str() {
            "省" | "省级行政区" | "自治区" | "直辖市" => AreaLevel::Province,
            "市" | "地级" | "地级市" | "地市级" => AreaLevel::City,
            "县" | "区县" | "县区" | "县（市、区）" => AreaLevel::County,
            "乡镇" | "街道" | "乡" | "镇" | "乡级" | "town" => AreaLevel::Township,
            "村" | "社区" | "村居" | "村（居）" | "村级" | "village" => AreaLevel::Community,
            _ => return None,
        })
    }
}

const fn level_table<const N: usize>(
    codes: [&'static str; N],
    labels: [&'static str; N],
) -> [(&'static str, &'static str); N] {
    let mut out = [("", ""); N];
    let mut i = 0;
    while i < N {
        out[i] = (codes[i], labels[i]);
        i += 1;
    }
    out
}

/// (code, label) of every area level, for the form's options.
pub const AREA_LEVELS: [(&str, &str); 5] = {
    let l = AreaLevel::ALL;
    level_table(
        [l[0].as_str(), l[1].as_str(), l[2].as_str(), l[3].as_str(), l[4].as_str()],
        [l[0].label(), l[1].label(), l[2].label(), l[3].label(), l[4].label()],
    )
};
/// (code, label) of every organ level, for the form's options.
pub const ORGAN_LEVELS: [(&str, &str); 5] = {
    let l = Level::ALL;
    level_table(
        [l[0].as_str(), l[1].as_str(), l[2].as_str(), l[3].as_str(), l[4].as_str()],
        [l[0].label(), l[1].label(), l[2].label(), l[3].label(), l[4].label()],
    )
};

/// The five levels of people's congress (五级人大).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Provincial,
    City,
    County,
    Township,
}

impl Level {
    pub const ALL: [Level; 5] = [Level::National, Level::Provincial, Level::City, Level::County, Level::Township];

    pub const fn as_str(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::Provincial => "provincial",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }

    /// 全国 / 省 / 市 / 县 / 乡镇
    pub const fn label(self) -> &'static str {
        match self {
            Level::National => "全国",
            Level::Provincial => "省",
            Level::City => "市",
            Level::County => "县",
            Level::Township => "乡镇",
        }
    }

    /// "全国人大代表", "县人大代表" …
    pub fn deputy_title(self) -> String {
        format!("{}人大代表", self.label())
    }

    /// Accepts the API value or the Chinese label.
    pub fn parse(s: &str) -> Option<Level> {
        let s = s.trim();
        Level::ALL.into_iter().find(|l| {
            l.as_str() == s
                || l.label() == s
                || s == format!("{}级", l.label())
                || s == l.deputy_title()
                || (*l == Level::Township && (s == "乡" || s == "镇" || s == "乡级"))
                || (*l == Level::County && (s == "县（区）" || s == "区" || s == "县区"))
        })
    }
}

pub const ORGAN_KINDS: [(&str, &str); 3] = [
    ("standing_committee", "人大常委会"),
    ("township_presidium", "乡镇人大主席团"),
    ("street_working_committee", "街道人大工委"),
];

pub fn label<'a>(table: &'a [(&'a str, &'a str)], key: &str) -> &'a str {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or("")
}

const ORGAN_COLS: &str = "id, code, name, short_name, area_id, parent_id, kind, level, external, path, phone";
const AREA_COLS: &str = "id, code, name, parent_id, level, path, lat, lng";

pub async fn organ<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Organ>, DbErr> {
    db::query_one(c, &format!("SELECT {ORGAN_COLS} FROM organs WHERE id = $1"), vec![id.into()]).await
}

pub async fn organ_by_code<C: ConnectionTrait>(c: &C, code: &str) -> Result<Option<Organ>, DbErr> {
    db::query_one(c, &format!("SELECT {ORGAN_COLS} FROM organs WHERE code = $1"), vec![code.into()]).await
}

/// Organs in a subtree (path prefix), ordered so a parent precedes its children.
pub async fn organs_under<C: ConnectionTrait>(c: &C, path: &str) -> Result<Vec<Organ>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {ORGAN_COLS} FROM organs WHERE path LIKE $1 ESCAPE '\\' ORDER BY path"),
        vec![format!("{}%", db::like_escape(path)).into()],
    )
    .await
}

pub async fn all_organs<C: ConnectionTrait>(c: &C) -> Result<Vec<Organ>, DbErr> {
    db::query_all(c, &format!("SELECT {ORGAN_COLS} FROM organs ORDER BY external, path"), vec![]).await
}

/// The organ hosting the installation's short public addresses: the first non-external root.
pub async fn default_organ<C: ConnectionTrait>(c: &C) -> Result<Option<Organ>, DbErr> {
    db::query_one(
        c,
        &format!("SELECT {ORGAN_COLS} FROM organs WHERE parent_id IS NULL AND external = $1 ORDER BY id LIMIT 1"),
        vec![false.into()],
    )
    .await
}

pub async fn area<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Area>, DbErr> {
    db::query_one(c, &format!("SELECT {AREA_COLS} FROM areas WHERE id = $1"), vec![id.into()]).await
}

/// The organ path an area is administered under: the deepest organ of our tree whose own area
/// contains it (an admin administers the areas of its own organ's area and below). Areas
/// outside every organ's area (above the installation's top organ) belong to the root.
pub async fn area_owner_path<C: ConnectionTrait>(c: &C, area_id: i64) -> Result<String, DbErr> {
    let owner = db::query_rows(
        c,
        "SELECT o.path FROM organs o JOIN areas oa ON oa.id = o.area_id JOIN areas a ON a.id = $1 \
         WHERE o.external = $2 AND substr(a.path, 1, length(oa.path)) = oa.path \
         ORDER BY length(oa.path) DESC, length(o.path) ASC LIMIT 1",
        vec![area_id.into(), false.into()],
    )
    .await?;
    if let Some(path) = owner.first().and_then(|r| r.try_get_by_index::<String>(0).ok()) {
        return Ok(path);
    }
    let root = db::query_rows(
        c,
        "SELECT path FROM organs WHERE parent_id IS NULL AND external = $1 ORDER BY id LIMIT 1",
        vec![false.into()],
    )
    .await?;
    Ok(root.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_else(|| "/".into()))
}

pub async fn areas_all<C: ConnectionTrait>(c: &C) -> Result<Vec<Area>, DbErr> {
    db::query_all(c, &format!("SELECT {AREA_COLS} FROM areas ORDER BY path"), vec![]).await
}

pub async fn areas_page<C: ConnectionTrait>(
    c: &C,
    parent: Option<i64>,
    after: i64,
    limit: u64,
) -> Result<Vec<Area>, DbErr> {
    match parent {
        Some(p) => {
            db::query_all(
                c,
                &format!("SELECT {AREA_COLS} FROM areas WHERE parent_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
                vec![p.into(), after.into(), (limit as i64).into()],
            )
            .await
        }
        None => {
            db::query_all(
                c,
                &format!("SELECT {AREA_COLS} FROM areas WHERE id > $1 ORDER BY id LIMIT $2"),
                vec![after.into(), (limit as i64).into()],
            )
            .await
        }
    }
}

/// Input for a new or renamed area.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AreaInput {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<i64>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

fn check_code(code: &str, fields: &mut Vec<FieldError>) {
    if !(6..=12).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        fields.push(FieldError {
            field: "code".into(),
            message: "区划代码应为 6 至 12 位数字，例如 370782 或 370782001000".into(),
        });
    }
}

fn check_name(name: &str, fields: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 60 {
        fields.push(FieldError { field: "name".into(), message: "名称不能为空，且不超过 60 个字".into() });
    }
}

fn invalid(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid { detail: format!("有 {} 处输入需要修改", fields.len()), fields }
}

pub async fn create_area<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    input: &AreaInput,
) -> Result<i64, AppError> {
    let mut fields = Vec::new();
    check_code(input.code.trim(), &mut fields);
    check_name(&input.name, &mut fields);
    let level = AreaLevel::parse(&input.level);
    if level.is_none() {
        fields.push(FieldError { field: "level".into(), message: "请选择区划级别".into() });
    }
    if let (Some(lat), Some(lng)) = (input.lat, input.lng)
        && !valid_wgs84(lat, lng)
    {
        fields.push(FieldError {
            field: "lat".into(),
            message: "坐标超出范围（纬度 -90 至 90，经度 -180 至 180）".into(),
        });
    }
    let parent = match input.parent_id {
        Some(pid) => match area(c, pid).await? {
            Some(p) => Some(p),
            None => {
                fields.push(FieldError { field: "parent_id".into(), message: "上级区划不存在".into() });
                None
            }
        },
        None => None,
    };
    if db::scalar_i64(c, "SELECT count(*) FROM areas WHERE code = $1", vec![input.code.trim().into()]).await? > 0 {
        fields.push(FieldError {
            field: "code".into(), message: format!("区划代码 {} 已存在", input.code.trim())
        });
    }
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO areas (code, name, parent_id, level, path, lat, lng, created_at) VALUES ($1, $2, $3, $4, '', $5, $6, $7)",
        vec![
            input.code.trim().into(),
            input.name.trim().into(),
            input.parent_id.into(),
            level.map(AreaLevel::as_str).into(),
            input.lat.into(),
            input.lng.into(),
            db::now().into(),
        ],
    )
    .await?;
    let path = format!("{}{id}/", parent.map(|p| p.path).unwrap_or_else(|| "/".into()));
    db::exec(c, "UPDATE areas SET path = $1 WHERE id = $2", vec![path.into(), id.into()]).await?;
    Change::audited("area_create", "area", id, format!("新建区划 {} {}", input.code.trim(), input.name.trim()))
        .append(c, key, actor)
        .await?;
    Ok(id)
}

pub async fn rename_area<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    name: &str,
) -> Result<(), AppError> {
    let mut fields = Vec::new();
    check_name(name, &mut fields);
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let before = area(c, id).await?.ok_or(AppError::NotFound)?;
    db::exec(c, "UPDATE areas SET name = $1 WHERE id = $2", vec![name.trim().into(), id.into()]).await?;
    Change::audited("area_update", "area", id, format!("名称：{} → {}", before.name, name.trim()))
        .append(c, key, actor)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct OrganInput {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub area_id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub level: String,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub phone: String,
}

fn check_organ(input: &OrganInput, fields: &mut Vec<FieldError>) {
    let code = input.code.trim();
    if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        fields.push(FieldError {
            field: "code".into(),
            message: "机关代码只能由字母、数字和 - 组成，不超过 32 位，例如 370782".into(),
        });
    }
    check_name(&input.name, fields);
    if input.short_name.trim().chars().count() > 30 {
        fields.push(FieldError { field: "short_name".into(), message: "简称不超过 30 个字".into() });
    }
    if !ORGAN_KINDS.iter().any(|(k, _)| *k == input.kind) {
        fields.push(FieldError { field: "kind".into(), message: "请选择机关类型".into() });
    }
    if Level::parse(&input.level).is_none() {
        fields.push(FieldError { field: "level".into(), message: "请选择层级".into() });
    }
    if input.phone.trim().chars().count() > 40 {
        fields.push(FieldError { field: "phone".into(), message: "联系电话不超过 40 个字符".into() });
    }
}

/// Creates an organ; its path places it in the subtree of its parent.
pub async fn create_organ<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    input: &OrganInput,
) -> Result<i64, AppError> {
    let mut fields = Vec::new();
    check_organ(input, &mut fields);
    if area(c, input.area_id).await?.is_none() {
        fields.push(FieldError { field: "area_id".into(), message: "所在区划不存在".into() });
    }
    let parent = match input.parent_id {
        Some(pid) => match organ(c, pid).await? {
            Some(p) => Some(p),
            None => {
                fields.push(FieldError { field: "parent_id".into(), message: "上级机关不存在".into() });
                None
            }
        },
        None => None,
    };
    if organ_by_code(c, input.code.trim()).await?.is_some() {
        fields.push(FieldError {
            field: "code".into(), message: format!("机关代码 {} 已被使用", input.code.trim())
        });
    }
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let short = if input.short_name.trim().is_empty() { input.name.trim() } else { input.short_name.trim() };
    let id = db::insert_id(
        c,
        "INSERT INTO organs (code, name, short_name, area_id, parent_id, kind, level, external, path, phone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10)",
        vec![
            input.code.trim().into(),
            input.name.trim().into(),
            short.into(),
            input.area_id.into(),
            input.parent_id.into(),
            input.kind.clone().into(),
            Level::parse(&input.level).map(Level::as_str).into(),
            input.external.into(),
            input.phone.trim().into(),
            db::now().into(),
        ],
    )
    .await?;
    // External organs stand outside the installation's tree: their own root, no staff of ours below them.
    let path = match (&parent, input.external) {
        (Some(p), false) => format!("{}{id}/", p.path),
        (_, true) => format!("/x{id}/"),
        (None, false) => format!("/{id}/"),
    };
    db::exec(c, "UPDATE organs SET path = $1 WHERE id = $2", vec![path.into(), id.into()]).await?;
    Change::audited("organ_create", "organ", id, format!("新建机关 {}（{}）", input.name.trim(), input.code.trim()))
        .in_organ(id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

pub async fn update_organ<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    name: &str,
    short_name: &str,
    phone: &str,
) -> Result<(), AppError> {
    let before = organ(c, id).await?.ok_or(AppError::NotFound)?;
    let probe = OrganInput {
        code: before.code.clone(),
        name: name.into(),
        short_name: short_name.into(),
        kind: before.kind.clone(),
        level: before.level.clone(),
        phone: phone.into(),
        ..Default::default()
    };
    let mut fields = Vec::new();
    check_organ(&probe, &mut fields);
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let short = if short_name.trim().is_empty() { name.trim() } else { short_name.trim() };
    db::exec(
        c,
        "UPDATE organs SET name = $1, short_name = $2, phone = $3 WHERE id = $4",
        vec![name.trim().into(), short.into(), phone.trim().into(), id.into()],
    )
    .await?;
    let mut changes = Vec::new();
    if before.name != name.trim() {
        changes.push(format!("名称：{} → {}", before.name, name.trim()));
    }
    if before.short_name != short {
        changes.push(format!("简称：{} → {short}", before.short_name));
    }
    if before.phone != phone.trim() {
        changes.push(format!("电话：{} → {}", before.phone, phone.trim()));
    }
    Change::audited(
        "organ_update",
        "organ",
        id,
        if changes.is_empty() { "未修改内容".into() } else { changes.join("；") },
    )
    .in_organ(id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// A WGS-84 coordinate pair within range.
pub fn valid_wgs84(lat: f64, lng: f64) -> bool {
    lat.is_finite() && lng.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chinese(label: &str) -> bool {
        !label.is_empty() && label.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || "（）".contains(c))
    }

    #[test]
    fn levels_round_trip_and_label_in_chinese() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
            assert_eq!(Level::parse(l.label()), Some(l));
            assert!(chinese(l.label()), "{l:?}");
            assert_eq!(label(&ORGAN_LEVELS, l.as_str()), l.label());
        }
        for l in AreaLevel::ALL {
            assert_eq!(AreaLevel::parse(l.as_str()), Some(l));
            assert_eq!(AreaLevel::parse(l.label()), Some(l));
            assert!(chinese(l.label()), "{l:?}");
            assert_eq!(label(&AREA_LEVELS, l.as_str()), l.label());
        }
        assert_eq!(AreaLevel::parse("乡镇(街道)"), Some(AreaLevel::Township));
        assert_eq!(AreaLevel::parse("地级市"), Some(AreaLevel::City));
        assert_eq!(AreaLevel::parse("national"), None);
        assert_eq!(Level::parse("community"), None);
        assert!(AreaLevel::Province < AreaLevel::Community && Level::National < Level::Township);
    }
}
