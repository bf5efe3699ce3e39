//! The monthly summary per station ("每月进行一次工作总结", OPN-12): receptions held, deputies
//! present, issues raised and where their opinions stand, feedback promised, fulfilled and
//! overdue — counted from the rows, one line per station and a total.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::model::{Item, ListKind, Reception};
use crate::handling::flow::State;

/// The figures of one station (or of all, for the total line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Figures {
    pub station_id: Option<i64>,
    pub station_name: String,
    pub receptions: i64,
    /// Distinct deputies present at least once.
    pub deputies: i64,
    /// Deputies present, counted per reception.
    pub attendances: i64,
    pub issues: i64,
    /// Issues whose opinion is closed (办结) or finished at triage (答复 or 不予受理).
    pub issues_closed: i64,
    /// Issues whose opinion is with units (交办, 办理中, 二次办理).
    pub issues_at_work: i64,
    pub countermeasures: i64,
    pub feedback_promised: i64,
    pub feedback_fulfilled: i64,
    /// Promised before today and not fulfilled.
    pub feedback_overdue: i64,
}

/// The first and last day of a month typed `YYYY-MM`.
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

type Line = (Figures, BTreeSet<i64>);

/// The line of a reception's station, made on first use.
fn line<'a>(
    lines: &'a mut BTreeMap<i64, Line>,
    station_of: &BTreeMap<i64, (i64, &str)>,
    reception: i64,
) -> &'a mut Line {
    let (sid, name) = station_of.get(&reception).copied().unwrap_or((0, ""));
    lines.entry(sid).or_insert_with(|| {
        (Figures { station_id: Some(sid), station_name: name.into(), ..Figures::default() }, BTreeSet::new())
    })
}

/// Counts the rows: the receptions of the month, their deputies present (reception, person)
/// and their list items. Returns one line per station (by name) and the total.
pub fn figures(
    receptions: &[Reception],
    attendance: &[(i64, i64)],
    items: &[Item],
    today: &str,
) -> (Vec<Figures>, Figures) {
    let station_of: BTreeMap<i64, (i64, &str)> =
        receptions.iter().map(|r| (r.id, (r.station_id, r.station_name.as_str()))).collect();
    let mut lines: BTreeMap<i64, Line> = BTreeMap::new();
    let mut all_deputies = BTreeSet::new();
    let mut total = Figures { station_name: "合计".into(), ..Figures::default() };
    for r in receptions {
        line(&mut lines, &station_of, r.id).0.receptions += 1;
        total.receptions += 1;
    }
    for (reception, person) in attendance.iter().filter(|(r, _)| station_of.contains_key(r)) {
        let (f, seen) = line(&mut lines, &station_of, *reception);
        f.attendances += 1;
        seen.insert(*person);
        total.attendances += 1;
        all_deputies.insert(*person);
    }
    for it in items.iter().filter(|i| station_of.contains_key(&i.reception_id)) {
        let (f, _) = line(&mut lines, &station_of, it.reception_id);
        for f in [f, &mut total] {
            match it.kind() {
                ListKind::Problem => {
                    f.issues += 1;
                    match it.opinion_state() {
                        Some(State::Closed | State::AnsweredDirectly | State::Rejected) => f.issues_closed += 1,
                        Some(s) if s.with_units() => f.issues_at_work += 1,
                        _ => {}
                    }
                }
                ListKind::Countermeasure => f.countermeasures += 1,
                ListKind::Feedback => {
                    f.feedback_promised += 1;
                    if it.fulfilled_on.is_some() {
                        f.feedback_fulfilled += 1;
                    } else if it.overdue(today) {
                        f.feedback_overdue += 1;
                    }
                }
            }
        }
    }
    total.deputies = all_deputies.len() as i64;
    let mut out: Vec<Figures> = lines
        .into_values()
        .map(|(mut f, seen)| {
            f.deputies = seen.len() as i64;
            f
        })
        .collect();
    out.sort_by(|a, b| a.station_name.cmp(&b.station_name).then(a.station_id.cmp(&b.station_id)));
    (out, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_last_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_bounds("2026-02"), Some((d("2026-02-01"), d("2026-02-28"))));
        assert_eq!(month_bounds("2026-12"), Some((d("2026-12-01"), d("2026-12-31"))));
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("十二月"), None);
    }
}
