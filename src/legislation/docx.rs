//! A draft from a Word file (.docx): its paragraphs as lines of text for the parser. A .docx is
//! a zip; `word/document.xml` (and `word/numbering.xml`, for Word's automatic numbering) is read
//! through `sheet::zip_entries` — the spreadsheet imports' limits on size, entries and
//! compression, checked before anything large is allocated — then walked as XML events. Real
//! drafts often number articles with Word's automatic numbering (`w:numPr`): the number is then
//! not in the text, so it is rebuilt from the numbering definitions (「第%1条」 in 中文计数)
//! and counted in the report. Run it on the blocking pool (`sheet::run_blocking`), before any
//! write transaction.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::parse::to_chinese;
use crate::sheet::{self, Limits, SheetError};

/// The limits of a Word file: as a spreadsheet's, with a smaller document part (a long law is
/// a few megabytes of XML).
pub fn limits() -> Limits {
    Limits { max_entry_bytes: 16 * 1024 * 1024, max_total_bytes: 64 * 1024 * 1024, ..Limits::default() }
}

/// The text of a Word file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocxText {
    /// One paragraph a line.
    pub text: String,
    /// Paragraphs whose number came from Word's automatic numbering.
    pub auto_numbered: usize,
}

/// Why a Word file was refused; the message is shown as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocxError {
    /// The zip's own limits and faults, as the spreadsheet reader found them.
    File(SheetError),
    /// An old binary Word file (.doc) or an encrypted one.
    Doc,
    Encrypted,
    /// A zip without `word/document.xml`.
    NotDocx,
    /// The document's XML is broken.
    Xml,
    /// No text at all.
    Empty,
}

impl DocxError {
    pub fn message(&self) -> String {
        const RESAVE: &str = "请在 Word 或 WPS 中“另存为” Word 文档（.docx）后再导入，或直接粘贴文字";
        match self {
            DocxError::Doc => format!("这是旧版 Word（.doc）文件，不能直接导入；{RESAVE}"),
            DocxError::Encrypted => "文件设置了打开密码，无法读取；请取消密码后另存为 .docx 再导入".into(),
            DocxError::NotDocx | DocxError::File(SheetError::NotXlsx) => {
                format!("文件不是有效的 Word（.docx）文件；{RESAVE}")
            }
            DocxError::Xml | DocxError::File(SheetError::Corrupt | SheetError::Unreadable) => {
                format!("文件已损坏或格式异常，无法读取；{RESAVE}")
            }
            DocxError::Empty => "文件中没有文字".into(),
            DocxError::File(SheetError::FileTooLarge { bytes, max }) => format!(
                "文件有 {} MB，超过了可导入的上限 {} MB；请删除图片等内容后再导入，或直接粘贴文字",
                bytes.div_ceil(1 << 20),
                max.div_ceil(1 << 20)
            ),
            DocxError::File(SheetError::Ratio { max, .. }) => {
                format!("文件中的部件压缩比异常（超过 {max} 倍），可能是特意构造的文件，无法导入；{RESAVE}")
            }
            DocxError::File(SheetError::Timeout { secs }) => format!("读取文件超过 {secs} 秒仍未完成，已停止"),
            DocxError::File(SheetError::TooManyEntries { count, max }) => {
                format!("文件内部包含 {count} 个部件（最多 {max} 个），不是正常的 Word 文档，无法导入")
            }
            DocxError::File(SheetError::EntryTooLarge { max, .. } | SheetError::TotalTooLarge { max }) => {
                format!("文件解压后超过 {} MB，无法导入；请直接粘贴文字", max.div_ceil(1 << 20))
            }
            DocxError::File(other) => format!("文件无法读取：{}", other.message()),
        }
    }
}

/// Reads the paragraphs of a .docx.
pub fn read(bytes: &[u8]) -> Result<DocxText, DocxError> {
    let parts =
        sheet::zip_entries(bytes, &["word/document.xml", "word/numbering.xml"], &limits()).map_err(|e| match e {
            SheetError::Xls => DocxError::Doc,
            SheetError::Encrypted => DocxError::Encrypted,
            e => DocxError::File(e),
        })?;
    let mut parts = parts.into_iter();
    let document = parts.next().flatten().ok_or(DocxError::NotDocx)?;
    let numbering = parts.next().flatten().map(|n| Numbering::read(&n)).unwrap_or_default();
    let xml = String::from_utf8(document).map_err(|_| DocxError::Xml)?;
    let mut out = paragraphs(&xml, &numbering)?;
    // What a Word file may carry that no draft needs and a page should never show: control
    // characters, direction marks and overrides, zero-width characters.
    out.text.retain(|c| {
        c == '\n'
            || !(c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{061c}' | '\u{feff}'))
    });
    if out.text.trim().is_empty() {
        return Err(DocxError::Empty);
    }
    Ok(out)
}

/// The value of an attribute by its local name (`w:val` → `val`).
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let n = name.strip_prefix('#')?;
            let v = match n.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(v)?
        }
    })
}

/// Walks `w:p` paragraphs: the text of their `w:t` runs (tabs as spaces, line breaks as new
/// lines), and the automatic number of a paragraph with `w:numPr`.
fn paragraphs(xml: &str, numbering: &Numbering) -> Result<DocxText, DocxError> {
    let mut r = Reader::from_str(xml);
    let mut out = DocxText::default();
    let mut counters = Counters::default();
    let mut para = String::new();
    let mut in_text = false;
    let mut num: (Option<String>, Option<usize>) = (None, None);
    loop {
        match r.read_event().map_err(|_| DocxError::Xml)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "p" && !e.is_empty() => {
                para.clear();
                num = (None, None);
            }
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "numId" => num.0 = attr(&e, "val"),
                "ilvl" => num.1 = attr(&e, "val").and_then(|v| v.parse().ok()),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => para.push(' '),
                "br" | "cr" => para.push('\n'),
                "numId" => num.0 = attr(&e, "val"),
                "ilvl" => num.1 = attr(&e, "val").and_then(|v| v.parse().ok()),
                "p" => out.text.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => para.push_str(&t.xml10_content()),
            Event::GeneralRef(g) if in_text => {
                if let Some(c) = entity(&g.xml10_content()) {
                    para.push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    let prefix = match &num.0 {
                        Some(id) if id != "0" => counters.next(numbering, id, num.1.unwrap_or(0)),
                        _ => None,
                    };
                    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
                        out.auto_numbered += 1;
                        out.text.push_str(&p);
                        out.text.push(' ');
                    }
                    out.text.push_str(&para);
                    out.text.push('\n');
                    para.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// One level of a numbering definition: its start, format and text (「第%1条」).
#[derive(Clone, Debug, Default)]
struct Level {
    start: i64,
    format: String,
    text: String,
}

/// Word's numbering definitions: each `w:num` points at an abstract definition of levels.
#[derive(Clone, Debug, Default)]
struct Numbering {
    abstracts: HashMap<String, Vec<Level>>,
    nums: HashMap<String, String>,
}

impl Numbering {
    fn read(bytes: &[u8]) -> Numbering {
        let Ok(xml) = std::str::from_utf8(bytes) else { return Numbering::default() };
        let mut r = Reader::from_str(xml);
        let mut n = Numbering::default();
        let mut abstract_id: Option<String> = None;
        let mut num_id: Option<String> = None;
        let mut level: Option<(usize, Level)> = None;
        while let Ok(ev) = r.read_event() {
            match ev {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "abstractNum" => abstract_id = attr(&e, "abstractNumId"),
                    "num" => num_id = attr(&e, "numId"),
                    "abstractNumId" => {
                        if let (Some(num), Some(v)) = (&num_id, attr(&e, "val")) {
                            n.nums.insert(num.clone(), v);
                        }
                    }
                    "lvl" if abstract_id.is_some() => {
                        let ilvl = attr(&e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                        level = Some((ilvl, Level { start: 1, ..Level::default() }));
                    }
                    "start" => {
                        if let Some((_, l)) = &mut level {
                            l.start = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    "numFmt" => {
                        if let Some((_, l)) = &mut level {
                            l.format = attr(&e, "val").unwrap_or_default();
                        }
                    }
                    "lvlText" => {
                        if let Some((_, l)) = &mut level {
                            l.text = attr(&e, "val").unwrap_or_default();
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "lvl" => {
                        if let (Some(a), Some((ilvl, l))) = (&abstract_id, level.take()) {
                            let levels = n.abstracts.entry(a.clone()).or_default();
                            if levels.len() <= ilvl && ilvl < 9 {
                                levels.resize(ilvl + 1, Level::default());
                            }
                            if ilvl < levels.len() {
                                levels[ilvl] = l;
                            }
                        }
                    }
                    "abstractNum" => abstract_id = None,
                    "num" => num_id = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        n
    }

    fn levels(&self, num_id: &str) -> Option<&Vec<Level>> {
        self.abstracts.get(self.nums.get(num_id)?)
    }
}

/// The running counts of each list and level.
#[derive(Default)]
struct Counters(HashMap<String, [i64; 9]>);

impl Counters {
    /// The number text of the next paragraph of list `num_id` at level `ilvl`.
    fn next(&mut self, numbering: &Numbering, num_id: &str, ilvl: usize) -> Option<String> {
        let levels = numbering.levels(num_id)?;
        let level = levels.get(ilvl)?;
        if level.format == "bullet" || level.format == "none" {
            return None;
        }
        let counts = self.0.entry(num_id.to_string()).or_insert([0; 9]);
        let ilvl = ilvl.min(8);
        counts[ilvl] = if counts[ilvl] == 0 { level.start } else { counts[ilvl] + 1 };
        for c in counts.iter_mut().skip(ilvl + 1) {
            *c = 0;
        }
        let mut text = level.text.clone();
        for (k, l) in levels.iter().enumerate().take(ilvl + 1) {
            let value = if counts[k] == 0 { l.start } else { counts[k] };
            text = text.replace(&format!("%{}", k + 1), &format_number(value, &l.format));
        }
        Some(text.trim().to_string())
    }
}

/// A count in a Word numbering format.
fn format_number(n: i64, format: &str) -> String {
    match format {
        "chineseCounting" | "chineseCountingThousand" | "ideographDigital" | "chineseLegalSimplified" => to_chinese(n),
        "lowerLetter" => char::from_u32('a' as u32 + (n.max(1) as u32 - 1) % 26).map(String::from).unwrap_or_default(),
        "upperLetter" => char::from_u32('A' as u32 + (n.max(1) as u32 - 1) % 26).map(String::from).unwrap_or_default(),
        _ => n.to_string(),
    }
}

/// A minimal .docx of these paragraphs (tests, and the demo's sample file): each line a `w:p`;
/// a line starting with `#` is numbered by Word (「第%1条」, 中文计数) instead of in its text.
pub fn build(lines: &[&str]) -> Vec<u8> {
    use std::io::Write;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut body = String::new();
    for l in lines {
        match l.strip_prefix('#') {
            Some(rest) => body.push_str(&format!(
                "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr>\
                 <w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                esc(rest)
            )),
            None => body.push_str(&format!("<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>", esc(l))),
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}\
         </w:body></w:document>"
    );
    let numbering = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <w:numbering xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
        <w:abstractNum w:abstractNumId=\"0\"><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/>\
        <w:numFmt w:val=\"chineseCounting\"/><w:lvlText w:val=\"第%1条\"/></w:lvl></w:abstractNum>\
        <w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num></w:numbering>";
    let types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
        <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
        <Override PartName=\"/word/document.xml\" \
        ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in [
            ("[Content_Types].xml", types),
            ("word/document.xml", document.as_str()),
            ("word/numbering.xml", numbering),
        ] {
            z.start_file(name, o).expect("zip entry");
            z.write_all(content.as_bytes()).expect("zip write");
        }
        z.finish().expect("zip finish");
    }
    buf.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_automatic_numbers_are_read() {
        let bytes =
            build(&["某某条例（草案）", "第一章 总则", "#为了……，制定本条例。", "#本条例适用于 A&B。", "（一）甲；"]);
        let d = read(&bytes).unwrap();
        assert_eq!(d.auto_numbered, 2);
        let lines: Vec<&str> = d.text.lines().collect();
        assert_eq!(
            lines,
            [
                "某某条例（草案）",
                "第一章 总则",
                "第一条 为了……，制定本条例。",
                "第二条 本条例适用于 A&B。",
                "（一）甲；"
            ]
        );
    }

    #[test]
    fn what_is_not_a_docx_is_named() {
        assert_eq!(read(b"plain text").unwrap_err(), DocxError::File(SheetError::NotXlsx));
        let ole = [0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(read(&ole).unwrap_err(), DocxError::Doc);
        assert!(DocxError::Doc.message().contains(".doc"));
        let xlsx_like = {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut z, b"<workbook/>").unwrap();
            z.finish().unwrap();
            buf.into_inner()
        };
        assert_eq!(read(&xlsx_like).unwrap_err(), DocxError::NotDocx);
        let broken = {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut z, b"<w:document><w:body><w:p><w:r><w:t>x</w:p></w:document>").unwrap();
            z.finish().unwrap();
            buf.into_inner()
        };
        assert_eq!(read(&broken).unwrap_err(), DocxError::Xml);
    }
}
