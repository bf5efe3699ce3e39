//! The handling loop as data (OPN-5 to OPN-10): its states, its steps, who may take each step
//! from which states, and where the step leads. The service (`super::service`) runs a step
//! only when `next` allows it; the tests enumerate every state × step × party.
//!
//! 代表建议, 问题清单 and rectification items use the same table: what differs between them is
//! the intake, never the loop.

use serde::{Deserialize, Serialize};

/// Where an item stands (API values of opinions.md "States").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待审核: held by the word list or abuse control, not yet visible to handlers.
    Held,
    /// 待受理: waiting for triage.
    Received,
    /// 已直接答复: answered at triage.
    AnsweredDirectly,
    /// 不予受理, with a reason the submitter sees.
    Rejected,
    /// 已交办: sent to units, waiting for them to start.
    Assigned,
    /// 办理中.
    InProgress,
    /// 已答复: the reply is in, waiting for ratings.
    Replied,
    /// 二次办理: reopened after 不满意.
    Rehandling,
    /// 已办结.
    Closed,
    /// 跟踪办理: answered with a plan (a B-class reply) and followed until solved, carried over
    /// from year to year; the units give a further reply when it is done.
    Following,
}

impl State {
    pub const ALL: [State; 10] = [
        State::Held,
        State::Received,
        State::AnsweredDirectly,
        State::Rejected,
        State::Assigned,
        State::InProgress,
        State::Replied,
        State::Rehandling,
        State::Closed,
        State::Following,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Held => "held",
            State::Received => "received",
            State::AnsweredDirectly => "answered_directly",
            State::Rejected => "rejected",
            State::Assigned => "assigned",
            State::InProgress => "in_progress",
            State::Replied => "replied",
            State::Rehandling => "rehandling",
            State::Closed => "closed",
            State::Following => "following",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            State::Held => "待审核",
            State::Received => "待受理",
            State::AnsweredDirectly => "已直接答复",
            State::Rejected => "不予受理",
            State::Assigned => "已交办",
            State::InProgress => "办理中",
            State::Replied => "已答复",
            State::Rehandling => "二次办理",
            State::Closed => "已办结",
            State::Following => "跟踪办理",
        }
    }
    /// Units are working on it: deadlines run, 预警 and 超期 apply.
    pub fn with_units(self) -> bool {
        matches!(self, State::Assigned | State::InProgress | State::Rehandling)
    }
    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, State::Rejected | State::Closed)
    }
    /// A badge colour of ui.md.
    pub fn colour(self) -> &'static str {
        match self {
            State::Held => "grey",
            State::Received => "blue",
            State::Assigned | State::InProgress | State::Rehandling | State::Following => "orange",
            State::Replied | State::AnsweredDirectly => "green",
            State::Rejected => "grey",
            State::Closed => "green",
        }
    }
}

/// Who reads the free text written with a step: the submitter (on `/track`, and so in
/// their SMS), or the handlers only. Nothing written in a step is public: the public sees an
/// item only through its publication (`crate::publish`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// 反映人可见.
    Submitter,
    /// 仅内部可见: staff, units, deputies at work on it.
    Internal,
}

impl Audience {
    /// The words under the field on the form.
    pub fn label(self) -> &'static str {
        match self {
            Audience::Submitter => "反映人可见",
            Audience::Internal => "仅内部可见，反映人和公众看不到",
        }
    }
}

/// What someone does to an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// 审核通过: a held submission goes to triage.
    Release,
    /// 不予受理 (with a reason).
    Reject,
    /// 直接答复 (当场答复 / 政策解释).
    AnswerDirectly,
    /// 交办 to units as 主办 / 协办 / 分办 with a deadline.
    Assign,
    /// 签收: a unit starts.
    Accept,
    /// 退回: a unit says it is the wrong one (within the allowed days).
    Return,
    /// 办理进展: a note (and attachments).
    Progress,
    /// 申请延期.
    RequestExtension,
    /// 延期审批 (approved or refused).
    DecideExtension,
    /// 答复 with its result.
    Reply,
    /// 评价 by the submitter or the deputy who raised it.
    Rate,
    /// 二次办理: the same units, a new round and deadline.
    Reopen,
    /// 办结.
    Close,
    /// 督办: 催办, 约谈, 通报, 挂牌督办 — recorded in the history, the state stays.
    Supervise,
    /// 预警 and 超期 raised by the deadline scan.
    DeadlineNotice,
    /// 并案: a duplicate follows another item from then on; its submitter gets that item's reply.
    Merge,
    /// 转交代表: the deputy of the station (or another) takes it up, to answer or ask for 交办.
    HandToDeputy,
    /// 请机关交办: the deputy asks staff to send it to the units (OPN-11).
    RequestAssign,
    /// 沟通联系: a unit records a contact with the one who raised the item (面商, 电话, 座谈,
    /// 走访) before it replies.
    Contact,
    /// 协办意见: a 协办 unit gives its opinion to the 主办 (its part is then done).
    AssistOpinion,
    /// 转入跟踪办理: a reply that promises a solution (B-class) is followed until solved.
    Follow,
    /// 撤回交办: staff take one unit's assignment back, with a reason (before the unit signs
    /// for it, or after, and then the unit is told to stop).
    Withdraw,
    /// 改派: staff move one unit's assignment to another unit, which gets a fresh deadline.
    Reassign,
}

impl Step {
    pub const ALL: [Step; 23] = [
        Step::Release,
        Step::Reject,
        Step::AnswerDirectly,
        Step::Assign,
        Step::Accept,
        Step::Return,
        Step::Progress,
        Step::RequestExtension,
        Step::DecideExtension,
        Step::Reply,
        Step::Rate,
        Step::Reopen,
        Step::Close,
        Step::Supervise,
        Step::DeadlineNotice,
        Step::Merge,
        Step::HandToDeputy,
        Step::RequestAssign,
        Step::Contact,
        Step::AssistOpinion,
        Step::Follow,
        Step::Withdraw,
        Step::Reassign,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Release => "release",
            Step::Reject => "reject",
            Step::AnswerDirectly => "answer_directly",
            Step::Assign => "assign",
            Step::Accept => "accept",
            Step::Return => "return",
            Step::Progress => "progress",
            Step::RequestExtension => "request_extension",
            Step::DecideExtension => "decide_extension",
            Step::Reply => "reply",
            Step::Rate => "rate",
            Step::Reopen => "reopen",
            Step::Close => "close",
            Step::Supervise => "supervise",
            Step::DeadlineNotice => "deadline_notice",
            Step::Merge => "merge",
            Step::HandToDeputy => "hand_to_deputy",
            Step::RequestAssign => "request_assign",
            Step::Contact => "contact",
            Step::AssistOpinion => "assist_opinion",
            Step::Follow => "follow",
            Step::Withdraw => "withdraw",
            Step::Reassign => "reassign",
        }
    }
    /// Who reads the text a step is taken with (the one table the forms' labels and the
    /// history lines follow; `tests/it/security/internal_texts.rs` walks it).
    pub fn text_audience(self) -> Audience {
        match self {
            Step::Reject
            | Step::AnswerDirectly
            | Step::Reply
            | Step::Rate
            | Step::Reopen
            | Step::Close
            | Step::Contact
            | Step::Follow => Audience::Submitter,
            Step::Release
            | Step::Assign
            | Step::Accept
            | Step::Return
            | Step::Progress
            | Step::RequestExtension
            | Step::DecideExtension
            | Step::Supervise
            | Step::DeadlineNotice
            | Step::Merge
            | Step::HandToDeputy
            | Step::RequestAssign
            | Step::AssistOpinion
            | Step::Withdraw
            | Step::Reassign => Audience::Internal,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Step::Release => "审核通过",
            Step::Reject => "不予受理",
            Step::AnswerDirectly => "直接答复",
            Step::Assign => "交办",
            Step::Accept => "签收",
            Step::Return => "退回",
            Step::Progress => "办理进展",
            Step::RequestExtension => "申请延期",
            Step::DecideExtension => "延期审批",
            Step::Reply => "答复",
            Step::Rate => "评价",
            Step::Reopen => "二次办理",
            Step::Close => "办结",
            Step::Supervise => "督办",
            Step::DeadlineNotice => "期限提醒",
            Step::Merge => "并案",
            Step::HandToDeputy => "转交代表",
            Step::RequestAssign => "请机关交办",
            Step::Contact => "沟通联系",
            Step::AssistOpinion => "协办意见",
            Step::Follow => "跟踪办理",
            Step::Withdraw => "撤回交办",
            Step::Reassign => "改派",
        }
    }
}

/// Who takes a step, as the loop sees them (the authorization layer decides which principal
/// is which party for an item).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// Staff (or admin) of the organ that handles the item.
    Staff,
    /// A leader of the organ (督办).
    Leader,
    /// A unit with a live assignment on the item.
    Unit,
    /// The citizen who submitted it (by tracking number and query code).
    Submitter,
    /// The deputy who raised it or to whom it was addressed.
    Deputy,
    /// The platform itself (the deadline scan, the automatic second round).
    System,
}

impl Party {
    pub const ALL: [Party; 6] =
        [Party::Staff, Party::Leader, Party::Unit, Party::Submitter, Party::Deputy, Party::System];
}

/// Where a step leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    To(State),
    /// The state stays (notes, ratings, 督办, extension requests).
    Same,
}

/// One line of the table.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub step: Step,
    pub from: &'static [State],
    pub to: Target,
    pub by: &'static [Party],
}

use Party::{Deputy, Leader, Staff, Submitter, System, Unit};
use State::*;

const WITH_UNITS: &[State] = &[Assigned, InProgress, Rehandling];
const OPEN: &[State] = &[Held, Received, AnsweredDirectly, Assigned, InProgress, Replied, Rehandling, Following];

/// The loop. A step not listed for a state and party is refused.
pub const RULES: &[Rule] = &[
    Rule { step: Step::Release, from: &[Held], to: Target::To(Received), by: &[Staff] },
    Rule { step: Step::Reject, from: &[Held, Received], to: Target::To(Rejected), by: &[Staff] },
    Rule { step: Step::AnswerDirectly, from: &[Received], to: Target::To(AnsweredDirectly), by: &[Staff, Deputy] },
    Rule { step: Step::Assign, from: &[Received], to: Target::To(Assigned), by: &[Staff] },
    // Each unit signs for itself: after the first, the others still may (the item is 办理中).
    Rule { step: Step::Accept, from: &[Assigned, InProgress, Rehandling], to: Target::To(InProgress), by: &[Unit] },
    // Where a return leads depends on the units left (see `service`): the item goes back to
    // triage when no unit that answers is left, else it stays.
    Rule { step: Step::Return, from: WITH_UNITS, to: Target::Same, by: &[Unit] },
    Rule { step: Step::Progress, from: WITH_UNITS, to: Target::To(InProgress), by: &[Unit] },
    // A 协办 unit's part: its opinion to the 主办 (the service refuses it from a 主办).
    Rule { step: Step::AssistOpinion, from: WITH_UNITS, to: Target::Same, by: &[Unit] },
    Rule { step: Step::RequestExtension, from: WITH_UNITS, to: Target::Same, by: &[Unit] },
    Rule { step: Step::DecideExtension, from: WITH_UNITS, to: Target::Same, by: &[Staff] },
    // The item is 已答复 once every answering unit has replied (see `service`).
    Rule { step: Step::Reply, from: WITH_UNITS, to: Target::Same, by: &[Unit] },
    Rule { step: Step::Rate, from: &[Replied, AnsweredDirectly], to: Target::Same, by: &[Submitter, Deputy] },
    Rule { step: Step::Reopen, from: &[Replied], to: Target::To(Rehandling), by: &[Staff, System] },
    Rule { step: Step::Close, from: &[Replied, AnsweredDirectly], to: Target::To(Closed), by: &[Staff, System] },
    Rule { step: Step::Supervise, from: WITH_UNITS, to: Target::Same, by: &[Leader, Staff] },
    Rule { step: Step::DeadlineNotice, from: WITH_UNITS, to: Target::Same, by: &[System] },
    Rule { step: Step::Merge, from: &[Held, Received], to: Target::Same, by: &[Staff] },
    Rule { step: Step::HandToDeputy, from: &[Received], to: Target::Same, by: &[Staff] },
    Rule { step: Step::RequestAssign, from: &[Received], to: Target::Same, by: &[Deputy] },
    // Staff correct a 交办 while units work: one unit's assignment taken back or moved to
    // another unit. Where the item goes depends on the units left (see `service`).
    Rule { step: Step::Withdraw, from: WITH_UNITS, to: Target::Same, by: &[Staff] },
    Rule { step: Step::Reassign, from: WITH_UNITS, to: Target::Same, by: &[Staff] },
];

/// Why a step was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The step does not apply in this state.
    NotNow,
    /// This party may not take the step.
    NotYours,
}

impl Refusal {
    pub fn message(self, step: Step, state: State) -> String {
        match self {
            Refusal::NotNow => format!("事项当前为「{}」，不能{}", state.label(), step.label()),
            Refusal::NotYours => format!("无权对此事项进行「{}」", step.label()),
        }
    }
}

/// The state after `party` takes `step` in `state`, or why not.
pub fn next(state: State, step: Step, party: Party) -> Result<State, Refusal> {
    next_in(RULES, state, step, party)
}

/// Where `step` by `party` leads from `state` in the loop `rules` (a step a kind does not
/// list is never possible in it).
pub fn next_in(rules: &[Rule], state: State, step: Step, party: Party) -> Result<State, Refusal> {
    // A step may have several lines (from different states, leading to different places): the
    // line of the item's state decides.
    let Some(rule) = rules.iter().find(|r| r.step == step && r.from.contains(&state)) else {
        return Err(Refusal::NotNow);
    };
    if !rule.by.contains(&party) {
        return Err(Refusal::NotYours);
    }
    Ok(match rule.to {
        Target::To(s) => s,
        Target::Same => state,
    })
}

/// The steps a party may take in a state (the buttons a page offers).
pub fn steps_for(state: State, party: Party) -> Vec<Step> {
    Step::ALL.into_iter().filter(|s| next(state, *s, party).is_ok()).collect()
}

/// `OPEN` is every state that is not final (kept for the tests and the lists).
pub fn open_states() -> &'static [State] {
    OPEN
}

// ------------------------------------------------------------------ codes of the loop

/// 主办 / 协办 / 分办.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitRole {
    Lead,
    Assist,
    Separate,
}

impl UnitRole {
    pub const ALL: [UnitRole; 3] = [UnitRole::Lead, UnitRole::Assist, UnitRole::Separate];
    pub fn as_str(self) -> &'static str {
        match self {
            UnitRole::Lead => "lead",
            UnitRole::Assist => "assist",
            UnitRole::Separate => "separate",
        }
    }
    pub fn parse(s: &str) -> Option<UnitRole> {
        UnitRole::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            UnitRole::Lead => "主办",
            UnitRole::Assist => "协办",
            UnitRole::Separate => "分办",
        }
    }
    /// 主办 and 分办 units each give a reply; 协办 units give their opinion to the 主办.
    pub fn answers(self) -> bool {
        !matches!(self, UnitRole::Assist)
    }
}

/// The result a reply states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resolved,
    InProgress,
    Planned,
    CannotResolve,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Resolved, Outcome::InProgress, Outcome::Planned, Outcome::CannotResolve];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::InProgress => "in_progress",
            Outcome::Planned => "planned",
            Outcome::CannotResolve => "cannot_resolve",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Resolved => "已解决",
            Outcome::InProgress => "正在解决",
            Outcome::Planned => "列入计划",
            Outcome::CannotResolve => "无法解决",
        }
    }
}

/// 满意 / 基本满意 / 不满意. No grade is ever assumed: an unrated item is 未评价.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl Grade {
    pub const ALL: [Grade; 3] = [Grade::Satisfied, Grade::BasicallySatisfied, Grade::Unsatisfied];
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Satisfied => "satisfied",
            Grade::BasicallySatisfied => "basically_satisfied",
            Grade::Unsatisfied => "unsatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Grade::Satisfied => "满意",
            Grade::BasicallySatisfied => "基本满意",
            Grade::Unsatisfied => "不满意",
        }
    }
}

/// The kinds of 督办.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Supervision {
    /// 催办.
    Urge,
    /// 约谈 (recorded).
    Interview,
    /// 通报.
    Notice,
    /// 挂牌督办: highlighted everywhere until closed.
    Flag,
}

impl Supervision {
    pub const ALL: [Supervision; 4] =
        [Supervision::Urge, Supervision::Interview, Supervision::Notice, Supervision::Flag];
    pub fn as_str(self) -> &'static str {
        match self {
            Supervision::Urge => "urge",
            Supervision::Interview => "interview",
            Supervision::Notice => "notice",
            Supervision::Flag => "flag",
        }
    }
    pub fn parse(s: &str) -> Option<Supervision> {
        Supervision::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Supervision::Urge => "催办",
            Supervision::Interview => "约谈",
            Supervision::Notice => "通报",
            Supervision::Flag => "挂牌督办",
        }
    }
}

/// How a kind counts the time a unit has (PLAT-10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueUnit {
    /// N working days, counted from the working day after the assignment (opinions).
    WorkingDays,
    /// N calendar months, moved to the next working day when they end on a non-working day
    /// (the 3 months of a suggestion's reply).
    CalendarMonths,
}

impl DueUnit {
    /// The unit as the forms and history lines say it after a number.
    pub fn label(self) -> &'static str {
        match self {
            DueUnit::WorkingDays => "个工作日",
            DueUnit::CalendarMonths => "个月",
        }
    }
}

/// What a rating is about: the whole of it, or one aspect of two (a suggestion's 答复 — the
/// contact and the answer — and its 办理结果).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Overall,
    Reply,
    Result,
}

impl Aspect {
    pub const ALL: [Aspect; 3] = [Aspect::Overall, Aspect::Reply, Aspect::Result];
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Overall => "overall",
            Aspect::Reply => "reply",
            Aspect::Result => "result",
        }
    }
    pub fn parse(s: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Aspect::Overall => "总体评价",
            Aspect::Reply => "答复（沟通和答复）",
            Aspect::Result => "办理结果",
        }
    }
}

/// Whether a unit records a contact before it replies (SUG-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactRule {
    /// No rule.
    Off,
    /// A reply without a recorded contact is taken, and staff are told (the reply is marked).
    Flag,
    /// No reply without a recorded contact.
    Require,
}

impl ContactRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactRule::Off => "off",
            ContactRule::Flag => "flag",
            ContactRule::Require => "require",
        }
    }
}

/// How a contact was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactWay {
    /// 当面沟通 (面商).
    Meeting,
    /// 电话沟通.
    Phone,
    /// 座谈.
    Forum,
    /// 实地走访.
    Visit,
}

impl ContactWay {
    pub const ALL: [ContactWay; 4] = [ContactWay::Meeting, ContactWay::Phone, ContactWay::Forum, ContactWay::Visit];
    pub fn as_str(self) -> &'static str {
        match self {
            ContactWay::Meeting => "meeting",
            ContactWay::Phone => "phone",
            ContactWay::Forum => "forum",
            ContactWay::Visit => "visit",
        }
    }
    pub fn parse(s: &str) -> Option<ContactWay> {
        ContactWay::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ContactWay::Meeting => "当面沟通",
            ContactWay::Phone => "电话沟通",
            ContactWay::Forum => "座谈",
            ContactWay::Visit => "实地走访",
        }
    }
}

crate::app::codes::code_enum! {
    /// The phase of a progress note where a kind records its handling in three (SUG-6: 方案 →
    /// 措施 → 成效): a unit's plan first, then the measures taken, then the results.
    #[derive(schemars::JsonSchema)]
    pub enum Phase {
        /// 办理方案.
        Plan = ("plan", "方案"),
        /// 落实措施.
        Measures = ("measures", "措施"),
        /// 办理成效.
        Results = ("results", "成效"),
    }
}

impl Phase {
    /// The phase that must have a note of the unit before this one (none before the plan).
    pub fn after(self) -> Option<Phase> {
        match self {
            Phase::Plan => None,
            Phase::Measures => Some(Phase::Plan),
            Phase::Results => Some(Phase::Measures),
        }
    }
    /// The heading of its part of the timeline.
    pub fn heading(self) -> &'static str {
        match self {
            Phase::Plan => "办理方案",
            Phase::Measures => "落实措施",
            Phase::Results => "办理成效",
        }
    }
}

/// The words a kind's pages use for the loop's roles.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    /// Who raised the item and reads its replies (反映人; 代表 for a suggestion).
    pub submitter: &'static str,
    /// What the item is called in notices (群众意见; 代表建议).
    pub item: &'static str,
    /// How a reply's result is named (the opinions' 已解决 …; a suggestion's A/B/C classes).
    pub outcome: fn(Outcome) -> &'static str,
}

/// The opinions' words.
pub const SUBMITTER_WORDS: Words = Words { submitter: "反映人", item: "群众意见", outcome: Outcome::label };

/// A kind's loop as this installation applies it: which steps lead where and who takes them
/// (`rules`), the time rules of PLAT-10 and OPN-6/OPN-8, whose 不满意 reopens an item by itself,
/// and the words of its pages. Each kind gives its own (`super::ItemKind::policy`); the default
/// is the opinions' loop.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The step table of the kind (`RULES` for opinions).
    pub rules: &'static [Rule],
    /// The unit of a unit's time: working days or calendar months.
    pub due_unit: DueUnit,
    /// The time a unit has when none is given, in `due_unit` (OPN-6: e.g. 15 working days).
    pub default_due: u32,
    /// The longest time staff may set, in `due_unit`.
    pub max_due: u32,
    /// The longest single extension, in `due_unit`.
    pub max_extension: u32,
    /// The longest time in all, the first deadline and every extension together, in
    /// `due_unit` (a suggestion: 6 months); `None`: no cap beyond `max_extension`.
    pub max_total_due: Option<u32>,
    /// A 协办 unit's time to give its opinion to the 主办, in `due_unit` (a suggestion: 1
    /// month); `None`: the item's deadline.
    pub assist_due: Option<u32>,
    /// Whether a unit must record a contact (沟通联系) with the one who raised the item before
    /// its reply: not at all, flagged to staff when missing, or required.
    pub contact: ContactRule,
    /// A unit may 退回 within this many working days of the assignment.
    pub return_within_working_days: u32,
    /// 预警 this many working days before the deadline.
    pub warn_working_days: u32,
    /// Rounds of 二次办理 opened automatically by a 不满意 of a party in `reopen_on`.
    pub automatic_rehandling_rounds: u32,
    /// Whose 不满意 reopens the item by itself (the submitter of an opinion; the deputy who
    /// raised a suggestion).
    pub reopen_on: &'static [Party],
    /// Of several signers, only the lead's rating drives the state (every rating counts in the
    /// statistics).
    pub lead_rating_drives: bool,
    /// The results a reply may state, in the order the form offers them.
    pub outcomes: &'static [Outcome],
    /// A unit signs for an item (签收) before it may reply (答复).
    pub accept_before_reply: bool,
    /// What a rater rates: the whole (opinions), or each aspect on its own.
    pub aspects: &'static [Aspect],
    /// Each answering unit is rated on its own (a suggestion's 主办 and 分办 units).
    pub rate_per_unit: bool,
    /// Progress notes carry a phase, 方案 → 措施 → 成效, each unit in that order (SUG-6).
    pub phases: bool,
    pub words: Words,
    /// What the kind keeps counted from its items (the opinions' statistics, issue 21): run in
    /// the step's transaction after every step of `service::apply` and for the items merged
    /// into one when they follow it.
    pub changed: Option<Changed>,
}

/// A kind's hook after an item changed (its id), in the write's transaction.
pub type Changed =
    for<'a> fn(&'a sea_orm::DatabaseTransaction, i64) -> crate::app::state::BoxFuture<'a, Result<(), sea_orm::DbErr>>;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rules: RULES,
            due_unit: DueUnit::WorkingDays,
            default_due: 15,
            max_due: 120,
            max_extension: 120,
            max_total_due: None,
            assist_due: None,
            contact: ContactRule::Off,
            return_within_working_days: 3,
            warn_working_days: 3,
            automatic_rehandling_rounds: 1,
            reopen_on: &[Party::Submitter],
            lead_rating_drives: false,
            outcomes: &Outcome::ALL,
            accept_before_reply: true,
            aspects: &[Aspect::Overall],
            rate_per_unit: false,
            phases: false,
            words: SUBMITTER_WORDS,
            changed: None,
        }
    }
}

impl Policy {
    /// Where `step` by `party` leads from `state` in this kind's loop.
    pub fn next(&self, state: State, step: Step, party: Party) -> Result<State, Refusal> {
        next_in(self.rules, state, step, party)
    }
    /// The steps `party` may take in `state` in this kind's loop.
    pub fn steps_for(&self, state: State, party: Party) -> Vec<Step> {
        Step::ALL.into_iter().filter(|s| self.next(state, *s, party).is_ok()).collect()
    }
    /// The name of a reply's result in this kind's words.
    pub fn outcome_label(&self, o: Outcome) -> &'static str {
        (self.words.outcome)(o)
    }
    /// The label under a text field of `step`: who reads it, in this kind's words.
    pub fn seen_by(&self, step: Step) -> String {
        match step.text_audience() {
            Audience::Submitter => format!("{}可见", self.words.submitter),
            Audience::Internal => format!("仅内部可见，{}和公众看不到", self.words.submitter),
        }
    }
}

/// The Chinese name of a history line.
pub fn event_label(step: &str, detail: &str) -> String {
    if step == "submit" {
        return "提交".into();
    }
    if step == "publish" {
        return "码上公开".into();
    }
    if step == "unpublish" {
        return "撤回公开".into();
    }
    if step == "external" {
        let status = crate::webhooks::ExternalStatus::parse(detail).map(|x| x.label()).unwrap_or("状态");
        return format!("外部系统回传：{status}");
    }
    let Some(s) = Step::ALL.into_iter().find(|s| s.as_str() == step) else {
        return step.to_string();
    };
    match (s, detail) {
        (Step::Supervise, d) => Supervision::parse(d).map(|k| k.label()).unwrap_or("督办").to_string(),
        (Step::DeadlineNotice, "warning") => "预警".into(),
        (Step::DeadlineNotice, "overdue") => "超期".into(),
        (Step::DeadlineNotice, "recounted") => "办理期限调整".into(),
        (Step::Progress, d) if !d.is_empty() => {
            Phase::parse(d).map(|p| format!("办理进展：{}", p.label())).unwrap_or_else(|| "办理进展".into())
        }
        (Step::DeadlineNotice, "assist_warning") => "协办意见预警".into(),
        (Step::DeadlineNotice, "assist_overdue") => "协办意见超期".into(),
        (Step::DecideExtension, "approved") => "同意延期".into(),
        (Step::DecideExtension, "refused") => "不同意延期".into(),
        (Step::Rate, g) => Grade::parse(g).map(|g| format!("评价：{}", g.label())).unwrap_or_else(|| "评价".into()),
        (Step::Withdraw, "accepted") => "撤回交办（已签收）".into(),
        (Step::Withdraw, _) => "撤回交办（未签收）".into(),
        (Step::Reassign, "accepted") => "改派（原单位已签收）".into(),
        (Step::Reassign, "active") => "改派（原单位未签收）".into(),
        (Step::Reply, o) => Outcome::parse(o).map(|o| format!("答复：{}", o.label())).unwrap_or_else(|| "答复".into()),
        (s, _) => s.label().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table written out as its meaning, then compared cell by cell with `next`:
    /// 10 states × 23 steps × 6 parties.
    fn expected(state: State, step: Step, party: Party) -> Result<State, Refusal> {
        let with_units = state.with_units();
        let (applies, parties, to): (bool, &[Party], Option<State>) = match step {
            Step::Release => (state == Held, &[Staff], Some(Received)),
            Step::Reject => (matches!(state, Held | Received), &[Staff], Some(Rejected)),
            Step::AnswerDirectly => (state == Received, &[Staff, Deputy], Some(AnsweredDirectly)),
            Step::Assign => (state == Received, &[Staff], Some(Assigned)),
            Step::Accept => (matches!(state, Assigned | InProgress | Rehandling), &[Unit], Some(InProgress)),
            Step::Return | Step::RequestExtension | Step::Reply => (with_units, &[Unit], None),
            Step::Progress => (with_units, &[Unit], Some(InProgress)),
            Step::DecideExtension => (with_units, &[Staff], None),
            Step::Rate => (matches!(state, Replied | AnsweredDirectly), &[Submitter, Deputy], None),
            Step::Reopen => (state == Replied, &[Staff, System], Some(Rehandling)),
            Step::Close => (matches!(state, Replied | AnsweredDirectly), &[Staff, System], Some(Closed)),
            Step::Supervise => (with_units, &[Leader, Staff], None),
            Step::DeadlineNotice => (with_units, &[System], None),
            Step::Merge => (matches!(state, Held | Received), &[Staff], None),
            Step::HandToDeputy => (state == Received, &[Staff], None),
            Step::RequestAssign => (state == Received, &[Deputy], None),
            Step::Withdraw | Step::Reassign => (with_units, &[Staff], None),
            // Steps of other kinds, not in the opinions' table.
            Step::AssistOpinion => (with_units, &[Unit], None),
            Step::Contact | Step::Follow => (false, &[], None),
        };
        if !applies {
            Err(Refusal::NotNow)
        } else if !parties.contains(&party) {
            Err(Refusal::NotYours)
        } else {
            Ok(to.unwrap_or(state))
        }
    }

    #[test]
    fn every_state_step_and_party() {
        let mut cells = 0;
        for state in State::ALL {
            for step in Step::ALL {
                for party in Party::ALL {
                    assert_eq!(next(state, step, party), expected(state, step, party), "{state:?} {step:?} {party:?}");
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 10 * 23 * 6);
    }

    #[test]
    fn final_states_allow_nothing_and_every_state_is_reachable() {
        for s in [Rejected, Closed] {
            for step in Step::ALL {
                for party in Party::ALL {
                    assert!(next(s, step, party).is_err(), "{s:?} {step:?}");
                }
            }
        }
        // Breadth-first from the two entry states, through steps and the service's computed
        // moves (a reply ends in Replied, the last return in Received).
        let mut seen = vec![Held, Received];
        let mut i = 0;
        while i < seen.len() {
            let s = seen[i];
            let mut to: Vec<State> = Step::ALL
                .into_iter()
                .flat_map(|st| Party::ALL.into_iter().filter_map(move |p| next(s, st, p).ok()))
                .collect();
            if s.with_units() {
                to.extend([Replied, Received]);
            }
            for t in to {
                if !seen.contains(&t) {
                    seen.push(t);
                }
            }
            i += 1;
        }
        // 跟踪办理 is a state of kinds whose tables have the step `Follow` (not opinions).
        for s in State::ALL.into_iter().filter(|s| *s != Following) {
            assert!(seen.contains(&s), "{s:?} is unreachable");
        }
        assert_eq!(open_states().len() + 2, State::ALL.len());
    }

    #[test]
    fn codes_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for r in UnitRole::ALL {
            assert_eq!(UnitRole::parse(r.as_str()), Some(r));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
        }
        for k in Supervision::ALL {
            assert_eq!(Supervision::parse(k.as_str()), Some(k));
        }
        assert_eq!(State::parse("overdue"), None, "overdue is a flag, not a state");
    }
}
