//! End-to-end tests in headless Chromium: the organizer's and the representative's stories
//! with and without JavaScript, axe-core and the Nu checker on every page, screenshots.
//! They need chromium, chromedriver, Java and the npm tools: `.ci/e2e` installs them and runs
//! `cargo test --test e2e -- --ignored --test-threads=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../it/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "../it/forum.rs"]
mod forum;

#[allow(dead_code)]
#[path = "../it/crawler.rs"]
mod crawler;

mod browser;
mod pages;
mod questionnaire;
mod stories;
