//! One migration set for both backends, written with the schema builder so each gets its own DDL.
//!
//! This file is the ordered list, and [`references`] (the schema's foreign keys gathered from
//! the migrations that add them). Each migration is a file of its own under `migrations/`,
//! named by its number and module, and frozen once released: its SQL, its place in the list
//! and its name — the `seaql_migrations` row of every existing database — never change.
//! `schema` is the builder's shorthand they share, frozen with them.

use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_platform::Migration),
            Box::new(m0002_registry::Migration),
            Box::new(m0003_scale_indexes::Migration),
            Box::new(m0004_session_reauth::Migration),
            Box::new(m0005_totp_last_step::Migration),
            Box::new(m0006_foreign_keys::Migration),
            Box::new(m0007_membership::Migration),
            Box::new(m0008_handling::Migration),
            Box::new(m0009_opinion_imports::Migration),
            Box::new(m0010_receptions::Migration),
            Box::new(m0011_appointments::Migration),
            Box::new(m0012_webhooks::Migration),
            Box::new(m0013_item_merge::Migration),
            Box::new(m0014_hold_words::Migration),
            Box::new(m0015_sms_codes::Migration),
            Box::new(m0016_station_join::Migration),
            Box::new(m0017_duty_changes::Migration),
            Box::new(m0018_staged_files::Migration),
            Box::new(m0019_opinion_categories::Migration),
            Box::new(m0020_publications::Migration),
            Box::new(m0021_sms_limits::Migration),
            Box::new(m0022_item_signers::Migration),
            Box::new(m0023_loop_contacts::Migration),
            Box::new(m0024_suggestions::Migration),
            Box::new(m0025_ballots::Migration),
            Box::new(m0026_suggestion_drafts::Migration),
            Box::new(m0027_loop_phases::Migration),
            Box::new(m0028_suggestion_listing::Migration),
            Box::new(m0029_suggestion_rules::Migration),
            Box::new(m0030_suggestion_evaluation_more::Migration),
            Box::new(m0031_suggestion_scale::Migration),
            Box::new(m0032_calendar_years::Migration),
            Box::new(m0033_handling_corrections::Migration),
            Box::new(m0034_loop_notices::Migration),
            Box::new(m0035_opinion_lexicon::Migration),
            Box::new(m0036_legislation::Migration),
            Box::new(m0040_ballot_rules::Migration),
            Box::new(m0041_meetings::Migration),
            Box::new(m0042_meeting_records::Migration),
            Box::new(m0043_audit_checks::Migration),
            Box::new(m0044_legislation_plans::Migration),
            Box::new(m0045_meeting_record_due::Migration),
            Box::new(m0046_opinion_words::Migration),
            Box::new(m0047_legislation_changes::Migration),
            Box::new(m0048_presidium::Migration),
            Box::new(m0049_opinion_figures::Migration),
            Box::new(m0050_opinion_overdue::Migration),
        ]
    }
}

mod m0001_platform;
mod m0002_registry;
mod m0003_scale_indexes;
mod m0004_session_reauth;
mod m0005_totp_last_step;
pub mod m0006_foreign_keys;
pub mod m0007_membership;
pub mod m0008_handling;
pub mod m0009_opinion_imports;
pub mod m0010_receptions;
pub mod m0011_appointments;
pub mod m0012_webhooks;
pub mod m0013_item_merge;
pub mod m0014_hold_words;
pub mod m0015_sms_codes;
pub mod m0016_station_join;
pub mod m0017_duty_changes;
pub mod m0018_staged_files;
pub mod m0019_opinion_categories;
pub mod m0020_publications;
pub mod m0021_sms_limits;
pub mod m0022_item_signers;
pub mod m0023_loop_contacts;
pub mod m0024_suggestions;
pub mod m0025_ballots;
pub mod m0026_suggestion_drafts;
pub mod m0027_loop_phases;
pub mod m0028_suggestion_listing;
pub mod m0029_suggestion_rules;
pub mod m0030_suggestion_evaluation_more;
pub mod m0031_suggestion_scale;
pub mod m0032_calendar_years;
pub mod m0033_handling_corrections;
pub mod m0034_loop_notices;
pub mod m0035_opinion_lexicon;
pub mod m0036_legislation;
pub mod m0040_ballot_rules;
pub mod m0041_meetings;
pub mod m0042_meeting_records;
pub mod m0043_audit_checks;
pub mod m0044_legislation_plans;
pub mod m0045_meeting_record_due;
pub mod m0046_opinion_words;
pub mod m0047_legislation_changes;
pub mod m0048_presidium;
pub mod m0049_opinion_figures;
pub mod m0050_opinion_overdue;
mod schema;

/// Every foreign key of the schema as the last migration leaves it: those `m0006` added, less
/// the membership tables `m0007` replaced, and those of the tables made after it.
pub fn references() -> impl Iterator<Item = &'static m0006_foreign_keys::Reference> {
    m0006_foreign_keys::REFERENCES
        .iter()
        .filter(|f| !m0007_membership::REPLACED.iter().any(|old| old.table == f.table))
        .chain(m0007_membership::REFERENCES)
        .chain(m0008_handling::REFERENCES)
        .chain(m0009_opinion_imports::REFERENCES)
        .chain(m0010_receptions::REFERENCES)
        .chain(m0011_appointments::REFERENCES)
        .chain(m0012_webhooks::REFERENCES)
        .chain(m0013_item_merge::REFERENCES)
        .chain(m0017_duty_changes::REFERENCES)
        .chain(m0018_staged_files::REFERENCES)
        .chain(m0020_publications::REFERENCES)
        .chain(m0022_item_signers::REFERENCES)
        .chain(m0023_loop_contacts::REFERENCES)
        .chain(m0024_suggestions::REFERENCES)
        .chain(m0025_ballots::REFERENCES)
        .chain(m0026_suggestion_drafts::REFERENCES)
        .chain(m0029_suggestion_rules::REFERENCES)
        .chain(m0030_suggestion_evaluation_more::REFERENCES)
        .chain(m0033_handling_corrections::REFERENCES)
        .chain(m0034_loop_notices::REFERENCES)
        .chain(m0036_legislation::REFERENCES)
        .chain(m0041_meetings::REFERENCES)
        .chain(m0042_meeting_records::REFERENCES)
        .chain(m0044_legislation_plans::REFERENCES)
        .chain(m0046_opinion_words::REFERENCES)
        .chain(m0047_legislation_changes::REFERENCES)
        .chain(m0048_presidium::REFERENCES)
        .chain(m0049_opinion_figures::REFERENCES)
        .chain(m0050_opinion_overdue::REFERENCES)
}
