//! Uploaded photos are decoded within hard limits and re-encoded without metadata (PLAT-14):
//! the GPS position a phone writes into EXIF, XMP, ICC profiles and PNG text chunks never
//! reach storage, and a file that claims a huge canvas is refused from its header, before a
//! single pixel is allocated. The EXIF orientation is applied to the pixels before the tag
//! is dropped, so a photo taken upright stays upright. Colour profiles are dropped too: a
//! wide-gamut (Display P3) photo is then shown as sRGB, slightly less saturated.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::error::ImageError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::base::error::AppError;

/// What an uploaded image may be.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Width and height, each, in pixels.
    pub max_side: u32,
    /// Width × height.
    pub max_pixels: u64,
    /// Bytes the decoder may allocate (pixel buffer included).
    pub max_alloc: u64,
}

/// A 48-megapixel phone saves 12 MP by default; 40 MP keeps a decoded photo under 160 MB.
pub const LIMITS: Limits = Limits { max_side: 12_000, max_pixels: 40_000_000, max_alloc: 256 * 1024 * 1024 };

/// JPEG quality of the re-encoded photo: visually lossless for photos of a broken road.
const JPEG_QUALITY: u8 = 88;

pub const UNREADABLE: &str = "图片无法识别或已损坏，请重新拍摄后上传";

fn too_large(limits: &Limits) -> AppError {
    AppError::invalid(
        "file",
        format!(
            "图片尺寸过大（最大 {} 万像素，长宽各不超过 {} 像素），请缩小后再上传",
            limits.max_pixels / 10_000,
            limits.max_side
        ),
    )
}

fn unreadable() -> AppError {
    AppError::invalid("file", UNREADABLE)
}

/// An image as it will be stored.
#[derive(Debug)]
pub struct Cleaned {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Decodes `bytes` (of the sniffed `content_type`, JPEG or PNG) within `limits` and encodes
/// the pixels again in the same format, without any metadata. CPU-bound: call it off the
/// async workers.
pub fn clean(bytes: &[u8], content_type: &str, limits: &Limits) -> Result<Cleaned, AppError> {
    let format = match content_type {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        _ => return Err(unreadable()),
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(unreadable());
    }
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits);
    // The header only: dimensions are judged before any pixel data is read.
    let mut decoder = reader.into_decoder().map_err(|e| refusal(e, limits))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(unreadable());
    }
    if width > limits.max_side || height > limits.max_side || u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(too_large(limits));
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| refusal(e, limits))?;
    img.apply_orientation(orientation);
    let mut out = Vec::with_capacity(bytes.len());
    let written = match format {
        ImageFormat::Jpeg => img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        _ => img.write_with_encoder(PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Default,
            FilterType::Adaptive,
        )),
    };
    written.map_err(|e| AppError::Internal(format!("re-encoding an image: {e}")))?;
    Ok(Cleaned { bytes: out, content_type: format_type(format), width: img.width(), height: img.height() })
}

fn format_type(f: ImageFormat) -> &'static str {
    if f == ImageFormat::Jpeg { "image/jpeg" } else { "image/png" }
}

fn refusal(e: ImageError, limits: &Limits) -> AppError {
    match e {
        ImageError::Limits(_) => too_large(limits),
        _ => unreadable(),
    }
}

/// Whether a JPEG's segments run from SOI through the entropy-coded scans to an EOI. The
/// decoder fills a cut-off photo with grey rather than fail; a photo cut off by a dropped
/// connection is refused here instead. Bytes after the EOI (a phone's trailer, a "motion
/// photo" video) are allowed: they are not kept.
fn jpeg_is_complete(b: &[u8]) -> bool {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while i < b.len() && b[i] == 0xFF && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if i + 1 >= b.len() || b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        i += 2;
        match marker {
            0xD9 => return true,
            // Standalone markers: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else {
            return false;
        };
        if len < 2 {
            return false;
        }
        i += len;
        if i > b.len() {
            return false;
        }
        if marker == 0xDA {
            // Entropy-coded data: runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
            loop {
                match b.get(i..i + 2) {
                    None => return false,
                    Some([0xFF, 0x00]) | Some([0xFF, 0xD0..=0xD7]) => i += 2,
                    Some([0xFF, _]) => break,
                    Some(_) => i += 1,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 90])))
    }

    fn jpeg(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90)).unwrap();
        out
    }

    fn png(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        out
    }

    /// An EXIF APP1 segment (little-endian TIFF) with the orientation tag and a GPS IFD.
    pub(crate) fn exif_app1(orientation: u16) -> Vec<u8> {
        let mut t: Vec<u8> = b"II*\0".to_vec();
        t.extend(8u32.to_le_bytes());
        // IFD0: two entries: Orientation, GPS IFD pointer.
        t.extend(2u16.to_le_bytes());
        t.extend([0x12, 0x01, 3, 0]);
        t.extend(1u32.to_le_bytes());
        t.extend([orientation.to_le_bytes()[0], orientation.to_le_bytes()[1], 0, 0]);
        t.extend([0x25, 0x88, 4, 0]);
        t.extend(1u32.to_le_bytes());
        t.extend(38u32.to_le_bytes());
        t.extend(0u32.to_le_bytes());
        // GPS IFD at 38: GPSLatitudeRef 'N'.
        t.extend(1u16.to_le_bytes());
        t.extend([0x01, 0x00, 2, 0]);
        t.extend(2u32.to_le_bytes());
        t.extend(*b"N\0\0\0");
        t.extend(0u32.to_le_bytes());
        t.extend(b"GPS 39.9042N 116.4074E");
        let mut seg = vec![0xFF, 0xE1];
        seg.extend(((t.len() + 8) as u16).to_be_bytes());
        seg.extend(b"Exif\0\0");
        seg.extend(t);
        seg
    }

    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend(exif_app1(orientation));
        out.extend(&jpeg[2..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn exif_is_dropped_and_its_orientation_applied() {
        let mut original = with_exif(&jpeg(&photo(40, 20)), 6);
        // XMP (APP1) and an ICC profile (APP2) after the EXIF segment.
        let mut extra = Vec::new();
        for (marker, body) in [
            (
                0xE1u8,
                &b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>39,54N</exif:GPSLatitude></x:xmpmeta>"[..],
            ),
            (0xE2, &b"ICC_PROFILE\0\x01\x01not really a profile"[..]),
        ] {
            extra.extend([0xFF, marker]);
            extra.extend(((body.len() + 2) as u16).to_be_bytes());
            extra.extend(body);
        }
        original.splice(2..2, extra);
        assert!(contains(&original, b"Exif") && contains(&original, b"GPS") && contains(&original, b"ICC_PROFILE"));
        let c = clean(&original, "image/jpeg", &LIMITS).unwrap();
        assert_eq!(c.content_type, "image/jpeg");
        assert!(!contains(&c.bytes, b"Exif") && !contains(&c.bytes, b"GPS"));
        assert!(!contains(&c.bytes, b"xmpmeta") && !contains(&c.bytes, b"ICC_PROFILE"));
        // Orientation 6 (rotate 90° clockwise): the stored photo is upright, 20 wide.
        assert_eq!((c.width, c.height), (20, 40));
        let back = image::load_from_memory_with_format(&c.bytes, ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (20, 40));
    }

    #[test]
    fn png_text_chunks_are_dropped() {
        let plain = png(&photo(8, 8));
        // A tEXt chunk right after IHDR (8 signature + 25 IHDR bytes).
        let mut chunk = Vec::new();
        let data = b"Comment\0GPS 39.9N 116.4E";
        chunk.extend((data.len() as u32).to_be_bytes());
        let mut typed = b"tEXt".to_vec();
        typed.extend(data);
        chunk.extend(&typed);
        chunk.extend(crc32(&typed).to_be_bytes());
        let mut with_text = plain[..33].to_vec();
        with_text.extend(chunk);
        with_text.extend(&plain[33..]);
        assert!(image::load_from_memory(&with_text).is_ok(), "the crafted PNG is valid");
        let c = clean(&with_text, "image/png", &LIMITS).unwrap();
        assert_eq!(c.content_type, "image/png");
        assert!(!contains(&c.bytes, b"tEXt") && !contains(&c.bytes, b"GPS"));
        let back = image::load_from_memory_with_format(&c.bytes, ImageFormat::Png).unwrap();
        assert_eq!(back.to_rgb8(), photo(8, 8).to_rgb8(), "PNG stays lossless");
    }

    pub(crate) fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A PNG whose header claims `w`×`h` followed by a tiny IDAT and IEND.
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut out = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
        let mut chunk = |kind: &[u8], data: &[u8]| {
            out.extend((data.len() as u32).to_be_bytes());
            let mut typed = kind.to_vec();
            typed.extend(data);
            out.extend(&typed);
            out.extend(crc32(&typed).to_be_bytes());
        };
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(b"IEND", &[]);
        out
    }

    #[test]
    fn a_huge_canvas_is_refused_from_its_header() {
        let bomb = png_claiming(30_000, 30_000);
        assert!(bomb.len() < 100);
        let e = clean(&bomb, "image/png", &LIMITS).unwrap_err();
        assert!(e.detail().contains("尺寸过大"), "{}", e.detail());
        // Within each side but over the pixel budget.
        let wide = png_claiming(10_000, 5_000);
        assert!(clean(&wide, "image/png", &LIMITS).unwrap_err().detail().contains("尺寸过大"));
        // A JPEG header claiming 60000×60000 (SOF0 patched).
        let mut j = jpeg(&photo(16, 16));
        let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        j[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
        assert!(clean(&j, "image/jpeg", &LIMITS).unwrap_err().detail().contains("尺寸过大"));
    }

    #[test]
    fn truncated_or_corrupt_images_are_refused() {
        let j = jpeg(&photo(64, 64));
        assert!(clean(&j, "image/jpeg", &LIMITS).is_ok());
        for cut in [j.len() - 2, j.len() / 2, 20, 3] {
            let e = clean(&j[..cut], "image/jpeg", &LIMITS).unwrap_err();
            assert_eq!(e.detail(), UNREADABLE, "cut at {cut}");
        }
        // Trailing bytes after the EOI (a phone's trailer) are allowed and dropped.
        let mut trailer = j.clone();
        trailer.extend(b"ftypmp42 motion photo");
        let c = clean(&trailer, "image/jpeg", &LIMITS).unwrap();
        assert!(!contains(&c.bytes, b"motion photo"));
        let p = png(&photo(64, 64));
        assert_eq!(clean(&p[..p.len() / 2], "image/png", &LIMITS).unwrap_err().detail(), UNREADABLE);
        let mut bad_crc = p.clone();
        bad_crc[20] ^= 0xFF;
        assert_eq!(clean(&bad_crc, "image/png", &LIMITS).unwrap_err().detail(), UNREADABLE);
        assert_eq!(clean(b"%PDF-1.4", "application/pdf", &LIMITS).unwrap_err().detail(), UNREADABLE);
    }
}
