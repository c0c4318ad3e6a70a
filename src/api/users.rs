//! `user/*`: listing and syncing principals, passwords and ownership (wire-protocol §2.12–§2.15).
//!
//! Everything here but `user/list` changes the cluster, so it is sent once and never retried: a write
//! that timed out may still have happened, and sending it again could, for example, apply a sync twice
//! over a directory that changed in between.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::transport::{Body, Call};
use super::wire::{epoch_ms, flag, json_list, wire_enum};
use super::{Client, Error, Secret};

wire_enum! {
    /// What kind of principal an entry is (wire-protocol §2.13). Newer clusters add kinds, hence `Other`.
    open enum PrincipalType {
        /// A user defined in ThoughtSpot itself.
        LocalUser = "LOCAL_USER",
        /// A group defined in ThoughtSpot itself.
        LocalGroup = "LOCAL_GROUP",
        /// A user that signs in through SAML.
        SamlUser = "SAML_USER",
        /// A user that signs in through OpenID Connect.
        OidcUser = "OIDC_USER",
        /// A group synchronized from LDAP.
        LdapGroup = "LDAP_GROUP",
    }
}

impl PrincipalType {
    /// A user of any origin: only users have a mail address and a password.
    pub fn is_user(&self) -> bool {
        matches!(
            self,
            PrincipalType::LocalUser | PrincipalType::SamlUser | PrincipalType::OidcUser
        ) || matches!(self, PrincipalType::Other(kind) if kind.ends_with("_USER"))
    }
}

wire_enum! {
    /// Whether others can share with the principal (wire-protocol §2.13; `NON_SHARABLE` is the real spelling).
    open enum Visibility {
        /// Others can share objects with the principal.
        Default = "DEFAULT",
        /// Others cannot share objects with the principal.
        NonSharable = "NON_SHARABLE",
    }
}

/// A user or group as `user/list` returns it and `user/sync` takes it (wire-protocol §2.13, §2.15). There is no
/// GUID: those come from `list_object_headers(ObjectType::User, ..)`. Unknown keys (`activate`, ...)
/// are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// Unique per kind: a user and a group may share a name.
    pub name: String,
    /// The name users see (`displayName`); empty when the server sends none.
    #[serde(default)]
    pub display_name: String,
    /// Free-text description; `None` when it has none, and then not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch milliseconds; blank for principals not created yet. Ignored by sync.
    #[serde(default, deserialize_with = "epoch_ms", skip_serializing)]
    pub created: Option<i64>,
    /// Epoch milliseconds. Ignored by sync.
    #[serde(default, deserialize_with = "epoch_ms", skip_serializing)]
    pub modified: Option<i64>,
    /// What kind of user or group it is (`principalTypeEnum`).
    #[serde(rename = "principalTypeEnum")]
    pub principal_type: PrincipalType,
    /// Direct groups; the all-users group `All` may be left out.
    #[serde(default)]
    pub group_names: Vec<String>,
    /// Whether others can share with it; `None` when not given, and then not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Users only; clusters send `""` for users without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

impl Principal {
    /// A local user, e.g. for a sync list.
    pub fn user(name: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self::new(name.into(), display_name.into(), PrincipalType::LocalUser)
    }

    /// A local group, e.g. for a sync list.
    pub fn group(name: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self::new(name.into(), display_name.into(), PrincipalType::LocalGroup)
    }

    fn new(name: String, display_name: String, principal_type: PrincipalType) -> Self {
        Self {
            name,
            display_name,
            description: None,
            created: None,
            modified: None,
            principal_type,
            group_names: Vec::new(),
            visibility: None,
            mail: None,
        }
    }

    /// Sets the direct groups, by name.
    pub fn in_groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.group_names = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the e-mail address (users only).
    pub fn mail(mut self, mail: impl Into<String>) -> Self {
        self.mail = Some(mail.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Whether this is a user of any origin, not a group.
    pub fn is_user(&self) -> bool {
        self.principal_type.is_user()
    }
}

/// How [`Client::sync_users`] runs. `Default` is the safe choice: a dry run that would delete nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// Change the cluster; `false` only computes the diff.
    pub apply: bool,
    /// Delete principals missing from the list (their content goes to the admin account). Always sent,
    /// because the server's own default is `true` (wire-protocol §2.13, §6).
    pub remove_deleted: bool,
    /// Password for users the sync creates.
    pub password: Option<Secret>,
}

/// What a sync did, or would do in a dry run: names per change (wire-protocol §2.13).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncDiff {
    /// Names of the users created (`usersAdded`).
    #[serde(default)]
    pub users_added: Vec<String>,
    /// Names of the users deleted (`usersDeleted`); empty unless `remove_deleted`.
    #[serde(default)]
    pub users_deleted: Vec<String>,
    /// Names of the users changed (`usersUpdated`).
    #[serde(default)]
    pub users_updated: Vec<String>,
    /// Names of the groups created (`groupsAdded`).
    #[serde(default)]
    pub groups_added: Vec<String>,
    /// Names of the groups deleted (`groupsDeleted`); empty unless `remove_deleted`.
    #[serde(default)]
    pub groups_deleted: Vec<String>,
    /// Names of the groups changed (`groupsUpdated`).
    #[serde(default)]
    pub groups_updated: Vec<String>,
}

impl SyncDiff {
    /// Whether the sync changes nothing.
    pub fn is_empty(&self) -> bool {
        [
            &self.users_added,
            &self.users_deleted,
            &self.users_updated,
            &self.groups_added,
            &self.groups_deleted,
            &self.groups_updated,
        ]
        .iter()
        .all(|names| names.is_empty())
    }
}

impl Client {
    /// `GET user/list`: every user and group. Needs the ADMINISTRATION privilege (else 403).
    pub async fn list_users(&self) -> Result<Vec<Principal>, Error> {
        self.inner
            .send_for_json(&Call::read(Method::GET, "user/list"))
            .await
    }

    /// `POST user/sync`: makes the cluster's principals match `principals`, the full list from an
    /// external directory: missing ones are created, listed ones updated (group membership included) and,
    /// with `remove_deleted`, unlisted ones deleted. Returns the diff; with `apply: false` nothing
    /// changes. Needs ADMINISTRATION. Sent once, never retried.
    pub async fn sync_users(
        &self,
        principals: &[Principal],
        options: &SyncOptions,
    ) -> Result<SyncDiff, Error> {
        let file = serde_json::to_vec(principals)
            .map_err(|e| Error::Config(format!("the principals cannot be written as JSON: {e}")))?;
        let mut fields = vec![
            ("applyChanges", flag(options.apply).to_string()),
            ("removeDeleted", flag(options.remove_deleted).to_string()),
        ];
        if let Some(password) = &options.password {
            fields.push(("password", password.expose().to_string()));
        }
        let build = move || {
            let principals = Part::bytes(file.clone())
                .file_name("principals.json")
                .mime_str("application/json")
                .expect("application/json is a valid MIME type");
            let form = Form::new().part("principals", principals);
            fields
                .iter()
                .fold(form, |form, (name, value)| form.text(*name, value.clone()))
        };
        let call = Call {
            body: Body::Multipart(Box::new(build)),
            // An error echoing the form must not show the new users' password.
            secrets: options.password.iter().cloned().collect(),
            ..Call::write(Method::POST, "user/sync")
        };
        self.inner.send_for_json(&call).await
    }

    /// `POST user/updatepassword`: sets `new` as the password of user `name`. `current` is the password
    /// of the *signed-in* user, also when an administrator changes someone else's. Changing the
    /// signed-in user's own password leaves this client's credentials stale for the next sign-in.
    pub async fn update_password(
        &self,
        name: &str,
        current: &Secret,
        new: &Secret,
    ) -> Result<(), Error> {
        let call = Call::write(Method::POST, "user/updatepassword").form(vec![
            ("name".into(), name.to_string()),
            ("currentpassword".into(), current.expose().to_string()),
            ("password".into(), new.expose().to_string()),
        ]);
        self.inner.send_for_bytes(&call).await.map(drop)
    }

    /// `POST user/transfer/ownership`: makes `to` the owner of `objects` (GUIDs) owned by `from`, or of
    /// all of `from`'s objects when `objects` is empty. Ownership cannot move to or from the built-in
    /// system and admin users (400). Needs ADMINISTRATION.
    pub async fn transfer_ownership(
        &self,
        from: &str,
        to: &str,
        objects: &[String],
    ) -> Result<(), Error> {
        let mut call = Call::write(Method::POST, "user/transfer/ownership")
            .query("fromUserName", from)
            .query("toUserName", to);
        if !objects.is_empty() {
            call = call.query("objectsID", json_list(objects));
        }
        self.inner.send_for_bytes(&call).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_read_every_variant_and_write_only_what_sync_needs() {
        let list: Vec<Principal> = serde_json::from_str(
            r#"[{"name":"jdoe","displayName":"Jo Doe","created":1612345000000,"modified":1.612345999e12,"mail":"",
                 "principalTypeEnum":"LOCAL_USER","groupNames":["All"],"visibility":"DEFAULT","activate":false},
                {"principalTypeEnum":"LDAP_GROUP","name":"Ops","created":"","visibility":"NON_SHARABLE"},
                {"principalTypeEnum":"JWT_USER","name":"new"}]"#,
        )
        .unwrap();
        assert_eq!(
            (list[0].created, list[0].modified),
            (Some(1_612_345_000_000), Some(1_612_345_999_000))
        );
        assert_eq!(list[1].visibility, Some(Visibility::NonSharable));
        assert_eq!((list[1].created, list[1].display_name.as_str()), (None, ""));
        assert!(list[0].is_user() && !list[1].is_user() && list[2].is_user());

        let written =
            serde_json::to_value(Principal::user("zed", "Zed").in_groups(["Analyst"])).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"name":"zed","displayName":"Zed","principalTypeEnum":"LOCAL_USER","groupNames":["Analyst"]})
        );
    }

    #[test]
    fn sync_options_hide_the_password() {
        let options = SyncOptions {
            password: Some(Secret::new("hunter2")),
            ..SyncOptions::default()
        };
        assert!(!format!("{options:?}").contains("hunter2"));
        assert!(SyncDiff::default().is_empty());
    }
}
