//! Demo bookings at the keeper's station, one or more in every state, made through the
//! service as the citizens and the keeper would.

use sea_orm::ConnectionTrait;

use super::model::{Channel, Step};
use super::service::{self, Booking, OpenSlot, Source, StepInput};
use crate::app::error::AppResult;
use crate::audit::Actor;
use crate::calendar::Calendar;
use crate::privacy::FieldCrypto;

/// One demo booking: (slot index, topic, name, phone, channel, the steps taken after booking).
type Planned = (usize, &'static str, &'static str, &'static str, Channel, &'static [Step]);

const PLAN: [Planned; 8] = [
    (0, "小区加装电梯的补贴怎么申请", "孙玉兰", "13905361201", Channel::Online, &[]),
    (0, "村里道路硬化的进度", "周福来", "13905361202", Channel::Online, &[Step::Confirm]),
    (1, "农村医保缴费标准", "吴秀英", "13905361203", Channel::Online, &[Step::Propose]),
    (1, "想反映企业拖欠工资", "郑国强", "13905361204", Channel::Offline, &[Step::Decline]),
    (2, "学校门口交通安全", "王淑珍", "13905361205", Channel::Online, &[Step::Cancel]),
    (2, "老年食堂的开办", "冯德胜", "13905361206", Channel::Offline, &[Step::Confirm, Step::Attended]),
    (3, "河道清淤", "陈桂香", "13905361207", Channel::Online, &[Step::Confirm, Step::NoShow]),
    (3, "农产品销售渠道", "褚建华", "13905361208", Channel::Offline, &[Step::Confirm]),
];

/// Seeds the demo bookings of `station` (in the demo's transaction); returns how many. A meeting
/// marked 已见面 or 未到场 took place: it is booked on a past duty slot (a session of the same
/// deputy and hours one and two weeks ago), so no booking of a future date is ever marked met.
pub async fn seed<C: ConnectionTrait>(c: &C, key: &[u8], crypto: &FieldCrypto, station: i64) -> AppResult<usize> {
    let cal = Calendar::new(crate::calendar::official::days().map(|d| (d.date, d.kind)));
    let now = crate::db::now();
    let slots = service::open_slots(c, &cal, Some(station), None, now).await?;
    if slots.len() < 4 {
        return Ok(0);
    }
    let keeper: Option<i64> = crate::registry::stations::keepers(c, station).await?.first().map(|k| k.0);
    let mut n = 0;
    let mut weeks_back = 0;
    for (i, topic, name, phone, channel, steps) in PLAN {
        let met = steps.iter().any(|s| matches!(s, Step::Attended | Step::NoShow));
        let (slot, booked_at) = if met {
            weeks_back += 1;
            match past_slot(c, &cal, station, &slots[i], weeks_back, now).await? {
                Some(x) => x,
                None => continue,
            }
        } else {
            (slots[i].clone(), now)
        };
        let actor = Actor::system("demo");
        let b = Booking {
            slot_id: Some(slot.slot.id),
            topic: topic.into(),
            name: name.into(),
            phone: phone.into(),
            consent: true,
        };
        let entered_by = if channel == Channel::Offline { keeper } else { None };
        let src = Source { channel, entered_by, client: "127.0.0.1", now: booked_at };
        let r = service::book(c, key, crypto, &cal, &service::Limits::UNLIMITED, &actor, &b, &src).await?;
        for step in steps {
            let a = super::model::appointment(c, r.id).await?.ok_or(crate::app::error::AppError::NotFound)?;
            let (at, input) = match step {
                // Attendance is recorded after the meeting.
                Step::Attended | Step::NoShow => (slot.end + 600, StepInput::default()),
                Step::Propose => {
                    let later = crate::calendar::beijing_date(slot.start + 7 * 86_400);
                    let input = StepInput {
                        date: later.format("%Y-%m-%d").to_string(),
                        start: slot.slot.start_time.clone(),
                        end: slot.slot.end_time.clone(),
                        reason: "当天代表另有安排".into(),
                        opinion_no: String::new(),
                    };
                    (booked_at, input)
                }
                Step::Decline => (
                    booked_at,
                    StepInput { reason: "此事属劳动监察，已告知拨打 12333".into(), ..Default::default() },
                ),
                _ => (booked_at + 3600, StepInput::default()),
            };
            service::apply(c, key, crypto, &service::Limits::UNLIMITED.sms, &actor, &a, *step, &input, at).await?;
        }
        n += 1;
    }
    Ok(n)
}

/// A session of `like`'s deputy and hours `weeks` weeks before the first working day on or
/// after `like`, kept as a past duty slot (no rule: it happened), and a time three days before
/// it when it was booked. `None` when that day was not a working day.
async fn past_slot<C: ConnectionTrait>(
    c: &C,
    cal: &Calendar,
    station: i64,
    like: &OpenSlot,
    weeks: u64,
    now: i64,
) -> AppResult<Option<(OpenSlot, i64)>> {
    let today = crate::calendar::beijing_date(now);
    let mut day = today - chrono::Days::new(7 * weeks);
    while !cal.is_working_day(day) {
        day = day - chrono::Days::new(1);
    }
    let id = crate::db::insert_id(
        c,
        "INSERT INTO duty_slots (station_id, person_id, rule_id, slot_date, start_time, end_time, online) \
         VALUES ($1, $2, NULL, $3, $4, $5, $6)",
        vec![
            station.into(),
            like.slot.person_id.into(),
            day.format("%Y-%m-%d").to_string().into(),
            like.slot.start_time.clone().into(),
            like.slot.end_time.clone().into(),
            like.slot.online.into(),
        ],
    )
    .await?;
    // Booked three days before, at 09:00 Beijing time.
    let booked_at = crate::calendar::deadline_end(day) - 4 * 86_400 + 9 * 3600;
    let open = service::open_slots(c, cal, Some(station), None, booked_at).await?;
    Ok(open.into_iter().find(|o| o.slot.id == id).map(|o| (o, booked_at)))
}
