//! Well-known ids of the emulator's fixture objects. They never change with the seed, so docs, job
//! files and tests can name them.

/// The "Retail Sales" worksheet (order-line grain, every data type).
pub const RETAIL_SALES: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000001";
/// The "Stores" table.
pub const STORES: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000002";
/// The "Sales Fact" base table under the worksheet (metadata only).
pub const SALES_FACT: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000003";
/// The "Regional Sales View" view (metadata only).
pub const REGIONAL_VIEW: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000004";
/// The "Targets Upload" user-uploaded table (metadata only).
pub const TARGETS_UPLOAD: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000005";
/// The "Returns SQL View" SQL view (metadata only).
pub const RETURNS_SQL_VIEW: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000006";

/// The "TS: BI Server" system worksheet: six months of user activity, one row per event.
pub const BI_SERVER: &str = "5b0b1c4e-2f61-4c1a-9d3e-7a2f00000007";

/// The "Retail Overview" pinboard: a table, a chart, a headline and a filter.
pub const RETAIL_PINBOARD: &str = "7c3d9e21-84a0-4b6f-a1c2-5e9b00000001";
/// The "Store Footprint" pinboard over the Stores table.
pub const STORES_PINBOARD: &str = "7c3d9e21-84a0-4b6f-a1c2-5e9b00000002";
/// Retail Overview's table of order lines.
pub const VIZ_ORDER_LINES: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000001";
/// Retail Overview's chart of sales by region.
pub const VIZ_SALES_BY_REGION: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000002";
/// Retail Overview's headline of total sales.
pub const VIZ_TOTAL_SALES: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000003";
/// Retail Overview's region filter.
pub const VIZ_REGION_FILTER: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000004";
/// Store Footprint's table of stores.
pub const VIZ_STORES_TABLE: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000005";
/// Store Footprint's chart of floor space.
pub const VIZ_FLOOR_SPACE: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000006";

/// The saved answer "Sales by Product".
pub const ANSWER_SALES_BY_PRODUCT: &str = "3a8b6c52-71d4-4e09-8f3b-1c4a00000001";
/// The saved answer "Returns".
pub const ANSWER_RETURNS: &str = "3a8b6c52-71d4-4e09-8f3b-1c4a00000002";
/// Sales by Product's table.
pub const VIZ_ANSWER_PRODUCT_TABLE: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000007";
/// Sales by Product's chart.
pub const VIZ_ANSWER_PRODUCT_CHART: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000008";
/// Returns' table.
pub const VIZ_ANSWER_RETURNS_TABLE: &str = "9e1f4a70-3b25-4c8d-b6e0-2d7c00000009";

/// The "Retail Warehouse" data source (connection).
pub const DATA_SOURCE: &str = "1d2e3f40-5a6b-4c7d-8e9f-0a1b00000001";
/// The join between Sales Fact and Stores.
pub const RELATIONSHIP: &str = "2e3f4051-6b7c-4d8e-9fa0-1b2c00000001";
/// The tag "Certified".
pub const TAG_CERTIFIED: &str = "4f50617a-7c8d-4e9f-a0b1-2c3d00000001";
/// The tag "Retail".
pub const TAG_RETAIL: &str = "4f50617a-7c8d-4e9f-a0b1-2c3d00000002";
