//! The rule to pass, on real ballots of a meeting of 29 members, at every boundary the issue
//! names: more than half of all 29 is 15 (14 fails), two thirds is 20 (19 fails); a tie is not
//! "more than half" but is "half or more"; abstentions count among the valid votes; the same
//! votes pass or fail by their base — all members, those present, the valid votes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{act, ballot, cast, deputies, detail, meeting_of, present, staff_token};
use crate::demo_test;
use crate::support::TestApp;

/// A motion of the meeting with `rule`, voted `yes` / `no` / `abstain` by the first members in
/// order, closed; its detail as staff see it.
async fn motion(
    app: &TestApp,
    staff: &str,
    meeting: i64,
    members: &[i64],
    rule: Value,
    votes: (usize, usize, usize),
) -> Value {
    let id = ballot(app, staff, meeting, json!({"title": "议案", "kind": "motion", "rule": rule})).await;
    assert_eq!(act(app, staff, id, "open").await.status, StatusCode::OK);
    let (yes, no, abstain) = votes;
    for (i, p) in members.iter().take(yes + no + abstain).enumerate() {
        let choice = if i < yes {
            "yes"
        } else if i < yes + no {
            "no"
        } else {
            "abstain"
        };
        cast(app, id, *p, &[(0, choice)]).await.unwrap();
    }
    assert_eq!(act(app, staff, id, "close").await.status, StatusCode::OK);
    detail(app, staff, id).await
}

fn rule(base: &str, num: i64, den: i64, strict: bool) -> Value {
    json!({"base": base, "num": num, "den": den, "strict": strict})
}

async fn every_boundary_of_29_members(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 29).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    // 20 present (more than half of 29 is 15: the quorum is met).
    present(&app, &staff, meeting, &members[..20]).await;
    let half = rule("all_members", 1, 2, true);
    let two_thirds = rule("all_members", 2, 3, false);

    let d = motion(&app, &staff, meeting, &members, half.clone(), (14, 0, 0)).await;
    assert_eq!((d["passed"].as_bool(), d["outcome"]["subjects"][0]["needed"].as_i64()), (Some(false), Some(15)));
    assert_eq!(d["outcome"]["decided_by"], "赞成 14 票，全体组成人员 29 人的过半数为 15 票：未通过");
    let d = motion(&app, &staff, meeting, &members, half.clone(), (15, 0, 0)).await;
    assert_eq!(d["passed"], true);
    assert_eq!(d["outcome"]["decided_by"], "赞成 15 票，全体组成人员 29 人的过半数为 15 票：通过");
    // Those who did not vote count against under 「全体组成人员」: 15 of 16 voters is not enough
    // when only 14 say yes.
    let d = motion(&app, &staff, meeting, &members, half.clone(), (14, 1, 1)).await;
    assert_eq!(d["passed"], false);

    let d = motion(&app, &staff, meeting, &members, two_thirds.clone(), (19, 0, 0)).await;
    assert_eq!((d["passed"].as_bool(), d["outcome"]["subjects"][0]["needed"].as_i64()), (Some(false), Some(20)));
    assert_eq!(d["rule_text"], "全体组成人员的三分之二以上");
    let d = motion(&app, &staff, meeting, &members, two_thirds, (20, 0, 0)).await;
    assert_eq!(d["passed"], true);

    // A tie: 10 to 10 is not more than half of the 20 valid votes, but it is half or more.
    let d = motion(&app, &staff, meeting, &members, rule("valid_votes", 1, 2, true), (10, 10, 0)).await;
    assert_eq!(d["passed"], false);
    assert_eq!(d["outcome"]["decided_by"], "赞成 10 票，有效票 20 票的过半数为 11 票：未通过");
    let d = motion(&app, &staff, meeting, &members, rule("valid_votes", 1, 2, false), (10, 10, 0)).await;
    assert_eq!(d["passed"], true);
    assert_eq!(d["rule_text"], "有效票的半数以上");

    // Abstentions are valid votes: 10 for, 5 against and 6 abstaining is 10 of 21, not more
    // than half; without the abstentions it would have passed.
    let d = motion(&app, &staff, meeting, &members, rule("valid_votes", 1, 2, true), (10, 5, 6)).await;
    assert_eq!(d["passed"], false);
    assert_eq!(d["outcome"]["subjects"][0]["base"], 21);
    let d = motion(&app, &staff, meeting, &members, rule("valid_votes", 1, 2, true), (10, 5, 0)).await;
    assert_eq!(d["passed"], true);

    // The same 11 votes for: more than half of the 20 present passes, of all 29 fails, and of
    // the 13 valid votes passes.
    let d = motion(&app, &staff, meeting, &members, rule("present", 1, 2, true), (11, 2, 0)).await;
    assert_eq!((d["passed"].as_bool(), d["outcome"]["present"].as_i64()), (Some(true), Some(20)));
    assert_eq!(d["outcome"]["decided_by"], "赞成 11 票，出席人员 20 人的过半数为 11 票：通过");
    let d = motion(&app, &staff, meeting, &members, rule("all_members", 1, 2, true), (11, 2, 0)).await;
    assert_eq!(d["passed"], false);
    let d = motion(&app, &staff, meeting, &members, rule("valid_votes", 1, 2, true), (11, 2, 0)).await;
    assert_eq!(d["passed"], true);
    // Two thirds of those present (20) is 14: 13 fails, 14 passes.
    let d = motion(&app, &staff, meeting, &members, rule("present", 2, 3, false), (13, 0, 0)).await;
    assert_eq!((d["passed"].as_bool(), d["outcome"]["subjects"][0]["needed"].as_i64()), (Some(false), Some(14)));
    let d = motion(&app, &staff, meeting, &members, rule("present", 2, 3, false), (14, 0, 0)).await;
    assert_eq!(d["passed"], true);

    // A 测评 and a score ballot: the 满意率 as the organ counts it, the mean in tenths.
    let rating =
        ballot(&app, &staff, meeting, json!({"title": "测评", "kind": "rating", "options": ["市教育局", "市卫健局"]}))
            .await;
    assert_eq!(act(&app, &staff, rating, "open").await.status, StatusCode::OK);
    for (i, p) in members.iter().take(8).enumerate() {
        let g = [
            "satisfied",
            "satisfied",
            "satisfied",
            "basically_satisfied",
            "basically_satisfied",
            "unsatisfied",
            "satisfied",
            "unsatisfied",
        ][i];
        cast(&app, rating, *p, &[(0, g), (1, "satisfied")]).await.unwrap();
    }
    assert_eq!(act(&app, &staff, rating, "close").await.status, StatusCode::OK);
    let d = detail(&app, &staff, rating).await;
    // 4 满意 + 2 基本满意 of 8 is 750 per mille.
    assert_eq!(d["outcome"]["subjects"][0]["rate"], 750);
    assert_eq!(d["outcome"]["subjects"][1]["rate"], 1000);
    let score =
        ballot(&app, &staff, meeting, json!({"title": "评议", "kind": "score", "score_min": 0, "score_max": 100}))
            .await;
    assert_eq!(act(&app, &staff, score, "open").await.status, StatusCode::OK);
    for (p, n) in members.iter().zip(["90", "85", "77"]) {
        cast(&app, score, *p, &[(0, n)]).await.unwrap();
    }
    let over = cast(&app, score, members[3], &[(0, "101")]).await;
    assert!(matches!(over, Err(renda::app::error::AppError::Invalid { .. })), "{over:?}");
    assert_eq!(act(&app, &staff, score, "close").await.status, StatusCode::OK);
    let d = detail(&app, &staff, score).await;
    // (90 + 85 + 77) / 3 = 84.0
    assert_eq!(
        d["outcome"]["subjects"][0]["scores"],
        json!({"count": 3, "sum": 252, "min": 77, "max": 90, "mean_tenths": 840})
    );
}
demo_test!(every_boundary_of_29_members);
