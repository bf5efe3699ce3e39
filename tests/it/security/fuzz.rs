//! Finding 3: every route of the application, as every kind of caller, with malformed
//! bodies, bad ids, huge numbers and strings, control characters and bidi overrides in
//! every field and in query strings — never a 5xx, and the server still answers after.
//!
//! The route list is written out here (from `grep -rn '\.route(' src`); a placeholder's
//! name says which record it takes. Form fields are harvested from the forms the console
//! itself renders, so a new form is fuzzed without touching this file; a new route must be
//! added to `ROUTES` (the test checks that every listed path is one the router knows).

use std::collections::BTreeMap;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use renda::auth::{Role, Scope};

use crate::demo_test;
use crate::support::{Browser, PASSWORD, Resp, TestApp};

/// (methods, path template) for every route of the application.
pub(super) const ROUTES: &[(&str, &str)] = &[
    // Platform
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/static/app.css"),
    ("GET", "/static/app.js"),
    // Public pages, also under /o/{organ code}/…
    ("GET", "/"),
    ("GET", "/find"),
    ("GET", "/o/{organ}/find"),
    ("GET", "/d/{person}"),
    ("GET", "/d/{person}/{view}"),
    ("GET", "/s/{station}"),
    ("GET", "/s/{station}/{view}"),
    ("GET", "/o/{organ}/d/{person}"),
    ("GET", "/o/{organ}/d/{person}/{view}"),
    ("GET", "/o/{organ}/s/{station}"),
    ("GET", "/o/{organ}/s/{station}/{view}"),
    ("GET", "/files/{attachment}"),
    // API
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/me"),
    ("GET POST", "/api/v1/accounts"),
    ("GET PATCH", "/api/v1/accounts/{account}"),
    ("GET", "/api/v1/organs"),
    ("GET", "/api/v1/areas"),
    ("GET", "/api/v1/deputies"),
    ("GET", "/api/v1/deputies/{person}"),
    ("GET", "/api/v1/stations"),
    ("GET", "/api/v1/stations/nearest"),
    ("GET", "/api/v1/stations/{station}"),
    ("GET", "/api/v1/stations/{station}/schedule"),
    ("GET", "/api/v1/popolo.json"),
    // Sign-in and the account's own pages
    ("GET POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/console"),
    ("GET", "/console/inbox"),
    ("POST", "/console/inbox/{notice}/read"),
    ("POST", "/console/inbox/read-all"),
    ("GET", "/console/account"),
    ("POST", "/console/account/password"),
    ("GET POST", "/console/account/totp"),
    ("POST", "/console/account/totp/disable"),
    ("POST", "/console/account/tokens"),
    ("POST", "/console/account/tokens/{token}/revoke"),
    // Administration
    ("GET POST", "/console/admin/organs"),
    ("GET", "/console/admin/organs/new"),
    ("GET POST", "/console/admin/organs/{organ_id}"),
    ("GET POST", "/console/admin/areas"),
    ("GET POST", "/console/admin/areas/{area}"),
    ("GET POST", "/console/admin/areas/import"),
    ("GET", "/console/admin/areas/import/template"),
    ("GET POST", "/console/admin/accounts"),
    ("GET", "/console/admin/accounts/new"),
    ("GET POST", "/console/admin/accounts/{account}"),
    ("POST", "/console/admin/accounts/{account}/reset-password"),
    ("GET", "/console/admin/audit"),
    // Registry: deputies
    ("GET POST", "/console/registry/deputies"),
    ("GET", "/console/registry/deputies/export"),
    ("GET", "/console/registry/deputies/new"),
    ("GET POST", "/console/registry/deputies/{person}"),
    ("GET", "/console/registry/deputies/{person}/edit"),
    ("POST", "/console/registry/deputies/{person}/photo"),
    ("GET", "/console/registry/me"),
    ("POST", "/console/registry/deputies/{person}/mandates"),
    ("POST", "/console/registry/deputies/{person}/mandates/{mandate}/end"),
    ("GET POST", "/console/registry/deputies/{person}/voters"),
    ("POST", "/console/registry/deputies/{person}/voters/{voter_link}/remove"),
    // Registry: stations
    ("GET POST", "/console/registry/station-types"),
    ("GET POST", "/console/registry/stations"),
    ("GET", "/console/registry/stations/export"),
    ("GET", "/console/registry/stations/new"),
    ("GET POST", "/console/registry/stations/{station}"),
    ("GET", "/console/registry/stations/{station}/edit"),
    ("POST", "/console/registry/stations/{station}/deputies"),
    ("POST", "/console/registry/stations/{station}/deputies/{person}/remove"),
    ("POST", "/console/registry/stations/{station}/rules"),
    ("POST", "/console/registry/stations/{station}/rules/{rule}/remove"),
    ("POST", "/console/registry/stations/{station}/photos"),
    ("POST", "/console/registry/stations/{station}/photos/{photo}/remove"),
    // Registry: groups, committees, links, grids, roles
    ("GET POST", "/console/registry/groups"),
    ("GET", "/console/registry/groups/export"),
    ("GET", "/console/registry/groups/{group}"),
    ("POST", "/console/registry/groups/{group}/members"),
    ("POST", "/console/registry/groups/{group}/members/{person}/remove"),
    ("GET POST", "/console/registry/committees"),
    ("GET", "/console/registry/committees/export"),
    ("GET", "/console/registry/committees/{committee}"),
    ("POST", "/console/registry/committees/{committee}/members"),
    ("POST", "/console/registry/committees/{committee}/members/{person}/remove"),
    ("GET POST", "/console/registry/links"),
    ("GET", "/console/registry/links/export"),
    ("POST", "/console/registry/links/{link}/remove"),
    ("GET POST", "/console/registry/grids"),
    ("GET", "/console/registry/grids/export"),
    ("GET", "/console/registry/grids/{grid}"),
    ("POST", "/console/registry/grids/{grid}/members"),
    ("POST", "/console/registry/grids/{grid}/members/{grid_member}/remove"),
    ("GET POST", "/console/registry/roles"),
    ("GET", "/console/registry/roles/export"),
    ("GET", "/console/registry/roles/{role_name}"),
    ("POST", "/console/registry/roles/{role_name}/holders"),
    ("POST", "/console/registry/roles/{role_name}/holders/{person}/remove"),
    // Registry: roster import
    ("GET POST", "/console/registry/import"),
    ("POST", "/console/registry/import/confirm"),
    ("GET", "/console/registry/import/template"),
    ("GET", "/console/registry/import/roster"),
    // Registry: more
    ("POST", "/console/registry/deputies/bulk"),
    ("POST", "/console/registry/stations/{station}/slots/{slot}/change"),
    // 民意: public
    ("GET POST", "/opinions/new"),
    ("GET", "/opinions/receipt"),
    ("GET POST", "/track"),
    ("POST", "/track/rate"),
    ("POST", "/track/photo"),
    ("GET POST", "/track/lost"),
    ("GET", "/public"),
    // 民意: console
    ("GET", "/console/opinions"),
    ("GET POST", "/console/opinions/new"),
    ("GET", "/console/opinions/stats"),
    ("GET", "/console/opinions/item/{item}"),
    ("GET", "/console/opinions/{opinion}"),
    ("POST", "/console/opinions/{opinion}/category"),
    ("POST", "/console/opinions/{opinion}/contact"),
    ("POST", "/console/opinions/{opinion}/followers"),
    ("GET POST", "/console/opinions/{opinion}/publish"),
    ("POST", "/console/opinions/{opinion}/unpublish"),
    ("GET POST", "/console/opinions/import"),
    ("POST", "/console/opinions/import/mappings"),
    ("POST", "/console/opinions/import/mappings/{mapping}/remove"),
    ("GET", "/console/opinions/import/runs/{run}"),
    ("GET", "/console/opinions/import/runs/{run}/report"),
    ("GET POST", "/console/opinions/categories"),
    ("POST", "/console/opinions/categories/{category}/toggle"),
    ("POST", "/console/opinions/categories/{category}/up"),
    ("GET POST", "/console/opinions/words"),
    // 民意: API and Open311
    ("GET POST", "/api/v1/opinions"),
    ("GET", "/api/v1/opinions/track/{tracking}"),
    ("POST", "/api/v1/opinions/track/{tracking}/ratings"),
    ("POST", "/api/v1/opinions/track/{tracking}/rating"),
    ("GET", "/api/v1/opinions/{opinion}"),
    ("POST", "/api/v1/opinions/{opinion}/{step}"),
    ("GET", "/api/v1/public/opinions"),
    ("GET", "/api/v1/units"),
    ("GET", "/open311/v2/discovery"),
    ("GET", "/open311/v2/discovery.json"),
    ("GET", "/open311/v2/services"),
    ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/services/{service_code}"),
    ("GET POST", "/open311/v2/requests"),
    ("GET POST", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests/{tracking}"),
    ("GET", "/open311/v2/tokens/{open311_token}"),
    ("GET", "/open311/v2/servicerequestupdates"),
    ("GET", "/open311/v2/servicerequestupdates.json"),
    // The handling loop and the working-day calendar
    ("GET", "/console/handling/{item}"),
    ("POST", "/console/handling/{item}/step"),
    ("POST", "/console/handling/{item}/progress"),
    ("GET POST", "/console/handling/settings"),
    ("POST", "/console/handling/{item}/replies/{reply}/letter"),
    ("GET POST", "/console/handling/rules"),
    ("GET POST", "/console/calendar"),
    ("POST", "/console/calendar/{day}/remove"),
    ("POST", "/console/calendar/notice"),
    ("POST", "/console/calendar/notice/save"),
    ("POST", "/console/calendar/confirm"),
    // Receptions
    ("GET POST", "/api/v1/receptions"),
    ("GET", "/console/receptions"),
    ("GET POST", "/console/receptions/new"),
    ("GET", "/console/receptions/summary"),
    ("GET", "/console/receptions/{reception}"),
    ("POST", "/console/receptions/{reception}/items"),
    ("POST", "/console/receptions/{reception}/items/{reception_item}/fulfil"),
    // Appointments
    ("GET POST", "/appointments/new"),
    ("GET POST", "/appointments/track"),
    ("POST", "/appointments/track/act"),
    ("GET POST", "/api/v1/appointments"),
    ("GET", "/api/v1/appointments/track/{booking}"),
    ("GET", "/console/appointments"),
    ("GET POST", "/console/appointments/new"),
    ("GET", "/console/appointments/{appointment}"),
    ("POST", "/console/appointments/{appointment}/step"),
    // Suggestions
    ("GET", "/console/suggestions"),
    ("GET POST", "/console/suggestions/new"),
    ("POST", "/console/suggestions/assign"),
    ("GET", "/console/suggestions/stats"),
    ("GET", "/console/suggestions/notice"),
    ("GET", "/console/suggestions/mine"),
    ("GET", "/console/suggestions/report"),
    ("GET", "/console/suggestions/my-record"),
    ("GET", "/console/suggestions/deputy/{person}"),
    ("GET", "/console/suggestions/item/{item}"),
    ("GET", "/console/suggestions/{suggestion}"),
    ("POST", "/console/suggestions/{suggestion}/act"),
    ("GET POST", "/console/suggestions/{suggestion}/edit"),
    ("POST", "/console/suggestions/{suggestion}/files"),
    ("POST", "/console/suggestions/{suggestion}/files/{attachment}/remove"),
    ("POST", "/console/suggestions/{suggestion}/share"),
    ("POST", "/console/suggestions/{suggestion}/comments"),
    ("POST", "/console/suggestions/{suggestion}/references"),
    ("GET POST", "/api/v1/suggestions"),
    ("GET", "/api/v1/suggestions/stats"),
    ("GET", "/api/v1/suggestions/deputies/{person}"),
    ("POST", "/api/v1/suggestions/carry-over"),
    ("POST", "/api/v1/suggestions/assign"),
    ("GET POST", "/console/suggestions/sessions"),
    ("POST", "/console/suggestions/sessions/{suggestion_session}/close"),
    ("POST", "/console/suggestions/rules"),
    ("GET POST", "/api/v1/suggestions/sessions"),
    ("POST", "/api/v1/suggestions/sessions/{suggestion_session}/close"),
    ("GET POST", "/console/suggestions/carry-over"),
    ("GET PATCH", "/api/v1/suggestions/{suggestion}"),
    ("POST", "/api/v1/suggestions/{suggestion}/share"),
    ("POST", "/api/v1/suggestions/{suggestion}/comments"),
    ("POST", "/api/v1/suggestions/{suggestion}/references"),
    ("POST", "/console/suggestions/carry-over"),
    ("GET POST", "/console/suggestions/import"),
    ("POST", "/console/suggestions/import/confirm"),
    ("GET", "/api/v1/suggestions/{suggestion}"),
    ("POST", "/api/v1/suggestions/{suggestion}/cosign"),
    ("POST", "/api/v1/suggestions/{suggestion}/submit"),
    ("POST", "/api/v1/suggestions/{suggestion}/register"),
    ("POST", "/api/v1/suggestions/{suggestion}/{step}"),
    ("GET POST", "/console/suggestions/evaluations"),
    ("GET", "/console/suggestions/evaluations/{ballot}"),
    ("POST", "/console/suggestions/evaluations/{ballot}/vote"),
    ("POST", "/console/suggestions/evaluations/{ballot}/act"),
    ("GET", "/console/suggestions/evaluations/{ballot}/export"),
    ("POST", "/console/suggestions/evaluations/{ballot}/send"),
    ("GET", "/console/suggestions/evaluations/sendings/{sending}/file"),
    ("GET", "/console/suggestions/group-evaluations"),
    ("GET POST", "/console/suggestions/group-evaluations/{group}"),
    ("GET", "/console/suggestions/visits/new"),
    ("POST", "/console/suggestions/visits"),
    ("GET", "/evaluations"),
    ("GET", "/evaluations/{ballot}"),
    ("GET", "/api/v1/ballots"),
    ("GET", "/api/v1/ballots/{ballot}"),
    ("POST", "/api/v1/ballots/{ballot}/votes"),
    ("POST", "/api/v1/ballots/{ballot}/close"),
    ("POST", "/api/v1/ballots/{ballot}/open"),
    ("POST", "/api/v1/ballots/{ballot}/publish"),
    // Meetings (issue 19). The two event streams of a signed-in caller —
    // `/api/v1/ballots/{ballot}/events` and `/console/meetings/{meeting}/live` — never end
    // while their ballot or meeting runs, so a whole-body reader cannot probe them; they are
    // tested in `meetings::live`. The hall's stream needs the display key, which no caller here
    // has: it answers 404 at once and is probed.
    ("GET POST", "/api/v1/meetings"),
    ("GET", "/api/v1/meetings/{meeting}"),
    ("POST", "/api/v1/meetings/{meeting}/attendance"),
    ("POST", "/api/v1/meetings/{meeting}/presidium"),
    ("POST", "/api/v1/meetings/{meeting}/ballots"),
    ("POST", "/api/v1/meetings/{meeting}/records"),
    ("GET", "/api/v1/meeting-records"),
    ("GET", "/api/v1/meeting-records/{record}"),
    ("POST", "/api/v1/meeting-records/{record}/notes"),
    ("GET POST", "/console/meetings"),
    ("GET", "/console/meetings/new"),
    ("GET", "/console/meetings/register"),
    ("GET", "/console/meetings/{meeting}"),
    ("POST", "/console/meetings/{meeting}/attendance"),
    ("POST", "/console/meetings/{meeting}/checkin"),
    ("POST", "/console/meetings/{meeting}/presidium"),
    ("POST", "/console/meetings/{meeting}/presidium/{person}/remove"),
    ("POST", "/console/meetings/{meeting}/state"),
    ("POST", "/console/meetings/{meeting}/items"),
    ("POST", "/console/meetings/{meeting}/items/{meeting_item}/files"),
    ("POST", "/console/meetings/{meeting}/items/{meeting_item}/files/{attachment}/remove"),
    ("POST", "/console/meetings/{meeting}/ballots"),
    ("GET", "/console/meetings/{meeting}/ballots/{meeting_ballot}"),
    ("POST", "/console/meetings/{meeting}/ballots/{meeting_ballot}/vote"),
    ("POST", "/console/meetings/{meeting}/ballots/{meeting_ballot}/act"),
    ("POST", "/console/meetings/{meeting}/hall"),
    ("GET", "/console/meetings/{meeting}/door"),
    ("POST", "/console/meetings/{meeting}/stream"),
    ("POST", "/console/meetings/{meeting}/remarks"),
    ("POST", "/console/meetings/{meeting}/remarks/{remark}"),
    ("POST", "/console/meetings/{meeting}/records"),
    ("POST", "/console/meetings/{meeting}/records/{record}/notes"),
    ("GET", "/hall/{meeting}"),
    ("GET", "/hall/{meeting}/events"),
    // Webhooks
    ("POST", "/api/v1/webhooks/inbound/{webhook}"),
    ("GET POST", "/console/webhooks"),
    ("GET POST", "/console/webhooks/{webhook}"),
    ("POST", "/console/webhooks/deliveries/{delivery}/retry"),
    // System: more
    ("GET", "/console/sms"),
    ("POST", "/console/account/confirm"),
    ("GET", "/console/admin/audit/export"),
    ("GET", "/console/admin/accounts/lookup"),
    // Handling units
    ("GET POST", "/console/registry/units"),
    ("GET", "/console/registry/units/export"),
    ("GET", "/console/registry/units/new"),
    ("GET POST", "/console/registry/units/{unit}"),
    ("GET", "/console/registry/units/{unit}/edit"),
    ("POST", "/console/registry/units/{unit}/contacts"),
    ("POST", "/console/registry/units/{unit}/contacts/{contact}/remove"),
    // 立法 and 码上立法
    ("GET", "/console/legislation"),
    ("GET POST", "/console/legislation/new"),
    ("POST", "/console/legislation/new/file"),
    ("GET", "/console/legislation/compare"),
    ("GET", "/console/legislation/versions/{leg_version}"),
    ("POST", "/console/legislation/versions/{leg_version}/publish"),
    ("POST", "/console/legislation/opinions/{leg_opinion}/disposition"),
    ("POST", "/console/legislation/opinions/{leg_opinion}/moderate"),
    ("GET", "/console/legislation/{leg_draft}"),
    ("GET POST", "/console/legislation/{leg_draft}/versions"),
    ("POST", "/console/legislation/{leg_draft}/versions/file"),
    ("GET", "/console/legislation/{leg_draft}/opinions"),
    ("GET", "/l/{leg_draft}"),
    ("GET POST", "/l/{leg_draft}/comment"),
    ("GET", "/l/{leg_draft}/{leg_view}"),
    ("GET POST", "/api/v1/legislation/drafts"),
    ("GET", "/api/v1/legislation/drafts/{leg_draft}"),
    ("POST", "/api/v1/legislation/drafts/{leg_draft}/versions"),
    ("GET", "/api/v1/legislation/versions/{leg_version}"),
    ("GET", "/api/v1/legislation/compare"),
    ("GET POST", "/api/v1/legislation/versions/{leg_version}/comments"),
    ("POST", "/api/v1/legislation/opinions/{leg_opinion}/disposition"),
    ("POST", "/console/legislation/{leg_draft}/tasks"),
    ("GET", "/console/legislation/tasks"),
    ("GET", "/console/legislation/tasks/{leg_task}"),
    ("POST", "/console/legislation/tasks/{leg_task}/lines"),
    ("POST", "/console/legislation/tasks/{leg_task}/lines/{leg_opinion}/remove"),
    ("POST", "/console/legislation/tasks/{leg_task}/answer"),
    ("GET POST", "/console/legislation/experts"),
    ("GET POST", "/console/legislation/plans"),
    ("GET", "/console/legislation/plans/{leg_plan}"),
    ("POST", "/console/legislation/plans/{leg_plan}/items"),
    ("POST", "/console/legislation/plan-items/{leg_plan_item}/status"),
    ("GET POST", "/console/legislation/projects"),
    ("POST", "/console/legislation/projects/{leg_project}/argue"),
    ("POST", "/console/legislation/projects/{leg_project}/steps"),
    ("POST", "/console/legislation/plans/{leg_plan}/edit"),
    ("POST", "/console/legislation/plan-items/{leg_plan_item}/edit"),
    ("GET POST", "/console/legislation/{leg_draft}/events"),
    ("GET", "/console/legislation/events/{leg_event}"),
    ("POST", "/console/legislation/events/{leg_event}/record"),
    ("POST", "/console/legislation/events/{leg_event}/opinions"),
    ("POST", "/console/legislation/speakers/{leg_speaker}/state"),
    ("GET POST", "/l/{leg_draft}/events/{leg_event}"),
    ("GET", "/console/legislation/{leg_draft}/passage"),
    ("POST", "/console/legislation/{leg_draft}/readings"),
    ("POST", "/console/legislation/{leg_draft}/regulation"),
    ("GET", "/console/legislation/regulations"),
    ("GET", "/console/legislation/regulations/{leg_regulation}"),
    ("POST", "/console/legislation/regulations/{leg_regulation}/rules"),
    ("POST", "/console/legislation/rules/{leg_rule}/status"),
    ("POST", "/console/legislation/regulations/{leg_regulation}/interpretations"),
    ("POST", "/console/legislation/regulations/{leg_regulation}/changes"),
    ("GET", "/regulations"),
    ("GET", "/regulations/{leg_regulation}"),
    ("GET", "/api/v1/regulations"),
    ("GET", "/api/v1/regulations/{leg_regulation}"),
    ("POST", "/api/v1/regulations/{leg_regulation}/changes"),
    ("POST", "/api/v1/legislation/drafts/{leg_draft}/readings"),
    ("POST", "/api/v1/legislation/drafts/{leg_draft}/regulation"),
    ("GET POST", "/api/v1/legislation/plans"),
    ("GET PATCH", "/api/v1/legislation/plans/{leg_plan}"),
    ("PATCH", "/api/v1/legislation/plan-items/{leg_plan_item}"),
    ("POST", "/api/v1/legislation/projects/{leg_project}/steps"),
    ("POST", "/api/v1/legislation/plans/{leg_plan}/items"),
    ("GET POST", "/api/v1/legislation/projects"),
    ("GET POST", "/api/v1/legislation/drafts/{leg_draft}/events"),
    ("POST", "/api/v1/legislation/events/{leg_event}/opinions"),
];

/// Routes whose POST takes a `multipart/form-data` upload (field `file`).
const UPLOADS: &[&str] = &[
    "/console/admin/areas/import",
    "/console/registry/import",
    "/console/suggestions/import",
    "/console/registry/stations/{station}/photos",
    "/console/registry/deputies/{person}/photo",
    "/console/legislation/new/file",
    "/console/legislation/{leg_draft}/versions/file",
];

/// Ids that are not records: zero, negative, not a number, past i64, float syntax, and
/// percent-encoded control and bidi characters.
const BAD_IDS: &[&str] = &["0", "-1", "abc", "99999999999999999999", "1e9", "%00", "%1B", "%E2%80%AE", "%C2%A0"];

/// Values put into fields and query parameters.
const NASTY: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "\u{1b}[31m红\u{1b}[0m",
    "\u{202e}gpj.exe",
    "\u{7f}\u{85}",
    "\r\nX-Injected: 1",
    "",
    "0",
    "-1",
    "abc",
    "99999999999999999999",
    "-9223372036854775808",
    "9223372036854775807",
    "1e9",
    "1e999",
    "NaN",
    "-inf",
    "1.5",
    "２０２４",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00%0d%0a",
    "../../etc/passwd",
    "2024-02-30",
    "99:99",
    "\u{feff}\u{200b}",
    "/\t/evil.example",
    "/\r\nX-Injected: 1",
    "/张三",
];

/// Query parameter names the handlers read (every `…Query` struct of the source).
const QUERY_NAMES: &[&str] = &[
    "active", "after", "area", "cursor", "format", "former", "from", "group", "kind", "lat", "level", "limit", "lng",
    "next", "offset", "organ", "parent", "q", "role", "sort", "station", "tag", "term", "to", "type", "page", "code",
];

/// Field names of the JSON API bodies.
const JSON_FIELDS: &[&str] = &[
    "username",
    "display_name",
    "password",
    "organ_id",
    "roles",
    "phone",
    "disabled",
    "unit_id",
    "deputy_id",
    "station_id",
];

/// A caller: a browser session (its CSRF token sent as a header on unsafe methods, as the
/// scripts of the pages do), a bearer token, or a browser with no session.
enum Who<'a> {
    Browser(&'a Browser<'a>),
    Bearer(&'a str),
}

struct Fuzz<'a> {
    app: &'a TestApp,
    failures: Vec<String>,
    sent: usize,
    /// Requests and seconds by caller, status, method and path (`FUZZ_STATS=1` prints them).
    stats: BTreeMap<String, (usize, f64)>,
    turn: usize,
}

impl<'a> Fuzz<'a> {
    fn new(app: &'a TestApp) -> Fuzz<'a> {
        Fuzz { app, failures: Vec::new(), sent: 0, stats: BTreeMap::new(), turn: 0 }
    }

    /// The next of `list`, in turn: every value is used, spread over the routes.
    fn pick<'v, T>(&mut self, list: &'v [T]) -> &'v T {
        self.turn += 1;
        &list[self.turn % list.len()]
    }

    fn absorb(&mut self, other: Fuzz<'_>) {
        self.sent += other.sent;
        self.failures.extend(other.failures);
        for (k, (n, t)) in other.stats {
            let e = self.stats.entry(k).or_default();
            e.0 += n;
            e.1 += t;
        }
    }

    async fn send(&mut self, who: &Who<'_>, label: &str, method: &str, path: &str, ctype: Option<&str>, body: Vec<u8>) {
        let mut req = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
        match who {
            Who::Browser(b) => {
                let cookies = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
                req = req.header(header::COOKIE, cookies);
                if method != "GET" {
                    req = req.header("x-csrf-token", b.csrf());
                }
            }
            Who::Bearer(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
        }
        if let Some(c) = ctype {
            req = req.header(header::CONTENT_TYPE, c);
        }
        let sent_body: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        let req = match req.body(Body::from(body)) {
            Ok(r) => r,
            // Not sendable over HTTP at all (e.g. a raw control character in the path).
            Err(_) => return,
        };
        self.sent += 1;
        let t0 = Instant::now();
        let r: Resp = self.app.send(req).await;
        let key = format!(
            "{label} {} {method} {}",
            r.status.as_u16(),
            path.split('?').next().unwrap().chars().take(60).collect::<String>()
        );
        let e = self.stats.entry(key).or_default();
        e.0 += 1;
        e.1 += t0.elapsed().as_secs_f64();
        if r.status.is_server_error() {
            let excerpt: String = r.body.chars().take(300).collect();
            self.failures.push(format!("{label} {method} {path} {sent_body:?} → {}: {excerpt}", r.status));
        }
    }

    async fn form(&mut self, who: &Who<'_>, label: &str, path: &str, fields: &[(String, String)]) {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(who, label, "POST", path, Some("application/x-www-form-urlencoded"), body.into_bytes()).await;
    }
}

fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The path of a template with every placeholder filled from `ids`, or one placeholder
/// (`bad_at`) replaced by a bad value.
pub(super) fn fill(template: &str, ids: &BTreeMap<&str, String>, bad: Option<(usize, &str)>) -> String {
    let mut n = 0;
    template
        .split('/')
        .map(|seg| {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                n += 1;
                match bad {
                    Some((at, v)) if at == n - 1 => v.to_string(),
                    _ => ids.get(name).cloned().unwrap_or_else(|| panic!("no id for {{{name}}}")),
                }
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn placeholders(template: &str) -> usize {
    template.split('/').filter(|s| s.starts_with('{')).count()
}

/// The route template an action path belongs to (literal segments win over placeholders).
fn template_of(action: &str) -> Option<&'static str> {
    let path = action.split('?').next().unwrap_or(action);
    let segs: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .map(|(_, t)| *t)
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len() && ts.iter().zip(&segs).all(|(a, b)| a.starts_with('{') || a == b)
        })
        .min_by_key(|t| placeholders(t))
}

/// A plausible value for a field the form left empty, so that the fuzzed field is read
/// past the "required" checks.
fn plausible(name: &str, n: usize, ids: &BTreeMap<&str, String>) -> String {
    let name = name.to_ascii_lowercase();
    let id = |k: &str| ids.get(k).cloned().unwrap_or_else(|| "1".into());
    if name.contains("date") || name == "from" || name == "to" || name.contains("birth") {
        "2024-03-01".into()
    } else if name.contains("time") || name == "start" || name == "end" {
        "09:00".into()
    } else if name == "lat" {
        "35.99".into()
    } else if name == "lng" {
        "119.41".into()
    } else if name.contains("phone") || name.contains("mobile") {
        "13912345678".into()
    } else if name.contains("password") {
        "fuzzpass123".into()
    } else if name == "username" {
        format!("fuzz{n}")
    } else if name == "code" {
        format!("3707829{n:05}")
    } else if name.contains("person") || name.contains("deputy") {
        id("person")
    } else if name.contains("organ") {
        id("organ_id")
    } else if name.contains("area") {
        id("area")
    } else if name.contains("station") {
        id("station")
    } else if name.contains("unit") {
        id("unit")
    } else if name.contains("term") || name.contains("count") || name.contains("number") {
        "1".into()
    } else {
        format!("测试{n}")
    }
}

/// Forms the console renders: template → fields (name, value as rendered, or plausible).
async fn harvest(b: &mut Browser<'_>, ids: &BTreeMap<&str, String>) -> BTreeMap<&'static str, Vec<(String, String)>> {
    let form_sel = scraper::Selector::parse("form").unwrap();
    let field_sel = scraper::Selector::parse("input[name], select[name], textarea[name]").unwrap();
    let option_sel = scraper::Selector::parse("option").unwrap();
    let mut forms: BTreeMap<&'static str, Vec<(String, String)>> = BTreeMap::new();
    let mut n = 0;
    for (methods, template) in ROUTES {
        if !methods.contains("GET") || slow(template) {
            continue;
        }
        let page = b.get(&fill(template, ids, None)).await;
        if page.status != StatusCode::OK || !page.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            continue;
        }
        let html = page.html();
        for form in html.select(&form_sel) {
            let method = form.value().attr("method").unwrap_or("get").to_ascii_lowercase();
            let Some(action) = form.value().attr("action") else { continue };
            let Some(t) = template_of(action) else { continue };
            if method != "post" || forms.contains_key(t) {
                continue;
            }
            let mut fields = Vec::new();
            for f in form.select(&field_sel) {
                let name = f.value().attr("name").unwrap_or("").to_string();
                let kind = f.value().attr("type").unwrap_or("").to_ascii_lowercase();
                if name == "_csrf" || kind == "file" || kind == "submit" {
                    continue;
                }
                let value = match f.value().name() {
                    "select" => f
                        .select(&option_sel)
                        .filter_map(|o| o.value().attr("value"))
                        .find(|v| !v.is_empty())
                        .unwrap_or("")
                        .to_string(),
                    "textarea" => f.text().collect(),
                    _ => f.value().attr("value").unwrap_or("").to_string(),
                };
                if (kind == "checkbox" || kind == "radio") && fields.iter().any(|(k, _): &(String, String)| *k == name)
                {
                    continue;
                }
                n += 1;
                let value = if value.is_empty() { plausible(&name, n, ids) } else { value };
                fields.push((name, value));
            }
            forms.insert(t, fields);
        }
    }
    forms
}

async fn first_id(app: &TestApp, sql: &str) -> String {
    let v = renda::db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or(0);
    if v > 0 { v.to_string() } else { "1".into() }
}

pub(super) async fn ids(app: &TestApp) -> BTreeMap<&'static str, String> {
    let mut ids = BTreeMap::new();
    let code = renda::db::query_rows(
        app.db(),
        "SELECT code FROM organs WHERE external = $1 AND parent_id IS NOT NULL ORDER BY id LIMIT 1",
        vec![false.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    ids.insert("organ", code);
    ids.insert("view", "card".to_string());
    let one = |sql: &'static str| async move { first_id(app, sql).await };
    ids.insert("person", one("SELECT min(person_id) FROM mandates WHERE status = 'serving'").await);
    ids.insert("station", one("SELECT min(id) FROM stations").await);
    ids.insert("attachment", one("SELECT min(id) FROM attachments").await);
    ids.insert("notice", one("SELECT min(id) FROM notifications").await);
    ids.insert("organ_id", one("SELECT min(id) FROM organs WHERE parent_id IS NOT NULL AND external = false").await);
    ids.insert("area", one("SELECT max(id) FROM areas").await);
    ids.insert("mandate", one("SELECT min(id) FROM mandates").await);
    ids.insert("voter_link", one("SELECT min(id) FROM contact_links").await);
    ids.insert("rule", one("SELECT min(id) FROM duty_rules").await);
    ids.insert("photo", one("SELECT min(id) FROM attachments").await);
    ids.insert("group", one("SELECT min(id) FROM deputy_groups").await);
    ids.insert("committee", one("SELECT min(id) FROM committees").await);
    ids.insert("link", one("SELECT min(id) FROM contact_links").await);
    ids.insert("grid", one("SELECT min(id) FROM grids").await);
    ids.insert("grid_member", one("SELECT min(id) FROM memberships WHERE grid_id IS NOT NULL").await);
    ids.insert("role_name", one("SELECT min(id) FROM role_names").await);
    ids.insert("unit", one("SELECT min(id) FROM handling_units").await);
    ids.insert("contact", one("SELECT min(id) FROM unit_contacts").await);
    ids.insert("slot", one("SELECT min(id) FROM duty_slots").await);
    ids.insert("item", one("SELECT min(item_id) FROM opinions").await);
    ids.insert("opinion", one("SELECT min(id) FROM opinions").await);
    ids.insert("mapping", one("SELECT min(id) FROM import_mappings").await);
    ids.insert("run", one("SELECT min(id) FROM import_runs").await);
    ids.insert("category", one("SELECT max(id) FROM opinion_categories").await);
    ids.insert("reception", one("SELECT min(id) FROM receptions").await);
    ids.insert("reception_item", one("SELECT min(id) FROM reception_items").await);
    ids.insert("appointment", one("SELECT min(id) FROM appointments").await);
    ids.insert("webhook", one("SELECT min(id) FROM webhook_endpoints").await);
    ids.insert("delivery", one("SELECT min(id) FROM webhook_deliveries").await);
    ids.insert("suggestion", one("SELECT min(id) FROM suggestions").await);
    ids.insert("suggestion_session", one("SELECT min(id) FROM suggestion_sessions").await);
    ids.insert("ballot", one("SELECT max(id) FROM ballots").await);
    ids.insert("sending", one("SELECT min(id) FROM evaluation_sendings").await);
    ids.insert("meeting", one("SELECT min(meeting_id) FROM meeting_ballots").await);
    ids.insert(
        "meeting_ballot",
        one("SELECT min(ballot_id) FROM meeting_ballots WHERE meeting_id = (SELECT min(meeting_id) FROM meeting_ballots)").await,
    );
    ids.insert("remark", one("SELECT min(id) FROM meeting_remarks").await);
    ids.insert(
        "meeting_item",
        one("SELECT min(id) FROM meeting_items WHERE meeting_id = (SELECT min(meeting_id) FROM meeting_ballots)").await,
    );
    ids.insert("record", one("SELECT min(id) FROM meeting_records").await);
    ids.insert("reply", one("SELECT min(id) FROM handling_replies").await);
    ids.insert("leg_draft", one("SELECT min(draft_id) FROM leg_versions WHERE published_at IS NOT NULL").await);
    ids.insert("leg_version", one("SELECT min(id) FROM leg_versions").await);
    ids.insert("leg_opinion", one("SELECT min(id) FROM leg_opinions").await);
    ids.insert("leg_view", "poster".to_string());
    ids.insert("leg_task", one("SELECT max(id) FROM leg_tasks").await);
    ids.insert("leg_plan", one("SELECT min(id) FROM leg_plans").await);
    ids.insert("leg_plan_item", one("SELECT min(id) FROM leg_plan_items").await);
    ids.insert("leg_project", one("SELECT min(id) FROM leg_projects").await);
    ids.insert(
        "leg_event",
        one("SELECT max(id) FROM leg_events WHERE draft_id = (SELECT min(draft_id) FROM leg_versions WHERE published_at IS NOT NULL)")
            .await,
    );
    ids.insert("leg_speaker", one("SELECT min(id) FROM leg_event_speakers").await);
    ids.insert("leg_regulation", one("SELECT min(id) FROM leg_regulations").await);
    ids.insert("leg_rule", one("SELECT min(id) FROM leg_rules").await);
    let text = |sql: &'static str| async move {
        renda::db::query_rows(app.db(), sql, vec![])
            .await
            .unwrap()
            .first()
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .unwrap_or_else(|| "X".into())
    };
    ids.insert("tracking", text("SELECT min(tracking_no) FROM opinions").await);
    ids.insert("booking", text("SELECT min(booking_no) FROM appointments").await);
    ids.insert("step", "assign".to_string());
    ids.insert("service_code", "urban_rural".to_string());
    ids.insert("open311_token", "t1".to_string());
    ids.insert("day", "2026-10-01".to_string());
    // Records the fuzz may change freely: an account and a token of its own.
    ids.insert("account", one("SELECT id FROM accounts WHERE username = 'fuzz-victim'").await);
    ids.insert("token", one("SELECT max(id) FROM api_tokens WHERE name = 'fuzz-victim'").await);
    ids
}

fn json_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "{",
        "{\"username\":",
        "[1,2",
        "null",
        "\"text\"",
        "[]",
        "{}",
        "{\"username\": \"\\u0000\"}",
        "{\"organ_id\": 1e400}",
        "{\"organ_id\": 99999999999999999999}",
        "\u{feff}{}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(vec![0xff, 0xfe, 0x00, 0x7b]);
    bodies.push(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes());
    let good = serde_json::json!({
        "username": "fuzzjson", "display_name": "模糊", "password": "fuzzpass123",
        "organ_id": 1, "roles": ["staff"], "phone": "13912345678",
    });
    let wrong: Vec<serde_json::Value> = vec![
        serde_json::json!(null),
        serde_json::json!(true),
        serde_json::json!(-1),
        serde_json::json!(0),
        serde_json::json!(i64::MIN),
        serde_json::json!(u64::MAX),
        serde_json::json!(1.5e300),
        serde_json::json!("\u{0}\u{1b}\u{202e}"),
        serde_json::json!("x".repeat(100_000)),
        serde_json::json!([1, "a", null]),
        serde_json::json!({"a": {"b": 1}}),
        serde_json::json!(["admin", "admin", "nope", "\u{202e}"]),
    ];
    for (i, field) in JSON_FIELDS.iter().enumerate() {
        for k in 0..3 {
            let mut body = good.clone();
            body[*field] = wrong[(i * 3 + k) % wrong.len()].clone();
            body["username"] = serde_json::json!(format!("fuzzjson{i}{k}"));
            if *field == "username" {
                body[*field] = wrong[(i * 3 + k) % wrong.len()].clone();
            }
            bodies.push(body.to_string().into_bytes());
        }
    }
    bodies
}

fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "fuzz-boundary-91c2";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn uploads() -> Vec<(String, Vec<u8>)> {
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0xff; 200]);
    let csv = "区划代码,名称,级别,上级代码\n\u{0},\u{202e}名,x,\n99999999999999999999,a,township,-1\n3707820010011,\u{1b}[31m,community,370782001\n"
        .as_bytes()
        .to_vec();
    let mut out = vec![
        multipart("a.xlsx", &zip),
        multipart("a.csv", &csv),
        multipart("\u{202e}gpj.exe", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        multipart("a\u{0}.png", b"\xff\xd8\xff\xe0"),
        multipart(&"长".repeat(5000), b"x"),
        multipart("empty.xlsx", b""),
    ];
    out.push(("multipart/form-data".into(), b"--x\r\n\r\n".to_vec()));
    out.push(("multipart/form-data; boundary=zz".into(), b"garbage without parts".to_vec()));
    out.push(("application/x-www-form-urlencoded".into(), b"file=abc".to_vec()));
    out
}

/// Routes that build a whole workbook or a long page: asked fewer times.
fn slow(template: &str) -> bool {
    template.ends_with("/export")
        || template.ends_with("/roster")
        || template.ends_with("/template")
        || template.ends_with("/audit")
        || template.ends_with("popolo.json")
}

const MALFORMED: &[(&str, &[u8])] = &[
    ("application/x-www-form-urlencoded", b""),
    ("application/x-www-form-urlencoded", b"%%%&&==&a=%ZZ&b=%E4%BD"),
    ("application/x-www-form-urlencoded", &[0xff, 0xfe, b'=', 0x80]),
    ("application/json", b"[1,"),
    ("text/plain", b"hello"),
];

/// Nasty values without control characters (those stop at the URL check, before any handler).
const PRINTABLE: &[&str] = &[
    "",
    "0",
    "-1",
    "abc",
    "99999999999999999999",
    "-9223372036854775808",
    "1e999",
    "NaN",
    "1.5",
    "２０２４",
    "' OR 1=1 --",
    "<script>",
    "2024-02-30",
    "%00",
    "../x",
];

/// Every route once as this caller, with a rotating bad query or body; with `heavy`, also
/// bad ids in every placeholder, more query values, malformed bodies and a wrong method.
async fn probe_routes(fz: &mut Fuzz<'_>, who: &Who<'_>, label: &str, ids: &BTreeMap<&str, String>, heavy: bool) {
    for (methods, template) in ROUTES {
        if *template == "/logout" {
            continue;
        }
        let path = fill(template, ids, None);
        for method in methods.split(' ') {
            let mut paths = vec![path.clone()];
            if heavy {
                // One bad id per placeholder, taken in turn: every bad id meets every kind of
                // placeholder over the whole list.
                for at in 0..placeholders(template) {
                    paths.push(fill(template, ids, Some((at, *fz.pick(BAD_IDS)))));
                }
            }
            for (i, p) in paths.iter().enumerate() {
                if method == "GET" {
                    let query = if i > 0 || slow(template) && !heavy {
                        String::new()
                    } else {
                        let v = *fz.pick(PRINTABLE);
                        format!(
                            "?{}",
                            QUERY_NAMES.iter().map(|n| format!("{n}={}", pct(v))).collect::<Vec<_>>().join("&")
                        )
                    };
                    fz.send(who, label, "GET", &format!("{p}{query}"), None, Vec::new()).await;
                } else {
                    let (ct, body) = if i > 0 { MALFORMED[0] } else { *fz.pick(MALFORMED) };
                    fz.send(who, label, method, p, Some(ct), body.to_vec()).await;
                }
            }
            if !heavy {
                continue;
            }
            if method == "GET" {
                let rounds = if slow(template) { 0 } else { 1 };
                for _ in 0..rounds {
                    let v = *fz.pick(NASTY);
                    let q = QUERY_NAMES.iter().map(|n| format!("{n}={}", pct(v))).collect::<Vec<_>>().join("&");
                    fz.send(who, label, "GET", &format!("{path}?{q}"), None, Vec::new()).await;
                }
                if !slow(template) {
                    let q = if *fz.pick(&["long", "odd"]) == "long" {
                        let long = "9".repeat(8_000);
                        QUERY_NAMES.iter().map(|n| format!("{n}={long}")).collect::<Vec<_>>().join("&")
                    } else {
                        "q&q&=&&lat=1&lat=2&limit[]=1&limit=%FF".to_string()
                    };
                    fz.send(who, label, "GET", &format!("{path}?{q}"), None, Vec::new()).await;
                }
            } else {
                let (ct, body) = *fz.pick(MALFORMED);
                fz.send(who, label, method, &path, Some(ct), body.to_vec()).await;
            }
        }
        if heavy {
            // A method the route does not have.
            fz.send(who, label, "DELETE", &path, None, Vec::new()).await;
        }
    }
}

/// Every field of every harvested form with bad values (each field in turn with `heavy`,
/// else all fields at once); JSON bodies; uploads.
async fn probe_fields(
    fz: &mut Fuzz<'_>,
    who: &Who<'_>,
    label: &str,
    ids: &BTreeMap<&str, String>,
    forms: &BTreeMap<&'static str, Vec<(String, String)>>,
    heavy: bool,
) {
    let huge = "長".repeat(60_000);
    for (template, fields) in forms {
        if *template == "/logout" {
            continue;
        }
        let path = fill(template, ids, None);
        let with = |name: &str, v: &str| -> Vec<(String, String)> {
            fields.iter().map(|(n, old)| (n.clone(), if n == name { v.to_string() } else { old.clone() })).collect()
        };
        if heavy {
            // Each field in turn, the others as rendered (or plausible).
            for (i, (name, _)) in fields.iter().enumerate() {
                let v = if i == 0 { huge.as_str() } else { *fz.pick(NASTY) };
                fz.form(who, label, &path, &with(name, v)).await;
            }
            // Repeated fields and unknown fields.
            let mut doubled = fields.clone();
            doubled.extend(fields.iter().map(|(n, _)| (n.clone(), "\u{202e}".to_string())));
            doubled.push(("unexpected".into(), "1".into()));
            fz.form(who, label, &path, &doubled).await;
        }
        // Every field with the same value (for a lighter caller, every third form).
        let rounds = if heavy { 1 } else { usize::from(*fz.pick(&[true, false, false])) };
        for _ in 0..rounds {
            let v = *fz.pick(&["\u{0}", "\u{1b}", "\u{202e}", "99999999999999999999", "-1", "abc", ""]);
            let body: Vec<(String, String)> = fields.iter().map(|(n, _)| (n.clone(), v.to_string())).collect();
            fz.form(who, label, &path, &body).await;
        }
        if heavy {
            // The form as rendered (or plausibly filled), twice at once: racing writers.
            let body = serde_urlencoded::to_string(fields).unwrap();
            let mut a = Fuzz::new(fz.app);
            let mut b = Fuzz::new(fz.app);
            let ct = Some("application/x-www-form-urlencoded");
            tokio::join!(
                a.send(who, label, "POST", &path, ct, body.clone().into_bytes()),
                b.send(who, label, "POST", &path, ct, body.into_bytes()),
            );
            fz.absorb(a);
            fz.absorb(b);
        }
    }
    for template in ["/api/v1/accounts", "/api/v1/accounts/{account}"] {
        let path = fill(template, ids, None);
        let method = if template.contains('{') { "PATCH" } else { "POST" };
        for (i, body) in json_bodies().into_iter().enumerate() {
            if heavy || i % 4 == 0 {
                fz.send(who, label, method, &path, Some("application/json"), body).await;
            }
        }
    }
    for template in UPLOADS {
        let path = fill(template, ids, None);
        for (i, (ct, body)) in uploads().into_iter().enumerate() {
            if heavy || i % 3 == 0 {
                fz.send(who, label, "POST", &path, Some(&ct), body).await;
            }
        }
    }
}

async fn no_route_answers_5xx(app: TestApp) {
    let started = Instant::now();
    let organ = app.organ_id("370782").await;
    app.add_account("fuzz-victim", organ, &[Role::Staff]).await;
    let read = app.token("admin", Scope::Read).await;
    let write = app.token("admin", Scope::Write).await;
    app.token("fuzz-victim", Scope::Read).await;
    renda::db::exec(
        app.db(),
        "UPDATE api_tokens SET name = 'fuzz-victim' WHERE id = (SELECT max(id) FROM api_tokens)",
        vec![],
    )
    .await
    .unwrap();
    let ids = ids(&app).await;
    let mut admin = app.login("admin").await;
    let staff = app.login("staff").await;
    let anonymous = app.browser().await;

    // Every listed route exists: the router answers a method no route has with 405 on a
    // path it knows, 404 on one it does not.
    for (_, template) in ROUTES {
        let r = admin.api("PUT", &fill(template, &ids, None), serde_json::json!(null), true).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{template} is not a route");
    }
    let mut forms = harvest(&mut admin, &ids).await;
    // The forms only a visitor sees (the sign-in form).
    let mut visitor = app.browser().await;
    for (t, fields) in harvest(&mut visitor, &ids).await {
        forms.entry(t).or_insert(fields);
    }
    assert!(forms.contains_key("/login"));
    assert!(forms.len() >= 30, "forms harvested from the console: {:?}", forms.keys().collect::<Vec<_>>());

    // The five callers one after another (SQLite would make concurrent writers wait on its
    // busy handler, which only slows the round down); each its own bounded round.
    let mut fz = Fuzz::new(&app);
    probe_routes(&mut fz, &Who::Bearer(&read), "read-token", &ids, false).await;
    probe_routes(&mut fz, &Who::Browser(&anonymous), "anonymous", &ids, false).await;
    probe_routes(&mut fz, &Who::Browser(&staff), "staff", &ids, false).await;
    probe_fields(&mut fz, &Who::Browser(&staff), "staff", &ids, &forms, false).await;
    probe_routes(&mut fz, &Who::Bearer(&write), "write-token", &ids, false).await;
    probe_fields(&mut fz, &Who::Bearer(&write), "write-token", &ids, &forms, false).await;
    probe_routes(&mut fz, &Who::Browser(&admin), "admin", &ids, true).await;
    probe_fields(&mut fz, &Who::Browser(&admin), "admin", &ids, &forms, true).await;

    // Sign-in that succeeds, with each bad value as the page to go on to.
    for v in NASTY {
        let fields =
            [("username", "admin"), ("password", PASSWORD), ("next", v)].map(|(k, v)| (k.to_string(), v.to_string()));
        fz.form(&Who::Browser(&anonymous), "anonymous", "/login", &fields).await;
    }

    // Sign-out with malformed bodies, on a session of its own.
    let extra = app.login("admin").await;
    fz.send(&Who::Browser(&extra), "admin", "POST", "/logout", Some("application/json"), b"{".to_vec()).await;
    fz.send(&Who::Browser(&extra), "admin", "POST", "/logout", Some("application/x-www-form-urlencoded"), vec![0xff])
        .await;

    // The server still answers, and still knows its callers.
    let mut fresh = app.browser().await;
    assert_eq!(fresh.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(fresh.get("/readyz").await.status, StatusCode::OK);
    assert_eq!(fresh.get("/find").await.status, StatusCode::OK);
    let mut again = app.login("keeper").await;
    assert_eq!(again.get("/console").await.status, StatusCode::OK);
    assert_eq!(app.api("GET", "/api/v1/me", Some(&read), None).await.status, StatusCode::OK);

    if std::env::var("FUZZ_STATS").is_ok() {
        let mut v: Vec<_> = fz.stats.iter().collect();
        v.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        for (k, (n, t)) in v.iter().take(30) {
            eprintln!("{t:8.3}s {n:5} {k}");
        }
        let mut by: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for (k, (n, t)) in &fz.stats {
            let key = k.splitn(4, ' ').take(3).collect::<Vec<_>>().join(" ");
            let e = by.entry(key).or_default();
            e.0 += n;
            e.1 += t;
        }
        for (k, (n, t)) in &by {
            eprintln!("{t:8.3}s {n:5} {k}");
        }
        eprintln!("in requests: {:.1} s", v.iter().map(|(_, (_, t))| t).sum::<f64>());
    }
    eprintln!("fuzz: {} requests in {:.1} s", fz.sent, started.elapsed().as_secs_f64());
    assert!(fz.failures.is_empty(), "{} answers were 5xx:\n{}", fz.failures.len(), fz.failures.join("\n"));
}
demo_test!(no_route_answers_5xx);
