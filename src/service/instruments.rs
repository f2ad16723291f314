//! Instruments: the bundled forum instrument is stored at start-up; every version an assessment
//! pins is parsed once and kept in memory.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDateTime;

use crate::domain::instrument::{self, Instrument};
use crate::error::AppError;
use crate::store::{self, DbConnection};

/// Parsed instrument versions by (key, version).
#[derive(Default)]
pub struct InstrumentRegistry {
    cache: RwLock<HashMap<(String, String), Arc<Instrument>>>,
}

impl InstrumentRegistry {
    /// The instrument an assessment pinned; parsed from the stored source on first use.
    pub fn get(
        &self,
        conn: &mut DbConnection,
        key: &str,
        version: &str,
    ) -> Result<Arc<Instrument>, AppError> {
        let id = (key.to_owned(), version.to_owned());
        if let Some(found) = self.cache.read().ok().and_then(|c| c.get(&id).cloned()) {
            return Ok(found);
        }
        let source = store::instruments::source(conn, key, version)?;
        let parsed = instrument::parse_toml(&source).map_err(|problems| {
            AppError::Internal(format!(
                "stored instrument {key} {version} does not load: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let parsed = Arc::new(parsed);
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(id, parsed.clone());
        }
        Ok(parsed)
    }
}

/// Stores the bundled forum instrument if its version is not stored yet. A stored version whose
/// text differs is kept as it is (assessments pinned it) and a warning says to change the version.
pub fn install_bundled(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), String> {
    let forum = instrument::forum_instrument().map_err(|problems| {
        format!(
            "the bundled forum instrument does not load: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let exists =
        store::instruments::exists(conn, &forum.key, &forum.version).map_err(|e| e.to_string())?;
    if exists {
        let stored = store::instruments::source(conn, &forum.key, &forum.version)
            .map_err(|e| e.to_string())?;
        if stored != instrument::FORUM_INSTRUMENT {
            tracing::warn!(
                key = %forum.key,
                version = %forum.version,
                "the bundled instrument changed but kept its version; the stored text is used"
            );
        }
        return Ok(());
    }
    store::instruments::insert(
        conn,
        &store::instruments::NewInstrument {
            key: &forum.key,
            version: &forum.version,
            title_es: &forum.title.es,
            title_en: &forum.title.en,
            source: instrument::FORUM_INSTRUMENT,
            created_at: now,
        },
    )
    .map_err(|e| e.to_string())
}
