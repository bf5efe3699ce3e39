//! 12345 / 即诉即办 imports and Open311 locations (OPN-14, OPN-15): the saved column mappings
//! (`import_mappings`), each import with its row report (`import_runs`, `import_run_rows`),
//! and where an Open311 request says the matter is (`opinions.lat`, `lng`, `address`). New
//! tables are created with their foreign keys (listed in `REFERENCES`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{float_null, id, index, int, int_default, int_null, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_opinion_imports"
    }
}

/// The references of the tables made here. A mapping or run outlives the account that made
/// it (`SET NULL`); a run keeps its report after its mapping is deleted (`SET NULL`); a run's
/// rows go with it (`CASCADE`); an imported opinion is never deleted under its report line.
pub const REFERENCES: &[Reference] = &[
    r("import_mappings", "organ_id", "organs", "RESTRICT"),
    r("import_mappings", "created_by_id", "accounts", "SET NULL"),
    r("import_runs", "organ_id", "organs", "RESTRICT"),
    r("import_runs", "mapping_id", "import_mappings", "SET NULL"),
    r("import_runs", "account_id", "accounts", "SET NULL"),
    r("import_run_rows", "run_id", "import_runs", "CASCADE"),
    r("import_run_rows", "opinion_id", "opinions", "RESTRICT"),
];

/// A table made with the foreign keys `REFERENCES` lists for it.
fn keyed(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    super::schema::keyed_by(REFERENCES, name, cols)
}

/// The columns a mapping names (the header text of the file's column; empty = not mapped).
pub const MAPPING_COLUMNS: [&str; 9] = [
    "col_external_no",
    "col_content",
    "col_title",
    "col_category",
    "col_phone",
    "col_name",
    "col_area_code",
    "col_area_name",
    "col_received_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Open311 `lat`/`long` (WGS-84) and `address_string` of a request.
        for col in [float_null("lat"), float_null("lng"), text_null("address")] {
            m.alter_table(Table::alter().table(Alias::new("opinions")).add_column(col).to_owned()).await?;
        }
        let mut mapping = vec![id("id"), int("organ_id"), text("name")];
        mapping.extend(MAPPING_COLUMNS.iter().map(|c| text(c)));
        mapping.extend([int_null("created_by_id"), int("created_at"), int("updated_at")]);
        let tables = vec![
            // OPN-14: a saved column mapping of an organ (which header holds which field).
            keyed("import_mappings", mapping),
            // One import of one file, with its counts; the rows below are its report.
            keyed(
                "import_runs",
                vec![
                    id("id"),
                    int("organ_id"),
                    int_null("mapping_id"),
                    text("mapping_name"),
                    int_null("account_id"),
                    text("file_name"),
                    text("format"),
                    int_default("imported", 0),
                    int_default("duplicates", 0),
                    int_default("refused", 0),
                    int("created_at"),
                ],
            ),
            // One line of the report: the row (or record) number, the external order number,
            // `imported|duplicate|refused`, the opinion it made or found, and why.
            keyed(
                "import_run_rows",
                vec![
                    id("id"),
                    int("run_id"),
                    int("row_no"),
                    text("external_no"),
                    text("outcome"),
                    int_null("opinion_id"),
                    text("reason"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = vec![
            index("import_mappings", "ux_import_mappings_name", &["organ_id", "name"], true),
            index("import_mappings", "ix_import_mappings_created_by", &["created_by_id"], false),
            index("import_runs", "ix_import_runs_organ", &["organ_id", "id"], false),
            index("import_runs", "ix_import_runs_mapping", &["mapping_id"], false),
            index("import_runs", "ix_import_runs_account", &["account_id"], false),
            index("import_run_rows", "ix_import_run_rows_run", &["run_id", "id"], false),
            index("import_run_rows", "ix_import_run_rows_opinion", &["opinion_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["import_run_rows", "import_runs", "import_mappings"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        for col in ["address", "lng", "lat"] {
            m.alter_table(Table::alter().table(Alias::new("opinions")).drop_column(Alias::new(col)).to_owned()).await?;
        }
        Ok(())
    }
}
