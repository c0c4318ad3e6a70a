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
