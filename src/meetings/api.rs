//! The meetings API (stable; in OpenAPI): staff create a meeting (`kind`, `title`, `starts_at`,
//! `members_of`), read it with its members' attendance and the quorum, record attendance
//! (a participant may record their own 出席 or 云列席), and prepare its ballots (`kind`, `secret`,
//! `options`, `choose_max`, `electorate`, `rule`). Opening, closing, publishing, voting, the
//! detail and the live events of a ballot are the ballot API's (`/api/v1/ballots/{id}/…`).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::model::{
    self, Attendance, Electorate, Kind, Meeting, Member, MembersOf, PresidiumMember, PresidiumRole, Quorum, RecordKind,
    Tracking,
};
use super::service::{self, NewMeeting, NewVote, Via};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ClientIp, PathId, Query, strict};
use crate::app::guard;
use crate::app::openapi::{Operation, PAGING, Param, param, schema};
use crate::app::paging::{Page, PageQuery, paginate};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal, Resource};
use crate::ballot::model::VoteKind;
use crate::ballot::result::Outcome;
use crate::ballot::tally::Rule;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/meetings", get(list).post(create))
        .route("/api/v1/meetings/{id}", get(detail))
        .route("/api/v1/meetings/{id}/attendance", post(attendance))
        .route("/api/v1/meetings/{id}/presidium", post(set_presidium))
        .route("/api/v1/meetings/{id}/ballots", post(add_ballot))
        .route("/api/v1/meetings/{id}/records", post(add_record))
        .route("/api/v1/meeting-records", get(records))
        .route("/api/v1/meeting-records/{id}", get(record))
        .route("/api/v1/meeting-records/{id}/notes", post(add_note))
}

/// A meeting the caller may see (and act on), with the caller's own seat if they have one.
pub async fn seen(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Meeting, Option<Member>)> {
    let m = model::meeting(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let mine = match p.deputy_id {
        Some(person) => model::member(&s.db, id, person).await?,
        None => None,
    };
    let r = Resource::Meeting { organ_path: &m.organ_path, participant: mine.is_some() };
    guard::check_seen(s, p, ip, action, &r, &id.to_string()).await?;
    Ok((m, mine))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct List {
    pub items: Vec<Meeting>,
}

/// The meetings of the caller's organ and below (organ workers) and those they sit in.
async fn list(Caller { p, s, .. }: Caller) -> AppResult<Response> {
    let worker = crate::auth::authz::allows(
        &p,
        Action::View,
        &Resource::Meeting { organ_path: &p.organ_path, participant: false },
    );
    let mut items = if worker { model::of_organs(&s.db, &p.organ_path, 200).await? } else { Vec::new() };
    if let Some(person) = p.deputy_id {
        for m in model::of_person(&s.db, person, 200).await? {
            if !items.iter().any(|x| x.id == m.id) {
                items.push(m);
            }
        }
    }
    Ok(axum::Json(List { items }).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingIn {
    pub kind: Option<Kind>,
    pub title: String,
    /// RFC 3339 (`2026-12-18T09:00:00+08:00`).
    pub starts_at: String,
    /// Whose members sit: `standing` (常委会组成人员), `chairs`, `committee` (with
    /// `committee_id`), `congress` (every serving deputy, by 代表团), `list` (`person_ids`),
    /// `presidium` (the 主席团 of the 人代会 session `session_id`; `kind` is then `presidium`).
    pub members_of: Option<MembersOf>,
    pub committee_id: Option<i64>,
    /// The 人代会 session whose 主席团 sits (`members_of` `presidium`).
    pub session_id: Option<i64>,
    #[schemars(length(max = 5000))]
    #[serde(default)]
    pub person_ids: Vec<i64>,
    /// 列席 invitees (persons of the registry).
    #[schemars(length(max = 5000))]
    #[serde(default)]
    pub observer_ids: Vec<i64>,
    /// 届 of a numbered meeting (default: the organ's current term).
    pub term: Option<i64>,
    #[serde(default)]
    pub place: String,
    /// The quorum as a fraction of all members (default more than half).
    pub quorum: Option<Rule>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
}

fn parse_time(field: &str, s: &str) -> AppResult<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp())
        .map_err(|_| AppError::invalid(field, "时间应为 RFC 3339 格式，如 2026-12-18T09:00:00+08:00"))
}

async fn create(Caller { p, s, ip }: Caller, ApiJson(v): ApiJson<serde_json::Value>) -> AppResult<Response> {
    let at_organ = Resource::Meeting { organ_path: &p.organ_path, participant: false };
    guard::check(&s, &p, &ip, Action::Update, &at_organ, "new").await?;
    let body: NewMeetingIn = strict(v)?;
    let n = NewMeeting {
        organ_id: p.organ_id,
        kind: body.kind.ok_or_else(|| AppError::invalid("kind", "请选择会议类别"))?,
        title: body.title,
        starts_at: parse_time("starts_at", &body.starts_at)?,
        place: body.place,
        members_of: body.members_of.ok_or_else(|| AppError::invalid("members_of", "请选择参会的组成人员"))?,
        committee_id: body.committee_id,
        session_id: body.session_id,
        person_ids: body.person_ids,
        observer_ids: body.observer_ids,
        term: body.term,
        quorum: body.quorum,
        created_by: Some(p.account_id),
    };
    if n.title.trim().is_empty() {
        return Err(AppError::invalid("title", "请填写会议名称"));
    }
    let now = crate::db::now();
    let id = write(&s, &p, &ip, async |w| service::create(w.txn(), w.key(), w.actor(), &n, now).await).await?;
    Ok((StatusCode::CREATED, [("location", format!("/api/v1/meetings/{id}"))], axum::Json(Created { id }))
        .into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct BallotLine {
    pub id: i64,
    pub title: String,
    #[schemars(with = "crate::ballot::model::State")]
    pub state: String,
    #[schemars(with = "VoteKind")]
    pub vote_kind: String,
    pub secret: bool,
    pub item_id: Option<i64>,
    #[schemars(with = "Electorate")]
    pub electorate: String,
    /// 通过 / 未通过 by the rule, once closed (a motion).
    pub passed: Option<bool>,
}

/// Which body sits in a meeting.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Sitting {
    #[schemars(with = "MembersOf")]
    pub members_of: String,
    /// The body in words: 「常委会组成人员」, 「人民代表大会第五次会议主席团」 ….
    pub name: String,
    /// The 人代会 session whose 主席团 sits.
    pub session_id: Option<i64>,
    /// The committee of a 专门委员会会议.
    pub committee_id: Option<i64>,
}

/// The body that sits in `m`, named.
pub async fn sitting(s: &AppState, m: &Meeting) -> AppResult<Sitting> {
    let of = MembersOf::parse(&m.members_of).unwrap_or(MembersOf::List);
    let name = match m.session_id {
        Some(session) if of == MembersOf::Presidium => {
            let x = model::meeting(&s.db, session).await?.ok_or(AppError::NotFound)?;
            format!("{}主席团", x.numbered().unwrap_or(x.title))
        }
        _ => of.label().to_string(),
    };
    Ok(Sitting { members_of: m.members_of.clone(), name, session_id: m.session_id, committee_id: m.committee_id })
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub meeting: Meeting,
    /// 「第十四届人大常委会第九次会议」 for a numbered meeting.
    pub numbered: Option<String>,
    /// Which body sits.
    pub sitting: Sitting,
    /// A 人代会 session's 主席团 (empty for other meetings).
    pub presidium: Vec<PresidiumMember>,
    /// A 人代会 session's 主席团会议 (ids, in order).
    pub presidium_meetings: Vec<i64>,
    pub members: Vec<Member>,
    pub quorum: Quorum,
    pub agenda: Vec<model::Item>,
    pub ballots: Vec<BallotLine>,
    pub records: Vec<model::Record>,
}

/// The meeting's ballots with their outcome where the caller may see it.
pub async fn ballot_lines(s: &AppState, p: &Principal, m: &Meeting) -> AppResult<Vec<BallotLine>> {
    let mut out = Vec::new();
    for mb in model::ballots(&s.db, m.id).await? {
        let Some(b) = crate::ballot::model::ballot(&s.db, mb.ballot_id).await? else { continue };
        let passed = if b.is_closed() && crate::ballot::api::may_see_tally(s, p, &b) {
            let t = crate::ballot::model::tally(&s.db, &s.crypto, &b).await?;
            crate::ballot::result::outcome(&b, &t).passed
        } else {
            None
        };
        out.push(BallotLine {
            id: b.id,
            title: b.title,
            state: b.state,
            vote_kind: b.vote_kind,
            secret: b.secret,
            item_id: mb.item_id,
            electorate: mb.electorate,
            passed,
        });
    }
    Ok(out)
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::View).await?;
    let out = Detail {
        numbered: m.numbered(),
        sitting: sitting(&s, &m).await?,
        presidium: model::presidium(&s.db, id).await?,
        presidium_meetings: model::of_session(&s.db, id).await?.into_iter().map(|x| x.id).collect(),
        members: model::members(&s.db, id).await?,
        quorum: model::quorum(&s.db, &m).await?,
        agenda: model::items(&s.db, id).await?,
        ballots: ballot_lines(&s, &p, &m).await?,
        records: model::records(&s.db, id).await?,
        meeting: m,
    };
    Ok(axum::Json(out).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceIn {
    pub person_id: i64,
    /// `present` 出席, `remote` 云列席, `leave` 请假 (with `reason`), `absent` 缺席, `observer` 列席.
    pub state: Option<Attendance>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct AttendanceOut {
    pub quorum: Quorum,
}

/// Staff record anyone's attendance; a participant records only their own 出席 or 云列席.
async fn attendance(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (m, mine) = seen(&s, &p, &ip, id, Action::View).await?;
    let staff = crate::auth::authz::allows(
        &p,
        Action::Update,
        &Resource::Meeting { organ_path: &m.organ_path, participant: mine.is_some() },
    );
    let body: AttendanceIn = if staff {
        strict(v)?
    } else {
        guard::check(
            &s,
            &p,
            &ip,
            Action::Create,
            &Resource::Meeting { organ_path: &m.organ_path, participant: mine.is_some() },
            &id.to_string(),
        )
        .await?;
        let body: AttendanceIn = strict(v)?;
        let own = mine.as_ref().is_some_and(|x| x.person_id == body.person_id);
        if !own || !matches!(body.state, Some(Attendance::Present | Attendance::Remote | Attendance::Observer)) {
            return Err(AppError::Forbidden("只能为本人签到（出席或云列席），其他出席情况由工作人员登记".into()));
        }
        body
    };
    let state = body.state.ok_or_else(|| AppError::invalid("state", "请选择出席情况"))?;
    let via = if staff { Via::Staff } else { Via::Remote };
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| {
        let mark = service::Mark { person: body.person_id, state, reason: &body.reason, via };
        service::attend(w.txn(), w.key(), w.actor(), &m, mark, now).await?;
        crate::ballot::live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await?;
    Ok(axum::Json(AttendanceOut { quorum: model::quorum(&s.db, &m).await? }).into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresidiumSeatIn {
    pub person_id: i64,
    /// `standing_chair` 常务主席, `presiding` 执行主席, `member` 主席团成员, `secretary_general` 秘书长.
    pub role: PresidiumRole,
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresidiumIn {
    /// The whole 主席团 (replaces the list before), each one of the session's deputies.
    #[schemars(length(min = 1, max = 200))]
    pub members: Vec<PresidiumSeatIn>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PresidiumOut {
    pub presidium: Vec<PresidiumMember>,
}

/// Staff of the organ set a session's 主席团.
async fn set_presidium(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let body: PresidiumIn = strict(v)?;
    let members: Vec<(i64, PresidiumRole)> = body.members.iter().map(|x| (x.person_id, x.role)).collect();
    write(&s, &p, &ip, async |w| {
        super::presidium::set(w.txn(), w.key(), w.actor(), &m, &members).await?;
        crate::ballot::live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await?;
    Ok(axum::Json(PresidiumOut { presidium: model::presidium(&s.db, id).await? }).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBallotIn {
    pub title: String,
    /// `motion` 表决, `choose` 差额选择, `rating` 满意度测评, `score` 评议打分.
    pub kind: Option<VoteKind>,
    /// 无记名投票 (default true).
    pub secret: Option<bool>,
    /// The candidates of a 差额 ballot; the subjects rated or scored (none: the title).
    #[schemars(length(max = 500))]
    #[serde(default)]
    pub options: Vec<String>,
    pub choose_max: Option<i64>,
    pub score_min: Option<i64>,
    pub score_max: Option<i64>,
    /// `members`, `members_and_observers` (never on 人事任免), `list` (`person_ids`).
    pub electorate: Option<Electorate>,
    #[schemars(length(max = 5000))]
    #[serde(default)]
    pub person_ids: Vec<i64>,
    /// The rule to pass: `{"base": "all_members|present|valid_votes", "num": 1, "den": 2, "strict": true}`.
    pub rule: Option<Rule>,
    /// A named ballot may let voters change their vote until it closes.
    #[serde(default)]
    pub changes: bool,
    /// The agenda item it decides.
    pub item_id: Option<i64>,
}

async fn add_ballot(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let body: NewBallotIn = strict(v)?;
    let vote = NewVote {
        title: body.title,
        vote_kind: body.kind.ok_or_else(|| AppError::invalid("kind", "请选择表决方式"))?,
        secret: body.secret.unwrap_or(true),
        options: body.options,
        choose_max: body.choose_max,
        score_range: match (body.score_min, body.score_max) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => return Err(AppError::invalid("score_max", "请同时给出最低分和最高分")),
        },
        electorate: body.electorate.unwrap_or(Electorate::Members),
        person_ids: body.person_ids,
        rule: body.rule,
        changes: body.changes,
        item_id: body.item_id,
    };
    let now = crate::db::now();
    let ballot = write(&s, &p, &ip, async |w| {
        let b = service::add_ballot(w.txn(), w.key(), w.actor(), &m, &vote, now).await?;
        crate::ballot::live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(b)
    })
    .await?;
    Ok((StatusCode::CREATED, [("location", format!("/api/v1/ballots/{ballot}"))], axum::Json(Created { id: ballot }))
        .into_response())
}

// ------------------------------------------------------------------ records (MTG-7)

/// The outcome of a closed ballot (None while it is not closed).
pub async fn outcome_of(s: &AppState, ballot: i64) -> AppResult<Option<Outcome>> {
    let Some(b) = crate::ballot::model::ballot(&s.db, ballot).await? else { return Ok(None) };
    if !b.is_closed() {
        return Ok(None);
    }
    let t = crate::ballot::model::tally(&s.db, &s.crypto, &b).await?;
    Ok(Some(crate::ballot::result::outcome(&b, &t)))
}

/// The vote figures in one line: 「赞成 20、反对 3、弃权 2，未按 4：通过」.
pub fn figures(o: &Outcome) -> String {
    let counts = match o.subjects.as_slice() {
        [one] => one.counts.iter().map(|c| format!("{} {}", c.label, c.count)).collect::<Vec<_>>().join("、"),
        many => format!("{} 项", many.len()),
    };
    let verdict = match o.passed {
        Some(true) => "：通过",
        Some(false) => "：未通过",
        None => "",
    };
    format!("{counts}，未按 {}{verdict}", o.not_voted)
}

/// A resolution or decision of the register, with the vote that adopted it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct AdoptedOut {
    #[serde(flatten)]
    pub record: model::Adopted,
    /// The adopting ballot's figures in one line (「赞成 20、反对 3、弃权 2，未按 4：通过」).
    pub figures: Option<String>,
    /// 通过 / 未通过 by the rule of the adopting ballot.
    pub passed: Option<bool>,
}

#[derive(Deserialize, Default)]
struct RecordsQuery {
    #[serde(flatten)]
    page: PageQuery,
    tracking: Option<String>,
}

fn trackings() -> serde_json::Value {
    serde_json::json!({"type": "string", "enum": Tracking::ALL.map(|t| t.as_str())})
}

const RECORDS_QUERY: [Param; 3] =
    [PAGING[0], PAGING[1], param("tracking", "落实情况：none / pending（待落实）/ in_progress / done", trackings)];

/// The resolutions and decisions the meetings of the caller's organ and below adopted (organ
/// workers), newest first, with their figures and implementation state.
async fn records(Caller { p, s, ip }: Caller, Query(q): Query<RecordsQuery>) -> AppResult<Response> {
    let at_organ = Resource::Meeting { organ_path: &p.organ_path, participant: false };
    guard::check(&s, &p, &ip, Action::View, &at_organ, "records").await?;
    let (limit, before) = q.page.parse()?;
    let tracking = match q.tracking.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            Tracking::parse(t)
                .ok_or_else(|| AppError::invalid("tracking", "tracking 应为 none、pending、in_progress 或 done"))?,
        ),
    };
    let rows = model::register(&s.db, &p.organ_path, tracking, before, limit + 1).await?;
    let mut items = Vec::with_capacity(rows.len());
    for record in rows {
        let o = match record.ballot_id {
            Some(b) => outcome_of(&s, b).await?,
            None => None,
        };
        items.push(AdoptedOut { figures: o.as_ref().map(figures), passed: o.and_then(|o| o.passed), record });
    }
    Ok(axum::Json(paginate(items, limit, |a| a.record.record_id)).into_response())
}

/// One record of a meeting with its implementation notes and the outcome of its ballot.
#[derive(Serialize, schemars::JsonSchema)]
pub struct RecordOut {
    #[serde(flatten)]
    pub record: model::Record,
    pub meeting_title: String,
    pub notes: Vec<model::Note>,
    pub figures: Option<String>,
    /// The adopting ballot's outcome: the rule, the counts per option, 通过 / 未通过 and why.
    pub outcome: Option<Outcome>,
}

async fn record_out(s: &AppState, m: &Meeting, id: i64) -> AppResult<RecordOut> {
    let record = model::record(&s.db, id).await?.filter(|r| r.meeting_id == m.id).ok_or(AppError::NotFound)?;
    let outcome = match record.ballot_id {
        Some(b) => outcome_of(s, b).await?,
        None => None,
    };
    let notes = model::notes(&s.db, m.id).await?.into_iter().filter(|n| n.record_id == id).collect();
    Ok(RecordOut { figures: outcome.as_ref().map(figures), outcome, notes, meeting_title: m.title.clone(), record })
}

/// The record and its meeting, for whoever may see the meeting (`action` on it).
async fn record_seen(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Meeting> {
    let r = model::record(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(seen(s, p, ip, r.meeting_id, action).await?.0)
}

async fn record(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let m = record_seen(&s, &p, &ip, id, Action::View).await?;
    Ok(axum::Json(record_out(&s, &m, id).await?).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecordIn {
    /// `minutes` 会议纪要, `resolution` 决议, `decision` 决定.
    pub kind: Option<RecordKind>,
    #[schemars(length(max = 200))]
    pub title: String,
    #[schemars(length(max = 20000))]
    #[serde(default)]
    pub body: String,
    /// The closed ballot of the meeting that adopted it.
    pub ballot_id: Option<i64>,
    /// Follow its implementation (a resolution or decision; default true).
    pub track: Option<bool>,
    /// 落实期限 `YYYY-MM-DD` (default: 90 days after today).
    pub due_date: Option<String>,
}

async fn add_record(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let body: NewRecordIn = strict(v)?;
    let due = match body.due_date.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            crate::app::fmt::parse_iso_date(d)
                .ok_or_else(|| AppError::invalid("due_date", "日期格式应为 YYYY-MM-DD"))?,
        ),
    };
    let r = service::NewRecord {
        kind: body.kind.ok_or_else(|| AppError::invalid("kind", "请选择记录类别"))?,
        title: &body.title,
        body: &body.body,
        ballot: body.ballot_id,
        track: body.track.unwrap_or(true),
        due,
    };
    let now = crate::db::now();
    let record =
        write(&s, &p, &ip, async |w| service::add_record(w.txn(), w.key(), w.actor(), &m, r, now).await).await?;
    Ok((
        StatusCode::CREATED,
        [("location", format!("/api/v1/meeting-records/{record}"))],
        axum::Json(Created { id: record }),
    )
        .into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    #[schemars(length(max = 5000))]
    pub body: String,
    /// `in_progress` 落实中 or `done` 已落实.
    pub tracking: Option<Tracking>,
}

async fn add_note(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let m = record_seen(&s, &p, &ip, id, Action::Update).await?;
    let body: NoteIn = strict(v)?;
    let to = body.tracking.ok_or_else(|| AppError::invalid("tracking", "请选择落实中或已落实"))?;
    let now = crate::db::now();
    let note = service::NewNote { record: id, body: &body.body, to };
    write(&s, &p, &ip, async |w| service::add_note(w.txn(), w.key(), w.actor(), &m, note, now).await).await?;
    Ok(axum::Json(record_out(&s, &m, id).await?).into_response())
}

const TAG: &str = "会议与表决";

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/meetings", "会议列表：本机关及下级的会议（机关工作人员），本人参加的会议", TAG, schema::<List>).signed_in(),
    Operation::post(
        "/api/v1/meetings",
        "新建会议（机关工作人员）：类别、名称、开始时间、参会组成人员（从代表登记中取得；主席团会议为 members_of=presidium 及所属大会 session_id），常委会会议按届自动编次，主席团会议按大会编次",
        TAG,
        schema::<NewMeetingIn>,
        schema::<Created>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/meetings/{id}",
        "会议详情：参会的组成人员来自哪个机构（sitting）、参会人员及出席情况、法定人数（应到、实到、是否达到）、议程、表决及结果、会议记录；人代会另有主席团及主席团会议",
        TAG,
        schema::<Detail>,
    )
    .signed_in(),
    Operation::new(
        "post",
        "/api/v1/meetings/{id}/attendance",
        "登记出席情况（工作人员登记任何人；参会人员本人只能签到出席或云列席）：present / remote / leave（附事由）/ absent / observer",
        TAG,
        schema::<AttendanceOut>,
    )
    .signed_in()
    .request(schema::<AttendanceIn>),
    Operation::new(
        "post",
        "/api/v1/meetings/{id}/presidium",
        "组成人民代表大会会议的主席团（机关工作人员）：成员从本次大会代表中选定，角色为常务主席、执行主席、主席团成员或秘书长（秘书长列席主席团会议、不表决）；整体替换原名单",
        TAG,
        schema::<PresidiumOut>,
    )
    .signed_in()
    .request(schema::<PresidiumIn>),
    Operation::post(
        "/api/v1/meetings/{id}/ballots",
        "准备会议表决（工作人员）：表决方式、记名或无记名、候选项、应选数、投票人范围、通过规则；开始投票须达到法定人数",
        TAG,
        schema::<NewBallotIn>,
        schema::<Created>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/meetings/{id}/records",
        "新增会议记录（工作人员）：会议纪要、决议、决定，据以通过的表决（本次会议已结束的表决），是否跟踪落实及落实期限",
        TAG,
        schema::<NewRecordIn>,
        schema::<Created>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/meeting-records",
        "决议决定登记（机关工作人员）：本机关及下级会议通过的决议、决定，表决票数及是否通过，落实情况和落实期限，新的在前",
        TAG,
        schema::<Page<AdoptedOut>>,
    )
    .signed_in()
    .query(&RECORDS_QUERY),
    Operation::get(
        "/api/v1/meeting-records/{id}",
        "会议记录详情：正文、据以通过的表决结果（规则、各项票数、是否通过及依据）、落实情况记录",
        TAG,
        schema::<RecordOut>,
    )
    .signed_in(),
    Operation::new(
        "post",
        "/api/v1/meeting-records/{id}/notes",
        "记录决议、决定的落实情况（工作人员）：落实中或已落实；答复记录详情",
        TAG,
        schema::<RecordOut>,
    )
    .signed_in()
    .request(schema::<NoteIn>),
];
