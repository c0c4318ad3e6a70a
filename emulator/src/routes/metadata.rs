//! `metadata/*`: object headers, viz headers and details with column types (wire-protocol §2.9–§2.11).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{json, Access, AppState, Reply};
use crate::catalog::{Book, Catalog, MetaObject, ObjectType};
use crate::data::{ColumnDef, ColumnKind};
use crate::directory::{Directory, Principal, ADMIN_USER};
use crate::error::V1Error;
use crate::params::{parse_bool, parse_int, parse_list, Params};
use crate::{ids, Endpoint, State as EmulatorState};

/// SQL `LIKE` with `%` as the wildcard, ignoring case.
pub(super) fn like(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let name = name.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return name == pattern;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// A header row before rendering, so users, groups and objects filter and sort alike.
struct Header {
    id: String,
    name: String,
    author: String,
    created: i64,
    modified: i64,
    tags: Vec<String>,
    auto_created: bool,
    json: Value,
}

pub(super) fn user_guid(directory: &Directory, name: &str) -> String {
    directory
        .user(name)
        .or_else(|| directory.user(ADMIN_USER))
        .map(|u| u.guid.clone())
        .unwrap_or_default()
}

pub(super) fn object_header(
    o: &MetaObject,
    directory: &Directory,
    catalog: &Catalog,
    rich: bool,
) -> Value {
    let author = user_guid(directory, &o.author);
    let mut v = json!({
        "id": o.id, "name": o.name, "author": author, "created": o.created_ms, "modified": o.modified_ms,
        "modifiedBy": user_guid(directory, &o.modified_by), "owner": o.id,
        "isAutoCreated": o.auto_created, "isAutoDelete": false,
    });
    if let Some(d) = &o.description {
        v["description"] = d.clone().into();
    }
    if rich {
        let author_user = directory.user(&o.author);
        v["isDeleted"] = false.into();
        v["isHidden"] = o.hidden.into();
        v["authorName"] = author_user
            .map(|u| u.name.clone())
            .unwrap_or_default()
            .into();
        v["authorDisplayName"] = author_user
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
            .into();
        v["tags"] = o
            .tags
            .iter()
            .map(|t| {
                let id = catalog
                    .objects
                    .iter()
                    .find(|x| x.object_type == ObjectType::Tag && &x.name == t);
                json!({"id": id.map(|x| x.id.clone()), "name": t})
            })
            .collect::<Vec<_>>()
            .into();
    }
    v
}

pub(super) fn principal_header(p: &Principal) -> Value {
    let mut v = json!({
        "id": p.guid, "name": p.name, "displayName": p.display_name, "description": p.description,
        "author": p.guid, "created": p.created_ms, "modified": p.modified_ms, "modifiedBy": p.guid,
        "owner": p.guid, "isAutoCreated": false, "isAutoDelete": false,
        "groupNames": p.group_names, "visibility": p.visibility,
    });
    if p.kind.is_user() {
        v["mail"] = p.mail.clone().unwrap_or_default().into();
    }
    v
}

pub(super) async fn list_object_headers(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::ListObjectHeaders, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    let type_name = params.get("type").unwrap_or_default();
    if type_name.is_empty() {
        return Err(V1Error::bad_request(
            "Missing required parameter: type (e.g. PINBOARD_ANSWER_BOOK)",
        )
        .into());
    }
    let Some(object_type) = ObjectType::parse(type_name) else {
        // Documented oddity: an unknown type is a 500, not a 400 (wire-protocol §2.9).
        return Err(V1Error::internal(format!("Invalid metadata type: {type_name}")).into());
    };
    let subtypes = params.get("subtypes").map(parse_list).unwrap_or_default();
    if let Some(bad) = subtypes
        .iter()
        .find(|s| !object_type.subtypes().contains(&s.as_str()))
    {
        return Err(V1Error::bad_request(format!(
            "Invalid metadata subtype: {bad} for type {type_name}"
        ))
        .into());
    }
    let category = params.get("category").unwrap_or("ALL").to_ascii_uppercase();
    if !["ALL", "MY", "FAVORITE", "REQUESTED"].contains(&category.as_str()) {
        return Err(V1Error::bad_request(format!(
            "Invalid parameter value for category: {category}"
        ))
        .into());
    }
    let sort = params.get("sort").unwrap_or("DEFAULT").to_ascii_uppercase();
    if ![
        "DEFAULT",
        "NAME",
        "DISPLAY_NAME",
        "AUTHOR",
        "CREATED",
        "MODIFIED",
    ]
    .contains(&sort.as_str())
    {
        return Err(
            V1Error::bad_request(format!("Invalid parameter value for sort: {sort}")).into(),
        );
    }
    let ascending = parse_bool("sortascending", params.get("sortascending"), true)?;
    let offset = parse_int("offset", params.get("offset"), -1)?;
    let batchsize = parse_int("batchsize", params.get("batchsize"), -1)?;
    if offset < -1 || batchsize < -1 || batchsize == 0 {
        return Err(V1Error::bad_request("Invalid parameter value for offset/batchsize").into());
    }
    let tags = params.get("tagname").map(parse_list).unwrap_or_default();
    let pattern = params.get("pattern").filter(|p| !p.is_empty());
    let fetch = params.get("fetchids").map(parse_list).unwrap_or_default();
    let skip = params.get("skipids").map(parse_list).unwrap_or_default();
    let auto_created = match params.get("auto_created") {
        Some(v) => Some(parse_bool("auto_created", Some(v), false)?),
        None => None,
    };

    let user = ctx.user().to_string();
    let mut headers: Vec<Header> = {
        let directory = state.directory();
        let catalog = state.catalog();
        let rich = state.profile.rich_object_headers;
        match object_type {
            ObjectType::User | ObjectType::UserGroup => {
                let principals: Vec<&Principal> = if object_type == ObjectType::User {
                    directory.users().collect()
                } else {
                    directory.groups().collect()
                };
                principals
                    .into_iter()
                    .map(|p| Header {
                        id: p.guid.clone(),
                        name: p.name.clone(),
                        author: p.name.clone(),
                        created: p.created_ms,
                        modified: p.modified_ms,
                        tags: Vec::new(),
                        auto_created: false,
                        json: principal_header(p),
                    })
                    .collect()
            }
            _ => catalog
                .objects
                .iter()
                .filter(|o| o.object_type == object_type)
                .filter(|o| {
                    subtypes.is_empty()
                        || o.subtype.is_some_and(|s| subtypes.iter().any(|x| x == s))
                })
                .filter(|o| match category.as_str() {
                    "MY" => o.author == user,
                    "FAVORITE" => catalog
                        .favorites
                        .iter()
                        .any(|(u, id)| *u == user && *id == o.id),
                    "REQUESTED" => catalog
                        .requested
                        .iter()
                        .any(|(u, id)| *u == user && *id == o.id),
                    _ => true,
                })
                .map(|o| Header {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    author: o.author.clone(),
                    created: o.created_ms,
                    modified: o.modified_ms,
                    tags: o.tags.clone(),
                    auto_created: o.auto_created,
                    json: object_header(o, &directory, &catalog, rich),
                })
                .collect(),
        }
    };
    headers.retain(|h| {
        (tags.is_empty() || h.tags.iter().any(|t| tags.contains(t)))
            && pattern.is_none_or(|p| like(p, &h.name))
            && (fetch.is_empty() || fetch.contains(&h.id))
            && !skip.contains(&h.id)
            && auto_created.is_none_or(|a| a == h.auto_created)
    });
    match sort.as_str() {
        "NAME" | "DISPLAY_NAME" => headers.sort_by_key(|h| h.name.to_lowercase()),
        "AUTHOR" => {
            headers.sort_by(|a, b| a.author.cmp(&b.author).then_with(|| a.name.cmp(&b.name)))
        }
        "CREATED" => headers.sort_by_key(|h| h.created),
        "MODIFIED" => headers.sort_by_key(|h| h.modified),
        _ => {}
    }
    if !ascending && sort != "DEFAULT" {
        headers.reverse();
    }
    let start = offset.max(0) as usize;
    let page: Vec<Value> = headers
        .into_iter()
        .skip(start)
        .take(if batchsize == -1 {
            usize::MAX
        } else {
            batchsize as usize
        })
        .map(|h| h.json)
        .collect();
    Ok(ctx.finish(json(StatusCode::OK, &Value::Array(page))))
}

/// The `listvizheaders` entries of an answer or pinboard (also v2's `visualization_headers`).
pub(super) fn viz_headers(
    state: &EmulatorState,
    directory: &Directory,
    object: &MetaObject,
    book: &Book,
) -> Vec<Value> {
    let author = user_guid(directory, &object.author);
    book
        .vizzes
        .iter()
        .enumerate()
        .map(|(i, viz)| {
            let mut v = json!({
                "id": viz.id, "name": viz.name, "author": author,
                "created": object.created_ms + i as i64 * 1000, "modified": object.modified_ms + i as i64 * 1000,
                "modifiedBy": author, "owner": object.id,
            });
            if state.profile.rich_viz_headers {
                v["vizType"] = viz.kind.as_str().into();
                if viz.kind != crate::catalog::VizKind::Filter {
                    v["size"] = viz.size.into();
                    v["title"] = json!({"value": {"text": viz.name}});
                }
            }
            v
        })
        .collect()
}

pub(super) async fn list_viz_headers(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::ListVizHeaders, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    let id = params.get("id").unwrap_or_default().trim();
    let body = {
        let directory = state.directory();
        let catalog = state.catalog();
        let (Some(object), Some(book)) = (catalog.object(id), catalog.book(id)) else {
            return Err(V1Error::bad_request(format!(
                "Invalid object ID: {id} is not an answer or pinboard"
            ))
            .into());
        };
        let vizzes = viz_headers(&state, &directory, object, book);
        Value::Array(vizzes)
    };
    Ok(ctx.finish(json(StatusCode::OK, &body)))
}

pub(super) fn column_json(c: &ColumnDef) -> Value {
    let mut header = json!({"id": c.id, "name": c.name, "isHidden": c.hidden});
    if let Some(d) = c.description {
        header["description"] = d.into();
    }
    let measure = c.kind == ColumnKind::Measure;
    json!({
        "header": header,
        "dataType": c.data_type.as_str(),
        "type": if measure { "MEASURE" } else { "ATTRIBUTE" },
        "defaultAggrType": c.aggregation.as_str(),
        "isAdditive": measure,
        "indexType": "DEFAULT",
        "indexPriority": 1,
        "synonyms": [],
        "isAttributionDimension": true,
        "spotiqPreference": "DEFAULT",
    })
}

/// One `metadata/details` storable (also v2's `metadata_detail`): the header plus, by type, the
/// columns with their data types, the column's own fields, or the visualizations.
pub(super) fn storable(
    state: &EmulatorState,
    directory: &Directory,
    catalog: &Catalog,
    o: &MetaObject,
    object_type: ObjectType,
    show_hidden: bool,
) -> Value {
    let mut header = object_header(o, directory, catalog, true);
    header["isHidden"] = o.hidden.into();
    let mut storable = json!({"header": header, "type": o.subtype.unwrap_or(object_type.as_str())});
    match object_type {
        ObjectType::LogicalTable => {
            // Tables without data of their own describe the worksheet's columns (Sales Fact is
            // its base) or none.
            let source = match o.id.as_str() {
                ids::SALES_FACT => state.data.table(ids::RETAIL_SALES),
                other => state.data.table(other),
            };
            let columns: Vec<Value> = source
                .map(|t| {
                    t.columns()
                        .iter()
                        .filter(|c| show_hidden || !c.hidden)
                        .map(column_json)
                        .collect()
                })
                .unwrap_or_default();
            storable["columns"] = columns.into();
        }
        ObjectType::LogicalColumn => {
            let column = state
                .data
                .tables()
                .into_iter()
                .find_map(|t| t.columns().iter().find(|c| c.id == o.id).map(column_json));
            if let Some(Value::Object(fields)) = column {
                for (k, v) in fields {
                    if k != "header" {
                        storable[k] = v;
                    }
                }
            }
        }
        ObjectType::Answer | ObjectType::Pinboard => {
            let vizzes: Vec<Value> = catalog
                .book(&o.id)
                .map(|b| {
                    b.vizzes
                        .iter()
                        .map(|v| json!({"id": v.id, "name": v.name, "vizType": v.kind.as_str()}))
                        .collect()
                })
                .unwrap_or_default();
            storable["visualizations"] = vizzes.into();
        }
        _ => {}
    }
    storable
}

pub(super) async fn details(State(state): State<AppState>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let ctx = state
        .gate(Endpoint::MetadataDetails, &parts, Access::Session)
        .await?;
    let params = Params::read(&parts, body).await?;
    let type_name = params.get("type").unwrap_or_default();
    let object_type = ObjectType::parse(type_name).ok_or_else(|| {
        V1Error::bad_request(format!("Invalid request: unknown type '{type_name}'"))
    })?;
    let ids_given = params.get("id").map(parse_list).unwrap_or_default();
    if ids_given.is_empty() {
        return Err(
            V1Error::bad_request("Invalid request: id must list at least one object id").into(),
        );
    }
    let show_hidden = parse_bool("showhidden", params.get("showhidden"), false)?;
    parse_bool(
        "dropquestiondetails",
        params.get("dropquestiondetails"),
        false,
    )?;
    let storables = {
        let directory = state.directory();
        let catalog = state.catalog();
        let mut storables = Vec::new();
        for id in &ids_given {
            let Some(o) = catalog.object(id).filter(|o| o.object_type == object_type) else {
                return Err(V1Error::bad_request(format!(
                    "Invalid request: no {type_name} with id {id}"
                ))
                .into());
            };
            let storable = storable(&state, &directory, &catalog, o, object_type, show_hidden);
            storables.push(storable);
        }
        storables
    };
    Ok(ctx.finish(json(
        StatusCode::OK,
        &json!({"storables": storables, "debugInfo": {}}),
    )))
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like("retail%", "Retail Sales"));
        assert!(like("%SALES", "Retail Sales"));
        assert!(like("%ail%al%", "Retail Sales"));
        assert!(like("retail sales", "Retail Sales"));
        assert!(!like("retail", "Retail Sales"));
        assert!(!like("%xyz%", "Retail Sales"));
        assert!(like("%", "anything"));
    }
}
