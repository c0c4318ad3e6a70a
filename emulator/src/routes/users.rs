//! `user/*`: list, sync, password and ownership (wire-protocol §2.12–§2.15).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::{empty, json, Access, AppState, Ctx, Reply};
use crate::directory::{SyncPrincipal, ADMIN_USER};
use crate::error::V1Error;
use crate::params::{parse_bool, parse_list, BodyKind, Params};
use crate::profile::OwnershipParam;
use crate::{Endpoint, State as EmulatorState};

/// 415 for anything but multipart where the profile requires it (2022+ docs).
pub(super) fn check_multipart(state: &EmulatorState, params: &Params) -> Result<(), V1Error> {
    if state.profile.require_multipart && params.body_kind != BodyKind::Multipart {
        return Err(V1Error::unsupported_media_type(
            "Invalid content type: send multipart/form-data",
        ));
    }
    Ok(())
}

pub(super) async fn list(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::UserList, &parts, Access::Session)
        .await?;
    Params::read(&parts, body).await?;
    state.require_admin(&ctx)?;
    let body: Vec<Value> = state
        .directory()
        .principals()
        .map(|p| p.to_json(state.profile.user_list_activate))
        .collect();
    Ok(ctx.finish(json(StatusCode::OK, &Value::Array(body))))
}

pub(super) async fn sync(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::UserSync, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    state.require_admin(&ctx)?;
    check_multipart(&state, &params)?;
    let Some(file) = params.file_or_field("principals") else {
        return Err(V1Error::internal("Invalid request: the principals part is missing").into());
    };
    let principals: Vec<SyncPrincipal> = serde_json::from_slice(&file).map_err(|e| {
        V1Error::internal(format!(
            "Invalid request: principals is not a JSON array of principals: {e}"
        ))
    })?;
    let apply = parse_bool("applyChanges", params.get("applyChanges"), false)?;
    // The server's own default deletes principals missing from the list (wire-protocol §2.13).
    let remove_deleted = parse_bool("removeDeleted", params.get("removeDeleted"), true)?;
    let password = params.get("password").filter(|p| !p.is_empty());
    let now = state.now_ms();
    let diff = state
        .directory()
        .sync(&principals, apply, remove_deleted, password, now)
        .map_err(|e| V1Error::internal(format!("Invalid request: {e}")))?;
    if apply {
        // Deleted users' content goes to the admin account; their sessions end.
        let mut catalog = state.catalog();
        let mut sessions = state.sessions();
        for user in &diff.users_deleted {
            catalog.transfer(user, ADMIN_USER, None, now);
            sessions.forget_user(user);
        }
    }
    let body = serde_json::to_value(&diff).map_err(|e| V1Error::internal(e.to_string()))?;
    if apply {
        state.audit(
            "USER_SYNC",
            "Users and groups synchronized",
            Some(ctx.user()),
            body.clone(),
        );
    }
    Ok(ctx.finish(json(StatusCode::OK, &body)))
}

pub(super) async fn update_password(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::UpdatePassword, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    super::expect_form(&params)?;
    let name = params
        .get("name")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| V1Error::bad_request("Missing required parameter: name"))?;
    let current = params.get("currentpassword").unwrap_or_default();
    let new = params
        .get("password")
        .or_else(|| {
            params
                .get("newpassword")
                .filter(|_| state.profile.accept_newpassword)
        })
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            V1Error::bad_request("Missing required parameter: password (the new password)")
        })?;
    let changed = change_password(&state, &ctx, name, current, new);
    let (kind, description) = match changed {
        Ok(()) => ("UPDATE_PASSWORD_SUCCESS", "Password updated"),
        Err(_) => ("UPDATE_PASSWORD_FAILURE", "Password update failed"),
    };
    state.audit(
        kind,
        description,
        Some(ctx.user()),
        serde_json::json!({"userName": name}),
    );
    changed?;
    Ok(ctx.finish(empty(204)))
}

fn change_password(
    state: &EmulatorState,
    ctx: &Ctx,
    name: &str,
    current: &str,
    new: &str,
) -> Result<(), V1Error> {
    let mut directory = state.directory();
    let caller = ctx.user();
    if name != caller && !directory.is_admin(caller) {
        return Err(V1Error::forbidden(format!(
            "User {caller} may not change the password of {name}"
        )));
    }
    // `currentpassword` is the logged-in user's own password, also when an admin changes someone else's.
    if directory.user(caller).and_then(|u| u.password.as_deref()) != Some(current) {
        return Err(V1Error::bad_request("Invalid parameter value for currentpassword: it is not the current password of the logged-in user"));
    }
    let target = directory.user(name).ok_or_else(|| {
        V1Error::bad_request(format!("No user found with the given username: {name}"))
    })?;
    if target.password.as_deref() == Some(new) {
        return Err(V1Error::internal(
            "New password cannot be the same as current password",
        ));
    }
    directory.set_password(name, new, state.now_ms());
    Ok(())
}

pub(super) async fn transfer_ownership(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::TransferOwnership, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    state.require_admin(&ctx)?;
    let from = params.query("fromUserName").unwrap_or_default();
    let to = params.query("toUserName").unwrap_or_default();
    let list = |name: &str| params.query(name).map(parse_list).unwrap_or_default();
    let ids: Vec<String> = match state.profile.ownership_param {
        OwnershipParam::ObjectsId => list("objectsID"),
        OwnershipParam::Objectid => list("objectid"),
        OwnershipParam::Both => {
            let mut ids = list("objectsID");
            for id in list("objectid") {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids
        }
    };
    {
        let directory = state.directory();
        for (role, user) in [("fromUserName", from), ("toUserName", to)] {
            if directory.user(user).is_none() {
                return Err(V1Error::bad_request(format!(
                    "Invalid parameter value for {role}: no user '{user}'"
                ))
                .into());
            }
            if state
                .profile
                .ownership_protected_users
                .iter()
                .any(|p| p == user)
            {
                return Err(V1Error::bad_request(format!(
                    "Invalid parameter value for {role}: ownership cannot move to or from '{user}'"
                ))
                .into());
            }
        }
    }
    let mut catalog = state.catalog();
    if let Some(missing) = ids.iter().find(|id| catalog.object(id).is_none()) {
        return Err(V1Error::bad_request(format!(
            "Invalid parameter value for objectsID: no object {missing}"
        ))
        .into());
    }
    let only = (!ids.is_empty()).then_some(ids.as_slice());
    catalog.transfer(from, to, only, state.now_ms());
    drop(catalog);
    state.audit(
        "OWNERSHIP_TRANSFER",
        "Object ownership transferred",
        Some(ctx.user()),
        serde_json::json!({"fromUserName": from, "toUserName": to, "objectIds": ids}),
    );
    Ok(ctx.finish(empty(204)))
}
