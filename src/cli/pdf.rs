//! `tsexport pdf`: a pinboard (Liveboard) as a PDF file, or on stdout.

use crate::api::{ObjectType, PdfLayout, PdfOptions, PdfOrientation};
use clap::{Args, ValueEnum};

use crate::sink::Destination;

use super::connect::ConnectionArgs;
use super::{resolve, CliError};

/// How the pinboard is laid out in the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Layout {
    /// As in the UI.
    Pinboard,
    /// One visualization per page.
    Visualization,
}

impl From<Layout> for PdfLayout {
    fn from(layout: Layout) -> Self {
        match layout {
            Layout::Pinboard => PdfLayout::Pinboard,
            Layout::Visualization => PdfLayout::Visualization,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Orientation {
    Portrait,
    Landscape,
}

impl From<Orientation> for PdfOrientation {
    fn from(orientation: Orientation) -> Self {
        match orientation {
            Orientation::Portrait => PdfOrientation::Portrait,
            Orientation::Landscape => PdfOrientation::Landscape,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PdfArgs {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    /// The pinboard, by id or exact name.
    pub(crate) pinboard: String,
    /// Where to write the PDF: a local file (replaced only once the whole PDF has arrived), an
    /// object-store URL (s3://, gs://, az://, file://; credentials from the environment; the object
    /// appears only when complete), or `-` for stdout.
    #[arg(long, short, value_name = "PATH_OR_URL")]
    pub(crate) out: String,
    /// Page layout [default: visualization with --viz, else pinboard].
    #[arg(long, value_enum)]
    pub(crate) layout: Option<Layout>,
    #[arg(long, value_enum, default_value_t = Orientation::Landscape)]
    pub(crate) orientation: Orientation,
    /// Only this visualization, by id or exact name; repeat for several. Needs the visualization
    /// layout.
    #[arg(long = "viz", value_name = "ID_OR_NAME")]
    pub(crate) vizzes: Vec<String>,
    /// Only the first page of each table (visualization layout).
    #[arg(long)]
    pub(crate) truncate_tables: bool,
    /// Leave the cluster's logo out of the footer.
    #[arg(long)]
    pub(crate) no_logo: bool,
    /// Text for the page footer.
    #[arg(long, value_name = "TEXT")]
    pub(crate) footer: Option<String>,
    #[arg(long)]
    pub(crate) no_page_numbers: bool,
    #[arg(long)]
    pub(crate) no_cover_page: bool,
    #[arg(long)]
    pub(crate) no_filter_page: bool,
}

pub(crate) async fn run(args: PdfArgs) -> Result<(), CliError> {
    // Checked before connecting, so a typo in --out costs no sign-in.
    let destination = match args.out.as_str() {
        "-" => None,
        out => Some(Destination::parse(out).map_err(|e| CliError::usage(e.to_string()))?),
    };
    let layout = match (args.layout, args.vizzes.is_empty()) {
        (Some(Layout::Pinboard), false) => {
            return Err(CliError::usage(
                "--viz needs --layout visualization (one visualization per page)",
            ))
        }
        (Some(layout), _) => layout,
        (None, true) => Layout::Pinboard,
        (None, false) => Layout::Visualization,
    };

    let client = args.connection.client()?;
    let pinboard = resolve::object(&client, ObjectType::Pinboard, &[], &args.pinboard).await?;
    let options = PdfOptions {
        layout: layout.into(),
        orientation: args.orientation.into(),
        visualization_ids: resolve::viz_ids(&client, &pinboard.id, &pinboard.name, &args.vizzes)
            .await?,
        truncate_tables: args.truncate_tables,
        include_logo: !args.no_logo,
        footer_text: args.footer,
        include_page_number: !args.no_page_numbers,
        include_cover_page: !args.no_cover_page,
        include_filter_page: !args.no_filter_page,
    };
    let size = match &destination {
        None => {
            return Ok(client
                .export_pdf_to(&pinboard.id, &options, tokio::io::stdout())
                .await
                .map(|_| ())?)
        }
        Some(Destination::Local(path)) => {
            client
                .export_pdf_to_file(&pinboard.id, &options, path)
                .await?
        }
        Some(Destination::Store { url, store, path }) => {
            client
                .export_pdf_to_store(&pinboard.id, &options, store.clone(), path, url)
                .await?
        }
    };
    println!("wrote {size} bytes to {}", args.out);
    Ok(())
}
