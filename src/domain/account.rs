//! Values of user accounts: email address, person name, password policy and role. Once built,
//! each value is valid; `parse` is the only way in.

use std::fmt;

/// Why a value was refused; the web layer turns the kind into a message in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Required,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    InvalidEmail,
    InvalidCharacters,
    InvalidDate,
    ClosesBeforeOpens,
    UnknownOption,
    Duplicate,
    DuplicateInFile,
    /// A whole number was expected.
    NotAWholeNumber,
    /// A number below the smallest allowed.
    TooSmall {
        min: usize,
    },
}

impl FieldError {
    /// The translation key of the message for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            FieldError::Required => "errors.field.required",
            FieldError::TooLong { .. } => "errors.field.too_long",
            FieldError::TooShort { .. } => "errors.field.too_short",
            FieldError::InvalidEmail => "errors.field.invalid_email",
            FieldError::InvalidCharacters => "errors.field.invalid_characters",
            FieldError::InvalidDate => "errors.field.invalid_date",
            FieldError::ClosesBeforeOpens => "errors.field.closes_before_opens",
            FieldError::UnknownOption => "errors.field.unknown_option",
            FieldError::Duplicate => "errors.field.duplicate",
            FieldError::DuplicateInFile => "errors.field.duplicate_in_file",
            FieldError::NotAWholeNumber => "errors.field.not_a_whole_number",
            FieldError::TooSmall { .. } => "errors.field.too_small",
        }
    }

    /// The number the message talks about, if any.
    pub fn limit(&self) -> Option<usize> {
        match self {
            FieldError::TooLong { max } => Some(*max),
            FieldError::TooShort { min } | FieldError::TooSmall { min } => Some(*min),
            _ => None,
        }
    }
}

/// An email address, trimmed and lower-cased so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<EmailAddress, FieldError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(FieldError::Required);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::TooLong { max: Self::MAX_LEN });
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(FieldError::InvalidEmail);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(EmailAddress(value))
        } else {
            Err(FieldError::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: trimmed, 1 to 120 characters, no control characters (a newline in a
/// name must never reach an email header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 120;

    pub fn parse(raw: &str) -> Result<PersonName, FieldError> {
        parse_line(raw, Self::MAX_LEN).map(PersonName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short single-line text: trimmed, 1 to `max` characters, no control characters.
pub fn parse_line(raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::Required);
    }
    if value.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::InvalidCharacters);
    }
    Ok(value.to_owned())
}

/// Like [`parse_line`], but blank means `None`.
pub fn parse_optional_line(raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_line(raw, max).map(Some)
    }
}

/// A new password that meets the policy: 10 to 200 characters (length beats composition rules).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<NewPassword, FieldError> {
        let count = raw.chars().count();
        if count == 0 {
            return Err(FieldError::Required);
        }
        if count < Self::MIN_LEN {
            return Err(FieldError::TooShort { min: Self::MIN_LEN });
        }
        if count > Self::MAX_LEN {
            return Err(FieldError::TooLong { max: Self::MAX_LEN });
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Organizer,
    Representative,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "organizer" => Some(Role::Organizer),
            "representative" => Some(Role::Representative),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Organizer => "organizer",
            Role::Representative => "representative",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Ana.Perez@Migracion.GOB.pa ")
                .unwrap()
                .as_str(),
            "ana.perez@migracion.gob.pa"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.pa",
            "ana@x",
            "a b@x.pa",
            "ana@x..pa",
            "ana@-x.pa",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(EmailAddress::parse(""), Err(FieldError::Required));
        let long = format!("{}@x.pa", "a".repeat(300));
        assert_eq!(
            EmailAddress::parse(&long),
            Err(FieldError::TooLong { max: 254 })
        );
        assert!(EmailAddress::parse("ana\r\nBcc: x@y.pa").is_err());
    }

    #[test]
    fn names_refuse_control_characters_and_length() {
        assert_eq!(PersonName::parse(" Ana ").unwrap().as_str(), "Ana");
        assert_eq!(PersonName::parse("  "), Err(FieldError::Required));
        assert_eq!(
            PersonName::parse("Ana\nBcc: x"),
            Err(FieldError::InvalidCharacters)
        );
        assert_eq!(
            PersonName::parse(&"x".repeat(121)),
            Err(FieldError::TooLong { max: 120 })
        );
    }

    #[test]
    fn password_policy_is_length() {
        assert_eq!(NewPassword::parse(""), Err(FieldError::Required));
        assert_eq!(
            NewPassword::parse("short"),
            Err(FieldError::TooShort { min: 10 })
        );
        assert!(NewPassword::parse("correct horse").is_ok());
        assert!(NewPassword::parse(&"x".repeat(201)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("correct horse").unwrap()),
            "NewPassword(..)"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Organizer, Role::Representative] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
