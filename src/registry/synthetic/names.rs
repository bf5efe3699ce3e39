//! Names and places of `renda gen`: surnames and given names, place names, expertise, work
//! units, roads, and the kind and name of a station.

use super::random::Rng;

const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文";
const GIVEN: &str = "建国志强秀英桂芳明华丽娟海燕春梅晓红立新文军玉兰永刚淑珍凤英雪梅德胜红霞宏伟俊杰静怡子涵浩然思远嘉怡雨桐博文欣悦晨阳振华国庆洪涛家豪佳琪瑞雪梦琪学兵春生金凤秋菊冬青卫东爱民红梅向阳";
/// Characters place names are built from.
const PLACE: &str = "安宁平昌东西南北华阳山河清江新兴永长乐德丰泰和临城宝龙金水云峰石桥林川海湖溪源福寿康定远明光荣盛武文嘉兰青白黄红梅松竹柳桃杏沙泉岭台塘湾坪集营庄屯凤鹤仁义礼信恒广济开元辉";
pub(super) const EXPERTISE: [&str; 16] = [
    "医疗卫生",
    "教育",
    "农业",
    "法律",
    "财会",
    "环保",
    "建筑",
    "食品安全",
    "养老",
    "交通",
    "文化旅游",
    "企业管理",
    "科技创新",
    "社会保障",
    "水利",
    "乡村振兴",
];
pub(super) const WORK_UNITS: [&str; 14] = [
    "卫生院院长",
    "中心小学教师",
    "家庭农场负责人",
    "律师事务所律师",
    "农业合作社理事长",
    "食品有限公司总经理",
    "村党支部书记、村委会主任",
    "社区居委会主任",
    "机械有限公司技术员",
    "农业综合服务中心主任",
    "养老服务中心负责人",
    "纺织有限公司车间主任",
    "人民医院主任医师",
    "中学校长",
];
pub(super) const ETHNICITIES: [&str; 9] =
    ["壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族"];
pub(super) const ROADS: [&str; 8] = ["人民路", "解放路", "建设路", "中山路", "和平路", "胜利街", "新华街", "文化路"];
fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// Person names: a surname and one or two given-name characters.
pub(super) struct Names {
    surnames: Vec<char>,
    given: Vec<char>,
}

impl Names {
    pub(super) fn new() -> Names {
        Names { surnames: chars(SURNAMES), given: chars(GIVEN) }
    }

    pub(super) fn person(&self, rng: &mut Rng) -> String {
        let mut n = String::with_capacity(9);
        n.push(*rng.pick(&self.surnames));
        n.push(*rng.pick(&self.given));
        if rng.below(3) > 0 {
            n.push(*rng.pick(&self.given));
        }
        n
    }
}

/// Two-character place names, the two characters different.
pub(super) struct Places(Vec<char>);

impl Places {
    pub(super) fn new() -> Places {
        Places(chars(PLACE))
    }

    pub(super) fn name(&self, rng: &mut Rng) -> String {
        let a = *rng.pick(&self.0);
        let mut b = *rng.pick(&self.0);
        while b == a {
            b = *rng.pick(&self.0);
        }
        format!("{a}{b}")
    }

    /// One character of a place name (a village's).
    pub(super) fn char(&self, rng: &mut Rng) -> char {
        *rng.pick(&self.0)
    }
}

/// A station's type code, name and whether it is online only.
pub(super) fn station_kind(rng: &mut Rng, township: &str, village: &str) -> (&'static str, String, bool) {
    let r = rng.below(100);
    match r {
        0..=39 => ("station", format!("{township}{village}人大代表联络站"), false),
        40..=64 => ("village_point", format!("{village}村（社区）代表联络点"), false),
        65..=72 => ("home", format!("{township}人大代表之家"), false),
        73..=77 => ("family_point", format!("{village}代表家庭联络点"), false),
        78..=82 => ("studio", format!("{township}{village}代表工作室"), false),
        83..=85 => ("central_station", format!("{township}中心联络站"), false),
        86..=87 => ("professional_station", format!("{township}{}专业代表联络站", rng.pick(&EXPERTISE)), false),
        88..=89 => ("sector_station", format!("{township}商会代表联络站"), false),
        90 => ("legislative_point", format!("{township}基层立法联系点"), false),
        91 => ("budget_point", format!("{township}预算审查基层联系点"), false),
        92..=93 => ("opinion_point", format!("{township}{village}社情民意观察点"), false),
        94..=95 => ("business_point", format!("{township}营商环境监测点"), false),
        _ => ("online_studio", format!("{township}网上代表工作室"), true),
    }
}
