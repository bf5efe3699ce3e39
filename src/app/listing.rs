//! The console list page, written once (issue 18): the list's query parameters read leniently
//! (`num`, `text`), its filter as a query string for the paging and export links
//! (`query_string`), one page cut from a keyset or offset query with its `Pager`
//! (`Paging::keyset`, `Paging::offset`), the whole filtered list of an export read in batches
//! (`all_rows`), the .xlsx/.csv download (`download`, `xlsx`), and the addresses of the forms
//! that create and edit the list's records (`FormTarget`).
//!
//! A list handler is then: check → filter from the query → `count` → `Paging::keyset` →
//! render with the `Pager`; its export: check → filter → `all_rows` → `download`.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::error::AppError;
use crate::app::paging::Pager;
use crate::export::{Cell, Table, content_disposition, to_csv, to_xlsx};

/// The media type of an .xlsx file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A positive number from a query parameter (a record's id, an offset); anything else is none.
pub fn num(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse().ok()).filter(|v: &i64| *v > 0)
}

/// A query parameter trimmed, empty when absent.
pub fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_string()
}

/// A list's filter as a query string (the parameters given, trimmed, in this order; empty
/// ones left out), for the paging and export links.
pub fn query_string(params: &[(&str, &Option<String>)]) -> String {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// How a console list pages: its address and filter (for the links), the page number the
/// link carried (`page=3`) and the page size.
pub struct Paging<'a> {
    pub path: &'a str,
    pub qs: &'a str,
    pub page: Option<&'a str>,
    pub size: u64,
}

impl Paging<'_> {
    /// One page in id order after the `after` parameter: `fetch(after, limit)` is asked for one
    /// row more than a page, which tells whether there is a next page (`after=<last id>`).
    pub async fn keyset<T, E>(
        &self,
        total: i64,
        after: &Option<String>,
        fetch: impl AsyncFnOnce(i64, u64) -> Result<Vec<T>, E>,
        id: impl Fn(&T) -> i64,
    ) -> Result<(Vec<T>, Pager), AppError>
    where
        AppError: From<E>,
    {
        let rows = fetch(num(after).unwrap_or(0), self.size + 1).await?;
        Ok(self.cut(rows, total, |last| format!("after={}", id(last))))
    }

    /// One page after the `after` parameter of a list in an order of its own (not its id's):
    /// `fetch(after, limit)` gets the key `key` wrote of the last row of the page before (none
    /// on the first page) and is asked for one row more than a page, as for `keyset`.
    pub async fn keyset_by<T, E>(
        &self,
        total: i64,
        after: &Option<String>,
        fetch: impl AsyncFnOnce(Option<&str>, u64) -> Result<Vec<T>, E>,
        key: impl Fn(&T) -> String,
    ) -> Result<(Vec<T>, Pager), AppError>
    where
        AppError: From<E>,
    {
        let after = after.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let rows = fetch(after, self.size + 1).await?;
        Ok(self.cut(rows, total, |last| format!("after={}", key(last))))
    }

    /// One page at the `offset` parameter (a list sorted by something else than its id):
    /// `fetch(offset, limit)` as for `keyset`; the next page is `offset=<offset + size>`.
    pub async fn offset<T, E>(
        &self,
        total: i64,
        offset: &Option<String>,
        fetch: impl AsyncFnOnce(u64, u64) -> Result<Vec<T>, E>,
    ) -> Result<(Vec<T>, Pager), AppError>
    where
        AppError: From<E>,
    {
        let offset = num(offset).unwrap_or(0) as u64;
        let rows = fetch(offset, self.size + 1).await?;
        Ok(self.cut(rows, total, |_| format!("offset={}", offset + self.size)))
    }

    fn cut<T>(&self, mut rows: Vec<T>, total: i64, next: impl FnOnce(&T) -> String) -> (Vec<T>, Pager) {
        let more = rows.len() as u64 > self.size;
        rows.truncate(self.size as usize);
        let next = rows.last().filter(|_| more).map(next);
        (rows, Pager::new(self.path, self.qs, total, self.size, Pager::page_param(self.page), next))
    }
}

/// The whole filtered list of an export, read in id order `batch` rows at a time.
pub async fn all_rows<T, E, F: Future<Output = Result<Vec<T>, E>>>(
    batch: u64,
    mut fetch: impl FnMut(i64, u64) -> F,
    id: impl Fn(&T) -> i64,
) -> Result<Vec<T>, E> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let rows = fetch(after, batch).await?;
        let done = (rows.len() as u64) < batch;
        after = rows.last().map(&id).unwrap_or(after);
        all.extend(rows);
        if done {
            return Ok(all);
        }
    }
}

/// A list as a table titled `title`, downloaded as .csv when `format=csv`, as .xlsx otherwise,
/// the file named after the title.
pub fn download(format: Option<&str>, title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Response {
    let table = Table { title: title.into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows };
    if format == Some("csv") {
        file(to_csv(&table), title, "csv", "text/csv; charset=utf-8")
    } else {
        xlsx(to_xlsx(&table), title)
    }
}

/// An .xlsx file made elsewhere (a template, a roster), named `{stem}.xlsx`.
pub fn xlsx(bytes: Vec<u8>, stem: &str) -> Response {
    file(bytes, stem, "xlsx", XLSX)
}

fn file(bytes: Vec<u8>, stem: &str, ext: &str, mime: &str) -> Response {
    ([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, content_disposition(stem, ext))], bytes)
        .into_response()
}

/// Where the form that creates or edits one of a list's records stands: its title, where it
/// posts, where 取消 leads and the address of the form itself (its crumb). A new record's form
/// is `{list}/new` and posts to the list; a record's is `{list}/{id}/edit` and posts to the
/// record's page.
pub struct FormTarget {
    pub title: String,
    pub action: String,
    pub cancel: String,
    pub crumb: String,
}

impl FormTarget {
    /// `existing` is the record's id and name when it is edited.
    pub fn new(list: &str, new_title: &str, existing: Option<(i64, &str)>) -> FormTarget {
        match existing {
            Some((id, name)) => FormTarget {
                title: format!("修改 {name}"),
                action: format!("{list}/{id}"),
                cancel: format!("{list}/{id}"),
                crumb: format!("{list}/{id}/edit"),
            },
            None => FormTarget {
                title: new_title.into(),
                action: list.into(),
                cancel: list.into(),
                crumb: format!("{list}/new"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_reads_leniently_and_links_only_what_was_given() {
        let (a, b, none) = (Some(" 12 ".to_string()), Some("王 建".to_string()), None);
        assert_eq!(
            (num(&a), num(&Some("-3".into())), num(&Some("x".into())), num(&none)),
            (Some(12), None, None, None)
        );
        assert_eq!((text(&b), text(&none)), ("王 建".to_string(), String::new()));
        assert_eq!(
            query_string(&[("organ", &a), ("q", &b), ("tag", &none), ("x", &Some(" ".into()))]),
            "organ=12&q=%E7%8E%8B+%E5%BB%BA"
        );
    }

    #[tokio::test]
    async fn a_keyset_page_is_cut_and_links_the_next() {
        let at = Paging { path: "/l", qs: "q=a", page: Some("2"), size: 2 };
        let (rows, pager) = at
            .keyset(
                5,
                &Some("2".into()),
                async |after, limit| Ok::<_, AppError>((after + 1..=after + limit as i64).collect()),
                |r: &i64| *r,
            )
            .await
            .unwrap();
        assert_eq!(rows, [3, 4]);
        assert_eq!((pager.page, pager.pages, pager.next.as_deref()), (2, 3, Some("/l?q=a&after=4&page=3")));
        let (rows, pager) =
            at.offset(3, &Some("2".into()), async |offset, _| Ok::<_, AppError>(vec![offset])).await.unwrap();
        assert_eq!((rows, pager.next), (vec![2], None));
    }

    #[tokio::test]
    async fn an_export_reads_every_batch() {
        let all = all_rows(
            2,
            async |after, limit| Ok::<_, AppError>((after + 1..=(after + limit as i64).min(5)).collect()),
            |r: &i64| *r,
        )
        .await
        .unwrap();
        assert_eq!(all, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn form_targets_of_a_new_and_an_edited_record() {
        let new = FormTarget::new("/console/x", "新建", None);
        assert_eq!(
            (new.title.as_str(), new.action.as_str(), new.crumb.as_str()),
            ("新建", "/console/x", "/console/x/new")
        );
        let edit = FormTarget::new("/console/x", "新建", Some((7, "甲")));
        assert_eq!(
            (edit.title.as_str(), edit.action.as_str(), edit.cancel.as_str(), edit.crumb.as_str()),
            ("修改 甲", "/console/x/7", "/console/x/7", "/console/x/7/edit")
        );
    }
}
