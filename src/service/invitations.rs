//! Invitations: an organizer invites representatives of an organization to its response; each
//! person opens a personal, single-use link that expires, and joins the response.

use chrono::{Duration, NaiveDateTime};

use crate::domain::Lang;
use crate::domain::account::{EmailAddress, PersonName, Role};
use crate::domain::token;
use crate::error::AppError;
use crate::service::accounts::PasswordCheck;
use crate::service::audit::{self, Action, Actor, Object};
use crate::service::email::{self, MailEnv, Recipient};
use crate::service::hashing::{Hasher, HashingError};
use crate::store::assessments::Assessment;
use crate::store::invitations::{self as rows, Invitation, NewInvitation};
use crate::store::organizations::Organization;
use crate::store::responses::{self, NewResponse, Response};
use crate::store::users::{self, NewUser, User};
use crate::store::{self, DbConnection, Pool, run_blocking};

/// How long a link works.
pub const VALID_DAYS: i64 = 30;

/// One person to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub email: EmailAddress,
    pub name: PersonName,
    pub lang: Lang,
}

/// An invitation just made, with its token (shown once; only its hash is stored).
#[derive(Debug, Clone)]
pub struct CreatedInvitation {
    pub id: String,
    pub email: String,
    pub name: String,
    pub token: String,
}

/// The response of an organization in an assessment, created on first need.
pub fn ensure_response(
    conn: &mut DbConnection,
    assessment_id: &str,
    organization_id: &str,
    now: NaiveDateTime,
) -> Result<Response, AppError> {
    if let Some(found) = responses::find_for(conn, assessment_id, organization_id)? {
        return Ok(found);
    }
    let id = store::new_id();
    responses::insert(
        conn,
        &NewResponse {
            id: &id,
            assessment_id,
            organization_id,
            status: responses::STATUS_DRAFT,
            created_at: now,
        },
    )?;
    Ok(responses::find(conn, &id)?)
}

/// Creates one invitation and queues its email, in the caller's transaction.
fn create_one(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response: &Response,
    invitee: &Invitee,
    organizer_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<CreatedInvitation, AppError> {
    let secret = token::new_secret();
    let id = store::new_id();
    let expires_at = now + Duration::days(VALID_DAYS);
    rows::insert(
        conn,
        &NewInvitation {
            id: &id,
            response_id: &response.id,
            email: invitee.email.as_str(),
            name: invitee.name.as_str(),
            lang: invitee.lang.code(),
            token_hash: &token::hash(&secret),
            created_at: now,
            created_by: organizer_id,
            expires_at,
        },
    )?;
    email::queue_invitation(
        conn,
        env,
        &id,
        &Recipient {
            email: invitee.email.as_str().to_owned(),
            name: invitee.name.as_str().to_owned(),
            lang: invitee.lang,
        },
        &secret,
        expires_at,
        response,
        organizer_id,
        now,
    )?;
    Ok(CreatedInvitation {
        id,
        email: invitee.email.as_str().to_owned(),
        name: invitee.name.as_str().to_owned(),
        token: secret,
    })
}

/// Invites people for an organization in an assessment, creating its response if needed; each
/// invitation email is queued in the same transaction.
pub fn invite(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    assessment_id: &str,
    organization_id: &str,
    invitees: &[Invitee],
    by: &Actor,
    now: NaiveDateTime,
) -> Result<Vec<CreatedInvitation>, AppError> {
    crate::store::write(conn, |conn| {
        store::assessments::find(conn, assessment_id)?;
        store::organizations::find(conn, organization_id)?;
        let response = ensure_response(conn, assessment_id, organization_id, now)?;
        invitees
            .iter()
            .map(|invitee| invite_one(conn, env, &response, invitee, by, now))
            .collect()
    })
}

/// One invitation with its email and its audit row, in the caller's transaction.
fn invite_one(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response: &Response,
    invitee: &Invitee,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<CreatedInvitation, AppError> {
    let created = create_one(conn, env, response, invitee, by.user_id.as_deref(), now)?;
    let object = Object::new("invitation", &created.id).in_assessment(&response.assessment_id);
    audit::record(
        conn,
        by,
        Action::InvitationSent,
        object,
        &created.email,
        now,
    )?;
    Ok(created)
}

/// What "invite every organization's contact" does for one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactPlan {
    /// Its registered contact gets an invitation.
    Invite(Invitee),
    /// Skipped: no usable contact email is registered.
    NoContact,
    /// Skipped: it already has representatives in this assessment, or someone of it holds an
    /// invitation that was not revoked.
    AlreadyInvited,
}

/// One organization of the plan.
#[derive(Debug, Clone)]
pub struct ContactRow {
    pub organization: Organization,
    pub plan: ContactPlan,
}

/// Who would get what if every organization's registered contact were invited now, in the
/// language `lang`: every organization registered for the forum, in name order.
pub fn contact_plan(
    conn: &mut DbConnection,
    assessment_id: &str,
    lang: Lang,
) -> Result<Vec<ContactRow>, AppError> {
    store::assessments::find(conn, assessment_id)?;
    let invited: std::collections::HashSet<String> = {
        let mut live: std::collections::HashSet<String> =
            rows::list_for_assessment(conn, assessment_id)?
                .into_iter()
                .filter(|i| i.revoked_at.is_none())
                .map(|i| i.response_id)
                .collect();
        live.extend(
            responses::members_of_assessment(conn, assessment_id)?
                .into_iter()
                .map(|(response_id, _, _)| response_id),
        );
        responses::list_for_assessment(conn, assessment_id)?
            .into_iter()
            .filter(|(response, _)| live.contains(&response.id))
            .map(|(_, org)| org.id)
            .collect()
    };
    Ok(store::organizations::list(conn)?
        .into_iter()
        .map(|organization| {
            let plan = if invited.contains(&organization.id) {
                ContactPlan::AlreadyInvited
            } else {
                contact_invitee(&organization, lang)
                    .map_or(ContactPlan::NoContact, ContactPlan::Invite)
            };
            ContactRow { organization, plan }
        })
        .collect())
}

/// The organization's registered contact as an invitee; without a contact name, the letter is
/// addressed to the organization.
fn contact_invitee(organization: &Organization, lang: Lang) -> Option<Invitee> {
    let email = EmailAddress::parse(organization.contact_email.as_deref()?).ok()?;
    let name = organization
        .contact_name
        .as_deref()
        .and_then(|n| PersonName::parse(n).ok())
        .or_else(|| PersonName::parse(&organization.name).ok())?;
    Some(Invitee { email, name, lang })
}

/// Invites the registered contact of every organization the plan says to, in one transaction;
/// the plan is worked out again inside it, so an organization invited in the meantime is skipped.
pub fn invite_contacts(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    assessment_id: &str,
    lang: Lang,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<Vec<(Organization, CreatedInvitation)>, AppError> {
    crate::store::write(conn, |conn| {
        let mut created = Vec::new();
        for row in contact_plan(conn, assessment_id, lang)? {
            let ContactPlan::Invite(invitee) = row.plan else {
                continue;
            };
            let response = ensure_response(conn, assessment_id, &row.organization.id, now)?;
            let invitation = invite_one(conn, env, &response, &invitee, by, now)?;
            created.push((row.organization, invitation));
        }
        Ok(created)
    })
}

/// Revokes an unused invitation; false when it was already used or revoked.
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::store::write(conn, |conn| {
        let invitation = rows::find(conn, id)?;
        if !rows::revoke(conn, id, now)? {
            return Ok(false);
        }
        let assessment_id = responses::find(conn, &invitation.response_id)?.assessment_id;
        let object = Object::new("invitation", id).in_assessment(&assessment_id);
        let action = Action::InvitationRevoked;
        audit::record(conn, by, action, object, &invitation.email, now)?;
        Ok(true)
    })
}

/// Replaces an invitation by a new one for the same person (the old link stops working) and
/// queues its email.
pub fn resend(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    id: &str,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<(Invitation, CreatedInvitation), AppError> {
    crate::store::write(conn, |conn| {
        let old = rows::find(conn, id)?;
        rows::revoke(conn, id, now)?;
        let invitee = invitee_of(&old)?;
        let response = responses::find(conn, &old.response_id)?;
        let created = create_one(conn, env, &response, &invitee, by.user_id.as_deref(), now)?;
        let object = Object::new("invitation", &created.id).in_assessment(&response.assessment_id);
        let details = format!("{} (replaces {id})", created.email);
        audit::record(conn, by, Action::InvitationResent, object, &details, now)?;
        Ok((old, created))
    })
}

/// The invite form's data: the assessment and every organization.
pub fn invite_page(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> Result<(Assessment, Vec<Organization>), AppError> {
    Ok((
        store::assessments::find(conn, assessment_id)?,
        store::organizations::list(conn)?,
    ))
}

/// The assessment and its [`contact_plan`], for the preview of inviting every contact.
pub fn contacts_preview(
    conn: &mut DbConnection,
    assessment_id: &str,
    lang: Lang,
) -> Result<(Assessment, Vec<ContactRow>), AppError> {
    Ok((
        store::assessments::find(conn, assessment_id)?,
        contact_plan(conn, assessment_id, lang)?,
    ))
}

/// [`revoke`] from the assessment page: returns the id of the invitation's assessment, where
/// the organizer goes back to.
pub fn revoke_and_locate(
    conn: &mut DbConnection,
    id: &str,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    revoke(conn, id, by, now)?;
    let invitation = rows::find(conn, id)?;
    Ok(responses::find(conn, &invitation.response_id)?.assessment_id)
}

/// [`resend`] from the assessment page: the assessment's id, the organization's name and the
/// new invitation.
pub fn resend_and_locate(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    id: &str,
    by: &Actor,
    now: NaiveDateTime,
) -> Result<(String, String, CreatedInvitation), AppError> {
    let (old, created) = resend(conn, env, id, by, now)?;
    let response = responses::find(conn, &old.response_id)?;
    let organization = store::organizations::find(conn, &response.organization_id)?;
    Ok((response.assessment_id, organization.name, created))
}

fn invitee_of(invitation: &Invitation) -> Result<Invitee, AppError> {
    Ok(Invitee {
        email: EmailAddress::parse(&invitation.email)
            .map_err(|_| AppError::internal("bad email"))?,
        name: PersonName::parse(&invitation.name).map_err(|_| AppError::internal("bad name"))?,
        lang: Lang::parse(&invitation.lang).unwrap_or_default(),
    })
}

/// For a reminder to someone who has not used their link yet: the link is only known when it is
/// made (only its hash is kept), so the reminder carries a new one and the old one is revoked.
/// Returns the new token; no invitation email is queued (the reminder is the email).
pub fn replace_for_reminder(
    conn: &mut DbConnection,
    old: &Invitation,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let invitee = invitee_of(old)?;
    rows::revoke(conn, &old.id, now)?;
    let secret = token::new_secret();
    rows::insert(
        conn,
        &NewInvitation {
            id: &store::new_id(),
            response_id: &old.response_id,
            email: invitee.email.as_str(),
            name: invitee.name.as_str(),
            lang: invitee.lang.code(),
            token_hash: &token::hash(&secret),
            created_at: now,
            created_by: None,
            // The new link lives as long as the one it replaces, at least a week.
            expires_at: old.expires_at.max(now + Duration::days(7)),
        },
    )?;
    Ok(secret)
}

/// Why a link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
    Revoked,
}

impl LinkProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            LinkProblem::Unknown => "invitation.problem.unknown",
            LinkProblem::Expired => "invitation.problem.expired",
            LinkProblem::Used => "invitation.problem.used",
            LinkProblem::Revoked => "invitation.problem.revoked",
        }
    }
}

/// A working link, with what the page shows about it.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub invitation: Invitation,
    pub assessment: Assessment,
    pub organization: Organization,
    /// The account that already uses the invited email, if any.
    pub account: Option<User>,
}

/// Looks a link up without using it.
pub fn open(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> Result<Result<OpenInvitation, LinkProblem>, AppError> {
    let Some(invitation) = rows::find_by_token_hash(conn, &token::hash(secret))? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if invitation.revoked_at.is_some() {
        return Ok(Err(LinkProblem::Revoked));
    }
    if invitation.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if now >= invitation.expires_at {
        return Ok(Err(LinkProblem::Expired));
    }
    let response = responses::find(conn, &invitation.response_id)?;
    let assessment = store::assessments::find(conn, &response.assessment_id)?;
    let organization = store::organizations::find(conn, &response.organization_id)?;
    let account = users::find_by_email(conn, &invitation.email)?;
    Ok(Ok(OpenInvitation {
        invitation,
        assessment,
        organization,
        account,
    }))
}

/// How the person proves who they are when accepting.
#[derive(Clone, Copy)]
pub enum Acceptance<'a> {
    /// A new account: name and the hash of its password (made by the caller's bounded hasher).
    NewAccount {
        name: &'a PersonName,
        password_hash: &'a str,
    },
    /// The account that already has the invited email, whose password the caller checked (with
    /// the shared login throttle).
    ExistingAccount { user_id: &'a str },
    /// Already logged in as the invited account.
    LoggedIn { user_id: &'a str },
}

#[derive(Debug)]
pub enum AcceptError {
    Link(LinkProblem),
    Other(AppError),
}

impl From<AppError> for AcceptError {
    fn from(e: AppError) -> Self {
        AcceptError::Other(e)
    }
}

impl From<diesel::result::Error> for AcceptError {
    fn from(e: diesel::result::Error) -> Self {
        AcceptError::Other(e.into())
    }
}

/// Uses a link: creates or checks the account, makes it a member of the response, marks the
/// link used, all in one transaction. Returns the user and the response id.
pub fn accept(
    conn: &mut DbConnection,
    secret: &str,
    how: Acceptance<'_>,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<(User, String), AcceptError> {
    crate::store::write(conn, |conn| {
        let open = open(conn, secret, now)?.map_err(AcceptError::Link)?;
        let new_account = matches!(how, Acceptance::NewAccount { .. });
        let user = match (how, open.account) {
            (
                Acceptance::NewAccount {
                    name,
                    password_hash,
                },
                None,
            ) => {
                let id = store::new_id();
                users::insert(
                    conn,
                    &NewUser {
                        id: &id,
                        email: &open.invitation.email,
                        name: name.as_str(),
                        role: Role::Representative.as_str(),
                        password_hash,
                        created_at: now,
                    },
                )?;
                users::find(conn, &id)?
            }
            (
                Acceptance::ExistingAccount { user_id } | Acceptance::LoggedIn { user_id },
                Some(account),
            ) if account.id == user_id => account,
            // The account appeared or the session changed since the page was shown.
            _ => return Err(AcceptError::Link(LinkProblem::Unknown)),
        };
        if !rows::mark_used(conn, &open.invitation.id, &user.id, now)? {
            return Err(AcceptError::Link(LinkProblem::Used));
        }
        responses::add_member(conn, &open.invitation.response_id, &user.id, now)?;
        responses::touch_opened(conn, &open.invitation.response_id, now)?;
        users::record_login(conn, &user.id, now)?;
        let actor = Actor::user(&user.id, &user.email, address.map(str::to_owned));
        let object =
            Object::new("invitation", &open.invitation.id).in_assessment(&open.assessment.id);
        let details = if new_account {
            "new account"
        } else {
            "existing account"
        };
        audit::record(
            conn,
            &actor,
            Action::InvitationAccepted,
            object,
            details,
            now,
        )?;
        Ok((user, open.invitation.response_id))
    })
}

/// The audit detail of a wrong password typed when accepting an invitation.
const INVITATION_FORM: &str = "invitation";

/// How the person accepting a link proves who they are.
pub enum Claim {
    /// A new account: its name and password (hashed by the bounded hasher).
    NewAccount(PersonName, crate::domain::account::NewPassword),
    /// The invited account, logged in on this browser: its id.
    LoggedIn(String),
    /// The invited account's password, typed (checked like a login: one throttle, audited).
    Password { email: String, password: String },
}

/// What accepting a link with a [`Claim`] came to.
pub enum Accepted {
    /// The user, now a member, and the response's id.
    Done(User, String),
    /// The link no longer works.
    Link(LinkProblem),
    /// The typed password is not the account's.
    WrongPassword,
    /// Too many password attempts: seconds to wait.
    Throttled(i64),
    /// Every password-hashing slot stayed busy.
    Busy,
}

/// Accepts a link for whoever the [`Claim`] proves: the password is hashed or checked first,
/// by the bounded hasher with no connection held (an existing account's password through the
/// login's throttle and audit, see [`super::accounts::check_password`]); then [`accept`].
pub async fn accept_claim(
    pool: &Pool,
    hasher: &Hasher,
    secret: String,
    claim: Claim,
    address: Option<String>,
    now: NaiveDateTime,
) -> Result<Accepted, AppError> {
    enum Proof {
        NewAccount(PersonName, String),
        Account(String),
    }
    let proof = match claim {
        Claim::NewAccount(name, password) => {
            match hasher.hash(password.expose().to_owned()).await {
                Ok(hash) => Proof::NewAccount(name, hash),
                Err(HashingError::Busy) => return Ok(Accepted::Busy),
                Err(HashingError::Other(e)) => return Err(e),
            }
        }
        Claim::LoggedIn(user_id) => Proof::Account(user_id),
        Claim::Password { email, password } => {
            let checked = super::accounts::check_password(
                pool,
                hasher,
                &email,
                password,
                address.clone(),
                INVITATION_FORM,
                now,
            )
            .await?;
            match checked {
                PasswordCheck::Verified(user) => Proof::Account(user.id),
                PasswordCheck::Wrong => return Ok(Accepted::WrongPassword),
                PasswordCheck::Throttled(wait) => return Ok(Accepted::Throttled(wait)),
                PasswordCheck::Busy => return Ok(Accepted::Busy),
            }
        }
    };
    let result = run_blocking(pool, move |conn| {
        let how = match &proof {
            Proof::NewAccount(name, hash) => Acceptance::NewAccount {
                name,
                password_hash: hash,
            },
            Proof::Account(user_id) => Acceptance::ExistingAccount { user_id },
        };
        Ok(accept(conn, &secret, how, address.as_deref(), now))
    })
    .await?;
    match result {
        Ok((user, response_id)) => Ok(Accepted::Done(user, response_id)),
        Err(AcceptError::Link(problem)) => Ok(Accepted::Link(problem)),
        Err(AcceptError::Other(e)) => Err(e),
    }
}
