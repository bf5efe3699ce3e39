use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = renda::cli::Cli::parse();
    std::process::exit(renda::cli::run(cli).await);
}
