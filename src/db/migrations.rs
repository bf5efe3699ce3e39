//! One migration set for both backends, written with the schema builder so each gets its own DDL.

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
        ]
    }
}

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
}

/// A new table with the foreign keys `refs` lists for it (a migration's `REFERENCES`).
fn keyed_by(refs: &[m0006_foreign_keys::Reference], name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = table(name, cols);
    for f in refs.iter().filter(|f| f.table == name) {
        let action = match f.on_delete {
            "CASCADE" => ForeignKeyAction::Cascade,
            "SET NULL" => ForeignKeyAction::SetNull,
            _ => ForeignKeyAction::Restrict,
        };
        t.foreign_key(
            ForeignKey::create()
                .name(format!("fk_{}_{}", f.table, f.column))
                .from(Alias::new(f.table), Alias::new(f.column))
                .to(Alias::new(f.parent), Alias::new("id"))
                .on_delete(action),
        );
    }
    t
}

fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().auto_increment().primary_key().to_owned()
}
fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}
fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}
fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}
fn int_default(name: &str, v: i64) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().default(v).to_owned()
}
fn int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
}
fn boolean(name: &str, v: bool) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().not_null().default(v).to_owned()
}
fn float_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).double().null().to_owned()
}

fn table(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).if_not_exists();
    for mut c in cols {
        t.col(&mut c);
    }
    t.to_owned()
}

fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

mod m0001_platform {
    use super::*;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0001_platform"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            let tables = vec![
                // 行政区划: path is "/id/id/…/" so a subtree is one indexed prefix match.
                table(
                    "areas",
                    vec![
                        id("id"),
                        text("code"),
                        text("name"),
                        int_null("parent_id"),
                        text("level"),
                        text("path"),
                        float_null("lat"),
                        float_null("lng"),
                        int("created_at"),
                    ],
                ),
                // 人大机关; external organs are upper-level congresses registered for mandates only.
                table(
                    "organs",
                    vec![
                        id("id"),
                        text("code"),
                        text("name"),
                        text("short_name"),
                        int("area_id"),
                        int_null("parent_id"),
                        text("kind"),
                        text("level"),
                        boolean("external", false),
                        text("path"),
                        text("phone"),
                        int("created_at"),
                    ],
                ),
                table(
                    "handling_units",
                    vec![
                        id("id"),
                        int("organ_id"),
                        text("name"),
                        text("kind"),
                        boolean("active", true),
                        int("created_at"),
                    ],
                ),
                table(
                    "accounts",
                    vec![
                        id("id"),
                        text("username"),
                        text("display_name"),
                        text("password_hash"),
                        int("organ_id"),
                        int_null("unit_id"),
                        int_null("deputy_id"),
                        int_null("station_id"),
                        text_null("phone_enc"),
                        text_null("phone_hash"),
                        boolean("disabled", false),
                        int_default("failed_logins", 0),
                        int_default("locked_until", 0),
                        text_null("totp_secret_enc"),
                        boolean("totp_enabled", false),
                        boolean("must_change_password", false),
                        int("created_at"),
                        int("updated_at"),
                    ],
                ),
                table("account_roles", vec![int("account_id"), text("role")]),
                table(
                    "sessions",
                    vec![
                        id("id"),
                        text("token_hash"),
                        int("account_id"),
                        int("created_at"),
                        int("expires_at"),
                        int("last_seen_at"),
                    ],
                ),
                table(
                    "api_tokens",
                    vec![
                        id("id"),
                        int("account_id"),
                        text("name"),
                        text("token_hash"),
                        text("scopes"),
                        int("created_at"),
                        int_null("last_used_at"),
                        int_null("revoked_at"),
                    ],
                ),
                // Failed sign-ins per client address (keyed hash), for throttling across nodes.
                table(
                    "login_throttle",
                    vec![
                        ColumnDef::new(Alias::new("key")).text().not_null().primary_key().to_owned(),
                        int_default("failures", 0),
                        int("window_start"),
                        int_default("locked_until", 0),
                    ],
                ),
                table(
                    "audit_log",
                    vec![
                        ColumnDef::new(Alias::new("seq")).big_integer().not_null().primary_key().to_owned(),
                        int("at"),
                        int_null("actor_id"),
                        text("actor"),
                        text_null("on_behalf_of"),
                        text("action"),
                        text("target_type"),
                        text("target_id"),
                        int_null("organ_id"),
                        text("summary"),
                        text("client"),
                        text("prev_hash"),
                        text("hash"),
                    ],
                ),
                // The chain head, kept apart from the entries and MAC'd, so truncation shows.
                table(
                    "audit_head",
                    vec![
                        ColumnDef::new(Alias::new("id")).big_integer().not_null().primary_key().to_owned(),
                        int_default("last_seq", 0),
                        text("last_hash"),
                        text("mac"),
                        int_default("writes", 0),
                    ],
                ),
                table(
                    "jobs",
                    vec![
                        id("id"),
                        text("kind"),
                        text("payload"),
                        text_null("dedupe_key"),
                        int("run_at"),
                        text("state"),
                        int_default("attempts", 0),
                        text_null("locked_by"),
                        int_null("locked_until"),
                        text_null("last_error"),
                        int("created_at"),
                        int_null("finished_at"),
                    ],
                ),
                table(
                    "notifications",
                    vec![
                        id("id"),
                        int("account_id"),
                        text("title"),
                        text("body"),
                        text_null("link"),
                        int("created_at"),
                        int_null("read_at"),
                    ],
                ),
                table(
                    "attachments",
                    vec![
                        id("id"),
                        int("organ_id"),
                        text("owner_type"),
                        text("owner_id"),
                        text("file_name"),
                        text("content_type"),
                        int("size"),
                        text("storage_key"),
                        text("sha256"),
                        int_null("uploaded_by"),
                        int("created_at"),
                    ],
                ),
            ];
            for t in tables {
                m.create_table(t).await?;
            }
            let indexes = vec![
                index("areas", "ux_areas_code", &["code"], true),
                index("areas", "ix_areas_parent", &["parent_id"], false),
                index("areas", "ix_areas_path", &["path"], false),
                index("organs", "ux_organs_code", &["code"], true),
                index("organs", "ix_organs_path", &["path"], false),
                index("handling_units", "ix_units_organ", &["organ_id"], false),
                index("accounts", "ux_accounts_username", &["username"], true),
                index("accounts", "ix_accounts_organ", &["organ_id"], false),
                index("accounts", "ix_accounts_phone_hash", &["phone_hash"], false),
                index("account_roles", "ux_account_roles", &["account_id", "role"], true),
                index("sessions", "ux_sessions_token", &["token_hash"], true),
                index("sessions", "ix_sessions_expires", &["expires_at"], false),
                index("api_tokens", "ux_api_tokens_hash", &["token_hash"], true),
                index("audit_log", "ix_audit_target", &["target_type", "target_id"], false),
                index("jobs", "ux_jobs_dedupe", &["dedupe_key"], true),
                index("jobs", "ix_jobs_state_run_at", &["state", "run_at"], false),
                index("notifications", "ix_notifications_account", &["account_id", "read_at"], false),
                index("attachments", "ix_attachments_owner", &["owner_type", "owner_id"], false),
            ];
            for i in indexes {
                m.create_index(i).await?;
            }
            // The head row exists from the start so write transactions can lock it.
            m.get_connection()
                .execute_unprepared(
                    "INSERT INTO audit_head (id, last_seq, last_hash, mac, writes) VALUES (1, 0, '', '', 0)",
                )
                .await?;
            Ok(())
        }

        async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
            Err(DbErr::Migration("m0001_platform 不可回滚：请用备份恢复".into()))
        }
    }
}

mod m0002_registry {
    use super::*;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0002_registry"
        }
    }

    /// The station types of the spec (REG-9); organs may add their own.
    const STATION_TYPES: [(&str, &str); 13] = [
        ("home", "代表之家"),
        ("station", "代表联络站"),
        ("central_station", "中心联络站"),
        ("village_point", "村（社区）联络点"),
        ("family_point", "家庭联络点"),
        ("studio", "代表工作室"),
        ("professional_station", "专业代表联络站"),
        ("sector_station", "园区/商会/工会/协会联络站"),
        ("legislative_point", "基层立法联系点"),
        ("budget_point", "预算审查基层联系点"),
        ("opinion_point", "社情民意观察点"),
        ("business_point", "营商环境监测点"),
        ("online_studio", "网上代表工作室"),
    ];

    const ROLE_NAMES: [&str; 5] = ["联络员", "信息采集员", "观察员", "营商环境监督员", "立法咨询员"];

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            let tables = vec![
                // A person (REG-3). Private mobile encrypted, looked up by keyed hash.
                table(
                    "persons",
                    vec![
                        id("id"),
                        int("organ_id"),
                        text("name"),
                        text("gender"),
                        text("ethnicity"),
                        text_null("birth_date"),
                        text("party"),
                        text("education"),
                        text("occupation"),
                        text("work_unit"),
                        text("expertise"),
                        text("public_contact"),
                        text_null("mobile_enc"),
                        text_null("mobile_hash"),
                        int_null("township_area_id"),
                        int_null("photo_id"),
                        text("bio"),
                        int("created_at"),
                        int("updated_at"),
                    ],
                ),
                // Expertise tags as rows, so "deputies with medical expertise" is an indexed look-up.
                table("person_tags", vec![id("id"), int("person_id"), text("tag")]),
                // A mandate: person × organ (possibly external) × term. level is copied from the organ.
                table(
                    "mandates",
                    vec![
                        id("id"),
                        int("person_id"),
                        int("organ_id"),
                        text("level"),
                        int("term"),
                        text("constituency"),
                        text_null("start_date"),
                        text_null("end_date"),
                        text("status"),
                        int("created_at"),
                    ],
                ),
                // 换届, 补选, 罢免, 辞职 … recorded as events on the mandate.
                table(
                    "mandate_events",
                    vec![
                        id("id"),
                        int("mandate_id"),
                        text("kind"),
                        text("event_date"),
                        text("note"),
                        int("created_at"),
                    ],
                ),
                // 常委会, 专门委员会, 工作委员会, 办公室 (REG-2).
                table(
                    "committees",
                    vec![id("id"), int("organ_id"), text("kind"), text("name"), int_default("sort", 0)],
                ),
                table(
                    "committee_members",
                    vec![id("id"), int("committee_id"), int("person_id"), text("position"), int_default("sort", 0)],
                ),
                // Handling units' contact people (联络员), optionally with an account.
                table(
                    "unit_contacts",
                    vec![id("id"), int("unit_id"), text("name"), text_null("phone_enc"), int_null("account_id")],
                ),
                // 代表团, 代表小组, 专业代表小组 (REG-4).
                table(
                    "deputy_groups",
                    vec![
                        id("id"),
                        int("organ_id"),
                        text("kind"),
                        text("name"),
                        int_null("area_id"),
                        int_null("committee_id"),
                        int("created_at"),
                    ],
                ),
                table("group_members", vec![id("id"), int("group_id"), int("person_id"), text("role")]),
                // 双联系: committee member ↔ deputy; deputy ↔ fixed voter contact (REG-5).
                table(
                    "contact_links",
                    vec![
                        id("id"),
                        int("organ_id"),
                        text("kind"),
                        int("person_id"),
                        int_null("deputy_id"),
                        text_null("voter_name_enc"),
                        text("voter_note"),
                        int("created_at"),
                    ],
                ),
                // 网格 with deputies as 网格员 / 监督员 (REG-6).
                table("grids", vec![id("id"), int("organ_id"), int("area_id"), text("name")]),
                table("grid_members", vec![id("id"), int("grid_id"), int("person_id"), text("role")]),
                // Configurable role names and assignments (REG-7).
                table("role_names", vec![id("id"), int_null("organ_id"), text("name")]),
                table("role_assignments", vec![id("id"), int("role_name_id"), int("person_id"), int("created_at")]),
                // Stations (REG-9).
                table(
                    "station_types",
                    vec![id("id"), int_null("organ_id"), text("code"), text("name"), int_default("sort", 0)],
                ),
                table(
                    "stations",
                    vec![
                        id("id"),
                        int("organ_id"),
                        int("area_id"),
                        int("type_id"),
                        text("name"),
                        text("address"),
                        float_null("lat"),
                        float_null("lng"),
                        boolean("online_only", false),
                        text("opening_hours"),
                        text("phone"),
                        text("facilities"),
                        text("description"),
                        int("created_at"),
                        int("updated_at"),
                    ],
                ),
                table("station_keepers", vec![id("id"), int("station_id"), int("account_id")]),
                table("station_deputies", vec![id("id"), int("station_id"), int("person_id"), int("created_at")]),
                // Duty rules (进站安排) in the staff's own words, and the dated slots they expand to (REG-10).
                table(
                    "duty_rules",
                    vec![
                        id("id"),
                        int("station_id"),
                        int("person_id"),
                        text("rule_text"),
                        text("valid_from"),
                        text_null("valid_until"),
                        int("created_at"),
                    ],
                ),
                table(
                    "duty_slots",
                    vec![
                        id("id"),
                        int("station_id"),
                        int("person_id"),
                        int_null("rule_id"),
                        text("slot_date"),
                        text("start_time"),
                        text("end_time"),
                        boolean("online", false),
                    ],
                ),
                // Bumped in the same transaction as a change, so each node knows when its
                // in-memory caches (the nearest-station index) are stale.
                table("change_counters", vec![text("name"), int_default("value", 0)]),
            ];
            for t in tables {
                m.create_table(t).await?;
            }
            let indexes = vec![
                index("persons", "ix_persons_organ_name", &["organ_id", "name"], false),
                index("persons", "ix_persons_name", &["name"], false),
                index("persons", "ix_persons_mobile_hash", &["mobile_hash"], false),
                index("person_tags", "ux_person_tags", &["person_id", "tag"], true),
                index("person_tags", "ix_person_tags_tag", &["tag", "person_id"], false),
                index("mandates", "ix_mandates_person", &["person_id"], false),
                index("mandates", "ix_mandates_organ_level", &["organ_id", "level", "status"], false),
                index("mandates", "ix_mandates_level", &["level", "status", "person_id"], false),
                index("mandate_events", "ix_mandate_events_mandate", &["mandate_id"], false),
                index("committees", "ix_committees_organ", &["organ_id"], false),
                index("committee_members", "ux_committee_members", &["committee_id", "person_id"], true),
                index("committee_members", "ix_committee_members_person", &["person_id"], false),
                index("unit_contacts", "ix_unit_contacts_unit", &["unit_id"], false),
                index("deputy_groups", "ix_deputy_groups_organ", &["organ_id", "kind"], false),
                index("group_members", "ux_group_members", &["group_id", "person_id"], true),
                index("group_members", "ix_group_members_person", &["person_id"], false),
                index("contact_links", "ix_contact_links_person", &["person_id", "kind"], false),
                index("contact_links", "ix_contact_links_deputy", &["deputy_id", "kind"], false),
                index("grids", "ix_grids_area", &["area_id"], false),
                index("grid_members", "ux_grid_members", &["grid_id", "person_id", "role"], true),
                index("grid_members", "ix_grid_members_person", &["person_id"], false),
                index("role_assignments", "ux_role_assignments", &["role_name_id", "person_id"], true),
                index("role_assignments", "ix_role_assignments_person", &["person_id"], false),
                index("station_types", "ix_station_types_code", &["code"], false),
                index("stations", "ix_stations_organ_type", &["organ_id", "type_id"], false),
                index("stations", "ix_stations_area", &["area_id"], false),
                index("station_keepers", "ux_station_keepers", &["station_id", "account_id"], true),
                index("station_keepers", "ix_station_keepers_account", &["account_id"], false),
                index("station_deputies", "ux_station_deputies", &["station_id", "person_id"], true),
                index("station_deputies", "ix_station_deputies_person", &["person_id"], false),
                index("duty_rules", "ix_duty_rules_station", &["station_id"], false),
                index("duty_slots", "ix_duty_slots_station_date", &["station_id", "slot_date"], false),
                index("duty_slots", "ix_duty_slots_person_date", &["person_id", "slot_date"], false),
                index("duty_slots", "ix_duty_slots_rule", &["rule_id"], false),
                index("change_counters", "ux_change_counters", &["name"], true),
            ];
            for i in indexes {
                m.create_index(i).await?;
            }
            let c = m.get_connection();
            for (n, (code, name)) in STATION_TYPES.iter().enumerate() {
                c.execute_unprepared(&format!(
                    "INSERT INTO station_types (organ_id, code, name, sort) VALUES (NULL, '{code}', '{name}', {n})"
                ))
                .await?;
            }
            c.execute_unprepared("INSERT INTO change_counters (name, value) VALUES ('stations', 0)").await?;
            for name in ROLE_NAMES {
                c.execute_unprepared(&format!("INSERT INTO role_names (organ_id, name) VALUES (NULL, '{name}')"))
                    .await?;
            }
            Ok(())
        }

        async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
            Err(DbErr::Migration("m0002_registry 不可回滚：请用备份恢复".into()))
        }
    }
}

/// Indexes found missing when measuring at national scale (bench/README.md).
mod m0003_scale_indexes {
    use super::*;

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
}

/// Sessions remember when the password was last entered (re-authentication for account
/// security settings: password, two-step sign-in, API tokens).
mod m0004_session_reauth {
    use super::*;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0004_session_reauth"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            m.alter_table(
                Table::alter().table(Alias::new("sessions")).add_column(int_default("auth_at", 0)).to_owned(),
            )
            .await?;
            m.alter_table(
                Table::alter().table(Alias::new("sessions")).add_column(int_default("auth_failures", 0)).to_owned(),
            )
            .await
        }

        async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
            for col in ["auth_failures", "auth_at"] {
                m.alter_table(Table::alter().table(Alias::new("sessions")).drop_column(Alias::new(col)).to_owned())
                    .await?;
            }
            Ok(())
        }
    }
}

/// The last accepted TOTP time step of each account, so a code is accepted once (no replay).
mod m0005_totp_last_step {
    use super::*;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0005_totp_last_step"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            m.alter_table(
                Table::alter().table(Alias::new("accounts")).add_column(int_default("totp_last_step", 0)).to_owned(),
            )
            .await
        }

        async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
            m.alter_table(
                Table::alter().table(Alias::new("accounts")).drop_column(Alias::new("totp_last_step")).to_owned(),
            )
            .await
        }
    }
}

/// Foreign keys on every reference (issue 8), added to existing databases.
///
/// Orphans are looked for first, one query per reference; any found stop the migration with
/// an error naming table, column, count and the first ids — nothing is deleted. PostgreSQL
/// then gets `ALTER TABLE … ADD CONSTRAINT`; SQLite, which cannot add a constraint to an
/// existing table, gets each referencing table rebuilt (the procedure of
/// <https://www.sqlite.org/lang_altertable.html#otheralter>) on one connection with
/// `PRAGMA foreign_keys=OFF`, checked by `PRAGMA foreign_key_check` before the commit.
///
/// Not constrained, on purpose:
/// - `attachments.owner_type/owner_id` and `audit_log.target_type/target_id` are polymorphic
///   (the owner or target may be a row of any table, or no row at all), which a foreign key
///   cannot express;
/// - `audit_log.actor_id/organ_id`: the audit log is the history of what happened and must
///   outlive the accounts and organs it names; its entries are hash-chained, so neither
///   `SET NULL` nor `CASCADE` may touch them, and `RESTRICT` would make every account that
///   ever acted undeletable.
pub mod m0006_foreign_keys {
    use sea_orm::{ConnectionTrait, DbBackend, DbErr};
    use sea_orm_migration::prelude::*;

    pub struct Migration;

    impl MigrationName for Migration {
        fn name(&self) -> &str {
            "m0006_foreign_keys"
        }
    }

    /// A reference: child table, column, parent table (always its `id`), ON DELETE action.
    pub struct Reference {
        pub table: &'static str,
        pub column: &'static str,
        pub parent: &'static str,
        pub on_delete: &'static str,
    }

    pub const fn r(
        table: &'static str,
        column: &'static str,
        parent: &'static str,
        on_delete: &'static str,
    ) -> Reference {
        Reference { table, column, parent, on_delete }
    }

    /// The foreign keys this migration adds (as it added them: `m0007_membership` later
    /// replaced the four membership tables; [`super::references`] is the schema's list now).
    ///
    /// ON DELETE choices:
    /// - `RESTRICT` for records (organs, areas, persons, mandates, memberships, stations …):
    ///   deleting something still referenced is refused (the application answers 409 with
    ///   「该记录仍被其他记录引用，不能删除或修改」), never a silent cascade through the registry.
    /// - `CASCADE` only for rows that are nothing but a part of their parent account or person
    ///   and mean nothing without it: an account's roles, sessions, API tokens and
    ///   notifications; a person's expertise tags.
    /// - `SET NULL` where the reference is optional and the child must outlive the parent:
    ///   a person's photo (deleting the attachment leaves the person without a photo) and the
    ///   duty rule of a slot (past slots stay as the record of what was planned after the rule
    ///   is removed).
    pub const REFERENCES: &[Reference] = &[
        // m0001_platform
        r("areas", "parent_id", "areas", "RESTRICT"),
        r("organs", "area_id", "areas", "RESTRICT"),
        r("organs", "parent_id", "organs", "RESTRICT"),
        r("handling_units", "organ_id", "organs", "RESTRICT"),
        r("accounts", "organ_id", "organs", "RESTRICT"),
        r("accounts", "unit_id", "handling_units", "RESTRICT"),
        r("accounts", "deputy_id", "persons", "RESTRICT"),
        r("accounts", "station_id", "stations", "RESTRICT"),
        r("account_roles", "account_id", "accounts", "CASCADE"),
        r("sessions", "account_id", "accounts", "CASCADE"),
        r("api_tokens", "account_id", "accounts", "CASCADE"),
        r("notifications", "account_id", "accounts", "CASCADE"),
        r("attachments", "organ_id", "organs", "RESTRICT"),
        r("attachments", "uploaded_by", "accounts", "RESTRICT"),
        // m0002_registry
        r("persons", "organ_id", "organs", "RESTRICT"),
        r("persons", "township_area_id", "areas", "RESTRICT"),
        r("persons", "photo_id", "attachments", "SET NULL"),
        r("person_tags", "person_id", "persons", "CASCADE"),
        r("mandates", "person_id", "persons", "RESTRICT"),
        r("mandates", "organ_id", "organs", "RESTRICT"),
        r("mandate_events", "mandate_id", "mandates", "RESTRICT"),
        r("committees", "organ_id", "organs", "RESTRICT"),
        r("committee_members", "committee_id", "committees", "RESTRICT"),
        r("committee_members", "person_id", "persons", "RESTRICT"),
        r("unit_contacts", "unit_id", "handling_units", "RESTRICT"),
        r("unit_contacts", "account_id", "accounts", "RESTRICT"),
        r("deputy_groups", "organ_id", "organs", "RESTRICT"),
        r("deputy_groups", "area_id", "areas", "RESTRICT"),
        r("deputy_groups", "committee_id", "committees", "RESTRICT"),
        r("group_members", "group_id", "deputy_groups", "RESTRICT"),
        r("group_members", "person_id", "persons", "RESTRICT"),
        r("contact_links", "organ_id", "organs", "RESTRICT"),
        r("contact_links", "person_id", "persons", "RESTRICT"),
        r("contact_links", "deputy_id", "persons", "RESTRICT"),
        r("grids", "organ_id", "organs", "RESTRICT"),
        r("grids", "area_id", "areas", "RESTRICT"),
        r("grid_members", "grid_id", "grids", "RESTRICT"),
        r("grid_members", "person_id", "persons", "RESTRICT"),
        r("role_names", "organ_id", "organs", "RESTRICT"),
        r("role_assignments", "role_name_id", "role_names", "RESTRICT"),
        r("role_assignments", "person_id", "persons", "RESTRICT"),
        r("station_types", "organ_id", "organs", "RESTRICT"),
        r("stations", "organ_id", "organs", "RESTRICT"),
        r("stations", "area_id", "areas", "RESTRICT"),
        r("stations", "type_id", "station_types", "RESTRICT"),
        r("station_keepers", "station_id", "stations", "RESTRICT"),
        r("station_keepers", "account_id", "accounts", "RESTRICT"),
        r("station_deputies", "station_id", "stations", "RESTRICT"),
        r("station_deputies", "person_id", "persons", "RESTRICT"),
        r("duty_rules", "station_id", "stations", "RESTRICT"),
        r("duty_rules", "person_id", "persons", "RESTRICT"),
        r("duty_slots", "station_id", "stations", "RESTRICT"),
        r("duty_slots", "person_id", "persons", "RESTRICT"),
        r("duty_slots", "rule_id", "duty_rules", "SET NULL"),
    ];

    fn constraint(f: &Reference) -> String {
        format!(
            "CONSTRAINT \"fk_{t}_{c}\" FOREIGN KEY (\"{c}\") REFERENCES \"{p}\" (\"id\") ON DELETE {d}",
            t = f.table,
            c = f.column,
            p = f.parent,
            d = f.on_delete
        )
    }

    /// Every reference of `references` that points nowhere, said in one error naming the
    /// migration (nothing is deleted).
    pub(super) async fn check_orphans<C: ConnectionTrait>(
        c: &C,
        migration: &str,
        references: &[&Reference],
    ) -> Result<(), DbErr> {
        let mut found = Vec::new();
        for f in references {
            // account_roles has no id of its own: its rows are named by the missing account id.
            let key = if f.table == "account_roles" { "account_id" } else { "id" };
            let from = format!(
                "FROM \"{t}\" c WHERE c.\"{col}\" IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM \"{p}\" p WHERE p.id = c.\"{col}\")",
                t = f.table,
                col = f.column,
                p = f.parent
            );
            let count = crate::db::scalar_i64(c, &format!("SELECT count(*) {from}"), vec![]).await?;
            if count == 0 {
                continue;
            }
            let rows =
                crate::db::query_rows(c, &format!("SELECT c.\"{key}\" {from} ORDER BY 1 LIMIT 5"), vec![]).await?;
            let ids: Vec<String> =
                rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).map(|v| v.to_string()).collect();
            found.push(format!(
                "{t}.{col} 有 {count} 行引用了不存在的 {p} 记录（{key}：{ids}{more}）",
                t = f.table,
                col = f.column,
                p = f.parent,
                ids = ids.join(", "),
                more = if count > ids.len() as i64 { " …" } else { "" }
            ));
        }
        if found.is_empty() {
            Ok(())
        } else {
            Err(DbErr::Migration(format!(
                "{migration}：发现孤立引用，迁移已停止，未删除任何数据。请先修正或删除这些行后再迁移：{}",
                found.join("；")
            )))
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
            let c = m.get_connection();
            check_orphans(c, "m0006_foreign_keys", &REFERENCES.iter().collect::<Vec<_>>()).await?;
            match c.get_database_backend() {
                // Runs inside the migration's transaction: all constraints or none.
                DbBackend::Postgres => {
                    for f in REFERENCES {
                        c.execute_unprepared(&format!("ALTER TABLE \"{}\" ADD {}", f.table, constraint(f))).await?;
                    }
                    Ok(())
                }
                // sea-orm-migration runs SQLite migrations outside a transaction (`use_transaction`
                // is `None`), as `PRAGMA foreign_keys=OFF` is a no-op inside one; the rebuild
                // takes a connection of its own and opens its own transaction there.
                DbBackend::Sqlite => match c {
                    sea_orm_migration::SchemaManagerConnection::Connection(db) => sqlite::rebuild(db).await,
                    _ => Err(DbErr::Migration(
                        "m0006_foreign_keys 在 SQLite 上须在事务之外运行（PRAGMA foreign_keys 在事务中无效）".into(),
                    )),
                },
                _ => Err(DbErr::Migration("m0006_foreign_keys：不支持的数据库".into())),
            }
        }

        async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
            Err(DbErr::Migration("m0006_foreign_keys 不可回滚：请用备份恢复".into()))
        }
    }

    mod sqlite {
        use super::{REFERENCES, constraint};
        use sea_orm::sqlx::{self, Sqlite, pool::PoolConnection};
        use sea_orm::{DatabaseConnection, DbErr};

        fn err(e: sqlx::Error) -> DbErr {
            DbErr::Migration(format!("m0006_foreign_keys：{e}"))
        }

        async fn exec(conn: &mut PoolConnection<Sqlite>, sql: &str) -> Result<(), DbErr> {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut **conn).await.map(|_| ()).map_err(err)
        }

        /// Rebuilds every referencing table on one pooled connection: `foreign_keys` is a
        /// per-connection setting, so the statements cannot be spread over the pool.
        pub async fn rebuild(db: &DatabaseConnection) -> Result<(), DbErr> {
            let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(err)?;
            // Step 1 of SQLite's procedure: outside any transaction.
            exec(&mut conn, "PRAGMA foreign_keys=OFF").await?;
            let result = async {
                exec(&mut conn, "BEGIN IMMEDIATE").await?;
                let inner = rebuild_tables(&mut conn).await;
                match inner {
                    Ok(()) => exec(&mut conn, "COMMIT").await,
                    Err(e) => {
                        let _ = exec(&mut conn, "ROLLBACK").await;
                        Err(e)
                    }
                }
            }
            .await;
            // The connection goes back to the pool: it must enforce foreign keys again.
            if exec(&mut conn, "PRAGMA foreign_keys=ON").await.is_err() {
                conn.close_on_drop();
            }
            result
        }

        async fn rebuild_tables(conn: &mut PoolConnection<Sqlite>) -> Result<(), DbErr> {
            let mut tables: Vec<&str> = Vec::new();
            for f in REFERENCES {
                if !tables.contains(&f.table) {
                    tables.push(f.table);
                }
            }
            for table in tables {
                let (create,): (String,) =
                    sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1")
                        .bind(table)
                        .fetch_one(&mut **conn)
                        .await
                        .map_err(err)?;
                // Indexes and triggers go with the old table; their SQL recreates them as they were.
                let dependents: Vec<(String,)> = sqlx::query_as(
                    "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ?1 \
                     AND sql IS NOT NULL ORDER BY type, name",
                )
                .bind(table)
                .fetch_all(&mut **conn)
                .await
                .map_err(err)?;
                let seq: Option<(i64,)> = sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = ?1")
                    .bind(table)
                    .fetch_optional(&mut **conn)
                    .await
                    .map_err(err)?;
                let new = format!("{table}__fk_new");
                let (Some(open), Some(close)) = (create.find('('), create.rfind(')')) else {
                    return Err(DbErr::Migration(format!("m0006_foreign_keys：无法解析 {table} 的表定义")));
                };
                let fks: Vec<String> =
                    REFERENCES.iter().filter(|f| f.table == table).map(|f| format!(", {}", constraint(f))).collect();
                let sql = format!(
                    "CREATE TABLE \"{new}\" {}{} {}",
                    create[open..close].trim_end(),
                    fks.concat(),
                    &create[close..]
                );
                exec(conn, &sql).await?;
                // Same columns in the same order (the definition is the old one's).
                exec(conn, &format!("INSERT INTO \"{new}\" SELECT * FROM \"{table}\"")).await?;
                exec(conn, &format!("DROP TABLE \"{table}\"")).await?;
                exec(conn, &format!("ALTER TABLE \"{new}\" RENAME TO \"{table}\"")).await?;
                for (sql,) in dependents {
                    exec(conn, &sql).await?;
                }
                // AUTOINCREMENT keeps its high-water mark: ids of deleted rows are not reused.
                if let Some((seq,)) = seq {
                    sqlx::query("DELETE FROM sqlite_sequence WHERE name = ?1")
                        .bind(table)
                        .execute(&mut **conn)
                        .await
                        .map_err(err)?;
                    sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)")
                        .bind(table)
                        .bind(seq)
                        .execute(&mut **conn)
                        .await
                        .map_err(err)?;
                }
            }
            let violations: Vec<(String, Option<i64>, String, i64)> =
                sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut **conn).await.map_err(err)?;
            if let Some((table, rowid, parent, _)) = violations.first() {
                return Err(DbErr::Migration(format!(
                    "m0006_foreign_keys：外键检查未通过（{} 处），如 {table} 第 {} 行引用了不存在的 {parent} 记录",
                    violations.len(),
                    rowid.map_or("?".into(), |r| r.to_string())
                )));
            }
            Ok(())
        }
    }
}
