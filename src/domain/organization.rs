//! Organizations as typed by an organizer or read from a CSV file: checking each value, and the
//! rules of the CSV import (headers in either language, comma or semicolon, optional BOM).

use super::account::{EmailAddress, FieldError, parse_line, parse_optional_line};

pub const NAME_MAX: usize = 200;
pub const ACRONYM_MAX: usize = 30;
pub const CONTACT_NAME_MAX: usize = 120;
/// More rows than this in one file is a mistake, not a forum.
pub const IMPORT_MAX_ROWS: usize = 5000;

/// A sector the code list offers, with its labels in both languages (to read either from a file).
#[derive(Debug, Clone)]
pub struct SectorOption {
    pub key: String,
    pub label_es: String,
    pub label_en: String,
}

/// A valid organization, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationDraft {
    pub name: String,
    pub acronym: String,
    pub sector: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
}

impl OrganizationDraft {
    /// The lower-cased name that makes names unique regardless of case and spacing.
    pub fn name_key(&self) -> String {
        normalize_key(&self.name)
    }

    pub fn acronym_key(&self) -> String {
        normalize_key(&self.acronym)
    }
}

/// Lower case with runs of white space folded, so "SNM" and " snm " are the same organization.
pub fn normalize_key(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The raw values of the organization form (or of one CSV row).
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    pub name: String,
    pub acronym: String,
    pub sector: String,
    pub contact_name: String,
    pub contact_email: String,
}

/// Which field a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationField {
    Name,
    Acronym,
    Sector,
    ContactName,
    ContactEmail,
}

impl OrganizationField {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationField::Name => "name",
            OrganizationField::Acronym => "acronym",
            OrganizationField::Sector => "sector",
            OrganizationField::ContactName => "contact_name",
            OrganizationField::ContactEmail => "contact_email",
        }
    }
}

/// Checks every field; on failure, every problem found.
pub fn parse_organization(
    input: &OrganizationInput,
    sectors: &[SectorOption],
) -> Result<OrganizationDraft, Vec<(OrganizationField, FieldError)>> {
    let mut problems = Vec::new();
    let mut keep = |field, result: Result<String, FieldError>| match result {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push((field, e));
            None
        }
    };
    let name = keep(OrganizationField::Name, parse_line(&input.name, NAME_MAX));
    let acronym = keep(
        OrganizationField::Acronym,
        parse_line(&input.acronym, ACRONYM_MAX),
    );
    let sector = keep(
        OrganizationField::Sector,
        find_sector(&input.sector, sectors),
    );
    let contact_name = match parse_optional_line(&input.contact_name, CONTACT_NAME_MAX) {
        Ok(v) => v,
        Err(e) => {
            problems.push((OrganizationField::ContactName, e));
            None
        }
    };
    let contact_email = if input.contact_email.trim().is_empty() {
        None
    } else {
        match EmailAddress::parse(&input.contact_email) {
            Ok(email) => Some(email.as_str().to_owned()),
            Err(e) => {
                problems.push((OrganizationField::ContactEmail, e));
                None
            }
        }
    };
    match (name, acronym, sector) {
        (Some(name), Some(acronym), Some(sector)) if problems.is_empty() => Ok(OrganizationDraft {
            name,
            acronym,
            sector,
            contact_name,
            contact_email,
        }),
        _ => Err(problems),
    }
}

/// A sector given by its key or by its label in either language, ignoring case.
fn find_sector(raw: &str, sectors: &[SectorOption]) -> Result<String, FieldError> {
    let wanted = normalize_key(raw);
    if wanted.is_empty() {
        return Err(FieldError::Required);
    }
    sectors
        .iter()
        .find(|s| {
            normalize_key(&s.key) == wanted
                || normalize_key(&s.label_es) == wanted
                || normalize_key(&s.label_en) == wanted
        })
        .map(|s| s.key.clone())
        .ok_or(FieldError::UnknownOption)
}

/// One problem of an import file: the line of the file (1 is the header) and the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub column: Option<OrganizationField>,
    pub error: ImportError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file is not readable text in UTF-8.
    NotUtf8,
    /// The file has no header row or no data rows.
    Empty,
    /// A required column is missing from the header (its English name).
    MissingColumn(&'static str),
    /// A column name that is not one of ours.
    UnknownColumn(String),
    TooManyRows,
    /// A malformed CSV line (e.g. an unclosed quote or a wrong number of fields).
    Malformed,
    Field(FieldError),
}

impl ImportError {
    /// Translation key of the message.
    pub fn message_key(&self) -> &'static str {
        match self {
            ImportError::NotUtf8 => "import.errors.not_utf8",
            ImportError::Empty => "import.errors.empty",
            ImportError::MissingColumn(_) => "import.errors.missing_column",
            ImportError::UnknownColumn(_) => "import.errors.unknown_column",
            ImportError::TooManyRows => "import.errors.too_many_rows",
            ImportError::Malformed => "import.errors.malformed",
            ImportError::Field(e) => e.message_key(),
        }
    }
}

/// A row read from the file, with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: usize,
    pub draft: OrganizationDraft,
}

/// The column names we accept, in English and Spanish, for each field.
const HEADERS: &[(OrganizationField, &[&str])] = &[
    (
        OrganizationField::Name,
        &[
            "name",
            "organization",
            "organisation",
            "nombre",
            "organización",
            "institución",
            "institucion",
            "organizacion",
        ],
    ),
    (
        OrganizationField::Acronym,
        &[
            "acronym",
            "short name",
            "sigla",
            "siglas",
            "acrónimo",
            "acronimo",
        ],
    ),
    (OrganizationField::Sector, &["sector"]),
    (
        OrganizationField::ContactName,
        &[
            "contact name",
            "contact",
            "nombre de contacto",
            "contacto",
            "persona de contacto",
        ],
    ),
    (
        OrganizationField::ContactEmail,
        &[
            "contact email",
            "email",
            "e-mail",
            "correo de contacto",
            "correo",
            "correo electrónico",
            "correo electronico",
        ],
    ),
];

fn field_of_header(header: &str) -> Option<OrganizationField> {
    let wanted = normalize_key(header);
    HEADERS
        .iter()
        .find(|(_, names)| names.iter().any(|n| *n == wanted))
        .map(|(field, _)| *field)
}

/// Reads an import file. Every row is checked; any problem means nothing is to be imported and
/// every problem is returned. Duplicates within the file are problems; duplicates of
/// organizations already registered are the caller's to find (it knows the database).
pub fn parse_import(
    bytes: &[u8],
    sectors: &[SectorOption],
) -> Result<Vec<ImportRow>, Vec<RowProblem>> {
    let whole = |error| {
        Err(vec![RowProblem {
            line: 1,
            column: None,
            error,
        }])
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return whole(ImportError::NotUtf8);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The csv crate counts a CRLF file's lines one short (the first row would be "line 1"); with
    // plain line feeds the lines it reports are the ones a spreadsheet shows.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.as_str();
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) if h.iter().any(|c| !c.is_empty()) => h.clone(),
        Ok(_) => return whole(ImportError::Empty),
        Err(_) => return whole(ImportError::Malformed),
    };
    let mut problems = Vec::new();
    let mut columns: Vec<Option<OrganizationField>> = Vec::new();
    for header in headers.iter() {
        let field = field_of_header(header);
        if field.is_none() && !header.is_empty() {
            problems.push(RowProblem {
                line: 1,
                column: None,
                error: ImportError::UnknownColumn(header.to_owned()),
            });
        }
        columns.push(field);
    }
    for (field, english) in [
        (OrganizationField::Name, "name"),
        (OrganizationField::Acronym, "acronym"),
        (OrganizationField::Sector, "sector"),
    ] {
        if !columns.contains(&Some(field)) {
            problems.push(RowProblem {
                line: 1,
                column: Some(field),
                error: ImportError::MissingColumn(english),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut rows = Vec::new();
    let mut seen_names: Vec<(String, usize)> = Vec::new();
    let mut seen_acronyms: Vec<(String, usize)> = Vec::new();
    for (index, record) in reader.records().enumerate() {
        if index >= IMPORT_MAX_ROWS {
            problems.push(RowProblem {
                line: index + 2,
                column: None,
                error: ImportError::TooManyRows,
            });
            break;
        }
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line() as usize)
            .unwrap_or(index + 2);
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(line);
                problems.push(RowProblem {
                    line,
                    column: None,
                    error: ImportError::Malformed,
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut input = OrganizationInput::default();
        for (value, column) in record.iter().zip(&columns) {
            let slot = match column {
                Some(OrganizationField::Name) => &mut input.name,
                Some(OrganizationField::Acronym) => &mut input.acronym,
                Some(OrganizationField::Sector) => &mut input.sector,
                Some(OrganizationField::ContactName) => &mut input.contact_name,
                Some(OrganizationField::ContactEmail) => &mut input.contact_email,
                None => continue,
            };
            *slot = value.to_owned();
        }
        match parse_organization(&input, sectors) {
            Ok(draft) => {
                let mut duplicate = false;
                for (key, seen, field) in [
                    (draft.name_key(), &mut seen_names, OrganizationField::Name),
                    (
                        draft.acronym_key(),
                        &mut seen_acronyms,
                        OrganizationField::Acronym,
                    ),
                ] {
                    if seen.iter().any(|(k, _)| *k == key) {
                        duplicate = true;
                        problems.push(RowProblem {
                            line,
                            column: Some(field),
                            error: ImportError::Field(FieldError::DuplicateInFile),
                        });
                    } else {
                        seen.push((key, line));
                    }
                }
                if !duplicate {
                    rows.push(ImportRow { line, draft });
                }
            }
            Err(fields) => problems.extend(fields.into_iter().map(|(field, error)| RowProblem {
                line,
                column: Some(field),
                error: ImportError::Field(error),
            })),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if rows.is_empty() {
        return whole(ImportError::Empty);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sectors() -> Vec<SectorOption> {
        vec![
            SectorOption {
                key: "statistics".into(),
                label_es: "Oficina de estadística".into(),
                label_en: "Statistics office".into(),
            },
            SectorOption {
                key: "immigration_borders".into(),
                label_es: "Migración y fronteras".into(),
                label_en: "Immigration and borders".into(),
            },
        ]
    }

    #[test]
    fn english_headers_with_commas() {
        let file = "name,acronym,sector,contact name,contact email\n\
                    Instituto Nacional de Estadística y Censo,INEC,statistics,Ana,ana@inec.gob.pa\n\
                    Servicio Nacional de Migración,SNM,Immigration and borders,,\n";
        let rows = parse_import(file.as_bytes(), &sectors()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].draft.acronym, "INEC");
        assert_eq!(
            rows[0].draft.contact_email.as_deref(),
            Some("ana@inec.gob.pa")
        );
        assert_eq!(rows[1].draft.sector, "immigration_borders");
        assert_eq!(rows[1].draft.contact_name, None);
    }

    #[test]
    fn spanish_headers_with_semicolons_and_bom() {
        let file = "\u{feff}Nombre;Sigla;Sector;Nombre de contacto;Correo de contacto\r\n\
                    \"Oficina Nacional para la Atención de Refugiados; ONPAR\";ONPAR;Oficina de estadística;Luis;luis@onpar.gob.pa\r\n";
        let rows = parse_import(file.as_bytes(), &sectors()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].draft.name,
            "Oficina Nacional para la Atención de Refugiados; ONPAR"
        );
        assert_eq!(rows[0].draft.sector, "statistics");
    }

    #[test]
    fn every_row_problem_is_reported_with_its_line() {
        let file = "name,acronym,sector,contact email\n\
                    Good One,G1,statistics,\n\
                    ,B1,statistics,\n\
                    Bad Sector,B2,farming,\n\
                    Bad Email,B3,statistics,not-an-email\n\
                    good one,G2,statistics,\n";
        let problems = parse_import(file.as_bytes(), &sectors()).unwrap_err();
        let summary: Vec<(usize, Option<&str>)> = problems
            .iter()
            .map(|p| (p.line, p.column.map(|c| c.as_str())))
            .collect();
        assert_eq!(
            summary,
            vec![
                (3, Some("name")),
                (4, Some("sector")),
                (5, Some("contact_email")),
                (6, Some("name")),
            ]
        );
        assert_eq!(
            problems[3].error,
            ImportError::Field(FieldError::DuplicateInFile)
        );
    }

    #[test]
    fn missing_and_unknown_columns_are_reported() {
        let problems = parse_import(b"name,colour\nX,red\n", &sectors()).unwrap_err();
        assert!(problems.contains(&RowProblem {
            line: 1,
            column: None,
            error: ImportError::UnknownColumn("colour".into())
        }));
        assert!(
            problems
                .iter()
                .any(|p| p.error == ImportError::MissingColumn("acronym"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.error == ImportError::MissingColumn("sector"))
        );
    }

    #[test]
    fn unreadable_files_are_refused() {
        assert_eq!(
            parse_import(&[0xff, 0xfe, 0x00], &sectors()).unwrap_err()[0].error,
            ImportError::NotUtf8
        );
        assert_eq!(
            parse_import(b"", &sectors()).unwrap_err()[0].error,
            ImportError::Empty
        );
        assert_eq!(
            parse_import(b"name,acronym,sector\n", &sectors()).unwrap_err()[0].error,
            ImportError::Empty
        );
        let ragged = parse_import(b"name,acronym,sector\nA,B\n", &sectors()).unwrap_err();
        assert_eq!(ragged[0].error, ImportError::Malformed);
        assert_eq!(ragged[0].line, 2);
    }

    #[test]
    fn keys_ignore_case_and_spacing() {
        assert_eq!(normalize_key("  Servicio   Nacional "), "servicio nacional");
    }
}

/// Property tests of the CSV import: any bytes never panic; generated valid files (either
/// delimiter, with or without BOM, headers in English or Spanish, LF or CRLF, any quoting) import
/// exactly their rows; one invalid row anywhere means nothing is imported.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn sectors() -> Vec<SectorOption> {
        [
            ("statistics", "Oficina de estadística", "Statistics office"),
            (
                "immigration_borders",
                "Migración y fronteras",
                "Immigration and borders",
            ),
            ("refugee_asylum", "Refugio y asilo", "Refugees and asylum"),
        ]
        .into_iter()
        .map(|(key, es, en)| SectorOption {
            key: key.into(),
            label_es: es.into(),
            label_en: en.into(),
        })
        .collect()
    }

    /// A valid row, as it should be read back, and the sector as written in the file.
    #[derive(Debug, Clone)]
    struct Row {
        draft: OrganizationDraft,
        sector_written: String,
    }

    /// Printable text with the characters that trouble CSV: both delimiters, quotes, markup.
    fn cell_text(max: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            "[\\PC&&[^\u{2028}\u{2029}\u{85}]]{1,40}",
            "[A-Za-zÁÉÍÓÚÑáéíóúñ ,;\"'<>&=+@-]{1,40}",
            Just("<script>alert(1)</script>".to_string()),
            Just("=1+2; \"quoted\", 'DROP TABLE'".to_string()),
        ]
        .prop_map(move |s| {
            s.trim()
                .chars()
                .take(max)
                .collect::<String>()
                .trim()
                .to_string()
        })
        .prop_filter("not blank", |s| !s.is_empty())
    }

    fn row(index: usize) -> impl Strategy<Value = Row> {
        let sector = select(sectors()).prop_flat_map(|s| {
            select(vec![s.key.clone(), s.label_es.clone(), s.label_en.clone()])
                .prop_flat_map(|written| {
                    prop_oneof![
                        Just(written.clone()),
                        Just(written.to_uppercase()),
                        Just(format!("  {}  ", written.to_lowercase())),
                    ]
                })
                .prop_map(move |written| (s.key.clone(), written))
        });
        (
            cell_text(NAME_MAX - 8),
            cell_text(ACRONYM_MAX - 8),
            sector,
            proptest::option::of(cell_text(CONTACT_NAME_MAX)),
            proptest::option::of("[a-z][a-z0-9_-]{0,10}@[a-z]{1,10}\\.(pa|org)"),
        )
            .prop_map(
                move |(name, acronym, (sector, sector_written), contact_name, email)| Row {
                    // The index keeps names and acronyms unique within the file.
                    draft: OrganizationDraft {
                        name: format!("{name} #{index}"),
                        acronym: format!("{acronym}-{index}"),
                        sector,
                        contact_name,
                        contact_email: email,
                    },
                    sector_written,
                },
            )
    }

    fn rows() -> impl Strategy<Value = Vec<Row>> {
        (1usize..12).prop_flat_map(|n| (0..n).map(row).collect::<Vec<_>>())
    }

    /// How the file is written.
    #[derive(Debug, Clone)]
    struct Layout {
        delimiter: u8,
        bom: bool,
        spanish: bool,
        crlf: bool,
        quote_all: bool,
    }

    fn layout() -> impl Strategy<Value = Layout> {
        (
            select(vec![b',', b';']),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(delimiter, bom, spanish, crlf, quote_all)| Layout {
                delimiter,
                bom,
                spanish,
                crlf,
                quote_all,
            })
    }

    fn write_file(layout: &Layout, records: &[Vec<String>]) -> Vec<u8> {
        let headers: [&str; 5] = if layout.spanish {
            [
                "Nombre",
                "Sigla",
                "Sector",
                "Nombre de contacto",
                "Correo de contacto",
            ]
        } else {
            ["name", "acronym", "sector", "contact name", "contact email"]
        };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(layout.delimiter)
            .flexible(true)
            .terminator(if layout.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .quote_style(if layout.quote_all {
                csv::QuoteStyle::Always
            } else {
                csv::QuoteStyle::Necessary
            })
            .from_writer(Vec::new());
        writer.write_record(headers).expect("header");
        for record in records {
            writer.write_record(record).expect("record");
        }
        let body = writer.into_inner().expect("flush");
        let mut file = if layout.bom {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        };
        file.extend(body);
        file
    }

    fn record(row: &Row) -> Vec<String> {
        let d = &row.draft;
        vec![
            d.name.clone(),
            d.acronym.clone(),
            row.sector_written.clone(),
            d.contact_name.clone().unwrap_or_default(),
            d.contact_email.clone().unwrap_or_default(),
        ]
    }

    /// A row that must be refused, with the column it is refused for.
    fn invalid_record() -> impl Strategy<Value = Vec<String>> {
        let good = || {
            vec![
                "Valid Name Zz".to_string(),
                "VZZ".to_string(),
                "statistics".to_string(),
                String::new(),
                String::new(),
            ]
        };
        let with = move |column: usize, value: String| {
            let mut record = good();
            record[column] = value;
            record
        };
        prop_oneof![
            Just(with(0, String::new())),
            Just(with(0, "n".repeat(NAME_MAX + 1))),
            Just(with(1, "  ".to_string())),
            Just(with(1, "A".repeat(ACRONYM_MAX + 1))),
            "zz[a-z]{1,10}".prop_map(move |s| with(2, s)),
            "[a-z]{1,10}".prop_map(move |s| with(4, s)),
            Just(with(3, "c".repeat(CONTACT_NAME_MAX + 1))),
            Just(good()[..2].to_vec()),
            Just({
                let mut r = good();
                r.push("extra".into());
                r
            }),
        ]
    }

    #[test]
    fn a_crlf_file_reports_the_lines_a_spreadsheet_shows() {
        for file in [
            "name,acronym,sector\r\nGood,G,statistics\r\nBad,B,farming\r\n",
            "name,acronym,sector\nGood,G,statistics\nBad,B,farming\n",
            "name,acronym,sector\rGood,G,statistics\rBad,B,farming\r",
        ] {
            let problems = parse_import(file.as_bytes(), &sectors()).unwrap_err();
            assert_eq!(problems.len(), 1, "{file:?}");
            assert_eq!(problems[0].line, 3, "{file:?}");
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse_import(&bytes, &sectors());
        }

        #[test]
        fn any_text_never_panics_and_problems_have_lines(
            text in prop_oneof![
                ".{0,400}",
                "((name|Nombre|sigla|sector|\"|;|,|\n|\r|[a-z ]{1,8}){0,60})",
            ]
        ) {
            if let Err(problems) = parse_import(text.as_bytes(), &sectors()) {
                prop_assert!(!problems.is_empty());
                prop_assert!(problems.iter().all(|p| p.line >= 1));
            }
        }

        #[test]
        fn a_valid_file_imports_exactly_its_rows(rows in rows(), layout in layout()) {
            let records: Vec<Vec<String>> = rows.iter().map(record).collect();
            let file = write_file(&layout, &records);
            let imported = parse_import(&file, &sectors());
            let imported = match imported {
                Ok(imported) => imported,
                Err(problems) => {
                    return Err(TestCaseError::fail(format!(
                        "{problems:?}\n{}",
                        String::from_utf8_lossy(&file)
                    )))
                }
            };
            let drafts: Vec<&OrganizationDraft> = imported.iter().map(|r| &r.draft).collect();
            let expected: Vec<&OrganizationDraft> = rows.iter().map(|r| &r.draft).collect();
            prop_assert_eq!(drafts, expected);
        }

        #[test]
        fn one_invalid_row_means_nothing_is_imported(
            rows in rows(),
            layout in layout(),
            bad in invalid_record(),
            at in any::<prop::sample::Index>(),
        ) {
            let mut records: Vec<Vec<String>> = rows.iter().map(record).collect();
            let at = at.index(records.len() + 1);
            records.insert(at, bad);
            let file = write_file(&layout, &records);
            let problems = parse_import(&file, &sectors());
            let problems = match problems {
                Ok(rows) => {
                    return Err(TestCaseError::fail(format!("imported {} rows", rows.len())))
                }
                Err(problems) => problems,
            };
            // The bad row is named: header is line 1, the first record line 2 (no record
            // spans lines here unless a value holds a line break, which these do not).
            prop_assert!(problems.iter().any(|p| p.line == at + 2), "{:?}", problems);
        }
    }
}
