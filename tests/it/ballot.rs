//! The ballot component on its own (issue 15; the groundwork of MTG-3/4): a test-only 表决 —
//! 赞成 / 反对 / 弃权 on two motions, passing with two thirds of all electors — shows it is not
//! the 测评's: one paper per elector (a second is refused), nobody outside the electorate, nothing
//! after closing, the tally exact in integers, and a secret ballot whose votes no column, key
//! order or audit entry ties to a voter.

use renda::app::error::AppError;
use renda::app::write::write_as;
use renda::audit::Actor;
use renda::ballot::model::{self, Mark};
use renda::ballot::service::{self, NewBallot, NewSubject};
use renda::ballot::tally::{TWO_THIRDS_OF_ALL, per_mille};
use renda::db;

use crate::demo_test;
use crate::support::TestApp;

const MOTIONS: &[(&str, &str)] = &[("yes", "赞成"), ("no", "反对"), ("abstain", "弃权")];

/// Six serving deputies of one congress: five electors and one outsider; the organ.
async fn people(app: &TestApp) -> (i64, Vec<i64>) {
    let organ = db::scalar_i64(
        app.db(),
        "SELECT organ_id FROM mandates WHERE status = 'serving' GROUP BY organ_id ORDER BY count(*) DESC, organ_id LIMIT 1",
        vec![],
    )
    .await
    .unwrap();
    let rows = db::query_rows(
        app.db(),
        "SELECT DISTINCT person_id FROM mandates WHERE organ_id = $1 AND status = 'serving' ORDER BY person_id LIMIT 6",
        vec![organ.into()],
    )
    .await
    .unwrap();
    let persons: Vec<i64> = rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect();
    assert_eq!(persons.len(), 6);
    (organ, persons)
}

async fn open(app: &TestApp, organ: i64, electors: &[i64], secret: bool) -> i64 {
    let subjects = [
        NewSubject {
            ref_type: "motion", ref_id: 1, part: "", title: "关于批准年度预算调整方案的决议（草案）".into()
        },
        NewSubject {
            ref_type: "motion", ref_id: 2, part: "", title: "关于设立乡村振兴专项资金的决定（草案）".into()
        },
    ];
    let new = NewBallot {
        organ_id: organ,
        kind: "test_motion",
        period: "第九次会议",
        title: "表决议案",
        secret,
        options: MOTIONS,
        subjects: &subjects,
        electors,
        ..NewBallot::default()
    };
    write_as(&app.state, Actor::system("测试"), async |w| service::open(w.txn(), w.key(), w.actor(), &new, 1).await)
        .await
        .unwrap()
}

async fn cast(app: &TestApp, ballot: i64, voter: i64, votes: &[(usize, &str)]) -> Result<usize, AppError> {
    let b = model::ballot(app.db(), ballot).await.unwrap().unwrap();
    let subjects = model::subjects(app.db(), ballot).await.unwrap();
    let votes: Vec<(i64, Mark)> = votes.iter().map(|(i, o)| (subjects[*i].id, Mark::Option(o.to_string()))).collect();
    write_as(&app.state, Actor::system("测试"), async |w| {
        service::cast(w.txn(), w.key(), &app.state.crypto, w.actor(), &b, voter, &votes).await
    })
    .await
}

/// The votes of a ballot that carry a voter (none for a secret ballot).
pub async fn votes_naming_a_voter(app: &TestApp, ballot: i64) -> i64 {
    db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND voter_id IS NOT NULL",
        vec![ballot.into()],
    )
    .await
    .unwrap()
}

async fn a_motion_passes_with_two_thirds_of_all(app: TestApp) {
    let (organ, persons) = people(&app).await;
    let (electors, outsider) = (&persons[..5], persons[5]);
    let id = open(&app, organ, electors, true).await;

    assert_eq!(cast(&app, id, electors[0], &[(0, "yes"), (1, "no")]).await.unwrap(), 2);
    cast(&app, id, electors[1], &[(0, "yes"), (1, "yes")]).await.unwrap();
    cast(&app, id, electors[2], &[(0, "yes"), (1, "abstain")]).await.unwrap();
    // A paper may leave a subject out.
    cast(&app, id, electors[3], &[(0, "yes")]).await.unwrap();

    // One paper per elector: the second is refused, whatever it says.
    let again = cast(&app, id, electors[0], &[(1, "yes")]).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    // Not on the electorate.
    let outside = cast(&app, id, outsider, &[(0, "no")]).await;
    assert!(matches!(outside, Err(AppError::Forbidden(_))), "{outside:?}");
    // An option the ballot does not have, a subject twice: refused, nothing written.
    let bad = cast(&app, id, electors[4], &[(0, "maybe")]).await;
    assert!(matches!(bad, Err(AppError::Invalid { .. })), "{bad:?}");
    let twice = cast(&app, id, electors[4], &[(0, "yes"), (0, "no")]).await;
    assert!(matches!(twice, Err(AppError::Invalid { .. })), "{twice:?}");
    assert_eq!(model::elector(app.db(), id, electors[4]).await.unwrap(), Some(false), "a refused paper is not counted");

    // The tally, exactly.
    let b = model::ballot(app.db(), id).await.unwrap().unwrap();
    let t = model::tally(app.db(), &app.state.crypto, &b).await.unwrap();
    assert_eq!((t.electors, t.voted, t.turnout), (5, 4, 800));
    assert_eq!(t.choices.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["赞成", "反对", "弃权"]);
    assert_eq!((t.subjects[0].counts.clone(), t.subjects[0].votes), (vec![4, 0, 0], 4));
    assert_eq!(t.subjects[0].shares, [1000, 0, 0]);
    assert_eq!((t.subjects[1].counts.clone(), t.subjects[1].votes), (vec![1, 1, 1], 3));
    assert_eq!(t.subjects[1].shares, [333, 333, 333]);
    // Two thirds of all five electors is four: the first motion passes, the second does not.
    assert_eq!(TWO_THIRDS_OF_ALL.needed(t.electors), 4);
    assert!(TWO_THIRDS_OF_ALL.passes(t.subjects[0].counts[0], t.electors));
    assert!(!TWO_THIRDS_OF_ALL.passes(t.subjects[1].counts[0], t.electors));
    assert_eq!(per_mille(2, 3), 667);

    // Secret: no vote names a voter; who voted is only the electors' flag.
    assert_eq!(votes_naming_a_voter(&app, id).await, 0);
    let voted: Vec<i64> = db::query_rows(
        app.db(),
        "SELECT person_id FROM ballot_electors WHERE ballot_id = $1 AND voted = true ORDER BY person_id",
        vec![id.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<i64>(0).unwrap())
    .collect();
    assert_eq!(voted, electors[..4].to_vec());
    // … and while it is open each paper is one sealed row: no subject, no option readable.
    let sealed = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NOT NULL AND option = ''",
        vec![id.into()],
    )
    .await
    .unwrap();
    assert_eq!(sealed, 4);
    // The audit log records that each elector voted, never what.
    let summaries: Vec<String> = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'ballot_vote' AND target_id = $1",
        vec![id.to_string().into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect();
    assert_eq!(summaries.len(), 4);
    assert!(
        summaries.iter().all(|s| !s.contains("赞成") && !s.contains("反对") && !s.contains("弃权")),
        "{summaries:?}"
    );

    // Closed: the count is final; nobody votes any more, and it closes once.
    let b = model::ballot(app.db(), id).await.unwrap().unwrap();
    write_as(&app.state, Actor::system("测试"), async |w| {
        service::close(w.txn(), w.key(), &app.state.crypto, w.actor(), &b, None, 2).await
    })
    .await
    .unwrap();
    // Closed: the papers are opened into plain votes under random keys, so their order says
    // nothing of who came first.
    let ids: Vec<i64> = db::query_rows(app.db(), "SELECT id FROM ballot_votes WHERE ballot_id = $1", vec![id.into()])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).unwrap())
        .collect();
    assert_eq!(ids.len(), 7);
    let (lo, hi) = (ids.iter().min().unwrap(), ids.iter().max().unwrap());
    assert!(hi - lo > 1_000_000, "vote keys look like a sequence: {ids:?}");
    let late = cast(&app, id, electors[4], &[(0, "yes")]).await;
    assert!(matches!(late, Err(AppError::Conflict(_))), "{late:?}");
    let twice = write_as(&app.state, Actor::system("测试"), async |w| {
        service::close(w.txn(), w.key(), &app.state.crypto, w.actor(), &b, None, 3).await
    })
    .await;
    assert!(matches!(twice, Err(AppError::Conflict(_))));
    let b = model::ballot(app.db(), id).await.unwrap().unwrap();
    assert_eq!(model::tally(app.db(), &app.state.crypto, &b).await.unwrap().voted, 4);
}
demo_test!(a_motion_passes_with_two_thirds_of_all);

async fn a_named_ballot_keeps_the_voter_and_the_database_allows_one_vote_per_subject(app: TestApp) {
    let (organ, persons) = people(&app).await;
    let id = open(&app, organ, &persons[..3], false).await;
    cast(&app, id, persons[0], &[(0, "no"), (1, "yes")]).await.unwrap();
    let voters = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND voter_id = $2",
        vec![id.into(), persons[0].into()],
    )
    .await
    .unwrap();
    assert_eq!(voters, 2);
    // The unique key holds even past the service.
    let subject = model::subjects(app.db(), id).await.unwrap()[0].id;
    let dup = db::exec(
        app.db(),
        "INSERT INTO ballot_votes (id, ballot_id, subject_id, option, voter_id) VALUES (42, $1, $2, 'yes', $3)",
        vec![id.into(), subject.into(), persons[0].into()],
    )
    .await;
    assert!(dup.as_ref().is_err_and(db::is_unique_violation), "{dup:?}");
}
demo_test!(a_named_ballot_keeps_the_voter_and_the_database_allows_one_vote_per_subject);
