//! Demo bookings at the keeper's station, one or more in every state, made through the
//! service as the citizens and the keeper would.

use sea_orm::ConnectionTrait;

use super::model::{Channel, Step};
use super::service::{self, Booking, Source, StepInput};
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

/// Seeds the demo bookings of `station` (in the demo's transaction); returns how many.
pub async fn seed<C: ConnectionTrait>(c: &C, key: &[u8], crypto: &FieldCrypto, station: i64) -> AppResult<usize> {
    let cal = Calendar::new(crate::calendar::official::days().map(|d| (d.date, d.kind)));
    let now = crate::db::now();
    let slots = service::open_slots(c, &cal, Some(station), None, now).await?;
    if slots.len() < 4 {
        return Ok(0);
    }
    let keeper: Option<i64> = crate::registry::stations::keepers(c, station).await?.first().map(|k| k.0);
    let mut n = 0;
    for (i, topic, name, phone, channel, steps) in PLAN {
        let slot = &slots[i];
        let actor = Actor::system("demo");
        let b = Booking {
            slot_id: Some(slot.slot.id),
            topic: topic.into(),
            name: name.into(),
            phone: phone.into(),
            consent: true,
        };
        let entered_by = if channel == Channel::Offline { keeper } else { None };
        let src = Source { channel, entered_by, client: "127.0.0.1", now };
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
                    (now, input)
                }
                Step::Decline => (
                    now,
                    StepInput { reason: "此事属劳动监察，已告知拨打 12333".into(), ..Default::default() },
                ),
                _ => (now, StepInput::default()),
            };
            service::apply(c, key, crypto, &service::Limits::UNLIMITED.sms, &actor, &a, *step, &input, at).await?;
        }
        n += 1;
    }
    Ok(n)
}
