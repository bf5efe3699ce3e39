//! 立法 (LEG): drafts parsed into their structure and imported with a preview, versions whose
//! articles keep their identity across readings, the compare, 码上立法's public comments, the
//! targeted consultation, disposition with its figures, and who may do what.

mod consultation;
mod drafts;
mod passage;

use axum::body::Body;
use axum::http::{Request, header};
use renda::db;

use crate::support::{Resp, TestApp};

/// A fixture of `tests/fixtures/legislation/`.
pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legislation").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

/// Every row the module keeps, to show that a refused write stored nothing.
pub async fn stored(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in ["leg_drafts", "leg_versions", "leg_nodes", "leg_opinions", "leg_tasks"] {
        out.push(count(app, &format!("SELECT count(*) FROM {t}")).await);
    }
    out
}

/// A multipart API call with a bearer token: text fields and one file.
pub async fn api_upload(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    name: &str,
    bytes: &[u8],
) -> Resp {
    let boundary = "renda-leg-boundary-51ab";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// The articles of a version's tree (depth-first): (node_id, number, text of its paragraphs).
pub fn articles(tree: &serde_json::Value) -> Vec<(i64, String, String)> {
    fn walk(n: &serde_json::Value, out: &mut Vec<(i64, String, String)>) {
        if n["kind"] == "article" {
            let mut text = String::new();
            fn texts(n: &serde_json::Value, t: &mut String) {
                t.push_str(n["text"].as_str().unwrap_or(""));
                for c in n["children"].as_array().into_iter().flatten() {
                    texts(c, t);
                }
            }
            texts(n, &mut text);
            out.push((n["node_id"].as_i64().unwrap(), n["number"].as_str().unwrap().to_string(), text));
        } else {
            for c in n["children"].as_array().into_iter().flatten() {
                walk(c, out);
            }
        }
    }
    let mut out = Vec::new();
    for n in tree["nodes"].as_array().expect("nodes") {
        walk(n, &mut out);
    }
    out
}
