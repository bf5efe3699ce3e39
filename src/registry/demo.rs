//! The demo county's registry: about 330 deputies of all five levels (some holding two
//! mandates), committees, groups, contact links, grids, 33 stations with coordinates inside
//! each township, and duty rules for the coming months. Names are generated from common
//! surnames and given-name characters with a fixed seed, so every demo looks the same.

use sea_orm::ConnectionTrait;

use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::org;
use crate::privacy::FieldCrypto;
use crate::registry::membership::{self, COMMITTEE, GRID, GROUP, Joining, ROLE};
use crate::registry::persons::{self, Gender, MandateEventKind, MandateInput, OCCUPATIONS, PersonInput};
use crate::registry::stations::{self, StationInput};
use crate::registry::structure::GroupInput;

const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段";
const GIVEN: &str = "建国志强秀英桂芳明华丽娟海燕春梅晓红立新文军玉兰永刚淑珍凤英雪梅德胜红霞宏伟俊杰静怡子涵浩然思远嘉怡雨桐博文欣悦晨阳振华国庆洪涛玉梅家豪佳琪瑞雪梦琪";
const EXPERTISE: [&str; 12] =
    ["医疗卫生", "教育", "农业", "法律", "财会", "环保", "建筑", "食品安全", "养老", "交通", "文化旅游", "企业管理"];
const WORK_UNITS: [&str; 12] = [
    "卫生院院长",
    "中心小学教师",
    "家庭农场负责人",
    "律师事务所律师",
    "农业合作社理事长",
    "食品有限公司总经理",
    "前进村党支部书记、村委会主任",
    "和平社区居委会主任",
    "机械有限公司技术员",
    "农业综合服务中心主任",
    "养老服务中心负责人",
    "纺织有限公司车间主任",
];

/// A small deterministic generator (xorshift), so the demo is the same every time.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn offset(&mut self, span: f64) -> f64 {
        (self.below(2001) as f64 / 1000.0 - 1.0) * span
    }
}

fn name(rng: &mut Rng) -> String {
    let s: Vec<char> = SURNAMES.chars().collect();
    let g: Vec<char> = GIVEN.chars().collect();
    let mut n = String::new();
    n.push(*rng.pick(&s));
    n.push(*rng.pick(&g));
    if rng.below(3) > 0 {
        n.push(*rng.pick(&g));
    }
    n
}

pub struct Seeded {
    /// The person behind the `deputy` demo account.
    pub deputy_person: i64,
    /// The station the `keeper` demo account keeps.
    pub keeper_station: i64,
}

#[allow(clippy::too_many_lines)]
/// A township of the demo county: area code, name, latitude, longitude (WGS-84).
pub type Township = (&'static str, &'static str, f64, f64);

pub async fn seed<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    county_organ: i64,
    townships: &[Township],
) -> Result<Seeded, AppError> {
    let mut rng = Rng(0x5eed_2026_1122);
    let organ_by = |code: &'static str| async move {
        org::organ_by_code(c, code).await.map(|o| o.map(|o| o.id).unwrap_or(county_organ))
    };
    let national = organ_by("100000").await?;
    let provincial = organ_by("370000").await?;
    let city = organ_by("370700").await?;
    let types = stations::types(c).await?;
    let type_id = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.id).unwrap_or(1);

    // Stations: per township a 代表联络站 and a 村（社区）联络点; plus county-wide ones.
    let mut township_stations: Vec<(i64, i64, i64)> = Vec::new(); // (area id, organ id, station id)
    let mut all_stations = Vec::new();
    for &(code, tname, lat, lng) in townships {
        let area = db::scalar_i64(c, "SELECT id FROM areas WHERE code = $1", vec![format!("{code}000").into()]).await?;
        let organ = organ_by_code_or(c, code, county_organ).await?;
        for (kind, suffix, d) in
            [("station", "人大代表联络站", 0.004), ("village_point", "村（社区）人大代表联络点", 0.03)]
        {
            let sname = if kind == "station" {
                format!("{tname}{suffix}")
            } else {
                let village = ["前进", "幸福", "和平", "新华", "东风", "南湖"][rng.below(6)];
                format!("{tname}{village}社区人大代表联络点")
            };
            let input = StationInput {
                name: sname,
                type_id: type_id(kind),
                area_id: area,
                address: format!(
                    "山东省诸城市{tname}{}路{}号",
                    ["人民", "建设", "府前", "振兴"][rng.below(4)],
                    1 + rng.below(300)
                ),
                lat: Some(lat + rng.offset(d)),
                lng: Some(lng + rng.offset(d)),
                online_only: false,
                opening_hours: "工作日 8:30-11:30，14:00-17:30".into(),
                phone: format!("0536-6{:06}", 100_000 + rng.below(800_000)),
                facilities: stations::FACILITIES[..6].iter().map(|s| s.to_string()).collect(),
                description: format!("{tname}辖区各级人大代表就近进站履职、接待选民的场所。"),
                join_info: String::new(),
            };
            let id = stations::create(c, key, actor, organ, &input).await?;
            if kind == "station" {
                township_stations.push((area, organ, id));
            }
            all_stations.push(id);
        }
    }
    let county_area = db::scalar_i64(c, "SELECT id FROM areas WHERE code = '370782'", vec![]).await?;
    let extra = [
        ("home", "诸城市人大代表之家", 35.9958, 119.4105, "诸城市密州路 1 号市民中心 3 楼"),
        (
            "professional_station",
            "诸城市医疗卫生专业代表联络站",
            35.9923,
            119.4187,
            "诸城市和平街 58 号市人民医院门诊楼 2 楼",
        ),
        ("legislative_point", "诸城市基层立法联系点（龙都街道）", 35.9670, 119.3456, "诸城市龙都街道府前路 16 号"),
        ("budget_point", "诸城市预算审查基层联系点", 35.9981, 119.4066, "诸城市东关大街 68 号"),
        ("family_point", "桃林镇王家庄家庭联络点", 35.8062, 119.5309, "诸城市桃林镇王家庄村 27 号"),
        ("business_point", "诸城经济开发区营商环境监测点", 36.0270, 119.4420, "诸城市经济开发区工业园路 9 号"),
    ];
    for (kind, sname, lat, lng, addr) in extra {
        let input = StationInput {
            name: sname.into(),
            type_id: type_id(kind),
            area_id: county_area,
            address: addr.into(),
            lat: Some(lat),
            lng: Some(lng),
            online_only: false,
            opening_hours: "工作日 8:30-17:30".into(),
            phone: format!("0536-6{:06}", 100_000 + rng.below(800_000)),
            facilities: stations::FACILITIES[..7].iter().map(|s| s.to_string()).collect(),
            description: String::new(),
            join_info: String::new(),
        };
        all_stations.push(stations::create(c, key, actor, county_organ, &input).await?);
    }
    let online = StationInput {
        name: "诸城市网上代表工作室".into(),
        type_id: type_id("online_studio"),
        area_id: county_area,
        online_only: true,
        opening_hours: "每周五 19:00-21:00 在线接待".into(),
        facilities: vec!["可线上接待".into()],
        join_info: "关注微信公众号“诸城人大”，点击菜单“代表工作室”进入在线接待".into(),
        ..Default::default()
    };
    let online_station = stations::create(c, key, actor, county_organ, &online).await?;
    let home_station = all_stations[all_stations.len() - 6];
    let medical_station = all_stations[all_stations.len() - 5];

    // Persons: per township 18 township deputies; 9 county deputies elected there (3 of them
    // also township deputies); city, provincial and national deputies on top.
    let mut county_deputies = Vec::new();
    let mut by_township: Vec<Vec<i64>> = Vec::new();
    let mut medical = Vec::new();
    let mut n = 0usize;
    let mut new_person = |rng: &mut Rng, township_area: i64, township_name: &str| {
        n += 1;
        let tags: Vec<String> = (0..1 + rng.below(2)).map(|_| rng.pick(&EXPERTISE).to_string()).collect::<Vec<_>>();
        let year = 1962 + rng.below(36);
        PersonInput {
            name: name(rng),
            gender: (if rng.below(10) < 3 { Gender::Female } else { Gender::Male }).as_str().into(),
            ethnicity: if rng.below(40) == 0 { "回族".into() } else { "汉族".into() },
            birth_date: Some(format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))),
            party: if rng.below(10) < 7 {
                "中共党员".into()
            } else {
                rng.pick(&["群众", "民盟盟员", "九三学社社员"]).to_string()
            },
            education: rng.pick(&["研究生", "大学", "大专", "中专", "高中"]).to_string(),
            occupation: OCCUPATIONS[rng.below(6)].to_string(),
            work_unit: format!("{}{}", township_name, rng.pick(&WORK_UNITS)),
            expertise: tags,
            public_contact: String::new(),
            mobile: Some(format!("13{}{:08}", 5 + rng.below(5), 10_000_000 + rng.below(89_999_999) + n)),
            township_area_id: Some(township_area),
            bio: String::new(),
        }
    };
    // Each congress's current term began on its election day.
    let mandate = |organ_id: i64, term: i64, constituency: String| MandateInput {
        start_date: Some(
            match organ_id {
                o if o == national => "2023-03-05",
                o if o == provincial => "2023-01-12",
                o if o == city => "2022-01-06",
                o if o == county_organ => "2021-12-28",
                _ => "2021-11-26",
            }
            .into(),
        ),
        organ_id,
        term,
        constituency,
        how: MandateEventKind::Elected.as_str().into(),
    };
    for (i, (area, organ, station)) in township_stations.iter().enumerate() {
        let tname = townships[i].1;
        let mut here = Vec::new();
        for k in 0..24 {
            let mut input = new_person(&mut rng, *area, tname);
            if i == 0 && k == 16 {
                // The person behind the `deputy` demo account.
                input.name = "刘春燕".into();
                input.gender = Gender::Female.as_str().into();
            }
            let input = persons::validate(&input).map_err(persons::invalid)?;
            let id = persons::create_person(c, key, crypto, actor, county_organ, &input).await?;
            // In a 镇: 0..18 township deputies, 15..24 county deputies (15..18 hold both).
            // A 街道 has no congress of its own (only a 人大工委): all its deputies are county ones.
            let street = tname.ends_with("街道");
            if k < 18 && !street {
                persons::add_mandate(c, key, actor, id, &mandate(*organ, 19, format!("第{}选区", 1 + k / 3))).await?;
            }
            if k >= 15 || street {
                persons::add_mandate(c, key, actor, id, &mandate(county_organ, 19, format!("{tname}代表组"))).await?;
                county_deputies.push(id);
            }
            stations::assign_deputy(c, key, actor, *station, id).await?;
            if input.expertise.iter().any(|t| t == "医疗卫生") {
                medical.push(id);
            }
            here.push(id);
        }
        by_township.push(here);
    }
    // Upper levels: 诸城代表团 to 潍坊市; a few provincial deputies; one national deputy.
    let mut upper = Vec::new();
    for (i, ids) in by_township.iter().enumerate() {
        let pid = ids[20];
        persons::add_mandate(c, key, actor, pid, &mandate(city, 19, "诸城代表团".into())).await?;
        upper.push(pid);
        if i % 4 == 0 {
            let extra_city = ids[22];
            persons::add_mandate(c, key, actor, extra_city, &mandate(city, 19, "诸城代表团".into())).await?;
        }
    }
    for ids in by_township.iter().take(4) {
        persons::add_mandate(c, key, actor, ids[23], &mandate(provincial, 14, "潍坊代表团".into())).await?;
    }
    persons::add_mandate(c, key, actor, by_township[0][19], &mandate(national, 14, "山东代表团".into())).await?;
    // Two by-elections and a resignation, so the registry has history.
    let resigned = by_township[5][4];
    let m = persons::mandates_of(c, &[resigned]).await?;
    if let Some(m) = m.first() {
        let end = persons::EndMandate {
            reason: persons::EndReason::Resigned,
            date: "2024-03-12".into(),
            note: "因工作调动辞去代表职务".into(),
        };
        persons::end_mandate(c, key, actor, m.id, &end).await?;
    }
    let input =
        persons::validate(&new_person(&mut rng, township_stations[5].0, townships[5].1)).map_err(persons::invalid)?;
    let by = persons::create_person(c, key, crypto, actor, county_organ, &input).await?;
    persons::add_mandate(
        c,
        key,
        actor,
        by,
        &MandateInput {
            start_date: Some("2024-06-20".into()),
            how: MandateEventKind::ByElection.as_str().into(),
            ..mandate(township_stations[5].1, 19, "第2选区".into())
        },
    )
    .await?;
    stations::assign_deputy(c, key, actor, township_stations[5].2, by).await?;

    // County-level deputies also meet voters at the 代表之家; medical ones at their station.
    for id in county_deputies.iter().step_by(6) {
        stations::assign_deputy(c, key, actor, home_station, *id).await?;
    }
    for id in &medical {
        stations::assign_deputy(c, key, actor, medical_station, *id).await?;
    }
    stations::assign_deputy(c, key, actor, online_station, county_deputies[0]).await?;
    stations::add_rule(c, key, actor, online_station, county_deputies[0], "每周五晚上（线上）", None, None).await?;

    // Duty rules: three deputies per township station, on the days stations actually use.
    let rules = ["每月15日上午", "每周三下午", "每月第一个周六上午", "每周四晚上", "每月最后一个周五下午"];
    for (i, (_, _, station)) in township_stations.iter().enumerate() {
        for k in 0..3 {
            let person = by_township[i][k * 5 + 1];
            stations::add_rule(c, key, actor, *station, person, rules[(i + k) % rules.len()], None, None).await?;
        }
    }
    for (k, id) in county_deputies.iter().step_by(6).take(4).enumerate() {
        stations::add_rule(c, key, actor, home_station, *id, rules[k % rules.len()], None, None).await?;
    }
    if let Some(first) = medical.first() {
        stations::add_rule(c, key, actor, medical_station, *first, "每月第二个周二上午", None, None).await?;
    }

    // Committees: 常委会 and its members, 专门委员会, 办公室.
    let standing =
        crate::registry::structure::create_committee(c, key, actor, county_organ, "standing", "诸城市人大常委会")
            .await?;
    let positions = ["主任", "副主任", "副主任", "副主任", "秘书长", "委员", "委员", "委员", "委员", "委员", "委员"];
    let mut members = Vec::new();
    for (k, pos) in positions.iter().enumerate() {
        let pid = county_deputies[k * 3];
        membership::add(
            c,
            key,
            actor,
            &COMMITTEE,
            county_organ,
            Joining { owner_id: standing, person_id: pid, role: pos },
        )
        .await?;
        members.push(pid);
    }
    let specials = ["法制委员会", "财政经济委员会", "教育科学文化卫生委员会", "农业与农村委员会", "社会建设委员会"];
    let mut special_ids = Vec::new();
    for (k, sname) in specials.iter().enumerate() {
        let id = crate::registry::structure::create_committee(c, key, actor, county_organ, "special", sname).await?;
        membership::add(
            c,
            key,
            actor,
            &COMMITTEE,
            county_organ,
            Joining { owner_id: id, person_id: county_deputies[k * 3 + 1], role: "主任委员" },
        )
        .await?;
        membership::add(
            c,
            key,
            actor,
            &COMMITTEE,
            county_organ,
            Joining { owner_id: id, person_id: county_deputies[k * 3 + 2], role: "委员" },
        )
        .await?;
        special_ids.push(id);
    }
    crate::registry::structure::create_committee(c, key, actor, county_organ, "office", "诸城市人大常委会办公室")
        .await?;

    // Groups: 代表小组 per township (county deputies), 专业代表小组 linked to a committee,
    // and the 诸城代表团 of the city congress.
    for (i, (area, _, _)) in township_stations.iter().enumerate() {
        let input = GroupInput {
            kind: "area_group".into(),
            name: format!("{}代表小组", townships[i].1),
            area_id: Some(*area),
            committee_id: None,
        };
        let g = crate::registry::structure::create_group(c, key, actor, county_organ, &input).await?;
        for (k, pid) in by_township[i][15..24].iter().enumerate() {
            membership::add(
                c,
                key,
                actor,
                &GROUP,
                county_organ,
                Joining { owner_id: g, person_id: *pid, role: if k == 0 { "leader" } else { "member" } },
            )
            .await?;
        }
    }
    let pro = [
        ("医疗卫生专业代表小组", 2usize),
        ("教育专业代表小组", 2),
        ("农业农村专业代表小组", 3),
        ("法律专业代表小组", 0),
    ];
    for (gname, committee) in pro {
        let input = GroupInput {
            kind: "professional_group".into(),
            name: gname.into(),
            area_id: None,
            committee_id: Some(special_ids[committee]),
        };
        let g = crate::registry::structure::create_group(c, key, actor, county_organ, &input).await?;
        let tag = &gname[..gname.find("专业").unwrap_or(gname.len())];
        let ids = db::query_rows(
            c,
            "SELECT person_id FROM person_tags WHERE tag LIKE $1 ORDER BY person_id LIMIT 12",
            vec![format!("{}%", &tag[..tag.char_indices().nth(2).map(|(i, _)| i).unwrap_or(tag.len())]).into()],
        )
        .await?;
        for (k, r) in ids.iter().enumerate() {
            let pid: i64 = r.try_get_by_index(0)?;
            membership::add(
                c,
                key,
                actor,
                &GROUP,
                county_organ,
                Joining { owner_id: g, person_id: pid, role: if k == 0 { "convener" } else { "member" } },
            )
            .await?;
        }
    }
    let input = GroupInput {
        kind: "delegation".into(),
        name: "潍坊市人大诸城代表团".into(),
        area_id: None,
        committee_id: None,
    };
    let delegation = crate::registry::structure::create_group(c, key, actor, city, &input).await?;
    for (k, pid) in upper.iter().enumerate() {
        membership::add(
            c,
            key,
            actor,
            &GROUP,
            county_organ,
            Joining { owner_id: delegation, person_id: *pid, role: if k == 0 { "leader" } else { "member" } },
        )
        .await?;
    }

    // 双联系: each committee member keeps contact with eight county deputies (most, not all).
    for (k, m) in members.iter().enumerate() {
        for d in county_deputies.iter().skip(k * 8).take(8) {
            if d != m {
                crate::registry::structure::create_member_link(c, key, actor, county_organ, *m, *d).await?;
            }
        }
    }
    // 三联系: most county deputies keep two or three fixed voter contacts.
    let villages = ["前进村", "幸福社区", "和平社区", "新华村", "东风村", "南湖社区"];
    for (k, d) in county_deputies.iter().enumerate() {
        if k % 5 == 4 {
            continue;
        }
        for j in 0..2 + k % 2 {
            let voter = name(&mut rng);
            let note = format!("{}{}组居民", villages[(k + j) % villages.len()], 1 + rng.below(9));
            crate::registry::voters::add_voter_contact(c, key, crypto, actor, *d, &voter, &note).await?;
        }
    }
    // Grids in 密州街道 with deputies as 网格员 and 监督员.
    let (mizhou_area, _, _) = township_stations[0];
    for (k, gname) in ["密州街道第一网格", "密州街道第二网格", "密州街道第三网格"].iter().enumerate()
    {
        let g = crate::registry::structure::create_grid(c, key, actor, county_organ, mizhou_area, gname).await?;
        membership::add(
            c,
            key,
            actor,
            &GRID,
            county_organ,
            Joining { owner_id: g, person_id: by_township[0][k * 2], role: "gridder" },
        )
        .await?;
        membership::add(
            c,
            key,
            actor,
            &GRID,
            county_organ,
            Joining { owner_id: g, person_id: by_township[0][k * 2 + 1], role: "supervisor" },
        )
        .await?;
    }
    // Role names: 信息采集员 at the legislative contact point, 联络员 per township.
    let role_ids = db::query_rows(c, "SELECT id, name FROM role_names ORDER BY id", vec![]).await?;
    let role = |n: &str| -> Option<i64> {
        role_ids
            .iter()
            .find(|r| r.try_get_by_index::<String>(1).ok().as_deref() == Some(n))
            .and_then(|r| r.try_get_by_index(0).ok())
    };
    if let (Some(collector), Some(liaison)) = (role("信息采集员"), role("联络员")) {
        for ids in &by_township {
            membership::add(
                c,
                key,
                actor,
                &ROLE,
                county_organ,
                Joining { owner_id: liaison, person_id: ids[0], role: "" },
            )
            .await?;
        }
        for ids in by_township.iter().take(5) {
            membership::add(
                c,
                key,
                actor,
                &ROLE,
                county_organ,
                Joining { owner_id: collector, person_id: ids[1], role: "" },
            )
            .await?;
        }
    }
    Ok(Seeded { deputy_person: by_township[0][16], keeper_station: township_stations[0].2 })
}

async fn organ_by_code_or<C: ConnectionTrait>(c: &C, code: &str, fallback: i64) -> Result<i64, AppError> {
    Ok(org::organ_by_code(c, code).await?.map(|o| o.id).unwrap_or(fallback))
}
