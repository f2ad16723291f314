//! What every page needs to know about its request: the language, the logged-in user, the CSRF
//! token; and the guards that require a user or an organizer.

use std::borrow::Cow;
use std::future::{Ready, ready};
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::App;
use crate::domain::Lang;
use crate::domain::account::Role;
use crate::domain::token;
use crate::error::AppError;
use crate::i18n;
use crate::service::records::User;
use crate::service::sessions;
use crate::service::sessions::Account;
pub use crate::service::sessions::SessionKey;

pub const LANG_COOKIE: &str = "lang";
const SESSION_USER_ID: &str = "uid";
const SESSION_USER_NAME: &str = "uname";
const SESSION_USER_ROLE: &str = "urole";
const SESSION_CSRF: &str = "csrf";
const SESSION_FLASH: &str = "flash";
/// The secret whose hash is the id of the session's row on the server (see `service::sessions`).
const SESSION_SECRET: &str = "sid";

/// Chooses the language of the request: `?lang=` (which also sets the cookie), then the cookie,
/// then `Accept-Language`, then Spanish. An unknown `lang` is ignored.
pub async fn language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let from_query = query_lang(req.query_string());
    let lang = from_query
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| {
            req.headers()
                .get("accept-language")
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    // Secure exactly when the session cookie is (the site is served over https).
    let secure = req
        .app_data::<actix_web::web::Data<super::App>>()
        .is_some_and(|state| state.config.secure_cookies());
    let mut res = next.call(req).await?;
    if let Some(chosen) = from_query {
        let cookie = Cookie::build(LANG_COOKIE, chosen.code())
            .path("/")
            .same_site(SameSite::Lax)
            .secure(secure)
            .http_only(true)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        // A cookie that cannot be added only costs the preference, not the page.
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res)
}

fn query_lang(query: &str) -> Option<Lang> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        // Only the exact codes count; "es-PA" in a link is not a choice we offer.
        .and_then(|(_, v)| Lang::ALL.into_iter().find(|l| l.code() == v))
}

/// The language chosen for this request.
pub fn request_lang(req: &HttpRequest) -> Lang {
    req.extensions().get::<Lang>().copied().unwrap_or_default()
}

/// The logged-in user as remembered in the session (for the page header).
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl SessionUser {
    pub fn is_organizer(&self) -> bool {
        self.role == Role::Organizer
    }

    /// Translation key of the role's name.
    pub fn role_key(&self) -> &'static str {
        match self.role {
            Role::Organizer => "role.organizer",
            Role::Representative => "role.representative",
        }
    }
}

/// One entry of the language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub code: &'static str,
    /// The language's name in that language.
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

fn session_user(session: &Session) -> Option<SessionUser> {
    let id = session.get::<String>(SESSION_USER_ID).ok().flatten()?;
    let name = session.get::<String>(SESSION_USER_NAME).ok().flatten()?;
    let role = session
        .get::<String>(SESSION_USER_ROLE)
        .ok()
        .flatten()
        .and_then(|r| Role::parse(&r))?;
    Some(SessionUser { id, name, role })
}

/// The CSRF token of the session, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_CSRF) {
        return token;
    }
    let token = token::new_secret();
    // If the session cannot store it, the form post will be refused, which is safe.
    let _ = session.insert(SESSION_CSRF, &token);
    token
}

/// The CSRF token the session holds, without creating one.
pub fn expected_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_CSRF).ok().flatten()
}

fn app_state(req: &HttpRequest) -> Result<web::Data<App>, AppError> {
    req.app_data::<web::Data<App>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}

/// Starts a fresh session for a user who just proved who they are: a new session (so a session
/// fixed before login is worthless), recorded on the server with the browser and the address,
/// and a new CSRF token.
pub async fn log_in(req: &HttpRequest, user: &User) -> Result<(), AppError> {
    let role = Role::parse(&user.role).ok_or_else(|| AppError::internal("unknown role"))?;
    let state = app_state(req)?;
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let address = super::client::client_address(req);
    let (policy, now, user_id) = (
        sessions::Policy::of(&state.config),
        state.clock.now(),
        user.id.clone(),
    );
    // Logging in over a session (as someone else, or again) ends that session on the server.
    let previous = req
        .get_session()
        .get::<String>(SESSION_SECRET)
        .ok()
        .flatten();
    let secret = state
        .run(move |conn| {
            let address = address.as_deref();
            sessions::replace(conn, previous, policy, &user_id, &user_agent, address, now)
        })
        .await?;
    let session = req.get_session();
    session.renew();
    session.clear();
    session
        .insert(SESSION_SECRET, &secret)
        .and_then(|_| session.insert(SESSION_USER_ID, &user.id))
        .and_then(|_| session.insert(SESSION_USER_NAME, &user.name))
        .and_then(|_| session.insert(SESSION_USER_ROLE, role.as_str()))
        .and_then(|_| session.insert(SESSION_CSRF, token::new_secret()))
        .map_err(AppError::internal)
}

/// Forgets the session in this browser: everything it held is dropped and a fresh, empty one
/// starts (so a message can still be left for the next page). The server's record is left to
/// [`end_session`] (or was already ended).
pub fn log_out(session: &Session) {
    session.clear();
    session.renew();
}

/// Logging out: the session ends on the server (a copy of the cookie no longer works) and is
/// forgotten in this browser.
pub async fn end_session(state: &App, session: &Session) -> Result<(), AppError> {
    let secret = session.get::<String>(SESSION_SECRET).ok().flatten();
    log_out(session);
    if let Some(secret) = secret {
        state
            .run(move |conn| sessions::end_by_secret(conn, &secret))
            .await?;
    }
    Ok(())
}

/// The id of this browser's session on the server, when it has one.
pub fn session_id(session: &Session) -> Option<String> {
    session
        .get::<String>(SESSION_SECRET)
        .ok()
        .flatten()
        .map(|secret| sessions::id_of(&secret))
}

/// Leaves a one-time message (a translation key) for the next page.
pub fn flash(session: &Session, message_key: &str) {
    let _ = session.insert(SESSION_FLASH, message_key);
}

/// What every page template gets: language, user, CSRF token, current path.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<SessionUser>,
    pub csrf: String,
    /// Path of the request without the `lang` parameter, for the language switch.
    pub path: String,
    /// Query of the request without the `lang` parameter.
    pub query: Vec<(String, String)>,
    pub flash: Option<String>,
}

impl Ctx {
    pub fn from_request(req: &HttpRequest) -> Ctx {
        let session = req.get_session();
        // Removing marks the session changed, which re-encrypts and re-sends the cookie: only
        // when there is a message to take.
        let flash = session
            .contains_key(SESSION_FLASH)
            .then(|| session.remove_as::<String>(SESSION_FLASH))
            .flatten()
            .and_then(|r| r.ok());
        let query = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "lang")
            .collect();
        Ctx {
            lang: request_lang(req),
            user: session_user(&session),
            csrf: csrf_token(&session),
            path: req.path().to_owned(),
            query,
            flash,
        }
    }

    /// Translated UI string.
    pub fn t<'k>(&self, key: &'k str) -> Cow<'k, str> {
        i18n::tr(self.lang, key)
    }

    /// Translated UI string with `%{name}` placeholders.
    pub fn ta(&self, key: &str, name: &str, value: &str) -> String {
        i18n::tr_args(self.lang, key, &[(name, value)])
    }

    /// A counted text: `key.one` or `key.other` by `n`, with `%{n}` replaced.
    pub fn tn(&self, key: &str, n: impl i18n::Count) -> String {
        i18n::tr_count(self.lang, key, n.count(), &[])
    }

    /// An institution's name after "de" / "of" ("del Instituto ...").
    pub fn of_name(&self, name: &str) -> String {
        crate::domain::lang::of_name(self.lang, name)
    }

    /// A calendar date as people write it in the page's language ("7 de diciembre de 2026").
    pub fn date(&self, day: impl crate::domain::time::Day) -> String {
        crate::domain::time::date(day.calendar_day(), self.lang)
    }

    /// A span of days as people write it in the page's language ("3–28 de julio de 2023").
    pub fn date_range(
        &self,
        first: impl crate::domain::time::Day,
        last: impl crate::domain::time::Day,
    ) -> String {
        crate::domain::time::date_range(first.calendar_day(), last.calendar_day(), self.lang)
    }

    /// Writes the times of this page in a zone (an assessment's, or the configured default).
    pub fn times(&self, zone: chrono_tz::Tz) -> crate::domain::time::Local {
        crate::domain::time::Local::new(self.lang, zone)
    }

    /// The current page in another language.
    pub fn lang_url(&self, code: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push(("lang", code));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{}", self.path, query)
    }

    /// The language switch: every language, named in itself, linking to this page.
    pub fn lang_links(&self) -> Vec<LangLink> {
        Lang::ALL
            .into_iter()
            .map(|lang| LangLink {
                code: lang.code(),
                label: match lang {
                    Lang::Es => "Español",
                    Lang::En => "English",
                },
                url: self.lang_url(lang.code()),
                current: lang == self.lang,
            })
            .collect()
    }

    /// URL of a bundled static file, with its content hash so it can be cached for ever.
    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Ctx, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Ctx::from_request(req)))
    }
}

/// A logged-in user, checked against the database on every request (so a deleted account, a
/// changed role or an ended session takes effect at once). Anonymous visitors are sent to the
/// login page.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl CurrentUser {
    /// Who asks to read or change a response, for the service's access check.
    pub fn reader(&self) -> crate::service::responses::Actor {
        crate::service::responses::Actor {
            user_id: self.id.clone(),
            role: self.role,
        }
    }

    /// The user of an account as the database has it now.
    pub fn of_account(row: Account) -> Result<CurrentUser, AppError> {
        let role = Role::parse(&row.role).ok_or_else(|| AppError::internal("unknown role"))?;
        Ok(CurrentUser {
            id: row.id,
            name: row.name,
            email: row.email,
            role,
        })
    }

    pub fn is_organizer(&self) -> bool {
        self.role == Role::Organizer
    }
}

/// Where to come back to after logging in: only a local path.
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 1000;
    ok.then(|| next.to_owned())
}

fn login_required(req: &HttpRequest) -> AppError {
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    AppError::LoginRequired { next: here }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<CurrentUser, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(user) = req.extensions().get::<CurrentUser>() {
                return Ok(user.clone());
            }
            let login = Login::of(&req)?;
            let state = app_state(&req)?;
            let key = login.key().clone();
            let found = state
                .run(move |conn| sessions::check_key(conn, &key))
                .await?;
            Ok(login.accept_account(found)?)
        })
    }
}

/// Someone the session says is logged in, not yet checked against the database. The busiest
/// pages (a questionnaire section, its save) check it in the same database call as their own
/// reads, one trip to the blocking pool instead of two: `service::sessions::check_key` inside
/// the call, [`Login::accept_account`] after it. Anonymous visitors are sent to the login page.
pub struct Login {
    req: HttpRequest,
    key: SessionKey,
}

impl Login {
    fn of(req: &HttpRequest) -> Result<Login, AppError> {
        let session = req.get_session();
        let remembered = session_user(&session).ok_or_else(|| login_required(req))?;
        // A session from before sessions were kept on the server has no secret: log in again.
        let Some(secret) = session.get::<String>(SESSION_SECRET).ok().flatten() else {
            log_out(&session);
            return Err(login_required(req));
        };
        let state = app_state(req)?;
        Ok(Login {
            req: req.clone(),
            key: SessionKey {
                user_id: remembered.id,
                secret,
                policy: sessions::Policy::of(&state.config),
                now: state.clock.now(),
            },
        })
    }

    /// What a service needs to check the session inside its own database call.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// [`Login::accept`] for the account a service found under the session's key.
    pub fn accept_account(&self, found: Option<Account>) -> Result<CurrentUser, AppError> {
        self.accept(found.map(CurrentUser::of_account).transpose()?)
    }

    /// The checked user; a deleted account or an ended session is logged out and sent to the
    /// login page.
    pub fn accept(&self, found: Option<CurrentUser>) -> Result<CurrentUser, AppError> {
        let Some(user) = found else {
            return Err(self.reject());
        };
        self.req.extensions_mut().insert(user.clone());
        Ok(user)
    }

    /// The account no longer exists or the session is over: the session is forgotten, and the
    /// answer is the login page.
    pub fn reject(&self) -> AppError {
        log_out(&self.req.get_session());
        login_required(&self.req)
    }
}

impl FromRequest for Login {
    type Error = actix_web::Error;
    type Future = Ready<Result<Login, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Login::of(req).map_err(Into::into))
    }
}

/// A logged-in organizer; representatives get 403.
#[derive(Debug, Clone)]
pub struct Organizer(pub CurrentUser);

impl FromRequest for Organizer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Organizer, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.is_organizer() {
                Ok(Organizer(user))
            } else {
                Err(AppError::Forbidden.into())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next("/organizer"), Some("/organizer".into()));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("/a\r\nSet-Cookie: x"), None);
    }

    #[test]
    fn only_exact_language_codes_in_the_query_count() {
        assert_eq!(query_lang("lang=en"), Some(Lang::En));
        assert_eq!(query_lang("x=1&lang=es"), Some(Lang::Es));
        assert_eq!(query_lang("lang=fr"), None);
        assert_eq!(query_lang("lang=en-US"), None);
        assert_eq!(query_lang("lang=%ZZ"), None);
        assert_eq!(query_lang(""), None);
    }
}
