//! The registry (REG-2 … REG-10): persons and mandates, committees, groups, contact links,
//! grids, role names, stations with their keepers and deputies, duty rules and slots; seeded
//! with the station types and role names of the spec.

use sea_orm_migration::prelude::*;

use super::schema::{boolean, float_null, id, index, int, int_default, int_null, table, text, text_null};

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
                vec![id("id"), int("mandate_id"), text("kind"), text("event_date"), text("note"), int("created_at")],
            ),
            // 常委会, 专门委员会, 工作委员会, 办公室 (REG-2).
            table("committees", vec![id("id"), int("organ_id"), text("kind"), text("name"), int_default("sort", 0)]),
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
            c.execute_unprepared(&format!("INSERT INTO role_names (organ_id, name) VALUES (NULL, '{name}')")).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("m0002_registry 不可回滚：请用备份恢复".into()))
    }
}
