//! Integration tests: the real app over HTTP, a fresh database per test. One binary for all, so
//! it links once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod analysis;
mod audit;
mod authz;
mod cli;
mod crawl;
mod crawler;
mod demo;
mod durability;
mod email;
mod forum;
mod hostile;
mod instances;
mod pages;
mod questionnaire;
mod reliability;
mod sessions;
mod settings;
mod storage;
mod support;
mod throttle;
