//! The ballot component (issue 15, SUG-10; the meetings module grows it into electronic voting,
//! MTG-3/4): a ballot of an organ with its options (the caller's set: 满意/基本满意/不满意,
//! 赞成/反对/弃权 …), its subjects (what is voted on: units, agenda items), its electorate (the
//! persons allowed, listed) and their `voted` flag — the turnout —, and the votes. A secret
//! ballot's votes carry no voter and no time, and their key is random, so neither a column
//! nor the order of the rows ties a vote to the one who cast it.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, chosen_key, id, index, int, int_null, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_ballots"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("ballots", "organ_id", "organs", "RESTRICT"),
    r("ballot_options", "ballot_id", "ballots", "CASCADE"),
    r("ballot_subjects", "ballot_id", "ballots", "CASCADE"),
    r("ballot_electors", "ballot_id", "ballots", "CASCADE"),
    r("ballot_electors", "person_id", "persons", "RESTRICT"),
    r("ballot_votes", "ballot_id", "ballots", "CASCADE"),
    r("ballot_votes", "subject_id", "ballot_subjects", "CASCADE"),
    r("ballot_votes", "voter_id", "persons", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "ballots",
            vec![
                id("id"),
                int("organ_id"),
                text("kind"),
                text("period"),
                text("title"),
                boolean("secret", true),
                text("state"),
                int("opened_at"),
                int_null("closed_at"),
                int_null("published_at"),
            ],
        ))
        .await?;
        m.create_index(index("ballots", "ix_ballots_organ_kind", &["organ_id", "kind", "period"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "ballot_options",
            vec![id("id"), int("ballot_id"), text("code"), text("label"), int("sort")],
        ))
        .await?;
        m.create_index(index("ballot_options", "ux_ballot_options", &["ballot_id", "code"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "ballot_subjects",
            vec![id("id"), int("ballot_id"), text("ref_type"), int("ref_id"), text("part"), text("title"), int("sort")],
        ))
        .await?;
        m.create_index(index(
            "ballot_subjects",
            "ux_ballot_subjects",
            &["ballot_id", "ref_type", "ref_id", "part"],
            true,
        ))
        .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "ballot_electors",
            vec![id("id"), int("ballot_id"), int("person_id"), boolean("voted", false)],
        ))
        .await?;
        m.create_index(index("ballot_electors", "ux_ballot_electors", &["ballot_id", "person_id"], true)).await?;
        m.create_index(index("ballot_electors", "ix_ballot_electors_person", &["person_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "ballot_votes",
            vec![chosen_key("id"), int("ballot_id"), int("subject_id"), text("option"), int_null("voter_id")],
        ))
        .await?;
        // A named ballot: one vote per voter per subject. A secret one has no voter on its
        // votes; its one paper per voter is the elector's `voted` flag, set in the same write.
        m.create_index(index("ballot_votes", "ux_ballot_votes_voter", &["ballot_id", "subject_id", "voter_id"], true))
            .await?;
        m.create_index(index("ballot_votes", "ix_ballot_votes_subject", &["ballot_id", "subject_id", "option"], false))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["ballot_votes", "ballot_electors", "ballot_subjects", "ballot_options", "ballots"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
