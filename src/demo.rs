//! Demo data: a real county (诸城市, Shandong) with its 13 townships and streets, the upper
//! congresses registered as external organs, handling units, and one account per role.
//! Area codes and coordinates are the public 2023 administrative division data.

use sea_orm::DatabaseConnection;

use crate::app::config::PasswordCost;
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::auth::{Role, accounts};
use crate::db;
use crate::org::{self, AreaInput, OrganInput};
use crate::privacy::FieldCrypto;

pub const DEFAULT_PASSWORD: &str = "renda2026";

/// (code, name, short name, lat, lng) of the county's townships and streets.
pub(crate) const TOWNSHIPS: [(&str, &str, f64, f64); 13] = [
    ("370782001", "密州街道", 35.965862, 119.514773),
    ("370782002", "龙都街道", 35.964984, 119.341154),
    ("370782003", "舜王街道", 36.112205, 119.409567),
    ("370782101", "枳沟镇", 35.916855, 119.227693),
    ("370782102", "贾悦镇", 36.025319, 119.190771),
    ("370782105", "石桥子镇", 36.156829, 119.272473),
    ("370782108", "相州镇", 36.160491, 119.42039),
    ("370782110", "昌城镇", 36.090484, 119.465927),
    ("370782111", "百尺河镇", 36.115505, 119.543856),
    ("370782112", "辛兴镇", 36.04957, 119.557807),
    ("370782114", "林家村镇", 35.994813, 119.65418),
    ("370782117", "皇华镇", 35.887916, 119.462255),
    ("370782118", "桃林镇", 35.800107, 119.53762),
];

/// Villages and communities (村、社区): each township gets six, taken in turn from this list, so
/// that the demo's opinions name places the area data holds.
const COMMUNITIES: [&str; 20] = [
    "东关村",
    "西岭村",
    "南湖社区",
    "北辛庄村",
    "大王家村",
    "后疃村",
    "前店子村",
    "石河头村",
    "张家庄村",
    "柳沟村",
    "东风社区",
    "河崖村",
    "于家庄村",
    "岳家庄村",
    "孟家村",
    "新华社区",
    "马庄村",
    "常山村",
    "卢山村",
    "小店村",
];

const UNITS: [(&str, &str); 22] = [
    ("诸城市教育和体育局", "government"),
    ("诸城市卫生健康局", "government"),
    ("诸城市住房和城乡建设局", "government"),
    ("诸城市交通运输局", "government"),
    ("诸城市农业农村局", "government"),
    ("诸城市水利局", "government"),
    ("潍坊市生态环境局诸城分局", "government"),
    ("诸城市自然资源和规划局", "government"),
    ("诸城市人力资源和社会保障局", "government"),
    ("诸城市民政局", "government"),
    ("诸城市财政局", "government"),
    ("诸城市市场监督管理局", "government"),
    ("诸城市公安局", "government"),
    ("诸城市综合行政执法局", "government"),
    ("诸城市文化和旅游局", "government"),
    ("诸城市商务局", "government"),
    ("诸城市应急管理局", "government"),
    ("诸城市医疗保障局", "government"),
    ("诸城市退役军人事务局", "government"),
    ("诸城市供电公司", "enterprise"),
    ("诸城市人民法院", "court"),
    ("诸城市人民检察院", "procuratorate"),
];

pub struct DemoAccount {
    pub username: &'static str,
    pub role: Role,
    pub display_name: &'static str,
}

pub const ACCOUNTS: [DemoAccount; 8] = [
    DemoAccount { username: "admin", role: Role::Admin, display_name: "王建国" },
    DemoAccount { username: "staff", role: Role::Staff, display_name: "李晓梅" },
    DemoAccount { username: "leader", role: Role::Leader, display_name: "张立华" },
    DemoAccount { username: "deputy", role: Role::Deputy, display_name: "刘春燕" },
    DemoAccount { username: "unit", role: Role::Unit, display_name: "陈志强" },
    DemoAccount { username: "keeper", role: Role::Keeper, display_name: "赵桂芳" },
    // A second deputy of the same congress, to co-sign the first one's suggestions.
    DemoAccount { username: "deputy2", role: Role::Deputy, display_name: "孙立新" },
    // A deputy who is a member of the 常委会 (a 委员 in the registry): votes in its 测评 (SUG-10).
    DemoAccount { username: "changwei", role: Role::Deputy, display_name: "周振华" },
];

/// True when the database already holds an organ of its own (demo data or real data).
pub async fn has_data(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(db::scalar_i64(db, "SELECT count(*) FROM organs WHERE external = $1", vec![false.into()]).await? > 0)
}

/// Fills an empty database in one transaction: all of it or nothing.
pub async fn seed(
    writer: &crate::db::writer::Writer,
    audit_key: &[u8],
    crypto: &FieldCrypto,
    cost: PasswordCost,
    password: &str,
) -> Result<(), AppError> {
    let actor = Actor::system("demo");
    writer
        .run(async |txn| {
        let area = |code: &str, name: &str, level: &str, parent: Option<i64>, ll: Option<(f64, f64)>| AreaInput {
            code: code.into(),
            name: name.into(),
            level: level.into(),
            parent_id: parent,
            lat: ll.map(|p| p.0),
            lng: ll.map(|p| p.1),
        };
        let province = org::create_area(txn, audit_key, &actor, &area("370000", "山东省", "province", None, None)).await?;
        let city =
            org::create_area(txn, audit_key, &actor, &area("370700", "潍坊市", "city", Some(province), None)).await?;
        let county = org::create_area(
            txn,
            audit_key,
            &actor,
            &area("370782", "诸城市", "county", Some(city), Some((35.995654, 119.410103))),
        )
        .await?;
        let national =
            org::create_area(txn, audit_key, &actor, &area("100000", "中华人民共和国", "province", None, None)).await?;

        let organ = |code: &str,
                     name: &str,
                     short: &str,
                     area_id: i64,
                     parent: Option<i64>,
                     kind: &str,
                     level: &str,
                     external: bool,
                     phone: &str| OrganInput {
            code: code.into(),
            name: name.into(),
            short_name: short.into(),
            area_id,
            parent_id: parent,
            kind: kind.into(),
            level: level.into(),
            external,
            phone: phone.into(),
        };
        let root = org::create_organ(
            txn,
            audit_key,
            &actor,
            &organ(
                "370782",
                "诸城市人民代表大会常务委员会",
                "诸城市人大常委会",
                county,
                None,
                "standing_committee",
                "county",
                false,
                "0536-6062114",
            ),
        )
        .await?;
        for (i, (code, name, lat, lng)) in TOWNSHIPS.into_iter().enumerate() {
            let area_id = org::create_area(
                txn,
                audit_key,
                &actor,
                &area(&format!("{code}000"), name, "township", Some(county), Some((lat, lng))),
            )
            .await?;
            for k in 0..6 {
                let village = COMMUNITIES[(i * 3 + k) % COMMUNITIES.len()];
                let input = area(&format!("{code}{:03}", 201 + k), village, "community", Some(area_id), None);
                org::create_area(txn, audit_key, &actor, &input).await?;
            }
            let (full, short, kind) = if name.ends_with("街道") {
                (format!("诸城市{name}人大工作委员会"), format!("{name}人大工委"), "street_working_committee")
            } else {
                (format!("诸城市{name}人民代表大会主席团"), format!("{name}人大主席团"), "township_presidium")
            };
            org::create_organ(
                txn,
                audit_key,
                &actor,
                &organ(code, &full, &short, area_id, Some(root), kind, "township", false, ""),
            )
            .await?;
        }
        // The upper congresses, registered only so that mandates can point at them.
        for (code, name, short, area_id, level) in [
            ("370700", "潍坊市人民代表大会常务委员会", "潍坊市人大常委会", city, "city"),
            ("370000", "山东省人民代表大会常务委员会", "山东省人大常委会", province, "provincial"),
            ("100000", "全国人民代表大会常务委员会", "全国人大常委会", national, "national"),
        ] {
            let input = organ(code, name, short, area_id, None, "standing_committee", level, true, "");
            org::create_organ(txn, audit_key, &actor, &input).await?;
        }

        let mut first_unit = None;
        for (name, kind) in UNITS {
            let input = org::units::UnitInput { name: name.into(), kind: kind.into(), active: true };
            let id = org::units::create_unit(txn, audit_key, &actor, root, &input).await?;
            first_unit.get_or_insert(id);
        }
        let seeded = crate::registry::demo::seed(txn, audit_key, crypto, &actor, root, &TOWNSHIPS).await?;
        let keeper_organ = org::organ_by_code(txn, "370782001").await?.map(|o| o.id).unwrap_or(root);
        let second_deputy = crate::db::query_rows(
            txn,
            "SELECT m2.person_id FROM mandates m1 JOIN mandates m2 ON m2.organ_id = m1.organ_id AND m2.status = 'serving' \
             AND m2.person_id <> m1.person_id JOIN organs o ON o.id = m1.organ_id WHERE m1.person_id = $1 AND m1.status = 'serving' \
             ORDER BY length(o.path) DESC, m2.person_id LIMIT 1",
            vec![seeded.deputy_person.into()],
        )
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok());
        let root_path = org::organ(txn, root).await?.map(|o| o.path).unwrap_or_default();
        let standing_member =
            crate::registry::structure::standing_members(txn, &root_path).await?.last().map(|m| m.person_id);
        for (i, a) in ACCOUNTS.iter().enumerate() {
            let deputy = match a.username {
                "deputy2" => second_deputy,
                "changwei" => standing_member,
                _ => Some(seeded.deputy_person),
            };
            let input = accounts::NewAccount {
                username: a.username.into(),
                display_name: a.display_name.into(),
                password: password.into(),
                organ_id: if a.role == Role::Keeper { keeper_organ } else { root },
                roles: vec![a.role],
                phone: Some(format!("1380536{:04}", 1001 + i)),
                unit_id: if a.role == Role::Unit { first_unit } else { None },
                deputy_id: if a.role == Role::Deputy { deputy } else { None },
                station_id: if a.role == Role::Keeper { Some(seeded.keeper_station) } else { None },
            };
            let id = accounts::create(txn, audit_key, crypto, cost, &actor, &input).await?;
            if a.role == Role::Keeper {
                crate::registry::stations::add_keeper(txn, audit_key, &actor, seeded.keeper_station, id).await?;
            }
            if let (Role::Unit, Some(unit)) = (a.role, first_unit) {
                let contact = org::units::ContactInput {
                    name: a.display_name.into(),
                    phone: format!("1380536{:04}", 1001 + i),
                    account_id: Some(id),
                };
                org::units::add_contact(txn, audit_key, crypto, &actor, unit, &contact).await?;
            }
            crate::notify::inbox(
                txn,
                id,
                "欢迎使用数字人大",
                &format!(
                    "您好，{}。这是演示环境，您的角色是“{}”。「菜单」里列出了您可以使用的功能。",
                    a.display_name,
                    a.role.label()
                ),
                Some("/console"),
            )
            .await?;
        }
        // The other members of this term's 常委会 sign in too (会议表决, issue 19): cw01 … cw10, the
        // order of the registry's list; changwei is the last member.
        let members = crate::registry::structure::standing_members(txn, &root_path).await?;
        for (k, m) in members.iter().filter(|m| Some(m.person_id) != standing_member).enumerate() {
            let input = accounts::NewAccount {
                username: format!("cw{:02}", k + 1),
                display_name: m.name.clone(),
                password: password.into(),
                organ_id: root,
                roles: vec![Role::Deputy],
                phone: None,
                unit_id: None,
                deputy_id: Some(m.person_id),
                station_id: None,
            };
            accounts::create(txn, audit_key, crypto, cost, &actor, &input).await?;
        }
        // Each module's part (`Module::demo`), in the order of the modules.
        let demo = crate::app::state::Demo { key: audit_key, crypto, organ: root, keeper_station: seeded.keeper_station };
        for seed in crate::modules::state_modules().demo_seeds() {
            seed(txn, &demo).await.map_err(|e| sea_orm::DbErr::Custom(e.detail()))?;
        }
        Ok::<_, AppError>(())
        })
        .await
}
