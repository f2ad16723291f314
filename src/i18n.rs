//! Translated UI strings (Spanish and English), kept in `src/locales/*.toml` and compiled into the
//! binary by rust-i18n.

use std::borrow::Cow;

use crate::domain::Lang;

/// The text of `key` in `lang` (Spanish when `lang` lacks it); the key, marked with the language,
/// when it is missing (a test keeps that from happening). The text borrows the key's lifetime,
/// as rust-i18n's `t!` returns it: nothing is copied.
pub fn tr<'k>(lang: Lang, key: &'k str) -> Cow<'k, str> {
    rust_i18n::t!(key, locale = lang.code())
}

/// The text of `key` with `%{name}` placeholders replaced.
pub fn tr_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let text = tr(lang, key);
    let patterns: Vec<&str> = args.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = args.iter().map(|(_, value)| (*value).to_owned()).collect();
    rust_i18n::replace_patterns(&text, &patterns, &values)
}

/// A number of things, as templates hold it (by value or by reference, signed or not; a negative
/// number counts as 0).
pub trait Count {
    fn count(&self) -> usize;
}

impl Count for usize {
    fn count(&self) -> usize {
        *self
    }
}

impl Count for i64 {
    fn count(&self) -> usize {
        usize::try_from(*self).unwrap_or_default()
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> usize {
        (**self).count()
    }
}

/// The text of `key.one` or `key.other`, chosen by `n` (both languages put 1 alone in the
/// singular: "1 organización", "0 organizaciones"), with `%{n}` and the other placeholders
/// replaced. rust-i18n has no plural rules of its own.
pub fn tr_count(lang: Lang, key: &str, n: usize, args: &[(&str, &str)]) -> String {
    let form = if n == 1 { "one" } else { "other" };
    let count = n.to_string();
    let mut all: Vec<(&str, &str)> = vec![("n", count.as_str())];
    all.extend_from_slice(args);
    tr_args(lang, &format!("{key}.{form}"), &all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
        for (key, value) in table {
            let full = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => flatten(&full, inner, out),
                toml::Value::String(s) => {
                    assert!(!s.trim().is_empty(), "{full} is empty");
                    out.insert(full);
                }
                other => panic!("{full}: expected a string, found {other}"),
            }
        }
    }

    fn keys(lang: Lang) -> BTreeSet<String> {
        let path = format!(
            "{}/src/locales/{}.toml",
            env!("CARGO_MANIFEST_DIR"),
            lang.code()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let mut out = BTreeSet::new();
        flatten("", &table, &mut out);
        out
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let es = keys(Lang::Es);
        let en = keys(Lang::En);
        let only_es: Vec<_> = es.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&es).collect();
        assert!(
            only_es.is_empty() && only_en.is_empty(),
            "only in es: {only_es:?}; only in en: {only_en:?}"
        );
    }

    /// Every literal key passed to `ctx.t("...")` in a template or to `tr(.., "...")` in the code
    /// must exist, or the page would show the raw key.
    #[test]
    fn every_key_used_exists() {
        let es = keys(Lang::Es);
        let sections: BTreeSet<String> = es
            .iter()
            .filter_map(|k| k.split('.').next().map(str::to_owned))
            .collect();
        let mut used = BTreeSet::new();
        let mut scan = |dir: &std::path::Path| {
            let mut stack = vec![dir.to_path_buf()];
            while let Some(path) = stack.pop() {
                if path.is_dir() {
                    for entry in std::fs::read_dir(&path).unwrap() {
                        stack.push(entry.unwrap().path());
                    }
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let is_rust = path.extension().is_some_and(|e| e == "rs");
                // Templates call ctx.t / ctx.ta; Rust code names keys as literals starting with
                // a top-level section of the translation files.
                let mut markers: Vec<String> = vec!["ctx.t(\"".into(), "ctx.ta(\"".into()];
                // Counted texts (ctx.tn or tr_count with a literal key) need both forms; the
                // key itself is then not a text of its own.
                let mut text = text;
                for marker in ["ctx.tn(\"", "tr_count(lang, \""] {
                    for piece in text.split(marker).skip(1) {
                        if let Some(end) = piece.find('"') {
                            used.insert(format!("{}.one", &piece[..end]));
                            used.insert(format!("{}.other", &piece[..end]));
                        }
                    }
                    text = text.replace(marker, "counted(");
                }
                if is_rust {
                    markers.extend(sections.iter().map(|s| format!("\"{s}.")));
                }
                for marker in &markers {
                    let prefix = marker.strip_prefix('"').filter(|_| is_rust).unwrap_or("");
                    for piece in text.split(marker.as_str()).skip(1) {
                        if let Some(end) = piece.find('"') {
                            let key = format!("{prefix}{}", &piece[..end]);
                            if !key.contains(' ')
                                && !key.contains('{')
                                && !key.ends_with('.')
                                && ![".html", ".csv", ".xlsx", ".json"]
                                    .iter()
                                    .any(|ext| key.ends_with(ext))
                            {
                                used.insert(key);
                            }
                        }
                    }
                }
            }
        };
        scan(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"));
        scan(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(used.len() > 10, "the scan found too few keys: {used:?}");
        let missing: Vec<_> = used.difference(&es).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
    }

    #[test]
    fn translation_and_placeholders() {
        assert_ne!(tr(Lang::Es, "nav.login"), tr(Lang::En, "nav.login"));
        assert_eq!(tr(Lang::En, "no.such.key"), "no.such.key");
        let text = tr_args(Lang::En, "errors.field.too_long", &[("n", "120")]);
        assert!(text.contains("120"), "{text}");
    }

    #[test]
    fn counted_texts_agree_with_their_number() {
        let count = |lang: Lang, n| tr_count(lang, "scores.national_n", n, &[]);
        assert_eq!(count(Lang::Es, 1), "1 organización");
        assert_eq!(count(Lang::Es, 5), "5 organizaciones");
        assert_eq!(count(Lang::Es, 0), "0 organizaciones");
        assert_eq!(count(Lang::En, 1), "1 organization");
        assert_eq!(count(Lang::En, 2), "2 organizations");
    }
}
