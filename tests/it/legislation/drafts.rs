//! LEG-2: a draft pasted or uploaded, shown as recognised before it is saved; bad input and bad
//! files refused in Chinese with nothing stored; a second reading whose articles keep their
//! identities; the compare; who may see and import drafts.

use axum::http::StatusCode;
use renda::auth::Scope;
use serde_json::json;

use super::{api_upload, articles, count, fixture, stored};
use crate::demo_test;
use crate::support::TestApp;

async fn a_pasted_draft_is_previewed_then_saved(app: TestApp) {
    let mut staff = app.login("staff").await;
    let form = staff.get("/console/legislation/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let text = fixture("guowuyuan-1982.md");
    let before = stored(&app).await;
    // 识别: the recognised structure, nothing stored.
    let r = staff
        .post(
            "/console/legislation/new",
            &[("side", "own"), ("label", "征求意见稿"), ("stage", "drafting"), ("text", &text), ("action", "preview")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已识别 <strong>11 条、15 款</strong>"), "{}", r.body);
    assert!(r.body.contains("中华人民共和国国务院组织法"));
    assert!(r.body.contains("1982年12月10日 第五届全国人民代表大会第五次会议通过"), "the enacting line is kept apart");
    assert!(r.body.contains("条文编号连续，没有无法识别的内容"));
    assert_eq!(stored(&app).await, before, "a preview stores nothing");
    // 确认保存.
    let r = staff
        .submit(
            &r,
            "#import-form",
            &[
                ("text", &text),
                ("action", "save"),
                ("title", ""),
                ("side", "own"),
                ("label", "征求意见稿"),
                ("stage", "drafting"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = count(&app, "SELECT max(id) FROM leg_drafts").await;
    assert_eq!(count(&app, &format!("SELECT count(*) FROM leg_versions WHERE draft_id = {id}")).await, 1);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM leg_nodes n JOIN leg_versions v ON v.id = n.version_id WHERE v.draft_id = {id} AND n.kind = 'article'")
        )
        .await,
        11,
        "the eleven articles of 1982"
    );
    let title: String = renda::db::query_rows(app.db(), "SELECT title FROM leg_drafts WHERE id = $1", vec![id.into()])
        .await
        .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(title, "中华人民共和国国务院组织法", "the parsed title when none was typed");
    let page = staff.get(&format!("/console/legislation/{id}")).await;
    assert!(page.body.contains("征求意见稿"), "{}", page.body);
    let v = count(&app, "SELECT max(id) FROM leg_versions").await;
    let page = staff.get(&format!("/console/legislation/versions/{v}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let numbers = page.texts("article.law h3.article");
    assert_eq!(numbers.len(), 11);
    assert!(numbers[10].starts_with("第十一条"), "{numbers:?}");
    // The audit log names the import with its counts.
    assert!(
        count(&app, "SELECT count(*) FROM audit_log WHERE action = 'leg_version_add' AND summary LIKE '%11 条%'").await
            == 1
    );
}
demo_test!(a_pasted_draft_is_previewed_then_saved);

async fn malformed_input_and_bad_files_are_refused_with_nothing_stored(app: TestApp) {
    let mut staff = app.login("staff").await;
    let before = stored(&app).await;
    let text = fixture("malformed.txt");
    let fields = [("side", "own"), ("label", "一审稿"), ("stage", "first_reading"), ("text", text.as_str())];
    // Preview: every issue by its line.
    let r = staff.post("/console/legislation/new", &[&fields[..], &[("action", "preview")]].concat()).await;
    assert_eq!(r.status, StatusCode::OK);
    let issues = r.texts("ol.issues li");
    assert_eq!(issues.len(), 3, "{issues:?}");
    assert!(issues[0].contains("第 5 行无法识别（在「第一章」之后）：「这一段既不是条文也不是章节标题"), "{issues:?}");
    assert!(issues.iter().any(|i| i.contains("「第四条」之前缺少第三条")), "{issues:?}");
    assert!(issues.iter().any(|i| i.contains("「第四条」编号重复或倒序")), "{issues:?}");
    // Saving without ticking 「已核对」 is refused, naming the lines; nothing is stored.
    let r = staff.post("/console/legislation/new", &[&fields[..], &[("action", "save")]].concat()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("有 3 处需要核对"), "{}", r.body);
    assert_eq!(stored(&app).await, before);
    // A text without any article, even accepted.
    let r = staff
        .post(
            "/console/legislation/new",
            &[
                ("side", "own"),
                ("label", "一审稿"),
                ("stage", "drafting"),
                ("text", "通知\n请各单位认真落实。"),
                ("accept_issues", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有识别出任何条文"), "{}", r.body);
    // A consulted draft needs who sent it; a stage must be one of the list.
    let r = staff
        .post(
            "/console/legislation/new",
            &[
                ("side", "consulted"),
                ("label", "征求意见稿"),
                ("stage", "vote"),
                ("text", &fixture("guowuyuan-1982.md")),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写征求意见的机关"), "{}", r.body);
    assert!(r.body.contains("请选择所处阶段"), "{}", r.body);
    // Bad files: an old .doc, a zip that is no Word file, a bomb, bytes that are no text.
    let doc = [0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0];
    let r = staff.upload_with("/console/legislation/new/file", &[("label", "一审稿")], "file", "草案.doc", &doc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("这是旧版 Word（.doc）文件"), "{}", r.body);
    let bomb = {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("word/document.xml", o).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..10 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
        buf.into_inner()
    };
    assert!(bomb.len() < 200_000);
    let r = staff.upload("/console/legislation/new/file", "file", "草案.docx", &bomb).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("压缩比异常"), "{}", r.body);
    let r = staff.upload("/console/legislation/new/file", "file", "草案.txt", &[0xff, 0xfe, 0x00, 0x41]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不是 Word 文档（.docx），也不是 UTF-8 编码的文本文件"), "{}", r.body);
    let token = app.token("staff", Scope::Write).await;
    let r = api_upload(&app, "/api/v1/legislation/drafts", &token, &[], "草案.doc", &doc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains(".doc"));
    let r = app.api("POST", "/api/v1/legislation/drafts", Some(&token), Some(json!({"text": text}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["detail"].as_str().unwrap().contains("第 5 行"), "{}", r.body);
    assert_eq!(stored(&app).await, before, "nothing of a refused import is kept");
    // Accepted on purpose: saved, the issues kept with the version.
    let r = app
        .api("POST", "/api/v1/legislation/drafts", Some(&token), Some(json!({"text": text, "accept_issues": true})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json()["version_id"].as_i64().unwrap();
    let tree = app.api("GET", &format!("/api/v1/legislation/versions/{v}"), Some(&token), None).await.json();
    assert_eq!(tree["issues"].as_array().unwrap().len(), 3);
    assert_eq!(tree["title"], "某某市养犬管理条例（草案）");
}
demo_test!(malformed_input_and_bad_files_are_refused_with_nothing_stored);

async fn a_docx_is_read_with_words_automatic_numbers(app: TestApp) {
    let token = app.token("staff", Scope::Write).await;
    let bytes = renda::legislation::docx::build(&[
        "诸城市农村生活垃圾治理条例（草案）",
        "第一章 总则",
        "#为了加强农村生活垃圾治理，改善农村人居环境，制定本条例。",
        "#本条例适用于本市行政区域内农村生活垃圾的分类、收集、运输和处理。",
        "第二章 分类与收运",
        "#农村生活垃圾分为：",
        "（一）可回收物；",
        "（二）有害垃圾；",
        "（三）其他垃圾。",
    ]);
    let r = api_upload(
        &app,
        "/api/v1/legislation/drafts",
        &token,
        &[("label", "一审稿"), ("stage", "first_reading")],
        "条例草案.docx",
        &bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert!(r.header("location").unwrap().ends_with(&format!("/drafts/{id}")));
    let v = r.json()["version_id"].as_i64().unwrap();
    let tree = app.api("GET", &format!("/api/v1/legislation/versions/{v}"), Some(&token), None).await.json();
    assert_eq!(tree["label"], "一审稿");
    assert_eq!(tree["stage"], "first_reading");
    let a = articles(&tree);
    let numbers: Vec<&str> = a.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(numbers, ["第一条", "第二条", "第三条"], "numbers rebuilt from Word's numbering");
    let third = &tree["nodes"][1]["children"][0];
    assert_eq!(third["kind"], "article");
    let items = &third["children"][0]["children"];
    assert_eq!(items.as_array().unwrap().len(), 3);
    assert_eq!(items[2]["number"], "（三）");
    assert_eq!(items[2]["kind"], "item");
    // The console reads the same file and says how many numbers came from Word.
    let mut staff = app.login("staff").await;
    let r = staff
        .upload_with(
            "/console/legislation/new/file",
            &[("side", "own"), ("label", "一审稿"), ("stage", "first_reading")],
            "file",
            "草案.docx",
            &bytes,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("其中 3 段的编号来自 Word 自动编号"), "{}", r.body);
    assert!(r.body.contains("第三条 农村生活垃圾分为："), "the text is in the form to confirm");
}
demo_test!(a_docx_is_read_with_words_automatic_numbers);

async fn a_second_reading_keeps_article_identities_and_compares(app: TestApp) {
    let token = app.token("staff", Scope::Write).await;
    let r = app
        .api(
            "POST",
            "/api/v1/legislation/drafts",
            Some(&token),
            Some(json!({"text": fixture("guowuyuan-1982.md"), "label": "一审稿", "stage": "first_reading"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (id, v1) = (r.json()["id"].as_i64().unwrap(), r.json()["version_id"].as_i64().unwrap());
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/drafts/{id}/versions"),
            Some(&token),
            Some(json!({"text": fixture("guowuyuan-2024.md"), "label": "二审稿", "stage": "second_reading"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v2 = r.json()["version_id"].as_i64().unwrap();
    let old = articles(&app.api("GET", &format!("/api/v1/legislation/versions/{v1}"), Some(&token), None).await.json());
    let new = articles(&app.api("GET", &format!("/api/v1/legislation/versions/{v2}"), Some(&token), None).await.json());
    assert_eq!((old.len(), new.len()), (11, 20));
    let id_of = |v: &[(i64, String, String)], n: &str| v.iter().find(|a| a.1 == n).map(|a| a.0).unwrap();
    // 1982 第二条 (the members of the State Council) is 2024 第五条; 第七条 (the secretary-
    // general) is 第十条, word for word; 第三条 (its powers) is 第六条.
    assert_eq!(id_of(&new, "第五条"), id_of(&old, "第二条"));
    assert_eq!(id_of(&new, "第十条"), id_of(&old, "第七条"));
    assert_eq!(id_of(&new, "第六条"), id_of(&old, "第三条"));
    // 第一条 was rewritten (a purpose clause instead of the constitutional basis): a new article.
    assert_ne!(id_of(&new, "第一条"), id_of(&old, "第一条"));
    // The three articles put in near the start are new identities.
    for n in ["第二条", "第三条", "第四条"] {
        assert!(!old.iter().any(|a| a.0 == id_of(&new, n)), "{n} is new");
    }
    let c = app.api("GET", &format!("/api/v1/legislation/compare?from={v1}&to={v2}"), Some(&token), None).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = c.json();
    let row = |node: i64| c["items"].as_array().unwrap().iter().find(|x| x["node_id"] == node).cloned().unwrap();
    let secretary = row(id_of(&new, "第十条"));
    assert_eq!(secretary["change"], "renumbered");
    assert_eq!((secretary["old_number"].as_str(), secretary["new_number"].as_str()), (Some("第七条"), Some("第十条")));
    assert_eq!(row(id_of(&new, "第二条"))["change"], "added");
    let members = row(id_of(&new, "第五条"));
    assert_eq!(members["change"], "changed");
    let added: String = members["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["op"] == "added")
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(added.contains("中国人民银行行长"), "{added}");
    assert_eq!(
        c["counts"]["added"].as_i64().unwrap()
            + c["counts"]["changed"].as_i64().unwrap()
            + c["counts"]["renumbered"].as_i64().unwrap()
            + c["counts"]["unchanged"].as_i64().unwrap(),
        20
    );
    // The console shows the same compare.
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/legislation/compare?from={v1}&to={v2}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<ins>"), "changed characters are marked");
    let row = page.texts(&format!("tr#n{} td", id_of(&new, "第十条")));
    assert_eq!(&row[..3], ["第七条", "第十条", "条号变化"]);
    // Versions of two drafts are not compared.
    let other = app
        .api("POST", "/api/v1/legislation/drafts", Some(&token), Some(json!({"text": fixture("guowuyuan-2024.md")})))
        .await
        .json()["version_id"]
        .as_i64()
        .unwrap();
    let r = app.api("GET", &format!("/api/v1/legislation/compare?from={v1}&to={other}"), Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
demo_test!(a_second_reading_keeps_article_identities_and_compares);

async fn only_the_organs_workers_see_drafts_and_only_staff_import(app: TestApp) {
    let token = app.token("staff", Scope::Write).await;
    let r = app
        .api("POST", "/api/v1/legislation/drafts", Some(&token), Some(json!({"text": fixture("guowuyuan-1982.md")})))
        .await;
    let (id, v) = (r.json()["id"].as_i64().unwrap(), r.json()["version_id"].as_i64().unwrap());
    for who in ["unit", "deputy", "keeper"] {
        let mut b = app.login(who).await;
        assert_eq!(b.get("/console/legislation").await.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(b.get(&format!("/console/legislation/{id}")).await.status, StatusCode::NOT_FOUND, "{who}");
        let t = app.token(who, Scope::Read).await;
        assert_eq!(
            app.api("GET", &format!("/api/v1/legislation/versions/{v}"), Some(&t), None).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // A leader reads, and may not import.
    let leader = app.token("leader", Scope::Write).await;
    assert_eq!(
        app.api("GET", &format!("/api/v1/legislation/drafts/{id}"), Some(&leader), None).await.status,
        StatusCode::OK
    );
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/drafts/{id}/versions"),
            Some(&leader),
            Some(json!({"text": fixture("guowuyuan-2024.md")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.api("POST", "/api/v1/legislation/drafts", Some(&leader), Some(json!({"text": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A read token never writes.
    let read = app.token("staff", Scope::Read).await;
    let r = app.api("POST", "/api/v1/legislation/drafts", Some(&read), Some(json!({"text": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
demo_test!(only_the_organs_workers_see_drafts_and_only_staff_import);
