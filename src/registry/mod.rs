//! 代表 · 组织 · 家站点 — the registry (REG): persons and their mandates at five levels,
//! committees, groups, contact links, grids, role names, stations with duty schedules, the
//! nearest-station index and QR codes.

pub mod geo;
pub mod import;
pub mod persons;
pub mod qr;
pub mod roster;
pub mod schedule;
pub mod stations;
pub mod synthetic;

use serde::{Deserialize, Serialize};

/// The five levels of people's congress (五级人大).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Provincial,
    City,
    County,
    Township,
}

impl Level {
    pub const ALL: [Level; 5] = [Level::National, Level::Provincial, Level::City, Level::County, Level::Township];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::Provincial => "provincial",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }

    /// 全国 / 省 / 市 / 县 / 乡镇
    pub fn label(self) -> &'static str {
        match self {
            Level::National => "全国",
            Level::Provincial => "省",
            Level::City => "市",
            Level::County => "县",
            Level::Township => "乡镇",
        }
    }

    /// "全国人大代表", "县人大代表" …
    pub fn deputy_title(self) -> String {
        format!("{}人大代表", self.label())
    }

    /// Accepts the API value or the Chinese label.
    pub fn parse(s: &str) -> Option<Level> {
        let s = s.trim();
        Level::ALL.into_iter().find(|l| {
            l.as_str() == s
                || l.label() == s
                || s == format!("{}级", l.label())
                || s == l.deputy_title()
                || (*l == Level::Township && (s == "乡" || s == "镇" || s == "乡级"))
                || (*l == Level::County && (s == "县（区）" || s == "区" || s == "县区"))
        })
    }
}
