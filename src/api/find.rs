//! Objects given by id or by exact name, as users name them in flags and job files.

use super::{Client, Error, ListObjectHeaders, ObjectHeader, ObjectType, SubType};

/// Why an id or name did not lead to exactly one object.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error(transparent)]
    Api(#[from] Error),
    #[error("no {kind} with id or exact name '{given}'; `tsexport ls` lists what there is")]
    NotFound { kind: &'static str, given: String },
    #[error("'{given}' names {} objects of type {kind}; give one of their ids: {}", ids.len(), ids.join(", "))]
    Ambiguous {
        kind: &'static str,
        given: String,
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
    /// The one object of `object_type` (and `subtypes`, if any) whose id or exact name is `given`.
    pub async fn find_object(
        &self,
        object_type: ObjectType,
        subtypes: &[SubType],
        given: &str,
    ) -> Result<ObjectHeader, FindError> {
        let mut request = ListObjectHeaders::default().subtypes(subtypes.iter().copied());
        request = if looks_like_id(given) {
            request.fetch_ids([given])
        } else {
            request.pattern(given)
        };
        let mut found: Vec<ObjectHeader> = self
            .list_object_headers(object_type, &request)
            .await?
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
}
