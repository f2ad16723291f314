//! capacity-survey: runs an institutional capacity assessment for a national migration
//! statistics forum. See README.md for the layout; `web` -> `service` -> `store` / `mail` ->
//! `domain`, with `jobs` running in the background.

rust_i18n::i18n!("src/locales", fallback = "es");

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod server;
pub mod service;
pub mod store;
pub mod web;
