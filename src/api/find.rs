//! Objects given by id or by exact name, as users name them in flags and job files.

use super::{
    ApiVersion, Client, Error, ListObjectHeaders, MetadataSearch, MetadataSelector, ObjectHeader,
    ObjectType, SubType,
};

/// Why an id or name did not lead to exactly one object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FindError {
    /// The lookup call itself failed.
    #[error(transparent)]
    Api(#[from] Error),
    /// No object of the type has that id or exact name.
    #[error("no {kind} with id or exact name '{given}'; `tsexport ls` lists what there is")]
    NotFound {
        /// The v1 object type searched, as its wire string (e.g. `LOGICAL_TABLE`).
        kind: &'static str,
        /// The id or name as the user gave it.
        given: String,
    },
    /// Several objects of the type have that exact name.
    #[error("'{given}' names {} objects of type {kind}; give one of their ids: {}", ids.len(), ids.join(", "))]
    Ambiguous {
        /// The v1 object type searched, as its wire string (e.g. `PINBOARD_ANSWER_BOOK`).
        kind: &'static str,
        /// The name as the user gave it.
        given: String,
        /// The GUIDs of every object with that name.
        ids: Vec<String>,
    },
}

/// A GUID: 36 characters of hex digits and four dashes.
fn looks_like_id(text: &str) -> bool {
    text.len() == 36
        && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && text.matches('-').count() == 4
}

impl Client {
    /// The one object of `object_type` (and `subtypes`, if any) whose id or exact name is `given`,
    /// looked up through the API data is read through: a client reading through v2 asks
    /// `metadata/search` for tables, liveboards and answers, so that it needs no v1 call.
    pub async fn find_object(
        &self,
        object_type: ObjectType,
        subtypes: &[SubType],
        given: &str,
    ) -> Result<ObjectHeader, FindError> {
        let v2_type = match object_type {
            ObjectType::LogicalTable => Some("LOGICAL_TABLE"),
            ObjectType::Pinboard => Some("LIVEBOARD"),
            ObjectType::Answer => Some("ANSWER"),
            _ => None,
        };
        let candidates = match v2_type {
            Some(kind) if self.data_api().await? == ApiVersion::V2 => {
                self.candidates_v2(kind, subtypes, given).await?
            }
            _ => {
                let mut request = ListObjectHeaders::default().subtypes(subtypes.iter().copied());
                request = if looks_like_id(given) {
                    request.fetch_ids([given])
                } else {
                    request.pattern(given)
                };
                self.list_object_headers(object_type, &request).await?
            }
        };
        let mut found: Vec<ObjectHeader> = candidates
            .into_iter()
            .filter(|h| h.id == given || h.name == given)
            .collect();
        if found.len() > 1 {
            return Err(FindError::Ambiguous {
                kind: object_type.as_str(),
                given: given.to_string(),
                ids: found.into_iter().map(|h| h.id).collect(),
            });
        }
        found.pop().ok_or_else(|| FindError::NotFound {
            kind: object_type.as_str(),
            given: given.to_string(),
        })
    }

    /// The objects of v2 type `kind` that may be `given`: by id, or whose name contains it.
    async fn candidates_v2(
        &self,
        kind: &str,
        subtypes: &[SubType],
        given: &str,
    ) -> Result<Vec<ObjectHeader>, Error> {
        let mut selector = MetadataSelector::of_type(kind);
        selector.subtypes = subtypes.iter().map(|s| s.to_string()).collect();
        if looks_like_id(given) {
            selector.identifier = Some(given.to_string());
        } else {
            selector.name_pattern = Some(given.to_string());
        }
        let request = MetadataSearch {
            metadata: vec![selector],
            ..MetadataSearch::default()
        };
        Ok(self
            .metadata_search_all(&request)
            .await?
            .into_iter()
            .filter_map(|item| {
                serde_json::from_value(serde_json::json!({
                    "id": item.metadata_id,
                    "name": item.metadata_name,
                }))
                .ok()
            })
            .collect())
    }
}

/// The kinds of objects a person lists by name (`tsexport ls KIND`, `client.list(kind)` in Python).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum ObjectKind {
    /// Liveboards (PINBOARD_ANSWER_BOOK).
    Pinboards,
    /// Saved Answers (QUESTION_ANSWER_BOOK).
    Answers,
    /// Worksheets.
    Worksheets,
    /// Tables, uploaded files and SQL views.
    Tables,
    /// Views (aggregated worksheets).
    Views,
    /// Users (USER).
    Users,
    /// User groups (USER_GROUP).
    Groups,
    /// The visualizations of one pinboard, given as the next argument.
    Vizzes,
}

impl ObjectKind {
    /// The metadata type and subtypes behind a kind of object; none for `vizzes`.
    pub fn object_type(self) -> Option<(ObjectType, &'static [SubType])> {
        use SubType::*;
        Some(match self {
            ObjectKind::Pinboards => (ObjectType::Pinboard, &[]),
            ObjectKind::Answers => (ObjectType::Answer, &[]),
            ObjectKind::Worksheets => (ObjectType::LogicalTable, &[Worksheet]),
            ObjectKind::Tables => (
                ObjectType::LogicalTable,
                &[OneToOneLogical, UserDefined, SqlView],
            ),
            ObjectKind::Views => (ObjectType::LogicalTable, &[AggrWorksheet]),
            ObjectKind::Users => (ObjectType::User, &[]),
            ObjectKind::Groups => (ObjectType::UserGroup, &[]),
            ObjectKind::Vizzes => return None,
        })
    }
}

impl std::str::FromStr for ObjectKind {
    type Err = String;

    /// The kind's name as `tsexport ls` takes it: `pinboards`, `answers`, `worksheets`, `tables`,
    /// `views`, `users`, `groups` or `vizzes`.
    fn from_str(given: &str) -> Result<Self, Self::Err> {
        Ok(match given.trim().to_ascii_lowercase().as_str() {
            "pinboards" | "liveboards" => ObjectKind::Pinboards,
            "answers" => ObjectKind::Answers,
            "worksheets" => ObjectKind::Worksheets,
            "tables" => ObjectKind::Tables,
            "views" => ObjectKind::Views,
            "users" => ObjectKind::Users,
            "groups" => ObjectKind::Groups,
            "vizzes" => ObjectKind::Vizzes,
            _ => {
                return Err(format!(
                    "unknown kind '{given}': use pinboards, answers, worksheets, tables, views, users, groups or vizzes"
                ))
            }
        })
    }
}
