//! 一站一码、一人一码：把联络站和代表的固定公开网址生成可印刷的二维码（SVG 与 PNG）。

use std::fmt;

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the symbol, as the QR standard requires for reliable scanning.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Largest rendered side in pixels, so a bad module size cannot exhaust memory.
pub const MAX_SIDE_PX: u32 = 10_000;

/// Why a code could not be produced; the Chinese message is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrError {
    TooLong,
    ImageTooLarge,
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrError::TooLong => "内容过长，无法生成二维码",
            QrError::ImageTooLarge => "二维码图片尺寸过大，请减小模块像素或打印尺寸",
        })
    }
}

impl std::error::Error for QrError {}

/// Level M tolerates smudged or partly covered printed cards without making codes too dense.
fn encode(data: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

fn side_px(code: &QrCode, module_px: u32) -> Result<u32, QrError> {
    let modules = u64::try_from(code.width()).unwrap_or(u64::MAX);
    let side = (modules + 2 * u64::from(QUIET_ZONE_MODULES)).saturating_mul(u64::from(module_px));
    u32::try_from(side).ok().filter(|s| *s <= MAX_SIDE_PX).ok_or(QrError::ImageTooLarge)
}

/// Standalone SVG (no XML prologue, so it can also be inlined in HTML); `module_px` 0 counts as 1.
pub fn qr_svg(data: &str, module_px: u32) -> Result<String, QrError> {
    let code = encode(data)?;
    let module_px = module_px.max(1);
    side_px(&code, module_px)?;
    let out = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(match out.find("<svg") {
        Some(i) => out[i..].to_string(),
        None => out,
    })
}

/// 8-bit grayscale PNG of the code with a 4-module quiet zone; `module_px` 0 counts as 1.
pub fn qr_png(data: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    render_png(&encode(data)?, module_px.max(1), None)
}

/// Pixels needed to print `mm` millimetres at `dpi`, rounded to the nearest pixel.
pub fn print_size_px(mm: u32, dpi: u32) -> u32 {
    let px = (u64::from(mm) * u64::from(dpi) * 10 + 127) / 254;
    u32::try_from(px).unwrap_or(u32::MAX)
}

/// PNG sized for printing at `mm`/`dpi` (largest whole module that fits, min 1 px), DPI stored in pHYs.
pub fn qr_png_for_print(data: &str, mm: u32, dpi: u32) -> Result<Vec<u8>, QrError> {
    let code = encode(data)?;
    let target = print_size_px(mm, dpi);
    let modules = u32::try_from(code.width()).unwrap_or(u32::MAX);
    let total = modules.saturating_add(2 * QUIET_ZONE_MODULES);
    let module_px = (target / total).max(1);
    let pixels_per_metre = u32::try_from((u64::from(dpi) * 10_000 + 127) / 254).unwrap_or(u32::MAX);
    render_png(&code, module_px, Some(pixels_per_metre))
}

fn render_png(code: &QrCode, module_px: u32, pixels_per_metre: Option<u32>) -> Result<Vec<u8>, QrError> {
    let side = side_px(code, module_px)?;
    let modules = code.width();
    let colors = code.to_colors();
    let quiet = QUIET_ZONE_MODULES as usize;
    let module_px = module_px as usize;
    let side_usize = side as usize;

    let mut pixels = vec![255u8; side_usize * side_usize];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let x0 = (i % modules + quiet) * module_px;
        let y0 = (i / modules + quiet) * module_px;
        for y in y0..y0 + module_px {
            pixels[y * side_usize + x0..y * side_usize + x0 + module_px].fill(0);
        }
    }

    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    if let Some(ppm) = pixels_per_metre {
        encoder.set_pixel_dims(Some(png::PixelDimensions { xppu: ppm, yppu: ppm, unit: png::Unit::Meter }));
    }
    let written =
        encoder.write_header().and_then(|mut writer| writer.write_image_data(&pixels).and_then(|()| writer.finish()));
    written.map_err(|_| QrError::ImageTooLarge)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URLS: [&str; 3] =
        ["https://renda.example.cn/s/12345", "http://127.0.0.1:8080/d/7", "https://renda.example.cn/d/代表-张三"];

    fn decode_png(bytes: &[u8]) -> (u32, u32, String) {
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().unwrap();
        (info.width, info.height, text)
    }

    fn modules_for(data: &str) -> u32 {
        encode(data).unwrap().width() as u32
    }

    #[test]
    fn png_decodes_back_to_url() {
        for url in URLS {
            for module_px in [1, 3, 8] {
                let (w, h, text) = decode_png(&qr_png(url, module_px).unwrap());
                assert_eq!(text, url);
                assert_eq!(w, h);
                assert_eq!(w, (modules_for(url) + 8) * module_px);
            }
        }
    }

    #[test]
    fn png_has_white_quiet_zone() {
        let url = URLS[0];
        let bytes = qr_png(url, 2).unwrap();
        let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let w = info.width as usize;
        let border = 4 * 2;
        for y in 0..w {
            for x in 0..w {
                if x < border || y < border || x >= w - border || y >= w - border {
                    assert_eq!(buf[y * w + x], 255, "({x},{y})");
                }
            }
        }
        assert_eq!(buf[border * w + border], 0);
    }

    #[test]
    fn svg_is_standalone_and_safe() {
        let url = "https://renda.example.cn/s/12345?a=1&b=<x>";
        let out = qr_svg(url, 4).unwrap();
        assert!(out.starts_with("<svg"));
        assert!(out.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(out.contains("viewBox"));
        assert!(out.contains("shape-rendering=\"crispEdges\""));
        let side = (modules_for(url) + 8) * 4;
        assert!(out.contains(&format!("width=\"{side}\" height=\"{side}\"")));
        assert!(out.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        let lower = out.to_ascii_lowercase();
        for bad in ["<script", "javascript:", "onload", "<foreignobject", "href", "<x>"] {
            assert!(!lower.contains(bad), "{bad}");
        }
        assert!(out.trim_end().ends_with("</svg>"));
        assert!(qr_svg(url, 0).unwrap().contains("viewBox"));
    }

    #[test]
    fn print_size_rounds_to_nearest_pixel() {
        assert_eq!(print_size_px(30, 300), 354);
        assert_eq!(print_size_px(254, 100), 1000);
        assert_eq!(print_size_px(25, 96), 94);
        assert_eq!(print_size_px(0, 300), 0);
    }

    #[test]
    fn print_png_fits_requested_size() {
        for url in URLS {
            for (mm, dpi) in [(30, 300), (50, 300), (20, 600), (80, 150)] {
                let target = print_size_px(mm, dpi);
                let total = modules_for(url) + 8;
                let (w, h, text) = decode_png(&qr_png_for_print(url, mm, dpi).unwrap());
                assert_eq!(text, url);
                assert_eq!(w, h);
                assert!(w <= target, "{w} > {target}");
                assert!(w + total > target, "module size not maximal: {w} for {target}");
            }
        }
        let tiny = qr_png_for_print(URLS[0], 1, 72).unwrap();
        let (w, _, _) = decode_png(&tiny);
        assert_eq!(w, modules_for(URLS[0]) + 8);
    }

    #[test]
    fn print_png_records_dpi() {
        let bytes = qr_png_for_print(URLS[0], 30, 300).unwrap();
        let reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let dims = reader.info().pixel_dims.unwrap();
        assert_eq!(dims.unit, png::Unit::Meter);
        assert_eq!(dims.xppu, 11811);
    }

    #[test]
    fn too_long_data_is_an_error() {
        let long = "x".repeat(5000);
        assert_eq!(qr_svg(&long, 4), Err(QrError::TooLong));
        assert_eq!(qr_png(&long, 4), Err(QrError::TooLong));
        assert_eq!(qr_png_for_print(&long, 30, 300), Err(QrError::TooLong));
        assert_eq!(QrError::TooLong.to_string(), "内容过长，无法生成二维码");
    }

    #[test]
    fn oversized_image_is_an_error() {
        assert_eq!(qr_png(URLS[0], u32::MAX), Err(QrError::ImageTooLarge));
        assert_eq!(qr_svg(URLS[0], u32::MAX), Err(QrError::ImageTooLarge));
        assert_eq!(qr_png_for_print(URLS[0], 10_000, 2400), Err(QrError::ImageTooLarge));
        assert!(QrError::ImageTooLarge.to_string().contains("二维码"));
    }
}
