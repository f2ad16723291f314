//! The two languages of the platform and how a request's language is chosen.

use std::fmt;

/// The Spanish article an institution's name takes, by its first word ("el Instituto ...",
/// "la Oficina ..."); none for an acronym or a proper name ("INEC", "Panamá Pacífico").
fn spanish_article(name: &str) -> Option<&'static str> {
    const EL: &[&str] = &[
        "instituto",
        "servicio",
        "ministerio",
        "registro",
        "banco",
        "consejo",
        "tribunal",
        "organismo",
        "órgano",
        "departamento",
        "centro",
        "sistema",
        "comité",
        "despacho",
        "programa",
        "fondo",
        "observatorio",
    ];
    const LA: &[&str] = &[
        "oficina",
        "dirección",
        "autoridad",
        "caja",
        "contraloría",
        "defensoría",
        "secretaría",
        "superintendencia",
        "universidad",
        "policía",
        "procuraduría",
        "comisión",
        "agencia",
        "unidad",
        "fiscalía",
        "asamblea",
        "corte",
        "cancillería",
        "organización",
        "red",
    ];
    let first = name.split_whitespace().next()?.to_lowercase();
    if EL.contains(&first.as_str()) {
        Some("el")
    } else if LA.contains(&first.as_str()) {
        Some("la")
    } else {
        None
    }
}

/// An institution's name after "de" / "of", as the language writes it: "del Instituto ...",
/// "de la Oficina ...", "de INEC"; "of Instituto ..." in English.
pub fn of_name(lang: Lang, name: &str) -> String {
    match (lang, spanish_article(name)) {
        (Lang::Es, Some("el")) => format!("del {name}"),
        (Lang::Es, Some(article)) => format!("de {article} {name}"),
        (Lang::Es, None) => format!("de {name}"),
        (Lang::En, _) => format!("of {name}"),
    }
}

/// An institution's name at the start of a sentence: "El Instituto ...", "La Oficina ...";
/// as it is in English.
pub fn subject_name(lang: Lang, name: &str) -> String {
    match (lang, spanish_article(name)) {
        (Lang::Es, Some("el")) => format!("El {name}"),
        (Lang::Es, Some(_)) => format!("La {name}"),
        _ => name.to_owned(),
    }
}

/// A language the platform speaks. Spanish is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    /// Parses a language code such as `es`, `EN` or `es-PA`; anything else is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// Picks the best supported language from an `Accept-Language` header value,
    /// honouring q-values; `None` when nothing supported is listed.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (index, part) in header.split(',').enumerate() {
            let mut pieces = part.split(';');
            let Some(tag) = pieces.next() else { continue };
            let Some(lang) = Lang::parse(tag) else {
                continue;
            };
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, bi, _)) => q > bq || (q == bq && index < bi),
            };
            if better {
                best = Some((q, index, lang));
            }
        }
        best.map(|(_, _, lang)| lang)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn institution_names_take_their_article_in_spanish() {
        let inec = "Instituto Nacional de Estadística y Censo";
        assert_eq!(of_name(Lang::Es, inec), format!("del {inec}"));
        assert_eq!(
            of_name(Lang::Es, "Oficina Nacional para la Atención de Refugiados"),
            "de la Oficina Nacional para la Atención de Refugiados"
        );
        assert_eq!(of_name(Lang::Es, "INEC"), "de INEC");
        assert_eq!(of_name(Lang::En, inec), format!("of {inec}"));
        assert_eq!(subject_name(Lang::Es, inec), format!("El {inec}"));
        assert_eq!(
            subject_name(Lang::Es, "Dirección General de Migración"),
            "La Dirección General de Migración"
        );
        assert_eq!(subject_name(Lang::En, inec), inec);
    }

    #[test]
    fn parses_codes_and_regions() {
        assert_eq!(Lang::parse("es"), Some(Lang::Es));
        assert_eq!(Lang::parse("EN-us"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn accept_language_honours_quality_values() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, es;q=0.8"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::from_accept_language("de, fr;q=0.5"), None);
        assert_eq!(
            Lang::from_accept_language("en;q=0, es;q=0.1"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::from_accept_language(";;,"), None);
    }
}
