//! The one reader for uploaded spreadsheets (roster, areas, and every later import).
//!
//! Uploaded bytes are untrusted. calamine's `worksheet_range` allocates a dense grid over the
//! sheet's extent, so a single cell at `XFD1048576` asks for 2^34 cells and aborts the process
//! (an allocation failure is not a panic; tafia/calamine#693); a small zip can also inflate to
//! gigabytes. This module therefore checks everything it can *before* anything large is
//! allocated, in this order:
//!
//! 1. the container, by content: an OLE/CFB file (`.xls`, or an encrypted `.xlsx`), an
//!    OpenDocument spreadsheet, an `.xlsb`, or anything that is not a zip is refused with a
//!    message saying what to do;
//! 2. the zip: number of entries, each entry's declared uncompressed size, their total and
//!    the compression ratio; then every entry is really inflated through a counting reader
//!    that stops at the limit (declared sizes can lie), which also counts the shared strings;
//! 3. the cells, read one at a time through calamine's streaming cell reader (never
//!    `worksheet_range`): every cell with a value (blank strings count as empty) must lie
//!    within [`Limits::max_rows`] × [`Limits::max_cols`], the bounding box of those cells and
//!    their number stay under [`Limits::max_cells`], and a wall-clock limit is checked inside
//!    the loop. The sheet's declared `<dimension>` is never used.
//!
//! Only then is a [`calamine::Range`] built (`Range::from_sparse`, safe now that its extent is
//! bounded). Parsing is CPU work: call [`run_blocking`] from async code so it runs on the
//! blocking pool, a few at a time, and before any write transaction opens.
//!
//! A UTF-8 CSV is read by [`read_csv`], and the records of a JSON file by [`read_json`] (counted
//! while they are read), within the same limits of file size, rows and columns.

use std::fmt;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use calamine::{Cell, Data, DataRef, Range, Reader, Xlsx, XlsxError};
use zip::ZipArchive;

const MIB: u64 = 1024 * 1024;

/// Hard limits for one spreadsheet. [`Limits::default`] is what every import uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The file itself (the web upload is also bounded by `body_limit_kib`).
    pub max_file_bytes: u64,
    /// Entries in the zip container.
    pub max_entries: usize,
    /// Uncompressed size of any one entry (declared and actual).
    pub max_entry_bytes: u64,
    /// Uncompressed size of all entries together (declared and actual).
    pub max_total_bytes: u64,
    /// Uncompressed ÷ compressed size, checked for entries larger than [`RATIO_FLOOR_BYTES`].
    pub max_ratio: u64,
    /// Entries (`<si>`) of `xl/sharedStrings.xml`.
    pub max_shared_strings: u64,
    /// Highest row number that may hold a value (1-based, as Excel shows it).
    pub max_rows: u32,
    /// Highest column number that may hold a value (1-based; 200 is column GR).
    pub max_cols: u32,
    /// Non-empty cells read, and cells in their bounding box (the grid handed back).
    pub max_cells: u64,
    /// Wall-clock time for the whole read.
    pub time_limit: Duration,
}

/// Entries smaller than this are not held to [`Limits::max_ratio`]: tiny XML parts compress
/// very well and cannot do harm.
pub const RATIO_FLOOR_BYTES: u64 = MIB;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 32 * MIB,
            max_entries: 1_000,
            max_entry_bytes: 64 * MIB,
            max_total_bytes: 128 * MIB,
            max_ratio: 200,
            max_shared_strings: 1_000_000,
            max_rows: 100_000,
            max_cols: 200,
            max_cells: 2_000_000,
            time_limit: Duration::from_secs(10),
        }
    }
}

/// Why a spreadsheet was refused; [`SheetError::message`] is shown to staff as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetError {
    /// Not a zip (or a broken one), or a zip that is not an Excel workbook.
    NotXlsx,
    /// An OLE compound file: the old binary .xls format.
    Xls,
    /// An OLE compound file holding an encrypted (password-protected) workbook.
    Encrypted,
    /// An OpenDocument spreadsheet (.ods).
    Ods,
    /// An Excel binary workbook (.xlsb).
    Xlsb,
    /// A zip part failed to inflate or its checksum did not match.
    Corrupt,
    /// The workbook has no worksheet.
    NoSheet,
    FileTooLarge {
        bytes: u64,
        max: u64,
    },
    TooManyEntries {
        count: usize,
        max: usize,
    },
    /// One part inflates (or says it inflates) past [`Limits::max_entry_bytes`].
    EntryTooLarge {
        name: String,
        max: u64,
    },
    /// All parts together inflate past [`Limits::max_total_bytes`].
    TotalTooLarge {
        max: u64,
    },
    /// A large part compressed more than [`Limits::max_ratio`] times.
    Ratio {
        name: String,
        max: u64,
    },
    TooManyStrings {
        max: u64,
    },
    /// A non-empty cell beyond [`Limits::max_rows`] or [`Limits::max_cols`].
    CellOutOfRange {
        sheet: String,
        cell: String,
        max_rows: u32,
        max_cols: u32,
    },
    /// The cells' bounding box holds more than [`Limits::max_cells`] cells.
    AreaTooLarge {
        sheet: String,
        range: String,
        cells: u64,
        max: u64,
    },
    TooManyCells {
        sheet: String,
        max: u64,
    },
    Timeout {
        secs: u64,
    },
    /// The reader failed in a way a valid file never causes (a panic was caught).
    Unreadable,
}

/// "64 MB" for a byte count in whole mebibytes.
fn mb(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(MIB))
}

impl SheetError {
    /// The Chinese message for staff.
    pub fn message(&self) -> String {
        const RESAVE: &str = "请在 Excel 或 WPS 中“另存为” Excel 工作簿（.xlsx）后再导入";
        const SPLIT: &str = "请删除多余的内容或把数据分成几个文件后再导入";
        match self {
            SheetError::NotXlsx => "文件不是有效的 Excel（.xlsx）文件".into(),
            SheetError::Xls => format!("这是旧版 Excel（.xls）文件，不能直接导入；{RESAVE}"),
            SheetError::Encrypted => {
                "文件设置了打开密码，无法读取；请在 Excel 中取消密码并另存为 .xlsx 后再导入".into()
            }
            SheetError::Ods => format!("这是 OpenDocument 表格（.ods）文件，不能直接导入；{RESAVE}"),
            SheetError::Xlsb => format!("这是 Excel 二进制工作簿（.xlsb），不能直接导入；{RESAVE}"),
            SheetError::Corrupt => format!("文件已损坏或不完整，无法读取；{RESAVE}"),
            SheetError::NoSheet => "文件中没有工作表".into(),
            SheetError::FileTooLarge { bytes, max } => {
                format!("文件有 {}，超过了可导入的上限 {}；{SPLIT}", mb(*bytes), mb(*max))
            }
            SheetError::TooManyEntries { count, max } => {
                format!("文件内部包含 {count} 个部件（最多 {max} 个），不是正常的 Excel 表格，无法导入")
            }
            SheetError::EntryTooLarge { name, max } => {
                format!("文件解压后过大（其中的「{name}」超过 {}），无法导入；{SPLIT}", mb(*max))
            }
            SheetError::TotalTooLarge { max } => format!("文件解压后总计超过 {}，无法导入；{SPLIT}", mb(*max)),
            SheetError::Ratio { name, max } => {
                format!("文件中的「{name}」压缩比异常（超过 {max} 倍），可能是特意构造的文件，无法导入；{RESAVE}")
            }
            SheetError::TooManyStrings { max } => format!("文件中的文字条目超过 {max} 条，无法导入；{SPLIT}"),
            SheetError::CellOutOfRange { sheet, cell, max_rows, max_cols } => format!(
                "工作表「{sheet}」在 {cell} 有内容，超出了可导入的范围（最多 {max_rows} 行、{max_cols} 列）；\
                 请删除该处的内容后再导入"
            ),
            SheetError::AreaTooLarge { sheet, range, cells, max } => format!(
                "工作表「{sheet}」的内容分布在 {range}，共 {cells} 个单元格，超过了可导入的上限（{max} 个）；{SPLIT}"
            ),
            SheetError::TooManyCells { sheet, max } => {
                format!("工作表「{sheet}」的单元格超过 {max} 个，无法导入；{SPLIT}")
            }
            SheetError::Timeout { secs } => format!("读取文件超过 {secs} 秒仍未完成，已停止；{SPLIT}"),
            SheetError::Unreadable => format!("文件无法读取（格式异常）；{RESAVE}"),
        }
    }
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SheetError {}

/// What the first bytes say a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// A zip archive (.xlsx, .xlsb, .ods, .docx …).
    Zip,
    /// An OLE compound file (.xls, or an encrypted Office file).
    Cfb,
    /// Anything else (CSV, images, text …).
    Other,
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Tells the container apart by its magic bytes.
pub fn sniff(bytes: &[u8]) -> Container {
    if bytes.starts_with(&CFB_MAGIC) {
        Container::Cfb
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Container::Zip
    } else {
        Container::Other
    }
}

/// One worksheet, read within the limits.
#[derive(Debug)]
pub struct Sheet {
    /// The worksheet's name as the file spells it.
    pub name: String,
    /// Its non-empty cells; the grid spans only their bounding box (at most
    /// [`Limits::max_cells`] cells).
    pub range: Range<Data>,
}

/// Reads the worksheet named `preferred` (compared without surrounding spaces), or else the
/// first one, with [`Limits::default`].
pub fn read(bytes: &[u8], preferred: Option<&str>) -> Result<Sheet, SheetError> {
    read_with(bytes, preferred, &Limits::default())
}

/// Like [`read`], with explicit limits.
pub fn read_with(bytes: &[u8], preferred: Option<&str>, limits: &Limits) -> Result<Sheet, SheetError> {
    let deadline = Deadline::new(limits.time_limit);
    // calamine has panicked on malformed input before (e.g. an inverted `<dimension>` in a debug
    // build); a panic here is a bad file, not a server error.
    catch_unwind(AssertUnwindSafe(|| read_inner(bytes, preferred, limits, &deadline)))
        .unwrap_or(Err(SheetError::Unreadable))
}

fn read_inner(
    bytes: &[u8],
    preferred: Option<&str>,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Sheet, SheetError> {
    check_container(bytes, limits)?;
    check_zip(bytes, limits, deadline)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        XlsxError::Password => SheetError::Encrypted,
        _ => SheetError::NotXlsx,
    })?;
    deadline.check()?;
    let names = workbook.sheet_names();
    let name = names
        .iter()
        .find(|n| preferred.is_some_and(|p| n.trim() == p))
        .or_else(|| names.first())
        .cloned()
        .ok_or(SheetError::NoSheet)?;
    let range = read_cells(&mut workbook, &name, limits, deadline)?;
    Ok(Sheet { name, range })
}

/// Step 1: the file's size and container type.
fn check_container(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(SheetError::FileTooLarge { bytes: len, max: limits.max_file_bytes });
    }
    match sniff(bytes) {
        Container::Zip => Ok(()),
        Container::Cfb if is_encrypted_ooxml(bytes) => Err(SheetError::Encrypted),
        Container::Cfb => Err(SheetError::Xls),
        Container::Other => Err(SheetError::NotXlsx),
    }
}

/// An encrypted .xlsx is a compound file with an `EncryptedPackage` stream (its directory
/// entry name is UTF-16LE).
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Step 2: the zip's entries, by their declared sizes and then by really inflating them.
fn check_zip(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<(), SheetError> {
    // `ZipArchive::new` sizes its tables by the central directory, which is bounded by the
    // file's length (checked above).
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::NotXlsx)?;
    let names = declared_entries(&mut zip, limits)?;
    if let Some(i) = names.iter().position(|n| n == "mimetype") {
        let mut head = Vec::new();
        let read = zip.by_index(i).and_then(|f| Ok(f.take(ODS_MIME.len() as u64 + 16).read_to_end(&mut head)?));
        if read.is_ok() && head.trim_ascii().starts_with(ODS_MIME) {
            return Err(SheetError::Ods);
        }
    }
    if names.iter().any(|n| n.eq_ignore_ascii_case("xl/workbook.bin")) {
        return Err(SheetError::Xlsb);
    }
    if !names.iter().any(|n| {
        let n = n.to_ascii_lowercase();
        n.contains("workbook") && n.ends_with(".xml")
    }) {
        return Err(SheetError::NotXlsx);
    }
    // Declared sizes can lie: inflate every entry, counting, and stop at the limits.
    let mut total: u64 = 0;
    for (i, name) in names.iter().enumerate() {
        let entry = zip.by_index(i).map_err(|_| SheetError::NotXlsx)?;
        let compressed = entry.compressed_size();
        let shared_strings = name.trim_start_matches('/').eq_ignore_ascii_case("xl/sharedStrings.xml");
        let budget = Budget {
            name,
            max_entry: limits.max_entry_bytes,
            max_left: limits.max_total_bytes - total.min(limits.max_total_bytes),
            max_total: limits.max_total_bytes,
            ratio_cap: (compressed.max(1)).saturating_mul(limits.max_ratio).max(RATIO_FLOOR_BYTES),
            max_ratio: limits.max_ratio,
            max_strings: shared_strings.then_some(limits.max_shared_strings),
        };
        total += inflate_counting(entry, &budget, deadline)?;
    }
    Ok(())
}

/// The entries' names, once their number and their declared sizes, total and compression
/// ratios are within the limits (the sizes are counted again while inflating: they can lie).
fn declared_entries(zip: &mut ZipArchive<Cursor<&[u8]>>, limits: &Limits) -> Result<Vec<String>, SheetError> {
    if zip.len() > limits.max_entries {
        return Err(SheetError::TooManyEntries { count: zip.len(), max: limits.max_entries });
    }
    let mut names = Vec::with_capacity(zip.len());
    let mut declared_total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_data(i).map_err(|_| SheetError::NotXlsx)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let (size, compressed) = (entry.size(), entry.compressed_size());
        if size > limits.max_entry_bytes {
            return Err(SheetError::EntryTooLarge { name, max: limits.max_entry_bytes });
        }
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_total_bytes {
            return Err(SheetError::TotalTooLarge { max: limits.max_total_bytes });
        }
        if size > RATIO_FLOOR_BYTES && size / compressed.max(1) > limits.max_ratio {
            return Err(SheetError::Ratio { name, max: limits.max_ratio });
        }
        names.push(name);
    }
    Ok(names)
}

/// Some entries of an untrusted zip that is not a spreadsheet (a .docx's `word/document.xml`),
/// read within the same limits: the file's size, the container by its content (`Xls`/`Encrypted`
/// for an OLE file, `NotXlsx` for anything that is not a zip), the entries' number, declared
/// sizes and ratios, then each wanted entry inflated through the counting reader into memory
/// that grows only as far as the limits allow. `None` for a wanted entry the zip lacks.
pub fn zip_entries(bytes: &[u8], wanted: &[&str], limits: &Limits) -> Result<Vec<Option<Vec<u8>>>, SheetError> {
    let deadline = Deadline::new(limits.time_limit);
    catch_unwind(AssertUnwindSafe(|| {
        check_container(bytes, limits)?;
        let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::NotXlsx)?;
        let names = declared_entries(&mut zip, limits)?;
        let mut total: u64 = 0;
        let mut out = Vec::with_capacity(wanted.len());
        for w in wanted {
            let Some(i) = names.iter().position(|n| n.trim_start_matches('/').eq_ignore_ascii_case(w)) else {
                out.push(None);
                continue;
            };
            let entry = zip.by_index(i).map_err(|_| SheetError::NotXlsx)?;
            let compressed = entry.compressed_size();
            let budget = Budget {
                name: &names[i],
                max_entry: limits.max_entry_bytes,
                max_left: limits.max_total_bytes - total.min(limits.max_total_bytes),
                max_total: limits.max_total_bytes,
                ratio_cap: (compressed.max(1)).saturating_mul(limits.max_ratio).max(RATIO_FLOOR_BYTES),
                max_ratio: limits.max_ratio,
                max_strings: None,
            };
            let mut content = Vec::new();
            total += inflate_into(entry, &budget, &deadline, Some(&mut content))?;
            out.push(Some(content));
        }
        Ok(out)
    }))
    .unwrap_or(Err(SheetError::Unreadable))
}

/// What one entry may inflate to.
struct Budget<'a> {
    name: &'a str,
    max_entry: u64,
    /// What is left of the total.
    max_left: u64,
    max_total: u64,
    /// Compressed size × the ratio limit (at least [`RATIO_FLOOR_BYTES`]).
    ratio_cap: u64,
    max_ratio: u64,
    /// Counts `<si>` elements when set.
    max_strings: Option<u64>,
}

/// Reads `r` to its end through a fixed buffer, counting; fails as soon as a limit is passed.
/// Returns the number of bytes inflated.
fn inflate_counting(r: impl Read, b: &Budget<'_>, deadline: &Deadline) -> Result<u64, SheetError> {
    inflate_into(r, b, deadline, None)
}

/// Like [`inflate_counting`], keeping what was read in `sink` when given.
fn inflate_into(
    mut r: impl Read,
    b: &Budget<'_>,
    deadline: &Deadline,
    mut sink: Option<&mut Vec<u8>>,
) -> Result<u64, SheetError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n: u64 = 0;
    let mut si = SiCounter::default();
    loop {
        let got = match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(SheetError::Corrupt),
        };
        n += got as u64;
        if n > b.max_entry {
            return Err(SheetError::EntryTooLarge { name: b.name.to_string(), max: b.max_entry });
        }
        if n > b.max_left {
            return Err(SheetError::TotalTooLarge { max: b.max_total });
        }
        if n > b.ratio_cap {
            return Err(SheetError::Ratio { name: b.name.to_string(), max: b.max_ratio });
        }
        if let Some(sink) = sink.as_deref_mut() {
            sink.extend_from_slice(&buf[..got]);
        }
        if let Some(max) = b.max_strings {
            si.feed(&buf[..got]);
            if si.count > max {
                return Err(SheetError::TooManyStrings { max });
            }
        }
        deadline.check()?;
    }
}

/// Counts start tags whose local name is `si` (`<si>`, `<si …>`, `<x:si>`) in a byte stream
/// fed in pieces. Text cannot hold a raw `<`, so this needs no XML parser.
#[derive(Default)]
struct SiCounter {
    count: u64,
    /// Inside a tag name: the bytes so far (only the last few matter).
    in_name: bool,
    name: [u8; 2],
    name_len: usize,
    /// Bytes since the last `:` of the name (so `x:si` counts).
    local_len: usize,
}

impl SiCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if c == b'<' {
                self.in_name = true;
                self.name_len = 0;
                self.local_len = 0;
                continue;
            }
            if !self.in_name {
                continue;
            }
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') {
                if self.local_len < 2 {
                    self.name[self.local_len] = c;
                }
                self.local_len += 1;
                self.name_len += 1;
            } else if c == b':' && self.name_len > 0 {
                self.local_len = 0;
                self.name_len += 1;
            } else {
                if self.local_len == 2 && &self.name == b"si" {
                    self.count += 1;
                }
                self.in_name = false;
            }
        }
    }
}

/// Step 3: the cells, streamed, bounded, then a grid over their bounding box.
fn read_cells<RS: Read + std::io::Seek>(
    workbook: &mut Xlsx<RS>,
    sheet: &str,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Range<Data>, SheetError> {
    let mut reader = match workbook.worksheet_cells_reader(sheet) {
        Ok(r) => r,
        // A chart sheet or dialog sheet: no cells (as `worksheet_range` treats it).
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Range::empty()),
        Err(_) => return Err(SheetError::NotXlsx),
    };
    let mut cells: Vec<Cell<Data>> = Vec::new();
    let mut bounds: Option<((u32, u32), (u32, u32))> = None;
    let mut seen: u64 = 0;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(_) => return Err(SheetError::NotXlsx),
        };
        seen += 1;
        if seen.is_multiple_of(1024) {
            deadline.check()?;
        }
        // Blank cells (no value, or only spaces) are not content: a far cell holding a style
        // or an empty string is skipped, as every import reads blank as empty anyway.
        let blank = match cell.get_value() {
            DataRef::Empty => true,
            DataRef::String(s) => s.trim().is_empty(),
            DataRef::SharedString(s) => s.trim().is_empty(),
            _ => false,
        };
        if blank {
            continue;
        }
        let (row, col) = cell.get_position();
        if row >= limits.max_rows || col >= limits.max_cols {
            return Err(SheetError::CellOutOfRange {
                sheet: sheet.to_string(),
                cell: cell_name(row, col),
                max_rows: limits.max_rows,
                max_cols: limits.max_cols,
            });
        }
        if cells.len() as u64 >= limits.max_cells {
            return Err(SheetError::TooManyCells { sheet: sheet.to_string(), max: limits.max_cells });
        }
        let ((r0, c0), (r1, c1)) = match bounds {
            None => ((row, col), (row, col)),
            Some(((r0, c0), (r1, c1))) => ((r0.min(row), c0.min(col)), (r1.max(row), c1.max(col))),
        };
        let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
        if area > limits.max_cells {
            return Err(SheetError::AreaTooLarge {
                sheet: sheet.to_string(),
                range: format!("{}:{}", cell_name(r0, c0), cell_name(r1, c1)),
                cells: area,
                max: limits.max_cells,
            });
        }
        bounds = Some(((r0, c0), (r1, c1)));
        cells.push(Cell::new((row, col), Data::from(cell.get_value().clone())));
    }
    deadline.check()?;
    // Bounded: the grid is the bounding box checked above.
    Ok(Range::from_sparse(cells))
}

/// `(0, 0)` → `A1`, `(1048575, 16383)` → `XFD1048576`.
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    fn new(limit: Duration) -> Deadline {
        Deadline { at: Instant::now() + limit, limit }
    }

    fn check(&self) -> Result<(), SheetError> {
        if Instant::now() >= self.at { Err(SheetError::Timeout { secs: self.limit.as_secs().max(1) }) } else { Ok(()) }
    }
}

/// At most this many spreadsheets are parsed at once in one process; more wait their turn.
/// Each parse may hold up to about [`Limits::max_total_bytes`] of memory for a few seconds.
const CONCURRENT_PARSES: usize = 2;
static PARSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_PARSES);

/// Runs a parse of untrusted bytes on the blocking thread pool (never on an async worker),
/// at most [`CONCURRENT_PARSES`] at a time. Call it before opening a write transaction.
/// A panic in `f` is logged and reported as [`SheetError::Unreadable`].
pub async fn run_blocking<T, F>(f: F) -> Result<T, SheetError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let permit = PARSES.acquire().await.map_err(|_| SheetError::Unreadable)?;
    // The permit goes with the parse: if the request is dropped while it runs, the slot stays
    // taken until the parse really ends.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "spreadsheet parse failed");
        SheetError::Unreadable
    })
}

/// A record with its number in the file (from 1).
pub type NumberedRow = (u32, Vec<String>);

/// RFC 4180 CSV: quoted fields with `""` escapes and line breaks, CRLF or LF, optional BOM.
/// Bounded like a spreadsheet: the file's size, [`Limits::max_rows`] records and
/// [`Limits::max_cols`] fields per record.
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Vec<NumberedRow>, RowIssue> {
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(RowIssue::file(SheetError::FileTooLarge { bytes: len, max: limits.max_file_bytes }.message()));
    }
    let too_big = |line: u32| {
        RowIssue::new(
            line,
            "",
            format!(
                "超出了可导入的范围（最多 {} 行、{} 列）；请删除多余的内容或把数据分成几个文件后再导入",
                limits.max_rows, limits.max_cols
            ),
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| {
        RowIssue::file("文件既不是 Excel（.xlsx），也不是 UTF-8 编码的 CSV；请在 Excel 中另存为 .xlsx 或“CSV UTF-8”")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut line, mut record_line) = (1u32, 1u32);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(ch);
                }
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field).trim().to_string());
                if record.len() >= limits.max_cols as usize {
                    return Err(too_big(record_line));
                }
            }
            '\r' => {}
            '\n' => {
                if rows.len() >= limits.max_rows as usize {
                    return Err(too_big(record_line));
                }
                record.push(std::mem::take(&mut field).trim().to_string());
                rows.push((record_line, std::mem::take(&mut record)));
                line += 1;
                record_line = line;
            }
            _ => field.push(ch),
        }
    }
    if quoted {
        return Err(RowIssue::new(record_line, "", "引号没有配对，文件不完整"));
    }
    if !field.is_empty() || !record.is_empty() {
        if rows.len() >= limits.max_rows as usize {
            return Err(too_big(record_line));
        }
        record.push(field.trim().to_string());
        rows.push((record_line, record));
    }
    Ok(rows)
}

/// The records of a JSON file, as a table: an array of objects, or an object holding one (the
/// first array among its values, e.g. `{"total": 2, "data": [{…}, {…}]}`). Each object is one
/// record; its keys, in the order first seen, are the header; values must be text, numbers,
/// `true`/`false` or `null` (empty). Record numbers count from 1. Bounded like a spreadsheet:
/// the file's size, [`Limits::max_rows`] records and [`Limits::max_cols`] distinct keys —
/// counted while reading, so nothing larger is ever built.
pub fn read_json(bytes: &[u8], limits: &Limits) -> Result<(Vec<String>, Vec<NumberedRow>), RowIssue> {
    let len = bytes.len() as u64;
    if len > limits.max_file_bytes {
        return Err(RowIssue::file(SheetError::FileTooLarge { bytes: len, max: limits.max_file_bytes }.message()));
    }
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut c = json::Collect { limits, headers: Vec::new(), index: Default::default(), rows: Vec::new(), issue: None };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = serde::de::DeserializeSeed::deserialize(json::Top(&mut c), &mut de).and_then(|()| de.end());
    match read {
        Ok(()) if !c.found() => Err(RowIssue::file("JSON 文件中没有记录：应为一组对象，如 [{\"工单编号\": \"…\"}, …]")),
        Ok(()) => Ok((c.headers, c.rows)),
        Err(e) => Err(c.issue.take().unwrap_or_else(|| {
            RowIssue::file(format!("JSON 格式错误（第 {} 行第 {} 列附近），请检查文件是否完整", e.line(), e.column()))
        })),
    }
}

mod json {
    use std::collections::HashMap;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::{Limits, RowIssue};

    pub(super) struct Collect<'a> {
        pub limits: &'a Limits,
        pub headers: Vec<String>,
        pub index: HashMap<String, usize>,
        pub rows: Vec<(u32, Vec<String>)>,
        /// The precise problem, when the reader stopped on purpose.
        pub issue: Option<RowIssue>,
    }

    impl Collect<'_> {
        pub fn found(&self) -> bool {
            !self.rows.is_empty()
        }
        fn stop<E: de::Error>(&mut self, issue: RowIssue) -> E {
            let e = E::custom(&issue.reason);
            self.issue = Some(issue);
            e
        }
        fn too_many<E: de::Error>(&mut self, record: u32) -> E {
            let reason = format!(
                "超出了可导入的范围（最多 {} 条记录、{} 个字段）；请把数据分成几个文件后再导入",
                self.limits.max_rows, self.limits.max_cols
            );
            self.stop(RowIssue::new(record, "", reason))
        }
    }

    /// The document: an array of records, or an object holding one.
    pub(super) struct Top<'s, 'a>(pub &'s mut Collect<'a>);

    impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Top<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("一组记录")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            records(self.0, seq)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_key::<IgnoredAny>()?.is_some() {
                if self.0.found() {
                    map.next_value::<IgnoredAny>()?;
                } else {
                    map.next_value_seed(Inner(&mut *self.0))?;
                }
            }
            Ok(())
        }
    }

    /// A value of the top object: the records if it is an array, else skipped.
    struct Inner<'s, 'a>(&'s mut Collect<'a>);

    impl<'de> DeserializeSeed<'de> for Inner<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Inner<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("任意值")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            records(self.0, seq)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }

    fn records<'de, A: SeqAccess<'de>>(c: &mut Collect<'_>, mut seq: A) -> Result<(), A::Error> {
        loop {
            let n = c.rows.len() as u32 + 1;
            if c.rows.len() >= c.limits.max_rows as usize {
                // One more record after the limit is an error; the end of the array is not.
                return match seq.next_element::<IgnoredAny>()? {
                    Some(_) => Err(c.too_many(n)),
                    None => Ok(()),
                };
            }
            match seq.next_element_seed(Record(&mut *c, n)) {
                Ok(Some(cells)) => c.rows.push((n, cells)),
                Ok(None) => return Ok(()),
                Err(e) => {
                    if c.issue.is_none() && e.to_string().contains("invalid type") {
                        c.issue = Some(RowIssue::new(n, "", "每条记录应为一个对象，如 {\"工单编号\": \"…\"}"));
                    }
                    return Err(e);
                }
            }
        }
    }

    /// One record: an object of plain values.
    struct Record<'s, 'a>(&'s mut Collect<'a>, u32);

    impl<'de> DeserializeSeed<'de> for Record<'_, '_> {
        type Value = Vec<String>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Record<'_, '_> {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("一条记录（对象）")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let Record(c, n) = self;
            let mut cells = vec![String::new(); c.headers.len()];
            while let Some(key) = map.next_key::<String>()? {
                let key = key.trim().to_string();
                let value = match map.next_value::<Plain>() {
                    Ok(Plain(v)) => v,
                    Err(e) => {
                        if e.to_string().contains("invalid type") {
                            c.issue = Some(RowIssue::new(n, key, "只能是文字或数字，不能是嵌套的对象或数组"));
                        }
                        return Err(e);
                    }
                };
                let i = match c.index.get(&key) {
                    Some(i) => *i,
                    None => {
                        if c.headers.len() >= c.limits.max_cols as usize {
                            return Err(c.too_many(n));
                        }
                        c.headers.push(key.clone());
                        c.index.insert(key, c.headers.len() - 1);
                        c.headers.len() - 1
                    }
                };
                if cells.len() <= i {
                    cells.resize(i + 1, String::new());
                }
                cells[i] = value;
            }
            Ok(cells)
        }
    }

    /// A plain value as text (`null` is empty).
    struct Plain(String);

    impl<'de> de::Deserialize<'de> for Plain {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Plain, D::Error> {
            d.deserialize_any(PlainVisitor)
        }
    }

    struct PlainVisitor;

    impl<'de> Visitor<'de> for PlainVisitor {
        type Value = Plain;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("文字或数字")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Plain, E> {
            Ok(Plain(v.to_string()))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Plain, E> {
            Ok(Plain(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Plain, E> {
            Ok(Plain(v.to_string()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Plain, E> {
            Ok(Plain(if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { v.to_string() }))
        }
        fn visit_str<E>(self, v: &str) -> Result<Plain, E> {
            Ok(Plain(v.trim().to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Plain, E> {
            Ok(Plain(v.trim().to_string()))
        }
        fn visit_unit<E>(self) -> Result<Plain, E> {
            Ok(Plain(String::new()))
        }
        fn visit_none<E>(self) -> Result<Plain, E> {
            Ok(Plain(String::new()))
        }
    }
}

/// One problem found in an uploaded file (a row and column, or the whole file); `reason` is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowIssue {
    /// Excel row number; 0 for problems with the whole file.
    pub row: u32,
    /// Column header text, e.g. 「出生日期」; empty for problems with the whole file.
    pub column: String,
    pub reason: String,
}

impl RowIssue {
    /// A problem with the whole file (row 0, no column).
    pub fn file(reason: impl Into<String>) -> RowIssue {
        RowIssue::new(0, "", reason)
    }

    pub fn new(row: u32, column: impl Into<String>, reason: impl Into<String>) -> RowIssue {
        RowIssue { row, column: column.into(), reason: reason.into() }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn workbook(cells: &[((u32, u16), &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for ((r, c), v) in cells {
            ws.write_string(*r, *c, *v).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn names_cells_as_excel_does() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(99_999, 199), "GR100000");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn sniffs_containers() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Container::Zip);
        assert_eq!(sniff(&CFB_MAGIC), Container::Cfb);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Container::Other);
        assert_eq!(sniff(b""), Container::Other);
        assert_eq!(read(&CFB_MAGIC, None).unwrap_err(), SheetError::Xls);
        let mut encrypted = CFB_MAGIC.to_vec();
        encrypted.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read(&encrypted, None).unwrap_err(), SheetError::Encrypted);
        for junk in [&b""[..], b"hello", b"PK\x03\x04garbage"] {
            assert_eq!(read(junk, None).unwrap_err(), SheetError::NotXlsx);
        }
    }

    #[test]
    fn reads_a_normal_workbook_and_picks_the_sheet() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().set_name("说明").unwrap().write_string(0, 0, "说明").unwrap();
        let ws = wb.add_worksheet().set_name("数据").unwrap();
        ws.write_string(1, 1, "甲").unwrap();
        ws.write_number(2, 2, 3.0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let s = read(&bytes, Some("数据")).unwrap();
        assert_eq!(s.name, "数据");
        assert_eq!(s.range.start(), Some((1, 1)));
        assert_eq!(s.range.end(), Some((2, 2)));
        assert_eq!(s.range.get_value((1, 1)), Some(&Data::String("甲".into())));
        assert_eq!(s.range.get_value((2, 2)), Some(&Data::Float(3.0)));
        // Unknown name: the first sheet.
        assert_eq!(read(&bytes, Some("别的")).unwrap().name, "说明");
        assert_eq!(read(&bytes, None).unwrap().name, "说明");
    }

    #[test]
    fn cell_limits() {
        let limits = Limits { max_rows: 10, max_cols: 5, max_cells: 20, ..Limits::default() };
        let ok = workbook(&[((0, 0), "a"), ((9, 1), "b")]);
        assert!(read_with(&ok, None, &limits).is_ok());
        // A blank string far away is not content.
        let blank_far = workbook(&[((0, 0), "a"), ((1_048_575, 16_383), " "), ((5000, 300), "")]);
        let s = read_with(&blank_far, None, &limits).unwrap();
        assert_eq!((s.range.start(), s.range.end()), (Some((0, 0)), Some((0, 0))));
        let far_row = workbook(&[((0, 0), "a"), ((10, 0), "b")]);
        assert_eq!(
            read_with(&far_row, None, &limits).unwrap_err(),
            SheetError::CellOutOfRange { sheet: "Sheet1".into(), cell: "A11".into(), max_rows: 10, max_cols: 5 }
        );
        let far_col = workbook(&[((0, 5), "x")]);
        assert!(
            matches!(read_with(&far_col, None, &limits), Err(SheetError::CellOutOfRange { cell, .. }) if cell == "F1")
        );
        // Within the rows and columns, but the bounding box is 3 × 5 = 15 > 12 cells.
        let limits = Limits { max_cells: 12, ..limits };
        let wide = workbook(&[((0, 0), "a"), ((2, 4), "b")]);
        assert_eq!(
            read_with(&wide, None, &limits).unwrap_err(),
            SheetError::AreaTooLarge { sheet: "Sheet1".into(), range: "A1:E3".into(), cells: 15, max: 12 }
        );
        let many: Vec<((u32, u16), &str)> = (0..13).map(|i| ((i, 0), "v")).collect();
        let limits = Limits { max_rows: 100, max_cells: 12, ..Limits::default() };
        assert!(matches!(read_with(&workbook(&many), None, &limits), Err(SheetError::TooManyCells { max: 12, .. })));
    }

    #[test]
    fn far_cell_is_refused_by_default() {
        let bytes = workbook(&[((0, 0), "a"), ((1_048_575, 16_383), "b")]);
        let e = read(&bytes, None).unwrap_err();
        assert!(matches!(&e, SheetError::CellOutOfRange { cell, .. } if cell == "XFD1048576"), "{e:?}");
        assert!(e.message().contains("XFD1048576") && e.message().contains("100000 行、200 列"), "{e}");
    }

    #[test]
    fn declared_sizes_and_entry_counts() {
        let base = workbook(&[((0, 0), "a")]);
        let limits = Limits { max_entries: 3, ..Limits::default() };
        assert!(matches!(read_with(&base, None, &limits), Err(SheetError::TooManyEntries { max: 3, .. })));
        let big = vec![b' '; 300 * 1024];
        let mut parts: Vec<(String, Vec<u8>)> = {
            let mut z = ZipArchive::new(Cursor::new(&base)).unwrap();
            (0..z.len())
                .map(|i| {
                    let mut f = z.by_index(i).unwrap();
                    let mut v = Vec::new();
                    f.read_to_end(&mut v).unwrap();
                    (f.name().unwrap().to_string(), v)
                })
                .collect()
        };
        parts.push(("xl/media/padding.bin".into(), big));
        let refs: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let padded = zip_of(&refs);
        assert!(read(&padded, None).is_ok());
        let limits = Limits { max_entry_bytes: 200 * 1024, ..Limits::default() };
        assert_eq!(
            read_with(&padded, None, &limits).unwrap_err(),
            SheetError::EntryTooLarge { name: "xl/media/padding.bin".into(), max: 200 * 1024 }
        );
        let limits = Limits { max_total_bytes: 250 * 1024, ..Limits::default() };
        assert!(matches!(read_with(&padded, None, &limits), Err(SheetError::TotalTooLarge { .. })));
        let limits = Limits { max_file_bytes: 100, ..Limits::default() };
        assert!(matches!(read_with(&padded, None, &limits), Err(SheetError::FileTooLarge { max: 100, .. })));
    }

    #[test]
    fn counting_reader_stops_at_each_limit() {
        let deadline = Deadline::new(Duration::from_secs(60));
        let budget = |max_entry, max_left, ratio_cap, max_strings| Budget {
            name: "x.xml",
            max_entry,
            max_left,
            max_total: 999,
            ratio_cap,
            max_ratio: 7,
            max_strings,
        };
        // An endless reader (a lying declared size) is stopped at the entry limit.
        let endless = std::io::repeat(b'a');
        assert!(matches!(
            inflate_counting(endless, &budget(1 << 20, u64::MAX, u64::MAX, None), &deadline),
            Err(SheetError::EntryTooLarge { max, .. }) if max == 1 << 20
        ));
        let endless = std::io::repeat(b'a');
        assert!(matches!(
            inflate_counting(endless, &budget(u64::MAX, 1 << 20, u64::MAX, None), &deadline),
            Err(SheetError::TotalTooLarge { max: 999 })
        ));
        let endless = std::io::repeat(b'a');
        assert!(matches!(
            inflate_counting(endless, &budget(u64::MAX, u64::MAX, 1 << 20, None), &deadline),
            Err(SheetError::Ratio { max: 7, .. })
        ));
        let strings = b"<sst><si><t>a</t></si><x:si><x:t>b</x:t></x:si><si a=\"1\"/><sis/><s/></sst>".repeat(4);
        assert_eq!(
            inflate_counting(&strings[..], &budget(1 << 20, 1 << 20, 1 << 20, Some(12)), &deadline),
            Ok(strings.len() as u64)
        );
        assert_eq!(
            inflate_counting(&strings[..], &budget(1 << 20, 1 << 20, 1 << 20, Some(11)), &deadline),
            Err(SheetError::TooManyStrings { max: 11 })
        );
        // The deadline is checked while inflating.
        let past = Deadline::new(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        let endless = std::io::repeat(b'a');
        assert_eq!(
            inflate_counting(endless, &budget(u64::MAX, u64::MAX, u64::MAX, None), &past),
            Err(SheetError::Timeout { secs: 1 })
        );
    }

    #[test]
    fn si_counter_across_pieces() {
        let text = b"<si><t>x</t></si><ns:si>";
        let mut whole = SiCounter::default();
        whole.feed(text);
        for cut in 0..text.len() {
            let mut c = SiCounter::default();
            c.feed(&text[..cut]);
            c.feed(&text[cut..]);
            assert_eq!(c.count, whole.count, "cut at {cut}");
        }
        assert_eq!(whole.count, 2);
    }

    #[test]
    fn ods_and_xlsb_and_other_zips() {
        let ods = zip_of(&[("mimetype", ODS_MIME), ("content.xml", b"<office:document-content/>")]);
        assert_eq!(read(&ods, None).unwrap_err(), SheetError::Ods);
        let xlsb = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.bin", b"\0\0")]);
        assert_eq!(read(&xlsb, None).unwrap_err(), SheetError::Xlsb);
        let docx = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
        assert_eq!(read(&docx, None).unwrap_err(), SheetError::NotXlsx);
        let half = workbook(&[((0, 0), "a")]);
        assert_eq!(read(&half[..half.len() / 2], None).unwrap_err(), SheetError::NotXlsx);
    }

    /// The workbook with its sheet's `<dimension ref=…>` replaced.
    fn with_dimension(bytes: &[u8], dim: &str) -> Vec<u8> {
        let mut z = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut parts = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            let name = f.name().unwrap().to_string();
            if name == "xl/worksheets/sheet1.xml" {
                let text = String::from_utf8(data).unwrap();
                let start = text.find("<dimension ref=\"").unwrap() + 16;
                let end = start + text[start..].find('"').unwrap();
                data = format!("{}{dim}{}", &text[..start], &text[end..]).into_bytes();
            }
            parts.push((name, data));
        }
        let refs: Vec<(&str, &[u8])> = parts.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        zip_of(&refs)
    }

    #[test]
    fn declared_dimension_is_never_used() {
        let bytes = workbook(&[((0, 0), "a"), ((1, 1), "b")]);
        let huge = with_dimension(&bytes, "A1:XFD1048576");
        let s = read(&huge, None).unwrap();
        assert_eq!((s.range.start(), s.range.end()), (Some((0, 0)), Some((1, 1))));
        // An inverted one makes calamine subtract past zero (a panic in debug builds): a bad
        // file either way, never a crash.
        let inverted = with_dimension(&bytes, "B2:A1");
        assert!(matches!(read(&inverted, None), Ok(_) | Err(SheetError::Unreadable)));
    }

    #[tokio::test]
    async fn run_blocking_reports_a_panic_as_unreadable() {
        assert_eq!(run_blocking(|| 7).await, Ok(7));
        let r: Result<(), _> = run_blocking(|| panic!("parser bug")).await;
        assert_eq!(r, Err(SheetError::Unreadable));
        // The slot was given back.
        assert_eq!(PARSES.available_permits(), CONCURRENT_PARSES);
    }

    #[test]
    fn time_limit() {
        let bytes = workbook(&[((0, 0), "a")]);
        let limits = Limits { time_limit: Duration::ZERO, ..Limits::default() };
        assert_eq!(read_with(&bytes, None, &limits).unwrap_err(), SheetError::Timeout { secs: 1 });
    }

    #[test]
    fn every_message_is_chinese() {
        let all = [
            SheetError::NotXlsx,
            SheetError::Xls,
            SheetError::Encrypted,
            SheetError::Ods,
            SheetError::Xlsb,
            SheetError::Corrupt,
            SheetError::NoSheet,
            SheetError::FileTooLarge { bytes: 40 * MIB, max: 32 * MIB },
            SheetError::TooManyEntries { count: 2000, max: 1000 },
            SheetError::EntryTooLarge { name: "xl/sharedStrings.xml".into(), max: 64 * MIB },
            SheetError::TotalTooLarge { max: 128 * MIB },
            SheetError::Ratio { name: "xl/worksheets/sheet1.xml".into(), max: 200 },
            SheetError::TooManyStrings { max: 1_000_000 },
            SheetError::CellOutOfRange {
                sheet: "代表名册".into(),
                cell: "XFD1048576".into(),
                max_rows: 1,
                max_cols: 1,
            },
            SheetError::AreaTooLarge { sheet: "S".into(), range: "A1:B2".into(), cells: 4, max: 3 },
            SheetError::TooManyCells { sheet: "S".into(), max: 3 },
            SheetError::Timeout { secs: 10 },
            SheetError::Unreadable,
        ];
        for e in all {
            let m = e.message();
            assert!(m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e:?}: {m}");
        }
        assert!(SheetError::EntryTooLarge { name: "a".into(), max: 64 * MIB }.message().contains("64 MB"));
    }
}
