//! Persons looked up by id or name: several at once, the organ that registers one (for
//! authorization), and a name typed into a form.

use sea_orm::{ConnectionTrait, DbErr};

use super::{PERSON_COLS, Person, like_prefix};
use crate::db;

/// Several persons by id, in 500-id statements (an import's rows checked without one query each).
pub async fn persons_by_ids<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<Vec<Person>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        out.extend(
            db::query_all::<_, Person>(c, &format!("SELECT {PERSON_COLS} FROM persons WHERE id IN ({list})"), vec![])
                .await?,
        );
    }
    Ok(out)
}

/// The path of the organ registering a person (for authorization), if the person exists.
pub async fn person_organ_path<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Option<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT o.path FROM persons p JOIN organs o ON o.id = p.organ_id WHERE p.id = $1",
        vec![person_id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get_by_index(0)).transpose()
}

/// Persons whose name is exactly `name`, registered at an organ under `organ_path` or above
/// it (a station or group may take a deputy registered by the upper organ): (id, organ name).
pub async fn find_by_name<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    name: &str,
) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT p.id, o.name FROM persons p JOIN organs o ON o.id = p.organ_id WHERE p.name = $1 \
         AND (o.path LIKE $2 ESCAPE '\\' OR $3 LIKE o.path || '%') ORDER BY p.id LIMIT 20",
        vec![name.trim().into(), like_prefix(organ_path), organ_path.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}
