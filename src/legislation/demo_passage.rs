//! The demo's plans, projects, events and register (LEG-1, LEG-6, LEG-7), on real texts: the
//! 2023—2027 立法规划 and the 2026 年度立法计划 with their items; a project bank whose
//! projects come from the demo's two 议案, a department and a citizen's opinion; a 论证会 held
//! on the own draft (record, opinions disposed of) and a 听证会 open for registration with two
//! speakers; a city regulation (《江门市门楼号牌管理条例》, real text) through its three
//! readings, the vote, the province's approval and promulgation into the register with its
//! 配套制度 and a 法规解读; and an older regulation in force (《汕尾市农村建房条例》).

use sea_orm::DatabaseTransaction;

use super::comments::{self, Decision};
use super::events::{self, EventOpinion, NewEvent, Registration};
use super::model::{self, Draft};
use super::plans::{self, LawAction, NewItem, NewPlan, NewProject, NewStep};
use super::register::{self, NewInterpretation, NewReading, NewRegulation, NewRule};
use super::service::{self, NewDraft, NewVersion};
use crate::app::error::{AppError, AppResult};
use crate::app::state::Demo;
use crate::audit::Actor;
use crate::db;

const DAY: i64 = 86_400;

const JIANGMEN: &str = include_str!("demo_texts/jiangmen-menlou-2022.md");
const SHANWEI: &str = include_str!("demo_texts/shanwei-jianfang-2022.md");

fn date(t: i64) -> String {
    crate::calendar::beijing_date(t).format("%Y-%m-%d").to_string()
}

async fn one(txn: &DatabaseTransaction, sql: &str, values: Vec<sea_orm::Value>) -> AppResult<Option<i64>> {
    Ok(db::query_rows(txn, sql, values).await?.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()))
}

/// Everything of this file, after the drafts of `demo::seed` (`own`: the county's own draft).
pub async fn seed(txn: &DatabaseTransaction, d: &Demo<'_>, own: &Draft) -> AppResult<()> {
    let staff = Actor::system("演示数据");
    let now = db::now();
    let passed = passage(txn, d, &staff, now).await?;
    bank_and_plans(txn, d, &staff, (own, &passed), now).await?;
    hearing(txn, d, &staff, own, now).await?;
    Ok(())
}

/// The city regulation through its readings into the register, and an older one beside it.
async fn passage(txn: &DatabaseTransaction, d: &Demo<'_>, staff: &Actor, now: i64) -> AppResult<Draft> {
    let crypto = d.crypto;
    let t0 = now - 400 * DAY;
    let v = |label: &str, stage: &str| NewVersion {
        label: label.into(),
        stage: stage.into(),
        text: JIANGMEN.into(),
        source: "docx".into(),
        file_name: String::new(),
        accept_issues: true,
    };
    let first = service::prepare(&v("一审稿", "first_reading"))?;
    let title = NewDraft {
        title: "江门市门楼号牌管理条例（草案）".into(), side: "own".into(), origin: String::new()
    };
    let created = service::create_draft(txn, d.key, staff, d.organ, &title, &first, t0).await?;
    let draft = model::draft(txn, created.id).await?.ok_or(AppError::NotFound)?;
    for (reading, meeting, at, result, votes) in [
        ("first", "江门市第十六届人大常委会第六次会议", t0 + 30 * DAY, "continued", None),
        ("second", "江门市第十六届人大常委会第七次会议", t0 + 90 * DAY, "continued", None),
        ("vote", "江门市第十六届人大常委会第八次会议", t0 + 150 * DAY, "passed", Some((31, 0, 1))),
    ] {
        let r = NewReading {
            reading: reading.into(),
            meeting: meeting.into(),
            held_on: date(at),
            result: result.into(),
            votes_for: votes.map(|v: (i64, i64, i64)| v.0),
            votes_against: votes.map(|v| v.1),
            votes_abstain: votes.map(|v| v.2),
            ..Default::default()
        };
        let draft = model::draft(txn, draft.id).await?.ok_or(AppError::NotFound)?;
        register::add_reading(txn, d.key, crypto, staff, &draft, &r, at).await?;
    }
    let draft = model::draft(txn, draft.id).await?.ok_or(AppError::NotFound)?;
    let passed_on = t0 + 150 * DAY;
    let reg = NewRegulation {
        title: "江门市门楼号牌管理条例".into(),
        passed_by: "江门市第十六届人民代表大会常务委员会第八次会议".into(),
        passed_on: date(passed_on),
        approved_by: "广东省第十三届人民代表大会常务委员会第四十七次会议".into(),
        approved_on: date(passed_on + 33 * DAY),
        promulgated_on: date(passed_on + 38 * DAY),
        effective_on: date(passed_on + 95 * DAY),
        text: String::new(),
    };
    let id = register::enter(txn, d.key, staff, (d.organ, Some(&draft)), &reg, passed_on + 38 * DAY).await?;
    let r = register::regulation(txn, id).await?.ok_or(AppError::NotFound)?;
    for (title, who, due, status, issued) in [
        ("门楼号牌编制规范", "市公安局", passed_on + 180 * DAY, "issued", Some(passed_on + 170 * DAY)),
        ("门楼牌样式和设置技术标准", "市公安局、市住房城乡建设局", passed_on + 200 * DAY, "drafting", None),
        ("门楼号牌地址信息共享办法", "市政务服务数据管理局", now + 60 * DAY, "pending", None),
    ] {
        let rule = NewRule {
            title: title.into(),
            responsible: who.into(),
            due_on: date(due),
            status: status.into(),
            issued_on: issued.map(date).unwrap_or_default(),
        };
        register::add_rule(txn, d.key, staff, &r, &rule, passed_on + 40 * DAY).await?;
    }
    let explain = NewInterpretation {
        title: "《江门市门楼号牌管理条例》解读".into(),
        body: "一、为什么要制定条例？门楼号牌是建筑物的标准地址标志，关系群众办理户籍、邮寄快递、应急救援等日常事务。\
               过去门楼号编制不规范、门楼牌缺失损毁的情况较多，需要以地方性法规加以规范。\n\
               二、谁来管？条例明确公安机关是主管部门，民政、自然资源、住房城乡建设等部门按职责协同，镇人民政府、街道办事处协助。\n\
               三、群众要做什么？建筑物所有权人或者使用人应当按照规定申请编制门楼号，爱护门楼牌，发现缺失、损毁的可以向公安机关反映。"
            .into(),
        published_on: date(passed_on + 40 * DAY),
    };
    register::add_interpretation(txn, d.key, staff, &r, &explain, passed_on + 40 * DAY).await?;
    // An older regulation of the register, entered without a draft.
    let old = NewRegulation {
        title: "汕尾市农村建房条例".into(),
        passed_by: "汕尾市第八届人民代表大会常务委员会第八次会议".into(),
        passed_on: "2022-10-31".into(),
        approved_by: "广东省第十三届人民代表大会常务委员会第四十七次会议".into(),
        approved_on: "2022-11-30".into(),
        promulgated_on: "2022-12-02".into(),
        effective_on: "2023-03-01".into(),
        text: body_of(SHANWEI),
    };
    register::enter(txn, d.key, staff, (d.organ, None), &old, now - 500 * DAY).await?;
    Ok(draft)
}

/// The body of a LawRefBook file as one paragraph a line: after its `<!-- INFO END -->`, without
/// Markdown heading marks and blank lines.
fn body_of(md: &str) -> String {
    let body = md.split_once("<!-- INFO END -->").map(|(_, b)| b).unwrap_or(md);
    body.lines().map(|l| l.trim_start_matches('#').trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

async fn bank_and_plans(
    txn: &DatabaseTransaction,
    d: &Demo<'_>,
    staff: &Actor,
    (own, passed): (&Draft, &Draft),
    now: i64,
) -> AppResult<()> {
    let path = db::query_rows(txn, "SELECT path FROM organs WHERE id = $1", vec![d.organ.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let at = (d.organ, path.as_str());
    let bill = |title: &'static str| async move {
        one(
            txn,
            "SELECT id FROM suggestions WHERE title = $1 AND number IS NOT NULL ORDER BY id LIMIT 1",
            vec![title.into()],
        )
        .await
    };
    let mut projects = Vec::new();
    if let Some(s) = bill("关于制定《城市停车管理条例》的议案").await? {
        let p = NewProject {
            title: "诸城市城市停车管理条例".into(),
            action: LawAction::Enact.as_str().into(),
            origin: "deputies".into(),
            proposer: "代表议案（10 名代表联名）".into(),
            justification:
                "必要性：城区机动车保有量五年增长近一倍，停车设施规划、建设、收费和执法缺少地方性法规依据。\n\
                            可行性：上位法有原则规定，多个设区的市已有立法经验可资借鉴。\n\
                            主要内容：停车设施规划建设、公共停车场经营、道路停车泊位设置、居住区停车、法律责任。"
                    .into(),
            suggestion_id: Some(s),
            ..Default::default()
        };
        projects.push(plans::add_project(txn, d.key, staff, at, &p, now - 300 * DAY).await?);
    }
    if let Some(s) = bill("关于制定《农村生活垃圾治理条例》的议案").await? {
        let p = NewProject {
            title: "诸城市农村生活垃圾治理条例".into(),
            action: LawAction::Enact.as_str().into(),
            origin: "deputies".into(),
            proposer: "代表议案（10 名代表联名）".into(),
            suggestion_id: Some(s),
            ..Default::default()
        };
        projects.push(plans::add_project(txn, d.key, staff, at, &p, now - 290 * DAY).await?);
    }
    if let Some(u) = one(txn, "SELECT min(id) FROM handling_units WHERE name LIKE '%住房%'", vec![]).await? {
        let p = NewProject {
            title: "诸城市物业管理条例".into(),
            action: LawAction::Amend.as_str().into(),
            origin: "department".into(),
            proposer: "市住房和城乡建设局".into(),
            justification: "民法典施行后，业主大会、专项维修资金等规定需要相应修改。".into(),
            unit_id: Some(u),
            ..Default::default()
        };
        projects.push(plans::add_project(txn, d.key, staff, at, &p, now - 280 * DAY).await?);
    }
    let tracking = db::query_rows(txn, "SELECT tracking_no FROM opinions ORDER BY id LIMIT 1", vec![])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let p = NewProject {
        title: "诸城市养犬管理规定".into(),
        action: LawAction::Enact.as_str().into(),
        origin: "public".into(),
        proposer: "2026 年立法项目公开征集".into(),
        tracking_no: tracking,
        ..Default::default()
    };
    projects.push(plans::add_project(txn, d.key, staff, at, &p, now - 270 * DAY).await?);
    // The five-year 立法规划 and this year's 立法计划.
    let program = NewPlan {
        kind: "program".into(),
        title: "诸城市人大常委会立法规划（2023—2027 年）".into(),
        year_from: "2023".into(),
        year_to: "2027".into(),
        adopted_on: "2023-04-26".into(),
    };
    let program = plans::create_plan(txn, d.key, staff, d.organ, &program, now - 600 * DAY).await?;
    let program = plans::plan(txn, program).await?.ok_or(AppError::NotFound)?;
    let annual = NewPlan {
        kind: "annual".into(),
        title: "诸城市人大常委会 2026 年度立法计划".into(),
        year_from: "2026".into(),
        year_to: String::new(),
        adopted_on: "2026-02-26".into(),
    };
    let annual = plans::create_plan(txn, d.key, staff, d.organ, &annual, now - 260 * DAY).await?;
    let annual = plans::plan(txn, annual).await?.ok_or(AppError::NotFound)?;
    // The 立项 checkpoints of the two projects the plans list: the 主任会议 agreed to both, the
    // 党组 to the one listed as a 正式项目 (the second).
    for (k, id) in projects.iter().take(2).enumerate() {
        let project = plans::project(txn, *id).await?.ok_or(AppError::NotFound)?;
        let mut checkpoints =
            vec![("directors", now - 256 * DAY, "市人大常委会第 41 次主任会议研究同意列入年度立法计划")];
        if k == 1 {
            checkpoints.push(("party_group", now - 253 * DAY, "常委会党组会议审定同意"));
        }
        for (step, at, note) in checkpoints {
            let x = NewStep { step: step.into(), held_on: date(at), result: "agreed".into(), note: note.into() };
            plans::add_step(txn, d.key, staff, &project, &x, at).await?;
        }
    }
    for (plan, item, status, draft) in [
        (
            &annual,
            NewItem {
                title: own.title.replace("（修订草案）", ""),
                action: LawAction::Amend.as_str().into(),
                category: "formal".into(),
                drafting_body: "常委会人事代表选举工作委员会".into(),
                schedule: "2026 年 10 月提请初审，12 月提请二审".into(),
                ..Default::default()
            },
            "submitted",
            Some(own.id),
        ),
        (
            &annual,
            NewItem {
                title: passed.title.replace("（草案）", ""),
                action: LawAction::Enact.as_str().into(),
                category: "formal".into(),
                drafting_body: "市公安局".into(),
                schedule: "已于上年提请表决".into(),
                ..Default::default()
            },
            "passed",
            Some(passed.id),
        ),
        (
            &annual,
            NewItem {
                project_id: projects.first().copied(),
                title: if projects.is_empty() { "诸城市城市停车管理条例".into() } else { String::new() },
                action: LawAction::Enact.as_str().into(),
                category: "preparatory".into(),
                drafting_body: "市住房和城乡建设局、市公安局".into(),
                schedule: "条件成熟时提请审议".into(),
                ..Default::default()
            },
            "drafting",
            None,
        ),
        (
            &annual,
            NewItem {
                title: "诸城市历史文化街区保护条例".into(),
                action: LawAction::Enact.as_str().into(),
                category: "research".into(),
                drafting_body: "常委会法制工作委员会".into(),
                schedule: "开展立法调研".into(),
                ..Default::default()
            },
            "pending",
            None,
        ),
        (
            &program,
            NewItem {
                project_id: projects.get(1).copied(),
                title: if projects.len() < 2 {
                    "诸城市农村生活垃圾治理条例".into()
                } else {
                    String::new()
                },
                action: LawAction::Enact.as_str().into(),
                category: "formal".into(),
                drafting_body: "市城市管理局".into(),
                schedule: "2027 年提请审议".into(),
                ..Default::default()
            },
            "pending",
            None,
        ),
    ] {
        let id = plans::add_item(txn, d.key, staff, plan, &item, now - 250 * DAY).await?;
        let row = plans::item(txn, id).await?.ok_or(AppError::NotFound)?;
        plans::set_item_status(txn, d.key, staff, plan, &row, status, draft).await?;
    }
    Ok(())
}

/// A 论证会 held on the own draft, its opinions disposed of; a 听证会 open for registration.
async fn hearing(txn: &DatabaseTransaction, d: &Demo<'_>, staff: &Actor, own: &Draft, now: i64) -> AppResult<()> {
    let held = NewEvent {
        kind: "argument".into(),
        title: "任免条例修订草案专家论证会".into(),
        held_at: format!("{} 09:30", date(now - 20 * DAY)),
        place: "市人大常委会机关 3 楼会议室".into(),
        announcement:
            "邀请立法专家顾问、律师和有关部门负责同志，就修订草案中任免程序、表决方式和监察委员会相关规定进行论证。"
                .into(),
        register_until: String::new(),
        speakers_max: Some(8),
    };
    let e = events::create(txn, d.key, staff, own, &held, now - 30 * DAY).await?;
    let e = events::event(txn, e).await?.ok_or(AppError::NotFound)?;
    events::record(
        txn,
        d.key,
        staff,
        own,
        &e,
        "论证会由常委会法制工作委员会主持，专家顾问 2 人、律师 1 人、市委组织部和市人社局同志参加。\n\
         与会人员认为修订草案总体可行，建议进一步明确任前审查程序、表决方式和监察委员会副主任的任免程序。",
    )
    .await?;
    let e = events::event(txn, e.id).await?.ok_or(AppError::NotFound)?;
    let v2 = model::versions(txn, own.id).await?.into_iter().last().ok_or(AppError::NotFound)?;
    let article = |phrase: &'static str| {
        let v2 = v2.clone();
        async move {
            let rows = model::nodes(txn, v2.id).await?;
            let (flats, _) = model::flats(&rows);
            Ok::<_, AppError>(
                rows.iter()
                    .enumerate()
                    .find(|(i, r)| r.kind == "article" && super::matching::article_text(&flats, *i).contains(phrase))
                    .map(|(_, r)| r.node_id),
            )
        }
    };
    let lines = [
        (
            "监察委员会",
            "expert",
            "专家顾问 周某",
            "监察委员会副主任、委员的任免程序宜与法院、检察院副职的表述一致，避免理解分歧。",
            Some(("adopted", "已在表决稿中统一表述。")),
        ),
        (
            "表决",
            "expert",
            "律师 陈某",
            "建议明确表决结果当场宣布，并写明未获通过的处理办法。",
            Some(("partly", "当场宣布已有规定；未获通过的处理另行研究。")),
        ),
        ("", "department", "市委组织部", "建议增加任前法律知识考试的衔接规定。", None),
    ];
    for (phrase, source, author, text, outcome) in lines {
        let o = EventOpinion {
            node_id: article(phrase).await?.filter(|_| !phrase.is_empty()),
            source: source.into(),
            author: author.into(),
            text: text.into(),
        };
        let id = events::add_opinion(txn, d.key, staff, own, &e, &o, now - 20 * DAY).await?;
        if let Some((disposition, reason)) = outcome {
            let row = model::opinion(txn, id).await?.ok_or(AppError::NotFound)?;
            let decision = Decision {
                disposition: disposition.into(),
                reason: reason.into(),
                change_version_id: None,
                change_node_id: None,
            };
            let limits = crate::notify::Limits::default();
            comments::dispose(txn, d.key, d.crypto, &limits, staff, own, &row, &decision, now - 10 * DAY).await?;
        }
    }
    // A 听证会 open for registration, two speakers registered.
    let open = NewEvent {
        kind: "hearing".into(),
        title: "任免条例修订草案立法听证会".into(),
        held_at: format!("{} 14:30", date(now + 14 * DAY)),
        place: "市民之家 2 楼听证厅".into(),
        announcement: "市人大常委会将就修订草案举行立法听证会，听取社会各方面意见。\n\
                       年满十八周岁、在本市工作或生活的公民均可报名，请写明观点和发言要点；\
                       常委会法制工作委员会按照观点兼顾、代表广泛的原则确定发言人，并以短信通知。"
            .into(),
        register_until: date(now + 7 * DAY),
        speakers_max: Some(12),
    };
    let h = events::create(txn, d.key, staff, own, &open, now - 2 * DAY).await?;
    let h = events::event(txn, h).await?.ok_or(AppError::NotFound)?;
    let citizen = Actor { account_id: None, name: "群众".into(), on_behalf_of: None, client: "10.0.*.*".into() };
    for (n, (name, phone, affiliation, stand, points)) in [
        (
            "王建华",
            "13963661201",
            "社区居委会主任",
            "for",
            "支持公开任免结果，建议同时在社区公开栏公布，方便老年人了解。",
        ),
        ("李静", "13963661202", "律师", "other", "建议明确拟任命人员供职发言后常委会组成人员询问的程序和时间。"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = Registration {
            name: name.into(),
            phone: phone.into(),
            affiliation: affiliation.into(),
            stand: stand.into(),
            points: points.into(),
            consent: true,
        };
        events::register(txn, d.key, d.crypto, &citizen, (own, &h), &r, (&format!("10.0.1.{n}"), now - DAY)).await?;
    }
    Ok(())
}
