//! `renda gen`: synthetic registry data at national scale (PLAT-20).
//!
//! The generator writes straight SQL in bulk: ids are reserved up front (the table's
//! sequence is moved past the block, so concurrent writers never collide with it), rows go
//! in as multi-row `INSERT`s of up to 500 rows, and a transaction (opened with
//! `db::begin_write`) is committed about every 50,000 rows. No audit entry is written per
//! row; one entry for the whole run goes into the last transaction.
//!
//! Shape of the data: on an empty database a national hierarchy is created — the national
//! congress, 31 provinces (real names, codes and centres), about 330 cities, 2,800 counties
//! and 40,000 townships with generated names and coordinates clustered around their parent's
//! centre; each area has a congress organ with a correct `path`. When organs already exist
//! (e.g. the demo county) the same hierarchy is added below the installation's default
//! organ, with area codes under a free prefix (`90…99`). Smaller runs scale the hierarchy
//! down. Deputies are spread over the five levels in national proportions, about one in
//! twenty also holds a mandate one level up, each gets one or two expertise tags and is
//! assigned to a station in (or, failing that, nearest to) their home township. Stations
//! get a type, coordinates near their township's centre, and one duty rule with 4–8 slots.

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

use super::geo::{NearestIndex, StationPoint};
use super::persons::{EDUCATIONS, OCCUPATIONS, PARTIES};
use super::schedule::{self, DutySlot};
use super::stations::{self, FACILITIES};
use super::types::{Gender, MandateStatus};
use crate::audit::{self, Actor, Change};
use crate::db;

/// What `generate` wrote.
#[derive(Clone, Debug, Default)]
pub struct GenReport {
    pub persons: u64,
    pub mandates: u64,
    pub stations: u64,
}

/// Rows per multi-row `INSERT` (fewer when a row has many columns).
const ROWS_PER_STATEMENT: usize = 500;
/// Bound variables per statement, below SQLite's 32,766 (PostgreSQL allows 65,535).
const MAX_VARIABLES: usize = 30_000;
/// Rows per transaction.
const ROWS_PER_COMMIT: usize = 50_000;
/// Persons generated (with their tags, mandates and station places) per round.
const PERSONS_PER_ROUND: u64 = 10_000;

/// National proportions of deputies per level (全国 ≈ 3,000 … 乡镇 ≈ 2,000,000).
const LEVEL_WEIGHTS: [u64; 5] = [3_000, 15_000, 120_000, 600_000, 2_000_000];
/// National counts of cities, counties and townships; smaller runs are scaled down.
const FULL_CITIES: f64 = 330.0;
const FULL_COUNTIES: f64 = 2_800.0;
const FULL_TOWNSHIPS: f64 = 40_000.0;
/// The deputy count the national hierarchy is sized for.
const FULL_DEPUTIES: f64 = 2_800_000.0;

/// Provinces: code prefix, name, centre (lat, lng), spread of their cities in degrees, and
/// the approximate number of prefecture-level divisions (weights the city count).
const PROVINCES: [(&str, &str, f64, f64, f64, u32); 31] = [
    ("11", "北京市", 39.90, 116.40, 0.4, 1),
    ("12", "天津市", 39.13, 117.20, 0.4, 1),
    ("13", "河北省", 38.04, 115.20, 2.0, 11),
    ("14", "山西省", 37.57, 112.30, 1.6, 11),
    ("15", "内蒙古自治区", 42.50, 113.50, 4.0, 12),
    ("21", "辽宁省", 41.30, 122.60, 1.5, 14),
    ("22", "吉林省", 43.60, 126.20, 1.6, 9),
    ("23", "黑龙江省", 46.80, 127.50, 2.5, 13),
    ("31", "上海市", 31.23, 121.47, 0.3, 1),
    ("32", "江苏省", 32.90, 119.40, 1.3, 13),
    ("33", "浙江省", 29.50, 120.30, 1.2, 11),
    ("34", "安徽省", 31.80, 117.20, 1.5, 16),
    ("35", "福建省", 26.10, 118.30, 1.3, 9),
    ("36", "江西省", 27.60, 115.70, 1.5, 11),
    ("37", "山东省", 36.30, 118.20, 1.5, 16),
    ("41", "河南省", 33.90, 113.60, 1.6, 17),
    ("42", "湖北省", 30.90, 112.30, 1.8, 17),
    ("43", "湖南省", 27.60, 111.70, 1.7, 14),
    ("44", "广东省", 23.30, 113.40, 1.6, 21),
    ("45", "广西壮族自治区", 23.70, 108.80, 1.8, 14),
    ("46", "海南省", 19.60, 109.90, 0.5, 4),
    ("50", "重庆市", 29.90, 107.50, 1.0, 2),
    ("51", "四川省", 30.30, 103.90, 2.5, 21),
    ("52", "贵州省", 26.80, 106.70, 1.4, 9),
    ("53", "云南省", 24.90, 101.50, 2.2, 16),
    ("54", "西藏自治区", 30.50, 89.50, 3.5, 7),
    ("61", "陕西省", 35.20, 108.90, 1.8, 10),
    ("62", "甘肃省", 36.00, 103.80, 2.5, 14),
    ("63", "青海省", 35.70, 98.00, 2.8, 8),
    ("64", "宁夏回族自治区", 37.30, 106.20, 0.8, 5),
    ("65", "新疆维吾尔自治区", 42.00, 86.00, 4.5, 14),
];

const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文";
const GIVEN: &str = "建国志强秀英桂芳明华丽娟海燕春梅晓红立新文军玉兰永刚淑珍凤英雪梅德胜红霞宏伟俊杰静怡子涵浩然思远嘉怡雨桐博文欣悦晨阳振华国庆洪涛家豪佳琪瑞雪梦琪学兵春生金凤秋菊冬青卫东爱民红梅向阳";
/// Characters place names are built from.
const PLACE: &str = "安宁平昌东西南北华阳山河清江新兴永长乐德丰泰和临城宝龙金水云峰石桥林川海湖溪源福寿康定远明光荣盛武文嘉兰青白黄红梅松竹柳桃杏沙泉岭台塘湾坪集营庄屯凤鹤仁义礼信恒广济开元辉";
const EXPERTISE: [&str; 16] = [
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
const WORK_UNITS: [&str; 14] = [
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
const ETHNICITIES: [&str; 9] = ["壮族", "回族", "满族", "维吾尔族", "苗族", "彝族", "土家族", "藏族", "蒙古族"];
const ROADS: [&str; 8] = ["人民路", "解放路", "建设路", "中山路", "和平路", "胜利街", "新华街", "文化路"];
/// Duty rules as staff type them; each station gets one, limited to 4–8 slots.
const RULES: [&str; 6] =
    ["每月15日上午", "每周三下午", "每月第一个周六上午", "每周四晚上", "每月最后一个周五下午", "每周二上午"];

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly bell-shaped offset in [-span, span] (sum of two uniforms).
    fn offset(&mut self, span: f64) -> f64 {
        (self.unit() + self.unit() - 1.0) * span
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// One area with its congress organ, as generated (or, for the root, as found).
#[derive(Clone, Debug)]
struct Node {
    area_id: i64,
    organ_id: i64,
    /// The organ mandates of this level point at (differs from `organ_id` only for the
    /// national node below an existing installation, where it is the national congress).
    mandate_organ: i64,
    parent: usize,
    name: String,
    lat: f64,
    lng: f64,
    /// Townships below this node: indexes `t_lo..t_hi` of the township level.
    t_lo: usize,
    t_hi: usize,
}

/// Splits `total` into `parts` near-equal shares (the first ones get the remainder).
fn split_even(total: usize, parts: usize) -> Vec<usize> {
    (0..parts).map(|i| total / parts + usize::from(i < total % parts)).collect()
}

/// Splits `total` by `weights` (largest remainder), each share at least `min`.
fn split_weighted(total: u64, weights: &[u64], min: u64) -> Vec<u64> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u64> = weights.iter().map(|w| (total * w / sum).max(min)).collect();
    let mut have: u64 = out.iter().sum();
    let mut i = weights.len();
    // Hand out what is left (or take back what minimums added) from the largest shares.
    while have < total {
        i = (i + weights.len() - 1) % weights.len();
        out[i] += 1;
        have += 1;
    }
    while have > total {
        let Some((j, _)) = out.iter().enumerate().filter(|(_, v)| **v > min).max_by_key(|(_, v)| **v) else {
            break;
        };
        out[j] -= 1;
        have -= 1;
    }
    out
}

fn clamp_china(lat: f64, lng: f64) -> (f64, f64) {
    (lat.clamp(18.2, 52.8), lng.clamp(73.6, 134.7))
}

/// Writes rows in multi-row statements and commits every `ROWS_PER_COMMIT` rows.
struct Writer<'a> {
    db: &'a DatabaseConnection,
    txn: Option<DatabaseTransaction>,
    rows: usize,
    backend: DbBackend,
}

impl<'a> Writer<'a> {
    async fn new(db: &'a DatabaseConnection) -> Result<Writer<'a>, DbErr> {
        let mut w = Writer { db, txn: None, rows: 0, backend: db.get_database_backend() };
        w.begin().await?;
        Ok(w)
    }

    async fn begin(&mut self) -> Result<(), DbErr> {
        let txn = db::begin_write(self.db).await?;
        if self.backend == DbBackend::Sqlite {
            // A bigger page cache for this connection while the indexes grow (256 MB).
            db::exec(&txn, "PRAGMA cache_size = -262144", vec![]).await?;
        }
        self.txn = Some(txn);
        self.rows = 0;
        Ok(())
    }

    fn txn(&self) -> &DatabaseTransaction {
        self.txn.as_ref().expect("a transaction is open between begin and finish")
    }

    async fn commit_if_full(&mut self) -> Result<(), DbErr> {
        if self.rows >= ROWS_PER_COMMIT {
            if let Some(t) = self.txn.take() {
                t.commit().await?;
            }
            self.begin().await?;
        }
        Ok(())
    }

    /// Inserts `values` (row after row, `cols.len()` values each) into `table`.
    async fn insert(&mut self, table: &str, cols: &[&str], values: Vec<Value>) -> Result<(), DbErr> {
        let width = cols.len();
        debug_assert_eq!(values.len() % width, 0);
        let per_stmt = ROWS_PER_STATEMENT.min(MAX_VARIABLES / width).max(1);
        let head = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut it = values.into_iter().peekable();
        while it.peek().is_some() {
            let chunk: Vec<Value> = it.by_ref().take(per_stmt * width).collect();
            let n = chunk.len() / width;
            let mut sql = String::with_capacity(head.len() + n * width * 6);
            sql.push_str(&head);
            let mut k = 0;
            for r in 0..n {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..width {
                    k += 1;
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    // SQLite gets anonymous `?`: with numbered ones sqlx looks up every
                    // parameter's name, and SQLite's look-up is linear (quadratic overall).
                    if self.backend == DbBackend::Sqlite {
                        sql.push('?');
                    } else {
                        sql.push('$');
                        sql.push_str(&k.to_string());
                    }
                }
                sql.push(')');
            }
            self.txn().execute_raw(Statement::from_sql_and_values(self.backend, sql, chunk)).await?;
            self.rows += n;
            self.commit_if_full().await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(), DbErr> {
        if let Some(t) = self.txn.take() {
            if self.backend == DbBackend::Sqlite {
                db::exec(&t, "PRAGMA cache_size = -2000", vec![]).await?;
            }
            t.commit().await?;
        }
        Ok(())
    }
}

/// Reserves `n` ids of `table` and gives the first: the table's id sequence is moved past
/// the block, so rows inserted meanwhile by anyone else take ids after it.
async fn reserve_ids<C: ConnectionTrait>(c: &C, table: &str, n: u64) -> Result<i64, DbErr> {
    let max_id = db::scalar_i64(c, &format!("SELECT COALESCE(max(id), 0) FROM {table}"), vec![]).await?;
    let n = n as i64;
    match c.get_database_backend() {
        DbBackend::Postgres => {
            let seq = format!("pg_get_serial_sequence('{table}', 'id')");
            let next = db::scalar_i64(c, &format!("SELECT nextval({seq})"), vec![]).await?;
            let first = next.max(max_id + 1);
            if n > 0 {
                db::exec(c, &format!("SELECT setval({seq}, $1)"), vec![(first + n - 1).into()]).await?;
            }
            Ok(first)
        }
        _ => {
            let seq = db::scalar_i64(
                c,
                "SELECT COALESCE(max(seq), 0) FROM sqlite_sequence WHERE name = $1",
                vec![table.into()],
            )
            .await?;
            let first = seq.max(max_id) + 1;
            let last = first + n - 1;
            if n > 0
                && db::exec(c, "UPDATE sqlite_sequence SET seq = $1 WHERE name = $2", vec![last.into(), table.into()])
                    .await?
                    == 0
            {
                db::exec(c, "INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)", vec![table.into(), last.into()])
                    .await?;
            }
            Ok(first)
        }
    }
}

/// Fills the database with `deputies` persons and `stations` stations, and records one audit
/// entry for the whole run in its last transaction, so the chain stays valid.
pub async fn generate(
    db: &DatabaseConnection,
    audit_key: &[u8],
    deputies: u64,
    stations: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<GenReport, DbErr> {
    run(db, Some(audit_key), deputies, stations, progress).await
}

/// The first code prefix ("" or "90" … "99") under which no province code is taken yet.
async fn free_prefix<C: ConnectionTrait>(c: &C, with_country: bool) -> Result<String, DbErr> {
    for prefix in std::iter::once(String::new()).chain((90..100).map(|n| n.to_string())) {
        let mut codes: Vec<String> = PROVINCES.iter().map(|p| province_code(&prefix, p.0)).collect();
        if with_country {
            codes.push(format!("{prefix}100000"));
        }
        let list = codes.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
        let taken = db::scalar_i64(
            c,
            &format!(
                "SELECT (SELECT count(*) FROM areas WHERE code IN ({list})) + \
                 (SELECT count(*) FROM organs WHERE code IN ({list}))"
            ),
            vec![],
        )
        .await?;
        if taken == 0 {
            return Ok(prefix);
        }
    }
    Err(DbErr::Custom("找不到可用的区划代码前缀（90–99 均已使用）".into()))
}

fn province_code(prefix: &str, pp: &str) -> String {
    format!("{prefix}{pp}0000")
}

struct Hierarchy {
    /// Levels 0..5: national (one node), provinces, cities, counties, townships.
    levels: [Vec<Node>; 5],
    root_organ: i64,
}

/// Creates (or finds) the five-level hierarchy and writes its areas and organs.
async fn build_hierarchy(
    w: &mut Writer<'_>,
    rng: &mut Rng,
    deputies: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Hierarchy, DbErr> {
    let now = db::now();
    let existing = crate::org::default_organ(w.txn()).await?;
    let prefix = free_prefix(w.txn(), existing.is_none()).await?;
    let f = (deputies as f64 / FULL_DEPUTIES).min(1.0);
    let n_prov = if f >= 0.05 { 31 } else { ((31.0 * f.sqrt() * 4.0).ceil() as usize).clamp(3, 31) };
    let n_city = ((FULL_CITIES * f).round() as usize).max(n_prov);
    let n_county = ((FULL_COUNTIES * f).round() as usize).max(n_city);
    let n_town = ((FULL_TOWNSHIPS * f).round() as usize).max(n_county * 2);
    progress(format!(
        "区划与机关：{n_prov} 个省级、{n_city} 个市级、{n_county} 个县级、{n_town} 个乡镇级{}",
        if existing.is_some() { "（建在现有默认机关之下）" } else { "" }
    ));
    let n_areas = (n_prov + n_city + n_county + n_town) as u64 + u64::from(existing.is_none());
    let first_area = reserve_ids(w.txn(), "areas", n_areas).await?;
    let first_organ = reserve_ids(w.txn(), "organs", n_areas + 1).await?;
    let (mut next_area, mut next_organ) = (first_area, first_organ);

    let mut area_rows: Vec<Value> = Vec::new();
    let mut organ_rows: Vec<Value> = Vec::new();
    let mut area_paths: Vec<Vec<String>> = vec![Vec::new(); 5];
    let mut organ_paths: Vec<Vec<String>> = vec![Vec::new(); 5];
    #[allow(clippy::too_many_arguments)]
    fn organ_row(
        rows: &mut Vec<Value>,
        id: i64,
        code: &str,
        name: &str,
        short: &str,
        area_id: i64,
        parent: Option<i64>,
        kind: &str,
        level: &str,
        external: bool,
        path: &str,
        now: i64,
    ) {
        rows.extend([
            id.into(),
            code.into(),
            name.into(),
            short.into(),
            area_id.into(),
            parent.into(),
            kind.into(),
            level.into(),
            external.into(),
            path.into(),
            "".into(),
            now.into(),
        ]);
    }
    #[allow(clippy::too_many_arguments)]
    fn area_row(
        rows: &mut Vec<Value>,
        id: i64,
        code: &str,
        name: &str,
        parent: Option<i64>,
        level: &str,
        path: &str,
        lat: f64,
        lng: f64,
        now: i64,
    ) {
        rows.extend([
            id.into(),
            code.into(),
            name.into(),
            parent.into(),
            level.into(),
            path.into(),
            Some(lat).into(),
            Some(lng).into(),
            now.into(),
        ]);
    }

    // The national node: a new national congress, or the installation's default organ.
    let national = match &existing {
        None => {
            let (area_id, organ_id) = (next_area, next_organ);
            next_area += 1;
            next_organ += 1;
            let apath = format!("/{area_id}/");
            let opath = format!("/{organ_id}/");
            let code = format!("{prefix}100000");
            // Areas have no national level; the country is recorded as a root "province"
            // like the demo does.
            area_row(&mut area_rows, area_id, &code, "中华人民共和国", None, "province", &apath, 35.0, 104.0, now);
            organ_row(
                &mut organ_rows,
                organ_id,
                &code,
                "全国人民代表大会常务委员会",
                "全国人大常委会",
                area_id,
                None,
                "standing_committee",
                "national",
                false,
                &opath,
                now,
            );
            area_paths[0].push(apath);
            organ_paths[0].push(opath);
            Node {
                area_id,
                organ_id,
                mandate_organ: organ_id,
                parent: 0,
                name: "全国".into(),
                lat: 35.0,
                lng: 104.0,
                t_lo: 0,
                t_hi: n_town,
            }
        }
        Some(root) => {
            let area = crate::org::area(w.txn(), root.area_id)
                .await?
                .ok_or_else(|| DbErr::Custom("默认机关的区划不存在".into()))?;
            let national_organ = db::query_rows(
                w.txn(),
                "SELECT id FROM organs WHERE level = 'national' ORDER BY external DESC, id LIMIT 1",
                vec![],
            )
            .await?
            .first()
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?;
            let mandate_organ = match national_organ {
                Some(id) => id,
                None => {
                    let id = next_organ;
                    next_organ += 1;
                    organ_row(
                        &mut organ_rows,
                        id,
                        &format!("{prefix}100000"),
                        "全国人民代表大会常务委员会",
                        "全国人大常委会",
                        area.id,
                        None,
                        "standing_committee",
                        "national",
                        true,
                        &format!("/x{id}/"),
                        now,
                    );
                    id
                }
            };
            area_paths[0].push(area.path.clone());
            organ_paths[0].push(root.path.clone());
            Node {
                area_id: area.id,
                organ_id: root.id,
                mandate_organ,
                parent: 0,
                name: "全国".into(),
                lat: area.lat.unwrap_or(35.0),
                lng: area.lng.unwrap_or(104.0),
                t_lo: 0,
                t_hi: n_town,
            }
        }
    };

    let place = chars(PLACE);
    let place_name = |rng: &mut Rng| -> String {
        let a = *rng.pick(&place);
        let mut b = *rng.pick(&place);
        while b == a {
            b = *rng.pick(&place);
        }
        format!("{a}{b}")
    };
    let mut levels: [Vec<Node>; 5] = [vec![national], Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    // Provinces: the real ones (a spread-out subset for small runs).
    let provs: Vec<usize> = (0..n_prov).map(|i| i * PROVINCES.len() / n_prov).collect();
    let mut prov_codes = Vec::new();
    for &pi in &provs {
        let (pp, name, lat, lng, _, _) = PROVINCES[pi];
        let code = province_code(&prefix, pp);
        prov_codes.push(format!("{prefix}{pp}"));
        levels[1].push(Node {
            area_id: next_area,
            organ_id: next_organ,
            mandate_organ: next_organ,
            parent: 0,
            name: name.into(),
            lat,
            lng,
            t_lo: 0,
            t_hi: 0,
        });
        let apath = format!("{}{next_area}/", area_paths[0][0]);
        let opath = format!("{}{next_organ}/", organ_paths[0][0]);
        area_row(&mut area_rows, next_area, &code, name, Some(levels[0][0].area_id), "province", &apath, lat, lng, now);
        organ_row(
            &mut organ_rows,
            next_organ,
            &code,
            &format!("{name}人民代表大会常务委员会"),
            &format!("{name}人大常委会"),
            next_area,
            Some(levels[0][0].organ_id),
            "standing_committee",
            "provincial",
            false,
            &opath,
            now,
        );
        area_paths[1].push(apath);
        organ_paths[1].push(opath);
        next_area += 1;
        next_organ += 1;
    }
    // Cities by the provinces' weights; counties and townships spread evenly below.
    let weights: Vec<u64> = provs.iter().map(|&pi| u64::from(PROVINCES[pi].5)).collect();
    let city_counts = split_weighted(n_city as u64, &weights, 1);
    let mut city_codes: Vec<String> = Vec::new();
    for (p, count) in city_counts.iter().enumerate() {
        let spread = PROVINCES[provs[p]].4;
        for k in 0..*count as usize {
            let (lat, lng) =
                clamp_china(levels[1][p].lat + rng.offset(spread), levels[1][p].lng + rng.offset(spread * 1.2));
            let name = format!("{}市", place_name(rng));
            let cc = format!("{}{:02}", prov_codes[p], (k % 99) + 1);
            let code = format!("{cc}00");
            city_codes.push(cc);
            push_child(
                &mut levels,
                &mut area_paths,
                &mut organ_paths,
                &mut area_rows,
                &mut organ_rows,
                2,
                p,
                (next_area, next_organ),
                &code,
                &name,
                (lat, lng),
                now,
            );
            next_area += 1;
            next_organ += 1;
        }
    }
    let mut county_codes: Vec<String> = Vec::new();
    let county_counts = split_even(n_county, levels[2].len());
    for (c, count) in county_counts.iter().enumerate() {
        for k in 0..*count {
            let (lat, lng) = clamp_china(levels[2][c].lat + rng.offset(0.5), levels[2][c].lng + rng.offset(0.6));
            let suffix = *rng.pick(&["县", "县", "区", "市"]);
            let name = format!("{}{suffix}", place_name(rng));
            let code = format!("{}{:02}", city_codes[c], (k % 99) + 1);
            county_codes.push(code.clone());
            push_child(
                &mut levels,
                &mut area_paths,
                &mut organ_paths,
                &mut area_rows,
                &mut organ_rows,
                3,
                c,
                (next_area, next_organ),
                &code,
                &name,
                (lat, lng),
                now,
            );
            next_area += 1;
            next_organ += 1;
        }
    }
    let town_counts = split_even(n_town, levels[3].len());
    for (c, count) in town_counts.iter().enumerate() {
        for k in 0..*count {
            let (lat, lng) = clamp_china(levels[3][c].lat + rng.offset(0.15), levels[3][c].lng + rng.offset(0.18));
            let suffix = *rng.pick(&["镇", "镇", "乡", "街道"]);
            let name = format!("{}{suffix}", place_name(rng));
            let ttt = format!("{}{:03}", county_codes[c], (k % 999) + 1);
            let code = if prefix.is_empty() { format!("{ttt}000") } else { ttt };
            push_child(
                &mut levels,
                &mut area_paths,
                &mut organ_paths,
                &mut area_rows,
                &mut organ_rows,
                4,
                c,
                (next_area, next_organ),
                &code,
                &name,
                (lat, lng),
                now,
            );
            next_area += 1;
            next_organ += 1;
        }
    }
    // Township ranges: townships are contiguous below each county, city and province.
    for (i, t) in levels[4].iter_mut().enumerate() {
        t.t_lo = i;
        t.t_hi = i + 1;
    }
    for lvl in (1..4).rev() {
        let (upper, lower) = levels.split_at_mut(lvl + 1);
        let nodes = &mut upper[lvl];
        for n in nodes.iter_mut() {
            n.t_lo = usize::MAX;
            n.t_hi = 0;
        }
        for child in &lower[0] {
            let n = &mut nodes[child.parent];
            n.t_lo = n.t_lo.min(child.t_lo);
            n.t_hi = n.t_hi.max(child.t_hi);
        }
    }
    w.insert("areas", &["id", "code", "name", "parent_id", "level", "path", "lat", "lng", "created_at"], area_rows)
        .await?;
    w.insert(
        "organs",
        &[
            "id",
            "code",
            "name",
            "short_name",
            "area_id",
            "parent_id",
            "kind",
            "level",
            "external",
            "path",
            "phone",
            "created_at",
        ],
        organ_rows,
    )
    .await?;
    let root_organ = levels[0][0].organ_id;
    Ok(Hierarchy { levels, root_organ })
}

/// Adds one area with its organ at `level` (2 city, 3 county, 4 township) below node `parent`.
#[allow(clippy::too_many_arguments)]
fn push_child(
    levels: &mut [Vec<Node>; 5],
    area_paths: &mut [Vec<String>],
    organ_paths: &mut [Vec<String>],
    area_rows: &mut Vec<Value>,
    organ_rows: &mut Vec<Value>,
    level: usize,
    parent: usize,
    (area_id, organ_id): (i64, i64),
    code: &str,
    name: &str,
    (lat, lng): (f64, f64),
    now: i64,
) {
    let apath = format!("{}{area_id}/", area_paths[level - 1][parent]);
    let opath = format!("{}{organ_id}/", organ_paths[level - 1][parent]);
    let (area_level, organ_level) = match level {
        2 => ("city", "city"),
        3 => ("county", "county"),
        _ => ("township", "township"),
    };
    let (full, short, kind) = if level < 4 {
        (format!("{name}人民代表大会常务委员会"), format!("{name}人大常委会"), "standing_committee")
    } else if name.ends_with("街道") {
        (format!("{name}人大工作委员会"), format!("{name}人大工委"), "street_working_committee")
    } else {
        (format!("{name}人民代表大会主席团"), format!("{name}人大主席团"), "township_presidium")
    };
    let parent_area = levels[level - 1][parent].area_id;
    let parent_organ = levels[level - 1][parent].organ_id;
    area_rows.extend([
        area_id.into(),
        code.into(),
        name.into(),
        Some(parent_area).into(),
        area_level.into(),
        apath.clone().into(),
        Some(lat).into(),
        Some(lng).into(),
        now.into(),
    ]);
    organ_rows.extend([
        organ_id.into(),
        code.into(),
        full.into(),
        short.into(),
        area_id.into(),
        Some(parent_organ).into(),
        kind.into(),
        organ_level.into(),
        false.into(),
        opath.clone().into(),
        "".into(),
        now.into(),
    ]);
    area_paths[level].push(apath);
    organ_paths[level].push(opath);
    levels[level].push(Node {
        area_id,
        organ_id,
        mandate_organ: organ_id,
        parent,
        name: name.into(),
        lat,
        lng,
        t_lo: 0,
        t_hi: 0,
    });
}

/// A station's type code, name and whether it is online only.
fn station_kind(rng: &mut Rng, township: &str, village: &str) -> (&'static str, String, bool) {
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

struct Names {
    surnames: Vec<char>,
    given: Vec<char>,
}

impl Names {
    fn person(&self, rng: &mut Rng) -> String {
        let mut n = String::with_capacity(9);
        n.push(*rng.pick(&self.surnames));
        n.push(*rng.pick(&self.given));
        if rng.below(3) > 0 {
            n.push(*rng.pick(&self.given));
        }
        n
    }
}

/// Term, start date and how the constituency is named, per level.
fn term_of(level: usize) -> (i64, &'static str) {
    match level {
        0 => (14, "2023-03-05"),
        1 => (14, "2023-01-12"),
        2 => (17, "2022-01-06"),
        3 => (19, "2021-12-28"),
        _ => (20, "2021-12-20"),
    }
}

const LEVEL_CODES: [&str; 5] = ["national", "provincial", "city", "county", "township"];

async fn run(
    db: &DatabaseConnection,
    audit_key: Option<&[u8]>,
    deputies: u64,
    n_stations: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<GenReport, DbErr> {
    let started = std::time::Instant::now();
    let now = db::now();
    let mut rng = Rng(0x7265_6e64_6120_6765 ^ deputies.rotate_left(17) ^ n_stations);
    let mut w = Writer::new(db).await?;
    let h = build_hierarchy(&mut w, &mut rng, deputies, progress).await?;
    let townships = &h.levels[4];
    let n_town = townships.len();

    // ------------------------------------------------------------ stations
    progress(format!("联络站：{n_stations} 个"));
    let types = stations::types(w.txn()).await?;
    let type_id = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.id).unwrap_or(types[0].id);
    let first_station = reserve_ids(w.txn(), "stations", n_stations).await?;
    let place = chars(PLACE);
    let mut town_stations: Vec<Vec<u32>> = vec![Vec::new(); n_town];
    let mut points = Vec::new();
    let cols = [
        "id",
        "organ_id",
        "area_id",
        "type_id",
        "name",
        "address",
        "lat",
        "lng",
        "online_only",
        "opening_hours",
        "phone",
        "facilities",
        "description",
        "created_at",
        "updated_at",
    ];
    let mut rows: Vec<Value> = Vec::new();
    for j in 0..n_stations as usize {
        // Every township gets a station before any gets a second one.
        let t = if j < n_town {
            if (n_stations as usize) < n_town { j * n_town / n_stations as usize } else { j }
        } else {
            rng.below(n_town)
        };
        let town = &townships[t];
        let county = &h.levels[3][town.parent];
        let village = format!("{}{}", rng.pick(&place), rng.pick(&place));
        let (code, name, online) = station_kind(&mut rng, &town.name, &village);
        let id = first_station + j as i64;
        let (lat, lng) = if online {
            (None, None)
        } else {
            let p = clamp_china(town.lat + rng.offset(0.03), town.lng + rng.offset(0.035));
            points.push(StationPoint { id, lat: p.0, lng: p.1 });
            (Some(p.0), Some(p.1))
        };
        town_stations[t].push(j as u32);
        let address = if online {
            String::new()
        } else {
            format!("{}{}{}{}号", county.name, town.name, rng.pick(&ROADS), 1 + rng.below(300))
        };
        let facilities: Vec<&str> = FACILITIES.iter().copied().filter(|_| rng.chance(0.7)).collect();
        rows.extend([
            id.into(),
            town.organ_id.into(),
            town.area_id.into(),
            type_id(code).into(),
            name.into(),
            address.into(),
            lat.into(),
            lng.into(),
            online.into(),
            (if online { "线上预约" } else { "工作日 9:00-17:00" }).into(),
            format!("0{}-{:07}", 310 + rng.below(600), 2_000_000 + rng.below(7_000_000)).into(),
            facilities.join("|").into(),
            "".into(),
            now.into(),
            now.into(),
        ]);
        if rows.len() >= ROWS_PER_STATEMENT * cols.len() * 20 {
            w.insert("stations", &cols, std::mem::take(&mut rows)).await?;
        }
    }
    w.insert("stations", &cols, rows).await?;
    // Townships without a station of their own use the three nearest ones.
    let index = NearestIndex::build(points);
    for t in 0..n_town {
        if town_stations[t].is_empty() && !index.is_empty() {
            let town = &townships[t];
            town_stations[t] =
                index.nearest(town.lat, town.lng, 3).iter().map(|(p, _)| (p.id - first_station) as u32).collect();
        }
    }
    progress(format!("联络站已写入，用时 {:.1} 秒", started.elapsed().as_secs_f64()));

    // ------------------------------------------------------------ persons
    let per_level = if deputies >= 5 {
        split_weighted(deputies, &LEVEL_WEIGHTS, 1)
    } else {
        split_weighted(deputies, &LEVEL_WEIGHTS, 0)
    };
    progress(format!(
        "代表：{deputies} 名（全国 {}、省 {}、市 {}、县 {}、乡镇 {}）",
        per_level[0], per_level[1], per_level[2], per_level[3], per_level[4]
    ));
    let first_person = reserve_ids(w.txn(), "persons", deputies).await?;
    let names = Names { surnames: chars(SURNAMES), given: chars(GIVEN) };
    let mut station_person: Vec<i64> = vec![0; n_stations as usize];
    let mut mandates = 0u64;
    let mut done = 0u64;
    let mut next_id = first_person;
    let person_cols = [
        "id",
        "organ_id",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "party",
        "education",
        "occupation",
        "work_unit",
        "expertise",
        "public_contact",
        "township_area_id",
        "bio",
        "created_at",
        "updated_at",
    ];
    let mandate_cols =
        ["person_id", "organ_id", "level", "term", "constituency", "start_date", "end_date", "status", "created_at"];
    let round_started = std::time::Instant::now();
    for (level, count) in per_level.iter().enumerate() {
        let organs = &h.levels[level];
        let mut i = 0u64;
        while i < *count {
            let end = (i + PERSONS_PER_ROUND).min(*count);
            let mut p_rows: Vec<Value> = Vec::with_capacity((end - i) as usize * person_cols.len());
            let mut t_rows: Vec<Value> = Vec::new();
            let mut m_rows: Vec<Value> = Vec::new();
            let mut s_rows: Vec<Value> = Vec::new();
            for k in i..end {
                let id = next_id;
                next_id += 1;
                // Even spread over the level's organs; home township somewhere below.
                let oi = (k as usize * organs.len()) / *count as usize;
                let organ = &organs[oi];
                let t = organ.t_lo + rng.below(organ.t_hi.saturating_sub(organ.t_lo).max(1));
                let town = &townships[t.min(n_town - 1)];
                let mut tags: Vec<&str> = vec![*rng.pick(&EXPERTISE)];
                if rng.chance(0.5) {
                    let second = *rng.pick(&EXPERTISE);
                    if second != tags[0] {
                        tags.push(second);
                    }
                }
                let party = if rng.chance(0.70) {
                    PARTIES[0]
                } else if rng.chance(0.5) {
                    PARTIES[PARTIES.len() - 1]
                } else {
                    *rng.pick(&PARTIES[1..PARTIES.len() - 1])
                };
                let education = EDUCATIONS[match rng.below(100) {
                    0..=14 => 0,
                    15..=49 => 1,
                    50..=69 => 2,
                    70..=79 => 3,
                    80..=91 => 4,
                    92..=97 => 5,
                    _ => 6,
                }];
                let birth = format!("{}-{:02}-{:02}", 1958 + rng.below(38), 1 + rng.below(12), 1 + rng.below(28));
                p_rows.extend([
                    id.into(),
                    organ.organ_id.into(),
                    names.person(&mut rng).into(),
                    (if rng.chance(0.7) { Gender::Male } else { Gender::Female }).as_str().into(),
                    (if rng.chance(0.91) { "汉族" } else { *rng.pick(&ETHNICITIES) }).into(),
                    Some(birth).into(),
                    party.into(),
                    education.into(),
                    (*rng.pick(&OCCUPATIONS)).into(),
                    format!("{}{}", town.name, rng.pick(&WORK_UNITS)).into(),
                    tags.join("、").into(),
                    (if rng.chance(0.2) { "请到所在联络站留言" } else { "" }).into(),
                    Some(town.area_id).into(),
                    "".into(),
                    now.into(),
                    now.into(),
                ]);
                for tag in &tags {
                    t_rows.extend([id.into(), (*tag).into()]);
                }
                let mandate = |lvl: usize, node: &Node, m_rows: &mut Vec<Value>, rng: &mut Rng| {
                    let (term, start) = term_of(lvl);
                    let constituency = match lvl {
                        0 => format!("{}代表团", h.levels[1][h.levels[2][h.levels[3][town.parent].parent].parent].name),
                        1 => format!("{}代表团", h.levels[2][h.levels[3][town.parent].parent].name),
                        2 => format!("{}代表团", h.levels[3][town.parent].name),
                        _ => format!("第{}选区", 1 + rng.below(60)),
                    };
                    m_rows.extend([
                        id.into(),
                        node.mandate_organ.into(),
                        LEVEL_CODES[lvl].into(),
                        term.into(),
                        constituency.into(),
                        Some(start.to_string()).into(),
                        Option::<String>::None.into(),
                        MandateStatus::Serving.into(),
                        now.into(),
                    ]);
                };
                mandate(level, organ, &mut m_rows, &mut rng);
                mandates += 1;
                // About one in twenty also sits one level up (elected from this congress).
                if level > 0 && k % 20 == 7 {
                    let up = &h.levels[level - 1][organ.parent];
                    mandate(level - 1, up, &mut m_rows, &mut rng);
                    mandates += 1;
                }
                let here = &town_stations[t.min(n_town - 1)];
                if !here.is_empty() {
                    let j = here[rng.below(here.len())] as usize;
                    if station_person[j] == 0 {
                        station_person[j] = id;
                    }
                    s_rows.extend([(first_station + j as i64).into(), id.into(), now.into()]);
                }
            }
            w.insert("persons", &person_cols, p_rows).await?;
            w.insert("person_tags", &["person_id", "tag"], t_rows).await?;
            w.insert("mandates", &mandate_cols, m_rows).await?;
            w.insert("station_deputies", &["station_id", "person_id", "created_at"], s_rows).await?;
            done += end - i;
            i = end;
            if done % 100_000 < PERSONS_PER_ROUND || done == deputies {
                let secs = round_started.elapsed().as_secs_f64().max(0.001);
                progress(format!("代表 {done}/{deputies}（{:.0} 名/秒）", done as f64 / secs));
            }
        }
    }

    // ------------------------------------------------------------ duty rules and slots
    let today = stations::today();
    let horizon = today + Days::new(stations::HORIZON_DAYS);
    let mut parsed: Vec<(String, Vec<DutySlot>)> = Vec::new();
    for text in RULES {
        let rule = schedule::parse_rule(text).map_err(|e| DbErr::Custom(format!("内置进站规则无效：{e:?}")))?;
        parsed.push((rule.describe(), schedule::expand(&rule, today, horizon)));
    }
    let with_deputy = station_person.iter().filter(|p| **p != 0).count() as u64;
    progress(format!("进站安排：{with_deputy} 个联络站各一条规则"));
    let first_rule = reserve_ids(w.txn(), "duty_rules", with_deputy).await?;
    let mut rule_id = first_rule;
    let mut r_rows: Vec<Value> = Vec::new();
    let mut d_rows: Vec<Value> = Vec::new();
    let date = |d: NaiveDate| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    for (j, person) in station_person.iter().enumerate() {
        if *person == 0 {
            continue;
        }
        let (text, slots) = &parsed[rng.below(parsed.len())];
        let take = (4 + rng.below(5)).min(slots.len());
        if take == 0 {
            continue;
        }
        let station_id = first_station + j as i64;
        r_rows.extend([
            rule_id.into(),
            station_id.into(),
            (*person).into(),
            text.clone().into(),
            date(today).into(),
            Some(date(slots[take - 1].date)).into(),
            now.into(),
        ]);
        for s in &slots[..take] {
            d_rows.extend([
                station_id.into(),
                (*person).into(),
                Some(rule_id).into(),
                date(s.date).into(),
                s.start.format("%H:%M").to_string().into(),
                s.end.format("%H:%M").to_string().into(),
                s.online.into(),
            ]);
        }
        rule_id += 1;
        if d_rows.len() >= 7 * 40_000 {
            w.insert(
                "duty_rules",
                &["id", "station_id", "person_id", "rule_text", "valid_from", "valid_until", "created_at"],
                std::mem::take(&mut r_rows),
            )
            .await?;
            w.insert(
                "duty_slots",
                &["station_id", "person_id", "rule_id", "slot_date", "start_time", "end_time", "online"],
                std::mem::take(&mut d_rows),
            )
            .await?;
        }
    }
    w.insert(
        "duty_rules",
        &["id", "station_id", "person_id", "rule_text", "valid_from", "valid_until", "created_at"],
        r_rows,
    )
    .await?;
    w.insert(
        "duty_slots",
        &["station_id", "person_id", "rule_id", "slot_date", "start_time", "end_time", "online"],
        d_rows,
    )
    .await?;

    // ------------------------------------------------------------ the last transaction
    db::exec(w.txn(), "UPDATE change_counters SET value = value + 1 WHERE name = 'stations'", vec![]).await?;
    if let Some(key) = audit_key {
        audit::append(
            w.txn(),
            key,
            &Actor::system("gen"),
            Change {
                action: "synthetic_generate",
                target_type: "registry",
                target_id: "gen".into(),
                organ_id: Some(h.root_organ),
                summary: format!("生成合成数据：{deputies} 名代表、{n_stations} 个联络站"),
            },
        )
        .await?;
    }
    w.finish().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        for t in ["areas", "organs", "stations", "persons", "person_tags", "mandates", "station_deputies", "duty_slots"]
        {
            db::exec(db, &format!("ANALYZE {t}"), vec![]).await?;
        }
    }
    progress(format!("完成，用时 {:.1} 秒", started.elapsed().as_secs_f64()));
    Ok(GenReport { persons: deputies, mandates, stations: n_stations })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_split_keeps_the_total_and_minimums() {
        let s = split_weighted(3_000, &LEVEL_WEIGHTS, 1);
        assert_eq!(s.iter().sum::<u64>(), 3_000);
        assert!(s.iter().all(|v| *v >= 1));
        assert!(s[4] > s[3] && s[3] > s[2] && s[2] > s[1] && s[1] >= s[0], "{s:?}");
        let s = split_weighted(2_800_000, &LEVEL_WEIGHTS, 1);
        assert_eq!(s.iter().sum::<u64>(), 2_800_000);
        assert!((3_000..3_200).contains(&s[0]), "{s:?}");
        assert_eq!(split_weighted(3, &LEVEL_WEIGHTS, 0).iter().sum::<u64>(), 3);
    }

    #[test]
    fn even_split_covers_everything() {
        let s = split_even(40_000, 2_800);
        assert_eq!(s.iter().sum::<usize>(), 40_000);
        assert!(s.iter().all(|v| (14..=15).contains(v)));
    }

    #[test]
    fn built_in_rules_parse() {
        for r in RULES {
            assert!(schedule::parse_rule(r).is_ok(), "{r}");
        }
    }
}
