//! The meetings in the console (MTG-1…7): the list (staff: the organ's meetings and the form
//! for a new one; a member: the meetings they sit in), a meeting's page — for staff the quorum,
//! the attendance sheet, the agenda, the ballots, the hall display's link, 云列席 and the records;
//! for a member on the phone their check-in, their ballots, the stream and the remark channel —,
//! a ballot's page (the paper, the live count, staff's open/close/publish, the result by the
//! rule and, for a named ballot, who voted how), the door's QR code and the register of what
//! the meetings adopted.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Path, Request};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::api::{BallotLine, ballot_lines, seen};
use super::model::{
    self, Attendance, Electorate, Item, ItemKind, Kind, Meeting, Member, MembersOf, PresidiumMember, PresidiumRole,
    Quorum, Record, RecordKind, Remark, RemarkState, State, Tracking,
};
use super::service::{self, NewMeeting, NewVote, Via};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId, Query, UploadedFile};
use crate::app::forms::{Opt, allowed, opt_id, opts, two_ids};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal, Resource};
use crate::ballot::api::{Detail, GradeIn, MotionChoice, Paper, VoteIn, detail_of};
use crate::ballot::live;
use crate::ballot::model::{Ballot, VoteKind};
use crate::ballot::tally::{Base, Rule};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/meetings", get(list).post(create))
        .route("/console/meetings/new", get(new_form))
        .route("/console/meetings/register", get(register))
        .route("/console/meetings/{id}", get(detail))
        .route("/console/meetings/{id}/live", get(live_events))
        .route("/console/meetings/{id}/attendance", post(attendance))
        .route("/console/meetings/{id}/checkin", post(checkin))
        .route("/console/meetings/{id}/presidium", post(presidium_add))
        .route("/console/meetings/{id}/presidium/{person}/remove", post(presidium_remove))
        .route("/console/meetings/{id}/state", post(set_state))
        .route("/console/meetings/{id}/items", post(add_item))
        .route("/console/meetings/{id}/items/{item}/files", post(upload))
        .route("/console/meetings/{id}/items/{item}/files/{file}/remove", post(remove_file))
        .route("/console/meetings/{id}/ballots", post(add_ballot))
        .route("/console/meetings/{id}/ballots/{ballot}", get(ballot_page))
        .route("/console/meetings/{id}/ballots/{ballot}/vote", post(vote))
        .route("/console/meetings/{id}/ballots/{ballot}/act", post(act))
        .route("/console/meetings/{id}/hall", post(hall_key))
        .route("/console/meetings/{id}/door", get(door))
        .route("/console/meetings/{id}/stream", post(stream))
        .route("/console/meetings/{id}/remarks", post(remark))
        .route("/console/meetings/{id}/remarks/{remark}", post(moderate))
        .route("/console/meetings/{id}/records", post(add_record))
        .route("/console/meetings/{id}/records/{record}/notes", post(add_note))
}

const CRUMB: (&str, &str) = ("/console/meetings", "会议");

fn at_organ(p: &Principal) -> Resource<'_> {
    Resource::Meeting { organ_path: &p.organ_path, participant: false }
}

fn page_of(id: i64) -> String {
    format!("/console/meetings/{id}")
}

/// A conflict (the quorum not met, a meeting ended …) told on the page it came from; other
/// errors as errors.
fn told<T>(result: AppResult<T>, to: &str, done: &str) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(redirect_with_flash(to, done)),
        Err(AppError::Conflict(why)) => Ok(redirect_with_flash(to, &why)),
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------------ list and new

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListTpl {
    l: Layout,
    meetings: Vec<Meeting>,
    can_create: bool,
}

async fn list(Console { page, p, s, .. }: Console) -> AppResult<Response> {
    let worker = allowed(&p, Action::View, &at_organ(&p));
    let mut meetings = if worker { model::of_organs(&s.db, &p.organ_path, 200).await? } else { Vec::new() };
    if let Some(person) = p.deputy_id {
        for m in model::of_person(&s.db, person, 200).await? {
            if !meetings.iter().any(|x| x.id == m.id) {
                meetings.push(m);
            }
        }
    }
    if !worker && p.deputy_id.is_none() {
        return Err(AppError::NotFound);
    }
    render(&ListTpl {
        l: page.layout(if worker { "会议" } else { "我的会议" }, &[]),
        meetings,
        can_create: allowed(&p, Action::Update, &at_organ(&p)),
    })
}

#[derive(Deserialize, Default)]
struct NewForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    time: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    place: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    members_of: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    committee_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    term: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    observers: String,
    /// A 主席团会议's session (from the session's page).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    session_id: String,
}

#[derive(Template)]
#[template(path = "meetings/new.html")]
struct NewTpl {
    l: Layout,
    f: NewForm,
    kinds: Vec<Opt>,
    members_of: Vec<Opt>,
    committees: Vec<Opt>,
    errors: crate::app::pages::Errors,
}

async fn new_tpl(
    s: &AppState,
    p: &Principal,
    l: Layout,
    f: NewForm,
    errors: crate::app::pages::Errors,
) -> AppResult<NewTpl> {
    let committees = crate::registry::structure::committees(&s.db, &p.organ_path)
        .await?
        .into_iter()
        .filter(|c| c.kind == "special")
        .map(|c| Opt { selected: c.id.to_string() == f.committee_id, value: c.id.to_string(), label: c.name })
        .collect();
    // A 主席团会议 is called from its session's page (which gives the session).
    let presidium = !f.session_id.is_empty();
    Ok(NewTpl {
        kinds: opts(
            Kind::ALL.into_iter().filter(|k| presidium || *k != Kind::Presidium).map(|k| (k.as_str(), k.label())),
            if f.kind.is_empty() { "standing" } else { &f.kind },
        ),
        members_of: opts(
            MembersOf::ALL
                .into_iter()
                .filter(|m| *m != MembersOf::List && (presidium || *m != MembersOf::Presidium))
                .map(|k| (k.as_str(), k.label())),
            if f.members_of.is_empty() { "standing" } else { &f.members_of },
        ),
        committees,
        l,
        f,
        errors,
    })
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    crate::app::guard::check(&s, &p, &ip, Action::Update, &at_organ(&p), "new").await?;
    let today = crate::calendar::beijing_date(crate::db::now()).to_string();
    let f = NewForm { date: today, time: "09:00".into(), ..NewForm::default() };
    render(&new_tpl(&s, &p, page.layout("新建会议", &[CRUMB]), f, Default::default()).await?)
}

/// 「1, 2, 3」 or one a line: person ids.
fn id_list(field: &str, s: &str) -> AppResult<Vec<i64>> {
    s.split([',', '，', '、', '\n', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<i64>().map_err(|_| AppError::invalid(field, format!("「{x}」不是人员编号"))))
        .collect()
}

/// A Beijing date and time as Unix seconds.
fn beijing(date: &str, time: &str) -> AppResult<i64> {
    let d = crate::app::fmt::parse_date(date).ok_or_else(|| AppError::invalid("date", "请填写日期，如 2026-12-18"))?;
    let t = chrono::NaiveTime::parse_from_str(if time.is_empty() { "09:00" } else { time }, "%H:%M")
        .map_err(|_| AppError::invalid("time", "时间应为 09:00 这样的格式"))?;
    Ok(d.and_time(t).and_utc().timestamp() - 8 * 3600)
}

fn new_meeting(p: &Principal, f: &NewForm) -> AppResult<NewMeeting> {
    if f.title.is_empty() {
        return Err(AppError::invalid("title", "请填写会议名称"));
    }
    Ok(NewMeeting {
        organ_id: p.organ_id,
        kind: Kind::parse(&f.kind).ok_or_else(|| AppError::invalid("kind", "请选择会议类别"))?,
        title: f.title.clone(),
        starts_at: beijing(&f.date, &f.time)?,
        place: f.place.clone(),
        members_of: MembersOf::parse(&f.members_of).ok_or_else(|| AppError::invalid("members_of", "请选择参会人员"))?,
        committee_id: opt_id(&f.committee_id),
        session_id: opt_id(&f.session_id),
        person_ids: Vec::new(),
        observer_ids: id_list("observers", &f.observers)?,
        term: if f.term.is_empty() {
            None
        } else {
            Some(f.term.parse().map_err(|_| AppError::invalid("term", "届次应为数字"))?)
        },
        quorum: None,
        created_by: Some(p.account_id),
    })
}

async fn create(Console { page, p, s, ip }: Console, Form(f): Form<NewForm>) -> AppResult<Response> {
    crate::app::guard::check(&s, &p, &ip, Action::Update, &at_organ(&p), "new").await?;
    let now = crate::db::now();
    let result = match new_meeting(&p, &f) {
        Ok(n) => write(&s, &p, &ip, async |w| service::create(w.txn(), w.key(), w.actor(), &n, now).await).await,
        Err(e) => Err(e),
    };
    crate::app::write::form_answer(
        result,
        |id| redirect_with_flash(&page_of(id), "会议已建立，参会人员已从代表登记中列入"),
        async |errors| render(&new_tpl(&s, &p, page.layout("新建会议", &[CRUMB]), f, errors).await?),
    )
    .await
}

// ------------------------------------------------------------------ a meeting

/// A ballot as the meeting's page lists it, with whether the caller is an elector and voted.
struct BallotRow {
    line: BallotLine,
    mine: Option<bool>,
}

impl BallotRow {
    fn state_label(&self) -> &'static str {
        crate::ballot::model::State::parse(&self.line.state).map(|s| s.label()).unwrap_or("")
    }
    fn kind_label(&self) -> &'static str {
        VoteKind::parse(&self.line.vote_kind).map(|k| k.label()).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "meetings/detail.html")]
struct DetailTpl {
    l: Layout,
    m: Meeting,
    numbered: Option<String>,
    quorum: Quorum,
    members: Vec<Member>,
    mine: Option<Member>,
    items: Vec<Item>,
    ballots: Vec<BallotRow>,
    remarks: Vec<Remark>,
    records: Vec<Record>,
    notes: Vec<model::Note>,
    staff: bool,
    states: Vec<Opt>,
    item_kinds: Vec<Opt>,
    vote_kinds: Vec<Opt>,
    electorates: Vec<Opt>,
    bases: Vec<Opt>,
    record_kinds: Vec<Opt>,
    closed_ballots: Vec<Opt>,
    item_opts: Vec<Opt>,
    trackings: Vec<Opt>,
    events: String,
    /// The door's code, when the member came by its QR code.
    code: String,
    /// The live stage (see `hall::HallView::stage`): the page loads again when it moves.
    stage: String,
    linkable: &'static [(&'static str, &'static str, &'static str)],
    links: Vec<ItemLink>,
    files: Vec<crate::attachments::Attachment>,
    default_due_days: i64,
    warn_days: i64,
    /// Which body sits, in words.
    sitting: String,
    /// The session a 主席团会议 belongs to.
    session: Option<Meeting>,
    /// A session's 主席团 and its meetings; the deputies staff may add, the roles.
    presidium: Vec<PresidiumMember>,
    presidium_meetings: Vec<Meeting>,
    candidates: Vec<Opt>,
    presidium_roles: Vec<Opt>,
    today: String,
}

impl DetailTpl {
    fn files_of(&self, item: &i64) -> Vec<&crate::attachments::Attachment> {
        self.files.iter().filter(|f| f.owner_id == item.to_string()).collect()
    }
    fn links_of(&self, item: &i64) -> Vec<&ItemLink> {
        self.links.iter().filter(|l| l.item_id == *item).collect()
    }
    fn notes_of(&self, record: &i64) -> Vec<&model::Note> {
        self.notes.iter().filter(|n| n.record_id == *record).collect()
    }
    fn note_label(&self, n: &model::Note) -> &'static str {
        Tracking::parse(&n.tracking).map(|t| t.label()).unwrap_or("")
    }
    fn day(&self, ts: &i64) -> String {
        crate::app::fmt::datetime(*ts)
    }
}

#[derive(Deserialize, Default)]
struct CodeQuery {
    #[serde(default)]
    code: String,
}

async fn detail(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    let (m, mine) = seen(&s, &p, &ip, id, Action::View).await?;
    let staff =
        allowed(&p, Action::Update, &Resource::Meeting { organ_path: &m.organ_path, participant: mine.is_some() });
    let mut ballots = Vec::new();
    for line in ballot_lines(&s, &p, &m).await? {
        let mine = match p.deputy_id {
            Some(person) => crate::ballot::model::elector(&s.db, line.id, person).await?,
            None => None,
        };
        // A participant lists the ballots they vote in; staff every one.
        if staff || mine.is_some() {
            ballots.push(BallotRow { line, mine });
        }
    }
    let items = model::items(&s.db, id).await?;
    let links = item_links(&s, &items).await?;
    let mut files = Vec::new();
    for i in &items {
        files.extend(crate::attachments::of_owner(&s.db, service::FILE_OWNER, i.id).await?);
    }
    let closed_ballots: Vec<Opt> = ballots
        .iter()
        .filter(|b| b.line.state == "closed")
        .map(|b| Opt { value: b.line.id.to_string(), label: b.line.title.clone(), selected: false })
        .collect();
    let item_opts =
        items.iter().map(|i| Opt { value: i.id.to_string(), label: i.title.clone(), selected: false }).collect();
    let members = if staff || mine.is_some() { model::members(&s.db, id).await? } else { Vec::new() };
    let presidium = if m.kind().is_session() { model::presidium(&s.db, id).await? } else { Vec::new() };
    let candidates = if staff && m.kind().is_session() {
        members
            .iter()
            .filter(|x| x.is_member() && !presidium.iter().any(|y| y.person_id == x.person_id))
            .map(|x| Opt {
                value: x.person_id.to_string(),
                label: if x.delegation.is_empty() {
                    x.name.clone()
                } else {
                    format!("{}（{}代表团）", x.name, x.delegation)
                },
                selected: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let session = match m.session_id {
        Some(x) => model::meeting(&s.db, x).await?,
        None => None,
    };
    render(&DetailTpl {
        sitting: super::api::sitting(&s, &m).await?.name,
        session,
        presidium_meetings: model::of_session(&s.db, id).await?,
        presidium,
        candidates,
        presidium_roles: opts(PresidiumRole::ALL.map(|r| (r.as_str(), r.label())), "member"),
        today: crate::calendar::beijing_date(crate::db::now()).to_string(),
        l: page.layout(&m.title, &[CRUMB]),
        numbered: m.numbered(),
        quorum: model::quorum(&s.db, &m).await?,
        members,
        items,
        ballots,
        remarks: model::remarks(&s.db, id, staff, mine.as_ref().map(|x| x.person_id)).await?,
        records: model::records(&s.db, id).await?,
        notes: model::notes(&s.db, id).await?,
        staff,
        states: opts(Attendance::ALL.into_iter().skip(1).map(|a| (a.as_str(), a.label())), "present"),
        item_kinds: opts(ItemKind::ALL.map(|k| (k.as_str(), k.label())), "report"),
        vote_kinds: opts(VoteKind::ALL.map(|k| (k.as_str(), k.label())), "motion"),
        electorates: opts(Electorate::ALL.into_iter().take(2).map(|k| (k.as_str(), k.label())), "members"),
        bases: opts(Base::ALL.map(|k| (k.as_str(), k.label())), "all_members"),
        record_kinds: opts(RecordKind::ALL.map(|k| (k.as_str(), k.label())), "resolution"),
        trackings: opts([Tracking::InProgress, Tracking::Done].map(|k| (k.as_str(), k.label())), "in_progress"),
        closed_ballots,
        item_opts,
        events: format!("/console/meetings/{id}/live"),
        stage: super::hall::view(&s, &m).await?.stage,
        linkable: LINKABLE,
        links,
        files,
        default_due_days: service::DEFAULT_DUE_DAYS,
        warn_days: super::reminders::WARN_WORKING_DAYS,
        code: q.code.chars().filter(char::is_ascii_hexdigit).take(16).collect(),
        mine,
        m,
    })
}

/// `text/event-stream` for the meeting's page: an event `hall` each time the meeting moves
/// (the quorum, its ballots), as the hall screen gets it.
async fn live_events(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::View).await?;
    let rx = live::watch(&s, &super::topic(m.id), super::hall::hall_compute(m.id));
    Ok(crate::ballot::api::sse(rx, "hall"))
}

#[derive(Deserialize, Default)]
struct AttendanceForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    person_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    state: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    reason: String,
}

async fn attendance(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<AttendanceForm>,
) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let person = opt_id(&f.person_id).ok_or_else(|| AppError::invalid("person_id", "请选择参会人员"))?;
    let state = Attendance::parse(&f.state).ok_or_else(|| AppError::invalid("state", "请选择出席情况"))?;
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        let mark = service::Mark { person, state, reason: &f.reason, via: Via::Staff };
        service::attend(w.txn(), w.key(), w.actor(), &m, mark, now).await?;
        live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), "出席情况已登记"),
    }
}

#[derive(Deserialize, Default)]
struct PresidiumForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    person_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    role: String,
}

/// Sets the session's 主席团 to `members` (staff), told on the session's page.
async fn set_presidium(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    m: &Meeting,
    members: &[(i64, PresidiumRole)],
    done: &str,
) -> AppResult<Response> {
    let result = write(s, p, ip, async |w| {
        super::presidium::set(w.txn(), w.key(), w.actor(), m, members).await?;
        live::poke_after(w, s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(m.id), &detail)),
        other => told(other, &page_of(m.id), done),
    }
}

/// The session's 主席团 as (person, role) pairs.
async fn presidium_now(s: &AppState, session: i64) -> AppResult<Vec<(i64, PresidiumRole)>> {
    Ok(model::presidium(&s.db, session).await?.iter().map(|x| (x.person_id, x.role())).collect())
}

/// Staff add a deputy of the session to its 主席团, or change a member's role.
async fn presidium_add(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<PresidiumForm>,
) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let person = opt_id(&f.person_id).ok_or_else(|| AppError::invalid("person_id", "请选择代表"))?;
    let role = PresidiumRole::parse(&f.role).ok_or_else(|| AppError::invalid("role", "请选择主席团中的角色"))?;
    let mut members = presidium_now(&s, id).await?;
    match members.iter_mut().find(|(x, _)| *x == person) {
        Some(seat) => seat.1 = role,
        None => members.push((person, role)),
    }
    set_presidium(&s, &p, &ip, &m, &members, &format!("主席团已更新：{}", role.label())).await
}

/// Staff take a member off the 主席团.
async fn presidium_remove(Caller { p, s, ip }: Caller, path: Path<(String, String)>) -> AppResult<Response> {
    let (id, person) = two_ids(path)?;
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let mut members = presidium_now(&s, id).await?;
    let before = members.len();
    members.retain(|(x, _)| *x != person);
    if members.len() == before {
        return Err(AppError::NotFound);
    }
    set_presidium(&s, &p, &ip, &m, &members, "已从主席团中移出").await
}

#[derive(Deserialize, Default)]
struct CheckinForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    remote: String,
}

/// A member signs in: with the code shown at the door (出席), or remotely (云列席).
async fn checkin(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<CheckinForm>) -> AppResult<Response> {
    let (m, mine) = seen(&s, &p, &ip, id, Action::Create).await?;
    let me = mine.ok_or(AppError::NotFound)?;
    let (state, via) = if !f.remote.is_empty() {
        (Attendance::Remote, Via::Remote)
    } else if crate::privacy::constant_time_eq(f.code.to_ascii_lowercase().as_bytes(), m.door_code.as_bytes()) {
        (if me.is_member() { Attendance::Present } else { Attendance::Observer }, Via::Door)
    } else {
        return Ok(redirect_with_flash(&page_of(id), "签到码不对：请扫会场门口的二维码，或输入门口公布的签到码"));
    };
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        let mark = service::Mark { person: me.person_id, state, reason: "", via };
        service::attend(w.txn(), w.key(), w.actor(), &m, mark, now).await?;
        live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await;
    told(result, &page_of(id), &format!("已签到：{}", state.label()))
}

#[derive(Deserialize, Default)]
struct StateForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    state: String,
}

async fn set_state(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<StateForm>) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let to = State::parse(&f.state).ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        service::set_state(w.txn(), w.key(), w.actor(), &m, to, now).await?;
        live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await;
    told(result, &page_of(id), &format!("会议{}", to.label()))
}

#[derive(Deserialize, Default)]
struct ItemForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    speakers: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    documents: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    link_type: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    link_id: String,
}

/// The kinds of record an agenda item may be about: kind, name, and its console page's prefix
/// (empty: no page of its own).
pub const LINKABLE: &[(&str, &str, &str)] = &[
    ("suggestion", "代表建议", "/console/suggestions/"),
    ("handling_item", "办理事项", ""),
    ("opinion", "群众意见", "/console/opinions/"),
    ("leg_draft", "法规草案", "/console/legislation/"),
];

/// A record an agenda item is about, as the meeting's page shows it.
struct ItemLink {
    item_id: i64,
    label: String,
    href: String,
}

/// The records the agenda's items are linked to, each named by its title (a person's never).
async fn item_links(s: &AppState, items: &[Item]) -> AppResult<Vec<ItemLink>> {
    let mut out = Vec::new();
    for i in items {
        for l in crate::links::of(&s.db, "meeting_item", i.id).await? {
            let Some((_, name, page)) = LINKABLE.iter().find(|(k, _, _)| *k == l.to_type) else { continue };
            let mut title = String::new();
            if let Some(t) = s.modules.titles(&l.to_type).into_iter().find(|t| !t.person) {
                let sql = format!("SELECT {} FROM {} WHERE {} = $1", t.column, t.table, t.key);
                let rows = crate::db::query_rows(&s.db, &sql, vec![l.to_id.into()]).await?;
                title = rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_default();
            }
            if title.is_empty() {
                title = format!("编号 {}", l.to_id);
            }
            let href = if page.is_empty() { String::new() } else { format!("{page}{}", l.to_id) };
            out.push(ItemLink { item_id: i.id, label: format!("{name}：{title}"), href });
        }
    }
    Ok(out)
}

async fn add_item(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<ItemForm>) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let kind = ItemKind::parse(&f.kind).unwrap_or(ItemKind::Other);
    let link = match (f.link_type.as_str(), opt_id(&f.link_id)) {
        ("", _) | (_, None) => None,
        (t, Some(to)) => {
            let (t, _, _) = LINKABLE
                .iter()
                .find(|(k, _, _)| *k == t)
                .ok_or_else(|| AppError::invalid("link_type", "不能关联这类记录"))?;
            Some((*t, to))
        }
    };
    if let Some((t, to)) = link {
        check_linkable(&s, &p, t, to).await?;
    }
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        let item = service::NewItem { title: &f.title, kind, speakers: &f.speakers, documents: &f.documents, link };
        service::add_item(w.txn(), w.key(), w.actor(), &m, item, now).await
    })
    .await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), "议题已加入议程"),
    }
}

/// A document for an agenda item (staff): checked by content and size before the write opens.
async fn upload(Caller { p, s, ip }: Caller, path: Path<(String, String)>, req: Request) -> AppResult<Response> {
    let (id, item) = two_ids(path)?;
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    model::item(&s.db, id, item).await?.ok_or(AppError::NotFound)?;
    let upload = UploadedFile::from_request(req, &s).await?;
    if upload.bytes.is_empty() {
        return Ok(redirect_with_flash(&page_of(id), "请选择要上传的会议文件"));
    }
    let file = crate::attachments::Upload { file_name: &upload.name, bytes: &upload.bytes };
    let prepared = crate::attachments::prepare(&file, service::FILE_TYPES, s.config.attachments_max_bytes).await?;
    let storage = s.storage.clone();
    write(&s, &p, &ip, async |w| {
        service::attach(w.txn(), storage.as_ref(), w.key(), w.actor(), &m, item, &prepared).await
    })
    .await?;
    Ok(redirect_with_flash(&page_of(id), &format!("已添加会议文件：{}", prepared.file_name())))
}

async fn remove_file(Caller { p, s, ip }: Caller, path: Path<(String, String, String)>) -> AppResult<Response> {
    let Path((a, b, c)) = path;
    let (id, item) = two_ids(Path((a, b)))?;
    let file = c.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)?;
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let storage = s.storage.clone();
    write(&s, &p, &ip, async |w| service::detach(w.txn(), storage.as_ref(), w.key(), w.actor(), &m, item, file).await)
        .await?;
    Ok(redirect_with_flash(&page_of(id), "已删除会议文件"))
}

/// A record an agenda item links to must exist and lie in the caller's organ subtree (by the
/// title table its module registered for it).
async fn check_linkable(s: &AppState, p: &Principal, kind: &str, id: i64) -> AppResult<()> {
    let title =
        s.modules.titles(kind).into_iter().next().ok_or_else(|| AppError::invalid("link_type", "不能关联这类记录"))?;
    let sql = format!(
        "SELECT count(*) FROM {t} x JOIN organs o ON o.id = x.organ_id WHERE x.{k} = $1 AND o.path LIKE $2",
        t = title.table,
        k = title.key
    );
    let n = crate::db::scalar_i64(
        &s.db,
        &sql,
        vec![id.into(), format!("{}%", crate::db::like_escape(&p.organ_path)).into()],
    )
    .await
    .unwrap_or(0);
    if n == 0 {
        return Err(AppError::invalid("link_id", format!("本机关没有编号为 {id} 的这类记录")));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
struct BallotForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    named: bool,
    #[serde(default)]
    options: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    choose_max: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    score_min: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    score_max: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    electorate: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    base: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    num: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    den: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    at_least: bool,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    changes: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    item_id: String,
}

fn number(field: &str, v: &str) -> AppResult<Option<i64>> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| AppError::invalid(field, "请填写数字"))
}

fn new_vote(f: &BallotForm) -> AppResult<NewVote> {
    let vote_kind = VoteKind::parse(&f.kind).ok_or_else(|| AppError::invalid("kind", "请选择表决方式"))?;
    let rule = match Base::parse(&f.base) {
        Some(base) => Some(Rule {
            base,
            num: number("num", &f.num)?.unwrap_or(1),
            den: number("den", &f.den)?.unwrap_or(2),
            strict: !f.at_least,
        }),
        None => None,
    };
    Ok(NewVote {
        title: f.title.clone(),
        vote_kind,
        secret: !f.named,
        options: f.options.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect(),
        choose_max: number("choose_max", &f.choose_max)?,
        score_range: match (number("score_min", &f.score_min)?, number("score_max", &f.score_max)?) {
            (Some(a), Some(b)) => Some((a, b)),
            _ if vote_kind == VoteKind::Score => Some((0, 100)),
            _ => None,
        },
        electorate: Electorate::parse(&f.electorate).unwrap_or(Electorate::Members),
        person_ids: Vec::new(),
        rule,
        changes: f.changes,
        item_id: opt_id(&f.item_id),
    })
}

async fn add_ballot(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<BallotForm>) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let now = crate::db::now();
    let result = match new_vote(&f) {
        Ok(v) => {
            write(&s, &p, &ip, async |w| {
                let b = service::add_ballot(w.txn(), w.key(), w.actor(), &m, &v, now).await?;
                live::poke_after(w, &s, vec![super::topic(m.id)]);
                Ok(b)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(b) => Ok(redirect_with_flash(
            &format!("/console/meetings/{id}/ballots/{b}"),
            "表决已准备好，达到法定人数后可开始投票",
        )),
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        Err(e) => told::<()>(Err(e), &page_of(id), ""),
    }
}

// ------------------------------------------------------------------ a ballot

/// A ballot of this meeting the caller may see (and act on).
async fn meeting_ballot(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    path: Path<(String, String)>,
    action: Action,
) -> AppResult<(Meeting, Ballot, Option<bool>)> {
    let (id, ballot) = two_ids(path)?;
    if model::meeting_of_ballot(&s.db, ballot).await? != Some(id) {
        return Err(AppError::NotFound);
    }
    let (m, _) = seen(s, p, ip, id, Action::View).await?;
    let (b, voted) = crate::ballot::api::seen(s, p, ip, ballot, action).await?;
    Ok((m, b, voted))
}

#[derive(Template)]
#[template(path = "meetings/ballot.html")]
struct BallotTpl {
    l: Layout,
    m: Meeting,
    d: Detail,
    /// The caller may vote now (an elector, open, not voted or changes allowed).
    may_vote: bool,
    staff: bool,
    events: String,
    kind: VoteKind,
    /// The meeting's participants by person (a named ballot's voters are named from them).
    names: Vec<(i64, String)>,
}

impl BallotTpl {
    fn b(&self) -> &Ballot {
        &self.d.ballot
    }
    fn name_of_subject(&self, id: &i64) -> String {
        self.d.subjects.iter().find(|x| x.id == *id).map(|x| x.title.clone()).unwrap_or_default()
    }
    fn person_name(&self, id: &i64) -> String {
        self.names.iter().find(|(p, _)| p == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("人员 {id}"))
    }
    fn option_label(&self, code: &str) -> String {
        self.d.choices.iter().find(|c| c.code == code).map(|c| c.label.clone()).unwrap_or_default()
    }
}

async fn ballot_page(Console { page, p, s, ip }: Console, path: Path<(String, String)>) -> AppResult<Response> {
    let (m, b, voted) = meeting_ballot(&s, &p, &ip, path, Action::View).await?;
    let staff = allowed(
        &p,
        Action::Update,
        &Resource::Ballot { organ_path: &b.organ_path, elector: voted.is_some(), watcher: false },
    );
    let may_vote = b.is_open() && (voted == Some(false) || (voted == Some(true) && b.changes && !b.secret));
    let kind = b.vote_kind();
    let events = format!("/api/v1/ballots/{}/events", b.id);
    let d = detail_of(&s, &p, b, voted).await?;
    let names = if d.votes.is_empty() {
        Vec::new()
    } else {
        model::members(&s.db, m.id).await?.into_iter().map(|x| (x.person_id, x.name)).collect()
    };
    render(&BallotTpl {
        names,
        l: page.layout(&d.ballot.title.clone(), &[CRUMB, (&page_of(m.id), &m.title)]),
        m,
        d,
        may_vote,
        staff,
        events,
        kind,
    })
}

/// A paper from the phone: `choice` (a motion), repeated `choice` (a 差额 ballot's candidates),
/// `s{subject}` = grade or score (a 测评, a score).
async fn vote(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (m, b, _) = meeting_ballot(&s, &p, &ip, path, Action::Create).await?;
    let to = format!("/console/meetings/{}/ballots/{}", m.id, b.id);
    let values = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).collect::<Vec<_>>();
    let paper = match b.vote_kind() {
        VoteKind::Motion => {
            let Some(c) = values("choice").first().and_then(|c| MotionChoice::parse(c)) else {
                return Ok(redirect_with_flash(&to, "请选择赞成、反对或弃权"));
            };
            Paper { choice: Some(c), ..Paper::default() }
        }
        VoteKind::Choose => {
            let ids: Vec<i64> = values("choice").iter().filter_map(|v| v.parse().ok()).collect();
            Paper { choices: Some(ids), ..Paper::default() }
        }
        kind => {
            let mut votes = Vec::new();
            for (k, v) in &pairs {
                let Some(subject) = k.strip_prefix('s').and_then(|x| x.parse::<i64>().ok()) else { continue };
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                votes.push(if kind == VoteKind::Score {
                    VoteIn {
                        subject_id: subject,
                        option: None,
                        score: Some(v.parse().map_err(|_| AppError::invalid("score", "分数应为整数"))?),
                    }
                } else {
                    VoteIn {
                        subject_id: subject,
                        option: GradeIn::parse(v).map(|g| g.as_str().to_string()),
                        score: None,
                    }
                });
            }
            Paper { votes: Some(votes), ..Paper::default() }
        }
    };
    match crate::ballot::api::cast_paper(&s, &p, &ip, &b, paper).await {
        Ok(_) => Ok(redirect_with_flash(&to, "投票成功")),
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&to, &detail)),
        Err(e) => told::<()>(Err(e), &to, ""),
    }
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    action: String,
}

/// 开始投票, 结束投票, 公布结果: a conflict (the quorum not met) is told on the page.
async fn act(Caller { p, s, ip }: Caller, path: Path<(String, String)>, Form(f): Form<ActForm>) -> AppResult<Response> {
    let (m, b, _) = meeting_ballot(&s, &p, &ip, path, Action::Update).await?;
    let to = format!("/console/meetings/{}/ballots/{}", m.id, b.id);
    let (result, done) = match f.action.as_str() {
        "open" => (crate::ballot::api::open_ballot(&s, &p, &ip, &b).await, "投票已开始"),
        "close" => (crate::ballot::api::close_ballot(&s, &p, &ip, &b).await, "投票已结束，结果已按规则计出"),
        "publish" => (crate::ballot::api::publish_ballot(&s, &p, &ip, &b).await, "结果已公布"),
        _ => return Err(AppError::BadRequest("未知的操作".into())),
    };
    told(result, &to, done)
}

// ------------------------------------------------------------------ hall, door, 云列席

#[derive(Template)]
#[template(path = "meetings/hall_key.html")]
struct HallKeyTpl {
    l: Layout,
    m: Meeting,
    url: String,
}

/// Where links and QR codes point: the configured public address, else the request's host.
fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &s.config.public_base_url {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(*c)).collect();
    format!("{}://{host}", if s.config.behind_https { "https" } else { "http" })
}

/// A new display key for the hall, shown once with its link.
async fn hall_key(Console { page, p, s, ip }: Console, headers: HeaderMap, PathId(id): PathId) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let key = match write(&s, &p, &ip, async |w| service::new_hall_key(w.txn(), w.key(), w.actor(), &m).await).await {
        Ok(k) => k,
        Err(e) => return told::<()>(Err(e), &page_of(id), ""),
    };
    let url = format!("{}/hall/{id}?key={key}", base_url(&s, &headers));
    render(&HallKeyTpl { l: page.layout("会场大屏链接", &[CRUMB, (&page_of(id), &m.title)]), m, url })
}

#[derive(Template)]
#[template(path = "meetings/door.html")]
struct DoorTpl {
    l: Layout,
    m: Meeting,
    qr_svg: String,
    url: String,
}

/// The door's sign-in: a QR code of the meeting's check-in with its code, to print.
async fn door(Console { page, p, s, ip }: Console, headers: HeaderMap, PathId(id): PathId) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let url = format!("{}/console/meetings/{id}?code={}", base_url(&s, &headers), m.door_code);
    let qr_svg = crate::qr::qr_svg(&url, 8).map_err(|_| AppError::Internal("二维码生成失败".into()))?;
    render(&DoorTpl { l: page.layout("会场签到二维码", &[CRUMB, (&page_of(id), &m.title)]), m, qr_svg, url })
}

#[derive(Deserialize, Default)]
struct StreamForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    stream_url: String,
}

async fn stream(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<StreamForm>) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let result =
        write(&s, &p, &ip, async |w| service::set_stream(w.txn(), w.key(), w.actor(), &m, &f.stream_url).await).await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), "直播地址已保存"),
    }
}

#[derive(Deserialize, Default)]
struct RemarkForm {
    #[serde(default)]
    body: String,
}

async fn remark(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<RemarkForm>) -> AppResult<Response> {
    let (m, mine) = seen(&s, &p, &ip, id, Action::Create).await?;
    let me = mine.ok_or(AppError::NotFound)?;
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        service::add_remark(w.txn(), w.key(), w.actor(), &m, me.person_id, &f.body, now).await
    })
    .await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), "书面发言已提交，经工作人员审核后公开"),
    }
}

async fn moderate(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(f): Form<StateForm>,
) -> AppResult<Response> {
    let (id, r) = two_ids(path)?;
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let to = RemarkState::parse(&f.state).ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        service::moderate(w.txn(), w.key(), w.actor(), &m, r, to, now).await?;
        live::poke_after(w, &s, vec![super::topic(m.id)]);
        Ok(())
    })
    .await;
    told(result, &page_of(id), &format!("书面发言{}", to.label()))
}

// ------------------------------------------------------------------ records (MTG-7)

#[derive(Deserialize, Default)]
struct RecordForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    ballot_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    track: bool,
    /// 落实期限 (empty: `service::DEFAULT_DUE_DAYS` after today).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    due_date: String,
}

async fn add_record(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<RecordForm>) -> AppResult<Response> {
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let kind = RecordKind::parse(&f.kind).ok_or_else(|| AppError::invalid("kind", "请选择记录类别"))?;
    let due = match f.due_date.as_str() {
        "" => None,
        d => match crate::app::fmt::parse_date(d) {
            Some(d) => Some(d),
            None => return Ok(redirect_with_flash(&page_of(id), "落实期限请填写日期，如 2027-03-31")),
        },
    };
    let r =
        service::NewRecord { kind, title: &f.title, body: &f.body, ballot: opt_id(&f.ballot_id), track: f.track, due };
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| service::add_record(w.txn(), w.key(), w.actor(), &m, r, now).await).await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), &format!("{}已记录", kind.label())),
    }
}

#[derive(Deserialize, Default)]
struct NoteForm {
    #[serde(default)]
    body: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    tracking: String,
}

async fn add_note(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    let (id, record) = two_ids(path)?;
    let (m, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let to = Tracking::parse(&f.tracking).ok_or_else(|| AppError::invalid("tracking", "请选择落实情况"))?;
    let now = crate::db::now();
    let result = write(&s, &p, &ip, async |w| {
        service::add_note(w.txn(), w.key(), w.actor(), &m, service::NewNote { record, body: &f.body, to }, now).await
    })
    .await;
    match result {
        Err(AppError::Invalid { detail, .. }) => Ok(redirect_with_flash(&page_of(id), &detail)),
        other => told(other, &page_of(id), "落实情况已记录"),
    }
}

/// A line of the register with its vote figures.
struct RegisterLine {
    a: model::Adopted,
    figures: String,
}

#[derive(Template)]
#[template(path = "meetings/register.html")]
struct RegisterTpl {
    l: Layout,
    lines: Vec<RegisterLine>,
}

impl RegisterTpl {
    fn kind_label(&self, k: &str) -> &'static str {
        RecordKind::parse(k).map(|x| x.label()).unwrap_or("")
    }
    fn tracking_label(&self, k: &str) -> &'static str {
        Tracking::parse(k).map(|x| x.label()).unwrap_or("")
    }
    fn day(&self, ts: &i64) -> String {
        crate::app::fmt::date(*ts)
    }
}

/// The register of resolutions and decisions the organ's meetings adopted, with the figures.
async fn register(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    crate::app::guard::check(&s, &p, &ip, Action::View, &at_organ(&p), "register").await?;
    let mut lines = Vec::new();
    for a in model::register(&s.db, &p.organ_path, None, 0, 500).await? {
        let figures = match a.ballot_id {
            Some(b) => super::api::outcome_of(&s, b).await?.map(|o| super::api::figures(&o)).unwrap_or_default(),
            None => String::new(),
        };
        lines.push(RegisterLine { a, figures });
    }
    render(&RegisterTpl { l: page.layout("决议决定登记", &[CRUMB]), lines })
}
