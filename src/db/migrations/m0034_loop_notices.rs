//! Issue 16 (PLAT-11, OPN-8, OPN-10): notifications that lead somewhere, and an organ's own
//! settings of the loop's notices and closing.
//!
//! - `notifications` gains what a message is about: `item_kind` (what the inbox filters by — a
//!   loop item's kind such as `opinion`, or a module's record kind such as `appointment`),
//!   `item_type` and `item_id` (the record itself, named the way the audit log names records).
//!   Messages of the loop written before carry their item in their link
//!   (`/console/handling/{id}`); they are given their kind and id here. Other old messages keep
//!   none and still show.
//! - `loop_settings`: one row per organ that changed the defaults — the daily digest of new
//!   items to its staff (on, 08:00 Beijing) and closing an item a 满意 rating left replied after
//!   N working days (off, 5).
//! - `opinion_digests` (the opinions' module): one row per organ and Beijing date its digest of
//!   new opinions ran, so it goes once a day and the next one counts from where this one stopped.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_default, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0034_loop_notices"
    }
}

pub const REFERENCES: &[Reference] =
    &[r("loop_settings", "organ_id", "organs", "RESTRICT"), r("opinion_digests", "organ_id", "organs", "RESTRICT")];

const LOOP_LINK: &str = "/console/handling/";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [text_null("item_kind"), text_null("item_type"), int_null("item_id")] {
            m.alter_table(Table::alter().table(Alias::new("notifications")).add_column(col).to_owned()).await?;
        }
        m.create_index(index("notifications", "ix_notifications_account_kind", &["account_id", "item_kind"], false))
            .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "loop_settings",
            vec![
                id("id"),
                int("organ_id"),
                boolean("digest_enabled", true),
                int_default("digest_hour", 8),
                boolean("auto_close_enabled", false),
                int_default("auto_close_days", 5),
                int("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index("loop_settings", "ux_loop_settings_organ", &["organ_id"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "opinion_digests",
            vec![id("id"), int("organ_id"), text("day"), int("until_at"), int("items"), int("recipients")],
        ))
        .await?;
        m.create_index(index("opinion_digests", "ux_opinion_digests_organ_day", &["organ_id", "day"], true)).await?;

        // The loop's old messages: their item from their link, its kind from the item.
        let c = m.get_connection();
        let rows = crate::db::query_rows(
            c,
            "SELECT n.id, n.link FROM notifications n WHERE n.link LIKE $1",
            vec![format!("{LOOP_LINK}%").into()],
        )
        .await?;
        for row in rows {
            let (id, link): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let Some(item) = link.strip_prefix(LOOP_LINK).and_then(|rest| rest.parse::<i64>().ok()) else { continue };
            crate::db::exec(
                c,
                "UPDATE notifications SET item_type = 'handling_item', item_id = $1, \
                 item_kind = (SELECT kind FROM handling_items WHERE id = $1) \
                 WHERE id = $2 AND EXISTS (SELECT 1 FROM handling_items WHERE id = $1)",
                vec![item.into(), id.into()],
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["opinion_digests", "loop_settings"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        m.drop_index(Index::drop().name("ix_notifications_account_kind").table(Alias::new("notifications")).to_owned())
            .await?;
        for col in ["item_id", "item_type", "item_kind"] {
            m.alter_table(Table::alter().table(Alias::new("notifications")).drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        Ok(())
    }
}
