//! The meetings' writes, each in the caller's audited transaction: a new meeting with its members
//! from the registry (numbered per term where its kind is), attendance — by staff, by the
//! member at the door (the door's code) or remotely —, starting and ending it, agenda items
//! linked to the records they are about, its ballots (prepared with the electorate and the rule;
//! opened only while the quorum is met, `quorum_gate`), the hall display's key, the live stream,
//! remote participants' remarks and their moderation, and its records with their follow-up.

use rand::RngCore;
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use super::model::{
    self, Attendance, Electorate, ItemKind, Kind, Meeting, MembersOf, RecordKind, RemarkState, Role, State, Tracking,
};
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::ballot::model::VoteKind;
use crate::ballot::service::{self as ballots, NewBallot, NewSubject};
use crate::ballot::tally::Rule;
use crate::db;

/// `ballots.kind` of a meeting's ballot; its `period` is the meeting's id.
pub const BALLOT_KIND: &str = "meeting";

fn change(action: &'static str, m: &Meeting, summary: String) -> Change<'static> {
    Change::audited(action, "meeting", m.id, summary).in_organ(m.organ_id)
}

/// Refuses a text longer than `max` characters (the text rule itself is the extractors').
pub fn within(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.chars().count() > max {
        return Err(AppError::invalid(field, format!("不能超过 {max} 个字")));
    }
    Ok(())
}

/// A random code in hex (door codes, hall keys).
pub fn random_code(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The stored form of a hall display key.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What staff give for a new meeting.
#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub organ_id: i64,
    pub kind: Kind,
    pub title: String,
    pub starts_at: i64,
    pub place: String,
    pub members_of: MembersOf,
    pub committee_id: Option<i64>,
    /// The 人代会 session whose 主席团 sits (`presidium`).
    pub session_id: Option<i64>,
    /// The persons of a `list`.
    pub person_ids: Vec<i64>,
    /// 列席 invitees.
    pub observer_ids: Vec<i64>,
    /// 届: the organ's current term unless given.
    pub term: Option<i64>,
    pub quorum: Option<Rule>,
    pub created_by: Option<i64>,
}

/// A member as the registry gives them: person, 代表团, and whether they sit as 列席 (a
/// session's 秘书长 in its 主席团会议).
struct Seat {
    person: i64,
    delegation: String,
    observer: bool,
}

impl Seat {
    fn of(person: i64) -> Seat {
        Seat { person, delegation: String::new(), observer: false }
    }
}

fn ids(rows: Vec<sea_orm::QueryResult>) -> Result<Vec<Seat>, DbErr> {
    rows.iter()
        .map(|r| Ok(Seat { person: r.try_get_by_index(0)?, delegation: r.try_get_by_index(1)?, observer: false }))
        .collect()
}

/// The members of a new meeting from the registry.
async fn seats<C: ConnectionTrait>(c: &C, n: &NewMeeting, organ_path: &str) -> AppResult<Vec<Seat>> {
    let standing = async || -> AppResult<Vec<(i64, String)>> {
        Ok(crate::registry::structure::standing_members(c, organ_path)
            .await?
            .into_iter()
            .map(|m| (m.person_id, m.role))
            .collect())
    };
    let seats = match n.members_of {
        MembersOf::Standing => standing().await?.into_iter().map(|(person, _)| Seat::of(person)).collect(),
        MembersOf::Chairs => standing()
            .await?
            .into_iter()
            .filter(|(_, role)| matches!(role.as_str(), "主任" | "副主任" | "秘书长"))
            .map(|(person, _)| Seat::of(person))
            .collect(),
        MembersOf::Committee => {
            let id = n.committee_id.ok_or_else(|| AppError::invalid("committee_id", "请选择专门委员会"))?;
            let owner = crate::registry::membership::owner(c, &crate::registry::membership::COMMITTEE, id).await?;
            if !owner.and_then(|o| o.organ_path).is_some_and(|p| p.starts_with(organ_path)) {
                return Err(AppError::invalid("committee_id", "没有这个专门委员会"));
            }
            crate::registry::membership::members(c, &crate::registry::membership::COMMITTEE, id, None)
                .await?
                .into_iter()
                .map(|m| Seat::of(m.person_id))
                .collect()
        }
        // Every serving deputy of the congress, by 代表团 (the township they were elected in).
        MembersOf::Congress => ids(db::query_rows(
            c,
            "SELECT DISTINCT m.person_id, coalesce(a.name, '') FROM mandates m JOIN persons p ON p.id = m.person_id \
             LEFT JOIN areas a ON a.id = p.township_area_id WHERE m.organ_id = $1 AND m.status = 'serving' \
             ORDER BY 2, 1",
            vec![n.organ_id.into()],
        )
        .await?)?,
        MembersOf::List => n.person_ids.iter().map(|p| Seat::of(*p)).collect(),
        // The session's 主席团: its members vote, its 秘书长 sits as 列席.
        MembersOf::Presidium => {
            let session = session_of(c, n).await?;
            model::presidium(c, session.id)
                .await?
                .into_iter()
                .map(|x| Seat { person: x.person_id, observer: !x.votes(), delegation: x.delegation })
                .collect()
        }
    };
    Ok(seats)
}

/// The session of a new 主席团会议: a 人代会 (or 乡镇人代会) of the same organ.
async fn session_of<C: ConnectionTrait>(c: &C, n: &NewMeeting) -> AppResult<Meeting> {
    let id = n.session_id.ok_or_else(|| AppError::invalid("session_id", "请选择主席团所属的人民代表大会会议"))?;
    model::meeting(c, id)
        .await?
        .filter(|m| m.organ_id == n.organ_id && m.kind().is_session())
        .ok_or_else(|| AppError::invalid("session_id", "本机关没有这次人民代表大会会议"))
}

/// Checks that persons exist (a list's members, invitees).
async fn persons_exist<C: ConnectionTrait>(c: &C, field: &str, persons: &[i64]) -> AppResult<()> {
    for p in persons {
        let n = db::scalar_i64(c, "SELECT count(*) FROM persons WHERE id = $1", vec![(*p).into()]).await?;
        if n == 0 {
            return Err(AppError::invalid(field, format!("没有编号为 {p} 的人员")));
        }
    }
    Ok(())
}

/// The organ's current term: the highest term of its serving mandates (1 without any).
async fn current_term<C: ConnectionTrait>(c: &C, organ: i64) -> Result<i64, DbErr> {
    db::scalar_i64(
        c,
        "SELECT coalesce(max(term), 1) FROM mandates WHERE organ_id = $1 AND status = 'serving'",
        vec![organ.into()],
    )
    .await
}

/// A new meeting with its members; returns its id.
pub async fn create<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, n: &NewMeeting, now: i64) -> AppResult<i64> {
    within("title", &n.title, 200)?;
    within("place", &n.place, 200)?;
    if n.members_of == MembersOf::List && n.person_ids.is_empty() {
        return Err(AppError::invalid("person_ids", "请列出参加会议的组成人员"));
    }
    if n.person_ids.len() > 5_000 || n.observer_ids.len() > 5_000 {
        return Err(AppError::invalid("person_ids", "人员过多"));
    }
    if let Some(q) = n.quorum {
        q.checked().map_err(|e| AppError::invalid("quorum", e))?;
    }
    // A 主席团会议 is the 主席团's, and the 主席团 sits only in its own meetings.
    if (n.kind == Kind::Presidium) != (n.members_of == MembersOf::Presidium) {
        return Err(AppError::invalid("members_of", "主席团会议由大会主席团组成人员参加，参会人员请选择大会主席团"));
    }
    if n.members_of != MembersOf::Presidium && n.session_id.is_some() {
        return Err(AppError::invalid("session_id", "只有主席团会议属于某次人民代表大会会议"));
    }
    let organ = crate::org::organ(c, n.organ_id).await?.ok_or(AppError::NotFound)?;
    persons_exist(c, "person_ids", &n.person_ids).await?;
    persons_exist(c, "observer_ids", &n.observer_ids).await?;
    let seats = seats(c, n, &organ.path).await?;
    if !seats.iter().any(|s| !s.observer) {
        let why = match n.members_of {
            MembersOf::Presidium => "这次大会还没有组成主席团，请先在大会页面组成主席团".to_string(),
            other => format!("登记中没有{}，无法开会", other.label()),
        };
        return Err(AppError::invalid("members_of", why));
    }
    // 常委会会议, 人代会 and 主任会议 are numbered per term: the next number of this kind; a
    // 主席团会议 per session (no term: the session is its number's scope).
    let numbered = matches!(n.kind, Kind::Standing | Kind::Congress | Kind::Township | Kind::Chairs);
    let (term, number) = if n.kind == Kind::Presidium {
        let next = db::scalar_i64(
            c,
            "SELECT coalesce(max(number), 0) + 1 FROM meetings WHERE session_id = $1",
            vec![n.session_id.into()],
        )
        .await?;
        (None, Some(next))
    } else if numbered {
        let term = match n.term {
            Some(t) if (1..=100).contains(&t) => t,
            Some(_) => return Err(AppError::invalid("term", "届次应在 1 到 100 之间")),
            None => current_term(c, n.organ_id).await?,
        };
        let next = db::scalar_i64(
            c,
            "SELECT coalesce(max(number), 0) + 1 FROM meetings WHERE organ_id = $1 AND kind = $2 AND term = $3",
            vec![n.organ_id.into(), n.kind.as_str().into(), term.into()],
        )
        .await?;
        (Some(term), Some(next))
    } else {
        (None, None)
    };
    let q = n.quorum.unwrap_or(crate::ballot::tally::MAJORITY_OF_ALL);
    let id = db::insert_id(
        c,
        "INSERT INTO meetings (organ_id, kind, term, number, title, starts_at, place, members_of, committee_id, \
         quorum_num, quorum_den, quorum_strict, state, door_code, created_by, created_at, session_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        vec![
            n.organ_id.into(),
            n.kind.as_str().into(),
            term.into(),
            number.into(),
            n.title.clone().into(),
            n.starts_at.into(),
            n.place.clone().into(),
            n.members_of.as_str().into(),
            n.committee_id.into(),
            q.num.into(),
            q.den.into(),
            q.strict.into(),
            State::Planned.as_str().into(),
            random_code(4).into(),
            n.created_by.into(),
            now.into(),
            n.session_id.filter(|_| n.members_of == MembersOf::Presidium).into(),
        ],
    )
    .await?;
    let mut seated = Vec::new();
    let mut invited = 0;
    for s in &seats {
        if seated.contains(&s.person) {
            continue;
        }
        seated.push(s.person);
        invited += i64::from(s.observer);
        let role = if s.observer { Role::Observer } else { Role::Member };
        db::exec(
            c,
            "INSERT INTO meeting_members (meeting_id, person_id, role, delegation) VALUES ($1, $2, $3, $4)",
            vec![id.into(), s.person.into(), role.as_str().into(), s.delegation.clone().into()],
        )
        .await?;
    }
    for p in &n.observer_ids {
        if seated.contains(p) {
            continue;
        }
        seated.push(*p);
        invited += 1;
        db::exec(
            c,
            "INSERT INTO meeting_members (meeting_id, person_id, role) VALUES ($1, $2, $3)",
            vec![id.into(), (*p).into(), Role::Observer.as_str().into()],
        )
        .await?;
    }
    let m = model::meeting(c, id).await?.ok_or(AppError::NotFound)?;
    let summary = format!(
        "新建{}：{}{}（组成人员 {} 人，列席 {invited} 人）",
        n.kind.label(),
        m.numbered().map(|x| format!("{x} ")).unwrap_or_default(),
        n.title,
        seated.len() as i64 - invited
    );
    change("meeting_create", &m, summary).append(c, key, actor).await?;
    super::moved(c, id).await?;
    Ok(id)
}

/// How attendance was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Staff,
    /// The member, with the code shown at the door.
    Door,
    /// The member, remotely (云列席).
    Remote,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Staff => "staff",
            Via::Door => "door",
            Via::Remote => "self",
        }
    }
}

/// One attendance mark: whose, the state (with a 请假's reason) and how it was taken.
#[derive(Clone, Copy, Debug)]
pub struct Mark<'a> {
    pub person: i64,
    pub state: Attendance,
    pub reason: &'a str,
    pub via: Via,
}

/// Records one person's attendance. A member is 出席, 云列席, 请假 (with its reason) or 缺席; an
/// invitee 列席 (or absent, on leave, remote). Refused once the meeting has ended.
pub async fn attend<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    mark: Mark<'_>,
    now: i64,
) -> AppResult<()> {
    let Mark { person, state, reason, via } = mark;
    if m.is_ended() {
        return Err(AppError::Conflict("会议已结束，不能再签到或改出席情况".into()));
    }
    let who = model::member(c, m.id, person)
        .await?
        .ok_or_else(|| AppError::invalid("person_id", "此人不是本次会议的参会人员"))?;
    match state {
        Attendance::Pending => return Err(AppError::invalid("state", "请选择出席情况")),
        Attendance::Observer if who.is_member() => {
            return Err(AppError::invalid("state", "组成人员不能记为列席：请记为出席或云列席"));
        }
        Attendance::Present if !who.is_member() => {
            return Err(AppError::invalid("state", "列席人员到会请记为列席"));
        }
        Attendance::Leave if reason.trim().is_empty() => {
            return Err(AppError::invalid("reason", "请假请写明事由"));
        }
        _ => {}
    }
    within("reason", reason, 200)?;
    let reason = if state == Attendance::Leave { reason.trim() } else { "" };
    db::exec(
        c,
        "UPDATE meeting_members SET attendance = $1, reason = $2, via = $3, marked_at = $4 WHERE meeting_id = $5 AND person_id = $6",
        vec![state.as_str().into(), reason.into(), via.as_str().into(), now.into(), m.id.into(), person.into()],
    )
    .await?;
    let how = match via {
        Via::Staff => "工作人员登记",
        Via::Door => "会场扫码签到",
        Via::Remote => "远程签到",
    };
    // The person's name stays out of the log: the entry names the meeting, the person by id.
    let summary = format!("{}：参会人员（编号 {person}）{}（{how}）", m.title, state.label());
    change(if via == Via::Staff { "meeting_attendance" } else { "meeting_checkin" }, m, summary)
        .append(c, key, actor)
        .await?;
    super::moved(c, m.id).await?;
    Ok(())
}

/// Opens or ends the meeting. Ending it closes nothing by itself: a ballot still open must be
/// closed first (409), and the hall display's key is cleared.
pub async fn set_state<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    to: State,
    now: i64,
) -> AppResult<()> {
    let from = m.state();
    let allowed = matches!(
        (from, to),
        (State::Planned, State::Open) | (State::Open, State::Ended) | (State::Planned, State::Ended)
    );
    if !allowed {
        return Err(AppError::Conflict(format!("会议{}，不能改为{}", from.label(), to.label())));
    }
    if to == State::Ended {
        for b in model::ballots(c, m.id).await? {
            if let Some(x) = crate::ballot::model::ballot(c, b.ballot_id).await?
                && x.is_open()
            {
                return Err(AppError::Conflict(format!("表决「{}」还在进行，请先结束投票", x.title)));
            }
        }
    }
    db::exec(
        c,
        "UPDATE meetings SET state = $1, ends_at = CASE WHEN $1 = 'ended' THEN $2 ELSE ends_at END, \
         hall_key_hash = CASE WHEN $1 = 'ended' THEN NULL ELSE hall_key_hash END WHERE id = $3",
        vec![to.as_str().into(), now.into(), m.id.into()],
    )
    .await?;
    change(
        if to == State::Open { "meeting_open" } else { "meeting_end" },
        m,
        format!("{}：{}", m.title, if to == State::Open { "会议开始" } else { "会议结束" }),
    )
    .append(c, key, actor)
    .await?;
    super::moved(c, m.id).await?;
    Ok(())
}

/// What staff give for an agenda item; `link`: the record it is about (`suggestion`, `leg_draft`,
/// … and its id), linked through the platform's one linking mechanism.
#[derive(Clone, Copy, Debug)]
pub struct NewItem<'a> {
    pub title: &'a str,
    pub kind: ItemKind,
    pub speakers: &'a str,
    pub documents: &'a str,
    pub link: Option<(&'a str, i64)>,
}

/// An agenda item of the meeting; its id.
pub async fn add_item<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    item: NewItem<'_>,
    now: i64,
) -> AppResult<i64> {
    let NewItem { title, kind, speakers, documents, link } = item;
    within("title", title, 200)?;
    within("speakers", speakers, 200)?;
    within("documents", documents, 500)?;
    if title.trim().is_empty() {
        return Err(AppError::invalid("title", "请填写议题"));
    }
    let sort = db::scalar_i64(
        c,
        "SELECT coalesce(max(sort), 0) + 1 FROM meeting_items WHERE meeting_id = $1",
        vec![m.id.into()],
    )
    .await?;
    let id = db::insert_id(
        c,
        "INSERT INTO meeting_items (meeting_id, sort, title, kind, speakers, documents) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![m.id.into(), sort.into(), title.trim().into(), kind.as_str().into(), speakers.trim().into(), documents.trim().into()],
    )
    .await?;
    if let Some(to) = link {
        crate::links::add(c, ("meeting_item", id), to, &format!("{} 议题", m.title), now).await?;
    }
    change("meeting_item_add", m, format!("{}：增加议题「{}」", m.title, title.trim())).append(c, key, actor).await?;
    super::moved(c, m.id).await?;
    Ok(id)
}

/// The owner type of an agenda item's documents (the platform's `attachments`).
pub const FILE_OWNER: &str = "meeting_item";
/// What a meeting document may be: PDF, Word (.docx, a zip), photos of paper documents.
pub const FILE_TYPES: &[&str] = &["application/pdf", "application/zip", "image/jpeg", "image/png"];
/// Documents one agenda item may carry.
pub const MAX_FILES: i64 = 20;

/// Stores a checked document for an agenda item of the meeting (a report, a draft, a 审议意见).
pub async fn attach<C: ConnectionTrait>(
    c: &C,
    storage: &dyn crate::storage::Storage,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    item: i64,
    file: &crate::attachments::Prepared,
) -> AppResult<i64> {
    model::item(c, m.id, item).await?.ok_or(AppError::NotFound)?;
    let n = db::scalar_i64(
        c,
        "SELECT count(*) FROM attachments WHERE owner_type = $1 AND owner_id = $2",
        vec![FILE_OWNER.into(), item.to_string().into()],
    )
    .await?;
    if n >= MAX_FILES {
        return Err(AppError::invalid("file", format!("一个议题最多 {MAX_FILES} 份会议文件")));
    }
    crate::attachments::attach(c, storage, key, actor, m.organ_id, (FILE_OWNER, item), file).await
}

/// Removes a document of an agenda item of the meeting.
pub async fn detach<C: ConnectionTrait>(
    c: &C,
    storage: &dyn crate::storage::Storage,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    item: i64,
    file: i64,
) -> AppResult<()> {
    model::item(c, m.id, item).await?.ok_or(AppError::NotFound)?;
    crate::attachments::remove(c, storage, key, actor, (FILE_OWNER, item), file).await
}

/// What staff give for a meeting's ballot.
#[derive(Clone, Debug)]
pub struct NewVote {
    pub title: String,
    pub vote_kind: VoteKind,
    pub secret: bool,
    /// The candidates of a 差额 ballot, the subjects of a 测评 or score (empty: the title).
    pub options: Vec<String>,
    pub choose_max: Option<i64>,
    pub score_range: Option<(i64, i64)>,
    pub electorate: Electorate,
    pub person_ids: Vec<i64>,
    pub rule: Option<Rule>,
    pub changes: bool,
    pub item_id: Option<i64>,
}

/// Prepares a ballot of the meeting (opened later by staff, while the quorum is met). The
/// electorate: the members; the members and the invitees (never on 人事任免); or a list of the
/// meeting's participants. The base `all_members` is the meeting's members.
pub async fn add_ballot<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    v: &NewVote,
    now: i64,
) -> AppResult<i64> {
    within("title", &v.title, 200)?;
    if v.title.trim().is_empty() {
        return Err(AppError::invalid("title", "请填写表决事项"));
    }
    if m.is_ended() {
        return Err(AppError::Conflict("会议已结束，不能再增加表决".into()));
    }
    let item = match v.item_id {
        Some(id) => {
            Some(model::item(c, m.id, id).await?.ok_or_else(|| AppError::invalid("item_id", "本次会议没有这个议题"))?)
        }
        None => None,
    };
    let members = model::members(c, m.id).await?;
    let electors: Vec<i64> = match v.electorate {
        Electorate::Members => members.iter().filter(|x| x.is_member()).map(|x| x.person_id).collect(),
        Electorate::MembersAndObservers => {
            if item.as_ref().is_some_and(|i| i.kind == ItemKind::Personnel.as_str()) {
                return Err(AppError::invalid("electorate", "人事任免事项只由组成人员表决，列席人员不参加"));
            }
            members.iter().map(|x| x.person_id).collect()
        }
        Electorate::List => {
            if v.person_ids.is_empty() {
                return Err(AppError::invalid("person_ids", "请列出参加投票的人员"));
            }
            for p in &v.person_ids {
                if !members.iter().any(|x| x.person_id == *p) {
                    return Err(AppError::invalid("person_ids", format!("编号 {p} 的人员不是本次会议的参会人员")));
                }
            }
            v.person_ids.clone()
        }
    };
    let options: Vec<String> = v.options.iter().map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
    for o in &options {
        within("options", o, 200)?;
    }
    if v.vote_kind == VoteKind::Motion && !options.is_empty() {
        return Err(AppError::invalid("options", "表决的选项固定为赞成、反对、弃权，不需另列"));
    }
    if options.len() > ballots::MAX_SUBJECTS {
        return Err(AppError::invalid("options", "候选项过多"));
    }
    let subjects: Vec<NewSubject> = if options.is_empty() {
        vec![NewSubject {
            ref_type: "meeting_item",
            ref_id: v.item_id.unwrap_or(0),
            part: "",
            title: v.title.trim().into(),
        }]
    } else {
        options
            .iter()
            .enumerate()
            .map(|(i, t)| NewSubject { ref_type: "candidate", ref_id: i as i64 + 1, part: "", title: t.clone() })
            .collect()
    };
    let members_total = members.iter().filter(|x| x.is_member()).count() as i64;
    let period = m.id.to_string();
    let new = NewBallot {
        organ_id: m.organ_id,
        kind: BALLOT_KIND,
        period: &period,
        title: v.title.trim(),
        secret: v.secret,
        vote_kind: v.vote_kind,
        options: &[],
        subjects: &subjects,
        electors: &electors,
        changes: v.changes,
        choose_max: v.choose_max,
        score_range: v.score_range,
        rule: v.rule,
        members_total: Some(members_total),
        basic_counts: true,
        pending: true,
    };
    let id = ballots::open(c, key, actor, &new, now).await?;
    db::exec(
        c,
        "INSERT INTO meeting_ballots (meeting_id, ballot_id, item_id, electorate) VALUES ($1, $2, $3, $4)",
        vec![m.id.into(), id.into(), v.item_id.into(), v.electorate.as_str().into()],
    )
    .await?;
    change("meeting_ballot_add", m, format!("{}：准备表决「{}」（{}）", m.title, v.title.trim(), v.vote_kind.label()))
        .append(c, key, actor)
        .await?;
    super::moved(c, m.id).await?;
    Ok(id)
}

/// A new key for the hall's display (the old one stops working); returns it — only its hash is
/// kept, so it is shown once.
pub async fn new_hall_key<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, m: &Meeting) -> AppResult<String> {
    if m.is_ended() {
        return Err(AppError::Conflict("会议已结束".into()));
    }
    let hall = random_code(16);
    db::exec(c, "UPDATE meetings SET hall_key_hash = $1 WHERE id = $2", vec![key_hash(&hall).into(), m.id.into()])
        .await?;
    change("meeting_hall_key", m, format!("{}：生成会场大屏链接（原链接失效）", m.title)).append(c, key, actor).await?;
    Ok(hall)
}

/// The live stream's address (云列席, MTG-6): http(s) only, or empty to remove it.
pub async fn set_stream<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, m: &Meeting, url: &str) -> AppResult<()> {
    let url = url.trim();
    within("stream_url", url, 500)?;
    if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(AppError::invalid("stream_url", "直播地址应以 https:// 或 http:// 开头"));
    }
    db::exec(c, "UPDATE meetings SET stream_url = $1 WHERE id = $2", vec![url.into(), m.id.into()]).await?;
    change(
        "meeting_stream",
        m,
        format!("{}：{}", m.title, if url.is_empty() { "取消直播地址" } else { "设置直播地址" }),
    )
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// A participant's written remark (云列席's channel), held for moderation.
pub async fn add_remark<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    person: i64,
    body: &str,
    now: i64,
) -> AppResult<i64> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "请填写发言内容"));
    }
    within("body", body, 2000)?;
    if m.is_ended() {
        return Err(AppError::Conflict("会议已结束".into()));
    }
    if model::member(c, m.id, person).await?.is_none() {
        return Err(AppError::Forbidden("您不是本次会议的参会人员".into()));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO meeting_remarks (meeting_id, person_id, body, state, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![m.id.into(), person.into(), body.into(), RemarkState::Pending.as_str().into(), now.into()],
    )
    .await?;
    change("meeting_remark", m, format!("{}：提交书面发言", m.title)).append(c, key, actor).await?;
    Ok(id)
}

/// Staff show or hide a remark.
pub async fn moderate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    remark: i64,
    to: RemarkState,
    now: i64,
) -> AppResult<()> {
    if to == RemarkState::Pending {
        return Err(AppError::invalid("state", "请选择公开或不公开"));
    }
    let n = db::exec(
        c,
        "UPDATE meeting_remarks SET state = $1, moderated_by = $2, moderated_at = $3 WHERE id = $4 AND meeting_id = $5",
        vec![to.as_str().into(), actor.account_id.into(), now.into(), remark.into(), m.id.into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    change("meeting_remark_moderate", m, format!("{}：书面发言 {remark} {}", m.title, to.label()))
        .append(c, key, actor)
        .await?;
    // The hall screen shows the published remarks.
    super::moved(c, m.id).await?;
    Ok(())
}

/// How long a followed-up resolution or decision has to be implemented when staff give no date.
pub const DEFAULT_DUE_DAYS: i64 = 90;

/// What staff give for a record of the meeting: minutes, or a resolution or decision (adopted
/// by one of its closed ballots, whose figures it carries; followed up unless `track` is off,
/// by `due` — 落实期限 — or `DEFAULT_DUE_DAYS` after it is recorded).
#[derive(Clone, Copy, Debug)]
pub struct NewRecord<'a> {
    pub kind: RecordKind,
    pub title: &'a str,
    pub body: &'a str,
    pub ballot: Option<i64>,
    pub track: bool,
    pub due: Option<chrono::NaiveDate>,
}

/// A record of the meeting; its id.
pub async fn add_record<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    r: NewRecord<'_>,
    now: i64,
) -> AppResult<i64> {
    let NewRecord { kind, title, body, ballot, track, due } = r;
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::invalid("title", "请填写标题"));
    }
    within("title", title, 200)?;
    within("body", body, 20_000)?;
    if let Some(b) = ballot {
        let ours = model::ballots(c, m.id).await?.iter().any(|x| x.ballot_id == b);
        let closed = crate::ballot::model::ballot(c, b).await?.is_some_and(|x| x.is_closed());
        if !ours || !closed {
            return Err(AppError::invalid("ballot_id", "请选择本次会议已结束的表决"));
        }
    }
    let tracking = if kind == RecordKind::Minutes || !track { Tracking::None } else { Tracking::Pending };
    let due = match (tracking, due) {
        (Tracking::None, _) => None,
        (_, Some(d)) if d < crate::calendar::beijing_date(m.starts_at) => {
            return Err(AppError::invalid("due_date", "落实期限不能早于会议日期"));
        }
        (_, Some(d)) => Some(d),
        (_, None) => Some(crate::calendar::beijing_date(now) + chrono::Duration::days(DEFAULT_DUE_DAYS)),
    };
    let year = chrono::Datelike::year(&crate::calendar::beijing_date(m.starts_at));
    let count = db::scalar_i64(
        c,
        "SELECT count(*) FROM meeting_records r JOIN meetings x ON x.id = r.meeting_id WHERE x.organ_id = $1 AND r.kind = $2",
        vec![m.organ_id.into(), kind.as_str().into()],
    )
    .await?;
    let number = if kind == RecordKind::Minutes { String::new() } else { format!("〔{year}〕{}号", count + 1) };
    let id = db::insert_id(
        c,
        "INSERT INTO meeting_records (meeting_id, kind, number, title, body, ballot_id, tracking, due_date, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            m.id.into(),
            kind.as_str().into(),
            number.clone().into(),
            title.into(),
            body.trim().into(),
            ballot.into(),
            tracking.as_str().into(),
            due.map(|d| d.format("%Y-%m-%d").to_string()).into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited(
        "meeting_record_add",
        "meeting_record",
        id,
        format!("{}：{}{number}「{title}」", m.title, kind.label()),
    )
    .in_organ(m.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// A note on a resolution's implementation: the record, what was done, the state it moves to.
#[derive(Clone, Copy, Debug)]
pub struct NewNote<'a> {
    pub record: i64,
    pub body: &'a str,
    pub to: Tracking,
}

/// Records a note on a resolution's implementation, moving its tracking state.
pub async fn add_note<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    m: &Meeting,
    note: NewNote<'_>,
    now: i64,
) -> AppResult<()> {
    let NewNote { record, body, to } = note;
    let r = model::record(c, record).await?.filter(|r| r.meeting_id == m.id).ok_or(AppError::NotFound)?;
    if r.tracking == Tracking::None.as_str() {
        return Err(AppError::Conflict("这项记录不需要跟踪落实".into()));
    }
    if matches!(to, Tracking::None | Tracking::Pending) && r.tracking != Tracking::Pending.as_str() {
        return Err(AppError::invalid("tracking", "请选择落实中或已落实"));
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "请填写落实情况"));
    }
    within("body", body, 5_000)?;
    db::exec(
        c,
        "INSERT INTO meeting_record_notes (record_id, body, tracking, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![record.into(), body.into(), to.as_str().into(), actor.account_id.into(), now.into()],
    )
    .await?;
    db::exec(c, "UPDATE meeting_records SET tracking = $1 WHERE id = $2", vec![to.as_str().into(), record.into()])
        .await?;
    Change::audited(
        "meeting_record_note",
        "meeting_record",
        record,
        format!("{}：落实情况（{}）", r.title, to.label()),
    )
    .in_organ(m.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}
