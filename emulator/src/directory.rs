//! Users, groups, passwords and privileges: the state behind the user and group endpoints and
//! `session/info`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::rng::named_guid;

/// Privileges a group can hold (wire-protocol §2.16).
pub(crate) const PRIVILEGES: [&str; 12] = [
    "ADMINISTRATION",
    "DEVELOPER",
    "USERDATAUPLOADING",
    "DATADOWNLOADING",
    "DATAMANAGEMENT",
    "SHAREWITHALL",
    "EXPERIMENTALFEATUREPRIVILEGE",
    "JOBSCHEDULING",
    "RANALYSIS",
    "A3ANALYSIS",
    "BYPASSRLS",
    "SYNCMANAGEMENT",
];

/// The all-users group; every user is in it whether or not it is listed.
pub(crate) const ALL_GROUP: &str = "All";

/// The built-in groups of wire-protocol §2.15; a sync never deletes them.
const BUILTIN_GROUPS: [&str; 4] = [ALL_GROUP, "Administrator", "System", "Analyst"];

/// The account that receives the objects of deleted users.
pub(crate) const ADMIN_USER: &str = "tsadmin";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum PrincipalKind {
    LocalUser,
    LocalGroup,
    SamlUser,
    OidcUser,
    LdapGroup,
}

impl PrincipalKind {
    pub(crate) fn is_user(self) -> bool {
        matches!(
            self,
            PrincipalKind::LocalUser | PrincipalKind::SamlUser | PrincipalKind::OidcUser
        )
    }
}

/// A user or a group.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub guid: String,
    pub kind: PrincipalKind,
    pub mail: Option<String>,
    pub password: Option<String>,
    pub group_names: Vec<String>,
    pub visibility: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Groups only.
    pub privileges: BTreeSet<String>,
    /// Basic login fails for users with MFA.
    pub mfa: bool,
    /// Built-in principals are never deleted by a sync.
    pub builtin: bool,
}

impl Principal {
    fn new(name: &str, display: &str, kind: PrincipalKind, created_ms: i64) -> Self {
        let prefix = if kind.is_user() { "user" } else { "group" };
        Self {
            name: name.into(),
            display_name: display.into(),
            description: String::new(),
            guid: named_guid(&format!("{prefix}/{name}")),
            kind,
            mail: None,
            password: None,
            group_names: Vec::new(),
            visibility: "DEFAULT".into(),
            created_ms,
            modified_ms: created_ms,
            privileges: BTreeSet::new(),
            mfa: false,
            builtin: false,
        }
    }

    /// The principal as `user/list` and the sync response describe it.
    pub(crate) fn to_json(&self, with_activate: bool) -> serde_json::Value {
        let mut v = serde_json::json!({
            "name": self.name,
            "displayName": self.display_name,
            "description": self.description,
            "created": self.created_ms,
            "modified": self.modified_ms,
            "principalTypeEnum": self.kind,
            "groupNames": self.group_names,
            "visibility": self.visibility,
        });
        if self.kind.is_user() && (with_activate || self.mail.is_some()) {
            v["mail"] = self.mail.clone().unwrap_or_default().into();
        }
        if with_activate {
            v["activate"] = false.into();
        }
        v
    }
}

/// Why a basic login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginFailure {
    BadCredentials,
    MfaRequired,
}

/// One entry of a `user/sync` principals file (wire-protocol §2.13). Unknown keys are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncPrincipal {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub principal_type_enum: PrincipalKind,
    #[serde(default)]
    pub group_names: Vec<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// The six-key answer of `user/sync`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncDiff {
    pub users_added: Vec<String>,
    pub users_deleted: Vec<String>,
    pub users_updated: Vec<String>,
    pub groups_added: Vec<String>,
    pub groups_deleted: Vec<String>,
    pub groups_updated: Vec<String>,
}

/// All principals.
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    users: BTreeMap<String, Principal>,
    groups: BTreeMap<String, Principal>,
}

impl Directory {
    /// The built-in principals of wire-protocol §2.15 plus a small team, all with known passwords (see README).
    pub(crate) fn fixture(created_ms: i64) -> Self {
        use PrincipalKind::*;
        let mut d = Self {
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
        };
        // Only the spec's built-in groups are protected from a sync; the team's groups are ordinary
        // principals that `removeDeleted` can delete, like the team's users.
        let group = |name: &str, display: &str, privileges: &[&str], parents: &[&str]| {
            let mut g = Principal::new(name, display, LocalGroup, created_ms);
            g.privileges = privileges.iter().map(|p| p.to_string()).collect();
            g.group_names = parents.iter().map(|p| p.to_string()).collect();
            g.builtin = BUILTIN_GROUPS.contains(&name);
            g
        };
        for g in [
            group(ALL_GROUP, "All Users", &[], &[]),
            group(
                "Administrator",
                "Administrator",
                &[
                    "ADMINISTRATION",
                    "DATADOWNLOADING",
                    "USERDATAUPLOADING",
                    "DATAMANAGEMENT",
                    "SHAREWITHALL",
                    "JOBSCHEDULING",
                    "DEVELOPER",
                ],
                &[],
            ),
            group("System", "System", &["ADMINISTRATION", "BYPASSRLS"], &[]),
            group(
                "Analyst",
                "Analyst",
                &["DATADOWNLOADING", "USERDATAUPLOADING"],
                &[],
            ),
            group(
                "Sales Team",
                "Sales Team",
                &["DATADOWNLOADING"],
                &["Analyst"],
            ),
            group(
                "Data Engineering",
                "Data Engineering",
                &["DATAMANAGEMENT", "JOBSCHEDULING"],
                &[],
            ),
        ] {
            d.groups.insert(g.name.clone(), g);
        }
        let user = |name: &str, display: &str, password: &str, groups: &[&str], builtin: bool| {
            let mut u = Principal::new(name, display, LocalUser, created_ms);
            u.password = Some(password.into());
            u.mail = Some(format!("{name}@example.test"));
            u.group_names = std::iter::once(ALL_GROUP)
                .chain(groups.iter().copied())
                .map(String::from)
                .collect();
            u.builtin = builtin;
            u
        };
        let mut mfa = user("mfa.user", "MFA User", "mfa", &["Analyst"], false);
        mfa.mfa = true;
        for u in [
            user(
                ADMIN_USER,
                "Administrator",
                "admin",
                &["Administrator"],
                true,
            ),
            user(
                "su",
                "Super User",
                "su-not-for-login",
                &["Administrator", "System"],
                true,
            ),
            user(
                "system",
                "System User",
                "system-not-for-login",
                &["System"],
                true,
            ),
            user("alice", "Alice Analyst", "alice", &["Analyst"], false),
            user("bob", "Bob Seller", "bob", &["Sales Team"], false),
            user(
                "carol",
                "Carol Engineer",
                "carol",
                &["Data Engineering"],
                false,
            ),
            mfa,
        ] {
            d.users.insert(u.name.clone(), u);
        }
        d
    }

    pub(crate) fn user(&self, name: &str) -> Option<&Principal> {
        self.users.get(name)
    }

    pub(crate) fn group(&self, name: &str) -> Option<&Principal> {
        self.groups.get(name)
    }

    pub(crate) fn users(&self) -> impl Iterator<Item = &Principal> {
        self.users.values()
    }

    pub(crate) fn groups(&self) -> impl Iterator<Item = &Principal> {
        self.groups.values()
    }

    /// Users then groups, as `user/list` returns them.
    pub(crate) fn principals(&self) -> impl Iterator<Item = &Principal> {
        self.users.values().chain(self.groups.values())
    }

    pub(crate) fn authenticate(
        &self,
        name: &str,
        password: &str,
    ) -> Result<&Principal, LoginFailure> {
        let user = self.users.get(name).ok_or(LoginFailure::BadCredentials)?;
        if user.password.as_deref() != Some(password) {
            return Err(LoginFailure::BadCredentials);
        }
        if user.mfa {
            return Err(LoginFailure::MfaRequired);
        }
        Ok(user)
    }

    /// Every group `user` belongs to, directly or through other groups, `All` included.
    pub(crate) fn groups_of(&self, user: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([ALL_GROUP.to_string()]);
        let mut todo: Vec<String> = self
            .users
            .get(user)
            .map(|u| u.group_names.clone())
            .unwrap_or_default();
        while let Some(g) = todo.pop() {
            if seen.insert(g.clone()) {
                if let Some(group) = self.groups.get(&g) {
                    todo.extend(group.group_names.iter().cloned());
                }
            }
        }
        seen.retain(|g| self.groups.contains_key(g));
        seen
    }

    /// The union of the privileges of the user's groups.
    pub(crate) fn privileges_of(&self, user: &str) -> BTreeSet<String> {
        self.groups_of(user)
            .iter()
            .filter_map(|g| self.groups.get(g))
            .flat_map(|g| g.privileges.iter().cloned())
            .collect()
    }

    pub(crate) fn is_admin(&self, user: &str) -> bool {
        self.privileges_of(user).contains("ADMINISTRATION")
    }

    pub(crate) fn set_password(&mut self, user: &str, password: &str, now_ms: i64) {
        if let Some(u) = self.users.get_mut(user) {
            u.password = Some(password.to_string());
            u.modified_ms = now_ms;
        }
    }

    /// Adds or removes one privilege on each named group; `None` names the first unknown group.
    pub(crate) fn change_privilege(
        &mut self,
        privilege: &str,
        groups: &[String],
        grant: bool,
    ) -> Result<(), String> {
        if let Some(missing) = groups.iter().find(|g| !self.groups.contains_key(*g)) {
            return Err(missing.clone());
        }
        for g in groups {
            if let Some(group) = self.groups.get_mut(g) {
                if grant {
                    group.privileges.insert(privilege.to_string());
                } else {
                    group.privileges.remove(privilege);
                }
            }
        }
        Ok(())
    }

    /// Computes and, with `apply`, performs a sync (wire-protocol §2.13). Returns the diff; `Err` names a problem
    /// with the principals list.
    pub(crate) fn sync(
        &mut self,
        principals: &[SyncPrincipal],
        apply: bool,
        remove_deleted: bool,
        default_password: Option<&str>,
        now_ms: i64,
    ) -> Result<SyncDiff, String> {
        let mut diff = SyncDiff::default();
        let listed_groups: BTreeSet<&str> = principals
            .iter()
            .filter(|p| !p.principal_type_enum.is_user())
            .map(|p| p.name.as_str())
            .collect();
        for p in principals {
            if p.name.trim().is_empty() {
                return Err("a principal has an empty name".into());
            }
            if let Some(g) = p
                .group_names
                .iter()
                .find(|g| !self.groups.contains_key(*g) && !listed_groups.contains(g.as_str()))
            {
                return Err(format!(
                    "principal '{}' is in group '{g}', which neither exists nor is listed",
                    p.name
                ));
            }
        }
        let mut next = self.clone();
        for p in principals {
            let is_user = p.principal_type_enum.is_user();
            let (existing, added, updated) = if is_user {
                (
                    next.users.get_mut(&p.name),
                    &mut diff.users_added,
                    &mut diff.users_updated,
                )
            } else {
                (
                    next.groups.get_mut(&p.name),
                    &mut diff.groups_added,
                    &mut diff.groups_updated,
                )
            };
            match existing {
                None => {
                    let mut created = Principal::new(
                        &p.name,
                        p.display_name.as_deref().unwrap_or(&p.name),
                        p.principal_type_enum,
                        now_ms,
                    );
                    created.description = p.description.clone().unwrap_or_default();
                    created.mail = p.mail.clone().filter(|_| is_user);
                    created.visibility = p.visibility.clone().unwrap_or_else(|| "DEFAULT".into());
                    created.group_names = p.group_names.clone();
                    if is_user {
                        created.password = p
                            .password
                            .clone()
                            .or_else(|| default_password.map(String::from));
                        if !created.group_names.iter().any(|g| g == ALL_GROUP) {
                            created.group_names.insert(0, ALL_GROUP.into());
                        }
                        next.users.insert(p.name.clone(), created);
                    } else {
                        next.groups.insert(p.name.clone(), created);
                    }
                    added.push(p.name.clone());
                }
                Some(current) => {
                    let mut changed = false;
                    let mut set = |field: &mut String, value: &Option<String>| {
                        if let Some(v) = value {
                            if field != v {
                                *field = v.clone();
                                changed = true;
                            }
                        }
                    };
                    set(&mut current.display_name, &p.display_name);
                    set(&mut current.description, &p.description);
                    set(&mut current.visibility, &p.visibility);
                    if is_user && p.mail.is_some() && current.mail != p.mail {
                        current.mail = p.mail.clone();
                        changed = true;
                    }
                    let without_all = |names: &[String]| -> BTreeSet<String> {
                        names.iter().filter(|g| *g != ALL_GROUP).cloned().collect()
                    };
                    if without_all(&current.group_names) != without_all(&p.group_names) {
                        let mut groups = p.group_names.clone();
                        if is_user && !groups.iter().any(|g| g == ALL_GROUP) {
                            groups.insert(0, ALL_GROUP.into());
                        }
                        current.group_names = groups;
                        changed = true;
                    }
                    if changed {
                        current.modified_ms = now_ms;
                        updated.push(p.name.clone());
                    }
                }
            }
        }
        if remove_deleted {
            let listed = |user: bool, name: &str| {
                principals
                    .iter()
                    .any(|p| p.principal_type_enum.is_user() == user && p.name == name)
            };
            diff.users_deleted = next
                .users
                .values()
                .filter(|u| !u.builtin && !listed(true, &u.name))
                .map(|u| u.name.clone())
                .collect();
            diff.groups_deleted = next
                .groups
                .values()
                .filter(|g| !g.builtin && !listed(false, &g.name))
                .map(|g| g.name.clone())
                .collect();
            for name in &diff.users_deleted {
                next.users.remove(name);
            }
            for name in &diff.groups_deleted {
                next.groups.remove(name);
                for p in next.users.values_mut().chain(next.groups.values_mut()) {
                    p.group_names.retain(|g| g != name);
                }
            }
        }
        if apply {
            *self = next;
        }
        Ok(diff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_flow_through_nested_groups() {
        let d = Directory::fixture(0);
        assert!(
            d.privileges_of("bob").contains("USERDATAUPLOADING"),
            "Sales Team is inside Analyst"
        );
        assert!(d.is_admin(ADMIN_USER));
        assert!(!d.is_admin("alice"));
        assert_eq!(
            d.authenticate("mfa.user", "mfa").unwrap_err(),
            LoginFailure::MfaRequired
        );
    }

    #[test]
    fn dry_run_changes_nothing() {
        let mut d = Directory::fixture(0);
        let list: Vec<SyncPrincipal> = serde_json::from_str(
            r#"[{"name":"zed","principalTypeEnum":"LOCAL_USER","groupNames":["Analyst"]}]"#,
        )
        .unwrap();
        let diff = d.sync(&list, false, true, Some("pw"), 1).unwrap();
        assert_eq!(diff.users_added, vec!["zed"]);
        assert!(diff.users_deleted.contains(&"alice".to_string()));
        assert!(d.user("zed").is_none() && d.user("alice").is_some());
        d.sync(&list, true, false, Some("pw"), 1).unwrap();
        assert!(d.authenticate("zed", "pw").is_ok());
    }
}
