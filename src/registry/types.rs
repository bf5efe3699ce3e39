//! The registry's codes as types: each parses every spelling in one place, keeps the stored
//! code (`as_str`) and the Chinese label (`label`). Stored values are today's strings.

use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable};

use crate::app::codes::code_enum;

/// Decodes a text column through a type's parser; an unknown code is a type error.
fn decode<T, I: ColIdx>(
    res: &QueryResult,
    index: I,
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, TryGetError> {
    let s = String::try_get_by(res, index)?;
    parse(&s).ok_or_else(|| TryGetError::DbErr(DbErr::Type(format!("unknown {what} code «{s}»"))))
}

code_enum! {
    parse: custom;
    /// 性别.
    pub enum Gender {
        Male = ("male", "男"),
        Female = ("female", "女"),
    }
}

impl Gender {
    /// Accepts 男/女, 男性/女性, M/F and male/female in any case.
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim().to_ascii_lowercase().as_str() {
            "男" | "男性" | "m" | "male" => Some(Gender::Male),
            "女" | "女性" | "f" | "female" => Some(Gender::Female),
            _ => None,
        }
    }
}

impl TryGetable for Gender {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        decode(res, index, "gender", Gender::parse)
    }
}

code_enum! {
    parse: labels;
    /// The ways a mandate ends (终止原因): the codes and labels of the ended `MandateStatus`.
    #[derive(schemars::JsonSchema)]
    pub enum EndReason {
        Resigned = ("resigned", "辞职"),
        Recalled = ("recalled", "罢免"),
        /// 终止（代表资格）
        Terminated = ("terminated", "终止"),
        Deceased = ("deceased", "去世"),
        /// 届满（换届）
        TermEnded = ("term_ended", "届满"),
    }
}

code_enum! {
    parse: labels;
    /// A mandate's status (`mandates.status`): serving, or ended for a reason.
    #[derive(schemars::JsonSchema)]
    pub enum MandateStatus {
        Serving = ("serving", "在任"),
        Resigned = ("resigned", "辞职"),
        Recalled = ("recalled", "罢免"),
        Terminated = ("terminated", "终止"),
        Deceased = ("deceased", "去世"),
        TermEnded = ("term_ended", "届满"),
    }
}

impl MandateStatus {
    /// Why the mandate ended; `None` while serving.
    pub fn end_reason(self) -> Option<EndReason> {
        match self {
            MandateStatus::Serving => None,
            MandateStatus::Resigned => Some(EndReason::Resigned),
            MandateStatus::Recalled => Some(EndReason::Recalled),
            MandateStatus::Terminated => Some(EndReason::Terminated),
            MandateStatus::Deceased => Some(EndReason::Deceased),
            MandateStatus::TermEnded => Some(EndReason::TermEnded),
        }
    }
}

impl From<EndReason> for MandateStatus {
    fn from(r: EndReason) -> MandateStatus {
        match r {
            EndReason::Resigned => MandateStatus::Resigned,
            EndReason::Recalled => MandateStatus::Recalled,
            EndReason::Terminated => MandateStatus::Terminated,
            EndReason::Deceased => MandateStatus::Deceased,
            EndReason::TermEnded => MandateStatus::TermEnded,
        }
    }
}

impl TryGetable for MandateStatus {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        decode(res, index, "mandate status", MandateStatus::parse)
    }
}

impl From<MandateStatus> for sea_orm::Value {
    fn from(s: MandateStatus) -> sea_orm::Value {
        s.as_str().into()
    }
}

/// What a mandate event records (`mandate_events.kind`): how it began or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MandateEventKind {
    /// 当选
    Elected,
    /// 补选
    ByElection,
    Ended(EndReason),
}

impl MandateEventKind {
    pub const ALL: [MandateEventKind; 7] = [
        MandateEventKind::Elected,
        MandateEventKind::ByElection,
        MandateEventKind::Ended(EndReason::Resigned),
        MandateEventKind::Ended(EndReason::Recalled),
        MandateEventKind::Ended(EndReason::Terminated),
        MandateEventKind::Ended(EndReason::Deceased),
        MandateEventKind::Ended(EndReason::TermEnded),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MandateEventKind::Elected => "elected",
            MandateEventKind::ByElection => "by_election",
            MandateEventKind::Ended(r) => r.as_str(),
        }
    }

    /// 当选 / 补选 / 辞职 / 罢免 / 终止代表资格 / 去世 / 换届届满
    pub fn label(self) -> &'static str {
        match self {
            MandateEventKind::Elected => "当选",
            MandateEventKind::ByElection => "补选",
            MandateEventKind::Ended(EndReason::Terminated) => "终止代表资格",
            MandateEventKind::Ended(EndReason::TermEnded) => "换届届满",
            MandateEventKind::Ended(r) => r.label(),
        }
    }

    /// The stored code or the Chinese label.
    pub fn parse(s: &str) -> Option<MandateEventKind> {
        let s = s.trim();
        MandateEventKind::ALL.into_iter().find(|k| k.as_str() == s || k.label() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chinese(label: &str) -> bool {
        !label.is_empty() && label.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn gender_round_trips_and_accepts_every_spelling() {
        for g in Gender::ALL {
            assert_eq!(Gender::parse(g.as_str()), Some(g));
            assert_eq!(Gender::parse(g.label()), Some(g));
            assert!(chinese(g.label()), "{g:?}");
        }
        for s in ["男", "男性", "M", "m", "male", "Male", " MALE "] {
            assert_eq!(Gender::parse(s), Some(Gender::Male), "{s}");
        }
        for s in ["女", "女性", "F", "f", "female", "Female"] {
            assert_eq!(Gender::parse(s), Some(Gender::Female), "{s}");
        }
        for s in ["", "未知", "x", "男女"] {
            assert_eq!(Gender::parse(s), None, "{s}");
        }
    }

    #[test]
    fn mandate_status_round_trips() {
        for m in MandateStatus::ALL {
            assert_eq!(MandateStatus::parse(m.as_str()), Some(m));
            assert_eq!(MandateStatus::parse(m.label()), Some(m));
            assert!(chinese(m.label()), "{m:?}");
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
            assert_eq!(m.end_reason().map(MandateStatus::from).unwrap_or(MandateStatus::Serving), m);
            if let Some(r) = m.end_reason() {
                assert_eq!((r.as_str(), r.label()), (m.as_str(), m.label()));
            }
        }
        assert_eq!(MandateStatus::parse("active"), None);
    }

    #[test]
    fn end_reason_round_trips_and_excludes_serving() {
        for r in EndReason::ALL {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
            assert_eq!(EndReason::parse(r.label()), Some(r));
            assert!(chinese(r.label()), "{r:?}");
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(EndReason::parse("serving"), None);
        assert_eq!(EndReason::parse("在任"), None);
        assert_eq!(EndReason::parse("fired"), None);
    }

    #[test]
    fn mandate_event_kind_round_trips() {
        for k in MandateEventKind::ALL {
            assert_eq!(MandateEventKind::parse(k.as_str()), Some(k));
            assert_eq!(MandateEventKind::parse(k.label()), Some(k));
            assert!(chinese(k.label()), "{k:?}");
        }
        assert_eq!(MandateEventKind::parse("term_ended").map(MandateEventKind::label), Some("换届届满"));
        assert_eq!(MandateEventKind::parse("serving"), None);
    }
}
