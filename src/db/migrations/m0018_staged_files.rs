//! REG-8 / PLAT-15: an uploaded file held between its preview and the confirmation
//! (`staged_files`): the bytes, who uploaded them and for what. A confirmed or abandoned file
//! is deleted; nothing else refers to it.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_staged_files"
    }
}

/// A staged file goes with the account that uploaded it.
pub const REFERENCES: &[Reference] = &[r("staged_files", "account_id", "accounts", "CASCADE")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "staged_files",
            vec![
                id("id"),
                int("account_id"),
                text("purpose"),
                text("file_name"),
                ColumnDef::new(Alias::new("bytes")).blob().not_null().to_owned(),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("staged_files", "ix_staged_files_account", &["account_id", "id"], false)).await?;
        m.create_index(index("staged_files", "ix_staged_files_created", &["created_at"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("staged_files")).if_exists().to_owned()).await
    }
}
