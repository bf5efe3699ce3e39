//! Webhooks (OPN-14): an organ's endpoints (`webhook_endpoints`, the secret encrypted), the
//! outbox of signed pushes with their attempts (`webhook_deliveries`), the delivery ids of
//! accepted inbound updates (`webhook_inbound`, against replays), and the deputies who follow
//! an item of the handling loop, e.g. an imported 12345 order (`item_followers`, 督办首发工单). New tables carry their foreign keys
//! (listed in `REFERENCES`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_default, int_null, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_webhooks"
    }
}

/// An endpoint outlives the account that made it (`SET NULL`); its deliveries and inbound
/// ids are part of it (`CASCADE`); a follower row goes with its person or item (`CASCADE`).
pub const REFERENCES: &[Reference] = &[
    r("webhook_endpoints", "organ_id", "organs", "RESTRICT"),
    r("webhook_endpoints", "created_by_id", "accounts", "SET NULL"),
    r("webhook_deliveries", "endpoint_id", "webhook_endpoints", "CASCADE"),
    r("webhook_inbound", "endpoint_id", "webhook_endpoints", "CASCADE"),
    r("item_followers", "item_id", "handling_items", "CASCADE"),
    r("item_followers", "person_id", "persons", "CASCADE"),
    r("item_followers", "created_by_id", "accounts", "SET NULL"),
];

/// A table made with the foreign keys `REFERENCES` lists for it.
fn keyed(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    super::schema::keyed_by(REFERENCES, name, cols)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // `events`: the event codes it receives, comma-separated.
            keyed(
                "webhook_endpoints",
                vec![
                    id("id"),
                    int("organ_id"),
                    text("name"),
                    text("url"),
                    text("secret_enc"),
                    text("events"),
                    boolean("active", true),
                    int_null("created_by_id"),
                    int("created_at"),
                    int("updated_at"),
                ],
            ),
            // `state`: pending | delivered | failed.
            keyed(
                "webhook_deliveries",
                vec![
                    id("id"),
                    int("endpoint_id"),
                    text("event"),
                    text("payload"),
                    text("state"),
                    int_default("attempts", 0),
                    int("next_attempt_at"),
                    int_null("last_status"),
                    text_null("last_error"),
                    int_null("delivered_at"),
                    int("created_at"),
                ],
            ),
            keyed("webhook_inbound", vec![id("id"), int("endpoint_id"), text("delivery"), int("received_at")]),
            keyed(
                "item_followers",
                vec![id("id"), int("item_id"), int("person_id"), int_null("created_by_id"), int("created_at")],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = vec![
            index("webhook_endpoints", "ix_webhook_endpoints_organ", &["organ_id", "id"], false),
            index("webhook_endpoints", "ix_webhook_endpoints_created_by", &["created_by_id"], false),
            index("webhook_deliveries", "ix_webhook_deliveries_due", &["state", "next_attempt_at"], false),
            index("webhook_deliveries", "ix_webhook_deliveries_endpoint", &["endpoint_id", "id"], false),
            index("webhook_inbound", "ux_webhook_inbound_delivery", &["endpoint_id", "delivery"], true),
            index("item_followers", "ux_item_followers", &["item_id", "person_id"], true),
            index("item_followers", "ix_item_followers_person", &["person_id", "item_id"], false),
            index("item_followers", "ix_item_followers_created_by", &["created_by_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["item_followers", "webhook_inbound", "webhook_deliveries", "webhook_endpoints"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
