//! The areas and congress organs of `renda gen`: on an empty database the national congress,
//! 31 provinces (real names, codes and centres), about 330 cities, 2,800 counties and 40,000
//! townships with generated names and coordinates clustered around their parent's centre;
//! below the installation's default organ (area codes under a free prefix `90…99`) when
//! organs exist. Smaller runs scale the hierarchy down.

use sea_orm::{ConnectionTrait, DbErr, Value};

use super::names::Places;
use super::random::{Rng, clamp_china, split_even, split_weighted};
use super::writer::{Writer, reserve_ids};
use crate::db;

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

/// One area with its congress organ, as generated (or, for the root, as found).
#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) area_id: i64,
    pub(super) organ_id: i64,
    /// The organ mandates of this level point at (differs from `organ_id` only for the
    /// national node below an existing installation, where it is the national congress).
    pub(super) mandate_organ: i64,
    pub(super) parent: usize,
    pub(super) name: String,
    pub(super) lat: f64,
    pub(super) lng: f64,
    /// Townships below this node: indexes `t_lo..t_hi` of the township level.
    pub(super) t_lo: usize,
    pub(super) t_hi: usize,
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

pub(super) struct Hierarchy {
    /// Levels 0..5: national (one node), provinces, cities, counties, townships.
    pub(super) levels: [Vec<Node>; 5],
    pub(super) root_organ: i64,
}

/// Creates (or finds) the five-level hierarchy and writes its areas and organs.
pub(super) async fn build_hierarchy(
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

    let places = Places::new();
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
            let name = format!("{}市", places.name(rng));
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
            let name = format!("{}{suffix}", places.name(rng));
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
            let name = format!("{}{suffix}", places.name(rng));
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
