//! REG-9: how to join an online station (网上代表工作室) — a web address, a 公众号 or a
//! contact — so its public page leads somewhere (`stations.join_info`).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_station_join"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = ColumnDef::new(Alias::new("join_info")).text().not_null().default("").to_owned();
        m.alter_table(Table::alter().table(Alias::new("stations")).add_column(col).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("stations")).drop_column(Alias::new("join_info")).to_owned())
            .await
    }
}
