//! Every write route of the application, found by reading the source, is in this matrix:
//! anonymous callers, read-only tokens and a view-only role are refused on each of them.
//! A new write route fails the first test until it is listed here with who may use it.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::auth::Scope;

use crate::demo_test;
use crate::support::TestApp;

/// Who may use a write route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// Anyone, signed in or not (sign-in itself).
    Public,
    /// Any signed-in person for their own account, inbox or session.
    Own,
    /// Organ staff, admins, keepers or deputies by record — never a view-only role.
    Maintainers,
    /// Authenticated by the signature of a webhook endpoint, never by an account.
    Signed,
    /// The steps of the handling loop: by party (a leader may 督办, so a leader's malformed
    /// step is a 4xx, and nothing is written).
    Loop,
}

/// Every write route with its method and who may use it.
const WRITE_ROUTES: &[(&str, &str, Who)] = &[
    ("POST", "/login", Who::Public),
    ("POST", "/logout", Who::Own),
    ("POST", "/console/inbox/{id}/read", Who::Own),
    ("POST", "/console/inbox/read-all", Who::Own),
    ("POST", "/console/account/password", Who::Own),
    ("POST", "/console/account/confirm", Who::Own),
    ("POST", "/console/account/totp", Who::Own),
    ("POST", "/console/account/totp/disable", Who::Own),
    ("POST", "/console/account/tokens", Who::Own),
    ("POST", "/console/account/tokens/{id}/revoke", Who::Own),
    ("POST", "/console/admin/organs", Who::Maintainers),
    ("POST", "/console/admin/organs/{id}", Who::Maintainers),
    ("POST", "/console/admin/areas", Who::Maintainers),
    ("POST", "/console/admin/areas/{id}", Who::Maintainers),
    ("POST", "/console/admin/areas/import", Who::Maintainers),
    ("POST", "/console/admin/accounts", Who::Maintainers),
    ("POST", "/console/admin/accounts/{id}", Who::Maintainers),
    ("POST", "/console/admin/accounts/{id}/reset-password", Who::Maintainers),
    ("POST", "/api/v1/accounts", Who::Maintainers),
    ("PATCH", "/api/v1/accounts/{id}", Who::Maintainers),
    ("POST", "/console/registry/deputies", Who::Maintainers),
    ("POST", "/console/registry/deputies/bulk", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}/photo", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}/mandates", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}/mandates/{mandate}/end", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}/voters", Who::Maintainers),
    ("POST", "/console/registry/deputies/{id}/voters/{link}/remove", Who::Maintainers),
    ("POST", "/console/registry/stations", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/deputies", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/deputies/{person}/remove", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/photos", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/photos/{photo}/remove", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/rules", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/rules/{rule}/remove", Who::Maintainers),
    ("POST", "/console/registry/station-types", Who::Maintainers),
    ("POST", "/console/registry/groups", Who::Maintainers),
    ("POST", "/console/registry/groups/{id}/members", Who::Maintainers),
    ("POST", "/console/registry/groups/{id}/members/{person}/remove", Who::Maintainers),
    ("POST", "/console/registry/committees", Who::Maintainers),
    ("POST", "/console/registry/committees/{id}/members", Who::Maintainers),
    ("POST", "/console/registry/committees/{id}/members/{person}/remove", Who::Maintainers),
    ("POST", "/console/registry/links", Who::Maintainers),
    ("POST", "/console/registry/links/{id}/remove", Who::Maintainers),
    ("POST", "/console/registry/grids", Who::Maintainers),
    ("POST", "/console/registry/grids/{id}/members", Who::Maintainers),
    ("POST", "/console/registry/grids/{id}/members/{row}/remove", Who::Maintainers),
    ("POST", "/console/registry/roles", Who::Maintainers),
    ("POST", "/console/registry/roles/{id}/holders", Who::Maintainers),
    ("POST", "/console/registry/roles/{id}/holders/{person}/remove", Who::Maintainers),
    ("POST", "/console/registry/units", Who::Maintainers),
    ("POST", "/console/registry/units/{id}", Who::Maintainers),
    ("POST", "/console/registry/units/{id}/contacts", Who::Maintainers),
    ("POST", "/console/registry/units/{id}/contacts/{contact}/remove", Who::Maintainers),
    ("POST", "/console/registry/import", Who::Maintainers),
    ("POST", "/console/registry/import/confirm", Who::Maintainers),
    ("POST", "/console/calendar", Who::Maintainers),
    ("POST", "/console/calendar/{day}/remove", Who::Maintainers),
    ("POST", "/console/calendar/notice", Who::Maintainers),
    ("POST", "/console/calendar/notice/save", Who::Maintainers),
    ("POST", "/console/calendar/confirm", Who::Maintainers),
    ("POST", "/console/registry/stations/{id}/slots/{slot}/change", Who::Maintainers),
    ("POST", "/console/opinions/words", Who::Maintainers),
    ("POST", "/console/opinions/categories", Who::Maintainers),
    ("POST", "/console/opinions/categories/{id}/toggle", Who::Maintainers),
    ("POST", "/console/opinions/categories/{id}/up", Who::Maintainers),
    ("POST", "/console/handling/{id}/step", Who::Loop),
    ("POST", "/console/handling/{id}/progress", Who::Loop),
    ("POST", "/console/handling/settings", Who::Maintainers),
    ("POST", "/console/opinions/new", Who::Maintainers),
    ("POST", "/console/opinions/{id}/category", Who::Maintainers),
    ("POST", "/console/opinions/{id}/contact", Who::Maintainers),
    ("POST", "/console/opinions/{id}/followers", Who::Maintainers),
    ("POST", "/console/opinions/{id}/publish", Who::Maintainers),
    ("POST", "/console/opinions/{id}/unpublish", Who::Maintainers),
    ("POST", "/opinions/new", Who::Public),
    ("POST", "/track", Who::Public),
    ("POST", "/track/rate", Who::Public),
    ("POST", "/track/lost", Who::Public),
    ("POST", "/track/photo", Who::Public),
    ("POST", "/api/v1/opinions", Who::Public),
    ("POST", "/api/v1/opinions/track/{no}/ratings", Who::Public),
    ("POST", "/api/v1/opinions/track/{no}/rating", Who::Public),
    ("POST", "/api/v1/opinions/{id}/{step}", Who::Loop),
    ("POST", "/console/opinions/import", Who::Maintainers),
    ("POST", "/console/opinions/import/mappings", Who::Maintainers),
    ("POST", "/console/opinions/import/mappings/{id}/remove", Who::Maintainers),
    ("POST", "/console/receptions/new", Who::Maintainers),
    ("POST", "/console/receptions/{id}/items", Who::Maintainers),
    ("POST", "/console/receptions/{id}/items/{item}/fulfil", Who::Maintainers),
    ("POST", "/api/v1/receptions", Who::Maintainers),
    ("POST", "/console/appointments/new", Who::Maintainers),
    ("POST", "/console/appointments/{id}/step", Who::Maintainers),
    ("POST", "/appointments/new", Who::Public),
    ("POST", "/appointments/track", Who::Public),
    ("POST", "/appointments/track/act", Who::Public),
    ("POST", "/api/v1/appointments", Who::Public),
    // Open311: no session and no bearer token, only an `api_key` of an account that may enter
    // opinions; refused without one (and for a session, a bearer token or a read-only key).
    ("POST", "/open311/v2/requests", Who::Maintainers),
    ("POST", "/open311/v2/requests.json", Who::Maintainers),
    ("POST", "/console/suggestions/new", Who::Maintainers),
    ("POST", "/console/suggestions/assign", Who::Maintainers),
    ("POST", "/console/suggestions/carry-over", Who::Maintainers),
    ("POST", "/console/suggestions/import", Who::Maintainers),
    ("POST", "/console/suggestions/import/confirm", Who::Maintainers),
    ("POST", "/api/v1/suggestions/carry-over", Who::Maintainers),
    ("POST", "/api/v1/suggestions/assign", Who::Maintainers),
    ("POST", "/console/suggestions/sessions", Who::Maintainers),
    ("POST", "/console/suggestions/sessions/{id}/close", Who::Maintainers),
    ("POST", "/console/suggestions/rules", Who::Maintainers),
    ("POST", "/api/v1/suggestions/sessions", Who::Maintainers),
    ("POST", "/api/v1/suggestions/sessions/{id}/close", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/act", Who::Maintainers),
    ("POST", "/api/v1/suggestions", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/cosign", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/submit", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/register", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/{step}", Who::Loop),
    ("POST", "/console/suggestions/evaluations", Who::Maintainers),
    ("POST", "/console/suggestions/evaluations/{id}/vote", Who::Maintainers),
    ("POST", "/console/suggestions/evaluations/{id}/act", Who::Maintainers),
    ("POST", "/console/suggestions/evaluations/{id}/send", Who::Maintainers),
    ("POST", "/console/suggestions/group-evaluations/{group}", Who::Maintainers),
    ("POST", "/console/suggestions/visits", Who::Maintainers),
    ("POST", "/api/v1/ballots/{id}/votes", Who::Maintainers),
    ("POST", "/api/v1/ballots/{id}/close", Who::Maintainers),
    ("POST", "/api/v1/ballots/{id}/open", Who::Maintainers),
    ("POST", "/api/v1/ballots/{id}/publish", Who::Maintainers),
    ("POST", "/api/v1/meetings", Who::Maintainers),
    ("POST", "/api/v1/meetings/{id}/attendance", Who::Maintainers),
    ("POST", "/api/v1/meetings/{id}/presidium", Who::Maintainers),
    ("POST", "/api/v1/meetings/{id}/ballots", Who::Maintainers),
    ("POST", "/api/v1/meetings/{id}/records", Who::Maintainers),
    ("POST", "/api/v1/meeting-records/{id}/notes", Who::Maintainers),
    ("POST", "/console/meetings", Who::Maintainers),
    ("POST", "/console/meetings/{id}/attendance", Who::Maintainers),
    ("POST", "/console/meetings/{id}/checkin", Who::Maintainers),
    ("POST", "/console/meetings/{id}/presidium", Who::Maintainers),
    ("POST", "/console/meetings/{id}/presidium/{person}/remove", Who::Maintainers),
    ("POST", "/console/meetings/{id}/state", Who::Maintainers),
    ("POST", "/console/meetings/{id}/items", Who::Maintainers),
    ("POST", "/console/meetings/{id}/items/{item}/files", Who::Maintainers),
    ("POST", "/console/meetings/{id}/items/{item}/files/{file}/remove", Who::Maintainers),
    ("POST", "/console/meetings/{id}/ballots", Who::Maintainers),
    ("POST", "/console/meetings/{id}/ballots/{ballot}/vote", Who::Maintainers),
    ("POST", "/console/meetings/{id}/ballots/{ballot}/act", Who::Maintainers),
    ("POST", "/console/meetings/{id}/hall", Who::Maintainers),
    ("POST", "/console/meetings/{id}/stream", Who::Maintainers),
    ("POST", "/console/meetings/{id}/remarks", Who::Maintainers),
    ("POST", "/console/meetings/{id}/remarks/{remark}", Who::Maintainers),
    ("POST", "/console/meetings/{id}/records", Who::Maintainers),
    ("POST", "/console/meetings/{id}/records/{record}/notes", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/edit", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/files", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/files/{file}/remove", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/share", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/comments", Who::Maintainers),
    ("POST", "/console/suggestions/{id}/references", Who::Maintainers),
    ("PATCH", "/api/v1/suggestions/{id}", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/share", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/comments", Who::Maintainers),
    ("POST", "/api/v1/suggestions/{id}/references", Who::Maintainers),
    ("POST", "/console/handling/{id}/replies/{reply}/letter", Who::Maintainers),
    ("POST", "/console/handling/rules", Who::Maintainers),
    ("POST", "/console/webhooks", Who::Maintainers),
    ("POST", "/console/webhooks/{id}", Who::Maintainers),
    ("POST", "/console/webhooks/deliveries/{id}/retry", Who::Maintainers),
    ("POST", "/api/v1/webhooks/inbound/{id}", Who::Signed),
    ("POST", "/console/legislation/new", Who::Maintainers),
    ("POST", "/console/legislation/new/file", Who::Maintainers),
    ("POST", "/console/legislation/{id}/versions", Who::Maintainers),
    ("POST", "/console/legislation/{id}/versions/file", Who::Maintainers),
    ("POST", "/console/legislation/versions/{id}/publish", Who::Maintainers),
    ("POST", "/console/legislation/opinions/{id}/disposition", Who::Maintainers),
    ("POST", "/console/legislation/opinions/{id}/moderate", Who::Maintainers),
    ("POST", "/api/v1/legislation/drafts", Who::Maintainers),
    ("POST", "/api/v1/legislation/drafts/{id}/versions", Who::Maintainers),
    ("POST", "/api/v1/legislation/opinions/{id}/disposition", Who::Maintainers),
    ("POST", "/l/{id}/comment", Who::Public),
    ("POST", "/api/v1/legislation/versions/{id}/comments", Who::Public),
    ("POST", "/console/legislation/{id}/tasks", Who::Maintainers),
    ("POST", "/console/legislation/tasks/{id}/lines", Who::Maintainers),
    ("POST", "/console/legislation/tasks/{id}/lines/{line}/remove", Who::Maintainers),
    ("POST", "/console/legislation/tasks/{id}/answer", Who::Maintainers),
    ("POST", "/console/legislation/experts", Who::Maintainers),
    ("POST", "/console/legislation/plans", Who::Maintainers),
    ("POST", "/console/legislation/plans/{id}/items", Who::Maintainers),
    ("POST", "/console/legislation/plan-items/{id}/status", Who::Maintainers),
    ("POST", "/console/legislation/projects", Who::Maintainers),
    ("POST", "/console/legislation/projects/{id}/argue", Who::Maintainers),
    ("POST", "/console/legislation/plans/{id}/edit", Who::Maintainers),
    ("POST", "/console/legislation/plan-items/{id}/edit", Who::Maintainers),
    ("POST", "/console/legislation/projects/{id}/steps", Who::Maintainers),
    ("PATCH", "/api/v1/legislation/plans/{id}", Who::Maintainers),
    ("PATCH", "/api/v1/legislation/plan-items/{id}", Who::Maintainers),
    ("POST", "/api/v1/legislation/projects/{id}/steps", Who::Maintainers),
    ("POST", "/console/legislation/{id}/events", Who::Maintainers),
    ("POST", "/console/legislation/events/{id}/record", Who::Maintainers),
    ("POST", "/console/legislation/events/{id}/opinions", Who::Maintainers),
    ("POST", "/console/legislation/speakers/{id}/state", Who::Maintainers),
    ("POST", "/l/{id}/events/{event}", Who::Public),
    ("POST", "/console/legislation/{id}/readings", Who::Maintainers),
    ("POST", "/console/legislation/{id}/regulation", Who::Maintainers),
    ("POST", "/console/legislation/regulations/{id}/rules", Who::Maintainers),
    ("POST", "/console/legislation/rules/{id}/status", Who::Maintainers),
    ("POST", "/console/legislation/regulations/{id}/interpretations", Who::Maintainers),
    ("POST", "/console/legislation/regulations/{id}/changes", Who::Maintainers),
    ("POST", "/api/v1/regulations/{id}/changes", Who::Maintainers),
    ("POST", "/api/v1/legislation/plans", Who::Maintainers),
    ("POST", "/api/v1/legislation/plans/{id}/items", Who::Maintainers),
    ("POST", "/api/v1/legislation/projects", Who::Maintainers),
    ("POST", "/api/v1/legislation/drafts/{id}/events", Who::Maintainers),
    ("POST", "/api/v1/legislation/events/{id}/opinions", Who::Maintainers),
    ("POST", "/api/v1/legislation/drafts/{id}/readings", Who::Maintainers),
    ("POST", "/api/v1/legislation/drafts/{id}/regulation", Who::Maintainers),
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `(METHOD, path)` of every route the source registers with an unsafe method.
fn write_routes_in_source() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for chunk in text.split(".route(").skip(1) {
            // A path that is not a literal (a constant) cannot be checked: it is reported as
            // such, so the route is written out where it is registered.
            let path = match chunk.trim_start().strip_prefix('"').and_then(|c| c.split('"').next()) {
                Some(p) => p.to_string(),
                None => format!("<not a literal: {}>", chunk.split(',').next().unwrap_or("").trim()),
            };
            // The route's handlers run to the end of the call: up to the next route or statement.
            let call = chunk.split(";").next().unwrap_or(chunk);
            for (needle, method) in [("post(", "POST"), ("patch(", "PATCH"), ("put(", "PUT"), ("delete(", "DELETE")] {
                let found = call.match_indices(needle).any(|(i, _)| {
                    i == 0 || !call.as_bytes()[i - 1].is_ascii_alphanumeric() && call.as_bytes()[i - 1] != b'_'
                });
                if found {
                    out.insert((method.to_string(), path.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn every_write_route_is_in_the_matrix() {
    let listed: BTreeSet<(String, String)> =
        WRITE_ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    let found = write_routes_in_source();
    let missing: Vec<_> = found.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&found).collect();
    assert!(missing.is_empty(), "write routes not in the matrix (add them with who may use them): {missing:?}");
    assert!(stale.is_empty(), "routes listed but no longer in the source: {stale:?}");
}

fn concrete(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/")
}

fn refused(status: StatusCode, location: Option<&str>) -> bool {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => true,
        StatusCode::SEE_OTHER | StatusCode::FOUND => location.is_some_and(|l| l.starts_with("/login")),
        _ => false,
    }
}

async fn write_routes_refuse_the_unentitled(app: TestApp) {
    let read = app.token("staff", Scope::Read).await;
    let audit_before = renda::db::scalar_i64(app.db(), "SELECT max(seq) FROM audit_log", vec![]).await.unwrap();
    for (method, path, who) in WRITE_ROUTES {
        let uri = concrete(path);
        // Anonymous, with a valid CSRF cookie and token as any page would give.
        if *who != Who::Public {
            let anon = app.browser().await;
            let csrf = anon.csrf();
            let req = Request::builder()
                .method(*method)
                .uri(&uri)
                .header(header::COOKIE, format!("renda_csrf={csrf}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("x-csrf-token", &csrf)
                .body(Body::from(format!("_csrf={csrf}")))
                .unwrap();
            let r = app.send(req).await;
            if *path != "/logout" {
                assert!(refused(r.status, r.header("location")), "anonymous {method} {path}: {}", r.status);
            }
        }
        // A read-only token, on API and console routes alike.
        let req = Request::builder()
            .method(*method)
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {read}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let r = app.send(req).await;
        if *who != Who::Public {
            assert!(refused(r.status, r.header("location")), "read token {method} {path}: {}", r.status);
        }
        // A leader's malformed loop step is refused as input; nothing is written (checked below).
        if *who == Who::Loop {
            let mut leader = app.login("leader").await;
            let r = if path.starts_with("/api/") {
                leader.api(method, &uri, serde_json::json!({}), true).await
            } else {
                leader.post(&uri, &[("step", "")]).await
            };
            assert!(r.status.is_client_error(), "leader {method} {path}: {}", r.status);
        }
        // A view-only role (常委会领导) writes nothing but its own settings.
        if *who == Who::Maintainers {
            let mut leader = app.login("leader").await;
            let upload = path.ends_with("/import") || path.ends_with("/photo") || path.ends_with("/photos");
            let r = if upload {
                leader.upload(&uri, "file", "a.xlsx", b"PK\x03\x04").await
            } else if path.starts_with("/api/") {
                // A well-formed body, so that the refusal is the authorization's, not the parser's.
                let body = serde_json::json!({
                    "username": "made_by_leader", "display_name": "x", "password": "abcd1234x",
                    "organ_id": 1, "roles": ["admin"]
                });
                leader.api(method, &uri, body, true).await
            } else {
                leader.post(&uri, &[("name", "x"), ("roles", "admin")]).await
            };
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "leader {method} {path}: {} {}",
                r.status,
                r.body.chars().take(200).collect::<String>()
            );
        }
    }
    // Nothing but refusals and sign-ins were written.
    let written = renda::db::query_rows(
        app.db(),
        "SELECT DISTINCT action FROM audit_log WHERE seq > $1",
        vec![audit_before.into()],
    )
    .await
    .unwrap();
    for row in written {
        let action: String = row.try_get_by_index(0).unwrap();
        assert!(matches!(action.as_str(), "access_denied" | "login"), "a refused request wrote {action}");
    }
}
demo_test!(write_routes_refuse_the_unentitled);
