//! `linli`: the server and its operator commands.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use linli_api::config::{Config, Environment};
use linli_domain::identity::{NewUser, Role};

/// Each sign-in hashes with a 19 MiB argon2 block. glibc's allocator keeps such blocks in
/// per-thread arenas once its mmap threshold has grown past them, so a burst of sign-ins on
/// many blocking threads left hundreds of MiB resident for good; mimalloc gives them back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "linli",
    version,
    about = "Linli 邻里: the district's social-innovation marketplace and volunteer-points exchange"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GraphQL API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write the GraphQL schema in SDL.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        output: PathBuf,
    },
    /// Create a staff (or admin) account; the password is read from LINLI_STAFF_PASSWORD or
    /// from the first line of standard input.
    CreateStaff {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin: bool,
    },
    /// Fill the database with a believable Chenghua (through the domain services).
    Seed {
        /// `demo` (seconds) or `district` (the district's real scale).
        #[arg(long, default_value = "demo")]
        profile: String,
        /// Multiplies the district profile, for load tests.
        #[arg(long, default_value_t = 1)]
        scale: usize,
        /// The random seed; the same seed gives the same district.
        #[arg(long, default_value_t = linli_seed::DEFAULT_SEED)]
        seed: u64,
    },
    /// Run only the email relay (for a separate relay process; the server runs one itself).
    Relay,
    /// Ledger maintenance.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// The review queue (docs/TRUST.md).
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// The district's certificate keys (docs/TRUST.md: making one, rotating it).
    CertificateKey {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Write a new Ed25519 signing key (PKCS#8 PEM, readable by its owner only) and print its id.
    New {
        #[arg(long)]
        output: PathBuf,
    },
    /// Print the public half (SPKI PEM) of a signing key, to list among retired keys.
    Public {
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Run every rule over what is new now, as the sweeper does, and print what each did.
    Run,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check every ledger invariant; exits non-zero with a report when one fails.
    Verify,
}

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("linli: .env: {e}");
        return ExitCode::FAILURE;
    }
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    // Keys are made before there is a configuration: production refuses to start without one.
    if let Command::CertificateKey { command } = command {
        return match certificate_key(command) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("linli: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("linli: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.environment);
    match run(command, &config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("linli: {e}");
            ExitCode::FAILURE
        }
    }
}

fn certificate_key(command: KeyCommand) -> Result<ExitCode, String> {
    match command {
        KeyCommand::New { output } => {
            let keys = linli_domain::certificate::Keys::generate();
            linli_api::config::write_private(&output, &keys.private_pem()?)
                .map_err(|e| format!("{}: {e}", output.display()))?;
            println!("wrote {} (key id {})", output.display(), keys.current_id());
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Public { key } => {
            let pem =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let keys = linli_domain::certificate::Keys::from_pem(&pem, &[])?;
            print!("{}", keys.public_pem()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run(command: Command, config: &Config) -> Result<ExitCode, String> {
    match command {
        Command::Serve => serve(config),
        Command::Migrate => {
            linli_api::open(config)?;
            println!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::ExportSchema { output } => {
            std::fs::write(&output, linli_api::graphql::sdl())
                .map_err(|e| format!("{}: {e}", output.display()))?;
            println!("wrote {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::CreateStaff {
            email,
            phone,
            name,
            admin,
        } => {
            let services = linli_api::open(config)?;
            let password = match std::env::var("LINLI_STAFF_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| e.to_string())?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let role = if admin { Role::Admin } else { Role::Staff };
            let user = services
                .identity()
                .create_staff(
                    NewUser {
                        email,
                        phone,
                        password,
                        display_name: name,
                        community_id: None,
                    },
                    role,
                )
                .map_err(|e| format!("{} ({})", e, e.code().as_str()))?;
            println!(
                "created {} {} ({})",
                role.as_str().to_lowercase(),
                user.display_name,
                user.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Relay => {
            let services = linli_api::open(config)?;
            let relay = linli_api::email::Relay::new(config, services)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            println!("email relay running");
            runtime.block_on(relay.run(config.relay_interval));
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed {
            profile,
            scale,
            seed: random_seed,
        } => {
            let profile = linli_seed::Profile::parse(&profile)
                .ok_or_else(|| format!("--profile {profile:?}: expected demo or district"))?;
            let services = linli_api::open(config)?;
            let report = seed(&services, profile, scale, random_seed)?;
            if report.already_seeded {
                println!("already seeded: nothing changed");
            } else {
                print_logins();
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CertificateKey { command } => certificate_key(command),
        Command::Review {
            command: ReviewCommand::Run,
        } => {
            let services = linli_api::open(config)?;
            let reviews = services.reviews();
            for &rule in linli_domain::review::Rule::ALL {
                let started = std::time::Instant::now();
                let done = reviews.run_rule(rule).map_err(|e| format!("{e:?}"))?;
                println!(
                    "{:<22} {:>8} rows {:>5} pages {:>5} cases opened {:>9.3} s",
                    rule.as_str(),
                    done.rows,
                    done.pages,
                    done.opened,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            let services = linli_api::open(config)?;
            let report = services.ledger().verify().map_err(|e| format!("{e:?}"))?;
            print!("{report}");
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn serve(config: &Config) -> Result<ExitCode, String> {
    let services = linli_api::open(config)?;
    // A newcomer's first run shows a living district: demo data on an empty database of a
    // development server only reachable from this machine (see `Config::demo`), kept alive on
    // every start after.
    if config.demo {
        demo(&services)?;
    }
    let listener =
        TcpListener::bind(config.bind).map_err(|e| format!("LINLI_BIND {}: {e}", config.bind))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let engine = format!("{:?}", services.db.engine()).to_lowercase();
    runtime.block_on(async {
        let server = linli_api::serve(config, services, listener).map_err(|e| e.to_string())?;
        tracing::info!(bind = %config.bind, engine, "linli is serving");
        println!("Linli 邻里 is serving on http://{} ({engine})", config.bind);
        if config.environment == Environment::Development {
            println!("GraphiQL: http://{}/graphiql", config.bind);
        }
        server.await.map_err(|e| e.to_string())
    })?;
    // A background job still running (a sweep, a rule over a long history) must not keep a
    // stopped server alive: its transaction is rolled back when its connection closes.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(ExitCode::SUCCESS)
}

fn seed(
    services: &linli_domain::Services,
    profile: linli_seed::Profile,
    scale: usize,
    seed: u64,
) -> Result<linli_seed::Report, String> {
    let started = std::time::Instant::now();
    let report = linli_seed::run(services, profile, scale, seed, &mut |step| {
        eprintln!("seed: {step} ({:.1} s)", started.elapsed().as_secs_f64());
    })
    .map_err(|e| format!("seed failed: {e:?}"))?;
    if !report.already_seeded {
        println!(
            "seeded {profile:?} in {:.1} s",
            report.elapsed.as_secs_f64()
        );
    }
    Ok(report)
}

/// Seeds an empty database with the demo district, renews what the demo shows today, and
/// prints its ready logins.
fn demo(services: &linli_domain::Services) -> Result<(), String> {
    if !services
        .identity()
        .has_users()
        .map_err(|e| format!("{e:?}"))?
    {
        seed(
            services,
            linli_seed::Profile::Demo,
            1,
            linli_seed::DEFAULT_SEED,
        )?;
    }
    let Some(refreshed) =
        linli_seed::refresh(services).map_err(|e| format!("demo refresh failed: {e:?}"))?
    else {
        // Someone's own data on a development server: nothing of the demo to renew or print.
        return Ok(());
    };
    tracing::info!(
        activities = refreshed.activities,
        redemptions = refreshed.redemptions,
        "demo renewed for today"
    );
    print_logins();
    Ok(())
}

fn print_logins() {
    println!("ready logins (password {}):", linli_seed::DEMO_PASSWORD);
    for (who, login) in linli_seed::LOGINS {
        println!("  {who}: {login}");
    }
}

fn init_tracing(environment: Environment) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match environment {
        Environment::Production => builder.json().try_init(),
        Environment::Development => builder.try_init(),
    };
    if let Err(e) = result {
        eprintln!("linli: logging: {e}");
    }
}
