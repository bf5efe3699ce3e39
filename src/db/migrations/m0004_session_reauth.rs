//! Sessions remember when the password was last entered (re-authentication for account
//! security settings: password, two-step sign-in, API tokens).

use sea_orm_migration::prelude::*;

use super::schema::int_default;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_session_reauth"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("sessions")).add_column(int_default("auth_at", 0)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(Alias::new("sessions")).add_column(int_default("auth_failures", 0)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["auth_failures", "auth_at"] {
            m.alter_table(Table::alter().table(Alias::new("sessions")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        Ok(())
    }
}
