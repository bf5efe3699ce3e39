//! Photos cleaned (issue 20, PLAT-14): an uploaded photo is decoded within limits and stored
//! re-encoded without metadata; a photo that cannot be decoded, or claims a huge canvas, is
//! refused with a 422 and a Chinese message, and nothing is stored.

use axum::http::StatusCode;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageFormat};
use renda::db;

use crate::demo_test;
use crate::support::{Browser, TestApp};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 120])))
}

/// A phone's JPEG: an EXIF APP1 segment (orientation 1 and a GPS IFD with a position).
fn phone_jpeg() -> Vec<u8> {
    let mut plain = Vec::new();
    picture(48, 32).write_with_encoder(JpegEncoder::new_with_quality(&mut plain, 90)).unwrap();
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend(2u16.to_le_bytes());
    t.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0]); // Orientation = 1
    t.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]); // GPS IFD at 38
    t.extend(0u32.to_le_bytes());
    t.extend(1u16.to_le_bytes());
    t.extend([0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]); // GPSLatitudeRef = N
    t.extend(0u32.to_le_bytes());
    t.extend(b"GPS 39.9042N 116.4074E");
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((t.len() + 8) as u16).to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(t);
    out.extend(&plain[2..]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend(data);
    out.extend(&typed);
    out.extend(crc32(&typed).to_be_bytes());
}

/// A few dozen bytes whose IHDR claims 30000×30000 (2.7 GB of RGB once decoded).
fn png_bomb() -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
    let mut ihdr = 30_000u32.to_be_bytes().to_vec();
    ihdr.extend(30_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A valid PNG with a tEXt chunk after its IHDR.
fn png_with_text() -> Vec<u8> {
    let mut plain = Vec::new();
    picture(16, 16).write_with_encoder(PngEncoder::new(&mut plain)).unwrap();
    let mut out = plain[..33].to_vec();
    chunk(&mut out, b"tEXt", b"Comment\0GPS 39.9042N 116.4074E");
    out.extend(&plain[33..]);
    out
}

async fn photos(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM attachments", vec![]).await.unwrap()
}

/// Submits an opinion and returns the browser with its tracking number and query code.
async fn submitted(app: &TestApp) -> (Browser<'_>, String, String) {
    let mut citizen = app.browser().await;
    citizen.get("/opinions/new").await;
    let r = citizen.post("/opinions/new", &[("content", "小区门口的井盖松动了，车开过去哐哐响，晚上很吵。")]).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let no = r.texts("#tracking-no")[0].clone();
    let code = r.texts("#query-code")[0].clone();
    (citizen, no, code)
}

async fn served(app: &TestApp) -> Vec<u8> {
    let id = db::scalar_i64(app.db(), "SELECT max(id) FROM attachments", vec![]).await.unwrap();
    let mut staff = app.login("staff").await;
    let r = staff.get(&format!("/files/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    r.bytes
}

demo_test!(a_phones_gps_position_never_reaches_the_handler);
async fn a_phones_gps_position_never_reaches_the_handler(app: TestApp) {
    let (mut citizen, no, code) = submitted(&app).await;
    let fields = [("no", no.as_str()), ("code", code.as_str())];
    let jpeg = phone_jpeg();
    assert!(contains(&jpeg, b"Exif") && contains(&jpeg, b"GPS"));
    assert!(image::load_from_memory(&jpeg).is_ok(), "the crafted photo is a valid JPEG");
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场.jpg", &jpeg).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = served(&app).await;
    assert!(!contains(&stored, b"Exif"), "EXIF removed");
    assert!(!contains(&stored, b"GPS") && !contains(&stored, b"116.4074"), "no position");
    let back = image::load_from_memory_with_format(&stored, ImageFormat::Jpeg).expect("still a JPEG");
    assert_eq!((back.width(), back.height()), (48, 32));
    let size = db::scalar_i64(app.db(), "SELECT max(size) FROM attachments", vec![]).await.unwrap();
    assert_eq!(size, stored.len() as i64, "the row describes the stored file");

    // A PNG's text chunk is gone too; the pixels stay exact.
    let png = png_with_text();
    assert!(image::load_from_memory(&png).is_ok());
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场.png", &png).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = served(&app).await;
    assert!(!contains(&stored, b"tEXt") && !contains(&stored, b"GPS"));
    let back = image::load_from_memory_with_format(&stored, ImageFormat::Png).unwrap();
    assert_eq!(back.to_rgb8(), picture(16, 16).to_rgb8());
}

demo_test!(a_huge_or_broken_photo_is_refused_and_nothing_stored);
async fn a_huge_or_broken_photo_is_refused_and_nothing_stored(app: TestApp) {
    let (mut citizen, no, code) = submitted(&app).await;
    let fields = [("no", no.as_str()), ("code", code.as_str())];
    let before = photos(&app).await;
    let audit = || async {
        db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'attachment_add'", vec![])
            .await
            .unwrap()
    };
    let audited = audit().await;

    let bomb = png_bomb();
    assert!(bomb.len() < 200);
    let r = citizen.upload_with("/track/photo", &fields, "file", "大图.png", &bomb).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("图片尺寸过大"), "{}", r.body);

    let jpeg = phone_jpeg();
    let r = citizen.upload_with("/track/photo", &fields, "file", "半张.jpg", &jpeg[..jpeg.len() * 2 / 3]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("图片无法识别或已损坏"), "{}", r.body);

    let png = png_with_text();
    let r = citizen.upload_with("/track/photo", &fields, "file", "半张.png", &png[..png.len() - 30]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("图片无法识别或已损坏"), "{}", r.body);

    assert_eq!(photos(&app).await, before);
    assert_eq!(audit().await, audited);

    // The same rule holds in the console: a station keeper's photo.
    let station =
        db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap();
    let mut keeper = app.login("keeper").await;
    let r = keeper.upload(&format!("/console/registry/stations/{station}/photos"), "file", "门口.png", &bomb).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|t| t.contains("图片尺寸过大")), "{:?}", r.texts(".field-error"));
    assert_eq!(photos(&app).await, before);
}
