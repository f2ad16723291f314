//! A crawler of the site as a person sees it: from a page, every same-origin link, each page
//! once, breadth first (no form is sent, so no logout and no POST). The reachability tests
//! (tests/it/crawl.rs) and the browser checks (tests/e2e, which include this file to find one
//! page of each route and the clicks that lead there) use it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use capacity_survey::demo;
use capacity_survey::store;
use capacity_survey::web::route_table::{self, ROUTES, Reach, Verb, Who};

use crate::support::{self, TestApp};

/// More pages than the demo forum has: a crawl that gets here is following a loop.
const MAX_PAGES: usize = 5000;

/// One page the crawler asked for.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Path and query, without the `lang` parameter and the fragment.
    pub url: String,
    pub status: u16,
    /// The page that linked here first (an index into [`Crawl::visits`]) and the link's `href`
    /// as written there; `None` for where the crawl started and for redirects' targets.
    pub from: Option<(usize, String)>,
    /// The route of the table that answered.
    pub pattern: Option<&'static str>,
    /// Whether the answer was an HTML page (not a download).
    pub html: bool,
}

#[derive(Debug, Default)]
pub struct Crawl {
    pub visits: Vec<Visit>,
}

impl Crawl {
    /// The patterns of the routes reached.
    pub fn patterns(&self) -> BTreeSet<&'static str> {
        self.visits.iter().filter_map(|v| v.pattern).collect()
    }

    /// Pages that answered 4xx or 5xx, each with the page that linked there.
    pub fn failures(&self) -> Vec<String> {
        self.visits
            .iter()
            .filter(|v| v.status >= 400)
            .map(|v| {
                let from = v
                    .from
                    .as_ref()
                    .map(|(i, _)| self.visits[*i].url.as_str())
                    .unwrap_or("-");
                format!("{} {} (linked from {from})", v.status, v.url)
            })
            .collect()
    }

    /// The first page of each route that answered 200 with HTML, by pattern.
    #[allow(dead_code)] // For the browser checks (tests/e2e).
    pub fn first_of_each_route(&self) -> BTreeMap<&'static str, usize> {
        let mut first = BTreeMap::new();
        for (i, v) in self.visits.iter().enumerate() {
            if let (Some(pattern), 200, true) = (v.pattern, v.status, v.html) {
                first.entry(pattern).or_insert(i);
            }
        }
        first
    }

    /// The way from where the crawl started to a visited page: each page on the way (an index
    /// into the visits) with the link to click there.
    #[allow(dead_code)] // For the browser checks (tests/e2e).
    pub fn path_to(&self, index: usize) -> Vec<(usize, String)> {
        let mut path = Vec::new();
        let mut at = index;
        while let Some((from, href)) = &self.visits[at].from {
            path.push((*from, href.clone()));
            at = *from;
        }
        path.reverse();
        path
    }
}

/// The routes a role may use that a person reaches by links, and that the crawl never met.
pub fn unreached(who: Who, reached: &BTreeSet<&'static str>) -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|r| r.verb == Verb::Get && r.reach == Reach::Link && r.serves(who))
        .map(|r| r.pattern)
        .filter(|p| !reached.contains(p))
        .collect()
}

/// An attribute's value as written in HTML, with the entities askama writes decoded.
fn decode_attribute(raw: &str) -> String {
    raw.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
}

/// The `href` of every `<a>` of a page, decoded.
pub fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<a ") {
        rest = &rest[at + 3..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        if let Some(start) = tag.find("href=\"") {
            let value = &tag[start + 6..];
            if let Some(close) = value.find('"') {
                found.push(decode_attribute(&value[..close]));
            }
        }
    }
    found
}

/// A link as the page to ask for (path and query without `lang`, no fragment); `None` when it
/// leaves the site or only switches the language of the same page.
pub fn local_url(href: &str, base: &str) -> Option<String> {
    let href = href.strip_prefix(base).unwrap_or(href);
    if !href.starts_with('/') || href.starts_with("//") {
        return None;
    }
    let href = href.split('#').next().unwrap_or_default();
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
        .collect();
    Some(if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    })
}

/// Follows every same-origin link from `start`, breadth first, each page once; redirects are
/// followed too.
pub async fn crawl(client: &reqwest::Client, base: &str, start: &str) -> Crawl {
    let mut crawl = Crawl::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<(String, Option<(usize, String)>)> = VecDeque::new();
    queue.push_back((start.to_owned(), None));
    seen.insert(start.to_owned());
    while let Some((url, from)) = queue.pop_front() {
        assert!(
            crawl.visits.len() < MAX_PAGES,
            "more than {MAX_PAGES} pages: a loop of links?"
        );
        let response = support::get(client, &format!("{base}{url}")).await;
        let status = response.status().as_u16();
        let path = url.split('?').next().unwrap_or_default();
        let index = crawl.visits.len();
        crawl.visits.push(Visit {
            pattern: route_table::find(Verb::Get, path).map(|r| r.pattern),
            url,
            status,
            from,
            html: false,
        });
        let html = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        crawl.visits[index].html = html;
        let mut next = Vec::new();
        if response.status().is_redirection() {
            next.push((support::location(&response), None));
        } else if status == 200 && html {
            let html = response.text().await.expect("page body");
            next.extend(
                links(&html)
                    .into_iter()
                    .map(|href| (href.clone(), Some((index, href)))),
            );
        }
        for (href, from) in next {
            if let Some(url) = local_url(&href, base)
                && seen.insert(url.clone())
            {
                queue.push_back((url, from));
            }
        }
    }
    crawl
}

/// The demo forum, with the clock inside its answering period so that a draft can still be
/// changed (and its pages for adding mechanisms are open).
pub async fn demo_forum() -> TestApp {
    let app = TestApp::spawn_with(|conn| {
        demo::load(conn, capacity_survey::service::now()).expect("load the demo");
    })
    .await;
    let answering = chrono::NaiveDate::from_ymd_opt(2023, 7, 20)
        .and_then(|d| d.and_hms_opt(15, 0, 0))
        .expect("a date");
    app.clock.set(answering);
    app
}

/// The email of a demo representative whose response is still a draft.
pub fn draft_representative(app: &TestApp) -> &'static str {
    let assessment = store::assessments::list(&mut app.conn()).expect("assessments")[0]
        .id
        .clone();
    let drafts: Vec<String> = store::responses::list_for_assessment(&mut app.conn(), &assessment)
        .expect("responses")
        .into_iter()
        .filter(|(r, _)| r.status == store::responses::STATUS_DRAFT)
        .map(|(_, o)| o.acronym)
        .collect();
    demo::representatives()
        .find(|(acronym, _)| drafts.iter().any(|d| d == acronym))
        .map(|(_, email)| email)
        .expect("a demo representative with a draft")
}
