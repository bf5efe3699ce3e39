//! Reading a sheet of past suggestions: the file read by the shared reader (an .xlsx, or a
//! UTF-8 CSV) on the blocking pool, the header found among the first rows by its names' usual
//! spellings, and every data row with its cells. Nothing is checked against the database here.

use crate::app::text;
use crate::opinions::import::{MAX_ROWS_ABOVE_HEADER, Table, header_key, read_table};
use crate::sheet::{self, Limits, RowIssue};

/// Suggestions one file may hold.
pub const MAX_ROWS: usize = 3000;

/// A column the import understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Number,
    Title,
    Lead,
    Cosigners,
    Category,
    Units,
    LeadUnit,
    AssistUnits,
    Class,
    Satisfaction,
    ReplySatisfaction,
    ResultSatisfaction,
    Reply,
    Content,
    Year,
    Session,
}

impl Col {
    pub const ALL: [Col; 16] = [
        Col::Number,
        Col::Title,
        Col::Lead,
        Col::Cosigners,
        Col::Category,
        Col::Units,
        Col::LeadUnit,
        Col::AssistUnits,
        Col::Class,
        Col::Satisfaction,
        Col::ReplySatisfaction,
        Col::ResultSatisfaction,
        Col::Reply,
        Col::Content,
        Col::Year,
        Col::Session,
    ];

    /// The headers it goes by in counties' sheets (compared by `header_key`, without what is
    /// in brackets).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Col::Number => &["编号", "序号", "建议编号", "建议号", "案号", "号数", "建议序号"],
            Col::Title => &["标题", "案由", "建议标题", "题目", "建议名称", "建议案由", "建议题目"],
            Col::Lead => &["领衔代表", "提出人", "领衔人", "提出代表", "代表姓名", "代表", "提议人"],
            Col::Cosigners => &["联名代表", "附议代表", "联名人", "联名"],
            Col::Category => &["类别", "分类", "建议类别", "类型", "建议分类"],
            Col::Units => &["承办单位", "办理单位", "交办单位", "主协办单位", "承办部门"],
            Col::LeadUnit => &["主办单位", "主办"],
            Col::AssistUnits => &["协办单位", "协办"],
            Col::Class => &["答复类别", "办理类别", "答复类型", "办理结果", "答复分类", "办理结果类别"],
            Col::Satisfaction => &["满意度", "代表满意度", "满意程度", "代表意见", "代表评价", "测评结果"],
            Col::ReplySatisfaction => &["答复满意度", "沟通满意度", "答复满意程度"],
            Col::ResultSatisfaction => &["办理满意度", "结果满意度", "办理结果满意度", "落实满意度"],
            Col::Reply => &["答复内容", "答复情况", "办理情况", "答复意见", "办理答复", "答复"],
            Col::Content => &["内容", "建议内容", "主要内容", "正文", "建议正文"],
            Col::Year => &["年度", "年份", "年"],
            Col::Session => &["会议", "届次", "会次", "提出时间", "提出会议", "会期"],
        }
    }

    /// What the reports call it.
    pub fn label(self) -> &'static str {
        self.names()[0]
    }

    /// Texts that may run over several lines.
    fn long(self) -> bool {
        matches!(self, Col::Reply | Col::Content | Col::Units | Col::Cosigners)
    }
}

/// The column a header names, if any: compared loosely, and without a bracketed note
/// (「编号（第X号）」).
pub fn column_of(header: &str) -> Option<Col> {
    let mut plain = String::new();
    let mut depth = 0;
    for c in header.chars() {
        match c {
            '(' | '（' | '【' | '[' => depth += 1,
            ')' | '）' | '】' | ']' => depth = (depth - 1).max(0),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let key = header_key(&plain);
    if key.is_empty() {
        return None;
    }
    Col::ALL.into_iter().find(|c| c.names().iter().any(|n| header_key(n) == key))
}

/// The columns a header row holds: each column once, the first of its headers.
fn columns(cells: &[String]) -> Vec<(Col, usize, String)> {
    let mut out: Vec<(Col, usize, String)> = Vec::new();
    for (i, h) in cells.iter().enumerate() {
        if let Some(c) = column_of(h)
            && !out.iter().any(|(x, _, _)| *x == c)
        {
            out.push((c, i, h.trim().to_string()));
        }
    }
    out
}

const REQUIRED: [Col; 3] = [Col::Number, Col::Title, Col::Lead];

/// One data row: its number in the file and the cells of the columns found.
#[derive(Clone, Debug)]
pub struct Row {
    pub row: u32,
    cells: Vec<(Col, usize, String)>,
    headers: std::sync::Arc<Vec<(Col, usize, String)>>,
}

impl Row {
    /// The cell's text, trimmed; empty when the column is absent.
    pub fn get(&self, c: Col) -> &str {
        self.cells.iter().find(|(x, _, _)| *x == c).map(|(_, _, v)| v.trim()).unwrap_or("")
    }

    pub fn has(&self, c: Col) -> bool {
        self.headers.iter().any(|(x, _, _)| *x == c)
    }

    /// A problem of one of its cells, named as Excel does (「C5 领衔代表」).
    pub fn issue(&self, c: Col, reason: impl Into<String>) -> RowIssue {
        let column = match self.headers.iter().find(|(x, _, _)| *x == c) {
            Some((_, i, h)) => format!("{} {h}", sheet::cell_name(self.row.saturating_sub(1), *i as u32)),
            None => c.label().to_string(),
        };
        RowIssue::new(self.row, column, reason)
    }
}

/// The rows of a file, or the problems of the file as a whole. Rows may still carry problems of
/// their own cells (`issues`).
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub issues: Vec<RowIssue>,
}

fn blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The suggestions of a table: the header is the first of its first rows naming the number,
/// title and lead deputy columns; below it every non-blank row is one suggestion.
pub fn rows_of(table: &Table) -> Result<Parsed, Vec<RowIssue>> {
    let found = table
        .rows
        .iter()
        .take(MAX_ROWS_ABOVE_HEADER)
        .position(|(_, cells)| REQUIRED.iter().all(|r| columns(cells).iter().any(|(c, _, _)| c == r)));
    let Some(at) = found else {
        let best = table.rows.iter().take(MAX_ROWS_ABOVE_HEADER).max_by_key(|(_, cells)| columns(cells).len());
        let shown: Vec<&str> = best
            .map(|(_, cells)| cells.iter().map(|h| h.trim()).filter(|h| !h.is_empty()).take(12).collect())
            .unwrap_or_default();
        return Err(vec![RowIssue::file(format!(
            "没有找到表头：表头行应有“编号”（或“序号”）、“标题”（或“案由”）和“领衔代表”（或“提出人”）列，并在文件的前 {MAX_ROWS_ABOVE_HEADER} 行内；找到的最接近的一行是：{}",
            if shown.is_empty() { "（空）".to_string() } else { shown.join("、") }
        ))]);
    };
    let (header_row, header) = &table.rows[at];
    let headers = std::sync::Arc::new(columns(header));
    let data: Vec<&(u32, Vec<String>)> =
        table.rows[at + 1..].iter().filter(|(r, cells)| r > header_row && !blank(cells)).collect();
    if data.is_empty() {
        return Err(vec![RowIssue::file("文件中只有表头，没有建议")]);
    }
    if data.len() > MAX_ROWS {
        return Err(vec![RowIssue::file(format!(
            "文件中有 {} 行建议，一次最多导入 {MAX_ROWS} 件；请把数据分成几个文件后再导入",
            data.len()
        ))]);
    }
    let mut out = Parsed::default();
    for (row, cells) in data {
        let mut r = Row { row: *row, cells: Vec::new(), headers: headers.clone() };
        let mut bad = None;
        for (c, i, _) in headers.iter() {
            let v = cells.get(*i).map(|v| v.trim().to_string()).unwrap_or_default();
            // A line break typed into a one-line cell (Alt+Enter) only wrapped it.
            let v = if c.long() { v } else { v.replace(['\r', '\n'], "") };
            if table.damaged.contains(&(*row, *i)) && bad.is_none() {
                bad = Some((*c, format!("数字已被 Excel 改成科学计数法或截断（{v}），请把该列设为“文本”后重新导出")));
            }
            if let Err(e) = text::check(&v, c.long())
                && bad.is_none()
            {
                bad = Some((*c, e.message().to_string()));
            }
            r.cells.push((*c, *i, v));
        }
        if let Some((c, reason)) = bad {
            out.issues.push(r.issue(c, reason));
        }
        out.rows.push(r);
    }
    Ok(out)
}

/// Reads a file (an .xlsx, or a UTF-8 CSV) within the shared limits. CPU work: async callers
/// use [`parse_blocking`].
pub fn parse(bytes: &[u8]) -> Result<Parsed, Vec<RowIssue>> {
    let (_, table) = read_table(bytes, &Limits::default()).map_err(|e| vec![e])?;
    if table.header.is_some() {
        return Err(vec![RowIssue::file("请上传 Excel（.xlsx）或 CSV 文件")]);
    }
    rows_of(&table)
}

/// Reads a file on the blocking pool; call it before any write.
pub async fn parse_blocking(bytes: Vec<u8>) -> Result<Parsed, Vec<RowIssue>> {
    sheet::run_blocking(move || parse(&bytes)).await.map_err(|e| vec![RowIssue::file(e.message())])?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_by_their_usual_names() {
        assert_eq!(column_of(" 序　号 "), Some(Col::Number));
        assert_eq!(column_of("编号（第X号）"), Some(Col::Number));
        assert_eq!(column_of("案由"), Some(Col::Title));
        assert_eq!(column_of("提出人*"), Some(Col::Lead));
        assert_eq!(column_of("答复类别"), Some(Col::Class));
        assert_eq!(column_of("类别"), Some(Col::Category));
        assert_eq!(column_of("承办单位："), Some(Col::Units));
        assert_eq!(column_of("备注"), None);
    }

    #[test]
    fn a_title_row_above_the_header_and_blank_rows_are_passed_over() {
        let csv = "2025年代表建议办理情况汇总表,,\n\n序号,案由,领衔代表\n第1号,关于修路的建议,王明\n,,\n2,关于路灯的建议,李红\n";
        let p = parse(csv.as_bytes()).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!((p.rows[0].row, p.rows[0].get(Col::Number), p.rows[0].get(Col::Lead)), (4, "第1号", "王明"));
        assert_eq!(p.rows[1].row, 6);
        assert!(!p.rows[0].has(Col::Units));
        assert_eq!(p.rows[1].issue(Col::Lead, "x").column, "C6 领衔代表");
        let e = parse("名称,备注\n1,2\n".as_bytes()).unwrap_err();
        assert!(e[0].reason.contains("没有找到表头"), "{e:?}");
    }
}
