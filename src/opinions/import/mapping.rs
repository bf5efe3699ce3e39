//! The saved column mappings: the fields of a work order, and per organ the header of the
//! column that holds each (工单编号 and 诉求内容 required), saved, replaced and deleted
//! audited.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::app::error::{AppError, AppResult, FieldError};
use crate::audit::{Actor, Change};
use crate::db;

/// Longest mapping name and header text.
pub const MAX_NAME: usize = 30;
pub const MAX_HEADER: usize = 50;

/// A field of a work order that a mapping can name a column for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    ExternalNo,
    Content,
    Title,
    Category,
    Phone,
    Name,
    AreaCode,
    AreaName,
    ReceivedAt,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::ExternalNo,
        Field::Content,
        Field::Title,
        Field::Category,
        Field::Phone,
        Field::Name,
        Field::AreaCode,
        Field::AreaName,
        Field::ReceivedAt,
    ];
    /// The form field and the column of `import_mappings`.
    pub fn key(self) -> &'static str {
        match self {
            Field::ExternalNo => "external_no",
            Field::Content => "content",
            Field::Title => "title",
            Field::Category => "category",
            Field::Phone => "phone",
            Field::Name => "name",
            Field::AreaCode => "area_code",
            Field::AreaName => "area_name",
            Field::ReceivedAt => "received_at",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Field::ExternalNo => "工单编号",
            Field::Content => "诉求内容",
            Field::Title => "标题",
            Field::Category => "类别",
            Field::Phone => "联系电话",
            Field::Name => "姓名",
            Field::AreaCode => "区划代码",
            Field::AreaName => "区划名称",
            Field::ReceivedAt => "受理时间",
        }
    }
    /// The field name of its errors (`col_…`, apart from the mapping's own `name`).
    pub fn error_key(self) -> String {
        format!("col_{}", self.key())
    }
    pub fn required(self) -> bool {
        matches!(self, Field::ExternalNo | Field::Content)
    }
    /// The header a 12345 export usually gives the field (the form's suggestion).
    pub fn usual_header(self) -> &'static str {
        match self {
            Field::ExternalNo => "工单编号",
            Field::Content => "诉求内容",
            Field::Title => "诉求标题",
            Field::Category => "诉求类别",
            Field::Phone => "联系电话",
            Field::Name => "诉求人",
            Field::AreaCode => "",
            Field::AreaName => "所属区域",
            Field::ReceivedAt => "受理时间",
        }
    }
}

/// A saved mapping: for each field, the header of its column (empty: not in the file).
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Mapping {
    pub id: i64,
    pub organ_id: i64,
    pub name: String,
    pub col_external_no: String,
    pub col_content: String,
    pub col_title: String,
    pub col_category: String,
    pub col_phone: String,
    pub col_name: String,
    pub col_area_code: String,
    pub col_area_name: String,
    pub col_received_at: String,
    pub updated_at: i64,
}

impl Mapping {
    pub fn header(&self, f: Field) -> &str {
        match f {
            Field::ExternalNo => &self.col_external_no,
            Field::Content => &self.col_content,
            Field::Title => &self.col_title,
            Field::Category => &self.col_category,
            Field::Phone => &self.col_phone,
            Field::Name => &self.col_name,
            Field::AreaCode => &self.col_area_code,
            Field::AreaName => &self.col_area_name,
            Field::ReceivedAt => &self.col_received_at,
        }
    }
    /// 「工单编号 ← 编号；诉求内容 ← 内容 …」 for the list.
    pub fn summary(&self) -> String {
        Field::ALL
            .iter()
            .filter(|f| !self.header(**f).is_empty())
            .map(|f| format!("{}←「{}」", f.label(), self.header(*f)))
            .collect::<Vec<_>>()
            .join("，")
    }
}

const MAPPING_COLS: &str = "id, organ_id, name, col_external_no, col_content, col_title, col_category, col_phone, \
     col_name, col_area_code, col_area_name, col_received_at, updated_at";

/// The mappings of an organ, by name.
pub async fn mappings<C: ConnectionTrait>(c: &C, organ_id: i64) -> Result<Vec<Mapping>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {MAPPING_COLS} FROM import_mappings WHERE organ_id = $1 ORDER BY name"),
        vec![organ_id.into()],
    )
    .await
}

pub async fn mapping<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Mapping>, DbErr> {
    db::query_one(c, &format!("SELECT {MAPPING_COLS} FROM import_mappings WHERE id = $1"), vec![id.into()]).await
}

/// A mapping as typed: its name and one header per field, in the order of [`Field::ALL`].
#[derive(Clone, Debug, Default)]
pub struct MappingInput {
    pub name: String,
    pub headers: [String; 9],
}

impl MappingInput {
    /// A saved mapping, to edit.
    pub fn of(m: &Mapping) -> MappingInput {
        MappingInput { name: m.name.clone(), headers: Field::ALL.map(|f| m.header(f).to_string()) }
    }
    /// The usual headers of a 12345 export, as a start.
    pub fn usual() -> MappingInput {
        MappingInput { name: "12345热线".into(), headers: Field::ALL.map(|f| f.usual_header().to_string()) }
    }
    /// Each field with the header typed for it.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &str)> {
        Field::ALL.into_iter().zip(self.headers.iter().map(String::as_str))
    }
}

/// Checks a mapping, every field at once.
pub fn validate_mapping(m: &MappingInput) -> AppResult<()> {
    let mut errors = Vec::new();
    let name = m.name.trim();
    if name.is_empty() {
        errors.push(FieldError {
            field: "name".into(), message: "请给这个映射起个名字，如“市12345热线”".into()
        });
    } else if name.chars().count() > MAX_NAME {
        errors.push(FieldError { field: "name".into(), message: format!("名称不能超过 {MAX_NAME} 字") });
    }
    for (f, header) in Field::ALL.iter().zip(&m.headers) {
        let h = header.trim();
        if f.required() && h.is_empty() {
            errors
                .push(FieldError {
                    field: f.error_key(), message: format!("请填写文件中“{}”所在列的表头", f.label())
                });
        } else if h.chars().count() > MAX_HEADER {
            errors.push(FieldError { field: f.error_key(), message: format!("表头不能超过 {MAX_HEADER} 字") });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let detail = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；");
        Err(AppError::Invalid { detail, fields: errors })
    }
}

/// Saves a mapping of an organ; a mapping of the same name is replaced. Audited.
pub async fn save_mapping<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    m: &MappingInput,
    now: i64,
) -> AppResult<i64> {
    validate_mapping(m)?;
    let name = m.name.trim().to_string();
    let headers: Vec<sea_orm::Value> = m.headers.iter().map(|h| h.trim().to_string().into()).collect();
    let existing = db::query_rows(
        c,
        "SELECT id FROM import_mappings WHERE organ_id = $1 AND name = $2",
        vec![organ_id.into(), name.clone().into()],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    let id = match existing {
        Some(id) => {
            let mut values = headers;
            values.push(now.into());
            values.push(id.into());
            db::exec(
                c,
                "UPDATE import_mappings SET col_external_no = $1, col_content = $2, col_title = $3, col_category = $4, \
                 col_phone = $5, col_name = $6, col_area_code = $7, col_area_name = $8, col_received_at = $9, \
                 updated_at = $10 WHERE id = $11",
                values,
            )
            .await?;
            id
        }
        None => {
            let mut values: Vec<sea_orm::Value> = vec![organ_id.into(), name.clone().into()];
            values.extend(headers);
            values.push(actor.account_id.into());
            values.push(now.into());
            values.push(now.into());
            db::insert_id(
                c,
                "INSERT INTO import_mappings (organ_id, name, col_external_no, col_content, col_title, col_category, \
                 col_phone, col_name, col_area_code, col_area_name, col_received_at, created_by_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                values,
            )
            .await?
        }
    };
    Change::audited(
        "opinion_import_mapping",
        "import_mapping",
        id,
        format!("{}导入映射「{name}」", if existing.is_some() { "修改" } else { "保存" }),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// Deletes a mapping (its imports keep their reports). Audited.
pub async fn remove_mapping<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, m: &Mapping) -> AppResult<()> {
    db::exec(c, "DELETE FROM import_mappings WHERE id = $1", vec![m.id.into()]).await?;
    Change::audited("opinion_import_mapping_remove", "import_mapping", m.id, format!("删除导入映射「{}」", m.name))
        .in_organ(m.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}
