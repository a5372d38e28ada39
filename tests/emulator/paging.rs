//! Paging ranges from the API metadata: out of range is `InvalidParameter` naming the field.

use ptsplan::emulator::Faults;

use super::client::{InProcess, fresh_nonce, save_scene};

#[test]
fn page_ranges_are_enforced_per_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), None, Faults::default());
    let client = server.client();
    let id = save_scene(&client, "paging");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "ListPtsScene",
            &[("PageNumber", "1"), ("PageSize", "9")],
            "PageSize",
        ),
        (
            "ListPtsScene",
            &[("PageNumber", "1"), ("PageSize", "1001")],
            "PageSize",
        ),
        (
            "ListPtsScene",
            &[("PageNumber", "0"), ("PageSize", "10")],
            "PageNumber",
        ),
        (
            "ListPtsScene",
            &[("PageNumber", "x"), ("PageSize", "10")],
            "PageNumber",
        ),
        (
            "GetPtsReportsBySceneId",
            &[("SceneId", &id), ("PageNumber", "1"), ("PageSize", "4")],
            "PageSize",
        ),
        (
            "GetPtsReportsBySceneId",
            &[("SceneId", &id), ("PageNumber", "1"), ("PageSize", "101")],
            "PageSize",
        ),
        (
            "ListOpenJMeterScenes",
            &[("PageNumber", "1"), ("PageSize", "9")],
            "PageSize",
        ),
        (
            "ListEnvs",
            &[("PageNumber", "1"), ("PageSize", "4")],
            "PageSize",
        ),
        (
            "ListEnvs",
            &[("PageNumber", "1"), ("PageSize", "201")],
            "PageSize",
        ),
        (
            "ListJMeterReports",
            &[("PageNumber", "101"), ("PageSize", "10")],
            "PageNumber",
        ),
        (
            "ListJMeterReports",
            &[("PageNumber", "1"), ("PageSize", "51")],
            "PageSize",
        ),
        (
            "GetPtsDebugSampleLogs",
            &[("PlanId", "X"), ("PageNumber", "1"), ("PageSize", "201")],
            "PageSize",
        ),
    ];
    for (action, params, field) in cases {
        let answer = client.call(action, params);
        assert_eq!(
            (answer.status, answer.code()),
            (400, "InvalidParameter"),
            "{action} {params:?}: {}",
            answer.raw
        );
        assert!(
            answer.text("Message").contains(&format!("\"{field}\"")),
            "{action}: {}",
            answer.raw
        );
    }
    for (page_number, page_size, field) in [
        ("51", "10", "PageNumber"),
        ("1", "21", "PageSize"),
        ("1", "0", "PageSize"),
    ] {
        let answer = client
            .try_call(
                "ListPtsReports",
                &[],
                &[("PageNumber", page_number), ("PageSize", page_size)],
                jiff::Timestamp::now(),
                &fresh_nonce(),
            )
            .expect("answer");
        assert_eq!(answer.code(), "InvalidParameter", "{}", answer.raw);
        assert!(answer.text("Message").contains(field));
    }
    // The edges are accepted.
    for size in ["10", "1000"] {
        assert_eq!(
            client
                .call("ListPtsScene", &[("PageNumber", "1"), ("PageSize", size)])
                .status,
            200
        );
    }
}

#[test]
fn list_pages_newest_first_without_repeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), None, Faults::default());
    let client = server.client();
    let mut ids: Vec<String> = (0..25)
        .map(|i| save_scene(&client, &format!("page-{i}")))
        .collect();
    let mut seen = Vec::new();
    for page in 1..=3 {
        let answer = client.call(
            "ListPtsScene",
            &[("PageNumber", &page.to_string()), ("PageSize", "10")],
        );
        let list = answer.body["SceneViewList"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(list.len(), [10, 10, 5][page - 1]);
        seen.extend(
            list.iter()
                .map(|v| v["SceneId"].as_str().unwrap_or_default().to_owned()),
        );
    }
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
}
