//! Cells and files of the CSV downloads: formula neutralising and the byte order mark.

/// Prefixes text that a spreadsheet would read as a formula (=, +, -, @, tab, carriage return)
/// with an apostrophe, so it stays text.
pub fn neutralize(text: &str) -> String {
    neutralized(text.to_owned())
}

/// [`neutralize`] for a string the caller gives up: moved, not copied, when it is harmless.
pub fn neutralized(text: String) -> String {
    if matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) {
        format!("'{text}")
    } else {
        text
    }
}

/// The byte order mark that starts every CSV download: without it, Excel opened by a double click
/// reads UTF-8 as the system's legacy code page ("InstituciÃ³n"); R, Python and LibreOffice skip
/// it.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file's bytes, after the byte order mark.
pub fn with_bom(body: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(UTF8_BOM.len() + body.len());
    out.extend_from_slice(UTF8_BOM);
    out.extend(body);
    out
}
