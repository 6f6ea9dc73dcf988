//! The server's log: a request's work logs under the request's id, the part of it that runs on
//! the blocking pool (the domain's transactions, their retries and rollbacks) included.

use serde_json::json;

use crate::support::directory::SUSPEND_ORGANISATION;
use crate::support::{TestApp, both_engines, global_raw_id, server_log, user_error};

both_engines!(a_refused_write_logs_its_rollback_under_the_request_id);

/// Suspending an organisation staff never verified is refused inside the transaction; the
/// rollback's line names the use case, the organisation and the request.
async fn a_refused_write_logs_its_rollback_under_the_request_id(app: &TestApp) {
    let log = server_log();
    let owner = app.new_resident().await;
    let organisation = app.register_organisation(&owner, "双桥子邻里互助会").await;
    let suspension = json!({ "input": { "organisationId": organisation, "reason": "资质过期" } });

    let refused = app
        .ok(SUSPEND_ORGANISATION, suspension, Some(&app.staff().await))
        .await;

    assert_eq!(user_error(&refused, "suspendOrganisation"), "INVALID_STATE");
    let organisation = global_raw_id(&organisation);
    let lines = log.lines();
    let rollback = lines
        .iter()
        .find(|line| line.contains("write rolled back") && line.contains(&organisation))
        .unwrap_or_else(|| panic!("no rollback logged for {organisation}"));
    assert!(rollback.contains("HTTP request{"), "{rollback}");
    assert!(rollback.contains("request_id="), "{rollback}");
    assert!(
        rollback.contains(&format!(
            "suspend_organisation{{organisation={organisation}}}"
        )),
        "{rollback}"
    );
}
