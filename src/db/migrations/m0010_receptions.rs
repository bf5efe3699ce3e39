//! Receptions at stations (OPN-12, the "321" system of 马集镇): a reception (`receptions`),
//! the deputies present (`reception_deputies`) and the items of its three lists
//! (`reception_items`: 问题清单, 对策建议清单, 限时反馈清单 with the promised date and its
//! fulfilment). New tables are created with their foreign keys (listed in `REFERENCES`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_receptions"
    }
}

/// The references of the tables made here. A reception is a record (`RESTRICT` on its organ
/// and station); it outlives the account that entered it (`SET NULL`); the deputies present
/// and the list items are part of it (`CASCADE`); an opinion raised at it is never deleted
/// under its list item, nor a deputy under the attendance.
pub const REFERENCES: &[Reference] = &[
    r("receptions", "organ_id", "organs", "RESTRICT"),
    r("receptions", "station_id", "stations", "RESTRICT"),
    r("receptions", "created_by_id", "accounts", "SET NULL"),
    r("reception_deputies", "reception_id", "receptions", "CASCADE"),
    r("reception_deputies", "person_id", "persons", "RESTRICT"),
    r("reception_items", "reception_id", "receptions", "CASCADE"),
    r("reception_items", "opinion_id", "opinions", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // A reception: where, when (Beijing date `YYYY-MM-DD`), its theme and the other
            // people present (department heads, enterprises) as typed.
            keyed_by(
                REFERENCES,
                "receptions",
                vec![
                    id("id"),
                    int("organ_id"),
                    int("station_id"),
                    text("held_on"),
                    text("theme"),
                    text("attendees"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            keyed_by(REFERENCES, "reception_deputies", vec![id("id"), int("reception_id"), int("person_id")]),
            // One line of a list: `problem|countermeasure|feedback`, its text, the opinion a
            // problem became, and for feedback the promised date and its fulfilment.
            keyed_by(
                REFERENCES,
                "reception_items",
                vec![
                    id("id"),
                    int("reception_id"),
                    text("kind"),
                    text("body"),
                    int_null("opinion_id"),
                    text_null("promised_on"),
                    text_null("fulfilled_on"),
                    text("fulfilment"),
                    int("created_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = vec![
            index("receptions", "ix_receptions_station", &["station_id", "held_on"], false),
            index("receptions", "ix_receptions_organ", &["organ_id", "held_on"], false),
            index("receptions", "ix_receptions_created_by", &["created_by_id"], false),
            index("reception_deputies", "ux_reception_deputies", &["reception_id", "person_id"], true),
            index("reception_deputies", "ix_reception_deputies_person", &["person_id"], false),
            index("reception_items", "ix_reception_items_reception", &["reception_id", "kind", "id"], false),
            index("reception_items", "ix_reception_items_opinion", &["opinion_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["reception_items", "reception_deputies", "receptions"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
