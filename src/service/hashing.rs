//! The bounded password hasher: every argon2 hash or verification the server does goes through
//! one of these, so at most one per core runs at a time and none holds a database connection.
//! A request that finds every slot taken waits briefly, then is told to come back (503 with
//! Retry-After) instead of queueing without end: a flood of password posts slows only itself.
//! The argon2 parameters and the hash and verify functions themselves are here too.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::AppError;

/// argon2id with m = 19456 KiB, t = 2, p = 1 (the OWASP baseline).
fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19_456, 2, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string with a fresh salt. Slow on purpose: call it off the async
/// workers.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(argon2) = hasher() else {
        return false;
    };
    argon2.verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A hash checked when the email is unknown, so that a wrong email and a wrong password take
/// about the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password, only for timing").unwrap_or_default());

/// Whether the password matches the account's stored hash. Without an account a dummy hash of
/// the same cost is checked, so an unknown email takes as long as a wrong password. Slow
/// (argon2): the server calls it through its bounded hasher, never holding a connection.
pub fn password_matches_hash(stored: Option<&str>, password: &str) -> bool {
    match stored {
        Some(stored) => verify_password(stored, password),
        None => {
            let _ = verify_password(&DUMMY_HASH, password);
            false
        }
    }
}

/// How long a request waits for a free slot before its answer is 503.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(3);
/// Seconds a refused request is told to wait (Retry-After).
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Why a hash or a verification did not run or did not finish.
#[derive(Debug)]
pub enum HashingError {
    /// Every slot stayed busy for the whole wait: answer 503 with Retry-After.
    Busy,
    Other(AppError),
}

impl From<AppError> for HashingError {
    fn from(e: AppError) -> Self {
        HashingError::Other(e)
    }
}

/// Slots for argon2 work, and how many verifications ran (what the throttle tests count).
pub struct Hasher {
    slots: Semaphore,
    size: usize,
    wait: Duration,
    verifications: AtomicU64,
}

impl Hasher {
    /// `slots` runs at once (at least one), each request waiting at most `wait` for one.
    pub fn new(slots: usize, wait: Duration) -> Hasher {
        let size = slots.max(1);
        Hasher {
            slots: Semaphore::new(size),
            size,
            wait,
            verifications: AtomicU64::new(0),
        }
    }

    /// One slot per core of this machine.
    pub fn for_this_machine() -> Hasher {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Hasher::new(cores, DEFAULT_WAIT)
    }

    /// How many argon2 jobs may run at once.
    pub fn slots(&self) -> usize {
        self.size
    }

    /// Password verifications run so far by this process (a dummy check for an unknown account
    /// counts too: it costs the same).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Takes a slot until the returned permit is dropped, waiting as a hash would (the tests fill
    /// the hasher with it).
    pub async fn hold(&self) -> Result<SemaphorePermit<'_>, HashingError> {
        match actix_web::rt::time::timeout(self.wait, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(HashingError::Busy),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free, or fails with `Busy` after the wait.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = self.hold().await?;
        let result = actix_web::web::block(job)
            .await
            .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?;
        drop(permit);
        Ok(result)
    }

    /// A new PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        Ok(self.run(move || hash_password(&password)).await??)
    }

    /// Whether `password` matches the stored hash; with no hash (unknown account) a dummy hash of
    /// the same cost is checked and the answer is no.
    pub async fn verify(
        &self,
        stored: Option<String>,
        password: String,
    ) -> Result<bool, HashingError> {
        let verified = self
            .run(move || password_matches_hash(stored.as_deref(), &password))
            .await?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_full_hasher_answers_busy_after_the_wait() {
        let hasher = std::sync::Arc::new(Hasher::new(1, Duration::from_millis(50)));
        let held = hasher.hold().await.unwrap();
        let refused = hasher.verify(None, "x".into()).await;
        assert!(matches!(refused, Err(HashingError::Busy)), "{refused:?}");
        assert_eq!(hasher.verifications(), 0);
        drop(held);
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(
            hasher
                .verify(Some(hash), "correct horse battery".into())
                .await
                .unwrap()
        );
        assert!(!hasher.verify(None, "anything".into()).await.unwrap());
        assert_eq!(hasher.verifications(), 2);
    }
}
