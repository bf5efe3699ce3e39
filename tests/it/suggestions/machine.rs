//! The suggestions' state machine, every cell: each (state, step, party) of the loop as the
//! spec (`suggestions.md`, SUG-4 to SUG-9) states it, written here a second time as a list of
//! what may happen, and compared with the kind's table `suggestions::RULES` for all
//! 10 × 23 × 6 cells — allowed with its target, refused as not yours (another party's step),
//! or refused as not now. Then the stages before the loop through the API: every stage action
//! in every stage.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::handling::flow::{Party, Refusal, State, Step, next_in};
use renda::suggestions::RULES;
use serde_json::json;

use super::{person_of, submitted};
use crate::demo_test;
use crate::support::TestApp;

/// What may happen to a registered suggestion: (from, step, by, to). A line per cell.
const SPEC: &[(&str, &str, &str, &str)] = &[
    // 类件并案 and 交办 while it waits for staff (SUG-4); no 不予受理, no 直接答复.
    ("received", "merge", "staff", "received"),
    ("received", "assign", "staff", "assigned"),
    // Each unit signs (签收), may return it within the window, notes progress (方案/措施/成效),
    // records contacts, the 协办 unit gives its opinion, asks for an extension; staff decide it.
    ("assigned", "accept", "unit", "in_progress"),
    ("in_progress", "accept", "unit", "in_progress"),
    ("rehandling", "accept", "unit", "in_progress"),
    ("assigned", "return", "unit", "assigned"),
    ("in_progress", "return", "unit", "in_progress"),
    ("rehandling", "return", "unit", "rehandling"),
    ("assigned", "progress", "unit", "in_progress"),
    ("in_progress", "progress", "unit", "in_progress"),
    ("rehandling", "progress", "unit", "in_progress"),
    ("following", "progress", "unit", "following"),
    ("assigned", "contact", "unit", "assigned"),
    ("in_progress", "contact", "unit", "in_progress"),
    ("rehandling", "contact", "unit", "rehandling"),
    ("following", "contact", "unit", "following"),
    ("assigned", "assist_opinion", "unit", "assigned"),
    ("in_progress", "assist_opinion", "unit", "in_progress"),
    ("rehandling", "assist_opinion", "unit", "rehandling"),
    ("assigned", "request_extension", "unit", "assigned"),
    ("in_progress", "request_extension", "unit", "in_progress"),
    ("rehandling", "request_extension", "unit", "rehandling"),
    ("assigned", "decide_extension", "staff", "assigned"),
    ("in_progress", "decide_extension", "staff", "in_progress"),
    ("rehandling", "decide_extension", "staff", "rehandling"),
    // The reply (SUG-7) from the units at work, or again when a followed B-class item is done.
    ("assigned", "reply", "unit", "assigned"),
    ("in_progress", "reply", "unit", "in_progress"),
    ("rehandling", "reply", "unit", "rehandling"),
    ("following", "reply", "unit", "following"),
    // Only deputies rate (SUG-8); 二次办理 by staff or by the loop after the lead's 不满意 (SUG-9);
    // a B-class reply is followed; staff close it.
    ("replied", "rate", "deputy", "replied"),
    ("replied", "reopen", "staff", "rehandling"),
    ("replied", "reopen", "system", "rehandling"),
    ("replied", "follow", "staff", "following"),
    ("replied", "close", "staff", "closed"),
    // 督办 by a leader or staff, and the deadline scan, while units work.
    ("assigned", "supervise", "leader", "assigned"),
    ("in_progress", "supervise", "leader", "in_progress"),
    ("rehandling", "supervise", "leader", "rehandling"),
    ("following", "supervise", "leader", "following"),
    ("assigned", "supervise", "staff", "assigned"),
    ("in_progress", "supervise", "staff", "in_progress"),
    ("rehandling", "supervise", "staff", "rehandling"),
    ("following", "supervise", "staff", "following"),
    ("assigned", "deadline_notice", "system", "assigned"),
    ("in_progress", "deadline_notice", "system", "in_progress"),
    ("rehandling", "deadline_notice", "system", "rehandling"),
    // Staff correct a 交办 while the units work (撤回, 改派); not while it is followed.
    ("assigned", "withdraw", "staff", "assigned"),
    ("in_progress", "withdraw", "staff", "in_progress"),
    ("rehandling", "withdraw", "staff", "rehandling"),
    ("assigned", "reassign", "staff", "assigned"),
    ("in_progress", "reassign", "staff", "in_progress"),
    ("rehandling", "reassign", "staff", "rehandling"),
];

fn party(code: &str) -> Party {
    match code {
        "staff" => Party::Staff,
        "leader" => Party::Leader,
        "unit" => Party::Unit,
        "submitter" => Party::Submitter,
        "deputy" => Party::Deputy,
        "system" => Party::System,
        other => panic!("no party {other}"),
    }
}

#[test]
fn every_cell_of_the_loop_is_the_spec() {
    let step_of = |code: &str| Step::ALL.into_iter().find(|s| s.as_str() == code).unwrap_or_else(|| panic!("{code}"));
    let state_of = |code: &str| State::parse(code).unwrap_or_else(|| panic!("no state {code}"));
    let mut cells = 0;
    for state in State::ALL {
        for step in Step::ALL {
            for who in Party::ALL {
                let listed =
                    SPEC.iter().find(|(f, s, b, _)| state_of(f) == state && step_of(s) == step && party(b) == who);
                let someone = SPEC.iter().any(|(f, s, _, _)| state_of(f) == state && step_of(s) == step);
                let expected = match listed {
                    Some((_, _, _, to)) => Ok(state_of(to)),
                    None if someone => Err(Refusal::NotYours),
                    None => Err(Refusal::NotNow),
                };
                assert_eq!(
                    next_in(RULES, state, step, who),
                    expected,
                    "{} by {who:?} in {}",
                    step.as_str(),
                    state.as_str()
                );
                cells += 1;
            }
        }
    }
    assert_eq!(cells, State::ALL.len() * Step::ALL.len() * Party::ALL.len());
    // Nothing leaves 办结 or 不予受理, and the opinions' own steps never apply to a suggestion.
    for step in Step::ALL {
        for who in Party::ALL {
            assert!(next_in(RULES, State::Closed, step, who).is_err());
            assert!(next_in(RULES, State::Rejected, step, who).is_err());
        }
    }
    for step in [Step::Release, Step::Reject, Step::AnswerDirectly, Step::HandToDeputy, Step::RequestAssign] {
        assert!(State::ALL.into_iter().all(|st| Party::ALL.into_iter().all(|w| next_in(RULES, st, step, w).is_err())));
    }
}

demo_test!(every_stage_action_in_every_stage);

/// The stage a suggestion is in, read through the API by its author (a draft is theirs alone).
async fn stage_of(app: &TestApp, id: i64) -> String {
    let author = app.token("deputy", Scope::Read).await;
    let r = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&author), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["state"].as_str().unwrap().to_string()
}

async fn every_stage_action_in_every_stage(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let token = |who: &str| match who {
        "deputy" => deputy.clone(),
        "deputy2" => deputy2.clone(),
        _ => staff.clone(),
    };
    let cos = person_of(&app, "deputy2").await;
    let draft = |title: &str| {
        json!({"title": title, "problem": "村里的道路年久失修，雨天泥泞，群众出行和农产品运输十分困难。",
               "analysis": "道路建设资金缺口大，养护责任不清，多年没有列入计划。",
               "measures": "将该路段列入明年农村公路提升计划，明确镇村两级养护责任，争取上级补助资金。",
               "category": "城乡建设"})
    };
    // A draft with no co-signers; a draft waiting for a co-signer; a submitted one; a bill
    // under review; a registered one.
    let mut plain = draft("关于修缮村道的建议");
    let r = app.api("POST", "/api/v1/suggestions", Some(&deputy), Some(plain.take())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let in_draft = r.json()["id"].as_i64().unwrap();
    let mut inviting = draft("关于修缮村道桥梁的建议");
    inviting["cosigner_ids"] = json!([cos]);
    let r = app.api("POST", "/api/v1/suggestions", Some(&deputy), Some(inviting)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let in_cosigning = r.json()["id"].as_i64().unwrap();
    let in_submitted = submitted(&app, &deputy, &deputy2).await;
    let in_registered = submitted(&app, &deputy, &deputy2).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{in_registered}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    assert_eq!(stage_of(&app, in_draft).await, "draft");
    assert_eq!(stage_of(&app, in_cosigning).await, "cosigning");
    assert_eq!(stage_of(&app, in_submitted).await, "submitted");
    assert_eq!(stage_of(&app, in_registered).await, "registered");

    // (suggestion, action, who, allowed): what each stage lets happen, everything else is a 409
    // (or the 403/404 of the authorization for the wrong party). Registering a registered one
    // is allowed and does nothing (the 交办会 registers whatever it is given).
    let cases: &[(i64, &str, &str, bool)] = &[
        (in_draft, "cosign", "deputy2", false),
        (in_cosigning, "cosign", "deputy2", true),
        (in_submitted, "cosign", "deputy2", false),
        (in_registered, "cosign", "deputy2", false),
        (in_submitted, "submit", "deputy", false),
        (in_registered, "submit", "deputy", false),
        (in_draft, "register", "staff", false),
        (in_cosigning, "register", "staff", false),
        (in_registered, "register", "staff", true),
        (in_submitted, "register", "staff", true),
        (in_draft, "submit", "deputy", true),
    ];
    for (id, action, who, allowed) in cases {
        let before = stage_of(&app, *id).await;
        let r = app.api("POST", &format!("/api/v1/suggestions/{id}/{action}"), Some(&token(who)), None).await;
        if *allowed {
            assert_eq!(r.status, StatusCode::OK, "{action} in {before}: {}", r.body);
            if *action == "cosign" {
                // A confirmation keeps the stage (征集联名 until submission) and is recorded.
                let author = app.token("deputy", Scope::Read).await;
                let d = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&author), None).await.json();
                assert!(d["cosigners"].as_array().unwrap().iter().all(|c| c["confirmed_at"].is_i64()), "{d}");
            } else if before == "registered" {
                assert_eq!(stage_of(&app, *id).await, before, "registering again changes nothing");
            } else {
                assert_ne!(stage_of(&app, *id).await, before, "{action} moves it on");
            }
        } else {
            assert!(r.status.is_client_error(), "{action} in {before} is refused: {} {}", r.status, r.body);
            assert_eq!(stage_of(&app, *id).await, before, "a refused {action} changes nothing");
        }
    }
    assert_eq!(stage_of(&app, in_draft).await, "submitted");
    assert_eq!(stage_of(&app, in_submitted).await, "registered");
}
