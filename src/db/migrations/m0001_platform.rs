//! The platform's tables: areas, organs, handling units, accounts and their roles, sessions,
//! API tokens, sign-in throttling, the audit log and its head, jobs, notifications, attachments.

use sea_orm_migration::prelude::*;

use super::schema::{boolean, float_null, id, index, int, int_default, int_null, table, text, text_null};

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
                vec![id("id"), int("organ_id"), text("name"), text("kind"), boolean("active", true), int("created_at")],
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
