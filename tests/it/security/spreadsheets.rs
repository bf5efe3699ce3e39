//! Untrusted spreadsheets (src/sheet.rs): crafted files — a far cell, a huge declared
//! dimension, zip bombs (honest and lying sizes), a shared-strings bomb, an .xls and an .ods
//! named .xlsx, a truncated file, a PNG and plain text — are refused with a Chinese message
//! by the roster import and the area import, nothing is written, and the server keeps
//! answering. The crafted files are built here, byte by byte where a writer would not make them.

use std::io::{Cursor, Read};

use axum::http::StatusCode;
use renda::db;

use crate::demo_test;
use crate::support::{Browser, TestApp};

const ROSTER: &str = "/console/registry/import";
const AREAS: &str = "/console/admin/areas/import";
const MIB: usize = 1024 * 1024;

// ------------------------------------------------------------------ building zips by hand

/// One zip entry exactly as it goes into the archive: method 0 (stored) or 8 (deflated),
/// the bytes as stored, and whatever sizes and checksum the headers should declare.
struct Part {
    name: String,
    method: u16,
    raw: Vec<u8>,
    declared: u32,
    crc: u32,
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

fn stored(name: &str, data: &[u8]) -> Part {
    Part { name: name.into(), method: 0, raw: data.to_vec(), declared: data.len() as u32, crc: crc32(data) }
}

/// A raw deflate piece that ends on a byte boundary with the dictionary reset (a full
/// flush), so copies of it can simply be concatenated.
fn deflate_piece(data: &[u8]) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() + data.len() / 16 + 4096);
    c.compress_vec(data, &mut out, flate2::FlushCompress::Full).unwrap();
    assert_eq!(c.total_in() as usize, data.len(), "output buffer too small");
    out
}

/// A deflated entry that inflates to each segment's bytes repeated its number of times,
/// declaring `declared` as its uncompressed size (`None`: the truth). Each segment is
/// compressed once and its piece copied. The checksum is left 0: a reader that stops early
/// never gets to compare it.
fn deflated(name: &str, segments: &[(Vec<u8>, usize)], declared: Option<u32>) -> Part {
    let mut raw = Vec::new();
    let mut size = 0usize;
    for (data, times) in segments {
        let piece = deflate_piece(data);
        for _ in 0..*times {
            raw.extend_from_slice(&piece);
        }
        size += data.len() * times;
    }
    raw.extend_from_slice(&[0x03, 0x00]); // final empty block
    Part { name: name.into(), method: 8, raw, declared: declared.unwrap_or(size as u32), crc: 0 }
}

/// `head` and then `mib` MiB of `unit` repeated.
fn bomb(name: &str, head: &[u8], unit: &[u8], mib: usize, declared: Option<u32>) -> Part {
    let block: Vec<u8> = unit.iter().copied().cycle().take(MIB).collect();
    deflated(name, &[(head.to_vec(), 1), (block, mib)], declared)
}

/// Bytes that do not compress (a linear congruential sequence).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

/// A zip archive of the parts: local headers, central directory, end record.
fn zip(parts: &[Part]) -> Vec<u8> {
    fn u16le(v: &mut Vec<u8>, x: u16) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    fn u32le(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for p in parts {
        let offset = out.len() as u32;
        for (v, sig) in [(&mut out, 0x0403_4b50u32), (&mut central, 0x0201_4b50)] {
            u32le(v, sig);
            if sig == 0x0201_4b50 {
                u16le(v, 20); // made by
            }
            u16le(v, 20); // needed
            u16le(v, 0); // flags
            u16le(v, p.method);
            u16le(v, 0); // time
            u16le(v, 0x21); // date: 1980-01-01
            u32le(v, p.crc);
            u32le(v, p.raw.len() as u32);
            u32le(v, p.declared);
            u16le(v, p.name.len() as u16);
            u16le(v, 0); // extra
            if sig == 0x0201_4b50 {
                u16le(v, 0); // comment
                u16le(v, 0); // disk
                u16le(v, 0); // internal attributes
                u32le(v, 0); // external attributes
                u32le(v, offset);
            }
            v.extend_from_slice(p.name.as_bytes());
        }
        out.extend_from_slice(&p.raw);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, parts.len() as u16);
    u16le(&mut out, parts.len() as u16);
    u32le(&mut out, central.len() as u32);
    u32le(&mut out, cd_offset);
    u16le(&mut out, 0);
    out
}

/// The entries of a real .xlsx, inflated.
fn parts_of(xlsx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A real .xlsx with the part `name` replaced (or added) by `replacement`.
fn with_part(xlsx: &[u8], replacement: Part) -> Vec<u8> {
    let mut parts: Vec<Part> =
        parts_of(xlsx).iter().filter(|(n, _)| *n != replacement.name).map(|(n, d)| stored(n, d)).collect();
    parts.push(replacement);
    zip(&parts)
}

/// A real .xlsx whose sheet says `<dimension ref="A1:XFD1048576"/>`.
fn with_huge_dimension(xlsx: &[u8]) -> Vec<u8> {
    let sheet = parts_of(xlsx).into_iter().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap().1;
    let text = String::from_utf8(sheet).unwrap();
    let start = text.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
    let end = start + text[start..].find('"').unwrap();
    let text = format!("{}A1:XFD1048576{}", &text[..start], &text[end..]);
    with_part(xlsx, stored("xl/worksheets/sheet1.xml", text.as_bytes()))
}

// ------------------------------------------------------------------ the crafted files

fn far_cell(first: &str) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, first).unwrap();
    ws.write_string(1_048_575, 16_383, "远").unwrap();
    wb.save_to_buffer().unwrap()
}

const SHEET_HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
const SI: &[u8] = b"<si><t>a</t></si>";
const SST_HEAD: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">";

fn xls() -> Vec<u8> {
    let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    v.extend_from_slice(&[0x3E, 0x00, 0x03, 0x00, 0xFE, 0xFF, 0x09, 0x00]);
    v.resize(1536, 0);
    v
}

fn ods() -> Vec<u8> {
    zip(&[
        stored("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        stored(
            "content.xml",
            b"<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"/>",
        ),
        stored("META-INF/manifest.xml", b"<manifest:manifest/>"),
    ])
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 2, 2);
        e.set_color(png::ColorType::Grayscale);
        e.set_depth(png::BitDepth::Eight);
        e.write_header().unwrap().write_image_data(&[0, 255, 255, 0]).unwrap();
    }
    out
}

/// Every crafted file with, for the roster import and the area import, a phrase the refusal
/// must contain.
fn crafted(base: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str, &'static str)> {
    const NOT_XLSX: &str = "文件不是有效的 Excel（.xlsx）文件";
    const BIG: &str = "解压后过大";
    const RATIO: &str = "压缩比异常";
    const SHEET: &str = "xl/worksheets/sheet1.xml";
    const STRINGS: &str = "xl/sharedStrings.xml";
    vec![
        ("a value in A1 and XFD1048576", far_cell("区划代码"), "XFD1048576", "XFD1048576"),
        (
            "a sheet inflating to 300 MiB, declared honestly",
            with_part(base, bomb(SHEET, SHEET_HEAD, b" ", 300, None)),
            BIG,
            BIG,
        ),
        // zip stops reading at the declared size, so a lie shows as a damaged file (the
        // module's own counting reader is the second line, tested in src/sheet.rs).
        (
            "a sheet inflating to 300 MiB, declared as 4 KiB",
            with_part(base, bomb(SHEET, SHEET_HEAD, b" ", 300, Some(4096))),
            "文件已损坏或不完整",
            "文件已损坏或不完整",
        ),
        (
            "a sheet of 60 MiB (under the size limits) compressed a thousandfold",
            with_part(base, bomb(SHEET, SHEET_HEAD, b"<row/>", 60, None)),
            RATIO,
            RATIO,
        ),
        (
            "shared strings inflating to 200 MiB, declared honestly",
            with_part(base, bomb(STRINGS, SST_HEAD, SI, 200, None)),
            BIG,
            BIG,
        ),
        (
            "shared strings of 50 MiB (under the size limits) compressed a thousandfold",
            with_part(base, bomb(STRINGS, SST_HEAD, SI, 50, None)),
            RATIO,
            RATIO,
        ),
        (
            "1.2 million shared strings, under every size and ratio limit",
            with_part(
                base,
                deflated(
                    STRINGS,
                    &[(SST_HEAD.to_vec(), 1), (SI.repeat(MIB / SI.len()), 20), (noise(150 * 1024), 1)],
                    None,
                ),
            ),
            "文字条目超过 1000000 条",
            "文字条目超过 1000000 条",
        ),
        ("an .xls named .xlsx", xls(), "旧版 Excel（.xls）", "旧版 Excel（.xls）"),
        ("an .ods named .xlsx", ods(), "（.ods）", "（.ods）"),
        ("a truncated .xlsx", base[..base.len() / 2].to_vec(), NOT_XLSX, NOT_XLSX),
        // The area import also takes CSV: a PNG is neither, text is a CSV without the header.
        ("a PNG", png(), NOT_XLSX, "也不是 UTF-8 编码的 CSV"),
        ("plain text", "姓名,性别\n张伟,男\n".as_bytes().to_vec(), NOT_XLSX, "表头缺少"),
    ]
}

// ------------------------------------------------------------------ through the front door

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in ["persons", "mandates", "areas", "audit_log"] {
        out.push(db::scalar_i64(app.db(), &format!("SELECT count(*) FROM {table}"), vec![]).await.unwrap());
    }
    out
}

async fn refused(b: &mut Browser<'_>, path: &str, what: &str, bytes: &[u8], phrase: &str) {
    let r = b.upload(path, "file", "名册.xlsx", bytes).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}, {what}: {}", r.body);
    let issues = r.texts(".issues tbody tr");
    assert!(issues.iter().any(|i| i.contains(phrase)), "{path}, {what}: {issues:?}");
    // A file refused as a whole says so once (text read as CSV gets its header checked).
    if !issues[0].starts_with("第 1 行") {
        assert_eq!(issues.len(), 1, "{path}, {what}: {issues:?}");
        assert!(issues[0].starts_with("整个文件"), "{path}, {what}: {issues:?}");
    }
    // Still answering.
    assert_eq!(b.get(path).await.status, StatusCode::OK, "{path} after {what}");
}

async fn crafted_files_are_refused_and_nothing_is_written(app: TestApp) {
    let mut staff = app.login("staff").await;
    let mut admin = app.login("admin").await;
    let base = staff.get("/console/registry/import/template").await.bytes;
    let before = counts(&app).await;
    for (what, bytes, roster_phrase, area_phrase) in crafted(&base) {
        assert!(bytes.len() < 2 * MIB, "{what}: {} bytes is over the upload limit", bytes.len());
        refused(&mut staff, ROSTER, what, &bytes, roster_phrase).await;
        refused(&mut admin, AREAS, what, &bytes, area_phrase).await;
    }
    assert_eq!(counts(&app).await, before, "nothing written");
    assert_eq!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap(), Ok(before[3]));
}
demo_test!(crafted_files_are_refused_and_nothing_is_written);

/// The declared `<dimension>` is never used to size anything: a normal file claiming the
/// whole sheet imports as usual. So does the exported roster and the area template.
async fn normal_files_still_import(app: TestApp) {
    let mut staff = app.login("staff").await;
    let roster = staff.get("/console/registry/import/roster").await;
    assert_eq!(roster.status, StatusCode::OK);
    let persons = db::scalar_i64(app.db(), "SELECT count(*) FROM persons", vec![]).await.unwrap();
    for (what, bytes) in [("exported", roster.bytes.clone()), ("huge dimension", with_huge_dimension(&roster.bytes))] {
        let preview = staff.upload(ROSTER, "file", "名册.xlsx", &bytes).await;
        assert_eq!(preview.status, StatusCode::OK, "{what}: {}", preview.body);
        let r = staff.submit(&preview, "form[action='/console/registry/import/confirm']", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
        assert_eq!(r.header("location"), Some("/console/registry/deputies"), "{what}");
    }
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM persons", vec![]).await.unwrap(), persons);

    let mut admin = app.login("admin").await;
    let template = admin.get("/console/admin/areas/import/template").await.bytes;
    let areas = db::scalar_i64(app.db(), "SELECT count(*) FROM areas", vec![]).await.unwrap();
    for (what, bytes) in [("template", template.clone()), ("huge dimension", with_huge_dimension(&template))] {
        let r = admin.upload(AREAS, "file", "区划.xlsx", &bytes).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
    }
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM areas", vec![]).await.unwrap(), areas);
}
demo_test!(normal_files_still_import);

/// The crafted files themselves are what they claim (so the tests above test something).
#[test]
fn crafted_files_are_well_formed() {
    let base = renda::registry::roster::template();
    // The bombs inflate as built, and the lying one says it is small.
    let b = bomb("x", b"<a>", b" ", 3, Some(4096));
    assert_eq!(b.declared, 4096);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(&b.raw[..]).read_to_end(&mut out).unwrap();
    assert_eq!(out.len(), 3 + 3 * MIB);
    assert!(b.raw.len() < 8 * 1024, "{} bytes", b.raw.len());
    // A zip of stored parts round-trips through a standard reader.
    let rebuilt = with_part(&base, stored("extra.txt", b"hello"));
    let parts = parts_of(&rebuilt);
    assert_eq!(parts.len(), parts_of(&base).len() + 1);
    assert!(renda::registry::roster::parse(&rebuilt).is_err_and(|e| e[0].reason == "文件中没有代表数据"));
    let huge = with_huge_dimension(&base);
    let sheet = parts_of(&huge).into_iter().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap().1;
    assert!(String::from_utf8(sheet).unwrap().contains("<dimension ref=\"A1:XFD1048576\"/>"));
}

/// `renda import areas` reads through the same limits: exit 3 with the message.
#[test]
fn cli_refuses_crafted_files() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("renda-cli-{}-sheets", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".renda-demo"), "renda demo\n").unwrap();
    let run = |file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_renda"))
            .args(["--data-dir", dir.to_str().unwrap(), "--config", "/nonexistent/renda.toml"])
            .args(["import", "areas", file.to_str().unwrap()])
            .env_remove("DATABASE_URL")
            .output()
            .expect("run renda");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let base = renda::org::area_import::template();
    for (name, bytes, phrase) in [
        ("far.xlsx", far_cell("区划代码"), "XFD1048576"),
        ("bomb.xlsx", with_part(&base, bomb("xl/worksheets/sheet1.xml", SHEET_HEAD, b" ", 300, None)), "解压后过大"),
        ("old.xlsx", xls(), "旧版 Excel（.xls）"),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        let (code, err) = run(&file);
        assert_eq!(code, 3, "{name}: {err}");
        assert!(err.contains("未导入任何数据") && err.contains(phrase), "{name}: {err}");
    }
    // Larger than any import accepts: refused before it is read into memory.
    let big = dir.join("big.xlsx");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(33 * MIB as u64).unwrap();
    let (code, err) = run(&big);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("超过了可导入的上限 32 MB"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
