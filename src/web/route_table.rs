//! The application's routes as one list: method, path pattern, who may use each, and how a
//! person arrives there. `routes()` registers exactly this list (both are made by one macro
//! call), so the tests that walk the site and check each route against each role read the routes
//! the server really has.

use actix_web::web;

use super::{
    analysis, assessments, assets, audit, auth, email, exports, health, home, invitations,
    organizations, passwords, responses, sessions,
};

/// The HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

/// Who a route serves. Representatives use only their own organization's responses; that is
/// checked per object, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Who {
    /// Someone not logged in.
    Anonymous,
    Representative,
    Organizer,
}

/// How a person arrives at a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A page or a download, reached by following links from the person's landing page (for
    /// pages open to anyone: from the login page).
    Link,
    /// A personal link sent by email or printed by the server: an invitation, a password reset,
    /// the first organizer's setup.
    Email,
    /// The target of a form.
    Form,
    /// Not a page: a stylesheet, a script, the health check.
    Resource,
}

/// One route of the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub verb: Verb,
    /// actix's pattern, e.g. `/responses/{id}/review`.
    pub pattern: &'static str,
    pub who: &'static [Who],
    pub reach: Reach,
}

impl Route {
    pub fn serves(&self, who: Who) -> bool {
        self.who.contains(&who)
    }

    /// Whether `path` (without its query) is one of this route's paths.
    pub fn matches(&self, path: &str) -> bool {
        actix_web::dev::ResourceDef::new(self.pattern).is_match(path)
    }
}

const ANYONE: &[Who] = &[Who::Anonymous, Who::Representative, Who::Organizer];
const SIGNED_IN: &[Who] = &[Who::Representative, Who::Organizer];
const REPRESENTATIVES: &[Who] = &[Who::Representative];
const ORGANIZERS: &[Who] = &[Who::Organizer];

/// The route a request would reach: the first of the list that matches, as actix tries them.
pub fn find(verb: Verb, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.verb == verb && r.matches(path))
}

macro_rules! route_table {
    ($($verb:ident $pattern:literal => $handler:path, $who:expr, $reach:ident;)*) => {
        /// Every route, in the order the router tries them.
        pub const ROUTES: &[Route] = &[
            $(Route { verb: Verb::$verb, pattern: $pattern, who: $who, reach: Reach::$reach },)*
        ];

        /// Registers the routes of [`ROUTES`].
        pub fn routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($pattern, route_table!(@method $verb).to($handler));)*
        }
    };
    (@method Get) => { web::get() };
    (@method Post) => { web::post() };
}

// The questionnaire's come first, its sections at the top: the router tries the patterns with
// parameters in order, a regular expression each.
route_table! {
    Get "/" => home::index, SIGNED_IN, Link;
    Get "/responses/{id}/sections/{section}" => responses::section, SIGNED_IN, Link;
    Post "/responses/{id}/sections/{section}" => responses::save_section, REPRESENTATIVES, Form;
    Get "/responses/{id}/scores" => analysis::scores, SIGNED_IN, Link;
    Get "/responses/{id}/scores/{dimension}" => analysis::cell, SIGNED_IN, Link;
    Get "/invite/{token}" => invitations::accept_page, ANYONE, Email;
    Post "/invite/{token}" => invitations::accept, ANYONE, Form;
    Get "/responses/{id}" => responses::overview, SIGNED_IN, Link;
    Get "/responses/{id}/review" => responses::review, SIGNED_IN, Link;
    Post "/responses/{id}/submit" => responses::submit, REPRESENTATIVES, Form;
    Get "/responses/{id}/mechanisms" => responses::mechanisms, SIGNED_IN, Link;
    Post "/responses/{id}/mechanisms" => responses::create_mechanism, REPRESENTATIVES, Form;
    Get "/responses/{id}/mechanisms/new" => responses::new_mechanism, REPRESENTATIVES, Link;
    Get "/responses/{id}/mechanisms/{mechanism}" => responses::edit_mechanism, SIGNED_IN, Link;
    Post "/responses/{id}/mechanisms/{mechanism}" => responses::update_mechanism, REPRESENTATIVES, Form;
    Get "/responses/{id}/mechanisms/{mechanism}/delete" => responses::confirm_delete_mechanism, REPRESENTATIVES, Link;
    Post "/responses/{id}/mechanisms/{mechanism}/delete" => responses::delete_mechanism, REPRESENTATIVES, Form;
    Get "/organizer" => assessments::dashboard, ORGANIZERS, Link;
    Get "/organizer/assessments/new" => assessments::new_form, ORGANIZERS, Link;
    Post "/organizer/assessments" => assessments::create, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}" => assessments::show, ORGANIZERS, Link;
    Post "/organizer/assessments/{id}" => assessments::update, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}/edit" => assessments::edit_form, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/invite" => invitations::invite_form, ORGANIZERS, Link;
    Post "/organizer/assessments/{id}/invitations" => invitations::invite, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}/invite-contacts" => invitations::contacts_preview, ORGANIZERS, Link;
    Post "/organizer/assessments/{id}/invite-contacts" => invitations::invite_contacts, ORGANIZERS, Form;
    Post "/organizer/invitations/{id}/revoke" => invitations::revoke, ORGANIZERS, Form;
    Post "/organizer/invitations/{id}/resend" => invitations::resend, ORGANIZERS, Form;
    Get "/organizer/organizations" => organizations::list, ORGANIZERS, Link;
    Post "/organizer/organizations" => organizations::create, ORGANIZERS, Form;
    Get "/organizer/organizations/new" => organizations::new_form, ORGANIZERS, Link;
    Get "/organizer/organizations/import" => organizations::import_form, ORGANIZERS, Link;
    Post "/organizer/organizations/import" => organizations::import, ORGANIZERS, Form;
    Post "/organizer/organizations/import/confirm" => organizations::confirm_import, ORGANIZERS, Form;
    Post "/organizer/organizations/{id}" => organizations::update, ORGANIZERS, Form;
    Get "/organizer/organizations/{id}/edit" => organizations::edit_form, ORGANIZERS, Link;
    Post "/organizer/responses/{id}/reopen" => responses::reopen, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}/matrix" => analysis::matrix, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/dimensions/{dimension}" => analysis::dimension, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/mechanisms" => analysis::inventory, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/network" => analysis::network, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/domains" => analysis::domains, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/annex" => analysis::annex, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/annex.css" => analysis::annex_css, ORGANIZERS, Resource;
    Get "/organizer/assessments/{id}/exports" => exports::page, ORGANIZERS, Link;
    Get "/organizer/assessments/{id}/export/{file}" => exports::export, ORGANIZERS, Link;
    Get "/healthz" => health::healthz, ANYONE, Resource;
    Get "/static/{name}" => assets::serve, ANYONE, Resource;
    Get "/login" => auth::login_page, ANYONE, Link;
    Post "/login" => auth::login, ANYONE, Form;
    Post "/logout" => auth::logout, ANYONE, Form;
    Get "/setup" => auth::setup_page, ANYONE, Email;
    Post "/setup" => auth::setup, ANYONE, Form;
    Get "/password/forgot" => passwords::forgot_page, ANYONE, Link;
    Post "/password/forgot" => passwords::forgot, ANYONE, Form;
    Get "/password/reset/{token}" => passwords::reset_page, ANYONE, Email;
    Post "/password/reset/{token}" => passwords::reset, ANYONE, Form;
    Get "/organizer/audit" => audit::page, ORGANIZERS, Link;
    Get "/organizer/audit.csv" => audit::csv, ORGANIZERS, Link;
    Get "/organizer/emails" => email::failures, ORGANIZERS, Link;
    Post "/organizer/emails/{id}/retry" => email::retry, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}/reminders" => email::reminders_page, ORGANIZERS, Link;
    Post "/organizer/assessments/{id}/reminders/policy" => email::save_policy, ORGANIZERS, Form;
    Post "/organizer/assessments/{id}/reminders/preview" => email::preview, ORGANIZERS, Form;
    Post "/organizer/assessments/{id}/reminders/send" => email::send_now, ORGANIZERS, Form;
    Get "/organizer/assessments/{id}/organizations/{organization}/emails" => email::history, ORGANIZERS, Link;
    Get "/account/sessions" => sessions::page, SIGNED_IN, Link;
    Post "/account/sessions/end-all" => sessions::end_all, SIGNED_IN, Form;
    Post "/account/sessions/{id}/end" => sessions::end_one, SIGNED_IN, Form;
    Post "/organizer/users/{id}/sessions/end" => sessions::organizer_end_all, ORGANIZERS, Form;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path of the pattern, each parameter replaced by a plausible value.
    fn sample_path(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_route_is_reached_by_its_own_paths() {
        for route in ROUTES {
            let path = sample_path(route.pattern);
            assert_eq!(
                find(route.verb, &path).map(|r| r.pattern),
                Some(route.pattern),
                "{path} goes to an earlier route"
            );
        }
    }

    #[test]
    fn no_route_is_listed_twice_and_forms_are_posted() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(
                !ROUTES[..i]
                    .iter()
                    .any(|r| r.verb == route.verb && r.pattern == route.pattern),
                "{:?} {} twice",
                route.verb,
                route.pattern
            );
            assert_eq!(
                route.verb == Verb::Post,
                route.reach == Reach::Form,
                "{}",
                route.pattern
            );
            assert!(!route.who.is_empty(), "{} serves nobody", route.pattern);
        }
    }

    #[test]
    fn a_path_finds_its_route() {
        let new = find(Verb::Get, "/responses/r1/mechanisms/new");
        assert_eq!(new.map(|r| r.who), Some(REPRESENTATIVES));
        let edit = find(Verb::Get, "/responses/r1/mechanisms/m1");
        assert_eq!(
            edit.map(|r| r.pattern),
            Some("/responses/{id}/mechanisms/{mechanism}")
        );
        assert_eq!(find(Verb::Get, "/no/such/page"), None);
        assert_eq!(find(Verb::Post, "/organizer"), None);
    }
}
