//! `group/addprivilege` and `group/removeprivilege` (wire-protocol §2.16).
//!
//! Both are writes, sent once. Clusters disagree on the success answer (older ones send 204 without a
//! body, newer ones 200 with the updated group), so any 2xx counts and a body, if any, is ignored.

use reqwest::multipart::Form;
use reqwest::Method;

use super::transport::{Body, Call};
use super::wire::{json_list, wire_enum};
use super::{Client, Error};

wire_enum! {
    /// A privilege a group can hold; users get the union of their groups' privileges.
    closed enum Privilege {
        /// Full administration of the cluster: users, groups, privileges and all objects.
        Administration = "ADMINISTRATION",
        /// Use ThoughtSpot's developer tools (the Develop tab).
        Developer = "DEVELOPER",
        /// Upload data files (CSV, XLS) as new tables.
        UserDataUploading = "USERDATAUPLOADING",
        /// Download data from searches, Answers and Liveboards.
        DataDownloading = "DATADOWNLOADING",
        /// Create and manage data sources, tables and worksheets.
        DataManagement = "DATAMANAGEMENT",
        /// Share objects with the all-users group (`All`).
        ShareWithAll = "SHAREWITHALL",
        /// Use features ThoughtSpot marks as experimental.
        ExperimentalFeaturePrivilege = "EXPERIMENTALFEATUREPRIVILEGE",
        /// Schedule Liveboard jobs.
        JobScheduling = "JOBSCHEDULING",
        /// Run custom R scripts in searches.
        RAnalysis = "RANALYSIS",
        /// Run SpotIQ (A3) analyses.
        A3Analysis = "A3ANALYSIS",
        /// Bypass row-level security.
        BypassRls = "BYPASSRLS",
        /// Listed in only one version of the docs.
        SyncManagement = "SYNCMANAGEMENT",
    }
}

impl Client {
    /// `POST group/addprivilege`: grants `privilege` to each group in `groups` (group *names*; the
    /// all-users group is `All`). Needs ADMINISTRATION.
    pub async fn add_privilege<S: AsRef<str>>(
        &self,
        privilege: Privilege,
        groups: &[S],
    ) -> Result<(), Error> {
        self.change_privilege("group/addprivilege", privilege, groups)
            .await
    }

    /// `POST group/removeprivilege`: takes `privilege` away from each group in `groups`. Users keep it
    /// if another of their groups grants it.
    pub async fn remove_privilege<S: AsRef<str>>(
        &self,
        privilege: Privilege,
        groups: &[S],
    ) -> Result<(), Error> {
        self.change_privilege("group/removeprivilege", privilege, groups)
            .await
    }

    /// Multipart, which every cluster accepts and 2022+ clusters require (415 otherwise).
    async fn change_privilege<S: AsRef<str>>(
        &self,
        endpoint: &'static str,
        privilege: Privilege,
        groups: &[S],
    ) -> Result<(), Error> {
        let groups = json_list(groups);
        let build = move || {
            Form::new()
                .text("privilege", privilege.as_str())
                .text("groupNames", groups.clone())
        };
        let call = Call {
            body: Body::Multipart(Box::new(build)),
            ..Call::write(Method::POST, endpoint)
        };
        self.inner.send_for_bytes(&call).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_parse_and_print_as_the_wire_names() {
        assert_eq!(Privilege::ALL.len(), 12);
        assert!(Privilege::ALL
            .iter()
            .all(|p| p.to_string().parse::<Privilege>() == Ok(*p)));
        assert_eq!(
            "jobscheduling".parse::<Privilege>(),
            Ok(Privilege::JobScheduling)
        );
        assert_eq!(Privilege::BypassRls.to_string(), "BYPASSRLS");
        assert!("ADMIN".parse::<Privilege>().is_err());
    }
}
