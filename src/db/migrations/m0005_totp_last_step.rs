//! The last accepted TOTP time step of each account, so a code is accepted once (no replay).

use sea_orm_migration::prelude::*;

use super::schema::int_default;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_totp_last_step"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Alias::new("accounts")).add_column(int_default("totp_last_step", 0)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("accounts")).drop_column(Alias::new("totp_last_step")).to_owned())
            .await
    }
}
