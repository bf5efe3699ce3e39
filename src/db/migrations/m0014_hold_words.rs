//! OPN-4: the word list that holds a submission for review, editable by the admin
//! (`hold_words`), seeded with the short list the code carried before.

use sea_orm_migration::prelude::*;

use super::schema::{id, index, int, table, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_hold_words"
    }
}

/// The default list: deliberately short; an installation extends it.
pub const DEFAULT_WORDS: &[&str] = &["法轮", "代开发票", "办假证", "赌博网站", "色情", "枪支"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table("hold_words", vec![id("id"), text("word"), int("created_at")])).await?;
        m.create_index(index("hold_words", "ux_hold_words_word", &["word"], true)).await?;
        let mut insert = Query::insert();
        insert.into_table(Alias::new("hold_words")).columns([Alias::new("word"), Alias::new("created_at")]);
        for w in DEFAULT_WORDS {
            insert.values_panic([(*w).into(), 0_i64.into()]);
        }
        m.exec_stmt(insert).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("hold_words")).if_exists().to_owned()).await
    }
}
