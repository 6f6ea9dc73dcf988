//! The tables, written once for both engines. Only portable SQL types appear here; a test loads
//! every table and column on SQLite and on PostgreSQL so the two migration folders cannot drift.

diesel::table! {
    community (id) {
        id -> Text,
        name -> Text,
        street -> Text,
        community_type -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    app_user (id) {
        id -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        community_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        status -> Text,
        status_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_token (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttle (throttle_key) {
        throttle_key -> Text,
        events -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_event (id) {
        id -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(app_user -> community (community_id));
diesel::joinable!(refresh_token -> app_user (user_id));

diesel::table! {
    organisation (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        description -> Text,
        community_id -> Nullable<Text>,
        contact -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_member (organisation_id, user_id) {
        organisation_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account (id) {
        id -> Text,
        kind -> Text,
        owner_id -> Nullable<Text>,
        balance -> BigInt,
        may_go_negative -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    transfer (id) {
        id -> Text,
        debit_account_id -> Text,
        credit_account_id -> Text,
        amount -> BigInt,
        code -> Text,
        actor_id -> Nullable<Text>,
        reason -> Text,
        cause_kind -> Nullable<Text>,
        cause_id -> Nullable<Text>,
        rule -> Nullable<Text>,
        reverses_id -> Nullable<Text>,
        idempotency_key -> Text,
        request_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(organisation -> community (community_id));
diesel::joinable!(organisation_member -> organisation (organisation_id));
diesel::joinable!(organisation_member -> app_user (user_id));

diesel::table! {
    category (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        name_zh -> Text,
        name_en -> Text,
        position -> Integer,
    }
}

diesel::table! {
    product (id) {
        id -> Text,
        organisation_id -> Text,
        category_id -> Text,
        title -> Text,
        summary -> Text,
        description -> Text,
        price_tier -> Text,
        price_fen -> Nullable<BigInt>,
        market_price_fen -> Nullable<BigInt>,
        price_points -> Nullable<BigInt>,
        status -> Text,
        status_reason -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    product_community (product_id, community_id) {
        product_id -> Text,
        community_id -> Text,
    }
}

diesel::joinable!(product -> organisation (organisation_id));
diesel::joinable!(product -> category (category_id));
diesel::joinable!(product_community -> product (product_id));
diesel::joinable!(product_community -> community (community_id));

diesel::table! {
    activity (id) {
        id -> Text,
        organisation_id -> Text,
        category_id -> Text,
        community_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        place -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        capacity -> Integer,
        seats_taken -> Integer,
        points_per_hour -> BigInt,
        points_cap -> BigInt,
        status -> Text,
        code_secret -> Text,
        created_at -> Timestamp,
        group_id -> Nullable<Text>,
        rate_approved_by -> Nullable<Text>,
    }
}

diesel::table! {
    participation (id) {
        id -> Text,
        activity_id -> Text,
        user_id -> Text,
        status -> Text,
        manual -> Bool,
        recorded_by -> Nullable<Text>,
        checked_in_at -> Nullable<Timestamp>,
        checked_out_at -> Nullable<Timestamp>,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        verified_minutes -> Nullable<Integer>,
        points_awarded -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        refused_codes -> Integer,
        code_locked_at -> Nullable<Timestamp>,
        hours_revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    daily_points (user_id, day) {
        user_id -> Text,
        day -> Text,
        points -> BigInt,
    }
}

diesel::joinable!(activity -> organisation (organisation_id));
diesel::joinable!(activity -> category (category_id));
diesel::joinable!(participation -> activity (activity_id));
diesel::joinable!(participation -> app_user (user_id));

diesel::table! {
    merchant (id) {
        id -> Text,
        organisation_id -> Text,
        shop_name -> Text,
        community_id -> Nullable<Text>,
        address -> Text,
        category_id -> Text,
        opening_hours -> Text,
        status -> Text,
        created_at -> Timestamp,
        status_reason -> Nullable<Text>,
    }
}

diesel::table! {
    reward (id) {
        id -> Text,
        merchant_id -> Text,
        title -> Text,
        description -> Text,
        points_price -> BigInt,
        stock -> Nullable<Integer>,
        limit_per_period -> Nullable<Integer>,
        period_days -> Integer,
        valid_from -> Timestamp,
        valid_until -> Nullable<Timestamp>,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    redemption (id) {
        id -> Text,
        reward_id -> Text,
        merchant_id -> Text,
        user_id -> Text,
        points -> BigInt,
        code -> Text,
        status -> Text,
        expires_at -> Timestamp,
        idempotency_key -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        finished_by -> Nullable<Text>,
        settlement_id -> Nullable<Text>,
    }
}

diesel::table! {
    settlement (id) {
        id -> Text,
        merchant_id -> Text,
        month -> Text,
        points -> BigInt,
        lines -> Integer,
        point_value_fen -> BigInt,
        amount_fen -> BigInt,
        rule -> Text,
        status -> Text,
        closed_by -> Text,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        paid_reference -> Nullable<Text>,
        paid_by -> Nullable<Text>,
        paid_at -> Nullable<Timestamp>,
        transfer_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(settlement -> merchant (merchant_id));

diesel::joinable!(reward -> merchant (merchant_id));
diesel::joinable!(redemption -> reward (reward_id));

diesel::table! {
    outbox_message (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        recipient -> Text,
        template -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_token (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        email -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_verification (user_id) {
        user_id -> Text,
        email -> Text,
        verified_at -> Timestamp,
    }
}

diesel::table! {
    notification_opt_out (user_id, template) {
        user_id -> Text,
        template -> Text,
    }
}

diesel::table! {
    community_group (id) {
        id -> Text,
        name -> Text,
        purpose -> Text,
        community_id -> Text,
        category_id -> Text,
        stage -> Text,
        mentor_organisation_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_member (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        role -> Text,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_event (id) {
        id -> Text,
        group_id -> Text,
        kind -> Text,
        from_stage -> Nullable<Text>,
        to_stage -> Nullable<Text>,
        note -> Text,
        actor_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    need (id) {
        id -> Text,
        community_id -> Text,
        category_id -> Text,
        title -> Text,
        description -> Text,
        urgency -> Text,
        wanted_by -> Timestamp,
        status -> Text,
        posted_by -> Text,
        group_id -> Nullable<Text>,
        outcome -> Nullable<Text>,
        residents_served -> Nullable<Integer>,
        created_at -> Timestamp,
        sla_due_at -> Timestamp,
        escalated_to -> Nullable<Text>,
        escalated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    match_case (id) {
        id -> Text,
        need_id -> Text,
        candidate_kind -> Text,
        candidate_id -> Text,
        score -> Integer,
        reasons -> Text,
        status -> Text,
        proposed_by -> Text,
        responded_by -> Nullable<Text>,
        created_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        delivered_by -> Nullable<Text>,
    }
}

diesel::joinable!(group_member -> community_group (group_id));
diesel::joinable!(match_case -> need (need_id));

diesel::table! {
    approval_request (id) {
        id -> Text,
        kind -> Text,
        requested_by -> Text,
        account_id -> Nullable<Text>,
        transfer_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        change -> BigInt,
        reason -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        transfer_made_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    request_budget (client_key) {
        client_key -> Text,
        level -> BigInt,
        updated_ms -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    community,
    app_user,
    organisation,
    organisation_member,
    account,
    transfer,
    audit_event,
    category,
    product,
    product_community,
    activity,
    participation,
    daily_points,
    merchant,
    reward,
    redemption,
    settlement,
    outbox_message,
    email_token,
    email_verification,
    notification_opt_out,
    community_group,
    group_member,
    group_event,
    need,
    match_case,
    throttle,
    approval_request,
    request_budget,
    point_lot,
    lot_entry,
    lot_reminder,
    booking_terms,
    booking_day,
    booking,
    certificate,
    certificate_participation,
    review_case,
    review_cursor,
    client_sighting,
    catalogue_version
);

diesel::table! {
    creation (idempotency_key) {
        idempotency_key -> Text,
        request_hash -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    point_lot (id) {
        id -> Text,
        account_id -> Text,
        earned_year -> Integer,
        carried_in -> BigInt,
        remaining -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lot_entry (transfer_id, lot_id) {
        transfer_id -> Text,
        lot_id -> Text,
        change -> BigInt,
    }
}

diesel::table! {
    lot_reminder (lot_id, days_before) {
        lot_id -> Text,
        days_before -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    point_lot_start (last_transfer_id) {
        last_transfer_id -> Text,
    }
}

diesel::joinable!(point_lot -> account (account_id));
diesel::joinable!(lot_entry -> point_lot (lot_id));
diesel::joinable!(lot_entry -> transfer (transfer_id));
diesel::joinable!(lot_reminder -> point_lot (lot_id));

diesel::table! {
    booking_terms (product_id) {
        product_id -> Text,
        seats_per_day -> Nullable<Integer>,
        per_resident_per_day -> Integer,
        days_ahead -> Integer,
        open -> Bool,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    booking_day (product_id, day) {
        product_id -> Text,
        day -> Text,
        taken -> Integer,
    }
}

diesel::table! {
    booking (id) {
        id -> Text,
        product_id -> Text,
        organisation_id -> Text,
        user_id -> Text,
        day -> Text,
        status -> Text,
        price_tier -> Text,
        price_fen -> Nullable<BigInt>,
        points -> BigInt,
        note -> Text,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        idempotency_key -> Text,
        request_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(booking_terms -> product (product_id));
diesel::joinable!(booking -> product (product_id));

diesel::table! {
    certificate (id) {
        id -> Text,
        number -> Text,
        user_id -> Text,
        fingerprint -> Text,
        document -> Text,
        key_id -> Text,
        total_minutes -> BigInt,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revocation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    certificate_participation (certificate_id, participation_id) {
        certificate_id -> Text,
        participation_id -> Text,
    }
}

diesel::joinable!(certificate_participation -> certificate (certificate_id));
diesel::joinable!(certificate_participation -> participation (participation_id));

diesel::table! {
    review_case (id) {
        id -> Text,
        rule -> Text,
        finding -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        explanation -> Text,
        evidence -> Text,
        status -> Text,
        opened_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision -> Nullable<Text>,
        transfers -> Text,
        users -> Text,
    }
}

diesel::table! {
    review_cursor (rule) {
        rule -> Text,
        position -> Text,
        ran_at -> Timestamp,
    }
}

diesel::table! {
    client_sighting (address, day, user_id) {
        address -> Text,
        day -> Text,
        user_id -> Text,
        seen_at -> Timestamp,
    }
}

diesel::joinable!(client_sighting -> app_user (user_id));

diesel::table! {
    catalogue_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}
