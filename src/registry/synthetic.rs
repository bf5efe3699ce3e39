//! `renda gen`: synthetic registry data at national scale (PLAT-20).

use sea_orm::{DatabaseConnection, DbErr};

/// What `generate` wrote.
#[derive(Clone, Debug, Default)]
pub struct GenReport {
    pub persons: u64,
    pub mandates: u64,
    pub stations: u64,
}

/// Fills the database with `deputies` persons and `stations` stations (being written).
pub async fn generate(
    _db: &DatabaseConnection,
    _deputies: u64,
    _stations: u64,
    _progress: &(dyn Fn(String) + Sync),
) -> Result<GenReport, DbErr> {
    Err(DbErr::Custom("renda gen 尚未实现".into()))
}
