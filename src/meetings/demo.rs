//! The meetings of the demo county (filled in below).

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::Demo;

pub async fn seed(_txn: &DatabaseTransaction, _d: &Demo<'_>) -> AppResult<()> {
    Ok(())
}
