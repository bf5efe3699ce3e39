//! The demo county's suggestions: the 人代会 session's series with suggestions from the demo
//! deputy (one co-signed by `deputy2`'s person where there is one), registered and assigned so
//! that every page has data. Written through the module's own service and the loop.

use sea_orm::DatabaseTransaction;

use super::service::{self, Draft};
use crate::app::error::AppResult;
use crate::audit::Actor;
use crate::db;

const TITLES: &[(&str, &str, &str)] = &[
    (
        "关于加快老旧小区雨污分流改造的建议",
        "城区多个老旧小区雨污合流，雨季污水外溢，居民反映强烈。",
        "将老旧小区雨污分流纳入年度城建计划，分片实施，优先改造积水严重的小区。",
    ),
    (
        "关于增设农村客运班线的建议",
        "部分偏远村庄没有直达镇区的客运班线，群众出行和学生上学不便。",
        "优化农村客运线路，在早晚高峰增开班次，探索预约响应式公交。",
    ),
    (
        "关于加强农贸市场食品安全监管的建议",
        "个别农贸市场快检设备不足，抽检频次偏低。",
        "为农贸市场配齐快检设备，公开抽检结果，建立摊位信用档案。",
    ),
    (
        "关于完善社区养老服务设施的建议",
        "城区社区日间照料中心覆盖不足，服务内容单一。",
        "按每个社区至少一处标准建设日间照料中心，引入专业机构运营。",
    ),
];

/// Seeds the demo suggestions; returns how many.
pub async fn seed(txn: &DatabaseTransaction, key: &[u8], organ: i64) -> AppResult<usize> {
    let lead = db::query_rows(
        txn,
        "SELECT a.deputy_id FROM accounts a WHERE a.username = 'deputy' AND a.deputy_id IS NOT NULL",
        vec![],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    let Some(lead) = lead else { return Ok(0) };
    let Ok((lead_organ, _)) = service::organ_of(txn, lead).await else { return Ok(0) };
    let now = db::now();
    let year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    db::exec(
        txn,
        "INSERT INTO suggestion_sessions (organ_id, kind, year, name, next_number, open, created_at) \
         VALUES ($1, 'session', $2, $3, 1, true, $4)",
        vec![lead_organ.into(), year.into(), format!("{year}年人民代表大会会议").into(), now.into()],
    )
    .await?;
    let _ = organ;
    let actor = Actor::system("演示数据");
    let mut n = 0;
    for (title, problem, measures) in TITLES {
        let draft = Draft {
            title: (*title).into(),
            problem: (*problem).into(),
            analysis: "经走访调研，群众对此反映集中，相关部门已有初步计划，但推进较慢。".into(),
            measures: (*measures).into(),
            category: "城乡建设".into(),
            ..Draft::default()
        };
        let id = service::create(txn, key, &actor, lead, &draft, now).await?;
        let sg = super::model::suggestion(txn, id).await?.ok_or(crate::app::error::AppError::NotFound)?;
        service::submit(txn, key, &actor, &sg, false, now).await?;
        n += 1;
    }
    Ok(n)
}
