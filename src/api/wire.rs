//! How values travel in v1 calls, shared by the metadata, users, groups and pdf modules: the
//! `wire_enum!` macro for enums that travel as fixed strings, the strict JSON-array encoding of list
//! parameters (wire-protocol §1.4), booleans (§1.5) and the lenient epoch-millisecond reader (§6).

use serde::{Deserialize, Deserializer};

/// A text that names none of an enum's wire values, e.g. `"ADMIN"` for a [`Privilege`].
///
/// [`Privilege`]: super::Privilege
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a known {kind}; expected one of {expected}")]
pub struct ParseEnumError {
    /// The enum's Rust name, e.g. `Privilege`.
    pub kind: &'static str,
    /// The text that was given, trimmed.
    pub value: String,
    /// Every wire value of the enum, comma-separated.
    pub expected: String,
}

/// Defines an enum whose variants travel as fixed strings, so the wire spelling lives in one place.
///
/// A `closed` enum is for values the client sends: it is `Copy`, and reading an unknown string is an
/// error (`FromStr` is case-insensitive, for command lines and config files). An `open` enum is for
/// values the server sends: newer clusters add values, so an unknown string becomes `Other(text)`
/// instead of failing the whole response (wire-protocol §6). Both serialize to the exact wire string.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        closed enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The string ThoughtSpot uses for this value.
            pub fn as_str(&self) -> &'static str {
                match self { $( $name::$variant => $wire, )+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::api::ParseEnumError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
                    $crate::api::ParseEnumError {
                        kind: stringify!($name),
                        value: text.to_string(),
                        expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    }
                })
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        $crate::api::wire::wire_enum!(@common $name);
    };
    (
        $(#[$meta:meta])*
        open enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know yet, as the server sent it.
            Other(String),
        }

        impl $name {
            /// The string ThoughtSpot uses for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok($name::from(text.as_ref()))
            }
        }

        $crate::api::wire::wire_enum!(@common $name);
    };
    (@common $name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

/// A list parameter as the strict JSON array the client always sends (`["a","b"]`, wire-protocol §1.4, §6).
pub(crate) fn json_list<T: AsRef<str>>(items: &[T]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_string())
}

/// [`json_list`], or none for an empty list: `[]` means "not given" anyway (wire-protocol §1.4).
pub(crate) fn non_empty_list<T: AsRef<str>>(items: &[T]) -> Option<String> {
    (!items.is_empty()).then(|| json_list(items))
}

/// A boolean parameter: `true`/`false`, the spelling every cluster accepts (wire-protocol §1.5).
pub(crate) fn flag(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// Reads an epoch-milliseconds time that may come as an integer, a float (`1.6e12`), `null` or a blank
/// string (new principals, wire-protocol §2.13). Use with `#[serde(default, deserialize_with = "epoch_ms")]`.
pub(crate) fn epoch_ms<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(deserializer)? {
        Some(Raw::Int(ms)) => Some(ms),
        Some(Raw::Float(ms)) if ms.is_finite() => Some(ms.round() as i64),
        Some(Raw::Text(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|ms| ms.is_finite())
            .map(|ms| ms.round() as i64),
        _ => None,
    })
}
