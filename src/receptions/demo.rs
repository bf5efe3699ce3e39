//! Demo receptions: a dozen over the last months at the demo county's stations that have at
//! least two deputies, each with its issues (entered as opinions through the intake), the
//! countermeasures and time-limited feedback of the "321" lists, most promises kept and a
//! few overdue — written through the service with the clock set back to the day.

use sea_orm::ConnectionTrait;

use super::model::Reception;
use super::service::{self, Entry, Fulfilment, NewItem, NewReception};
use crate::app::error::{AppError, AppResult};
use crate::audit::Actor;
use crate::db;
use crate::privacy::FieldCrypto;

const THEMES: [&str; 6] = [
    "人居环境整治专题接待",
    "企业服务“会客厅”",
    "养老服务和民生实事",
    "农村道路和出行",
    "营商环境座谈",
    "平安建设和矛盾化解",
];

const ATTENDEES: [&str; 6] = [
    "镇住建办负责人、村党支部书记",
    "镇经发办负责人、辖区企业代表3人",
    "镇民政办负责人、社区卫生服务中心负责人",
    "市交通运输局农村公路科负责人",
    "市市场监管局、市行政审批服务局相关科室负责人",
    "镇派出所、司法所负责人",
];

const ISSUES: [&str; 12] = [
    "村西头垃圾收集点清运不及时，夏天异味大，希望增加清运次数。",
    "工业园区路灯晚上经常不亮，企业职工下夜班出行不安全。",
    "企业用工难，希望组织一场面向周边村庄的专场招聘会。",
    "老年食堂只在中午开放，希望增加晚餐供应。",
    "村里到镇上的道路坑洼较多，雨天积水严重，希望尽快修补。",
    "小学门口上下学时段车辆乱停，存在安全隐患。",
    "企业办理环评手续时间长，希望提供上门指导服务。",
    "农村宅基地纠纷调解周期长，群众希望有固定的调解时间。",
    "社区卫生室药品种类少，慢性病患者经常要跑到城区拿药。",
    "集市占道经营影响通行，希望划定摊位区域。",
    "村里自来水水压低，高处住户早晚用水困难。",
    "河道护栏有损坏，孩子在河边玩耍存在溺水风险。",
];

const COUNTERMEASURES: [&str; 6] = [
    "由镇住建办牵头，会同环卫公司调整清运线路，夏季每日清运两次。",
    "由镇经发办协调供电公司对园区路灯线路进行检修。",
    "由镇人社所联合辖区企业于下月举办专场招聘会。",
    "由镇民政办研究老年食堂延时供餐方案，先在中心村试点。",
    "由交通部门将该路段列入本年度农村公路养护计划。",
    "由派出所在上下学时段安排警力疏导，并施划临时停车位。",
];

const FEEDBACK: [&str; 6] = [
    "向反映群众反馈清运线路调整情况",
    "向园区企业反馈路灯检修结果",
    "向企业反馈招聘会举办时间和参会安排",
    "向老年人反馈延时供餐试点情况",
    "向村民反馈道路修补计划和工期",
    "向家长反馈校门口交通疏导措施",
];

fn day_ts(d: chrono::NaiveDate, hour: u32) -> i64 {
    // Beijing time of day as a Unix timestamp.
    d.and_hms_opt(hour, 0, 0).map(|t| t.and_utc().timestamp() - 8 * 3600).unwrap_or(0)
}

/// Seeds the demo receptions in the demo's transaction; returns how many were made.
pub async fn seed<C: ConnectionTrait>(c: &C, key: &[u8], crypto: &FieldCrypto) -> AppResult<usize> {
    let actor = Actor::system("demo");
    let rows = db::query_rows(
        c,
        "SELECT station_id FROM station_deputies GROUP BY station_id HAVING count(*) >= 2 ORDER BY station_id LIMIT 6",
        vec![],
    )
    .await?;
    let stations: Vec<i64> = rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect();
    if stations.is_empty() {
        return Ok(0);
    }
    let today = crate::calendar::beijing_date(db::now());
    let lexicon = crate::opinions::lexicon::load(c).await?;
    let mut made = 0;
    for i in 0..12usize {
        let station_id = stations[i % stations.len()];
        let deputies: Vec<i64> =
            crate::registry::stations::deputies(c, station_id).await?.iter().take(2 + i % 2).map(|d| d.id).collect();
        let held = today - chrono::Duration::days((i as i64) * 8 + 2);
        let now = day_ts(held, 10);
        let entry = Entry { entered_by: None, client: "demo", now, lexicon: &lexicon };
        let issues = vec![ISSUES[i % ISSUES.len()].to_string(), ISSUES[(i + 5) % ISSUES.len()].to_string()];
        let input = NewReception {
            station_id,
            held_on: held.format("%Y-%m-%d").to_string(),
            theme: THEMES[i % THEMES.len()].into(),
            attendees: ATTENDEES[i % ATTENDEES.len()].into(),
            deputies,
            issues,
        };
        let created = service::create(c, key, crypto, &actor, 2, &input, &entry).await?;
        let r: Reception = super::model::reception(c, created.id).await?.ok_or(AppError::NotFound)?;
        let add = |kind: &str, body: &str, promised: String| NewItem {
            kind: kind.into(),
            body: body.into(),
            promised_on: promised,
        };
        service::add_item(
            c,
            key,
            crypto,
            &actor,
            &r,
            &add("countermeasure", COUNTERMEASURES[i % 6], String::new()),
            &entry,
        )
        .await?;
        let promised = held + chrono::Duration::days(10 + (i as i64 % 3) * 5);
        let feedback = service::add_item(
            c,
            key,
            crypto,
            &actor,
            &r,
            &add("feedback", FEEDBACK[i % 6], promised.format("%Y-%m-%d").to_string()),
            &entry,
        )
        .await?;
        // Most promises are kept on time; every fourth one past its date is still open.
        if promised < today && i % 4 != 3 {
            let done = promised - chrono::Duration::days(1);
            let f = Fulfilment {
                fulfilled_on: done.format("%Y-%m-%d").to_string(), note: "已当面向群众反馈".into()
            };
            service::fulfil(c, key, &actor, &r, feedback, &f, day_ts(done, 16)).await?;
        }
        made += 1;
    }
    Ok(made)
}
