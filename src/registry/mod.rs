//! 代表 · 组织 · 家站点 — the registry (REG). Pure building blocks so far: the nearest-station
//! index, duty schedule rules and QR codes.

pub mod geo;
pub mod qr;
pub mod schedule;
