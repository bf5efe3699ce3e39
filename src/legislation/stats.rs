//! The figures of a draft (LEG-5): opinions collected and adopted per stage and per source
//! (the seeds' 「收集 308 条，采纳 247 条」), counted from the rows — as a table, a chart drawn on
//! the server and an .xlsx. An opinion counts once it is sent (a task's lines when the answer
//! goes) and not removed by moderation; 采纳 and 部分采纳 count as adopted.

use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use super::model::{Disposition, Source, Stage};
use crate::db;
use crate::export::{Cell, Table};

/// The counts of one line (a stage × source, a stage, a source, or the whole).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Line {
    /// `initiation|drafting|first_reading|second_reading|hearing|before_vote`; null on a total.
    pub stage: Option<Stage>,
    /// `public|contact_point|expert|department|deputy`; null on a total.
    pub source: Option<Source>,
    pub collected: i64,
    /// 采纳 and 部分采纳.
    pub adopted: i64,
    pub adopted_fully: i64,
    pub adopted_partly: i64,
    pub rejected: i64,
    pub further_study: i64,
    /// Not yet disposed of.
    pub pending: i64,
    /// adopted ÷ collected in whole per mille (750 is 75.0%); null when nothing was collected.
    pub adoption_per_mille: Option<i64>,
}

impl Line {
    fn add(&mut self, disposition: Option<Disposition>, n: i64) {
        self.collected += n;
        match disposition {
            Some(Disposition::Adopted) => self.adopted_fully += n,
            Some(Disposition::Partly) => self.adopted_partly += n,
            Some(Disposition::Rejected) => self.rejected += n,
            Some(Disposition::FurtherStudy) => self.further_study += n,
            None => self.pending += n,
        }
        self.adopted = self.adopted_fully + self.adopted_partly;
        self.adoption_per_mille = (self.collected > 0).then(|| self.adopted * 1000 / self.collected);
    }

    pub fn stage_label(&self) -> &'static str {
        self.stage.map(|s| s.label()).unwrap_or("合计")
    }
    pub fn source_label(&self) -> &'static str {
        self.source.map(|s| s.label()).unwrap_or("合计")
    }
    /// 「75.0%」 or 「—」.
    pub fn rate(&self) -> String {
        match self.adoption_per_mille {
            Some(x) => format!("{}.{}%", x / 10, x % 10),
            None => "—".into(),
        }
    }
}

/// A draft's figures: every stage × source with opinions, each stage, each source, the whole.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Figures {
    pub lines: Vec<Line>,
    pub by_stage: Vec<Line>,
    pub by_source: Vec<Line>,
    pub total: Line,
}

/// Counts the opinions of a draft.
pub async fn figures<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Figures, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT stage, source, disposition, count(*) FROM leg_opinions WHERE draft_id = $1 AND sent = true \
         AND moderation <> 'removed' GROUP BY stage, source, disposition",
        vec![draft_id.into()],
    )
    .await?;
    let mut f = Figures::default();
    let mut lines: Vec<Line> = Vec::new();
    for r in rows {
        let stage = Stage::parse(&r.try_get_by_index::<String>(0)?);
        let source = Source::parse(&r.try_get_by_index::<String>(1)?);
        let disposition = r.try_get_by_index::<Option<String>>(2)?.as_deref().and_then(Disposition::parse);
        let n: i64 = r.try_get_by_index(3)?;
        let (Some(stage), Some(source)) = (stage, source) else { continue };
        match lines.iter_mut().find(|l| l.stage == Some(stage) && l.source == Some(source)) {
            Some(l) => l.add(disposition, n),
            None => {
                let mut l = Line { stage: Some(stage), source: Some(source), ..Line::default() };
                l.add(disposition, n);
                lines.push(l);
            }
        }
        f.total.add(disposition, n);
    }
    let order = |l: &Line| {
        (
            Stage::ALL.iter().position(|s| Some(*s) == l.stage).unwrap_or(99),
            Source::ALL.iter().position(|s| Some(*s) == l.source).unwrap_or(99),
        )
    };
    lines.sort_by_key(order);
    for stage in Stage::ALL {
        let mut l = Line { stage: Some(stage), ..Line::default() };
        for x in lines.iter().filter(|x| x.stage == Some(stage)) {
            merge(&mut l, x);
        }
        if l.collected > 0 {
            f.by_stage.push(l);
        }
    }
    for source in Source::ALL {
        let mut l = Line { source: Some(source), ..Line::default() };
        for x in lines.iter().filter(|x| x.source == Some(source)) {
            merge(&mut l, x);
        }
        if l.collected > 0 {
            f.by_source.push(l);
        }
    }
    f.lines = lines;
    Ok(f)
}

fn merge(into: &mut Line, x: &Line) {
    into.add(Some(Disposition::Adopted), x.adopted_fully);
    into.add(Some(Disposition::Partly), x.adopted_partly);
    into.add(Some(Disposition::Rejected), x.rejected);
    into.add(Some(Disposition::FurtherStudy), x.further_study);
    into.add(None, x.pending);
}

pub const HEADERS: [&str; 10] =
    ["阶段", "来源", "收集", "采纳（含部分）", "采纳", "部分采纳", "未采纳", "另行研究", "待处理", "采纳率"];

fn row(l: &Line) -> Vec<Cell> {
    vec![
        Cell::Text(l.stage_label().into()),
        Cell::Text(l.source_label().into()),
        Cell::Int(l.collected),
        Cell::Int(l.adopted),
        Cell::Int(l.adopted_fully),
        Cell::Int(l.adopted_partly),
        Cell::Int(l.rejected),
        Cell::Int(l.further_study),
        Cell::Int(l.pending),
        Cell::per_mille(l.adoption_per_mille),
    ]
}

/// The workbook: every stage × source, then per stage, per source, with the total under each.
pub fn workbook(f: &Figures) -> Vec<u8> {
    let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    let table = |name: &str, lines: &[Line]| Table {
        title: name.into(),
        headers: headers.clone(),
        rows: lines.iter().chain(std::iter::once(&f.total)).map(row).collect(),
    };
    crate::export::to_xlsx_book(&[
        table("分阶段分来源", &f.lines),
        table("分阶段", &f.by_stage),
        table("分来源", &f.by_source),
    ])
}

/// A bar of the chart: its label, collected and adopted, and the widths in the drawing.
pub struct Bar {
    pub label: &'static str,
    pub collected: i64,
    pub adopted: i64,
    pub y: i64,
    pub w_collected: i64,
    pub w_adopted: i64,
}

/// The chart's bars (per stage, then per source), scaled to `width` for the largest count.
pub fn bars(lines: &[Line], stage: bool, width: i64) -> Vec<Bar> {
    let max = lines.iter().map(|l| l.collected).max().unwrap_or(0).max(1);
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| Bar {
            label: if stage { l.stage_label() } else { l.source_label() },
            collected: l.collected,
            adopted: l.adopted,
            y: i as i64 * 34 + 8,
            w_collected: (l.collected * width / max).max(1),
            w_adopted: l.adopted * width / max,
        })
        .collect()
}
