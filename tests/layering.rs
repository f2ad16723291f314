//! The house rules, read from the source: `web -> service -> store / mail -> domain`, with `app`
//! (the shared state) and `jobs` (the background loop) beside the web. The test reads every file
//! under `src/` (its code before any `#[cfg(test)]` module) and fails on:
//! - an arrow a layer may not draw (the web reaching the store, the mail or diesel; a service
//!   reaching the web or the app; the domain reaching any other layer or anything with I/O; jobs
//!   reaching the web or the store; ...);
//! - two areas of the web importing each other (only the shared lower modules may be imported);
//! - services importing each other in a cycle;
//! - a file whose code passes 800 lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lines of code (before the tests) a file may have.
const MAX_CODE_LINES: usize = 800;

/// Modules under `src/web` that every area may import: infrastructure and shared views.
const WEB_SHARED: [&str; 12] = [
    "view",
    "retry",
    "client",
    "context",
    "csrf",
    "errors",
    "forms",
    "multipart",
    "charts",
    "limits",
    "assets",
    "route_table",
];

/// What each top-level module of the crate may not name (`crate::<module>`), and which outside
/// crates or standard modules it may not use.
fn forbidden(layer: &str) -> (&'static [&'static str], &'static [&'static str]) {
    const IO: &[&str] = &[
        "diesel",
        "actix_web",
        "actix_rt",
        "tokio",
        "lettre",
        "reqwest",
        "tempfile",
        "rust_xlsxwriter",
        "std::fs",
        "std::net",
        "std::io",
        "std::process",
        "std::thread",
        "std::env",
    ];
    match layer {
        "web" => (&["store", "mail", "jobs", "demo", "cli"], &["diesel"]),
        "jobs" => (&["web", "store", "mail", "demo", "cli"], &["diesel"]),
        "app" => (&["web", "jobs", "demo", "cli"], &[]),
        "service" => (&["web", "app", "jobs", "demo", "cli"], &[]),
        "store" => (
            &[
                "web", "app", "jobs", "service", "mail", "config", "demo", "cli",
            ],
            &[],
        ),
        "mail" => (
            &[
                "web", "app", "jobs", "service", "store", "config", "demo", "cli",
            ],
            &[],
        ),
        "domain" => (
            &[
                "web", "app", "jobs", "service", "store", "mail", "config", "demo", "cli",
            ],
            IO,
        ),
        "config" => (
            &["web", "app", "jobs", "service", "store", "demo", "cli"],
            &[],
        ),
        _ => (&[], &[]),
    }
}

/// A source file: its path under `src/` and its code before the first test module, comments out.
struct Source {
    path: PathBuf,
    code: String,
    code_lines: usize,
}

fn read_sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push(parse(path.strip_prefix(root).unwrap().to_path_buf(), &text));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn parse(path: PathBuf, text: &str) -> Source {
    let code_part: Vec<&str> = text
        .lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .collect();
    let code = code_part
        .iter()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (an URL) is rare here; cutting there only hides text.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    Source {
        path,
        code,
        code_lines: code_part.len(),
    }
}

/// The top-level module a file belongs to: `web/responses/overview.rs` -> `web`, `app.rs` -> `app`.
fn layer_of(path: &Path) -> String {
    let first = path
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The module path of a file: `web/responses/mod.rs` -> [web, responses].
fn module_path(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = path
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The paths of a `use` tree, braces expanded: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e.
fn expand_use(tree: &str) -> Vec<String> {
    fn list(s: &[char], at: &mut usize, prefix: &str, out: &mut Vec<String>) {
        loop {
            one(s, at, prefix, out);
            if *at < s.len() && s[*at] == ',' {
                *at += 1;
                if *at < s.len() && s[*at] == '}' {
                    return;
                }
            } else {
                return;
            }
        }
    }
    fn one(s: &[char], at: &mut usize, prefix: &str, out: &mut Vec<String>) {
        let mut path = prefix.to_owned();
        loop {
            if *at < s.len() && s[*at] == '{' {
                *at += 1;
                list(s, at, &path, out);
                *at += 1; // the closing brace
                return;
            }
            let start = *at;
            while *at < s.len() && !matches!(s[*at], ':' | ',' | '{' | '}') {
                *at += 1;
            }
            let segment: String = s[start..*at].iter().collect();
            // `x as y` names x; `self` names the prefix itself.
            let segment = segment.split(" as ").next().unwrap_or("").trim().to_owned();
            if segment != "self" && !segment.is_empty() {
                if !path.is_empty() {
                    path.push_str("::");
                }
                path.push_str(&segment);
            }
            if s[*at..].starts_with(&[':', ':']) {
                *at += 2;
            } else {
                out.push(path);
                return;
            }
        }
    }
    let normalized: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = normalized
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" ::", "::")
        .replace("{ ", "{")
        .replace(" }", "}")
        .replace(", ", ",")
        .replace(" ,", ",")
        .chars()
        .collect();
    let mut out = Vec::new();
    let mut at = 0;
    list(&chars, &mut at, "", &mut out);
    out
}

/// Every path the code names (in `use` trees and inline) that starts at `crate::` or `super::`,
/// resolved to an absolute module path without the `crate`; a path of another crate (`a::b`)
/// comes back as one segment `::a::b`.
fn named_paths(source: &Source) -> Vec<Vec<String>> {
    let here = module_path(&source.path);
    let resolve = |segments: Vec<String>| -> Option<Vec<String>> {
        match segments.first()?.as_str() {
            "crate" => Some(segments[1..].to_vec()),
            "super" => {
                let mut base = here.clone();
                let mut rest = &segments[..];
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            "self" => {
                let mut base = here.clone();
                base.extend(segments[1..].iter().cloned());
                Some(base)
            }
            _ if segments.len() > 1 => Some(vec![format!("::{}", segments.join("::"))]),
            _ => None,
        }
    };
    let mut paths = Vec::new();
    // `use` statements first, cut out of the code; then the paths written inline.
    let mut rest = String::new();
    let mut code = source.code.as_str();
    while let Some(at) = find_use(code) {
        rest.push_str(&code[..at]);
        let after = &code[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        for path in expand_use(&after[..end]) {
            let segments = path.split("::").map(str::to_owned).collect();
            paths.extend(resolve(segments));
        }
        code = &after[(end + 1).min(after.len())..];
    }
    rest.push_str(code);
    let bytes = rest.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut segments = Vec::new();
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            segments.push(rest[start..j].to_owned());
            if rest[j..].starts_with("::")
                && rest[j + 2..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                j += 2;
            } else {
                break;
            }
        }
        i = j;
        paths.extend(resolve(segments));
    }
    paths
}

/// Where the next `use ` statement of `code` starts (a `use` keyword at a word boundary).
fn find_use(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = code[from..].find("use ") {
        let at = from + found;
        let before = code[..at].chars().last();
        if before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// The problems of one file against the rules.
fn problems(source: &Source, web_modules: &BTreeSet<String>) -> Vec<String> {
    let layer = layer_of(&source.path);
    let (modules, outside) = forbidden(&layer);
    let mut found = BTreeSet::new();
    for path in named_paths(source) {
        let Some(first) = path.first() else { continue };
        if let Some(external) = first.strip_prefix("::") {
            if let Some(bad) = outside
                .iter()
                .find(|o| external == **o || external.starts_with(&format!("{o}::")))
            {
                found.insert(format!("{layer} may not use {bad}"));
            }
            continue;
        }
        if first != &layer && modules.contains(&first.as_str()) {
            found.insert(format!("{layer} may not import crate::{first}"));
        }
        // Areas of the web import only the shared modules of other areas.
        let here = module_path(&source.path);
        if layer == "web" && path.first().is_some_and(|p| p == "web") && here.len() >= 2 {
            let own_area = &here[1];
            if let Some(target) = path.get(1)
                && target != own_area
                && web_modules.contains(target)
                && !WEB_SHARED.contains(&target.as_str())
                && own_area != "route_table"
            {
                found.insert(format!("web/{own_area} may not import web/{target}"));
            }
        }
    }
    if source.code_lines > MAX_CODE_LINES && !is_test_module(&source.path) {
        found.insert(format!(
            "{} lines of code (at most {MAX_CODE_LINES} before the tests)",
            source.code_lines
        ));
    }
    found.into_iter().collect()
}

/// A file that holds only a module's tests (declared under `#[cfg(test)]` by its parent).
fn is_test_module(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| matches!(n, "tests.rs" | "proptests.rs" | "test_support.rs"))
}

/// The module names directly under `src/web` (files and folders).
fn web_modules(sources: &[Source]) -> BTreeSet<String> {
    sources
        .iter()
        .filter(|s| layer_of(&s.path) == "web")
        .filter_map(|s| module_path(&s.path).get(1).cloned())
        .collect()
}

#[test]
fn every_file_under_src_keeps_the_layering_and_the_size_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&root);
    assert!(sources.len() > 50, "src/ not found at {}", root.display());
    let web = web_modules(&sources);
    let report: Vec<String> = sources
        .iter()
        .flat_map(|s| {
            problems(s, &web)
                .into_iter()
                .map(move |p| format!("src/{}: {p}", s.path.display()))
        })
        .collect();
    assert!(report.is_empty(), "\n{}\n", report.join("\n"));
}

fn check(path: &str, text: &str, web: &[&str]) -> Vec<String> {
    let web: BTreeSet<String> = web.iter().map(|s| (*s).to_owned()).collect();
    problems(&parse(PathBuf::from(path), text), &web)
}

/// The arrows between the modules directly under `src/service` (a module's own submodules are
/// part of it), as `from -> to`.
fn service_arrows(sources: &[Source]) -> BTreeSet<(String, String)> {
    let mut arrows = BTreeSet::new();
    for source in sources.iter().filter(|s| layer_of(&s.path) == "service") {
        let Some(from) = module_path(&source.path).get(1).cloned() else {
            continue;
        };
        for path in named_paths(source) {
            if path.first().is_some_and(|p| p == "service")
                && let Some(to) = path.get(1)
                && to != &from
                && sources
                    .iter()
                    .any(|s| module_path(&s.path).get(1) == Some(to))
            {
                arrows.insert((from.clone(), to.clone()));
            }
        }
    }
    arrows
}

/// A cycle among `arrows`, if there is one, as the modules along it.
fn find_cycle(arrows: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        arrows: &BTreeSet<(String, String)>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for (_, to) in arrows.iter().filter(|(from, _)| from == node) {
            if let Some(cycle) = visit(to, arrows, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    arrows
        .iter()
        .find_map(|(from, _)| visit(from, arrows, &mut Vec::new(), &mut done))
}

#[test]
fn the_services_call_each_other_without_a_cycle() {
    let sources = read_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let arrows = service_arrows(&sources);
    assert!(arrows.len() > 5, "no arrows between services found");
    if let Some(cycle) = find_cycle(&arrows) {
        panic!(
            "services import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_knot_and_passes_a_line() {
    let arrows = |pairs: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    let knot = arrows(&[
        ("email", "responses"),
        ("responses", "analysis"),
        ("analysis", "responses"),
    ]);
    assert_eq!(
        find_cycle(&knot),
        Some(vec![
            "analysis".to_owned(),
            "responses".to_owned(),
            "analysis".to_owned()
        ])
    );
    let line = arrows(&[
        ("reminders", "responses"),
        ("responses", "email"),
        ("reminders", "email"),
    ]);
    assert_eq!(find_cycle(&line), None);
}

#[test]
fn the_checker_catches_each_kind_of_wrong_arrow() {
    let web = ["responses", "analysis", "view", "context"];
    assert_eq!(
        check(
            "web/analysis.rs",
            "use crate::store::assessments::Assessment;\n",
            &web
        ),
        ["web may not import crate::store"]
    );
    assert_eq!(
        check(
            "web/analysis/matrix.rs",
            "fn f() { diesel::insert_into(t); }\n",
            &web
        ),
        ["web may not use diesel"]
    );
    assert_eq!(
        check(
            "web/analysis/matrix.rs",
            "use super::super::responses::open;\n",
            &web
        ),
        ["web/analysis may not import web/responses"]
    );
    assert_eq!(
        check("web/exports.rs", "use crate::web::analysis::load;\n", &web),
        ["web/exports may not import web/analysis"]
    );
    assert_eq!(
        check(
            "web/audit.rs",
            "use super::{App, responses::open, view};\n",
            &web
        ),
        ["web/audit may not import web/responses"]
    );
    assert_eq!(
        check("jobs/mod.rs", "use crate::web::App;\n", &web),
        ["jobs may not import crate::web"]
    );
    assert_eq!(
        check("domain/answers.rs", "use std::fs::File;\n", &web),
        ["domain may not use std::fs"]
    );
    assert_eq!(
        check("service/x.rs", "fn f(app: &crate::app::App) {}\n", &web),
        ["service may not import crate::app"]
    );
    assert_eq!(
        check("mail/mod.rs", "use crate::store::outbox::Message;\n", &web),
        ["mail may not import crate::store"]
    );
    let long = "fn f() {}\n".repeat(MAX_CODE_LINES + 1);
    assert_eq!(check("store/x.rs", &long, &web).len(), 1);
}

#[test]
fn the_checker_lets_the_allowed_arrows_and_the_tests_pass() {
    let web = ["responses", "analysis", "view", "context"];
    let allowed = "use super::view::Pager;\nuse super::context::Ctx;\nuse crate::service::x;\n\
                   use super::{App, render};\n// crate::store in a comment\n";
    assert!(check("web/analysis.rs", allowed, &web).is_empty());
    assert!(
        check(
            "web/responses/overview.rs",
            "use super::sections::x;\n",
            &web
        )
        .is_empty()
    );
    let tests_below = "use crate::service::x;\n#[cfg(test)]\nmod tests { use crate::store::x; }\n";
    assert!(check("web/analysis.rs", tests_below, &web).is_empty());
    let code_then_tests = format!(
        "{}#[cfg(test)]\n{}",
        "fn f() {}\n".repeat(MAX_CODE_LINES),
        "fn t() {}\n".repeat(500)
    );
    assert!(check("store/x.rs", &code_then_tests, &web).is_empty());
}
