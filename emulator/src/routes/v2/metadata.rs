//! `metadata/search` (wire-protocol §4.8): the v2 replacement of `listobjectheaders`, `listvizheaders` and
//! `metadata/details`. Headers, details and visualization headers are built by the same code as their
//! v1 counterparts, so a column's `dataType` is the same whichever API a client asks.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{gate, read_json};
use crate::catalog::{Catalog, MetaObject, ObjectType};
use crate::directory::{Directory, Principal};
use crate::error::V2Error;
use crate::routes::metadata::{like, object_header, principal_header, storable, viz_headers};
use crate::routes::{json, Access, AppState, Reply};
use crate::{State as EmulatorState, V2Endpoint};

/// Objects per call when the request gives no `record_size`.
const DEFAULT_RECORD_SIZE: i64 = 10;

/// The v2 metadata types (`MetadataListItemInput.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V2Type {
    Liveboard,
    Answer,
    LogicalTable,
    LogicalColumn,
    Connection,
    Tag,
    User,
    UserGroup,
    LogicalRelationship,
    InsightSpec,
    Collection,
}

impl V2Type {
    const ALL: [V2Type; 11] = [
        V2Type::Liveboard,
        V2Type::Answer,
        V2Type::LogicalTable,
        V2Type::LogicalColumn,
        V2Type::Connection,
        V2Type::Tag,
        V2Type::User,
        V2Type::UserGroup,
        V2Type::LogicalRelationship,
        V2Type::InsightSpec,
        V2Type::Collection,
    ];

    fn as_str(self) -> &'static str {
        match self {
            V2Type::Liveboard => "LIVEBOARD",
            V2Type::Answer => "ANSWER",
            V2Type::LogicalTable => "LOGICAL_TABLE",
            V2Type::LogicalColumn => "LOGICAL_COLUMN",
            V2Type::Connection => "CONNECTION",
            V2Type::Tag => "TAG",
            V2Type::User => "USER",
            V2Type::UserGroup => "USER_GROUP",
            V2Type::LogicalRelationship => "LOGICAL_RELATIONSHIP",
            V2Type::InsightSpec => "INSIGHT_SPEC",
            V2Type::Collection => "COLLECTION",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// The v1 type behind it (wire-protocol §4.10); users and groups live in the directory, and the emulator
    /// has no insight specs or collections.
    fn catalog_type(self) -> Option<ObjectType> {
        Some(match self {
            V2Type::Liveboard => ObjectType::Pinboard,
            V2Type::Answer => ObjectType::Answer,
            V2Type::LogicalTable => ObjectType::LogicalTable,
            V2Type::LogicalColumn => ObjectType::LogicalColumn,
            V2Type::Connection => ObjectType::DataSource,
            V2Type::Tag => ObjectType::Tag,
            V2Type::User => ObjectType::User,
            V2Type::UserGroup => ObjectType::UserGroup,
            V2Type::LogicalRelationship => ObjectType::LogicalRelationship,
            V2Type::InsightSpec | V2Type::Collection => return None,
        })
    }

    fn of_catalog(t: ObjectType) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.catalog_type() == Some(t))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Selector {
    identifier: Option<String>,
    name_pattern: Option<String>,
    #[serde(rename = "type")]
    object_type: Option<String>,
    subtypes: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchRequest {
    metadata: Option<Vec<Selector>>,
    record_offset: Option<i64>,
    record_size: Option<i64>,
    include_details: Option<bool>,
    include_visualization_headers: Option<bool>,
    include_hidden_objects: Option<bool>,
    include_auto_created_objects: Option<bool>,
}

/// An object found by a selector: from the catalog, or a user or group from the directory.
#[derive(Debug, Clone, Copy)]
enum Found<'a> {
    Object(&'a MetaObject, V2Type),
    Principal(&'a Principal, V2Type),
}

impl Found<'_> {
    fn id(&self) -> &str {
        match self {
            Found::Object(o, _) => &o.id,
            Found::Principal(p, _) => &p.guid,
        }
    }

    fn name(&self) -> &str {
        match self {
            Found::Object(o, _) => &o.name,
            Found::Principal(p, _) => &p.name,
        }
    }
}

/// Everything a search can find, in catalog order, users then groups last.
fn everything<'a>(catalog: &'a Catalog, directory: &'a Directory) -> Vec<Found<'a>> {
    let objects = catalog
        .objects
        .iter()
        .filter_map(|o| V2Type::of_catalog(o.object_type).map(|t| Found::Object(o, t)));
    let users = directory.users().map(|p| Found::Principal(p, V2Type::User));
    let groups = directory
        .groups()
        .map(|p| Found::Principal(p, V2Type::UserGroup));
    objects.chain(users).chain(groups).collect()
}

/// The objects one selector picks, in `all`'s order.
fn select<'a>(
    all: &[Found<'a>],
    selector: &Selector,
    req: &SearchRequest,
) -> Result<Vec<Found<'a>>, V2Error> {
    let wanted = match selector.object_type.as_deref().filter(|t| !t.is_empty()) {
        Some(name) => Some(V2Type::parse(name).ok_or_else(|| {
            V2Error::bad_request(format!(
                "Invalid parameter values: metadata type '{name}' (use one of {})",
                V2Type::ALL.map(V2Type::as_str).join(", ")
            ))
        })?),
        None => None,
    };
    let identifier = selector
        .identifier
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    // With neither a type nor an identifier, the guide's rule: Liveboards only (§7 Q18).
    let wanted = match (wanted, identifier) {
        (None, None) => Some(V2Type::Liveboard),
        (wanted, _) => wanted,
    };
    let subtypes = selector.subtypes.clone().unwrap_or_default();
    if let Some(bad) = subtypes
        .iter()
        .find(|s| !ObjectType::LogicalTable.subtypes().contains(&s.as_str()))
    {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: subtype '{bad}' (subtypes apply to LOGICAL_TABLE)"
        )));
    }
    let hidden_ok = req.include_hidden_objects.unwrap_or(false);
    let auto_ok = req.include_auto_created_objects.unwrap_or(false);
    let picked: Vec<Found<'a>> = all
        .iter()
        .copied()
        .filter(|f| match (f, wanted) {
            (_, None) => true,
            (Found::Object(_, t) | Found::Principal(_, t), Some(w)) => *t == w,
        })
        .filter(|f| match identifier {
            None => true,
            Some(i) if wanted.is_none() => f.id() == i,
            Some(i) => f.id() == i || f.name().eq_ignore_ascii_case(i),
        })
        .filter(|f| {
            selector
                .name_pattern
                .as_deref()
                .filter(|p| !p.is_empty())
                .is_none_or(|p| like(p, f.name()))
        })
        .filter(|f| match f {
            Found::Object(o, _) => {
                (subtypes.is_empty() || o.subtype.is_some_and(|s| subtypes.iter().any(|x| x == s)))
                    && (hidden_ok || !o.hidden)
                    && (auto_ok || !o.auto_created)
            }
            Found::Principal(..) => subtypes.is_empty(),
        })
        .collect();
    if picked.is_empty() && wanted.is_none() {
        if let Some(i) = identifier {
            return Err(V2Error::bad_request(format!(
                "Invalid parameter values: identifier '{i}' is no object's GUID (give type to look it up by name)"
            )));
        }
    }
    Ok(picked)
}

/// One `MetadataSearchResponse`: all ten keys, `null` for sections not asked for.
fn response_entry(
    state: &EmulatorState,
    directory: &Directory,
    catalog: &Catalog,
    found: Found<'_>,
    req: &SearchRequest,
) -> Value {
    let details = req.include_details.unwrap_or(false);
    let (object_type, header, detail, vizzes) = match found {
        Found::Object(o, t) => {
            let mut header = object_header(o, directory, catalog, true);
            header["type"] = o.subtype.unwrap_or(o.object_type.as_str()).into();
            let show_hidden = req.include_hidden_objects.unwrap_or(false);
            let detail =
                details.then(|| storable(state, directory, catalog, o, o.object_type, show_hidden));
            let vizzes = (t == V2Type::Liveboard
                && req.include_visualization_headers.unwrap_or(false))
            .then(|| catalog.book(&o.id))
            .flatten()
            .map(|book| Value::Array(viz_headers(state, directory, o, book)));
            (t, header, detail, vizzes)
        }
        Found::Principal(p, t) => {
            let mut header = principal_header(p);
            header["type"] = t.catalog_type().map(ObjectType::as_str).into();
            let detail = details.then(|| header.clone());
            (t, header, detail, None)
        }
    };
    json!({
        "metadata_id": found.id(),
        "metadata_name": found.name(),
        "metadata_type": object_type.as_str(),
        "metadata_obj_id": null,
        "metadata_header": header,
        "metadata_detail": detail,
        "visualization_headers": vizzes,
        "dependent_objects": null,
        "incomplete_objects": null,
        "stats": null,
    })
}

/// `POST metadata/search`: a bare array; the selectors' union without repeats, then paged.
pub(super) async fn search(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = gate(&state, V2Endpoint::MetadataSearch, &parts, Access::Session).await?;
    let (req, _) = read_json::<SearchRequest>(&parts, body).await?;
    let offset = req.record_offset.unwrap_or(0);
    let size = req.record_size.unwrap_or(DEFAULT_RECORD_SIZE);
    if offset < 0 || size == 0 || size < -1 {
        return Err(V2Error::bad_request(format!(
            "Invalid parameter values: record_offset {offset}, record_size {size}"
        ))
        .into());
    }
    let selectors = match &req.metadata {
        Some(list) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let no_selector = Selector::default();
    let selectors = if selectors.is_empty() {
        vec![&no_selector]
    } else {
        selectors
    };
    let page: Vec<Value> = {
        let directory = state.directory();
        let catalog = state.catalog();
        let all = everything(&catalog, &directory);
        let mut picked: Vec<Found<'_>> = Vec::new();
        for selector in selectors {
            for found in select(&all, selector, &req)? {
                if !picked.iter().any(|p| p.id() == found.id()) {
                    picked.push(found);
                }
            }
        }
        picked
            .into_iter()
            .skip(offset as usize)
            .take(if size == -1 {
                usize::MAX
            } else {
                size as usize
            })
            .map(|found| response_entry(&state, &directory, &catalog, found, &req))
            .collect()
    };
    Ok(ctx.finish(json(StatusCode::OK, &Value::Array(page))))
}
