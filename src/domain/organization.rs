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
