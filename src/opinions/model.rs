//! What a citizen said (OPN-1, OPN-2): channel, source, content, category, area, and how to
//! reach them (name and phone encrypted, looked up by keyed hash), read back for the console,
//! `/track` and `/public`.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};
use serde::Serialize;

use crate::app::codes::code_enum;
use crate::db;
use crate::handling::flow::State;

code_enum! {
    /// How an opinion came in (OPN-1).
    #[derive(schemars::JsonSchema)]
    pub enum Channel {
        /// The form behind a station's QR code.
        Station = ("station", "联络站码上留言"),
        /// The form behind a deputy's QR code (or `/find` → deputy card).
        Deputy = ("deputy", "代表码上留言"),
        /// The organ's own site without a station or deputy.
        Web = ("web", "网上留言"),
        /// A deputy's own entry of what voters told them (点单).
        DeputyEntry = ("deputy_entry", "代表收集"),
        /// A keeper's entry on behalf of a visitor at a reception.
        Reception = ("reception", "接待活动"),
        /// Staff entering a letter, a call, a visit.
        Staff = ("staff", "机关录入"),
        /// 12345 / 即诉即办 import.
        Hotline = ("hotline", "12345热线"),
        /// The Open311 endpoint.
        Open311 = ("open311", "Open311"),
        /// The API.
        Api = ("api", "接口"),
    }
}

/// The default taxonomy of OPN-2, in its order, each with its stable ASCII code (the Open311
/// `service_code`, OPN-15). `m0019` seeds `opinion_categories` with it; the top organ's admin
/// adds categories and retires them (`/console/opinions/categories`). A code never changes once
/// published. An empty category is 未分类, set at triage.
pub const DEFAULT_CATEGORIES: [(&str, &str); 11] = [
    ("urban_rural", "城乡建设"),
    ("environment", "环境保护"),
    ("transport", "交通运输"),
    ("education_culture", "教育文体"),
    ("labour_social_security", "劳动和社会保障"),
    ("health", "卫生健康"),
    ("agriculture_rural", "农业农村"),
    ("commerce_tourism", "商贸旅游"),
    ("social_governance", "社会治理"),
    ("business_environment", "营商环境"),
    ("other", "其他"),
];

/// The code of an opinion without a category yet (未分类, set at triage).
pub const UNCLASSIFIED_CODE: &str = "unclassified";

/// One category of the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult, Serialize)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Retired categories are no longer offered; opinions filed under them keep them and can
    /// still be found by them.
    pub active: bool,
}

/// The installation's taxonomy (OPN-2), in display order.
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    pub items: Vec<Category>,
}

impl Taxonomy {
    /// The default taxonomy, as `m0019` seeds it (tests, tools without a database).
    pub fn defaults() -> Taxonomy {
        Taxonomy {
            items: DEFAULT_CATEGORIES
                .iter()
                .enumerate()
                .map(|(i, (code, name))| Category {
                    id: i as i64 + 1,
                    code: (*code).into(),
                    name: (*name).into(),
                    active: true,
                })
                .collect(),
        }
    }

    /// The names offered in forms (active ones), in order.
    pub fn offered(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter(|c| c.active).map(|c| c.name.as_str())
    }

    /// A new opinion or a triage may use it: empty (未分类) or an active category.
    pub fn accepts(&self, name: &str) -> bool {
        name.is_empty() || self.items.iter().any(|c| c.active && c.name == name)
    }

    /// A category the installation has or had (filters: retired ones still find their opinions).
    pub fn knows(&self, name: &str) -> bool {
        self.items.iter().any(|c| c.name == name)
    }

    /// The code of a category (`unclassified` for the empty or an unknown one).
    pub fn code(&self, name: &str) -> &str {
        self.items.iter().find(|c| c.name == name).map(|c| c.code.as_str()).unwrap_or(UNCLASSIFIED_CODE)
    }

    /// The category of a code (`Some("")` for `unclassified`).
    pub fn by_code(&self, code: &str) -> Option<&str> {
        if code == UNCLASSIFIED_CODE {
            return Some("");
        }
        self.items.iter().find(|c| c.code == code).map(|c| c.name.as_str())
    }

    /// Form options of the offered categories, `selected` marked; a retired category the record
    /// still has is kept as an option so that saving the form does not change it.
    pub fn options(&self, selected: &str) -> Vec<crate::app::forms::Opt> {
        let mut names: Vec<&str> = self.offered().collect();
        if !selected.is_empty() && !names.contains(&selected) && self.knows(selected) {
            names.push(selected);
        }
        crate::app::forms::opts(names.into_iter().map(|c| (c, c)), selected)
    }
}

/// The taxonomy as stored, in display order.
pub async fn load_taxonomy<C: ConnectionTrait>(c: &C) -> Result<Taxonomy, DbErr> {
    let items =
        db::query_all(c, "SELECT id, code, name, active FROM opinion_categories ORDER BY sort, id", vec![]).await?;
    Ok(Taxonomy { items })
}

/// This node's cached taxonomy (for at most [`TAXONOMY_TTL_SECS`] after a change elsewhere;
/// a change on this node clears it at once).
pub async fn taxonomy(s: &crate::app::state::AppState) -> Result<std::sync::Arc<Taxonomy>, DbErr> {
    let cache = s.ext.get_or_default::<TaxonomyCache>();
    cache.0.get_or_load((), || load_taxonomy(&s.db)).await
}

/// Seconds another node may keep showing the taxonomy as it was.
pub const TAXONOMY_TTL_SECS: u64 = 30;

/// The per-node cache behind [`taxonomy`].
pub struct TaxonomyCache(pub crate::app::cache::TtlCache<(), Taxonomy>);

impl Default for TaxonomyCache {
    fn default() -> Self {
        TaxonomyCache(crate::app::cache::TtlCache::new(std::time::Duration::from_secs(TAXONOMY_TTL_SECS), 1))
    }
}

/// One opinion with its item's state, for lists and pages.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Opinion {
    pub id: i64,
    pub item_id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub organ_name: String,
    pub tracking_no: String,
    pub channel: String,
    pub station_id: Option<i64>,
    pub station_name: Option<String>,
    pub deputy_id: Option<i64>,
    pub deputy_name: Option<String>,
    pub area_id: Option<i64>,
    pub area_name: Option<String>,
    pub category: String,
    pub title: String,
    pub content: String,
    #[serde(skip)]
    pub name_enc: Option<String>,
    #[serde(skip)]
    pub phone_enc: Option<String>,
    pub allow_public: bool,
    pub anonymous: bool,
    pub hold_reason: Option<String>,
    pub merged_into_id: Option<i64>,
    pub created_at: i64,
    pub state: String,
    pub deadline: Option<String>,
    pub deadline_at: Option<i64>,
    pub flagged: bool,
    pub closed_at: Option<i64>,
    /// When the name and phone were purged after the retention period (PLAT-8).
    pub purged_at: Option<i64>,
    /// The 12345 work order's own number (OPN-14), for an imported order.
    pub external_no: Option<String>,
}

impl Opinion {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Received)
    }
    pub fn state_label(&self) -> &'static str {
        self.state().label()
    }
    pub fn state_colour(&self) -> &'static str {
        self.state().colour()
    }
    pub fn channel_label(&self) -> &'static str {
        Channel::label_of(&self.channel)
    }
    pub fn overdue(&self, now: i64) -> bool {
        self.state().with_units() && self.deadline_at.is_some_and(|d| now >= d)
    }
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.created_at)
    }
    pub fn category_label(&self) -> &str {
        if self.category.is_empty() { "未分类" } else { &self.category }
    }
}

pub(crate) const SELECT: &str = "SELECT op.id, op.item_id, op.organ_id, o.path AS organ_path, o.name AS organ_name, \
     op.tracking_no, op.channel, op.station_id, s.name AS station_name, op.deputy_id, p.name AS deputy_name, op.area_id, \
     a.name AS area_name, op.category, op.title, op.content, op.name_enc, op.phone_enc, op.allow_public, op.anonymous, \
     op.hold_reason, op.merged_into_id, op.created_at, i.state, i.deadline, i.deadline_at, i.flagged, i.closed_at, op.purged_at, \
     op.external_no \
     FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id \
     LEFT JOIN stations s ON s.id = op.station_id LEFT JOIN persons p ON p.id = op.deputy_id \
     LEFT JOIN areas a ON a.id = op.area_id";

pub async fn opinion<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Opinion>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE op.id = $1"), vec![id.into()]).await
}

pub async fn by_item<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Option<Opinion>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE op.item_id = $1"), vec![item_id.into()]).await
}

pub async fn by_tracking_no<C: ConnectionTrait>(c: &C, no: &str) -> Result<Option<Opinion>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE op.tracking_no = $1"), vec![no.trim().to_uppercase().into()]).await
}

/// Who sees which opinions in the console list: the loop's scope (`handling::read`).
pub use crate::handling::read::Scope;

/// The list's filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub state: Option<State>,
    pub overdue: bool,
    pub flagged: bool,
    /// 待公开: closed, the submitter agreed, not (or no longer) published.
    pub unpublished: bool,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// Search terms, already segmented (PLAT-12).
    pub terms: Vec<String>,
    /// A row of the statistics (OPN-16) followed to its opinions: a station, deputy or area
    /// (`Some(None)`: the opinions without one), a unit given the item as 主办 or 分办 in the
    /// first round (as the statistics count it), the months submitted (Unix bounds).
    pub station: Option<Option<i64>>,
    pub deputy: Option<Option<i64>>,
    pub area: Option<Option<i64>>,
    pub unit: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The most recent matches are ranked within this window (NOTES: a common word matches millions).
pub const SEARCH_WINDOW: i64 = 2000;

use crate::handling::read::bind;

/// The opinions a scope sees, as one parenthesised SQL condition over `i` (the opinion's item)
/// and `o` (the organ): the loop's rule.
pub(crate) fn scope_condition(scope: &Scope, values: &mut Vec<Value>) -> String {
    crate::handling::read::scope_condition(scope, values)
}

fn conditions(backend: DbBackend, scope: &Scope, f: &Filter, now: i64, values: &mut Vec<Value>) -> String {
    let mut w: Vec<String> = vec![scope_condition(scope, values)];
    let lf = crate::handling::read::LoopFilter { state: f.state, overdue: f.overdue, flagged: f.flagged };
    crate::handling::read::loop_conditions(&lf, now, values, &mut w);
    if f.unpublished {
        w.push(format!(
            "i.state = 'closed' AND op.allow_public = true AND op.merged_into_id IS NULL AND NOT EXISTS \
             (SELECT 1 FROM publications pb WHERE pb.owner_type = '{PUBLICATION_OWNER}' AND pb.owner_id = op.id \
             AND pb.withdrawn_at IS NULL)"
        ));
    }
    if let Some(c) = &f.category {
        w.push(format!("op.category = {}", bind(c.clone().into(), values)));
    }
    if let Some(ch) = f.channel {
        w.push(format!("op.channel = {}", bind(ch.as_str().into(), values)));
    }
    for (column, pick) in [("op.station_id", f.station), ("op.deputy_id", f.deputy), ("op.area_id", f.area)] {
        match pick {
            Some(Some(id)) => w.push(format!("{column} = {}", bind(id.into(), values))),
            Some(None) => w.push(format!("{column} IS NULL")),
            None => {}
        }
    }
    if let Some(u) = f.unit {
        w.push(format!(
            "EXISTS (SELECT 1 FROM handling_assignments la WHERE la.item_id = i.id AND la.round = 1 \
             AND la.role IN ('lead', 'separate') AND la.state <> 'returned' AND la.unit_id = {})",
            bind(u.into(), values)
        ));
    }
    if let Some(t) = f.from {
        w.push(format!("op.created_at >= {}", bind(t.into(), values)));
    }
    if let Some(t) = f.to {
        w.push(format!("op.created_at < {}", bind(t.into(), values)));
    }
    if !f.terms.is_empty() {
        w.push(match backend {
            DbBackend::Postgres => {
                let q = f.terms.join(" & ");
                format!("to_tsvector('simple', op.search_text) @@ to_tsquery('simple', {})", bind(q.into(), values))
            }
            _ => {
                let q = f.terms.iter().map(|t| format!("\"{}\"", t.replace('"', ""))).collect::<Vec<_>>().join(" AND ");
                format!(
                    "op.id IN (SELECT rowid FROM opinions_fts WHERE opinions_fts MATCH {} ORDER BY rowid DESC LIMIT {SEARCH_WINDOW})",
                    bind(q.into(), values)
                )
            }
        });
    }
    w.join(" AND ")
}

/// A page of the console list, newest first, and the total.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    f: &Filter,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Opinion>, i64), DbErr> {
    let mut values = Vec::new();
    let w = conditions(c.get_database_backend(), scope, f, now, &mut values);
    let count = format!(
        "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id WHERE {w}"
    );
    db::page(c, &count, &format!("{SELECT} WHERE {w} ORDER BY op.id DESC"), values, limit, offset).await
}

/// `publications.owner_type` of an opinion (`crate::publish`).
pub const PUBLICATION_OWNER: &str = "opinion";

/// One published opinion as every public surface shows it: the publication's text (masked
/// and checked by staff, `crate::publish`), never the opinion's own text, name or phone.
#[derive(Clone, Debug, FromQueryResult)]
pub struct PublicRow {
    pub id: i64,
    pub tracking_no: String,
    pub category: String,
    pub area_name: Option<String>,
    pub area_code: Option<String>,
    pub organ_name: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub title: String,
    pub body: String,
    pub reply: String,
    pub published_at: i64,
}

impl PublicRow {
    pub fn category_label(&self) -> &str {
        if self.category.is_empty() { "未分类" } else { &self.category }
    }
}

/// The filters of the public list.
#[derive(Clone, Debug, Default)]
pub struct PublicFilter {
    /// Any of these categories (none: all).
    pub categories: Vec<String>,
    /// Words searched in the published text only (a search never reaches the original text,
    /// so it cannot tell whether an unmasked phone number was in it).
    pub terms: Vec<String>,
    /// Tracking numbers (Open311 `service_request_id`).
    pub tracking_nos: Vec<String>,
    /// Submitted at or after / before (Open311 dates).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Area path prefix (Open311 `jurisdiction_id`).
    pub area_path: Option<String>,
}

/// The one public rule for opinions (OPN-9): the opinions of the organ's subtree with a live
/// publication whose submitter allowed it and that are closed — newest publication first.
pub async fn public_list<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    f: &PublicFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PublicRow>, i64), DbErr> {
    let mut values: Vec<Value> = vec![format!("{}%", db::like_escape(organ_path)).into()];
    let mut w = vec![
        "o.path LIKE $1 ESCAPE '\\'".to_string(),
        "op.allow_public = true".to_string(),
        "i.state = 'closed'".to_string(),
    ];
    if !f.categories.is_empty() {
        let mut marks = Vec::new();
        for cat in &f.categories {
            values.push(cat.clone().into());
            marks.push(format!("${}", values.len()));
        }
        w.push(format!("op.category IN ({})", marks.join(", ")));
    }
    for t in f.terms.iter().take(8) {
        values.push(format!("%{}%", db::like_escape(t)).into());
        let n = values.len();
        w.push(format!(
            "(pb.title LIKE ${n} ESCAPE '\\' OR pb.body LIKE ${n} ESCAPE '\\' OR pb.reply LIKE ${n} ESCAPE '\\')"
        ));
    }
    if !f.tracking_nos.is_empty() {
        let mut marks = Vec::new();
        for no in &f.tracking_nos {
            values.push(no.trim().to_uppercase().into());
            marks.push(format!("${}", values.len()));
        }
        w.push(format!("op.tracking_no IN ({})", marks.join(", ")));
    }
    if let Some(from) = f.from {
        values.push(from.into());
        w.push(format!("op.created_at >= ${}", values.len()));
    }
    if let Some(to) = f.to {
        values.push(to.into());
        w.push(format!("op.created_at <= ${}", values.len()));
    }
    if let Some(path) = &f.area_path {
        values.push(format!("{}%", db::like_escape(path)).into());
        w.push(format!("a.path LIKE ${} ESCAPE '\\'", values.len()));
    }
    let from = format!(
        "FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id \
         LEFT JOIN areas a ON a.id = op.area_id {} WHERE {}",
        crate::publish::live_join("pb", PUBLICATION_OWNER, "op.id"),
        w.join(" AND ")
    );
    let total = db::scalar_i64(c, &format!("SELECT count(*) {from}"), values.clone()).await?;
    let n = values.len();
    values.push(limit.into());
    values.push(offset.into());
    let rows = db::query_all(
        c,
        &format!(
            "SELECT op.id, op.tracking_no, op.category, a.name AS area_name, a.code AS area_code, o.name AS organ_name, \
             op.created_at, i.closed_at, pb.title, pb.body, pb.reply, pb.published_at {from} \
             ORDER BY pb.published_at DESC, op.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        values,
    )
    .await?;
    Ok((rows, total))
}
