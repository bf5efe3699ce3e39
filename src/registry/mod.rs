//! 代表 · 组织 · 家站点 — the registry (REG): persons and their mandates at five levels,
//! committees, groups, contact links, grids, role names, stations with duty schedules, the
//! nearest-station index and QR codes.

pub mod api;
pub mod console;
pub mod demo;
pub mod duty_changes;
pub mod geo;
pub mod import;
pub mod membership;
pub mod membership_pages;
pub mod persons;
pub mod persons_pages;
pub mod public;
pub mod records;
pub mod roster;
pub mod roster_pages;
pub mod schedule;
pub mod stations;
pub mod stations_pages;
pub mod structure;
pub mod structure_exports;
pub mod structure_pages;
pub mod synthetic;
pub mod types;
pub mod units_pages;
pub mod voters;
pub mod voters_pages;

use crate::app::state::{AttachmentOwner, BoxFuture, JobHandler, MenuSection, Module, RecordKind};
use crate::auth::{Action, Principal, Resource, Role, authz};
pub use crate::org::Level;

/// Attachment owner types of the registry.
pub const OWNER_STATION: &str = "station";
pub const OWNER_PERSON: &str = "person";

/// The registry as the platform sees it.
pub const MODULE: Module = Module {
    name: "registry",
    routes,
    menu,
    audit_labels: AUDIT_LABELS,
    operations: api::OPERATIONS,
    jobs: &[JobHandler { kind: "extend_duty_slots", daily: true, run: extend_duty_slots }],
    attachment_owners: &[
        AttachmentOwner { owner_type: OWNER_STATION, public: station_photo_is_public, seen_by: None },
        AttachmentOwner { owner_type: OWNER_PERSON, public: portrait_is_public, seen_by: None },
    ],
    on_account_created: Some(keeper_account_created),
    register: None,
    records: &[
        RecordKind::person("person", "代表", "persons", "name"),
        RecordKind::titled("station", "站点", "stations", "name"),
        RecordKind::titled("deputy_group", "代表小组", "deputy_groups", "name"),
        RecordKind::titled("committee", "专门委员会", "committees", "name"),
        RecordKind::titled("grid", "网格", "grids", "name"),
        RecordKind::titled("role_name", "职务名称", "role_names", "name"),
        RecordKind::untitled("contact_link", "联系关系"),
        RecordKind::untitled("registry", "代表与组织"),
    ],
    titles: &[],
    tables: &[
        "persons",
        "person_tags",
        "mandates",
        "mandate_events",
        "committees",
        "deputy_groups",
        "contact_links",
        "grids",
        "role_names",
        "memberships",
        "station_types",
        "stations",
        "station_keepers",
        "station_deputies",
        "duty_rules",
        "duty_slots",
        "duty_changes",
        "change_counters",
    ],
    // Seeded by the assembly's `demo` itself: the demo accounts act for its deputy and station.
    demo: None,
};

/// An account acts only for a deputy or station of the creating admin's subtree; a keeper
/// account keeps its station, recorded as the station's keeper too.
fn keeper_account_created<'a>(
    txn: &'a sea_orm::DatabaseTransaction,
    key: &'a [u8],
    actor: &'a crate::audit::Actor,
    scope: &'a str,
    account: i64,
    input: &'a crate::auth::accounts::NewAccount,
) -> BoxFuture<'a, crate::app::error::AppResult<()>> {
    use crate::app::error::AppError;
    Box::pin(async move {
        if let Some(person) = input.deputy_id
            && !persons::person_organ_path(txn, person).await?.is_some_and(|p| p.starts_with(scope))
        {
            return Err(AppError::invalid("deputy_id", "只能关联本机关及下级登记的代表"));
        }
        if let Some(station) = input.station_id
            && !stations::station(txn, station).await?.is_some_and(|st| st.organ_path.starts_with(scope))
        {
            return Err(AppError::invalid("station_id", "只能关联本机关及下级的站点"));
        }
        if let (true, Some(station)) = (input.roles.contains(&Role::Keeper), input.station_id) {
            stations::add_keeper(txn, key, actor, station, account).await?;
        }
        Ok(())
    })
}

fn routes() -> axum::Router<crate::app::state::AppState> {
    axum::Router::new()
        .merge(public::routes())
        .merge(api::routes())
        .merge(persons_pages::routes())
        .merge(stations_pages::routes())
        .merge(structure_pages::routes())
        .merge(membership_pages::routes())
        .merge(structure_exports::routes())
        .merge(roster_pages::routes())
        .merge(units_pages::routes())
        .merge(voters_pages::routes())
}

const AUDIT_LABELS: &[(&str, &str)] = &[
    ("person_create", "登记人员"),
    ("person_update", "修改人员信息"),
    ("mandate_create", "新增代表资格"),
    ("mandate_end", "终止代表资格"),
    ("station_create", "新建站点"),
    ("station_update", "修改站点"),
    ("station_assign", "代表进站"),
    ("station_unassign", "代表离站"),
    ("duty_rule_create", "新增进站安排"),
    ("duty_rule_delete", "删除进站安排"),
    ("duty_slot_change", "调整接待时段"),
    ("group_create", "新建小组"),
    ("group_member_add", "小组成员调整"),
    ("group_member_remove", "移出小组"),
    ("committee_create", "新建机构"),
    ("committee_member_add", "组成人员调整"),
    ("committee_member_remove", "组成人员离任"),
    ("contact_link_create", "建立联系"),
    ("contact_link_delete", "解除联系"),
    ("grid_create", "新建网格"),
    ("grid_member_add", "网格人员调整"),
    ("grid_member_remove", "移出网格"),
    ("role_name_create", "新增角色名称"),
    ("role_assign", "担任角色"),
    ("role_unassign", "卸任角色"),
    ("roster_import", "导入名册"),
    ("mandate_update", "修改代表资格"),
    ("station_keeper_add", "指定站点管理员"),
    ("station_type_create", "新增站点类型"),
    ("voter_contact_add", "新增固定联系选民"),
    ("voter_contact_remove", "移除固定联系选民"),
    ("synthetic_generate", "生成合成数据"),
];

/// 代表与站点: each entry shown only when the authorization layer would allow opening it.
fn menu(p: &Principal) -> Vec<MenuSection> {
    let own = p.organ_path.as_str();
    let can = |r: Resource| authz::allows(p, Action::View, &r);
    let mut items = Vec::new();
    if can(Resource::Person { id: -1, organ_path: own }) {
        items.push(("/console/registry/deputies", "代表"));
    } else if p.deputy_id.is_some() {
        items.push(("/console/registry/me", "我的代表信息"));
    }
    if can(Resource::Station { id: -1, organ_path: own }) || (p.has(Role::Keeper) && p.station_id.is_some()) {
        let mine = p.station_id.is_some() && !can(Resource::Registry { organ_path: own });
        items.push(("/console/registry/stations", if mine { "我的站点" } else { "站点" }));
    }
    if can(Resource::Registry { organ_path: own }) {
        items.push(("/console/registry/groups", "代表小组"));
        items.push(("/console/registry/committees", "委员会"));
        items.push(("/console/registry/links", "双联系"));
        items.push(("/console/registry/grids", "网格"));
        items.push(("/console/registry/roles", "履职角色"));
        items.push(("/console/registry/station-types", "站点类型"));
        if authz::allows(p, Action::Create, &Resource::Registry { organ_path: own }) {
            items.push(("/console/registry/import", "名册导入"));
        }
    }
    if can(Resource::HandlingUnit { id: p.unit_id.unwrap_or(-1), organ_path: own }) {
        items.push(("/console/registry/units", if p.unit_id.is_some() { "本单位" } else { "承办单位" }));
    }
    vec![MenuSection { order: 20, title: "代表与站点", items }]
}

/// Keeps every duty rule expanded half a year ahead (daily).
fn extend_duty_slots<'a>(s: &'a crate::app::state::AppState, _payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        s.writer.run(async |txn| stations::extend_all_rules(txn).await).await.map(|_| ()).map_err(|e| e.to_string())
    })
}

/// Station photos are public while the station exists.
fn station_photo_is_public(
    s: &crate::app::state::AppState,
    station: i64,
    _: i64,
) -> BoxFuture<'_, crate::app::error::AppResult<bool>> {
    Box::pin(async move { Ok(stations::station(&s.db, station).await?.is_some()) })
}

/// A portrait is public while it is the person's current photo and they serve a mandate.
fn portrait_is_public(
    s: &crate::app::state::AppState,
    person: i64,
    attachment: i64,
) -> BoxFuture<'_, crate::app::error::AppResult<bool>> {
    Box::pin(async move {
        Ok(crate::db::scalar_i64(
            &s.db,
            "SELECT count(*) FROM persons p WHERE p.id = $1 AND p.photo_id = $2 AND EXISTS \
             (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.status = 'serving')",
            vec![person.into(), attachment.into()],
        )
        .await?
            > 0)
    })
}

/// The registry's per-node state: the nearest-station index and read caches.
pub struct Cache {
    pub nearest: stations::NearestCache,
    /// Station types, in their display order.
    pub station_types: crate::app::cache::TtlCache<(), Vec<stations::StationType>>,
    /// Per organ path: the townships for the picker, the common expertise tags, the example.
    pub find_options: crate::app::cache::TtlCache<String, public::FindOptions>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            nearest: stations::NearestCache::default(),
            station_types: crate::app::cache::TtlCache::new(std::time::Duration::from_secs(60), 1),
            find_options: crate::app::cache::TtlCache::new(std::time::Duration::from_secs(300), 1024),
        }
    }
}

impl Cache {
    pub async fn station_types(
        &self,
        db: &sea_orm::DatabaseConnection,
    ) -> Result<std::sync::Arc<Vec<stations::StationType>>, sea_orm::DbErr> {
        self.station_types.get_or_load((), || stations::types(db)).await
    }
}

/// This node's registry cache.
pub fn cache(s: &crate::app::state::AppState) -> std::sync::Arc<Cache> {
    s.ext.get_or_default::<Cache>()
}
