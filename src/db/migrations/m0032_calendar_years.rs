//! PLAT-10 (issue 16): which years of the working-day calendar are official — entered from the
//! State Council's notice or confirmed after entering by hand (`calendar_years`). A year not
//! listed is provisional: its statutory holidays stand in until the notice is entered. Every
//! year that already has listed days (the shipped 2025 and 2026, any the admin entered) is taken
//! as official.

use sea_orm_migration::prelude::*;

use super::schema::{int, table, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0032_calendar_years"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "calendar_years",
            vec![
                ColumnDef::new(Alias::new("year")).big_integer().not_null().primary_key().to_owned(),
                // notice | manual | seed
                text("source"),
                int("saved_at"),
            ],
        ))
        .await?;
        crate::db::exec(
            m.get_connection(),
            "INSERT INTO calendar_years (year, source, saved_at) \
             SELECT DISTINCT CAST(substr(day, 1, 4) AS BIGINT), 'seed', 0 FROM calendar_days",
            vec![],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("calendar_years")).if_exists().to_owned()).await
    }
}
