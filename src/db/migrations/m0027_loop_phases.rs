//! The handling record in phases and the 协办 unit's own deadline watched (SUG-5, SUG-6): a
//! progress note's phase (`handling_events.phase`: plan 方案, measures 措施, results 成效; NULL
//! for every other line and for kinds without phases), and the deadline scan's marks on a 协办
//! assignment's own deadline (`handling_assignments.warned_for`, `overdue_for`: the deadline
//! warned of, or marked overdue, once each).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0027_loop_phases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let col = ColumnDef::new(Alias::new("phase")).text().null().to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_events")).add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("warned_for")).text().null().to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_assignments")).add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("overdue_for")).text().null().to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_assignments")).add_column(col).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["overdue_for", "warned_for"] {
            let a = Table::alter().table(Alias::new("handling_assignments")).drop_column(Alias::new(c)).to_owned();
            m.alter_table(a).await?;
        }
        let e = Table::alter().table(Alias::new("handling_events")).drop_column(Alias::new("phase")).to_owned();
        m.alter_table(e).await
    }
}
