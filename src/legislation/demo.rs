//! The demo's 立法 (real texts: `demo_texts/`): a draft of the county's own in two real readings
//! — 一审稿 published for comment two months ago, with public comments, the answers of the
//! 基层立法联系点, a department and an expert (a deputy's still overdue), every opinion disposed of
//! and linked to its change in the 二审稿; the 二审稿 open for comment now —, and a draft an upper
//! congress sent to the county as a 联系点, open for comment with the 联系点's answer in progress.
//! Everything is written through the services with the clock set back to the day.

use sea_orm::DatabaseTransaction;

use super::comments::{self, Decision, NewComment};
use super::model::{self, Draft, Moderation, Version};
use super::service::{self, NewDraft, NewExpert, NewVersion, Window};
use super::tasks::{self, NewLine, NewTasks};
use crate::app::error::{AppError, AppResult};
use crate::app::state::Demo;
use crate::audit::Actor;
use crate::db;

const DAY: i64 = 86_400;

/// A 联系点's or a body's lines: (a phrase of the article, who said it, the text).
type Lines<'a> = &'a [(&'a str, &'a str, &'a str)];

const RENMIAN_2007: &str = include_str!("demo_texts/renmian-2007.md");
const RENMIAN_2023: &str = include_str!("demo_texts/renmian-2023.md");
const DAIBIAOFA_2025: &str = include_str!("demo_texts/daibiaofa-2025.md");

/// Public comments on the 一审稿: (a phrase of the article, quote, text, disposition, reason).
const FIRST_READING: [(&str, &str, &str, &str, &str); 6] = [
    (
        "任免案以书面的形式提出",
        "任免案应当附拟任职人员的简况、任职理由",
        "建议任免案同时附上拟任职人员的廉政情况说明和任前公示情况，方便常委会组成人员全面了解。",
        "partly",
        "拟任职人员简况已包括廉政情况；任前公示按干部管理规定执行，不在本条例重复。",
    ),
    (
        "提请人或者其委托的人员应当到会说明情况",
        "",
        "建议规定拟任命人员到会作供职发言，并接受常委会组成人员的询问，增强任命的严肃性。",
        "adopted",
        "二审稿已增加拟任命人员作供职发言的内容。",
    ),
    (
        "发文通知有关机关",
        "在市人大常委会公报上予以公告",
        "任免结果除在公报上公告外，建议同时在人大网站和微信公众号公开，群众更容易看到。",
        "further_study",
        "网站和新媒体公开由常委会办公厅统一研究。",
    ),
    (
        "采用无记名投票方式进行表决",
        "",
        "建议所有任免事项都采用无记名投票方式表决，更能体现组成人员的真实意愿。",
        "rejected",
        "逐人按表决器表决同样不记名、结果当场公布，效率更高；重大事项已规定无记名投票。",
    ),
    (
        "颁发任命书",
        "",
        "建议颁发任命书时组织宪法宣誓，并在条例中写明。",
        "rejected",
        "宪法宣誓已由本市实施宪法宣誓制度的专门规定作出安排，本条例不再重复。",
    ),
    (
        "",
        "",
        "条例程序性条款较多，建议配套制作任免工作流程图，在公开征求意见时一并公布，便于群众理解。",
        "adopted",
        "将随二审稿公布任免工作流程图。",
    ),
];

/// Public comments on the 二审稿, not yet disposed of.
const SECOND_READING: [(&str, &str); 3] = [
    ("监察委员会", "新增的监察委员会相关条款很有必要，建议写明副主任、委员的任免也要向常委会报告履职情况。"),
    ("表决采用无记名按表决器方式", "建议表决结果当场公布，并在会后公开赞成、反对、弃权的票数。"),
    ("", "二审稿比一审稿清楚多了，建议在施行前组织对区人大常委会工作人员的培训。"),
];

/// The consulted draft's public comments.
const CONSULTED: [(&str, &str); 3] = [
    ("代表享有下列权利", "建议在代表权利中明确代表可以到基层立法联系点参加立法意见征集活动。"),
    ("代表应当履行下列义务", "代表义务中建议增加定期向选民报告履职情况的具体要求，比如每年至少一次。"),
    ("", "基层代表履职经费保障各地差别很大，建议法律对最低保障标准作出原则规定。"),
];

/// The article of a version whose text contains `phrase`: its identity.
async fn article_with(txn: &DatabaseTransaction, v: &Version, phrase: &str) -> AppResult<Option<i64>> {
    if phrase.is_empty() {
        return Ok(None);
    }
    let rows = model::nodes(txn, v.id).await?;
    let (flats, _) = model::flats(&rows);
    Ok(rows
        .iter()
        .enumerate()
        .find(|(i, r)| r.kind == "article" && super::matching::article_text(&flats, *i).contains(phrase))
        .map(|(_, r)| r.node_id))
}

fn version(label: &str, stage: &str, text: &str) -> NewVersion {
    NewVersion {
        label: label.into(),
        stage: stage.into(),
        text: text.into(),
        source: "docx".into(),
        file_name: String::new(),
        accept_issues: true,
    }
}

/// Publishes a version for comment from `from` to `until`; the version as it now is.
async fn publish(
    txn: &DatabaseTransaction,
    d: &Demo<'_>,
    actor: &Actor,
    (draft, v): (&Draft, &Version),
    (from, until): (i64, i64),
    now: i64,
) -> AppResult<Version> {
    let date = |t: i64| crate::calendar::beijing_date(t).format("%Y-%m-%d").to_string();
    let w = Window { open_from: date(from), open_until: date(until) };
    service::publish(txn, d.key, actor, draft, v, &w, now).await?;
    model::version(txn, v.id).await?.ok_or(AppError::NotFound)
}

/// A public comment as a citizen leaves it (through the service, from a made-up address).
async fn comment(
    txn: &DatabaseTransaction,
    d: &Demo<'_>,
    (draft, v): (&Draft, &Version),
    (phrase, quote, text): (&str, &str, &str),
    n: usize,
    now: i64,
) -> AppResult<i64> {
    let node_id = article_with(txn, v, phrase).await?;
    let phone = if n.is_multiple_of(2) { format!("1396366{:04}", 2000 + n) } else { String::new() };
    let input = NewComment {
        node_id,
        quote: quote.into(),
        text: text.into(),
        name: if phone.is_empty() { String::new() } else { "市民".into() },
        phone,
        consent: true,
    };
    let citizen = Actor { account_id: None, name: "群众".into(), on_behalf_of: None, client: "10.0.*.*".into() };
    Ok(comments::comment(txn, d.key, d.crypto, &citizen, draft, v, &input, &format!("10.0.0.{n}"), now).await?.id)
}

/// What became of an opinion: the disposition, its reason, the change it led to.
type Outcome<'a> = (&'a str, &'a str, Option<(&'a Version, i64)>);

async fn dispose(
    txn: &DatabaseTransaction,
    d: &Demo<'_>,
    (actor, draft): (&Actor, &Draft),
    id: i64,
    (disposition, reason, change): Outcome<'_>,
    now: i64,
) -> AppResult<()> {
    let o = model::opinion(txn, id).await?.ok_or(AppError::NotFound)?;
    let decision = Decision {
        disposition: disposition.into(),
        reason: reason.into(),
        change_version_id: change.map(|c| c.0.id),
        change_node_id: change.map(|c| c.1),
    };
    comments::dispose(txn, d.key, d.crypto, &crate::notify::Limits::default(), actor, draft, &o, &decision, now).await
}

pub async fn seed(txn: &DatabaseTransaction, d: &Demo<'_>) -> AppResult<()> {
    let staff = Actor::system("演示数据");
    let now = db::now();
    let cal = crate::calendar::load(txn).await?;
    // The pools.
    for (pool, name, affiliation, fields) in [
        ("advisor", "周明远", "山东大学法学院", "行政法、地方立法"),
        ("advisor", "韩雪梅", "潍坊学院政法学院", "宪法学、人大制度"),
        ("think_tank", "陈立国", "诸城市律师协会", "民商法、基层治理"),
    ] {
        let e =
            NewExpert { pool: pool.into(), name: name.into(), affiliation: affiliation.into(), fields: fields.into() };
        service::add_expert(txn, d.key, &staff, d.organ, &e, now - 120 * DAY).await?;
    }
    // The county's own draft: 一审稿 two months ago, 二审稿 now.
    let t1 = now - 70 * DAY;
    let first = service::prepare(&version("一审稿", "first_reading", RENMIAN_2007))?;
    let title = NewDraft {
        title: "北京市人民代表大会常务委员会任免国家机关工作人员条例（修订草案）".into(),
        side: "own".into(),
        origin: String::new(),
    };
    let created = service::create_draft(txn, d.key, &staff, d.organ, &title, &first, t1).await?;
    let draft = model::draft(txn, created.id).await?.ok_or(AppError::NotFound)?;
    let v1 = model::version(txn, created.version_id).await?.ok_or(AppError::NotFound)?;
    let v1 = publish(txn, d, &staff, (&draft, &v1), (t1, t1 + 30 * DAY), t1).await?;
    let mut first_comments = Vec::new();
    for (n, (phrase, quote, text, _, _)) in FIRST_READING.iter().enumerate() {
        first_comments.push(comment(txn, d, (&draft, &v1), (phrase, quote, text), n, t1 + (n as i64 + 1) * DAY).await?);
    }
    // Targeted consultation of the 一审稿: the 联系点, a department, an expert, a deputy.
    let point = db::query_rows(
        txn,
        "SELECT s.id FROM stations s JOIN station_types t ON t.id = s.type_id WHERE t.code = 'legislative_point' ORDER BY s.id LIMIT 1",
        vec![],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    let unit = db::scalar_i64(txn, "SELECT min(id) FROM handling_units WHERE name LIKE '%人力资源%'", vec![]).await?;
    let expert = db::scalar_i64(txn, "SELECT min(id) FROM leg_experts WHERE name = '周明远'", vec![]).await?;
    let deputy = db::scalar_i64(
        txn,
        "SELECT min(m.person_id) FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE m.status = 'serving' AND o.id = $1",
        vec![d.organ.into()],
    )
    .await?;
    let mut targets = vec![format!("unit:{unit}"), format!("expert:{expert}"), format!("deputy:{deputy}")];
    if let Some(p) = point {
        targets.insert(0, format!("station:{p}"));
    }
    let sent = tasks::send(
        txn,
        d.key,
        &staff,
        &cal,
        &draft,
        &v1,
        &NewTasks {
            targets, note: "请重点对任免程序和表决方式提出意见。".into(), due_working_days: "10".into()
        },
        t1 + DAY,
    )
    .await?;
    let answers: [(&str, Lines<'_>); 3] = [
        (
            "经街道人大工委组织信息采集员和居民代表座谈，汇总如下。",
            &[
                (
                    "人事任免工作机构",
                    "信息采集员 王秀兰（龙都街道）",
                    "建议明确任免工作机构听取基层意见的渠道，让群众对拟任人员有反映意见的途径。",
                ),
                ("发文通知有关机关", "居民代表座谈会", "任免结果公告后群众不容易看到，建议在社区公开栏同步张贴。"),
            ],
        ),
        ("", &[("人事任免工作机构", "", "建议写明人事任免工作机构与组织、人社部门在任前考察材料上的衔接程序。")]),
        (
            "",
            &[(
                "认为有重大问题需要进一步研究",
                "",
                "“重大问题”含义不够明确，建议列举常见情形或授权主任会议认定，避免随意推迟表决。",
            )],
        ),
    ];
    let mut task_lines = Vec::new();
    for (task, (summary, lines)) in sent.iter().zip(answers.iter()) {
        let t = model::task(txn, *task).await?.ok_or(AppError::NotFound)?;
        for (phrase, author, text) in lines.iter() {
            let line = NewLine {
                node_id: article_with(txn, &v1, phrase).await?,
                quote: String::new(),
                text: (*text).into(),
                author: (*author).into(),
            };
            task_lines.push(tasks::add_line(txn, d.key, &staff, &t, &line, t1 + 5 * DAY).await?);
        }
        let t = model::task(txn, *task).await?.ok_or(AppError::NotFound)?;
        tasks::answer(txn, d.key, &staff, &draft, &t, summary, t1 + 8 * DAY).await?;
    }
    // The 二审稿: the articles keep their identities (an article on the 监察委员会 comes in near
    // the start, so every later one is renumbered).
    let t2 = now - 5 * DAY;
    let second = service::prepare(&version("二审稿", "second_reading", RENMIAN_2023))?;
    let v2_id = service::add_version(txn, d.key, &staff, &draft, &second, t2).await?;
    let v2 = model::version(txn, v2_id).await?.ok_or(AppError::NotFound)?;
    // Every opinion on the 一审稿 disposed of; an adopted one linked to its article in the 二审稿.
    for (id, (_, _, _, disposition, reason)) in first_comments.iter().zip(FIRST_READING.iter()) {
        let o = model::opinion(txn, *id).await?.ok_or(AppError::NotFound)?;
        let change = match (disposition.starts_with("adopted") || *disposition == "partly", o.node_id) {
            (true, Some(node)) if model::article_in(txn, v2.id, node).await?.is_some() => Some((&v2, node)),
            _ => None,
        };
        dispose(txn, d, (&staff, &draft), *id, (disposition, reason, change), t2 + DAY).await?;
    }
    let outcomes = [
        ("further_study", "群众反映意见的渠道由任前公示制度解决，将另行研究。"),
        ("partly", "采纳在人大网站公开的建议；社区张贴由各区自行安排。"),
        ("adopted", "二审稿已作相应修改。"),
        ("adopted", "二审稿已明确由主任会议提议。"),
    ];
    for (id, (disposition, reason)) in task_lines.iter().zip(outcomes.iter()) {
        dispose(txn, d, (&staff, &draft), *id, (disposition, reason, None), t2 + DAY).await?;
    }
    let v2 = publish(txn, d, &staff, (&draft, &v2), (t2, now + 25 * DAY), t2).await?;
    let own = draft.clone();
    for (n, (phrase, text)) in SECOND_READING.iter().enumerate() {
        comment(txn, d, (&draft, &v2), (phrase, "", text), n + 10, t2 + (n as i64 + 1) * DAY).await?;
    }
    // A comment the word list held, waiting for review.
    let held =
        comment(txn, d, (&draft, &v2), ("", "", "有人在群里说能办假证加快任命手续，建议严查。"), 20, now - DAY).await?;
    debug_assert_eq!(model::opinion(txn, held).await?.map(|o| o.moderation()), Some(Moderation::Held));
    // The 联系点 asked about the 二审稿 too: its answer in progress.
    if let Some(p) = point {
        let sent = tasks::send(
            txn,
            d.key,
            &staff,
            &cal,
            &draft,
            &v2,
            &NewTasks {
                targets: vec![format!("station:{p}")],
                note: "二审稿请再次组织征求意见。".into(),
                due_working_days: "10".into(),
            },
            t2 + DAY,
        )
        .await?;
        if let Some(t) = sent.first() {
            let t = model::task(txn, *t).await?.ok_or(AppError::NotFound)?;
            let line = NewLine {
                node_id: article_with(txn, &v2, "监察委员会").await?,
                quote: String::new(),
                text: "信息采集员反映：监察委员会副主任的任免程序建议与法院、检察院的表述保持一致。".into(),
                author: "信息采集员 刘建军（龙都街道）".into(),
            };
            tasks::add_line(txn, d.key, &staff, &t, &line, now - DAY).await?;
        }
    }
    // A draft an upper congress sent to the county as a 基层立法联系点.
    let t3 = now - 3 * DAY;
    let consulted = service::prepare(&version("征求意见稿", "drafting", DAIBIAOFA_2025))?;
    let title = NewDraft {
        title: "中华人民共和国全国人民代表大会和地方各级人民代表大会代表法（修正草案）".into(),
        side: "consulted".into(),
        origin: "全国人大常委会法制工作委员会".into(),
    };
    let created = service::create_draft(txn, d.key, &staff, d.organ, &title, &consulted, t3).await?;
    let draft = model::draft(txn, created.id).await?.ok_or(AppError::NotFound)?;
    let v = model::version(txn, created.version_id).await?.ok_or(AppError::NotFound)?;
    let v = publish(txn, d, &staff, (&draft, &v), (t3, now + 20 * DAY), t3).await?;
    for (n, (phrase, text)) in CONSULTED.iter().enumerate() {
        comment(txn, d, (&draft, &v), (phrase, "", text), n + 30, t3 + DAY).await?;
    }
    if let Some(p) = point {
        tasks::send(
            txn,
            d.key,
            &staff,
            &cal,
            &draft,
            &v,
            &NewTasks {
                targets: vec![format!("station:{p}")],
                note: "请组织代表和群众逐条提出意见。".into(),
                due_working_days: "8".into(),
            },
            t3,
        )
        .await?;
    }
    super::demo_passage::seed(txn, d, &own).await
}
