//! Demo opinions: a few hundred, in every state of the loop, across channels, stations, deputies
//! and units, some overdue — written through the same intake and loop as real ones, with the
//! clock set back so that their history spans the last months. The texts are the demo's own.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::model::Channel;
use super::service::{self, Source, Submission};
use crate::app::error::{AppError, AppResult};
use crate::audit::Actor;
use crate::calendar::Calendar;
use crate::db;
use crate::handling::flow::{Aspect, Grade, Outcome, Party, Policy, Supervision, UnitRole};
use crate::handling::model::Rater;
use crate::handling::service::{Command, Ctx, Doer, apply};
use crate::privacy::FieldCrypto;

/// A kind of problem: category, the unit that usually handles it, a title and a text with
/// `{p}` for the place, and the unit's reply.
struct Problem {
    category: &'static str,
    unit: &'static str,
    title: &'static str,
    text: &'static str,
    reply: &'static str,
}

const PROBLEMS: &[Problem] = &[
    Problem {
        category: "城乡建设",
        unit: "诸城市住房和城乡建设局",
        title: "老旧小区楼道灯不亮",
        text: "{p}老旧小区好几栋楼的楼道灯坏了半年多，老人晚上上下楼只能摸黑，希望纳入老旧小区改造尽快修好。",
        reply: "已联系物业和社区对楼道照明进行了全面检修，更换声控灯42盏，并将该小区列入明年老旧小区改造计划。",
    },
    Problem {
        category: "城乡建设",
        unit: "诸城市住房和城乡建设局",
        title: "雨污管道堵塞返臭",
        text: "{p}主街的雨污管道经常堵塞，一下雨就往外冒水，天热时臭味很大，影响沿街商户和居民生活。",
        reply: "经现场勘查，管道存在淤积和错接问题，已完成清淤疏通，错接部分已于本月改造完毕。",
    },
    Problem {
        category: "城乡建设",
        unit: "诸城市综合行政执法局",
        title: "违规搭建影响通行",
        text: "{p}有住户在公共通道上私搭彩钢棚，占了一半路面，消防车进不来，多次找物业没有结果。",
        reply: "执法人员已现场核查，责令当事人限期拆除，违建已于规定期限内拆除完毕。",
    },
    Problem {
        category: "环境保护",
        unit: "潍坊市生态环境局诸城分局",
        title: "夜间工厂排气异味",
        text: "{p}附近一家加工厂夜里排气，味道刺鼻，周边居民晚上不敢开窗，孩子经常咳嗽，请环保部门查一查。",
        reply: "经夜间突击检查和监测，该企业废气处理设施运行不正常，已依法立案并责令整改，整改后复测达标。",
    },
    Problem {
        category: "环境保护",
        unit: "诸城市综合行政执法局",
        title: "河道垃圾无人清理",
        text: "{p}村边的河道里漂着很多生活垃圾和塑料袋，河边也堆着建筑垃圾，夏天蚊蝇多，希望定期清理。",
        reply: "已组织对河道及两岸进行集中清理，清运垃圾约15吨，并明确河长和保洁员每周巡查。",
    },
    Problem {
        category: "环境保护",
        unit: "潍坊市生态环境局诸城分局",
        title: "烧烤店油烟扰民",
        text: "{p}楼下新开的烧烤店没有安装油烟净化设备，油烟直接排到居民楼里，晚上吵到十二点以后。",
        reply: "已督促商户安装油烟净化器并改造排烟管道，同时要求晚十点后停止室外经营。",
    },
    Problem {
        category: "交通运输",
        unit: "诸城市交通运输局",
        title: "村里公交班次太少",
        text: "{p}到城区的公交一天只有三趟，上学上班都赶不上，希望早晚高峰增加班次。",
        reply: "已会同公交公司调整线路，早晚高峰各增加两个班次，自下月一日起执行。",
    },
    Problem {
        category: "交通运输",
        unit: "诸城市公安局",
        title: "学校门口接送拥堵",
        text: "{p}小学门口早晚接送时段车辆乱停，孩子过马路很危险，希望安排交警疏导并设置临时停车区。",
        reply: "交警大队已在上下学时段安排警力疏导，并会同学校施划了临时停车区和接送等候区。",
    },
    Problem {
        category: "交通运输",
        unit: "诸城市交通运输局",
        title: "道路坑洼积水",
        text: "{p}通往镇上的道路有好几处大坑，下雨后积水看不清，已经有电动车摔倒，请尽快修补。",
        reply: "已对该路段坑槽进行了修补，并将整条道路列入明年农村公路提升工程。",
    },
    Problem {
        category: "教育文体",
        unit: "诸城市教育和体育局",
        title: "幼儿园学位紧张",
        text: "{p}周边新建了几个小区，附近只有一所公办幼儿园，今年很多孩子报不上名，希望增加学位。",
        reply: "已协调周边幼儿园增设两个小班，并将新建公办幼儿园项目列入规划，预计两年内建成。",
    },
    Problem {
        category: "教育文体",
        unit: "诸城市教育和体育局",
        title: "课后服务收费不透明",
        text: "{p}学校课后服务每学期收费，但收费标准和服务内容没有公示，家长有疑问。",
        reply: "已要求学校在校务公开栏和家长群公示课后服务收费标准、服务内容和退费办法。",
    },
    Problem {
        category: "教育文体",
        unit: "诸城市文化和旅游局",
        title: "健身器材损坏",
        text: "{p}广场上的健身器材有几件已经损坏，螺丝松动，老人孩子使用有安全隐患。",
        reply: "已对损坏器材进行维修和更换，并落实社区每月巡检制度。",
    },
    Problem {
        category: "劳动和社会保障",
        unit: "诸城市人力资源和社会保障局",
        title: "工地拖欠农民工工资",
        text: "{p}我们在一个建筑工地干了四个月活，包工头一直拖着不发工资，一共欠了十几个人的钱。",
        reply: "劳动监察大队已立案调查，督促总包单位足额支付了拖欠工资，共计18.6万元。",
    },
    Problem {
        category: "劳动和社会保障",
        unit: "诸城市人力资源和社会保障局",
        title: "灵活就业社保怎么交",
        text: "{p}我是送外卖的，想问灵活就业人员怎么参加养老保险和医疗保险，在哪里办理。",
        reply: "已安排工作人员电话联系并一对一讲解，可在政务服务大厅或手机上办理灵活就业人员参保登记。",
    },
    Problem {
        category: "劳动和社会保障",
        unit: "诸城市民政局",
        title: "高龄老人补贴未到账",
        text: "{p}我父亲今年满八十岁了，按政策应该有高龄补贴，申请了三个月还没到账。",
        reply: "经核实，申请材料已审核通过，因银行账户信息有误未能发放，现已更正并补发。",
    },
    Problem {
        category: "卫生健康",
        unit: "诸城市卫生健康局",
        title: "卫生院夜间没有儿科",
        text: "{p}镇卫生院晚上没有儿科医生，孩子半夜发烧只能跑到城里，路远不方便。",
        reply: "已协调市人民医院儿科医生定期到卫生院坐诊，并开通夜间儿科远程会诊。",
    },
    Problem {
        category: "卫生健康",
        unit: "诸城市医疗保障局",
        title: "异地就医报销手续繁琐",
        text: "{p}在外地住院回来报销，要跑好几个地方盖章，希望简化手续。",
        reply: "已推行异地就医直接结算和备案线上办理，群众可通过手机完成备案，出院时直接结算。",
    },
    Problem {
        category: "卫生健康",
        unit: "诸城市卫生健康局",
        title: "村卫生室药品不全",
        text: "{p}村卫生室常用的降压药、降糖药经常缺货，老人只能到镇上去拿药。",
        reply: "已督促卫生院加强药品配送，常用慢病药品纳入村卫生室必备目录并每周补货。",
    },
    Problem {
        category: "农业农村",
        unit: "诸城市农业农村局",
        title: "农田灌溉渠损坏",
        text: "{p}村里的灌溉渠有一段塌了，眼看要浇地了水过不去，影响几十亩麦子。",
        reply: "已安排资金对损毁渠段进行了修复，保障了春灌用水。",
    },
    Problem {
        category: "城乡建设",
        unit: "诸城市水利局",
        title: "自来水水压低",
        text: "{p}村里自来水水压太低，二楼以上就上不去水，做饭洗衣都不方便。",
        reply: "已对村内供水管网进行改造并增设加压设备，水压已恢复正常。",
    },
    Problem {
        category: "农业农村",
        unit: "诸城市农业农村局",
        title: "农产品销售难",
        text: "{p}今年村里的大蒜丰收了，但收购价很低还没人收，希望帮忙联系销路。",
        reply: "已联系本地农产品加工企业和电商平台开展产销对接，帮助销售大蒜约80吨。",
    },
    Problem {
        category: "商贸旅游",
        unit: "诸城市市场监督管理局",
        title: "超市销售过期食品",
        text: "{p}在一家超市买到过期的牛奶，找店家退换态度很差。",
        reply: "执法人员已现场检查，对过期食品予以下架销毁，对该超市依法立案处罚，并督促其向消费者退款道歉。",
    },
    Problem {
        category: "商贸旅游",
        unit: "诸城市商务局",
        title: "菜市场占道经营",
        text: "{p}菜市场门口小商贩占道经营，早上车辆和行人挤在一起，经常堵车。",
        reply: "已会同街道设置临时疏导区，引导商贩入市经营，并安排人员早高峰值守。",
    },
    Problem {
        category: "社会治理",
        unit: "诸城市公安局",
        title: "小区电动车充电隐患",
        text: "{p}小区很多人把电动车推进楼道充电，还有飞线充电，很危险。",
        reply: "已联合社区、物业开展专项整治，新建集中充电车棚两处，清理楼道电动车和飞线。",
    },
    Problem {
        category: "城乡建设",
        unit: "诸城市住房和城乡建设局",
        title: "物业服务差收费高",
        text: "{p}小区物业不作为，垃圾清运不及时，绿化也没人管，物业费却年年涨。",
        reply: "已约谈物业企业负责人，督促其限期整改服务问题，并指导业主委员会依法监督物业收费。",
    },
    Problem {
        category: "社会治理",
        unit: "诸城市应急管理局",
        title: "沿街商铺消防通道堵塞",
        text: "{p}沿街商铺后面的消防通道被杂物和车辆堵死了，万一着火很危险。",
        reply: "已组织对消防通道进行清理，设置禁停标识，并纳入日常巡查。",
    },
    Problem {
        category: "营商环境",
        unit: "诸城市市场监督管理局",
        title: "个体户办证来回跑",
        text: "{p}想开个小饭店，办营业执照和食品经营许可要跑好几趟，能不能一次办好。",
        reply: "已推行“一件事一次办”，营业执照和食品经营许可可在政务服务大厅同一窗口一次申请。",
    },
    Problem {
        category: "营商环境",
        unit: "诸城市财政局",
        title: "工程款结算拖延",
        text: "{p}我们公司承接的公共工程验收一年多了，尾款一直没有结算。",
        reply: "已督促项目单位完成审计结算，尾款已按合同约定支付。",
    },
    Problem {
        category: "其他",
        unit: "诸城市供电公司",
        title: "频繁停电",
        text: "{p}最近一个月停了好几次电，也没有提前通知，冰箱里的东西都坏了。",
        reply: "经排查为线路老化所致，已更换变压器和部分线路，今后计划停电将提前三天公告。",
    },
    Problem {
        category: "其他",
        unit: "诸城市退役军人事务局",
        title: "退役军人优待证办理",
        text: "{p}想问退役军人优待证在哪里申请，需要带什么材料。",
        reply: "已电话告知办理流程，可在镇街退役军人服务站申请，携带身份证和退役证件即可。",
    },
];

const NAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "孙", "周", "吴"];

/// The planned end of a demo opinion.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Held,
    Received,
    Answered,
    Rejected,
    Assigned,
    InProgress,
    Replied,
    Rehandling,
    Closed,
    /// Replied after the deadline, then closed.
    ClosedLate,
    ClosedAfterRehandling,
    /// 不满意 twice; staff close it with an explanation the submitter sees.
    ClosedUnsatisfied,
}

/// How many of each, out of `DEMO_OPINIONS`.
const PLANS: &[(Plan, u32)] = &[
    (Plan::Held, 4),
    (Plan::Received, 30),
    (Plan::Answered, 16),
    (Plan::Rejected, 8),
    (Plan::Assigned, 36),
    (Plan::InProgress, 50),
    (Plan::Replied, 36),
    (Plan::Rehandling, 14),
    (Plan::Closed, 80),
    (Plan::ClosedLate, 10),
    (Plan::ClosedAfterRehandling, 10),
    (Plan::ClosedUnsatisfied, 6),
];

const DAY: i64 = 86_400;

/// Seeds the demo opinions of the organ `root` (in the demo's transaction).
pub async fn seed(c: &DatabaseTransaction, key: &[u8], crypto: &FieldCrypto, root: i64) -> AppResult<usize> {
    let mut rng = StdRng::seed_from_u64(20_261_130);
    let calendar = Calendar::official();
    let policy = super::policy();
    let units: Vec<(i64, String)> =
        db::query_rows(c, "SELECT id, name FROM handling_units WHERE organ_id = $1", vec![root.into()])
            .await?
            .iter()
            .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?)))
            .collect();
    // Each station with a deputy of it and the township it is in (none for a county-wide one).
    let stations: Vec<(i64, i64, Option<String>)> = db::query_rows(
        c,
        "SELECT sd.station_id, min(sd.person_id), CASE WHEN a.level = 'township' THEN a.code END \
         FROM station_deputies sd JOIN stations s ON s.id = sd.station_id JOIN areas a ON a.id = s.area_id \
         GROUP BY sd.station_id, a.level, a.code ORDER BY sd.station_id",
        vec![],
    )
    .await?
    .iter()
    .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?, r.try_get_by_index(2).ok()?)))
    .collect();
    // (code, name) of the townships: the place a text names is the area the opinion is tagged with.
    let townships: Vec<(String, String)> =
        db::query_rows(c, "SELECT code, name FROM areas WHERE level = 'township' ORDER BY code", vec![])
            .await?
            .iter()
            .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?)))
            .collect();
    // The villages and communities of each township (by its code), named in the texts.
    let mut villages: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for r in db::query_rows(
        c,
        "SELECT t.code, a.name FROM areas a JOIN areas t ON t.id = a.parent_id \
         WHERE a.level = 'community' AND t.level = 'township' ORDER BY a.code",
        vec![],
    )
    .await?
    {
        villages.entry(r.try_get_by_index(0)?).or_default().push(r.try_get_by_index(1)?);
    }
    let lexicon = super::lexicon::load(c).await?;
    if units.is_empty() || stations.is_empty() || townships.is_empty() {
        return Err(AppError::Conflict("演示民意需要承办单位、联络站和乡镇".into()));
    }
    let units_all = units.clone();
    let unit_named = |name: &str| units.iter().find(|(_, n)| n == name).map(|(id, _)| *id).unwrap_or(units[0].0);
    let now = db::now();
    let staff = Actor::system("演示数据·机关");
    let unit_actor = Actor::system("演示数据·承办单位");
    let citizen = Actor::system("演示数据·群众");
    let mut n = 0;
    for (plan, count) in PLANS {
        for _ in 0..*count {
            let problem = &PROBLEMS[rng.gen_range(0..PROBLEMS.len())];
            let (station, deputy, station_township) = stations[rng.gen_range(0..stations.len())].clone();
            let channel = match rng.gen_range(0..20) {
                0..=9 => Channel::Station,
                10..=12 => Channel::Deputy,
                13..=14 => Channel::Web,
                15..=16 => Channel::DeputyEntry,
                17..=18 => Channel::Reception,
                _ => Channel::Staff,
            };
            let (station_id, deputy_id) = match channel {
                Channel::Station | Channel::Reception => (Some(station), None),
                Channel::Deputy | Channel::DeputyEntry => (None, Some(deputy)),
                _ => (None, None),
            };
            // The text names the township the opinion is tagged with: a township station's own,
            // else one picked (and given as the area, as the form's 区域 would be).
            let at_station = station_id.is_some() && station_township.is_some();
            let (code, township) = match station_township.filter(|_| at_station) {
                Some(code) => townships.iter().find(|(c, _)| *c == code).cloned().unwrap_or_default(),
                None => townships[rng.gen_range(0..townships.len())].clone(),
            };
            let place = match villages.get(&code).filter(|v| !v.is_empty()) {
                Some(v) => format!("{township}{}", v[rng.gen_range(0..v.len())]),
                None => township.clone(),
            };
            let with_phone = rng.gen_bool(0.6);
            let text = problem.text.replace("{p}", &place);
            let content =
                if *plan == Plan::Held { format!("{text}另外，有人在群里推销赌博网站。") } else { text };
            // Open ones are recent; closed ones spread over four months; overdue ones are older.
            let age_days = match plan {
                Plan::Held | Plan::Received => rng.gen_range(0..6),
                Plan::Assigned | Plan::InProgress => rng.gen_range(3..45),
                // Late and twice-handled ones took long: they are older.
                Plan::ClosedLate | Plan::ClosedUnsatisfied => rng.gen_range(70..120),
                _ => rng.gen_range(10..120),
            };
            let created = now - age_days * DAY - rng.gen_range(0..DAY / 2);
            let sub = Submission {
                channel: Some(channel),
                station_id,
                deputy_id,
                area_code: (!at_station).then_some(code),
                category: if matches!(plan, Plan::Held | Plan::Received) {
                    String::new()
                } else {
                    problem.category.into()
                },
                title: problem.title.into(),
                content,
                name: if with_phone {
                    format!("{}先生", NAMES[rng.gen_range(0..NAMES.len())])
                } else {
                    String::new()
                },
                phone: if with_phone {
                    format!("13{}{:08}", rng.gen_range(5..9), rng.gen_range(0..100_000_000))
                } else {
                    String::new()
                },
                allow_public: rng.gen_bool(0.7),
                anonymous: true,
                consent: with_phone,
                external_no: None,
            };
            let client = format!("10.0.{}.{}", n / 250, n % 250);
            let receipt = service::submit(
                c,
                key,
                crypto,
                &citizen,
                &sub,
                &Source { channel, entered_by: None, client: &client, now: created, lexicon: &lexicon },
            )
            .await?;
            let item = db::scalar_i64(c, "SELECT item_id FROM opinions WHERE id = $1", vec![receipt.opinion_id.into()])
                .await?;
            let unit = unit_named(problem.unit);
            let mut run = Runner {
                c,
                key,
                calendar: &calendar,
                policy: &policy,
                item,
                t: created,
                now,
                staff: &staff,
                unit: &unit_actor,
                citizen: &citizen,
            };
            use Plan::*;
            match plan {
                Held | Received => {}
                Answered => {
                    run.step(
                        Party::Staff,
                        None,
                        Command::AnswerDirectly {
                            text: "经了解，该事项已有明确政策规定，已向反映人当面解释，反映人表示理解。".into(),
                        },
                        20,
                    )
                    .await?;
                }
                Rejected => {
                    run.step(
                        Party::Staff,
                        None,
                        Command::Reject {
                            reason: "该事项属于民事纠纷，已告知反映人可向人民法院起诉或申请人民调解。".into(),
                        },
                        20,
                    )
                    .await?;
                }
                _ => {
                    let days = if rng.gen_bool(0.2) { 10 } else { 15 };
                    let mut units = vec![(unit, UnitRole::Lead)];
                    let all_units = &units_all;
                    let other = units[0].0;
                    let assist = all_units[rng.gen_range(0..all_units.len())].0;
                    if rng.gen_bool(0.2) && assist != other {
                        units.push((assist, UnitRole::Assist));
                    }
                    run.step(
                        Party::Staff,
                        None,
                        Command::Assign {
                            units,
                            due_working_days: Some(days),
                            instructions: "请认真核实，按期答复。".into(),
                        },
                        20,
                    )
                    .await?;
                    if *plan == Assigned {
                        if rng.gen_bool(0.3) {
                            run.step(
                                Party::Leader,
                                None,
                                Command::Supervise { kind: Supervision::Urge, text: "请抓紧办理。".into() },
                                24 * 10,
                            )
                            .await?;
                        }
                        n += 1;
                        continue;
                    }
                    run.step(Party::Unit, Some(unit), Command::Accept, 26).await?;
                    run.step(
                        Party::Unit,
                        Some(unit),
                        Command::Progress {
                            text: "已安排人员现场核实情况，正在制定解决方案。".into(), phase: None
                        },
                        48,
                    )
                    .await?;
                    if *plan == InProgress {
                        if rng.gen_bool(0.15) {
                            run.step(
                                Party::Leader,
                                None,
                                Command::Supervise {
                                    kind: Supervision::Flag, text: "群众反映集中，挂牌督办。".into()
                                },
                                24,
                            )
                            .await?;
                        }
                        n += 1;
                        continue;
                    }
                    let outcome = if rng.gen_bool(0.8) { Outcome::Resolved } else { Outcome::Planned };
                    // A late reply comes five to six weeks after the 交办, past any deadline.
                    let after =
                        if *plan == ClosedLate { 24 * rng.gen_range(35..42) } else { 24 * rng.gen_range(3..12) };
                    run.step(Party::Unit, Some(unit), Command::Reply { outcome, text: problem.reply.into() }, after)
                        .await?;
                    match plan {
                        Replied => {}
                        ClosedUnsatisfied => {
                            let unsatisfied = |comment: &str| Command::Rate {
                                rater: Rater::Submitter,
                                grade: Grade::Unsatisfied,
                                comment: comment.into(),
                                aspect: Aspect::Overall,
                                unit_id: None,
                            };
                            run.step(Party::Submitter, None, unsatisfied("问题还没有彻底解决。"), 30).await?;
                            run.step(Party::Unit, Some(unit), Command::Accept, 20).await?;
                            run.step(
                                Party::Unit,
                                Some(unit),
                                Command::Reply {
                                    outcome: Outcome::CannotResolve,
                                    text: "经再次核实，该问题涉及的改造项目需列入上级资金计划，目前暂不具备条件，已向反映人说明。"
                                        .into(),
                                },
                                24 * 5,
                            )
                            .await?;
                            run.step(Party::Submitter, None, unsatisfied("希望尽快解决。"), 30).await?;
                            run.step(
                                Party::Staff,
                                None,
                                Command::Close {
                                    explanation: "经两轮办理，承办单位已说明暂不具备解决条件的原因并承诺列入计划，\
                                                  机关将跟踪督促，本件先行办结。"
                                        .into(),
                                },
                                24 * 2,
                            )
                            .await?;
                        }
                        Rehandling | ClosedAfterRehandling => {
                            run.step(
                                Party::Submitter,
                                None,
                                Command::Rate {
                                    rater: Rater::Submitter,
                                    grade: Grade::Unsatisfied,
                                    comment: "问题还没有彻底解决。".into(),
                                    aspect: Aspect::Overall,
                                    unit_id: None,
                                },
                                30,
                            )
                            .await?;
                            if *plan == ClosedAfterRehandling {
                                run.step(Party::Unit, Some(unit), Command::Accept, 20).await?;
                                run.step(
                                    Party::Unit,
                                    Some(unit),
                                    Command::Reply {
                                        outcome: Outcome::Resolved,
                                        text: format!("经再次办理，{}", problem.reply),
                                    },
                                    24 * 5,
                                )
                                .await?;
                                run.step(
                                    Party::Submitter,
                                    None,
                                    Command::Rate {
                                        rater: Rater::Submitter,
                                        grade: Grade::BasicallySatisfied,
                                        comment: String::new(),
                                        aspect: Aspect::Overall,
                                        unit_id: None,
                                    },
                                    30,
                                )
                                .await?;
                                run.step(Party::Staff, None, Command::Close { explanation: String::new() }, 20).await?;
                            }
                        }
                        _ => {
                            // Closed: most rate; some never do and stay 未评价 in every figure.
                            let rated = rng.gen_bool(0.8);
                            if rated {
                                let grade =
                                    if rng.gen_bool(0.75) { Grade::Satisfied } else { Grade::BasicallySatisfied };
                                run.step(
                                    Party::Submitter,
                                    None,
                                    Command::Rate {
                                        rater: Rater::Submitter,
                                        grade,
                                        comment: String::new(),
                                        aspect: Aspect::Overall,
                                        unit_id: None,
                                    },
                                    30,
                                )
                                .await?;
                            }
                            run.step(Party::Staff, None, Command::Close { explanation: String::new() }, 24 * 3).await?;
                        }
                    }
                }
            }
            n += 1;
        }
    }
    follow_and_push(c, key, crypto, root, &staff, now).await?;
    publish_closed(c, key, &staff, now).await?;
    Ok(n)
}

/// 码上公开 in the demo: staff publish most closed opinions whose submitters agreed (the
/// masked first draft, as the preview offers it); a few wait, so the console shows both.
async fn publish_closed<C: ConnectionTrait>(c: &C, key: &[u8], staff: &Actor, now: i64) -> AppResult<()> {
    let ids = db::query_rows(
        c,
        "SELECT op.id FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         WHERE op.allow_public = true AND i.state = 'closed' AND op.merged_into_id IS NULL ORDER BY op.id",
        vec![],
    )
    .await?;
    for (k, row) in ids.iter().enumerate() {
        if k % 5 == 4 {
            continue;
        }
        let id: i64 = row.try_get_by_index(0)?;
        let o = super::model::opinion(c, id).await?.ok_or(AppError::NotFound)?;
        let item = crate::handling::model::item(c, o.item_id).await?.ok_or(AppError::NotFound)?;
        let (t, b, r) = super::publication::first_draft(c, &o).await?;
        let at = item.closed_at.unwrap_or(now).saturating_add(3600).min(now);
        super::publication::publish_in(c, key, staff, &o, &item, (&t, &b, &r), at).await?;
    }
    Ok(())
}

/// OPN-14 in the demo: the demo deputy is asked to follow an open item raised with another
/// deputy (督办首发工单), and the organ has a push endpoint, disabled until an admin points it
/// at a real receiver (its secret was shown to nobody: add a new one to get one).
async fn follow_and_push<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    root: i64,
    staff: &Actor,
    now: i64,
) -> AppResult<()> {
    let deputy =
        db::scalar_i64(c, "SELECT COALESCE(min(deputy_id), 0) FROM accounts WHERE username = 'deputy'", vec![]).await?;
    let open = db::query_rows(
        c,
        "SELECT op.item_id, op.tracking_no, op.id FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         WHERE op.organ_id = $1 AND i.state IN ('assigned', 'in_progress') AND (op.deputy_id IS NULL OR op.deputy_id <> $2) \
         ORDER BY op.id LIMIT 1",
        vec![root.into(), deputy.into()],
    )
    .await?;
    if let (true, Some(row)) = (deputy > 0, open.first()) {
        let item_id: i64 = row.try_get_by_index(0)?;
        let no: String = row.try_get_by_index(1)?;
        let id: i64 = row.try_get_by_index(2)?;
        let item = crate::handling::model::item(c, item_id).await?.ok_or(AppError::NotFound)?;
        let link = format!("/console/opinions/{id}");
        crate::handling::service::follow(c, key, staff, &item, deputy, &no, &link, now).await?;
    }
    let known = [&super::webhooks::STATE_CHANGED];
    let input = crate::webhooks::model::EndpointInput {
        name: "12345 热线平台（演示）".into(),
        url: "http://127.0.0.1:9/renda".into(),
        events: vec![super::webhooks::STATE_CHANGED.code.into()],
        active: false,
    };
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let id = crate::webhooks::model::create(c, key, staff, crypto, &known, root, &input, &secret, now).await?;
    let ep = crate::webhooks::model::endpoint(c, id).await?.ok_or(AppError::NotFound)?;
    crate::webhooks::model::update(c, key, staff, &known, &ep, &input, now).await?;
    Ok(())
}

/// Takes the steps of one demo item, each some hours after the last (never after now).
struct Runner<'a> {
    c: &'a DatabaseTransaction,
    key: &'a [u8],
    calendar: &'a Calendar,
    policy: &'a Policy,
    item: i64,
    t: i64,
    now: i64,
    staff: &'a Actor,
    unit: &'a Actor,
    citizen: &'a Actor,
}

impl Runner<'_> {
    async fn step(&mut self, party: Party, unit_id: Option<i64>, cmd: Command, hours: i64) -> AppResult<()> {
        self.t += hours * 3600;
        let ctx = Ctx { key: self.key, calendar: self.calendar, policy: self.policy, now: self.t.min(self.now) };
        let actor = match party {
            Party::Unit => self.unit,
            Party::Submitter => self.citizen,
            _ => self.staff,
        };
        apply(self.c, &ctx, self.item, &Doer { party, unit_id, deputy: None, actor }, cmd).await.map(|_| ())
    }
}
