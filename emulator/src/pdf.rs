//! Minimal, dependency-free PDF 1.4 writer behind the emulator's
//! `POST /tspublic/v1/export/pinboard/pdf`.
//!
//! The goal is a real PDF that readers open and whose text can be extracted, not a pixel copy of
//! ThoughtSpot's export. That is why it uses the standard Type1 fonts (nothing to embed) and
//! uncompressed content streams. Rendering happens in two phases: every page is first laid out
//! into content-stream operators (so the footer can say "Page N of M"), then `PdfWriter`
//! serialises the objects while recording the byte offsets the xref table needs.

use std::fmt::Write as _;

/// How the export arranges visualisations (ThoughtSpot `layout_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// All visualisations tiled in a grid, like the pinboard itself.
    Pinboard,
    /// One visualisation per page; a table continues over further pages if needed.
    Visualization,
}

/// ThoughtSpot `orientation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Orientation {
    /// A4 upright, 595 x 842 pt.
    Portrait,
    /// A4 on its side, 842 x 595 pt.
    Landscape,
}

/// How a visualisation's data is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VizKind {
    /// Column headers and rows of text.
    Table,
    /// Horizontal bar chart: first column is the label, last column the value.
    Chart,
    /// One big value (`rows[0][0]`) with its column name under it.
    Headline,
}

/// One visualisation with the data to draw, already formatted as text.
#[derive(Debug, Clone)]
pub(crate) struct PdfViz {
    /// Visualisation name, used as the tile heading.
    pub name: String,
    /// Decides whether the data is drawn as a table, a bar chart or a headline.
    pub kind: VizKind,
    /// Column names; rows may be longer or shorter (ragged rows are tolerated).
    pub columns: Vec<String>,
    /// Cells as display text.
    pub rows: Vec<Vec<String>>,
}

/// Everything the export options decide (defaults as ThoughtSpot documents them, see `Default`).
#[derive(Debug, Clone)]
pub(crate) struct PdfOptions {
    /// Tiled pinboard or one visualisation per page.
    pub layout: Layout,
    /// Page orientation (A4 either way).
    pub orientation: Orientation,
    /// Keep only the first page of a table; only has an effect with [`Layout::Visualization`],
    /// because pinboard tiles never continue onto further pages anyway.
    pub truncate_tables: bool,
    /// Draw a small logo mark at the bottom centre of every page.
    pub include_logo: bool,
    /// Text printed at the bottom left of every page.
    pub footer_text: Option<String>,
    /// Print "Page N of M" at the bottom right of every page.
    pub include_page_number: bool,
    /// Start with a page naming the pinboard and listing its visualisations.
    pub include_cover_page: bool,
    /// Add a page listing the runtime filters.
    pub include_filter_page: bool,
}

impl Default for PdfOptions {
    /// ThoughtSpot's documented defaults for the pinboard PDF export.
    fn default() -> Self {
        Self {
            layout: Layout::Pinboard,
            orientation: Orientation::Landscape,
            truncate_tables: false,
            include_logo: true,
            footer_text: None,
            include_page_number: true,
            include_cover_page: true,
            include_filter_page: true,
        }
    }
}

/// Renders `title` (the pinboard name), its vizzes and `filters` (human-readable runtime filter
/// descriptions, e.g. "Region EQ west"; an empty list prints "No filters applied") as a PDF.
///
/// The output is deterministic (no timestamps) and always has at least one page.
#[must_use]
pub(crate) fn render_pdf(
    title: &str,
    vizzes: &[PdfViz],
    filters: &[String],
    options: &PdfOptions,
) -> Vec<u8> {
    let size = match options.orientation {
        Orientation::Portrait => (595.0, 842.0),
        Orientation::Landscape => (842.0, 595.0),
    };
    let mut pages = Vec::new();
    if options.include_cover_page {
        pages.extend(cover_pages(title, vizzes, size));
    }
    if options.include_filter_page {
        pages.extend(filter_pages(filters, size));
    }
    pages.extend(match options.layout {
        Layout::Pinboard => pinboard_pages(title, vizzes, size),
        Layout::Visualization => viz_pages(title, vizzes, size, options.truncate_tables),
    });
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        draw_footer(page, i + 1, total, options, size);
    }
    serialise(title, size, &pages)
}

// ---------------------------------------------------------------------------------------------
// Layout: turns the input into pages of content-stream operators.

const MARGIN: f64 = 36.0;
/// Space at the top of content pages taken by the pinboard title.
const HEADER_H: f64 = 24.0;
const GAP: f64 = 12.0;
/// Pinboard tiles are at least this tall, which decides how many grid rows fit on a page.
const MIN_TILE_H: f64 = 220.0;
/// Table columns narrower than this are dropped rather than made unreadable.
const MIN_COL_W: f64 = 40.0;
const ROW_H: f64 = 12.0;

const TITLE: Style = Style::new(Font::Bold, 26.0);
const SUBTITLE: Style = Style::new(Font::Regular, 14.0);
const HEADING: Style = Style::new(Font::Bold, 11.0);
const BODY: Style = Style::new(Font::Regular, 11.0);
const CELL: Style = Style::new(Font::Regular, 8.0);
const CELL_BOLD: Style = Style::new(Font::Bold, 8.0);
const BIG: Style = Style::new(Font::Bold, 28.0);
const LABEL: Style = Style::new(Font::Regular, 10.0);
const LOGO: Style = Style::new(Font::Bold, 6.5);
const BAR: [f64; 3] = [0.16, 0.45, 0.82];
/// Negative values get the same kind of bar, told apart by colour.
const NEGATIVE_BAR: [f64; 3] = [0.85, 0.33, 0.31];

/// An axis-aligned rectangle in PDF user space (origin bottom left, `y` is the bottom edge).
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    const fn new(x: f64, y: f64, w: f64, h: f64) -> Self {
        Self { x, y, w, h }
    }

    fn top(self) -> f64 {
        self.y + self.h
    }

    fn inset(self, d: f64) -> Self {
        Self::new(self.x + d, self.y + d, self.w - 2.0 * d, self.h - 2.0 * d)
    }
}

/// The body of a content page: inside the margins, below the title header.
fn body_rect(size: (f64, f64)) -> Rect {
    let (w, h) = (size.0 - 2.0 * MARGIN, size.1 - 2.0 * MARGIN - HEADER_H);
    Rect::new(MARGIN, MARGIN, w, h)
}

/// Lays out lines of text top to bottom, starting a new page when one is full, so long
/// visualisation or filter lists never run off the page.
struct Flow {
    size: (f64, f64),
    pages: Vec<Page>,
    y: f64,
}

impl Flow {
    fn new(size: (f64, f64)) -> Self {
        let y = size.1 - MARGIN;
        Self {
            size,
            pages: vec![Page::default()],
            y,
        }
    }

    fn line(&mut self, style: Style, text: &str) {
        let line_h = style.size * 1.5;
        if self.y - line_h < MARGIN {
            self.pages.push(Page::default());
            self.y = self.size.1 - MARGIN;
        }
        self.y -= line_h;
        let at = (MARGIN, self.y + style.size * 0.3);
        if let Some(page) = self.pages.last_mut() {
            page.text(at, style, text, self.size.0 - 2.0 * MARGIN, Align::Left);
        }
    }
}

fn cover_pages(title: &str, vizzes: &[PdfViz], size: (f64, f64)) -> Vec<Page> {
    let mut flow = Flow::new(size);
    flow.y -= size.1 * 0.15;
    flow.line(TITLE, title);
    flow.line(SUBTITLE, "Exported from ThoughtSpot");
    flow.y -= 16.0;
    let plural = if vizzes.len() == 1 { "" } else { "s" };
    flow.line(HEADING, &format!("{} visualization{plural}", vizzes.len()));
    for viz in vizzes {
        flow.line(BODY, &format!("\u{2022} {}", viz.name));
    }
    flow.pages
}

fn filter_pages(filters: &[String], size: (f64, f64)) -> Vec<Page> {
    let mut flow = Flow::new(size);
    flow.line(Style::new(Font::Bold, 20.0), "Filters");
    flow.y -= 6.0;
    if filters.is_empty() {
        flow.line(BODY, "No filters applied");
    }
    for filter in filters {
        flow.line(BODY, filter);
    }
    flow.pages
}

/// A fresh content page with the pinboard title as header, so the title is on every page even
/// without a cover page.
fn content_page(title: &str, size: (f64, f64)) -> Page {
    let mut page = Page::default();
    let (top, width) = (size.1 - MARGIN, size.0 - 2.0 * MARGIN);
    page.text((MARGIN, top - 11.0), HEADING, title, width, Align::Left);
    let rule = Rect::new(MARGIN, top - HEADER_H + 6.0, width, 0.5);
    page.fill(rule, [0.7; 3]);
    page
}

/// The page used when there is nothing to draw, because a PDF without pages is useless.
fn empty_page(title: &str, size: (f64, f64)) -> Page {
    let mut page = content_page(title, size);
    let body = body_rect(size);
    let text = "This pinboard has no visualizations";
    page.text((body.x, body.top() - 20.0), BODY, text, body.w, Align::Left);
    page
}

fn pinboard_pages(title: &str, vizzes: &[PdfViz], size: (f64, f64)) -> Vec<Page> {
    if vizzes.is_empty() {
        return vec![empty_page(title, size)];
    }
    let body = body_rect(size);
    let cols: usize = if size.0 > size.1 { 2 } else { 1 };
    let rows = (((body.h + GAP) / (MIN_TILE_H + GAP)).floor() as usize).max(1);
    let tile_w = (body.w - GAP * (cols - 1) as f64) / cols as f64;
    let tile_h = (body.h - GAP * (rows - 1) as f64) / rows as f64;
    let pages = vizzes.chunks(cols * rows).map(|chunk| {
        let mut page = content_page(title, size);
        for (i, viz) in chunk.iter().enumerate() {
            let (r, c) = ((i / cols) as f64, (i % cols) as f64);
            let y = body.top() - (r + 1.0) * tile_h - r * GAP;
            let tile = Rect::new(body.x + c * (tile_w + GAP), y, tile_w, tile_h);
            draw_tile(&mut page, tile, viz, 0, false);
        }
        page
    });
    pages.collect()
}

fn viz_pages(title: &str, vizzes: &[PdfViz], size: (f64, f64), truncate: bool) -> Vec<Page> {
    let mut pages = Vec::new();
    for viz in vizzes {
        let continues = viz.kind == VizKind::Table && !truncate;
        let mut start = 0;
        loop {
            let mut page = content_page(title, size);
            let next = draw_tile(&mut page, body_rect(size), viz, start, continues);
            pages.push(page);
            // `next <= start` would mean no progress; stop rather than loop forever.
            if !continues || next >= viz.rows.len() || next <= start {
                break;
            }
            start = next;
        }
    }
    if pages.is_empty() {
        pages.push(empty_page(title, size));
    }
    pages
}

/// Draws a bordered tile with the viz name and its content from row `start`; returns the index
/// of the first row not drawn. Left-over rows get a note in the bottom line, which the content
/// drawers keep free for it.
fn draw_tile(page: &mut Page, tile: Rect, viz: &PdfViz, start: usize, continues: bool) -> usize {
    page.stroke(tile);
    let inner = tile.inset(8.0);
    let heading = if start > 0 {
        format!("{} (continued)", viz.name)
    } else {
        viz.name.clone()
    };
    let at = (inner.x, inner.top() - 11.0);
    page.text(at, HEADING, &heading, inner.w, Align::Left);
    let body = Rect::new(inner.x, inner.y, inner.w, inner.h - 20.0);
    let next = match viz.kind {
        VizKind::Table => draw_table(page, body, viz, start),
        VizKind::Chart => draw_chart(page, body, viz),
        VizKind::Headline => draw_headline(page, body, viz),
    };
    if next < viz.rows.len() {
        let note = if continues {
            "(continued on next page)"
        } else {
            "(truncated)"
        };
        page.text((body.x, body.y + 2.0), CELL, note, body.w, Align::Left);
    }
    next
}

/// How many rows of `ROW_H` fit in `area` after `fixed` other lines.
fn row_capacity(area: Rect, fixed: f64) -> usize {
    ((area.h / ROW_H).floor() - fixed).max(0.0) as usize
}

fn draw_table(page: &mut Page, area: Rect, viz: &PdfViz, start: usize) -> usize {
    let widest_row = viz.rows.iter().map(Vec::len).max().unwrap_or(0);
    let ncols = viz.columns.len().max(widest_row);
    let shown = ncols.min((area.w / MIN_COL_W) as usize).max(1);
    let col_w = area.w / shown as f64;
    let mut draw_row = |y: f64, style: Style, cells: &[String]| {
        for (c, cell) in cells.iter().take(shown).enumerate() {
            let at = (area.x + c as f64 * col_w, y);
            page.text(at, style, cell, col_w - 4.0, Align::Left);
        }
    };
    let mut y = area.top() - ROW_H + 3.0;
    draw_row(y, CELL_BOLD, &viz.columns);
    let mut end = start;
    // Two lines are taken: the header and the note line.
    for row in viz.rows.iter().skip(start).take(row_capacity(area, 2.0)) {
        y -= ROW_H;
        draw_row(y, CELL, row);
        end += 1;
    }
    page.fill(Rect::new(area.x, area.top() - ROW_H, area.w, 0.5), [0.6; 3]);
    end
}

/// The chart value of a row: its last cell parsed as a finite number.
fn chart_value(row: &[String]) -> Option<f64> {
    let value = row.last()?.trim().parse::<f64>().ok()?;
    value.is_finite().then_some(value)
}

fn draw_chart(page: &mut Page, area: Rect, viz: &PdfViz) -> usize {
    let values = viz.rows.iter().filter_map(|r| chart_value(r));
    let max = values.fold(0.0, |m: f64, v| m.max(v.abs()));
    let (label_w, value_w) = (area.w * 0.3, 60.0);
    let bar_max = (area.w - label_w - value_w - 8.0).max(0.0);
    let capacity = row_capacity(area, 1.0);
    let mut y = area.top();
    for row in viz.rows.iter().take(capacity) {
        y -= ROW_H;
        let label = row.first().map_or("", String::as_str);
        page.text((area.x, y + 3.0), CELL, label, label_w - 4.0, Align::Left);
        let mut bar_w = 0.0;
        if let Some(v) = chart_value(row).filter(|&v| max > 0.0 && v != 0.0) {
            bar_w = v.abs() / max * bar_max;
            let colour = if v < 0.0 { NEGATIVE_BAR } else { BAR };
            let bar = Rect::new(area.x + label_w, y + 1.5, bar_w, ROW_H - 3.0);
            page.fill(bar, colour);
        }
        let value = row.last().map_or("", String::as_str);
        let at = (area.x + label_w + bar_w + 4.0, y + 3.0);
        page.text(at, CELL, value, value_w, Align::Left);
    }
    capacity.min(viz.rows.len())
}

fn draw_headline(page: &mut Page, area: Rect, viz: &PdfViz) -> usize {
    let first = viz.rows.first().and_then(|r| r.first());
    let value = first.filter(|v| !v.trim().is_empty());
    let value = value.map_or("\u{2014}", String::as_str);
    let label = viz.columns.first().map_or("", String::as_str);
    let (cx, mid) = (area.x + area.w / 2.0, area.y + area.h / 2.0);
    page.text((cx, mid), BIG, value, area.w, Align::Center);
    page.text((cx, mid - 18.0), LABEL, label, area.w, Align::Center);
    viz.rows.len()
}

fn draw_footer(page: &mut Page, n: usize, total: usize, options: &PdfOptions, size: (f64, f64)) {
    let y = 20.0;
    if let Some(footer) = &options.footer_text {
        page.text((MARGIN, y), CELL, footer, size.0 * 0.4, Align::Left);
    }
    if options.include_page_number {
        let text = format!("Page {n} of {total}");
        let at = (size.0 - MARGIN, y);
        page.text(at, CELL, &text, size.0 * 0.3, Align::Right);
    }
    if options.include_logo {
        let mark = Rect::new(size.0 / 2.0 - 7.0, y - 4.0, 14.0, 14.0);
        page.fill(mark, [0.12, 0.22, 0.45]);
        // White text: set the fill colour inside q/Q so later text stays black.
        page.ops.push_str("q 1 g\n");
        let at = (size.0 / 2.0, mark.y + 4.5);
        page.text(at, LOGO, "TS", 14.0, Align::Center);
        page.ops.push_str("Q\n");
    }
}

// ---------------------------------------------------------------------------------------------
// Text: WinAnsi encoding and Helvetica metrics.

/// The two standard fonts used; each page's resources map `/F1` and `/F2` to them.
#[derive(Debug, Clone, Copy)]
enum Font {
    Regular,
    Bold,
}

/// A font at a size.
#[derive(Debug, Clone, Copy)]
struct Style {
    font: Font,
    size: f64,
}

impl Style {
    const fn new(font: Font, size: f64) -> Self {
        Self { font, size }
    }
}

/// Where the `x` given to [`Page::text`] is: at the start, middle or end of the text.
#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

/// Advance widths (1/1000 em) of printable ASCII 0x20..=0x7E, from the Adobe Core 14 AFMs.
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    /// Width of one WinAnsi byte in 1/1000 em. Outside ASCII it errs on the wide side, since
    /// overestimating only clips a little early while underestimating overflows the cell.
    fn width(self, byte: u8) -> f64 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        match byte {
            0x20..=0x7e => f64::from(table[usize::from(byte - 0x20)]),
            0x85 | 0x89 | 0x8c | 0x97 | 0x99 | 0xc6 => 1000.0,
            _ => 722.0,
        }
    }
}

/// WinAnsi code points 0x80..=0x9F, where it differs from Latin-1 (which has controls there).
#[rustfmt::skip]
const WIN_ANSI_SPECIALS: [(char, u8); 27] = [
    ('€', 0x80), ('‚', 0x82), ('ƒ', 0x83), ('„', 0x84), ('…', 0x85), ('†', 0x86), ('‡', 0x87),
    ('ˆ', 0x88), ('‰', 0x89), ('Š', 0x8a), ('‹', 0x8b), ('Œ', 0x8c), ('Ž', 0x8e), ('‘', 0x91),
    ('’', 0x92), ('“', 0x93), ('”', 0x94), ('•', 0x95), ('–', 0x96), ('—', 0x97), ('˜', 0x98),
    ('™', 0x99), ('š', 0x9a), ('›', 0x9b), ('œ', 0x9c), ('ž', 0x9e), ('Ÿ', 0x9f),
];

/// Maps a char to its WinAnsi byte; anything the font cannot show becomes `?`.
fn win_ansi(c: char) -> u8 {
    match u8::try_from(c) {
        Ok(b @ (0x20..=0x7e | 0xa0..=0xff)) => b,
        Ok(b'\t' | b'\n' | b'\r') => b' ',
        _ => WIN_ANSI_SPECIALS
            .iter()
            .find(|(ch, _)| *ch == c)
            .map_or(b'?', |&(_, b)| b),
    }
}

fn text_width(text: &[u8], style: Style) -> f64 {
    text.iter().map(|&b| style.font.width(b)).sum::<f64>() * style.size / 1000.0
}

/// Encodes `text` and cuts it to `max_w` points, ending in "..." when cut. It stops reading at
/// the first char that does not fit, so huge strings cost no more than short ones.
fn fit(text: &str, style: Style, max_w: f64) -> Vec<u8> {
    let limit = max_w.max(0.0) * 1000.0 / style.size;
    let ellipsis = 3.0 * style.font.width(b'.');
    let (mut out, mut used, mut keep) = (Vec::new(), 0.0, 0);
    for byte in text.chars().map(win_ansi) {
        let w = style.font.width(byte);
        if used + w > limit {
            out.truncate(keep);
            if ellipsis <= limit {
                out.extend_from_slice(b"...");
            }
            return out;
        }
        out.push(byte);
        used += w;
        if used + ellipsis <= limit {
            keep = out.len();
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Serialisation: content-stream operators and the object/xref structure.

/// Content-stream operators of one page. Always ASCII because text bytes outside printable
/// ASCII are written as octal escapes, which keeps the stream length trivially correct.
#[derive(Debug, Default)]
struct Page {
    ops: String,
}

impl Page {
    /// Shows `text` fitted to `max_w` points, anchored at `at` as `align` says.
    fn text(&mut self, at: (f64, f64), style: Style, text: &str, max_w: f64, align: Align) {
        let bytes = fit(text, style, max_w);
        if bytes.is_empty() {
            return;
        }
        let shift = match align {
            Align::Left => 0.0,
            Align::Center => text_width(&bytes, style) / 2.0,
            Align::Right => text_width(&bytes, style),
        };
        let (x, y, size) = (num(at.0 - shift), num(at.1), num(style.size));
        let font = style.font.resource();
        let _ = write!(self.ops, "BT /{font} {size} Tf {x} {y} Td (");
        for b in bytes {
            let _ = match b {
                b'(' | b')' | b'\\' => write!(self.ops, "\\{}", char::from(b)),
                0x20..=0x7e => write!(self.ops, "{}", char::from(b)),
                _ => write!(self.ops, "\\{b:03o}"),
            };
        }
        self.ops.push_str(") Tj ET\n");
    }

    fn fill(&mut self, r: Rect, [red, green, blue]: [f64; 3]) {
        let (x, y, w, h) = (num(r.x), num(r.y), num(r.w), num(r.h));
        let (red, green, blue) = (num(red), num(green), num(blue));
        let _ = writeln!(self.ops, "q {red} {green} {blue} rg {x} {y} {w} {h} re f Q");
    }

    fn stroke(&mut self, r: Rect) {
        let (x, y, w, h) = (num(r.x), num(r.y), num(r.w), num(r.h));
        let _ = writeln!(self.ops, "q 0.75 w 0.75 G {x} {y} {w} {h} re S Q");
    }
}

/// Formats a number for a content stream: at most two decimals, never `NaN`/`inf` (which are
/// not valid PDF numbers) and never `-0`.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0" } else { s }.to_owned()
}

/// A PDF text string for the document information dictionary. UTF-16BE with a byte order mark
/// keeps any title (CJK, emoji) intact, unlike the WinAnsi page text.
fn utf16_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// Appends numbered objects to a buffer and remembers where each starts, which is all the
/// cross-reference table needs. Objects must be written in id order 1, 2, 3, ...
struct PdfWriter {
    buf: Vec<u8>,
    offsets: Vec<usize>,
}

impl PdfWriter {
    fn new() -> Self {
        // A comment with high bytes makes transfer tools treat the file as binary.
        let buf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        Self {
            buf,
            offsets: Vec::new(),
        }
    }

    fn object(&mut self, id: usize, body: &[u8]) {
        debug_assert_eq!(id, self.offsets.len() + 1, "ids must be in order");
        self.offsets.push(self.buf.len());
        let header = format!("{id} 0 obj\n");
        self.buf.extend_from_slice(header.as_bytes());
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, data: &[u8]) {
        let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        // The EOL before `endstream` is not part of the data, so /Length excludes it.
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }

    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let (xref, size) = (self.buf.len(), self.offsets.len() + 1);
        let mut tail = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for offset in &self.offsets {
            // Entries must be exactly 20 bytes, hence the space before the newline.
            let _ = writeln!(tail, "{offset:010} 00000 n ");
        }
        let trailer = format!("<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>");
        let _ = write!(tail, "trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n");
        self.buf.extend_from_slice(tail.as_bytes());
        self.buf
    }
}

/// Object ids: 1 catalog, 2 page tree, 3 info, 4-5 fonts, then a page and its content stream
/// for each page, so every reference is known before anything is written.
fn serialise(title: &str, size: (f64, f64), pages: &[Page]) -> Vec<u8> {
    const FIRST_PAGE: usize = 6;
    let mut w = PdfWriter::new();
    let count = pages.len();
    let kids: Vec<String> = (0..count)
        .map(|i| format!("{} 0 R", FIRST_PAGE + 2 * i))
        .collect();
    let kids = kids.join(" ");
    w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    let tree = format!("<< /Type /Pages /Kids [{kids}] /Count {count} >>");
    w.object(2, tree.as_bytes());
    let title = utf16_string(title);
    let info = format!("<< /Title {title} /Producer (tsexport emulator) >>");
    w.object(3, info.as_bytes());
    for (id, name) in [(4, "Helvetica"), (5, "Helvetica-Bold")] {
        let font = format!("/Type /Font /Subtype /Type1 /BaseFont /{name}");
        let font = format!("<< {font} /Encoding /WinAnsiEncoding >>");
        w.object(id, font.as_bytes());
    }
    let (width, height) = (num(size.0), num(size.1));
    let resources = "<< /Font << /F1 4 0 R /F2 5 0 R >> >>";
    for (i, page) in pages.iter().enumerate() {
        let (id, contents) = (FIRST_PAGE + 2 * i, FIRST_PAGE + 2 * i + 1);
        let dict = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] \
             /Resources {resources} /Contents {contents} 0 R >>"
        );
        w.object(id, dict.as_bytes());
        w.stream(contents, page.ops.as_bytes());
    }
    w.finish(1, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// What the PDF tools say about one rendered document.
    struct Checked {
        pages: usize,
        info: String,
        text: String,
    }

    impl Checked {
        fn has(&self, needle: &str) -> bool {
            self.text.contains(needle)
        }
    }

    /// Runs a PDF tool, failing loudly (never skipping) when it is not installed.
    fn run(tool: &str, args: &[&str]) -> (bool, String) {
        let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}); install qpdf and poppler-utils for these tests")
        });
        let stderr = String::from_utf8_lossy(&out.stderr);
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr;
        (out.status.success(), text)
    }

    /// Writes `pdf` to a unique temp file and checks it with qpdf, pdfinfo and pdftotext.
    fn check(pdf: &[u8], label: &str) -> Checked {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("tsexport-pdf-{}-{n}-{label}.pdf", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, pdf).expect("write temp pdf");
        let file = path.to_str().expect("utf-8 temp path");
        // qpdf exits 0 only without errors or warnings; the text check is a second guard.
        let (ok, qpdf) = run("qpdf", &["--check", file]);
        assert!(
            ok && !qpdf.contains("WARNING"),
            "{label}: qpdf --check:\n{qpdf}"
        );
        let (ok, info) = run("pdfinfo", &[file]);
        assert!(ok, "{label}: pdfinfo:\n{info}");
        let (ok, text) = run("pdftotext", &["-layout", file, "-"]);
        assert!(ok, "{label}: pdftotext:\n{text}");
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:"));
        let pages = pages.and_then(|n| n.trim().parse().ok());
        let pages = pages.unwrap_or_else(|| panic!("{label}: no page count in:\n{info}"));
        let _ = std::fs::remove_file(&path);
        Checked { pages, info, text }
    }

    fn viz(name: &str, kind: VizKind, rows: usize) -> PdfViz {
        let row = |i: usize| vec![format!("row {i}"), format!("{}", i * 10)];
        PdfViz {
            name: name.to_owned(),
            kind,
            columns: vec!["Region".to_owned(), "Revenue".to_owned()],
            rows: (0..rows).map(row).collect(),
        }
    }

    /// Seven vizzes: two pinboard pages in landscape (2x2 tiles), three in portrait (1x3).
    fn sample() -> Vec<PdfViz> {
        let kinds = [VizKind::Table, VizKind::Chart, VizKind::Headline];
        let viz_i = |i: usize| viz(&format!("Viz number {i}"), kinds[i % 3], 5);
        (0..7).map(viz_i).collect()
    }

    fn options(layout: Layout, extras: bool) -> PdfOptions {
        PdfOptions {
            layout,
            include_cover_page: extras,
            include_filter_page: extras,
            ..PdfOptions::default()
        }
    }

    #[test]
    fn every_layout_and_orientation_is_valid() {
        use {Layout::*, Orientation::*};
        let filters = vec!["Region EQ west".to_owned()];
        let cases = [
            (Pinboard, Landscape, 2, "842 x 595 pts"),
            (Pinboard, Portrait, 3, "595 x 842 pts"),
            (Visualization, Landscape, 7, "842 x 595 pts"),
            (Visualization, Portrait, 7, "595 x 842 pts"),
        ];
        for (layout, orientation, content_pages, page_size) in cases {
            for extras in [true, false] {
                let opts = PdfOptions {
                    orientation,
                    ..options(layout, extras)
                };
                let l = format!("{layout:?}-{orientation:?}-{extras}");
                let pdf = render_pdf("Quarterly Sales", &sample(), &filters, &opts);
                let again = render_pdf("Quarterly Sales", &sample(), &filters, &opts);
                assert!(pdf == again, "{l}: output is not deterministic");
                let c = check(&pdf, &l);
                let total = content_pages + if extras { 2 } else { 0 };
                assert_eq!(c.pages, total, "{l}: page count");
                assert!(c.info.contains(page_size), "{l}: page size:\n{}", c.info);
                let title = c.info.lines().find_map(|l| l.strip_prefix("Title:"));
                assert_eq!(title.map(str::trim), Some("Quarterly Sales"), "{l}: /Title");
                assert!(
                    c.info.contains("tsexport emulator"),
                    "{l}: /Producer:\n{}",
                    c.info
                );
                let names = sample().into_iter().map(|v| v.name);
                let last = format!("Page {total} of {total}");
                for needle in names.chain(["Quarterly Sales".into(), "Page 1 of ".into(), last]) {
                    assert!(c.has(&needle), "{l}: no {needle:?} in:\n{}", c.text);
                }
                assert_eq!(
                    c.has("Exported from ThoughtSpot"),
                    extras,
                    "{l}: cover page"
                );
                assert_eq!(c.has("Region EQ west"), extras, "{l}: filter page");
            }
        }
    }

    #[test]
    fn long_table_continues_or_is_truncated() {
        let vizzes = [viz("Big table", VizKind::Table, 500)];
        let mut opts = options(Layout::Visualization, false);
        let full = check(&render_pdf("Big", &vizzes, &[], &opts), "full");
        assert!(full.pages > 10, "500 rows on only {} pages", full.pages);
        let last = format!("Page {0} of {0}", full.pages);
        for needle in [
            "row 0 ",
            "row 250 ",
            "row 499 ",
            "(continued on next page)",
            &last,
        ] {
            assert!(full.has(needle), "no {needle:?} in:\n{}", full.text);
        }
        opts.truncate_tables = true;
        let cut = check(&render_pdf("Big", &vizzes, &[], &opts), "truncated");
        assert_eq!(cut.pages, 1);
        for needle in ["(truncated)", "row 0 ", "Big table", "Page 1 of 1"] {
            assert!(cut.has(needle), "no {needle:?} in:\n{}", cut.text);
        }
        assert!(
            !cut.has("row 499"),
            "truncated table still shows its last row"
        );
        // Pinboard tiles never continue, so truncate_tables makes no difference there.
        let tile = |truncate_tables| {
            let opts = PdfOptions {
                truncate_tables,
                ..options(Layout::Pinboard, false)
            };
            render_pdf("Big", &vizzes, &[], &opts)
        };
        assert!(tile(true) == tile(false));
        assert!(check(&tile(false), "tile").has("(truncated)"));
    }

    #[test]
    fn special_characters_survive() {
        let title = "Sales (Q1) \\ 東京 € “best” — 😀";
        let vizzes = [viz("Net (after tax) \\ total", VizKind::Table, 3)];
        let filters = vec!["Name EQ O'Brien (Ltd)".to_owned()];
        let c = check(
            &render_pdf(title, &vizzes, &filters, &PdfOptions::default()),
            "chars",
        );
        for needle in [
            "Sales (Q1) \\ ?? € “best” — ?",
            "Net (after tax) \\ total",
            "Name EQ O'Brien (Ltd)",
        ] {
            assert!(c.has(needle), "no {needle:?} in:\n{}", c.text);
        }
        assert!(
            c.info.contains(title),
            "/Title should keep the full title:\n{}",
            c.info
        );
    }

    #[test]
    fn empty_inputs_still_give_a_page() {
        for layout in [Layout::Pinboard, Layout::Visualization] {
            let c = check(&render_pdf("", &[], &[], &options(layout, false)), "empty");
            assert_eq!(c.pages, 1);
            assert!(c.has("no visualizations"), "{}", c.text);
            let c = check(
                &render_pdf("E", &[], &[], &options(layout, true)),
                "empty-extras",
            );
            assert_eq!(c.pages, 3);
            assert!(
                c.has("No filters applied") && c.has("0 visualizations"),
                "{}",
                c.text
            );
        }
    }

    #[test]
    fn hostile_data_does_not_break_the_pdf() {
        let huge = "W(\\".repeat(100_000);
        let cells = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ragged = vec![
            vec![],
            cells(&["only"]),
            cells(&["a", "NaN"]),
            cells(&["b", "inf", "-1e308"]),
            cells(&[&huge, "-5", "x", "1e308"]),
            cells(&["\u{0}\u{7f}\u{85}\u{ad}", "0"]),
        ];
        let wide: Vec<String> = (0..60).map(|i| format!("col {i}")).collect();
        let mut vizzes = Vec::new();
        for kind in [VizKind::Table, VizKind::Chart, VizKind::Headline] {
            let rows = ragged.clone();
            vizzes.push(PdfViz {
                name: huge.clone(),
                kind,
                columns: vec![],
                rows,
            });
            let columns = wide.clone();
            vizzes.push(PdfViz {
                name: String::new(),
                kind,
                columns,
                rows: vec![],
            });
        }
        for layout in [Layout::Pinboard, Layout::Visualization] {
            let footer_text = Some(huge.clone());
            let opts = PdfOptions {
                footer_text,
                ..options(layout, true)
            };
            let pdf = render_pdf(&huge, &vizzes, std::slice::from_ref(&huge), &opts);
            // The /Title keeps the whole name (4 hex digits per char); drawn text is clipped.
            assert!(pdf.len() < 4 * huge.len() + 100_000, "{} bytes", pdf.len());
            check(&pdf, "hostile");
        }
    }

    #[test]
    fn footer_options_are_honoured() {
        let opts = PdfOptions {
            footer_text: Some("Confidential".to_owned()),
            include_page_number: false,
            include_logo: false,
            ..PdfOptions::default()
        };
        let pdf = render_pdf("Footer", &sample(), &[], &opts);
        let c = check(&pdf, "footer");
        assert!(c.has("Confidential") && !c.has("Page 1 of"), "{}", c.text);
        assert!(
            !String::from_utf8_lossy(&pdf).contains("(TS)"),
            "logo was disabled"
        );
        let with_logo = render_pdf("Footer", &sample(), &[], &PdfOptions::default());
        assert!(String::from_utf8_lossy(&with_logo).contains("(TS) Tj"));
    }

    /// Byte position of `needle` in `pdf` at or after `from`.
    fn find(pdf: &[u8], needle: &str, from: usize) -> Option<usize> {
        let mut windows = pdf.get(from..)?.windows(needle.len());
        windows
            .position(|w| w == needle.as_bytes())
            .map(|i| i + from)
    }

    /// The ASCII number at `pos`, up to the next space or newline.
    fn number_at(pdf: &[u8], pos: usize) -> usize {
        let digits = pdf[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = std::str::from_utf8(&pdf[pos..pos + digits]).expect("digits");
        digits
            .parse()
            .unwrap_or_else(|e| panic!("no number at {pos}: {e}"))
    }

    /// qpdf tolerates some of these mistakes (a /Length one byte too long passes), so the
    /// structure is also checked byte for byte.
    #[test]
    fn xref_offsets_and_stream_lengths_are_exact() {
        let pdf = render_pdf("Xref", &sample(), &[], &PdfOptions::default());
        assert!(pdf.starts_with(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n") && pdf.ends_with(b"%%EOF\n"));
        let startxref = find(&pdf, "startxref\n", 0).expect("startxref") + 10;
        let xref = number_at(&pdf, startxref);
        assert_eq!(
            find(&pdf, "xref\n", 0),
            Some(xref),
            "startxref does not point at xref"
        );
        let trailer = find(&pdf, "trailer\n", xref).expect("trailer");
        let table = std::str::from_utf8(&pdf[xref..trailer]).expect("ASCII xref");
        let entries: Vec<&str> = table.split_inclusive('\n').skip(3).collect();
        assert_eq!(
            entries.len(),
            5 + 2 * 4,
            "5 fixed objects and 2 for each of 4 pages"
        );
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(entry.len(), 20, "xref entry {entry:?} is not 20 bytes");
            let header = format!("{} 0 obj\n", i + 1);
            let offset = number_at(entry.as_bytes(), 0);
            assert!(
                pdf[offset..].starts_with(header.as_bytes()),
                "object {} misplaced",
                i + 1
            );
        }
        let (mut from, mut streams) = (0, 0);
        while let Some(at) = find(&pdf, "/Length ", from) {
            let length = number_at(&pdf, at + 8);
            let data = find(&pdf, "stream\n", at).expect("stream keyword") + 7;
            from = data + length;
            assert!(
                pdf[from..].starts_with(b"\nendstream"),
                "wrong /Length {length}"
            );
            streams += 1;
        }
        assert_eq!(streams, 4, "one content stream per page");
    }

    #[test]
    fn text_helpers() {
        let encode = |t: &str| t.chars().map(win_ansi).collect::<Vec<u8>>();
        assert_eq!(encode("a€“”–—é東😀\t"), b"a\x80\x93\x94\x96\x97\xe9?? ");
        let mut page = Page::default();
        page.text((1.0, 2.0), CELL, "(a\\b) é", 100.0, Align::Left);
        assert_eq!(page.ops, "BT /F1 8 Tf 1 2 Td (\\(a\\\\b\\) \\351) Tj ET\n");
        assert_eq!(fit("short", CELL, 500.0), b"short");
        let cut = fit(&"x".repeat(1000), CELL, 50.0);
        assert!(
            cut.ends_with(b"...") && text_width(&cut, CELL) <= 50.0,
            "{cut:?}"
        );
        let nums = [num(1.5), num(-0.001), num(f64::NAN), num(842.0), num(-2.25)];
        assert_eq!(nums, ["1.5", "0", "0", "842", "-2.25"]);
    }
}
