//! Cursor paging of API lists (docs/API-DESIGN.md).

use serde::{Deserialize, Serialize};

use crate::app::error::{AppError, AppResult};

/// A page of a list: `next_cursor` is absent on the last page.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Validated `limit` (1–200, default 50) and the id after which to continue.
    pub fn parse(&self) -> AppResult<(u64, i64)> {
        let limit = match self.limit.as_deref() {
            None | Some("") => 50,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=200).contains(&n) => n,
                _ => return Err(AppError::invalid("limit", "limit 应为 1 至 200 之间的整数")),
            },
        };
        let after = match self.cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => c
                .parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| AppError::invalid("cursor", "cursor 无效，请使用上一页返回的 next_cursor"))?,
        };
        Ok((limit, after))
    }
}

/// Cuts a fetched `limit + 1` rows to a page and derives the cursor.
pub fn paginate<T, F: Fn(&T) -> i64>(mut rows: Vec<T>, limit: u64, id: F) -> Page<T> {
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| id(r).to_string())
    } else {
        None
    };
    Page { items: rows, next_cursor }
}
