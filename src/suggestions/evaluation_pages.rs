//! The pages of the year-end 满意度测评 (SUG-10): the list (staff: the organ's 测评 and the form
//! to open one; a deputy: the 测评 they take part in), a 测评's page (a deputy's paper on the
//! phone — every unit with its three grades, one submit — or that they voted; staff: turnout,
//! the ranking, 结束投票, 公布结果, the .xlsx for 组织部 / 考核办), and the public page of the
//! published results (counts only, nothing of who voted).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::evaluation::{self, Electorate, KIND, Opening, UnitResult};
use super::group_evaluation::GroupEvaluation;
use super::sendings::{self, Sending};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId};
use crate::app::forms::{Opt, opts};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource};
use crate::ballot::api::{may_see_tally, seen};
use crate::ballot::model::{self as ballots, Ballot, Choice, Mark, Subject};
use crate::ballot::service;
use crate::ballot::tally::percent;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/evaluations", get(list).post(open))
        .route("/console/suggestions/evaluations/{id}", get(page_of))
        .route("/console/suggestions/evaluations/{id}/vote", post(vote))
        .route("/console/suggestions/evaluations/{id}/act", post(act))
        .route("/console/suggestions/evaluations/{id}/export", get(export))
        .route("/console/suggestions/evaluations/{id}/send", post(send))
        .route("/console/suggestions/evaluations/sendings/{id}/file", get(sent_file))
        .route("/evaluations", get(public_list))
        .route("/evaluations/{id}", get(public_page))
}

fn this_year() -> i64 {
    i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(crate::db::now())))
}

/// Staff of the caller's organ may open a 测评 there.
fn may_open(p: &Principal) -> bool {
    allows(p, Action::Update, &Resource::Ballot { organ_path: &p.organ_path, elector: false, watcher: false })
}

/// A 测评 the caller may see (and act on): the ballot, and `Some(voted)` for an elector.
async fn evaluation_seen(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Ballot, Option<bool>)> {
    let (b, voted) = seen(s, p, ip, id, action).await?;
    if b.kind != KIND {
        return Err(AppError::NotFound);
    }
    Ok((b, voted))
}

/// A line of the list.
struct Line {
    b: Ballot,
    /// For a deputy: voted or not.
    voted: Option<bool>,
}

#[derive(Template)]
#[template(path = "suggestions/evaluations.html")]
struct ListTpl {
    l: Layout,
    lines: Vec<Line>,
    can_open: bool,
    year: i64,
    electorates: Vec<Opt>,
}

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let worker =
        allows(&p, Action::View, &Resource::Ballot { organ_path: &p.organ_path, elector: false, watcher: false });
    let mut lines: Vec<Line> = Vec::new();
    if worker {
        lines.extend(ballots::of_kind(&s.db, KIND, &p.organ_path).await?.into_iter().map(|b| Line { b, voted: None }));
    }
    if let Some(person) = p.deputy_id {
        for (b, voted) in ballots::for_elector(&s.db, Some(KIND), person).await? {
            if !lines.iter().any(|l| l.b.id == b.id) {
                lines.push(Line { b, voted: Some(voted) });
            }
        }
    }
    if !worker && p.deputy_id.is_none() {
        return Err(AppError::NotFound);
    }
    render(&ListTpl {
        l: page.layout("满意度测评", &[("/console/suggestions", "代表建议")]),
        lines,
        can_open: may_open(&p),
        year: this_year(),
        electorates: opts(Electorate::ALL.map(|e| (e.as_str(), e.label())), "all"),
    })
}

#[derive(Deserialize, Default)]
struct OpenForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    electorate: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    named: bool,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    aspects: bool,
}

async fn open(Caller { p, s, ip }: Caller, Form(f): Form<OpenForm>) -> AppResult<Response> {
    let at_organ = Resource::Ballot { organ_path: &p.organ_path, elector: false, watcher: false };
    crate::app::guard::check(&s, &p, &ip, Action::Update, &at_organ, "new").await?;
    let year = f.year.parse::<i64>().map_err(|_| AppError::invalid("year", "请填写年度（如 2026）"))?;
    let electorate =
        Electorate::parse(&f.electorate).ok_or_else(|| AppError::invalid("electorate", "请选择参加测评的代表"))?;
    let o = Opening { year, electorate, secret: !f.named, aspects: f.aspects };
    let now = crate::db::now();
    let organ = p.organ_id;
    let id = write(&s, &p, &ip, async |w| evaluation::open(w.txn(), w.key(), w.actor(), organ, &o, now).await).await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/evaluations/{id}"), "测评已开始，代表可在手机上投票"))
}

/// A unit on a deputy's paper with its subjects (the whole, or 态度·措施·实效).
struct PaperUnit {
    name: String,
    subjects: Vec<Subject>,
}

#[derive(Template)]
#[template(path = "suggestions/evaluation.html")]
struct PageTpl {
    l: Layout,
    b: Ballot,
    choices: Vec<Choice>,
    /// The paper, for an elector who has not voted on an open 测评.
    paper: Vec<PaperUnit>,
    /// `Some(voted)` for an elector.
    voted: Option<bool>,
    results: Vec<UnitResult>,
    show_results: bool,
    aspects: bool,
    electors: i64,
    turnout_voted: i64,
    turnout: String,
    can_manage: bool,
    /// For the organ's workers: the deputy groups' written evaluations of the year and the
    /// sendings of the result; for staff once closed, the organ's units to send it to.
    read: Vec<GroupEvaluation>,
    sendings: Vec<Sending>,
    units: Vec<Opt>,
}

async fn page_of(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (b, voted) = evaluation_seen(&s, &p, &ip, id, Action::View).await?;
    let choices = ballots::choices(&s.db, id).await?;
    let subjects = ballots::subjects(&s.db, id).await?;
    let aspects = subjects.iter().any(|x| !x.part.is_empty());
    let mut paper: Vec<PaperUnit> = Vec::new();
    if voted == Some(false) && b.is_open() {
        for x in subjects {
            match paper.last_mut() {
                Some(u) if u.subjects.first().is_some_and(|f| f.ref_id == x.ref_id) => u.subjects.push(x),
                _ => paper
                    .push(PaperUnit {
                        name: x.title.split(" · ").next().unwrap_or("").to_string(), subjects: vec![x]
                    }),
            }
        }
    }
    let show_results = may_see_tally(&s, &p, &b);
    let t = ballots::tally(&s.db, &s.crypto, &b).await?;
    let can_manage = allows(
        &p,
        Action::Update,
        &Resource::Ballot { organ_path: &b.organ_path, elector: voted.is_some(), watcher: false },
    );
    let worker =
        allows(&p, Action::View, &Resource::Ballot { organ_path: &b.organ_path, elector: false, watcher: false });
    let (read, sendings) = match (worker, b.period.parse::<i64>()) {
        (true, Ok(year)) => {
            (super::group_evaluation::of_year(&s.db, b.organ_id, year).await?, sendings::of_ballot(&s.db, id).await?)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let units = if can_manage && !b.is_open() {
        let f = crate::org::units::UnitFilter {
            organ_path: b.organ_path.clone(),
            active: Some(true),
            ..Default::default()
        };
        crate::org::units::units(&s.db, &f)
            .await?
            .into_iter()
            .map(|u| Opt { value: u.id.to_string(), label: u.name, selected: false })
            .collect()
    } else {
        Vec::new()
    };
    render(&PageTpl {
        read,
        sendings,
        units,
        l: page.layout(
            &b.title,
            &[("/console/suggestions", "代表建议"), ("/console/suggestions/evaluations", "满意度测评")],
        ),
        choices,
        paper,
        voted,
        results: if show_results { evaluation::results(&t) } else { Vec::new() },
        show_results,
        aspects,
        electors: t.electors,
        turnout_voted: t.voted,
        turnout: percent(t.turnout),
        can_manage,
        b,
    })
}

/// A deputy's paper: `s{subject}` = grade, for every subject.
async fn vote(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (b, _) = evaluation_seen(&s, &p, &ip, id, Action::Create).await?;
    let subjects = ballots::subjects(&s.db, id).await?;
    let mut votes: Vec<(i64, Mark)> = Vec::new();
    for (k, v) in &pairs {
        if let Some(subject) = k.strip_prefix('s').and_then(|x| x.parse::<i64>().ok())
            && !v.trim().is_empty()
        {
            votes.push((subject, Mark::Option(v.trim().to_string())));
        }
    }
    let missing = subjects.iter().filter(|x| !votes.iter().any(|(v, _)| *v == x.id)).count();
    if missing > 0 && b.is_open() {
        return Err(AppError::invalid("votes", format!("请对每个单位作出选择（还有 {missing} 项未选）")));
    }
    let person = p.deputy_id.ok_or(AppError::NotFound)?;
    write(&s, &p, &ip, async |w| service::cast(w.txn(), w.key(), &s.crypto, w.actor(), &b, person, &votes).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/evaluations/{id}"), "投票成功，谢谢您的参与"))
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    action: String,
}

/// 结束投票 or 公布结果.
async fn act(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<ActForm>) -> AppResult<Response> {
    let (b, _) = evaluation_seen(&s, &p, &ip, id, Action::Update).await?;
    let now = crate::db::now();
    let done = match f.action.as_str() {
        "close" => "投票已结束",
        "publish" => "测评结果已公布",
        _ => return Err(AppError::BadRequest("未知的操作".into())),
    };
    write(&s, &p, &ip, async |w| match f.action.as_str() {
        "close" => service::close(w.txn(), w.key(), &s.crypto, w.actor(), &b, None, now).await,
        _ => service::publish(w.txn(), w.key(), w.actor(), &b, now).await,
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/evaluations/{id}"), done))
}

/// The result as .xlsx for 组织部 / 考核办: staff, once closed.
async fn export(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = evaluation_seen(&s, &p, &ip, id, Action::Update).await?;
    if b.is_open() {
        return Err(AppError::Conflict("投票结束后才能导出结果".into()));
    }
    let t = ballots::tally(&s.db, &s.crypto, &b).await?;
    let (title, headers, rows) = evaluation::export_rows(&b, &t);
    Ok(crate::app::listing::download(None, &title, &headers, rows))
}

/// Sends the closed result to the assessment departments: `departments` (free names),
/// repeated `unit` (the organ's units), `note`. The workbook is made now and kept as sent.
async fn send(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (b, _) = evaluation_seen(&s, &p, &ip, id, Action::Update).await?;
    if b.is_open() {
        return Err(AppError::Conflict("投票结束后才能报送测评结果".into()));
    }
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let names = sendings::names(&get("departments"))?;
    let units = pairs
        .iter()
        .filter(|(n, _)| n == "unit")
        .map(|(_, v)| v.trim().parse::<i64>().map_err(|_| AppError::invalid("units", "单位编号应为数字")))
        .collect::<AppResult<Vec<i64>>>()?;
    let note = get("note");
    let t = ballots::tally(&s.db, &s.crypto, &b).await?;
    let year = b.period.parse::<i64>().unwrap_or_default();
    let written = super::group_evaluation::of_year(&s.db, b.organ_id, year).await?;
    let bytes = sendings::workbook(&b, &t, &written);
    let file_name = format!("{}（报送）.xlsx", b.title);
    let upload = crate::attachments::Upload { file_name: &file_name, bytes: &bytes };
    let prepared = crate::attachments::prepare(&upload, &["application/zip"], 64 * 1024 * 1024).await?;
    let storage = s.storage.clone();
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| {
        sendings::send(w.txn(), storage.as_ref(), w.key(), w.actor(), &b, &names, &units, &note, &prepared, now).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/evaluations/{id}"), "测评结果已报送，报送的文件已存档"))
}

/// A sending's file as it was sent, for the organ's workers and the units it went to.
async fn sent_file(Auth(p): Auth, State(s): State<AppState>, PathId(id): PathId) -> AppResult<Response> {
    let (bytes, stem) = sendings::file_of(&s, &p, id).await?;
    Ok(crate::app::listing::xlsx(bytes, &stem))
}

#[derive(Template)]
#[template(path = "suggestions/evaluation_public.html")]
struct PublicTpl {
    organ_name: String,
    ballots: Vec<Ballot>,
    /// The one shown, with its lines.
    shown: Option<Ballot>,
    results: Vec<UnitResult>,
    aspects: bool,
    electors: i64,
    voted: i64,
}

async fn public_view(s: &AppState, id: Option<i64>) -> AppResult<Response> {
    let organ = crate::org::default_organ(&s.db).await?.ok_or(AppError::NotFound)?;
    let all = ballots::published(&s.db, KIND).await?;
    let shown = match id {
        Some(id) => Some(all.iter().find(|b| b.id == id).cloned().ok_or(AppError::NotFound)?),
        None => all.first().cloned(),
    };
    let (results, aspects, electors, voted) = match &shown {
        Some(b) => {
            let t = ballots::tally(&s.db, &s.crypto, b).await?;
            let aspects = t.subjects.iter().any(|x| !x.subject.part.is_empty());
            (evaluation::results(&t), aspects, t.electors, t.voted)
        }
        None => (Vec::new(), false, 0, 0),
    };
    render(&PublicTpl { organ_name: organ.name, ballots: all, shown, results, aspects, electors, voted })
}

async fn public_list(State(s): State<AppState>) -> AppResult<Response> {
    public_view(&s, None).await
}

async fn public_page(State(s): State<AppState>, PathId(id): PathId) -> AppResult<Response> {
    public_view(&s, Some(id)).await
}
