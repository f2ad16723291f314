//! The emails: one struct per kind with what it says, rendered by three askama templates in
//! `templates/emails/<kind>/` (subject, plain text, HTML) in the recipient's language. The prose
//! is in `src/locales/*.toml` under `email.`, so both languages are checked like the pages.

use std::borrow::Cow;

use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use chrono_tz::Tz;

use crate::domain::{Lang, time};
use crate::i18n;

/// The language and time zone of one email, with the helpers the templates call.
#[derive(Debug, Clone, Copy)]
pub struct MailCtx {
    pub lang: Lang,
    /// The zone its times are written in: the assessment's, else the bundled forum's.
    pub zone: Tz,
    /// Whether the message goes out with a Reply-To, so that its footer may say "reply to this
    /// email".
    pub replies: bool,
}

impl MailCtx {
    /// An email tied to no assessment (its times, if any, in the bundled forum's zone).
    pub fn new(lang: Lang) -> MailCtx {
        MailCtx {
            lang,
            zone: time::DEFAULT_ZONE,
            replies: false,
        }
    }

    /// An email about an assessment: its times in the assessment's zone.
    pub fn for_assessment(lang: Lang, zone: Tz) -> MailCtx {
        MailCtx {
            lang,
            zone,
            replies: false,
        }
    }

    /// The same, for a message that goes out with a Reply-To (or not).
    pub fn replying(self, replies: bool) -> MailCtx {
        MailCtx { replies, ..self }
    }

    /// An institution's name after "de" / "of" ("del Instituto ...").
    pub fn of_name(&self, name: &str) -> String {
        crate::domain::lang::of_name(self.lang, name)
    }

    /// An institution's name starting a sentence ("El Instituto ...").
    pub fn subject_name(&self, name: &str) -> String {
        crate::domain::lang::subject_name(self.lang, name)
    }

    /// A counted text: `key.one` or `key.other` by `n`, with `%{n}` replaced.
    pub fn tn(&self, key: &str, n: impl i18n::Count) -> String {
        i18n::tr_count(self.lang, key, n.count(), &[])
    }

    pub fn t<'k>(&self, key: &'k str) -> Cow<'k, str> {
        i18n::tr(self.lang, key)
    }

    pub fn ta(&self, key: &str, name: &str, value: &str) -> String {
        i18n::tr_args(self.lang, key, &[(name, value)])
    }

    /// A date as people write it: "31 de julio de 2026", "31 July 2026".
    pub fn date(&self, date: &NaiveDate) -> String {
        time::date(*date, self.lang)
    }

    /// A moment in the email's zone, with the zone's abbreviation.
    pub fn time(&self, at: &NaiveDateTime) -> String {
        time::date_time(*at, self.zone, self.lang)
    }
}

/// A rendered email, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the three templates of a kind; the subject is kept on one line.
macro_rules! email_templates {
    ($data:ident, $subject:tt, $text:tt, $html:tt) => {
        impl $data {
            pub fn render(&self) -> Result<Rendered, askama::Error> {
                #[derive(Template)]
                #[template(path = $subject)]
                struct Subject<'a> {
                    e: &'a $data,
                }
                #[derive(Template)]
                #[template(path = $text)]
                struct Text<'a> {
                    e: &'a $data,
                }
                #[derive(Template)]
                #[template(path = $html)]
                struct Html<'a> {
                    e: &'a $data,
                }
                Ok(Rendered {
                    subject: super::one_line(&Subject { e: self }.render()?),
                    text: tidy_text(&Text { e: self }.render()?),
                    html: Html { e: self }.render()?,
                })
            }
        }
    };
}

/// Plain text as typed in the templates, without trailing spaces or runs of blank lines.
fn tidy_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Progress of one section.
#[derive(Debug, Clone)]
pub struct SectionLine {
    pub title: String,
    pub answered: usize,
    pub required: usize,
    /// Mean maturity of a dimension, one decimal.
    pub mean: Option<String>,
}

pub struct InvitationEmail {
    pub ctx: MailCtx,
    pub name: String,
    pub organization: String,
    pub assessment: String,
    pub closes_on: NaiveDate,
    /// The personal link, `<base>/invite/<token>`.
    pub link: String,
    pub link_expires_on: NaiveDate,
    /// What the questionnaire asks and how long it takes (the instrument's introduction).
    pub questionnaire: String,
    pub sections: Vec<String>,
}
email_templates!(
    InvitationEmail,
    "emails/invitation/subject.txt",
    "emails/invitation/body.txt",
    "emails/invitation/body.html"
);

pub struct ReminderEmail {
    pub ctx: MailCtx,
    /// The last call before closing.
    pub is_final: bool,
    pub name: String,
    pub organization: String,
    pub assessment: String,
    pub closes_on: NaiveDate,
    pub days_left: i64,
    /// The response (members) or a new personal invitation link (nobody joined yet).
    pub link: String,
    pub via_invitation: bool,
    pub percent: u8,
    pub answered: usize,
    pub required: usize,
    /// Sections with required answers still missing.
    pub missing: Vec<SectionLine>,
}

impl ReminderEmail {
    pub fn render(&self) -> Result<Rendered, askama::Error> {
        if self.is_final {
            FinalReminder(self).render()
        } else {
            RegularReminder(self).render()
        }
    }
}

struct RegularReminder<'a>(&'a ReminderEmail);
struct FinalReminder<'a>(&'a ReminderEmail);

impl RegularReminder<'_> {
    fn render(&self) -> Result<Rendered, askama::Error> {
        #[derive(Template)]
        #[template(path = "emails/reminder/subject.txt")]
        struct Subject<'a> {
            e: &'a ReminderEmail,
        }
        #[derive(Template)]
        #[template(path = "emails/reminder/body.txt")]
        struct Text<'a> {
            e: &'a ReminderEmail,
        }
        #[derive(Template)]
        #[template(path = "emails/reminder/body.html")]
        struct Html<'a> {
            e: &'a ReminderEmail,
        }
        Ok(Rendered {
            subject: super::one_line(&Subject { e: self.0 }.render()?),
            text: tidy_text(&Text { e: self.0 }.render()?),
            html: Html { e: self.0 }.render()?,
        })
    }
}

impl FinalReminder<'_> {
    fn render(&self) -> Result<Rendered, askama::Error> {
        #[derive(Template)]
        #[template(path = "emails/final_reminder/subject.txt")]
        struct Subject<'a> {
            e: &'a ReminderEmail,
        }
        #[derive(Template)]
        #[template(path = "emails/final_reminder/body.txt")]
        struct Text<'a> {
            e: &'a ReminderEmail,
        }
        #[derive(Template)]
        #[template(path = "emails/final_reminder/body.html")]
        struct Html<'a> {
            e: &'a ReminderEmail,
        }
        Ok(Rendered {
            subject: super::one_line(&Subject { e: self.0 }.render()?),
            text: tidy_text(&Text { e: self.0 }.render()?),
            html: Html { e: self.0 }.render()?,
        })
    }
}

pub struct SubmissionEmail {
    pub ctx: MailCtx,
    pub name: String,
    pub organization: String,
    pub assessment: String,
    pub submitted_by: String,
    pub submitted_at: NaiveDateTime,
    pub link: String,
    pub sections: Vec<SectionLine>,
    pub mechanisms: usize,
}
email_templates!(
    SubmissionEmail,
    "emails/submission/subject.txt",
    "emails/submission/body.txt",
    "emails/submission/body.html"
);

pub struct ReopenedEmail {
    pub ctx: MailCtx,
    pub name: String,
    pub organization: String,
    pub assessment: String,
    pub reason: String,
    pub closes_on: NaiveDate,
    pub link: String,
}
email_templates!(
    ReopenedEmail,
    "emails/reopened/subject.txt",
    "emails/reopened/body.txt",
    "emails/reopened/body.html"
);

pub struct PasswordResetEmail {
    pub ctx: MailCtx,
    pub name: String,
    pub link: String,
    pub valid_minutes: i64,
}
email_templates!(
    PasswordResetEmail,
    "emails/password_reset/subject.txt",
    "emails/password_reset/body.txt",
    "emails/password_reset/body.html"
);

/// One undelivered message in the organizers' digest.
#[derive(Debug, Clone)]
pub struct DigestLine {
    pub recipient: String,
    pub kind: String,
    pub error: String,
}

pub struct FailureDigestEmail {
    pub ctx: MailCtx,
    pub name: String,
    pub failures: Vec<DigestLine>,
    pub link: String,
}
email_templates!(
    FailureDigestEmail,
    "emails/failure_digest/subject.txt",
    "emails/failure_digest/body.txt",
    "emails/failure_digest/body.html"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_tidied() {
        assert_eq!(tidy_text("\n\na  \n\n\n\nb\n"), "a\n\nb\n");
    }

    #[test]
    fn html_escapes_what_people_typed() {
        let email = PasswordResetEmail {
            ctx: MailCtx::new(Lang::En),
            name: "<script>alert(1)</script>".into(),
            link: "https://forum.example/password/reset/abc?x=1&y=2".into(),
            valid_minutes: 60,
        };
        let rendered = email.render().unwrap();
        assert!(!rendered.html.contains("<script>"));
        assert!(
            rendered.html.contains("&#60;script&#62;"),
            "{}",
            rendered.html
        );
        assert!(rendered.html.contains("x=1&#38;y=2"), "{}", rendered.html);
        // The plain text is not HTML: it keeps the characters as typed.
        assert!(rendered.text.contains("<script>alert(1)</script>"));
        assert!(rendered.text.contains("x=1&y=2"));
    }
}
