//! The demo county's suggestions: one 人代会 session's series of about 130 suggestions and two
//! 议案, from the county's deputies (the demo deputy leads some, `deputy2` co-signs some), in
//! every state — drafts, co-signing, submitted, under review, registered, assigned, at work
//! (some overdue, some 重点 with their leader), replied A/B/C with both ratings, in 二次办理 after
//! a lead's 不满意, followed (B) and carried over from last year, closed. Everything is written
//! through the module's service and the loop's `apply`, as people would; times are moved back
//! so that deadlines fall where a county would see them.

use sea_orm::DatabaseTransaction;

use super::model::Kind;
use super::policy_with;
use super::service::{self, Draft};
use crate::app::error::{AppError, AppResult};
use crate::audit::Actor;
use crate::db;
use crate::handling::flow::{Aspect, Grade, Outcome, Party, Phase, UnitRole};
use crate::handling::model::Rater;
use crate::handling::service::{self as loop_service, Command, Ctx, Doer};
use crate::privacy::FieldCrypto;

const DAY: i64 = 86_400;

/// (topic, problem, measures): what county deputies write about, one line each.
const TOPICS: &[(&str, &str, &str)] = &[
    (
        "老旧小区雨污分流改造",
        "老旧小区雨污合流，雨季污水外溢，居民反映强烈。",
        "纳入年度城建计划，分片实施，优先改造积水严重的小区。",
    ),
    (
        "农村客运班线",
        "偏远村庄没有直达镇区的客运班线，群众出行和学生上学不便。",
        "优化农村客运线路，早晚高峰增开班次，探索预约响应式公交。",
    ),
    (
        "农贸市场食品安全快检",
        "部分农贸市场快检设备不足，抽检频次偏低。",
        "配齐快检设备，公开抽检结果，建立摊位信用档案。",
    ),
    (
        "社区养老服务设施",
        "社区日间照料中心覆盖不足，服务内容单一。",
        "每个社区至少建一处日间照料中心，引入专业机构运营。",
    ),
    (
        "中小学周边交通安全",
        "学校门口上下学时段车辆乱停，学生过马路危险。",
        "设置护学岗和临时停车区，增设减速带和信号灯。",
    ),
    (
        "农村饮水安全",
        "部分村庄自来水水压不足，夏季高峰时段断水。",
        "实施供水管网改造，建设加压泵站，建立水质定期检测公示制度。",
    ),
    (
        "城区停车设施建设",
        "医院、学校周边停车难，车辆占道停放。",
        "编制停车专项规划，利用边角地建设立体停车场，推行错时共享。",
    ),
    (
        "基层医疗卫生服务能力",
        "镇卫生院全科医生不足，群众看病仍往城里跑。",
        "定向培养全科医生，推行县镇村一体化管理，落实医共体建设。",
    ),
    ("农村生活垃圾分类", "农村垃圾分类设施不全，转运不及时。", "配齐分类收集设施，完善村收集、镇转运、县处理体系。"),
    ("高标准农田建设", "部分农田水利设施老化，灌溉保障能力弱。", "统筹资金推进高标准农田建设，明确建后管护责任。"),
    ("背街小巷路灯照明", "背街小巷路灯缺失损坏，夜间出行不安全。", "开展路灯排查，补装修复，建立报修快速响应机制。"),
    ("电动自行车充电设施", "小区电动车飞线充电、楼道充电隐患大。", "在小区规划建设集中充电棚，纳入老旧小区改造内容。"),
    ("乡村文化活动场所", "部分村文化广场设施简陋，利用率不高。", "完善文体设施，定期组织送戏下乡和群众文化活动。"),
    (
        "河道综合治理",
        "部分河段淤积、垃圾漂浮，汛期行洪能力下降。",
        "落实河长制，开展清淤疏浚和岸线整治，建立长效管护机制。",
    ),
    (
        "义务教育阶段课后服务",
        "课后服务内容单一，家长接孩子时间冲突。",
        "丰富课后服务项目，引入社会资源，延长服务时间。",
    ),
    ("农产品冷链物流", "农产品缺少冷藏保鲜设施，损耗大、卖价低。", "在主要产区建设产地冷藏保鲜设施，发展冷链物流。"),
];

/// The steps a demo suggestion is taken through (cumulative).
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Upto {
    Draft,
    Cosigning,
    Submitted,
    Registered,
    Assigned,
    Working,
    Replied,
    Rehandling,
    Following,
    Closed,
}

/// Seeds the demo suggestions; returns how many.
pub async fn seed(txn: &DatabaseTransaction, key: &[u8], _organ: i64) -> AppResult<usize> {
    let person = |name: &'static str| async move {
        db::query_rows(
            txn,
            "SELECT deputy_id FROM accounts WHERE username = $1 AND deputy_id IS NOT NULL",
            vec![name.into()],
        )
        .await
        .map(|r| r.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()))
    };
    let Some(deputy) = person("deputy").await? else { return Ok(0) };
    let deputy2 = person("deputy2").await?;
    let Ok((organ, _)) = service::organ_of(txn, deputy).await else { return Ok(0) };
    let colleagues: Vec<i64> = db::query_rows(
        txn,
        "SELECT person_id FROM mandates WHERE organ_id = $1 AND status = 'serving' ORDER BY person_id LIMIT 40",
        vec![organ.into()],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    // Deputies who write to this congress (not those who also sit in a township's, whose
    // suggestions go there).
    let mut colleagues = colleagues;
    let mut kept = Vec::new();
    for c in colleagues.drain(..) {
        if service::organ_of(txn, c).await.is_ok_and(|(o, _)| o == organ) {
            kept.push(c);
        }
    }
    let colleagues = kept;
    let units: Vec<i64> = db::query_rows(
        txn,
        "SELECT u.id FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.active = true \
         AND (SELECT path FROM organs WHERE id = $1) LIKE o.path || '%' ORDER BY u.id LIMIT 12",
        vec![organ.into()],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    if colleagues.len() < 3 || units.len() < 3 {
        return Ok(0);
    }
    let now = db::now();
    let year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    db::insert_id(
        txn,
        "INSERT INTO suggestion_sessions (organ_id, kind, year, name, next_number, open, created_at) \
         VALUES ($1, 'session', $2, $3, 1, true, $4)",
        vec![organ.into(), year.into(), format!("{year}年人民代表大会会议").into(), (now - 300 * DAY).into()],
    )
    .await?;
    let places: Vec<String> =
        // The townships' own names (密州街道), not their organs' (…人大工作委员会).
        db::query_rows(
            txn,
            "SELECT a.name FROM organs o JOIN areas a ON a.id = o.area_id WHERE o.parent_id = $1 ORDER BY o.id LIMIT 13",
            vec![organ.into()],
        )
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
    let actor = Actor::system("演示数据");
    let calendar = crate::calendar::load(txn).await?;
    let policy = policy_with(false, 10);
    // The plan: how far each goes (130 suggestions, the oldest furthest), cycled over the
    // topics and places.
    let plan: Vec<Upto> = [
        (Upto::Closed, 20),
        (Upto::Following, 12),
        (Upto::Rehandling, 8),
        (Upto::Replied, 20),
        (Upto::Working, 22),
        (Upto::Assigned, 14),
        (Upto::Registered, 12),
        (Upto::Submitted, 10),
        (Upto::Cosigning, 6),
        (Upto::Draft, 6),
    ]
    .iter()
    .flat_map(|(u, n)| std::iter::repeat_n(*u, *n))
    .collect();
    let mut made = 0;
    for (i, upto) in plan.iter().copied().enumerate() {
        let (topic, problem, measures) = TOPICS[i % TOPICS.len()];
        let place = places.get(i % places.len().max(1)).cloned().unwrap_or_default();
        // The demo deputy leads every fifth; deputy2 co-signs every third.
        let lead = if i % 5 == 0 { deputy } else { colleagues[i % colleagues.len()] };
        let mut cosigners = vec![colleagues[(i + 7) % colleagues.len()]];
        if let Some(d2) = deputy2.filter(|_| i % 3 == 0) {
            cosigners.push(d2);
        }
        cosigners.retain(|c| *c != lead);
        // Older ones were written earlier in the year: deadlines of some have passed.
        let age = 200 - (i as i64 * 3 / 2).min(190);
        let t0 = now - age * DAY;
        let draft = Draft {
            kind: Some(Kind::Suggestion),
            title: format!("关于{place}{topic}的建议"),
            problem: format!("{problem}经走访{place}群众，反映较为集中。"),
            analysis: "主要原因是投入不足、规划滞后，部门之间协调不够，相关工作推进较慢。".into(),
            measures: (*measures).into(),
            category: ["城乡建设", "社会事业", "农业农村", "交通运输"][i % 4].into(),
            cosigner_ids: if upto == Upto::Draft { Vec::new() } else { cosigners.clone() },
            ..Draft::default()
        };
        let id = service::create(txn, key, &actor, lead, &draft, t0).await?;
        made += 1;
        if upto <= Upto::Cosigning {
            continue;
        }
        for c in &cosigners {
            db::exec(
                txn,
                "UPDATE suggestion_cosigners SET confirmed_at = $1 WHERE suggestion_id = $2 AND person_id = $3",
                vec![(t0 + DAY).into(), id.into(), (*c).into()],
            )
            .await?;
        }
        let sg = super::model::suggestion(txn, id).await?.ok_or(AppError::NotFound)?;
        service::submit(txn, key, &actor, &sg, false, t0 + 2 * DAY).await?;
        if upto == Upto::Submitted {
            continue;
        }
        let sg = super::model::suggestion(txn, id).await?.ok_or(AppError::NotFound)?;
        let item = service::register(txn, key, &actor, &sg, t0 + 3 * DAY).await?;
        if i % 9 == 0 {
            service::set_key(txn, key, &actor, &sg, true, "常委会副主任 王志刚", t0 + 3 * DAY).await?;
        }
        if upto == Upto::Registered {
            continue;
        }
        let lead_unit = units[i % units.len()];
        let assist = units[(i + 1) % units.len()];
        let mut at = t0 + 5 * DAY;
        let staff = Doer { party: Party::Staff, unit_id: None, deputy: None, actor: &actor };
        let unit = Doer { party: Party::Unit, unit_id: Some(lead_unit), deputy: None, actor: &actor };
        let helper = Doer { party: Party::Unit, unit_id: Some(assist), deputy: None, actor: &actor };
        let lead_deputy = Doer { party: Party::Deputy, unit_id: None, deputy: Some(lead), actor: &actor };
        let step = async |doer: &Doer<'_>, at: i64, cmd: Command| {
            let ctx = Ctx { key, calendar: &calendar, policy: &policy, now: at };
            loop_service::apply(txn, &ctx, item, doer, cmd).await
        };
        let roles = if i % 2 == 0 {
            vec![(lead_unit, UnitRole::Lead), (assist, UnitRole::Assist)]
        } else {
            vec![(lead_unit, UnitRole::Lead)]
        };
        step(
            &staff,
            at,
            Command::Assign {
                units: roles.clone(),
                due_working_days: None,
                instructions: "请按期办理，答复前与代表当面沟通".into(),
            },
        )
        .await?;
        if upto == Upto::Assigned {
            continue;
        }
        at += 3 * DAY;
        step(&unit, at, Command::Accept).await?;
        if roles.len() > 1 {
            step(&helper, at, Command::Accept).await?;
            step(
                &helper,
                at + 10 * DAY,
                Command::AssistOpinion {
                    text: "我单位将在职责范围内配合，提供相关数据和项目安排。".into()
                },
            )
            .await?;
        }
        step(
            &unit,
            at + 12 * DAY,
            Command::Contact {
                way: crate::handling::flow::ContactWay::Meeting,
                on: None,
                text: "与领衔代表面商办理方案，听取意见。".into(),
            },
        )
        .await?;
        let progress = |phase: Phase, text: &str| Command::Progress { text: text.into(), phase: Some(phase) };
        let plan = "制定办理方案：成立专班，明确分管领导和责任科室，三个月内分步落实。";
        step(&unit, at + 13 * DAY, progress(Phase::Plan, plan)).await?;
        if upto == Upto::Working {
            continue;
        }
        let measures = "已完成现场勘查和项目立项，落实专项资金，施工单位进场。";
        step(&unit, at + 25 * DAY, progress(Phase::Measures, measures)).await?;
        at += 40 * DAY;
        if upto == Upto::Closed || (upto != Upto::Following && i % 3 == 0) {
            let results = "项目已完工并通过验收，代表和群众反映的问题得到解决。";
            step(&unit, at - DAY, progress(Phase::Results, results)).await?;
        }
        let class = match (upto, i % 3) {
            (Upto::Following, _) => Outcome::InProgress,
            (Upto::Closed, _) | (_, 0) => Outcome::Resolved,
            (_, 1) => Outcome::InProgress,
            _ => Outcome::CannotResolve,
        };
        let reply = match class {
            Outcome::Resolved => {
                "经研究，已将该事项列入今年重点工作并完成，具体情况如下：项目已实施完毕，群众反映的问题基本解决。"
            }
            Outcome::CannotResolve => {
                "经研究，受资金和用地条件限制，近期难以实施，我们将积极争取上级支持，条件成熟时推进。"
            }
            _ => "经研究，已列入明年计划，分两期实施，目前正在开展前期工作，我们将及时向代表通报进展。",
        };
        step(&unit, at, Command::Reply { outcome: class, text: reply.into() }).await?;
        if upto == Upto::Replied {
            if i % 2 == 0 {
                for aspect in [Aspect::Reply, Aspect::Result] {
                    step(
                        &lead_deputy,
                        at + 5 * DAY,
                        Command::Rate {
                            rater: Rater::Deputy,
                            grade: Grade::Satisfied,
                            comment: String::new(),
                            aspect,
                            unit_id: Some(lead_unit),
                        },
                    )
                    .await?;
                }
            }
            continue;
        }
        at += 5 * DAY;
        match upto {
            Upto::Rehandling => {
                step(
                    &lead_deputy,
                    at,
                    Command::Rate {
                        rater: Rater::Deputy,
                        grade: Grade::Satisfied,
                        comment: String::new(),
                        aspect: Aspect::Reply,
                        unit_id: Some(lead_unit),
                    },
                )
                .await?;
                step(
                    &lead_deputy,
                    at,
                    Command::Rate {
                        rater: Rater::Deputy,
                        grade: Grade::Unsatisfied,
                        comment: "实际问题没有解决，答复以计划代替办理。".into(),
                        aspect: Aspect::Result,
                        unit_id: Some(lead_unit),
                    },
                )
                .await?;
            }
            Upto::Following => {
                step(
                    &staff,
                    at,
                    Command::Follow {
                        reason: "答复为B类，列入计划解决，跟踪办理至解决。".into(), due: None
                    },
                )
                .await?;
                if i % 2 == 0 {
                    // Last year's, carried over into this year's list.
                    db::exec(
                        txn,
                        "UPDATE suggestions SET year = $1, carried_from_year = $2 WHERE id = $3",
                        vec![year.into(), (year - 1).into(), id.into()],
                    )
                    .await?;
                }
            }
            _ => {
                for aspect in [Aspect::Reply, Aspect::Result] {
                    step(
                        &lead_deputy,
                        at,
                        Command::Rate {
                            rater: Rater::Deputy,
                            grade: if i % 4 == 0 { Grade::BasicallySatisfied } else { Grade::Satisfied },
                            comment: String::new(),
                            aspect,
                            unit_id: Some(lead_unit),
                        },
                    )
                    .await?;
                }
                step(&staff, at + DAY, Command::Close { explanation: "代表满意，办结。".into() }).await?;
            }
        }
    }
    // Two 议案 before the presidium.
    for (title, measures) in [
        ("关于制定《城市停车管理条例》的议案", "建议制定地方性法规，明确停车设施规划、建设、收费和执法职责。"),
        ("关于制定《农村生活垃圾治理条例》的议案", "建议以地方立法明确收运处置责任、经费保障和村民参与机制。"),
    ] {
        let draft = Draft {
            kind: Some(Kind::Bill),
            title: title.into(),
            problem: "相关管理缺少地方性法规依据，部门职责交叉，执法难度大。".into(),
            measures: measures.into(),
            category: "法制".into(),
            cosigner_ids: colleagues.iter().copied().filter(|c| *c != deputy).take(10).collect(),
            ..Draft::default()
        };
        let id = service::create(txn, key, &actor, deputy, &draft, now - 30 * DAY).await?;
        db::exec(
            txn,
            "UPDATE suggestion_cosigners SET confirmed_at = $1 WHERE suggestion_id = $2",
            vec![(now - 29 * DAY).into(), id.into()],
        )
        .await?;
        let sg = super::model::suggestion(txn, id).await?.ok_or(AppError::NotFound)?;
        service::submit(txn, key, &actor, &sg, false, now - 28 * DAY).await?;
        made += 1;
    }
    Ok(made)
}

/// The year-end 测评 (SUG-10): last year's closed and published (by every deputy of the
/// congress, on the units that handle this year's suggestions — the demo has no older ones),
/// and this year's open with some papers cast (the demo deputy's not yet).
pub async fn seed_evaluations(txn: &DatabaseTransaction, key: &[u8], crypto: &FieldCrypto) -> AppResult<()> {
    use super::evaluation::{self, Electorate, Opening};
    use crate::ballot::{model as ballots, service as ballot};
    let Some(deputy) = db::query_rows(txn, "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
    else {
        return Ok(());
    };
    let Ok((organ, _)) = service::organ_of(txn, deputy).await else { return Ok(()) };
    // The demo deputies' own papers are left for them to cast.
    let keep: Vec<i64> = db::query_rows(
        txn,
        "SELECT deputy_id FROM accounts WHERE deputy_id IS NOT NULL AND username IN ('deputy', 'deputy2', 'changwei')",
        vec![],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    let actor = Actor::system("演示数据");
    let now = db::now();
    let year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    let units = evaluation::units_of_year(txn, organ, year).await?;
    let electors = evaluation::electors(txn, organ, year, Electorate::All).await?;
    if units.is_empty() || electors.len() < 3 {
        return Ok(());
    }
    let grade = |e: usize, s: usize| match (e * 5 + s * 3) % 9 {
        0..=4 => "satisfied",
        5..=7 => "basically_satisfied",
        _ => "unsatisfied",
    };
    let cast_some = async |id: i64, share: usize| -> AppResult<()> {
        let b = ballots::ballot(txn, id).await?.ok_or(AppError::NotFound)?;
        let subjects = ballots::subjects(txn, id).await?;
        for (e, person) in electors.iter().enumerate().filter(|(_, p)| !keep.contains(p)) {
            if e * 10 >= electors.len() * share {
                break;
            }
            let votes: Vec<(i64, ballots::Mark)> = subjects
                .iter()
                .enumerate()
                .map(|(i, x)| (x.id, ballots::Mark::Option(grade(e, i + x.ref_id as usize).to_string())))
                .collect();
            ballot::cast(txn, key, crypto, &actor, &b, *person, &votes).await?;
        }
        Ok(())
    };
    let last = (year - 1).to_string();
    let title = format!("{} 年度代表建议办理满意度测评", year - 1);
    let subjects = evaluation::subjects(&units, true);
    let new = ballot::NewBallot {
        organ_id: organ,
        kind: evaluation::KIND,
        period: &last,
        title: &title,
        secret: true,
        options: &evaluation::options(),
        subjects: &subjects,
        electors: &electors,
        ..ballot::NewBallot::default()
    };
    let id = ballot::open(txn, key, &actor, &new, now - 340 * DAY).await?;
    cast_some(id, 8).await?;
    let b = ballots::ballot(txn, id).await?.ok_or(AppError::NotFound)?;
    ballot::close(txn, key, crypto, &actor, &b, None, now - 330 * DAY).await?;
    let b = ballots::ballot(txn, id).await?.ok_or(AppError::NotFound)?;
    ballot::publish(txn, key, &actor, &b, now - 329 * DAY).await?;
    let opening = Opening { year, electorate: Electorate::All, secret: true, aspects: false };
    let id = evaluation::open(txn, key, &actor, organ, &opening, now - 2 * DAY).await?;
    cast_some(id, 4).await
}
