//! Cursor paging of API lists (docs/API-DESIGN.md).

use serde::{Deserialize, Serialize};

use crate::base::error::{AppError, AppResult};

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

/// Where a console list stands — 共 N 条, 第 P 页 / 共 M 页 — and its page links, shown by
/// `partials/pager.html` under every paged list. The lists keep keyset (or offset) paging;
/// the page number travels in the link and the total is one `count(*)` with the list's own
/// filter, bounded by the rows the filter matches in the caller's organ subtree (an index
/// scan; the registry holds at most a few hundred thousand rows per county).
pub struct Pager {
    /// 共 N 条 with thousands separators.
    pub total: String,
    pub page: u64,
    pub pages: u64,
    /// The list's address with the filter; the first page.
    pub first: String,
    /// The next page, when there is one.
    pub next: Option<String>,
}

impl Pager {
    /// `path` is the list's address, `qs` its filter as a query string, `page` the number the
    /// link carried, `next` the keyset or offset parameter of the next page (`after=42`).
    pub fn new(path: &str, qs: &str, total: i64, page_size: u64, page: u64, next: Option<String>) -> Pager {
        let pages = (total.max(0) as u64).div_ceil(page_size).max(1);
        let page = page.clamp(1, pages);
        let base = if qs.is_empty() { format!("{path}?") } else { format!("{path}?{qs}&") };
        Pager {
            total: crate::base::fmt::thousands(total),
            page,
            pages,
            first: base.trim_end_matches(['?', '&']).to_string(),
            next: next.filter(|_| page < pages).map(|n| format!("{base}{n}&page={}", page + 1)),
        }
    }

    /// A list shown whole on one page (a handful of rows by nature).
    pub fn whole(path: &str, rows: usize) -> Pager {
        Pager::new(path, "", rows as i64, (rows as u64).max(1), 1, None)
    }

    /// The page number a list link carried (`page=3`); anything else is the first page.
    pub fn page_param(v: Option<&str>) -> u64 {
        v.and_then(|v| v.trim().parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::Pager;

    #[test]
    fn pager_counts_pages_and_links_the_next() {
        let p = Pager::new("/l", "q=a", 1234, 50, 1, Some("after=50".into()));
        assert_eq!((p.total.as_str(), p.page, p.pages), ("1,234", 1, 25));
        assert_eq!(p.next.as_deref(), Some("/l?q=a&after=50&page=2"));
        assert_eq!(p.first, "/l?q=a");
        let last = Pager::new("/l", "", 100, 50, 2, Some("after=100".into()));
        assert_eq!((last.page, last.pages, last.next), (2, 2, None));
        let empty = Pager::new("/l", "", 0, 50, 7, None);
        assert_eq!((empty.page, empty.pages, empty.first.as_str()), (1, 1, "/l"));
    }
}
