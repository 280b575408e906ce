//! `--format html`: one self-contained page. Checked twice: the page itself
//! (size, embedded data, the text report's numbers, nothing that can break
//! out of the page), and the page as a browser renders it: headless
//! Chromium opens it from `file://`, runs its script, and the test reads
//! the DOM it made, after scripted clicks on the sort buttons, toggles and
//! rows (the same handlers a reader's clicks run).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{profdiff, run_ok, stderr};

const BEFORE: &str = "fixtures/seed/before.prof";
const AFTER: &str = "fixtures/seed/after.prof";

fn seed_report(dir: &Path, extra: &[&str]) -> PathBuf {
    let path = dir.join("report.html");
    let mut args = vec![
        "diff",
        BEFORE,
        AFTER,
        "--format",
        "html",
        "-o",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = profdiff(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    path
}

/// The JSON document the page's script reads.
fn page_data(html: &str) -> serde_json::Value {
    let start = html
        .find("<script type=\"application/json\" id=\"profdiff-data\">")
        .expect("data script")
        + "<script type=\"application/json\" id=\"profdiff-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

/// The rendered DOM of `page` (a file) after its scripts ran, with
/// `clicks` (JavaScript) run after the page's own script.
fn chromium_dom(page: &Path, fragment: &str, clicks: &str) -> String {
    let page = if clicks.is_empty() {
        page.to_path_buf()
    } else {
        let html = std::fs::read_to_string(page).unwrap();
        let scripted = page.with_file_name("scripted.html");
        let html = html.replace(
            "</body>",
            &format!("<script>\n{clicks}\n</script>\n</body>"),
        );
        std::fs::write(&scripted, html).unwrap();
        scripted
    };
    let url = format!("file://{}{fragment}", page.display());
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
            &url,
        ])
        .output()
        .expect("run chromium");
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

fn chromium() -> String {
    crate::system_tool("chromium")
}

/// The `data-key`s of the table's rows, in order.
fn row_keys(dom: &str) -> Vec<String> {
    let body = &dom[dom.find("<tbody>").expect("tbody")..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.match_indices("<tr data-key=\"")
        .map(|(at, prefix)| {
            let rest = &body[at + prefix.len()..];
            html_unescape(&rest[..rest.find('"').unwrap()])
        })
        .collect()
}

/// The text of each cell of the row with `key`.
fn row_cells(dom: &str, key: &str) -> Vec<String> {
    let escaped = key
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let marker = format!("<tr data-key=\"{escaped}\"");
    let start = dom.find(&marker).unwrap_or_else(|| panic!("no row {key}"));
    let row = &dom[start..start + dom[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..];
            html_unescape(&text[..text.find("</td>").unwrap()])
        })
        .collect()
}

fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn seed_report_is_self_contained_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(seed_report(dir.path(), &[])).unwrap();
    // Well under the 2 MB the issue allows for the seed.
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    // Nothing fetched: no external script, style, font or image.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(needle), "{needle}");
    }
    // Summary and causes lead, before the table.
    let summary = html.find("id=\"summary\"").unwrap();
    let causes = html.find("causes: call counts that changed").unwrap();
    let table = html.find("id=\"functions\"").unwrap();
    assert!(summary < causes && causes < table);
    let data = page_data(&html);
    let rows = data["rows"].as_array().unwrap();
    // Every function of either side (2,881 each; one added, one removed).
    assert_eq!(rows.len(), 2_882);
    assert!(data["edges"].as_array().unwrap().len() > 5_000);
}

#[test]
fn cells_are_the_text_reports_and_match_pstats() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(seed_report(dir.path(), &[])).unwrap();
    let data = page_data(&html);
    let row = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[0] == "botocore/session.py:create_client")
        .expect("create_client row");
    let cells: Vec<&str> = row[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // 6 → 1 calls: pstats' ncalls of botocore/session.py:846(create_client)
    // in fixtures/seed/before.pstats.txt and after.pstats.txt.
    for (file, calls) in [("before", "6"), ("after", "1")] {
        let text = std::fs::read_to_string(format!("fixtures/seed/{file}.pstats.txt")).unwrap();
        let line = text
            .lines()
            .find(|l| l.ends_with("botocore/session.py:846(create_client)"))
            .unwrap();
        assert_eq!(line.split_whitespace().next(), Some(calls), "{line}");
    }
    assert_eq!(cells[1], "6 → 1");
    assert_eq!(cells[2], "−5");
    assert_eq!(row[1], "improved");
    // The same cells as the text report's row.
    let text = run_ok(&[
        "diff",
        BEFORE,
        AFTER,
        "--color",
        "never",
        "--include",
        "^botocore/session.py:create_client$",
    ]);
    let line = text
        .lines()
        .find(|l| l.ends_with("botocore/session.py:846(create_client)"))
        .unwrap();
    for cell in &cells[1..] {
        assert!(line.contains(cell), "{cell:?} not in {line:?}");
    }
}

#[test]
fn browser_shows_create_client_sorts_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let page = seed_report(dir.path(), &[]);

    // Opened as is: create_client is in the summary and, with the default
    // order (largest change first), among the first rows drawn.
    let dom = chromium_dom(&page, "", "");
    assert!(dom.contains("botocore/session.py:846(create_client)"));
    let keys = row_keys(&dom);
    assert_eq!(keys.len(), 500, "the first page of rows");
    let position = keys
        .iter()
        .position(|k| k == "botocore/session.py:create_client")
        .expect("create_client drawn");
    assert!(position < 20, "create_client is row {position}");
    assert!(dom.contains("500 of 2,882 matching rows"), "count line");

    // Typing in the filter box, then clicking "calls" twice (descending,
    // then ascending).
    let dom = chromium_dom(
        &page,
        "",
        r#"
        var search = document.getElementById("search");
        search.value = "botocore/session.py";
        search.dispatchEvent(new Event("input"));
        document.querySelector('th button[data-column="calls"]').click();
        document.querySelector('th button[data-column="calls"]').click();
        "#,
    );
    let keys = row_keys(&dom);
    assert!(keys.len() > 20, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.contains("botocore/session.py")),
        "{keys:?}"
    );
    assert!(keys.contains(&"botocore/session.py:create_client".to_string()));
    // Ascending by calls (the new side's count), and not all equal.
    let calls: Vec<u64> = keys
        .iter()
        .map(|key| {
            // `6 → 1`, `5`, `385/356 → 77/66` (total/primitive, as pstats
            // writes recursive counts), or `3 → —` (removed: sorted by its
            // base count).
            let cells = row_cells(&dom, key);
            let sides: Vec<String> = cells[1]
                .split(" → ")
                .map(|s| s.split('/').next().unwrap().replace(',', ""))
                .collect();
            sides
                .last()
                .unwrap()
                .parse()
                .or_else(|_| sides[0].parse())
                .unwrap_or_else(|_| panic!("{key}: {:?}", cells[1]))
        })
        .collect();
    assert!(calls.windows(2).all(|w| w[0] <= w[1]), "{calls:?}");
    assert!(calls.first() < calls.last(), "{calls:?}");
    assert!(dom.contains("aria-sort=\"ascending\""));

    // The category toggles: only the added and removed rows stay.
    let dom = chromium_dom(
        &page,
        "",
        r#"
        ["regressed", "improved", "unchanged"].forEach(function (c) {
          document.querySelector('#toggles input[data-category="' + c + '"]').click();
        });
        "#,
    );
    let keys = row_keys(&dom);
    assert_eq!(keys.len(), 2, "{keys:?}");
    let body = &dom[dom.find("<tbody>").unwrap()..];
    assert!(body.contains("data-category=\"added\""));
    assert!(body.contains("data-category=\"removed\""));
    assert!(!body.contains("data-category=\"improved\""));
}

#[test]
fn browser_shows_callers_and_callees_of_the_selected_row() {
    let dir = tempfile::tempdir().unwrap();
    let page = seed_report(dir.path(), &[]);
    // A click on create_client's row.
    let dom = chromium_dom(
        &page,
        "",
        r#"
        document.querySelector('tr[data-key="botocore/session.py:create_client"]').click();
        "#,
    );
    let start = dom.find("id=\"neighbourhood\"").unwrap();
    let panel = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    assert!(!panel[..40].contains("hidden"), "panel shown");
    // pstats: create_client's one caller is botocore/context.py:118(wrapper),
    // 6 calls before, 1 after; it calls botocore/client.py:107(create_client).
    assert!(panel.contains("callers (1)"), "{panel}");
    assert!(
        panel.contains("botocore/context.py:118(wrapper)"),
        "{panel}"
    );
    assert!(panel.contains("calls 6 → 1"), "{panel}");
    assert!(
        panel.contains("botocore/client.py:107(create_client)"),
        "{panel}"
    );
    // Fewer calls and less time: drawn as an improvement.
    assert!(panel.contains("class=\"b\""), "{panel}");

    // The same view from a bookmark (the fragment), with a filter.
    let dom = chromium_dom(
        &page,
        "#q=session.py&fn=botocore/session.py:create_client",
        "",
    );
    assert!(dom.contains("callers (1)"));
    let keys = row_keys(&dom);
    assert!(keys.iter().all(|k| k.contains("session.py")), "{keys:?}");
}

#[test]
fn hostile_names_stay_text() {
    use profdiff::formats::pstats;
    use profdiff::model::{Function, FunctionKind};
    let dir = tempfile::tempdir().unwrap();
    let evil = "</script><script>document.title='pwned'</script><!--";
    let mut paths = Vec::new();
    for (name, calls) in [("base.prof", 1), ("new.prof", 3)] {
        let mut profile = crate::cprofile_profile(name);
        let mut f = Function::new(evil, FunctionKind::Source);
        f.file = Some("<img src=x onerror=alert(1)>.py".into());
        f.line = Some(1);
        f.calls = Some(calls);
        f.primitive_calls = Some(calls);
        f.self_cost = 0.01 * calls as f64;
        f.inclusive_cost = 0.01 * calls as f64;
        profile.functions.push(f);
        let path = dir.path().join(name);
        let mut bytes = Vec::new();
        pstats::write(&profile, &mut bytes).unwrap();
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let page = dir.path().join("evil.html");
    run_ok(&[
        "diff",
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    // The data script holds names exactly, but nothing in it can end the
    // script element; everywhere else names are HTML-escaped.
    assert!(!html.contains(evil), "raw name in the page");
    let data_start = html.find("<script type=\"application/json\"").unwrap();
    assert!(
        !html[..data_start].contains("<img src=x"),
        "raw file name in the page"
    );
    let data = page_data(&html);
    assert!(data["rows"][0][2][8].as_str().unwrap().contains(evil));
    let dom = chromium_dom(&page, "", "");
    assert!(dom.contains("<title>profdiff:"), "title kept");
    assert!(!dom.contains("pwned</title>"));
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;document.title="));
    // No element came out of a name.
    let body = &dom[dom.find("<tbody>").unwrap()..dom.find("</tbody>").unwrap()];
    assert!(!body.contains("<img"), "{body}");
    assert!(body.contains("&lt;img src=x"), "{body}");
}

#[test]
fn show_as_html_lists_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("show.html");
    run_ok(&[
        "show",
        AFTER,
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    let data = page_data(&html);
    assert_eq!(data["kind"], "show");
    assert_eq!(data["rows"].as_array().unwrap().len(), 2_881);
    let dom = chromium_dom(
        &page,
        "",
        r#"document.querySelector('tr[data-key="botocore/session.py:create_client"]').click();"#,
    );
    // pstats: 1 call in the fixed handler.
    let cells = row_cells(&dom, "botocore/session.py:create_client");
    assert_eq!(cells[0], "1");
    assert!(dom.contains("callers (1)"));
}

#[test]
fn large_reports_are_capped_with_a_note() {
    // A synthetic pair with more functions than a page holds.
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, scale) in [("a.prof", 1.0), ("b.prof", 2.0)] {
        let mut profile = crate::cprofile_profile(name);
        for i in 0..6_000u32 {
            let mut f = profdiff::model::Function::new(
                format!("f{i}"),
                profdiff::model::FunctionKind::Source,
            );
            f.file = Some("big.py".into());
            f.line = Some(i + 1);
            f.calls = Some(1);
            f.primitive_calls = Some(1);
            f.self_cost = 0.001 * scale * (i + 1) as f64;
            f.inclusive_cost = f.self_cost;
            profile.functions.push(f);
        }
        let path = dir.path().join(name);
        let mut bytes = Vec::new();
        profdiff::formats::pstats::write(&profile, &mut bytes).unwrap();
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let page = dir.path().join("big.html");
    run_ok(&[
        "diff",
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(page_data(&html)["rows"].as_array().unwrap().len(), 5_000);
    assert!(
        html.contains("This page holds the first 5,000 of 6,000 rows"),
        "note"
    );
}

#[test]
fn stack_profiles_show_their_flame_graph() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (
        "fixtures/folded/austin_before.txt",
        "fixtures/folded/austin_after.txt.gz",
    );
    let page = dir.path().join("austin.html");
    let svg = dir.path().join("austin.svg");
    run_ok(&[
        "diff",
        before,
        after,
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    run_ok(&[
        "diff",
        before,
        after,
        "--format",
        "flamegraph",
        "-o",
        svg.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    let prefix = "src=\"data:image/svg+xml;base64,";
    let start = html.find(prefix).expect("flame graph") + prefix.len();
    let end = start + html[start..].find('"').unwrap();
    let embedded = base64::engine::general_purpose::STANDARD
        .decode(&html[start..end])
        .unwrap();
    // The same picture as --format flamegraph.
    assert_eq!(embedded, std::fs::read(&svg).unwrap());
    assert!(html.contains("<a href=\"#flamegraph\">Flame graph</a>"));
    // A pstats diff has no stacks: no flame graph section.
    let seed = std::fs::read_to_string(seed_report(dir.path(), &[])).unwrap();
    assert!(!seed.contains("id=\"flamegraph\""));
}
