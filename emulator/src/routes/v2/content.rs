//! One `AnswerContent` (wire-protocol §4.5) as body segments: the seven keys around streamed rows, plus the
//! visualization's id and name on Liveboard pages. Rows render as the client reads, as on v1, so a
//! 100,000-row page never exists whole in the emulator.

use crate::render::{write_str, RowRange, Segment};
use crate::search::OutColumn;

/// The numbers of one content block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ContentCounters {
    pub available_data_row_count: u64,
    pub returned_data_row_count: u64,
    /// Echoes of the request after defaults (§7 Q14).
    pub record_offset: i64,
    pub record_size: i64,
    pub sampling_ratio: f64,
}

/// A Liveboard visualization's `visualization_id` and `visualization_name`.
#[derive(Debug, Clone, Copy)]
pub(super) struct VizKeys<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

/// The segments of `{"available_data_row_count":..,"column_names":[..],"data_rows":[..],
/// "record_offset":..,"record_size":..,"returned_data_row_count":..,"sampling_ratio":..}`, with
/// `visualization_id` and `visualization_name` added when `viz` is given.
pub(super) fn answer_content(
    columns: &[OutColumn],
    rows: RowRange,
    counters: &ContentCounters,
    viz: Option<VizKeys<'_>>,
) -> Vec<Segment> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(
        format!(
            "{{\"available_data_row_count\":{},\"column_names\":[",
            counters.available_data_row_count
        )
        .as_bytes(),
    );
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            head.push(b',');
        }
        write_str(&mut head, &column.name);
    }
    head.extend_from_slice(b"],\"data_rows\":[");

    let mut tail = Vec::with_capacity(256);
    // serde_json spells 1.0 as `1.0`, as the spec's examples do.
    let ratio = serde_json::to_string(&counters.sampling_ratio).unwrap_or_else(|_| "1.0".into());
    tail.extend_from_slice(
        format!(
            "],\"record_offset\":{},\"record_size\":{},\"returned_data_row_count\":{},\"sampling_ratio\":{ratio}",
            counters.record_offset, counters.record_size, counters.returned_data_row_count
        )
        .as_bytes(),
    );
    if let Some(viz) = viz {
        tail.extend_from_slice(b",\"visualization_id\":");
        write_str(&mut tail, viz.id);
        tail.extend_from_slice(b",\"visualization_name\":");
        write_str(&mut tail, viz.name);
    }
    tail.push(b'}');
    vec![
        Segment::Fixed(head),
        Segment::Rows(rows),
        Segment::Fixed(tail),
    ]
}
