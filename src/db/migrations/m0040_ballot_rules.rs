//! Issue 19, the ballot grown into electronic voting (MTG-3/4/5): what kind of ballot it is
//! (`vote_kind`: 表决 `motion`, 差额选择 `choose`, 满意度测评 `rating` — every ballot before this
//! one —, 评议打分 `score`), whether a voter may change their vote until it closes (`changes`,
//! named ballots only), at most how many candidates a paper chooses, the range of a score, the
//! rule to pass as data (`rule_base` all_members|present|valid_votes, `rule_num`/`rule_den`,
//! `rule_strict`; `rule_den` 0: no rule), the figures the rule counts against (`members_total`
//! given when it is prepared, `present_total` when it closes), whether 基本满意 counts in a
//! 满意率 (`basic_counts`), the salt of a secret ballot's sealing key while it is open
//! (`seal_salt`) and the digest of its votes and tally once closed (`digest`). A vote gets its
//! `score` and, while a secret ballot is open, its paper `sealed` (encrypted whole, so neither
//! the subject nor the option is readable until it closes). A ballot may now wait before it
//! opens: `state` `pending`, `opened_at` then being when it was prepared.

use sea_orm_migration::prelude::*;

use super::schema::{boolean, int_default, int_null, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0040_ballot_rules"
    }
}

/// A text column with a default (kept here: `schema` has none).
fn text_default(name: &str, v: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().default(v).to_owned()
}

const BALLOT_COLUMNS: &[&str] = &[
    "vote_kind",
    "changes",
    "choose_max",
    "score_min",
    "score_max",
    "members_total",
    "present_total",
    "rule_base",
    "rule_num",
    "rule_den",
    "rule_strict",
    "basic_counts",
    "seal_salt",
    "digest",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let ballots = [
            text_default("vote_kind", "rating"),
            boolean("changes", false),
            int_null("choose_max"),
            int_null("score_min"),
            int_null("score_max"),
            int_null("members_total"),
            int_null("present_total"),
            text_default("rule_base", ""),
            int_default("rule_num", 0),
            int_default("rule_den", 0),
            boolean("rule_strict", true),
            boolean("basic_counts", true),
            text_null("seal_salt"),
            text_null("digest"),
        ];
        for col in ballots {
            m.alter_table(Table::alter().table(Alias::new("ballots")).add_column(col).to_owned()).await?;
        }
        for col in [int_null("score"), text_null("sealed")] {
            m.alter_table(Table::alter().table(Alias::new("ballot_votes")).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["score", "sealed"] {
            m.alter_table(Table::alter().table(Alias::new("ballot_votes")).drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        for col in BALLOT_COLUMNS {
            m.alter_table(Table::alter().table(Alias::new("ballots")).drop_column(Alias::new(*col)).to_owned()).await?;
        }
        Ok(())
    }
}
