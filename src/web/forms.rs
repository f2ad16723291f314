//! Field-level error messages of a form, shown next to each field and in a summary.

use crate::domain::Lang;
use crate::domain::account::FieldError;
use crate::i18n;

/// Messages by field name, in the order found.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &str, message: String) {
        self.0.push((field.to_owned(), message));
    }

    /// Keeps the value when it parsed, records the message when it did not.
    pub fn check<T>(
        &mut self,
        lang: Lang,
        field: &str,
        parsed: Result<T, FieldError>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, field_message(lang, error));
                None
            }
        }
    }

    pub fn get(&self, field: impl AsRef<str>) -> Option<&str> {
        let field = field.as_ref();
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (field, message) pairs for the summary at the top of the form.
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }
}

/// The message of a field error in the user's language.
pub fn field_message(lang: Lang, error: FieldError) -> String {
    let limit = error.limit().map(|n| n.to_string()).unwrap_or_default();
    i18n::tr_args(lang, error.message_key(), &[("n", &limit)])
}
