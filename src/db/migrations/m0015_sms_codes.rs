//! OPN-3: one-time SMS codes with which a submitter who lost their tracking number finds their
//! submissions by phone (`sms_codes`: keyed hashes only, an expiry and an attempt count).

use sea_orm_migration::prelude::*;

use super::schema::{boolean, id, index, int, int_default, table, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_sms_codes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "sms_codes",
            vec![
                id("id"),
                text("purpose"),
                text("phone_hash"),
                text("code_hash"),
                int("created_at"),
                int("expires_at"),
                int_default("attempts", 0),
                boolean("used", false),
            ],
        ))
        .await?;
        m.create_index(index("sms_codes", "ix_sms_codes_phone", &["phone_hash", "id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("sms_codes")).if_exists().to_owned()).await
    }
}
