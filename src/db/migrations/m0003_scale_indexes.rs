//! Indexes found missing when measuring at national scale (bench/README.md).

use sea_orm_migration::prelude::*;

use super::schema::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_scale_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `org::default_organ` (every public page) looks for `parent_id IS NULL`: without
        // this index that is a scan of all ~43,000 organs per request.
        m.create_index(index("organs", "ix_organs_parent", &["parent_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_organs_parent").table(Alias::new("organs")).to_owned()).await
    }
}
