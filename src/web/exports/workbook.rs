//! The XLSX workbook: a reader thread hands batches of what it read to a writer thread that
//! builds the sheets' rows, streams them to constant-memory sheets and zips the workbook into
//! an anonymous temporary file, which is sent a chunk at a time.

use actix_web::web;

use crate::domain::Lang;
use crate::error::AppError;
use crate::i18n::tr;
use crate::service::analysis::{AssessmentData, Participant, Scope, Selection};
use crate::service::exports::{self as service, Batches};
use crate::web::App;
use crate::web::view::neutralized;

use super::tables::{
    Emit, Organizations, answers_wide_header, answers_wide_rows, domains_header, domains_rows,
    emit_flows, emit_mechanisms, gaps_table, matrix_table, mechanisms_header,
};

/// One workbook is built at a time: each takes both cores and holds a large assessment's data
/// with a batch of its answers (the largest memory the server holds); others wait their turn.
pub(super) static WORKBOOK_TURN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Builds a workbook on threads of its own (a reader and a writer, side by side for the second
/// or two a large assessment takes) rather than on the blocking pool that serves the pages'
/// database calls. The workbook is an anonymous temporary file (gone when closed), read from
/// its start.
pub(super) async fn built_workbook(
    state: &web::Data<App>,
    assessment_id: String,
    selection: Selection,
    lang: Lang,
) -> Result<std::fs::File, AppError> {
    let _turn = WORKBOOK_TURN.acquire().await.map_err(AppError::internal)?;
    let (done, result) = tokio::sync::oneshot::channel();
    let app = state.clone();
    std::thread::Builder::new()
        .name("workbook-reader".into())
        .spawn(move || {
            let built = service::read_in_batches_from_pool(
                &app.pool,
                &app.instruments,
                &assessment_id,
                Scope::ScoresAndFlows,
                |data, batches| workbook(batches, data, &selection, lang),
            );
            // The request may have gone: then nobody waits for the workbook.
            let _ = done.send(built);
        })
        .map_err(AppError::internal)?;
    result
        .await
        .map_err(|_| AppError::Internal("the workbook thread stopped".into()))?
}

/// How much of a file each chunk of a streamed download holds.
pub(super) const FILE_CHUNK: usize = 64 * 1024;

/// A file's content as a response body, read a chunk at a time on the blocking pool (bounded,
/// shared with the database calls) rather than on a thread of its own per download.
pub(super) fn file_chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            use std::io::Read;
            let mut chunk = vec![0; FILE_CHUNK];
            let read = file.read(&mut chunk)?;
            chunk.truncate(read);
            Ok::<_, std::io::Error>((chunk, file))
        })
        .await;
        match read {
            Ok(Ok((chunk, _))) if chunk.is_empty() => None,
            Ok(Ok((chunk, file))) => Some((Ok(web::Bytes::from(chunk)), Some(file))),
            Ok(Err(e)) => Some((Err(AppError::internal(e).into()), None)),
            Err(e) => Some((Err(AppError::internal(e).into()), None)),
        }
    })
}

/// Responses whose answers (or mechanisms) the workbook reads at a time: memory stays flat
/// whatever the size.
pub(super) const WORKBOOK_BATCH: usize = 500;

/// Parts waiting for the writer: the reader runs at most this far ahead.
pub(super) const WORKBOOK_QUEUE: usize = 4;

/// The workbook's zip compression level (1 fastest to 9; the library's default is 6).
pub(super) const WORKBOOK_ZIP_LEVEL: u8 = 1;

/// Builds rows from what was read and hands them over one at a time.
pub(super) type BuildRows<'a> = Box<dyn FnOnce(Emit<'_>) -> Result<(), AppError> + Send + 'a>;

/// What the workbook's reader hands its writer.
pub(super) enum Part<'a> {
    /// A new sheet after the others: its title, and the first column whose cells are numbers
    /// where they parse.
    Sheet { name: String, numbers_from: usize },
    /// The next rows of a sheet (by its place), to be built from what was read; the first row
    /// of a sheet is its header. Sheets are written side by side (each streams to its own file).
    Rows { sheet: usize, build: BuildRows<'a> },
    /// Everything was handed over: the writer saves the workbook.
    End,
}

/// The reader's end of the queue to the writer.
pub(super) struct SheetQueue<'a> {
    parts: std::sync::mpsc::SyncSender<Part<'a>>,
    lang: Lang,
}

impl<'a> SheetQueue<'a> {
    fn send(&self, part: Part<'a>) -> Result<(), AppError> {
        self.parts
            .send(part)
            .map_err(|_| AppError::Internal("the workbook writer stopped".into()))
    }

    fn sheet(&self, name_key: &str, numbers_from: usize) -> Result<(), AppError> {
        let name = tr(self.lang, name_key).into_owned();
        self.send(Part::Sheet { name, numbers_from })
    }

    /// Rows the writer builds (from what was read and moved in, or borrowed from the loaded
    /// assessment) while this thread reads the next batch.
    fn rows(
        &self,
        sheet: usize,
        build: impl FnOnce(Emit<'_>) -> Result<(), AppError> + Send + 'a,
    ) -> Result<(), AppError> {
        self.send(Part::Rows {
            sheet,
            build: Box::new(build),
        })
    }

    /// A table of rows already built.
    fn table(&self, sheet: usize, table: Vec<Vec<String>>) -> Result<(), AppError> {
        self.rows(sheet, move |emit| table.into_iter().try_for_each(emit))
    }
}

/// One workbook with a sheet per view, on two threads: this one reads from the database, a
/// batch of responses at a time, while a writer builds the rows of the batch before, turns them
/// into cells (constant-memory sheets streamed to temporary files) and zips the result.
pub(super) fn workbook(
    mut batches: Batches<'_>,
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Result<std::fs::File, AppError> {
    let participants: Vec<&Participant> = data.selected(selection).collect();
    let organizations = data.organizations();
    let (sender, receiver) = std::sync::mpsc::sync_channel(WORKBOOK_QUEUE);
    std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("workbook-writer".into())
            .spawn_scoped(scope, move || write_workbook(receiver))
            .map_err(AppError::internal)?;
        let queue = SheetQueue {
            parts: sender,
            lang,
        };
        let read = read_workbook(
            &mut batches,
            data,
            selection,
            &participants,
            &organizations,
            queue,
        );
        let written = writer
            .join()
            .map_err(|_| AppError::Internal("the workbook writer panicked".into()))?;
        // When the writer fails it drops its end of the queue and the reader stops at its next
        // hand-over: the writer's error is then the cause.
        match (read, written) {
            (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
            (Ok(()), Ok(bytes)) => Ok(bytes),
        }
    })
}

/// Reads what the workbook's sheets need, in sheet order, and hands the writer how to build
/// their rows.
pub(super) fn read_workbook<'a>(
    batches: &mut Batches<'_>,
    data: &'a AssessmentData,
    selection: &'a Selection,
    participants: &'a [&'a Participant],
    organizations: &'a Organizations<'a>,
    out: SheetQueue<'a>,
) -> Result<(), AppError> {
    let lang = out.lang;
    let instrument = &data.instrument;

    // The sheets in their order, with the first column of numbers of each.
    const MATRIX: usize = 0;
    const ANSWERS: usize = 1;
    const MECHANISMS: usize = 2;
    const FLOWS: usize = 3;
    const DOMAINS: usize = 4;
    const GAPS: usize = 5;
    for (name_key, numbers_from) in [
        ("exports.sheet.matrix", 4),
        ("exports.sheet.answers", 2),
        ("exports.sheet.mechanisms", usize::MAX),
        ("exports.sheet.flows", usize::MAX),
        ("exports.sheet.domains", usize::MAX),
        ("exports.sheet.gaps", usize::MAX),
    ] {
        out.sheet(name_key, numbers_from)?;
    }

    // The parts are handed over so that the writer's long ones (the flows are matched and
    // labelled in one go) run while this thread reads the batches.
    out.table(MATRIX, matrix_table(data, selection, lang))?;
    out.rows(FLOWS, move |emit| emit_flows(data, selection, lang, emit))?;
    out.table(ANSWERS, answers_wide_header(data, lang))?;
    out.table(DOMAINS, domains_header(data, lang))?;
    let mechanisms_header = mechanisms_header(data, lang);
    let has_mechanisms = mechanisms_header.is_some();
    if let Some(header) = mechanisms_header {
        out.table(MECHANISMS, vec![header])?;
    }
    let keys = crate::service::analysis::maturity_keys(instrument);
    for batch in participants.chunks(WORKBOOK_BATCH) {
        let ids = service::response_ids(batch);
        // The answers and domains sheets from one read of each response's answers.
        let (answers, grids) = batches.answers_and_grids(instrument, &ids, &keys)?;
        out.rows(ANSWERS, move |emit| {
            answers_wide_rows(data, batch, &answers, lang)
                .into_iter()
                .try_for_each(emit)
        })?;
        out.rows(DOMAINS, move |emit| {
            domains_rows(data, batch, &grids, lang)
                .into_iter()
                .try_for_each(emit)
        })?;
        if has_mechanisms {
            let rows = batches.mechanisms(&ids)?;
            out.rows(MECHANISMS, move |emit| {
                emit_mechanisms(data, organizations, batch, &rows, lang, emit)
            })?;
        }
    }
    out.rows(GAPS, move |emit| {
        gaps_table(data, selection, lang)
            .into_iter()
            .try_for_each(emit)
    })?;
    out.send(Part::End)
}

/// Builds the handed rows into cells (headers bold; scores as numbers from each sheet's
/// `numbers_from` column; any other text neutralised against formulas) and zips the workbook
/// once the reader is done. Without the end mark (the reader failed) nothing is saved.
pub(super) fn write_workbook(
    parts: std::sync::mpsc::Receiver<Part<'_>>,
) -> Result<std::fs::File, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut workbook = Workbook::new();
    // Deflating the sheets is a large part of building a workbook; the fastest level trades a
    // somewhat larger file for much less time (docs/performance.md has the figures).
    workbook.set_zip_compression_level(WORKBOOK_ZIP_LEVEL);
    let bold = Format::new().set_bold();
    // Each sheet's first number column, next row, and widest text per column (for its width).
    let mut sheets: Vec<(usize, u32, Vec<usize>)> = Vec::new();
    for part in parts {
        match part {
            Part::Sheet { name, numbers_from } => {
                let sheet = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx)?;
                sheet.set_name(name).map_err(xlsx)?;
                // The header row stays in view while scrolling.
                sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
                sheets.push((numbers_from, 0, Vec::new()));
            }
            Part::Rows {
                sheet: index,
                build,
            } => {
                let Some((numbers_from, next, widths)) = sheets.get_mut(index) else {
                    return Err(AppError::Internal(
                        "workbook rows of a missing sheet".into(),
                    ));
                };
                let sheet = workbook.worksheet_from_index(index).map_err(xlsx)?;
                build(&mut |row| {
                    let r = *next;
                    *next += 1;
                    for (c, value) in row.into_iter().enumerate() {
                        let chars = value.chars().count();
                        match widths.get_mut(c) {
                            Some(width) => *width = (*width).max(chars),
                            None => widths.push(chars),
                        }
                        let c = u16::try_from(c).map_err(AppError::internal)?;
                        match value.parse::<f64>() {
                            Ok(number) if r > 0 && usize::from(c) >= *numbers_from => {
                                sheet.write_number(r, c, number).map_err(xlsx)?;
                            }
                            _ if r == 0 => {
                                sheet
                                    .write_string_with_format(r, c, neutralized(value), &bold)
                                    .map_err(xlsx)?;
                            }
                            _ => {
                                sheet.write_string(r, c, neutralized(value)).map_err(xlsx)?;
                            }
                        }
                    }
                    Ok(())
                })?;
            }
            Part::End => {
                for (index, (_, rows, widths)) in sheets.iter().enumerate() {
                    let sheet = workbook.worksheet_from_index(index).map_err(xlsx)?;
                    for (c, width) in widths.iter().enumerate() {
                        let c = u16::try_from(c).map_err(AppError::internal)?;
                        sheet
                            .set_column_width(c, column_width(*width))
                            .map_err(xlsx)?;
                    }
                    // Filters on every column of the header, over every row written.
                    if let Some(last_col) = widths.len().checked_sub(1) {
                        let last_col = u16::try_from(last_col).map_err(AppError::internal)?;
                        sheet
                            .autofilter(0, 0, rows.saturating_sub(1), last_col)
                            .map_err(xlsx)?;
                    }
                }
                return saved(&mut workbook);
            }
        }
    }
    Err(AppError::Internal(
        "the workbook reader stopped before the end".into(),
    ))
}

/// A column's width (in characters) for its widest text: room for short codes and numbers, and
/// long names wrapped at a readable width rather than a screen wide.
pub(super) fn column_width(widest_chars: usize) -> f64 {
    const NARROWEST: usize = 8;
    const WIDEST: usize = 50;
    // A little room for the filter button of the header.
    (widest_chars.clamp(NARROWEST, WIDEST) + 2) as f64
}

/// The workbook zipped into an anonymous temporary file, read from its start. Not a buffer in
/// memory: at a large forum that buffer grows to tens of MB, and once glibc had given such a
/// block back it kept every later block of up to that size in its arenas (its threshold for
/// mapping large blocks follows the largest one freed), so each workbook left more memory
/// resident than the one before.
pub(super) fn saved(workbook: &mut rust_xlsxwriter::Workbook) -> Result<std::fs::File, AppError> {
    use std::io::{Seek, Write};
    let mut file = std::io::BufWriter::with_capacity(
        FILE_CHUNK,
        tempfile::tempfile().map_err(AppError::internal)?,
    );
    workbook
        .save_to_writer(&mut file)
        .map_err(AppError::internal)?;
    file.flush().map_err(AppError::internal)?;
    let mut file = file
        .into_inner()
        .map_err(|e| AppError::internal(e.into_error()))?;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}
