//! OPN-2: the category taxonomy of opinions, configurable per installation
//! (`opinion_categories`: a stable ASCII code — the Open311 `service_code` — a unique name, a
//! display order, and whether it is still offered). Seeded with the default taxonomy; opinions
//! keep the category's name, so a retired category stays on the opinions filed under it.

use sea_orm_migration::prelude::*;

use super::schema::{boolean, id, index, int, table, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_opinion_categories"
    }
}

/// The default taxonomy (the same list as `opinions::model::DEFAULT_CATEGORIES`, kept here so a
/// migration never changes when the code does).
const SEED: [(&str, &str); 11] = [
    ("urban_rural", "城乡建设"),
    ("environment", "环境保护"),
    ("transport", "交通运输"),
    ("education_culture", "教育文体"),
    ("labour_social_security", "劳动和社会保障"),
    ("health", "卫生健康"),
    ("agriculture_rural", "农业农村"),
    ("commerce_tourism", "商贸旅游"),
    ("social_governance", "社会治理"),
    ("business_environment", "营商环境"),
    ("other", "其他"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "opinion_categories",
            vec![id("id"), text("code"), text("name"), int("sort"), boolean("active", true), int("created_at")],
        ))
        .await?;
        m.create_index(index("opinion_categories", "ux_opinion_categories_code", &["code"], true)).await?;
        m.create_index(index("opinion_categories", "ux_opinion_categories_name", &["name"], true)).await?;
        let mut insert = Query::insert();
        insert.into_table(Alias::new("opinion_categories")).columns([
            Alias::new("code"),
            Alias::new("name"),
            Alias::new("sort"),
            Alias::new("active"),
            Alias::new("created_at"),
        ]);
        for (i, (code, name)) in SEED.iter().enumerate() {
            insert.values_panic([
                (*code).into(),
                (*name).into(),
                ((i as i64 + 1) * 10).into(),
                true.into(),
                0i64.into(),
            ]);
        }
        m.exec_stmt(insert).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("opinion_categories")).if_exists().to_owned()).await
    }
}
