//! The database schema, written by hand to match both migration sets.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    instruments (key, version) {
        key -> Text,
        version -> Text,
        title_es -> Text,
        title_en -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        title_es -> Text,
        title_en -> Text,
        instrument_key -> Text,
        instrument_version -> Text,
        opens_on -> Date,
        closes_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        show_national_averages -> Bool,
        time_zone -> Text,
        averages_min_peers -> BigInt,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        acronym -> Text,
        name_key -> Text,
        acronym_key -> Text,
        sector -> Text,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        assessment_id -> Text,
        organization_id -> Text,
        status -> Text,
        first_opened_at -> Nullable<Timestamp>,
        last_activity_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        submitted_by -> Nullable<Text>,
        reopened_at -> Nullable<Timestamp>,
        reopen_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    response_members (response_id, user_id) {
        response_id -> Text,
        user_id -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    response_sections (response_id, section_key) {
        response_id -> Text,
        section_key -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    answers (response_id, item_key) {
        response_id -> Text,
        item_key -> Text,
        value -> Text,
        evidence -> Nullable<Text>,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    mechanisms (id) {
        id -> Text,
        response_id -> Text,
        version -> BigInt,
        name -> Text,
        description -> Nullable<Text>,
        partner_organization_id -> Nullable<Text>,
        partner_name -> Nullable<Text>,
        direction -> Nullable<Text>,
        domains -> Nullable<Text>,
        level -> Nullable<Text>,
        legal_basis -> Nullable<Text>,
        legal_reference -> Nullable<Text>,
        channel -> Nullable<Text>,
        format -> Nullable<Text>,
        frequency -> Nullable<Text>,
        delay_days -> Nullable<BigInt>,
        disaggregations -> Nullable<Text>,
        personal_data -> Nullable<Bool>,
        protection -> Nullable<Text>,
        status -> Nullable<Text>,
        problems -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        response_id -> Text,
        email -> Text,
        name -> Text,
        lang -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        used_by -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient -> Text,
        recipient_name -> Text,
        lang -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        dedupe_key -> Text,
        assessment_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        response_id -> Nullable<Text>,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sending_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    reminder_policies (assessment_id) {
        assessment_id -> Text,
        enabled -> Bool,
        first_after_days -> BigInt,
        every_days -> BigInt,
        max_reminders -> BigInt,
        final_days_before -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reminder_log (response_id, slot) {
        response_id -> Text,
        slot -> Text,
        kind -> Text,
        sent_on -> Date,
        recipients -> BigInt,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    response_scores (response_id) {
        response_id -> Text,
        dimensions -> Text,
        domains -> Text,
        updated_at -> Timestamp,
        progress_required -> BigInt,
        progress_answered -> BigInt,
    }
}

diesel::joinable!(responses -> assessments (assessment_id));
diesel::joinable!(responses -> organizations (organization_id));
diesel::joinable!(response_members -> responses (response_id));
diesel::joinable!(response_members -> users (user_id));
diesel::joinable!(answers -> responses (response_id));
diesel::joinable!(response_scores -> responses (response_id));
diesel::joinable!(mechanisms -> responses (response_id));
diesel::joinable!(invitations -> responses (response_id));
diesel::joinable!(reminder_log -> responses (response_id));
diesel::joinable!(password_resets -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    instruments,
    assessments,
    organizations,
    responses,
    response_members,
    response_sections,
    answers,
    mechanisms,
    invitations,
    outbox,
    reminder_policies,
    reminder_log,
    password_resets,
    response_scores,
);

diesel::table! {
    throttle_events (id) {
        id -> Text,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_email -> Text,
        action -> Text,
        object_type -> Nullable<Text>,
        object_id -> Nullable<Text>,
        assessment_id -> Nullable<Text>,
        details -> Text,
        client_address -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Text,
        address -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(sessions, users);
