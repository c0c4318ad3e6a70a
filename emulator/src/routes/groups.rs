//! `group/addprivilege` and `group/removeprivilege` (wire-protocol §2.16).

use axum::extract::{Request, State};
use axum::http::StatusCode;

use super::users::check_multipart;
use super::{empty, json, Access, AppState, Reply};
use crate::directory::{ALL_GROUP, PRIVILEGES};
use crate::error::V1Error;
use crate::params::{parse_list, Params};
use crate::profile::PrivilegeResponse;
use crate::Endpoint;

async fn change(state: AppState, request: Request, grant: bool) -> Reply {
    let endpoint = if grant {
        Endpoint::AddPrivilege
    } else {
        Endpoint::RemovePrivilege
    };
    let (parts, body) = request.into_parts();
    let ctx = state.gate(endpoint, &parts, Access::Session).await?;
    let params = Params::read(&parts, body).await?;
    state.require_admin(&ctx)?;
    check_multipart(&state, &params)?;
    let privilege = params
        .get("privilege")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    if !PRIVILEGES.contains(&privilege.as_str()) {
        return Err(V1Error::bad_request(format!(
            "Invalid parameter value for privilege: '{privilege}' (one of {})",
            PRIVILEGES.join(", ")
        ))
        .into());
    }
    // Old docs name the all-users group ALL_GROUP.
    let groups: Vec<String> = params
        .get("groupNames")
        .map(parse_list)
        .unwrap_or_default()
        .into_iter()
        .map(|g| {
            if g == "ALL_GROUP" {
                ALL_GROUP.to_string()
            } else {
                g
            }
        })
        .collect();
    if groups.is_empty() {
        return Err(V1Error::bad_request("Missing required parameter: groupNames").into());
    }
    let mut directory = state.directory();
    directory
        .change_privilege(&privilege, &groups, grant)
        .map_err(|g| {
            V1Error::bad_request(format!(
                "Invalid parameter value for groupNames: no group '{g}'"
            ))
        })?;
    let caller = directory
        .user(ctx.user())
        .map(|u| (u.name.clone(), u.guid.clone()));
    state.audit.record(
        state.now_ms(),
        "GROUP_PRIVILEGE_UPDATE",
        if grant {
            "Group privilege added"
        } else {
            "Group privilege removed"
        },
        caller
            .as_ref()
            .map(|(name, guid)| (name.as_str(), guid.as_str())),
        serde_json::json!({"groupNames": groups, "privilege": privilege}),
    );
    let response = match (grant, state.profile.privilege_response) {
        (true, PrivilegeResponse::Group) => {
            let group = directory.group(&groups[0]).map(|g| {
                let mut v = g.to_json(false);
                v["id"] = g.guid.clone().into();
                v["privileges"] = g.privileges.iter().cloned().collect::<Vec<_>>().into();
                v
            });
            json(StatusCode::OK, &group.unwrap_or_default())
        }
        _ => empty(204),
    };
    Ok(ctx.finish(response))
}

pub(super) async fn add_privilege(State(state): State<AppState>, request: Request) -> Reply {
    change(state, request, true).await
}

pub(super) async fn remove_privilege(State(state): State<AppState>, request: Request) -> Reply {
    change(state, request, false).await
}
