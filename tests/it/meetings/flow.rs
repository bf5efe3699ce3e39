//! The "done when": a 常委会会议 is created with its members from the registry,
//! attendance is taken until the quorum is met (a ballot refused before, saying why), a named
//! motion and a secret 差额 ballot are opened, members vote from their own accounts — on the
//! phone page and through the API — while the hall screen counts, the ballots close with 通过 /
//! 未通过 by the rule, the secret ballot's votes cannot be joined to voters, the digest is in
//! the audit chain, and the results are in the meeting's record and the register.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use super::{account_for, act, ballot, detail, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn a_standing_committee_meeting_from_attendance_to_its_record(app: TestApp) {
    let staff = staff_token(&app).await;
    let organ = app.organ_id("370782").await;
    let standing: Vec<i64> = renda::registry::structure::standing_members(app.db(), "/1/")
        .await
        .unwrap()
        .iter()
        .map(|m| m.person_id)
        .collect();
    assert_eq!(standing.len(), 11, "the demo 常委会 has 11 members");
    let observer = db::scalar_i64(
        app.db(),
        "SELECT min(person_id) FROM mandates WHERE organ_id = $1 AND status = 'serving' AND person_id NOT IN \
         (SELECT person_id FROM memberships WHERE committee_id IS NOT NULL)",
        vec![organ.into()],
    )
    .await
    .unwrap();

    // A 常委会会议 of the 常委会组成人员, with one 列席 deputy; numbered in its term.
    let r = app
        .api(
            "POST",
            "/api/v1/meetings",
            Some(&staff),
            Some(json!({"kind": "standing", "title": "常委会第一次会议（测试）", "starts_at": "2026-12-18T09:00:00+08:00",
                        "members_of": "standing", "observer_ids": [observer], "place": "常委会会议室"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let d = app.api("GET", &format!("/api/v1/meetings/{id}"), Some(&staff), None).await.json();
    let numbered = d["numbered"].as_str().unwrap().to_string();
    assert!(
        numbered.starts_with('第') && numbered.contains("届人大常委会第") && numbered.ends_with("次会议"),
        "{numbered}"
    );
    assert_eq!(d["members"].as_array().unwrap().len(), 12);
    assert_eq!(d["members"].as_array().unwrap().iter().filter(|m| m["role"] == "observer").count(), 1);
    assert_eq!(
        d["quorum"],
        json!({"members": 11, "present": 0, "required": 6, "met": false, "rule": "全体组成人员的过半数"})
    );
    // The next 常委会会议 of the term takes the next number.
    let r = app
        .api(
            "POST",
            "/api/v1/meetings",
            Some(&staff),
            Some(json!({"kind": "standing", "title": "下一次", "starts_at": "2026-12-25T09:00:00+08:00", "members_of": "standing"})),
        )
        .await;
    let next = app.api("GET", &format!("/api/v1/meetings/{}", r.json()["id"]), Some(&staff), None).await.json();
    let n_of = |s: &str| s.rsplit("第").next().unwrap().trim_end_matches("次会议").to_string();
    assert_ne!(n_of(next["numbered"].as_str().unwrap()), n_of(&numbered));

    // A named motion (more than half of all members) and a secret 差额 ballot (choose at most
    // 3 of 5, each needing more than half of the papers), members and the 列席 deputy voting.
    let motion = ballot(
        &app,
        &staff,
        id,
        json!({"title": "关于批准年度预算调整方案的决议（草案）", "kind": "motion", "secret": false,
               "rule": {"base": "all_members", "num": 1, "den": 2, "strict": true}}),
    )
    .await;
    let choose = ballot(
        &app,
        &staff,
        id,
        json!({"title": "2027 年民生实事项目差额票决", "kind": "choose", "secret": true, "choose_max": 3,
               "options": ["城区供水管网改造", "农村道路提升", "学校食堂改造", "社区养老服务中心", "公园绿地建设"],
               "electorate": "members_and_observers", "rule": {"base": "valid_votes", "num": 1, "den": 2, "strict": true}}),
    )
    .await;

    // Before the quorum: refused, saying why.
    let r = act(&app, &staff, motion, "open").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("未达到法定人数") && r.body.contains("6 人"), "{}", r.body);
    // Five members signed in by staff; the sixth at the door from their own phone (changwei).
    let changwei =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'changwei'", vec![]).await.unwrap();
    let others: Vec<i64> = standing.iter().copied().filter(|p| *p != changwei).collect();
    super::present(&app, &staff, id, &others[..5]).await;
    assert_eq!(act(&app, &staff, motion, "open").await.status, StatusCode::CONFLICT);
    let code: String =
        db::query_rows(app.db(), "SELECT door_code FROM meetings WHERE id = $1", vec![id.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let mut phone = app.login("changwei").await;
    let page = phone.get(&format!("/console/meetings/{id}?code={code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.html().select(&scraper::Selector::parse("#code").unwrap()).next().unwrap().value().attr("value"),
        Some(code.as_str())
    );
    let wrong = phone.post(&format!("/console/meetings/{id}/checkin"), &[("code", "00000000")]).await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    let r = phone.submit(&page, "#checkin", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = app.api("GET", &format!("/api/v1/meetings/{id}"), Some(&staff), None).await.json();
    assert_eq!(d["quorum"]["present"], 6);
    assert_eq!(d["quorum"]["met"], true);
    let me = d["members"].as_array().unwrap().iter().find(|m| m["person_id"] == changwei).unwrap().clone();
    assert_eq!((me["attendance"].as_str(), me["via"].as_str()), (Some("present"), Some("door")));

    assert_eq!(act(&app, &staff, motion, "open").await.status, StatusCode::OK);

    // The hall display: a key made by staff opens the screen, nothing else.
    let mut desk = app.login("staff").await;
    let made = desk.post(&format!("/console/meetings/{id}/hall"), &[]).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let url = made.texts("#hall-url a").pop().unwrap();
    let path = &url[url.find("/hall/").unwrap()..];
    let mut screen = app.browser().await;
    let hall = screen.get(path).await;
    assert_eq!(hall.status, StatusCode::OK, "{}", hall.body);
    assert!(hall.body.contains("实到 <strong data-field=\"present\">6</strong>"), "{}", hall.body);
    assert_eq!(screen.get(&format!("/hall/{id}?key=00")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(screen.get(&format!("/hall/{id}")).await.status, StatusCode::NOT_FOUND);

    // changwei votes on the phone page: 赞成, and three projects.
    let page = phone.get(&format!("/console/meetings/{id}/ballots/{motion}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.html().select(&scraper::Selector::parse("#paper input[name=choice]").unwrap()).count(), 3);
    let r = phone.submit(&page, "#paper", &[("choice", "yes")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The other members vote through the API with their own tokens.
    let mut tokens = Vec::new();
    for (i, p) in others.iter().enumerate() {
        tokens.push(account_for(&app, *p, &format!("cw{i:02}")).await);
    }
    let observer_token = account_for(&app, observer, "liexi").await;
    // Motion: 5 more 赞成 (6 in all), 2 反对, 1 弃权; two members do not vote (未按).
    for (i, t) in tokens.iter().enumerate().take(8) {
        let choice = match i {
            0..=4 => "yes",
            5 | 6 => "no",
            _ => "abstain",
        };
        let r =
            app.api("POST", &format!("/api/v1/ballots/{motion}/votes"), Some(t), Some(json!({"choice": choice}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // The hall counts while it is open: 9 voted, no figures yet.
    let hall = screen.get(path).await;
    assert!(hall.body.contains("已投 <strong data-field=\"ballot.voted\">9</strong> / 11"), "{}", hall.body);
    assert!(!hall.body.contains("赞成 <strong>"), "no figures while open");
    // A member sees no figures while it is open either.
    let open_view = super::detail(&app, &tokens[9], motion).await;
    assert!(open_view["tally"].is_null() && open_view["passed"].is_null(), "{open_view}");

    // The 差额 ballot opens next (the hall shows the ballot opened last); changwei chooses
    // three projects on the phone.
    assert_eq!(act(&app, &staff, choose, "open").await.status, StatusCode::OK);
    let page = phone.get(&format!("/console/meetings/{id}/ballots/{choose}")).await;
    let options: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("#paper input[name=choice]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(options.len(), 5);
    let body = format!("_csrf={}&choice={}&choice={}&choice={}", phone.csrf(), options[0], options[1], options[2]);
    let r = phone.post_raw(&format!("/console/meetings/{id}/ballots/{choose}/vote"), &body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let hall = screen.get(path).await;
    assert!(
        hall.body.contains("2027 年民生实事项目差额票决")
            && hall.body.contains("data-field=\"ballot.voted\">1</strong> / 12"),
        "{}",
        hall.body
    );

    // 差额: nine more papers (ten with changwei's), the ids of the options.
    let ids: Vec<i64> = options.iter().map(|o| o.parse().unwrap()).collect();
    let papers: [&[usize]; 9] =
        [&[0, 1, 2], &[0, 1, 2], &[0, 1, 2], &[0, 1, 2], &[0, 1, 2], &[0, 1, 3], &[0, 1, 3], &[0, 3, 4], &[3, 4]];
    let voters: Vec<&String> = tokens.iter().take(8).chain([&observer_token]).collect();
    for (t, paper) in voters.iter().zip(papers) {
        let choices: Vec<i64> = paper.iter().map(|i| ids[*i]).collect();
        let r = app
            .api("POST", &format!("/api/v1/ballots/{choose}/votes"), Some(t), Some(json!({"choices": choices})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // Four on one paper is more than 3: refused, nothing counted.
    let four: Vec<i64> = ids[..4].to_vec();
    let r = app
        .api("POST", &format!("/api/v1/ballots/{choose}/votes"), Some(&tokens[9]), Some(json!({"choices": four})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // While open, each secret paper is one sealed row of one length: no voter, no subject, no option.
    let rows = db::query_rows(
        app.db(),
        "SELECT voter_id, option, sealed FROM ballot_votes WHERE ballot_id = $1",
        vec![choose.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 10);
    let lengths: std::collections::BTreeSet<usize> = rows
        .iter()
        .map(|r| {
            assert_eq!(r.try_get_by_index::<Option<i64>>(0).unwrap(), None);
            assert_eq!(r.try_get_by_index::<String>(1).unwrap(), "");
            r.try_get_by_index::<Option<String>>(2).unwrap().unwrap().len()
        })
        .collect();
    assert_eq!(lengths.len(), 1, "every sealed paper has the same length");

    // Closed: the result by the rule, at once, for the members too.
    assert_eq!(act(&app, &staff, motion, "close").await.status, StatusCode::OK);
    assert_eq!(act(&app, &staff, choose, "close").await.status, StatusCode::OK);
    let m = detail(&app, &tokens[9], motion).await;
    assert_eq!(
        (
            m["tally"]["yes"].as_i64(),
            m["tally"]["no"].as_i64(),
            m["tally"]["abstain"].as_i64(),
            m["tally"]["not_voted"].as_i64()
        ),
        (Some(6), Some(2), Some(1), Some(2))
    );
    assert_eq!(m["passed"], true);
    assert_eq!(m["rule_text"], "全体组成人员的过半数");
    assert_eq!(m["outcome"]["decided_by"], "赞成 6 票，全体组成人员 11 人的过半数为 6 票：通过");
    // Named: who voted how, nine of them.
    assert_eq!(m["votes"].as_array().unwrap().len(), 9);
    assert!(m["votes"].as_array().unwrap().iter().any(|v| v["person_id"] == changwei && v["option"] == "yes"));

    let c = detail(&app, &staff, choose).await;
    let lines = c["outcome"]["subjects"].as_array().unwrap();
    let got: Vec<(String, i64, bool)> = lines
        .iter()
        .map(|s| (s["title"].as_str().unwrap().to_string(), s["yes"].as_i64().unwrap(), s["chosen"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("城区供水管网改造".to_string(), 9, true),
            ("农村道路提升".to_string(), 8, true),
            ("学校食堂改造".to_string(), 6, true),
            ("社区养老服务中心".to_string(), 4, false),
            ("公园绿地建设".to_string(), 2, false),
        ]
    );
    assert_eq!(lines[2]["decision"], "赞成 6 票，有效票 10 票的过半数为 6 票：通过");
    assert_eq!(lines[3]["passed"], false);
    assert_eq!(c["votes"], json!([]), "a secret ballot names nobody");

    // The secret ballot cannot be joined to voters: plain votes now, none with a voter, under
    // random keys in no order of casting, and no sealed paper left.
    let rows = db::query_rows(
        app.db(),
        "SELECT id, voter_id, sealed FROM ballot_votes WHERE ballot_id = $1 ORDER BY id",
        vec![choose.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 9 + 8 + 6 + 4 + 2);
    assert!(rows.iter().all(|r| r.try_get_by_index::<Option<i64>>(1).unwrap().is_none()));
    assert!(rows.iter().all(|r| r.try_get_by_index::<Option<String>>(2).unwrap().is_none()));
    let keys: Vec<i64> = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    assert!(keys.windows(2).all(|w| w[1] - w[0] > 1), "keys look like a sequence: {keys:?}");
    let salt: Option<String> =
        db::query_rows(app.db(), "SELECT seal_salt FROM ballots WHERE id = $1", vec![choose.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(salt, None, "the sealing salt is gone once the papers are opened");

    // The digest of every vote and the tally is in the audit chain, and the recount matches.
    let summary: String = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'ballot_close' AND target_id = $1",
        vec![choose.to_string().into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(summary.contains("计票摘要 v1:29:"), "{summary}");
    let report = renda::ballot::integrity::verify_all(app.db()).await.unwrap();
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    assert!(report.checked >= 2);

    // The result in the meeting's record and the register, with the figures.
    let page = desk.get(&format!("/console/meetings/{id}")).await;
    let r = desk
        .submit(
            &page,
            "#new-record",
            &[("kind", "resolution"), ("title", "关于批准年度预算调整方案的决议"), ("ballot_id", &motion.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let register = desk.get("/console/meetings/register").await;
    let row = register.texts("#register tbody tr").join(" ");
    assert!(
        row.contains("关于批准年度预算调整方案的决议") && row.contains("赞成 6、反对 2、弃权 1，未按 2：通过"),
        "{row}"
    );
    let d = app.api("GET", &format!("/api/v1/meetings/{id}"), Some(&staff), None).await.json();
    let line = d["ballots"].as_array().unwrap().iter().find(|b| b["id"] == motion).unwrap().clone();
    assert_eq!(line["passed"], true);
    assert_eq!(d["records"].as_array().unwrap().len(), 1);
}
demo_test!(a_standing_committee_meeting_from_attendance_to_its_record);

/// The demo county's meetings: two past 常委会会议 with results and records, one today under way
/// with an open motion that `changwei` signs in to and votes on from the phone, and the 人代会
/// session with its 代表团 and the 差额 ballot that chose 10 of 13 projects.
async fn the_demo_county_has_its_meetings(app: TestApp) {
    let staff = staff_token(&app).await;
    let list = app.api("GET", "/api/v1/meetings", Some(&staff), None).await.json();
    let meetings = list["items"].as_array().unwrap();
    // Two past 常委会会议, today's, the 人代会 session and its 主席团会议.
    assert_eq!(meetings.len(), 5, "{list}");
    let today = meetings.iter().find(|m| m["state"] == "open").unwrap()["id"].as_i64().unwrap();
    let d = app.api("GET", &format!("/api/v1/meetings/{today}"), Some(&staff), None).await.json();
    assert_eq!(d["quorum"]["met"], true, "{}", d["quorum"]);
    let open: Vec<&serde_json::Value> =
        d["ballots"].as_array().unwrap().iter().filter(|b| b["state"] == "open").collect();
    assert_eq!(open.len(), 1);
    let motion = open[0]["id"].as_i64().unwrap();
    assert!(d["members"].as_array().unwrap().iter().any(|m| m["attendance"] == "leave" && m["reason"] == "因病请假"));

    // changwei on the phone: today's meeting in 我的会议, signs in remotely, votes.
    let mut phone = app.login("changwei").await;
    let mine = phone.get("/console/meetings").await;
    assert!(mine.body.contains(&format!("/console/meetings/{today}")), "{}", mine.body);
    let page = phone.get(&format!("/console/meetings/{today}")).await;
    assert!(page.body.contains("去投票"), "{}", page.body);
    let r = phone.submit(&page, "#remote-checkin", &[]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER);
    let ballot_page = phone.get(&format!("/console/meetings/{today}/ballots/{motion}")).await;
    let r = phone.submit(&ballot_page, "#paper", &[("choice", "yes")]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER);
    let after = phone.get(&format!("/console/meetings/{today}/ballots/{motion}")).await;
    assert!(after.body.contains("您已投票"), "{}", after.body);

    // The 人代会: 代表团 and ten projects chosen of thirteen, by secret ballot.
    let congress = meetings.iter().find(|m| m["kind"] == "congress").unwrap()["id"].as_i64().unwrap();
    let d = app.api("GET", &format!("/api/v1/meetings/{congress}"), Some(&staff), None).await.json();
    let delegations: std::collections::BTreeSet<&str> =
        d["members"].as_array().unwrap().iter().map(|m| m["delegation"].as_str().unwrap()).collect();
    assert!(delegations.len() >= 10, "{delegations:?}");
    let choose = d["ballots"][0]["id"].as_i64().unwrap();
    let c = super::detail(&app, &staff, choose).await;
    assert_eq!(c["secret"], true);
    let chosen = c["outcome"]["subjects"].as_array().unwrap().iter().filter(|s| s["chosen"] == true).count();
    assert_eq!(chosen, 10, "{}", c["outcome"]["decided_by"]);
    // The register lists the resolutions with their figures.
    let mut desk = app.login("staff").await;
    let register = desk.get("/console/meetings/register").await;
    assert!(register.texts("#register tbody tr").len() >= 3, "{}", register.body);
    let report = renda::ballot::integrity::verify_all(app.db()).await.unwrap();
    assert!(report.faults.is_empty() && report.checked >= 6, "{report:?}");
}
demo_test!(the_demo_county_has_its_meetings);
