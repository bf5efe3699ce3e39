//! The meetings of the demo county: this term's 常委会 (its members sign in as `changwei` and
//! `cw01`…`cw10`, made by the demo's entry point) with two past 常委会会议 and their ballots,
//! results and records, one 常委会会议 today with attendance under way and a named motion open
//! (the demo accounts' papers left for them), and the 人代会 session of January with its 代表团 and
//! the secret 民生实事 差额 ballot (13 projects, 10 chosen).

use sea_orm::DatabaseTransaction;

use super::model::{self, Attendance, ItemKind, Kind, MembersOf, RecordKind, RemarkState, State, Tracking};
use super::service::{self, NewItem, NewMeeting, NewNote, NewRecord, NewVote, Via};
use crate::app::error::{AppError, AppResult};
use crate::app::state::Demo;
use crate::audit::Actor;
use crate::ballot::model::{Mark, VoteKind};
use crate::ballot::tally::{Base, Rule};
use crate::db;

const DAY: i64 = 86_400;
const HALF_OF_ALL: Rule = Rule { base: Base::AllMembers, num: 1, den: 2, strict: true };
const TWO_THIRDS_OF_ALL: Rule = Rule { base: Base::AllMembers, num: 2, den: 3, strict: false };
const HALF_OF_VOTES: Rule = Rule { base: Base::ValidVotes, num: 1, den: 2, strict: true };

/// 2027 年民生实事候选项目 (seed 001: 13 candidates, 10 chosen by secret ballot).
const PROJECTS: [&str; 13] = [
    "城区老旧小区改造",
    "农村供水提质增效",
    "中小学校园安全提升",
    "社区养老服务中心建设",
    "城乡公交一体化",
    "基层医疗卫生服务能力提升",
    "农村道路提档升级",
    "城区停车设施建设",
    "困难群众住房保障",
    "公园绿地和口袋公园建设",
    "农贸市场改造提升",
    "残疾人康复服务",
    "城区雨污分流改造",
];

struct Ctx<'a> {
    txn: &'a DatabaseTransaction,
    d: &'a Demo<'a>,
    actor: Actor,
}

impl Ctx<'_> {
    async fn meeting(&self, n: &NewMeeting, at: i64) -> AppResult<model::Meeting> {
        let id = service::create(self.txn, self.d.key, &self.actor, n, at).await?;
        model::meeting(self.txn, id).await?.ok_or(AppError::NotFound)
    }
    async fn attend(
        &self,
        m: &model::Meeting,
        person: i64,
        a: Attendance,
        reason: &str,
        via: Via,
        at: i64,
    ) -> AppResult<()> {
        service::attend(self.txn, self.d.key, &self.actor, m, service::Mark { person, state: a, reason, via }, at).await
    }
    async fn state(&self, m: &model::Meeting, to: State, at: i64) -> AppResult<model::Meeting> {
        service::set_state(self.txn, self.d.key, &self.actor, m, to, at).await?;
        model::meeting(self.txn, m.id).await?.ok_or(AppError::NotFound)
    }
    /// A ballot prepared, opened, voted by `papers` (person, marks by subject index) and, with
    /// `close`, closed with those present.
    async fn vote(
        &self,
        m: &model::Meeting,
        v: &NewVote,
        papers: &[(i64, Vec<(usize, &str)>)],
        close: Option<i64>,
        at: i64,
    ) -> AppResult<i64> {
        let id = service::add_ballot(self.txn, self.d.key, &self.actor, m, v, at).await?;
        let b = crate::ballot::model::ballot(self.txn, id).await?.ok_or(AppError::NotFound)?;
        crate::ballot::service::start(self.txn, self.d.key, &self.actor, &b, at).await?;
        let b = crate::ballot::model::ballot(self.txn, id).await?.ok_or(AppError::NotFound)?;
        let subjects = crate::ballot::model::subjects(self.txn, id).await?;
        for (person, marks) in papers {
            let paper: Vec<(i64, Mark)> =
                marks.iter().map(|(i, code)| (subjects[*i].id, Mark::Option(code.to_string()))).collect();
            crate::ballot::service::cast(self.txn, self.d.key, self.d.crypto, &self.actor, &b, *person, &paper).await?;
        }
        if let Some(present) = close {
            crate::ballot::service::close(
                self.txn,
                self.d.key,
                self.d.crypto,
                &self.actor,
                &b,
                Some(present),
                at + 600,
            )
            .await?;
        }
        Ok(id)
    }
}

fn motion(title: &str, secret: bool, rule: Rule, item: Option<i64>) -> NewVote {
    NewVote {
        title: title.into(),
        vote_kind: VoteKind::Motion,
        secret,
        options: Vec::new(),
        choose_max: None,
        score_range: None,
        electorate: model::Electorate::Members,
        person_ids: Vec::new(),
        rule: Some(rule),
        changes: false,
        item_id: item,
    }
}

/// Papers of a motion: the first `yes` members 赞成, then `no` 反对, then `abstain` 弃权.
fn papers<'a>(members: &[i64], yes: usize, no: usize, abstain: usize) -> Vec<(i64, Vec<(usize, &'a str)>)> {
    members
        .iter()
        .take(yes + no + abstain)
        .enumerate()
        .map(|(i, p)| {
            (
                *p,
                vec![(
                    0,
                    if i < yes {
                        "yes"
                    } else if i < yes + no {
                        "no"
                    } else {
                        "abstain"
                    },
                )],
            )
        })
        .collect()
}

pub async fn seed(txn: &DatabaseTransaction, d: &Demo<'_>) -> AppResult<()> {
    let Some(organ) = crate::org::organ(txn, d.organ).await? else { return Ok(()) };
    let standing: Vec<i64> = crate::registry::structure::standing_members(txn, &organ.path)
        .await?
        .into_iter()
        .map(|m| m.person_id)
        .collect();
    if standing.len() < 6 {
        return Ok(());
    }
    let c = Ctx { txn, d, actor: Actor::system("演示数据") };
    let now = db::now();
    // Two county deputies who are not members, invited (列席).
    let observers: Vec<i64> = db::query_rows(
        txn,
        "SELECT DISTINCT m.person_id FROM mandates m WHERE m.organ_id = $1 AND m.status = 'serving' AND m.person_id NOT IN \
         (SELECT person_id FROM memberships WHERE committee_id IS NOT NULL) ORDER BY m.person_id LIMIT 2",
        vec![d.organ.into()],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    let standing_meeting = |title: &str, at: i64| NewMeeting {
        organ_id: d.organ,
        kind: Kind::Standing,
        title: title.into(),
        starts_at: at,
        place: "市人大常委会第一会议室".into(),
        members_of: MembersOf::Standing,
        committee_id: None,
        session_id: None,
        person_ids: Vec::new(),
        observer_ids: observers.clone(),
        term: None,
        quorum: None,
        created_by: None,
    };
    let n = standing.len() as i64;

    // 1. Two months ago: a budget resolution (named) and an appointment (secret), both passed.
    let at = now - 60 * DAY;
    let m = c.meeting(&standing_meeting("审议财政决算和人事任免事项", at), at - 7 * DAY).await?;
    for (i, p) in standing.iter().enumerate() {
        let (a, reason) = if i == 3 { (Attendance::Leave, "因公出差") } else { (Attendance::Present, "") };
        c.attend(&m, *p, a, reason, if i % 2 == 0 { Via::Door } else { Via::Staff }, at).await?;
    }
    for p in &observers {
        c.attend(&m, *p, Attendance::Observer, "", Via::Staff, at).await?;
    }
    let m = c.state(&m, State::Open, at).await?;
    let budget = service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "审议诸城市 2025 年财政决算",
            kind: ItemKind::Report,
            speakers: "市财政局局长",
            documents: "决算报告、审计工作报告",
            link: None,
        },
        at,
    )
    .await?;
    let personnel = service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "人事任免事项",
            kind: ItemKind::Personnel,
            speakers: "市人大常委会人事代表工作室",
            documents: "任免议案",
            link: None,
        },
        at,
    )
    .await?;
    let present: Vec<i64> = standing.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, p)| *p).collect();
    let present_n = present.len() as i64;
    let b1 = c
        .vote(
            &m,
            &motion("关于批准诸城市 2025 年财政决算的决议（草案）", false, HALF_OF_ALL, Some(budget)),
            &papers(&present, present.len() - 2, 1, 1),
            Some(present_n),
            at + 3600,
        )
        .await?;
    let b2 = c
        .vote(
            &m,
            &motion("关于任命诸城市教育和体育局局长的决定（草案）", true, HALF_OF_ALL, Some(personnel)),
            &papers(&present, present.len() - 1, 0, 1),
            Some(present_n),
            at + 5400,
        )
        .await?;
    let r1 = service::add_record(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewRecord {
            kind: RecordKind::Resolution,
            title: "关于批准诸城市 2025 年财政决算的决议",
            body: "批准诸城市 2025 年财政决算。会议要求市人民政府进一步加强预算执行管理，落实审计整改。",
            ballot: Some(b1),
            track: true,
            due: None,
        },
        at + 7200,
    )
    .await?;
    service::add_note(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewNote {
            record: r1,
            body: "市财政局已印发整改方案，审计查出的 12 个问题已整改 9 个。",
            to: Tracking::InProgress,
        },
        at + 30 * DAY,
    )
    .await?;
    service::add_record(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewRecord {
            kind: RecordKind::Decision,
            title: "关于任命诸城市教育和体育局局长的决定",
            body: "",
            ballot: Some(b2),
            track: false,
            due: None,
        },
        at + 7200,
    )
    .await?;
    service::add_record(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewRecord {
            kind: RecordKind::Minutes,
            title: "会议纪要",
            body: "会议听取和审议了 2025 年财政决算报告，表决通过决算决议和任命决定。",
            ballot: None,
            track: false,
            due: None,
        },
        at + 7200,
    )
    .await?;
    c.state(&m, State::Ended, at + 9000).await?;

    // 2. Three weeks ago: a regulation's draft failing two thirds, and a 满意度测评 of units.
    let at = now - 21 * DAY;
    let m = c.meeting(&standing_meeting("审议条例草案并开展满意度测评", at), at - 7 * DAY).await?;
    for p in &standing {
        c.attend(&m, *p, Attendance::Present, "", Via::Door, at).await?;
    }
    let m = c.state(&m, State::Open, at).await?;
    let draft = service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "审议《诸城市城乡环境卫生管理条例（草案）》",
            kind: ItemKind::Draft,
            speakers: "市城管局局长",
            documents: "条例草案及说明",
            link: None,
        },
        at,
    )
    .await?;
    let yes = (TWO_THIRDS_OF_ALL.needed(n) - 1).max(1) as usize;
    c.vote(
        &m,
        &motion("《诸城市城乡环境卫生管理条例（草案）》", false, TWO_THIRDS_OF_ALL, Some(draft)),
        &papers(&standing, yes, standing.len().saturating_sub(yes + 1), 1),
        Some(n),
        at + 3600,
    )
    .await?;
    let rating = NewVote {
        title: "2026 年度部门工作满意度测评".into(),
        vote_kind: VoteKind::Rating,
        secret: true,
        options: vec!["诸城市教育和体育局".into(), "诸城市卫生健康局".into(), "诸城市住房和城乡建设局".into()],
        choose_max: None,
        score_range: None,
        electorate: model::Electorate::Members,
        person_ids: Vec::new(),
        rule: None,
        changes: false,
        item_id: None,
    };
    let grades = ["satisfied", "satisfied", "basically_satisfied", "satisfied", "unsatisfied"];
    let rated: Vec<(i64, Vec<(usize, &str)>)> = standing
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, vec![(0, grades[i % 5]), (1, grades[(i + 1) % 5]), (2, grades[(i + 3) % 5])]))
        .collect();
    c.vote(&m, &rating, &rated, Some(n), at + 5400).await?;
    service::add_record(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewRecord {
            kind: RecordKind::Minutes,
            title: "会议纪要",
            body: "条例草案未获全体组成人员三分之二以上赞成，交法制委员会修改后再次审议。",
            ballot: None,
            track: false,
            due: None,
        },
        at + 7200,
    )
    .await?;
    c.state(&m, State::Ended, at + 9000).await?;

    // 3. Today: attendance under way, the quorum met, a named motion open; the members with
    // demo accounts (changwei, cw01 …) still to sign in and vote.
    let at = now - 3600;
    let mut today = standing_meeting("审议民生实事项目推进情况报告", at);
    today.observer_ids = observers.clone();
    let m = c.meeting(&today, now - 3 * DAY).await?;
    db::exec(
        txn,
        "UPDATE meetings SET stream_url = $1 WHERE id = $2",
        vec!["http://live.rd.local/zhucheng/changweihui".into(), m.id.into()],
    )
    .await?;
    // changwei (the last member) and cw01, cw02 (the first two) have not come in yet.
    let waiting = [standing[0], standing[1], standing[standing.len() - 1]];
    let others: Vec<i64> = standing.iter().copied().filter(|p| !waiting.contains(p)).collect();
    let quorum = HALF_OF_ALL.needed(n) as usize;
    for (i, p) in others.iter().enumerate() {
        if i < quorum {
            c.attend(&m, *p, Attendance::Present, "", Via::Door, at).await?;
        } else if i == quorum {
            c.attend(&m, *p, Attendance::Leave, "因病请假", Via::Staff, at).await?;
        } else if i == quorum + 1 {
            c.attend(&m, *p, Attendance::Remote, "", Via::Remote, at).await?;
        }
    }
    let m = c.state(&m, State::Open, at).await?;
    let report = service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "听取和审议市人民政府关于 2026 年民生实事项目推进情况的报告",
            kind: ItemKind::Report,
            speakers: "市人民政府副市长",
            documents: "推进情况报告",
            link: None,
        },
        at,
    )
    .await?;
    service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "审议关于加强农村饮水安全工作的审议意见（草案）",
            kind: ItemKind::Decision,
            speakers: "",
            documents: "审议意见（草案）",
            link: None,
        },
        at,
    )
    .await?;
    let voters: Vec<i64> = others.iter().take(quorum.saturating_sub(2)).copied().collect();
    c.vote(
        &m,
        &motion("关于市人民政府 2026 年民生实事项目推进情况报告的审议意见", false, HALF_OF_ALL, Some(report)),
        &papers(&voters, voters.len(), 0, 0),
        None,
        at + 1800,
    )
    .await?;
    if let Some(p) = others.first() {
        let r =
            service::add_remark(c.txn, d.key, &c.actor, &m, *p, "建议把农村供水管网维护纳入明年民生实事。", at + 600)
                .await?;
        service::moderate(c.txn, d.key, &c.actor, &m, r, RemarkState::Shown, at + 900).await?;
    }
    if let Some(p) = observers.first() {
        service::add_remark(c.txn, d.key, &c.actor, &m, *p, "城区停车难问题群众反映较多，建议专题调研。", at + 1200)
            .await?;
    }

    // 4. January: the 人代会 session — every serving deputy by 代表团 — choosing 10 of 13
    // 民生实事 projects by secret ballot, each needing more than half of the papers.
    let at = now - 330 * DAY;
    let congress = NewMeeting {
        organ_id: d.organ,
        kind: Kind::Congress,
        title: "人民代表大会第五次会议".into(),
        starts_at: at,
        place: "诸城市会议中心".into(),
        members_of: MembersOf::Congress,
        committee_id: None,
        session_id: None,
        person_ids: Vec::new(),
        observer_ids: Vec::new(),
        term: None,
        quorum: Some(TWO_THIRDS_OF_ALL),
        created_by: None,
    };
    let m = c.meeting(&congress, at - 30 * DAY).await?;
    let deputies: Vec<i64> = model::members(txn, m.id).await?.into_iter().map(|x| x.person_id).collect();
    for (i, p) in deputies.iter().enumerate() {
        let (a, reason) = if i % 23 == 7 { (Attendance::Leave, "因病请假") } else { (Attendance::Present, "") };
        c.attend(&m, *p, a, reason, Via::Door, at).await?;
    }
    presidium_and_its_meeting(&c, &m, &organ.path, at).await?;
    let m = c.state(&m, State::Open, at).await?;
    let item = service::add_item(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewItem {
            title: "票决 2027 年民生实事项目",
            kind: ItemKind::Project,
            speakers: "",
            documents: "候选项目说明",
            link: None,
        },
        at,
    )
    .await?;
    let choose = NewVote {
        title: "2027 年民生实事项目票决".into(),
        vote_kind: VoteKind::Choose,
        secret: true,
        options: PROJECTS.iter().map(|s| s.to_string()).collect(),
        choose_max: Some(10),
        score_range: None,
        electorate: model::Electorate::Members,
        person_ids: Vec::new(),
        rule: Some(HALF_OF_VOTES),
        changes: false,
        item_id: Some(item),
    };
    // Each paper leaves out three projects, more often the later ones.
    let voting: Vec<i64> = deputies.iter().enumerate().filter(|(i, _)| i % 23 != 7).map(|(_, p)| *p).collect();
    let papers: Vec<(i64, Vec<(usize, &str)>)> = voting
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let out = [12 - k % 3, 9 + k % 4, 5 + (k * 7) % 8];
            (*p, (0..13).filter(|j| !out.contains(j)).take(10).map(|j| (j, "yes")).collect())
        })
        .collect();
    let present_n = voting.len() as i64;
    let b = c.vote(&m, &choose, &papers, Some(present_n), at + 2 * 3600).await?;
    service::add_record(
        c.txn,
        d.key,
        &c.actor,
        &m,
        NewRecord {
            kind: RecordKind::Resolution,
            title: "关于 2027 年民生实事项目的决议",
            body: "大会以无记名投票方式票决产生 2027 年民生实事项目 10 项，由市人民政府组织实施，市人大常委会监督。",
            ballot: Some(b),
            track: true,
            due: None,
        },
        at + 3 * 3600,
    )
    .await?;
    c.state(&m, State::Ended, at + 4 * 3600).await?;
    Ok(())
}

/// The session's 主席团, elected at the 预备会议 — the 常委会 members who are deputies of the
/// session (主任 and 副主任 as 常务主席, its 秘书长 as the session's 秘书长) and the first deputy of
/// each 代表团 (the first two 执行主席) — and its first meeting that morning, which adopts the
/// session's agenda by a named vote (closed, 通过).
async fn presidium_and_its_meeting(c: &Ctx<'_>, session: &model::Meeting, organ_path: &str, at: i64) -> AppResult<()> {
    use super::model::PresidiumRole as R;
    let deputies = model::members(c.txn, session.id).await?;
    let sits = |p: i64| deputies.iter().any(|x| x.person_id == p);
    let mut seats: Vec<(i64, R)> = Vec::new();
    for m in crate::registry::structure::standing_members(c.txn, organ_path).await? {
        if !sits(m.person_id) || seats.iter().any(|(p, _)| *p == m.person_id) {
            continue;
        }
        let role = match m.role.as_str() {
            "主任" | "副主任" => R::StandingChair,
            "秘书长" => R::SecretaryGeneral,
            _ => R::Member,
        };
        seats.push((m.person_id, role));
    }
    let mut presiding = 0;
    let mut delegation = "";
    for x in &deputies {
        if x.delegation == delegation || seats.iter().any(|(p, _)| *p == x.person_id) || seats.len() >= 25 {
            continue;
        }
        delegation = &x.delegation;
        seats.push((x.person_id, if presiding < 2 { R::Presiding } else { R::Member }));
        presiding += 1;
    }
    super::presidium::set(c.txn, c.d.key, &c.actor, session, &seats).await?;
    let call = NewMeeting {
        organ_id: c.d.organ,
        kind: Kind::Presidium,
        title: format!("{}主席团第一次会议", session.title),
        starts_at: at - 3 * 3600,
        place: "诸城市会议中心第二会议室".into(),
        members_of: MembersOf::Presidium,
        committee_id: None,
        session_id: Some(session.id),
        person_ids: Vec::new(),
        observer_ids: Vec::new(),
        term: None,
        quorum: None,
        created_by: None,
    };
    let at = at - 3 * 3600;
    let m = c.meeting(&call, at - DAY).await?;
    let members = model::members(c.txn, m.id).await?;
    let voters: Vec<i64> = members.iter().filter(|x| x.is_member()).map(|x| x.person_id).collect();
    // One member on leave, the 秘书长 列席.
    let away = voters.get(4).copied();
    for x in &members {
        let a = match x.is_member() {
            false => Attendance::Observer,
            true if Some(x.person_id) == away => Attendance::Leave,
            true => Attendance::Present,
        };
        c.attend(&m, x.person_id, a, if a == Attendance::Leave { "因公请假" } else { "" }, Via::Door, at).await?;
    }
    let m = c.state(&m, State::Open, at).await?;
    let item = service::add_item(
        c.txn,
        c.d.key,
        &c.actor,
        &m,
        NewItem {
            title: "通过大会议程草案，提请大会全体会议表决",
            kind: ItemKind::Decision,
            speakers: "大会秘书长",
            documents: "大会议程（草案）、日程（草案）",
            link: None,
        },
        at,
    )
    .await?;
    let present: Vec<i64> = voters.iter().filter(|p| Some(**p) != away).copied().collect();
    let papers = papers(&present, present.len() - 1, 0, 1);
    let v = motion("通过大会议程", false, HALF_OF_ALL, Some(item));
    c.vote(&m, &v, &papers, Some(present.len() as i64), at + 600).await?;
    c.state(&m, State::Ended, at + 1800).await?;
    Ok(())
}
