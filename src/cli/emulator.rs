//! `tsexport emulator` and, until the export lands, `tsexport demo`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::CliError;
use tsexport_emulator::{
    ids, Emulator, EmulatorBuilder, FaultPlan, Profile, DEFAULT_PASSWORD, DEFAULT_USERNAME,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ProfileName {
    /// Clusters of 2020-22 (Software 6.x-7.x, Cloud ts7-8.x).
    V2021,
    /// Current clusters.
    Modern,
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub(crate) bind: SocketAddr,
    /// Behaviour profile.
    #[arg(long, value_enum, default_value = "v2021")]
    pub(crate) profile: ProfileName,
    /// Override one profile setting, e.g. --set past_end=bad_request (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) settings: Vec<String>,
    /// Rows of the Retail Sales worksheet (generated lazily).
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) rows: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// A TOML fault plan (see README, "Fault plans").
    #[arg(long, value_name = "FILE")]
    pub(crate) faults: Option<PathBuf>,
    /// Serve DATE and DATE_TIME cells as {"v":{"s":..}}.
    #[arg(long)]
    pub(crate) custom_calendar: bool,
    /// Cluster time zone reported by session/info; DATE cells are local midnights in it.
    #[arg(long, default_value = "America/Chicago")]
    pub(crate) timezone: String,
    /// Switch trusted authentication off (session/auth/token answers 500).
    #[arg(long)]
    pub(crate) no_trusted_auth: bool,
    /// Print the profile's settings (after --set overrides) as TOML and exit.
    #[arg(long)]
    pub(crate) show_profile: bool,
    /// Keep up to this many MB of rendered data pages in memory and serve repeats from there.
    #[arg(long, value_name = "MB", default_value_t = 0)]
    pub(crate) page_cache_mb: usize,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) bind: SocketAddr,
    /// Rows of the Retail Sales worksheet.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) rows: u64,
    /// Keep the emulator running after the tour, until Ctrl-C.
    #[arg(long)]
    pub(crate) serve: bool,
    /// Where the demo's exports go (a folder or object-store URL); each run replaces them.
    #[arg(long, default_value = "tsexport-demo")]
    pub(crate) out: String,
}

fn builder(args: &EmulatorArgs) -> Result<EmulatorBuilder, CliError> {
    let profile = match args.profile {
        ProfileName::V2021 => Profile::v2021(),
        ProfileName::Modern => Profile::modern(),
    }
    .with_overrides(args.settings.iter().map(String::as_str))
    .map_err(|e| CliError::usage(e.to_string()))?;
    let faults = match &args.faults {
        Some(path) => FaultPlan::from_file(path).map_err(|e| CliError::usage(e.to_string()))?,
        None => FaultPlan::default(),
    };
    let mut builder = Emulator::builder()
        .bind(args.bind)
        .profile(profile)
        .rows(args.rows)
        .seed(args.seed)
        .faults(faults)
        .custom_calendar(args.custom_calendar)
        .timezone(args.timezone.clone())
        .page_cache(args.page_cache_mb * 1024 * 1024);
    if args.no_trusted_auth {
        builder = builder.secret_key(None);
    }
    Ok(builder)
}

fn describe(emulator: &Emulator, rows: u64) {
    let url = emulator.base_url();
    println!(
        "ThoughtSpot emulator ({} profile) at {url}",
        emulator.profile().name
    );
    println!("  v1 API:   {}", emulator.v1_url());
    if emulator.profile().v2 {
        println!("  v2 API:   {}", emulator.v2_url());
    }
    println!("  login:    {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}");
    println!(
        "  data:     Retail Sales worksheet {} ({rows} rows), Stores table {}",
        ids::RETAIL_SALES,
        ids::STORES
    );
    println!("  pinboard: Retail Overview {}", ids::RETAIL_PINBOARD);
    println!();
    println!("Try it:");
    println!("  curl -c /tmp/ts.cookies -H 'X-Requested-By: ThoughtSpot' -d username={DEFAULT_USERNAME} -d password={DEFAULT_PASSWORD} {}/session/login", emulator.v1_url());
    println!(
        "  curl -b /tmp/ts.cookies -H 'X-Requested-By: ThoughtSpot' -X POST '{}/searchdata?data_source_guid={}&batchsize=5&query_string=%5BRegion%5D%20%5BSales%5D'",
        emulator.v1_url(),
        ids::RETAIL_SALES
    );
    println!();
    println!("Press Ctrl-C to stop.");
}

async fn until_interrupted(emulator: Emulator) -> Result<(), CliError> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::other(format!("cannot wait for Ctrl-C: {e}")))?;
    tracing::info!(requests = emulator.total_requests(), "stopping emulator");
    emulator.shutdown().await;
    Ok(())
}

pub(crate) async fn serve(args: EmulatorArgs) -> Result<(), CliError> {
    if args.show_profile {
        let profile = builder(&args)?.config().profile.clone();
        let text = toml::to_string(&profile)
            .map_err(|e| CliError::other(format!("cannot show the profile: {e}")))?;
        print!("{text}");
        return Ok(());
    }
    let emulator = builder(&args)?
        .start()
        .await
        .map_err(|e| CliError::usage(e.to_string()))?;
    describe(&emulator, args.rows);
    until_interrupted(emulator).await
}

pub(crate) async fn demo(args: DemoArgs) -> Result<(), CliError> {
    // A current cluster: REST v1 and v2 both served.
    let emulator = Emulator::builder()
        .profile(Profile::modern())
        .bind(args.bind)
        .rows(args.rows)
        .start()
        .await
        .map_err(|e| CliError::usage(e.to_string()))?;
    println!(
        "tsexport demo: a ThoughtSpot emulator in this process, and the client reading from it.\n"
    );
    super::demo::tour(&emulator.base_url(), &args.out).await?;
    if args.serve {
        println!();
        describe(&emulator, args.rows);
        return until_interrupted(emulator).await;
    }
    println!(
        "\nRun `tsexport demo --serve` to keep the emulator up and try the commands in README.md."
    );
    emulator.shutdown().await;
    Ok(())
}
