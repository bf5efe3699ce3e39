//! Issue 19, reminders of resolutions not yet implemented (MTG-7): a tracked resolution's or
//! decision's 落实期限 (`meeting_records.due_date`, a Beijing date `YYYY-MM-DD`; NULL for
//! minutes and records not followed up) and the daily scan's marks (`warned_for`,
//! `overdue_for`: the due date warned of, or marked overdue, once each).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0045_meeting_record_due"
    }
}

const COLUMNS: [&str; 3] = ["due_date", "warned_for", "overdue_for"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in COLUMNS {
            let col = ColumnDef::new(Alias::new(c)).text().null().to_owned();
            m.alter_table(Table::alter().table(Alias::new("meeting_records")).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in COLUMNS.iter().rev() {
            let a = Table::alter().table(Alias::new("meeting_records")).drop_column(Alias::new(*c)).to_owned();
            m.alter_table(a).await?;
        }
        Ok(())
    }
}
