//! The client's metadata, user, group and PDF calls against the emulator, in both profiles: results,
//! one refusal each, writes sent exactly once, reads retried, and PDFs that land whole or not at all.

use crate::common;
use crate::common::TempDir;

use std::time::Duration;

use tsexport::api::{
    Category, Client, ColumnKind, Credentials, Error, ListObjectHeaders, ObjectType, PdfLayout,
    PdfOptions, PdfOrientation, Principal, PrincipalType, Privilege, RetryConfig, Secret, SortKey,
    SubType, SyncOptions, VizType,
};
use tsexport_emulator::{ids, Emulator, Endpoint, Fault, FaultPlan, FaultRule, Profile};

fn profiles() -> [Profile; 2] {
    [Profile::v2021(), Profile::modern()]
}

async fn emulator(profile: Profile) -> Emulator {
    common::start(100, profile).await
}

/// An emulator whose `endpoint` answers its first request with 503.
async fn failing_once(profile: Profile, endpoint: &str) -> Emulator {
    let rule = FaultRule::new(
        endpoint,
        Fault::Status {
            status: 503,
            code: None,
            retry_after: None,
            debug: None,
        },
    )
    .nth([1]);
    common::start_with(
        Emulator::builder()
            .rows(100)
            .profile(profile)
            .faults(FaultPlan::new().rule(rule)),
    )
    .await
}

/// A client signed in as `user`, retrying reads after a few milliseconds.
fn client_as(emu: &Emulator, user: &str, password: &str) -> Client {
    Client::builder(emu.base_url())
        .credentials(Credentials::password(user, Secret::new(password)))
        .retry(RetryConfig {
            init_backoff: Duration::from_millis(5),
            ..RetryConfig::default()
        })
        .build()
        .expect("client")
}

fn admin(emu: &Emulator) -> Client {
    client_as(emu, "tsadmin", "admin")
}

/// Asserts an `Error::Api` with this status (and code, if given).
fn assert_api_error(error: &Error, status: u16, code: Option<i64>, what: &str) {
    assert!(
        matches!(error, Error::Api { .. }),
        "{what}: expected an API error, got {error:?}"
    );
    assert_eq!(error.status(), Some(status), "{what}: {error}");
    if code.is_some() {
        assert_eq!(error.code(), code, "{what}: {error}");
    }
}

fn names<'a>(items: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    items.into_iter().map(String::as_str).collect()
}

/// The GUID of user `name`, from the USER headers (user/list has none).
async fn user_guid(client: &Client, name: &str) -> String {
    let users = client
        .list_object_headers(ObjectType::User, &ListObjectHeaders::default())
        .await
        .expect("USER headers");
    users
        .into_iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no user {name}"))
        .id
}

async fn author_of(client: &Client, object_type: ObjectType, id: &str) -> String {
    let request = ListObjectHeaders::default().fetch_ids([id]);
    let headers = client
        .list_object_headers(object_type, &request)
        .await
        .expect("headers");
    assert_eq!(headers.len(), 1, "one header for {id}");
    headers[0].author.clone().expect("author")
}

#[tokio::test]
async fn object_headers_filter_sort_and_page() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);

        let worksheets = client
            .list_object_headers(
                ObjectType::LogicalTable,
                &ListObjectHeaders::default().subtypes([SubType::Worksheet]),
            )
            .await
            .unwrap();
        assert_eq!(
            names(worksheets.iter().map(|h| &h.name)),
            ["Retail Sales", "TS: BI Server"],
            "{name}"
        );
        let ws = &worksheets[0];
        assert_eq!(ws.id, ids::RETAIL_SALES);
        assert_eq!(
            ws.owner.as_deref(),
            Some(ids::RETAIL_SALES),
            "owner is the object itself"
        );
        assert!(
            ws.created.is_some_and(|ms| ms > 1_600_000_000_000),
            "{name}: epoch ms"
        );
        assert!(ws.modified >= ws.created && !ws.is_auto_created && !ws.is_auto_delete);
        assert_eq!(
            ws.author.as_deref(),
            Some(user_guid(&client, "tsadmin").await.as_str())
        );

        let sorted = ListObjectHeaders::default()
            .subtypes([
                SubType::Worksheet,
                SubType::OneToOneLogical,
                SubType::AggrWorksheet,
            ])
            .sort(SortKey::Name)
            .sort_ascending(false)
            .pattern("%s%");
        let headers = client
            .list_object_headers(ObjectType::LogicalTable, &sorted)
            .await
            .unwrap();
        assert_eq!(
            names(headers.iter().map(|h| &h.name)),
            [
                "TS: BI Server",
                "Stores",
                "Sales Fact",
                "Retail Sales",
                "Regional Sales View"
            ],
            "{name}"
        );
        let page = client
            .list_object_headers(ObjectType::LogicalTable, &sorted.clone().page(1, 2))
            .await
            .unwrap();
        assert_eq!(
            names(page.iter().map(|h| &h.name)),
            ["Stores", "Sales Fact"],
            "{name}"
        );

        let skip = ListObjectHeaders::default()
            .tags(["certified"])
            .skip_ids([ids::RETAIL_SALES]);
        let pinboards = client
            .list_object_headers(ObjectType::Pinboard, &skip)
            .await
            .unwrap();
        assert_eq!(
            names(pinboards.iter().map(|h| &h.name)),
            ["Retail Overview"],
            "{name}"
        );
        let mine = ListObjectHeaders::default().category(Category::Favorite);
        let favorites = client
            .list_object_headers(ObjectType::Pinboard, &mine)
            .await
            .unwrap();
        assert_eq!(
            names(favorites.iter().map(|h| &h.name)),
            ["Retail Overview"],
            "{name}"
        );
        let formulas = ListObjectHeaders::default().auto_created(true);
        let auto = client
            .list_object_headers(ObjectType::LogicalColumn, &formulas)
            .await
            .unwrap();
        assert!(
            auto.len() == 1 && auto[0].is_auto_created,
            "{name}: {auto:?}"
        );

        let users = client
            .list_object_headers(ObjectType::User, &ListObjectHeaders::default())
            .await
            .unwrap();
        let alice = users.iter().find(|u| u.name == "alice").expect("alice");
        assert_eq!(
            alice.display_name.as_deref(),
            Some("Alice Analyst"),
            "{name}"
        );
        assert!(alice.group_names.iter().any(|g| g == "Analyst"));

        let wrong = ListObjectHeaders::default().subtypes([SubType::Worksheet]);
        let error = client
            .list_object_headers(ObjectType::Pinboard, &wrong)
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: worksheet subtype on pinboards"),
        );
    }
}

#[tokio::test]
async fn viz_headers_unwrap_titles_and_tolerate_filters() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let vizzes = client.list_viz_headers(ids::RETAIL_PINBOARD).await.unwrap();
        assert_eq!(
            names(vizzes.iter().map(|v| &v.name)),
            ["Order Lines", "Sales by Region", "Total Sales", "Untitled"],
            "{name}"
        );
        let chart = &vizzes[1];
        assert_eq!(chart.id, ids::VIZ_SALES_BY_REGION);
        assert_eq!(chart.viz_type, Some(VizType::Chart));
        assert_eq!(
            (chart.size.as_deref(), chart.title.as_deref()),
            (Some("m"), Some("Sales by Region"))
        );
        assert_eq!(
            chart.owner.as_deref(),
            Some(ids::RETAIL_PINBOARD),
            "owner is the container"
        );
        let filter = &vizzes[3];
        assert_eq!(filter.viz_type, Some(VizType::Filter));
        assert_eq!(
            (filter.size.as_deref(), filter.title.as_deref()),
            (None, None),
            "{name}"
        );

        let error = client.list_viz_headers("not-an-id").await.unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: unknown viz container"),
        );
    }
}

#[tokio::test]
async fn metadata_details_give_column_types() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let details = client
            .metadata_details(
                ObjectType::LogicalTable,
                &[ids::RETAIL_SALES, ids::STORES],
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            names(details.iter().map(|d| &d.id)),
            [ids::RETAIL_SALES, ids::STORES],
            "{name}"
        );
        let retail = &details[0];
        assert_eq!(
            (retail.name.as_str(), retail.subtype.as_deref()),
            ("Retail Sales", Some("WORKSHEET"))
        );
        let sales = retail
            .columns
            .iter()
            .find(|c| c.name == "Sales")
            .expect("Sales column");
        assert_eq!(
            (sales.kind.clone(), sales.default_aggregation.as_deref()),
            (ColumnKind::Measure, Some("SUM"))
        );
        let region = retail
            .columns
            .iter()
            .find(|c| c.name == "Region")
            .expect("Region column");
        assert_eq!(
            (region.kind.clone(), region.data_type.as_str()),
            (ColumnKind::Attribute, "VARCHAR")
        );
        assert!(retail
            .columns
            .iter()
            .all(|c| !c.is_hidden && !c.data_type.is_empty()));

        let with_hidden = client
            .metadata_details(ObjectType::LogicalTable, &[ids::RETAIL_SALES], true)
            .await
            .unwrap();
        let hidden: Vec<_> = with_hidden[0]
            .columns
            .iter()
            .filter(|c| c.is_hidden)
            .collect();
        assert_eq!(hidden.len(), 1, "{name}: one hidden column");
        assert_eq!(with_hidden[0].columns.len(), retail.columns.len() + 1);

        let none: [&str; 0] = [];
        assert!(client
            .metadata_details(ObjectType::LogicalTable, &none, false)
            .await
            .unwrap()
            .is_empty());
        let error = client
            .metadata_details(ObjectType::LogicalTable, &[ids::RETAIL_PINBOARD], false)
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: a pinboard as a table"),
        );
    }
}

#[tokio::test]
async fn user_list_needs_an_administrator() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let principals = admin(&emu).list_users().await.unwrap();
        let alice = principals
            .iter()
            .find(|p| p.name == "alice" && p.is_user())
            .expect("alice");
        assert_eq!(alice.principal_type, PrincipalType::LocalUser);
        assert_eq!(alice.display_name, "Alice Analyst");
        assert_eq!(alice.mail.as_deref(), Some("alice@example.test"), "{name}");
        assert!(alice.created.is_some() && alice.group_names.iter().any(|g| g == "Analyst"));
        for group in ["All", "Administrator", "System", "Analyst"] {
            assert!(
                principals
                    .iter()
                    .any(|p| p.name == group && p.principal_type == PrincipalType::LocalGroup),
                "{name}: built-in group {group}"
            );
        }

        let error = client_as(&emu, "alice", "alice")
            .list_users()
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            403,
            Some(10003),
            &format!("{name}: user/list as alice"),
        );
    }
}

#[tokio::test]
async fn sync_dry_run_changes_nothing_and_apply_does() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let before = client.list_users().await.unwrap();
        let zed = Principal::user("zed", "Zed Newcomer")
            .in_groups(["Analyst"])
            .mail("zed@example.test");

        // removeDeleted is sent as false: the server's default (true) would delete everyone unlisted.
        let dry = client
            .sync_users(std::slice::from_ref(&zed), &SyncOptions::default())
            .await
            .unwrap();
        assert_eq!(names(&dry.users_added), ["zed"], "{name}");
        assert!(
            dry.users_deleted.is_empty() && dry.groups_deleted.is_empty(),
            "{name}: {dry:?}"
        );
        assert_eq!(
            client.list_users().await.unwrap(),
            before,
            "{name}: a dry run changes nothing"
        );

        let options = SyncOptions {
            apply: true,
            remove_deleted: false,
            password: Some(Secret::new("zed-first")),
        };
        let applied = client.sync_users(&[zed], &options).await.unwrap();
        assert_eq!(applied, dry, "{name}: apply does what the dry run said");
        let after = client.list_users().await.unwrap();
        let created = after.iter().find(|p| p.name == "zed").expect("zed created");
        assert_eq!(created.mail.as_deref(), Some("zed@example.test"));
        assert_eq!(after.len(), before.len() + 1, "{name}: nothing deleted");
        let info = client_as(&emu, "zed", "zed-first")
            .session_info()
            .await
            .unwrap();
        assert_eq!(info.user_name, "zed", "{name}: the sync's password works");

        let orphan = Principal::user("ghost", "Ghost").in_groups(["No Such Group"]);
        let error = client
            .sync_users(&[orphan], &SyncOptions::default())
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            500,
            Some(10000),
            &format!("{name}: unknown group in a sync"),
        );
    }
}

#[tokio::test]
async fn sync_can_remove_unlisted_principals() {
    let emu = emulator(Profile::v2021()).await;
    let client = admin(&emu);
    let everyone = client.list_users().await.unwrap();
    let keep: Vec<Principal> = everyone.into_iter().filter(|p| p.name != "carol").collect();
    let options = SyncOptions {
        apply: true,
        remove_deleted: true,
        password: None,
    };
    let diff = client.sync_users(&keep, &options).await.unwrap();
    assert_eq!(names(&diff.users_deleted), ["carol"]);
    assert!(client
        .list_users()
        .await
        .unwrap()
        .iter()
        .all(|p| p.name != "carol"));
}

#[tokio::test]
async fn update_password_then_sign_in_with_the_new_one() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        // `current` is the signed-in administrator's own password.
        client
            .update_password("alice", &Secret::new("admin"), &Secret::new("alice-2"))
            .await
            .unwrap();
        let info = client_as(&emu, "alice", "alice-2")
            .session_info()
            .await
            .unwrap();
        assert_eq!(info.user_name, "alice", "{name}");
        let old = client_as(&emu, "alice", "alice")
            .session_info()
            .await
            .unwrap_err();
        assert!(
            matches!(old, Error::Auth { .. }),
            "{name}: old password refused: {old:?}"
        );

        let error = client
            .update_password(
                "bob",
                &Secret::new("not-my-password"),
                &Secret::new("bob-2"),
            )
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: wrong current password"),
        );
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(
                !text.contains("not-my-password") && !text.contains("bob-2"),
                "{name}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn transfer_ownership_of_some_or_all_objects() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let (alice, bob, carol) = (
            user_guid(&client, "alice").await,
            user_guid(&client, "bob").await,
            user_guid(&client, "carol").await,
        );
        assert_eq!(
            author_of(&client, ObjectType::LogicalTable, ids::REGIONAL_VIEW).await,
            alice
        );

        client
            .transfer_ownership("alice", "bob", &[ids::REGIONAL_VIEW.to_string()])
            .await
            .unwrap();
        assert_eq!(
            author_of(&client, ObjectType::LogicalTable, ids::REGIONAL_VIEW).await,
            bob,
            "{name}"
        );
        assert_eq!(
            author_of(&client, ObjectType::Pinboard, ids::STORES_PINBOARD).await,
            alice,
            "{name}: only the listed object moved"
        );

        client
            .transfer_ownership("alice", "carol", &[])
            .await
            .unwrap();
        assert_eq!(
            author_of(&client, ObjectType::Pinboard, ids::STORES_PINBOARD).await,
            carol,
            "{name}"
        );
        assert_eq!(
            author_of(&client, ObjectType::Answer, ids::ANSWER_SALES_BY_PRODUCT).await,
            carol
        );
        assert_eq!(
            author_of(&client, ObjectType::LogicalTable, ids::REGIONAL_VIEW).await,
            bob
        );

        let error = client
            .transfer_ownership("bob", "nobody", &[])
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: unknown new owner"),
        );
    }
}

#[tokio::test]
async fn privileges_reach_group_members() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let alice = client_as(&emu, "alice", "alice");
        let has = |privileges: &[String], p: Privilege| privileges.iter().any(|x| x == p.as_str());
        assert!(!has(
            &alice.session_info().await.unwrap().privileges,
            Privilege::Developer
        ));

        // The modern profile answers 200 with the group, v2021 204 without a body.
        client
            .add_privilege(Privilege::Developer, &["Analyst"])
            .await
            .unwrap();
        assert!(
            has(
                &alice.session_info().await.unwrap().privileges,
                Privilege::Developer
            ),
            "{name}"
        );
        client
            .remove_privilege(Privilege::Developer, &["Analyst"])
            .await
            .unwrap();
        assert!(
            !has(
                &alice.session_info().await.unwrap().privileges,
                Privilege::Developer
            ),
            "{name}"
        );

        let error = client
            .add_privilege(Privilege::JobScheduling, &["No Such Group"])
            .await
            .unwrap_err();
        assert_api_error(&error, 400, Some(10002), &format!("{name}: unknown group"));
        let error = alice
            .add_privilege(Privilege::Administration, &["Analyst"])
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            403,
            Some(10003),
            &format!("{name}: alice grants herself admin"),
        );
    }
}

#[tokio::test]
async fn writes_are_sent_once_even_when_they_fail_transiently() {
    for profile in profiles() {
        let name = profile.name.clone();
        let writes = [
            ("user/sync", Endpoint::UserSync),
            ("user/updatepassword", Endpoint::UpdatePassword),
            ("user/transfer/ownership", Endpoint::TransferOwnership),
            ("group/addprivilege", Endpoint::AddPrivilege),
        ];
        for (path, endpoint) in writes {
            let emu = failing_once(profile.clone(), path).await;
            let client = admin(&emu);
            let result = match endpoint {
                Endpoint::UserSync => client
                    .sync_users(&[], &SyncOptions::default())
                    .await
                    .map(drop),
                Endpoint::UpdatePassword => {
                    client
                        .update_password("bob", &Secret::new("admin"), &Secret::new("bob-2"))
                        .await
                }
                Endpoint::TransferOwnership => client.transfer_ownership("bob", "carol", &[]).await,
                _ => {
                    client
                        .add_privilege(Privilege::Developer, &["Analyst"])
                        .await
                }
            };
            let error = result.unwrap_err();
            assert_api_error(&error, 503, None, &format!("{name}: {path}"));
            assert_eq!(emu.request_count(endpoint), 1, "{name}: {path} sent once");
        }
    }
}

#[tokio::test]
async fn reads_are_retried_after_a_transient_failure() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = failing_once(profile.clone(), "metadata/listobjectheaders").await;
        let headers = admin(&emu)
            .list_object_headers(ObjectType::Pinboard, &ListObjectHeaders::default())
            .await
            .unwrap();
        assert_eq!(headers.len(), 2, "{name}");
        assert_eq!(emu.request_count(Endpoint::ListObjectHeaders), 2, "{name}");

        let emu = failing_once(profile.clone(), "user/list").await;
        assert!(!admin(&emu).list_users().await.unwrap().is_empty());
        assert_eq!(emu.request_count(Endpoint::UserList), 2, "{name}");

        let emu = failing_once(profile, "export/pinboard/pdf").await;
        let mut pdf = Vec::new();
        admin(&emu)
            .export_pdf_to(ids::STORES_PINBOARD, &PdfOptions::default(), &mut pdf)
            .await
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{name}");
        assert_eq!(emu.request_count(Endpoint::ExportPinboardPdf), 2, "{name}");
    }
}

fn assert_whole_pdf(bytes: &[u8], what: &str) {
    assert!(bytes.starts_with(b"%PDF-"), "{what}: no %PDF header");
    assert!(
        bytes.trim_ascii_end().ends_with(b"%%EOF"),
        "{what}: no %%EOF trailer"
    );
}

#[tokio::test]
async fn pdf_export_to_a_file_lands_whole_or_not_at_all() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let dir = TempDir::new("api-admin");

        let path = dir.join("retail.pdf");
        let size = client
            .export_pdf_to_file(ids::RETAIL_PINBOARD, &PdfOptions::default(), &path)
            .await
            .unwrap();
        let bytes = std::fs::read(&path).expect("the PDF is there");
        assert_eq!(bytes.len() as u64, size, "{name}");
        assert_whole_pdf(&bytes, &name);
        assert!(
            !dir.join("retail.pdf.partial").exists(),
            "{name}: partial file left"
        );

        let missing = dir.join("missing.pdf");
        let error = client
            .export_pdf_to_file(
                "00000000-0000-0000-0000-000000000000",
                &PdfOptions::default(),
                &missing,
            )
            .await
            .unwrap_err();
        assert_api_error(&error, 404, None, &format!("{name}: unknown pinboard"));
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["retail.pdf"], "{name}: no file for a failed export");

        // A failed export leaves an older file at the path alone.
        let error = client
            .export_pdf_to_file(
                "00000000-0000-0000-0000-000000000000",
                &PdfOptions::default(),
                &path,
            )
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(404));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{name}: the old PDF is untouched"
        );
    }
}

#[tokio::test]
async fn a_pdf_that_breaks_off_is_downloaded_again_and_never_left_half_written() {
    for profile in profiles() {
        let name = profile.name.clone();
        let cut = |nth: Vec<u64>| {
            let rule = FaultRule::new("export/pinboard/pdf", Fault::Truncate { after_bytes: 1000 });
            let rule = if nth.is_empty() { rule } else { rule.nth(nth) };
            Emulator::builder()
                .rows(100)
                .profile(profile.clone())
                .faults(FaultPlan::new().rule(rule))
        };

        // Cut off every time: the retry budget runs out, and nothing is left behind.
        let emu = common::start_with(cut(Vec::new())).await;
        let dir = TempDir::new("api-admin");
        let path = dir.join("cut.pdf");
        let error = admin(&emu)
            .export_pdf_to_file(ids::RETAIL_PINBOARD, &PdfOptions::default(), &path)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Transfer { .. }), "{name}: {error:?}");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "{name}: neither the PDF nor its partial file is left"
        );
        assert_eq!(
            emu.request_count(Endpoint::ExportPinboardPdf),
            u64::from(RetryConfig::default().max_retries) + 1,
            "{name}: a file can start again, so every attempt of the budget is used"
        );

        // Cut off once: the second download is whole (and its folder is made).
        let path = dir.join("new").join("folder").join("board.pdf");
        let emu = common::start_with(cut(vec![1])).await;
        let size = admin(&emu)
            .export_pdf_to_file(ids::RETAIL_PINBOARD, &PdfOptions::default(), &path)
            .await
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, size, "{name}");
        assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"));
        assert_eq!(emu.request_count(Endpoint::ExportPinboardPdf), 2, "{name}");

        // Into a writer, bytes already written cannot be taken back: no retry.
        let emu = common::start_with(cut(vec![1])).await;
        let mut sink = Vec::new();
        let error = admin(&emu)
            .export_pdf_to(ids::RETAIL_PINBOARD, &PdfOptions::default(), &mut sink)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Transfer { .. }), "{name}: {error:?}");
        assert_eq!(emu.request_count(Endpoint::ExportPinboardPdf), 1, "{name}");
    }
}

#[tokio::test]
async fn pdf_export_streams_into_a_writer_with_options() {
    for profile in profiles() {
        let name = profile.name.clone();
        let emu = emulator(profile).await;
        let client = admin(&emu);
        let options = PdfOptions {
            layout: PdfLayout::Visualization,
            orientation: PdfOrientation::Portrait,
            visualization_ids: vec![ids::VIZ_SALES_BY_REGION.to_string()],
            truncate_tables: true,
            include_logo: false,
            footer_text: Some("Confidential".into()),
            include_page_number: false,
            include_cover_page: false,
            include_filter_page: false,
        };
        let mut pdf = Vec::new();
        let size = client
            .export_pdf_to(ids::RETAIL_PINBOARD, &options, &mut pdf)
            .await
            .unwrap();
        assert_eq!(size, pdf.len() as u64, "{name}");
        assert_whole_pdf(&pdf, &name);

        let mut full = Vec::new();
        client
            .export_pdf_to(ids::RETAIL_PINBOARD, &PdfOptions::default(), &mut full)
            .await
            .unwrap();
        assert!(
            full.len() > pdf.len(),
            "{name}: one viz without cover makes a smaller PDF"
        );

        // The server refuses picked vizzes in the pinboard layout; nothing reaches the writer.
        let refused = PdfOptions {
            visualization_ids: vec![ids::VIZ_SALES_BY_REGION.to_string()],
            ..PdfOptions::default()
        };
        let mut untouched = Vec::new();
        let error = client
            .export_pdf_to(ids::RETAIL_PINBOARD, &refused, &mut untouched)
            .await
            .unwrap_err();
        assert_api_error(
            &error,
            400,
            Some(10002),
            &format!("{name}: viz ids with PINBOARD layout"),
        );
        assert!(untouched.is_empty());
    }
}
