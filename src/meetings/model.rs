//! What a meeting is (MTG-1/2/6/7): its kind and number, whose members sit, the members and 列席
//! invitees with their attendance, the quorum counted from it, the agenda, its ballots, the
//! remarks of remote participants and its records — types and the SQL that reads them.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::app::codes::code_enum;
use crate::ballot::tally::{Base, Rule, chinese_number};
use crate::db;

code_enum! {
    /// The kinds of meeting.
    #[derive(schemars::JsonSchema)]
    pub enum Kind {
        /// 人民代表大会会议 (with 主席团 and 代表团).
        Congress = ("congress", "人民代表大会会议"),
        /// 常委会会议, numbered per term.
        Standing = ("standing", "常委会会议"),
        /// 主任会议.
        Chairs = ("chairs", "主任会议"),
        /// 专门委员会会议.
        Committee = ("committee", "专门委员会会议"),
        /// 乡镇人民代表大会会议.
        Township = ("township", "乡镇人民代表大会会议"),
        /// 主席团会议 of a 人代会 session, numbered per session.
        Presidium = ("presidium", "主席团会议"),
    }
}

impl Kind {
    /// A session of a congress, which has a 主席团 and 代表团.
    pub fn is_session(self) -> bool {
        matches!(self, Kind::Congress | Kind::Township)
    }
}

code_enum! {
    /// Whose members sit: the standing committee's members (常委会组成人员), the 主任会议's
    /// (主任、副主任、秘书长), a committee's, every serving deputy of the congress (by 代表团), or
    /// a list.
    #[derive(schemars::JsonSchema)]
    pub enum MembersOf {
        Standing = ("standing", "常委会组成人员"),
        Chairs = ("chairs", "主任会议组成人员"),
        Committee = ("committee", "专门委员会组成人员"),
        Congress = ("congress", "本级全体代表"),
        List = ("list", "指定名单"),
        /// The 主席团 of a 人代会 session (`session_id`): its members other than the 秘书长, who
        /// sits as 列席.
        Presidium = ("presidium", "大会主席团"),
    }
}

code_enum! {
    /// A place in a session's 主席团.
    #[derive(schemars::JsonSchema)]
    pub enum PresidiumRole {
        /// 常务主席.
        StandingChair = ("standing_chair", "常务主席"),
        /// 执行主席.
        Presiding = ("presiding", "执行主席"),
        /// 主席团成员.
        Member = ("member", "主席团成员"),
        /// 秘书长: sits in the 主席团会议 as 列席, does not vote there.
        SecretaryGeneral = ("secretary_general", "秘书长"),
    }
}

code_enum! {
    /// A member's or invitee's place at the meeting.
    #[derive(schemars::JsonSchema)]
    pub enum Role {
        /// 组成人员 (a member, who counts for the quorum).
        Member = ("member", "组成人员"),
        /// 列席 (an invitee: deputies, heads of departments).
        Observer = ("observer", "列席人员"),
    }
}

code_enum! {
    /// Attendance (MTG-2); `pending` until it is taken.
    #[derive(schemars::JsonSchema)]
    pub enum Attendance {
        Pending = ("pending", "未签到"),
        Present = ("present", "出席"),
        Remote = ("remote", "云列席"),
        Leave = ("leave", "请假"),
        Absent = ("absent", "缺席"),
        Observer = ("observer", "列席"),
    }
}

code_enum! {
    /// Where a meeting is.
    #[derive(schemars::JsonSchema)]
    pub enum State {
        Planned = ("planned", "未开始"),
        Open = ("open", "进行中"),
        Ended = ("ended", "已结束"),
    }
}

code_enum! {
    /// What an agenda item is.
    #[derive(schemars::JsonSchema)]
    pub enum ItemKind {
        Report = ("report", "审议报告"),
        Draft = ("draft", "法规草案"),
        /// 人事任免: 列席 deputies do not vote on it.
        Personnel = ("personnel", "人事任免"),
        Decision = ("decision", "决议决定"),
        Project = ("project", "民生实事"),
        Other = ("other", "其他"),
    }
}

code_enum! {
    /// Who votes in a meeting's ballot.
    #[derive(schemars::JsonSchema)]
    pub enum Electorate {
        Members = ("members", "组成人员"),
        /// 组成人员和列席代表 (never on 人事任免).
        MembersAndObservers = ("members_and_observers", "组成人员和列席人员"),
        List = ("list", "指定名单"),
    }
}

code_enum! {
    /// A remote participant's written remark.
    #[derive(schemars::JsonSchema)]
    pub enum RemarkState {
        Pending = ("pending", "待审核"),
        Shown = ("shown", "已公开"),
        Hidden = ("hidden", "不公开"),
    }
}

code_enum! {
    /// A record of a meeting (MTG-7).
    #[derive(schemars::JsonSchema)]
    pub enum RecordKind {
        Minutes = ("minutes", "会议纪要"),
        Resolution = ("resolution", "决议"),
        Decision = ("decision", "决定"),
    }
}

code_enum! {
    /// How far a resolution's or decision's implementation is.
    #[derive(schemars::JsonSchema)]
    pub enum Tracking {
        None = ("none", "无需跟踪"),
        Pending = ("pending", "待落实"),
        InProgress = ("in_progress", "落实中"),
        Done = ("done", "已落实"),
    }
}

/// One meeting with its organ.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Meeting {
    pub id: i64,
    pub organ_id: i64,
    pub organ_name: String,
    #[serde(skip)]
    pub organ_path: String,
    #[schemars(with = "Kind")]
    pub kind: String,
    /// 届 and 次 of a numbered meeting (常委会会议, 人代会).
    pub term: Option<i64>,
    pub number: Option<i64>,
    pub title: String,
    /// Unix seconds.
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub place: String,
    #[schemars(with = "MembersOf")]
    pub members_of: String,
    pub committee_id: Option<i64>,
    /// The 人代会 session whose 主席团 sits (a 主席团会议).
    pub session_id: Option<i64>,
    #[serde(skip)]
    pub quorum_num: i64,
    #[serde(skip)]
    pub quorum_den: i64,
    #[serde(skip)]
    pub quorum_strict: bool,
    #[schemars(with = "State")]
    pub state: String,
    /// The live stream of 云列席 (the installation's own streaming service).
    pub stream_url: String,
    #[serde(skip)]
    pub hall_key_hash: Option<String>,
    #[serde(skip)]
    pub door_code: String,
}

impl Meeting {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Standing)
    }
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Planned)
    }
    pub fn kind_label(&self) -> &'static str {
        self.kind().label()
    }
    pub fn state_label(&self) -> &'static str {
        self.state().label()
    }
    /// Its number in words: 「第十四届人大常委会第九次会议」, 「第十八届人民代表大会第三次会议」.
    pub fn numbered(&self) -> Option<String> {
        if self.kind() == Kind::Presidium {
            return Some(format!("主席团第{}次会议", chinese_number(self.number?)));
        }
        let (term, n) = (self.term?, self.number?);
        let (t, n) = (chinese_number(term), chinese_number(n));
        match self.kind() {
            Kind::Standing => Some(format!("第{t}届人大常委会第{n}次会议")),
            Kind::Congress | Kind::Township => Some(format!("第{t}届人民代表大会第{n}次会议")),
            Kind::Chairs => Some(format!("第{t}届人大常委会第{n}次主任会议")),
            Kind::Committee | Kind::Presidium => None,
        }
    }
    /// The quorum rule: more than half of all members unless the meeting says otherwise.
    pub fn quorum_rule(&self) -> Rule {
        Rule { base: Base::AllMembers, num: self.quorum_num, den: self.quorum_den, strict: self.quorum_strict }
    }
    pub fn starts(&self) -> String {
        crate::app::fmt::datetime(self.starts_at)
    }
    pub fn is_ended(&self) -> bool {
        self.state() == State::Ended
    }
}

const COLUMNS: &str = "m.id, m.organ_id, o.name AS organ_name, o.path AS organ_path, m.kind, m.term, m.number, m.title, \
     m.starts_at, m.ends_at, m.place, m.members_of, m.committee_id, m.session_id, m.quorum_num, m.quorum_den, m.quorum_strict, \
     m.state, m.stream_url, m.hall_key_hash, m.door_code";

pub async fn meeting<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Meeting>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM meetings m JOIN organs o ON o.id = m.organ_id WHERE m.id = $1");
    db::query_one(c, &sql, vec![id.into()]).await
}

/// The meetings of the organs under `organ_path`, newest first.
pub async fn of_organs<C: ConnectionTrait>(c: &C, organ_path: &str, limit: i64) -> Result<Vec<Meeting>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM meetings m JOIN organs o ON o.id = m.organ_id WHERE o.path LIKE $1 \
         ORDER BY m.starts_at DESC, m.id DESC LIMIT $2"
    );
    db::query_all(c, &sql, vec![format!("{}%", db::like_escape(organ_path)).into(), limit.into()]).await
}

/// The meetings `person` sits in or is invited to, newest first.
pub async fn of_person<C: ConnectionTrait>(c: &C, person: i64, limit: i64) -> Result<Vec<Meeting>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM meetings m JOIN organs o ON o.id = m.organ_id \
         JOIN meeting_members mm ON mm.meeting_id = m.id WHERE mm.person_id = $1 \
         ORDER BY m.starts_at DESC, m.id DESC LIMIT $2"
    );
    db::query_all(c, &sql, vec![person.into(), limit.into()]).await
}

/// The 主席团会议 of a session, in order.
pub async fn of_session<C: ConnectionTrait>(c: &C, session: i64) -> Result<Vec<Meeting>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM meetings m JOIN organs o ON o.id = m.organ_id WHERE m.session_id = $1 \
         ORDER BY m.number, m.id"
    );
    db::query_all(c, &sql, vec![session.into()]).await
}

/// A member of a session's 主席团.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct PresidiumMember {
    pub person_id: i64,
    pub name: String,
    #[schemars(with = "PresidiumRole")]
    pub role: String,
    /// The member's 代表团 at the session.
    pub delegation: String,
}

impl PresidiumMember {
    pub fn role(&self) -> PresidiumRole {
        PresidiumRole::parse(&self.role).unwrap_or(PresidiumRole::Member)
    }
    pub fn role_label(&self) -> &'static str {
        self.role().label()
    }
    /// Sits in the 主席团会议 as a member (the 秘书长 sits as 列席).
    pub fn votes(&self) -> bool {
        self.role() != PresidiumRole::SecretaryGeneral
    }
}

/// The 主席团 of a session: 常务主席 first, then 执行主席, members, the 秘书长.
pub async fn presidium<C: ConnectionTrait>(c: &C, session: i64) -> Result<Vec<PresidiumMember>, DbErr> {
    db::query_all(
        c,
        "SELECT mp.person_id, p.name, mp.role, coalesce(mm.delegation, '') AS delegation FROM meeting_presidium mp \
         JOIN persons p ON p.id = mp.person_id \
         LEFT JOIN meeting_members mm ON mm.meeting_id = mp.session_id AND mm.person_id = mp.person_id \
         WHERE mp.session_id = $1 ORDER BY mp.sort, mp.id",
        vec![session.into()],
    )
    .await
}

/// A member or invitee with their attendance.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Member {
    pub person_id: i64,
    pub name: String,
    #[schemars(with = "Role")]
    pub role: String,
    /// 代表团 (a 人代会's deputies) or empty.
    pub delegation: String,
    #[schemars(with = "Attendance")]
    pub attendance: String,
    /// A leave's reason.
    pub reason: String,
    /// How it was taken: `staff`, `door` (the QR code at the door), `self` (remote), empty.
    pub via: String,
    pub marked_at: Option<i64>,
}

impl Member {
    pub fn attendance_label(&self) -> &'static str {
        Attendance::parse(&self.attendance).map(Attendance::label).unwrap_or("")
    }
    pub fn is_member(&self) -> bool {
        self.role == Role::Member.as_str()
    }
    pub fn colour(&self) -> &'static str {
        match Attendance::parse(&self.attendance) {
            Some(Attendance::Present | Attendance::Observer) => "green",
            Some(Attendance::Remote) => "blue",
            Some(Attendance::Leave) => "orange",
            Some(Attendance::Absent) => "red",
            _ => "grey",
        }
    }
}

pub async fn members<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<Vec<Member>, DbErr> {
    db::query_all(
        c,
        "SELECT mm.person_id, p.name, mm.role, mm.delegation, mm.attendance, mm.reason, mm.via, mm.marked_at \
         FROM meeting_members mm JOIN persons p ON p.id = mm.person_id WHERE mm.meeting_id = $1 \
         ORDER BY mm.role DESC, mm.delegation, mm.id",
        vec![meeting.into()],
    )
    .await
}

pub async fn member<C: ConnectionTrait>(c: &C, meeting: i64, person: i64) -> Result<Option<Member>, DbErr> {
    db::query_one(
        c,
        "SELECT mm.person_id, p.name, mm.role, mm.delegation, mm.attendance, mm.reason, mm.via, mm.marked_at \
         FROM meeting_members mm JOIN persons p ON p.id = mm.person_id WHERE mm.meeting_id = $1 AND mm.person_id = $2",
        vec![meeting.into(), person.into()],
    )
    .await
}

/// The quorum (MTG-2): how many members there are, how many are present, how many must be.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Quorum {
    /// All members (组成人员), invitees not counted.
    pub members: i64,
    /// Members present in the hall (出席; 云列席 and 列席 do not count).
    pub present: i64,
    pub required: i64,
    pub met: bool,
    /// The rule in words: 「全体组成人员的过半数」.
    pub rule: String,
}

pub async fn quorum<C: ConnectionTrait>(c: &C, m: &Meeting) -> Result<Quorum, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT count(*), coalesce(sum(CASE WHEN attendance = 'present' THEN 1 ELSE 0 END), 0) FROM meeting_members \
         WHERE meeting_id = $1 AND role = 'member'",
        vec![m.id.into()],
    )
    .await?;
    let (members, present): (i64, i64) = match rows.first() {
        Some(r) => (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
        None => (0, 0),
    };
    let rule = m.quorum_rule();
    let required = rule.needed(members);
    Ok(Quorum { members, present, required, met: members > 0 && present >= required, rule: rule.words() })
}

/// An agenda item.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Item {
    pub id: i64,
    pub sort: i64,
    pub title: String,
    #[schemars(with = "ItemKind")]
    pub kind: String,
    pub speakers: String,
    pub documents: String,
}

impl Item {
    pub fn kind_label(&self) -> &'static str {
        ItemKind::parse(&self.kind).map(ItemKind::label).unwrap_or("")
    }
}

pub async fn items<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<Vec<Item>, DbErr> {
    db::query_all(
        c,
        "SELECT id, sort, title, kind, speakers, documents FROM meeting_items WHERE meeting_id = $1 ORDER BY sort, id",
        vec![meeting.into()],
    )
    .await
}

pub async fn item<C: ConnectionTrait>(c: &C, meeting: i64, id: i64) -> Result<Option<Item>, DbErr> {
    db::query_one(
        c,
        "SELECT id, sort, title, kind, speakers, documents FROM meeting_items WHERE meeting_id = $1 AND id = $2",
        vec![meeting.into(), id.into()],
    )
    .await
}

/// The meeting an agenda item belongs to.
pub async fn meeting_of_item<C: ConnectionTrait>(c: &C, item: i64) -> Result<Option<i64>, DbErr> {
    Ok(db::query_rows(c, "SELECT meeting_id FROM meeting_items WHERE id = $1", vec![item.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok()))
}

/// A ballot of the meeting: the ballot's id, the item it decides and the electorate chosen.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct MeetingBallot {
    pub ballot_id: i64,
    pub item_id: Option<i64>,
    #[schemars(with = "Electorate")]
    pub electorate: String,
}

pub async fn ballots<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<Vec<MeetingBallot>, DbErr> {
    db::query_all(
        c,
        "SELECT ballot_id, item_id, electorate FROM meeting_ballots WHERE meeting_id = $1 ORDER BY ballot_id",
        vec![meeting.into()],
    )
    .await
}

/// The meeting a ballot belongs to.
pub async fn meeting_of_ballot<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Option<i64>, DbErr> {
    Ok(db::query_rows(c, "SELECT meeting_id FROM meeting_ballots WHERE ballot_id = $1", vec![ballot.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok()))
}

/// A remote participant's remark.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Remark {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub body: String,
    #[schemars(with = "RemarkState")]
    pub state: String,
    pub created_at: i64,
}

impl Remark {
    pub fn state_label(&self) -> &'static str {
        RemarkState::parse(&self.state).map(RemarkState::label).unwrap_or("")
    }
}

/// The remarks of a meeting: all of them (`all`, for staff) or those shown and the caller's own.
pub async fn remarks<C: ConnectionTrait>(
    c: &C,
    meeting: i64,
    all: bool,
    own: Option<i64>,
) -> Result<Vec<Remark>, DbErr> {
    db::query_all(
        c,
        "SELECT r.id, r.person_id, p.name, r.body, r.state, r.created_at FROM meeting_remarks r \
         JOIN persons p ON p.id = r.person_id WHERE r.meeting_id = $1 AND ($2 OR r.state = 'shown' OR r.person_id = $3) \
         ORDER BY r.id LIMIT 500",
        vec![meeting.into(), all.into(), own.unwrap_or(0).into()],
    )
    .await
}

/// A remark staff made public, as the hall screen shows it.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct ShownRemark {
    pub id: i64,
    pub name: String,
    pub body: String,
}

/// The newest `limit` remarks staff made public, the last published first.
pub async fn shown_remarks<C: ConnectionTrait>(c: &C, meeting: i64, limit: i64) -> Result<Vec<ShownRemark>, DbErr> {
    db::query_all(
        c,
        "SELECT r.id, p.name, r.body FROM meeting_remarks r JOIN persons p ON p.id = r.person_id \
         WHERE r.meeting_id = $1 AND r.state = 'shown' ORDER BY r.moderated_at DESC, r.id DESC LIMIT $2",
        vec![meeting.into(), limit.into()],
    )
    .await
}

/// A record of a meeting: minutes, a resolution or a decision.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Record {
    pub id: i64,
    pub meeting_id: i64,
    #[schemars(with = "RecordKind")]
    pub kind: String,
    pub number: String,
    pub title: String,
    pub body: String,
    /// The ballot that adopted it (its figures are the vote's).
    pub ballot_id: Option<i64>,
    #[schemars(with = "Tracking")]
    pub tracking: String,
    /// 落实期限 of a followed-up record (`YYYY-MM-DD`, Beijing).
    pub due_date: Option<String>,
    pub created_at: i64,
}

impl Record {
    pub fn kind_label(&self) -> &'static str {
        RecordKind::parse(&self.kind).map(RecordKind::label).unwrap_or("")
    }
    pub fn tracking_label(&self) -> &'static str {
        Tracking::parse(&self.tracking).map(Tracking::label).unwrap_or("")
    }
}

const RECORD_COLUMNS: &str = "id, meeting_id, kind, number, title, body, ballot_id, tracking, due_date, created_at";

pub async fn records<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<Vec<Record>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {RECORD_COLUMNS} FROM meeting_records WHERE meeting_id = $1 ORDER BY id"),
        vec![meeting.into()],
    )
    .await
}

pub async fn record<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Record>, DbErr> {
    db::query_one(c, &format!("SELECT {RECORD_COLUMNS} FROM meeting_records WHERE id = $1"), vec![id.into()]).await
}

/// A dated note on a record's implementation.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Note {
    pub id: i64,
    pub record_id: i64,
    pub body: String,
    #[schemars(with = "Tracking")]
    pub tracking: String,
    pub created_at: i64,
}

pub async fn notes<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<Vec<Note>, DbErr> {
    db::query_all(
        c,
        "SELECT n.id, n.record_id, n.body, n.tracking, n.created_at FROM meeting_record_notes n \
         JOIN meeting_records r ON r.id = n.record_id WHERE r.meeting_id = $1 ORDER BY n.id",
        vec![meeting.into()],
    )
    .await
}

/// A line of the register of what the meetings of an organ adopted (MTG-7).
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Adopted {
    pub meeting_id: i64,
    pub meeting_title: String,
    pub starts_at: i64,
    pub record_id: i64,
    #[schemars(with = "RecordKind")]
    pub kind: String,
    pub number: String,
    pub title: String,
    pub ballot_id: Option<i64>,
    #[schemars(with = "Tracking")]
    pub tracking: String,
    pub due_date: Option<String>,
}

/// The resolutions and decisions of the meetings under `organ_path`, the newest recorded first:
/// those of one tracking state if given, recorded before the record `before` (0: from the
/// newest), at most `limit`.
pub async fn register<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    tracking: Option<Tracking>,
    before: i64,
    limit: u64,
) -> Result<Vec<Adopted>, DbErr> {
    db::query_all(
        c,
        "SELECT m.id AS meeting_id, m.title AS meeting_title, m.starts_at, r.id AS record_id, r.kind, r.number, r.title, \
         r.ballot_id, r.tracking, r.due_date FROM meeting_records r JOIN meetings m ON m.id = r.meeting_id \
         JOIN organs o ON o.id = m.organ_id WHERE o.path LIKE $1 AND r.kind <> 'minutes' \
         AND ($2 = '' OR r.tracking = $2) AND ($3 = 0 OR r.id < $3) ORDER BY r.id DESC LIMIT $4",
        vec![
            format!("{}%", db::like_escape(organ_path)).into(),
            tracking.map(|t| t.as_str()).unwrap_or("").into(),
            before.into(),
            (limit as i64).into(),
        ],
    )
    .await
}
